//! Partial PIDF from arbitrary bytes. The input is split at NUL bytes. Every part is fed to a
//! watcher as a pidf-full/pidf-diff body: never a panic; a malformed body (an error) or one
//! that needs a resync leaves the copy as it was, and every body taken gives exactly one event.
//! Parts that read as presence documents are given to a notifier (the polled form) and what it
//! sends to a second watcher, whose copy must equal each document in turn; a notifier with
//! nothing to send must hold what the watcher holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_pidf::{PartialNotifier, Presence, PresenceView, Update};

fuzz_target!(|data: &[u8]| {
    let mut raw_view = PresenceView::new();
    let mut notifier = PartialNotifier::new();
    let mut view = PresenceView::new();
    let mut body = Vec::new();
    for part in data.split(|&b| b == 0) {
        let before = raw_view.presence().cloned();
        match raw_view.handle_body(part) {
            Err(_) => {
                assert_eq!(raw_view.presence().cloned(), before, "a failed body changes nothing")
            }
            Ok(()) => {
                let update = raw_view.poll_event().expect("one event per body");
                if matches!(update, Update::Resync(_) | Update::Stale) {
                    assert_eq!(raw_view.presence().cloned(), before, "{update:?} changes nothing");
                }
                assert_eq!(raw_view.poll_event(), None, "one event per body");
            }
        }
        if let Ok(p) = Presence::parse(part) {
            notifier.handle_presence(&p);
            body.clear();
            if notifier.poll_transmit(&mut body).is_some() {
                view.handle_body(&body).expect("our own notifications parse");
                let update = view.poll_event();
                assert!(matches!(update, Some(Update::Replaced | Update::Patched)), "{update:?}");
            }
            assert_eq!(view.presence(), Some(&p), "sent, or nothing to send");
        }
    }
});
