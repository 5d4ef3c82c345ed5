//! Watcher information documents (RFC 3858): every example of RFCs 3857, 3858, 4660 and 4825
//! (copied to tests/vectors with their manifest lines) read, written back the same, and what
//! we write validates against the RFC schema; a partial document merges into the view by
//! watcher id (the RFC 3857 §5 flow); malformed documents are refused with the path; random
//! documents round-trip.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

mod common;

use proptest::prelude::*;
use simple_pidf::ErrorKind;
use simple_pidf::winfo::{
    State, Watcher, WatcherEvent, WatcherInfo, WatcherList, WatcherStatus, WinfoView,
};

const VECTORS: [&str; 7] = [
    "rfc3857/rfc3857-sec3.1-NOTIFY.body-watcherinfo.xml",
    "rfc3857/rfc3857-sec5-NOTIFY.body-watcherinfo.xml",
    "rfc3857/rfc3857-sec5-NOTIFY-2.body-watcherinfo.xml",
    "rfc3858/rfc3858-sec5-watcherinfo.xml",
    "rfc4660/rfc4660-sec7.2-watcherinfo.xml",
    "rfc4660/rfc4660-sec7.2.3-watcherinfo.xml",
    "rfc4825/rfc4825-sec6.3-watcherinfo.xml",
];

#[test]
fn every_example_reads_and_round_trips_and_validates() {
    let mut written = Vec::new();
    for v in VECTORS {
        let doc = WatcherInfo::parse(&common::vector(v)).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert!(!doc.lists.is_empty(), "{v}");
        let xml = doc.to_vec();
        assert_eq!(WatcherInfo::parse(&xml).unwrap(), doc, "{v}");
        written.push((v.to_owned(), xml));
    }
    let rfc3858 = WatcherInfo::parse(&common::vector(VECTORS[3])).unwrap();
    assert_eq!((rfc3858.version, rfc3858.state), (0, State::Full));
    let l = &rfc3858.lists[0];
    assert_eq!(
        (l.resource.as_str(), l.package.as_str()),
        ("sip:professor@example.net", "presence")
    );
    assert_eq!(l.watchers[0].duration_subscribed, Some(509));
    assert_eq!(l.watchers[1].display_name.as_deref(), Some("Mr. Subscriber"));
    assert_eq!(
        (l.watchers[1].status, l.watchers[1].event),
        (WatcherStatus::Pending, WatcherEvent::Subscribe)
    );
    if common::xmllint() {
        let failures = common::validate_with("watcherinfo.xsd", &written);
        assert!(failures.is_empty(), "{failures:#?}");
    }
}

/// RFC 3857 §5: full state with a pending watcher, then a partial document approving it.
#[test]
fn the_rfc3857_flow_merges() {
    let mut view = WinfoView::new();
    let first = WatcherInfo::parse(&common::vector(VECTORS[1])).unwrap();
    let second = WatcherInfo::parse(&common::vector(VECTORS[2])).unwrap();
    assert!(!view.apply(&second), "a partial document before full state");
    assert!(view.apply(&first));
    assert_eq!(view.lists()[0].watchers[0].status, WatcherStatus::Pending);
    assert!(view.apply(&second));
    let w = &view.lists()[0].watchers[0];
    assert_eq!(
        (w.id.as_str(), w.status, w.event),
        ("77ajsyy76", WatcherStatus::Active, WatcherEvent::Approved)
    );
    assert_eq!(view.version(), Some(1));
    assert!(!view.apply(&second), "the same version again is stale");
    let mut gap = second.clone();
    gap.version = 5;
    assert!(!view.apply(&gap), "a version gap needs full state");
}

#[test]
fn malformed_documents_are_refused_with_the_path() {
    let cases: [(&[u8], ErrorKind); 5] = [
        (br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" state="full"/>"#, ErrorKind::MissingAttribute("version")),
        (br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="x" state="full"/>"#, ErrorKind::InvalidValue("version")),
        (br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="some"/>"#, ErrorKind::InvalidValue("state")),
        (br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="x"/>"#, ErrorKind::UnexpectedRoot),
        (br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full"><watcher-list resource="r" package="presence"><watcher id="a" status="gone" event="subscribe">sip:a@b</watcher></watcher-list></watcherinfo>"#, ErrorKind::InvalidValue("status")),
    ];
    for (xml, kind) in cases {
        let e = WatcherInfo::parse(xml).unwrap_err();
        assert_eq!(e.kind(), kind, "{}", String::from_utf8_lossy(xml));
        assert!(e.path().starts_with('/'), "{}", e.path());
    }
    let e = WatcherInfo::parse(br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full"><watcher-list resource="r"/></watcherinfo>"#).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingAttribute("package"));
    assert!(e.path().contains("watcher-list"), "{}", e.path());
}

fn status() -> impl Strategy<Value = WatcherStatus> {
    prop_oneof![
        Just(WatcherStatus::Pending),
        Just(WatcherStatus::Active),
        Just(WatcherStatus::Waiting),
        Just(WatcherStatus::Terminated)
    ]
}

fn event() -> impl Strategy<Value = WatcherEvent> {
    prop_oneof![
        Just(WatcherEvent::Subscribe),
        Just(WatcherEvent::Approved),
        Just(WatcherEvent::Deactivated),
        Just(WatcherEvent::Probation),
        Just(WatcherEvent::Rejected),
        Just(WatcherEvent::Timeout),
        Just(WatcherEvent::Giveup),
        Just(WatcherEvent::Noresource)
    ]
}

fn watcher() -> impl Strategy<Value = Watcher> {
    (
        "[a-zA-Z0-9]{1,12}",
        "sip:[a-z]{1,8}@[a-z]{1,8}\\.(com|net)",
        status(),
        event(),
        proptest::option::of("[ -~]{0,16}"),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(id, uri, st, ev, name, exp, dur)| {
            let mut w = Watcher::new(&id, &uri, st, ev);
            w.display_name = name;
            w.expiration = exp.map(u64::from);
            w.duration_subscribed = dur.map(u64::from);
            w
        })
}

proptest! {
    #[test]
    fn random_documents_round_trip(
        version in any::<u32>(),
        partial in any::<bool>(),
        lists in proptest::collection::vec(("sip:[a-z]{1,8}@example\\.com", proptest::collection::vec(watcher(), 0..5)), 0..3),
    ) {
        let doc = WatcherInfo {
            version: u64::from(version),
            state: if partial { State::Partial } else { State::Full },
            lists: lists.into_iter().map(|(r, ws)| {
                let mut l = WatcherList::new(&r, "presence");
                l.watchers = ws;
                l
            }).collect(),
        };
        let xml = doc.to_vec();
        prop_assert_eq!(WatcherInfo::parse(&xml).unwrap(), doc);
    }
}
