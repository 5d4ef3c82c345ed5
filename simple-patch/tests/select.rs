//! Selectors: RFC 4825 §6.3/§6.4 examples, RFC 5261 namespace rules (§4.2.1), syntax errors
//! with offsets, and write/parse round trips.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use proptest::prelude::*;
use simple_patch::{
    Document, Error, ErrorKind, Located, NameTest, Namespaces, NodeSelector, Position, Predicate,
    QName, SelectErrorKind, Selector, SelectorErrorKind as K, Step, Terminal, XcapStep,
    XcapTerminal,
};

/// What a selection that must fail failed with, and where.
fn fails<T: core::fmt::Debug>(r: Result<T, Error>) -> (ErrorKind, Position) {
    let e = r.unwrap_err();
    (e.kind(), e.position())
}

const WATCHERINFO: &str = r#"<?xml version="1.0"?>
<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo"
             version="0" state="full">
  <watcher-list resource="sip:professor@example.net"
                package="presence">
    <watcher status="active"
             id="8ajksjda7s"
             duration-subscribed="509"
             event="approved">sip:userA@example.net</watcher>
    <watcher status="pending"
             id="hh8juja87s997-ass7"
             display-name="Mr. Subscriber"
             event="subscribe">sip:userB@example.org</watcher>
  </watcher-list>
</watcherinfo>"#;

/// RFC 4825 §6.3, Figure 3.
#[test]
fn xcap_figure_3() {
    let doc = Document::from_str(WATCHERINFO).unwrap();
    let ns = Namespaces::new().with_default("urn:ietf:params:xml:ns:watcherinfo");
    let sel = NodeSelector::parse(r#"watcherinfo/watcher-list/watcher[@id="8ajksjda7s"]"#).unwrap();
    let Located::Node(n) = sel.select(&doc, &ns).unwrap() else { panic!() };
    assert_eq!(doc.string_value(n), "sip:userA@example.net");
    // by position, by position and attribute, wildcard, attribute and namespace terminals
    let second = NodeSelector::parse("watcherinfo/watcher-list/watcher[2]").unwrap();
    let Located::Node(m) = second.select(&doc, &ns).unwrap() else { panic!() };
    assert_eq!(doc.attribute(m, None, "status"), Some("pending"));
    let pa = NodeSelector::parse("*/*/watcher[2][@status=\"pending\"]/@display-name").unwrap();
    let Located::Attribute { element, index } = pa.select(&doc, &ns).unwrap() else { panic!() };
    assert_eq!(doc.element(element).unwrap().attributes[index].value, "Mr. Subscriber");
    let nsel = NodeSelector::parse("watcherinfo/namespace::*").unwrap();
    assert!(matches!(nsel.select(&doc, &ns).unwrap(), Located::Namespaces(_)));
    // each step must be unique and must exist; the failing step is named
    let many = NodeSelector::parse("watcherinfo/watcher-list/watcher").unwrap();
    assert_eq!(
        fails(many.select(&doc, &ns)),
        (ErrorKind::Select(SelectErrorKind::Ambiguous), Position::Step(2))
    );
    let none = NodeSelector::parse("watcherinfo/watcher-list/watcher[3]").unwrap();
    assert_eq!(
        fails(none.select(&doc, &ns)),
        (ErrorKind::Select(SelectErrorKind::NoMatch), Position::Step(2))
    );
    let attr = NodeSelector::parse("watcherinfo/@missing").unwrap();
    assert_eq!(
        fails(attr.select(&doc, &ns)),
        (ErrorKind::Select(SelectErrorKind::NoMatch), Position::Step(1))
    );
    // without the default document namespace nothing matches
    assert_eq!(
        fails(sel.select(&doc, &Namespaces::new())),
        (ErrorKind::Select(SelectErrorKind::NoMatch), Position::Step(0))
    );
    // an attribute test is never satisfied by a namespace declaration
    let x =
        NodeSelector::parse(r#"watcherinfo[@xmlns="urn:ietf:params:xml:ns:watcherinfo"]"#).unwrap();
    assert_eq!(
        fails(x.select(&doc, &ns)),
        (ErrorKind::Select(SelectErrorKind::NoMatch), Position::Step(0))
    );
}

/// RFC 4825 §6.4: prefixes come from the URI's xmlns() bindings, not the document's.
#[test]
fn xcap_section_6_4_namespaces() {
    let doc = Document::from_str(
        r#"<?xml version="1.0"?>
<foo xmlns="urn:test:default-namespace">
  <ns1:bar xmlns:ns1="urn:test:namespace1-uri"
           xmlns="urn:test:namespace1-uri">
    <baz/>
    <ns2:baz xmlns:ns2="urn:test:namespace2-uri"/>
  </ns1:bar>
  <ns3:hi xmlns:ns3="urn:test:namespace3-uri">
    <there/>
  </ns3:hi>
</foo>"#,
    )
    .unwrap();
    let sel = NodeSelector::parse("foo/a:bar/b:baz").unwrap();
    let base = Namespaces::new().with_default("urn:test:default-namespace");
    let first =
        base.clone().bind("a", "urn:test:namespace1-uri").bind("b", "urn:test:namespace1-uri");
    let second =
        base.clone().bind("a", "urn:test:namespace1-uri").bind("b", "urn:test:namespace2-uri");
    let Located::Node(n1) = sel.select(&doc, &first).unwrap() else { panic!() };
    let Located::Node(n2) = sel.select(&doc, &second).unwrap() else { panic!() };
    assert_eq!(doc.name(n1).unwrap().to_string(), "baz");
    assert_eq!(doc.name(n2).unwrap().to_string(), "ns2:baz");
    // "foo/a:bar/b:baz[2]" is not a match: baz children are counted by expanded name
    let third = NodeSelector::parse("foo/a:bar/*[2]").unwrap();
    assert_eq!(third.select(&doc, &first).unwrap(), Located::Node(n2));
    let unbound = NodeSelector::parse("foo/c:bar").unwrap();
    assert_eq!(
        fails(unbound.select(&doc, &base)),
        (ErrorKind::Select(SelectErrorKind::UnboundPrefix), Position::Step(1))
    );
}

/// RFC 5261 §4.2.1: unprefixed names take the diff's default namespace, else none.
#[test]
fn rfc5261_namespace_rules() {
    let doc =
        Document::from_str(r#"<r><bar/><x:bar xmlns:x="foo:"/><bar xmlns="foo:"><y/></bar></r>"#)
            .unwrap();
    let plain = Selector::parse("r/bar").unwrap();
    let in_foo = Namespaces::new().with_default("foo:");
    // without a default namespace, "bar" is only the unqualified one
    let Located::Node(n) = plain.select(&doc, &Namespaces::new()).unwrap() else { panic!() };
    assert_eq!(doc.namespace(n), None);
    // with xmlns='foo:' in the diff, "bar" means {foo:}bar: two of them
    let r = Selector::parse("*/bar").unwrap().select(&doc, &in_foo);
    assert_eq!(fails(r), (ErrorKind::Select(SelectErrorKind::Ambiguous), Position::Step(1)));
    let a = Namespaces::new().bind("a", "foo:");
    let Located::Node(m) = Selector::parse("r/a:bar[2]/a:y").unwrap().select(&doc, &a).unwrap()
    else {
        panic!()
    };
    assert_eq!(doc.name(m).unwrap().to_string(), "y");
}

#[test]
fn rfc5261_predicates_and_terminals() {
    let doc = Document::from_str(
        r#"<doc><e a="1"><n>x</n>t1<!--c1-->t2<?p d?><?q e?></e><e a="2" xml:id="two">v</e></doc>"#,
    )
    .unwrap();
    let ns = Namespaces::new();
    let node = |s: &str| match Selector::parse(s).unwrap().select(&doc, &ns) {
        Ok(Located::Node(n)) => doc.node_to_string(n),
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(node("doc/e[n='x']/text()[2]"), "t2");
    assert_eq!(node("doc/e[.='v']"), r#"<e a="2" xml:id="two">v</e>"#);
    assert_eq!(node("id('two')"), r#"<e a="2" xml:id="two">v</e>"#);
    assert_eq!(node("id(\"two\")/text()"), "v");
    assert_eq!(node("/doc/*[@a='1']/comment()"), "<!--c1-->");
    assert_eq!(node("doc/e[1]/processing-instruction('q')"), "<?q e?>");
    assert_eq!(node("doc/e[1]/processing-instruction()[1]"), "<?p d?>");
    assert_eq!(node("doc/e[@a='2'][1]"), r#"<e a="2" xml:id="two">v</e>"#);
    // predicates apply in order: [2][@a='1'] is the second e only if it has a='1'
    assert!(Selector::parse("doc/e[2][@a='1']").unwrap().select(&doc, &ns).is_err());
    // a hand-built position 0 selects nothing (the parser refuses it)
    let mut zero = Selector::parse("doc/e[1]/text()[1]").unwrap();
    zero.steps[1].predicates[0] = Predicate::Position(0);
    assert_eq!(
        fails(zero.select(&doc, &ns)),
        (ErrorKind::Select(SelectErrorKind::NoMatch), Position::Step(1))
    );
    zero.steps[1].predicates[0] = Predicate::Position(1);
    zero.terminal = Some(Terminal::Text(Some(0)));
    assert_eq!(
        fails(zero.select(&doc, &ns)),
        (ErrorKind::Select(SelectErrorKind::NoMatch), Position::Step(2))
    );
    assert!(matches!(
        Selector::parse("doc/e[1]/@a").unwrap().select(&doc, &ns),
        Ok(Located::Attribute { index: 0, .. })
    ));
    assert!(matches!(
        Selector::parse("doc/e[2]/@xml:id").unwrap().select(&doc, &ns),
        Ok(Located::Attribute { index: 1, .. })
    ));
}

#[test]
fn selector_syntax_errors() {
    let cases: &[(&str, K, usize)] = &[
        ("", K::EmptyStep, 0),
        ("doc//foo", K::EmptyStep, 4),
        ("doc/", K::EmptyStep, 4),
        ("doc[", K::InvalidName, 4),
        ("doc[@a='1'", K::InvalidPredicate, 10),
        ("doc[@a='1]", K::UnterminatedLiteral, 7),
        ("doc[0]", K::InvalidPosition, 4),
        ("doc[99999999999]", K::InvalidPosition, 4),
        ("doc/text()/x", K::TrailingStep, 10),
        ("doc/@a/b", K::TrailingStep, 6),
        ("doc/node()", K::Unsupported, 4),
        ("doc/../x", K::Unsupported, 4),
        ("1doc", K::InvalidName, 0),
        ("doc/namespace::a:b", K::InvalidName, 15),
        ("doc/processing-instruction('1x')", K::InvalidName, 27),
        ("doc|x", K::Unsupported, 3),
    ];
    for (s, kind, offset) in cases {
        let e = Selector::parse(s).unwrap_err();
        assert_eq!(
            (e.kind(), e.position()),
            (ErrorKind::Selector(*kind), Position::Byte(*offset)),
            "{s:?}"
        );
    }
    let xcap: &[(&str, K, usize)] = &[
        ("", K::EmptyStep, 0),
        ("a/", K::EmptyStep, 2),
        ("@x", K::EmptyStep, 2),
        ("a[1][2]", K::InvalidPredicate, 5),
        ("a/namespace::*/b", K::TrailingStep, 14),
        ("a[@x=1]", K::InvalidPredicate, 5),
        ("a/b()", K::Unsupported, 3),
    ];
    for (s, kind, offset) in xcap {
        let e = NodeSelector::parse(s).unwrap_err();
        assert_eq!(
            (e.kind(), e.position()),
            (ErrorKind::Selector(*kind), Position::Byte(*offset)),
            "{s:?}"
        );
    }
}

fn qname() -> impl Strategy<Value = QName> {
    (prop::option::of("[a-z][a-z0-9._-]{0,3}"), "[a-zA-Z_][a-zA-Z0-9._-]{0,5}")
        .prop_map(|(p, l)| QName::with_prefix(p.as_deref(), l))
}

fn literal() -> impl Strategy<Value = String> {
    // XPath literals cannot hold both quote characters
    "[a-z '/\\]\\[=<>&]{0,6}"
}

fn step() -> impl Strategy<Value = Step> {
    let test = prop_oneof![Just(NameTest::Any), qname().prop_map(NameTest::Name)];
    let pred = prop_oneof![
        (1u32..1000).prop_map(Predicate::Position),
        (qname(), literal()).prop_map(|(q, v)| Predicate::Attribute(q, v)),
        (qname(), literal()).prop_map(|(q, v)| Predicate::Child(q, v)),
        literal().prop_map(Predicate::Value),
    ];
    (test, prop::collection::vec(pred, 0..3))
        .prop_map(|(test, predicates)| Step { test, predicates })
}

fn terminal() -> impl Strategy<Value = Terminal> {
    let pos = prop::option::of(1u32..50);
    prop_oneof![
        pos.clone().prop_map(Terminal::Text),
        pos.clone().prop_map(Terminal::Comment),
        (prop::option::of("[a-z][a-z0-9]{0,4}"), pos)
            .prop_map(|(t, p)| Terminal::ProcessingInstruction(t, p)),
        qname().prop_map(Terminal::Attribute),
        "[a-z][a-z0-9]{0,4}".prop_map(Terminal::Namespace),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn selector_round_trip(
        absolute in any::<bool>(),
        id in prop::option::of("[a-z0-9]{1,5}"),
        steps in prop::collection::vec(step(), 0..4),
        terminal in prop::option::of(terminal()),
    ) {
        prop_assume!(id.is_some() || !steps.is_empty() || terminal.is_some());
        let sel = Selector { absolute, id, steps, terminal };
        let text = sel.to_string();
        prop_assert_eq!(Selector::parse(&text).unwrap(), sel, "{}", text);
    }

    #[test]
    fn node_selector_round_trip(
        steps in prop::collection::vec(
            (prop_oneof![Just(NameTest::Any), qname().prop_map(NameTest::Name)],
             prop::option::of(1u32..100),
             prop::option::of((qname(), "[a-z \"'&/\\[\\]]{0,6}"))),
            1..4),
        terminal in prop::option::of(prop_oneof![
            qname().prop_map(XcapTerminal::Attribute),
            Just(XcapTerminal::Namespaces),
        ]),
    ) {
        let sel = NodeSelector {
            steps: steps.into_iter().map(|(test, position, attribute)| XcapStep { test, position, attribute }).collect(),
            terminal,
        };
        let text = sel.to_string();
        prop_assert_eq!(NodeSelector::parse(&text).unwrap(), sel, "{}", text);
    }

    #[test]
    fn selector_parse_never_panics(s in "\\PC{0,40}") {
        let _ = Selector::parse(&s);
        let _ = NodeSelector::parse(&s);
    }
}
