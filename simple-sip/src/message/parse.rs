//! Hand-written scanning of the start line and header block (RFC 3261 §7, §25.1).
//!
//! Lines end in CRLF; a bare LF is accepted as a line end too (robustness, as httparse and
//! most SIP stacks do). A line starting with SP or HT continues the previous header (folding).

use super::{
    Header, HeaderName, Message, Method, ParseConfig, Progress, RequestLine, StartLine, StatusLine,
};
use crate::error::{Error, ErrorKind};
use crate::scan::{TOKEN, VALUE, is_wsp, parse_u32, trim_lws, utf8};

/// A parsed head: start line, header count, and the offset just past the empty line.
pub(super) struct Head<'b> {
    pub(super) start: StartLine<'b>,
    pub(super) count: usize,
    pub(super) body_start: usize,
}

/// Counts leading CRLFs (or LFs) that precede a start line (RFC 3261 §7.5).
pub(super) fn skip_leading_newlines(buf: &[u8]) -> usize {
    let mut i = 0;
    loop {
        match buf.get(i..) {
            Some([b'\r', b'\n', ..]) => i += 2,
            Some([b'\n', ..]) => i += 1,
            _ => return i,
        }
    }
}

/// Finds the end of the line starting at `from` within `buf[..limit]`: returns the index of the
/// line's last content byte (exclusive) and of the next line's start. `Partial` when no line
/// feed is present yet.
fn line_end(buf: &[u8], from: usize) -> Result<Progress<(usize, usize)>, Error> {
    let Some(rel) = buf.get(from..).and_then(|s| memchr::memchr(b'\n', s)) else {
        return Ok(Progress::Partial);
    };
    let nl = from + rel;
    let end = if nl > from && buf.get(nl - 1) == Some(&b'\r') { nl - 1 } else { nl };
    Ok(Progress::Complete((end, nl + 1)))
}

/// Parses the head (start line and headers) of `buf`, which starts at a start line.
/// `Partial` when the empty line ending the head is not in `buf` yet.
pub(super) fn parse_head<'b>(
    buf: &'b [u8],
    headers: &mut [Header<'b>],
    config: &ParseConfig,
) -> Result<Progress<Head<'b>>, Error> {
    let limit = buf.len().min(config.max_head_size);
    let hbuf = buf.get(..limit).unwrap_or(buf);
    let too_large = buf.len() >= config.max_head_size;
    let partial = |at: usize| {
        if too_large {
            Err(Error::new(ErrorKind::HeadTooLarge, at.min(limit)))
        } else {
            Ok(Progress::Partial)
        }
    };

    let (end, mut pos) = match line_end(hbuf, 0)? {
        Progress::Complete(v) => v,
        Progress::Partial => return partial(0),
    };
    let start = parse_start_line(hbuf.get(..end).unwrap_or_default())?;

    let max = headers.len().min(config.max_headers);
    let mut count = 0;
    loop {
        match next_header(hbuf, pos)? {
            Progress::Partial => return partial(pos),
            Progress::Complete(HeaderLine::End(body_start)) => {
                return Ok(Progress::Complete(Head { start, count, body_start }));
            }
            Progress::Complete(HeaderLine::Header(h, next)) => {
                let Some(slot) = headers.get_mut(count).filter(|_| count < max) else {
                    return Err(Error::new(ErrorKind::TooManyHeaders, pos));
                };
                *slot = h;
                count += 1;
                pos = next;
            }
        }
    }
}

/// One step of the header block.
pub(super) enum HeaderLine<'b> {
    /// A header and the offset of the next line.
    Header(Header<'b>, usize),
    /// The empty line; the body starts at this offset.
    End(usize),
}

/// Reads the header (or empty line) starting at `pos`.
pub(super) fn next_header(buf: &[u8], pos: usize) -> Result<Progress<HeaderLine<'_>>, Error> {
    let rest = buf.get(pos..).unwrap_or_default();
    match rest {
        [] | [b'\r'] => return Ok(Progress::Partial),
        [b'\r', b'\n', ..] => return Ok(Progress::Complete(HeaderLine::End(pos + 2))),
        [b'\n', ..] => return Ok(Progress::Complete(HeaderLine::End(pos + 1))),
        [b'\r', ..] => return Err(Error::new(ErrorKind::BareCarriageReturn, pos)),
        [b' ' | b'\t', ..] => return Err(Error::new(ErrorKind::UnexpectedContinuation, pos)),
        _ => {}
    }
    // header-name: token, then HCOLON = *( SP / HTAB ) ":" SWS
    let mut i = pos;
    while buf.get(i).is_some_and(|&b| TOKEN[b as usize]) {
        i += 1;
    }
    if i == pos {
        return Err(Error::new(ErrorKind::InvalidHeaderName, pos));
    }
    let name_end = i;
    while buf.get(i).is_some_and(|&b| is_wsp(b)) {
        i += 1;
    }
    match buf.get(i) {
        Some(b':') => i += 1,
        None => return Ok(Progress::Partial),
        Some(b'\r' | b'\n') => return Err(Error::new(ErrorKind::MissingColon, i)),
        // a byte that is not a token character right after the name: a bad name
        Some(&b) if i == name_end && !is_wsp(b) => {
            return Err(Error::new(ErrorKind::InvalidHeaderName, i));
        }
        Some(_) => return Err(Error::new(ErrorKind::MissingColon, i)),
    }
    // the value: every byte up to a line end not followed by SP/HT
    let value_start = i;
    loop {
        // find the line end with SIMD, then check the line for control bytes in one pass
        let Some(rel) = buf.get(i..).and_then(|s| memchr::memchr2(b'\r', b'\n', s)) else {
            return Ok(Progress::Partial);
        };
        let line_end = i + rel;
        if let Some(bad) = first_control(buf.get(i..line_end).unwrap_or_default()) {
            return Err(Error::new(ErrorKind::InvalidHeaderValue, i + bad));
        }
        i = line_end;
        match buf.get(i..).unwrap_or_default() {
            [] | [b'\r'] => return Ok(Progress::Partial),
            [b'\r', b'\n', ..] => i += 2,
            [b'\n', ..] => i += 1,
            _ => return Err(Error::new(ErrorKind::BareCarriageReturn, i)),
        }
        match buf.get(i) {
            // folding: the next line continues this value
            Some(b' ' | b'\t') => {}
            None => return Ok(Progress::Partial),
            Some(_) => {
                let value = trim_lws(buf.get(value_start..line_end).unwrap_or_default());
                let raw_name = buf.get(pos..name_end).unwrap_or_default();
                // token bytes are ASCII, so this cannot fail; map it to an error all the same
                let name = utf8(raw_name, pos)?;
                let header = Header { name, kind: HeaderName::from_bytes(raw_name), value };
                return Ok(Progress::Complete(HeaderLine::Header(header, i)));
            }
        }
    }
}

/// The index of the first control byte (other than HT) in `s`. The common case, none, is a
/// branch-free pass over the same set as `VALUE` that the compiler vectorizes; the table then
/// finds the position only when there is one.
fn first_control(s: &[u8]) -> Option<usize> {
    let any = s.iter().fold(false, |acc, &b| acc | ((b < 0x20) & (b != b'\t')) | (b == 0x7f));
    if any { first_control_slow(s) } else { None }
}

/// The slow path of [`first_control`]: a control byte is allowed only as the second byte of a
/// quoted-pair inside a quoted-string (`quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)`,
/// RFC 4475 §3.1.1.2), so quotes and escapes are followed. A line ends before any CR or LF,
/// so those never appear here.
fn first_control_slow(s: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match (quoted, b) {
            (true, b'\\') if s.get(i + 1).is_some() => i += 1,
            (_, b'"') => quoted = !quoted,
            (_, b) if !VALUE[b as usize] => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

const VERSION: &[u8] = b"SIP/2.0";

fn is_version(s: &[u8]) -> bool {
    s.eq_ignore_ascii_case(VERSION)
}

/// `Request-Line` or `Status-Line`, without the line end.
fn parse_start_line(line: &[u8]) -> Result<StartLine<'_>, Error> {
    if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
        return parse_status_line(line).map(StartLine::Response);
    }
    // Method SP Request-URI SP SIP-Version
    let mut i = 0;
    while line.get(i).is_some_and(|&b| TOKEN[b as usize]) {
        i += 1;
    }
    if i == 0 {
        return Err(Error::new(ErrorKind::InvalidMethod, 0));
    }
    if line.get(i) != Some(&b' ') {
        let kind = if line.get(i).is_some() {
            ErrorKind::InvalidMethod
        } else {
            ErrorKind::InvalidStartLine
        };
        return Err(Error::new(kind, i));
    }
    let method = Method::from_token(utf8(&line[..i], 0)?);
    let uri_start = i + 1;
    let mut j = uri_start;
    while line.get(j).is_some_and(|&b| b > b' ' && b != 0x7f) {
        j += 1;
    }
    if j == uri_start || line.get(j) != Some(&b' ') {
        return Err(Error::new(ErrorKind::InvalidStartLine, j));
    }
    let uri = utf8(&line[uri_start..j], uri_start)?;
    let version = &line[j + 1..];
    if !is_version(version) {
        // `SIP/2.0 ` (a trailing space, RFC 4475 §3.1.2.10) is a malformed line, not a version
        let trailing_ws = version.len() > VERSION.len()
            && is_version(&version[..VERSION.len()])
            && version[VERSION.len()..].iter().all(|&b| is_wsp(b));
        let kind = if trailing_ws {
            ErrorKind::InvalidStartLine
        } else if version.len() >= 4 && version[..4].eq_ignore_ascii_case(b"SIP/") {
            ErrorKind::UnsupportedVersion
        } else {
            ErrorKind::InvalidStartLine
        };
        return Err(Error::new(kind, j + 1));
    }
    Ok(StartLine::Request(RequestLine { method, uri: uri.into() }))
}

/// `Status-Line = SIP-Version SP Status-Code SP Reason-Phrase`
fn parse_status_line(line: &[u8]) -> Result<StatusLine<'_>, Error> {
    let sp = memchr::memchr(b' ', line).unwrap_or(line.len());
    if !is_version(&line[..sp]) {
        return Err(Error::new(ErrorKind::UnsupportedVersion, 0));
    }
    let code_at = sp + 1;
    let digits = line.get(code_at..code_at + 3).unwrap_or_default();
    let code = parse_u32(digits)
        .filter(|c| (100..=699).contains(c) && digits.len() == 3)
        .ok_or(Error::new(ErrorKind::InvalidStatusCode, code_at))?;
    let after = code_at + 3;
    let reason = match line.get(after) {
        // tolerate a missing reason phrase ("SIP/2.0 200")
        None => "",
        Some(b' ') => {
            let r = &line[after + 1..];
            if let Some(bad) = r.iter().position(|&b| !VALUE[b as usize]) {
                return Err(Error::new(ErrorKind::InvalidReasonPhrase, after + 1 + bad));
            }
            utf8(r, after + 1)?
        }
        Some(_) => return Err(Error::new(ErrorKind::InvalidStatusCode, code_at)),
    };
    // 3 digits of 100..=699 always fit in u16
    let code =
        u16::try_from(code).map_err(|_| Error::new(ErrorKind::InvalidStatusCode, code_at))?;
    Ok(StatusLine { code, reason: reason.into() })
}

/// The body length declared by the Content-Length headers, if any; conflicting values fail.
pub(super) fn content_length(headers: &[Header<'_>], src: &[u8]) -> Result<Option<usize>, Error> {
    let mut found = None;
    for h in headers.iter().filter(|h| h.kind == HeaderName::ContentLength) {
        merge_content_length(&mut found, h.value, super::offset_in(src, h.value))?;
    }
    Ok(found)
}

/// Adds one Content-Length value (at offset `at`) to what was found so far.
pub(super) fn merge_content_length(
    found: &mut Option<usize>,
    value: &[u8],
    at: usize,
) -> Result<(), Error> {
    let n = parse_content_length(value).ok_or(Error::new(ErrorKind::InvalidContentLength, at))?;
    if found.is_some_and(|prev| prev != n) {
        return Err(Error::new(ErrorKind::ConflictingContentLength, at));
    }
    *found = Some(n);
    Ok(())
}

/// `Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT`
pub(super) fn parse_content_length(value: &[u8]) -> Option<usize> {
    let digits = trim_lws(value);
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0usize, |n, &d| n * 10 + usize::from(d - b'0')))
}

pub(super) fn parse_datagram<'h, 'b>(
    buf: &'b [u8],
    headers: &'h mut [Header<'b>],
    config: &ParseConfig,
) -> Result<Message<'h, 'b>, Error> {
    let skip = skip_leading_newlines(buf);
    let src = &buf[skip..];
    let head = match parse_head(src, headers, config).map_err(|e| e.shifted(skip))? {
        Progress::Complete(h) => h,
        // a datagram is complete by definition: the missing empty line is an error
        Progress::Partial => return Err(Error::new(ErrorKind::UnexpectedEnd, buf.len())),
    };
    let headers = &headers[..head.count];
    let avail = src.len() - head.body_start;
    let body_len = match content_length(headers, src).map_err(|e| e.shifted(skip))? {
        Some(n) if n > config.max_body_size => {
            return Err(Error::new(ErrorKind::BodyTooLarge, skip + head.body_start));
        }
        Some(n) if n > avail => {
            return Err(Error::new(ErrorKind::BodyTruncated, skip + head.body_start));
        }
        Some(n) => n,
        None if avail > config.max_body_size => {
            return Err(Error::new(ErrorKind::BodyTooLarge, skip + head.body_start));
        }
        None => avail,
    };
    let body = &src[head.body_start..head.body_start + body_len];
    Ok(Message { start: head.start, headers, body, src })
}

pub(super) fn parse_stream<'h, 'b>(
    buf: &'b [u8],
    headers: &'h mut [Header<'b>],
    config: &ParseConfig,
) -> Result<Progress<(Message<'h, 'b>, usize)>, Error> {
    let skip = skip_leading_newlines(buf);
    let src = &buf[skip..];
    let head = match parse_head(src, headers, config).map_err(|e| e.shifted(skip))? {
        Progress::Complete(h) => h,
        Progress::Partial => return Ok(Progress::Partial),
    };
    let headers = &headers[..head.count];
    let body_len = content_length(headers, src)
        .map_err(|e| e.shifted(skip))?
        .ok_or(Error::new(ErrorKind::MissingContentLength, skip))?;
    if body_len > config.max_body_size {
        return Err(Error::new(ErrorKind::BodyTooLarge, skip + head.body_start));
    }
    let end = head.body_start + body_len;
    let Some(body) = src.get(head.body_start..end) else {
        return Ok(Progress::Partial);
    };
    Ok(Progress::Complete((Message { start: head.start, headers, body, src }, skip + end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, error kind, offset) for the datagram parser.
    const BAD: &[(&[u8], ErrorKind, usize)] = &[
        (b"INVITE sip:a SIP/3.0\r\n\r\n", ErrorKind::UnsupportedVersion, 13),
        (b"SIP/2.0 99 Low\r\n\r\n", ErrorKind::InvalidStatusCode, 8),
        (b"SIP/1.0 200 OK\r\n\r\n", ErrorKind::UnsupportedVersion, 0),
        (b"INV@TE sip:a SIP/2.0\r\n\r\n", ErrorKind::InvalidMethod, 3),
        (b"INVITE  sip:a SIP/2.0\r\n\r\n", ErrorKind::InvalidStartLine, 7),
        (b"OPTIONS sip:a SIP/2.0\r\nTo <sip:a>\r\n\r\n", ErrorKind::MissingColon, 26),
        (b"OPTIONS sip:a SIP/2.0\r\nT@o: x\r\n\r\n", ErrorKind::InvalidHeaderName, 24),
        (b"OPTIONS sip:a SIP/2.0\r\n  x: y\r\n\r\n", ErrorKind::UnexpectedContinuation, 23),
        (b"OPTIONS sip:a SIP/2.0\r\nTo: a\x00b\r\n\r\n", ErrorKind::InvalidHeaderValue, 28),
        (b"OPTIONS sip:a SIP/2.0\r\nTo: a\rb\r\n\r\n", ErrorKind::BareCarriageReturn, 28),
        (b"OPTIONS sip:a SIP/2.0\r\nl: 5\r\n\r\nabc", ErrorKind::BodyTruncated, 31),
        (b"OPTIONS sip:a SIP/2.0\r\nl: x\r\n\r\n", ErrorKind::InvalidContentLength, 26),
        (
            b"OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab",
            ErrorKind::ConflictingContentLength,
            45,
        ),
        (b"OPTIONS sip:a SIP/2.0\r\nTo: x\r\n", ErrorKind::UnexpectedEnd, 30),
    ];

    #[test]
    fn errors_name_the_construct_and_its_offset() {
        for &(input, kind, offset) in BAD {
            let mut headers = [Header::EMPTY; 8];
            let e = parse_datagram(input, &mut headers, &ParseConfig::default()).unwrap_err();
            assert_eq!(
                (e.kind(), e.offset()),
                (kind, offset),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn fast_control_check_agrees_with_the_table() {
        for b in 0..=255u8 {
            assert_eq!(first_control(&[b'a', b]).is_some(), !VALUE[b as usize], "byte {b:#04x}");
        }
    }

    #[test]
    fn limits_and_status_codes() {
        let msg = b"OPTIONS sip:a SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        let mut two = [Header::EMPTY; 2];
        let e = parse_datagram(msg, &mut two, &ParseConfig::default()).unwrap_err();
        assert_eq!((e.kind(), e.status_code()), (ErrorKind::TooManyHeaders, 513));
        let small = ParseConfig { max_head_size: 30, ..ParseConfig::default() };
        let e = parse_datagram(msg, &mut [Header::EMPTY; 8], &small).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::HeadTooLarge);
        let tiny_body = ParseConfig { max_body_size: 1, ..ParseConfig::default() };
        let e =
            parse_datagram(b"MESSAGE sip:a SIP/2.0\r\n\r\nhi", &mut [Header::EMPTY; 8], &tiny_body)
                .unwrap_err();
        assert_eq!((e.kind(), e.status_code()), (ErrorKind::BodyTooLarge, 413));
    }

    #[test]
    fn lenient_where_the_rfc_allows() {
        // bare LF line ends, leading CRLFs, folding, no reason phrase, body to end of datagram
        let msg = b"\r\n\r\nSIP/2.0 200\nVia: SIP/2.0/UDP a\n ;branch=z9hG4bK1\n\nbody";
        let mut headers = [Header::EMPTY; 8];
        let m = parse_datagram(msg, &mut headers, &ParseConfig::default()).unwrap();
        assert_eq!(m.status_code(), Some(200));
        assert_eq!(m.headers()[0].value(), b"SIP/2.0/UDP a\n ;branch=z9hG4bK1");
        assert_eq!(m.body(), b"body");
        // extra bytes after Content-Length in a datagram are ignored (RFC 3261 §18.3)
        let msg = b"MESSAGE sip:a SIP/2.0\r\nl: 2\r\n\r\nhi there";
        let m = parse_datagram(msg, &mut headers, &ParseConfig::default()).unwrap();
        assert_eq!(m.body(), b"hi");
    }

    #[test]
    fn stream_partial_then_complete() {
        let msg = b"MESSAGE sip:a SIP/2.0\r\nl: 2\r\n\r\nhi";
        for n in 0..msg.len() {
            let mut headers = [Header::EMPTY; 8];
            assert!(
                parse_stream(&msg[..n], &mut headers, &ParseConfig::default())
                    .unwrap()
                    .is_partial()
            );
        }
        let mut headers = [Header::EMPTY; 8];
        let Progress::Complete((m, used)) =
            parse_stream(msg, &mut headers, &ParseConfig::default()).unwrap()
        else {
            panic!("complete message")
        };
        assert_eq!((m.body(), used), (&b"hi"[..], msg.len()));
    }
}
