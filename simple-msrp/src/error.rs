//! The crate's one error type: what is wrong with MSRP input, the byte offset where the
//! offending construct starts, and the status code to answer with.

use core::fmt;

/// What the parser found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The first line is not `MSRP <transact-id> <method>` or `MSRP <transact-id> <code>`.
    InvalidStartLine,
    /// A transaction identifier is not `ALPHANUM 3*31ident-char`.
    InvalidTransactionId,
    /// A method is not `1*UPALPHA`.
    InvalidMethod,
    /// A status code is not three digits.
    InvalidStatusCode,
    /// A header line is not `name: value`.
    InvalidHeader,
    /// A header value holds a control character.
    InvalidHeaderValue,
    /// To-Path or From-Path is missing, or not first and second (RFC 4975 §9).
    MissingPath,
    /// A header required here is absent.
    MissingHeader(&'static str),
    /// An MSRP URI is malformed.
    InvalidUri,
    /// A Byte-Range value is malformed or inconsistent.
    InvalidByteRange,
    /// A Status header value is malformed.
    InvalidStatus,
    /// A Success-Report or Failure-Report value is not one of the allowed values.
    InvalidReportValue,
    /// A Message-ID is not an `ident`.
    InvalidMessageId,
    /// The end-line does not carry this transaction's identifier, or its flag is not `+$#`.
    InvalidEndLine,
    /// A response or a body without Content-Type has a body, or the reverse.
    UnexpectedBody,
    /// A line ended with a bare CR or LF.
    BareLineEnd,
    /// The start line and headers are longer than the configured limit.
    HeadTooLarge,
    /// More headers than the configured limit.
    TooManyHeaders,
    /// Text is not valid UTF-8.
    InvalidUtf8,
    /// An SDP line is malformed.
    InvalidSdp,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidStartLine => f.write_str("invalid start line"),
            Self::InvalidTransactionId => f.write_str("invalid transaction identifier"),
            Self::InvalidMethod => f.write_str("invalid method"),
            Self::InvalidStatusCode => f.write_str("invalid status code"),
            Self::InvalidHeader => f.write_str("invalid header line"),
            Self::InvalidHeaderValue => f.write_str("invalid header value"),
            Self::MissingPath => f.write_str("To-Path and From-Path must be the first two headers"),
            Self::MissingHeader(h) => write!(f, "missing {h} header"),
            Self::InvalidUri => f.write_str("invalid MSRP URI"),
            Self::InvalidByteRange => f.write_str("invalid Byte-Range"),
            Self::InvalidStatus => f.write_str("invalid Status"),
            Self::InvalidReportValue => f.write_str("invalid report header value"),
            Self::InvalidMessageId => f.write_str("invalid Message-ID"),
            Self::InvalidEndLine => f.write_str("invalid end-line"),
            Self::UnexpectedBody => f.write_str("body where none is allowed"),
            Self::BareLineEnd => f.write_str("line not ended by CRLF"),
            Self::HeadTooLarge => f.write_str("start line and headers too large"),
            Self::TooManyHeaders => f.write_str("too many headers"),
            Self::InvalidUtf8 => f.write_str("invalid UTF-8"),
            Self::InvalidSdp => f.write_str("invalid SDP"),
        }
    }
}

/// What kind of fault an [`ErrorKind`] is: the peer's bytes are malformed, or well formed but
/// beyond a limit of the [`ParseConfig`](crate::ParseConfig).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The input does not follow RFC 4975's grammar: the peer sent something malformed.
    Malformed,
    /// The input is well formed but exceeds a configured limit.
    Limit,
}

impl ErrorKind {
    /// Whether this is malformed input or a limit.
    pub const fn category(self) -> Category {
        match self {
            Self::HeadTooLarge | Self::TooManyHeaders => Category::Limit,
            // listed one by one so a new kind must choose its category
            Self::InvalidStartLine
            | Self::InvalidTransactionId
            | Self::InvalidMethod
            | Self::InvalidStatusCode
            | Self::InvalidHeader
            | Self::InvalidHeaderValue
            | Self::MissingPath
            | Self::MissingHeader(_)
            | Self::InvalidUri
            | Self::InvalidByteRange
            | Self::InvalidStatus
            | Self::InvalidReportValue
            | Self::InvalidMessageId
            | Self::InvalidEndLine
            | Self::UnexpectedBody
            | Self::BareLineEnd
            | Self::InvalidUtf8
            | Self::InvalidSdp => Category::Malformed,
        }
    }
}

/// The crate's error: what is wrong, and the byte offset of the offending construct in the
/// input given to the parser (for [`Session::handle_input`](crate::Session::handle_input),
/// in the bytes not yet consumed plus the ones just given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
}

impl Error {
    pub(crate) const fn new(kind: ErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    pub(crate) const fn shifted(self, by: usize) -> Self {
        Self { kind: self.kind, offset: self.offset + by }
    }

    /// What is wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where the offending construct starts, in bytes from the start of the input.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The MSRP status code to answer a request that failed this way (RFC 4975 §10): 400 for
    /// malformed requests, 413 for oversized ones.
    pub const fn status_code(&self) -> u16 {
        match self.kind.category() {
            Category::Limit => 413,
            Category::Malformed => 400,
        }
    }
}
