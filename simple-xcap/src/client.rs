//! The XCAP client core: requests built for the caller to send, conditional writes against
//! an entity-tag cache of whole documents, the cache kept current from the server's answers
//! (a successful element or attribute write is applied to the cached copy as the server
//! applied it) and from xcap-diff documents (RFC 5874 patches, or a refetch when a copy is
//! too old to patch).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use simple_patch::{Document, ParseConfig, XcapTerminal};

use crate::conflict::Conflict;
use crate::diff::{DiffEntry, XcapDiff, apply_patch};
use crate::server::{Stored, edit_node};
use crate::uri::{DocumentSelector, XcapUri};
use crate::usage::{Usage, XCAP_ATT_MIME, XCAP_EL_MIME};

/// What an answer meant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// 2xx: done; the document's entity tag now, if it still exists.
    Done {
        /// The status.
        status: u16,
        /// `ETag`, without quotes.
        etag: Option<String>,
        /// The body (a document, element, attribute value or bindings on a GET).
        body: Bytes,
    },
    /// 304: the cached document is current.
    NotModified,
    /// 412: the cached copy was stale and is dropped; fetch it again.
    Stale,
    /// 409 with the server's report.
    Conflict(Conflict),
    /// Anything else.
    Failed(u16),
}

/// The XCAP client core.
#[derive(Debug, Clone)]
pub struct XcapClient {
    root_uri: String,
    root_path: String,
    authorization: Option<String>,
    usages: Vec<Usage>,
    cache: BTreeMap<DocumentSelector, Stored>,
    parse: ParseConfig,
    /// Whether writes carry `If-Match` with the cached entity tag (default: yes).
    pub conditional: bool,
}

fn etag_of(r: &Response<Bytes>) -> Option<String> {
    r.headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_matches('"').to_owned())
}

impl XcapClient {
    /// A client for the XCAP root `root_uri` (`http://xcap.example.com/xcap-root`), knowing
    /// every usage of this crate.
    pub fn new(root_uri: &str) -> Self {
        let root_uri = root_uri.trim_end_matches('/').to_owned();
        let root_path = root_uri
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
            .unwrap_or_default();
        Self {
            root_uri,
            root_path,
            authorization: None,
            usages: Usage::all(),
            cache: BTreeMap::new(),
            parse: ParseConfig::default(),
            conditional: true,
        }
    }

    /// Sends this `Authorization` value with every request (`Basic ...`, or digest
    /// credentials the caller computed).
    #[must_use]
    pub fn with_authorization(mut self, value: &str) -> Self {
        self.authorization = Some(value.to_owned());
        self
    }

    /// The XCAP root.
    pub fn root_uri(&self) -> &str {
        &self.root_uri
    }

    /// The cached copy of a document.
    pub fn document(&self, sel: &DocumentSelector) -> Option<&Stored> {
        self.cache.get(sel)
    }

    /// Forgets a cached copy.
    pub fn forget(&mut self, sel: &DocumentSelector) {
        self.cache.remove(sel);
    }

    fn usage(&self, auid: &str) -> Option<&Usage> {
        self.usages.iter().find(|u| u.auid == auid)
    }

    fn request(&self, method: Method, uri: &XcapUri, body: Bytes) -> Request<Bytes> {
        let target = format!("{}/{}", self.root_path, uri.encoded());
        let mut r = Request::new(body);
        *r.method_mut() = method;
        if let Ok(u) = target.parse() {
            *r.uri_mut() = u;
        }
        if let Some(host) =
            self.root_uri.split_once("://").map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
        {
            if let Ok(v) = host.parse() {
                r.headers_mut().insert(header::HOST, v);
            }
        }
        if let Some(a) = self.authorization.as_deref().and_then(|a| a.parse().ok()) {
            r.headers_mut().insert(header::AUTHORIZATION, a);
        }
        r
    }

    fn cached_etag(&self, uri: &XcapUri) -> Option<http::HeaderValue> {
        let s = self.cache.get(&uri.document)?;
        format!("\"{}\"", s.etag).parse().ok()
    }

    /// A GET; of a cached whole document, conditional (`If-None-Match`).
    pub fn get(&self, uri: &XcapUri) -> Request<Bytes> {
        let mut r = self.request(Method::GET, uri, Bytes::new());
        if uri.node.is_none() {
            if let Some(e) = self.cached_etag(uri) {
                r.headers_mut().insert(header::IF_NONE_MATCH, e);
            }
        }
        r
    }

    /// A PUT of `body`, with the MIME type the URI calls for; `If-Match` when the document
    /// is cached (and [`XcapClient::conditional`]).
    pub fn put(&self, uri: &XcapUri, body: impl Into<Bytes>) -> Request<Bytes> {
        let mut r = self.request(Method::PUT, uri, body.into());
        let mime = match uri.node.as_ref().map(|n| &n.terminal) {
            Some(Some(XcapTerminal::Attribute(_))) => XCAP_ATT_MIME,
            Some(_) => XCAP_EL_MIME,
            None => self.usage(&uri.document.auid).map_or("application/xml", |u| u.mime.as_str()),
        };
        if let Ok(v) = mime.parse() {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        self.condition(uri, &mut r);
        r
    }

    /// A DELETE; `If-Match` when the document is cached.
    pub fn delete(&self, uri: &XcapUri) -> Request<Bytes> {
        let mut r = self.request(Method::DELETE, uri, Bytes::new());
        self.condition(uri, &mut r);
        r
    }

    fn condition(&self, uri: &XcapUri, r: &mut Request<Bytes>) {
        if self.conditional {
            if let Some(e) = self.cached_etag(uri) {
                r.headers_mut().insert(header::IF_MATCH, e);
            }
        }
    }

    /// Takes the answer to `request` (one this client built): updates the cache and says
    /// what it meant.
    pub fn handle_response(
        &mut self,
        request: &Request<Bytes>,
        response: &Response<Bytes>,
    ) -> Outcome {
        let status = response.status();
        let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let Ok(uri) = XcapUri::parse(target, &self.root_path) else {
            return Outcome::Failed(status.as_u16());
        };
        let etag = etag_of(response);
        match status {
            StatusCode::NOT_MODIFIED => return Outcome::NotModified,
            StatusCode::PRECONDITION_FAILED => {
                self.cache.remove(&uri.document);
                return Outcome::Stale;
            }
            StatusCode::CONFLICT => {
                return Conflict::parse(response.body())
                    .map_or(Outcome::Failed(409), Outcome::Conflict);
            }
            s if !s.is_success() => {
                if s == StatusCode::NOT_FOUND && uri.node.is_none() {
                    self.cache.remove(&uri.document);
                }
                return Outcome::Failed(s.as_u16());
            }
            _ => {}
        }
        let method = request.method();
        match (&uri.node, etag.clone()) {
            (None, _) if method == Method::DELETE => {
                self.cache.remove(&uri.document);
            }
            (None, Some(e)) => {
                let body = if method == Method::GET { response.body() } else { request.body() };
                match Document::parse_with(body, &self.parse) {
                    Ok(document) => {
                        self.cache.insert(uri.document.clone(), Stored { document, etag: e });
                    }
                    Err(_) => {
                        self.cache.remove(&uri.document);
                    }
                }
            }
            (Some(_), Some(e)) if method != Method::GET => {
                // the write was conditional on our copy: apply it as the server did
                let current = request
                    .headers()
                    .get(header::IF_MATCH)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.trim_matches('"').to_owned());
                let usage = self.usage(&uri.document.auid).cloned();
                let parse = self.parse.clone();
                let body = (method == Method::PUT).then(|| request.body().as_ref());
                let applied = match (self.cache.get_mut(&uri.document), usage) {
                    (Some(s), Some(u)) if current.as_deref() == Some(s.etag.as_str()) => {
                        let ok = edit_node(&mut s.document, &uri, body, &u, &parse).is_ok();
                        if ok {
                            s.etag = e;
                        }
                        ok
                    }
                    _ => false,
                };
                if !applied {
                    self.cache.remove(&uri.document);
                }
            }
            _ => {}
        }
        Outcome::Done { status: status.as_u16(), etag, body: response.body().clone() }
    }

    /// Applies an xcap-diff document (a NOTIFY of the xcap-diff package) to the cached
    /// copies: patches where the copy is at the previous entity tag, nothing where it is at
    /// the new one. The documents whose copies could not be brought up to date (and are
    /// dropped) come back, to fetch again.
    pub fn apply_diff(&mut self, diff: &XcapDiff) -> Vec<DocumentSelector> {
        let mut refetch = Vec::new();
        for e in &diff.entries {
            let DiffEntry::Document { sel, previous_etag, new_etag, patch, .. } = e else {
                continue;
            };
            let Ok(key) = DocumentSelector::parse(sel.trim_end_matches('/')) else { continue };
            let Some(copy) = self.cache.get_mut(&key) else { continue };
            match new_etag {
                None => {
                    self.cache.remove(&key);
                }
                Some(n) if *n == copy.etag => {}
                Some(n) => {
                    let patched = previous_etag.as_deref() == Some(copy.etag.as_str())
                        && patch
                            .as_deref()
                            .is_some_and(|p| apply_patch(p, &mut copy.document).is_ok());
                    if patched {
                        copy.etag.clone_from(n);
                    } else {
                        self.cache.remove(&key);
                        refetch.push(key);
                    }
                }
            }
        }
        refetch
    }
}
