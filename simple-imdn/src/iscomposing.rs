//! is-composing (RFC 3994): the `application/im-iscomposing+xml` document ([`IsComposing`])
//! and the machines of both sides: the [`Composer`] (the user typing: "active" when they
//! start, "idle" after the idle timeout, "active" refreshes while they go on, nothing when
//! the message is sent) and the [`ComposingReceiver`] (the indicator for each peer: active
//! on "active", idle on "idle", on the content message, or when the refresh runs out).
//!
//! Both are Sans-IO. The polling order is the crate's: commands and `handle_*` in, then
//! `poll_transmit` (the composer's status documents to send) or `poll_event` (the
//! receiver's changes), then `poll_timeout` for when to call `handle_timeout` next.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use simple_imdn::iscomposing::{Composer, ComposerConfig, ComposingEvent, ComposingReceiver};
//!
//! let t0 = Instant::now();
//! let mut alice = Composer::new(ComposerConfig::default());
//! let mut bob = ComposingReceiver::new(Duration::from_secs(120));
//! alice.typing(t0);
//! let doc = alice.poll_transmit().expect("the first keystroke says active");
//! bob.handle_status("alice", &doc, t0);
//! assert!(matches!(bob.poll_event(), Some(ComposingEvent::Active { .. })));
//! alice.typing(t0 + Duration::from_secs(1)); // still active: nothing to send
//! assert!(alice.poll_transmit().is_none());
//! let (at, _) = alice.poll_timeout().expect("the idle timeout runs");
//! assert_eq!(at, t0 + Duration::from_secs(16));
//! alice.handle_timeout(at);
//! bob.handle_status("alice", &alice.poll_transmit().expect("idle after 15 s"), at);
//! assert!(matches!(bob.poll_event(), Some(ComposingEvent::Idle { .. })));
//! ```

use core::time::Duration;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

use simple_patch::{Document, NodeKind};
use simple_pidf::{DateTime, Raw};

use crate::error::{Error, ErrorKind};

/// The XML namespace.
pub const XML_NS: &str = "urn:ietf:params:xml:ns:im-iscomposing";

/// The MIME type.
pub const CONTENT_TYPE: &str = "application/im-iscomposing+xml";

/// The composer's state as a document says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposingState {
    /// Composing.
    Active,
    /// Not composing.
    Idle,
    /// A state token of an extension: treated as idle (§3.5).
    Other(String),
}

impl ComposingState {
    /// Whether this is "active" (any other token counts as idle).
    pub const fn is_active(&self) -> bool {
        matches!(self, Self::Active)
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::Idle => "idle",
            Self::Other(s) => s,
        }
    }
}

/// An isComposing document (RFC 3994 §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsComposing {
    /// `<state>`.
    pub state: ComposingState,
    /// `<lastactive>`: when the user last added content.
    pub last_active: Option<DateTime>,
    /// `<contenttype>`: what is being composed (`text`, `text/html`...).
    pub content_type: Option<String>,
    /// `<refresh>`: seconds until the next "active" refresh (positive).
    pub refresh: Option<u32>,
    /// Extension elements (other namespaces), verbatim.
    pub extensions: Vec<Raw>,
}

impl IsComposing {
    /// A document with `state` and nothing else.
    pub const fn new(state: ComposingState) -> Self {
        Self { state, last_active: None, content_type: None, refresh: None, extensions: Vec::new() }
    }

    /// Reads a document.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        Self::parse_with(input, &simple_patch::ParseConfig::default())
    }

    /// Reads a document within `config`'s XML limits. The schema's order is checked
    /// (state, lastactive, contenttype, refresh, then extensions).
    pub fn parse_with(input: &[u8], config: &simple_patch::ParseConfig) -> Result<Self, Error> {
        const PATH: &str = "isComposing";
        let doc = Document::parse_with(input, config)?;
        let root = doc.root_element().expect("a parsed document has a root element");
        if doc.namespace(root) != Some(XML_NS)
            || doc.name(root).is_none_or(|q| q.local() != "isComposing")
        {
            return Err(Error::element(ErrorKind::UnexpectedRoot, PATH));
        }
        let mut out = Self::new(ComposingState::Idle);
        let mut step = 0; // the next of state, lastactive, contenttype, refresh
        for c in doc.children(root) {
            match doc.kind(c) {
                NodeKind::Text(t) if !simple_patch::is_xml_ws(t) => {
                    return Err(Error::element(ErrorKind::UnexpectedElement, PATH));
                }
                NodeKind::Element(_) => {}
                NodeKind::Text(_)
                | NodeKind::Comment(_)
                | NodeKind::ProcessingInstruction { .. }
                | NodeKind::Document => continue,
            }
            if doc.namespace(c) != Some(XML_NS) {
                if doc.namespace(c).is_none() || step == 0 {
                    return Err(Error::element(ErrorKind::UnexpectedElement, PATH));
                }
                out.extensions.push(Raw::capture(&doc, c));
                step = 4;
                continue;
            }
            let local = doc.name(c).map_or("", |q| q.local());
            let at = match local {
                "state" => 0,
                "lastactive" => 1,
                "contenttype" => 2,
                "refresh" => 3,
                _ => return Err(Error::element(ErrorKind::UnexpectedElement, PATH)),
            };
            if at < step || (step == 0 && at != 0) || !out.extensions.is_empty() {
                return Err(Error::element(ErrorKind::UnexpectedElement, PATH));
            }
            step = at + 1;
            if doc.child_elements(c).next().is_some() {
                return Err(Error::element(ErrorKind::UnexpectedElement, PATH));
            }
            let text = doc.string_value(c);
            let v = text.trim_matches([' ', '\t', '\r', '\n']);
            match at {
                0 => {
                    out.state = match v {
                        "active" => ComposingState::Active,
                        "idle" => ComposingState::Idle,
                        other => ComposingState::Other(other.to_owned()),
                    };
                }
                1 => {
                    out.last_active = Some(crate::cpim::date_time(v).ok_or(Error::element(
                        ErrorKind::InvalidValue("lastactive"),
                        "isComposing/lastactive",
                    ))?);
                }
                2 => out.content_type = Some(v.to_owned()),
                _ => {
                    let n = v.parse::<u32>().ok().filter(|n| *n > 0).ok_or(Error::element(
                        ErrorKind::InvalidValue("refresh"),
                        "isComposing/refresh",
                    ))?;
                    out.refresh = Some(n);
                }
            }
        }
        if step == 0 {
            return Err(Error::element(ErrorKind::MissingElement("state"), PATH));
        }
        Ok(out)
    }

    /// Writes the document.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<isComposing xmlns=\"");
        out.extend_from_slice(XML_NS.as_bytes());
        out.extend_from_slice(b"\">\n  <state>");
        simple_patch::escape_text(self.state.as_str(), out);
        out.extend_from_slice(b"</state>\n");
        if let Some(t) = &self.last_active {
            out.extend_from_slice(b"  <lastactive>");
            out.extend_from_slice(t.as_str().as_bytes());
            out.extend_from_slice(b"</lastactive>\n");
        }
        if let Some(c) = &self.content_type {
            out.extend_from_slice(b"  <contenttype>");
            simple_patch::escape_text(c, out);
            out.extend_from_slice(b"</contenttype>\n");
        }
        if let Some(r) = self.refresh {
            out.extend_from_slice(format!("  <refresh>{r}</refresh>\n").as_bytes());
        }
        for e in &self.extensions {
            out.extend_from_slice(b"  ");
            e.document().write_node(e.element(), out);
            out.push(b'\n');
        }
        out.extend_from_slice(b"</isComposing>\n");
    }

    /// The document written into a new buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(192);
        self.write(&mut out);
        out
    }
}

/// How a [`Composer`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ComposerConfig {
    /// Without typing for this long the composer goes idle (15 s, §3.2).
    pub idle_timeout: Duration,
    /// The active-state refresh interval (120 s; `None`: no refreshes, the receiver gives
    /// up after its own 120 s). RFC 3994 says no shorter than 60 s; the composer uses
    /// what it is given and says it in `<refresh>`, rounded up to whole seconds.
    pub refresh: Option<Duration>,
    /// What is composed, said in `<contenttype>` (`text/plain`).
    pub content_type: Option<String>,
}

impl Default for ComposerConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(15),
            refresh: Some(Duration::from_secs(120)),
            content_type: Some("text/plain".to_owned()),
        }
    }
}

/// The composer's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComposerTimer {
    /// No typing for the idle timeout: go idle.
    Idle,
    /// Still active: send the refresh.
    Refresh,
}

/// The composer's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposerState {
    /// Not composing (before typing, after sending, after the idle timeout).
    Idle,
    /// Composing.
    Active,
    /// The peer does not take status messages (a 415): none are sent any more (§4).
    Stopped,
}

/// The typing side. See the [module docs](self).
#[derive(Debug)]
pub struct Composer {
    config: ComposerConfig,
    state: ComposerState,
    /// Deadlines by [`ComposerTimer`]: idle, refresh.
    timers: [Option<Instant>; 2],
    out: VecDeque<IsComposing>,
}

impl Composer {
    /// An idle composer.
    pub const fn new(config: ComposerConfig) -> Self {
        Self { config, state: ComposerState::Idle, timers: [None, None], out: VecDeque::new() }
    }

    /// The state.
    pub const fn state(&self) -> ComposerState {
        self.state
    }

    fn status(&self, state: ComposingState) -> IsComposing {
        let mut d = IsComposing::new(state);
        d.content_type.clone_from(&self.config.content_type);
        if d.state.is_active() {
            d.refresh = self.config.refresh.map(|r| {
                let s = r.as_secs() + u64::from(r.subsec_nanos() > 0);
                u32::try_from(s.max(1)).unwrap_or(u32::MAX)
            });
        }
        d
    }

    /// The user added or edited content: "active" if this starts composing, and the idle
    /// timeout starts over.
    pub fn typing(&mut self, now: Instant) {
        match self.state {
            ComposerState::Stopped => {}
            ComposerState::Active => self.timers[0] = Some(now + self.config.idle_timeout),
            ComposerState::Idle => {
                self.state = ComposerState::Active;
                self.out.push_back(self.status(ComposingState::Active));
                self.timers =
                    [Some(now + self.config.idle_timeout), self.config.refresh.map(|r| now + r)];
            }
        }
    }

    /// The content message was sent: idle without a status message (§3.2).
    pub fn sent(&mut self) {
        if self.state == ComposerState::Active {
            self.state = ComposerState::Idle;
        }
        self.timers = [None, None];
        self.out.retain(|d| !d.state.is_active());
    }

    /// The peer answered a status message with 415: stop sending them (§4).
    pub fn refused(&mut self) {
        self.state = ComposerState::Stopped;
        self.timers = [None, None];
        self.out.clear();
    }

    /// The next status document to send (as the body of a MESSAGE or an MSRP SEND).
    pub fn poll_transmit(&mut self) -> Option<IsComposing> {
        self.out.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next, and for what. Typing
    /// moves the idle deadline; sending and the timeouts clear or move both.
    pub fn poll_timeout(&self) -> Option<(Instant, ComposerTimer)> {
        match self.timers {
            [Some(i), Some(r)] if r < i => Some((r, ComposerTimer::Refresh)),
            [Some(i), _] => Some((i, ComposerTimer::Idle)),
            [None, Some(r)] => Some((r, ComposerTimer::Refresh)),
            [None, None] => None,
        }
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timers[0].is_some_and(|t| t <= now) {
            self.state = ComposerState::Idle;
            self.timers = [None, None];
            self.out.push_back(self.status(ComposingState::Idle));
            return;
        }
        if let (Some(t), Some(r)) = (self.timers[1], self.config.refresh) {
            if t <= now {
                self.out.push_back(self.status(ComposingState::Active));
                self.timers[1] = Some(now + r);
            }
        }
    }
}

/// Why a peer's indicator went idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleReason {
    /// An "idle" (or unknown) state arrived.
    Status,
    /// The content message arrived.
    Message,
    /// No refresh came in time (the `<refresh>` of the last "active", or the default).
    Expired,
}

/// A change of a peer's indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposingEvent<K> {
    /// The peer started composing.
    Active {
        /// The peer.
        peer: K,
        /// What they compose, if said.
        content_type: Option<String>,
    },
    /// The peer stopped.
    Idle {
        /// The peer.
        peer: K,
        /// Why.
        reason: IdleReason,
    },
}

/// The receiver's one timer kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiverTimer {
    /// A peer's refresh ran out.
    Refresh,
}

#[derive(Debug)]
struct Peer {
    /// Shown as composing.
    active: bool,
    /// When its indicator runs out (while active).
    deadline: Instant,
}

/// The indicators of many peers, keyed by `K` (a URI, a chat session...). Every peer held
/// has exactly one queued deadline, and a peer is held only while active or while that
/// deadline is queued, so memory is bounded by the peers however often they change. See the
/// [module docs](self).
#[derive(Debug)]
pub struct ComposingReceiver<K> {
    default_refresh: Duration,
    peers: HashMap<K, Peer>,
    heap: BinaryHeap<core::cmp::Reverse<(Instant, K)>>,
    events: VecDeque<ComposingEvent<K>>,
}

impl<K: Clone + Eq + core::hash::Hash + Ord> ComposingReceiver<K> {
    /// A receiver whose peers go idle `default_refresh` after an "active" without
    /// `<refresh>` (RFC 3994 says 120 s).
    pub fn new(default_refresh: Duration) -> Self {
        Self {
            default_refresh,
            peers: HashMap::new(),
            heap: BinaryHeap::new(),
            events: VecDeque::new(),
        }
    }

    /// Peers shown as composing.
    pub fn active(&self) -> usize {
        self.peers.values().filter(|p| p.active).count()
    }

    /// Peers held (active, or idle with a deadline still queued); never more than the
    /// deadlines queued.
    pub fn held(&self) -> usize {
        debug_assert_eq!(self.peers.len(), self.heap.len());
        self.peers.len()
    }

    /// Whether `peer` is shown as composing.
    pub fn is_active(&self, peer: &K) -> bool {
        self.peers.get(peer).is_some_and(|p| p.active)
    }

    /// A status document from `peer`.
    pub fn handle_status(&mut self, peer: K, doc: &IsComposing, now: Instant) {
        if !doc.state.is_active() {
            self.idle(peer, IdleReason::Status);
            return;
        }
        let refresh = doc.refresh.map_or(self.default_refresh, |r| Duration::from_secs(r.into()));
        let deadline = now + refresh;
        match self.peers.get_mut(&peer) {
            Some(p) => {
                p.deadline = deadline;
                if !p.active {
                    p.active = true;
                    let content_type = doc.content_type.clone();
                    self.events.push_back(ComposingEvent::Active { peer, content_type });
                }
            }
            None => {
                self.peers.insert(peer.clone(), Peer { active: true, deadline });
                self.heap.push(core::cmp::Reverse((deadline, peer.clone())));
                let content_type = doc.content_type.clone();
                self.events.push_back(ComposingEvent::Active { peer, content_type });
            }
        }
    }

    /// A content message from `peer` arrived: it is idle now.
    pub fn handle_message(&mut self, peer: K) {
        self.idle(peer, IdleReason::Message);
    }

    fn idle(&mut self, peer: K, reason: IdleReason) {
        if let Some(p) = self.peers.get_mut(&peer) {
            if p.active {
                p.active = false;
                self.events.push_back(ComposingEvent::Idle { peer, reason });
            }
        }
    }

    /// The next change.
    pub fn poll_event(&mut self) -> Option<ComposingEvent<K>> {
        self.events.pop_front()
    }

    /// When the next queued deadline is (a peer's, or an earlier one it has refreshed
    /// past, or an idle peer's, after which it is forgotten).
    pub fn poll_timeout(&self) -> Option<(Instant, ReceiverTimer)> {
        self.heap.peek().map(|core::cmp::Reverse((t, _))| (*t, ReceiverTimer::Refresh))
    }

    /// Peers whose refresh ran out by `now` go idle.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(core::cmp::Reverse((t, _))) = self.heap.peek() {
            if *t > now {
                break;
            }
            let core::cmp::Reverse((_, peer)) = self.heap.pop().expect("peeked");
            let p = self.peers.get_mut(&peer).expect("every queued deadline is a held peer's");
            if !p.active {
                self.peers.remove(&peer);
            } else if p.deadline <= now {
                self.peers.remove(&peer);
                self.events.push_back(ComposingEvent::Idle { peer, reason: IdleReason::Expired });
            } else {
                let d = p.deadline;
                self.heap.push(core::cmp::Reverse((d, peer)));
            }
        }
    }
}
