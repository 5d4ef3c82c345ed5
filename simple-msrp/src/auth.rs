//! The client side of relays (RFC 4976 §5.1): AUTH to each relay in turn (the second through
//! the first, and so on), answering digest challenges with simple-sip's [`DigestClient`],
//! and the paths that follow from the Use-Path the relays return:
//!
//! - To-Path of outgoing requests: the Use-Path, then the peer's `a=path`
//!   ([`RelayClient::to_path`]);
//! - our `a=path`: the Use-Path reversed, then our own URI ([`RelayClient::sdp_path`]).
//!
//! It is Sans-IO like [`crate::Session`]: feed the connection's bytes to
//! [`RelayClient::handle_input`] until [`AuthEvent::Authorized`], then hand the connection to
//! the session (with [`RelayClient::take_input`], whatever followed the last response), and
//! call [`RelayClient::refresh`] before the Use-Path expires.

use core::time::Duration;
use std::collections::VecDeque;
use std::time::Instant;

use simple_sip::digest::{DigestClient, Request as DigestRequest};
use simple_sip::headers::{TypedHeader as _, WwwAuthenticate};

use crate::error::Error;
use crate::frame::{Decoder, Frame, Message};
use crate::ids::Ids;
use crate::uri::MsrpUri;

/// Settings of a [`RelayClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthConfig {
    /// The relays to use, nearest first (each without a session id, e.g.
    /// `msrps://relay.example.com:2855;tcp`).
    pub relays: Vec<MsrpUri>,
    /// The digest username.
    pub username: String,
    /// The digest password.
    pub password: String,
    /// The lifetime to ask for (`Expires`), if any.
    pub expires: Option<u32>,
    /// How long to wait for an AUTH response (default 30 s).
    pub timeout: Duration,
}

impl AuthConfig {
    /// Authenticating as `username` to `relays`.
    pub fn new(relays: Vec<MsrpUri>, username: &str, password: &str) -> Self {
        Self {
            relays,
            username: username.to_owned(),
            password: password.to_owned(),
            expires: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthEvent {
    /// Every relay accepted us.
    Authorized {
        /// The Use-Path after the outermost relay, nearest first.
        use_path: Vec<MsrpUri>,
        /// The shortest lifetime the relays granted, in seconds.
        expires: u32,
    },
    /// A relay refused: a status other than 401/200, a 401 to our credentials (wrong
    /// password), or no response in time (`code: None`).
    Failed {
        /// The relay.
        relay: MsrpUri,
        /// The status, if one came.
        code: Option<u16>,
    },
}

/// Authenticates to one or more relays over the connection to the first.
#[derive(Debug)]
pub struct RelayClient {
    config: AuthConfig,
    local: MsrpUri,
    ids: Ids,
    digest: DigestClient,
    /// Index of the relay being authenticated to.
    index: usize,
    use_path: Vec<MsrpUri>,
    expires: Option<u32>,
    /// The AUTH in flight: its tid and when it times out.
    pending: Option<(String, Instant)>,
    /// The credentials for the next AUTH, if challenged.
    authorization: Option<String>,
    out: VecDeque<Vec<u8>>,
    decoder: Decoder,
    rx: Vec<u8>,
    events: VecDeque<AuthEvent>,
    done: bool,
    /// The response being read.
    head: Option<Response>,
}

/// What [`RelayClient`] keeps of a response until its end-line.
#[derive(Debug)]
struct Response {
    tid: String,
    code: u16,
    www: Option<String>,
    use_path: Option<String>,
    expires: Option<u32>,
}

impl RelayClient {
    /// A client whose own URI is `local` (the From-Path of its AUTHs). `seed`: 32 bytes from a
    /// random source, for transaction ids and cnonces.
    pub fn new(config: AuthConfig, seed: [u8; 32], local: MsrpUri) -> Self {
        let digest = DigestClient::new(&config.username, &config.password);
        Self {
            config,
            local,
            ids: Ids::new(seed),
            digest,
            index: 0,
            use_path: Vec::new(),
            expires: None,
            pending: None,
            authorization: None,
            out: VecDeque::new(),
            decoder: Decoder::default(),
            rx: Vec::new(),
            events: VecDeque::new(),
            done: false,
            head: None,
        }
    }

    /// Starts (or, after [`AuthEvent::Authorized`], refreshes) authentication: the first AUTH
    /// is queued.
    pub fn refresh(&mut self, now: Instant) {
        self.index = 0;
        self.use_path.clear();
        self.expires = None;
        self.done = false;
        self.authorization = None;
        self.send_auth(now);
    }

    /// Whether every relay accepted us.
    pub const fn is_authorized(&self) -> bool {
        self.done
    }

    /// The Use-Path so far (all of it once authorized).
    pub fn use_path(&self) -> &[MsrpUri] {
        &self.use_path
    }

    /// The To-Path for requests to a peer whose `a=path` is `peer`.
    pub fn to_path(&self, peer: &[MsrpUri]) -> Vec<MsrpUri> {
        self.use_path.iter().chain(peer).cloned().collect()
    }

    /// Our `a=path` for the SDP: the Use-Path reversed, then our URI.
    pub fn sdp_path(&self) -> Vec<MsrpUri> {
        self.use_path.iter().rev().chain(core::iter::once(&self.local)).cloned().collect()
    }

    fn to(&self) -> Vec<MsrpUri> {
        let mut to = self.use_path.clone();
        to.push(self.config.relays[self.index].clone());
        to
    }

    fn send_auth(&mut self, now: Instant) {
        if self.index >= self.config.relays.len() {
            return;
        }
        let tid = self.ids.text(11);
        let to = self.to();
        let mut m = Message::request(&tid, "AUTH", &to, core::slice::from_ref(&self.local));
        if let Some(a) = self.authorization.take() {
            m = m.with_header("Authorization", a);
        }
        if let Some(e) = self.config.expires {
            m = m.with_header("Expires", e);
        }
        self.out.push_back(m.to_vec());
        self.pending = Some((tid, now + self.config.timeout));
    }

    /// The next bytes to write to the connection, appended to `buf`.
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        let m = self.out.pop_front()?;
        buf.extend_from_slice(&m);
        Some(m.len())
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<AuthEvent> {
        self.events.pop_front()
    }

    /// When the AUTH in flight times out.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.as_ref().map(|(_, at)| *at)
    }

    /// Fails the AUTH in flight if its time is up.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.pending.as_ref().is_some_and(|(_, at)| *at <= now) {
            self.pending = None;
            let relay = self.config.relays[self.index].clone();
            self.events.push_back(AuthEvent::Failed { relay, code: None });
        }
    }

    /// Feeds bytes read from the connection (before it is handed to a session). Requests
    /// that arrive are left in [`RelayClient::take_input`].
    pub fn handle_input(&mut self, data: &[u8], now: Instant) -> Result<(), Error> {
        self.rx.extend_from_slice(data);
        let mut at = 0;
        loop {
            if self.done && self.head.is_none() && self.decoder.is_idle() {
                break; // what follows is the session's
            }
            let Some((frame, used)) =
                self.decoder.decode(&self.rx[at..]).map_err(|e| e.shifted(at))?
            else {
                break;
            };
            match frame {
                Frame::Head(h) if h.method().is_none() => {
                    // own what is needed: the head borrows the buffer
                    self.head = Some(Response {
                        tid: h.tid().to_owned(),
                        code: h.start.code().unwrap_or_default(),
                        www: h.header("WWW-Authenticate").map(str::to_owned),
                        use_path: h.header("Use-Path").map(str::to_owned),
                        expires: h.header("Expires").and_then(|e| e.parse().ok()),
                    });
                }
                Frame::Head(_) => break, // a request: the session's
                Frame::Data(_) => {}
                Frame::End(_) => {
                    if let Some(r) = self.head.take() {
                        let (www, up) = (r.www.as_deref(), r.use_path.as_deref());
                        self.on_response(&r.tid, r.code, www, up, r.expires, now);
                    }
                }
            }
            at += used;
        }
        self.rx.drain(..at);
        Ok(())
    }

    /// Input that followed the last response, for the session that takes over the
    /// connection.
    pub fn take_input(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.rx)
    }

    fn on_response(
        &mut self,
        tid: &str,
        code: u16,
        www: Option<&str>,
        use_path: Option<&str>,
        expires: Option<u32>,
        now: Instant,
    ) {
        if self.pending.as_ref().is_none_or(|(t, _)| t != tid) {
            return; // a late or foreign response
        }
        self.pending = None;
        let relay = self.config.relays[self.index].clone();
        let fail = |me: &mut Self, code| {
            me.events.push_back(AuthEvent::Failed { relay: relay.clone(), code })
        };
        match code {
            401 => {
                let Some(challenge) = www.and_then(|w| WwwAuthenticate::parse(w.as_bytes()).ok())
                else {
                    return fail(self, Some(401));
                };
                // H(A2) covers the rightmost To-Path URI: the relay's
                let uri = relay.to_string();
                let request = DigestRequest { method: "AUTH", uri: &uri, body: b"" };
                let cnonce = self.ids.text(16);
                match self.digest.answer(&challenge, &request, &cnonce) {
                    Ok(a) => {
                        self.authorization = Some(a);
                        self.send_auth(now);
                    }
                    Err(_) => fail(self, Some(401)),
                }
            }
            200 => {
                self.digest.succeeded();
                let list = use_path.and_then(|u| MsrpUri::parse_list(u).ok()).unwrap_or_default();
                let Some(last) = list.last() else { return fail(self, Some(200)) };
                if list.starts_with(&self.use_path) {
                    self.use_path = list;
                } else {
                    // a relay that names only its own URI
                    self.use_path.push(last.clone());
                }
                self.expires = match (self.expires, expires) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                self.index += 1;
                if self.index < self.config.relays.len() {
                    self.send_auth(now);
                } else {
                    self.done = true;
                    self.index = self.config.relays.len() - 1;
                    let expires = self.expires.unwrap_or(0);
                    let use_path = self.use_path.clone();
                    self.events.push_back(AuthEvent::Authorized { use_path, expires });
                }
            }
            code => fail(self, Some(code)),
        }
    }
}
