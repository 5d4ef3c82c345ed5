//! Composition: several publishers' documents for one presentity (RFC 3903's event state,
//! one document per publication) made into the one view watchers get (RFC 4479 §4 leaves
//! the policy to the compositor; this is ours, documented rule by rule).
//!
//! Sources are given oldest publication first. Where two pieces of information compete, the
//! newer wins: the one with the later timestamp when both carry one (`<timestamp>`), else the
//! one from the later source.
//!
//! - **Services**: every tuple is kept; tuples with the same `id` are the same service, and
//!   the newer one is kept.
//! - **Devices**: devices with the same `<deviceID>` (the device URN, RFC 4479 §3.3) are the
//!   same device, and the newer one is kept; element `id`s that would repeat are made unique.
//! - **Person**: all persons fold into one (RFC 4479 §3.2: the person is one entity). For
//!   each kind of characteristic (`<rpid:activities>`, `<rpid:mood>`, `<cipid:card>`, an
//!   unknown element by its expanded name...) the newest person that has it gives all of its
//!   elements of that kind; notes come from the newest person with notes; the timestamp is
//!   the newest.
//! - **Notes and other top-level elements**: the union, without repeats.
//! - With [`ComposeConfig::now`], information no longer in effect is dropped: RPID elements
//!   whose `until` has passed, and timed-status spans that have ended.
//!
//! ```
//! use simple_pidf::{compose, Basic, Extension, Person, Presence, Tuple};
//! use simple_pidf::rpid::{Activities, Activity};
//!
//! let mut phone = Presence::new("pres:alice@example.com");
//! phone.tuples.push(Tuple::new("phone", Basic::Open));
//! let mut p = Person::new("p1");
//! p.extensions.push(Extension::Activities(Activities::new([Activity::Meeting])));
//! phone.components.push(simple_pidf::Component::Person(p));
//!
//! let mut laptop = Presence::new("pres:alice@example.com");
//! laptop.tuples.push(Tuple::new("im", Basic::Closed));
//! let mut p = Person::new("p2");
//! p.extensions.push(Extension::Activities(Activities::new([Activity::Away])));
//! laptop.components.push(simple_pidf::Component::Person(p));
//!
//! let view = compose("pres:alice@example.com", &[&phone, &laptop]);
//! assert_eq!(view.tuples.len(), 2);
//! let person = view.persons().next().unwrap();
//! assert_eq!(person.extensions, [Extension::Activities(Activities::new([Activity::Away]))]);
//! ```

use std::collections::{HashMap, HashSet};

use crate::datetime::DateTime;
use crate::model::{Component, Device, Extension, Note, Person, Presence, Tuple};

/// Settings of [`compose_with`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ComposeConfig {
    /// The current time: information whose time span has ended is left out.
    pub now: Option<DateTime>,
}

/// Composes `sources` (oldest publication first) into one document for `entity`.
pub fn compose(entity: &str, sources: &[&Presence]) -> Presence {
    compose_with(entity, sources, &ComposeConfig::default())
}

/// Whether `cand` (from a later source) is newer than `cur`: by timestamps when both have
/// one, else by source order.
fn newer(cand: Option<&DateTime>, cur: Option<&DateTime>) -> bool {
    match (cand, cur) {
        (Some(a), Some(b)) => a.unix_nanos() >= b.unix_nanos(),
        _ => true,
    }
}

/// A person characteristic kind (expanded name), its elements, and the timestamp of the
/// person they came from.
type Trait = ((String, String), Vec<Extension>, Option<DateTime>);

/// A hash equal for equal extensions (typed ones by their debug form, which equal values
/// share; raw ones by their XML information).
fn fingerprint(e: &Extension) -> u64 {
    use core::hash::{Hash, Hasher};
    if let Extension::Raw(r) = e {
        return r.fingerprint();
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{e:?}").hash(&mut h);
    h.finish()
}

/// The kind of a characteristic: its expanded name.
fn kind(e: &Extension) -> (String, String) {
    let (ns, local) = e.name();
    (ns.to_owned(), local.to_owned())
}

/// Composes `sources` (oldest publication first) into one document for `entity`.
pub fn compose_with(entity: &str, sources: &[&Presence], config: &ComposeConfig) -> Presence {
    let mut out = Presence::new(entity);
    // Indexes keep composition linear in the size of the sources.
    let mut tuple_at: HashMap<String, usize> = HashMap::new();
    let mut device_at: HashMap<String, usize> = HashMap::new();
    let mut trait_at: HashMap<(String, String), usize> = HashMap::new();
    let mut devices: Vec<Device> = Vec::new();
    let mut others: Vec<Extension> = Vec::new();
    let mut others_by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut traits: Vec<Trait> = Vec::new();
    let mut person_id: Option<String> = None;
    let mut person_notes: Option<(Vec<Note>, Option<DateTime>)> = None;
    let mut person_ts: Option<DateTime> = None;
    let mut person_attrs = Vec::new();
    let mut any_person = false;
    let mut notes_seen: HashSet<Note> = HashSet::new();

    for src in sources {
        for t in &src.tuples {
            match tuple_at.get(&t.id) {
                Some(&i) if newer(t.timestamp.as_ref(), out.tuples[i].timestamp.as_ref()) => {
                    out.tuples[i] = t.clone();
                }
                Some(_) => {}
                None => {
                    tuple_at.insert(t.id.clone(), out.tuples.len());
                    out.tuples.push(t.clone());
                }
            }
        }
        for n in &src.notes {
            if notes_seen.insert(n.clone()) {
                out.notes.push(n.clone());
            }
        }
        for c in &src.components {
            match c {
                Component::Device(d) => match device_at.get(&d.device_id) {
                    Some(&i) if newer(d.timestamp.as_ref(), devices[i].timestamp.as_ref()) => {
                        devices[i] = d.clone();
                    }
                    Some(_) => {}
                    None => {
                        device_at.insert(d.device_id.clone(), devices.len());
                        devices.push(d.clone());
                    }
                },
                Component::Person(p) => {
                    any_person = true;
                    fold_person(p, &mut traits, &mut trait_at, &mut person_notes);
                    if newer(p.timestamp.as_ref(), person_ts.as_ref()) {
                        person_id = Some(p.id.clone());
                        person_attrs.clone_from(&p.attributes);
                        if p.timestamp.is_some() {
                            person_ts.clone_from(&p.timestamp);
                        }
                    }
                }
                Component::Other(e) => {
                    // Bucketed by a hash of the content, so only likely equals are compared.
                    let same = others_by_hash.entry(fingerprint(e)).or_default();
                    if !same.iter().any(|&i: &usize| others[i] == *e) {
                        same.push(others.len());
                        others.push(e.clone());
                    }
                }
            }
        }
    }

    let mut ids =
        Ids { taken: out.tuples.iter().map(|t| t.id.clone()).collect(), ..Ids::default() };
    if any_person {
        let mut p = Person::new(ids.unique(person_id.unwrap_or_else(|| "p".to_owned())));
        p.extensions = traits.into_iter().flat_map(|(_, v, _)| v).collect();
        p.notes = person_notes.map(|(n, _)| n).unwrap_or_default();
        p.timestamp = person_ts;
        p.attributes = person_attrs;
        out.components.push(Component::Person(p));
    }
    for mut d in devices {
        d.id = ids.unique(core::mem::take(&mut d.id));
        out.components.push(Component::Device(d));
    }
    out.components.extend(others.into_iter().map(Component::Other));
    if let Some(now) = &config.now {
        drop_expired(&mut out, now);
    }
    // a server keeps one composed document per presentity: no spare room from the pushes
    out.tuples.shrink_to_fit();
    out.notes.shrink_to_fit();
    out.components.shrink_to_fit();
    out
}

fn fold_person(
    p: &Person,
    traits: &mut Vec<Trait>,
    trait_at: &mut HashMap<(String, String), usize>,
    notes: &mut Option<(Vec<Note>, Option<DateTime>)>,
) {
    let mut mine: Vec<((String, String), Vec<Extension>)> = Vec::new();
    let mut mine_at: HashMap<(String, String), usize> = HashMap::new();
    for e in &p.extensions {
        let k = kind(e);
        match mine_at.get(&k) {
            Some(&i) => mine[i].1.push(e.clone()),
            None => {
                mine_at.insert(k.clone(), mine.len());
                mine.push((k, vec![e.clone()]));
            }
        }
    }
    for (k, v) in mine {
        match trait_at.get(&k) {
            Some(&i) if newer(p.timestamp.as_ref(), traits[i].2.as_ref()) => {
                traits[i].1 = v;
                traits[i].2.clone_from(&p.timestamp);
            }
            Some(_) => {}
            None => {
                trait_at.insert(k.clone(), traits.len());
                traits.push((k, v, p.timestamp.clone()));
            }
        }
    }
    if !p.notes.is_empty()
        && notes.as_ref().is_none_or(|(_, ts)| newer(p.timestamp.as_ref(), ts.as_ref()))
    {
        *notes = Some((p.notes.clone(), p.timestamp.clone()));
    }
}

/// Ids taken so far, and the next suffix to try per id.
#[derive(Default)]
struct Ids {
    taken: HashSet<String>,
    next: HashMap<String, u64>,
}

impl Ids {
    /// `id`, or `id` with a numeric suffix if it is taken; recorded as taken.
    fn unique(&mut self, id: String) -> String {
        if self.taken.insert(id.clone()) {
            return id;
        }
        let n = self.next.entry(id.clone()).or_insert(2);
        loop {
            let candidate = format!("{id}-{n}");
            *n += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// Whether an extension's time span ended before `now`.
fn expired(e: &Extension, now: &DateTime) -> bool {
    let until = match e {
        Extension::Activities(v) => v.meta.until.as_ref(),
        Extension::Mood(v) => v.meta.until.as_ref(),
        Extension::PlaceType(v) => v.meta.until.as_ref(),
        Extension::Privacy(v) => v.meta.until.as_ref(),
        Extension::Relationship(v) => v.meta.until.as_ref(),
        Extension::ServiceClass(v) => v.meta.until.as_ref(),
        Extension::Sphere(v) => v.meta.until.as_ref(),
        Extension::PlaceIs(v) => v.meta.until.as_ref(),
        Extension::StatusIcon(v) => v.meta.until.as_ref(),
        Extension::TimeOffset(v) => v.meta.until.as_ref(),
        Extension::TimedStatus(t) => t.until.as_ref(),
        Extension::DeviceId(_)
        | Extension::Class(_)
        | Extension::UserInput(_)
        | Extension::Card(_)
        | Extension::DisplayName(_)
        | Extension::Homepage(_)
        | Extension::Icon(_)
        | Extension::Map(_)
        | Extension::Sound(_)
        | Extension::ServCaps(_)
        | Extension::DevCaps(_)
        | Extension::Raw(_) => None,
    };
    until.is_some_and(|u| u.unix_nanos() <= now.unix_nanos())
}

fn drop_expired(p: &mut Presence, now: &DateTime) {
    let keep = |e: &Extension| !expired(e, now);
    for t in &mut p.tuples {
        prune_tuple(t, &keep);
    }
    for c in &mut p.components {
        match c {
            Component::Person(x) => x.extensions.retain(keep),
            Component::Device(x) => x.extensions.retain(keep),
            Component::Other(_) => {}
        }
    }
    p.components.retain(|c| !matches!(c, Component::Other(e) if expired(e, now)));
}

fn prune_tuple(t: &mut Tuple, keep: &impl Fn(&Extension) -> bool) {
    t.extensions.retain(keep);
    t.status.extensions.retain(keep);
}
