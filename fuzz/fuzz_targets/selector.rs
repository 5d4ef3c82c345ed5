//! Both selector grammars on any string: never panic, what parses writes back to an equal
//! selector, and evaluating against a fixed document never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_patch::{Document, Namespaces, NodeSelector, Selector};

const DOC: &str = r#"<r xmlns="urn:d" xmlns:p="urn:p" a="1"><e a="1" xml:id="i">t<!--c--><?pi x?>u</e><p:e a="2"><e/></p:e><e a="2">v</e></r>"#;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = core::str::from_utf8(data) else { return };
    let doc = Document::from_str(DOC).expect("fixed document");
    let ns = Namespaces::new().with_default("urn:d").bind("p", "urn:p");
    if let Ok(sel) = Selector::parse(s) {
        assert_eq!(Selector::parse(&sel.to_string()).expect("written selector parses"), sel);
        let _ = sel.select(&doc, &ns);
    }
    if let Ok(sel) = NodeSelector::parse(s) {
        assert_eq!(NodeSelector::parse(&sel.to_string()).expect("written selector parses"), sel);
        let _ = sel.select(&doc, &ns);
    }
});
