//! Prints what simple-sip reads from one SIP message (a file, or stdin) as one JSON object, in
//! the field layout `interop/sip-parsers/compare.py` uses to diff it against third-party parsers.
//!
//! ```text
//! cargo run -q -p simple-sip --example sip_to_json -- message.sip
//! ```

use std::io::Read as _;

use simple_sip::headers::{CSeq, CallId, FromHeader, ToHeader, Via};
use simple_sip::{Header, Message};

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_owned(), json_str)
}

fn main() {
    let mut bytes = Vec::new();
    let read = match std::env::args().nth(1) {
        Some(path) => std::fs::read(path).map(|b| bytes = b),
        None => std::io::stdin().read_to_end(&mut bytes).map(|_| ()),
    };
    if let Err(e) = read {
        println!("{{\"ok\":false,\"error\":{}}}", json_str(&e.to_string()));
        return;
    }
    let mut headers = [Header::EMPTY; 128];
    let msg = match Message::parse(&bytes, &mut headers) {
        Ok(m) => m,
        Err(e) => {
            println!("{{\"ok\":false,\"error\":{}}}", json_str(&e.to_string()));
            return;
        }
    };
    let mut fields: Vec<(&str, String)> = vec![("ok", "true".into())];
    fields.push(("method", opt(msg.request().map(|r| r.method.as_str()))));
    fields.push(("uri", opt(msg.request().map(|r| &*r.uri))));
    fields.push(("status", msg.status_code().map_or("null".into(), |c| c.to_string())));
    let typed_err = |e: simple_sip::Error| format!("{{\"error\":{}}}", json_str(&e.to_string()));
    fields.push((
        "call_id",
        match msg.typed::<CallId<'_>>() {
            Ok(v) => opt(v.as_ref().map(|c| &*c.0)),
            Err(e) => typed_err(e),
        },
    ));
    // a header that does not parse puts its error in every field it would have filled
    let mut pair =
        |keys: [&'static str; 2], v: Result<Option<[String; 2]>, simple_sip::Error>| match v {
            Ok(Some(vals)) => keys.into_iter().zip(vals).for_each(|(k, v)| fields.push((k, v))),
            Ok(None) => {}
            Err(e) => keys.into_iter().for_each(|k| fields.push((k, typed_err(e)))),
        };
    pair(
        ["cseq_seq", "cseq_method"],
        msg.typed::<CSeq<'_>>()
            .map(|c| c.map(|c| [c.seq.to_string(), json_str(c.method.as_str())])),
    );
    pair(
        ["from_uri", "from_tag"],
        msg.typed::<FromHeader<'_>>()
            .map(|f| f.map(|f| [json_str(&f.uri.to_string()), opt(f.tag())])),
    );
    pair(
        ["to_uri", "to_tag"],
        msg.typed::<ToHeader<'_>>()
            .map(|t| t.map(|t| [json_str(&t.uri.to_string()), opt(t.tag())])),
    );
    let vias: Vec<Result<Via<'_>, _>> = msg.typed_all::<Via<'_>>().collect();
    fields.push(("via_count", vias.len().to_string()));
    if let Some(first) = vias.first() {
        fields.push((
            "via_branch",
            match first {
                Ok(v) => opt(v.branch()),
                Err(e) => typed_err(*e),
            },
        ));
    }
    fields.push(("body_len", msg.body().len().to_string()));
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}:{v}", json_str(k))).collect();
    println!("{{{}}}", body.join(","));
}
