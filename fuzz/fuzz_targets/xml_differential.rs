//! The XML reader against roxmltree on the same text: both accept or both refuse, and what
//! both accept has the same elements (names and namespaces), attributes and text in the
//! same order. DOCTYPEs are left out (the two expand internal entities differently), and
//! so are processing instructions (roxmltree lets their data follow the target without
//! white space) and refusals for our configured limits, for declared encodings other
//! than UTF-8, for names that are XML names but not namespace QNames, and for a namespace
//! declared twice in one tag.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_patch::{Document, ErrorKind, NodeKind, XmlErrorKind};

/// Elements, attributes and text of a tree, in document order, as comparable lines.
fn ours(doc: &Document) -> Vec<String> {
    let mut out = Vec::new();
    for n in doc.descendants(Document::ROOT) {
        match doc.kind(n) {
            NodeKind::Element(e) => {
                out.push(format!("<{} {:?}", e.name.local(), doc.namespace(n).unwrap_or("")));
                let mut attrs: Vec<String> = e
                    .attributes
                    .iter()
                    .filter(|a| !a.is_namespace_decl())
                    .map(|a| {
                        let ns = doc.attribute_namespace(n, &a.name).unwrap_or("");
                        format!("@{} {ns:?}={:?}", a.name.local(), a.value.as_str())
                    })
                    .collect();
                attrs.sort();
                out.extend(attrs);
            }
            // white space around the root is not kept by roxmltree
            NodeKind::Text(t) if doc.parent(n) != Some(Document::ROOT) => {
                out.push(format!("text {:?}", t.as_str()));
            }
            NodeKind::Text(_) => {}
            NodeKind::Document | NodeKind::Comment(_) | NodeKind::ProcessingInstruction { .. } => {}
        }
    }
    merge_text(out)
}

fn theirs(doc: &roxmltree::Document<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for n in doc.root().descendants() {
        if n.is_element() {
            let t = n.tag_name();
            out.push(format!("<{} {:?}", t.name(), t.namespace().unwrap_or("")));
            let mut attrs: Vec<String> = n
                .attributes()
                .map(|a| format!("@{} {:?}={:?}", a.name(), a.namespace().unwrap_or(""), a.value()))
                .collect();
            attrs.sort();
            out.extend(attrs);
        } else if n.is_text() && !n.parent().is_some_and(|p| p.is_root()) {
            out.push(format!("text {:?}", n.text().unwrap_or("")));
        }
    }
    merge_text(out)
}

/// Adjacent text lines as one (the trees may split text differently around comments).
fn merge_text(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        if let (Some(prev), Some(t)) = (out.last_mut(), l.strip_prefix("text ")) {
            if let Some(p) = prev.strip_prefix("text ") {
                *prev = format!("text {}{}", p.trim_end_matches('"'), t.trim_start_matches('"'));
                continue;
            }
        }
        out.push(l);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    // roxmltree lets a PI's data follow its target without white space: PIs are left to
    // the xml_document target
    let after_declaration = text
        .strip_prefix("<?xml")
        .filter(|r| r.starts_with([' ', '\t', '\r', '\n']))
        .and_then(|r| r.split_once("?>"))
        .map_or(text, |(_, r)| r);
    if text.contains("<!DOCTYPE") || after_declaration.contains("<?") {
        return;
    }
    let a = Document::from_str(text);
    let b = roxmltree::Document::parse(text);
    match (&a, &b) {
        (Ok(a), Ok(b)) => assert_eq!(ours(a), theirs(b), "{text:?}"),
        (Err(e), Err(_)) => {
            let _ = e;
        }
        (Err(e), Ok(_)) => {
            // our limits, and declared encodings other than UTF-8 (roxmltree reads the
            // text whatever the declaration says)
            let expected = matches!(
                e.kind(),
                ErrorKind::Xml(
                    XmlErrorKind::TooDeep
                        | XmlErrorKind::TooManyNodes
                        | XmlErrorKind::TooManyAttributes
                        | XmlErrorKind::InputTooLarge
                        | XmlErrorKind::InvalidEncoding
                        // names are QNames for us (Namespaces in XML), less for roxmltree
                        | XmlErrorKind::InvalidName
                )
            );
            // roxmltree lets any version through; we read 1.x only (XML 1.0 §2.8)
            let version = e.position() == simple_patch::Position::Byte(0)
                && e.kind() == ErrorKind::Xml(XmlErrorKind::Syntax)
                && text.starts_with("<?xml");
            // roxmltree lets a namespace be declared twice in one tag: a duplicate attribute
            let twice = e.kind() == ErrorKind::Xml(XmlErrorKind::InvalidAttribute)
                && e.offset().and_then(|at| text.get(at..)).is_some_and(|tag| {
                    let tag = tag.split('>').next().unwrap_or("");
                    let mut decls: Vec<&str> = tag
                        .split_ascii_whitespace()
                        .filter_map(|w| w.split_once('=').map(|(n, _)| n))
                        .filter(|n| n.starts_with("xmlns"))
                        .collect();
                    decls.sort_unstable();
                    decls.windows(2).any(|w| w[0] == w[1])
                });
            assert!(expected || version || twice, "we refuse ({e}) what roxmltree reads: {text:?}");
        }
        (Ok(_), Err(e)) => panic!("we read what roxmltree refuses ({e}): {text:?}"),
    }
});
