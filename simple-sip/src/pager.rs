//! Pager-mode instant messages (RFC 3428): the [`Pager`] sends MESSAGE requests, each with
//! exactly one outcome ([`PagerEvent::Delivered`] or [`PagerEvent::Failed`]), and receives
//! them, answering 200 itself (415 with Accept for a body type it does not take, 413 for a
//! body over its limit).
//!
//! A message larger than the endpoint's stream threshold (1300 bytes) headed for UDP goes
//! over TCP (RFC 3428 §6, RFC 3261 §18.1.1): the [`Endpoint`] does that.
//!
//! ```
//! use std::time::Instant;
//! use simple_sip::endpoint::{Endpoint, EndpointConfig, Transport};
//! use simple_sip::pager::{Outgoing, Pager, PagerConfig, PagerEvent};
//!
//! let now = Instant::now();
//! let (a, b) = ("127.0.0.1:5060".parse().unwrap(), "127.0.0.1:5070".parse().unwrap());
//! let mut alice = Endpoint::new(EndpointConfig::new("127.0.0.1:5060"), 1);
//! let mut bob = Endpoint::new(EndpointConfig::new("127.0.0.1:5070"), 2);
//! let (mut alice_pager, mut bob_pager) = (Pager::new(PagerConfig::default()), Pager::new(PagerConfig::default()));
//!
//! let id = alice_pager.send(&mut alice, &Outgoing::new("sip:bob@127.0.0.1:5070",
//!     "<sip:alice@127.0.0.1>", "text/plain", b"hello", b, Transport::Udp), now);
//! while let Some(t) = alice.poll_transmit() { bob.handle_datagram(a, t.transport, &t.contents, now) }
//! while let Some(ev) = bob.poll_event() { let _ = bob_pager.handle(&mut bob, ev, now); }
//! let Some(PagerEvent::Received { body, .. }) = bob_pager.poll_event() else { panic!() };
//! assert_eq!(&body[..], b"hello");
//! while let Some(t) = bob.poll_transmit() { alice.handle_datagram(b, t.transport, &t.contents, now) }
//! while let Some(ev) = alice.poll_event() { let _ = alice_pager.handle(&mut alice, ev, now); }
//! assert_eq!(alice_pager.poll_event(), Some(PagerEvent::Delivered { id, code: 200 }));
//! ```

use core::net::SocketAddr;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;

use crate::digest::DigestClient;
use crate::endpoint::{ClientTx, Endpoint, Event, Reply, Transport};
use crate::headers::FromHeader;
use crate::message::{HeaderName, Method, OwnedMessage};
use crate::roles::Template;

/// A message this side sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(u64);

/// A message to send.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The recipient (Request-URI and To).
    pub uri: &'a str,
    /// Our From (name-addr, no tag).
    pub from: &'a str,
    /// The body type.
    pub content_type: &'a str,
    /// The body.
    pub body: &'a [u8],
    /// Where it goes (the recipient, or the outbound proxy).
    pub destination: SocketAddr,
    /// Over what (a large message moves to TCP by itself).
    pub transport: Transport,
    /// Further headers.
    pub headers: &'a [(&'static str, &'a [u8])],
}

impl<'a> Outgoing<'a> {
    /// A message of `content_type` to `uri`.
    pub const fn new(
        uri: &'a str,
        from: &'a str,
        content_type: &'a str,
        body: &'a [u8],
        destination: SocketAddr,
        transport: Transport,
    ) -> Self {
        Self { uri, from, content_type, body, destination, transport, headers: &[] }
    }
}

/// How a [`Pager`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PagerConfig {
    /// `(username, password)` for 401/407 challenges (at most 3 in a row).
    pub credentials: Option<(String, String)>,
    /// Body types received (`*/*` for any); others get 415 with Accept.
    pub accept: Vec<String>,
    /// Largest body received (413 above).
    pub max_body: usize,
}

impl Default for PagerConfig {
    fn default() -> Self {
        Self {
            credentials: None,
            accept: [
                "text/plain",
                "message/cpim",
                "application/im-iscomposing+xml",
                "message/imdn+xml",
                "text/html",
            ]
            .map(str::to_owned)
            .to_vec(),
            max_body: 64 * 1024,
        }
    }
}

/// What a [`Pager`] tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PagerEvent {
    /// A 2xx: 200 means delivered, 202 accepted for delivery later (RFC 3428 §7).
    Delivered {
        /// The message.
        id: MessageId,
        /// The status.
        code: u16,
    },
    /// Not delivered.
    Failed {
        /// The message.
        id: MessageId,
        /// The final status, `None` for a timeout or a transport failure.
        code: Option<u16>,
    },
    /// A message arrived (and was answered 200).
    Received {
        /// The sender (From URI).
        from: String,
        /// The body type.
        content_type: Option<String>,
        /// The body.
        body: Bytes,
        /// The request, for everything else.
        request: OwnedMessage,
    },
}

#[derive(Debug)]
struct Pending {
    template: Template,
    destination: SocketAddr,
    transport: Transport,
}

/// Sends and receives pager-mode messages. See the [module docs](self).
#[derive(Debug)]
pub struct Pager {
    config: PagerConfig,
    auth: Option<DigestClient>,
    next: u64,
    pending: HashMap<ClientTx, (u64, Pending)>,
    events: VecDeque<PagerEvent>,
}

impl Pager {
    /// A pager.
    pub fn new(config: PagerConfig) -> Self {
        let auth = config.credentials.as_ref().map(|(u, p)| DigestClient::new(u, p));
        Self { config, auth, next: 0, pending: HashMap::new(), events: VecDeque::new() }
    }

    /// Messages sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Sends a MESSAGE; its one outcome comes as an event.
    pub fn send(&mut self, ep: &mut Endpoint, m: &Outgoing<'_>, now: Instant) -> MessageId {
        let mut template = Template::new(ep, Method::Message, m.uri, m.from);
        template.body = Some((m.content_type.to_owned(), Bytes::copy_from_slice(m.body)));
        for (n, v) in m.headers {
            template.set(n, *v);
        }
        let id = self.next;
        self.next += 1;
        self.transmit(
            ep,
            id,
            Pending { template, destination: m.destination, transport: m.transport },
            now,
        );
        MessageId(id)
    }

    fn transmit(&mut self, ep: &mut Endpoint, id: u64, p: Pending, now: Instant) {
        let request = p.template.build(ep, p.transport);
        match ep.send_request(request, p.destination, p.transport, now) {
            Ok(tx) => {
                self.pending.insert(tx, (id, p));
            }
            Err(_) => self.events.push_back(PagerEvent::Failed { id: MessageId(id), code: None }),
        }
    }

    /// Takes an endpoint event: MESSAGE requests and the responses to ours are handled,
    /// anything else is handed back.
    #[allow(
        clippy::wildcard_enum_match_arm,
        reason = "a role hands on every event that is not its own, whatever it is"
    )]
    pub fn handle(&mut self, ep: &mut Endpoint, event: Event, now: Instant) -> Option<Event> {
        match event {
            Event::Request { tx, request, source, transport }
                if request.method() == Some(Method::Message) =>
            {
                let _ = (source, transport);
                let content_type = request.header(HeaderName::ContentType).and_then(|h| {
                    core::str::from_utf8(h.value()).ok().map(|v| v.trim().to_owned())
                });
                let bare = content_type
                    .as_deref()
                    .map(|c| c.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
                let body = request.body();
                let takes = |t: &str| {
                    self.config.accept.iter().any(|a| {
                        a == "*/*"
                            || a.eq_ignore_ascii_case(t)
                            || a.strip_suffix("/*").is_some_and(|p| t.split('/').next() == Some(p))
                    })
                };
                if body.len() > self.config.max_body {
                    let _ = ep.respond(tx, &Reply::new(413, "Request Entity Too Large"), now);
                } else if !body.is_empty() && !bare.as_deref().is_some_and(takes) {
                    let accept = self.config.accept.join(", ");
                    let headers = [("Accept", accept.as_bytes())];
                    let _ = ep.respond(
                        tx,
                        &Reply::new(415, "Unsupported Media Type").headers(&headers),
                        now,
                    );
                } else {
                    let _ = ep.respond(tx, &Reply::new(200, "OK"), now);
                    let from = request.view(|m| {
                        m.require::<FromHeader<'_>>()
                            .map(|f| f.0.uri.to_string())
                            .unwrap_or_default()
                    });
                    self.events.push_back(PagerEvent::Received {
                        from,
                        content_type,
                        body,
                        request,
                    });
                }
                None
            }
            Event::Response { tx, response } => {
                let code = response.status_code()?;
                if code < 200 {
                    return if self.pending.contains_key(&tx) {
                        None
                    } else {
                        Some(Event::Response { tx, response })
                    };
                }
                let Some((id, mut p)) = self.pending.remove(&tx) else {
                    return Some(Event::Response { tx, response });
                };
                match code {
                    200..=299 => {
                        if let Some(a) = self.auth.as_mut() {
                            a.succeeded();
                        }
                        self.events.push_back(PagerEvent::Delivered { id: MessageId(id), code });
                    }
                    401 | 407 if p.template.authorize(ep, self.auth.as_mut(), &response) => {
                        p.template.cseq = p.template.cseq.wrapping_add(1);
                        self.transmit(ep, id, p, now);
                    }
                    _ => self
                        .events
                        .push_back(PagerEvent::Failed { id: MessageId(id), code: Some(code) }),
                }
                None
            }
            Event::Timeout { tx } | Event::TransportError { tx } => {
                match self.pending.remove(&tx) {
                    Some((id, _)) => {
                        self.events.push_back(PagerEvent::Failed { id: MessageId(id), code: None });
                        None
                    }
                    None => Some(event),
                }
            }
            other => Some(other),
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<PagerEvent> {
        self.events.pop_front()
    }
}
