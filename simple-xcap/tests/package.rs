//! The xcap-diff event package (RFC 5875) end to end: a simple-sip Subscriber and a Notifier
//! of our package on two Endpoints over a simulated network with a fake clock, while HTTP
//! requests change the documents. Appendix A's walkthrough (a collection listing only what
//! the user may read, a document added to it, element changes in each diff-processing mode,
//! an attribute subscription that reports creation and removal), refreshes, refusals.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::wildcard_enum_match_arm,
    clippy::too_many_lines
)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use simple_patch::Document;
use simple_sip::endpoint::{Endpoint, EndpointConfig, Transport};
use simple_sip::event::{
    Ended, Notifier, NotifierEvent, Subscribe, Subscriber, SubscriberConfig, SubscriberEvent,
    SubscriptionId,
};
use simple_xcap::{
    DiffEntry, MemoryStorage, RESOURCE_LISTS_MIME, ServerConfig, Storage, Usage, XCAP_DIFF_MIME,
    XcapDiff, XcapDiffPackage, XcapServer, apply_patch,
};

use common::{delete, get, put, validate, vector, xmllint};

const JOE: &str = "sip:joe@example.com";
const JOHN: &str = "sip:john@example.com";
const JOE_DIR: &str = "/tests/users/sip:joe@example.com";

fn addr(i: u16) -> SocketAddr {
    format!("127.0.0.1:{}", 5060 + i).parse().unwrap()
}

/// The notifier (node 0) with the XCAP server, and Joe's subscriber (node 1).
struct Net {
    now: Instant,
    notifier_ep: Endpoint,
    notifier: Notifier<XcapDiffPackage>,
    notifier_events: Vec<NotifierEvent>,
    joe_ep: Endpoint,
    joe: Subscriber,
    joe_events: Vec<SubscriberEvent>,
}

impl Net {
    fn new() -> Self {
        let mut config = ServerConfig::new("http://xcap.example.com/");
        // Appendix A's imaginary usage: any well-formed document, no default namespace
        config.usages.push(Usage::unchecked("tests", "application/xml", ""));
        let server = XcapServer::new(config, MemoryStorage::new(), 7);
        let contact = format!("<sip:tests@{}>", addr(0));
        let notifier = Notifier::new(
            XcapDiffPackage::<MemoryStorage>::notifier_config(&contact),
            XcapDiffPackage::new(server),
        );
        Self {
            now: Instant::now(),
            notifier_ep: Endpoint::new(EndpointConfig::new(&addr(0).to_string()), 1),
            notifier,
            notifier_events: Vec::new(),
            joe_ep: Endpoint::new(EndpointConfig::new(&addr(1).to_string()), 2),
            joe: Subscriber::new(SubscriberConfig::default()),
            joe_events: Vec::new(),
        }
    }

    /// An HTTP request as `user`; each change it made goes to the package and the notifier.
    fn http(&mut self, request: &http::Request<Bytes>, user: &str) -> http::Response<Bytes> {
        let package = self.notifier.package_mut();
        let response = package.server_mut().handle(request, Some(user));
        while let Some(change) = self.notifier.package_mut().server_mut().poll_change() {
            for sub in self.notifier.package_mut().record(&change) {
                assert!(self.notifier.notify(&mut self.notifier_ep, sub, self.now));
            }
        }
        self.settle();
        response
    }

    fn etag(&self, path: &str) -> String {
        let doc = simple_xcap::DocumentSelector::parse(path).unwrap();
        self.notifier.package().server().storage().get(&doc).unwrap().etag.clone()
    }

    /// Joe subscribes with `body` (a resource-lists of `uris`, or nothing).
    fn subscribe(&mut self, params: &str, uris: &[&str], content_type: &str) -> SubscriptionId {
        let mut body = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n <list>\n",
        );
        for u in uris {
            body.push_str(&format!("  <entry uri=\"{u}\"/>\n"));
        }
        body.push_str(" </list>\n</resource-lists>\n");
        let contact = format!("<sip:joe@{}>", addr(1));
        let from = format!("<{JOE}>");
        let mut s = Subscribe::new(
            "xcap-diff",
            "sip:tests@xcap.example.com",
            &from,
            &contact,
            addr(0),
            Transport::Udp,
        );
        s.accept = &[XCAP_DIFF_MIME];
        s.event_params = params;
        if !uris.is_empty() {
            s.body = Some((content_type, body.as_bytes()));
        }
        let sub = self.joe.subscribe(&mut self.joe_ep, &s, self.now);
        self.settle();
        sub
    }

    /// Delivers everything in flight, with no loss, until nothing moves.
    fn settle(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            while let Some(t) = self.notifier_ep.poll_transmit() {
                assert_eq!(t.destination, addr(1));
                self.joe_ep.handle_datagram(addr(0), Transport::Udp, &t.contents, self.now);
                moved = true;
            }
            while let Some(t) = self.joe_ep.poll_transmit() {
                assert_eq!(t.destination, addr(0));
                self.notifier_ep.handle_datagram(addr(1), Transport::Udp, &t.contents, self.now);
                moved = true;
            }
            while let Some(ev) = self.notifier_ep.poll_event() {
                let rest = self.notifier.handle(&mut self.notifier_ep, ev, self.now);
                assert!(rest.is_none(), "the notifier takes every request here: {rest:?}");
                moved = true;
            }
            while let Some(ev) = self.joe_ep.poll_event() {
                let rest = self.joe.handle(&mut self.joe_ep, ev, self.now);
                assert!(rest.is_none(), "the subscriber takes every request here: {rest:?}");
                moved = true;
            }
            while let Some(e) = self.notifier.poll_event() {
                self.notifier_events.push(e);
            }
            while let Some(e) = self.joe.poll_event() {
                self.joe_events.push(e);
            }
            if !moved {
                return;
            }
        }
        panic!("the network never settled");
    }

    /// Moves the clock to the next deadline of anyone (at most `limit` ahead).
    fn tick(&mut self, limit: Duration) -> bool {
        let deadlines = [
            self.notifier_ep.poll_timeout().map(|t| t.0),
            self.joe_ep.poll_timeout().map(|t| t.0),
            self.notifier.poll_timeout().map(|t| t.0),
            self.joe.poll_timeout().map(|t| t.0),
        ];
        let Some(next) = deadlines.into_iter().flatten().min() else { return false };
        if next > self.now + limit {
            return false;
        }
        self.now = self.now.max(next);
        self.notifier_ep.handle_timeout(self.now);
        self.joe_ep.handle_timeout(self.now);
        self.notifier.handle_timeout(&mut self.notifier_ep, self.now);
        self.joe.handle_timeout(&mut self.joe_ep, self.now);
        self.settle();
        true
    }

    /// The next NOTIFY body Joe got for `sub`, waiting out rate limits (up to 30 s).
    fn notify(&mut self, sub: SubscriptionId) -> Vec<u8> {
        let start = self.now;
        loop {
            if let Some(i) = self
                .joe_events
                .iter()
                .position(|e| matches!(e, SubscriberEvent::Notify { sub: s, .. } if *s == sub))
            {
                let SubscriberEvent::Notify { content_type, body, .. } = self.joe_events.remove(i)
                else {
                    unreachable!()
                };
                assert_eq!(content_type.as_deref(), Some(XCAP_DIFF_MIME));
                return body.to_vec();
            }
            let left = Duration::from_secs(30).saturating_sub(self.now - start);
            assert!(self.tick(left), "no NOTIFY for {sub:?} within 30 s: {:?}", self.joe_events);
        }
    }

    /// Whether Joe has an unread NOTIFY for `sub`, after the clock ran `wait`.
    fn quiet(&mut self, sub: SubscriptionId, wait: Duration) -> bool {
        let until = self.now + wait;
        while self.tick(until.saturating_duration_since(self.now)) {}
        !self
            .joe_events
            .iter()
            .any(|e| matches!(e, SubscriberEvent::Notify { sub: s, .. } if *s == sub))
    }
}

fn parse(body: &[u8]) -> XcapDiff {
    XcapDiff::parse(body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

fn doc_entry(e: &DiffEntry) -> (&str, Option<&str>, Option<&str>, Option<&str>) {
    match e {
        DiffEntry::Document { sel, previous_etag, new_etag, patch, .. } => {
            (sel, previous_etag.as_deref(), new_etag.as_deref(), patch.as_deref())
        }
        other => panic!("not a document entry: {other:?}"),
    }
}

/// The entries of `sub`'s NOTIFYs (kept in `bodies` as `label`) up to the one that tells
/// `etag`.
fn entries_until(
    net: &mut Net,
    sub: SubscriptionId,
    etag: &str,
    label: &str,
    bodies: &mut Vec<(String, Vec<u8>)>,
) -> Vec<DiffEntry> {
    let mut entries = Vec::new();
    while entries.last().map(|e| doc_entry(e).2) != Some(Some(etag)) {
        let body = net.notify(sub);
        bodies.push((label.to_owned(), body.clone()));
        entries.extend(parse(&body).entries);
    }
    entries
}

fn put_doc(net: &mut Net, path: &str, xml: &[u8]) {
    let r = net.http(&put(path, "application/xml", &String::from_utf8_lossy(xml)), JOE);
    assert!(r.status().is_success(), "{path}: {r:?}");
}

#[test]
fn appendix_a_walkthrough() {
    let mut net = Net::new();
    let mut bodies: Vec<(String, Vec<u8>)> = Vec::new();
    // A.1: Joe's and John's documents
    put_doc(&mut net, &format!("{JOE_DIR}/index"), &vector("rfc5875/rfc5875-secA.1-doc.xml"));
    let r = net.http(
        &put(
            "/tests/users/sip:john@example.com/index",
            "application/xml",
            &String::from_utf8(vector("rfc5875/rfc5875-secA.1-doc-2.xml")).unwrap(),
        ),
        JOHN,
    );
    assert!(r.status().is_success());

    // A.2: Joe subscribes to his collection; the first NOTIFY lists his document only
    let sub = net.subscribe(
        ";diff-processing=aggregate",
        &["tests/users/sip:joe@example.com/"],
        RESOURCE_LISTS_MIME,
    );
    let body = net.notify(sub);
    bodies.push(("A.2 NOTIFY".into(), body.clone()));
    let first = parse(&body);
    assert_eq!(first.xcap_root, "http://xcap.example.com/");
    let index_etag = net.etag("tests/users/sip:joe@example.com/index");
    assert_eq!(first.entries.len(), 1, "{first:?}");
    assert_eq!(
        doc_entry(&first.entries[0]),
        ("tests/users/sip:joe@example.com/index", None, Some(index_etag.as_str()), None)
    );
    // the RFC's NOTIFY, but for the entity tag
    let mut rfc = parse(&vector("rfc5875/rfc5875-secA.2-NOTIFY.body-xcap-diff.xml"));
    if let DiffEntry::Document { new_etag, .. } = &mut rfc.entries[0] {
        *new_etag = Some(index_etag.clone());
    }
    assert_eq!(first, rfc);
    // the subscription is announced with its watcher
    assert!(net.notifier_events.iter().any(|e| matches!(
        e,
        NotifierEvent::Subscribed { watcher, .. } if watcher == JOE
    )));

    // Joe's other clients: the index document alone, in the other two modes
    let patching = net.subscribe(
        ";diff-processing=xcap-patching",
        &["tests/users/sip:joe@example.com/index"],
        RESOURCE_LISTS_MIME,
    );
    let plain = net.subscribe("", &["tests/users/sip:joe@example.com/index"], RESOURCE_LISTS_MIME);
    for s in [patching, plain] {
        let d = parse(&net.notify(s));
        assert_eq!(d.entries.len(), 1);
        assert_eq!(doc_entry(&d.entries[0]).2, Some(index_etag.as_str()));
    }

    // A.3: a document added to the collection: one additive entry
    net.now += Duration::from_secs(10);
    put_doc(
        &mut net,
        &format!("{JOE_DIR}/another_document"),
        &vector("rfc5875/rfc5875-secA.3-PUT.body-doc.xml"),
    );
    let body = net.notify(sub);
    bodies.push(("A.3 NOTIFY".into(), body.clone()));
    let added = parse(&body);
    let another_etag = net.etag("tests/users/sip:joe@example.com/another_document");
    assert_eq!(added.entries.len(), 1, "{added:?}");
    assert_eq!(
        doc_entry(&added.entries[0]),
        (
            "tests/users/sip:joe@example.com/another_document",
            None,
            Some(another_etag.as_str()),
            None
        )
    );
    // the index subscriptions heard nothing of it
    assert!(!net.joe_events.iter().any(|e| matches!(
        e,
        SubscriberEvent::Notify { sub: s, .. } if *s == patching || *s == plain
    )));

    // A.4: three element PUTs right after that NOTIFY, inside the 5 s rate limit
    let before =
        Document::parse(&net.http(&get(&format!("{JOE_DIR}/index")), JOE).into_body()).unwrap();
    for (name, file) in [
        ("foo", "rfc5875-secA.4-PUT.body-foo.xml"),
        ("bar", "rfc5875-secA.4-PUT-2.body-bar.xml"),
        ("foobar", "rfc5875-secA.4-PUT-3.body-foobar.xml"),
    ] {
        let el = String::from_utf8(vector(&format!("rfc5875/{file}"))).unwrap();
        let r = net.http(
            &put(
                &format!("{JOE_DIR}/index/~~/doc/{name}"),
                "application/xcap-el+xml",
                el.trim_end(),
            ),
            JOE,
        );
        assert_eq!(r.status(), 201, "{name}");
    }
    let after = net.http(&get(&format!("{JOE_DIR}/index")), JOE).into_body();
    let final_etag = net.etag("tests/users/sip:joe@example.com/index");
    // aggregate: one <document> from the old entity tag to the last, whose patch makes the
    // subscriber's copy the server's
    let body = net.notify(sub);
    bodies.push(("A.4 aggregate".into(), body.clone()));
    let agg = parse(&body);
    assert_eq!(agg.entries.len(), 1, "{agg:?}");
    let (sel, prev, new, patch) = doc_entry(&agg.entries[0]);
    assert_eq!(sel, "tests/users/sip:joe@example.com/index");
    assert_eq!((prev, new), (Some(index_etag.as_str()), Some(final_etag.as_str())));
    let mut copy = before.clone();
    apply_patch(patch.expect("aggregate carries the patch"), &mut copy).unwrap();
    assert_eq!(copy.to_vec(), after.to_vec());
    // xcap-patching: the three changes, chained by their entity tags, each with its patch
    // (in one NOTIFY or more: this subscription's last one was long enough ago for the
    // first change to go at once)
    let chain = entries_until(&mut net, patching, &final_etag, "A.4 xcap-patching", &mut bodies);
    assert_eq!(chain.len(), 3, "{chain:?}");
    let mut copy = before;
    let mut etag = index_etag.clone();
    for e in &chain {
        let (sel, prev, new, patch) = doc_entry(e);
        assert_eq!(sel, "tests/users/sip:joe@example.com/index");
        assert_eq!(prev, Some(etag.as_str()));
        apply_patch(patch.unwrap(), &mut copy).unwrap();
        etag = new.unwrap().to_owned();
    }
    assert_eq!(copy.to_vec(), after.to_vec());
    // no-patching: the entity tags only, chained the same way
    let tags = entries_until(&mut net, plain, &final_etag, "A.4 no-patching", &mut bodies);
    assert!(tags.iter().all(|e| doc_entry(e).3.is_none()), "{tags:?}");
    assert_eq!(doc_entry(&tags[0]).1, Some(index_etag.as_str()));

    // John's changes are not Joe's business
    let r = net.http(
        &put(
            "/tests/users/sip:john@example.com/index/~~/doc/note",
            "application/xcap-el+xml",
            "<note>x</note>",
        ),
        JOHN,
    );
    assert!(r.status().is_success());
    assert!(net.quiet(sub, Duration::from_secs(10)), "{:?}", net.joe_events);

    // A.3's note: a refresh with the same list lists both documents
    assert!(net.joe.refresh(&mut net.joe_ep, sub, net.now));
    net.settle();
    let refreshed = parse(&net.notify(sub));
    let mut listed: Vec<_> = refreshed.entries.iter().map(doc_entry).collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        [
            (
                "tests/users/sip:joe@example.com/another_document",
                None,
                Some(another_etag.as_str()),
                None
            ),
            ("tests/users/sip:joe@example.com/index", None, Some(final_etag.as_str()), None),
        ]
    );

    // A.5: an attribute that does not exist yet, and an element Joe may not read
    let attr = net.subscribe(
        "",
        &[
            "tests/users/sip:joe@example.com/index/~~/doc/@id",
            "tests/users/sip:john@example.com/index/~~/doc/note",
        ],
        RESOURCE_LISTS_MIME,
    );
    let body = net.notify(attr);
    bodies.push(("A.5 NOTIFY".into(), body.clone()));
    assert_eq!(parse(&body), parse(&vector("rfc5875/rfc5875-secA.5-NOTIFY.body-xcap-diff.xml")));
    let root = String::from_utf8(vector("rfc5875/rfc5875-secA.5-PUT.body-doc.xml")).unwrap();
    let r = net.http(
        &put(&format!("{JOE_DIR}/index/~~/doc"), "application/xcap-el+xml", root.trim_end()),
        JOE,
    );
    assert!(r.status().is_success(), "{r:?}");
    let body = net.notify(attr);
    bodies.push(("A.5 NOTIFY-2".into(), body.clone()));
    assert_eq!(parse(&body), parse(&vector("rfc5875/rfc5875-secA.5-NOTIFY-2.body-xcap-diff.xml")));
    net.now += Duration::from_secs(10);
    let r = net.http(&delete(&format!("{JOE_DIR}/index/~~/doc/@id")), JOE);
    assert_eq!(r.status(), 200);
    let body = net.notify(attr);
    bodies.push(("A.5 NOTIFY-3".into(), body.clone()));
    assert_eq!(parse(&body), parse(&vector("rfc5875/rfc5875-secA.5-NOTIFY-3.body-xcap-diff.xml")));
    // a change that leaves the attribute absent says nothing more
    net.now += Duration::from_secs(10);
    let r = net.http(
        &put(&format!("{JOE_DIR}/index/~~/doc/note"), "application/xcap-el+xml", "<note>n</note>"),
        JOE,
    );
    assert!(r.status().is_success());
    assert!(net.quiet(attr, Duration::from_secs(10)));

    // a document removed from the collection: its previous entity tag, no new one
    let gone = net.etag("tests/users/sip:joe@example.com/another_document");
    while net
        .joe_events
        .iter()
        .any(|e| matches!(e, SubscriberEvent::Notify { sub: s, .. } if *s == sub))
    {
        let _ = net.notify(sub);
    }
    net.now += Duration::from_secs(10);
    let r = net.http(&delete(&format!("{JOE_DIR}/another_document")), JOE);
    assert_eq!(r.status(), 200);
    let body = net.notify(sub);
    bodies.push(("removal".into(), body.clone()));
    let removed = parse(&body);
    assert_eq!(
        removed.entries.iter().map(doc_entry).collect::<Vec<_>>(),
        [("tests/users/sip:joe@example.com/another_document", Some(gone.as_str()), None, None)]
    );

    // unsubscribing forgets the lists
    assert_eq!(net.notifier.package().len(), 4);
    for s in [sub, patching, plain, attr] {
        assert!(net.joe.unsubscribe(&mut net.joe_ep, s, net.now));
    }
    net.settle();
    while net.tick(Duration::from_secs(60)) {}
    assert!(net.notifier.package().is_empty());

    // every body we sent is a valid xcap-diff document
    if xmllint() {
        assert_eq!(validate(&bodies), Vec::<String>::new());
    }
}

#[test]
fn refused_subscriptions() {
    let mut net = Net::new();
    // no URI list
    let none = net.subscribe("", &[], RESOURCE_LISTS_MIME);
    // a list of another type
    let text = net.subscribe("", &["tests/users/sip:joe@example.com/index"], "text/plain");
    // not a resource-lists document
    let mut s = Subscribe::new(
        "xcap-diff",
        "sip:tests@xcap.example.com",
        "<sip:joe@example.com>",
        "<sip:joe@127.0.0.1:5061>",
        addr(0),
        Transport::Udp,
    );
    s.body = Some((RESOURCE_LISTS_MIME, b"<list/>"));
    let wrong = net.joe.subscribe(&mut net.joe_ep, &s, net.now);
    s.body = Some((RESOURCE_LISTS_MIME, b"<resource-lists"));
    let broken = net.joe.subscribe(&mut net.joe_ep, &s, net.now);
    net.settle();
    for (sub, code) in [(none, 400), (text, 415), (wrong, 400), (broken, 400)] {
        assert!(
            net.joe_events.iter().any(|e| matches!(
                e,
                SubscriberEvent::Terminated { sub: s, reason: Ended::Refused { code: c } }
                    if *s == sub && *c == code
            )),
            "{sub:?} {code}: {:?}",
            net.joe_events
        );
    }
    assert!(net.notifier.is_empty());
    assert!(net.notifier.package().is_empty());
}
