//! File transfer descriptions (RFC 5547): the SDP attributes `file-selector` (name, type,
//! size, hash), `file-transfer-id`, `file-disposition`, `file-date`, `file-icon` and
//! `file-range`, offers and answers for pushing a file to the peer or pulling one from it,
//! and the SHA-1 the `hash` selector carries, computed over pieces.
//!
//! A file travels as **one** MSRP message (§8.7), numbered from byte 1 whatever its
//! `file-range`: to resume after a broken connection, offer the same file again with a new
//! `file-transfer-id` and `a=file-range:<first missing byte>-<size>`, and send that range as
//! the message ([`Session::send_stream`](crate::Session::send_stream)). The hash always covers
//! the whole file.

use core::fmt::{self, Write as _};

use sha1::{Digest, Sha1};

use crate::error::{Error, ErrorKind};
use crate::sdp::MsrpMedia;

/// A `hash` selector: an algorithm (`sha-1`) and the digest's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileHash {
    /// The hash algorithm's textual name, lower-cased (`sha-1`).
    pub algorithm: String,
    /// The digest.
    pub value: Vec<u8>,
}

impl FileHash {
    /// The SHA-1 of `data`.
    pub fn sha1(data: &[u8]) -> Self {
        let mut h = FileHasher::new();
        h.update(data);
        h.finish()
    }
}

impl fmt::Display for FileHash {
    /// `sha-1:72:24:5F:...` (upper-case hex bytes separated by colons, §6).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.algorithm)?;
        f.write_char(':')?;
        for (i, b) in self.value.iter().enumerate() {
            if i > 0 {
                f.write_char(':')?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// SHA-1 over a file fed in pieces, in order: the `hash` selector's value.
#[derive(Debug, Clone, Default)]
pub struct FileHasher(Sha1);

impl FileHasher {
    /// An empty hash.
    pub fn new() -> Self {
        Self(Sha1::new())
    }

    /// Adds the next bytes of the file.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The hash of everything fed.
    pub fn finish(self) -> FileHash {
        FileHash { algorithm: "sha-1".to_owned(), value: self.0.finalize().to_vec() }
    }
}

/// `a=file-selector`: what identifies the file. Empty for a capability query (§8.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileSelector {
    /// `name`, percent-decoded (sanitize it before using it as a local path: §6).
    pub name: Option<String>,
    /// `type`, with its parameters as written (`image/jpeg`).
    pub media_type: Option<String>,
    /// `size` in octets.
    pub size: Option<u64>,
    /// `hash` selectors (there may be several).
    pub hashes: Vec<FileHash>,
}

impl FileSelector {
    /// Reads the value after `file-selector:` (`None` for a bare `a=file-selector`).
    pub fn parse(v: &str) -> Result<Self, Error> {
        let bad = |at: usize| Error::new(ErrorKind::InvalidSdp, at);
        let mut sel = Self::default();
        let b = v.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b' ' {
                i += 1;
                continue;
            }
            let rest = &v[i..];
            if let Some(q) = rest.strip_prefix("name:\"") {
                let end = q.find('"').ok_or(bad(i))?;
                let raw = &q[..end];
                if raw.is_empty() || raw.bytes().any(|c| matches!(c, 0 | b'\r' | b'\n')) {
                    return Err(bad(i + 6));
                }
                sel.name = Some(percent_decode(raw).ok_or(bad(i + 6))?);
                i += 6 + end + 1;
                continue;
            }
            let end = rest.find(' ').unwrap_or(rest.len());
            let item = &rest[..end];
            if let Some(t) = item.strip_prefix("type:") {
                if !t.contains('/') || t.starts_with('/') {
                    return Err(bad(i + 5));
                }
                sel.media_type = Some(t.to_owned());
            } else if let Some(s) = item.strip_prefix("size:") {
                if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad(i + 5));
                }
                sel.size = Some(s.parse().map_err(|_| bad(i + 5))?);
            } else if let Some(h) = item.strip_prefix("hash:") {
                let (alg, hex) = h.split_once(':').ok_or(bad(i + 5))?;
                if alg.is_empty() || !alg.bytes().all(is_token) {
                    return Err(bad(i + 5));
                }
                let value: Option<Vec<u8>> = hex
                    .split(':')
                    .map(|x| {
                        (x.len() == 2 && x.bytes().all(|c| c.is_ascii_hexdigit()))
                            .then(|| u8::from_str_radix(x, 16).ok())
                            .flatten()
                    })
                    .collect();
                let value = value.ok_or(bad(i + 6 + alg.len()))?;
                sel.hashes.push(FileHash { algorithm: alg.to_ascii_lowercase(), value });
            } else {
                return Err(bad(i));
            }
            i += end;
        }
        Ok(sel)
    }

    /// Whether nothing is selected (a capability query).
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.media_type.is_none()
            && self.size.is_none()
            && self.hashes.is_empty()
    }

    /// The SHA-1 selector, if any.
    pub fn sha1(&self) -> Option<&FileHash> {
        self.hashes.iter().find(|h| h.algorithm == "sha-1")
    }

    /// Whether `other` (from an answer, or a file found locally) is the file this selects:
    /// every selector given here matches.
    pub fn selects(&self, other: &Self) -> bool {
        self.name.as_ref().is_none_or(|n| other.name.as_ref() == Some(n))
            && self.size.is_none_or(|s| other.size == Some(s))
            && self.media_type.as_ref().is_none_or(|t| {
                other.media_type.as_ref().is_some_and(|o| o.eq_ignore_ascii_case(t))
            })
            && self.hashes.iter().all(|h| other.hashes.contains(h))
    }
}

impl fmt::Display for FileSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(n) = &self.name {
            write!(f, "name:\"{}\"", percent_encode(n))?;
            sep = " ";
        }
        if let Some(t) = &self.media_type {
            write!(f, "{sep}type:{t}")?;
            sep = " ";
        }
        if let Some(s) = self.size {
            write!(f, "{sep}size:{s}")?;
            sep = " ";
        }
        for h in &self.hashes {
            write!(f, "{sep}hash:{h}")?;
            sep = " ";
        }
        Ok(())
    }
}

fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&c)
}

/// Percent-decodes a filename; the result must be UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes what a `name` selector cannot carry (NUL, CR, LF, `"`, `%`) and what a file
/// system reads as structure (`/`, `\`), §6.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' | '\r' | '\n' | '"' | '%' | '/' | '\\' => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `a=file-range`: the octets of the file this transfer carries, 1-based and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileRange {
    /// The first octet (1 is the start of the file).
    pub start: u64,
    /// The last octet, or `None` for `*` (size unknown).
    pub stop: Option<u64>,
}

impl FileRange {
    /// Reads `start-stop`.
    pub fn parse(v: &str) -> Result<Self, Error> {
        let bad = |at| Error::new(ErrorKind::InvalidSdp, at);
        let (a, b) = v.split_once('-').ok_or(bad(0))?;
        let num = |x: &str, at| {
            if x.is_empty() || !x.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad(at));
            }
            x.parse::<u64>().map_err(|_| bad(at))
        };
        let start = num(a, 0)?;
        let stop = if b == "*" { None } else { Some(num(b, a.len() + 1)?) };
        if start == 0 || stop.is_some_and(|s| s < start) {
            return Err(bad(0));
        }
        Ok(Self { start, stop })
    }

    /// How many octets it covers, given the file's size when the range ends with `*`.
    pub fn len(&self, file_size: u64) -> u64 {
        let stop = self.stop.unwrap_or(file_size).min(file_size);
        (stop + 1).saturating_sub(self.start)
    }

    /// Whether it covers nothing of a file of this size.
    pub fn is_empty(&self, file_size: u64) -> bool {
        self.len(file_size) == 0
    }

    /// 0-based offset of its first octet in the file.
    pub const fn offset(&self) -> u64 {
        self.start - 1
    }
}

impl fmt::Display for FileRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stop {
            Some(s) => write!(f, "{}-{s}", self.start),
            None => write!(f, "{}-*", self.start),
        }
    }
}

/// `a=file-date`: RFC 5322 date-times, as written (with a numeric zone).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileDate {
    /// `creation`.
    pub creation: Option<String>,
    /// `modification`.
    pub modification: Option<String>,
    /// `read`.
    pub read: Option<String>,
}

impl FileDate {
    /// Reads `creation:"..." modification:"..." read:"..."` (each at most once).
    pub fn parse(v: &str) -> Result<Self, Error> {
        let bad = |at| Error::new(ErrorKind::InvalidSdp, at);
        let mut d = Self::default();
        let mut rest = v;
        while !rest.is_empty() {
            let at = v.len() - rest.len();
            let trimmed = rest.trim_start_matches(' ');
            if trimmed.is_empty() {
                break;
            }
            let (name, after) = trimmed.split_once(":\"").ok_or(bad(at))?;
            let end = after.find('"').ok_or(bad(at))?;
            let value = after[..end].to_owned();
            let slot = match name {
                "creation" => &mut d.creation,
                "modification" => &mut d.modification,
                "read" => &mut d.read,
                _ => return Err(bad(at)),
            };
            if slot.replace(value).is_some() {
                return Err(bad(at));
            }
            rest = &after[end + 1..];
        }
        Ok(d)
    }

    /// Whether no date is given.
    pub const fn is_empty(&self) -> bool {
        self.creation.is_none() && self.modification.is_none() && self.read.is_none()
    }
}

impl fmt::Display for FileDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for (n, v) in [
            ("creation", &self.creation),
            ("modification", &self.modification),
            ("read", &self.read),
        ] {
            if let Some(v) = v {
                write!(f, "{sep}{n}:\"{v}\"")?;
                sep = " ";
            }
        }
        Ok(())
    }
}

/// Which way the file goes, from the point of view of the SDP's author (`a=sendonly` /
/// `a=recvonly`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileDirection {
    /// The author sends the file (push offer, or the answer to a pull).
    Send,
    /// The author receives it (pull offer, or the answer to a push).
    Receive,
}

/// The RFC 5547 description of one file in an MSRP media section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTransfer {
    /// Which way the file goes for the SDP's author.
    pub direction: FileDirection,
    /// `a=file-selector`.
    pub selector: FileSelector,
    /// `a=file-transfer-id`: a new value is a new transfer (§8.1).
    pub transfer_id: Option<String>,
    /// `a=file-disposition` (`render`, `attachment`, ...).
    pub disposition: Option<String>,
    /// `a=file-date`.
    pub date: FileDate,
    /// `a=file-icon` (a `cid:` URL).
    pub icon: Option<String>,
    /// `a=file-range`.
    pub range: Option<FileRange>,
}

impl FileTransfer {
    /// A transfer of a file described by `selector`.
    pub fn new(direction: FileDirection, selector: FileSelector, transfer_id: &str) -> Self {
        Self {
            direction,
            selector,
            transfer_id: Some(transfer_id.to_owned()),
            disposition: None,
            date: FileDate::default(),
            icon: None,
            range: None,
        }
    }

    /// Reads the attributes of a media section (its `other` lines); `None` if it has no
    /// `a=file-selector`. Offsets in errors count from the start of the offending line.
    pub fn from_media(media: &MsrpMedia) -> Result<Option<Self>, Error> {
        let mut selector = None;
        let mut t = Self {
            direction: FileDirection::Send,
            selector: FileSelector::default(),
            transfer_id: None,
            disposition: None,
            date: FileDate::default(),
            icon: None,
            range: None,
        };
        let mut direction = None;
        for line in &media.other {
            let shift = |e: Error, n: usize| e.shifted(n);
            if line == "a=file-selector" {
                selector = Some(FileSelector::default());
            } else if let Some(v) = line.strip_prefix("a=file-selector:") {
                selector = Some(FileSelector::parse(v).map_err(|e| shift(e, 16))?);
            } else if let Some(v) = line.strip_prefix("a=file-transfer-id:") {
                if v.is_empty() || !v.bytes().all(is_token) {
                    return Err(Error::new(ErrorKind::InvalidSdp, 19));
                }
                t.transfer_id = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("a=file-disposition:") {
                if v.is_empty() || !v.bytes().all(is_token) {
                    return Err(Error::new(ErrorKind::InvalidSdp, 19));
                }
                t.disposition = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("a=file-date:") {
                t.date = FileDate::parse(v).map_err(|e| shift(e, 12))?;
            } else if let Some(v) = line.strip_prefix("a=file-icon:") {
                t.icon = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("a=file-range:") {
                t.range = Some(FileRange::parse(v).map_err(|e| shift(e, 13))?);
            } else if line == "a=sendonly" {
                direction = Some(FileDirection::Send);
            } else if line == "a=recvonly" {
                direction = Some(FileDirection::Receive);
            }
        }
        let Some(selector) = selector else { return Ok(None) };
        t.selector = selector;
        t.direction = direction.unwrap_or(FileDirection::Send);
        Ok(Some(t))
    }

    /// Writes the attributes into `media` (replacing any there: the lines RFC 5547 defines and
    /// `a=sendonly`/`a=recvonly`).
    pub fn write_to(&self, media: &mut MsrpMedia) {
        media.other.retain(|l| {
            !(l.starts_with("a=file-")
                || l == "a=sendonly"
                || l == "a=recvonly"
                || l == "a=sendrecv")
        });
        media.other.push(
            match self.direction {
                FileDirection::Send => "a=sendonly",
                FileDirection::Receive => "a=recvonly",
            }
            .to_owned(),
        );
        if self.selector.is_empty() {
            media.other.push("a=file-selector".to_owned());
        } else {
            media.other.push(format!("a=file-selector:{}", self.selector));
        }
        if let Some(id) = &self.transfer_id {
            media.other.push(format!("a=file-transfer-id:{id}"));
        }
        if let Some(d) = &self.disposition {
            media.other.push(format!("a=file-disposition:{d}"));
        }
        if !self.date.is_empty() {
            media.other.push(format!("a=file-date:{}", self.date));
        }
        if let Some(i) = &self.icon {
            media.other.push(format!("a=file-icon:{i}"));
        }
        if let Some(r) = &self.range {
            media.other.push(format!("a=file-range:{r}"));
        }
    }

    /// The answer to this offer by the other side (§8.3): the opposite direction, the same
    /// selector, transfer id and range; the caller sets path and accept-types on `media`
    /// (port 0 there refuses the file). For a pull, `found` is the file the answerer will
    /// send (its full selector: name, size, hash).
    pub fn answer(&self, found: Option<&FileSelector>) -> Self {
        let mut a = self.clone();
        a.direction = match self.direction {
            FileDirection::Send => FileDirection::Receive,
            FileDirection::Receive => FileDirection::Send,
        };
        if let Some(f) = found {
            a.selector = f.clone();
        }
        a
    }

    /// How many octets the MSRP message carries, for a file of `file_size` octets.
    pub fn message_len(&self, file_size: u64) -> u64 {
        self.range.map_or(file_size, |r| r.len(file_size))
    }

    /// Whether this description starts a new transfer rather than repeating `previous`
    /// (a re-INVITE carrying the same SDP, §8.1).
    pub fn is_new_transfer(&self, previous: &Self) -> bool {
        self.transfer_id != previous.transfer_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_selector_and_sha1() {
        // FIPS 180-1: SHA-1("abc")
        let h = FileHash::sha1(b"abc");
        assert_eq!(
            h.to_string(),
            "sha-1:A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D"
        );
        let mut p = FileHasher::new();
        p.update(b"a");
        p.update(b"bc");
        assert_eq!(p.finish(), h);
    }

    #[test]
    fn names_are_percent_encoded_both_ways() {
        let s = FileSelector { name: Some("a \"b\"/c%.txt".to_owned()), ..FileSelector::default() };
        let text = s.to_string();
        assert_eq!(text, "name:\"a %22b%22%2Fc%25.txt\"");
        assert_eq!(FileSelector::parse(&text).unwrap(), s);
    }

    #[test]
    fn ranges() {
        let r = FileRange::parse("1025-*").unwrap();
        assert_eq!((r.offset(), r.len(4096)), (1024, 3072));
        assert_eq!(FileRange::parse("5-4").unwrap_err().kind(), ErrorKind::InvalidSdp);
        assert!(FileRange::parse("0-4").is_err());
        assert_eq!(FileRange::parse("1-32349").unwrap().to_string(), "1-32349");
    }
}
