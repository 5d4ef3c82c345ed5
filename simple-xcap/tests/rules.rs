//! pres-rules evaluation and transformations (RFC 5025, RFC 4745) on the RFC examples, and
//! xcap-diff documents (RFC 5874, RFC 5875).

mod common;

use common::{put, server, vector};
use simple_pidf::{DateTime, Presence};
use simple_xcap::{
    Context, DiffEntry, DiffProcessing, Ruleset, SubHandling, XCAP_EL_MIME, XcapDiff, apply_patch,
};

fn at(s: &str) -> DateTime {
    DateTime::parse(s).expect("a dateTime")
}

#[test]
fn rfc5025_example_allows_its_user_and_shapes_the_document() {
    let rules = Ruleset::parse(&vector("rfc5025/rfc5025-sec6-ruleset.xml")).unwrap();
    let now = at("2026-12-02T10:00:00Z");
    let p = rules.evaluate(&Context::new(Some("sip:user@example.com"), &now));
    assert_eq!(p.sub_handling, SubHandling::Allow);
    assert_eq!(p.rules, ["a"]);
    // anyone else gets nothing: block, the default
    let other = rules.evaluate(&Context::new(Some("sip:eve@example.com"), &now));
    assert_eq!(other.sub_handling, SubHandling::Block);
    assert!(other.apply(&Presence::new("pres:x@example.com")).is_none());

    let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
  xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="pres:someone@example.com">
 <tuple id="sip"><status><basic>open</basic></status><contact>sip:someone@example.com</contact></tuple>
 <tuple id="xmpp"><status><basic>open</basic></status><contact>xmpp:someone@example.com</contact></tuple>
 <tuple id="mail"><status><basic>open</basic></status><contact>mailto:someone@example.com</contact></tuple>
 <dm:person id="p1"><rpid:activities><rpid:meeting/></rpid:activities><rpid:mood><rpid:happy/></rpid:mood>
  <dm:note>secret</dm:note></dm:person>
 <dm:device id="d1"><dm:deviceID>urn:x-mac:0003ba4811e3</dm:deviceID></dm:device>
</presence>"#;
    let presence = Presence::parse(doc).unwrap();
    let seen = p.apply(&presence).unwrap();
    let ids: Vec<&str> = seen.tuples.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["sip", "mail"], "service-uri-scheme sip and mailto");
    let person = seen.person("p1").unwrap();
    assert_eq!(person.extensions.len(), 1, "activities granted, mood not: {person:?}");
    assert!(person.notes.is_empty(), "provide-note not granted");
    assert!(seen.devices().next().is_none(), "no provide-devices");
}

#[test]
fn rfc4745_identity_sphere_and_validity() {
    let rules = Ruleset::parse(&vector("rfc4745/rfc4745-sec7.1.3.2-ruleset.xml")).unwrap();
    let inside = at("2003-12-24T17:30:00+01:00");
    let after = at("2003-12-24T19:30:00+01:00");
    let work = |w: &'static str, now: &'static DateTime| {
        let mut cx = Context::new(Some(w), now);
        cx.sphere = Some("work");
        cx
    };
    let inside: &'static DateTime = Box::leak(Box::new(inside));
    let after: &'static DateTime = Box::leak(Box::new(after));
    assert_eq!(rules.evaluate(&work("sip:carol@other.example.net", inside)).rules, ["f3g44r1"]);
    assert!(
        rules.evaluate(&work("sip:carol@example.com", inside)).rules.is_empty(),
        "excepted domain"
    );
    assert!(
        rules.evaluate(&work("sip:bob@good.example.net", inside)).rules.is_empty(),
        "excepted id"
    );
    assert!(
        rules.evaluate(&work("sip:carol@other.example.net", after)).rules.is_empty(),
        "expired"
    );
    let mut home = work("sip:carol@other.example.net", inside);
    home.sphere = Some("home");
    assert!(rules.evaluate(&home).rules.is_empty(), "other sphere");
    assert!(rules.evaluate(&Context::new(None, inside)).rules.is_empty(), "anonymous");
}

#[test]
fn combination_takes_the_most_permissive_value() {
    let doc = br#"<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
  xmlns:ocp="urn:oma:xml:xdm:common-policy">
 <cr:rule id="all"><cr:conditions><cr:identity><cr:many/></cr:identity></cr:conditions>
  <cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions></cr:rule>
 <cr:rule id="bob"><cr:conditions><cr:identity><cr:one id="sip:bob@example.com"/></cr:identity></cr:conditions>
  <cr:actions><pr:sub-handling>polite-block</pr:sub-handling></cr:actions></cr:rule>
 <cr:rule id="others"><cr:conditions><ocp:other-identity/></cr:conditions>
  <cr:actions><pr:sub-handling>block</pr:sub-handling></cr:actions></cr:rule>
 <cr:rule id="anon"><cr:conditions><ocp:anonymous-request/></cr:conditions>
  <cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions></cr:rule>
 <cr:rule id="unknown"><cr:conditions><x:odd xmlns:x="urn:x"/></cr:conditions>
  <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>
</cr:ruleset>"#;
    let rules = Ruleset::parse(doc).unwrap();
    let now = at("2026-01-01T00:00:00Z");
    let bob = rules.evaluate(&Context::new(Some("sip:bob@EXAMPLE.com"), &now));
    assert_eq!((bob.sub_handling, bob.rules.len()), (SubHandling::PoliteBlock, 2));
    let polite = bob.apply(&Presence::new("pres:alice@example.com")).unwrap();
    assert_eq!(polite.tuples[0].status.basic, Some(simple_pidf::Basic::Closed));
    let anon = rules.evaluate(&Context::new(None, &now));
    assert_eq!(anon.rules, ["anon"]);
    assert_eq!(anon.sub_handling, SubHandling::Confirm);
}

#[test]
fn xcap_diff_examples_read_and_write_back() {
    let names = [
        "rfc5874/rfc5874-sec5-xcap-diff.xml",
        "rfc5874/rfc5874-secA.1-xcap-diff.xml",
        "rfc5874/rfc5874-secA.1-xcap-diff-2.xml",
        "rfc5874/rfc5874-secA.1-xcap-diff-3.xml",
        "rfc5874/rfc5874-secA.1-xcap-diff-4.xml",
        "rfc5874/rfc5874-secA.2-xcap-diff.xml",
        "rfc5874/rfc5874-secA.2-xcap-diff-2.xml",
        "rfc5874/rfc5874-secA.3-xcap-diff.xml",
        "rfc5874/rfc5874-secA.3-xcap-diff-2.xml",
        "rfc5875/rfc5875-sec5-xcap-diff.xml",
        "rfc5875/rfc5875-secA.2-NOTIFY.body-xcap-diff.xml",
        "rfc5875/rfc5875-secA.3-NOTIFY.body-xcap-diff.xml",
        "rfc5875/rfc5875-secA.4-NOTIFY.body-xcap-diff.xml",
        "rfc5875/rfc5875-secA.4-NOTIFY-2.body-xcap-diff.xml",
        "rfc5875/rfc5875-secA.4-NOTIFY-3.body-xcap-diff.xml",
        "rfc5875/rfc5875-secA.5-NOTIFY.body-xcap-diff.xml",
        "rfc5875/rfc5875-secA.5-NOTIFY-2.body-xcap-diff.xml",
        "rfc5875/rfc5875-secA.5-NOTIFY-3.body-xcap-diff.xml",
        "rfc5875/rfc5875-secA.6-NOTIFY.body-xcap-diff.xml",
    ];
    let mut written = Vec::new();
    for name in names {
        let d = XcapDiff::parse(&vector(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!d.xcap_root.is_empty(), "{name}");
        let again = XcapDiff::parse(&d.to_vec()).unwrap();
        assert_eq!(again, d, "{name}");
        written.push((name.to_owned(), d.to_vec()));
    }
    // RFC 5874 A.2: the three adds in sequence turn doc into the final document
    let d = XcapDiff::parse(&vector("rfc5874/rfc5874-secA.2-xcap-diff-2.xml")).unwrap();
    let mut doc = simple_patch::Document::from_str("<doc>\n</doc>").unwrap();
    for e in &d.entries {
        let DiffEntry::Document { patch: Some(p), .. } = e else { panic!() };
        apply_patch(p, &mut doc).unwrap();
    }
    let text = doc.to_string();
    assert!(text.contains("<foo>this is a new element</foo><bar>"), "{text}");
    if common::xmllint() {
        let failures = common::validate(&written);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

/// The server's changes as xcap-diff, applied by a client to its copy, give the server's
/// document (every mode).
#[test]
fn server_changes_keep_a_client_copy_current() {
    let bill = Some("sip:bill@example.com");
    let uri = "/resource-lists/users/sip:bill@example.com/index";
    for mode in [DiffProcessing::XcapPatching, DiffProcessing::Aggregate] {
        let mut s = server();
        let first = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n <list name=\"a\">\n </list>\n</resource-lists>";
        assert_eq!(
            s.handle(&put(uri, "application/resource-lists+xml", first), bill).status(),
            201
        );
        let mut copy = simple_patch::Document::from_str(first).unwrap();
        s.poll_change();
        let ops = [
            ("resource-lists/list/entry%5b@uri=%22sip:x@y%22%5d", "<entry uri=\"sip:x@y\"/>"),
            (
                "resource-lists/list/entry%5b@uri=%22sip:z@y%22%5d",
                "<entry uri=\"sip:z@y\"><display-name>Z</display-name></entry>",
            ),
            ("resource-lists/list%5b@name=%22b%22%5d", "<list name=\"b\"/>"),
            ("resource-lists/list%5b1%5d/entry%5b1%5d", "<entry uri=\"sip:w@y\"/>"),
        ];
        for (sel, body) in ops {
            let r = s.handle(&put(&format!("{uri}/~~/{sel}"), XCAP_EL_MIME, body), bill);
            assert!(r.status().is_success(), "{sel}: {:?}", String::from_utf8_lossy(r.body()));
        }
        let r = s.handle(
            &put(
                &format!("{uri}/~~/resource-lists/list%5b1%5d/@name"),
                "application/xcap-att+xml",
                "\"friends\"",
            ),
            bill,
        );
        assert_eq!(r.status(), 200);
        let r = s.handle(
            &common::delete(&format!("{uri}/~~/resource-lists/list%5b@name=%22b%22%5d")),
            bill,
        );
        assert_eq!(r.status(), 200);
        let mut diff = XcapDiff::new("http://xcap.example.com/");
        while let Some(c) = s.poll_change() {
            diff.push_change(&c, simple_xcap::RESOURCE_LISTS_NS, mode);
        }
        let read = XcapDiff::parse(&diff.to_vec()).unwrap();
        for e in &read.entries {
            let DiffEntry::Document { patch: Some(p), .. } = e else { panic!("{e:?}") };
            apply_patch(p, &mut copy).unwrap_or_else(|e| panic!("{p}: {e}"));
        }
        let server_doc = s.handle(&common::get(uri), bill).into_body();
        assert_eq!(copy.to_string(), String::from_utf8_lossy(&server_doc), "{mode:?}");
        if mode == DiffProcessing::Aggregate {
            assert_eq!(read.entries.len(), 1);
        }
    }
}
