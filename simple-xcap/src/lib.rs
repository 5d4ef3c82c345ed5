//! # simple-xcap
//!
//! XCAP for the SIMPLE suite, with no I/O.
//!
//! ```
//! use bytes::Bytes;
//! use simple_xcap::{MemoryStorage, ServerConfig, XcapServer};
//!
//! let mut server = XcapServer::new(ServerConfig::new("http://xcap.example.com/xcap-root"), MemoryStorage::new(), 7);
//! let put = http::Request::put("/xcap-root/resource-lists/users/sip:joe@example.com/index")
//!     .header("Content-Type", "application/resource-lists+xml")
//!     .body(Bytes::from_static(br#"<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
//!   <list name="friends"><entry uri="sip:bill@example.com"/></list>
//! </resource-lists>"#))?;
//! let r = server.handle(&put, Some("sip:joe@example.com"));
//! assert_eq!(r.status(), 201);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod caps;
mod client;
mod conflict;
mod diff;
mod error;
mod package;
mod rules;
mod schema;
mod server;
mod uri;
mod usage;

pub use caps::{document as caps_document, etag as caps_etag};
pub use client::{Outcome, XcapClient};
pub use conflict::{Conflict, Exists, XCAP_ERROR_NS};
pub use diff::{DiffEntry, DiffProcessing, XCAP_DIFF_MIME, XCAP_DIFF_NS, XcapDiff, apply_patch};
pub use error::{Error, ErrorKind};
pub use package::{PackageConfig, XCAP_DIFF_EVENT, XcapDiffPackage};
pub use rules::{
    Components, Conditions, Context, Except, Identity, Permission, Rule, Ruleset, SubHandling,
    Transformations, UserInputPermission,
};
pub use schema::{
    COMMON_POLICY_NS, OMA_COMMON_POLICY_NS, OMA_PRES_RULES_NS, PRES_RULES_NS, RESOURCE_LISTS_NS,
    RLS_SERVICES_NS, XCAP_CAPS_NS,
};
pub use server::{Change, MemoryStorage, NodeChange, ServerConfig, Storage, Stored, XcapServer};
pub use uri::{DocumentSelector, MAX_URI, Tree, XcapUri, decode};
pub use usage::{
    AUTH_POLICY_MIME, Kind, PIDF_MIME, PIDF_NS, RESOURCE_LISTS_MIME, RLS_SERVICES_MIME, Usage,
    XCAP_ATT_MIME, XCAP_CAPS_MIME, XCAP_EL_MIME, XCAP_ERROR_MIME, XCAP_NS_MIME,
};
