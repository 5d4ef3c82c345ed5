//! Typed headers: each parses from a raw value borrowed from the message and writes itself
//! back into a `BufMut`.
//!
//! List headers (`Via`, `Contact`, `Route`, `Supported`, ...) type one element; use
//! [`Message::typed_all`](crate::Message::typed_all) to walk every element of every line.

mod auth;
mod event;
mod media;
mod name_addr;
mod via;

pub use auth::{AuthValue, Authorization, ProxyAuthenticate, ProxyAuthorization, WwwAuthenticate};
pub use event::{AllowEvents, EventHeader, SubState, SubscriptionState};
pub use media::{Accept, ContentType, MediaType};
pub use name_addr::{Contact, FromHeader, NameAddr, RecordRoute, Route, ToHeader};
pub use via::Via;

use alloc::borrow::Cow;

use bytes::BufMut;

use crate::error::{Error, ErrorKind};
use crate::message::{HeaderName, Method};
use crate::params::Params;
use crate::scan::{Cursor, WORD, is_lws, trim_lws, write_decimal};

/// A header with a typed model.
pub trait TypedHeader<'a>: Sized {
    /// The header's name.
    const NAME: HeaderName;
    /// True if one header line may carry several comma-separated values of this type.
    const LIST: bool = false;

    /// Parses one value (for list headers: one element). Offsets are relative to `value`.
    fn parse(value: &'a [u8]) -> Result<Self, Error>;

    /// Writes the value (without name or line end).
    fn write_value<B: BufMut>(&self, buf: &mut B);

    /// Parses a value given as text.
    fn parse_str(value: &'a str) -> Result<Self, Error> {
        Self::parse(value.as_bytes())
    }

    /// The value written into a new `Vec<u8>`.
    fn to_value_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_value(&mut v);
        v
    }
}

/// Splits a list header's value at the commas that separate elements: commas inside quoted
/// strings and `<...>` do not count. Empty elements are skipped.
#[derive(Debug, Clone)]
pub struct ListSplit<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> ListSplit<'a> {
    /// Splits `s`.
    pub const fn new(s: &'a [u8]) -> Self {
        Self { s, pos: 0 }
    }
}

impl<'a> Iterator for ListSplit<'a> {
    /// An element (trimmed) and its offset in the value.
    type Item = Result<(&'a [u8], usize), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let s = self.s;
            while s.get(self.pos).is_some_and(|&b| is_lws(b) || b == b',') {
                self.pos += 1;
            }
            if self.pos >= s.len() {
                return None;
            }
            let start = self.pos;
            let mut i = start;
            while let Some(&b) = s.get(i) {
                match b {
                    b'"' => {
                        let mut c = Cursor::with_base(s, 0);
                        c.advance(i);
                        if let Err(e) = c.quoted() {
                            self.pos = s.len();
                            return Some(Err(e));
                        }
                        i = c.pos();
                        continue;
                    }
                    b'<' => match memchr::memchr(b'>', &s[i..]) {
                        Some(rel) => i += rel,
                        None => {
                            self.pos = s.len();
                            return Some(Err(Error::new(ErrorKind::UnterminatedAngle, i)));
                        }
                    },
                    b',' => break,
                    _ => {}
                }
                i += 1;
            }
            self.pos = i;
            // leading whitespace was skipped above, so the element starts at `start`
            let item = trim_lws(&s[start..i]);
            if !item.is_empty() {
                return Some(Ok((item, start)));
            }
        }
    }
}

fn trim_lws_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| is_lws(b)).count();
    &s[n..]
}

/// Parses the whole value as text with a cursor and checks nothing is left over.
pub(crate) fn parse_all<'a, T>(
    value: &'a [u8],
    f: impl FnOnce(&mut Cursor<'a>, &'a str) -> Result<T, Error>,
) -> Result<T, Error> {
    let s = crate::scan::utf8(value, 0)?;
    let mut c = Cursor::new(value);
    c.skip_lws();
    let t = f(&mut c, s)?;
    c.finish()?;
    Ok(t)
}

/// `Call-ID = ( "Call-ID" / "i" ) HCOLON callid`, `callid = word [ "@" word ]`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallId<'a>(pub Cow<'a, str>);

impl<'a> CallId<'a> {
    /// A Call-ID with the given text.
    pub const fn new(id: &'a str) -> Self {
        Self(Cow::Borrowed(id))
    }

    /// The same Call-ID, owning its text.
    pub fn into_owned(self) -> CallId<'static> {
        CallId(Cow::Owned(self.0.into_owned()))
    }
}

impl<'a> TypedHeader<'a> for CallId<'a> {
    const NAME: HeaderName = HeaderName::CallId;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, s| {
            let start = c.pos();
            c.take1(&WORD, "word")?;
            if c.eat(b'@') {
                c.take1(&WORD, "word")?;
            }
            Ok(Self(Cow::Borrowed(&s[start..c.pos()])))
        })
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(self.0.as_bytes());
    }
}

/// `CSeq = "CSeq" HCOLON 1*DIGIT LWS Method`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// The sequence number (less than 2**31 by RFC 3261 §8.1.1.5; up to 2**32-1 accepted).
    pub seq: u32,
    /// The method.
    pub method: Method<'a>,
}

impl CSeq<'_> {
    /// The same header, owning its text.
    pub fn into_owned(self) -> CSeq<'static> {
        CSeq { seq: self.seq, method: self.method.into_owned() }
    }
}

impl<'a> TypedHeader<'a> for CSeq<'a> {
    const NAME: HeaderName = HeaderName::CSeq;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, _| {
            let seq = c.u32()?;
            let at = c.pos();
            c.skip_lws();
            if c.pos() == at {
                return Err(c.err(ErrorKind::Expected("whitespace")));
            }
            let method = Method::from_token(c.token()?);
            Ok(Self { seq, method })
        })
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        write_decimal(buf, u64::from(self.seq));
        buf.put_u8(b' ');
        buf.put_slice(self.method.as_str().as_bytes());
    }
}

macro_rules! number_header {
    ($(#[$doc:meta])* $name:ident, $hname:ident, $ty:ty, $saturate:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub $ty);

        impl<'a> TypedHeader<'a> for $name {
            const NAME: HeaderName = HeaderName::$hname;

            fn parse(value: &'a [u8]) -> Result<Self, Error> {
                let digits = trim_lws(value);
                let at = value.len() - trim_lws_start(value).len();
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return Err(Error::new(ErrorKind::InvalidNumber, at));
                }
                let n = digits.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')));
                match n.and_then(|n| <$ty>::try_from(n).ok()) {
                    Some(n) => Ok(Self(n)),
                    None if $saturate => Ok(Self(<$ty>::MAX)),
                    None => Err(Error::new(ErrorKind::InvalidNumber, at)),
                }
            }

            fn write_value<B: BufMut>(&self, buf: &mut B) {
                write_decimal(buf, u64::from(self.0));
            }
        }
    };
}

number_header!(
    /// `Max-Forwards = "Max-Forwards" HCOLON 1*DIGIT`
    MaxForwards, MaxForwards, u32, false
);
number_header!(
    /// `Expires = "Expires" HCOLON delta-seconds`; values past 2**32-1 read as 2**32-1
    /// (RFC 3261 §25.1, delta-seconds).
    Expires, Expires, u32, true
);
number_header!(
    /// `Min-Expires = "Min-Expires" HCOLON delta-seconds`
    MinExpires, MinExpires, u32, true
);
number_header!(
    /// `Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT`
    ContentLength, ContentLength, u64, false
);

macro_rules! token_header {
    ($(#[$doc:meta])* $name:ident, $hname:ident, list: $list:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name<'a>(pub Cow<'a, str>);

        impl $name<'_> {
            /// The same value, owning its text.
            pub fn into_owned(self) -> $name<'static> {
                $name(Cow::Owned(self.0.into_owned()))
            }
        }

        impl<'a> TypedHeader<'a> for $name<'a> {
            const NAME: HeaderName = HeaderName::$hname;
            const LIST: bool = $list;

            fn parse(value: &'a [u8]) -> Result<Self, Error> {
                parse_all(value, |c, _| c.token().map(|t| Self(Cow::Borrowed(t))))
            }

            fn write_value<B: BufMut>(&self, buf: &mut B) {
                buf.put_slice(self.0.as_bytes());
            }
        }
    };
}

token_header!(
    /// One option-tag of `Require = "Require" HCOLON option-tag *(COMMA option-tag)`.
    Require, Require, list: true
);
token_header!(
    /// One option-tag of `Supported` (the header may be empty: no elements).
    Supported, Supported, list: true
);
token_header!(
    /// One option-tag of `Proxy-Require`.
    ProxyRequire, ProxyRequire, list: true
);
token_header!(
    /// One option-tag of `Unsupported`.
    Unsupported, Unsupported, list: true
);

/// One method of `Allow = "Allow" HCOLON [Method *(COMMA Method)]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Allow<'a>(pub Method<'a>);

impl Allow<'_> {
    /// The same method, owning its text.
    pub fn into_owned(self) -> Allow<'static> {
        Allow(self.0.into_owned())
    }
}

impl<'a> TypedHeader<'a> for Allow<'a> {
    const NAME: HeaderName = HeaderName::Allow;
    const LIST: bool = true;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, _| c.token().map(|t| Self(Method::from_token(t))))
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(self.0.as_str().as_bytes());
    }
}

/// `Retry-After = "Retry-After" HCOLON delta-seconds [ comment ] *( SEMI retry-param )`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryAfter<'a> {
    /// Seconds to wait.
    pub seconds: u32,
    /// The comment, with its parentheses.
    pub comment: Option<Cow<'a, str>>,
    /// `;duration=...` and extensions.
    pub params: Params<'a>,
}

impl RetryAfter<'_> {
    /// The same header, owning its text.
    pub fn into_owned(self) -> RetryAfter<'static> {
        RetryAfter {
            seconds: self.seconds,
            comment: self.comment.map(|c| Cow::Owned(c.into_owned())),
            params: self.params.into_owned(),
        }
    }
}

impl<'a> TypedHeader<'a> for RetryAfter<'a> {
    const NAME: HeaderName = HeaderName::RetryAfter;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, s| {
            let seconds = c.u32()?;
            c.skip_lws();
            let comment =
                if c.peek() == Some(b'(') { Some(Cow::Borrowed(comment(c, s)?)) } else { None };
            let params = header_params(c, s)?;
            Ok(Self { seconds, comment, params })
        })
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        write_decimal(buf, u64::from(self.seconds));
        if let Some(c) = &self.comment {
            buf.put_u8(b' ');
            buf.put_slice(c.as_bytes());
        }
        buf.put_slice(self.params.as_str().as_bytes());
    }
}

/// `comment = LPAREN *(ctext / quoted-pair / comment) RPAREN`, returned with its parentheses.
fn comment<'a>(c: &mut Cursor<'a>, s: &'a str) -> Result<&'a str, Error> {
    let start = c.pos();
    let mut depth = 0usize;
    loop {
        match c.peek() {
            None => return Err(c.err_at(ErrorKind::Expected("')'"), start)),
            Some(b'(') => depth += 1,
            Some(b')') => {
                depth -= 1;
                if depth == 0 {
                    c.advance(1);
                    return Ok(&s[start..c.pos()]);
                }
            }
            Some(b'\\') => c.advance(1),
            Some(_) => {}
        }
        c.advance(1);
    }
}

/// Reads `*( SEMI generic-param )` at the cursor and returns it as [`Params`].
pub(crate) fn header_params<'a>(c: &mut Cursor<'a>, s: &'a str) -> Result<Params<'a>, Error> {
    let start = c.pos();
    Params::scan(c, crate::params::ParamKind::Header)?;
    Ok(Params::new(s.get(start..c.pos()).unwrap_or_default()))
}

token_header!(
    /// `SIP-ETag = "SIP-ETag" HCOLON entity-tag`, `entity-tag = token` (RFC 3903 §11.3.1)
    SipETag, SipETag, list: false
);
token_header!(
    /// `SIP-If-Match = "SIP-If-Match" HCOLON entity-tag` (RFC 3903 §11.3.2)
    SipIfMatch, SipIfMatch, list: false
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_split() {
        let v: Vec<_> = ListSplit::new(b" a , \"x,y\" <sip:a,b>;p ,, b")
            .map(|r| r.map(|(s, at)| (core::str::from_utf8(s).unwrap(), at)).unwrap())
            .collect();
        assert_eq!(v, [("a", 1), ("\"x,y\" <sip:a,b>;p", 5), ("b", 26)]);
        let e = ListSplit::new(b"<sip:a").next().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnterminatedAngle);
    }

    #[test]
    fn simple_headers() {
        assert_eq!(
            CSeq::parse(b"314159 INVITE").unwrap(),
            CSeq { seq: 314159, method: Method::Invite }
        );
        assert_eq!(CSeq::parse(b"1INVITE").unwrap_err().kind(), ErrorKind::Expected("whitespace"));
        assert_eq!(
            CallId::parse(b"a84b4c76e66710@pc33.atlanta.com").unwrap().0,
            "a84b4c76e66710@pc33.atlanta.com"
        );
        assert_eq!(Expires::parse(b"99999999999").unwrap(), Expires(u32::MAX));
        assert_eq!(MaxForwards::parse(b"70").unwrap(), MaxForwards(70));
        assert_eq!(MaxForwards::parse(b"7x").unwrap_err().kind(), ErrorKind::InvalidNumber);
        let r = RetryAfter::parse(b"18000 (in a meeting);duration=3600").unwrap();
        assert_eq!(
            (r.seconds, r.comment.as_deref(), r.params.get("duration")),
            (18000, Some("(in a meeting)"), Some("3600"))
        );
    }
}
