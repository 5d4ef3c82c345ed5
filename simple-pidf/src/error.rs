//! Errors: what is wrong with a presence document and where (the XML path of the element at
//! fault, or the byte offset for XML that is not well formed).

use core::fmt;

/// What is wrong with a presence document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not well-formed namespace-aware XML (the offset is in the error).
    Xml(simple_patch::Error),
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
    /// A pidf-diff body is not a valid RFC 5261 patch (the error condition). A well-formed
    /// patch that does not apply is an outcome, not an error:
    /// [`Resync::PatchFailed`](crate::partial::Resync::PatchFailed).
    Patch(simple_patch::PatchErrorKind),
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
        }
    }
}

/// The crate's error: what is wrong with a presence document and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at {path}")]
pub struct Error {
    kind: ErrorKind,
    path: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, path: impl Into<String>) -> Self {
        Self { kind, path: path.into() }
    }

    /// What is wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where: the XML path of the element at fault, like `/presence/tuple[2]/status`
    /// (`/` for the document itself; see the byte offset of [`ErrorKind::Xml`]).
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl From<simple_patch::Error> for Error {
    fn from(e: simple_patch::Error) -> Self {
        Self::new(ErrorKind::Xml(e), "/")
    }
}
