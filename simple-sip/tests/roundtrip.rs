//! Property tests: messages built from typed values parse back to the same values
//! (`parse(write(x)) == x`), framing agrees however a stream is split, and no byte string makes
//! a parser panic.

#![allow(elided_lifetimes_in_paths)]
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)] // test helpers // `typed::<Via>()` reads better than `typed::<Via<'_>>()`

use proptest::prelude::*;
use simple_sip::headers::*;
use simple_sip::multipart::{Multipart, MultipartWriter};
use simple_sip::{
    Frame, Header, Host, KeepAlive, Message, MessageWriter, Method, Params, ParseConfig, Progress,
    StreamDecoder, Uri,
};

#[derive(Debug, Clone)]
struct Spec {
    method: String,
    user: Option<String>,
    host: String,
    port: Option<u16>,
    uri_params: String,
    transport: String,
    branch: String,
    display: Option<String>,
    tag: String,
    call_id: String,
    cseq: u32,
    expires: u32,
    event: String,
    state: &'static str,
    ext: Vec<(String, String)>,
    body: Vec<u8>,
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,12}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9-]{0,8}){0,3}",
        (0u8..=255, 0u8..=255, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (
            prop_oneof![Just("NOTIFY".to_owned()), Just("MESSAGE".to_owned()), "[A-Z]{3,10}"],
            proptest::option::of("[a-z0-9][a-z0-9._+-]{0,10}"),
            host(),
            proptest::option::of(any::<u16>()),
            proptest::collection::vec(
                ("[a-z][a-z0-9-]{0,6}", proptest::option::of("[a-z0-9.]{1,6}")),
                0..3,
            )
            .prop_map(|ps| {
                ps.iter()
                    .map(|(n, v)| match v {
                        Some(v) => format!(";{n}={v}"),
                        None => format!(";{n}"),
                    })
                    .collect()
            }),
            prop_oneof![
                Just("UDP".to_owned()),
                Just("TCP".to_owned()),
                Just("TLS".to_owned()),
                Just("WS".to_owned())
            ],
            "z9hG4bK[a-zA-Z0-9]{1,16}",
            proptest::option::of("[A-Za-z ,;\"\\\\]{1,16}"),
        ),
        (
            token(),
            "[A-Za-z0-9.!%*_+`'~()<>:\"/\\[\\]?{}-]{1,20}(@[a-z0-9.]{1,10})?",
            any::<u32>(),
            any::<u32>(),
            "[a-z]{1,8}(\\.[a-z]{1,5})?",
            prop_oneof![Just("active"), Just("pending"), Just("terminated")],
            proptest::collection::vec(("X-[A-Za-z0-9-]{1,10}", "[ -~]{0,30}"), 0..4),
            proptest::collection::vec(any::<u8>(), 0..200),
        ),
    )
        .prop_map(
            |(
                (method, user, host, port, uri_params, transport, branch, display),
                (tag, call_id, cseq, expires, event, state, ext, body),
            )| Spec {
                method,
                user,
                host,
                port,
                uri_params,
                transport,
                branch,
                display,
                tag,
                call_id,
                cseq,
                expires,
                event,
                state,
                // distinct names, so each reads back by name
                ext: ext
                    .into_iter()
                    .enumerate()
                    .map(|(i, (n, v))| (format!("{n}-{i}"), v.trim().to_owned()))
                    .collect(),
                body,
            },
        )
}

fn quoted(s: &str) -> String {
    let mut v = Vec::new();
    simple_sip::write_quoted(s, &mut v);
    String::from_utf8(v).unwrap()
}

/// Builds the message of `spec` and checks every typed value reads back equal.
fn build_and_check(spec: &Spec) -> Result<Vec<u8>, TestCaseError> {
    let uri_text = format!(
        "sip:{}{}{}{}",
        spec.user.as_ref().map(|u| format!("{u}@")).unwrap_or_default(),
        spec.host,
        spec.port.map(|p| format!(":{p}")).unwrap_or_default(),
        spec.uri_params
    );
    let uri = Uri::parse(&uri_text).map_err(|e| TestCaseError::fail(format!("{uri_text}: {e}")))?;
    let mut w_uri = Vec::new();
    uri.write(&mut w_uri);
    prop_assert_eq!(Uri::parse(std::str::from_utf8(&w_uri).unwrap()).unwrap(), uri.clone());

    let host_uri = format!("sip:{}", spec.host);
    let host = Uri::parse(&host_uri).unwrap().as_sip().unwrap().host.clone();
    let branch = format!(";branch={}", spec.branch);
    let via = Via {
        transport: spec.transport.as_str().into(),
        host,
        port: spec.port,
        params: Params::new(&branch),
    };
    let display = spec.display.as_deref().map(quoted);
    let tag = format!(";tag={}", spec.tag);
    let from = FromHeader(NameAddr {
        display: display.as_deref().map(Into::into),
        uri: uri.clone(),
        params: Params::new(&tag),
    });
    let to = ToHeader(NameAddr::new(uri.clone()));
    let method = Method::from_token(&spec.method);
    let cseq = CSeq { seq: spec.cseq, method: method.clone() };
    let call_id = CallId::new(&spec.call_id);
    let event = EventHeader::new(&spec.event);
    let sub_params = format!(";expires={}", spec.expires);
    let state = SubscriptionState {
        state: match spec.state {
            "active" => SubState::Active,
            "pending" => SubState::Pending,
            _ => SubState::Terminated,
        },
        params: Params::new(&sub_params),
    };
    let contact = Contact::Address(NameAddr::new(uri.clone()));
    let ct = ContentType::new("application", "pidf+xml");

    let mut out = Vec::new();
    let mut w = MessageWriter::request(&mut out, &method, &uri_text);
    w.header(&via).header(&from).header(&to).header(&call_id).header(&cseq);
    w.header(&MaxForwards(70))
        .header(&Expires(spec.expires))
        .header(&event)
        .header(&state)
        .header(&contact);
    for (n, v) in &spec.ext {
        w.raw_header(n, v.as_bytes());
    }
    w.body(Some(&ct), &spec.body);

    let mut headers = [Header::EMPTY; 32];
    let msg = Message::parse(&out, &mut headers)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&out))))?;
    prop_assert_eq!(msg.method(), Some(method));
    prop_assert_eq!(Uri::parse(&msg.request().unwrap().uri).unwrap(), uri);
    prop_assert_eq!(msg.require::<Via>().unwrap(), via);
    prop_assert_eq!(msg.require::<FromHeader>().unwrap(), from);
    let from_back = msg.require::<FromHeader>().unwrap();
    let display_name = from_back.display_name();
    prop_assert_eq!(display_name.as_deref(), spec.display.as_deref());
    prop_assert_eq!(msg.require::<ToHeader>().unwrap(), to);
    prop_assert_eq!(msg.require::<CallId>().unwrap(), call_id);
    prop_assert_eq!(msg.require::<CSeq>().unwrap(), cseq);
    prop_assert_eq!(msg.require::<Expires>().unwrap(), Expires(spec.expires));
    prop_assert_eq!(msg.require::<EventHeader>().unwrap(), event);
    prop_assert_eq!(msg.require::<SubscriptionState>().unwrap(), state);
    prop_assert_eq!(msg.require::<Contact>().unwrap(), contact);
    prop_assert_eq!(msg.require::<ContentType>().unwrap(), ct);
    for (n, v) in &spec.ext {
        prop_assert_eq!(msg.header_str(n).map(|h| h.value()), Some(v.as_bytes()));
    }
    prop_assert_eq!(msg.body(), &spec.body[..]);

    // lossless: writing the parsed message and parsing again gives the same message
    let again = msg.to_vec();
    let mut h2 = [Header::EMPTY; 32];
    prop_assert_eq!(Message::parse(&again, &mut h2).unwrap(), msg);
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn typed_message_round_trip(spec in spec()) {
        build_and_check(&spec)?;
    }

    #[test]
    fn stream_framing_agrees_with_parse(spec in spec(), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let one = build_and_check(&spec)?;
        let mut wire = b"\r\n\r\n".to_vec();
        wire.extend_from_slice(&one);
        wire.extend_from_slice(&one);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(wire.len())).collect();
        points.push(wire.len());
        points.sort_unstable();
        let mut decoder = StreamDecoder::default();
        let (mut rx, mut fed, mut messages, mut pings) = (Vec::new(), 0, 0, 0);
        for p in points {
            rx.extend_from_slice(&wire[fed..p]);
            fed = p;
            while let Progress::Complete(frame) = decoder.decode(&rx).unwrap() {
                let used = match frame {
                    Frame::Message { len } => {
                        prop_assert_eq!(&rx[..len], &one[..]);
                        // parse_stream agrees on the length
                        let mut h = [Header::EMPTY; 32];
                        let Progress::Complete((_, n)) = Message::parse_stream(&rx, &mut h, &ParseConfig::default()).unwrap() else {
                            return Err(TestCaseError::fail("parse_stream partial on a whole frame"));
                        };
                        prop_assert_eq!(n, len);
                        messages += 1;
                        len
                    }
                    Frame::KeepAlive { kind, len } => {
                        prop_assert_eq!(kind, KeepAlive::Ping);
                        pings += 1;
                        len
                    }
                };
                rx.drain(..used);
            }
        }
        prop_assert_eq!((messages, pings), (2, 1));
    }

    #[test]
    fn multipart_round_trip(parts in proptest::collection::vec((token(), proptest::collection::vec(any::<u8>(), 0..64)), 1..5)) {
        let boundary = "simple-rs-b0undary-7f3a";
        let mut body = Vec::new();
        let mut w = MultipartWriter::new(&mut body, boundary);
        let ids: Vec<String> = parts.iter().map(|(t, _)| format!("<{t}@example.com>")).collect();
        for ((_, content), id) in parts.iter().zip(&ids) {
            // content must not contain the delimiter; random bytes of this size never do
            w.part(&[Header::new("Content-ID", id.as_bytes())], content);
        }
        w.finish();
        let mp = Multipart::parse(&body, boundary).unwrap();
        prop_assert_eq!(mp.len(), parts.len());
        for (part, ((t, content), _)) in mp.parts().zip(parts.iter().zip(&ids)) {
            prop_assert_eq!(part.body(), &content[..]);
            let cid = format!("{t}@example.com");
            prop_assert_eq!(part.content_id(), Some(cid.as_str()));
        }
    }

    #[test]
    fn no_input_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut headers = [Header::EMPTY; 16];
        if let Ok(msg) = Message::parse(&bytes, &mut headers) {
            let _ = msg.typed_all::<Via>().count();
            let _ = msg.typed::<ContentType>();
            let out = msg.to_vec();
            let mut h2 = [Header::EMPTY; 16];
            prop_assert_eq!(Message::parse(&out, &mut h2).unwrap(), msg);
        }
        let _ = StreamDecoder::default().decode(&bytes);
        let _ = Multipart::parse(&bytes, "b");
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = Uri::parse(s);
        }
    }

    #[test]
    fn mutated_messages_never_panic(spec in spec(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = build_and_check(&spec)?;
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let mut headers = [Header::EMPTY; 32];
        if let Ok(msg) = Message::parse(&bytes, &mut headers) {
            for v in msg.typed_all::<Via>() { let _ = v; }
            for v in msg.typed_all::<Contact>() { let _ = v; }
            let _ = (msg.typed::<FromHeader>(), msg.typed::<CSeq>(), msg.typed::<SubscriptionState>());
            let out = msg.to_vec();
            let mut h2 = [Header::EMPTY; 32];
            prop_assert_eq!(Message::parse(&out, &mut h2).unwrap(), msg);
        }
    }
}

#[test]
fn host_kinds() {
    let u = Uri::parse("sip:[2001:db8::1]:5060").unwrap();
    assert!(matches!(u.as_sip().unwrap().host, Host::Ipv6(_)));
}

#[test]
fn error_categories_separate_limits_from_malformed_input() {
    use simple_sip::{Category, ErrorKind};
    let mut headers = [Header::EMPTY; 2];
    let many = b"OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    let e = Message::parse(many, &mut headers).unwrap_err();
    assert_eq!(
        (e.kind(), e.kind().category(), e.status_code()),
        (ErrorKind::TooManyHeaders, Category::Limit, 513)
    );
    let e = Message::parse(b"OPTIONS sip:a@b SIP/3.0\r\n\r\n", &mut headers).unwrap_err();
    assert_eq!((e.kind().category(), e.status_code()), (Category::Malformed, 505));
}

/// Near-valid messages (generated ones with up to four edits, not only one byte): parsed whole
/// and framed on a stream split anywhere, the same verdict; what parses types its headers
/// without panicking and writes back equal. Enough parse, and enough fail deep inside, to show
/// the deep paths run.
#[test]
fn near_valid_messages() {
    let messages = spec().prop_map(|s| build_and_check(&s).expect("generated messages are valid"));
    let inputs = (simple_testkit::mutated(messages), 1usize..64);
    let tally = simple_testkit::run(512, inputs, |(bytes, step), tally| {
        let mut headers = [Header::EMPTY; 32];
        match Message::parse(&bytes, &mut headers) {
            Ok(msg) => {
                tally.count(None);
                for v in msg.typed_all::<Via>() {
                    let _ = v;
                }
                for v in msg.typed_all::<Contact>() {
                    let _ = v;
                }
                let _ =
                    (msg.typed::<FromHeader>(), msg.typed::<CSeq>(), msg.typed::<ContentType>());
                let mut h2 = [Header::EMPTY; 32];
                assert_eq!(
                    Message::parse(&msg.to_vec(), &mut h2).expect("what we write reads"),
                    msg
                );
            }
            Err(e) => tally.count(Some(Some(e.offset()))),
        }
        // a stream decoder fed in pieces never panics and agrees with itself whole
        let frame = |step: usize| {
            let mut d = StreamDecoder::default();
            let mut rx = Vec::new();
            for piece in bytes.chunks(step) {
                rx.extend_from_slice(piece);
                match d.decode(&rx) {
                    Ok(Progress::Complete(f)) => return Ok(Some(f)),
                    Ok(Progress::Partial) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(None)
        };
        assert_eq!(frame(step), frame(bytes.len().max(1)), "{:?}", String::from_utf8_lossy(&bytes));
    });
    tally.assert_deep(2, 20);
}

/// What a dialog keeps from a response (route set, remote target, tags, Call-ID, CSeq, the top
/// Via, the status line) survives the message's buffer as owned values, equal to the borrowed
/// ones and written the same.
#[test]
fn owned_forms_outlive_the_message() {
    use simple_sip::headers::{CSeq, CallId, RecordRoute, ToHeader};
    use simple_sip::{StartLine, Uri};
    type Kept = (
        Vec<RecordRoute<'static>>,
        Uri<'static>,
        ToHeader<'static>,
        CallId<'static>,
        CSeq<'static>,
        Via<'static>,
        StartLine<'static>,
        Vec<Vec<u8>>,
    );
    let kept: Kept = {
        let bytes = b"SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n\
Record-Route: <sip:p1.example.com;lr>, <sip:[2001:db8::1]:5070;lr;transport=tcp>\r\n\
To: \"Bob\" <sip:bob@biloxi.com>;tag=a6c85cf\r\n\
From: <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 SUBSCRIBE\r\n\
Contact: <sip:bob@192.0.2.4;transport=tcp>\r\n\
Content-Length: 0\r\n\r\n"
            .to_vec();
        let mut headers = [Header::EMPTY; 16];
        let msg = Message::parse(&bytes, &mut headers).unwrap();
        let routes: Vec<RecordRoute<'_>> = msg.typed_all().collect::<Result<_, _>>().unwrap();
        let Contact::Address(target) = msg.require::<Contact>().unwrap() else { panic!() };
        let written = routes.iter().map(RecordRoute::to_value_vec).collect();
        (
            routes.into_iter().map(RecordRoute::into_owned).collect(),
            target.uri.into_owned(),
            msg.require::<ToHeader>().unwrap().into_owned(),
            msg.require::<CallId>().unwrap().into_owned(),
            msg.require::<CSeq>().unwrap().into_owned(),
            msg.require::<Via>().unwrap().into_owned(),
            msg.start_line().clone().into_owned(),
            written,
        )
    }; // the message's bytes are gone here
    let (routes, target, to, call_id, cseq, via, start, written) = kept;
    assert_eq!(routes.len(), 2);
    assert_eq!(routes.iter().map(RecordRoute::to_value_vec).collect::<Vec<_>>(), written);
    assert!(routes[1].uri.as_sip().unwrap().params.contains("lr"));
    assert_eq!(target.to_string(), "sip:bob@192.0.2.4;transport=tcp");
    assert_eq!((to.tag(), to.display_name().as_deref()), (Some("a6c85cf"), Some("Bob")));
    assert_eq!(call_id.0, "a84b4c76e66710@pc33.atlanta.com");
    assert_eq!((cseq.seq, cseq.method), (314159, Method::Subscribe));
    assert_eq!((via.branch(), via.received()), (Some("z9hG4bKnashds8"), Some("192.0.2.1")));
    assert!(matches!(start, StartLine::Response(ref s) if s.code == 200 && s.reason == "OK"));
}

/// RFC 3261 §19.1.4's examples, both lists, and its note that equality is not transitive.
#[test]
fn uri_comparison_rfc3261_19_1_4() {
    let equivalent: &[&[&str]] = &[
        &["sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"],
        &[
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;newparam=5",
            "sip:carol@chicago.com;security=on",
        ],
        &[
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
        ],
        &[
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
        ],
    ];
    let different: &[[&str; 2]] = &[
        ["SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"],
        ["sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"],
        ["sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"],
        ["sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"],
        ["sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"],
        ["sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"],
        // and the note: not transitive
        ["sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"],
        // a reserved character escaped is not the character
        ["sip:a%3Bb@x.com", "sip:a;b@x.com"],
        ["sips:alice@atlanta.com", "sip:alice@atlanta.com"],
    ];
    for set in equivalent {
        for a in *set {
            for b in *set {
                let (x, y) = (Uri::parse(a).unwrap(), Uri::parse(b).unwrap());
                assert!(x.equivalent(&y), "{a} ~ {b}");
            }
        }
    }
    for [a, b] in different {
        let (x, y) = (Uri::parse(a).unwrap(), Uri::parse(b).unwrap());
        assert!(!x.equivalent(&y) && !y.equivalent(&x), "{a} !~ {b}");
    }
    let on_off = ["sip:carol@chicago.com;security=off", "sip:carol@chicago.com"];
    assert!(Uri::parse(on_off[0]).unwrap().equivalent(&Uri::parse(on_off[1]).unwrap()));
    // a parameter given twice counts by its first value, so comparison stays reflexive and
    // symmetric (found by fuzzing sip_headers)
    let twice = Uri::parse("sip:uikm;cg=:&;cg=.0?N").unwrap();
    assert!(twice.equivalent(&twice));
    let other = Uri::parse("sip:uikm;cg=:&?N").unwrap();
    assert!(twice.equivalent(&other) && other.equivalent(&twice));
    // tel: numbers without their visual separators
    let tel = |s| Uri::parse(s).unwrap();
    assert!(tel("tel:+1-201-555-0123").equivalent(&tel("tel:+1.201.555.0123")));
    assert!(!tel("tel:+1-201-555-0123").equivalent(&tel("tel:+1-201-555-0124")));
}

/// Responses built from requests (RFC 3261 §8.2.6) with the receiver's Via rules (§18.2.1,
/// RFC 3581 §4), checked by parsing what was written.
#[test]
fn responses_to_requests() {
    use simple_sip::headers::{CSeq, CallId, ToHeader};
    use std::net::SocketAddr;
    let register = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors/rfc3261/rfc3261-sec24.1-F1-REGISTER.sip"),
    )
    .unwrap();
    let mut h = [Header::EMPTY; 32];
    let req = Message::parse(&register, &mut h).unwrap();
    let src: SocketAddr = "192.0.2.201:5060".parse().unwrap();
    let mut out = Vec::new();
    MessageWriter::response_to(&mut out, &req, 200, "OK", Some("2493k59kd"), Some(src))
        .unwrap()
        .finish();
    let mut h2 = [Header::EMPTY; 32];
    let resp = Message::parse(&out, &mut h2).unwrap();
    assert_eq!(resp.status_code(), Some(200));
    let via = resp.require::<Via>().unwrap();
    let req_via = req.require::<Via>().unwrap();
    assert_eq!((via.host.clone(), via.branch()), (req_via.host.clone(), req_via.branch()));
    // the sent-by is a name: received is added (§18.2.1)
    assert_eq!(via.received(), Some("192.0.2.201"));
    assert_eq!(resp.require::<ToHeader>().unwrap().tag(), Some("2493k59kd"));
    assert_eq!(resp.require::<CallId>().unwrap(), req.require::<CallId>().unwrap());
    assert_eq!(resp.require::<CSeq>().unwrap(), req.require::<CSeq>().unwrap());
    assert_eq!(
        resp.header(simple_sip::HeaderName::From).unwrap().value(),
        req.header(simple_sip::HeaderName::From).unwrap().value()
    );

    // RFC 3581 §4: a valueless rport is filled with the source port, and received added
    let nat = b"OPTIONS sip:b@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff, SIP/2.0/UDP p.example.com;branch=z9hG4bK2\r\n\
v: SIP/2.0/TCP q.example.com;branch=z9hG4bK3\r\n\
From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=9\r\nCall-ID: c1\r\nCSeq: 5 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";
    let mut h = [Header::EMPTY; 16];
    let req = Message::parse(nat, &mut h).unwrap();
    let mut out = Vec::new();
    let src: SocketAddr = "192.0.2.1:9988".parse().unwrap();
    MessageWriter::response_to(&mut out, &req, 486, "Busy Here", Some("x"), Some(src))
        .unwrap()
        .finish();
    let mut h2 = [Header::EMPTY; 16];
    let resp = Message::parse(&out, &mut h2).unwrap();
    let vias: Vec<Via> = resp.typed_all().collect::<Result<_, _>>().unwrap();
    assert_eq!(vias.len(), 3, "every Via, in order");
    assert_eq!((vias[0].received(), vias[0].rport()), (Some("192.0.2.1"), Some(Some(9988))));
    assert_eq!(vias[0].branch(), Some("z9hG4bKkjshdyff"));
    assert_eq!((vias[1].branch(), vias[2].branch()), (Some("z9hG4bK2"), Some("z9hG4bK3")));
    // a To that has a tag keeps it
    assert_eq!(resp.require::<ToHeader>().unwrap().tag(), Some("9"));

    // sent-by is the source address, no rport: nothing added
    let direct = b"OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK7\r\n\
From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    let mut h = [Header::EMPTY; 16];
    let req = Message::parse(direct, &mut h).unwrap();
    let mut out = Vec::new();
    let src: SocketAddr = "192.0.2.1:5060".parse().unwrap();
    MessageWriter::response_to(&mut out, &req, 100, "Trying", None, Some(src)).unwrap().finish();
    let mut h2 = [Header::EMPTY; 16];
    let resp = Message::parse(&out, &mut h2).unwrap();
    assert_eq!(resp.require::<Via>().unwrap().received(), None);
    assert_eq!(resp.require::<ToHeader>().unwrap().tag(), None, "100 may go without a tag");

    // a request without Call-ID cannot be answered
    let broken = b"OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK7\r\n\
From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCSeq: 1 OPTIONS\r\n\r\n";
    let mut h = [Header::EMPTY; 16];
    let req = Message::parse(broken, &mut h).unwrap();
    let e = MessageWriter::response_to(&mut Vec::new(), &req, 400, "Bad Request", None, None)
        .unwrap_err();
    assert_eq!(e.kind(), simple_sip::ErrorKind::MissingHeader);
    assert_eq!(e.offset(), broken.len() - 2, "where the header was missed: the blank line");
}
