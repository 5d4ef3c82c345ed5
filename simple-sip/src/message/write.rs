//! Writing messages into a `bytes::BufMut`.

use core::net::{IpAddr, SocketAddr};

use bytes::BufMut;

use super::{Header, HeaderName, Message, Method, StartLine};
use crate::error::Error;
use crate::headers::{ContentType, ListSplit, ToHeader, TypedHeader, Via};
use crate::params::Params;
use crate::scan::write_decimal;
use crate::uri::Host;

impl Message<'_, '_> {
    /// Writes the message: start line, every header as `name: value`, the empty line, the body.
    /// Values are written verbatim (folding included), so unknown headers survive unchanged.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        match &self.start {
            StartLine::Request(r) => {
                buf.put_slice(r.method.as_str().as_bytes());
                buf.put_u8(b' ');
                buf.put_slice(r.uri.as_bytes());
                buf.put_slice(b" SIP/2.0\r\n");
            }
            StartLine::Response(s) => write_status_line(buf, s.code, &s.reason),
        }
        for h in self.headers {
            write_header(buf, h);
        }
        buf.put_slice(b"\r\n");
        buf.put_slice(self.body);
    }

    /// The message as a new `Vec<u8>`.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(256 + self.body.len());
        self.write(&mut v);
        v
    }
}

fn write_status_line<B: BufMut>(buf: &mut B, code: u16, reason: &str) {
    buf.put_slice(b"SIP/2.0 ");
    let code = code.min(999);
    buf.put_slice(&[
        b'0' + (code / 100) as u8,
        b'0' + (code / 10 % 10) as u8,
        b'0' + (code % 10) as u8,
        b' ',
    ]);
    buf.put_slice(reason.as_bytes());
    buf.put_slice(b"\r\n");
}

fn write_header<B: BufMut>(buf: &mut B, h: &Header<'_>) {
    buf.put_slice(h.name.as_bytes());
    buf.put_slice(b": ");
    buf.put_slice(h.value);
    buf.put_slice(b"\r\n");
}

/// Builds a new message straight into a buffer: start line, then headers (typed or raw), then
/// the body with Content-Type and Content-Length filled in.
///
/// ```
/// use simple_sip::{Message, MessageWriter, Method, Header};
/// use simple_sip::headers::{CSeq, CallId, ContentType, MaxForwards};
///
/// let mut out = Vec::new();
/// let mut w = MessageWriter::request(&mut out, &Method::Message, "sip:bob@example.com");
/// w.header(&CallId::new("a84b4c76e66710"))
///     .header(&CSeq { seq: 1, method: Method::Message })
///     .header(&MaxForwards(70))
///     .raw_header("X-Note", b"kept as is");
/// w.body(Some(&ContentType::new("text", "plain")), b"Watson, come here.");
///
/// let mut headers = [Header::EMPTY; 8];
/// let msg = Message::parse(&out, &mut headers).unwrap();
/// assert_eq!(msg.body(), b"Watson, come here.");
/// assert_eq!(msg.require::<CSeq>().unwrap().seq, 1);
/// ```
#[derive(Debug)]
pub struct MessageWriter<'a, B: BufMut> {
    buf: &'a mut B,
}

impl<'a, B: BufMut> MessageWriter<'a, B> {
    /// Starts a request: writes `METHOD uri SIP/2.0`.
    pub fn request(buf: &'a mut B, method: &Method<'_>, uri: &str) -> Self {
        buf.put_slice(method.as_str().as_bytes());
        buf.put_u8(b' ');
        buf.put_slice(uri.as_bytes());
        buf.put_slice(b" SIP/2.0\r\n");
        Self { buf }
    }

    /// Starts a response: writes `SIP/2.0 code reason`.
    pub fn response(buf: &'a mut B, code: u16, reason: &str) -> Self {
        write_status_line(buf, code, reason);
        Self { buf }
    }

    /// Starts the response to `request` (RFC 3261 §8.2.6): the status line, then its Via
    /// headers in order, From, To, Call-ID and CSeq copied. A To without a tag gets `to_tag`
    /// (the UAS's tag; required except on 100, §8.2.6.2). With `source` (where the request
    /// came from), the top Via gets `received` when its sent-by is a name or another address
    /// (§18.2.1), and a valueless `rport` is filled with the source port, `received` then
    /// always added (RFC 3581 §4). Add other headers, then [`MessageWriter::finish`] or
    /// [`MessageWriter::body`].
    ///
    /// Errors: a request without Via, From, To, Call-ID or CSeq
    /// ([`ErrorKind::MissingHeader`](crate::ErrorKind::MissingHeader), at the end of its
    /// headers), or whose top Via, To or CSeq does not parse.
    pub fn response_to(
        buf: &'a mut B,
        request: &Message<'_, '_>,
        code: u16,
        reason: &str,
        to_tag: Option<&str>,
        source: Option<SocketAddr>,
    ) -> Result<Self, Error> {
        let missing = || request.missing_header();
        for name in [HeaderName::From, HeaderName::CallId, HeaderName::CSeq] {
            request.header(name).ok_or_else(missing)?;
        }
        request.require::<crate::headers::CSeq<'_>>()?;
        let to = request.require::<ToHeader<'_>>()?;
        let mut vias = request.headers_named(HeaderName::Via);
        let top = vias.next().ok_or_else(missing)?;
        let mut items = ListSplit::new(top.value());
        let (first, _) = items.next().ok_or_else(missing)??;
        let mut via = Via::parse(first)?;
        let rest: Vec<&[u8]> = items.map(|r| r.map(|(item, _)| item)).collect::<Result<_, _>>()?;

        let mut w = Self::response(buf, code, reason);
        if let Some(src) = source {
            via.params = via_params_for(&via, src);
        }
        w.buf.put_slice(b"Via: ");
        via.write_value(w.buf);
        for item in rest {
            w.buf.put_slice(b", ");
            w.buf.put_slice(item);
        }
        w.buf.put_slice(b"\r\n");
        for h in vias {
            w.copy_header(h);
        }
        for name in [HeaderName::From, HeaderName::CallId, HeaderName::CSeq] {
            let h = request.header(name).expect("checked above");
            w.copy_header(h);
        }
        match (to.tag(), to_tag) {
            (None, Some(tag)) => {
                let mut to = to;
                let mut params = to.0.params.as_str().to_owned();
                params.push_str(";tag=");
                params.push_str(tag);
                to.0.params = Params::new(&params);
                w.header(&to);
            }
            (Some(_), _) | (None, None) => {
                w.copy_header(request.header(HeaderName::To).expect("parsed above"));
            }
        }
        Ok(w)
    }

    /// Writes a typed header (one line; list headers write one element per call).
    pub fn header<'h, T: TypedHeader<'h>>(&mut self, value: &T) -> &mut Self {
        if let Some(name) = T::NAME.as_str() {
            self.buf.put_slice(name.as_bytes());
        }
        self.buf.put_slice(b": ");
        value.write_value(self.buf);
        self.buf.put_slice(b"\r\n");
        self
    }

    /// Writes a header with a raw value, verbatim.
    pub fn raw_header(&mut self, name: &str, value: &[u8]) -> &mut Self {
        write_header(self.buf, &Header { name, kind: HeaderName::Other, value });
        self
    }

    /// Copies an existing header (e.g. a Via from the request into its response).
    pub fn copy_header(&mut self, header: &Header<'_>) -> &mut Self {
        write_header(self.buf, header);
        self
    }

    /// Ends the message: writes Content-Type (when given), Content-Length, the empty line and
    /// the body.
    pub fn body(self, content_type: Option<&ContentType<'_>>, body: &[u8]) {
        let Self { buf } = self;
        let mut w = MessageWriter { buf };
        if let Some(ct) = content_type {
            w.header(ct);
        }
        w.buf.put_slice(b"Content-Length: ");
        write_decimal(w.buf, body.len() as u64);
        w.buf.put_slice(b"\r\n\r\n");
        w.buf.put_slice(body);
    }

    /// Ends a message with no body (`Content-Length: 0`).
    pub fn finish(self) {
        self.body(None, b"");
    }
}

/// The top Via's parameters with `received` and `rport` set for a request from `src`
/// (RFC 3261 §18.2.1, RFC 3581 §4).
fn via_params_for(via: &Via<'_>, src: SocketAddr) -> Params<'static> {
    let sent_by_is_src = match &via.host {
        Host::Ipv4(a) => IpAddr::V4(*a) == src.ip(),
        Host::Ipv6(a) => IpAddr::V6(*a) == src.ip(),
        Host::Domain(_) => false,
    };
    let fill_rport = via.rport() == Some(None);
    let mut out = String::with_capacity(via.params.as_str().len() + 40);
    for p in via.params.iter() {
        let name = p.name;
        if name.eq_ignore_ascii_case("received")
            || (fill_rport && name.eq_ignore_ascii_case("rport"))
        {
            continue;
        }
        out.push(';');
        out.push_str(name);
        if let Some(v) = p.value {
            out.push('=');
            out.push_str(v);
        }
    }
    if !sent_by_is_src || fill_rport {
        out.push_str(";received=");
        out.push_str(&src.ip().to_string());
    }
    if fill_rport {
        out.push_str(";rport=");
        out.push_str(&src.port().to_string());
    }
    Params::new(&out).into_owned()
}
