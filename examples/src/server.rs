//! The reference server's logic, without I/O: one [`Endpoint`], a [`PresenceAgent`], a
//! registrar with digest authentication and a location service, a forking stateful proxy
//! for everything addressed to a registered user, per-source limits, and the [`Store`]
//! written after every turn. The tokio loop ([`crate::net`]) feeds it bytes and the time and
//! sends what it says.
//!
//! What goes where:
//!
//! - `REGISTER` for a user of the domain: digest (401), then the bindings (§10.3), answered
//!   with all of them.
//! - `PUBLISH` / `SUBSCRIBE` for `presence` and `presence.winfo`: the presence agent, after
//!   digest (407) for requests from the domain's users. Only a user publishes their own state.
//! - `MESSAGE` to `sip:presence@DOMAIN` from a user: their decisions about watchers, one per
//!   line (`allow URI`, `block URI`, `pending URI`); `simple-cli watchers` sends them. (XCAP
//!   pres-rules, RFC 5025, replace this once simple-xcap lands.)
//! - Anything else for a user of the domain (MESSAGE, SUBSCRIBE of other packages, INVITE,
//!   OPTIONS): forwarded to every binding at once (the best answer goes back, a 2xx at once);
//!   480 when there is none, 404 for no such user.

use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use simple_sip::digest::{
    Algorithm, DigestServer, Request as DigestRequest, Secret, ServerConfig, Verdict,
};
use simple_sip::endpoint::{
    ClientTx, Endpoint, EndpointConfig, Event, Reply, ServerTx, Transmit, Transport,
};
use simple_sip::event::{
    Authorization, Journal, Notifier, NotifierEvent, NotifierSub, resource_key,
};
use simple_sip::headers::{
    Authorization as AuthHeader, CSeq, CallId, Contact, EventHeader, Expires, FromHeader,
    ProxyAuthorization, ToHeader,
};
use simple_sip::presence::{PresenceAgent, PresenceConfig, PresenceEvent};
use simple_sip::publish::CompositorEvent;
use simple_sip::{Method, OwnedMessage, ParseConfig, Uri};

use crate::config::Config;
use crate::proxy::{ForwardError, forward_request, strip_via};
use crate::store::{
    Binding, Change, Publication, Remote, Rule, Snapshot, Store, StoreError, Subscription,
    XcapDocument,
};

/// What the server counts (logged on shutdown, read by tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages taken in.
    pub received: u64,
    /// Messages dropped by the per-source rate limit.
    pub rate_limited: u64,
    /// Requests forwarded to a binding.
    pub forwarded: u64,
    /// Requests challenged.
    pub challenged: u64,
    /// Store writes (transactions).
    pub store_writes: u64,
}

/// What the server holds at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    /// Transactions in the endpoint (completed ones wait out Timer J/K).
    pub transactions: usize,
    /// `presence` subscriptions served.
    pub subscriptions: usize,
    /// `presence.winfo` subscriptions served.
    pub winfo_subscriptions: usize,
    /// Publications stored.
    pub publications: usize,
    /// Registered contacts.
    pub bindings: usize,
    /// Requests being forwarded.
    pub forks: usize,
    /// Stored subscriptions waiting to be served again after a restart.
    pub to_restore: usize,
}

impl core::fmt::Display for Census {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "transactions={} subscriptions={} winfo={} publications={} bindings={} forks={} to_restore={}",
            self.transactions,
            self.subscriptions,
            self.winfo_subscriptions,
            self.publications,
            self.bindings,
            self.forks,
            self.to_restore
        )
    }
}

/// A token bucket per source.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A request forwarded to one or more bindings.
#[derive(Debug)]
struct Fork {
    method: Method<'static>,
    branches: Vec<ClientTx>,
    open: usize,
    /// The best final answer so far: a response to pass back, or a code of our own.
    best: Option<Best>,
    answered: bool,
}

#[derive(Debug)]
enum Best {
    Response(u16, OwnedMessage),
    Own(u16),
}

impl Best {
    const fn code(&self) -> u16 {
        match self {
            Self::Response(c, _) | Self::Own(c) => *c,
        }
    }
}

/// The answer priority of §16.7 step 6, simplified: 6xx first, then the lowest class.
const fn rank(code: u16) -> u16 {
    if code >= 600 { 0 } else { code }
}

/// The server.
pub struct Server {
    config: Config,
    ep: Endpoint,
    agent: PresenceAgent,
    digest: DigestServer,
    parse: ParseConfig,
    users: HashMap<String, String>,
    bindings: HashMap<String, Vec<Binding>>,
    /// (expiry, user) of every binding, for the expiry timer.
    binding_expiry: BTreeSet<(Instant, String)>,
    forks: HashMap<ServerTx, Fork>,
    by_branch: HashMap<ClientTx, ServerTx>,
    rng: u64,
    /// Wall time of `base`: the store's times are Unix seconds.
    base: (Instant, i64),
    store: Box<dyn Store>,
    changes: Vec<Change>,
    dirty_resources: BTreeSet<String>,
    /// The entity tags the store holds for each presentity (as last written or read): a
    /// changed presentity writes only the difference.
    stored_pubs: HashMap<String, BTreeSet<String>>,
    buckets: HashMap<IpAddr, Bucket>,
    subs_per_ip: HashMap<IpAddr, usize>,
    sub_ip: HashMap<(bool, NotifierSub), IpAddr>,
    pending_ip: HashMap<String, IpAddr>,
    /// Stored subscriptions not yet served again after a restart, by dialog, and their order.
    to_restore: HashMap<(String, String, String), Subscription>,
    restore_order: VecDeque<(String, String, String)>,
    next_restore: Option<Instant>,
    /// Addresses we send from: the Via sent-by per transport.
    sent_by: HashMap<Transport, String>,
    log: VecDeque<String>,
    stats: Stats,
    /// The XCAP server (resource lists, pres-rules, pidf-manipulation, xcap-caps) inside the
    /// `xcap-diff` notifier (RFC 5875), so that SUBSCRIBEs see what HTTP changes.
    xcap: Notifier<simple_xcap::XcapDiffPackage>,
    /// New watchers whose presentity has pres-rules, to decide on.
    to_decide: Vec<(String, String)>,
}

impl core::fmt::Debug for Server {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server")
            .field("domain", &self.config.domain)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Server {
    /// A server with `config` over `store`, its randomness from `seed`; what the store holds
    /// is served again (publications, then subscriptions, each getting the current state).
    /// `sent_by` gives the address written in our Via for each transport we listen on.
    pub fn new(
        config: Config,
        mut store: Box<dyn Store>,
        seed: u64,
        sent_by: HashMap<Transport, String>,
        now: Instant,
    ) -> Result<Self, StoreError> {
        let default_sent_by = sent_by
            .get(&Transport::Udp)
            .or_else(|| sent_by.values().next())
            .cloned()
            .unwrap_or_else(|| config.domain.clone());
        let mut ep_config = EndpointConfig::new(&default_sent_by);
        ep_config.uas.any_method = true;
        ep_config.uas.forwards = true;
        ep_config.uas.accept = vec!["*/*".to_owned()];
        ep_config.uas.extensions = [
            "100rel",
            "timer",
            "replaces",
            "gruu",
            "outbound",
            "path",
            "norefersub",
            "eventlist",
            "from-change",
            "histinfo",
            "join",
            "precondition",
            "sec-agree",
            "tdialog",
            "resource-priority",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        ep_config.parse.max_body_size = config.limits.max_message;
        ep_config.parse.max_head_size = config.limits.max_message.min(32 * 1024);
        ep_config.user_agent = Some("simple-server (simple-rs)".to_owned());
        ep_config.max_transactions = config.limits.max_transactions;
        // §18.1.1 moves big requests to TCP: only when we listen on TCP
        if !sent_by.contains_key(&Transport::Tcp) {
            ep_config.stream_threshold = None;
        }
        let parse = ep_config.parse.clone();
        let ep = Endpoint::new(ep_config, seed);
        let contact = format!("<sip:presence@{default_sent_by}>");
        let mut presence = PresenceConfig::new(&contact);
        presence.notifier.journal = true;
        presence.winfo.journal = true;
        presence.notifier.max_subscriptions = config.limits.max_subscriptions;
        presence.winfo.max_subscriptions = config.limits.max_subscriptions;
        presence.compositor.max_publications = config.limits.max_publications;
        presence.notifier.min_interval = Duration::from_millis(config.presence.min_interval_ms);
        presence.expires.0 = config.presence.min_expires;
        if config.presence.pending {
            presence.notifier.authorization = Authorization::Pending;
        }
        let agent = PresenceAgent::new(presence, seed ^ 0x5eed);
        let xcap_host = config.xcap.listen.map_or_else(|| config.domain.clone(), |a| a.to_string());
        let xcap = Notifier::new(
            simple_xcap::XcapDiffPackage::<simple_xcap::MemoryStorage>::notifier_config(&contact),
            simple_xcap::XcapDiffPackage::new(simple_xcap::XcapServer::new(
                simple_xcap::ServerConfig::new(&format!("http://{xcap_host}{}", config.xcap.root)),
                simple_xcap::MemoryStorage::new(),
                seed ^ 0x0c0a_9000,
            )),
        );
        let mut digest_config = ServerConfig::new(config.realm());
        digest_config.algorithm =
            Algorithm::from_token(&config.auth.algorithm).unwrap_or(Algorithm::Md5);
        for u in &config.users {
            store.put_user(&u.name, &u.password)?;
        }
        let mut server = Self {
            ep,
            agent,
            digest: DigestServer::new(digest_config),
            parse,
            users: HashMap::new(),
            bindings: HashMap::new(),
            binding_expiry: BTreeSet::new(),
            forks: HashMap::new(),
            by_branch: HashMap::new(),
            rng: seed | 1,
            base: (now, unix_now()),
            store,
            changes: Vec::new(),
            dirty_resources: BTreeSet::new(),
            stored_pubs: HashMap::new(),
            buckets: HashMap::new(),
            subs_per_ip: HashMap::new(),
            sub_ip: HashMap::new(),
            pending_ip: HashMap::new(),
            to_restore: HashMap::new(),
            restore_order: VecDeque::new(),
            next_restore: None,
            sent_by,
            log: VecDeque::new(),
            stats: Stats::default(),
            xcap,
            to_decide: Vec::new(),
            config,
        };
        server.restore(now)?;
        Ok(server)
    }

    fn restore(&mut self, now: Instant) -> Result<(), StoreError> {
        let snap = self.store.load()?;
        self.users = snap.users.into_iter().collect();
        let unix = self.unix(now);
        // what expired while nobody served it goes from the store
        for b in snap.bindings.iter().filter(|b| b.expires <= unix) {
            self.changes.push(Change::Unbound { user: b.user.clone(), contact: b.contact.clone() });
        }
        for p in snap.publications.iter().filter(|p| p.expires <= unix) {
            self.changes
                .push(Change::Unpublished { resource: p.resource.clone(), etag: p.etag.clone() });
        }
        for b in snap.bindings.into_iter().filter(|b| b.expires > unix) {
            let at = self.instant(b.expires, now);
            self.binding_expiry.insert((at, b.user.clone()));
            self.bindings.entry(b.user.clone()).or_default().push(b);
        }
        let mut restored_pubs = 0;
        for p in snap.publications.into_iter().filter(|p| p.expires > unix) {
            let at = self.instant(p.expires, now);
            self.stored_pubs.entry(resource_key(&p.resource)).or_default().insert(p.etag.clone());
            self.agent.compositor_mut().restore(
                &p.resource,
                &p.etag,
                &p.content_type,
                Bytes::from(p.body),
                at,
            );
            restored_pubs += 1;
        }
        for d in snap.xcap {
            match simple_patch::Document::parse(&d.body) {
                Ok(document) => {
                    let key = stored_selector(d.auid, d.xui, d.path);
                    simple_xcap::Storage::put(
                        self.xcap.package_mut().server_mut().storage_mut(),
                        key,
                        simple_xcap::Stored { document, etag: d.etag },
                    );
                }
                Err(e) => self.say(format!("stored XCAP document does not parse: {e}")),
            }
        }
        for r in snap.rules {
            self.agent.authorize(&mut self.ep, &r.resource, &r.watcher, r.decision, now);
        }
        self.agent.sync(&mut self.ep, now);
        // presence before presence.winfo: watcher information then knows every watcher
        let (winfo, presence): (Vec<Subscription>, Vec<Subscription>) = snap
            .subscriptions
            .into_iter()
            .filter(|s| s.expires > unix)
            .partition(|s| s.record.event.starts_with("presence.winfo"));
        // served again at a bounded pace (each gets a NOTIFY: a restart must not flood the
        // watchers and the transaction table at once); one refreshed before its turn comes
        // first
        let stored = presence.len() + winfo.len();
        for s in presence.into_iter().chain(winfo) {
            let id = &s.record.dialog.id;
            let key = (id.call_id.clone(), id.local_tag.clone(), id.remote_tag.clone());
            self.restore_order.push_back(key.clone());
            self.to_restore.insert(key, s);
        }
        self.say(format!(
            "restored {} users, {} bindings, {restored_pubs} publications; {stored} subscriptions to serve again",
            self.users.len(),
            self.bindings.values().map(Vec::len).sum::<usize>()
        ));
        self.restore_some(now);
        self.after(now);
        Ok(())
    }

    /// Whether `user` is a user of the domain (any name, with [`crate::config::Auth::open`]).
    fn known(&self, user: &str) -> bool {
        self.config.auth.open || self.users.contains_key(user)
    }

    /// Serves again the next stored subscriptions (a tenth of a second's worth).
    fn restore_some(&mut self, now: Instant) {
        let batch = (self.config.presence.restore_per_second / 10).max(1);
        let mut n = 0;
        while n < batch {
            let Some(key) = self.restore_order.pop_front() else { break };
            if self.restore_one(&key, now) {
                n += 1;
            }
        }
        self.next_restore =
            (!self.restore_order.is_empty()).then(|| now + Duration::from_millis(100));
        if self.restore_order.is_empty() && n > 0 {
            self.say("every stored subscription is served again".to_owned());
        }
    }

    /// Serves one stored subscription again, if it is still waiting.
    fn restore_one(&mut self, key: &(String, String, String), now: Instant) -> bool {
        let Some(mut s) = self.to_restore.remove(key) else { return false };
        let unix = self.unix(now);
        if s.expires <= unix {
            self.changes.push(Change::Unsubscribed(s.record.dialog.id));
            return false;
        }
        s.record.expires_in = Duration::from_secs(u64::try_from(s.expires - unix).unwrap_or(0));
        let ip = s.record.peer.ip();
        let is_winfo = s.record.event.starts_with("presence.winfo");
        match self.agent.restore(&mut self.ep, s.record, now) {
            Some(sub) => {
                self.count_sub(is_winfo, sub, ip);
                true
            }
            None => false,
        }
    }

    fn unix(&self, now: Instant) -> i64 {
        let d = now.saturating_duration_since(self.base.0).as_secs();
        self.base.1 + i64::try_from(d).unwrap_or(0)
    }

    fn unix_at(&self, at: Instant) -> i64 {
        let d = i64::try_from(at.saturating_duration_since(self.base.0).as_secs()).unwrap_or(0);
        self.base.1 + d
    }

    fn instant(&self, unix: i64, now: Instant) -> Instant {
        let left = u64::try_from(unix - self.unix(now)).unwrap_or(0);
        now + Duration::from_secs(left)
    }

    fn random16(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        for chunk in out.chunks_mut(8) {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            chunk.copy_from_slice(&self.rng.to_le_bytes());
        }
        out
    }

    fn say(&mut self, line: String) {
        if self.log.len() < 10_000 {
            self.log.push_back(line);
        }
    }

    /// The next line for the log.
    pub fn poll_log(&mut self) -> Option<String> {
        self.log.pop_front()
    }

    /// What was counted.
    pub const fn stats(&self) -> Stats {
        self.stats
    }

    /// What the server holds now, for the `STATS` line.
    pub fn census(&self) -> Census {
        Census {
            transactions: self.ep.transactions(),
            subscriptions: self.agent.notifier().len(),
            winfo_subscriptions: self.agent.winfo().len(),
            publications: self.agent.compositor().len(),
            bindings: self.bindings.values().map(Vec::len).sum(),
            forks: self.forks.len(),
            to_restore: self.to_restore.len(),
        }
    }

    /// The presence agent (tests look at it).
    pub const fn agent(&self) -> &PresenceAgent {
        &self.agent
    }

    /// Counts a message taken in, and says whether its source may send it now.
    fn admit(&mut self, source: SocketAddr, now: Instant) -> bool {
        self.stats.received += 1;
        let rate = f64::from(self.config.limits.messages_per_second.max(1));
        let burst = rate * 2.0;
        if self.buckets.len() > 100_000 {
            // forget full buckets rather than grow without bound
            self.buckets.retain(|_, b| b.tokens < burst);
        }
        let b = self.buckets.entry(source.ip()).or_insert(Bucket { tokens: burst, at: now });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            self.stats.rate_limited += 1;
            false
        }
    }

    /// A datagram arrived.
    pub fn handle_datagram(
        &mut self,
        source: SocketAddr,
        transport: Transport,
        data: &[u8],
        now: Instant,
    ) {
        if !self.admit(source, now) {
            return;
        }
        self.ep.handle_datagram(source, transport, data, now);
        self.process(now);
    }

    /// Bytes arrived on a stream connection.
    pub fn handle_stream(
        &mut self,
        remote: SocketAddr,
        transport: Transport,
        data: &[u8],
        now: Instant,
    ) {
        if !self.admit(remote, now) {
            return;
        }
        self.ep.handle_stream(remote, transport, data, now);
        self.process(now);
    }

    /// A stream connection closed.
    pub fn handle_connection_closed(
        &mut self,
        remote: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        self.ep.handle_connection_closed(remote, transport);
        self.process(now);
    }

    /// Sending failed.
    pub fn handle_transport_error(
        &mut self,
        destination: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        self.ep.handle_transport_error(destination, transport);
        self.process(now);
    }

    /// The next bytes to send (what they acknowledge is stored first).
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.commit();
        self.ep.poll_transmit()
    }

    /// When to call [`Server::handle_timeout`].
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        [
            self.ep.poll_timeout().map(|t| t.0),
            self.agent.poll_timeout().map(|t| t.0),
            self.xcap.poll_timeout().map(|t| t.0),
            self.binding_expiry.first().map(|(t, _)| *t),
            self.next_restore,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Fires what is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.next_restore.is_some_and(|t| t <= now) {
            self.restore_some(now);
        }
        self.ep.handle_timeout(now);
        self.agent.handle_timeout(&mut self.ep, now);
        self.xcap.handle_timeout(&mut self.ep, now);
        while let Some((at, user)) = self.binding_expiry.first().cloned() {
            if at > now {
                break;
            }
            self.binding_expiry.pop_first();
            self.expire_bindings(&user, now);
        }
        self.process(now);
    }

    fn expire_bindings(&mut self, user: &str, now: Instant) {
        let unix = self.unix(now);
        let Some(list) = self.bindings.get_mut(user) else { return };
        let mut gone = Vec::new();
        list.retain(|b| {
            let live = b.expires > unix;
            if !live {
                gone.push(b.contact.clone());
            }
            live
        });
        if list.is_empty() {
            self.bindings.remove(user);
        }
        for contact in gone {
            self.changes.push(Change::Unbound { user: user.to_owned(), contact });
        }
    }

    /// Runs the endpoint's events through the server, then writes what changed.
    fn process(&mut self, now: Instant) {
        while let Some(event) = self.ep.poll_event() {
            self.event(event, now);
        }
        self.after(now);
    }

    /// Presence events, the journal, the store.
    fn after(&mut self, now: Instant) {
        while let Some(e) = self.agent.poll_event() {
            self.presence_event(e);
        }
        while let Some(e) = self.xcap.poll_event() {
            match e {
                NotifierEvent::Subscribed { resource, watcher, expires, .. } => {
                    self.say(format!(
                        "xcap-diff subscription {watcher} -> {resource}, {expires} s"
                    ));
                }
                NotifierEvent::Terminated { watcher, reason, .. } => {
                    self.say(format!("xcap-diff subscription of {watcher} ended: {reason:?}"));
                }
                NotifierEvent::Refreshed { .. } | NotifierEvent::StatusChanged { .. } => {}
                other => self.say(format!("xcap-diff: {other:?}")),
            }
        }
        for (resource, watcher) in core::mem::take(&mut self.to_decide) {
            self.decide(&resource, &watcher, now);
            while let Some(e) = self.agent.poll_event() {
                self.presence_event(e);
            }
        }
        // SUBSCRIBEs the agent refused made no subscription to count
        self.pending_ip.clear();
        while let Some(j) = self.agent.poll_journal(now) {
            match j {
                Journal::Saved(record) => {
                    let expires =
                        self.unix(now) + i64::try_from(record.expires_in.as_secs()).unwrap_or(0);
                    self.changes.push(Change::Subscription(Box::new(Subscription {
                        record: *record,
                        expires,
                    })));
                }
                Journal::Removed(id) => self.changes.push(Change::Unsubscribed(id)),
                other => self.say(format!("journal: {other:?}")),
            }
        }
        for resource in core::mem::take(&mut self.dirty_resources) {
            // what the store holds of it (as last written or read) against what the
            // compositor holds: the new entity tags are written, the gone ones removed
            let stored = self.stored_pubs.remove(&resource).unwrap_or_default();
            let mut now_held = BTreeSet::new();
            for p in self.agent.compositor().publications(&resource) {
                now_held.insert(p.etag.to_owned());
                if !stored.contains(p.etag) {
                    self.changes.push(Change::Publication(Publication {
                        resource: resource.clone(),
                        etag: p.etag.to_owned(),
                        content_type: p.content_type.to_owned(),
                        body: p.body.to_vec(),
                        expires: self.unix_at(p.expires_at),
                    }));
                }
            }
            for etag in stored.difference(&now_held) {
                self.changes
                    .push(Change::Unpublished { resource: resource.clone(), etag: etag.clone() });
            }
            if !now_held.is_empty() {
                self.stored_pubs.insert(resource, now_held);
            }
        }
    }

    /// Writes what changed to the store, in one transaction. [`Server::poll_transmit`] calls it
    /// before the first byte goes out: nothing is answered or notified before it is stored, so
    /// a caller that takes many datagrams in before sending writes once for all of them.
    pub fn commit(&mut self) {
        if self.changes.is_empty() {
            return;
        }
        let changes = core::mem::take(&mut self.changes);
        self.stats.store_writes += 1;
        if let Err(e) = self.store.apply(&changes) {
            self.say(format!("store write failed ({} changes): {e}", changes.len()));
        }
    }

    fn count_sub(&mut self, winfo: bool, sub: NotifierSub, ip: IpAddr) {
        self.sub_ip.insert((winfo, sub), ip);
        *self.subs_per_ip.entry(ip).or_default() += 1;
    }

    fn presence_event(&mut self, e: PresenceEvent) {
        let (winfo, e) = match e {
            PresenceEvent::Watcher(e) => (false, e),
            PresenceEvent::WinfoSubscriber(e) => (true, e),
            PresenceEvent::Publication(c) => {
                match &c {
                    CompositorEvent::Changed { resource } => {
                        self.dirty_resources.insert(resource.clone());
                    }
                    CompositorEvent::Expired { resource, etag } => {
                        self.say(format!("publication {etag} of {resource} expired"));
                    }
                    other => self.say(format!("compositor: {other:?}")),
                }
                return;
            }
            other => {
                self.say(format!("presence: {other:?}"));
                return;
            }
        };
        match e {
            NotifierEvent::Subscribed { sub, resource, watcher, status, call_id, expires } => {
                if let Some(ip) = self.pending_ip.remove(&call_id) {
                    self.count_sub(winfo, sub, ip);
                }
                // evaluated once, when decided after the agent's events
                if !winfo && self.pres_rules(&resource).is_some() {
                    self.to_decide.push((resource.clone(), watcher.clone()));
                }
                self.say(format!(
                    "{} {watcher} -> {resource}: {status:?}, {expires} s",
                    if winfo { "winfo subscription" } else { "watcher" }
                ));
            }
            NotifierEvent::Terminated { sub, resource, watcher, reason } => {
                if let Some(ip) = self.sub_ip.remove(&(winfo, sub)) {
                    if let Some(n) = self.subs_per_ip.get_mut(&ip) {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            self.subs_per_ip.remove(&ip);
                        }
                    }
                }
                self.say(format!("subscription of {watcher} to {resource} ended: {reason:?}"));
            }
            NotifierEvent::StatusChanged { resource, status, .. } => {
                self.say(format!("a watcher of {resource} is now {status:?}"));
            }
            NotifierEvent::Refreshed { .. } => {}
            other => self.say(format!("notifier: {other:?}")),
        }
    }

    fn respond(
        &mut self,
        tx: ServerTx,
        code: u16,
        reason: &str,
        headers: &[(&str, &[u8])],
        now: Instant,
    ) {
        let _ = self.ep.respond(tx, &Reply::new(code, reason).headers(headers), now);
    }

    #[allow(
        clippy::wildcard_enum_match_arm,
        reason = "events the server does not act on are logged"
    )]
    fn event(&mut self, event: Event, now: Instant) {
        match event {
            Event::Request { tx, request, source, transport } => {
                self.request(tx, request, source, transport, now);
            }
            Event::Response { tx, response } if self.by_branch.contains_key(&tx) => {
                self.branch_answered(tx, Some(response), 0, now);
            }
            Event::Timeout { tx } if self.by_branch.contains_key(&tx) => {
                self.branch_answered(tx, None, 408, now);
            }
            Event::TransportError { tx } if self.by_branch.contains_key(&tx) => {
                self.branch_answered(tx, None, 503, now);
            }
            Event::Cancelled { tx } => {
                if let Some(f) = self.forks.get(&tx) {
                    for b in f.branches.clone() {
                        let _ = self.ep.cancel(b, now);
                    }
                }
            }
            Event::Dropped { source, reason } => {
                self.say(format!("dropped from {source}: {reason:?}"))
            }
            Event::Rejected { source, code, why } => {
                self.say(format!("answered {code} to {source}: {why}"))
            }
            other => {
                // the presence agent's and the xcap-diff notifier's NOTIFY answers
                let rest = self
                    .agent
                    .handle(&mut self.ep, other, now)
                    .and_then(|e| self.xcap.handle(&mut self.ep, e, now));
                if let Some(rest) = rest {
                    match rest {
                        Event::CloseConnection { .. }
                        | Event::StrayResponse { .. }
                        | Event::Ack { .. } => {}
                        e => self.say(format!("unhandled: {e:?}")),
                    }
                }
            }
        }
    }

    fn request(
        &mut self,
        tx: ServerTx,
        request: OwnedMessage,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        let Some(method) = request.method().map(Method::into_owned) else { return };
        let facts = request.view(|m| {
            let uri =
                m.request().and_then(|r| Uri::parse(r.uri.as_ref()).ok().map(Uri::into_owned));
            let from = m.require::<FromHeader<'_>>().ok().map(|f| f.0.uri.clone().into_owned());
            let to_tag = m.require::<ToHeader<'_>>().ok().and_then(|t| t.tag().map(str::to_owned));
            let event =
                m.typed::<EventHeader<'_>>().ok().flatten().map(|e| e.event_type.to_string());
            let call_id = m.require::<CallId<'_>>().ok().map(|c| c.0.into_owned());
            (uri, from, to_tag, event, call_id)
        });
        let (Some(uri), Some(from)) = (facts.0, facts.1) else {
            self.respond(tx, 400, "Bad Request", &[], now);
            return;
        };
        let (to_tag, event, call_id) = (facts.2, facts.3, facts.4.unwrap_or_default());
        let target_user =
            sip_user(&uri).filter(|(_, host)| self.config.is_local(host)).map(|(u, _)| u);
        let from_user =
            sip_user(&from).filter(|(_, host)| self.config.is_local(host)).map(|(u, _)| u);
        if matches!(method, Method::Ack) {
            return; // an ACK of a 2xx addressed to us: nothing of ours to acknowledge
        }
        if method == Method::Register {
            self.register(tx, &request, source, transport, now);
            return;
        }
        let presence_package = matches!(event.as_deref(), Some("presence" | "presence.winfo"));
        if let (Some(local), false) = (&to_tag, self.to_restore.is_empty()) {
            // a refresh of a stored subscription whose turn has not come: served now
            let remote = request.view(|m| {
                m.require::<FromHeader<'_>>().ok().and_then(|f| f.tag().map(str::to_owned))
            });
            if let Some(remote) = remote {
                self.restore_one(&(call_id.clone(), local.clone(), remote), now);
            }
        }
        let ours = matches!(method, Method::Publish | Method::Subscribe) && presence_package;
        // out-of-dialog requests from the domain's users prove who they are
        let challenged = to_tag.is_none()
            && self.config.auth.required
            && !self.config.auth.open
            && matches!(
                method,
                Method::Publish
                    | Method::Subscribe
                    | Method::Message
                    | Method::Invite
                    | Method::Refer
            )
            && from_user.is_some();
        if challenged {
            let from_user = from_user.clone().unwrap_or_default();
            match self.verify(&request, &method, true, now) {
                Some(Verdict::Authorized { username }) if username == from_user => {}
                Some(Verdict::Authorized { username }) => {
                    self.say(format!("{username} may not send as {from_user}"));
                    self.respond(tx, 403, "Forbidden", &[], now);
                    return;
                }
                verdict => {
                    self.challenge(tx, 407, verdict == Some(Verdict::Stale), now);
                    return;
                }
            }
        }
        if method == Method::Message && target_user.as_deref() == Some("presence") {
            self.rules(tx, &request, &from, now);
            return;
        }
        if ours && to_tag.is_none() {
            // only a user of the domain is served here, and only they publish their own state
            match &target_user {
                Some(u) if self.known(u) => {}
                _ => {
                    self.respond(tx, 404, "Not Found", &[], now);
                    return;
                }
            }
            if method == Method::Publish && from_user != target_user {
                self.respond(tx, 403, "Forbidden", &[], now);
                return;
            }
            if method == Method::Subscribe {
                let n = self.subs_per_ip.get(&source.ip()).copied().unwrap_or(0);
                if n >= self.config.limits.subscriptions_per_source {
                    self.respond(tx, 503, "Too Many Subscriptions", &[("Retry-After", b"60")], now);
                    return;
                }
                self.pending_ip.insert(call_id.clone(), source.ip());
            }
        }
        let event = Event::Request { tx, request, source, transport };
        // a subscription it made is counted against its source when the agent reports it
        let Some(event) = self.agent.handle(&mut self.ep, event, now) else { return };
        let Some(event) = self.xcap.handle(&mut self.ep, event, now) else {
            self.pending_ip.remove(&call_id);
            return;
        };
        let Event::Request { tx, request, .. } = event else { return };
        self.pending_ip.remove(&call_id);
        if to_tag.is_some() {
            // in a dialog that is not ours (we do not record routes)
            self.respond(tx, 481, "Call/Transaction Does Not Exist", &[], now);
            return;
        }
        match target_user {
            Some(user) if self.known(&user) => self.forward(tx, &request, &method, &user, now),
            Some(_) => self.respond(tx, 404, "Not Found", &[], now),
            None if sip_user(&uri).is_none_or(|(_, h)| self.config.is_local(&h)) => {
                // for the server itself
                match method {
                    Method::Options => {
                        let allow = b"REGISTER, PUBLISH, SUBSCRIBE, NOTIFY, MESSAGE, OPTIONS, INVITE, ACK, CANCEL, BYE";
                        self.respond(
                            tx,
                            200,
                            "OK",
                            &[
                                ("Allow", allow),
                                ("Allow-Events", b"presence, presence.winfo, xcap-diff"),
                            ],
                            now,
                        );
                    }
                    _ => {
                        let ev = Event::Request { tx, request, source, transport };
                        let _ = simple_sip::event::refuse(
                            &mut self.ep,
                            ev,
                            &["presence", "presence.winfo", "xcap-diff"],
                            now,
                        );
                    }
                }
            }
            None => self.respond(tx, 403, "Relaying Denied", &[], now),
        }
    }

    fn verify(
        &mut self,
        request: &OwnedMessage,
        method: &Method<'_>,
        proxy: bool,
        now: Instant,
    ) -> Option<Verdict> {
        let users = &self.users;
        let digest = &mut self.digest;
        request.view(|m| {
            let auth = if proxy {
                m.typed::<ProxyAuthorization<'_>>().ok().flatten().map(|a| a.0)
            } else {
                m.typed::<AuthHeader<'_>>().ok().flatten().map(|a| a.0)
            }?;
            let uri = auth.param("uri").map(|c| c.into_owned()).unwrap_or_default();
            let req = DigestRequest { method: method.as_str(), uri: &uri, body: m.body() };
            Some(
                digest.verify(&auth, &req, now, |u| {
                    users.get(u).map(|p| Secret::Password(p.clone()))
                }),
            )
        })
    }

    fn challenge(&mut self, tx: ServerTx, code: u16, stale: bool, now: Instant) {
        self.stats.challenged += 1;
        let value = self.digest_challenge(stale, now);
        let (name, reason) = if code == 401 {
            ("WWW-Authenticate", "Unauthorized")
        } else {
            ("Proxy-Authenticate", "Proxy Authentication Required")
        };
        self.respond(tx, code, reason, &[(name, value.as_bytes())], now);
    }

    /// A fresh digest challenge (`stale=true` after an expired nonce), for SIP and XCAP.
    fn digest_challenge(&mut self, stale: bool, now: Instant) -> String {
        let random = self.random16();
        if stale {
            self.digest.challenge_stale(now, random)
        } else {
            self.digest.challenge(now, random)
        }
    }

    /// §10.3.
    fn register(
        &mut self,
        tx: ServerTx,
        request: &OwnedMessage,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        let (to, call_id, cseq, expires, contacts) = request.view(|m| {
            let to = m.require::<ToHeader<'_>>().ok().map(|t| t.0.uri.clone().into_owned());
            let call_id = m.require::<CallId<'_>>().ok().map(|c| c.0.into_owned());
            let cseq = m.require::<CSeq<'_>>().ok().map(|c| c.seq);
            let expires = m.typed::<Expires>().ok().flatten().map(|e| e.0);
            let contacts: Result<Vec<Contact<'static>>, _> =
                m.typed_all::<Contact<'_>>().map(|c| c.map(Contact::into_owned)).collect();
            (to, call_id, cseq, expires, contacts)
        });
        let (Some(to), Some(call_id), Some(cseq), Ok(contacts)) = (to, call_id, cseq, contacts)
        else {
            self.respond(tx, 400, "Bad Request", &[], now);
            return;
        };
        let Some(user) = sip_user(&to).filter(|(_, h)| self.config.is_local(h)).map(|(u, _)| u)
        else {
            self.respond(tx, 403, "Not Our Domain", &[], now);
            return;
        };
        if !self.known(&user) {
            self.respond(tx, 404, "Not Found", &[], now);
            return;
        }
        if self.config.auth.required && !self.config.auth.open {
            match self.verify(request, &Method::Register, false, now) {
                Some(Verdict::Authorized { username }) if username == user => {}
                Some(Verdict::Authorized { .. }) => {
                    self.respond(tx, 403, "Forbidden", &[], now);
                    return;
                }
                verdict => {
                    self.challenge(tx, 401, verdict == Some(Verdict::Stale), now);
                    return;
                }
            }
        }
        let max = self.config.limits.max_register_expires;
        let unix = self.unix(now);
        let mut list = self.bindings.remove(&user).unwrap_or_default();
        list.retain(|b| b.expires > unix);
        let before = list.clone();
        let wildcard = contacts.iter().any(|c| matches!(c, Contact::Wildcard));
        if wildcard {
            if expires != Some(0) || contacts.len() > 1 {
                self.bindings.insert(user, list);
                self.respond(tx, 400, "Bad Request", &[], now);
                return;
            }
            list.retain(|b| b.call_id == call_id && b.cseq >= cseq);
        }
        for c in &contacts {
            let Some(a) = c.address() else { continue };
            let uri = a.uri.to_string();
            let secs = c.expires().or(expires).unwrap_or(3600).min(max);
            if let Some(old) = list.iter().find(|b| b.contact == uri) {
                if old.call_id == call_id && old.cseq >= cseq {
                    // §10.3 step 7: an older REGISTER of the same flow
                    self.bindings.insert(user, list);
                    self.respond(tx, 500, "Server Internal Error", &[("Retry-After", b"1")], now);
                    return;
                }
            }
            list.retain(|b| b.contact != uri);
            if secs > 0 {
                if list.len() >= self.config.limits.bindings_per_user {
                    list.remove(0);
                }
                list.push(Binding {
                    user: user.clone(),
                    contact: uri,
                    expires: unix + i64::from(secs),
                    source,
                    transport,
                    call_id: call_id.clone(),
                    cseq,
                });
                self.binding_expiry.insert((now + Duration::from_secs(secs.into()), user.clone()));
            }
        }
        let mut headers: Vec<(String, String)> = list
            .iter()
            .map(|b| {
                (
                    "Contact".to_owned(),
                    format!("<{}>;expires={}", b.contact, (b.expires - unix).max(0)),
                )
            })
            .collect();
        headers.push(("Date".to_owned(), http_date(unix)));
        let refs: Vec<(&str, &[u8])> =
            headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        self.respond(tx, 200, "OK", &refs, now);
        self.say(format!(
            "{user} has {} bindings (from {source} over {})",
            list.len(),
            transport.as_str()
        ));
        // the rows that changed, one by one: another node's fresh binding of the same user
        // is not ours to overwrite
        for b in &before {
            if !list.iter().any(|x| x.contact == b.contact) {
                self.changes
                    .push(Change::Unbound { user: user.clone(), contact: b.contact.clone() });
            }
        }
        for b in &list {
            if !before.contains(b) {
                self.changes.push(Change::Binding(b.clone()));
            }
        }
        if list.is_empty() {
            self.bindings.remove(&user);
        } else {
            self.bindings.insert(user, list);
        }
    }

    /// A presentity's decisions about its watchers.
    fn rules(&mut self, tx: ServerTx, request: &OwnedMessage, from: &Uri<'_>, now: Instant) {
        let resource = resource_key(&from.to_string());
        let body = request.body();
        let text = String::from_utf8_lossy(&body).into_owned();
        let mut decisions = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut words = line.split_whitespace();
            let decision = words.next().and_then(crate::store::decision_from);
            match (decision, words.next(), words.next()) {
                (Some(d), Some(w), None) if w.starts_with("sip:") || w.starts_with("sips:") => {
                    decisions.push((d, resource_key(w)));
                }
                _ => {
                    let reason = format!("not a rule: {line}");
                    self.respond(tx, 400, &reason, &[], now);
                    return;
                }
            }
        }
        for (decision, watcher) in decisions {
            self.agent.authorize(&mut self.ep, &resource, &watcher, decision, now);
            self.say(format!("{resource}: {} {watcher}", crate::store::decision_name(decision)));
            self.changes.push(Change::Rule(Rule { resource: resource.clone(), watcher, decision }));
        }
        self.respond(tx, 200, "OK", &[], now);
    }

    /// The presentity's pres-rules (RFC 5025, or OMA's), if it has a document.
    fn pres_rules(&self, resource: &str) -> Option<simple_xcap::Ruleset> {
        ["pres-rules", "org.openmobilealliance.pres-rules"].iter().find_map(|auid| {
            let key = simple_xcap::DocumentSelector::user(auid, resource, "index");
            let stored = simple_xcap::Storage::get(self.xcap.package().server().storage(), &key)?;
            simple_xcap::Ruleset::from_document(&stored.document).ok()
        })
    }

    /// What the presentity's pres-rules decide for a watcher: `None` without pres-rules.
    /// Allowed and politely blocked watchers are active, and see the document through the
    /// permission (its transformations, or the polite block's closed tuple).
    fn pres_rules_decision(
        &self,
        resource: &str,
        watcher: &str,
    ) -> Option<(Authorization, Option<simple_xcap::Permission>)> {
        let rules = self.pres_rules(resource)?;
        let now = simple_pidf::DateTime::from_unix(unix_now(), 0);
        let p = rules.evaluate(&simple_xcap::Context::new(Some(watcher), &now));
        Some(match p.sub_handling {
            simple_xcap::SubHandling::Allow | simple_xcap::SubHandling::PoliteBlock => {
                (Authorization::Active, Some(p))
            }
            simple_xcap::SubHandling::Confirm => (Authorization::Pending, None),
            simple_xcap::SubHandling::Block => (Authorization::Rejected, None),
        })
    }

    /// Applies the presentity's pres-rules to a watcher: its authorization, and the filter
    /// of what it sees. A watcher turning active gets its filter first and one leaving
    /// active is decided first, so that nothing unfiltered goes out. Without pres-rules
    /// (deleted) the watcher waits for a decision again.
    fn decide(&mut self, resource: &str, watcher: &str, now: Instant) {
        let (decision, permission) =
            self.pres_rules_decision(resource, watcher).unwrap_or((Authorization::Pending, None));
        let filter = permission.map(|p| {
            std::sync::Arc::new(p) as std::sync::Arc<dyn simple_sip::presence::DocumentFilter>
        });
        if decision == Authorization::Active {
            self.agent.filter(&mut self.ep, resource, watcher, filter, now);
            self.agent.authorize(&mut self.ep, resource, watcher, decision, now);
        } else {
            self.agent.authorize(&mut self.ep, resource, watcher, decision, now);
            self.agent.filter(&mut self.ep, resource, watcher, filter, now);
        }
    }

    /// Answers an XCAP request (RFC 4825). Authentication is HTTP digest or basic against
    /// the users (`alice` or `sip:alice@DOMAIN` with the SIP password); a pres-rules change takes
    /// effect on the presentity's watchers at once.
    pub fn handle_http(
        &mut self,
        request: &http::Request<Bytes>,
        now: Instant,
    ) -> http::Response<Bytes> {
        let mut user = None;
        if let Some(v) = request.headers().get(http::header::AUTHORIZATION) {
            let digest = v.as_bytes().get(..7).is_some_and(|s| s.eq_ignore_ascii_case(b"digest "));
            let found = if digest {
                self.digest_user(request, now)
            } else {
                self.basic_user(v.as_bytes()).ok_or(false)
            };
            match found {
                Ok(u) => user = Some(u),
                Err(stale) => return self.unauthorized(stale, now),
            }
        }
        let r = self.xcap.package_mut().server_mut().handle(request, user.as_deref());
        if r.status() == http::StatusCode::UNAUTHORIZED {
            return self.unauthorized(false, now);
        }
        let mut rules_of = BTreeSet::new();
        while let Some(c) = self.xcap.package_mut().server_mut().poll_change() {
            self.xcap_changed(&c, &mut rules_of, now);
            let xui = c.document.xui().unwrap_or_default().to_owned();
            match &c.new_etag {
                Some(etag) => {
                    let body = simple_xcap::Storage::get(
                        self.xcap.package().server().storage(),
                        &c.document,
                    )
                    .map(|s| s.document.to_vec())
                    .unwrap_or_default();
                    self.changes.push(Change::Xcap(Box::new(XcapDocument {
                        auid: c.document.auid.clone(),
                        xui,
                        path: c.document.path.clone(),
                        etag: etag.clone(),
                        body,
                    })));
                }
                None => self.changes.push(Change::XcapDeleted(
                    c.document.auid.clone(),
                    xui,
                    c.document.path.clone(),
                )),
            }
        }
        self.rules_changed(rules_of, now);
        self.after(now);
        r
    }

    /// An XCAP document changed (here or on another node): the xcap-diff subscriptions that
    /// watch it are notified, and a pres-rules document's presentity noted in `rules_of`.
    fn xcap_changed(
        &mut self,
        c: &simple_xcap::Change,
        rules_of: &mut BTreeSet<String>,
        now: Instant,
    ) {
        for sub in self.xcap.package_mut().record(c) {
            self.xcap.notify(&mut self.ep, sub, now);
        }
        if c.document.auid.ends_with("pres-rules") {
            rules_of.insert(c.document.xui().unwrap_or_default().to_owned());
        }
    }

    /// The pres-rules of these presentities changed: their watchers are decided again.
    fn rules_changed(&mut self, rules_of: BTreeSet<String>, now: Instant) {
        for xui in rules_of {
            let resource = resource_key(&xui);
            let watchers: Vec<String> = self
                .agent
                .notifier()
                .subscriptions(&resource)
                .filter_map(|sub| self.agent.notifier().watcher(sub).map(|(w, _)| w.to_owned()))
                .collect();
            self.say(format!("pres-rules of {resource} changed: {} watchers", watchers.len()));
            for w in watchers {
                self.decide(&resource, &w, now);
            }
        }
    }

    /// What another node changed in the shared store (or what the store hands over): the
    /// state held here follows, and this node's watchers are notified of what they see
    /// change. Nothing of it is written back.
    pub fn handle_remote(&mut self, remote: Remote, now: Instant) {
        match remote {
            Remote::Bindings { user, bindings } => self.remote_bindings(&user, bindings, now),
            Remote::Publications { resource, publications } => {
                self.remote_publications(&resource, publications, now);
            }
            Remote::Rule(r) => {
                self.agent.authorize(&mut self.ep, &r.resource, &r.watcher, r.decision, now);
            }
            Remote::Xcap(key, document) => {
                let mut rules_of = BTreeSet::new();
                self.remote_xcap(key, document, &mut rules_of, now);
                self.rules_changed(rules_of, now);
            }
            Remote::Users(users) => self.users = users.into_iter().collect(),
            Remote::Everything(snap) => self.remote_everything(*snap, now),
            Remote::Adopt(subs) => {
                self.say(format!(
                    "took over {} subscriptions of a node whose lease ran out",
                    subs.len()
                ));
                for s in subs {
                    let id = &s.record.dialog.id;
                    let key = (id.call_id.clone(), id.local_tag.clone(), id.remote_tag.clone());
                    if self.to_restore.insert(key.clone(), s).is_none() {
                        self.restore_order.push_back(key);
                    }
                }
                self.restore_some(now);
            }
        }
        self.agent.sync(&mut self.ep, now);
        self.after(now);
    }

    fn remote_bindings(&mut self, user: &str, bindings: Vec<Binding>, now: Instant) {
        let unix = self.unix(now);
        let live: Vec<Binding> = bindings.into_iter().filter(|b| b.expires > unix).collect();
        for b in &live {
            let at = self.instant(b.expires, now);
            self.binding_expiry.insert((at, user.to_owned()));
        }
        if live.is_empty() {
            self.bindings.remove(user);
        } else {
            self.bindings.insert(user.to_owned(), live);
        }
    }

    fn remote_publications(&mut self, resource: &str, rows: Vec<Publication>, now: Instant) {
        let resource = resource_key(resource);
        let unix = self.unix(now);
        let rows: Vec<Publication> = rows.into_iter().filter(|p| p.expires > unix).collect();
        let held: Vec<String> =
            self.agent.compositor().publications(&resource).map(|p| p.etag.to_owned()).collect();
        for etag in &held {
            if !rows.iter().any(|p| &p.etag == etag) {
                self.agent.compositor_mut().forget(etag);
            }
        }
        let mut stored = BTreeSet::new();
        for p in rows {
            stored.insert(p.etag.clone());
            if !held.contains(&p.etag) {
                let at = self.instant(p.expires, now);
                self.agent.compositor_mut().restore(
                    &resource,
                    &p.etag,
                    &p.content_type,
                    Bytes::from(p.body),
                    at,
                );
            }
        }
        if stored.is_empty() {
            self.stored_pubs.remove(&resource);
        } else {
            self.stored_pubs.insert(resource, stored);
        }
    }

    fn remote_xcap(
        &mut self,
        (auid, xui, path): (String, String, String),
        document: Option<Box<XcapDocument>>,
        rules_of: &mut BTreeSet<String>,
        now: Instant,
    ) {
        let selector = stored_selector(auid, xui, path);
        let storage = self.xcap.package_mut().server_mut().storage_mut();
        let previous_etag = simple_xcap::Storage::get(storage, &selector).map(|s| s.etag.clone());
        let new_etag = match document {
            Some(d) if previous_etag.as_deref() == Some(d.etag.as_str()) => return,
            Some(d) => match simple_patch::Document::parse(&d.body) {
                Ok(document) => {
                    let etag = d.etag.clone();
                    simple_xcap::Storage::put(
                        storage,
                        selector.clone(),
                        simple_xcap::Stored { document, etag: d.etag },
                    );
                    Some(etag)
                }
                Err(e) => {
                    self.say(format!("a shared XCAP document does not parse: {e}"));
                    return;
                }
            },
            None if previous_etag.is_none() => return,
            None => {
                simple_xcap::Storage::remove(storage, &selector);
                None
            }
        };
        let change = simple_xcap::Change {
            document: selector,
            previous_etag,
            new_etag,
            patch: None,
            namespaces: Vec::new(),
            node: None,
        };
        self.xcap_changed(&change, rules_of, now);
    }

    /// Everything shared, read again: what differs from what is held is taken as if each
    /// difference had been announced.
    fn remote_everything(&mut self, snap: Snapshot, now: Instant) {
        self.users = snap.users.into_iter().collect();
        let mut by_user: HashMap<String, Vec<Binding>> = HashMap::new();
        for b in snap.bindings {
            by_user.entry(b.user.clone()).or_default().push(b);
        }
        let users: BTreeSet<String> = self.bindings.keys().chain(by_user.keys()).cloned().collect();
        for user in users {
            let rows = by_user.remove(&user).unwrap_or_default();
            self.remote_bindings(&user, rows, now);
        }
        let mut by_resource: HashMap<String, Vec<Publication>> = HashMap::new();
        for p in snap.publications {
            by_resource.entry(resource_key(&p.resource)).or_default().push(p);
        }
        let resources: BTreeSet<String> = self
            .agent
            .compositor()
            .resources()
            .map(str::to_owned)
            .chain(by_resource.keys().cloned())
            .collect();
        for resource in resources {
            let rows = by_resource.remove(&resource).unwrap_or_default();
            self.remote_publications(&resource, rows, now);
        }
        for r in snap.rules {
            self.agent.authorize(&mut self.ep, &r.resource, &r.watcher, r.decision, now);
        }
        let mut rules_of = BTreeSet::new();
        let mut shared = BTreeSet::new();
        for d in snap.xcap {
            let key = (d.auid.clone(), d.xui.clone(), d.path.clone());
            shared.insert(key.clone());
            self.remote_xcap(key, Some(Box::new(d)), &mut rules_of, now);
        }
        // documents held here that the store no longer has
        let server = self.xcap.package().server();
        let gone: Vec<(String, String, String)> = server
            .config()
            .usages
            .iter()
            .flat_map(|u| simple_xcap::Storage::documents(server.storage(), &u.auid))
            .map(|(k, _)| (k.auid.clone(), k.xui().unwrap_or_default().to_owned(), k.path.clone()))
            .filter(|k| !shared.contains(k))
            .collect();
        for key in gone {
            self.remote_xcap(key, None, &mut rules_of, now);
        }
        self.rules_changed(rules_of, now);
        self.say("read the shared store again".to_owned());
    }

    /// The XUI of a digest `Authorization` (RFC 7616) that is right for this request, with
    /// the nonces, algorithm and users of SIP; `Err(stale)` otherwise.
    fn digest_user(
        &mut self,
        request: &http::Request<Bytes>,
        now: Instant,
    ) -> Result<String, bool> {
        use simple_sip::headers::TypedHeader as _;
        let value = request.headers().get(http::header::AUTHORIZATION).ok_or(false)?;
        let auth = AuthHeader::parse(value.as_bytes()).map_err(|_| false)?;
        let uri = auth.0.param("uri").map(|c| c.into_owned()).unwrap_or_default();
        // the response covers the request's own target (RFC 7616 §3.4.6)
        let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
        if uri != target && uri != request.uri().to_string() {
            return Err(false);
        }
        let req =
            DigestRequest { method: request.method().as_str(), uri: &uri, body: request.body() };
        let users = &self.users;
        match self.digest.verify(&auth.0, &req, now, |u| {
            users.get(user_name(u)).map(|p| Secret::Password(p.clone()))
        }) {
            Verdict::Authorized { username } => {
                Ok(format!("sip:{}@{}", user_name(&username), self.config.domain))
            }
            Verdict::Stale => Err(true),
            Verdict::Rejected(_) => Err(false),
            other => {
                self.say(format!("xcap digest: {other:?}"));
                Err(false)
            }
        }
    }

    /// The XUI of a basic `Authorization` whose password is right.
    fn basic_user(&self, value: &[u8]) -> Option<String> {
        use base64::Engine as _;
        let v = core::str::from_utf8(value).ok()?;
        let (scheme, token) = v.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD.decode(token.trim()).ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (name, password) = raw.rsplit_once(':')?;
        let name = user_name(name);
        (self.users.get(name).map(String::as_str) == Some(password))
            .then(|| format!("sip:{name}@{}", self.config.domain))
    }

    /// 401 offering digest (the SIP challenge: realm, nonce, algorithm; `stale` after an
    /// expired nonce) and basic.
    fn unauthorized(&mut self, stale: bool, now: Instant) -> http::Response<Bytes> {
        let digest = self.digest_challenge(stale, now);
        let mut r = http::Response::new(Bytes::new());
        *r.status_mut() = http::StatusCode::UNAUTHORIZED;
        let basic = format!("Basic realm=\"{}\"", self.config.realm());
        for v in [digest, basic] {
            if let Ok(v) = http::HeaderValue::from_str(&v) {
                r.headers_mut().append(http::header::WWW_AUTHENTICATE, v);
            }
        }
        r
    }

    fn via(&mut self, transport: Transport) -> String {
        let sent_by =
            self.sent_by.get(&transport).cloned().unwrap_or_else(|| self.config.domain.clone());
        let r = self.random16();
        let branch: String = r[..10].iter().map(|b| format!("{b:02x}")).collect();
        format!("SIP/2.0/{} {sent_by};branch=z9hG4bK{branch};rport", transport.as_str())
    }

    fn forward(
        &mut self,
        tx: ServerTx,
        request: &OwnedMessage,
        method: &Method<'static>,
        user: &str,
        now: Instant,
    ) {
        let unix = self.unix(now);
        let targets: Vec<Binding> = self
            .bindings
            .get(user)
            .map(|l| l.iter().filter(|b| b.expires > unix).cloned().collect())
            .unwrap_or_default();
        if targets.is_empty() {
            // A store-less server cannot take an IM for later: it refuses, and after a
            // refusal no negative-delivery notification may follow (RFC 5438 §12.1.3.1,
            // §12.2): the 480 is the sender's delivery answer.
            if *method == Method::Message {
                if let Some(id) = imdn_request(request) {
                    self.say(format!("{user} is offline: 480 for IM {id}, no IMDN (store-less)"));
                }
            }
            self.respond(tx, 480, "Temporarily Unavailable", &[], now);
            return;
        }
        let mut branches = Vec::new();
        let mut failure = None;
        for b in targets {
            let via = self.via(b.transport);
            match forward_request(request, &b.contact, &via, &self.parse) {
                Ok(out) => match self.ep.send_request(out, b.source, b.transport, now) {
                    Ok(ctx) => {
                        self.stats.forwarded += 1;
                        branches.push(ctx);
                    }
                    Err(e) => {
                        self.say(format!("forwarding to {}: {e}", b.contact));
                        failure = Some(503);
                    }
                },
                Err(ForwardError::TooManyHops) => failure = Some(483),
                Err(ForwardError::Malformed) => failure = Some(500),
            }
        }
        if branches.is_empty() {
            let code = failure.unwrap_or(500);
            let reason = match code {
                483 => "Too Many Hops",
                503 => "Service Unavailable",
                _ => "Server Internal Error",
            };
            self.respond(tx, code, reason, &[], now);
            return;
        }
        for b in &branches {
            self.by_branch.insert(*b, tx);
        }
        let open = branches.len();
        self.forks.insert(
            tx,
            Fork { method: method.clone(), branches, open, best: None, answered: false },
        );
    }

    /// A branch got an answer (`response`), or failed with `code`.
    fn branch_answered(
        &mut self,
        branch: ClientTx,
        response: Option<OwnedMessage>,
        code: u16,
        now: Instant,
    ) {
        let Some(&server) = self.by_branch.get(&branch) else { return };
        let code = response.as_ref().and_then(OwnedMessage::status_code).unwrap_or(code);
        let Some(fork) = self.forks.get_mut(&server) else { return };
        if code < 200 {
            // provisional: passed back (not 100: that is hop by hop)
            if code > 100 && !fork.answered {
                if let Some(r) = response.as_ref().and_then(|r| strip_via(r, &self.parse)) {
                    let _ = self.ep.send_response(server, &r, now);
                }
            }
            return;
        }
        self.by_branch.remove(&branch);
        fork.open = fork.open.saturating_sub(1);
        if (200..300).contains(&code) {
            if !fork.answered || fork.method == Method::Invite {
                // every 2xx of an INVITE goes back (RFC 6026); the first of anything else
                fork.answered = true;
                if let Some(r) = response.as_ref().and_then(|r| strip_via(r, &self.parse)) {
                    let _ = self.ep.send_response(server, &r, now);
                }
                if fork.method == Method::Invite {
                    for b in fork.branches.clone() {
                        if b != branch {
                            let _ = self.ep.cancel(b, now);
                        }
                    }
                }
            }
        } else if !fork.answered {
            let better = fork.best.as_ref().is_none_or(|b| rank(code) < rank(b.code()));
            if better {
                fork.best = Some(match response {
                    Some(r) => Best::Response(code, r),
                    None => Best::Own(code),
                });
            }
        }
        let Some(fork) = self.forks.get_mut(&server) else { return };
        if fork.open > 0 {
            return;
        }
        let fork = self.forks.remove(&server).expect("looked up above");
        if fork.answered {
            return;
        }
        match fork.best {
            Some(Best::Response(_, r)) => match strip_via(&r, &self.parse) {
                Some(r) => {
                    let _ = self.ep.send_response(server, &r, now);
                }
                None => self.respond(server, 502, "Bad Gateway", &[], now),
            },
            Some(Best::Own(408)) => self.respond(server, 408, "Request Timeout", &[], now),
            Some(Best::Own(c)) => self.respond(server, c, "Service Unavailable", &[], now),
            None => self.respond(server, 500, "Server Internal Error", &[], now),
        }
    }
}

/// The Message-ID of a MESSAGE's CPIM IM that asks for notifications.
fn imdn_request(request: &OwnedMessage) -> Option<String> {
    let cpim = request.view(|m| {
        let ct = m.header(simple_sip::HeaderName::ContentType)?;
        let t = core::str::from_utf8(ct.value()).ok()?;
        simple_imdn::cpim::media_type(t)
            .eq_ignore_ascii_case(simple_imdn::cpim::CONTENT_TYPE)
            .then_some(())
    });
    cpim?;
    let body = request.body();
    let m = simple_imdn::Cpim::parse(&body).ok()?;
    let h = simple_imdn::imdn::ImdnHeaders::read(&m).ok()?;
    (!h.requested.is_empty() && !h.is_notification).then(|| h.message_id.unwrap_or("-").to_owned())
}

/// The selector of a stored XCAP document (an empty XUI is the global tree).
fn stored_selector(auid: String, xui: String, path: String) -> simple_xcap::DocumentSelector {
    let tree =
        if xui.is_empty() { simple_xcap::Tree::Global } else { simple_xcap::Tree::User(xui) };
    simple_xcap::DocumentSelector { auid, tree, path }
}

/// `(user, host)` of a SIP URI.
fn sip_user(uri: &Uri<'_>) -> Option<(String, String)> {
    match uri {
        Uri::Sip(s) => {
            let user = s.user.as_deref().filter(|u| !u.is_empty())?;
            Some((user.to_owned(), s.host.to_string()))
        }
        Uri::Tel(_) | Uri::Other(_) => None,
    }
}

/// An RFC 1123 date for the Date header of a 200 to REGISTER (§20.17).
fn http_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // civil from days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let weekday = DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(m - 1).unwrap_or(0)];
    format!(
        "{weekday}, {d:02} {month} {y} {:02}:{:02}:{:02} GMT",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The user of an XCAP credential: `alice` of `alice`, `sip:alice@DOMAIN` or `alice@DOMAIN`.
fn user_name(name: &str) -> &str {
    let name = name.strip_prefix("sip:").unwrap_or(name);
    name.split_once('@').map_or(name, |(u, _)| u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
    }
}
