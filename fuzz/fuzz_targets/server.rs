//! The reference server's logic (simple-server's `Server`, Sans-IO, over a `MemoryStore`)
//! driven by arbitrary sequences from three sources: REGISTER, PUBLISH, SUBSCRIBE, MESSAGE
//! (to users, to the rules address), OPTIONS and NOTIFY built from templates with the input's
//! choices and mutations, raw datagrams and stream bytes, answers to what the server sent
//! (forwarded requests, NOTIFYs), time jumps, and restarts on the same store.
//!
//! Invariants: no panic; everything the server sends parses as SIP; a forwarded request goes
//! to one of the sources (the flow a REGISTER came in on); a
//! response it forwards carries no Via of ours; after a restart the subscriptions served and
//! waiting to be served again are no more than the store holds.
#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use simple_server::config::{Config, User};
use simple_server::server::Server;
use simple_server::store::{MemoryStore, Shared, Store};
use simple_sip::endpoint::Transport;
use simple_sip::OwnedMessage;

const SERVER: &str = "127.0.0.1:5060";
const USERS: [&str; 4] = ["alice", "bob", "carol", "nobody"];

fn source(i: u8) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 6000 + u16::from(i % 3)))
}

fn server(store: &Shared<MemoryStore>, auth: bool, now: Instant) -> Server {
    let mut config = Config::default();
    config.auth.required = auth;
    config.presence.min_interval_ms = 0;
    config.limits.messages_per_second = 1_000_000;
    config.limits.subscriptions_per_source = 8;
    config.users = USERS[..3].iter().map(|u| User { name: (*u).to_owned(), password: "pw".to_owned() }).collect();
    let sent_by = HashMap::from([(Transport::Udp, SERVER.to_owned()), (Transport::Tcp, SERVER.to_owned())]);
    Server::new(config, Box::new(store.clone()), 7, sent_by, now).expect("a memory store does not fail")
}

/// A request from `from` (one of the sources) built from the input's choices.
fn request(kind: u8, user: u8, to: u8, n: u32, from: SocketAddr, tail: &[u8]) -> Vec<u8> {
    let me = USERS[usize::from(user % 4)];
    let target = USERS[usize::from(to % 4)];
    let port = from.port();
    let (method, uri, extra, ct, body): (&str, String, String, &str, Vec<u8>) = match kind % 8 {
        0 => ("REGISTER", "sip:127.0.0.1".into(), format!("Contact: <sip:{me}@{from}>\r\nExpires: {}\r\n", [0, 60, 3600][usize::from(to % 3)]), "", vec![]),
        1 => {
            let basic = if to % 2 == 0 { "open" } else { "closed" };
            let doc = format!("<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:{me}@127.0.0.1\"><tuple id=\"t{}\"><status><basic>{basic}</basic></status></tuple></presence>", to % 3);
            ("PUBLISH", format!("sip:{me}@127.0.0.1"), "Event: presence\r\nExpires: 120\r\n".into(), "application/pidf+xml", doc.into_bytes())
        }
        2 => ("SUBSCRIBE", format!("sip:{target}@127.0.0.1"), format!("Event: presence\r\nExpires: {}\r\nContact: <sip:{me}@{from}>\r\nAccept: application/pidf+xml{}\r\n", [0, 60, 600][usize::from(n as u8 % 3)], if to > 127 { ", application/pidf-diff+xml" } else { "" }), "", vec![]),
        3 => ("SUBSCRIBE", format!("sip:{me}@127.0.0.1"), format!("Event: presence.winfo\r\nExpires: 600\r\nContact: <sip:{me}@{from}>\r\n"), "", vec![]),
        4 => ("MESSAGE", format!("sip:{target}@127.0.0.1"), String::new(), "text/plain", b"hi".to_vec()),
        5 => ("MESSAGE", "sip:presence@127.0.0.1".into(), String::new(), "text/plain", format!("{} sip:{target}@127.0.0.1\n", ["allow", "block", "pending", "bogus"][usize::from(to % 4)]).into_bytes()),
        6 => ("OPTIONS", format!("sip:{target}@127.0.0.1"), String::new(), "", vec![]),
        _ => ("NOTIFY", format!("sip:{target}@127.0.0.1"), "Event: presence\r\nSubscription-State: active\r\n".into(), "", vec![]),
    };
    let mut m = format!(
        "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{n}x\r\nMax-Forwards: {}\r\nFrom: <sip:{me}@127.0.0.1>;tag=f{n}\r\nTo: <{}>\r\nCall-ID: c{n}\r\nCSeq: {n} {method}\r\n{extra}",
        to % 71,
        if method == "REGISTER" { format!("sip:{me}@127.0.0.1") } else { uri.clone() }
    )
    .into_bytes();
    if !ct.is_empty() {
        m.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
    }
    m.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    m.extend_from_slice(&body);
    // a few bytes of the input overwrite the message: mutations the parser must survive
    for pair in tail.chunks(2).take(4) {
        if let [at, b] = pair {
            let i = usize::from(*at) % m.len();
            m[i] = *b;
        }
    }
    m
}

/// A response to `request` (a message the server sent to a source).
fn answer(request: &OwnedMessage, code: u16) -> Option<Vec<u8>> {
    let text = core::str::from_utf8(request.bytes()).ok()?;
    let mut out = format!("SIP/2.0 {code} Whatever\r\n");
    for line in text.split("\r\n").skip(1) {
        if line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if ["via:", "from:", "call-id:", "cseq:"].iter().any(|h| lower.starts_with(h)) {
            out.push_str(line);
            out.push_str("\r\n");
        } else if lower.starts_with("to:") {
            out.push_str(line);
            if !lower.contains("tag=") {
                out.push_str(";tag=ans");
            }
            out.push_str("\r\n");
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    Some(out.into_bytes())
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let auth = first & 1 == 1;
    let store = Shared(Arc::new(Mutex::new(MemoryStore::new())));
    let mut now = Instant::now();
    let mut s = server(&store, auth, now);
    let mut last: HashMap<SocketAddr, OwnedMessage> = HashMap::new();
    let mut n = 0u32;
    let mut ops = rest.chunks(8);
    let mut steps = 0;
    while let Some(op) = ops.next() {
        steps += 1;
        if steps > 200 {
            break;
        }
        let b = |i: usize| op.get(i).copied().unwrap_or(0);
        n += 1;
        let from = source(b(1));
        match b(0) % 8 {
            0..=2 => {
                let m = request(b(2), b(3), b(4), n, from, &op[5.min(op.len())..]);
                s.handle_datagram(from, Transport::Udp, &m, now);
            }
            3 => s.handle_datagram(from, Transport::Udp, &op[1..], now),
            4 => {
                if let Some(req) = last.remove(&from) {
                    let code = [200, 481, 500, 404, 180][usize::from(b(2) % 5)];
                    if let Some(a) = answer(&req, code) {
                        s.handle_datagram(from, Transport::Udp, &a, now);
                    }
                }
            }
            5 => {
                now += Duration::from_millis(u64::from(b(1)) * 250);
                s.handle_timeout(now);
            }
            6 => {
                let m = request(b(2), b(3), b(4), n, from, &[]);
                let cut = usize::from(b(5)) % (m.len() + 1);
                s.handle_stream(from, Transport::Tcp, &m[..cut], now);
                s.handle_stream(from, Transport::Tcp, &m[cut..], now);
            }
            _ => {
                // a restart on the same store: what it holds is served again, no more
                drop(s);
                let stored = store.0.lock().expect("not poisoned").load().expect("memory").subscriptions.len();
                s = server(&store, auth, now);
                let c = s.census();
                assert!(c.subscriptions + c.winfo_subscriptions + c.to_restore <= stored, "{c} from {stored} stored");
            }
        }
        if s.poll_timeout().is_some_and(|t| t <= now) {
            s.handle_timeout(now);
        }
        while let Some(t) = s.poll_transmit() {
            if t.contents.iter().all(|&c| c == b'\r' || c == b'\n') {
                continue; // a keep-alive answer
            }
            let m = OwnedMessage::parse(Bytes::clone(&t.contents)).unwrap_or_else(|e| {
                panic!("the server sent what does not parse ({e}): {:?}", String::from_utf8_lossy(&t.contents))
            });
            if m.status_code().is_some() {
                // an answer (ours or forwarded): our own Via never goes back upstream
                let ours = m.view(|v| v.headers_named(simple_sip::HeaderName::Via).any(|h| h.value().windows(SERVER.len()).any(|w| w == SERVER.as_bytes())));
                assert!(!ours, "a response with our Via: {:?}", String::from_utf8_lossy(&t.contents));
            } else {
                // a forwarded request goes to the flow a REGISTER came in on (NOTIFYs go to the
                // Contact the input wrote, which mutations may move)
                if m.method() != Some(simple_sip::Method::Notify) {
                    assert!((6000..6003).contains(&t.destination.port()), "forwarded to {}", t.destination);
                }
                last.insert(t.destination, m);
            }
        }
    }
});
