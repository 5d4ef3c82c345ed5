//! Two sessions sharing one connection, fed any bytes in pieces while both send: no panic;
//! what a shared connection writes always decodes as MSRP (frames of two sessions never mix);
//! after a framing error both sessions are closed.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use simple_msrp::{Decoder, MsrpUri, SendOptions, Session, SessionConfig, SharedConnection};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut config = SessionConfig::default();
    config.max_chunk = 64;
    config.max_transmit = 48;
    config.max_message_size = 4096;
    config.max_reassembly = 8192;
    let mut c = SharedConnection::default();
    for (i, sid) in ["s1s1", "s2s2"].into_iter().enumerate() {
        let local = MsrpUri::new("b.example.com", 1, sid);
        let mut s = Session::new(
            config.clone(),
            i as u64,
            local,
            vec![MsrpUri::new("a.example.com", 2, "t1t1")],
        );
        s.send(
            "text/plain",
            data.iter().rev().copied().take(300).collect::<Vec<u8>>(),
            SendOptions::default(),
        );
        c.add(s);
    }
    let mut out = Vec::new();
    let mut d = Decoder::default();
    let mut failed = false;
    for piece in data.chunks(29) {
        while c.poll_transmit(now, &mut out).is_some() {}
        let mut at = 0;
        while let Some((_, used)) =
            d.decode(&out[at..]).expect("a shared connection writes good MSRP")
        {
            at += used;
        }
        out.drain(..at);
        if c.handle_input(piece).is_err() {
            failed = true;
            break;
        }
    }
    if failed {
        for i in 0..c.len() {
            assert!(
                c.session_mut(i).expect("added").is_closed(),
                "a framing error closes every session"
            );
        }
    }
});
