//! Sessions through one and two relays, in process: AUTH with digest, Use-Path, forwarding
//! chunk by chunk under back-pressure, path rewriting, hop-by-hop responses and end-to-end
//! REPORTs, and the faults: a wrong password, an unknown or expired URI, a relay restart, a
//! connection cut in the middle of a message, a next hop that never answers.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use simple_msrp::{
    AuthConfig, AuthEvent, CloseReason, ConnectionId, Event, FailureReason, Message, MsrpUri,
    Relay, RelayClient, RelayConfig, RelayEvent, SendOptions, Session, SessionConfig, Source,
    SuccessReport,
};
use simple_sip::digest::Secret;

/// Where the other end of a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum End {
    Client(usize),
    Relay(usize, ConnectionId),
}

/// A client: an AUTH machine until authorized, then a session, on one connection.
struct Client {
    auth: RelayClient,
    session: Option<Session>,
    /// The relay end of its connection.
    conn: Option<End>,
    /// Bytes written but not yet taken by the relay (it reads only when it wants input).
    pending: Vec<u8>,
    events: Vec<Event>,
    auth_events: Vec<AuthEvent>,
}

struct Net {
    relays: Vec<Relay>,
    /// Bytes queued at a relay connection waiting for the relay to want them.
    inbox: HashMap<(usize, ConnectionId), Vec<u8>>,
    links: HashMap<(usize, ConnectionId), End>,
    clients: Vec<Client>,
    relay_events: Vec<(usize, RelayEvent)>,
    now: Instant,
    /// Largest `Relay::buffered` seen on any connection.
    peak: usize,
    /// Drop everything a relay sends on this connection (a next hop that never answers).
    blackhole: Option<(usize, ConnectionId)>,
}

fn relay_uri(n: usize) -> MsrpUri {
    let mut u = MsrpUri::new(format!("relay{n}.example.com"), 2855 + n as u16, "x");
    u.session_id = None;
    u
}

fn users(u: &str) -> Option<Secret> {
    match u {
        "alice" => Some(Secret::Password("alice-pw".into())),
        "bob" => Some(Secret::Password("bob-pw".into())),
        _ => None,
    }
}

fn relay(n: usize, seed: u8) -> Relay {
    Relay::new(RelayConfig::new(relay_uri(n)), [seed; 32], users)
}

impl Net {
    fn new(relays: usize) -> Self {
        Self {
            relays: (0..relays).map(|i| relay(i, i as u8 + 1)).collect(),
            inbox: HashMap::new(),
            links: HashMap::new(),
            clients: Vec::new(),
            relay_events: Vec::new(),
            now: Instant::now(),
            peak: 0,
            blackhole: None,
        }
    }

    /// A client of `relays` (indexes, nearest first) connected to the first.
    fn client(&mut self, user: &str, password: &str, relays: &[usize]) -> usize {
        let local = MsrpUri::new(format!("{user}.example.com"), 7000, format!("{user}-s"));
        let uris = relays.iter().map(|&r| relay_uri(r)).collect();
        let mut auth =
            RelayClient::new(AuthConfig::new(uris, user, password), [user.len() as u8; 32], local);
        auth.refresh(self.now);
        let id = self.clients.len();
        self.clients.push(Client {
            auth,
            session: None,
            conn: None,
            pending: Vec::new(),
            events: Vec::new(),
            auth_events: Vec::new(),
        });
        self.connect(id, relays[0]);
        id
    }

    fn connect(&mut self, client: usize, r: usize) {
        let conn = self.relays[r].accept(self.now);
        self.links.insert((r, conn), End::Client(client));
        self.clients[client].conn = Some(End::Relay(r, conn));
        self.clients[client].pending.clear();
    }

    /// Hands bytes to a relay connection: all that it will take now.
    fn feed_relay(&mut self, r: usize, conn: ConnectionId) {
        loop {
            let Some(buf) = self.inbox.get_mut(&(r, conn)) else { return };
            if buf.is_empty() || !self.relays[r].wants_input(conn) {
                return;
            }
            let n = buf.len().min(16 << 10);
            let piece: Vec<u8> = buf.drain(..n).collect();
            self.relays[r].handle_input(conn, &piece, self.now);
            self.peak = self.peak.max(self.relays[r].buffered(conn));
        }
    }

    /// Moves bytes until nothing moves.
    fn run(&mut self) {
        for _ in 0..1_000_000 {
            let mut moved = false;
            for c in 0..self.clients.len() {
                let mut buf = Vec::new();
                let cl = &mut self.clients[c];
                while cl.auth.poll_transmit(&mut buf).is_some() {}
                if let Some(s) = cl.session.as_mut() {
                    // write only as much as the relay has taken (a socket's send buffer)
                    if cl.pending.len() < 64 << 10 {
                        let _ = s.poll_transmit(self.now, &mut buf);
                    }
                }
                if !buf.is_empty() {
                    moved = true;
                    if let Some(End::Relay(r, conn)) = cl.conn {
                        self.inbox.entry((r, conn)).or_default().extend_from_slice(&buf);
                    }
                }
            }
            let keys: Vec<(usize, ConnectionId)> = self.inbox.keys().copied().collect();
            for (r, conn) in keys {
                let before = self.inbox.get(&(r, conn)).map_or(0, Vec::len);
                self.feed_relay(r, conn);
                if self.inbox.get(&(r, conn)).map_or(0, Vec::len) != before {
                    moved = true;
                }
            }
            for r in 0..self.relays.len() {
                let mut buf = Vec::new();
                while let Some(conn) = self.relays[r].poll_transmit(self.now, &mut buf) {
                    moved = true;
                    let data = core::mem::take(&mut buf);
                    if self.blackhole == Some((r, conn)) {
                        continue;
                    }
                    match self.links.get(&(r, conn)).copied() {
                        Some(End::Client(c)) => self.deliver(c, &data),
                        Some(End::Relay(r2, c2)) => {
                            self.inbox.entry((r2, c2)).or_default().extend_from_slice(&data);
                        }
                        None => panic!("relay {r} wrote to unknown connection {conn:?}"),
                    }
                }
                while let Some(e) = self.relays[r].poll_event() {
                    moved = true;
                    if let RelayEvent::Connect { conn, port, .. } = &e {
                        let r2 = usize::from(*port - 2855);
                        let c2 = self.relays[r2].accept(self.now);
                        self.links.insert((r, *conn), End::Relay(r2, c2));
                        self.links.insert((r2, c2), End::Relay(r, *conn));
                        self.relays[r].established(*conn);
                    }
                    self.relay_events.push((r, e));
                }
            }
            for cl in &mut self.clients {
                while let Some(e) = cl.auth.poll_event() {
                    moved = true;
                    cl.auth_events.push(e);
                }
                if let Some(s) = cl.session.as_mut() {
                    while let Some(e) = s.poll_event() {
                        moved = true;
                        cl.events.push(e);
                    }
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the network never went quiet");
    }

    fn deliver(&mut self, c: usize, data: &[u8]) {
        let cl = &mut self.clients[c];
        match cl.session.as_mut() {
            Some(s) => {
                if let Err(e) = s.handle_input(data) {
                    panic!("{e:?} in {:?}", String::from_utf8_lossy(&data[..data.len().min(600)]))
                }
            }
            None => {
                if let Err(e) = cl.auth.handle_input(data, self.now) {
                    panic!("{e:?} in {:?}", String::from_utf8_lossy(data))
                }
            }
        }
    }

    /// Starts the sessions of two authorized clients, each with the other's SDP path.
    fn pair(&mut self, a: usize, b: usize, config: &SessionConfig) {
        let a_path = self.clients[a].auth.sdp_path();
        let b_path = self.clients[b].auth.sdp_path();
        for (me, peer_path, seed) in [(a, b_path, 11), (b, a_path, 12)] {
            let cl = &mut self.clients[me];
            let local = cl.auth.sdp_path().last().unwrap().clone();
            let to = cl.auth.to_path(&peer_path);
            let mut s = Session::new(config.clone(), seed, local, to);
            let rest = cl.auth.take_input();
            s.handle_input(&rest).unwrap();
            cl.session = Some(s);
        }
    }

    fn tick(&mut self, by: Duration) {
        self.now += by;
        for r in &mut self.relays {
            r.handle_timeout(self.now);
        }
        for cl in &mut self.clients {
            cl.auth.handle_timeout(self.now);
            if let Some(s) = cl.session.as_mut() {
                s.handle_timeout(self.now);
            }
        }
        self.run();
    }
}

/// One relay, alice and bob authenticated to it, their sessions started with `config`.
fn alice_and_bob(config: &SessionConfig) -> (Net, usize, usize) {
    let mut net = Net::new(1);
    let a = net.client("alice", "alice-pw", &[0]);
    let b = net.client("bob", "bob-pw", &[0]);
    net.run();
    net.pair(a, b, config);
    (net, a, b)
}

fn streaming() -> SessionConfig {
    let mut c = SessionConfig::default();
    c.streaming = true;
    c.max_message_size = u64::MAX;
    c
}

/// Whether client `c` got a whole message with this body.
fn received(net: &Net, c: usize, body: &[u8]) -> bool {
    net.clients[c]
        .events
        .iter()
        .any(|e| matches!(e, Event::Received { body: got, .. } if got == body))
}

fn authorized(cl: &Client) -> Vec<MsrpUri> {
    match cl.auth_events.as_slice() {
        [AuthEvent::Authorized { use_path, expires }] => {
            assert_eq!(*expires, 1800);
            use_path.clone()
        }
        other => panic!("{other:?}"),
    }
}

/// A message of `len` pseudo-random bytes, generated as it is read: nothing is held.
struct Pattern(u64);

fn byte_at(i: u64) -> u8 {
    (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

impl Source for Pattern {
    fn len(&self) -> u64 {
        self.0
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> usize {
        let n = buf.len().min((self.0 - offset) as usize);
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = byte_at(offset + k as u64);
        }
        n
    }
}

#[test]
fn two_clients_of_one_relay_authenticate_and_talk() {
    let mut net = Net::new(1);
    let a = net.client("alice", "alice-pw", &[0]);
    let b = net.client("bob", "bob-pw", &[0]);
    net.run();
    let ua = authorized(&net.clients[a]);
    let ub = authorized(&net.clients[b]);
    assert_eq!(ua.len(), 1);
    assert_ne!(ua, ub, "every AUTH gets its own URI");
    let sid = ua[0].session_id.as_deref().unwrap();
    assert!(sid.len() >= 16, "at least 64 random bits: {sid}");
    assert_eq!(ua[0].host, "relay0.example.com");
    assert_eq!(ua[0].port, Some(2855));
    assert_eq!(net.relays[0].bindings(), 2);
    // the SDP path is the Use-Path reversed, then the client
    let path = net.clients[a].auth.sdp_path();
    assert_eq!(path.len(), 2);
    assert_eq!(path[0], ua[0]);

    net.pair(a, b, &SessionConfig::default());
    let opts = SendOptions { success_report: SuccessReport::Yes, ..SendOptions::default() };
    let id = net.clients[a].session.as_mut().unwrap().send("text/plain", b"hi bob".to_vec(), opts);
    net.run();
    let got = &net.clients[b].events;
    assert!(
        matches!(got.as_slice(), [Event::Received { body, message_id, .. }] if body == b"hi bob" && *message_id == id),
        "{got:?}"
    );
    let sent = &net.clients[a].events;
    assert!(
        sent.iter().any(|e| matches!(e, Event::Sent { message_id } if *message_id == id)),
        "{sent:?}"
    );
    // the success REPORT came back end to end through the relay
    assert!(
        sent.iter().any(|e| matches!(e, Event::Delivered { message_id, .. } if *message_id == id)),
        "{sent:?}"
    );
}

/// What a raw frame through the relay looks like: the relay's URI moved from To-Path to
/// From-Path, a fresh transaction id, the hop-by-hop 200 from the relay.
#[test]
fn the_relay_rewrites_the_paths_and_answers_hop_by_hop() {
    let mut net = Net::new(1);
    let b = net.client("bob", "bob-pw", &[0]);
    net.run();
    let ub = authorized(&net.clients[b]);
    // a sender without AUTH may send toward the client that obtained the URI (§6.4 case 1)
    let x = net.relays[0].accept(net.now);
    let bob_local = net.clients[b].auth.sdp_path().last().unwrap().clone();
    let me = MsrpUri::new("mallory.example.com", 9, "m1");
    let to = vec![ub[0].clone(), bob_local.clone()];
    let send = Message::request("tid123", "SEND", &to, std::slice::from_ref(&me))
        .with_header("Message-ID", "m42abc")
        .with_header("Byte-Range", "1-5/5")
        .with_header("Content-Type", "text/plain");
    let mut send = send;
    send.body = Some(b"hello".to_vec());
    net.relays[0].handle_input(x, &send.to_vec(), net.now);
    let mut out = Vec::new();
    let mut to_x = Vec::new();
    let mut to_bob = Vec::new();
    while let Some(c) = net.relays[0].poll_transmit(net.now, &mut out) {
        if c == x { to_x.append(&mut out) } else { to_bob.append(&mut out) }
    }
    let resp = Message::parse(&to_x).unwrap();
    assert_eq!(resp.start.code(), Some(200));
    assert_eq!(resp.tid(), "tid123");
    assert_eq!(resp.headers[0].1, me.to_string(), "To-Path: the previous hop only");
    assert_eq!(resp.headers[1].1, ub[0].to_string(), "From-Path: the URI of ours it named");
    let fwd = Message::parse(&to_bob).unwrap();
    assert_ne!(fwd.tid(), "tid123", "a new transaction id on the next connection");
    assert_eq!(fwd.headers[0], ("To-Path".into(), bob_local.to_string()));
    assert_eq!(fwd.headers[1], ("From-Path".into(), format!("{} {me}", ub[0])));
    assert!(fwd.headers.contains(&("Byte-Range".into(), "1-5/5".into())));
    assert_eq!(fwd.body.as_deref(), Some(&b"hello"[..]));
}

#[test]
fn a_large_message_passes_in_constant_memory() {
    let (mut net, a, b) = alice_and_bob(&streaming());
    let len = 64u64 << 20; // 64 MiB here; the bench pushes 1 GiB
    let s = net.clients[a].session.as_mut().unwrap();
    let id =
        s.send_stream("application/octet-stream", Box::new(Pattern(len)), SendOptions::default());
    // bob checks every byte as it arrives and holds none
    let mut next = 0u64;
    let mut done = false;
    for _ in 0..100_000 {
        net.run();
        for e in net.clients[b].events.drain(..) {
            match e {
                Event::Started { total, .. } => assert_eq!(total, Some(len)),
                Event::Data { offset, data, .. } => {
                    assert_eq!(offset, next);
                    assert!(data.iter().enumerate().all(|(k, &x)| x == byte_at(offset + k as u64)));
                    next += data.len() as u64;
                }
                Event::Streamed { len: l, message_id } => {
                    assert_eq!((l, message_id.as_str()), (len, id.as_str()));
                    done = true;
                }
                other => panic!("{other:?}"),
            }
        }
        if done {
            break;
        }
    }
    assert!(done && next == len);
    assert!(net.peak < 1 << 20, "the relay held at most {} bytes for a connection", net.peak);
    assert!(net.clients[a].events.iter().any(|e| matches!(e, Event::Sent { .. })));
}

#[test]
fn two_relays_each_client_behind_its_own() {
    let mut net = Net::new(3);
    // alice goes through relay 0 then relay 1 (AUTH to 1 tunnelled through 0); bob uses 2
    let a = net.client("alice", "alice-pw", &[0, 1]);
    let b = net.client("bob", "bob-pw", &[2]);
    net.run();
    let ua = authorized(&net.clients[a]);
    assert_eq!(ua.len(), 2, "{ua:?}");
    assert_eq!(ua[0].host, "relay0.example.com");
    assert_eq!(ua[1].host, "relay1.example.com");
    authorized(&net.clients[b]);
    net.pair(a, b, &SessionConfig::default());
    let opts = SendOptions { success_report: SuccessReport::Yes, ..SendOptions::default() };
    let body = vec![b'z'; 300_000];
    let id = net.clients[a].session.as_mut().unwrap().send("text/plain", body.clone(), opts);
    let back = net.clients[b].session.as_mut().unwrap().send("text/plain", b"pong".to_vec(), opts);
    net.run();
    assert!(
        received(&net, b, &body),
        "{:?}",
        net.clients[b]
            .events
            .iter()
            .map(|e| format!("{e:?}").chars().take(80).collect::<String>())
            .collect::<Vec<_>>()
    );
    assert!(
        net.clients[a]
            .events
            .iter()
            .any(|e| matches!(e, Event::Delivered { message_id, .. } if *message_id == id))
    );
    assert!(received(&net, a, b"pong"));
    assert!(
        net.clients[b]
            .events
            .iter()
            .any(|e| matches!(e, Event::Delivered { message_id, .. } if *message_id == back))
    );
}

#[test]
fn a_wrong_password_is_refused_then_the_connection_dropped() {
    let mut net = Net::new(1);
    let m = net.client("alice", "wrong", &[0]);
    net.run();
    // it answered three challenges; the relay counted three failures, said 403 and hung up
    assert!(
        matches!(
            net.clients[m].auth_events.as_slice(),
            [AuthEvent::Failed { code: Some(403), .. }]
        ),
        "{:?}",
        net.clients[m].auth_events
    );
    let failures: Vec<u16> = net
        .relay_events
        .iter()
        .filter_map(|(_, e)| match e {
            RelayEvent::AuthFailed { code, username, .. } => {
                assert_eq!(username.as_deref(), Some("alice"));
                Some(*code)
            }
            _ => None,
        })
        .collect();
    assert_eq!(failures, [401, 401, 403]);
    assert!(
        net.relay_events
            .iter()
            .any(|(_, e)| matches!(e, RelayEvent::Close { reason: CloseReason::AuthFailures, .. }))
    );
    assert_eq!(net.relays[0].bindings(), 0);
    assert_eq!(net.relays[0].connections(), 0);
}

#[test]
fn unknown_expired_and_misused_uris() {
    let mut net = Net::new(1);
    let b = net.client("bob", "bob-pw", &[0]);
    net.run();
    let ub = authorized(&net.clients[b]);
    let bob_local = net.clients[b].auth.sdp_path().last().unwrap().clone();
    let me = MsrpUri::new("m.example.com", 9, "m1");
    let send = |to: Vec<MsrpUri>, from: &MsrpUri| {
        let mut m = Message::request("tidabc", "SEND", &to, std::slice::from_ref(from))
            .with_header("Message-ID", "m1abc")
            .with_header("Byte-Range", "1-1/1")
            .with_header("Content-Type", "text/plain");
        m.body = Some(b"x".to_vec());
        m.to_vec()
    };
    let status = |net: &mut Net, conn: ConnectionId, bytes: Vec<u8>| {
        net.relays[0].handle_input(conn, &bytes, net.now);
        let mut out = Vec::new();
        let mut mine = Vec::new();
        while let Some(c) = net.relays[0].poll_transmit(net.now, &mut out) {
            if c == conn {
                mine.append(&mut out);
            } else {
                out.clear();
            }
        }
        Message::parse(&mine).ok().and_then(|m| m.start.code())
    };
    let x = net.relays[0].accept(net.now);
    let mut unknown = ub[0].clone();
    unknown.session_id = Some("nosuchsession".into());
    assert_eq!(status(&mut net, x, send(vec![unknown, bob_local.clone()], &me)), Some(481));
    // onward from bob's URI to somewhere else, not from bob's connection: 403
    let elsewhere = MsrpUri::new("elsewhere.example.com", 2855, "e");
    assert_eq!(status(&mut net, x, send(vec![ub[0].clone(), elsewhere], &me)), Some(403));
    // the same, claiming to be bob: 506 (the URI is bound to bob's connection)
    assert_eq!(
        status(
            &mut net,
            x,
            send(vec![ub[0].clone(), MsrpUri::new("e.example.com", 1, "e")], &bob_local)
        ),
        Some(506)
    );
    // after Expires, the URI routes nothing
    net.tick(Duration::from_secs(1801));
    assert!(net.relay_events.iter().any(|(_, e)| matches!(e, RelayEvent::Unbound { .. })));
    let y = net.relays[0].accept(net.now);
    assert_eq!(status(&mut net, y, send(vec![ub[0].clone(), bob_local], &me)), Some(481));
    // a request not addressed to the relay: the connection is dropped (§6.2)
    let z = net.relays[0].accept(net.now);
    let stranger = MsrpUri::new("other-relay.example.com", 2855, "s");
    net.relays[0].handle_input(z, &send(vec![stranger], &me), net.now);
    let events: Vec<RelayEvent> = core::iter::from_fn(|| net.relays[0].poll_event()).collect();
    assert!(events.iter().any(
        |e| matches!(e, RelayEvent::Close { conn, reason: CloseReason::NotAddressed } if *conn == z)
    ));
    // and a connection that never sends anything is dropped after its probation
    let idle = net.relays[0].accept(net.now);
    net.tick(Duration::from_secs(31));
    assert!(net.relay_events.iter().any(|(_, e)| matches!(e, RelayEvent::Close { conn, reason: CloseReason::Probation } if *conn == idle)));
}

#[test]
fn a_relay_restart_invalidates_the_uris_and_clients_authenticate_again() {
    let (mut net, a, b) = alice_and_bob(&SessionConfig::default());
    // the relay restarts: connections and bindings are gone
    net.relays[0] = relay(0, 99);
    net.inbox.clear();
    net.links.clear();
    for c in [a, b] {
        net.connect(c, 0);
    }
    let s = net.clients[a].session.as_mut().unwrap();
    let lost = s.send("text/plain", b"into the void".to_vec(), SendOptions::default());
    net.run();
    // the old To-Path names a URI the new relay never handed out: 481, hop by hop
    assert!(
        net.clients[a].events.iter().any(|e| matches!(e, Event::SendFailed { message_id, reason: FailureReason::Response { code: 481 } } if *message_id == lost)),
        "{:?}",
        net.clients[a].events
    );
    // both authenticate again on their new connections and start a new session
    for c in [a, b] {
        net.clients[c].session = None;
        net.clients[c].auth_events.clear();
        let now = net.now;
        net.clients[c].auth.refresh(now);
    }
    net.run();
    authorized(&net.clients[a]);
    authorized(&net.clients[b]);
    net.pair(a, b, &SessionConfig::default());
    net.clients[a].session.as_mut().unwrap().send(
        "text/plain",
        b"again".to_vec(),
        SendOptions::default(),
    );
    net.run();
    assert!(received(&net, b, b"again"));
}

#[test]
fn a_cut_connection_mid_message_aborts_it_at_the_receiver() {
    let (mut net, a, b) = alice_and_bob(&streaming());
    let s = net.clients[a].session.as_mut().unwrap();
    s.send_stream("application/octet-stream", Box::new(Pattern(8 << 20)), SendOptions::default());
    // a few rounds, then alice's connection breaks
    let mut got = 0u64;
    for _ in 0..5 {
        let mut buf = Vec::new();
        let _ = net.clients[a].session.as_mut().unwrap().poll_transmit(net.now, &mut buf);
        let Some(End::Relay(r, conn)) = net.clients[a].conn else { unreachable!() };
        net.relays[r].handle_input(conn, &buf, net.now);
        let mut out = Vec::new();
        while let Some(c) = net.relays[r].poll_transmit(net.now, &mut out) {
            let data = core::mem::take(&mut out);
            if let Some(End::Client(x)) = net.links.get(&(r, c)).copied() {
                net.deliver(x, &data);
            }
        }
    }
    let Some(End::Relay(r, conn)) = net.clients[a].conn else { unreachable!() };
    net.relays[r].closed(conn, net.now);
    net.run();
    for e in &net.clients[b].events {
        if let Event::Data { data, .. } = e {
            got += data.len() as u64;
        }
    }
    assert!(got > 0 && got < 8 << 20, "part of it arrived: {got}");
    // the relay ended bob's chunk with '#': bob knows the message was cut
    assert!(
        net.clients[b].events.iter().any(|e| matches!(e, Event::ReceiveAborted { .. })),
        "{:?}",
        net.clients[b]
            .events
            .iter()
            .filter(|e| !matches!(e, Event::Data { .. }))
            .collect::<Vec<_>>()
    );
    // alice's URI is gone with her connection
    assert_eq!(net.relays[r].bindings(), 1);
}

#[test]
fn a_next_hop_that_never_answers_becomes_a_408_report() {
    let (mut net, a, b) = alice_and_bob(&SessionConfig::default());
    // bob's responses vanish: what the relay sends bob arrives, bob answers, nothing returns
    let Some(End::Relay(_, bob_conn)) = net.clients[b].conn else { unreachable!() };
    let _ = bob_conn;
    // rather: nothing the relay writes to bob arrives
    net.blackhole = Some((0, bob_conn));
    let id = net.clients[a].session.as_mut().unwrap().send(
        "text/plain",
        b"anyone?".to_vec(),
        SendOptions::default(),
    );
    net.run();
    // alice got the relay's hop-by-hop 200 at once
    assert!(
        net.clients[a]
            .events
            .iter()
            .any(|e| matches!(e, Event::Sent { message_id } if *message_id == id))
    );
    net.tick(Duration::from_secs(31));
    assert!(
        net.relay_events.iter().any(|(_, e)| matches!(e, RelayEvent::Reported { code: 408, .. }))
    );
    assert!(
        net.clients[a].events.iter().any(|e| matches!(e, Event::SendFailed { message_id, reason: FailureReason::Report { code: Some(408) } } if *message_id == id)),
        "{:?}",
        net.clients[a].events
    );
}

/// Frames a relay writes are valid MSRP whatever the body holds, even an end-line lookalike.
#[test]
fn bodies_that_look_like_end_lines_pass_intact() {
    let (mut net, a, b) = alice_and_bob(&SessionConfig::default());
    let mut body = Vec::new();
    for i in 0..2000 {
        body.extend_from_slice(format!("\r\n-------tid{i}$\r\n-------").as_bytes());
    }
    net.clients[a].session.as_mut().unwrap().send(
        "text/plain",
        body.clone(),
        SendOptions::default(),
    );
    net.run();
    assert!(received(&net, b, &body));
}
