//! The store of several nodes: PostgreSQL (tokio-postgres with a deadpool pool), the same
//! tables as [`SqliteStore`](crate::store::SqliteStore) plus the nodes' leases. No cluster
//! protocol of our own: what the nodes share is the database.
//!
//! - **Shared:** users, registrations, publications, decisions and XCAP documents. A write
//!   announces what it touched with `NOTIFY simple_rs` in the same transaction (keys only,
//!   [`Key`]); every other node reads those rows again and hands them to
//!   [`Server::handle_remote`](crate::server::Server::handle_remote) as [`Remote`]s, which
//!   notifies that node's watchers. A node whose listening connection drops reconnects and
//!   reads everything shared again ([`Remote::Everything`]): it may have missed
//!   announcements.
//! - **Owned:** each subscription belongs to the node that accepted it (its `owner`), which
//!   alone sends its NOTIFYs and runs its expiry: dialog state and NAT bindings live there.
//!   A node's writes of a subscription only land while it is still the owner.
//! - **Leases:** each node renews its row in `nodes` every third of `lease_secs`, on the
//!   database's clock. Every node looks, as often, for subscriptions whose owner's lease ran
//!   out and claims a batch (`FOR UPDATE SKIP LOCKED`, so two nodes never claim the same
//!   one); it serves them again from their stored dialog ([`Remote::Adopt`]): the next NOTIFY
//!   carries the next CSeq in the same dialog, and its Contact moves the watcher's refreshes
//!   to the new node.
//!
//! [`Store`] is synchronous (the server writes before it answers), and the server's loop is
//! itself on tokio: the driver runs on a thread of its own with its own runtime, and
//! [`PgStore`] hands it each write and waits for the answer.

use core::time::Duration;
use std::collections::BTreeSet;
use std::sync::mpsc::{SyncSender, sync_channel};

use simple_sip::dialog::{DialogId, DialogRecord};
use simple_sip::event::{Authorization, SubscriptionRecord};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls, Row};

use crate::store::{
    Binding, Change, Key, Publication, Remote, Rule, SUBSCRIPTION_COLUMNS, Snapshot, Store,
    StoreError, Subscription, XcapDocument, addr_from, coalesce, decision_from, decision_name,
    transport_from,
};

/// The channel changes are announced on.
pub const CHANNEL: &str = "simple_rs";

/// The largest announcement sent (PostgreSQL takes payloads under 8000 bytes).
const MAX_PAYLOAD: usize = 7900;

/// The schema, one migration after another, recorded in `schema_migrations`; nodes starting
/// together take turns (an advisory lock). The tables are [`crate::store`]'s.
const MIGRATIONS: &[&str] = &["
CREATE TABLE users (name TEXT PRIMARY KEY, password TEXT NOT NULL);
CREATE TABLE bindings (
    \"user\" TEXT NOT NULL, contact TEXT NOT NULL, expires BIGINT NOT NULL, source TEXT NOT NULL,
    transport TEXT NOT NULL, call_id TEXT NOT NULL, cseq BIGINT NOT NULL,
    PRIMARY KEY (\"user\", contact));
CREATE TABLE publications (
    resource TEXT NOT NULL, etag TEXT NOT NULL PRIMARY KEY, content_type TEXT NOT NULL,
    body BYTEA NOT NULL, expires BIGINT NOT NULL);
CREATE INDEX publications_resource ON publications (resource);
CREATE TABLE subscriptions (
    call_id TEXT NOT NULL, local_tag TEXT NOT NULL, remote_tag TEXT NOT NULL,
    local_seq BIGINT NOT NULL, remote_seq BIGINT, local_uri TEXT NOT NULL,
    remote_uri TEXT NOT NULL, remote_target TEXT NOT NULL, route_set TEXT NOT NULL,
    resource TEXT NOT NULL, watcher TEXT NOT NULL, event TEXT NOT NULL, accept TEXT NOT NULL,
    status TEXT NOT NULL, expires BIGINT NOT NULL, peer TEXT NOT NULL, transport TEXT NOT NULL,
    version BIGINT, owner TEXT NOT NULL DEFAULT 'local',
    PRIMARY KEY (call_id, local_tag, remote_tag));
CREATE INDEX subscriptions_owner ON subscriptions (owner);
CREATE TABLE rules (
    resource TEXT NOT NULL, watcher TEXT NOT NULL, decision TEXT NOT NULL,
    PRIMARY KEY (resource, watcher));
CREATE TABLE xcap (
    auid TEXT NOT NULL, xui TEXT NOT NULL, path TEXT NOT NULL, etag TEXT NOT NULL,
    body BYTEA NOT NULL, PRIMARY KEY (auid, xui, path));
CREATE TABLE nodes (name TEXT PRIMARY KEY, lease_until BIGINT NOT NULL);
"];

/// The database's clock in milliseconds (leases are on one clock, whatever the nodes' are).
const DB_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        // the server's message, not only "db error"
        match e.as_db_error() {
            Some(db) => Self(format!("postgres: {}: {}", db.code().code(), db.message())),
            None => Self(format!("postgres: {e}")),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self(format!("postgres pool: {e}"))
    }
}

/// How to reach the database, and who this node is.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// The connection (libpq key=value or a `postgresql://` URL).
    pub url: String,
    /// Connections in the pool.
    pub pool: usize,
    /// This node's name.
    pub node: String,
    /// How long a lease lasts.
    pub lease: Duration,
    /// Subscriptions claimed at a time.
    pub takeover_batch: u32,
}

enum Job {
    PutUser(String, String, SyncSender<Result<(), StoreError>>),
    Load(SyncSender<Result<Snapshot, StoreError>>),
    Apply(Vec<Change>, SyncSender<Result<(), StoreError>>),
}

/// The PostgreSQL store of one node. Dropping it stops its thread (the lease is then no
/// longer renewed: after `lease_secs` the other nodes take over its subscriptions, unless
/// it is back by then).
#[derive(Debug)]
pub struct PgStore {
    jobs: mpsc::UnboundedSender<Job>,
    node: String,
}

impl core::fmt::Debug for Job {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::PutUser(..) => "PutUser",
            Self::Load(_) => "Load",
            Self::Apply(..) => "Apply",
        })
    }
}

impl PgStore {
    /// Connects, applies the migrations, takes this node's lease, and starts listening for
    /// the other nodes' announcements: what they change, and the subscriptions this node
    /// takes over, come out of the receiver.
    pub fn open(
        settings: PgSettings,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Remote>), StoreError> {
        let mut config: tokio_postgres::Config =
            settings.url.parse().map_err(|e| StoreError(format!("postgres url: {e}")))?;
        // what pg_stat_activity shows: which node, and its listening connection apart
        config.application_name(format!("simple-server {}", settings.node));
        let (jobs, jobs_rx) = mpsc::unbounded_channel();
        let (remote_tx, remote_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = sync_channel(1);
        let node = settings.node.clone();
        std::thread::Builder::new()
            .name("simple-server-pg".to_owned())
            .spawn(move || {
                let runtime =
                    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = ready_tx.send(Err(StoreError(e.to_string())));
                            return;
                        }
                    };
                runtime.block_on(drive(config, settings, jobs_rx, remote_tx, ready_tx));
            })
            .map_err(|e| StoreError(e.to_string()))?;
        ready_rx.recv().map_err(|_| StoreError("the postgres thread ended".to_owned()))??;
        Ok((Self { jobs, node }, remote_rx))
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    fn ask<T>(
        &self,
        job: impl FnOnce(SyncSender<Result<T, StoreError>>) -> Job,
    ) -> Result<T, StoreError> {
        let (tx, rx) = sync_channel(1);
        self.jobs.send(job(tx)).map_err(|_| StoreError("the postgres thread ended".to_owned()))?;
        rx.recv().map_err(|_| StoreError("the postgres thread ended".to_owned()))?
    }
}

impl Store for PgStore {
    fn put_user(&mut self, name: &str, password: &str) -> Result<(), StoreError> {
        self.ask(|tx| Job::PutUser(name.to_owned(), password.to_owned(), tx))
    }

    /// Everything shared, and this node's own subscriptions.
    fn load(&mut self) -> Result<Snapshot, StoreError> {
        self.ask(Job::Load)
    }

    fn apply(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.ask(|tx| Job::Apply(changes.to_vec(), tx))
    }
}

/// The thread's work: migrations and the first lease, then the jobs, the lease and the
/// listener side by side, until the store is dropped.
async fn drive(
    config: tokio_postgres::Config,
    settings: PgSettings,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    remote: mpsc::UnboundedSender<Remote>,
    ready: SyncSender<Result<(), StoreError>>,
) {
    let manager = deadpool_postgres::Manager::from_config(
        config.clone(),
        NoTls,
        deadpool_postgres::ManagerConfig {
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    let pool =
        match deadpool_postgres::Pool::builder(manager).max_size(settings.pool.max(2)).build() {
            Ok(p) => p,
            Err(e) => {
                let _ = ready.send(Err(StoreError(format!("postgres pool: {e}"))));
                return;
            }
        };
    let start = async {
        let mut client = pool.get().await?;
        migrate(&mut client).await?;
        renew(&client, &settings.node, settings.lease).await?;
        Ok::<_, StoreError>(())
    };
    if let Err(e) = start.await {
        let _ = ready.send(Err(e));
        return;
    }
    let _ = ready.send(Ok(()));
    let node = settings.node.clone();
    tokio::spawn(listen(config, pool.clone(), node.clone(), remote.clone()));
    tokio::spawn(leases(pool.clone(), settings.clone(), remote));
    while let Some(job) = jobs.recv().await {
        match job {
            Job::PutUser(name, password, reply) => {
                let r = async {
                    let client = pool.get().await?;
                    client
                        .execute(
                            "INSERT INTO users VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET password = excluded.password",
                            &[&name, &password],
                        )
                        .await?;
                    Ok(())
                };
                let _ = reply.send(r.await);
            }
            Job::Load(reply) => {
                let r = async {
                    let client = pool.get().await?;
                    let mut snap = read_shared(&client).await?;
                    let rows = client
                        .query(
                            &format!(
                                "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE owner = $1"
                            ),
                            &[&node],
                        )
                        .await?;
                    snap.subscriptions =
                        rows.iter().map(subscription_from).collect::<Result<_, _>>()?;
                    Ok(snap)
                };
                let _ = reply.send(r.await);
            }
            Job::Apply(changes, reply) => {
                let _ = reply.send(apply(&pool, &node, &changes).await);
            }
        }
    }
}

async fn migrate(client: &mut deadpool_postgres::Object) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    // nodes starting at once take turns
    tx.execute("SELECT pg_advisory_xact_lock(7364958)", &[]).await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        .await?;
    let applied: i64 =
        tx.query_one("SELECT count(*) FROM schema_migrations", &[]).await?.try_get(0)?;
    for (n, m) in MIGRATIONS.iter().enumerate().skip(usize::try_from(applied).unwrap_or(0)) {
        tx.batch_execute(m).await?;
        let version = i32::try_from(n + 1).expect("a handful of migrations");
        tx.execute("INSERT INTO schema_migrations VALUES ($1)", &[&version]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Renews (or takes) this node's lease.
async fn renew(
    client: &deadpool_postgres::Object,
    node: &str,
    lease: Duration,
) -> Result<(), StoreError> {
    let ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    client
        .execute(
            &format!(
                "INSERT INTO nodes VALUES ($1, {DB_MS} + $2) ON CONFLICT (name) DO UPDATE SET lease_until = excluded.lease_until"
            ),
            &[&node, &ms],
        )
        .await?;
    Ok(())
}

/// Renews the lease and claims what nodes without one left, every third of the lease.
async fn leases(
    pool: deadpool_postgres::Pool,
    settings: PgSettings,
    remote: mpsc::UnboundedSender<Remote>,
) {
    let mut tick = tokio::time::interval(settings.lease / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let claim = format!(
        "UPDATE subscriptions SET owner = $1 WHERE (call_id, local_tag, remote_tag) IN (
             SELECT s.call_id, s.local_tag, s.remote_tag FROM subscriptions s
             WHERE s.owner <> $1 AND NOT EXISTS (
                 SELECT 1 FROM nodes n WHERE n.name = s.owner AND n.lease_until > {DB_MS})
             LIMIT $2 FOR UPDATE OF s SKIP LOCKED)
         RETURNING {SUBSCRIPTION_COLUMNS}"
    );
    let batch = i64::from(settings.takeover_batch.max(1));
    loop {
        tick.tick().await;
        let round = async {
            let client = pool.get().await?;
            renew(&client, &settings.node, settings.lease).await?;
            loop {
                let rows = client.query(&claim, &[&settings.node, &batch]).await?;
                if rows.is_empty() {
                    break;
                }
                let full = rows.len() as i64 >= batch;
                let subs: Vec<Subscription> =
                    rows.iter().map(subscription_from).collect::<Result<_, _>>()?;
                if remote.send(Remote::Adopt(subs)).is_err() || !full {
                    break;
                }
            }
            Ok::<_, StoreError>(())
        };
        if let Err(e) = round.await {
            tracing::warn!("lease: {e}");
        }
    }
}

/// Listens for the other nodes' announcements on a connection of its own, reads again what
/// they name, and hands it on; reconnects (reading everything again) when the connection
/// drops.
async fn listen(
    config: tokio_postgres::Config,
    pool: deadpool_postgres::Pool,
    node: String,
    remote: mpsc::UnboundedSender<Remote>,
) {
    let mut first = true;
    loop {
        match listen_once(&config, &pool, &node, &remote, first).await {
            Ok(()) => return, // the server is gone
            Err(e) => tracing::warn!("postgres listener: {e}; reconnecting"),
        }
        first = false;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn listen_once(
    config: &tokio_postgres::Config,
    pool: &deadpool_postgres::Pool,
    node: &str,
    remote: &mpsc::UnboundedSender<Remote>,
    first: bool,
) -> Result<(), StoreError> {
    let mut config = config.clone();
    let name = format!("{} listen", config.get_application_name().unwrap_or("simple-server"));
    let (client, mut connection) = config.application_name(name).connect(NoTls).await?;
    let (note_tx, mut notes) = mpsc::unbounded_channel::<String>();
    let pump = tokio::spawn(async move {
        loop {
            match core::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if note_tx.send(n.payload().to_owned()).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!("listening connection: {}", StoreError::from(e));
                    return;
                }
                None => return,
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    if !first {
        // what was announced while nobody listened is read whole
        let db = pool.get().await?;
        let snap = read_shared(&db).await?;
        if remote.send(Remote::Everything(Box::new(snap))).is_err() {
            return Ok(());
        }
    }
    while let Some(payload) = notes.recv().await {
        // what is waiting goes in one round: each key is read once
        let mut keys = BTreeSet::new();
        let mut everything = false;
        for p in core::iter::once(payload).chain(core::iter::from_fn(|| notes.try_recv().ok())) {
            let mut lines = p.lines();
            if lines.next() == Some(node) {
                continue; // our own
            }
            for line in lines {
                match Key::decode(line) {
                    Some(k) => {
                        keys.insert(k);
                    }
                    None => everything = true,
                }
            }
        }
        let db = pool.get().await?;
        if everything {
            let snap = read_shared(&db).await?;
            if remote.send(Remote::Everything(Box::new(snap))).is_err() {
                return Ok(());
            }
            continue;
        }
        for k in keys {
            let Some(r) = read_key(&db, k).await? else { continue };
            if remote.send(r).is_err() {
                return Ok(());
            }
        }
    }
    pump.abort();
    Err(StoreError("the listening connection closed".to_owned()))
}

/// Writes `changes` in one transaction, announcing the keys they touched.
async fn apply(
    pool: &deadpool_postgres::Pool,
    node: &str,
    changes: &[Change],
) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let mut keys = BTreeSet::new();
    let mut everything = false;
    let sts = Statements::prepare(&tx).await?;
    // one round trip for all the writes (tokio-postgres pipelines what is polled together)
    let changes = coalesce(changes);
    futures_util::future::try_join_all(changes.iter().map(|c| write(&tx, &sts, node, c))).await?;
    for c in changes {
        if let Some(k) = c.key() {
            match k.encode() {
                Some(text) => {
                    keys.insert(text);
                }
                None => everything = true,
            }
        }
    }
    let mut payloads = Vec::new();
    if everything {
        payloads.push(format!("{node}\n*"));
    } else {
        let mut current = node.to_owned();
        for k in keys {
            if current.len() + 1 + k.len() > MAX_PAYLOAD && current.len() > node.len() {
                payloads.push(core::mem::replace(&mut current, node.to_owned()));
            }
            if node.len() + 1 + k.len() > MAX_PAYLOAD {
                // a key too long to announce: everything is read again
                payloads.push(format!("{node}\n*"));
                continue;
            }
            current.push('\n');
            current.push_str(&k);
        }
        if current.len() > node.len() {
            payloads.push(current);
        }
    }
    let tx_ref = &tx;
    let notify = |p: &String| {
        let p = p.clone();
        async move { tx_ref.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &p]).await }
    };
    futures_util::future::try_join_all(payloads.iter().map(notify)).await?;
    tx.commit().await?;
    Ok(())
}

fn seq(n: u32) -> i64 {
    i64::from(n)
}

/// The statements of [`write`], prepared once per connection (deadpool caches them).
struct Statements([tokio_postgres::Statement; 9]);

/// Their texts, made once.
static WRITES: std::sync::LazyLock<[String; 9]> = std::sync::LazyLock::new(|| {
    [
        "INSERT INTO bindings VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (\"user\", contact) DO UPDATE SET expires = excluded.expires,
                     source = excluded.source, transport = excluded.transport,
                     call_id = excluded.call_id, cseq = excluded.cseq"
            .to_owned(),
        "DELETE FROM bindings WHERE \"user\" = $1 AND contact = $2".to_owned(),
        "INSERT INTO publications VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (etag) DO UPDATE SET resource = excluded.resource,
                     content_type = excluded.content_type, body = excluded.body,
                     expires = excluded.expires"
            .to_owned(),
        "DELETE FROM publications WHERE etag = $1".to_owned(),
        format!(
            "INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4,
                     $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                     ON CONFLICT (call_id, local_tag, remote_tag) DO UPDATE SET
                     local_seq = excluded.local_seq, remote_seq = excluded.remote_seq,
                     local_uri = excluded.local_uri, remote_uri = excluded.remote_uri,
                     remote_target = excluded.remote_target, route_set = excluded.route_set,
                     resource = excluded.resource, watcher = excluded.watcher,
                     event = excluded.event, accept = excluded.accept, status = excluded.status,
                     expires = excluded.expires, peer = excluded.peer,
                     transport = excluded.transport, version = excluded.version
                     WHERE subscriptions.owner = excluded.owner"
        ),
        "DELETE FROM subscriptions WHERE call_id = $1 AND local_tag = $2
                     AND remote_tag = $3 AND owner = $4"
            .to_owned(),
        "INSERT INTO rules VALUES ($1, $2, $3) ON CONFLICT (resource, watcher)
                     DO UPDATE SET decision = excluded.decision"
            .to_owned(),
        "INSERT INTO xcap VALUES ($1, $2, $3, $4, $5) ON CONFLICT (auid, xui, path)
                     DO UPDATE SET etag = excluded.etag, body = excluded.body"
            .to_owned(),
        "DELETE FROM xcap WHERE auid = $1 AND xui = $2 AND path = $3".to_owned(),
    ]
});

impl Statements {
    async fn prepare(tx: &deadpool_postgres::Transaction<'_>) -> Result<Self, StoreError> {
        let mut out = Vec::with_capacity(WRITES.len());
        for t in WRITES.iter() {
            out.push(tx.prepare_cached(t).await?);
        }
        Ok(Self(out.try_into().map_err(|_| StoreError("nine statements".to_owned()))?))
    }
}

/// One change: no await before its statement goes out, so that changes joined together
/// are sent (pipelined) in their order.
async fn write(
    tx: &deadpool_postgres::Transaction<'_>,
    sts: &Statements,
    node: &str,
    change: &Change,
) -> Result<(), StoreError> {
    match change {
        Change::Binding(b) => {
            let st = &sts.0[0];
            tx.execute(
                st,
                &[
                    &b.user,
                    &b.contact,
                    &b.expires,
                    &b.source.to_string(),
                    &b.transport.as_str(),
                    &b.call_id,
                    &seq(b.cseq),
                ],
            )
            .await?;
        }
        Change::Unbound { user, contact } => {
            let st = &sts.0[1];
            tx.execute(st, &[user, contact]).await?;
        }
        Change::Publication(p) => {
            let st = &sts.0[2];
            tx.execute(st, &[&p.resource, &p.etag, &p.content_type, &p.body, &p.expires]).await?;
        }
        Change::Unpublished { etag, .. } => {
            let st = &sts.0[3];
            tx.execute(st, &[etag]).await?;
        }
        Change::Subscription(s) => {
            let r = &s.record;
            let d = &r.dialog;
            // a node that lost the subscription to another (its lease ran out) writes nothing
            let st = &sts.0[4];
            let version = r.version.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
            tx.execute(
                st,
                &[
                    &d.id.call_id,
                    &d.id.local_tag,
                    &d.id.remote_tag,
                    &seq(d.local_seq),
                    &d.remote_seq.map(seq),
                    &d.local_uri,
                    &d.remote_uri,
                    &d.remote_target,
                    &d.route_set.join("\n"),
                    &r.resource,
                    &r.watcher,
                    &r.event,
                    &r.accept.join(","),
                    &decision_name(r.status),
                    &s.expires,
                    &r.peer.to_string(),
                    &r.transport.as_str(),
                    &version,
                    &node,
                ],
            )
            .await?;
        }
        Change::Unsubscribed(id) => {
            let st = &sts.0[5];
            tx.execute(st, &[&id.call_id, &id.local_tag, &id.remote_tag, &node]).await?;
        }
        Change::Rule(r) => {
            let st = &sts.0[6];
            tx.execute(st, &[&r.resource, &r.watcher, &decision_name(r.decision)]).await?;
        }
        Change::Xcap(d) => {
            let st = &sts.0[7];
            tx.execute(st, &[&d.auid, &d.xui, &d.path, &d.etag, &d.body]).await?;
        }
        Change::XcapDeleted(auid, xui, path) => {
            let st = &sts.0[8];
            tx.execute(st, &[auid, xui, path]).await?;
        }
    }
    Ok(())
}

fn u32_from(v: i64) -> Result<u32, StoreError> {
    u32::try_from(v)
        .map_err(|_| StoreError(format!("a stored sequence number is out of range: {v}")))
}

fn binding_from(r: &Row) -> Result<Binding, StoreError> {
    Ok(Binding {
        user: r.try_get(0)?,
        contact: r.try_get(1)?,
        expires: r.try_get(2)?,
        source: addr_from(r.try_get(3)?)?,
        transport: transport_from(r.try_get(4)?),
        call_id: r.try_get(5)?,
        cseq: u32_from(r.try_get(6)?)?,
    })
}

fn publication_from(r: &Row) -> Result<Publication, StoreError> {
    Ok(Publication {
        resource: r.try_get(0)?,
        etag: r.try_get(1)?,
        content_type: r.try_get(2)?,
        body: r.try_get(3)?,
        expires: r.try_get(4)?,
    })
}

fn xcap_from(r: &Row) -> Result<XcapDocument, StoreError> {
    Ok(XcapDocument {
        auid: r.try_get(0)?,
        xui: r.try_get(1)?,
        path: r.try_get(2)?,
        etag: r.try_get(3)?,
        body: r.try_get(4)?,
    })
}

fn subscription_from(r: &Row) -> Result<Subscription, StoreError> {
    let route_set: String = r.try_get(8)?;
    let accept: String = r.try_get(12)?;
    let status: String = r.try_get(13)?;
    let remote_seq: Option<i64> = r.try_get(4)?;
    let version: Option<i64> = r.try_get(17)?;
    let record = SubscriptionRecord {
        dialog: DialogRecord {
            id: DialogId {
                call_id: r.try_get(0)?,
                local_tag: r.try_get(1)?,
                remote_tag: r.try_get(2)?,
            },
            local_seq: u32_from(r.try_get(3)?)?,
            remote_seq: remote_seq.map(u32_from).transpose()?,
            local_uri: r.try_get(5)?,
            remote_uri: r.try_get(6)?,
            remote_target: r.try_get(7)?,
            route_set: route_set.lines().map(str::to_owned).collect(),
        },
        resource: r.try_get(9)?,
        watcher: r.try_get(10)?,
        event: r.try_get(11)?,
        accept: accept.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        status: decision_from(&status).unwrap_or(Authorization::Pending),
        expires_in: Duration::ZERO,
        peer: addr_from(r.try_get(15)?)?,
        transport: transport_from(r.try_get(16)?),
        version: version.and_then(|v| u64::try_from(v).ok()),
    };
    Ok(Subscription { record, expires: r.try_get(14)? })
}

const BINDINGS: &str =
    "SELECT \"user\", contact, expires, source, transport, call_id, cseq FROM bindings";
const PUBLICATIONS: &str = "SELECT resource, etag, content_type, body, expires FROM publications";
const XCAP: &str = "SELECT auid, xui, path, etag, body FROM xcap";

/// Everything shared (the subscriptions are each node's own).
async fn read_shared(db: &deadpool_postgres::Object) -> Result<Snapshot, StoreError> {
    let mut snap = Snapshot::default();
    for r in db.query("SELECT name, password FROM users ORDER BY name", &[]).await? {
        snap.users.push((r.try_get(0)?, r.try_get(1)?));
    }
    for r in db.query(BINDINGS, &[]).await? {
        snap.bindings.push(binding_from(&r)?);
    }
    for r in db.query(&format!("{PUBLICATIONS} ORDER BY resource, etag"), &[]).await? {
        snap.publications.push(publication_from(&r)?);
    }
    for r in db.query("SELECT resource, watcher, decision FROM rules", &[]).await? {
        let d: String = r.try_get(2)?;
        if let Some(decision) = decision_from(&d) {
            snap.rules.push(Rule { resource: r.try_get(0)?, watcher: r.try_get(1)?, decision });
        }
    }
    for r in db.query(XCAP, &[]).await? {
        snap.xcap.push(xcap_from(&r)?);
    }
    Ok(snap)
}

/// The rows a key names, as a [`Remote`] (`None`: a decision that is not there).
async fn read_key(db: &deadpool_postgres::Object, key: Key) -> Result<Option<Remote>, StoreError> {
    Ok(Some(match key {
        Key::Bindings(user) => {
            let rows = db.query(&format!("{BINDINGS} WHERE \"user\" = $1"), &[&user]).await?;
            let bindings = rows.iter().map(binding_from).collect::<Result<_, _>>()?;
            Remote::Bindings { user, bindings }
        }
        Key::Publications(resource) => {
            let rows = db
                .query(&format!("{PUBLICATIONS} WHERE resource = $1 ORDER BY etag"), &[&resource])
                .await?;
            let publications = rows.iter().map(publication_from).collect::<Result<_, _>>()?;
            Remote::Publications { resource, publications }
        }
        Key::Rule(resource, watcher) => {
            let row = db
                .query_opt(
                    "SELECT decision FROM rules WHERE resource = $1 AND watcher = $2",
                    &[&resource, &watcher],
                )
                .await?;
            let Some(decision) = row.map(|r| r.try_get::<_, String>(0)).transpose()? else {
                return Ok(None);
            };
            let Some(decision) = decision_from(&decision) else { return Ok(None) };
            Remote::Rule(Rule { resource, watcher, decision })
        }
        Key::Xcap(auid, xui, path) => {
            let row = db
                .query_opt(
                    &format!("{XCAP} WHERE auid = $1 AND xui = $2 AND path = $3"),
                    &[&auid, &xui, &path],
                )
                .await?;
            let document = row.as_ref().map(xcap_from).transpose()?.map(Box::new);
            Remote::Xcap((auid, xui, path), document)
        }
        Key::Users => {
            let mut users = Vec::new();
            for r in db.query("SELECT name, password FROM users ORDER BY name", &[]).await? {
                users.push((r.try_get(0)?, r.try_get(1)?));
            }
            Remote::Users(users)
        }
    }))
}
