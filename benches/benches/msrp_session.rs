//! MSRP sessions end to end, two in-process sessions wired together: a 4 MiB message in
//! interruptible chunks (the end-line guard runs over every byte written), and 2 000 small
//! messages queued at once, sent and acknowledged (per-message bookkeeping must stay linear).

use core::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use simple_msrp::{Event, MsrpUri, SendOptions, Session, SessionConfig};

const BIG: usize = 4 << 20;
const MANY: usize = 2_000;

#[path = "support/noise.rs"]
mod noise;

fn pair() -> (Session, Session) {
    let a = MsrpUri::new("alice.example.com", 2855, "iau39soe2843z");
    let b = MsrpUri::new("bob.example.com", 2855, "9di4eae923wzd");
    let alice = session(1, a.clone(), b.clone());
    let bob = session(2, b, a);
    (alice, bob)
}

fn session(seed: u64, local: MsrpUri, remote: MsrpUri) -> Session {
    Session::new(SessionConfig::default(), seed, local, vec![remote])
}

/// Moves bytes both ways until both sessions are quiet; returns the events seen.
fn drive(alice: &mut Session, bob: &mut Session, now: Instant, buf: &mut Vec<u8>) -> usize {
    let mut events = 0;
    loop {
        buf.clear();
        let a = alice.poll_transmit(now, buf).is_some();
        if a {
            bob.handle_input(buf).expect("valid MSRP");
        }
        buf.clear();
        let b = bob.poll_transmit(now, buf).is_some();
        if b {
            alice.handle_input(buf).expect("valid MSRP");
        }
        while alice.poll_event().is_some() {
            events += 1;
        }
        while let Some(e) = bob.poll_event() {
            if let Event::Received { body, .. } = e {
                black_box(body);
            }
            events += 1;
        }
        if !a && !b {
            return events;
        }
    }
}

fn bench(c: &mut Criterion) {
    let now = Instant::now();
    let body = noise::noise(BIG);
    let mut buf = Vec::with_capacity(64 << 10);
    let mut g = c.benchmark_group("msrp_session");
    g.throughput(Throughput::Bytes(BIG as u64));
    g.bench_function("one-4MiB-message", |bch| {
        bch.iter_batched(
            pair,
            |(mut alice, mut bob)| {
                alice.send("application/octet-stream", body.clone(), SendOptions::default());
                drive(&mut alice, &mut bob, now, &mut buf)
            },
            criterion::BatchSize::LargeInput,
        );
    });
    g.throughput(Throughput::Elements(MANY as u64));
    g.bench_function("2000-small-messages", |bch| {
        bch.iter_batched(
            pair,
            |(mut alice, mut bob)| {
                for i in 0..MANY {
                    alice.send("text/plain", format!("message {i}"), SendOptions::default());
                }
                let events = drive(&mut alice, &mut bob, now, &mut buf);
                assert_eq!(events, 2 * MANY);
                events
            },
            criterion::BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);

mod support;
use support::mean_ns;

fn main() {
    if !support::run(benches) {
        return;
    }
    println!("\nMSRP sessions, two in-process endpoints:");
    if let Some(t) = mean_ns(&["msrp_session", "one-4MiB-message"]) {
        println!("  one 4 MiB message      {:9.2} ms ({:5.2} GB/s)", t / 1e6, BIG as f64 / t);
    }
    if let Some(t) = mean_ns(&["msrp_session", "2000-small-messages"]) {
        println!(
            "  2000 small messages    {:9.2} ms ({:6.2} us per message)",
            t / 1e6,
            t / 1e3 / MANY as f64
        );
    }
}
