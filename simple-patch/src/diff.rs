//! Generating an RFC 5261 patch that turns document A into document B.
//!
//! The diff walks both trees together. Under each pair of matching elements it compares
//! namespace declarations and attributes, then the non-text children with Myers' O(ND)
//! algorithm over subtree hashes (common prefix and suffix trimmed first), pairs deleted and
//! inserted nodes of the same kind and name as modifications, and recurses into those. Text
//! between the non-text children is patched as the "gaps" around them, choosing `ws`
//! directives on removals so pretty-printed documents need few text operations.
//!
//! Operations are emitted in document order; every selector is written for the document as
//! patched so far (positions count the siblings already made equal to B), so applying the
//! patch to A yields a document [equivalent](Document::equivalent) to B. Where B's namespace
//! prefixes can be kept they are, so usually the result is byte-identical to B as written.

use core::hash::{Hash, Hasher};
use std::collections::HashMap;

use crate::patch::{AddType, OpKind, Operation, Patch, Pos, Ws};
use crate::select::{NameTest, Predicate, Selector, Step, Terminal};
use crate::tree::{Attribute, Document, NodeId, NodeKind, QName, is_xml_ws};

/// Settings of [`diff_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffConfig {
    /// Largest edit distance searched among one element's children; beyond it the element is
    /// replaced whole, which keeps the cost linear (default 256).
    pub max_edit_distance: usize,
}

impl Default for DiffConfig {
    fn default() -> Self {
        Self { max_edit_distance: 256 }
    }
}

/// A patch turning `a` into `b` (with the default [`DiffConfig`]).
///
/// The XML declaration, the DOCTYPE and white space outside the root element cannot be patched
/// (RFC 5261 §3) and are not compared.
pub fn diff(a: &Document, b: &Document) -> Patch {
    diff_with(a, b, &DiffConfig::default())
}

/// A patch turning `a` into `b`.
pub fn diff_with(a: &Document, b: &Document, config: &DiffConfig) -> Patch {
    let mut out = Document::with_root(QName::new("diff"));
    out.declaration = Some(r#" version="1.0" encoding="UTF-8""#.to_owned());
    let root = out.root_element().expect("with_root made the root element");
    let mut used: Vec<String> = Vec::new();
    let mut by_uri: HashMap<String, Vec<String>> = HashMap::new();
    for doc in [a, b] {
        for n in doc.descendants(Document::ROOT) {
            if let Some(e) = doc.element(n) {
                for (p, uri) in e.namespace_decls() {
                    if let Some(p) = p {
                        if !used.iter().any(|u| u == p) {
                            used.push(p.to_owned());
                        }
                        by_uri.entry(uri.to_owned()).or_default().push(p.to_owned());
                    }
                }
            }
        }
    }
    let mut g = Gen {
        a,
        b,
        ha: hashes(a),
        hb: hashes(b),
        out,
        root,
        ops: Vec::new(),
        prefixes: Vec::new(),
        used,
        by_uri,
        config,
    };
    g.children(Document::ROOT, Document::ROOT, &[], true);
    let Gen { out, root, ops, .. } = g;
    Patch::from_parts(out, root, ops)
}

/// A fast non-cryptographic hasher (the multiply-rotate scheme of rustc's FxHasher). Subtree
/// hashes only pick candidates; every kept subtree is compared in full.
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(Self::K);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Hash of every subtree, indexed by node.
fn hashes(doc: &Document) -> Vec<u64> {
    let mut h = vec![0u64; doc.capacity()];
    let order: Vec<NodeId> = doc.descendants(Document::ROOT).collect();
    for &n in order.iter().rev() {
        let mut s = FxHasher::default();
        match doc.kind(n) {
            NodeKind::Document => 0u8.hash(&mut s),
            NodeKind::Element(e) => {
                1u8.hash(&mut s);
                e.hash_into(&mut s);
            }
            NodeKind::Text(t) => (2u8, t).hash(&mut s),
            NodeKind::Comment(t) => (3u8, t).hash(&mut s),
            NodeKind::ProcessingInstruction { target, data } => (4u8, target, data).hash(&mut s),
        }
        for c in doc.children(n) {
            h[c.index()].hash(&mut s);
        }
        h[n.index()] = s.finish();
    }
    h
}

impl crate::tree::Element {
    fn hash_into(&self, s: &mut FxHasher) {
        self.name.hash(s);
        for a in &self.attributes {
            (&a.name, &a.value).hash(s);
        }
    }
}

/// What positional steps count: XPath name tests count elements by expanded name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PosKey {
    Elem(Option<String>, String),
    Comment,
    Pi(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Keep(usize, usize),
    Mod(usize, usize),
    Del(usize),
    Ins(usize),
}

/// Where the walk over one child list stands.
struct State {
    /// B nodes placed so far, by positional key.
    counts: HashMap<PosKey, usize>,
    /// The last placed node and its position.
    last_left: Option<(PosKey, usize)>,
    /// Text nodes among the placed nodes.
    texts: usize,
    /// The text now between the placed nodes and the rest of A.
    pending: String,
}

struct Gen<'a> {
    a: &'a Document,
    b: &'a Document,
    ha: Vec<u64>,
    hb: Vec<u64>,
    out: Document,
    root: NodeId,
    ops: Vec<Operation>,
    /// uri -> prefix declared on the diff root.
    prefixes: Vec<(String, String)>,
    /// Every prefix declared anywhere in A or B.
    used: Vec<String>,
    by_uri: HashMap<String, Vec<String>>,
    config: &'a DiffConfig,
}

/// Non-text children and the text gaps around them (`gaps.len() == nodes.len() + 1`).
fn split(doc: &Document, parent: NodeId) -> (Vec<NodeId>, Vec<String>) {
    let mut nodes = Vec::new();
    let mut gaps = vec![String::new()];
    for c in doc.children(parent) {
        match doc.kind(c) {
            NodeKind::Text(t) => {
                if let Some(g) = gaps.last_mut() {
                    g.push_str(t);
                }
            }
            NodeKind::Document
            | NodeKind::Element(_)
            | NodeKind::Comment(_)
            | NodeKind::ProcessingInstruction { .. } => {
                nodes.push(c);
                gaps.push(String::new());
            }
        }
    }
    (nodes, gaps)
}

/// Myers' O(ND) shortest edit script, or `None` past `max_d`.
fn myers(a: &[u64], b: &[u64], max_d: usize) -> Option<Vec<Edit>> {
    let (n, m) = (a.len(), b.len());
    // common prefix and suffix
    let mut pre = 0;
    while pre < n && pre < m && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < n - pre && suf < m - pre && a[n - 1 - suf] == b[m - 1 - suf] {
        suf += 1;
    }
    let (a2, b2) = (&a[pre..n - suf], &b[pre..m - suf]);
    let mut edits: Vec<Edit> = (0..pre).map(|i| Edit::Keep(i, i)).collect();
    let mid = myers_core(a2, b2, max_d)?;
    edits.extend(mid.into_iter().map(|e| match e {
        Edit::Keep(i, j) => Edit::Keep(i + pre, j + pre),
        Edit::Mod(i, j) => Edit::Mod(i + pre, j + pre),
        Edit::Del(i) => Edit::Del(i + pre),
        Edit::Ins(j) => Edit::Ins(j + pre),
    }));
    edits.extend((0..suf).map(|k| Edit::Keep(n - suf + k, m - suf + k)));
    Some(edits)
}

fn myers_core(a: &[u64], b: &[u64], max_d: usize) -> Option<Vec<Edit>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    if n == 0 || m == 0 {
        let mut e: Vec<Edit> = (0..a.len()).map(Edit::Del).collect();
        e.extend((0..b.len()).map(Edit::Ins));
        return Some(e);
    }
    let max = (n + m) as usize;
    let limit = max.min(max_d);
    let off = limit as isize + 1;
    let mut v = vec![0isize; 2 * limit + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let idx = |k: isize| (k + off) as usize;
    let mut found = None;
    'outer: for d in 0..=limit as isize {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let mut x = if k == -d || (k != d && v[idx(k - 1)] < v[idx(k + 1)]) {
                v[idx(k + 1)]
            } else {
                v[idx(k - 1)] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx(k)] = x;
            if x >= n && y >= m {
                found = Some(d);
                break 'outer;
            }
            k += 2;
        }
    }
    let d_final = found?;
    // backtrack
    let mut edits = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..=d_final).rev() {
        let v = &trace[d as usize];
        let k = x - y;
        let prev_k =
            if k == -d || (k != d && v[idx(k - 1)] < v[idx(k + 1)]) { k + 1 } else { k - 1 };
        let prev_x = v[idx(prev_k)];
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
            edits.push(Edit::Keep(x as usize, y as usize));
        }
        if x == prev_x {
            y -= 1;
            edits.push(Edit::Ins(y as usize));
        } else {
            x -= 1;
            edits.push(Edit::Del(x as usize));
        }
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        edits.push(Edit::Keep(x as usize, y as usize));
    }
    edits.reverse();
    Some(edits)
}

impl Gen<'_> {
    /// The diff-root prefix for `uri`, declared on first use.
    fn prefix_for(&mut self, uri: &str) -> String {
        if uri == crate::tree::XML_NS {
            return "xml".to_owned(); // bound everywhere, never declared
        }
        if let Some((_, p)) = self.prefixes.iter().find(|(u, _)| u == uri) {
            return p.clone();
        }
        let taken = |p: &str, s: &Self| s.prefixes.iter().any(|(_, q)| q == p);
        // a prefix the documents only ever bind to this URI keeps the diff readable
        let mut choice = self.by_uri.get(uri).and_then(|ps| {
            ps.iter()
                .find(|p| {
                    p.as_str() != "xml"
                        && !taken(p, self)
                        && self.by_uri.iter().all(|(u, qs)| u == uri || !qs.contains(p))
                })
                .cloned()
        });
        if choice.is_none() {
            let mut i = 0usize;
            choice = loop {
                let c = format!("ns{i}");
                if !self.used.contains(&c) && !taken(&c, self) {
                    break Some(c);
                }
                i += 1;
            };
        }
        let p = choice.unwrap_or_default();
        self.out.set_attribute(self.root, QName::prefixed("xmlns", p.clone()), uri);
        self.prefixes.push((uri.to_owned(), p.clone()));
        p
    }

    fn pos_key(&self, doc: &Document, n: NodeId) -> PosKey {
        match doc.kind(n) {
            NodeKind::Element(e) => {
                PosKey::Elem(doc.namespace(n).map(str::to_owned), e.name.local().to_string())
            }
            NodeKind::ProcessingInstruction { target, .. } => PosKey::Pi(target.clone()),
            NodeKind::Comment(_) | NodeKind::Text(_) | NodeKind::Document => PosKey::Comment,
        }
    }

    /// Whether `x` of A and `y` of B may be modified into each other rather than replaced.
    fn pairable(&self, x: NodeId, y: NodeId, doc_level: bool) -> bool {
        match (self.a.kind(x), self.b.kind(y)) {
            (NodeKind::Element(ex), NodeKind::Element(ey)) => {
                doc_level || (ex.name == ey.name && self.a.namespace(x) == self.b.namespace(y))
            }
            (NodeKind::Comment(_), NodeKind::Comment(_)) => true,
            (
                NodeKind::ProcessingInstruction { target: tx, .. },
                NodeKind::ProcessingInstruction { target: ty, .. },
            ) => tx == ty,
            _ => false,
        }
    }

    /// A location step for the `k`-th node of kind `key`.
    fn step(&mut self, key: &PosKey, k: usize) -> Result<Step, Terminal> {
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        match key {
            PosKey::Elem(ns, local) => {
                let name = match ns {
                    Some(u) => QName::prefixed(self.prefix_for(u), local.clone()),
                    None => QName::new(local.clone()),
                };
                Ok(Step { test: NameTest::Name(name), predicates: vec![Predicate::Position(k)] })
            }
            PosKey::Comment => Err(Terminal::Comment(Some(k))),
            PosKey::Pi(t) => Err(Terminal::ProcessingInstruction(Some(t.clone()), Some(k))),
        }
    }

    fn path_selector(path: &[Step], terminal: Option<Terminal>) -> Selector {
        Selector { absolute: false, id: None, steps: path.to_vec(), terminal }
    }

    /// Appends an operation element to the diff and records it.
    fn emit(&mut self, kind: OpKind, sel: Selector) -> NodeId {
        let local = match &kind {
            OpKind::Add { .. } => "add",
            OpKind::Replace => "replace",
            OpKind::Remove { .. } => "remove",
        };
        let el = self.out.create_element(QName::new(local));
        self.out.set_attribute(el, QName::new("sel"), sel.to_string());
        match &kind {
            OpKind::Add { pos, add_type } => {
                let p = match pos {
                    Pos::Append => None,
                    Pos::Prepend => Some("prepend"),
                    Pos::Before => Some("before"),
                    Pos::After => Some("after"),
                };
                if let Some(p) = p {
                    self.out.set_attribute(el, QName::new("pos"), p);
                }
                match add_type {
                    Some(AddType::Attribute(q)) => {
                        self.out.set_attribute(el, QName::new("type"), format!("@{q}"))
                    }
                    Some(AddType::Namespace(p)) => {
                        self.out.set_attribute(el, QName::new("type"), format!("namespace::{p}"));
                    }
                    None => {}
                }
            }
            OpKind::Remove { ws: Some(ws) } => {
                let w = match ws {
                    Ws::Before => "before",
                    Ws::After => "after",
                    Ws::Both => "both",
                };
                self.out.set_attribute(el, QName::new("ws"), w);
            }
            OpKind::Remove { ws: None } | OpKind::Replace => {}
        }
        let ws = self.out.create_text("\n");
        self.out.append_child(self.root, ws);
        self.out.append_child(self.root, el);
        self.ops.push(Operation { kind, sel, element: el });
        el
    }

    fn emit_text(&mut self, kind: OpKind, sel: Selector, text: &str) {
        let el = self.emit(kind, sel);
        if !text.is_empty() {
            let t = self.out.create_text(text);
            self.out.append_child(el, t);
        }
    }

    /// Copies B nodes (and the gap text before each) into operation element `el`, declaring on
    /// it B's namespace bindings at `b_ctx` when the selector allows, so B's prefixes survive.
    fn fill(&mut self, el: NodeId, b_ctx: NodeId, items: &[(String, NodeId)]) {
        let sel_has_unprefixed = self.ops.last().is_some_and(|op| {
            op.sel
                .steps
                .iter()
                .any(|s| matches!(&s.test, NameTest::Name(q) if q.prefix().is_none()))
        });
        let scope: Vec<(Option<String>, String)> = if self.b.is_element(b_ctx) {
            self.b
                .in_scope_namespaces(b_ctx)
                .into_iter()
                .map(|(p, u)| (p.map(str::to_owned), u.to_owned()))
                .collect()
        } else {
            Vec::new()
        };
        let keep_lexical = !(sel_has_unprefixed && scope.iter().any(|(p, _)| p.is_none()));
        if keep_lexical {
            for (p, u) in &scope {
                let name = p
                    .as_ref()
                    .map_or_else(|| QName::new("xmlns"), |p| QName::prefixed("xmlns", p.clone()));
                if let Some(e) = self.out.element_mut(el) {
                    e.attributes.push(Attribute::new(name, u.clone()));
                }
            }
        }
        for (gap, n) in items {
            if !gap.is_empty() {
                let t = self.out.create_text(gap.clone());
                self.out.append_child(el, t);
            }
            let copy = self.out.import(self.b, *n);
            if !keep_lexical {
                self.remap(copy, *n);
            }
            self.out.append_child(el, copy);
        }
    }

    /// Rewrites names of a copied B subtree whose prefixes B binds outside it to diff-root
    /// prefixes.
    fn remap(&mut self, copy_top: NodeId, b_top: NodeId) {
        let pairs: Vec<(NodeId, NodeId)> =
            self.out.descendants(copy_top).zip(self.b.descendants(b_top)).collect();
        for (c, bn) in pairs {
            let Some(e) = self.b.element(bn) else { continue };
            let bound_inside = |p: Option<&str>| {
                let mut cur = Some(bn);
                while let Some(x) = cur {
                    if self.b.element(x).is_some_and(|e| e.declared_namespace(p).is_some()) {
                        return true;
                    }
                    if x == b_top {
                        break;
                    }
                    cur = self.b.parent(x);
                }
                false
            };
            let mut renames: Vec<(Option<usize>, String)> = Vec::new();
            if !bound_inside(e.name.prefix()) {
                if let Some(u) = self.b.namespace(bn) {
                    renames.push((None, u.to_owned()));
                }
            }
            for (i, a) in e.attributes.iter().enumerate() {
                if a.is_namespace_decl() || a.name.prefix().is_none_or(|p| p == "xml") {
                    continue;
                }
                if !bound_inside(a.name.prefix()) {
                    if let Some(u) = self.b.attribute_namespace(bn, &a.name) {
                        renames.push((Some(i), u.to_owned()));
                    }
                }
            }
            for (i, u) in renames {
                let p = self.prefix_for(&u);
                if let Some(ce) = self.out.element_mut(c) {
                    match i {
                        None => ce.name = QName::prefixed(&p, ce.name.local()),
                        Some(i) => {
                            let a = &mut ce.attributes[i].name;
                            *a = QName::prefixed(&p, a.local());
                        }
                    }
                }
            }
        }
    }

    /// Patches element `x` of A into element `y` of B; `path` selects `x` in the patched
    /// document.
    fn element(&mut self, x: NodeId, y: NodeId, path: &[Step]) {
        let (Some(ex), Some(ey)) = (self.a.element(x), self.b.element(y)) else { return };
        let b_parent =
            self.b.parent(y).expect("an element has a parent: an element or the document");
        // namespace declarations: only additions of new prefixes can be patched in place
        let dx: Vec<(Option<&str>, &str)> = ex.namespace_decls().collect();
        let dy: Vec<(Option<&str>, &str)> = ey.namespace_decls().collect();
        // (and only when they shadow nothing: a new binding of an inherited prefix would change
        // what the element's existing names mean)
        let a_parent =
            self.a.parent(x).expect("an element has a parent: an element or the document");
        let only_added = dx.iter().all(|d| dy.contains(d))
            && dy.iter().filter(|d| !dx.contains(d)).all(|(p, _)| {
                p.is_some_and(|p| self.a.lookup_namespace(a_parent, Some(p)).is_none())
            });
        if ex.name != ey.name || !only_added {
            let sel = Self::path_selector(path, None);
            let el = self.emit(OpKind::Replace, sel);
            self.fill(el, b_parent, &[(String::new(), y)]);
            return;
        }
        for (p, u) in dy.iter().filter(|d| !dx.contains(d)) {
            let Some(p) = p else { continue };
            let kind = OpKind::Add {
                pos: Pos::Append,
                add_type: Some(AddType::Namespace((*p).to_owned())),
            };
            self.emit_text(kind, Self::path_selector(path, None), u);
        }
        // attributes, by expanded name
        let ax: Vec<&Attribute> = ex.plain_attributes().collect();
        let ay: Vec<&Attribute> = ey.plain_attributes().collect();
        let attr_name = |g: &mut Self, ns: Option<&str>, local: &str| match ns {
            Some(u) => QName::prefixed(g.prefix_for(u), local),
            None => QName::new(local),
        };
        for at in &ax {
            let ns = self.a.attribute_namespace(x, &at.name);
            match self.b.attribute(y, ns, at.name.local()) {
                None => {
                    let q = attr_name(self, ns, at.name.local());
                    self.emit(
                        OpKind::Remove { ws: None },
                        Self::path_selector(path, Some(Terminal::Attribute(q))),
                    );
                }
                Some(v) if v != at.value => {
                    let q = attr_name(self, ns, at.name.local());
                    self.emit_text(
                        OpKind::Replace,
                        Self::path_selector(path, Some(Terminal::Attribute(q))),
                        v,
                    );
                }
                Some(_) => {}
            }
        }
        for at in &ay {
            let ns = self.b.attribute_namespace(y, &at.name);
            if self.a.attribute(x, ns, at.name.local()).is_none() {
                let q = attr_name(self, ns, at.name.local());
                let kind = OpKind::Add { pos: Pos::Append, add_type: Some(AddType::Attribute(q)) };
                self.emit_text(kind, Self::path_selector(path, None), &at.value);
            }
        }
        self.children(x, y, path, false);
    }

    /// Patches the children of `x` (A) into those of `y` (B).
    fn children(&mut self, x: NodeId, y: NodeId, path: &[Step], doc_level: bool) {
        let (an, ag) = split(self.a, x);
        let (bn, bg) = split(self.b, y);
        // at the document level the root elements always align (a root cannot be removed)
        let h = |d: &Document, hs: &[u64], n: &NodeId| {
            if doc_level && d.is_element(*n) { 0 } else { hs[n.index()] }
        };
        let ha: Vec<u64> = an.iter().map(|n| h(self.a, &self.ha, n)).collect();
        let hb: Vec<u64> = bn.iter().map(|n| h(self.b, &self.hb, n)).collect();
        let Some(script) = myers(&ha, &hb, self.config.max_edit_distance) else {
            if !doc_level {
                let sel = Self::path_selector(path, None);
                let el = self.emit(OpKind::Replace, sel);
                let parent =
                    self.b.parent(y).expect("an element has a parent: an element or the document");
                self.fill(el, parent, &[(String::new(), y)]);
                return;
            }
            // the document level holds only a few comments and PIs around the root
            let script = myers(&ha, &hb, usize::MAX)
                .expect("with no bound on the edit distance there is always a script");
            return self.run_script(&script, (&an, &ag), (y, &bn, &bg), path, doc_level);
        };
        self.run_script(&script, (&an, &ag), (y, &bn, &bg), path, doc_level);
    }

    #[allow(clippy::too_many_lines)]
    fn run_script(
        &mut self,
        script: &[Edit],
        (an, ag): (&[NodeId], &[String]),
        (y, bn, bg): (NodeId, &[NodeId], &[String]),
        path: &[Step],
        doc_level: bool,
    ) {
        // A keep whose trees differ (a hash collision, or the root elements, which always
        // align) becomes a modification, or a deletion and an insertion.
        let mut items: Vec<Edit> = Vec::with_capacity(script.len());
        for &e in script {
            if let Edit::Keep(i, j) = e {
                if !identical(self.a, an[i], self.b, bn[j]) {
                    if self.pairable(an[i], bn[j], doc_level) {
                        items.push(Edit::Mod(i, j));
                    } else {
                        items.push(Edit::Del(i));
                        items.push(Edit::Ins(j));
                    }
                    continue;
                }
            }
            items.push(e);
        }
        let mut st = State {
            counts: HashMap::new(),
            last_left: None,
            texts: 0,
            pending: if doc_level {
                String::new()
            } else {
                ag.first().cloned().unwrap_or_default()
            },
        };
        let mut k = 0;
        loop {
            // a run of deletions and insertions up to the next keep or modification
            let mut dels = Vec::new();
            let mut ins = Vec::new();
            while let Some(e) = items.get(k) {
                match *e {
                    Edit::Del(i) => dels.push(i),
                    Edit::Ins(j) => ins.push(j),
                    Edit::Keep(..) | Edit::Mod(..) => break,
                }
                k += 1;
            }
            // pair deletions with insertions of the same kind and name, in order
            let mut anchors: Vec<(usize, usize, bool)> = Vec::new();
            let mut next_ins = 0;
            for &i in &dels {
                if let Some(off) =
                    ins[next_ins..].iter().position(|&j| self.pairable(an[i], bn[j], doc_level))
                {
                    anchors.push((i, ins[next_ins + off], false));
                    next_ins += off + 1;
                }
            }
            let end = match items.get(k) {
                Some(&Edit::Keep(i, j)) => Some((i, j, true)),
                Some(&Edit::Mod(i, j)) => Some((i, j, false)),
                Some(Edit::Del(_) | Edit::Ins(_)) | None => None,
            };
            anchors.push(end.unwrap_or((an.len(), bn.len(), true)));
            let (mut di, mut ii) = (0, 0);
            for (ai, bj, keep) in anchors {
                let is_end = ai == an.len();
                // insert B's nodes before the anchor, in one operation
                let mut batch = Vec::new();
                while ii < ins.len() && ins[ii] < bj {
                    batch.push(ins[ii]);
                    ii += 1;
                }
                if ii < ins.len() && ins[ii] == bj {
                    ii += 1; // the paired insertion
                }
                if !batch.is_empty() {
                    self.insert_batch(
                        &batch,
                        an.get(ai).copied(),
                        (y, bn, bg),
                        path,
                        doc_level,
                        &mut st,
                    );
                }
                // delete A's nodes before the anchor, choosing ws to leave the wanted gap
                let want = if doc_level { String::new() } else { bg[bj].clone() };
                while di < dels.len() && dels[di] < ai {
                    let i = dels[di];
                    di += 1;
                    let after = if doc_level { "" } else { ag[i + 1].as_str() };
                    self.delete(an[i], after, &want, path, doc_level, &mut st);
                }
                if di < dels.len() && dels[di] == ai {
                    di += 1; // the paired deletion
                }
                if !doc_level {
                    self.fix_gap(path, &st.last_left, st.texts, &st.pending, &want);
                    if !want.is_empty() {
                        st.texts += 1;
                    }
                }
                if is_end {
                    break;
                }
                let key = self.pos_key(self.b, bn[bj]);
                let c = st.counts.get(&key).copied().unwrap_or(0) + 1;
                if !keep {
                    self.modify(an[ai], bn[bj], &key, c, path);
                }
                st.counts.insert(key.clone(), c);
                st.last_left = Some((key, c));
                st.pending = if doc_level { String::new() } else { ag[ai + 1].clone() };
            }
            if end.is_none() {
                break;
            }
            k += 1;
        }
    }

    fn insert_batch(
        &mut self,
        batch: &[usize],
        next_a: Option<NodeId>,
        (y, bn, bg): (NodeId, &[NodeId], &[String]),
        path: &[Step],
        doc_level: bool,
        st: &mut State,
    ) {
        let (sel, pos) = match (st.last_left.as_ref(), doc_level, next_a) {
            // the document node cannot be selected: before the first remaining node of A
            // (the root element at worst)
            (None, true, Some(n)) => {
                let key = self.pos_key(self.a, n);
                let c = st.counts.get(&key).copied().unwrap_or(0) + 1;
                (self.node_selector(path, &key, c), Pos::Before)
            }
            (last, ..) => self.after_finished(path, last),
        };
        let el = self.emit(OpKind::Add { pos, add_type: None }, sel);
        let items: Vec<(String, NodeId)> = batch
            .iter()
            .map(|&j| (if doc_level { String::new() } else { bg[j].clone() }, bn[j]))
            .collect();
        self.fill(el, y, &items);
        for &j in batch {
            if !doc_level && !bg[j].is_empty() {
                st.texts += 1;
            }
            let key = self.pos_key(self.b, bn[j]);
            let c = st.counts.entry(key.clone()).or_insert(0);
            *c += 1;
            st.last_left = Some((key, *c));
        }
    }

    fn delete(
        &mut self,
        node: NodeId,
        after: &str,
        want: &str,
        path: &[Step],
        doc_level: bool,
        st: &mut State,
    ) {
        let p = st.pending.as_str();
        let p_ws = !p.is_empty() && is_xml_ws(p);
        let a_ws = !after.is_empty() && is_xml_ws(after);
        let options: [(Option<Ws>, Option<String>); 4] = [
            (None, Some(format!("{p}{after}"))),
            (Some(Ws::Before), p_ws.then(|| after.to_owned())),
            (Some(Ws::After), a_ws.then(|| p.to_owned())),
            (Some(Ws::Both), (p_ws && a_ws).then(String::new)),
        ];
        let (ws, rest) = if doc_level {
            (None, String::new())
        } else {
            options
                .iter()
                .find(|(_, r)| r.as_deref() == Some(want))
                .or(options.first())
                .map(|(w, r)| (*w, r.clone().unwrap_or_default()))
                .unwrap_or_default()
        };
        let key = self.pos_key(self.a, node);
        let c = st.counts.get(&key).copied().unwrap_or(0) + 1;
        let sel = self.node_selector(path, &key, c);
        self.emit(OpKind::Remove { ws }, sel);
        st.pending = rest;
    }

    /// Selects the `c`-th node of kind `key` under `path`.
    fn node_selector(&mut self, path: &[Step], key: &PosKey, c: usize) -> Selector {
        match self.step(key, c) {
            Ok(s) => {
                let mut steps = path.to_vec();
                steps.push(s);
                Selector { absolute: false, id: None, steps, terminal: None }
            }
            Err(t) => Self::path_selector(path, Some(t)),
        }
    }

    /// Where new nodes go so they follow the finished region: right after its last node, or
    /// first in the parent when nothing is finished yet.
    fn after_finished(
        &mut self,
        path: &[Step],
        last_left: Option<&(PosKey, usize)>,
    ) -> (Selector, Pos) {
        match last_left {
            Some((key, c)) => (self.node_selector(path, key, *c), Pos::After),
            None => (Self::path_selector(path, None), Pos::Prepend),
        }
    }

    /// Makes the text between the finished region and the rest equal to `want`.
    fn fix_gap(
        &mut self,
        path: &[Step],
        last_left: &Option<(PosKey, usize)>,
        texts: usize,
        have: &str,
        want: &str,
    ) {
        if have == want {
            return;
        }
        let text_sel = |n: usize| {
            Self::path_selector(
                path,
                Some(Terminal::Text(Some(u32::try_from(n).unwrap_or(u32::MAX)))),
            )
        };
        if want.is_empty() {
            self.emit(OpKind::Remove { ws: None }, text_sel(texts + 1));
        } else if !have.is_empty() {
            self.emit_text(OpKind::Replace, text_sel(texts + 1), want);
        } else {
            let (sel, pos) = self.after_finished(path, last_left.as_ref());
            self.emit_text(OpKind::Add { pos, add_type: None }, sel, want);
        }
    }

    /// Patches A node `x` into B node `y`, which pair up at position `c` of `key` (B's key;
    /// only root elements pair up with different keys, and they are the only element there).
    fn modify(&mut self, x: NodeId, y: NodeId, key: &PosKey, c: usize, path: &[Step]) {
        let a_key = self.pos_key(self.a, x);
        let c = if a_key == *key { c } else { 1 };
        match self.step(&a_key, c) {
            Ok(s) => {
                let mut p = path.to_vec();
                p.push(s);
                self.element(x, y, &p);
            }
            Err(t) => {
                let el = self.emit(OpKind::Replace, Self::path_selector(path, Some(t)));
                let copy = self.out.import(self.b, y);
                self.out.append_child(el, copy);
            }
        }
    }
}

/// Whether two subtrees are written identically (names, attributes in order, text).
fn identical(a: &Document, x: NodeId, b: &Document, y: NodeId) -> bool {
    let mut stack = vec![(x, y)];
    while let Some((p, q)) = stack.pop() {
        if a.kind(p) != b.kind(q) {
            return false;
        }
        let cp: Vec<NodeId> = a.children(p).collect();
        let cq: Vec<NodeId> = b.children(q).collect();
        if cp.len() != cq.len() {
            return false;
        }
        stack.extend(cp.into_iter().zip(cq));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{Edit, myers};

    /// Replays an edit script: every element of `a` kept or deleted once, of `b` kept or
    /// inserted once, in order, with kept pairs equal. Returns the number of changes.
    fn replay(a: &[u64], b: &[u64], script: &[Edit]) -> usize {
        let (mut i, mut j, mut changes) = (0, 0, 0);
        for e in script {
            match *e {
                Edit::Keep(x, y) => {
                    assert_eq!((x, y), (i, j), "{script:?}");
                    assert_eq!(a[x], b[y]);
                    (i, j) = (i + 1, j + 1);
                }
                Edit::Mod(x, y) => {
                    assert_eq!((x, y), (i, j), "{script:?}");
                    (i, j, changes) = (i + 1, j + 1, changes + 1);
                }
                Edit::Del(x) => {
                    assert_eq!(x, i, "{script:?}");
                    (i, changes) = (i + 1, changes + 1);
                }
                Edit::Ins(y) => {
                    assert_eq!(y, j, "{script:?}");
                    (j, changes) = (j + 1, changes + 1);
                }
            }
        }
        assert_eq!((i, j), (a.len(), b.len()), "the script covers both lists");
        changes
    }

    #[test]
    fn shortest_scripts() {
        let cases: &[(&[u64], &[u64], usize)] = &[
            (&[], &[], 0),
            (&[1, 2, 3], &[1, 2, 3], 0),
            (&[1, 2, 3], &[], 3),
            (&[], &[4, 5], 2),
            (&[1, 2, 3], &[1, 3], 1),
            (&[1, 3], &[1, 2, 3], 1),
            // the classic example of Myers' paper: ABCABBA -> CBABAC, D = 5
            (&[1, 2, 3, 1, 2, 2, 1], &[3, 2, 1, 2, 1, 3], 5),
        ];
        for (a, b, d) in cases {
            let script = myers(a, b, usize::MAX).expect("unbounded");
            // a Del+Ins pair may come out as one Mod: count edits, not exceed D
            let changes = replay(a, b, &script);
            assert!(changes <= *d, "{a:?} -> {b:?}: {changes} changes, D = {d}");
            let dels = script.iter().filter(|e| matches!(e, Edit::Del(_))).count();
            let ins = script.iter().filter(|e| matches!(e, Edit::Ins(_))).count();
            let mods = script.iter().filter(|e| matches!(e, Edit::Mod(..))).count();
            assert_eq!(dels + ins + 2 * mods, *d, "{a:?} -> {b:?}: {script:?}");
        }
    }

    #[test]
    fn the_bound_is_a_bound() {
        let a: Vec<u64> = (0..50).collect();
        let b: Vec<u64> = (100..150).collect();
        assert!(myers(&a, &b, 99).is_none(), "D = 100 is past the bound");
        assert!(myers(&a, &b, 100).is_some());
        // the common prefix and suffix cost nothing against the bound
        let mut c = a.clone();
        c[25] = 999;
        // one substitution: a deletion and an insertion (D = 2)
        assert_eq!(replay(&a, &c, &myers(&a, &c, 2).expect("D = 2")), 2);
        assert!(myers(&a, &c, 1).is_none());
    }
}
