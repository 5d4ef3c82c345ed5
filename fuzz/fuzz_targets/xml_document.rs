//! The XML reader on any bytes: never panics, and a parsed document writes back to bytes that
//! parse to an equivalent document which writes identically (the writer is a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_patch::Document;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = Document::parse(data) {
        let out = doc.to_vec();
        let again = Document::parse(&out).expect("written XML parses");
        assert!(doc.equivalent(&again));
        assert_eq!(again.to_vec(), out);
    }
});
