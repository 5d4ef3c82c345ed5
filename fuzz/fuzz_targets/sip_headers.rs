//! Every typed header parser on any value: never panics, and what parses writes back to a value
//! that parses equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_sip::Uri;
use simple_sip::headers::*;

/// Parses `value` as `$t`; if that works, writes it and checks the output parses equal.
macro_rules! check {
    ($t:ty, $value:expr) => {{
        if let Ok(v) = <$t>::parse($value) {
            let out = v.to_value_vec();
            let again = <$t>::parse(&out).expect("a written header parses");
            assert_eq!(again, v);
        }
    }};
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, value)) = data.split_first() else { return };
    match which % 16 {
        0 => check!(Via<'_>, value),
        1 => check!(FromHeader<'_>, value),
        2 => check!(Contact<'_>, value),
        3 => check!(CSeq<'_>, value),
        4 => check!(CallId<'_>, value),
        5 => check!(EventHeader<'_>, value),
        6 => check!(SubscriptionState<'_>, value),
        7 => check!(ContentType<'_>, value),
        8 => check!(Accept<'_>, value),
        9 => check!(WwwAuthenticate<'_>, value),
        10 => check!(RetryAfter<'_>, value),
        11 => check!(Route<'_>, value),
        12 => check!(Expires, value),
        13 => check!(AllowEvents<'_>, value),
        _ => {
            if let Ok(s) = core::str::from_utf8(value) {
                if let Ok(u) = Uri::parse(s) {
                    let mut out = Vec::new();
                    u.write(&mut out);
                    let out = String::from_utf8(out).expect("URIs write ASCII or their input");
                    let back = Uri::parse(&out).expect("a written URI parses");
                    assert_eq!(back, u);
                    // §19.1.4 comparison is reflexive and symmetric
                    assert!(u.equivalent(&u) && back.equivalent(&u) && u.equivalent(&back), "{s}");
                }
            }
        }
    }
});
