//! Errors: what is wrong with a presence document and where (the XML path of the element at
//! fault, or the byte offset for XML that is not well formed).

use core::fmt;

/// What is wrong with a presence document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not well-formed namespace-aware XML (the offset is in the error).
    Xml(simple_patch::XmlError),
    /// The root element is not the one expected (`{urn:ietf:params:xml:ns:pidf}presence`,
    /// or for partial PIDF `pidf-full` / `pidf-diff`).
    UnexpectedRoot,
    /// A required attribute is missing.
    MissingAttribute(&'static str),
    /// A required child element is missing.
    MissingElement(&'static str),
    /// An element appears where the schema does not allow it, or more often than allowed.
    UnexpectedElement,
    /// Character data where only elements are allowed.
    UnexpectedText,
    /// A value is not in the lexical space of its type (`open`/`closed`, a dateTime, a
    /// qvalue, a number...).
    InvalidValue(&'static str),
    /// Two tuples, persons or devices share an `id`.
    DuplicateId,
    /// A pidf-diff patch operation failed (RFC 5261 error condition).
    Patch(simple_patch::PatchErrorKind),
    /// A partial notification's version does not follow the last one applied (RFC 5262 §4.4):
    /// the watcher must fetch full state.
    VersionGap {
        /// The version that was expected.
        expected: u32,
        /// The version that arrived.
        got: u32,
    },
    /// A pidf-diff arrived before any full state.
    NoFullState,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xml(e) => write!(f, "{e}"),
            Self::UnexpectedRoot => f.write_str("unexpected root element"),
            Self::MissingAttribute(a) => write!(f, "missing attribute '{a}'"),
            Self::MissingElement(e) => write!(f, "missing element <{e}>"),
            Self::UnexpectedElement => f.write_str("unexpected element"),
            Self::UnexpectedText => f.write_str("unexpected character data"),
            Self::InvalidValue(what) => write!(f, "invalid {what}"),
            Self::DuplicateId => f.write_str("duplicate id"),
            Self::Patch(k) => write!(f, "patch failed: {}", k.element_name()),
            Self::VersionGap { expected, got } => {
                write!(f, "version {got} where {expected} was expected")
            }
            Self::NoFullState => f.write_str("partial state without full state"),
        }
    }
}

/// A presence document error: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at {path}")]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Where: the XML path of the element at fault, like `/presence/tuple[2]/status`
    /// (`/` for the document itself; see the byte offset of [`ErrorKind::Xml`]).
    pub path: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, path: impl Into<String>) -> Self {
        Self { kind, path: path.into() }
    }
}

impl From<simple_patch::XmlError> for Error {
    fn from(e: simple_patch::XmlError) -> Self {
        Self::new(ErrorKind::Xml(e), "/")
    }
}
