//! The client core against the server core in process, and the proptests: PUT then GET
//! gives what was put; random element operations leave a valid document, and a client's
//! copy (kept by its own writes, or by xcap-diff from another client's) equals the server's.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is a panic")]

mod common;

use bytes::Bytes;
use proptest::prelude::*;
use simple_xcap::{
    DiffProcessing, DocumentSelector, MemoryStorage, Outcome, RESOURCE_LISTS_NS, ServerConfig,
    Usage, XcapClient, XcapDiff, XcapServer, XcapUri,
};

const ROOT: &str = "http://xcap.example.com/xcap-root";
const ME: &str = "sip:alice@example.com";

fn doc() -> DocumentSelector {
    DocumentSelector::user("resource-lists", ME, "index")
}

fn node(sel: &str) -> XcapUri {
    XcapUri::node(doc(), sel).unwrap()
}

fn server() -> XcapServer {
    XcapServer::new(ServerConfig::new(ROOT), MemoryStorage::new(), 9)
}

fn exchange(
    c: &mut XcapClient,
    s: &mut XcapServer,
    build: impl FnOnce(&XcapClient) -> http::Request<Bytes>,
) -> Outcome {
    let r = build(c);
    let answer = s.handle(&r, Some(ME));
    c.handle_response(&r, &answer)
}

fn server_doc(s: &mut XcapServer) -> String {
    let r = s.handle(
        &common::get("/xcap-root/resource-lists/users/sip:alice@example.com/index"),
        Some(ME),
    );
    String::from_utf8(r.body().to_vec()).unwrap()
}

const FIRST: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n <list name=\"friends\">\n </list>\n</resource-lists>";

#[test]
fn the_cache_follows_our_writes_and_makes_them_conditional() {
    let mut s = server();
    let mut c = XcapClient::new(ROOT);
    let whole = XcapUri::document(doc());
    let put = c.put(&whole, FIRST);
    assert_eq!(put.headers()["content-type"], "application/resource-lists+xml");
    assert!(matches!(exchange(&mut c, &mut s, |_| put.clone()), Outcome::Done { status: 201, .. }));
    let e1 = c.document(&doc()).unwrap().etag.clone();
    // a conditional GET of what we hold: 304
    assert_eq!(exchange(&mut c, &mut s, |k| k.get(&whole)), Outcome::NotModified);
    // element and attribute writes carry If-Match and are applied to our copy
    let add = c.put(
        &node("resource-lists/list/entry[@uri=\"sip:bob@example.com\"]"),
        "<entry uri=\"sip:bob@example.com\"/>",
    );
    assert_eq!(add.headers()["if-match"], format!("\"{e1}\"").as_str());
    assert!(matches!(exchange(&mut c, &mut s, |_| add.clone()), Outcome::Done { status: 201, .. }));
    let rename = c.put(&node("resource-lists/list/@name"), "\"buddies\"");
    assert_eq!(rename.headers()["content-type"], "application/xcap-att+xml");
    assert!(matches!(
        exchange(&mut c, &mut s, |_| rename.clone()),
        Outcome::Done { status: 200, .. }
    ));
    let copy = c.document(&doc()).unwrap();
    assert_ne!(copy.etag, e1);
    assert_eq!(copy.document.to_string(), server_doc(&mut s));
    // someone else changes the document: our next write is refused and the copy dropped
    let other = common::put(
        "/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list/entry%5b@uri=%22sip:x@y%22%5d",
        "application/xcap-el+xml",
        "<entry uri=\"sip:x@y\"/>",
    );
    assert_eq!(s.handle(&other, Some(ME)).status(), 201);
    let del = c.delete(&node("resource-lists/list/entry[@uri=\"sip:bob@example.com\"]"));
    assert_eq!(exchange(&mut c, &mut s, |_| del.clone()), Outcome::Stale);
    assert!(c.document(&doc()).is_none());
    assert!(matches!(
        exchange(&mut c, &mut s, |k| k.get(&whole)),
        Outcome::Done { status: 200, .. }
    ));
    assert_eq!(c.document(&doc()).unwrap().document.to_string(), server_doc(&mut s));
    // a refused write says why
    let bad = c.put(
        &node("resource-lists/list/entry[@uri=\"sip:n@x\"]"),
        "<entry uri=\"sip:n@x\"><bogus/></entry>",
    );
    assert!(matches!(
        exchange(&mut c, &mut s, |_| bad.clone()),
        Outcome::Conflict(simple_xcap::Conflict::SchemaValidation(_))
    ));
}

#[test]
fn xcap_diff_keeps_another_clients_copy_or_asks_for_a_refetch() {
    let mut s = server();
    let mut writer = XcapClient::new(ROOT);
    let mut reader = XcapClient::new(ROOT);
    let whole = XcapUri::document(doc());
    exchange(&mut writer, &mut s, |k| k.put(&whole, FIRST));
    exchange(&mut reader, &mut s, |k| k.get(&whole));
    while s.poll_change().is_some() {}
    for u in ["sip:a@x", "sip:b@x"] {
        let r = writer.put(
            &node(&format!("resource-lists/list/entry[@uri=\"{u}\"]")),
            format!("<entry uri=\"{u}\"/>"),
        );
        exchange(&mut writer, &mut s, |_| r.clone());
    }
    let mut diff = XcapDiff::new("http://xcap.example.com/xcap-root/");
    while let Some(c) = s.poll_change() {
        diff.push_change(&c, RESOURCE_LISTS_NS, DiffProcessing::XcapPatching);
    }
    let read = XcapDiff::parse(&diff.to_vec()).unwrap();
    assert!(reader.apply_diff(&read).is_empty());
    assert_eq!(reader.document(&doc()).unwrap().document.to_string(), server_doc(&mut s));
    assert_eq!(reader.document(&doc()).unwrap().etag, writer.document(&doc()).unwrap().etag);
    // entity tags only (no-patching) for a copy that is behind: fetch again
    let r = writer
        .put(&node("resource-lists/list/entry[@uri=\"sip:c@x\"]"), "<entry uri=\"sip:c@x\"/>");
    exchange(&mut writer, &mut s, |_| r.clone());
    let mut diff = XcapDiff::new("http://xcap.example.com/xcap-root/");
    while let Some(c) = s.poll_change() {
        diff.push_change(&c, RESOURCE_LISTS_NS, DiffProcessing::NoPatching);
    }
    assert_eq!(reader.apply_diff(&diff), [doc()]);
    assert!(reader.document(&doc()).is_none());
}

/// An element, attribute and operation the strategies draw.
#[derive(Debug, Clone)]
enum Op {
    Add { list: usize, uri: String, name: Option<String> },
    Replace { list: usize, index: usize, uri: String },
    Remove { list: usize, index: usize },
    Rename { list: usize, name: String },
    AddList { name: String },
}

fn text() -> impl Strategy<Value = String> {
    // names with markup characters, quotes and non-ASCII
    proptest::string::string_regex("[a-zA-Z0-9 <>&\"'é.-]{0,12}").unwrap()
}

fn user() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z]{1,3}")
        .unwrap()
        .prop_map(|u| format!("sip:{u}@example.com"))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, user(), proptest::option::of(text())).prop_map(|(list, uri, name)| Op::Add {
            list,
            uri,
            name
        }),
        (0..3usize, 1..4usize, user()).prop_map(|(list, index, uri)| Op::Replace {
            list,
            index,
            uri
        }),
        (0..3usize, 1..4usize).prop_map(|(list, index)| Op::Remove { list, index }),
        (0..3usize, text()).prop_map(|(list, name)| Op::Rename { list, name }),
        text().prop_map(|name| Op::AddList { name }),
    ]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;")
}

fn sel_value(s: &str) -> String {
    // a node selector's attribute value: an XML AttValue in double quotes
    esc(s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn put_then_get_returns_what_was_put(uri in user(), name in text(), value in text()) {
        let mut s = server();
        let mut c = XcapClient::new(ROOT);
        exchange(&mut c, &mut s, |k| k.put(&XcapUri::document(doc()), FIRST));
        // the text as the writer escapes it: a GET gives the element as stored (RFC 4825 §8.3)
        let mut shown = Vec::new();
        simple_patch::escape_text(&name, &mut shown);
        let shown = String::from_utf8(shown).unwrap();
        let el = format!("<entry uri=\"{}\"><display-name>{shown}</display-name></entry>", esc(&uri));
        let at = node(&format!("resource-lists/list/entry[@uri=\"{}\"]", sel_value(&uri)));
        let put = exchange(&mut c, &mut s, |k| k.put(&at, el.clone()));
        prop_assert!(matches!(put, Outcome::Done { .. }), "{put:?}");
        let Outcome::Done { body, .. } = exchange(&mut c, &mut s, |k| k.get(&at)) else { panic!() };
        let got = simple_patch::Document::parse(&body).unwrap();
        let want = simple_patch::Document::parse(el.as_bytes()).unwrap();
        prop_assert!(got.equivalent(&want), "{:?} for {el}", String::from_utf8_lossy(&body));
        // an attribute, written bare, comes back as the quoted AttValue of the same value
        let attr = node("resource-lists/list/@name");
        let bare = esc(&value).replace('\'', "&apos;");
        exchange(&mut c, &mut s, |k| k.put(&attr, bare));
        let Outcome::Done { body, .. } = exchange(&mut c, &mut s, |k| k.get(&attr)) else { panic!() };
        let mut want = Vec::new();
        simple_patch::escape_attr(&value, &mut want);
        prop_assert_eq!(body.to_vec(), [b"\"".as_slice(), &want, b"\""].concat());
    }

    #[test]
    fn element_operations_keep_the_document_valid_and_copies_equal(ops in proptest::collection::vec(op(), 1..24)) {
        let mut s = server();
        let mut c = XcapClient::new(ROOT);
        let mut watcher = XcapClient::new(ROOT);
        exchange(&mut c, &mut s, |k| k.put(&XcapUri::document(doc()), FIRST));
        exchange(&mut watcher, &mut s, |k| k.get(&XcapUri::document(doc())));
        while s.poll_change().is_some() {}
        for op in ops {
            let list = |i: usize| format!("resource-lists/list[{}]", i + 1);
            let (uri, body) = match &op {
                Op::Add { list: l, uri, name } => {
                    let mut b = format!("<entry uri=\"{}\">", esc(uri));
                    if let Some(n) = name {
                        b.push_str(&format!("<display-name>{}</display-name>", esc(n)));
                    }
                    b.push_str("</entry>");
                    (node(&format!("{}/entry[@uri=\"{}\"]", list(*l), sel_value(uri))), Some(b))
                }
                Op::Replace { list: l, index, uri } => (
                    node(&format!("{}/entry[{index}]", list(*l))),
                    Some(format!("<entry uri=\"{}\"/>", esc(uri))),
                ),
                Op::Remove { list: l, index } => (node(&format!("{}/entry[{index}]", list(*l))), None),
                Op::Rename { list: l, name } => (node(&format!("{}/@name", list(*l))), Some(format!("\"{}\"", esc(name)))),
                Op::AddList { name } => (
                    node(&format!("resource-lists/list[@name=\"{}\"]", sel_value(name))),
                    Some(format!("<list name=\"{}\"/>", esc(name))),
                ),
            };
            let r = match body {
                Some(b) => c.put(&uri, b),
                None => c.delete(&uri),
            };
            let answer = s.handle(&r, Some(ME));
            let out = c.handle_response(&r, &answer);
            // success or a precise refusal, never anything else
            prop_assert!(
                matches!(out, Outcome::Done { .. } | Outcome::Conflict(_)) || matches!(out, Outcome::Failed(404)),
                "{op:?}: {out:?}"
            );
            if c.document(&doc()).is_none() {
                exchange(&mut c, &mut s, |k| k.get(&XcapUri::document(doc())));
            }
        }
        let now = server_doc(&mut s);
        let parsed = simple_patch::Document::parse(now.as_bytes()).unwrap();
        prop_assert!(Usage::resource_lists().check_document(&parsed).is_ok(), "{now}");
        prop_assert_eq!(&c.document(&doc()).unwrap().document.to_string(), &now);
        let mut diff = XcapDiff::new("http://xcap.example.com/xcap-root/");
        while let Some(ch) = s.poll_change() {
            diff.push_change(&ch, RESOURCE_LISTS_NS, DiffProcessing::Aggregate);
        }
        let read = XcapDiff::parse(&diff.to_vec()).unwrap();
        prop_assert!(watcher.apply_diff(&read).is_empty());
        prop_assert_eq!(watcher.document(&doc()).unwrap().document.to_string(), now);
    }
}
