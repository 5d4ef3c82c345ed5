//! MSRP URIs, Byte-Range, Status and SDP media sections on any text: never panic; what parses
//! writes back to something that parses equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_msrp::{ByteRange, MsrpMedia, MsrpUri, ReportStatus};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = core::str::from_utf8(data) else { return };
    if let Ok(u) = MsrpUri::parse(s) {
        assert_eq!(MsrpUri::parse(&u.to_string()).expect("written URI parses"), u);
        assert!(u.matches(&u));
    }
    if let Ok(r) = ByteRange::parse(s) {
        assert_eq!(ByteRange::parse(&r.to_string()).expect("written range parses"), r);
    }
    if let Ok(st) = ReportStatus::parse(s) {
        let _ = st.to_string();
    }
    if let Ok(m) = MsrpMedia::parse(s) {
        assert_eq!(MsrpMedia::parse(&m.write()).expect("written SDP parses"), m);
    }
});
