//! Errors of the crate: what went wrong, where, and which SIP status answers it.

use core::fmt;

/// What a parser found wrong. Small and `Copy`, in the style of httparse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The start line is neither a Request-Line nor a Status-Line.
    InvalidStartLine,
    /// The method is not a `token` (RFC 3261 §25.1).
    InvalidMethod,
    /// The SIP-Version is not `SIP/2.0`.
    UnsupportedVersion,
    /// The Status-Code is not three digits between 100 and 699.
    InvalidStatusCode,
    /// The Reason-Phrase holds a control character.
    InvalidReasonPhrase,
    /// A header name is not a `token`, or is empty.
    InvalidHeaderName,
    /// A header line has no `:` after its name.
    MissingColon,
    /// A header value holds a control character (other than folding).
    InvalidHeaderValue,
    /// A line begins with whitespace where no header precedes it.
    UnexpectedContinuation,
    /// A carriage return not followed by a line feed.
    BareCarriageReturn,
    /// More headers than the caller's array or the configured limit.
    TooManyHeaders,
    /// The start line and headers are longer than the configured limit.
    HeadTooLarge,
    /// The declared body is longer than the configured limit.
    BodyTooLarge,
    /// A stream transport needs a Content-Length header (RFC 3261 §18.3).
    MissingContentLength,
    /// Content-Length is not a decimal number that fits in `usize`.
    InvalidContentLength,
    /// Two Content-Length headers disagree.
    ConflictingContentLength,
    /// A datagram holds fewer body bytes than its Content-Length declares.
    BodyTruncated,
    /// The input ended inside a construct that must be complete.
    UnexpectedEnd,
    /// A specific character or construct was expected here.
    Expected(&'static str),
    /// Bytes remain after a construct that must end the value.
    TrailingData,
    /// A URI is malformed.
    InvalidUri,
    /// A host is neither a hostname, an IPv4 address nor a bracketed IPv6 address.
    InvalidHost,
    /// A port is not a number between 0 and 65535.
    InvalidPort,
    /// A number is malformed or out of range.
    InvalidNumber,
    /// A `%HH` escape is malformed.
    InvalidEscape,
    /// A quoted string has no closing quote.
    UnterminatedQuote,
    /// A `<` has no closing `>`.
    UnterminatedAngle,
    /// The requested header is absent.
    MissingHeader,
    /// A multipart body lacks its boundary parameter or delimiter.
    InvalidMultipart,
    /// Text is not valid UTF-8.
    InvalidUtf8,
    /// An authentication scheme or digest algorithm this crate does not implement.
    UnsupportedAuth,
    /// A Digest challenge lacks a parameter it must have.
    MissingAuthParam(&'static str),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::InvalidStartLine => "invalid start line",
            Self::InvalidMethod => "invalid method",
            Self::UnsupportedVersion => "unsupported SIP version",
            Self::InvalidStatusCode => "invalid status code",
            Self::InvalidReasonPhrase => "invalid reason phrase",
            Self::InvalidHeaderName => "invalid header name",
            Self::MissingColon => "missing ':' after header name",
            Self::InvalidHeaderValue => "invalid character in header value",
            Self::UnexpectedContinuation => "continuation line without a header",
            Self::BareCarriageReturn => "carriage return without line feed",
            Self::TooManyHeaders => "too many headers",
            Self::HeadTooLarge => "message head too large",
            Self::BodyTooLarge => "body too large",
            Self::MissingContentLength => "missing Content-Length on a stream transport",
            Self::InvalidContentLength => "invalid Content-Length",
            Self::ConflictingContentLength => "conflicting Content-Length headers",
            Self::BodyTruncated => "body shorter than Content-Length",
            Self::UnexpectedEnd => "unexpected end of input",
            Self::Expected(what) => return write!(f, "expected {what}"),
            Self::TrailingData => "trailing data",
            Self::InvalidUri => "invalid URI",
            Self::InvalidHost => "invalid host",
            Self::InvalidPort => "invalid port",
            Self::InvalidNumber => "invalid number",
            Self::InvalidEscape => "invalid %-escape",
            Self::UnterminatedQuote => "unterminated quoted string",
            Self::UnterminatedAngle => "missing '>'",
            Self::MissingHeader => "missing header",
            Self::InvalidMultipart => "invalid multipart body",
            Self::InvalidUtf8 => "invalid UTF-8",
            Self::UnsupportedAuth => "unsupported authentication scheme or algorithm",
            Self::MissingAuthParam(p) => return write!(f, "digest parameter {p} missing"),
        };
        f.write_str(s)
    }
}

/// What kind of fault an [`ErrorKind`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The input does not follow RFC 3261's grammar: the peer sent something malformed.
    Malformed,
    /// The input is well formed but exceeds a configured limit ([`ParseConfig`](crate::ParseConfig)).
    Limit,
    /// The input is well formed but asks for something this crate does not implement (an
    /// authentication scheme or digest algorithm).
    Unsupported,
}

impl ErrorKind {
    /// Whether this is malformed input or a limit.
    pub const fn category(self) -> Category {
        match self {
            Self::HeadTooLarge | Self::TooManyHeaders | Self::BodyTooLarge => Category::Limit,
            // every other kind is a fault of the input; listed one by one so a new kind must
            // choose
            Self::InvalidStartLine
            | Self::InvalidMethod
            | Self::UnsupportedVersion
            | Self::InvalidStatusCode
            | Self::InvalidReasonPhrase
            | Self::InvalidHeaderName
            | Self::MissingColon
            | Self::InvalidHeaderValue
            | Self::UnexpectedContinuation
            | Self::BareCarriageReturn
            | Self::MissingContentLength
            | Self::InvalidContentLength
            | Self::ConflictingContentLength
            | Self::BodyTruncated
            | Self::UnexpectedEnd
            | Self::Expected(_)
            | Self::TrailingData
            | Self::InvalidUri
            | Self::InvalidHost
            | Self::InvalidPort
            | Self::InvalidNumber
            | Self::InvalidEscape
            | Self::UnterminatedQuote
            | Self::UnterminatedAngle
            | Self::MissingHeader
            | Self::InvalidMultipart
            | Self::InvalidUtf8
            | Self::MissingAuthParam(_) => Category::Malformed,
            Self::UnsupportedAuth => Category::Unsupported,
        }
    }
}

/// The crate's error: its kind and the byte offset where the offending construct starts.
///
/// Offsets are relative to the input given to the parser: the whole message for
/// [`Message::parse`](crate::Message::parse), the header value for a typed header parsed on its
/// own. [`Message::typed`](crate::Message::typed) rebases header offsets onto the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
}

impl Error {
    /// A new error of `kind` at `offset`.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// What went wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where the offending construct starts, in bytes from the start of the input.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The same error, with its offset moved by `by` bytes (an inner parse rebased on its parent).
    #[must_use]
    pub const fn shifted(self, by: usize) -> Self {
        Self { kind: self.kind, offset: self.offset + by }
    }

    /// The SIP status code a server answers a request failing this way with
    /// (RFC 3261 §21): 505 for the version, 513 for size limits, 413 for bodies, else 400.
    pub const fn status_code(&self) -> u16 {
        match self.kind {
            ErrorKind::UnsupportedVersion => 505,
            ErrorKind::HeadTooLarge | ErrorKind::TooManyHeaders => 513,
            ErrorKind::BodyTooLarge => 413,
            // listed one by one so a new kind must choose its status code
            ErrorKind::InvalidStartLine
            | ErrorKind::InvalidMethod
            | ErrorKind::InvalidStatusCode
            | ErrorKind::InvalidReasonPhrase
            | ErrorKind::InvalidHeaderName
            | ErrorKind::MissingColon
            | ErrorKind::InvalidHeaderValue
            | ErrorKind::UnexpectedContinuation
            | ErrorKind::BareCarriageReturn
            | ErrorKind::MissingContentLength
            | ErrorKind::InvalidContentLength
            | ErrorKind::ConflictingContentLength
            | ErrorKind::BodyTruncated
            | ErrorKind::UnexpectedEnd
            | ErrorKind::Expected(_)
            | ErrorKind::TrailingData
            | ErrorKind::InvalidUri
            | ErrorKind::InvalidHost
            | ErrorKind::InvalidPort
            | ErrorKind::InvalidNumber
            | ErrorKind::InvalidEscape
            | ErrorKind::UnterminatedQuote
            | ErrorKind::UnterminatedAngle
            | ErrorKind::MissingHeader
            | ErrorKind::InvalidMultipart
            | ErrorKind::InvalidUtf8
            | ErrorKind::UnsupportedAuth
            | ErrorKind::MissingAuthParam(_) => 400,
        }
    }
}
