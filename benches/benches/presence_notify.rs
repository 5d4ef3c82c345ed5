//! One PUBLISH into the presence agent and the NOTIFYs it writes for N watchers, per NOTIFY,
//! at N = 10, 1 000 and 100 000 (it should stay flat: linear in N); and a partial
//! notification (RFC 5263) of one change in a 100-tuple document, per watcher. Also printed:
//! the bytes of state per subscription with 100 000 of them.
//!
//! Timed: the PUBLISH datagram in, composition, and every NOTIFY's bytes out of the endpoint.
//! Not timed: the watchers' 200 answers to those NOTIFYs (fed back after each round, so the
//! next round is not coalesced behind a NOTIFY in flight). The protocol clock is fake and
//! moves 1 ms per round; NOTIFYs are not rate-limited here.

#![allow(missing_docs, elided_lifetimes_in_paths, clippy::std_instead_of_core, clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group};
use simple_pidf::{Basic, Presence, Tuple};
use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, Transport};
use simple_sip::presence::{PresenceAgent, PresenceConfig};
use simple_sip::{Header, HeaderName, Message, MessageWriter};

#[path = "support/counting.rs"]
mod counting;
use counting::LIVE;

mod support;

const SERVER: &str = "127.0.0.1:5060";

fn watcher_addr(i: usize) -> SocketAddr {
    let ip = Ipv4Addr::new(10, (i >> 16) as u8, (i >> 8) as u8, i as u8);
    SocketAddr::new(IpAddr::V4(ip), 5070)
}

/// The 200 a watcher sends for a NOTIFY.
fn answer(notify: &[u8]) -> Vec<u8> {
    let mut headers = [Header::EMPTY; 32];
    let m = Message::parse(notify, &mut headers).unwrap();
    let mut out = Vec::with_capacity(400);
    MessageWriter::response_to(&mut out, &m, 200, "OK", None, None).unwrap().finish();
    out
}

fn document(tuples: usize, round: u64) -> Vec<u8> {
    let mut p = Presence::new("sip:alice@example.com");
    for i in 0..tuples {
        let mut t = Tuple::new(format!("t{i}"), Basic::Open);
        t.contact =
            Some(simple_pidf::Contact { uri: format!("sip:alice@10.0.0.{i}"), priority: None });
        p.tuples.push(t);
    }
    // one tuple changes per round
    let k = (round as usize) % tuples;
    p.tuples[k].status.basic =
        Some(if round.is_multiple_of(2) { Basic::Open } else { Basic::Closed });
    p.to_vec()
}

struct Bench {
    ep: Endpoint,
    agent: PresenceAgent,
    now: Instant,
    etag: Option<String>,
    round: u64,
    tuples: usize,
    watchers: usize,
    publisher: SocketAddr,
}

impl Bench {
    fn new(watchers: usize, tuples: usize, partial: bool) -> Self {
        let mut config = EndpointConfig::new(SERVER);
        config.max_transactions = 10_000_000;
        let ep = Endpoint::new(config, 1);
        let mut pc = PresenceConfig::new("<sip:127.0.0.1:5060>");
        pc.notifier.min_interval = Duration::ZERO;
        pc.notifier.max_subscriptions = 10_000_000;
        pc.compositor.max_expires = 86_400; // setting up 100 000 watchers takes an hour of fake time
        let agent = PresenceAgent::new(pc, 2);
        let mut b = Self {
            ep,
            agent,
            now: Instant::now(),
            etag: None,
            round: 0,
            tuples,
            watchers,
            publisher: "10.255.255.1:5060".parse().unwrap(),
        };
        b.publish();
        b.drain_untimed();
        let accept = if partial {
            "Accept: application/pidf+xml, application/pidf-diff+xml\r\n"
        } else {
            ""
        };
        for i in 0..watchers {
            let a = watcher_addr(i);
            let sub = format!(
                "SUBSCRIBE sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKs{i}\r\n\
                 Max-Forwards: 70\r\nFrom: <sip:w{i}@example.com>;tag=f{i}\r\nTo: <sip:alice@example.com>\r\n\
                 Call-ID: c{i}@example.com\r\nCSeq: 1 SUBSCRIBE\r\nContact: <sip:w{i}@{a}>\r\n\
                 Event: presence\r\n{accept}Expires: 86400\r\nContent-Length: 0\r\n\r\n"
            );
            b.feed(a, sub.as_bytes());
            b.answer_all();
            if (i + 1).is_multiple_of(1000) {
                // subscriptions arrive over time: finished transactions go meanwhile
                b.settle();
            }
        }
        b.settle();
        b
    }

    fn feed(&mut self, from: SocketAddr, bytes: &[u8]) {
        self.ep.handle_datagram(from, Transport::Udp, bytes, self.now);
        while let Some(e) = self.ep.poll_event() {
            if let Some(e) = self.agent.handle(&mut self.ep, e, self.now) {
                assert!(!matches!(e, Event::Request { .. }), "{e:?}");
            }
        }
        while self.agent.poll_event().is_some() {}
    }

    fn publish(&mut self) {
        self.round += 1;
        let body = document(self.tuples, self.round);
        let ifm = self.etag.as_ref().map(|e| format!("SIP-If-Match: {e}\r\n")).unwrap_or_default();
        let r = self.round;
        let p = self.publisher;
        let publish = format!(
            "PUBLISH sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/UDP {p};branch=z9hG4bKp{r}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=pub\r\nTo: <sip:alice@example.com>\r\n\
             Call-ID: publish@example.com\r\nCSeq: {r} PUBLISH\r\nEvent: presence\r\n{ifm}Expires: 86400\r\n\
             Content-Type: application/pidf+xml\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut bytes = publish.into_bytes();
        bytes.extend_from_slice(&body);
        self.feed(p, &bytes);
    }

    /// What the endpoint sends: NOTIFYs (returned) and the 200 to the PUBLISH (its tag kept).
    fn take(&mut self) -> Vec<(SocketAddr, bytes::Bytes)> {
        let mut out = Vec::with_capacity(self.watchers);
        while let Some(t) = self.ep.poll_transmit() {
            if t.contents.starts_with(b"SIP/2.0 200") && t.destination == self.publisher {
                let mut headers = [Header::EMPTY; 32];
                let m = Message::parse(&t.contents, &mut headers).unwrap();
                self.etag =
                    m.header(HeaderName::SipETag).map(|h| h.value_str().unwrap().to_owned());
            } else {
                out.push((t.destination, t.contents));
            }
        }
        out
    }

    fn answer(&mut self, sent: Vec<(SocketAddr, bytes::Bytes)>) {
        for (to, bytes) in sent {
            if bytes.starts_with(b"NOTIFY") {
                let ok = answer(&bytes);
                self.feed(to, &ok);
            }
        }
    }

    fn answer_all(&mut self) {
        let sent = self.take();
        self.answer(sent);
    }

    fn drain_untimed(&mut self) {
        let _ = self.take();
    }

    /// Runs the clock 40 s on so that finished transactions are gone.
    fn settle(&mut self) {
        self.now += Duration::from_secs(40);
        self.ep.handle_timeout(self.now);
        self.agent.handle_timeout(&mut self.ep, self.now);
        self.answer_all();
    }

    /// One timed partial round without the PUBLISH: the composed document changes (its
    /// model is made before the clock starts) and the NOTIFYs go out.
    fn change(&mut self) -> (Duration, usize) {
        self.now += Duration::from_millis(1);
        self.ep.handle_timeout(self.now);
        self.agent.handle_timeout(&mut self.ep, self.now);
        self.round += 1;
        let doc = Presence::parse(&document(self.tuples, self.round)).unwrap();
        let start = Instant::now();
        let n = self.agent.notifier_mut();
        assert!(n.package_mut().update("sip:alice@example.com", Some(doc)));
        n.changed(&mut self.ep, "sip:alice@example.com", self.now);
        let sent = self.take();
        let elapsed = start.elapsed();
        let count = sent.len();
        assert!(sent.iter().all(|(_, b)| b.windows(11).any(|w| w == b"<p:pidf-dif")), "diffs");
        self.answer(sent);
        (elapsed, count)
    }

    /// One timed round: the PUBLISH in, the NOTIFY bytes out. Returns (elapsed, NOTIFYs).
    fn round(&mut self) -> (Duration, usize) {
        self.now += Duration::from_millis(1);
        self.ep.handle_timeout(self.now);
        self.agent.handle_timeout(&mut self.ep, self.now);
        let start = Instant::now();
        self.publish();
        let sent = self.take();
        let elapsed = start.elapsed();
        let n = sent.len();
        self.answer(sent);
        (elapsed, n)
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("presence_notify");
    g.sample_size(10);
    for n in [10usize, 1000, 100_000] {
        let mut b = Bench::new(n, 3, false);
        g.bench_with_input(BenchmarkId::new("per-notify", n), &n, |bch, &n| {
            bch.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (t, sent) = b.round();
                    assert_eq!(sent, n);
                    total += t / n as u32;
                }
                total
            });
        });
    }
    for n in [1usize, 100] {
        let mut b = Bench::new(n, 100, true);
        b.change(); // the first change after the subscriptions' full state
        g.bench_with_input(BenchmarkId::new("partial-100-tuples-per-watcher", n), &n, |bch, &n| {
            bch.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (t, sent) = b.change();
                    assert_eq!(sent, n);
                    total += t / n as u32;
                }
                total
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    if !support::timed() {
        // `cargo test`: one short pass, and the partial bodies are diffs
        let mut b = Bench::new(5, 100, true);
        for _ in 0..3 {
            let (_, sent) = b.change();
            assert_eq!(sent, 5);
        }
        let mut b = Bench::new(3, 3, false);
        assert_eq!(b.round().1, 3);
        return;
    }
    let before = LIVE.load(Ordering::Relaxed);
    let big = Bench::new(100_000, 3, false);
    assert_eq!(big.agent.notifier().len(), 100_000);
    assert_eq!(big.ep.transactions(), 0, "settled: only subscriptions are left");
    let per_sub = (LIVE.load(Ordering::Relaxed) - before) as f64 / 100_000.0;
    drop(big);
    if !support::run(benches) {
        return;
    }
    println!("\npresence: one PUBLISH -> N NOTIFYs written, per NOTIFY:");
    for n in [10, 1000, 100_000] {
        let id = n.to_string();
        match support::mean_ns(&["presence_notify", "per-notify", &id]) {
            Some(ns) => println!("  N = {n:>7}: {:8.2} us", ns / 1000.0),
            None => println!("  N = {n:>7}: no estimate"),
        }
    }
    for n in [1, 100] {
        let id = n.to_string();
        match support::mean_ns(&["presence_notify", "partial-100-tuples-per-watcher", &id]) {
            Some(ns) => println!(
                "  partial NOTIFY, one change in 100 tuples, {n:>3} watcher(s): {:8.2} us per watcher (target <= 20 us)",
                ns / 1000.0
            ),
            None => println!("  partial, {n} watchers: no estimate"),
        }
    }
    println!("  bytes of state per subscription with 100 000 (target <= 1 KiB): {per_sub:.0}");
}
