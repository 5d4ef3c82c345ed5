//! RFC 4976 and RFC 5547 vectors: every relay example parses once the RFC's line
//! continuations are undone, the §3 flow comes out of our relay as the RFC prints it (paths
//! rewritten, hop-by-hop 200), the §5.1 AUTH exchange has the shape our relay and client
//! produce, and every file-transfer SDP reads into the RFC 5547 attributes and writes back.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

use std::fs;
use std::path::Path;
use std::time::Instant;

use simple_msrp::{
    FileDirection, FileHash, FileRange, FileTransfer, Message, MsrpMedia, MsrpUri, Relay,
    RelayConfig, RelayEvent, StartLine,
};
use simple_sip::digest::Secret;

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

/// (file, kind, note) of the manifest's lines.
fn manifest() -> Vec<(String, String, String)> {
    let text = fs::read_to_string(dir().join("manifest-4976-5547.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[0].to_owned(), c[3].to_owned(), c[4].to_owned())
        })
        .collect()
}

/// Undoes the RFC's formatting of MSRP examples: a `\` at a line end joins the next line
/// (its indentation dropped); so does an indented line after a header line without one
/// (§5.1's Authorization breaks after `username="Alice",` and forgets the `\`).
fn unfold_msrp(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut out = String::new();
    for line in text.split("\r\n") {
        if line.starts_with(' ') && !out.is_empty() {
            let t = line.trim_start();
            if !out.ends_with(' ') {
                out.push(' ');
            }
            out.push_str(t);
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        out.push_str(line);
    }
    let out = out.replace(" \\ ", " ").replace("\\ ", " ").replace(" \\", " ");
    // the split above leaves the final CRLF as an empty last line
    out.into_bytes()
}

/// SDP continuation lines (indented) join the line before: directly after a `:`, else after
/// a space.
fn unfold_sdp(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for l in text.lines() {
        let l = l.trim_end_matches('\r');
        if l.starts_with(' ') {
            let prev = lines.last_mut().unwrap();
            let prev_text = prev.trim_end_matches([' ', '\\']).to_owned();
            *prev = prev_text;
            if !prev.ends_with(':') {
                prev.push(' ');
            }
            prev.push_str(l.trim_start());
        } else {
            lines.push(l.to_owned());
        }
    }
    lines.join("\r\n") + "\r\n"
}

fn msrp(file: &str) -> Message {
    let bytes = fs::read(dir().join(file)).unwrap();
    Message::parse(&unfold_msrp(&bytes)).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

fn header<'m>(m: &'m Message, name: &str) -> &'m str {
    &m.headers.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name}")).1
}

#[test]
fn every_relay_example_parses() {
    let mut n = 0;
    for (file, kind, note) in manifest() {
        if kind != "msrp" || !file.starts_with("rfc4976") {
            continue;
        }
        let bytes = fs::read(dir().join(&file)).unwrap();
        let mut unfolded = unfold_msrp(&bytes);
        if note.contains("msrp-end-line-missing") {
            let e = Message::parse(&unfolded).unwrap_err();
            assert_eq!(e.kind(), simple_msrp::ErrorKind::InvalidEndLine, "{file}");
            let tid = String::from_utf8_lossy(&unfolded).split(' ').nth(1).unwrap().to_owned();
            unfolded.extend_from_slice(format!("-------{tid}$\r\n").as_bytes());
        }
        let m = Message::parse(&unfolded).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        // every path URI reads, and writing the message back gives the same bytes
        for (name, v) in &m.headers {
            if name.ends_with("-Path") {
                MsrpUri::parse_list(v).unwrap_or_else(|e| panic!("{file} {name}: {e:?}"));
            }
        }
        assert_eq!(m.to_vec(), unfolded, "{file}");
        n += 1;
    }
    assert_eq!(n, 21);
}

/// §3: Alice's SEND through a.example.org comes out as the RFC's second SEND: the relay's
/// URI moved from To-Path to the front of From-Path, a new transaction id, every other
/// header kept; Alice gets the relay's hop-by-hop 200 with the RFC's paths.
#[test]
fn section_3_send_through_our_relay() {
    let now = Instant::now();
    let mut uri = MsrpUri::parse("msrps://a.example.org:9000;tcp").unwrap();
    uri.session_id = None;
    let mut relay = Relay::new(RelayConfig::new(uri), [5; 32], |u| {
        (u == "alice").then(|| Secret::Password("pw".into()))
    });
    let alice = relay.accept(now);
    // Alice authenticates (the client side of this is tests/relay.rs); her URI replaces
    // the RFC's "kjfjan"
    let sid = authenticate(&mut relay, alice, "msrps://alice.example.org:7965/bar;tcp", now);
    let fix = |m: Message| {
        let text = String::from_utf8(m.to_vec()).unwrap().replace("kjfjan", &sid);
        Message::parse(text.as_bytes()).unwrap()
    };
    let send = fix(msrp("rfc4976/rfc4976-sec3-SEND.msrp"));
    let expected = fix(msrp("rfc4976/rfc4976-sec3-SEND-2.msrp"));
    let ok = fix(msrp("rfc4976/rfc4976-sec3-200-OK.msrp"));
    relay.handle_input(alice, &send.to_vec(), now);
    // the next hop b.example.net is a connection the relay asks for
    let next = loop {
        match relay.poll_event().unwrap() {
            RelayEvent::Connect { conn, host, port, secure } => {
                assert_eq!((host.as_str(), port, secure), ("b.example.net", 9000, true));
                break conn;
            }
            _ => continue,
        }
    };
    relay.established(next);
    let (mut to_alice, mut to_next, mut buf) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(c) = relay.poll_transmit(now, &mut buf) {
        if c == alice { to_alice.append(&mut buf) } else { to_next.append(&mut buf) }
    }
    let got = Message::parse(&to_next).unwrap();
    assert_eq!(got.start.method(), expected.start.method());
    assert_ne!(got.tid(), send.tid());
    let mut a = got.headers.clone();
    let mut b = expected.headers.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b, "the same headers, the paths rewritten as the RFC shows");
    assert_eq!(got.body, expected.body);
    let resp = Message::parse(&to_alice).unwrap();
    assert_eq!(resp.tid(), ok.tid());
    assert!(matches!(resp.start, StartLine::Response { code: 200, .. }));
    assert_eq!(header(&resp, "To-Path"), header(&ok, "To-Path"));
    assert_eq!(header(&resp, "From-Path"), header(&ok, "From-Path"));
}

/// Runs the AUTH exchange for `from` on `conn`; returns the session id handed out.
fn authenticate(
    relay: &mut Relay,
    conn: simple_msrp::ConnectionId,
    from: &str,
    now: Instant,
) -> String {
    use simple_msrp::{AuthConfig, AuthEvent, RelayClient};
    let mut relay_uri = relay.config().uri.clone();
    relay_uri.session_id = None;
    let mut c = RelayClient::new(
        AuthConfig::new(vec![relay_uri], "alice", "pw"),
        [9; 32],
        MsrpUri::parse(from).unwrap(),
    );
    c.refresh(now);
    for _ in 0..4 {
        let mut out = Vec::new();
        while c.poll_transmit(&mut out).is_some() {}
        relay.handle_input(conn, &out, now);
        let mut back = Vec::new();
        while relay.poll_transmit(now, &mut back).is_some() {}
        c.handle_input(&back, now).unwrap();
        if let Some(AuthEvent::Authorized { use_path, .. }) = c.poll_event() {
            return use_path[0].session_id.clone().unwrap();
        }
    }
    panic!("not authorized");
}

/// §5.1: the 401 carries a Digest challenge with a quoted qop="auth"; the 200 carries
/// Use-Path, Authentication-Info with rspauth/cnonce/nc/qop, and Expires — as ours do.
#[test]
fn section_5_1_auth_exchange_has_our_shape() {
    let challenge = msrp("rfc4976/rfc4976-sec5.1-401-Unauthorized.msrp");
    let www = header(&challenge, "WWW-Authenticate");
    assert!(www.starts_with("Digest ") && www.contains("qop=\"auth\""), "{www}");
    let ok = msrp("rfc4976/rfc4976-sec5.1-200-OK.msrp");
    assert_eq!(
        ok.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["To-Path", "From-Path", "Use-Path", "Authentication-Info", "Expires"]
    );
    for p in ["rspauth=", "cnonce=", "nc=", "qop=auth"] {
        assert!(header(&ok, "Authentication-Info").contains(p));
    }
    // our relay's answers to the same AUTH
    let now = Instant::now();
    let uri = MsrpUri::parse("msrps://intra.example.com:9000;tcp").unwrap();
    let mut relay =
        Relay::new(RelayConfig::new(uri), [1; 32], |_| Some(Secret::Password("pw".into())));
    let conn = relay.accept(now);
    relay.handle_input(conn, &msrp("rfc4976/rfc4976-sec5.1-AUTH.msrp").to_vec(), now);
    let mut out = Vec::new();
    while relay.poll_transmit(now, &mut out).is_some() {}
    let ours = Message::parse(&out).unwrap();
    assert_eq!(ours.start.code(), Some(401));
    assert_eq!(header(&ours, "To-Path"), header(&challenge, "To-Path"));
    assert_eq!(header(&ours, "From-Path"), header(&challenge, "From-Path"));
    assert!(header(&ours, "WWW-Authenticate").contains("qop=\"auth\""));
    // the RFC's credentials answer another nonce (RFC 2617's, with GET): refused, challenged again
    relay.handle_input(conn, &msrp("rfc4976/rfc4976-sec5.1-AUTH-2.msrp").to_vec(), now);
    let mut out = Vec::new();
    while relay.poll_transmit(now, &mut out).is_some() {}
    assert_eq!(Message::parse(&out).unwrap().start.code(), Some(401));
    let sid = authenticate(&mut relay, conn, "msrps://alice.example.com:9892/98cjs;tcp", now);
    assert!(sid.len() >= 16);
}

#[test]
fn section_11_paths_with_several_hops() {
    let two = MsrpMedia::parse(&unfold_sdp(
        &fs::read_to_string(dir().join("rfc4976/rfc4976-sec11-sdp-2.sdp")).unwrap(),
    ))
    .unwrap();
    assert!(two.tls);
    assert_eq!(two.path.len(), 2);
    assert_eq!(two.path[0].host, "relay.example.com");
    assert_eq!(two.accept_types, ["message/cpim", "text/plain"]);
    let one =
        MsrpMedia::parse(&fs::read_to_string(dir().join("rfc4976/rfc4976-sec11-sdp.sdp")).unwrap())
            .unwrap();
    assert_eq!(one.path.len(), 1);
    // A sends to Bob through Bob's relay: To-Path is Bob's a=path (no relay of A's own)
    assert_eq!(
        simple_msrp::connect_target(&two, None, false),
        Some(("relay.example.com".into(), 9000))
    );
}

fn sdp(file: &str) -> MsrpMedia {
    let mut text = unfold_sdp(&fs::read_to_string(dir().join(file)).unwrap());
    if !text.contains("m=message") {
        // a fragment of attributes: give it a media line to sit in
        text = format!(
            "m=message 9 TCP/MSRP *\r\na=accept-types:*\r\na=path:msrp://x.example.com:9/s;tcp\r\n{text}"
        );
    }
    MsrpMedia::parse(&text).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

#[test]
fn file_transfer_sdp_examples() {
    // §6 Figure 2, every attribute
    let m = sdp("rfc5547/rfc5547-sec6-figure2.sdp");
    let f = FileTransfer::from_media(&m).unwrap().unwrap();
    assert_eq!(f.direction, FileDirection::Send);
    assert_eq!(f.selector.name.as_deref(), Some("My cool picture.jpg"));
    assert_eq!(f.selector.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(f.selector.size, Some(32349));
    assert_eq!(
        f.selector.sha1().unwrap().to_string(),
        "sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E"
    );
    assert_eq!(f.transfer_id.as_deref(), Some("vBnG916bdberum2fFEABR1FR3ExZMUrd"));
    assert_eq!(f.disposition.as_deref(), Some("attachment"));
    assert_eq!(f.date.creation.as_deref(), Some("Mon, 15 May 2006 15:01:31 +0300"));
    assert_eq!(f.icon.as_deref(), Some("cid:id2@alicepc.example.com"));
    assert_eq!(f.range, Some(FileRange { start: 1, stop: Some(32349) }));
    assert_eq!(f.message_len(32349), 32349);
    // written back (one line per attribute, as real implementations do) it reads the same
    let mut copy = m;
    f.write_to(&mut copy);
    let again = MsrpMedia::parse(&copy.write()).unwrap();
    assert_eq!(FileTransfer::from_media(&again).unwrap().unwrap(), f);
    assert!(copy.write().contains(
        "a=file-selector:name:\"My cool picture.jpg\" type:image/jpeg size:32349 hash:sha-1:72:24:"
    ));
    // the answer to it: the receiver's recvonly with the same description (§9.1)
    let answer = sdp("rfc5547/rfc5547-sec9.1-sdp.sdp");
    let a = FileTransfer::from_media(&answer).unwrap().unwrap();
    assert_eq!(a.direction, FileDirection::Receive);
    assert_eq!(f.answer(None).direction, FileDirection::Receive);
    assert!(f.selector.selects(&f.answer(None).selector));
    // §9.2: a pull by hash (Bob offers to send what Alice asked by type and hash)
    let pull = FileTransfer::from_media(&sdp("rfc5547/rfc5547-sec9.2-sdp.sdp")).unwrap().unwrap();
    assert_eq!(pull.direction, FileDirection::Send);
    assert_eq!(pull.selector.name, None);
    assert_eq!(
        pull.selector.hashes,
        [FileHash {
            algorithm: "sha-1".into(),
            value: vec![
                0x72, 0x24, 0x5F, 0xE8, 0x65, 0x3D, 0xDA, 0xF3, 0x71, 0x36, 0x2F, 0x86, 0xD4, 0x71,
                0x91, 0x3E, 0xE4, 0xA2, 0xCE, 0x2E
            ]
        }]
    );
    let second =
        FileTransfer::from_media(&sdp("rfc5547/rfc5547-sec9.2-sdp-2.sdp")).unwrap().unwrap();
    assert_eq!(
        (second.direction, second.selector.name.as_deref()),
        (FileDirection::Receive, Some("sunset.jpg"))
    );
    // fragments
    let frag = FileTransfer::from_media(&sdp("rfc5547/rfc5547-sec9.2-sdp-3.sdp")).unwrap();
    assert!(frag.is_none(), "no file-selector in the fragment: not a file transfer");
    let m = sdp("rfc5547/rfc5547-sec9.2-sdp-3.sdp");
    assert!(m.other.contains(&"a=file-transfer-id:ZVE8MfI9mhAdZ8GyiNMzNN5dpqgzQlCO".to_owned()));
    // §9.3: a capability indication, a bare a=file-selector on a port-0 stream with no path
    let cap = sdp("rfc5547/rfc5547-sec9.3-sdp.sdp");
    assert_eq!((cap.port, cap.max_size), (0, Some(20000)));
    assert!(FileTransfer::from_media(&cap).unwrap().unwrap().selector.is_empty());
    // written back without a path it reads again (found by msrp_sdp_attrs)
    assert_eq!(MsrpMedia::parse(&cap.write()).unwrap(), cap);
}

#[test]
fn file_transfer_msrp_examples_parse() {
    let mut n = 0;
    for (file, kind, note) in manifest() {
        if kind != "msrp" || !file.starts_with("rfc5547") {
            continue;
        }
        let bytes = unfold_msrp(&fs::read(dir().join(&file)).unwrap());
        let m = Message::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        if note.contains("elision") {
            // the RFC shortened the body ("..."): the Byte-Range promises more than is there
            assert!(m.body.is_some(), "{file}");
        }
        n += 1;
    }
    assert_eq!(n, 8);
}
