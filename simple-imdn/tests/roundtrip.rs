//! Round trips and robustness, by proptest: CPIM messages built, written and read back;
//! the two XML documents; Disposition-Notification values; arbitrary and near-valid bytes
//! read without panic, and what reads writes back to itself; the sender's bookkeeping over
//! a network that loses, duplicates and reorders notifications; precise errors.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;
use std::time::Instant;

use proptest::prelude::*;
use simple_imdn::cpim::{CPIM_HEADERS_NS, Cpim, CpimMessage};
use simple_imdn::imdn::{Disposition, Imdn, Notification, Requested, Status};
use simple_imdn::iscomposing::{ComposingState, IsComposing};
use simple_imdn::tracker::{Outcome, Tracker, TrackerConfig, TrackerEvent};
use simple_imdn::{ErrorKind, Pending, Policy, Role};

fn text() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-zA-Z0-9 \\\\\"'\t\n\r\u{1}\u{7f}é€😀<>;:=,.-]{0,24}").unwrap()
}

fn token() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-zA-Z0-9][a-zA-Z0-9_-]{0,10}").unwrap()
}

fn uri() -> impl Strategy<Value = String> {
    token().prop_map(|u| format!("sip:{u}@example.com"))
}

#[derive(Debug, Clone)]
struct Built {
    from: (Option<String>, String),
    to: Vec<(Option<String>, String)>,
    subject: Option<(String, Option<String>)>,
    ext: Vec<(String, String, String)>,
    body: Vec<u8>,
}

fn built() -> impl Strategy<Value = Built> {
    let addr = || (prop::option::of(text()), uri());
    (
        addr(),
        prop::collection::vec(addr(), 0..3),
        prop::option::of((text(), prop::option::of(token()))),
        prop::collection::vec((token(), token(), text()), 0..3),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(from, to, subject, ext, body)| Built { from, to, subject, ext, body })
}

fn build(b: &Built) -> CpimMessage {
    let mut m = CpimMessage::new().address("From", b.from.0.as_deref(), &b.from.1);
    for (n, u) in &b.to {
        m = m.address("To", n.as_deref(), u);
    }
    if let Some((s, lang)) = &b.subject {
        m = match lang {
            Some(l) => m.header_lang("Subject", l, s),
            None => m.header("Subject", s),
        };
    }
    for (i, (prefix, name, value)) in b.ext.iter().enumerate() {
        let p = format!("{prefix}{i}");
        m = m.namespace(Some(&p), &format!("urn:x-test:{i}")).header(&format!("{p}.{name}"), value);
    }
    m.content("application/octet-stream", &b.body)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn built_messages_read_back(b in built()) {
        let m = build(&b);
        let bytes = m.to_vec();
        let c = Cpim::parse(&bytes).unwrap();
        let from = c.from().unwrap().unwrap();
        let name = b.from.0.clone().filter(|n| !n.is_empty());
        prop_assert_eq!(from.name.as_deref(), name.as_deref());
        prop_assert_eq!(from.uri.as_ref(), b.from.1.as_str());
        prop_assert_eq!(c.to().unwrap().len(), b.to.len());
        if let Some((s, lang)) = &b.subject {
            let got = c.subjects().next().unwrap();
            prop_assert_eq!(got.text.as_ref(), s.as_str());
            prop_assert_eq!(got.lang.as_deref(), lang.as_deref());
        }
        for (i, (_, name, value)) in b.ext.iter().enumerate() {
            let h = c.header(&format!("urn:x-test:{i}"), name).unwrap();
            let decoded = h.decoded();
            prop_assert_eq!(decoded.as_ref(), value.as_str());
        }
        prop_assert_eq!(c.content(), &b.body[..]);
        prop_assert_eq!(c.to_owned(), m);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(c) = Cpim::parse(&bytes) {
            let again = c.to_owned().to_vec();
            let d = Cpim::parse(&again).unwrap();
            prop_assert_eq!(d.to_owned(), c.to_owned());
        }
        let _ = Imdn::parse(&bytes);
        let _ = IsComposing::parse(&bytes);
        let _ = Requested::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn near_valid_messages_read_or_fail_precisely(bytes in simple_testkit::mutated(built().prop_map(|b| build(&b).to_vec()))) {
        match Cpim::parse(&bytes) {
            Ok(c) => {
                // what reads, writes back to the same message, and every typed read is bounded
                let again = c.to_owned().to_vec();
                prop_assert_eq!(Cpim::parse(&again).unwrap().to_owned(), c.to_owned());
                let _ = (c.from(), c.to(), c.cc(), c.date_time(), c.required());
                let _ = simple_imdn::imdn::ImdnHeaders::read(&c);
                let _ = Pending::from_im(&c, Role::Recipient);
            }
            Err(e) => {
                let at = e.offset().unwrap();
                prop_assert!(at <= bytes.len(), "{e} beyond {}", bytes.len());
            }
        }
    }

    #[test]
    fn imdn_documents_round_trip(
        id in token(),
        dt in "20[0-9]{2}-0[1-9]-1[0-9]T1[0-9]:[0-5][0-9]:[0-5][0-9]Z",
        who in prop::option::of(uri()),
        subject in prop::option::of(text()),
        pick in 0usize..16,
    ) {
        let pairs: Vec<(Disposition, Status)> = Disposition::ALL
            .into_iter()
            .flat_map(|d| {
                Status::ALL
                    .into_iter()
                    .filter(move |s| s.fits(d))
                    .map(move |s| (d, s))
            })
            .collect();
        let mut i = Imdn::new(&id, &dt, Notification::new(pairs[pick % pairs.len()].0, pairs[pick % pairs.len()].1));
        i.recipient_uri.clone_from(&who);
        i.original_recipient_uri = who;
        // XML has no way to write these characters
        i.subject = subject.map(|s| s.chars().filter(|c| !c.is_control() || matches!(c, '\t' | '\n')).collect::<String>())
            .filter(|_| i.recipient_uri.is_some());
        let back = Imdn::parse(&i.to_vec()).unwrap();
        let mut expect = i.clone();
        expect.subject = i.subject.map(|s| s.replace('\r', ""));
        prop_assert_eq!(back, expect);
    }

    #[test]
    fn iscomposing_documents_round_trip(
        state in prop_oneof![Just(ComposingState::Active), Just(ComposingState::Idle), token().prop_map(ComposingState::Other)],
        ct in prop::option::of("[a-z]{1,8}(/[a-z]{1,8})?"),
        refresh in prop::option::of(1u32..100_000),
        secs in 0i64..4_000_000_000,
    ) {
        let mut d = IsComposing::new(state);
        d.content_type = ct;
        d.refresh = refresh;
        d.last_active = Some(simple_pidf::DateTime::from_unix(secs, 0));
        prop_assert_eq!(IsComposing::parse(&d.to_vec()).unwrap(), d);
    }

    #[test]
    fn disposition_requests_round_trip(bits in 0u8..16) {
        let mut r = Requested::NONE;
        for (i, f) in [Requested::POSITIVE_DELIVERY, Requested::NEGATIVE_DELIVERY, Requested::PROCESSING, Requested::DISPLAY].into_iter().enumerate() {
            if bits & (1 << i) != 0 {
                r = r.with(f);
            }
        }
        prop_assert_eq!(Requested::parse(&r.to_value()).unwrap(), r);
    }

    /// Recipients answer every IM; the network loses, duplicates and reorders their
    /// notifications; the sender ends each expectation exactly once, with the status sent
    /// when one got through, with a timeout when none did.
    #[test]
    fn one_outcome_per_expected_notification(
        ims in 1usize..6,
        recipients in 1usize..4,
        fate in prop::collection::vec(0u8..4, 64),
        order in prop::collection::vec(any::<u16>(), 64),
    ) {
        let t0 = Instant::now();
        let mut tracker = Tracker::new(TrackerConfig::default());
        let who: Vec<String> = (0..recipients).map(|r| format!("sip:r{r}@example.com")).collect();
        let asked = Requested::POSITIVE_DELIVERY.with(Requested::DISPLAY);
        let mut wire = Vec::new();
        for m in 0..ims {
            let id = format!("m{m}");
            let refs: Vec<&str> = who.iter().map(String::as_str).collect();
            tracker.track(&id, &refs, asked, t0);
            for r in &who {
                let im = CpimMessage::new()
                    .address("From", None, "sip:alice@example.com")
                    .address("To", None, r)
                    .header("DateTime", "2026-12-03T10:00:00Z")
                    .namespace(Some("imdn"), simple_imdn::imdn::IMDN_NS)
                    .header("imdn.Message-ID", &id)
                    .header("imdn.Disposition-Notification", &asked.to_value())
                    .content("text/plain", b"hi")
                    .to_vec();
                let mut p = Pending::from_im(&Cpim::parse(&im).unwrap(), Role::Recipient).unwrap().unwrap();
                for (d, s) in [(Disposition::Delivery, Status::Delivered), (Disposition::Display, Status::Displayed)] {
                    wire.push(p.answer(d, s, &Policy::default()).unwrap());
                }
            }
        }
        // fate: 0 lost, 1 once, 2 twice, 3 once; then shuffled
        let mut sent: Vec<(u16, Imdn)> = Vec::new();
        let mut got_through: HashMap<(String, String, Disposition), Status> = HashMap::new();
        for (i, n) in wire.into_iter().enumerate() {
            let f = fate[i % fate.len()];
            let copies = match f { 0 => 0, 2 => 2, _ => 1 };
            if copies > 0 {
                let k = n.notification.unwrap();
                got_through.insert((n.message_id.clone(), n.recipient_uri.clone().unwrap(), k.disposition), k.status);
            }
            for c in 0..copies {
                sent.push((order[(i + c) % order.len()], n.clone()));
            }
        }
        sent.sort_by_key(|(k, _)| *k);
        let mut outcomes: HashMap<(String, String, Disposition), Outcome> = HashMap::new();
        let mut finished = 0;
        let drain = |t: &mut Tracker, outcomes: &mut HashMap<_, _>, finished: &mut usize| {
            while let Some(e) = t.poll_event() {
                match e {
                    TrackerEvent::Outcome { message_id, recipient, disposition, outcome } => {
                        let prev = outcomes.insert((message_id, recipient, disposition), outcome);
                        assert!(prev.is_none(), "two outcomes");
                    }
                    TrackerEvent::Finished { .. } => *finished += 1,
                    // a second copy, of an IM still tracked or already finished
                    TrackerEvent::Duplicate { .. } | TrackerEvent::Unsolicited { finished: true, .. } => {}
                    other => panic!("unexpected {other:?}"),
                }
            }
        };
        for (_, n) in &sent {
            tracker.handle_notification(n, t0);
            drain(&mut tracker, &mut outcomes, &mut finished);
        }
        while let Some((at, _)) = tracker.poll_timeout() {
            tracker.handle_timeout(at);
            drain(&mut tracker, &mut outcomes, &mut finished);
        }
        prop_assert_eq!(outcomes.len(), ims * recipients * 2);
        prop_assert_eq!(finished, ims);
        for (k, o) in &outcomes {
            match got_through.get(k) {
                Some(s) => prop_assert_eq!(*o, Outcome::Reported(*s)),
                None => prop_assert_eq!(*o, Outcome::TimedOut),
            }
        }
        prop_assert!(tracker.is_empty() && tracker.poll_timeout().is_none());
    }
}

#[test]
fn precise_errors() {
    let ct = "\r\nContent-Type: text/plain\r\n\r\n";
    let cases: &[(&str, ErrorKind, usize)] = &[
        ("From: <sip:a@x>", ErrorKind::UnexpectedEnd, 15),
        (" From: <sip:a@x>\r\n", ErrorKind::Whitespace, 0),
        ("From:<sip:a@x>\r\n", ErrorKind::MissingSpace, 5),
        ("Fr om: x\r\n", ErrorKind::InvalidHeaderName, 2),
        (": x\r\n", ErrorKind::InvalidHeaderName, 0),
        ("X: a\tb\r\n", ErrorKind::ControlCharacter, 4),
        ("X: a\rb\r\n", ErrorKind::ControlCharacter, 4),
        ("p.X: 1\r\n", ErrorKind::UndeclaredPrefix, 0),
        ("NS: p <urn:a>\r\np.X: 1\r\nq.X: 1\r\n", ErrorKind::UndeclaredPrefix, 23),
        ("Subject:;lang fr\r\n", ErrorKind::InvalidParameter, 8),
        ("Subject:;lang=\"fr x\r\n", ErrorKind::InvalidParameter, 14),
        ("NS: p <>\r\n", ErrorKind::InvalidAddress, 7),
    ];
    for (head, kind, at) in cases {
        let input = if *kind == ErrorKind::UnexpectedEnd {
            head.to_string()
        } else {
            format!("{head}{ct}")
        };
        let e = Cpim::parse(input.as_bytes()).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (*kind, Some(*at)), "{head:?}");
    }
    // invalid UTF-8 in a header, at its byte
    let e = Cpim::parse(b"X: a\xff\r\n\r\nContent-Type: t/p\r\n\r\n").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidUtf8, Some(4)));
    // typed reads point into the value
    let m = Cpim::parse(b"From: Alice sip:a@x\r\nDateTime: yesterday\r\nRequire: a..b\r\n\r\nContent-Type: t/p\r\n\r\n").unwrap();
    let e = m.from().unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidAddress, Some(6)));
    let e = m.date_time().unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidDateTime, Some(31)));
    let e = m.required().unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidRequire, Some(51)));
    // MIME part
    let e = Cpim::parse(b"From: <sip:a@x>\r\n\r\nContent-ID: 1\r\n\r\nx").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::MissingContentType, Some(19)));
    let e = Cpim::parse(b"From: <sip:a@x>\r\n\r\n folded\r\n\r\nx").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidMimeHeader, Some(19)));
    // limits
    let many: String = (0..65).map(|i| format!("X{i}: v\r\n")).collect();
    let e = Cpim::parse(format!("{many}{ct}").as_bytes()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooManyHeaders);
    assert_eq!(e.kind().category(), simple_imdn::Category::Limit);
    assert_eq!(e.status_code(), 413);
    let long = format!("X: {}\r\n{ct}", "v".repeat(20_000));
    let e = Cpim::parse(long.as_bytes()).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::HeadTooLarge, Some(16 * 1024)));
    // Disposition-Notification
    let e = Requested::parse("positive-delivery, ;x=1").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidDispositionNotification, Some(19)));
    assert_eq!(Requested::parse("display;x=1, future-thing").unwrap(), Requested::DISPLAY);
    assert!(Requested::parse("").unwrap().is_empty());
    // documents: the element at fault
    let e = Imdn::parse(b"<imdn xmlns='urn:ietf:params:xml:ns:imdn'><datetime>x</datetime></imdn>")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingElement("message-id"));
    assert_eq!(e.position(), simple_imdn::Position::Element("imdn"));
    let e = Imdn::parse(b"<imdn xmlns='urn:ietf:params:xml:ns:imdn'><message-id>1</message-id><datetime>x</datetime><display-notification><status><delivered/></status></display-notification></imdn>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidValue("status"));
    let e = Imdn::parse(b"<imdn xmlns='urn:ietf:params:xml:ns:imdn'><message-id>1</message-id>")
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Xml(_)) && e.offset().is_some());
    let e = IsComposing::parse(b"<isComposing xmlns='urn:ietf:params:xml:ns:im-iscomposing'><refresh>0</refresh></isComposing>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedElement, "state comes first");
    let e = IsComposing::parse(b"<isComposing xmlns='urn:ietf:params:xml:ns:im-iscomposing'><state>active</state><refresh>0</refresh></isComposing>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidValue("refresh"));
    let e = IsComposing::parse(b"<isComposing xmlns='urn:ietf:params:xml:ns:im-iscomposing'><state>idle</state><refresh>1</refresh><contenttype>t</contenttype></isComposing>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedElement, "out of order");
    // the core namespace is the default one
    let m = Cpim::parse(b"From: <sip:a@x>\r\n\r\nContent-Type: t/p\r\n\r\n").unwrap();
    assert_eq!(m.headers()[0].namespace(), CPIM_HEADERS_NS);
}

/// Found by fuzzing: a folded MIME header whose first line is empty wrote back as a value
/// starting with the line break, which read back with a space before it.
#[test]
fn a_folded_mime_header_with_an_empty_first_line_round_trips() {
    let input = b"From: <sip:a@x>\r\n\r\nContent-Type: t/p\r\nContent-Disposition:\r\n   notification;\r\n x=1\r\n\r\nbody";
    let m = Cpim::parse(input).unwrap();
    assert_eq!(m.mime_header("Content-Disposition"), Some("notification;\r\n x=1"));
    let out = m.to_owned().to_vec();
    assert_eq!(Cpim::parse(&out).unwrap().to_owned(), m.to_owned());
}
