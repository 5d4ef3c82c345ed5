//! # simple-patch
//!
//! XML documents as a mutable, namespace-aware tree; the selectors of RFC 5261 and RFC 4825;
//! RFC 5261 patch operations; and a diff that produces a patch turning one document into
//! another. This crate does no I/O.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod diff;
mod error;
mod parse;
mod patch;
mod select;
mod tree;
mod write;

pub use diff::{DiffConfig, diff, diff_with};
pub use error::{
    PatchError, PatchErrorKind, SelectError, SelectorError, SelectorErrorKind, XmlError,
    XmlErrorKind,
};
pub use parse::ParseConfig;
pub use patch::{AddType, OpKind, Operation, PATCH_OPS_ERROR_NS, Patch, Pos, Ws};
pub use select::{
    Located, NameTest, Namespaces, NodeSelector, Predicate, Selector, Step, Terminal, XcapStep,
    XcapTerminal,
};
pub use tree::{
    Attribute, Children, Descendants, Document, Element, NodeId, NodeKind, QName, XML_NS, XMLNS_NS,
    is_ncname,
};
