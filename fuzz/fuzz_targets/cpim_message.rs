//! The CPIM reader on any bytes (strict and lenient): never panics, every error is inside
//! the input, and a message that reads writes back to bytes that read to the same message
//! (the writer is a fixed point); the typed reads of what it holds never panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_imdn::cpim::{Cpim, ParseConfig};
use simple_imdn::imdn::{ImdnHeaders, notifications};
use simple_imdn::{Pending, Role};

fuzz_target!(|data: &[u8]| {
    let mut strict = ParseConfig::default();
    strict.lenient_separator = false;
    for config in [ParseConfig::default(), strict] {
        match Cpim::parse_with(data, &config) {
            Ok(m) => {
                let owned = m.to_owned();
                let out = owned.to_vec();
                let again = Cpim::parse_with(&out, &config).expect("a written message reads");
                assert_eq!(again.to_owned(), owned);
                assert_eq!(again.to_owned().to_vec(), out);
                assert!(m.content_offset() <= data.len());
                let _ = (m.from(), m.to(), m.cc(), m.date_time(), m.required());
                let _ = m.subjects().count();
                for h in m.headers() {
                    let _ = (h.decoded(), h.lang(), h.address());
                    assert!(h.value_offset() <= data.len());
                }
                if let Ok(h) = ImdnHeaders::read(&m) {
                    let _ = h.requested.to_value();
                }
                let _ = notifications(&m);
                if let Ok(Some(mut p)) = Pending::from_im(&m, Role::Recipient) {
                    let policy = simple_imdn::Policy::default();
                    let d = p.answer(
                        simple_imdn::imdn::Disposition::Delivery,
                        simple_imdn::imdn::Status::Delivered,
                        &policy,
                    );
                    if let Some(d) = d {
                        let n = p.message(&d, "sip:r@x", "n1").to_vec();
                        let nm = Cpim::parse(&n).expect("a notification we write reads");
                        assert!(ImdnHeaders::read(&nm).expect("and its headers").is_notification);
                    }
                }
            }
            Err(e) => assert!(e.offset().expect("CPIM errors are offsets") <= data.len()),
        }
    }
});
