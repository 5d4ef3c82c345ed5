//! # simple-msrp
//!
//! Sans-IO MSRP (RFC 4975) for instant messaging and file transfer sessions, with relays
//! (RFC 4976), the alternative connection model (RFC 6135), CEMA (RFC 6714) and file transfer
//! (RFC 5547). This crate does no I/O: no sockets, threads or clock. It parses what you read,
//! writes what you send, and runs the state machines on the `now` you pass in.
//!
//! - [`Decoder`]: streaming framing; bodies come out in pieces borrowed from your buffer
//!   (a large chunk is never held whole), input may be split at any byte, the end-line is
//!   found with a SIMD substring search.
//! - [`Message`]: an owned request or response, parsed whole or written into a `BufMut`.
//! - [`MsrpUri`], [`ByteRange`], [`ReportStatus`], [`SuccessReport`], [`FailureReport`]: typed
//!   header values; [`MsrpMedia`]: the SDP attributes (`path`, `accept-types`,
//!   `accept-wrapped-types`, `max-size`).
//! - [`Session`]: one endpoint of a session: chunking with interruption, reassembly in any
//!   order within memory limits, responses, success and failure REPORTs, the 30 s
//!   transaction timer; every outcome is an [`Event`]. Large bodies stream in from a
//!   [`Source`] ([`Session::send_stream`]) and out as [`Event::Data`]
//!   ([`SessionConfig::streaming`]).
//! - [`RelayClient`]: AUTH to one or more relays (digest via simple-sip), the Use-Path, and the
//!   To-Path and `a=path` that follow from it.
//! - [`Relay`]: the relay role over many connections: authentication, Use-Path URIs,
//!   forwarding chunk by chunk under back-pressure, REPORTs for failures.
//! - [`FileTransfer`], [`FileSelector`], [`FileRange`], [`FileHasher`]: RFC 5547's attributes,
//!   push and pull answers, resume, the SHA-1.
//! - [`Setup`], [`answer_setup`], [`cema_answer`], [`connect_target`]: who connects, and where;
//!   [`SharedConnection`]: several sessions on one connection (RFC 4975 §5.4 reuse).
//!
//! ## A session, driven by hand
//!
//! ```
//! use std::time::Instant;
//! use simple_msrp::{Event, MsrpUri, SendOptions, Session, SessionConfig, SuccessReport};
//!
//! let alice_uri = MsrpUri::parse("msrp://alicepc.example.com:7777/iau39soe2843z;tcp")?;
//! let bob_uri = MsrpUri::parse("msrp://bob.example.com:8888/9di4eae923wzd;tcp")?;
//! // each side learns the other's URI from the SDP a=path attribute
//! // each session gets its own seed for its identifiers, from a real random source
//! let (alice_seed, bob_seed) = (0x1d5c_2f0a_77e3_9b41, 0x8a0b_6e21_c4f7_5d93);
//! let mut alice =
//!     Session::new(SessionConfig::default(), alice_seed, alice_uri.clone(), vec![bob_uri.clone()]);
//! let mut bob = Session::new(SessionConfig::default(), bob_seed, bob_uri, vec![alice_uri]);
//!
//! let opts = SendOptions { success_report: SuccessReport::Yes, ..SendOptions::default() };
//! let id = alice.send("text/plain", b"Hi, I'm Alice!".to_vec(), opts);
//!
//! // your loop: move bytes between the sockets and the sessions until both are quiet
//! let now = Instant::now();
//! let (mut to_bob, mut to_alice) = (Vec::new(), Vec::new()); // your send buffers, reused
//! loop {
//!     let a = alice.poll_transmit(now, &mut to_bob);
//!     let b = bob.poll_transmit(now, &mut to_alice);
//!     if a.is_none() && b.is_none() { break }
//!     bob.handle_input(&to_bob)?;   // (written to and read from sockets in real life)
//!     alice.handle_input(&to_alice)?;
//!     to_bob.clear();
//!     to_alice.clear();
//! }
//! assert!(matches!(bob.poll_event(), Some(Event::Received { body, .. }) if body == b"Hi, I'm Alice!"));
//! assert!(matches!(alice.poll_event(), Some(Event::Sent { message_id }) if message_id == id));
//! assert!(matches!(alice.poll_event(), Some(Event::Delivered { .. })));
//! // and call handle_timeout at poll_timeout(), for chunks whose response never comes
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Through a relay
//!
//! ```
//! use std::time::Instant;
//! use simple_msrp::{AuthConfig, AuthEvent, MsrpUri, Relay, RelayClient, RelayConfig};
//! use simple_sip::digest::Secret;
//!
//! let now = Instant::now();
//! let relay_uri = MsrpUri::parse("msrps://relay.example.com:2855;tcp")?;
//! // 32 secret random bytes of yours: Use-Path URIs must not be guessable
//! let mut relay = Relay::new(RelayConfig::new(relay_uri.clone()), [7; 32], |user| {
//!     (user == "bob").then(|| Secret::Password("bob-secret".into()))
//! });
//! // bob's connection to the relay, and his AUTH client on it
//! let conn = relay.accept(now);
//! let bob = MsrpUri::parse("msrps://bob.example.com:7000/b0b5e55;tcp")?;
//! let config = AuthConfig::new(vec![relay_uri], "bob", "bob-secret");
//! let mut client = RelayClient::new(config, [9; 32], bob);
//! client.refresh(now);
//! let use_path = loop {
//!     let (mut up, mut down) = (Vec::new(), Vec::new());
//!     while client.poll_transmit(&mut up).is_some() {}
//!     relay.handle_input(conn, &up, now);          // (over the socket in real life)
//!     while relay.poll_transmit(now, &mut down).is_some() {}
//!     client.handle_input(&down, now)?;            // a 401 with a challenge, then a 200
//!     if let Some(AuthEvent::Authorized { use_path, .. }) = client.poll_event() {
//!         break use_path;
//!     }
//! };
//! // bob puts the Use-Path reversed, then himself, in his SDP's a=path
//! assert_eq!(client.sdp_path()[0], use_path[0]);
//! // and hands the connection to a Session whose To-Path is client.to_path(&peer_path)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Framing only
//!
//! ```
//! use simple_msrp::{Decoder, Flag, Frame};
//!
//! let wire = b"MSRP a786hjs2 SEND\r\n\
//! To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
//! From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
//! Message-ID: 87652491\r\n\
//! Byte-Range: 1-23/23\r\n\
//! Content-Type: text/plain\r\n\r\n\
//! Hey Bob, are you there?\r\n\
//! -------a786hjs2$\r\n";
//! let mut decoder = Decoder::default();
//! let mut buf = Vec::new();
//! let mut body = Vec::new();
//! for read in wire.chunks(10) {          // what the socket gave you
//!     buf.extend_from_slice(read);
//!     while let Some((frame, used)) = decoder.decode(&buf)? {
//!         match frame {
//!             Frame::Head(head) => assert_eq!(head.message_id, Some("87652491")),
//!             Frame::Data(piece) => body.extend_from_slice(piece), // or straight to disk
//!             Frame::End(flag) => assert_eq!(flag, Flag::End),
//!         }
//!         buf.drain(..used);
//!     }
//! }
//! assert_eq!(body, b"Hey Bob, are you there?");
//! # Ok::<(), simple_msrp::Error>(())
//! ```
//!
//! ## Panics and limits
//!
//! No input makes it panic. The decoder bounds the head ([`ParseConfig`]); the session bounds
//! each incoming message and all reassembly together ([`SessionConfig`]), answering 413 past
//! them. Transaction and message identifiers carry 64 bits from the seed you give.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

mod auth;
mod connection;
mod connection_mux;
mod error;
mod file;
mod frame;
mod headers;
mod ids;
mod relay;
mod sdp;
mod session;
mod uri;

pub use auth::{AuthConfig, AuthEvent, RelayClient};
pub use connection::{
    CemaAnswer, CemaOffererCheck, ConnectionAttr, Role, Setup, add_cema, address_matches,
    answer_setup, cema_answer, cema_offerer_check, connect_target, connection_address, has_cema,
    offer_setup, offerer_role,
};
pub use connection_mux::SharedConnection;
pub use error::{Category, Error, ErrorKind};
pub use file::{
    FileDate, FileDirection, FileHash, FileHasher, FileRange, FileSelector, FileTransfer,
};
pub use frame::{
    Decoder, Flag, Frame, Head, Message, Method, ParseConfig, StartLine, end_line_in_body,
};
pub use headers::{ByteRange, FailureReport, ReportStatus, SuccessReport, is_ident};
pub use relay::{CloseReason, ConnectionId, Relay, RelayConfig, RelayEvent, RelayTimer};
pub use sdp::MsrpMedia;
pub use session::{Event, FailureReason, SendOptions, Session, SessionConfig, Source, Timer};
pub use uri::MsrpUri;
