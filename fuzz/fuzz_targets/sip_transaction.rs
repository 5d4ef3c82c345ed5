//! Non-INVITE transactions driven by arbitrary inputs (each byte pair: a response code or a
//! wait): never a panic; the state only moves forward; at most one outcome (final response or
//! timeout), exactly one once terminated; nothing sent and no timer left after the end; the
//! server never sends after its end and refuses responses after its final one.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use simple_sip::OwnedMessage;
use simple_sip::transaction::{
    ClientEvent, ClientNonInvite, Reliability, ServerEvent, ServerNonInvite, State, Timers,
};

fn rank(s: State) -> u8 {
    match s {
        State::Trying => 0,
        State::Proceeding => 1,
        State::Completed => 2,
        State::Terminated => 3,
    }
}

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let rel = if data.first().is_some_and(|b| b & 1 == 1) {
        Reliability::Reliable
    } else {
        Reliability::Unreliable
    };
    let request = Bytes::from_static(b"OPTIONS sip:b@x SIP/2.0\r\nContent-Length: 0\r\n\r\n");
    let mut c = ClientNonInvite::new(request, rel, Timers::default(), t0);
    let mut s = ServerNonInvite::new(rel, Timers::default());
    let (mut now, mut outcomes, mut ended, mut server_final) = (t0, 0, 0, false);
    for pair in data.chunks(2) {
        let (a, b) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let (before_c, before_s) = (rank(c.state()), rank(s.state()));
        if a < 128 {
            let code = 100 + (u16::from(a) * 256 + u16::from(b)) % 600;
            let r = OwnedMessage::parse(Bytes::from(format!(
                "SIP/2.0 {code} X\r\nContent-Length: 0\r\n\r\n"
            )))
            .expect("a status line parses");
            c.handle_response(r.clone(), now);
            let taken = s.respond(&r, now).is_ok();
            assert!(!(taken && server_final), "no response after the final one");
            server_final |= taken && code >= 200;
            if a % 3 == 0 {
                s.handle_retransmission();
            }
        } else {
            now += Duration::from_millis(u64::from(b) * 200);
            c.handle_timeout(now);
            s.handle_timeout(now);
        }
        assert!(rank(c.state()) >= before_c && rank(s.state()) >= before_s);
        while let Some(e) = c.poll_event() {
            match e {
                ClientEvent::Final(_) | ClientEvent::Timeout => outcomes += 1,
                ClientEvent::Terminated => ended += 1,
                _ => {}
            }
        }
        if c.state() == State::Terminated {
            assert!(c.poll_transmit().is_none() && c.poll_timeout().is_none());
        }
        while c.poll_transmit().is_some() {}
        let server_over = s.state() == State::Terminated;
        while let Some(e) = s.poll_event() {
            assert_eq!(e, ServerEvent::Terminated);
        }
        while s.poll_transmit().is_some() {}
        if server_over {
            s.handle_retransmission();
            assert!(s.poll_transmit().is_none() && s.poll_timeout().is_none());
        }
    }
    assert!(outcomes <= 1 && ended <= 1);
    assert_eq!(ended == 1, c.state() == State::Terminated);
    if ended == 1 {
        assert_eq!(outcomes, 1);
    }
});
