//! MSRP sessions from the command line: `chat` (RFC 4975 IM session), `send-file` and
//! `receive-file` (RFC 5547), set up with INVITE and an SDP offer/answer through the SIP
//! server, directly or through an MSRP relay (RFC 4976, e.g. simple-server's or Kamailio's).
//!
//! A file transfer that breaks is resumed by the receiver (§8.2.2, the receiver as offerer):
//! it invites the sender again with `a=recvonly`, the file's selector and
//! `a=file-range:<first missing byte>-<size>`; a `send-file --serve` still running answers and
//! sends that range. The receiver checks the SHA-1 of the whole file at the end.

use core::net::SocketAddr;
use core::time::Duration;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use simple_msrp::{
    AuthConfig, AuthEvent, Event as MsrpEvent, FileDirection, FileHash, FileHasher, FileRange,
    FileSelector, FileTransfer, MsrpMedia, MsrpUri, RelayClient, SendOptions, Session,
    SessionConfig, Setup, Source, SuccessReport,
};
use simple_sip::dialog::{Dialog, DialogState};
use simple_sip::endpoint::{Event, NewRequest, Reply, ServerTx, Transport};
use simple_sip::{HeaderName, Method, OwnedMessage};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::{Ua, answer, seed};

/// 32 bytes for identifiers that must not be guessed (relay transactions, cnonces).
fn seed32() -> [u8; 32] {
    let mut s = [0u8; 32];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut s);
    }
    s[..8].iter_mut().zip(seed().to_le_bytes()).for_each(|(a, b)| *a ^= b);
    s
}

fn session_id() -> String {
    let b = seed32();
    b.iter().take(12).map(|x| format!("{x:02x}")).collect()
}

/// One MSRP connection and the session on it.
struct Link {
    stream: TcpStream,
    session: Session,
    /// The relay's AUTH client, when there is one (kept for its paths).
    relay: Option<RelayClient>,
    closed: bool,
    buf: Vec<u8>,
}

/// Where our MSRP end is before the SDP: a relay connection already authenticated, or a
/// listener the peer connects to.
enum Local {
    Relay { stream: TcpStream, client: Box<RelayClient> },
    Direct { listener: TcpListener, uri: MsrpUri },
}

impl Local {
    /// Connects to `relay` and authenticates, or listens next to the SIP socket.
    async fn new(ua: &Ua, relay: Option<&str>) -> Result<Self, String> {
        let Some(relay) = relay else {
            let listener = TcpListener::bind(SocketAddr::new(ua.local.ip(), 0))
                .await
                .map_err(|e| e.to_string())?;
            let at = listener.local_addr().map_err(|e| e.to_string())?;
            let uri = MsrpUri::new(at.ip().to_string(), at.port(), session_id());
            return Ok(Self::Direct { listener, uri });
        };
        let mut r = MsrpUri::parse(relay).map_err(|e| format!("{relay}: {e}"))?;
        r.session_id = None;
        let port = r.port.unwrap_or(2855);
        let mut stream = TcpStream::connect((r.host.as_str(), port))
            .await
            .map_err(|e| format!("{relay}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let at = stream.local_addr().map_err(|e| e.to_string())?;
        let local = MsrpUri::new(at.ip().to_string(), at.port(), session_id());
        let password =
            ua.relay_password.clone().or_else(|| ua.password.clone()).unwrap_or_default();
        let mut client =
            RelayClient::new(AuthConfig::new(vec![r], &ua.user, &password), seed32(), local);
        let now = Instant::now();
        client.refresh(now);
        let mut buf = vec![0u8; 16 << 10];
        let end = now + Duration::from_secs(10);
        loop {
            let mut out = Vec::new();
            while client.poll_transmit(&mut out).is_some() {}
            stream.write_all(&out).await.map_err(|e| e.to_string())?;
            while let Some(e) = client.poll_event() {
                match e {
                    AuthEvent::Authorized { use_path, expires } => {
                        let path: Vec<String> = use_path.iter().map(ToString::to_string).collect();
                        ua.say(
                            &format!(
                                "relay authorized us: Use-Path {} for {expires} s",
                                path.join(" ")
                            ),
                            &json!({"event": "relay", "use_path": path, "expires": expires}),
                        );
                        return Ok(Self::Relay { stream, client: Box::new(client) });
                    }
                    AuthEvent::Failed { relay, code } => {
                        return Err(format!("relay {relay} refused us ({code:?})"));
                    }
                    _ => {}
                }
            }
            let left = end.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Err("the relay closed the connection".into()),
                Ok(Ok(n)) => {
                    client.handle_input(&buf[..n], Instant::now()).map_err(|e| e.to_string())?
                }
                Err(_) => return Err("no AUTH answer from the relay".into()),
            }
        }
    }

    /// Our a=path.
    fn path(&self) -> Vec<MsrpUri> {
        match self {
            Self::Relay { client, .. } => client.sdp_path(),
            Self::Direct { uri, .. } => vec![uri.clone()],
        }
    }

    /// The media section of our offer or answer.
    fn media(&self, accept: &[&str], setup: Setup) -> MsrpMedia {
        let mut m = MsrpMedia::new(self.path(), accept);
        setup.write_to(&mut m);
        m
    }

    /// The connection, once the peer's media is known: the relay's, or the peer's connection
    /// to our listener (we answered passive), or ours to the peer's path.
    async fn connect(
        self,
        peer: &MsrpMedia,
        mut config: SessionConfig,
        we_connect: bool,
        chunk: usize,
    ) -> Result<Link, String> {
        config.max_chunk = chunk;
        config.max_transmit = config.max_transmit.min(chunk);
        match self {
            Self::Relay { stream, mut client } => {
                let local = client.sdp_path().last().cloned().ok_or("no local URI")?;
                let to = client.to_path(&peer.path);
                let mut session = Session::new(config, seed(), local, to);
                session.set_peer_media(peer.clone());
                let rest = client.take_input();
                session.handle_input(&rest).map_err(|e| e.to_string())?;
                let _ = stream.set_nodelay(true);
                Ok(Link {
                    stream,
                    session,
                    relay: Some(*client),
                    closed: false,
                    buf: vec![0; 64 << 10],
                })
            }
            Self::Direct { listener, uri } => {
                let stream = if we_connect {
                    let first = peer.path.first().ok_or("the peer gave no path")?;
                    TcpStream::connect((first.host.as_str(), first.port.unwrap_or(2855)))
                        .await
                        .map_err(|e| e.to_string())?
                } else {
                    match tokio::time::timeout(Duration::from_secs(10), listener.accept()).await {
                        Ok(Ok((s, _))) => s,
                        _ => return Err("the peer did not connect".into()),
                    }
                };
                let _ = stream.set_nodelay(true);
                let mut session = Session::new(config, seed(), uri, peer.path.clone());
                session.set_peer_media(peer.clone());
                Ok(Link { stream, session, relay: None, closed: false, buf: vec![0; 64 << 10] })
            }
        }
    }
}

impl Link {
    /// Writes what the session has (up to 1 MiB), reads what came (waiting up to `wait` for
    /// it), fires timers; returns the events.
    async fn step(&mut self, wait: Duration) -> Vec<MsrpEvent> {
        let now = Instant::now();
        let mut out = Vec::with_capacity(64 << 10);
        let mut wrote = 0;
        while wrote < 1 << 20 && self.session.poll_transmit(now, &mut out).is_some() {
            if out.len() >= 64 << 10 {
                wrote += out.len();
                if self.stream.write_all(&out).await.is_err() {
                    self.closed = true;
                }
                out.clear();
            }
        }
        if !out.is_empty() && self.stream.write_all(&out).await.is_err() {
            self.closed = true;
        }
        let wait = if wrote > 0 { Duration::ZERO } else { wait };
        match tokio::time::timeout(
            wait.max(Duration::from_millis(1)),
            self.stream.read(&mut self.buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => self.closed = true,
            Ok(Ok(n)) => {
                if self.session.handle_input(&self.buf[..n]).is_err() {
                    self.closed = true;
                }
            }
            Err(_) => {}
        }
        self.session.handle_timeout(Instant::now());
        if self.closed {
            self.session.close();
        }
        core::iter::from_fn(|| self.session.poll_event()).collect()
    }
}

/// What an INVITE we sent ended in.
struct Call {
    dialog: Dialog,
    remote: SocketAddr,
    peer: MsrpMedia,
}

/// Where a SIP URI's host:port is (the remote target of a dialog).
fn target_addr(uri: &str, fallback: SocketAddr) -> SocketAddr {
    let host = uri.split_once('@').map_or(uri, |(_, h)| h);
    let host = host.trim_start_matches("sip:").split([';', '>']).next().unwrap_or_default();
    host.parse().unwrap_or(fallback)
}

fn sdp_body(media: &MsrpMedia, ua: &Ua) -> String {
    let ip = ua.local.ip();
    format!(
        "v=0\r\no=- {} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n{}",
        seed() % 1_000_000_000,
        media.write()
    )
}

fn body_text(m: &OwnedMessage) -> String {
    String::from_utf8_lossy(&m.body()).into_owned()
}

/// INVITE `target` with `media` (with digest when challenged); the call, or the failure.
async fn invite(ua: &mut Ua, target: &str, media: &MsrpMedia) -> Result<Call, u16> {
    let mut auth = ua.password.clone().map(|p| simple_sip::digest::DigestClient::new(&ua.user, &p));
    let from = format!("<{}>", ua.aor);
    let to = format!("<{target}>");
    let call_id = format!("msrp-{:x}", seed());
    let tag = format!("{:x}", seed() & 0xffff_ffff);
    let contact = ua.contact();
    let body = sdp_body(media, ua);
    let mut authorization: Option<(&'static str, String)> = None;
    for cseq in 1..5 {
        let mut headers: Vec<(&str, &[u8])> = Vec::new();
        if let Some((n, v)) = &authorization {
            headers.push((n, v.as_bytes()));
        }
        let mut new = NewRequest::new(Method::Invite, target, &from).headers(&headers);
        new.to = Some(&to);
        new.call_id = Some(&call_id);
        new.from_tag = Some(&tag);
        new.cseq = cseq;
        new.contact = Some(&contact);
        new.body = Some(("application/sdp", body.as_bytes()));
        let request = ua.ep.build_request(&new, Transport::Udp);
        let Ok(tx) = ua.ep.send_request(request.clone(), ua.server, Transport::Udp, Instant::now())
        else {
            return Err(500);
        };
        let end = Instant::now() + Duration::from_secs(40);
        let response = 'wait: loop {
            if Instant::now() > end {
                return Err(408);
            }
            for e in ua.turn(None).await {
                match e {
                    Event::Response { tx: t, response } if t == tx => {
                        let code = response.status_code().unwrap_or(0);
                        if code >= 200 {
                            break 'wait response;
                        }
                    }
                    Event::Timeout { tx: t } | Event::TransportError { tx: t } if t == tx => {
                        return Err(408);
                    }
                    Event::Request { tx, .. } => {
                        let _ = ua.ep.respond(tx, &Reply::new(486, "Busy Here"), Instant::now());
                    }
                    _ => {}
                }
            }
        };
        let code = response.status_code().unwrap_or(500);
        match code {
            200..=299 => {
                let dialog = Dialog::uac(&request, &response).map_err(|_| 500u16)?;
                let remote = target_addr(dialog.remote_target(), ua.server);
                // the ACK of a 2xx goes end to end (§13.2.2.4)
                let ack = dialog.ack(cseq);
                let routes = ack.route_refs();
                let m = ua.ep.build_request(&ack.as_new_request(&routes), Transport::Udp);
                let dest = if dialog.route_set().is_empty() { remote } else { ua.server };
                ua.ep.send_stateless(m.bytes().clone(), dest, Transport::Udp);
                ua.flush().await;
                let sdp = body_text(&response);
                let peer = MsrpMedia::parse(&sdp).map_err(|_| 488u16)?;
                return Ok(Call { dialog, remote, peer });
            }
            401 | 407 => {
                let Some(client) = auth.as_mut() else { return Err(code) };
                let Some(a) = answer(client, &response, "INVITE", target, code, seed()) else {
                    return Err(code);
                };
                authorization = Some(a);
            }
            _ => return Err(code),
        }
    }
    Err(401)
}

/// Sends BYE in the call's dialog (and does not wait long for its answer).
async fn bye(ua: &mut Ua, dialog: &mut Dialog, remote: SocketAddr) {
    let r = dialog.next_request(Method::Bye);
    let routes = r.route_refs();
    let m = ua.ep.build_request(&r.as_new_request(&routes), Transport::Udp);
    let dest = if dialog.route_set().is_empty() { remote } else { ua.server };
    if let Ok(tx) = ua.ep.send_request(m, dest, Transport::Udp, Instant::now()) {
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            let events = ua.turn(Some(end)).await;
            if events.iter().any(|e| matches!(e, Event::Response { tx: t, .. } if *t == tx)) {
                break;
            }
        }
    }
}

/// An INVITE that arrived, with its offer.
struct Offer {
    tx: ServerTx,
    request: OwnedMessage,
    media: MsrpMedia,
    from: String,
}

/// Waits for an INVITE whose SDP has an MSRP section (answering other requests as a UA
/// would: BYE and OPTIONS with 200, the rest 405).
async fn wait_invite(ua: &mut Ua, until: Instant) -> Option<Offer> {
    while Instant::now() < until {
        for e in ua.turn(Some(until)).await {
            let Event::Request { tx, request, .. } = e else { continue };
            let method = request.method().map(Method::into_owned);
            match method {
                Some(Method::Invite) => {
                    let sdp = body_text(&request);
                    match MsrpMedia::parse(&sdp) {
                        Ok(media) => {
                            let from = request
                                .view(|m| {
                                    m.header(HeaderName::From)
                                        .map(|h| String::from_utf8_lossy(h.value()).into_owned())
                                })
                                .unwrap_or_default();
                            let from = from
                                .split('<')
                                .nth(1)
                                .and_then(|s| s.split('>').next())
                                .unwrap_or(&from)
                                .to_owned();
                            return Some(Offer { tx, request, media, from });
                        }
                        Err(_) => {
                            let _ = ua.ep.respond(
                                tx,
                                &Reply::new(488, "Not Acceptable Here"),
                                Instant::now(),
                            );
                        }
                    }
                }
                Some(Method::Bye | Method::Options | Method::Cancel) => {
                    let _ = ua.ep.respond(tx, &Reply::new(200, "OK"), Instant::now());
                }
                Some(Method::Ack) | None => {}
                Some(_) => {
                    let _ =
                        ua.ep.respond(tx, &Reply::new(405, "Method Not Allowed"), Instant::now());
                }
            }
        }
    }
    None
}

/// Answers `offer` with `media`: 200 with our SDP; the dialog.
fn accept(ua: &mut Ua, offer: &Offer, media: &MsrpMedia) -> Option<(Dialog, SocketAddr)> {
    let body = sdp_body(media, ua);
    let contact = ua.contact();
    let headers: [(&str, &[u8]); 1] = [("Contact", contact.as_bytes())];
    let reply = Reply::new(200, "OK").headers(&headers).body("application/sdp", body.as_bytes());
    ua.ep.respond(offer.tx, &reply, Instant::now()).ok()?;
    let tag = ua.ep.local_tag(offer.tx)?.to_owned();
    let dialog = Dialog::uas(&offer.request, &tag, DialogState::Confirmed).ok()?;
    let remote = target_addr(dialog.remote_target(), ua.server);
    Some((dialog, remote))
}

/// Answers `offer` with our media (our `a=setup` from its, `file` the description we agreed
/// to) and opens the session: the link, the dialog and where the peer is.
async fn answer_and_connect(
    ua: &mut Ua,
    local: Local,
    offer: &Offer,
    accept_types: &[&str],
    file: Option<&FileTransfer>,
    config: SessionConfig,
) -> Result<(Link, Dialog, SocketAddr), String> {
    let (setup, role) = simple_msrp::answer_setup(Setup::of(&offer.media), true);
    let mut media = local.media(accept_types, setup);
    if let Some(f) = file {
        f.write_to(&mut media);
    }
    let (dialog, remote) = accept(ua, offer, &media).ok_or("could not answer")?;
    ua.flush().await;
    let we_connect = role == simple_msrp::Role::Active;
    let link = local.connect(&offer.media, config, we_connect, ua.msrp_chunk).await?;
    Ok((link, dialog, remote))
}

/// The offerer's session once `call` brought the answer (its `a=setup` says who connects).
async fn connect_offerer(
    ua: &Ua,
    local: Local,
    call: &Call,
    config: SessionConfig,
) -> Result<Link, String> {
    let we_connect = simple_msrp::offerer_role(Setup::of(&call.peer)) == simple_msrp::Role::Active;
    local.connect(&call.peer, config, we_connect, ua.msrp_chunk).await
}

/// A session that hands incoming bytes on as they come (a file is one message).
fn streaming_config() -> SessionConfig {
    let mut config = SessionConfig::default();
    config.streaming = true;
    config.max_message_size = u64::MAX;
    config
}

/// Services the SIP side without waiting: retransmissions, the ACK, a BYE (returned true).
fn sip_poll(ua: &mut Ua) -> bool {
    let mut bye = false;
    while let Ok((n, from)) = ua.socket.try_recv_from(&mut ua.buf) {
        ua.ep.handle_datagram(from, Transport::Udp, &ua.buf[..n], Instant::now());
    }
    ua.ep.handle_timeout(Instant::now());
    while let Some(e) = ua.ep.poll_event() {
        if let Event::Request { tx, request, .. } = e {
            match request.method().map(Method::into_owned) {
                Some(Method::Bye) => {
                    bye = true;
                    let _ = ua.ep.respond(tx, &Reply::new(200, "OK"), Instant::now());
                }
                Some(Method::Ack) | None => {}
                Some(_) => {
                    let _ = ua.ep.respond(tx, &Reply::new(486, "Busy Here"), Instant::now());
                }
            }
        }
    }
    while let Some(t) = ua.ep.poll_transmit() {
        let _ = ua.socket.try_send_to(&t.contents, t.destination);
    }
    bye
}

fn progress(len: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bytes}/{total_bytes} {wide_bar} {bytes_per_sec} {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

// ---- chat ---------------------------------------------------------------------------------

/// `simple-cli chat`: with a target, invites it to an MSRP IM session; without, waits for
/// one. Sends each `texts` line (or stdin's lines when none is given), prints what arrives,
/// and hangs up `wait` seconds after the last was sent.
pub(super) async fn chat(
    ua: &mut Ua,
    target: Option<&str>,
    relay: Option<&str>,
    texts: &[String],
    wait: u64,
) -> i32 {
    if let Err(code) = ua.register(600).await {
        eprintln!("REGISTER failed: {code}");
        return 1;
    }
    let local = match Local::new(ua, relay).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let accept_types = ["text/plain", "message/cpim"];
    let (mut link, mut dialog, remote, peer_uri) = match target {
        Some(t) => {
            let uri = ua.uri(t);
            let media = local.media(&accept_types, simple_msrp::offer_setup(true));
            let call = match invite(ua, &uri, &media).await {
                Ok(c) => c,
                Err(code) => {
                    eprintln!("INVITE {uri} failed: {code}");
                    return 1;
                }
            };
            match connect_offerer(ua, local, &call, SessionConfig::default()).await {
                Ok(l) => (l, call.dialog, call.remote, uri),
                Err(e) => {
                    eprintln!("{e}");
                    return 1;
                }
            }
        }
        None => {
            let Some(offer) = wait_invite(ua, Instant::now() + Duration::from_secs(3600)).await
            else {
                return 1;
            };
            let config = SessionConfig::default();
            match answer_and_connect(ua, local, &offer, &accept_types, None, config).await {
                Ok((l, dialog, remote)) => (l, dialog, remote, offer.from),
                Err(e) => {
                    eprintln!("{e}");
                    return 1;
                }
            }
        }
    };
    ua.say(&format!("chat with {peer_uri}"), &json!({"event": "chat", "peer": peer_uri}));
    let mut lines: Vec<String> = texts.to_vec();
    if lines.is_empty() && target.is_some() {
        let mut s = String::new();
        let _ = std::io::stdin().read_to_string(&mut s);
        lines = s.lines().map(str::to_owned).collect();
    }
    let opts = SendOptions { success_report: SuccessReport::Yes, ..SendOptions::default() };
    for l in &lines {
        link.session.send("text/plain", l.as_bytes().to_vec(), opts);
    }
    // --wait 0: hang up as soon as every line is delivered (within 10 s)
    let mut end = Instant::now() + Duration::from_secs(if wait == 0 { 10 } else { wait });
    let mut pending = lines.len();
    let mut status = 0;
    while Instant::now() < end && !link.closed {
        for e in link.step(Duration::from_millis(100)).await {
            match e {
                MsrpEvent::Received { body, .. } => {
                    let text = String::from_utf8_lossy(&body).into_owned();
                    ua.say(
                        &format!("{peer_uri}: {text}"),
                        &json!({"event": "msrp", "from": peer_uri, "text": text}),
                    );
                    if target.is_none() {
                        end = Instant::now() + Duration::from_secs(wait);
                    }
                }
                MsrpEvent::Sent { message_id } => {
                    ua.say(
                        &format!("sent {message_id}"),
                        &json!({"event": "sent", "id": message_id}),
                    );
                }
                MsrpEvent::Delivered { message_id, .. } => {
                    pending = pending.saturating_sub(1);
                    ua.say(
                        &format!("delivered {message_id}"),
                        &json!({"event": "delivered", "id": message_id}),
                    );
                }
                MsrpEvent::SendFailed { message_id, reason } => {
                    status = 1;
                    ua.say(
                        &format!("failed {message_id}: {reason:?}"),
                        &json!({"event": "failed", "id": message_id}),
                    );
                }
                _ => {}
            }
        }
        if sip_poll(ua) {
            ua.say("the peer hung up", &json!({"event": "bye"}));
            return status;
        }
        if target.is_some() && pending == 0 && !lines.is_empty() && wait == 0 {
            break;
        }
    }
    bye(ua, &mut dialog, remote).await;
    let _ = link.relay;
    status
}

// ---- files ---------------------------------------------------------------------------------

/// A file read at offsets (a range of it).
struct FileSource {
    file: std::fs::File,
    from: u64,
    len: u64,
    bar: indicatif::ProgressBar,
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> usize {
        let want = buf.len().min(usize::try_from(self.len - offset).unwrap_or(usize::MAX));
        if self.file.seek(SeekFrom::Start(self.from + offset)).is_err() {
            return 0;
        }
        let n = self.file.read(&mut buf[..want]).unwrap_or(0);
        self.bar.set_position(offset + n as u64);
        n
    }
}

/// The SHA-1 of a file on disk.
fn hash_file(path: &Path) -> std::io::Result<FileHash> {
    let mut f = std::fs::File::open(path)?;
    let mut h = FileHasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finish());
        }
        h.update(&buf[..n]);
    }
}

/// Sends the `range` of `path` over `link` as one message; true once the peer has it all.
async fn push(
    ua: &mut Ua,
    link: &mut Link,
    path: &Path,
    range: FileRange,
    size: u64,
    quiet: bool,
) -> bool {
    let Ok(file) = std::fs::File::open(path) else { return false };
    let len = range.len(size);
    let bar = progress(len, quiet);
    let source = FileSource { file, from: range.offset(), len, bar: bar.clone() };
    let opts = SendOptions { success_report: SuccessReport::Yes, ..SendOptions::default() };
    let id = link.session.send_stream("application/octet-stream", Box::new(source), opts);
    let mut idle = Instant::now();
    let mut sent = false;
    loop {
        for e in link.step(Duration::from_millis(50)).await {
            idle = Instant::now();
            match e {
                MsrpEvent::Delivered { message_id, .. } if message_id == id => {
                    bar.finish_and_clear();
                    return true;
                }
                MsrpEvent::Sent { message_id } if message_id == id => sent = true,
                MsrpEvent::SendFailed { message_id, reason } if message_id == id => {
                    bar.abandon();
                    ua.say(
                        &format!("sending failed: {reason:?}"),
                        &json!({"event": "send-failed"}),
                    );
                    return false;
                }
                _ => {}
            }
        }
        let hung_up = sip_poll(ua);
        if hung_up && sent {
            // every chunk was taken; the receiver hung up without a success REPORT reaching
            // us (some relays send REPORTs only to a URI's own address)
            bar.finish_and_clear();
            ua.say(
                "the receiver hung up after taking every chunk (no success report came back)",
                &json!({"event": "hung-up-after-sent"}),
            );
            return true;
        }
        if link.closed || hung_up || idle.elapsed() > Duration::from_secs(60) {
            bar.abandon();
            return false;
        }
    }
}

/// `simple-cli send-file`: offers `path` to `target` (push), sends it, hangs up. With
/// `serve`, stays registered that many seconds afterwards and answers the receiver's resume
/// requests (a pull of a range of this file).
pub(super) async fn send_file(
    ua: &mut Ua,
    target: &str,
    path: &Path,
    relay: Option<&str>,
    serve: u64,
) -> i32 {
    let Ok(meta) = std::fs::metadata(path) else {
        eprintln!("{}: no such file", path.display());
        return 2;
    };
    let size = meta.len();
    let hash = match hash_file(path) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return 2;
        }
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let selector = FileSelector {
        name,
        media_type: Some("application/octet-stream".into()),
        size: Some(size),
        hashes: vec![hash.clone()],
    };
    if let Err(code) = ua.register(600).await {
        eprintln!("REGISTER failed: {code}");
        return 1;
    }
    let uri = ua.uri(target);
    let local = match Local::new(ua, relay).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let mut media =
        local.media(&["application/octet-stream", "message/cpim"], simple_msrp::offer_setup(true));
    let mut t = FileTransfer::new(FileDirection::Send, selector.clone(), &session_id());
    t.disposition = Some("attachment".into());
    t.write_to(&mut media);
    let mut call = match invite(ua, &uri, &media).await {
        Ok(c) => c,
        Err(code) => {
            eprintln!("INVITE {uri} failed: {code}");
            return 1;
        }
    };
    if call.peer.port == 0 {
        ua.say(&format!("{uri} refused the file"), &json!({"event": "refused"}));
        bye(ua, &mut call.dialog, call.remote).await;
        return 1;
    }
    let mut link = match connect_offerer(ua, local, &call, SessionConfig::default()).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let whole = FileRange { start: 1, stop: Some(size) };
    let done = push(ua, &mut link, path, whole, size, ua.json).await;
    if done {
        ua.say(
            &format!("sent {} ({size} bytes) to {uri}", path.display()),
            &json!({"event": "sent", "file": path.display().to_string(), "size": size}),
        );
        bye(ua, &mut call.dialog, call.remote).await;
        return 0;
    }
    ua.say("the transfer broke", &json!({"event": "broken"}));
    if serve == 0 {
        return 1;
    }
    // wait for the receiver to pull the rest
    let end = Instant::now() + Duration::from_secs(serve);
    while let Some(offer) = wait_invite(ua, end).await {
        let Ok(Some(pull)) = FileTransfer::from_media(&offer.media) else {
            let _ =
                ua.ep.respond(offer.tx, &Reply::new(488, "Not Acceptable Here"), Instant::now());
            continue;
        };
        if pull.direction != FileDirection::Receive || !pull.selector.selects(&selector) {
            let _ = ua.ep.respond(offer.tx, &Reply::new(404, "No Such File"), Instant::now());
            continue;
        }
        let range = pull.range.unwrap_or(whole);
        let local = match Local::new(ua, relay).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        };
        let types = ["application/octet-stream", "message/cpim"];
        let answer = pull.answer(Some(&selector));
        let config = SessionConfig::default();
        let (mut link, mut dialog, remote) =
            match answer_and_connect(ua, local, &offer, &types, Some(&answer), config).await {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("{e}");
                    return 1;
                }
            };
        ua.say(
            &format!("resuming from byte {} at {}'s request", range.start, offer.from),
            &json!({"event": "resume", "from": range.start}),
        );
        if push(ua, &mut link, path, range, size, ua.json).await {
            ua.say(
                &format!("sent {} (bytes {range} of {size}) to {}", path.display(), offer.from),
                &json!({"event": "sent", "file": path.display().to_string(), "size": size, "range": range.to_string()}),
            );
            bye(ua, &mut dialog, remote).await;
            return 0;
        }
    }
    1
}

/// `simple-cli receive-file`: registers, accepts file offers into `dir`, checks each hash,
/// and resumes a transfer that breaks. `cut_after` drops the MSRP connection once that many
/// bytes have arrived (once), to exercise the resume.
pub(super) async fn receive_file(
    ua: &mut Ua,
    dir: &Path,
    relay: Option<&str>,
    count: usize,
    seconds: u64,
    cut_after: Option<u64>,
) -> i32 {
    if let Err(code) = ua.register(600).await {
        eprintln!("REGISTER failed: {code}");
        return 1;
    }
    ua.say(
        &format!("waiting for files as {}", ua.aor),
        &json!({"event": "waiting", "aor": ua.aor}),
    );
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut received = 0;
    let mut cut = cut_after;
    while received < count {
        let Some(offer) = wait_invite(ua, end).await else { return 1 };
        let Ok(Some(file)) = FileTransfer::from_media(&offer.media) else {
            let _ =
                ua.ep.respond(offer.tx, &Reply::new(488, "Not Acceptable Here"), Instant::now());
            continue;
        };
        if file.direction != FileDirection::Send {
            let _ =
                ua.ep.respond(offer.tx, &Reply::new(488, "Not Acceptable Here"), Instant::now());
            continue;
        }
        // the name is the peer's: keep only its last component
        let name = file
            .selector
            .name
            .as_deref()
            .and_then(|n| Path::new(n).file_name().map(|f| f.to_string_lossy().into_owned()))
            .unwrap_or_else(|| format!("file-{}", seed() % 100_000));
        let target = dir.join(&name);
        let size = file.selector.size.unwrap_or(0);
        ua.say(
            &format!("{} offers {name} ({size} bytes)", offer.from),
            &json!({"event": "offer", "from": offer.from, "file": name, "size": size}),
        );
        let mut have = match run_receive(ua, relay, &offer, &file, &target, 0, &mut cut).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        };
        let mut tries = 0;
        while have < size && tries < 3 {
            tries += 1;
            // resume: pull the rest from the sender (RFC 5547 §8.2.2)
            ua.say(
                &format!("transfer broke at {have} of {size} bytes; resuming"),
                &json!({"event": "broken", "have": have, "size": size}),
            );
            match pull_rest(ua, relay, &offer.from, &file, &target, have).await {
                Ok(h) => have = h,
                Err(e) => {
                    eprintln!("resume failed: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        if have < size {
            return 1;
        }
        // the hash covers the whole file (§6)
        let ok = match (hash_file(&target), file.selector.sha1()) {
            (Ok(h), Some(want)) => &h == want,
            (Ok(_), None) => true,
            (Err(_), _) => false,
        };
        ua.say(
            &format!(
                "received {name} ({size} bytes) into {}, sha-1 {}",
                target.display(),
                if ok { "ok" } else { "MISMATCH" }
            ),
            &json!({"event": "received", "file": name, "size": size, "hash_ok": ok}),
        );
        if !ok {
            return 1;
        }
        received += 1;
    }
    0
}

/// Accepts `offer` and writes what arrives into `target` from file position `base` (0-based);
/// returns how many bytes of the file are there contiguously from the start.
async fn run_receive(
    ua: &mut Ua,
    relay: Option<&str>,
    offer: &Offer,
    file: &FileTransfer,
    target: &Path,
    base: u64,
    cut: &mut Option<u64>,
) -> Result<u64, String> {
    let local = Local::new(ua, relay).await?;
    let answer = file.answer(None);
    let (link, dialog, remote) =
        answer_and_connect(ua, local, offer, &["*"], Some(&answer), streaming_config()).await?;
    receive_into(ua, link, dialog, remote, file, target, base, cut).await
}

#[allow(clippy::too_many_arguments)]
async fn receive_into(
    ua: &mut Ua,
    mut link: Link,
    mut dialog: Dialog,
    remote: SocketAddr,
    file: &FileTransfer,
    target: &Path,
    base: u64,
    cut: &mut Option<u64>,
) -> Result<u64, String> {
    let size = file.selector.size.unwrap_or(0);
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(target)
        .map_err(|e| format!("{}: {e}", target.display()))?;
    let bar = progress(size, ua.json);
    bar.set_position(base);
    let mut have = base;
    let mut idle = Instant::now();
    loop {
        for e in link.step(Duration::from_millis(50)).await {
            idle = Instant::now();
            match e {
                MsrpEvent::Data { offset, data, .. } => {
                    let at = base + offset;
                    out.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
                    out.write_all(&data).map_err(|e| e.to_string())?;
                    if at <= have {
                        have = have.max(at + data.len() as u64);
                    }
                    bar.set_position(have);
                }
                MsrpEvent::Streamed { .. } => {
                    bar.finish_and_clear();
                    out.flush().map_err(|e| e.to_string())?;
                    // give the success REPORT time to leave, then hang up
                    for _ in 0..5 {
                        let _ = link.step(Duration::from_millis(20)).await;
                    }
                    bye(ua, &mut dialog, remote).await;
                    return Ok(have);
                }
                _ => {}
            }
        }
        if let Some(limit) = *cut {
            if have >= limit {
                // a broken connection, on purpose: the resume is what is being shown
                *cut = None;
                link.closed = true;
                let _ = link.stream.shutdown().await;
                bar.abandon();
                return Ok(have);
            }
        }
        if sip_poll(ua) || link.closed || idle.elapsed() > Duration::from_secs(60) {
            bar.abandon();
            return Ok(have);
        }
    }
}

/// Invites the sender for the rest of the file: recvonly, its selector, a file-range from
/// the first missing byte.
async fn pull_rest(
    ua: &mut Ua,
    relay: Option<&str>,
    sender: &str,
    file: &FileTransfer,
    target: &Path,
    have: u64,
) -> Result<u64, String> {
    let size = file.selector.size.unwrap_or(0);
    let local = Local::new(ua, relay).await?;
    let mut media = local.media(&["*"], simple_msrp::offer_setup(true));
    let mut pull = FileTransfer::new(FileDirection::Receive, file.selector.clone(), &session_id());
    pull.range = Some(FileRange { start: have + 1, stop: Some(size) });
    pull.write_to(&mut media);
    let call = invite(ua, sender, &media).await.map_err(|c| format!("INVITE {sender}: {c}"))?;
    let answer =
        FileTransfer::from_media(&call.peer).ok().flatten().ok_or("no file in the answer")?;
    if answer.range != pull.range {
        return Err("the sender answered another range".into());
    }
    let link = connect_offerer(ua, local, &call, streaming_config()).await?;
    let mut never = None;
    receive_into(ua, link, call.dialog, call.remote, file, target, have, &mut never).await
}
