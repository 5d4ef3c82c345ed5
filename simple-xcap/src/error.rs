//! The crate's one error type: what is wrong with an XCAP URI or a document this crate reads
//! (pres-rules, xcap-diff, resource lists), and where.

use core::fmt;

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request path is not under the XCAP root.
    NotUnderRoot,
    /// A `%` is not followed by two hex digits.
    InvalidPercent,
    /// Percent-decoded bytes are not UTF-8.
    NotUtf8,
    /// The application unique ID is missing or empty.
    MissingAuid,
    /// After the AUID comes neither `users/<XUI>` nor `global`.
    MissingTree,
    /// `users/` is not followed by an XUI.
    MissingXui,
    /// The document selector names no document (it ends at a directory).
    MissingDocument,
    /// A path segment is `.`, `..` or empty.
    InvalidSegment,
    /// The node selector after `~~` does not parse (the simple-patch error says where).
    NodeSelector(simple_patch::Error),
    /// The query is not a sequence of `xmlns(prefix=namespace)` parts.
    InvalidQuery,
    /// The node selector uses a prefix no `xmlns()` of the query binds (RFC 4825 §8: 400).
    UnboundPrefix,
    /// The input is longer than the configured limit.
    TooLong,
    /// A document is not well-formed XML (the simple-patch error says where).
    Xml(simple_patch::Error),
    /// A document's root element is not the one expected.
    UnexpectedRoot,
    /// A required attribute is missing.
    MissingAttribute(&'static str),
    /// A required child element is missing.
    MissingElement(&'static str),
    /// A value is not in the lexical space of its type.
    InvalidValue(&'static str),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotUnderRoot => f.write_str("not under the XCAP root"),
            Self::InvalidPercent => f.write_str("invalid percent-encoding"),
            Self::NotUtf8 => f.write_str("percent-decoded text is not UTF-8"),
            Self::MissingAuid => f.write_str("missing application unique ID"),
            Self::MissingTree => f.write_str("expected users/<XUI> or global"),
            Self::MissingXui => f.write_str("missing XUI"),
            Self::MissingDocument => f.write_str("no document name"),
            Self::InvalidSegment => f.write_str("empty, '.' or '..' path segment"),
            Self::NodeSelector(e) => write!(f, "node selector: {e}"),
            Self::InvalidQuery => f.write_str("query is not xmlns(prefix=namespace) parts"),
            Self::UnboundPrefix => f.write_str("node selector prefix not bound by the query"),
            Self::TooLong => f.write_str("longer than the configured limit"),
            Self::Xml(e) => write!(f, "{e}"),
            Self::UnexpectedRoot => f.write_str("unexpected root element"),
            Self::MissingAttribute(a) => write!(f, "missing attribute '{a}'"),
            Self::MissingElement(e) => write!(f, "missing element <{e}>"),
            Self::InvalidValue(v) => write!(f, "invalid {v}"),
        }
    }
}

/// The crate's error: a kind and the byte offset in the input (URI or document) where the
/// fault was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {position}")]
pub struct Error {
    kind: ErrorKind,
    position: usize,
}

impl Error {
    pub(crate) const fn new(kind: ErrorKind, position: usize) -> Self {
        Self { kind, position }
    }

    /// What is wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The byte offset into the input where it was found.
    pub const fn position(&self) -> usize {
        self.position
    }
}

impl From<simple_patch::Error> for Error {
    fn from(e: simple_patch::Error) -> Self {
        Self::new(ErrorKind::Xml(e), e.offset().unwrap_or(0))
    }
}
