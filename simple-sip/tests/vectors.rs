//! Every SIP message example of the RFCs (tests/vectors, with its manifest line): each either
//! parses, types every header we model, writes back equal and frames on a stream however it is
//! split; or, where the RFC text itself is broken (its manifest note says how), fails with the
//! precise error at the precise offset.

#![allow(elided_lifetimes_in_paths)]
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)] // test helpers // `typed::<Via>()` reads better than `typed::<Via<'_>>()`

use std::path::Path;

use simple_sip::headers::*;
use simple_sip::multipart::Multipart;
use simple_sip::{
    Error, ErrorKind, Frame, Header, HeaderName, Message, Progress, StreamDecoder, Uri,
};

struct Vector {
    file: String,
    note: String,
    bytes: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    manifest
        .lines()
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "manifest line {line}");
            Vector {
                file: cols[0].to_owned(),
                note: cols[4].to_owned(),
                bytes: std::fs::read(dir.join(cols[0])).unwrap(),
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(inherit_notes)
        .collect()
}

/// A `.fixed.sip` copy only recomputed Content-Length: every other flaw of its original stays.
fn inherit_notes(mut v: Vector) -> Vector {
    if let Some(orig) = v.note.strip_prefix("derived from ").and_then(|n| n.split(':').next()) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
        let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
        if let Some(line) =
            manifest.lines().find(|l| l.split('\t').next().is_some_and(|f| f.ends_with(orig)))
        {
            let orig_note = line.split('\t').nth(4).unwrap_or("");
            v.note = format!(
                "{}; {}",
                v.note,
                orig_note.replace("Content-Length", "(original) Content-Length")
            );
        }
    }
    v
}

/// Flaws of the RFC text that the manifest notes do not name, found in the bytes themselves,
/// and the error a strict typed parser must give for them.
fn typed_erratum(v: &Vector) -> Option<(HeaderName, ErrorKind)> {
    let text = String::from_utf8_lossy(&v.bytes);
    if text.contains(";tag:") {
        // `;tag:1234` for `;tag=1234` (RFC 4660 §7)
        Some((HeaderName::From, ErrorKind::TrailingData))
    } else if text.contains(";;") {
        // an empty parameter, `;;branch=` (RFC 3428 §10)
        let name = if text.contains("Via: SIP/2.0/TCP user1pc.domain.com;;") {
            HeaderName::Via
        } else {
            HeaderName::From
        };
        Some((name, ErrorKind::Expected("token")))
    } else if v.note.contains("backslash line-continuation") {
        // `\` at line ends inside a Contact (RFC 7701 §9.1)
        Some((HeaderName::Contact, ErrorKind::TrailingData))
    } else {
        None
    }
}

/// A body part without the empty line between its headers and its content (RFC 4662 §6).
fn multipart_erratum(v: &Vector) -> Option<ErrorKind> {
    let text = String::from_utf8_lossy(&v.bytes);
    text.contains("charset=\"UTF-8\"\r\n<?xml").then_some(ErrorKind::InvalidHeaderName)
}

/// What the manifest note says the file must do.
#[derive(Debug, PartialEq)]
enum Expect {
    Ok,
    Err(ErrorKind),
}

fn expectation(v: &Vector) -> Expect {
    let n = &v.note;
    if n.contains("request line lacks SIP-Version") {
        return Expect::Err(ErrorKind::InvalidStartLine);
    }
    if n.contains("non-header line(s) in header block") {
        // a lone `...` line: the dots are token characters, so the colon is what is missing
        return Expect::Err(ErrorKind::MissingColon);
    }
    if n.contains("Content-Length placeholder") && !v.file.ends_with(".fixed.sip") {
        return Expect::Err(ErrorKind::InvalidContentLength);
    }
    if let Some(rest) = n.split("Content-Length mismatch: declared ").nth(1) {
        let nums: Vec<usize> = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|s| s.parse().ok())
            .take(3)
            .collect();
        let (declared, with_crlf) = (nums[0], nums[2]);
        if declared > with_crlf {
            return Expect::Err(ErrorKind::BodyTruncated);
        }
    }
    Expect::Ok
}

/// The byte offset of the value of the first Content-Length header in `bytes`.
fn content_length_value_at(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let line = text.find("\nContent-Length:").or_else(|| text.find("\nl:")).unwrap() + 1;
    let colon = line + text[line..].find(':').unwrap() + 1;
    colon + text[colon..].len() - text[colon..].trim_start().len()
}

fn body_start(bytes: &[u8]) -> usize {
    let i = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    i + 4
}

/// Parses every header the crate models; returns how many typed values were read.
fn type_all_headers(msg: &Message<'_, '_>) -> Result<usize, (HeaderName, Error)> {
    fn all<'b, T: TypedHeader<'b>>(msg: &Message<'_, 'b>) -> Result<usize, (HeaderName, Error)> {
        let mut n = 0;
        for v in msg.typed_all::<T>() {
            v.map_err(|e| (T::NAME, e))?;
            n += 1;
        }
        Ok(n)
    }
    Ok(all::<Via>(msg)?
        + all::<FromHeader>(msg)?
        + all::<ToHeader>(msg)?
        + all::<CallId>(msg)?
        + all::<CSeq>(msg)?
        + all::<Contact>(msg)?
        + all::<Route>(msg)?
        + all::<RecordRoute>(msg)?
        + all::<MaxForwards>(msg)?
        + all::<Expires>(msg)?
        + all::<MinExpires>(msg)?
        + all::<EventHeader>(msg)?
        + all::<AllowEvents>(msg)?
        + all::<SubscriptionState>(msg)?
        + all::<SipETag>(msg)?
        + all::<SipIfMatch>(msg)?
        + all::<ContentType>(msg)?
        + all::<ContentLength>(msg)?
        + all::<Accept>(msg)?
        + all::<Require>(msg)?
        + all::<Supported>(msg)?
        + all::<Allow>(msg)?
        + all::<WwwAuthenticate>(msg)?
        + all::<Authorization>(msg)?
        + all::<ProxyAuthenticate>(msg)?
        + all::<ProxyAuthorization>(msg)?
        + all::<RetryAfter>(msg)?)
}

/// Frames `bytes` followed by a copy of itself on a stream, fed in `step`-byte pieces.
fn stream_frames(bytes: &[u8], step: usize) -> Vec<usize> {
    let mut wire = bytes.to_vec();
    wire.extend_from_slice(bytes);
    let mut d = StreamDecoder::default();
    let mut rx = Vec::new();
    let mut lens = Vec::new();
    for piece in wire.chunks(step) {
        rx.extend_from_slice(piece);
        while let Progress::Complete(f) = d.decode(&rx).unwrap() {
            let Frame::Message { len } = f else { panic!("keep-alive in a vector") };
            rx.drain(..len);
            lens.push(len);
        }
    }
    assert!(rx.is_empty());
    lens
}

#[test]
fn every_sip_example() {
    let vectors = vectors();
    assert!(vectors.len() >= 130, "vectors: {}", vectors.len());
    let (mut ok, mut failed_as_expected, mut typed_values, mut multiparts) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for v in &vectors {
        let mut headers = [Header::EMPTY; 64];
        let result = Message::parse(&v.bytes, &mut headers);
        match (expectation(v), result) {
            (Expect::Ok, Ok(msg)) => {
                ok += 1;
                // every modelled header types (examples with elisions may hold '...' values)
                match (type_all_headers(&msg), typed_erratum(v)) {
                    (Ok(n), None) => typed_values += n,
                    (Err((name, e)), Some((want_name, want_kind))) => {
                        if (name, e.kind()) != (want_name, want_kind) {
                            problems.push(format!(
                                "{}: {name}: {e}, expected {want_name} {want_kind:?}",
                                v.file
                            ));
                        }
                    }
                    (Ok(_), Some(erratum)) => {
                        problems.push(format!("{}: typed fine, expected {erratum:?}", v.file))
                    }
                    (Err((name, e)), None) => problems.push(format!("{}: {name}: {e}", v.file)),
                }
                if let Some(r) = msg.request() {
                    if !v.note.contains("elision") {
                        if let Err(e) = Uri::parse(r.uri) {
                            problems.push(format!("{}: Request-URI: {e}", v.file));
                        }
                    }
                }
                // multipart bodies split into their parts
                if let Ok(Some(ct)) = msg.typed::<ContentType>() {
                    // a declared length shorter than the body cuts the multipart short
                    let cut = v.note.contains("Content-Length mismatch")
                        && !v.file.ends_with(".fixed.sip");
                    if ct.type_.eq_ignore_ascii_case("multipart") && !cut {
                        match (Multipart::from_content_type(msg.body(), &ct), multipart_erratum(v))
                        {
                            (Ok(mp), None) => {
                                multiparts += 1;
                                assert!(!mp.is_empty(), "{}", v.file);
                                for part in mp.parts() {
                                    part.content_type().unwrap();
                                }
                            }
                            (Err(e), Some(kind)) if e.kind() == kind => {}
                            (r, _) => problems.push(format!("{}: multipart: {r:?}", v.file)),
                        }
                    }
                }
                // lossless write
                let out = msg.to_vec();
                let mut h2 = [Header::EMPTY; 64];
                let again = Message::parse(&out, &mut h2).unwrap();
                assert_eq!(again, msg, "{}", v.file);
                // stream framing at several split sizes, when Content-Length is present
                if msg.header(HeaderName::ContentLength).is_some() {
                    let framed_len = body_start(&v.bytes) + msg.body().len();
                    for step in [1, 2, 7, 64, 1500] {
                        let one = &v.bytes[..framed_len];
                        assert_eq!(
                            stream_frames(one, step),
                            [framed_len, framed_len],
                            "{} step {step}",
                            v.file
                        );
                    }
                }
            }
            (Expect::Err(kind), Err(e)) => {
                if e.kind() != kind {
                    problems.push(format!("{}: expected {kind:?}, got {e}", v.file));
                    continue;
                }
                // ErrorKind is non_exhaustive: outside the crate a catch-all arm is required
                #[allow(clippy::wildcard_enum_match_arm)]
                let want_at = match kind {
                    ErrorKind::InvalidContentLength => Some(content_length_value_at(&v.bytes)),
                    ErrorKind::BodyTruncated => Some(body_start(&v.bytes)),
                    ErrorKind::InvalidStartLine => {
                        Some(v.bytes.iter().position(|&b| b == b'\r').unwrap())
                    }
                    // the colon is missing right after the `...` line's dots
                    ErrorKind::MissingColon => {
                        v.bytes.windows(7).position(|w| w == b"\r\n...\r\n").map(|i| i + 5)
                    }
                    other => panic!("no expected offset for {other:?}"),
                };
                if let Some(at) = want_at {
                    if e.offset() != at {
                        problems.push(format!("{}: {e}, expected offset {at}", v.file));
                        continue;
                    }
                }
                failed_as_expected += 1;
            }
            (Expect::Ok, Err(e)) => problems.push(format!("{}: unexpected error {e}", v.file)),
            (Expect::Err(kind), Ok(_)) => {
                problems.push(format!("{}: parsed, expected {kind:?}", v.file))
            }
        }
    }
    println!(
        "{} vectors: {ok} parsed and round-tripped ({typed_values} typed header values, {multiparts} multipart bodies), {failed_as_expected} broken in the RFC text failed as expected",
        vectors.len()
    );
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
