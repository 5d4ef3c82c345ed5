//! The xcap-diff event package (RFC 5875) under arbitrary subscriptions and changes:
//! SUBSCRIBE bodies (fuzzed resource-lists, or lists built from fuzzed URIs) in every
//! diff-processing mode, refreshes, ends, and XCAP requests by two users changing the
//! documents, with NOTIFY bodies asked for in between.
//!
//! Invariants: no panic; every body reads as an xcap-diff document; nothing is shown to a
//! watcher that it may not read (only its own `users/` tree and `global`); and nothing is
//! lost: for every document a subscription watches, the entity tags it is told chain up — a
//! change's previous tag is the last tag the watcher was told — and after each body the last
//! tag told is the document's current one.
#![no_main]

use std::collections::HashMap;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use simple_sip::event::{BodyRequest, EventPackage, NotifierSub, SubscribeRequest};
use simple_sip::headers::EventHeader;
use simple_sip::headers::TypedHeader;
use simple_xcap::{
    DiffEntry, MemoryStorage, ServerConfig, Storage, XcapDiff, XcapDiffPackage, XcapServer,
};

const USERS: [&str; 2] = ["sip:joe@example.com", "sip:eve@example.com"];
const MODES: [&str; 4] = [
    "",
    ";diff-processing=no-patching",
    ";diff-processing=xcap-patching",
    ";diff-processing=aggregate",
];
const URIS: [&str; 8] = [
    "resource-lists/users/sip:joe@example.com/index",
    "resource-lists/users/sip:joe@example.com/",
    "resource-lists/",
    "resource-lists/users/sip:eve@example.com/index",
    "resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22a%22%5d",
    "resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list/@name",
    "http://xcap.example.com/xcap-root/resource-lists/users/sip:joe@example.com/other",
    "pres-rules/users/sip:joe@example.com/index",
];

/// What one subscription was told: the last entity tag of each document (`None`: removed).
#[derive(Default)]
struct Seen {
    watcher: usize,
    tags: HashMap<String, Option<String>>,
}

fuzz_target!(|data: &[u8]| {
    let server = XcapServer::new(
        ServerConfig::new("http://xcap.example.com/xcap-root"),
        MemoryStorage::new(),
        5,
    );
    let mut pkg = XcapDiffPackage::new(server);
    let mut seen: HashMap<u64, Seen> = HashMap::new();
    let now = std::time::Instant::now();
    for chunk in data.split(|&b| b == 0).take(48) {
        let Some((&op, rest)) = chunk.split_first() else { continue };
        let text = String::from_utf8_lossy(rest);
        let id = u64::from(op & 3);
        let sub = NotifierSub::from_raw(id);
        let watcher = usize::from((op >> 2) & 1);
        match op >> 5 {
            // subscribe or refresh with a list from URIS (bits of the first byte) or the raw text
            0 | 1 => {
                let body = if op & 16 != 0 {
                    text.to_string()
                } else {
                    let mask = rest.first().copied().unwrap_or(1);
                    let mut b = String::from(
                        "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list>",
                    );
                    for (i, u) in URIS.iter().enumerate() {
                        if mask & (1 << i) != 0 {
                            b.push_str(&format!("<entry uri=\"{u}\"/>"));
                        }
                    }
                    b.push_str("</list></resource-lists>");
                    b
                };
                let event_text = format!("xcap-diff{}", MODES[usize::from(op >> 3) & 3]);
                let Ok(event) = EventHeader::parse(event_text.as_bytes()) else { continue };
                let refresh = seen.contains_key(&id);
                let prior = refresh && seen[&id].watcher != watcher;
                let w = if prior { seen[&id].watcher } else { watcher };
                let ok = pkg.subscribing(&SubscribeRequest {
                    sub,
                    refresh,
                    resource: "sip:tests@example.com",
                    watcher: USERS[w],
                    event: &event,
                    content_type: Some("application/resource-lists+xml"),
                    body: body.as_bytes(),
                });
                if ok.is_ok() {
                    // a refresh answers with full state: what was told is replaced
                    seen.insert(id, Seen { watcher: w, tags: HashMap::new() });
                    notify(&mut pkg, &mut seen, id, true, now);
                } else if !refresh {
                    assert!(pkg.len() <= seen.len());
                }
            }
            // an XCAP request by one of the users
            2 | 3 | 4 => {
                let (path, body) = text.split_once('\n').unwrap_or((&text, ""));
                let method = ["PUT", "DELETE", "PUT"][usize::from(op >> 5) - 2];
                let ctype = if path.contains("~~") {
                    "application/xcap-el+xml"
                } else {
                    "application/resource-lists+xml"
                };
                let target = format!(
                    "/xcap-root/resource-lists/users/{}/{}",
                    USERS[watcher],
                    path.trim_start_matches('/')
                );
                let Ok(req) = http::Request::builder()
                    .method(method)
                    .uri(&target)
                    .header("Content-Type", ctype)
                    .body(Bytes::from(body.to_owned()))
                else {
                    continue;
                };
                let _ = pkg.server_mut().handle(&req, Some(USERS[watcher]));
                while let Some(change) = pkg.server_mut().poll_change() {
                    let _ = pkg.record(&change);
                }
            }
            // a NOTIFY is due (partial state)
            5 | 6 => {
                if seen.contains_key(&id) {
                    notify(&mut pkg, &mut seen, id, false, now);
                }
            }
            // the subscription ends
            _ => {
                pkg.ended(sub);
                seen.remove(&id);
                assert!(pkg.len() <= seen.len());
            }
        }
    }
});

fn notify(
    pkg: &mut XcapDiffPackage,
    seen: &mut HashMap<u64, Seen>,
    id: u64,
    full: bool,
    now: std::time::Instant,
) {
    let sub = NotifierSub::from_raw(id);
    let s = seen.get_mut(&id).expect("subscribed");
    let watcher = USERS[s.watcher];
    let req = BodyRequest {
        sub,
        resource: "sip:tests@example.com",
        watcher,
        accept: &["application/xcap-diff+xml"],
        full,
        now,
    };
    let mut out = Vec::new();
    assert!(pkg.body(&req, &mut out).is_some());
    let diff =
        XcapDiff::parse(&out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)));
    for e in &diff.entries {
        let sel = match e {
            DiffEntry::Document { sel, .. }
            | DiffEntry::Element { sel, .. }
            | DiffEntry::Attribute { sel, .. } => sel,
        };
        let rel = sel.strip_prefix("http://xcap.example.com/xcap-root/").unwrap_or(sel);
        let tree = rel.split('/').nth(1).unwrap_or("");
        let owner = simple_xcap::decode(rel, 0)
            .map(|d| d.split('/').nth(2).unwrap_or("").to_owned())
            .unwrap_or_default();
        assert!(tree == "global" || owner == watcher, "{watcher} was shown {sel}");
        if let DiffEntry::Document { sel, previous_etag, new_etag, .. } = e {
            if !full {
                if let Some(told) = s.tags.get(sel) {
                    assert_eq!(previous_etag, told, "{sel}: the chain of entity tags breaks");
                }
            }
            s.tags.insert(sel.clone(), new_etag.clone());
        }
    }
    // what the watcher was told of each document is where the document is now
    for (sel, tag) in &s.tags {
        let Ok(doc) = simple_xcap::DocumentSelector::parse(sel) else { continue };
        let now = pkg.server().storage().get(&doc).map(|d| d.etag.clone());
        assert_eq!(&now, tag, "{sel}: the watcher's entity tag is stale after a NOTIFY");
    }
}
