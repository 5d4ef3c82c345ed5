//! Two sessions talking in-process over an emulated connection: chunking, interruption,
//! reassembly in any order, duplicates, loss with timeouts, reports, refusals and aborts.
//! Nothing sent may vanish: every message ends in an event on both sides.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use simple_msrp::{
    Decoder, Event, FailureReason, FailureReport, Frame, Message, MsrpUri, SendOptions, Session,
    SessionConfig, SuccessReport,
};

/// What one `poll_transmit` writes, as a fresh vector.
fn tx(s: &mut Session, now: Instant) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    s.poll_transmit(now, &mut buf).map(|n| {
        assert_eq!(n, buf.len());
        buf
    })
}

fn uri(host: &str, sid: &str) -> MsrpUri {
    MsrpUri::new(host, 2855, sid)
}

fn pair(config: &SessionConfig) -> (Session, Session) {
    let (a, b) = (uri("alice.example.com", "aaaa1"), uri("bob.example.com", "bbbb1"));
    (
        Session::new(config.clone(), 1, a.clone(), vec![b.clone()]),
        Session::new(config.clone(), 2, b, vec![a]),
    )
}

/// Splits a byte stream into whole MSRP requests/responses (what a relay would forward).
fn split_messages(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut d = Decoder::default();
    let mut out = Vec::new();
    let mut at = 0;
    let mut start = 0;
    while let Some((f, used)) = d.decode(&bytes[at..]).unwrap() {
        at += used;
        if let Frame::End(_) = f {
            out.push(bytes[start..at].to_vec());
            start = at;
        }
    }
    assert_eq!(start, bytes.len());
    out
}

/// Moves everything one side transmits to the other, message by message, through `net`.
struct Net {
    now: Instant,
    rng: u64,
    /// Chance in 1000 of dropping / duplicating a message; whether to reorder.
    drop: u64,
    dup: u64,
    reorder: bool,
    /// Bytes per delivery to the receiver (split at any byte).
    piece: usize,
    /// Which messages to lose, counted from 0 over everything this net carries (after
    /// reordering), whatever the random drop decides.
    lose: Vec<usize>,
    carried: usize,
}

impl Net {
    fn rand(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn carry(&mut self, from: &mut Session, to: &mut Session) -> bool {
        let mut wire = Vec::new();
        while let Some(t) = tx(from, self.now) {
            wire.extend_from_slice(&t);
        }
        if wire.is_empty() {
            return false;
        }
        let mut msgs = split_messages(&wire);
        if self.reorder && msgs.len() > 1 {
            for i in (1..msgs.len()).rev() {
                let j = (self.rand() % (i as u64 + 1)) as usize;
                msgs.swap(i, j);
            }
        }
        let mut out = Vec::new();
        for m in msgs {
            let r = self.rand() % 1000;
            self.carried += 1;
            if r < self.drop || self.lose.contains(&(self.carried - 1)) {
                continue;
            }
            if r >= 1000 - self.dup {
                out.extend_from_slice(&m);
            }
            out.extend_from_slice(&m);
        }
        for p in out.chunks(self.piece.max(1)) {
            to.handle_input(p).unwrap();
        }
        true
    }

    /// Runs until both sides are quiet, then lets timers fire until nothing is pending.
    fn run(&mut self, a: &mut Session, b: &mut Session) {
        for _ in 0..10_000 {
            let x = self.carry(a, b);
            let y = self.carry(b, a);
            if x || y {
                continue;
            }
            let next =
                [a.poll_timeout(), b.poll_timeout()].into_iter().flatten().map(|(t, _)| t).min();
            match next {
                Some(t) => {
                    self.now = self.now.max(t);
                    a.handle_timeout(self.now);
                    b.handle_timeout(self.now);
                }
                None => return,
            }
        }
        panic!("no quiescence");
    }
}

fn net() -> Net {
    Net {
        now: Instant::now(),
        rng: 0x9E37_79B9,
        drop: 0,
        dup: 0,
        reorder: false,
        piece: 1500,
        lose: Vec::new(),
        carried: 0,
    }
}

fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn body(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[test]
fn small_and_large_messages_with_success_reports() {
    let (mut a, mut b) = pair(&SessionConfig::default());
    let yes = SendOptions { success_report: SuccessReport::Yes, ..SendOptions::default() };
    let m1 = a.send("text/plain", b"Hey Bob, are you there?".to_vec(), yes);
    let big = body(300_000, 7);
    let m2 = a.send("application/octet-stream", big.clone(), yes);
    let m3 = a.send("text/plain", Vec::new(), SendOptions::default());
    net().run(&mut a, &mut b);
    let got = events(&mut b);
    let received: Vec<(&str, usize)> = got
        .iter()
        .filter_map(|e| match e {
            Event::Received { message_id, body, .. } => Some((message_id.as_str(), body.len())),
            _ => None,
        })
        .collect();
    assert_eq!(received, [(m1.as_str(), 23), (m2.as_str(), 300_000), (m3.as_str(), 0)]);
    assert!(got.iter().any(|e| matches!(e, Event::Received { body, .. } if *body == big)));
    let sent = events(&mut a);
    for m in [&m1, &m2, &m3] {
        assert!(
            sent.iter().any(|e| matches!(e, Event::Sent { message_id } if message_id == m)),
            "{m}"
        );
    }
    for m in [&m1, &m2] {
        assert!(
            sent.iter()
                .any(|e| matches!(e, Event::Delivered { message_id, .. } if message_id == m)),
            "{m}: {sent:?}"
        );
    }
}

#[test]
fn large_message_is_chunked_and_interrupted_by_responses() {
    let mut config = SessionConfig::default();
    config.max_chunk = 10_000;
    config.max_transmit = 4096;
    let (mut a, mut b) = pair(&config);
    // both sides send at once: responses must interleave with chunks
    let ma = a.send("text/plain", body(50_000, 1), SendOptions::default());
    let mb = b.send("text/plain", body(50_000, 2), SendOptions::default());
    let mut n = net();
    n.piece = 1; // and the receiver sees the bytes one at a time
    n.run(&mut a, &mut b);
    let (ea, eb) = (events(&mut a), events(&mut b));
    assert!(eb.iter().any(|e| matches!(e, Event::Received { message_id, body, .. } if *message_id == ma && *body == body_of(1))));
    assert!(ea.iter().any(|e| matches!(e, Event::Received { message_id, body, .. } if *message_id == mb && *body == body_of(2))));
    assert!(ea.iter().any(|e| matches!(e, Event::Sent { message_id } if *message_id == ma)));
    assert!(eb.iter().any(|e| matches!(e, Event::Sent { message_id } if *message_id == mb)));
}

fn body_of(seed: u8) -> Vec<u8> {
    body(50_000, seed)
}

#[test]
fn chunks_reordered_and_duplicated_still_reassemble() {
    let mut config = SessionConfig::default();
    config.max_chunk = 1000;
    let (mut a, mut b) = pair(&config);
    let data = body(20_000, 9);
    let id = a.send("application/octet-stream", data.clone(), SendOptions::default());
    let mut n = net();
    n.reorder = true;
    n.dup = 300;
    n.piece = 333;
    n.run(&mut a, &mut b);
    let eb = events(&mut b);
    let got: Vec<_> = eb.iter().filter(|e| matches!(e, Event::Received { .. })).collect();
    assert_eq!(got.len(), 1, "{eb:?}");
    assert!(
        matches!(got[0], Event::Received { message_id, body, .. } if *message_id == id && *body == data)
    );
    assert!(events(&mut a).iter().any(|e| matches!(e, Event::Sent { .. })));
}

#[test]
fn lost_chunks_time_out_and_the_sender_is_told() {
    let mut config = SessionConfig::default();
    config.max_chunk = 1000;
    let (mut a, mut b) = pair(&config);
    let id = a.send("text/plain", body(10_000, 3), SendOptions::default());
    let mut n = net();
    let start = n.now;
    // of the ten chunks (all written in one go), the third never arrives, so its transaction
    // gets no response
    n.lose = vec![2];
    assert!(n.carry(&mut a, &mut b));
    let due = a.poll_timeout();
    assert_eq!(due, Some((start + Duration::from_secs(30), simple_msrp::Timer::Transaction)));
    n.run(&mut a, &mut b);
    let ea = events(&mut a);
    let outcomes: Vec<_> = ea
        .iter()
        .filter(|e| {
            matches!(e, Event::Sent { message_id } | Event::SendFailed { message_id, .. } if *message_id == id)
        })
        .collect();
    assert!(
        matches!(outcomes[..], [Event::SendFailed { reason: FailureReason::Timeout, .. }]),
        "exactly one outcome, the timeout: {ea:?}"
    );
    assert_eq!(n.now, start + Duration::from_secs(30), "fired at the transaction's deadline");
    assert_eq!(a.poll_timeout(), None, "no timer left for ended transactions");
    // the receiver still holds the partial message until the session ends, then says so
    b.close();
    let eb = events(&mut b);
    assert!(
        matches!(eb[..], [Event::ReceiveAborted { ref message_id }] if *message_id == id),
        "{} events, the first {:?}",
        eb.len(),
        eb.first().map(|e| format!("{e:?}").chars().take(200).collect::<String>())
    );
}

#[test]
fn refusals_reach_the_sender() {
    let mut config = SessionConfig::default();
    config.accept_types = vec!["text/*".into()];
    config.max_message_size = 1000;
    let (mut a, mut b) = pair(&config);
    let bad_type = a.send("image/png", vec![1, 2, 3], SendOptions::default());
    let too_big = a.send("text/plain", body(5000, 1), SendOptions::default());
    let quiet = a.send(
        "image/png",
        vec![1],
        SendOptions { failure_report: FailureReport::No, ..SendOptions::default() },
    );
    let ok = a.send("text/plain", b"fine".to_vec(), SendOptions::default());
    net().run(&mut a, &mut b);
    let ea = events(&mut a);
    let code_of = |id: &str| {
        ea.iter().find_map(|e| match e {
            Event::SendFailed { message_id, reason: FailureReason::Response { code } }
                if message_id == id =>
            {
                Some(*code)
            }
            _ => None,
        })
    };
    assert_eq!(code_of(&bad_type), Some(415));
    assert_eq!(code_of(&too_big), Some(413));
    assert_eq!(code_of(&quiet), None); // Failure-Report: no -> no response at all
    assert!(ea.iter().any(|e| matches!(e, Event::Sent { message_id } if *message_id == quiet)));
    assert!(ea.iter().any(|e| matches!(e, Event::Sent { message_id } if *message_id == ok)));
    let eb = events(&mut b);
    let refused: Vec<u16> = eb
        .iter()
        .filter_map(|e| match e {
            Event::ReceiveFailed { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    assert_eq!(refused, [415, 413, 415]);
}

#[test]
fn the_peers_sdp_limits_what_is_sent() {
    let (mut a, mut b) = pair(&SessionConfig::default());
    let sdp = "m=message 2855 TCP/MSRP *\r\na=accept-types:message/cpim text/*\r\na=max-size:100\r\na=path:msrp://bob.example.com:2855/bbbb1;tcp\r\n";
    a.set_peer_media(simple_msrp::MsrpMedia::parse(sdp).unwrap());
    let png = a.send("image/png", vec![0; 10], SendOptions::default());
    let big = a.send("text/plain", vec![b'x'; 101], SendOptions::default());
    let ok = a.send("text/plain; charset=utf-8", vec![b'x'; 100], SendOptions::default());
    net().run(&mut a, &mut b);
    let ea = events(&mut a);
    assert!(ea.iter().any(|e| matches!(e, Event::SendFailed { message_id, reason: FailureReason::Refused { code: 415 } } if *message_id == png)));
    assert!(ea.iter().any(|e| matches!(e, Event::SendFailed { message_id, reason: FailureReason::Refused { code: 413 } } if *message_id == big)));
    assert!(ea.iter().any(|e| matches!(e, Event::Sent { message_id } if *message_id == ok)));
    let received =
        events(&mut b).into_iter().filter(|e| matches!(e, Event::Received { .. })).count();
    assert_eq!(received, 1);
}

#[test]
fn wrong_session_gets_481() {
    let (mut a, _) = pair(&SessionConfig::default());
    let mut stranger = Session::new(
        SessionConfig::default(),
        3,
        uri("bob.example.com", "other1"),
        vec![uri("alice.example.com", "aaaa1")],
    );
    let id = a.send("text/plain", b"hi".to_vec(), SendOptions::default());
    net().run(&mut a, &mut stranger);
    assert!(events(&mut a).iter().any(
        |e| matches!(e, Event::SendFailed { message_id, reason: FailureReason::Response { code: 481 } } if *message_id == id)
    ));
    assert!(
        events(&mut stranger).iter().any(|e| matches!(e, Event::ReceiveFailed { code: 481, .. }))
    );
}

#[test]
fn abort_mid_message() {
    let mut config = SessionConfig::default();
    config.max_transmit = 1000;
    let (mut a, mut b) = pair(&config);
    let id = a.send("text/plain", body(100_000, 5), SendOptions::default());
    let now = Instant::now();
    let first = tx(&mut a, now).unwrap();
    b.handle_input(&first).unwrap();
    a.abort(&id);
    // the chunk in progress continues on the same byte stream: pass bytes straight through
    for _ in 0..100 {
        let x = tx(&mut a, now);
        let y = tx(&mut b, now);
        if x.is_none() && y.is_none() {
            break;
        }
        if let Some(x) = x {
            b.handle_input(&x).unwrap();
        }
        if let Some(y) = y {
            a.handle_input(&y).unwrap();
        }
    }
    assert!(
        events(&mut a)
            .iter()
            .any(|e| matches!(e, Event::SendFailed { reason: FailureReason::Aborted, .. }))
    );
    assert!(
        events(&mut b)
            .iter()
            .any(|e| matches!(e, Event::ReceiveAborted { message_id } if *message_id == id))
    );
}

#[test]
fn end_line_in_the_body_forces_a_new_chunk() {
    let (mut a, mut b) = pair(&SessionConfig::default());
    // learn the next transaction id by sending once, then put end-line-looking text in a body
    let probe = a.send("text/plain", b"x".to_vec(), SendOptions::default());
    let now = Instant::now();
    let wire = tx(&mut a, now).unwrap();
    let tid = String::from_utf8_lossy(&wire[5..16]).into_owned();
    b.handle_input(&wire).unwrap();
    let _ = probe;
    let evil = format!("before\r\n-------{tid}$\r\nafter -------{tid}+ end").into_bytes();
    let id = a.send("text/plain", evil.clone(), SendOptions::default());
    net().run(&mut a, &mut b);
    assert!(events(&mut b).iter().any(|e| matches!(e, Event::Received { message_id, body, .. } if *message_id == id && *body == evil)));
}

/// A chunk whose Byte-Range has a definite end is never cut short, even when its head and
/// body together exceed one transmit and a response is waiting (§7.3.1: only `*` chunks may
/// be interrupted).
#[test]
fn definite_chunks_are_not_interrupted() {
    let mut config = SessionConfig::default();
    config.max_transmit = 1000;
    let (mut a, mut b) = pair(&config);
    let now = Instant::now();
    let id = a.send("text/plain", body(990, 4), SendOptions::default());
    let mut wire = tx(&mut a, now).unwrap();
    // a request from b arrives between two transmits: its response now waits at a
    b.send("text/plain", b"ping".to_vec(), SendOptions::default());
    a.handle_input(&tx(&mut b, now).unwrap()).unwrap();
    while let Some(t) = tx(&mut a, now) {
        wire.extend_from_slice(&t);
    }
    let msgs = split_messages(&wire).iter().map(|m| Message::parse(m).unwrap()).collect::<Vec<_>>();
    let send =
        msgs.iter().find(|m| m.headers.iter().any(|(k, v)| k == "Message-ID" && *v == id)).unwrap();
    assert_eq!(send.headers.iter().find(|(k, _)| k == "Byte-Range").unwrap().1, "1-990/990");
    assert_eq!(send.body.as_ref().unwrap().len(), 990);
    assert_eq!(send.flag, simple_msrp::Flag::End);
}

/// A bodiless SEND (§7.1: traffic to open a connection or keep it alive) gets its 200 but is
/// not a message to deliver.
#[test]
fn bodiless_send_is_acknowledged_not_delivered() {
    let (_, mut b) = pair(&SessionConfig::default());
    let keepalive = Message::request(
        "k33p4l1v3",
        "SEND",
        &[uri("bob.example.com", "bbbb1")],
        &[uri("alice.example.com", "aaaa1")],
    );
    let now = Instant::now();
    b.handle_input(&keepalive.to_vec()).unwrap();
    let resp = Message::parse(&tx(&mut b, now).unwrap()).unwrap();
    assert!(matches!(resp.start, simple_msrp::StartLine::Response { code: 200, .. }));
    assert_eq!(b.poll_event(), None);
}

#[test]
fn protocol_error_closes_and_reports() {
    let (mut a, mut b) = pair(&SessionConfig::default());
    let id = a.send(
        "text/plain",
        b"pending".to_vec(),
        SendOptions { success_report: SuccessReport::Yes, ..SendOptions::default() },
    );
    let err = a.handle_input(b"GARBAGE\r\n\r\n").unwrap_err();
    assert_eq!(err.kind(), simple_msrp::ErrorKind::InvalidStartLine);
    assert!(events(&mut a).iter().any(|e| matches!(e, Event::SendFailed { message_id, reason: FailureReason::Closed, .. } if *message_id == id)));
    assert!(tx(&mut a, Instant::now()).is_none());
    let _ = b.poll_event();
}

#[test]
fn unknown_report_is_surfaced_not_answered() {
    let (mut a, mut b) = pair(&SessionConfig::default());
    let report = Message::request(
        "r3port01",
        "REPORT",
        &[uri("bob.example.com", "bbbb1")],
        &[uri("alice.example.com", "aaaa1")],
    )
    .with_header("Message-ID", "unknown12")
    .with_header("Status", "000 200 OK");
    b.handle_input(&report.to_vec()).unwrap();
    assert!(
        matches!(b.poll_event(), Some(Event::UnknownReport { message_id }) if message_id == "unknown12")
    );
    assert!(tx(&mut b, Instant::now()).is_none(), "REPORTs are never answered");
    let _ = a.poll_event();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any mix of sizes, chunk limits, splits, reordering and duplication: every message is
    /// received exactly once, intact, and every sender learns it was sent.
    #[test]
    fn every_message_arrives_once(
        sizes in prop::collection::vec(0usize..20_000, 1..6),
        max_chunk in 100usize..5000,
        max_transmit in 50usize..5000,
        piece in 1usize..3000,
        reorder in any::<bool>(),
        dup in 0u64..400,
        seed in any::<u64>(),
    ) {
        let mut config = SessionConfig::default();
        config.max_chunk = max_chunk;
        config.max_transmit = max_transmit;
        let (mut a, mut b) = pair(&config);
        let mut want = HashMap::new();
        for (i, &n) in sizes.iter().enumerate() {
            let data = body(n, i as u8);
            let id = a.send("text/plain", data.clone(), SendOptions::default());
            want.insert(id, data);
        }
        let mut n = net();
        n.reorder = reorder;
        n.dup = dup;
        n.piece = piece;
        n.rng = seed | 1;
        n.run(&mut a, &mut b);
        let mut got = HashMap::new();
        for e in events(&mut b) {
            if let Event::Received { message_id, body, .. } = e {
                prop_assert!(got.insert(message_id, body).is_none(), "delivered twice");
            }
        }
        prop_assert_eq!(got, want.clone());
        let sent = events(&mut a).into_iter().filter(|e| matches!(e, Event::Sent { .. })).count();
        prop_assert_eq!(sent, want.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With loss, every sent message ends in exactly one of Sent or SendFailed, and every
    /// message the receiver started on ends, once the session closes, in Received or
    /// ReceiveAborted: nothing disappears.
    #[test]
    fn loss_never_loses_track(
        sizes in prop::collection::vec(1usize..8_000, 1..5),
        max_chunk in 200usize..3000,
        drop in 1u64..500,
        seed in any::<u64>(),
    ) {
        let mut config = SessionConfig::default();
        config.max_chunk = max_chunk;
        let (mut a, mut b) = pair(&config);
        let ids: Vec<String> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| a.send("text/plain", body(n, i as u8), SendOptions::default()))
            .collect();
        let mut n = net();
        n.drop = drop;
        n.rng = seed | 1;
        n.run(&mut a, &mut b);
        let ea = events(&mut a);
        for id in &ids {
            let outcomes = ea
                .iter()
                .filter(|e| matches!(e, Event::Sent { message_id } | Event::SendFailed { message_id, .. } if message_id == id))
                .count();
            prop_assert_eq!(outcomes, 1, "{} in {:?}", id, ea);
        }
        b.close();
        let mut seen = HashMap::new();
        for e in events(&mut b) {
            if let Event::Received { message_id, .. } | Event::ReceiveAborted { message_id } = e {
                *seen.entry(message_id).or_insert(0) += 1;
            }
        }
        prop_assert!(seen.values().all(|&c| c == 1), "{:?}", seen);
    }
}

/// RFC 4975 §7.1: a chunk with a body over 2048 octets must be interruptible, so its range
/// end is `*`; up to 2048 the whole message goes out with a definite range.
#[test]
fn only_chunks_up_to_2048_octets_have_a_definite_range() {
    let now = Instant::now();
    for (len, range) in [(2048usize, "1-2048/2048"), (2049, "1-*/2049"), (9000, "1-*/9000")] {
        let (mut a, _) = pair(&SessionConfig::default());
        a.send("text/plain", vec![b'x'; len], SendOptions::default());
        let bytes = tx(&mut a, now).unwrap();
        let head = String::from_utf8_lossy(&bytes[..200]).into_owned();
        assert!(head.contains(&format!("Byte-Range: {range}\r\n")), "{len}: {head}");
    }
}
