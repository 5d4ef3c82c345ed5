//! A command-line view of simple-pidf, used by the interop scripts (interop/pidf-kamailio):
//!
//! - `pidf_tool sample <entity> <n>`: prints sample document `n` (0, 1, 2: three devices of
//!   one presentity, each with its services, device and person information)
//! - `pidf_tool read < doc.xml`: reads a PIDF document and prints a JSON summary
//! - `pidf_tool write < doc.xml`: reads a PIDF document and prints it as we write it
//! - `pidf_tool compose <entity> <file>...`: composes documents and prints the summary

use std::io::Read;
use std::process::ExitCode;

use serde_json::json;

use simple_pidf::caps::{ServCaps, Support};
use simple_pidf::rpid::{Activities, Activity, Mood, MoodValue};
use simple_pidf::{
    Basic, Component, Contact, DateTime, Device, Extension, Note, Person, Presence, QValue, Tuple,
    compose,
};

fn sample(entity: &str, n: u32) -> Presence {
    let mut p = Presence::new(entity);
    let at = |s: i64| Some(DateTime::from_unix(1_795_000_000 + s, 0));
    let user = entity.trim_start_matches("sip:").trim_start_matches("pres:");
    let tuple = |id: &str, basic: Basic, device: &str, q: u16| {
        let mut t = Tuple::new(id, basic);
        t.extensions.push(Extension::DeviceId(device.to_owned()));
        t.contact = Some(Contact {
            uri: format!("sip:{user};gr={id}"),
            priority: Some(QValue::from_thousandths(q)),
        });
        t.timestamp = at(i64::from(n));
        t
    };
    let device_urn = format!("urn:uuid:00000000-0000-0000-0000-00000000000{n}");
    let mut person = Person::new(format!("p{n}"));
    person.timestamp = at(i64::from(n) * 60);
    match n {
        0 => {
            p.tuples.push(tuple("phone-voice", Basic::Open, &device_urn, 800));
            person.extensions.push(Extension::Activities(Activities::new([Activity::OnThePhone])));
        }
        1 => {
            p.tuples.push(tuple("laptop-im", Basic::Closed, &device_urn, 500));
            person.extensions.push(Extension::Mood(Mood::new([MoodValue::Happy])));
            person.extensions.push(Extension::DisplayName("Alice Example".into()));
            p.notes.push(Note::with_lang("On the road", "en"));
        }
        _ => {
            let mut t = tuple("pc-im", Basic::Open, &device_urn, 1000);
            let caps = ServCaps {
                message: Some(true),
                audio: Some(false),
                methods: Some(Support::supported(["MESSAGE", "OPTIONS"])),
                ..ServCaps::default()
            };
            t.extensions.push(Extension::ServCaps(Box::new(caps)));
            p.tuples.push(t);
            person.extensions.push(Extension::Activities(Activities::new([Activity::Meeting])));
            person.notes.push(Note::new("In the weekly meeting"));
        }
    }
    p.components.push(Component::Person(person));
    p.components.push(Component::Device(Device::new(format!("dev{n}"), device_urn)));
    p
}

fn kinds(exts: &[Extension]) -> Vec<String> {
    exts.iter()
        .map(|e| {
            let (ns, local) = e.name();
            let tag = if matches!(e, Extension::Raw(_)) { "raw " } else { "" };
            format!("{tag}{{{ns}}}{local}")
        })
        .collect()
}

fn summary(p: &Presence) -> String {
    let tuples: Vec<_> = p
        .tuples
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "basic": t.status.basic.map(Basic::as_str),
                "contact": t.contact.as_ref().map(|c| &c.uri),
                "notes": t.notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
                "extensions": kinds(&t.extensions),
            })
        })
        .collect();
    let persons: Vec<_> = p
        .persons()
        .map(|x| {
            let notes: Vec<&str> = x.notes.iter().map(|n| n.text.as_str()).collect();
            json!({"id": x.id, "notes": notes, "extensions": kinds(&x.extensions)})
        })
        .collect();
    let devices: Vec<_> =
        p.devices().map(|d| json!({"id": d.id, "deviceID": d.device_id})).collect();
    let notes: Vec<&str> = p.notes.iter().map(|n| n.text.as_str()).collect();
    json!({
        "entity": p.entity,
        "tuples": tuples,
        "notes": notes,
        "persons": persons,
        "devices": devices,
    })
    .to_string()
}

fn stdin() -> Vec<u8> {
    let mut v = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut v);
    v
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = || -> Result<String, String> {
        match args.first().map(String::as_str) {
            Some("sample") => {
                let entity = args.get(1).ok_or("sample <entity> <n>")?;
                let n = args.get(2).and_then(|n| n.parse().ok()).ok_or("sample <entity> <n>")?;
                Ok(sample(entity, n).to_string())
            }
            Some("read") => {
                Presence::parse(&stdin()).map(|p| summary(&p)).map_err(|e| e.to_string())
            }
            Some("write") => {
                Presence::parse(&stdin()).map(|p| p.to_string()).map_err(|e| e.to_string())
            }
            Some("compose") => {
                let entity = args.get(1).ok_or("compose <entity> <file>...")?;
                let docs = args[2..]
                    .iter()
                    .map(|f| {
                        let bytes = std::fs::read(f).map_err(|e| format!("{f}: {e}"))?;
                        Presence::parse(&bytes).map_err(|e| format!("{f}: {e}"))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                let refs: Vec<&Presence> = docs.iter().collect();
                Ok(summary(&compose(entity, &refs)))
            }
            _ => Err("usage: pidf_tool sample|read|write|compose ...".to_owned()),
        }
    };
    match run() {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
