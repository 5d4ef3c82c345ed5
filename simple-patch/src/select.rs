//! Selectors: the XPath subset of RFC 5261 §4.1/§8 ([`Selector`]) and XCAP node selectors of
//! RFC 4825 §6.3 ([`NodeSelector`]), with the namespace rules of each (RFC 5261 §4.2.1,
//! RFC 4825 §6.4) supplied as [`Namespaces`].

use core::fmt;

use crate::error::{Error, SelectErrorKind, SelectorErrorKind as K};
use crate::tree::{Document, NodeId, NodeKind, QName, XML_NS, is_ncname};

/// Namespace bindings for expanding the prefixes of a selector.
///
/// For RFC 5261 these are the namespace declarations in scope at the patch operation element
/// ([`Namespaces::in_scope`]); an unprefixed element name takes the default namespace if one
/// is declared (§4.2.1). For XCAP they come from the `xmlns()` expressions of the URI query and
/// the application usage's default document namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespaces {
    default: Option<String>,
    prefixes: Vec<(String, String)>,
}

impl Namespaces {
    /// No bindings: unprefixed names match elements in no namespace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the namespace of unprefixed element names.
    #[must_use]
    pub fn with_default(mut self, uri: impl Into<String>) -> Self {
        self.default = Some(uri.into());
        self
    }

    /// Binds `prefix` to `uri` (a later binding of the same prefix wins).
    #[must_use]
    pub fn bind(mut self, prefix: impl Into<String>, uri: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.prefixes.retain(|(p, _)| *p != prefix);
        self.prefixes.push((prefix, uri.into()));
        self
    }

    /// The bindings in scope at `node` of `doc`, the default namespace included.
    pub fn in_scope(doc: &Document, node: NodeId) -> Self {
        let mut ns = Self::new();
        for (p, uri) in doc.in_scope_namespaces(node) {
            match p {
                None => ns.default = Some(uri.to_owned()),
                Some(p) => ns.prefixes.push((p.to_owned(), uri.to_owned())),
            }
        }
        ns
    }

    /// The namespace of unprefixed element names.
    pub fn default_namespace(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// The URI bound to `prefix` (`xml` is always bound).
    pub fn get(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.prefixes.iter().find(|(p, _)| p == prefix).map(|(_, u)| u.as_str())
    }

    /// Every prefixed binding.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.prefixes.iter().map(|(p, u)| (p.as_str(), u.as_str()))
    }

    /// Expands an element name: `Err(())` if its prefix is unbound.
    fn element_ns(&self, name: &QName) -> Result<Option<&str>, ()> {
        match name.prefix() {
            None => Ok(self.default_namespace()),
            Some(p) => self.get(p).map(Some).ok_or(()),
        }
    }

    /// Expands an attribute name: unprefixed attributes are in no namespace.
    fn attribute_ns(&self, name: &QName) -> Result<Option<&str>, ()> {
        match name.prefix() {
            None => Ok(None),
            Some(p) => self.get(p).map(Some).ok_or(()),
        }
    }
}

/// What a selector located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// An element, text, comment or processing-instruction node.
    Node(NodeId),
    /// An attribute: the element and the index into its `attributes`.
    Attribute {
        /// The element holding the attribute.
        element: NodeId,
        /// Index into `Element::attributes`.
        index: usize,
    },
    /// A namespace node: the in-scope binding of `prefix` at `element` (declared on it or on an
    /// ancestor).
    Namespace {
        /// The context element.
        element: NodeId,
        /// The prefix.
        prefix: String,
    },
    /// All namespace bindings in scope at an element (XCAP `namespace::*`).
    Namespaces(NodeId),
}

// ---- RFC 5261 selectors ------------------------------------------------------------------

/// A node test of a location step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameTest {
    /// `*`: any element.
    Any,
    /// A QName.
    Name(QName),
}

/// A predicate of an element step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    /// `[n]`: the n-th (1-based) of the nodes selected so far.
    Position(u32),
    /// `[@name='value']`.
    Attribute(QName, String),
    /// `[name='value']`: a child element with that name and string-value.
    Child(QName, String),
    /// `[.='value']`: the element's own string-value.
    Value(String),
}

/// An element location step: a name test and predicates applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The name test.
    pub test: NameTest,
    /// The predicates, applied in order.
    pub predicates: Vec<Predicate>,
}

/// The last step of a selector when it does not select an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    /// `text()` with an optional position.
    Text(Option<u32>),
    /// `comment()` with an optional position.
    Comment(Option<u32>),
    /// `processing-instruction('target')` with an optional target and position.
    ProcessingInstruction(Option<String>, Option<u32>),
    /// `@name`.
    Attribute(QName),
    /// `namespace::prefix`.
    Namespace(String),
}

/// An RFC 5261 selector (the `sel` attribute): the XPath 1.0 subset of §4.1 and the `xpath`
/// type of §8 — `id()`, element steps with `*`/QName tests and attribute, child-value,
/// self-value and positional predicates, and a last step that may be `text()`, `comment()`,
/// `processing-instruction()`, `@attr` or `namespace::prefix`.
///
/// Selection starts at the document node, so `doc/foo` is the same as `/doc/foo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// Whether the selector was written with a leading `/`.
    pub absolute: bool,
    /// The `id('...')` the path starts from, if any.
    pub id: Option<String>,
    /// Element steps.
    pub steps: Vec<Step>,
    /// A non-element last step.
    pub terminal: Option<Terminal>,
}

struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn eat(&mut self, t: &str) -> bool {
        if self.rest().starts_with(t) {
            self.pos += t.len();
            true
        } else {
            false
        }
    }
    fn skip_ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start_matches([' ', '\t', '\r', '\n']).len();
    }
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }
    fn err(&self, kind: K) -> Error {
        Error::selector(kind, self.pos)
    }
    /// A QName (`p:l` or `l`).
    fn qname(&mut self) -> Result<QName, Error> {
        let start = self.pos;
        let r = self.rest();
        let end = r
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':') || !c.is_ascii())
            })
            .unwrap_or(r.len());
        let q = QName::parse(&r[..end]).ok_or(Error::selector(K::InvalidName, start))?;
        self.pos += end;
        Ok(q)
    }
    fn ncname(&mut self) -> Result<String, Error> {
        let start = self.pos;
        let q = self.qname()?;
        if q.prefix().is_some() {
            return Err(Error::selector(K::InvalidName, start));
        }
        Ok(q.local().into())
    }
    fn literal(&mut self) -> Result<String, Error> {
        let Some(q @ (b'\'' | b'"')) = self.peek() else {
            return Err(self.err(K::InvalidPredicate));
        };
        let start = self.pos;
        let body = &self.s[self.pos + 1..];
        let end = memchr::memchr(q, body.as_bytes())
            .ok_or(Error::selector(K::UnterminatedLiteral, start))?;
        self.pos += end + 2;
        Ok(body[..end].to_owned())
    }
    fn number(&mut self) -> Result<u32, Error> {
        let start = self.pos;
        let r = self.rest();
        let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        let n: u32 = r[..end].parse().map_err(|_| Error::selector(K::InvalidPosition, start))?;
        if n == 0 {
            return Err(Error::selector(K::InvalidPosition, start));
        }
        self.pos += end;
        Ok(n)
    }
    /// `[n]` after `text()`, `comment()`, `processing-instruction()`.
    fn opt_position(&mut self) -> Result<Option<u32>, Error> {
        self.skip_ws();
        if !self.eat("[") {
            return Ok(None);
        }
        self.skip_ws();
        let n = self.number()?;
        self.skip_ws();
        if !self.eat("]") {
            return Err(self.err(K::InvalidPredicate));
        }
        Ok(Some(n))
    }
    fn predicate(&mut self) -> Result<Predicate, Error> {
        self.skip_ws();
        let p = match self.peek() {
            Some(b'0'..=b'9') => Predicate::Position(self.number()?),
            Some(b'@') => {
                self.pos += 1;
                let name = self.qname()?;
                self.equals()?;
                Predicate::Attribute(name, self.literal()?)
            }
            Some(b'.') => {
                self.pos += 1;
                self.equals()?;
                Predicate::Value(self.literal()?)
            }
            _ => {
                let name = self.qname()?;
                self.equals()?;
                Predicate::Child(name, self.literal()?)
            }
        };
        self.skip_ws();
        if !self.eat("]") {
            return Err(self.err(K::InvalidPredicate));
        }
        Ok(p)
    }
    fn equals(&mut self) -> Result<(), Error> {
        self.skip_ws();
        if !self.eat("=") {
            return Err(self.err(K::InvalidPredicate));
        }
        self.skip_ws();
        Ok(())
    }
}

impl Selector {
    /// Parses a selector.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let mut lx = Lexer { s, pos: 0 };
        lx.skip_ws();
        let absolute = lx.eat("/");
        let mut sel = Self { absolute, id: None, steps: Vec::new(), terminal: None };
        if lx.rest().starts_with("id(") || lx.rest().starts_with("id (") {
            lx.eat("id");
            lx.skip_ws();
            lx.eat("(");
            lx.skip_ws();
            let v = if lx.peek() == Some(b')') { String::new() } else { lx.literal()? };
            lx.skip_ws();
            if !lx.eat(")") {
                return Err(lx.err(K::InvalidPredicate));
            }
            sel.id = Some(v);
            lx.skip_ws();
            if lx.pos == s.len() {
                return Ok(sel);
            }
            if !lx.eat("/") {
                return Err(lx.err(K::TrailingStep));
            }
        }
        loop {
            lx.skip_ws();
            if lx.pos == s.len() || lx.peek() == Some(b'/') {
                return Err(lx.err(K::EmptyStep));
            }
            if let Some(t) = Self::terminal(&mut lx)? {
                sel.terminal = Some(t);
                lx.skip_ws();
                if lx.pos != s.len() {
                    return Err(lx.err(K::TrailingStep));
                }
                return Ok(sel);
            }
            let test = if lx.eat("*") { NameTest::Any } else { NameTest::Name(lx.qname()?) };
            let mut predicates = Vec::new();
            loop {
                lx.skip_ws();
                if !lx.eat("[") {
                    break;
                }
                predicates.push(lx.predicate()?);
            }
            sel.steps.push(Step { test, predicates });
            lx.skip_ws();
            if lx.pos == s.len() {
                return Ok(sel);
            }
            if !lx.eat("/") {
                return Err(lx.err(K::Unsupported));
            }
        }
    }

    fn terminal(lx: &mut Lexer<'_>) -> Result<Option<Terminal>, Error> {
        let t = if lx.eat("text()") {
            Terminal::Text(lx.opt_position()?)
        } else if lx.eat("comment()") {
            Terminal::Comment(lx.opt_position()?)
        } else if lx.eat("processing-instruction(") {
            lx.skip_ws();
            let target = if lx.peek() == Some(b')') {
                None
            } else {
                let start = lx.pos;
                let t = lx.literal()?;
                if !is_ncname(&t) {
                    return Err(Error::selector(K::InvalidName, start));
                }
                Some(t)
            };
            lx.skip_ws();
            if !lx.eat(")") {
                return Err(lx.err(K::InvalidPredicate));
            }
            Terminal::ProcessingInstruction(target, lx.opt_position()?)
        } else if lx.eat("@") {
            Terminal::Attribute(lx.qname()?)
        } else if lx.eat("namespace::") {
            Terminal::Namespace(lx.ncname()?)
        } else if lx.rest().starts_with("node()")
            || lx.rest().starts_with("..")
            || lx.rest().starts_with("attribute::")
            || lx.rest().starts_with("child::")
        {
            return Err(lx.err(K::Unsupported));
        } else {
            return Ok(None);
        };
        Ok(Some(t))
    }

    /// Locates the single node this selector names in `doc`, expanding prefixes with `ns`.
    ///
    /// `id('x')` finds the element whose `xml:id` is `x`, or else whose unqualified `id`
    /// attribute is `x` (PIDF and most SIMPLE schemas type `id` as `xs:ID`).
    pub fn select(&self, doc: &Document, ns: &Namespaces) -> Result<Located, Error> {
        let mut ctx: Vec<NodeId> = vec![Document::ROOT];
        if let Some(id) = &self.id {
            let found: Vec<NodeId> = doc
                .descendants(Document::ROOT)
                .filter(|&n| {
                    doc.attribute(n, Some(XML_NS), "id") == Some(id.as_str())
                        || doc.attribute(n, None, "id") == Some(id.as_str())
                })
                .take(2)
                .collect();
            match found.len() {
                0 => return Err(Error::select(SelectErrorKind::NoMatch, 0)),
                1 => ctx = found,
                _ => return Err(Error::select(SelectErrorKind::Ambiguous, 0)),
            }
        }
        let base = usize::from(self.id.is_some());
        for (i, step) in self.steps.iter().enumerate() {
            let mut next = Vec::new();
            for &c in &ctx {
                step_children(doc, c, step, ns, &mut next)
                    .map_err(|()| Error::select(SelectErrorKind::UnboundPrefix, base + i))?;
            }
            if next.is_empty() {
                return Err(Error::select(SelectErrorKind::NoMatch, base + i));
            }
            ctx = next;
        }
        let last = base + self.steps.len();
        let one = |v: Vec<Located>, step: usize| match v.len() {
            0 => Err(Error::select(SelectErrorKind::NoMatch, step)),
            1 => Ok(v.into_iter().next().unwrap_or(Located::Node(Document::ROOT))),
            _ => Err(Error::select(SelectErrorKind::Ambiguous, step)),
        };
        let Some(t) = &self.terminal else {
            return one(ctx.into_iter().map(Located::Node).collect(), last.saturating_sub(1));
        };
        let mut found = Vec::new();
        for &c in &ctx {
            match t {
                Terminal::Text(p) => {
                    if c == Document::ROOT {
                        continue; // no text nodes under the document node in XPath
                    }
                    pick(doc.children(c).filter(|&n| doc.text(n).is_some()), *p, &mut found);
                }
                Terminal::Comment(p) => pick(
                    doc.children(c).filter(|&n| matches!(doc.kind(n), NodeKind::Comment(_))),
                    *p,
                    &mut found,
                ),
                Terminal::ProcessingInstruction(target, p) => pick(
                    doc.children(c).filter(|&n| match doc.kind(n) {
                        NodeKind::ProcessingInstruction { target: t, .. } => {
                            target.as_ref().is_none_or(|want| want == t)
                        }
                        NodeKind::Document
                        | NodeKind::Element(_)
                        | NodeKind::Text(_)
                        | NodeKind::Comment(_) => false,
                    }),
                    *p,
                    &mut found,
                ),
                Terminal::Attribute(q) => {
                    let uri = ns
                        .attribute_ns(q)
                        .map_err(|()| Error::select(SelectErrorKind::UnboundPrefix, last))?;
                    if let Some(index) = doc.attribute_index(c, uri, q.local()) {
                        found.push(Located::Attribute { element: c, index });
                    }
                }
                Terminal::Namespace(p) => {
                    if doc.is_element(c) && doc.lookup_namespace(c, Some(p)).is_some() {
                        found.push(Located::Namespace { element: c, prefix: p.clone() });
                    }
                }
            }
        }
        one(found, last)
    }
}

/// The `pos`-th (1-based) node as a one-node list; position 0 selects nothing.
fn nth(list: &[NodeId], pos: u32) -> Vec<NodeId> {
    (pos as usize).checked_sub(1).and_then(|i| list.get(i)).map(|&x| vec![x]).unwrap_or_default()
}

fn pick(it: impl Iterator<Item = NodeId>, pos: Option<u32>, out: &mut Vec<Located>) {
    match pos {
        // position 0 (only constructible by hand) selects nothing
        Some(p) => out.extend(
            it.skip((p as usize).wrapping_sub(1)).take(usize::from(p > 0)).map(Located::Node),
        ),
        None => out.extend(it.map(Located::Node)),
    }
}

/// The namespace of element `child` whose parent's [`Document::namespace_scope`] is `scope`
/// (computed once per context node rather than walking the ancestors for every child).
fn child_ns<'d>(
    doc: &'d Document,
    child: NodeId,
    scope: &[(Option<&'d str>, &'d str)],
) -> Option<&'d str> {
    let e = doc.element(child)?;
    let p = e.name.prefix();
    if p == Some("xml") {
        return Some(XML_NS);
    }
    let uri = e
        .declared_namespace(p)
        .or_else(|| scope.iter().find(|(sp, _)| *sp == p).map(|(_, u)| *u))?;
    (!uri.is_empty()).then_some(uri)
}

fn name_matches(
    doc: &Document,
    child: NodeId,
    test: &NameTest,
    want_ns: Option<&str>,
    scope: &[(Option<&str>, &str)],
) -> bool {
    match test {
        NameTest::Any => doc.is_element(child),
        NameTest::Name(q) => match doc.element(child) {
            Some(e) if e.name.local() == q.local() => child_ns(doc, child, scope) == want_ns,
            _ => false,
        },
    }
}

fn step_children(
    doc: &Document,
    ctx: NodeId,
    step: &Step,
    ns: &Namespaces,
    out: &mut Vec<NodeId>,
) -> Result<(), ()> {
    let want_ns = match &step.test {
        NameTest::Any => None,
        NameTest::Name(q) => ns.element_ns(q)?,
    };
    let scope = doc.namespace_scope(ctx);
    // a first predicate on an attribute filters like the name test does: test the value
    // first, which most siblings fail at once (`entry[@uri="..."]` in a long list)
    let (mut list, rest): (Vec<NodeId>, &[Predicate]) = match step.predicates.split_first() {
        Some((Predicate::Attribute(q, v), rest)) => {
            let uri = ns.attribute_ns(q)?;
            let list = doc
                .children(ctx)
                .filter(|&c| {
                    doc.attribute(c, uri, q.local()) == Some(v.as_str())
                        && name_matches(doc, c, &step.test, want_ns, &scope)
                })
                .collect();
            (list, rest)
        }
        Some(_) | None => (
            doc.children(ctx)
                .filter(|&c| name_matches(doc, c, &step.test, want_ns, &scope))
                .collect(),
            &step.predicates,
        ),
    };
    for p in rest {
        match p {
            Predicate::Position(n) => {
                list = nth(&list, *n);
            }
            Predicate::Attribute(q, v) => {
                let uri = ns.attribute_ns(q)?;
                list.retain(|&c| doc.attribute(c, uri, q.local()) == Some(v.as_str()));
            }
            Predicate::Child(q, v) => {
                let uri = ns.element_ns(q)?;
                list.retain(|&c| {
                    doc.child_elements(c).any(|k| {
                        doc.element(k).is_some_and(|e| e.name.local() == q.local())
                            && doc.namespace(k) == uri
                            && doc.string_value_eq(k, v)
                    })
                });
            }
            Predicate::Value(v) => list.retain(|&c| doc.string_value_eq(c, v)),
        }
        if list.is_empty() {
            break;
        }
    }
    out.extend(list);
    Ok(())
}

fn write_literal(f: &mut fmt::Formatter<'_>, v: &str) -> fmt::Result {
    if v.contains('\'') { write!(f, "\"{v}\"") } else { write!(f, "'{v}'") }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.test {
            NameTest::Any => f.write_str("*")?,
            NameTest::Name(q) => write!(f, "{q}")?,
        }
        for p in &self.predicates {
            f.write_str("[")?;
            match p {
                Predicate::Position(n) => write!(f, "{n}")?,
                Predicate::Attribute(q, v) => {
                    write!(f, "@{q}=")?;
                    write_literal(f, v)?;
                }
                Predicate::Child(q, v) => {
                    write!(f, "{q}=")?;
                    write_literal(f, v)?;
                }
                Predicate::Value(v) => {
                    f.write_str(".=")?;
                    write_literal(f, v)?;
                }
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.absolute {
            f.write_str("/")?;
        }
        let mut first = true;
        if let Some(id) = &self.id {
            f.write_str("id(")?;
            write_literal(f, id)?;
            f.write_str(")")?;
            first = false;
        }
        for s in &self.steps {
            if !first {
                f.write_str("/")?;
            }
            first = false;
            write!(f, "{s}")?;
        }
        if let Some(t) = &self.terminal {
            if !first {
                f.write_str("/")?;
            }
            let pos = |f: &mut fmt::Formatter<'_>, p: &Option<u32>| match p {
                Some(n) => write!(f, "[{n}]"),
                None => Ok(()),
            };
            match t {
                Terminal::Text(p) => {
                    f.write_str("text()")?;
                    pos(f, p)?;
                }
                Terminal::Comment(p) => {
                    f.write_str("comment()")?;
                    pos(f, p)?;
                }
                Terminal::ProcessingInstruction(target, p) => {
                    f.write_str("processing-instruction(")?;
                    if let Some(t) = target {
                        write_literal(f, t)?;
                    }
                    f.write_str(")")?;
                    pos(f, p)?;
                }
                Terminal::Attribute(q) => write!(f, "@{q}")?,
                Terminal::Namespace(p) => write!(f, "namespace::{p}")?,
            }
        }
        Ok(())
    }
}

// ---- XCAP node selectors -----------------------------------------------------------------

/// An element step of an XCAP node selector: `NameorAny`, an optional position and an
/// optional attribute test (RFC 4825 §6.3 `by-name` / `by-pos` / `by-attr` / `by-pos-attr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XcapStep {
    /// The name test.
    pub test: NameTest,
    /// `[position]`.
    pub position: Option<u32>,
    /// `[@att-name="att-value"]`.
    pub attribute: Option<(QName, String)>,
}

/// The terminal selector of an XCAP node selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XcapTerminal {
    /// `@att-name`.
    Attribute(QName),
    /// `namespace::*`.
    Namespaces,
}

/// An XCAP node selector (RFC 4825 §6.3), in its internal (percent-decoded) form.
///
/// Unlike RFC 5261 selectors, every step must select exactly one element, and unprefixed
/// names take the application usage's default document namespace (§6.3), which the caller
/// passes as the default of [`Namespaces`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSelector {
    /// The element steps (at least one).
    pub steps: Vec<XcapStep>,
    /// The terminal selector, if any.
    pub terminal: Option<XcapTerminal>,
}

impl NodeSelector {
    /// Parses a node selector such as `watcherinfo/watcher-list/watcher[@id="8ajksjda7s"]`.
    /// Extension selectors are not supported and fail with `Unsupported`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let mut sel = Self { steps: Vec::new(), terminal: None };
        let mut lx = Lexer { s, pos: 0 };
        loop {
            if lx.pos == s.len() || lx.peek() == Some(b'/') {
                return Err(lx.err(K::EmptyStep));
            }
            if lx.eat("@") {
                sel.terminal = Some(XcapTerminal::Attribute(lx.qname()?));
            } else if lx.eat("namespace::*") {
                sel.terminal = Some(XcapTerminal::Namespaces);
            }
            if sel.terminal.is_some() {
                if sel.steps.is_empty() {
                    return Err(lx.err(K::EmptyStep));
                }
                if lx.pos != s.len() {
                    return Err(lx.err(K::TrailingStep));
                }
                return Ok(sel);
            }
            let test = if lx.eat("*") { NameTest::Any } else { NameTest::Name(lx.qname()?) };
            let mut step = XcapStep { test, position: None, attribute: None };
            if lx.eat("[") {
                if lx.peek() == Some(b'@') {
                    step.attribute = Some(xcap_attr_test(&mut lx)?);
                } else {
                    step.position = Some(lx.number()?);
                    if !lx.eat("]") {
                        return Err(lx.err(K::InvalidPredicate));
                    }
                    if lx.eat("[") {
                        step.attribute = Some(xcap_attr_test(&mut lx)?);
                    }
                }
            }
            sel.steps.push(step);
            if lx.pos == s.len() {
                return Ok(sel);
            }
            if !lx.eat("/") {
                return Err(lx.err(K::Unsupported));
            }
        }
    }

    /// Locates the element, attribute or namespace set; each step must match exactly one
    /// element (`NoMatch` / `Ambiguous` name the failing step, which XCAP servers need to tell
    /// "parent missing" from "node missing" on PUT).
    pub fn select(&self, doc: &Document, ns: &Namespaces) -> Result<Located, Error> {
        let mut ctx = Document::ROOT;
        for (i, step) in self.steps.iter().enumerate() {
            let want = match &step.test {
                NameTest::Any => None,
                NameTest::Name(q) => ns
                    .element_ns(q)
                    .map_err(|()| Error::select(SelectErrorKind::UnboundPrefix, i))?,
            };
            let scope = doc.namespace_scope(ctx);
            let attribute = match &step.attribute {
                Some((q, v)) => Some((
                    ns.attribute_ns(q)
                        .map_err(|()| Error::select(SelectErrorKind::UnboundPrefix, i))?,
                    q.local(),
                    v.as_str(),
                )),
                None => None,
            };
            let list: Vec<NodeId> = match (step.position, attribute) {
                // without a position the attribute test filters like the name test: the value
                // first, which most siblings fail at once (`entry[@uri="..."]` in a long list)
                (None, Some((uri, local, v))) => doc
                    .children(ctx)
                    .filter(|&c| {
                        doc.attribute(c, uri, local) == Some(v)
                            && name_matches(doc, c, &step.test, want, &scope)
                    })
                    .collect(),
                (position, attribute) => {
                    let mut list: Vec<NodeId> = doc
                        .children(ctx)
                        .filter(|&c| name_matches(doc, c, &step.test, want, &scope))
                        .collect();
                    if let Some(p) = position {
                        list = nth(&list, p);
                    }
                    if let Some((uri, local, v)) = attribute {
                        list.retain(|&c| doc.attribute(c, uri, local) == Some(v));
                    }
                    list
                }
            };
            ctx = match list.len() {
                0 => return Err(Error::select(SelectErrorKind::NoMatch, i)),
                1 => list[0],
                _ => return Err(Error::select(SelectErrorKind::Ambiguous, i)),
            };
        }
        let last = self.steps.len();
        match &self.terminal {
            None => Ok(Located::Node(ctx)),
            Some(XcapTerminal::Namespaces) => Ok(Located::Namespaces(ctx)),
            Some(XcapTerminal::Attribute(q)) => {
                let uri = ns
                    .attribute_ns(q)
                    .map_err(|()| Error::select(SelectErrorKind::UnboundPrefix, last))?;
                doc.attribute_index(ctx, uri, q.local())
                    .map(|index| Located::Attribute { element: ctx, index })
                    .ok_or(Error::select(SelectErrorKind::NoMatch, last))
            }
        }
    }
}

/// `@att-name="att-value"]` after the `[`; the value is an XML AttValue, so predefined entity
/// and character references are resolved.
fn xcap_attr_test(lx: &mut Lexer<'_>) -> Result<(QName, String), Error> {
    if !lx.eat("@") {
        return Err(lx.err(K::InvalidPredicate));
    }
    let name = lx.qname()?;
    if !lx.eat("=") {
        return Err(lx.err(K::InvalidPredicate));
    }
    let start = lx.pos;
    let raw = lx.literal()?;
    let value = quick_xml::escape::unescape(&raw)
        .map_err(|_| Error::selector(K::InvalidPredicate, start))?
        .into_owned();
    if !lx.eat("]") {
        return Err(lx.err(K::InvalidPredicate));
    }
    Ok((name, value))
}

impl fmt::Display for NodeSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            match &s.test {
                NameTest::Any => f.write_str("*")?,
                NameTest::Name(q) => write!(f, "{q}")?,
            }
            if let Some(p) = s.position {
                write!(f, "[{p}]")?;
            }
            if let Some((q, v)) = &s.attribute {
                let esc = v.replace('&', "&amp;").replace('"', "&quot;");
                write!(f, "[@{q}=\"{esc}\"]")?;
            }
        }
        match &self.terminal {
            None => Ok(()),
            Some(XcapTerminal::Attribute(q)) => write!(f, "/@{q}"),
            Some(XcapTerminal::Namespaces) => f.write_str("/namespace::*"),
        }
    }
}
