//! Two `simple-server` nodes on one PostgreSQL store: a registration made on node B routes a
//! MESSAGE sent through node A; a PUBLISH to node A reaches a watcher subscribed on node B;
//! a subscription's expiry gives exactly one terminating NOTIFY; `kill -9` of node B moves
//! its subscriptions to node A, whose NOTIFYs continue the same dialog with the next CSeq,
//! and the watcher keeps getting what alice publishes.
//!
//! The database: `SIMPLE_RS_POSTGRES` (libpq key=value), else a throwaway cluster started
//! with `interop/postgres/start.sh`; each run makes a database of its own. Without
//! PostgreSQL the test is skipped, unless CI requires it (`SIMPLE_RS_REQUIRE_POSTGRES`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::std_instead_of_core)]

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{Server, scratch};

fn postgres() -> Option<String> {
    if let Ok(url) = std::env::var("SIMPLE_RS_POSTGRES") {
        return Some(url);
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop/postgres/start.sh");
    let out = Command::new("bash").arg(script).output().ok()?;
    let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !url.is_empty()).then_some(url)
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A watcher on a bare socket: SUBSCRIBEs, answers each NOTIFY with 200, keeps them.
struct RawWatcher {
    udp: UdpSocket,
    port: u16,
    notifies: Vec<(SocketAddr, String)>,
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

impl RawWatcher {
    fn subscribe(server: SocketAddr, expires: u32) -> Self {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        let m = format!(
            "SUBSCRIBE sip:alice@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKs{port}\r\n\
             From: <sip:carol@127.0.0.1>;tag=c{port}\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: raw{port}\r\n\
             CSeq: 1 SUBSCRIBE\r\nContact: <sip:carol@127.0.0.1:{port}>\r\nMax-Forwards: 70\r\n\
             Event: presence\r\nAccept: application/pidf+xml\r\nExpires: {expires}\r\nContent-Length: 0\r\n\r\n"
        );
        udp.send_to(m.as_bytes(), server).unwrap();
        Self { udp, port, notifies: Vec::new() }
    }

    /// Takes what arrives for up to `secs`, until `done` says so; the answers to our SUBSCRIBE
    /// are left out.
    fn take(&mut self, secs: f64, done: impl Fn(&[(SocketAddr, String)]) -> bool) {
        let end = Instant::now() + Duration::from_secs_f64(secs);
        let mut buf = [0u8; 65_536];
        while !done(&self.notifies) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            self.udp.set_read_timeout(Some(left.min(Duration::from_millis(200)))).unwrap();
            let Ok((n, from)) = self.udp.recv_from(&mut buf) else { continue };
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            if !msg.starts_with("NOTIFY ") {
                continue;
            }
            let mut ok = String::from("SIP/2.0 200 OK\r\n");
            for h in ["Via", "From", "To", "Call-ID", "CSeq"] {
                if let Some(v) = header(&msg, h) {
                    ok.push_str(&format!("{h}: {v}\r\n"));
                }
            }
            ok.push_str("Content-Length: 0\r\n\r\n");
            self.udp.send_to(ok.as_bytes(), from).unwrap();
            // a retransmission (same CSeq) is one NOTIFY
            let cseq = header(&msg, "CSeq").map(str::to_owned);
            if !self.notifies.iter().any(|(_, m)| header(m, "CSeq").map(str::to_owned) == cseq) {
                self.notifies.push((from, msg));
            }
        }
    }

    fn terminated(notifies: &[(SocketAddr, String)]) -> usize {
        notifies
            .iter()
            .filter(|(_, m)| {
                header(m, "Subscription-State").is_some_and(|v| v.starts_with("terminated"))
            })
            .count()
    }
}

#[test]
fn two_nodes_share_one_postgres_store() {
    let Some(base) = postgres() else {
        assert!(
            std::env::var_os("SIMPLE_RS_REQUIRE_POSTGRES").is_none(),
            "PostgreSQL is required here"
        );
        eprintln!("PostgreSQL not available: the several-nodes test is skipped");
        return;
    };
    let db = format!("simple_cluster_{}", std::process::id());
    psql(&base, &format!("DROP DATABASE IF EXISTS {db}"));
    psql(&base, &format!("CREATE DATABASE {db}"));
    let url = format!("{base} dbname={db}");
    let store = format!("postgres = \"{url}\"");
    let extra = |node: &str| {
        format!(
            "[auth]\nrequired = false\n[presence]\npending = false\nmin_interval_ms = 0\nmin_expires = 1\n\
             [cluster]\nnode = \"{node}\"\nlease_secs = 3"
        )
    };
    let a = Server::start_on(&scratch("cluster-a"), &extra("a"), None, &store);
    let mut b = Server::start_on(&scratch("cluster-b"), &extra("b"), None, &store);
    assert_eq!(psql(&url, "SELECT string_agg(name, ',' ORDER BY name) FROM nodes"), "a,b");

    // a registration made on B routes a MESSAGE sent through A
    let bob_listen = b.cli("bob", None, &["listen", "--for", "120"]);
    bob_listen.wait_for(&["listening as"], 20);
    let (code, out) = a.run("alice", &["message", "bob", "through node A"]);
    assert_eq!(code, 0, "{out}");
    bob_listen.wait_for(&["message from sip:alice@127.0.0.1: through node A"], 20);

    // a PUBLISH to A reaches a watcher subscribed on B
    let bob_watch = b.cli("bob", None, &["--json", "watch", "alice", "--for", "120"]);
    bob_watch.wait_for(&["\"subscribed\""], 20);
    let mut alice_pub =
        a.cli("alice", None, &["publish", "--status", "open", "--note", "one", "--for", "120"]);
    alice_pub.wait_for(&["published sip:alice@127.0.0.1 open"], 20);
    bob_watch.wait_for(&["\"basic\":\"open\"", "\"one\""], 20);
    assert_eq!(
        psql(&url, "SELECT owner FROM subscriptions WHERE watcher LIKE 'sip:bob@%'"),
        "b",
        "the subscription is B's"
    );

    // an expiry: one terminating NOTIFY, from the node that owns the subscription
    let mut raw = RawWatcher::subscribe(b.udp, 2);
    raw.take(20.0, |n| RawWatcher::terminated(n) > 0);
    assert_eq!(RawWatcher::terminated(&raw.notifies), 1, "{:?}", raw.notifies);
    // nothing more comes for this dialog (a second node would send its own)
    raw.take(3.0, |_| false);
    assert_eq!(RawWatcher::terminated(&raw.notifies), 1, "{:?}", raw.notifies);
    assert!(raw.notifies.iter().all(|(from, _)| *from == b.udp), "{:?}", raw.notifies);
    let raw_rows = format!("SELECT count(*) FROM subscriptions WHERE call_id = 'raw{}'", raw.port);
    assert_eq!(psql(&url, &raw_rows), "0", "the expired subscription left the store");

    // B's listening connection drops: B reconnects, reads everything again (announcements
    // may have gone by meanwhile), and its watcher misses nothing A takes in
    let dropped = psql(
        &url,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'simple-server b listen'",
    );
    assert_eq!(dropped, "1");
    alice_pub.send("note between");
    bob_watch.wait_for(&["\"basic\":\"open\"", "\"between\""], 20);
    let end = Instant::now() + Duration::from_secs(20);
    while !b.log().contains("read the shared store again") {
        assert!(Instant::now() < end, "B did not read the store again: {}", b.log());
        std::thread::sleep(Duration::from_millis(50));
    }

    // kill -9 of B: A takes its subscriptions over after its lease and continues them
    let states = bob_watch.count(&["\"basic\":\"open\"", "\"between\""]);
    let subscribed = bob_watch.count(&["\"subscribed\""]);
    let cseq_before: i64 =
        psql(&url, "SELECT local_seq FROM subscriptions WHERE watcher LIKE 'sip:bob@%'")
            .parse()
            .unwrap();
    b.proc.kill9();
    bob_watch.wait_nth(&["\"basic\":\"open\"", "\"between\""], states + 1, 30);
    assert_eq!(bob_watch.count(&["\"subscribed\""]), subscribed, "no new SUBSCRIBE was needed");
    assert_eq!(bob_watch.count(&["terminated"]), 0, "{:?}", bob_watch.lines());
    let row: Vec<String> = psql(
        &url,
        "SELECT owner || ' ' || local_seq FROM subscriptions WHERE watcher LIKE 'sip:bob@%'",
    )
    .split_whitespace()
    .map(str::to_owned)
    .collect();
    assert_eq!(row[0], "a", "the subscription is A's now");
    assert!(row[1].parse::<i64>().unwrap() > cseq_before, "the dialog went on: {row:?}");
    assert!(a.log().contains("took over 1 subscriptions"), "{}", a.log());

    // and the watcher keeps getting what alice publishes
    alice_pub.send("note two");
    bob_watch.wait_for(&["\"basic\":\"open\"", "\"two\""], 20);
    alice_pub.send("closed");
    bob_watch.wait_for(&["\"basic\":\"closed\""], 20);
    assert_eq!(bob_watch.count(&["terminated"]), 0, "{:?}", bob_watch.lines());
    drop(a);
    drop(bob_watch);
    drop(bob_listen);
    drop(alice_pub);
    let _ = Command::new("psql")
        .args([&base, "-XAtq", "-c", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")])
        .output();
}
