//! Subscriptions, publications, presence and pager-mode messages between Endpoints over a
//! simulated network with a fake clock (RFC 6665, 6446, 3903, 5264, 3856, 5263, 3428): loss,
//! duplication, reordering, NOTIFY before the 2xx, forking, refresh and expiry, 412
//! recovery, rate limits, a watcher approved while pending. The clock jumps to the next
//! delivery or deadline, so hours of protocol time take milliseconds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::wildcard_enum_match_arm,
    clippy::too_many_lines
)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use simple_pidf::{Basic, Presence, PresenceView, Tuple, Update};
use simple_sip::digest::{DigestServer, Request as DigestRequest, Secret, ServerConfig, Verdict};
use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, Reply, Transmit, Transport};
use simple_sip::event::{
    Authorization, Ended, Notifier, NotifierConfig, NotifierEnd, NotifierEvent, RateControl,
    StatePackage, Status, Subscribe, Subscriber, SubscriberConfig, SubscriberEvent,
};
use simple_sip::headers::Authorization as AuthHeader;
use simple_sip::pager::{Outgoing, Pager, PagerConfig, PagerEvent};
use simple_sip::presence::{PresenceAgent, PresenceConfig, PresenceEvent};
use simple_sip::publish::{Publish, Publisher, PublisherConfig, PublisherEvent};
use simple_sip::{Method, OwnedMessage};

fn addr(i: usize) -> SocketAddr {
    format!("127.0.0.1:{}", 5060 + i * 10).parse().unwrap()
}

fn contact(i: usize) -> String {
    format!("<sip:node{i}@{}>", addr(i))
}

/// Every role on one endpoint, and what each reported.
struct Node {
    ep: Endpoint,
    subscriber: Subscriber,
    publisher: Publisher,
    pager: Pager,
    agent: Option<PresenceAgent>,
    notifier: Option<Notifier<StatePackage>>,
    sub_events: Vec<SubscriberEvent>,
    pub_events: Vec<PublisherEvent>,
    pager_events: Vec<PagerEvent>,
    agent_events: Vec<PresenceEvent>,
    notifier_events: Vec<NotifierEvent>,
    /// Requests no role took (after `refuse`), answered by the test if it wants.
    other: Vec<Event>,
    /// Raw requests this node received, in order (method, Call-ID), for assertions on order.
    seen: Vec<OwnedMessage>,
    /// Challenges out-of-dialog SUBSCRIBE, PUBLISH and MESSAGE (user alice, password secret).
    gate: Option<DigestServer>,
    challenges: u8,
}

impl Node {
    fn new(i: usize, seed: u64) -> Self {
        let config = EndpointConfig::new(&addr(i).to_string());
        Self {
            ep: Endpoint::new(config, seed),
            subscriber: Subscriber::new(SubscriberConfig::default()),
            publisher: Publisher::new(PublisherConfig::default()),
            pager: Pager::new(PagerConfig::default()),
            agent: None,
            notifier: None,
            sub_events: Vec::new(),
            pub_events: Vec::new(),
            pager_events: Vec::new(),
            agent_events: Vec::new(),
            notifier_events: Vec::new(),
            other: Vec::new(),
            seen: Vec::new(),
            gate: None,
            challenges: 0,
        }
    }

    fn dispatch(&mut self, now: Instant) {
        while let Some(ev) = self.ep.poll_event() {
            if let Event::Request { request, .. } = &ev {
                self.seen.push(request.clone());
            }
            let mut ev = self.gate(ev, now);
            if let Some(agent) = self.agent.as_mut() {
                ev = ev.and_then(|e| agent.handle(&mut self.ep, e, now));
            }
            if let Some(n) = self.notifier.as_mut() {
                ev = ev.and_then(|e| n.handle(&mut self.ep, e, now));
            }
            ev = ev.and_then(|e| self.subscriber.handle(&mut self.ep, e, now));
            ev = ev.and_then(|e| self.publisher.handle(&mut self.ep, e, now));
            ev = ev.and_then(|e| self.pager.handle(&mut self.ep, e, now));
            ev = ev.and_then(|e| {
                simple_sip::event::refuse(&mut self.ep, e, &["presence", "message-summary"], now)
            });
            if let Some(e) = ev {
                self.other.push(e);
            }
        }
        while let Some(e) = self.subscriber.poll_event() {
            self.sub_events.push(e);
        }
        while let Some(e) = self.publisher.poll_event() {
            self.pub_events.push(e);
        }
        while let Some(e) = self.pager.poll_event() {
            self.pager_events.push(e);
        }
        if let Some(a) = self.agent.as_mut() {
            while let Some(e) = a.poll_event() {
                self.agent_events.push(e);
            }
        }
        if let Some(n) = self.notifier.as_mut() {
            while let Some(e) = n.poll_event() {
                self.notifier_events.push(e);
            }
        }
    }

    /// The digest gate: a request it covers without valid credentials gets 401.
    fn gate(&mut self, ev: Event, now: Instant) -> Option<Event> {
        let Some(server) = self.gate.as_mut() else { return Some(ev) };
        let Event::Request { tx, request, .. } = &ev else { return Some(ev) };
        let covered = matches!(request.method(), Some(Method::Publish | Method::Message))
            || (request.method() == Some(Method::Subscribe)
                && request.view(|m| {
                    m.require::<simple_sip::headers::ToHeader<'_>>().unwrap().tag().is_none()
                }));
        if !covered {
            return Some(ev);
        }
        let verdict = request.view(|m| {
            let auth = m.typed::<AuthHeader<'_>>().ok().flatten()?;
            let uri = m.request().unwrap().uri.to_string();
            let method = m.method().unwrap();
            let req = DigestRequest { method: method.as_str(), uri: &uri, body: m.body() };
            Some(server.verify(&auth, &req, now, |u| {
                (u == "alice").then(|| Secret::Password("secret".into()))
            }))
        });
        if let Some(Verdict::Authorized { .. }) = verdict {
            return Some(ev);
        }
        self.challenges += 1;
        let www = server.challenge(now, [self.challenges; 16]);
        let h = [("WWW-Authenticate", www.as_bytes())];
        self.ep.respond(*tx, &Reply::new(401, "Unauthorized").headers(&h), now).unwrap();
        None
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        [
            self.ep.poll_timeout().map(|t| t.0),
            self.subscriber.poll_timeout().map(|t| t.0),
            self.publisher.poll_timeout().map(|t| t.0),
            self.agent.as_mut().and_then(|a| a.poll_timeout().map(|t| t.0)),
            self.notifier.as_mut().and_then(|n| n.poll_timeout().map(|t| t.0)),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn timeout(&mut self, now: Instant) {
        self.ep.handle_timeout(now);
        self.subscriber.handle_timeout(&mut self.ep, now);
        self.publisher.handle_timeout(&mut self.ep, now);
        if let Some(a) = self.agent.as_mut() {
            a.handle_timeout(&mut self.ep, now);
        }
        if let Some(n) = self.notifier.as_mut() {
            n.handle_timeout(&mut self.ep, now);
        }
    }
}

/// The network: `loss` and `dup` in percent, `jitter` in ms (later datagrams overtake).
struct Net {
    nodes: Vec<Node>,
    now: Instant,
    rng: u64,
    loss: u32,
    dup: u32,
    jitter: u64,
    in_flight: BTreeMap<(Instant, u64), (usize, SocketAddr, Transmit)>,
    seq: u64,
    /// Drop everything sent to these nodes.
    down: Vec<bool>,
    /// What node `.0` sends to node `.1` also goes to node `.2` (a forking proxy).
    fork: Option<(usize, usize, usize)>,
    /// Datagrams to node `.0` starting with `.1` are delayed by `.2` (the next `.3` of them).
    delay: Option<(usize, &'static [u8], Duration, usize)>,
}

impl Net {
    fn new(n: usize, seed: u64, loss: u32, dup: u32, jitter: u64) -> Self {
        Self {
            nodes: (0..n).map(|i| Node::new(i, seed * 16 + i as u64)).collect(),
            now: Instant::now(),
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            loss,
            dup,
            jitter,
            in_flight: BTreeMap::new(),
            seq: 0,
            down: vec![false; n],
            fork: None,
            delay: None,
        }
    }

    fn clean(n: usize) -> Self {
        Self::new(n, 1, 0, 0, 0)
    }

    fn roll(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n.max(1)
    }

    fn collect(&mut self) {
        let now = self.now;
        for i in 0..self.nodes.len() {
            self.nodes[i].dispatch(now);
            while let Some(t) = self.nodes[i].ep.poll_transmit() {
                let to = (0..self.nodes.len())
                    .find(|&j| addr(j) == t.destination)
                    .unwrap_or_else(|| panic!("sent to {} which nobody has", t.destination));
                let mut targets = vec![to];
                if let Some((a, b, c)) = self.fork {
                    if a == i && b == to {
                        targets.push(c);
                    }
                }
                for to in targets {
                    let copies = if (self.roll(100) as u32) < self.dup { 2 } else { 1 };
                    for _ in 0..copies {
                        let lost =
                            t.transport == Transport::Udp && (self.roll(100) as u32) < self.loss;
                        if lost || self.down[to] {
                            continue;
                        }
                        let mut delay = Duration::from_millis(1 + self.roll(self.jitter + 1));
                        if let Some((node, prefix, extra, left)) = &mut self.delay {
                            if *node == to && *left > 0 && t.contents.starts_with(prefix) {
                                *left -= 1;
                                delay += *extra;
                            }
                        }
                        self.seq += 1;
                        self.in_flight.insert((now + delay, self.seq), (to, addr(i), t.clone()));
                    }
                }
            }
        }
    }

    /// One delivery or one round of timers; false when nothing happens before `until`.
    fn step(&mut self, until: Instant) -> bool {
        self.collect();
        let next_msg = self.in_flight.keys().next().map(|k| k.0);
        let next_timer = self.nodes.iter_mut().filter_map(Node::next_deadline).min();
        let Some(next) = [next_msg, next_timer].into_iter().flatten().min() else { return false };
        if next > until {
            return false;
        }
        self.now = self.now.max(next);
        let now = self.now;
        if next_msg == Some(next) {
            let key = *self.in_flight.keys().next().unwrap();
            let (to, from, t) = self.in_flight.remove(&key).unwrap();
            let ep = &mut self.nodes[to].ep;
            if t.transport.is_stream() {
                ep.handle_stream(from, t.transport, &t.contents, now);
            } else {
                ep.handle_datagram(from, t.transport, &t.contents, now);
            }
        } else {
            for n in &mut self.nodes {
                n.timeout(now);
            }
        }
        self.collect();
        true
    }

    fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        while self.step(until) {}
        self.now = self.now.max(until);
        self.collect();
    }
}

fn pidf(entity: &str, tuples: &[(&str, Basic)]) -> Presence {
    let mut p = Presence::new(entity);
    for (id, b) in tuples {
        p.tuples.push(Tuple::new(*id, *b));
    }
    p
}

fn subscribe<'a>(
    event: &'a str,
    uri: &'a str,
    from: &'a str,
    contact: &'a str,
    to: usize,
) -> Subscribe<'a> {
    Subscribe::new(event, uri, from, contact, addr(to), Transport::Udp)
}

fn notifies(events: &[SubscriberEvent]) -> Vec<(Status, bool, Bytes)> {
    events
        .iter()
        .filter_map(|e| match e {
            SubscriberEvent::Notify { status, terminated, body, .. } => {
                Some((*status, *terminated, body.clone()))
            }
            _ => None,
        })
        .collect()
}

fn with_summary(net: &mut Net, node: usize, body: &'static [u8]) {
    let mut package = StatePackage::new("message-summary", "application/simple-message-summary");
    package.set("sip:bob@example.com", Bytes::from_static(body));
    net.nodes[node].notifier = Some(Notifier::new(NotifierConfig::new(&contact(node)), package));
}

/// The basic flow: SUBSCRIBE, 200, immediate NOTIFY with the state, a change, refreshes well
/// before expiry for hours, then unsubscribe with its final NOTIFY.
#[test]
fn subscribe_notify_refresh_unsubscribe() {
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"Messages-Waiting: no\r\n");
    let c0 = contact(0);
    let mut req =
        subscribe("message-summary", "sip:bob@example.com", "<sip:alice@example.com>", &c0, 1);
    req.expires = 600;
    let now = net.now;
    let n0 = &mut net.nodes[0];
    let sub = n0.subscriber.subscribe(&mut n0.ep, &req, now);
    net.run_for(Duration::from_secs(1));
    let n = notifies(&net.nodes[0].sub_events);
    assert_eq!(n.len(), 1);
    assert_eq!(
        (n[0].0, n[0].1, &n[0].2[..]),
        (Status::Active, false, &b"Messages-Waiting: no\r\n"[..])
    );
    assert!(net.nodes[0].sub_events.contains(&SubscriberEvent::Accepted { sub, expires: 600 }));

    // a change reaches the watcher
    let now = net.now;
    let n1 = &mut net.nodes[1];
    let notifier = n1.notifier.as_mut().unwrap();
    notifier
        .package_mut()
        .set("sip:bob@example.com", Bytes::from_static(b"Messages-Waiting: yes\r\n"));
    notifier.changed(&mut n1.ep, "sip:bob@example.com", now);
    net.run_for(Duration::from_secs(1));
    let n = notifies(&net.nodes[0].sub_events);
    assert_eq!(&n.last().unwrap().2[..], b"Messages-Waiting: yes\r\n");

    // three hours: refreshed every ~540 s, never expired
    net.run_for(Duration::from_secs(3 * 3600));
    let refreshes = net.nodes[1]
        .notifier_events
        .iter()
        .filter(|e| matches!(e, NotifierEvent::Refreshed { .. }))
        .count();
    assert!((19..=21).contains(&refreshes), "{refreshes} refreshes");
    assert_eq!(net.nodes[1].notifier.as_ref().unwrap().len(), 1);
    assert!(
        !net.nodes[0].sub_events.iter().any(|e| matches!(e, SubscriberEvent::Terminated { .. }))
    );
    // every refresh got full state in a NOTIFY with a strictly increasing CSeq
    let cseqs: Vec<u32> = net.nodes[0]
        .seen
        .iter()
        .filter(|m| m.method() == Some(Method::Notify))
        .map(|m| m.view(|v| v.require::<simple_sip::headers::CSeq<'_>>().unwrap().seq))
        .collect();
    assert!(cseqs.windows(2).all(|w| w[0] < w[1]), "{cseqs:?}");
    assert_eq!(cseqs.len(), 2 + refreshes);

    let now = net.now;
    let n0 = &mut net.nodes[0];
    assert!(n0.subscriber.unsubscribe(&mut n0.ep, sub, now));
    net.run_for(Duration::from_secs(5));
    assert_eq!(
        net.nodes[0].sub_events.last(),
        Some(&SubscriberEvent::Terminated { sub, reason: Ended::Unsubscribed })
    );
    let last = notifies(&net.nodes[0].sub_events).pop().unwrap();
    assert!(last.1, "the final NOTIFY says terminated");
    assert!(net.nodes[1].notifier.as_ref().unwrap().is_empty());
    assert!(matches!(
        net.nodes[1].notifier_events.last(),
        Some(NotifierEvent::Terminated { reason: NotifierEnd::Unsubscribed, .. })
    ));
    assert!(net.nodes[0].subscriber.is_empty());
    assert!(net.nodes[0].subscriber.poll_timeout().is_none());
    assert!(net.nodes[1].notifier.as_mut().unwrap().poll_timeout().is_none());
}

fn summary_sub(
    net: &mut Net,
    from: usize,
    to: usize,
    expires: u32,
    forks: bool,
) -> simple_sip::event::SubscriptionId {
    let c = contact(from);
    let mut req =
        subscribe("message-summary", "sip:bob@example.com", "<sip:alice@example.com>", &c, to);
    req.expires = expires;
    req.forks = forks;
    let now = net.now;
    let n = &mut net.nodes[from];
    n.subscriber.subscribe(&mut n.ep, &req, now)
}

fn terminated(events: &[SubscriberEvent]) -> Vec<Ended> {
    events
        .iter()
        .filter_map(|e| match e {
            SubscriberEvent::Terminated { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// RFC 6665 §4.1.2.4: the NOTIFY may overtake the 2xx; it creates the dialog, the late 2xx
/// only sets the expiry, and the subscription carries on normally.
#[test]
fn notify_before_the_2xx() {
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"Messages-Waiting: yes\r\n");
    net.delay = Some((0, b"SIP/2.0 200", Duration::from_millis(400), 1));
    let sub = summary_sub(&mut net, 0, 1, 600, false);
    net.run_for(Duration::from_secs(1));
    let events = &net.nodes[0].sub_events;
    let notify_at =
        events.iter().position(|e| matches!(e, SubscriberEvent::Notify { .. })).unwrap();
    let accepted_at =
        events.iter().position(|e| matches!(e, SubscriberEvent::Accepted { .. })).unwrap();
    assert!(notify_at < accepted_at, "{events:?}");
    assert!(net.nodes[0].subscriber.dialog(sub).is_some());
    // Timer N was not started by the late 2xx: an hour later the subscription lives
    net.run_for(Duration::from_secs(3600));
    assert!(terminated(&net.nodes[0].sub_events).is_empty());
    assert_eq!(net.nodes[1].notifier.as_ref().unwrap().len(), 1);
}

/// Timer N (§4.1.2.4): a 2xx and then no NOTIFY at all ends the subscription after 64·T1.
#[test]
fn no_notify_after_the_2xx() {
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"x");
    net.delay = Some((0, b"NOTIFY", Duration::from_secs(3600), 100));
    summary_sub(&mut net, 0, 1, 600, false);
    net.run_for(Duration::from_secs(31));
    assert!(terminated(&net.nodes[0].sub_events).is_empty());
    net.run_for(Duration::from_secs(2));
    assert_eq!(terminated(&net.nodes[0].sub_events), [Ended::NoNotify]);
}

/// A forked SUBSCRIBE (§4.1.2.4): with a forking package each notifier's NOTIFY makes its own
/// subscription; without, the second fork's NOTIFY gets 481 and that notifier drops it.
#[test]
fn forked_subscribe() {
    for forks in [true, false] {
        let mut net = Net::clean(3);
        with_summary(&mut net, 1, b"one");
        with_summary(&mut net, 2, b"two");
        net.fork = Some((0, 1, 2));
        net.delay = Some((0, b"NOTIFY", Duration::from_millis(50), 1)); // one fork comes later
        let sub = summary_sub(&mut net, 0, 1, 600, forks);
        net.run_for(Duration::from_secs(2));
        let forked: Vec<_> = net.nodes[0]
            .sub_events
            .iter()
            .filter_map(|e| match e {
                SubscriberEvent::Forked { sub: new, from } => Some((*new, *from)),
                _ => None,
            })
            .collect();
        let bodies: Vec<Bytes> =
            notifies(&net.nodes[0].sub_events).into_iter().map(|n| n.2).collect();
        if forks {
            assert_eq!(forked.len(), 1);
            assert_eq!(forked[0].1, sub);
            assert_eq!(net.nodes[0].subscriber.len(), 2);
            assert_eq!(bodies.len(), 2);
            assert_eq!(
                net.nodes[1].notifier.as_ref().unwrap().len()
                    + net.nodes[2].notifier.as_ref().unwrap().len(),
                2
            );
            // both are refreshed independently
            net.run_for(Duration::from_secs(1200));
            assert!(terminated(&net.nodes[0].sub_events).is_empty());
            assert_eq!(net.nodes[0].subscriber.len(), 2);
        } else {
            assert!(forked.is_empty());
            assert_eq!(net.nodes[0].subscriber.len(), 1);
            assert_eq!(bodies.len(), 1);
            let left = net.nodes[1].notifier.as_ref().unwrap().len()
                + net.nodes[2].notifier.as_ref().unwrap().len();
            assert_eq!(left, 1, "the refused fork removed its subscription");
            let refused: Vec<_> = [1, 2]
                .iter()
                .flat_map(|&i| net.nodes[i].notifier_events.iter())
                .filter(|e| {
                    matches!(
                        e,
                        NotifierEvent::Terminated {
                            reason: NotifierEnd::NotifyFailed { code: Some(481) },
                            ..
                        }
                    )
                })
                .collect();
            assert_eq!(refused.len(), 1);
        }
    }
}

/// A refresh answered 481 (the notifier lost the subscription: a restart) ends it (§4.1.2.2);
/// a refresh that gets no answer leaves it to expire at the time the last 2xx gave.
#[test]
fn refresh_failures() {
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"x");
    summary_sub(&mut net, 0, 1, 600, false);
    net.run_for(Duration::from_secs(1));
    with_summary(&mut net, 1, b"x"); // a fresh notifier: the dialog is unknown
    net.run_for(Duration::from_secs(600));
    assert_eq!(terminated(&net.nodes[0].sub_events), [Ended::Refused { code: 481 }]);

    // partitioned both ways: each side ends the subscription at its own expiry
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"x");
    summary_sub(&mut net, 0, 1, 600, false);
    net.run_for(Duration::from_secs(1));
    let start = net.now;
    net.down = vec![true, true];
    net.run_for(Duration::from_secs(597));
    assert!(terminated(&net.nodes[0].sub_events).is_empty(), "alive until the expiry");
    net.run_for(Duration::from_secs(3));
    assert_eq!(terminated(&net.nodes[0].sub_events), [Ended::Expired]);
    assert!(net.now - start >= Duration::from_secs(598));
    net.run_for(Duration::from_secs(40));
    assert!(net.nodes[1].notifier.as_ref().unwrap().is_empty());
    assert!(
        net.nodes[1]
            .notifier_events
            .iter()
            .any(|e| matches!(e, NotifierEvent::Terminated { reason: NotifierEnd::Expired, .. }))
    );
}

/// Expiry at the boundary (§4.2.1.1): a subscriber that stops refreshing is expired by the
/// notifier at exactly the granted time, with a terminating NOTIFY `reason=timeout`, upon
/// which the subscriber subscribes again at once.
#[test]
fn expiry_at_the_boundary() {
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"x");
    summary_sub(&mut net, 0, 1, 600, false);
    net.run_for(Duration::from_secs(1));
    let granted_at = net.now - Duration::from_secs(1);
    // the refresh is lost on its way (and its retransmissions): drop SUBSCRIBEs only
    net.delay = Some((1, b"SUBSCRIBE", Duration::from_secs(7200), 20));
    net.run_for(Duration::from_secs(598));
    assert!(
        net.nodes[1].notifier_events.iter().all(|e| !matches!(e, NotifierEvent::Terminated { .. }))
    );
    net.run_for(Duration::from_secs(3));
    let ended_at = net.nodes[1]
        .notifier_events
        .iter()
        .position(|e| matches!(e, NotifierEvent::Terminated { reason: NotifierEnd::Expired, .. }));
    assert!(ended_at.is_some(), "{:?}", net.nodes[1].notifier_events);
    assert!(net.now - granted_at <= Duration::from_secs(602));
    let n = notifies(&net.nodes[0].sub_events);
    assert!(n.iter().any(|n| n.1), "the terminating NOTIFY arrived");
    assert!(
        net.nodes[0]
            .sub_events
            .iter()
            .any(|e| matches!(e, SubscriberEvent::Retrying { after, .. } if after.is_zero()))
    );
    // the new subscription got through and is active
    net.run_for(Duration::from_secs(60));
    assert!(!notifies(&net.nodes[0].sub_events).last().unwrap().1);
    assert_eq!(net.nodes[1].notifier.as_ref().unwrap().len(), 1);
}

/// Termination reasons (§4.1.3): `deactivated` makes the subscriber subscribe again at once,
/// `probation` after `retry-after`, `rejected` and `noresource` end it for good.
#[test]
fn termination_reasons() {
    for (reason, retry, expect_retry) in [
        ("deactivated", None, Some(Duration::ZERO)),
        ("probation", Some(120), Some(Duration::from_secs(120))),
        ("giveup", None, Some(Duration::from_secs(30))),
        ("rejected", None, None),
        ("noresource", None, None),
        ("invariant", Some(31_536_000), None),
    ] {
        let mut net = Net::clean(2);
        with_summary(&mut net, 1, b"x");
        let sub = summary_sub(&mut net, 0, 1, 600, false);
        net.run_for(Duration::from_secs(1));
        let now = net.now;
        let n1 = &mut net.nodes[1];
        let served =
            n1.notifier.as_ref().unwrap().subscriptions("sip:bob@example.com").next().unwrap();
        assert!(n1.notifier.as_mut().unwrap().terminate(&mut n1.ep, served, reason, retry, now));
        net.run_for(Duration::from_secs(1));
        let events = &net.nodes[0].sub_events;
        match expect_retry {
            Some(after) => {
                assert!(
                    events.contains(&SubscriberEvent::Retrying { sub, after }),
                    "{reason}: {events:?}"
                );
                net.run_for(after + Duration::from_secs(2));
                assert_eq!(
                    net.nodes[1].notifier.as_ref().unwrap().len(),
                    1,
                    "{reason}: subscribed again"
                );
                let n = notifies(&net.nodes[0].sub_events);
                assert!(!n.last().unwrap().1, "{reason}: active again");
            }
            None => {
                let want = Ended::Notifier { reason: Some(reason.to_owned()), retry_after: retry };
                assert_eq!(terminated(events), [want], "{reason}");
                assert!(net.nodes[0].subscriber.is_empty());
            }
        }
    }
}

/// Authorization (§4.2.1.2, RFC 3857): pending first (a NOTIFY without state), active once
/// the policy allows the watcher (the state follows at once), then rejected
/// (`terminated;reason=rejected`: the subscriber does not come back).
#[test]
fn pending_then_approved_then_rejected() {
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"state");
    net.nodes[1].notifier.as_mut().unwrap().authorize(
        &mut Endpoint::new(EndpointConfig::new("x"), 0),
        "sip:bob@example.com",
        "sip:carol@example.com",
        Authorization::Active,
        net.now,
    );
    let mut config = NotifierConfig::new(&contact(1));
    config.authorization = Authorization::Pending;
    let package = std::mem::replace(
        net.nodes[1].notifier.as_mut().unwrap().package_mut(),
        StatePackage::new("x", "y"),
    );
    net.nodes[1].notifier = Some(Notifier::new(config, package));
    summary_sub(&mut net, 0, 1, 600, false);
    net.run_for(Duration::from_secs(1));
    let n = notifies(&net.nodes[0].sub_events);
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].0, n[0].2.is_empty()), (Status::Pending, true));
    assert!(
        matches!(&net.nodes[1].notifier_events[0], NotifierEvent::Subscribed { status: Authorization::Pending, watcher, .. } if watcher == "sip:alice@example.com")
    );

    let now = net.now;
    let n1 = &mut net.nodes[1];
    n1.notifier.as_mut().unwrap().authorize(
        &mut n1.ep,
        "sip:bob@example.com",
        "<sip:alice@example.com>",
        Authorization::Active,
        now,
    );
    net.run_for(Duration::from_secs(1));
    let n = notifies(&net.nodes[0].sub_events);
    assert_eq!((n[1].0, &n[1].2[..]), (Status::Active, &b"state"[..]));

    // a refresh keeps the decision
    net.run_for(Duration::from_secs(700));
    assert!(notifies(&net.nodes[0].sub_events).iter().skip(1).all(|n| n.0 == Status::Active));

    let now = net.now;
    let n1 = &mut net.nodes[1];
    n1.notifier.as_mut().unwrap().authorize(
        &mut n1.ep,
        "sip:bob@example.com",
        "sip:alice@example.com",
        Authorization::Rejected,
        now,
    );
    net.run_for(Duration::from_secs(1));
    assert_eq!(
        terminated(&net.nodes[0].sub_events),
        [Ended::Notifier { reason: Some("rejected".into()), retry_after: None }]
    );
    assert!(net.nodes[1].notifier.as_ref().unwrap().is_empty());
    // a new SUBSCRIBE from a rejected watcher is answered with a terminating NOTIFY at once
    summary_sub(&mut net, 0, 1, 600, false);
    net.run_for(Duration::from_secs(1));
    assert_eq!(terminated(&net.nodes[0].sub_events).len(), 2);
}

/// 423 with Min-Expires, and a retry with the minimum; a package nobody serves gets 489 with
/// Allow-Events; an Accept that rules out every body type gets 406.
#[test]
fn refusals() {
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"x");
    let sub = summary_sub(&mut net, 0, 1, 10, false);
    net.run_for(Duration::from_secs(1));
    assert!(net.nodes[0].sub_events.contains(&SubscriberEvent::Accepted { sub, expires: 60 }));

    let c = contact(0);
    let req = subscribe("dialog", "sip:bob@example.com", "<sip:alice@example.com>", &c, 1);
    let now = net.now;
    let n0 = &mut net.nodes[0];
    n0.subscriber.subscribe(&mut n0.ep, &req, now);
    let mut req =
        subscribe("message-summary", "sip:bob@example.com", "<sip:alice@example.com>", &c, 1);
    req.accept = &["application/json"];
    n0.subscriber.subscribe(&mut n0.ep, &req, now);
    net.run_for(Duration::from_secs(1));
    let ended = terminated(&net.nodes[0].sub_events);
    assert_eq!(ended, [Ended::Refused { code: 489 }, Ended::Refused { code: 406 }]);
}

/// "hi" from alice to bob at node 1.
fn hello() -> Outgoing<'static> {
    Outgoing::new(
        "sip:bob@example.com",
        "<sip:alice@example.com>",
        "text/plain",
        b"hi",
        addr(1),
        Transport::Udp,
    )
}

/// Digest on SUBSCRIBE (a 401 answered once with credentials), on PUBLISH and on MESSAGE.
#[test]
fn challenged_requests() {
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"x");
    net.nodes[1].gate = Some(DigestServer::new(ServerConfig::new("example.com")));
    net.nodes[1].agent = Some(PresenceAgent::new(PresenceConfig::new(&contact(1)), 5));
    let credentials = Some(("alice".to_owned(), "secret".to_owned()));
    let mut sc = SubscriberConfig::default();
    sc.credentials.clone_from(&credentials);
    net.nodes[0].subscriber = Subscriber::new(sc);
    let mut pc = PublisherConfig::default();
    pc.credentials.clone_from(&credentials);
    net.nodes[0].publisher = Publisher::new(pc);
    let mut mc = PagerConfig::default();
    mc.credentials.clone_from(&credentials);
    net.nodes[0].pager = Pager::new(mc);

    let sub = summary_sub(&mut net, 0, 1, 600, false);
    let doc = pidf("sip:bob@example.com", &[("t1", Basic::Open)]).to_vec();
    let now = net.now;
    let n0 = &mut net.nodes[0];
    n0.publisher.publish(
        &mut n0.ep,
        &Publish::new(
            "presence",
            "sip:bob@example.com",
            "<sip:bob@example.com>",
            "application/pidf+xml",
            &doc,
            addr(1),
            Transport::Udp,
        ),
        now,
    );
    let id = n0.pager.send(&mut n0.ep, &hello(), now);
    net.run_for(Duration::from_secs(2));
    assert!(net.nodes[0].sub_events.contains(&SubscriberEvent::Accepted { sub, expires: 600 }));
    assert!(matches!(net.nodes[0].pub_events[..], [PublisherEvent::Published { .. }]));
    assert_eq!(net.nodes[0].pager_events, [PagerEvent::Delivered { id, code: 200 }]);
    assert_eq!(net.nodes[1].challenges, 3);
    // the refresh is in the dialog: not challenged again
    net.run_for(Duration::from_secs(700));
    assert_eq!(net.nodes[1].challenges, 3, "refreshes in the dialog are not challenged");
    assert!(terminated(&net.nodes[0].sub_events).is_empty());

    // wrong password: bounded, then a failure
    let mut mc = PagerConfig::default();
    mc.credentials = Some(("alice".to_owned(), "wrong".to_owned()));
    net.nodes[0].pager = Pager::new(mc);
    let now = net.now;
    let n0 = &mut net.nodes[0];
    let id = n0.pager.send(&mut n0.ep, &hello(), now);
    net.run_for(Duration::from_secs(5));
    assert_eq!(net.nodes[0].pager_events.last(), Some(&PagerEvent::Failed { id, code: Some(401) }));
}

fn presence_sub(
    net: &mut Net,
    from: usize,
    to: usize,
    uri: &str,
    accept: &'static [&'static str],
) -> simple_sip::event::SubscriptionId {
    let c = contact(from);
    let who = format!("<sip:watcher{from}@example.com>");
    let mut req = subscribe("presence", uri, &who, &c, to);
    req.accept = accept;
    let now = net.now;
    let n = &mut net.nodes[from];
    n.subscriber.subscribe(&mut n.ep, &req, now)
}

fn publish(
    net: &mut Net,
    from: usize,
    to: usize,
    doc: &Presence,
) -> simple_sip::publish::PublicationId {
    let body = doc.to_vec();
    let now = net.now;
    let n = &mut net.nodes[from];
    n.publisher.publish(
        &mut n.ep,
        &Publish::new(
            "presence",
            "sip:alice@example.com",
            "<sip:alice@example.com>",
            "application/pidf+xml",
            &body,
            addr(to),
            Transport::Udp,
        ),
        now,
    )
}

/// What a watcher now holds: the last plain PIDF body, or its partial view.
fn watcher_state(events: &[SubscriberEvent]) -> Option<Presence> {
    let mut view = PresenceView::new();
    let mut plain = None;
    for e in events {
        if let SubscriberEvent::Notify { content_type, body, .. } = e {
            match content_type.as_deref() {
                Some("application/pidf+xml") => plain = Some(Presence::parse(body).unwrap()),
                Some("application/pidf-diff+xml") => {
                    view.handle_body(body).unwrap();
                    let u = view.poll_event().unwrap();
                    assert!(matches!(u, Update::Replaced | Update::Patched), "{u:?}");
                    plain = view.presence().cloned();
                }
                _ => {}
            }
        }
    }
    plain
}

/// Node 1 publishes alice's phone (open) to the agent on node 0; node 3 watches her in
/// plain PIDF, node 4 in partial PIDF.
fn phone_and_two_watchers(net: &mut Net) -> simple_sip::publish::PublicationId {
    let phone = publish(net, 1, 0, &pidf("sip:alice@example.com", &[("phone", Basic::Open)]));
    net.run_for(Duration::from_secs(1));
    presence_sub(net, 3, 0, "sip:alice@example.com", &[]);
    presence_sub(
        net,
        4,
        0,
        "sip:alice@example.com",
        &["application/pidf+xml", "application/pidf-diff+xml"],
    );
    phone
}

fn agent(net: &mut Net, node: usize) {
    net.nodes[node].agent = Some(PresenceAgent::new(PresenceConfig::new(&contact(node)), 99));
}

/// RFC 3856 with two publishers (RFC 3903): the watcher gets the composition of both
/// devices' documents; a modification reaches it; a publication that expires leaves the
/// document; one that is removed too. One watcher takes plain PIDF, the other partial PIDF
/// (RFC 5263): both hold the same state throughout, and the partial one got diffs.
#[test]
fn presence_with_two_publishers_and_two_kinds_of_watcher() {
    let mut net = Net::clean(5);
    agent(&mut net, 0);
    let phone = phone_and_two_watchers(&mut net);
    net.run_for(Duration::from_secs(1));
    let ids = |p: &Presence| p.tuples.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&watcher_state(&net.nodes[3].sub_events).unwrap()), ["phone"]);
    assert_eq!(ids(&watcher_state(&net.nodes[4].sub_events).unwrap()), ["phone"]);

    let laptop_doc = pidf("sip:alice@example.com", &[("laptop", Basic::Closed)]);
    publish(&mut net, 2, 0, &laptop_doc);
    net.run_for(Duration::from_secs(6));
    for w in [3, 4] {
        let p = watcher_state(&net.nodes[w].sub_events).unwrap();
        let mut got = ids(&p);
        got.sort();
        assert_eq!(got, ["laptop", "phone"], "watcher {w}");
    }

    // the phone goes closed: a modification
    let doc = pidf("sip:alice@example.com", &[("phone", Basic::Closed)]).to_vec();
    let now = net.now;
    let n1 = &mut net.nodes[1];
    assert!(n1.publisher.modify(&mut n1.ep, phone, "application/pidf+xml", &doc, now));
    net.run_for(Duration::from_secs(6));
    let composed = net.nodes[0]
        .agent
        .as_ref()
        .unwrap()
        .notifier()
        .package()
        .presence("sip:alice@example.com")
        .cloned()
        .unwrap();
    for w in [3, 4] {
        assert_eq!(watcher_state(&net.nodes[w].sub_events).unwrap(), composed, "watcher {w}");
    }
    assert!(composed.tuples.iter().all(|t| t.status.basic == Some(Basic::Closed)));
    let diffs = net.nodes[4].sub_events.iter().filter(|e| matches!(e, SubscriberEvent::Notify { body, .. } if body.windows(9).any(|w| w == b"pidf-diff"))).count();
    assert!(diffs >= 2, "changes went as <pidf-diff>");

    // the laptop stops refreshing (its node goes quiet): its publication expires after an hour
    let n2 = &mut net.nodes[2];
    n2.publisher = Publisher::new(PublisherConfig::default());
    net.run_for(Duration::from_secs(3600));
    assert!(net.nodes[0].agent_events.iter().any(|e| matches!(
        e,
        PresenceEvent::Publication(simple_sip::publish::CompositorEvent::Expired { .. })
    )));
    for w in [3, 4] {
        assert_eq!(
            ids(&watcher_state(&net.nodes[w].sub_events).unwrap()),
            ["phone"],
            "watcher {w}"
        );
    }
    // the phone's publication was refreshed all along, the subscriptions too
    assert_eq!(net.nodes[0].agent.as_ref().unwrap().compositor().len(), 1);
    assert!(terminated(&net.nodes[3].sub_events).is_empty());

    // removed: nobody publishes, the watchers get an empty document
    let now = net.now;
    let n1 = &mut net.nodes[1];
    assert!(n1.publisher.remove(&mut n1.ep, phone, now));
    net.run_for(Duration::from_secs(6));
    assert!(net.nodes[1].pub_events.contains(&PublisherEvent::Removed { publication: phone }));
    for w in [3, 4] {
        assert!(watcher_state(&net.nodes[w].sub_events).unwrap().tuples.is_empty(), "watcher {w}");
    }
}

/// RFC 3856 §6.6.2: at most one NOTIFY per 5 s per watcher; changes in between coalesce, and
/// the last state is the one that arrives.
#[test]
fn presence_rate_limit_coalesces() {
    let mut net = Net::clean(3);
    agent(&mut net, 0);
    let p = publish(&mut net, 1, 0, &pidf("sip:alice@example.com", &[("t", Basic::Open)]));
    net.run_for(Duration::from_secs(1));
    presence_sub(&mut net, 2, 0, "sip:alice@example.com", &[]);
    net.run_for(Duration::from_millis(100));
    let before = notifies(&net.nodes[2].sub_events).len();
    for i in 0..10 {
        let doc = pidf("sip:alice@example.com", &[(&format!("t{i}"), Basic::Open)]).to_vec();
        let now = net.now;
        let n1 = &mut net.nodes[1];
        n1.publisher.modify(&mut n1.ep, p, "application/pidf+xml", &doc, now);
        net.run_for(Duration::from_millis(300));
    }
    net.run_for(Duration::from_secs(12));
    let n = notifies(&net.nodes[2].sub_events);
    let during = n.len() - before;
    assert!((1..=2).contains(&during), "{during} NOTIFYs for 10 changes in 3 s");
    let last = watcher_state(&net.nodes[2].sub_events).unwrap();
    assert_eq!(last.tuples[0].id, "t9");
}

/// RFC 3903 §4.2 recovery: the compositor loses its state (a restart); the next refresh gets
/// 412, and the publisher publishes its full state again with no entity tag.
#[test]
fn publisher_recovers_from_412() {
    let mut net = Net::clean(2);
    agent(&mut net, 0);
    let p = publish(&mut net, 1, 0, &pidf("sip:alice@example.com", &[("t", Basic::Open)]));
    net.run_for(Duration::from_secs(1));
    let first = net.nodes[1].publisher.etag(p).unwrap().to_owned();
    // restarted with nothing (and, like any restart, a new seed)
    net.nodes[0].agent = Some(PresenceAgent::new(PresenceConfig::new(&contact(0)), 100));
    net.run_for(Duration::from_secs(3300));
    let events = &net.nodes[1].pub_events;
    assert_eq!(events.len(), 2, "{events:?}");
    let second = net.nodes[1].publisher.etag(p).unwrap().to_owned();
    assert_ne!(first, second);
    let publishes: Vec<&OwnedMessage> =
        net.nodes[0].seen.iter().filter(|m| m.method() == Some(Method::Publish)).collect();
    let last = publishes.last().unwrap();
    assert!(last.header(simple_sip::HeaderName::SipIfMatch).is_none(), "full state without a tag");
    assert!(!last.body().is_empty());
    assert_eq!(net.nodes[0].agent.as_ref().unwrap().compositor().len(), 1);
}

/// Every 2xx to a PUBLISH carries a fresh entity tag (§6 step 8), a refresh has no body
/// (§4.3), and a PUBLISH naming an old tag gets 412.
#[test]
fn etags_are_fresh_and_old_ones_refused() {
    let mut net = Net::clean(2);
    agent(&mut net, 0);
    let p = publish(&mut net, 1, 0, &pidf("sip:alice@example.com", &[("t", Basic::Open)]));
    net.run_for(Duration::from_secs(1));
    let first = net.nodes[1].publisher.etag(p).unwrap().to_owned();
    net.run_for(Duration::from_secs(3300));
    let second = net.nodes[1].publisher.etag(p).unwrap().to_owned();
    assert_ne!(first, second);
    let refresh = net.nodes[0].seen.iter().rfind(|m| m.method() == Some(Method::Publish)).unwrap();
    assert!(refresh.body().is_empty());
    assert_eq!(
        refresh.header(simple_sip::HeaderName::SipIfMatch).unwrap().value(),
        first.as_bytes()
    );
    // a stale publisher still holding the first tag
    let raw = format!(
        "PUBLISH sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKstale\r\nMax-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=s\r\nTo: <sip:alice@example.com>\r\nCall-ID: stale\r\nCSeq: 1 PUBLISH\r\n\
         Event: presence\r\nSIP-If-Match: {first}\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n",
        a = addr(1)
    );
    let now = net.now;
    net.nodes[0].ep.handle_datagram(addr(1), Transport::Udp, raw.as_bytes(), now);
    net.collect();
    let answer = net
        .in_flight
        .values()
        .map(|(_, _, t)| t.contents.clone())
        .find(|c| c.starts_with(b"SIP/2.0 412"))
        .is_some();
    assert!(answer);
}

/// The Content-Type of each PUBLISH `node` received, in order.
fn publish_types(node: &Node) -> Vec<String> {
    node.seen
        .iter()
        .filter(|m| m.method() == Some(Method::Publish))
        .map(|m| {
            m.header(simple_sip::HeaderName::ContentType)
                .map(|h| String::from_utf8_lossy(h.value()).into_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// RFC 5264: a partial publication patches the stored document; a diff that does not apply
/// gets 400, and the publisher then sends its full state.
#[test]
fn partial_publication() {
    let mut net = Net::clean(3);
    agent(&mut net, 0);
    let mut doc = pidf("sip:alice@example.com", &[("a", Basic::Open), ("b", Basic::Open)]);
    let p = publish(&mut net, 1, 0, &doc);
    net.run_for(Duration::from_secs(1));
    presence_sub(&mut net, 2, 0, "sip:alice@example.com", &[]);
    net.run_for(Duration::from_secs(1));

    let before = simple_pidf::partial::watcher_document(&doc);
    doc.tuples[1].status.basic = Some(Basic::Closed);
    let after = simple_pidf::partial::watcher_document(&doc);
    let diff =
        simple_pidf::partial::diff_body(&simple_patch::diff(&before, &after), &doc.entity, 2);
    let full = doc.to_vec();
    let now = net.now;
    let n1 = &mut net.nodes[1];
    assert!(n1.publisher.modify_partial(&mut n1.ep, p, &full, &diff, now));
    net.run_for(Duration::from_secs(6));
    assert_eq!(publish_types(&net.nodes[0])[1..], ["application/pidf-diff+xml"]);
    let state = watcher_state(&net.nodes[2].sub_events).unwrap();
    assert_eq!(state.tuples[1].status.basic, Some(Basic::Closed));

    // a diff against something else: refused with 400, the full state goes instead
    doc.tuples[0].status.basic = Some(Basic::Closed);
    let bogus = br#"<p:pidf-diff xmlns:p="urn:ietf:params:xml:ns:pidf-diff" entity="sip:alice@example.com" version="9"><p:remove sel="*/*[@id='nope']"/></p:pidf-diff>"#;
    let full = doc.to_vec();
    let now = net.now;
    let n1 = &mut net.nodes[1];
    assert!(n1.publisher.modify_partial(&mut n1.ep, p, &full, bogus, now));
    net.run_for(Duration::from_secs(6));
    let types = publish_types(&net.nodes[0]);
    assert_eq!(types.len(), 4);
    assert_eq!(types[3], "application/pidf+xml");
    let state = watcher_state(&net.nodes[2].sub_events).unwrap();
    assert_eq!(state.tuples[0].status.basic, Some(Basic::Closed));
    assert!(net.nodes[1].pub_events.iter().all(|e| matches!(e, PublisherEvent::Published { .. })));
}

/// RFC 3428: 200 is delivered, 415 names what is accepted, a body over the limit gets 413,
/// a large message goes over TCP, and a message nobody answers fails after Timer F: exactly
/// one outcome each, also over a lossy network.
#[test]
fn pager_outcomes() {
    let mut net = Net::clean(3);
    let send = |net: &mut Net, to: usize, ct: &str, body: &[u8]| {
        let now = net.now;
        let n0 = &mut net.nodes[0];
        n0.pager.send(
            &mut n0.ep,
            &Outgoing::new(
                "sip:bob@example.com",
                "<sip:alice@example.com>",
                ct,
                body,
                addr(to),
                Transport::Udp,
            ),
            now,
        )
    };
    let ok = send(&mut net, 1, "text/plain", b"hello");
    let odd = send(&mut net, 1, "application/x-odd", b"??");
    let big_body = vec![b'x'; 70 * 1024];
    let big = send(&mut net, 1, "text/plain", &big_body);
    let tcp_body = vec![b'y'; 4000];
    let tcp = send(&mut net, 1, "text/plain", &tcp_body);
    net.down[2] = true;
    let lost = send(&mut net, 2, "text/plain", b"anyone?");
    net.run_for(Duration::from_secs(40));
    let mut got = net.nodes[0].pager_events.clone();
    got.sort_by_key(|e| format!("{e:?}"));
    let mut want = vec![
        PagerEvent::Delivered { id: ok, code: 200 },
        PagerEvent::Failed { id: odd, code: Some(415) },
        PagerEvent::Failed { id: big, code: Some(413) },
        PagerEvent::Delivered { id: tcp, code: 200 },
        PagerEvent::Failed { id: lost, code: None },
    ];
    want.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(got, want);
    let received: Vec<usize> = net.nodes[1]
        .pager_events
        .iter()
        .filter_map(|e| match e {
            PagerEvent::Received { body, .. } => Some(body.len()),
            _ => None,
        })
        .collect();
    assert_eq!(received, [5, 4000]);
    let tcp_seen = net.nodes[1].seen.iter().find(|m| m.body().len() == 4000).unwrap();
    assert!(tcp_seen.view(|m| {
        m.require::<simple_sip::headers::Via<'_>>().unwrap().transport.eq_ignore_ascii_case("TCP")
    }));

    for seed in 1..=20 {
        let mut net = Net::new(2, seed, 30, 20, 200);
        let ids: Vec<_> =
            (0..10).map(|i| send(&mut net, 1, "text/plain", format!("m{i}").as_bytes())).collect();
        net.run_for(Duration::from_secs(60));
        let outcomes = &net.nodes[0].pager_events;
        assert_eq!(outcomes.len(), 10, "seed {seed}: one outcome per message");
        for id in ids {
            assert_eq!(outcomes.iter().filter(|e| matches!(e, PagerEvent::Delivered { id: i, .. } | PagerEvent::Failed { id: i, .. } if *i == id)).count(), 1);
        }
        let received = net.nodes[1].pager_events.len();
        let delivered =
            outcomes.iter().filter(|e| matches!(e, PagerEvent::Delivered { .. })).count();
        assert!(received >= delivered && received <= 10, "seed {seed}: no message received twice");
    }
}

/// RFC 6446: max-rate holds NOTIFYs apart, min-rate sends state though nothing changed, and
/// the notifier reflects what it uses in Subscription-State.
#[test]
fn rate_control() {
    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"v0");
    let c = contact(0);
    let mut req =
        subscribe("message-summary", "sip:bob@example.com", "<sip:alice@example.com>", &c, 1);
    req.rate = RateControl { max_rate: Some(0.1), min_rate: None, adaptive_min_rate: None };
    let now = net.now;
    let n0 = &mut net.nodes[0];
    n0.subscriber.subscribe(&mut n0.ep, &req, now);
    net.run_for(Duration::from_secs(1));
    for i in 1..=5 {
        let now = net.now;
        let n1 = &mut net.nodes[1];
        let notifier = n1.notifier.as_mut().unwrap();
        notifier.package_mut().set("sip:bob@example.com", Bytes::from(format!("v{i}")));
        notifier.changed(&mut n1.ep, "sip:bob@example.com", now);
        net.run_for(Duration::from_secs(1));
    }
    let n = notifies(&net.nodes[0].sub_events);
    assert_eq!(n.len(), 1, "held back by max-rate 0.1/s");
    net.run_for(Duration::from_secs(6));
    let n = notifies(&net.nodes[0].sub_events);
    assert_eq!(n.len(), 2);
    assert_eq!(&n[1].2[..], b"v5", "coalesced to the last state");
    let state = net.nodes[0].seen.iter().rfind(|m| m.method() == Some(Method::Notify)).unwrap();
    let ss = String::from_utf8_lossy(
        state.header(simple_sip::HeaderName::SubscriptionState).unwrap().value(),
    )
    .into_owned();
    assert!(ss.contains(";max-rate=0.1"), "{ss}");

    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"same");
    let mut req =
        subscribe("message-summary", "sip:bob@example.com", "<sip:alice@example.com>", &c, 1);
    req.rate = RateControl { max_rate: None, min_rate: Some(1.0 / 60.0), adaptive_min_rate: None };
    let now = net.now;
    let n0 = &mut net.nodes[0];
    n0.subscriber.subscribe(&mut n0.ep, &req, now);
    net.run_for(Duration::from_secs(301));
    let n = notifies(&net.nodes[0].sub_events);
    assert_eq!(n.len(), 6, "one at once, then one a minute without a change");

    let mut net = Net::clean(2);
    with_summary(&mut net, 1, b"same");
    let mut req =
        subscribe("message-summary", "sip:bob@example.com", "<sip:alice@example.com>", &c, 1);
    req.rate = RateControl { max_rate: None, min_rate: None, adaptive_min_rate: Some(0.1) };
    let now = net.now;
    let n0 = &mut net.nodes[0];
    n0.subscriber.subscribe(&mut n0.ep, &req, now);
    net.run_for(Duration::from_secs(600));
    let n = notifies(&net.nodes[0].sub_events).len();
    // about 0.1 per second on average over the period
    assert!((40..=80).contains(&n), "{n} NOTIFYs in 600 s at adaptive-min-rate 0.1");
}

/// A subscription over a bad network (loss, duplication, reordering): each state change
/// reaches the watcher or is superseded by a later one that does, the last state always
/// arrives, and after unsubscribing both sides are empty with no timer left.
#[test]
fn presence_over_a_lossy_network() {
    for seed in 1..=12 {
        let mut net = Net::new(3, seed, 20, 10, 150);
        agent(&mut net, 0);
        let p = publish(&mut net, 1, 0, &pidf("sip:alice@example.com", &[("s0", Basic::Open)]));
        net.run_for(Duration::from_secs(40));
        let sub = presence_sub(
            &mut net,
            2,
            0,
            "sip:alice@example.com",
            &["application/pidf-diff+xml", "application/pidf+xml"],
        );
        net.run_for(Duration::from_secs(40));
        for i in 1..=6 {
            let doc = pidf("sip:alice@example.com", &[(&format!("s{i}"), Basic::Open)]).to_vec();
            let now = net.now;
            let n1 = &mut net.nodes[1];
            n1.publisher.modify(&mut n1.ep, p, "application/pidf+xml", &doc, now);
            net.run_for(Duration::from_secs(9));
        }
        net.run_for(Duration::from_secs(120));
        if !net.nodes[1].pub_events.iter().any(|e| matches!(e, PublisherEvent::Failed { .. }))
            && terminated(&net.nodes[2].sub_events).is_empty()
        {
            let composed = net.nodes[0]
                .agent
                .as_ref()
                .unwrap()
                .notifier()
                .package()
                .presence("sip:alice@example.com")
                .cloned()
                .unwrap();
            assert_eq!(
                watcher_state(&net.nodes[2].sub_events).as_ref(),
                Some(&composed),
                "seed {seed}"
            );
        }
        let now = net.now;
        let n2 = &mut net.nodes[2];
        n2.subscriber.unsubscribe(&mut n2.ep, sub, now);
        let n1 = &mut net.nodes[1];
        n1.publisher.remove(&mut n1.ep, p, now);
        net.run_for(Duration::from_secs(300));
        assert!(
            net.nodes[2].subscriber.is_empty(),
            "seed {seed}: {:?}",
            &net.nodes[2].sub_events[net.nodes[2].sub_events.len().saturating_sub(5)..]
        );
        assert!(net.nodes[0].agent.as_ref().unwrap().notifier().is_empty(), "seed {seed}");
        assert!(net.nodes[1].publisher.is_empty(), "seed {seed}");
        assert!(net.nodes[0].agent.as_ref().unwrap().compositor().is_empty(), "seed {seed}");
        for n in &mut net.nodes {
            assert!(n.next_deadline().is_none(), "seed {seed}: a timer outlived its machine");
        }
    }
}

/// Watcher information (RFC 3857): the presentity subscribes to its `presence.winfo`; a
/// watcher arrives pending (a full then a partial document say so), is approved (it then
/// gets the presence state), and leaves; another user may not read the presentity's
/// watchers.
#[test]
fn watcher_info_follows_the_pending_approved_active_flow() {
    use simple_pidf::winfo::{WatcherEvent, WatcherInfo, WatcherStatus, WinfoView};
    let mut net = Net::clean(4);
    let mut config = PresenceConfig::new(&contact(0));
    config.notifier.authorization = Authorization::Pending;
    net.nodes[0].agent = Some(PresenceAgent::new(config, 7));
    publish(&mut net, 1, 0, &pidf("sip:alice@example.com", &[("t", Basic::Open)]));
    net.run_for(Duration::from_secs(1));
    // alice reads her watchers
    let c1 = contact(1);
    let req =
        subscribe("presence.winfo", "sip:alice@example.com", "<sip:alice@example.com>", &c1, 0);
    let now = net.now;
    let n1 = &mut net.nodes[1];
    n1.subscriber.subscribe(&mut n1.ep, &req, now);
    net.run_for(Duration::from_secs(1));
    let winfo = |net: &Net| -> WinfoView {
        let mut view = WinfoView::new();
        for (_, _, body) in notifies(&net.nodes[1].sub_events) {
            if !body.is_empty() {
                assert!(view.apply(&WatcherInfo::parse(&body).unwrap()));
            }
        }
        view
    };
    assert!(winfo(&net).lists()[0].watchers.is_empty());

    // bob watches alice: pending
    let bob = presence_sub(&mut net, 2, 0, "sip:alice@example.com", &[]);
    net.run_for(Duration::from_secs(1));
    let view = winfo(&net);
    let w = &view.lists()[0].watchers[0];
    assert_eq!(
        (w.uri.as_str(), w.status, w.event),
        ("sip:watcher2@example.com", WatcherStatus::Pending, WatcherEvent::Subscribe)
    );
    let bodies = notifies(&net.nodes[1].sub_events);
    let last = WatcherInfo::parse(&bodies.last().unwrap().2).unwrap();
    assert_eq!(last.state, simple_pidf::winfo::State::Partial);
    assert!(
        notifies(&net.nodes[2].sub_events).iter().all(|n| n.0 == Status::Pending && n.2.is_empty())
    );

    // alice approves bob
    let now = net.now;
    let n0 = &mut net.nodes[0];
    n0.agent.as_mut().unwrap().authorize(
        &mut n0.ep,
        "sip:alice@example.com",
        "sip:watcher2@example.com",
        Authorization::Active,
        now,
    );
    net.run_for(Duration::from_secs(1));
    let view = winfo(&net);
    let w = &view.lists()[0].watchers[0];
    assert_eq!((w.status, w.event), (WatcherStatus::Active, WatcherEvent::Approved));
    assert_eq!(watcher_state(&net.nodes[2].sub_events).unwrap().tuples[0].id, "t");

    // carol may not read alice's watchers
    let c3 = contact(3);
    let req =
        subscribe("presence.winfo", "sip:alice@example.com", "<sip:carol@example.com>", &c3, 0);
    let now = net.now;
    let n3 = &mut net.nodes[3];
    n3.subscriber.subscribe(&mut n3.ep, &req, now);
    net.run_for(Duration::from_secs(1));
    assert_eq!(
        terminated(&net.nodes[3].sub_events),
        [Ended::Notifier { reason: Some("rejected".into()), retry_after: None }]
    );

    // bob leaves
    let now = net.now;
    let n2 = &mut net.nodes[2];
    n2.subscriber.unsubscribe(&mut n2.ep, bob, now);
    net.run_for(Duration::from_secs(2));
    let view = winfo(&net);
    let w = &view.lists()[0].watchers[0];
    assert_eq!((w.status, w.event), (WatcherStatus::Terminated, WatcherEvent::Timeout));
    // a refresh of alice's winfo subscription brings full state: bob is no longer listed
    net.run_for(Duration::from_secs(3300));
    let bodies = notifies(&net.nodes[1].sub_events);
    let last = WatcherInfo::parse(&bodies.last().unwrap().2).unwrap();
    assert_eq!(last.state, simple_pidf::winfo::State::Full);
    assert!(last.lists[0].watchers.is_empty());
}

/// A presence server that restarts (state from its journal, nothing else kept: a new
/// endpoint, a new agent) goes on serving: publications keep their entity tags, every
/// watcher gets the current state at once in the same dialog with the next CSeq, refreshes
/// of both publications and subscriptions are accepted, and later changes arrive.
#[test]
fn presence_agent_restarts_from_its_journal() {
    use simple_sip::event::Journal;
    let journaled = |node: usize| {
        let mut config = PresenceConfig::new(&contact(node));
        config.notifier.journal = true;
        config.winfo.journal = true;
        config.notifier.min_interval = Duration::ZERO;
        PresenceAgent::new(config, 7)
    };
    let mut net = Net::clean(5);
    net.nodes[0].agent = Some(journaled(0));
    let phone = phone_and_two_watchers(&mut net);
    net.run_for(Duration::from_secs(2));

    // what a store would hold
    let now = net.now;
    let agent = net.nodes[0].agent.as_mut().unwrap();
    let mut subs = BTreeMap::new();
    while let Some(j) = agent.poll_journal(now) {
        match j {
            Journal::Saved(r) => {
                subs.insert(r.dialog.id.call_id.clone(), *r);
            }
            Journal::Removed(id) => {
                subs.remove(&id.call_id);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(subs.len(), 2);
    let pubs: Vec<(String, String, Bytes, Instant)> = agent
        .compositor()
        .publications("sip:alice@example.com")
        .map(|p| (p.etag.to_owned(), p.content_type.to_owned(), p.body.clone(), p.expires_at))
        .collect();
    assert_eq!(pubs.len(), 1);
    let seqs: Vec<u32> = subs.values().map(|r| r.dialog.local_seq).collect();

    // kill -9: the endpoint and the agent are gone
    net.nodes[0].ep = Endpoint::new(EndpointConfig::new(&addr(0).to_string()), 1234);
    let mut agent = journaled(0);
    let before: Vec<usize> =
        [3, 4].iter().map(|&w| notifies(&net.nodes[w].sub_events).len()).collect();
    let now = net.now;
    for (etag, ct, body, at) in pubs {
        agent.compositor_mut().restore("sip:alice@example.com", &etag, &ct, body, at);
    }
    let n0 = &mut net.nodes[0];
    agent.sync(&mut n0.ep, now);
    for r in subs.values() {
        assert!(agent.restore(&mut n0.ep, r.clone(), now).is_some());
    }
    // served once already
    assert!(agent.restore(&mut n0.ep, subs.values().next().unwrap().clone(), now).is_none());
    n0.agent = Some(agent);
    net.run_for(Duration::from_secs(1));
    for (i, &w) in [3, 4].iter().enumerate() {
        let got = notifies(&net.nodes[w].sub_events);
        assert_eq!(got.len(), before[i] + 1, "watcher {w} got the state again");
        let p = watcher_state(&net.nodes[w].sub_events).unwrap();
        assert_eq!(p.tuples[0].status.basic, Some(Basic::Open));
    }
    // the NOTIFYs after the restart carried the next CSeq of each dialog
    let now = net.now;
    let agent = net.nodes[0].agent.as_mut().unwrap();
    let mut after = Vec::new();
    while let Some(j) = agent.poll_journal(now) {
        if let Journal::Saved(r) = j {
            after.push((r.dialog.id.call_id.clone(), r.dialog.local_seq));
        }
    }
    for (call_id, seq) in after {
        let old = subs[&call_id].dialog.local_seq;
        assert_eq!(seq, old + 1, "{call_id}: {seqs:?}");
    }

    // the phone's refresh (If-Match with the old tag) and a change go on; so do the
    // watchers' refreshes, for hours
    let doc = pidf("sip:alice@example.com", &[("phone", Basic::Closed)]).to_vec();
    let now = net.now;
    let n1 = &mut net.nodes[1];
    assert!(n1.publisher.modify(&mut n1.ep, phone, "application/pidf+xml", &doc, now));
    net.run_for(Duration::from_secs(7200));
    assert!(
        !net.nodes[1].pub_events.iter().any(|e| matches!(e, PublisherEvent::Failed { .. })),
        "{:?}",
        net.nodes[1].pub_events
    );
    for w in [3, 4] {
        assert!(terminated(&net.nodes[w].sub_events).is_empty(), "watcher {w}");
        let p = watcher_state(&net.nodes[w].sub_events).unwrap();
        assert_eq!(p.tuples[0].status.basic, Some(Basic::Closed), "watcher {w}");
    }
    assert!(net.nodes[0].other.is_empty(), "{:?}", net.nodes[0].other);
}

/// Keeps one tuple: what a pres-rules `<provide-services>` naming it would leave.
#[derive(Debug)]
struct OnlyTuple(&'static str);

impl simple_sip::presence::DocumentFilter for OnlyTuple {
    fn filter(&self, presence: &Presence) -> Presence {
        let mut p = presence.clone();
        p.tuples.retain(|t| t.id == self.0);
        p
    }
}

/// RFC 5025 transformations through the agent's per-watcher filter: each watcher (plain
/// and partial) sees only what its filter leaves, a filter set on a live subscription takes
/// effect at once, changes reach each watcher filtered, and a filter removed gives the
/// whole document back (partial versions numbered on throughout).
#[test]
fn presence_filters_per_watcher() {
    use std::sync::Arc;
    let mut net = Net::clean(5);
    agent(&mut net, 0);
    let phone = phone_and_two_watchers(&mut net);
    publish(&mut net, 2, 0, &pidf("sip:alice@example.com", &[("laptop", Basic::Closed)]));
    net.run_for(Duration::from_secs(6));
    let ids = |w: usize, net: &Net| {
        let mut v: Vec<String> = watcher_state(&net.nodes[w].sub_events)
            .unwrap()
            .tuples
            .iter()
            .map(|t| t.id.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(3, &net), ["laptop", "phone"]);
    assert_eq!(ids(4, &net), ["laptop", "phone"]);

    let now = net.now;
    let n0 = &mut net.nodes[0];
    let agent = n0.agent.as_mut().unwrap();
    let only_phone: Arc<dyn simple_sip::presence::DocumentFilter> = Arc::new(OnlyTuple("phone"));
    agent.filter(
        &mut n0.ep,
        "sip:alice@example.com",
        "sip:watcher3@example.com",
        Some(only_phone),
        now,
    );
    agent.filter(
        &mut n0.ep,
        "sip:alice@example.com",
        "sip:watcher4@example.com",
        Some(Arc::new(OnlyTuple("laptop"))),
        now,
    );
    net.run_for(Duration::from_secs(6));
    assert_eq!(ids(3, &net), ["phone"]);
    assert_eq!(ids(4, &net), ["laptop"]);

    // a change to the phone: watcher 3 sees it, watcher 4's view does not change
    let before4 = notifies(&net.nodes[4].sub_events).len();
    let doc = pidf("sip:alice@example.com", &[("phone", Basic::Closed)]).to_vec();
    let now = net.now;
    let n1 = &mut net.nodes[1];
    assert!(n1.publisher.modify(&mut n1.ep, phone, "application/pidf+xml", &doc, now));
    net.run_for(Duration::from_secs(6));
    let p3 = watcher_state(&net.nodes[3].sub_events).unwrap();
    assert_eq!(p3.tuples.len(), 1);
    assert_eq!(p3.tuples[0].status.basic, Some(Basic::Closed));
    assert_eq!(ids(4, &net), ["laptop"]);
    // the partial watcher's NOTIFY (if any) said nothing new: its view is the same
    assert!(notifies(&net.nodes[4].sub_events).len() <= before4 + 1);

    // the filter goes: the whole document again
    let now = net.now;
    let n0 = &mut net.nodes[0];
    n0.agent.as_mut().unwrap().filter(
        &mut n0.ep,
        "sip:alice@example.com",
        "sip:watcher4@example.com",
        None,
        now,
    );
    net.run_for(Duration::from_secs(6));
    assert_eq!(ids(4, &net), ["laptop", "phone"]);
    assert_eq!(ids(3, &net), ["phone"]);
    // RFC 5263 §4.3: one increasing version per subscription, filtered or not
    let versions = |net: &Net| -> Vec<u32> {
        notifies(&net.nodes[4].sub_events)
            .iter()
            .filter_map(|(_, _, body)| {
                let text = core::str::from_utf8(body).ok()?;
                let root = text.find(":pidf-")?;
                let at = root + text[root..].find("version=\"")? + 9;
                text[at..].split('"').next()?.parse().ok()
            })
            .collect()
    };
    let v = versions(&net);
    assert!(v.len() >= 4, "{v:?}");
    assert!(v.windows(2).all(|w| w[1] == w[0] + 1), "{v:?}");

    // the partial watcher filtered again, then every filter removed, its own last: the
    // numbering still goes on
    let set =
        |net: &mut Net, watcher: &str, f: Option<Arc<dyn simple_sip::presence::DocumentFilter>>| {
            let now = net.now;
            let n0 = &mut net.nodes[0];
            n0.agent.as_mut().unwrap().filter(&mut n0.ep, "sip:alice@example.com", watcher, f, now);
            net.run_for(Duration::from_secs(6));
        };
    set(&mut net, "sip:watcher4@example.com", Some(Arc::new(OnlyTuple("laptop"))));
    assert_eq!(ids(4, &net), ["laptop"]);
    set(&mut net, "sip:watcher3@example.com", None);
    assert_eq!(ids(3, &net), ["laptop", "phone"]);
    set(&mut net, "sip:watcher4@example.com", None);
    assert_eq!(ids(4, &net), ["laptop", "phone"]);
    let v = versions(&net);
    assert!(v.len() >= 6, "{v:?}");
    assert!(v.windows(2).all(|w| w[1] == w[0] + 1), "{v:?}");
}
