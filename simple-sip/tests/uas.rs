//! RFC 3261 §8.2: each check with the answer it names, and their order.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use simple_sip::uas::{MergeKey, UasConfig, check};
use simple_sip::{Header, Message, Method};

/// The Accept a default UAS answers 415 with: SDP, text, the SIMPLE bodies, multipart.
const ACCEPT: &str = "Accept: application/sdp, text/plain, application/pidf+xml, \
    application/pidf-diff+xml, application/watcherinfo+xml, application/rlmi+xml, \
    application/simple-message-summary, application/im-iscomposing+xml, \
    application/xcap-diff+xml, application/resource-lists+xml, message/cpim, message/imdn+xml, message/sipfrag, text/html, \
    multipart/mixed, multipart/related, multipart/alternative";

/// A request with `method`, `uri`, and the default headers unless `replace` gives others
/// (name, full line or "" to drop it); `extra` lines and `body` appended.
fn request(method: &str, uri: &str, replace: &[(&str, &str)], extra: &str, body: &str) -> Vec<u8> {
    let defaults = [
        ("Via", "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds".to_owned()),
        ("Max-Forwards", "Max-Forwards: 70".to_owned()),
        ("To", "To: <sip:bob@biloxi.com>".to_owned()),
        ("From", "From: <sip:alice@atlanta.com>;tag=1928301774".to_owned()),
        ("Call-ID", "Call-ID: a84b4c76e66710".to_owned()),
        ("CSeq", format!("CSeq: 314159 {method}")),
    ];
    let mut out = format!("{method} {uri} SIP/2.0\r\n");
    for (name, line) in defaults {
        match replace.iter().find(|(n, _)| *n == name) {
            Some((_, "")) => {}
            Some((_, l)) => out.push_str(&format!("{l}\r\n")),
            None => out.push_str(&format!("{line}\r\n")),
        }
    }
    out.push_str(extra);
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

fn verdict(bytes: &[u8], config: &UasConfig) -> Result<(), (u16, Option<String>)> {
    let mut h = [Header::EMPTY; 32];
    let m = Message::parse(bytes, &mut h).unwrap();
    check(&m, config, |_| false).map_err(|r| (r.code, r.header.map(|(n, v)| format!("{n}: {v}"))))
}

fn config() -> UasConfig {
    let mut c = UasConfig::new(&[Method::Options, Method::Message, Method::Invite]);
    c.extensions = vec!["100rel".into()];
    c
}

#[test]
fn a_good_request_passes() {
    assert_eq!(verdict(&request("OPTIONS", "sip:bob@biloxi.com", &[], "", ""), &config()), Ok(()));
    let body = request(
        "MESSAGE",
        "sip:bob@biloxi.com",
        &[],
        "Content-Type: text/plain\r\nRequire: 100rel\r\n",
        "hi",
    );
    assert_eq!(verdict(&body, &config()), Ok(()));
}

#[test]
fn each_check_gives_its_answer() {
    let c = config();
    let cases: Vec<(Vec<u8>, u16, Option<&str>)> = vec![
        (
            request("SUBSCRIBE", "sip:bob@biloxi.com", &[], "", ""),
            405,
            Some("Allow: OPTIONS, MESSAGE, INVITE"),
        ),
        (request("OPTIONS", "tel:+1-201-555-0123", &[], "", ""), 416, None),
        (
            request(
                "OPTIONS",
                "sip:bob@biloxi.com",
                &[],
                "Require: foo, 100rel\r\nRequire: bar\r\n",
                "",
            ),
            420,
            Some("Unsupported: foo, bar"),
        ),
        (
            request("MESSAGE", "sip:bob@biloxi.com", &[], "Content-Type: image/png\r\n", "png"),
            415,
            Some(ACCEPT),
        ),
        (request("MESSAGE", "sip:bob@biloxi.com", &[], "", "no type"), 415, Some(ACCEPT)),
        // 400s: missing, repeated or unreadable mandatory headers, a CSeq of another method
        (request("OPTIONS", "sip:bob@biloxi.com", &[("Call-ID", "")], "", ""), 400, None),
        (request("OPTIONS", "sip:bob@biloxi.com", &[("Via", "")], "", ""), 400, None),
        (request("OPTIONS", "sip:bob@biloxi.com", &[], "CSeq: 314160 OPTIONS\r\n", ""), 400, None),
        (
            request("OPTIONS", "sip:bob@biloxi.com", &[], "From: <sip:eve@evil.com>;tag=1\r\n", ""),
            400,
            None,
        ),
        (request("OPTIONS", "sip:bob@biloxi.com", &[], "Max-Forwards: 69\r\n", ""), 400, None),
        (
            request("OPTIONS", "sip:bob@biloxi.com", &[("CSeq", "CSeq: 314159 INVITE")], "", ""),
            400,
            None,
        ),
        (
            request(
                "OPTIONS",
                "sip:bob@biloxi.com",
                &[("From", "From: <sip:alice@atlanta.com>;tag=1, <sip:x@y>")],
                "",
                "",
            ),
            400,
            None,
        ),
    ];
    for (bytes, code, header) in cases {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        assert_eq!(verdict(&bytes, &c), Err((code, header.map(str::to_owned))), "{text}");
    }
}

#[test]
fn the_checks_run_in_the_rfcs_order() {
    // a known method not handled, with an unknown scheme, a required extension and an odd
    // body: 405 first
    let all =
        request("INFO", "mailto:bob@biloxi.com", &[], "Require: foo\r\nContent-Type: x/y\r\n", "b");
    assert_eq!(verdict(&all, &config()).unwrap_err().0, 405);
    // an unknown method: 501 (§21.5.2), before even a CSeq that names another method
    let unknown = request("FOO", "sip:bob@biloxi.com", &[("CSeq", "CSeq: 1 INVITE")], "", "");
    assert_eq!(verdict(&unknown, &config()).unwrap_err().0, 501);
    let mut forwarding = config();
    forwarding.forwards = true;
    let zero = request("MESSAGE", "sip:bob@biloxi.com", &[], "", "");
    let zero = String::from_utf8(zero).unwrap().replace("Max-Forwards: 70", "Max-Forwards: 0");
    assert_eq!(verdict(zero.as_bytes(), &config()), Ok(()), "a UA ignores Max-Forwards 0");
    assert_eq!(verdict(zero.as_bytes(), &forwarding).unwrap_err().0, 483);
    // then the scheme before the extension
    let scheme_ext = request("OPTIONS", "mailto:bob@biloxi.com", &[], "Require: foo\r\n", "");
    assert_eq!(verdict(&scheme_ext, &config()).unwrap_err().0, 416);
    // ACK and CANCEL are always taken, and not refused for Require or their body
    let ack =
        request("ACK", "sip:bob@biloxi.com", &[], "Require: foo\r\nContent-Type: x/y\r\n", "b");
    assert_eq!(verdict(&ack, &config()), Ok(()));
}

#[test]
fn merged_requests_get_482() {
    let bytes = request("MESSAGE", "sip:bob@biloxi.com", &[], "Content-Type: text/plain\r\n", "hi");
    let mut h = [Header::EMPTY; 32];
    let m = Message::parse(&bytes, &mut h).unwrap();
    let mut asked = None;
    let r = check(&m, &config(), |k: &MergeKey| {
        asked = Some(k.clone());
        true
    });
    assert_eq!(r.unwrap_err().code, 482);
    let k = asked.unwrap();
    assert_eq!((k.from_tag.as_str(), k.call_id.as_str()), ("1928301774", "a84b4c76e66710"));
    assert_eq!(k.cseq, (314159, "MESSAGE".to_owned()));
    // with a To tag the request is in a dialog: never a merge
    let in_dialog = request(
        "MESSAGE",
        "sip:bob@biloxi.com",
        &[("To", "To: <sip:bob@biloxi.com>;tag=9")],
        "Content-Type: text/plain\r\n",
        "hi",
    );
    let mut h = [Header::EMPTY; 32];
    let m = Message::parse(&in_dialog, &mut h).unwrap();
    assert_eq!(check(&m, &config(), |_| panic!("not asked")), Ok(()));
}
