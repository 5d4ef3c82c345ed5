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

use std::hint::black_box;
use std::sync::atomic::Ordering;

use criterion::{Criterion, criterion_group};
use simple_sip::endpoint::{Event, Reply, Transport};
use simple_sip::{Header, Message};

#[path = "support/counting.rs"]
mod counting;
use counting::{ALLOCS, LIVE};

#[path = "support/sip_tx.rs"]
mod sip_tx;
use sip_tx::{Requests, Server};

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
