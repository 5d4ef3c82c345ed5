//! The isComposing reader on any bytes: never panics, and a document that reads writes to
//! bytes that read to the same document, which write identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_imdn::IsComposing;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = IsComposing::parse(data) {
        let out = d.to_vec();
        let again = IsComposing::parse(&out).expect("a written document reads");
        assert_eq!(again, d);
        assert_eq!(again.to_vec(), out);
    }
});
