//! An Endpoint driven by arbitrary sequences of inputs: datagrams and stream bytes (templates
//! of requests from a peer with a few branches, so retransmissions, ACKs and CANCELs match;
//! responses built from what the endpoint sent, so they match its transactions; or raw bytes),
//! time passing, requests sent, answers, CANCELs, transport errors. Invariants: no panic; the
//! store never exceeds its limit; everything sent parses (or is a CRLF pong); a non-INVITE
//! request gets at most one final outcome; and once every request received has been answered
//! and the timers have run out, no transaction and no deadline is left.
#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use simple_sip::endpoint::{ClientTx, Endpoint, EndpointConfig, Event, NewRequest, Reply, ServerTx, Transport};
use simple_sip::{Header, Message, MessageWriter, Method};

const MAX: usize = 12;
const METHODS: [&str; 6] = ["MESSAGE", "INVITE", "ACK", "CANCEL", "OPTIONS", "BYE"];

fn peer_request(method: &str, branch: u8, tag: u8, cseq: u8, extra: &[u8]) -> Vec<u8> {
    let cseq_method = if method == "ACK" || method == "CANCEL" { "INVITE" } else { method };
    let cseq_method = if method == "CANCEL" { "CANCEL" } else if method == "ACK" { "ACK" } else { cseq_method };
    let mut out = format!(
        "{method} sip:ep@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{branch};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:peer@x>;tag=f{tag}\r\nTo: <sip:ep@x>\r\nCall-ID: c{tag}\r\n\
         CSeq: {cseq} {cseq_method}\r\n"
    )
    .into_bytes();
    out.extend_from_slice(extra);
    out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    out
}

fuzz_target!(|data: &[u8]| {
    let mut config = EndpointConfig::new("127.0.0.1:5070");
    config.max_transactions = MAX;
    config.max_stream_buffer = 4096;
    let mut ep = Endpoint::new(config, 7);
    let peer: SocketAddr = "192.0.2.1:5060".parse().expect("literal");
    let mut now = Instant::now();
    let mut sent_requests: Vec<Vec<u8>> = Vec::new();
    let mut incoming: Vec<ServerTx> = Vec::new();
    let mut outgoing: Vec<ClientTx> = Vec::new();
    let mut finals: HashMap<ClientTx, (bool, u32)> = HashMap::new(); // (is INVITE, finals)
    let mut invites: HashMap<ClientTx, bool> = HashMap::new();
    let mut i = 0;
    let byte = |i: &mut usize| {
        let b = data.get(*i).copied();
        *i += 1;
        b
    };
    while let Some(op) = byte(&mut i) {
        let a = byte(&mut i).unwrap_or(0);
        let b = byte(&mut i).unwrap_or(0);
        match op % 9 {
            0 | 1 => {
                let method = METHODS[usize::from(a) % METHODS.len()];
                let msg = peer_request(method, b % 4, b / 4 % 3, a / 8 % 3 + 1, b"");
                let transport = if op % 9 == 0 { Transport::Udp } else { Transport::Tcp };
                if transport == Transport::Udp {
                    ep.handle_datagram(peer, transport, &msg, now);
                } else {
                    let cut = usize::from(b) % msg.len();
                    ep.handle_stream(peer, transport, &msg[..cut], now);
                    ep.handle_stream(peer, transport, &msg[cut..], now);
                }
            }
            2 => {
                // a response to something we sent
                if let Some(req) = sent_requests.get(usize::from(a) % sent_requests.len().max(1)) {
                    let code = [100u16, 180, 200, 202, 401, 481, 486, 500, 603][usize::from(b) % 9];
                    let mut headers = [Header::EMPTY; 32];
                    if let Ok(m) = Message::parse(req, &mut headers) {
                        let mut out = Vec::new();
                        if let Ok(w) = MessageWriter::response_to(&mut out, &m, code, "X", Some("t1"), None) {
                            w.finish();
                            ep.handle_datagram(peer, Transport::Udp, &out, now);
                        }
                    }
                }
            }
            3 => {
                let method = [Method::Message, Method::Invite, Method::Options][usize::from(a) % 3].clone();
                let is_invite = method == Method::Invite;
                let req = ep.build_request(&NewRequest::new(method, "sip:peer@192.0.2.1", "<sip:ep@x>"), Transport::Udp);
                let transport = if b % 5 == 0 { Transport::Tcp } else { Transport::Udp };
                if let Ok(tx) = ep.send_request(req, peer, transport, now) {
                    outgoing.push(tx);
                    invites.insert(tx, is_invite);
                }
            }
            4 => {
                if let Some(&tx) = incoming.get(usize::from(a) % incoming.len().max(1)) {
                    let code = [100u16, 180, 200, 404, 487, 603][usize::from(b) % 6];
                    let _ = ep.respond(tx, &Reply::new(code, "X"), now);
                }
            }
            5 => {
                if let Some(&tx) = outgoing.get(usize::from(a) % outgoing.len().max(1)) {
                    if let Ok(c) = ep.cancel(tx, now) {
                        outgoing.push(c);
                        invites.insert(c, false);
                    }
                }
            }
            6 => {
                now += Duration::from_millis(u64::from(a) * 64 + u64::from(b));
                ep.handle_timeout(now);
            }
            7 => {
                // raw bytes: the rest of the input, once
                let rest = &data[i.min(data.len())..];
                if a % 2 == 0 {
                    ep.handle_datagram(peer, Transport::Udp, rest, now);
                } else {
                    ep.handle_stream(peer, Transport::Tcp, rest, now);
                }
                i = data.len();
            }
            _ => {
                if a % 2 == 0 {
                    ep.handle_transport_error(peer, Transport::Udp);
                } else {
                    ep.handle_connection_closed(peer, Transport::Tcp);
                }
            }
        }
        assert!(ep.transactions() <= MAX, "the store passed its limit");
        while let Some(t) = ep.poll_transmit() {
            if &t.contents[..] != b"\r\n" {
                let mut headers = [Header::EMPTY; 64];
                let m = Message::parse(&t.contents, &mut headers);
                assert!(m.is_ok(), "the endpoint sent something that does not parse: {:?}", t.contents);
                if m.is_ok_and(|m| m.request().is_some()) {
                    sent_requests.push(t.contents.to_vec());
                    if sent_requests.len() > 16 {
                        sent_requests.remove(0);
                    }
                }
            }
        }
        while let Some(e) = ep.poll_event() {
            if std::env::var_os("FUZZ_DEBUG").is_some() {
                eprintln!("op {op}: {e:?}");
            }
            match e {
                Event::Request { tx, .. } => incoming.push(tx),
                Event::Response { tx, response } => {
                    if response.status_code() >= Some(200) {
                        let f = finals.entry(tx).or_insert((invites.get(&tx).copied().unwrap_or(false), 0));
                        f.1 += 1;
                        // forked or retransmitted 2xx to an INVITE all come up (RFC 6026)
                        assert!(f.0 || f.1 == 1, "a second final response for a non-INVITE");
                    }
                }
                Event::Timeout { tx } | Event::TransportError { tx } => {
                    let f = finals.entry(tx).or_insert((invites.get(&tx).copied().unwrap_or(false), 0));
                    f.1 += 1;
                    assert!(f.0 || f.1 == 1, "a timeout after the final response of a non-INVITE");
                }
                _ => {}
            }
        }
    }
    // answer everything still waiting on the application, then let every timer run out
    for tx in incoming {
        let _ = ep.respond(tx, &Reply::new(500, "X"), now);
    }
    for _ in 0..10_000 {
        while ep.poll_transmit().is_some() {}
        while ep.poll_event().is_some() {}
        let Some((at, _)) = ep.poll_timeout() else { break };
        now = now.max(at);
        ep.handle_timeout(now);
    }
    assert_eq!(ep.poll_timeout(), None, "a deadline outlived the transactions");
    assert_eq!(ep.transactions(), 0, "a transaction outlived its timers");
});
