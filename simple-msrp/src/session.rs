//! A Sans-IO MSRP session endpoint (RFC 4975 §5.3, §7): sending messages in interruptible
//! chunks, receiving and reassembling them (in any order, within memory limits), responses,
//! success and failure REPORTs, and the 30-second transaction timer.
//!
//! The session owns no socket, no clock and no random source. Drive it like this, in this
//! order, whenever something happens (bytes arrive, the application sends, a deadline
//! passes):
//!
//! 1. **in**: [`Session::handle_input`] with what the connection read, [`Session::send`] /
//!    [`Session::abort`] / [`Session::close`] for the application, and
//!    [`Session::handle_timeout`] once the deadline from step 4 has passed;
//! 2. [`Session::poll_transmit`] until `None`, writing the bytes to the connection;
//! 3. [`Session::poll_event`] until `None`, telling the application;
//! 4. [`Session::poll_timeout`]: when to call [`Session::handle_timeout`] next and which
//!    [`Timer`] that is. It moves when a chunk that expects a response is written (a
//!    transaction starts), and when a response or a timeout ends the earliest one.
//!
//! Every message you send ends in exactly one of [`Event::Sent`]/[`Event::Delivered`] (or
//! both) or [`Event::SendFailed`] — except that through relays, whose 200 only says the next
//! hop took a chunk (RFC 4976 §3), a failure REPORT from further on can still turn a
//! [`Event::Sent`] message into [`Event::SendFailed`] (the last 1024 sent are remembered); every message that starts arriving ends in
//! [`Event::Received`], [`Event::ReceiveAborted`] or [`Event::ReceiveFailed`] — nothing is
//! dropped silently. Time must not go backwards from one call to the next.

use core::time::Duration;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use memchr::memmem::Finder;

use crate::error::Error;
use crate::frame::{Decoder, Flag, Frame, Head, Message, Method, ParseConfig, end_line_in_body};
use crate::headers::{ByteRange, FailureReport, ReportStatus, SuccessReport};
use crate::sdp::{MsrpMedia, type_matches};
use crate::uri::MsrpUri;

/// Settings of a [`Session`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Most body bytes in one chunk before it is ended with `+` and the message continues in a
    /// new one (default 64 KiB). Chunks are interrupted earlier whenever responses or REPORTs
    /// are waiting (§7.1.1).
    pub max_chunk: usize,
    /// Most bytes one [`Session::poll_transmit`] appends (default 16 KiB; a chunk with a
    /// definite range goes out whole).
    pub max_transmit: usize,
    /// How long to wait for the response to a chunk sent with `Failure-Report: yes`
    /// (default 30 s, §7.1.1).
    pub transaction_timeout: Duration,
    /// Largest incoming message (default 16 MiB); larger ones are refused with 413.
    pub max_message_size: u64,
    /// Most bytes held for all incoming messages being reassembled (default 64 MiB).
    pub max_reassembly: u64,
    /// Media types accepted for incoming messages (`*`, `type/*` or exact; default `*`).
    /// Others are refused with 415 (§7.3.1).
    pub accept_types: Vec<String>,
    /// Deliver incoming messages in pieces as they arrive ([`Event::Started`],
    /// [`Event::Data`], [`Event::Streamed`]) instead of reassembled in memory (default
    /// false): for file transfer, where a message is a whole file. `max_message_size` still
    /// applies; `max_reassembly` does not (nothing is held).
    pub streaming: bool,
    /// Limits of the framing decoder.
    pub parse: ParseConfig,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            max_chunk: 64 << 10,
            max_transmit: 16 << 10,
            transaction_timeout: Duration::from_secs(30),
            max_message_size: 16 << 20,
            max_reassembly: 64 << 20,
            accept_types: vec!["*".to_owned()],
            streaming: false,
            parse: ParseConfig::default(),
        }
    }
}

/// The timers of a [`Session`]: which one [`Session::poll_timeout`] says is due next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// The earliest transaction (a chunk sent with `Failure-Report: yes` or `partial`) whose
    /// response has not come within [`SessionConfig::transaction_timeout`] (§7.1.1).
    Transaction,
}

impl Timer {
    const COUNT: usize = 1;

    const fn index(self) -> usize {
        match self {
            Self::Transaction => 0,
        }
    }

    const ALL: [Self; Self::COUNT] = [Self::Transaction];
}

/// One deadline per [`Timer`]; the next one due is the earliest (quinn-proto's `TimerTable`).
#[derive(Debug, Clone, Default)]
struct TimerTable {
    at: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    const fn set(&mut self, timer: Timer, at: Option<Instant>) {
        self.at[timer.index()] = at;
    }

    fn next(&self) -> Option<(Instant, Timer)> {
        Timer::ALL.iter().filter_map(|&t| Some((self.at[t.index()]?, t))).min_by_key(|(at, _)| *at)
    }
}

/// Options of one outgoing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendOptions {
    /// `Success-Report` (default `no`).
    pub success_report: SuccessReport,
    /// `Failure-Report` (default `yes`).
    pub failure_report: FailureReport,
}

/// Why a sent message failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// A transaction response with this non-200 code (408 is [`FailureReason::Timeout`]).
    Response {
        /// The status code.
        code: u16,
    },
    /// A failure REPORT.
    Report {
        /// The status code of its `Status` header (`None` if it had none).
        code: Option<u16>,
    },
    /// No response within the transaction timeout, or a 408 response.
    Timeout,
    /// The application aborted it.
    Aborted,
    /// The session closed before it was confirmed (or was closed when it was sent).
    Closed,
    /// Not sent at all: the peer's SDP does not accept its media type (415, §8.6) or it is
    /// larger than the peer's `a=max-size` (413).
    Refused {
        /// The status code the peer would have answered with.
        code: u16,
    },
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A whole message arrived.
    Received {
        /// Its Message-ID.
        message_id: String,
        /// Its Content-Type.
        content_type: String,
        /// The reassembled content.
        body: Vec<u8>,
    },
    /// A streamed message ([`SessionConfig::streaming`]) started arriving.
    Started {
        /// Its Message-ID.
        message_id: String,
        /// Its Content-Type.
        content_type: String,
        /// Its length, when the first chunk's Byte-Range says.
        total: Option<u64>,
    },
    /// Bytes of a streamed message, at a 0-based offset into it (write them there: a chunk
    /// sent again comes again).
    Data {
        /// Its Message-ID.
        message_id: String,
        /// Where in the message they go.
        offset: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Every byte of a streamed message has arrived.
    Streamed {
        /// Its Message-ID.
        message_id: String,
        /// Its length.
        len: u64,
    },
    /// The peer aborted a message it was sending (`#`).
    ReceiveAborted {
        /// Its Message-ID.
        message_id: String,
    },
    /// An incoming message was refused (the peer was told so when its Failure-Report allowed).
    ReceiveFailed {
        /// Its Message-ID (empty if it had none).
        message_id: String,
        /// The status code sent or that would have been sent (400, 413, 415, 481).
        code: u16,
    },
    /// Every chunk of a message was written and, with `Failure-Report: yes`, acknowledged
    /// with 200.
    Sent {
        /// Its Message-ID.
        message_id: String,
    },
    /// A success REPORT covered this range of a sent message.
    Delivered {
        /// Its Message-ID.
        message_id: String,
        /// The range reported.
        range: ByteRange,
    },
    /// A sent message failed; no further chunks of it are sent.
    SendFailed {
        /// Its Message-ID.
        message_id: String,
        /// Why.
        reason: FailureReason,
    },
    /// The session was closed with a success report still outstanding for this message
    /// (§7.1.1: "the device SHOULD inform the user").
    Unconfirmed {
        /// Its Message-ID.
        message_id: String,
    },
    /// A REPORT arrived for a message this session does not know; ignored (§7.1.2).
    UnknownReport {
        /// The Message-ID it named.
        message_id: String,
    },
}

/// Where the content of a large outgoing message comes from ([`Session::send_stream`]): a
/// file, usually. The session asks for pieces as the connection takes them, so nothing more
/// than a piece is held.
pub trait Source: Send {
    /// The message's length in bytes.
    fn len(&self) -> u64;
    /// Whether the message is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Copies the bytes at `offset` (0-based) into `buf`; returns how many. Fewer than asked
    /// is fine; 0 before the end means "nothing now" and the session tries again on the next
    /// [`Session::poll_transmit`].
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> usize;
}

impl Source for Vec<u8> {
    fn len(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> usize {
        let at = usize::try_from(offset).unwrap_or(usize::MAX).min(<[u8]>::len(self));
        let n = buf.len().min(<[u8]>::len(self) - at);
        buf[..n].copy_from_slice(&self[at..at + n]);
        n
    }
}

/// The content of an outgoing message.
enum Body {
    Bytes(Vec<u8>),
    Stream(Box<dyn Source>),
}

impl core::fmt::Debug for Body {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Bytes(b) => write!(f, "Bytes({})", b.len()),
            Self::Stream(s) => write!(f, "Stream({})", s.len()),
        }
    }
}

#[derive(Debug)]
struct Outgoing {
    /// Order of [`Session::send`] calls, so that what is reported together is reported in
    /// the order it was sent (maps iterate in no fixed order).
    seq: u64,
    content_type: String,
    body: Body,
    /// The body's length.
    len: u64,
    /// The last bytes written, to find an end-line starting in them.
    tail: Vec<u8>,
    options: SendOptions,
    /// Next byte to send (0-based).
    pos: u64,
    /// Chunks sent whose response is outstanding.
    unacked: usize,
    failed: bool,
    /// All bytes have been written.
    written: bool,
    /// A success report is still expected.
    awaiting_report: bool,
    delivered: u64,
}

impl Outgoing {
    /// Whether the message can produce no more events.
    const fn is_done(&self) -> bool {
        self.failed || (self.written && self.unacked == 0 && !self.awaiting_report)
    }
}

#[derive(Debug)]
struct Chunk {
    tid: String,
    message_id: String,
    /// Body bytes written in this chunk so far.
    written: usize,
    /// Finds `"-------" tid`, the end-line this chunk's body must not carry.
    dashed: Finder<'static>,
    /// Sent with a definite range end: written in one go, never interrupted.
    definite: bool,
}

#[derive(Debug)]
struct Transaction {
    message_id: String,
    /// `Failure-Report: partial`: expiry is not a failure.
    silent: bool,
}

#[derive(Debug)]
struct Reassembly {
    /// Order in which messages started arriving (for the same reason as `Outgoing::seq`).
    seq: u64,
    content_type: String,
    data: Vec<u8>,
    /// Received 1-based inclusive ranges, merged and sorted.
    ranges: Vec<(u64, u64)>,
    total: Option<u64>,
    success_report: SuccessReport,
    reply_to: Vec<MsrpUri>,
}

/// What is done with the chunk being received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disposition {
    /// Its bytes go into the message's reassembly.
    Deliver,
    /// A chunk of a message already finished, or a bodiless SEND: acknowledged, otherwise
    /// ignored.
    Acknowledge,
    /// Refused: body bytes are skipped; answered with this code.
    Refuse(u16),
    /// A REPORT: never answered (§7.1.2).
    Unanswered,
}

/// The chunk being received.
#[derive(Debug)]
struct Receiving {
    tid: String,
    message_id: String,
    /// 1-based position of the next body byte.
    next: u64,
    start: u64,
    failure_report: FailureReport,
    reply_to: Option<MsrpUri>,
    disposition: Disposition,
    is_send: bool,
}

/// One MSRP session on one connection. See the module docs for the run loop.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    local: MsrpUri,
    remote: Vec<MsrpUri>,
    rng: u64,
    decoder: Decoder,
    rx: Vec<u8>,
    receiving: Option<Receiving>,
    incoming: HashMap<String, Reassembly>,
    finished: HashSet<String>,
    finished_order: VecDeque<String>,
    held: u64,
    /// Responses and REPORTs, written before (or between) chunks.
    priority: VecDeque<Vec<u8>>,
    /// Messages that can still produce events, by Message-ID.
    outgoing: HashMap<String, Outgoing>,
    /// Message-IDs with bytes left to write, in the order they were sent (entries of
    /// messages that failed meanwhile are skipped when they come up).
    queue: VecDeque<String>,
    chunk: Option<Chunk>,
    /// Open transactions by transaction id.
    transactions: HashMap<String, Transaction>,
    /// Transaction deadlines in the order they were set, which is their time order (the
    /// timeout is fixed and time does not go backwards); the front is always open.
    deadlines: VecDeque<(Instant, String)>,
    timers: TimerTable,
    /// The last `Outgoing::seq` / `Reassembly::seq` given.
    next_seq: u64,
    events: VecDeque<Event>,
    closed: bool,
    /// What the peer's SDP said it accepts, if known.
    peer: Option<MsrpMedia>,
    /// A piece read from a [`Source`].
    scratch: Vec<u8>,
    /// Messages sent and confirmed by the next hop, with their lengths, that a failure
    /// REPORT may still name.
    sent: HashMap<String, u64>,
    sent_order: VecDeque<String>,
}

impl Session {
    /// A session identified by `local` (our `a=path` URI, used in From-Path) talking to
    /// `remote` (the peer's `a=path`, used as To-Path). `seed` seeds the generator of
    /// transaction and message identifiers (64 bits of it go into each): take it from a real
    /// random source, a different one for every session.
    pub fn new(config: SessionConfig, seed: u64, local: MsrpUri, remote: Vec<MsrpUri>) -> Self {
        let decoder = Decoder::new(config.parse.clone());
        Self {
            config,
            local,
            remote,
            rng: seed,
            decoder,
            rx: Vec::new(),
            receiving: None,
            incoming: HashMap::new(),
            finished: HashSet::new(),
            finished_order: VecDeque::new(),
            held: 0,
            priority: VecDeque::new(),
            outgoing: HashMap::new(),
            queue: VecDeque::new(),
            chunk: None,
            transactions: HashMap::new(),
            deadlines: VecDeque::new(),
            timers: TimerTable::default(),
            next_seq: 0,
            events: VecDeque::new(),
            closed: false,
            peer: None,
            scratch: Vec::new(),
            sent: HashMap::new(),
            sent_order: VecDeque::new(),
        }
    }

    /// Our URI.
    pub const fn local(&self) -> &MsrpUri {
        &self.local
    }

    /// Bytes held for incoming data: input not yet consumed (at most a partial head, within
    /// [`ParseConfig::max_head_size`], and the start of a possible end-line) plus the messages
    /// being reassembled (within [`SessionConfig::max_reassembly`]).
    pub fn buffered(&self) -> usize {
        self.rx.len() + usize::try_from(self.held).expect("held is within max_reassembly, a usize")
    }

    fn next_id(&mut self) -> String {
        // SplitMix64: 64 random bits per identifier, written in base 62 (11 characters)
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut s = String::with_capacity(11);
        for _ in 0..11 {
            s.push(char::from(ALPHABET[(z % 62) as usize]));
            z /= 62;
        }
        s
    }

    /// Records the peer's SDP media description: messages it does not accept (by
    /// `a=accept-types` or `a=max-size`) are refused locally instead of sent (§8.6).
    pub fn set_peer_media(&mut self, media: MsrpMedia) {
        self.peer = Some(media);
    }

    /// Queues a message; returns its Message-ID. A message that cannot go out is not queued,
    /// and [`Event::SendFailed`] follows instead: [`FailureReason::Refused`] when the peer's
    /// SDP rules it out, [`FailureReason::Closed`] after [`Session::close`].
    pub fn send(
        &mut self,
        content_type: &str,
        body: impl Into<Vec<u8>>,
        options: SendOptions,
    ) -> String {
        let body = body.into();
        let len = body.len() as u64;
        self.queue_body(content_type, Body::Bytes(body), len, options)
    }

    /// Queues a message whose content is read from `source` piece by piece as the connection
    /// takes it (a file of any size; RFC 5547 sends one file as one message). Its chunks are
    /// always interruptible (`Byte-Range: n-*/len`). Events as for [`Session::send`].
    pub fn send_stream(
        &mut self,
        content_type: &str,
        source: Box<dyn Source>,
        options: SendOptions,
    ) -> String {
        let len = source.len();
        self.queue_body(content_type, Body::Stream(source), len, options)
    }

    fn queue_body(
        &mut self,
        content_type: &str,
        body: Body,
        len: u64,
        options: SendOptions,
    ) -> String {
        let message_id = self.next_id();
        let refused = if self.closed {
            Some(FailureReason::Closed)
        } else if let Some(peer) = &self.peer {
            if !peer.accepts(content_type) {
                Some(FailureReason::Refused { code: 415 })
            } else if peer.max_size.is_some_and(|m| len > m) {
                Some(FailureReason::Refused { code: 413 })
            } else {
                None
            }
        } else {
            None
        };
        if let Some(reason) = refused {
            self.events.push_back(Event::SendFailed { message_id: message_id.clone(), reason });
            return message_id;
        }
        self.next_seq += 1;
        let o = Outgoing {
            seq: self.next_seq,
            content_type: content_type.to_owned(),
            body,
            len,
            tail: Vec::new(),
            options,
            pos: 0,
            unacked: 0,
            failed: false,
            written: false,
            awaiting_report: options.success_report == SuccessReport::Yes,
            delivered: 0,
        };
        self.outgoing.insert(message_id.clone(), o);
        self.queue.push_back(message_id.clone());
        message_id
    }

    /// Stops sending a message: a chunk in progress ends with `#`; [`Event::SendFailed`] with
    /// [`FailureReason::Aborted`] follows. Returns false (and does nothing) if the message
    /// is unknown or can produce no more events.
    pub fn abort(&mut self, message_id: &str) -> bool {
        let known = self.outgoing.get(message_id).is_some_and(|o| !o.failed);
        if known {
            self.fail(message_id, FailureReason::Aborted);
        }
        known
    }

    /// Marks a message failed and reports it (once).
    fn fail(&mut self, message_id: &str, reason: FailureReason) {
        let Some(o) = self.outgoing.get_mut(message_id) else { return };
        if o.failed {
            return;
        }
        o.failed = true;
        o.awaiting_report = false;
        self.events.push_back(Event::SendFailed { message_id: message_id.to_owned(), reason });
        self.settle(message_id);
    }

    /// Forgets a message once it can produce no more events (unless a chunk of it is being
    /// written: [`Session::transmit`] ends that chunk first).
    fn settle(&mut self, message_id: &str) {
        if self.chunk.as_ref().is_some_and(|c| c.message_id == message_id) {
            return;
        }
        if let Some(o) = self.outgoing.get(message_id).filter(|o| o.is_done()) {
            if !o.failed && o.options.failure_report != FailureReport::No {
                // through relays, a 200 is hop by hop: a failure REPORT may still come
                // (RFC 4976 §3); remember the last 1024 such messages for it
                if self.sent_order.len() >= 1024 {
                    if let Some(old) = self.sent_order.pop_front() {
                        self.sent.remove(&old);
                    }
                }
                self.sent.insert(message_id.to_owned(), o.len);
                self.sent_order.push_back(message_id.to_owned());
            }
            self.outgoing.remove(message_id);
        }
    }

    /// Closes the session: messages not yet confirmed fail with [`FailureReason::Closed`],
    /// and those still awaiting a success report are reported [`Event::Unconfirmed`]; later
    /// sends fail the same way. Nothing more is transmitted.
    pub fn close(&mut self) {
        self.closed = true;
        self.chunk = None;
        self.rx = Vec::new();
        self.receiving = None;
        // report in the order the messages were sent, and arrived
        let mut outgoing: Vec<(String, Outgoing)> = self.outgoing.drain().collect();
        outgoing.sort_unstable_by_key(|(_, o)| o.seq);
        for (id, o) in outgoing {
            if o.failed {
                continue;
            }
            if !o.written || o.unacked > 0 {
                let reason = FailureReason::Closed;
                self.events.push_back(Event::SendFailed { message_id: id, reason });
            } else if o.awaiting_report {
                self.events.push_back(Event::Unconfirmed { message_id: id });
            }
        }
        self.queue.clear();
        let mut incoming: Vec<(String, Reassembly)> = self.incoming.drain().collect();
        incoming.sort_unstable_by_key(|(_, m)| m.seq);
        for (message_id, _) in incoming {
            self.events.push_back(Event::ReceiveAborted { message_id });
        }
        self.held = 0;
        self.transactions.clear();
        self.deadlines.clear();
        self.timers.set(Timer::Transaction, None);
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] wants to be called, and which timer that is.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<(Instant, Timer)> {
        self.timers.next()
    }

    /// Fires the timers due at `now`: transactions without a response fail their message
    /// with [`FailureReason::Timeout`] (with `Failure-Report: partial` they end quietly).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, _)) = self.deadlines.front() {
            if *at > now {
                break;
            }
            let Some((_, tid)) = self.deadlines.pop_front() else { break };
            let Some(t) = self.transactions.remove(&tid) else { continue };
            if !t.silent {
                if let Some(o) = self.outgoing.get_mut(&t.message_id) {
                    o.unacked = o.unacked.saturating_sub(1);
                }
                self.fail(&t.message_id, FailureReason::Timeout);
            }
        }
        self.update_timer();
    }

    /// Drops deadlines of transactions that ended, so the front is open, and sets the timer.
    fn update_timer(&mut self) {
        while self.deadlines.front().is_some_and(|(_, tid)| !self.transactions.contains_key(tid)) {
            self.deadlines.pop_front();
        }
        self.timers.set(Timer::Transaction, self.deadlines.front().map(|(at, _)| *at));
    }

    // ---- sending -----------------------------------------------------------------------

    /// Appends the next bytes to write to the connection to `buf` (the caller's buffer, reused
    /// across calls) and returns how many, or `None` when there is nothing to send.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<usize> {
        if self.closed {
            return None;
        }
        let start = buf.len();
        self.transmit(now, buf);
        let n = buf.len() - start;
        (n > 0).then_some(n)
    }

    fn transmit(&mut self, now: Instant, out: &mut Vec<u8>) {
        let base = out.len();
        if let Some(p) = self.priority.pop_front() {
            // responses and reports interrupt a chunk in progress (§7.1.1)
            self.end_chunk(out, Flag::More, now);
            out.extend_from_slice(&p);
            return;
        }
        loop {
            if self.chunk.is_none() && !self.start_chunk(out) {
                return;
            }
            let chunk = self.chunk.as_ref().expect("a chunk is in progress: started above");
            let o = self.outgoing.get(&chunk.message_id).expect("a chunk's message is kept");
            if o.failed {
                self.end_chunk(out, Flag::Abort, now);
                continue;
            }
            // a chunk with a definite range must not be interrupted: it goes out whole
            let room = if chunk.definite {
                usize::MAX
            } else {
                self.config.max_transmit.saturating_sub(out.len() - base).max(1)
            };
            let left_in_chunk = self.config.max_chunk.saturating_sub(chunk.written);
            let left = usize::try_from(o.len - o.pos).unwrap_or(usize::MAX);
            let want = left.min(room).min(left_in_chunk);
            let dashed = &chunk.dashed;
            let o = self.outgoing.get_mut(&chunk.message_id).expect("a chunk's message is kept");
            let piece: &[u8] = match &mut o.body {
                Body::Bytes(b) => {
                    let at = usize::try_from(o.pos).expect("a position in a Vec fits a usize");
                    &b[at..at + want]
                }
                Body::Stream(src) => {
                    // a piece at a time: at most max_transmit (or max_chunk) bytes are held
                    self.scratch.resize(want, 0);
                    let n = src.read_at(o.pos, &mut self.scratch[..want]).min(want);
                    &self.scratch[..n]
                }
            };
            let got = piece.len();
            // never let the body carry this chunk's end-line: stop right before it
            let n = clean_prefix(piece, dashed, &o.tail);
            out.extend_from_slice(&piece[..n]);
            keep_tail(&mut o.tail, &piece[..n]);
            o.pos += n as u64;
            let done = o.pos == o.len;
            let chunk = self.chunk.as_mut().expect("a chunk is in progress: started above");
            chunk.written += n;
            let written = chunk.written;
            if done {
                self.end_chunk(out, Flag::End, now);
            } else if got == 0 && want > 0 {
                return; // the source has nothing now: the chunk stays open
            } else if written >= self.config.max_chunk || n < got || n == 0 {
                self.end_chunk(out, Flag::More, now);
            } else {
                return; // out of room for this call
            }
            if out.len() - base >= self.config.max_transmit {
                return;
            }
        }
    }

    /// Writes the head of the next chunk of the first message with bytes left.
    fn start_chunk(&mut self, out: &mut Vec<u8>) -> bool {
        let message_id = loop {
            let Some(front) = self.queue.front() else { return false };
            match self.outgoing.get(front) {
                Some(o) if !o.failed && !o.written => break front.clone(),
                Some(_) | None => {
                    self.queue.pop_front();
                }
            }
        };
        let o = &self.outgoing[&message_id];
        let total = o.len;
        let start = o.pos + 1;
        let rest = o.len - o.pos;
        // small enough to go out whole: a definite range; otherwise interruptible ("*");
        // a streamed body is always interruptible
        // (RFC 4975 §7.1: a chunk over 2048 octets must be interruptible, so "*")
        let definite = matches!(o.body, Body::Bytes(_))
            && rest <= self.config.max_transmit.min(self.config.max_chunk).min(MAX_DEFINITE) as u64;
        let end = definite.then_some(total);
        // an interruptible chunk is checked for its end-line as it is written (clean_prefix);
        // a definite one cannot be cut, so its id must not occur in what it carries
        let tid = loop {
            let tid = self.next_id();
            let o = &self.outgoing[&message_id];
            let unsafe_id = match &o.body {
                Body::Bytes(b) if definite => {
                    let at = usize::try_from(o.pos).expect("a position in a Vec fits a usize");
                    end_line_in_body(&b[at..], &tid)
                }
                Body::Bytes(_) | Body::Stream(_) => false,
            };
            if !unsafe_id {
                break tid;
            }
        };
        let o = &self.outgoing[&message_id];
        let mut m =
            Message::request(&tid, "SEND", &self.remote, core::slice::from_ref(&self.local))
                .with_header("Message-ID", &message_id)
                .with_header("Byte-Range", ByteRange { start, end, total: Some(total) });
        if o.options.success_report == SuccessReport::Yes {
            m = m.with_header("Success-Report", "yes");
        }
        if o.options.failure_report != FailureReport::Yes {
            m = m.with_header("Failure-Report", o.options.failure_report.as_str());
        }
        m = m.with_header("Content-Type", &o.content_type);
        m.write_head(out);
        out.extend_from_slice(b"\r\n"); // the blank line: the body follows
        let mut dashed = b"-------".to_vec();
        dashed.extend_from_slice(tid.as_bytes());
        let dashed = Finder::new(&dashed).into_owned();
        self.chunk = Some(Chunk { tid, message_id, written: 0, dashed, definite });
        true
    }

    /// Ends the chunk in progress, if any, with `flag`.
    fn end_chunk(&mut self, out: &mut Vec<u8>, flag: Flag, now: Instant) {
        let Some(c) = self.chunk.take() else { return };
        out.extend_from_slice(b"\r\n-------");
        out.extend_from_slice(c.tid.as_bytes());
        out.push(flag.as_byte());
        out.extend_from_slice(b"\r\n");
        let o = self.outgoing.get_mut(&c.message_id).expect("a chunk's message is kept");
        if flag == Flag::End {
            o.written = true;
        }
        let silent = match o.options.failure_report {
            _ if flag == Flag::Abort => None,
            FailureReport::Yes => Some(false),
            // only error responses come back; forget the transaction quietly after the timeout
            FailureReport::Partial => Some(true),
            FailureReport::No => None,
        };
        if silent == Some(false) {
            o.unacked += 1;
        }
        let sent = flag != Flag::Abort && o.written && o.unacked == 0 && !o.failed;
        if let Some(silent) = silent {
            let t = Transaction { message_id: c.message_id.clone(), silent };
            self.transactions.insert(c.tid.clone(), t);
            self.deadlines.push_back((now + self.config.transaction_timeout, c.tid));
            if self.deadlines.len() == 1 {
                self.update_timer();
            }
        }
        if sent {
            self.events.push_back(Event::Sent { message_id: c.message_id.clone() });
        }
        self.settle(&c.message_id);
    }

    // ---- receiving ---------------------------------------------------------------------

    /// Feeds bytes read from the connection. A protocol error means the connection must be
    /// closed (the session is closed too, and its pending work reported); the error's offset
    /// counts from the first byte not yet consumed. Bytes after [`Session::close`] are
    /// ignored.
    pub fn handle_input(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.closed {
            return Ok(());
        }
        // out of `self` while frames are handled (`on_frame` takes all of it)
        let mut rx = core::mem::take(&mut self.rx);
        let mut decoder = core::mem::take(&mut self.decoder);
        let result = decoder.feed(&mut rx, data, |frame| self.on_frame(frame));
        self.rx = rx;
        self.decoder = decoder;
        if result.is_err() {
            self.close();
        }
        result
    }

    /// Whether [`Session::close`] was called (or a protocol error closed it).
    pub const fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether a chunk is half written: the connection cannot carry anything else until
    /// [`Session::poll_transmit`] has finished it.
    pub const fn in_chunk(&self) -> bool {
        self.chunk.is_some()
    }

    pub(crate) fn on_frame(&mut self, frame: Frame<'_>) {
        match frame {
            Frame::Head(h) => self.on_head(&h),
            Frame::Data(d) => self.on_data(d),
            Frame::End(flag) => self.on_end(flag),
        }
    }

    fn on_head(&mut self, h: &Head<'_>) {
        let Some(method) = h.method() else {
            // a response has no body; the end-line follows
            if let Some(code) = h.start.code() {
                self.on_response(h.tid(), code);
            }
            self.receiving = None;
            return;
        };
        let is_send = method == Method::Send;
        let message_id = h.message_id.unwrap_or_default();
        // §7.3: exactly one To-Path URI, ours
        let ours = h.to_path.len() == 1 && h.to_path[0].matches(&self.local);
        let mut disposition = if method == Method::Report {
            if ours {
                self.on_report(h);
            }
            Disposition::Unanswered
        } else if !ours {
            Disposition::Refuse(481)
        } else if !is_send {
            Disposition::Refuse(501)
        } else if !h.has_body {
            // a bodiless SEND is traffic, not content (§7.1): acknowledged, nothing to deliver
            Disposition::Acknowledge
        } else if h.message_id.is_none() {
            Disposition::Refuse(400)
        } else if !type_matches(&self.config.accept_types, h.content_type.unwrap_or_default()) {
            Disposition::Refuse(415)
        } else if h
            .byte_range
            .and_then(|b| b.total)
            .is_some_and(|t| t > self.config.max_message_size)
        {
            Disposition::Refuse(413)
        } else {
            Disposition::Deliver
        };
        if disposition == Disposition::Deliver && self.finished.contains(message_id) {
            disposition = Disposition::Acknowledge; // a copy of a chunk of a message delivered
        }
        if disposition == Disposition::Deliver {
            let content_type = h.content_type.unwrap_or_default();
            let next_seq = &mut self.next_seq;
            if self.config.streaming && !self.incoming.contains_key(message_id) {
                self.events.push_back(Event::Started {
                    message_id: message_id.to_owned(),
                    content_type: content_type.to_owned(),
                    total: h.byte_range.and_then(|b| b.total),
                });
            }
            let entry = self.incoming.entry(message_id.to_owned()).or_insert_with(|| Reassembly {
                seq: {
                    *next_seq += 1;
                    *next_seq
                },
                content_type: content_type.to_owned(),
                data: Vec::new(),
                ranges: Vec::new(),
                total: None,
                success_report: h.success_report,
                reply_to: h.from_path.clone(),
            });
            if entry.content_type.is_empty() {
                content_type.clone_into(&mut entry.content_type);
            }
            if let Some(t) = h.byte_range.and_then(|b| b.total) {
                entry.total.get_or_insert(t);
            }
            entry.success_report = h.success_report;
        }
        let start = h.byte_range.map_or(1, |b| b.start);
        self.receiving = Some(Receiving {
            tid: h.tid().to_owned(),
            message_id: message_id.to_owned(),
            next: start,
            start,
            failure_report: h.failure_report,
            reply_to: h.from_path.first().cloned(),
            disposition,
            is_send,
        });
    }

    fn on_data(&mut self, d: &[u8]) {
        let Some(r) = &mut self.receiving else { return };
        if r.disposition != Disposition::Deliver {
            return;
        }
        let pos = r.next;
        r.next += d.len() as u64;
        let end = r.next - 1;
        let too_big = end > self.config.max_message_size;
        let Some(m) = self.incoming.get_mut(&r.message_id) else { return };
        if self.config.streaming {
            if too_big {
                r.disposition = Disposition::Refuse(413);
                let id = r.message_id.clone();
                self.drop_incoming(&id);
                return;
            }
            // handed on as it comes: only the ranges are kept
            self.events.push_back(Event::Data {
                message_id: r.message_id.clone(),
                offset: pos - 1,
                data: d.to_vec(),
            });
            return;
        }
        let need = usize::try_from(end).unwrap_or(usize::MAX);
        let grow = need.saturating_sub(m.data.len()) as u64;
        if too_big || self.held + grow > self.config.max_reassembly {
            r.disposition = Disposition::Refuse(413);
            let id = r.message_id.clone();
            self.drop_incoming(&id);
            return;
        }
        if m.data.len() < need {
            m.data.resize(need, 0);
        }
        let from = usize::try_from(pos - 1).expect("positions start at 1 and fit: need does");
        m.data[from..need].copy_from_slice(d);
        self.held += grow;
    }

    /// Forgets a message being reassembled and the memory it held.
    fn drop_incoming(&mut self, id: &str) {
        if let Some(m) = self.incoming.remove(id) {
            self.held -= m.data.len() as u64;
        }
    }

    fn on_end(&mut self, flag: Flag) {
        let Some(r) = self.receiving.take() else { return };
        match r.disposition {
            Disposition::Unanswered => return,
            Disposition::Refuse(code) => {
                if r.failure_report != FailureReport::No {
                    self.respond(&r, code);
                }
                if r.is_send {
                    self.drop_incoming(&r.message_id);
                    self.events.push_back(Event::ReceiveFailed { message_id: r.message_id, code });
                }
                return;
            }
            Disposition::Acknowledge | Disposition::Deliver => {}
        }
        if r.failure_report == FailureReport::Yes {
            self.respond(&r, 200);
        }
        if r.disposition == Disposition::Acknowledge {
            return;
        }
        let id = r.message_id;
        let Some(m) = self.incoming.get_mut(&id) else { return };
        if r.next > r.start {
            insert_range(&mut m.ranges, r.start, r.next - 1);
        }
        match flag {
            Flag::Abort => {
                self.drop_incoming(&id);
                self.remember(&id);
                self.events.push_back(Event::ReceiveAborted { message_id: id });
                return;
            }
            Flag::End => {
                // the '$' chunk defines the length (§7.3.1)
                m.total = Some(r.next - 1);
            }
            Flag::More => {}
        }
        let complete = m.total.is_some_and(|t| t == 0 || m.ranges == [(1, t)]);
        if !complete {
            return;
        }
        let mut m = self.incoming.remove(&id).expect("looked up above");
        self.held -= m.data.len() as u64;
        let total = m.total.expect("complete messages have a length");
        m.data.truncate(usize::try_from(total).unwrap_or(usize::MAX)); // (empty when streamed)
        if m.success_report == SuccessReport::Yes {
            let tid = self.next_id();
            let report =
                Message::request(&tid, "REPORT", &m.reply_to, core::slice::from_ref(&self.local))
                    .with_header("Message-ID", &id)
                    .with_header("Byte-Range", ByteRange::whole(total))
                    .with_header("Status", ReportStatus::new(200, Some("OK")));
            self.priority.push_back(report.to_vec());
        }
        self.remember(&id);
        if self.config.streaming {
            self.events.push_back(Event::Streamed { message_id: id, len: total });
            return;
        }
        self.events.push_back(Event::Received {
            message_id: id,
            content_type: m.content_type,
            body: m.data,
        });
    }

    /// Remembers a finished incoming message (the last 1024) so late duplicates of its chunks
    /// are not taken for a new message.
    fn remember(&mut self, id: &str) {
        if self.finished_order.len() >= 1024 {
            if let Some(old) = self.finished_order.pop_front() {
                self.finished.remove(&old);
            }
        }
        self.finished.insert(id.to_owned());
        self.finished_order.push_back(id.to_owned());
    }

    fn respond(&mut self, r: &Receiving, code: u16) {
        let Some(to) = &r.reply_to else { return };
        let comment = match code {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            413 => "Message Too Large",
            415 => "Unsupported Media Type",
            481 => "Session Does Not Exist",
            501 => "Not Implemented",
            _ => "Error",
        };
        let m = Message::response(
            &r.tid,
            code,
            Some(comment),
            core::slice::from_ref(to),
            core::slice::from_ref(&self.local),
        );
        self.priority.push_back(m.to_vec());
    }

    fn on_response(&mut self, tid: &str, code: u16) {
        let Some(t) = self.transactions.remove(tid) else { return };
        self.update_timer();
        let Some(o) = self.outgoing.get_mut(&t.message_id) else { return };
        o.unacked = o.unacked.saturating_sub(1);
        match code {
            200 => {
                if o.written && o.unacked == 0 && !o.failed {
                    self.events.push_back(Event::Sent { message_id: t.message_id.clone() });
                }
                self.settle(&t.message_id);
            }
            408 => self.fail(&t.message_id, FailureReason::Timeout),
            code => self.fail(&t.message_id, FailureReason::Response { code }),
        }
    }

    fn on_report(&mut self, h: &Head<'_>) {
        let id = h.message_id.unwrap_or_default();
        let Some(o) = self.outgoing.get_mut(id) else {
            let failure = h.status.as_ref().filter(|s| !(s.namespace == 0 && s.code == 200));
            if let (Some(s), true) = (failure, self.sent.contains_key(id)) {
                // a message the next hop confirmed failed further on
                self.sent.remove(id);
                let reason = FailureReason::Report { code: Some(s.code) };
                self.events.push_back(Event::SendFailed { message_id: id.to_owned(), reason });
                return;
            }
            self.events.push_back(Event::UnknownReport { message_id: id.to_owned() });
            return;
        };
        match &h.status {
            Some(s) if s.namespace == 0 && s.code == 200 => {
                let total = o.len;
                let range = h.byte_range.unwrap_or(ByteRange::whole(total));
                o.delivered = o.delivered.max(range.end.unwrap_or(total));
                if o.delivered >= total {
                    o.awaiting_report = false;
                }
                self.events.push_back(Event::Delivered { message_id: id.to_owned(), range });
                self.settle(id);
            }
            status => {
                self.fail(id, FailureReason::Report { code: status.as_ref().map(|s| s.code) })
            }
        }
    }
}

/// The largest chunk body sent with a definite range end (RFC 4975 §7.1: larger chunks must
/// be interruptible, which a `*` range end says).
const MAX_DEFINITE: usize = 2048;

/// The longest `"-------" tid` this crate checks for (a tid has at most 32 characters).
pub(crate) const MAX_DASHED: usize = 7 + 32;

/// How much of `piece` can be written without the chunk's end-line appearing in the body,
/// checking across the boundary with what was written `before` it. Copies at most two
/// end-lines' worth of bytes, however large the piece.
pub(crate) fn clean_prefix(piece: &[u8], dashed: &Finder<'_>, before: &[u8]) -> usize {
    let d = dashed.needle().len();
    debug_assert!(d <= MAX_DASHED, "transaction ids are ours: 11 characters");
    // a match across the boundary starts in the last d - 1 bytes written and ends in `piece`
    let keep = (d - 1).min(before.len());
    let head = (d - 1).min(piece.len());
    let mut window = [0u8; 2 * MAX_DASHED];
    window[..keep].copy_from_slice(&before[before.len() - keep..]);
    window[keep..keep + head].copy_from_slice(&piece[..head]);
    if let Some(i) = dashed.find(&window[..keep + head]) {
        return i.saturating_sub(keep);
    }
    dashed.find(piece).unwrap_or(piece.len())
}

/// Keeps the last bytes written (enough to find an end-line that starts in them).
pub(crate) fn keep_tail(tail: &mut Vec<u8>, written: &[u8]) {
    tail.extend_from_slice(&written[written.len().saturating_sub(MAX_DASHED)..]);
    let extra = tail.len().saturating_sub(MAX_DASHED);
    tail.drain(..extra);
}

/// Adds `[a, b]` to sorted, merged ranges.
fn insert_range(ranges: &mut Vec<(u64, u64)>, a: u64, b: u64) {
    ranges.push((a, b));
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for &(x, y) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if x <= last.1 + 1 => last.1 = last.1.max(y),
            _ => merged.push((x, y)),
        }
    }
    *ranges = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finder(tid: &str) -> Finder<'static> {
        Finder::new(format!("-------{tid}").as_bytes()).into_owned()
    }

    #[test]
    fn clean_prefix_stops_before_the_end_line_wherever_it_falls() {
        let f = finder("abc123");
        // nowhere: the whole piece
        assert_eq!(clean_prefix(b"hello world", &f, b""), 11);
        // inside the piece: right before it
        assert_eq!(clean_prefix(b"xx-------abc123yy", &f, b"before"), 2);
        // across the boundary: it starts in what was written, so nothing more may be
        assert_eq!(clean_prefix(b"abc123 and on", &f, b"text -------"), 0);
        assert_eq!(clean_prefix(b"3 and on", &f, b"text -------abc12"), 0);
        // a prefix of it at the end of the piece is fine (the next piece is checked with it)
        assert_eq!(clean_prefix(b"ends -------abc1", &f, b""), 16);
        // another transaction's end-line is just bytes
        assert_eq!(clean_prefix(b"-------zzz999", &f, b""), 13);
        // an empty piece, or nothing written before
        assert_eq!(clean_prefix(b"", &f, b"-------abc12"), 0);
    }

    #[test]
    fn ranges_merge() {
        let mut r = Vec::new();
        insert_range(&mut r, 10, 20);
        insert_range(&mut r, 1, 5);
        assert_eq!(r, [(1, 5), (10, 20)]);
        insert_range(&mut r, 6, 9); // adjacent on both sides
        assert_eq!(r, [(1, 20)]);
        insert_range(&mut r, 15, 30); // overlapping
        insert_range(&mut r, 40, 40);
        assert_eq!(r, [(1, 30), (40, 40)]);
    }

    #[test]
    fn the_timer_table_gives_the_earliest_deadline_and_its_timer() {
        let now = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Transaction, Some(now + Duration::from_secs(30)));
        assert_eq!(t.next(), Some((now + Duration::from_secs(30), Timer::Transaction)));
        t.set(Timer::Transaction, None);
        assert_eq!(t.next(), None);
    }

    #[test]
    fn answered_transactions_leave_no_deadline_behind() {
        let local = MsrpUri::new("a.example.com", 1, "s1");
        let remote = MsrpUri::new("b.example.com", 2, "s2");
        let mut s = Session::new(SessionConfig::default(), 5, local, vec![remote]);
        let now = Instant::now();
        s.send("text/plain", b"one".to_vec(), SendOptions::default());
        s.send("text/plain", b"two".to_vec(), SendOptions::default());
        let mut out = Vec::new();
        while s.poll_transmit(now, &mut out).is_some() {}
        let tids: Vec<String> = s.deadlines.iter().map(|(_, t)| t.clone()).collect();
        assert_eq!(tids.len(), 2);
        // the second is answered first: the first's deadline stays the front
        s.on_response(&tids[1], 200);
        assert_eq!(s.deadlines.len(), 2, "pruned lazily, from the front only");
        assert_eq!(s.poll_timeout().map(|(_, t)| t), Some(Timer::Transaction));
        s.on_response(&tids[0], 200);
        assert!(s.deadlines.is_empty(), "the front was answered: both pruned");
        assert_eq!(s.poll_timeout(), None);
        assert!(s.outgoing.is_empty(), "both messages are done and forgotten");
    }

    #[test]
    fn close_reports_in_the_order_messages_were_sent() {
        let local = MsrpUri::new("a.example.com", 1, "s1");
        let remote = MsrpUri::new("b.example.com", 2, "s2");
        let mut s = Session::new(SessionConfig::default(), 9, local, vec![remote]);
        let ids: Vec<String> =
            (0..50).map(|i| s.send("text/plain", vec![b'x'; i], SendOptions::default())).collect();
        s.close();
        let failed: Vec<String> = core::iter::from_fn(|| s.poll_event())
            .map(|e| {
                let Event::SendFailed { message_id, reason: FailureReason::Closed } = e else {
                    panic!("{e:?}")
                };
                message_id
            })
            .collect();
        assert_eq!(failed, ids);
    }
}
