//! A Sans-IO MSRP session endpoint (RFC 4975 §5.3, §7): sending messages in interruptible
//! chunks, receiving and reassembling them (in any order, within memory limits), responses,
//! success and failure REPORTs, and the 30-second transaction timer.
//!
//! The session owns no socket and no clock. Feed it what you read with
//! [`Session::handle_input`], write out what [`Session::poll_transmit`] puts in your buffer, show the user
//! what [`Session::poll_event`] returns, and call [`Session::handle_timeout`] at
//! [`Session::poll_timeout`]. Every message you send ends in exactly one of
//! [`Event::Sent`]/[`Event::Delivered`] (or both) or [`Event::SendFailed`]; every message that
//! starts arriving ends in [`Event::Received`], [`Event::ReceiveAborted`] or
//! [`Event::ReceiveFailed`] — nothing is dropped silently.

use core::time::Duration;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use crate::error::ParseError;
use crate::frame::{Decoder, Flag, Frame, Head, Message, ParseConfig, StartLine, end_line_in_body};
use crate::headers::{ByteRange, FailureReport, Status, SuccessReport};
use crate::sdp::{MsrpMedia, type_matches};
use crate::uri::MsrpUri;

/// Settings of a [`Session`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Seed of the generator of transaction and message identifiers (64 bits of it go into
    /// each identifier); take it from a real random source.
    pub seed: u64,
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
    /// Limits of the framing decoder.
    pub parse: ParseConfig,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            seed: 0x5EED,
            max_chunk: 64 << 10,
            max_transmit: 16 << 10,
            transaction_timeout: Duration::from_secs(30),
            max_message_size: 16 << 20,
            max_reassembly: 64 << 20,
            accept_types: vec!["*".to_owned()],
            parse: ParseConfig::default(),
        }
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
pub enum FailureReason {
    /// A transaction response with this non-200 code.
    Response,
    /// A failure REPORT.
    Report,
    /// No response within the transaction timeout (or a 408).
    Timeout,
    /// The application aborted it.
    Aborted,
    /// The session closed before it was confirmed.
    Closed,
    /// Not sent at all: the peer's SDP does not accept its media type (415, §8.6) or it is
    /// larger than the peer's `a=max-size` (413).
    Refused,
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
        /// The status code (408 for timeouts, 0 for local reasons).
        code: u16,
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

/// The session hit a protocol error on its connection: the framing cannot recover, so the
/// connection must be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("MSRP protocol error: {0}")]
pub struct ConnectionError(#[from] pub ParseError);

#[derive(Debug)]
struct Outgoing {
    message_id: String,
    content_type: String,
    body: Vec<u8>,
    options: SendOptions,
    /// Next byte to send (0-based).
    pos: usize,
    /// Chunks sent whose response is outstanding.
    unacked: usize,
    failed: bool,
    /// All bytes have been written.
    written: bool,
    /// A success report is still expected.
    awaiting_report: bool,
    delivered: u64,
}

#[derive(Debug)]
struct Chunk {
    tid: String,
    message_id: String,
    /// Body bytes written in this chunk so far.
    written: usize,
    needle: Vec<u8>,
    /// Sent with a definite range end: written in one go, never interrupted.
    definite: bool,
}

#[derive(Debug)]
struct Transaction {
    message_id: String,
    deadline: Option<Instant>,
    /// `Failure-Report: partial`: expiry is not a failure.
    silent: bool,
}

#[derive(Debug)]
struct Reassembly {
    content_type: String,
    data: Vec<u8>,
    /// Received 1-based inclusive ranges, merged and sorted.
    ranges: Vec<(u64, u64)>,
    total: Option<u64>,
    success_report: SuccessReport,
    reply_to: Vec<MsrpUri>,
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
    /// Refused: body bytes are skipped; the code to answer with.
    refused: Option<u16>,
    is_send: bool,
    /// A chunk of a message already finished, or a bodiless SEND: acknowledged, otherwise
    /// ignored.
    duplicate: bool,
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
    outgoing: Vec<Outgoing>,
    chunk: Option<Chunk>,
    transactions: HashMap<String, Transaction>,
    events: VecDeque<Event>,
    closed: bool,
    /// What the peer's SDP said it accepts, if known.
    peer: Option<MsrpMedia>,
}

impl Session {
    /// A session identified by `local` (our `a=path` URI, used in From-Path) talking to
    /// `remote` (the peer's `a=path`, used as To-Path).
    pub fn new(config: SessionConfig, local: MsrpUri, remote: Vec<MsrpUri>) -> Self {
        let rng = config.seed;
        let decoder = Decoder::new(config.parse.clone());
        Self {
            config,
            local,
            remote,
            rng,
            decoder,
            rx: Vec::new(),
            receiving: None,
            incoming: HashMap::new(),
            finished: HashSet::new(),
            finished_order: VecDeque::new(),
            held: 0,
            priority: VecDeque::new(),
            outgoing: Vec::new(),
            chunk: None,
            transactions: HashMap::new(),
            events: VecDeque::new(),
            closed: false,
            peer: None,
        }
    }

    /// Our URI.
    pub const fn local(&self) -> &MsrpUri {
        &self.local
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

    /// Queues a message; returns its Message-ID. A message the peer's SDP rules out is not
    /// queued: [`Event::SendFailed`] with [`FailureReason::Refused`] follows instead.
    pub fn send(
        &mut self,
        content_type: &str,
        body: impl Into<Vec<u8>>,
        options: SendOptions,
    ) -> String {
        let message_id = self.next_id();
        let body = body.into();
        if let Some(peer) = &self.peer {
            let code = if !peer.accepts(content_type) {
                Some(415)
            } else if peer.max_size.is_some_and(|m| body.len() as u64 > m) {
                Some(413)
            } else {
                None
            };
            if let Some(code) = code {
                self.events.push_back(Event::SendFailed {
                    message_id: message_id.clone(),
                    code,
                    reason: FailureReason::Refused,
                });
                return message_id;
            }
        }
        self.outgoing.push(Outgoing {
            message_id: message_id.clone(),
            content_type: content_type.to_owned(),
            body,
            options,
            pos: 0,
            unacked: 0,
            failed: false,
            written: false,
            awaiting_report: options.success_report == SuccessReport::Yes,
            delivered: 0,
        });
        message_id
    }

    /// Stops sending a message: a chunk in progress ends with `#`; [`Event::SendFailed`] with
    /// [`FailureReason::Aborted`] follows.
    pub fn abort(&mut self, message_id: &str) {
        if let Some(i) = self.outgoing.iter().position(|o| o.message_id == message_id && !o.failed)
        {
            self.fail(i, 0, FailureReason::Aborted);
        }
    }

    fn fail(&mut self, i: usize, code: u16, reason: FailureReason) {
        let o = &mut self.outgoing[i];
        if o.failed {
            return;
        }
        o.failed = true;
        o.awaiting_report = false;
        self.events.push_back(Event::SendFailed { message_id: o.message_id.clone(), code, reason });
    }

    /// Closes the session: messages not yet confirmed fail with [`FailureReason::Closed`],
    /// and those still awaiting a success report are reported [`Event::Unconfirmed`].
    pub fn close(&mut self) {
        self.closed = true;
        for i in 0..self.outgoing.len() {
            let o = &self.outgoing[i];
            if o.failed {
                continue;
            }
            if !o.written || o.unacked > 0 {
                self.fail(i, 0, FailureReason::Closed);
            } else if o.awaiting_report {
                let message_id = o.message_id.clone();
                self.outgoing[i].awaiting_report = false;
                self.events.push_back(Event::Unconfirmed { message_id });
            }
        }
        for (message_id, _) in self.incoming.drain() {
            self.events.push_back(Event::ReceiveAborted { message_id });
        }
        self.chunk = None;
        self.transactions.clear();
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        let e = self.events.pop_front();
        self.collect();
        e
    }

    /// Forgets outgoing messages that can produce no more events.
    fn collect(&mut self) {
        let current = self.chunk.as_ref().map(|c| c.message_id.clone());
        self.outgoing.retain(|o| {
            Some(&o.message_id) == current.as_ref()
                || !(o.failed || (o.written && o.unacked == 0 && !o.awaiting_report))
        });
    }

    fn chunk_message(&self) -> Option<usize> {
        let id = &self.chunk.as_ref()?.message_id;
        self.outgoing.iter().position(|o| &o.message_id == id)
    }

    /// When [`Session::handle_timeout`] wants to be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.transactions.values().filter_map(|t| t.deadline).min()
    }

    /// Fires expired transaction timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .transactions
            .iter()
            .filter(|(_, t)| t.deadline.is_some_and(|d| d <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for tid in expired {
            if let Some(t) = self.transactions.remove(&tid) {
                if t.silent {
                    continue;
                }
                if let Some(i) = self.outgoing.iter().position(|o| o.message_id == t.message_id) {
                    self.outgoing[i].unacked = self.outgoing[i].unacked.saturating_sub(1);
                    self.fail(i, 408, FailureReason::Timeout);
                }
            }
        }
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
            let Some(i) = self.chunk_message() else {
                self.chunk = None;
                continue;
            };
            let Some(chunk) = &self.chunk else { return };
            if self.outgoing[i].failed {
                self.end_chunk(out, Flag::Abort, now);
                continue;
            }
            let o = &self.outgoing[i];
            // a chunk with a definite range must not be interrupted: it goes out whole
            let room = if chunk.definite {
                usize::MAX
            } else {
                self.config.max_transmit.saturating_sub(out.len() - base).max(1)
            };
            let left_in_chunk = self.config.max_chunk.saturating_sub(chunk.written);
            let n = (o.body.len() - o.pos).min(room).min(left_in_chunk);
            let piece = &o.body[o.pos..o.pos + n];
            let want = piece.len();
            // never let the body carry this chunk's end-line: stop right before it
            let n = clean_prefix(piece, &chunk.needle, &o.body[..o.pos]);
            out.extend_from_slice(&o.body[o.pos..o.pos + n]);
            let o = &mut self.outgoing[i];
            o.pos += n;
            if let Some(c) = &mut self.chunk {
                c.written += n;
            }
            let done = o.pos == o.body.len();
            let written = self.chunk.as_ref().map_or(0, |c| c.written);
            if done {
                self.end_chunk(out, Flag::End, now);
            } else if written >= self.config.max_chunk || n < want || n == 0 {
                self.end_chunk(out, Flag::More, now);
            } else {
                return;
            }
            if out.len() - base >= self.config.max_transmit {
                return;
            }
        }
    }

    /// Writes the head of the next chunk of the first message with bytes left.
    fn start_chunk(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(i) = self.outgoing.iter().position(|o| !o.failed && !o.written) else {
            return false;
        };
        let o = &self.outgoing[i];
        let total = o.body.len() as u64;
        let start = o.pos as u64 + 1;
        let rest = o.body.len() - o.pos;
        // small enough to go out whole: a definite range; otherwise interruptible ("*")
        let definite = rest <= self.config.max_transmit.min(self.config.max_chunk);
        let end = definite.then_some(total);
        // an interruptible chunk is checked for its end-line as it is written (clean_prefix);
        // a definite one cannot be cut, so its id must not occur in what it carries
        let tid = loop {
            let tid = self.next_id();
            let o = &self.outgoing[i];
            if !definite || !end_line_in_body(&o.body[o.pos..], &tid) {
                break tid;
            }
        };
        let o = &self.outgoing[i];
        let mut m =
            Message::request(&tid, "SEND", &self.remote, core::slice::from_ref(&self.local))
                .with_header("Message-ID", &o.message_id)
                .with_header("Byte-Range", ByteRange { start, end, total: Some(total) });
        if o.options.success_report == SuccessReport::Yes {
            m = m.with_header("Success-Report", "yes");
        }
        if o.options.failure_report != FailureReport::Yes {
            m = m.with_header("Failure-Report", o.options.failure_report.as_str());
        }
        m = m.with_header("Content-Type", &o.content_type);
        m.body = Some(Vec::new());
        let mut head = m.to_vec();
        // drop the empty body's CRLF and end-line: the body follows
        let tail = 2 + 7 + tid.len() + 3;
        head.truncate(head.len() - tail);
        out.extend_from_slice(&head);
        let mut needle = b"\r\n-------".to_vec();
        needle.extend_from_slice(tid.as_bytes());
        let message_id = o.message_id.clone();
        self.chunk = Some(Chunk { tid, message_id, written: 0, needle, definite });
        true
    }

    /// Ends the chunk in progress, if any, with `flag`.
    fn end_chunk(&mut self, out: &mut Vec<u8>, flag: Flag, now: Instant) {
        let Some(i) = self.chunk_message() else {
            self.chunk = None;
            return;
        };
        let Some(c) = self.chunk.take() else { return };
        out.extend_from_slice(b"\r\n-------");
        out.extend_from_slice(c.tid.as_bytes());
        out.push(flag.as_byte());
        out.extend_from_slice(b"\r\n");
        let o = &mut self.outgoing[i];
        if flag == Flag::End {
            o.written = true;
        }
        if flag == Flag::Abort {
            return;
        }
        match o.options.failure_report {
            FailureReport::Yes => {
                o.unacked += 1;
                let deadline = Some(now + self.config.transaction_timeout);
                let t = Transaction { message_id: o.message_id.clone(), deadline, silent: false };
                self.transactions.insert(c.tid, t);
            }
            FailureReport::Partial => {
                // only error responses come back; forget the transaction quietly after the timeout
                let deadline = Some(now + self.config.transaction_timeout);
                let t = Transaction { message_id: o.message_id.clone(), deadline, silent: true };
                self.transactions.insert(c.tid, t);
            }
            FailureReport::No => {}
        }
        if o.written && o.unacked == 0 && !o.failed {
            self.events.push_back(Event::Sent { message_id: o.message_id.clone() });
        }
    }

    // ---- receiving ---------------------------------------------------------------------

    /// Feeds bytes read from the connection. A protocol error means the connection must be
    /// closed (the session is closed too, and its pending work reported). Reception starts no
    /// timer; `_now` keeps the inputs uniform for callers.
    pub fn handle_input(&mut self, data: &[u8], _now: Instant) -> Result<(), ConnectionError> {
        if self.closed {
            return Ok(());
        }
        let mut rx = core::mem::take(&mut self.rx);
        rx.extend_from_slice(data);
        let mut at = 0;
        let result = loop {
            match self.decoder.decode(&rx[at..]) {
                Ok(Some((frame, used))) => {
                    at += used;
                    self.on_frame(frame);
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(ConnectionError(e.shifted(at))),
            }
        };
        rx.drain(..at);
        self.rx = rx;
        if result.is_err() {
            self.close();
        }
        result
    }

    fn on_frame(&mut self, frame: Frame<'_>) {
        match frame {
            Frame::Head(h) => self.on_head(&own_head(*h)),
            Frame::Data(d) => self.on_data(d),
            Frame::End(flag) => self.on_end(flag),
        }
    }

    fn on_head(&mut self, h: &OwnedHead) {
        if let Some(code) = h.code {
            self.on_response(&h.tid, code);
            // a response has no body; the end-line follows
            self.receiving = None;
            return;
        }
        let is_send = h.method == "SEND";
        let mut r = Receiving {
            tid: h.tid.clone(),
            message_id: h.message_id.clone().unwrap_or_default(),
            next: h.byte_range.map_or(1, |b| b.start),
            start: h.byte_range.map_or(1, |b| b.start),
            failure_report: h.failure_report,
            reply_to: h.from_path.first().cloned(),
            refused: None,
            is_send,
            duplicate: false,
        };
        // §7.3: exactly one To-Path URI, ours
        let ours = h.to_path.len() == 1 && h.to_path[0].matches(&self.local);
        if h.method == "REPORT" {
            if ours {
                self.on_report(h);
            }
            r.refused = Some(0); // REPORTs are never answered (§7.1.2)
        } else if !ours {
            r.refused = Some(481);
        } else if !is_send {
            r.refused = Some(501);
        } else if !h.has_body {
            // a bodiless SEND is traffic, not content (§7.1): acknowledged, nothing to deliver
            r.duplicate = true;
        } else if h.message_id.is_none() {
            r.refused = Some(400);
        } else if h.has_body
            && !type_matches(
                &self.config.accept_types,
                h.content_type.as_deref().unwrap_or_default(),
            )
        {
            r.refused = Some(415);
        } else if h
            .byte_range
            .and_then(|b| b.total)
            .is_some_and(|t| t > self.config.max_message_size)
        {
            r.refused = Some(413);
        }
        if r.refused.is_none() && is_send && self.finished.contains(&r.message_id) {
            r.duplicate = true; // a copy of a chunk of a message already delivered
        }
        if r.refused.is_none() && is_send && !r.duplicate {
            let entry = self.incoming.entry(r.message_id.clone()).or_insert_with(|| Reassembly {
                content_type: h.content_type.clone().unwrap_or_default(),
                data: Vec::new(),
                ranges: Vec::new(),
                total: None,
                success_report: h.success_report,
                reply_to: h.from_path.clone(),
            });
            if entry.content_type.is_empty() {
                entry.content_type = h.content_type.clone().unwrap_or_default();
            }
            if let Some(t) = h.byte_range.and_then(|b| b.total) {
                entry.total.get_or_insert(t);
            }
            entry.success_report = h.success_report;
        }
        self.receiving = Some(r);
    }

    fn on_data(&mut self, d: &[u8]) {
        let Some(r) = &mut self.receiving else { return };
        if r.refused.is_some() || !r.is_send || r.duplicate {
            return;
        }
        let pos = r.next;
        r.next += d.len() as u64;
        let end = r.next - 1;
        let id = r.message_id.clone();
        let too_big = end > self.config.max_message_size;
        let Some(m) = self.incoming.get_mut(&id) else { return };
        let need = usize::try_from(end).unwrap_or(usize::MAX);
        let grow = need.saturating_sub(m.data.len()) as u64;
        if too_big || self.held + grow > self.config.max_reassembly {
            if let Some(r) = &mut self.receiving {
                r.refused = Some(413);
            }
            if let Some(m) = self.incoming.remove(&id) {
                self.held -= m.data.len() as u64;
            }
            return;
        }
        if m.data.len() < need {
            m.data.resize(need, 0);
        }
        let from = usize::try_from(pos - 1).unwrap_or(0);
        m.data[from..need].copy_from_slice(d);
        self.held += grow;
    }

    fn on_end(&mut self, flag: Flag) {
        let Some(r) = self.receiving.take() else { return };
        match r.refused {
            Some(0) => return, // REPORT: no response
            Some(code) => {
                if r.failure_report != FailureReport::No {
                    self.respond(&r, code);
                }
                if r.is_send {
                    if let Some(m) = self.incoming.remove(&r.message_id) {
                        self.held -= m.data.len() as u64;
                    }
                    self.events
                        .push_back(Event::ReceiveFailed { message_id: r.message_id.clone(), code });
                }
                return;
            }
            None => {}
        }
        if r.failure_report == FailureReport::Yes {
            self.respond(&r, 200);
        }
        if r.duplicate {
            return;
        }
        let id = r.message_id.clone();
        let Some(m) = self.incoming.get_mut(&id) else { return };
        if r.next > r.start {
            insert_range(&mut m.ranges, r.start, r.next - 1);
        }
        match flag {
            Flag::Abort => {
                if let Some(m) = self.incoming.remove(&id) {
                    self.held -= m.data.len() as u64;
                }
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
        if complete {
            let Some(mut m) = self.incoming.remove(&id) else { return };
            self.held -= m.data.len() as u64;
            let total = m.total.unwrap_or(0);
            m.data.truncate(usize::try_from(total).unwrap_or(usize::MAX));
            if m.success_report == SuccessReport::Yes {
                let tid = self.next_id();
                let report = Message::request(
                    &tid,
                    "REPORT",
                    &m.reply_to,
                    core::slice::from_ref(&self.local),
                )
                .with_header("Message-ID", &id)
                .with_header("Byte-Range", ByteRange::whole(total))
                .with_header("Status", Status::new(200, Some("OK")));
                self.priority.push_back(report.to_vec());
            }
            self.remember(&id);
            self.events.push_back(Event::Received {
                message_id: id,
                content_type: m.content_type,
                body: m.data,
            });
        }
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
        let Some(i) = self.outgoing.iter().position(|o| o.message_id == t.message_id) else {
            return;
        };
        let o = &mut self.outgoing[i];
        o.unacked = o.unacked.saturating_sub(1);
        if code == 200 {
            if o.written && o.unacked == 0 && !o.failed {
                self.events.push_back(Event::Sent { message_id: o.message_id.clone() });
            }
        } else if code == 408 {
            self.fail(i, code, FailureReason::Timeout);
        } else {
            self.fail(i, code, FailureReason::Response);
        }
    }

    fn on_report(&mut self, h: &OwnedHead) {
        let id = h.message_id.clone().unwrap_or_default();
        let Some(i) = self.outgoing.iter().position(|o| o.message_id == id) else {
            self.events.push_back(Event::UnknownReport { message_id: id });
            return;
        };
        let code = h.status.as_ref().map_or(0, |s| s.code);
        if h.status.as_ref().is_some_and(|s| s.namespace == 0 && s.code == 200) {
            let total = self.outgoing[i].body.len() as u64;
            let range = h.byte_range.unwrap_or(ByteRange::whole(total));
            let o = &mut self.outgoing[i];
            o.delivered = o.delivered.max(range.end.unwrap_or(total));
            if o.delivered >= total {
                o.awaiting_report = false;
            }
            self.events.push_back(Event::Delivered { message_id: id, range });
        } else {
            self.fail(i, code, FailureReason::Report);
        }
    }
}

/// How much of `piece` can be written without the chunk's end-line appearing in the body
/// (checking across the boundary with what was written before).
fn clean_prefix(piece: &[u8], needle: &[u8], before: &[u8]) -> usize {
    let dashed = &needle[2..];
    let keep = dashed.len().min(before.len());
    let mut window = Vec::with_capacity(keep + piece.len());
    window.extend_from_slice(&before[before.len() - keep..]);
    window.extend_from_slice(piece);
    match memchr::memmem::find(&window, dashed) {
        Some(i) if i + dashed.len() > keep => i.saturating_sub(keep),
        _ => piece.len(),
    }
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

#[derive(Debug)]
struct OwnedHead {
    tid: String,
    method: String,
    code: Option<u16>,
    to_path: Vec<MsrpUri>,
    from_path: Vec<MsrpUri>,
    message_id: Option<String>,
    byte_range: Option<ByteRange>,
    success_report: SuccessReport,
    failure_report: FailureReport,
    status: Option<Status>,
    content_type: Option<String>,
    has_body: bool,
}

fn own_head(h: Head<'_>) -> OwnedHead {
    let (method, code) = match h.start {
        StartLine::Request { method, .. } => (method.to_owned(), None),
        StartLine::Response { code, .. } => (String::new(), Some(code)),
    };
    OwnedHead {
        tid: h.tid().to_owned(),
        method,
        code,
        to_path: h.to_path,
        from_path: h.from_path,
        message_id: h.message_id.map(str::to_owned),
        byte_range: h.byte_range,
        success_report: h.success_report,
        failure_report: h.failure_report,
        status: h.status,
        content_type: h.content_type.map(str::to_owned),
        has_body: h.has_body,
    }
}
