//! XCAP URIs (RFC 4825 §6): the XCAP root, the document selector (`AUID`, the `users/<XUI>`
//! or `global` tree, the document's path), the node selector after `~~` and the namespace
//! bindings of the `xmlns()` query.

use core::fmt;
use std::borrow::Cow;

use simple_patch::{NameTest, Namespaces, NodeSelector, QName, XcapTerminal};

use crate::error::{Error, ErrorKind};

/// Longest request path and query [`XcapUri::parse`] takes.
pub const MAX_URI: usize = 8 * 1024;

/// Which tree a document lives in (RFC 4825 §6.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tree {
    /// `global`: documents shared by all users of the usage.
    Global,
    /// `users/<XUI>`: one user's documents.
    User(String),
}

/// A document selector: which document of which usage (RFC 4825 §6.2), decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentSelector {
    /// The application unique ID (`resource-lists`, `pres-rules`, ...).
    pub auid: String,
    /// The tree.
    pub tree: Tree,
    /// The document's path in its tree, `/`-separated (usually `index`).
    pub path: String,
}

impl DocumentSelector {
    /// A user's document.
    pub fn user(auid: &str, xui: &str, path: &str) -> Self {
        Self { auid: auid.to_owned(), tree: Tree::User(xui.to_owned()), path: path.to_owned() }
    }

    /// A global document.
    pub fn global(auid: &str, path: &str) -> Self {
        Self { auid: auid.to_owned(), tree: Tree::Global, path: path.to_owned() }
    }

    /// The XUI of a user's document.
    pub fn xui(&self) -> Option<&str> {
        match &self.tree {
            Tree::User(x) => Some(x),
            Tree::Global => None,
        }
    }

    /// Parses a document selector relative to the XCAP root (`auid/users/xui/index`),
    /// percent-decoding each segment.
    pub fn parse(s: &str) -> Result<Self, Error> {
        parse_document(s, 0)
    }

    /// Writes the selector in URI form: percent-encoded where RFC 3986 requires.
    pub fn write_encoded(&self, out: &mut String) {
        encode_into(&self.auid, SEGMENT, out);
        match &self.tree {
            Tree::Global => out.push_str("/global/"),
            Tree::User(x) => {
                out.push_str("/users/");
                encode_into(x, SEGMENT, out);
                out.push('/');
            }
        }
        for (i, seg) in self.path.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            encode_into(seg, SEGMENT, out);
        }
    }

    /// The selector in URI form.
    pub fn encoded(&self) -> String {
        let mut s = String::with_capacity(self.auid.len() + self.path.len() + 48);
        self.write_encoded(&mut s);
        s
    }
}

impl fmt::Display for DocumentSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encoded())
    }
}

/// An XCAP resource: a document, or an element, attribute or namespace set in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XcapUri {
    /// The document.
    pub document: DocumentSelector,
    /// The node selector, decoded and parsed, if the URI has one.
    pub node: Option<NodeSelector>,
    /// Bindings of the `xmlns()` query: (prefix, namespace).
    pub namespaces: Vec<(String, String)>,
}

impl XcapUri {
    /// A URI for a whole document.
    pub const fn document(document: DocumentSelector) -> Self {
        Self { document, node: None, namespaces: Vec::new() }
    }

    /// A URI for a node of a document; `node` is the decoded node selector.
    pub fn node(document: DocumentSelector, node: &str) -> Result<Self, Error> {
        let node = NodeSelector::parse(node)
            .map_err(|e| Error::new(ErrorKind::NodeSelector(e), e.offset().unwrap_or(0)))?;
        Ok(Self { document, node: Some(node), namespaces: Vec::new() })
    }

    /// Adds an `xmlns(prefix=namespace)` binding.
    #[must_use]
    pub fn bind(mut self, prefix: &str, namespace: &str) -> Self {
        self.namespaces.push((prefix.to_owned(), namespace.to_owned()));
        self
    }

    /// Parses a request's path and query, `root` being the path of the XCAP root (`/xcap-root`,
    /// with or without the trailing `/`; `/` for a root at the top).
    pub fn parse(path_and_query: &str, root: &str) -> Result<Self, Error> {
        if path_and_query.len() > MAX_URI {
            return Err(Error::new(ErrorKind::TooLong, MAX_URI));
        }
        let root = root.trim_end_matches('/');
        let rest = path_and_query
            .strip_prefix(root)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or(Error::new(ErrorKind::NotUnderRoot, 0))?;
        Self::parse_relative_at(rest, root.len() + 1)
    }

    /// Parses a selector relative to the XCAP root, as xcap-diff's `sel` attributes and
    /// RFC 4826 `entry-ref` references carry it: `auid/users/xui/doc/~~/node?xmlns(...)`.
    pub fn parse_relative(s: &str) -> Result<Self, Error> {
        if s.len() > MAX_URI {
            return Err(Error::new(ErrorKind::TooLong, MAX_URI));
        }
        Self::parse_relative_at(s, 0)
    }

    fn parse_relative_at(s: &str, base: usize) -> Result<Self, Error> {
        let (path, query) = match memchr::memchr(b'?', s.as_bytes()) {
            Some(q) => (&s[..q], Some((&s[q + 1..], q + 1))),
            None => (s, None),
        };
        let (doc, node) = match memchr::memmem::find(path.as_bytes(), b"~~") {
            Some(i) => {
                let doc = path[..i]
                    .strip_suffix('/')
                    .ok_or(Error::new(ErrorKind::InvalidSegment, base + i))?;
                let node = path[i + 2..]
                    .strip_prefix('/')
                    .ok_or(Error::new(ErrorKind::InvalidSegment, base + i + 2))?;
                (doc, Some((node, i + 3)))
            }
            None => (path, None),
        };
        let document = parse_document(doc, base)?;
        let node = match node {
            Some((raw, at)) => {
                // the node selector is cleaned of line folding some examples carry
                let decoded = decode(raw, base + at)?;
                let cleaned: Cow<'_, str> = if decoded.contains(['\r', '\n']) {
                    Cow::Owned(decoded.replace(['\r', '\n'], ""))
                } else {
                    decoded
                };
                Some(NodeSelector::parse(&cleaned).map_err(|e| {
                    Error::new(ErrorKind::NodeSelector(e), base + at + e.offset().unwrap_or(0))
                })?)
            }
            None => None,
        };
        let namespaces = match query {
            Some((q, at)) => parse_query(q, base + at)?,
            None => Vec::new(),
        };
        let uri = Self { document, node, namespaces };
        uri.check_prefixes().map_err(|()| Error::new(ErrorKind::UnboundPrefix, base))?;
        Ok(uri)
    }

    /// Every prefix of the node selector is bound by the query (RFC 4825 §8).
    fn check_prefixes(&self) -> Result<(), ()> {
        let Some(node) = &self.node else { return Ok(()) };
        let bound = |q: &QName| match q.prefix() {
            None | Some("xml") => true,
            Some(p) => self.namespaces.iter().any(|(b, _)| b == p),
        };
        for step in &node.steps {
            if let NameTest::Name(q) = &step.test {
                if !bound(q) {
                    return Err(());
                }
            }
            if let Some((q, _)) = &step.attribute {
                if !bound(q) {
                    return Err(());
                }
            }
        }
        if let Some(XcapTerminal::Attribute(q)) = &node.terminal {
            if !bound(q) {
                return Err(());
            }
        }
        Ok(())
    }

    /// The bindings to evaluate the node selector with: the query's, and `default` (the
    /// usage's default document namespace) for unprefixed names.
    pub fn selector_namespaces(&self, default: &str) -> Namespaces {
        let mut ns = Namespaces::new();
        if !default.is_empty() {
            ns = ns.with_default(default);
        }
        for (p, uri) in &self.namespaces {
            ns = ns.bind(p.as_str(), uri.as_str());
        }
        ns
    }

    /// The URI one level up (RFC 4825 §8.2.1): the parent element's, or the document's for
    /// a node selector of one step; `None` for a document.
    pub fn parent(&self) -> Option<Self> {
        let node = self.node.as_ref()?;
        let mut parent = self.clone();
        if node.terminal.is_some() {
            parent.node.as_mut().expect("cloned from Some").terminal = None;
        } else if node.steps.len() > 1 {
            parent.node.as_mut().expect("cloned from Some").steps.pop();
        } else {
            parent.node = None;
        }
        Some(parent)
    }

    /// Writes the URI relative to the XCAP root, percent-encoded.
    pub fn write_encoded(&self, out: &mut String) {
        self.document.write_encoded(out);
        if let Some(node) = &self.node {
            out.push_str("/~~/");
            encode_into(&node.to_string(), NODE, out);
        }
        if !self.namespaces.is_empty() {
            out.push('?');
            for (p, uri) in &self.namespaces {
                out.push_str("xmlns(");
                encode_into(p, QUERY, out);
                out.push('=');
                encode_into(uri, QUERY, out);
                out.push(')');
            }
        }
    }

    /// The URI relative to the XCAP root, percent-encoded.
    pub fn encoded(&self) -> String {
        let mut s = String::with_capacity(128);
        self.write_encoded(&mut s);
        s
    }
}

impl fmt::Display for XcapUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encoded())
    }
}

fn parse_document(s: &str, base: usize) -> Result<DocumentSelector, Error> {
    // each segment with its offset
    let mut segs = Vec::new();
    let mut at = base;
    for seg in s.split('/') {
        segs.push((seg, at));
        at += seg.len() + 1;
    }
    let mut segs = segs.into_iter().peekable();
    let end = base + s.len();
    let mut take = |missing: ErrorKind| -> Result<(Cow<'_, str>, usize), Error> {
        match segs.next() {
            Some((seg, at)) if !seg.is_empty() => Ok((decode(seg, at)?, at)),
            Some((_, at)) => Err(Error::new(missing, at)),
            None => Err(Error::new(missing, end)),
        }
    };
    let (auid, _) = take(ErrorKind::MissingAuid)?;
    let (tree, at_tree) = take(ErrorKind::MissingTree)?;
    let tree = match &*tree {
        "global" => Tree::Global,
        "users" => Tree::User(take(ErrorKind::MissingXui)?.0.into_owned()),
        _ => return Err(Error::new(ErrorKind::MissingTree, at_tree)),
    };
    let mut path = String::new();
    while let Some((seg, at)) = segs.next() {
        if seg.is_empty() {
            // a trailing '/' names a directory; an empty segment inside is malformed
            let kind = if segs.peek().is_none() {
                ErrorKind::MissingDocument
            } else {
                ErrorKind::InvalidSegment
            };
            return Err(Error::new(kind, at));
        }
        let seg = decode(seg, at)?;
        if seg == "." || seg == ".." || seg.contains('/') {
            return Err(Error::new(ErrorKind::InvalidSegment, at));
        }
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(&seg);
    }
    if path.is_empty() {
        return Err(Error::new(ErrorKind::MissingDocument, end));
    }
    Ok(DocumentSelector { auid: auid.into_owned(), tree, path })
}

fn parse_query(q: &str, base: usize) -> Result<Vec<(String, String)>, Error> {
    let decoded = decode(q, base)?;
    let mut rest = decoded.trim();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let inner = rest
            .strip_prefix("xmlns(")
            .ok_or(Error::new(ErrorKind::InvalidQuery, base + (decoded.len() - rest.len())))?;
        let close = memchr::memchr(b')', inner.as_bytes())
            .ok_or(Error::new(ErrorKind::InvalidQuery, base + decoded.len()))?;
        let (prefix, uri) = inner[..close]
            .split_once('=')
            .ok_or(Error::new(ErrorKind::InvalidQuery, base + (decoded.len() - rest.len())))?;
        let prefix = prefix.trim();
        if !simple_patch::is_ncname(prefix) {
            return Err(Error::new(ErrorKind::InvalidQuery, base + (decoded.len() - rest.len())));
        }
        out.push((prefix.to_owned(), uri.trim().to_owned()));
        rest = inner[close + 1..].trim_start();
    }
    Ok(out)
}

/// Percent-decodes `s` (found at byte `base` of the input).
pub fn decode(s: &str, base: usize) -> Result<Cow<'_, str>, Error> {
    let Some(first) = memchr::memchr(b'%', s.as_bytes()) else {
        return Ok(Cow::Borrowed(s));
    };
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..first]);
    let mut i = first;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            let (Some(h), Some(l)) =
                (b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c)))
            else {
                return Err(Error::new(ErrorKind::InvalidPercent, base + i));
            };
            out.push(u8::try_from(h * 16 + l).expect("two hex digits fit a byte"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|e| Error::new(ErrorKind::NotUtf8, base + e.utf8_error().valid_up_to()))
}

/// What a path segment may hold unencoded (RFC 3986 pchar without `%`).
const SEGMENT: &[u8] = b"-._~!$&'()*+,;=:@";
/// What an encoded node selector keeps as is: pchar and `/` (the step separator).
const NODE: &[u8] = b"-._~!$&'()*+,;=:@/";
/// What a query keeps as is.
const QUERY: &[u8] = b"-._~!$&'*+,;:@/?";

fn encode_into(s: &str, keep: &[u8], out: &mut String) {
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || keep.contains(&c) {
            out.push(char::from(c));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(c >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(c & 15)]));
        }
    }
}
