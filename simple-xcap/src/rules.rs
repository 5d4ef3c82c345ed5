//! Presence authorization rules (RFC 5025) on common policy (RFC 4745), with the OMA
//! extensions real clients write (`other-identity`, `anonymous-request`, `external-list`):
//! the [`Ruleset`] model, [`Ruleset::evaluate`] (which rules match a watcher, at a time, in
//! a sphere, and their combined [`Permission`]) and [`Permission::apply`] (the
//! transformations on a PIDF document).

use core::cmp::Ordering;
use std::collections::BTreeSet;

use simple_patch::{Document, NodeId};
use simple_pidf::{Basic, Component, DateTime, Extension, Presence, Tuple};

use crate::error::{Error, ErrorKind};
use crate::schema::{COMMON_POLICY_NS, OMA_COMMON_POLICY_NS, PRES_RULES_NS};

/// `<sub-handling>` (RFC 5025 §3.2.1), ordered by its numeric value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum SubHandling {
    /// 0: reject (the default when nothing grants more).
    #[default]
    Block,
    /// 10: pending until the presentity decides.
    Confirm,
    /// 20: active, with a document that says "unavailable".
    PoliteBlock,
    /// 30: active.
    Allow,
}

impl SubHandling {
    /// Parses the token.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "block" => Self::Block,
            "confirm" => Self::Confirm,
            "polite-block" => Self::PoliteBlock,
            "allow" => Self::Allow,
            _ => return None,
        })
    }

    /// The token.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Confirm => "confirm",
            Self::PoliteBlock => "polite-block",
            Self::Allow => "allow",
        }
    }
}

/// `<provide-user-input>` (RFC 5025 §3.3.2), ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum UserInputPermission {
    /// Not given.
    #[default]
    False,
    /// The active/idle value only.
    Bare,
    /// With the idle threshold.
    Thresholds,
    /// Everything, last-input time included.
    Full,
}

/// Which tuples, persons or devices a `<provide-services>` / `-persons` / `-devices` grants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Components {
    /// `<all-services>` / `<all-persons>` / `<all-devices>`.
    pub all: bool,
    /// `<occurrence-id>`s.
    pub occurrence_ids: BTreeSet<String>,
    /// `<class>`es.
    pub classes: BTreeSet<String>,
    /// `<service-uri>`s (services) or `<deviceID>`s (devices).
    pub uris: BTreeSet<String>,
    /// `<service-uri-scheme>`s (services).
    pub schemes: BTreeSet<String>,
}

impl Components {
    fn merge(&mut self, other: &Self) {
        self.all |= other.all;
        self.occurrence_ids.extend(other.occurrence_ids.iter().cloned());
        self.classes.extend(other.classes.iter().cloned());
        self.uris.extend(other.uris.iter().cloned());
        self.schemes.extend(other.schemes.iter().cloned());
    }

    fn grants(&self, id: &str, class: Option<&str>, uri: Option<&str>) -> bool {
        self.all
            || self.occurrence_ids.contains(id)
            || class.is_some_and(|c| self.classes.contains(c))
            || uri.is_some_and(|u| {
                self.uris.contains(u)
                    || u.split_once(':').is_some_and(|(s, _)| {
                        self.schemes.iter().any(|x| x.eq_ignore_ascii_case(s))
                    })
            })
    }
}

/// The transformations of a rule, or their combination (RFC 4745 §10.2: the union of what
/// each grants).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transformations {
    /// `<provide-services>`.
    pub services: Components,
    /// `<provide-persons>`.
    pub persons: Components,
    /// `<provide-devices>`.
    pub devices: Components,
    /// `<provide-all-attributes>`.
    pub all_attributes: bool,
    /// The boolean attribute permissions granted, by element name (`provide-activities`...).
    pub attributes: BTreeSet<String>,
    /// `<provide-user-input>`.
    pub user_input: UserInputPermission,
    /// `<provide-unknown-attribute ns=".." name="..">true</...>`: (namespace, local name).
    pub unknown: BTreeSet<(String, String)>,
}

impl Transformations {
    fn merge(&mut self, o: &Self) {
        self.services.merge(&o.services);
        self.persons.merge(&o.persons);
        self.devices.merge(&o.devices);
        self.all_attributes |= o.all_attributes;
        self.attributes.extend(o.attributes.iter().cloned());
        self.user_input = self.user_input.max(o.user_input);
        self.unknown.extend(o.unknown.iter().cloned());
    }

    fn attribute(&self, name: &str) -> bool {
        self.all_attributes || self.attributes.contains(name)
    }
}

/// One `<except>` of a `<many>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Except {
    /// `<except id="..."/>`.
    Id(String),
    /// `<except domain="..."/>`.
    Domain(String),
}

/// A child of `<identity>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// `<one id="..."/>`.
    One(String),
    /// `<many domain="...">` with its exceptions; no domain: every authenticated identity.
    Many {
        /// `domain`.
        domain: Option<String>,
        /// `<except>`s.
        except: Vec<Except>,
    },
}

/// A rule's conditions (RFC 4745 §7); all that are present must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conditions {
    /// `<identity>`: one of these must match (`None`: no identity condition).
    pub identity: Option<Vec<Identity>>,
    /// `<sphere value="...">`s: the presentity's sphere must be one of them.
    pub spheres: Vec<String>,
    /// `<validity>`: `(from, until)` intervals, one of which must hold the time.
    pub validity: Vec<(DateTime, DateTime)>,
    /// OMA `<other-identity/>`: matches watchers no other rule's identity names.
    pub other_identity: bool,
    /// OMA `<anonymous-request/>`: matches anonymous watchers.
    pub anonymous_request: bool,
    /// OMA `<external-list>` anchors: the watcher must be in one of these resource lists.
    pub external_lists: Vec<String>,
    /// A condition this crate does not understand: the rule never matches (RFC 4745 §10.1).
    pub unknown: bool,
}

/// A rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rule {
    /// `id`.
    pub id: String,
    /// `<conditions>`.
    pub conditions: Conditions,
    /// `<sub-handling>`, if the rule has one.
    pub sub_handling: Option<SubHandling>,
    /// `<transformations>`.
    pub transformations: Transformations,
}

/// A `<ruleset>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ruleset {
    /// The rules, in document order.
    pub rules: Vec<Rule>,
}

/// Who is asking and when (the inputs of RFC 4745 §10).
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The watcher's authenticated identity (a SIP URI), `None` when anonymous.
    pub watcher: Option<&'a str>,
    /// The time of the evaluation.
    pub now: &'a DateTime,
    /// The presentity's current sphere (RPID), if known.
    pub sphere: Option<&'a str>,
    /// Whether the watcher is in the resource list an OMA `external-list` anchor names.
    pub in_list: &'a dyn Fn(&str, &str) -> bool,
}

impl core::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Context")
            .field("watcher", &self.watcher)
            .field("now", &self.now)
            .field("sphere", &self.sphere)
            .finish_non_exhaustive()
    }
}

impl<'a> Context<'a> {
    /// A watcher at a time, no sphere, no external lists.
    pub fn new(watcher: Option<&'a str>, now: &'a DateTime) -> Self {
        Self { watcher, now, sphere: None, in_list: &|_, _| false }
    }
}

/// The combined permission for a watcher.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Permission {
    /// The highest `<sub-handling>` of the matching rules (block when none).
    pub sub_handling: SubHandling,
    /// The union of their transformations.
    pub transformations: Transformations,
    /// The ids of the matching rules.
    pub rules: Vec<String>,
}

fn lower_host(uri: &str) -> String {
    // scheme and host compare case-insensitively; the user part as written
    let (scheme, rest) = uri.split_once(':').unwrap_or(("", uri));
    let rest = rest.split([';', '?', '>']).next().unwrap_or(rest);
    match rest.rsplit_once('@') {
        Some((user, host)) => {
            format!("{}:{user}@{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase())
        }
        None => format!("{}:{}", scheme.to_ascii_lowercase(), rest.to_ascii_lowercase()),
    }
}

fn domain(uri: &str) -> Option<String> {
    let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
    let rest = rest.split([';', '?', '>']).next().unwrap_or(rest);
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = host.split(':').next().unwrap_or(host);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

impl Identity {
    fn matches(&self, watcher: &str) -> bool {
        match self {
            Self::One(id) => lower_host(id) == lower_host(watcher),
            Self::Many { domain: d, except } => {
                let wd = domain(watcher);
                if let Some(d) = d {
                    if wd.as_deref() != Some(d.to_ascii_lowercase().as_str()) {
                        return false;
                    }
                }
                !except.iter().any(|e| match e {
                    Except::Id(id) => lower_host(id) == lower_host(watcher),
                    Except::Domain(x) => wd.as_deref() == Some(x.to_ascii_lowercase().as_str()),
                })
            }
        }
    }
}

impl Ruleset {
    /// Reads a `<cp:ruleset>` document (pres-rules or OMA pres-rules).
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(input)?;
        Self::from_document(&doc)
    }

    /// Reads a parsed document.
    pub fn from_document(doc: &Document) -> Result<Self, Error> {
        let root = doc.root_element().ok_or(Error::new(ErrorKind::UnexpectedRoot, 0))?;
        if !is(doc, root, COMMON_POLICY_NS, "ruleset") {
            return Err(Error::new(ErrorKind::UnexpectedRoot, 0));
        }
        let mut rules = Vec::new();
        for r in doc.child_elements(root).filter(|&r| is(doc, r, COMMON_POLICY_NS, "rule")) {
            rules.push(read_rule(doc, r)?);
        }
        Ok(Self { rules })
    }

    /// The rules that match, and their combined permission (RFC 4745 §10).
    pub fn evaluate(&self, cx: &Context<'_>) -> Permission {
        let mut p = Permission::default();
        // OMA other-identity: no identity condition of another rule matches the watcher
        let named = cx.watcher.is_some_and(|w| {
            self.rules.iter().any(|r| {
                r.conditions.identity.as_ref().is_some_and(|ids| ids.iter().any(|i| i.matches(w)))
            })
        });
        for rule in &self.rules {
            if !rule.matches(cx, named) {
                continue;
            }
            p.rules.push(rule.id.clone());
            if let Some(s) = rule.sub_handling {
                p.sub_handling = p.sub_handling.max(s);
            }
            p.transformations.merge(&rule.transformations);
        }
        p
    }
}

impl Rule {
    fn matches(&self, cx: &Context<'_>, named: bool) -> bool {
        let c = &self.conditions;
        if c.unknown {
            return false;
        }
        if let Some(ids) = &c.identity {
            let Some(w) = cx.watcher else { return false };
            if !ids.iter().any(|i| i.matches(w)) {
                return false;
            }
        }
        if c.anonymous_request && cx.watcher.is_some() {
            return false;
        }
        if c.other_identity && (named || cx.watcher.is_none()) {
            return false;
        }
        if !c.external_lists.is_empty() {
            let Some(w) = cx.watcher else { return false };
            if !c.external_lists.iter().any(|a| (cx.in_list)(a, w)) {
                return false;
            }
        }
        if !c.spheres.is_empty() {
            let Some(s) = cx.sphere else { return false };
            if !c.spheres.iter().any(|v| v.split_whitespace().any(|t| t == s)) {
                return false;
            }
        }
        if !c.validity.is_empty()
            && !c.validity.iter().any(|(from, until)| {
                from.cmp_instant(cx.now) != Ordering::Greater
                    && cx.now.cmp_instant(until) == Ordering::Less
            })
        {
            return false;
        }
        true
    }
}

fn is(doc: &Document, el: NodeId, ns: &str, local: &str) -> bool {
    doc.namespace(el) == Some(ns) && doc.name(el).is_some_and(|n| n.local() == local)
}

fn local(doc: &Document, el: NodeId) -> &str {
    doc.name(el).map_or("", |n| n.local())
}

fn text(doc: &Document, el: NodeId) -> String {
    doc.string_value(el).trim().to_owned()
}

fn read_rule(doc: &Document, r: NodeId) -> Result<Rule, Error> {
    let id = doc
        .attribute(r, None, "id")
        .ok_or(Error::new(ErrorKind::MissingAttribute("id"), 0))?
        .to_owned();
    let mut rule = Rule { id, ..Rule::default() };
    for part in doc.child_elements(r) {
        if doc.namespace(part) != Some(COMMON_POLICY_NS) {
            continue;
        }
        match local(doc, part) {
            "conditions" => rule.conditions = read_conditions(doc, part)?,
            "actions" => {
                for a in doc.child_elements(part) {
                    if is(doc, a, PRES_RULES_NS, "sub-handling") {
                        let v = SubHandling::parse(&text(doc, a))
                            .ok_or(Error::new(ErrorKind::InvalidValue("sub-handling"), 0))?;
                        rule.sub_handling = Some(rule.sub_handling.map_or(v, |o| o.max(v)));
                    }
                }
            }
            "transformations" => rule.transformations = read_transformations(doc, part),
            _ => {}
        }
    }
    Ok(rule)
}

fn read_conditions(doc: &Document, c: NodeId) -> Result<Conditions, Error> {
    let mut out = Conditions::default();
    for cond in doc.child_elements(c) {
        let ns = doc.namespace(cond).unwrap_or("");
        match (ns, local(doc, cond)) {
            (COMMON_POLICY_NS, "identity") => {
                let ids = out.identity.get_or_insert_with(Vec::new);
                for i in doc.child_elements(cond) {
                    match (doc.namespace(i).unwrap_or(""), local(doc, i)) {
                        (COMMON_POLICY_NS, "one") => ids.push(Identity::One(
                            doc.attribute(i, None, "id").unwrap_or_default().to_owned(),
                        )),
                        (COMMON_POLICY_NS, "many") => ids.push(Identity::Many {
                            domain: doc.attribute(i, None, "domain").map(str::to_owned),
                            except: doc
                                .child_elements(i)
                                .filter(|&e| is(doc, e, COMMON_POLICY_NS, "except"))
                                .filter_map(|e| {
                                    doc.attribute(e, None, "id")
                                        .map(|v| Except::Id(v.to_owned()))
                                        .or_else(|| {
                                            doc.attribute(e, None, "domain")
                                                .map(|v| Except::Domain(v.to_owned()))
                                        })
                                })
                                .collect(),
                        }),
                        // an identity this crate cannot check grants nothing
                        _ => {}
                    }
                }
            }
            (COMMON_POLICY_NS, "sphere") => {
                out.spheres.push(doc.attribute(cond, None, "value").unwrap_or_default().to_owned());
            }
            (COMMON_POLICY_NS, "validity") => {
                let parts: Vec<NodeId> = doc.child_elements(cond).collect();
                for pair in parts.chunks(2) {
                    let [f, u] = pair else {
                        return Err(Error::new(ErrorKind::MissingElement("until"), 0));
                    };
                    let (Some(from), Some(until)) =
                        (DateTime::parse(&text(doc, *f)), DateTime::parse(&text(doc, *u)))
                    else {
                        return Err(Error::new(ErrorKind::InvalidValue("dateTime"), 0));
                    };
                    out.validity.push((from, until));
                }
            }
            (OMA_COMMON_POLICY_NS, "other-identity") => out.other_identity = true,
            (OMA_COMMON_POLICY_NS, "anonymous-request") => out.anonymous_request = true,
            (OMA_COMMON_POLICY_NS, "external-list") => {
                for e in doc.child_elements(cond) {
                    if let Some(a) = doc.attribute(e, None, "anc") {
                        out.external_lists.push(a.to_owned());
                    }
                }
            }
            _ => out.unknown = true,
        }
    }
    Ok(out)
}

fn read_components(doc: &Document, el: NodeId, all: &str) -> Components {
    let mut c = Components::default();
    for i in doc.child_elements(el) {
        if doc.namespace(i) != Some(PRES_RULES_NS) {
            continue;
        }
        let v = text(doc, i);
        match local(doc, i) {
            x if x == all => c.all = true,
            "occurrence-id" => {
                c.occurrence_ids.insert(v);
            }
            "class" => {
                c.classes.insert(v);
            }
            "service-uri" | "deviceID" => {
                c.uris.insert(v);
            }
            "service-uri-scheme" => {
                c.schemes.insert(v);
            }
            _ => {}
        }
    }
    c
}

fn read_transformations(doc: &Document, t: NodeId) -> Transformations {
    let mut out = Transformations::default();
    for p in doc.child_elements(t) {
        if doc.namespace(p) != Some(PRES_RULES_NS) {
            continue;
        }
        let name = local(doc, p);
        match name {
            "provide-services" => out.services.merge(&read_components(doc, p, "all-services")),
            "provide-persons" => out.persons.merge(&read_components(doc, p, "all-persons")),
            "provide-devices" => out.devices.merge(&read_components(doc, p, "all-devices")),
            "provide-all-attributes" => out.all_attributes = true,
            "provide-user-input" => {
                let v = match text(doc, p).as_str() {
                    "bare" => UserInputPermission::Bare,
                    "thresholds" => UserInputPermission::Thresholds,
                    "full" => UserInputPermission::Full,
                    _ => UserInputPermission::False,
                };
                out.user_input = out.user_input.max(v);
            }
            "provide-unknown-attribute" => {
                if matches!(text(doc, p).as_str(), "true" | "1") {
                    out.unknown.insert((
                        doc.attribute(p, None, "ns").unwrap_or_default().to_owned(),
                        doc.attribute(p, None, "name").unwrap_or_default().to_owned(),
                    ));
                }
            }
            n if n.starts_with("provide-") => {
                if matches!(text(doc, p).as_str(), "true" | "1") {
                    out.attributes.insert(n.to_owned());
                }
            }
            _ => {}
        }
    }
    out
}

impl Permission {
    /// The document a watcher with this permission sees (RFC 5025 §3.3): the granted
    /// tuples, persons and devices with only the granted attributes; for polite blocking
    /// one closed tuple. `None` for block and confirm (no document).
    pub fn apply(&self, presence: &Presence) -> Option<Presence> {
        match self.sub_handling {
            SubHandling::Block | SubHandling::Confirm => None,
            SubHandling::PoliteBlock => {
                let mut doc = Presence::new(presence.entity.clone());
                doc.tuples.push(Tuple::new("polite-block", Basic::Closed));
                Some(doc)
            }
            SubHandling::Allow => Some(self.transformations.apply(presence)),
        }
    }
}

impl Transformations {
    /// The document with only what these transformations grant.
    pub fn apply(&self, presence: &Presence) -> Presence {
        let mut out = Presence::new(presence.entity.clone());
        out.attributes.clone_from(&presence.attributes);
        if self.attribute("provide-note") {
            out.notes.clone_from(&presence.notes);
        }
        for t in &presence.tuples {
            let class = class_of(&t.extensions);
            if !self.services.grants(&t.id, class, t.contact.as_ref().map(|c| c.uri.as_str())) {
                continue;
            }
            let mut t = t.clone();
            t.extensions.retain(|e| self.keeps(e));
            t.status.extensions.retain(|e| self.keeps(e));
            if !self.attribute("provide-note") {
                t.notes.clear();
            }
            out.tuples.push(t);
        }
        for c in &presence.components {
            match c {
                Component::Person(p) => {
                    if !self.persons.grants(&p.id, class_of(&p.extensions), None) {
                        continue;
                    }
                    let mut p = p.clone();
                    p.extensions.retain(|e| self.keeps(e));
                    if !self.attribute("provide-note") {
                        p.notes.clear();
                    }
                    out.components.push(Component::Person(p));
                }
                Component::Device(d) => {
                    let class = class_of(&d.extensions);
                    if !self.devices.grants(&d.id, class, Some(&d.device_id)) {
                        continue;
                    }
                    let mut d = d.clone();
                    d.extensions.retain(|e| self.keeps(e));
                    if !self.attribute("provide-note") {
                        d.notes.clear();
                    }
                    out.components.push(Component::Device(d));
                }
                Component::Other(e) => {
                    if self.keeps(e) {
                        out.components.push(Component::Other(e.clone()));
                    }
                }
            }
        }
        out
    }

    /// Whether an attribute (extension element) is granted.
    #[expect(
        clippy::wildcard_enum_match_arm,
        reason = "Extension is non-exhaustive: what RFC 5025 does not name is an unknown attribute"
    )]
    fn keeps(&self, e: &Extension) -> bool {
        if self.all_attributes {
            return true;
        }
        let named = |n: &str| self.attributes.contains(n);
        match e {
            Extension::DeviceId(_) => named("provide-deviceID"),
            Extension::Activities(_) => named("provide-activities"),
            Extension::Class(_) => named("provide-class"),
            Extension::Mood(_) => named("provide-mood"),
            Extension::PlaceIs(_) => named("provide-place-is"),
            Extension::PlaceType(_) => named("provide-place-type"),
            Extension::Privacy(_) => named("provide-privacy"),
            Extension::Relationship(_) => named("provide-relationship"),
            Extension::Sphere(_) => named("provide-sphere"),
            Extension::StatusIcon(_) => named("provide-status-icon"),
            Extension::TimeOffset(_) => named("provide-time-offset"),
            Extension::UserInput(_) => self.user_input > UserInputPermission::False,
            other => {
                let (ns, local) = other.name();
                self.unknown.iter().any(|(n, l)| n == ns && l == local)
            }
        }
    }
}

fn class_of(ext: &[Extension]) -> Option<&str> {
    ext.iter().find_map(|e| if let Extension::Class(c) = e { Some(c.as_str()) } else { None })
}

impl simple_sip::presence::DocumentFilter for Permission {
    /// [`Permission::apply`]; a document with no tuples where it gives none (block and
    /// confirm: such watchers are not active, so the agent sends them nothing anyway).
    fn filter(&self, presence: &Presence) -> Presence {
        self.apply(presence).unwrap_or_else(|| Presence::new(presence.entity.clone()))
    }
}
