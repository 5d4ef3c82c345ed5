//! Structure checks in Rust for the usages' XML schemas: each schema is a table of element
//! definitions (attributes, content model as XSD particles, simple types), checked by one
//! small validator. Elements from namespaces the table does not know are accepted where the
//! schema has an `xs:any processContents="lax"` slot (RFC 4825 §8.2.5); elements of a known
//! namespace without a definition are refused.

use simple_patch::{Document, NodeId, NodeKind, XML_NS};

/// The simple type of an attribute or of an element's text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text {
    /// Any string.
    String,
    /// `xs:anyURI`.
    Uri,
    /// `xs:dateTime`.
    DateTime,
    /// `xs:boolean`.
    Boolean,
    /// `xs:token` from an enumeration.
    Enum(&'static [&'static str]),
}

impl Text {
    fn check(self, value: &str) -> bool {
        let v = value.trim_matches([' ', '\t', '\r', '\n']);
        match self {
            Self::String => true,
            // xs:anyURI's lexical space is any string (XSD 1.1; libxml2 agrees)
            Self::Uri => true,
            Self::DateTime => simple_pidf::DateTime::parse(v).is_some(),
            Self::Boolean => matches!(v, "true" | "false" | "1" | "0"),
            Self::Enum(values) => values.contains(&v),
        }
    }
}

/// An attribute of a definition; `name` may be `xml:lang`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attr {
    pub name: &'static str,
    pub required: bool,
    pub text: Text,
}

/// A particle of a content model, with its occurrence bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Particle {
    /// An element `(namespace, local name)`, which must have a definition.
    El(&'static str, &'static str, u32, u32),
    /// One of the alternatives per repetition.
    Choice(&'static [Self], u32, u32),
    /// The items in order per repetition.
    Seq(&'static [Self], u32, u32),
    /// `xs:any namespace="##other"`: an element of another namespace than the definition's.
    Other(u32, u32),
}

/// Unbounded.
pub(crate) const N: u32 = u32::MAX;

/// What an element may contain.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content {
    /// Nothing but white space and comments.
    Empty,
    /// Text of a simple type, no elements.
    Text(Text),
    /// Elements in a sequence (white space between them).
    Elements(&'static [Particle]),
}

/// An element definition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Def {
    pub ns: &'static str,
    pub name: &'static str,
    pub attrs: &'static [Attr],
    /// `xs:anyAttribute namespace="##other"`: attributes in other namespaces.
    pub other_attrs: bool,
    pub content: Content,
}

/// A schema: the root element and the definitions of every element of the namespaces it
/// knows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema {
    pub root: (&'static str, &'static str),
    pub defs: &'static [&'static [Def]],
    /// Namespaces whose elements must have a definition.
    pub known: &'static [&'static str],
}

/// Why a document does not validate: the XML path of the element at fault and what.
pub(crate) type Invalid = String;

impl Schema {
    fn def(&self, ns: &str, name: &str) -> Option<&'static Def> {
        self.defs.iter().flat_map(|d| d.iter()).find(|d| d.ns == ns && d.name == name)
    }

    /// Checks a whole document.
    pub(crate) fn validate(&self, doc: &Document) -> Result<(), Invalid> {
        let root = doc.root_element().ok_or_else(|| "no root element".to_owned())?;
        let ns = doc.namespace(root).unwrap_or("");
        let local = doc.name(root).map_or("", |n| n.local());
        if (ns, local) != self.root {
            return Err(format!("root element is not {{{}}}{}", self.root.0, self.root.1));
        }
        self.validate_subtree(doc, root)
    }

    /// Checks `node` and everything below it (the element's own content model included).
    pub(crate) fn validate_subtree(&self, doc: &Document, node: NodeId) -> Result<(), Invalid> {
        let mut stack = vec![node];
        while let Some(el) = stack.pop() {
            let ns = doc.namespace(el).unwrap_or("");
            let local = doc.name(el).map_or("", |n| n.local());
            let Some(def) = self.def(ns, local) else {
                if self.known.contains(&ns) {
                    return Err(format!("{}: no such element in {{{ns}}}", path(doc, el)));
                }
                // lax: an unknown namespace's element is taken as it is
                continue;
            };
            self.check_element(doc, el, def)?;
            if let Content::Elements(_) = def.content {
                stack.extend(doc.child_elements(el));
            }
        }
        Ok(())
    }

    /// Checks one element's attributes and content model, not its children's.
    pub(crate) fn validate_element(&self, doc: &Document, el: NodeId) -> Result<(), Invalid> {
        let ns = doc.namespace(el).unwrap_or("");
        let local = doc.name(el).map_or("", |n| n.local());
        match self.def(ns, local) {
            Some(def) => self.check_element(doc, el, def),
            None if self.known.contains(&ns) => {
                Err(format!("{}: no such element in {{{ns}}}", path(doc, el)))
            }
            None => Ok(()),
        }
    }

    fn check_element(&self, doc: &Document, el: NodeId, def: &Def) -> Result<(), Invalid> {
        let e = doc.element(el).expect("validated nodes are elements");
        for a in e.plain_attributes() {
            let listed = def.attrs.iter().find(|d| match d.name.split_once(':') {
                Some((_, l)) => {
                    a.name.local() == l && doc.attribute_namespace(el, &a.name) == Some(XML_NS)
                }
                None => a.name.prefix().is_none() && a.name.local() == d.name,
            });
            match listed {
                Some(d) if !d.text.check(&a.value) => {
                    return Err(format!("{}: invalid value of @{}", path(doc, el), a.name));
                }
                Some(_) => {}
                None if a.name.prefix().is_some() && def.other_attrs => {}
                None => {
                    return Err(format!("{}: attribute @{} not allowed", path(doc, el), a.name));
                }
            }
        }
        for d in def.attrs.iter().filter(|d| d.required) {
            if doc.attribute(el, None, d.name).is_none() {
                return Err(format!("{}: missing attribute @{}", path(doc, el), d.name));
            }
        }
        match def.content {
            Content::Empty => {
                for c in doc.children(el) {
                    match doc.kind(c) {
                        NodeKind::Text(t) if simple_patch::is_xml_ws(t) => {}
                        NodeKind::Comment(_) | NodeKind::ProcessingInstruction { .. } => {}
                        NodeKind::Document | NodeKind::Element(_) | NodeKind::Text(_) => {
                            return Err(format!("{}: must be empty", path(doc, el)));
                        }
                    }
                }
            }
            Content::Text(t) => {
                if doc.child_elements(el).next().is_some() {
                    return Err(format!("{}: elements not allowed", path(doc, el)));
                }
                if !t.check(&doc.string_value(el)) {
                    return Err(format!("{}: invalid value", path(doc, el)));
                }
            }
            Content::Elements(particles) => {
                let mut children = Vec::new();
                for c in doc.children(el) {
                    match doc.kind(c) {
                        NodeKind::Element(_) => children.push(c),
                        NodeKind::Text(t) if !simple_patch::is_xml_ws(t) => {
                            return Err(format!("{}: text not allowed", path(doc, el)));
                        }
                        NodeKind::Document
                        | NodeKind::Text(_)
                        | NodeKind::Comment(_)
                        | NodeKind::ProcessingInstruction { .. } => {}
                    }
                }
                let m = Matcher { doc, children: &children, own: def.ns };
                let at = m.seq(particles, 0).ok_or_else(|| {
                    format!("{}: content does not match the schema", path(doc, el))
                })?;
                if at < children.len() {
                    return Err(format!("{}: element not allowed here", path(doc, children[at])));
                }
            }
        }
        Ok(())
    }
}

struct Matcher<'a> {
    doc: &'a Document,
    children: &'a [NodeId],
    own: &'static str,
}

impl Matcher<'_> {
    /// Matches the items in order from `at`; the position after, or `None`.
    fn seq(&self, items: &[Particle], mut at: usize) -> Option<usize> {
        for p in items {
            at = self.repeat(p, at)?;
        }
        Some(at)
    }

    /// Matches `p` as often as its bounds allow (greedy; the usages' schemas are
    /// deterministic, as XSD's unique particle attribution requires).
    fn repeat(&self, p: &Particle, mut at: usize) -> Option<usize> {
        let (min, max) = match *p {
            Particle::El(_, _, a, b)
            | Particle::Choice(_, a, b)
            | Particle::Seq(_, a, b)
            | Particle::Other(a, b) => (a, b),
        };
        let mut n = 0;
        while n < max {
            match self.once(p, at) {
                Some(next) if next > at => {
                    at = next;
                    n += 1;
                }
                _ => break,
            }
        }
        (n >= min).then_some(at)
    }

    fn once(&self, p: &Particle, at: usize) -> Option<usize> {
        match *p {
            Particle::El(ns, name, _, _) => {
                let &c = self.children.get(at)?;
                let here = self.doc.namespace(c).unwrap_or("");
                let local = self.doc.name(c).map_or("", |n| n.local());
                (here == ns && local == name).then_some(at + 1)
            }
            Particle::Other(_, _) => {
                let &c = self.children.get(at)?;
                let here = self.doc.namespace(c).unwrap_or("");
                (!here.is_empty() && here != self.own).then_some(at + 1)
            }
            Particle::Choice(alts, _, _) => {
                alts.iter().find_map(|a| self.repeat_once(a, at).filter(|&n| n > at))
            }
            Particle::Seq(items, _, _) => self.seq(items, at),
        }
    }

    /// A nested alternative counts its own bounds.
    fn repeat_once(&self, p: &Particle, at: usize) -> Option<usize> {
        match p {
            Particle::El(..) | Particle::Other(..) => self.once(p, at),
            Particle::Choice(..) | Particle::Seq(..) => self.repeat(p, at),
        }
    }
}

/// `/a/b[2]/c`: where an element is, for error phrases.
pub(crate) fn path(doc: &Document, node: NodeId) -> String {
    let mut parts = Vec::new();
    let mut at = Some(node);
    while let Some(n) = at {
        let Some(name) = doc.name(n) else { break };
        let parent = doc.parent(n);
        let same = |c: &NodeId| doc.name(*c).is_some_and(|q| q.local() == name.local());
        let index = parent
            .map_or(1, |p| doc.child_elements(p).take_while(|c| *c != n).filter(same).count() + 1);
        let total = parent.map_or(1, |p| doc.child_elements(p).filter(same).count());
        parts.push(if total > 1 { format!("{name}[{index}]") } else { name.to_string() });
        at = parent;
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

// ---- the usages' schemas -----------------------------------------------------------------

/// `urn:ietf:params:xml:ns:resource-lists`.
pub const RESOURCE_LISTS_NS: &str = "urn:ietf:params:xml:ns:resource-lists";
/// `urn:ietf:params:xml:ns:rls-services`.
pub const RLS_SERVICES_NS: &str = "urn:ietf:params:xml:ns:rls-services";
/// `urn:ietf:params:xml:ns:common-policy`.
pub const COMMON_POLICY_NS: &str = "urn:ietf:params:xml:ns:common-policy";
/// `urn:ietf:params:xml:ns:pres-rules`.
pub const PRES_RULES_NS: &str = "urn:ietf:params:xml:ns:pres-rules";
/// `urn:oma:xml:xdm:common-policy`: the OMA extensions of common policy.
pub const OMA_COMMON_POLICY_NS: &str = "urn:oma:xml:xdm:common-policy";
/// `urn:oma:xml:prs:pres-rules`: OMA's presence permissions.
pub const OMA_PRES_RULES_NS: &str = "urn:oma:xml:prs:pres-rules";
/// `urn:ietf:params:xml:ns:xcap-caps`.
pub const XCAP_CAPS_NS: &str = "urn:ietf:params:xml:ns:xcap-caps";

const RL: &str = RESOURCE_LISTS_NS;
const RLS: &str = RLS_SERVICES_NS;
const CP: &str = COMMON_POLICY_NS;
const PR: &str = PRES_RULES_NS;
const OCP: &str = OMA_COMMON_POLICY_NS;

const fn attr(name: &'static str, required: bool, text: Text) -> Attr {
    Attr { name, required, text }
}

const fn def(
    ns: &'static str,
    name: &'static str,
    attrs: &'static [Attr],
    other_attrs: bool,
    content: Content,
) -> Def {
    Def { ns, name, attrs, other_attrs, content }
}

const LANG: &[Attr] = &[attr("xml:lang", false, Text::String)];
const DISPLAY_THEN_OTHER: &[Particle] =
    &[Particle::El(RL, "display-name", 0, 1), Particle::Other(0, N)];
const LIST_TYPE: &[Particle] = &[
    Particle::El(RL, "display-name", 0, 1),
    Particle::Choice(
        &[
            Particle::El(RL, "list", 1, 1),
            Particle::El(RL, "external", 1, 1),
            Particle::El(RL, "entry", 1, 1),
            Particle::El(RL, "entry-ref", 1, 1),
        ],
        0,
        N,
    ),
    Particle::Other(0, N),
];
const LIST_ATTRS: &[Attr] = &[attr("name", false, Text::String)];

/// RFC 4826 §3.2.
pub(crate) const RESOURCE_LISTS_DEFS: &[Def] = &[
    def(RL, "resource-lists", &[], false, Content::Elements(&[Particle::El(RL, "list", 0, N)])),
    def(RL, "list", LIST_ATTRS, true, Content::Elements(LIST_TYPE)),
    def(RL, "display-name", LANG, false, Content::Text(Text::String)),
    def(RL, "entry", &[attr("uri", true, Text::Uri)], true, Content::Elements(DISPLAY_THEN_OTHER)),
    def(
        RL,
        "entry-ref",
        &[attr("ref", true, Text::Uri)],
        true,
        Content::Elements(DISPLAY_THEN_OTHER),
    ),
    def(
        RL,
        "external",
        &[attr("anchor", false, Text::Uri)],
        true,
        Content::Elements(DISPLAY_THEN_OTHER),
    ),
];

/// RFC 4826 §4.2.
pub(crate) const RLS_SERVICES_DEFS: &[Def] = &[
    def(RLS, "rls-services", &[], false, Content::Elements(&[Particle::El(RLS, "service", 0, N)])),
    def(
        RLS,
        "service",
        &[attr("uri", true, Text::Uri)],
        true,
        Content::Elements(&[
            Particle::Choice(
                &[Particle::El(RLS, "resource-list", 1, 1), Particle::El(RLS, "list", 1, 1)],
                1,
                1,
            ),
            Particle::El(RLS, "packages", 0, 1),
            Particle::Other(0, N),
        ]),
    ),
    def(RLS, "resource-list", &[], false, Content::Text(Text::Uri)),
    def(RLS, "list", LIST_ATTRS, true, Content::Elements(LIST_TYPE)),
    def(
        RLS,
        "packages",
        &[],
        false,
        Content::Elements(&[Particle::Seq(
            &[Particle::El(RLS, "package", 1, 1), Particle::Other(0, N)],
            0,
            N,
        )]),
    ),
    def(RLS, "package", &[], false, Content::Text(Text::String)),
];

/// RFC 4745 §13.
pub(crate) const COMMON_POLICY_DEFS: &[Def] = &[
    def(CP, "ruleset", &[], false, Content::Elements(&[Particle::El(CP, "rule", 0, N)])),
    def(
        CP,
        "rule",
        &[attr("id", true, Text::Uri)],
        false,
        Content::Elements(&[
            Particle::El(CP, "conditions", 0, 1),
            Particle::El(CP, "actions", 0, 1),
            Particle::El(CP, "transformations", 0, 1),
        ]),
    ),
    def(
        CP,
        "conditions",
        &[],
        false,
        Content::Elements(&[Particle::Choice(
            &[
                Particle::El(CP, "identity", 1, 1),
                Particle::El(CP, "sphere", 1, 1),
                Particle::El(CP, "validity", 1, 1),
                Particle::Other(1, 1),
            ],
            0,
            N,
        )]),
    ),
    def(
        CP,
        "identity",
        &[],
        false,
        Content::Elements(&[Particle::Choice(
            &[Particle::El(CP, "one", 1, 1), Particle::El(CP, "many", 1, 1), Particle::Other(1, 1)],
            1,
            N,
        )]),
    ),
    def(
        CP,
        "one",
        &[attr("id", true, Text::Uri)],
        false,
        Content::Elements(&[Particle::Other(0, 1)]),
    ),
    def(
        CP,
        "many",
        &[attr("domain", false, Text::String)],
        false,
        Content::Elements(&[Particle::Choice(
            &[Particle::El(CP, "except", 1, 1), Particle::Other(1, 1)],
            0,
            N,
        )]),
    ),
    def(
        CP,
        "except",
        &[attr("domain", false, Text::String), attr("id", false, Text::Uri)],
        false,
        Content::Empty,
    ),
    def(CP, "sphere", &[attr("value", true, Text::String)], false, Content::Empty),
    def(
        CP,
        "validity",
        &[],
        false,
        Content::Elements(&[Particle::Seq(
            &[Particle::El(CP, "from", 1, 1), Particle::El(CP, "until", 1, 1)],
            1,
            N,
        )]),
    ),
    def(CP, "from", &[], false, Content::Text(Text::DateTime)),
    def(CP, "until", &[], false, Content::Text(Text::DateTime)),
    def(CP, "actions", &[], false, Content::Elements(&[Particle::Other(0, N)])),
    def(CP, "transformations", &[], false, Content::Elements(&[Particle::Other(0, N)])),
];

const BOOL: Content = Content::Text(Text::Boolean);
const SERVICE_CHOICES: &[Particle] = &[
    Particle::El(PR, "service-uri", 1, 1),
    Particle::El(PR, "service-uri-scheme", 1, 1),
    Particle::El(PR, "occurrence-id", 1, 1),
    Particle::El(PR, "class", 1, 1),
    Particle::Other(1, 1),
];
const DEVICE_CHOICES: &[Particle] = &[
    Particle::El(PR, "deviceID", 1, 1),
    Particle::El(PR, "occurrence-id", 1, 1),
    Particle::El(PR, "class", 1, 1),
    Particle::Other(1, 1),
];
const PERSON_CHOICES: &[Particle] = &[
    Particle::El(PR, "occurrence-id", 1, 1),
    Particle::El(PR, "class", 1, 1),
    Particle::Other(1, 1),
];

/// RFC 5025 §7.
pub(crate) const PRES_RULES_DEFS: &[Def] = &[
    def(PR, "service-uri-scheme", &[], false, Content::Text(Text::String)),
    def(PR, "class", &[], false, Content::Text(Text::String)),
    def(PR, "occurrence-id", &[], false, Content::Text(Text::String)),
    def(PR, "service-uri", &[], false, Content::Text(Text::Uri)),
    def(PR, "deviceID", &[], false, Content::Text(Text::Uri)),
    def(PR, "all-services", &[], false, Content::Empty),
    def(PR, "all-devices", &[], false, Content::Empty),
    def(PR, "all-persons", &[], false, Content::Empty),
    def(
        PR,
        "provide-services",
        &[],
        false,
        Content::Elements(&[Particle::Choice(
            &[Particle::El(PR, "all-services", 1, 1), Particle::Choice(SERVICE_CHOICES, 0, N)],
            0,
            1,
        )]),
    ),
    def(
        PR,
        "provide-devices",
        &[],
        false,
        Content::Elements(&[Particle::Choice(
            &[Particle::El(PR, "all-devices", 1, 1), Particle::Choice(DEVICE_CHOICES, 0, N)],
            0,
            1,
        )]),
    ),
    def(
        PR,
        "provide-persons",
        &[],
        false,
        Content::Elements(&[Particle::Choice(
            &[Particle::El(PR, "all-persons", 1, 1), Particle::Choice(PERSON_CHOICES, 0, N)],
            0,
            1,
        )]),
    ),
    def(PR, "provide-activities", &[], false, BOOL),
    def(PR, "provide-class", &[], false, BOOL),
    def(PR, "provide-deviceID", &[], false, BOOL),
    def(PR, "provide-mood", &[], false, BOOL),
    def(PR, "provide-place-is", &[], false, BOOL),
    def(PR, "provide-place-type", &[], false, BOOL),
    def(PR, "provide-privacy", &[], false, BOOL),
    def(PR, "provide-relationship", &[], false, BOOL),
    def(PR, "provide-status-icon", &[], false, BOOL),
    def(PR, "provide-sphere", &[], false, BOOL),
    def(PR, "provide-time-offset", &[], false, BOOL),
    def(PR, "provide-note", &[], false, BOOL),
    def(
        PR,
        "provide-user-input",
        &[],
        false,
        Content::Text(Text::Enum(&["false", "bare", "thresholds", "full"])),
    ),
    def(
        PR,
        "sub-handling",
        &[],
        false,
        Content::Text(Text::Enum(&["block", "confirm", "polite-block", "allow"])),
    ),
    def(
        PR,
        "provide-unknown-attribute",
        &[attr("name", true, Text::String), attr("ns", true, Text::String)],
        false,
        BOOL,
    ),
    def(PR, "provide-all-attributes", &[], false, Content::Empty),
];

/// OMA XDM common policy extensions (`other-identity`, `external-list`,
/// `anonymous-request`).
pub(crate) const OMA_COMMON_POLICY_DEFS: &[Def] = &[
    def(OCP, "other-identity", &[], false, Content::Empty),
    def(OCP, "anonymous-request", &[], false, Content::Empty),
    def(OCP, "external-list", &[], false, Content::Elements(&[Particle::El(OCP, "entry", 0, N)])),
    def(OCP, "entry", &[attr("anc", false, Text::Uri)], true, Content::Empty),
];

/// resource-lists documents.
pub(crate) const RESOURCE_LISTS: Schema =
    Schema { root: (RL, "resource-lists"), defs: &[RESOURCE_LISTS_DEFS], known: &[RL] };

/// rls-services documents (their lists are resource-lists list types).
pub(crate) const RLS_SERVICES: Schema = Schema {
    root: (RLS, "rls-services"),
    defs: &[RLS_SERVICES_DEFS, RESOURCE_LISTS_DEFS],
    known: &[RLS, RL],
};

/// pres-rules documents (common policy with the presence permissions).
pub(crate) const PRES_RULES: Schema = Schema {
    root: (CP, "ruleset"),
    defs: &[COMMON_POLICY_DEFS, PRES_RULES_DEFS],
    known: &[CP, PR],
};

/// OMA pres-rules documents: pres-rules with the OMA common policy extensions.
pub(crate) const OMA_PRES_RULES: Schema = Schema {
    root: (CP, "ruleset"),
    defs: &[COMMON_POLICY_DEFS, PRES_RULES_DEFS, OMA_COMMON_POLICY_DEFS],
    known: &[CP, PR, OCP],
};
