//! The example flows of RFC 3903 §15, RFC 3856 §8, RFC 3857 §5 and RFC 3428 §10 replayed
//! against our roles: the RFC's requests (from tests/vectors, listed in its manifest) go into a
//! server endpoint running the presence agent and the pager, and what we answer and send is
//! checked against what the RFC shows. Placeholder bodies (`[Published PIDF document]`,
//! `Content-Length: ...`) are filled with a real PIDF document, and an entity tag the RFC's
//! compositor issued is replaced by the one ours issued, exactly where the flow reuses it.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use simple_pidf::Presence;
use simple_pidf::winfo::{State, WatcherInfo, WatcherStatus};
use simple_sip::endpoint::{Endpoint, EndpointConfig, Transport};
use simple_sip::event::Authorization;
use simple_sip::headers::{CSeq, SubscriptionState};
use simple_sip::pager::{Pager, PagerConfig, PagerEvent};
use simple_sip::presence::{PresenceAgent, PresenceConfig};
use simple_sip::{HeaderName, Method, OwnedMessage};

fn vector(rel: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(rel))
        .unwrap()
}

/// The RFC's message with its placeholder body replaced by `body` (Content-Length fixed) and
/// `SIP-If-Match` set to `etag` when given.
fn fill(rel: &str, body: Option<&[u8]>, etag: Option<&str>) -> Vec<u8> {
    let raw = String::from_utf8(vector(rel)).unwrap().replace("\r\n", "\n");
    let (head, _) = raw.split_once("\n\n").unwrap();
    let mut lines: Vec<String> = head
        .lines()
        .filter(|l| !l.starts_with("Content-Length"))
        .map(|l| match (l.starts_with("SIP-If-Match"), etag) {
            (true, Some(tag)) => format!("SIP-If-Match: {tag}"),
            _ => l.to_owned(),
        })
        .collect();
    let body = body.unwrap_or_default();
    lines.push(format!("Content-Length: {}", body.len()));
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    out
}

struct Server {
    ep: Endpoint,
    agent: PresenceAgent,
    pager: Pager,
    now: Instant,
    peer: SocketAddr,
}

impl Server {
    fn new(pending: bool) -> Self {
        let mut config = PresenceConfig::new("<sip:pa@example.com>");
        if pending {
            config.notifier.authorization = Authorization::Pending;
        }
        config.notifier.min_interval = Duration::ZERO;
        Self {
            ep: Endpoint::new(EndpointConfig::new("pa.example.com"), 11),
            agent: PresenceAgent::new(config, 12),
            pager: Pager::new(PagerConfig::default()),
            now: Instant::now(),
            peer: "192.0.2.10:5060".parse().unwrap(),
        }
    }

    /// Feeds a request; returns what the server sent (responses and NOTIFYs), parsed.
    fn feed(&mut self, bytes: &[u8]) -> Vec<OwnedMessage> {
        self.now += Duration::from_millis(10);
        let transport = if bytes.windows(12).any(|w| w == b"SIP/2.0/TCP ") {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        if transport.is_stream() {
            self.ep.handle_stream(self.peer, transport, bytes, self.now);
        } else {
            self.ep.handle_datagram(self.peer, transport, bytes, self.now);
        }
        self.run()
    }

    fn run(&mut self) -> Vec<OwnedMessage> {
        while let Some(e) = self.ep.poll_event() {
            let e = self.agent.handle(&mut self.ep, e, self.now);
            let e = e.and_then(|e| self.pager.handle(&mut self.ep, e, self.now));
            let _ =
                e.and_then(|e| simple_sip::event::refuse(&mut self.ep, e, &["presence"], self.now));
        }
        while self.agent.poll_event().is_some() {}
        let mut out = Vec::new();
        while let Some(t) = self.ep.poll_transmit() {
            out.push(OwnedMessage::parse(t.contents).unwrap());
        }
        out
    }

    /// Answers every NOTIFY in `sent` with 200, as the watcher would.
    fn ack_notifies(&mut self, sent: &[OwnedMessage]) {
        for n in sent.iter().filter(|m| m.method() == Some(Method::Notify)) {
            let ok = n.view(|m| {
                let mut out = Vec::new();
                simple_sip::MessageWriter::response_to(&mut out, m, 200, "OK", None, None)
                    .unwrap()
                    .finish();
                out
            });
            self.now += Duration::from_millis(10);
            self.ep.handle_datagram(self.peer, Transport::Udp, &ok, self.now);
            self.run();
        }
    }
}

fn header(m: &OwnedMessage, name: HeaderName) -> Option<String> {
    m.header(name).map(|h| String::from_utf8_lossy(h.value()).into_owned())
}

fn pidf(basic: &str, note: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \
         entity=\"pres:presentity@example.com\"><tuple id=\"mobile-im\"><status><basic>{basic}</basic></status>\
         <contact priority=\"0.8\">im:presentity@mobile.example.com</contact><note>{note}</note></tuple></presence>"
    )
    .into_bytes()
}

/// RFC 3903 §15: a watcher subscribes (M1-M4), a PUA publishes (M5/M6, NOTIFY M7), refreshes
/// with SIP-If-Match and no body (M9/M10), and modifies (M11/M12, NOTIFY M13); the RFC's own
/// entity tag, unknown here, gets 412.
#[test]
fn rfc3903_section15() {
    let mut s = Server::new(false);
    let sent = s.feed(&vector("rfc3903/rfc3903-sec15-M1-SUBSCRIBE.sip"));
    let ok = &sent[0];
    assert_eq!(ok.status_code(), Some(200), "M2");
    assert_eq!(header(ok, HeaderName::Expires).as_deref(), Some("3600"));
    let notify = &sent[1];
    assert_eq!(notify.method(), Some(Method::Notify), "M3");
    assert_eq!(header(notify, HeaderName::Event).as_deref(), Some("presence"));
    assert!(header(notify, HeaderName::SubscriptionState).unwrap().starts_with("active;expires="));
    s.ack_notifies(&sent); // M4

    let sent =
        s.feed(&fill("rfc3903/rfc3903-sec15-M5-PUBLISH.sip", Some(&pidf("open", "first")), None));
    let ok = sent.iter().find(|m| m.status_code().is_some()).unwrap();
    assert_eq!(ok.status_code(), Some(200), "M6");
    let etag = header(ok, HeaderName::SipETag).unwrap();
    assert_eq!(header(ok, HeaderName::Expires).as_deref(), Some("3600"));
    let m7 = sent.iter().find(|m| m.method() == Some(Method::Notify)).expect("M7");
    let p = Presence::parse(&m7.body()).unwrap();
    assert_eq!(p.tuples[0].notes[0].text, "first");
    s.ack_notifies(&sent); // M8

    // M9 as the RFC wrote it names the RFC's tag: unknown here
    let sent = s.feed(&vector("rfc3903/rfc3903-sec15-M9-PUBLISH.sip"));
    assert_eq!(sent[0].status_code(), Some(412));
    // M9 with our tag: a refresh, a fresh tag, no NOTIFY (nothing changed); sent again, so
    // with a new branch and the next CSeq (the same CSeq would be a merged request: 482)
    let m9 = fill("rfc3903/rfc3903-sec15-M9-PUBLISH.sip", None, Some(&etag))
        .replace_branch("z9hG4bK771ash03");
    let m9 =
        String::from_utf8(m9).unwrap().replace("CSeq: 1 PUBLISH", "CSeq: 2 PUBLISH").into_bytes();
    let sent = s.feed(&m9);
    assert_eq!(sent.len(), 1, "M10 only");
    assert_eq!(sent[0].status_code(), Some(200), "M10");
    let etag2 = header(&sent[0], HeaderName::SipETag).unwrap();
    assert_ne!(etag, etag2);
    // M11 with our new tag and new state: M12, and the watcher gets M13
    let m11 = fill(
        "rfc3903/rfc3903-sec15-M11-PUBLISH.sip",
        Some(&pidf("closed", "second")),
        Some(&etag2),
    );
    let sent = s.feed(&m11);
    let ok = sent.iter().find(|m| m.status_code().is_some()).unwrap();
    assert_eq!(ok.status_code(), Some(200), "M12");
    let m13 = sent.iter().find(|m| m.method() == Some(Method::Notify)).expect("M13");
    let p = Presence::parse(&m13.body()).unwrap();
    assert_eq!(
        (p.tuples[0].status.basic.unwrap().as_str(), p.tuples[0].notes[0].text.as_str()),
        ("closed", "second")
    );
    let seqs: Vec<u32> = [notify, m7, m13]
        .iter()
        .map(|m| m.view(|v| v.require::<CSeq<'_>>().unwrap().seq))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

/// RFC 3856 §8: F1 SUBSCRIBE gets F2 (200 with our tag, the Expires granted) and F3 (NOTIFY
/// with the PIDF, `active;expires=`), a change F5; the 200s F4 and F6 end the transactions.
#[test]
fn rfc3856_section8() {
    let mut s = Server::new(false);
    s.feed(&fill("rfc3903/rfc3903-sec15-M5-PUBLISH.sip", Some(&pidf("open", "here")), None));
    let f1 = s.feed(&vector("rfc3856/rfc3856-sec8-F1-SUBSCRIBE.sip"));
    let f2 = &f1[0];
    assert_eq!(f2.status_code(), Some(200), "F2");
    assert_eq!(header(f2, HeaderName::Expires).as_deref(), Some("600"));
    assert!(header(f2, HeaderName::To).unwrap().contains(";tag="));
    let f3 = &f1[1];
    assert_eq!(f3.method(), Some(Method::Notify), "F3");
    let state = f3.view(|m| m.require::<SubscriptionState<'_>>().unwrap().into_owned());
    assert!(state.expires().is_some_and(|e| (599..=600).contains(&e)));
    assert_eq!(header(f3, HeaderName::ContentType).as_deref(), Some("application/pidf+xml"));
    // the F1 SUBSCRIBE came on TCP (its Via says so): so does the NOTIFY
    assert!(header(f3, HeaderName::Via).unwrap().starts_with("SIP/2.0/TCP"));
    s.ack_notifies(&f1); // F4
}

/// RFC 3857 §5: the presentity subscribes to its watcher information and gets a full
/// document; a watcher arrives pending (a partial document lists it), is approved (another
/// partial document, `active`/`approved`).
#[test]
fn rfc3857_section5() {
    let mut s = Server::new(true);
    let sent = s.feed(&vector("rfc3857/rfc3857-sec5-SUBSCRIBE.sip"));
    assert_eq!(sent[0].status_code(), Some(200));
    let n = sent.iter().find(|m| m.method() == Some(Method::Notify)).unwrap();
    assert_eq!(header(n, HeaderName::ContentType).as_deref(), Some("application/watcherinfo+xml"));
    let doc = WatcherInfo::parse(&n.body()).unwrap();
    assert_eq!((doc.version, doc.state), (0, State::Full));
    assert_eq!(doc.lists[0].resource, "sip:joe@example.com");
    s.ack_notifies(&sent);
    // a watcher of joe
    let sub = b"SUBSCRIBE sip:joe@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc.example.com;branch=z9hG4bKw1\r\n\
From: <sip:A@example.com>;tag=a1\r\nTo: <sip:joe@example.com>\r\nCall-ID: w1@pc.example.com\r\nCSeq: 1 SUBSCRIBE\r\n\
Contact: <sip:A@pc.example.com>\r\nEvent: presence\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    let sent = s.feed(sub);
    let winfo = sent
        .iter()
        .filter(|m| header(m, HeaderName::Event).as_deref() == Some("presence.winfo"))
        .map(|m| WatcherInfo::parse(&m.body()).unwrap())
        .next()
        .expect("a winfo NOTIFY");
    assert_eq!((winfo.version, winfo.state), (1, State::Partial));
    assert_eq!(winfo.lists[0].watchers[0].status, WatcherStatus::Pending);
    s.ack_notifies(&sent);
    let now = s.now;
    s.agent.authorize(
        &mut s.ep,
        "sip:joe@example.com",
        "sip:A@example.com",
        Authorization::Active,
        now,
    );
    let sent = s.run();
    let winfo = sent
        .iter()
        .filter(|m| header(m, HeaderName::Event).as_deref() == Some("presence.winfo"))
        .map(|m| WatcherInfo::parse(&m.body()).unwrap())
        .next()
        .expect("a winfo NOTIFY");
    let w = &winfo.lists[0].watchers[0];
    assert_eq!(
        (w.uri.as_str(), w.status.as_str(), w.event.as_str()),
        ("sip:A@example.com", "active", "approved")
    );
}

/// RFC 3428 §10: the MESSAGE (directly, and through a proxy with two Vias) gets 200, its body
/// reaches the application, and the 200 goes back the way the request came.
#[test]
fn rfc3428_section10() {
    for (rel, vias) in
        [("rfc3428/rfc3428-sec10-MESSAGE.sip", 1), ("rfc3428/rfc3428-sec10-MESSAGE-2.sip", 2)]
    {
        let mut s = Server::new(false);
        let sent = s.feed(&vector(rel));
        assert_eq!(sent.len(), 1, "{rel}");
        assert_eq!(sent[0].status_code(), Some(200), "{rel}");
        assert_eq!(sent[0].view(|m| m.headers_named(HeaderName::Via).count()), vias);
        let Some(PagerEvent::Received { body, from, .. }) = s.pager.poll_event() else {
            panic!("{rel}")
        };
        assert_eq!(
            (&body[..], from.as_str()),
            (&b"Watson, come here."[..], "sip:user1@domain.com")
        );
    }
}

trait Branch {
    fn replace_branch(self, branch: &str) -> Vec<u8>;
}

impl Branch for Vec<u8> {
    /// The same request with another Via branch (a new transaction).
    fn replace_branch(self, branch: &str) -> Vec<u8> {
        let text = String::from_utf8(self).unwrap();
        let at = text.find("branch=").unwrap() + 7;
        let end = text[at..].find(['\r', ';']).map_or(text.len(), |e| at + e);
        format!("{}{branch}{}", &text[..at], &text[end..]).into_bytes()
    }
}
