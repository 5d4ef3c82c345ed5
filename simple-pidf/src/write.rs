//! Writing the typed model as XML: indented, namespaces declared once on the root with
//! conventional prefixes, extension elements kept verbatim written with the declarations
//! they need.

use crate::caps::{DevCaps, Priorities, PriorityRange, ServCaps, Support, SupportStyle};
use crate::model::{
    Component, Contact, Device, Extension, Note, OtherAttribute, Person, Presence, Raw, Status,
    Tuple,
};
use crate::ns;
use crate::rpid::{Meta, PlaceIs, Value, Values};
use crate::timed::TimedStatus;
use bytes::BufMut;

/// The namespaces the writer binds to fixed prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Pidf,
    Dm,
    Rpid,
    Cipid,
    Caps,
    Ts,
    Diff,
}

impl Ns {
    const ALL: [Self; 7] =
        [Self::Pidf, Self::Diff, Self::Dm, Self::Rpid, Self::Cipid, Self::Caps, Self::Ts];

    const fn prefix(self) -> Option<&'static str> {
        match self {
            Self::Pidf => None,
            Self::Dm => Some("dm"),
            Self::Rpid => Some("rpid"),
            Self::Cipid => Some("c"),
            Self::Caps => Some("caps"),
            Self::Ts => Some("ts"),
            Self::Diff => Some("p"),
        }
    }

    const fn uri(self) -> &'static str {
        match self {
            Self::Pidf => ns::PIDF,
            Self::Dm => ns::DATA_MODEL,
            Self::Rpid => ns::RPID,
            Self::Cipid => ns::CIPID,
            Self::Caps => ns::CAPS,
            Self::Ts => ns::TIMED_STATUS,
            Self::Diff => ns::PIDF_DIFF,
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// An indenting XML writer that records which fixed namespaces it used.
pub(crate) struct W {
    out: Vec<u8>,
    used: u8,
    /// Open elements: (namespace, local name, has element children).
    stack: Vec<(Ns, &'static str, bool)>,
    start_open: bool,
    /// Where the root's namespace declarations go.
    decl_at: usize,
    /// Declare every fixed namespace on the root, used or not, so that the root's
    /// declarations stay the same from one document to the next (for diffs).
    pub(crate) declare_all: bool,
}

impl W {
    pub(crate) fn new() -> Self {
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        Self { out, used: 0, stack: Vec::new(), start_open: false, decl_at: 0, declare_all: false }
    }

    fn close_start(&mut self) {
        if self.start_open {
            self.out.push(b'>');
            self.start_open = false;
        }
    }

    fn newline(&mut self) {
        self.out.push(b'\n');
        for _ in 0..self.stack.len() {
            self.out.extend_from_slice(b"  ");
        }
    }

    fn qname(&mut self, ns: Ns, local: &str) {
        self.used |= ns.bit();
        if let Some(p) = ns.prefix() {
            self.out.extend_from_slice(p.as_bytes());
            self.out.push(b':');
        }
        self.out.extend_from_slice(local.as_bytes());
    }

    /// Before a child element: closes the parent's start tag, records that it has element
    /// children, and indents.
    fn child(&mut self) {
        self.close_start();
        if let Some(top) = self.stack.last_mut() {
            top.2 = true;
            self.newline();
        }
    }

    pub(crate) fn start(&mut self, ns: Ns, local: &'static str) {
        self.child();
        self.out.push(b'<');
        self.qname(ns, local);
        if self.stack.is_empty() {
            self.decl_at = self.out.len();
        }
        self.stack.push((ns, local, false));
        self.start_open = true;
    }

    pub(crate) fn attr(&mut self, name: &str, value: &str) {
        self.out.push(b' ');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"=\"");
        simple_patch::escape_attr(value, &mut self.out);
        self.out.push(b'"');
    }

    fn opt_attr(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.attr(name, v);
        }
    }

    fn other_attrs(&mut self, attrs: &[OtherAttribute]) {
        for (i, a) in attrs.iter().enumerate() {
            self.out.push(b' ');
            if let Some(uri) = &a.namespace {
                // A prefix the writer binds to another namespace, or none, gets a fresh one.
                let clash =
                    |p: &str| Ns::ALL.iter().any(|n| n.prefix() == Some(p) && n.uri() != uri);
                let fresh;
                let p = match a.prefix.as_deref() {
                    Some(p) if p == "xml" || (!clash(p) && !p.starts_with("ns")) => p,
                    _ => {
                        fresh = format!("ns{i}");
                        fresh.as_str()
                    }
                };
                if p != "xml" && !self.declare_fixed(Some(p), uri) {
                    self.out.extend_from_slice(b"xmlns:");
                    self.out.extend_from_slice(p.as_bytes());
                    self.out.extend_from_slice(b"=\"");
                    simple_patch::escape_attr(uri, &mut self.out);
                    self.out.extend_from_slice(b"\" ");
                }
                self.out.extend_from_slice(p.as_bytes());
                self.out.push(b':');
            }
            self.out.extend_from_slice(a.local.as_bytes());
            self.out.extend_from_slice(b"=\"");
            simple_patch::escape_attr(&a.value, &mut self.out);
            self.out.push(b'"');
        }
    }

    /// If (`prefix`, `uri`) is one of the fixed bindings, marks it used and says so.
    fn declare_fixed(&mut self, prefix: Option<&str>, uri: &str) -> bool {
        match Ns::ALL.iter().find(|n| n.prefix() == prefix && n.uri() == uri) {
            Some(n) => {
                self.used |= n.bit();
                true
            }
            None => false,
        }
    }

    pub(crate) fn text(&mut self, s: &str) {
        self.close_start();
        simple_patch::escape_text(s, &mut self.out);
    }

    pub(crate) fn end(&mut self) {
        let Some((ns, local, kids)) = self.stack.pop() else { return };
        if self.start_open {
            self.out.extend_from_slice(b"/>");
            self.start_open = false;
            return;
        }
        if kids {
            self.newline();
        }
        self.out.extend_from_slice(b"</");
        self.qname(ns, local);
        self.out.push(b'>');
    }

    fn leaf(&mut self, ns: Ns, local: &'static str, text: &str) {
        self.start(ns, local);
        self.text(text);
        self.end();
    }

    fn empty(&mut self, ns: Ns, local: &'static str) {
        self.start(ns, local);
        self.end();
    }

    /// An empty element whose name is not a constant (a caps feature value).
    fn empty_named(&mut self, ns: Ns, local: &str) {
        self.child();
        self.out.push(b'<');
        self.qname(ns, local);
        self.out.extend_from_slice(b"/>");
    }

    fn note(&mut self, ns: Ns, local: &'static str, n: &Note) {
        self.start(ns, local);
        self.opt_attr("xml:lang", n.lang.as_deref());
        self.text(&n.text);
        self.end();
    }

    /// Writes an element kept verbatim, leaving out declarations the root already makes.
    pub(crate) fn raw(&mut self, r: &Raw) {
        self.child();
        let doc = r.document();
        let root = r.element();
        let Some(e) = doc.element(root) else { return };
        self.out.push(b'<');
        self.out.extend_from_slice(e.name.as_str().as_bytes());
        // A declaration of one of the root's bindings moves to the root when the element uses
        // it; one it does not use stays here, so that reading and writing again gives the
        // same bytes.
        let used = crate::model::prefixes_used(doc, root);
        for a in &e.attributes {
            if let Some(p) = a.name.declared_prefix() {
                if used.contains(&p) && self.declare_fixed(p, &a.value) {
                    continue;
                }
            }
            self.out.push(b' ');
            self.out.extend_from_slice(a.name.as_str().as_bytes());
            self.out.extend_from_slice(b"=\"");
            simple_patch::escape_attr(&a.value, &mut self.out);
            self.out.push(b'"');
        }
        if doc.first_child(root).is_none() {
            self.out.extend_from_slice(b"/>");
            return;
        }
        self.out.push(b'>');
        for c in doc.children(root) {
            doc.write_node(c, &mut self.out);
        }
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(e.name.as_str().as_bytes());
        self.out.push(b'>');
    }

    /// Finishes the document: declares the fixed namespaces used on the root.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        while !self.stack.is_empty() {
            self.end();
        }
        let mut decls = Vec::new();
        for n in Ns::ALL {
            if self.used & n.bit() != 0 || (self.declare_all && n != Ns::Diff) {
                decls.extend_from_slice(b" xmlns");
                if let Some(p) = n.prefix() {
                    decls.push(b':');
                    decls.extend_from_slice(p.as_bytes());
                }
                decls.extend_from_slice(b"=\"");
                decls.extend_from_slice(n.uri().as_bytes());
                decls.push(b'"');
            }
        }
        let at = self.decl_at;
        self.out.splice(at..at, decls);
        self.out.push(b'\n');
        self.out
    }
}

pub(crate) fn presence(p: &Presence, w: &mut W, root: (Ns, &'static str), version: Option<u32>) {
    w.start(root.0, root.1);
    w.attr("entity", &p.entity);
    if let Some(v) = version {
        w.attr("version", &v.to_string());
    }
    w.other_attrs(&p.attributes);
    for t in &p.tuples {
        tuple(t, w);
    }
    for n in &p.notes {
        w.note(Ns::Pidf, "note", n);
    }
    for c in &p.components {
        match c {
            Component::Person(x) => person(x, w),
            Component::Device(x) => device(x, w),
            Component::Other(x) => extension(x, w),
        }
    }
    w.end();
}

pub(crate) fn tuple(t: &Tuple, w: &mut W) {
    w.start(Ns::Pidf, "tuple");
    w.attr("id", &t.id);
    w.other_attrs(&t.attributes);
    status(&t.status, w);
    for e in &t.extensions {
        extension(e, w);
    }
    if let Some(c) = &t.contact {
        contact(c, w);
    }
    for n in &t.notes {
        w.note(Ns::Pidf, "note", n);
    }
    if let Some(ts) = &t.timestamp {
        w.leaf(Ns::Pidf, "timestamp", ts.as_str());
    }
    w.end();
}

fn status(s: &Status, w: &mut W) {
    w.start(Ns::Pidf, "status");
    if let Some(b) = s.basic {
        w.leaf(Ns::Pidf, "basic", b.as_str());
    }
    for e in &s.extensions {
        extension(e, w);
    }
    w.end();
}

fn contact(c: &Contact, w: &mut W) {
    w.start(Ns::Pidf, "contact");
    w.opt_attr("priority", c.priority.as_ref().map(|q| q.as_str()));
    w.text(&c.uri);
    w.end();
}

pub(crate) fn person(p: &Person, w: &mut W) {
    w.start(Ns::Dm, "person");
    w.attr("id", &p.id);
    w.other_attrs(&p.attributes);
    for e in &p.extensions {
        extension(e, w);
    }
    for n in &p.notes {
        w.note(Ns::Dm, "note", n);
    }
    if let Some(ts) = &p.timestamp {
        w.leaf(Ns::Dm, "timestamp", ts.as_str());
    }
    w.end();
}

pub(crate) fn device(d: &Device, w: &mut W) {
    w.start(Ns::Dm, "device");
    w.attr("id", &d.id);
    w.other_attrs(&d.attributes);
    for e in &d.extensions {
        extension(e, w);
    }
    w.leaf(Ns::Dm, "deviceID", &d.device_id);
    for n in &d.notes {
        w.note(Ns::Dm, "note", n);
    }
    if let Some(ts) = &d.timestamp {
        w.leaf(Ns::Dm, "timestamp", ts.as_str());
    }
    w.end();
}

fn meta(m: &Meta, w: &mut W) {
    w.opt_attr("id", m.id.as_deref());
    w.opt_attr("from", m.from.as_ref().map(|d| d.as_str()));
    w.opt_attr("until", m.until.as_ref().map(|d| d.as_str()));
    w.other_attrs(&m.attributes);
}

fn values<T: Value>(v: &Values<T>, local: &'static str, w: &mut W) {
    w.start(Ns::Rpid, local);
    meta(&v.meta, w);
    for n in &v.notes {
        w.note(Ns::Rpid, "note", n);
    }
    for x in &v.values {
        if let Some(name) = x.name() {
            w.empty(Ns::Rpid, name);
        } else if let Some(n) = x.as_other() {
            w.note(Ns::Rpid, "other", n);
        } else if let Some(t) = x.as_text() {
            w.text(t);
        } else if let Some(r) = x.as_raw() {
            w.raw(r);
        }
    }
    w.end();
}

fn place_is(p: &PlaceIs, w: &mut W) {
    w.start(Ns::Rpid, "place-is");
    meta(&p.meta, w);
    for n in &p.notes {
        w.note(Ns::Rpid, "note", n);
    }
    for (local, v) in [
        ("audio", p.audio.map(|a| a.as_str())),
        ("video", p.video.map(|a| a.as_str())),
        ("text", p.text.map(|a| a.as_str())),
    ] {
        if let Some(v) = v {
            w.start(Ns::Rpid, local);
            w.empty(Ns::Rpid, v);
            w.end();
        }
    }
    w.end();
}

pub(crate) fn extension(e: &Extension, w: &mut W) {
    match e {
        Extension::DeviceId(s) => w.leaf(Ns::Dm, "deviceID", s),
        Extension::Activities(v) => values(v, "activities", w),
        Extension::Class(s) => w.leaf(Ns::Rpid, "class", s),
        Extension::Mood(v) => values(v, "mood", w),
        Extension::PlaceIs(p) => place_is(p, w),
        Extension::PlaceType(v) => values(v, "place-type", w),
        Extension::Privacy(v) => values(v, "privacy", w),
        Extension::Relationship(v) => values(v, "relationship", w),
        Extension::ServiceClass(v) => values(v, "service-class", w),
        Extension::Sphere(v) => values(v, "sphere", w),
        Extension::StatusIcon(s) => {
            w.start(Ns::Rpid, "status-icon");
            meta(&s.meta, w);
            w.text(&s.uri);
            w.end();
        }
        Extension::TimeOffset(t) => {
            w.start(Ns::Rpid, "time-offset");
            meta(&t.meta, w);
            w.opt_attr("description", t.description.as_deref());
            w.text(&t.minutes.to_string());
            w.end();
        }
        Extension::UserInput(u) => {
            w.start(Ns::Rpid, "user-input");
            w.opt_attr("id", u.id.as_deref());
            w.opt_attr("idle-threshold", u.idle_threshold.map(|n| n.to_string()).as_deref());
            w.opt_attr("last-input", u.last_input.as_ref().map(|d| d.as_str()));
            w.other_attrs(&u.attributes);
            w.text(u.value.as_str());
            w.end();
        }
        Extension::Card(s) => w.leaf(Ns::Cipid, "card", s),
        Extension::DisplayName(s) => w.leaf(Ns::Cipid, "display-name", s),
        Extension::Homepage(s) => w.leaf(Ns::Cipid, "homepage", s),
        Extension::Icon(s) => w.leaf(Ns::Cipid, "icon", s),
        Extension::Map(s) => w.leaf(Ns::Cipid, "map", s),
        Extension::Sound(s) => w.leaf(Ns::Cipid, "sound", s),
        Extension::TimedStatus(t) => timed_status(t, w),
        Extension::ServCaps(s) => servcaps(s, w),
        Extension::DevCaps(d) => devcaps(d, w),
        Extension::Raw(r) => w.raw(r),
    }
}

fn timed_status(t: &TimedStatus, w: &mut W) {
    w.start(Ns::Ts, "timed-status");
    w.attr("from", t.from.as_str());
    w.opt_attr("until", t.until.as_ref().map(|d| d.as_str()));
    if let Some(b) = t.basic {
        w.leaf(Ns::Ts, "basic", b.as_str());
    }
    if let Some(n) = &t.note {
        w.note(Ns::Ts, "note", n);
    }
    for e in &t.extensions {
        extension(e, w);
    }
    w.end();
}

fn boolean(local: &'static str, v: Option<bool>, w: &mut W) {
    if let Some(b) = v {
        w.leaf(Ns::Caps, local, if b { "true" } else { "false" });
    }
}

/// A caps feature: `<supported>` and/or `<notsupported>`, each with its items.
fn supported_pair<T>(
    local: &'static str,
    lists: [&Option<Vec<T>>; 2],
    w: &mut W,
    item: impl Fn(&T, &mut W),
) {
    w.start(Ns::Caps, local);
    for (tag, list) in ["supported", "notsupported"].into_iter().zip(lists) {
        let Some(list) = list else { continue };
        w.start(Ns::Caps, tag);
        for v in list {
            item(v, w);
        }
        w.end();
    }
    w.end();
}

fn support(local: &'static str, s: Option<&Support>, style: SupportStyle, w: &mut W) {
    let Some(s) = s else { return };
    supported_pair(local, [&s.supported, &s.not_supported], w, |v, w| match style {
        // Values are element names here; one that is not an NCName (which the reader
        // never produces) cannot be written and is left out.
        SupportStyle::Names if simple_patch::is_ncname(v) => w.empty_named(Ns::Caps, v),
        SupportStyle::Names => {}
        SupportStyle::Text(t) => w.leaf(Ns::Caps, t, v),
    });
}

fn priorities(p: Option<&Priorities>, w: &mut W) {
    let Some(p) = p else { return };
    supported_pair("priority", [&p.supported, &p.not_supported], w, |r, w| {
        match *r {
            PriorityRange::LowerThan(m) => {
                w.start(Ns::Caps, "lowerthan");
                w.attr("maxvalue", &m.to_string());
            }
            PriorityRange::HigherThan { min, schema_spelling } => {
                w.start(Ns::Caps, if schema_spelling { "higherhan" } else { "higherthan" });
                w.attr("minvalue", &min.to_string());
            }
            PriorityRange::Equals(v) => {
                w.start(Ns::Caps, "equals");
                w.attr("value", &v.to_string());
            }
            PriorityRange::Range { min, max } => {
                w.start(Ns::Caps, "range");
                w.attr("minvalue", &min.to_string());
                w.attr("maxvalue", &max.to_string());
            }
        }
        w.end();
    });
}

fn servcaps(s: &ServCaps, w: &mut W) {
    let names = SupportStyle::Names;
    w.start(Ns::Caps, "servcaps");
    w.other_attrs(&s.attributes);
    support("actor", s.actor.as_ref(), names, w);
    boolean("application", s.application, w);
    boolean("audio", s.audio, w);
    boolean("automata", s.automata, w);
    support("class", s.class.as_ref(), names, w);
    boolean("control", s.control, w);
    boolean("data", s.data, w);
    for d in &s.descriptions {
        w.note(Ns::Caps, "description", d);
    }
    support("duplex", s.duplex.as_ref(), names, w);
    support("event-packages", s.event_packages.as_ref(), names, w);
    support("extensions", s.extensions.as_ref(), names, w);
    boolean("isfocus", s.is_focus, w);
    boolean("message", s.message, w);
    support("methods", s.methods.as_ref(), names, w);
    support("languages", s.languages.as_ref(), SupportStyle::Text("l"), w);
    priorities(s.priority.as_ref(), w);
    support("schemes", s.schemes.as_ref(), SupportStyle::Text("s"), w);
    boolean("text", s.text, w);
    for t in &s.types {
        w.leaf(Ns::Caps, "type", t);
    }
    boolean("video", s.video, w);
    for r in &s.other {
        w.raw(r);
    }
    w.end();
}

fn devcaps(d: &DevCaps, w: &mut W) {
    w.start(Ns::Caps, "devcaps");
    w.other_attrs(&d.attributes);
    for n in &d.descriptions {
        w.note(Ns::Caps, "description", n);
    }
    support("mobility", d.mobility.as_ref(), SupportStyle::Names, w);
    for r in &d.other {
        w.raw(r);
    }
    w.end();
}

impl Presence {
    /// Writes the document (with an XML declaration) into `buf`.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(&self.to_vec());
    }

    /// The document as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut w = W::new();
        presence(self, &mut w, (Ns::Pidf, "presence"), None);
        w.finish()
    }
}

impl core::fmt::Display for Presence {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_vec()))
    }
}
