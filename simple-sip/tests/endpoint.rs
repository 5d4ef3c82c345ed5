//! Two Endpoints over a simulated network with a fake clock: loss, duplication, reordering and
//! delay past the timers of RFC 3261 §17 and RFC 6026; CANCEL races; digest challenges; the
//! §18.1.1 size rule; what the endpoint answers by itself. The clock only moves to the next
//! delivery or deadline, so a test runs in microseconds however long its timers are.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::wildcard_enum_match_arm
)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use simple_sip::digest::{
    DigestClient, DigestServer, Request as DigestRequest, Secret, ServerConfig, Verdict,
};
use simple_sip::endpoint::{
    ClientTx, Endpoint, EndpointConfig, Event, NewRequest, Reply, ServerTx, Transmit, Transport,
};
use simple_sip::headers::{Authorization, CSeq, CallId, TypedHeader, WwwAuthenticate};
use simple_sip::{HeaderName, Method, OwnedMessage};

const A: usize = 0;
const B: usize = 1;

fn addr(i: usize) -> SocketAddr {
    format!("127.0.0.1:{}", 5060 + i * 10).parse().unwrap()
}

/// A lossy network: each datagram is lost with probability `loss`, duplicated with `dup`,
/// and delayed by up to `jitter` (so later ones overtake earlier ones).
struct Net {
    eps: [Endpoint; 2],
    now: Instant,
    start: Instant,
    rng: u64,
    loss: u32,
    dup: u32,
    jitter: u64,
    in_flight: BTreeMap<(Instant, u64), (usize, SocketAddr, Transmit)>,
    seq: u64,
    events: [Vec<Event>; 2],
    delivered: usize,
    /// Datagrams to these endpoints are all lost.
    blackhole: [bool; 2],
    /// A deadline of the test's own application (a 2xx retransmission), woken like a timer.
    app_timer: Option<Instant>,
}

impl Net {
    fn new(seed: u64, loss: u32, dup: u32, jitter_ms: u64) -> Self {
        let now = Instant::now();
        let eps = [A, B].map(|i| {
            let mut c = EndpointConfig::new(&addr(i).to_string());
            c.uas.methods.push(Method::Register);
            Endpoint::new(c, seed * 2 + i as u64)
        });
        Self {
            eps,
            now,
            start: now,
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            loss,
            dup,
            jitter: jitter_ms,
            in_flight: BTreeMap::new(),
            seq: 0,
            events: [Vec::new(), Vec::new()],
            delivered: 0,
            blackhole: [false; 2],
            app_timer: None,
        }
    }

    fn roll(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n.max(1)
    }

    /// Takes what each endpoint sends into the network, and its events into `events`.
    fn collect(&mut self) {
        for i in [A, B] {
            while let Some(t) = self.eps[i].poll_transmit() {
                let to = usize::from(t.destination == addr(B));
                assert_eq!(t.destination, addr(to), "sent to an address nobody has");
                let copies = if (self.roll(100) as u32) < self.dup { 2 } else { 1 };
                for _ in 0..copies {
                    if (self.roll(100) as u32) < self.loss || self.blackhole[to] {
                        continue;
                    }
                    let delay = Duration::from_millis(1 + self.roll(self.jitter + 1));
                    self.seq += 1;
                    self.in_flight.insert((self.now + delay, self.seq), (to, addr(i), t.clone()));
                }
            }
            while let Some(e) = self.eps[i].poll_event() {
                self.events[i].push(e);
            }
        }
    }

    /// Moves the clock to the next delivery or deadline (not past `until`) and handles it.
    /// False once nothing is left to happen before `until`.
    fn step(&mut self, until: Instant) -> bool {
        self.collect();
        let next_msg = self.in_flight.keys().next().map(|k| k.0);
        let next_timer = [A, B]
            .iter()
            .filter_map(|&i| self.eps[i].poll_timeout().map(|t| t.0))
            .chain(self.app_timer)
            .min();
        let Some(next) = [next_msg, next_timer].into_iter().flatten().min() else { return false };
        if next > until {
            return false;
        }
        self.now = self.now.max(next);
        if next_msg == Some(next) {
            let key = *self.in_flight.keys().next().unwrap();
            let (to, from, t) = self.in_flight.remove(&key).unwrap();
            self.delivered += 1;
            if t.transport.is_stream() {
                self.eps[to].handle_stream(from, t.transport, &t.contents, self.now);
            } else {
                self.eps[to].handle_datagram(from, t.transport, &t.contents, self.now);
            }
        } else {
            for i in [A, B] {
                self.eps[i].handle_timeout(self.now);
            }
        }
        self.collect();
        true
    }

    fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        while self.step(until) {}
        self.now = self.now.max(until);
    }

    fn take(&mut self, i: usize) -> Vec<Event> {
        std::mem::take(&mut self.events[i])
    }
}

fn message(ep: &mut Endpoint, n: u32) -> OwnedMessage {
    let body = format!("hello {n}");
    let body: &'static [u8] = Box::leak(body.into_bytes().into_boxed_slice());
    ep.build_request(
        &NewRequest::new(Method::Message, "sip:bob@127.0.0.1:5070", "<sip:alice@example.com>")
            .body("text/plain", body),
        Transport::Udp,
    )
}

fn call_id(m: &OwnedMessage) -> String {
    m.view(|v| v.require::<CallId<'_>>().unwrap().0.into_owned())
}

/// Non-INVITE over a bad network: every request reaches B's application at most once and is
/// answered once; A gets at most one final response per request, or a timeout; once the
/// timers have run out both stores are empty and no deadline is left.
#[test]
fn non_invite_over_loss_duplication_and_reordering() {
    let mut completed = 0;
    for seed in 1..=40u64 {
        let mut net = Net::new(seed, 25, 20, 300);
        let mut sent: HashMap<ClientTx, String> = HashMap::new();
        for n in 0..5 {
            let req = message(&mut net.eps[A], n);
            let id = call_id(&req);
            let now = net.now;
            let tx = net.eps[A].send_request(req, addr(B), Transport::Udp, now).unwrap();
            sent.insert(tx, id);
        }
        let mut seen_at_b: HashSet<String> = HashSet::new();
        let mut finals: HashMap<ClientTx, u16> = HashMap::new();
        let mut timeouts = HashSet::new();
        let deadline = net.now + Duration::from_secs(120);
        while net.step(deadline) {
            for e in net.take(B) {
                if let Event::Request { tx, request, .. } = e {
                    assert!(
                        seen_at_b.insert(call_id(&request)),
                        "a retransmission reached B's app"
                    );
                    let now = net.now;
                    net.eps[B].respond(tx, &Reply::new(200, "OK"), now).unwrap();
                }
            }
            for e in net.take(A) {
                match e {
                    Event::Response { tx, response } => {
                        let code = response.status_code().unwrap();
                        assert!(
                            finals.insert(tx, code).is_none(),
                            "a second final response for {tx:?}"
                        );
                        assert_eq!(call_id(&response), sent[&tx], "a response for another request");
                    }
                    Event::Timeout { tx } => assert!(timeouts.insert(tx)),
                    other => panic!("unexpected event at A: {other:?}"),
                }
            }
        }
        for tx in sent.keys() {
            assert!(finals.contains_key(tx) ^ timeouts.contains(tx), "{tx:?}: exactly one outcome");
        }
        completed += finals.len();
        for ep in &mut net.eps {
            assert_eq!(ep.transactions(), 0, "seed {seed}: a transaction outlived its timers");
            assert_eq!(ep.poll_timeout(), None, "seed {seed}: a timer outlived its transaction");
        }
    }
    // 25% loss each way is survivable with E retransmissions nearly always
    assert!(completed >= 190, "{completed} of 200 completed");
}

/// A request whose every response is lost times out after 64·T1 (Timer F) and B's server
/// transaction waits out Timer J; nothing is left afterwards.
#[test]
fn timer_f_fires_when_every_response_is_lost() {
    let mut net = Net::new(7, 0, 0, 0);
    let req = message(&mut net.eps[A], 0);
    let start = net.now;
    let tx = net.eps[A].send_request(req, addr(B), Transport::Udp, start).unwrap();
    // B answers, but the network eats every response
    let mut timed_out = None;
    net.blackhole[A] = true;
    while net.step(start + Duration::from_secs(100)) {
        for e in net.take(B) {
            if let Event::Request { tx, .. } = e {
                let now = net.now;
                net.eps[B].respond(tx, &Reply::new(200, "OK"), now).unwrap();
            }
        }
        for e in net.take(A) {
            assert_eq!(e, Event::Timeout { tx });
            timed_out = Some(net.now - start);
        }
    }
    assert_eq!(timed_out, Some(Duration::from_secs(32)), "Timer F is 64·T1");
    assert_eq!(net.eps[A].transactions() + net.eps[B].transactions(), 0);
}

fn invite(ep: &mut Endpoint) -> OwnedMessage {
    ep.build_request(
        &NewRequest::new(Method::Invite, "sip:bob@127.0.0.1:5070", "<sip:alice@example.com>")
            .body("application/sdp", b"v=0\r\n"),
        Transport::Udp,
    )
}

/// The ACK of a 2xx, built by the UAC core (§13.2.2.4): a new transaction id, CSeq number of the
/// INVITE, the To tag of the 2xx.
fn ack_for(ok: &OwnedMessage, invite: &OwnedMessage) -> Bytes {
    let to = ok.header(HeaderName::To).unwrap().value().to_vec();
    let seq = invite.view(|m| m.require::<CSeq<'_>>().unwrap().seq);
    let mut out = Vec::new();
    invite.view(|m| {
        let mut w =
            simple_sip::MessageWriter::request(&mut out, &Method::Ack, &m.request().unwrap().uri);
        w.raw_header("Via", b"SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKack1");
        for n in [HeaderName::From, HeaderName::CallId] {
            w.copy_header(m.header(n).unwrap());
        }
        w.raw_header("To", &to);
        w.header(&CSeq { seq, method: Method::Ack });
        w.raw_header("Max-Forwards", b"70");
        w.finish();
    });
    Bytes::from(out)
}

/// INVITE → 180 → 486 over a lossy network: the 486 is acknowledged by A's transaction (every
/// copy of it), B's Timer G retransmissions stop at the ACK, and both sides end with nothing
/// left. INVITE → 200: every 2xx copy reaches A's application (RFC 6026), the ACK reaches B's.
#[test]
fn invite_failure_and_success_under_loss() {
    for seed in 1..=20u64 {
        for code in [486u16, 200] {
            let mut net = Net::new(seed, 20, 20, 200);
            let inv = invite(&mut net.eps[A]);
            let now = net.now;
            let tx = net.eps[A].send_request(inv.clone(), addr(B), Transport::Udp, now).unwrap();
            let mut finals = Vec::new();
            let mut acks_at_b = 0;
            let mut b_tx: Option<ServerTx> = None;
            let mut failed = false;
            // B's UAS core retransmits its 2xx until the ACK (§13.3.1.4: T1 doubling to T2)
            let mut ok: Option<(OwnedMessage, Duration)> = None;
            let deadline = net.now + Duration::from_secs(200);
            while net.step(deadline) {
                if let (Some(at), Some((resp, interval)), Some(t)) = (net.app_timer, &mut ok, b_tx)
                {
                    if net.now >= at {
                        let now = net.now;
                        let r = net.eps[B].send_response(t, resp, now);
                        assert!(r.is_ok(), "{r:?} {:?}", resp);
                        *interval = (*interval * 2).min(Duration::from_secs(4));
                        net.app_timer = Some(now + *interval);
                    }
                }
                for e in net.take(B) {
                    match e {
                        Event::Request { tx, .. } => {
                            assert!(b_tx.is_none(), "the INVITE reached B's app twice");
                            b_tx = Some(tx);
                            let now = net.now;
                            net.eps[B].respond(tx, &Reply::new(180, "Ringing"), now).unwrap();
                            let reason = if code == 200 { "OK" } else { "Busy Here" };
                            net.eps[B].respond(tx, &Reply::new(code, reason), now).unwrap();
                            if code == 200 {
                                // what went out, kept for retransmission
                                let sent: Vec<Transmit> =
                                    std::iter::from_fn(|| net.eps[B].poll_transmit()).collect();
                                let last = sent.last().unwrap().contents.clone();
                                for t in sent {
                                    net.eps[B].send_stateless(
                                        t.contents,
                                        t.destination,
                                        t.transport,
                                    );
                                }
                                ok = Some((
                                    OwnedMessage::parse(last).unwrap(),
                                    Duration::from_millis(500),
                                ));
                                net.app_timer = Some(now + Duration::from_millis(500));
                            }
                        }
                        Event::Ack { request, .. } => {
                            assert_eq!(
                                code, 200,
                                "a non-2xx ACK is the transaction's, not the app's"
                            );
                            assert_eq!(request.method(), Some(Method::Ack));
                            acks_at_b += 1;
                            net.app_timer = None;
                            ok = None;
                        }
                        Event::ResponseFailed { .. } => failed = true,
                        other => panic!("unexpected at B: {other:?}"),
                    }
                }
                for e in net.take(A) {
                    match e {
                        Event::Response { tx: t, response }
                            if response.status_code() >= Some(200) =>
                        {
                            assert_eq!(t, tx);
                            if response.status_code() == Some(200) {
                                let ack = ack_for(&response, &inv);
                                net.eps[A].send_stateless(ack, addr(B), Transport::Udp);
                            }
                            finals.push(response.status_code().unwrap());
                        }
                        Event::Response { .. } | Event::Timeout { .. } => {}
                        Event::StrayResponse { response, .. } => {
                            // a 2xx copy after Timer M: the UAC core acknowledges it again
                            let ack = ack_for(&response, &inv);
                            net.eps[A].send_stateless(ack, addr(B), Transport::Udp);
                        }
                        other => panic!("unexpected at A: {other:?}"),
                    }
                }
            }
            if b_tx.is_none() {
                continue; // every INVITE copy was lost: A timed out, nothing else to check
            }
            match code {
                486 => {
                    if !failed {
                        assert_eq!(finals, [486], "seed {seed}: the 486 once, copies absorbed");
                    }
                }
                _ => {
                    // retransmitted until acknowledged: it got through, and the ACK came back
                    assert!(!finals.is_empty() && finals.iter().all(|&c| c == 200), "seed {seed}");
                    assert!(acks_at_b >= 1 || ok.is_none(), "seed {seed}: no ACK reached B");
                }
            }
            for ep in &mut net.eps {
                assert_eq!(
                    ep.transactions(),
                    0,
                    "seed {seed} {code}: a transaction outlived its timers: {ep:?}"
                );
                assert_eq!(ep.poll_timeout(), None);
            }
        }
    }
}

/// §9: a CANCEL before the final response gets 200 and turns the INVITE into a 487, which A's
/// transaction acknowledges; a CANCEL after the final response (the race) gets 200 and changes
/// nothing; a CANCEL before any provisional is refused locally (§9.1); one of nothing gets 481.
#[test]
fn cancel_before_and_after_the_final_response() {
    for answer_first in [false, true] {
        let mut net = Net::new(3, 0, 0, 5);
        let inv = invite(&mut net.eps[A]);
        let now = net.now;
        let tx = net.eps[A].send_request(inv, addr(B), Transport::Udp, now).unwrap();
        assert_eq!(
            net.eps[A].cancel(tx, now),
            Err(simple_sip::endpoint::CancelError::NoProvisional)
        );
        let mut a_codes = Vec::new();
        let mut cancelled = false;
        let mut cancel_tx = None;
        while net.step(net.start + Duration::from_secs(60)) {
            for e in net.take(B) {
                match e {
                    Event::Request { tx, .. } => {
                        let now = net.now;
                        net.eps[B].respond(tx, &Reply::new(180, "Ringing"), now).unwrap();
                        if answer_first {
                            net.eps[B].respond(tx, &Reply::new(603, "Decline"), now).unwrap();
                        }
                    }
                    Event::Cancelled { .. } => cancelled = true,
                    other => panic!("unexpected at B: {other:?}"),
                }
            }
            for e in net.take(A) {
                match e {
                    Event::Response { tx: t, response } => {
                        let code = response.status_code().unwrap();
                        if t == tx && code == 180 && cancel_tx.is_none() {
                            let now = net.now;
                            // in the race the 603 is already on its way
                            cancel_tx = Some(net.eps[A].cancel(tx, now).unwrap());
                        }
                        a_codes.push((t == tx, code));
                    }
                    other => panic!("unexpected at A: {other:?}"),
                }
            }
        }
        let final_invite = if answer_first { 603 } else { 487 };
        assert!(a_codes.contains(&(true, final_invite)), "{a_codes:?}");
        assert!(a_codes.contains(&(false, 200)), "the CANCEL's own 200: {a_codes:?}");
        assert_eq!(cancelled, !answer_first);
        assert_eq!(net.eps[A].transactions() + net.eps[B].transactions(), 0);
    }
    // a CANCEL of nothing
    let mut net = Net::new(4, 0, 0, 0);
    let inv = invite(&mut net.eps[A]);
    let cancel = inv.view(simple_sip::transaction::cancel);
    let now = net.now;
    net.eps[B].handle_datagram(addr(A), Transport::Udp, &cancel, now);
    let answer = net.eps[B].poll_transmit().unwrap();
    assert!(answer.contents.starts_with(b"SIP/2.0 481 "));
    assert!(matches!(net.eps[B].poll_event(), Some(Event::Rejected { code: 481, .. })));
}

/// REGISTER challenged with 401 (digest, RFC 7616 SHA-256), answered by the client with the
/// next CSeq, verified by the server: 200, over a network that loses a fifth of the datagrams.
#[test]
fn digest_challenge_and_answer() {
    let mut net = Net::new(11, 20, 0, 50);
    let mut cfg = ServerConfig::new("example.com");
    cfg.algorithm = simple_sip::digest::Algorithm::Sha256;
    let mut server = DigestServer::new(cfg);
    let mut client = DigestClient::new("alice", "secret");
    let register = |ep: &mut Endpoint, cseq: u32, call_id: Option<&str>, auth: Option<&str>| {
        let headers: Vec<(&str, &[u8])> =
            auth.map(|a| ("Authorization", a.as_bytes())).into_iter().collect();
        let mut new =
            NewRequest::new(Method::Register, "sip:127.0.0.1:5070", "<sip:alice@example.com>");
        new.to = Some("<sip:alice@example.com>");
        new.cseq = cseq;
        new.call_id = call_id;
        new.contact = Some("<sip:alice@127.0.0.1:5060>");
        new.headers = &headers;
        ep.build_request(&new, Transport::Udp)
    };
    let first = register(&mut net.eps[A], 1, None, None);
    let id = call_id(&first);
    let now = net.now;
    net.eps[A].send_request(first, addr(B), Transport::Udp, now).unwrap();
    let mut registered = false;
    let mut challenges = 0;
    while net.step(net.start + Duration::from_secs(120)) {
        for e in net.take(B) {
            let Event::Request { tx, request, .. } = e else { panic!("{e:?}") };
            let now = net.now;
            let verdict = request.view(|m| {
                let auth = m.typed::<Authorization<'_>>().unwrap()?;
                let uri = m.request().unwrap().uri.to_string();
                let req = DigestRequest { method: "REGISTER", uri: &uri, body: b"" };
                Some(server.verify(&auth, &req, now, |u| {
                    (u == "alice").then(|| Secret::Password("secret".into()))
                }))
            });
            match verdict {
                Some(Verdict::Authorized { username }) => {
                    assert_eq!(username, "alice");
                    net.eps[B].respond(tx, &Reply::new(200, "OK"), now).unwrap();
                }
                Some(other) => panic!("{other:?}"),
                None => {
                    let www = server.challenge(now, [challenges; 16]);
                    challenges += 1;
                    let h = [("WWW-Authenticate", www.as_bytes())];
                    net.eps[B]
                        .respond(tx, &Reply::new(401, "Unauthorized").headers(&h), now)
                        .unwrap();
                }
            }
        }
        for e in net.take(A) {
            let Event::Response { response, .. } = e else { panic!("{e:?}") };
            match response.status_code() {
                Some(401) => {
                    let www = response.header(HeaderName::WwwAuthenticate).unwrap();
                    let challenge = WwwAuthenticate::parse(www.value()).unwrap();
                    let req =
                        DigestRequest { method: "REGISTER", uri: "sip:127.0.0.1:5070", body: b"" };
                    let cred = client.answer(&challenge, &req, "0a4f113b").unwrap();
                    let again = register(&mut net.eps[A], 2, Some(&id), Some(&cred));
                    let now = net.now;
                    net.eps[A].send_request(again, addr(B), Transport::Udp, now).unwrap();
                }
                Some(200) => registered = true,
                other => panic!("{other:?}"),
            }
        }
    }
    assert!(registered);
    assert_eq!(challenges, 1);
}

/// §18.1.1: a request over 1300 bytes for UDP goes over TCP, its Via saying so, and is framed
/// on the stream at the other end; the response comes back on the connection.
#[test]
fn large_requests_move_to_tcp() {
    let mut net = Net::new(5, 0, 0, 0);
    let body = vec![b'x'; 2000];
    let req = net.eps[A].build_request(
        &NewRequest::new(Method::Message, "sip:bob@127.0.0.1:5070", "<sip:alice@example.com>")
            .body("text/plain", &body),
        Transport::Udp,
    );
    let now = net.now;
    let tx = net.eps[A].send_request(req, addr(B), Transport::Udp, now).unwrap();
    let out = net.eps[A].poll_transmit().unwrap();
    assert_eq!(out.transport, Transport::Tcp);
    assert!(out.contents.windows(12).any(|w| w == b"SIP/2.0/TCP "));
    // deliver in three pieces on the stream
    for piece in out.contents.chunks(900) {
        net.eps[B].handle_stream(addr(A), Transport::Tcp, piece, now);
    }
    let Some(Event::Request { tx: btx, request, transport, .. }) = net.eps[B].poll_event() else {
        panic!()
    };
    assert_eq!((transport, request.body().len()), (Transport::Tcp, 2000));
    net.eps[B].respond(btx, &Reply::new(200, "OK"), now).unwrap();
    let answer = net.eps[B].poll_transmit().unwrap();
    assert_eq!((answer.destination, answer.transport), (addr(A), Transport::Tcp));
    net.eps[A].handle_stream(addr(B), Transport::Tcp, &answer.contents, now);
    assert!(matches!(net.eps[A].poll_event(), Some(Event::Response { tx: t, .. }) if t == tx));
    // reliable: Timers K and J are zero, so both transactions end at the next timeout
    net.run_for(Duration::from_millis(1));
    assert_eq!(net.eps[A].transactions() + net.eps[B].transactions(), 0);
}

/// Responses go where §18.2.2 and RFC 3581 say: to the source port with `rport`, to the sent-by
/// port without it, to `maddr` when given.
#[test]
fn responses_are_routed_by_via() {
    let cases = [
        ("SIP/2.0/UDP 10.0.0.1:5099;branch=z9hG4bKa;rport", "192.0.2.9:40000"),
        ("SIP/2.0/UDP 10.0.0.1:5099;branch=z9hG4bKb", "192.0.2.9:5099"),
        ("SIP/2.0/UDP host.example.com;branch=z9hG4bKc", "192.0.2.9:5060"),
        (
            "SIP/2.0/UDP host.example.com:6000;branch=z9hG4bKd;maddr=198.51.100.3",
            "198.51.100.3:6000",
        ),
    ];
    for (via, want) in cases {
        let mut ep = Endpoint::new(EndpointConfig::new("127.0.0.1:5070"), 1);
        let msg = format!(
            "OPTIONS sip:bob@127.0.0.1:5070 SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
             To: <sip:bob@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\nCall-ID: r1\r\n\
             CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        let now = Instant::now();
        ep.handle_datagram("192.0.2.9:40000".parse().unwrap(), Transport::Udp, msg.as_bytes(), now);
        let Some(Event::Request { tx, .. }) = ep.poll_event() else { panic!() };
        ep.respond(tx, &Reply::new(200, "OK"), now).unwrap();
        let t = ep.poll_transmit().unwrap();
        assert_eq!(t.destination.to_string(), want, "{via}");
        let text = String::from_utf8_lossy(&t.contents).into_owned();
        assert!(text.contains(";received=192.0.2.9"), "{text}");
        assert_eq!(text.contains(";rport=40000"), via.ends_with(";rport"), "{text}");
        assert!(text.contains("To: <sip:bob@example.com>;tag="), "a To tag is added: {text}");
    }
}

/// Nothing is silent: malformed input, stray responses and too many transactions each come out
/// as an answer or an event, and the store stays bounded.
#[test]
fn every_failure_is_an_answer_or_an_event() {
    let now = Instant::now();
    let src: SocketAddr = "192.0.2.1:5060".parse().unwrap();
    let mut cfg = EndpointConfig::new("127.0.0.1:5070");
    cfg.max_transactions = 3;
    let mut ep = Endpoint::new(cfg, 9);
    // a response for nothing
    ep.handle_datagram(
        src,
        Transport::Udp,
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n\
          To: <sip:b@c>;tag=2\r\nCall-ID: s\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n",
        now,
    );
    assert!(matches!(ep.poll_event(), Some(Event::StrayResponse { .. })));
    // garbage
    ep.handle_datagram(src, Transport::Udp, b"\x00\x01\x02 garbage", now);
    assert!(matches!(ep.poll_event(), Some(Event::Dropped { .. })));
    // the store fills: the fourth request gets 503 with Retry-After, statelessly
    for n in 0..4 {
        let msg = format!(
            "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK{n}\r\n\
             Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: <sip:a@example.com>;tag={n}\r\n\
             Call-ID: c{n}\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n"
        );
        ep.handle_datagram(src, Transport::Udp, msg.as_bytes(), now);
    }
    let events: Vec<Event> = std::iter::from_fn(|| ep.poll_event()).collect();
    assert_eq!(events.iter().filter(|e| matches!(e, Event::Request { .. })).count(), 3);
    assert!(matches!(events.last(), Some(Event::Rejected { code: 503, .. })));
    let answer = ep.poll_transmit().unwrap();
    assert!(
        answer.contents.starts_with(b"SIP/2.0 503 ")
            && answer.contents.windows(12).any(|w| w == b"Retry-After:")
    );
    assert_eq!(ep.transactions(), 3);
    // a stream that never ends its head is closed at the limit
    let mut small = EndpointConfig::new("127.0.0.1:5070");
    small.max_stream_buffer = 1000;
    let mut ep = Endpoint::new(small, 1);
    ep.handle_stream(src, Transport::Tcp, &[b'a'; 2000], now);
    assert!(
        std::iter::from_fn(|| ep.poll_event()).any(|e| matches!(e, Event::CloseConnection { .. }))
    );
    // a CRLFCRLF ping on a stream gets a CRLF pong
    let mut ep = Endpoint::new(EndpointConfig::new("127.0.0.1:5070"), 1);
    ep.handle_stream(src, Transport::Tcp, b"\r\n\r\n", now);
    assert_eq!(&ep.poll_transmit().unwrap().contents[..], b"\r\n");
    // a transport error fails the client transactions sending there
    let req = ep.build_request(
        &NewRequest::new(Method::Options, "sip:x@192.0.2.1", "<sip:me@h>"),
        Transport::Udp,
    );
    let tx = ep.send_request(req, src, Transport::Udp, now).unwrap();
    ep.handle_transport_error(src, Transport::Udp);
    assert_eq!(ep.poll_event(), Some(Event::TransportError { tx }));
    assert_eq!(ep.transactions(), 0);
}

/// A peer that only ever answers 180 cannot hold an INVITE client transaction: Timer C (the
/// endpoint's `invite_timeout`, 3 minutes) reports a timeout and drops it.
#[test]
fn timer_c_ends_an_invite_stuck_in_proceeding() {
    let mut net = Net::new(8, 0, 0, 0);
    let inv = invite(&mut net.eps[A]);
    let start = net.now;
    let tx = net.eps[A].send_request(inv, addr(B), Transport::Udp, start).unwrap();
    let mut outcome = None;
    while net.step(start + Duration::from_secs(400)) {
        for e in net.take(B) {
            if let Event::Request { tx, .. } = e {
                let now = net.now;
                net.eps[B].respond(tx, &Reply::new(180, "Ringing"), now).unwrap();
            }
        }
        for e in net.take(A) {
            match e {
                Event::Response { response, .. } => assert_eq!(response.status_code(), Some(180)),
                Event::Timeout { tx: t } => {
                    assert_eq!(t, tx);
                    outcome = Some(net.now - start);
                }
                other => panic!("{other:?}"),
            }
        }
        if outcome.is_none() && net.now > start + Duration::from_secs(1) {
            assert_eq!(
                net.eps[A].poll_timeout().map(|t| t.1),
                Some(simple_sip::transaction::Timer::C)
            );
        }
    }
    assert_eq!(outcome, Some(Duration::from_secs(180)));
    assert_eq!(net.eps[A].transactions(), 0);
}
