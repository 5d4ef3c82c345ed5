//! Multipart parsing on any body: never panics, and the parts it reports lie inside the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_sip::multipart::Multipart;

fuzz_target!(|data: &[u8]| {
    let Some((&n, body)) = data.split_first() else { return };
    let boundary = ["b", "boundary42", "50UBfW7LSCVLtggUPe5z"][usize::from(n % 3)];
    if let Ok(mp) = Multipart::parse(body, boundary) {
        let mut count = 0;
        for part in mp.parts() {
            count += 1;
            assert!(part.body().len() <= body.len());
            for h in part.headers() {
                let _ = h.value();
            }
            let _ = part.content_type();
        }
        assert_eq!(count, mp.len());
    }
});
