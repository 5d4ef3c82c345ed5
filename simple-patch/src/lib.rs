//! # simple-patch
//!
//! XML for the SIMPLE suite, with no I/O: a mutable, namespace-aware [`Document`] tree that
//! writes back what it read (text and white space byte for byte, comments, prefixes and
//! namespace declarations where they were); the selectors of RFC 5261 ([`Selector`]) and of
//! XCAP, RFC 4825 §6.3 ([`NodeSelector`]); RFC 5261 patches ([`Patch`]: `<add>`,
//! `<replace>`, `<remove>` with `pos`, `type` and `ws`, every error condition of §5.1 as a
//! [`PatchErrorKind`]); and [`diff`], which produces a patch turning one document into
//! another. Partial PIDF (RFC 5262), XCAP and xcap-diff (RFC 5874) build on these.
//!
//! ## Applying a patch
//!
//! ```
//! use simple_patch::{Document, Patch};
//!
//! let mut doc = Document::parse(br#"<?xml version="1.0" encoding="UTF-8"?>
//! <doc>
//!   <note>This is a sample document</note>
//! </doc>"#)?;
//! let patch = Patch::parse(br#"<diff>
//!   <add sel="doc"><foo id="ert4773">This is a new child</foo></add>
//!   <add sel="doc/foo[@id='ert4773']" type="@user">Bob</add>
//!   <replace sel="doc/note/text()">Patched</replace>
//! </diff>"#)?;
//! patch.apply(&mut doc)?; // all or nothing
//! assert_eq!(doc.to_string(), r#"<?xml version="1.0" encoding="UTF-8"?>
//! <doc>
//!   <note>Patched</note>
//! <foo id="ert4773" user="Bob">This is a new child</foo></doc>"#);
//!
//! // a failing operation names its RFC 5261 error condition and renders as <patch-ops-error>
//! let bad = Patch::parse(b"<diff><remove sel='doc/missing'/></diff>")?;
//! let err = bad.apply(&mut doc).unwrap_err();
//! assert_eq!(err.patch_kind(), Some(simple_patch::PatchErrorKind::UnlocatedNode));
//! assert_eq!(err.operation(), Some(0)); // the first operation of the patch
//! assert!(bad.error_document(&err).to_string().contains("<unlocated-node"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Diffing
//!
//! ```
//! use simple_patch::{Document, diff};
//!
//! let a = Document::from_str("<list>\n  <entry uri='sip:a@x'/>\n</list>")?;
//! let b = Document::from_str("<list>\n  <entry uri='sip:a@x'/>\n  <entry uri='sip:b@x'/>\n</list>")?;
//! let patch = diff(&a, &b);
//! assert_eq!(patch.operations().len(), 1); // one <add pos="after">, white space included
//! let mut c = a.clone();
//! patch.apply(&mut c)?;
//! assert_eq!(c.to_string(), b.to_string());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Selecting
//!
//! ```
//! use simple_patch::{Document, Located, Namespaces, NodeSelector};
//!
//! let doc = Document::from_str(r#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo">
//!   <watcher-list resource="sip:professor@example.net" package="presence">
//!     <watcher id="8ajksjda7s" status="active">sip:userA@example.net</watcher>
//!   </watcher-list></watcherinfo>"#)?;
//! // XCAP: unprefixed names take the application usage's default document namespace
//! let ns = Namespaces::new().with_default("urn:ietf:params:xml:ns:watcherinfo");
//! let sel = NodeSelector::parse(r#"watcherinfo/watcher-list/watcher[@id="8ajksjda7s"]/@status"#)?;
//! let Ok(Located::Attribute { element, index }) = sel.select(&doc, &ns) else { panic!() };
//! assert_eq!(doc.element(element).unwrap().attributes[index].value, "active");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Untrusted input
//!
//! Parsing never panics and is bounded by [`ParseConfig`] (input size, depth, node count,
//! attributes per element); internal DTD entities are expanded within a size budget, external
//! ones are refused. The one error type, [`Error`], carries a kind and where the fault is:
//! the byte offset of the offending construct, the selector step or the patch operation. Tree
//! algorithms are iterative, so deep documents cannot overflow the stack.

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
    Category, Error, ErrorKind, PatchErrorKind, Position, SelectErrorKind, SelectorErrorKind,
    XmlErrorKind,
};
pub use parse::ParseConfig;
pub use patch::{AddType, OpKind, Operation, PATCH_OPS_ERROR_NS, Patch, Pos, Ws};
pub use select::{
    Located, NameTest, Namespaces, NodeSelector, Predicate, Selector, Step, Terminal, XcapStep,
    XcapTerminal,
};
pub use tree::{
    Attribute, Children, Descendants, Document, Element, NodeId, NodeKind, QName, Str, XML_NS,
    XMLNS_NS, is_ncname, is_xml_ws,
};
pub use write::{escape_attr, escape_text};
