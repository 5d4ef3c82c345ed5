//! A namespace-aware, mutable XML tree.
//!
//! Nodes live in an arena inside [`Document`] and are named by [`NodeId`]s. Names are kept
//! lexically (prefix and local part) and namespace declarations are kept as the `xmlns` /
//! `xmlns:p` attributes they were written as, in document order, so a document writes back the
//! way it was read; namespaces are resolved on demand by walking the ancestors, which is what
//! RFC 5261 needs when a patch adds, replaces or removes a declaration.

use core::fmt;

/// The string type of names, attribute values and text: strings of up to 24 bytes (names,
/// URIs, white space between elements) are kept inline, without an allocation.
pub type Str = compact_str::CompactString;

/// The namespace bound to the `xml` prefix by the Namespaces in XML recommendation.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` declarations themselves.
pub const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// A handle to a node of one [`Document`]. Copy it freely; it stays valid until the node is
/// removed or the document compacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(core::num::NonZeroU32);

impl NodeId {
    /// The index of the node in its document's arena.
    pub const fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }

    /// The id of arena slot `index` (stored plus one, so `Option<NodeId>` is four bytes).
    const fn from_index(index: u32) -> Self {
        match core::num::NonZeroU32::new(index.wrapping_add(1)) {
            Some(n) => Self(n),
            None => Self(core::num::NonZeroU32::MAX),
        }
    }
}

/// A qualified name as written: optional prefix and local part.
///
/// Kept as the one string it is written as (`prefix:local`), inline up to 24 bytes, so a
/// name costs no allocation and an element node stays small; the parts are cut out of it on
/// demand. Ordered by prefix (unprefixed first), then local part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QName {
    raw: Str,
}

impl QName {
    /// An unprefixed name. `local` is taken as written: a colon in it reads as a prefix
    /// separator ([`QName::parse`] checks names; this does not).
    pub fn new(local: impl Into<Str>) -> Self {
        Self { raw: local.into() }
    }

    /// A prefixed name.
    pub fn prefixed(prefix: impl AsRef<str>, local: impl AsRef<str>) -> Self {
        let (prefix, local) = (prefix.as_ref(), local.as_ref());
        let mut raw = Str::with_capacity(prefix.len() + 1 + local.len());
        raw.push_str(prefix);
        raw.push(':');
        raw.push_str(local);
        Self { raw }
    }

    /// A name of the given prefix (or none) and local part.
    pub fn with_prefix(prefix: Option<&str>, local: impl AsRef<str>) -> Self {
        match prefix {
            Some(p) => Self::prefixed(p, local),
            None => Self::new(local.as_ref()),
        }
    }

    /// Parses `prefix:local` or `local`; `None` unless both parts are NCNames.
    pub fn parse(s: &str) -> Option<Self> {
        Self::parse_split(s).map(|(q, _)| q)
    }

    /// [`QName::parse`], also giving where the colon is (the parser's use: it needs the
    /// prefix at once).
    pub(crate) fn parse_split(s: &str) -> Option<(Self, Option<usize>)> {
        // The common case, an ASCII name: one pass over the bytes finds the colon and
        // checks both parts.
        let colon = match ascii_qname(s.as_bytes()) {
            Some(colon) => colon,
            None => match s.split_once(':') {
                Some((p, l)) if is_ncname(p) && is_ncname(l) => Some(p.len()),
                None if is_ncname(s) => None,
                Some(_) | None => return None,
            },
        };
        Some((Self::new(s), colon))
    }

    /// The name as written, `prefix:local` or `local`.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The prefix and the local part.
    pub fn split(&self) -> (Option<&str>, &str) {
        split_at_colon(&self.raw, memchr::memchr(b':', self.raw.as_bytes()))
    }

    /// The prefix, without the colon; `None` for an unprefixed name.
    pub fn prefix(&self) -> Option<&str> {
        self.split().0
    }

    /// The local part.
    pub fn local(&self) -> &str {
        self.split().1
    }

    /// If this attribute name is a namespace declaration, the prefix it declares
    /// (`Some(None)` for `xmlns`, `Some(Some("p"))` for `xmlns:p`).
    pub fn declared_prefix(&self) -> Option<Option<&str>> {
        declared_prefix(self.split())
    }
}

/// `s` as (prefix, local part), given where its colon is.
pub(crate) fn split_at_colon(s: &str, colon: Option<usize>) -> (Option<&str>, &str) {
    match colon {
        Some(i) => (Some(&s[..i]), &s[i + 1..]),
        None => (None, s),
    }
}

/// [`QName::declared_prefix`] of a name's (prefix, local part).
pub(crate) fn declared_prefix<'s>(
    (prefix, local): (Option<&'s str>, &'s str),
) -> Option<Option<&'s str>> {
    match (prefix, local) {
        (None, "xmlns") => Some(None),
        (Some("xmlns"), local) => Some(Some(local)),
        _ => None,
    }
}

impl PartialOrd for QName {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for QName {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.split().cmp(&other.split())
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Whether `s` is XML white space only (space, tab, CR, LF); true for the empty string.
pub fn is_xml_ws(s: &str) -> bool {
    s.bytes().all(is_ws_byte)
}

/// Whether `b` is XML white space (`S`): space, tab, LF or CR.
pub(crate) const fn is_ws_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// [`NAME_BYTES`]: may start a name.
const START: u8 = 1;
/// [`NAME_BYTES`]: may continue a name.
const NAME: u8 = 2;

/// What each ASCII byte may be in an NCName; 0 for everything else (non-ASCII bytes go
/// the slow way, by `char`).
static NAME_BYTES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphabetic() || b == b'_' {
            t[c] = START | NAME;
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            t[c] = NAME;
        }
        c += 1;
    }
    t
};

/// Whether `b` may be part of a name as the parser scans one: an ASCII name character, the
/// colon, or any byte of a non-ASCII character (the name is checked once cut out).
pub(crate) fn is_name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)] & NAME != 0 || b == b':' || b >= 0x80
}

/// Whether `b` is an all-ASCII `NCName` or `NCName:NCName`, in one pass: `Some(colon
/// position)` if it is; `None` if it is not, or holds non-ASCII bytes (for the caller's
/// `char` check).
fn ascii_qname(b: &[u8]) -> Option<Option<usize>> {
    let mut colon = None;
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let class = NAME_BYTES[usize::from(c)];
        if i == start {
            if class & START == 0 {
                return None;
            }
        } else if class & NAME == 0 {
            if c != b':' || colon.is_some() {
                return None;
            }
            colon = Some(i);
            start = i + 1;
        }
    }
    // not empty, not ending in the colon
    (start < b.len()).then_some(colon)
}

/// Whether `s` is an NCName: an XML 1.0 (fifth edition) Name without colons.
pub fn is_ncname(s: &str) -> bool {
    // The common case, ASCII names, byte by byte.
    if ascii_qname(s.as_bytes()) == Some(None) {
        return true;
    }
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// XML 1.0 `NameStartChar`, less the colon.
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar`, less the colon.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// An attribute (or namespace declaration) of an element, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name; `xmlns` and `xmlns:p` are namespace declarations.
    pub name: QName,
    /// The normalized value, with entity and character references resolved.
    pub value: Str,
}

impl Attribute {
    /// A new attribute.
    pub fn new(name: QName, value: impl Into<Str>) -> Self {
        Self { name, value: value.into() }
    }

    /// Whether this is a namespace declaration rather than an attribute.
    pub fn is_namespace_decl(&self) -> bool {
        self.name.declared_prefix().is_some()
    }
}

/// An element: its name and its attributes including namespace declarations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The element name as written.
    pub name: QName,
    /// Attributes and namespace declarations, in document order.
    pub attributes: Vec<Attribute>,
}

impl Element {
    /// A new element without attributes.
    pub const fn new(name: QName) -> Self {
        Self { name, attributes: Vec::new() }
    }

    /// The namespace URI this element itself declares for `prefix` (`None` = default).
    pub fn declared_namespace(&self, prefix: Option<&str>) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name.declared_prefix() == Some(prefix))
            .map(|a| a.value.as_str())
    }

    /// Namespace declarations of this element: (declared prefix, URI).
    pub fn namespace_decls(&self) -> impl Iterator<Item = (Option<&str>, &str)> {
        self.attributes
            .iter()
            .filter_map(|a| a.name.declared_prefix().map(|p| (p, a.value.as_str())))
    }

    /// Attributes that are not namespace declarations.
    pub fn plain_attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.attributes.iter().filter(|a| !a.is_namespace_decl())
    }
}

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// The document node, parent of the root element and of prolog/epilog nodes.
    Document,
    /// An element.
    Element(Element),
    /// Character data (never empty; CDATA sections are read as text).
    Text(Str),
    /// A comment, without the `<!--` `-->` delimiters.
    Comment(Str),
    /// A processing instruction.
    ProcessingInstruction {
        /// The PI target.
        target: String,
        /// Everything after the target and its separating white space.
        data: String,
    },
}

#[derive(Debug, Clone)]
struct Node {
    kind: NodeKind,
    parent: Option<NodeId>,
    first_child: Option<NodeId>,
    last_child: Option<NodeId>,
    prev: Option<NodeId>,
    next: Option<NodeId>,
}

/// An XML document: an arena of nodes under one document node, plus the prolog parts that
/// cannot be patched (the XML declaration and the document type declaration), kept verbatim.
#[derive(Debug, Clone)]
pub struct Document {
    nodes: Vec<Node>,
    garbage: usize,
    /// The XML declaration's content between `<?xml` and `?>`, verbatim, if there was one.
    pub declaration: Option<String>,
    /// The document type declaration's content between `<!DOCTYPE` and `>`, verbatim.
    pub doctype: Option<String>,
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

impl Document {
    /// The document node of every document.
    pub const ROOT: NodeId = NodeId::from_index(0);

    /// An empty document: a document node without children.
    pub fn new() -> Self {
        Self::with_capacity(1)
    }

    /// An empty document with room for `nodes` nodes before its arena grows.
    pub fn with_capacity(nodes: usize) -> Self {
        let mut arena = Vec::with_capacity(nodes.max(1));
        arena.push(Node {
            kind: NodeKind::Document,
            parent: None,
            first_child: None,
            last_child: None,
            prev: None,
            next: None,
        });
        Self { nodes: arena, garbage: 0, declaration: None, doctype: None }
    }

    /// A document holding one root element.
    pub fn with_root(name: QName) -> Self {
        let mut doc = Self::new();
        let root = doc.create_element(name);
        doc.append_child(Self::ROOT, root);
        doc
    }

    /// The document node.
    pub const fn root(&self) -> NodeId {
        Self::ROOT
    }

    /// The root element, if the document has one.
    pub fn root_element(&self) -> Option<NodeId> {
        self.children(Self::ROOT).find(|&c| self.is_element(c))
    }

    /// Number of arena slots, live or removed.
    pub fn capacity(&self) -> usize {
        self.nodes.len()
    }

    /// Number of arena slots held by removed nodes (reclaimed by [`Document::compact`]).
    pub const fn garbage(&self) -> usize {
        self.garbage
    }

    fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.index()]
    }

    // ---- access ------------------------------------------------------------------------

    /// What the node is.
    pub fn kind(&self, id: NodeId) -> &NodeKind {
        &self.node(id).kind
    }

    /// Mutable access to what the node is. Changing a node into or out of the document kind
    /// breaks the document; don't.
    pub fn kind_mut(&mut self, id: NodeId) -> &mut NodeKind {
        &mut self.node_mut(id).kind
    }

    /// The element, if the node is one.
    pub fn element(&self, id: NodeId) -> Option<&Element> {
        if let NodeKind::Element(e) = &self.node(id).kind { Some(e) } else { None }
    }

    /// The element, mutably, if the node is one.
    pub fn element_mut(&mut self, id: NodeId) -> Option<&mut Element> {
        if let NodeKind::Element(e) = &mut self.node_mut(id).kind { Some(e) } else { None }
    }

    /// Whether the node is an element.
    pub fn is_element(&self, id: NodeId) -> bool {
        matches!(self.node(id).kind, NodeKind::Element(_))
    }

    /// The text of a text node.
    pub fn text(&self, id: NodeId) -> Option<&str> {
        if let NodeKind::Text(t) = &self.node(id).kind { Some(t) } else { None }
    }

    /// The parent node (`None` for the document node and detached nodes).
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).parent
    }

    /// The first child.
    pub fn first_child(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).first_child
    }

    /// The last child.
    pub fn last_child(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).last_child
    }

    /// The next sibling.
    pub fn next_sibling(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).next
    }

    /// The previous sibling.
    pub fn prev_sibling(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).prev
    }

    /// The children of a node, in document order.
    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children { doc: self, next: self.node(id).first_child }
    }

    /// The element children of a node, in document order.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.children(id).filter(|&c| self.is_element(c))
    }

    /// The node and all its descendants, in document order.
    pub fn descendants(&self, id: NodeId) -> Descendants<'_> {
        Descendants { doc: self, top: id, next: Some(id) }
    }

    /// The element's name as written.
    pub fn name(&self, id: NodeId) -> Option<&QName> {
        self.element(id).map(|e| &e.name)
    }

    /// The namespace URI bound to `prefix` (`None` = the default namespace) in scope at `id`,
    /// or `None` when unbound (or the default namespace is undeclared with `xmlns=""`).
    pub fn lookup_namespace(&self, id: NodeId, prefix: Option<&str>) -> Option<&str> {
        match prefix {
            Some("xml") => return Some(XML_NS),
            Some("xmlns") => return Some(XMLNS_NS),
            _ => {}
        }
        let mut cur = Some(id);
        while let Some(n) = cur {
            if let Some(e) = self.element(n) {
                if let Some(uri) = e.declared_namespace(prefix) {
                    return (!uri.is_empty()).then_some(uri);
                }
            }
            cur = self.parent(n);
        }
        None
    }

    /// The namespace URI of an element.
    pub fn namespace(&self, id: NodeId) -> Option<&str> {
        let e = self.element(id)?;
        self.lookup_namespace(id, e.name.prefix())
    }

    /// The namespace URI of an attribute name on element `id` (unprefixed attributes are in
    /// no namespace).
    pub fn attribute_namespace(&self, id: NodeId, name: &QName) -> Option<&str> {
        name.prefix().and_then(|p| self.lookup_namespace(id, Some(p)))
    }

    /// Every namespace binding in scope at `id`, innermost first, each prefix once
    /// (`None` = default). Undeclared defaults (`xmlns=""`) are left out.
    pub fn in_scope_namespaces(&self, id: NodeId) -> Vec<(Option<&str>, &str)> {
        let mut scope = self.namespace_scope(id);
        scope.retain(|(_, uri)| !uri.is_empty());
        scope
    }

    /// Every prefix declared at `id` or above with the URI of its nearest declaration,
    /// innermost first, each prefix once; an undeclared default (`xmlns=""`) appears with an
    /// empty URI, so it hides any default further up.
    pub fn namespace_scope(&self, id: NodeId) -> Vec<(Option<&str>, &str)> {
        let mut out: Vec<(Option<&str>, &str)> = Vec::new();
        let mut cur = Some(id);
        while let Some(n) = cur {
            if let Some(e) = self.element(n) {
                for (p, uri) in e.namespace_decls() {
                    if !out.iter().any(|(q, _)| *q == p) {
                        out.push((p, uri));
                    }
                }
            }
            cur = self.parent(n);
        }
        out
    }

    /// The value of the attribute with namespace `ns` and local name `local`.
    pub fn attribute(&self, id: NodeId, ns: Option<&str>, local: &str) -> Option<&str> {
        self.attribute_index(id, ns, local)
            .and_then(|i| self.element(id).map(|e| e.attributes[i].value.as_str()))
    }

    /// Index into `Element::attributes` of the attribute with namespace `ns` and `local`.
    pub fn attribute_index(&self, id: NodeId, ns: Option<&str>, local: &str) -> Option<usize> {
        let e = self.element(id)?;
        e.attributes.iter().position(|a| {
            !a.is_namespace_decl()
                && a.name.local() == local
                && match (a.name.prefix(), ns) {
                    (None, None) => true,
                    (Some(p), Some(ns)) => self.lookup_namespace(id, Some(p)) == Some(ns),
                    _ => false,
                }
        })
    }

    /// The XPath string-value: the concatenated text of all descendant text nodes (or the
    /// content of a text, comment or processing-instruction node).
    pub fn string_value(&self, id: NodeId) -> String {
        match self.kind(id) {
            NodeKind::Text(t) | NodeKind::Comment(t) => t.to_string(),
            NodeKind::ProcessingInstruction { data, .. } => data.clone(),
            NodeKind::Document | NodeKind::Element(_) => {
                let mut s = String::new();
                for d in self.descendants(id) {
                    if let NodeKind::Text(t) = self.kind(d) {
                        s.push_str(t);
                    }
                }
                s
            }
        }
    }

    /// Whether `string_value(id) == value`, without building the string.
    pub fn string_value_eq(&self, id: NodeId, value: &str) -> bool {
        let mut rest = value;
        for d in self.descendants(id) {
            let piece = match self.kind(d) {
                NodeKind::Text(t) => t.as_str(),
                NodeKind::Comment(t) if d == id => t.as_str(),
                NodeKind::ProcessingInstruction { data, .. } if d == id => data.as_str(),
                NodeKind::Document
                | NodeKind::Element(_)
                | NodeKind::Comment(_)
                | NodeKind::ProcessingInstruction { .. } => continue,
            };
            match rest.strip_prefix(piece) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
    }

    /// Depth of the node: 0 for the document node, 1 for the root element.
    pub fn depth(&self, id: NodeId) -> usize {
        let mut d = 0;
        let mut cur = self.parent(id);
        while let Some(p) = cur {
            d += 1;
            cur = self.parent(p);
        }
        d
    }

    // ---- building ----------------------------------------------------------------------

    fn alloc(&mut self, kind: NodeKind) -> NodeId {
        let id = NodeId::from_index(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX - 1));
        self.nodes.push(Node {
            kind,
            parent: None,
            first_child: None,
            last_child: None,
            prev: None,
            next: None,
        });
        id
    }

    /// A new detached element; attach it with [`Document::append_child`] and friends.
    pub fn create_element(&mut self, name: QName) -> NodeId {
        self.alloc(NodeKind::Element(Element::new(name)))
    }

    /// A new detached text node. Text must not be empty when attached.
    pub fn create_text(&mut self, text: impl Into<Str>) -> NodeId {
        self.alloc(NodeKind::Text(text.into()))
    }

    /// A new detached comment.
    pub fn create_comment(&mut self, text: impl Into<Str>) -> NodeId {
        self.alloc(NodeKind::Comment(text.into()))
    }

    /// A new detached processing instruction.
    pub fn create_pi(&mut self, target: impl Into<String>, data: impl Into<String>) -> NodeId {
        self.alloc(NodeKind::ProcessingInstruction { target: target.into(), data: data.into() })
    }

    /// A new detached node of the given kind.
    pub fn create_node(&mut self, kind: NodeKind) -> NodeId {
        self.alloc(kind)
    }

    /// Sets (or adds, at the end) an attribute by its written name.
    pub fn set_attribute(&mut self, id: NodeId, name: QName, value: impl Into<String>) {
        if let Some(e) = self.element_mut(id) {
            let value = value.into();
            match e.attributes.iter_mut().find(|a| a.name == name) {
                Some(a) => a.value = value.into(),
                None => e.attributes.push(Attribute { name, value: value.into() }),
            }
        }
    }

    /// Creates a node as the last child of `parent`: [`Document::append_child`] of a node
    /// known to be fresh, without detaching it first (the parser's way of building).
    pub(crate) fn push_child(&mut self, parent: NodeId, kind: NodeKind) -> NodeId {
        let id = self.alloc(kind);
        self.link_last(parent, id);
        id
    }

    /// Appends `child` (detached) as the last child of `parent`.
    pub fn append_child(&mut self, parent: NodeId, child: NodeId) {
        self.detach(child);
        self.link_last(parent, child);
    }

    /// Links a detached `child` in as the last child of `parent`.
    fn link_last(&mut self, parent: NodeId, child: NodeId) {
        let last = self.node(parent).last_child;
        {
            let c = self.node_mut(child);
            c.parent = Some(parent);
            c.prev = last;
            c.next = None;
        }
        match last {
            Some(l) => self.node_mut(l).next = Some(child),
            None => self.node_mut(parent).first_child = Some(child),
        }
        self.node_mut(parent).last_child = Some(child);
    }

    /// Inserts `child` as the first child of `parent`.
    pub fn prepend_child(&mut self, parent: NodeId, child: NodeId) {
        match self.first_child(parent) {
            Some(first) => self.insert_before(first, child),
            None => self.append_child(parent, child),
        }
    }

    /// Inserts `new` as the previous sibling of `sibling` (which must be attached).
    pub fn insert_before(&mut self, sibling: NodeId, new: NodeId) {
        self.detach(new);
        let Some(parent) = self.parent(sibling) else { return };
        let prev = self.node(sibling).prev;
        {
            let n = self.node_mut(new);
            n.parent = Some(parent);
            n.prev = prev;
            n.next = Some(sibling);
        }
        self.node_mut(sibling).prev = Some(new);
        match prev {
            Some(p) => self.node_mut(p).next = Some(new),
            None => self.node_mut(parent).first_child = Some(new),
        }
    }

    /// Inserts `new` as the next sibling of `sibling` (which must be attached).
    pub fn insert_after(&mut self, sibling: NodeId, new: NodeId) {
        match self.next_sibling(sibling) {
            Some(next) => self.insert_before(next, new),
            None => {
                if let Some(parent) = self.parent(sibling) {
                    self.append_child(parent, new);
                }
            }
        }
    }

    /// Unlinks a node (and its subtree) from its parent; it can be attached again.
    pub fn detach(&mut self, id: NodeId) {
        let (parent, prev, next) = {
            let n = self.node(id);
            (n.parent, n.prev, n.next)
        };
        let Some(parent) = parent else { return };
        match prev {
            Some(p) => self.node_mut(p).next = next,
            None => self.node_mut(parent).first_child = next,
        }
        match next {
            Some(n) => self.node_mut(n).prev = prev,
            None => self.node_mut(parent).last_child = prev,
        }
        let n = self.node_mut(id);
        n.parent = None;
        n.prev = None;
        n.next = None;
    }

    /// Removes a node and its subtree. Their ids must not be used afterwards.
    pub fn remove(&mut self, id: NodeId) {
        let count = self.descendants(id).count();
        self.detach(id);
        self.garbage += count;
    }

    /// Deep-copies `node` of `src` (any document, this one included) into this document as a
    /// detached subtree; names and declarations are copied as written.
    pub fn import(&mut self, src: &Self, node: NodeId) -> NodeId {
        let top = self.alloc(src.kind(node).clone());
        let mut stack: Vec<(NodeId, NodeId)> = vec![(node, top)];
        while let Some((s, d)) = stack.pop() {
            let mut c = src.first_child(s);
            while let Some(sc) = c {
                let dc = self.alloc(src.kind(sc).clone());
                self.append_child(d, dc);
                stack.push((sc, dc));
                c = src.next_sibling(sc);
            }
        }
        top
    }

    /// Rebuilds the arena without removed nodes. Every `NodeId` held before is invalid after.
    pub fn compact(&mut self) {
        let mut fresh = Self::new();
        fresh.declaration = self.declaration.take();
        fresh.doctype = self.doctype.take();
        let mut c = self.first_child(Self::ROOT);
        while let Some(n) = c {
            let copy = fresh.import(self, n);
            fresh.append_child(Self::ROOT, copy);
            c = self.next_sibling(n);
        }
        *self = fresh;
    }

    /// Merges `id` with an adjacent text sibling if both are text (XPath allows no adjacent
    /// text nodes). Returns the surviving node.
    pub(crate) fn merge_text_neighbors(&mut self, id: NodeId) -> NodeId {
        let mut id = id;
        if self.text(id).is_none() {
            return id;
        }
        if let Some(prev) = self.prev_sibling(id) {
            if self.text(prev).is_some() {
                let t = self.text(id).map(str::to_owned).unwrap_or_default();
                if let NodeKind::Text(p) = self.kind_mut(prev) {
                    p.push_str(&t);
                }
                self.remove(id);
                id = prev;
            }
        }
        if let Some(next) = self.next_sibling(id) {
            if self.text(next).is_some() {
                let t = self.text(next).map(str::to_owned).unwrap_or_default();
                if let NodeKind::Text(p) = self.kind_mut(id) {
                    p.push_str(&t);
                }
                self.remove(next);
            }
        }
        id
    }

    // ---- comparison --------------------------------------------------------------------

    /// Whether two documents hold the same XML information: the same sequence of comments,
    /// processing instructions and root element under the document node (white space there
    /// ignored, as are the XML and document type declarations), and recursively elements
    /// with equal expanded names, equal sets of attributes by expanded name, and equal
    /// children. Prefixes and the placement of namespace declarations do not matter; text,
    /// including white space, does.
    pub fn equivalent(&self, other: &Self) -> bool {
        let top = |d: &Self| -> Vec<NodeId> {
            d.children(Self::ROOT).filter(|&c| !matches!(d.kind(c), NodeKind::Text(_))).collect()
        };
        let (a, b) = (top(self), top(other));
        a.len() == b.len() && a.iter().zip(&b).all(|(&x, &y)| self.subtree_equivalent(x, other, y))
    }

    /// Whether subtree `a` of this document and subtree `b` of `other` are equivalent in the
    /// sense of [`Document::equivalent`].
    pub fn subtree_equivalent(&self, a: NodeId, other: &Self, b: NodeId) -> bool {
        let mut stack = vec![(a, b)];
        while let Some((x, y)) = stack.pop() {
            match (self.kind(x), other.kind(y)) {
                (NodeKind::Element(ex), NodeKind::Element(ey)) => {
                    if ex.name.local() != ey.name.local() || self.namespace(x) != other.namespace(y)
                    {
                        return false;
                    }
                    let ax: Vec<_> = ex.plain_attributes().collect();
                    let ay: Vec<_> = ey.plain_attributes().collect();
                    if ax.len() != ay.len() {
                        return false;
                    }
                    for at in &ax {
                        let ns = self.attribute_namespace(x, &at.name);
                        if other.attribute(y, ns, at.name.local()) != Some(at.value.as_str()) {
                            return false;
                        }
                    }
                    let cx: Vec<_> = self.children(x).collect();
                    let cy: Vec<_> = other.children(y).collect();
                    if cx.len() != cy.len() {
                        return false;
                    }
                    stack.extend(cx.into_iter().zip(cy));
                }
                (kx, ky) => {
                    if kx != ky {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Iterator over the children of a node.
#[derive(Debug, Clone)]
pub struct Children<'a> {
    doc: &'a Document,
    next: Option<NodeId>,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let cur = self.next?;
        self.next = self.doc.next_sibling(cur);
        Some(cur)
    }
}

/// Iterator over a node and its descendants in document order.
#[derive(Debug, Clone)]
pub struct Descendants<'a> {
    doc: &'a Document,
    top: NodeId,
    next: Option<NodeId>,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let cur = self.next?;
        self.next = if let Some(c) = self.doc.first_child(cur) {
            Some(c)
        } else {
            let mut n = cur;
            loop {
                if n == self.top {
                    break None;
                }
                if let Some(s) = self.doc.next_sibling(n) {
                    break Some(s);
                }
                match self.doc.parent(n) {
                    Some(p) => n = p,
                    None => break None,
                }
            }
        };
        Some(cur)
    }
}
