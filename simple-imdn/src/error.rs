//! The crate's one error type: what is wrong with a CPIM message, a header value or an XML
//! document, and where (a byte offset, or the element of a document).

use core::fmt;

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ends inside the header blocks (no blank line after the message headers or
    /// after the MIME headers).
    UnexpectedEnd,
    /// A message header name is empty or has a character outside NAMECHAR (RFC 3862 §3.6).
    InvalidHeaderName,
    /// No `:` after a header name, or no single space after the colon and its parameters.
    MissingSpace,
    /// A line of the message headers starts or ends with white space (RFC 3862 §2.2: no
    /// folding, no trailing space).
    Whitespace,
    /// A control character (other than the CRLF ending the line) in a header.
    ControlCharacter,
    /// A header is not UTF-8.
    InvalidUtf8,
    /// A header name uses a prefix no earlier `NS` header declared (RFC 3862 §3.4).
    UndeclaredPrefix,
    /// A header parameter (`;name=value` after the colon) is malformed.
    InvalidParameter,
    /// A From/To/cc/NS/Original-To/IMDN-Route value is not `[Formal-name] <URI>`.
    InvalidAddress,
    /// A DateTime (header or element) is not an RFC 3339 date-time with an offset.
    InvalidDateTime,
    /// A `Require` value is not a comma-separated list of header names.
    InvalidRequire,
    /// A Message-ID is not a Token.
    InvalidMessageId,
    /// A Disposition-Notification value is not a comma-separated list of notify-req.
    InvalidDispositionNotification,
    /// A MIME header of the encapsulated content is malformed.
    InvalidMimeHeader,
    /// The encapsulated content has no Content-Type (RFC 3862 §2.4).
    MissingContentType,
    /// More message or MIME headers than [`ParseConfig::max_headers`](crate::ParseConfig).
    TooManyHeaders,
    /// The header blocks are longer than [`ParseConfig::max_head_size`](crate::ParseConfig).
    HeadTooLarge,
    /// A multipart body (aggregated IMDNs) is malformed.
    Multipart,
    /// An XML document is not well-formed namespace-aware XML (the offset is the XML
    /// parser's).
    Xml(simple_patch::XmlErrorKind),
    /// The root element is not the one expected (`{urn:ietf:params:xml:ns:imdn}imdn`,
    /// `{urn:ietf:params:xml:ns:im-iscomposing}isComposing`).
    UnexpectedRoot,
    /// A required element is missing.
    MissingElement(&'static str),
    /// An element appears where the schema does not allow it, or more often than allowed.
    UnexpectedElement,
    /// An element's value is not in the lexical space of its type.
    InvalidValue(&'static str),
}

/// Whether an error is the peer's fault or a configured limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The input is malformed.
    Malformed,
    /// The input goes beyond a configured limit.
    Limit,
}

impl ErrorKind {
    /// Malformed input or a limit.
    pub const fn category(self) -> Category {
        match self {
            Self::TooManyHeaders | Self::HeadTooLarge => Category::Limit,
            Self::Xml(k) => {
                if matches!(
                    simple_patch::ErrorKind::Xml(k).category(),
                    simple_patch::Category::Limit
                ) {
                    Category::Limit
                } else {
                    Category::Malformed
                }
            }
            Self::UnexpectedEnd
            | Self::InvalidHeaderName
            | Self::MissingSpace
            | Self::Whitespace
            | Self::ControlCharacter
            | Self::InvalidUtf8
            | Self::UndeclaredPrefix
            | Self::InvalidParameter
            | Self::InvalidAddress
            | Self::InvalidDateTime
            | Self::InvalidRequire
            | Self::InvalidMessageId
            | Self::InvalidDispositionNotification
            | Self::InvalidMimeHeader
            | Self::MissingContentType
            | Self::Multipart
            | Self::UnexpectedRoot
            | Self::MissingElement(_)
            | Self::UnexpectedElement
            | Self::InvalidValue(_) => Category::Malformed,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedEnd => f.write_str("unexpected end of the header blocks"),
            Self::InvalidHeaderName => f.write_str("invalid header name"),
            Self::MissingSpace => f.write_str("expected ': ' after the header name"),
            Self::Whitespace => f.write_str("white space at the start or end of a header line"),
            Self::ControlCharacter => f.write_str("control character in a header"),
            Self::InvalidUtf8 => f.write_str("header is not UTF-8"),
            Self::UndeclaredPrefix => f.write_str("header prefix not declared by an NS header"),
            Self::InvalidParameter => f.write_str("invalid header parameter"),
            Self::InvalidAddress => f.write_str("invalid address ([Formal-name] <URI>)"),
            Self::InvalidDateTime => f.write_str("invalid date-time"),
            Self::InvalidRequire => f.write_str("invalid Require value"),
            Self::InvalidMessageId => f.write_str("invalid Message-ID"),
            Self::InvalidDispositionNotification => {
                f.write_str("invalid Disposition-Notification value")
            }
            Self::InvalidMimeHeader => f.write_str("invalid MIME header"),
            Self::MissingContentType => f.write_str("encapsulated content has no Content-Type"),
            Self::TooManyHeaders => f.write_str("too many headers"),
            Self::HeadTooLarge => f.write_str("header blocks too large"),
            Self::Multipart => f.write_str("malformed multipart body"),
            Self::Xml(k) => write!(f, "{k}"),
            Self::UnexpectedRoot => f.write_str("unexpected root element"),
            Self::MissingElement(e) => write!(f, "missing element <{e}>"),
            Self::UnexpectedElement => f.write_str("unexpected element"),
            Self::InvalidValue(what) => write!(f, "invalid {what}"),
        }
    }
}

/// Where an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Position {
    /// The byte offset of the start of the offending construct in the input.
    Byte(usize),
    /// The element at fault in a document, as a path from the root (`imdn/status`).
    Element(&'static str),
}

/// The crate's error: what is wrong and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub struct Error {
    kind: ErrorKind,
    position: Position,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::Byte(b) => write!(f, "{} at byte {b}", self.kind),
            Position::Element(p) => write!(f, "{} at {p}", self.kind),
        }
    }
}

impl Error {
    pub(crate) const fn at(kind: ErrorKind, offset: usize) -> Self {
        Self { kind, position: Position::Byte(offset) }
    }

    pub(crate) const fn element(kind: ErrorKind, path: &'static str) -> Self {
        Self { kind, position: Position::Element(path) }
    }

    /// The same error `by` bytes further on (a header value's error, in the message).
    pub(crate) const fn shifted(self, by: usize) -> Self {
        match self.position {
            Position::Byte(b) => Self { kind: self.kind, position: Position::Byte(b + by) },
            Position::Element(_) => self,
        }
    }

    /// What is wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where.
    pub const fn position(&self) -> Position {
        self.position
    }

    /// The byte offset, for errors in bytes.
    pub const fn offset(&self) -> Option<usize> {
        match self.position {
            Position::Byte(b) => Some(b),
            Position::Element(_) => None,
        }
    }

    /// The SIP or MSRP status that answers a request carrying the faulty body: 400, or 413
    /// for a limit.
    pub const fn status_code(&self) -> u16 {
        match self.kind.category() {
            Category::Limit => 413,
            Category::Malformed => 400,
        }
    }
}

impl From<simple_patch::Error> for Error {
    fn from(e: simple_patch::Error) -> Self {
        // only the parser's errors come here: an XML kind at a byte offset
        let kind = if let simple_patch::ErrorKind::Xml(k) = e.kind() {
            k
        } else {
            simple_patch::XmlErrorKind::Syntax
        };
        Self::at(ErrorKind::Xml(kind), e.offset().expect("a parse error has a byte offset"))
    }
}
