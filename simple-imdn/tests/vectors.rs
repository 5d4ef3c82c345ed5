//! Every RFC 3862, 3994 and 5438 example of `tests/vectors` (and the CPIM bodies of RFC
//! 5547 and RFC 7701), each read as the manifest describes it, with exact expectations.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

mod common;

use std::path::Path;

use simple_imdn::ErrorKind;
use simple_imdn::cpim::{CPIM_HEADERS_NS, Cpim, ParseConfig};
use simple_imdn::imdn::{self, Disposition, IMDN_NS, Imdn, ImdnHeaders, Requested, Status};
use simple_imdn::iscomposing::{ComposingState, IsComposing};

fn vector(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn manifest() -> Vec<(String, String)> {
    let m = String::from_utf8(vector("manifest.tsv")).unwrap();
    m.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].trim_start_matches("examples/").to_owned(), f[3].to_owned())
        })
        .collect()
}

/// A header-block fragment made a whole message.
fn whole(fragment: &[u8]) -> Vec<u8> {
    let mut m = fragment.to_vec();
    m.extend_from_slice(b"\r\nContent-Type: text/plain\r\n\r\n");
    m
}

/// After the first blank line (the outer MIME headers removed).
fn after_blank(m: &[u8]) -> &[u8] {
    let at = m.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &m[at + 4..]
}

#[test]
fn every_vector_file_is_in_the_manifest_and_read_here() {
    let listed: Vec<String> = manifest().into_iter().map(|(f, _)| f).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    for sub in ["rfc3862", "rfc3994", "rfc5438", "rfc5547", "rfc7701", "xsd"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = format!("{sub}/{}", e.unwrap().file_name().to_string_lossy());
            assert!(listed.contains(&name), "{name} has no manifest line");
        }
    }
    assert_eq!(listed.len(), 41);
}

#[test]
fn rfc3862_header_fragments() {
    let mut read = 0;
    for (file, kind) in manifest() {
        if kind != "cpim-headers" {
            continue;
        }
        let input = whole(&vector(&file));
        let parsed = Cpim::parse(&input);
        // §3.5 names a prefix its fragment never declares
        if file == "rfc3862/rfc3862-sec3.5-cpim-headers.cpim" {
            let e = parsed.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UndeclaredPrefix);
            assert_eq!(e.offset(), Some(40), "the second line");
            read += 1;
            continue;
        }
        let m = parsed.unwrap_or_else(|e| panic!("{file}: {e}"));
        // written back byte for byte
        assert_eq!(m.to_owned().to_vec(), input, "{file}");
        match file.as_str() {
            "rfc3862/rfc3862-sec2.2-cpim-headers.cpim" => {
                let to = m.to().unwrap();
                assert_eq!(to[0].name.as_deref(), Some("Pooh Bear"));
                assert_eq!(to[0].uri, "im:pooh@100akerwood.com");
                let from = m.from().unwrap().unwrap();
                assert_eq!((from.name, from.uri.as_ref()), (None, "im:piglet@100akerwood.com"));
                let dt = m.date_time().unwrap().unwrap();
                assert_eq!(dt.as_str(), "2001-02-02T10:48:54-05:00");
            }
            "rfc3862/rfc3862-sec3.3-cpim-headers.cpim"
            | "rfc3862/rfc3862-sec4.5-cpim-headers.cpim" => {
                let s = m.subjects().next().unwrap();
                let (text, lang) = if file.contains("sec3.3") {
                    ("Objet de message", "fr")
                } else {
                    ("Eeyore's feeling very depressed today", "en")
                };
                assert_eq!((s.text.as_ref(), s.lang.as_deref()), (text, Some(lang)));
                assert_eq!(m.headers()[0].params(), format!(";lang={lang}"));
            }
            "rfc3862/rfc3862-sec3.4-cpim-headers-2.cpim"
            | "rfc3862/rfc3862-sec3.4-cpim-headers-3.cpim"
            | "rfc3862/rfc3862-sec3.4-cpim-headers-4.cpim" => {
                // three spellings, one meaning (§3.4)
                let h = m.header("http://id.acme.widgets/wily-headers/", "runner-trap").unwrap();
                assert_eq!(h.value(), "set");
                assert_eq!(h.prefix().is_none(), file.ends_with("-4.cpim"));
            }
            "rfc3862/rfc3862-sec3.4-cpim-headers.cpim" => {
                let h = m.header("mid:MessageFeatures@id.foo.com", "WackyMessageOption").unwrap();
                assert_eq!((h.prefix(), h.value()), (Some("MyFeatures"), "Use-silly-font"));
            }
            "rfc3862/rfc3862-sec3.5-cpim-headers-2.cpim"
            | "rfc3862/rfc3862-sec4.7-cpim-headers.cpim" => {
                // the Require names an undeclared prefix: reading it fails at the name
                let e = m.required().unwrap_err();
                assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidRequire, Some(9)));
            }
            "rfc3862/rfc3862-sec4.1-cpim-headers.cpim"
            | "rfc3862/rfc3862-sec4.1-cpim-headers-2.cpim" => {
                let f = m.from().unwrap().unwrap();
                let named = file.ends_with("headers.cpim");
                assert_eq!(f.name.as_deref(), named.then_some("Winnie the Pooh"));
                assert!(f.uri.starts_with("im:"));
            }
            "rfc3862/rfc3862-sec4.2-cpim-headers.cpim"
            | "rfc3862/rfc3862-sec4.2-cpim-headers-2.cpim" => {
                assert_eq!(m.to().unwrap().len(), 1);
            }
            "rfc3862/rfc3862-sec4.3-cpim-headers.cpim"
            | "rfc3862/rfc3862-sec4.3-cpim-headers-2.cpim" => {
                assert_eq!(m.cc().unwrap().len(), 1);
                assert!(m.to().unwrap().is_empty());
            }
            "rfc3862/rfc3862-sec4.4-cpim-headers.cpim" => {
                let dt = m.date_time().unwrap().unwrap();
                let utc = simple_pidf::DateTime::parse("2001-02-01T17:16:49Z").unwrap();
                assert_eq!(dt.cmp_instant(&utc), core::cmp::Ordering::Equal);
            }
            "rfc3862/rfc3862-sec4.6-cpim-headers.cpim" => {
                let h = m.header("mid:MessageFeatures@id.foo.com", "MyHeader").unwrap();
                assert_eq!(h.value(), "private-extension-data");
            }
            other => panic!("{other} is not expected here"),
        }
        read += 1;
    }
    assert_eq!(read, 18);
}

#[test]
fn rfc3862_section5_messages() {
    let input = vector("rfc3862/rfc3862-sec5.1-message.cpim");
    assert!(input.starts_with(b"Content-type: Message/CPIM\r\n\r\n"));
    let body = after_blank(&input);
    let m = Cpim::parse(body).unwrap();
    assert_eq!(m.headers().len(), 9);
    let subjects: Vec<_> = m.subjects().map(|s| (s.text.into_owned(), s.lang)).collect();
    assert_eq!(subjects[0], ("the weather will be fine today".to_owned(), None));
    assert_eq!(subjects[1].1.as_deref(), Some("fr"));
    let vital = ("mid:MessageFeatures@id.foo.com", "VitalMessageOption");
    assert_eq!(m.required().unwrap(), vec![vital]);
    assert_eq!(m.unknown_required(&[]).unwrap(), Some(vital));
    assert_eq!(m.unknown_required(&[vital]).unwrap(), None);
    assert_eq!(m.content_type(), "text/xml; charset=utf-8");
    assert_eq!(m.media_type(), "text/xml");
    assert_eq!(m.mime_header("content-id"), Some("<1234567890@foo.com>"));
    assert_eq!(m.content(), b"<body>\r\nHere is the text of my message.\r\n</body>\r\n");
    assert_eq!(m.to_owned().to_vec(), body);

    // §5.2: the same message inside multipart/signed
    let signed = vector("rfc3862/rfc3862-sec5.2-message.cpim");
    let parts = simple_sip::multipart::Multipart::parse(after_blank(&signed), "next").unwrap();
    let first = parts.parts().next().unwrap();
    let ct = first.header_str("Content-Type").unwrap();
    assert_eq!(ct.value(), b"Message/CPIM");
    let inner = Cpim::parse(first.body()).unwrap();
    assert_eq!(inner.to().unwrap()[0].name.as_deref(), Some("Dopey Donkey"));
    assert_eq!(inner.content(), m.content().strip_suffix(b"\r\n").unwrap());
}

#[test]
fn rfc5438_messages_without_the_blank_line() {
    // §7.1.1.3: an IM asking for delivery notifications
    let input = vector("rfc5438/rfc5438-sec7.1.1.3-cpim.cpim");
    let mut strict = ParseConfig::default();
    strict.lenient_separator = false;
    let e = Cpim::parse_with(&input, &strict).unwrap_err();
    let hello = input.windows(5).position(|w| w == b"Hello").unwrap();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidMimeHeader, Some(hello)));
    let m = Cpim::parse(&input).unwrap();
    let h = ImdnHeaders::read(&m).unwrap();
    assert_eq!(h.message_id, Some("34jk324j"));
    assert_eq!(h.datetime, Some("2006-04-04T12:16:49-05:00"));
    assert_eq!(h.requested, Requested::POSITIVE_DELIVERY.with(Requested::NEGATIVE_DELIVERY));
    assert!(!h.is_notification);
    assert_eq!(m.mime_header("Content-length"), Some("12"));
    assert_eq!(m.content(), b"Hello World\r\n");

    for (file, disposition, status) in [
        ("rfc5438/rfc5438-sec7.2.1.1-cpim", Disposition::Delivery, Status::Delivered),
        ("rfc5438/rfc5438-sec7.2.1.2-cpim", Disposition::Display, Status::Displayed),
        ("rfc5438/rfc5438-sec8.1-cpim", Disposition::Processing, Status::Processed),
    ] {
        let input = vector(&format!("{file}.cpim"));
        let m = Cpim::parse(&input).unwrap();
        let h = ImdnHeaders::read(&m).unwrap();
        assert!(h.is_notification, "{file}");
        assert!(simple_imdn::recipient::is_notification(&m));
        let got = imdn::notifications(&m).unwrap();
        let body = Imdn::parse(&vector(&format!("{file}.body-imdn.xml"))).unwrap();
        assert_eq!(got, vec![body.clone()], "{file}");
        let n = body.notification.unwrap();
        assert_eq!((n.disposition, n.status), (disposition, status));
        assert_eq!(body.message_id, "34jk324j");
        assert_eq!(body.datetime, "2008-04-04T12:16:49-05:00");
        assert_eq!(body.recipient_uri.as_deref(), Some("im:bob@example.com"));
        assert_eq!(body.original_recipient_uri.as_deref(), Some("im:bob@example.com"));
        // §8.1's example has no IMDN headers at all; the others name the notification
        let id = m.header(IMDN_NS, "Message-ID").map(|h| h.value());
        assert_eq!(id.is_some(), !file.contains("8.1"));
    }
}

#[test]
fn rfc5438_documents_and_the_aggregate() {
    let a = vector("rfc5438/rfc5438-sec8.3-imdn.xml");
    let b = vector("rfc5438/rfc5438-sec8.3-imdn-2.xml");
    let (da, db) = (Imdn::parse(&a).unwrap(), Imdn::parse(&b).unwrap());
    assert_eq!(da.notification.unwrap().disposition, Disposition::Delivery);
    assert_eq!(db.notification.unwrap().status, Status::Displayed);
    // written back, they read the same
    for d in [&da, &db] {
        assert_eq!(&Imdn::parse(&d.to_vec()).unwrap(), d);
    }
    // the §8.3 aggregate: multipart/mixed of both, in a CPIM notification
    let mut body = Vec::new();
    let ct = imdn::write_aggregate(&[a, b], "imdn-boundary", &mut body);
    let wrapper = imdn::notification_message(
        "im:bob@example.com",
        "im:alice@example.com",
        "d834jied93rf",
        &[],
        &ct,
        &body,
    );
    let bytes = wrapper.to_vec();
    let m = Cpim::parse(&bytes).unwrap();
    assert!(ImdnHeaders::read(&m).unwrap().is_notification);
    assert_eq!(imdn::notifications(&m).unwrap(), vec![da, db]);
    // the grammar is not an IMDN
    let e = Imdn::parse(&vector("rfc5438/rfc5438-sec11.1.9-grammar.xml")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedRoot);
}

#[test]
fn rfc3994_documents() {
    let a = IsComposing::parse(&vector("rfc3994/rfc3994-sec5-isComposing.xml")).unwrap();
    assert_eq!(a.state, ComposingState::Active);
    assert_eq!((a.content_type.as_deref(), a.refresh), (Some("text/plain"), Some(90)));
    let b = IsComposing::parse(&vector("rfc3994/rfc3994-sec5-isComposing-2.xml")).unwrap();
    assert_eq!(b.state, ComposingState::Idle);
    assert_eq!(b.last_active.as_ref().map(|d| d.as_str()), Some("2003-01-27T10:43:00Z"));
    assert_eq!((b.content_type.as_deref(), b.refresh), (Some("audio"), None));
    for d in [&a, &b] {
        assert_eq!(&IsComposing::parse(&d.to_vec()).unwrap(), d);
    }
    let e = IsComposing::parse(&vector("rfc3994/rfc3994-sec8.2-html.xml")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedRoot);
    // the schema printed in §6.1 is the one the tests validate against
    assert_eq!(vector("rfc3994/rfc3994-sec6.1-schema.xsd"), vector("xsd/im-iscomposing.xsd"));
}

#[test]
fn cpim_bodies_of_rfc5547_and_rfc7701() {
    let m5547 = vector("rfc5547/rfc5547-sec9.2-F4-SEND.body.cpim");
    let m = Cpim::parse(&m5547).unwrap();
    assert_eq!(m.from().unwrap().unwrap().uri, "sip:alice@example.com");
    assert_eq!(m.media_type(), "image/jpeg");
    let cd = m.mime_header("Content-Disposition").unwrap();
    assert!(cd.starts_with("render; filename=\"My cool photo.jpg\";"));
    assert!(cd.ends_with("size=1931"), "the folded lines are one value: {cd}");
    assert_eq!(m.content(), b"...binary JPEG image...\r\n");
    for f in [
        "rfc7701/rfc7701-sec9.3-F1-SEND.body.cpim",
        "rfc7701/rfc7701-sec9.3-F3-SEND.body.cpim",
        "rfc7701/rfc7701-sec9.4-SEND.body.cpim",
        "rfc7701/rfc7701-sec9.4-SEND-2.body.cpim",
    ] {
        let input = vector(f);
        let m = Cpim::parse(&input).unwrap();
        assert!(m.to().unwrap()[0].uri.starts_with("sip:"));
        assert_eq!(m.date_time().unwrap().unwrap().as_str(), "2009-03-02T15:02:31-03:00");
        assert_eq!(m.media_type(), "text/plain");
        assert!(m.header(CPIM_HEADERS_NS, "Content-Type").is_none());
        assert!(m.content().starts_with(b"Hello"));
    }
}

#[test]
fn written_documents_are_schema_valid() {
    if !common::xmllint() {
        return;
    }
    let mut imdns = Vec::new();
    for d in Disposition::ALL {
        for s in Status::ALL {
            if !s.fits(d) {
                continue;
            }
            let mut i =
                Imdn::new("34jk324j", "2008-04-04T12:16:49-05:00", imdn::Notification::new(d, s));
            if imdns.len() % 2 == 0 {
                i.recipient_uri = Some("im:bob@example.com".into());
                i.subject = Some("weather <&> news".into());
            }
            imdns.push((format!("{d:?}/{s:?}"), i.to_vec()));
        }
    }
    for f in ["rfc5438-sec8.3-imdn.xml", "rfc5438-sec8.3-imdn-2.xml"] {
        let d = Imdn::parse(&vector(&format!("rfc5438/{f}"))).unwrap();
        imdns.push((f.to_owned(), d.to_vec()));
    }
    assert_eq!(imdns.len(), 13);
    let bad = common::validate("imdn.rng", &imdns);
    assert!(bad.is_empty(), "{bad:#?}");
    let mut docs = Vec::new();
    for f in ["rfc3994-sec5-isComposing.xml", "rfc3994-sec5-isComposing-2.xml"] {
        let d = IsComposing::parse(&vector(&format!("rfc3994/{f}"))).unwrap();
        docs.push((f.to_owned(), d.to_vec()));
    }
    let mut c = IsComposing::new(ComposingState::Active);
    c.refresh = Some(60);
    c.content_type = Some("text/html".into());
    c.last_active = simple_pidf::DateTime::parse("2026-12-03T10:00:00Z");
    docs.push(("built".to_owned(), c.to_vec()));
    let bad = common::validate("im-iscomposing.xsd", &docs);
    assert!(bad.is_empty(), "{bad:#?}");
}
