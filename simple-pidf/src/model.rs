//! The PIDF document model (RFC 3863) with the data model's components (RFC 4479): a
//! presence document, its tuples (services), persons and devices, and the extension
//! elements they carry.

use simple_patch::{Document, NodeId};

use crate::caps::{DevCaps, ServCaps};
use crate::datetime::DateTime;
use crate::rpid::{
    Activities, Mood, PlaceIs, PlaceType, Privacy, Relationship, ServiceClass, Sphere, StatusIcon,
    TimeOffset, UserInput,
};
use crate::timed::TimedStatus;

/// A presence document (`<presence entity="...">`, RFC 3863 §4.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Presence {
    /// The presentity's URI (`pres:someone@example.com`).
    pub entity: String,
    /// The tuples: in the data model, services (RFC 4479 §3.1).
    pub tuples: Vec<Tuple>,
    /// Notes about the presentity as a whole.
    pub notes: Vec<Note>,
    /// Persons, devices and other extension elements after the notes, in document order.
    pub components: Vec<Component>,
    /// Attributes other than `entity` (such as `xsi:schemaLocation`), kept as read.
    pub attributes: Vec<OtherAttribute>,
}

impl Presence {
    /// An empty document for `entity`.
    pub fn new(entity: impl Into<String>) -> Self {
        Self { entity: entity.into(), ..Self::default() }
    }

    /// The persons (RFC 4479 §3.2), in document order.
    pub fn persons(&self) -> impl Iterator<Item = &Person> {
        self.components.iter().filter_map(|c| match c {
            Component::Person(p) => Some(p),
            Component::Device(_) | Component::Other(_) => None,
        })
    }

    /// The devices (RFC 4479 §3.3), in document order.
    pub fn devices(&self) -> impl Iterator<Item = &Device> {
        self.components.iter().filter_map(|c| match c {
            Component::Device(d) => Some(d),
            Component::Person(_) | Component::Other(_) => None,
        })
    }

    /// The tuple with this `id`.
    pub fn tuple(&self, id: &str) -> Option<&Tuple> {
        self.tuples.iter().find(|t| t.id == id)
    }

    /// The person with this `id`.
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.persons().find(|p| p.id == id)
    }

    /// The device with this `id`.
    pub fn device(&self, id: &str) -> Option<&Device> {
        self.devices().find(|d| d.id == id)
    }
}

/// What follows the tuples and notes of a presence document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Component {
    /// `<dm:person>`.
    Person(Person),
    /// `<dm:device>`.
    Device(Device),
    /// Any other extension element.
    Other(Extension),
}

/// A tuple (`<tuple id="...">`, RFC 3863 §4.1.2): in the data model, a service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Tuple {
    /// The tuple's `id` (an `xs:ID`, unique in the document).
    pub id: String,
    /// Its status.
    pub status: Status,
    /// Extension elements between `<status>` and `<contact>`: the service's characteristics
    /// (`<dm:deviceID>`, RPID, CIPID, capabilities, timed status, unknown ones), in order.
    pub extensions: Vec<Extension>,
    /// Where to reach the service.
    pub contact: Option<Contact>,
    /// Notes.
    pub notes: Vec<Note>,
    /// When this information was current.
    pub timestamp: Option<DateTime>,
    /// Attributes other than `id`, kept as read.
    pub attributes: Vec<OtherAttribute>,
}

impl Tuple {
    /// A tuple with this id and basic status.
    pub fn new(id: impl Into<String>, basic: Basic) -> Self {
        Self {
            id: id.into(),
            status: Status { basic: Some(basic), ..Status::default() },
            ..Self::default()
        }
    }

    /// The devices this service runs on (`<dm:deviceID>` children, RFC 4479 §3.1).
    pub fn device_ids(&self) -> impl Iterator<Item = &str> {
        self.extensions
            .iter()
            .filter_map(|e| if let Extension::DeviceId(id) = e { Some(id.as_str()) } else { None })
    }
}

/// `<status>` (RFC 3863 §4.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Status {
    /// `<basic>`: open or closed.
    pub basic: Option<Basic>,
    /// Other status elements, in order.
    pub extensions: Vec<Extension>,
}

/// `<basic>` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Basic {
    /// The service can accept communication.
    Open,
    /// It cannot.
    Closed,
}

impl Basic {
    /// The value as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    /// Parses `open` or `closed` (surrounding white space allowed).
    pub fn parse(s: &str) -> Option<Self> {
        match crate::trim_ws(s) {
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// `<contact priority="...">` (RFC 3863 §4.1.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Contact {
    /// The contact URI (white space collapsed, as `xs:anyURI` says).
    pub uri: String,
    /// The relative priority.
    pub priority: Option<QValue>,
}

/// A qvalue: `0` to `1` with at most three decimals, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QValue {
    text: String,
    thousandths: u16,
}

impl QValue {
    /// Parses `0(.d{0,3})?` or `1(.0{0,3})?`.
    pub fn parse(s: &str) -> Option<Self> {
        let t = crate::trim_ws(s);
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, f),
            None => (t, ""),
        };
        if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut f: u16 = 0;
        for i in 0..3 {
            f = f * 10 + frac.as_bytes().get(i).map_or(0, |b| u16::from(b - b'0'));
        }
        let thousandths = match int {
            "0" => f,
            "1" if f == 0 => 1000,
            _ => return None,
        };
        Some(Self { text: t.to_owned(), thousandths })
    }

    /// A qvalue from thousandths (capped at 1000), written with up to three decimals.
    pub fn from_thousandths(t: u16) -> Self {
        let t = t.min(1000);
        let text = match t {
            1000 => "1".to_owned(),
            0 => "0".to_owned(),
            _ => format!("0.{t:03}").trim_end_matches('0').to_owned(),
        };
        Self { text, thousandths: t }
    }

    /// The value in thousandths (0 to 1000).
    pub const fn thousandths(&self) -> u16 {
        self.thousandths
    }

    /// The value as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A `<note xml:lang="...">` (RFC 3863 §4.1.6) or any element of type `Note_t`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Note {
    /// The text, as written.
    pub text: String,
    /// Its language (`xml:lang`).
    pub lang: Option<String>,
}

impl Note {
    /// A note without a language.
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), lang: None }
    }

    /// A note in a language.
    pub fn with_lang(text: impl Into<String>, lang: impl Into<String>) -> Self {
        Self { text: text.into(), lang: Some(lang.into()) }
    }
}

/// `<dm:person id="...">` (RFC 4479 §3.2): the human (or other entity) behind the presentity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Person {
    /// The person's `id`.
    pub id: String,
    /// Characteristics: RPID, CIPID and unknown extension elements, in order.
    pub extensions: Vec<Extension>,
    /// `<dm:note>`s.
    pub notes: Vec<Note>,
    /// `<dm:timestamp>`.
    pub timestamp: Option<DateTime>,
    /// Attributes other than `id`, kept as read.
    pub attributes: Vec<OtherAttribute>,
}

impl Person {
    /// A person with this id.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), ..Self::default() }
    }
}

/// `<dm:device id="...">` (RFC 4479 §3.3): hardware a service runs on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Device {
    /// The element's `id`.
    pub id: String,
    /// Characteristics: RPID, capabilities and unknown extension elements, in order.
    pub extensions: Vec<Extension>,
    /// `<dm:deviceID>`: the device's URN, which tuples refer to.
    pub device_id: String,
    /// `<dm:note>`s.
    pub notes: Vec<Note>,
    /// `<dm:timestamp>`.
    pub timestamp: Option<DateTime>,
    /// Attributes other than `id`, kept as read.
    pub attributes: Vec<OtherAttribute>,
}

impl Device {
    /// A device element with this id and device URN.
    pub fn new(id: impl Into<String>, device_id: impl Into<String>) -> Self {
        Self { id: id.into(), device_id: device_id.into(), ..Self::default() }
    }
}

/// An extension element: everything the specs of this crate name, or an unknown element
/// kept verbatim.
///
/// An element in a known namespace that the typed model cannot represent exactly (an
/// unexpected attribute or child, a value outside its type) is kept as [`Extension::Raw`]
/// too, so nothing read is lost or altered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Extension {
    /// `<dm:deviceID>` in a tuple: the device the service runs on (RFC 4479 §3.1).
    DeviceId(String),
    /// `<rpid:activities>` (RFC 4480 §3.2).
    Activities(Activities),
    /// `<rpid:class>` (RFC 4480 §3.3).
    Class(String),
    /// `<rpid:mood>` (RFC 4480 §3.5).
    Mood(Mood),
    /// `<rpid:place-is>` (RFC 4480 §3.6).
    PlaceIs(PlaceIs),
    /// `<rpid:place-type>` (RFC 4480 §3.7).
    PlaceType(PlaceType),
    /// `<rpid:privacy>` (RFC 4480 §3.8).
    Privacy(Privacy),
    /// `<rpid:relationship>` (RFC 4480 §3.9).
    Relationship(Relationship),
    /// `<rpid:service-class>` (RFC 4480 §3.10).
    ServiceClass(ServiceClass),
    /// `<rpid:sphere>` (RFC 4480 §3.11).
    Sphere(Sphere),
    /// `<rpid:status-icon>` (RFC 4480 §3.12).
    StatusIcon(StatusIcon),
    /// `<rpid:time-offset>` (RFC 4480 §3.13).
    TimeOffset(TimeOffset),
    /// `<rpid:user-input>` (RFC 4480 §3.14).
    UserInput(UserInput),
    /// `<cipid:card>`: URI of a business card (RFC 4482 §3.1).
    Card(String),
    /// `<cipid:display-name>` (RFC 4482 §3.2).
    DisplayName(String),
    /// `<cipid:homepage>` (RFC 4482 §3.3).
    Homepage(String),
    /// `<cipid:icon>` (RFC 4482 §3.4).
    Icon(String),
    /// `<cipid:map>` (RFC 4482 §3.5).
    Map(String),
    /// `<cipid:sound>` (RFC 4482 §3.6).
    Sound(String),
    /// `<ts:timed-status>` (RFC 4481).
    TimedStatus(TimedStatus),
    /// `<caps:servcaps>` (RFC 5196 §3.2).
    ServCaps(Box<ServCaps>),
    /// `<caps:devcaps>` (RFC 5196 §3.3).
    DevCaps(Box<DevCaps>),
    /// Any other element, verbatim.
    Raw(Raw),
}

impl Extension {
    /// The namespace URI and local name this extension is written with.
    pub fn name(&self) -> (&str, &str) {
        use crate::ns;
        match self {
            Self::DeviceId(_) => (ns::DATA_MODEL, "deviceID"),
            Self::Activities(_) => (ns::RPID, "activities"),
            Self::Class(_) => (ns::RPID, "class"),
            Self::Mood(_) => (ns::RPID, "mood"),
            Self::PlaceIs(_) => (ns::RPID, "place-is"),
            Self::PlaceType(_) => (ns::RPID, "place-type"),
            Self::Privacy(_) => (ns::RPID, "privacy"),
            Self::Relationship(_) => (ns::RPID, "relationship"),
            Self::ServiceClass(_) => (ns::RPID, "service-class"),
            Self::Sphere(_) => (ns::RPID, "sphere"),
            Self::StatusIcon(_) => (ns::RPID, "status-icon"),
            Self::TimeOffset(_) => (ns::RPID, "time-offset"),
            Self::UserInput(_) => (ns::RPID, "user-input"),
            Self::Card(_) => (ns::CIPID, "card"),
            Self::DisplayName(_) => (ns::CIPID, "display-name"),
            Self::Homepage(_) => (ns::CIPID, "homepage"),
            Self::Icon(_) => (ns::CIPID, "icon"),
            Self::Map(_) => (ns::CIPID, "map"),
            Self::Sound(_) => (ns::CIPID, "sound"),
            Self::TimedStatus(_) => (ns::TIMED_STATUS, "timed-status"),
            Self::ServCaps(_) => (ns::CAPS, "servcaps"),
            Self::DevCaps(_) => (ns::CAPS, "devcaps"),
            Self::Raw(r) => (r.namespace().unwrap_or(""), r.local_name()),
        }
    }
}

/// An attribute the model has no field for (`xsi:schemaLocation`, RPID's `anyAttribute`),
/// kept as read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OtherAttribute {
    /// Its namespace URI (`None` for an unprefixed attribute).
    pub namespace: Option<String>,
    /// The prefix it was written with (the writer declares it when needed).
    pub prefix: Option<String>,
    /// Its local name.
    pub local: String,
    /// Its value.
    pub value: String,
}

/// The prefixes the element names and attribute names of a subtree use (`None`: the
/// default namespace, for unprefixed element names); `xml` is left out, as it is bound
/// without a declaration.
pub(crate) fn prefixes_used(
    doc: &Document,
    node: NodeId,
) -> std::collections::HashSet<Option<&str>> {
    let mut used = std::collections::HashSet::new();
    for d in doc.descendants(node) {
        if let Some(e) = doc.element(d) {
            used.insert(e.name.prefix());
            for a in e.plain_attributes() {
                if let Some(p) = a.name.prefix() {
                    used.insert(Some(p));
                }
            }
        }
    }
    used.remove(&Some("xml"));
    used
}

/// An element kept verbatim: a small [`Document`] whose root element is a copy of it, with
/// the namespace declarations it needs from its ancestors added to the root.
///
/// Two `Raw`s are equal when they hold the same XML information (expanded names,
/// attributes, text; prefixes and declarations aside).
#[derive(Clone)]
pub struct Raw {
    doc: Document,
}

impl core::fmt::Debug for Raw {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Raw").field(&self.doc.node_to_string(self.element())).finish()
    }
}

impl PartialEq for Raw {
    fn eq(&self, other: &Self) -> bool {
        match (self.doc.root_element(), other.doc.root_element()) {
            (Some(a), Some(b)) => self.doc.subtree_equivalent(a, &other.doc, b),
            (a, b) => a == b,
        }
    }
}

impl Eq for Raw {}

impl Raw {
    /// Parses one element (with the namespace declarations it needs on it).
    pub fn parse(xml: &[u8]) -> Result<Self, crate::Error> {
        let doc = Document::parse(xml)?;
        if doc.root_element().is_none() {
            return Err(crate::Error::new(crate::ErrorKind::MissingElement("element"), "/"));
        }
        Ok(Self { doc })
    }

    /// Copies element `node` of `doc`, declaring on the copy every in-scope namespace its
    /// subtree uses.
    pub fn capture(doc: &Document, node: NodeId) -> Self {
        let mut out = Document::new();
        let top = out.import(doc, node);
        out.append_child(Document::ROOT, top);
        let declared: Vec<Option<&str>> = doc
            .element(node)
            .map(|e| e.namespace_decls().map(|(p, _)| p).collect())
            .unwrap_or_default();
        let mut used: Vec<Option<&str>> = prefixes_used(doc, node).into_iter().collect();
        used.sort_unstable();
        for p in used.into_iter().filter(|p| !declared.contains(p)) {
            let uri = match (p, doc.lookup_namespace(node, p)) {
                (Some(_), None) => continue, // unbound: cannot happen in a parsed document
                // Unprefixed names in no namespace get xmlns="", or a writer's default
                // namespace would capture them.
                (_, uri) => uri.unwrap_or(""),
            };
            let name = match p {
                None => simple_patch::QName::new("xmlns"),
                Some(p) => simple_patch::QName::prefixed("xmlns", p),
            };
            out.set_attribute(top, name, uri);
        }
        Self { doc: out }
    }

    /// A hash of the element's XML information, equal for equal `Raw`s (expanded names,
    /// attributes as a set, text, comments and PIs in order).
    pub(crate) fn fingerprint(&self) -> u64 {
        use core::hash::{Hash, Hasher};
        use simple_patch::NodeKind;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let doc = &self.doc;
        for n in doc.descendants(self.element()) {
            match doc.kind(n) {
                NodeKind::Element(e) => {
                    (0u8, doc.namespace(n), e.name.local()).hash(&mut h);
                    let mut attrs: Vec<(Option<&str>, &str, &str)> = e
                        .plain_attributes()
                        .map(|a| {
                            (doc.attribute_namespace(n, &a.name), a.name.local(), a.value.as_str())
                        })
                        .collect();
                    attrs.sort_unstable();
                    attrs.hash(&mut h);
                    doc.children(n).count().hash(&mut h);
                }
                other @ (NodeKind::Text(_)
                | NodeKind::Comment(_)
                | NodeKind::ProcessingInstruction { .. }
                | NodeKind::Document) => (1u8, format!("{other:?}")).hash(&mut h),
            }
        }
        h.finish()
    }

    /// Whether the element, or an element inside it, carries PIDF's
    /// `mustUnderstand="true"` (or `"1"`): an application that does not understand it must
    /// then ignore the whole element and its content (RFC 3863 §4.2.3, §4.3.3).
    pub fn must_understand(&self) -> bool {
        let doc = &self.doc;
        doc.descendants(self.element()).any(|n| {
            matches!(
                doc.attribute(n, Some(crate::ns::PIDF), "mustUnderstand").map(str::trim),
                Some("true" | "1")
            )
        })
    }

    /// The document holding the element as its root.
    pub const fn document(&self) -> &Document {
        &self.doc
    }

    /// The element's node in [`Raw::document`].
    pub fn element(&self) -> NodeId {
        self.doc.root_element().expect("a Raw holds its element as the root")
    }

    /// The element's namespace URI.
    pub fn namespace(&self) -> Option<&str> {
        self.doc.namespace(self.element())
    }

    /// The element's local name.
    pub fn local_name(&self) -> &str {
        self.doc.name(self.element()).map_or("", |q| q.local())
    }
}
