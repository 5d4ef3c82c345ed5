//! A diff document applied to a target document, both from the input (split at the first NUL):
//! parsing and applying never panic, a failed patch leaves the target untouched, a successful
//! one leaves a document that writes and reads back, and every error renders as a
//! patch-ops-error document that parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_patch::{Document, Patch};

fuzz_target!(|data: &[u8]| {
    let Some(split) = data.iter().position(|&b| b == 0) else { return };
    let (target, patch) = (&data[..split], &data[split + 1..]);
    let Ok(mut doc) = Document::parse(target) else { return };
    let Ok(patch) = Patch::parse(patch) else { return };
    let before = doc.to_vec();
    match patch.apply(&mut doc) {
        Ok(()) => {
            let again =
                Document::parse(&doc.to_vec()).expect("a patched document writes valid XML");
            assert!(again.equivalent(&doc));
        }
        Err(e) => {
            assert_eq!(doc.to_vec(), before);
            let err_doc = patch.error_document(&e).to_vec();
            Document::parse(&err_doc).expect("error documents parse");
        }
    }
});
