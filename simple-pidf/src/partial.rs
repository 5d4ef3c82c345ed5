//! Partial PIDF (RFC 5262) and its use in partial notifications (RFC 5263 §4.4, §4.5).
//!
//! A notifier sends a `<pidf-full>` document first and `<pidf-diff>` patches after it, with a
//! version counter incremented by one per document; a watcher keeps a local copy, applies
//! patches in version order, ignores stale documents and asks for full state when one is
//! missing. Both sides' state ([`PresenceView`], [`PartialNotifier`]) can be saved and
//! restored (`restore`, and serde with the `serde` feature), so a server can persist a
//! subscription or hand it to another node.
//!
//! Both follow the shape of the crate family's state machines: inputs (`handle_*`), then
//! [`PartialNotifier::poll_transmit`] for the bodies to send and [`PresenceView::poll_event`]
//! for what happened. Neither has timers: the SIP subscription around them owns time.
//!
//! ```
//! use simple_pidf::{Basic, PartialNotifier, Presence, PresenceView, Tuple, Update};
//!
//! let mut pres = Presence::new("pres:someone@example.com");
//! for id in ["im", "voice", "video"] {
//!     pres.tuples.push(Tuple::new(id, Basic::Open));
//! }
//!
//! let mut notifier = PartialNotifier::new();
//! let mut view = PresenceView::new();
//! let mut body = Vec::new(); // the NOTIFY body, a buffer you reuse
//!
//! notifier.handle_presence(&pres);
//! notifier.poll_transmit(&mut body).expect("first state: <pidf-full>, version 1");
//! view.handle_body(&body)?;
//! assert_eq!(view.poll_event(), Some(Update::Replaced));
//!
//! pres.tuples[0].status.basic = Some(Basic::Closed);
//! notifier.handle_presence(&pres);
//! let full = body.len();
//! body.clear();
//! notifier.poll_transmit(&mut body).expect("a change: <pidf-diff> with one <replace>");
//! assert!(body.len() < full);
//! view.handle_body(&body)?;
//! // Update::Resync(_) here would mean: refresh the subscription to get full state
//! assert_eq!(view.poll_event(), Some(Update::Patched));
//! assert_eq!(view.presence(), Some(&pres));
//! assert_eq!(view.version(), Some(2));
//!
//! notifier.handle_presence(&pres); // no change: nothing to send
//! assert_eq!(notifier.poll_transmit(&mut body), None);
//! # Ok::<(), simple_pidf::Error>(())
//! ```

use std::collections::VecDeque;

use simple_patch::{Document, NodeId, Patch, QName};

use crate::error::{Error, ErrorKind};
use crate::model::{Component, Presence};
use crate::ns;
use crate::read::{self, Root};
use crate::write::{self, Ns, W};

/// The MIME type of partial PIDF documents.
pub const CONTENT_TYPE: &str = "application/pidf-diff+xml";

/// A parsed `application/pidf-diff+xml` body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PartialBody {
    /// `<pidf-full>`: the whole document.
    Full {
        /// The `version` attribute.
        version: Option<u32>,
        /// The document, as a `<presence>` tree (the root renamed) for later patches.
        document: Document,
        /// The document, typed.
        presence: Box<Presence>,
    },
    /// `<pidf-diff>`: changes to apply to the last full state.
    Diff {
        /// The `version` attribute.
        version: Option<u32>,
        /// The `entity` attribute.
        entity: Option<String>,
        /// The operations.
        patch: Patch,
    },
}

impl PartialBody {
    /// Parses a `<pidf-full>` or `<pidf-diff>` document.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        let mut doc = Document::parse(input)?;
        let root = doc
            .root_element()
            .expect("a parsed document has a root element (MissingRoot otherwise)");
        let version = match doc.attribute(root, None, "version") {
            None => None,
            Some(v) => Some(v.trim().parse::<u32>().map_err(|_| {
                Error::new(ErrorKind::InvalidValue("version"), read::path(&doc, root))
            })?),
        };
        let local = doc.name(root).expect("root_element is an element").local().to_owned();
        if doc.namespace(root) != Some(ns::PIDF_DIFF) {
            return Err(Error::new(ErrorKind::UnexpectedRoot, read::path(&doc, root)));
        }
        match local.as_str() {
            "pidf-full" => {
                let presence = read::presence(&doc, root, Root::PidfFull)?;
                to_presence_root(&mut doc, root);
                Ok(Self::Full { version, document: doc, presence: Box::new(presence) })
            }
            "pidf-diff" => {
                let entity = doc.attribute(root, None, "entity").map(str::to_owned);
                let patch = Patch::from_element(doc, root).map_err(patch_error)?;
                Ok(Self::Diff { version, entity, patch })
            }
            _ => Err(Error::new(ErrorKind::UnexpectedRoot, read::path(&doc, root))),
        }
    }
}

/// A pidf-diff that is not a valid patch, located at the operation at fault (or the diff).
fn patch_error(e: simple_patch::Error) -> Error {
    let kind = e.patch_kind().expect("Patch::from_element fails with patch conditions");
    let path = match e.operation() {
        Some(i) => format!("/pidf-diff/operation[{}]", i + 1),
        None => "/pidf-diff".to_owned(),
    };
    Error::new(ErrorKind::Patch(kind), path)
}

/// Renames a `<pidf-full>` root to PIDF's `<presence>` and drops its `version`, so that the
/// tree is the "local copy of the full presence document" patches address.
fn to_presence_root(doc: &mut Document, root: NodeId) {
    let prefix: Option<String> = if doc.lookup_namespace(root, None) == Some(ns::PIDF) {
        None
    } else if let Some((p, _)) =
        doc.in_scope_namespaces(root).into_iter().find(|(p, uri)| p.is_some() && *uri == ns::PIDF)
    {
        p.map(str::to_owned)
    } else {
        let mut p = "pidf".to_owned();
        while doc.lookup_namespace(root, Some(&p)).is_some() {
            p.push('_');
        }
        doc.set_attribute(root, QName::prefixed("xmlns", p.clone()), ns::PIDF);
        Some(p)
    };
    if let Some(e) = doc.element_mut(root) {
        e.name = match prefix {
            None => QName::new("presence"),
            Some(p) => QName::prefixed(p, "presence"),
        };
        e.attributes.retain(|a| !(a.name.prefix().is_none() && a.name.local() == "version"));
    }
}

/// What a body did to a [`PresenceView`]: its events, from [`PresenceView::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Update {
    /// Full state replaced the local copy.
    Replaced,
    /// A diff was applied.
    Patched,
    /// The document's version was not above the local one: a notifier fault, ignored
    /// (RFC 5263 §4.5).
    Stale,
    /// The body cannot be applied to the local copy, which is unchanged: notifications were
    /// lost or the notifier and the watcher disagree. Refresh the subscription to get full
    /// state (RFC 5263 §4.5).
    Resync(Resync),
}

/// Why a [`PresenceView`] needs full state again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resync {
    /// A diff's version does not follow the last one applied (RFC 5262 §4.4).
    VersionGap {
        /// The version that was expected.
        expected: u32,
        /// The version that arrived.
        got: u32,
    },
    /// A diff arrived before any full state.
    NoFullState,
    /// A diff's operation does not apply to the local copy.
    PatchFailed {
        /// The RFC 5261 §5.1 condition.
        kind: simple_patch::PatchErrorKind,
        /// The failing operation (0-based), if one is to blame.
        operation: Option<usize>,
    },
    /// The patched document would not be a valid presence document.
    Invalid(Error),
}

/// The watcher's side (RFC 5263 §4.5): the local copy of a presentity's document and the
/// version counter of one subscription.
///
/// Polling order: feed each NOTIFY body to [`PresenceView::handle_body`] (or a plain PIDF one
/// to [`PresenceView::handle_pidf`]), then drain [`PresenceView::poll_event`]: one
/// [`Update`] per body taken. An [`Update::Resync`] means the subscription must be refreshed;
/// an `Err` from `handle_*` means the body is malformed (no event then). No timers.
#[derive(Debug, Clone, Default)]
pub struct PresenceView {
    doc: Option<Document>,
    presence: Option<Presence>,
    version: Option<u32>,
    events: VecDeque<Update>,
}

impl PresenceView {
    /// A view with no state yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes an `application/pidf-diff+xml` body; [`PresenceView::poll_event`] says what it
    /// did: [`Update::Resync`] when notifications were lost or did not apply (the local copy is
    /// unchanged; refresh the subscription). An error means the body itself is malformed.
    pub fn handle_body(&mut self, body: &[u8]) -> Result<(), Error> {
        let update = self.apply(body)?;
        self.events.push_back(update);
        Ok(())
    }

    /// The next event: one per body taken.
    #[must_use = "an Update::Resync means the subscription must be refreshed"]
    pub fn poll_event(&mut self) -> Option<Update> {
        self.events.pop_front()
    }

    fn apply(&mut self, body: &[u8]) -> Result<Update, Error> {
        match PartialBody::parse(body)? {
            PartialBody::Full { version, document, presence } => {
                if let (Some(v), Some(local)) = (version, self.version) {
                    if v <= local {
                        return Ok(Update::Stale);
                    }
                }
                self.doc = Some(document);
                self.presence = Some(*presence);
                if version.is_some() {
                    self.version = version;
                }
                Ok(Update::Replaced)
            }
            PartialBody::Diff { version, patch, .. } => {
                let Some(doc) = &self.doc else {
                    return Ok(Update::Resync(Resync::NoFullState));
                };
                if let (Some(v), Some(local)) = (version, self.version) {
                    if v <= local {
                        return Ok(Update::Stale);
                    }
                    let expected = local.saturating_add(1);
                    if v != expected {
                        return Ok(Update::Resync(Resync::VersionGap { expected, got: v }));
                    }
                }
                // the one copy: the local one stays as it is should anything fail
                let next = match patch.apply_to_copy(doc) {
                    Ok(next) => next,
                    Err(e) => {
                        let kind =
                            e.patch_kind().expect("Patch::apply fails with patch conditions");
                        let failed = Resync::PatchFailed { kind, operation: e.operation() };
                        return Ok(Update::Resync(failed));
                    }
                };
                let presence = match Presence::from_document(&next) {
                    Ok(p) => p,
                    Err(e) => return Ok(Update::Resync(Resync::Invalid(e))),
                };
                self.doc = Some(next);
                self.presence = Some(presence);
                if version.is_some() {
                    self.version = version;
                }
                Ok(Update::Patched)
            }
        }
    }

    /// Takes a plain `application/pidf+xml` body: it replaces the local copy
    /// ([`Update::Replaced`]); the version counter is kept (RFC 5263 §4.5, a change of
    /// content type).
    pub fn handle_pidf(&mut self, body: &[u8]) -> Result<(), Error> {
        self.replace(body)?;
        self.events.push_back(Update::Replaced);
        Ok(())
    }

    fn replace(&mut self, body: &[u8]) -> Result<(), Error> {
        let doc = Document::parse(body)?;
        let presence = Presence::from_document(&doc)?;
        self.doc = Some(doc);
        self.presence = Some(presence);
        Ok(())
    }

    /// The current document, typed.
    pub const fn presence(&self) -> Option<&Presence> {
        self.presence.as_ref()
    }

    /// The current document as a tree (as read and patched).
    pub const fn document(&self) -> Option<&Document> {
        self.doc.as_ref()
    }

    /// The version of the last document applied.
    pub const fn version(&self) -> Option<u32> {
        self.version
    }

    /// A view holding `document` (a `<presence>` document, as [`PresenceView::document`]
    /// writes) at `version`: state saved elsewhere (the `serde` feature uses this).
    pub fn restore(document: Option<&[u8]>, version: Option<u32>) -> Result<Self, Error> {
        let mut view = Self { version, ..Self::default() };
        if let Some(xml) = document {
            view.replace(xml)?;
        }
        Ok(view)
    }
}

/// The notifier's side (RFC 5263 §4.4) for one subscription: numbers the documents and
/// sends differences from the last one sent.
///
/// Polling order: give it each new state of the presentity with
/// [`PartialNotifier::handle_presence`] (and [`PartialNotifier::resync`] when the watcher needs
/// full state: a refresh, a failed NOTIFY), then drain [`PartialNotifier::poll_transmit`]: the
/// body of the next NOTIFY, `<pidf-full>` or `<pidf-diff>`, if there is anything to tell.
/// States given before the body is taken fold into one. No timers.
#[derive(Debug, Clone, Default)]
pub struct PartialNotifier {
    last: Option<Document>,
    version: u32,
    pending: Option<Presence>,
}

impl PartialNotifier {
    /// A notifier that has sent nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The presentity's state now. A body follows from [`PartialNotifier::poll_transmit`] if
    /// it differs from what the watcher holds (always for the first state, and after
    /// [`PartialNotifier::resync`]).
    pub fn handle_presence(&mut self, presence: &Presence) {
        self.pending = self.has_changes(presence).then(|| presence.clone());
    }

    /// Appends the next body to send to `buf` and returns its length, or `None` when the
    /// watcher is up to date. Each body takes the next version number.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        let presence = self.pending.take()?;
        let body = self.notify(&presence);
        buf.extend_from_slice(&body);
        Some(body.len())
    }

    /// The version of the last document produced (0 before the first).
    pub const fn version(&self) -> u32 {
        self.version
    }

    /// The document last sent, as the watcher holds it (`None` before the first, or after
    /// [`resync`](Self::resync)).
    pub const fn last_sent(&self) -> Option<&Document> {
        self.last.as_ref()
    }

    /// A notifier that last sent `last` (as [`PartialNotifier::last_sent`] gives it) with
    /// `version`: state saved elsewhere (the `serde` feature uses this).
    pub fn restore(last: Option<&[u8]>, version: u32) -> Result<Self, Error> {
        Ok(Self { last: last.map(Document::parse).transpose()?, version, pending: None })
    }

    /// Forgets what was sent, so the next document is full state (after a SUBSCRIBE refresh,
    /// or a NOTIFY that failed or timed out): [`PartialNotifier::poll_transmit`] has the last
    /// state sent (or the newer one given since) as `<pidf-full>`. The version counter keeps
    /// counting.
    pub fn resync(&mut self) {
        if let Some(last) = self.last.take() {
            if self.pending.is_none() {
                let again =
                    Presence::from_document(&last).expect("the watcher copy we wrote reads");
                self.pending = Some(again);
            }
        }
    }

    /// The next body for `presence`, at once: `<pidf-full>` first or after
    /// [`resync`](Self::resync), otherwise a `<pidf-diff>` of the changes (or full state again
    /// when that is smaller). Each call increments the version, even when nothing changed (a
    /// NOTIFY that must go out anyway, e.g. answering a refresh); the polled form,
    /// [`PartialNotifier::handle_presence`] then [`PartialNotifier::poll_transmit`], sends
    /// nothing when nothing changed.
    pub fn notify(&mut self, presence: &Presence) -> Vec<u8> {
        self.version = self.version.wrapping_add(1);
        let full = full_body(presence, self.version);
        // What the watcher will hold: the full document with its root renamed, or the last
        // one patched to an equivalent of it.
        let current = watcher_copy(&full);
        let out = match &self.last {
            None => full,
            Some(last) => {
                let patch = simple_patch::diff(last, &current);
                let diff = diff_body(&patch, &presence.entity, self.version);
                if diff.len() < full.len() { diff } else { full }
            }
        };
        self.last = Some(current);
        out
    }

    /// Whether `presence` differs from the last document sent (true before the first).
    pub fn has_changes(&self, presence: &Presence) -> bool {
        self.last
            .as_ref()
            .is_none_or(|last| !last.equivalent(&watcher_copy(&full_body(presence, 0))))
    }
}

/// The tree a watcher holds after reading the `<pidf-full>` body [`full_body`] writes for
/// `presence`: the base a `<pidf-diff>` for it is computed against ([`simple_patch::diff`]
/// from one such tree to the next, written with [`diff_body`]). A notifier with many watchers
/// in the same state computes it once and shares the diff.
pub fn watcher_document(presence: &Presence) -> Document {
    watcher_copy(&full_body(presence, 0))
}

/// The tree a watcher holds after reading a `<pidf-full>` body we wrote.
fn watcher_copy(full: &[u8]) -> Document {
    let mut doc = Document::parse(full).expect("what full_body writes parses");
    let root = doc.root_element().expect("full_body writes a <pidf-full> root");
    to_presence_root(&mut doc, root);
    doc
}

/// A `<pidf-full>` body. Every namespace the model uses is declared on the root, so that the
/// root stays the same from one version to the next and diffs do not replace it.
pub fn full_body(presence: &Presence, version: u32) -> Vec<u8> {
    let mut w = W::new();
    w.declare_all = true;
    write::presence(presence, &mut w, (Ns::Diff, "pidf-full"), Some(version));
    w.finish()
}

/// A `<pidf-diff>` body carrying `patch`'s operations.
pub fn diff_body(patch: &Patch, entity: &str, version: u32) -> Vec<u8> {
    let mut doc = patch.document().clone();
    let root = patch.container();
    let declared: std::collections::HashSet<&str> = doc
        .descendants(Document::ROOT)
        .filter_map(|n| doc.element(n))
        .flat_map(|e| e.namespace_decls().filter_map(|(q, _)| q))
        .collect();
    let mut p = "p".to_owned();
    while declared.contains(p.as_str()) {
        p.push('d');
    }
    drop(declared);
    if let Some(e) = doc.element_mut(root) {
        e.name = QName::prefixed(p.clone(), "pidf-diff");
    }
    doc.set_attribute(root, QName::prefixed("xmlns", p.clone()), ns::PIDF_DIFF);
    doc.set_attribute(root, QName::new("entity"), entity);
    doc.set_attribute(root, QName::new("version"), version.to_string());
    for op in patch.operations() {
        if let Some(e) = doc.element_mut(op.element) {
            let local = e.name.local().to_owned();
            e.name = QName::prefixed(p.clone(), local);
        }
    }
    doc.to_vec()
}

/// A `<pidf-diff>` from `old` to `new` built from the model, at a cost that follows the size
/// of the change rather than of the document: a `<replace>` per tuple, person or device whose
/// content changed (matched by `id`), a `<remove>` per tuple gone, one `<add>` for tuples that
/// are new after the others. `None` when the change is not of that shape (another entity,
/// root notes or attributes changed, tuples reordered, persons or devices added, removed or
/// reordered, ids that cannot be quoted): send full state then (or diff the trees with
/// [`simple_patch::diff`]).
///
/// Applied to the watcher's copy of `old` (as [`full_body`] wrote it), the result reads as
/// `new`.
pub fn model_diff(old: &Presence, new: &Presence, version: u32) -> Option<Vec<u8>> {
    if old.entity != new.entity || old.attributes != new.attributes || old.notes != new.notes {
        return None;
    }
    let quotable = |id: &str| !id.contains('\'');
    // components: the same ones in the same order; content may change
    if old.components.len() != new.components.len() {
        return None;
    }
    let mut replaced_components = Vec::new();
    for (a, b) in old.components.iter().zip(&new.components) {
        match (a, b) {
            (Component::Person(x), Component::Person(y)) if x.id == y.id && quotable(&y.id) => {
                if x != y {
                    replaced_components.push(b);
                }
            }
            (Component::Device(x), Component::Device(y)) if x.id == y.id && quotable(&y.id) => {
                if x != y {
                    replaced_components.push(b);
                }
            }
            (Component::Other(x), Component::Other(y)) if x == y => {}
            _ => return None,
        }
    }
    // the common case: the same tuples in the same order, some of them changed
    let same_ids = old.tuples.len() == new.tuples.len()
        && old.tuples.iter().zip(&new.tuples).all(|(a, b)| a.id == b.id && quotable(&b.id));
    if same_ids {
        let mut w = W::new();
        w.declare_all = true;
        w.start(Ns::Diff, "pidf-diff");
        w.attr("entity", &new.entity);
        w.attr("version", &version.to_string());
        for (a, b) in old.tuples.iter().zip(&new.tuples) {
            if a != b {
                w.start(Ns::Diff, "replace");
                w.attr("sel", &format!("*/tuple[@id='{}']", b.id));
                write::tuple(b, &mut w);
                w.end();
            }
        }
        replace_components(&replaced_components, &mut w);
        return Some(w.finish());
    }
    // tuples: those kept stay in order; new ones follow them
    let old_ids: std::collections::HashMap<&str, usize> =
        old.tuples.iter().enumerate().map(|(i, t)| (t.id.as_str(), i)).collect();
    let new_ids: std::collections::HashSet<&str> =
        new.tuples.iter().map(|t| t.id.as_str()).collect();
    if old_ids.len() != old.tuples.len() || new_ids.len() != new.tuples.len() {
        return None; // duplicate ids: no selector names one
    }
    let mut last_kept: Option<usize> = None;
    let mut seen_added = false;
    for t in &new.tuples {
        match old_ids.get(t.id.as_str()) {
            Some(&i) => {
                if seen_added || last_kept.is_some_and(|k| i < k) {
                    return None;
                }
                last_kept = Some(i);
            }
            None => seen_added = true,
        }
        if !quotable(&t.id) {
            return None;
        }
    }
    let mut w = W::new();
    w.declare_all = true;
    w.start(Ns::Diff, "pidf-diff");
    w.attr("entity", &new.entity);
    w.attr("version", &version.to_string());
    for t in &old.tuples {
        if !new_ids.contains(t.id.as_str()) {
            if !quotable(&t.id) {
                return None;
            }
            w.start(Ns::Diff, "remove");
            w.attr("sel", &format!("*/tuple[@id='{}']", t.id));
            w.end();
        }
    }
    for t in &new.tuples {
        if let Some(&i) = old_ids.get(t.id.as_str()) {
            if old.tuples[i] != *t {
                w.start(Ns::Diff, "replace");
                w.attr("sel", &format!("*/tuple[@id='{}']", t.id));
                write::tuple(t, &mut w);
                w.end();
            }
        }
    }
    let added: Vec<&crate::model::Tuple> =
        new.tuples.iter().filter(|t| !old_ids.contains_key(t.id.as_str())).collect();
    if !added.is_empty() {
        let last = last_kept.map(|i| &old.tuples[i]);
        w.start(Ns::Diff, "add");
        match (last, old.notes.first(), old.components.first()) {
            (Some(t), _, _) => {
                w.attr("sel", &format!("*/tuple[@id='{}']", t.id));
                w.attr("pos", "after");
            }
            (None, Some(_), _) => {
                w.attr("sel", "*/note[1]");
                w.attr("pos", "before");
            }
            (None, None, Some(Component::Person(p))) => {
                w.attr("sel", &format!("*/dm:person[@id='{}']", p.id));
                w.attr("pos", "before");
            }
            (None, None, Some(Component::Device(d))) => {
                w.attr("sel", &format!("*/dm:device[@id='{}']", d.id));
                w.attr("pos", "before");
            }
            (None, None, Some(Component::Other(_))) => return None,
            (None, None, None) => w.attr("sel", "*"),
        }
        for t in added {
            write::tuple(t, &mut w);
        }
        w.end();
    }
    replace_components(&replaced_components, &mut w);
    Some(w.finish())
}

/// `<replace>` operations for the persons and devices whose content changed.
fn replace_components(components: &[&Component], w: &mut W) {
    for c in components {
        match c {
            Component::Person(p) => {
                w.start(Ns::Diff, "replace");
                w.attr("sel", &format!("*/dm:person[@id='{}']", p.id));
                write::person(p, w);
                w.end();
            }
            Component::Device(d) => {
                w.start(Ns::Diff, "replace");
                w.attr("sel", &format!("*/dm:device[@id='{}']", d.id));
                write::device(d, w);
                w.end();
            }
            // model_diff only lists persons and devices
            Component::Other(_) => {}
        }
    }
}
