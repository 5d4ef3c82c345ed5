//! A small SIP user agent on one UDP socket, built on the Sans-IO [`Endpoint`] and [`Dialog`]:
//! the loop every embedder writes (socket in, `now` in; bytes, events and the next deadline
//! out). The interop tests run it against SIPp and Kamailio (`interop/sip-endpoint`).
//!
//! ```text
//! sip_ua serve    --bind 127.0.0.1:5080 [--for SECONDS]
//! sip_ua call     --bind 127.0.0.1:5081 --to sip:service@127.0.0.1:5090
//! sip_ua register --bind 127.0.0.1:5082 --registrar 127.0.0.1:5160 --user alice --password secret
//! ```
//!
//! `serve` answers OPTIONS, MESSAGE and BYE with 200 and INVITE with 180 then 200 (SDP), the
//! 200 retransmitted until its ACK (RFC 3261 §13.3.1.4); it prints one line per request its
//! application sees (retransmissions never reach it). `call` makes a call and hangs up.
//! `register` registers with digest authentication (answering one 401/407). Exit status 0 when
//! the flow completed.

#![allow(clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)] // an application on std; it logs events it does not act on

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use simple_sip::dialog::{Dialog, DialogState};
use simple_sip::digest::{DigestClient, Request as DigestRequest};
use simple_sip::endpoint::{ClientTx, Event, NewRequest, Reply, Transport};
use simple_sip::headers::{CSeq, TypedHeader, WwwAuthenticate};
use simple_sip::{HeaderName, Method, OwnedMessage};

const SDP: &[u8] = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

#[path = "udp/mod.rs"]
mod udp;
use udp::UdpEndpoint as Ua;

fn new_ua(bind: SocketAddr) -> std::io::Result<Ua> {
    Ua::new(bind, "simple-rs sip_ua", &[Method::Register])
}

fn contact(ua: &Ua) -> String {
    format!("<sip:ua@{}>", ua.local)
}

/// A 2xx to an INVITE being retransmitted until its ACK (T1 doubling to T2, for 64·T1).
struct Pending2xx {
    tx: simple_sip::endpoint::ServerTx,
    response: OwnedMessage,
    call_id: String,
    next: Instant,
    interval: Duration,
    until: Instant,
}

fn serve(bind: SocketAddr, seconds: u64) -> std::io::Result<bool> {
    let mut ua = new_ua(bind)?;
    println!("serving on {}", ua.local);
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut pending: Vec<Pending2xx> = Vec::new();
    while Instant::now() < end {
        let now = Instant::now();
        for p in &mut pending {
            if now >= p.next {
                let _ = ua.endpoint.send_response(p.tx, &p.response, now);
                p.interval = (p.interval * 2).min(Duration::from_secs(4));
                p.next = now + p.interval;
            }
        }
        pending.retain(|p| now < p.until);
        let max = pending
            .iter()
            .map(|p| p.next.saturating_duration_since(now))
            .min()
            .unwrap_or(Duration::from_millis(200));
        for event in ua.turn(None, max.min(Duration::from_millis(200)))? {
            match event {
                Event::Request { tx, request, source, .. } => {
                    let method =
                        request.method().map(|m| m.as_str().to_owned()).unwrap_or_default();
                    let call_id = call_id(&request);
                    println!("request {method} from {source} call-id {call_id}");
                    let now = Instant::now();
                    let contact = contact(&ua);
                    let headers = [("Contact", contact.as_bytes())];
                    if request.method() == Some(Method::Invite) {
                        let _ = ua.endpoint.respond(
                            tx,
                            &Reply::new(180, "Ringing").headers(&headers),
                            now,
                        );
                        let ok =
                            Reply::new(200, "OK").headers(&headers).body("application/sdp", SDP);
                        if ua.endpoint.respond(tx, &ok, now).is_ok() {
                            // keep the bytes sent for retransmission: the last transmit is the 200
                            if let Some(last) = ua.flush() {
                                if let Ok(response) = OwnedMessage::parse(last) {
                                    let t1 = Duration::from_millis(500);
                                    pending.push(Pending2xx {
                                        tx,
                                        response,
                                        call_id,
                                        next: now + t1,
                                        interval: t1,
                                        until: now + t1 * 64,
                                    });
                                }
                            }
                        }
                    } else {
                        let _ =
                            ua.endpoint.respond(tx, &Reply::new(200, "OK").headers(&headers), now);
                    }
                }
                Event::Ack { request, .. } => {
                    let id = call_id(&request);
                    println!("ack call-id {id}");
                    pending.retain(|p| p.call_id != id);
                }
                Event::Rejected { source, code, why } => {
                    println!("rejected {code} from {source}: {why}")
                }
                other => println!("event {other:?}"),
            }
        }
    }
    Ok(true)
}

fn call_id(m: &OwnedMessage) -> String {
    m.header(HeaderName::CallId)
        .map(|h| String::from_utf8_lossy(h.value()).into_owned())
        .unwrap_or_default()
}

/// Waits for the final response of `tx` (answering nothing else), up to 40 s.
fn final_response(ua: &mut Ua, tx: ClientTx) -> std::io::Result<Option<OwnedMessage>> {
    let end = Instant::now() + Duration::from_secs(40);
    while Instant::now() < end {
        for event in ua.turn(None, Duration::from_millis(200))? {
            match event {
                Event::Response { tx: t, response }
                    if t == tx && response.status_code() >= Some(200) =>
                {
                    return Ok(Some(response));
                }
                Event::Timeout { tx: t } | Event::TransportError { tx: t } if t == tx => {
                    return Ok(None);
                }
                other => println!("event {other:?}"),
            }
        }
    }
    Ok(None)
}

fn call(bind: SocketAddr, to: &str) -> std::io::Result<bool> {
    let mut ua = new_ua(bind)?;
    let target: SocketAddr =
        to.rsplit('@').next().and_then(|h| h.parse().ok()).expect("--to sip:user@IP:PORT");
    let contact = contact(&ua);
    let mut new = NewRequest::new(Method::Invite, to, "<sip:ua@example.com>");
    new.contact = Some(&contact);
    let invite = ua.endpoint.build_request(&new.body("application/sdp", SDP), Transport::Udp);
    let tx = ua
        .endpoint
        .send_request(invite.clone(), target, Transport::Udp, Instant::now())
        .expect("a fresh INVITE");
    let Some(ok) = final_response(&mut ua, tx)? else { return Ok(false) };
    println!("INVITE answered {}", ok.status_code().unwrap_or(0));
    if ok.status_code() != Some(200) {
        return Ok(false);
    }
    let mut dialog = Dialog::uac(&invite, &ok).expect("a 2xx with a To tag makes a dialog");
    let seq = invite.view(|m| m.require::<CSeq<'_>>().map(|c| c.seq)).unwrap_or(1);
    let ack = dialog.ack(seq);
    let routes = ack.route_refs();
    let ack = ua.endpoint.build_request(&ack.as_new_request(&routes), Transport::Udp);
    ua.endpoint.send_stateless(ack.bytes().clone(), target, Transport::Udp);
    let bye = dialog.next_request(Method::Bye);
    let routes = bye.route_refs();
    let bye = ua.endpoint.build_request(&bye.as_new_request(&routes), Transport::Udp);
    let tx =
        ua.endpoint.send_request(bye, target, Transport::Udp, Instant::now()).expect("a fresh BYE");
    let Some(done) = final_response(&mut ua, tx)? else { return Ok(false) };
    dialog.handle_response(&Method::Bye, &done);
    println!("BYE answered {}", done.status_code().unwrap_or(0));
    Ok(done.status_code() == Some(200) && dialog.state() == DialogState::Terminated)
}

fn register(
    bind: SocketAddr,
    registrar: SocketAddr,
    user: &str,
    password: &str,
) -> std::io::Result<bool> {
    let mut ua = new_ua(bind)?;
    let uri = format!("sip:{}", registrar.ip());
    let aor = format!("<sip:{user}@{}>", registrar.ip());
    let contact = contact(&ua);
    let call_id = ua.endpoint.ids().call_id(None);
    let from_tag = ua.endpoint.ids().tag();
    let mut client = DigestClient::new(user, password);
    let mut auth: Option<(String, String)> = None;
    for cseq in 1..=3u32 {
        let headers: Vec<(&str, &[u8])> = auth
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
            .chain([("Expires", &b"300"[..])])
            .collect();
        let mut new = NewRequest::new(Method::Register, &uri, &aor);
        new.to = Some(&aor);
        new.from_tag = Some(&from_tag);
        new.call_id = Some(&call_id);
        new.cseq = cseq;
        new.contact = Some(&contact);
        new.headers = &headers;
        let request = ua.endpoint.build_request(&new, Transport::Udp);
        let tx = ua
            .endpoint
            .send_request(request, registrar, Transport::Udp, Instant::now())
            .expect("a fresh REGISTER");
        let Some(response) = final_response(&mut ua, tx)? else { return Ok(false) };
        let code = response.status_code().unwrap_or(0);
        println!("REGISTER {cseq} answered {code}");
        let (challenge, answer) = match code {
            200..=299 => return Ok(true),
            401 => (HeaderName::WwwAuthenticate, "Authorization"),
            407 => (HeaderName::ProxyAuthenticate, "Proxy-Authorization"),
            _ => return Ok(false),
        };
        let Some(h) = response.header(challenge) else { return Ok(false) };
        let Ok(c) = WwwAuthenticate::parse(h.value()) else { return Ok(false) };
        let cnonce = ua.endpoint.ids().cnonce();
        let req = DigestRequest { method: "REGISTER", uri: &uri, body: b"" };
        match client.answer(&c, &req, &cnonce) {
            Ok(value) => auth = Some((answer.to_owned(), value)),
            Err(e) => {
                println!("not answering the challenge: {e:?}");
                return Ok(false);
            }
        }
    }
    Ok(false)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let get =
        |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let bind: SocketAddr =
        get("--bind").unwrap_or_else(|| "127.0.0.1:0".into()).parse().expect("--bind IP:PORT");
    let result = match args.get(1).map(String::as_str) {
        Some("serve") => serve(bind, get("--for").and_then(|s| s.parse().ok()).unwrap_or(60)),
        Some("call") => call(bind, &get("--to").expect("--to URI")),
        Some("register") => register(
            bind,
            get("--registrar").expect("--registrar IP:PORT").parse().expect("--registrar IP:PORT"),
            &get("--user").expect("--user"),
            &get("--password").expect("--password"),
        ),
        _ => {
            eprintln!("usage: sip_ua serve|call|register ... (see the source)");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
