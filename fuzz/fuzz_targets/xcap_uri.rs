//! XCAP URIs (RFC 4825 §6) from arbitrary text: no panic, a precise error or a URI; a URI
//! written back (percent-encoded) reads as the same URI, relative and under a root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_xcap::XcapUri;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let Ok(uri) = XcapUri::parse_relative(text) else { return };
    let encoded = uri.encoded();
    let again = XcapUri::parse_relative(&encoded).expect("what we write parses");
    assert_eq!(again, uri, "{text:?} -> {encoded:?}");
    let rooted = XcapUri::parse(&format!("/xcap-root/{encoded}"), "/xcap-root/").expect("under a root");
    assert_eq!(rooted, uri);
    assert!(encoded.is_ascii(), "encoded URIs are ASCII: {encoded:?}");
});
