//! What the roles on top of the [`Endpoint`] share: requests kept in owned form to send again
//! (with credentials, a new CSeq, a new Expires), the deadline queue, where to send an
//! in-dialog request, and how a resource is named.

use core::net::{IpAddr, SocketAddr};
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use bytes::Bytes;

use crate::digest::{self, DigestClient};
use crate::endpoint::{ClientTx, Endpoint, Event, NewRequest, Transport};
use crate::headers::{ProxyAuthenticate, TypedHeader, WwwAuthenticate};
use crate::message::{HeaderName, Method, OwnedMessage};
use crate::uri::{Host, Uri};

/// A request in owned form: what [`NewRequest`] borrows, kept to build it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) method: Method<'static>,
    pub(crate) uri: String,
    pub(crate) from: String,
    pub(crate) from_tag: String,
    pub(crate) to: String,
    pub(crate) to_tag: Option<String>,
    pub(crate) call_id: String,
    pub(crate) cseq: u32,
    pub(crate) route: Vec<String>,
    pub(crate) contact: Option<String>,
    pub(crate) headers: Vec<(&'static str, Vec<u8>)>,
    pub(crate) body: Option<(String, Bytes)>,
}

impl Template {
    /// A request out of dialog with a fresh From tag and Call-ID from the endpoint's ids.
    pub(crate) fn new(ep: &mut Endpoint, method: Method<'static>, uri: &str, from: &str) -> Self {
        let from_tag = ep.ids().tag();
        let call_id = ep.ids().call_id(None);
        Self {
            method,
            uri: uri.to_owned(),
            from: from.to_owned(),
            from_tag,
            to: format!("<{uri}>"),
            to_tag: None,
            call_id,
            cseq: 1,
            route: Vec::new(),
            contact: None,
            headers: Vec::new(),
            body: None,
        }
    }

    /// A request in a dialog, from its fields.
    pub(crate) fn in_dialog(r: crate::dialog::InDialogRequest) -> Self {
        Self {
            method: r.method,
            uri: r.uri,
            from: r.from,
            from_tag: r.from_tag,
            to: r.to,
            to_tag: Some(r.to_tag),
            call_id: r.call_id,
            cseq: r.cseq,
            route: r.route,
            contact: None,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Sets (or replaces) header `name`.
    pub(crate) fn set(&mut self, name: &'static str, value: impl Into<Vec<u8>>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name, value.into()));
    }

    /// The value of header `name`, if set.
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// Removes header `name`.
    pub(crate) fn unset(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Builds the request through the endpoint (a fresh branch every time).
    pub(crate) fn build(&self, ep: &mut Endpoint, transport: Transport) -> OwnedMessage {
        let route: Vec<&str> = self.route.iter().map(String::as_str).collect();
        let headers: Vec<(&str, &[u8])> =
            self.headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
        let mut new = NewRequest::new(self.method.clone(), &self.uri, &self.from);
        new.from_tag = Some(&self.from_tag);
        new.to = Some(&self.to);
        new.to_tag = self.to_tag.as_deref();
        new.call_id = Some(&self.call_id);
        new.cseq = self.cseq;
        new.route = &route;
        new.contact = self.contact.as_deref();
        new.headers = &headers;
        new.body = self.body.as_ref().map(|(t, b)| (t.as_str(), &b[..]));
        ep.build_request(&new, transport)
    }

    /// The same request (method, Contact, headers, body) as the next one of `dialog`: its
    /// CSeq number, Request-URI and route (a retry with credentials or a longer expiry).
    pub(crate) fn next_in(self, dialog: &mut crate::dialog::Dialog) -> Self {
        let mut next = Self::in_dialog(dialog.next_request(self.method.clone()));
        next.contact = self.contact;
        next.headers = self.headers;
        next.body = self.body;
        next
    }

    /// Adds to the request the credentials answering the 401/407 `response` (the caller
    /// numbers the next attempt). False when there are no credentials or the client gives up.
    pub(crate) fn authorize(
        &mut self,
        ep: &mut Endpoint,
        client: Option<&mut DigestClient>,
        response: &OwnedMessage,
    ) -> bool {
        let Some(client) = client else { return false };
        let (challenge, answer_name) = match response.status_code() {
            Some(401) => (
                response
                    .header(HeaderName::WwwAuthenticate)
                    .and_then(|h| WwwAuthenticate::parse(h.value()).ok())
                    .map(|w| w.0.into_owned()),
                "Authorization",
            ),
            Some(407) => (
                response
                    .header(HeaderName::ProxyAuthenticate)
                    .and_then(|h| ProxyAuthenticate::parse(h.value()).ok())
                    .map(|w| w.0.into_owned()),
                "Proxy-Authorization",
            ),
            _ => return false,
        };
        let Some(challenge) = challenge else { return false };
        let body = self.body.as_ref().map_or(&[][..], |(_, b)| &b[..]);
        let request = digest::Request { method: self.method.as_str(), uri: &self.uri, body };
        let cnonce = ep.ids().cnonce();
        let Ok(value) = client.answer(&challenge, &request, &cnonce) else { return false };
        self.set(answer_name, value);
        true
    }
}

/// Deadlines of many things of one kind, keyed by `K`: a heap whose entries go stale when the
/// thing moves its deadline (the owner says which are live), so the next one is a peek.
#[derive(Debug, Clone)]
pub(crate) struct Deadlines<K: Ord> {
    heap: BinaryHeap<core::cmp::Reverse<(Instant, K)>>,
}

impl<K: Ord + Copy> Deadlines<K> {
    pub(crate) const fn new() -> Self {
        Self { heap: BinaryHeap::new() }
    }

    pub(crate) fn push(&mut self, at: Instant, key: K) {
        self.heap.push(core::cmp::Reverse((at, key)));
    }

    /// The earliest live deadline; stale ones in front are dropped.
    pub(crate) fn peek(&mut self, live: impl Fn(Instant, K) -> bool) -> Option<(Instant, K)> {
        while let Some(&core::cmp::Reverse((at, key))) = self.heap.peek() {
            if live(at, key) {
                return Some((at, key));
            }
            self.heap.pop();
        }
        None
    }

    /// The next live deadline due at `now`, taken off the queue.
    pub(crate) fn pop_due(
        &mut self,
        now: Instant,
        live: impl Fn(Instant, K) -> bool,
    ) -> Option<(Instant, K)> {
        let (at, key) = self.peek(live)?;
        if at > now {
            return None;
        }
        self.heap.pop();
        Some((at, key))
    }
}

/// Where a request to `uri` goes: its host when it is an IP address (port 5060, or 5061 for
/// `sips:`), else `fallback` (the address the peer's requests came from, or the outbound
/// proxy). Domain names are the caller's to resolve (RFC 3263).
pub fn destination(uri: &str, fallback: SocketAddr) -> SocketAddr {
    let Ok(Uri::Sip(u)) = Uri::parse(crate::dialog::unbracket(uri)) else { return fallback };
    let ip = match u.host {
        Host::Ipv4(a) => IpAddr::V4(a),
        Host::Ipv6(a) => IpAddr::V6(a),
        Host::Domain(_) => return fallback,
    };
    let default = if u.scheme == crate::uri::Scheme::Sips { 5061 } else { 5060 };
    SocketAddr::new(ip, u.port.unwrap_or(default))
}

/// The name of the resource a request-URI (or an AOR in From/To) denotes:
/// `scheme:user@host`, without port, parameters or headers; the text as given when it does
/// not parse as a SIP URI.
pub fn resource_key(uri: &str) -> String {
    let inner = crate::dialog::unbracket(uri);
    match Uri::parse(inner) {
        Ok(Uri::Sip(u)) => {
            let mut out = String::with_capacity(inner.len());
            out.push_str(match u.scheme {
                crate::uri::Scheme::Sip => "sip",
                crate::uri::Scheme::Sips => "sips",
            });
            out.push(':');
            if let Some(user) = &u.user {
                out.push_str(user);
                out.push('@');
            }
            let mut host = Vec::new();
            u.host.write(&mut host);
            out.push_str(&String::from_utf8_lossy(&host).to_ascii_lowercase());
            out
        }
        Ok(Uri::Tel(_) | Uri::Other(_)) | Err(_) => inner.to_owned(),
    }
}

/// The first value of header `T` in `m`, if present and well formed.
pub(crate) fn typed<'m, T: TypedHeader<'m>>(m: &'m OwnedMessage) -> Option<T> {
    m.header(T::NAME).and_then(|h| T::parse(h.value()).ok())
}

/// Whether `request` is a `method` request whose Event header names `package` (its event type,
/// compared without case).
pub(crate) fn for_package(request: &OwnedMessage, method: &Method<'_>, package: &str) -> bool {
    request.method().as_ref() == Some(method)
        && typed::<crate::headers::EventHeader<'_>>(request)
            .is_some_and(|e| e.event_type.eq_ignore_ascii_case(package))
}

/// The Request-URI of a request, as written.
pub(crate) fn request_uri(m: &OwnedMessage) -> Option<String> {
    m.view(|v| v.request().map(|r| r.uri.to_string()))
}

/// What an endpoint event is to a role that keeps its transactions in `by_tx`.
#[derive(Debug)]
pub(crate) enum Routed {
    /// The final response to the role's request `id` (taken out of `by_tx`).
    Final(u64, OwnedMessage),
    /// A provisional response to one of its requests: nothing to do.
    Provisional,
    /// Its request `id` got no answer, or the transport failed (taken out of `by_tx`).
    Failed(u64),
    /// Not the role's.
    Other(Event),
}

/// Sorts `event` for a role whose requests in flight are `by_tx`.
#[allow(
    clippy::wildcard_enum_match_arm,
    reason = "every event that is not about one of the role's requests is handed back"
)]
pub(crate) fn route(by_tx: &mut HashMap<ClientTx, u64>, event: Event) -> Routed {
    match event {
        Event::Response { tx, response } => match by_tx.get(&tx).copied() {
            Some(id) if response.status_code().is_some_and(|c| c >= 200) => {
                by_tx.remove(&tx);
                Routed::Final(id, response)
            }
            Some(_) => Routed::Provisional,
            None => Routed::Other(Event::Response { tx, response }),
        },
        Event::Timeout { tx } | Event::TransportError { tx } => match by_tx.remove(&tx) {
            Some(id) => Routed::Failed(id),
            None => Routed::Other(event),
        },
        other => Routed::Other(other),
    }
}
