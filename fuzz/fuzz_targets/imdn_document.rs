//! The message/imdn+xml reader on any bytes: never panics, and a document that reads writes
//! to bytes that read to the same document, which write identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_imdn::Imdn;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = Imdn::parse(data) {
        let out = d.to_vec();
        let again = Imdn::parse(&out).expect("a written document reads");
        // a lone recipient-uri or original-recipient-uri is written as both (the schema)
        let mut expect = d.clone();
        if expect.recipient_uri.is_some() || expect.original_recipient_uri.is_some() {
            expect.recipient_uri = d.recipient_uri.clone().or(d.original_recipient_uri.clone());
            expect.original_recipient_uri =
                d.original_recipient_uri.clone().or(d.recipient_uri.clone());
        } else {
            expect.subject = None;
        }
        assert_eq!(again, expect);
        assert_eq!(again.to_vec(), out);
    }
});
