//! Multipart bodies (RFC 2046 §5.1), as used by RLS notifications (`multipart/related`,
//! RFC 4662 §5 and RFC 2387) and multiple-recipient MESSAGE (`multipart/mixed`, RFC 5365).
//!
//! ```
//! use simple_sip::multipart::{Multipart, MultipartWriter};
//! use simple_sip::Header;
//!
//! let mut body = Vec::new();
//! let mut w = MultipartWriter::new(&mut body, "b0undary");
//! w.part(&[Header::new("Content-Type", b"text/plain")], b"one");
//! w.part(&[Header::new("Content-ID", b"<x@y>")], b"two");
//! w.finish();
//!
//! let mp = Multipart::parse(&body, "b0undary").unwrap();
//! let parts: Vec<_> = mp.parts().collect();
//! assert_eq!(parts.len(), 2);
//! assert_eq!(parts[1].body(), b"two");
//! assert_eq!(parts[1].header_str("content-id").unwrap().value(), b"<x@y>");
//! ```

use bytes::BufMut;

use crate::error::{Error, ErrorKind};
use crate::headers::{ContentType, TypedHeader};
use crate::message::{Header, HeaderName, Progress};

/// A validated multipart body: the parts between `--boundary` delimiters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Multipart<'a> {
    boundary: &'a str,
    /// From the first delimiter up to (not including) the close delimiter.
    body: &'a [u8],
    /// The number of parts.
    count: usize,
}

/// One body part: its header block and its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    head: &'a [u8],
    body: &'a [u8],
}

impl<'a> Multipart<'a> {
    /// Parses `body` with the boundary from the Content-Type's `boundary` parameter; every part
    /// is checked here, so iteration cannot fail. A preamble and an epilogue are ignored.
    pub fn parse(body: &'a [u8], boundary: &'a str) -> Result<Self, Error> {
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(Error::new(ErrorKind::InvalidMultipart, 0));
        }
        let first = find_delimiter(body, boundary, 0, true)
            .ok_or(Error::new(ErrorKind::InvalidMultipart, 0))?;
        let mut count = 0;
        let mut cursor = PartCursor { body, boundary, pos: first };
        let start = first;
        loop {
            match cursor.next_part()? {
                Some(part) => {
                    part.check()?;
                    count += 1;
                }
                None => {
                    // keep the close delimiter so `parts` finds the end of the last part
                    let end = (cursor.pos + 4 + boundary.len()).min(body.len());
                    return Ok(Self { boundary, body: &body[start..end], count });
                }
            }
        }
    }

    /// Parses a multipart body given its Content-Type, which must carry `boundary`.
    pub fn from_content_type(body: &'a [u8], ct: &'a ContentType<'_>) -> Result<Self, Error> {
        let raw = ct.params.get("boundary").ok_or(Error::new(ErrorKind::InvalidMultipart, 0))?;
        let boundary = raw.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(raw);
        Self::parse(body, boundary)
    }

    /// The boundary.
    pub const fn boundary(&self) -> &'a str {
        self.boundary
    }

    /// The number of parts.
    pub const fn len(&self) -> usize {
        self.count
    }

    /// True if there are no parts.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The parts in order.
    pub fn parts(&self) -> impl Iterator<Item = Part<'a>> + 'a {
        let mut cursor = PartCursor { body: self.body, boundary: self.boundary, pos: 0 };
        // validated in `parse`: errors cannot occur, and would end the iteration
        core::iter::from_fn(move || cursor.next_part().ok().flatten())
    }
}

impl<'a> Part<'a> {
    /// The content of the part.
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The part's headers, in order.
    pub fn headers(&self) -> impl Iterator<Item = Header<'a>> + 'a {
        let head = self.head;
        let mut pos = 0;
        core::iter::from_fn(move || match crate::message::parse_header_line(head, pos) {
            Ok(Progress::Complete(Some((h, next)))) => {
                pos = next;
                Some(h)
            }
            Ok(Progress::Complete(None) | Progress::Partial) | Err(_) => None,
        })
    }

    /// The first header named `name` (case-insensitive).
    pub fn header_str(&self, name: &str) -> Option<Header<'a>> {
        self.headers().find(|h| h.is(name))
    }

    /// The part's Content-Type (RFC 2046 default `text/plain` applies when absent: `Ok(None)`).
    pub fn content_type(&self) -> Result<Option<ContentType<'a>>, Error> {
        self.headers()
            .find(|h| h.kind() == HeaderName::ContentType)
            .map(|h| ContentType::parse(h.value()))
            .transpose()
    }

    /// The Content-ID without its angle brackets (the `cid` that RLMI `instance` refers to).
    pub fn content_id(&self) -> Option<&'a str> {
        let h = self.header_str("Content-ID")?;
        let v = core::str::from_utf8(h.value()).ok()?;
        Some(v.strip_prefix('<').and_then(|v| v.strip_suffix('>')).unwrap_or(v))
    }

    /// Checks the header block parses.
    fn check(&self) -> Result<(), Error> {
        let mut pos = 0;
        loop {
            match crate::message::parse_header_line(self.head, pos)? {
                Progress::Complete(Some((_, next))) => pos = next,
                Progress::Complete(None) => return Ok(()),
                Progress::Partial => return Err(Error::new(ErrorKind::InvalidMultipart, pos)),
            }
        }
    }
}

struct PartCursor<'a> {
    body: &'a [u8],
    boundary: &'a str,
    /// At a delimiter line (`--boundary`).
    pos: usize,
}

impl<'a> PartCursor<'a> {
    /// Reads the part after the delimiter at `pos`; `None` at the close delimiter.
    fn next_part(&mut self) -> Result<Option<Part<'a>>, Error> {
        let b = self.body;
        let after = self.pos + 2 + self.boundary.len();
        if b.get(after..after + 2) == Some(b"--") || after >= b.len() {
            return Ok(None);
        }
        // transport padding, then CRLF
        let mut i = after;
        while b.get(i).is_some_and(|&c| c == b' ' || c == b'\t') {
            i += 1;
        }
        match b.get(i..) {
            Some([b'\r', b'\n', ..]) => i += 2,
            Some([b'\n', ..]) => i += 1,
            _ => return Err(Error::new(ErrorKind::InvalidMultipart, i)),
        }
        let content_start = i;
        let next = find_delimiter(b, self.boundary, content_start, false)
            .ok_or(Error::new(ErrorKind::InvalidMultipart, content_start))?;
        // the CRLF before the delimiter belongs to the delimiter
        let mut content_end = next;
        if content_end > content_start && b.get(content_end - 1) == Some(&b'\n') {
            content_end -= 1;
            if content_end > content_start && b.get(content_end - 1) == Some(&b'\r') {
                content_end -= 1;
            }
        }
        let content = &b[content_start..content_end];
        // the header block ends at the first empty line; a part may have no headers
        let (head, body) = split_part(content);
        self.pos = next;
        Ok(Some(Part { head, body }))
    }
}

fn split_part(content: &[u8]) -> (&[u8], &[u8]) {
    match content {
        [b'\r', b'\n', rest @ ..] | [b'\n', rest @ ..] => return (&[], rest),
        _ => {}
    }
    let mut i = 0;
    while let Some(rel) = memchr::memchr(b'\n', &content[i..]) {
        let nl = i + rel;
        match content.get(nl + 1..) {
            Some([b'\r', b'\n', ..]) => return (&content[..nl + 3], &content[nl + 3..]),
            Some([b'\n', ..]) => return (&content[..nl + 2], &content[nl + 2..]),
            _ => i = nl + 1,
        }
    }
    // no empty line: all headers, empty content
    (content, &[])
}

/// Finds `--boundary` at a line start at or after `from` (`at_start`: also at `from` itself
/// without a preceding line break).
fn find_delimiter(b: &[u8], boundary: &str, from: usize, at_start: bool) -> Option<usize> {
    let finder = memchr::memmem::Finder::new(boundary.as_bytes());
    let mut i = from;
    while let Some(rel) = finder.find(b.get(i..)?) {
        let at = i + rel;
        let line_start = at >= 2 && &b[at - 2..at] == b"--";
        if line_start {
            let d = at - 2;
            let at_line =
                (at_start && d == from) || d == 0 || b.get(d.wrapping_sub(1)) == Some(&b'\n');
            if at_line {
                return Some(d);
            }
        }
        i = at + 1;
    }
    None
}

/// Writes a multipart body part by part.
#[derive(Debug)]
pub struct MultipartWriter<'a, B: BufMut> {
    buf: &'a mut B,
    boundary: &'a str,
}

impl<'a, B: BufMut> MultipartWriter<'a, B> {
    /// Starts a body with `boundary` (1 to 70 characters that occur in no part).
    pub fn new(buf: &'a mut B, boundary: &'a str) -> Self {
        Self { buf, boundary }
    }

    /// Writes one part.
    pub fn part(&mut self, headers: &[Header<'_>], body: &[u8]) -> &mut Self {
        self.buf.put_slice(b"--");
        self.buf.put_slice(self.boundary.as_bytes());
        self.buf.put_slice(b"\r\n");
        for h in headers {
            self.buf.put_slice(h.name().as_bytes());
            self.buf.put_slice(b": ");
            self.buf.put_slice(h.value());
            self.buf.put_slice(b"\r\n");
        }
        self.buf.put_slice(b"\r\n");
        self.buf.put_slice(body);
        self.buf.put_slice(b"\r\n");
        self
    }

    /// Writes the close delimiter.
    pub fn finish(self) {
        self.buf.put_slice(b"--");
        self.buf.put_slice(self.boundary.as_bytes());
        self.buf.put_slice(b"--\r\n");
    }
}
