//! Watcherinfo documents (RFC 3858) from arbitrary bytes: no panic, a precise error or a
//! document; what we write of a document reads back as the same document, and a view takes
//! it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_pidf::winfo::{WatcherInfo, WinfoView};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = WatcherInfo::parse(data) else { return };
    let xml = doc.to_vec();
    let again = WatcherInfo::parse(&xml).expect("what we write parses");
    assert_eq!(again, doc, "write then read changed the document");
    let mut view = WinfoView::new();
    let mut full = doc.clone();
    full.state = simple_pidf::winfo::State::Full;
    assert!(view.apply(&full));
    let _ = view.apply(&doc);
});
