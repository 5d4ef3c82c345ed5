//! Where the server keeps what must outlive it: users, registrations, publications with
//! their entity tags, subscriptions with their dialog state, and the presentities'
//! decisions about their watchers. [`Store`] is the seam (a later store is PostgreSQL for
//! several nodes); [`SqliteStore`] is the embedded default (rusqlite, bundled SQLite, WAL:
//! a `kill -9` loses nothing that was written).
//!
//! Times are Unix seconds: an `Instant` does not survive the process.

use core::net::SocketAddr;
use std::path::Path;

use rusqlite::{Connection, params};
use simple_sip::dialog::{DialogId, DialogRecord};
use simple_sip::endpoint::Transport;
use simple_sip::event::{Authorization, SubscriptionRecord};

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self(e.to_string())
    }
}

/// A registered contact of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The user.
    pub user: String,
    /// The Contact URI.
    pub contact: String,
    /// When it expires (Unix seconds).
    pub expires: i64,
    /// Where the REGISTER came from (requests for the user go there: the flow it opened).
    pub source: SocketAddr,
    /// Over what.
    pub transport: Transport,
    /// The REGISTER's Call-ID and CSeq (§10.3: an older CSeq of the same Call-ID is refused).
    pub call_id: String,
    /// The CSeq number.
    pub cseq: u32,
}

/// A stored publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The presentity.
    pub resource: String,
    /// Its entity tag.
    pub etag: String,
    /// The body's type.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// When it expires (Unix seconds).
    pub expires: i64,
}

/// A stored subscription: the record and its expiry in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// What the notifier gave.
    pub record: SubscriptionRecord,
    /// When it expires (Unix seconds).
    pub expires: i64,
}

/// A presentity's decision about a watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The presentity.
    pub resource: String,
    /// The watcher.
    pub watcher: String,
    /// Allowed, blocked, or left pending.
    pub decision: Authorization,
}

/// An XCAP document: where it is, its entity tag and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XcapDocument {
    /// The AUID.
    pub auid: String,
    /// The XUI, empty for the global tree.
    pub xui: String,
    /// The path in the tree.
    pub path: String,
    /// The entity tag.
    pub etag: String,
    /// The document.
    pub body: Vec<u8>,
}

/// One change to write. Each names one row (a contact, an entity tag, a dialog, a rule, a
/// document), never "all the rows of": with several nodes on one store, a node writes only
/// what it changed, and a row another node wrote a moment ago survives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A binding is new or changed (keyed by user and contact).
    Binding(Binding),
    /// A binding ended.
    Unbound {
        /// The user.
        user: String,
        /// The Contact URI.
        contact: String,
    },
    /// A publication is new (keyed by entity tag: a refresh or a modification makes a new
    /// tag, and the old one is [`Change::Unpublished`]).
    Publication(Publication),
    /// A publication ended (removed, expired, or replaced by a new entity tag).
    Unpublished {
        /// The presentity.
        resource: String,
        /// Its entity tag.
        etag: String,
    },
    /// A subscription is new or changed.
    Subscription(Box<Subscription>),
    /// The subscription of this dialog ended.
    Unsubscribed(DialogId),
    /// A presentity decided about a watcher.
    Rule(Rule),
    /// An XCAP document is new or changed.
    Xcap(Box<XcapDocument>),
    /// An XCAP document was deleted: (AUID, XUI, path).
    XcapDeleted(String, String, String),
}

/// What a change touched, as the other nodes of a cluster are told it (keys only: each node
/// reads the rows again). Subscriptions have none: the node that owns one is the only one
/// that serves it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// The bindings of a user.
    Bindings(String),
    /// The publications of a presentity.
    Publications(String),
    /// A decision: (presentity, watcher).
    Rule(String, String),
    /// An XCAP document: (AUID, XUI, path).
    Xcap(String, String, String),
    /// The users.
    Users,
}

impl Change {
    /// What it touched that the other nodes must read again.
    pub fn key(&self) -> Option<Key> {
        match self {
            Self::Binding(b) => Some(Key::Bindings(b.user.clone())),
            Self::Unbound { user, .. } => Some(Key::Bindings(user.clone())),
            Self::Publication(p) => Some(Key::Publications(p.resource.clone())),
            Self::Unpublished { resource, .. } => Some(Key::Publications(resource.clone())),
            Self::Rule(r) => Some(Key::Rule(r.resource.clone(), r.watcher.clone())),
            Self::Xcap(d) => Some(Key::Xcap(d.auid.clone(), d.xui.clone(), d.path.clone())),
            Self::XcapDeleted(a, x, p) => Some(Key::Xcap(a.clone(), x.clone(), p.clone())),
            Self::Subscription(_) | Self::Unsubscribed(_) => None,
        }
    }
}

/// The row a change writes.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Row<'a> {
    Binding(&'a str, &'a str),
    Publication(&'a str),
    Subscription(&'a DialogId),
    Rule(&'a str, &'a str),
    Xcap(&'a str, &'a str, &'a str),
}

impl Change {
    fn row(&self) -> Row<'_> {
        match self {
            Self::Binding(b) => Row::Binding(&b.user, &b.contact),
            Self::Unbound { user, contact } => Row::Binding(user, contact),
            Self::Publication(p) => Row::Publication(&p.etag),
            Self::Unpublished { etag, .. } => Row::Publication(etag),
            Self::Subscription(s) => Row::Subscription(&s.record.dialog.id),
            Self::Unsubscribed(id) => Row::Subscription(id),
            Self::Rule(r) => Row::Rule(&r.resource, &r.watcher),
            Self::Xcap(d) => Row::Xcap(&d.auid, &d.xui, &d.path),
            Self::XcapDeleted(a, x, p) => Row::Xcap(a, x, p),
        }
    }
}

/// The changes that count of a batch: for each row only the last (each change is the row's
/// whole new state), in their order. What is left touches each row once, so its writes may
/// go out together, in any order.
pub fn coalesce(changes: &[Change]) -> Vec<&Change> {
    let mut last = std::collections::HashMap::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        last.insert(c.row(), i);
    }
    changes
        .iter()
        .enumerate()
        .filter(|(i, c)| last.get(&c.row()) == Some(i))
        .map(|(_, c)| c)
        .collect()
}

impl Key {
    /// The key as text: a tag letter, then its parts, tab-separated (no part of a key holds
    /// a tab or a line end: they are URIs, user names and XCAP path segments). `None` when
    /// one does.
    pub fn encode(&self) -> Option<String> {
        let parts: Vec<&str> = match self {
            Self::Bindings(u) => vec!["b", u],
            Self::Publications(r) => vec!["p", r],
            Self::Rule(r, w) => vec!["r", r, w],
            Self::Xcap(a, x, p) => vec!["x", a, x, p],
            Self::Users => vec!["u"],
        };
        if parts.iter().any(|p| p.contains(['\t', '\n', '\r'])) {
            return None;
        }
        Some(parts.join("\t"))
    }

    /// A key from [`Key::encode`]'s text.
    pub fn decode(text: &str) -> Option<Self> {
        let mut it = text.split('\t');
        let tag = it.next()?;
        let mut part = || it.next().map(str::to_owned);
        Some(match tag {
            "b" => Self::Bindings(part()?),
            "p" => Self::Publications(part()?),
            "r" => Self::Rule(part()?, part()?),
            "x" => Self::Xcap(part()?, part()?, part()?),
            "u" => Self::Users,
            _ => return None,
        })
    }
}

/// Everything the store holds, read at start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Users and passwords.
    pub users: Vec<(String, String)>,
    /// Registrations.
    pub bindings: Vec<Binding>,
    /// Publications.
    pub publications: Vec<Publication>,
    /// Subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Watcher decisions.
    pub rules: Vec<Rule>,
    /// XCAP documents.
    pub xcap: Vec<XcapDocument>,
}

/// What another node changed, as the shared store holds it now (read again after the
/// change was announced), or what the store hands over: [`crate::server::Server::handle_remote`]
/// takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// The bindings of `user` now.
    Bindings {
        /// The user.
        user: String,
        /// All their bindings.
        bindings: Vec<Binding>,
    },
    /// The publications of `resource` now.
    Publications {
        /// The presentity.
        resource: String,
        /// All its publications.
        publications: Vec<Publication>,
    },
    /// A decision about a watcher.
    Rule(Rule),
    /// An XCAP document now: (AUID, XUI, path), and the document (`None`: deleted).
    Xcap((String, String, String), Option<Box<XcapDocument>>),
    /// The users now.
    Users(Vec<(String, String)>),
    /// Everything shared (no subscriptions), read again after the connection to the store
    /// came back: announcements may have been missed.
    Everything(Box<Snapshot>),
    /// Subscriptions of a node whose lease ran out, now this node's to serve.
    Adopt(Vec<Subscription>),
}

/// Where the server's state lives.
pub trait Store: Send {
    /// Adds or updates a user.
    fn put_user(&mut self, name: &str, password: &str) -> Result<(), StoreError>;
    /// Everything held.
    fn load(&mut self) -> Result<Snapshot, StoreError>;
    /// Writes `changes`, all or none.
    fn apply(&mut self, changes: &[Change]) -> Result<(), StoreError>;
}

/// The embedded store.
#[derive(Debug)]
pub struct SqliteStore {
    db: Connection,
    node: String,
}

/// The schema, one migration after another; `PRAGMA user_version` says how many are applied
/// (a store written before migrations were counted is at 0 and has the first one's tables
/// already: it is written with `IF NOT EXISTS`). [`crate::pg`] keeps the same tables.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, password TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bindings (
    user TEXT NOT NULL, contact TEXT NOT NULL, expires INTEGER NOT NULL, source TEXT NOT NULL,
    transport TEXT NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL,
    PRIMARY KEY (user, contact));
CREATE TABLE IF NOT EXISTS publications (
    resource TEXT NOT NULL, etag TEXT NOT NULL PRIMARY KEY, content_type TEXT NOT NULL,
    body BLOB NOT NULL, expires INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS publications_resource ON publications (resource);
CREATE TABLE IF NOT EXISTS subscriptions (
    call_id TEXT NOT NULL, local_tag TEXT NOT NULL, remote_tag TEXT NOT NULL,
    local_seq INTEGER NOT NULL, remote_seq INTEGER, local_uri TEXT NOT NULL,
    remote_uri TEXT NOT NULL, remote_target TEXT NOT NULL, route_set TEXT NOT NULL,
    resource TEXT NOT NULL, watcher TEXT NOT NULL, event TEXT NOT NULL, accept TEXT NOT NULL,
    status TEXT NOT NULL, expires INTEGER NOT NULL, peer TEXT NOT NULL, transport TEXT NOT NULL,
    version INTEGER,
    PRIMARY KEY (call_id, local_tag, remote_tag));
CREATE TABLE IF NOT EXISTS rules (
    resource TEXT NOT NULL, watcher TEXT NOT NULL, decision TEXT NOT NULL,
    PRIMARY KEY (resource, watcher));
CREATE TABLE IF NOT EXISTS xcap (
    auid TEXT NOT NULL, xui TEXT NOT NULL, path TEXT NOT NULL, etag TEXT NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (auid, xui, path));
",
    // several nodes: who serves each subscription, and each node's lease
    "
ALTER TABLE subscriptions ADD COLUMN owner TEXT NOT NULL DEFAULT 'local';
CREATE INDEX subscriptions_owner ON subscriptions (owner);
CREATE TABLE nodes (name TEXT PRIMARY KEY, lease_until INTEGER NOT NULL);
",
];

/// The columns of `subscriptions`, in the order [`SqliteStore`] and [`crate::pg`] write and
/// read them.
pub(crate) const SUBSCRIPTION_COLUMNS: &str = "call_id, local_tag, remote_tag, local_seq, \
    remote_seq, local_uri, remote_uri, remote_target, route_set, resource, watcher, event, \
    accept, status, expires, peer, transport, version, owner";

/// The store's spelling of a decision.
pub const fn decision_name(a: Authorization) -> &'static str {
    match a {
        Authorization::Active => "allow",
        Authorization::Pending => "pending",
        Authorization::Rejected => "block",
    }
}

/// A decision from its spelling.
pub fn decision_from(s: &str) -> Option<Authorization> {
    match s {
        "allow" | "active" => Some(Authorization::Active),
        "pending" => Some(Authorization::Pending),
        "block" | "rejected" => Some(Authorization::Rejected),
        _ => None,
    }
}

pub(crate) fn transport_from(s: &str) -> Transport {
    Transport::from_token(s).unwrap_or(Transport::Udp)
}

pub(crate) fn addr_from(s: &str) -> Result<SocketAddr, StoreError> {
    s.parse().map_err(|_| StoreError(format!("a stored address does not read: {s}")))
}

impl SqliteStore {
    /// Opens (and creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Connection::open(path)?;
        db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
        let applied: usize = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (n, m) in MIGRATIONS.iter().enumerate().skip(applied) {
            db.execute_batch(&format!("BEGIN; {m} PRAGMA user_version = {}; COMMIT;", n + 1))?;
        }
        Ok(Self { db, node: "local".to_owned() })
    }

    /// The migrations applied (the schema's version).
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        Ok(self.db.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn write(&self, tx: &rusqlite::Transaction<'_>, change: &Change) -> Result<(), StoreError> {
        match change {
            Change::Binding(b) => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO bindings VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    b.user,
                    b.contact,
                    b.expires,
                    b.source.to_string(),
                    b.transport.as_str(),
                    b.call_id,
                    b.cseq
                ])?;
            }
            Change::Unbound { user, contact } => {
                tx.prepare_cached("DELETE FROM bindings WHERE user = ?1 AND contact = ?2")?
                    .execute([user, contact])?;
            }
            Change::Publication(p) => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO publications VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    p.resource,
                    p.etag,
                    p.content_type,
                    p.body,
                    p.expires
                ])?;
            }
            Change::Unpublished { etag, .. } => {
                tx.prepare_cached("DELETE FROM publications WHERE etag = ?1")?.execute([etag])?;
            }
            Change::Subscription(s) => {
                let r = &s.record;
                let d = &r.dialog;
                tx.prepare_cached(&format!(
                    "INSERT OR REPLACE INTO subscriptions ({SUBSCRIPTION_COLUMNS}) VALUES (?1, ?2,
                     ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
                ))?
                .execute(params![
                    d.id.call_id,
                    d.id.local_tag,
                    d.id.remote_tag,
                    d.local_seq,
                    d.remote_seq,
                    d.local_uri,
                    d.remote_uri,
                    d.remote_target,
                    d.route_set.join("\n"),
                    r.resource,
                    r.watcher,
                    r.event,
                    r.accept.join(","),
                    decision_name(r.status),
                    s.expires,
                    r.peer.to_string(),
                    r.transport.as_str(),
                    r.version.map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
                    self.node,
                ])?;
            }
            Change::Unsubscribed(id) => {
                tx.prepare_cached(
                    "DELETE FROM subscriptions WHERE call_id = ?1 AND local_tag = ?2 AND remote_tag = ?3",
                )?
                .execute(params![id.call_id, id.local_tag, id.remote_tag])?;
            }
            Change::Rule(r) => {
                tx.prepare_cached("INSERT OR REPLACE INTO rules VALUES (?1, ?2, ?3)")?
                    .execute(params![r.resource, r.watcher, decision_name(r.decision)])?;
            }
            Change::Xcap(d) => {
                tx.prepare_cached("INSERT OR REPLACE INTO xcap VALUES (?1, ?2, ?3, ?4, ?5)")?
                    .execute(params![d.auid, d.xui, d.path, d.etag, d.body])?;
            }
            Change::XcapDeleted(auid, xui, path) => {
                tx.prepare_cached("DELETE FROM xcap WHERE auid = ?1 AND xui = ?2 AND path = ?3")?
                    .execute(params![auid, xui, path])?;
            }
        }
        Ok(())
    }

    /// The number of rows of `table`.
    pub fn count(&self, table: &str) -> Result<i64, StoreError> {
        let table = match table {
            "users" | "bindings" | "publications" | "subscriptions" | "rules" | "xcap"
            | "nodes" => table,
            _ => return Err(StoreError(format!("no table {table}"))),
        };
        Ok(self.db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    }
}

impl Store for SqliteStore {
    fn put_user(&mut self, name: &str, password: &str) -> Result<(), StoreError> {
        self.db.execute("INSERT OR REPLACE INTO users VALUES (?1, ?2)", [name, password])?;
        Ok(())
    }

    fn load(&mut self) -> Result<Snapshot, StoreError> {
        let mut snap = Snapshot::default();
        let mut q = self.db.prepare("SELECT name, password FROM users ORDER BY name")?;
        snap.users = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        let mut q = self.db.prepare(
            "SELECT user, contact, expires, source, transport, call_id, cseq FROM bindings",
        )?;
        let rows: Vec<(String, String, i64, String, String, String, u32)> = q
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
            })?
            .collect::<Result<_, _>>()?;
        for (user, contact, expires, source, transport, call_id, cseq) in rows {
            snap.bindings.push(Binding {
                user,
                contact,
                expires,
                source: addr_from(&source)?,
                transport: transport_from(&transport),
                call_id,
                cseq,
            });
        }
        let mut q = self.db.prepare(
            "SELECT resource, etag, content_type, body, expires FROM publications ORDER BY rowid",
        )?;
        snap.publications = q
            .query_map([], |r| {
                Ok(Publication {
                    resource: r.get(0)?,
                    etag: r.get(1)?,
                    content_type: r.get(2)?,
                    body: r.get(3)?,
                    expires: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut q = self.db.prepare(
            "SELECT call_id, local_tag, remote_tag, local_seq, remote_seq, local_uri, remote_uri,
             remote_target, route_set, resource, watcher, event, accept, status, expires, peer,
             transport, version FROM subscriptions ORDER BY rowid",
        )?;
        type Row = (
            (String, String, String, u32, Option<u32>, String, String, String, String),
            (String, String, String, String, String, i64, String, String, Option<i64>),
        );
        let rows: Vec<Row> = q
            .query_map([], |r| {
                Ok((
                    (
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                    ),
                    (
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                        r.get(12)?,
                        r.get(13)?,
                        r.get(14)?,
                        r.get(15)?,
                        r.get(16)?,
                        r.get(17)?,
                    ),
                ))
            })?
            .collect::<Result<_, _>>()?;
        for (d, s) in rows {
            let record = SubscriptionRecord {
                dialog: DialogRecord {
                    id: DialogId { call_id: d.0, local_tag: d.1, remote_tag: d.2 },
                    local_seq: d.3,
                    remote_seq: d.4,
                    local_uri: d.5,
                    remote_uri: d.6,
                    remote_target: d.7,
                    route_set: d.8.lines().map(str::to_owned).collect(),
                },
                resource: s.0,
                watcher: s.1,
                event: s.2,
                accept: s.3.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
                status: decision_from(&s.4).unwrap_or(Authorization::Pending),
                expires_in: core::time::Duration::ZERO,
                peer: addr_from(&s.6)?,
                transport: transport_from(&s.7),
                version: s.8.and_then(|v| u64::try_from(v).ok()),
            };
            snap.subscriptions.push(Subscription { record, expires: s.5 });
        }
        let mut q = self.db.prepare("SELECT resource, watcher, decision FROM rules")?;
        let rows: Vec<(String, String, String)> = q
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        snap.rules = rows
            .into_iter()
            .filter_map(|(resource, watcher, d)| {
                decision_from(&d).map(|decision| Rule { resource, watcher, decision })
            })
            .collect();
        let mut q = self.db.prepare("SELECT auid, xui, path, etag, body FROM xcap")?;
        snap.xcap = q
            .query_map([], |r| {
                Ok(XcapDocument {
                    auid: r.get(0)?,
                    xui: r.get(1)?,
                    path: r.get(2)?,
                    etag: r.get(3)?,
                    body: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(snap)
    }

    fn apply(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let tx = self.db.unchecked_transaction()?;
        for c in coalesce(changes) {
            self.write(&tx, c)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// A store in memory (nothing outlives the process): for tests, fuzzing and embedders that
/// keep state elsewhere. Clones share nothing; `snapshot` shows what it holds.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    users: Vec<(String, String)>,
    bindings: std::collections::BTreeMap<String, Vec<Binding>>,
    publications: std::collections::BTreeMap<String, Vec<Publication>>,
    subscriptions: std::collections::BTreeMap<(String, String, String), Subscription>,
    rules: std::collections::BTreeMap<(String, String), Rule>,
    xcap: std::collections::BTreeMap<(String, String, String), XcapDocument>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// What it holds, as [`Store::load`] gives it.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            users: self.users.clone(),
            bindings: self.bindings.values().flatten().cloned().collect(),
            publications: self.publications.values().flatten().cloned().collect(),
            subscriptions: self.subscriptions.values().cloned().collect(),
            rules: self.rules.values().cloned().collect(),
            xcap: self.xcap.values().cloned().collect(),
        }
    }
}

impl Store for MemoryStore {
    fn put_user(&mut self, name: &str, password: &str) -> Result<(), StoreError> {
        self.users.retain(|(n, _)| n != name);
        self.users.push((name.to_owned(), password.to_owned()));
        self.users.sort();
        Ok(())
    }

    fn load(&mut self) -> Result<Snapshot, StoreError> {
        Ok(self.snapshot())
    }

    fn apply(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        for c in changes {
            match c {
                Change::Binding(b) => {
                    let list = self.bindings.entry(b.user.clone()).or_default();
                    list.retain(|x| x.contact != b.contact);
                    list.push(b.clone());
                }
                Change::Unbound { user, contact } => {
                    if let Some(list) = self.bindings.get_mut(user) {
                        list.retain(|x| &x.contact != contact);
                        if list.is_empty() {
                            self.bindings.remove(user);
                        }
                    }
                }
                Change::Publication(p) => {
                    for list in self.publications.values_mut() {
                        list.retain(|x| x.etag != p.etag);
                    }
                    self.publications.retain(|_, list| !list.is_empty());
                    self.publications.entry(p.resource.clone()).or_default().push(p.clone());
                }
                Change::Unpublished { etag, .. } => {
                    // an entity tag names one publication, whatever the resource said
                    for list in self.publications.values_mut() {
                        list.retain(|x| &x.etag != etag);
                    }
                    self.publications.retain(|_, list| !list.is_empty());
                }
                Change::Subscription(sub) => {
                    let id = &sub.record.dialog.id;
                    let key = (id.call_id.clone(), id.local_tag.clone(), id.remote_tag.clone());
                    self.subscriptions.insert(key, (**sub).clone());
                }
                Change::Unsubscribed(id) => {
                    let key = (id.call_id.clone(), id.local_tag.clone(), id.remote_tag.clone());
                    self.subscriptions.remove(&key);
                }
                Change::Rule(r) => {
                    self.rules.insert((r.resource.clone(), r.watcher.clone()), r.clone());
                }
                Change::Xcap(d) => {
                    let key = (d.auid.clone(), d.xui.clone(), d.path.clone());
                    self.xcap.insert(key, (**d).clone());
                }
                Change::XcapDeleted(auid, xui, path) => {
                    self.xcap.remove(&(auid.clone(), xui.clone(), path.clone()));
                }
            }
        }
        Ok(())
    }
}

/// A shared handle on a store, so that a caller keeps it across a [`crate::server::Server`]'s
/// life (a test restarting a server on the same state).
#[derive(Debug, Clone, Default)]
pub struct Shared<S>(pub std::sync::Arc<std::sync::Mutex<S>>);

impl<S: Store> Store for Shared<S> {
    fn put_user(&mut self, name: &str, password: &str) -> Result<(), StoreError> {
        self.0.lock().map_err(|_| StoreError("poisoned".to_owned()))?.put_user(name, password)
    }

    fn load(&mut self) -> Result<Snapshot, StoreError> {
        self.0.lock().map_err(|_| StoreError("poisoned".to_owned()))?.load()
    }

    fn apply(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        self.0.lock().map_err(|_| StoreError("poisoned".to_owned()))?.apply(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> SubscriptionRecord {
        SubscriptionRecord {
            dialog: DialogRecord {
                id: DialogId {
                    call_id: "c1".into(),
                    local_tag: "l".into(),
                    remote_tag: "r".into(),
                },
                local_seq: 7,
                remote_seq: Some(3),
                local_uri: "<sip:alice@127.0.0.1>".into(),
                remote_uri: "<sip:bob@127.0.0.1>".into(),
                remote_target: "sip:bob@127.0.0.1:5070".into(),
                route_set: vec!["<sip:p1;lr>".into(), "<sip:p2;lr>".into()],
            },
            resource: "sip:alice@127.0.0.1".into(),
            watcher: "sip:bob@127.0.0.1".into(),
            event: "presence".into(),
            accept: vec!["application/pidf+xml".into(), "application/pidf-diff+xml".into()],
            status: Authorization::Pending,
            expires_in: core::time::Duration::ZERO,
            peer: "127.0.0.1:5070".parse().unwrap_or_else(|_| unreachable!()),
            transport: Transport::Tcp,
            version: Some(4),
        }
    }

    #[test]
    fn what_is_written_is_read_back() -> Result<(), StoreError> {
        let mut s = SqliteStore::open(Path::new(":memory:"))?;
        s.put_user("alice", "pw")?;
        let sub = Subscription { record: record(), expires: 1_900_000_000 };
        let publication = Publication {
            resource: "sip:alice@127.0.0.1".into(),
            etag: "e1".into(),
            content_type: "application/pidf+xml".into(),
            body: b"<presence/>".to_vec(),
            expires: 1_900_000_100,
        };
        s.apply(&[
            Change::Subscription(Box::new(sub.clone())),
            Change::Publication(publication),
            Change::Rule(Rule {
                resource: "sip:alice@127.0.0.1".into(),
                watcher: "sip:bob@127.0.0.1".into(),
                decision: Authorization::Active,
            }),
        ])?;
        let snap = s.load()?;
        assert_eq!(snap.users, [("alice".to_owned(), "pw".to_owned())]);
        assert_eq!(snap.subscriptions, [sub]);
        assert_eq!(snap.publications[0].etag, "e1");
        assert_eq!(snap.rules[0].decision, Authorization::Active);
        s.apply(&[Change::Unsubscribed(record().dialog.id)])?;
        assert_eq!(s.count("subscriptions")?, 0);
        s.apply(&[Change::Unpublished {
            resource: "sip:alice@127.0.0.1".into(),
            etag: "e1".into(),
        }])?;
        assert_eq!(s.count("publications")?, 0);
        assert_eq!(s.schema_version()?, MIGRATIONS.len());
        Ok(())
    }

    #[test]
    fn a_store_from_before_migrations_is_migrated() -> Result<(), StoreError> {
        let dir = std::env::temp_dir().join(format!("simple-store-mig-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError(e.to_string()))?;
        let path = dir.join("old.db");
        {
            // the first schema, written as the server wrote it before migrations were counted
            let db = Connection::open(&path)?;
            db.execute_batch(MIGRATIONS[0])?;
            db.execute("INSERT INTO users VALUES ('alice', 'pw')", [])?;
        }
        let mut s = SqliteStore::open(&path)?;
        assert_eq!(s.schema_version()?, MIGRATIONS.len());
        s.apply(&[Change::Subscription(Box::new(Subscription {
            record: record(),
            expires: 1_900_000_000,
        }))])?;
        let snap = s.load()?;
        assert_eq!(snap.users, [("alice".to_owned(), "pw".to_owned())]);
        assert_eq!(snap.subscriptions.len(), 1);
        drop(s);
        // opening again applies nothing twice
        assert_eq!(SqliteStore::open(&path)?.schema_version()?, MIGRATIONS.len());
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }

    #[test]
    fn keys_read_back() {
        for k in [
            Key::Bindings("alice".into()),
            Key::Publications("sip:alice@h".into()),
            Key::Rule("sip:alice@h".into(), "sip:bob@h".into()),
            Key::Xcap("pres-rules".into(), String::new(), "index".into()),
            Key::Users,
        ] {
            assert_eq!(k.encode().and_then(|t| Key::decode(&t)), Some(k));
        }
        assert_eq!(Key::Bindings("a\tb".into()).encode(), None);
        assert_eq!(Key::decode("q\tx"), None);
        assert_eq!(Key::decode("r\tonly-one"), None);
    }
}
