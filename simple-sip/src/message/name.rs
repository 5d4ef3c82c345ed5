//! Header names: the ones SIMPLE uses, their compact forms (RFC 3261 §7.3.3 and later RFCs).

use core::fmt;

macro_rules! header_names {
    ($( $(#[$doc:meta])* $variant:ident => $canon:literal, $lower:literal $(, $compact:literal)? ;)*) => {
        /// A header name the crate knows, or [`HeaderName::Other`].
        ///
        /// Names compare case-insensitively; compact forms map to their long names
        /// (`v` is [`HeaderName::Via`]). The spelling used on the wire is kept in
        /// [`Header::name`](crate::Header::name).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum HeaderName {
            $( $(#[$doc])* $variant, )*
            /// Any other header: see [`Header::name`](crate::Header::name) for its spelling.
            Other,
        }

        impl HeaderName {
            /// The canonical spelling, e.g. `Call-ID`; `None` for [`HeaderName::Other`].
            pub const fn as_str(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some($canon), )*
                    Self::Other => None,
                }
            }

            /// The compact form, if the name has one (`i` for Call-ID).
            pub const fn compact(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => header_names!(@compact $($compact)?), )*
                    Self::Other => None,
                }
            }

            /// Every named variant, in table order.
            #[cfg(test)]
            pub(crate) const ALL: &'static [Self] = &[$( Self::$variant, )*];

            /// Classifies a header name as written on the wire (case-insensitive, compact forms too).
            pub fn from_bytes(name: &[u8]) -> Self {
                if name.len() == 1 {
                    let c = name[0].to_ascii_lowercase();
                    $( $( if c == $compact.as_bytes()[0] { return Self::$variant; } )? )*
                    return Self::Other;
                }
                // lower-case into a stack buffer, then one `match` on byte strings, which the
                // compiler turns into a switch on length and a few comparisons
                let mut lower = [0u8; 32];
                let Some(dst) = lower.get_mut(..name.len()) else { return Self::Other };
                for (d, s) in dst.iter_mut().zip(name) {
                    *d = s.to_ascii_lowercase();
                }
                match &*dst {
                    $( $lower => Self::$variant, )*
                    _ => Self::Other,
                }
            }
        }
    };
    (@compact $c:literal) => { Some($c) };
    (@compact) => { None };
}

header_names! {
    /// `Accept` (RFC 3261 §20.1)
    Accept => "Accept", b"accept";
    /// `Accept-Contact` (RFC 3841)
    AcceptContact => "Accept-Contact", b"accept-contact", "a";
    /// `Accept-Encoding` (RFC 3261 §20.2)
    AcceptEncoding => "Accept-Encoding", b"accept-encoding";
    /// `Accept-Language` (RFC 3261 §20.3)
    AcceptLanguage => "Accept-Language", b"accept-language";
    /// `Alert-Info` (RFC 3261 §20.4)
    AlertInfo => "Alert-Info", b"alert-info";
    /// `Allow` (RFC 3261 §20.5)
    Allow => "Allow", b"allow";
    /// `Allow-Events` (RFC 6665 §8.2.2)
    AllowEvents => "Allow-Events", b"allow-events", "u";
    /// `Authentication-Info` (RFC 3261 §20.6)
    AuthenticationInfo => "Authentication-Info", b"authentication-info";
    /// `Authorization` (RFC 3261 §20.7)
    Authorization => "Authorization", b"authorization";
    /// `Call-ID` (RFC 3261 §20.8)
    CallId => "Call-ID", b"call-id", "i";
    /// `Call-Info` (RFC 3261 §20.9)
    CallInfo => "Call-Info", b"call-info";
    /// `Contact` (RFC 3261 §20.10)
    Contact => "Contact", b"contact", "m";
    /// `Content-Disposition` (RFC 3261 §20.11)
    ContentDisposition => "Content-Disposition", b"content-disposition";
    /// `Content-Encoding` (RFC 3261 §20.12)
    ContentEncoding => "Content-Encoding", b"content-encoding", "e";
    /// `Content-ID` (RFC 2045, used by multipart/related)
    ContentId => "Content-ID", b"content-id";
    /// `Content-Language` (RFC 3261 §20.13)
    ContentLanguage => "Content-Language", b"content-language";
    /// `Content-Length` (RFC 3261 §20.14)
    ContentLength => "Content-Length", b"content-length", "l";
    /// `Content-Transfer-Encoding` (RFC 2045)
    ContentTransferEncoding => "Content-Transfer-Encoding", b"content-transfer-encoding";
    /// `Content-Type` (RFC 3261 §20.15)
    ContentType => "Content-Type", b"content-type", "c";
    /// `CSeq` (RFC 3261 §20.16)
    CSeq => "CSeq", b"cseq";
    /// `Date` (RFC 3261 §20.17)
    Date => "Date", b"date";
    /// `Error-Info` (RFC 3261 §20.18)
    ErrorInfo => "Error-Info", b"error-info";
    /// `Event` (RFC 6665 §8.2.1)
    Event => "Event", b"event", "o";
    /// `Expires` (RFC 3261 §20.19)
    Expires => "Expires", b"expires";
    /// `From` (RFC 3261 §20.20)
    From => "From", b"from", "f";
    /// `In-Reply-To` (RFC 3261 §20.21)
    InReplyTo => "In-Reply-To", b"in-reply-to";
    /// `Max-Forwards` (RFC 3261 §20.22)
    MaxForwards => "Max-Forwards", b"max-forwards";
    /// `MIME-Version` (RFC 3261 §20.24)
    MimeVersion => "MIME-Version", b"mime-version";
    /// `Min-Expires` (RFC 3261 §20.23)
    MinExpires => "Min-Expires", b"min-expires";
    /// `Organization` (RFC 3261 §20.25)
    Organization => "Organization", b"organization";
    /// `Priority` (RFC 3261 §20.26)
    Priority => "Priority", b"priority";
    /// `Proxy-Authenticate` (RFC 3261 §20.27)
    ProxyAuthenticate => "Proxy-Authenticate", b"proxy-authenticate";
    /// `Proxy-Authorization` (RFC 3261 §20.28)
    ProxyAuthorization => "Proxy-Authorization", b"proxy-authorization";
    /// `Proxy-Require` (RFC 3261 §20.29)
    ProxyRequire => "Proxy-Require", b"proxy-require";
    /// `Record-Route` (RFC 3261 §20.30)
    RecordRoute => "Record-Route", b"record-route";
    /// `Refer-To` (RFC 3515)
    ReferTo => "Refer-To", b"refer-to", "r";
    /// `Referred-By` (RFC 3892)
    ReferredBy => "Referred-By", b"referred-by", "b";
    /// `Reject-Contact` (RFC 3841)
    RejectContact => "Reject-Contact", b"reject-contact", "j";
    /// `Reply-To` (RFC 3261 §20.31)
    ReplyTo => "Reply-To", b"reply-to";
    /// `Request-Disposition` (RFC 3841)
    RequestDisposition => "Request-Disposition", b"request-disposition", "d";
    /// `Require` (RFC 3261 §20.32)
    Require => "Require", b"require";
    /// `Retry-After` (RFC 3261 §20.33)
    RetryAfter => "Retry-After", b"retry-after";
    /// `Route` (RFC 3261 §20.34)
    Route => "Route", b"route";
    /// `Server` (RFC 3261 §20.35)
    Server => "Server", b"server";
    /// `Session-Expires` (RFC 4028)
    SessionExpires => "Session-Expires", b"session-expires", "x";
    /// `SIP-ETag` (RFC 3903 §11.3.1)
    SipETag => "SIP-ETag", b"sip-etag";
    /// `SIP-If-Match` (RFC 3903 §11.3.2)
    SipIfMatch => "SIP-If-Match", b"sip-if-match";
    /// `Subject` (RFC 3261 §20.36)
    Subject => "Subject", b"subject", "s";
    /// `Subscription-State` (RFC 6665 §8.2.3)
    SubscriptionState => "Subscription-State", b"subscription-state";
    /// `Supported` (RFC 3261 §20.37)
    Supported => "Supported", b"supported", "k";
    /// `Timestamp` (RFC 3261 §20.38)
    Timestamp => "Timestamp", b"timestamp";
    /// `To` (RFC 3261 §20.39)
    To => "To", b"to", "t";
    /// `Unsupported` (RFC 3261 §20.40)
    Unsupported => "Unsupported", b"unsupported";
    /// `User-Agent` (RFC 3261 §20.41)
    UserAgent => "User-Agent", b"user-agent";
    /// `Via` (RFC 3261 §20.42)
    Via => "Via", b"via", "v";
    /// `Warning` (RFC 3261 §20.43)
    Warning => "Warning", b"warning";
    /// `WWW-Authenticate` (RFC 3261 §20.44)
    WwwAuthenticate => "WWW-Authenticate", b"www-authenticate";
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str().unwrap_or("(other)"))
    }
}

#[cfg(test)]
mod tests {
    use super::HeaderName;

    #[test]
    fn compact_and_case() {
        assert_eq!(HeaderName::from_bytes(b"v"), HeaderName::Via);
        assert_eq!(HeaderName::from_bytes(b"I"), HeaderName::CallId);
        assert_eq!(HeaderName::from_bytes(b"call-id"), HeaderName::CallId);
        assert_eq!(HeaderName::from_bytes(b"SIP-ETAG"), HeaderName::SipETag);
        assert_eq!(HeaderName::from_bytes(b"X-Foo"), HeaderName::Other);
        assert_eq!(HeaderName::from_bytes(b"q"), HeaderName::Other);
        assert_eq!(HeaderName::Contact.compact(), Some("m"));
        assert_eq!(HeaderName::CSeq.compact(), None);
    }

    #[test]
    fn lower_case_table_matches_canonical_names() {
        for &name in HeaderName::ALL {
            let canon = name.as_str().unwrap();
            assert_eq!(HeaderName::from_bytes(canon.as_bytes()), name, "{canon}");
            assert_eq!(HeaderName::from_bytes(canon.to_ascii_uppercase().as_bytes()), name);
            if let Some(c) = name.compact() {
                assert_eq!(HeaderName::from_bytes(c.to_ascii_uppercase().as_bytes()), name);
            }
        }
    }
}
