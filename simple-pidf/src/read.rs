//! Reading presence documents from a [`Document`] tree into the typed model.
//!
//! Structural elements (presence, tuple, status, person, device and their PIDF children) are
//! checked and their faults reported with the element's path. Extension elements are read
//! into their typed form when it represents them exactly and kept verbatim otherwise.

use simple_patch::{Document, NodeId, NodeKind, XML_NS, is_xml_ws};

use crate::caps::{DevCaps, Priorities, PriorityRange, ServCaps, Support, SupportStyle};
use crate::datetime::DateTime;
use crate::error::{Error, ErrorKind};
use crate::model::{
    Basic, Component, Contact, Device, Extension, Note, OtherAttribute, Person, Presence, QValue,
    Raw, Status, Tuple,
};
use crate::rpid::{
    ActiveIdle, Meta, PlaceAudio, PlaceIs, PlaceText, PlaceVideo, StatusIcon, TimeOffset,
    UserInput, Value, Values,
};
use crate::timed::TimedStatus;
use crate::{ns, trim_ws};

/// The path of `node` for error messages: local names from the root, with a 1-based index
/// where siblings share the name (`/presence/tuple[2]/status`).
pub(crate) fn path(doc: &Document, node: NodeId) -> String {
    let mut parts = Vec::new();
    let mut cur = Some(node);
    while let Some(n) = cur {
        if let Some(name) = doc.name(n) {
            let local = name.local();
            let same = |c: &NodeId| doc.name(*c).is_some_and(|q| q.local() == local);
            let parent = doc.parent(n);
            let siblings: Vec<NodeId> =
                parent.map(|p| doc.children(p).filter(same).collect()).unwrap_or_default();
            if siblings.len() > 1 {
                let i = siblings.iter().position(|&c| c == n).map_or(0, |i| i + 1);
                parts.push(format!("{local}[{i}]"));
            } else {
                parts.push(local.to_owned());
            }
        }
        cur = doc.parent(n);
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

fn err(doc: &Document, node: NodeId, kind: ErrorKind) -> Error {
    Error::new(kind, path(doc, node))
}

/// The element children of `node`; character data other than white space is an error.
fn elements(doc: &Document, node: NodeId) -> Result<impl Iterator<Item = NodeId> + '_, Error> {
    elements_only(doc, node).ok_or_else(|| err(doc, node, ErrorKind::UnexpectedText))
}

/// The element children of `node`, or `None` if it holds character data.
fn elements_only(doc: &Document, node: NodeId) -> Option<impl Iterator<Item = NodeId> + '_> {
    let text =
        doc.children(node).any(|c| matches!(doc.kind(c), NodeKind::Text(t) if !is_xml_ws(t)));
    (!text).then(|| doc.children(node).filter(|&c| doc.is_element(c)))
}

/// The text of a simple-content element, or `None` if it has element children.
fn text(doc: &Document, node: NodeId) -> Option<String> {
    let mut s = String::new();
    for c in doc.children(node) {
        match doc.kind(c) {
            NodeKind::Element(_) => return None,
            NodeKind::Text(t) => s.push_str(t),
            NodeKind::Comment(_) | NodeKind::ProcessingInstruction { .. } | NodeKind::Document => {}
        }
    }
    Some(s)
}

/// Whether `node` is an element without attributes and without content but white space.
fn is_empty_element(doc: &Document, node: NodeId) -> bool {
    doc.element(node).is_some_and(|e| e.plain_attributes().next().is_none())
        && doc.children(node).all(|c| match doc.kind(c) {
            NodeKind::Text(t) => is_xml_ws(t),
            NodeKind::Comment(_) | NodeKind::ProcessingInstruction { .. } => true,
            NodeKind::Element(_) | NodeKind::Document => false,
        })
}

fn name_of(doc: &Document, node: NodeId) -> (&str, &str) {
    (doc.namespace(node).unwrap_or(""), doc.name(node).map_or("", |q| q.local()))
}

/// The plain attributes of `node`: (namespace, local name, value, prefix).
fn attributes(
    doc: &Document,
    node: NodeId,
) -> impl Iterator<Item = (Option<&str>, &str, &str, Option<&str>)> {
    doc.element(node).into_iter().flat_map(move |e| {
        e.plain_attributes().map(move |a| {
            (
                doc.attribute_namespace(node, &a.name),
                a.name.local(),
                a.value.as_str(),
                a.name.prefix(),
            )
        })
    })
}

fn other_attribute(
    ns: Option<&str>,
    local: &str,
    value: &str,
    prefix: Option<&str>,
) -> OtherAttribute {
    OtherAttribute {
        namespace: ns.map(str::to_owned),
        prefix: prefix.map(str::to_owned),
        local: local.to_owned(),
        value: value.to_owned(),
    }
}

/// A `Note_t` element: text with an optional `xml:lang`; `None` if it is anything else.
fn note(doc: &Document, node: NodeId) -> Option<Note> {
    let mut lang = None;
    for (ns, local, value, _) in attributes(doc, node) {
        match (ns, local) {
            (Some(XML_NS), "lang") => lang = Some(value.to_owned()),
            _ => return None,
        }
    }
    Some(Note { text: text(doc, node)?, lang })
}

fn strict_note(doc: &Document, node: NodeId) -> Result<Note, Error> {
    note(doc, node).ok_or_else(|| err(doc, node, ErrorKind::InvalidValue("note")))
}

fn timestamp(doc: &Document, node: NodeId) -> Result<DateTime, Error> {
    text(doc, node)
        .and_then(|t| DateTime::parse(&t))
        .ok_or_else(|| err(doc, node, ErrorKind::InvalidValue("timestamp")))
}

fn set_once<T>(slot: &mut Option<T>, v: T, doc: &Document, node: NodeId) -> Result<(), Error> {
    if slot.is_some() {
        return Err(err(doc, node, ErrorKind::UnexpectedElement));
    }
    *slot = Some(v);
    Ok(())
}

/// Which root a presence document has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    /// `<presence>` (RFC 3863).
    Presence,
    /// `<pidf-full>` (RFC 5262 §4.2), whose `version` the caller reads.
    PidfFull,
}

pub(crate) fn presence(doc: &Document, node: NodeId, root: Root) -> Result<Presence, Error> {
    let (ns, local) = name_of(doc, node);
    let ok = match root {
        Root::Presence => ns == ns::PIDF && local == "presence",
        Root::PidfFull => ns == ns::PIDF_DIFF && local == "pidf-full",
    };
    if !ok {
        return Err(err(doc, node, ErrorKind::UnexpectedRoot));
    }
    let entity = doc
        .attribute(node, None, "entity")
        .map(|v| trim_ws(v).to_owned())
        .ok_or_else(|| err(doc, node, ErrorKind::MissingAttribute("entity")))?;
    // pidf-full's version is the caller's
    let own: &[&str] = if root == Root::PidfFull { &["entity", "version"] } else { &["entity"] };
    let mut p =
        Presence { entity, attributes: rest_attributes(doc, node, own), ..Presence::default() };
    let mut ids: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for c in elements(doc, node)? {
        match name_of(doc, c) {
            (ns::PIDF, "tuple") => p.tuples.push(tuple(doc, c)?),
            (ns::PIDF, "note") => p.notes.push(strict_note(doc, c)?),
            (ns::DATA_MODEL, "person") => p.components.push(Component::Person(person(doc, c)?)),
            (ns::DATA_MODEL, "device") => p.components.push(Component::Device(device(doc, c)?)),
            _ => p.components.push(Component::Other(extension(doc, c))),
        }
        let component =
            matches!(name_of(doc, c), (ns::PIDF, "tuple") | (ns::DATA_MODEL, "person" | "device"));
        if let Some(id) = doc.attribute(c, None, "id").filter(|_| component) {
            if !ids.insert(trim_ws(id)) {
                return Err(err(doc, c, ErrorKind::DuplicateId));
            }
        }
    }
    Ok(p)
}

fn required_id(doc: &Document, node: NodeId) -> Result<String, Error> {
    doc.attribute(node, None, "id")
        .map(|v| trim_ws(v).to_owned())
        .ok_or_else(|| err(doc, node, ErrorKind::MissingAttribute("id")))
}

/// The attributes of `node` but the unprefixed ones named in `except`, as read.
fn rest_attributes(doc: &Document, node: NodeId, except: &[&str]) -> Vec<OtherAttribute> {
    attributes(doc, node)
        .filter(|(ns, local, _, _)| !(ns.is_none() && except.contains(local)))
        .map(|(ns, local, value, prefix)| other_attribute(ns, local, value, prefix))
        .collect()
}

fn tuple(doc: &Document, node: NodeId) -> Result<Tuple, Error> {
    let mut t = Tuple {
        id: required_id(doc, node)?,
        attributes: rest_attributes(doc, node, &["id"]),
        ..Tuple::default()
    };
    let mut status_seen = None;
    for c in elements(doc, node)? {
        match name_of(doc, c) {
            (ns::PIDF, "status") => set_once(&mut status_seen, status(doc, c)?, doc, c)?,
            (ns::PIDF, "contact") => set_once(&mut t.contact, contact(doc, c)?, doc, c)?,
            (ns::PIDF, "note") => t.notes.push(strict_note(doc, c)?),
            (ns::PIDF, "timestamp") => set_once(&mut t.timestamp, timestamp(doc, c)?, doc, c)?,
            _ => t.extensions.push(extension(doc, c)),
        }
    }
    t.status = status_seen.ok_or_else(|| err(doc, node, ErrorKind::MissingElement("status")))?;
    Ok(t)
}

fn status(doc: &Document, node: NodeId) -> Result<Status, Error> {
    let mut s = Status::default();
    for c in elements(doc, node)? {
        match name_of(doc, c) {
            (ns::PIDF, "basic") => {
                let b = text(doc, c)
                    .and_then(|t| Basic::parse(&t))
                    .ok_or_else(|| err(doc, c, ErrorKind::InvalidValue("basic")))?;
                set_once(&mut s.basic, b, doc, c)?;
            }
            _ => s.extensions.push(extension(doc, c)),
        }
    }
    Ok(s)
}

fn contact(doc: &Document, node: NodeId) -> Result<Contact, Error> {
    let mut priority = None;
    for (ns, local, value, _) in attributes(doc, node) {
        match (ns, local) {
            (None, "priority") => {
                priority = Some(
                    QValue::parse(value)
                        .ok_or_else(|| err(doc, node, ErrorKind::InvalidValue("priority")))?,
                );
            }
            _ => return Err(err(doc, node, ErrorKind::InvalidValue("contact attribute"))),
        }
    }
    let uri = text(doc, node).ok_or_else(|| err(doc, node, ErrorKind::UnexpectedElement))?;
    Ok(Contact { uri: trim_ws(&uri).to_owned(), priority })
}

fn person(doc: &Document, node: NodeId) -> Result<Person, Error> {
    let mut p = Person {
        id: required_id(doc, node)?,
        attributes: rest_attributes(doc, node, &["id"]),
        ..Person::default()
    };
    for c in elements(doc, node)? {
        match name_of(doc, c) {
            (ns::DATA_MODEL, "note") => p.notes.push(strict_note(doc, c)?),
            (ns::DATA_MODEL, "timestamp") => {
                set_once(&mut p.timestamp, timestamp(doc, c)?, doc, c)?
            }
            _ => p.extensions.push(extension(doc, c)),
        }
    }
    Ok(p)
}

fn device(doc: &Document, node: NodeId) -> Result<Device, Error> {
    let mut d = Device {
        id: required_id(doc, node)?,
        attributes: rest_attributes(doc, node, &["id"]),
        ..Device::default()
    };
    let mut device_id = None;
    for c in elements(doc, node)? {
        match name_of(doc, c) {
            (ns::DATA_MODEL, "deviceID") => {
                let v =
                    text(doc, c).ok_or_else(|| err(doc, c, ErrorKind::InvalidValue("deviceID")))?;
                set_once(&mut device_id, trim_ws(&v).to_owned(), doc, c)?;
            }
            (ns::DATA_MODEL, "note") => d.notes.push(strict_note(doc, c)?),
            (ns::DATA_MODEL, "timestamp") => {
                set_once(&mut d.timestamp, timestamp(doc, c)?, doc, c)?
            }
            _ => d.extensions.push(extension(doc, c)),
        }
    }
    d.device_id = device_id.ok_or_else(|| err(doc, node, ErrorKind::MissingElement("deviceID")))?;
    Ok(d)
}

/// An extension element: typed where the model represents it exactly, verbatim otherwise.
pub(crate) fn extension(doc: &Document, node: NodeId) -> Extension {
    typed_extension(doc, node).unwrap_or_else(|| Extension::Raw(Raw::capture(doc, node)))
}

fn typed_extension(doc: &Document, node: NodeId) -> Option<Extension> {
    let plain_uri = || {
        if attributes(doc, node).next().is_some() {
            return None;
        }
        text(doc, node).map(|t| trim_ws(&t).to_owned())
    };
    Some(match name_of(doc, node) {
        (ns::DATA_MODEL, "deviceID") => Extension::DeviceId(plain_uri()?),
        (ns::RPID, "activities") => Extension::Activities(values(doc, node)?),
        (ns::RPID, "class") => Extension::Class(plain_uri()?),
        (ns::RPID, "mood") => Extension::Mood(values(doc, node)?),
        (ns::RPID, "place-is") => Extension::PlaceIs(place_is(doc, node)?),
        (ns::RPID, "place-type") => Extension::PlaceType(values(doc, node)?),
        (ns::RPID, "privacy") => Extension::Privacy(values(doc, node)?),
        (ns::RPID, "relationship") => Extension::Relationship(values(doc, node)?),
        (ns::RPID, "service-class") => Extension::ServiceClass(values(doc, node)?),
        (ns::RPID, "sphere") => Extension::Sphere(values(doc, node)?),
        (ns::RPID, "status-icon") => {
            let meta = meta(doc, node, &[])?;
            Extension::StatusIcon(StatusIcon { meta, uri: trim_ws(&text(doc, node)?).to_owned() })
        }
        (ns::RPID, "time-offset") => {
            let meta = meta(doc, node, &["description"])?;
            let description = doc.attribute(node, None, "description").map(str::to_owned);
            let minutes = integer(&text(doc, node)?)?;
            Extension::TimeOffset(TimeOffset { meta, description, minutes })
        }
        (ns::RPID, "user-input") => Extension::UserInput(user_input(doc, node)?),
        (ns::CIPID, "card") => Extension::Card(plain_uri()?),
        (ns::CIPID, "display-name") => {
            if attributes(doc, node).next().is_some() {
                return None;
            }
            Extension::DisplayName(text(doc, node)?)
        }
        (ns::CIPID, "homepage") => Extension::Homepage(plain_uri()?),
        (ns::CIPID, "icon") => Extension::Icon(plain_uri()?),
        (ns::CIPID, "map") => Extension::Map(plain_uri()?),
        (ns::CIPID, "sound") => Extension::Sound(plain_uri()?),
        (ns::TIMED_STATUS, "timed-status") => Extension::TimedStatus(timed_status(doc, node)?),
        (ns::CAPS, "servcaps") => Extension::ServCaps(Box::new(servcaps(doc, node)?)),
        (ns::CAPS, "devcaps") => Extension::DevCaps(Box::new(devcaps(doc, node)?)),
        _ => return None,
    })
}

/// An `xs:integer` (white space collapsed, canonical form only so it writes back the same).
fn integer(s: &str) -> Option<i64> {
    let t = trim_ws(s);
    let v: i64 = t.parse().ok()?;
    (v.to_string() == t).then_some(v)
}

/// `id`, `from`, `until` and the other attributes of an RPID element (`extra` names
/// unprefixed attributes the caller reads itself).
fn meta(doc: &Document, node: NodeId, extra: &[&str]) -> Option<Meta> {
    let mut m = Meta::default();
    for (ns, local, value, prefix) in attributes(doc, node) {
        match (ns, local) {
            (None, "id") => m.id = Some(value.to_owned()),
            (None, "from") => m.from = Some(DateTime::parse(value)?),
            (None, "until") => m.until = Some(DateTime::parse(value)?),
            (None, l) if extra.contains(&l) => {}
            _ => m.attributes.push(other_attribute(ns, local, value, prefix)),
        }
    }
    Some(m)
}

fn values<T: Value>(doc: &Document, node: NodeId) -> Option<Values<T>> {
    let mut v = Values { meta: meta(doc, node, &[])?, notes: Vec::new(), values: Vec::new() };
    let Some(children) = elements_only(doc, node) else {
        // Free text, where the element allows it (sphere).
        return T::text(&text(doc, node)?).map(|t| {
            v.values.push(t);
            v
        });
    };
    for c in children {
        match name_of(doc, c) {
            (ns::RPID, "note") if v.values.is_empty() => v.notes.push(note(doc, c)?),
            (ns::RPID, "other") => v.values.push(T::other(note(doc, c)?)?),
            (ns::RPID, local) => {
                if !is_empty_element(doc, c) {
                    return None;
                }
                v.values.push(T::from_name(local)?);
            }
            _ => v.values.push(T::raw(Raw::capture(doc, c))),
        }
    }
    Some(v)
}

fn place_is(doc: &Document, node: NodeId) -> Option<PlaceIs> {
    let mut p = PlaceIs { meta: meta(doc, node, &[])?, ..PlaceIs::default() };
    // One empty RPID element inside <audio>/<video>/<text>.
    let inner = |c: NodeId| -> Option<String> {
        if doc.element(c)?.plain_attributes().next().is_some() {
            return None;
        }
        let kids: Vec<NodeId> = elements_only(doc, c)?.collect();
        let [k] = kids.as_slice() else { return None };
        let (ns, local) = name_of(doc, *k);
        (ns == ns::RPID && is_empty_element(doc, *k)).then(|| local.to_owned())
    };
    for c in elements_only(doc, node)? {
        match name_of(doc, c) {
            (ns::RPID, "note") => p.notes.push(note(doc, c)?),
            (ns::RPID, "audio") if p.audio.is_none() => {
                p.audio = Some(PlaceAudio::from_name(&inner(c)?)?)
            }
            (ns::RPID, "video") if p.video.is_none() => {
                p.video = Some(PlaceVideo::from_name(&inner(c)?)?)
            }
            (ns::RPID, "text") if p.text.is_none() => {
                p.text = Some(PlaceText::from_name(&inner(c)?)?)
            }
            _ => return None,
        }
    }
    Some(p)
}

fn user_input(doc: &Document, node: NodeId) -> Option<UserInput> {
    let mut u = UserInput::default();
    for (ns, local, value, prefix) in attributes(doc, node) {
        match (ns, local) {
            (None, "id") => u.id = Some(value.to_owned()),
            (None, "idle-threshold") => {
                let n = integer(value)?;
                u.idle_threshold = Some(u64::try_from(n).ok().filter(|&n| n > 0)?);
            }
            (None, "last-input") => u.last_input = Some(DateTime::parse(value)?),
            _ => u.attributes.push(other_attribute(ns, local, value, prefix)),
        }
    }
    u.value = match trim_ws(&text(doc, node)?) {
        "active" => ActiveIdle::Active,
        "idle" => ActiveIdle::Idle,
        _ => return None,
    };
    Some(u)
}

fn timed_status(doc: &Document, node: NodeId) -> Option<TimedStatus> {
    let mut from = None;
    let mut until = None;
    for (ns, local, value, _) in attributes(doc, node) {
        match (ns, local) {
            (None, "from") => from = Some(DateTime::parse(value)?),
            (None, "until") => until = Some(DateTime::parse(value)?),
            _ => return None,
        }
    }
    let mut t = TimedStatus { from: from?, until, basic: None, note: None, extensions: Vec::new() };
    // The element's own children first, so that when it cannot be typed its extensions have
    // not been read in vain.
    let mut others = Vec::new();
    for c in elements_only(doc, node)? {
        match name_of(doc, c) {
            (ns::TIMED_STATUS, "basic")
                if t.basic.is_none() && t.note.is_none() && others.is_empty() =>
            {
                if attributes(doc, c).next().is_some() {
                    return None;
                }
                t.basic = Some(Basic::parse(&text(doc, c)?)?);
            }
            (ns::TIMED_STATUS, "note") if t.note.is_none() && others.is_empty() => {
                t.note = Some(note(doc, c)?);
            }
            (ns::TIMED_STATUS, _) => return None,
            _ => others.push(c),
        }
    }
    t.extensions = others.into_iter().map(|c| extension(doc, c)).collect();
    Some(t)
}

fn boolean(doc: &Document, node: NodeId) -> Option<bool> {
    if attributes(doc, node).next().is_some() {
        return None;
    }
    match text(doc, node)?.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A caps feature holding `<supported>` and/or `<notsupported>` (in that order), each a list
/// of items read by `item`; `None` if it holds anything else.
#[allow(clippy::type_complexity)]
fn supported_pair<T>(
    doc: &Document,
    node: NodeId,
    item: impl Fn(NodeId) -> Option<T>,
) -> Option<(Option<Vec<T>>, Option<Vec<T>>)> {
    if attributes(doc, node).next().is_some() {
        return None;
    }
    let (mut supported, mut not_supported) = (None, None);
    for c in elements_only(doc, node)? {
        let slot = match name_of(doc, c) {
            (ns::CAPS, "supported") if supported.is_none() && not_supported.is_none() => {
                &mut supported
            }
            (ns::CAPS, "notsupported") if not_supported.is_none() => &mut not_supported,
            _ => return None,
        };
        if attributes(doc, c).next().is_some() {
            return None;
        }
        *slot = Some(elements_only(doc, c)?.map(&item).collect::<Option<Vec<T>>>()?);
    }
    Some((supported, not_supported))
}

fn support(doc: &Document, node: NodeId, style: SupportStyle) -> Option<Support> {
    let (supported, not_supported) = supported_pair(doc, node, |v| {
        let (ns, local) = name_of(doc, v);
        match style {
            _ if ns != ns::CAPS => None,
            SupportStyle::Names if is_empty_element(doc, v) => Some(local.to_owned()),
            SupportStyle::Text(tag) if local == tag && attributes(doc, v).next().is_none() => {
                text(doc, v)
            }
            SupportStyle::Names | SupportStyle::Text(_) => None,
        }
    })?;
    Some(Support { supported, not_supported })
}

fn priorities(doc: &Document, node: NodeId) -> Option<Priorities> {
    let (supported, not_supported) = supported_pair(doc, node, |v| {
        if !doc.children(v).all(|c| matches!(doc.kind(c), NodeKind::Text(t) if is_xml_ws(t))) {
            return None;
        }
        let mut min = None;
        let mut max = None;
        let mut value = None;
        for (ns, local, val, _) in attributes(doc, v) {
            match (ns, local) {
                (None, "minvalue") => min = Some(integer(val)?),
                (None, "maxvalue") => max = Some(integer(val)?),
                (None, "value") => value = Some(integer(val)?),
                _ => return None,
            }
        }
        Some(match (name_of(doc, v), min, max, value) {
            ((ns::CAPS, "lowerthan"), None, Some(m), None) => PriorityRange::LowerThan(m),
            ((ns::CAPS, "higherthan"), Some(m), None, None) => {
                PriorityRange::HigherThan { min: m, schema_spelling: false }
            }
            ((ns::CAPS, "higherhan"), Some(m), None, None) => {
                PriorityRange::HigherThan { min: m, schema_spelling: true }
            }
            ((ns::CAPS, "equals"), None, None, Some(v)) => PriorityRange::Equals(v),
            ((ns::CAPS, "range"), Some(min), Some(max), None) => PriorityRange::Range { min, max },
            _ => return None,
        })
    })?;
    Some(Priorities { supported, not_supported })
}

fn servcaps(doc: &Document, node: NodeId) -> Option<ServCaps> {
    let mut s = ServCaps { attributes: rest_attributes(doc, node, &[]), ..ServCaps::default() };
    fn once<T>(slot: &mut Option<T>, v: Option<T>) -> Option<()> {
        if slot.is_some() {
            return None;
        }
        *slot = Some(v?);
        Some(())
    }
    for c in elements_only(doc, node)? {
        let (ns, local) = name_of(doc, c);
        if ns != ns::CAPS {
            s.other.push(Raw::capture(doc, c));
            continue;
        }
        if !s.other.is_empty() {
            return None; // known elements after extensions would not write back in place
        }
        let names = SupportStyle::Names;
        match local {
            "actor" => once(&mut s.actor, support(doc, c, names))?,
            "application" => once(&mut s.application, boolean(doc, c))?,
            "audio" => once(&mut s.audio, boolean(doc, c))?,
            "automata" => once(&mut s.automata, boolean(doc, c))?,
            "class" => once(&mut s.class, support(doc, c, names))?,
            "control" => once(&mut s.control, boolean(doc, c))?,
            "data" => once(&mut s.data, boolean(doc, c))?,
            "description" => s.descriptions.push(note(doc, c)?),
            "duplex" => once(&mut s.duplex, support(doc, c, names))?,
            "event-packages" => once(&mut s.event_packages, support(doc, c, names))?,
            "extensions" => once(&mut s.extensions, support(doc, c, names))?,
            "isfocus" => once(&mut s.is_focus, boolean(doc, c))?,
            "message" => once(&mut s.message, boolean(doc, c))?,
            "methods" => once(&mut s.methods, support(doc, c, names))?,
            "languages" => once(&mut s.languages, support(doc, c, SupportStyle::Text("l")))?,
            "priority" => once(&mut s.priority, priorities(doc, c))?,
            "schemes" => once(&mut s.schemes, support(doc, c, SupportStyle::Text("s")))?,
            "text" => once(&mut s.text, boolean(doc, c))?,
            "type" => {
                if attributes(doc, c).next().is_some() {
                    return None;
                }
                s.types.push(text(doc, c)?);
            }
            "video" => once(&mut s.video, boolean(doc, c))?,
            _ => return None,
        }
    }
    Some(s)
}

fn devcaps(doc: &Document, node: NodeId) -> Option<DevCaps> {
    let mut d = DevCaps { attributes: rest_attributes(doc, node, &[]), ..DevCaps::default() };
    for c in elements_only(doc, node)? {
        match name_of(doc, c) {
            (ns::CAPS, _) if !d.other.is_empty() => return None,
            (ns::CAPS, "description") => d.descriptions.push(note(doc, c)?),
            (ns::CAPS, "mobility") if d.mobility.is_none() => {
                d.mobility = Some(support(doc, c, SupportStyle::Names)?);
            }
            (ns::CAPS, _) => return None,
            _ => d.other.push(Raw::capture(doc, c)),
        }
    }
    Some(d)
}
