//! # simple-pidf
//!
//! Presence documents for the SIMPLE suite, with no I/O: a typed model, reader and writer for
//! PIDF (RFC 3863) with the presence data model's persons, services and devices (RFC 4479),
//! rich presence (RPID, RFC 4480), contact information (CIPID, RFC 4482), timed presence
//! (RFC 4481) and capabilities (RFC 5196); partial PIDF (RFC 5262) on top of
//! [`simple_patch`]; and composition of several publishers' documents into one view.
//!
//! Extension elements the model does not know, and known ones it cannot represent exactly,
//! are kept verbatim ([`Raw`]), so reading and writing a document loses nothing.
//!
//! ```
//! use simple_pidf::{Basic, Extension, Presence, rpid::Activity};
//!
//! let doc = Presence::parse(br#"<?xml version="1.0" encoding="UTF-8"?>
//! <presence xmlns="urn:ietf:params:xml:ns:pidf"
//!     xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
//!     xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
//!     entity="pres:someone@example.com">
//!   <tuple id="bs35r9">
//!     <status><basic>open</basic></status>
//!     <contact priority="0.8">im:someone@mobile.example.net</contact>
//!   </tuple>
//!   <dm:person id="p1">
//!     <rpid:activities><rpid:on-the-phone/></rpid:activities>
//!     <x:pet xmlns:x="urn:example:pets">cat</x:pet>
//!   </dm:person>
//! </presence>"#)?;
//! assert_eq!(doc.tuples[0].status.basic, Some(Basic::Open));
//! let person = doc.persons().next().unwrap();
//! let Extension::Activities(a) = &person.extensions[0] else { panic!() };
//! assert_eq!(a.values, [Activity::OnThePhone]);
//! assert!(matches!(&person.extensions[1], Extension::Raw(r) if r.local_name() == "pet"));
//!
//! // Written back, it reads the same; unknown extensions come back as they were.
//! let xml = doc.to_vec();
//! assert_eq!(Presence::parse(&xml)?, doc);
//! assert!(String::from_utf8(xml)?.contains(r#"<x:pet xmlns:x="urn:example:pets">cat</x:pet>"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Partial notifications ([`PresenceView`], [`PartialNotifier`]) and composition
//! ([`mod@compose`]) are described in their modules. With the `serde` feature (on by default)
//! the model serializes as data: dateTimes and qvalues as written, elements kept verbatim as
//! their XML text.
//!
//! ## Untrusted input
//!
//! Parsing never panics and is bounded by [`ParseConfig`] (simple-patch's limits on input
//! size, depth, nodes and attributes). Errors name what is wrong and where: the XML path of the
//! element at fault, or the byte offset for XML that is not well formed.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod caps;
pub mod compose;
mod datetime;
mod error;
mod model;
pub mod partial;
mod read;
pub mod rpid;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod timed;
pub mod winfo;
mod write;

pub use compose::compose;
pub use datetime::DateTime;
pub use error::{Error, ErrorKind};
pub use model::{
    Basic, Component, Contact, Device, Extension, Note, OtherAttribute, Person, Presence, QValue,
    Raw, Status, Tuple,
};
pub use partial::{PartialNotifier, PresenceView, Resync, Update};
pub use simple_patch::ParseConfig;

/// Namespace URIs of the documents this crate reads and writes.
pub mod ns {
    /// PIDF (RFC 3863).
    pub const PIDF: &str = "urn:ietf:params:xml:ns:pidf";
    /// The presence data model (RFC 4479).
    pub const DATA_MODEL: &str = "urn:ietf:params:xml:ns:pidf:data-model";
    /// RPID (RFC 4480).
    pub const RPID: &str = "urn:ietf:params:xml:ns:pidf:rpid";
    /// CIPID (RFC 4482).
    pub const CIPID: &str = "urn:ietf:params:xml:ns:pidf:cipid";
    /// Timed presence (RFC 4481).
    pub const TIMED_STATUS: &str = "urn:ietf:params:xml:ns:pidf:timed-status";
    /// Capabilities (RFC 5196).
    pub const CAPS: &str = "urn:ietf:params:xml:ns:pidf:caps";
    /// Partial PIDF (RFC 5262).
    pub const PIDF_DIFF: &str = "urn:ietf:params:xml:ns:pidf-diff";
}

/// `s` without leading and trailing XML white space (space, tab, CR, LF): the value of a
/// token, URI, dateTime or enumeration written with surrounding white space.
pub(crate) fn trim_ws(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// The MIME type of a PIDF document.
pub const CONTENT_TYPE: &str = "application/pidf+xml";

impl Presence {
    /// Parses a PIDF document with the default limits.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        Self::parse_with(input, &ParseConfig::default())
    }

    /// Parses a PIDF document within `config`'s limits.
    pub fn parse_with(input: &[u8], config: &ParseConfig) -> Result<Self, Error> {
        let doc = simple_patch::Document::parse_with(input, config)?;
        Self::from_document(&doc)
    }

    /// Reads the document's root `<presence>` element.
    pub fn from_document(doc: &simple_patch::Document) -> Result<Self, Error> {
        let root = doc
            .root_element()
            .ok_or_else(|| Error::new(ErrorKind::MissingElement("presence"), "/"))?;
        read::presence(doc, root, read::Root::Presence)
    }
}
