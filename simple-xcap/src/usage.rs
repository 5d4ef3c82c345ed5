//! Application usages (RFC 4825 §5): what a server knows of each AUID — MIME type, default
//! document namespace, schema, constraints and authorization — for resource-lists and
//! rls-services (RFC 4826), pidf-manipulation (RFC 4827), pres-rules (RFC 5025) and its OMA
//! variant, and xcap-caps (RFC 4825 §12).

use std::collections::HashSet;

use simple_patch::{Document, NodeId};

use crate::conflict::{Conflict, Exists};
use crate::schema::{self, Schema};
use crate::uri::XcapUri;

/// `application/resource-lists+xml`.
pub const RESOURCE_LISTS_MIME: &str = "application/resource-lists+xml";
/// `application/rls-services+xml`.
pub const RLS_SERVICES_MIME: &str = "application/rls-services+xml";
/// `application/pidf+xml`.
pub const PIDF_MIME: &str = "application/pidf+xml";
/// `application/auth-policy+xml`.
pub const AUTH_POLICY_MIME: &str = "application/auth-policy+xml";
/// `application/xcap-caps+xml`.
pub const XCAP_CAPS_MIME: &str = "application/xcap-caps+xml";
/// `application/xcap-el+xml`: an element.
pub const XCAP_EL_MIME: &str = "application/xcap-el+xml";
/// `application/xcap-att+xml`: an attribute value.
pub const XCAP_ATT_MIME: &str = "application/xcap-att+xml";
/// `application/xcap-ns+xml`: namespace bindings.
pub const XCAP_NS_MIME: &str = "application/xcap-ns+xml";
/// `application/xcap-error+xml`: a detailed conflict report.
pub const XCAP_ERROR_MIME: &str = "application/xcap-error+xml";
/// `urn:ietf:params:xml:ns:pidf`.
pub const PIDF_NS: &str = "urn:ietf:params:xml:ns:pidf";

/// What the server checks documents of a usage against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// RFC 4826 §3: resource lists.
    ResourceLists,
    /// RFC 4826 §4: RLS services; service URIs unique across all users.
    RlsServices,
    /// RFC 4827: a PIDF document.
    PidfManipulation,
    /// RFC 5025: presence authorization rules.
    PresRules,
    /// OMA's pres-rules (`org.openmobilealliance.pres-rules`): pres-rules with the OMA
    /// common policy extensions.
    OmaPresRules,
    /// RFC 4825 §12: the server's capabilities, read-only, written by the server.
    XcapCaps,
    /// A usage without a schema of ours: any well-formed document.
    Unchecked,
}

/// An application usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The AUID.
    pub auid: String,
    /// The MIME type of its documents.
    pub mime: String,
    /// The default document namespace of node selectors.
    pub namespace: String,
    /// How documents are checked.
    pub kind: Kind,
    /// Whether users may write the global tree (default: no; RFC 4825 §5.7).
    pub global_writable: bool,
}

impl Usage {
    fn new(auid: &str, mime: &str, namespace: &str, kind: Kind) -> Self {
        Self {
            auid: auid.to_owned(),
            mime: mime.to_owned(),
            namespace: namespace.to_owned(),
            kind,
            global_writable: false,
        }
    }

    /// `resource-lists` (RFC 4826 §3.4).
    pub fn resource_lists() -> Self {
        Self::new(
            "resource-lists",
            RESOURCE_LISTS_MIME,
            schema::RESOURCE_LISTS_NS,
            Kind::ResourceLists,
        )
    }

    /// `rls-services` (RFC 4826 §4.4).
    pub fn rls_services() -> Self {
        Self::new("rls-services", RLS_SERVICES_MIME, schema::RLS_SERVICES_NS, Kind::RlsServices)
    }

    /// `pidf-manipulation` (RFC 4827).
    pub fn pidf_manipulation() -> Self {
        Self::new("pidf-manipulation", PIDF_MIME, PIDF_NS, Kind::PidfManipulation)
    }

    /// `pres-rules` (RFC 5025 §9).
    pub fn pres_rules() -> Self {
        Self::new("pres-rules", AUTH_POLICY_MIME, schema::PRES_RULES_NS, Kind::PresRules)
    }

    /// `org.openmobilealliance.pres-rules` (OMA Presence XDM), which real clients use.
    pub fn oma_pres_rules() -> Self {
        Self::new(
            "org.openmobilealliance.pres-rules",
            AUTH_POLICY_MIME,
            schema::PRES_RULES_NS,
            Kind::OmaPresRules,
        )
    }

    /// `xcap-caps` (RFC 4825 §12).
    pub fn xcap_caps() -> Self {
        Self::new("xcap-caps", XCAP_CAPS_MIME, schema::XCAP_CAPS_NS, Kind::XcapCaps)
    }

    /// A usage of the caller's, whose documents are only checked for well-formedness.
    pub fn unchecked(auid: &str, mime: &str, namespace: &str) -> Self {
        Self::new(auid, mime, namespace, Kind::Unchecked)
    }

    /// The usages this crate knows, xcap-caps first.
    pub fn all() -> Vec<Self> {
        vec![
            Self::xcap_caps(),
            Self::resource_lists(),
            Self::rls_services(),
            Self::pidf_manipulation(),
            Self::pres_rules(),
            Self::oma_pres_rules(),
        ]
    }

    /// The namespaces whose elements this usage validates (for xcap-caps).
    pub fn namespaces(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::ResourceLists => &[schema::RESOURCE_LISTS_NS],
            Kind::RlsServices => &[schema::RLS_SERVICES_NS, schema::RESOURCE_LISTS_NS],
            Kind::PidfManipulation => &[PIDF_NS],
            Kind::PresRules => &[schema::COMMON_POLICY_NS, schema::PRES_RULES_NS],
            Kind::OmaPresRules => {
                &[schema::COMMON_POLICY_NS, schema::PRES_RULES_NS, schema::OMA_COMMON_POLICY_NS]
            }
            Kind::XcapCaps => &[schema::XCAP_CAPS_NS],
            Kind::Unchecked => &[],
        }
    }

    const fn schema(&self) -> Option<&'static Schema> {
        match self.kind {
            Kind::ResourceLists => Some(&schema::RESOURCE_LISTS),
            Kind::RlsServices => Some(&schema::RLS_SERVICES),
            Kind::PresRules => Some(&schema::PRES_RULES),
            Kind::OmaPresRules => Some(&schema::OMA_PRES_RULES),
            Kind::PidfManipulation | Kind::XcapCaps | Kind::Unchecked => None,
        }
    }

    /// Checks a whole document: schema, then the usage's uniqueness and data constraints
    /// within the document (constraints across documents are the server's).
    pub fn check_document(&self, doc: &Document) -> Result<(), Conflict> {
        if self.kind == Kind::PidfManipulation {
            return simple_pidf::Presence::from_document(doc)
                .map(drop)
                .map_err(|e| Conflict::SchemaValidation(Some(e.to_string())));
        }
        if let Some(s) = self.schema() {
            s.validate(doc).map_err(|p| Conflict::SchemaValidation(Some(p)))?;
        }
        let root = doc.root_element().ok_or(Conflict::SchemaValidation(None))?;
        for el in doc.descendants(root).filter(|&n| doc.is_element(n)) {
            self.unique_children(doc, el, None)?;
            self.constraints(doc, el)?;
        }
        Ok(())
    }

    /// Checks a document after a change under `parent`: `parent`'s own content model and
    /// the uniqueness of `changed` (the new or changed child, checked whole) among its
    /// siblings; with no `changed` (a removal), `parent`'s content model only.
    pub fn check_change(
        &self,
        doc: &Document,
        parent: NodeId,
        changed: Option<NodeId>,
    ) -> Result<(), Conflict> {
        self.check_change_in(doc, parent, changed, false)
    }

    /// [`Usage::check_change`]; `model_kept` says the change replaced a child of `parent` by
    /// one of the same expanded name, so the parent's sequence of child names (all its
    /// content model sees) is unchanged and is not checked again: an element PUT on a big
    /// list then costs the new element and one pass over its siblings for uniqueness.
    pub(crate) fn check_change_in(
        &self,
        doc: &Document,
        parent: NodeId,
        changed: Option<NodeId>,
        model_kept: bool,
    ) -> Result<(), Conflict> {
        if matches!(self.kind, Kind::PidfManipulation) {
            return self.check_document(doc);
        }
        let Some(s) = self.schema() else { return Ok(()) };
        if parent == Document::ROOT {
            return self.check_document(doc);
        }
        if !model_kept {
            s.validate_element(doc, parent).map_err(|p| Conflict::SchemaValidation(Some(p)))?;
        }
        if let Some(c) = changed {
            s.validate_subtree(doc, c).map_err(|p| Conflict::SchemaValidation(Some(p)))?;
            self.unique_children(doc, parent, Some(c))?;
            for el in doc.descendants(c).filter(|&n| doc.is_element(n)) {
                self.unique_children(doc, el, None)?;
                self.constraints(doc, el)?;
            }
        }
        Ok(())
    }

    /// The attribute of `el` that must be unique among its same-named siblings.
    fn unique_key<'d>(&self, doc: &'d Document, el: NodeId) -> Option<(&'static str, &'d str)> {
        let ns = doc.namespace(el)?;
        let local = doc.name(el)?.local();
        let attr = match (self.kind, ns, local) {
            (Kind::ResourceLists | Kind::RlsServices, schema::RESOURCE_LISTS_NS, l)
            | (Kind::RlsServices, schema::RLS_SERVICES_NS, l @ "list") => match l {
                "list" => "name",
                "entry" => "uri",
                "entry-ref" => "ref",
                "external" => "anchor",
                _ => return None,
            },
            (Kind::RlsServices, schema::RLS_SERVICES_NS, "service") => "uri",
            (Kind::PresRules | Kind::OmaPresRules, schema::COMMON_POLICY_NS, "rule") => "id",
            _ => return None,
        };
        Some((attr, doc.attribute(el, None, attr)?))
    }

    /// Uniqueness among the children of `parent` (RFC 4826 §3.4.5, RFC 4745 `xs:ID`); only
    /// `only` against the others when given.
    fn unique_children(
        &self,
        doc: &Document,
        parent: NodeId,
        only: Option<NodeId>,
    ) -> Result<(), Conflict> {
        let same_kind = |a: NodeId, b: NodeId| {
            doc.namespace(a) == doc.namespace(b)
                && doc.name(a).map(|n| n.local()) == doc.name(b).map(|n| n.local())
        };
        let fail = |el: NodeId, attr: &str, value: &str| {
            let taken: HashSet<&str> = doc
                .child_elements(parent)
                .filter(|&s| same_kind(s, el))
                .filter_map(|s| self.unique_key(doc, s).map(|k| k.1))
                .collect();
            Conflict::UniquenessFailure {
                exists: vec![Exists {
                    field: field(doc, el, attr),
                    alt_values: alternative(value, &taken).into_iter().collect(),
                }],
                phrase: Some(format!("{} {attr}=\"{value}\" exists", schema::path(doc, el))),
            }
        };
        match only {
            Some(c) => {
                let Some((attr, value)) = self.unique_key(doc, c) else { return Ok(()) };
                let local = doc.name(c).map(|n| n.local());
                // cheapest test first: the siblings' namespaces are looked up only for a
                // sibling with the same local name and the same value
                for s in doc.child_elements(parent) {
                    if s != c
                        && doc.name(s).map(|n| n.local()) == local
                        && doc.attribute(s, None, attr) == Some(value)
                        && same_kind(s, c)
                    {
                        return Err(fail(c, attr, value));
                    }
                }
            }
            None => {
                let mut seen: HashSet<(&str, &str, &str)> = HashSet::new();
                for s in doc.child_elements(parent) {
                    if let Some((attr, value)) = self.unique_key(doc, s) {
                        let local = doc.name(s).map_or("", |n| n.local());
                        if !seen.insert((local, attr, value)) {
                            return Err(fail(s, attr, value));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The data constraints of one element (RFC 4826 §3.4.5, §4.4.5).
    fn constraints(&self, doc: &Document, el: NodeId) -> Result<(), Conflict> {
        let (Some(ns), Some(name)) = (doc.namespace(el), doc.name(el)) else { return Ok(()) };
        match (self.kind, ns, name.local()) {
            (Kind::ResourceLists | Kind::RlsServices, schema::RESOURCE_LISTS_NS, "entry-ref") => {
                // folded over lines in the RFC's examples: white space is no part of a URI
                let r: String = doc
                    .attribute(el, None, "ref")
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if r.contains("://") || r.starts_with('/') || XcapUri::parse_relative(&r).is_err() {
                    return Err(Conflict::ConstraintFailure(Some(format!(
                        "{}: ref must be a relative XCAP path",
                        schema::path(doc, el)
                    ))));
                }
            }
            (Kind::ResourceLists | Kind::RlsServices, schema::RESOURCE_LISTS_NS, "external") => {
                if let Some(a) = doc.attribute(el, None, "anchor") {
                    if !is_http(a) {
                        return Err(Conflict::ConstraintFailure(Some(format!(
                            "{}: anchor must be an absolute HTTP URI",
                            schema::path(doc, el)
                        ))));
                    }
                }
            }
            (Kind::RlsServices, schema::RLS_SERVICES_NS, "resource-list")
                if !is_http(doc.string_value(el).trim()) =>
            {
                return Err(Conflict::ConstraintFailure(Some(format!(
                    "{}: resource-list must be an absolute HTTP URI",
                    schema::path(doc, el)
                ))));
            }
            _ => {}
        }
        Ok(())
    }
}

fn is_http(s: &str) -> bool {
    let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    (lower.starts_with("http://") && s.len() > 7) || (lower.starts_with("https://") && s.len() > 8)
}

/// `resource-lists/list/entry/@uri`: the field of a `<uniqueness-failure>`.
fn field(doc: &Document, el: NodeId, attr: &str) -> String {
    let mut parts = Vec::new();
    let mut at = Some(el);
    while let Some(n) = at {
        let Some(name) = doc.name(n) else { break };
        parts.push(name.local());
        at = doc.parent(n);
    }
    parts.reverse();
    format!("{}/@{attr}", parts.join("/"))
}

/// A value like `value` that `taken` does not hold: a number added before the `@` of a
/// URI's user part, or at the end.
pub(crate) fn alternative(value: &str, taken: &HashSet<&str>) -> Option<String> {
    let (head, tail) = match value.find('@') {
        Some(at) => value.split_at(at),
        None => (value, ""),
    };
    (2..1000).map(|n| format!("{head}-{n}{tail}")).find(|v| !taken.contains(v.as_str()))
}
