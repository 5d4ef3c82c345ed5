//! The stores keep what they are given: any sequence of changes written to the SQLite store
//! reads back as the in-memory store holds it (round trips of every field, deletes included).
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use core::time::Duration;
use std::path::Path;

use proptest::prelude::*;
use simple_server::store::{
    Binding, Change, MemoryStore, Publication, Rule, SqliteStore, Store, Subscription,
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
    prop_oneof![
        (
            user,
            proptest::collection::vec(
                (text(), 0i64..1 << 40, 1u16..65535, transport(), text(), any::<u32>()),
                0..3
            )
        )
            .prop_map(|(user, bs)| {
                // one row per contact, as the registrar keeps them
                let mut seen = std::collections::HashSet::new();
                let bindings = bs
                    .into_iter()
                    .filter(|b| seen.insert(b.0.clone()))
                    .map(|(contact, expires, port, transport, call_id, cseq)| Binding {
                        user: user.clone(),
                        contact,
                        expires,
                        source: format!("127.0.0.1:{port}").parse().unwrap(),
                        transport,
                        call_id,
                        cseq,
                    })
                    .collect();
                Change::Bindings { user, bindings }
            }),
        (
            "sip:(alice|bob)@h",
            proptest::collection::vec(
                (text(), proptest::collection::vec(any::<u8>(), 0..40), 0i64..1 << 40),
                0..3
            )
        )
            .prop_map(|(resource, ps)| {
                let mut seen = std::collections::HashSet::new();
                let publications = ps
                    .into_iter()
                    .filter(|p| seen.insert(p.0.clone()))
                    .enumerate()
                    .map(|(i, (etag, body, expires))| Publication {
                        resource: resource.clone(),
                        // entity tags are unique across resources in a real store
                        etag: format!("{resource}-{i}-{etag}"),
                        content_type: "application/pidf+xml".to_owned(),
                        body,
                        expires,
                    })
                    .collect();
                Change::Publications { resource, publications }
            }),
        subscription().prop_map(|s| Change::Subscription(Box::new(s))),
        subscription().prop_map(|s| Change::Unsubscribed(s.record.dialog.id)),
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
    snap
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
    }
}
