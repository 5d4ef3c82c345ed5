//! Dialogs (RFC 3261 §12): their state, created on the UAC side from a 2xx or a 1xx with a To
//! tag (early), on the UAS side from the request it answers, and on a subscriber from the
//! NOTIFY that arrives for its SUBSCRIBE (RFC 6665 §4.1.2.4); requests inside them (§12.2.1.1,
//! loose routing and the strict-route fallback), the checks of requests received in them
//! (§12.2.2: a lower CSeq gets 500), target refresh and termination.
//!
//! A dialog is plain state: it builds the fields of the next request ([`Dialog::next_request`]
//! gives a [`NewRequest`](crate::endpoint::NewRequest) for [`Endpoint::build_request`](crate::endpoint::Endpoint::build_request))
//! and reads the requests and responses its owner passes it. Which transport and address the
//! next hop is ([`Dialog::next_hop`]) is the caller's resolution (RFC 3263).
//!
//! ```
//! use bytes::Bytes;
//! use simple_sip::dialog::{Dialog, DialogState};
//! use simple_sip::{Method, OwnedMessage};
//!
//! let invite = OwnedMessage::parse(Bytes::from_static(b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776\r\nMax-Forwards: 70\r\n\
//! To: <sip:bob@biloxi.com>\r\nFrom: <sip:alice@atlanta.com>;tag=1928\r\nCall-ID: a84b\r\n\
//! CSeq: 314159 INVITE\r\nContact: <sip:alice@pc33.atlanta.com>\r\nContent-Length: 0\r\n\r\n"))?;
//! let ok = OwnedMessage::parse(Bytes::from_static(b"SIP/2.0 200 OK\r\n\
//! Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776\r\n\
//! Record-Route: <sip:p2.biloxi.com;lr>, <sip:p1.atlanta.com;lr>\r\n\
//! To: <sip:bob@biloxi.com>;tag=a6c8\r\nFrom: <sip:alice@atlanta.com>;tag=1928\r\nCall-ID: a84b\r\n\
//! CSeq: 314159 INVITE\r\nContact: <sip:bob@192.0.2.4>\r\nContent-Length: 0\r\n\r\n"))?;
//!
//! let mut dialog = Dialog::uac(&invite, &ok).unwrap();
//! assert_eq!(dialog.state(), DialogState::Confirmed);
//! // the route set is the Record-Route reversed; loose routing keeps the target as Request-URI
//! let bye = dialog.next_request(Method::Bye);
//! assert_eq!(bye.uri, "sip:bob@192.0.2.4");
//! assert_eq!(bye.route, ["<sip:p1.atlanta.com;lr>", "<sip:p2.biloxi.com;lr>"]);
//! assert_eq!(bye.cseq, 314160);
//! assert_eq!(dialog.next_hop(), "sip:p1.atlanta.com;lr");
//! # Ok::<(), simple_sip::Error>(())
//! ```

use crate::error::Error;
use crate::headers::{CSeq, CallId, Contact, FromHeader, NameAddr, RecordRoute, ToHeader};
use crate::message::{Message, Method, OwnedMessage};
use crate::uas::Rejection;
use crate::uri::Uri;

/// What identifies a dialog (§12): Call-ID, local tag, remote tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: String,
    /// This side's tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

/// Where a dialog is (§12: early dialogs come from provisional responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogState {
    /// Created by a 1xx with a To tag: a 2xx confirms it, a failure ends it.
    Early,
    /// Created or confirmed by a 2xx (or by a request, at the UAS).
    Confirmed,
    /// Ended (BYE, a 481 or 408 to an in-dialog request, a failure of an early dialog).
    Terminated,
}

/// Why a dialog could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    /// A header the dialog needs is missing or does not parse.
    #[error("header missing or malformed: {0}")]
    Header(Error),
    /// The response (or NOTIFY) has no tag for the remote side.
    #[error("no remote tag")]
    NoRemoteTag,
    /// The request has no From tag.
    #[error("no local tag")]
    NoLocalTag,
    /// The response does not create a dialog (100, or 300-699).
    #[error("this response creates no dialog")]
    NoDialog,
}

impl From<Error> for DialogError {
    fn from(e: Error) -> Self {
        Self::Header(e)
    }
}

/// The fields of a request inside a dialog (§12.2.1.1), ready for
/// [`NewRequest`](crate::endpoint::NewRequest) via [`InDialogRequest::as_new_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InDialogRequest {
    /// The method.
    pub method: Method<'static>,
    /// The Request-URI: the remote target, or the first route when it is a strict router.
    pub uri: String,
    /// Route values in order (with the remote target last for a strict router).
    pub route: Vec<String>,
    /// From (local URI) without the tag.
    pub from: String,
    /// The local tag.
    pub from_tag: String,
    /// To (remote URI) without the tag.
    pub to: String,
    /// The remote tag.
    pub to_tag: String,
    /// The Call-ID.
    pub call_id: String,
    /// The CSeq number.
    pub cseq: u32,
}

impl InDialogRequest {
    /// The [`NewRequest`](crate::endpoint::NewRequest) for this request; add a Contact (a
    /// target refresh), headers and a body to it. `route` holds the borrowed Route values.
    pub fn as_new_request<'a>(&'a self, route: &'a [&'a str]) -> crate::endpoint::NewRequest<'a> {
        let mut new = crate::endpoint::NewRequest::new(self.method.clone(), &self.uri, &self.from);
        new.from_tag = Some(&self.from_tag);
        new.to = Some(&self.to);
        new.to_tag = Some(&self.to_tag);
        new.call_id = Some(&self.call_id);
        new.cseq = self.cseq;
        new.route = route;
        new
    }

    /// The Route values borrowed, for [`InDialogRequest::as_new_request`].
    pub fn route_refs(&self) -> Vec<&str> {
        self.route.iter().map(String::as_str).collect()
    }
}

/// A dialog's state (§12.1, §12.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    local_seq: u32,
    remote_seq: Option<u32>,
    local_uri: String,
    remote_uri: String,
    remote_target: String,
    route_set: Vec<String>,
}

/// A confirmed dialog's state as plain data ([`Dialog::record`], [`Dialog::restore`]): what a
/// server stores to go on with its dialogs after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogRecord {
    /// The dialog id.
    pub id: DialogId,
    /// The last CSeq number this side used.
    pub local_seq: u32,
    /// The last CSeq number received from the peer.
    pub remote_seq: Option<u32>,
    /// `<uri>` of this side.
    pub local_uri: String,
    /// `<uri>` of the peer.
    pub remote_uri: String,
    /// The peer's Contact URI.
    pub remote_target: String,
    /// The route set, first hop first.
    pub route_set: Vec<String>,
}

/// `<uri>` of a name-addr, without display name or parameters.
fn bracketed(n: &NameAddr<'_>) -> String {
    format!("<{}>", n.uri)
}

/// A route value as written: `<uri>;params`.
fn route_value(n: &NameAddr<'_>) -> String {
    format!("<{}>{}", n.uri, n.params.as_str())
}

/// What the UAC's own request says of its side of the dialog.
struct Local {
    /// `<uri>` of From.
    uri: String,
    /// The From tag.
    tag: String,
    /// The CSeq number.
    seq: u32,
    /// The Request-URI (the target when the answer has no Contact).
    request_uri: String,
}

/// The local side of a dialog the UAC's `request` (an INVITE, a SUBSCRIBE) creates.
fn local(request: &OwnedMessage) -> Result<Local, DialogError> {
    request.view(|m| {
        let from = m.require::<FromHeader<'_>>()?;
        Ok(Local {
            uri: bracketed(&from.0),
            tag: from.tag().ok_or(DialogError::NoLocalTag)?.to_owned(),
            seq: m.require::<CSeq<'_>>()?.seq,
            request_uri: m.request().map(|r| r.uri.to_string()).unwrap_or_default(),
        })
    })
}

/// Record-Route values of `m`, top first.
fn record_route(m: &Message<'_, '_>) -> Result<Vec<String>, Error> {
    m.typed_all::<RecordRoute<'_>>().map(|r| r.map(|r| route_value(&r.0))).collect()
}

/// The first Contact URI of `m`, if any.
fn contact(m: &Message<'_, '_>) -> Result<Option<String>, Error> {
    for c in m.typed_all::<Contact<'_>>() {
        if let Some(a) = c?.address() {
            return Ok(Some(a.uri.to_string()));
        }
    }
    Ok(None)
}

/// Whether a dialog-creating or target-refreshing method (§12.1, RFC 6665 §4.1.2.4 for
/// SUBSCRIBE/NOTIFY, RFC 3311 UPDATE).
const fn refreshes_target(m: &Method<'_>) -> bool {
    matches!(
        m,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
    )
}

impl Dialog {
    /// The UAC's dialog from its `request` and a `response` to it (§12.1.2): a 2xx makes it
    /// confirmed, a 101-199 with a To tag early. The route set is the response's Record-Route
    /// reversed, the remote target its Contact.
    pub fn uac(request: &OwnedMessage, response: &OwnedMessage) -> Result<Self, DialogError> {
        let state = match response.status_code() {
            Some(101..=199) => DialogState::Early,
            Some(200..=299) => DialogState::Confirmed,
            _ => return Err(DialogError::NoDialog),
        };
        let Local { uri: local_uri, tag: local_tag, seq: local_seq, request_uri } = local(request)?;
        response.view(|m| {
            let to = m.require::<ToHeader<'_>>()?;
            let remote_tag = to.tag().ok_or(DialogError::NoRemoteTag)?.to_owned();
            let call_id = m.require::<CallId<'_>>()?.0.into_owned();
            let mut route_set = record_route(m)?;
            route_set.reverse();
            Ok(Self {
                id: DialogId { call_id, local_tag, remote_tag },
                state,
                local_seq,
                remote_seq: None,
                local_uri,
                remote_uri: bracketed(&to.0),
                // no Contact (a broken peer): the Request-URI is the best target there is
                remote_target: contact(m)?.unwrap_or(request_uri),
                route_set,
            })
        })
    }

    /// The UAS's dialog from the `request` it answers with `local_tag` in its To (§12.1.1):
    /// confirmed when the answer is a 2xx, early for a 1xx. The route set is the request's
    /// Record-Route in order, the remote target its Contact.
    pub fn uas(
        request: &OwnedMessage,
        local_tag: &str,
        state: DialogState,
    ) -> Result<Self, DialogError> {
        request.view(|m| {
            let from = m.require::<FromHeader<'_>>()?;
            let to = m.require::<ToHeader<'_>>()?;
            let remote_tag = from.tag().ok_or(DialogError::NoRemoteTag)?.to_owned();
            let seq = m.require::<CSeq<'_>>()?.seq;
            Ok(Self {
                id: DialogId {
                    call_id: m.require::<CallId<'_>>()?.0.into_owned(),
                    local_tag: local_tag.to_owned(),
                    remote_tag,
                },
                state,
                local_seq: 0,
                remote_seq: Some(seq),
                local_uri: bracketed(&to.0),
                remote_uri: bracketed(&from.0),
                remote_target: contact(m)?.unwrap_or_else(|| from.0.uri.to_string()),
                route_set: record_route(m)?,
            })
        })
    }

    /// The subscriber's dialog created by a `notify` for its `subscribe` (RFC 6665 §4.1.2.4:
    /// the NOTIFY may come before the 2xx, and each fork's NOTIFY makes its own dialog): the
    /// remote tag is the NOTIFY's From tag, the route set its Record-Route in order (the
    /// subscriber is the NOTIFY's UAS), the remote target its Contact, the remote CSeq its
    /// CSeq.
    pub fn from_notify(
        subscribe: &OwnedMessage,
        notify: &OwnedMessage,
    ) -> Result<Self, DialogError> {
        let Local { uri: local_uri, tag: local_tag, seq: local_seq, .. } = local(subscribe)?;
        notify.view(|m| {
            let from = m.require::<FromHeader<'_>>()?;
            let remote_tag = from.tag().ok_or(DialogError::NoRemoteTag)?.to_owned();
            Ok(Self {
                id: DialogId {
                    call_id: m.require::<CallId<'_>>()?.0.into_owned(),
                    local_tag,
                    remote_tag,
                },
                state: DialogState::Confirmed,
                local_seq,
                remote_seq: Some(m.require::<CSeq<'_>>()?.seq),
                local_uri,
                remote_uri: bracketed(&from.0),
                remote_target: contact(m)?.unwrap_or_else(|| from.0.uri.to_string()),
                route_set: record_route(m)?,
            })
        })
    }

    /// The dialog id.
    pub const fn id(&self) -> &DialogId {
        &self.id
    }

    /// The state.
    pub const fn state(&self) -> DialogState {
        self.state
    }

    /// The remote target (the peer's Contact).
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// The route set, first hop first.
    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    /// The last CSeq number this side used.
    pub const fn local_seq(&self) -> u32 {
        self.local_seq
    }

    /// The last CSeq number received from the peer, once one was.
    pub const fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// Whether `m` (a request received, or a response to our request) belongs to this dialog:
    /// its Call-ID and tags (From/To the right way round).
    pub fn matches(&self, m: &Message<'_, '_>) -> bool {
        let (Ok(call_id), Ok(from), Ok(to)) =
            (m.require::<CallId<'_>>(), m.require::<FromHeader<'_>>(), m.require::<ToHeader<'_>>())
        else {
            return false;
        };
        let (local, remote) =
            if m.request().is_some() { (to.tag(), from.tag()) } else { (from.tag(), to.tag()) };
        call_id.0 == self.id.call_id
            && local == Some(self.id.local_tag.as_str())
            && remote == Some(self.id.remote_tag.as_str())
    }

    /// The next request in the dialog (§12.2.1.1): CSeq one more than the last (ACK and CANCEL
    /// reuse their INVITE's: use [`Dialog::ack`] for the ACK of a 2xx); the Request-URI is the
    /// remote target with loose routing, or the first route with a strict router, whose Route
    /// set then ends with the remote target.
    pub fn next_request(&mut self, method: Method<'_>) -> InDialogRequest {
        self.local_seq = self.local_seq.wrapping_add(1);
        self.request_with_seq(method, self.local_seq)
    }

    /// The ACK of the 2xx to the INVITE with CSeq `invite_seq` (§13.2.2.4): in the dialog,
    /// with the INVITE's CSeq number (the caller gives it a new branch: it is not in the
    /// INVITE's transaction).
    pub fn ack(&self, invite_seq: u32) -> InDialogRequest {
        self.request_with_seq(Method::Ack, invite_seq)
    }

    fn request_with_seq(&self, method: Method<'_>, cseq: u32) -> InDialogRequest {
        let strict = self.route_set.first().is_some_and(|r| !is_loose(r));
        let (uri, route) = if strict {
            // §12.2.1.1: the first route becomes the Request-URI (without parameters that are
            // not allowed there), the rest follow, then the remote target
            let mut route: Vec<String> = self.route_set[1..].to_vec();
            route.push(format!("<{}>", self.remote_target));
            (strip_brackets(&self.route_set[0]), route)
        } else {
            (self.remote_target.clone(), self.route_set.clone())
        };
        InDialogRequest {
            method: method.into_owned(),
            uri,
            route,
            from: self.local_uri.clone(),
            from_tag: self.id.local_tag.clone(),
            to: self.remote_uri.clone(),
            to_tag: self.id.remote_tag.clone(),
            call_id: self.id.call_id.clone(),
            cseq,
        }
    }

    /// The URI of the next hop: the first route, or the remote target (resolve it per RFC 3263
    /// to an address and transport).
    pub fn next_hop(&self) -> String {
        self.route_set.first().map_or_else(|| self.remote_target.clone(), |r| strip_brackets(r))
    }

    /// A request received in this dialog (§12.2.2). A CSeq lower than (or equal to) the last one
    /// gets 500 (ACK and CANCEL are exempt: they carry their INVITE's); otherwise the remote
    /// CSeq moves, a target refresh with a Contact replaces the remote target, and BYE ends the
    /// dialog.
    pub fn handle_request(&mut self, request: &OwnedMessage) -> Result<(), Rejection> {
        let bad = || Rejection::new(400, "Bad Request", "CSeq or Contact does not parse");
        request.view(|m| {
            let method = m.method().ok_or_else(bad)?;
            let seq = m.require::<CSeq<'_>>().map_err(|_| bad())?.seq;
            if matches!(method, Method::Ack | Method::Cancel) {
                return Ok(());
            }
            if self.remote_seq.is_some_and(|last| seq <= last) {
                return Err(Rejection::new(
                    500,
                    "Server Internal Error",
                    "CSeq lower than the dialog's",
                ));
            }
            self.remote_seq = Some(seq);
            if refreshes_target(&method) {
                if let Some(target) = contact(m).map_err(|_| bad())? {
                    self.remote_target = target;
                }
            }
            if method == Method::Bye {
                self.state = DialogState::Terminated;
            }
            Ok(())
        })
    }

    /// A response to a request this side sent in the dialog (§12.2.1.2): a 2xx to a target
    /// refresh replaces the remote target with its Contact; a 2xx to the INVITE of an early
    /// dialog confirms it (and recomputes the route set from its Record-Route); 481 and 408
    /// end the dialog, and so does a failure of the INVITE of an early dialog.
    pub fn handle_response(&mut self, method: &Method<'_>, response: &OwnedMessage) {
        let Some(code) = response.status_code() else { return };
        match code {
            200..=299 => response.view(|m| {
                if self.state == DialogState::Early {
                    self.state = DialogState::Confirmed;
                    if let Ok(mut routes) = record_route(m) {
                        routes.reverse();
                        self.route_set = routes;
                    }
                }
                if refreshes_target(method) {
                    if let Ok(Some(target)) = contact(m) {
                        self.remote_target = target;
                    }
                }
            }),
            408 | 481 => self.state = DialogState::Terminated,
            300..=699 if self.state == DialogState::Early && *method == Method::Invite => {
                self.state = DialogState::Terminated;
            }
            _ => {}
        }
        if *method == Method::Bye && code >= 200 {
            self.state = DialogState::Terminated;
        }
    }

    /// The dialog as plain data, to store.
    pub fn record(&self) -> DialogRecord {
        DialogRecord {
            id: self.id.clone(),
            local_seq: self.local_seq,
            remote_seq: self.remote_seq,
            local_uri: self.local_uri.clone(),
            remote_uri: self.remote_uri.clone(),
            remote_target: self.remote_target.clone(),
            route_set: self.route_set.clone(),
        }
    }

    /// A confirmed dialog from what [`Dialog::record`] stored: the next request goes on from
    /// the stored CSeq.
    pub fn restore(record: DialogRecord) -> Self {
        Self {
            id: record.id,
            state: DialogState::Confirmed,
            local_seq: record.local_seq,
            remote_seq: record.remote_seq,
            local_uri: record.local_uri,
            remote_uri: record.remote_uri,
            remote_target: record.remote_target,
            route_set: record.route_set,
        }
    }

    /// Ends the dialog (a BYE sent, the subscription over).
    pub const fn terminate(&mut self) {
        self.state = DialogState::Terminated;
    }
}

/// Whether a route value names a loose router (`;lr` in its URI).
fn is_loose(route: &str) -> bool {
    let inner = strip_brackets(route);
    Uri::parse(&inner).ok().is_some_and(|u| match u {
        Uri::Sip(s) => s.params.contains("lr"),
        Uri::Tel(_) | Uri::Other(_) => false,
    })
}

/// The URI of a `<uri>;params` route value.
fn strip_brackets(route: &str) -> String {
    unbracket(route).to_owned()
}

/// The URI inside `<...>` of a name-addr or route value, or the trimmed text when it has no
/// brackets.
pub(crate) fn unbracket(value: &str) -> &str {
    let r = value.trim();
    match (r.find('<'), r.find('>')) {
        (Some(a), Some(b)) if a < b => &r[a + 1..b],
        _ => r,
    }
}
