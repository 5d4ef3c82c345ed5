//! Composition of several publishers' documents into one view.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

mod common;

use common::{strategy, validate, xmllint};
use proptest::prelude::*;
use simple_pidf::compose::{ComposeConfig, compose_with};
use simple_pidf::rpid::{Activities, Activity, Meta, Mood, MoodValue};
use simple_pidf::{
    Basic, Component, DateTime, Device, Extension, Note, Person, Presence, Raw, Tuple, compose,
};

const ENTITY: &str = "pres:alice@example.com";

fn ts(s: &str) -> Option<DateTime> {
    Some(DateTime::parse(s).unwrap())
}

fn doc(tuples: Vec<Tuple>, components: Vec<Component>) -> Presence {
    Presence { entity: ENTITY.into(), tuples, notes: vec![], components, attributes: vec![] }
}

fn tuple(id: &str, basic: Basic, at: &str) -> Tuple {
    let mut t = Tuple::new(id, basic);
    t.timestamp = ts(at);
    t
}

fn person(id: &str, at: Option<&str>, ext: Vec<Extension>) -> Component {
    let mut p = Person::new(id);
    p.timestamp = at.and_then(ts);
    p.extensions = ext;
    Component::Person(p)
}

#[test]
fn services_by_id_newest_wins() {
    let a = doc(
        vec![
            tuple("im", Basic::Open, "2026-11-24T10:00:00Z"),
            tuple("voice", Basic::Open, "2026-11-24T10:00:00Z"),
        ],
        vec![],
    );
    // A later publication carrying an older timestamp for "im" does not win...
    let b = doc(
        vec![
            tuple("im", Basic::Closed, "2026-11-24T09:00:00Z"),
            tuple("video", Basic::Open, "2026-11-24T09:00:00Z"),
        ],
        vec![],
    );
    let v = compose(ENTITY, &[&a, &b]);
    assert_eq!(
        v.tuples.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["im", "voice", "video"]
    );
    assert_eq!(v.tuple("im").unwrap().status.basic, Some(Basic::Open));
    // ...a newer one does, and without timestamps the later source does.
    let c = doc(vec![tuple("im", Basic::Closed, "2026-11-24T11:00:00Z")], vec![]);
    assert_eq!(compose(ENTITY, &[&a, &c]).tuple("im").unwrap().status.basic, Some(Basic::Closed));
    let d = doc(vec![Tuple::new("im", Basic::Closed)], vec![]);
    assert_eq!(compose(ENTITY, &[&a, &d]).tuple("im").unwrap().status.basic, Some(Basic::Closed));
    assert_eq!(compose(ENTITY, &[&d, &a]).tuple("im").unwrap().status.basic, Some(Basic::Open));
}

#[test]
fn persons_fold_per_characteristic() {
    let away = Extension::Activities(Activities::new([Activity::Away]));
    let meeting = Extension::Activities(Activities::new([Activity::Meeting]));
    let happy = Extension::Mood(Mood::new([MoodValue::Happy]));
    let pet = Extension::Raw(Raw::parse(b"<x:pet xmlns:x='urn:example:pets'>cat</x:pet>").unwrap());
    let card = Extension::Card("http://example.com/card.vcd".into());
    // Phone (newest for activities), laptop (older, but the only one with mood and a pet).
    let laptop = doc(
        vec![],
        vec![person(
            "pl",
            Some("2026-11-24T09:00:00Z"),
            vec![away.clone(), happy.clone(), pet.clone()],
        )],
    );
    let phone = doc(
        vec![],
        vec![person("pp", Some("2026-11-24T10:00:00Z"), vec![meeting.clone(), card.clone()])],
    );
    for order in [[&laptop, &phone], [&phone, &laptop]] {
        let v = compose(ENTITY, &order);
        let persons: Vec<&Person> = v.persons().collect();
        assert_eq!(persons.len(), 1);
        let p = persons[0];
        assert_eq!(p.id, "pp");
        assert_eq!(p.timestamp, ts("2026-11-24T10:00:00Z"));
        for e in [&meeting, &happy, &pet, &card] {
            assert!(p.extensions.contains(e), "{e:?} in {:?}", p.extensions);
        }
        assert!(!p.extensions.contains(&away));
    }
}

#[test]
fn devices_by_urn_and_ids_unique() {
    let mut d1 = Device::new("d", "urn:uuid:1");
    d1.notes.push(Note::new("old"));
    d1.timestamp = ts("2026-01-01T00:00:00Z");
    let mut d1b = Device::new("x", "urn:uuid:1");
    d1b.notes.push(Note::new("new"));
    d1b.timestamp = ts("2026-02-01T00:00:00Z");
    let d2 = Device::new("d", "urn:uuid:2");
    let a = doc(vec![Tuple::new("d", Basic::Open)], vec![Component::Device(d1)]);
    let b = doc(vec![], vec![Component::Device(d1b), Component::Device(d2)]);
    let v = compose(ENTITY, &[&a, &b]);
    let devices: Vec<&Device> = v.devices().collect();
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0].notes, [Note::new("new")]);
    assert_eq!(devices[1].device_id, "urn:uuid:2");
    // ids are unique across tuples, persons and devices, so the view is a valid document.
    let mut ids: Vec<&str> = v
        .tuples
        .iter()
        .map(|t| t.id.as_str())
        .chain(devices.iter().map(|d| d.id.as_str()))
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert_eq!(Presence::parse(&v.to_vec()).unwrap(), v);
}

#[test]
fn notes_and_unknown_elements_unite() {
    let mut a = doc(vec![], vec![]);
    a.notes = vec![Note::new("hello"), Note::with_lang("bonjour", "fr")];
    let mut b = doc(vec![], vec![]);
    b.notes = vec![Note::new("hello"), Note::new("bye")];
    let raw = Extension::Raw(Raw::parse(b"<x:y xmlns:x='urn:x'/>").unwrap());
    b.components.push(Component::Other(raw.clone()));
    a.components.push(Component::Other(raw));
    let v = compose(ENTITY, &[&a, &b]);
    assert_eq!(v.notes.len(), 3);
    assert_eq!(v.components.len(), 1);
}

#[test]
fn expired_information_is_dropped() {
    let mut until = Activities::new([Activity::Meeting]);
    until.meta = Meta { until: ts("2026-11-24T10:00:00Z"), ..Meta::default() };
    let mut t = Tuple::new("im", Basic::Open);
    t.extensions.push(Extension::TimedStatus(simple_pidf::timed::TimedStatus {
        until: ts("2026-11-24T08:00:00Z"),
        ..simple_pidf::timed::TimedStatus::new(ts("2026-11-24T07:00:00Z").unwrap(), Basic::Closed)
    }));
    let a = doc(vec![t], vec![person("p", None, vec![Extension::Activities(until)])]);
    let mut config = ComposeConfig::default();
    config.now = ts("2026-11-24T09:00:00Z");
    let v = compose_with(ENTITY, &[&a], &config);
    assert!(v.tuples[0].extensions.is_empty());
    assert_eq!(v.persons().next().unwrap().extensions.len(), 1);
    config.now = ts("2026-11-24T10:00:00Z");
    let v = compose_with(ENTITY, &[&a], &config);
    assert!(v.persons().next().unwrap().extensions.is_empty());
}

#[test]
fn composed_views_validate() {
    if !xmllint() {
        return;
    }
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strat = proptest::collection::vec(strategy::presence(), 1..4);
    let docs: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| {
            let sources = strat.new_tree(&mut runner).unwrap().current();
            let refs: Vec<&Presence> = sources.iter().collect();
            (format!("composition #{i}"), compose(ENTITY, &refs).to_vec())
        })
        .collect();
    let failures = validate(&docs);
    assert!(failures.is_empty(), "{}", failures[0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every service of every source is in the view; the view reads back as written;
    /// composing one document with itself changes nothing but folding its persons.
    #[test]
    fn composition_keeps_every_service(sources in proptest::collection::vec(strategy::presence(), 1..4)) {
        let refs: Vec<&Presence> = sources.iter().collect();
        let v = compose(ENTITY, &refs);
        for s in &sources {
            for t in &s.tuples {
                prop_assert!(v.tuple(&t.id).is_some());
            }
        }
        prop_assert!(v.persons().count() <= 1);
        prop_assert_eq!(&Presence::parse(&v.to_vec()).unwrap(), &v);
        let again = compose(ENTITY, &[&v, &v]);
        prop_assert_eq!(again, v);
    }
}

/// Inputs an attacker could publish: many services with one id, many devices with one
/// element id, many distinct unknown elements. Composition stays linear (hash indexes), so
/// these finish at once; with the pairwise scans they replaced, they took minutes.
#[test]
fn large_inputs_compose() {
    let n = 20_000;
    let mut a = doc(vec![], vec![]);
    for i in 0..n {
        a.components.push(Component::Device(Device::new("d", format!("urn:uuid:{i}"))));
        a.components.push(Component::Other(Extension::Raw(
            Raw::parse(format!("<x:e xmlns:x='urn:x' n='{i}'/>").as_bytes()).unwrap(),
        )));
    }
    let mut b = doc(vec![], vec![]);
    for _ in 0..n {
        b.tuples.push(Tuple::new("same", Basic::Open));
    }
    let v = compose(ENTITY, &[&a, &b, &a]);
    assert_eq!(v.tuples.len(), 1);
    assert_eq!(v.devices().count(), n);
    assert_eq!(v.devices().last().unwrap().id, format!("d-{n}"));
    assert_eq!(v.components.len(), 2 * n);
}
