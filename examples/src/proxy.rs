//! The byte edits of a stateful proxy (RFC 3261 §16.6, §16.7): a forwarded request gets a new
//! Request-URI, our Via on top and one Max-Forwards less; a response coming back loses our
//! Via. The rest of the message is left as it came.

use bytes::Bytes;
use simple_sip::{OwnedMessage, ParseConfig};

/// Why a request cannot be forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardError {
    /// Max-Forwards is 0 (answer 483).
    TooManyHops,
    /// The edited message does not parse (answer 500).
    Malformed,
}

/// The header section of `bytes`: the start line's end and the empty line's start.
fn head(bytes: &[u8]) -> Option<(usize, usize)> {
    let line_end = memchr_crlf(bytes, 0)?;
    let mut at = line_end + 2;
    loop {
        let next = memchr_crlf(bytes, at)?;
        if next == at {
            return Some((line_end, at));
        }
        at = next + 2;
    }
}

fn memchr_crlf(bytes: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, b"\r\n").map(|i| from + i)
}

/// The header lines between `start` and `end`: (line start, colon, line end).
fn lines(
    bytes: &[u8],
    start: usize,
    end: usize,
) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut at = start;
    core::iter::from_fn(move || {
        while at < end {
            let line_end = memchr_crlf(bytes, at).unwrap_or(end).min(end);
            let line = (at, line_end);
            at = line_end + 2;
            if let Some(colon) = bytes[line.0..line.1].iter().position(|&b| b == b':') {
                return Some((line.0, line.0 + colon, line.1));
            }
        }
        None
    })
}

fn name_is(bytes: &[u8], start: usize, colon: usize, names: &[&str]) -> bool {
    let name = bytes[start..colon].trim_ascii();
    names.iter().any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// `request` sent on to `uri`, with `via` (a whole `Via:` value) on top.
pub fn forward_request(
    request: &OwnedMessage,
    uri: &str,
    via: &str,
    parse: &ParseConfig,
) -> Result<OwnedMessage, ForwardError> {
    let bytes = request.bytes();
    let (line_end, empty) = head(bytes).ok_or(ForwardError::Malformed)?;
    let line = &bytes[..line_end];
    let sp1 = line.iter().position(|&b| b == b' ').ok_or(ForwardError::Malformed)?;
    let sp2 = line.iter().rposition(|&b| b == b' ').ok_or(ForwardError::Malformed)?;
    if sp2 <= sp1 {
        return Err(ForwardError::Malformed);
    }
    let mut out = Vec::with_capacity(bytes.len() + via.len() + uri.len() + 32);
    out.extend_from_slice(&line[..=sp1]);
    out.extend_from_slice(uri.as_bytes());
    out.extend_from_slice(&line[sp2..]);
    out.extend_from_slice(b"\r\nVia: ");
    out.extend_from_slice(via.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut copied = line_end + 2;
    let mut max_forwards = false;
    for (start, colon, end) in lines(bytes, line_end + 2, empty) {
        if name_is(bytes, start, colon, &["max-forwards"]) {
            let value = core::str::from_utf8(bytes[colon + 1..end].trim_ascii())
                .ok()
                .and_then(|v| v.parse::<u32>().ok())
                .ok_or(ForwardError::Malformed)?;
            if value == 0 {
                return Err(ForwardError::TooManyHops);
            }
            out.extend_from_slice(&bytes[copied..start]);
            out.extend_from_slice(format!("Max-Forwards: {}\r\n", value.min(256) - 1).as_bytes());
            copied = end + 2;
            max_forwards = true;
        }
    }
    out.extend_from_slice(&bytes[copied..empty]);
    if !max_forwards {
        out.extend_from_slice(b"Max-Forwards: 70\r\n");
    }
    out.extend_from_slice(&bytes[empty..]);
    OwnedMessage::parse_with(Bytes::from(out), parse).map_err(|_| ForwardError::Malformed)
}

/// `response` without its top Via value (ours), to send back upstream.
pub fn strip_via(response: &OwnedMessage, parse: &ParseConfig) -> Option<OwnedMessage> {
    let bytes = response.bytes();
    let (line_end, empty) = head(bytes)?;
    let (start, colon, end) =
        lines(bytes, line_end + 2, empty).find(|&(s, c, _)| name_is(bytes, s, c, &["via", "v"]))?;
    let value = &bytes[colon + 1..end];
    // the first value ends at a comma outside quotes
    let mut quoted = false;
    let comma = value.iter().position(|&b| {
        if b == b'"' {
            quoted = !quoted;
        }
        b == b',' && !quoted
    });
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..start]);
    if let Some(c) = comma {
        out.extend_from_slice(&bytes[start..=colon]);
        out.push(b' ');
        out.extend_from_slice(value[c + 1..].trim_ascii_start());
        out.extend_from_slice(&bytes[end..]);
    } else {
        out.extend_from_slice(&bytes[end + 2..]);
    }
    let stripped = OwnedMessage::parse_with(Bytes::from(out), parse).ok()?;
    // a response with no Via left was not for forwarding
    if stripped.header(simple_sip::HeaderName::Via).is_some() { Some(stripped) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> OwnedMessage {
        OwnedMessage::parse(Bytes::from(s.replace('\n', "\r\n"))).expect("a test message")
    }

    const MESSAGE: &str = "MESSAGE sip:bob@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa
max-forwards:  5
From: <sip:alice@127.0.0.1>;tag=1
To: <sip:bob@127.0.0.1>
Call-ID: c
CSeq: 1 MESSAGE
Content-Type: text/plain
Content-Length: 2

hi";

    #[test]
    fn a_forwarded_request_has_the_new_target_our_via_and_one_hop_less() {
        let out = forward_request(
            &parse(MESSAGE),
            "sip:bob@127.0.0.1:5090",
            "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKp",
            &ParseConfig::default(),
        )
        .expect("forwarded");
        let text = String::from_utf8_lossy(out.bytes()).into_owned();
        assert!(text.starts_with("MESSAGE sip:bob@127.0.0.1:5090 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKp\r\nVia: SIP/2.0/UDP 127.0.0.1:5070"), "{text}");
        assert!(text.contains("Max-Forwards: 4\r\n") && !text.contains("max-forwards"), "{text}");
        assert!(text.ends_with("\r\n\r\nhi"));
    }

    #[test]
    fn no_hops_left_and_none_given() {
        let zero = MESSAGE.replace("max-forwards:  5", "Max-Forwards: 0");
        assert_eq!(
            forward_request(
                &parse(&zero),
                "sip:b@h",
                "SIP/2.0/UDP h;branch=z9hG4bKp",
                &ParseConfig::default()
            )
            .err(),
            Some(ForwardError::TooManyHops)
        );
        let none = MESSAGE.replace("max-forwards:  5\n", "");
        let out = forward_request(
            &parse(&none),
            "sip:b@h",
            "SIP/2.0/UDP h;branch=z9hG4bKp",
            &ParseConfig::default(),
        )
        .expect("forwarded");
        assert!(String::from_utf8_lossy(out.bytes()).contains("Max-Forwards: 70\r\n"));
    }

    #[test]
    fn our_via_comes_off_the_response() {
        let two_lines = "SIP/2.0 200 OK
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKp
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa
From: <sip:alice@127.0.0.1>;tag=1
To: <sip:bob@127.0.0.1>;tag=2
Call-ID: c
CSeq: 1 MESSAGE
Content-Length: 0

";
        let one_line = two_lines.replace("z9hG4bKp\nVia: ", "z9hG4bKp , ");
        for r in [two_lines, one_line.as_str()] {
            let out = strip_via(&parse(r), &ParseConfig::default()).expect("stripped");
            let text = String::from_utf8_lossy(out.bytes()).into_owned();
            assert!(!text.contains("z9hG4bKp"), "{text}");
            assert!(text.contains("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa\r\n"), "{text}");
        }
        let only_ours = two_lines.replace("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa\n", "");
        assert!(strip_via(&parse(&only_ours), &ParseConfig::default()).is_none());
    }
}
