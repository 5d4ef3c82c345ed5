//! The XCAP server core (RFC 4825 §8): requests in as `http::Request<Bytes>`, responses out
//! as `http::Response<Bytes>`, documents in a [`Storage`], and a [`Change`] for every
//! document that changed (what xcap-diff and the presence agent need).

use std::collections::{BTreeMap, HashSet, VecDeque};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use simple_patch::{
    Document, Located, NameTest, NodeId, NodeKind, NodeSelector, ParseConfig, QName,
    SelectErrorKind, Str, XcapTerminal, XmlErrorKind, escape_attr,
};

use crate::caps;
use crate::conflict::{Conflict, Exists};
use crate::error::ErrorKind;
use crate::uri::{DocumentSelector, Tree, XcapUri};
use crate::usage::{
    Kind, Usage, XCAP_ATT_MIME, XCAP_EL_MIME, XCAP_ERROR_MIME, XCAP_NS_MIME, alternative,
};

/// A stored document and its entity tag (RFC 4825 §8.5: one per document).
#[derive(Debug, Clone)]
pub struct Stored {
    /// The document.
    pub document: Document,
    /// Its strong entity tag, without the quotes.
    pub etag: String,
}

/// Where an [`XcapServer`] keeps documents.
pub trait Storage {
    /// The document at `key`.
    fn get(&self, key: &DocumentSelector) -> Option<&Stored>;
    /// The document at `key`, to change in place.
    fn get_mut(&mut self, key: &DocumentSelector) -> Option<&mut Stored>;
    /// Stores a document; the one it replaces.
    fn put(&mut self, key: DocumentSelector, stored: Stored) -> Option<Stored>;
    /// Removes a document.
    fn remove(&mut self, key: &DocumentSelector) -> Option<Stored>;
    /// Every document of a usage (for constraints across users, such as RLS service URIs).
    fn documents<'a>(
        &'a self,
        auid: &str,
    ) -> Box<dyn Iterator<Item = (&'a DocumentSelector, &'a Stored)> + 'a>;
}

/// Documents in memory, ordered by AUID, tree and path.
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    docs: BTreeMap<DocumentSelector, Stored>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many documents it holds.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Every document.
    pub fn iter(&self) -> impl Iterator<Item = (&DocumentSelector, &Stored)> {
        self.docs.iter()
    }
}

impl Storage for MemoryStorage {
    fn get(&self, key: &DocumentSelector) -> Option<&Stored> {
        self.docs.get(key)
    }

    fn get_mut(&mut self, key: &DocumentSelector) -> Option<&mut Stored> {
        self.docs.get_mut(key)
    }

    fn put(&mut self, key: DocumentSelector, stored: Stored) -> Option<Stored> {
        self.docs.insert(key, stored)
    }

    fn remove(&mut self, key: &DocumentSelector) -> Option<Stored> {
        self.docs.remove(key)
    }

    fn documents<'a>(
        &'a self,
        auid: &str,
    ) -> Box<dyn Iterator<Item = (&'a DocumentSelector, &'a Stored)> + 'a> {
        let from =
            DocumentSelector { auid: auid.to_owned(), tree: Tree::Global, path: String::new() };
        let auid = auid.to_owned();
        Box::new(self.docs.range(from..).take_while(move |(k, _)| k.auid == auid))
    }
}

/// How an [`XcapServer`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The path of the XCAP root in request URIs (`/xcap-root`).
    pub root: String,
    /// The XCAP root as an absolute URI (`http://xcap.example.com/xcap-root`), for
    /// `<ancestor>` and xcap-diff.
    pub root_uri: String,
    /// The usages served.
    pub usages: Vec<Usage>,
    /// Limits for the XML of request bodies.
    pub parse: ParseConfig,
    /// Largest request body (a larger one gets 413).
    pub max_body: usize,
}

impl ServerConfig {
    /// A server at `root_uri` (its path is the root in request URIs) with every usage of
    /// this crate and bodies up to 1 MiB.
    pub fn new(root_uri: &str) -> Self {
        let root_uri = root_uri.trim_end_matches('/').to_owned();
        let root = root_uri
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
            .unwrap_or_default();
        let mut parse = ParseConfig::default();
        parse.max_input = 1 << 20;
        Self { root, root_uri, usages: Usage::all(), parse, max_body: 1 << 20 }
    }
}

/// What changed in a document, as the [`XcapServer`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The document.
    pub document: DocumentSelector,
    /// Its entity tag before (`None`: it was created).
    pub previous_etag: Option<String>,
    /// Its entity tag after (`None`: it was deleted).
    pub new_etag: Option<String>,
    /// The RFC 5261 operations turning the previous document into the new one, as XML text
    /// with the prefix `d` for the xcap-diff namespace (`<d:add sel="...">`, as RFC 5874 puts
    /// them in a `<d:document>`); unprefixed selector names are in the usage's namespace,
    /// other prefixes as [`Change::namespaces`] binds them. `None` when the document was
    /// created or deleted whole.
    pub patch: Option<String>,
    /// The prefixes the patch uses.
    pub namespaces: Vec<(String, String)>,
    /// The node a request changed (element or attribute operations): its selector and its
    /// new content, `None` when removed.
    pub node: Option<NodeChange>,
}

/// The node an element or attribute operation changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeChange {
    /// The node selector of the request.
    pub selector: String,
    /// Whether it is an attribute (else an element).
    pub attribute: bool,
    /// Its new content (an element's XML, an attribute's value), `None` when removed.
    pub content: Option<String>,
}

/// The XCAP server core.
#[derive(Debug)]
pub struct XcapServer<S: Storage = MemoryStorage> {
    config: ServerConfig,
    storage: S,
    seed: u64,
    counter: u64,
    changes: VecDeque<Change>,
}

type Answer = Response<Bytes>;

fn respond(status: StatusCode) -> Answer {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = status;
    r
}

fn with_body(status: StatusCode, mime: &str, body: Vec<u8>) -> Answer {
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(mime) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn conflict(c: &Conflict) -> Answer {
    with_body(StatusCode::CONFLICT, XCAP_ERROR_MIME, c.to_vec())
}

fn refuse(c: &Conflict) -> Box<Answer> {
    Box::new(conflict(c))
}

fn with_etag(mut r: Answer, etag: &str) -> Answer {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

fn not_allowed(allow: &'static str) -> Answer {
    let mut r = respond(StatusCode::METHOD_NOT_ALLOWED);
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// Whether an `If-Match` / `If-None-Match` list names `etag`.
fn names(list: &str, etag: Option<&str>) -> bool {
    let Some(etag) = etag else { return false };
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t).trim_matches('"') == etag)
}

impl<S: Storage> XcapServer<S> {
    /// A server; `seed` drives its entity tags.
    pub const fn new(config: ServerConfig, storage: S, seed: u64) -> Self {
        Self { config, storage, seed, counter: 0, changes: VecDeque::new() }
    }

    /// The configuration.
    pub const fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The storage.
    pub const fn storage(&self) -> &S {
        &self.storage
    }

    /// The storage, to load documents (keep their entity tags).
    pub const fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// The usage of an AUID.
    pub fn usage(&self, auid: &str) -> Option<&Usage> {
        self.config.usages.iter().find(|u| u.auid == auid)
    }

    /// The next change (after each [`XcapServer::handle`] that changed a document).
    pub fn poll_change(&mut self) -> Option<Change> {
        self.changes.pop_front()
    }

    fn next_etag(&mut self) -> String {
        self.counter += 1;
        let mut z = self.seed ^ self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        format!("{:016x}", z ^ (z >> 31))
    }

    /// Answers a request. `user` is the authenticated XUI (`sip:alice@example.com`), or
    /// `None` for an anonymous request: the caller does HTTP authentication.
    pub fn handle(&mut self, request: &Request<Bytes>, user: Option<&str>) -> Answer {
        let method = request.method();
        if method != Method::GET && method != Method::PUT && method != Method::DELETE {
            return not_allowed("GET, PUT, DELETE");
        }
        let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let uri = match XcapUri::parse(target, &self.config.root) {
            Ok(u) => u,
            Err(e) => {
                return respond(match e.kind() {
                    ErrorKind::UnboundPrefix
                    | ErrorKind::InvalidPercent
                    | ErrorKind::NotUtf8
                    | ErrorKind::InvalidQuery
                    | ErrorKind::NodeSelector(_) => StatusCode::BAD_REQUEST,
                    ErrorKind::TooLong => StatusCode::URI_TOO_LONG,
                    ErrorKind::NotUnderRoot
                    | ErrorKind::MissingAuid
                    | ErrorKind::MissingTree
                    | ErrorKind::MissingXui
                    | ErrorKind::MissingDocument
                    | ErrorKind::InvalidSegment
                    | ErrorKind::Xml(_)
                    | ErrorKind::UnexpectedRoot
                    | ErrorKind::MissingAttribute(_)
                    | ErrorKind::MissingElement(_)
                    | ErrorKind::InvalidValue(_) => StatusCode::NOT_FOUND,
                });
            }
        };
        let Some(usage) = self.usage(&uri.document.auid).cloned() else {
            return respond(StatusCode::NOT_FOUND);
        };
        // authorization (RFC 4825 §5.7): a user's own documents; the global tree read-only
        match (&uri.document.tree, user) {
            (Tree::User(_), None) => return respond(StatusCode::UNAUTHORIZED),
            (Tree::User(x), Some(u)) if x != u => return respond(StatusCode::FORBIDDEN),
            (Tree::Global, _) if method != Method::GET && !usage.global_writable => {
                return respond(StatusCode::FORBIDDEN);
            }
            (Tree::Global, None) if method != Method::GET => {
                return respond(StatusCode::UNAUTHORIZED);
            }
            _ => {}
        }
        let namespaces_sel =
            uri.node.as_ref().is_some_and(|n| n.terminal == Some(XcapTerminal::Namespaces));
        if namespaces_sel && method != Method::GET {
            return not_allowed("GET");
        }
        if usage.kind == Kind::XcapCaps {
            return self.caps(request, &uri);
        }
        if method == Method::GET {
            self.get(request, &uri, &usage)
        } else if method == Method::PUT {
            if request.body().len() > self.config.max_body {
                return respond(StatusCode::PAYLOAD_TOO_LARGE);
            }
            self.put(request, &uri, &usage)
        } else {
            self.delete(request, &uri, &usage)
        }
    }

    fn caps(&self, request: &Request<Bytes>, uri: &XcapUri) -> Answer {
        if uri.document.tree != Tree::Global || uri.document.path != "index" {
            return respond(StatusCode::NOT_FOUND);
        }
        let doc = caps::document(&self.config.usages);
        let etag = caps::etag(&doc);
        let stored = Stored { document: doc, etag };
        if let Err(r) = precondition(request, Some(&stored.etag)) {
            return *r;
        }
        read(&stored, uri, &Usage::xcap_caps())
    }

    fn get(&self, request: &Request<Bytes>, uri: &XcapUri, usage: &Usage) -> Answer {
        let Some(stored) = self.storage.get(&uri.document) else {
            return respond(StatusCode::NOT_FOUND);
        };
        if let Err(r) = precondition(request, Some(&stored.etag)) {
            return *r;
        }
        read(stored, uri, usage)
    }

    fn put(&mut self, request: &Request<Bytes>, uri: &XcapUri, usage: &Usage) -> Answer {
        let body = request.body();
        let ctype = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        let etag = self.storage.get(&uri.document).map(|s| s.etag.clone());
        if let Err(r) = precondition(request, etag.as_deref()) {
            return *r;
        }
        let Some(node) = &uri.node else {
            if ctype.as_deref() != Some(usage.mime.as_str()) {
                return respond(StatusCode::UNSUPPORTED_MEDIA_TYPE);
            }
            return self.put_document(uri, usage, body, etag);
        };
        let want = if matches!(node.terminal, Some(XcapTerminal::Attribute(_))) {
            XCAP_ATT_MIME
        } else {
            XCAP_EL_MIME
        };
        if ctype.as_deref() != Some(want) {
            return respond(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        }
        let Some(previous) = etag else {
            let ancestor = self.home(&uri.document);
            return conflict(&Conflict::NoParent {
                ancestor: Some(ancestor),
                phrase: Some("no such document".to_owned()),
            });
        };
        let new_etag = self.next_etag();
        let root_uri = self.config.root_uri.clone();
        let parse = self.config.parse.clone();
        let others = if usage.kind == Kind::RlsServices {
            self.service_uris(&uri.document)
        } else {
            HashSet::new()
        };
        let stored = self.storage.get_mut(&uri.document).expect("its etag was read above");
        let result = match &node.terminal {
            Some(XcapTerminal::Attribute(name)) => {
                put_attribute(&mut stored.document, uri, node, name, body, usage, &root_uri)
            }
            _ => put_element(&mut stored.document, uri, node, body, usage, &root_uri, &parse),
        };
        let edit = match result {
            Ok(edit) => match rls_unique(&stored.document, usage, &others) {
                Ok(()) => edit,
                Err(r) => {
                    if let Some(undo) = &edit.undo {
                        undo.apply(&mut stored.document);
                    }
                    return *r;
                }
            },
            Err(r) => return *r,
        };
        stored.etag.clone_from(&new_etag);
        let status = if edit.created { StatusCode::CREATED } else { StatusCode::OK };
        if let Some(old) = edit.finish {
            stored.document.remove(old);
        }
        if stored.document.garbage() > stored.document.capacity() / 2 {
            stored.document.compact();
        }
        self.changes.push_back(Change {
            document: uri.document.clone(),
            previous_etag: Some(previous),
            new_etag: Some(new_etag.clone()),
            patch: Some(edit.patch),
            namespaces: uri.namespaces.clone(),
            node: Some(edit.node),
        });
        with_etag(respond(status), &new_etag)
    }

    fn put_document(
        &mut self,
        uri: &XcapUri,
        usage: &Usage,
        body: &[u8],
        previous: Option<String>,
    ) -> Answer {
        let doc = match Document::parse_with(body, &self.config.parse) {
            Ok(d) => d,
            Err(e) => return conflict(&xml_conflict(&e, false)),
        };
        if let Err(c) = usage.check_document(&doc) {
            return conflict(&c);
        }
        if usage.kind == Kind::RlsServices {
            let others = self.service_uris(&uri.document);
            if let Err(r) = rls_unique(&doc, usage, &others) {
                return *r;
            }
        }
        let etag = self.next_etag();
        let patch = self.storage.get(&uri.document).map(|old| {
            let p = simple_patch::diff(&old.document, &doc);
            let pd = p.document();
            let ops: String = p
                .operations()
                .iter()
                .map(|op| in_diff_namespace(&pd.node_to_string(op.element)))
                .collect();
            let root = pd.root_element().expect("a diff has a root");
            let decls: Vec<(String, String)> = pd
                .element(root)
                .map(|e| {
                    e.namespace_decls()
                        .filter_map(|(p, u)| p.map(|p| (p.to_owned(), u.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            (ops, decls)
        });
        let (patch, namespaces) = match patch {
            Some((p, n)) => (Some(p), n),
            None => (None, Vec::new()),
        };
        let created = previous.is_none();
        self.storage.put(uri.document.clone(), Stored { document: doc, etag: etag.clone() });
        self.changes.push_back(Change {
            document: uri.document.clone(),
            previous_etag: previous,
            new_etag: Some(etag.clone()),
            patch,
            namespaces,
            node: None,
        });
        let status = if created { StatusCode::CREATED } else { StatusCode::OK };
        with_etag(respond(status), &etag)
    }

    fn delete(&mut self, request: &Request<Bytes>, uri: &XcapUri, usage: &Usage) -> Answer {
        let Some(etag) = self.storage.get(&uri.document).map(|s| s.etag.clone()) else {
            return respond(StatusCode::NOT_FOUND);
        };
        if let Err(r) = precondition(request, Some(&etag)) {
            return *r;
        }
        let Some(node) = &uri.node else {
            self.storage.remove(&uri.document);
            self.changes.push_back(Change {
                document: uri.document.clone(),
                previous_etag: Some(etag),
                new_etag: None,
                patch: None,
                namespaces: Vec::new(),
                node: None,
            });
            return respond(StatusCode::OK);
        };
        let new_etag = self.next_etag();
        let stored = self.storage.get_mut(&uri.document).expect("its etag was read above");
        let (patch, attribute) = match delete_node(&mut stored.document, uri, node, usage) {
            Ok(done) => done,
            Err(r) => return *r,
        };
        stored.etag.clone_from(&new_etag);
        self.changes.push_back(Change {
            document: uri.document.clone(),
            previous_etag: Some(etag),
            new_etag: Some(new_etag.clone()),
            patch: Some(patch),
            namespaces: uri.namespaces.clone(),
            node: Some(NodeChange { selector: node.to_string(), attribute, content: None }),
        });
        with_etag(respond(StatusCode::OK), &new_etag)
    }

    /// The URI of the user's (or the global) directory of a document.
    fn home(&self, doc: &DocumentSelector) -> String {
        let mut s = format!("{}/", self.config.root_uri);
        let d = DocumentSelector { path: "x".to_owned(), ..doc.clone() };
        s.push_str(d.encoded().trim_end_matches('x'));
        s
    }

    /// RLS service URIs of every rls-services document but `except`.
    fn service_uris(&self, except: &DocumentSelector) -> HashSet<String> {
        let mut out = HashSet::new();
        for (key, stored) in self.storage.documents(&except.auid) {
            if key == except {
                continue;
            }
            let d = &stored.document;
            if let Some(root) = d.root_element() {
                for s in d.child_elements(root) {
                    if let Some(u) = d.attribute(s, None, "uri") {
                        out.insert(u.to_owned());
                    }
                }
            }
        }
        out
    }
}

/// RFC 4826 §4.4.5: a service URI is unique across every user's rls-services documents.
fn rls_unique(doc: &Document, usage: &Usage, others: &HashSet<String>) -> Result<(), Box<Answer>> {
    if usage.kind != Kind::RlsServices || others.is_empty() {
        return Ok(());
    }
    let Some(root) = doc.root_element() else { return Ok(()) };
    let mut exists = Vec::new();
    for s in doc.child_elements(root) {
        if let Some(u) = doc.attribute(s, None, "uri") {
            if others.contains(u) {
                let taken: HashSet<&str> = others.iter().map(String::as_str).collect();
                exists.push(Exists {
                    field: "rls-services/service/@uri".to_owned(),
                    alt_values: alternative(u, &taken).into_iter().collect(),
                });
            }
        }
    }
    if exists.is_empty() {
        return Ok(());
    }
    Err(refuse(&Conflict::UniquenessFailure {
        exists,
        phrase: Some("service URI in use".to_owned()),
    }))
}

/// An RFC 5261 operation written by simple-patch's diff (`<add ...>...</add>`) with the
/// `d` prefix of the xcap-diff namespace, as [`Change::patch`] holds operations.
fn in_diff_namespace(op: &str) -> String {
    for name in ["add", "replace", "remove"] {
        let open = format!("<{name}");
        if let Some(rest) = op.strip_prefix(&open) {
            let close = format!("</{name}>");
            let body =
                rest.strip_suffix(&close).map_or(rest.to_owned(), |b| format!("{b}</d:{name}>"));
            return format!("<d:{name}{body}");
        }
    }
    op.to_owned()
}

/// Evaluates `If-Match` and `If-None-Match` against the document's entity tag.
fn precondition(request: &Request<Bytes>, etag: Option<&str>) -> Result<(), Box<Answer>> {
    let h = request.headers();
    if let Some(m) = h.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        if !names(m, etag) {
            return Err(Box::new(respond(StatusCode::PRECONDITION_FAILED)));
        }
    }
    if let Some(m) = h.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        if names(m, etag) {
            if request.method() == Method::GET {
                return Err(Box::new(with_etag(
                    respond(StatusCode::NOT_MODIFIED),
                    etag.unwrap_or(""),
                )));
            }
            return Err(Box::new(respond(StatusCode::PRECONDITION_FAILED)));
        }
    }
    Ok(())
}

/// GET of a document, element, attribute or namespace bindings (RFC 4825 §8.3).
fn read(stored: &Stored, uri: &XcapUri, usage: &Usage) -> Answer {
    let doc = &stored.document;
    let Some(node) = &uri.node else {
        return with_etag(with_body(StatusCode::OK, &usage.mime, doc.to_vec()), &stored.etag);
    };
    let ns = uri.selector_namespaces(&usage.namespace);
    let r = match node.select(doc, &ns) {
        Ok(Located::Node(el)) => {
            let mut out = Vec::new();
            doc.write_node(el, &mut out);
            with_body(StatusCode::OK, XCAP_EL_MIME, out)
        }
        Ok(Located::Attribute { element, index }) => {
            let e = doc.element(element).expect("attributes are on elements");
            // the AttValue form, quoted (RFC 4825 §13)
            let mut out = vec![b'"'];
            escape_attr(&e.attributes[index].value, &mut out);
            out.push(b'"');
            with_body(StatusCode::OK, XCAP_ATT_MIME, out)
        }
        Ok(Located::Namespaces(el)) => with_body(StatusCode::OK, XCAP_NS_MIME, bindings(doc, el)),
        _ => return respond(StatusCode::NOT_FOUND),
    };
    with_etag(r, &stored.etag)
}

/// RFC 4825 §10: the element's name with every namespace binding in scope.
fn bindings(doc: &Document, el: NodeId) -> Vec<u8> {
    let mut out = Vec::new();
    let name = doc.name(el).map(ToString::to_string).unwrap_or_default();
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    for (p, uri) in doc.in_scope_namespaces(el) {
        write_declaration(&mut out, p, uri);
    }
    out.extend_from_slice(b"/>");
    out
}

/// ` xmlns:p="uri"` (` xmlns="uri"` for the default namespace).
pub(crate) fn write_declaration(out: &mut Vec<u8>, prefix: Option<&str>, uri: &str) {
    match prefix {
        Some(p) => {
            out.extend_from_slice(b" xmlns:");
            out.extend_from_slice(p.as_bytes());
        }
        None => out.extend_from_slice(b" xmlns"),
    }
    out.extend_from_slice(b"=\"");
    escape_attr(uri, out);
    out.push(b'"');
}

fn xml_conflict(e: &simple_patch::Error, fragment: bool) -> Conflict {
    let phrase = Some(e.to_string());
    if e.kind() == simple_patch::ErrorKind::Xml(XmlErrorKind::InvalidEncoding) {
        Conflict::NotUtf8(phrase)
    } else if fragment {
        Conflict::NotXmlFrag(phrase)
    } else {
        Conflict::NotWellFormed(phrase)
    }
}

/// What a successful element or attribute PUT did, and how to take it back.
pub(crate) struct Edit {
    created: bool,
    patch: String,
    node: NodeChange,
    /// The replaced element, removed for good once the edit stands.
    finish: Option<NodeId>,
    undo: Option<Undo>,
}

enum Undo {
    /// Detach the inserted element.
    Inserted(NodeId),
    /// Put `old` back where `new` is.
    Replaced { old: NodeId, new: NodeId },
    /// Set the attribute back (`None`: remove it).
    Attribute { element: NodeId, name: QName, value: Option<Str> },
}

impl Undo {
    fn apply(&self, doc: &mut Document) {
        match self {
            Self::Inserted(n) => doc.detach(*n),
            Self::Replaced { old, new } => {
                doc.insert_before(*new, *old);
                doc.detach(*new);
            }
            Self::Attribute { element, name, value } => {
                if let Some(e) = doc.element_mut(*element) {
                    match value {
                        Some(v) => {
                            if let Some(a) = e.attributes.iter_mut().find(|a| a.name == *name) {
                                a.value.clone_from(v);
                            }
                        }
                        None => e.attributes.retain(|a| a.name != *name),
                    }
                }
            }
        }
    }
}

/// The closest existing ancestor of a selector that failed at `step`: its URI.
fn ancestor(root_uri: &str, uri: &XcapUri, node: &NodeSelector, step: usize) -> String {
    let mut a = uri.clone();
    if step == 0 {
        a.node = None;
    } else {
        a.node = Some(NodeSelector { steps: node.steps[..step].to_vec(), terminal: None });
    }
    format!("{root_uri}/{}", a.encoded())
}

fn no_parent(
    root_uri: &str,
    uri: &XcapUri,
    node: &NodeSelector,
    e: &simple_patch::Error,
) -> Box<Answer> {
    let step = if let simple_patch::Position::Step(s) = e.position() { s } else { 0 };
    refuse(&Conflict::NoParent {
        ancestor: Some(ancestor(root_uri, uri, node, step)),
        phrase: Some(e.to_string()),
    })
}

/// Applies an element or attribute PUT (`Some(body)`) or DELETE (`None`) to a document as
/// the server does (what a client does to its copy once the server said yes): whether it
/// created the node.
pub(crate) fn edit_node(
    doc: &mut Document,
    uri: &XcapUri,
    body: Option<&[u8]>,
    usage: &Usage,
    parse: &ParseConfig,
) -> Result<bool, Box<Answer>> {
    let node = uri.node.as_ref().ok_or_else(|| Box::new(respond(StatusCode::BAD_REQUEST)))?;
    let Some(body) = body else {
        return delete_node(doc, uri, node, usage).map(|_| false);
    };
    let edit = match &node.terminal {
        Some(XcapTerminal::Attribute(name)) => put_attribute(doc, uri, node, name, body, usage, ""),
        Some(XcapTerminal::Namespaces) => return Err(Box::new(not_allowed("GET"))),
        None => put_element(doc, uri, node, body, usage, "", parse),
    }?;
    if let Some(old) = edit.finish {
        doc.remove(old);
    }
    Ok(edit.created)
}

/// Removes the element or attribute `node` selects (RFC 4825 §8.4), checked and undone on
/// failure: the RFC 5261 operation that did it, and whether it was an attribute.
pub(crate) fn delete_node(
    doc: &mut Document,
    uri: &XcapUri,
    node: &NodeSelector,
    usage: &Usage,
) -> Result<(String, bool), Box<Answer>> {
    let ns = uri.selector_namespaces(&usage.namespace);
    match node.select(doc, &ns) {
        Ok(Located::Attribute { element, index }) => {
            let e = doc.element_mut(element).expect("attributes are on elements");
            let old = e.attributes.remove(index);
            let parent = doc.parent(element).unwrap_or(Document::ROOT);
            let undo = |doc: &mut Document| {
                if let Some(e) = doc.element_mut(element) {
                    e.attributes.insert(index, old.clone());
                }
            };
            if node.select(doc, &ns).is_ok() {
                undo(doc);
                return Err(refuse(&Conflict::CannotDelete(None)));
            }
            if let Err(c) = usage.check_change(doc, parent, Some(element)) {
                undo(doc);
                return Err(refuse(&c));
            }
            let sel = positional(doc, element);
            Ok((format!("<d:remove sel=\"{}/@{}\"/>", escape(&sel), old.name), true))
        }
        Ok(Located::Node(el)) => {
            let parent = doc.parent(el).unwrap_or(Document::ROOT);
            if parent == Document::ROOT {
                // the root element goes with its document
                return Err(refuse(&Conflict::SchemaValidation(Some(
                    "the root element cannot be deleted".to_owned(),
                ))));
            }
            let sel = positional(doc, el);
            let next = doc.next_sibling(el);
            doc.detach(el);
            let undo = |doc: &mut Document| match next {
                Some(n) => doc.insert_before(n, el),
                None => doc.append_child(parent, el),
            };
            if node.select(doc, &ns).is_ok() {
                undo(doc);
                return Err(refuse(&Conflict::CannotDelete(Some(
                    "the URI would select another element".to_owned(),
                ))));
            }
            if let Err(c) = usage.check_change(doc, parent, None) {
                undo(doc);
                return Err(refuse(&c));
            }
            doc.remove(el);
            Ok((format!("<d:remove sel=\"{}\"/>", escape(&sel)), false))
        }
        _ => Err(Box::new(respond(StatusCode::NOT_FOUND))),
    }
}

pub(crate) fn put_element(
    doc: &mut Document,
    uri: &XcapUri,
    node: &NodeSelector,
    body: &[u8],
    usage: &Usage,
    root_uri: &str,
    parse: &ParseConfig,
) -> Result<Edit, Box<Answer>> {
    let ns = uri.selector_namespaces(&usage.namespace);
    let last = node.steps.len() - 1;
    let target = node.select(doc, &ns);
    let (parent, existing) = match target {
        Ok(Located::Node(t)) => (doc.parent(t).unwrap_or(Document::ROOT), Some(t)),
        Ok(_) => return Err(refuse(&Conflict::CannotInsert(None))),
        Err(e) if e.position() == simple_patch::Position::Step(last) => {
            if e.kind() != simple_patch::ErrorKind::Select(SelectErrorKind::NoMatch) {
                return Err(refuse(&Conflict::CannotInsert(Some(e.to_string()))));
            }
            let parent_sel = NodeSelector { steps: node.steps[..last].to_vec(), terminal: None };
            if last == 0 {
                (Document::ROOT, None)
            } else {
                match parent_sel.select(doc, &ns) {
                    Ok(Located::Node(p)) => (p, None),
                    Ok(_) => return Err(refuse(&Conflict::CannotInsert(None))),
                    Err(e) => return Err(no_parent(root_uri, uri, node, &e)),
                }
            }
        }
        Err(e) => return Err(no_parent(root_uri, uri, node, &e)),
    };
    let new = fragment(doc, parent, body, parse)?;
    let created = existing.is_none();
    let mut model_kept = false;
    let undo = match existing {
        Some(old) => {
            doc.insert_before(old, new);
            model_kept = doc.name(old) == doc.name(new) && doc.namespace(old) == doc.namespace(new);
            doc.detach(old);
            Undo::Replaced { old, new }
        }
        None => {
            if parent == Document::ROOT {
                // a document has one root element, and it exists
                return Err(refuse(&Conflict::CannotInsert(Some(
                    "the document has a root element".to_owned(),
                ))));
            }
            if !insert(doc, parent, new, &node.steps[last]) {
                return Err(refuse(&Conflict::CannotInsert(Some("no such position".to_owned()))));
            }
            Undo::Inserted(new)
        }
    };
    // RFC 4825 §8.2.3/§8.2.4: a GET of the URI must now return what was put
    if node.select(doc, &ns) != Ok(Located::Node(new)) {
        undo.apply(doc);
        return Err(refuse(&Conflict::CannotInsert(Some(
            "the URI would not select the new element".to_owned(),
        ))));
    }
    if let Err(c) = usage.check_change_in(doc, parent, Some(new), model_kept) {
        undo.apply(doc);
        return Err(refuse(&c));
    }
    let content = standalone(doc, new, None);
    let inner = standalone(doc, new, Some(&usage.namespace));
    let patch = if created {
        let (sel, pos) = place(doc, new, parent);
        format!("<d:add sel=\"{}\"{pos}>{inner}</d:add>", escape(&sel))
    } else {
        format!("<d:replace sel=\"{}\">{inner}</d:replace>", escape(&positional(doc, new)))
    };
    Ok(Edit {
        created,
        patch,
        node: NodeChange { selector: node.to_string(), attribute: false, content: Some(content) },
        finish: if let Undo::Replaced { old, .. } = undo { Some(old) } else { None },
        undo: Some(undo),
    })
}

pub(crate) fn put_attribute(
    doc: &mut Document,
    uri: &XcapUri,
    node: &NodeSelector,
    name: &QName,
    body: &[u8],
    usage: &Usage,
    root_uri: &str,
) -> Result<Edit, Box<Answer>> {
    let Ok(text) = core::str::from_utf8(body) else {
        return Err(refuse(&Conflict::NotUtf8(None)));
    };
    let Some(value) = att_value(text) else {
        return Err(refuse(&Conflict::NotXmlAttValue(None)));
    };
    let ns = uri.selector_namespaces(&usage.namespace);
    let owner = NodeSelector { steps: node.steps.clone(), terminal: None };
    let element = match owner.select(doc, &ns) {
        Ok(Located::Node(e)) => e,
        Ok(_) => return Err(refuse(&Conflict::CannotInsert(None))),
        Err(e) => return Err(no_parent(root_uri, uri, node, &e)),
    };
    if name.prefix().is_some() && doc.attribute_namespace(element, name).is_none() {
        return Err(refuse(&Conflict::CannotInsert(Some(
            "the attribute's prefix is not declared in the document".to_owned(),
        ))));
    }
    let e = doc.element_mut(element).expect("selected nodes are elements");
    let previous = e.attributes.iter().find(|a| a.name == *name).map(|a| a.value.clone());
    let created = previous.is_none();
    doc.set_attribute(element, name.clone(), value.clone());
    let undo = Undo::Attribute { element, name: name.clone(), value: previous };
    if !matches!(node.select(doc, &ns), Ok(Located::Attribute { element: e, .. }) if e == element) {
        undo.apply(doc);
        return Err(refuse(&Conflict::CannotInsert(Some(
            "the URI would not select the attribute".to_owned(),
        ))));
    }
    let parent = doc.parent(element).unwrap_or(Document::ROOT);
    if let Err(c) = usage.check_change(doc, parent, Some(element)) {
        undo.apply(doc);
        return Err(refuse(&c));
    }
    let sel = positional(doc, element);
    let mut escaped = Vec::new();
    simple_patch::escape_text(&value, &mut escaped);
    let escaped = String::from_utf8(escaped).expect("escaping keeps UTF-8");
    let patch = if created {
        format!("<d:add sel=\"{}\" type=\"@{name}\">{escaped}</d:add>", escape(&sel))
    } else {
        format!("<d:replace sel=\"{}/@{name}\">{escaped}</d:replace>", escape(&sel))
    };
    Ok(Edit {
        created,
        patch,
        node: NodeChange { selector: node.to_string(), attribute: true, content: Some(value) },
        finish: None,
        undo: Some(undo),
    })
}

/// Parses an element PUT body in the context of `parent` (its in-scope prefixes bound):
/// exactly one element, which comes back detached in `doc`.
fn fragment(
    doc: &mut Document,
    parent: NodeId,
    body: &[u8],
    parse: &ParseConfig,
) -> Result<NodeId, Box<Answer>> {
    if core::str::from_utf8(body).is_err() {
        return Err(refuse(&Conflict::NotUtf8(None)));
    }
    let mut wrapped = Vec::with_capacity(body.len() + 128);
    wrapped.extend_from_slice(b"<xcap-fragment");
    for (p, uri) in doc.in_scope_namespaces(parent) {
        write_declaration(&mut wrapped, p, uri);
    }
    wrapped.push(b'>');
    wrapped.extend_from_slice(body);
    wrapped.extend_from_slice(b"</xcap-fragment>");
    let frag =
        Document::parse_with(&wrapped, parse).map_err(|e| refuse(&xml_conflict(&e, true)))?;
    let top = frag.root_element().expect("the wrapper parsed");
    let mut element = None;
    for c in frag.children(top) {
        match frag.kind(c) {
            NodeKind::Element(_) if element.is_none() => element = Some(c),
            NodeKind::Text(t) if simple_patch::is_xml_ws(t) => {}
            NodeKind::Document
            | NodeKind::Element(_)
            | NodeKind::Text(_)
            | NodeKind::Comment(_)
            | NodeKind::ProcessingInstruction { .. } => {
                return Err(refuse(&Conflict::NotXmlFrag(Some(
                    "the body must be one element".to_owned(),
                ))));
            }
        }
    }
    let element = element.ok_or_else(|| {
        refuse(&Conflict::NotXmlFrag(Some("the body holds no element".to_owned())))
    })?;
    Ok(doc.import(&frag, element))
}

/// Inserts `new` under `parent` where RFC 4825 §8.2.3 puts a new element for `step`.
fn insert(doc: &mut Document, parent: NodeId, new: NodeId, step: &simple_patch::XcapStep) -> bool {
    let elements: Vec<NodeId> = doc.child_elements(parent).filter(|&e| e != new).collect();
    let same: Vec<NodeId> = match &step.test {
        NameTest::Any => elements,
        NameTest::Name(_) => {
            // the new element's namespace is the one it has under `parent`
            doc.append_child(parent, new);
            let (ns, local) = (
                doc.namespace(new).map(str::to_owned),
                doc.name(new).map(|n| n.local().to_owned()),
            );
            doc.detach(new);
            elements
                .iter()
                .copied()
                .filter(|&e| {
                    doc.namespace(e).map(str::to_owned) == ns
                        && doc.name(e).map(|n| n.local()) == local.as_deref()
                })
                .collect()
        }
    };
    match step.position {
        None => match (&step.test, same.last()) {
            // "earliest last": right after the last element of the same name
            (NameTest::Name(_), Some(&l)) => doc.insert_after(l, new),
            _ => doc.append_child(parent, new),
        },
        Some(1) => match same.first() {
            Some(&f) => doc.insert_before(f, new),
            None => doc.append_child(parent, new),
        },
        Some(n) => {
            let Some(&prev) = usize::try_from(n - 2).ok().and_then(|i| same.get(i)) else {
                return false;
            };
            doc.insert_after(prev, new);
        }
    }
    true
}

/// An attribute PUT body as a value (RFC 4825 §8.2.2: the AttValue grammar, without the
/// quotes), references resolved.
fn att_value(text: &str) -> Option<String> {
    // RFC 4825 §13 sends the value quoted, as AttValue writes it; many clients send it bare
    let text = match text.as_bytes() {
        [q @ (b'"' | b'\''), .., l] if l == q && text.len() >= 2 => {
            let inner = &text[1..text.len() - 1];
            if inner.contains(char::from(*q)) {
                return None;
            }
            inner
        }
        _ => text,
    };
    if text.contains('<') || (text.contains('"') && text.contains('\'')) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after.find(';')?;
        let name = &after[..semi];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(h) = name.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()?
                } else {
                    name.strip_prefix('#')?.parse().ok()?
                };
                char::from_u32(code).filter(|&c| {
                    matches!(c, '\t' | '\n' | '\r')
                        || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
                })?
            }
        };
        out.push(c);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Where a new node is, as an RFC 5261 selector and `pos`: after its previous sibling
/// (element, text or comment, by position), or first in its parent.
fn place(doc: &Document, new: NodeId, parent: NodeId) -> (String, &'static str) {
    let Some(prev) = doc.prev_sibling(new) else {
        return (positional(doc, parent), " pos=\"prepend\"");
    };
    let nth = |test: fn(&NodeKind) -> bool| {
        doc.children(parent).take_while(|&c| c != new).filter(|&c| test(doc.kind(c))).count()
    };
    let step = match doc.kind(prev) {
        NodeKind::Element(_) => return (positional(doc, prev), " pos=\"after\""),
        NodeKind::Text(_) => format!("text()[{}]", nth(|k| matches!(k, NodeKind::Text(_)))),
        NodeKind::Comment(_) => {
            format!("comment()[{}]", nth(|k| matches!(k, NodeKind::Comment(_))))
        }
        NodeKind::ProcessingInstruction { .. } | NodeKind::Document => {
            return match doc.prev_sibling_element(new) {
                Some(p) => (positional(doc, p), " pos=\"after\""),
                None => (positional(doc, parent), " pos=\"prepend\""),
            };
        }
    };
    (format!("{}/{step}", positional(doc, parent)), " pos=\"after\"")
}

/// `*[2]/*[5]`: a selector of an element by position only, which locates it the same in
/// every namespace context (what xcap-diff patches carry).
fn positional(doc: &Document, el: NodeId) -> String {
    let mut parts = Vec::new();
    let mut at = el;
    while at != Document::ROOT {
        let Some(parent) = doc.parent(at) else { break };
        let index = doc.child_elements(parent).take_while(|&c| c != at).count() + 1;
        parts.push(format!("*[{index}]"));
        at = parent;
    }
    parts.reverse();
    parts.join("/")
}

fn escape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    escape_attr(s, &mut out);
    String::from_utf8(out).expect("escaping keeps UTF-8")
}

/// The element as XML that stands alone: every namespace in scope declared on it, but a
/// default namespace equal to `default` (which the context declares).
pub(crate) fn standalone(doc: &Document, el: NodeId, default: Option<&str>) -> String {
    let mut copy = Document::new();
    let top = copy.import(doc, el);
    copy.append_child(Document::ROOT, top);
    if let Some(parent) = doc.parent(el) {
        for (p, uri) in doc.in_scope_namespaces(parent) {
            if p.is_none() && default == Some(uri) {
                continue;
            }
            if copy.element(top).is_some_and(|e| e.declared_namespace(p).is_none()) {
                let name = match p {
                    Some(p) => QName::prefixed("xmlns", p),
                    None => QName::new("xmlns"),
                };
                copy.set_attribute(top, name, uri);
            }
        }
    }
    copy.node_to_string(top)
}

trait PrevElement {
    fn prev_sibling_element(&self, id: NodeId) -> Option<NodeId>;
}

impl PrevElement for Document {
    fn prev_sibling_element(&self, id: NodeId) -> Option<NodeId> {
        let mut at = self.prev_sibling(id);
        while let Some(p) = at {
            if self.is_element(p) {
                return Some(p);
            }
            at = self.prev_sibling(p);
        }
        None
    }
}
