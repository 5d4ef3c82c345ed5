//! `Content-Type` and `Accept` (RFC 3261 §20.1, §20.15).

use alloc::borrow::Cow;

use bytes::BufMut;

use super::{TypedHeader, header_params, parse_all};
use crate::error::{Error, ErrorKind};
use crate::message::HeaderName;
use crate::params::Params;
use crate::scan::Cursor;

/// `m-type SLASH m-subtype *(SEMI m-parameter)`; in Accept, type and subtype may be `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// `application`, `text`, `multipart`, ... as written.
    pub type_: Cow<'a, str>,
    /// `pidf+xml`, `plain`, `related`, ... as written.
    pub subtype: Cow<'a, str>,
    /// `;charset=...;boundary=...;type=...`
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// A media type without parameters.
    pub const fn new(type_: &'a str, subtype: &'a str) -> Self {
        Self { type_: Cow::Borrowed(type_), subtype: Cow::Borrowed(subtype), params: Params::EMPTY }
    }

    /// The same media type, owning its text.
    pub fn into_owned(self) -> MediaType<'static> {
        MediaType {
            type_: Cow::Owned(self.type_.into_owned()),
            subtype: Cow::Owned(self.subtype.into_owned()),
            params: self.params.into_owned(),
        }
    }

    /// True if type and subtype match (case-insensitive); `*` in `self` matches anything.
    pub fn matches(&self, type_: &str, subtype: &str) -> bool {
        (self.type_ == "*" || self.type_.eq_ignore_ascii_case(type_))
            && (self.subtype == "*" || self.subtype.eq_ignore_ascii_case(subtype))
    }

    /// A parameter, unquoted (e.g. `boundary`).
    pub fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.params.get(name).map(crate::scan::unquote)
    }

    pub(crate) fn parse_at(c: &mut Cursor<'a>, s: &'a str) -> Result<Self, Error> {
        let type_ = c.token()?.into();
        if !c.eat_sep(b'/') {
            return Err(c.err(ErrorKind::Expected("'/'")));
        }
        let subtype = c.token()?.into();
        let params = header_params(c, s)?;
        Ok(Self { type_, subtype, params })
    }

    /// Writes `type/subtype;params`.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(self.type_.as_bytes());
        buf.put_u8(b'/');
        buf.put_slice(self.subtype.as_bytes());
        buf.put_slice(self.params.as_str().as_bytes());
    }
}

/// `Content-Type = ( "Content-Type" / "c" ) HCOLON media-type`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType<'a>(pub MediaType<'a>);

impl<'a> ContentType<'a> {
    /// A content type without parameters.
    pub const fn new(type_: &'a str, subtype: &'a str) -> Self {
        Self(MediaType::new(type_, subtype))
    }

    /// The same header, owning its text.
    pub fn into_owned(self) -> ContentType<'static> {
        ContentType(self.0.into_owned())
    }
}

impl<'a> core::ops::Deref for ContentType<'a> {
    type Target = MediaType<'a>;
    fn deref(&self) -> &MediaType<'a> {
        &self.0
    }
}

impl<'a> TypedHeader<'a> for ContentType<'a> {
    const NAME: HeaderName = HeaderName::ContentType;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, s| MediaType::parse_at(c, s).map(Self))
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        self.0.write(buf);
    }
}

/// One `accept-range` of `Accept = "Accept" HCOLON [ accept-range *(COMMA accept-range) ]`.
/// An empty Accept header has no elements (RFC 3261 §20.1: nothing is acceptable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept<'a>(pub MediaType<'a>);

impl Accept<'_> {
    /// The same range, owning its text.
    pub fn into_owned(self) -> Accept<'static> {
        Accept(self.0.into_owned())
    }
}

impl<'a> core::ops::Deref for Accept<'a> {
    type Target = MediaType<'a>;
    fn deref(&self) -> &MediaType<'a> {
        &self.0
    }
}

impl<'a> TypedHeader<'a> for Accept<'a> {
    const NAME: HeaderName = HeaderName::Accept;
    const LIST: bool = true;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, s| MediaType::parse_at(c, s).map(Self))
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        self.0.write(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media() {
        let ct = ContentType::parse(b"multipart/related;type=\"application/rlmi+xml\";start=\"<nXYxAE@pres.vancouver.example.com>\";boundary=\"50UBfW7LSCVLtggUPe5z\"").unwrap();
        assert!(ct.matches("Multipart", "related"));
        assert_eq!(ct.param("boundary").unwrap(), "50UBfW7LSCVLtggUPe5z");
        assert_eq!(ct.param("type").unwrap(), "application/rlmi+xml");
        let a = Accept::parse(b"application/*;q=0.5").unwrap();
        assert!(a.matches("application", "pidf+xml"));
        assert_eq!(ContentType::parse(b"text").unwrap_err().kind(), ErrorKind::Expected("'/'"));
    }
}
