//! The bounded soak CI runs: users registered, publishing and watching; `kill -9` of the
//! server; a restart on the same store. Nothing is lost: the registration still routes a
//! MESSAGE, the publication's entity tag still refreshes it, every subscription goes on in
//! its dialog (the next NOTIFY, with the next CSeq, carries the current state without a new
//! SUBSCRIBE), a pending watcher is still pending, and later changes arrive.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::std_instead_of_core)]

mod support;

use std::net::UdpSocket;
use std::time::Duration;

use support::{Server, scratch};

/// A PUBLISH refresh (no body, SIP-If-Match) of `etag`, from a bare socket: the status.
fn refresh(server: std::net::SocketAddr, etag: &str) -> String {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let port = udp.local_addr().unwrap().port();
    let m = format!(
        "PUBLISH sip:alice@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKr{port}\r\n\
         From: <sip:alice@127.0.0.1>;tag=r\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: r{port}\r\n\
         CSeq: 1 PUBLISH\r\nMax-Forwards: 70\r\nEvent: presence\r\nExpires: 600\r\n\
         SIP-If-Match: {etag}\r\nContent-Length: 0\r\n\r\n"
    );
    let mut buf = [0u8; 4096];
    for _ in 0..3 {
        udp.send_to(m.as_bytes(), server).unwrap();
        if let Ok((n, _)) = udp.recv_from(&mut buf) {
            return String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    }
    String::new()
}

#[test]
fn kill_9_and_restart_lose_nothing() {
    let dir = scratch("restart");
    // without digest, so that a bare PUBLISH can test the entity tag
    let extra = "[auth]\nrequired = false\n[presence]\npending = true\nmin_interval_ms = 0";
    let mut server = Server::start(&dir, extra, None);
    let ports = (server.udp.port(), server.tls.port());
    assert_eq!(server.udp.port(), server.tcp.port());

    let bob_listen = server.cli("bob", None, &["listen", "--for", "120"]);
    bob_listen.wait_for(&["listening as"], 20);
    let mut alice_pub = server.cli(
        "alice",
        None,
        &["publish", "--status", "open", "--note", "before", "--for", "120"],
    );
    let published = alice_pub.wait_for(&["published sip:alice@127.0.0.1 open"], 20);
    let etag = published
        .split("etag=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_owned();
    let bob_watch = server.cli("bob", None, &["--json", "watch", "alice", "--for", "120"]);
    bob_watch.wait_for(&["\"state\":\"pending\""], 20);
    let (code, out) = server.run("alice", &["watchers", "--approve", "bob"]);
    assert_eq!(code, 0, "{out}");
    bob_watch.wait_for(&["\"basic\":\"open\"", "before"], 20);
    let carol_watch = server.cli("carol", None, &["watch", "alice", "--for", "120"]);
    carol_watch.wait_for(&["sip:alice@127.0.0.1 pending"], 20);
    let subscribed = (bob_watch.count(&["\"subscribed\""]), carol_watch.count(&["subscribed for"]));
    let states = bob_watch.count(&["\"basic\":\"open\""]);
    let pendings = carol_watch.count(&["pending"]);

    // kill -9, and a restart on the same ports and store
    server.proc.kill9();
    let server = Server::start(&dir, extra, Some(ports));
    let log = std::fs::read_to_string(
        dir.join("server-").with_file_name(
            std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .filter(|n| n.starts_with("server-"))
                .max_by_key(|n| {
                    n.trim_start_matches("server-")
                        .trim_end_matches(".log")
                        .parse::<u32>()
                        .unwrap_or(0)
                })
                .unwrap(),
        ),
    )
    .unwrap();
    assert!(log.contains("1 bindings, 1 publications; 2 subscriptions to serve again"), "{log}");

    // every watcher gets the current state again, in the same subscription
    bob_watch.wait_nth(&["\"basic\":\"open\"", "before"], states + 1, 20);
    carol_watch.wait_nth(&["pending"], pendings + 1, 20);
    assert_eq!(carol_watch.count(&["=open"]), 0, "a pending watcher still gets no state");
    assert_eq!(
        (bob_watch.count(&["\"subscribed\""]), carol_watch.count(&["subscribed for"])),
        subscribed,
        "no new SUBSCRIBE was needed"
    );

    // the entity tag still refreshes the publication
    let status = refresh(server.udp, &etag);
    assert!(status.starts_with("SIP/2.0 200"), "refresh with {etag}: {status}");
    assert!(refresh(server.udp, "no-such-tag").starts_with("SIP/2.0 412"));

    // the registration still routes
    let (code, out) = server.run("alice", &["message", "bob", "after the crash"]);
    assert_eq!(code, 0, "{out}");
    bob_listen.wait_for(&["message from sip:alice@127.0.0.1: after the crash"], 20);

    // later changes arrive
    alice_pub.send("note after");
    bob_watch.wait_for(&["\"basic\":\"open\"", "\"after\""], 20);
    alice_pub.send("closed");
    bob_watch.wait_for(&["\"basic\":\"closed\""], 20);
    assert_eq!(bob_watch.count(&["terminated"]), 0, "{:?}", bob_watch.lines());
}
