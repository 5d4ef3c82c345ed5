//! A presence document from arbitrary bytes: reading never panics; what reads writes back to
//! a document that reads the same, and writing that is a fixed point; composition of the
//! document with itself reads back too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_pidf::{Presence, compose};

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Presence::parse(data) else { return };
    let xml = p.to_vec();
    let again = Presence::parse(&xml).expect("what we write reads");
    assert_eq!(again, p);
    assert_eq!(again.to_vec(), xml, "writing is a fixed point");
    let view = compose(&p.entity, &[&p, &p]);
    assert_eq!(Presence::parse(&view.to_vec()).expect("a composed view reads"), view);
});
