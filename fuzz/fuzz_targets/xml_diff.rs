//! The diff on two documents from the input (split at the first NUL): the generated patch
//! reads back, applies to A, and yields a document equivalent to B.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_patch::{Document, Patch, diff};

fuzz_target!(|data: &[u8]| {
    let Some(split) = data.iter().position(|&b| b == 0) else { return };
    let (Ok(a), Ok(b)) = (Document::parse(&data[..split]), Document::parse(&data[split + 1..]))
    else {
        return;
    };
    let patch = Patch::parse(&diff(&a, &b).to_vec()).expect("a generated diff parses");
    let mut doc = a;
    patch.apply(&mut doc).expect("a generated diff applies");
    assert!(doc.equivalent(&b));
});
