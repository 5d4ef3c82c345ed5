//! Authentication headers (RFC 3261 §20.7, §20.27, §20.28, §20.44; §25.1 challenge and
//! credentials). The digest computation itself lives with the transaction layer.

use alloc::borrow::Cow;

use bytes::BufMut;

use super::{ListSplit, TypedHeader, parse_all};
use crate::error::{Error, ErrorKind};
use crate::message::HeaderName;
use crate::params::GENVALUE;
use crate::scan::Cursor;

/// `auth-scheme LWS auth-param *(COMMA auth-param)`: a challenge or credentials.
///
/// The parameters are kept as written and read on demand with [`AuthValue::param`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthValue<'a> {
    /// `Digest` or another scheme.
    pub scheme: Cow<'a, str>,
    /// `realm="...", nonce="...", ...` as written.
    pub params: Cow<'a, str>,
}

impl<'a> AuthValue<'a> {
    /// Iterates `(name, value)` pairs; quoted values keep their quotes.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        ListSplit::new(self.params.as_bytes()).filter_map(|r| {
            let (item, _) = r.ok()?;
            let item = core::str::from_utf8(item).ok()?;
            let (n, v) = item.split_once('=')?;
            Some((n.trim(), v.trim()))
        })
    }

    /// The parameter `name` (case-insensitive), unquoted.
    pub fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| crate::scan::unquote(v))
    }

    fn parse_value(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, s| {
            let scheme = c.token()?;
            c.skip_lws();
            let start = c.pos();
            let mut first = true;
            while !c.is_empty() {
                if !first && !c.eat_sep(b',') {
                    return Err(c.err(ErrorKind::Expected("','")));
                }
                first = false;
                auth_param(c)?;
                c.skip_lws();
            }
            let params = s[start..c.pos()].trim_end().into();
            Ok(Self { scheme: scheme.into(), params })
        })
    }

    /// The same value, owning its text.
    pub fn into_owned(self) -> AuthValue<'static> {
        AuthValue {
            scheme: Cow::Owned(self.scheme.into_owned()),
            params: Cow::Owned(self.params.into_owned()),
        }
    }

    fn write<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(self.scheme.as_bytes());
        if !self.params.is_empty() {
            buf.put_u8(b' ');
            buf.put_slice(self.params.as_bytes());
        }
    }
}

/// `auth-param = auth-param-name EQUAL ( token / quoted-string )`
fn auth_param(c: &mut Cursor<'_>) -> Result<(), Error> {
    c.token()?;
    if !c.eat_sep(b'=') {
        return Err(c.err(ErrorKind::Expected("'='")));
    }
    if c.peek() == Some(b'"') {
        c.quoted()?;
    } else {
        // token; some stacks send unquoted URIs and hex, which GENVALUE covers
        c.take1(&GENVALUE, "auth-param value")?;
    }
    Ok(())
}

macro_rules! auth_header {
    ($(#[$doc:meta])* $name:ident, $hname:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name<'a>(pub AuthValue<'a>);

        impl $name<'_> {
            /// The same header, owning its text.
            pub fn into_owned(self) -> $name<'static> {
                $name(self.0.into_owned())
            }
        }

        impl<'a> TypedHeader<'a> for $name<'a> {
            const NAME: HeaderName = HeaderName::$hname;

            fn parse(value: &'a [u8]) -> Result<Self, Error> {
                AuthValue::parse_value(value).map(Self)
            }

            fn write_value<B: BufMut>(&self, buf: &mut B) {
                self.0.write(buf);
            }
        }

        impl<'a> core::ops::Deref for $name<'a> {
            type Target = AuthValue<'a>;
            fn deref(&self) -> &AuthValue<'a> {
                &self.0
            }
        }
    };
}

auth_header!(
    /// `WWW-Authenticate = "WWW-Authenticate" HCOLON challenge`
    WwwAuthenticate, WwwAuthenticate
);
auth_header!(
    /// `Proxy-Authenticate = "Proxy-Authenticate" HCOLON challenge`
    ProxyAuthenticate, ProxyAuthenticate
);
auth_header!(
    /// `Authorization = "Authorization" HCOLON credentials`
    Authorization, Authorization
);
auth_header!(
    /// `Proxy-Authorization = "Proxy-Authorization" HCOLON credentials`
    ProxyAuthorization, ProxyAuthorization
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest() {
        let w = WwwAuthenticate::parse(b"Digest realm=\"atlanta.com\",\r\n domain=\"sip:boxesbybob.com\", qop=\"auth\",\r\n nonce=\"f84f1cec41e6cbe5aea9c8e88d359\",\r\n opaque=\"\", stale=FALSE, algorithm=MD5").unwrap();
        assert_eq!(w.scheme, "Digest");
        assert_eq!(w.param("realm").unwrap(), "atlanta.com");
        assert_eq!(w.param("STALE").unwrap(), "FALSE");
        assert_eq!(w.param("opaque").unwrap(), "");
        assert_eq!(w.iter().count(), 7);
        let a = Authorization::parse(b"Digest username=\"bob\", uri=\"sip:bob@biloxi.com\", nc=00000001, response=\"245f23415f11432b3434341c022\"").unwrap();
        assert_eq!(a.param("nc").unwrap(), "00000001");
        assert_eq!(
            Authorization::parse(b"Digest username").unwrap_err().kind(),
            ErrorKind::Expected("'='")
        );
    }
}
