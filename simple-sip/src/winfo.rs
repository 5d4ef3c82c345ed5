//! The watcher information template package (RFC 3857): `presence.winfo`, fed by the
//! presence [`Notifier`](crate::event::Notifier)'s subscription events, with full state
//! first and partial documents (the watchers that changed) after it (RFC 3858).
//!
//! [`PresenceAgent`](crate::presence::PresenceAgent) runs one beside its presence notifier;
//! a presentity subscribes to `presence.winfo` to learn who watches it, and approves or
//! rejects pending watchers with [`PresenceAgent::authorize`](crate::presence::PresenceAgent::authorize).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use simple_pidf::winfo::{
    CONTENT_TYPE, State, Watcher, WatcherEvent, WatcherInfo, WatcherList, WatcherStatus,
};

use crate::event::{
    Authorization, BodyRequest, EventPackage, NotifierEnd, NotifierEvent, NotifierSub,
};

/// How many ended watchers a resource keeps listed (as `terminated`) for later documents.
const KEPT_ENDED: usize = 16;

/// One watcher, kept small (a server holds one per presence subscription): the document's
/// `<watcher>` is made from it when a body is written.
#[derive(Debug, Clone)]
struct Entry {
    /// The watcher id (the subscription's Call-ID).
    id: Box<str>,
    uri: Box<str>,
    status: WatcherStatus,
    event: WatcherEvent,
    /// Seconds granted at the last (re)subscription, `None` once ended.
    expires: Option<u32>,
    /// When it subscribed, and when `expires` was granted.
    since: Instant,
    granted: Instant,
    /// Bumped on every change of this watcher.
    changed: u64,
}

impl Entry {
    fn watcher(&self, now: Instant) -> Watcher {
        let mut w = Watcher::new(&self.id, &self.uri, self.status, self.event);
        w.expiration = self.expires.map(|e| {
            u64::from(e).saturating_sub(now.saturating_duration_since(self.granted).as_secs())
        });
        w.duration_subscribed = Some(now.saturating_duration_since(self.since).as_secs());
        w
    }
}

/// The watchers of one resource, looked up by subscription and by when they changed, so that
/// an event or a partial document costs what it touches, not the number of watchers.
#[derive(Debug, Default)]
struct Resource {
    /// By notifier handle (handles grow, so this is subscription order).
    /// Boxed: a B-tree node holds eleven values, and most presentities have one watcher.
    entries: BTreeMap<NotifierSub, Box<Entry>>,
    /// `changed` → the entry: what a partial document since a clock value lists.
    by_change: BTreeMap<u64, NotifierSub>,
    /// Ended watchers still listed, oldest first.
    ended: VecDeque<NotifierSub>,
}

impl Resource {
    /// Marks `sub` changed at `clock` (the package's: it never goes back, even when a
    /// resource with no watchers left is dropped and comes back).
    fn touch(&mut self, sub: NotifierSub, clock: u64) {
        if let Some(e) = self.entries.get_mut(&sub) {
            self.by_change.remove(&e.changed);
            e.changed = clock;
            self.by_change.insert(clock, sub);
        }
    }
}

/// What a winfo subscriber was last told.
#[derive(Debug, Clone, Copy)]
struct Reader {
    version: u64,
    seen: u64,
}

/// The `presence.winfo` package: the watchers of each presentity, and what each winfo
/// subscriber was last told.
#[derive(Debug)]
pub struct WinfoPackage {
    package: String,
    resources: HashMap<Arc<str>, Resource>,
    readers: HashMap<NotifierSub, Reader>,
    owner_only: bool,
    /// Bumped on every change of any watcher.
    clock: u64,
}

impl WinfoPackage {
    /// The winfo of `package` (`presence`): only a presentity itself may read its watchers.
    pub fn new(package: &str) -> Self {
        Self {
            package: package.to_owned(),
            resources: HashMap::new(),
            readers: HashMap::new(),
            owner_only: true,
            clock: 0,
        }
    }

    /// Whether only the presentity may subscribe (default), or anyone the notifier's policy
    /// allows.
    #[must_use]
    pub const fn owner_only(mut self, yes: bool) -> Self {
        self.owner_only = yes;
        self
    }

    /// The watchers of `resource` at `now` (ended ones as `terminated`).
    pub fn watchers(&self, resource: &str, now: Instant) -> Vec<Watcher> {
        self.resources
            .get(resource)
            .map(|r| r.entries.values().map(|e| e.watcher(now)).collect())
            .unwrap_or_default()
    }

    /// Takes an event of the watched package's notifier; returns the resource whose watcher
    /// information changed (tell the winfo notifier with `changed`).
    pub fn handle(&mut self, event: &NotifierEvent, now: Instant) -> Option<String> {
        match event {
            NotifierEvent::Subscribed { sub, resource, watcher, status, call_id, expires } => {
                let key: Arc<str> = self
                    .resources
                    .get_key_value(resource.as_str())
                    .map_or_else(|| Arc::from(resource.as_str()), |(k, _)| Arc::clone(k));
                let r = self.resources.entry(Arc::clone(&key)).or_default();
                self.clock += 1;
                let (st, ev) = match status {
                    Authorization::Active => (WatcherStatus::Active, WatcherEvent::Approved),
                    Authorization::Pending => (WatcherStatus::Pending, WatcherEvent::Subscribe),
                    Authorization::Rejected => (WatcherStatus::Terminated, WatcherEvent::Rejected),
                };
                let entry = Entry {
                    id: call_id.as_str().into(),
                    uri: watcher.as_str().into(),
                    status: st,
                    event: ev,
                    expires: Some(*expires),
                    since: now,
                    granted: now,
                    changed: self.clock,
                };
                r.entries.insert(*sub, Box::new(entry));
                r.by_change.insert(self.clock, *sub);
                Some(resource.clone())
            }
            NotifierEvent::Refreshed { sub, resource, expires } => {
                self.update(resource, *sub, |w| {
                    w.expires = Some(*expires);
                    w.granted = now;
                });
                // an expiry change alone is not worth a NOTIFY
                None
            }
            NotifierEvent::StatusChanged { sub, resource, status } => {
                let (st, ev) = match status {
                    Authorization::Active => (WatcherStatus::Active, WatcherEvent::Approved),
                    Authorization::Pending => (WatcherStatus::Pending, WatcherEvent::Subscribe),
                    Authorization::Rejected => (WatcherStatus::Terminated, WatcherEvent::Rejected),
                };
                self.update(resource, *sub, |w| {
                    w.status = st;
                    w.event = ev;
                });
                Some(resource.to_string())
            }
            NotifierEvent::Terminated { sub, resource, reason, .. } => {
                let ev = match reason {
                    NotifierEnd::Rejected => WatcherEvent::Rejected,
                    NotifierEnd::NotifyFailed { .. } => WatcherEvent::Noresource,
                    NotifierEnd::Terminated => WatcherEvent::Deactivated,
                    NotifierEnd::Expired | NotifierEnd::Unsubscribed => WatcherEvent::Timeout,
                };
                self.update(resource, *sub, |w| {
                    w.status = WatcherStatus::Terminated;
                    w.event = ev;
                    w.expires = None;
                });
                let r = self.resources.get_mut(resource.as_str())?;
                r.ended.push_back(*sub);
                if r.ended.len() > KEPT_ENDED {
                    let oldest = r.ended.pop_front().expect("longer than the limit");
                    if let Some(e) = r.entries.remove(&oldest) {
                        r.by_change.remove(&e.changed);
                    }
                }
                if r.entries.is_empty() {
                    self.resources.remove(resource.as_str());
                }
                Some(resource.to_string())
            }
        }
    }

    fn update(&mut self, resource: &str, sub: NotifierSub, f: impl FnOnce(&mut Entry)) {
        let Some(r) = self.resources.get_mut(resource) else { return };
        if let Some(e) = r.entries.get_mut(&sub) {
            f(e);
        }
        self.clock += 1;
        r.touch(sub, self.clock);
    }
}

impl EventPackage for WinfoPackage {
    fn name(&self) -> &str {
        "presence.winfo"
    }

    fn content_types(&self) -> &[&str] {
        &[CONTENT_TYPE]
    }

    fn body(&mut self, request: &BodyRequest<'_>, out: &mut Vec<u8>) -> Option<String> {
        let r = self.resources.get(request.resource);
        let clock = self.clock;
        let reader = self.readers.get(&request.sub).copied();
        let (version, state, since) = match reader {
            Some(rd) if !request.full => (rd.version + 1, State::Partial, rd.seen),
            Some(rd) => (rd.version + 1, State::Full, 0),
            None => (0, State::Full, 0),
        };
        let mut list = WatcherList::new(request.resource, &self.package);
        if let Some(r) = r {
            list.watchers = match state {
                State::Full => r
                    .entries
                    .values()
                    .filter(|e| e.status != WatcherStatus::Terminated)
                    .map(|e| e.watcher(request.now))
                    .collect(),
                // only what changed since this reader's last document
                State::Partial => r
                    .by_change
                    .range(since + 1..)
                    .filter_map(|(_, sub)| r.entries.get(sub))
                    .map(|e| e.watcher(request.now))
                    .collect(),
            };
        }
        let doc = WatcherInfo { version, state, lists: vec![list] };
        doc.write(out);
        self.readers.insert(request.sub, Reader { version, seen: clock });
        Some(CONTENT_TYPE.to_owned())
    }

    fn version(&self, sub: NotifierSub) -> Option<u64> {
        self.readers.get(&sub).map(|r| r.version)
    }

    fn restore_version(&mut self, sub: NotifierSub, version: u64) {
        self.readers.insert(sub, Reader { version, seen: 0 });
    }

    fn ended(&mut self, sub: NotifierSub) {
        self.readers.remove(&sub);
    }

    fn authorize(&self, resource: &str, watcher: &str) -> Option<Authorization> {
        self.owner_only.then(|| {
            if resource == watcher { Authorization::Active } else { Authorization::Rejected }
        })
    }
}
