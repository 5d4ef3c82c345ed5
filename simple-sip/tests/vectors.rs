//! Every SIP message example of the RFCs (tests/vectors, with its manifest line): each does what
//! the manifest's expected-result column says: it parses, types every header we model (or fails
//! one exactly as stated), writes back equal and frames on a stream however it is split; or,
//! where the RFC text itself is broken (its note says how), fails with the stated error at the
//! stated offset.

#![allow(elided_lifetimes_in_paths)]
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)] // test helpers // `typed::<Via>()` reads better than `typed::<Via<'_>>()`

use std::path::Path;

use simple_sip::headers::*;
use simple_sip::multipart::Multipart;
use simple_sip::{
    Error, ErrorKind, Frame, Header, HeaderName, Message, OwnedMessage, Progress, StreamDecoder,
    Uri,
};

struct Vector {
    file: String,
    note: String,
    expect: Expect,
    bytes: Vec<u8>,
}

/// The manifest's sixth column (see tests/vectors/README.md); kinds are `ErrorKind`'s
/// `Debug` form.
#[derive(Debug, PartialEq)]
enum Expect {
    Accept {
        /// A header whose typed parse fails, and how.
        typed_error: Option<(String, String)>,
        /// How the multipart body fails.
        multipart_error: Option<String>,
    },
    Reject {
        kind: String,
        offset: usize,
    },
}

fn parse_expect(col: &str) -> Expect {
    let mut words = col.split(' ');
    match words.next() {
        Some("accept") => {
            let (mut typed_error, mut multipart_error) = (None, None);
            for w in words {
                if let Some(v) = w.strip_prefix("typed-error=") {
                    let (h, k) = v.split_once('/').unwrap();
                    typed_error = Some((h.to_owned(), k.to_owned()));
                } else if let Some(k) = w.strip_prefix("multipart-error=") {
                    multipart_error = Some(k.to_owned());
                } else {
                    panic!("unknown expectation {w:?} in {col:?}");
                }
            }
            Expect::Accept { typed_error, multipart_error }
        }
        Some("reject") => {
            let (kind, offset) = words.next().and_then(|w| w.split_once('@')).unwrap();
            Expect::Reject { kind: kind.to_owned(), offset: offset.parse().unwrap() }
        }
        other => panic!("unknown expectation {other:?}"),
    }
}

fn vectors() -> Vec<Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    manifest
        .lines()
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 6, "manifest line {line}");
            Vector {
                file: cols[0].to_owned(),
                note: cols[4].to_owned(),
                expect: parse_expect(cols[5]),
                bytes: std::fs::read(dir.join(cols[0])).unwrap(),
            }
        })
        .collect()
}

fn kind_name(k: ErrorKind) -> String {
    format!("{k:?}")
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
        match (&v.expect, result) {
            (Expect::Accept { typed_error, multipart_error }, Ok(msg)) => {
                ok += 1;
                // every modelled header types, or fails exactly as the manifest says
                match (type_all_headers(&msg), typed_error) {
                    (Ok(n), None) => typed_values += n,
                    (Err((name, e)), Some((want_name, want_kind))) => {
                        if (name.to_string(), kind_name(e.kind()))
                            != (want_name.clone(), want_kind.clone())
                        {
                            problems.push(format!(
                                "{}: {name}: {e}, expected {want_name} {want_kind}",
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
                        if let Err(e) = Uri::parse(&r.uri) {
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
                        match (Multipart::from_content_type(msg.body(), &ct), multipart_error) {
                            (Ok(mp), None) => {
                                multiparts += 1;
                                assert!(!mp.is_empty(), "{}", v.file);
                                for part in mp.parts() {
                                    part.content_type().unwrap();
                                }
                            }
                            (Err(e), Some(kind)) if kind_name(e.kind()) == *kind => {}
                            (r, _) => problems.push(format!("{}: multipart: {r:?}", v.file)),
                        }
                    }
                }
                // the owned form reads the same, sharing the bytes
                let owned = OwnedMessage::parse(bytes::Bytes::copy_from_slice(&v.bytes)).unwrap();
                owned.view(|m| assert_eq!(m, &msg, "{}", v.file));
                assert_eq!(
                    (owned.method(), owned.status_code()),
                    (msg.method(), msg.status_code())
                );
                assert_eq!(&owned.body()[..], msg.body(), "{}", v.file);
                for h in msg.headers() {
                    let first = owned.header(h.kind()).unwrap();
                    assert_eq!(first.kind(), h.kind());
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
            (Expect::Reject { kind, offset }, Err(e)) => {
                if (kind_name(e.kind()), e.offset()) == (kind.clone(), *offset) {
                    failed_as_expected += 1;
                } else {
                    problems.push(format!("{}: expected {kind} at {offset}, got {e}", v.file));
                }
            }
            (Expect::Accept { .. }, Err(e)) => {
                problems.push(format!("{}: unexpected error {e}", v.file))
            }
            (Expect::Reject { kind, .. }, Ok(_)) => {
                problems.push(format!("{}: parsed, expected {kind}", v.file))
            }
        }
    }
    println!(
        "{} vectors: {ok} parsed and round-tripped ({typed_values} typed header values, {multiparts} multipart bodies), {failed_as_expected} broken in the RFC text failed as expected",
        vectors.len()
    );
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
