//! The presence event package (RFC 3856) with partial notification (RFC 5263): the
//! [`PresencePackage`] (the notifier's view of composed presence) and the [`PresenceAgent`]
//! (a [`Compositor`] for PUBLISH and a [`Notifier`] for SUBSCRIBE on one endpoint).
//!
//! Watchers get the composition (simple-pidf [`compose`](fn@simple_pidf::compose)) of every
//! publication of the presentity as `application/pidf+xml`, or, when their Accept lists
//! `application/pidf-diff+xml`, a `<pidf-full>` first and `<pidf-diff>` changes after it.
//! Watchers in the same state share one computed diff; each gets its own version counter.
//! By default a presentity's watchers get at most one NOTIFY per 5 s (RFC 3856 §6.6.2).
//!
//! ```
//! use std::time::Instant;
//! use simple_sip::endpoint::{Endpoint, EndpointConfig};
//! use simple_sip::presence::{PresenceAgent, PresenceConfig};
//!
//! let mut server = Endpoint::new(EndpointConfig::new("127.0.0.1:5060"), 1);
//! let mut agent = PresenceAgent::new(PresenceConfig::new("<sip:127.0.0.1:5060>"), 2);
//! // the loop: `agent.handle(&mut server, event, now)` for each endpoint event, then
//! // `agent.poll_event()`, and `agent.poll_timeout()` / `agent.handle_timeout(...)`
//! assert!(agent.poll_timeout().is_none());
//! # let _ = (&mut server, Instant::now());
//! ```

use core::time::Duration;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use simple_pidf::Presence;
use simple_pidf::partial::{diff_body, full_body, model_diff, watcher_document};

use crate::endpoint::{Endpoint, Event};
use crate::event::{
    Authorization, BodyRequest, EventPackage, Journal, Notifier, NotifierConfig, NotifierEvent,
    NotifierSub, NotifierTimer, SubscriptionRecord,
};
use crate::publish::{Compositor, CompositorConfig, CompositorEvent, CompositorTimer, PIDF_DIFF};
use crate::winfo::WinfoPackage;

/// `application/pidf+xml`.
pub const PIDF: &str = "application/pidf+xml";

/// One presentity's composed state.
#[derive(Debug)]
struct Resource {
    presence: Presence,
    /// Bumped on every change of the composed document.
    version: u64,
    /// The plain PIDF body of this version, written once when a plain watcher needs it.
    pidf: Option<Bytes>,
    /// The length of the last `<pidf-full>` written for this resource: a diff longer than
    /// that is not worth sending.
    full_len: usize,
    /// The document of `version - 1`, for partial watchers one version behind.
    previous: Option<Presence>,
    /// `<pidf-full>` of this version with a placeholder version, written once for every
    /// partial watcher.
    full: Option<Stamped>,
    /// `<pidf-diff>` from the version before, written once for every watcher one version
    /// behind (`Some(None)`: no diff, full state instead).
    diff: Option<Option<Stamped>>,
}

/// A body with a `version="..."` placeholder to fill in per watcher.
#[derive(Debug)]
struct Stamped {
    body: Vec<u8>,
    at: usize,
}

/// The placeholder version written into shared bodies.
const MARK: u32 = u32::MAX;

impl Stamped {
    fn new(mut body: Vec<u8>) -> Option<Self> {
        body.shrink_to_fit();
        let needle = format!("version=\"{MARK}\"");
        let at = body.windows(needle.len()).position(|w| w == needle.as_bytes())? + 9;
        Some(Self { body, at })
    }

    /// The body with `version` in place of the placeholder.
    fn write(&self, version: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.body[..self.at]);
        out.extend_from_slice(version.to_string().as_bytes());
        out.extend_from_slice(&self.body[self.at + MARK.to_string().len()..]);
    }
}

impl Resource {
    fn new(presence: Presence) -> Self {
        Self {
            presence,
            version: 1,
            pidf: None,
            full_len: usize::MAX,
            previous: None,
            full: None,
            diff: None,
        }
    }

    fn pidf(&mut self) -> &Bytes {
        let presence = &self.presence;
        self.pidf.get_or_insert_with(|| {
            // kept as long as the version: no spare room from the writer's growth
            let mut body = presence.to_vec();
            body.shrink_to_fit();
            Bytes::from(body)
        })
    }

    fn full(&mut self) -> &Stamped {
        let presence = &self.presence;
        let full = self.full.get_or_insert_with(|| {
            Stamped::new(full_body(presence, MARK)).expect("full_body writes the version")
        });
        self.full_len = full.body.len();
        full
    }

    /// The diff from the version before ([`pidf_diff`]).
    fn diff(&mut self) -> Option<&Stamped> {
        if self.diff.is_none() {
            let diff = self
                .previous
                .as_ref()
                .and_then(|old| Stamped::new(pidf_diff(old, &self.presence, MARK)));
            // against the last full state's size: writing this version's only to compare
            // would cost what the diff saves
            let full_len =
                if self.full_len == usize::MAX { self.full().body.len() } else { self.full_len };
            self.diff = Some(diff.filter(|d| d.body.len() < full_len));
        }
        self.diff.as_ref().and_then(Option::as_ref)
    }
}

/// What one watcher may see of a presentity's document (RFC 5025 §3.3 transformations, a
/// polite block): the presence agent applies it to the composed document before it writes
/// that watcher's NOTIFY. simple-xcap's `Permission` is one.
pub trait DocumentFilter: core::fmt::Debug + Send + Sync {
    /// The document the watcher gets instead of `presence`.
    fn filter(&self, presence: &Presence) -> Presence;
}

/// A filtered watcher: its version counter and the filtered document it holds.
#[derive(Debug)]
struct Filtered {
    counter: u32,
    holds: Option<Presence>,
}

/// The `<pidf-diff>` from `old` to `new` at `version`: from the model when the change has
/// its shape (the cost follows the change), else from the trees.
fn pidf_diff(old: &Presence, new: &Presence, version: u32) -> Vec<u8> {
    model_diff(old, new, version).unwrap_or_else(|| {
        let patch = simple_patch::diff(&watcher_document(old), &watcher_document(new));
        diff_body(&patch, &new.entity, version)
    })
}

/// A partial watcher: its version counter and the resource version it holds.
#[derive(Debug, Clone, Copy, Default)]
struct Partial {
    counter: u32,
    holds: Option<u64>,
}

/// The presence package: composed documents per presentity, and what each partial watcher
/// holds. A [`Notifier`] owns it.
#[derive(Debug, Default)]
pub struct PresencePackage {
    /// Boxed: a server holds one per presentity, and the map's spare slots cost a pointer.
    resources: HashMap<String, Box<Resource>>,
    partial: HashMap<NotifierSub, Partial>,
    /// Filters by (resource, watcher), and what each filtered partial watcher holds.
    filters: HashMap<(String, String), Arc<dyn DocumentFilter>>,
    filtered: HashMap<NotifierSub, Filtered>,
    min_expires: u32,
    max_expires: u32,
}

impl PresencePackage {
    /// A package with no state: expiry 60 s to 1 day.
    pub fn new() -> Self {
        Self::with_expires(60, 86_400)
    }

    /// A package granting expiries from `min` to `max` seconds.
    pub fn with_expires(min: u32, max: u32) -> Self {
        Self { min_expires: min, max_expires: max.max(min), ..Self::default() }
    }

    /// Sets the composed document of `resource` (a [`resource_key`](crate::event::resource_key));
    /// false when it equals the one held (nothing to notify). `None` removes it.
    pub fn update(&mut self, resource: &str, presence: Option<Presence>) -> bool {
        match (self.resources.get_mut(resource), presence) {
            (Some(r), Some(p)) => {
                if r.presence == p {
                    return false;
                }
                let old = core::mem::replace(&mut r.presence, p);
                r.previous = Some(old);
                r.version += 1;
                r.pidf = None;
                r.full = None;
                r.diff = None;
                true
            }
            (None, Some(p)) => {
                self.resources.insert(resource.to_owned(), Box::new(Resource::new(p)));
                true
            }
            (Some(_), None) => {
                self.resources.remove(resource);
                true
            }
            (None, None) => false,
        }
    }

    /// Sets (or with `None` removes) the filter of `watcher`'s view of `resource` (both
    /// [`resource_key`](crate::event::resource_key)s or URIs); true when it changed. Their
    /// subscriptions' next documents are filtered: [`PresenceAgent::filter`] also notifies
    /// them.
    pub fn set_filter(
        &mut self,
        resource: &str,
        watcher: &str,
        filter: Option<Arc<dyn DocumentFilter>>,
    ) -> bool {
        let key = (crate::event::resource_key(resource), crate::event::resource_key(watcher));
        match filter {
            Some(f) => {
                let same = self.filters.get(&key).is_some_and(|old| Arc::ptr_eq(old, &f));
                self.filters.insert(key, f);
                !same
            }
            None => self.filters.remove(&key).is_some(),
        }
    }

    /// The filter of `watcher`'s view of `resource` ([`resource_key`](crate::event::resource_key)s).
    pub fn filter(&self, resource: &str, watcher: &str) -> Option<&Arc<dyn DocumentFilter>> {
        self.filters.get(&(resource.to_owned(), watcher.to_owned()))
    }

    /// A filtered watcher's NOTIFY body: the filtered document, or for a partial watcher a
    /// `<pidf-diff>` from the filtered document it holds when that is shorter.
    fn filtered_body(
        &mut self,
        request: &BodyRequest<'_>,
        filter: &dyn DocumentFilter,
        out: &mut Vec<u8>,
    ) -> Option<String> {
        let doc = match self.resources.get(request.resource) {
            Some(r) => filter.filter(&r.presence),
            None => filter.filter(&Presence::new(request.resource)),
        };
        if !request.accept.contains(&PIDF_DIFF) {
            doc.write(out);
            return Some(PIDF.to_owned());
        }
        // the version numbers go on from the unfiltered ones (RFC 5263 §4.3)
        let w = match self.filtered.entry(request.sub) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let counter = self.partial.remove(&request.sub).map_or(0, |p| p.counter);
                v.insert(Filtered { counter, holds: None })
            }
        };
        w.counter = w.counter.wrapping_add(1);
        let full = full_body(&doc, w.counter);
        let diff = match (&w.holds, request.full) {
            (Some(old), false) => Some(pidf_diff(old, &doc, w.counter)),
            (Some(_) | None, _) => None,
        };
        match diff.filter(|d| d.len() < full.len()) {
            Some(d) => out.extend_from_slice(&d),
            None => out.extend_from_slice(&full),
        }
        w.holds = Some(doc);
        Some(PIDF_DIFF.to_owned())
    }

    /// The composed document of `resource`.
    pub fn presence(&self, resource: &str) -> Option<&Presence> {
        self.resources.get(resource).map(|r| &r.presence)
    }

    /// Presentities with state.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether none have state.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

impl EventPackage for PresencePackage {
    fn name(&self) -> &str {
        "presence"
    }

    fn content_types(&self) -> &[&str] {
        &[PIDF, PIDF_DIFF]
    }

    fn min_expires(&self) -> u32 {
        self.min_expires
    }

    fn max_expires(&self) -> u32 {
        self.max_expires
    }

    fn body(&mut self, request: &BodyRequest<'_>, out: &mut Vec<u8>) -> Option<String> {
        if !self.filters.is_empty() || !self.filtered.is_empty() {
            let key = (request.resource.to_owned(), request.watcher.to_owned());
            if let Some(filter) = self.filters.get(&key).cloned() {
                return self.filtered_body(request, filter.as_ref(), out);
            }
            // a watcher whose filter went: its next document is whole, numbered on
            if let Some(f) = self.filtered.remove(&request.sub) {
                self.partial.insert(request.sub, Partial { counter: f.counter, holds: None });
            }
        }
        let partial = request.accept.contains(&PIDF_DIFF);
        let Some(r) = self.resources.get_mut(request.resource) else {
            // no publication: a document with no tuples says "nothing known" (RFC 3856 §6.8)
            let empty = Presence::new(request.resource);
            if partial {
                let w = self.partial.entry(request.sub).or_default();
                w.counter = w.counter.wrapping_add(1);
                w.holds = Some(0);
                out.extend_from_slice(&full_body(&empty, w.counter));
                return Some(PIDF_DIFF.to_owned());
            }
            empty.write(out);
            return Some(PIDF.to_owned());
        };
        if !partial {
            out.extend_from_slice(r.pidf());
            return Some(PIDF.to_owned());
        }
        let w = self.partial.entry(request.sub).or_default();
        w.counter = w.counter.wrapping_add(1);
        let follows = w.holds.is_some_and(|h| h + 1 == r.version);
        w.holds = Some(r.version);
        let counter = w.counter;
        match r.diff().filter(|_| follows && !request.full) {
            Some(diff) => diff.write(counter, out),
            None => r.full().write(counter, out),
        }
        Some(PIDF_DIFF.to_owned())
    }

    fn ended(&mut self, sub: NotifierSub) {
        self.partial.remove(&sub);
        self.filtered.remove(&sub);
    }

    fn version(&self, sub: NotifierSub) -> Option<u64> {
        self.filtered
            .get(&sub)
            .map(|f| u64::from(f.counter))
            .or_else(|| self.partial.get(&sub).map(|p| u64::from(p.counter)))
    }

    fn restore_version(&mut self, sub: NotifierSub, version: u64) {
        // the next document is a <pidf-full> (nothing is held), numbered on
        let counter = u32::try_from(version).unwrap_or(u32::MAX);
        self.partial.insert(sub, Partial { counter, holds: None });
    }
}

/// How a [`PresenceAgent`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PresenceConfig {
    /// The notifier's settings (Contact, default authorization, rate limit).
    pub notifier: NotifierConfig,
    /// The compositor's settings.
    pub compositor: CompositorConfig,
    /// The `presence.winfo` notifier's settings (no rate limit by default; only a
    /// presentity reads its own watchers).
    pub winfo: NotifierConfig,
    /// The expiries a `presence` SUBSCRIBE may get, in seconds: shorter ones are refused
    /// with 423, longer ones shortened (default 60 to 86 400).
    pub expires: (u32, u32),
}

impl PresenceConfig {
    /// A presence agent with Contact `contact`: watchers active unless told otherwise, at
    /// most one NOTIFY per watcher per 5 s, PUBLISH of `application/pidf+xml` and
    /// `application/pidf-diff+xml`.
    pub fn new(contact: &str) -> Self {
        let mut notifier = NotifierConfig::new(contact);
        notifier.min_interval = Duration::from_secs(5);
        Self {
            notifier,
            compositor: CompositorConfig::new("presence", &[PIDF, PIDF_DIFF]),
            winfo: NotifierConfig::new(contact),
            expires: (60, 86_400),
        }
    }
}

/// What a [`PresenceAgent`] tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PresenceEvent {
    /// From the notifier: watchers coming, going, changing status (what winfo reports).
    Watcher(NotifierEvent),
    /// From the `presence.winfo` notifier: its own subscribers.
    WinfoSubscriber(NotifierEvent),
    /// From the compositor: publications changing or expiring.
    Publication(CompositorEvent),
}

/// Which timer of a [`PresenceAgent`] is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PresenceTimer {
    /// The notifier's.
    Notifier(NotifierTimer),
    /// The winfo notifier's.
    Winfo(NotifierTimer),
    /// The compositor's.
    Compositor(CompositorTimer),
}

/// A presence agent (RFC 3856 §6): compositor and notifier for the presentities it serves.
#[derive(Debug)]
pub struct PresenceAgent {
    compositor: Compositor,
    notifier: Notifier<PresencePackage>,
    winfo: Notifier<WinfoPackage>,
    events: VecDeque<PresenceEvent>,
}

impl PresenceAgent {
    /// An agent; `seed` drives its entity tags.
    pub fn new(config: PresenceConfig, seed: u64) -> Self {
        Self {
            compositor: Compositor::new(config.compositor, seed),
            notifier: Notifier::new(
                config.notifier,
                PresencePackage::with_expires(config.expires.0, config.expires.1),
            ),
            winfo: Notifier::new(config.winfo, WinfoPackage::new("presence")),
            events: VecDeque::new(),
        }
    }

    /// The compositor (stored publications).
    pub const fn compositor(&self) -> &Compositor {
        &self.compositor
    }

    /// The compositor, to restore publications (then [`PresenceAgent::sync`]).
    pub const fn compositor_mut(&mut self) -> &mut Compositor {
        &mut self.compositor
    }

    /// The notifier (subscriptions served).
    pub const fn notifier(&self) -> &Notifier<PresencePackage> {
        &self.notifier
    }

    /// The notifier, e.g. to [`authorize`](Notifier::authorize) watchers.
    pub const fn notifier_mut(&mut self) -> &mut Notifier<PresencePackage> {
        &mut self.notifier
    }

    /// The `presence.winfo` notifier.
    pub const fn winfo(&self) -> &Notifier<WinfoPackage> {
        &self.winfo
    }

    /// Takes an endpoint event: PUBLISH and SUBSCRIBE for `presence` and `presence.winfo`,
    /// and the answers to our NOTIFYs; anything else is handed back.
    pub fn handle(&mut self, ep: &mut Endpoint, event: Event, now: Instant) -> Option<Event> {
        let event = self.compositor.handle(ep, event, now);
        self.sync(ep, now);
        let event = event.and_then(|e| self.notifier.handle(ep, e, now));
        let event = event.and_then(|e| self.winfo.handle(ep, e, now));
        self.pump(ep, now);
        event
    }

    /// Feeds the presence notifier's subscription changes to watcher information.
    fn pump(&mut self, ep: &mut Endpoint, now: Instant) {
        while let Some(e) = self.notifier.poll_event() {
            if let Some(resource) = self.winfo.package_mut().handle(&e, now) {
                self.winfo.changed(ep, &resource, now);
            }
            self.events.push_back(PresenceEvent::Watcher(e));
        }
        while let Some(e) = self.winfo.poll_event() {
            self.events.push_back(PresenceEvent::WinfoSubscriber(e));
        }
    }

    /// Composes again what the compositor changed and notifies the watchers.
    pub fn sync(&mut self, ep: &mut Endpoint, now: Instant) {
        while let Some(e) = self.compositor.poll_event() {
            if let CompositorEvent::Changed { resource } = &e {
                let docs: Vec<Presence> = self
                    .compositor
                    .publications(resource)
                    .filter_map(|p| Presence::parse(p.body).ok())
                    .collect();
                let composed = if docs.is_empty() {
                    None
                } else {
                    let refs: Vec<&Presence> = docs.iter().collect();
                    Some(simple_pidf::compose(resource, &refs))
                };
                if self.notifier.package_mut().update(resource, composed) {
                    self.notifier.changed(ep, resource, now);
                }
            }
            self.events.push_back(PresenceEvent::Publication(e));
        }
    }

    /// Sets the authorization of `watcher` for `resource` (RFC 3857 pending → active, or
    /// rejected).
    pub fn authorize(
        &mut self,
        ep: &mut Endpoint,
        resource: &str,
        watcher: &str,
        decision: Authorization,
        now: Instant,
    ) {
        self.notifier.authorize(ep, resource, watcher, decision, now);
        self.pump(ep, now);
    }

    /// Sets (or with `None` removes) what `watcher` may see of `resource` (RFC 5025
    /// transformations, a polite block): its subscriptions get the filtered document now,
    /// and with every change.
    pub fn filter(
        &mut self,
        ep: &mut Endpoint,
        resource: &str,
        watcher: &str,
        filter: Option<Arc<dyn DocumentFilter>>,
        now: Instant,
    ) {
        if !self.notifier.package_mut().set_filter(resource, watcher, filter) {
            return;
        }
        let (resource, watcher) =
            (crate::event::resource_key(resource), crate::event::resource_key(watcher));
        let subs: Vec<NotifierSub> = self
            .notifier
            .subscriptions(&resource)
            .filter(|s| self.notifier.watcher(*s).is_some_and(|(w, _)| w == watcher))
            .collect();
        for sub in subs {
            self.notifier.notify(ep, sub, now);
        }
        self.pump(ep, now);
    }

    /// Serves again a subscription stored from [`PresenceAgent::poll_journal`] (after a
    /// restart; restore the publications first, and `presence` subscriptions before
    /// `presence.winfo` ones so that watcher information is whole): it gets a NOTIFY with the
    /// current state at once.
    pub fn restore(
        &mut self,
        ep: &mut Endpoint,
        record: SubscriptionRecord,
        now: Instant,
    ) -> Option<NotifierSub> {
        let winfo = record
            .event
            .split(';')
            .next()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case(self.winfo.package().name()));
        let sub = if winfo {
            self.winfo.restore(ep, record, now)
        } else {
            self.notifier.restore(ep, record, now)
        };
        self.pump(ep, now);
        sub
    }

    /// What changed in the stored state of both notifiers (with [`NotifierConfig::journal`]
    /// set in [`PresenceConfig::notifier`] and [`PresenceConfig::winfo`]).
    pub fn poll_journal(&mut self, now: Instant) -> Option<Journal> {
        self.notifier.poll_journal(now).or_else(|| self.winfo.poll_journal(now))
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<PresenceEvent> {
        self.events.pop_front()
    }

    /// When to call [`PresenceAgent::handle_timeout`], and which timer.
    pub fn poll_timeout(&mut self) -> Option<(Instant, PresenceTimer)> {
        let n = self.notifier.poll_timeout().map(|(t, k)| (t, PresenceTimer::Notifier(k)));
        let c = self.compositor.poll_timeout().map(|(t, k)| (t, PresenceTimer::Compositor(k)));
        let w = self.winfo.poll_timeout().map(|(t, k)| (t, PresenceTimer::Winfo(k)));
        [n, c, w].into_iter().flatten().min_by_key(|(t, _)| *t)
    }

    /// Fires what is due at `now`.
    pub fn handle_timeout(&mut self, ep: &mut Endpoint, now: Instant) {
        self.compositor.handle_timeout(now);
        self.sync(ep, now);
        self.notifier.handle_timeout(ep, now);
        self.winfo.handle_timeout(ep, now);
        self.pump(ep, now);
    }
}
