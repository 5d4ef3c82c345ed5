//! `name-addr` / `addr-spec` headers: From, To, Contact, Route, Record-Route (RFC 3261 §20).

use alloc::borrow::Cow;

use bytes::BufMut;

use super::{TypedHeader, header_params, parse_all};
use crate::error::{Error, ErrorKind};
use crate::message::HeaderName;
use crate::params::Params;
use crate::scan::{Cursor, TOKEN, is_lws};
use crate::uri::Uri;

/// `( name-addr / addr-spec ) *( SEMI param )`, with
/// `name-addr = [ display-name ] LAQUOT addr-spec RAQUOT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name as written: a quoted-string with its quotes, or tokens separated by
    /// whitespace. See [`NameAddr::display_name`].
    pub display: Option<Cow<'a, str>>,
    /// The URI.
    pub uri: Uri<'a>,
    /// Header parameters after the address (`;tag=...`, `;expires=...`).
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// An address with no display name and no parameters.
    pub const fn new(uri: Uri<'a>) -> Self {
        Self { display: None, uri, params: Params::EMPTY }
    }

    /// The display name, unquoted.
    pub fn display_name(&self) -> Option<Cow<'_, str>> {
        self.display.as_deref().map(crate::scan::unquote)
    }

    /// The `tag` parameter (From and To).
    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag")
    }

    /// The same address, owning its text.
    pub fn into_owned(self) -> NameAddr<'static> {
        NameAddr {
            display: self.display.map(|d| Cow::Owned(d.into_owned())),
            uri: self.uri.into_owned(),
            params: self.params.into_owned(),
        }
    }

    /// Parses one name-addr or addr-spec with parameters at the cursor.
    pub(crate) fn parse_at(c: &mut Cursor<'a>, s: &'a str) -> Result<Self, Error> {
        let display = match c.peek() {
            Some(b'"') => {
                let d = c.quoted()?;
                c.skip_lws();
                Some(Cow::Borrowed(d))
            }
            Some(b'<') => None,
            _ => {
                // either `*(token LWS) <` or a bare addr-spec: look for '<' before any ';' / ','
                let rest = c.rest();
                let lt = rest.iter().position(|&b| b == b'<' || b == b';' || b == b',');
                match lt {
                    Some(i) if rest[i] == b'<' => {
                        let start = c.pos();
                        let words = &rest[..i];
                        let trimmed_len =
                            words.len() - words.iter().rev().take_while(|&&b| is_lws(b)).count();
                        if let Some(bad) = words[..trimmed_len]
                            .iter()
                            .position(|&b| !(TOKEN[b as usize] || is_lws(b)))
                        {
                            return Err(c.err_at(ErrorKind::Expected("display-name"), start + bad));
                        }
                        c.advance(i);
                        (trimmed_len > 0).then(|| Cow::Borrowed(&s[start..start + trimmed_len]))
                    }
                    _ => None,
                }
            }
        };
        let uri = if c.eat(b'<') {
            let start = c.pos();
            let Some(end) = memchr::memchr(b'>', c.rest()) else {
                return Err(c.err_at(ErrorKind::UnterminatedAngle, start - 1));
            };
            let text = &s[start..start + end];
            let uri = Uri::parse_at(text, c.offset())?;
            c.advance(end + 1);
            uri
        } else {
            if display.is_some() {
                return Err(c.err(ErrorKind::Expected("'<'")));
            }
            // addr-spec without brackets ends at whitespace, ';' or ','; it cannot hold a '?'
            // (§20: a URI with headers must be bracketed; RFC 4475 §3.1.2.13)
            let start = c.pos();
            let len = c
                .rest()
                .iter()
                .position(|&b| is_lws(b) || b == b';' || b == b',')
                .unwrap_or(c.rest().len());
            if let Some(q) = memchr::memchr(b'?', &c.rest()[..len]) {
                return Err(Error::new(
                    ErrorKind::Expected("'<' around a URI with headers"),
                    c.offset() + q,
                ));
            }
            let uri = Uri::parse_at(&s[start..start + len], c.offset())?;
            c.advance(len);
            uri
        };
        let params = header_params(c, s)?;
        Ok(Self { display, uri, params })
    }

    /// Writes `display <uri>;params`.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        if let Some(d) = &self.display {
            buf.put_slice(d.as_bytes());
            buf.put_u8(b' ');
        }
        buf.put_u8(b'<');
        self.uri.write(buf);
        buf.put_u8(b'>');
        buf.put_slice(self.params.as_str().as_bytes());
    }
}

macro_rules! name_addr_header {
    ($(#[$doc:meta])* $name:ident, $hname:ident, $list:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name<'a>(pub NameAddr<'a>);

        impl $name<'_> {
            /// The same header, owning its text.
            pub fn into_owned(self) -> $name<'static> {
                $name(self.0.into_owned())
            }
        }

        impl<'a> TypedHeader<'a> for $name<'a> {
            const NAME: HeaderName = HeaderName::$hname;
            const LIST: bool = $list;

            fn parse(value: &'a [u8]) -> Result<Self, Error> {
                parse_all(value, |c, s| NameAddr::parse_at(c, s).map(Self))
            }

            fn write_value<B: BufMut>(&self, buf: &mut B) {
                self.0.write(buf);
            }
        }

        impl<'a> core::ops::Deref for $name<'a> {
            type Target = NameAddr<'a>;
            fn deref(&self) -> &NameAddr<'a> {
                &self.0
            }
        }
    };
}

name_addr_header!(
    /// `From = ( "From" / "f" ) HCOLON from-spec` (named so it does not shadow `core::convert::From`).
    FromHeader, From, false
);
name_addr_header!(
    /// `To = ( "To" / "t" ) HCOLON ( name-addr / addr-spec ) *( SEMI to-param )`
    ToHeader, To, false
);
name_addr_header!(
    /// One `route-param` of `Route = "Route" HCOLON route-param *(COMMA route-param)`.
    Route, Route, true
);
name_addr_header!(
    /// One `rec-route` of `Record-Route`.
    RecordRoute, RecordRoute, true
);

/// One element of `Contact = ("Contact" / "m" ) HCOLON ( STAR / (contact-param *(COMMA contact-param)))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `*` (REGISTER: remove all bindings).
    Wildcard,
    /// An address with its parameters (`q`, `expires`, feature tags).
    Address(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// The address, unless this is `*`.
    pub const fn address(&self) -> Option<&NameAddr<'a>> {
        match self {
            Self::Address(a) => Some(a),
            Self::Wildcard => None,
        }
    }

    /// The same element, owning its text.
    pub fn into_owned(self) -> Contact<'static> {
        match self {
            Self::Wildcard => Contact::Wildcard,
            Self::Address(a) => Contact::Address(a.into_owned()),
        }
    }

    /// The `expires` parameter in seconds, if present and numeric.
    pub fn expires(&self) -> Option<u32> {
        self.address()?.params.get("expires").and_then(|v| crate::scan::parse_u32(v.as_bytes()))
    }
}

impl<'a> TypedHeader<'a> for Contact<'a> {
    const NAME: HeaderName = HeaderName::Contact;
    const LIST: bool = true;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, s| {
            if c.peek() == Some(b'*') {
                c.advance(1);
                return Ok(Self::Wildcard);
            }
            NameAddr::parse_at(c, s).map(Self::Address)
        })
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        match self {
            Self::Wildcard => buf.put_u8(b'*'),
            Self::Address(a) => a.write(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uri::Host;

    #[test]
    fn forms() {
        let f = FromHeader::parse(b"Alice <sip:alice@atlanta.com>;tag=1928301774").unwrap();
        assert_eq!(f.display.as_deref(), Some("Alice"));
        assert_eq!(f.tag(), Some("1928301774"));
        let t = ToHeader::parse(b"\"Bob \\\"B\\\"\" <sips:bob@biloxi.com>").unwrap();
        assert_eq!(t.display_name().unwrap(), "Bob \"B\"");
        let t = ToHeader::parse(b"sip:bob@biloxi.com;tag=a6c85cf").unwrap();
        assert_eq!(t.tag(), Some("a6c85cf"));
        assert_eq!(t.uri.as_sip().unwrap().host, Host::Domain("biloxi.com".into()));
        let m = Contact::parse(b"<sip:alice@pc33.atlanta.com>;expires=3600;q=0.7").unwrap();
        assert_eq!(m.expires(), Some(3600));
        assert_eq!(Contact::parse(b"*").unwrap(), Contact::Wildcard);
        let r = Route::parse(b"<sip:p1.example.com;lr>").unwrap();
        assert!(r.uri.as_sip().unwrap().params.contains("lr"));
    }

    #[test]
    fn errors_point_inside() {
        let e = ToHeader::parse(b"Bob <sip:bob@biloxi.com").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::UnterminatedAngle, 4));
        let e = ToHeader::parse(b"<sip:bob@bi loxi.com>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidUri);
        assert_eq!(e.offset(), 11);
        let e = FromHeader::parse(b"A@b <sip:x@y>").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Expected("display-name"), 1));
    }
}
