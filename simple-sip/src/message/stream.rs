//! Framing SIP messages on a stream transport by Content-Length (RFC 3261 §18.3), with the
//! CRLF keep-alives of RFC 5626 §4.4.1.

use super::parse::{HeaderLine, merge_content_length, next_header, skip_leading_newlines};
use super::{HeaderName, ParseConfig, Progress};
use crate::error::{Error, ErrorKind};

/// What [`StreamDecoder::decode`] found at the start of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Frame {
    /// A whole message occupies `buf[..len]`; parse it with [`Message::parse`](super::Message::parse)
    /// and then drop those bytes.
    Message {
        /// Length of the message in bytes (head and body).
        len: usize,
    },
    /// A keep-alive: a double CRLF "ping" or a single CRLF "pong" (RFC 5626 §4.4.1);
    /// drop `len` bytes. Answer a ping with a single CRLF. A lone CRLF followed by more bytes
    /// is reported as a pong (or a stray line end) too.
    KeepAlive {
        /// Which one.
        kind: KeepAlive,
        /// Bytes to drop.
        len: usize,
    },
}

/// The two keep-alives of RFC 5626 §4.4.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeepAlive {
    /// `CRLFCRLF`: answer it with a pong.
    Ping,
    /// `CRLF`: the answer to a ping (or a stray line end).
    Pong,
}

/// Splits a byte stream into SIP messages without buffering anything itself.
///
/// The caller owns the receive buffer. After each read it calls [`decode`](Self::decode) on the
/// unconsumed bytes; `Partial` means "read more and call again with the same bytes extended".
/// The decoder remembers how far it scanned, so bytes that arrive one at a time still cost
/// linear work. Limits from [`ParseConfig`] bound the head and body, so a peer that never ends
/// its head fails with [`ErrorKind::HeadTooLarge`] instead of growing the buffer forever.
#[derive(Debug, Clone, Default)]
pub struct StreamDecoder {
    config: ParseConfig,
    /// Where the scan for the end of the head resumes (relative to the buffer start).
    scanned: usize,
    /// Once the head is known: total message length.
    total: Option<usize>,
    /// The caller sent a ping, so a lone CRLF is its pong.
    pong_pending: bool,
}

impl StreamDecoder {
    /// A decoder with the given limits.
    pub fn new(config: ParseConfig) -> Self {
        Self { config, scanned: 0, total: None, pong_pending: false }
    }

    /// Tells the decoder that a CRLFCRLF ping was sent on this connection, so that a lone CRLF
    /// is read as its pong. Without a pending ping a lone CRLF at the end of the buffer may be
    /// the first half of a ping split by the transport, and stays `Partial`.
    pub fn ping_sent(&mut self) {
        self.pong_pending = true;
    }

    /// Looks for the next frame at the start of `buf` (which must begin where the previous
    /// frame ended and extend the bytes passed to the previous `Partial` call).
    pub fn decode(&mut self, buf: &[u8]) -> Result<Progress<Frame>, Error> {
        if let Some(total) = self.total {
            return Ok(self.complete_if(buf, total));
        }
        match buf {
            [b'\r', b'\n', b'\r', b'\n', ..] => {
                return Ok(Progress::Complete(Frame::KeepAlive { kind: KeepAlive::Ping, len: 4 }));
            }
            [b'\r', b'\n'] if self.pong_pending => {
                self.pong_pending = false;
                return Ok(Progress::Complete(Frame::KeepAlive { kind: KeepAlive::Pong, len: 2 }));
            }
            [b'\r', b'\n'] | [b'\r', b'\n', b'\r'] | [b'\r'] | [] => return Ok(Progress::Partial),
            [b'\r', b'\n', ..] => {
                self.pong_pending = false;
                return Ok(Progress::Complete(Frame::KeepAlive { kind: KeepAlive::Pong, len: 2 }));
            }
            _ => {}
        }
        let start = skip_leading_newlines(buf);
        let Some(body_start) = self.find_head_end(buf, start)? else {
            return Ok(Progress::Partial);
        };
        let body_len = declared_length(buf, start, body_start)?;
        if body_len > self.config.max_body_size {
            return Err(Error::new(ErrorKind::BodyTooLarge, body_start));
        }
        let total = body_start + body_len;
        self.total = Some(total);
        Ok(self.complete_if(buf, total))
    }

    fn complete_if(&mut self, buf: &[u8], total: usize) -> Progress<Frame> {
        if buf.len() >= total {
            self.total = None;
            self.scanned = 0;
            Progress::Complete(Frame::Message { len: total })
        } else {
            Progress::Partial
        }
    }

    /// The offset just past the empty line ending the head, scanning from where the last call
    /// stopped.
    fn find_head_end(&mut self, buf: &[u8], start: usize) -> Result<Option<usize>, Error> {
        let limit = buf.len().min(start + self.config.max_head_size);
        let mut from = self.scanned.max(start);
        let window = buf.get(..limit).unwrap_or(buf);
        while let Some(rel) = window.get(from..).and_then(|s| memchr::memchr(b'\n', s)) {
            let nl = from + rel;
            match window.get(nl + 1..) {
                Some([b'\n', ..]) => return Ok(Some(nl + 2)),
                Some([b'\r', b'\n', ..]) => return Ok(Some(nl + 3)),
                // not enough bytes to tell: resume at this line feed next time
                Some([] | [b'\r']) | None => {
                    self.scanned = nl;
                    return self.head_partial(buf, start);
                }
                Some(_) => from = nl + 1,
            }
        }
        self.scanned = window.len();
        self.head_partial(buf, start)
    }

    fn head_partial(&self, buf: &[u8], start: usize) -> Result<Option<usize>, Error> {
        if buf.len() - start >= self.config.max_head_size {
            Err(Error::new(ErrorKind::HeadTooLarge, start))
        } else {
            Ok(None)
        }
    }
}

/// Reads the Content-Length of the complete head `buf[start..body_start]`.
fn declared_length(buf: &[u8], start: usize, body_start: usize) -> Result<usize, Error> {
    let head = buf.get(..body_start).unwrap_or(buf);
    // skip the start line
    let mut pos = match memchr::memchr(b'\n', head.get(start..).unwrap_or_default()) {
        Some(rel) => start + rel + 1,
        None => return Err(Error::new(ErrorKind::InvalidStartLine, start)),
    };
    let mut found: Option<usize> = None;
    loop {
        match next_header(head, pos)? {
            Progress::Complete(HeaderLine::Header(h, next)) => {
                if h.kind() == HeaderName::ContentLength {
                    merge_content_length(&mut found, h.value(), super::offset_in(head, h.value()))?;
                }
                pos = next;
            }
            Progress::Complete(HeaderLine::End(_)) => break,
            // the head is complete, so a partial header here is a malformed one
            Progress::Partial => return Err(Error::new(ErrorKind::UnexpectedEnd, pos)),
        }
    }
    found.ok_or(Error::new(ErrorKind::MissingContentLength, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:b@example.com SIP/2.0\r\nl: 5\r\n\r\nhello";

    #[test]
    fn byte_at_a_time() {
        let mut d = StreamDecoder::default();
        for n in 0..MSG.len() {
            assert_eq!(d.decode(&MSG[..n]).unwrap(), Progress::Partial, "at {n}");
        }
        assert_eq!(d.decode(MSG).unwrap(), Progress::Complete(Frame::Message { len: MSG.len() }));
        // the decoder is reset for the next message
        let mut two = MSG.to_vec();
        two.extend_from_slice(MSG);
        assert_eq!(d.decode(&two).unwrap(), Progress::Complete(Frame::Message { len: MSG.len() }));
    }

    #[test]
    fn keepalives() {
        let mut d = StreamDecoder::default();
        assert_eq!(
            d.decode(b"\r\n\r\n").unwrap(),
            Progress::Complete(Frame::KeepAlive { kind: KeepAlive::Ping, len: 4 })
        );
        // half a ping, or a stray CRLF: wait and see
        assert_eq!(d.decode(b"\r\n").unwrap(), Progress::Partial);
        d.ping_sent();
        assert_eq!(
            d.decode(b"\r\n").unwrap(),
            Progress::Complete(Frame::KeepAlive { kind: KeepAlive::Pong, len: 2 })
        );
        assert_eq!(
            d.decode(b"\r\nM").unwrap(),
            Progress::Complete(Frame::KeepAlive { kind: KeepAlive::Pong, len: 2 })
        );
    }

    #[test]
    fn limits() {
        let config = ParseConfig { max_head_size: 64, ..ParseConfig::default() };
        let mut d = StreamDecoder::new(config);
        let long = [b'a'; 100];
        assert_eq!(d.decode(&long).unwrap_err().kind(), ErrorKind::HeadTooLarge);
        let mut d = StreamDecoder::new(ParseConfig { max_body_size: 4, ..ParseConfig::default() });
        assert_eq!(d.decode(MSG).unwrap_err().kind(), ErrorKind::BodyTooLarge);
        let mut d = StreamDecoder::default();
        let e = d.decode(b"OPTIONS sip:a SIP/2.0\r\nTo: <sip:a>\r\n\r\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingContentLength);
    }
}
