//! The stores keep what they are given: any sequence of changes written to the SQLite store
//! reads back as the in-memory store holds it (round trips of every field, deletes included).
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use core::time::Duration;
use std::path::Path;

use proptest::prelude::*;
use simple_server::store::{
    Binding, Change, MemoryStore, Publication, Rule, SqliteStore, Store, Subscription, XcapDocument,
};
use simple_sip::dialog::{DialogId, DialogRecord};
use simple_sip::endpoint::Transport;
use simple_sip::event::{Authorization, SubscriptionRecord};

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9@:;=.<>~-]{0,12}"
}

fn status() -> impl Strategy<Value = Authorization> {
    prop_oneof![
        Just(Authorization::Active),
        Just(Authorization::Pending),
        Just(Authorization::Rejected)
    ]
}

fn transport() -> impl Strategy<Value = Transport> {
    prop_oneof![Just(Transport::Udp), Just(Transport::Tcp), Just(Transport::Tls)]
}

fn subscription() -> impl Strategy<Value = Subscription> {
    (
        (0u8..4, text(), text(), any::<u32>(), proptest::option::of(any::<u32>())),
        (text(), text(), text(), proptest::collection::vec("<sip:[a-z]{1,5};lr>", 0..3)),
        (
            text(),
            text(),
            "presence(\\.winfo)?",
            proptest::collection::vec("application/[a-z+-]{1,12}", 0..3),
        ),
        (
            status(),
            1u16..65535,
            transport(),
            proptest::option::of(0u64..1 << 40),
            0i64..4_000_000_000,
        ),
    )
        .prop_map(|(d, u, e, s)| Subscription {
            record: SubscriptionRecord {
                dialog: DialogRecord {
                    id: DialogId { call_id: format!("c{}", d.0), local_tag: d.1, remote_tag: d.2 },
                    local_seq: d.3,
                    remote_seq: d.4,
                    local_uri: u.0,
                    remote_uri: u.1,
                    remote_target: u.2,
                    route_set: u.3,
                },
                resource: e.0,
                watcher: e.1,
                event: e.2,
                accept: e.3,
                status: s.0,
                expires_in: Duration::ZERO,
                peer: format!("127.0.0.1:{}", s.1).parse().unwrap(),
                transport: s.2,
                version: s.3,
            },
            expires: s.4,
        })
}

fn change() -> impl Strategy<Value = Change> {
    let user = "(alice|bob|carol)";
    let contact = "sip:[a-c]@h(:[1-3])?";
    prop_oneof![
        (user, contact, 0i64..1 << 40, 1u16..65535, transport(), text(), any::<u32>()).prop_map(
            |(user, contact, expires, port, transport, call_id, cseq)| {
                Change::Binding(Binding {
                    user,
                    contact,
                    expires,
                    source: format!("127.0.0.1:{port}").parse().unwrap(),
                    transport,
                    call_id,
                    cseq,
                })
            }
        ),
        (user, contact).prop_map(|(user, contact)| Change::Unbound { user, contact }),
        (
            "sip:(alice|bob)@h",
            "e[0-4]",
            proptest::collection::vec(any::<u8>(), 0..40),
            0i64..1 << 40
        )
            .prop_map(|(resource, etag, body, expires)| {
                Change::Publication(Publication {
                    resource,
                    etag,
                    content_type: "application/pidf+xml".to_owned(),
                    body,
                    expires,
                })
            }),
        ("sip:(alice|bob)@h", "e[0-4]")
            .prop_map(|(resource, etag)| Change::Unpublished { resource, etag }),
        subscription().prop_map(|s| Change::Subscription(Box::new(s))),
        subscription().prop_map(|s| Change::Unsubscribed(s.record.dialog.id)),
        (
            "(pres-rules|resource-lists)",
            "(|sip:alice@h)",
            "(index|a/b)",
            text(),
            proptest::collection::vec(any::<u8>(), 0..20)
        )
            .prop_map(|(auid, xui, path, etag, body)| Change::Xcap(Box::new(
                XcapDocument { auid, xui, path, etag, body }
            ))),
        ("(pres-rules|resource-lists)", "(|sip:alice@h)", "(index|a/b)")
            .prop_map(|(a, x, p)| Change::XcapDeleted(a, x, p)),
        (text(), text(), status()).prop_map(|(resource, watcher, decision)| Change::Rule(Rule {
            resource,
            watcher,
            decision
        })),
    ]
}

fn sorted(mut snap: simple_server::store::Snapshot) -> simple_server::store::Snapshot {
    snap.bindings.sort_by(|a, b| (&a.user, &a.contact).cmp(&(&b.user, &b.contact)));
    snap.publications.sort_by(|a, b| a.etag.cmp(&b.etag));
    snap.subscriptions.sort_by(|a, b| {
        let (x, y) = (&a.record.dialog.id, &b.record.dialog.id);
        (&x.call_id, &x.local_tag, &x.remote_tag).cmp(&(&y.call_id, &y.local_tag, &y.remote_tag))
    });
    snap.rules.sort_by(|a, b| (&a.resource, &a.watcher).cmp(&(&b.resource, &b.watcher)));
    snap.xcap.sort_by(|a, b| (&a.auid, &a.xui, &a.path).cmp(&(&b.auid, &b.xui, &b.path)));
    snap
}

/// The PostgreSQL of the several-nodes tests (`SIMPLE_RS_POSTGRES`), with a database of
/// this run's own; `None` without one (CI requires it: `SIMPLE_RS_REQUIRE_POSTGRES`).
fn postgres_db() -> Option<String> {
    let Ok(base) = std::env::var("SIMPLE_RS_POSTGRES") else {
        assert!(
            std::env::var_os("SIMPLE_RS_REQUIRE_POSTGRES").is_none(),
            "PostgreSQL is required here"
        );
        return None;
    };
    let db = format!("simple_store_{}", std::process::id());
    for sql in [format!("DROP DATABASE IF EXISTS {db}"), format!("CREATE DATABASE {db}")] {
        let ok = std::process::Command::new("psql")
            .args([base.as_str(), "-XAtq", "-c", &sql])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "psql {sql}");
    }
    Some(format!("{base} dbname={db}"))
}

fn pg_store(url: &str) -> simple_server::pg::PgStore {
    let (store, _remote) = simple_server::pg::PgStore::open(simple_server::pg::PgSettings {
        url: url.to_owned(),
        pool: 2,
        node: "n1".to_owned(),
        lease: Duration::from_secs(30),
        takeover_batch: 100,
    })
    .unwrap();
    store
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn sqlite_reads_back_what_memory_holds(batches in proptest::collection::vec(proptest::collection::vec(change(), 0..6), 1..5)) {
        let mut sqlite = SqliteStore::open(Path::new(":memory:")).unwrap();
        let mut memory = MemoryStore::new();
        sqlite.put_user("alice", "pw").unwrap();
        memory.put_user("alice", "pw").unwrap();
        for batch in &batches {
            sqlite.apply(batch).unwrap();
            memory.apply(batch).unwrap();
        }
        let a = sorted(sqlite.load().unwrap());
        let b = sorted(memory.load().unwrap());
        prop_assert_eq!(a.users, b.users);
        prop_assert_eq!(a.bindings, b.bindings);
        prop_assert_eq!(a.publications, b.publications);
        prop_assert_eq!(a.subscriptions, b.subscriptions);
        prop_assert_eq!(a.rules, b.rules);
        prop_assert_eq!(a.xcap, b.xcap);
    }

    #[test]
    fn postgres_reads_back_what_memory_holds(batches in proptest::collection::vec(proptest::collection::vec(change(), 0..6), 1..4)) {
        let Some(url) = POSTGRES.as_deref() else { return Ok(()) };
        let mut pg = pg_store(url);
        let clear = "TRUNCATE users, bindings, publications, subscriptions, rules, xcap";
        let ok = std::process::Command::new("psql").args([url, "-XAtq", "-c", clear]).status().unwrap();
        prop_assert!(ok.success());
        let mut memory = MemoryStore::new();
        pg.put_user("alice", "pw").unwrap();
        memory.put_user("alice", "pw").unwrap();
        for batch in &batches {
            pg.apply(batch).unwrap();
            memory.apply(batch).unwrap();
        }
        let a = sorted(pg.load().unwrap());
        let b = sorted(memory.load().unwrap());
        prop_assert_eq!(a, b);
    }
}

static POSTGRES: std::sync::LazyLock<Option<String>> = std::sync::LazyLock::new(postgres_db);
