//! The SDP media description of an MSRP session (RFC 4975 §8): `m=message <port> TCP/MSRP *`
//! (or `TCP/TLS/MSRP`) with `a=path`, `a=accept-types`, `a=accept-wrapped-types` and
//! `a=max-size`. Other attribute lines of the section are kept verbatim.

use core::fmt::Write as _;

use crate::error::{Error, ErrorKind};
use crate::uri::{MsrpUri, write_path};

/// The MSRP media section of an SDP offer or answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsrpMedia {
    /// The media port (0 rejects the stream).
    pub port: u16,
    /// `TCP/TLS/MSRP` rather than `TCP/MSRP`.
    pub tls: bool,
    /// `a=path`: the URIs to reach the endpoint, its own last.
    pub path: Vec<MsrpUri>,
    /// `a=accept-types` (§8.6); required.
    pub accept_types: Vec<String>,
    /// `a=accept-wrapped-types`.
    pub accept_wrapped_types: Vec<String>,
    /// `a=max-size`: the largest message the endpoint will receive.
    pub max_size: Option<u64>,
    /// Other lines of the media section, verbatim without their line ends.
    pub other: Vec<String>,
}

impl MsrpMedia {
    /// A media section for `path` accepting `accept_types`.
    pub fn new(path: Vec<MsrpUri>, accept_types: &[&str]) -> Self {
        let port = path.last().and_then(|u| u.port).unwrap_or(0);
        let tls = path.last().is_some_and(|u| u.secure);
        Self {
            port,
            tls,
            path,
            accept_types: accept_types.iter().map(|s| (*s).to_owned()).collect(),
            accept_wrapped_types: Vec::new(),
            max_size: None,
            other: Vec::new(),
        }
    }

    /// Finds the first `m=message` section of an SDP body (or fragment) and reads it.
    /// Offsets in errors are bytes into `sdp`.
    pub fn parse(sdp: &str) -> Result<Self, Error> {
        let mut media: Option<Self> = None;
        let mut at = 0;
        for raw in sdp.split_inclusive('\n') {
            let line = raw.trim_end_matches(['\r', '\n']);
            let here = at;
            at += raw.len();
            if line.is_empty() {
                continue;
            }
            let bad = |off: usize| Error::new(ErrorKind::InvalidSdp, here + off);
            let b = line.as_bytes();
            if b.len() < 2 || b[1] != b'=' || !b[0].is_ascii_lowercase() {
                return Err(bad(0));
            }
            // SDP text is any byte but NUL, CR and LF (RFC 4566 §9); refuse other controls too
            if let Some(i) = b.iter().position(|&c| c < 0x20 && c != b'\t' || c == 0x7F) {
                return Err(bad(i));
            }
            if let Some(m) = line.strip_prefix("m=") {
                if media.is_some() {
                    break; // the next media section
                }
                let mut it = m.split(' ');
                if it.next() != Some("message") {
                    continue;
                }
                let port: u16 = it.next().and_then(|p| p.parse().ok()).ok_or(bad(10))?;
                let tls = match it.next() {
                    Some(p) if p.eq_ignore_ascii_case("TCP/MSRP") => false,
                    Some(p) if p.eq_ignore_ascii_case("TCP/TLS/MSRP") => true,
                    _ => return Err(bad(2)),
                };
                if it.next() != Some("*") {
                    return Err(bad(2));
                }
                media = Some(Self {
                    port,
                    tls,
                    path: Vec::new(),
                    accept_types: Vec::new(),
                    accept_wrapped_types: Vec::new(),
                    max_size: None,
                    other: Vec::new(),
                });
                continue;
            }
            let Some(m) = media.as_mut() else { continue };
            if let Some(v) = line.strip_prefix("a=path:") {
                m.path = MsrpUri::parse_list(v).map_err(|e| e.shifted(here + 7))?;
            } else if let Some(v) = line.strip_prefix("a=accept-types:") {
                m.accept_types = media_types(v).ok_or(bad(15))?;
            } else if let Some(v) = line.strip_prefix("a=accept-wrapped-types:") {
                m.accept_wrapped_types = media_types(v).ok_or(bad(23))?;
            } else if let Some(v) = line.strip_prefix("a=max-size:") {
                m.max_size = Some(v.parse().map_err(|_| bad(11))?);
            } else {
                m.other.push(line.to_owned());
            }
        }
        let m = media.ok_or(Error::new(ErrorKind::InvalidSdp, sdp.len()))?;
        // a refused stream or a capability indication (port 0) may leave out its path
        if m.path.is_empty() && m.port != 0 {
            return Err(Error::new(ErrorKind::MissingHeader("a=path"), sdp.len()));
        }
        if m.accept_types.is_empty() {
            return Err(Error::new(ErrorKind::MissingHeader("a=accept-types"), sdp.len()));
        }
        Ok(m)
    }

    /// Writes the media section (`m=` line and attributes, CRLF-terminated).
    pub fn write(&self) -> String {
        let mut s = String::new();
        let proto = if self.tls { "TCP/TLS/MSRP" } else { "TCP/MSRP" };
        let _ = write!(s, "m=message {} {proto} *\r\n", self.port);
        let _ = write!(s, "a=accept-types:{}\r\n", self.accept_types.join(" "));
        if !self.accept_wrapped_types.is_empty() {
            let _ = write!(s, "a=accept-wrapped-types:{}\r\n", self.accept_wrapped_types.join(" "));
        }
        if let Some(n) = self.max_size {
            let _ = write!(s, "a=max-size:{n}\r\n");
        }
        if !self.path.is_empty() {
            // (a port-0 section may have none)
            let _ = write!(s, "a=path:{}\r\n", write_path(&self.path));
        }
        for o in &self.other {
            s.push_str(o);
            s.push_str("\r\n");
        }
        s
    }

    /// Whether a message of this media type may be sent as the root of a body (§8.6).
    pub fn accepts(&self, media_type: &str) -> bool {
        type_matches(&self.accept_types, media_type)
    }

    /// Whether this media type may be sent inside a container type.
    pub fn accepts_wrapped(&self, media_type: &str) -> bool {
        self.accepts(media_type) || type_matches(&self.accept_wrapped_types, media_type)
    }
}

/// A space-separated list of `*`, `type/*` or `type/subtype` (RFC 4975 §8.6 `format-list`).
fn media_types(v: &str) -> Option<Vec<String>> {
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes().all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&c))
    };
    v.split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| match t.split_once('/') {
            _ if t == "*" => Some(t.to_owned()),
            Some((a, b)) if token(a) && token(b) => Some(t.to_owned()),
            _ => None,
        })
        .collect()
}

/// Whether `media_type` (parameters ignored) is in `list` of `*`, `type/*` or `type/subtype`,
/// compared case-insensitively.
pub(crate) fn type_matches(list: &[String], media_type: &str) -> bool {
    let t = media_type.split(';').next().unwrap_or_default().trim();
    list.iter().any(|a| {
        a == "*"
            || a.eq_ignore_ascii_case(t)
            || a.strip_suffix("/*")
                .is_some_and(|p| t.split('/').next().is_some_and(|x| x.eq_ignore_ascii_case(p)))
    })
}
