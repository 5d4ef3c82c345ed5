//! The [`Endpoint`]: the owner of every transaction of one SIP element, driven by the caller's
//! I/O loop (RFC 3261 §8, §17, §18).
//!
//! The caller feeds what its sockets read ([`Endpoint::handle_datagram`],
//! [`Endpoint::handle_stream`]) and the time; the endpoint frames and parses, runs the §8.2
//! checks, matches requests and responses to transactions (§17.1.3, §17.2.3, with the RFC 2543
//! fallback), answers what it must answer itself (400 for a malformed request, 481 for a
//! CANCEL of nothing, 487 for a cancelled INVITE, 503 when its store is full, the §8.2
//! rejections) and hands the rest up as [`Event`]s. Commands ([`Endpoint::send_request`],
//! [`Endpoint::respond`], [`Endpoint::cancel`]) return small `Copy` handles.
//!
//! Polling order, after every input or command:
//!
//! 1. [`Endpoint::poll_transmit`] until `None`: bytes to send, with the destination and the
//!    transport (a request over [`EndpointConfig::stream_threshold`] bytes headed for UDP is
//!    moved to TCP, §18.1.1);
//! 2. [`Endpoint::poll_event`] until `None`;
//! 3. [`Endpoint::poll_timeout`]: the next deadline and which [`Timer`] it is; call
//!    [`Endpoint::handle_timeout`] once it has passed.
//!
//! ```
//! use std::time::Instant;
//! use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, NewRequest, Reply, Transport};
//! use simple_sip::Method;
//!
//! let now = Instant::now();
//! let alice_addr = "127.0.0.1:5060".parse().unwrap();
//! let bob_addr = "127.0.0.1:5070".parse().unwrap();
//! let mut alice = Endpoint::new(EndpointConfig::new("127.0.0.1:5060"), 1);
//! let mut bob = Endpoint::new(EndpointConfig::new("127.0.0.1:5070"), 2);
//!
//! // Alice sends a MESSAGE
//! let request = alice.build_request(
//!     &NewRequest::new(Method::Message, "sip:bob@127.0.0.1:5070", "<sip:alice@example.com>")
//!         .body("text/plain", b"hello"),
//!     Transport::Udp,
//! );
//! let tx = alice.send_request(request, bob_addr, Transport::Udp, now).unwrap();
//! let out = alice.poll_transmit().unwrap();
//! assert_eq!(out.destination, bob_addr);
//!
//! // Bob's loop: the datagram in, the request up, the answer out
//! bob.handle_datagram(alice_addr, Transport::Udp, &out.contents, now);
//! let Some(Event::Request { tx: incoming, request, .. }) = bob.poll_event() else { panic!() };
//! assert_eq!(&request.body()[..], b"hello");
//! bob.respond(incoming, &Reply::new(200, "OK"), now).unwrap();
//! let answer = bob.poll_transmit().unwrap();
//! assert_eq!(answer.destination, alice_addr);
//!
//! // Alice gets the 200 for her handle
//! alice.handle_datagram(bob_addr, Transport::Udp, &answer.contents, now);
//! let Some(Event::Response { tx: got, response }) = alice.poll_event() else { panic!() };
//! assert_eq!((got, response.status_code()), (tx, Some(200)));
//! ```

use core::net::{IpAddr, SocketAddr};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::headers::{CSeq, Via};
use crate::ids::IdGenerator;
use crate::message::{
    Frame, HeaderName, KeepAlive, Message, MessageWriter, Method, OwnedMessage, ParseConfig,
    Progress, StreamDecoder,
};
use crate::transaction::{
    ClientEvent, ClientInvite, ClientKey, ClientNonInvite, InviteEvent, InviteState, MAGIC_COOKIE,
    Reliability, ServerEvent, ServerInvite, ServerInviteEvent, ServerInviteState, ServerKey,
    ServerNonInvite, State, Timer, Timers,
};
use crate::uas::{MergeKey, Rejection, UasConfig};

/// A transport protocol, as Via names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Transport {
    /// UDP (unreliable).
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// SCTP.
    Sctp,
    /// WebSocket (RFC 7118).
    Ws,
    /// Secure WebSocket.
    Wss,
}

impl Transport {
    /// Whether the transport retransmits by itself.
    pub const fn reliability(self) -> Reliability {
        match self {
            Self::Udp => Reliability::Unreliable,
            Self::Tcp | Self::Tls | Self::Sctp | Self::Ws | Self::Wss => Reliability::Reliable,
        }
    }

    /// The Via token (`SIP/2.0/<token>`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
            Self::Sctp => "SCTP",
            Self::Ws => "WS",
            Self::Wss => "WSS",
        }
    }

    /// The transport a Via token names (case-insensitive), if known.
    pub fn from_token(token: &str) -> Option<Self> {
        [Self::Udp, Self::Tcp, Self::Tls, Self::Sctp, Self::Ws, Self::Wss]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(token))
    }

    /// Whether the transport is a byte stream (framed by Content-Length).
    pub const fn is_stream(self) -> bool {
        matches!(self, Self::Tcp | Self::Tls)
    }
}

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to: an address for datagrams, the peer of the connection for streams (open one
    /// if there is none).
    pub destination: SocketAddr,
    /// Over what.
    pub transport: Transport,
    /// The bytes.
    pub contents: Bytes,
}

/// A request this endpoint sent: its client transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTx(u64);

/// A request this endpoint received: its server transaction, the handle to answer it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTx(u64);

/// Why a received message was discarded without an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// It does not parse, and is not a request that could be answered (a response, or a
    /// request without the headers an answer needs).
    Malformed(Error),
    /// A response with more than one Via (§18.1.2: a UAC discards it; an endpoint that
    /// [forwards](crate::uas::UasConfig::forwards) takes it).
    ManyVias,
    /// A stream frame or a datagram over a configured limit that could not be answered.
    TooLarge(Error),
}

/// What the endpoint tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A request passed the §8.2 checks: answer it with [`Endpoint::respond`] (an INVITE gets a
    /// 100 Trying by itself after 200 ms).
    Request {
        /// The handle to answer with.
        tx: ServerTx,
        /// The request.
        request: OwnedMessage,
        /// Where it came from.
        source: SocketAddr,
        /// Over what.
        transport: Transport,
    },
    /// An ACK that no transaction absorbs: the ACK of a 2xx (§13.3.1.4), for the dialog owner.
    /// `tx` is the INVITE it acknowledges when the ACK matched one (RFC 6026 Accepted).
    Ack {
        /// The INVITE's transaction, if the ACK matched it.
        tx: Option<ServerTx>,
        /// The ACK.
        request: OwnedMessage,
        /// Where it came from.
        source: SocketAddr,
    },
    /// A CANCEL arrived for this INVITE before its final response: the endpoint answered the
    /// CANCEL with 200 and the INVITE with 487 (§9.2).
    Cancelled {
        /// The INVITE's transaction.
        tx: ServerTx,
    },
    /// A response to a request we sent: every provisional, the final, and every 2xx of every
    /// fork of an INVITE (RFC 6026). A non-2xx final response to an INVITE was already
    /// acknowledged; a 2xx is the user's (or its dialog's) to acknowledge.
    Response {
        /// The request's handle.
        tx: ClientTx,
        /// The response.
        response: OwnedMessage,
    },
    /// No final response came in time (Timer F or B): treat it as a 408 (§8.1.3.1).
    Timeout {
        /// The request's handle.
        tx: ClientTx,
    },
    /// The transport failed for a request we sent (§8.1.3.1: treat as 503).
    TransportError {
        /// The request's handle.
        tx: ClientTx,
    },
    /// A response to a request we received could not be delivered (§17.2.4), or the ACK of
    /// an INVITE's non-2xx answer never came (Timer H).
    ResponseFailed {
        /// The request's handle.
        tx: ServerTx,
    },
    /// A response that matches no transaction: a 2xx retransmission after the INVITE client
    /// transaction ended is the dialog owner's to acknowledge again (§13.2.2.4).
    StrayResponse {
        /// The response.
        response: OwnedMessage,
        /// Where it came from.
        source: SocketAddr,
    },
    /// A request the endpoint answered by itself with `code`, for logs and counters.
    Rejected {
        /// Where it came from.
        source: SocketAddr,
        /// The status sent.
        code: u16,
        /// Why.
        why: &'static str,
    },
    /// A message discarded without an answer.
    Dropped {
        /// Where it came from.
        source: SocketAddr,
        /// Why.
        reason: DropReason,
    },
    /// A stream connection is beyond repair (framing lost, or a limit passed): close it.
    CloseConnection {
        /// The peer.
        remote: SocketAddr,
        /// The transport.
        transport: Transport,
    },
}

/// Why a request could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The bytes are not a request that parses.
    #[error("not a request: {0}")]
    Malformed(Error),
    /// The top Via has no branch starting with the magic cookie (§8.1.1.7).
    #[error("the top Via has no RFC 3261 branch")]
    NoBranch,
    /// An ACK has no transaction: send it with [`Endpoint::send_stateless`].
    #[error("an ACK is sent without a transaction")]
    Ack,
    /// A transaction with this branch and method is in progress.
    #[error("a transaction with this branch is in progress")]
    Duplicate,
    /// [`EndpointConfig::max_transactions`] are in progress.
    #[error("too many transactions in progress")]
    Full,
}

/// Why a response could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RespondError {
    /// The handle is not (or no longer) a transaction of this endpoint.
    #[error("no such transaction")]
    Unknown,
    /// A final response was sent already.
    #[error("a final response was sent already")]
    AlreadyFinal,
    /// The status code is not 100-699, or a header or body given does not parse.
    #[error("status code out of range, or a header that does not parse")]
    BadCode,
    /// The request lacks what a response copies (its Via, From, To, Call-ID or CSeq does not
    /// read); only a request refused by the endpoint itself can be like that.
    #[error("the request cannot be answered")]
    Unanswerable,
}

/// Why a CANCEL could not be sent (§9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CancelError {
    /// The handle is not an INVITE in progress.
    #[error("not an INVITE in progress")]
    Unknown,
    /// No provisional response came yet: a CANCEL must wait for one (§9.1).
    #[error("no provisional response yet")]
    NoProvisional,
    /// The INVITE has its final response.
    #[error("the INVITE has its final response")]
    Completed,
    /// The transaction store is full.
    #[error("too many transactions in progress")]
    Full,
}

/// How an [`Endpoint`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// T1, T2, T4.
    pub timers: Timers,
    /// What the UAS handles (§8.2).
    pub uas: UasConfig,
    /// Parser limits, for datagrams and stream frames.
    pub parse: ParseConfig,
    /// `host[:port]` this endpoint writes as its Via sent-by.
    pub sent_by: String,
    /// A request larger than this headed for UDP goes over TCP instead (§18.1.1: 1300 bytes
    /// when the path MTU is unknown); `None` keeps it on UDP.
    pub stream_threshold: Option<usize>,
    /// Most transactions (client and server) in progress; new requests get 503 beyond it.
    pub max_transactions: usize,
    /// Bytes kept per stream connection waiting for the rest of a message.
    pub max_stream_buffer: usize,
    /// The `User-Agent` (requests) and `Server` (responses) value, if any.
    pub user_agent: Option<String>,
    /// How long an INVITE we sent may go without a final response ([`Timer::C`], default 3
    /// minutes): then it is reported as [`Event::Timeout`] and dropped (CANCEL it first to
    /// end it at the peer too).
    pub invite_timeout: core::time::Duration,
}

impl EndpointConfig {
    /// Defaults for an endpoint whose Via sent-by is `sent_by`: RFC timers, a UAS handling
    /// INVITE, BYE, OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY and PUBLISH, the 1300-byte rule, 100 000
    /// transactions.
    pub fn new(sent_by: &str) -> Self {
        Self {
            timers: Timers::default(),
            uas: UasConfig::new(&[
                Method::Invite,
                Method::Bye,
                Method::Options,
                Method::Message,
                Method::Subscribe,
                Method::Notify,
                Method::Publish,
            ]),
            parse: ParseConfig::default(),
            sent_by: sent_by.to_owned(),
            stream_threshold: Some(1300),
            max_transactions: 100_000,
            max_stream_buffer: 64 * 1024 + 1024 * 1024,
            user_agent: None,
            invite_timeout: core::time::Duration::from_secs(180),
        }
    }
}

/// A request to build (§8.1.1): what the caller says; the endpoint adds Via with a fresh
/// branch, a From tag and a Call-ID when not given, CSeq and Max-Forwards.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    /// The method.
    pub method: Method<'a>,
    /// The Request-URI.
    pub uri: &'a str,
    /// The From value (name-addr) without a tag.
    pub from: &'a str,
    /// The From tag (a fresh one when `None`).
    pub from_tag: Option<&'a str>,
    /// The To value (the Request-URI in brackets when `None`).
    pub to: Option<&'a str>,
    /// The To tag (inside a dialog).
    pub to_tag: Option<&'a str>,
    /// The Call-ID (a fresh one when `None`).
    pub call_id: Option<&'a str>,
    /// The CSeq number.
    pub cseq: u32,
    /// Route values, in order.
    pub route: &'a [&'a str],
    /// The Contact value, if any.
    pub contact: Option<&'a str>,
    /// Further headers, written as given.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body and its type.
    pub body: Option<(&'a str, &'a [u8])>,
}

impl<'a> NewRequest<'a> {
    /// A request out of dialog: `method` to `uri` from `from`, CSeq 1.
    pub const fn new(method: Method<'a>, uri: &'a str, from: &'a str) -> Self {
        Self {
            method,
            uri,
            from,
            from_tag: None,
            to: None,
            to_tag: None,
            call_id: None,
            cseq: 1,
            route: &[],
            contact: None,
            headers: &[],
            body: None,
        }
    }

    /// With a body of `content_type`.
    #[must_use]
    pub const fn body(mut self, content_type: &'a str, body: &'a [u8]) -> Self {
        self.body = Some((content_type, body));
        self
    }

    /// With further headers.
    #[must_use]
    pub const fn headers(mut self, headers: &'a [(&'a str, &'a [u8])]) -> Self {
        self.headers = headers;
        self
    }
}

/// A response to send with [`Endpoint::respond`]: the endpoint copies Via, From, To (adding
/// its tag), Call-ID and CSeq from the request (§8.2.6).
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: &'a str,
    /// Further headers (Contact, Expires, ...), written as given.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body and its type.
    pub body: Option<(&'a str, &'a [u8])>,
}

impl<'a> Reply<'a> {
    /// A response with no further headers and no body.
    pub const fn new(code: u16, reason: &'a str) -> Self {
        Self { code, reason, headers: &[], body: None }
    }

    /// With further headers.
    #[must_use]
    pub const fn headers(mut self, headers: &'a [(&'a str, &'a [u8])]) -> Self {
        self.headers = headers;
        self
    }

    /// With a body of `content_type`.
    #[must_use]
    pub const fn body(mut self, content_type: &'a str, body: &'a [u8]) -> Self {
        self.body = Some((content_type, body));
        self
    }
}

#[derive(Debug)]
#[allow(clippy::enum_variant_names)] // the four transactions of §17
enum Machine {
    ClientNonInvite(ClientNonInvite),
    ClientInvite(ClientInvite),
    ServerNonInvite(ServerNonInvite),
    ServerInvite(ServerInvite),
}

#[derive(Debug)]
enum Key {
    Client(ClientKey),
    Server(ServerKey),
}

/// One transaction and what the endpoint keeps beside it.
#[derive(Debug)]
struct Entry {
    machine: Machine,
    key: Key,
    /// Where its messages go.
    peer: SocketAddr,
    /// Server: where the request came from (for `received` and `rport`).
    source: SocketAddr,
    transport: Transport,
    /// Server: the request, to build responses from, and the To tag of our responses.
    request: Option<OwnedMessage>,
    to_tag: Option<String>,
    merge: Option<MergeKey>,
    /// The deadline last pushed on the heap (others on the heap for this id are stale).
    deadline: Option<Instant>,
    /// Client INVITE: when Timer C gives up on it.
    timer_c: Option<Instant>,
}

/// Bytes of a stream connection waiting for the rest of a message.
#[derive(Debug, Default)]
struct StreamBuffer {
    buf: BytesMut,
    decoder: StreamDecoder,
}

/// The owner of every transaction of one SIP element. See the [module docs](self).
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    ids: IdGenerator,
    next_id: u64,
    /// Boxed: after a burst, the map's spare capacity costs a pointer per slot.
    entries: HashMap<u64, Box<Entry>>,
    clients: HashMap<ClientKey, u64>,
    servers: HashMap<ServerKey, u64>,
    merges: HashMap<MergeKey, u64>,
    heap: BinaryHeap<core::cmp::Reverse<(Instant, u64)>>,
    streams: HashMap<(SocketAddr, Transport), StreamBuffer>,
    transmit: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl Endpoint {
    /// An endpoint; `seed` drives every branch, tag and Call-ID it makes (§8.1.1: they must
    /// be unique, so seed each run differently, e.g. from the OS).
    pub fn new(config: EndpointConfig, seed: u64) -> Self {
        Self {
            config,
            ids: IdGenerator::new(seed),
            next_id: 0,
            entries: HashMap::new(),
            clients: HashMap::new(),
            servers: HashMap::new(),
            merges: HashMap::new(),
            heap: BinaryHeap::new(),
            streams: HashMap::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// The identifier generator (for tags and Call-IDs the caller makes itself).
    pub const fn ids(&mut self) -> &mut IdGenerator {
        &mut self.ids
    }

    /// Transactions in progress (client and server).
    pub fn transactions(&self) -> usize {
        self.entries.len()
    }

    /// Builds a request (§8.1.1) to send over `transport`: Via with this endpoint's sent-by, a
    /// fresh branch and `rport` (RFC 3581), Max-Forwards 70, From with a tag, To, Call-ID, CSeq,
    /// Route, Contact, the caller's headers and the body.
    pub fn build_request(&mut self, new: &NewRequest<'_>, transport: Transport) -> OwnedMessage {
        let mut out = Vec::with_capacity(512 + new.body.map_or(0, |(_, b)| b.len()));
        let mut w = MessageWriter::request(&mut out, &new.method, new.uri);
        let branch = self.ids.branch();
        let via =
            format!("SIP/2.0/{} {};branch={branch};rport", transport.as_str(), self.config.sent_by);
        w.raw_header("Via", via.as_bytes());
        w.raw_header("Max-Forwards", b"70");
        let from_tag = new.from_tag.map_or_else(|| self.ids.tag(), str::to_owned);
        w.raw_header("From", format!("{};tag={from_tag}", new.from).as_bytes());
        let to = new.to.map_or_else(|| format!("<{}>", new.uri), str::to_owned);
        match new.to_tag {
            Some(tag) => w.raw_header("To", format!("{to};tag={tag}").as_bytes()),
            None => w.raw_header("To", to.as_bytes()),
        };
        let call_id = new.call_id.map_or_else(|| self.ids.call_id(None), str::to_owned);
        w.raw_header("Call-ID", call_id.as_bytes());
        w.header(&CSeq { seq: new.cseq, method: new.method.clone() });
        for r in new.route {
            w.raw_header("Route", r.as_bytes());
        }
        if let Some(c) = new.contact {
            w.raw_header("Contact", c.as_bytes());
        }
        if let Some(ua) = &self.config.user_agent {
            w.raw_header("User-Agent", ua.as_bytes());
        }
        for (name, value) in new.headers {
            w.raw_header(name, value);
        }
        match new.body {
            Some((ct, body)) => {
                w.raw_header("Content-Type", ct.as_bytes());
                w.body(None, body);
            }
            None => w.finish(),
        }
        OwnedMessage::parse_with(Bytes::from(out), &self.config.parse)
            .expect("a request built from a method, URIs and headers as given parses")
    }

    /// Sends `request` to `destination` in a new client transaction (§17.1): INVITE in an
    /// INVITE transaction, anything but ACK in a non-INVITE one. Over UDP, a request larger
    /// than [`EndpointConfig::stream_threshold`] goes over TCP instead, its top Via saying so.
    pub fn send_request(
        &mut self,
        request: OwnedMessage,
        destination: SocketAddr,
        transport: Transport,
        now: Instant,
    ) -> Result<ClientTx, SendError> {
        let method = request
            .method()
            .map(Method::into_owned)
            .ok_or(SendError::Malformed(Error::new(crate::ErrorKind::InvalidStartLine, 0)))?;
        if method == Method::Ack {
            return Err(SendError::Ack);
        }
        if self.entries.len() >= self.config.max_transactions {
            return Err(SendError::Full);
        }
        let (request, transport) = self.fit_transport(request, transport)?;
        let key = request.view(ClientKey::of).map_err(SendError::Malformed)?;
        if !key.branch.starts_with(MAGIC_COOKIE) || key.branch.len() == MAGIC_COOKIE.len() {
            return Err(SendError::NoBranch);
        }
        if self.clients.contains_key(&key) {
            return Err(SendError::Duplicate);
        }
        let reliability = transport.reliability();
        let machine = if method == Method::Invite {
            Machine::ClientInvite(ClientInvite::new(request, reliability, self.config.timers, now))
        } else {
            Machine::ClientNonInvite(ClientNonInvite::new(
                request.bytes().clone(),
                reliability,
                self.config.timers,
                now,
            ))
        };
        let id = self.insert(Entry {
            machine,
            key: Key::Client(key.clone()),
            peer: destination,
            source: destination,
            transport,
            request: None,
            to_tag: None,
            merge: None,
            deadline: None,
            timer_c: (method == Method::Invite).then(|| now + self.config.invite_timeout),
        });
        self.clients.insert(key, id);
        self.drive(id);
        Ok(ClientTx(id))
    }

    /// The §18.1.1 rule: a request over the threshold headed for UDP moves to TCP, with its
    /// top Via's transport rewritten.
    fn fit_transport(
        &self,
        request: OwnedMessage,
        transport: Transport,
    ) -> Result<(OwnedMessage, Transport), SendError> {
        let too_big = self.config.stream_threshold.is_some_and(|max| request.bytes().len() > max);
        if transport != Transport::Udp || !too_big {
            return Ok((request, transport));
        }
        let bytes = request.bytes();
        let via = request.header(HeaderName::Via).ok_or(SendError::NoBranch)?;
        let value = via.value();
        let at = (value.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
        // `SIP/2.0/UDP`, possibly with LWS around the slashes: find the token after the 2nd '/'
        let mut slashes = 0;
        let mut start = None;
        for (i, &b) in value.iter().enumerate() {
            if b == b'/' {
                slashes += 1;
                if slashes == 2 {
                    start = Some(i + 1);
                    break;
                }
            }
        }
        let start = start.ok_or(SendError::NoBranch)?;
        let skip = value[start..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        let token_at = at + start + skip;
        if !bytes[token_at..].get(..3).is_some_and(|t| t.eq_ignore_ascii_case(b"UDP")) {
            return Ok((request, transport));
        }
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(&bytes[..token_at]);
        out.extend_from_slice(b"TCP");
        out.extend_from_slice(&bytes[token_at + 3..]);
        let moved = OwnedMessage::parse_with(Bytes::from(out), &self.config.parse)
            .map_err(SendError::Malformed)?;
        Ok((moved, Transport::Tcp))
    }

    /// Sends bytes outside any transaction (the ACK of a 2xx, §13.2.2.4; a stateless answer).
    pub fn send_stateless(
        &mut self,
        contents: Bytes,
        destination: SocketAddr,
        transport: Transport,
    ) {
        self.transmit.push_back(Transmit { destination, transport, contents });
    }

    /// Cancels the INVITE `tx` (§9.1): a CANCEL in its own transaction to the same place. Only
    /// once a provisional response came and before the final one.
    pub fn cancel(&mut self, tx: ClientTx, now: Instant) -> Result<ClientTx, CancelError> {
        let entry = self.entries.get(&tx.0).ok_or(CancelError::Unknown)?;
        let Machine::ClientInvite(invite) = &entry.machine else {
            return Err(CancelError::Unknown);
        };
        match invite.state() {
            InviteState::Calling => return Err(CancelError::NoProvisional),
            InviteState::Proceeding => {}
            InviteState::Completed | InviteState::Accepted | InviteState::Terminated => {
                return Err(CancelError::Completed);
            }
        }
        let cancel = invite.request().view(crate::transaction::cancel);
        let (peer, transport) = (entry.peer, entry.transport);
        let cancel = OwnedMessage::parse_with(Bytes::from(cancel), &self.config.parse)
            .expect("a CANCEL built from a parsed INVITE parses");
        self.send_request(cancel, peer, transport, now).map_err(|e| match e {
            SendError::Full => CancelError::Full,
            SendError::Malformed(_)
            | SendError::NoBranch
            | SendError::Ack
            | SendError::Duplicate => CancelError::Completed,
        })
    }

    /// Answers the request `tx` (§8.2.6): Via, From, To (with this transaction's tag),
    /// Call-ID and CSeq copied, then `reply`'s headers and body, sent where §18.2.2 says.
    pub fn respond(
        &mut self,
        tx: ServerTx,
        reply: &Reply<'_>,
        now: Instant,
    ) -> Result<(), RespondError> {
        if !(100..=699).contains(&reply.code) {
            return Err(RespondError::BadCode);
        }
        let entry = self.entries.get(&tx.0).ok_or(RespondError::Unknown)?;
        let request = entry.request.as_ref().ok_or(RespondError::Unknown)?;
        let mut out = Vec::with_capacity(400 + reply.body.map_or(0, |(_, b)| b.len()));
        let tag = (reply.code != 100).then_some(entry.to_tag.as_deref()).flatten();
        let server = self.config.user_agent.as_deref();
        let source = Some(entry.source);
        request
            .view(|req| -> Result<(), Error> {
                let mut w = MessageWriter::response_to(
                    &mut out,
                    req,
                    reply.code,
                    reply.reason,
                    tag,
                    source,
                )?;
                if let Some(s) = server {
                    w.raw_header("Server", s.as_bytes());
                }
                for (name, value) in reply.headers {
                    w.raw_header(name, value);
                }
                match reply.body {
                    Some((ct, body)) => {
                        w.raw_header("Content-Type", ct.as_bytes());
                        w.body(None, body);
                    }
                    None => w.finish(),
                }
                Ok(())
            })
            .map_err(|_| RespondError::Unanswerable)?;
        let response = OwnedMessage::parse_with(Bytes::from(out), &self.config.parse)
            .map_err(|_| RespondError::BadCode)?;
        self.send_response(tx, &response, now)
    }

    /// Sends a response the caller wrote itself in `tx` (retransmissions of a 2xx to an
    /// INVITE, which are the dialog owner's, go this way too: RFC 6026 Accepted).
    pub fn send_response(
        &mut self,
        tx: ServerTx,
        response: &OwnedMessage,
        now: Instant,
    ) -> Result<(), RespondError> {
        let entry = self.entries.get_mut(&tx.0).ok_or(RespondError::Unknown)?;
        let result = match &mut entry.machine {
            Machine::ServerNonInvite(m) => m.respond(response, now),
            Machine::ServerInvite(m) => m.respond(response, now),
            Machine::ClientNonInvite(_) | Machine::ClientInvite(_) => {
                return Err(RespondError::Unknown);
            }
        };
        result.map_err(|e| match e {
            crate::transaction::RespondError::AlreadyFinal => RespondError::AlreadyFinal,
            crate::transaction::RespondError::NotAResponse => RespondError::BadCode,
        })?;
        self.drive(tx.0);
        Ok(())
    }

    /// The To tag this endpoint puts in its responses to `tx` (the local tag of a dialog it
    /// creates), or the request's own when it had one.
    pub fn local_tag(&self, tx: ServerTx) -> Option<&str> {
        self.entries.get(&tx.0)?.to_tag.as_deref()
    }

    /// The request of a server transaction.
    pub fn request(&self, tx: ServerTx) -> Option<&OwnedMessage> {
        self.entries.get(&tx.0)?.request.as_ref()
    }

    /// A datagram arrived from `source` over `transport` (UDP, or one SCTP/WebSocket message).
    pub fn handle_datagram(
        &mut self,
        source: SocketAddr,
        transport: Transport,
        data: &[u8],
        now: Instant,
    ) {
        if data.iter().all(|&b| b == b'\r' || b == b'\n') {
            // a keep-alive (RFC 5626 §4.4.2 uses STUN on UDP; CRLFs are harmless): nothing to do
            return;
        }
        let buf = Bytes::copy_from_slice(data);
        match OwnedMessage::parse_with(buf.clone(), &self.config.parse) {
            Ok(msg) => self.handle_message(msg, source, transport, now),
            Err(e) => self.handle_malformed(&buf, e, source, transport),
        }
    }

    /// Bytes arrived on the stream connection with `remote` (TCP, TLS): framed by
    /// Content-Length (§18.3), with CRLF keep-alives answered (RFC 5626 §4.4.1).
    pub fn handle_stream(
        &mut self,
        remote: SocketAddr,
        transport: Transport,
        data: &[u8],
        now: Instant,
    ) {
        let key = (remote, transport);
        let parse = self.config.parse.clone();
        let mut conn = self.streams.remove(&key).unwrap_or_else(|| StreamBuffer {
            buf: BytesMut::new(),
            decoder: StreamDecoder::new(parse.clone()),
        });
        conn.buf.extend_from_slice(data);
        loop {
            match conn.decoder.decode(&conn.buf) {
                Ok(Progress::Partial) => break,
                Ok(Progress::Complete(Frame::KeepAlive { kind, len })) => {
                    let _ = conn.buf.split_to(len);
                    if kind == KeepAlive::Ping {
                        self.transmit.push_back(Transmit {
                            destination: remote,
                            transport,
                            contents: Bytes::from_static(b"\r\n"),
                        });
                    }
                }
                Ok(Progress::Complete(Frame::Message { len })) => {
                    let frame = conn.buf.split_to(len).freeze();
                    match OwnedMessage::parse_with(frame.clone(), &parse) {
                        Ok(msg) => self.handle_message(msg, remote, transport, now),
                        Err(e) => self.handle_malformed(&frame, e, remote, transport),
                    }
                }
                Err(e) => {
                    // framing is lost: answer what can be answered, and close
                    let head = conn.buf.split().freeze();
                    self.handle_malformed(&head, e, remote, transport);
                    self.events.push_back(Event::CloseConnection { remote, transport });
                    return;
                }
            }
        }
        if conn.buf.len() > self.config.max_stream_buffer {
            self.events.push_back(Event::CloseConnection { remote, transport });
            return;
        }
        if !conn.buf.is_empty() {
            self.streams.insert(key, conn);
        }
    }

    /// The stream connection with `remote` closed or failed: its partial message is dropped and
    /// the client transactions sending over it fail (§17.1.4).
    pub fn handle_connection_closed(&mut self, remote: SocketAddr, transport: Transport) {
        self.streams.remove(&(remote, transport));
        if transport.is_stream() {
            self.fail_peer(remote, transport);
        }
    }

    /// Sending to `destination` over `transport` failed (ICMP unreachable, connection refused):
    /// every transaction sending there fails (§17.1.4, §17.2.4).
    pub fn handle_transport_error(&mut self, destination: SocketAddr, transport: Transport) {
        self.fail_peer(destination, transport);
    }

    fn fail_peer(&mut self, peer: SocketAddr, transport: Transport) {
        let mut failed: Vec<u64> = self
            .entries
            .iter()
            .filter(|(_, e)| e.peer == peer && e.transport == transport)
            .map(|(&id, _)| id)
            .collect();
        failed.sort_unstable();
        for id in failed {
            let entry = self.remove(id).expect("listed from the store");
            // a request that had its final response has had its outcome: dropping it loses
            // nothing; one still waiting fails
            let event = match &entry.machine {
                Machine::ClientNonInvite(m)
                    if matches!(m.state(), State::Trying | State::Proceeding) =>
                {
                    Some(Event::TransportError { tx: ClientTx(id) })
                }
                Machine::ClientInvite(m)
                    if matches!(m.state(), InviteState::Calling | InviteState::Proceeding) =>
                {
                    Some(Event::TransportError { tx: ClientTx(id) })
                }
                Machine::ClientNonInvite(_) | Machine::ClientInvite(_) => None,
                Machine::ServerInvite(_) | Machine::ServerNonInvite(_) => {
                    Some(Event::ResponseFailed { tx: ServerTx(id) })
                }
            };
            self.events.extend(event);
        }
    }

    /// The next bytes to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmit.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call [`Endpoint::handle_timeout`], and which timer of which transaction that
    /// is. Stale deadlines (of transactions that moved on) are dropped here.
    #[must_use]
    pub fn poll_timeout(&mut self) -> Option<(Instant, Timer)> {
        while let Some(&core::cmp::Reverse((at, id))) = self.heap.peek() {
            match self.entries.get(&id) {
                Some(e) if e.deadline == Some(at) => {
                    let timer = match next_timer(&e.machine) {
                        Some((t_at, t)) if timer_c(e).is_none_or(|c| t_at <= c) => t,
                        Some(_) | None => Timer::C,
                    };
                    return Some((at, timer));
                }
                Some(_) | None => {
                    self.heap.pop();
                }
            }
        }
        None
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&core::cmp::Reverse((at, id))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            let Some(entry) = self.entries.get_mut(&id) else { continue };
            if entry.deadline != Some(at) {
                continue; // stale: the transaction moved its deadline
            }
            entry.deadline = None;
            if timer_c(entry).is_some_and(|c| c <= now) {
                let removed = self.remove(id);
                debug_assert!(removed.is_some());
                self.events.push_back(Event::Timeout { tx: ClientTx(id) });
                continue;
            }
            match &mut entry.machine {
                Machine::ClientNonInvite(m) => m.handle_timeout(now),
                Machine::ClientInvite(m) => m.handle_timeout(now),
                Machine::ServerNonInvite(m) => m.handle_timeout(now),
                Machine::ServerInvite(m) => m.handle_timeout(now),
            }
            self.drive(id);
        }
        self.shrink();
    }

    fn insert(&mut self, entry: Entry) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.insert(id, Box::new(entry));
        id
    }

    /// Gives back what the transaction maps kept from a burst once they are a quarter full
    /// (each shrink halves what is left, so the cost is amortised).
    fn shrink(&mut self) {
        fn fit<K: Eq + core::hash::Hash, V>(m: &mut HashMap<K, V>) {
            if m.capacity() > 1024 && m.len() * 4 < m.capacity() {
                m.shrink_to(m.len() * 2);
            }
        }
        fit(&mut self.entries);
        fit(&mut self.clients);
        fit(&mut self.servers);
        fit(&mut self.merges);
        if self.heap.capacity() > 1024 && self.heap.len() * 4 < self.heap.capacity() {
            self.heap.shrink_to(self.heap.len() * 2);
        }
    }

    fn remove(&mut self, id: u64) -> Option<Box<Entry>> {
        let entry = self.entries.remove(&id)?;
        match &entry.key {
            Key::Client(k) => {
                self.clients.remove(k);
            }
            Key::Server(k) => {
                self.servers.remove(k);
            }
        }
        if let Some(m) = &entry.merge {
            self.merges.remove(m);
        }
        Some(entry)
    }

    /// Moves what transaction `id` has to say into the endpoint's queues, re-arms its deadline,
    /// and removes it once terminated.
    fn drive(&mut self, id: u64) {
        let Some(entry) = self.entries.get_mut(&id) else { return };
        let (peer, transport) = (entry.peer, entry.transport);
        let mut terminated = false;
        macro_rules! out {
            ($m:expr) => {
                while let Some(contents) = $m.poll_transmit() {
                    self.transmit.push_back(Transmit { destination: peer, transport, contents });
                }
            };
        }
        match &mut entry.machine {
            Machine::ClientNonInvite(m) => {
                out!(m);
                while let Some(ev) = m.poll_event() {
                    match ev {
                        ClientEvent::Provisional(r) | ClientEvent::Final(r) => {
                            self.events
                                .push_back(Event::Response { tx: ClientTx(id), response: r });
                        }
                        ClientEvent::Timeout => {
                            self.events.push_back(Event::Timeout { tx: ClientTx(id) })
                        }
                        ClientEvent::Terminated => terminated = true,
                    }
                }
            }
            Machine::ClientInvite(m) => {
                out!(m);
                while let Some(ev) = m.poll_event() {
                    match ev {
                        InviteEvent::Provisional(r)
                        | InviteEvent::Success(r)
                        | InviteEvent::Failure(r) => {
                            self.events
                                .push_back(Event::Response { tx: ClientTx(id), response: r });
                        }
                        InviteEvent::Timeout => {
                            self.events.push_back(Event::Timeout { tx: ClientTx(id) })
                        }
                        InviteEvent::Terminated => terminated = true,
                    }
                }
            }
            Machine::ServerNonInvite(m) => {
                out!(m);
                while let Some(ev) = m.poll_event() {
                    match ev {
                        ServerEvent::Terminated => terminated = true,
                    }
                }
            }
            Machine::ServerInvite(m) => {
                out!(m);
                while let Some(ev) = m.poll_event() {
                    match ev {
                        ServerInviteEvent::AckTimeout => {
                            self.events.push_back(Event::ResponseFailed { tx: ServerTx(id) });
                        }
                        ServerInviteEvent::Ack(ack) => self.events.push_back(Event::Ack {
                            tx: Some(ServerTx(id)),
                            request: ack,
                            source: peer,
                        }),
                        ServerInviteEvent::Terminated => terminated = true,
                    }
                }
            }
        }
        if terminated {
            self.remove(id);
            return;
        }
        let next = match (next_timer(&entry.machine).map(|(at, _)| at), timer_c(entry)) {
            (Some(at), Some(c)) => Some(at.min(c)),
            (None, c) => c,
            (at, None) => at,
        };
        if next != entry.deadline {
            entry.deadline = next;
            if let Some(at) = next {
                self.heap.push(core::cmp::Reverse((at, id)));
            }
        }
    }

    fn handle_message(
        &mut self,
        msg: OwnedMessage,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        if msg.status_code().is_some() {
            self.handle_response(msg, source, now);
        } else {
            self.handle_request(msg, source, transport, now);
        }
    }

    fn handle_response(&mut self, response: OwnedMessage, source: SocketAddr, now: Instant) {
        let (vias, key) = response.view(|m| {
            let vias: usize = m
                .headers_named(HeaderName::Via)
                .map(|h| crate::headers::ListSplit::new(h.value()).count())
                .sum();
            (vias, ClientKey::of(m))
        });
        // §18.1.2 is the UAC's rule; a proxy's responses carry the Vias of the hops before it
        if vias > 1 && !self.config.uas.forwards {
            self.events.push_back(Event::Dropped { source, reason: DropReason::ManyVias });
            return;
        }
        let key = match key {
            Ok(k) => k,
            Err(e) => {
                self.events.push_back(Event::Dropped { source, reason: DropReason::Malformed(e) });
                return;
            }
        };
        let Some(&id) = self.clients.get(&key) else {
            self.events.push_back(Event::StrayResponse { response, source });
            return;
        };
        let entry = self.entries.get_mut(&id).expect("a key maps to a live transaction");
        match &mut entry.machine {
            Machine::ClientNonInvite(m) => m.handle_response(response, now),
            Machine::ClientInvite(m) => m.handle_response(response, now),
            Machine::ServerNonInvite(_) | Machine::ServerInvite(_) => {
                unreachable!("client keys map to client transactions")
            }
        }
        self.drive(id);
    }

    fn handle_request(
        &mut self,
        request: OwnedMessage,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        let Ok(key) = request.view(ServerKey::of) else {
            // no usable Via or CSeq: answer statelessly if at all possible (§8.2 checks say why)
            let rejection =
                request.view(|m| crate::uas::check(m, &self.config.uas, |_| false).err());
            let rejection = rejection.unwrap_or(Rejection::new(
                400,
                "Bad Request",
                "Via, CSeq or the start line does not parse",
            ));
            self.reject_stateless(&request, &rejection, source, transport);
            return;
        };
        let method = request.method().map(Method::into_owned);
        if let Some(&id) = self.servers.get(&key) {
            let entry = self.entries.get_mut(&id).expect("a key maps to a live transaction");
            match (&mut entry.machine, &method) {
                (Machine::ServerInvite(m), Some(Method::Ack)) => m.handle_ack(request, now),
                (Machine::ServerInvite(m), _) => m.handle_retransmission(),
                (Machine::ServerNonInvite(m), _) => m.handle_retransmission(),
                (Machine::ClientNonInvite(_) | Machine::ClientInvite(_), _) => {
                    unreachable!("server keys map to server transactions")
                }
            }
            self.drive(id);
            return;
        }
        match method {
            Some(Method::Ack) => {
                // the ACK of a 2xx, or of a transaction that is gone: the dialog owner's
                self.events.push_back(Event::Ack { tx: None, request, source });
            }
            Some(Method::Cancel) => self.handle_cancel(request, key, source, transport, now),
            Some(_) | None => self.handle_new_request(request, key, source, transport, now),
        }
    }

    fn handle_new_request(
        &mut self,
        request: OwnedMessage,
        key: ServerKey,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        if self.refused_when_full(&request, source, transport) {
            return;
        }
        // one look at the request for everything the endpoint needs of it
        let merges = &self.merges;
        let uas = &self.config.uas;
        let (verdict, answerable, merge, has_tag, peer) = request.view(|m| {
            let verdict = crate::uas::check(m, uas, |k| merges.contains_key(k));
            let answerable = verdict.as_ref().err().is_none_or(|r| {
                MessageWriter::response_to(&mut Vec::new(), m, r.code, r.reason, None, None).is_ok()
            });
            let to = m.require::<crate::headers::ToHeader<'_>>().ok();
            let has_tag = to.as_ref().and_then(|t| t.tag().map(str::to_owned));
            (verdict, answerable, merge_key(m), has_tag, response_destination(m, source, transport))
        });
        if let (Err(r), false) = (&verdict, answerable) {
            // what the answer copies does not read: answer from the raw lines, statelessly
            self.reject_stateless(&request, r, source, transport);
            return;
        }
        let to_tag = has_tag.unwrap_or_else(|| self.ids.tag());
        let reliability = transport.reliability();
        let machine = if request.method() == Some(Method::Invite) {
            Machine::ServerInvite(ServerInvite::new(
                request.clone(),
                reliability,
                self.config.timers,
                now,
            ))
        } else {
            Machine::ServerNonInvite(ServerNonInvite::new(reliability, self.config.timers))
        };
        let merge = merge.filter(|_| verdict.is_ok());
        let id = self.insert(Entry {
            machine,
            key: Key::Server(key.clone()),
            peer,
            source,
            transport,
            request: Some(request.clone()),
            to_tag: Some(to_tag),
            merge: merge.clone(),
            deadline: None,
            timer_c: None,
        });
        self.servers.insert(key, id);
        if let Some(m) = merge {
            self.merges.insert(m, id);
        }
        match verdict {
            Ok(()) => {
                self.drive(id);
                self.events.push_back(Event::Request {
                    tx: ServerTx(id),
                    request,
                    source,
                    transport,
                });
            }
            Err(r) => {
                let value = r.header.as_ref().map(|(n, v)| (*n, v.as_bytes()));
                let headers: &[(&str, &[u8])] = match &value {
                    Some(h) => core::slice::from_ref(h),
                    None => &[],
                };
                let sent =
                    self.respond(ServerTx(id), &Reply::new(r.code, r.reason).headers(headers), now);
                debug_assert!(sent.is_ok(), "a fresh server transaction takes its first answer");
                self.events.push_back(Event::Rejected { source, code: r.code, why: r.why });
            }
        }
    }

    /// With the store full, a new request is answered 503 + Retry-After statelessly (and true
    /// returned): no transaction is created for it.
    fn refused_when_full(
        &mut self,
        request: &OwnedMessage,
        source: SocketAddr,
        transport: Transport,
    ) -> bool {
        if self.entries.len() < self.config.max_transactions {
            return false;
        }
        let mut full = Rejection::new(503, "Service Unavailable", "too many transactions");
        full.header = Some(("Retry-After", "5".to_owned()));
        self.reject_stateless(request, &full, source, transport);
        true
    }

    /// §9.2: a CANCEL matching an INVITE in progress gets 200 and the INVITE 487; one matching
    /// nothing gets 481.
    fn handle_cancel(
        &mut self,
        cancel: OwnedMessage,
        key: ServerKey,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        if self.refused_when_full(&cancel, source, transport) {
            return;
        }
        let invite =
            cancel.view(ServerKey::of_cancelled).ok().and_then(|k| self.servers.get(&k).copied());
        let pending = invite.filter(|id| {
            matches!(
                self.entries.get(id).map(|e| &e.machine),
                Some(Machine::ServerInvite(m)) if m.state() == ServerInviteState::Proceeding
            )
        });
        // the CANCEL's own transaction, answered at once
        let peer = cancel.view(|m| response_destination(m, source, transport));
        let id = self.insert(Entry {
            machine: Machine::ServerNonInvite(ServerNonInvite::new(
                transport.reliability(),
                self.config.timers,
            )),
            key: Key::Server(key.clone()),
            peer,
            source,
            transport,
            request: Some(cancel),
            to_tag: invite.and_then(|i| self.entries.get(&i)).and_then(|e| e.to_tag.clone()),
            merge: None,
            deadline: None,
            timer_c: None,
        });
        self.servers.insert(key, id);
        let reply = if invite.is_some() {
            Reply::new(200, "OK")
        } else {
            Reply::new(481, "Call/Transaction Does Not Exist")
        };
        let sent = self.respond(ServerTx(id), &reply, now);
        debug_assert!(sent.is_ok(), "a fresh server transaction takes its first answer");
        match (invite, pending) {
            (_, Some(inv)) => {
                let sent = self.respond(ServerTx(inv), &Reply::new(487, "Request Terminated"), now);
                debug_assert!(sent.is_ok(), "an INVITE in Proceeding takes a final answer");
                self.events.push_back(Event::Cancelled { tx: ServerTx(inv) });
            }
            (Some(_), None) => {} // the INVITE has its final answer: the CANCEL has no effect
            (None, None) => self.events.push_back(Event::Rejected {
                source,
                code: 481,
                why: "CANCEL matches no transaction",
            }),
        }
    }

    /// Answers `request` without a transaction (it cannot have one: the store is full, or
    /// its Via or CSeq does not parse), if it has the headers an answer copies.
    fn reject_stateless(
        &mut self,
        request: &OwnedMessage,
        r: &Rejection,
        source: SocketAddr,
        transport: Transport,
    ) {
        if request.method() == Some(Method::Ack) {
            self.events.push_back(Event::Dropped {
                source,
                reason: DropReason::Malformed(request.view(|m| m.missing_header())),
            });
            return;
        }
        let mut out = Vec::with_capacity(400);
        let tag = self.ids.tag();
        let written = request.view(|m| {
            MessageWriter::response_to(&mut out, m, r.code, r.reason, Some(&tag), Some(source)).map(
                |mut w| {
                    if let Some((name, value)) = &r.header {
                        w.raw_header(name, value.as_bytes());
                    }
                    w.finish();
                },
            )
        });
        match written {
            Ok(()) => {
                let destination = request.view(|m| response_destination(m, source, transport));
                self.send_rejection(out, destination, transport, (source, r.code, r.why));
            }
            Err(e) => match salvage_answer(request.bytes(), r.code, r.reason, &tag) {
                Some(answer) => {
                    let destination = salvage_destination(&answer, source, transport);
                    self.send_rejection(answer, destination, transport, (source, r.code, r.why));
                }
                None => self
                    .events
                    .push_back(Event::Dropped { source, reason: DropReason::Malformed(e) }),
            },
        }
    }

    /// A message that does not parse: a request is answered with the status its error names
    /// (400, or 505, 413, 513) when the headers an answer copies can be read; anything else is
    /// dropped, and said so.
    fn handle_malformed(
        &mut self,
        data: &[u8],
        error: Error,
        source: SocketAddr,
        transport: Transport,
    ) {
        let reason = match error.kind().category() {
            crate::Category::Limit => DropReason::TooLarge(error),
            crate::Category::Malformed | crate::Category::Unsupported => {
                DropReason::Malformed(error)
            }
        };
        if data.starts_with(b"SIP/") || !data.contains(&b' ') {
            self.events.push_back(Event::Dropped { source, reason });
            return;
        }
        let Some(answer) = salvage_answer(
            data,
            error.status_code(),
            reason_phrase(error.status_code()),
            &self.ids.tag(),
        ) else {
            self.events.push_back(Event::Dropped { source, reason });
            return;
        };
        let destination = salvage_destination(&answer, source, transport);
        let rejected = (source, error.status_code(), "malformed request");
        self.send_rejection(answer, destination, transport, rejected);
    }

    /// Sends an answer the endpoint made by itself, outside any transaction, and reports it
    /// as [`Event::Rejected`] (`(source, code, why)`).
    fn send_rejection(
        &mut self,
        answer: Vec<u8>,
        destination: SocketAddr,
        transport: Transport,
        (source, code, why): (SocketAddr, u16, &'static str),
    ) {
        self.transmit.push_back(Transmit { destination, transport, contents: Bytes::from(answer) });
        self.events.push_back(Event::Rejected { source, code, why });
    }
}

/// Timer C of a client INVITE still waiting for its final response.
fn timer_c(entry: &Entry) -> Option<Instant> {
    match &entry.machine {
        Machine::ClientInvite(m)
            if matches!(m.state(), InviteState::Calling | InviteState::Proceeding) =>
        {
            entry.timer_c
        }
        Machine::ClientInvite(_)
        | Machine::ClientNonInvite(_)
        | Machine::ServerNonInvite(_)
        | Machine::ServerInvite(_) => None,
    }
}

/// The next deadline of a machine.
fn next_timer(m: &Machine) -> Option<(Instant, Timer)> {
    match m {
        Machine::ClientNonInvite(m) => m.poll_timeout(),
        Machine::ClientInvite(m) => m.poll_timeout(),
        Machine::ServerNonInvite(m) => m.poll_timeout(),
        Machine::ServerInvite(m) => m.poll_timeout(),
    }
}

/// The §8.2.2.2 identity of a request without a To tag.
fn merge_key(m: &Message<'_, '_>) -> Option<MergeKey> {
    let to = m.require::<crate::headers::ToHeader<'_>>().ok()?;
    if to.tag().is_some() {
        return None;
    }
    let from = m.require::<crate::headers::FromHeader<'_>>().ok()?;
    let cseq = m.require::<CSeq<'_>>().ok()?;
    Some(MergeKey {
        from_tag: from.tag()?.to_owned(),
        call_id: m.require::<crate::headers::CallId<'_>>().ok()?.0.into_owned(),
        cseq: (cseq.seq, cseq.method.as_str().to_owned()),
    })
}

/// Where the responses to `request` go (§18.2.2 with RFC 3581): on a stream, back over the
/// connection it came on; on UDP, to `maddr` when the top Via names an address, else to the
/// source address, at the source port when the Via asked for `rport` and at the sent-by port
/// (default 5060) otherwise.
fn response_destination(
    m: &Message<'_, '_>,
    source: SocketAddr,
    transport: Transport,
) -> SocketAddr {
    match transport.reliability() {
        Reliability::Reliable => source,
        Reliability::Unreliable => {
            m.typed::<Via<'_>>().ok().flatten().map_or(source, |via| via_destination(&via, source))
        }
    }
}

fn via_destination(via: &Via<'_>, source: SocketAddr) -> SocketAddr {
    let port = via.port.unwrap_or(5060);
    if let Some(maddr) = via.params.get("maddr") {
        if let Ok(ip) = maddr.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
            return SocketAddr::new(ip, port);
        }
    }
    if via.rport().is_some() {
        return source;
    }
    SocketAddr::new(source.ip(), port)
}

/// The reason phrase for a status the endpoint sends about a malformed message.
const fn reason_phrase(code: u16) -> &'static str {
    match code {
        413 => "Request Entity Too Large",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        _ => "Bad Request",
    }
}

/// Header names (full and compact) an answer to a malformed request copies (§8.2.6).
const SALVAGED: [(&str, Option<&str>); 5] = [
    ("Via", Some("v")),
    ("From", Some("f")),
    ("To", Some("t")),
    ("Call-ID", Some("i")),
    ("CSeq", None),
];

/// An answer to a request that does not parse, copying its Via, From, To, Call-ID and CSeq
/// lines verbatim (the parse failed, so nothing is re-written): `None` without a Via or with
/// no single CSeq.
fn salvage_answer(data: &[u8], code: u16, reason: &str, tag: &str) -> Option<Vec<u8>> {
    let head_end = memchr::memmem::find(data, b"\r\n\r\n").unwrap_or(data.len());
    let head = &data[..head_end];
    let mut found: [Vec<&[u8]>; 5] = Default::default();
    let mut lines = head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let start = lines.next()?;
    if start.starts_with(b"SIP/") {
        return None;
    }
    let mut last: Option<usize> = None;
    for line in lines {
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            if let Some(i) = last {
                found[i].push(line); // folded continuation
            }
            continue;
        }
        last = None;
        let Some(colon) = memchr::memchr(b':', line) else { continue };
        let name = core::str::from_utf8(&line[..colon]).ok()?.trim();
        for (i, (full, short)) in SALVAGED.iter().enumerate() {
            if name.eq_ignore_ascii_case(full)
                || short.is_some_and(|s| name.eq_ignore_ascii_case(s))
            {
                found[i].push(&line[colon + 1..]);
                last = Some(i);
            }
        }
    }
    // Via routes the answer and CSeq matches it; From, To and Call-ID are copied when present
    // (RFC 4475 §3.3.1: a request missing them is still best answered with 400)
    if found[0].is_empty() || found[4].len() != 1 {
        return None;
    }
    let mut out = Vec::with_capacity(head.len() + 64);
    let mut w = MessageWriter::response(&mut out, code, reason);
    for (i, (name, _)) in SALVAGED.iter().enumerate() {
        for value in &found[i] {
            let v = value.trim_ascii();
            if i == 2 && !v.windows(5).any(|t| t.eq_ignore_ascii_case(b";tag=")) {
                let mut with_tag = v.to_vec();
                with_tag.extend_from_slice(b";tag=");
                with_tag.extend_from_slice(tag.as_bytes());
                w.raw_header(name, &with_tag);
            } else {
                w.raw_header(name, v);
            }
        }
    }
    w.finish();
    // the lines copied may hold what no parser takes (control bytes, a broken value): an
    // answer that would not parse is not sent, and the request is dropped instead
    let mut headers = [crate::Header::EMPTY; 64];
    Message::parse(&out, &mut headers).ok()?;
    Some(out)
}

/// Where an answer built by [`salvage_answer`] goes: by its top Via when that reads.
fn salvage_destination(answer: &[u8], source: SocketAddr, transport: Transport) -> SocketAddr {
    let mut headers = [crate::Header::EMPTY; 16];
    Message::parse(answer, &mut headers)
        .map_or(source, |m| response_destination(&m, source, transport))
}
