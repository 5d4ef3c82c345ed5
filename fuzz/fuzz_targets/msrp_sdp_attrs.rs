//! The SDP attributes of file transfer (RFC 5547), the connection model (RFC 6135) and CEMA
//! (RFC 6714): no panic on any media section; a file description that reads writes back and
//! reads the same; the negotiation helpers give an answer for anything that reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_msrp::{
    FileRange, FileSelector, FileTransfer, MsrpMedia, Role, Setup, answer_setup, cema_answer,
    connection_address, offerer_role,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(s) = FileSelector::parse(text) {
        assert_eq!(FileSelector::parse(&s.to_string()).as_ref(), Ok(&s), "{s}");
    }
    if let Ok(r) = FileRange::parse(text) {
        assert_eq!(FileRange::parse(&r.to_string()), Ok(r));
        let _ = r.len(u64::MAX);
    }
    let Ok(media) = MsrpMedia::parse(text) else { return };
    if let Ok(Some(t)) = FileTransfer::from_media(&media) {
        let mut m = media.clone();
        t.write_to(&mut m);
        let again = MsrpMedia::parse(&m.write()).expect("what we write reads");
        assert_eq!(FileTransfer::from_media(&again).expect("and its file attributes"), Some(t));
    }
    let setup = Setup::of(&media);
    let (answer, role) = answer_setup(setup, true);
    assert_ne!(answer, Setup::Actpass, "an answer picks a side");
    assert_eq!(offerer_role(Some(answer)) == Role::Active, role == Role::Passive);
    if let Some(c) = connection_address(text) {
        let _ = cema_answer(&media, &c, false);
    }
});
