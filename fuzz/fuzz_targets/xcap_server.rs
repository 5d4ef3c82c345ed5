//! The XCAP server core under arbitrary request sequences: GET, PUT and DELETE of documents,
//! elements, attributes and namespace bindings, by the owner, another user or nobody, with
//! If-Match / If-None-Match, over documents of every usage seeded from the RFC examples.
//!
//! Invariants: no panic; every answer has a status the server core gives; a 409 carries an
//! xcap-error document that reads; a 2xx PUT carries an entity tag; every stored document
//! still passes its usage's whole-document check (the incremental checks never let through
//! what the full check refuses); every change is reported, with a new entity tag that is the
//! document's; a refused request changes nothing.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use simple_xcap::{MemoryStorage, ServerConfig, Storage, XcapServer};

const ME: &str = "sip:joe@example.com";
const SEEDS: [(&str, &str, &str); 4] = [
    ("resource-lists", "application/resource-lists+xml", "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n <list name=\"friends\">\n  <entry uri=\"sip:bob@example.com\"><display-name>Bob</display-name></entry>\n  <list name=\"close\"><entry uri=\"sip:ann@example.com\"/></list>\n </list>\n</resource-lists>"),
    ("rls-services", "application/rls-services+xml", "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\">\n <service uri=\"sip:mybuddies@example.com\"><resource-list>http://xcap.example.com/x</resource-list><packages><package>presence</package></packages></service>\n</rls-services>"),
    ("pres-rules", "application/auth-policy+xml", "<cr:ruleset xmlns=\"urn:ietf:params:xml:ns:pres-rules\" xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\">\n <cr:rule id=\"a\"><cr:conditions><cr:identity><cr:one id=\"sip:bob@example.com\"/></cr:identity></cr:conditions><cr:actions><sub-handling>allow</sub-handling></cr:actions></cr:rule>\n</cr:ruleset>"),
    ("pidf-manipulation", "application/pidf+xml", "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:joe@example.com\"><tuple id=\"t1\"><status><basic>open</basic></status></tuple></presence>"),
];

fuzz_target!(|data: &[u8]| {
    let mut s = XcapServer::new(ServerConfig::new("http://xcap.example.com/xcap-root"), MemoryStorage::new(), 3);
    for (auid, mime, doc) in SEEDS {
        let r = http::Request::put(format!("/xcap-root/{auid}/users/{ME}/index"))
            .header("Content-Type", mime)
            .body(Bytes::from_static(doc.as_bytes()))
            .expect("a request");
        assert_eq!(s.handle(&r, Some(ME)).status(), 201, "{auid}");
    }
    while s.poll_change().is_some() {}
    for chunk in data.split(|&b| b == 0).take(32) {
        let Some((&op, rest)) = chunk.split_first() else { continue };
        let text = String::from_utf8_lossy(rest);
        let (path, body) = text.split_once('\n').unwrap_or((&text, ""));
        let auid = SEEDS[usize::from(op >> 6)].0;
        let method = ["GET", "PUT", "DELETE", "POST"][usize::from(op & 3)];
        let ctype = ["application/xcap-el+xml", "application/xcap-att+xml", SEEDS[usize::from(op >> 6)].1, "text/plain"]
            [usize::from((op >> 2) & 3)];
        let user = match (op >> 4) & 3 {
            0 | 1 => Some(ME),
            2 => Some("sip:eve@example.com"),
            _ => None,
        };
        let target = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/xcap-root/{auid}/users/{ME}/index/~~/{path}")
        };
        let Ok(mut req) = http::Request::builder().method(method).uri(&target).header("Content-Type", ctype).body(Bytes::from(body.to_owned())) else { continue };
        let key = simple_xcap::DocumentSelector::user(auid, ME, "index");
        let before = s.storage().get(&key).map(|d| (d.etag.clone(), d.document.to_string()));
        if (op >> 4) & 3 == 1 {
            if let Some((etag, _)) = &before {
                let v = if body.len() % 2 == 0 { format!("\"{etag}\"") } else { "\"stale\"".to_owned() };
                req.headers_mut().insert("if-match", v.parse().expect("a quoted tag"));
            }
        }
        let r = s.handle(&req, user);
        let status = r.status().as_u16();
        assert!(
            [200, 201, 304, 400, 401, 403, 404, 405, 409, 412, 413, 414, 415].contains(&status),
            "{status} for {method} {target}"
        );
        if status == 409 {
            simple_xcap::Conflict::parse(r.body()).expect("a 409 carries an xcap-error document");
        }
        if method == "PUT" && (status == 200 || status == 201) {
            assert!(r.headers().contains_key("etag"));
        }
        let changed = s.poll_change();
        assert!(s.poll_change().is_none(), "one request, one change at most");
        let after = s.storage().get(&key).map(|d| (d.etag.clone(), d.document.to_string()));
        match &changed {
            Some(c) => {
                assert!(status == 200 || status == 201, "{status} with a change");
                let now = s.storage().get(&c.document).map(|d| d.etag.clone());
                assert_eq!(c.new_etag, now, "the reported entity tag is the document's");
            }
            None => assert_eq!(before, after, "{status} for {method} {target} changed the document"),
        }
        // the whole-document check agrees with what the incremental checks let through
        for (k, d) in s.storage().iter() {
            let usage = s.usage(&k.auid).expect("a stored document has its usage");
            if let Err(e) = usage.check_document(&d.document) {
                panic!("{method} {target} {body:?} left {k} invalid: {e:?}\n{}", d.document);
            }
        }
    }
});
