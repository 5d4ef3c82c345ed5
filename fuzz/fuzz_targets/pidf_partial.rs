//! Partial PIDF from arbitrary bytes. The input is split at NUL bytes. Every part is fed to a
//! watcher as a pidf-full/pidf-diff body (never a panic; a failed body leaves the copy as it
//! was). Parts that read as presence documents are sent through a notifier to a second
//! watcher, whose copy must equal each document in turn.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_pidf::{PartialNotifier, Presence, PresenceView, Update};

fuzz_target!(|data: &[u8]| {
    let mut raw_view = PresenceView::new();
    let mut notifier = PartialNotifier::new();
    let mut view = PresenceView::new();
    for part in data.split(|&b| b == 0) {
        let before = raw_view.presence().cloned();
        if raw_view.handle_body(part).is_err() {
            assert_eq!(raw_view.presence().cloned(), before, "a failed body changes nothing");
        }
        if let Ok(p) = Presence::parse(part) {
            let body = notifier.notify(&p);
            let update = view.handle_body(&body).expect("our own notifications apply");
            assert!(matches!(update, Update::Replaced | Update::Patched));
            assert_eq!(view.presence(), Some(&p));
        }
    }
});
