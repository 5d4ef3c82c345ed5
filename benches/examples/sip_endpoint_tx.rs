//! Runs N server non-INVITE transactions through an Endpoint (as benches/sip_endpoint.rs does)
//! for `valgrind --tool=callgrind`: instruction counts per transaction, free of machine noise.
//!
//! ```text
//! cargo build --release -p simple-benches --example sip_endpoint_tx
//! valgrind --tool=callgrind target/release/examples/sip_endpoint_tx 20000
//! ```
#![allow(missing_docs, clippy::unwrap_used, clippy::std_instead_of_core)]

use std::time::{Duration, Instant};

use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, Reply, Transport};

const TEMPLATE: &str = "MESSAGE sip:user2@domain.com SIP/2.0\r\n\
Via: SIP/2.0/UDP user1pc.domain.com;branch=z9hG4bK0000000000;rport\r\n\
Max-Forwards: 70\r\nFrom: sip:user1@domain.com;tag=49583\r\nTo: sip:user2@domain.com\r\n\
Call-ID: 0000000000@1.2.3.4\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n\
Content-Length: 18\r\n\r\nWatson, come here.";

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let mut bytes = TEMPLATE.as_bytes().to_vec();
    let at = [TEMPLATE.find("z9hG4bK").unwrap() + 7, TEMPLATE.find("Call-ID: ").unwrap() + 9];
    let mut config = EndpointConfig::new("192.0.2.2:5060");
    config.max_transactions = 1_000_000;
    let mut ep = Endpoint::new(config, 1);
    let peer = "192.0.2.1:5060".parse().unwrap();
    let mut now = Instant::now();
    let mut sent = 0;
    for k in 1..=n {
        let mut v = k;
        for i in (0..10).rev() {
            let d = b'0' + (v % 10) as u8;
            v /= 10;
            bytes[at[0] + i] = d;
            bytes[at[1] + i] = d;
        }
        ep.handle_datagram(peer, Transport::Udp, &bytes, now);
        let Some(Event::Request { tx, .. }) = ep.poll_event() else { panic!("a request") };
        ep.respond(tx, &Reply::new(200, "OK"), now).unwrap();
        sent += ep.poll_transmit().unwrap().contents.len();
        now += Duration::from_micros(500);
        ep.handle_timeout(now);
    }
    println!("{n} transactions, {sent} bytes sent, {} in progress", ep.transactions());
}
