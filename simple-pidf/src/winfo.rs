//! Watcher information (RFC 3858): the `application/watcherinfo+xml` document a
//! `presence.winfo` subscription (RFC 3857) carries, its reader and writer, and the
//! subscriber's merged view of full and partial documents ([`WinfoView`]).
//!
//! ```
//! use simple_pidf::winfo::{Watcher, WatcherEvent, WatcherInfo, WatcherList, WatcherStatus, WinfoView};
//!
//! let mut full = WatcherInfo::full(0);
//! let mut list = WatcherList::new("sip:professor@example.net", "presence");
//! list.watchers.push(Watcher::new("8ajksjda7s", "sip:userA@example.net", WatcherStatus::Pending, WatcherEvent::Subscribe));
//! full.lists.push(list);
//! let xml = full.to_vec();
//! assert_eq!(WatcherInfo::parse(&xml)?, full);
//!
//! // a partial document names only what changed; the view merges it by watcher id
//! let mut view = WinfoView::new();
//! assert!(view.apply(&WatcherInfo::parse(&xml)?));
//! let partial = br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="1" state="partial">
//!   <watcher-list resource="sip:professor@example.net" package="presence">
//!     <watcher id="8ajksjda7s" status="active" event="approved">sip:userA@example.net</watcher>
//!   </watcher-list></watcherinfo>"#;
//! assert!(view.apply(&WatcherInfo::parse(partial)?));
//! let w = &view.lists()[0].watchers[0];
//! assert_eq!((w.status, w.event), (WatcherStatus::Active, WatcherEvent::Approved));
//! # Ok::<(), simple_pidf::Error>(())
//! ```

use simple_patch::{Document, NodeId};

use crate::error::{Error, ErrorKind};
use crate::read::path;

/// The namespace of watcherinfo documents.
pub const NS: &str = "urn:ietf:params:xml:ns:watcherinfo";

/// The MIME type of watcherinfo documents.
pub const CONTENT_TYPE: &str = "application/watcherinfo+xml";

/// Whether a document has every watcher or only the changed ones (RFC 3858 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Every watcher.
    Full,
    /// Only the watchers that changed since the previous document.
    Partial,
}

/// A watcher's subscription state (RFC 3857 §3.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherStatus {
    /// Waiting for authorization.
    Pending,
    /// Authorized.
    Active,
    /// Refused, and remembered for a while so a later decision can still reach it.
    Waiting,
    /// Ended.
    Terminated,
}

impl WatcherStatus {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Waiting => "waiting",
            Self::Terminated => "terminated",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "active" => Self::Active,
            "waiting" => Self::Waiting,
            "terminated" => Self::Terminated,
            _ => return None,
        })
    }
}

/// What moved a watcher into its state (RFC 3857 §3.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherEvent {
    /// A new subscription.
    Subscribe,
    /// Authorized.
    Approved,
    /// The subscription was ended to be moved (`deactivated`).
    Deactivated,
    /// Ended, may come back later.
    Probation,
    /// Refused.
    Rejected,
    /// Expired.
    Timeout,
    /// Authorization did not come in time.
    Giveup,
    /// The resource is gone.
    Noresource,
}

impl WatcherEvent {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Subscribe => "subscribe",
            Self::Approved => "approved",
            Self::Deactivated => "deactivated",
            Self::Probation => "probation",
            Self::Rejected => "rejected",
            Self::Timeout => "timeout",
            Self::Giveup => "giveup",
            Self::Noresource => "noresource",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "subscribe" => Self::Subscribe,
            "approved" => Self::Approved,
            "deactivated" => Self::Deactivated,
            "probation" => Self::Probation,
            "rejected" => Self::Rejected,
            "timeout" => Self::Timeout,
            "giveup" => Self::Giveup,
            "noresource" => Self::Noresource,
            _ => return None,
        })
    }
}

/// One watcher of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watcher {
    /// Its id (unique per subscription, stable across documents).
    pub id: String,
    /// The watcher's URI.
    pub uri: String,
    /// Its state.
    pub status: WatcherStatus,
    /// What brought it there.
    pub event: WatcherEvent,
    /// `display-name`.
    pub display_name: Option<String>,
    /// Seconds until the subscription expires.
    pub expiration: Option<u64>,
    /// Seconds it has been subscribed.
    pub duration_subscribed: Option<u64>,
    /// `xml:lang` of the display name.
    pub lang: Option<String>,
}

impl Watcher {
    /// A watcher with no optional attributes.
    pub fn new(id: &str, uri: &str, status: WatcherStatus, event: WatcherEvent) -> Self {
        Self {
            id: id.to_owned(),
            uri: uri.to_owned(),
            status,
            event,
            display_name: None,
            expiration: None,
            duration_subscribed: None,
            lang: None,
        }
    }
}

/// The watchers of one resource and package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherList {
    /// The watched resource.
    pub resource: String,
    /// The event package watched (`presence`).
    pub package: String,
    /// Its watchers.
    pub watchers: Vec<Watcher>,
}

impl WatcherList {
    /// An empty list.
    pub fn new(resource: &str, package: &str) -> Self {
        Self { resource: resource.to_owned(), package: package.to_owned(), watchers: Vec::new() }
    }
}

/// A watcherinfo document (RFC 3858 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherInfo {
    /// Incremented by one per document of a subscription, from 0.
    pub version: u64,
    /// Full or partial.
    pub state: State,
    /// One list per resource and package.
    pub lists: Vec<WatcherList>,
}

impl WatcherInfo {
    /// A full document with no lists.
    pub const fn full(version: u64) -> Self {
        Self { version, state: State::Full, lists: Vec::new() }
    }

    /// Parses a document with the default limits.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        Self::parse_with(input, &crate::ParseConfig::default())
    }

    /// Parses a document within `config`'s limits. Unknown elements (in other namespaces,
    /// which the schema allows) are skipped.
    pub fn parse_with(input: &[u8], config: &crate::ParseConfig) -> Result<Self, Error> {
        let doc = Document::parse_with(input, config)?;
        let root = doc
            .root_element()
            .ok_or_else(|| Error::new(ErrorKind::MissingElement("watcherinfo"), "/"))?;
        if doc.namespace(root) != Some(NS) || !is(&doc, root, "watcherinfo") {
            return Err(Error::new(ErrorKind::UnexpectedRoot, path(&doc, root)));
        }
        let version = required(&doc, root, "version")?
            .trim()
            .parse::<u64>()
            .map_err(|_| Error::new(ErrorKind::InvalidValue("version"), path(&doc, root)))?;
        let state = match required(&doc, root, "state")?.trim() {
            "full" => State::Full,
            "partial" => State::Partial,
            _ => return Err(Error::new(ErrorKind::InvalidValue("state"), path(&doc, root))),
        };
        let mut lists = Vec::new();
        for list in doc.child_elements(root) {
            if doc.namespace(list) != Some(NS) {
                continue;
            }
            if !is(&doc, list, "watcher-list") {
                return Err(Error::new(ErrorKind::UnexpectedElement, path(&doc, list)));
            }
            let mut l = WatcherList::new(
                required(&doc, list, "resource")?.trim(),
                required(&doc, list, "package")?.trim(),
            );
            for w in doc.child_elements(list) {
                if doc.namespace(w) != Some(NS) {
                    continue;
                }
                if !is(&doc, w, "watcher") {
                    return Err(Error::new(ErrorKind::UnexpectedElement, path(&doc, w)));
                }
                l.watchers.push(watcher(&doc, w)?);
            }
            lists.push(l);
        }
        Ok(Self { version, state, lists })
    }

    /// Writes the document.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<watcherinfo xmlns=\"");
        out.extend_from_slice(NS.as_bytes());
        out.extend_from_slice(b"\" version=\"");
        out.extend_from_slice(self.version.to_string().as_bytes());
        out.extend_from_slice(match self.state {
            State::Full => b"\" state=\"full\"",
            State::Partial => b"\" state=\"partial\"",
        });
        if self.lists.is_empty() {
            out.extend_from_slice(b"/>\n");
            return;
        }
        out.extend_from_slice(b">\n");
        for l in &self.lists {
            out.extend_from_slice(b"  <watcher-list");
            attr(out, "resource", &l.resource);
            attr(out, "package", &l.package);
            if l.watchers.is_empty() {
                out.extend_from_slice(b"/>\n");
                continue;
            }
            out.extend_from_slice(b">\n");
            for w in &l.watchers {
                out.extend_from_slice(b"    <watcher");
                attr(out, "id", &w.id);
                attr(out, "status", w.status.as_str());
                attr(out, "event", w.event.as_str());
                if let Some(d) = &w.display_name {
                    attr(out, "display-name", d);
                }
                if let Some(e) = w.expiration {
                    attr(out, "expiration", &e.to_string());
                }
                if let Some(d) = w.duration_subscribed {
                    attr(out, "duration-subscribed", &d.to_string());
                }
                if let Some(l) = &w.lang {
                    attr(out, "xml:lang", l);
                }
                out.push(b'>');
                simple_patch::escape_text(&w.uri, out);
                out.extend_from_slice(b"</watcher>\n");
            }
            out.extend_from_slice(b"  </watcher-list>\n");
        }
        out.extend_from_slice(b"</watcherinfo>\n");
    }

    /// The document written into a new buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            256 + 160 * self.lists.iter().map(|l| l.watchers.len()).sum::<usize>(),
        );
        self.write(&mut out);
        out
    }
}

fn is(doc: &Document, node: NodeId, local: &str) -> bool {
    doc.name(node).is_some_and(|n| n.local() == local)
}

fn required<'d>(doc: &'d Document, node: NodeId, name: &'static str) -> Result<&'d str, Error> {
    doc.attribute(node, None, name)
        .ok_or_else(|| Error::new(ErrorKind::MissingAttribute(name), path(doc, node)))
}

fn number(doc: &Document, node: NodeId, name: &'static str) -> Result<Option<u64>, Error> {
    doc.attribute(node, None, name)
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| Error::new(ErrorKind::InvalidValue(name), path(doc, node)))
        })
        .transpose()
}

fn watcher(doc: &Document, node: NodeId) -> Result<Watcher, Error> {
    let invalid = |what| Error::new(ErrorKind::InvalidValue(what), path(doc, node));
    let status = WatcherStatus::parse(required(doc, node, "status")?.trim())
        .ok_or_else(|| invalid("status"))?;
    let event = WatcherEvent::parse(required(doc, node, "event")?.trim())
        .ok_or_else(|| invalid("event"))?;
    if doc.child_elements(node).next().is_some() {
        return Err(Error::new(ErrorKind::UnexpectedElement, path(doc, node)));
    }
    let uri = doc.string_value(node);
    Ok(Watcher {
        id: required(doc, node, "id")?.to_owned(),
        uri: crate::trim_ws(&uri).to_owned(),
        status,
        event,
        display_name: doc.attribute(node, None, "display-name").map(str::to_owned),
        expiration: number(doc, node, "expiration")?,
        duration_subscribed: number(doc, node, "duration-subscribed")?,
        lang: doc
            .attribute(node, Some("http://www.w3.org/XML/1998/namespace"), "lang")
            .map(str::to_owned),
    })
}

fn attr(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    simple_patch::escape_attr(value, out);
    out.push(b'"');
}

/// The subscriber's view of watcher information (RFC 3858 §4.4): a full document replaces
/// it, a partial one updates watchers by id (and removes none; a `terminated` watcher stays
/// listed until the next full document). Versions must follow one another.
#[derive(Debug, Clone, Default)]
pub struct WinfoView {
    version: Option<u64>,
    lists: Vec<WatcherList>,
}

impl WinfoView {
    /// A view with nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a document; false when it cannot apply (a partial document without full state
    /// first, or a version gap: refresh the subscription to get full state) or is stale
    /// (its version not above the last). The view is unchanged then.
    pub fn apply(&mut self, doc: &WatcherInfo) -> bool {
        if let Some(v) = self.version {
            if doc.version <= v && doc.state == State::Partial {
                return false;
            }
        }
        match doc.state {
            State::Full => {
                self.lists.clone_from(&doc.lists);
            }
            State::Partial => {
                if self.version.is_none_or(|v| doc.version != v + 1) {
                    return false;
                }
                for list in &doc.lists {
                    let idx = self
                        .lists
                        .iter()
                        .position(|l| l.resource == list.resource && l.package == list.package);
                    let target = match idx {
                        Some(i) => &mut self.lists[i],
                        None => {
                            self.lists.push(WatcherList::new(&list.resource, &list.package));
                            self.lists.last_mut().expect("just pushed")
                        }
                    };
                    for w in &list.watchers {
                        match target.watchers.iter_mut().find(|x| x.id == w.id) {
                            Some(x) => x.clone_from(w),
                            None => target.watchers.push(w.clone()),
                        }
                    }
                }
            }
        }
        self.version = Some(doc.version);
        true
    }

    /// The lists, as merged.
    pub fn lists(&self) -> &[WatcherList] {
        &self.lists
    }

    /// The version of the last document applied.
    pub const fn version(&self) -> Option<u64> {
        self.version
    }
}
