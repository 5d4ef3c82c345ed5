//! Round trips of generated documents, schema validity of what we write, and malformed
//! input.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

mod common;

use common::{strategy, validate, xmllint};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use simple_pidf::{ErrorKind, Presence};

proptest! {
    #![proptest_config(Config::with_cases(512))]

    /// parse(write(x)) == x, and writing is a fixed point.
    #[test]
    fn model_round_trip(p in strategy::presence_with_attributes()) {
        let xml = p.to_vec();
        let back = Presence::parse(&xml).unwrap();
        prop_assert_eq!(&back, &p, "{}", String::from_utf8_lossy(&xml));
        prop_assert_eq!(back.to_vec(), xml);
    }

    /// Arbitrary bytes never panic.
    #[test]
    fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Presence::parse(&b);
        let _ = simple_pidf::partial::PartialBody::parse(&b);
    }

    /// Documents cut anywhere fail with an error, never a panic.
    #[test]
    fn truncated(p in strategy::presence(), cut in any::<prop::sample::Index>()) {
        let xml = p.to_vec();
        let at = cut.index(xml.len());
        let r = Presence::parse(&xml[..at]);
        if at < xml.len() - 1 {
            prop_assert!(r.is_err());
        }
    }
}

#[test]
fn generated_documents_validate() {
    if !xmllint() {
        return;
    }
    let mut runner = TestRunner::new(Config::with_cases(1));
    let strat = strategy::presence();
    let docs: Vec<(String, Vec<u8>)> = (0..200)
        .map(|i| {
            let p = strat.new_tree(&mut runner).unwrap().current();
            (format!("generated #{i}"), p.to_vec())
        })
        .collect();
    let failures = validate(&docs);
    assert!(failures.is_empty(), "{} of 200 invalid, first: {}", failures.len(), failures[0]);
}

#[test]
fn errors_name_what_and_where() {
    let pidf = |body: &str| {
        format!(
            "<presence xmlns='urn:ietf:params:xml:ns:pidf' \
             xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' entity='pres:a@x'>{body}</presence>"
        )
    };
    let cases: &[(&str, ErrorKind, &str)] = &[
        ("<tuple><status/></tuple>", ErrorKind::MissingAttribute("id"), "/presence/tuple"),
        ("<tuple id='a'/>", ErrorKind::MissingElement("status"), "/presence/tuple"),
        (
            "<tuple id='a'><status/></tuple><tuple id='b'><status><basic>half</basic></status></tuple>",
            ErrorKind::InvalidValue("basic"),
            "/presence/tuple[2]/status/basic",
        ),
        (
            "<tuple id='a'><status/><status/></tuple>",
            ErrorKind::UnexpectedElement,
            "/presence/tuple/status[2]",
        ),
        (
            "<tuple id='a'><status/><contact priority='1.5'>sip:a@x</contact></tuple>",
            ErrorKind::InvalidValue("priority"),
            "/presence/tuple/contact",
        ),
        (
            "<tuple id='a'><status/><timestamp>yesterday</timestamp></tuple>",
            ErrorKind::InvalidValue("timestamp"),
            "/presence/tuple/timestamp",
        ),
        (
            "<tuple id='a'><status/></tuple><tuple id='a'><status/></tuple>",
            ErrorKind::DuplicateId,
            "/presence/tuple[2]",
        ),
        (
            "<tuple id='a'><status/></tuple><dm:person id='a'/>",
            ErrorKind::DuplicateId,
            "/presence/person",
        ),
        ("<dm:device id='d'/>", ErrorKind::MissingElement("deviceID"), "/presence/device"),
        ("<dm:person/>", ErrorKind::MissingAttribute("id"), "/presence/person"),
        ("text", ErrorKind::UnexpectedText, "/presence"),
        ("<note><b>bold</b></note>", ErrorKind::InvalidValue("note"), "/presence/note"),
    ];
    for (body, kind, path) in cases {
        let e = Presence::parse(pidf(body).as_bytes()).unwrap_err();
        assert_eq!((e.kind(), e.path()), (*kind, *path), "{body}");
    }
    let e = Presence::parse(b"<presence entity='x'/>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedRoot);
    let e = Presence::parse(b"<presence xmlns='urn:ietf:params:xml:ns:pidf'/>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingAttribute("entity"));
    let e =
        Presence::parse(b"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='x'>").unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Xml(_)));
    // Fuzzing found an element named with the reserved prefix xmlns read as an element (and
    // then written with a declaration of it): refused now, at the element.
    let e = Presence::parse(pidf("<x:a xmlns:x='urn:x'><xmlns:b/></x:a>").as_bytes()).unwrap_err();
    let ErrorKind::Xml(x) = e.kind() else { panic!() };
    assert_eq!(x.kind(), simple_patch::ErrorKind::Xml(simple_patch::XmlErrorKind::ReservedPrefix));
    // An extension element in the xml namespace needs no declaration and gets none.
    let xml = pidf("<x:a xmlns:x='urn:x'><xml:b/></x:a>");
    let p = Presence::parse(xml.as_bytes()).unwrap();
    let out = p.to_vec();
    assert!(!String::from_utf8_lossy(&out).contains("xmlns:xml"));
    assert_eq!(Presence::parse(&out).unwrap(), p);
    // Limits come from simple-patch's ParseConfig.
    let mut config = simple_pidf::ParseConfig::default();
    config.max_depth = 3;
    let deep = pidf("<tuple id='a'><status><basic>open</basic></status></tuple>");
    assert!(matches!(
        Presence::parse_with(deep.as_bytes(), &config).unwrap_err().kind(),
        ErrorKind::Xml(_)
    ));
}

/// Found by fuzzing: an element kept verbatim declaring one of the writer's namespaces
/// without using it had that declaration moved to the root, where the next read no longer
/// saw it as the element's: the second write differed from the first.
#[test]
fn writing_is_a_fixed_point_with_unused_declarations() {
    let xml = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@example.com">
      <tuple id="t"><status/>
        <x:e xmlns:x="urn:x" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
             xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"><rpid:y/></x:e>
      </tuple></presence>"#;
    let p = Presence::parse(xml).unwrap();
    let once = p.to_vec();
    let again = Presence::parse(&once).unwrap();
    assert_eq!(again, p);
    assert_eq!(again.to_vec(), once);
    let text = String::from_utf8(once).unwrap();
    // rpid is used inside, so it is declared on the root; dm is not, so it stays in place
    assert!(
        text.contains(r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:rpid="#),
        "{text}"
    );
    assert!(text.contains(r#"<x:e xmlns:x="urn:x" xmlns:dm="#), "{text}");
}

#[test]
fn inexact_extensions_are_kept_verbatim() {
    // Known elements the typed model cannot hold exactly stay raw, and write back as read.
    let xml = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf"
        xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
        xmlns:r="urn:ietf:params:xml:ns:pidf:rpid"
        xmlns:caps="urn:ietf:params:xml:ns:pidf:caps" entity="pres:a@x">
      <dm:person id="p">
        <r:activities><r:away/><r:note>note after a value</r:note></r:activities>
        <r:mood><r:cheerful/></r:mood>
        <r:time-offset>+60</r:time-offset>
        <r:user-input>maybe</r:user-input>
        <r:class lang="en">x</r:class>
        <caps:servcaps><caps:audio>1</caps:audio></caps:servcaps>
      </dm:person>
    </presence>"#;
    let p = Presence::parse(xml).unwrap();
    let person = p.persons().next().unwrap();
    assert_eq!(person.extensions.len(), 6);
    assert!(person.extensions.iter().all(|e| matches!(e, simple_pidf::Extension::Raw(_))));
    let out = p.to_vec();
    assert_eq!(Presence::parse(&out).unwrap(), p);
    assert!(common::normalized(xml).equivalent(&common::normalized(&out)));
}

#[cfg(feature = "serde")]
proptest! {
    #![proptest_config(Config::with_cases(256))]

    /// The model through serde (JSON here) comes back equal; it writes the same XML.
    #[test]
    fn serde_round_trip(p in strategy::presence_with_attributes()) {
        let json = serde_json::to_string(&p).unwrap();
        let back: Presence = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(back.to_vec(), p.to_vec());
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_shape() {
    let p = Presence::parse(
        br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@example.com">
          <tuple id="t"><status><basic>open</basic><x:y xmlns:x="urn:x">1</x:y></status>
          <timestamp>2026-11-24T10:00:00Z</timestamp></tuple></presence>"#,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::to_value(&p).unwrap();
    assert_eq!(v["entity"], "pres:a@example.com");
    assert_eq!(v["tuples"][0]["status"]["basic"], "Open");
    assert_eq!(v["tuples"][0]["timestamp"], "2026-11-24T10:00:00Z");
    assert_eq!(v["tuples"][0]["status"]["extensions"][0]["Raw"], r#"<x:y xmlns:x="urn:x">1</x:y>"#);
    // Invalid values are refused on the way in.
    let bad = v.to_string().replace("2026-11-24T10:00:00Z", "yesterday");
    assert!(serde_json::from_str::<Presence>(&bad).is_err());
}

/// A timed-status holds extensions of other namespaces, typed; one holding an element of its
/// own namespace it does not define (another timed-status, say: the schema's `##other`) is kept
/// verbatim whole.
#[test]
fn timed_status_children() {
    let doc = |inner: &str| {
        format!(
            "<presence xmlns='urn:ietf:params:xml:ns:pidf' \
             xmlns:ts='urn:ietf:params:xml:ns:pidf:timed-status' \
             xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' entity='pres:a@x'><tuple id='t'><status/>\
             <ts:timed-status from='2026-01-01T00:00:00Z'><ts:basic>closed</ts:basic>{inner}\
             </ts:timed-status></tuple></presence>"
        )
    };
    let p = Presence::parse(doc("<rpid:class>x</rpid:class>").as_bytes()).unwrap();
    let simple_pidf::Extension::TimedStatus(t) = &p.tuples[0].extensions[0] else { panic!() };
    assert_eq!(t.extensions, [simple_pidf::Extension::Class("x".into())]);
    for inner in [
        "<ts:timed-status from='2026-01-01T00:00:00Z'/>",
        "<rpid:class>x</rpid:class><ts:note>late</ts:note>",
    ] {
        let p = Presence::parse(doc(inner).as_bytes()).unwrap();
        assert!(
            matches!(&p.tuples[0].extensions[0], simple_pidf::Extension::Raw(r) if r.local_name() == "timed-status"),
            "{inner}"
        );
        assert_eq!(Presence::parse(&p.to_vec()).unwrap(), p);
    }
}

/// Near-valid documents (generated ones with a few edits): never a panic; what parses writes
/// back to a fixed point that reads equal; what fails says where (an XML error's offset, or
/// the path of the element at fault). Enough parse, and enough fail past the XML layer in the
/// model reader, to show the deep paths run.
#[test]
fn near_valid_documents() {
    let docs = simple_testkit::mutated(strategy::presence().prop_map(|p| p.to_vec()));
    let tally = simple_testkit::run(512, docs, |bytes, tally| match Presence::parse(&bytes) {
        Ok(p) => {
            tally.count(None);
            let xml = p.to_vec();
            let back = Presence::parse(&xml).expect("what we write reads");
            assert_eq!(back, p, "{}", String::from_utf8_lossy(&bytes));
            assert_eq!(back.to_vec(), xml, "writing is a fixed point");
        }
        Err(e) => match e.kind() {
            ErrorKind::Xml(x) => tally.count(Some(x.offset())),
            _ => {
                assert!(e.path().starts_with('/'), "{e}");
                tally.count(Some(Some(usize::MAX))); // the model reader found it: deep
            }
        },
    });
    tally.assert_deep(2, 20);
}
