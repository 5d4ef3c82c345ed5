//! A relay with two authenticated clients and a stranger, each feeding it fuzzed bytes in
//! pieces, with timeouts between: it never panics, every connection's memory stays within its
//! limits, and everything it writes to any connection is well-formed MSRP framing (a decoder
//! reads it without error), whatever the input.
#![no_main]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use simple_msrp::{
    AuthConfig, AuthEvent, ConnectionId, Decoder, Frame, MsrpUri, Relay, RelayClient, RelayConfig,
    RelayEvent,
};
use simple_sip::digest::Secret;

fn drain(
    relay: &mut Relay,
    now: Instant,
    decoders: &mut HashMap<ConnectionId, (Decoder, Vec<u8>)>,
) {
    let mut buf = Vec::new();
    while let Some(c) = relay.poll_transmit(now, &mut buf) {
        let (d, rx) = decoders.entry(c).or_default();
        rx.extend_from_slice(&buf);
        buf.clear();
        let mut at = 0;
        loop {
            match d.decode(&rx[at..]) {
                Ok(Some((f, used))) => {
                    at += used;
                    if let Frame::Head(h) = f {
                        assert!(!h.to_path.is_empty(), "every frame has a To-Path");
                    }
                }
                Ok(None) => break,
                Err(e) => panic!("the relay wrote bad MSRP to {c:?}: {e:?}"),
            }
        }
        rx.drain(..at);
    }
    while let Some(e) = relay.poll_event() {
        if let RelayEvent::Connect { conn, .. } = e {
            relay.established(conn);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let mut uri = MsrpUri::new("relay.example.com", 2855, "x");
    uri.session_id = None;
    let mut config = RelayConfig::new(uri.clone());
    config.max_queued = 4096;
    config.max_input = 4096;
    let bound = config.max_input + config.parse.max_head_size + config.max_queued + (64 << 10);
    let mut relay = Relay::new(config, [3; 32], |u| {
        (u == "a" || u == "b").then(|| Secret::Password("p".into()))
    });
    let mut decoders = HashMap::new();
    // two clients authenticate for real, so fuzzed requests can name their URIs
    let mut conns = Vec::new();
    let mut paths = Vec::new();
    for user in ["a", "b"] {
        let conn = relay.accept(now);
        let local = MsrpUri::new(format!("{user}.example.com"), 9, format!("{user}sess"));
        let mut c = RelayClient::new(AuthConfig::new(vec![uri.clone()], user, "p"), [1; 32], local);
        c.refresh(now);
        for _ in 0..3 {
            let mut out = Vec::new();
            while c.poll_transmit(&mut out).is_some() {}
            relay.handle_input(conn, &out, now);
            let mut back = Vec::new();
            while relay.poll_transmit(now, &mut back).is_some() {}
            c.handle_input(&back, now).expect("the relay's answers are good MSRP");
        }
        match c.poll_event() {
            Some(AuthEvent::Authorized { use_path, .. }) => paths.push(use_path[0].to_string()),
            other => panic!("{other:?}"),
        }
        conns.push(conn);
    }
    drain(&mut relay, now, &mut decoders);
    conns.push(relay.accept(now));
    // the input names the URIs handed out where it says "@A" / "@B"
    let text = String::from_utf8_lossy(data).replace("@A", &paths[0]).replace("@B", &paths[1]);
    let bytes = text.as_bytes();
    for (i, piece) in bytes.chunks(61).enumerate() {
        let conn = conns[i % conns.len()];
        if relay.wants_input(conn) {
            relay.handle_input(conn, piece, now);
        }
        for &c in &conns {
            assert!(relay.buffered(c) <= bound, "{} bytes held for {c:?}", relay.buffered(c));
        }
        drain(&mut relay, now, &mut decoders);
        if piece.first() == Some(&b'~') {
            now += Duration::from_secs(20);
            relay.handle_timeout(now);
            drain(&mut relay, now, &mut decoders);
        }
    }
    for c in conns {
        relay.closed(c, now);
    }
    drain(&mut relay, now, &mut decoders);
    assert_eq!(relay.bindings(), 0, "closed connections leave no URI behind");
});
