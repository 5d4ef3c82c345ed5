//! RFC 5261 patch operations: reading `<add>`, `<replace>` and `<remove>` elements from a diff
//! document and applying them, in document order, to a target document.

use crate::error::{Error, ErrorKind, PatchErrorKind as E, SelectErrorKind};
use crate::select::{Located, Namespaces, Selector};
use crate::tree::{Attribute, Document, NodeId, NodeKind, QName, is_ncname, is_xml_ws};

/// Where `<add>` puts new nodes (the `pos` attribute, RFC 5261 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pos {
    /// As the last children of the located element (no `pos`).
    Append,
    /// `prepend`: as the first children of the located element.
    Prepend,
    /// `before`: as the immediate preceding siblings of the located node.
    Before,
    /// `after`: as the immediate following siblings of the located node.
    After,
}

/// What `<add type="...">` adds instead of child nodes (RFC 5261 §4.3.2, §4.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddType {
    /// `type="@name"`: an attribute whose value is the text content.
    Attribute(QName),
    /// `type="namespace::prefix"`: a namespace declaration whose URI is the text content.
    Namespace(String),
}

/// Which white space text nodes `<remove ws="...">` also removes (RFC 5261 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ws {
    /// `before`: the immediately preceding white space text node.
    Before,
    /// `after`: the immediately following one.
    After,
    /// `both`: both.
    Both,
}

/// The kind of a patch operation and its directives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `<add>`.
    Add {
        /// The `pos` directive.
        pos: Pos,
        /// The `type` directive.
        add_type: Option<AddType>,
    },
    /// `<replace>`.
    Replace,
    /// `<remove>`.
    Remove {
        /// The `ws` directive.
        ws: Option<Ws>,
    },
}

/// One patch operation: its kind, its parsed selector, and the operation element in the diff
/// document (whose children are the new content and whose scope binds the selector's prefixes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// What to do.
    pub kind: OpKind,
    /// Where.
    pub sel: Selector,
    /// The operation element in [`Patch::document`].
    pub element: NodeId,
}

/// A parsed XML diff: a container element whose children are RFC 5261 operations.
///
/// The container's name is the application's business (`<diff>`, pidf-diff's
/// `<p:pidf-full>`, xcap-diff's `<document>`...); operation elements are recognized by their
/// local names `add`, `replace` and `remove` in whatever namespace the application put them.
#[derive(Debug, Clone)]
pub struct Patch {
    doc: Document,
    container: NodeId,
    ops: Vec<Operation>,
}

impl Patch {
    /// Parses a diff document whose root element holds the operations.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(input).map_err(diff_format)?;
        Self::from_document(doc)
    }

    /// Takes a parsed diff document whose root element holds the operations.
    pub fn from_document(doc: Document) -> Result<Self, Error> {
        let root =
            doc.root_element().ok_or(Error::patch(E::InvalidDiffFormat, "no root element"))?;
        Self::from_element(doc, root)
    }

    /// Takes the operations that are children of `container` in `doc`.
    pub fn from_element(doc: Document, container: NodeId) -> Result<Self, Error> {
        let mut ops = Vec::new();
        for c in doc.children(container) {
            match doc.kind(c) {
                NodeKind::Element(e) => {
                    let i = ops.len();
                    let op = parse_op(&doc, c, e.name.local()).map_err(|err| err.at(i))?;
                    ops.push(op);
                }
                NodeKind::Text(t) if t.trim().is_empty() => {}
                NodeKind::Text(_) => {
                    return Err(Error::patch(E::InvalidDiffFormat, "text between operations"));
                }
                NodeKind::Comment(_)
                | NodeKind::ProcessingInstruction { .. }
                | NodeKind::Document => {}
            }
        }
        Ok(Self { doc, container, ops })
    }

    /// A patch from a diff document and its operations (built by the diff generator).
    pub(crate) const fn from_parts(doc: Document, container: NodeId, ops: Vec<Operation>) -> Self {
        Self { doc, container, ops }
    }

    /// The diff document.
    pub const fn document(&self) -> &Document {
        &self.doc
    }

    /// The element holding the operations.
    pub const fn container(&self) -> NodeId {
        self.container
    }

    /// The operations, in the order they apply.
    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// The diff document as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        self.doc.to_vec()
    }

    /// Applies every operation in order. All or nothing: on error `target` is unchanged and
    /// the error names the failing operation.
    ///
    /// The patched tree replaces `target`'s: a [`NodeId`](crate::NodeId) taken from `target`
    /// before the call may name another node, or none, after it (removed nodes' slots are
    /// reused, and the arena is compacted when more than half of it is garbage). Look nodes up
    /// again after patching.
    pub fn apply(&self, target: &mut Document) -> Result<(), Error> {
        *target = self.apply_to_copy(target)?;
        Ok(())
    }

    /// Applies every operation to a copy of `source` and returns it: [`Patch::apply`] for a
    /// caller that keeps the original either way (one copy instead of two).
    pub fn apply_to_copy(&self, source: &Document) -> Result<Document, Error> {
        let mut work = source.clone();
        for i in 0..self.ops.len() {
            self.apply_op(i, &mut work).map_err(|e| e.at(i))?;
        }
        if work.garbage() > work.capacity() / 2 {
            work.compact();
        }
        Ok(work)
    }

    /// An RFC 5261 §5.1 `<patch-ops-error>` document for `err`, holding a copy of the failing
    /// operation element when there is one.
    pub fn error_document(&self, err: &Error) -> Document {
        let mut out = Document::with_root(QName::new("patch-ops-error"));
        out.declaration = Some(r#" version="1.0" encoding="UTF-8""#.to_owned());
        let root = out.root_element().expect("with_root made the root element");
        out.set_attribute(root, QName::new("xmlns"), PATCH_OPS_ERROR_NS);
        let condition = err.patch_kind().unwrap_or(E::InvalidDiffFormat);
        let cond = out.create_element(QName::new(condition.element_name()));
        out.set_attribute(cond, QName::new("phrase"), err.reason());
        out.append_child(root, cond);
        if let Some(op) = err.operation().and_then(|i| self.ops.get(i)) {
            let copy = out.import(&self.doc, op.element);
            // carry the bindings the operation relied on, and keep unqualified names unqualified
            let scope = self.doc.in_scope_namespaces(op.element);
            let mut decls: Vec<Attribute> = Vec::new();
            if !scope.iter().any(|(p, _)| p.is_none()) {
                decls.push(Attribute::new(QName::new("xmlns"), ""));
            }
            for (p, uri) in scope {
                decls.push(Attribute::new(
                    p.map_or_else(|| QName::new("xmlns"), |p| QName::prefixed("xmlns", p)),
                    uri,
                ));
            }
            if let Some(e) = out.element_mut(copy) {
                for d in decls {
                    if !e.attributes.iter().any(|a| a.name == d.name) {
                        e.attributes.push(d);
                    }
                }
            }
            out.append_child(cond, copy);
        }
        out
    }

    fn apply_op(&self, i: usize, target: &mut Document) -> Result<(), Error> {
        let op = &self.ops[i];
        let ns = Namespaces::in_scope(&self.doc, op.element);
        let located = op.sel.select(target, &ns).map_err(|e| match e.kind() {
            ErrorKind::Select(SelectErrorKind::UnboundPrefix) => {
                Error::patch(E::InvalidNamespacePrefix, "selector prefix not declared")
            }
            ErrorKind::Select(SelectErrorKind::Ambiguous) => {
                Error::patch(E::UnlocatedNode, "the selector matches more than one node")
            }
            ErrorKind::Select(_)
            | ErrorKind::Xml(_)
            | ErrorKind::Selector(_)
            | ErrorKind::Patch(_) => Error::patch(E::UnlocatedNode, "no node matches the selector"),
        })?;
        match &op.kind {
            OpKind::Add { pos, add_type } => {
                self.add(op, target, &located, *pos, add_type.as_ref(), &ns)
            }
            OpKind::Replace => self.replace(op, target, &located),
            OpKind::Remove { ws } => remove(target, &located, *ws),
        }
    }

    /// The text content of an operation element; any other child is an error.
    fn content_text(&self, op: &Operation) -> Result<String, Error> {
        let mut s = String::new();
        for c in self.doc.children(op.element) {
            match self.doc.kind(c) {
                NodeKind::Text(t) => s.push_str(t),
                NodeKind::Document
                | NodeKind::Element(_)
                | NodeKind::Comment(_)
                | NodeKind::ProcessingInstruction { .. } => {
                    return Err(Error::patch(E::InvalidNodeTypes, "content must be text"));
                }
            }
        }
        Ok(s)
    }

    /// The single non-white-space child of an operation element.
    fn single_child(&self, op: &Operation) -> Result<NodeId, Error> {
        let mut it =
            self.doc.children(op.element).filter(|&c| !self.doc.text(c).is_some_and(is_xml_ws));
        match (it.next(), it.next()) {
            (Some(c), None) => Ok(c),
            (None, _) => Err(Error::patch(E::InvalidNodeTypes, "replacement content is missing")),
            (Some(_), Some(_)) => {
                Err(Error::patch(E::InvalidNodeTypes, "replacement content has more than one node"))
            }
        }
    }

    fn add(
        &self,
        op: &Operation,
        target: &mut Document,
        located: &Located,
        pos: Pos,
        add_type: Option<&AddType>,
        ns: &Namespaces,
    ) -> Result<(), Error> {
        let Located::Node(node) = *located else {
            return Err(Error::patch(
                E::InvalidNodeTypes,
                "cannot add to an attribute or namespace",
            ));
        };
        if let Some(t) = add_type {
            if !target.is_element(node) {
                return Err(Error::patch(E::InvalidNodeTypes, "located node is not an element"));
            }
            let value = self.content_text(op)?;
            return match t {
                AddType::Attribute(q) => {
                    let uri = match q.prefix() {
                        None => None,
                        Some(p) => Some(ns.get(p).ok_or(Error::patch(
                            E::InvalidNamespacePrefix,
                            "attribute prefix not declared in the diff",
                        ))?),
                    };
                    if target.attribute_index(node, uri, q.local()).is_some() {
                        return Err(Error::patch(
                            E::InvalidAttributeValue,
                            "attribute already exists",
                        ));
                    }
                    let name = match uri {
                        None => QName::new(q.local()),
                        Some(u) => {
                            let mut scope = Scope::at(target, node);
                            let mut extra = Vec::new();
                            let p = scope.choose(u, q.prefix(), None, true, &mut extra);
                            if let Some(e) = target.element_mut(node) {
                                e.attributes.extend(extra);
                            }
                            QName::with_prefix(p.as_deref(), q.local())
                        }
                    };
                    if let Some(e) = target.element_mut(node) {
                        e.attributes.push(Attribute { name, value: value.into() });
                    }
                    Ok(())
                }
                AddType::Namespace(p) => {
                    if value.is_empty() {
                        return Err(Error::patch(E::InvalidNamespaceUri, "empty namespace URI"));
                    }
                    let e = target
                        .element_mut(node)
                        .ok_or(Error::patch(E::InvalidNodeTypes, "not an element"))?;
                    if e.declared_namespace(Some(p)).is_some() {
                        return Err(Error::patch(
                            E::InvalidNamespacePrefix,
                            "prefix already declared here",
                        ));
                    }
                    e.attributes.push(Attribute::new(QName::prefixed("xmlns", p.clone()), value));
                    Ok(())
                }
            };
        }
        let (parent, ctx) = match pos {
            Pos::Append | Pos::Prepend => {
                if !target.is_element(node) {
                    return Err(Error::patch(
                        E::InvalidNodeTypes,
                        "located node is not an element",
                    ));
                }
                (node, node)
            }
            Pos::Before | Pos::After => {
                let parent = target
                    .parent(node)
                    .ok_or(Error::patch(E::InvalidNodeTypes, "located node has no parent"))?;
                (parent, parent)
            }
        };
        if parent == Document::ROOT {
            for c in self.doc.children(op.element) {
                match self.doc.kind(c) {
                    NodeKind::Element(_) => {
                        return Err(Error::patch(
                            E::InvalidRootElementOperation,
                            "cannot add a sibling of the root element",
                        ));
                    }
                    NodeKind::Text(t) if !is_xml_ws(t) => {
                        return Err(Error::patch(
                            E::InvalidRootElementOperation,
                            "cannot add text outside the root element",
                        ));
                    }
                    NodeKind::Document
                    | NodeKind::Text(_)
                    | NodeKind::Comment(_)
                    | NodeKind::ProcessingInstruction { .. } => {}
                }
            }
        }
        let mut new = Vec::new();
        for c in self.doc.children(op.element) {
            new.push(self.copy_content(target, c, ctx)?);
        }
        let Some((&first, &last)) = new.first().zip(new.last()) else { return Ok(()) };
        match pos {
            Pos::Append => new.iter().for_each(|&n| target.append_child(parent, n)),
            Pos::Prepend => match target.first_child(parent) {
                Some(f) => new.iter().for_each(|&n| target.insert_before(f, n)),
                None => new.iter().for_each(|&n| target.append_child(parent, n)),
            },
            Pos::Before => new.iter().for_each(|&n| target.insert_before(node, n)),
            Pos::After => {
                let mut cursor = node;
                for &n in &new {
                    target.insert_after(cursor, n);
                    cursor = n;
                }
            }
        }
        target.merge_text_neighbors(last);
        if first != last {
            target.merge_text_neighbors(first);
        }
        Ok(())
    }

    fn replace(
        &self,
        op: &Operation,
        target: &mut Document,
        located: &Located,
    ) -> Result<(), Error> {
        match located {
            Located::Node(n) => {
                let n = *n;
                match target.kind(n) {
                    NodeKind::Element(_) => {
                        let c = self.single_child(op)?;
                        if !self.doc.is_element(c) {
                            return Err(Error::patch(
                                E::InvalidNodeTypes,
                                "an element must replace an element",
                            ));
                        }
                        let parent = target
                            .parent(n)
                            .expect("an element has a parent: an element or the document");
                        let copy = self.copy_content(target, c, parent)?;
                        target.insert_before(n, copy);
                        target.remove(n);
                    }
                    NodeKind::Comment(_) => {
                        let c = self.single_child(op)?;
                        let NodeKind::Comment(t) = self.doc.kind(c) else {
                            return Err(Error::patch(
                                E::InvalidNodeTypes,
                                "a comment must replace a comment",
                            ));
                        };
                        *target.kind_mut(n) = NodeKind::Comment(t.clone());
                    }
                    NodeKind::ProcessingInstruction { .. } => {
                        let c = self.single_child(op)?;
                        let k @ NodeKind::ProcessingInstruction { .. } = self.doc.kind(c) else {
                            return Err(Error::patch(
                                E::InvalidNodeTypes,
                                "a processing instruction must replace a processing instruction",
                            ));
                        };
                        *target.kind_mut(n) = k.clone();
                    }
                    NodeKind::Text(_) => {
                        let t = self.content_text(op)?;
                        if t.is_empty() {
                            target.remove(n);
                        } else {
                            *target.kind_mut(n) = NodeKind::Text(t.into());
                        }
                    }
                    NodeKind::Document => {
                        return Err(Error::patch(
                            E::InvalidXmlPrologOperation,
                            "cannot replace the document",
                        ));
                    }
                }
            }
            Located::Attribute { element, index } => {
                let t = self.content_text(op)?;
                if let Some(e) = target.element_mut(*element) {
                    if let Some(a) = e.attributes.get_mut(*index) {
                        a.value = t.into();
                    }
                }
            }
            Located::Namespace { element, prefix } => {
                let t = self.content_text(op)?;
                if t.is_empty() {
                    return Err(Error::patch(E::InvalidNamespaceUri, "empty namespace URI"));
                }
                let e = target
                    .element_mut(*element)
                    .ok_or(Error::patch(E::InvalidNodeTypes, "not an element"))?;
                let a = e
                    .attributes
                    .iter_mut()
                    .find(|a| a.name.declared_prefix() == Some(Some(prefix.as_str())))
                    .ok_or(Error::patch(
                        E::InvalidNamespacePrefix,
                        "the namespace is not declared on the selected element",
                    ))?;
                a.value = t.into();
            }
            Located::Namespaces(_) => {
                return Err(Error::patch(
                    E::InvalidPatchDirective,
                    "cannot replace a namespace set",
                ));
            }
        }
        Ok(())
    }

    /// Copies `src` (a child of an operation element) into `target` as a detached subtree,
    /// re-prefixing names by the rules of RFC 5261 §4.2.3 for the evaluation context `ctx`.
    fn copy_content(
        &self,
        target: &mut Document,
        src: NodeId,
        ctx: NodeId,
    ) -> Result<NodeId, Error> {
        let mut scope = Scope::at(target, ctx);
        let ctx_prefix = target.name(ctx).and_then(|q| q.prefix().map(str::to_owned));
        enum Frame {
            Enter(NodeId, Option<NodeId>, Option<String>),
            Exit(usize),
        }
        let mut top = None;
        let mut stack = vec![Frame::Enter(src, None, ctx_prefix)];
        while let Some(f) = stack.pop() {
            match f {
                Frame::Exit(len) => scope.local.truncate(len),
                Frame::Enter(s, parent, parent_prefix) => {
                    let id = match self.doc.kind(s) {
                        NodeKind::Element(e) => {
                            let mark = scope.local.len();
                            for (p, uri) in e.namespace_decls() {
                                scope.local.push((p.map(str::to_owned), uri.to_owned()));
                            }
                            let mut extra = Vec::new();
                            let uri = self.doc.lookup_namespace(s, e.name.prefix());
                            let prefix = match uri {
                                Some(u) => scope.choose(
                                    u,
                                    e.name.prefix(),
                                    parent_prefix.as_deref(),
                                    false,
                                    &mut extra,
                                ),
                                None => {
                                    if scope.effective(None).is_some() {
                                        extra.push(Attribute::new(QName::new("xmlns"), ""));
                                        scope.local.push((None, String::new()));
                                    }
                                    None
                                }
                            };
                            let mut attributes =
                                Vec::with_capacity(e.attributes.len() + extra.len());
                            for a in &e.attributes {
                                if a.is_namespace_decl()
                                    || a.name.prefix().is_none_or(|p| p == "xml")
                                {
                                    attributes.push(a.clone());
                                    continue;
                                }
                                let u = self
                                    .doc
                                    .lookup_namespace(s, a.name.prefix())
                                    .unwrap_or_default();
                                let p = scope.choose(u, a.name.prefix(), None, true, &mut extra);
                                let name = QName::with_prefix(p.as_deref(), a.name.local());
                                attributes.push(Attribute { name, value: a.value.clone() });
                            }
                            attributes.extend(extra);
                            let name = QName::with_prefix(prefix.as_deref(), e.name.local());
                            let id = target.create_node(NodeKind::Element(crate::tree::Element {
                                name,
                                attributes,
                            }));
                            stack.push(Frame::Exit(mark));
                            let kids: Vec<NodeId> = self.doc.children(s).collect();
                            for k in kids.into_iter().rev() {
                                stack.push(Frame::Enter(k, Some(id), prefix.clone()));
                            }
                            id
                        }
                        k @ (NodeKind::Document
                        | NodeKind::Text(_)
                        | NodeKind::Comment(_)
                        | NodeKind::ProcessingInstruction { .. }) => target.create_node(k.clone()),
                    };
                    match parent {
                        Some(p) => target.append_child(p, id),
                        None => top = Some(id),
                    }
                }
            }
        }
        top.ok_or(Error::patch(E::InvalidDiffFormat, "empty content"))
    }
}

/// Namespace bindings effective while copying content into the target: the target's scope at
/// the evaluation context plus declarations of the copied (or generated) content.
struct Scope {
    /// In scope at the context, innermost first, one entry per prefix; `""` = undeclared.
    target: Vec<(Option<String>, String)>,
    /// Declarations of copied content, innermost last.
    local: Vec<(Option<String>, String)>,
}

impl Scope {
    fn at(doc: &Document, ctx: NodeId) -> Self {
        let target = doc
            .namespace_scope(ctx)
            .into_iter()
            .map(|(p, uri)| (p.map(str::to_owned), uri.to_owned()))
            .collect();
        Self { target, local: Vec::new() }
    }

    /// The URI `prefix` resolves to, if bound (and not undeclared).
    fn effective(&self, prefix: Option<&str>) -> Option<&str> {
        self.local
            .iter()
            .rev()
            .chain(self.target.iter())
            .find(|(p, _)| p.as_deref() == prefix)
            .map(|(_, u)| u.as_str())
            .filter(|u| !u.is_empty())
    }

    /// The prefix to write for namespace `uri` that the diff wrote as `wanted`, by RFC 5261
    /// §4.2.3: the diff's own prefix if it is bound to `uri` here, else the context element's,
    /// else the alphabetically closest preceding one (the default first); if `uri` is not in
    /// scope at all, a declaration is added to `decls` (and to the scope).
    fn choose(
        &mut self,
        uri: &str,
        wanted: Option<&str>,
        ctx_prefix: Option<&str>,
        attribute: bool,
        decls: &mut Vec<Attribute>,
    ) -> Option<String> {
        if uri == crate::tree::XML_NS {
            return Some("xml".to_owned()); // bound everywhere, never declared
        }
        let mut seen: Vec<Option<&str>> = Vec::new();
        let mut cands: Vec<Option<&str>> = Vec::new();
        for (p, u) in self.local.iter().rev().chain(self.target.iter()) {
            let p = p.as_deref();
            if seen.contains(&p) {
                continue;
            }
            seen.push(p);
            if u == uri && !(attribute && p.is_none()) {
                cands.push(p);
            }
        }
        if cands.is_empty() {
            // declare it, under the diff's prefix unless that would shadow a binding in use
            let p = match wanted {
                Some(w) if self.effective(Some(w)).is_none() => Some(w.to_owned()),
                None if !attribute && self.effective(None).is_none() => None,
                _ => {
                    let mut i = 0usize;
                    loop {
                        let c = format!("ns{i}");
                        if self.effective(Some(&c)).is_none() {
                            break Some(c);
                        }
                        i += 1;
                    }
                }
            };
            let name = p
                .as_ref()
                .map_or_else(|| QName::new("xmlns"), |p| QName::prefixed("xmlns", p.clone()));
            decls.push(Attribute::new(name, uri));
            self.local.push((p.clone(), uri.to_owned()));
            return p;
        }
        if cands.contains(&wanted) {
            return wanted.map(str::to_owned);
        }
        if let Some(cp) = ctx_prefix {
            if cands.contains(&Some(cp)) {
                return Some(cp.to_owned());
            }
        } else if !attribute && cands.contains(&None) {
            return None;
        }
        cands.sort_unstable();
        let key = wanted.unwrap_or("");
        let pick =
            cands.iter().rev().find(|c| c.unwrap_or("") < key).or(cands.first()).copied().flatten();
        pick.map(str::to_owned)
    }
}

fn remove(target: &mut Document, located: &Located, ws: Option<Ws>) -> Result<(), Error> {
    let no_ws = |ws: Option<Ws>| {
        if ws.is_some() {
            Err(Error::patch(
                E::InvalidWhitespaceDirective,
                "ws is only allowed when removing elements, comments and processing instructions",
            ))
        } else {
            Ok(())
        }
    };
    match located {
        Located::Node(n) => {
            let n = *n;
            match target.kind(n) {
                NodeKind::Text(_) => {
                    no_ws(ws)?;
                    target.remove(n);
                    return Ok(());
                }
                NodeKind::Element(_) if target.parent(n) == Some(Document::ROOT) => {
                    return Err(Error::patch(
                        E::InvalidRootElementOperation,
                        "cannot remove the root element",
                    ));
                }
                NodeKind::Document => {
                    return Err(Error::patch(
                        E::InvalidXmlPrologOperation,
                        "cannot remove the document",
                    ));
                }
                NodeKind::Element(_)
                | NodeKind::Comment(_)
                | NodeKind::ProcessingInstruction { .. } => {}
            }
            let ws_sibling = |s: Option<NodeId>| {
                s.filter(|&s| target.text(s).is_some_and(is_xml_ws)).ok_or(Error::patch(
                    E::InvalidWhitespaceDirective,
                    "no white space text node to remove",
                ))
            };
            let before = matches!(ws, Some(Ws::Before | Ws::Both))
                .then(|| ws_sibling(target.prev_sibling(n)))
                .transpose()?;
            let after = matches!(ws, Some(Ws::After | Ws::Both))
                .then(|| ws_sibling(target.next_sibling(n)))
                .transpose()?;
            for s in [before, after].into_iter().flatten() {
                target.remove(s);
            }
            let prev = target.prev_sibling(n);
            target.remove(n);
            if let Some(p) = prev {
                target.merge_text_neighbors(p);
            }
        }
        Located::Attribute { element, index } => {
            no_ws(ws)?;
            if let Some(e) = target.element_mut(*element) {
                if *index < e.attributes.len() {
                    e.attributes.remove(*index);
                }
            }
        }
        Located::Namespace { element, prefix } => {
            no_ws(ws)?;
            let element = *element;
            let declared_here = target
                .element(element)
                .is_some_and(|e| e.declared_namespace(Some(prefix)).is_some());
            if !declared_here {
                return Err(Error::patch(
                    E::InvalidNamespacePrefix,
                    "the namespace is not declared on the selected element",
                ));
            }
            if prefix_in_use(target, element, prefix) {
                return Err(Error::patch(E::InvalidNamespacePrefix, "the prefix is still in use"));
            }
            if let Some(e) = target.element_mut(element) {
                e.attributes.retain(|a| a.name.declared_prefix() != Some(Some(prefix.as_str())));
            }
        }
        Located::Namespaces(_) => {
            return Err(Error::patch(E::InvalidPatchDirective, "cannot remove a namespace set"));
        }
    }
    Ok(())
}

/// Whether any name in the subtree of `top` resolves `prefix` through `top`'s declaration.
fn prefix_in_use(doc: &Document, top: NodeId, prefix: &str) -> bool {
    let mut stack = vec![top];
    while let Some(n) = stack.pop() {
        let Some(e) = doc.element(n) else { continue };
        if n != top && e.declared_namespace(Some(prefix)).is_some() {
            continue; // re-declared: this subtree no longer sees top's binding
        }
        let uses = |q: &QName| q.prefix() == Some(prefix);
        if uses(&e.name) || e.plain_attributes().any(|a| uses(&a.name)) {
            return true;
        }
        stack.extend(doc.child_elements(n));
    }
    false
}

fn diff_format(e: Error) -> Error {
    let kind = match e.kind() {
        ErrorKind::Xml(crate::error::XmlErrorKind::UnknownEntity) => E::InvalidEntityDeclaration,
        ErrorKind::Xml(crate::error::XmlErrorKind::InvalidEncoding) => E::InvalidCharacterSet,
        ErrorKind::Xml(_) | ErrorKind::Selector(_) | ErrorKind::Select(_) | ErrorKind::Patch(_) => {
            E::InvalidDiffFormat
        }
    };
    Error::patch_xml(kind, "the diff is not well-formed XML", e)
}

fn parse_op(doc: &Document, el: NodeId, local: &str) -> Result<Operation, Error> {
    let attr = |name: &str| doc.attribute(el, None, name);
    let bad = |why| Error::patch(E::InvalidAttributeValue, why);
    let sel_text = attr("sel").ok_or(bad("missing sel attribute"))?;
    let sel =
        Selector::parse(sel_text).map_err(|_| bad("sel is not a supported XPath selector"))?;
    let kind = match local {
        "add" => {
            let pos = match attr("pos") {
                None => Pos::Append,
                Some("before") => Pos::Before,
                Some("after") => Pos::After,
                Some("prepend") => Pos::Prepend,
                Some(_) => return Err(bad("pos must be before, after or prepend")),
            };
            let add_type = match attr("type") {
                None => None,
                Some(t) => Some(if let Some(a) = t.strip_prefix('@') {
                    AddType::Attribute(
                        QName::parse(a).ok_or(bad("type names an invalid attribute"))?,
                    )
                } else if let Some(p) = t.strip_prefix("namespace::") {
                    if !is_ncname(p) || p == "xml" || p == "xmlns" {
                        return Err(bad("type names an invalid namespace prefix"));
                    }
                    AddType::Namespace(p.to_owned())
                } else {
                    return Err(bad("type must be @attr or namespace::prefix"));
                }),
            };
            if add_type.is_some() && pos != Pos::Append {
                return Err(Error::patch(E::InvalidPatchDirective, "pos cannot be used with type"));
            }
            if sel.terminal.as_ref().is_some_and(|t| {
                matches!(
                    t,
                    crate::select::Terminal::Attribute(_) | crate::select::Terminal::Namespace(_)
                )
            }) {
                return Err(bad("an add selector cannot locate an attribute or namespace"));
            }
            OpKind::Add { pos, add_type }
        }
        "replace" => OpKind::Replace,
        "remove" => {
            let ws = match attr("ws") {
                None => None,
                Some("before") => Some(Ws::Before),
                Some("after") => Some(Ws::After),
                Some("both") => Some(Ws::Both),
                Some(_) => return Err(bad("ws must be before, after or both")),
            };
            OpKind::Remove { ws }
        }
        _ => return Err(Error::patch(E::InvalidPatchDirective, "unknown operation element")),
    };
    Ok(Operation { kind, sel, element: el })
}

/// The namespace of `<patch-ops-error>` documents (RFC 5261 §9).
pub const PATCH_OPS_ERROR_NS: &str = "urn:ietf:params:xml:ns:patch-ops-error";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::XmlErrorKind;

    #[test]
    fn a_prefix_is_in_use_unless_redeclared_below() {
        let doc = Document::from_str(
            r#"<r xmlns:p="urn:p"><a p:x="1"/><b xmlns:p="urn:q"><p:c/></b></r>"#,
        )
        .expect("well formed");
        let root = doc.root_element().expect("a root");
        assert!(prefix_in_use(&doc, root, "p"), "an attribute of <a> uses it");
        let doc = Document::from_str(r#"<r xmlns:p="urn:p"><b xmlns:p="urn:q"><p:c/></b></r>"#)
            .expect("well formed");
        let root = doc.root_element().expect("a root");
        assert!(!prefix_in_use(&doc, root, "p"), "<p:c> sees <b>'s binding, not <r>'s");
        assert!(!prefix_in_use(&doc, root, "q"));
    }

    #[test]
    fn xml_faults_of_a_diff_map_to_their_conditions_and_keep_the_offset() {
        let cases = [
            (XmlErrorKind::UnknownEntity, E::InvalidEntityDeclaration),
            (XmlErrorKind::InvalidEncoding, E::InvalidCharacterSet),
            (XmlErrorKind::MismatchedTag, E::InvalidDiffFormat),
        ];
        for (xml, condition) in cases {
            let e = diff_format(Error::xml(xml, 17));
            assert_eq!(e.patch_kind(), Some(condition));
            assert_eq!((e.offset(), e.xml_cause()), (Some(17), Some((xml, 17))));
        }
        // and through the parser
        let e = Patch::parse(b"<diff><add sel='a'>&nope;</add></diff>").unwrap_err();
        assert_eq!(e.patch_kind(), Some(E::InvalidEntityDeclaration));
        assert_eq!(e.offset(), Some(19));
    }
}
