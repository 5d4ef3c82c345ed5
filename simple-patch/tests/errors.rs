//! Every failure is a typed error: RFC 5261 §5.1 conditions for patches, kinds with byte
//! offsets for XML, and the configured limits.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use simple_patch::{
    Document, ErrorKind, ParseConfig, Patch, PatchErrorKind as E, Position, XmlErrorKind as X,
};

const TARGET: &str = r#"<doc xmlns:pref="urn:test" a="1">
  <foo a="1">text</foo>
  <foo a="2"/>
  <!-- c -->
  <?pi data?>
</doc>"#;

fn apply(ops: &str) -> Result<Document, simple_patch::Error> {
    let mut doc = Document::from_str(TARGET).unwrap();
    let patch = Patch::parse(format!("<diff xmlns:x='urn:x'>{ops}</diff>").as_bytes())?;
    let before = doc.to_string();
    let r = patch.apply(&mut doc);
    if r.is_err() {
        // all or nothing
        assert_eq!(doc.to_string(), before);
    }
    r.map(|()| doc)
}

#[test]
fn patch_error_conditions() {
    let cases: &[(&str, E)] = &[
        // selector / directive syntax
        (r#"<add sel="doc[" />"#, E::InvalidAttributeValue),
        (r#"<add/>"#, E::InvalidAttributeValue),
        (r#"<add sel="doc" pos="middle"/>"#, E::InvalidAttributeValue),
        (r#"<add sel="doc" type="attr"/>"#, E::InvalidAttributeValue),
        (r#"<add sel="doc" type="@a" pos="before">v</add>"#, E::InvalidPatchDirective),
        (r#"<remove sel="doc/foo[2]" ws="around"/>"#, E::InvalidAttributeValue),
        (r#"<move sel="doc"/>"#, E::InvalidPatchDirective),
        // location
        (r#"<remove sel="doc/foo"/>"#, E::UnlocatedNode),
        (r#"<remove sel="doc/bar"/>"#, E::UnlocatedNode),
        (r#"<remove sel="id('nope')"/>"#, E::UnlocatedNode),
        (r#"<remove sel="doc/y:foo"/>"#, E::InvalidNamespacePrefix),
        (r#"<remove sel="doc/x:foo"/>"#, E::UnlocatedNode),
        // node types
        (r#"<replace sel="doc/foo[1]">text</replace>"#, E::InvalidNodeTypes),
        (r#"<replace sel="doc/foo[1]"><a/><b/></replace>"#, E::InvalidNodeTypes),
        (r#"<replace sel="doc/foo[1]"/>"#, E::InvalidNodeTypes),
        (r#"<replace sel="doc/comment()"><x/></replace>"#, E::InvalidNodeTypes),
        (r#"<replace sel="doc/processing-instruction()"><!--x--></replace>"#, E::InvalidNodeTypes),
        (r#"<replace sel="doc/@a"><x/></replace>"#, E::InvalidNodeTypes),
        (r#"<add sel="doc/foo[1]/text()"><x/></add>"#, E::InvalidNodeTypes),
        (r#"<add sel="doc" type="@b"><x/></add>"#, E::InvalidNodeTypes),
        // attributes and namespaces
        (r#"<add sel="doc" type="@a">2</add>"#, E::InvalidAttributeValue),
        (r#"<add sel="doc" type="@y:a">2</add>"#, E::InvalidNamespacePrefix),
        (r#"<add sel="doc" type="namespace::pref">urn:other</add>"#, E::InvalidNamespacePrefix),
        (r#"<add sel="doc" type="namespace::n"></add>"#, E::InvalidNamespaceUri),
        (r#"<replace sel="doc/namespace::pref"></replace>"#, E::InvalidNamespaceUri),
        (r#"<replace sel="doc/foo[1]/namespace::pref">urn:x</replace>"#, E::InvalidNamespacePrefix),
        (r#"<remove sel="doc/foo[1]/namespace::pref"/>"#, E::InvalidNamespacePrefix),
        // root element
        (r#"<remove sel="doc"/>"#, E::InvalidRootElementOperation),
        (r#"<add sel="doc" pos="before"><doc2/></add>"#, E::InvalidRootElementOperation),
        (r#"<add sel="doc" pos="after">text</add>"#, E::InvalidRootElementOperation),
        // white space directives
        (r#"<remove sel="doc/foo[1]/text()" ws="before"/>"#, E::InvalidWhitespaceDirective),
        (r#"<remove sel="doc/@a" ws="after"/>"#, E::InvalidWhitespaceDirective),
        (
            r#"<remove sel="doc/foo[1]" ws="both"/><remove sel="doc/foo[1]" ws="before"/>"#,
            E::InvalidWhitespaceDirective,
        ),
        // the diff itself
        ("<add sel='doc'>&unknown;</add>", E::InvalidEntityDeclaration),
        ("<add sel='doc'><a></add>", E::InvalidDiffFormat),
        ("stray text<add sel='doc'/>", E::InvalidDiffFormat),
    ];
    for (ops, want) in cases {
        let err = apply(ops).err().unwrap_or_else(|| panic!("{ops} applied"));
        assert_eq!(err.patch_kind(), Some(*want), "{ops}: {err}");
    }
}

#[test]
fn namespace_prefix_in_use_cannot_be_removed() {
    let mut doc = Document::from_str(r#"<doc xmlns:p="urn:p"><p:a/></doc>"#).unwrap();
    let patch = Patch::parse(b"<diff><remove sel='doc/namespace::p'/></diff>").unwrap();
    assert_eq!(patch.apply(&mut doc).unwrap_err().patch_kind(), Some(E::InvalidNamespacePrefix));
    // shadowed below: removable
    let mut doc =
        Document::from_str(r#"<doc xmlns:p="urn:p"><a xmlns:p="urn:q"><p:a/></a></doc>"#).unwrap();
    patch.apply(&mut doc).unwrap();
    assert_eq!(doc.to_string(), r#"<doc><a xmlns:p="urn:q"><p:a/></a></doc>"#);
}

#[test]
fn successful_operations_on_the_same_target() {
    let ok: &[(&str, &str)] = &[
        (r#"<add sel="doc/foo[2]" pos="prepend"><x/></add>"#, r#"<foo a="2"><x/></foo>"#),
        (
            r#"<add sel="doc/foo[@a='2']" type="@x:b">v</add>"#,
            r#"<foo a="2" xmlns:x="urn:x" x:b="v"/>"#,
        ),
        (r#"<replace sel="doc/@a"/>"#, r#"<doc xmlns:pref="urn:test" a="">"#),
        (r#"<replace sel="doc/foo[1]/text()"/>"#, r#"<foo a="1"/>"#),
        (r#"<replace sel="doc/foo[.='text']/@a">9</replace>"#, r#"<foo a="9">text</foo>"#),
        (r#"<remove sel="doc/foo[@a='2']" ws="before"/>"#, "<foo a=\"1\">text</foo>\n  <!-- c -->"),
        (r#"<remove sel="doc/*[2]"/>"#, "<foo a=\"1\">text</foo>\n  \n  <!-- c -->"),
        (r#"<add sel="doc" pos="before"><!--top--></add>"#, "<!--top--><doc"),
        (
            r#"<add sel="/doc/foo[2]" pos="after">  <x:n/></add>"#,
            r#"<foo a="2"/>  <x:n xmlns:x="urn:x"/>"#,
        ),
    ];
    for (ops, want) in ok {
        let doc = apply(ops).unwrap_or_else(|e| panic!("{ops}: {e}"));
        let s = doc.to_string();
        assert!(s.contains(want), "{ops}:\n{s}");
    }
}

#[test]
fn error_document_reads_back() {
    let patch = Patch::parse(b"<diff><remove sel='doc/nothing'/></diff>").unwrap();
    let mut doc = Document::from_str("<doc/>").unwrap();
    let err = patch.apply(&mut doc).unwrap_err();
    let out = patch.error_document(&err).to_string();
    assert_eq!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?><patch-ops-error xmlns="urn:ietf:params:xml:ns:patch-ops-error"><unlocated-node phrase="no node matches the selector"><remove sel="doc/nothing" xmlns=""/></unlocated-node></patch-ops-error>"#
    );
    Document::from_str(&out).unwrap();
}

/// Each input is refused with that kind of XML error at that byte.
fn assert_refused(cases: &[(&str, X, usize)]) {
    for (input, kind, offset) in cases {
        let e = Document::from_str(input).err().unwrap_or_else(|| panic!("{input:?} parsed"));
        assert_eq!(
            (e.kind(), e.position()),
            (ErrorKind::Xml(*kind), Position::Byte(*offset)),
            "{input:?}"
        );
    }
}

#[test]
fn xml_errors_have_kinds_and_offsets() {
    let cases: &[(&str, X, usize)] = &[
        ("", X::MissingRoot, 0),
        ("  ", X::MissingRoot, 2),
        ("<a>", X::MismatchedTag, 3),
        ("<a></b>", X::MismatchedTag, 3),
        ("<a/><b/>", X::ContentOutsideRoot, 4),
        ("text<a/>", X::ContentOutsideRoot, 0),
        ("<a/>text", X::ContentOutsideRoot, 4),
        ("<p:a/>", X::UnboundPrefix, 1),
        ("<a p:x='1'/>", X::UnboundPrefix, 0),
        ("<xmlns:a/>", X::ReservedPrefix, 1),
        ("<a><xmlns:b/></a>", X::ReservedPrefix, 4),
        ("<a x='1' x='2'/>", X::InvalidAttribute, 0),
        ("<r><a xmlns:p='u' p:x='1' p:x='2'/></r>", X::InvalidAttribute, 3),
        // two prefixes for one namespace: one expanded name (Namespaces in XML §6.3)
        ("<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>", X::InvalidAttribute, 0),
        // past the few a tag has, the check sorts instead of comparing pairs
        ("<a b='' c='' d='' e='' f='' g='' h='' i='' j='' k='' c=''/>", X::InvalidAttribute, 0),
        (
            "<a xmlns:p='u' xmlns:q='u' b='' c='' d='' e='' f='' g='' p:x='' q:x=''/>",
            X::InvalidAttribute,
            0,
        ),
        ("<a>&nbsp;</a>", X::UnknownEntity, 3),
        ("<a>\u{1}</a>", X::InvalidChar, 3),
        ("<a>&#1;</a>", X::InvalidChar, 3),
        ("<a xmlns:p=''/>", X::InvalidNamespaceDeclaration, 0),
        ("<a xmlns:xml='urn:x'/>", X::InvalidNamespaceDeclaration, 0),
        ("<1a/>", X::InvalidName, 1),
        // XML 1.0 name characters exactly (found by fuzzing: U+FFFF was let into a PI target)
        ("<a/><?x\u{FFFF}?>", X::InvalidName, 6),
        ("<a\u{D7}/>", X::InvalidName, 1),
        ("<\u{B7}a/>", X::InvalidName, 1),
        ("<a:b:c xmlns:a='u'/>", X::InvalidName, 1),
        ("<?xml version='1.0' encoding='latin1'?><a/>", X::InvalidEncoding, 0),
        ("<a/><!DOCTYPE a>", X::MisplacedDoctype, 4),
        ("<a><!-- x -- y --></a>", X::Syntax, 10),
    ];
    assert_refused(cases);
    // and what is a name is accepted
    for ok in [
        "<a\u{B7}\u{300}-.9/>",
        "<\u{C0}\u{10000}/>",
        "<r><?\u{3001}x data?></r>",
        // the same local name in different namespaces, or once unprefixed
        "<a xmlns:p='u' xmlns:q='v' p:x='1' q:x='2' x='3'/>",
        "<a xmlns:p='u' xmlns:q='v' b='' c='' d='' e='' f='' g='' p:x='' q:x='' x=''/>",
        // a default namespace does not apply to attributes
        "<a xmlns='u' xmlns:p='u' x='1' p:x='2'/>",
    ] {
        Document::from_str(ok).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
    let e = Document::parse(b"<a>\xff</a>").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Xml(X::InvalidEncoding), Some(3)));
}

#[test]
fn limits() {
    let mut config = ParseConfig::default();
    config.max_depth = 3;
    config.max_nodes = 10;
    config.max_attributes = 2;
    config.max_input = 100;
    let e = Document::parse_with(b"<a><b><c><d/></c></b></a>", &config).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Xml(X::TooDeep), Some(9)));
    let e = Document::parse_with(b"<a><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/></a>", &config)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Xml(X::TooManyNodes));
    let e = Document::parse_with(b"<a x='1' y='2' z='3'/>", &config).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Xml(X::TooManyAttributes));
    let e = Document::parse_with(&[b' '; 101], &config).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Xml(X::InputTooLarge));
    // deep nesting under the default limit is refused without recursion trouble
    let deep = "<a>".repeat(100_000);
    assert_eq!(Document::from_str(&deep).unwrap_err().kind(), ErrorKind::Xml(X::TooDeep));
}

#[test]
fn internal_entities_expand_within_bounds() {
    let doc = Document::from_str(
        r#"<!DOCTYPE a [<!ENTITY n "\i\c*"><!ENTITY q "(&n;:)?&n;">]><a v="&q;">&q;</a>"#,
    )
    .unwrap();
    let root = doc.root_element().unwrap();
    assert_eq!(doc.attribute(root, None, "v"), Some(r"(\i\c*:)?\i\c*"));
    assert_eq!(doc.string_value(root), r"(\i\c*:)?\i\c*");
    // "billion laughs": each level is capped, and the document's total expansion too
    let mut dtd = String::from(r#"<!DOCTYPE a [<!ENTITY l0 "lollollollollollollollollollol">"#);
    for i in 1..10 {
        let p = i - 1;
        dtd.push_str(&format!(
            r#"<!ENTITY l{i} "&l{p};&l{p};&l{p};&l{p};&l{p};&l{p};&l{p};&l{p};&l{p};&l{p};">"#
        ));
    }
    dtd.push_str("]>");
    let e = Document::from_str(&format!("{dtd}<a>&l9;</a>")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Xml(X::UnknownEntity));
    let many = "&l3;".repeat(1000);
    let mut config = ParseConfig::default();
    config.max_input = 1 << 20;
    let e = Document::parse_with(format!("{dtd}<a>{many}</a>").as_bytes(), &config).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Xml(X::InputTooLarge));
}

/// A tree built by hand can hold characters XML 1.0 cannot carry; they are written as
/// U+FFFD, so what is written always reads back.
#[test]
fn unwritable_characters_are_replaced() {
    let mut doc = Document::with_root(simple_patch::QName::new("a"));
    let root = doc.root_element().unwrap();
    doc.set_attribute(root, simple_patch::QName::new("x"), "1\u{1}2\u{FFFE}");
    let t = doc.create_text("a\u{0}b\u{FFFF}c\u{B}\t\r\n");
    doc.append_child(root, t);
    let xml = doc.to_vec();
    let back = Document::parse(&xml).unwrap();
    let root = back.root_element().unwrap();
    assert_eq!(back.attribute(root, None, "x"), Some("1\u{FFFD}2\u{FFFD}"));
    assert_eq!(back.string_value(root), "a\u{FFFD}b\u{FFFD}c\u{FFFD}\t\r\n");
}

#[test]
fn the_scanner_reads_what_xml_allows_and_refuses_the_rest() {
    let cases: &[(&str, X, usize)] = &[
        // the XML declaration: version first, 1.x, then encoding and standalone in order
        ("<?xml encoding='UTF-8'?><a/>", X::Syntax, 0),
        ("<?xml version='2.0'?><a/>", X::Syntax, 0),
        ("<?xml version='1.0' standalone='yes' encoding='UTF-8'?><a/>", X::Syntax, 0),
        ("<?xml version='1.0' standalone='maybe'?><a/>", X::Syntax, 0),
        ("<?xml version='1.0'", X::Syntax, 0),
        ("<a/><?xml version='1.0'?>", X::Syntax, 4),
        // `]]>` is not text; `<` is not in an attribute value
        ("<a>x]]>y</a>", X::Syntax, 4),
        ("<a b='<'/>", X::InvalidAttribute, 0),
        // attributes are separated by white space and have quoted values
        ("<a b='1'c='2'/>", X::InvalidAttribute, 0),
        ("<a b=1/>", X::InvalidAttribute, 0),
        ("<a b='1/>", X::InvalidAttribute, 0),
        ("<a b/>", X::InvalidAttribute, 0),
        ("<a b='&#0;'/>", X::InvalidChar, 0),
        ("<a b='&x'/>", X::InvalidAttribute, 0),
        ("<a b='&nope;'/>", X::UnknownEntity, 0),
        // tags end, comments do not hold `--`, CDATA and PIs are closed
        ("<a", X::Syntax, 0),
        ("<a></a", X::Syntax, 6),
        ("< a/>", X::Syntax, 1),
        ("<a><!-- x ---></a>", X::Syntax, 10),
        ("<a><![CDATA[x</a>", X::Syntax, 3),
        ("<a><?p x</a>", X::Syntax, 3),
        ("<a><?p=x?></a>", X::Syntax, 6),
        ("<a>& b</a>", X::Syntax, 3),
        ("<a>&#xD800;</a>", X::InvalidChar, 3),
        ("<a>&#99999999999;</a>", X::InvalidChar, 3),
        ("<a><!ELEMENT a ANY></a>", X::Syntax, 3),
        ("<!DOCTYPE a [<!ENTITY e 'x'>", X::Syntax, 0),
        ("<!DOCTYPE><a/>", X::Syntax, 9),
    ];
    assert_refused(cases);
    // what is allowed reads as XML says
    let doc = Document::from_str(
        "\u{FEFF}<?xml version='1.1' encoding=\"us-ascii\" standalone='no' ?>\
         <!DOCTYPE a [ <!-- '> --> <!ENTITY e \"t\te\"> <?pi ]> ?> <!ATTLIST a b CDATA '>'> ]>\
         <a b=' 1\t2\r\n3\n&#9;&amp;&e;' c=\"'\" d='\"'>x&lt;<![CDATA[<&]]>&#x41;&#66;&e;\r\n<!---->]</a>",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let a = doc.root_element().expect("a root");
    assert_eq!(doc.attribute(a, None, "b"), Some(" 1 2 3 \t&t e"));
    assert_eq!(doc.attribute(a, None, "c"), Some("'"));
    assert_eq!(doc.attribute(a, None, "d"), Some("\""));
    let text: String = doc.children(a).filter_map(|c| doc.text(c)).collect();
    assert_eq!(text, "x<<&ABt\te\n]");
    assert_eq!(
        doc.declaration.as_deref(),
        Some(" version='1.1' encoding=\"us-ascii\" standalone='no' ")
    );
    assert!(doc.doctype.as_deref().is_some_and(|d| d.starts_with("a [") && d.ends_with("'>'> ]")));
}
