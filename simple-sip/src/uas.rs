//! The checks a UAS makes of a request before acting on it (RFC 3261 §8.2), in the RFC's
//! order, each with the answer it names. The `Endpoint` runs these for every request that
//! creates a server transaction; they are usable on their own meanwhile.
//!
//! ```
//! use simple_sip::uas::{UasConfig, check};
//! use simple_sip::{Header, Message, Method};
//!
//! let config = UasConfig::new(&[Method::Options, Method::Message]);
//! let bytes = b"SUBSCRIBE sip:bob@biloxi.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776\r\nMax-Forwards: 70\r\n\
//! To: <sip:bob@biloxi.com>\r\nFrom: <sip:alice@atlanta.com>;tag=19\r\nCall-ID: a84b\r\n\
//! CSeq: 1 SUBSCRIBE\r\nContent-Length: 0\r\n\r\n";
//! let mut headers = [Header::EMPTY; 16];
//! let request = Message::parse(bytes, &mut headers)?;
//! let refused = check(&request, &config, |_| false).unwrap_err();
//! assert_eq!(refused.code, 405);
//! assert_eq!(refused.header, Some(("Allow", "OPTIONS, MESSAGE".to_owned())));
//! # Ok::<(), simple_sip::Error>(())
//! ```

use crate::headers::{
    Accept, CSeq, CallId, Contact, ContentType, FromHeader, MediaType, Require, ToHeader, Via,
};
use crate::message::{HeaderName, Message, Method};
use crate::uri::Uri;

/// What a UAS supports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UasConfig {
    /// The methods it handles (ACK and CANCEL are always accepted; §8.2.1's 405 lists these).
    /// A method not listed gets 405 + Allow when it is a method of the RFCs this crate knows,
    /// 501 when it is an extension this UAS does not recognise (§21.5.2).
    pub methods: Vec<Method<'static>>,
    /// Hand every method up, listed or not (a UA that answers unknown methods itself, a test
    /// harness such as `sip_check`).
    pub any_method: bool,
    /// The element forwards requests (a proxy, or a server that relays MESSAGE): Max-Forwards
    /// 0 gets 483 except on OPTIONS (§16.3 step 3), and responses with several Vias are taken
    /// (the proxy strips its own Via and passes them back). A UA ignores it (RFC 4475 §3.3.11).
    pub forwards: bool,
    /// The Request-URI schemes it handles (default `sip`, `sips`; others get 416).
    pub schemes: Vec<String>,
    /// The option tags it supports (`Require` naming others gets 420 with `Unsupported`).
    pub extensions: Vec<String>,
    /// The body types it reads, as `type/subtype` (`*/*` for any; default
    /// `application/sdp`, `text/plain`, `text/html`, the SIMPLE bodies (PIDF and partial
    /// PIDF, watcherinfo, RLMI, message-summary, is-composing, xcap-diff, CPIM, IMDN,
    /// sipfrag) and the `multipart/mixed`, `related` and `alternative` bodies that carry
    /// them; others get 415 with `Accept`).
    pub accept: Vec<String>,
}

impl UasConfig {
    /// A UAS handling `methods`, with the default schemes and body types and no extensions.
    pub fn new(methods: &[Method<'_>]) -> Self {
        Self {
            methods: methods.iter().map(|m| m.clone().into_owned()).collect(),
            any_method: false,
            forwards: false,
            schemes: vec!["sip".to_owned(), "sips".to_owned()],
            extensions: Vec::new(),
            accept: [
                "application/sdp",
                "text/plain",
                "application/pidf+xml",
                "application/pidf-diff+xml",
                "application/watcherinfo+xml",
                "application/rlmi+xml",
                "application/simple-message-summary",
                "application/im-iscomposing+xml",
                "application/xcap-diff+xml",
                "application/resource-lists+xml",
                "message/cpim",
                "message/imdn+xml",
                "message/sipfrag",
                "text/html",
                "multipart/mixed",
                "multipart/related",
                "multipart/alternative",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// A request refused: the response code and phrase to send, and the header it must carry
/// (`Allow` with 405, `Unsupported` with 420, `Accept` with 415).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: &'static str,
    /// The header the response carries, as (name, value).
    pub header: Option<(&'static str, String)>,
    /// Why, for logs.
    pub why: &'static str,
}

impl Rejection {
    /// A rejection with no extra header.
    pub const fn new(code: u16, reason: &'static str, why: &'static str) -> Self {
        Self { code, reason, header: None, why }
    }
}

/// The headers that must appear exactly once (RFC 3261 §8.1.1, Table 2 and §20).
const SINGLE: [HeaderName; 6] = [
    HeaderName::To,
    HeaderName::From,
    HeaderName::CallId,
    HeaderName::CSeq,
    HeaderName::MaxForwards,
    HeaderName::ContentLength,
];

/// The identity §8.2.2.2 compares to find a merged request (a copy that reached the UAS
/// along another path): From tag, Call-ID and CSeq.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MergeKey {
    /// The From tag.
    pub from_tag: String,
    /// The Call-ID.
    pub call_id: String,
    /// The CSeq number and method.
    pub cseq: (u32, String),
}

/// Runs the §8.2 checks on `request`, in order: well-formed (400: a mandatory header missing,
/// one of the single-value headers more than once or unreadable, a CSeq method other than the
/// request's), 405 for a method not handled, 416 for a Request-URI scheme not handled, 482
/// for a merged request (`merged` says whether another transaction already has its
/// [`MergeKey`]; asked only for requests without a To tag), 420 for a required extension not
/// supported, 415 for a body type not read.
pub fn check(
    request: &Message<'_, '_>,
    config: &UasConfig,
    merged: impl FnOnce(&MergeKey) -> bool,
) -> Result<(), Rejection> {
    let bad = |why| Rejection::new(400, "Bad Request", why);
    let Some(line) = request.request() else { return Err(bad("not a request")) };
    // well-formed enough to answer and to route the answer
    for name in SINGLE {
        let n = request.headers_named(name).count();
        let optional = matches!(name, HeaderName::MaxForwards | HeaderName::ContentLength);
        if n > 1 {
            return Err(bad("a single-value header appears more than once"));
        }
        if n == 0 && !optional {
            return Err(bad("a mandatory header is missing"));
        }
    }
    if !matches!(request.typed::<Via<'_>>(), Ok(Some(_))) {
        return Err(bad("no readable Via"));
    }
    let (Ok(from), Ok(to), Ok(call_id), Ok(cseq)) = (
        request.require::<FromHeader<'_>>(),
        request.require::<ToHeader<'_>>(),
        request.require::<CallId<'_>>(),
        request.require::<CSeq<'_>>(),
    ) else {
        return Err(bad("From, To, Call-ID or CSeq does not parse"));
    };
    // a Contact the dialog or the registrar would use must read (§20.10; RFC 4475 §3.1.2.13)
    if request.typed_all::<Contact<'_>>().any(|c| c.is_err()) {
        return Err(bad("Contact does not parse"));
    }
    // §8.2.1: an unknown method is answered 501 whatever its CSeq says (RFC 4475 §3.1.2.18)
    let always = matches!(line.method, Method::Ack | Method::Cancel);
    let handled = always || config.any_method || config.methods.contains(&line.method);
    if !handled && matches!(line.method, Method::Extension(_)) {
        return Err(Rejection::new(501, "Not Implemented", "method not recognised"));
    }
    if cseq.method != line.method {
        return Err(bad("the CSeq method is not the request's"));
    }
    let Ok(uri) = Uri::parse(&line.uri) else { return Err(bad("the Request-URI does not parse")) };
    if let Uri::Sip(u) = &uri {
        if u.headers.is_some() {
            // §19.1.5: headers belong in a URI of a header field, never in a Request-URI
            return Err(bad("the Request-URI carries headers"));
        }
    }
    if config.forwards && line.method != Method::Options {
        if let Ok(Some(crate::headers::MaxForwards(0))) =
            request.typed::<crate::headers::MaxForwards>()
        {
            return Err(Rejection::new(483, "Too Many Hops", "Max-Forwards is 0"));
        }
    }
    if !handled {
        let allow: Vec<&str> = config.methods.iter().map(Method::as_str).collect();
        let mut r = Rejection::new(405, "Method Not Allowed", "method not handled");
        r.header = Some(("Allow", allow.join(", ")));
        return Err(r);
    }
    // §8.2.2.1
    let scheme = match &uri {
        Uri::Sip(u) => match u.scheme {
            crate::uri::Scheme::Sip => "sip",
            crate::uri::Scheme::Sips => "sips",
        },
        Uri::Tel(_) => "tel",
        Uri::Other(o) => &o.scheme,
    };
    if !config.schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return Err(Rejection::new(
            416,
            "Unsupported URI Scheme",
            "Request-URI scheme not handled",
        ));
    }
    // §8.2.2.2
    if to.tag().is_none() {
        if let Some(from_tag) = from.tag() {
            let key = MergeKey {
                from_tag: from_tag.to_owned(),
                call_id: call_id.0.into_owned(),
                cseq: (cseq.seq, cseq.method.as_str().to_owned()),
            };
            if merged(&key) {
                return Err(Rejection::new(482, "Loop Detected", "merged request"));
            }
        }
    }
    // §8.2.2.3 (not for ACK and CANCEL)
    if !always {
        let mut unsupported: Vec<String> = Vec::new();
        for tag in request.typed_all::<Require<'_>>() {
            let Ok(tag) = tag else { return Err(bad("Require does not parse")) };
            if !config.extensions.iter().any(|e| e.eq_ignore_ascii_case(&tag.0)) {
                unsupported.push(tag.0.into_owned());
            }
        }
        if !unsupported.is_empty() {
            let mut r = Rejection::new(420, "Bad Extension", "required extension not supported");
            r.header = Some(("Unsupported", unsupported.join(", ")));
            return Err(r);
        }
    }
    // §8.2.3
    if !request.body().is_empty() && !always {
        let readable = match request.typed::<ContentType<'_>>() {
            // an accepted `type/*` or `*/*` is a MediaType whose `*` matches anything
            Ok(Some(ct)) => config.accept.iter().any(|a| {
                let (t, s) = a.split_once('/').unwrap_or((a, "*"));
                MediaType::new(t, s).matches(&ct.type_, &ct.subtype)
            }),
            Ok(None) => false,
            Err(_) => return Err(bad("Content-Type does not parse")),
        };
        if !readable {
            let mut r = Rejection::new(415, "Unsupported Media Type", "body type not read");
            r.header = Some(("Accept", config.accept.join(", ")));
            return Err(r);
        }
    }
    // §8.2.3 / §21.4.7: an INVITE whose Accept rules out SDP cannot be answered with a session
    // description (RFC 4475 §3.3.15)
    if line.method == Method::Invite && request.header(HeaderName::Accept).is_some() {
        let mut sdp = false;
        for range in request.typed_all::<Accept<'_>>() {
            let Ok(range) = range else { return Err(bad("Accept does not parse")) };
            sdp |= range.matches("application", "sdp");
        }
        if !sdp {
            let mut r = Rejection::new(406, "Not Acceptable", "Accept rules out application/sdp");
            r.header = Some(("Accept", "application/sdp".to_owned()));
            return Err(r);
        }
    }
    Ok(())
}
