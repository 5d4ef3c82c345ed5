//! Streaming MSRP framing (RFC 4975 §5.1, §9).
//!
//! [`Decoder::decode`] looks at the bytes you have buffered and returns the next [`Frame`] with
//! the number of bytes it used up, or `None` when it needs more. A request's body comes out as
//! one or more [`Frame::Data`] pieces borrowed from your buffer, so a large chunk is never held
//! whole: discard the consumed bytes and read on. The end-line is found with a `memchr` SIMD
//! substring search for `CRLF "-------" transact-id`; at most that many bytes are held back at
//! the end of the buffer in case they are the start of it. The decoder remembers how far it
//! has scanned a partial head, so feeding a byte at a time stays linear.

use alloc::borrow::Cow;
use core::fmt;

use bytes::BufMut;
use memchr::memmem;

use crate::error::{Error, ErrorKind};
use crate::headers::{ByteRange, FailureReport, ReportStatus, SuccessReport, is_ident};
use crate::uri::{MsrpUri, write_path};

/// Limits of the decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseConfig {
    /// Longest start line plus headers (default 16 KiB).
    pub max_head_size: usize,
    /// Most header lines (default 64).
    pub max_headers: usize,
}

impl Default for ParseConfig {
    fn default() -> Self {
        Self { max_head_size: 16 << 10, max_headers: 64 }
    }
}

/// The continuation flag of an end-line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `$`: this chunk ends the message (always `$` on responses).
    End,
    /// `+`: more chunks follow.
    More,
    /// `#`: the sender aborted the message.
    Abort,
}

impl Flag {
    /// The flag character.
    pub const fn as_byte(self) -> u8 {
        match self {
            Self::End => b'$',
            Self::More => b'+',
            Self::Abort => b'#',
        }
    }

    const fn from_byte(b: u8) -> Option<Self> {
        match b {
            b'$' => Some(Self::End),
            b'+' => Some(Self::More),
            b'#' => Some(Self::Abort),
            _ => None,
        }
    }
}

/// A request method (RFC 4975 §7, RFC 4976 §5). Methods are case-sensitive; anything else
/// is [`Method::Extension`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    /// `SEND`: carries (a chunk of) a message.
    Send,
    /// `REPORT`: delivery status of a message.
    Report,
    /// `AUTH`: a client authenticating to a relay (RFC 4976).
    Auth,
    /// Any other `1*UPALPHA` method.
    Extension(&'a str),
}

impl<'a> Method<'a> {
    /// Classifies a method token.
    pub fn from_token(s: &'a str) -> Self {
        match s {
            "SEND" => Self::Send,
            "REPORT" => Self::Report,
            "AUTH" => Self::Auth,
            other => Self::Extension(other),
        }
    }

    /// The method as written on the wire.
    pub const fn as_str(&self) -> &'a str {
        match self {
            Self::Send => "SEND",
            Self::Report => "REPORT",
            Self::Auth => "AUTH",
            Self::Extension(s) => s,
        }
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first line of a request or response: borrowed from the input in a [`Head`], owned
/// (`StartLine<'static>`, see [`StartLine::into_owned`]) in a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StartLine<'a> {
    /// `MSRP transact-id method`.
    Request {
        /// Transaction identifier.
        tid: Cow<'a, str>,
        /// Method (`SEND`, `REPORT`, or an extension), as written; see
        /// [`StartLine::method`].
        method: Cow<'a, str>,
    },
    /// `MSRP transact-id status-code [comment]`.
    Response {
        /// Transaction identifier.
        tid: Cow<'a, str>,
        /// Status code.
        code: u16,
        /// Comment.
        comment: Option<Cow<'a, str>>,
    },
}

impl StartLine<'_> {
    /// The transaction identifier.
    pub fn tid(&self) -> &str {
        match self {
            Self::Request { tid, .. } | Self::Response { tid, .. } => tid,
        }
    }

    /// The method of a request.
    pub fn method(&self) -> Option<Method<'_>> {
        match self {
            Self::Request { method, .. } => Some(Method::from_token(method)),
            Self::Response { .. } => None,
        }
    }

    /// The status code of a response.
    pub const fn code(&self) -> Option<u16> {
        match self {
            Self::Request { .. } => None,
            Self::Response { code, .. } => Some(*code),
        }
    }

    /// The same line, owning its text.
    pub fn into_owned(self) -> StartLine<'static> {
        match self {
            Self::Request { tid, method } => StartLine::Request {
                tid: Cow::Owned(tid.into_owned()),
                method: Cow::Owned(method.into_owned()),
            },
            Self::Response { tid, code, comment } => StartLine::Response {
                tid: Cow::Owned(tid.into_owned()),
                code,
                comment: comment.map(|c| Cow::Owned(c.into_owned())),
            },
        }
    }

    fn write<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(b"MSRP ");
        buf.put_slice(self.tid().as_bytes());
        match self {
            Self::Request { method, .. } => {
                buf.put_u8(b' ');
                buf.put_slice(method.as_bytes());
            }
            Self::Response { code, comment, .. } => {
                let code = [
                    b' ',
                    b'0' + (code / 100 % 10) as u8,
                    b'0' + (code / 10 % 10) as u8,
                    b'0' + (code % 10) as u8,
                ];
                buf.put_slice(&code);
                if let Some(c) = comment {
                    buf.put_u8(b' ');
                    buf.put_slice(c.as_bytes());
                }
            }
        }
        buf.put_slice(b"\r\n");
    }
}

/// The start line and headers of a request or response, borrowed from the input, with the
/// headers RFC 4975 defines already checked and typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head<'a> {
    /// The start line.
    pub start: StartLine<'a>,
    /// Every header line as (name, value), in order.
    pub headers: Vec<(&'a str, &'a str)>,
    /// `To-Path`.
    pub to_path: Vec<MsrpUri>,
    /// `From-Path`.
    pub from_path: Vec<MsrpUri>,
    /// `Message-ID`.
    pub message_id: Option<&'a str>,
    /// `Byte-Range`.
    pub byte_range: Option<ByteRange>,
    /// `Success-Report` (absent = `no`).
    pub success_report: SuccessReport,
    /// `Failure-Report` (absent = `yes`).
    pub failure_report: FailureReport,
    /// `Status`.
    pub status: Option<ReportStatus>,
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// Whether a body follows the headers.
    pub has_body: bool,
}

impl Head<'_> {
    /// The transaction identifier.
    pub fn tid(&self) -> &str {
        self.start.tid()
    }

    /// The method of a request.
    pub fn method(&self) -> Option<Method<'_>> {
        self.start.method()
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

impl From<&Head<'_>> for Message {
    /// The head's owned form: its start line and header lines, with an empty body if one
    /// follows (the body's bytes come in [`Frame::Data`] pieces).
    fn from(h: &Head<'_>) -> Self {
        Self {
            start: h.start.clone().into_owned(),
            headers: h.headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: h.has_body.then(Vec::new),
            flag: Flag::End,
        }
    }
}

/// One step of a message on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// Start line and headers (boxed: the other variants are small).
    Head(Box<Head<'a>>),
    /// A piece of the body (there may be many, or none).
    Data(&'a [u8]),
    /// The end-line and its flag: the message is complete.
    End(Flag),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Head,
    /// Body bytes until `needle` (CRLF, seven dashes, transaction id).
    Body,
    /// No body: the end-line comes next.
    EndLine,
}

/// Incremental MSRP decoder. Keeps no buffer of its own.
#[derive(Debug, Clone)]
pub struct Decoder {
    config: ParseConfig,
    state: State,
    /// How far a partial head has been scanned for its end.
    scanned: usize,
    /// `CRLF "-------" transact-id` of the message in progress.
    needle: Vec<u8>,
    /// A searcher for `needle`, built once per message.
    finder: Option<memmem::Finder<'static>>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(ParseConfig::default())
    }
}

impl Decoder {
    /// A decoder with the given limits.
    pub const fn new(config: ParseConfig) -> Self {
        Self { config, state: State::Head, scanned: 0, needle: Vec::new(), finder: None }
    }

    /// Appends `data` to `rx` (the caller's buffer of unconsumed input), hands every frame now
    /// complete to `on`, and leaves in `rx` what is not yet. Error offsets count from the first
    /// byte of `rx` before the call.
    pub(crate) fn feed(
        &mut self,
        rx: &mut Vec<u8>,
        data: &[u8],
        mut on: impl FnMut(Frame<'_>),
    ) -> Result<(), Error> {
        rx.extend_from_slice(data);
        let mut at = 0;
        let result = loop {
            match self.decode(&rx[at..]) {
                Ok(Some((frame, used))) => {
                    at += used;
                    on(frame);
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e.shifted(at)),
            }
        };
        rx.drain(..at);
        result
    }

    /// Whether the decoder is between messages.
    pub fn is_idle(&self) -> bool {
        self.state == State::Head && self.scanned == 0
    }

    /// Decodes the next frame from the start of `buf`: `Ok(Some((frame, used)))` where `used`
    /// bytes of `buf` are done with, or `Ok(None)` when more bytes are needed. Errors are
    /// fatal for the connection (MSRP framing cannot resynchronize).
    pub fn decode<'b>(&mut self, buf: &'b [u8]) -> Result<Option<(Frame<'b>, usize)>, Error> {
        match self.state {
            State::Head => self.decode_head(buf),
            State::Body => Ok(self.decode_body(buf)),
            State::EndLine => {
                self.decode_end_line(buf, 0).map(|o| o.map(|(f, n)| (Frame::End(f), n)))
            }
        }
    }

    fn decode_head<'b>(&mut self, buf: &'b [u8]) -> Result<Option<(Frame<'b>, usize)>, Error> {
        // find the end of the head: a blank line (body follows) or a line of seven dashes
        let mut from = self.scanned;
        let (head_end, body) = loop {
            let Some(i) = memchr::memchr(b'\n', &buf[from.min(buf.len())..]).map(|i| i + from)
            else {
                if buf.len() > self.config.max_head_size {
                    return Err(Error::new(ErrorKind::HeadTooLarge, self.config.max_head_size));
                }
                self.scanned = from;
                return Ok(None);
            };
            if i == 0 || buf[i - 1] != b'\r' {
                return Err(Error::new(ErrorKind::BareLineEnd, i));
            }
            if i + 1 > self.config.max_head_size {
                return Err(Error::new(ErrorKind::HeadTooLarge, self.config.max_head_size));
            }
            let next = &buf[i + 1..];
            if next.len() < 2 {
                self.scanned = from;
                return Ok(None);
            }
            if next.starts_with(b"\r\n") {
                break (i + 1, true);
            }
            if next[0] == b'-' {
                let n = next.len().min(7);
                if next[..n] != b"-------"[..n] {
                    // a header cannot start with '-'; let the header parser say where
                } else if n < 7 {
                    self.scanned = from;
                    return Ok(None);
                } else {
                    break (i + 1, false);
                }
            }
            from = i + 1;
        };
        self.scanned = 0;
        let head = parse_head(&buf[..head_end], &self.config, body)?;
        self.needle.clear();
        self.needle.extend_from_slice(b"\r\n-------");
        self.needle.extend_from_slice(head.tid().as_bytes());
        self.finder = body.then(|| memmem::Finder::new(&self.needle).into_owned());
        if body {
            self.state = State::Body;
            Ok(Some((Frame::Head(Box::new(head)), head_end + 2)))
        } else {
            self.state = State::EndLine;
            Ok(Some((Frame::Head(Box::new(head)), head_end)))
        }
    }

    /// `"-------" tid flag CRLF` at `buf[at..]`.
    fn decode_end_line(&mut self, buf: &[u8], at: usize) -> Result<Option<(Flag, usize)>, Error> {
        let tail = &self.needle[2..]; // seven dashes and the tid
        let need = tail.len() + 3;
        let rest = &buf[at.min(buf.len())..];
        let have = rest.len().min(need);
        let bad = || Error::new(ErrorKind::InvalidEndLine, at);
        if rest[..have.min(tail.len())] != tail[..have.min(tail.len())] {
            return Err(bad());
        }
        if have < need {
            return Ok(None);
        }
        let flag = Flag::from_byte(rest[tail.len()]).ok_or_else(bad)?;
        if &rest[tail.len() + 1..need] != b"\r\n" {
            return Err(bad());
        }
        self.state = State::Head;
        Ok(Some((flag, at + need)))
    }

    fn decode_body<'b>(&mut self, buf: &'b [u8]) -> Option<(Frame<'b>, usize)> {
        if self.finder.is_none() {
            self.finder = Some(memmem::Finder::new(&self.needle).into_owned());
        }
        let finder = self.finder.as_ref().expect("set above");
        let mut from = 0;
        while let Some(i) = finder.find(&buf[from..]).map(|i| i + from) {
            let after = i + self.needle.len();
            match (buf.get(after).copied().and_then(Flag::from_byte), buf.get(after + 1..after + 3))
            {
                (Some(flag), Some(b"\r\n")) => {
                    if i > 0 {
                        return Some((Frame::Data(&buf[..i]), i));
                    }
                    self.state = State::Head;
                    return Some((Frame::End(flag), after + 3));
                }
                (Some(_), None) | (None, None) if buf.len() < after + 3 => {
                    // might be the end-line, not all of it is here yet
                    return (i > 0).then(|| (Frame::Data(&buf[..i]), i));
                }
                _ => from = i + 1, // body bytes that only look like an end-line
            }
        }
        // everything but a tail that could be the start of the end-line
        let safe = buf.len() - partial_suffix(buf, &self.needle);
        (safe > 0).then(|| (Frame::Data(&buf[..safe]), safe))
    }
}

/// Length of the longest suffix of `buf` that is a proper prefix of `needle`.
fn partial_suffix(buf: &[u8], needle: &[u8]) -> usize {
    let max = needle.len().saturating_sub(1).min(buf.len());
    (1..=max).rev().find(|&k| buf[buf.len() - k..] == needle[..k]).unwrap_or(0)
}

fn utf8(b: &[u8], at: usize) -> Result<&str, Error> {
    core::str::from_utf8(b).map_err(|e| Error::new(ErrorKind::InvalidUtf8, at + e.valid_up_to()))
}

/// `utf8text = *(HTAB / %x20-7E / UTF8-NONASCII)`.
fn check_text(s: &str, at: usize) -> Result<(), Error> {
    match s.bytes().position(|c| c < 0x20 && c != b'\t' || c == 0x7F) {
        Some(i) => Err(Error::new(ErrorKind::InvalidHeaderValue, at + i)),
        None => Ok(()),
    }
}

fn parse_start(line: &str) -> Result<StartLine<'_>, Error> {
    let rest = line.strip_prefix("MSRP ").ok_or(Error::new(ErrorKind::InvalidStartLine, 0))?;
    let (tid, rest) = rest.split_once(' ').ok_or(Error::new(ErrorKind::InvalidStartLine, 5))?;
    if !is_ident(tid) {
        return Err(Error::new(ErrorKind::InvalidTransactionId, 5));
    }
    let at = 6 + tid.len();
    if rest.len() >= 3 && rest.as_bytes()[..3].iter().all(u8::is_ascii_digit) {
        let (code, comment) = match rest.split_once(' ') {
            Some((c, m)) => (c, Some(m)),
            None => (rest, None),
        };
        if code.len() != 3 {
            return Err(Error::new(ErrorKind::InvalidStatusCode, at));
        }
        if let Some(c) = comment {
            check_text(c, at + 4)?;
        }
        let code = code.parse().map_err(|_| Error::new(ErrorKind::InvalidStatusCode, at))?;
        let (tid, comment) = (Cow::Borrowed(tid), comment.map(Cow::Borrowed));
        return Ok(StartLine::Response { tid, code, comment });
    }
    if rest.is_empty() || !rest.bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(Error::new(ErrorKind::InvalidMethod, at));
    }
    Ok(StartLine::Request { tid: Cow::Borrowed(tid), method: Cow::Borrowed(rest) })
}

/// Parses the start line and header lines (`head` ends with the last header's CRLF).
pub(crate) fn parse_head<'b>(
    head: &'b [u8],
    config: &ParseConfig,
    has_body: bool,
) -> Result<Head<'b>, Error> {
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let start = parse_start(utf8(first, 0)?)?;
    let mut h = Head {
        start,
        headers: Vec::new(),
        to_path: Vec::new(),
        from_path: Vec::new(),
        message_id: None,
        byte_range: None,
        success_report: SuccessReport::No,
        failure_report: FailureReport::Yes,
        status: None,
        content_type: None,
        has_body,
    };
    let mut at = first.len() + 2;
    for line in lines {
        let Some(line) = line.strip_suffix(b"\r") else { break }; // the empty piece after the last LF
        if h.headers.len() >= config.max_headers {
            return Err(Error::new(ErrorKind::TooManyHeaders, at));
        }
        let line = utf8(line, at)?;
        let (name, value) = line.split_once(':').ok_or(Error::new(ErrorKind::InvalidHeader, at))?;
        if name.is_empty()
            || !name.as_bytes()[0].is_ascii_alphabetic()
            || !name.bytes().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        b'-' | b'_' | b'.' | b'!' | b'%' | b'*' | b'+' | b'`' | b'\'' | b'~'
                    )
            })
        {
            return Err(Error::new(ErrorKind::InvalidHeader, at));
        }
        let vat = at + name.len() + 1 + (value.len() - value.trim_start_matches([' ', '\t']).len());
        let value = value.trim_matches([' ', '\t']);
        check_text(value, vat)?;
        let field = |kind| move |e: Error| Error::new(kind, vat + e.offset());
        let idx = h.headers.len();
        if name.eq_ignore_ascii_case("To-Path") {
            if idx != 0 {
                return Err(Error::new(ErrorKind::MissingPath, at));
            }
            h.to_path = MsrpUri::parse_list(value).map_err(field(ErrorKind::InvalidUri))?;
        } else if name.eq_ignore_ascii_case("From-Path") {
            if idx != 1 {
                return Err(Error::new(ErrorKind::MissingPath, at));
            }
            h.from_path = MsrpUri::parse_list(value).map_err(field(ErrorKind::InvalidUri))?;
        } else if idx < 2 {
            return Err(Error::new(ErrorKind::MissingPath, at));
        } else if name.eq_ignore_ascii_case("Message-ID") {
            if !is_ident(value) {
                return Err(Error::new(ErrorKind::InvalidMessageId, vat));
            }
            h.message_id = Some(value);
        } else if name.eq_ignore_ascii_case("Byte-Range") {
            h.byte_range =
                Some(ByteRange::parse(value).map_err(field(ErrorKind::InvalidByteRange))?);
        } else if name.eq_ignore_ascii_case("Success-Report") {
            h.success_report =
                SuccessReport::parse(value).map_err(field(ErrorKind::InvalidReportValue))?;
        } else if name.eq_ignore_ascii_case("Failure-Report") {
            h.failure_report =
                FailureReport::parse(value).map_err(field(ErrorKind::InvalidReportValue))?;
        } else if name.eq_ignore_ascii_case("Status") {
            h.status = Some(ReportStatus::parse(value).map_err(field(ErrorKind::InvalidStatus))?);
        } else if name.eq_ignore_ascii_case("Content-Type") {
            if value.is_empty() {
                return Err(Error::new(ErrorKind::InvalidHeaderValue, vat));
            }
            h.content_type = Some(value);
        }
        h.headers.push((name, value));
        at += line.len() + 2;
    }
    if h.headers.len() < 2 {
        return Err(Error::new(ErrorKind::MissingPath, at));
    }
    match h.start {
        StartLine::Response { .. } if has_body => {
            return Err(Error::new(ErrorKind::UnexpectedBody, at));
        }
        StartLine::Request { .. } if has_body && h.content_type.is_none() => {
            return Err(Error::new(ErrorKind::MissingHeader("Content-Type"), at));
        }
        StartLine::Request { .. } | StartLine::Response { .. } => {}
    }
    Ok(h)
}

/// A whole request or response, owned: what [`Message::parse`] returns and what
/// [`Message::write`] writes. Headers are kept in order, `To-Path` and `From-Path` first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// The start line.
    pub start: StartLine<'static>,
    /// Header lines (name, value), in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any (requests only; `Some(empty)` differs from `None`, §7.1).
    pub body: Option<Vec<u8>>,
    /// The continuation flag of the end-line.
    pub flag: Flag,
}

impl Message {
    /// Parses exactly one complete message.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let mut d = Decoder::default();
        let mut at = 0;
        let mut msg: Option<Self> = None;
        loop {
            let Some((frame, used)) = d.decode(&bytes[at..]).map_err(|e| e.shifted(at))? else {
                return Err(Error::new(ErrorKind::InvalidEndLine, bytes.len()));
            };
            at += used;
            match frame {
                Frame::Head(h) => msg = Some(Self::from(&*h)),
                Frame::Data(d) => {
                    if let Some(b) = msg.as_mut().and_then(|m| m.body.as_mut()) {
                        b.extend_from_slice(d);
                    }
                }
                Frame::End(flag) => {
                    let mut m = msg.expect("the decoder gives a head before an end-line");
                    m.flag = flag;
                    if at != bytes.len() {
                        return Err(Error::new(ErrorKind::InvalidEndLine, at));
                    }
                    return Ok(m);
                }
            }
        }
    }

    /// The transaction identifier.
    pub fn tid(&self) -> &str {
        self.start.tid()
    }

    /// Writes the message. The caller must have chosen a transaction identifier whose
    /// end-line does not occur in the body ([`end_line_in_body`]).
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        self.write_head(buf);
        if let Some(body) = &self.body {
            buf.put_slice(b"\r\n");
            buf.put_slice(body);
            buf.put_slice(b"\r\n");
        }
        buf.put_slice(b"-------");
        buf.put_slice(self.tid().as_bytes());
        buf.put_u8(self.flag.as_byte());
        buf.put_slice(b"\r\n");
    }

    /// Writes the start line and the header lines, each ended by CRLF: what precedes the
    /// blank line of a body or the end-line.
    pub fn write_head<B: BufMut>(&self, buf: &mut B) {
        self.start.write(buf);
        for (n, v) in &self.headers {
            buf.put_slice(n.as_bytes());
            buf.put_slice(b": ");
            buf.put_slice(v.as_bytes());
            buf.put_slice(b"\r\n");
        }
    }

    /// The message as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(256 + self.body.as_ref().map_or(0, Vec::len));
        self.write(&mut v);
        v
    }

    /// A request with the two path headers set.
    pub fn request(tid: &str, method: &str, to: &[MsrpUri], from: &[MsrpUri]) -> Self {
        Self {
            start: StartLine::Request {
                tid: Cow::Owned(tid.to_owned()),
                method: Cow::Owned(method.to_owned()),
            },
            headers: vec![
                ("To-Path".to_owned(), write_path(to)),
                ("From-Path".to_owned(), write_path(from)),
            ],
            body: None,
            flag: Flag::End,
        }
    }

    /// A response (`$`-terminated, no body) with the two path headers set.
    pub fn response(
        tid: &str,
        code: u16,
        comment: Option<&str>,
        to: &[MsrpUri],
        from: &[MsrpUri],
    ) -> Self {
        Self {
            start: StartLine::Response {
                tid: Cow::Owned(tid.to_owned()),
                code,
                comment: comment.map(|c| Cow::Owned(c.to_owned())),
            },
            headers: vec![
                ("To-Path".to_owned(), write_path(to)),
                ("From-Path".to_owned(), write_path(from)),
            ],
            body: None,
            flag: Flag::End,
        }
    }

    /// Appends a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.headers.push((name.to_owned(), value.to_string()));
        self
    }
}

/// Whether `CRLF "-------" tid` occurs in `body` (or the body ends with a prefix of it), in
/// which case another transaction identifier must be chosen (§7.1).
pub fn end_line_in_body(body: &[u8], tid: &str) -> bool {
    let mut needle = b"\r\n-------".to_vec();
    needle.extend_from_slice(tid.as_bytes());
    // the CRLF before the end-line is not part of the body, so the body's own bytes plus that
    // CRLF must not contain "-------tid"
    let mut dashed = b"-------".to_vec();
    dashed.extend_from_slice(tid.as_bytes());
    memmem::find(body, &needle).is_some() || memmem::find(body, &dashed).is_some()
}
