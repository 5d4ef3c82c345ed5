//! # simple-sip
//!
//! Sans-IO SIP for the SIMPLE suite. This crate does no I/O: it parses bytes you received and
//! writes bytes for you to send. No sockets, threads, clocks or randomness live here.
//!
//! It holds the core of RFC 3261: messages and their framing on datagram and stream transports,
//! URIs, typed headers for everything SIMPLE uses, multipart bodies, digest authentication
//! ([`digest`]), the four transactions ([`transaction`]), the [`endpoint::Endpoint`] that owns
//! them and answers what it must, and dialogs ([`dialog`]). On the endpoint run the roles of
//! SIMPLE: subscriptions ([`event`]: `Subscriber`, `Notifier`, RFC 6665 and 6446), publication
//! ([`publish`]: `Publisher`, `Compositor`, RFC 3903 and 5264), the presence agent
//! ([`presence`], RFC 3856 and 5263), watcher information ([`winfo`], RFC 3857) and pager-mode
//! messages ([`pager`], RFC 3428).
//!
//! ## Presence: a publisher, an agent and a watcher
//!
//! ```
//! use std::time::Instant;
//! use simple_sip::endpoint::{Endpoint, EndpointConfig, Transport};
//! use simple_sip::event::{Subscribe, Subscriber, SubscriberConfig, SubscriberEvent};
//! use simple_sip::presence::{PresenceAgent, PresenceConfig};
//! use simple_sip::publish::{Publish, Publisher, PublisherConfig};
//!
//! let now = Instant::now();
//! let (ua, server) = ("127.0.0.1:5060".parse().unwrap(), "127.0.0.1:5070".parse().unwrap());
//! let mut ua_ep = Endpoint::new(EndpointConfig::new("127.0.0.1:5060"), 1);
//! let mut server_ep = Endpoint::new(EndpointConfig::new("127.0.0.1:5070"), 2);
//! let mut agent = PresenceAgent::new(PresenceConfig::new("<sip:127.0.0.1:5070>"), 3);
//! let (mut publisher, mut watcher) =
//!     (Publisher::new(PublisherConfig::default()), Subscriber::new(SubscriberConfig::default()));
//!
//! let doc = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com">
//!   <tuple id="t1"><status><basic>open</basic></status></tuple></presence>"#;
//! publisher.publish(&mut ua_ep, &Publish::new("presence", "sip:alice@example.com",
//!     "<sip:alice@example.com>", "application/pidf+xml", doc, server, Transport::Udp), now);
//! watcher.subscribe(&mut ua_ep, &Subscribe::new("presence", "sip:alice@example.com",
//!     "<sip:bob@example.com>", "<sip:bob@127.0.0.1:5060>", server, Transport::Udp), now);
//! // the caller's loop: bytes across, endpoint events to the roles (a role hands back what
//! // is not its own)
//! for _ in 0..4 {
//!     while let Some(t) = ua_ep.poll_transmit() { server_ep.handle_datagram(ua, t.transport, &t.contents, now) }
//!     while let Some(e) = server_ep.poll_event() { let _ = agent.handle(&mut server_ep, e, now); }
//!     while let Some(t) = server_ep.poll_transmit() { ua_ep.handle_datagram(server, t.transport, &t.contents, now) }
//!     while let Some(e) = ua_ep.poll_event() {
//!         let e = publisher.handle(&mut ua_ep, e, now);
//!         let _ = e.and_then(|e| watcher.handle(&mut ua_ep, e, now));
//!     }
//! }
//! let open = std::iter::from_fn(|| watcher.poll_event()).any(|e| matches!(e,
//!     SubscriberEvent::Notify { body, .. } if body.windows(4).any(|w| w == b"open")));
//! assert!(open, "the watcher got alice's composed state");
//! ```
//!
//! ## An endpoint answering a request
//!
//! ```
//! use std::time::Instant;
//! use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, Reply, Transport};
//!
//! let mut server = Endpoint::new(EndpointConfig::new("192.0.2.2:5060"), 42); // seeded ids
//! let peer = "192.0.2.1:5060".parse().unwrap();
//! let now = Instant::now();
//! let datagram = b"MESSAGE sip:bob@192.0.2.2 SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK8fa;rport\r\nMax-Forwards: 70\r\n\
//! From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: 7a\r\n\
//! CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
//! server.handle_datagram(peer, Transport::Udp, datagram, now);
//! let Some(Event::Request { tx, request, .. }) = server.poll_event() else { unreachable!() };
//! assert_eq!(&request.body()[..], b"hi");
//! server.respond(tx, &Reply::new(200, "OK"), now).unwrap();
//! let out = server.poll_transmit().unwrap(); // to the source port: the Via asked for rport
//! assert!(out.contents.starts_with(b"SIP/2.0 200 OK\r\n"));
//! // a retransmission of the request is answered again by the transaction, not handed up
//! server.handle_datagram(peer, Transport::Udp, datagram, now);
//! assert!(server.poll_event().is_none() && server.poll_transmit().is_some());
//! // the next deadline: Timer J, after which the transaction is gone
//! let (at, _timer) = server.poll_timeout().unwrap();
//! server.handle_timeout(at);
//! assert_eq!(server.transactions(), 0);
//! ```
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
pub mod event;
pub mod headers;
pub mod ids;
mod message;
pub mod multipart;
pub mod pager;
mod params;
pub mod presence;
pub mod publish;
mod roles;
mod scan;
pub mod transaction;
pub mod uas;
mod uri;
pub mod winfo;

pub use error::{Category, Error, ErrorKind};
pub use message::{
    Frame, Header, HeaderName, KeepAlive, Message, MessageWriter, Method, OwnedMessage,
    ParseConfig, Progress, RequestLine, StartLine, StatusLine, StreamDecoder, TypedIter,
};
pub use params::{Param, ParamIter, Params};
pub use scan::{unquote, write_quoted};
pub use uri::{AbsoluteUri, Host, Scheme, SipUri, TelUri, Uri, unescape};
