//! URIs: SIP and SIPS (RFC 3261 §19.1, §25.1), tel (RFC 3966), and any other absolute URI
//! (`pres:`, `im:`, `http:` ...) kept verbatim.

use alloc::borrow::Cow;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use bytes::BufMut;

use crate::error::{Error, ErrorKind};
use crate::params::{ParamKind, Params};
use crate::scan::{Cursor, HNVCHAR, HOSTCHAR, PASSWORD, URIC, USER, write_decimal};

/// A URI as found in a Request-URI or a name-addr: borrowed from the input when parsed; owned
/// (`Uri<'static>`) after [`Uri::into_owned`], for a state machine to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri<'a> {
    /// `sip:` or `sips:`
    Sip(SipUri<'a>),
    /// `tel:` (RFC 3966)
    Tel(TelUri<'a>),
    /// Any other `absoluteURI`.
    Other(AbsoluteUri<'a>),
}

/// `sip` or `sips`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `sip:`
    Sip,
    /// `sips:` (TLS on every hop)
    Sips,
}

/// `SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri<'a> {
    /// `sip` or `sips`.
    pub scheme: Scheme,
    /// The user part, still %-escaped; see [`SipUri::user_unescaped`].
    pub user: Option<Cow<'a, str>>,
    /// The password (deprecated by RFC 3261 but parsed).
    pub password: Option<Cow<'a, str>>,
    /// The host.
    pub host: Host<'a>,
    /// The port, if given.
    pub port: Option<u16>,
    /// `uri-parameters`: `;transport=tcp;lr` ...
    pub params: Params<'a>,
    /// `headers` after `?`, without the `?`, still escaped.
    pub headers: Option<Cow<'a, str>>,
}

/// `host = hostname / IPv4address / IPv6reference`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A domain name as written.
    Domain(Cow<'a, str>),
    /// A dotted-quad address.
    Ipv4(Ipv4Addr),
    /// A bracketed IPv6 address.
    Ipv6(Ipv6Addr),
}

/// `tel:` URI: a global (`+1-201-555-0123`) or local number and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelUri<'a> {
    /// The number with its visual separators.
    pub number: Cow<'a, str>,
    /// `;phone-context=...;ext=...`
    pub params: Params<'a>,
}

/// An absolute URI of a scheme without a typed model here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsoluteUri<'a> {
    /// The scheme, e.g. `pres`.
    pub scheme: Cow<'a, str>,
    /// Everything after `scheme:`.
    pub rest: Cow<'a, str>,
}

/// `Some(borrowed)` to `Some(owned)`.
fn own(s: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    s.map(|s| Cow::Owned(s.into_owned()))
}

impl<'a> Uri<'a> {
    /// Parses a whole URI.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        Self::parse_at(s, 0)
    }

    pub(crate) fn parse_at(s: &'a str, base: usize) -> Result<Self, Error> {
        let b = s.as_bytes();
        let colon =
            memchr::memchr(b':', b).ok_or(Error::new(ErrorKind::Expected("URI scheme"), base))?;
        let scheme = &s[..colon];
        let valid_scheme = scheme.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && scheme.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
        if !valid_scheme {
            return Err(Error::new(ErrorKind::InvalidUri, base));
        }
        if scheme.eq_ignore_ascii_case("sip") {
            SipUri::parse_rest(Scheme::Sip, s, colon + 1, base).map(Self::Sip)
        } else if scheme.eq_ignore_ascii_case("sips") {
            SipUri::parse_rest(Scheme::Sips, s, colon + 1, base).map(Self::Sip)
        } else if scheme.eq_ignore_ascii_case("tel") {
            TelUri::parse_rest(s, colon + 1, base).map(Self::Tel)
        } else {
            let rest = &s[colon + 1..];
            let mut c = Cursor::with_base(rest.as_bytes(), base + colon + 1);
            c.take_while(&URIC);
            if rest.is_empty() || !c.is_empty() {
                return Err(c.err(ErrorKind::InvalidUri));
            }
            Ok(Self::Other(AbsoluteUri { scheme: scheme.into(), rest: rest.into() }))
        }
    }

    /// The same URI, owning its text.
    pub fn into_owned(self) -> Uri<'static> {
        match self {
            Self::Sip(u) => Uri::Sip(u.into_owned()),
            Self::Tel(t) => Uri::Tel(TelUri {
                number: t.number.into_owned().into(),
                params: t.params.into_owned(),
            }),
            Self::Other(o) => Uri::Other(AbsoluteUri {
                scheme: o.scheme.into_owned().into(),
                rest: o.rest.into_owned().into(),
            }),
        }
    }

    /// The SIP URI, if this is one.
    pub const fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Self::Sip(u) => Some(u),
            Self::Tel(_) | Self::Other(_) => None,
        }
    }

    /// Writes the URI.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        match self {
            Self::Sip(u) => u.write(buf),
            Self::Tel(t) => {
                buf.put_slice(b"tel:");
                buf.put_slice(t.number.as_bytes());
                buf.put_slice(t.params.as_str().as_bytes());
            }
            Self::Other(o) => {
                buf.put_slice(o.scheme.as_bytes());
                buf.put_u8(b':');
                buf.put_slice(o.rest.as_bytes());
            }
        }
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::new();
        self.write(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}

/// Checks that every `%` in `s` starts a `%HH` escape.
fn check_escapes(s: &[u8], base: usize) -> Result<(), Error> {
    let mut i = 0;
    while let Some(rel) = memchr::memchr(b'%', s.get(i..).unwrap_or_default()) {
        let p = i + rel;
        let ok = s.get(p + 1).is_some_and(u8::is_ascii_hexdigit)
            && s.get(p + 2).is_some_and(u8::is_ascii_hexdigit);
        if !ok {
            return Err(Error::new(ErrorKind::InvalidEscape, base + p));
        }
        i = p + 3;
    }
    Ok(())
}

/// Decodes `%HH` escapes; borrows when there are none.
pub fn unescape(s: &str) -> Cow<'_, str> {
    decode_escapes(s, |_| false)
}

/// Decodes each `%HH` escape unless `keep(byte)`, which writes it back as `%HH` with upper-case
/// digits; borrows when there are no escapes. Bytes that are not UTF-8 once decoded become
/// U+FFFD.
fn decode_escapes(s: &str, keep: impl Fn(u8) -> bool) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c))) {
            (b'%', Some(h), Some(l)) => {
                let byte = (h * 16 + l) as u8; // two hex digits make a value below 256
                if keep(byte) {
                    out.extend_from_slice(format!("%{byte:02X}").as_bytes());
                } else {
                    out.push(byte);
                }
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

impl<'a> SipUri<'a> {
    /// Parses a `sip:` or `sips:` URI.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        match Uri::parse(s)? {
            Uri::Sip(u) => Ok(u),
            Uri::Tel(_) | Uri::Other(_) => {
                Err(Error::new(ErrorKind::Expected("sip: or sips: URI"), 0))
            }
        }
    }

    fn parse_rest(scheme: Scheme, s: &'a str, from: usize, base: usize) -> Result<Self, Error> {
        let b = s.as_bytes();
        let mut pos = from;
        let (mut user, mut password) = (None, None);
        // '@' cannot appear after the userinfo: the first one ends it
        if let Some(rel) = memchr::memchr(b'@', &b[from..]) {
            let at = from + rel;
            let info = &b[from..at];
            let (u, p) = match memchr::memchr(b':', info) {
                Some(c) => (&info[..c], Some((&info[c + 1..], from + c + 1))),
                None => (info, None),
            };
            if u.is_empty() || !u.iter().all(|&c| USER[c as usize]) {
                return Err(Error::new(ErrorKind::InvalidUri, base + from));
            }
            check_escapes(u, base + from)?;
            user = Some(Cow::Borrowed(&s[from..from + u.len()]));
            if let Some((p, p_at)) = p {
                if !p.iter().all(|&c| PASSWORD[c as usize]) {
                    return Err(Error::new(ErrorKind::InvalidUri, base + p_at));
                }
                check_escapes(p, base + p_at)?;
                password = Some(Cow::Borrowed(&s[p_at..at]));
            }
            pos = at + 1;
        }
        let mut c = Cursor::with_base(b, base);
        c.advance(pos);
        let host = parse_host(&mut c, s)?;
        let port = parse_port(&mut c)?;
        let params_start = c.pos();
        Params::scan(&mut c, ParamKind::Uri)?;
        let params = Params::new(&s[params_start..c.pos()]);
        let headers = if c.eat(b'?') {
            let h_at = c.pos();
            let h = c.take_while(&HNV_OR_SEP);
            check_escapes(h, c.offset() - h.len())?;
            Some(Cow::Borrowed(&s[h_at..c.pos()]))
        } else {
            None
        };
        if !c.is_empty() {
            return Err(c.err(ErrorKind::InvalidUri));
        }
        Ok(Self { scheme, user, password, host, port, params, headers })
    }

    /// The user part with `%HH` escapes decoded.
    pub fn user_unescaped(&self) -> Option<Cow<'_, str>> {
        self.user.as_deref().map(unescape)
    }

    /// The same URI, owning its text.
    pub fn into_owned(self) -> SipUri<'static> {
        SipUri {
            scheme: self.scheme,
            user: own(self.user),
            password: own(self.password),
            host: self.host.into_owned(),
            port: self.port,
            params: self.params.into_owned(),
            headers: own(self.headers),
        }
    }

    /// Writes the URI.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(match self.scheme {
            Scheme::Sip => b"sip:",
            Scheme::Sips => b"sips:",
        });
        if let Some(u) = &self.user {
            buf.put_slice(u.as_bytes());
            if let Some(p) = &self.password {
                buf.put_u8(b':');
                buf.put_slice(p.as_bytes());
            }
            buf.put_u8(b'@');
        }
        self.host.write(buf);
        if let Some(p) = self.port {
            buf.put_u8(b':');
            write_decimal(buf, u64::from(p));
        }
        buf.put_slice(self.params.as_str().as_bytes());
        if let Some(h) = &self.headers {
            buf.put_u8(b'?');
            buf.put_slice(h.as_bytes());
        }
    }
}

static HNV_OR_SEP: [bool; 256] = {
    let mut t = HNVCHAR;
    t[b'=' as usize] = true;
    t[b'&' as usize] = true;
    t
};

/// Parses `host` at the cursor; `s` is the text the cursor walks.
pub(crate) fn parse_host<'a>(c: &mut Cursor<'_>, s: &'a str) -> Result<Host<'a>, Error> {
    let start = c.pos();
    if c.eat(b'[') {
        let inner = c.take_while(&IPV6CHAR);
        let addr = core::str::from_utf8(inner).ok().and_then(|t| t.parse::<Ipv6Addr>().ok());
        let Some(addr) = addr else {
            return Err(c.err_at(ErrorKind::InvalidHost, start));
        };
        c.expect(b']', "']'")?;
        return Ok(Host::Ipv6(addr));
    }
    let h = c.take_while(&HOSTCHAR_U);
    if h.is_empty() || h.starts_with(b".") || h.starts_with(b"-") {
        return Err(c.err_at(ErrorKind::InvalidHost, start));
    }
    let text = s.get(start..c.pos()).ok_or(c.err_at(ErrorKind::InvalidHost, start))?;
    if h.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return text
            .parse::<Ipv4Addr>()
            .map(Host::Ipv4)
            .map_err(|_| c.err_at(ErrorKind::InvalidHost, start));
    }
    Ok(Host::Domain(Cow::Borrowed(text)))
}

/// `[ ":" port ]`
pub(crate) fn parse_port(c: &mut Cursor<'_>) -> Result<Option<u16>, Error> {
    if !c.eat(b':') {
        return Ok(None);
    }
    let at = c.pos();
    let n = c.u32().map_err(|_| c.err_at(ErrorKind::InvalidPort, at))?;
    u16::try_from(n).map(Some).map_err(|_| c.err_at(ErrorKind::InvalidPort, at))
}

static IPV6CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_hexdigit() || c == b':' || c == b'.';
        i += 1;
    }
    t
};

/// Host characters plus `_`, which real deployments use in host names.
static HOSTCHAR_U: [bool; 256] = {
    let mut t = HOSTCHAR;
    t[b'_' as usize] = true;
    t
};

impl Host<'_> {
    /// The same host, owning its text.
    pub fn into_owned(self) -> Host<'static> {
        match self {
            Self::Domain(d) => Host::Domain(Cow::Owned(d.into_owned())),
            Self::Ipv4(a) => Host::Ipv4(a),
            Self::Ipv6(a) => Host::Ipv6(a),
        }
    }

    /// Writes the host (IPv6 in brackets).
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        match self {
            Self::Domain(d) => buf.put_slice(d.as_bytes()),
            Self::Ipv4(a) => buf.put_slice(a.to_string().as_bytes()),
            Self::Ipv6(a) => {
                buf.put_u8(b'[');
                buf.put_slice(a.to_string().as_bytes());
                buf.put_u8(b']');
            }
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Domain(d) => f.write_str(d),
            Self::Ipv4(a) => write!(f, "{a}"),
            Self::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

impl<'a> TelUri<'a> {
    fn parse_rest(s: &'a str, from: usize, base: usize) -> Result<Self, Error> {
        let b = s.as_bytes();
        let mut c = Cursor::with_base(b, base);
        c.advance(from);
        let num = c.take_while(&TELCHAR);
        if num.is_empty() {
            return Err(c.err(ErrorKind::InvalidUri));
        }
        let number = &s[from..c.pos()];
        let params_start = c.pos();
        Params::scan(&mut c, ParamKind::Uri)?;
        if !c.is_empty() {
            return Err(c.err(ErrorKind::InvalidUri));
        }
        Ok(Self { number: number.into(), params: Params::new(&s[params_start..]) })
    }
}

/// RFC 3966 number characters: digits, hex digits, `* # + - . ( )` and pause/wait letters.
static TELCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_hexdigit()
            || matches!(
                c,
                b'*' | b'#' | b'+' | b'-' | b'.' | b'(' | b')' | b'p' | b'w' | b'P' | b'W'
            );
        i += 1;
    }
    t
};

/// URI comparison (RFC 3261 §19.1.4), which derived `PartialEq` (byte-wise) is not.
impl SipUri<'_> {
    /// Whether `self` and `other` are equivalent URIs by RFC 3261 §19.1.4: the schemes match;
    /// the userinfo matches case-sensitively, the host case-insensitively, the port exactly
    /// (absent is not 5060); parameters in both match case-insensitively, `user`, `ttl`,
    /// `method`, `maddr` and `transport` in only one never match, others in only one are
    /// ignored; headers must be the same set. Escapes of characters outside the `reserved`
    /// set equal the characters themselves.
    pub fn equivalent(&self, other: &SipUri<'_>) -> bool {
        let same =
            |a: Option<&str>, b: Option<&str>| a.map(normalize_escapes) == b.map(normalize_escapes);
        self.scheme == other.scheme
            && same(self.user.as_deref(), other.user.as_deref())
            && same(self.password.as_deref(), other.password.as_deref())
            && hosts_equivalent(&self.host, &other.host)
            && self.port == other.port
            && params_equivalent(&self.params, &other.params)
            && headers_equivalent(self.headers.as_deref(), other.headers.as_deref())
    }
}

impl Uri<'_> {
    /// Whether two URIs are equivalent: SIP and SIPS URIs by RFC 3261 §19.1.4
    /// ([`SipUri::equivalent`]); `tel:` URIs by RFC 3966 §4 (numbers without visual
    /// separators, parameters in any order, case-insensitively); other URIs by scheme
    /// (case-insensitive) and text.
    pub fn equivalent(&self, other: &Uri<'_>) -> bool {
        match (self, other) {
            (Self::Sip(a), Uri::Sip(b)) => a.equivalent(b),
            (Self::Tel(a), Uri::Tel(b)) => {
                let digits = |n: &str| {
                    n.chars()
                        .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
                        .map(|c| c.to_ascii_lowercase())
                        .collect::<String>()
                };
                let params = |p: &Params<'_>| {
                    let mut v: Vec<(String, Option<String>)> = p
                        .iter()
                        .map(|p| {
                            (p.name.to_ascii_lowercase(), p.value.map(str::to_ascii_lowercase))
                        })
                        .collect();
                    v.sort();
                    v
                };
                digits(&a.number) == digits(&b.number) && params(&a.params) == params(&b.params)
            }
            (Self::Other(a), Uri::Other(b)) => {
                a.scheme.eq_ignore_ascii_case(&b.scheme)
                    && normalize_escapes(&a.rest) == normalize_escapes(&b.rest)
            }
            (Self::Sip(_) | Self::Tel(_) | Self::Other(_), _) => false,
        }
    }
}

/// `%HH` escapes of characters outside `reserved` (RFC 3261 §25.1: `; / ? : @ & = + $ ,`)
/// decoded, the others kept with upper-case digits: the form in which escaped and plain
/// spellings of the same URI compare equal.
fn normalize_escapes(s: &str) -> Cow<'_, str> {
    decode_escapes(s, |b| !b.is_ascii_graphic() || b";/?:@&=+$,%".contains(&b))
}

fn hosts_equivalent(a: &Host<'_>, b: &Host<'_>) -> bool {
    match (a, b) {
        (Host::Domain(x), Host::Domain(y)) => x.eq_ignore_ascii_case(y),
        (Host::Ipv4(x), Host::Ipv4(y)) => x == y,
        (Host::Ipv6(x), Host::Ipv6(y)) => x == y,
        (Host::Domain(_) | Host::Ipv4(_) | Host::Ipv6(_), _) => false,
    }
}

/// The parameters that never match when only one URI has them (§19.1.4).
const MUST_BOTH: [&str; 5] = ["user", "ttl", "method", "maddr", "transport"];

/// The value of the first parameter named `name`: `Some(None)` for a flag, `None` if absent.
fn first<'p>(x: &'p Params<'_>, name: &str) -> Option<Option<&'p str>> {
    x.iter().find(|q| q.name.eq_ignore_ascii_case(name)).map(|q| q.value)
}

fn params_equivalent(a: &Params<'_>, b: &Params<'_>) -> bool {
    // a name given twice counts by its first value, in both URIs alike
    let one_way = |x: &Params<'_>, y: &Params<'_>| {
        x.iter().all(|p| match (first(x, p.name), first(y, p.name)) {
            (Some(pv), Some(qv)) => match (pv, qv) {
                (Some(v), Some(w)) => {
                    normalize_escapes(v).eq_ignore_ascii_case(&normalize_escapes(w))
                }
                (None, None) => true,
                (Some(_), None) | (None, Some(_)) => false,
            },
            (_, None) => !MUST_BOTH.iter().any(|m| m.eq_ignore_ascii_case(p.name)),
            (None, Some(_)) => unreachable!("p is one of x's parameters"),
        })
    };
    one_way(a, b) && one_way(b, a)
}

fn headers_equivalent(a: Option<&str>, b: Option<&str>) -> bool {
    let set = |h: Option<&str>| {
        let mut v: Vec<(String, String)> = h
            .unwrap_or_default()
            .split('&')
            .filter(|f| !f.is_empty())
            .map(|f| {
                let (n, v) = f.split_once('=').unwrap_or((f, ""));
                (unescape(n).to_ascii_lowercase(), unescape(v).into_owned())
            })
            .collect();
        v.sort();
        v
    };
    set(a) == set(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uris() {
        let u = SipUri::parse("sip:alice:secretword@atlanta.com;transport=tcp").unwrap();
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.password.as_deref(), Some("secretword"));
        assert_eq!(u.host, Host::Domain("atlanta.com".into()));
        assert_eq!(u.params.get("transport"), Some("tcp"));

        let u = SipUri::parse("sips:+1-212-555-1212:1234@gateway.com;user=phone").unwrap();
        assert_eq!(u.scheme, Scheme::Sips);
        assert_eq!(u.user.as_deref(), Some("+1-212-555-1212"));

        let u = SipUri::parse("sip:alice@192.0.2.4:5061").unwrap();
        assert_eq!(u.host, Host::Ipv4(Ipv4Addr::new(192, 0, 2, 4)));
        assert_eq!(u.port, Some(5061));

        let u = SipUri::parse("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com").unwrap();
        assert_eq!(u.user, None);
        assert_eq!(u.headers.as_deref(), Some("to=alice%40atlanta.com"));

        let u = SipUri::parse("sip:alice;day=tuesday@atlanta.com").unwrap();
        assert_eq!(u.user.as_deref(), Some("alice;day=tuesday"));

        let u = SipUri::parse("sip:%61lice@[2001:db8::10]:5070;lr").unwrap();
        assert_eq!(u.user_unescaped().unwrap(), "alice");
        assert_eq!(u.host, Host::Ipv6("2001:db8::10".parse().unwrap()));
        assert!(u.params.contains("lr"));
    }

    #[test]
    fn bad_uris() {
        assert_eq!(Uri::parse("sip:").unwrap_err().kind(), ErrorKind::InvalidHost);
        assert_eq!(Uri::parse("sip:a@b:99999").unwrap_err().kind(), ErrorKind::InvalidPort);
        assert_eq!(Uri::parse("sip:a%4@b").unwrap_err().kind(), ErrorKind::InvalidEscape);
        assert_eq!(Uri::parse("sip:[::1").unwrap_err().kind(), ErrorKind::Expected("']'"));
        let e = Uri::parse("sip:a@b c").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidUri, 7));
        assert_eq!(Uri::parse("nocolon").unwrap_err().kind(), ErrorKind::Expected("URI scheme"));
    }

    #[test]
    fn other_schemes() {
        assert!(
            matches!(Uri::parse("tel:+1-201-555-0123;ext=1").unwrap(), Uri::Tel(t) if t.number == "+1-201-555-0123")
        );
        assert!(
            matches!(Uri::parse("pres:alice@example.com").unwrap(), Uri::Other(o) if o.scheme == "pres")
        );
    }
}
