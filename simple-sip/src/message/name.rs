//! Header names: the ones SIMPLE uses, their compact forms (RFC 3261 §7.3.3 and later RFCs).

use core::fmt;

macro_rules! header_names {
    ($( $(#[$doc:meta])* $variant:ident => $canon:literal $(, $compact:literal)? ;)*) => {
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

            /// Classifies a header name as written on the wire (case-insensitive, compact forms too).
            pub fn from_bytes(name: &[u8]) -> Self {
                if name.len() == 1 {
                    let c = name[0].to_ascii_lowercase();
                    $( $( if c == $compact.as_bytes()[0] { return Self::$variant; } )? )*
                    return Self::Other;
                }
                $( if name.eq_ignore_ascii_case($canon.as_bytes()) { return Self::$variant; } )*
                Self::Other
            }
        }
    };
    (@compact $c:literal) => { Some($c) };
    (@compact) => { None };
}

header_names! {
    /// `Accept` (RFC 3261 §20.1)
    Accept => "Accept";
    /// `Accept-Contact` (RFC 3841)
    AcceptContact => "Accept-Contact", "a";
    /// `Accept-Encoding` (RFC 3261 §20.2)
    AcceptEncoding => "Accept-Encoding";
    /// `Accept-Language` (RFC 3261 §20.3)
    AcceptLanguage => "Accept-Language";
    /// `Alert-Info` (RFC 3261 §20.4)
    AlertInfo => "Alert-Info";
    /// `Allow` (RFC 3261 §20.5)
    Allow => "Allow";
    /// `Allow-Events` (RFC 6665 §8.2.2)
    AllowEvents => "Allow-Events", "u";
    /// `Authentication-Info` (RFC 3261 §20.6)
    AuthenticationInfo => "Authentication-Info";
    /// `Authorization` (RFC 3261 §20.7)
    Authorization => "Authorization";
    /// `Call-ID` (RFC 3261 §20.8)
    CallId => "Call-ID", "i";
    /// `Call-Info` (RFC 3261 §20.9)
    CallInfo => "Call-Info";
    /// `Contact` (RFC 3261 §20.10)
    Contact => "Contact", "m";
    /// `Content-Disposition` (RFC 3261 §20.11)
    ContentDisposition => "Content-Disposition";
    /// `Content-Encoding` (RFC 3261 §20.12)
    ContentEncoding => "Content-Encoding", "e";
    /// `Content-ID` (RFC 2045, used by multipart/related)
    ContentId => "Content-ID";
    /// `Content-Language` (RFC 3261 §20.13)
    ContentLanguage => "Content-Language";
    /// `Content-Length` (RFC 3261 §20.14)
    ContentLength => "Content-Length", "l";
    /// `Content-Transfer-Encoding` (RFC 2045)
    ContentTransferEncoding => "Content-Transfer-Encoding";
    /// `Content-Type` (RFC 3261 §20.15)
    ContentType => "Content-Type", "c";
    /// `CSeq` (RFC 3261 §20.16)
    CSeq => "CSeq";
    /// `Date` (RFC 3261 §20.17)
    Date => "Date";
    /// `Error-Info` (RFC 3261 §20.18)
    ErrorInfo => "Error-Info";
    /// `Event` (RFC 6665 §8.2.1)
    Event => "Event", "o";
    /// `Expires` (RFC 3261 §20.19)
    Expires => "Expires";
    /// `From` (RFC 3261 §20.20)
    From => "From", "f";
    /// `In-Reply-To` (RFC 3261 §20.21)
    InReplyTo => "In-Reply-To";
    /// `Max-Forwards` (RFC 3261 §20.22)
    MaxForwards => "Max-Forwards";
    /// `MIME-Version` (RFC 3261 §20.24)
    MimeVersion => "MIME-Version";
    /// `Min-Expires` (RFC 3261 §20.23)
    MinExpires => "Min-Expires";
    /// `Organization` (RFC 3261 §20.25)
    Organization => "Organization";
    /// `Priority` (RFC 3261 §20.26)
    Priority => "Priority";
    /// `Proxy-Authenticate` (RFC 3261 §20.27)
    ProxyAuthenticate => "Proxy-Authenticate";
    /// `Proxy-Authorization` (RFC 3261 §20.28)
    ProxyAuthorization => "Proxy-Authorization";
    /// `Proxy-Require` (RFC 3261 §20.29)
    ProxyRequire => "Proxy-Require";
    /// `Record-Route` (RFC 3261 §20.30)
    RecordRoute => "Record-Route";
    /// `Refer-To` (RFC 3515)
    ReferTo => "Refer-To", "r";
    /// `Referred-By` (RFC 3892)
    ReferredBy => "Referred-By", "b";
    /// `Reject-Contact` (RFC 3841)
    RejectContact => "Reject-Contact", "j";
    /// `Reply-To` (RFC 3261 §20.31)
    ReplyTo => "Reply-To";
    /// `Request-Disposition` (RFC 3841)
    RequestDisposition => "Request-Disposition", "d";
    /// `Require` (RFC 3261 §20.32)
    Require => "Require";
    /// `Retry-After` (RFC 3261 §20.33)
    RetryAfter => "Retry-After";
    /// `Route` (RFC 3261 §20.34)
    Route => "Route";
    /// `Server` (RFC 3261 §20.35)
    Server => "Server";
    /// `Session-Expires` (RFC 4028)
    SessionExpires => "Session-Expires", "x";
    /// `SIP-ETag` (RFC 3903 §11.3.1)
    SipETag => "SIP-ETag";
    /// `SIP-If-Match` (RFC 3903 §11.3.2)
    SipIfMatch => "SIP-If-Match";
    /// `Subject` (RFC 3261 §20.36)
    Subject => "Subject", "s";
    /// `Subscription-State` (RFC 6665 §8.2.3)
    SubscriptionState => "Subscription-State";
    /// `Supported` (RFC 3261 §20.37)
    Supported => "Supported", "k";
    /// `Timestamp` (RFC 3261 §20.38)
    Timestamp => "Timestamp";
    /// `To` (RFC 3261 §20.39)
    To => "To", "t";
    /// `Unsupported` (RFC 3261 §20.40)
    Unsupported => "Unsupported";
    /// `User-Agent` (RFC 3261 §20.41)
    UserAgent => "User-Agent";
    /// `Via` (RFC 3261 §20.42)
    Via => "Via", "v";
    /// `Warning` (RFC 3261 §20.43)
    Warning => "Warning";
    /// `WWW-Authenticate` (RFC 3261 §20.44)
    WwwAuthenticate => "WWW-Authenticate";
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
}
