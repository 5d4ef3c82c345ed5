//! `Message::parse` on any bytes: never panics; whatever parses writes back and parses equal,
//! reads the same through its owned form (`OwnedMessage`), a request that passes the UAS
//! checks can be answered (and the answer parses), and every typed header either types or
//! fails with an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_sip::headers::*;
use simple_sip::{Header, Message, MessageWriter, Method, OwnedMessage, Uri};

fuzz_target!(|data: &[u8]| {
    let mut headers = [Header::EMPTY; 64];
    let Ok(msg) = Message::parse(data, &mut headers) else { return };
    let out = msg.to_vec();
    let mut h2 = [Header::EMPTY; 64];
    let again = Message::parse(&out, &mut h2).expect("a written message parses");
    assert_eq!(again, msg);
    let owned =
        OwnedMessage::parse(bytes::Bytes::copy_from_slice(data)).expect("parses as Message did");
    owned.view(|m| assert_eq!(m, &msg));
    // a request the UAS checks pass can always be answered, and the answer parses
    if msg.request().is_some() {
        let config = simple_sip::uas::UasConfig::new(&[Method::Options, Method::Invite, Method::Message]);
        let verdict = simple_sip::uas::check(&msg, &config, |_| false);
        let mut out = Vec::new();
        let code = verdict.as_ref().map_or_else(|r| r.code, |()| 200);
        let answered = MessageWriter::response_to(&mut out, &msg, code, "X", Some("t"), None);
        if verdict.is_ok() {
            answered.expect("a checked request can be answered").finish();
            let mut h = [Header::EMPTY; 64];
            Message::parse(&out, &mut h).expect("the answer parses");
        }
    }
    assert_eq!(&owned.body()[..], msg.body());
    if let Some(r) = msg.request() {
        let _ = Uri::parse(&r.uri);
    }
    for v in msg.typed_all::<Via<'_>>() {
        let _ = v;
    }
    for v in msg.typed_all::<Contact<'_>>() {
        let _ = v;
    }
    for v in msg.typed_all::<Route<'_>>() {
        let _ = v;
    }
    for v in msg.typed_all::<Accept<'_>>() {
        let _ = v;
    }
    for v in msg.typed_all::<Supported<'_>>() {
        let _ = v;
    }
    let _ = msg.typed::<FromHeader<'_>>();
    let _ = msg.typed::<ToHeader<'_>>();
    let _ = msg.typed::<CSeq<'_>>();
    let _ = msg.typed::<CallId<'_>>();
    let _ = msg.typed::<EventHeader<'_>>();
    let _ = msg.typed::<SubscriptionState<'_>>();
    let _ = msg.typed::<ContentType<'_>>();
    let _ = msg.typed::<WwwAuthenticate<'_>>();
    let _ = msg.typed::<Authorization<'_>>();
    let _ = msg.typed::<RetryAfter<'_>>();
    let _ = msg.typed::<Expires>();
});
