//! Transactions against RFC 3261 §17 and RFC 6026, with a fake clock: the non-INVITE
//! retransmission schedule, Timer F, provisional responses, absorbed copies, Timers K and J;
//! the INVITE client's doubling to Timer B, its own ACK of failures, every 2xx until Timer M;
//! reliable transports; the matching keys.
#![allow(elided_lifetimes_in_paths)] // `typed::<Via>()` reads better than `typed::<Via<'_>>()`
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use simple_sip::OwnedMessage;
use simple_sip::transaction::{
    ClientEvent, ClientNonInvite, Reliability, RespondError, ServerEvent, ServerNonInvite, State,
    Timer, Timers,
};

const REQUEST: &[u8] = b"OPTIONS sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\n\
To: <sip:bob@biloxi.com>\r\nFrom: <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n";

fn response(code: u16) -> OwnedMessage {
    let text = format!(
        "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
To: <sip:bob@biloxi.com>;tag=a6c85cf\r\nFrom: <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    OwnedMessage::parse(Bytes::from(text)).unwrap()
}

/// A client transaction for `REQUEST` started at `t0`.
fn client(reliability: Reliability, t0: Instant) -> ClientNonInvite {
    ClientNonInvite::new(Bytes::from_static(REQUEST), reliability, Timers::default(), t0)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs the client's timers until it terminates or `until`; returns when each request was
/// sent (ms after start) and the events.
fn run_client(
    c: &mut ClientNonInvite,
    t0: Instant,
    until: Duration,
) -> (Vec<u64>, Vec<ClientEvent>) {
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    let mut now = t0;
    loop {
        while let Some(b) = c.poll_transmit() {
            assert_eq!(&b[..], REQUEST);
            sent.push((now - t0).as_millis() as u64);
        }
        events.extend(std::iter::from_fn(|| c.poll_event()));
        let Some((at, _)) = c.poll_timeout() else { break };
        if at - t0 > until {
            break;
        }
        now = at;
        c.handle_timeout(now);
    }
    (sent, events)
}

#[test]
fn unanswered_request_retransmits_doubling_to_t2_then_times_out_at_64_t1() {
    let t0 = Instant::now();
    let mut c = client(Reliability::Unreliable, t0);
    assert_eq!(c.poll_timeout(), Some((t0 + ms(500), Timer::E)));
    let (sent, events) = run_client(&mut c, t0, Duration::from_secs(60));
    // 0, then T1, 2T1, 4T1 after each other, then every T2 (4 s) until 32 s
    let mut want = vec![0, 500, 1500, 3500, 7500];
    let mut t = 7500;
    while t + 4000 < 32_000 {
        t += 4000;
        want.push(t);
    }
    assert_eq!(sent, want);
    assert_eq!(events, [ClientEvent::Timeout, ClientEvent::Terminated]);
    assert_eq!((c.state(), c.poll_timeout()), (State::Terminated, None));
}

#[test]
fn provisional_responses_slow_retransmissions_to_t2_and_the_final_one_completes() {
    let t0 = Instant::now();
    let mut c = client(Reliability::Unreliable, t0);
    assert!(c.poll_transmit().is_some());
    c.handle_response(response(100), t0 + ms(100));
    assert_eq!(c.state(), State::Proceeding);
    assert!(
        matches!(c.poll_event(), Some(ClientEvent::Provisional(r)) if r.status_code() == Some(100))
    );
    // Timer E still fires at T1, and after it every T2
    c.handle_timeout(t0 + ms(500));
    assert!(c.poll_transmit().is_some());
    assert_eq!(c.poll_timeout(), Some((t0 + ms(4500), Timer::E)));
    c.handle_response(response(200), t0 + ms(1000));
    assert_eq!(c.state(), State::Completed);
    assert!(matches!(c.poll_event(), Some(ClientEvent::Final(r)) if r.status_code() == Some(200)));
    // copies of the final response are absorbed; nothing is retransmitted any more
    c.handle_response(response(200), t0 + ms(2000));
    c.handle_response(response(180), t0 + ms(2000));
    assert_eq!(c.poll_event(), None);
    // Timer K: T4 after the final response
    assert_eq!(c.poll_timeout(), Some((t0 + ms(6000), Timer::K)));
    c.handle_timeout(t0 + ms(6000));
    assert_eq!((c.state(), c.poll_event()), (State::Terminated, Some(ClientEvent::Terminated)));
    assert_eq!(c.poll_transmit(), None);
}

#[test]
fn reliable_transports_neither_retransmit_nor_wait() {
    let t0 = Instant::now();
    let mut c = client(Reliability::Reliable, t0);
    assert_eq!(c.poll_timeout(), Some((t0 + ms(32_000), Timer::F)), "no Timer E");
    assert!(c.poll_transmit().is_some());
    c.handle_response(response(404), t0 + ms(10));
    assert!(matches!(c.poll_event(), Some(ClientEvent::Final(_))));
    assert_eq!(c.poll_timeout(), Some((t0 + ms(10), Timer::K)), "K is zero");
    c.handle_timeout(t0 + ms(10));
    assert_eq!((c.state(), c.poll_event()), (State::Terminated, Some(ClientEvent::Terminated)));
}

#[test]
fn server_answers_retransmissions_with_its_last_response_and_waits_64_t1() {
    let t0 = Instant::now();
    let mut s = ServerNonInvite::new(Reliability::Unreliable, Timers::default());
    // a copy of the request before anything was sent: nothing to send (Trying)
    s.handle_retransmission();
    assert_eq!(s.poll_transmit(), None);
    s.respond(&response(100), t0).unwrap();
    assert_eq!(s.state(), State::Proceeding);
    assert_eq!(s.poll_transmit().unwrap(), response(100).bytes());
    s.handle_retransmission();
    assert_eq!(s.poll_transmit().unwrap(), response(100).bytes(), "the last provisional again");
    s.respond(&response(200), t0 + ms(50)).unwrap();
    assert_eq!(s.state(), State::Completed);
    assert_eq!(s.poll_transmit().unwrap(), response(200).bytes());
    s.handle_retransmission();
    assert_eq!(s.poll_transmit().unwrap(), response(200).bytes(), "the final again");
    assert_eq!(s.respond(&response(500), t0 + ms(60)), Err(RespondError::AlreadyFinal));
    assert_eq!(s.poll_timeout(), Some((t0 + ms(50) + ms(32_000), Timer::J)));
    s.handle_timeout(t0 + ms(32_049));
    assert_eq!(s.state(), State::Completed, "not yet");
    s.handle_timeout(t0 + ms(32_050));
    assert_eq!((s.state(), s.poll_event()), (State::Terminated, Some(ServerEvent::Terminated)));
    s.handle_retransmission();
    assert_eq!((s.poll_transmit(), s.poll_timeout()), (None, None), "over: nothing more");
}

#[test]
fn a_reliable_server_transaction_ends_with_its_final_response() {
    let t0 = Instant::now();
    let mut s = ServerNonInvite::new(Reliability::Reliable, Timers::default());
    s.respond(&response(202), t0).unwrap();
    assert_eq!(s.poll_timeout(), Some((t0, Timer::J)), "J is zero");
    s.handle_timeout(t0);
    assert_eq!(s.poll_event(), Some(ServerEvent::Terminated));
    let request = OwnedMessage::parse(Bytes::from_static(REQUEST)).unwrap();
    let mut s = ServerNonInvite::new(Reliability::Reliable, Timers::default());
    assert_eq!(s.respond(&request, t0), Err(RespondError::NotAResponse));
}

mod props {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Input {
        Response(u16),
        Wait(u64),
    }

    fn input() -> impl Strategy<Value = Input> {
        prop_oneof![
            prop::sample::select(vec![100u16, 180, 183, 200, 202, 302, 404, 486, 500, 603])
                .prop_map(Input::Response),
            (0u64..40_000).prop_map(Input::Wait),
        ]
    }

    fn rank(s: State) -> u8 {
        match s {
            State::Trying => 0,
            State::Proceeding => 1,
            State::Completed => 2,
            State::Terminated => 3,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any order of responses and waits: the state only moves forward; at most one final
        /// response or timeout reaches the user, and exactly one if it terminated; after the
        /// end nothing is sent and no timer is left; a deadline is never in the past.
        #[test]
        fn client_invariants(inputs in prop::collection::vec(input(), 0..40), reliable in any::<bool>()) {
            let t0 = Instant::now();
            let rel = if reliable { Reliability::Reliable } else { Reliability::Unreliable };
            let mut c = client(rel, t0);
            let mut now = t0;
            let (mut outcomes, mut terminated) = (0, 0);
            for i in inputs {
                let before = rank(c.state());
                match i {
                    Input::Response(code) => c.handle_response(response(code), now),
                    Input::Wait(ms) => {
                        now += Duration::from_millis(ms);
                        c.handle_timeout(now);
                    }
                }
                prop_assert!(rank(c.state()) >= before);
                while let Some(e) = c.poll_event() {
                    match e {
                        ClientEvent::Final(_) | ClientEvent::Timeout => outcomes += 1,
                        ClientEvent::Terminated => terminated += 1,
                        ClientEvent::Provisional(_) => prop_assert!(outcomes == 0),
                        _ => {}
                    }
                }
                if c.state() == State::Terminated {
                    prop_assert_eq!(c.poll_timeout(), None);
                    prop_assert!(c.poll_transmit().is_none());
                } else {
                    while c.poll_transmit().is_some() {}
                    let (at, _) = c.poll_timeout().expect("a live transaction has a timer");
                    prop_assert!(at > now || c.state() == State::Completed);
                }
            }
            prop_assert!(outcomes <= 1 && terminated <= 1);
            prop_assert_eq!(terminated == 1, c.state() == State::Terminated);
            if terminated == 1 {
                prop_assert_eq!(outcomes, 1);
            }
        }
    }
}

/// §17.1.3 and §17.2.3 matching keys.
#[test]
fn matching_keys() {
    use simple_sip::transaction::{ClientKey, ServerKey};
    use simple_sip::{Header, Message};
    let key = |text: &str, f: &dyn Fn(&Message<'_, '_>) -> String| {
        let mut h = [Header::EMPTY; 16];
        let m = Message::parse(text.as_bytes(), &mut h).unwrap();
        f(&m)
    };
    let server = |text: &str| key(text, &|m| format!("{:?}", ServerKey::of(m).unwrap()));
    let client = |text: &str| key(text, &|m| format!("{:?}", ClientKey::of(m).unwrap()));
    let msg = |start: &str, via: &str, cseq: &str, to_tag: &str| {
        format!(
            "{start}\r\nVia: SIP/2.0/UDP {via}\r\nFrom: <sip:a@x.com>;tag=f1\r\n\
To: <sip:b@y.com>{to_tag}\r\nCall-ID: c1@x.com\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let invite = msg("INVITE sip:b@y.com SIP/2.0", "pc.x.com;branch=z9hG4bK1", "1 INVITE", "");
    let ack = msg("ACK sip:b@y.com SIP/2.0", "PC.X.com;branch=z9hG4bK1", "1 ACK", ";tag=t9");
    let cancel = msg("CANCEL sip:b@y.com SIP/2.0", "pc.x.com;branch=z9hG4bK1", "1 CANCEL", "");
    let other_host = msg("INVITE sip:b@y.com SIP/2.0", "pc2.x.com;branch=z9hG4bK1", "1 INVITE", "");
    assert_eq!(server(&invite), server(&invite));
    assert_eq!(server(&ack), server(&invite), "the ACK of a non-2xx finds its INVITE");
    assert_ne!(server(&cancel), server(&invite), "a CANCEL is its own transaction");
    assert_ne!(server(&other_host), server(&invite), "same branch from another sent-by");
    // RFC 2543 requests: no magic cookie
    let old = msg("INVITE sip:b@y.com SIP/2.0", "pc.x.com;branch=1", "1 INVITE", "");
    let old_ack = msg("ACK sip:b@y.com SIP/2.0", "pc.x.com;branch=1", "1 ACK", ";tag=t9");
    let old_next = msg("INVITE sip:b@y.com SIP/2.0", "pc.x.com;branch=1", "2 INVITE", "");
    assert!(server(&old).starts_with("Rfc2543"));
    assert_eq!(server(&old_ack), server(&old));
    assert_ne!(server(&old_next), server(&old));
    // client side: a request and its response share the key; a CANCEL's response does not
    let ok = msg("SIP/2.0 200 OK", "pc.x.com;branch=z9hG4bK1", "1 INVITE", ";tag=t9");
    let cancel_ok = msg("SIP/2.0 200 OK", "pc.x.com;branch=z9hG4bK1", "1 CANCEL", ";tag=t9");
    assert_eq!(client(&ok), client(&invite));
    assert_ne!(client(&cancel_ok), client(&invite));
}

mod invite {
    use simple_sip::headers::{CSeq, Route, ToHeader, Via};
    use simple_sip::transaction::{ClientInvite, InviteEvent, InviteState};
    use simple_sip::{Header, Message, Method};

    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8, SIP/2.0/UDP p0.atlanta.com;branch=z9hG4bK0\r\n\
Route: <sip:p1.example.com;lr>\r\nMax-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\nContact: <sip:alice@pc33.atlanta.com>\r\nContent-Length: 0\r\n\r\n";

    fn reply(code: u16, tag: &str) -> OwnedMessage {
        let text = format!(
            "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n\
To: Bob <sip:bob@biloxi.com>;tag={tag}\r\nFrom: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
        OwnedMessage::parse(Bytes::from(text)).unwrap()
    }

    fn start(rel: Reliability, t0: Instant) -> ClientInvite {
        ClientInvite::new(
            OwnedMessage::parse(Bytes::from_static(INVITE)).unwrap(),
            rel,
            Timers::default(),
            t0,
        )
    }

    #[test]
    fn unanswered_invites_double_without_a_cap_until_timer_b() {
        let t0 = Instant::now();
        let mut c = start(Reliability::Unreliable, t0);
        let mut sent = Vec::new();
        let mut now = t0;
        loop {
            while let Some(b) = c.poll_transmit() {
                assert_eq!(&b[..], INVITE);
                sent.push((now - t0).as_millis());
            }
            let Some((at, _)) = c.poll_timeout() else { break };
            now = at;
            c.handle_timeout(now);
        }
        assert_eq!(sent, [0, 500, 1500, 3500, 7500, 15_500, 31_500]);
        let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
        assert_eq!(events, [InviteEvent::Timeout, InviteEvent::Terminated]);
        assert_eq!(now - t0, ms(32_000));
    }

    #[test]
    fn a_failure_is_acknowledged_by_the_transaction_and_again_for_each_copy() {
        let t0 = Instant::now();
        let mut c = start(Reliability::Unreliable, t0);
        assert!(c.poll_transmit().is_some());
        c.handle_response(reply(180, "a6c85cf"), t0 + ms(100));
        assert_eq!(
            (c.state(), c.poll_timeout()),
            (InviteState::Proceeding, None),
            "no timer in Proceeding"
        );
        assert!(matches!(c.poll_event(), Some(InviteEvent::Provisional(_))));
        c.handle_response(reply(486, "a6c85cf"), t0 + ms(5000));
        assert!(
            matches!(c.poll_event(), Some(InviteEvent::Failure(r)) if r.status_code() == Some(486))
        );
        let ack = c.poll_transmit().expect("the ACK");
        let mut h = [Header::EMPTY; 16];
        let m = Message::parse(&ack, &mut h).unwrap();
        assert_eq!(m.method(), Some(Method::Ack));
        assert_eq!(m.request().unwrap().uri, "sip:bob@biloxi.com");
        let vias: Vec<Via> = m.typed_all().collect::<Result<_, _>>().unwrap();
        assert_eq!(vias.len(), 1, "only the top Via");
        assert_eq!(vias[0].branch(), Some("z9hG4bKnashds8"));
        assert_eq!(m.require::<ToHeader>().unwrap().tag(), Some("a6c85cf"), "the response's To");
        let cseq = m.require::<CSeq>().unwrap();
        assert_eq!((cseq.seq, cseq.method), (314_159, Method::Ack));
        assert_eq!(m.typed_all::<Route>().count(), 1, "the INVITE's Route set");
        // a copy of the 486: the ACK again, no event
        c.handle_response(reply(486, "a6c85cf"), t0 + ms(6000));
        assert_eq!(c.poll_transmit(), Some(ack));
        assert_eq!(c.poll_event(), None);
        assert_eq!(c.poll_timeout().map(|(at, t)| (at - t0, t)), Some((ms(37_000), Timer::D)));
        c.handle_timeout(t0 + ms(37_000));
        assert_eq!(
            (c.state(), c.poll_event()),
            (InviteState::Terminated, Some(InviteEvent::Terminated))
        );
    }

    #[test]
    fn every_2xx_of_every_fork_goes_up_until_timer_m() {
        let t0 = Instant::now();
        let mut c = start(Reliability::Unreliable, t0);
        assert!(c.poll_transmit().is_some());
        c.handle_response(reply(200, "fork1"), t0 + ms(200));
        c.handle_response(reply(200, "fork2"), t0 + ms(300));
        c.handle_response(reply(200, "fork1"), t0 + ms(700)); // a retransmission
        c.handle_response(reply(603, "fork3"), t0 + ms(800)); // absorbed
        let tags: Vec<String> = std::iter::from_fn(|| c.poll_event())
            .map(|e| {
                let InviteEvent::Success(r) = e else { panic!("{e:?}") };
                r.view(|m| m.require::<ToHeader>().unwrap().tag().unwrap().to_owned())
            })
            .collect();
        assert_eq!(tags, ["fork1", "fork2", "fork1"]);
        assert_eq!(c.poll_transmit(), None, "the ACK of a 2xx is the user's");
        assert_eq!(c.poll_timeout().map(|(at, t)| (at - t0, t)), Some((ms(32_200), Timer::M)));
        c.handle_timeout(t0 + ms(32_200));
        assert_eq!(c.poll_event(), Some(InviteEvent::Terminated));
    }

    #[test]
    fn reliable_invites_are_not_retransmitted_and_timer_d_is_zero() {
        let t0 = Instant::now();
        let mut c = start(Reliability::Reliable, t0);
        assert_eq!(c.poll_timeout().map(|(_, t)| t), Some(Timer::B), "no Timer A");
        assert!(c.poll_transmit().is_some());
        c.handle_response(reply(404, "x"), t0 + ms(50));
        assert!(c.poll_transmit().is_some(), "the ACK");
        assert_eq!(c.poll_timeout(), Some((t0 + ms(50), Timer::D)));
        c.handle_timeout(t0 + ms(50));
        assert_eq!(c.state(), InviteState::Terminated);
    }
}

mod invite_server {
    use simple_sip::transaction::{ServerInvite, ServerInviteEvent, ServerInviteState};
    use simple_sip::{Header, Message};

    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\nMax-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\nFrom: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n";

    fn invite() -> OwnedMessage {
        OwnedMessage::parse(Bytes::from_static(INVITE)).unwrap()
    }

    fn reply(code: u16) -> OwnedMessage {
        let text = format!(
            "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n\
To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\nFrom: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
        OwnedMessage::parse(Bytes::from(text)).unwrap()
    }

    fn ack() -> OwnedMessage {
        OwnedMessage::parse(Bytes::from_static(
            b"ACK sip:bob@biloxi.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n\
To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\nFrom: <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\nCSeq: 314159 ACK\r\nContent-Length: 0\r\n\r\n",
        ))
        .unwrap()
    }

    #[test]
    fn a_silent_user_gets_100_trying_after_200_ms() {
        let t0 = Instant::now();
        let mut s = ServerInvite::new(invite(), Reliability::Unreliable, Timers::default(), t0);
        assert_eq!(s.poll_timeout(), Some((t0 + ms(200), Timer::Trying)));
        s.handle_timeout(t0 + ms(200));
        let trying = s.poll_transmit().expect("100 Trying");
        let mut h = [Header::EMPTY; 16];
        let m = Message::parse(&trying, &mut h).unwrap();
        assert_eq!(m.status_code(), Some(100));
        s.handle_retransmission();
        assert_eq!(s.poll_transmit(), Some(trying), "an INVITE copy gets the 100 again");
        // a user that answers in time sends no 100
        let mut s = ServerInvite::new(invite(), Reliability::Unreliable, Timers::default(), t0);
        s.respond(&reply(180), t0 + ms(50)).unwrap();
        s.handle_timeout(t0 + ms(200));
        assert_eq!(s.poll_transmit(), Some(reply(180).bytes().clone()));
        assert_eq!(s.poll_transmit(), None);
    }

    #[test]
    fn a_failure_is_retransmitted_until_the_ack_then_ack_copies_are_absorbed() {
        let t0 = Instant::now();
        let mut s = ServerInvite::new(invite(), Reliability::Unreliable, Timers::default(), t0);
        s.respond(&reply(486), t0).unwrap();
        assert_eq!(s.state(), ServerInviteState::Completed);
        let busy = reply(486).bytes().clone();
        assert_eq!(s.poll_transmit(), Some(busy.clone()));
        // Timer G: T1, 2T1, 4T1, then T2
        let mut now = t0;
        let mut sent = Vec::new();
        while let Some((at, Timer::G)) = s.poll_timeout() {
            if at - t0 > ms(12_000) {
                break;
            }
            now = at;
            s.handle_timeout(now);
            assert_eq!(s.poll_transmit(), Some(busy.clone()));
            sent.push((now - t0).as_millis());
        }
        assert_eq!(sent, [500, 1500, 3500, 7500, 11_500]);
        s.handle_ack(ack(), now);
        assert_eq!(s.state(), ServerInviteState::Confirmed);
        assert_eq!(s.poll_timeout().map(|(at, t)| (at - now, t)), Some((ms(5000), Timer::I)));
        s.handle_retransmission();
        s.handle_ack(ack(), now);
        assert_eq!((s.poll_transmit(), s.poll_event()), (None, None), "absorbed");
        s.handle_timeout(now + ms(5000));
        assert_eq!(s.poll_event(), Some(ServerInviteEvent::Terminated));
    }

    #[test]
    fn no_ack_within_timer_h_is_reported() {
        let t0 = Instant::now();
        let mut s = ServerInvite::new(invite(), Reliability::Reliable, Timers::default(), t0);
        s.respond(&reply(603), t0).unwrap();
        assert_eq!(s.poll_timeout(), Some((t0 + ms(32_000), Timer::H)), "no Timer G when reliable");
        s.handle_timeout(t0 + ms(32_000));
        let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
        assert_eq!(events, [ServerInviteEvent::AckTimeout, ServerInviteEvent::Terminated]);
    }

    #[test]
    fn after_a_2xx_the_users_retransmissions_pass_and_invite_copies_are_absorbed() {
        let t0 = Instant::now();
        let mut s = ServerInvite::new(invite(), Reliability::Unreliable, Timers::default(), t0);
        s.respond(&reply(200), t0).unwrap();
        assert_eq!(s.state(), ServerInviteState::Accepted);
        assert!(s.poll_transmit().is_some());
        s.handle_retransmission();
        assert_eq!(s.poll_transmit(), None, "INVITE copies absorbed (RFC 6026)");
        s.respond(&reply(200), t0 + ms(500)).unwrap();
        assert!(s.poll_transmit().is_some(), "the user's 2xx retransmission goes out");
        assert_eq!(s.respond(&reply(486), t0 + ms(600)), Err(RespondError::AlreadyFinal));
        s.handle_ack(ack(), t0 + ms(700));
        assert!(matches!(s.poll_event(), Some(ServerInviteEvent::Ack(_))));
        assert_eq!(s.poll_timeout(), Some((t0 + ms(32_000), Timer::L)));
        s.handle_timeout(t0 + ms(32_000));
        assert_eq!(s.poll_event(), Some(ServerInviteEvent::Terminated));
    }
}

/// §9.1: a CANCEL copies the INVITE's identity and its top Via, so it matches at the server
/// (§9.2) the INVITE's transaction through `ServerKey::of_cancelled`.
#[test]
fn cancel_follows_its_invite() {
    use simple_sip::headers::{CSeq, Route, ToHeader, Via};
    use simple_sip::transaction::{ServerKey, cancel};
    use simple_sip::{Header, HeaderName, Message, Method};
    let invite = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8, SIP/2.0/UDP p0;branch=z9hG4bK0\r\n\
Route: <sip:p1.example.com;lr>\r\nMax-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n";
    let mut h = [Header::EMPTY; 16];
    let inv = Message::parse(invite, &mut h).unwrap();
    let bytes = cancel(&inv);
    let mut h2 = [Header::EMPTY; 16];
    let c = Message::parse(&bytes, &mut h2).unwrap();
    assert_eq!(c.method(), Some(Method::Cancel));
    assert_eq!(c.request().unwrap().uri, "sip:bob@biloxi.com");
    let vias: Vec<Via> = c.typed_all().collect::<Result<_, _>>().unwrap();
    assert_eq!((vias.len(), vias[0].branch()), (1, Some("z9hG4bKnashds8")));
    assert_eq!(c.typed_all::<Route>().count(), 1);
    assert_eq!(c.require::<ToHeader>().unwrap().tag(), None, "the INVITE's To, as it was");
    let cseq = c.require::<CSeq>().unwrap();
    assert_eq!((cseq.seq, cseq.method), (314_159, Method::Cancel));
    for name in [HeaderName::From, HeaderName::CallId] {
        assert_eq!(c.header(name).unwrap().value(), inv.header(name).unwrap().value());
    }
    assert_eq!(ServerKey::of_cancelled(&c).unwrap(), ServerKey::of(&inv).unwrap());
    assert_ne!(ServerKey::of(&c).unwrap(), ServerKey::of(&inv).unwrap(), "its own transaction");
}
