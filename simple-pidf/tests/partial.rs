//! Partial notification (RFC 5263) between a notifier and a watcher with no network between
//! them: in order, with loss, duplication and reordering, and what crosses validates.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

mod common;

use common::{strategy, take, validate, xmllint};
use proptest::prelude::*;
use simple_pidf::partial::{PartialBody, Resync, Update};
use simple_pidf::{Basic, ErrorKind, Note, PartialNotifier, Presence, PresenceView, Tuple};

fn base() -> Presence {
    let mut p = Presence::new("pres:someone@example.com");
    for id in ["im", "voice", "video", "chat"] {
        let mut t = Tuple::new(id, Basic::Open);
        t.contact =
            Some(simple_pidf::Contact { uri: format!("sip:{id}@example.com"), priority: None });
        p.tuples.push(t);
    }
    p.notes.push(Note::new("at the office"));
    p
}

/// Successive states: each changes one thing.
fn states() -> Vec<Presence> {
    let mut out = vec![base()];
    let mut p = base();
    p.tuples[1].status.basic = Some(Basic::Closed);
    out.push(p.clone());
    p.tuples.remove(2);
    out.push(p.clone());
    p.notes[0] = Note::with_lang("in a meeting", "en");
    out.push(p.clone());
    p.tuples.push(Tuple::new("sms", Basic::Open));
    out.push(p.clone());
    out
}

#[test]
fn in_order_each_diff_applies() {
    let mut n = PartialNotifier::new();
    let mut v = PresenceView::new();
    for (i, s) in states().iter().enumerate() {
        let body = n.notify(s);
        let kind = PartialBody::parse(&body).unwrap();
        // The first is full state, then diffs (smaller than full state here).
        assert_eq!(
            matches!(kind, PartialBody::Full { .. }),
            i == 0,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let expect = if i == 0 { Update::Replaced } else { Update::Patched };
        assert_eq!(take(&mut v, &body), expect);
        assert_eq!(v.presence(), Some(s));
        assert_eq!(v.version(), Some(u32::try_from(i).unwrap() + 1));
    }
}

#[test]
fn loss_is_detected_and_resync_recovers() {
    let st = states();
    let mut n = PartialNotifier::new();
    let mut v = PresenceView::new();
    assert!(matches!(take(&mut v, &n.notify(&st[0])), Update::Replaced | Update::Patched));
    let _lost = n.notify(&st[1]);
    let gap = take(&mut v, &n.notify(&st[2]));
    assert_eq!(gap, Update::Resync(Resync::VersionGap { expected: 2, got: 3 }));
    assert_eq!(v.presence(), Some(&st[0]), "unchanged after the gap");
    // The watcher refreshes its subscription; the notifier sends full state.
    n.resync();
    let body = n.notify(&st[3]);
    assert!(matches!(
        PartialBody::parse(&body).unwrap(),
        PartialBody::Full { version: Some(4), .. }
    ));
    assert_eq!(take(&mut v, &body), Update::Replaced);
    assert_eq!(v.presence(), Some(&st[3]));
    assert_eq!(take(&mut v, &n.notify(&st[4])), Update::Patched);
    assert_eq!(v.presence(), Some(&st[4]));
}

#[test]
fn duplicates_are_stale_and_reordering_recovers() {
    let st = states();
    let mut n = PartialNotifier::new();
    let mut v = PresenceView::new();
    let bodies: Vec<Vec<u8>> = st.iter().map(|s| n.notify(s)).collect();
    assert!(matches!(take(&mut v, &bodies[0]), Update::Replaced | Update::Patched));
    assert!(matches!(take(&mut v, &bodies[1]), Update::Replaced | Update::Patched));
    // A retransmission of the same NOTIFY.
    assert_eq!(take(&mut v, &bodies[1]), Update::Stale);
    assert_eq!(take(&mut v, &bodies[0]), Update::Stale);
    assert_eq!(v.presence(), Some(&st[1]));
    // 4 before 3: a gap; 3 then 4 again apply.
    assert_eq!(
        take(&mut v, &bodies[3]),
        Update::Resync(Resync::VersionGap { expected: 3, got: 4 })
    );
    assert_eq!(take(&mut v, &bodies[2]), Update::Patched);
    assert_eq!(take(&mut v, &bodies[3]), Update::Patched);
    assert_eq!(take(&mut v, &bodies[4]), Update::Patched);
    assert_eq!(v.presence(), Some(&st[4]));
}

#[test]
fn a_diff_that_does_not_apply_leaves_the_copy_alone() {
    let mut v = PresenceView::new();
    let mut n = PartialNotifier::new();
    assert!(matches!(take(&mut v, &n.notify(&base())), Update::Replaced | Update::Patched));
    let bad = br#"<p:pidf-diff xmlns="urn:ietf:params:xml:ns:pidf"
        xmlns:p="urn:ietf:params:xml:ns:pidf-diff" version="2">
      <p:replace sel="*/tuple[@id='im']/status/basic/text()">closed</p:replace>
      <p:remove sel="*/tuple[@id='nonexistent']"/>
    </p:pidf-diff>"#;
    let failed = Resync::PatchFailed {
        kind: simple_patch::PatchErrorKind::UnlocatedNode,
        operation: Some(1), // the second: the first applied to the copy that is dropped
    };
    assert_eq!(take(&mut v, bad), Update::Resync(failed));
    assert_eq!(v.presence(), Some(&base()));
    // A diff that leaves an invalid document (a tuple without status) is refused too.
    let bad = br#"<p:pidf-diff xmlns="urn:ietf:params:xml:ns:pidf"
        xmlns:p="urn:ietf:params:xml:ns:pidf-diff" version="2">
      <p:remove sel="*/tuple[@id='im']/status"/>
    </p:pidf-diff>"#;
    let Update::Resync(Resync::Invalid(e)) = take(&mut v, bad) else { panic!() };
    assert_eq!(e.kind(), ErrorKind::MissingElement("status"));
    assert_eq!(e.path(), "/presence/tuple[1]");
    assert_eq!(v.presence(), Some(&base()));
    assert_eq!(v.version(), Some(1));
    // A plain PIDF body replaces the copy and keeps the counter (RFC 5263 §4.5).
    let mut other = base();
    other.tuples.truncate(1);
    v.handle_pidf(&other.to_vec()).unwrap();
    assert_eq!(v.poll_event(), Some(Update::Replaced));
    assert_eq!((v.presence(), v.version()), (Some(&other), Some(1)));
}

#[test]
fn bodies_validate() {
    if !xmllint() {
        return;
    }
    let mut n = PartialNotifier::new();
    let docs: Vec<(String, Vec<u8>)> = states()
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("notification {i}"), n.notify(s)))
        .collect();
    let failures = validate(&docs);
    assert!(failures.is_empty(), "{failures:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Between arbitrary documents, the watcher's copy always equals what the notifier has.
    #[test]
    fn arbitrary_changes(docs in proptest::collection::vec(strategy::presence(), 1..5)) {
        let mut n = PartialNotifier::new();
        let mut v = PresenceView::new();
        for d in &docs {
            let body = n.notify(d);
            assert!(matches!(take(&mut v, &body), Update::Replaced | Update::Patched));
            prop_assert_eq!(v.presence(), Some(d), "{}", String::from_utf8_lossy(&body));
            prop_assert!(!n.has_changes(d));
        }
    }
}

/// Small edits of a document, so that most notifications are diffs.
fn edit(p: &mut Presence, op: u8, at: usize) {
    match op % 4 {
        0 => {
            let i = at % p.tuples.len().max(1);
            if let Some(t) = p.tuples.get_mut(i) {
                t.status.basic = match t.status.basic {
                    Some(Basic::Open) => Some(Basic::Closed),
                    Some(Basic::Closed) | None => Some(Basic::Open),
                };
            }
        }
        1 if !p.components.is_empty() => {
            p.components.remove(at % p.components.len());
        }
        2 if !p.tuples.is_empty() => {
            p.tuples.remove(at % p.tuples.len());
        }
        _ => p.notes.push(Note::new(format!("note {at}"))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn edits_travel_as_diffs(
        start in strategy::presence(),
        edits in proptest::collection::vec((any::<u8>(), any::<usize>()), 1..6),
    ) {
        let mut n = PartialNotifier::new();
        let mut v = PresenceView::new();
        let mut cur = start;
        assert!(matches!(take(&mut v, &n.notify(&cur)), Update::Replaced | Update::Patched));
        let mut diffs = 0;
        for (op, at) in edits {
            edit(&mut cur, op, at);
            let body = n.notify(&cur);
            if matches!(PartialBody::parse(&body).unwrap(), PartialBody::Diff { .. }) {
                diffs += 1;
            }
            prop_assert_eq!(take(&mut v, &body) != Update::Stale, true);
            prop_assert_eq!(v.presence(), Some(&cur), "{}", String::from_utf8_lossy(&body));
        }
        // A one-word edit of a document of some size travels as a diff.
        if cur.to_vec().len() > 2000 {
            prop_assert!(diffs > 0);
        }
    }
}

/// Both sides' state can leave the process and come back (a server handing a subscription to
/// another node): the notification after the move still applies.
#[cfg(feature = "serde")]
#[test]
fn state_survives_serialization() {
    let st = states();
    let mut n = PartialNotifier::new();
    let mut v = PresenceView::new();
    assert!(matches!(take(&mut v, &n.notify(&st[0])), Update::Replaced | Update::Patched));
    assert!(matches!(take(&mut v, &n.notify(&st[1])), Update::Replaced | Update::Patched));
    let n_json = serde_json::to_string(&n).unwrap();
    let v_json = serde_json::to_string(&v).unwrap();
    let mut n: PartialNotifier = serde_json::from_str(&n_json).unwrap();
    let mut v: PresenceView = serde_json::from_str(&v_json).unwrap();
    assert_eq!((v.presence(), v.version(), n.version()), (Some(&st[1]), Some(2), 2));
    let body = n.notify(&st[2]);
    assert!(matches!(
        PartialBody::parse(&body).unwrap(),
        PartialBody::Diff { version: Some(3), .. }
    ));
    assert_eq!(take(&mut v, &body), Update::Patched);
    assert_eq!(v.presence(), Some(&st[2]));
    // A fresh view restores to nothing; a broken document is refused.
    let empty: PresenceView = serde_json::from_str(r#"{"document":null,"version":null}"#).unwrap();
    assert_eq!(empty.presence(), None);
    assert!(serde_json::from_str::<PresenceView>(r#"{"document":"<x","version":1}"#).is_err());
}

#[test]
fn the_polled_notifier_sends_only_changes_and_folds_states() {
    let st = states();
    let mut n = PartialNotifier::new();
    let mut v = PresenceView::new();
    let mut body = Vec::new();
    let mut send = |n: &mut PartialNotifier, v: &mut PresenceView| {
        body.clear();
        n.poll_transmit(&mut body).map(|len| {
            assert_eq!(len, body.len());
            take(v, &body)
        })
    };
    assert_eq!(send(&mut n, &mut v), None, "nothing given, nothing to send");
    n.handle_presence(&st[0]);
    assert_eq!(send(&mut n, &mut v), Some(Update::Replaced));
    n.handle_presence(&st[0]);
    assert_eq!(send(&mut n, &mut v), None, "no change, no NOTIFY");
    // two states before the body is taken fold into one version
    n.handle_presence(&st[1]);
    n.handle_presence(&st[2]);
    assert_eq!(send(&mut n, &mut v), Some(Update::Patched));
    assert_eq!((v.presence(), v.version()), (Some(&st[2]), Some(2)));
    // a change undone before the body is taken leaves nothing to send
    n.handle_presence(&st[3]);
    n.handle_presence(&st[2]);
    assert_eq!(send(&mut n, &mut v), None);
    // a resync (a refresh, a failed NOTIFY) queues the last state sent as full state
    n.resync();
    let mut w = PresenceView::new();
    assert_eq!(send(&mut n, &mut w), Some(Update::Replaced));
    assert_eq!((w.presence(), w.version()), (Some(&st[2]), Some(3)));
}

/// The model diff (cost following the change): applied to the watcher's copy of the old
/// document it gives the new one, for every kind of change it takes (tuples changed, removed,
/// added, persons and devices changed), and it declines what it does not take; what it writes
/// validates against the pidf-diff schema.
#[test]
fn model_diff_applies_to_the_watcher_copy() {
    use simple_pidf::partial::{full_body, model_diff};
    let states = states();
    let mut written = Vec::new();
    for pair in states.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        let Some(diff) = model_diff(old, new, 2) else {
            assert!(
                old.notes != new.notes
                    || old.components.len() != new.components.len()
                    || old.tuples.iter().map(|t| &t.id).ne(new
                        .tuples
                        .iter()
                        .map(|t| &t.id)
                        .filter(|id| old.tuples.iter().any(|t| &t.id == *id))),
                "declined a change it takes"
            );
            continue;
        };
        let mut view = PresenceView::new();
        assert_eq!(take(&mut view, &full_body(old, 1)), Update::Replaced);
        assert_eq!(take(&mut view, &diff), Update::Patched, "{}", String::from_utf8_lossy(&diff));
        assert_eq!(view.presence(), Some(new));
        written.push(("model diff".to_owned(), diff));
    }
    // a big document with one tuple changed: the diff names that tuple alone
    let mut big = Presence::new("pres:someone@example.com");
    for i in 0..100 {
        big.tuples.push(Tuple::new(format!("t{i}"), Basic::Open));
    }
    let mut changed = big.clone();
    changed.tuples[57].status.basic = Some(Basic::Closed);
    changed.tuples.push(Tuple::new("t100", Basic::Open));
    changed.tuples.remove(3);
    let diff = model_diff(&big, &changed, 2).unwrap();
    assert!(diff.len() < 1200, "{} bytes", diff.len());
    let mut view = PresenceView::new();
    take(&mut view, &full_body(&big, 1));
    assert_eq!(take(&mut view, &diff), Update::Patched);
    assert_eq!(view.presence(), Some(&changed));
    written.push(("big".to_owned(), diff));
    // reordered tuples are not its shape
    let mut reordered = big.clone();
    reordered.tuples.swap(0, 1);
    assert!(model_diff(&big, &reordered, 2).is_none());
    if xmllint() {
        let failures = validate(&written);
        assert!(failures.is_empty(), "{failures:#?}");
    }
}

proptest! {
    /// Random documents and random edits of their tuples and components: whenever the model
    /// diff takes the change, the watcher ends up with the new document.
    #[test]
    fn model_diff_round_trips(old in strategy::presence(), edits in proptest::collection::vec((0usize..8, any::<bool>()), 0..6)) {
        use simple_pidf::partial::{full_body, model_diff};
        let mut new = old.clone();
        for (i, open) in edits {
            if let Some(t) = new.tuples.get_mut(i) {
                t.status.basic = Some(if open { Basic::Open } else { Basic::Closed });
            } else if open {
                new.tuples.push(Tuple::new(format!("added{i}"), Basic::Open));
            } else if !new.tuples.is_empty() {
                new.tuples.remove(0);
            }
        }
        strategy::assign_ids(&mut new);
        if let Some(diff) = model_diff(&old, &new, 2) {
            let mut view = PresenceView::new();
            prop_assert_eq!(take(&mut view, &full_body(&old, 1)), Update::Replaced);
            prop_assert_eq!(take(&mut view, &diff), Update::Patched);
            prop_assert_eq!(view.presence(), Some(&new));
        }
    }
}
