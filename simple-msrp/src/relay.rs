//! A Sans-IO MSRP relay (RFC 4976 §6): it authenticates clients with digest (simple-sip's
//! [`DigestServer`]), hands out Use-Path URIs bound to the client's connection, and forwards
//! SEND, REPORT and other requests and their responses between connections **chunk by chunk
//! as they arrive**: nothing is reassembled, so a message of any size passes through a bounded
//! amount of memory.
//!
//! The relay owns no socket. Connections are named by [`ConnectionId`]s it gives out:
//! [`Relay::accept`] for one a client opened, [`RelayEvent::Connect`] for one it wants opened
//! to a next hop. The loop:
//!
//! 1. **in**: [`Relay::handle_input`] with what a connection read (only while
//!    [`Relay::wants_input`] says so: that is the back-pressure which keeps memory flat),
//!    [`Relay::established`] / [`Relay::closed`] as connections come and go, and
//!    [`Relay::handle_timeout`] at the deadline of step 4;
//! 2. [`Relay::poll_transmit`] until `None`, writing each piece to the connection it names;
//! 3. [`Relay::poll_event`] until `None` (open or close connections, log what happened);
//! 4. [`Relay::poll_timeout`]: when to call [`Relay::handle_timeout`] and which [`RelayTimer`].
//!
//! What it does with a request, in order (§6.2–§6.4):
//! - the first To-Path URI must be this relay's (else the connection is dropped, §6.2);
//! - an AUTH addressed to the relay alone is answered here: 401 with a challenge, 200 with
//!   `Use-Path`, `Expires` and `Authentication-Info`, 423 for an `Expires` out of bounds, 403
//!   after too many failures (the connection is then dropped);
//! - anything else names one of our Use-Path URIs: 481 if it is unknown or expired; forwarded
//!   if the next hop leads back to the client that obtained it, or if it came in on that
//!   client's connection; 506 if it claims to come from that client over another connection;
//!   403 otherwise;
//! - a forwarded SEND is answered 200 at once (hop by hop, §6.4.1) and gets a new transaction
//!   id on the next connection; an error response from the next hop, a 30-second silence or a
//!   lost connection becomes a failure REPORT to the sender when its Failure-Report asks;
//! - responses to forwarded AUTH and other end-to-end requests go back with the original
//!   transaction id, the relay's URI moved from To-Path to From-Path (§6.4.3).

use core::time::Duration;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Instant;

use memchr::memmem::Finder;
use simple_sip::digest::{
    Algorithm, DigestServer, Rejection, Request as DigestRequest, Secret, ServerConfig, Verdict,
};
use simple_sip::headers::Authorization;
use simple_sip::headers::TypedHeader as _;

use crate::error::Error;
use crate::frame::{Decoder, Flag, Frame, Head, Message, Method, ParseConfig};
use crate::headers::{ByteRange, FailureReport, ReportStatus};
use crate::ids::Ids;
use crate::session::{clean_prefix, keep_tail};
use crate::uri::{MsrpUri, write_path};

/// A connection of the relay, named by the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(u64);

impl ConnectionId {
    /// The number behind it (for logs and maps).
    pub const fn raw(self) -> u64 {
        self.0
    }
}

/// Settings of a [`Relay`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelayConfig {
    /// This relay's URI without a session id: the scheme (msrps for TLS), host and port that
    /// Use-Path URIs carry and that identify the relay in To-Path.
    pub uri: MsrpUri,
    /// Other host names and addresses clients may use for this relay in To-Path.
    pub aliases: Vec<String>,
    /// The digest realm (default: the relay's host name, §5.1).
    pub realm: String,
    /// The digest algorithm of challenges (default MD5, the one RFC 4976 clients know; not a
    /// `-sess` one, §9.1).
    pub algorithm: Algorithm,
    /// Use-Path lifetime when the AUTH asks none (default 30 minutes).
    pub default_expires: u32,
    /// Shortest lifetime granted (default 60 s); shorter requests get 423 with Min-Expires.
    pub min_expires: u32,
    /// Longest lifetime granted (default 1 hour); longer requests get 423 with Max-Expires.
    pub max_expires: u32,
    /// How long a forwarded chunk with `Failure-Report: yes` waits for the next hop's response
    /// before the sender gets a 408 REPORT (default 30 s, §6.4.1).
    pub transaction_timeout: Duration,
    /// How long a new connection has to make its first successful request (default 30 s,
    /// §6.1).
    pub probation: Duration,
    /// Failed AUTHs on one connection before it is refused with 403 and dropped (default 3).
    pub max_auth_failures: u32,
    /// Bytes queued for one connection above which the connections feeding it are not read
    /// (default 256 KiB): the memory a busy connection can hold.
    pub max_queued: usize,
    /// Unparsed input held per connection (default 64 KiB beyond a head): feeding more while
    /// [`Relay::wants_input`] says no closes the connection.
    pub max_input: usize,
    /// Most bytes one [`Relay::poll_transmit`] hands out (default 64 KiB).
    pub max_transmit: usize,
    /// Limits of the framing decoder.
    pub parse: ParseConfig,
}

impl RelayConfig {
    /// The defaults for a relay at `uri` (e.g. `msrps://relay.example.com:2855;tcp`).
    pub fn new(uri: MsrpUri) -> Self {
        let mut uri = uri;
        uri.session_id = None;
        uri.userinfo = None;
        Self {
            realm: uri.host.clone(),
            uri,
            aliases: Vec::new(),
            algorithm: Algorithm::Md5,
            default_expires: 1800,
            min_expires: 60,
            max_expires: 3600,
            transaction_timeout: Duration::from_secs(30),
            probation: Duration::from_secs(30),
            max_auth_failures: 3,
            max_queued: 256 << 10,
            max_input: 64 << 10,
            max_transmit: 64 << 10,
            parse: ParseConfig::default(),
        }
    }
}

/// The timers of a [`Relay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RelayTimer {
    /// A forwarded chunk or request whose response has not come in time.
    Transaction,
    /// A Use-Path URI reaching its Expires.
    Binding,
    /// A connection that made no successful request within its probation.
    Probation,
}

/// Why the relay wants a connection closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The bytes it sent are not MSRP.
    Protocol(Error),
    /// A request that is not addressed to this relay (§6.2).
    NotAddressed,
    /// No successful request within the probation (§6.1).
    Probation,
    /// Too many failed AUTHs (§6.3).
    AuthFailures,
    /// More input was fed than [`RelayConfig::max_input`] while the relay asked for none.
    Overrun,
}

/// What the caller must do or may want to know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayEvent {
    /// Open a connection to `host:port` (TLS when `secure`) and call [`Relay::established`]
    /// with `conn`, or [`Relay::closed`] if it cannot be opened.
    Connect {
        /// The name the relay gives it.
        conn: ConnectionId,
        /// Host name or address, as the URI wrote it.
        host: String,
        /// The port (2855 when the URI gave none).
        port: u16,
        /// `msrps`.
        secure: bool,
    },
    /// Close this connection; the relay has forgotten it already.
    Close {
        /// The connection.
        conn: ConnectionId,
        /// Why.
        reason: CloseReason,
    },
    /// A client authenticated and got a Use-Path URI.
    Authorized {
        /// Its connection.
        conn: ConnectionId,
        /// The digest username.
        username: String,
        /// The URI handed out.
        use_path: MsrpUri,
        /// Its lifetime in seconds.
        expires: u32,
    },
    /// An AUTH was refused (401 after credentials, 403, 423).
    AuthFailed {
        /// The connection.
        conn: ConnectionId,
        /// The username it tried, if any.
        username: Option<String>,
        /// The status sent.
        code: u16,
    },
    /// A request was refused with this status (403, 481, 501, 506).
    Refused {
        /// The connection it came in on.
        conn: ConnectionId,
        /// Its method.
        method: String,
        /// The status.
        code: u16,
    },
    /// A failure REPORT was sent back towards a message's sender.
    Reported {
        /// The Message-ID.
        message_id: String,
        /// The status it carries (408 for a timeout or lost connection).
        code: u16,
    },
    /// A Use-Path URI expired or its client's connection closed; it routes nothing now.
    Unbound {
        /// The URI.
        use_path: MsrpUri,
    },
}

#[derive(Debug)]
struct Binding {
    conn: ConnectionId,
    /// The previous hop of the AUTH (the client, or the inner relay): where "back toward the
    /// client" leads.
    prev_hop: MsrpUri,
    uri: MsrpUri,
    expires_at: Instant,
}

/// A chunk being written to a connection on behalf of a source.
#[derive(Debug)]
struct Piece {
    tid: String,
    dashed: Finder<'static>,
    /// 1-based position of its first byte.
    start: u64,
    /// Body bytes written.
    written: u64,
    /// The last bytes written, to find an end-line across pieces of input.
    tail: Vec<u8>,
}

/// A request being forwarded from a source connection.
#[derive(Debug)]
struct Forward {
    dest: ConnectionId,
    method: String,
    tid: String,
    /// The rewritten head lines without Byte-Range (To-Path, From-Path first).
    headers: Vec<(String, String)>,
    message_id: Option<String>,
    range: Option<ByteRange>,
    /// 1-based position of the next body byte.
    next: u64,
    failure_report: FailureReport,
    has_body: bool,
    /// The request's From-Path as it came in: the way back to the sender.
    back: Vec<MsrpUri>,
    /// Ours, as the request named it (From-Path of what we send back).
    us: MsrpUri,
    piece: Option<Piece>,
    /// The next connection went away: the rest is dropped and answered with this code.
    lost: Option<u16>,
}

/// What is done with the request being read.
#[derive(Debug)]
enum Rx {
    Idle,
    /// Skip to the end-line (a response, a refused request, a local AUTH), then send `reply`.
    Skip {
        reply: Option<Vec<u8>>,
    },
    Forward(Box<Forward>),
}

#[derive(Debug)]
struct Conn {
    decoder: Decoder,
    rx: Vec<u8>,
    state: Rx,
    /// Bytes ready to write.
    out: VecDeque<u8>,
    /// Whole messages waiting for the chunk in progress on this connection to end.
    urgent: VecDeque<Vec<u8>>,
    /// The source whose chunk is being written here, if any.
    active: Option<ConnectionId>,
    established: bool,
    /// `(host, port, secure)` of an outbound connection.
    target: Option<(String, u16, bool)>,
    /// Whether a request from it succeeded (the probation is over).
    proven: bool,
    auth_failures: u32,
    /// The destination whose lock the head waiting in `rx` needs.
    waiting_for: Option<ConnectionId>,
    /// Sources to wake when this connection has room or its lock is free.
    waiters: Vec<ConnectionId>,
    /// To be closed once its output is written (a 403 before the drop).
    closing: Option<CloseReason>,
    /// The caller can take bytes for it now ([`Relay::set_writable`]).
    writable: bool,
    /// In `Relay::ready` (so that queueing it is O(1)).
    in_ready: bool,
    /// In `Relay::wake`.
    in_wake: bool,
}

impl Conn {
    fn new(parse: &ParseConfig, established: bool) -> Self {
        Self {
            decoder: Decoder::new(parse.clone()),
            rx: Vec::new(),
            state: Rx::Idle,
            out: VecDeque::new(),
            urgent: VecDeque::new(),
            active: None,
            established,
            target: None,
            proven: false,
            auth_failures: 0,
            waiting_for: None,
            waiters: Vec::new(),
            closing: None,
            writable: true,
            in_ready: false,
            in_wake: false,
        }
    }
}

#[derive(Debug)]
enum Tx {
    /// A forwarded chunk of a SEND.
    Piece {
        src: ConnectionId,
        back: Vec<MsrpUri>,
        us: MsrpUri,
        message_id: Option<String>,
        range: ByteRange,
        failure_report: FailureReport,
    },
    /// A forwarded end-to-end request (AUTH, another method) whose response goes back.
    EndToEnd { src: ConnectionId, tid: String },
}

/// Looks up a user's secret.
type Credentials = Box<dyn FnMut(&str) -> Option<Secret> + Send>;

/// The relay. See the module docs for the run loop.
pub struct Relay {
    config: RelayConfig,
    ids: Ids,
    digest: DigestServer,
    credentials: Credentials,
    next_conn: u64,
    conns: HashMap<ConnectionId, Conn>,
    /// Outbound connections by `(host lower-cased, port, secure)`.
    routes: HashMap<(String, u16, bool), ConnectionId>,
    bindings: HashMap<String, Binding>,
    expiries: BTreeSet<(Instant, String)>,
    /// Open transactions by (connection, our transaction id).
    txs: HashMap<(ConnectionId, String), Tx>,
    /// Transaction deadlines in time order (the timeout is fixed).
    deadlines: VecDeque<(Instant, ConnectionId, String)>,
    probations: VecDeque<(Instant, ConnectionId)>,
    /// Connections with bytes to write, in the order they got them.
    ready: VecDeque<ConnectionId>,
    /// Sources to pump again.
    wake: VecDeque<ConnectionId>,
    events: VecDeque<RelayEvent>,
}

impl core::fmt::Debug for Relay {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Relay")
            .field("uri", &self.config.uri)
            .field("connections", &self.conns.len())
            .field("bindings", &self.bindings.len())
            .finish_non_exhaustive()
    }
}

/// The default MSRP port (RFC 4975 §15.1).
const DEFAULT_PORT: u16 = 2855;

impl Relay {
    /// A relay with `config`. `seed` is 32 bytes from a cryptographic random source: every
    /// Use-Path URI, nonce and transaction id is derived from it and must not be guessable
    /// (§6.3). `credentials` gives a user's password or stored digest `H(A1)` for the
    /// configured realm and algorithm (`None`: no such user).
    pub fn new(
        config: RelayConfig,
        seed: [u8; 32],
        credentials: impl FnMut(&str) -> Option<Secret> + Send + 'static,
    ) -> Self {
        let mut sc = ServerConfig::new(&config.realm);
        sc.algorithm = config.algorithm;
        Self {
            digest: DigestServer::new(sc),
            config,
            ids: Ids::new(seed),
            credentials: Box::new(credentials),
            next_conn: 0,
            conns: HashMap::new(),
            routes: HashMap::new(),
            bindings: HashMap::new(),
            expiries: BTreeSet::new(),
            txs: HashMap::new(),
            deadlines: VecDeque::new(),
            probations: VecDeque::new(),
            ready: VecDeque::new(),
            wake: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &RelayConfig {
        &self.config
    }

    /// A connection a client opened: returns its name. It must make a successful request
    /// within [`RelayConfig::probation`].
    pub fn accept(&mut self, now: Instant) -> ConnectionId {
        let id = self.new_conn(true);
        self.probations.push_back((now + self.config.probation, id));
        id
    }

    fn new_conn(&mut self, established: bool) -> ConnectionId {
        self.next_conn += 1;
        let id = ConnectionId(self.next_conn);
        self.conns.insert(id, Conn::new(&self.config.parse, established));
        id
    }

    /// The connection asked for by [`RelayEvent::Connect`] is open: what waited for it goes
    /// out.
    pub fn established(&mut self, conn: ConnectionId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.established = true;
            c.proven = true;
        }
        self.mark_ready(conn);
    }

    /// Whether the caller can take bytes for `conn` now (default yes). While it cannot (its
    /// socket's send buffer is full), [`Relay::poll_transmit`] gives nothing for it, its
    /// queue fills to [`RelayConfig::max_queued`] and the connections feeding it stop being
    /// read: memory stays flat however slow the reader.
    pub fn set_writable(&mut self, conn: ConnectionId, writable: bool) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.writable = writable;
            if writable {
                self.mark_ready(conn);
            }
        }
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// Use-Path URIs valid now.
    pub fn bindings(&self) -> usize {
        self.bindings.len()
    }

    /// Bytes the relay holds for `conn`: its unparsed input and its queued output.
    pub fn buffered(&self, conn: ConnectionId) -> usize {
        self.conns
            .get(&conn)
            .map_or(0, |c| c.rx.len() + c.out.len() + c.urgent.iter().map(Vec::len).sum::<usize>())
    }

    /// Whether to read from `conn` now. It is `false` while what `conn` sends cannot move on
    /// (the next connection has [`RelayConfig::max_queued`] bytes waiting, or another
    /// source's chunk is being written there); reading resumes as output drains.
    pub fn wants_input(&self, conn: ConnectionId) -> bool {
        let Some(c) = self.conns.get(&conn) else { return false };
        c.closing.is_none() && self.blocked(conn).is_none() && c.rx.len() < self.config.max_input
    }

    /// The destination the source's next step must wait for, if it must.
    fn blocked(&self, src: ConnectionId) -> Option<ConnectionId> {
        let c = self.conns.get(&src)?;
        let dest = match &c.state {
            Rx::Forward(f) if f.lost.is_none() => f.dest,
            Rx::Idle => c.waiting_for?,
            Rx::Forward(_) | Rx::Skip { .. } => return None,
        };
        let d = self.conns.get(&dest)?;
        let busy = d.out.len() >= self.config.max_queued || d.active.is_some_and(|a| a != src);
        busy.then_some(dest)
    }

    /// Feeds what `conn` read.
    pub fn handle_input(&mut self, conn: ConnectionId, data: &[u8], now: Instant) {
        let limit = self.config.max_input + self.config.parse.max_head_size;
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.closing.is_some() {
            return; // going away: what it sends now is not read
        }
        if c.rx.len() + data.len() > limit && !data.is_empty() {
            self.drop_conn(conn, CloseReason::Overrun, now);
            return;
        }
        c.rx.extend_from_slice(data);
        self.pump(conn, now);
        self.run_wakes(now);
    }

    /// Decodes and handles what `src` sent, as far as its destinations let it.
    fn pump(&mut self, src: ConnectionId, now: Instant) {
        let Some(c) = self.conns.get_mut(&src) else { return };
        let mut rx = core::mem::take(&mut c.rx);
        let mut at = 0;
        loop {
            if let Some(dest) = self.blocked(src) {
                if let Some(d) = self.conns.get_mut(&dest) {
                    if !d.waiters.contains(&src) {
                        d.waiters.push(src);
                    }
                }
                break;
            }
            let Some(c) = self.conns.get_mut(&src) else { return };
            if c.closing.is_some() {
                return; // its input is not read any more
            }
            let saved = matches!(c.state, Rx::Idle).then(|| c.decoder.clone());
            let (frame, used) = match c.decoder.decode(&rx[at..]) {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    self.drop_conn(src, CloseReason::Protocol(e.shifted(at)), now);
                    return;
                }
            };
            let go = match frame {
                Frame::Head(h) => self.on_head(src, &h, now),
                Frame::Data(d) => {
                    self.on_data(src, d, now);
                    true
                }
                Frame::End(flag) => {
                    self.on_end(src, flag, now);
                    true
                }
            };
            if go {
                at += used;
            } else if let (Some(c), Some(d)) = (self.conns.get_mut(&src), saved) {
                c.decoder = d; // the head is read again when its destination is free
            }
        }
        if let Some(c) = self.conns.get_mut(&src) {
            rx.drain(..at);
            c.rx = rx;
        }
    }

    /// Pumps the sources that waited for room or a lock, until none can move.
    fn run_wakes(&mut self, now: Instant) {
        let mut budget = self.conns.len() * 4 + 16;
        while let Some(id) = self.wake.pop_front() {
            if let Some(c) = self.conns.get_mut(&id) {
                c.in_wake = false;
            }
            self.pump(id, now);
            budget -= 1;
            if budget == 0 {
                break;
            }
        }
    }

    /// Lets the sources waiting for `dest` try again.
    fn wake_waiters(&mut self, dest: ConnectionId) {
        let Some(d) = self.conns.get_mut(&dest) else { return };
        if d.out.len() >= self.config.max_queued {
            return;
        }
        // the source holding the lock (mid-chunk, waiting for room) can go on, and anyone
        // once the lock is free; the others keep waiting for it
        let active = d.active;
        let (go, stay): (Vec<ConnectionId>, Vec<ConnectionId>) = core::mem::take(&mut d.waiters)
            .into_iter()
            .partition(|w| active.is_none_or(|a| a == *w));
        d.waiters = stay;
        for w in go {
            self.queue_wake(w);
        }
    }

    fn is_ours(&self, u: &MsrpUri) -> bool {
        let me = &self.config.uri;
        u.secure == me.secure
            && (u.host.eq_ignore_ascii_case(&me.host)
                || self.config.aliases.iter().any(|a| a.eq_ignore_ascii_case(&u.host)))
            && u.port.is_none_or(|p| Some(p) == me.port)
    }

    /// Handles a head; `false` when it must wait (its destination is busy).
    fn on_head(&mut self, src: ConnectionId, h: &Head<'_>, now: Instant) -> bool {
        let Some(method) = h.method() else {
            self.on_response(src, h);
            self.set_state(src, Rx::Skip { reply: None });
            return true;
        };
        if h.to_path.first().is_none_or(|u| !self.is_ours(u)) {
            self.drop_conn(src, CloseReason::NotAddressed, now);
            return true;
        }
        if method == Method::Auth && h.to_path.len() == 1 {
            let reply = self.auth(src, h, now);
            self.set_state(src, Rx::Skip { reply: Some(reply) });
            return true;
        }
        match self.route(src, h) {
            Err(code) => {
                let is_report = method == Method::Report;
                let reply = (!is_report && h.failure_report != FailureReport::No)
                    .then(|| self.response(h, code));
                self.events.push_back(RelayEvent::Refused {
                    conn: src,
                    method: method.as_str().to_owned(),
                    code,
                });
                self.set_state(src, Rx::Skip { reply });
                true
            }
            Ok((dest, popped)) => {
                if self.conns.get(&dest).is_some_and(|d| d.active.is_some_and(|a| a != src)) {
                    if let Some(c) = self.conns.get_mut(&src) {
                        c.waiting_for = Some(dest);
                    }
                    return false;
                }
                let mut to = h.to_path.clone();
                to.drain(..popped.len());
                let mut from: Vec<MsrpUri> = popped.iter().rev().cloned().collect();
                from.extend(h.from_path.iter().cloned());
                let mut headers = vec![
                    ("To-Path".to_owned(), write_path(&to)),
                    ("From-Path".to_owned(), write_path(&from)),
                ];
                for (n, v) in &h.headers {
                    if !["to-path", "from-path", "byte-range"]
                        .iter()
                        .any(|x| n.eq_ignore_ascii_case(x))
                    {
                        headers.push(((*n).to_owned(), (*v).to_owned()));
                    }
                }
                if let Some(c) = self.conns.get_mut(&src) {
                    c.proven = true;
                    c.waiting_for = None;
                }
                let f = Forward {
                    dest,
                    method: method.as_str().to_owned(),
                    tid: h.tid().to_owned(),
                    headers,
                    message_id: h.message_id.map(str::to_owned),
                    range: h.byte_range,
                    next: h.byte_range.map_or(1, |b| b.start),
                    failure_report: h.failure_report,
                    has_body: h.has_body,
                    back: h.from_path.clone(),
                    us: h.to_path[0].clone(),
                    piece: None,
                    lost: None,
                };
                self.set_state(src, Rx::Forward(Box::new(f)));
                true
            }
        }
    }

    fn set_state(&mut self, conn: ConnectionId, state: Rx) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.state = state;
        }
    }

    /// Where a request goes: the next connection and the URIs of ours it consumed, or the
    /// status to refuse it with.
    fn route(
        &mut self,
        src: ConnectionId,
        h: &Head<'_>,
    ) -> Result<(ConnectionId, Vec<MsrpUri>), u16> {
        let mut popped = Vec::new();
        let mut i = 0;
        loop {
            let u = &h.to_path[i];
            let sid = u.session_id.as_deref().ok_or(481u16)?;
            let b = self.bindings.get(sid).ok_or(481u16)?;
            popped.push(u.clone());
            let next = h.to_path.get(i + 1).ok_or(403u16)?;
            if next.matches(&b.prev_hop) {
                // back toward the client that obtained the URI
                return if self.conns.contains_key(&b.conn) {
                    Ok((b.conn, popped))
                } else {
                    Err(481)
                };
            }
            if i > 0 || src != b.conn {
                let claims_client = h.from_path.first().is_some_and(|f| f.matches(&b.prev_hop));
                return Err(if claims_client && i == 0 { 506 } else { 403 });
            }
            // from the client: on to the next hop
            if self.is_ours(next) {
                i += 1;
                continue;
            }
            let key =
                (next.host.to_ascii_lowercase(), next.port.unwrap_or(DEFAULT_PORT), next.secure);
            if let Some(&c) = self.routes.get(&key) {
                if self.conns.contains_key(&c) {
                    return Ok((c, popped));
                }
            }
            let c = self.new_conn(false);
            self.conns.get_mut(&c).expect("just made").target = Some(key.clone());
            self.routes.insert(key, c);
            self.events.push_back(RelayEvent::Connect {
                conn: c,
                host: next.host.clone(),
                port: next.port.unwrap_or(DEFAULT_PORT),
                secure: next.secure,
            });
            return Ok((c, popped));
        }
    }

    /// A response to `h` (hop by hop: To-Path is the previous hop, From-Path the URI of ours
    /// it named).
    fn response(&self, h: &Head<'_>, code: u16) -> Vec<u8> {
        let to = h.from_path.first().map(core::slice::from_ref).unwrap_or_default();
        let from = h.to_path.first().map(core::slice::from_ref).unwrap_or_default();
        Message::response(h.tid(), code, Some(comment(code)), to, from).to_vec()
    }

    /// Answers an AUTH addressed to this relay (§6.3).
    fn auth(&mut self, src: ConnectionId, h: &Head<'_>, now: Instant) -> Vec<u8> {
        // end to end: the response retraces the whole From-Path
        let respond = |code: u16, extra: &[(&str, String)]| {
            let mut m = Message::response(
                h.tid(),
                code,
                Some(comment(code)),
                &h.from_path,
                core::slice::from_ref(&h.to_path[0]),
            );
            for (n, v) in extra {
                m = m.with_header(n, v);
            }
            m.to_vec()
        };
        let challenge = |me: &mut Self, stale: bool| {
            let b = me.ids.bytes();
            let random: [u8; 16] = b[..16].try_into().expect("16 of 32 bytes");
            let www = if stale {
                me.digest.challenge_stale(now, random)
            } else {
                me.digest.challenge(now, random)
            };
            respond(401, &[("WWW-Authenticate", www)])
        };
        let Some(value) = h.header("Authorization") else { return challenge(self, false) };
        // H(A2) covers the rightmost To-Path URI as written (§9.1)
        let to_text = h.header("To-Path").unwrap_or_default();
        let uri = to_text.rsplit(' ').next().unwrap_or_default();
        let request = DigestRequest { method: "AUTH", uri, body: b"" };
        let Ok(creds) = Authorization::parse(value.as_bytes()) else {
            return self.auth_failed(src, h, None, 400, respond(400, &[]));
        };
        let username = creds.param("username").map(|u| u.into_owned());
        let mut secret = None;
        let credentials = &mut self.credentials;
        let verdict = self.digest.verify(&creds, &request, now, |u| {
            secret = credentials(u);
            secret.clone()
        });
        match verdict {
            Verdict::Authorized { username } => {
                let expires = match h.header("Expires").map(str::parse::<u32>) {
                    None => self.config.default_expires.min(self.config.max_expires),
                    Some(Ok(e)) if e < self.config.min_expires => {
                        let v = self.config.min_expires.to_string();
                        let r = respond(423, &[("Min-Expires", v)]);
                        return self.auth_failed(src, h, Some(username), 423, r);
                    }
                    Some(Ok(e)) if e > self.config.max_expires => {
                        let v = self.config.max_expires.to_string();
                        let r = respond(423, &[("Max-Expires", v)]);
                        return self.auth_failed(src, h, Some(username), 423, r);
                    }
                    Some(Ok(e)) => e,
                    Some(Err(_)) => {
                        return self.auth_failed(src, h, Some(username), 400, respond(400, &[]));
                    }
                };
                let secret = secret.expect("an authorized user has a secret");
                let info = self.digest.authentication_info(&creds, &request, &secret);
                // 22 base-62 characters: about 131 random bits
                let sid = self.ids.text(22);
                let mut use_path = self.config.uri.clone();
                use_path.session_id = Some(sid.clone());
                let expires_at = now + Duration::from_secs(u64::from(expires));
                self.bindings.insert(
                    sid.clone(),
                    Binding {
                        conn: src,
                        prev_hop: h.from_path[0].clone(),
                        uri: use_path.clone(),
                        expires_at,
                    },
                );
                self.expiries.insert((expires_at, sid));
                if let Some(c) = self.conns.get_mut(&src) {
                    c.proven = true;
                    c.auth_failures = 0;
                }
                self.events.push_back(RelayEvent::Authorized {
                    conn: src,
                    username,
                    use_path: use_path.clone(),
                    expires,
                });
                // through inner relays (From-Path before the client), the list runs from the
                // client's first relay out to us: what the client puts before its peer's path
                let mut list: Vec<MsrpUri> =
                    h.from_path[..h.from_path.len() - 1].iter().rev().cloned().collect();
                list.push(use_path);
                let mut extra = vec![("Use-Path", write_path(&list))];
                if let Some(info) = info {
                    extra.push(("Authentication-Info", info));
                }
                extra.push(("Expires", expires.to_string()));
                respond(200, &extra)
            }
            Verdict::Stale | Verdict::Rejected(Rejection::UnknownNonce) => challenge(self, true),
            // (Verdict is non-exhaustive: anything else is a refusal too)
            Verdict::Rejected(_) | _ => {
                let r = challenge(self, false);
                self.auth_failed(src, h, username, 401, r)
            }
        }
    }

    /// Counts a failed AUTH; past the limit the answer is 403 and the connection goes
    /// (once the 403 is queued, in `on_end`).
    fn auth_failed(
        &mut self,
        src: ConnectionId,
        h: &Head<'_>,
        username: Option<String>,
        code: u16,
        reply: Vec<u8>,
    ) -> Vec<u8> {
        let Some(c) = self.conns.get_mut(&src) else { return reply };
        c.auth_failures += 1;
        let too_many = c.auth_failures >= self.config.max_auth_failures;
        let code = if too_many { 403 } else { code };
        self.events.push_back(RelayEvent::AuthFailed { conn: src, username, code });
        if !too_many {
            return reply;
        }
        let from = core::slice::from_ref(&h.to_path[0]);
        Message::response(h.tid(), 403, Some(comment(403)), &h.from_path, from).to_vec()
    }

    fn on_data(&mut self, src: ConnectionId, d: &[u8], now: Instant) {
        let Some(c) = self.conns.get_mut(&src) else { return };
        if !matches!(&c.state, Rx::Forward(f) if f.lost.is_none()) {
            return;
        }
        // taken out while the pieces are written, put back below
        let Rx::Forward(mut f) = core::mem::replace(&mut c.state, Rx::Idle) else { return };
        let mut rest = d;
        while !rest.is_empty() {
            if f.piece.is_none() {
                self.start_piece(src, &mut f);
            }
            let dest = f.dest;
            let piece = f.piece.as_mut().expect("started above");
            let n = clean_prefix(rest, &piece.dashed, &piece.tail);
            let Some(dc) = self.conns.get_mut(&dest) else { break };
            dc.out.extend(&rest[..n]);
            piece.written += n as u64;
            keep_tail(&mut piece.tail, &rest[..n]);
            f.next += n as u64;
            rest = &rest[n..];
            if !rest.is_empty() {
                // the body would carry this chunk's end-line: end it, go on in another
                self.end_piece(src, &mut f, Flag::More, now);
            }
        }
        self.mark_ready(f.dest);
        if let Some(c) = self.conns.get_mut(&src) {
            c.state = Rx::Forward(f);
        }
    }

    /// Writes the head of a new chunk of `f` to its destination and takes its lock.
    fn start_piece(&mut self, src: ConnectionId, f: &mut Forward) {
        let tid = self.ids.text(11);
        let Some(dc) = self.conns.get_mut(&f.dest) else { return };
        // what waited for the end of the previous chunk goes first
        while let Some(m) = dc.urgent.pop_front() {
            dc.out.extend(m);
        }
        dc.active = Some(src);
        let mut head = Vec::with_capacity(256);
        head.extend_from_slice(b"MSRP ");
        head.extend_from_slice(tid.as_bytes());
        head.push(b' ');
        head.extend_from_slice(f.method.as_bytes());
        head.extend_from_slice(b"\r\n");
        for (i, (n, v)) in f.headers.iter().enumerate() {
            head.extend_from_slice(n.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(v.as_bytes());
            head.extend_from_slice(b"\r\n");
            if i == 1 {
                if let Some(r) = f.range {
                    let r = ByteRange { start: f.next, ..r };
                    head.extend_from_slice(format!("Byte-Range: {r}\r\n").as_bytes());
                }
            }
        }
        if f.has_body {
            head.extend_from_slice(b"\r\n");
        }
        dc.out.extend(head);
        let mut dashed = b"-------".to_vec();
        dashed.extend_from_slice(tid.as_bytes());
        f.piece = Some(Piece {
            dashed: Finder::new(&dashed).into_owned(),
            tid,
            start: f.next,
            written: 0,
            tail: Vec::new(),
        });
    }

    /// Ends the chunk in progress of `f` with `flag`, opens its transaction, frees the lock.
    fn end_piece(&mut self, src: ConnectionId, f: &mut Forward, flag: Flag, now: Instant) {
        let Some(p) = f.piece.take() else { return };
        let Some(dc) = self.conns.get_mut(&f.dest) else { return };
        if f.has_body {
            dc.out.extend(b"\r\n");
        }
        dc.out.extend(b"-------");
        dc.out.extend(p.tid.as_bytes());
        dc.out.push_back(flag.as_byte());
        dc.out.extend(b"\r\n");
        dc.active = None;
        while let Some(m) = dc.urgent.pop_front() {
            dc.out.extend(m);
        }
        self.wake_waiters(f.dest);
        let key = (f.dest, p.tid);
        let is_send = f.method == "SEND";
        if is_send && flag != Flag::Abort && f.failure_report != FailureReport::No {
            let end = if p.written == 0 { p.start } else { p.start + p.written - 1 };
            let range =
                ByteRange { start: p.start, end: Some(end), total: f.range.and_then(|r| r.total) };
            self.txs.insert(
                key.clone(),
                Tx::Piece {
                    src,
                    back: f.back.clone(),
                    us: f.us.clone(),
                    message_id: f.message_id.clone(),
                    range,
                    failure_report: f.failure_report,
                },
            );
            self.deadlines.push_back((now + self.config.transaction_timeout, key.0, key.1));
        } else if !is_send && f.method != "REPORT" && flag != Flag::Abort {
            self.txs.insert(key.clone(), Tx::EndToEnd { src, tid: f.tid.clone() });
            self.deadlines.push_back((now + self.config.transaction_timeout, key.0, key.1));
        }
        self.mark_ready(f.dest);
    }

    fn on_end(&mut self, src: ConnectionId, flag: Flag, now: Instant) {
        let Some(c) = self.conns.get_mut(&src) else { return };
        match core::mem::replace(&mut c.state, Rx::Idle) {
            Rx::Idle => {}
            Rx::Skip { reply } => {
                if let Some(r) = reply {
                    self.send_urgent(src, r);
                }
                let dropped = self
                    .conns
                    .get(&src)
                    .is_some_and(|c| c.auth_failures >= self.config.max_auth_failures);
                if dropped {
                    self.close_after_flush(src, CloseReason::AuthFailures, now);
                }
            }
            Rx::Forward(mut f) => {
                if let Some(code) = f.lost {
                    self.answer_forward(src, &f, code);
                    return;
                }
                if f.piece.is_none() {
                    self.start_piece(src, &mut f); // a bodiless request, or an empty chunk
                }
                self.end_piece(src, &mut f, flag, now);
                self.answer_forward(src, &f, 200);
            }
        }
    }

    /// The hop-by-hop response to a forwarded SEND, as its Failure-Report asks (nothing for
    /// other methods: their responses are end to end).
    fn answer_forward(&mut self, src: ConnectionId, f: &Forward, code: u16) {
        let wanted = match f.failure_report {
            FailureReport::Yes => true,
            FailureReport::Partial => code != 200,
            FailureReport::No => false,
        };
        if f.method != "SEND" || !wanted {
            return;
        }
        let to = f.back.first().map(core::slice::from_ref).unwrap_or_default();
        let us = core::slice::from_ref(&f.us);
        let m = Message::response(&f.tid, code, Some(comment(code)), to, us);
        self.send_urgent(src, m.to_vec());
    }

    /// Queues a whole message for `conn`: now, or after the chunk being written there.
    fn send_urgent(&mut self, conn: ConnectionId, m: Vec<u8>) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.active.is_some() {
            c.urgent.push_back(m);
        } else {
            c.out.extend(m);
            self.mark_ready(conn);
        }
    }

    fn mark_ready(&mut self, conn: ConnectionId) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if !c.out.is_empty() && c.established && c.writable && !c.in_ready {
            c.in_ready = true;
            self.ready.push_back(conn);
        }
    }

    /// Queues `conn` to be pumped again (once).
    fn queue_wake(&mut self, conn: ConnectionId) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if !c.in_wake {
            c.in_wake = true;
            self.wake.push_back(conn);
        }
    }

    fn on_response(&mut self, src: ConnectionId, h: &Head<'_>) {
        let Some(code) = h.start.code() else { return };
        let Some(tx) = self.txs.remove(&(src, h.tid().to_owned())) else { return };
        // answers come mostly in order: drop answered deadlines from the front, so the queue
        // stays as long as what is in flight, not as what passed in the last 30 s
        while self
            .deadlines
            .front()
            .is_some_and(|(_, c, t)| !self.txs.contains_key(&(*c, t.clone())))
        {
            self.deadlines.pop_front();
        }
        match tx {
            Tx::Piece { src: origin, back, us, message_id, range, failure_report } => {
                if code != 200 {
                    self.report(origin, &back, &us, message_id, range, failure_report, code);
                }
            }
            Tx::EndToEnd { src: origin, tid } => {
                // §6.4.3: ours must lead To-Path; move it to From-Path and send it on
                if h.to_path.len() < 2 || !self.is_ours(&h.to_path[0]) {
                    return;
                }
                let to = &h.to_path[1..];
                let mut from = vec![h.to_path[0].clone()];
                from.extend(h.from_path.iter().cloned());
                let comment = match &h.start {
                    crate::frame::StartLine::Response { comment, .. } => comment.as_deref(),
                    crate::frame::StartLine::Request { .. } => None,
                };
                let mut m = Message::response(&tid, code, comment, to, &from);
                for (n, v) in &h.headers {
                    if !n.eq_ignore_ascii_case("to-path") && !n.eq_ignore_ascii_case("from-path") {
                        m = m.with_header(n, v);
                    }
                }
                self.send_urgent(origin, m.to_vec());
            }
        }
    }

    /// A failure REPORT to the sender of a forwarded chunk (§6.4.1, §6.4.3).
    #[allow(clippy::too_many_arguments)]
    fn report(
        &mut self,
        origin: ConnectionId,
        back: &[MsrpUri],
        us: &MsrpUri,
        message_id: Option<String>,
        range: ByteRange,
        failure_report: FailureReport,
        code: u16,
    ) {
        if failure_report == FailureReport::No || back.is_empty() {
            return;
        }
        let Some(id) = message_id else { return };
        let tid = self.ids.text(11);
        let m = Message::request(&tid, "REPORT", back, core::slice::from_ref(us))
            .with_header("Message-ID", &id)
            .with_header("Byte-Range", range)
            .with_header("Status", ReportStatus::new(code, Some(comment(code))));
        self.send_urgent(origin, m.to_vec());
        self.events.push_back(RelayEvent::Reported { message_id: id, code });
    }

    /// The caller closed `conn` (or it failed to open): its URIs stop routing, chunks in
    /// flight to it are reported failed, a chunk it was feeding elsewhere is aborted.
    pub fn closed(&mut self, conn: ConnectionId, now: Instant) {
        self.forget(conn, now);
        self.run_wakes(now);
    }

    /// Drops a connection once what is queued for it is written.
    fn close_after_flush(&mut self, conn: ConnectionId, reason: CloseReason, now: Instant) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.out.is_empty() && c.urgent.is_empty() {
            self.drop_conn(conn, reason, now);
        } else {
            c.closing = Some(reason);
            c.rx.clear();
        }
    }

    fn drop_conn(&mut self, conn: ConnectionId, reason: CloseReason, now: Instant) {
        if self.conns.contains_key(&conn) {
            self.forget(conn, now);
            self.events.push_back(RelayEvent::Close { conn, reason });
        }
    }

    fn forget(&mut self, conn: ConnectionId, now: Instant) {
        let Some(c) = self.conns.remove(&conn) else { return };
        if let Some(t) = c.target {
            self.routes.remove(&t);
        }
        // a chunk it was feeding: aborted where it was going
        if let Rx::Forward(mut f) = c.state {
            if f.piece.is_some() {
                self.end_piece(conn, &mut f, Flag::Abort, now);
            }
        }
        // sources feeding it: the rest of their request is dropped and answered 481 hop by
        // hop (their sender's previous hop reports)
        let mut affected = Vec::new();
        for (id, src) in &mut self.conns {
            if let Rx::Forward(f) = &mut src.state {
                if f.dest == conn {
                    f.lost = Some(481);
                    f.piece = None;
                    affected.push(*id);
                }
            }
            if src.waiting_for == Some(conn) {
                src.waiting_for = None;
                affected.push(*id);
            }
        }
        let sids: Vec<String> =
            self.bindings.iter().filter(|(_, b)| b.conn == conn).map(|(s, _)| s.clone()).collect();
        for sid in sids {
            if let Some(b) = self.bindings.remove(&sid) {
                self.expiries.remove(&(b.expires_at, sid));
                self.events.push_back(RelayEvent::Unbound { use_path: b.uri });
            }
        }
        // transactions waiting on it fail now
        let keys: Vec<(ConnectionId, String)> =
            self.txs.keys().filter(|(c, _)| *c == conn).cloned().collect();
        for k in keys {
            if let Some(tx) = self.txs.remove(&k) {
                self.fail_tx(tx, 408);
            }
        }
        self.txs.retain(|_, tx| match tx {
            Tx::Piece { src, .. } | Tx::EndToEnd { src, .. } => *src != conn,
        });
        // (its entries in `ready` and `wake` are skipped: ids are never reused)
        // sources that fed or waited for it go on (into their `lost` state)
        for id in affected {
            self.queue_wake(id);
        }
    }

    fn fail_tx(&mut self, tx: Tx, code: u16) {
        match tx {
            Tx::Piece { src, back, us, message_id, range, failure_report } => {
                self.report(src, &back, &us, message_id, range, failure_report, code);
            }
            Tx::EndToEnd { .. } => {} // the far end's own timer covers it
        }
    }

    /// Appends the next bytes to write to `buf` and says which connection they are for, or
    /// `None` when nothing is waiting. Sources that were held back go on as room frees up.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<ConnectionId> {
        while let Some(conn) = self.ready.pop_front() {
            let Some(c) = self.conns.get_mut(&conn) else { continue };
            c.in_ready = false;
            if !c.established || !c.writable || c.out.is_empty() {
                continue; // set_writable / established put it back
            }
            let n = c.out.len().min(self.config.max_transmit);
            let (a, b) = c.out.as_slices();
            let from_a = n.min(a.len());
            buf.extend_from_slice(&a[..from_a]);
            buf.extend_from_slice(&b[..n - from_a]);
            c.out.drain(..n);
            if !c.out.is_empty() {
                c.in_ready = true;
                self.ready.push_back(conn);
            } else if let Some(reason) = c.closing.take() {
                self.drop_conn(conn, reason, now);
                return Some(conn);
            }
            // the sources feeding this connection may have room again
            self.wake_waiters(conn);
            self.run_wakes(now);
            return Some(conn);
        }
        None
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<RelayEvent> {
        self.events.pop_front()
    }

    /// When [`Relay::handle_timeout`] wants to be called, and for which timer.
    pub fn poll_timeout(&self) -> Option<(Instant, RelayTimer)> {
        let tx = self.deadlines.front().map(|(at, ..)| (*at, RelayTimer::Transaction));
        let b = self.expiries.first().map(|(at, _)| (*at, RelayTimer::Binding));
        let p = self.probations.front().map(|(at, _)| (*at, RelayTimer::Probation));
        [tx, b, p].into_iter().flatten().min_by_key(|(at, _)| *at)
    }

    /// Fires what is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while self.deadlines.front().is_some_and(|(at, ..)| *at <= now) {
            let Some((_, c, tid)) = self.deadlines.pop_front() else { break };
            if let Some(tx) = self.txs.remove(&(c, tid)) {
                self.fail_tx(tx, 408);
            }
        }
        while let Some((at, sid)) = self.expiries.first().cloned() {
            if at > now {
                break;
            }
            self.expiries.remove(&(at, sid.clone()));
            if let Some(b) = self.bindings.remove(&sid) {
                self.events.push_back(RelayEvent::Unbound { use_path: b.uri });
            }
        }
        while self.probations.front().is_some_and(|(at, _)| *at <= now) {
            let Some((_, c)) = self.probations.pop_front() else { break };
            if self.conns.get(&c).is_some_and(|c| !c.proven) {
                self.drop_conn(c, CloseReason::Probation, now);
            }
        }
        self.run_wakes(now);
    }
}

/// The reason phrase of a status this crate sends.
pub(crate) const fn comment(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        408 => "Request Timeout",
        413 => "Message Too Large",
        415 => "Unsupported Media Type",
        423 => "Interval Out-of-Bounds",
        481 => "Session Does Not Exist",
        501 => "Not Implemented",
        506 => "Session Already Bound",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthConfig, AuthEvent, RelayClient};

    /// Bob with a Use-Path on `relay`: his connection and URIs.
    fn bob(relay: &mut Relay, now: Instant) -> (ConnectionId, MsrpUri, MsrpUri) {
        let conn = relay.accept(now);
        let bob = MsrpUri::new("bob.example.com", 9, "bobs");
        let uri = relay.config().uri.clone();
        let mut c = RelayClient::new(AuthConfig::new(vec![uri], "bob", "pw"), [2; 32], bob.clone());
        c.refresh(now);
        loop {
            let (mut up, mut down) = (Vec::new(), Vec::new());
            while c.poll_transmit(&mut up).is_some() {}
            relay.handle_input(conn, &up, now);
            while relay.poll_transmit(now, &mut down).is_some() {}
            c.handle_input(&down, now).expect("good MSRP");
            if let Some(AuthEvent::Authorized { use_path, .. }) = c.poll_event() {
                return (conn, use_path[0].clone(), bob);
            }
        }
    }

    /// A sender fed a read at a time, only while the relay wants input, with a receiver that
    /// is slow (not writable for a while): the sender holding the receiver's lock is woken as
    /// the queue drains, so its held input moves on and it is never overrun.
    #[test]
    fn a_source_holding_the_lock_is_woken_as_its_destination_drains() {
        let now = Instant::now();
        let mut uri = MsrpUri::new("relay.example.com", 2855, "x");
        uri.session_id = None;
        let mut config = RelayConfig::new(uri);
        config.max_queued = 200_000; // not a multiple of what a read brings
        let mut relay = Relay::new(config, [1; 32], |_| Some(Secret::Password("pw".into())));
        let (bob_conn, use_path, bob) = bob(&mut relay, now);
        let x = relay.accept(now);
        let me = MsrpUri::new("x.example.com", 9, "xxxx");
        // 512 chunks of 8 KiB, as the load tool sends: a read holds several, and the relay
        // can stop between a chunk's body and its end-line
        let (chunk, chunks) = (8usize << 10, 512usize);
        let len = chunk * chunks;
        let mut wire = Vec::new();
        for k in 0..chunks {
            let tid = format!("ck{k:06}");
            let start = k * chunk + 1;
            let head = Message::request(
                &tid,
                "SEND",
                &[use_path.clone(), bob.clone()],
                core::slice::from_ref(&me),
            )
            .with_header("Message-ID", "msg1")
            .with_header("Byte-Range", format!("{start}-{}/{len}", start + chunk - 1))
            .with_header("Failure-Report", "no")
            .with_header("Content-Type", "application/octet-stream");
            head.write_head(&mut wire);
            wire.extend_from_slice(b"\r\n");
            wire.extend((0..chunk).map(|i| b'a' + (i % 26) as u8));
            let flag = if k + 1 == chunks { '$' } else { '+' };
            wire.extend_from_slice(format!("\r\n-------{tid}{flag}\r\n").as_bytes());
        }
        let mut fed = 0;
        let mut at_bob = 0usize;
        let mut out = Vec::new();
        let mut round = 0;
        // bob gets every body byte plus the rewritten heads: at least the body
        while fed < wire.len() || at_bob < len {
            round += 1;
            assert!(round < 100_000, "stuck: fed {fed}, bob has {at_bob}");
            // bob's socket takes something only one round in eight
            relay.set_writable(bob_conn, round % 8 == 0);
            if fed < wire.len() && relay.wants_input(x) {
                let n = (wire.len() - fed).min(64 << 10);
                relay.handle_input(x, &wire[fed..fed + n], now);
                fed += n;
            }
            while let Some(c) = relay.poll_transmit(now, &mut out) {
                if c == bob_conn {
                    at_bob += out.len();
                }
                out.clear();
            }
            while let Some(e) = relay.poll_event() {
                assert!(!matches!(e, RelayEvent::Close { .. }), "{e:?}");
            }
        }
    }

    /// Answered chunks leave no deadline behind: the queue holds what is in flight.
    #[test]
    fn answered_transactions_do_not_pile_up() {
        let now = Instant::now();
        let mut uri = MsrpUri::new("relay.example.com", 2855, "x");
        uri.session_id = None;
        let mut relay = Relay::new(RelayConfig::new(uri.clone()), [1; 32], |_| {
            Some(Secret::Password("pw".into()))
        });
        let bob_conn = relay.accept(now);
        let bob = MsrpUri::new("bob.example.com", 9, "bobs");
        let mut c = RelayClient::new(AuthConfig::new(vec![uri], "bob", "pw"), [2; 32], bob.clone());
        c.refresh(now);
        let use_path = loop {
            let (mut up, mut down) = (Vec::new(), Vec::new());
            while c.poll_transmit(&mut up).is_some() {}
            relay.handle_input(bob_conn, &up, now);
            while relay.poll_transmit(now, &mut down).is_some() {}
            c.handle_input(&down, now).expect("good MSRP");
            if let Some(AuthEvent::Authorized { use_path, .. }) = c.poll_event() {
                break use_path;
            }
        };
        let x = relay.accept(now);
        let me = MsrpUri::new("x.example.com", 9, "xxxx");
        let to = vec![use_path[0].clone(), bob.clone()];
        let mut decoder = Decoder::default();
        let mut at_bob = Vec::new();
        for i in 0..200 {
            let mut m =
                Message::request(&format!("t{i:05}"), "SEND", &to, core::slice::from_ref(&me))
                    .with_header("Message-ID", "msg1")
                    .with_header("Byte-Range", format!("{}-{}/200", i + 1, i + 1))
                    .with_header("Content-Type", "text/plain");
            m.body = Some(b"x".to_vec());
            m.flag = if i == 199 { Flag::End } else { Flag::More };
            relay.handle_input(x, &m.to_vec(), now);
            let mut out = Vec::new();
            while let Some(conn) = relay.poll_transmit(now, &mut out) {
                if conn == bob_conn {
                    at_bob.append(&mut out);
                } else {
                    out.clear();
                }
            }
            // bob answers each chunk with 200
            let mut used_all = 0;
            while let Some((f, used)) = decoder.decode(&at_bob[used_all..]).expect("good MSRP") {
                used_all += used;
                if let Frame::Head(h) = f {
                    let ok = Message::response(
                        h.tid(),
                        200,
                        Some("OK"),
                        &h.from_path[..1],
                        core::slice::from_ref(&bob),
                    );
                    relay.handle_input(bob_conn, &ok.to_vec(), now);
                }
            }
            at_bob.drain(..used_all);
        }
        assert!(relay.txs.is_empty(), "every chunk was answered");
        assert!(relay.deadlines.len() <= 1, "{} deadlines kept", relay.deadlines.len());
    }
}
