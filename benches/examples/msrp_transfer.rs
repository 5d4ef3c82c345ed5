//! One pass of the msrp_session bench's scenarios, for instruction counts where the timed
//! bench wobbles on a noisy machine:
//! `valgrind --tool=callgrind target/release/examples/msrp_transfer [big|many]`.

use std::time::Instant;

use simple_msrp::{MsrpUri, SendOptions, Session, SessionConfig};

#[path = "../benches/support/noise.rs"]
mod noise;

fn session(seed: u64, local: MsrpUri, remote: MsrpUri) -> Session {
    Session::new(SessionConfig::default(), seed, local, vec![remote])
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "big".to_owned());
    let a = MsrpUri::new("alice.example.com", 2855, "iau39soe2843z");
    let b = MsrpUri::new("bob.example.com", 2855, "9di4eae923wzd");
    let (mut alice, mut bob) = (session(1, a.clone(), b.clone()), session(2, b, a));
    let now = Instant::now();
    if which == "big" {
        let body = noise::noise(4 << 20);
        alice.send("application/octet-stream", body, SendOptions::default());
    } else {
        for i in 0..2000 {
            alice.send("text/plain", format!("message {i}"), SendOptions::default());
        }
    }
    let mut buf = Vec::with_capacity(64 << 10);
    let mut events = 0usize;
    loop {
        buf.clear();
        let x = alice.poll_transmit(now, &mut buf).is_some();
        if x {
            bob.handle_input(&buf).expect("valid MSRP");
        }
        buf.clear();
        let y = bob.poll_transmit(now, &mut buf).is_some();
        if y {
            alice.handle_input(&buf).expect("valid MSRP");
        }
        while alice.poll_event().is_some() {
            events += 1;
        }
        while bob.poll_event().is_some() {
            events += 1;
        }
        if !x && !y {
            break;
        }
    }
    println!("{events} events");
}
