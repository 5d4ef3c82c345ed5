//! # simple-sip
//!
//! Sans-IO SIP for the SIMPLE suite. This crate does no I/O: it parses bytes you received and
//! writes bytes for you to send. No sockets, threads, clocks or randomness live here.
//!
//! This release holds the message layer of RFC 3261: messages and their framing on datagram
//! and stream transports, URIs, typed headers for everything SIMPLE uses, and multipart
//! bodies. Transactions, dialogs and the event framework build on it.
//!
//! ## Parsing without allocating
//!
//! ```
//! use simple_sip::{Header, Message, Method};
//! use simple_sip::headers::{CSeq, EventHeader, FromHeader, SubscriptionState, Via};
//!
//! let bytes = b"NOTIFY sip:alice@pc33.atlanta.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP pres.example.com;branch=z9hG4bK1\r\n\
//! v: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2\r\n\
//! From: <sip:bob@example.com>;tag=ffd2\r\n\
//! To: <sip:alice@atlanta.com>;tag=xfg9\r\n\
//! Call-ID: 2010@pc33.atlanta.com\r\n\
//! CSeq: 7 NOTIFY\r\n\
//! Event: presence\r\n\
//! Subscription-State: active;expires=599\r\n\
//! Content-Length: 0\r\n\r\n";
//!
//! // headers land in an array you own; nothing is copied
//! let mut headers = [Header::EMPTY; 32];
//! let msg = Message::parse(bytes, &mut headers)?;
//! assert_eq!(msg.method(), Some(Method::Notify));
//!
//! // headers are typed on demand; list headers yield every element of every line
//! let vias: Vec<Via> = msg.typed_all::<Via>().collect::<Result<_, _>>()?;
//! assert_eq!(vias[1].branch(), Some("z9hG4bK2"));
//! assert_eq!(msg.require::<CSeq>()?.seq, 7);
//! assert_eq!(msg.require::<FromHeader>()?.tag(), Some("ffd2"));
//! assert_eq!(msg.require::<EventHeader>()?.package(), "presence");
//! assert_eq!(msg.require::<SubscriptionState>()?.expires(), Some(599));
//!
//! // writing is lossless for what was parsed
//! assert_eq!(Message::parse(&msg.to_vec(), &mut [Header::EMPTY; 32])?, msg);
//! # Ok::<(), simple_sip::Error>(())
//! ```
//!
//! ## Streams
//!
//! On TCP or TLS, frame with [`StreamDecoder`]: it says how long the next message is (or that
//! more bytes are needed), keeps no buffer of its own, and costs linear time however the bytes
//! are split. Then parse the frame with [`Message::parse`].
//!
//! ```
//! use simple_sip::{Frame, Header, Message, Progress, StreamDecoder};
//!
//! let mut decoder = StreamDecoder::default();
//! let mut rx: Vec<u8> = Vec::new();
//! let wire = b"MESSAGE sip:bob@example.com SIP/2.0\r\nContent-Length: 2\r\n\r\nhi\r\n\r\n";
//! let mut frames = 0;
//! for piece in wire.chunks(7) {
//!     rx.extend_from_slice(piece); // what your socket read
//!     while let Progress::Complete(frame) = decoder.decode(&rx)? {
//!         let used = match frame {
//!             Frame::Message { len } => {
//!                 let mut headers = [Header::EMPTY; 16];
//!                 let msg = Message::parse(&rx[..len], &mut headers)?;
//!                 assert_eq!(msg.body(), b"hi");
//!                 len
//!             }
//!             Frame::KeepAlive { len, .. } => len, // answer a ping with CRLF
//!         };
//!         rx.drain(..used);
//!         frames += 1;
//!     }
//! }
//! assert_eq!(frames, 2);
//! # Ok::<(), simple_sip::Error>(())
//! ```
//!
//! ## Errors and panics
//!
//! Every parser returns [`Error`]: a [`ErrorKind`], the byte offset where the offending
//! construct starts, and [`Error::status_code`] for the response a server should send.
//! Limits ([`ParseConfig`]) bound the head, the body and the header count. No input makes the
//! crate panic; a panic is a bug.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;

pub mod dialog;
pub mod digest;
pub mod endpoint;
mod error;
pub mod headers;
pub mod ids;
mod message;
pub mod multipart;
mod params;
mod scan;
pub mod transaction;
pub mod uas;
mod uri;

pub use error::{Category, Error, ErrorKind};
pub use message::{
    Frame, Header, HeaderName, KeepAlive, Message, MessageWriter, Method, OwnedMessage,
    ParseConfig, Progress, RequestLine, StartLine, StatusLine, StreamDecoder, TypedIter,
};
pub use params::{Param, ParamIter, Params};
pub use scan::{unquote, write_quoted};
pub use uri::{AbsoluteUri, Host, Scheme, SipUri, TelUri, Uri, unescape};
