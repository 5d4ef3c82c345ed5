//! `simple-server` and `simple-cli` as a user runs them: real processes on loopback, the
//! embedded store in a scratch directory. Two users register, message each other, publish,
//! watch (pending until approved) and see each other's changes; wrong passwords, unknown
//! users and users nobody registered get their answers; TCP and TLS answer; bad input gets
//! 400/513 and the server goes on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::std_instead_of_core)]

mod support;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use support::{Server, scratch};

#[test]
fn two_users_see_each_other_and_exchange_messages() {
    let dir = scratch("two-users");
    let server = Server::start(&dir, "", None);

    // bob listens; alice's MESSAGE reaches him through the server
    let bob_listen = server.cli("bob", None, &["listen", "--count", "1", "--for", "30"]);
    bob_listen.wait_for(&["listening as sip:bob@127.0.0.1"], 20);
    // (CPIM, asking for delivery and display notifications: bob answers both, through the
    // server, and is told alice was composing first)
    let (code, out) = server.run("alice", &["message", "bob", "hello bob", "--typing", "1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sent to sip:bob@127.0.0.1 (200)"), "{out}");
    assert!(out.contains("delivery from sip:bob@127.0.0.1: delivered"), "{out}");
    assert!(out.contains("display from sip:bob@127.0.0.1: displayed"), "{out}");
    assert!(out.contains("all notifications in for"), "{out}");
    bob_listen.wait_for(&["sip:alice@127.0.0.1 is composing (text/plain)"], 10);
    bob_listen.wait_for(&["message from sip:alice@127.0.0.1: hello bob"], 10);
    bob_listen.wait_for(&["sent display displayed to sip:alice@127.0.0.1"], 10);

    // nobody registered as carol: 480, and no notification will come (RFC 5438 §12.1.3.1:
    // a store-less server refuses, and sends no negative-delivery IMDN after a refusal);
    // no such user: 404; a wrong password: 407 again
    let (code, out) = server.run("alice", &["message", "carol", "hi"]);
    assert!(code != 0 && out.contains("not delivered to sip:carol@127.0.0.1 (480)"), "{out}");
    assert!(out.contains("delivery from sip:carol@127.0.0.1: refused (480)"), "{out}");
    assert!(!out.contains("notification from"), "{out}");
    let (code, out) = server.run("alice", &["message", "carol", "hi", "--plain"]);
    assert!(code != 0 && out.contains("480"), "{out}");
    let (code, out) = server.run("alice", &["message", "dave", "hi"]);
    assert!(code != 0 && out.contains("404"), "{out}");
    let mut wrong = server.cli("alice", Some("guess"), &["message", "bob", "hi"]);
    assert_ne!(wrong.wait(60), 0);
    assert!(wrong.lines().join("\n").contains("407"), "{:?}", wrong.lines());
    let mut wrong = server.cli("alice", Some("guess"), &["register"]);
    assert_ne!(wrong.wait(60), 0);
    assert!(wrong.lines().join("\n").contains("401"), "{:?}", wrong.lines());

    // alice publishes; bob watches her: pending until she approves him
    let mut alice_pub = server.cli(
        "alice",
        None,
        &[
            "publish",
            "--status",
            "open",
            "--note",
            "at my desk",
            "--activity",
            "busy",
            "--for",
            "60",
        ],
    );
    alice_pub.wait_for(&["published sip:alice@127.0.0.1 open"], 20);
    let bob_watch = server.cli("bob", None, &["--json", "watch", "alice", "--for", "60"]);
    bob_watch.wait_for(&["\"state\":\"pending\""], 20);
    assert_eq!(bob_watch.count(&["\"tuples\""]), 0, "no state while pending");
    let (code, out) = server.run("alice", &["watchers", "--approve", "bob"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("watcher sip:bob@127.0.0.1 active"), "{out}");
    let seen = bob_watch.wait_for(&["\"basic\":\"open\""], 20);
    assert!(seen.contains("at my desk") && seen.contains("busy"), "{seen}");

    // a change reaches bob
    alice_pub.send("closed");
    alice_pub.wait_for(&["updated sip:alice@127.0.0.1 closed"], 20);
    bob_watch.wait_for(&["\"basic\":\"closed\""], 20);

    // the other way round: bob publishes, alice approves herself nothing, bob approves her
    let alice_watch = server.cli("alice", None, &["watch", "bob", "--for", "60"]);
    alice_watch.wait_for(&["sip:bob@127.0.0.1 pending"], 20);
    let (code, out) = server.run("bob", &["publish", "--status", "open", "--note", "free"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = server.run("bob", &["watchers", "--approve", "alice"]);
    assert_eq!(code, 0, "{out}");
    let seen = alice_watch.wait_for(&["sip:bob@127.0.0.1 active", "=open"], 20);
    assert!(seen.contains("note=free"), "{seen}");

    // bob blocks carol before she asks; her watch ends rejected
    let (code, out) = server.run("bob", &["watchers", "--block", "carol"]);
    assert_eq!(code, 0, "{out}");
    let (_, out) = server.run("carol", &["watch", "bob", "--count", "1", "--for", "10"]);
    assert!(out.contains("Rejected") || out.contains("rejected"), "{out}");
    assert!(!out.contains("=open"), "{out}");

    // the publication goes when alice stops
    alice_pub.send("open");
    let mut server = server;
    assert_eq!(server.proc.terminate(20), 0, "SIGTERM is a clean stop");
}

#[test]
fn streams_and_bad_input() {
    let dir = scratch("streams");
    let server =
        Server::start(&dir, "[limits]\nmax_message = 4096\nmessages_per_second = 50", None);
    let options = |transport: &str, port: u16| {
        format!(
            "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/{transport} 127.0.0.1:{port};branch=z9hG4bKo{port}\r\n\
             From: <sip:probe@example.org>;tag=p\r\nTo: <sip:127.0.0.1>\r\nCall-ID: o{port}\r\n\
             CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let read_response = |r: &mut dyn Read| {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = r.read(&mut buf).unwrap();
            assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&got).into_owned()
    };

    // TCP
    let mut tcp = TcpStream::connect(server.tcp).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let port = tcp.local_addr().unwrap().port();
    tcp.write_all(options("TCP", port).as_bytes()).unwrap();
    let answer = read_response(&mut tcp);
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    assert!(answer.contains("Allow-Events: presence"), "{answer}");

    // TLS, trusting the certificate the server made on first start
    let cert = dir.join("store.db.cert.pem");
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(&cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let sock = TcpStream::connect(server.tls).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let port = sock.local_addr().unwrap().port();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(options("TLS", port).as_bytes()).unwrap();
    let answer = read_response(&mut tls);
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");

    // UDP: garbage is dropped, a malformed request gets 400, an oversized one 513
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let port = udp.local_addr().unwrap().port();
    udp.send_to(b"\x00\x01garbage\r\n\r\n", server.udp).unwrap();
    let bad = options("UDP", port).replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS");
    udp.send_to(bad.as_bytes(), server.udp).unwrap();
    let mut buf = [0u8; 65_535];
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"SIP/2.0 400"), "{}", String::from_utf8_lossy(&buf[..n]));
    let big = options("UDP", port).replace("o{port}", "big").replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Type: text/plain\r\nContent-Length: 8000\r\n\r\n{}", "x".repeat(8000)),
    );
    udp.send_to(big.as_bytes(), server.udp).unwrap();
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(answer.starts_with("SIP/2.0 513") || answer.starts_with("SIP/2.0 413"), "{answer}");

    // a flood from one source: the server sheds what is over the limit and goes on
    for i in 0..500 {
        let m = options("UDP", port)
            .replace("z9hG4bKo", &format!("z9hG4bKf{i}x"))
            .replace(&format!("Call-ID: o{port}"), &format!("Call-ID: f{i}"));
        udp.send_to(m.as_bytes(), server.udp).unwrap();
    }
    let mut answered = 0;
    udp.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    while udp.recv_from(&mut buf).is_ok() {
        answered += 1;
    }
    assert!(answered > 0 && answered < 500, "{answered} of 500 answered");
    // the source may send again once its bucket refills: asked until answered (bounded)
    udp.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut again = false;
    for i in 0..25 {
        let m = options("UDP", port)
            .replace("z9hG4bKo", &format!("z9hG4bKafter{i}x"))
            .replace(&format!("Call-ID: o{port}"), &format!("Call-ID: after{i}"));
        udp.send_to(m.as_bytes(), server.udp).unwrap();
        if let Ok((n, _)) = udp.recv_from(&mut buf) {
            again = buf[..n].starts_with(b"SIP/2.0 200");
            break;
        }
    }
    assert!(again, "answered again after the flood");
}

/// A bare UDP peer: sends text, waits for a message whose first line starts with `start`.
struct Peer {
    sock: UdpSocket,
    port: u16,
}

impl Peer {
    fn new() -> Self {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let port = sock.local_addr().unwrap().port();
        Self { sock, port }
    }

    fn send(&self, to: std::net::SocketAddr, text: &str) {
        self.sock.send_to(text.replace('\n', "\r\n").as_bytes(), to).unwrap();
    }

    fn recv(&self, start: &str) -> String {
        let mut buf = [0u8; 65_535];
        loop {
            let (n, _) = self.sock.recv_from(&mut buf).expect("a message in time");
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if text.starts_with(start) {
                return text;
            }
        }
    }
}

/// Requests for a registered user's own packages go to the user (a stateful proxy: our Via on
/// top, one hop less; the answer comes back without it); a source holding its share of
/// subscriptions gets 503.
#[test]
fn the_proxy_and_the_subscription_limit() {
    let dir = scratch("proxy");
    let server = Server::start(
        &dir,
        "[auth]\nrequired = false\n[limits]\nsubscriptions_per_source = 2",
        None,
    );
    let (bob, alice) = (Peer::new(), Peer::new());
    bob.send(
        server.udp,
        &format!(
            "REGISTER sip:127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bKr1
From: <sip:bob@127.0.0.1>;tag=b
To: <sip:bob@127.0.0.1>
Call-ID: reg-bob
CSeq: 1 REGISTER
Contact: <sip:bob@127.0.0.1:{p}>
Expires: 600
Max-Forwards: 70
Content-Length: 0

",
            p = bob.port
        ),
    );
    let ok = bob.recv("SIP/2.0");
    assert!(
        ok.starts_with("SIP/2.0 200")
            && ok.contains(&format!("<sip:bob@127.0.0.1:{}>;expires=600", bob.port)),
        "{ok}"
    );

    let subscribe = |n: u32, event: &str, to: &str| {
        format!(
            "SUBSCRIBE sip:{to}@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bKs{n}
From: <sip:alice@127.0.0.1>;tag=a{n}
To: <sip:{to}@127.0.0.1>
Call-ID: sub-{n}
CSeq: 1 SUBSCRIBE
Contact: <sip:alice@127.0.0.1:{p}>
Event: {event}
Expires: 600
Max-Forwards: 70
Content-Length: 0

",
            p = alice.port
        )
    };
    // message-summary is bob's own package: the SUBSCRIBE reaches bob
    alice.send(server.udp, &subscribe(1, "message-summary", "bob"));
    let forwarded = bob.recv("SUBSCRIBE");
    assert!(
        forwarded.starts_with(&format!("SUBSCRIBE sip:bob@127.0.0.1:{} SIP/2.0", bob.port)),
        "{forwarded}"
    );
    let vias: Vec<&str> = forwarded.lines().filter(|l| l.starts_with("Via:")).collect();
    assert_eq!(vias.len(), 2, "{forwarded}");
    assert!(
        vias[0].contains(&format!("127.0.0.1:{}", server.udp.port()))
            && vias[1].contains(&alice.port.to_string())
    );
    assert!(forwarded.contains("Max-Forwards: 69"), "{forwarded}");
    // bob answers with both Vias; alice gets it with hers alone
    let mut answer = String::from("SIP/2.0 200 OK\n");
    for l in forwarded
        .lines()
        .filter(|l| ["Via:", "From:", "Call-ID:", "CSeq:"].iter().any(|h| l.starts_with(h)))
    {
        answer.push_str(l);
        answer.push('\n');
    }
    answer.push_str("To: <sip:bob@127.0.0.1>;tag=bobs\nExpires: 600\nContact: <sip:bob@127.0.0.1>\nContent-Length: 0\n\n");
    bob.send(server.udp, &answer);
    let back = alice.recv("SIP/2.0");
    assert!(back.starts_with("SIP/2.0 200") && back.contains("tag=bobs"), "{back}");
    assert_eq!(back.lines().filter(|l| l.starts_with("Via:")).count(), 1, "{back}");

    // presence is the server's: two subscriptions from this source, then 503
    alice.send(server.udp, &subscribe(2, "presence", "bob"));
    assert!(alice.recv("SIP/2.0").starts_with("SIP/2.0 200"));
    alice.send(server.udp, &subscribe(3, "presence", "carol"));
    assert!(alice.recv("SIP/2.0").starts_with("SIP/2.0 200"));
    alice.send(server.udp, &subscribe(4, "presence", "alice"));
    let refused = alice.recv("SIP/2.0");
    assert!(refused.starts_with("SIP/2.0 503") && refused.contains("Retry-After: 60"), "{refused}");
}

/// `simple-cli --xcap ROOT ARGS...` as `user`: its exit code and output.
fn xcap_cli(server: &Server, root: &str, user: &str, args: &[&str]) -> (i32, String) {
    let mut all = vec!["--xcap", root];
    all.extend_from_slice(args);
    server.run(user, &all)
}

/// XCAP on simple-server: the buddy list as a resource list, and pres-rules that decide for
/// the watchers at once (pending -> active when allowed, terminated when blocked).
#[test]
fn xcap_buddies_and_pres_rules_decide_for_watchers() {
    let dir = scratch("xcap");
    let server = Server::start(&dir, "", None);
    let root = format!("http://{}/xcap-root", server.xcap);
    let x = |user: &str, args: &[&str]| xcap_cli(&server, &root, user, args);
    let (code, out) = x("alice", &["xcap", "get", "xcap-caps/global/index"]);
    assert!(code == 0 && out.contains("<auid>pres-rules</auid>"), "{out}");
    for b in ["bob", "carol"] {
        let (code, out) = x("alice", &["buddies", "add", b, "--name", b]);
        assert_eq!(code, 0, "{out}");
    }
    let (code, out) = x("alice", &["buddies", "list"]);
    assert!(
        code == 0 && out.contains("sip:bob@127.0.0.1 bob") && out.contains("sip:carol@127.0.0.1"),
        "{out}"
    );
    let (code, out) = x("alice", &["buddies", "remove", "carol"]);
    assert_eq!(code, 0, "{out}");
    let (_, out) = x("alice", &["buddies", "list"]);
    assert!(!out.contains("carol"), "{out}");
    // digest (the default, RFC 7616 with the SIP nonces) and basic both authenticate
    let (code, out) = x("alice", &["--xcap-basic", "xcap", "get", "resource-lists/users/~/index"]);
    assert!(code == 0 && out.contains("buddies"), "{out}");
    // bob may not read alice's documents; a wrong password is 401
    let (code, out) = x("bob", &["xcap", "get", "resource-lists/users/sip:alice@127.0.0.1/index"]);
    assert!(code != 0 && out.contains("HTTP 403"), "{out}");
    let mut wrong = server.cli(
        "alice",
        Some("nope"),
        &["--xcap", &root, "xcap", "get", "resource-lists/users/~/index"],
    );
    assert_ne!(wrong.wait(30), 0);
    assert!(wrong.lines().join("\n").contains("HTTP 401"));

    // bob watches alice: pending; alice's pres-rules allow him: active with her state
    let mut alice_pub = server.cli(
        "alice",
        None,
        &["publish", "--status", "open", "--note", "xcap rules", "--for", "60"],
    );
    alice_pub.wait_for(&["published sip:alice@127.0.0.1 open"], 20);
    let bob_watch = server.cli("bob", None, &["--json", "watch", "alice", "--for", "60"]);
    bob_watch.wait_for(&["\"state\":\"pending\""], 20);
    let rules = |handling: &str, extra: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
 <cr:rule id="bob"><cr:conditions><cr:identity><cr:one id="sip:bob@127.0.0.1"/></cr:identity></cr:conditions>
  <cr:actions><pr:sub-handling>{handling}</pr:sub-handling></cr:actions>
  <cr:transformations><pr:provide-services><pr:all-services/></pr:provide-services>{extra}</cr:transformations></cr:rule>
</cr:ruleset>"#
        )
    };
    let file = dir.join("rules.xml");
    let put_rules = |handling: &str, extra: &str, status: &str| {
        std::fs::write(&file, rules(handling, extra)).unwrap();
        let (code, out) = x(
            "alice",
            &["xcap", "put", "pres-rules/users/~/index", "--file", file.to_str().unwrap()],
        );
        assert!(code == 0 && out.contains(status), "{out}");
    };
    // allowed, with every service but not the note (RFC 5025 §3.2.4)
    put_rules("allow", "", "HTTP 201");
    let seen = bob_watch.wait_for(&["\"basic\":\"open\""], 20);
    assert!(!seen.contains("xcap rules"), "the note was not granted: {seen}");
    // the note granted: the document is filtered again for the live subscription
    put_rules("allow", "<pr:provide-note>true</pr:provide-note>", "HTTP 200");
    let seen = bob_watch.wait_for(&["\"basic\":\"open\"", "xcap rules"], 20);
    assert!(seen.contains("active"), "{seen}");
    // polite-block: still active, but all bob sees is one closed tuple
    put_rules("polite-block", "", "HTTP 200");
    let seen = bob_watch.wait_for(&["\"basic\":\"closed\""], 20);
    assert!(!seen.contains("xcap rules") && seen.contains("active"), "{seen}");
    // a change to block: bob's subscription ends
    put_rules("block", "", "HTTP 200");
    bob_watch.wait_for(&["rejected"], 20);
    alice_pub.send("quit");
}

/// RFC 5875 through the reference server: `simple-cli xcap watch` subscribes to alice's
/// resource-lists collection over SIP; the first NOTIFY lists her document, and buddy changes
/// made over HTTP arrive as patches (aggregate mode). A path of another user's is not shown.
#[test]
fn xcap_diff_subscription_follows_buddy_changes() {
    let dir = scratch("xcap-diff");
    let server = Server::start(&dir, "", None);
    let root = format!("http://{}/xcap-root", server.xcap);
    let x = |user: &str, args: &[&str]| xcap_cli(&server, &root, user, args);
    let (code, out) = x("alice", &["buddies", "add", "bob", "--name", "Bob"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = x("bob", &["buddies", "add", "alice"]);
    assert_eq!(code, 0, "{out}");
    let mut watch = server.cli(
        "alice",
        None,
        &[
            "--json",
            "xcap",
            "watch",
            "resource-lists/users/~/",
            "resource-lists/users/sip:bob@127.0.0.1/index",
            "--count",
            "3",
            "--for",
            "60",
        ],
    );
    let first = watch.wait_for(&["\"event\":\"xcap-diff\""], 20);
    assert!(first.contains("resource-lists/users/sip:alice@127.0.0.1/index"), "{first}");
    assert!(
        !first.contains("sip:bob@127.0.0.1/index"),
        "bob's list is not alice's to read: {first}"
    );
    let (code, out) = x("alice", &["buddies", "add", "carol", "--name", "Carol"]);
    assert_eq!(code, 0, "{out}");
    let changed = watch.wait_for(&["\"kind\":\"changed\"", "carol"], 20);
    assert!(changed.contains("\"patch\":\"<d:add"), "{changed}");
    let (code, out) = x("alice", &["buddies", "remove", "bob"]);
    assert_eq!(code, 0, "{out}");
    let removed = watch.wait_nth(&["\"kind\":\"changed\""], 2, 20);
    assert!(removed.contains("d:remove"), "{removed}");
    // bob's own changes never reach alice
    assert_eq!(watch.count(&["sip:bob@127.0.0.1/index"]), 0);
    assert_eq!(watch.wait(30), 0);
}
