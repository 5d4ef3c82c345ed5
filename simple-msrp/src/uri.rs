//! MSRP URIs (RFC 4975 §6, §9): `msrp[s]://[userinfo@]host[:port][/session-id];transport*(;param)`.

use core::fmt;

use crate::error::{Error, ErrorKind};

/// An MSRP or MSRPS URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MsrpUri {
    /// `msrps`: the connection must use TLS.
    pub secure: bool,
    /// The userinfo part, if any (never compared).
    pub userinfo: Option<String>,
    /// Host name, IPv4 address, or bracketed IPv6 reference, as written.
    pub host: String,
    /// The port, if present.
    pub port: Option<u16>,
    /// The session-id, if present.
    pub session_id: Option<String>,
    /// The transport parameter (`tcp`).
    pub transport: String,
    /// Further URI parameters, `name` or `name=value`.
    pub params: Vec<(String, Option<String>)>,
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn token_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x27 | 0x2A..=0x2B | 0x2D..=0x2E | 0x30..=0x39 | 0x41..=0x5A | 0x5E..=0x7E)
}

impl MsrpUri {
    /// A URI for a session on `host:port` over TCP.
    pub fn new(host: impl Into<String>, port: u16, session_id: impl Into<String>) -> Self {
        Self {
            secure: false,
            userinfo: None,
            host: host.into(),
            port: Some(port),
            session_id: Some(session_id.into()),
            transport: "tcp".to_owned(),
            params: Vec::new(),
        }
    }

    /// Parses an MSRP URI.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |at: usize| Error::new(ErrorKind::InvalidUri, at);
        let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
        let (secure, mut at) = if lower.starts_with("msrps://") {
            (true, 8)
        } else if lower.starts_with("msrp://") {
            (false, 7)
        } else {
            return Err(bad(0));
        };
        let b = s.as_bytes();
        // authority runs to '/' or ';'
        let auth_end = s[at..].find(['/', ';']).map_or(s.len(), |i| at + i);
        let authority = &s[at..auth_end];
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        if let Some(u) = userinfo {
            if u.is_empty()
                || u.contains(':')
                || !u.bytes().all(|c| {
                    unreserved(c)
                        || matches!(
                            c,
                            b'%' | b'!'
                                | b'$'
                                | b'&'
                                | b'\''
                                | b'('
                                | b')'
                                | b'*'
                                | b'+'
                                | b','
                                | b'='
                        )
                })
            {
                return Err(bad(at));
            }
        }
        let host_at = at + userinfo.map_or(0, |u| u.len() + 1);
        let (host, port) = if hostport.starts_with('[') {
            let close = hostport.find(']').ok_or(bad(host_at))?;
            let h = &hostport[..=close];
            if !h[1..close].bytes().all(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.'))
                || close < 3
            {
                return Err(bad(host_at));
            }
            let rest = &hostport[close + 1..];
            let port = match rest.strip_prefix(':') {
                Some(p) => Some(p),
                None if rest.is_empty() => None,
                None => return Err(bad(host_at + close + 1)),
            };
            (h, port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty()
            || !(host.starts_with('[')
                || host.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.')))
        {
            return Err(bad(host_at));
        }
        let port = match port {
            None => None,
            Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|c| c.is_ascii_digit()) => {
                Some(p.parse::<u16>().map_err(|_| bad(host_at + host.len() + 1))?)
            }
            Some(_) => return Err(bad(host_at + host.len() + 1)),
        };
        at = auth_end;
        let mut session_id = None;
        if b.get(at) == Some(&b'/') {
            let end = s[at..].find(';').map_or(s.len(), |i| at + i);
            let sid = &s[at + 1..end];
            if sid.is_empty()
                || !sid.bytes().all(|c| unreserved(c) || matches!(c, b'+' | b'=' | b'/' | b'%'))
            {
                return Err(bad(at + 1));
            }
            session_id = Some(sid.to_owned());
            at = end;
        }
        if b.get(at) != Some(&b';') {
            return Err(bad(at)); // the transport is mandatory
        }
        let mut parts = s[at + 1..].split(';');
        let transport = parts.next().unwrap_or_default();
        if transport.is_empty() || !transport.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad(at + 1));
        }
        let mut params = Vec::new();
        let mut off = at + 1 + transport.len();
        for p in parts {
            let (n, v) = match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            };
            if n.is_empty()
                || !n.bytes().all(token_char)
                || v.is_some_and(|v| v.is_empty() || !v.bytes().all(token_char))
            {
                return Err(bad(off + 1));
            }
            params.push((n.to_owned(), v.map(str::to_owned)));
            off += p.len() + 1;
        }
        Ok(Self {
            secure,
            userinfo: userinfo.map(str::to_owned),
            host: host.to_owned(),
            port,
            session_id,
            transport: transport.to_owned(),
            params,
        })
    }

    /// Parses a space-separated list of URIs (To-Path, From-Path, SDP `a=path`).
    pub fn parse_list(s: &str) -> Result<Vec<Self>, Error> {
        let mut out = Vec::new();
        let mut off = 0;
        for part in s.split(' ') {
            if part.is_empty() {
                return Err(Error::new(ErrorKind::InvalidUri, off));
            }
            out.push(Self::parse(part).map_err(|e| e.shifted(off))?);
            off += part.len() + 1;
        }
        Ok(out)
    }

    /// RFC 4975 §6.1 comparison: scheme, host (case-insensitive), port, session-id (case
    /// sensitive) and transport (case-insensitive) must match; userinfo and other parameters
    /// are ignored.
    pub fn matches(&self, other: &Self) -> bool {
        self.secure == other.secure
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.port == other.port
            && self.session_id == other.session_id
            && self.transport.eq_ignore_ascii_case(&other.transport)
    }

    /// Writes the URI.
    pub fn write(&self, out: &mut String) {
        use core::fmt::Write as _;
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for MsrpUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "msrps://" } else { "msrp://" })?;
        if let Some(u) = &self.userinfo {
            write!(f, "{u}@")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        if let Some(s) = &self.session_id {
            write!(f, "/{s}")?;
        }
        write!(f, ";{}", self.transport)?;
        for (n, v) in &self.params {
            match v {
                Some(v) => write!(f, ";{n}={v}")?,
                None => write!(f, ";{n}")?,
            }
        }
        Ok(())
    }
}

/// Writes a path (space-separated URIs).
pub(crate) fn write_path(path: &[MsrpUri]) -> String {
    let mut s = String::new();
    for (i, u) in path.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        u.write(&mut s);
    }
    s
}
