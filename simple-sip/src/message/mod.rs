//! SIP messages (RFC 3261 §7): borrowed views, parsing, framing and writing.

mod method;
mod name;
mod owned;
mod parse;
mod stream;
mod write;

pub use method::Method;
pub use name::HeaderName;
pub use owned::OwnedMessage;
pub use stream::{Frame, KeepAlive, StreamDecoder};
pub use write::MessageWriter;

use alloc::borrow::Cow;

use crate::error::{Error, ErrorKind};
use crate::headers::TypedHeader;

/// Limits applied while parsing. Every field has a sane default; raise them for large RLMI or
/// pidf bodies, lower them on constrained devices.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseConfig {
    /// Maximum bytes of start line plus headers plus the empty line (default 32 KiB).
    pub max_head_size: usize,
    /// Maximum body bytes (default 1 MiB): a larger Content-Length fails before any body is read.
    pub max_body_size: usize,
    /// Maximum header lines (default 128); the caller's header array may cap it further.
    pub max_headers: usize,
}

impl Default for ParseConfig {
    fn default() -> Self {
        Self { max_head_size: 32 * 1024, max_body_size: 1024 * 1024, max_headers: 128 }
    }
}

/// The outcome of parsing a buffer that may hold only part of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Progress<T> {
    /// A whole construct was parsed.
    Complete(T),
    /// More bytes are needed; nothing was consumed.
    Partial,
}

impl<T> Progress<T> {
    /// The value, if complete.
    pub fn complete(self) -> Option<T> {
        match self {
            Self::Complete(t) => Some(t),
            Self::Partial => None,
        }
    }

    /// True if more bytes are needed.
    pub const fn is_partial(&self) -> bool {
        matches!(self, Self::Partial)
    }
}

/// One header line: its name as written, its classification, and its raw value.
///
/// The value is trimmed of surrounding whitespace; folded continuation lines stay inside it
/// verbatim (`CRLF` followed by whitespace), which every typed parser reads as linear whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'b> {
    name: &'b str,
    kind: HeaderName,
    value: &'b [u8],
}

impl<'b> Header<'b> {
    /// An empty slot for a caller-provided header array.
    pub const EMPTY: Self = Self { name: "", kind: HeaderName::Other, value: b"" };

    /// A header with `name` (any spelling, classified here) and a raw `value`.
    pub fn new(name: &'b str, value: &'b [u8]) -> Self {
        Self { name, kind: HeaderName::from_bytes(name.as_bytes()), value }
    }

    /// The name as written on the wire (e.g. `v` or `Via`).
    pub const fn name(&self) -> &'b str {
        self.name
    }

    /// The name's classification.
    pub const fn kind(&self) -> HeaderName {
        self.kind
    }

    /// The raw value, trimmed.
    pub const fn value(&self) -> &'b [u8] {
        self.value
    }

    /// The raw value as text, if it is UTF-8.
    pub fn value_str(&self) -> Result<&'b str, Error> {
        crate::scan::utf8(self.value, 0)
    }

    /// True if this header has the name `name` (case-insensitive, compact forms included).
    pub fn is(&self, name: &str) -> bool {
        let other = HeaderName::from_bytes(name.as_bytes());
        if other == HeaderName::Other {
            self.kind == HeaderName::Other && self.name.eq_ignore_ascii_case(name)
        } else {
            self.kind == other
        }
    }
}

/// The first line of a message: borrowed in a parsed [`Message`], owned
/// (`StartLine<'static>`) after [`StartLine::into_owned`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine<'b> {
    /// `Request-Line = Method SP Request-URI SP SIP-Version CRLF`
    Request(RequestLine<'b>),
    /// `Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF`
    Response(StatusLine<'b>),
}

impl StartLine<'_> {
    /// The same line, owning its text.
    pub fn into_owned(self) -> StartLine<'static> {
        match self {
            Self::Request(r) => StartLine::Request(RequestLine {
                method: r.method.into_owned(),
                uri: Cow::Owned(r.uri.into_owned()),
            }),
            Self::Response(s) => StartLine::Response(StatusLine {
                code: s.code,
                reason: Cow::Owned(s.reason.into_owned()),
            }),
        }
    }
}

/// `Request-Line`. The version is always `SIP/2.0` (others fail to parse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine<'b> {
    /// The method.
    pub method: Method<'b>,
    /// The Request-URI as written; [`crate::Uri::parse`] types it.
    pub uri: Cow<'b, str>,
}

/// `Status-Line`. The version is always `SIP/2.0` (others fail to parse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine<'b> {
    /// Status-Code, 100..=699.
    pub code: u16,
    /// Reason-Phrase (may be empty).
    pub reason: Cow<'b, str>,
}

/// A parsed SIP message borrowing its bytes and the caller's header array.
///
/// Parsing allocates nothing: headers land in the `&mut [Header]` the caller passes in
/// (as in httparse), names are classified once, and values stay raw until a typed accessor
/// ([`Message::typed`], [`Message::typed_all`]) reads them.
#[derive(Debug, Clone)]
pub struct Message<'h, 'b> {
    start: StartLine<'b>,
    headers: &'h [Header<'b>],
    body: &'b [u8],
    src: &'b [u8],
}

impl PartialEq for Message<'_, '_> {
    fn eq(&self, other: &Self) -> bool {
        self.start == other.start && self.headers == other.headers && self.body == other.body
    }
}

impl Eq for Message<'_, '_> {}

impl<'h, 'b> Message<'h, 'b> {
    /// A message from parts, for writing.
    pub const fn new(start: StartLine<'b>, headers: &'h [Header<'b>], body: &'b [u8]) -> Self {
        Self { start, headers, body, src: &[] }
    }

    /// Parses one whole message received as a datagram (UDP), with default limits.
    ///
    /// If Content-Length is present the body is exactly that long and bytes after it are ignored
    /// (RFC 3261 §18.3); a shorter datagram is [`ErrorKind::BodyTruncated`]. Without
    /// Content-Length the body runs to the end of the buffer. Leading CRLFs are skipped (§7.5).
    pub fn parse(buf: &'b [u8], headers: &'h mut [Header<'b>]) -> Result<Self, Error> {
        parse::parse_datagram(buf, headers, &ParseConfig::default())
    }

    /// [`Message::parse`] with explicit limits.
    pub fn parse_with(
        buf: &'b [u8],
        headers: &'h mut [Header<'b>],
        config: &ParseConfig,
    ) -> Result<Self, Error> {
        parse::parse_datagram(buf, headers, config)
    }

    /// Parses the next message of a stream (TCP, TLS): `Partial` until the whole head and the
    /// Content-Length bytes of body are in `buf`; then the message and how many bytes it used
    /// (leading CRLFs included). Content-Length is required (RFC 3261 §18.3).
    ///
    /// This rescans `buf` on each call; a caller feeding bytes in many small pieces should
    /// frame with [`StreamDecoder`], which remembers how far it has scanned.
    pub fn parse_stream(
        buf: &'b [u8],
        headers: &'h mut [Header<'b>],
        config: &ParseConfig,
    ) -> Result<Progress<(Self, usize)>, Error> {
        parse::parse_stream(buf, headers, config)
    }

    /// The start line.
    pub const fn start_line(&self) -> &StartLine<'b> {
        &self.start
    }

    /// The request line, if this is a request.
    pub const fn request(&self) -> Option<&RequestLine<'b>> {
        match &self.start {
            StartLine::Request(r) => Some(r),
            StartLine::Response(_) => None,
        }
    }

    /// The status line, if this is a response.
    pub const fn response(&self) -> Option<&StatusLine<'b>> {
        match &self.start {
            StartLine::Response(s) => Some(s),
            StartLine::Request(_) => None,
        }
    }

    /// The request method, if this is a request.
    pub fn method(&self) -> Option<Method<'b>> {
        self.request().map(|r| r.method.clone())
    }

    /// The status code, if this is a response.
    pub fn status_code(&self) -> Option<u16> {
        self.response().map(|s| s.code)
    }

    /// All headers in wire order.
    pub const fn headers(&self) -> &'h [Header<'b>] {
        self.headers
    }

    /// The body (exactly Content-Length bytes when that header is present).
    pub const fn body(&self) -> &'b [u8] {
        self.body
    }

    /// The first header named `name`.
    pub fn header(&self, name: HeaderName) -> Option<&'h Header<'b>> {
        self.headers.iter().find(|h| h.kind == name)
    }

    /// Every header named `name`, in order.
    pub fn headers_named(&self, name: HeaderName) -> impl Iterator<Item = &'h Header<'b>> + 'h {
        self.headers.iter().filter(move |h| h.kind == name)
    }

    /// The first header whose name is `name` (for extension headers; case-insensitive).
    pub fn header_str(&self, name: &str) -> Option<&'h Header<'b>> {
        self.headers.iter().find(|h| h.is(name))
    }

    /// Parses the first header of type `T` (`Ok(None)` if absent). Errors carry offsets into
    /// the message.
    pub fn typed<T: TypedHeader<'b>>(&self) -> Result<Option<T>, Error> {
        let mut it = self.typed_all::<T>();
        it.next().transpose()
    }

    /// Parses the first header of type `T`, failing with [`ErrorKind::MissingHeader`] if absent;
    /// that error's offset is the end of the header section (the blank line), where the
    /// header was missed.
    pub fn require<T: TypedHeader<'b>>(&self) -> Result<T, Error> {
        self.typed::<T>()?.ok_or_else(|| self.missing_header())
    }

    /// [`ErrorKind::MissingHeader`] at the end of the header section (the blank line).
    pub(crate) fn missing_header(&self) -> Error {
        Error::new(ErrorKind::MissingHeader, self.src.len().saturating_sub(self.body.len() + 2))
    }

    /// Every value of `T` in order: list headers (Via, Contact, Route, Supported, ...) yield
    /// each comma-separated element of each header line.
    pub fn typed_all<T: TypedHeader<'b>>(&self) -> TypedIter<'h, 'b, T> {
        TypedIter {
            headers: self.headers.iter(),
            current: None,
            msg_src: self.src,
            _t: core::marker::PhantomData,
        }
    }
}

/// Iterator over the typed values of one header kind; see [`Message::typed_all`].
#[derive(Debug)]
pub struct TypedIter<'h, 'b, T> {
    headers: core::slice::Iter<'h, Header<'b>>,
    current: Option<(crate::headers::ListSplit<'b>, usize)>,
    msg_src: &'b [u8],
    _t: core::marker::PhantomData<T>,
}

impl<'b, T: TypedHeader<'b>> Iterator for TypedIter<'_, 'b, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((split, base)) = &mut self.current {
                let base = *base;
                match split.next() {
                    Some(Ok((item, at))) => {
                        return Some(T::parse(item).map_err(|e| e.shifted(base + at)));
                    }
                    Some(Err(e)) => {
                        self.current = None;
                        return Some(Err(e.shifted(base)));
                    }
                    None => self.current = None,
                }
            }
            let h = self.headers.by_ref().find(|h| h.kind == T::NAME)?;
            let base = offset_in(self.msg_src, h.value);
            if T::LIST {
                self.current = Some((crate::headers::ListSplit::new(h.value), base));
            } else {
                return Some(T::parse(h.value).map_err(|e| e.shifted(base)));
            }
        }
    }
}

/// The byte offset of `part` within `src`, or 0 when `part` lies elsewhere (a message built by
/// hand). Pointer arithmetic on addresses only; nothing is dereferenced.
fn offset_in(src: &[u8], part: &[u8]) -> usize {
    let p = part.as_ptr() as usize;
    let s = src.as_ptr() as usize;
    if p >= s && p <= s + src.len() { p - s } else { 0 }
}

/// Reads one header line (or the empty line, as `None`) of a header block at `pos`; used for
/// the MIME headers of body parts.
pub(crate) fn parse_header_line(
    buf: &[u8],
    pos: usize,
) -> Result<Progress<Option<(Header<'_>, usize)>>, Error> {
    Ok(match parse::next_header(buf, pos)? {
        Progress::Complete(parse::HeaderLine::Header(h, next)) => {
            Progress::Complete(Some((h, next)))
        }
        Progress::Complete(parse::HeaderLine::End(_)) => Progress::Complete(None),
        Progress::Partial => Progress::Partial,
    })
}
