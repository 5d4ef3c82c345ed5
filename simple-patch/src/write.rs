//! Serializing a [`Document`] or a subtree into a `BufMut`.
//!
//! Text and white space are written as stored; markup is normalized: one space before each
//! attribute, double quotes, empty elements as `<a/>`, and the minimal escapes (`&amp;`,
//! `&lt;`, `&gt;` in text; `&amp;`, `&lt;`, `&quot;` and tab/CR/LF character references in
//! attribute values) so that reading the output gives the same tree back.

use bytes::BufMut;
use core::fmt;

use crate::tree::{Document, NodeId, NodeKind, QName};

impl Document {
    /// Writes the whole document: XML declaration and DOCTYPE if it had them, then the
    /// children of the document node.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        if let Some(d) = &self.declaration {
            buf.put_slice(b"<?xml");
            buf.put_slice(d.as_bytes());
            buf.put_slice(b"?>");
        }
        let mut doctype_written = self.doctype.is_none();
        for c in self.children(Self::ROOT) {
            if !doctype_written && self.is_element(c) {
                self.write_doctype(buf);
                doctype_written = true;
            }
            self.write_node(c, buf);
        }
        if !doctype_written {
            self.write_doctype(buf);
        }
    }

    fn write_doctype<B: BufMut>(&self, buf: &mut B) {
        if let Some(d) = &self.doctype {
            buf.put_slice(b"<!DOCTYPE ");
            buf.put_slice(d.trim_start().as_bytes());
            buf.put_u8(b'>');
        }
    }

    /// The document as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.capacity() * 16);
        self.write(&mut v);
        v
    }

    /// Writes one node and its subtree (the document node writes its children).
    pub fn write_node<B: BufMut>(&self, id: NodeId, buf: &mut B) {
        let mut stack: Vec<(NodeId, bool)> = vec![(id, true)];
        while let Some((n, entering)) = stack.pop() {
            match self.kind(n) {
                NodeKind::Document => {
                    if entering {
                        let kids: Vec<NodeId> = self.children(n).collect();
                        stack.extend(kids.into_iter().rev().map(|k| (k, true)));
                    }
                }
                NodeKind::Element(e) => {
                    if !entering {
                        buf.put_slice(b"</");
                        write_qname(&e.name, buf);
                        buf.put_u8(b'>');
                        continue;
                    }
                    buf.put_u8(b'<');
                    write_qname(&e.name, buf);
                    for a in &e.attributes {
                        buf.put_u8(b' ');
                        write_qname(&a.name, buf);
                        buf.put_slice(b"=\"");
                        escape_attr(&a.value, buf);
                        buf.put_u8(b'"');
                    }
                    match self.last_child(n) {
                        None => buf.put_slice(b"/>"),
                        Some(mut c) => {
                            buf.put_u8(b'>');
                            stack.push((n, false));
                            loop {
                                stack.push((c, true));
                                match self.prev_sibling(c) {
                                    Some(p) => c = p,
                                    None => break,
                                }
                            }
                        }
                    }
                }
                NodeKind::Text(t) => escape_text(t, buf),
                NodeKind::Comment(t) => {
                    buf.put_slice(b"<!--");
                    buf.put_slice(t.as_bytes());
                    buf.put_slice(b"-->");
                }
                NodeKind::ProcessingInstruction { target, data } => {
                    buf.put_slice(b"<?");
                    buf.put_slice(target.as_bytes());
                    if !data.is_empty() {
                        buf.put_u8(b' ');
                        buf.put_slice(data.as_bytes());
                    }
                    buf.put_slice(b"?>");
                }
            }
        }
    }

    /// One node and its subtree as a string.
    pub fn node_to_string(&self, id: NodeId) -> String {
        let mut v = Vec::new();
        self.write_node(id, &mut v);
        // The writer only emits what the tree holds (valid UTF-8) and ASCII markup.
        String::from_utf8(v).unwrap_or_default()
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_vec()))
    }
}

fn write_qname<B: BufMut>(q: &QName, buf: &mut B) {
    buf.put_slice(q.as_str().as_bytes());
}

fn escape_with<B: BufMut>(s: &str, buf: &mut B, esc: fn(u8) -> Option<&'static [u8]>) {
    const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();
    let bytes = s.as_bytes();
    let mut from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Characters XML 1.0 cannot carry (C0 controls but tab, LF, CR; U+FFFE, U+FFFF),
        // which only a tree built by hand can hold, are written as U+FFFD.
        let (rep, len) = match b {
            0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F => (Some(REPLACEMENT), 1),
            0xEF if matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => {
                (Some(REPLACEMENT), 3)
            }
            _ => (esc(b), 1),
        };
        if let Some(rep) = rep {
            buf.put_slice(&bytes[from..i]);
            buf.put_slice(rep);
            from = i + len;
        }
        i += len;
    }
    buf.put_slice(&bytes[from..]);
}

/// Writes character data escaped (`&`, `<`, `>`, and CR as a reference so it survives
/// end-of-line normalization); characters XML cannot carry are written as U+FFFD.
pub fn escape_text<B: BufMut>(s: &str, buf: &mut B) {
    escape_with(s, buf, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

/// Writes a double-quoted attribute value escaped (`&`, `<`, `"`, and tab, LF, CR as
/// references so they survive attribute-value normalization); characters XML cannot carry are
/// written as U+FFFD.
pub fn escape_attr<B: BufMut>(s: &str, buf: &mut B) {
    escape_with(s, buf, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}
