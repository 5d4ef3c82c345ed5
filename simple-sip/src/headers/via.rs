//! `Via` (RFC 3261 §20.42, §18.2.1; RFC 3581 rport).

use alloc::borrow::Cow;

use bytes::BufMut;

use super::{TypedHeader, header_params, parse_all};
use crate::error::{Error, ErrorKind};
use crate::message::HeaderName;
use crate::params::Params;
use crate::scan::write_decimal;
use crate::uri::{Host, parse_host};

/// One `via-parm = sent-protocol LWS sent-by *( SEMI via-params )`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via<'a> {
    /// The transport of `SIP/2.0/<transport>`: `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, ...
    pub transport: Cow<'a, str>,
    /// The sent-by host.
    pub host: Host<'a>,
    /// The sent-by port.
    pub port: Option<u16>,
    /// `;branch=...;received=...;rport` and extensions.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// The `branch` parameter (the transaction id when it starts with `z9hG4bK`).
    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch")
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&str> {
        self.params.get("received")
    }

    /// The same Via, owning its text.
    pub fn into_owned(self) -> Via<'static> {
        Via {
            transport: Cow::Owned(self.transport.into_owned()),
            host: self.host.into_owned(),
            port: self.port,
            params: self.params.into_owned(),
        }
    }

    /// The `rport` parameter (RFC 3581): `Some(None)` when present without a value.
    pub fn rport(&self) -> Option<Option<u16>> {
        let v = self.params.get("rport")?;
        Some(v.parse().ok())
    }
}

impl<'a> TypedHeader<'a> for Via<'a> {
    const NAME: HeaderName = HeaderName::Via;
    const LIST: bool = true;

    fn parse(value: &'a [u8]) -> Result<Self, Error> {
        parse_all(value, |c, s| {
            // sent-protocol = protocol-name SLASH protocol-version SLASH transport
            let name = c.token()?;
            c.eat_sep(b'/').then_some(()).ok_or(c.err(ErrorKind::Expected("'/'")))?;
            let version = c.token()?;
            if !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
                return Err(c.err(ErrorKind::UnsupportedVersion));
            }
            c.eat_sep(b'/').then_some(()).ok_or(c.err(ErrorKind::Expected("'/'")))?;
            let transport = c.token()?;
            let before = c.pos();
            c.skip_lws();
            if c.pos() == before {
                return Err(c.err(ErrorKind::Expected("whitespace")));
            }
            let host = parse_host(c, s)?;
            // sent-by = host [ COLON port ], where COLON allows whitespace around ':'
            let save = c.clone();
            c.skip_lws();
            let port = if c.eat(b':') {
                c.skip_lws();
                let at = c.pos();
                let n = c.u32().map_err(|_| c.err_at(ErrorKind::InvalidPort, at))?;
                Some(u16::try_from(n).map_err(|_| c.err_at(ErrorKind::InvalidPort, at))?)
            } else {
                *c = save;
                None
            };
            let params = header_params(c, s)?;
            Ok(Self { transport: transport.into(), host, port, params })
        })
    }

    fn write_value<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(b"SIP/2.0/");
        buf.put_slice(self.transport.as_bytes());
        buf.put_u8(b' ');
        self.host.write(buf);
        if let Some(p) = self.port {
            buf.put_u8(b':');
            write_decimal(buf, u64::from(p));
        }
        buf.put_slice(self.params.as_str().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vias() {
        let v = Via::parse(b"SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds").unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.host, Host::Domain("pc33.atlanta.com".into()));
        assert_eq!(v.branch(), Some("z9hG4bK776asdhds"));
        let v = Via::parse(b"SIP / 2.0 / TCP 192.0.2.1 : 5060 ;received=192.0.2.207;rport=5061")
            .unwrap();
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.rport(), Some(Some(5061)));
        let v = Via::parse(
            b"SIP/2.0/UDP server10.biloxi.com;branch=z9hG4bK4b43c2ff8.1\r\n ;received=192.0.2.3",
        )
        .unwrap();
        assert_eq!(v.received(), Some("192.0.2.3"));
        let v = Via::parse(b"SIP/2.0/TLS [2001:db8::9:1];received=2001:db8::9:255;rport").unwrap();
        assert_eq!(v.rport(), Some(None));
        assert_eq!(Via::parse(b"SIP/3.0/UDP a").unwrap_err().kind(), ErrorKind::UnsupportedVersion);
    }
}
