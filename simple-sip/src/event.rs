//! SIP-specific event notification (RFC 6665) with rate control (RFC 6446): the
//! [`Subscriber`] and [`Notifier`] roles, and the [`EventPackage`] trait a package implements.
//!
//! Both roles sit on an [`Endpoint`]: they send through it and read what it hands up. The
//! caller's loop passes each endpoint event to the roles in turn; a role keeps what is its own
//! and hands back the rest:
//!
//! ```text
//! while let Some(ev) = endpoint.poll_event() {
//!     let Some(ev) = notifier.handle(&mut endpoint, ev, now) else { continue };
//!     let Some(ev) = subscriber.handle(&mut endpoint, ev, now) else { continue };
//!     simple_sip::event::refuse(&mut endpoint, ev, &["presence"], now); // 489, 481, 405
//! }
//! ```
//!
//! Then, for each role: [`Subscriber::poll_event`] / [`Notifier::poll_event`] until `None`,
//! and `poll_timeout` for the role's next deadline (refresh, expiry, Timer N, a retry, a NOTIFY
//! held back by rate control), to be passed to `handle_timeout` with the endpoint. Whatever a
//! role sends goes out through [`Endpoint::poll_transmit`], so poll the endpoint again after
//! the roles.
//!
//! ```
//! use std::time::Instant;
//! use simple_sip::endpoint::{Endpoint, EndpointConfig, Transport};
//! use simple_sip::event::{
//!     Notifier, NotifierConfig, StatePackage, Subscribe, Subscriber, SubscriberConfig,
//!     SubscriberEvent, Status,
//! };
//!
//! let now = Instant::now();
//! let (a, b) = ("127.0.0.1:5060".parse().unwrap(), "127.0.0.1:5070".parse().unwrap());
//! let mut alice = Endpoint::new(EndpointConfig::new("127.0.0.1:5060"), 1);
//! let mut bob = Endpoint::new(EndpointConfig::new("127.0.0.1:5070"), 2);
//! let mut watcher = Subscriber::new(SubscriberConfig::default());
//! let mut package = StatePackage::new("message-summary", "application/simple-message-summary");
//! package.set("sip:bob@127.0.0.1", b"Messages-Waiting: yes\r\n".to_vec());
//! let mut notifier = Notifier::new(NotifierConfig::new("<sip:bob@127.0.0.1:5070>"), package);
//!
//! let sub = watcher.subscribe(&mut alice, &Subscribe::new(
//!     "message-summary", "sip:bob@127.0.0.1", "<sip:alice@127.0.0.1>",
//!     "<sip:alice@127.0.0.1:5060>", b, Transport::Udp), now);
//! // a tiny loop: move datagrams both ways and let each role see its endpoint's events
//! for _ in 0..4 {
//!     while let Some(t) = alice.poll_transmit() { bob.handle_datagram(a, t.transport, &t.contents, now) }
//!     while let Some(ev) = bob.poll_event() { let _ = notifier.handle(&mut bob, ev, now); }
//!     while let Some(t) = bob.poll_transmit() { alice.handle_datagram(b, t.transport, &t.contents, now) }
//!     while let Some(ev) = alice.poll_event() { let _ = watcher.handle(&mut alice, ev, now); }
//! }
//! let mut got = None;
//! while let Some(ev) = watcher.poll_event() {
//!     if let SubscriberEvent::Notify { body, status, .. } = ev { got = Some((status, body)) }
//! }
//! let (status, body) = got.expect("the first NOTIFY");
//! assert_eq!(status, Status::Active);
//! assert_eq!(&body[..], b"Messages-Waiting: yes\r\n");
//! # let _ = sub;
//! ```

use core::net::SocketAddr;
use core::time::Duration;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::dialog::{Dialog, DialogId, DialogRecord, DialogState};
use crate::digest::DigestClient;
use crate::endpoint::{ClientTx, Endpoint, Event, Reply, ServerTx, Transport};
use crate::headers::{
    Accept, CallId, ContentType, EventHeader, Expires, FromHeader, MinExpires, SubState,
    SubscriptionState, ToHeader,
};
use crate::message::{Method, OwnedMessage};
use crate::roles::{Deadlines, Routed, Template, typed};
use crate::transaction::Timers;

pub use crate::roles::{destination, resource_key};

/// An event package (RFC 6665 §7): its name, the bodies it sends, its rules, and how its
/// state becomes a NOTIFY body. A [`Notifier`] owns its package and asks it for bodies.
pub trait EventPackage {
    /// The event type, e.g. `presence` or `presence.winfo`.
    fn name(&self) -> &str;
    /// The body types it can send, preferred first.
    fn content_types(&self) -> &[&str];
    /// Whether a SUBSCRIBE may fork into several subscriptions (RFC 6665 §4.1.2.4).
    fn forks(&self) -> bool {
        false
    }
    /// The expiry granted when a SUBSCRIBE has no Expires.
    fn default_expires(&self) -> u32 {
        3600
    }
    /// The shortest expiry accepted (shorter ones get 423 with Min-Expires).
    fn min_expires(&self) -> u32 {
        60
    }
    /// The longest expiry granted (longer ones are shortened, never lengthened).
    fn max_expires(&self) -> u32 {
        86_400
    }
    /// Writes the body of the next NOTIFY of subscription `request.sub` into `out` and
    /// returns its content type, or `None` for a NOTIFY without a body.
    fn body(&mut self, request: &BodyRequest<'_>, out: &mut Vec<u8>) -> Option<String>;
    /// A SUBSCRIBE for `request.sub` (initial or a refresh), before it is answered: a package
    /// whose subscribers say what they want in the body or in Event parameters (RFC 5875's
    /// URI list, its `diff-processing`) reads it here. `Err((code, reason))` answers the
    /// SUBSCRIBE with that status instead (the subscription, if it is a refresh, goes on as it
    /// was).
    fn subscribing(&mut self, request: &SubscribeRequest<'_>) -> Result<(), (u16, &'static str)> {
        let _ = request;
        Ok(())
    }
    /// Subscription `sub` ended: forget what was kept for it.
    fn ended(&mut self, sub: NotifierSub) {
        let _ = sub;
    }
    /// The package's own rule for `watcher` of `resource` (both [`resource_key`]s), used when
    /// [`Notifier::authorize`] set nothing for the pair; `None` leaves it to
    /// [`NotifierConfig::authorization`]. (Watcher information lets the owner alone in.)
    fn authorize(&self, resource: &str, watcher: &str) -> Option<Authorization> {
        let _ = (resource, watcher);
        None
    }
    /// The document version last sent to `sub`, when the package numbers its documents per
    /// subscription (RFC 5263, RFC 3857): kept in its [`SubscriptionRecord`].
    fn version(&self, sub: NotifierSub) -> Option<u64> {
        let _ = sub;
        None
    }
    /// A restored subscription's last version: its numbering goes on from there.
    fn restore_version(&mut self, sub: NotifierSub, version: u64) {
        let _ = (sub, version);
    }
}

/// What a package is asked to render.
#[derive(Debug, Clone, Copy)]
pub struct BodyRequest<'a> {
    /// The subscription.
    pub sub: NotifierSub,
    /// The resource it watches ([`resource_key`] of the Request-URI).
    pub resource: &'a str,
    /// The watcher ([`resource_key`] of the From URI).
    pub watcher: &'a str,
    /// The body types the subscriber accepts that the package sends, preferred first.
    pub accept: &'a [&'a str],
    /// Full state is due (the first NOTIFY, one after a refresh or a failed NOTIFY); else a
    /// package with partial state may send what changed since its last body for `sub`.
    pub full: bool,
    /// The time (for durations and expirations in the body).
    pub now: Instant,
}

/// A SUBSCRIBE as a package sees it ([`EventPackage::subscribing`]).
#[derive(Debug, Clone, Copy)]
pub struct SubscribeRequest<'a> {
    /// The subscription (new, or the one refreshed).
    pub sub: NotifierSub,
    /// Whether it refreshes an existing subscription.
    pub refresh: bool,
    /// The resource ([`resource_key`] of the Request-URI).
    pub resource: &'a str,
    /// The watcher ([`resource_key`] of the From URI).
    pub watcher: &'a str,
    /// The Event header's parameters (`id`, package parameters such as `diff-processing`).
    pub event: &'a EventHeader<'a>,
    /// The body's type (`type/subtype`, as written), if it has one.
    pub content_type: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// A package whose state is one body per resource, set by the caller: enough for packages
/// with full-state notifications (`message-summary`, `dialog`, ...), and for tests.
#[derive(Debug, Clone)]
pub struct StatePackage {
    name: String,
    content_types: Vec<&'static str>,
    state: HashMap<String, Bytes>,
    forks: bool,
}

impl StatePackage {
    /// A package `name` whose bodies are of `content_type`.
    pub fn new(name: &str, content_type: &'static str) -> Self {
        Self {
            name: name.to_owned(),
            content_types: vec![content_type],
            state: HashMap::new(),
            forks: false,
        }
    }

    /// Whether SUBSCRIBEs of this package may fork.
    #[must_use]
    pub const fn forking(mut self, forks: bool) -> Self {
        self.forks = forks;
        self
    }

    /// Sets the state of `resource` (a [`resource_key`] or a URI); tell the notifier with
    /// [`Notifier::changed`].
    pub fn set(&mut self, resource: &str, body: impl Into<Bytes>) {
        self.state.insert(resource_key(resource), body.into());
    }
}

impl EventPackage for StatePackage {
    fn name(&self) -> &str {
        &self.name
    }
    fn content_types(&self) -> &[&str] {
        &self.content_types
    }
    fn forks(&self) -> bool {
        self.forks
    }
    fn body(&mut self, request: &BodyRequest<'_>, out: &mut Vec<u8>) -> Option<String> {
        let body = self.state.get(request.resource)?;
        out.extend_from_slice(body);
        Some(self.content_types[0].to_owned())
    }
}

/// Where a subscription stands, as a NOTIFY says (RFC 6665 §4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Authorized: state flows.
    Active,
    /// Not yet authorized: no state yet.
    Pending,
}

/// RFC 6446 rate control, as Event header parameters (notifications per second).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RateControl {
    /// `max-rate`: at most this many NOTIFYs per second.
    pub max_rate: Option<f64>,
    /// `min-rate`: at least this many per second (state is sent again when nothing changed).
    pub min_rate: Option<f64>,
    /// `adaptive-min-rate`: at least this many per second on average over a period.
    pub adaptive_min_rate: Option<f64>,
}

impl RateControl {
    fn read(params: &crate::params::Params<'_>) -> Self {
        let get = |n: &str| {
            params.get(n).and_then(|v| v.parse::<f64>().ok()).filter(|r| r.is_finite() && *r > 0.0)
        };
        Self {
            max_rate: get("max-rate"),
            min_rate: get("min-rate"),
            adaptive_min_rate: get("adaptive-min-rate"),
        }
    }

    fn write(&self, out: &mut String) {
        for (name, v) in [
            ("max-rate", self.max_rate),
            ("min-rate", self.min_rate),
            ("adaptive-min-rate", self.adaptive_min_rate),
        ] {
            if let Some(v) = v {
                out.push_str(&format!(";{name}={}", trim_rate(v)));
            }
        }
    }

    const fn is_empty(&self) -> bool {
        self.max_rate.is_none() && self.min_rate.is_none() && self.adaptive_min_rate.is_none()
    }
}

/// A rate written with at most 10 decimals (RFC 6446 §9.2), without trailing zeros.
fn trim_rate(v: f64) -> String {
    let s = format!("{:.10}", v.clamp(0.000_000_000_1, 99.999_999_999_9));
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').map_or_else(|| s.to_owned(), str::to_owned)
}

fn secs(rate: f64) -> Duration {
    Duration::from_secs_f64((1.0 / rate).min(1.0e9))
}

// ---------------------------------------------------------------------------------------
// Subscriber
// ---------------------------------------------------------------------------------------

/// A subscription this side made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(u64);

/// A subscription to make (RFC 6665 §4.1.2.1).
#[derive(Debug, Clone)]
pub struct Subscribe<'a> {
    /// The event type (`presence`, `presence.winfo`).
    pub event: &'a str,
    /// The Event `id` parameter, if any.
    pub id: Option<&'a str>,
    /// The resource's URI (Request-URI and To).
    pub uri: &'a str,
    /// Our From (name-addr, no tag).
    pub from: &'a str,
    /// Our Contact.
    pub contact: &'a str,
    /// The body types we accept (Accept), none for the package's default.
    pub accept: &'a [&'a str],
    /// The expiry asked for.
    pub expires: u32,
    /// Whether the package lets the SUBSCRIBE fork (else a second fork's NOTIFY gets 481).
    pub forks: bool,
    /// Where requests go (the resource, or the outbound proxy).
    pub destination: SocketAddr,
    /// Over what.
    pub transport: Transport,
    /// RFC 6446 rate control asked for.
    pub rate: RateControl,
    /// Further headers, e.g. Supported: eventlist.
    pub headers: &'a [(&'static str, &'a [u8])],
    /// Event header parameters of the package, written after the event type
    /// (`;diff-processing=aggregate`), empty for none.
    pub event_params: &'a str,
    /// The body of the initial SUBSCRIBE (and of the ones that replace it after a
    /// `Retrying`), as `(content type, bytes)`: RFC 5875's URI list, RFC 4660's filters.
    /// Refreshes carry none: the notifier keeps what the first one said.
    pub body: Option<(&'a str, &'a [u8])>,
}

impl<'a> Subscribe<'a> {
    /// A subscription to `event` at `uri` from `from`, with Contact `contact`, sent to
    /// `destination`: expiry 3600 s, no forking, no rate control.
    pub const fn new(
        event: &'a str,
        uri: &'a str,
        from: &'a str,
        contact: &'a str,
        destination: SocketAddr,
        transport: Transport,
    ) -> Self {
        Self {
            event,
            id: None,
            uri,
            from,
            contact,
            accept: &[],
            expires: 3600,
            forks: false,
            destination,
            transport,
            rate: RateControl { max_rate: None, min_rate: None, adaptive_min_rate: None },
            headers: &[],
            event_params: "",
            body: None,
        }
    }
}

/// How a [`Subscriber`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SubscriberConfig {
    /// T1 (Timer N is 64·T1: how long a NOTIFY may take after the 2xx).
    pub timers: Timers,
    /// `(username, password)` for 401/407 challenges (at most 3 in a row).
    pub credentials: Option<(String, String)>,
    /// How long to wait before subscribing again after `probation` or `giveup` without a
    /// `retry-after`.
    pub retry_default: Duration,
    /// Re-subscriptions in a row without an active NOTIFY before giving up.
    pub max_retries: u32,
}

impl Default for SubscriberConfig {
    fn default() -> Self {
        Self {
            timers: Timers::default(),
            credentials: None,
            retry_default: Duration::from_secs(30),
            max_retries: 5,
        }
    }
}

/// Why a subscription ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ended {
    /// The notifier ended it (`terminated`), with its reason; no re-subscription follows.
    Notifier {
        /// The `reason` parameter.
        reason: Option<String>,
        /// The `retry-after` parameter.
        retry_after: Option<u32>,
    },
    /// The SUBSCRIBE (or a refresh, §4.1.2.2) was refused with this status.
    Refused {
        /// The status code.
        code: u16,
    },
    /// The SUBSCRIBE got no answer, or the transport failed.
    Timeout,
    /// The 2xx came but no NOTIFY within Timer N (§4.1.2.4).
    NoNotify,
    /// It expired without a successful refresh.
    Expired,
    /// We unsubscribed.
    Unsubscribed,
    /// Re-subscriptions kept failing ([`SubscriberConfig::max_retries`]).
    GaveUp,
}

/// What a [`Subscriber`] tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriberEvent {
    /// A 2xx to a SUBSCRIBE: the expiry the notifier granted.
    Accepted {
        /// The subscription.
        sub: SubscriptionId,
        /// Seconds granted.
        expires: u32,
    },
    /// A NOTIFY (already answered 200): the state and the body.
    Notify {
        /// The subscription.
        sub: SubscriptionId,
        /// Active or pending (a terminating NOTIFY is followed by `Terminated` or `Retrying`).
        status: Status,
        /// Whether this NOTIFY ends the subscription.
        terminated: bool,
        /// The body type.
        content_type: Option<String>,
        /// The body.
        body: Bytes,
    },
    /// A NOTIFY from another fork created a further subscription (the package forks).
    Forked {
        /// The new subscription.
        sub: SubscriptionId,
        /// The one it forked from.
        from: SubscriptionId,
    },
    /// The subscription ended and a new one will be sent after `after` (RFC 6665 §4.1.3:
    /// `deactivated`, `timeout`, `probation`, `giveup`): the same id carries on.
    Retrying {
        /// The subscription.
        sub: SubscriptionId,
        /// The delay.
        after: Duration,
    },
    /// The subscription is over.
    Terminated {
        /// The subscription.
        sub: SubscriptionId,
        /// Why.
        reason: Ended,
    },
}

/// The timers of a [`Subscriber`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SubscriberTimer {
    /// Time to refresh.
    Refresh,
    /// The subscription expires.
    Expiry,
    /// Timer N: no NOTIFY after the 2xx (or after unsubscribing).
    N,
    /// Time to subscribe again.
    Retry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The initial SUBSCRIBE is out; no NOTIFY yet.
    Subscribing,
    /// A NOTIFY made the dialog.
    Established,
    /// Expires: 0 sent (or due once the dialog exists).
    Unsubscribing,
    /// Waiting to subscribe again.
    Waiting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    Initial,
    Refresh,
    Unsubscribe,
}

#[derive(Debug)]
struct Sub {
    phase: Phase,
    /// The out-of-dialog SUBSCRIBE (initial, and again after a retry).
    template: Template,
    /// The last initial SUBSCRIBE sent, which a NOTIFY's dialog is made from.
    request: Option<OwnedMessage>,
    dialog: Option<Dialog>,
    /// The request in flight and what it was.
    tx: Option<(ClientTx, Sent, Template)>,
    destination: SocketAddr,
    transport: Transport,
    forks: bool,
    event: String,
    id: Option<String>,
    expires: u32,
    expires_at: Option<Instant>,
    refresh_at: Option<Instant>,
    timer_n: Option<Instant>,
    retry_at: Option<Instant>,
    deadline: Option<Instant>,
    status: Option<Status>,
    retries: u32,
    /// Unsubscribe as soon as the dialog exists.
    unsubscribe_pending: bool,
}

impl Sub {
    fn next_deadline(&self) -> Option<(Instant, SubscriberTimer)> {
        [
            self.refresh_at.map(|t| (t, SubscriberTimer::Refresh)),
            self.expires_at.map(|t| (t, SubscriberTimer::Expiry)),
            self.timer_n.map(|t| (t, SubscriberTimer::N)),
            self.retry_at.map(|t| (t, SubscriberTimer::Retry)),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|(t, _)| *t)
    }
}

type DialogKey = (String, String, String);

/// `template` (a request of subscription `s` that was refused) numbered for its next
/// attempt: the next CSeq out of dialog, the dialog's next request in it.
fn renumber(s: &mut Sub, sent: Sent, mut template: Template) -> Template {
    match (sent, s.dialog.as_mut()) {
        (Sent::Refresh | Sent::Unsubscribe, Some(d)) => template.next_in(d),
        (Sent::Initial, _) | (Sent::Refresh | Sent::Unsubscribe, None) => {
            template.cseq = template.cseq.wrapping_add(1);
            template
        }
    }
}

/// The package's content types whose bits are set in `mask` (a subscription's Accept).
fn accepted(types: &[String], mask: u8) -> impl Iterator<Item = &String> {
    types.iter().enumerate().filter(move |(i, _)| mask & (1 << i) != 0).map(|(_, t)| t)
}

/// The subscriber role (RFC 6665 §4.1). See the [module docs](self) for the polling order.
#[derive(Debug)]
pub struct Subscriber {
    config: SubscriberConfig,
    auth: Option<DigestClient>,
    next: u64,
    subs: HashMap<u64, Sub>,
    by_tx: HashMap<ClientTx, u64>,
    by_dialog: HashMap<DialogKey, u64>,
    /// (Call-ID, local tag) of each initial SUBSCRIBE: NOTIFYs before the 2xx, and forks.
    by_call: HashMap<(String, String), u64>,
    deadlines: Deadlines<u64>,
    events: VecDeque<SubscriberEvent>,
}

/// When to refresh a subscription granted `expires` seconds: well before the end, leaving a
/// whole non-INVITE transaction's time (32 s) when the interval allows.
fn refresh_after(expires: u32) -> Duration {
    let e = u64::from(expires);
    let margin = (e / 10).max(32).min(e / 2);
    Duration::from_secs(e - margin)
}

impl Subscriber {
    /// A subscriber.
    pub fn new(config: SubscriberConfig) -> Self {
        let auth = config.credentials.as_ref().map(|(u, p)| DigestClient::new(u, p));
        Self {
            config,
            auth,
            next: 0,
            subs: HashMap::new(),
            by_tx: HashMap::new(),
            by_dialog: HashMap::new(),
            by_call: HashMap::new(),
            deadlines: Deadlines::new(),
            events: VecDeque::new(),
        }
    }

    /// Subscriptions in progress (including those waiting to retry).
    pub fn len(&self) -> usize {
        self.subs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    /// The dialog of a subscription, once a NOTIFY made it.
    pub fn dialog(&self, sub: SubscriptionId) -> Option<&Dialog> {
        self.subs.get(&sub.0).and_then(|s| s.dialog.as_ref())
    }

    /// Sends a SUBSCRIBE (RFC 6665 §4.1.2.1). Its outcome comes as events.
    pub fn subscribe(
        &mut self,
        ep: &mut Endpoint,
        request: &Subscribe<'_>,
        now: Instant,
    ) -> SubscriptionId {
        let mut template = Template::new(ep, Method::Subscribe, request.uri, request.from);
        template.contact = Some(request.contact.to_owned());
        let mut event = request.event.to_owned();
        event.push_str(request.event_params);
        if let Some(id) = request.id {
            event.push_str(";id=");
            event.push_str(id);
        }
        let mut rate = String::new();
        request.rate.write(&mut rate);
        template.set("Event", format!("{event}{rate}"));
        if !request.accept.is_empty() {
            template.set("Accept", request.accept.join(", "));
        }
        template.set("Expires", request.expires.to_string());
        for (n, v) in request.headers {
            template.set(n, *v);
        }
        template.body = request.body.map(|(t, b)| (t.to_owned(), Bytes::copy_from_slice(b)));
        let id = self.next;
        self.next += 1;
        let sub = Sub {
            phase: Phase::Subscribing,
            template,
            request: None,
            dialog: None,
            tx: None,
            destination: request.destination,
            transport: request.transport,
            forks: request.forks,
            event: request.event.to_owned(),
            id: request.id.map(str::to_owned),
            expires: request.expires,
            expires_at: None,
            refresh_at: None,
            timer_n: None,
            retry_at: None,
            deadline: None,
            status: None,
            retries: 0,
            unsubscribe_pending: false,
        };
        self.subs.insert(id, sub);
        self.send_initial(ep, id, now);
        SubscriptionId(id)
    }

    /// Ends a subscription (SUBSCRIBE with Expires: 0, §4.1.2.3): `Terminated` with
    /// [`Ended::Unsubscribed`] follows once the final NOTIFY (or Timer N) came. False for an
    /// unknown id.
    pub fn unsubscribe(&mut self, ep: &mut Endpoint, sub: SubscriptionId, now: Instant) -> bool {
        let Some(s) = self.subs.get_mut(&sub.0) else { return false };
        match s.phase {
            Phase::Waiting => {
                self.end(sub.0, Ended::Unsubscribed);
            }
            Phase::Subscribing => s.unsubscribe_pending = true,
            Phase::Established | Phase::Unsubscribing => {
                s.unsubscribe_pending = true;
                self.send_in_dialog(ep, sub.0, now);
            }
        }
        true
    }

    /// Refreshes a subscription now (e.g. to get full state again after a lost partial
    /// notification). False for an unknown id or one not established.
    pub fn refresh(&mut self, ep: &mut Endpoint, sub: SubscriptionId, now: Instant) -> bool {
        if !self.subs.get(&sub.0).is_some_and(|s| s.phase == Phase::Established) {
            return false;
        }
        self.send_in_dialog(ep, sub.0, now);
        true
    }

    fn send_initial(&mut self, ep: &mut Endpoint, id: u64, now: Instant) {
        let s = self.subs.get_mut(&id).expect("the caller holds a live id");
        let request = s.template.build(ep, s.transport);
        let key = request.view(|m| {
            let call = m.require::<CallId<'_>>().map(|c| c.0.into_owned()).unwrap_or_default();
            let tag = m
                .require::<FromHeader<'_>>()
                .ok()
                .and_then(|f| f.tag().map(str::to_owned))
                .unwrap_or_default();
            (call, tag)
        });
        s.request = Some(request.clone());
        let template = s.template.clone();
        match ep.send_request(request, s.destination, s.transport, now) {
            Ok(tx) => {
                s.tx = Some((tx, Sent::Initial, template));
                self.by_tx.insert(tx, id);
                self.by_call.insert(key, id);
            }
            Err(_) => self.end(id, Ended::Timeout),
        }
    }

    /// A refresh, or the unsubscribe, in the dialog.
    fn send_in_dialog(&mut self, ep: &mut Endpoint, id: u64, now: Instant) {
        let Some(s) = self.subs.get_mut(&id) else { return };
        if s.tx.is_some() {
            return; // one at a time: the response re-examines what is due
        }
        let Some(dialog) = s.dialog.as_mut() else { return };
        let unsubscribe = s.unsubscribe_pending;
        let mut t = Template::in_dialog(dialog.next_request(Method::Subscribe));
        t.contact.clone_from(&s.template.contact);
        for name in ["Event", "Accept"] {
            if let Some(v) = s.template.get(name) {
                t.set(name, v);
            }
        }
        let expires = if unsubscribe { 0 } else { s.expires };
        t.set("Expires", expires.to_string());
        let dest = destination(&dialog.next_hop(), s.destination);
        let request = t.build(ep, s.transport);
        let kind = if unsubscribe { Sent::Unsubscribe } else { Sent::Refresh };
        if unsubscribe {
            s.phase = Phase::Unsubscribing;
        }
        s.refresh_at = None;
        match ep.send_request(request, dest, s.transport, now) {
            Ok(tx) => {
                s.tx = Some((tx, kind, t));
                self.by_tx.insert(tx, id);
            }
            Err(_) if unsubscribe => self.end(id, Ended::Unsubscribed),
            Err(_) => {}
        }
        self.schedule(id);
    }

    fn schedule(&mut self, id: u64) {
        let Some(s) = self.subs.get_mut(&id) else { return };
        let next = s.next_deadline().map(|(t, _)| t);
        if next != s.deadline {
            s.deadline = next;
            if let Some(at) = next {
                self.deadlines.push(at, id);
            }
        }
    }

    fn end(&mut self, id: u64, reason: Ended) {
        let Some(s) = self.subs.remove(&id) else { return };
        if let Some((tx, _, _)) = s.tx {
            self.by_tx.remove(&tx);
        }
        if let Some(d) = &s.dialog {
            let i = d.id();
            self.by_dialog.remove(&(i.call_id.clone(), i.local_tag.clone(), i.remote_tag.clone()));
        }
        self.by_call.retain(|_, v| *v != id);
        self.events.push_back(SubscriberEvent::Terminated { sub: SubscriptionId(id), reason });
    }

    /// Starts over with a new subscription after `after` (same id, new Call-ID and tag).
    fn retry(&mut self, ep: &mut Endpoint, id: u64, after: Duration, now: Instant) {
        let max = self.config.max_retries;
        let Some(s) = self.subs.get_mut(&id) else { return };
        if s.retries >= max {
            self.end(id, Ended::GaveUp);
            return;
        }
        s.retries += 1;
        if let Some(d) = s.dialog.take() {
            let i = d.id();
            self.by_dialog.remove(&(i.call_id.clone(), i.local_tag.clone(), i.remote_tag.clone()));
        }
        if let Some((tx, _, _)) = s.tx.take() {
            self.by_tx.remove(&tx);
        }
        self.by_call.retain(|_, v| *v != id);
        s.template.call_id = ep.ids().call_id(None);
        s.template.from_tag = ep.ids().tag();
        s.template.cseq = 1;
        s.template.unset("Authorization");
        s.template.unset("Proxy-Authorization");
        s.phase = Phase::Waiting;
        s.status = None;
        s.expires_at = None;
        s.refresh_at = None;
        s.timer_n = None;
        s.retry_at = Some(now + after);
        self.events.push_back(SubscriberEvent::Retrying { sub: SubscriptionId(id), after });
        self.schedule(id);
    }

    /// Takes an endpoint event: NOTIFYs and responses of this subscriber's requests are
    /// handled (and answered), anything else is handed back.
    #[allow(
        clippy::wildcard_enum_match_arm,
        reason = "a role hands on every event that is not its own, whatever it is"
    )]
    pub fn handle(&mut self, ep: &mut Endpoint, event: Event, now: Instant) -> Option<Event> {
        match event {
            Event::Request { tx, request, source, transport }
                if request.method() == Some(Method::Notify) =>
            {
                match self.notify(ep, tx, &request, now) {
                    true => None,
                    false => Some(Event::Request { tx, request, source, transport }),
                }
            }
            other => match crate::roles::route(&mut self.by_tx, other) {
                Routed::Final(id, response) => {
                    self.response(ep, id, &response, now);
                    None
                }
                Routed::Provisional => None,
                Routed::Failed(id) => {
                    self.failed(ep, id, now);
                    None
                }
                Routed::Other(e) => Some(e),
            },
        }
    }

    /// A NOTIFY: false when it is not for one of our subscriptions.
    fn notify(
        &mut self,
        ep: &mut Endpoint,
        tx: ServerTx,
        request: &OwnedMessage,
        now: Instant,
    ) -> bool {
        let Some((call, local, remote, event)) = request.view(|m| {
            let call = m.require::<CallId<'_>>().ok()?.0.into_owned();
            let local = m.require::<ToHeader<'_>>().ok()?.tag()?.to_owned();
            let remote = m.require::<FromHeader<'_>>().ok()?.tag()?.to_owned();
            let event = m.typed::<EventHeader<'_>>().ok().flatten().map(EventHeader::into_owned);
            Some((call, local, remote, event))
        }) else {
            return false;
        };
        let key = (call, local, remote);
        // what the NOTIFY must carry is checked before any state changes
        let Some(&candidate) =
            self.by_dialog.get(&key).or_else(|| self.by_call.get(&(key.0.clone(), key.1.clone())))
        else {
            return false;
        };
        let c = self.subs.get(&candidate).expect("indexed subscriptions exist");
        let matches = event.as_ref().is_some_and(|e| {
            e.event_type.eq_ignore_ascii_case(&c.event) && e.id() == c.id.as_deref()
        });
        if !matches {
            let _ = ep.respond(tx, &Reply::new(489, "Bad Event"), now);
            return true;
        }
        let Some(state) =
            typed::<SubscriptionState<'_>>(request).map(SubscriptionState::into_owned)
        else {
            let _ = ep.respond(tx, &Reply::new(400, "Missing Subscription-State"), now);
            return true;
        };
        // a dialog made from this NOTIFY has read its CSeq already
        let mut created = true;
        let id = if let Some(&id) = self.by_dialog.get(&key) {
            created = false;
            id
        } else {
            let Some(&root) = self.by_call.get(&(key.0.clone(), key.1.clone())) else {
                return false;
            };
            let s = self.subs.get(&root).expect("indexed subscriptions exist");
            let Some(sent) = s.request.clone() else { return false };
            let Ok(dialog) = Dialog::from_notify(&sent, request) else {
                let _ = ep.respond(tx, &Reply::new(400, "Bad Request"), now);
                return true;
            };
            if s.dialog.is_none() && s.phase != Phase::Waiting {
                let s = self.subs.get_mut(&root).expect("indexed subscriptions exist");
                s.dialog = Some(dialog);
                if s.phase == Phase::Subscribing {
                    s.phase = Phase::Established;
                }
                self.by_dialog.insert(key, root);
                root
            } else if s.forks {
                let id = self.next;
                self.next += 1;
                let fork = Sub {
                    phase: Phase::Established,
                    template: s.template.clone(),
                    request: s.request.clone(),
                    dialog: Some(dialog),
                    tx: None,
                    destination: s.destination,
                    transport: s.transport,
                    forks: true,
                    event: s.event.clone(),
                    id: s.id.clone(),
                    expires: s.expires,
                    expires_at: s.expires_at,
                    refresh_at: None,
                    timer_n: None,
                    retry_at: None,
                    deadline: None,
                    status: None,
                    retries: 0,
                    unsubscribe_pending: false,
                };
                self.subs.insert(id, fork);
                self.by_dialog.insert(key, id);
                self.events.push_back(SubscriberEvent::Forked {
                    sub: SubscriptionId(id),
                    from: SubscriptionId(root),
                });
                id
            } else {
                // §4.1.2.4: a package that does not fork takes the first dialog only
                let _ = ep.respond(tx, &Reply::new(481, "Subscription Does Not Exist"), now);
                return true;
            }
        };
        let s = self.subs.get_mut(&id).expect("indexed subscriptions exist");
        let dialog = s.dialog.as_mut().expect("a NOTIFY's subscription has its dialog");
        if let Err(rejection) = if created { Ok(()) } else { dialog.handle_request(request) } {
            let _ = ep.respond(tx, &Reply::new(rejection.code, rejection.reason), now);
            return true;
        }
        let _ = ep.respond(tx, &Reply::new(200, "OK"), now);
        let content_type = request
            .header(crate::message::HeaderName::ContentType)
            .and_then(|h| core::str::from_utf8(h.value()).ok().map(|v| v.trim().to_owned()));
        let body = request.body();
        let status = match &state.state {
            SubState::Pending => Status::Pending,
            SubState::Active | SubState::Terminated | SubState::Extension(_) => Status::Active,
        };
        let terminated = state.state == SubState::Terminated;
        if s.phase != Phase::Unsubscribing {
            // Timer N waits for the first NOTIFY; after unsubscribing, for the final one
            s.timer_n = None;
        }
        if !terminated {
            s.status = Some(status);
            if status == Status::Active {
                s.retries = 0;
            }
            // a NOTIFY without `expires` changes nothing (§4.1.3)
            if let Some(e) = state.expires().filter(|_| s.phase != Phase::Unsubscribing) {
                s.expires_at = Some(now + Duration::from_secs(e.into()));
                if s.phase == Phase::Established && s.tx.is_none() {
                    s.refresh_at = Some(now + refresh_after(e));
                }
            }
        }
        self.events.push_back(SubscriberEvent::Notify {
            sub: SubscriptionId(id),
            status,
            terminated,
            content_type,
            body,
        });
        if terminated {
            self.terminated(ep, id, &state, now);
        } else if s.unsubscribe_pending && s.phase == Phase::Established {
            self.send_in_dialog(ep, id, now);
        } else if s.phase == Phase::Established
            && s.tx.is_none()
            && s.refresh_at.is_none()
            && s.expires_at.is_none()
        {
            // no expiry known at all: refresh at the interval we asked for
            s.refresh_at = Some(now + refresh_after(s.expires));
        }
        self.schedule(id);
        true
    }

    /// A `terminated` NOTIFY: retry per the reason (§4.1.3), or end.
    fn terminated(
        &mut self,
        ep: &mut Endpoint,
        id: u64,
        state: &SubscriptionState<'_>,
        now: Instant,
    ) {
        let s = self.subs.get(&id).expect("the caller holds a live id");
        if s.phase == Phase::Unsubscribing || s.unsubscribe_pending {
            self.end(id, Ended::Unsubscribed);
            return;
        }
        let retry_after = state.retry_after();
        let wait = retry_after.map(|r| Duration::from_secs(r.into()));
        match state.reason().map(str::to_ascii_lowercase).as_deref() {
            Some("deactivated" | "timeout") => self.retry(ep, id, Duration::ZERO, now),
            Some("probation" | "giveup") => {
                let after = wait.unwrap_or(self.config.retry_default);
                self.retry(ep, id, after, now);
            }
            reason => {
                let reason = reason.map(str::to_owned);
                self.end(id, Ended::Notifier { reason, retry_after });
            }
        }
    }

    /// The final response to a request of subscription `id`.
    fn response(&mut self, ep: &mut Endpoint, id: u64, response: &OwnedMessage, now: Instant) {
        let Some(code) = response.status_code() else { return };
        let t1 = self.config.timers.t1;
        let s = self.subs.get_mut(&id).expect("indexed subscriptions exist");
        let Some((_, sent, mut template)) = s.tx.take() else { return };
        if let Some(d) = s.dialog.as_mut() {
            d.handle_response(&Method::Subscribe, response);
        }
        match code {
            200..=299 => {
                if let Some(a) = self.auth.as_mut() {
                    a.succeeded();
                }
                let granted = typed::<Expires>(response).map_or(s.expires, |e| e.0);
                match sent {
                    Sent::Unsubscribe => {
                        // the final NOTIFY should follow; Timer N bounds the wait
                        s.timer_n = Some(now + 64 * t1);
                    }
                    Sent::Initial | Sent::Refresh => {
                        s.expires_at = Some(now + Duration::from_secs(granted.into()));
                        if s.dialog.is_some() && !s.unsubscribe_pending {
                            s.refresh_at = Some(now + refresh_after(granted));
                        }
                        if s.dialog.is_none() {
                            s.timer_n = Some(now + 64 * t1);
                        }
                        self.events.push_back(SubscriberEvent::Accepted {
                            sub: SubscriptionId(id),
                            expires: granted,
                        });
                        if s.unsubscribe_pending && s.dialog.is_some() {
                            self.send_in_dialog(ep, id, now);
                        }
                    }
                }
            }
            401 | 407 => {
                if template.authorize(ep, self.auth.as_mut(), response) {
                    let s = self.subs.get_mut(&id).expect("live");
                    let again = renumber(s, sent, template);
                    self.resend(ep, id, sent, again, now);
                } else {
                    self.refused(ep, id, sent, code, now);
                }
            }
            423 => {
                let min = typed::<MinExpires>(response).map(|m| m.0);
                match min {
                    Some(min) if min > s.expires => {
                        s.expires = min;
                        template.set("Expires", min.to_string());
                        let again = renumber(s, sent, template);
                        self.resend(ep, id, sent, again, now);
                    }
                    Some(_) | None => self.refused(ep, id, sent, code, now),
                }
            }
            _ => self.refused(ep, id, sent, code, now),
        }
        self.schedule(id);
    }

    /// Sends `template` again (credentials, a longer expiry); an initial SUBSCRIBE's
    /// headers and CSeq become the subscription's, for later retries.
    fn resend(&mut self, ep: &mut Endpoint, id: u64, sent: Sent, template: Template, now: Instant) {
        let s = self.subs.get_mut(&id).expect("live");
        if sent == Sent::Initial {
            s.template.headers.clone_from(&template.headers);
            s.template.cseq = template.cseq;
        }
        let request = template.build(ep, s.transport);
        if sent == Sent::Initial {
            s.request = Some(request.clone());
        }
        let dest =
            s.dialog.as_ref().map_or(s.destination, |d| destination(&d.next_hop(), s.destination));
        match ep.send_request(request, dest, s.transport, now) {
            Ok(tx) => {
                s.tx = Some((tx, sent, template));
                self.by_tx.insert(tx, id);
            }
            Err(_) => self.failed(ep, id, now),
        }
    }

    /// A final failure of a request of subscription `id`.
    fn refused(&mut self, ep: &mut Endpoint, id: u64, sent: Sent, code: u16, now: Instant) {
        let s = self.subs.get_mut(&id).expect("live");
        match sent {
            // a NOTIFY may have come first, yet the SUBSCRIBE failed: it is over
            Sent::Initial => self.end(id, Ended::Refused { code }),
            Sent::Unsubscribe => self.end(id, Ended::Unsubscribed),
            // §4.1.2.2: these end the subscription; other failures leave it to expire
            Sent::Refresh
                if matches!(code, 404 | 405 | 410 | 416 | 480..=485 | 489 | 501 | 604) =>
            {
                self.end(id, Ended::Refused { code });
            }
            Sent::Refresh => {
                if s.unsubscribe_pending {
                    self.send_in_dialog(ep, id, now);
                }
            }
        }
    }

    /// No answer (Timer F) or a transport failure.
    fn failed(&mut self, ep: &mut Endpoint, id: u64, now: Instant) {
        let Some(s) = self.subs.get_mut(&id) else { return };
        let sent = s.tx.take().map(|(_, k, _)| k);
        match sent {
            Some(Sent::Initial) | None if s.dialog.is_none() => self.end(id, Ended::Timeout),
            Some(Sent::Unsubscribe) => self.end(id, Ended::Unsubscribed),
            Some(Sent::Initial | Sent::Refresh) | None => {
                // the subscription lives until it expires; refresh again half way there
                if let Some(exp) = s.expires_at {
                    let left = exp.saturating_duration_since(now);
                    if left > Duration::from_secs(2) {
                        s.refresh_at = Some(now + left / 2);
                    }
                }
                if s.unsubscribe_pending {
                    self.send_in_dialog(ep, id, now);
                }
                self.schedule(id);
            }
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SubscriberEvent> {
        self.events.pop_front()
    }

    /// When to call [`Subscriber::handle_timeout`], and for which timer.
    pub fn poll_timeout(&mut self) -> Option<(Instant, SubscriberTimer)> {
        let subs = &self.subs;
        let (at, id) =
            self.deadlines.peek(|at, id| subs.get(&id).is_some_and(|s| s.deadline == Some(at)))?;
        let timer = self.subs[&id].next_deadline().map(|(_, t)| t)?;
        Some((at, timer))
    }

    /// Fires what is due at `now`.
    pub fn handle_timeout(&mut self, ep: &mut Endpoint, now: Instant) {
        loop {
            let subs = &self.subs;
            let Some((_, id)) = self
                .deadlines
                .pop_due(now, |at, id| subs.get(&id).is_some_and(|s| s.deadline == Some(at)))
            else {
                break;
            };
            let s = self.subs.get_mut(&id).expect("live deadlines belong to live subscriptions");
            s.deadline = None;
            while let Some((at, timer)) = self.subs.get(&id).and_then(Sub::next_deadline) {
                if at > now {
                    break;
                }
                let s = self.subs.get_mut(&id).expect("checked just above");
                match timer {
                    SubscriberTimer::Expiry => {
                        let reason = if s.phase == Phase::Unsubscribing {
                            Ended::Unsubscribed
                        } else {
                            Ended::Expired
                        };
                        self.end(id, reason);
                    }
                    SubscriberTimer::N => {
                        let reason = if s.phase == Phase::Unsubscribing {
                            Ended::Unsubscribed
                        } else {
                            Ended::NoNotify
                        };
                        self.end(id, reason);
                    }
                    SubscriberTimer::Refresh => {
                        s.refresh_at = None;
                        self.send_in_dialog(ep, id, now);
                    }
                    SubscriberTimer::Retry => {
                        s.retry_at = None;
                        s.phase = Phase::Subscribing;
                        self.send_initial(ep, id, now);
                    }
                }
            }
            self.schedule(id);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Notifier
// ---------------------------------------------------------------------------------------

/// A subscription this side serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotifierSub(u64);

impl NotifierSub {
    /// A subscription id made up, to drive an [`EventPackage`] without a [`Notifier`] (tests,
    /// fuzzing); a notifier numbers its own from 0.
    pub const fn from_raw(id: u64) -> Self {
        Self(id)
    }
}

/// What the authorization policy says of a watcher (RFC 6665 §4.2.1.2, RFC 3857 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authorization {
    /// State flows.
    Active,
    /// The watcher waits for a decision (no state in its NOTIFYs).
    Pending,
    /// Refused: `terminated;reason=rejected`.
    Rejected,
}

/// How a [`Notifier`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NotifierConfig {
    /// Our Contact for the subscription dialogs.
    pub contact: String,
    /// The decision for watchers the table of [`Notifier::authorize`] does not name.
    pub authorization: Authorization,
    /// The least time between two NOTIFYs of one subscription (later changes coalesce into
    /// the next one); a subscriber's `max-rate` can only make it longer.
    pub min_interval: Duration,
    /// `(username, password)` for a 401/407 to a NOTIFY (at most 3 in a row).
    pub credentials: Option<(String, String)>,
    /// Most subscriptions served; a SUBSCRIBE beyond gets 503.
    pub max_subscriptions: usize,
    /// RFC 6446 adaptive-min-rate: the averaging period, as a multiple of 1/rate.
    pub adaptive_period: u32,
    /// Keep a journal of the subscriptions' stored state for [`Notifier::poll_journal`] (a
    /// server that keeps its subscriptions across restarts); off by default, since an
    /// undrained journal grows.
    pub journal: bool,
}

impl NotifierConfig {
    /// Defaults: every watcher active, no rate limit, 100 000 subscriptions.
    pub fn new(contact: &str) -> Self {
        Self {
            contact: contact.to_owned(),
            authorization: Authorization::Active,
            min_interval: Duration::ZERO,
            credentials: None,
            max_subscriptions: 100_000,
            adaptive_period: 10,
            journal: false,
        }
    }
}

/// Why a served subscription ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifierEnd {
    /// It was not refreshed in time (`reason=timeout` sent).
    Expired,
    /// The subscriber unsubscribed (or fetched, with Expires: 0).
    Unsubscribed,
    /// The authorization became [`Authorization::Rejected`].
    Rejected,
    /// A NOTIFY got 481, or no answer, or the transport failed.
    NotifyFailed {
        /// The status, `None` for a timeout or a transport failure.
        code: Option<u16>,
    },
    /// The application ended it ([`Notifier::terminate`]).
    Terminated,
}

/// What a [`Notifier`] tells its user: what winfo reports (RFC 3857 §3.2 events).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifierEvent {
    /// A new subscription (answered 200, its first NOTIFY sent).
    Subscribed {
        /// The subscription.
        sub: NotifierSub,
        /// The resource watched.
        resource: String,
        /// The watcher.
        watcher: String,
        /// Its authorization.
        status: Authorization,
        /// The SUBSCRIBE's Call-ID (winfo reports watchers by it).
        call_id: String,
        /// The seconds granted.
        expires: u32,
    },
    /// A refresh.
    Refreshed {
        /// The subscription.
        sub: NotifierSub,
        /// The resource.
        resource: String,
        /// The seconds granted.
        expires: u32,
    },
    /// The authorization of a subscription changed.
    StatusChanged {
        /// The subscription.
        sub: NotifierSub,
        /// The resource.
        resource: String,
        /// The new status.
        status: Authorization,
    },
    /// A subscription ended.
    Terminated {
        /// The subscription.
        sub: NotifierSub,
        /// The resource.
        resource: String,
        /// The watcher.
        watcher: String,
        /// Why.
        reason: NotifierEnd,
    },
}

/// The timers of a [`Notifier`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotifierTimer {
    /// A subscription expires.
    Expiry,
    /// A NOTIFY held back by the rate limit may go.
    Hold,
    /// `min-rate` / `adaptive-min-rate`: a NOTIFY is due though nothing changed.
    MinRate,
}

#[derive(Debug)]
struct Served {
    dialog: Dialog,
    /// Shared with the other subscriptions to the resource.
    resource: Arc<str>,
    watcher: String,
    /// The Event header value (type and id).
    event: String,
    /// The package's content types the subscriber accepts, as bits of their positions.
    accept: u8,
    status: Authorization,
    expires_at: Instant,
    peer: SocketAddr,
    transport: Transport,
    in_flight: Option<(ClientTx, Box<Template>)>,
    /// State changed since the NOTIFY in flight was built.
    dirty: bool,
    full: bool,
    /// A terminating NOTIFY is due or in flight: the subscription ends with its answer.
    ending: Option<(NotifierEnd, &'static str)>,
    /// The `retry-after` of the terminating NOTIFY.
    retry_after: Option<u32>,
    last_notify: Option<Instant>,
    hold_until: Option<Instant>,
    /// RFC 6446 rate control, for the few subscriptions that ask for it.
    rates: Option<Box<Rates>>,
    deadline: Option<Instant>,
}

/// What a subscription with rate control keeps.
#[derive(Debug, Default)]
struct Rates {
    rate: RateControl,
    /// NOTIFY times in the adaptive-min-rate period.
    history: VecDeque<Instant>,
}

impl Served {
    /// The rate control agreed (none for most subscriptions).
    fn rate(&self) -> RateControl {
        self.rates.as_ref().map_or_else(RateControl::default, |r| r.rate)
    }

    fn set_rate(&mut self, rate: RateControl) {
        match (&mut self.rates, rate.is_empty()) {
            (Some(r), false) => r.rate = rate,
            (None, false) => self.rates = Some(Box::new(Rates { rate, history: VecDeque::new() })),
            (_, true) => self.rates = None,
        }
    }

    fn min_interval(&self, floor: Duration) -> Duration {
        let from_rate = self.rate().max_rate.map_or(Duration::ZERO, secs);
        from_rate.max(floor)
    }

    /// When a NOTIFY is due though nothing changed (min-rate, adaptive-min-rate).
    fn min_rate_at(&self, period_mult: u32) -> Option<Instant> {
        let last = self.last_notify?;
        let rates = self.rates.as_ref()?;
        let mut timeout = rates.rate.min_rate.map(secs);
        if let Some(a) = rates.rate.adaptive_min_rate {
            let period = f64::from(period_mult.max(2)) / a;
            let count = rates.history.len().max(1) as f64;
            // RFC 6446 (1): timeout = count / (rate^2 * period), bounded below by max-rate (2)
            let mut t = count / (a * a * period);
            if let Some(m) = rates.rate.max_rate {
                t = t.max(1.0 / m);
            }
            let t = Duration::from_secs_f64(t.clamp(0.001, 1.0e9));
            timeout = Some(timeout.map_or(t, |x| x.min(t)));
        }
        timeout.map(|t| last + t)
    }

    fn next_deadline(&self, period_mult: u32) -> Option<(Instant, NotifierTimer)> {
        let min_rate =
            if self.in_flight.is_none() && self.ending.is_none() && self.hold_until.is_none() {
                self.min_rate_at(period_mult)
            } else {
                None
            };
        [
            // once ending, the terminating NOTIFY's own transaction bounds what is left
            self.ending.is_none().then_some((self.expires_at, NotifierTimer::Expiry)),
            self.hold_until.map(|t| (t, NotifierTimer::Hold)),
            min_rate.map(|t| (t, NotifierTimer::MinRate)),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|(t, _)| *t)
    }
}

/// A served subscription as plain data ([`Notifier::record`], [`Notifier::restore`]): what a
/// server stores so that its subscriptions outlive a restart (the next NOTIFY carries the next
/// CSeq of the dialog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    /// The subscription's dialog.
    pub dialog: DialogRecord,
    /// The resource watched (a [`resource_key`]).
    pub resource: String,
    /// The watcher (a [`resource_key`]).
    pub watcher: String,
    /// The Event header value (type and id).
    pub event: String,
    /// The package's content types the subscriber accepts.
    pub accept: Vec<String>,
    /// Its authorization.
    pub status: Authorization,
    /// Time left until it expires.
    pub expires_in: Duration,
    /// Where its NOTIFYs go.
    pub peer: SocketAddr,
    /// Over what.
    pub transport: Transport,
    /// The package's document version last sent ([`EventPackage::version`]).
    pub version: Option<u64>,
}

/// What changed in the stored state of a [`Notifier`] ([`NotifierConfig::journal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Journal {
    /// A subscription is new or changed (a NOTIFY moved its CSeq, a refresh its expiry, a
    /// decision its status): store this.
    Saved(Box<SubscriptionRecord>),
    /// The subscription of this dialog ended: forget it.
    Removed(DialogId),
}

/// The notifier role (RFC 6665 §4.2) for one event package `P`. See the
/// [module docs](self) for the polling order.
#[derive(Debug)]
pub struct Notifier<P> {
    config: NotifierConfig,
    package: P,
    auth: Option<DigestClient>,
    next: u64,
    /// Boxed: the map's spare capacity then costs a pointer per slot, not a subscription.
    subs: HashMap<u64, Box<Served>>,
    /// Dialogs by a hash of their id (checked against the subscription's dialog), and the
    /// rare ids whose hash was taken already.
    by_dialog: HashMap<u64, u64>,
    dialog_overflow: HashMap<DialogKey, u64>,
    by_resource: HashMap<Arc<str>, HashSet<u64>>,
    by_tx: HashMap<ClientTx, u64>,
    /// The package's content types, copied once.
    types: Vec<String>,
    policy: HashMap<(String, String), Authorization>,
    deadlines: Deadlines<u64>,
    events: VecDeque<NotifierEvent>,
    body: Vec<u8>,
    /// With [`NotifierConfig::journal`]: subscriptions whose stored state changed, and the
    /// dialogs of those that ended.
    saved: std::collections::BTreeSet<u64>,
    removed: VecDeque<DialogId>,
}

impl<P: EventPackage> Notifier<P> {
    /// A notifier for `package`.
    pub fn new(config: NotifierConfig, package: P) -> Self {
        let auth = config.credentials.as_ref().map(|(u, p)| DigestClient::new(u, p));
        let types = package.content_types().iter().take(8).map(|t| (*t).to_owned()).collect();
        Self {
            config,
            package,
            auth,
            next: 0,
            subs: HashMap::new(),
            by_dialog: HashMap::new(),
            dialog_overflow: HashMap::new(),
            by_resource: HashMap::new(),
            by_tx: HashMap::new(),
            types,
            policy: HashMap::new(),
            deadlines: Deadlines::new(),
            events: VecDeque::new(),
            body: Vec::new(),
            saved: std::collections::BTreeSet::new(),
            removed: VecDeque::new(),
        }
    }

    /// The package.
    pub const fn package(&self) -> &P {
        &self.package
    }

    /// The package, to change its state (then call [`Notifier::changed`]).
    pub const fn package_mut(&mut self) -> &mut P {
        &mut self.package
    }

    /// Subscriptions served.
    pub fn len(&self) -> usize {
        self.subs.len()
    }

    /// Whether none are served.
    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    /// The subscriptions to `resource`.
    pub fn subscriptions(&self, resource: &str) -> impl Iterator<Item = NotifierSub> + '_ {
        self.by_resource.get(resource).into_iter().flatten().map(|&id| NotifierSub(id))
    }

    /// The watcher and authorization of a subscription.
    pub fn watcher(&self, sub: NotifierSub) -> Option<(&str, Authorization)> {
        self.subs.get(&sub.0).map(|s| (s.watcher.as_str(), s.status))
    }

    /// The state of `resource` changed: every active subscription to it gets a NOTIFY (one
    /// in flight per subscription; changes meanwhile coalesce into the next; rate limits
    /// hold it back).
    pub fn changed(&mut self, ep: &mut Endpoint, resource: &str, now: Instant) {
        let ids: Vec<u64> =
            self.by_resource.get(resource).map(|s| s.iter().copied().collect()).unwrap_or_default();
        for id in ids {
            if self.subs.get(&id).is_some_and(|s| s.status == Authorization::Active) {
                self.kick(ep, id, now);
            }
        }
    }

    /// The state subscription `sub` watches changed (a package whose subscriptions each
    /// select their own state, such as xcap-diff's): it gets a NOTIFY if active, as
    /// [`Notifier::changed`] sends them. False for an unknown one.
    pub fn notify(&mut self, ep: &mut Endpoint, sub: NotifierSub, now: Instant) -> bool {
        let Some(s) = self.subs.get(&sub.0) else { return false };
        if s.status == Authorization::Active {
            self.kick(ep, sub.0, now);
        }
        true
    }

    /// Sets the policy for `watcher` of `resource` (both [`resource_key`]s or URIs): the
    /// subscriptions it covers change status now (a NOTIFY tells each), and later ones start
    /// with it.
    pub fn authorize(
        &mut self,
        ep: &mut Endpoint,
        resource: &str,
        watcher: &str,
        decision: Authorization,
        now: Instant,
    ) {
        let (resource, watcher) = (resource_key(resource), resource_key(watcher));
        let ids: Vec<u64> = self
            .by_resource
            .get(resource.as_str())
            .map(|s| s.iter().copied().filter(|id| self.subs[id].watcher == watcher).collect())
            .unwrap_or_default();
        self.policy.insert((resource, watcher), decision);
        for id in ids {
            let s = self.subs.get_mut(&id).expect("indexed");
            if s.status == decision || s.ending.is_some() {
                continue;
            }
            s.status = decision;
            s.full = true;
            // a change of authorization is news about the subscription itself: not held back
            s.last_notify = None;
            s.hold_until = None;
            self.events.push_back(NotifierEvent::StatusChanged {
                sub: NotifierSub(id),
                resource: s.resource.to_string(),
                status: decision,
            });
            if decision == Authorization::Rejected {
                s.ending = Some((NotifierEnd::Rejected, "rejected"));
            }
            self.kick(ep, id, now);
        }
    }

    /// Ends a subscription with `reason` (`deactivated`, `noresource`, `probation`,
    /// `giveup`, `invariant`, ...) and an optional `retry-after` in seconds (RFC 6665
    /// §4.1.3). False for an unknown one.
    pub fn terminate(
        &mut self,
        ep: &mut Endpoint,
        sub: NotifierSub,
        reason: &'static str,
        retry_after: Option<u32>,
        now: Instant,
    ) -> bool {
        let Some(s) = self.subs.get_mut(&sub.0) else { return false };
        if s.ending.is_none() {
            s.ending = Some((NotifierEnd::Terminated, reason));
            s.retry_after = retry_after;
        }
        self.kick(ep, sub.0, now);
        true
    }

    /// Takes an endpoint event: SUBSCRIBEs of this package and responses to our NOTIFYs are
    /// handled, anything else is handed back.
    #[allow(
        clippy::wildcard_enum_match_arm,
        reason = "a role hands on every event that is not its own, whatever it is"
    )]
    pub fn handle(&mut self, ep: &mut Endpoint, event: Event, now: Instant) -> Option<Event> {
        match event {
            Event::Request { tx, request, source, transport }
                if crate::roles::for_package(&request, &Method::Subscribe, self.package.name()) =>
            {
                self.subscribe(ep, tx, &request, source, transport, now);
                None
            }
            other => match crate::roles::route(&mut self.by_tx, other) {
                Routed::Final(id, response) => {
                    self.notify_answered(ep, id, &response, now);
                    None
                }
                Routed::Provisional => None,
                Routed::Failed(id) => {
                    // a terminating NOTIFY that got no answer ends the subscription anyway
                    let failed = NotifierEnd::NotifyFailed { code: None };
                    let reason = self.subs.get(&id).and_then(|s| s.ending).map_or(failed, |e| e.0);
                    self.remove(id, reason);
                    None
                }
                Routed::Other(e) => Some(e),
            },
        }
    }

    fn subscribe(
        &mut self,
        ep: &mut Endpoint,
        tx: ServerTx,
        request: &OwnedMessage,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        let (min, max, default) = (
            self.package.min_expires(),
            self.package.max_expires(),
            self.package.default_expires(),
        );
        let requested = typed::<Expires>(request).map_or(default, |e| e.0);
        if requested != 0 && requested < min {
            let value = min.to_string();
            let headers = [("Min-Expires", value.as_bytes())];
            let _ = ep.respond(tx, &Reply::new(423, "Interval Too Brief").headers(&headers), now);
            return;
        }
        let granted = requested.min(max);
        let to_tag = request
            .view(|m| m.require::<ToHeader<'_>>().ok().and_then(|t| t.tag().map(str::to_owned)));
        let event = typed::<EventHeader<'_>>(request)
            .map(EventHeader::into_owned)
            .expect("checked by handle");
        if let Some(to_tag) = to_tag {
            self.refresh(ep, tx, request, &to_tag, granted, &event, now);
            return;
        }
        let rate = RateControl::read(&event.params);
        if self.subs.len() >= self.config.max_subscriptions {
            let _ = ep.respond(
                tx,
                &Reply::new(503, "Service Unavailable").headers(&[("Retry-After", b"60")]),
                now,
            );
            return;
        }
        // Accept: the package's types the subscriber takes, in the package's order
        let accepts: Vec<String> = request.view(|m| {
            m.typed_all::<Accept<'_>>()
                .filter_map(Result::ok)
                .map(|a| format!("{}/{}", a.0.type_, a.0.subtype).to_ascii_lowercase())
                .collect()
        });
        let accept: u8 = if accepts.is_empty() {
            u8::from(!self.types.is_empty())
        } else {
            self.types
                .iter()
                .enumerate()
                .filter(|(_, o)| {
                    accepts.iter().any(|a| {
                        a == "*/*"
                            || a.eq_ignore_ascii_case(o)
                            || a.strip_suffix("/*").is_some_and(|t| o.split('/').next() == Some(t))
                    })
                })
                .fold(0, |m, (i, _)| m | (1 << i))
        };
        if accept == 0 {
            let list = self.types.join(", ");
            let headers = [("Accept", list.as_bytes())];
            let _ = ep.respond(tx, &Reply::new(406, "Not Acceptable").headers(&headers), now);
            return;
        }
        let resource_text =
            crate::roles::request_uri(request).map_or_else(String::new, |u| resource_key(&u));
        let watcher = request.view(|m| {
            m.require::<FromHeader<'_>>()
                .map(|f| resource_key(&f.0.uri.to_string()))
                .unwrap_or_default()
        });
        // the id `serve` gives it
        let sub = NotifierSub(self.next);
        if let Err((code, reason)) =
            self.package_subscribing(request, sub, false, &resource_text, &watcher, &event)
        {
            let _ = ep.respond(tx, &Reply::new(code, reason), now);
            return;
        }
        let expires = granted.to_string();
        let contact = self.config.contact.clone();
        let headers = [("Expires", expires.as_bytes()), ("Contact", contact.as_bytes())];
        let dialog = ep
            .respond(tx, &Reply::new(200, "OK").headers(&headers), now)
            .ok()
            .and_then(|()| ep.local_tag(tx).map(str::to_owned))
            .and_then(|tag| Dialog::uas(request, &tag, DialogState::Confirmed).ok());
        let Some(dialog) = dialog else {
            // nothing is served: the package forgets what it read
            self.package.ended(sub);
            return;
        };
        let resource = self.intern(&resource_text);
        let status = self
            .policy
            .get(&(resource_text.clone(), watcher.clone()))
            .copied()
            .or_else(|| self.package.authorize(&resource_text, &watcher))
            .unwrap_or(self.config.authorization);
        // NOTIFYs follow the route set, else the target; a name there is resolved by the
        // caller, so the SUBSCRIBE's source stands in (RFC 3263 is not ours)
        let peer = destination(&dialog.next_hop(), source);
        let mut event_value = event.event_type.to_string();
        if let Some(i) = event.id() {
            event_value.push_str(";id=");
            event_value.push_str(i);
        }
        let ending = match (granted, status) {
            (_, Authorization::Rejected) => Some((NotifierEnd::Rejected, "rejected")),
            (0, _) => Some((NotifierEnd::Unsubscribed, "timeout")),
            _ => None,
        };
        let served = Served {
            dialog,
            resource,
            watcher,
            event: event_value,
            accept,
            status,
            expires_at: now + Duration::from_secs(granted.into()),
            peer,
            transport,
            in_flight: None,
            dirty: true,
            full: true,
            ending,
            retry_after: None,
            last_notify: None,
            hold_until: None,
            rates: (!rate.is_empty()).then(|| Box::new(Rates { rate, history: VecDeque::new() })),
            deadline: None,
        };
        self.serve(ep, served, granted, None, now);
    }

    /// Shows the package a SUBSCRIBE ([`EventPackage::subscribing`]).
    fn package_subscribing(
        &mut self,
        request: &OwnedMessage,
        sub: NotifierSub,
        refresh: bool,
        resource: &str,
        watcher: &str,
        event: &EventHeader<'_>,
    ) -> Result<(), (u16, &'static str)> {
        let content_type =
            typed::<ContentType<'_>>(request).map(|c| format!("{}/{}", c.0.type_, c.0.subtype));
        let body = request.body();
        self.package.subscribing(&SubscribeRequest {
            sub,
            refresh,
            resource,
            watcher,
            event,
            content_type: content_type.as_deref(),
            body: &body,
        })
    }

    /// The resource's name shared with the other subscriptions to it.
    fn intern(&self, resource: &str) -> Arc<str> {
        self.by_resource
            .get_key_value(resource)
            .map_or_else(|| Arc::from(resource), |(k, _)| Arc::clone(k))
    }

    /// Serves a new (or restored) subscription: indexed, announced as `Subscribed` with
    /// `expires`, its package's numbering set to `version` when restored, and its first NOTIFY
    /// sent.
    fn serve(
        &mut self,
        ep: &mut Endpoint,
        served: Served,
        expires: u32,
        version: Option<u64>,
        now: Instant,
    ) -> NotifierSub {
        let id = self.next;
        self.next += 1;
        let key = {
            let i = served.dialog.id();
            (i.call_id.clone(), i.local_tag.clone(), i.remote_tag.clone())
        };
        let event = NotifierEvent::Subscribed {
            sub: NotifierSub(id),
            resource: served.resource.to_string(),
            watcher: served.watcher.clone(),
            status: served.status,
            call_id: key.0.clone(),
            expires,
        };
        self.by_resource.entry(Arc::clone(&served.resource)).or_default().insert(id);
        self.subs.insert(id, Box::new(served));
        self.index_dialog(key, id);
        if let Some(v) = version {
            self.package.restore_version(NotifierSub(id), v);
        }
        self.events.push_back(event);
        self.send_notify(ep, id, now);
        NotifierSub(id)
    }

    fn dialog_hash(key: &DialogKey) -> u64 {
        use core::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    }

    fn index_dialog(&mut self, key: DialogKey, id: u64) {
        match self.by_dialog.entry(Self::dialog_hash(&key)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(id);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.dialog_overflow.insert(key, id);
            }
        }
    }

    fn find_dialog(&self, key: &DialogKey) -> Option<u64> {
        let same = |id: &u64| {
            self.subs.get(id).is_some_and(|s| {
                let i = s.dialog.id();
                i.call_id == key.0 && i.local_tag == key.1 && i.remote_tag == key.2
            })
        };
        match self.by_dialog.get(&Self::dialog_hash(key)) {
            Some(id) if same(id) => Some(*id),
            Some(_) | None => self.dialog_overflow.get(key).copied(),
        }
    }

    fn unindex_dialog(&mut self, id: u64, dialog: &Dialog) {
        let i = dialog.id();
        let key = (i.call_id.clone(), i.local_tag.clone(), i.remote_tag.clone());
        let h = Self::dialog_hash(&key);
        if self.by_dialog.get(&h) == Some(&id) {
            self.by_dialog.remove(&h);
        } else {
            self.dialog_overflow.remove(&key);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn refresh(
        &mut self,
        ep: &mut Endpoint,
        tx: ServerTx,
        request: &OwnedMessage,
        to_tag: &str,
        granted: u32,
        event: &EventHeader<'_>,
        now: Instant,
    ) {
        let key = request.view(|m| {
            let call = m.require::<CallId<'_>>().ok()?.0.into_owned();
            let remote = m.require::<FromHeader<'_>>().ok()?.tag()?.to_owned();
            Some((call, to_tag.to_owned(), remote))
        });
        let Some(id) = key.as_ref().and_then(|k| self.find_dialog(k)) else {
            let _ = ep.respond(tx, &Reply::new(481, "Subscription Does Not Exist"), now);
            return;
        };
        let s = self.subs.get_mut(&id).expect("indexed");
        if let Err(r) = s.dialog.handle_request(request) {
            let _ = ep.respond(tx, &Reply::new(r.code, r.reason), now);
            return;
        }
        let (resource, watcher) = (Arc::clone(&s.resource), s.watcher.clone());
        if let Err((code, reason)) =
            self.package_subscribing(request, NotifierSub(id), true, &resource, &watcher, event)
        {
            let _ = ep.respond(tx, &Reply::new(code, reason), now);
            return;
        }
        let s = self.subs.get_mut(&id).expect("indexed");
        // a refresh may move the target (§4.1.2.4: SUBSCRIBE refreshes it)
        s.peer = destination(&s.dialog.next_hop(), s.peer);
        let expires = granted.to_string();
        let contact = self.config.contact.clone();
        let headers = [("Expires", expires.as_bytes()), ("Contact", contact.as_bytes())];
        let _ = ep.respond(tx, &Reply::new(200, "OK").headers(&headers), now);
        s.set_rate(RateControl::read(&event.params));
        s.full = true; // §4.2.1.2: a refresh gets the full state
        s.dirty = true;
        if granted == 0 {
            if s.ending.is_none() {
                s.ending = Some((NotifierEnd::Unsubscribed, "timeout"));
            }
        } else {
            s.expires_at = now + Duration::from_secs(granted.into());
            self.events.push_back(NotifierEvent::Refreshed {
                sub: NotifierSub(id),
                resource: s.resource.to_string(),
                expires: granted,
            });
        }
        // the answer to a refresh is not held back by rate control
        s.hold_until = None;
        s.last_notify = None;
        self.send_notify(ep, id, now);
    }

    /// State changed for subscription `id`: send now, or when the one in flight is answered,
    /// or when the rate limit allows.
    fn kick(&mut self, ep: &mut Endpoint, id: u64, now: Instant) {
        let Some(s) = self.subs.get_mut(&id) else { return };
        s.dirty = true;
        self.send_notify(ep, id, now);
    }

    fn send_notify(&mut self, ep: &mut Endpoint, id: u64, now: Instant) {
        let floor = self.config.min_interval;
        let Some(s) = self.subs.get_mut(&id) else { return };
        if s.in_flight.is_some() || !s.dirty {
            self.schedule(id);
            return;
        }
        if s.ending.is_none() {
            if let Some(last) = s.last_notify {
                let at = last + s.min_interval(floor);
                if at > now {
                    s.hold_until = Some(at);
                    self.schedule(id);
                    return;
                }
            }
        }
        s.hold_until = None;
        s.dirty = false;
        let remaining = s.expires_at.saturating_duration_since(now).as_secs();
        let mut state = match (s.ending, s.status) {
            (Some((_, reason)), _) => match s.retry_after {
                Some(r) => format!("terminated;reason={reason};retry-after={r}"),
                None => format!("terminated;reason={reason}"),
            },
            (None, Authorization::Active) => format!("active;expires={remaining}"),
            (None, Authorization::Pending) => format!("pending;expires={remaining}"),
            (None, Authorization::Rejected) => "terminated;reason=rejected".to_owned(),
        };
        if let (Some(rates), None) = (s.rates.as_mut(), s.ending) {
            // §5.3: a max-rate that would starve the subscription is raised to 1/remaining
            if let Some(m) = rates.rate.max_rate {
                if remaining > 0 && 1.0 / m > remaining as f64 {
                    rates.rate.max_rate = Some(1.0 / remaining as f64);
                }
            }
            rates.rate.write(&mut state);
        }
        let mut t = Template::in_dialog(s.dialog.next_request(Method::Notify));
        t.contact = Some(self.config.contact.clone());
        t.set("Event", s.event.clone());
        t.set("Subscription-State", state);
        let send_state = s.status == Authorization::Active
            && !matches!(
                s.ending,
                Some((
                    NotifierEnd::Rejected | NotifierEnd::NotifyFailed { .. } | NotifierEnd::Expired,
                    _
                ))
            );
        if send_state {
            self.body.clear();
            let mut accept: [&str; 8] = [""; 8];
            let mut n = 0;
            for t in accepted(&self.types, s.accept) {
                accept[n] = t;
                n += 1;
            }
            let request = BodyRequest {
                sub: NotifierSub(id),
                resource: &s.resource,
                watcher: &s.watcher,
                accept: &accept[..n],
                full: s.full,
                now,
            };
            if let Some(ct) = self.package.body(&request, &mut self.body) {
                t.body = Some((ct, Bytes::copy_from_slice(&self.body)));
            }
            s.full = false;
        }
        // where NOTIFYs go was worked out when the subscription (or a refresh) set the target
        let dest = s.peer;
        let message = t.build(ep, s.transport);
        s.last_notify = Some(now);
        if let Some(rates) = s.rates.as_mut() {
            match rates.rate.adaptive_min_rate {
                Some(a) => {
                    rates.history.push_back(now);
                    let mult = f64::from(self.config.adaptive_period.max(2));
                    let period = Duration::from_secs_f64(mult / a);
                    while rates
                        .history
                        .front()
                        .is_some_and(|&t| now.saturating_duration_since(t) > period)
                    {
                        rates.history.pop_front();
                    }
                }
                None => rates.history.clear(),
            }
        }
        match ep.send_request(message, dest, s.transport, now) {
            Ok(tx) => {
                s.in_flight = Some((tx, Box::new(t)));
                self.by_tx.insert(tx, id);
                self.journal(id);
            }
            Err(_) => {
                self.remove(id, NotifierEnd::NotifyFailed { code: Some(503) });
                return;
            }
        }
        self.schedule(id);
    }

    fn notify_answered(
        &mut self,
        ep: &mut Endpoint,
        id: u64,
        response: &OwnedMessage,
        now: Instant,
    ) {
        let Some(s) = self.subs.get_mut(&id) else { return };
        let Some((_, mut template)) = s.in_flight.take() else { return };
        let code = response.status_code().unwrap_or(500);
        match code {
            200..=299 => {
                if let Some(a) = self.auth.as_mut() {
                    a.succeeded();
                }
                let was_final = template
                    .get("Subscription-State")
                    .is_some_and(|v| v.starts_with(b"terminated"));
                if let (Some((reason, _)), true) = (s.ending, was_final) {
                    self.remove(id, reason);
                    return;
                }
                // RFC 6446 §4.1: the subscriber may change its rates in the 2xx's Event
                if let Some(e) = typed::<EventHeader<'_>>(response) {
                    let rate = RateControl::read(&e.params);
                    if !rate.is_empty() {
                        s.set_rate(rate);
                    }
                }
                self.send_notify(ep, id, now);
            }
            401 | 407 => {
                if template.authorize(ep, self.auth.as_mut(), response) {
                    let s = self.subs.get_mut(&id).expect("live");
                    let next = template.next_in(&mut s.dialog);
                    let message = next.build(ep, s.transport);
                    match ep.send_request(message, s.peer, s.transport, now) {
                        Ok(tx) => {
                            s.in_flight = Some((tx, Box::new(next)));
                            self.by_tx.insert(tx, id);
                            self.journal(id);
                        }
                        Err(_) => self.remove(id, NotifierEnd::NotifyFailed { code: Some(code) }),
                    }
                } else {
                    self.remove(id, NotifierEnd::NotifyFailed { code: Some(code) });
                }
            }
            // §4.2.2: 481 (and a timeout) remove the subscription; so does any failure of a
            // terminating NOTIFY
            _ if code == 481 || s.ending.is_some() => {
                let reason =
                    s.ending.map_or(NotifierEnd::NotifyFailed { code: Some(code) }, |e| e.0);
                self.remove(id, reason);
            }
            _ => {
                // another failure: the state did not arrive; send it all again
                s.full = true;
                s.dirty = true;
                self.send_notify(ep, id, now);
            }
        }
    }

    fn remove(&mut self, id: u64, reason: NotifierEnd) {
        let Some(s) = self.subs.remove(&id) else { return };
        if let Some((tx, _)) = s.in_flight {
            self.by_tx.remove(&tx);
        }
        self.unindex_dialog(id, &s.dialog);
        if self.config.journal {
            self.saved.remove(&id);
            self.removed.push_back(s.dialog.id().clone());
        }
        if let Some(set) = self.by_resource.get_mut(&s.resource) {
            set.remove(&id);
            if set.is_empty() {
                self.by_resource.remove(&s.resource);
            }
        }
        self.package.ended(NotifierSub(id));
        self.events.push_back(NotifierEvent::Terminated {
            sub: NotifierSub(id),
            resource: s.resource.to_string(),
            watcher: s.watcher,
            reason,
        });
    }

    fn journal(&mut self, id: u64) {
        if self.config.journal {
            self.saved.insert(id);
        }
    }

    /// The stored state of a subscription, `now` for its time left.
    pub fn record(&self, sub: NotifierSub, now: Instant) -> Option<SubscriptionRecord> {
        let s = self.subs.get(&sub.0)?;
        Some(SubscriptionRecord {
            dialog: s.dialog.record(),
            resource: s.resource.to_string(),
            watcher: s.watcher.clone(),
            event: s.event.clone(),
            accept: accepted(&self.types, s.accept).cloned().collect(),
            status: s.status,
            expires_in: s.expires_at.saturating_duration_since(now),
            peer: s.peer,
            transport: s.transport,
            version: self.package.version(sub),
        })
    }

    /// What changed in the stored state since the last call (with
    /// [`NotifierConfig::journal`]): ended subscriptions first, then changed ones.
    pub fn poll_journal(&mut self, now: Instant) -> Option<Journal> {
        if let Some(id) = self.removed.pop_front() {
            return Some(Journal::Removed(id));
        }
        while let Some(id) = self.saved.pop_first() {
            if let Some(r) = self.record(NotifierSub(id), now) {
                return Some(Journal::Saved(Box::new(r)));
            }
        }
        None
    }

    /// Serves again a subscription that [`Notifier::record`] stored (after a restart): it is
    /// announced as [`NotifierEvent::Subscribed`] (so that watcher information learns of it)
    /// and gets a NOTIFY with the full state at once, with the dialog's next CSeq. `None` when
    /// its dialog is served already, or it accepts none of the package's types.
    pub fn restore(
        &mut self,
        ep: &mut Endpoint,
        record: SubscriptionRecord,
        now: Instant,
    ) -> Option<NotifierSub> {
        let i = &record.dialog.id;
        let key = (i.call_id.clone(), i.local_tag.clone(), i.remote_tag.clone());
        if self.find_dialog(&key).is_some() {
            return None;
        }
        let accept: u8 = self
            .types
            .iter()
            .enumerate()
            .filter(|(_, t)| record.accept.iter().any(|a| a.eq_ignore_ascii_case(t)))
            .fold(0, |m, (i, _)| m | (1 << i));
        if accept == 0 && !self.types.is_empty() {
            return None;
        }
        let expires = u32::try_from(record.expires_in.as_secs()).unwrap_or(u32::MAX);
        let served = Served {
            dialog: Dialog::restore(record.dialog),
            resource: self.intern(&record.resource),
            watcher: record.watcher,
            event: record.event,
            accept,
            status: record.status,
            expires_at: now + record.expires_in,
            peer: record.peer,
            transport: record.transport,
            in_flight: None,
            dirty: true,
            full: true,
            ending: (record.status == Authorization::Rejected)
                .then_some((NotifierEnd::Rejected, "rejected")),
            retry_after: None,
            last_notify: None,
            hold_until: None,
            rates: None,
            deadline: None,
        };
        Some(self.serve(ep, served, expires, record.version, now))
    }

    fn schedule(&mut self, id: u64) {
        let mult = self.config.adaptive_period;
        let Some(s) = self.subs.get_mut(&id) else { return };
        let next = s.next_deadline(mult).map(|(t, _)| t);
        if next != s.deadline {
            s.deadline = next;
            if let Some(at) = next {
                self.deadlines.push(at, id);
            }
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<NotifierEvent> {
        self.events.pop_front()
    }

    /// When to call [`Notifier::handle_timeout`], and for which timer.
    pub fn poll_timeout(&mut self) -> Option<(Instant, NotifierTimer)> {
        let subs = &self.subs;
        let mult = self.config.adaptive_period;
        let (at, id) =
            self.deadlines.peek(|at, id| subs.get(&id).is_some_and(|s| s.deadline == Some(at)))?;
        let timer = self.subs[&id].next_deadline(mult).map(|(_, t)| t)?;
        Some((at, timer))
    }

    /// Fires what is due at `now`.
    pub fn handle_timeout(&mut self, ep: &mut Endpoint, now: Instant) {
        let mult = self.config.adaptive_period;
        loop {
            let subs = &self.subs;
            let Some((_, id)) = self
                .deadlines
                .pop_due(now, |at, id| subs.get(&id).is_some_and(|s| s.deadline == Some(at)))
            else {
                break;
            };
            let s = self.subs.get_mut(&id).expect("live deadlines belong to live subscriptions");
            s.deadline = None;
            let due: Vec<NotifierTimer> = [
                (s.expires_at <= now && s.ending.is_none()).then_some(NotifierTimer::Expiry),
                s.hold_until.filter(|&t| t <= now).map(|_| NotifierTimer::Hold),
                s.next_deadline(mult)
                    .filter(|&(t, k)| t <= now && k == NotifierTimer::MinRate)
                    .map(|_| NotifierTimer::MinRate),
            ]
            .into_iter()
            .flatten()
            .collect();
            for timer in due {
                let Some(s) = self.subs.get_mut(&id) else { break };
                match timer {
                    NotifierTimer::Expiry => {
                        // the terminating NOTIFY goes now, or once the one in flight is
                        // answered; its answer (or its timeout) removes the subscription
                        s.ending = Some((NotifierEnd::Expired, "timeout"));
                        s.dirty = true;
                        s.hold_until = None;
                        self.send_notify(ep, id, now);
                    }
                    NotifierTimer::Hold => {
                        s.hold_until = None;
                        self.send_notify(ep, id, now);
                    }
                    NotifierTimer::MinRate => {
                        s.dirty = true;
                        s.full = true;
                        self.send_notify(ep, id, now);
                    }
                }
            }
            self.schedule(id);
        }
    }
}

/// Answers what no role took: a SUBSCRIBE of a package nobody serves gets 489 with
/// Allow-Events listing `packages` (RFC 6665 §4.2.1.1), a NOTIFY of no subscription 481
/// (§4.1.3), a PUBLISH of an unknown package 489 (RFC 3903 §6); other requests get 405 when
/// their method is one of these. Returns what is still unanswered (other events).
#[allow(
    clippy::wildcard_enum_match_arm,
    reason = "what is not a request is handed on, whatever it is"
)]
pub fn refuse(ep: &mut Endpoint, event: Event, packages: &[&str], now: Instant) -> Option<Event> {
    match event {
        Event::Request { tx, request, source, transport } => {
            let allow = packages.join(", ");
            let reply = match request.method() {
                Some(Method::Subscribe | Method::Publish) => {
                    let headers = [("Allow-Events", allow.as_bytes())];
                    let _ = ep.respond(tx, &Reply::new(489, "Bad Event").headers(&headers), now);
                    return None;
                }
                Some(Method::Notify) => Reply::new(481, "Subscription Does Not Exist"),
                Some(_) | None => return Some(Event::Request { tx, request, source, transport }),
            };
            let _ = ep.respond(tx, &reply, now);
            None
        }
        other => Some(other),
    }
}
