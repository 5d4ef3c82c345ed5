//! The xcap-diff document (RFC 5874): document-level entity tag changes with RFC 5261
//! patches, and element and attribute changes, read and written; built from the server's
//! [`Change`]s.

use simple_patch::{Document, NodeId, escape_attr, escape_text};

use crate::error::{Error, ErrorKind};
use crate::server::Change;
use crate::uri::XcapUri;

/// `urn:ietf:params:xml:ns:xcap-diff`.
pub const XCAP_DIFF_NS: &str = "urn:ietf:params:xml:ns:xcap-diff";
/// `application/xcap-diff+xml`.
pub const XCAP_DIFF_MIME: &str = "application/xcap-diff+xml";

/// One entry of an xcap-diff document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffEntry {
    /// `<document>`: a document's entity tags and, optionally, the patch between them.
    Document {
        /// `sel`: the document selector relative to the XCAP root.
        sel: String,
        /// `previous-etag` (`None`: the document was created).
        previous_etag: Option<String>,
        /// `new-etag` (`None`: the document was removed).
        new_etag: Option<String>,
        /// `<body-not-changed/>`.
        body_not_changed: bool,
        /// The RFC 5261 operations, as XML text in the document's namespace context.
        patch: Option<String>,
        /// Namespace declarations the patch needs: (prefix or `None` for the default, URI).
        namespaces: Vec<(Option<String>, String)>,
    },
    /// `<element>`: an element's new content, or that it does not exist.
    Element {
        /// `sel`: the element's URI relative to the XCAP root.
        sel: String,
        /// `exists` (`Some(false)` when removed).
        exists: Option<bool>,
        /// The element, as XML standing alone.
        content: Option<String>,
    },
    /// `<attribute>`: an attribute's value, or that it does not exist.
    Attribute {
        /// `sel`: the attribute's URI relative to the XCAP root.
        sel: String,
        /// `exists` (`Some(false)` when removed).
        exists: Option<bool>,
        /// The value.
        value: Option<String>,
    },
}

/// An xcap-diff document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XcapDiff {
    /// `xcap-root`.
    pub xcap_root: String,
    /// The entries, in order.
    pub entries: Vec<DiffEntry>,
}

/// How a subscriber wants document changes (RFC 5875 §4.3 `diff-processing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiffProcessing {
    /// `no-patching`: entity tags only.
    #[default]
    NoPatching,
    /// `xcap-patching`: every change with its patch, in order.
    XcapPatching,
    /// `aggregate`: one entry per document, its patches in sequence.
    Aggregate,
}

impl DiffProcessing {
    /// Parses the parameter value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().trim_matches('"') {
            "no-patching" => Self::NoPatching,
            "xcap-patching" => Self::XcapPatching,
            "aggregate" => Self::Aggregate,
            _ => return None,
        })
    }
}

impl XcapDiff {
    /// An empty document for `xcap_root` (an absolute URI ending in `/`).
    pub fn new(xcap_root: &str) -> Self {
        Self { xcap_root: xcap_root.to_owned(), entries: Vec::new() }
    }

    /// Adds what `change` did. `default_ns` is the usage's default namespace (unprefixed
    /// names of node selectors); `mode` says whether patches go with it; in `aggregate` a
    /// change following an entry for the same document extends that entry.
    pub fn push_change(&mut self, change: &Change, default_ns: &str, mode: DiffProcessing) {
        self.push_change_as(change.document.encoded(), change, default_ns, mode);
    }

    /// [`XcapDiff::push_change`] with `sel` as the entry's selector (RFC 5875 §4.6: the URI
    /// as the subscription wrote it).
    pub(crate) fn push_change_as(
        &mut self,
        sel: String,
        change: &Change,
        default_ns: &str,
        mode: DiffProcessing,
    ) {
        let mut namespaces: Vec<(Option<String>, String)> =
            change.namespaces.iter().map(|(p, u)| (Some(p.clone()), u.clone())).collect();
        namespaces.insert(0, (None, default_ns.to_owned()));
        let patch = match mode {
            DiffProcessing::NoPatching => None,
            DiffProcessing::XcapPatching | DiffProcessing::Aggregate => change.patch.clone(),
        };
        if mode == DiffProcessing::Aggregate {
            if let Some(DiffEntry::Document { new_etag, patch: p, namespaces: n, .. }) = self
                .entries
                .iter_mut()
                .rev()
                .find(|e| matches!(e, DiffEntry::Document { sel: s, .. } if *s == sel))
            {
                if new_etag.is_some() && *new_etag == change.previous_etag {
                    new_etag.clone_from(&change.new_etag);
                    match (p.as_mut(), &patch) {
                        (Some(p), Some(more)) => p.push_str(more),
                        _ => *p = None,
                    }
                    if change.new_etag.is_none() {
                        *p = None;
                    }
                    for b in namespaces {
                        if !n.contains(&b) {
                            n.push(b);
                        }
                    }
                    return;
                }
            }
        }
        self.entries.push(DiffEntry::Document {
            sel,
            previous_etag: change.previous_etag.clone(),
            new_etag: change.new_etag.clone(),
            body_not_changed: false,
            patch,
            namespaces,
        });
    }

    /// Adds an element or attribute entry for the node `change` changed, when a subscriber
    /// watches that node (RFC 5875 §4.5).
    pub fn push_node(&mut self, change: &Change) {
        let Some(node) = &change.node else { return };
        let mut uri = XcapUri::document(change.document.clone());
        uri.namespaces.clone_from(&change.namespaces);
        let Ok(u) = XcapUri::node(change.document.clone(), &node.selector) else { return };
        uri.node = u.node;
        let sel = uri.encoded();
        let exists = if node.content.is_some() { None } else { Some(false) };
        self.entries.push(if node.attribute {
            DiffEntry::Attribute { sel, exists, value: node.content.clone() }
        } else {
            DiffEntry::Element { sel, exists, content: node.content.clone() }
        });
    }

    /// Writes the document.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<d:xcap-diff xmlns:d=\"",
        );
        out.extend_from_slice(XCAP_DIFF_NS.as_bytes());
        out.extend_from_slice(b"\" xcap-root=\"");
        escape_attr(&self.xcap_root, out);
        out.extend_from_slice(b"\">\n");
        for e in &self.entries {
            match e {
                DiffEntry::Document {
                    sel,
                    previous_etag,
                    new_etag,
                    body_not_changed,
                    patch,
                    namespaces,
                } => {
                    out.extend_from_slice(b" <d:document sel=\"");
                    escape_attr(sel, out);
                    out.push(b'"');
                    if let Some(p) = previous_etag {
                        out.extend_from_slice(b" previous-etag=\"");
                        escape_attr(p, out);
                        out.push(b'"');
                    }
                    if let Some(n) = new_etag {
                        out.extend_from_slice(b" new-etag=\"");
                        escape_attr(n, out);
                        out.push(b'"');
                    }
                    match (patch, body_not_changed) {
                        (_, true) => {
                            out.extend_from_slice(b"><d:body-not-changed/></d:document>\n")
                        }
                        (Some(p), false) if !p.is_empty() => {
                            for (prefix, uri) in namespaces {
                                crate::server::write_declaration(out, prefix.as_deref(), uri);
                            }
                            out.push(b'>');
                            // the operations are in the xcap-diff namespace (RFC 5874 §4)
                            out.extend_from_slice(p.as_bytes());
                            out.extend_from_slice(b"</d:document>\n");
                        }
                        _ => out.extend_from_slice(b"/>\n"),
                    }
                }
                DiffEntry::Element { sel, exists, content } => {
                    write_node(out, "element", sel, *exists, content.as_deref(), false);
                }
                DiffEntry::Attribute { sel, exists, value } => {
                    write_node(out, "attribute", sel, *exists, value.as_deref(), true);
                }
            }
        }
        out.extend_from_slice(b"</d:xcap-diff>\n");
    }

    /// The document as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write(&mut out);
        out
    }

    /// Reads an xcap-diff document.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(input)?;
        let root = doc.root_element().ok_or(Error::new(ErrorKind::UnexpectedRoot, 0))?;
        if !is(&doc, root, "xcap-diff") {
            return Err(Error::new(ErrorKind::UnexpectedRoot, 0));
        }
        let xcap_root = doc
            .attribute(root, None, "xcap-root")
            .ok_or(Error::new(ErrorKind::MissingAttribute("xcap-root"), 0))?
            .to_owned();
        let mut entries = Vec::new();
        for e in doc.child_elements(root) {
            let Some(sel) = doc.attribute(e, None, "sel") else { continue };
            // selectors in the examples are folded over lines
            let sel: String = sel.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
            let exists = doc.attribute(e, None, "exists").map(|v| matches!(v, "1" | "true"));
            if is(&doc, e, "document") {
                let body_not_changed =
                    doc.child_elements(e).any(|c| is(&doc, c, "body-not-changed"));
                let ops: Vec<NodeId> = doc
                    .child_elements(e)
                    .filter(|&c| {
                        is(&doc, c, "add") || is(&doc, c, "replace") || is(&doc, c, "remove")
                    })
                    .collect();
                let patch = (!ops.is_empty()).then(|| {
                    ops.iter()
                        .map(|&o| crate::server::standalone(&doc, o, None))
                        .collect::<String>()
                });
                entries.push(DiffEntry::Document {
                    sel,
                    previous_etag: doc.attribute(e, None, "previous-etag").map(str::to_owned),
                    new_etag: doc.attribute(e, None, "new-etag").map(str::to_owned),
                    body_not_changed,
                    patch,
                    namespaces: Vec::new(),
                });
            } else if is(&doc, e, "element") {
                let content =
                    doc.child_elements(e).next().map(|c| crate::server::standalone(&doc, c, None));
                entries.push(DiffEntry::Element { sel, exists, content });
            } else if is(&doc, e, "attribute") {
                let value = match exists {
                    Some(false) => None,
                    _ => Some(doc.string_value(e)),
                };
                entries.push(DiffEntry::Attribute { sel, exists, value });
            }
        }
        Ok(Self { xcap_root, entries })
    }
}

/// An `<element>` or `<attribute>` entry: the content is XML, or a value to escape.
fn write_node(
    out: &mut Vec<u8>,
    tag: &str,
    sel: &str,
    exists: Option<bool>,
    content: Option<&str>,
    escape: bool,
) {
    out.extend_from_slice(b" <d:");
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(b" sel=\"");
    escape_attr(sel, out);
    out.push(b'"');
    if let Some(x) = exists {
        out.extend_from_slice(if x { b" exists=\"1\"" } else { b" exists=\"0\"" });
    }
    match content {
        Some(c) => {
            out.push(b'>');
            if escape {
                escape_text(c, out);
            } else {
                out.extend_from_slice(c.as_bytes());
            }
            out.extend_from_slice(b"</d:");
            out.extend_from_slice(tag.as_bytes());
            out.extend_from_slice(b">\n");
        }
        None => out.extend_from_slice(b"/>\n"),
    }
}

fn is(doc: &Document, el: NodeId, local: &str) -> bool {
    doc.namespace(el) == Some(XCAP_DIFF_NS) && doc.name(el).is_some_and(|n| n.local() == local)
}

/// Applies the patch of a `<document>` entry (as [`XcapDiff::parse`] read it) to a local
/// copy.
pub fn apply_patch(patch: &str, target: &mut Document) -> Result<(), Error> {
    let wrapped = format!("<diff xmlns:d=\"{XCAP_DIFF_NS}\">{patch}</diff>");
    let p = simple_patch::Patch::parse(wrapped.as_bytes())?;
    p.apply(target)?;
    Ok(())
}
