//! The watcher information template package (RFC 3857): `presence.winfo`, fed by the
//! presence [`Notifier`](crate::event::Notifier)'s subscription events, with full state
//! first and partial documents (the watchers that changed) after it (RFC 3858).
//!
//! [`PresenceAgent`](crate::presence::PresenceAgent) runs one beside its presence notifier;
//! a presentity subscribes to `presence.winfo` to learn who watches it, and approves or
//! rejects pending watchers with [`PresenceAgent::authorize`](crate::presence::PresenceAgent::authorize).

use std::collections::HashMap;
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

#[derive(Debug, Default)]
struct Resource {
    /// The watched package's subscriptions, by their notifier handle.
    entries: Vec<(NotifierSub, Entry)>,
    clock: u64,
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
    index: HashMap<NotifierSub, Arc<str>>,
    readers: HashMap<NotifierSub, Reader>,
    owner_only: bool,
}

impl WinfoPackage {
    /// The winfo of `package` (`presence`): only a presentity itself may read its watchers.
    pub fn new(package: &str) -> Self {
        Self {
            package: package.to_owned(),
            resources: HashMap::new(),
            index: HashMap::new(),
            readers: HashMap::new(),
            owner_only: true,
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
            .map(|r| r.entries.iter().map(|(_, e)| e.watcher(now)).collect())
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
                r.clock += 1;
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
                    changed: r.clock,
                };
                r.entries.push((*sub, entry));
                self.index.insert(*sub, key);
                Some(resource.clone())
            }
            NotifierEvent::Refreshed { sub, expires } => {
                let resource = Arc::clone(self.index.get(sub)?);
                self.update(&resource, *sub, |w| {
                    w.expires = Some(*expires);
                    w.granted = now;
                });
                // an expiry change alone is not worth a NOTIFY
                None
            }
            NotifierEvent::StatusChanged { sub, status } => {
                let resource = Arc::clone(self.index.get(sub)?);
                let (st, ev) = match status {
                    Authorization::Active => (WatcherStatus::Active, WatcherEvent::Approved),
                    Authorization::Pending => (WatcherStatus::Pending, WatcherEvent::Subscribe),
                    Authorization::Rejected => (WatcherStatus::Terminated, WatcherEvent::Rejected),
                };
                self.update(&resource, *sub, |w| {
                    w.status = st;
                    w.event = ev;
                });
                Some(resource.to_string())
            }
            NotifierEvent::Terminated { sub, reason, .. } => {
                let resource = self.index.remove(sub)?;
                let ev = match reason {
                    NotifierEnd::Rejected => WatcherEvent::Rejected,
                    NotifierEnd::NotifyFailed { .. } => WatcherEvent::Noresource,
                    NotifierEnd::Terminated => WatcherEvent::Deactivated,
                    NotifierEnd::Expired | NotifierEnd::Unsubscribed => WatcherEvent::Timeout,
                };
                self.update(&resource, *sub, |w| {
                    w.status = WatcherStatus::Terminated;
                    w.event = ev;
                    w.expires = None;
                });
                let r = self.resources.get_mut(&*resource)?;
                let ended =
                    r.entries.iter().filter(|(_, e)| e.status == WatcherStatus::Terminated).count();
                if ended > KEPT_ENDED {
                    let oldest = r
                        .entries
                        .iter()
                        .position(|(_, e)| e.status == WatcherStatus::Terminated)
                        .expect("counted above");
                    r.entries.remove(oldest);
                }
                Some(resource.to_string())
            }
        }
    }

    fn update(&mut self, resource: &str, sub: NotifierSub, f: impl FnOnce(&mut Entry)) {
        let Some(r) = self.resources.get_mut(resource) else { return };
        r.clock += 1;
        if let Some((_, e)) = r.entries.iter_mut().find(|(s, _)| *s == sub) {
            f(e);
            e.changed = r.clock;
        }
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
        let clock = r.map_or(0, |r| r.clock);
        let reader = self.readers.get(&request.sub).copied();
        let (version, state, since) = match reader {
            Some(rd) if !request.full => (rd.version + 1, State::Partial, rd.seen),
            Some(rd) => (rd.version + 1, State::Full, 0),
            None => (0, State::Full, 0),
        };
        let mut list = WatcherList::new(request.resource, &self.package);
        if let Some(r) = r {
            list.watchers = r
                .entries
                .iter()
                .filter(|(_, e)| match state {
                    State::Full => e.status != WatcherStatus::Terminated,
                    State::Partial => e.changed > since,
                })
                .map(|(_, e)| e.watcher(request.now))
                .collect();
        }
        let doc = WatcherInfo { version, state, lists: vec![list] };
        doc.write(out);
        self.readers.insert(request.sub, Reader { version, seen: clock });
        Some(CONTENT_TYPE.to_owned())
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
