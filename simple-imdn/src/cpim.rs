//! message/cpim (RFC 3862): the borrowed [`Cpim`] view of a message — the message headers
//! with their namespaces resolved, the MIME headers of the encapsulated content and the
//! content — its owned form [`CpimMessage`], which also builds and writes messages, and the
//! typed values of the core headers ([`Address`], [`Subject`]).
//!
//! The input is the body as SIP MESSAGE or MSRP SEND carries it: the message headers, a blank
//! line, the MIME headers, a blank line, the content. Reading is strict where RFC 3862 is
//! (header names are case-sensitive, one space after the colon, no folding, no control
//! characters, prefixes declared before use) and precise: every error has the byte offset of
//! the construct at fault. Two leniencies: a bare LF ends a line like CRLF, and (by default,
//! [`ParseConfig::lenient_separator`]) a `Content-...` header among the message headers
//! starts the MIME headers, since the examples of RFC 5438, 5547 and 7701 omit the blank
//! line and implementations copy them.

use std::borrow::Cow;

use memchr::memchr;

use crate::error::{Error, ErrorKind};

/// The namespace of the core headers (From, To, cc, DateTime, Subject, NS, Require): the
/// default namespace of message/cpim.
pub const CPIM_HEADERS_NS: &str = "urn:ietf:params:cpim-headers:";

/// The MIME type.
pub const CONTENT_TYPE: &str = "message/cpim";

/// Limits and leniencies of [`Cpim::parse_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ParseConfig {
    /// Most message headers, and most MIME headers (64).
    pub max_headers: usize,
    /// Longest header blocks, message and MIME headers together (16 KiB).
    pub max_head_size: usize,
    /// Take a `Content-...` line among the message headers as the start of the MIME
    /// headers, as the examples of RFC 5438, RFC 5547 and RFC 7701 are printed, without the
    /// blank line (true; false: such a line is an unknown message header, and a missing
    /// blank line is an error).
    pub lenient_separator: bool,
}

impl Default for ParseConfig {
    fn default() -> Self {
        Self { max_headers: 64, max_head_size: 16 * 1024, lenient_separator: true }
    }
}

/// A message header, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    full: &'a str,
    prefix_len: Option<usize>,
    namespace: &'a str,
    params: &'a str,
    value: &'a str,
    offset: usize,
    value_offset: usize,
}

impl<'a> Header<'a> {
    /// The name as written, prefix included (`imdn.Message-ID`).
    pub const fn full_name(&self) -> &'a str {
        self.full
    }

    /// The prefix as written (`imdn`), if any.
    pub fn prefix(&self) -> Option<&'a str> {
        self.prefix_len.map(|n| &self.full[..n])
    }

    /// The name within its namespace (`Message-ID`).
    pub fn name(&self) -> &'a str {
        self.prefix_len.map_or(self.full, |n| &self.full[n + 1..])
    }

    /// The namespace URI the name is in.
    pub const fn namespace(&self) -> &'a str {
        self.namespace
    }

    /// Whether this is header `name` of namespace `ns`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.namespace == ns && self.name() == name
    }

    /// The parameters as written, each with its leading `;` (`;lang=fr`).
    pub const fn params(&self) -> &'a str {
        self.params
    }

    /// The value of parameter `name`, unquoted.
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        params(self.params).find(|(n, _)| *n == name).map(|(_, v)| match v.strip_prefix('"') {
            Some(q) => unescape(q.strip_suffix('"').unwrap_or(q)),
            None => Cow::Borrowed(v),
        })
    }

    /// The `lang` parameter (RFC 3862 §3.3).
    pub fn lang(&self) -> Option<Cow<'a, str>> {
        self.param("lang")
    }

    /// The value as written, escapes not decoded.
    pub const fn value(&self) -> &'a str {
        self.value
    }

    /// The value with the §2.3 escapes decoded.
    pub fn decoded(&self) -> Cow<'a, str> {
        unescape(self.value)
    }

    /// The byte offset of the header line in the input.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The byte offset of the value in the input.
    pub const fn value_offset(&self) -> usize {
        self.value_offset
    }

    /// The value read as `[Formal-name] <URI>` (From, To, cc, Original-To, IMDN-Route...).
    pub fn address(&self) -> Result<Address<'a>, Error> {
        Address::parse(self.value).map_err(|e| e.shifted(self.value_offset))
    }
}

/// A MIME header of the encapsulated content, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MimeHeader<'a> {
    name: &'a str,
    value: &'a str,
    offset: usize,
}

impl<'a> MimeHeader<'a> {
    /// The name as written (MIME names compare case-insensitively).
    pub const fn name(&self) -> &'a str {
        self.name
    }

    /// The value as written, white space around it removed (folded lines keep their CRLF).
    pub const fn value(&self) -> &'a str {
        self.value
    }

    /// The byte offset of the header line.
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

/// `[Formal-name] <URI>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address<'a> {
    /// The formal name, unquoted and unescaped.
    pub name: Option<Cow<'a, str>>,
    /// The URI.
    pub uri: Cow<'a, str>,
}

impl<'a> Address<'a> {
    /// Reads `[Formal-name] <URI>`; errors are offsets into `s`.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let bad = |at| Error::at(ErrorKind::InvalidAddress, at);
        let open = s.rfind('<').ok_or_else(|| bad(0))?;
        let inner = &s[open + 1..];
        let uri = inner.strip_suffix('>').ok_or_else(|| bad(s.len()))?;
        if uri.is_empty() || uri.bytes().any(|b| b <= b' ' || b == b'<' || b == b'>') {
            return Err(bad(open + 1));
        }
        let head = &s[..open];
        let name = if head.is_empty() {
            None
        } else if let Some(q) = head.strip_prefix('"') {
            let q = q.trim_end_matches(' ');
            let body = q.strip_suffix('"').filter(|_| closing_quote(q)).ok_or_else(|| bad(0))?;
            Some(unescape(body))
        } else {
            let t = head.strip_suffix(' ').ok_or_else(|| bad(open))?.trim_end_matches(' ');
            if t.is_empty() || t.split(' ').any(|w| w.is_empty() || !w.bytes().all(token_byte)) {
                return Err(bad(0));
            }
            Some(Cow::Borrowed(t))
        };
        Ok(Self { name, uri: Cow::Borrowed(uri) })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Address<'static> {
        Address {
            name: self.name.map(|n| Cow::Owned(n.into_owned())),
            uri: Cow::Owned(self.uri.into_owned()),
        }
    }
}

/// A Subject header: its text (escapes decoded) and language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject<'a> {
    /// The text.
    pub text: Cow<'a, str>,
    /// The `lang` parameter.
    pub lang: Option<Cow<'a, str>>,
}

/// A message/cpim message, borrowed from the input. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpim<'a> {
    headers: Vec<Header<'a>>,
    mime: Vec<MimeHeader<'a>>,
    content: &'a [u8],
    content_offset: usize,
}

impl<'a> Cpim<'a> {
    /// Reads a message with the default limits.
    pub fn parse(input: &'a [u8]) -> Result<Self, Error> {
        Self::parse_with(input, &ParseConfig::default())
    }

    /// Reads a message within `config`'s limits.
    pub fn parse_with(input: &'a [u8], config: &ParseConfig) -> Result<Self, Error> {
        let mut lines = Lines { input, at: 0, limit: config.max_head_size };
        let mut headers: Vec<Header<'a>> = Vec::with_capacity(12);
        let mut scope = Scope::new();
        let mut pending_mime = None;
        loop {
            let (start, line) = lines.next_line()?;
            if line.is_empty() {
                break;
            }
            if config.lenient_separator && is_mime_line(line) {
                pending_mime = Some((start, line));
                break;
            }
            if headers.len() == config.max_headers {
                return Err(Error::at(ErrorKind::TooManyHeaders, start));
            }
            let h = header(line, start, &scope)?;
            scope.declare(&h)?;
            headers.push(h);
        }
        let mut mime: Vec<MimeHeader<'a>> = Vec::with_capacity(4);
        let mime_start = pending_mime.map_or(lines.at, |(s, _)| s);
        let mut next = match pending_mime {
            Some(p) => Some(p),
            None => lines.next_mime_line()?,
        };
        while let Some((start, line)) = next {
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                // a folded continuation of the previous header
                let last = mime.last_mut().ok_or(Error::at(ErrorKind::InvalidMimeHeader, start))?;
                // an empty first line: the value starts on the continuation
                let from = if last.value.is_empty() {
                    start + line.len() - line.trim_start_matches([' ', '\t']).len()
                } else {
                    last.value.as_ptr() as usize - input.as_ptr() as usize
                };
                let end = start + line.len();
                last.value = str_at(input, from, end).trim_end();
            } else {
                if mime.len() == config.max_headers {
                    return Err(Error::at(ErrorKind::TooManyHeaders, start));
                }
                let colon = line.find(':').ok_or(Error::at(ErrorKind::InvalidMimeHeader, start))?;
                let name = &line[..colon];
                if name.is_empty() || !name.bytes().all(|b| b > b' ' && b < 0x7f) {
                    return Err(Error::at(ErrorKind::InvalidMimeHeader, start));
                }
                let value = line[colon + 1..].trim_matches([' ', '\t']);
                mime.push(MimeHeader { name, value, offset: start });
            }
            next = lines.next_mime_line()?;
        }
        if !mime.iter().any(|h| h.name.eq_ignore_ascii_case("Content-Type")) {
            return Err(Error::at(ErrorKind::MissingContentType, mime_start));
        }
        Ok(Self { headers, mime, content: &input[lines.at..], content_offset: lines.at })
    }

    /// The message headers, in order.
    pub fn headers(&self) -> &[Header<'a>] {
        &self.headers
    }

    /// The first header `name` of namespace `ns`.
    pub fn header(&self, ns: &str, name: &str) -> Option<&Header<'a>> {
        self.headers.iter().find(|h| h.is(ns, name))
    }

    /// Every header `name` of namespace `ns`, in order.
    pub fn headers_named<'s>(
        &'s self,
        ns: &'s str,
        name: &'s str,
    ) -> impl Iterator<Item = &'s Header<'a>> + 's {
        self.headers.iter().filter(move |h| h.is(ns, name))
    }

    /// The sender (From).
    pub fn from(&self) -> Result<Option<Address<'a>>, Error> {
        self.header(CPIM_HEADERS_NS, "From").map(Header::address).transpose()
    }

    /// The recipients (To headers), in order.
    pub fn to(&self) -> Result<Vec<Address<'a>>, Error> {
        self.headers_named(CPIM_HEADERS_NS, "To").map(Header::address).collect()
    }

    /// The courtesy-copy recipients (cc headers).
    pub fn cc(&self) -> Result<Vec<Address<'a>>, Error> {
        self.headers_named(CPIM_HEADERS_NS, "cc").map(Header::address).collect()
    }

    /// When the message was sent (DateTime), checked as RFC 3339.
    pub fn date_time(&self) -> Result<Option<simple_pidf::DateTime>, Error> {
        self.header(CPIM_HEADERS_NS, "DateTime")
            .map(|h| {
                date_time(h.value).ok_or(Error::at(ErrorKind::InvalidDateTime, h.value_offset))
            })
            .transpose()
    }

    /// The Subject headers.
    pub fn subjects(&self) -> impl Iterator<Item = Subject<'a>> + '_ {
        self.headers_named(CPIM_HEADERS_NS, "Subject")
            .map(|h| Subject { text: h.decoded(), lang: h.lang() })
    }

    /// What the Require headers name, as `(namespace, name)`, resolved against the NS
    /// declarations before each Require header.
    pub fn required(&self) -> Result<Vec<(&'a str, &'a str)>, Error> {
        let mut out = Vec::new();
        let mut scope = Scope::new();
        for h in &self.headers {
            scope.declare(h)?;
            if h.is(CPIM_HEADERS_NS, "Require") {
                let mut at = h.value_offset;
                for item in h.value.split(',') {
                    let t = item.trim_matches(' ');
                    let lead = item.len() - item.trim_start_matches(' ').len();
                    let bad = Error::at(ErrorKind::InvalidRequire, at + lead);
                    let (prefix, name) = match t.split_once('.') {
                        Some((p, n)) => (Some(p), n),
                        None => (None, t),
                    };
                    if !is_name(name) || prefix.is_some_and(|p| !is_name(p)) {
                        return Err(bad);
                    }
                    let ns = match prefix {
                        Some(p) => scope.lookup(p).ok_or(bad)?,
                        None => scope.default_ns,
                    };
                    out.push((ns, name));
                    at += item.len() + 1;
                }
            }
        }
        Ok(out)
    }

    /// The prefix under which namespace `ns` was declared last (`Some(None)`: as the default
    /// namespace), if it was.
    pub fn prefix_for(&self, ns: &str) -> Option<Option<&'a str>> {
        let mut found = None;
        for h in self.headers.iter().filter(|h| h.is(CPIM_HEADERS_NS, "NS")) {
            if let Ok((prefix, uri)) = namespace_decl(h.value) {
                if uri == ns {
                    found = Some(prefix);
                }
            }
        }
        found
    }

    /// The first required `(namespace, name)` that `known` does not hold: a recipient that
    /// gets one must not process the message (RFC 3862 §3.5).
    pub fn unknown_required(
        &self,
        known: &[(&str, &str)],
    ) -> Result<Option<(&'a str, &'a str)>, Error> {
        Ok(self.required()?.into_iter().find(|r| !known.contains(r)))
    }

    /// The MIME headers of the encapsulated content.
    pub fn mime_headers(&self) -> &[MimeHeader<'a>] {
        &self.mime
    }

    /// The first MIME header `name` (case-insensitive).
    pub fn mime_header(&self, name: &str) -> Option<&'a str> {
        self.mime.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value)
    }

    /// The content's type as written (parameters included).
    pub fn content_type(&self) -> &'a str {
        self.mime_header("Content-Type").expect("checked when parsed")
    }

    /// The content's type without parameters, lower-case ASCII compared by the caller.
    pub fn media_type(&self) -> &'a str {
        media_type(self.content_type())
    }

    /// The content.
    pub const fn content(&self) -> &'a [u8] {
        self.content
    }

    /// The byte offset of the content in the input.
    pub const fn content_offset(&self) -> usize {
        self.content_offset
    }

    /// An owned copy.
    pub fn to_owned(&self) -> CpimMessage {
        CpimMessage::from(self)
    }
}

/// `type/subtype` of a Content-Type value, without parameters or white space.
pub fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or(content_type).trim()
}

/// An owned message/cpim message: headers as written (so a round trip is lossless), MIME
/// headers and content. Build one with the methods, which escape what RFC 3862 §2.3.1 says
/// must be, and write it with [`write`](Self::write).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpimMessage {
    /// Message headers: `(full name, parameters as written, value as written)`.
    pub headers: Vec<(String, String, String)>,
    /// MIME headers of the content: `(name, value)`.
    pub mime: Vec<(String, String)>,
    /// The content.
    pub content: Vec<u8>,
}

impl CpimMessage {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message header; the value is escaped.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let mut v = String::with_capacity(value.len());
        escape_into(value, false, &mut v);
        self.headers.push((name.to_owned(), String::new(), v));
        self
    }

    /// Adds a message header with a `lang` parameter.
    #[must_use]
    pub fn header_lang(mut self, name: &str, lang: &str, value: &str) -> Self {
        let mut v = String::with_capacity(value.len());
        escape_into(value, false, &mut v);
        self.headers.push((name.to_owned(), format!(";lang={lang}"), v));
        self
    }

    /// Adds an address header (`From`, `To`, `cc`, `imdn.IMDN-Route`...): the formal name is
    /// written as a quoted string when it is not a list of tokens.
    #[must_use]
    pub fn address(mut self, name: &str, formal: Option<&str>, uri: &str) -> Self {
        let mut v = String::with_capacity(uri.len() + 16);
        if let Some(f) = formal.filter(|f| !f.is_empty()) {
            if f.split(' ').all(|w| !w.is_empty() && w.bytes().all(token_byte)) {
                v.push_str(f);
            } else {
                v.push('"');
                escape_into(f, true, &mut v);
                v.push('"');
            }
            v.push(' ');
        }
        v.push('<');
        v.push_str(uri);
        v.push('>');
        self.headers.push((name.to_owned(), String::new(), v));
        self
    }

    /// Declares namespace prefix `prefix` (`None`: the default namespace).
    #[must_use]
    pub fn namespace(mut self, prefix: Option<&str>, uri: &str) -> Self {
        let v = match prefix {
            Some(p) => format!("{p} <{uri}>"),
            None => format!("<{uri}>"),
        };
        self.headers.push(("NS".to_owned(), String::new(), v));
        self
    }

    /// Adds a MIME header to the content.
    #[must_use]
    pub fn mime(mut self, name: &str, value: &str) -> Self {
        self.mime.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the content and its Content-Type (the first MIME header).
    #[must_use]
    pub fn content(mut self, content_type: &str, content: &[u8]) -> Self {
        self.mime.retain(|(n, _)| !n.eq_ignore_ascii_case("Content-Type"));
        self.mime.insert(0, ("Content-Type".to_owned(), content_type.to_owned()));
        self.content = content.to_vec();
        self
    }

    /// Writes the message.
    pub fn write(&self, out: &mut Vec<u8>) {
        for (n, p, v) in &self.headers {
            out.extend_from_slice(n.as_bytes());
            out.push(b':');
            out.extend_from_slice(p.as_bytes());
            out.push(b' ');
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        for (n, v) in &self.mime {
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.content);
    }

    /// The message written into a new buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let size =
            self.headers.iter().map(|(n, p, v)| n.len() + p.len() + v.len() + 4).sum::<usize>()
                + self.mime.iter().map(|(n, v)| n.len() + v.len() + 4).sum::<usize>()
                + self.content.len()
                + 4;
        let mut out = Vec::with_capacity(size);
        self.write(&mut out);
        out
    }
}

impl From<&Cpim<'_>> for CpimMessage {
    fn from(c: &Cpim<'_>) -> Self {
        Self {
            headers: c
                .headers
                .iter()
                .map(|h| (h.full.to_owned(), h.params.to_owned(), h.value.to_owned()))
                .collect(),
            mime: c.mime.iter().map(|h| (h.name.to_owned(), h.value.to_owned())).collect(),
            content: c.content.to_vec(),
        }
    }
}

/// Decodes the RFC 3862 §2.3 escapes: `\uXXXX`, `\\ \" \' \b \t \n \r`; an unknown escape
/// stands for the character after the backslash, a lone backslash at the end is dropped.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            None => {}
            Some('b') => out.push('\u{8}'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let rest = chars.as_str();
                let hex = rest.get(..4).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                match hex.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32) {
                    Some(ch) => {
                        out.push(ch);
                        chars = rest[4..].chars();
                    }
                    None => out.push('u'),
                }
            }
            Some(other) => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// Appends `s` escaped as RFC 3862 §2.3.1 says (`quoted`: inside a quoted string, where `"`
/// is escaped too).
pub fn escape_into(s: &str, quoted: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '"' if quoted => out.push_str("\\\""),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// Whether a quoted string (after its opening quote) ends with an unescaped closing quote
/// and has none before.
fn closing_quote(q: &str) -> bool {
    let b = q.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1 == b.len(),
            _ => i += 1,
        }
    }
    false
}

/// RFC 3862 NAMECHAR, as a table.
const NAMECHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = matches!(c, 0x21 | 0x23..=0x27 | 0x2a | 0x2b | 0x2d | 0x5e..=0x60 | 0x7c | 0x7e)
            || c.is_ascii_alphanumeric();
        b += 1;
    }
    t
};

/// RFC 3862 NAMECHAR.
const fn name_byte(b: u8) -> bool {
    NAMECHAR[b as usize]
}

/// Whether `b` holds a control character (0-31, 127): a branch-free pass the compiler
/// vectorizes, the position looked for only when there is one.
fn has_control(b: &[u8]) -> bool {
    b.iter().fold(false, |a, &c| a | (c < 0x20) | (c == 0x7f))
}

/// RFC 3862 TOKENCHAR (UTF-8 bytes of non-ASCII characters count).
const fn token_byte(b: u8) -> bool {
    name_byte(b) || b == b'.' || b >= 0x80
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(name_byte)
}

/// The namespace declarations in force at a point of the message headers.
#[derive(Debug)]
struct Scope<'a> {
    /// `(prefix, URI)`, later ones winning.
    decls: Vec<(&'a str, &'a str)>,
    default_ns: &'a str,
}

impl<'a> Scope<'a> {
    const fn new() -> Self {
        Self { decls: Vec::new(), default_ns: CPIM_HEADERS_NS }
    }

    /// Takes `h` into account if it is an `NS` header.
    fn declare(&mut self, h: &Header<'a>) -> Result<(), Error> {
        if h.is(CPIM_HEADERS_NS, "NS") {
            match namespace_decl(h.value).map_err(|e| e.shifted(h.value_offset))? {
                (Some(p), uri) => self.decls.push((p, uri)),
                (None, uri) => self.default_ns = uri,
            }
        }
        Ok(())
    }

    fn lookup(&self, prefix: &str) -> Option<&'a str> {
        self.decls.iter().rev().find(|(p, _)| *p == prefix).map(|(_, u)| *u)
    }
}

/// `[ Name-prefix ] "<" URI ">"`.
fn namespace_decl(v: &str) -> Result<(Option<&str>, &str), Error> {
    let bad = |at| Error::at(ErrorKind::InvalidAddress, at);
    let open = v.find('<').ok_or(bad(0))?;
    let uri = v[open + 1..].strip_suffix('>').ok_or(bad(v.len()))?;
    if uri.is_empty() || uri.bytes().any(|b| b <= b' ' || b == b'<' || b == b'>') {
        return Err(bad(open + 1));
    }
    let prefix = v[..open].trim_end_matches(' ');
    if prefix.is_empty() {
        return Ok((None, uri));
    }
    if !is_name(prefix) {
        return Err(bad(0));
    }
    Ok((Some(prefix), uri))
}

/// A MIME content header (`Content-...`, no prefix): no core CPIM header is one.
fn is_mime_line(line: &str) -> bool {
    line.get(..8).is_some_and(|n| n.eq_ignore_ascii_case("Content-"))
}

/// `;name=value` pairs of a parameter string.
fn params(s: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = s;
    core::iter::from_fn(move || {
        let r = rest.strip_prefix(';')?;
        let eq = r.find('=')?;
        let name = &r[..eq];
        let v = &r[eq + 1..];
        let len = param_value_len(v.as_bytes())?;
        rest = &v[len..];
        Some((name, &v[..len]))
    })
}

/// The length of a Param-value (Token, Number or String) at the start of `b`.
fn param_value_len(b: &[u8]) -> Option<usize> {
    if b.first() == Some(&b'"') {
        let mut i = 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    } else {
        let n = b.iter().take_while(|&&c| token_byte(c)).count();
        (n > 0).then_some(n)
    }
}

fn header<'a>(line: &'a str, start: usize, scope: &Scope<'a>) -> Result<Header<'a>, Error> {
    let b = line.as_bytes();
    if b[0] == b' ' || b[0] == b'\t' {
        return Err(Error::at(ErrorKind::Whitespace, start));
    }
    if has_control(b) {
        let i = b.iter().position(|&c| c < 0x20 || c == 0x7f).expect("there is one");
        return Err(Error::at(ErrorKind::ControlCharacter, start + i));
    }
    let name_len = b.iter().take_while(|&&c| name_byte(c) || c == b'.').count();
    let full = &line[..name_len];
    if name_len == b.len() || b[name_len] != b':' {
        // the name runs into something that is neither a name character nor the colon
        return Err(Error::at(ErrorKind::InvalidHeaderName, start + name_len));
    }
    let (prefix_len, namespace) = match full.find('.') {
        Some(dot) => {
            let (p, n) = (&full[..dot], &full[dot + 1..]);
            if !is_name(p) || !is_name(n) {
                return Err(Error::at(ErrorKind::InvalidHeaderName, start));
            }
            let ns = scope.lookup(p).ok_or(Error::at(ErrorKind::UndeclaredPrefix, start))?;
            (Some(dot), ns)
        }
        None if full.is_empty() => return Err(Error::at(ErrorKind::InvalidHeaderName, start)),
        None => (None, scope.default_ns),
    };
    let after = name_len + 1;
    let mut i = after;
    while b.get(i) == Some(&b';') {
        let eq = b[i + 1..].iter().position(|&c| c == b'=').map(|p| p + i + 1);
        let Some(eq) = eq.filter(|&e| e > i + 1 && line[i + 1..e].bytes().all(name_byte)) else {
            return Err(Error::at(ErrorKind::InvalidParameter, start + i));
        };
        let len = param_value_len(&b[eq + 1..])
            .ok_or(Error::at(ErrorKind::InvalidParameter, start + eq + 1))?;
        i = eq + 1 + len;
    }
    let params = &line[after..i];
    let value_at = match b.get(i) {
        Some(b' ') => i + 1,
        None => i,
        Some(_) => return Err(Error::at(ErrorKind::MissingSpace, start + i)),
    };
    Ok(Header {
        full,
        prefix_len,
        namespace,
        params,
        value: &line[value_at..],
        offset: start,
        value_offset: start + value_at,
    })
}

/// A DateTime value: RFC 3339 (a date, `T`, a time and an offset, `Z` or `±hh:mm`).
pub(crate) fn date_time(s: &str) -> Option<simple_pidf::DateTime> {
    let b = s.as_bytes();
    let zoned = b.last().is_some_and(|c| matches!(c, b'Z' | b'z'))
        || (b.len() > 6 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':');
    if !zoned || b.len() < 20 || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b.contains(&b' ') {
        return None;
    }
    if b[b.len() - 1] == b'z' || b[10] == b't' {
        return simple_pidf::DateTime::parse(&s.to_ascii_uppercase());
    }
    simple_pidf::DateTime::parse(s)
}

fn str_at(input: &[u8], from: usize, to: usize) -> &str {
    core::str::from_utf8(&input[from..to]).expect("a header block is checked UTF-8 when read")
}

/// Splits the header blocks into lines, within the size limit.
struct Lines<'a> {
    input: &'a [u8],
    at: usize,
    limit: usize,
}

impl<'a> Lines<'a> {
    /// The next line (without its CRLF or LF) and its offset.
    fn next_line(&mut self) -> Result<(usize, &'a str), Error> {
        let start = self.at;
        let rest = &self.input[start..];
        let Some(lf) = memchr(b'\n', rest) else {
            if start + rest.len() > self.limit {
                return Err(Error::at(ErrorKind::HeadTooLarge, self.limit));
            }
            return Err(Error::at(ErrorKind::UnexpectedEnd, self.input.len()));
        };
        if start + lf > self.limit {
            return Err(Error::at(ErrorKind::HeadTooLarge, self.limit));
        }
        let end = if lf > 0 && rest[lf - 1] == b'\r' { lf - 1 } else { lf };
        let line = core::str::from_utf8(&rest[..end])
            .map_err(|e| Error::at(ErrorKind::InvalidUtf8, start + e.valid_up_to()))?;
        self.at = start + lf + 1;
        Ok((start, line))
    }

    /// The next MIME header line; `None` at the end of the input right after a complete
    /// line (content-less).
    fn next_mime_line(&mut self) -> Result<Option<(usize, &'a str)>, Error> {
        if self.at == self.input.len() {
            return Ok(None);
        }
        self.next_line().map(Some)
    }
}
