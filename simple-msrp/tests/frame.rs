//! The framing layer: round trips, split-anywhere equivalence, errors with offsets, URIs.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use proptest::prelude::*;
use simple_msrp::{
    ByteRange, Decoder, ErrorKind as K, Flag, Frame, Message, MsrpUri, ParseConfig, ReportStatus,
    StartLine, end_line_in_body,
};

fn uri() -> impl Strategy<Value = MsrpUri> {
    (
        any::<bool>(),
        prop::option::of("[a-z0-9]{1,6}"),
        prop_oneof![
            "[a-z][a-z0-9.-]{0,12}",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            Just("[::1]".to_owned())
        ],
        prop::option::of(any::<u16>()),
        prop::option::of("[A-Za-z0-9+=_~.-]{1,12}"),
        prop_oneof![Just("tcp".to_owned()), "[a-z0-9]{1,4}"],
        prop::collection::vec(("[a-z]{1,5}", prop::option::of("[a-z0-9]{1,5}")), 0..2),
    )
        .prop_map(|(secure, userinfo, host, port, session_id, transport, params)| MsrpUri {
            secure,
            userinfo,
            host,
            port,
            session_id,
            transport,
            params,
        })
}

fn ident() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.+%=-]{3,20}"
}

fn message() -> impl Strategy<Value = Message> {
    let request = (
        ident(),
        prop_oneof![Just("SEND".to_owned()), Just("REPORT".to_owned()), "[A-Z]{1,8}"],
        prop::collection::vec(uri(), 1..3),
        prop::collection::vec(uri(), 1..3),
        prop::option::of(ident()),
        prop::option::of((1u64..1000, prop::option::of(0u64..1000), prop::option::of(0u64..5000))),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..600)),
        prop_oneof![Just(Flag::End), Just(Flag::More), Just(Flag::Abort)],
        prop::collection::vec(("X-[A-Za-z]{1,8}", "[ -~]{0,20}"), 0..3),
    )
        .prop_map(|(tid, method, to, from, mid, range, body, flag, ext)| {
            let mut m = Message::request(&tid, &method, &to, &from);
            if let Some(mid) = mid {
                m = m.with_header("Message-ID", mid);
            }
            if let Some((s, e, t)) = range {
                let e = e.map(|e| e.max(s - 1));
                let t = t.map(|t| t.max(e.unwrap_or(0)).max(s - 1));
                m = m.with_header("Byte-Range", ByteRange { start: s, end: e, total: t });
            }
            for (k, v) in ext {
                m = m.with_header(&k, v.trim());
            }
            if let Some(b) = body {
                m = m.with_header("Content-Type", "application/octet-stream");
                m.body = Some(b);
            }
            m.flag = flag;
            m
        });
    let response = (ident(), 100u16..700, prop::option::of("[ -~]{0,20}"), uri(), uri()).prop_map(
        |(tid, code, comment, to, from)| Message {
            start: StartLine::Response {
                tid: tid.into(),
                code,
                comment: comment
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .map(Into::into),
            },
            headers: vec![
                ("To-Path".into(), to.to_string()),
                ("From-Path".into(), from.to_string()),
            ],
            body: None,
            flag: Flag::End,
        },
    );
    prop_oneof![request, response].prop_filter("the body must not hold the end-line", |m| {
        m.body.as_ref().is_none_or(|b| !end_line_in_body(b, m.tid()))
    })
}

/// All frames of `bytes` fed in pieces of `step`, body pieces joined.
fn decode_all(bytes: &[u8], step: usize) -> Vec<String> {
    let mut d = Decoder::default();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut body = Vec::new();
    for piece in bytes.chunks(step.max(1)) {
        buf.extend_from_slice(piece);
        while let Some((f, used)) = d.decode(&buf).unwrap() {
            match f {
                Frame::Head(h) => out.push(format!("{:?}", h.start)),
                Frame::Data(x) => {
                    assert!(!x.is_empty() || used == 0);
                    body.extend_from_slice(x);
                }
                Frame::End(flag) => {
                    out.push(format!("{body:?} {flag:?}"));
                    body.clear();
                }
            }
            buf.drain(..used);
        }
    }
    assert!(buf.is_empty());
    assert!(d.is_idle());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn message_round_trip(m in message()) {
        let bytes = m.to_vec();
        prop_assert_eq!(Message::parse(&bytes).unwrap(), m);
    }

    #[test]
    fn split_anywhere(ms in prop::collection::vec(message(), 1..4), step in 1usize..200) {
        let mut bytes = Vec::new();
        for m in &ms {
            m.write(&mut bytes);
        }
        prop_assert_eq!(decode_all(&bytes, step), decode_all(&bytes, bytes.len()));
    }

    #[test]
    fn uri_round_trip(u in uri()) {
        prop_assert_eq!(MsrpUri::parse(&u.to_string()).unwrap(), u);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), step in 1usize..50) {
        let mut d = Decoder::new(ParseConfig::default());
        let mut buf = Vec::new();
        'outer: for piece in bytes.chunks(step) {
            buf.extend_from_slice(piece);
            loop {
                match d.decode(&buf) {
                    Ok(Some((_, used))) => { buf.drain(..used); }
                    Ok(None) => break,
                    Err(_) => break 'outer,
                }
            }
        }
        let _ = MsrpUri::parse(&String::from_utf8_lossy(&bytes));
        let _ = ByteRange::parse(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn errors_have_kinds_and_offsets() {
    let to = "To-Path: msrp://b.example.com:1/s;tcp\r\n";
    let from = "From-Path: msrp://a.example.com:2/t;tcp\r\n";
    let cases: Vec<(String, K, usize)> = vec![
        ("HTTP/1.1 200 OK\r\n\r\n".into(), K::InvalidStartLine, 0),
        ("MSRP ab SEND\r\n\r\n".into(), K::InvalidTransactionId, 5),
        ("MSRP abcd send\r\n\r\n".into(), K::InvalidMethod, 10),
        ("MSRP abcd 20 OK\r\n\r\n".into(), K::InvalidMethod, 10),
        ("MSRP abcd SEND\n\r\n".into(), K::BareLineEnd, 14),
        (format!("MSRP abcd SEND\r\n{from}{to}-------abcd$\r\n"), K::MissingPath, 16),
        (format!("MSRP abcd SEND\r\n{to}-------abcd$\r\n"), K::MissingPath, 55),
        (
            "MSRP abcd SEND\r\nTo-Path: http://x/;tcp\r\nFrom-Path: x\r\n-------abcd$\r\n".into(),
            K::InvalidUri,
            25,
        ),
        (
            format!("MSRP abcd SEND\r\n{to}{from}Byte-Range: 0-1/2\r\n-------abcd$\r\n"),
            K::InvalidByteRange,
            108,
        ),
        (
            format!("MSRP abcd SEND\r\n{to}{from}Byte-Range: 5-3/9\r\n-------abcd$\r\n"),
            K::InvalidByteRange,
            110,
        ),
        (
            format!("MSRP abcd SEND\r\n{to}{from}Success-Report: maybe\r\n-------abcd$\r\n"),
            K::InvalidReportValue,
            112,
        ),
        (
            format!("MSRP abcd SEND\r\n{to}{from}Message-ID: a\r\n-------abcd$\r\n"),
            K::InvalidMessageId,
            108,
        ),
        (
            format!("MSRP abcd REPORT\r\n{to}{from}Status: 200\r\n-------abcd$\r\n"),
            K::InvalidStatus,
            110,
        ),
        (
            format!("MSRP abcd SEND\r\n{to}{from}Bad Header: x\r\n-------abcd$\r\n"),
            K::InvalidHeader,
            96,
        ),
        (
            format!("MSRP abcd SEND\r\n{to}{from}X: a\x01b\r\n-------abcd$\r\n"),
            K::InvalidHeaderValue,
            100,
        ),
        (
            format!("MSRP abcd SEND\r\n{to}{from}\r\nbody\r\n-------abcd$\r\n"),
            K::MissingHeader("Content-Type"),
            96,
        ),
        (
            format!("MSRP abcd 200 OK\r\n{to}{from}Content-Type: a/b\r\n\r\nx\r\n-------abcd$\r\n"),
            K::UnexpectedBody,
            117,
        ),
        (format!("MSRP abcd SEND\r\n{to}{from}-------abce$\r\n"), K::InvalidEndLine, 96),
        (format!("MSRP abcd SEND\r\n{to}{from}-------abcd!\r\n"), K::InvalidEndLine, 96),
    ];
    for (input, kind, offset) in cases {
        let e = Message::parse(input.as_bytes()).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (kind, offset), "{input:?}");
        // the same error, at the same place, when the input arrives a byte at a time
        let mut d = Decoder::default();
        let mut buf = Vec::new();
        let mut base = 0;
        let mut got = None;
        'feed: for &b in input.as_bytes() {
            buf.push(b);
            loop {
                match d.decode(&buf) {
                    Ok(Some((_, used))) => {
                        buf.drain(..used);
                        base += used;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        got = Some((e.kind(), base + e.offset()));
                        break 'feed;
                    }
                }
            }
        }
        assert_eq!(got, Some((kind, offset)), "{input:?} byte by byte");
    }
}

#[test]
fn limits() {
    let mut config = ParseConfig::default();
    config.max_head_size = 100;
    let mut d = Decoder::new(config.clone());
    let long = format!("MSRP abcd SEND\r\nX-Long: {}\r\n", "a".repeat(200));
    assert_eq!(d.decode(long.as_bytes()).unwrap_err().kind(), K::HeadTooLarge);
    let mut d = Decoder::new(config);
    let e = d.decode(&[b'M'; 101]).unwrap_err();
    assert_eq!((e.kind(), e.status_code()), (K::HeadTooLarge, 413));
    let mut config = ParseConfig::default();
    config.max_headers = 3;
    let many = "MSRP abcd SEND\r\nTo-Path: msrp://b:1/s;tcp\r\nFrom-Path: msrp://a:2/t;tcp\r\nA: 1\r\nB: 2\r\n-------abcd$\r\n";
    let e = Decoder::new(config).decode(many.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), K::TooManyHeaders);
}

#[test]
fn body_that_looks_like_an_end_line() {
    // "-------abcd" inside the body but not followed by a flag and CRLF is data
    let raw = b"MSRP abcd SEND\r\nTo-Path: msrp://b:1/s;tcp\r\nFrom-Path: msrp://a:2/t;tcp\r\nContent-Type: text/plain\r\n\r\nx\r\n-------abcdX\r\n-------abcd\r\ny\r\n-------abcd$\r\n";
    let m = Message::parse(raw).unwrap();
    assert_eq!(m.body.as_deref(), Some(&b"x\r\n-------abcdX\r\n-------abcd\r\ny"[..]));
    for step in 1..20 {
        assert_eq!(decode_all(raw, step), decode_all(raw, raw.len()));
    }
}

#[test]
fn uris() {
    let u = MsrpUri::parse("msrp://bob@host.example.com:8493/asfd34;tcp;x=1;y").unwrap();
    assert_eq!(u.userinfo.as_deref(), Some("bob"));
    assert_eq!(
        (u.host.as_str(), u.port, u.session_id.as_deref()),
        ("host.example.com", Some(8493), Some("asfd34"))
    );
    assert_eq!(u.params, [("x".to_owned(), Some("1".to_owned())), ("y".to_owned(), None)]);
    // RFC 4975 §6.1 comparison
    let a = MsrpUri::parse("MSRP://Host.Example.com:8493/asfd34;TCP").unwrap();
    assert!(a.matches(&u));
    assert!(!MsrpUri::parse("msrp://host.example.com:8493/ASFD34;tcp").unwrap().matches(&u));
    assert!(!MsrpUri::parse("msrp://host.example.com/asfd34;tcp").unwrap().matches(&u));
    assert!(!MsrpUri::parse("msrps://host.example.com:8493/asfd34;tcp").unwrap().matches(&u));
    assert!(MsrpUri::parse("msrp://[2001:db8::1]:2855/s;tcp").is_ok());
    for (bad, at) in [
        ("sip://x:1/s;tcp", 0),
        ("msrp://x:1/s", 12),
        ("msrp://:1/s;tcp", 7),
        ("msrp://x:99999/s;tcp", 9),
        ("msrp://x:1/;tcp", 11),
        ("msrp://x:1/s s;tcp", 11),
        ("msrp://u:pw@x:1/s;tcp", 7),
        ("msrp://x:1/s;", 13),
    ] {
        let e = MsrpUri::parse(bad).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (K::InvalidUri, at), "{bad}");
    }
    assert_eq!(ReportStatus::parse("000 200 OK").unwrap().to_string(), "000 200 OK");
    // SDP: control characters and malformed media types are refused where they stand
    // (found by fuzzing: a CR inside accept-types did not survive a write and read)
    let m = "m=message 1 TCP/MSRP *\r\na=path:msrp://a:1/s;tcp\r\n";
    for (bad, at) in [
        ("a=accept-types:text/plain\rx\r\n", 25),
        ("a=accept-types:text\r\n", 15),
        ("a=x:\0\r\n", 4),
    ] {
        let e = simple_msrp::MsrpMedia::parse(&format!("{m}{bad}")).unwrap_err();
        assert_eq!((e.kind(), e.offset() - m.len()), (K::InvalidSdp, at), "{bad:?}");
    }
    assert_eq!(ByteRange::parse("1-0/0").unwrap(), ByteRange::whole(0));
}

/// Frames everything in `bytes` fed `step` bytes at a time: the frames seen (heads as their
/// start line, bodies whole, end flags) and the error that stopped it, at its offset in `bytes`.
fn frames_or_error(bytes: &[u8], step: usize) -> (Vec<String>, Option<(K, usize)>) {
    let mut d = Decoder::default();
    let (mut buf, mut out, mut body, mut base) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for piece in bytes.chunks(step.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match d.decode(&buf) {
                Ok(Some((f, used))) => {
                    match f {
                        Frame::Head(h) => out.push(format!("{:?}", h.start)),
                        Frame::Data(x) => body.extend_from_slice(x),
                        Frame::End(flag) => {
                            out.push(format!("{:?} {flag:?}", core::mem::take(&mut body)))
                        }
                    }
                    buf.drain(..used);
                    base += used;
                }
                Ok(None) => break,
                Err(e) => return (out, Some((e.kind(), base + e.offset()))),
            }
        }
    }
    (out, None)
}

/// Near-valid MSRP (generated messages with a few edits): framed whole or split at any size,
/// the same frames and the same error at the same offset; a message that parses writes back
/// to one that parses equal. Enough of them parse, and enough fail deep inside, to show the
/// deep paths run.
#[test]
fn near_valid_messages() {
    let inputs = (simple_testkit::mutated(message().prop_map(|m| m.to_vec())), 1usize..64);
    let tally = simple_testkit::run(512, inputs, |(bytes, step), tally| {
        let whole = frames_or_error(&bytes, bytes.len());
        assert_eq!(frames_or_error(&bytes, step), whole, "{:?}", String::from_utf8_lossy(&bytes));
        match Message::parse(&bytes) {
            Ok(m) => {
                tally.count(None);
                assert_eq!(Message::parse(&m.to_vec()).expect("what we write reads"), m);
            }
            Err(e) => tally.count(Some(Some(e.offset()))),
        }
    });
    tally.assert_deep(2, 20);
}
