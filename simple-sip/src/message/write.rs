//! Writing messages into a `bytes::BufMut`.

use bytes::BufMut;

use super::{Header, HeaderName, Message, Method, StartLine};
use crate::headers::{ContentType, TypedHeader};
use crate::scan::write_decimal;

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
