//! A parsed message that owns its bytes, for state machines to keep.

use core::ops::Range;

use bytes::Bytes;

use super::{Header, HeaderName, Message, Method, ParseConfig, RequestLine, StartLine, StatusLine};
use crate::error::Error;

/// A parsed message that owns its bytes: one [`Bytes`] buffer plus the spans of its start
/// line, header lines and body. Keeping it copies no header, cloning it copies a few spans
/// (the buffer is shared), and writing it out for a retransmission is [`OwnedMessage::bytes`].
///
/// Read it through [`OwnedMessage::view`], which lends it out as a [`Message`] with every
/// accessor (typed headers included), or through the few direct accessors here.
///
/// ```
/// use bytes::Bytes;
/// use simple_sip::{Method, OwnedMessage};
/// use simple_sip::headers::CSeq;
///
/// let wire = Bytes::from_static(
///     b"MESSAGE sip:bob@example.com SIP/2.0\r\nCall-ID: a1\r\nCSeq: 7 MESSAGE\r\n\
/// Content-Length: 2\r\n\r\nhi",
/// );
/// let kept = OwnedMessage::parse(wire)?; // e.g. by a transaction, for retransmissions
/// assert_eq!(kept.method(), Some(Method::Message));
/// assert_eq!(&kept.body()[..], b"hi");
/// let seq = kept.view(|m| m.require::<CSeq>().map(|c| c.seq))?;
/// assert_eq!(seq, 7);
/// # Ok::<(), simple_sip::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedMessage {
    buf: Bytes,
    start: Start,
    headers: Vec<Span>,
    body: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Start {
    Request { method: Range<usize>, uri: Range<usize> },
    Response { code: u16, reason: Range<usize> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    kind: HeaderName,
    name: Range<usize>,
    value: Range<usize>,
}

impl OwnedMessage {
    /// Parses one whole message (a datagram, or a stream frame) with default limits: as
    /// [`Message::parse`], keeping `buf`.
    pub fn parse(buf: Bytes) -> Result<Self, Error> {
        Self::parse_with(buf, &ParseConfig::default())
    }

    /// [`OwnedMessage::parse`] within `config`'s limits.
    pub fn parse_with(buf: Bytes, config: &ParseConfig) -> Result<Self, Error> {
        // most messages fit a header array on the stack; only a message with more header
        // lines than that is parsed again into one on the heap
        const STACK: usize = 48;
        let mut headers = [Header::EMPTY; STACK];
        let n = config.max_headers.min(STACK);
        match Message::parse_with(&buf, &mut headers[..n], config) {
            Ok(msg) => return Ok(Self::spans(&buf, &msg)),
            Err(e)
                if e.kind() == crate::ErrorKind::TooManyHeaders && config.max_headers > STACK => {}
            Err(e) => return Err(e),
        }
        let mut headers = vec![Header::EMPTY; config.max_headers];
        let msg = Message::parse_with(&buf, &mut headers, config)?;
        Ok(Self::spans(&buf, &msg))
    }

    /// The owned form of `msg`, which was parsed from `buf`: the same bytes, not copied.
    ///
    /// # Panics
    ///
    /// If `msg` does not borrow from `buf` (a bug in the caller).
    pub fn from_message(msg: &Message<'_, '_>, buf: Bytes) -> Self {
        Self::spans(&buf, msg)
    }

    fn spans(buf: &Bytes, msg: &Message<'_, '_>) -> Self {
        let at = |part: &[u8]| {
            if part.is_empty() {
                return 0..0; // an empty part may be a literal, not a slice of the buffer
            }
            let start = (part.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
            assert!(start <= buf.len() && part.len() <= buf.len() - start, "not from this buffer");
            start..start + part.len()
        };
        let start = match msg.start_line() {
            StartLine::Request(r) => {
                // a known method is classified, not kept as a slice: it is the start line's
                // first token, which ends one space before the Request-URI
                let uri = at(r.uri.as_bytes());
                let len = r.method.as_str().len();
                let method = uri.start - 1 - len..uri.start - 1;
                debug_assert_eq!(&buf[method.clone()], r.method.as_str().as_bytes());
                Start::Request { method, uri }
            }
            StartLine::Response(s) => {
                Start::Response { code: s.code, reason: at(s.reason.as_bytes()) }
            }
        };
        let headers = msg
            .headers()
            .iter()
            .map(|h| Span { kind: h.kind(), name: at(h.name().as_bytes()), value: at(h.value()) })
            .collect();
        Self { buf: buf.clone(), start, headers, body: at(msg.body()) }
    }

    /// The message's bytes, as received: what to send again.
    pub const fn bytes(&self) -> &Bytes {
        &self.buf
    }

    /// The body, sharing the buffer.
    pub fn body(&self) -> Bytes {
        self.buf.slice(self.body.clone())
    }

    fn text(&self, r: &Range<usize>) -> &str {
        core::str::from_utf8(&self.buf[r.clone()]).expect("spans of text the parser checked")
    }

    /// The request method, if this is a request.
    pub fn method(&self) -> Option<Method<'_>> {
        match &self.start {
            Start::Request { method, .. } => Some(Method::from_token(self.text(method))),
            Start::Response { .. } => None,
        }
    }

    /// The status code, if this is a response.
    pub const fn status_code(&self) -> Option<u16> {
        match &self.start {
            Start::Response { code, .. } => Some(*code),
            Start::Request { .. } => None,
        }
    }

    /// The first header named `name`.
    pub fn header(&self, name: HeaderName) -> Option<Header<'_>> {
        let s = self.headers.iter().find(|s| s.kind == name)?;
        Some(self.header_at(s))
    }

    fn header_at(&self, s: &Span) -> Header<'_> {
        // the classification was made when parsing: kept, not redone
        Header { name: self.text(&s.name), kind: s.kind, value: &self.buf[s.value.clone()] }
    }

    /// Lends the message out as a borrowed [`Message`] for `f` to read (typed headers and
    /// all). Builds the header array once per call (on the stack for up to 48 headers).
    pub fn view<R>(&self, f: impl FnOnce(&Message<'_, '_>) -> R) -> R {
        const STACK: usize = 48;
        let mut stack = [Header::EMPTY; STACK];
        let heap: Vec<Header<'_>>;
        let headers: &[Header<'_>] = if self.headers.len() <= STACK {
            for (slot, s) in stack.iter_mut().zip(&self.headers) {
                *slot = self.header_at(s);
            }
            &stack[..self.headers.len()]
        } else {
            heap = self.headers.iter().map(|s| self.header_at(s)).collect();
            &heap
        };
        let start = match &self.start {
            Start::Request { method, uri } => StartLine::Request(RequestLine {
                method: Method::from_token(self.text(method)),
                uri: self.text(uri).into(),
            }),
            Start::Response { code, reason } => {
                StartLine::Response(StatusLine { code: *code, reason: self.text(reason).into() })
            }
        };
        let msg = Message { start, headers, body: &self.buf[self.body.clone()], src: &self.buf };
        f(&msg)
    }
}
