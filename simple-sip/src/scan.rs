//! Byte classes of RFC 3261 §25.1 as compile-time tables, and a cursor over a header value.

use crate::error::{Error, ErrorKind};

const fn table(extra: &[u8], alnum: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        if alnum && c.is_ascii_alphanumeric() {
            t[i] = true;
        }
        i += 1;
    }
    let mut j = 0;
    while j < extra.len() {
        t[extra[j] as usize] = true;
        j += 1;
    }
    t
}

/// `token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )`
pub(crate) static TOKEN: [bool; 256] = table(b"-.!%*_+`'~", true);

/// `word`: token characters plus `( ) < > : \ " / [ ] ? { }` (used by Call-ID).
pub(crate) static WORD: [bool; 256] = table(b"-.!%*_+`'~()<>:\\\"/[]?{}", true);

/// `unreserved / user-unreserved` and `%` (escapes are checked separately): the SIP URI user part.
pub(crate) static USER: [bool; 256] = table(b"-_.!~*'()%&=+$,;?/", true);

/// Password characters: `unreserved / escaped / "&" / "=" / "+" / "$" / ","`.
pub(crate) static PASSWORD: [bool; 256] = table(b"-_.!~*'()%&=+$,", true);

/// `paramchar`: `param-unreserved / unreserved / escaped`.
pub(crate) static PARAMCHAR: [bool; 256] = table(b"[]/:&+$-_.!~*'()%", true);

/// `hnv-unreserved / unreserved / escaped`: URI header names and values.
pub(crate) static HNVCHAR: [bool; 256] = table(b"[]/?:+$-_.!~*'()%", true);

/// Hostname characters (labels, dots) — the structure is checked by `host`.
pub(crate) static HOSTCHAR: [bool; 256] = table(b"-.", true);

/// Characters of an absolute URI after its scheme (RFC 2396 `uric` plus `#`).
pub(crate) static URIC: [bool; 256] = table(b";/?:@&=+$,-_.!~*'()%#[]", true);

/// Characters allowed in a header value line: everything but controls, with HT allowed.
pub(crate) static VALUE: [bool; 256] = {
    let mut t = [true; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = false;
        i += 1;
    }
    t[b'\t' as usize] = true;
    t[0x7f] = false;
    t
};

/// True for SP and HT.
#[inline]
pub(crate) const fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// True for a byte that may appear in LWS inside a stored header value: folding kept its CRLF.
#[inline]
pub(crate) const fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trims leading and trailing linear whitespace (including folding) from a value.
pub(crate) fn trim_lws(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_lws(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_lws(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Turns a byte slice that the scanner proved ASCII (or checked UTF-8) into a `&str`.
#[inline]
pub(crate) fn utf8(s: &[u8], offset: usize) -> Result<&str, Error> {
    core::str::from_utf8(s)
        .map_err(|e| Error::new(ErrorKind::InvalidUtf8, offset + e.valid_up_to()))
}

/// A cursor over one header value (or part of one). Offsets in its errors are relative to the
/// slice it was made from plus `base`.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) const fn new(s: &'a [u8]) -> Self {
        Self { s, pos: 0, base: 0 }
    }

    pub(crate) const fn with_base(s: &'a [u8], base: usize) -> Self {
        Self { s, pos: 0, base }
    }

    #[inline]
    pub(crate) const fn pos(&self) -> usize {
        self.pos
    }

    /// The absolute offset of the cursor, for error reports.
    #[inline]
    pub(crate) const fn offset(&self) -> usize {
        self.base + self.pos
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    #[inline]
    pub(crate) fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.pos + n).copied()
    }

    #[inline]
    pub(crate) const fn is_empty(&self) -> bool {
        self.pos >= self.s.len()
    }

    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.s.get(self.pos..).unwrap_or_default()
    }

    #[inline]
    pub(crate) fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.s.get(from..to).unwrap_or_default()
    }

    pub(crate) fn err(&self, kind: ErrorKind) -> Error {
        Error::new(kind, self.offset())
    }

    pub(crate) fn err_at(&self, kind: ErrorKind, pos: usize) -> Error {
        Error::new(kind, self.base + pos)
    }

    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.s.len());
    }

    /// Consumes `b` if it is next.
    #[inline]
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `b` or fails with `Expected(what)`.
    pub(crate) fn expect(&mut self, b: u8, what: &'static str) -> Result<(), Error> {
        if self.eat(b) { Ok(()) } else { Err(self.err(ErrorKind::Expected(what))) }
    }

    /// Skips linear whitespace, including folded line breaks kept inside the value.
    #[inline]
    pub(crate) fn skip_lws(&mut self) {
        while let Some(b) = self.peek() {
            if is_lws(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// `SWS c SWS` around a separator: consumes it (with its whitespace) if present.
    pub(crate) fn eat_sep(&mut self, c: u8) -> bool {
        let save = self.pos;
        self.skip_lws();
        if self.eat(c) {
            self.skip_lws();
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Consumes bytes while `class` holds; returns them (possibly empty).
    #[inline]
    pub(crate) fn take_while(&mut self, class: &[bool; 256]) -> &'a [u8] {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if class[b as usize] {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.slice(start, self.pos)
    }

    /// Consumes a non-empty run of `class`, as `&str` (the tables are all ASCII).
    pub(crate) fn take1(
        &mut self,
        class: &[bool; 256],
        what: &'static str,
    ) -> Result<&'a str, Error> {
        let start = self.pos;
        let s = self.take_while(class);
        if s.is_empty() {
            return Err(self.err(ErrorKind::Expected(what)));
        }
        utf8(s, self.base + start)
    }

    /// `token`
    pub(crate) fn token(&mut self) -> Result<&'a str, Error> {
        self.take1(&TOKEN, "token")
    }

    /// `quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE`, returned with its quotes.
    pub(crate) fn quoted(&mut self) -> Result<&'a str, Error> {
        let start = self.pos;
        self.expect(b'"', "'\"'")?;
        loop {
            match self.peek() {
                None => return Err(self.err_at(ErrorKind::UnterminatedQuote, start)),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                    match self.peek_at(1) {
                        Some(b'\r' | b'\n') | None => {
                            return Err(self.err(ErrorKind::Expected("quoted-pair")));
                        }
                        Some(_) => self.pos += 2,
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
        utf8(self.slice(start, self.pos), self.base + start)
    }

    /// A decimal number of at most `u32`.
    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        let start = self.pos;
        let digits = self.take_while(&DIGIT);
        parse_u32(digits).ok_or_else(|| self.err_at(ErrorKind::InvalidNumber, start))
    }

    /// Fails unless only whitespace remains.
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        self.skip_lws();
        if self.is_empty() { Ok(()) } else { Err(self.err(ErrorKind::TrailingData)) }
    }
}

pub(crate) static DIGIT: [bool; 256] = table(b"0123456789", false);

/// Parses 1..=10 ASCII digits into a `u32`; `None` if empty, not digits or overflowing.
pub(crate) fn parse_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(d - b'0');
    }
    u32::try_from(n).ok()
}

/// Writes `n` in decimal without allocating.
pub(crate) fn write_decimal<B: bytes::BufMut>(buf: &mut B, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.put_slice(&digits[i..]);
}

/// Removes the quotes and `\` escapes of a quoted-string; borrows when there is no escape.
pub fn unquote(s: &str) -> alloc::borrow::Cow<'_, str> {
    use alloc::borrow::Cow;
    let inner = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s);
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes `s` as a quoted-string, escaping `"` and `\`.
pub fn write_quoted<B: bytes::BufMut>(s: &str, buf: &mut B) {
    buf.put_u8(b'"');
    for part in s.split_inclusive(['"', '\\']) {
        match part.as_bytes().split_last() {
            Some((&last, head)) if last == b'"' || last == b'\\' => {
                buf.put_slice(head);
                buf.put_u8(b'\\');
                buf.put_u8(last);
            }
            _ => buf.put_slice(part.as_bytes()),
        }
    }
    buf.put_u8(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_quoted() {
        let mut c = Cursor::new(b"abc-1 \"x\\\"y\" rest");
        assert_eq!(c.token().unwrap(), "abc-1");
        c.skip_lws();
        assert_eq!(c.quoted().unwrap(), "\"x\\\"y\"");
        assert_eq!(unquote("\"x\\\"y\""), "x\"y");
        let mut c = Cursor::new(b"\"open");
        assert_eq!(c.quoted().unwrap_err().kind(), ErrorKind::UnterminatedQuote);
    }

    #[test]
    fn quoting_round_trips() {
        let mut out = Vec::new();
        write_quoted("a\"b\\c", &mut out);
        assert_eq!(out, b"\"a\\\"b\\\\c\"");
        assert_eq!(unquote(core::str::from_utf8(&out).unwrap()), "a\"b\\c");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), None);
        assert_eq!(parse_u32(b""), None);
        assert_eq!(parse_u32(b"12a"), None);
    }
}
