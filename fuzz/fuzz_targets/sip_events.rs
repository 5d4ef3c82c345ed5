//! The event roles driven by arbitrary sequences: a watcher endpoint (Subscriber, Publisher,
//! Pager) and a server endpoint (PresenceAgent with its winfo notifier, a Pager) over a
//! network the input controls (deliver, drop, duplicate, reorder), with time jumps,
//! subscribe / unsubscribe / refresh / publish / modify / remove / authorize commands, and
//! raw or mutated datagrams injected on either side.
//!
//! Invariants: no panic; whatever is sent parses; no subscription, served subscription or
//! publication without a deadline somewhere (its own or its transaction's); the counts stay
//! bounded by the commands given; and after a clean settling phase (a final state published,
//! a perfect network, time run on), every watcher the agent has active holds the last
//! composed state, and once everything is ended no deadline is left.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use simple_pidf::{Basic, Presence, Tuple};
use simple_sip::endpoint::{Endpoint, EndpointConfig, Transport};
use simple_sip::event::{Authorization, Subscribe, Subscriber, SubscriberConfig, SubscriberEvent, SubscriptionId};
use simple_sip::pager::{Outgoing, Pager, PagerConfig};
use simple_sip::presence::{PresenceAgent, PresenceConfig};
use simple_sip::publish::{Publish, Publisher, PublisherConfig, PublicationId};
use simple_sip::{Header, Message};

const W: usize = 0;
const S: usize = 1;
const ENTITY: &str = "sip:alice@example.com";

fn addr(i: usize) -> SocketAddr {
    if i == W { "127.0.0.1:5060".parse().expect("literal") } else { "127.0.0.1:5070".parse().expect("literal") }
}

struct World {
    eps: [Endpoint; 2],
    subscriber: Subscriber,
    publisher: Publisher,
    pagers: [Pager; 2],
    agent: PresenceAgent,
    now: Instant,
    wire: Vec<(usize, Transport, Vec<u8>)>,
    /// What the watcher last got per subscription: (active, plain PIDF body).
    last: std::collections::HashMap<SubscriptionId, Vec<u8>>,
    /// The agent's presence subscriptions: Call-ID and whether active.
    served: std::collections::HashMap<simple_sip::event::NotifierSub, (String, bool)>,
}

impl World {
    fn new() -> Self {
        let mut ec = EndpointConfig::new("127.0.0.1:5070");
        ec.max_transactions = 64;
        let mut pc = PresenceConfig::new("<sip:127.0.0.1:5070>");
        pc.notifier.max_subscriptions = 16;
        pc.compositor.max_publications = 16;
        Self {
            eps: [Endpoint::new(EndpointConfig::new("127.0.0.1:5060"), 1), Endpoint::new(ec, 2)],
            subscriber: Subscriber::new(SubscriberConfig::default()),
            publisher: Publisher::new(PublisherConfig::default()),
            pagers: [Pager::new(PagerConfig::default()), Pager::new(PagerConfig::default())],
            agent: PresenceAgent::new(pc, 3),
            now: Instant::now(),
            wire: Vec::new(),
            last: std::collections::HashMap::new(),
            served: std::collections::HashMap::new(),
        }
    }

    fn pump(&mut self) {
        for _ in 0..4 {
            let now = self.now;
            while let Some(e) = self.eps[W].poll_event() {
                let e = self.subscriber.handle(&mut self.eps[W], e, now);
                let e = e.and_then(|e| self.publisher.handle(&mut self.eps[W], e, now));
                let e = e.and_then(|e| self.pagers[W].handle(&mut self.eps[W], e, now));
                let _ = e.and_then(|e| simple_sip::event::refuse(&mut self.eps[W], e, &[], now));
            }
            while let Some(e) = self.eps[S].poll_event() {
                let e = self.agent.handle(&mut self.eps[S], e, now);
                let e = e.and_then(|e| self.pagers[S].handle(&mut self.eps[S], e, now));
                let _ = e.and_then(|e| simple_sip::event::refuse(&mut self.eps[S], e, &["presence"], now));
            }
            while let Some(e) = self.subscriber.poll_event() {
                match e {
                    SubscriberEvent::Notify { sub, body, content_type, terminated, status } => {
                        if terminated || status == simple_sip::event::Status::Pending {
                            self.last.remove(&sub);
                        } else if content_type.as_deref() == Some("application/pidf+xml") {
                            self.last.insert(sub, body.to_vec());
                        }
                    }
                    SubscriberEvent::Terminated { sub, .. } | SubscriberEvent::Retrying { sub, .. } => {
                        self.last.remove(&sub);
                    }
                    _ => {}
                }
            }
            while self.publisher.poll_event().is_some() {}
            while let Some(e) = self.agent.poll_event() {
                use simple_sip::event::NotifierEvent as N;
                if let simple_sip::presence::PresenceEvent::Watcher(e) = e {
                    match e {
                        N::Subscribed { sub, call_id, status, .. } => {
                            self.served.insert(sub, (call_id, status == Authorization::Active));
                        }
                        N::StatusChanged { sub, status, .. } => {
                            if let Some(s) = self.served.get_mut(&sub) {
                                s.1 = status == Authorization::Active;
                            }
                        }
                        N::Terminated { sub, .. } => {
                            self.served.remove(&sub);
                        }
                        _ => {}
                    }
                }
            }
            for p in &mut self.pagers {
                while p.poll_event().is_some() {}
            }
            for (i, ep) in self.eps.iter_mut().enumerate() {
                while let Some(t) = ep.poll_transmit() {
                    let bytes = t.contents.to_vec();
                    if bytes != b"\r\n" {
                        let mut headers = [Header::EMPTY; 64];
                        assert!(Message::parse(&bytes, &mut headers).is_ok(), "we sent what does not parse: {:?}", String::from_utf8_lossy(&bytes));
                    }
                    self.wire.push((1 - i, t.transport, bytes));
                }
            }
        }
    }

    fn deliver(&mut self, k: usize) {
        if self.wire.is_empty() {
            return;
        }
        let (to, transport, bytes) = self.wire.remove(k % self.wire.len());
        let from = addr(1 - to);
        if transport.is_stream() {
            self.eps[to].handle_stream(from, transport, &bytes, self.now);
        } else {
            self.eps[to].handle_datagram(from, transport, &bytes, self.now);
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        let now = self.now;
        for ep in &mut self.eps {
            ep.handle_timeout(now);
        }
        self.subscriber.handle_timeout(&mut self.eps[W], now);
        self.publisher.handle_timeout(&mut self.eps[W], now);
        self.agent.handle_timeout(&mut self.eps[S], now);
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        [
            self.eps[W].poll_timeout().map(|t| t.0),
            self.eps[S].poll_timeout().map(|t| t.0),
            self.subscriber.poll_timeout().map(|t| t.0),
            self.publisher.poll_timeout().map(|t| t.0),
            self.agent.poll_timeout().map(|t| t.0),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn check_deadlines(&mut self) {
        let w_timer = self.eps[W].poll_timeout().is_some();
        let s_timer = self.eps[S].poll_timeout().is_some();
        if !self.subscriber.is_empty() {
            assert!(self.subscriber.poll_timeout().is_some() || w_timer, "a subscription without a deadline");
        }
        if !self.publisher.is_empty() {
            assert!(self.publisher.poll_timeout().is_some() || w_timer, "a publication without a deadline");
        }
        if !self.agent.notifier().is_empty() || !self.agent.compositor().is_empty() {
            assert!(self.agent.poll_timeout().is_some() || s_timer, "served state without a deadline");
        }
    }

    /// A perfect network for `d` of protocol time.
    fn settle(&mut self, d: Duration) {
        let until = self.now + d;
        loop {
            self.pump();
            if !self.wire.is_empty() {
                self.deliver(0);
                continue;
            }
            match self.next_deadline() {
                Some(t) if t <= until => {
                    let step = t.saturating_duration_since(self.now);
                    self.advance(step);
                }
                Some(_) | None => break,
            }
        }
        if self.now < until {
            let step = until - self.now;
            self.advance(step);
            self.pump();
        }
    }
}

fn doc(k: u8) -> Vec<u8> {
    let mut p = Presence::new(ENTITY);
    for i in 0..(k % 4) {
        p.tuples.push(Tuple::new(format!("t{i}"), if k & 4 == 0 { Basic::Open } else { Basic::Closed }));
    }
    p.to_vec()
}

fuzz_target!(|data: &[u8]| {
    let mut w = World::new();
    let mut subs: Vec<SubscriptionId> = Vec::new();
    let mut pubs: Vec<PublicationId> = Vec::new();
    let mut commands = 0usize;
    let mut i = 0;
    let mut byte = || {
        let b = data.get(i).copied();
        i += 1;
        b
    };
    let contact = "<sip:alice@127.0.0.1:5060>";
    while let Some(op) = byte() {
        let a = byte().unwrap_or(0);
        let now = w.now;
        match op % 14 {
            0..=3 => w.deliver(usize::from(a)),
            4 => {
                if !w.wire.is_empty() {
                    let k = usize::from(a) % w.wire.len();
                    w.wire.remove(k);
                }
            }
            5 => {
                if !w.wire.is_empty() {
                    let k = usize::from(a) % w.wire.len();
                    let copy = w.wire[k].clone();
                    w.wire.push(copy);
                }
            }
            6 => w.advance(Duration::from_millis(u64::from(a) * u64::from(a) * 20)),
            7 if commands < 24 => {
                commands += 1;
                let accept: &[&str] = if a & 1 == 0 { &[] } else { &["application/pidf+xml", "application/pidf-diff+xml"] };
                let event = if a & 2 == 0 { "presence" } else { "presence.winfo" };
                let mut req = Subscribe::new(event, ENTITY, "<sip:alice@example.com>", contact, addr(S), Transport::Udp);
                req.accept = accept;
                req.expires = [0, 10, 60, 3600][usize::from(a >> 2) % 4];
                subs.push(w.subscriber.subscribe(&mut w.eps[W], &req, now));
            }
            8 if !subs.is_empty() => {
                let s = subs[usize::from(a) % subs.len()];
                if a & 0x80 == 0 {
                    w.subscriber.unsubscribe(&mut w.eps[W], s, now);
                } else {
                    w.subscriber.refresh(&mut w.eps[W], s, now);
                }
            }
            9 if commands < 24 => {
                commands += 1;
                let body = doc(a);
                let mut p = Publish::new("presence", ENTITY, "<sip:alice@example.com>", "application/pidf+xml", &body, addr(S), Transport::Udp);
                p.expires = [30, 60, 3600, 7][usize::from(a >> 4) % 4];
                pubs.push(w.publisher.publish(&mut w.eps[W], &p, now));
            }
            10 if !pubs.is_empty() => {
                let p = pubs[usize::from(a) % pubs.len()];
                if a & 0x80 == 0 {
                    w.publisher.modify(&mut w.eps[W], p, "application/pidf+xml", &doc(a), now);
                } else {
                    w.publisher.remove(&mut w.eps[W], p, now);
                }
            }
            11 => {
                let decision = [Authorization::Active, Authorization::Pending, Authorization::Rejected][usize::from(a) % 3];
                w.agent.authorize(&mut w.eps[S], ENTITY, "sip:alice@example.com", decision, now);
            }
            12 => {
                // a mutated copy of something on the wire, or raw input, to either side
                let to = usize::from(a & 1);
                let mut bytes = w.wire.last().map(|m| m.2.clone()).unwrap_or_default();
                let n = usize::from(a >> 1) % 8;
                for _ in 0..n {
                    let (Some(p), Some(v)) = (byte(), byte()) else { break };
                    if !bytes.is_empty() {
                        let at = usize::from(p) * bytes.len() / 256;
                        bytes[at] = v;
                    }
                }
                w.eps[to].handle_datagram(addr(1 - to), Transport::Udp, &bytes, now);
            }
            13 if commands < 24 => {
                commands += 1;
                let m = Outgoing::new(ENTITY, "<sip:alice@example.com>", "text/plain", b"hi", addr(S), Transport::Udp);
                w.pagers[W].send(&mut w.eps[W], &m, now);
            }
            _ => {}
        }
        w.pump();
        w.check_deadlines();
        assert!(w.subscriber.len() <= 2 * commands + 2, "subscriptions beyond what was asked");
        assert!(w.agent.notifier().len() <= 16 && w.agent.compositor().len() <= 16);
    }

    // settle: everything unwinds on a perfect network, then a final state reaches the watchers
    w.settle(Duration::from_secs(40));
    w.agent.authorize(&mut w.eps[S], ENTITY, "sip:alice@example.com", Authorization::Active, w.now);
    let body = doc(3);
    let now = w.now;
    let p = Publish::new("presence", ENTITY, "<sip:alice@example.com>", "application/pidf+xml", &body, addr(S), Transport::Udp);
    let final_pub = w.publisher.publish(&mut w.eps[W], &p, now);
    w.settle(Duration::from_secs(30));
    if let Some(composed) = w.agent.notifier().package().presence(ENTITY).cloned() {
        // the watchers the agent serves as active (a watcher whose subscription the agent
        // dropped, a lost NOTIFY timing out, learns it only at its next refresh)
        let served: std::collections::HashSet<&str> =
            w.served.values().filter(|(_, active)| *active).map(|(c, _)| c.as_str()).collect();
        let active: Vec<SubscriptionId> = subs
            .iter()
            .copied()
            .filter(|s| {
                w.last.contains_key(s)
                    && w.subscriber.dialog(*s).is_some_and(|d| served.contains(d.id().call_id.as_str()))
            })
            .collect();
        for s in active {
            let got = Presence::parse(&w.last[&s]).expect("bodies we sent parse");
            assert_eq!(got, composed, "an active watcher missed the last state");
        }
    }
    // end everything: no deadline is left
    let now = w.now;
    for s in subs {
        w.subscriber.unsubscribe(&mut w.eps[W], s, now);
    }
    for p in pubs.into_iter().chain([final_pub]) {
        w.publisher.remove(&mut w.eps[W], p, now);
    }
    // a publication whose answer was lost is the compositor's until it expires (1 h at most)
    w.settle(Duration::from_secs(3700));
    assert!(w.subscriber.is_empty(), "subscriptions outlived their unsubscribe");
    assert!(w.publisher.is_empty(), "publications outlived their removal");
    assert!(w.agent.notifier().is_empty(), "served subscriptions outlived their unsubscribe");
    assert!(w.agent.compositor().is_empty(), "publications outlived their removal at the compositor");
    w.settle(Duration::from_secs(40));
    assert!(w.next_deadline().is_none(), "a deadline outlived everything");
});
