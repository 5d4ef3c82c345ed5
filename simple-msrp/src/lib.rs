//! # simple-msrp
//!
//! Sans-IO MSRP (RFC 4975). This crate does no I/O.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod frame;
mod headers;
mod sdp;
mod session;
mod uri;

pub use error::{ErrorKind, ParseError};
pub use frame::{
    Decoder, Flag, Frame, Head, Message, ParseConfig, Start, StartLine, end_line_in_body,
};
pub use headers::{ByteRange, FailureReport, Status, SuccessReport, is_ident};
pub use sdp::MsrpMedia;
pub use session::{ConnectionError, Event, FailureReason, SendOptions, Session, SessionConfig};
pub use uri::MsrpUri;
