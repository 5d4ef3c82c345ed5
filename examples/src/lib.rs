//! The reference server and command-line clients of simple-rs: the Sans-IO crates driven
//! by a real I/O loop (tokio, UDP/TCP/TLS sockets, SQLite), not a second implementation.
//!
//! - [`server::Server`]: registrar with digest authentication and a location service,
//!   presence agent (`presence`, `presence.winfo`, composition, partial notification,
//!   watcher approval), a forking proxy for requests to registered users, per-source limits,
//!   and the [`store::Store`] that keeps all of it across restarts.
//! - [`net::run`]: the tokio loop around it (`simple-server`).
//! - [`pg::PgStore`]: the store of several nodes on one PostgreSQL (shared registrations,
//!   publications and documents; subscriptions owned per node, taken over on a lapsed lease).
//! - [`cli`]: `simple-cli` (register, publish, watch, message, listen, watchers).
//!
//! The server's logic runs without sockets, so it is driven here by hand:
//!
//! ```
//! use std::collections::HashMap;
//! use std::time::Instant;
//! use simple_server::config::Config;
//! use simple_server::server::Server;
//! use simple_server::store::SqliteStore;
//! use simple_sip::endpoint::Transport;
//!
//! let mut config = Config::parse(include_str!("../demo.toml")).unwrap();
//! config.store.path = ":memory:".into();
//! let store = SqliteStore::open(std::path::Path::new(":memory:")).unwrap();
//! let sent_by = HashMap::from([(Transport::Udp, "127.0.0.1:5060".to_owned())]);
//! let mut server = Server::new(config, Box::new(store), 7, sent_by, Instant::now()).unwrap();
//!
//! // a REGISTER without credentials is challenged
//! let register = "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1\r\n\
//!     From: <sip:alice@127.0.0.1>;tag=1\r\nTo: <sip:alice@127.0.0.1>\r\n\
//!     Call-ID: r1\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@127.0.0.1:5999>\r\n\
//!     Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
//! let from = "127.0.0.1:5999".parse().unwrap();
//! server.handle_datagram(from, Transport::Udp, register.as_bytes(), Instant::now());
//! let answer = server.poll_transmit().unwrap();
//! assert!(answer.contents.starts_with(b"SIP/2.0 401"));
//! assert_eq!(answer.destination, from);
//! ```

#![allow(
    clippy::wildcard_enum_match_arm,
    reason = "an application acts on the events it cares about and logs or ignores the rest"
)]

pub mod cli;
pub mod config;
pub mod msrp_relay;
pub mod net;
pub mod pg;
pub mod proxy;
pub mod server;
pub mod store;
