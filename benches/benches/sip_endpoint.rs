//! A server non-INVITE transaction through the Endpoint — a MESSAGE datagram in, the request
//! event out, a 200 answered, its bytes out, the transaction's timers run — as a ratio to
//! the raw parse of the same request, in the same run. Also printed: heap allocations per
//! transaction, and the bytes of state per transaction with 100 000 in progress.
//!
//! The clock is fake and moves 0.5 ms per transaction, so at steady state the store holds the
//! 64 000 transactions, those of the last 32 s (Timer J, 64·T1 on UDP), like a server at 2000
//! transactions a second:
//! the bench includes inserting into a full store and the expiry of old transactions.

#![allow(missing_docs, elided_lifetimes_in_paths, clippy::std_instead_of_core, clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, Reply, Transport};
use simple_sip::{Header, Message};

/// Counts allocations and live bytes (to report them; criterion's timing is unaffected in
/// comparison since both sides run under it).
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout, passed on
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: a pointer this allocator returned, with its layout
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as GlobalAlloc::realloc requires of its caller
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TEMPLATE: &str = "MESSAGE sip:user2@domain.com SIP/2.0\r\n\
Via: SIP/2.0/UDP user1pc.domain.com;branch=z9hG4bK0000000000;rport\r\n\
Max-Forwards: 70\r\n\
From: sip:user1@domain.com;tag=49583\r\n\
To: sip:user2@domain.com\r\n\
Call-ID: 0000000000@1.2.3.4\r\n\
CSeq: 1 MESSAGE\r\n\
Content-Type: text/plain\r\n\
Content-Length: 18\r\n\r\n\
Watson, come here.";

/// The request bytes with a counter in the branch and the Call-ID, so every transaction is a
/// new one (and not a merged request, §8.2.2.2).
struct Requests {
    bytes: Vec<u8>,
    at: [usize; 2],
    n: u64,
}

impl Requests {
    fn new() -> Self {
        let at = [TEMPLATE.find("z9hG4bK").unwrap() + 7, TEMPLATE.find("Call-ID: ").unwrap() + 9];
        Self { bytes: TEMPLATE.as_bytes().to_vec(), at, n: 0 }
    }
    fn next(&mut self) -> &[u8] {
        self.n += 1;
        let mut n = self.n;
        for i in (0..10).rev() {
            let d = b'0' + (n % 10) as u8;
            n /= 10;
            self.bytes[self.at[0] + i] = d;
            self.bytes[self.at[1] + i] = d;
        }
        &self.bytes
    }
}

struct Server {
    endpoint: Endpoint,
    now: Instant,
    peer: SocketAddr,
}

impl Server {
    fn new() -> Self {
        let mut config = EndpointConfig::new("192.0.2.2:5060");
        config.max_transactions = 1_000_000;
        Self {
            endpoint: Endpoint::new(config, 1),
            now: Instant::now(),
            peer: "192.0.2.1:5060".parse().unwrap(),
        }
    }

    /// One transaction: datagram in, request out, 200 in, bytes out. Returns the bytes sent.
    fn transaction(&mut self, datagram: &[u8]) -> usize {
        self.endpoint.handle_datagram(self.peer, Transport::Udp, datagram, self.now);
        let Some(Event::Request { tx, .. }) = self.endpoint.poll_event() else {
            panic!("a request")
        };
        self.endpoint.respond(tx, &Reply::new(200, "OK"), self.now).unwrap();
        let sent = self.endpoint.poll_transmit().unwrap().contents.len();
        self.now += Duration::from_micros(500);
        self.endpoint.handle_timeout(self.now);
        sent
    }
}

fn raw_parse(bytes: &[u8]) -> usize {
    let mut headers = [Header::EMPTY; 32];
    let msg = Message::parse(bytes, &mut headers).unwrap();
    msg.headers().len() + msg.body().len()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sip_endpoint");
    let mut reqs = Requests::new();
    g.bench_function("raw-parse", |b| b.iter(|| raw_parse(black_box(reqs.next()))));
    let mut server = Server::new();
    let mut reqs = Requests::new();
    g.bench_function("server-non-invite", |b| {
        b.iter(|| server.transaction(black_box(reqs.next())))
    });
    g.finish();
}

criterion_group!(benches, bench);

mod support;
use support::mean_ns;

fn main() {
    // `cargo test` runs each bench once, in debug, to see it works: one short pass then
    if !support::timed() {
        let mut server = Server::new();
        let mut reqs = Requests::new();
        for _ in 0..100 {
            assert!(server.transaction(reqs.next()) > 0);
        }
        assert_eq!(raw_parse(Requests::new().next()), 8 + 18, "8 headers and the body");
        return;
    }
    // allocations per transaction and state per transaction, measured before any timing
    let mut server = Server::new();
    let mut reqs = Requests::new();
    for _ in 0..1000 {
        server.transaction(reqs.next()); // warm the store's tables
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    let n = 10_000;
    for _ in 0..n {
        black_box(server.transaction(reqs.next()));
    }
    let per_tx = (ALLOCS.load(Ordering::Relaxed) - before) as f64 / n as f64;

    let live_before = LIVE.load(Ordering::Relaxed);
    let mut big = Server::new();
    let mut reqs = Requests::new();
    for _ in 0..100_000 {
        big.endpoint.handle_datagram(big.peer, Transport::Udp, reqs.next(), big.now);
        let Some(Event::Request { tx, .. }) = big.endpoint.poll_event() else { panic!() };
        big.endpoint.respond(tx, &Reply::new(200, "OK"), big.now).unwrap();
        let _ = big.endpoint.poll_transmit();
    }
    assert_eq!(big.endpoint.transactions(), 100_000);
    let per_state = (LIVE.load(Ordering::Relaxed) - live_before) as f64 / 100_000.0;
    drop(big);

    if !support::run(benches) {
        return;
    }
    println!(
        "\nserver non-INVITE transaction through the Endpoint vs the raw parse of its request:"
    );
    match (mean_ns(&["sip_endpoint", "raw-parse"]), mean_ns(&["sip_endpoint", "server-non-invite"]))
    {
        (Some(raw), Some(tx)) => {
            println!(
                "  raw parse {raw:8.1} ns, transaction {tx:8.1} ns: {:4.2}x (target <= 2.5x)",
                tx / raw
            );
        }
        _ => println!("  no estimates found"),
    }
    println!("  heap allocations per transaction: {per_tx:.1}");
    println!(
        "  bytes of state per transaction with 100 000 in progress (request, response, keys, heap entry): {per_state:.0}"
    );
}
