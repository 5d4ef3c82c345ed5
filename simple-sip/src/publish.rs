//! Event state publication (RFC 3903) and partial publication (RFC 5264): the [`Publisher`]
//! (event publication agent) and the [`Compositor`] (event state compositor).
//!
//! Both sit on an [`Endpoint`] like the roles of [`crate::event`]: pass them endpoint events
//! (`handle`), then drain `poll_event`, and drive `poll_timeout` / `handle_timeout`.
//!
//! ```
//! use std::time::Instant;
//! use simple_sip::endpoint::{Endpoint, EndpointConfig, Transport};
//! use simple_sip::publish::{Compositor, CompositorConfig, Publish, Publisher, PublisherConfig, PublisherEvent};
//!
//! let now = Instant::now();
//! let (a, b) = ("127.0.0.1:5060".parse().unwrap(), "127.0.0.1:5070".parse().unwrap());
//! let mut pua = Endpoint::new(EndpointConfig::new("127.0.0.1:5060"), 1);
//! let mut server = Endpoint::new(EndpointConfig::new("127.0.0.1:5070"), 2);
//! let mut publisher = Publisher::new(PublisherConfig::default());
//! let mut esc = Compositor::new(CompositorConfig::new("presence", &["application/pidf+xml"]), 7);
//!
//! let doc = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:alice@example.com"/>"#;
//! let p = publisher.publish(&mut pua, &Publish::new("presence", "sip:alice@example.com",
//!     "<sip:alice@example.com>", "application/pidf+xml", doc, b, Transport::Udp), now);
//! while let Some(t) = pua.poll_transmit() { server.handle_datagram(a, t.transport, &t.contents, now) }
//! while let Some(ev) = server.poll_event() { let _ = esc.handle(&mut server, ev, now); }
//! while let Some(t) = server.poll_transmit() { pua.handle_datagram(b, t.transport, &t.contents, now) }
//! while let Some(ev) = pua.poll_event() { let _ = publisher.handle(&mut pua, ev, now); }
//! let Some(PublisherEvent::Published { publication, etag, expires }) = publisher.poll_event() else { panic!() };
//! assert_eq!((publication, expires), (p, 3600));
//! assert_eq!(esc.publications("sip:alice@example.com").next().map(|x| x.etag), Some(etag.as_str()));
//! ```

use core::net::SocketAddr;
use core::time::Duration;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;

use crate::digest::DigestClient;
use crate::endpoint::{ClientTx, Endpoint, Event, Reply};
use crate::headers::{Expires, MinExpires, SipETag, SipIfMatch};
use crate::ids::IdGenerator;
use crate::message::{HeaderName, Method, OwnedMessage};
use crate::roles::{Deadlines, Routed, Template, request_uri, resource_key, typed};

pub use crate::endpoint::Transport;

/// The MIME type of partial PIDF (RFC 5262), which a partial publication carries.
pub const PIDF_DIFF: &str = "application/pidf-diff+xml";

// ---------------------------------------------------------------------------------------
// Publisher
// ---------------------------------------------------------------------------------------

/// A publication this side made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicationId(u64);

/// A publication to make (RFC 3903 §4.2).
#[derive(Debug, Clone, Copy)]
pub struct Publish<'a> {
    /// The event package (`presence`).
    pub event: &'a str,
    /// The presentity (Request-URI and To).
    pub uri: &'a str,
    /// Our From (name-addr, no tag).
    pub from: &'a str,
    /// The body type.
    pub content_type: &'a str,
    /// The full state.
    pub body: &'a [u8],
    /// The expiry asked for.
    pub expires: u32,
    /// Where PUBLISH goes (the compositor or the outbound proxy).
    pub destination: SocketAddr,
    /// Over what.
    pub transport: Transport,
}

impl<'a> Publish<'a> {
    /// A publication of `body` for `uri`, expiry 3600 s.
    pub const fn new(
        event: &'a str,
        uri: &'a str,
        from: &'a str,
        content_type: &'a str,
        body: &'a [u8],
        destination: SocketAddr,
        transport: Transport,
    ) -> Self {
        Self { event, uri, from, content_type, body, expires: 3600, destination, transport }
    }
}

/// How a [`Publisher`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PublisherConfig {
    /// `(username, password)` for 401/407 challenges (at most 3 in a row).
    pub credentials: Option<(String, String)>,
    /// How many 412s (or failed partial publications) in a row are answered by publishing
    /// the full state again.
    pub max_recoveries: u32,
}

impl Default for PublisherConfig {
    fn default() -> Self {
        Self { credentials: None, max_recoveries: 3 }
    }
}

/// What a [`Publisher`] tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublisherEvent {
    /// A PUBLISH was accepted: the entity tag and expiry now in force.
    Published {
        /// The publication.
        publication: PublicationId,
        /// Its entity tag.
        etag: String,
        /// Seconds granted.
        expires: u32,
    },
    /// The publication failed and is gone (at the compositor too, or it will expire there).
    Failed {
        /// The publication.
        publication: PublicationId,
        /// The status, `None` for a timeout or a transport failure.
        code: Option<u16>,
    },
    /// The removal was accepted (or the compositor no longer had it).
    Removed {
        /// The publication.
        publication: PublicationId,
    },
}

/// The timer of a [`Publisher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublisherTimer {
    /// A publication is due for its refresh.
    Refresh,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// Full state, no entity tag.
    Initial,
    /// No body, with the entity tag.
    Refresh,
    /// New full state with the entity tag.
    Modify,
    /// A partial state (pidf-diff) with the entity tag.
    Partial(Bytes),
    /// Expires: 0 with the entity tag.
    Remove,
}

#[derive(Debug)]
struct Publication {
    template: Template,
    destination: SocketAddr,
    transport: Transport,
    etag: Option<String>,
    content_type: String,
    body: Bytes,
    expires: u32,
    in_flight: Option<(ClientTx, Op)>,
    queued: Option<Op>,
    refresh_at: Option<Instant>,
    recoveries: u32,
}

/// The event publication agent (RFC 3903 §4): at most one PUBLISH in flight per
/// publication; later changes wait and coalesce into one.
#[derive(Debug)]
pub struct Publisher {
    config: PublisherConfig,
    auth: Option<DigestClient>,
    next: u64,
    pubs: HashMap<u64, Publication>,
    by_tx: HashMap<ClientTx, u64>,
    deadlines: Deadlines<u64>,
    events: VecDeque<PublisherEvent>,
}

impl Publisher {
    /// A publisher.
    pub fn new(config: PublisherConfig) -> Self {
        let auth = config.credentials.as_ref().map(|(u, p)| DigestClient::new(u, p));
        Self {
            config,
            auth,
            next: 0,
            pubs: HashMap::new(),
            by_tx: HashMap::new(),
            deadlines: Deadlines::new(),
            events: VecDeque::new(),
        }
    }

    /// The entity tag of a publication, once one was granted.
    pub fn etag(&self, publication: PublicationId) -> Option<&str> {
        self.pubs.get(&publication.0).and_then(|p| p.etag.as_deref())
    }

    /// Publications in progress.
    pub fn len(&self) -> usize {
        self.pubs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pubs.is_empty()
    }

    /// Publishes initial state (§4.2). The outcome comes as events; the publisher refreshes
    /// it until [`Publisher::remove`].
    pub fn publish(&mut self, ep: &mut Endpoint, p: &Publish<'_>, now: Instant) -> PublicationId {
        let mut template = Template::new(ep, Method::Publish, p.uri, p.from);
        template.set("Event", p.event);
        let id = self.next;
        self.next += 1;
        template.body = None;
        self.pubs.insert(
            id,
            Publication {
                template,
                destination: p.destination,
                transport: p.transport,
                etag: None,
                content_type: p.content_type.to_owned(),
                body: Bytes::copy_from_slice(p.body),
                expires: p.expires,
                in_flight: None,
                queued: None,
                refresh_at: None,
                recoveries: 0,
            },
        );
        self.start(ep, id, Op::Initial, now);
        PublicationId(id)
    }

    /// New full state for a publication (§4.4). False for an unknown one.
    pub fn modify(
        &mut self,
        ep: &mut Endpoint,
        publication: PublicationId,
        content_type: &str,
        body: &[u8],
        now: Instant,
    ) -> bool {
        let Some(p) = self.pubs.get_mut(&publication.0) else { return false };
        content_type.clone_into(&mut p.content_type);
        p.body = Bytes::copy_from_slice(body);
        self.start(ep, publication.0, Op::Modify, now);
        true
    }

    /// New state sent as a partial publication (RFC 5264): `diff` (an
    /// `application/pidf-diff+xml` `<pidf-diff>` against the last state published) goes
    /// out, and `full` is kept: should the compositor refuse the diff (400, 412, 500), the
    /// full state is published instead. False for an unknown publication.
    pub fn modify_partial(
        &mut self,
        ep: &mut Endpoint,
        publication: PublicationId,
        full: &[u8],
        diff: &[u8],
        now: Instant,
    ) -> bool {
        let Some(p) = self.pubs.get_mut(&publication.0) else { return false };
        p.body = Bytes::copy_from_slice(full);
        self.start(ep, publication.0, Op::Partial(Bytes::copy_from_slice(diff)), now);
        true
    }

    /// Removes a publication (§4.5, Expires: 0). False for an unknown one.
    pub fn remove(&mut self, ep: &mut Endpoint, publication: PublicationId, now: Instant) -> bool {
        if !self.pubs.contains_key(&publication.0) {
            return false;
        }
        self.start(ep, publication.0, Op::Remove, now);
        true
    }

    /// Sends `op` now, or after the PUBLISH in flight (a later op replaces a queued one;
    /// removal wins).
    fn start(&mut self, ep: &mut Endpoint, id: u64, op: Op, now: Instant) {
        let p = self.pubs.get_mut(&id).expect("the caller checked");
        if p.in_flight.is_some() {
            if p.queued != Some(Op::Remove) {
                // a partial diff against a state not yet acknowledged cannot be queued
                // behind another change: send the full state instead
                let op = match (&p.queued, op) {
                    (Some(Op::Partial(_) | Op::Modify), Op::Partial(_)) => Op::Modify,
                    (_, op) => op,
                };
                p.queued = Some(op);
            }
            return;
        }
        self.send(ep, id, op, now);
    }

    fn send(&mut self, ep: &mut Endpoint, id: u64, op: Op, now: Instant) {
        let p = self.pubs.get_mut(&id).expect("the caller checked");
        // without an entity tag, only full state can go
        let op = match (&p.etag, op) {
            (None, Op::Remove) => {
                self.pubs.remove(&id);
                self.events.push_back(PublisherEvent::Removed { publication: PublicationId(id) });
                return;
            }
            (None, Op::Refresh | Op::Modify | Op::Partial(_)) => Op::Initial,
            (_, op) => op,
        };
        let t = &mut p.template;
        t.cseq = t.cseq.wrapping_add(1);
        match &p.etag {
            Some(tag) if op != Op::Initial => t.set("SIP-If-Match", tag.as_str()),
            Some(_) | None => t.unset("SIP-If-Match"),
        }
        let expires = if op == Op::Remove { 0 } else { p.expires };
        t.set("Expires", expires.to_string());
        t.body = match &op {
            Op::Initial | Op::Modify => Some((p.content_type.clone(), p.body.clone())),
            Op::Partial(diff) => Some((PIDF_DIFF.to_owned(), diff.clone())),
            Op::Refresh | Op::Remove => None,
        };
        let request = t.build(ep, p.transport);
        p.refresh_at = None;
        match ep.send_request(request, p.destination, p.transport, now) {
            Ok(tx) => {
                p.in_flight = Some((tx, op));
                self.by_tx.insert(tx, id);
            }
            Err(_) => {
                self.pubs.remove(&id);
                self.events.push_back(PublisherEvent::Failed {
                    publication: PublicationId(id),
                    code: None,
                });
            }
        }
    }

    /// Takes an endpoint event: responses to our PUBLISHes are handled, anything else is
    /// handed back.
    pub fn handle(&mut self, ep: &mut Endpoint, event: Event, now: Instant) -> Option<Event> {
        match crate::roles::route(&mut self.by_tx, event) {
            Routed::Final(id, response) => {
                self.answered(ep, id, &response, now);
                None
            }
            Routed::Provisional => None,
            Routed::Failed(id) => {
                self.pubs.remove(&id);
                self.events.push_back(PublisherEvent::Failed {
                    publication: PublicationId(id),
                    code: None,
                });
                None
            }
            Routed::Other(e) => Some(e),
        }
    }

    fn answered(&mut self, ep: &mut Endpoint, id: u64, response: &OwnedMessage, now: Instant) {
        let max = self.config.max_recoveries;
        let Some(p) = self.pubs.get_mut(&id) else { return };
        let Some((_, op)) = p.in_flight.take() else { return };
        let code = response.status_code().unwrap_or(500);
        let publication = PublicationId(id);
        match code {
            200..=299 => {
                if let Some(a) = self.auth.as_mut() {
                    a.succeeded();
                }
                p.recoveries = 0;
                if op == Op::Remove {
                    self.pubs.remove(&id);
                    self.events.push_back(PublisherEvent::Removed { publication });
                    return;
                }
                let etag = typed::<SipETag<'_>>(response).map(|e| e.0.into_owned());
                let expires = typed::<Expires>(response).map_or(p.expires, |e| e.0);
                if let Some(etag) = etag {
                    p.etag = Some(etag);
                }
                let Some(etag) = p.etag.clone() else {
                    // a 2xx without SIP-ETag: nothing to refresh with
                    self.pubs.remove(&id);
                    self.events.push_back(PublisherEvent::Failed { publication, code: Some(code) });
                    return;
                };
                let e = u64::from(expires.max(1));
                let margin = (e / 10).max(32).min(e / 2);
                let at = now + Duration::from_secs(e - margin);
                p.refresh_at = Some(at);
                self.deadlines.push(at, id);
                self.events.push_back(PublisherEvent::Published { publication, etag, expires });
                if let Some(next) = self.pubs.get_mut(&id).and_then(|p| p.queued.take()) {
                    self.send(ep, id, next, now);
                }
            }
            // §4.2: the entity tag is unknown (expired, or the compositor restarted): start
            // over with full state; RFC 5264 §4: a refused partial publication, likewise
            412 | 400 | 500 if op != Op::Remove && p.recoveries < max => {
                if code != 412 && !matches!(op, Op::Partial(_)) {
                    self.fail(id, code);
                    return;
                }
                p.recoveries += 1;
                if code == 412 {
                    p.etag = None;
                }
                let next = if code == 412 { Op::Initial } else { Op::Modify };
                let next = p.queued.take().filter(|q| *q == Op::Remove).unwrap_or(next);
                self.send(ep, id, next, now);
            }
            412 if op == Op::Remove => {
                self.pubs.remove(&id);
                self.events.push_back(PublisherEvent::Removed { publication });
            }
            423 => match typed::<MinExpires>(response).map(|m| m.0) {
                Some(min) if min > p.expires => {
                    p.expires = min;
                    self.send(ep, id, op, now);
                }
                Some(_) | None => self.fail(id, code),
            },
            401 | 407 => {
                if p.template.authorize(ep, self.auth.as_mut(), response) {
                    self.send(ep, id, op, now); // the next CSeq, with the credentials
                } else {
                    self.fail(id, code);
                }
            }
            _ => self.fail(id, code),
        }
    }

    fn fail(&mut self, id: u64, code: u16) {
        self.pubs.remove(&id);
        self.events
            .push_back(PublisherEvent::Failed { publication: PublicationId(id), code: Some(code) });
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<PublisherEvent> {
        self.events.pop_front()
    }

    /// When to call [`Publisher::handle_timeout`].
    pub fn poll_timeout(&mut self) -> Option<(Instant, PublisherTimer)> {
        let pubs = &self.pubs;
        self.deadlines
            .peek(|at, id| pubs.get(&id).is_some_and(|p| p.refresh_at == Some(at)))
            .map(|(at, _)| (at, PublisherTimer::Refresh))
    }

    /// Refreshes what is due at `now` (§4.3: SIP-If-Match, no body).
    pub fn handle_timeout(&mut self, ep: &mut Endpoint, now: Instant) {
        loop {
            let pubs = &self.pubs;
            let Some((_, id)) = self
                .deadlines
                .pop_due(now, |at, id| pubs.get(&id).is_some_and(|p| p.refresh_at == Some(at)))
            else {
                break;
            };
            self.start(ep, id, Op::Refresh, now);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Compositor
// ---------------------------------------------------------------------------------------

/// How a [`Compositor`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CompositorConfig {
    /// The event package it takes PUBLISHes for.
    pub event: String,
    /// The body types it accepts (415 with Accept for others). `application/pidf-diff+xml`
    /// among them turns on RFC 5264 partial publication.
    pub content_types: Vec<String>,
    /// Shortest expiry (423 with Min-Expires below).
    pub min_expires: u32,
    /// Longest expiry granted.
    pub max_expires: u32,
    /// The expiry of a PUBLISH without Expires.
    pub default_expires: u32,
    /// Most publications held; a new one beyond gets 503.
    pub max_publications: usize,
    /// Most publications per resource; a new one beyond gets 403.
    pub max_per_resource: usize,
    /// Largest body accepted (413 above).
    pub max_body: usize,
}

impl CompositorConfig {
    /// A compositor for `event` accepting `content_types`: expiry 60-3600 s, default 3600,
    /// 100 000 publications, 16 per resource, bodies up to 64 KiB.
    pub fn new(event: &str, content_types: &[&str]) -> Self {
        Self {
            event: event.to_owned(),
            content_types: content_types.iter().map(|s| (*s).to_owned()).collect(),
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            max_publications: 100_000,
            max_per_resource: 16,
            max_body: 64 * 1024,
        }
    }
}

/// One stored publication, as [`Compositor::publications`] lends it.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    /// Its current entity tag.
    pub etag: &'a str,
    /// The body type.
    pub content_type: &'a str,
    /// The state (for a partial publication, the patched full state).
    pub body: &'a Bytes,
    /// When it expires.
    pub expires_at: Instant,
}

/// What a [`Compositor`] tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompositorEvent {
    /// The publications of `resource` changed (a new one, new state, a removal, an
    /// expiry): compose them again.
    Changed {
        /// The resource ([`resource_key`] of the PUBLISH Request-URI).
        resource: String,
    },
    /// A publication expired without a refresh.
    Expired {
        /// The resource.
        resource: String,
        /// Its last entity tag.
        etag: String,
    },
}

/// The timer of a [`Compositor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CompositorTimer {
    /// A publication expires.
    Expiry,
}

#[derive(Debug)]
struct Entry {
    resource: String,
    etag: String,
    content_type: String,
    body: Bytes,
    expires_at: Instant,
}

/// The event state compositor (RFC 3903 §6): stores publications per resource, answers
/// PUBLISH, expires what is not refreshed. Entity tags come from the seeded generator; each
/// 2xx carries a fresh one.
#[derive(Debug)]
pub struct Compositor {
    config: CompositorConfig,
    ids: IdGenerator,
    next: u64,
    entries: HashMap<u64, Entry>,
    by_etag: HashMap<String, u64>,
    by_resource: HashMap<String, Vec<u64>>,
    deadlines: Deadlines<u64>,
    events: VecDeque<CompositorEvent>,
}

impl Compositor {
    /// A compositor; `seed` drives its entity tags.
    pub fn new(config: CompositorConfig, seed: u64) -> Self {
        Self {
            config,
            ids: IdGenerator::new(seed),
            next: 0,
            entries: HashMap::new(),
            by_etag: HashMap::new(),
            by_resource: HashMap::new(),
            deadlines: Deadlines::new(),
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &CompositorConfig {
        &self.config
    }

    /// Publications held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The publications of `resource` (a [`resource_key`] or a URI), oldest first.
    pub fn publications(&self, resource: &str) -> impl Iterator<Item = Stored<'_>> + '_ {
        let key = resource_key(resource);
        self.by_resource.get(&key).into_iter().flatten().filter_map(|id| {
            self.entries.get(id).map(|e| Stored {
                etag: &e.etag,
                content_type: &e.content_type,
                body: &e.body,
                expires_at: e.expires_at,
            })
        })
    }

    /// Stores a publication as if a PUBLISH had made it with entity tag `etag` (state kept
    /// elsewhere, restored after a restart).
    pub fn restore(
        &mut self,
        resource: &str,
        etag: &str,
        content_type: &str,
        body: Bytes,
        expires_at: Instant,
    ) {
        let resource = resource_key(resource);
        let id = self.next;
        self.next += 1;
        self.entries.insert(
            id,
            Entry {
                resource: resource.clone(),
                etag: etag.to_owned(),
                content_type: content_type.to_owned(),
                body,
                expires_at,
            },
        );
        self.by_etag.insert(etag.to_owned(), id);
        self.by_resource.entry(resource.clone()).or_default().push(id);
        self.deadlines.push(expires_at, id);
        self.events.push_back(CompositorEvent::Changed { resource });
    }

    /// Forgets the publication whose entity tag is `etag` (removed elsewhere: another node
    /// of a cluster, an operator): `Changed` follows, as for a removal by PUBLISH. False when
    /// no publication has that tag.
    pub fn forget(&mut self, etag: &str) -> bool {
        match self.by_etag.get(etag).copied() {
            Some(id) => self.drop_entry(id).is_some(),
            None => false,
        }
    }

    /// The resources that have publications, in no particular order.
    pub fn resources(&self) -> impl Iterator<Item = &str> + '_ {
        self.by_resource.keys().map(String::as_str)
    }

    /// Takes an endpoint event: PUBLISHes of this compositor's package are answered, anything
    /// else is handed back.
    #[allow(
        clippy::wildcard_enum_match_arm,
        reason = "a role hands on every event that is not its own, whatever it is"
    )]
    pub fn handle(&mut self, ep: &mut Endpoint, event: Event, now: Instant) -> Option<Event> {
        match event {
            Event::Request { tx, request, .. }
                if crate::roles::for_package(&request, &Method::Publish, &self.config.event) =>
            {
                let (code, reason, headers) = self.publish(&request, now);
                let refs: Vec<(&str, &[u8])> =
                    headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
                let _ = ep.respond(tx, &Reply::new(code, reason).headers(&refs), now);
                None
            }
            other => Some(other),
        }
    }

    /// Processes a PUBLISH (§6): the status, reason and headers of the answer.
    fn publish(
        &mut self,
        request: &OwnedMessage,
        now: Instant,
    ) -> (u16, &'static str, Vec<(&'static str, String)>) {
        let resource = request_uri(request).map_or_else(String::new, |u| resource_key(&u));
        let if_match = typed::<SipIfMatch<'_>>(request).map(|t| t.0.into_owned());
        let existing = match &if_match {
            Some(tag) => match self.by_etag.get(tag) {
                Some(&id) if self.entries[&id].resource == resource => Some(id),
                // §6 step 3: unknown (or another resource's) entity tag
                Some(_) | None => return (412, "Conditional Request Failed", Vec::new()),
            },
            None => None,
        };
        let (min, max) = (self.config.min_expires, self.config.max_expires);
        let requested = typed::<Expires>(request).map_or(self.config.default_expires, |e| e.0);
        if requested != 0 && requested < min {
            return (423, "Interval Too Brief", vec![("Min-Expires", min.to_string())]);
        }
        let expires = requested.min(max);
        let body = request.body();
        let content_type = request.header(HeaderName::ContentType).and_then(|h| {
            core::str::from_utf8(h.value())
                .ok()
                .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        });
        if body.len() > self.config.max_body {
            return (413, "Request Entity Too Large", Vec::new());
        }
        if expires == 0 {
            // §6 step 4: removal
            let Some(id) = existing else { return (400, "Bad Request", Vec::new()) };
            self.drop_entry(id);
            return (200, "OK", vec![("Expires", "0".to_owned())]);
        }
        let new_state = if body.is_empty() {
            None
        } else {
            let Some(ct) = content_type else {
                return (400, "Bad Request", Vec::new());
            };
            if !self.config.content_types.iter().any(|c| c.eq_ignore_ascii_case(&ct)) {
                let accept = self.config.content_types.join(", ");
                return (415, "Unsupported Media Type", vec![("Accept", accept)]);
            }
            if ct == PIDF_DIFF {
                match self.apply_partial(existing, &body) {
                    Ok(full) => Some(("application/pidf+xml".to_owned(), full)),
                    Err(code) => return (code, "Bad Request", Vec::new()),
                }
            } else {
                if ct == "application/pidf+xml" && simple_pidf::Presence::parse(&body).is_err() {
                    return (400, "Bad Request", Vec::new());
                }
                Some((ct, body))
            }
        };
        let etag = self.ids.tag();
        let expires_at = now + Duration::from_secs(expires.into());
        match existing {
            Some(id) => {
                let e = self.entries.get_mut(&id).expect("indexed");
                self.by_etag.remove(&e.etag);
                e.etag.clone_from(&etag);
                e.expires_at = expires_at;
                let changed = new_state.is_some();
                if let Some((ct, body)) = new_state {
                    e.content_type = ct;
                    e.body = body;
                }
                self.by_etag.insert(etag.clone(), id);
                self.deadlines.push(expires_at, id);
                if changed {
                    self.events.push_back(CompositorEvent::Changed { resource });
                }
            }
            None => {
                // §6 step 2: an initial publication needs a body
                let Some((ct, body)) = new_state else {
                    return (400, "Bad Request", Vec::new());
                };
                if self.entries.len() >= self.config.max_publications {
                    return (503, "Service Unavailable", vec![("Retry-After", "60".to_owned())]);
                }
                let count = self.by_resource.get(&resource).map_or(0, Vec::len);
                if count >= self.config.max_per_resource {
                    return (403, "Forbidden", Vec::new());
                }
                self.restore(&resource, &etag, &ct, body, expires_at);
            }
        }
        (200, "OK", vec![("SIP-ETag", etag), ("Expires", expires.to_string())])
    }

    /// RFC 5264: the full state after applying a partial publication, or the status to
    /// refuse it with (400 for a diff that does not apply or parse).
    fn apply_partial(&self, existing: Option<u64>, body: &Bytes) -> Result<Bytes, u16> {
        use simple_pidf::partial::PartialBody;
        let parsed = PartialBody::parse(body).map_err(|_| 400u16)?;
        match parsed {
            PartialBody::Full { presence, .. } => Ok(Bytes::from(presence.to_vec())),
            PartialBody::Diff { patch, .. } => {
                let id = existing.ok_or(400u16)?;
                let stored = &self.entries[&id].body;
                let doc = simple_patch::Document::parse(stored).map_err(|_| 500u16)?;
                let next = patch.apply_to_copy(&doc).map_err(|_| 400u16)?;
                simple_pidf::Presence::from_document(&next).map_err(|_| 400u16)?;
                Ok(Bytes::from(next.to_vec()))
            }
            _ => Err(400),
        }
    }

    fn drop_entry(&mut self, id: u64) -> Option<Entry> {
        let e = self.entries.remove(&id)?;
        self.by_etag.remove(&e.etag);
        if let Some(list) = self.by_resource.get_mut(&e.resource) {
            list.retain(|x| *x != id);
            if list.is_empty() {
                self.by_resource.remove(&e.resource);
            }
        }
        self.events.push_back(CompositorEvent::Changed { resource: e.resource.clone() });
        Some(e)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<CompositorEvent> {
        self.events.pop_front()
    }

    /// When to call [`Compositor::handle_timeout`].
    pub fn poll_timeout(&mut self) -> Option<(Instant, CompositorTimer)> {
        let entries = &self.entries;
        self.deadlines
            .peek(|at, id| entries.get(&id).is_some_and(|e| e.expires_at == at))
            .map(|(at, _)| (at, CompositorTimer::Expiry))
    }

    /// Expires what is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        loop {
            let entries = &self.entries;
            let Some((_, id)) = self
                .deadlines
                .pop_due(now, |at, id| entries.get(&id).is_some_and(|e| e.expires_at == at))
            else {
                break;
            };
            if let Some(e) = self.drop_entry(id) {
                self.events
                    .push_back(CompositorEvent::Expired { resource: e.resource, etag: e.etag });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forget_removes_one_publication_and_says_so() {
        let mut c =
            Compositor::new(CompositorConfig::new("presence", &["application/pidf+xml"]), 7);
        let now = Instant::now();
        let later = now + Duration::from_secs(60);
        c.restore("sip:alice@h", "e1", "application/pidf+xml", Bytes::from_static(b"<a/>"), later);
        c.restore("sip:alice@h", "e2", "application/pidf+xml", Bytes::from_static(b"<b/>"), later);
        while c.poll_event().is_some() {}
        assert!(c.forget("e1"));
        assert!(!c.forget("e1"), "forgotten once");
        assert!(!c.forget("nope"));
        assert_eq!(
            c.poll_event(),
            Some(CompositorEvent::Changed { resource: resource_key("sip:alice@h") })
        );
        let left: Vec<&str> = c.publications("sip:alice@h").map(|p| p.etag).collect();
        assert_eq!(left, ["e2"]);
        assert_eq!(c.resources().count(), 1);
        assert!(c.forget("e2"));
        assert_eq!(c.resources().count(), 0);
        assert!(c.is_empty());
    }
}
