//! A session fed any bytes, in pieces, interleaved with its own sending: never panics, keeps
//! its memory bounded, and after close every message it was sending has an outcome.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use simple_msrp::{Event, FailureReason, MsrpUri, SendOptions, Session, SessionConfig};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut config = SessionConfig::default();
    config.max_message_size = 4096;
    config.max_reassembly = 16 << 10;
    config.max_chunk = 100;
    let bound = (config.max_reassembly as usize) + config.parse.max_head_size + 64;
    let local = MsrpUri::new("b.example.com", 1, "s1");
    let mut s = Session::new(config, 7, local, vec![MsrpUri::new("a.example.com", 2, "t1")]);
    let id = s.send(
        "text/plain",
        data.iter().rev().copied().collect::<Vec<u8>>(),
        SendOptions::default(),
    );
    let mut t = now;
    let mut out = Vec::new();
    let mut outcomes = 0;
    let mut late_failure = 0;
    let mut count = |e: &Event| match e {
        // a failure REPORT after Sent (a relay's 200 is only hop by hop) is the one exception
        Event::SendFailed { message_id, reason: FailureReason::Report { .. } }
            if *message_id == id && outcomes == 1 =>
        {
            late_failure += 1;
        }
        Event::Sent { message_id } | Event::SendFailed { message_id, .. } => {
            outcomes += usize::from(*message_id == id);
        }
        _ => {}
    };
    for piece in data.chunks(37) {
        out.clear();
        let _ = s.poll_transmit(t, &mut out);
        let failed = s.handle_input(piece).is_err();
        assert!(s.buffered() <= bound, "{} bytes held, bound {bound}", s.buffered());
        if failed {
            break;
        }
        t += Duration::from_secs(7);
        s.handle_timeout(t);
        while let Some(e) = s.poll_event() {
            count(&e);
        }
    }
    s.close();
    assert_eq!(s.buffered(), 0, "close releases what was held");
    while let Some(e) = s.poll_event() {
        count(&e);
    }
    assert_eq!(outcomes, 1, "the message sent has exactly one outcome");
    assert!(late_failure <= 1, "and at most one failure REPORT after it was sent");
});
