//! Interop with Kamailio's XCAP server (`xcap_server`, interop/xcap) on loopback: our client
//! core's requests, and its cached copies kept from Kamailio's answers, against what Kamailio
//! stores: the RFC 4825 §13 walkthrough, attribute reads, conditional writes, and the RFC
//! 4826/5025 documents, which also validate with our usages after Kamailio stored them.
//!
//! Skipped when Kamailio is missing, unless `SIMPLE_RS_REQUIRE_KAMAILIO` is set (CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::wildcard_enum_match_arm,
    reason = "a test"
)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use simple_patch::{Document, NodeKind};
use simple_xcap::{DocumentSelector, Outcome, Ruleset, Usage, XcapClient, XcapUri};

const PORT: u16 = 5361;
const ME: &str = "sip:bill@example.com";

/// One request on its own connection, the answer read to its Content-Length.
fn send(r: &http::Request<Bytes>) -> http::Response<Bytes> {
    let mut s = TcpStream::connect(("127.0.0.1", PORT)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nConnection: close\r\n",
        r.method(),
        r.uri()
    );
    for (k, v) in r.headers() {
        if k != http::header::HOST {
            head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", r.body().len()));
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(r.body()).unwrap();
    // read the head, then as much body as Content-Length says (Kamailio keeps the
    // connection open)
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let end = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the response head");
        raw.extend_from_slice(&buf[..n]);
    };
    let want = String::from_utf8_lossy(&raw[..end])
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        })
        .unwrap_or(0);
    while raw.len() < end + want {
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.lines();
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let mut b = http::Response::builder().status(status);
    let mut len = raw.len() - end;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(len);
            }
            b = b.header(k.trim(), v.trim());
        }
    }
    b.body(Bytes::copy_from_slice(&raw[end..(end + len).min(raw.len())])).unwrap()
}

/// Elements, attributes and non-blank text in document order: two documents that say the
/// same, white space between elements aside.
fn shape(doc: &Document) -> String {
    let mut out = String::new();
    for n in doc.descendants(Document::ROOT) {
        match doc.kind(n) {
            NodeKind::Element(e) => {
                let mut attrs: Vec<String> =
                    e.plain_attributes().map(|a| format!("{}={}", a.name, a.value)).collect();
                attrs.sort();
                out.push_str(&format!(
                    "<{}{{{}}} {}>",
                    e.name.local(),
                    doc.namespace(n).unwrap_or(""),
                    attrs.join(" ")
                ));
            }
            NodeKind::Text(t) if !t.trim().is_empty() => out.push_str(t.trim()),
            _ => {}
        }
    }
    out
}

struct Checks(Vec<(String, bool)>);

impl Checks {
    fn check(&mut self, what: &str, ok: bool, detail: impl core::fmt::Debug) {
        eprintln!(
            "{} {what}{}",
            if ok { "PASS" } else { "FAIL" },
            if ok { String::new() } else { format!(": {detail:?}") }
        );
        self.0.push((what.to_owned(), ok));
    }
}

fn run(
    c: &mut XcapClient,
    build: impl FnOnce(&XcapClient) -> http::Request<Bytes>,
) -> (Outcome, http::Response<Bytes>) {
    let r = build(c);
    let answer = send(&r);
    (c.handle_response(&r, &answer), answer)
}

fn kamailio_doc(sel: &DocumentSelector) -> Option<Document> {
    let c = XcapClient::new(&format!("http://127.0.0.1:{PORT}/xcap-root"));
    let r = send(&c.get(&XcapUri::document(sel.clone())));
    (r.status() == 200).then(|| Document::parse(r.body()).unwrap())
}

#[test]
fn kamailio_xcap_server() {
    let required = std::env::var_os("SIMPLE_RS_REQUIRE_KAMAILIO").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let kamailio = Command::new("kamailio").arg("-v").output().is_ok_and(|o| o.status.success());
    let modules = Command::new("bash")
        .arg(root.join("interop/kamailio-modules.sh"))
        .output()
        .is_ok_and(|o| {
            o.status.success()
                && std::path::Path::new(String::from_utf8_lossy(&o.stdout).trim())
                    .join("xcap_server.so")
                    .exists()
        });
    if !(kamailio && modules) {
        assert!(!required, "kamailio {kamailio}, xcap_server module {modules}");
        eprintln!("Kamailio with xcap_server is not installed: interop run skipped");
        return;
    }
    let run_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xcap-kamailio");
    let started = Command::new("bash")
        .arg(root.join("interop/xcap/start.sh"))
        .env("KAM_RUN", &run_dir)
        .env("KAM_XCAP_PORT", PORT.to_string())
        .status()
        .unwrap();
    assert!(started.success(), "Kamailio did not start");
    let mut checks = Checks(Vec::new());
    let mut c = XcapClient::new(&format!("http://127.0.0.1:{PORT}/xcap-root"));
    let rl = DocumentSelector::user("resource-lists", ME, "index");

    // RFC 4825 §13, through our client
    let first = String::from_utf8(common::vector(
        "rfc4825/rfc4825-sec13-PUT.unfolded.body-resource-lists.xml",
    ))
    .unwrap();
    let (o, a) = run(&mut c, |k| k.put(&XcapUri::document(rl.clone()), first.clone()));
    checks.check(
        "PUT resource-lists document",
        matches!(o, Outcome::Done { .. }) && a.headers().contains_key("etag"),
        &o,
    );
    let (o, _) = run(&mut c, |k| k.get(&XcapUri::document(rl.clone())));
    checks.check(
        "conditional GET of the cached document (304 or 200)",
        matches!(o, Outcome::NotModified | Outcome::Done { status: 200, .. }),
        &o,
    );
    let steps = [
        (
            "resource-lists/list[@name=\"friends\"]/entry",
            "rfc4825/rfc4825-sec13-PUT-3.unfolded.body-entry.xml",
            "PUT element entry (bob)",
        ),
        (
            "resource-lists/list[@name=\"friends\"]/list[@name=\"close-friends\"]",
            "rfc4825/rfc4825-sec13-PUT-4.unfolded.body-list.xml",
            "PUT element list (close-friends)",
        ),
    ];
    for (sel, body, what) in steps {
        let body = String::from_utf8(common::vector(body)).unwrap().replace("\r\n", "\n");
        let (o, _) = run(&mut c, |k| {
            k.put(&XcapUri::node(rl.clone(), sel).unwrap(), body.trim().to_owned())
        });
        checks.check(what, matches!(o, Outcome::Done { .. }), &o);
        let theirs = kamailio_doc(&rl).map(|d| shape(&d));
        let ours = c.document(&rl).map(|s| shape(&s.document));
        checks.check(
            &format!("{what}: our copy says what Kamailio stores"),
            ours.is_some() && theirs == ours,
            (&theirs, &ours),
        );
    }
    let at = XcapUri::node(rl.clone(), "resource-lists/list/list/entry[2]/@uri").unwrap();
    let (o, _) = run(&mut c, |k| k.get(&at));
    let value = if let Outcome::Done { body, .. } = &o {
        String::from_utf8_lossy(body).into_owned()
    } else {
        String::new()
    };
    checks.check("GET attribute entry[2]/@uri", value.contains("sip:nancy@example.com"), &o);
    let del =
        XcapUri::node(rl.clone(), "resource-lists/list/list/entry[@uri=\"sip:petri@example.com\"]")
            .unwrap();
    let (o, _) = run(&mut c, |k| k.delete(&del));
    checks.check("DELETE element entry (petri)", matches!(o, Outcome::Done { .. }), &o);
    let theirs = kamailio_doc(&rl);
    let ours = c.document(&rl).map(|s| shape(&s.document));
    checks.check(
        "after DELETE our copy says what Kamailio stores",
        ours.is_some() && theirs.as_ref().map(shape) == ours,
        (&theirs.as_ref().map(shape), &ours),
    );
    let valid = theirs.as_ref().map(|d| Usage::resource_lists().check_document(d));
    checks.check(
        "Kamailio's document validates as resource-lists",
        matches!(valid, Some(Ok(()))),
        &valid,
    );
    // a write conditional on an entity tag that is no longer the document's
    let mut stale = c.put(&XcapUri::document(rl.clone()), first.clone());
    stale.headers_mut().insert("if-match", "\"sr-stale\"".parse().unwrap());
    let (o, _) = run(&mut c, |_| stale);
    checks.check(
        "PUT with a stale If-Match is 412 and drops the copy",
        o == Outcome::Stale && c.document(&rl).is_none(),
        &o,
    );
    let (o, _) = run(&mut c, |k| {
        k.get(&XcapUri::document(DocumentSelector::user(
            "resource-lists",
            "sip:nobody@example.com",
            "index",
        )))
    });
    checks.check("GET of a missing document is 404", o == Outcome::Failed(404), &o);

    // the other usages' RFC documents: stored, read back, and understood by us
    let others = [
        ("rls-services", "rfc4826/rfc4826-sec4.3-rls-services.xml", Usage::rls_services()),
        ("pres-rules", "rfc5025/rfc5025-sec6-ruleset.xml", Usage::pres_rules()),
        (
            "pidf-manipulation",
            "rfc4827/rfc4827-sec11-PUT.body-presence.xml",
            Usage::pidf_manipulation(),
        ),
    ];
    for (auid, file, usage) in others {
        let sel = DocumentSelector::user(auid, ME, "index");
        let body = common::vector(file);
        let (o, _) = run(&mut c, |k| k.put(&XcapUri::document(sel.clone()), body.clone()));
        checks.check(&format!("PUT {auid} document"), matches!(o, Outcome::Done { .. }), &o);
        let theirs = kamailio_doc(&sel);
        let same = theirs.as_ref().map(shape) == Some(shape(&Document::parse(&body).unwrap()));
        checks.check(
            &format!("GET {auid} gives the document put"),
            same,
            theirs.as_ref().map(ToString::to_string),
        );
        let valid = theirs.as_ref().map(|d| usage.check_document(d));
        checks.check(
            &format!("{auid} from Kamailio validates"),
            matches!(valid, Some(Ok(()))),
            &valid,
        );
        if auid == "pres-rules" {
            let rules = theirs.as_ref().map(Ruleset::from_document);
            let now = simple_pidf::DateTime::parse("2026-01-01T00:00:00Z").unwrap();
            let allowed = rules.as_ref().and_then(|r| r.as_ref().ok()).map(|r| {
                r.evaluate(&simple_xcap::Context::new(Some("sip:user@example.com"), &now))
                    .sub_handling
            });
            checks.check(
                "pres-rules from Kamailio evaluate (allow for its user)",
                allowed == Some(simple_xcap::SubHandling::Allow),
                allowed,
            );
        }
    }
    let _ = Command::new("bash")
        .arg(root.join("interop/kamailio-stop.sh"))
        .arg(run_dir.join("kamailio.pid"))
        .status();
    let failed: Vec<&str> =
        checks.0.iter().filter(|(_, ok)| !ok).map(|(w, _)| w.as_str()).collect();
    eprintln!("{} passed, {} failed", checks.0.len() - failed.len(), failed.len());
    assert!(failed.is_empty(), "{failed:?}");
}
