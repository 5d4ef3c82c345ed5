//! The four transactions driven by arbitrary inputs (each byte pair: a response code or a
//! wait): never a panic; the state only moves forward; at most one outcome (final response or
//! timeout), exactly one once terminated; nothing sent and no timer left after the end; the
//! server never sends after its end and refuses responses after its final one.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use simple_sip::OwnedMessage;
use simple_sip::transaction::{
    ClientEvent, ClientInvite, ClientNonInvite, InviteEvent, InviteState, Reliability,
    ServerEvent, ServerInvite, ServerInviteEvent, ServerInviteState, ServerNonInvite, State,
    Timers,
};

const INVITE: &[u8] = b"INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

fn rank_client_invite(s: InviteState) -> u8 {
    match s {
        InviteState::Calling => 0,
        InviteState::Proceeding => 1,
        InviteState::Completed | InviteState::Accepted => 2,
        InviteState::Terminated => 3,
    }
}

fn rank_server_invite(s: ServerInviteState) -> u8 {
    match s {
        ServerInviteState::Proceeding => 0,
        ServerInviteState::Completed | ServerInviteState::Accepted => 1,
        ServerInviteState::Confirmed => 2,
        ServerInviteState::Terminated => 3,
    }
}

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
    let invite = OwnedMessage::parse(Bytes::from_static(INVITE)).expect("our INVITE parses");
    let mut ci = ClientInvite::new(invite.clone(), rel, Timers::default(), t0);
    let mut si = ServerInvite::new(invite, rel, Timers::default(), t0);
    let (mut ci_outcomes, mut ci_ended, mut si_ended) = (0, 0, 0);
    let (mut now, mut outcomes, mut ended, mut server_final) = (t0, 0, 0, false);
    for pair in data.chunks(2) {
        let (a, b) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let (before_c, before_s) = (rank(c.state()), rank(s.state()));
        let (before_ci, before_si) = (rank_client_invite(ci.state()), rank_server_invite(si.state()));
        if a < 128 {
            let code = 100 + (u16::from(a) * 256 + u16::from(b)) % 600;
            let r = OwnedMessage::parse(Bytes::from(format!(
                "SIP/2.0 {code} X\r\nContent-Length: 0\r\n\r\n"
            )))
            .expect("a status line parses");
            c.handle_response(r.clone(), now);
            ci.handle_response(r.clone(), now);
            let _ = si.respond(&r, now);
            if a % 5 == 0 {
                si.handle_retransmission();
            }
            if a % 7 == 0 {
                si.handle_ack(r.clone(), now);
            }
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
            ci.handle_timeout(now);
            si.handle_timeout(now);
        }
        assert!(rank_client_invite(ci.state()) >= before_ci);
        assert!(rank_server_invite(si.state()) >= before_si);
        while let Some(e) = ci.poll_event() {
            match e {
                InviteEvent::Failure(_) | InviteEvent::Timeout => ci_outcomes += 1,
                InviteEvent::Terminated => ci_ended += 1,
                _ => {}
            }
        }
        while let Some(e) = si.poll_event() {
            if e == ServerInviteEvent::Terminated {
                si_ended += 1;
            }
        }
        while ci.poll_transmit().is_some() {}
        while si.poll_transmit().is_some() {}
        if ci.state() == InviteState::Terminated {
            assert!(ci.poll_timeout().is_none());
        }
        if si.state() == ServerInviteState::Terminated {
            si.handle_retransmission();
            assert!(si.poll_transmit().is_none() && si.poll_timeout().is_none());
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
    assert!(ci_outcomes <= 1 && ci_ended <= 1 && si_ended <= 1);
    assert!(outcomes <= 1 && ended <= 1);
    assert_eq!(ended == 1, c.state() == State::Terminated);
    if ended == 1 {
        assert_eq!(outcomes, 1);
    }
});
