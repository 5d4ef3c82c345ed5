//! The `xcap-diff` event package (RFC 5875) on simple-sip's event framework: a SUBSCRIBE
//! names XCAP documents, collections and components in a resource-lists body, and the
//! NOTIFYs carry xcap-diff documents (RFC 5874) built from the [`XcapServer`]'s
//! [`Change`]s, in the `diff-processing` mode the subscriber asked for.
//!
//! The package owns the XCAP server, so that HTTP and SIP see one set of documents: answer
//! HTTP with [`XcapDiffPackage::server_mut`], then hand each [`Change`] to
//! [`XcapDiffPackage::record`] and tell the notifier about the subscriptions it returns.
//!
//! ```
//! use std::time::Instant;
//! use simple_sip::endpoint::{Endpoint, EndpointConfig};
//! use simple_sip::event::Notifier;
//! use simple_xcap::{MemoryStorage, ServerConfig, XcapDiffPackage, XcapServer};
//!
//! let server = XcapServer::new(ServerConfig::new("http://xcap.example.com/"), MemoryStorage::new(), 1);
//! let package = XcapDiffPackage::new(server);
//! let config = XcapDiffPackage::<MemoryStorage>::notifier_config("<sip:xcap@127.0.0.1:5060>");
//! let mut notifier = Notifier::new(config, package);
//! let mut ep = Endpoint::new(EndpointConfig::new("127.0.0.1:5060"), 2);
//! let now = Instant::now();
//! // an HTTP request changed a document: every subscription it concerns gets a NOTIFY
//! while let Some(change) = notifier.package_mut().server_mut().poll_change() {
//!     for sub in notifier.package_mut().record(&change) {
//!         notifier.notify(&mut ep, sub, now);
//!     }
//! }
//! ```

use core::time::Duration;
use std::collections::{HashMap, HashSet};

use simple_patch::{Document, Located, ParseConfig, XcapTerminal};
use simple_sip::event::{BodyRequest, EventPackage, NotifierConfig, NotifierSub, SubscribeRequest};

use crate::diff::{DiffEntry, DiffProcessing, XCAP_DIFF_MIME, XcapDiff};
use crate::schema::RESOURCE_LISTS_NS;
use crate::server::{Change, MemoryStorage, Storage, XcapServer};
use crate::uri::{DocumentSelector, Tree, XcapUri, decode};
use crate::usage::RESOURCE_LISTS_MIME;

/// The event package name, `xcap-diff`.
pub const XCAP_DIFF_EVENT: &str = "xcap-diff";

/// Limits of an [`XcapDiffPackage`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PackageConfig {
    /// Most URIs in one subscription's list (more get 400).
    pub max_uris: usize,
    /// Most changes kept for one subscription between two NOTIFYs; past that, further
    /// changes to a document are merged into its last entry without a patch (the
    /// `no-patching` fallback of RFC 5875 §4.7), so a slow subscriber costs at most one
    /// entry per document it watches.
    pub max_pending: usize,
    /// Limits for the XML of SUBSCRIBE bodies.
    pub parse: ParseConfig,
}

impl Default for PackageConfig {
    /// 1000 URIs, 1000 pending changes, bodies up to 256 KiB.
    fn default() -> Self {
        let mut parse = ParseConfig::default();
        parse.max_input = 256 << 10;
        Self { max_uris: 1000, max_pending: 1000, parse }
    }
}

/// One URI of a subscription's list.
#[derive(Debug, Clone)]
enum Selection {
    /// A document: `sel` as the list wrote it.
    Document { sel: String, doc: DocumentSelector },
    /// A collection (`auid/`, `auid/users/`, `auid/users/<xui>/`, ...): the documents of
    /// `auid` whose tree and path (decoded) start with `prefix`.
    Collection { auid: String, prefix: String },
    /// An element or attribute, with what the last NOTIFY said of it (`None`: absent).
    Component { sel: String, uri: XcapUri, attribute: bool, reported: Option<String> },
}

impl Selection {
    /// Whether document-level entries for `doc` belong in this subscription's NOTIFYs.
    fn covers(&self, doc: &DocumentSelector) -> bool {
        match self {
            Self::Document { doc: d, .. } => d == doc,
            Self::Collection { auid, prefix } => {
                doc.auid == *auid && tree_path(doc).starts_with(prefix.as_str())
            }
            Self::Component { .. } => false,
        }
    }
}

/// `users/<xui>/<path>` or `global/<path>`, decoded.
fn tree_path(doc: &DocumentSelector) -> String {
    match &doc.tree {
        Tree::User(x) => format!("users/{x}/{}", doc.path),
        Tree::Global => format!("global/{}", doc.path),
    }
}

/// What one subscription watches and what it has not been told yet.
#[derive(Debug, Clone)]
struct Watch {
    watcher: String,
    mode: DiffProcessing,
    selections: Vec<Selection>,
    pending: Vec<Change>,
}

impl Watch {
    fn covers(&self, doc: &DocumentSelector) -> bool {
        readable(doc, &self.watcher) && self.selections.iter().any(|s| s.covers(doc))
    }
}

/// RFC 4825 §5.7 read privileges: a user's own documents and the global tree.
fn readable(doc: &DocumentSelector, watcher: &str) -> bool {
    match &doc.tree {
        Tree::User(x) => x == watcher,
        Tree::Global => true,
    }
}

/// The `xcap-diff` event package: subscriptions to XCAP resources of the server it owns.
#[derive(Debug)]
pub struct XcapDiffPackage<S: Storage = MemoryStorage> {
    server: XcapServer<S>,
    config: PackageConfig,
    watches: HashMap<NotifierSub, Watch>,
}

impl<S: Storage> XcapDiffPackage<S> {
    /// A package serving the documents of `server`, with default limits.
    pub fn new(server: XcapServer<S>) -> Self {
        Self::with_config(server, PackageConfig::default())
    }

    /// A package with `config`.
    pub fn with_config(server: XcapServer<S>, config: PackageConfig) -> Self {
        Self { server, config, watches: HashMap::new() }
    }

    /// Notifier settings for this package: Contact `contact`, at most one NOTIFY per
    /// subscription per 5 s (RFC 5875 §4.10).
    pub fn notifier_config(contact: &str) -> NotifierConfig {
        let mut config = NotifierConfig::new(contact);
        config.min_interval = Duration::from_secs(5);
        config
    }

    /// The XCAP server.
    pub const fn server(&self) -> &XcapServer<S> {
        &self.server
    }

    /// The XCAP server, to answer HTTP requests (then [`XcapDiffPackage::record`] its
    /// changes).
    pub const fn server_mut(&mut self) -> &mut XcapServer<S> {
        &mut self.server
    }

    /// Subscriptions with a URI list.
    pub fn len(&self) -> usize {
        self.watches.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.watches.is_empty()
    }

    /// Takes a change of the server's: it is kept for every subscription it concerns (a
    /// watched document or collection, or a watched component whose content it changed),
    /// and those subscriptions are returned, for [`Notifier::notify`].
    ///
    /// [`Notifier::notify`]: simple_sip::event::Notifier::notify
    pub fn record(&mut self, change: &Change) -> Vec<NotifierSub> {
        let mut due = Vec::new();
        let max_pending = self.config.max_pending;
        for (sub, w) in &mut self.watches {
            let relevant = if w.covers(&change.document) {
                push_pending(&mut w.pending, change, max_pending);
                true
            } else {
                w.selections.iter().any(|s| match s {
                    Selection::Component { uri, reported, .. } => {
                        uri.document == change.document
                            && component(&self.server, uri, &w.watcher) != *reported
                    }
                    Selection::Document { .. } | Selection::Collection { .. } => false,
                })
            };
            if relevant {
                due.push(*sub);
            }
        }
        due.sort_unstable();
        due
    }

    /// Reads a SUBSCRIBE body: the entries' URIs (RFC 5875 §4.4), resolved against the XCAP
    /// root. URIs that are not XCAP resources of this server, and namespace selections,
    /// are ignored.
    fn selections(&self, body: &[u8]) -> Result<Vec<Selection>, (u16, &'static str)> {
        let doc =
            Document::parse_with(body, &self.config.parse).map_err(|_| (400, "Bad URI List"))?;
        let root = doc.root_element().ok_or((400, "Bad URI List"))?;
        if doc.name(root).map(|n| n.local()) != Some("resource-lists")
            || doc.namespace(root) != Some(RESOURCE_LISTS_NS)
        {
            return Err((400, "Bad URI List"));
        }
        let mut out = Vec::new();
        // depth first, in document order: children go on the stack last first
        let mut stack: Vec<_> = doc.children(root).collect();
        stack.reverse();
        while let Some(node) = stack.pop() {
            if doc.namespace(node) != Some(RESOURCE_LISTS_NS) {
                continue; // text, or not understood: ignored (§4.4)
            }
            match doc.name(node).map(|n| n.local()) {
                Some("list") => {
                    let at = stack.len();
                    stack.extend(doc.children(node));
                    stack[at..].reverse();
                }
                Some("entry") => {
                    if let Some(uri) = doc.attribute(node, None, "uri") {
                        if out.len() == self.config.max_uris {
                            return Err((400, "Too Many URIs"));
                        }
                        if let Some(s) = self.selection(uri) {
                            out.push(s);
                        }
                    }
                }
                Some(_) | None => {}
            }
        }
        Ok(out)
    }

    /// One entry's URI as a selection.
    fn selection(&self, uri: &str) -> Option<Selection> {
        let config = self.server.config();
        let rel = if uri.contains("://") {
            uri.strip_prefix(config.root_uri.as_str())?.strip_prefix('/')?
        } else if uri.starts_with('/') {
            uri.strip_prefix(config.root.as_str())?.strip_prefix('/')?
        } else {
            uri
        };
        if rel.ends_with('/') && !rel.contains("~~") {
            let decoded = decode(rel, 0).ok()?;
            let (auid, prefix) = decoded.split_once('/')?;
            self.server.usage(auid)?;
            return Some(Selection::Collection {
                auid: auid.to_owned(),
                prefix: prefix.to_owned(),
            });
        }
        let parsed = XcapUri::parse_relative(rel).ok()?;
        self.server.usage(&parsed.document.auid)?;
        let Some(node) = &parsed.node else {
            return Some(Selection::Document { sel: uri.to_owned(), doc: parsed.document });
        };
        let attribute = match node.terminal {
            None => false,
            Some(XcapTerminal::Attribute(_)) => true,
            // §4.1: not subscribable
            Some(XcapTerminal::Namespaces) => return None,
        };
        Some(Selection::Component { sel: uri.to_owned(), uri: parsed, attribute, reported: None })
    }

    /// The full state of a subscription: every watched document it may read, with its
    /// entity tag, and every watched component that exists (§4.7).
    fn full(&mut self, sub: NotifierSub, out: &mut XcapDiff) {
        let Some(w) = self.watches.get_mut(&sub) else { return };
        w.pending.clear();
        let storage = self.server.storage();
        let mut listed: HashSet<DocumentSelector> = HashSet::new();
        for s in &mut w.selections {
            match s {
                Selection::Document { sel, doc } => {
                    if let Some(stored) = storage.get(doc).filter(|_| readable(doc, &w.watcher)) {
                        if listed.insert(doc.clone()) {
                            out.entries.push(document_entry(sel.clone(), &stored.etag));
                        }
                    }
                }
                Selection::Collection { auid, .. } => {
                    for (doc, stored) in storage.documents(auid) {
                        if s.covers(doc) && readable(doc, &w.watcher) && listed.insert(doc.clone())
                        {
                            out.entries.push(document_entry(doc.encoded(), &stored.etag));
                        }
                    }
                }
                Selection::Component { sel, uri, attribute, reported } => {
                    *reported = component(&self.server, uri, &w.watcher);
                    if let Some(content) = reported {
                        out.entries.push(component_entry(sel, *attribute, Some(content.clone())));
                    }
                }
            }
        }
    }

    /// What changed since the last NOTIFY: the pending document changes in order, in the
    /// subscription's mode, then the components whose existence or content changed.
    fn partial(&mut self, sub: NotifierSub, out: &mut XcapDiff) {
        let Some(w) = self.watches.get_mut(&sub) else { return };
        for change in w.pending.drain(..) {
            let ns = self.server.usage(&change.document.auid).map_or("", |u| u.namespace.as_str());
            // §4.6: a document's `sel` is the URI as the list wrote it; in a collection, the
            // document's own
            let sel = w
                .selections
                .iter()
                .find_map(|s| match s {
                    Selection::Document { sel, doc } if *doc == change.document => {
                        Some(sel.clone())
                    }
                    Selection::Document { .. }
                    | Selection::Collection { .. }
                    | Selection::Component { .. } => None,
                })
                .unwrap_or_else(|| change.document.encoded());
            out.push_change_as(sel, &change, ns, w.mode);
        }
        for s in &mut w.selections {
            let Selection::Component { sel, uri, attribute, reported } = s else { continue };
            let now = component(&self.server, uri, &w.watcher);
            if now == *reported {
                continue;
            }
            out.entries.push(component_entry(sel, *attribute, now.clone()));
            *reported = now;
        }
    }
}

/// Keeps `change` for a subscription; past `max` entries it is merged, without a patch,
/// into the last entry of its document that it follows.
fn push_pending(pending: &mut Vec<Change>, change: &Change, max: usize) {
    if pending.len() >= max {
        if let Some(last) = pending.iter_mut().rev().find(|c| c.document == change.document) {
            if last.new_etag.is_some() && last.new_etag == change.previous_etag {
                last.new_etag.clone_from(&change.new_etag);
                last.patch = None;
                last.node = None;
                return;
            }
        }
    }
    pending.push(change.clone());
}

fn document_entry(sel: String, etag: &str) -> DiffEntry {
    DiffEntry::Document {
        sel,
        previous_etag: None,
        new_etag: Some(etag.to_owned()),
        body_not_changed: false,
        patch: None,
        namespaces: Vec::new(),
    }
}

fn component_entry(sel: &str, attribute: bool, content: Option<String>) -> DiffEntry {
    let exists = if content.is_some() { None } else { Some(false) };
    if attribute {
        DiffEntry::Attribute { sel: sel.to_owned(), exists, value: content }
    } else {
        DiffEntry::Element { sel: sel.to_owned(), exists, content }
    }
}

/// A component's content as `watcher` may read it: the element as XML, the attribute's
/// value; `None` when it does not exist (or may not be read).
fn component<S: Storage>(server: &XcapServer<S>, uri: &XcapUri, watcher: &str) -> Option<String> {
    if !readable(&uri.document, watcher) {
        return None;
    }
    let stored = server.storage().get(&uri.document)?;
    let usage = server.usage(&uri.document.auid)?;
    let node = uri.node.as_ref()?;
    let doc = &stored.document;
    match node.select(doc, &uri.selector_namespaces(&usage.namespace)).ok()? {
        Located::Node(el) => {
            let mut out = Vec::new();
            doc.write_node(el, &mut out);
            String::from_utf8(out).ok()
        }
        Located::Attribute { element, index } => {
            Some(doc.element(element)?.attributes.get(index)?.value.to_string())
        }
        Located::Namespaces(_) | Located::Namespace { .. } => None,
    }
}

impl<S: Storage> EventPackage for XcapDiffPackage<S> {
    fn name(&self) -> &str {
        XCAP_DIFF_EVENT
    }

    fn content_types(&self) -> &[&str] {
        &[XCAP_DIFF_MIME]
    }

    fn subscribing(&mut self, request: &SubscribeRequest<'_>) -> Result<(), (u16, &'static str)> {
        // §4.3: no parameter, or one we do not know, means no-patching
        let mode = request
            .event
            .params
            .get("diff-processing")
            .and_then(DiffProcessing::parse)
            .unwrap_or(DiffProcessing::NoPatching);
        if request.body.is_empty() {
            // a refresh keeps its list (§4.4); an initial SUBSCRIBE must have one
            return match self.watches.get_mut(&request.sub) {
                Some(w) if request.refresh => {
                    w.mode = mode;
                    Ok(())
                }
                Some(_) | None => Err((400, "Missing URI List")),
            };
        }
        if !request.content_type.is_some_and(|t| t.eq_ignore_ascii_case(RESOURCE_LISTS_MIME)) {
            return Err((415, "Unsupported Media Type"));
        }
        let selections = self.selections(request.body)?;
        self.watches.insert(
            request.sub,
            Watch { watcher: request.watcher.to_owned(), mode, selections, pending: Vec::new() },
        );
        Ok(())
    }

    fn body(&mut self, request: &BodyRequest<'_>, out: &mut Vec<u8>) -> Option<String> {
        let mut diff = XcapDiff::new(&format!("{}/", self.server.config().root_uri));
        if request.full {
            self.full(request.sub, &mut diff);
        } else {
            self.partial(request.sub, &mut diff);
        }
        diff.write(out);
        Some(XCAP_DIFF_MIME.to_owned())
    }

    fn ended(&mut self, sub: NotifierSub) {
        self.watches.remove(&sub);
    }
}
