//! Parsing SIP messages: simple-sip against rsip and ezk-sip-types on the same bytes, in the same
//! run. Prints the ratios at the end (peer time / our time).
//!
//! What each side does for one message:
//! * `simple-sip/parse`: start line, every header split and classified, Content-Length framing;
//!   values stay borrowed (zero allocations).
//! * `simple-sip/parse+typed`: the above, then the Request-URI and Via, From, To, Call-ID, CSeq,
//!   Content-Type, Event and Subscription-State typed.
//! * `rsip`: `SipMessage::try_from(&[u8])`: start line typed, headers split into owned strings.
//! * `ezk-sip-types`: its pull parser, start line typed, headers into its `Headers` map of
//!   shared `BytesStr` values, as its transport layer does.
//! * `rsipstack`: `rsipstack::sip::parser::parse_message`, the parser of its transport layer
//!   (start line typed, headers into its `Headers`, body copied).
//! * `httparse`: the fastest Rust HTTP/1 head parser, as a floor: it cannot read SIP, so it is
//!   given the same head with the request line rewritten to HTTP (`MESSAGE /sip:… HTTP/1.1`), the
//!   status line likewise; headers split into its array of borrowed slices, no body framing.

#![allow(missing_docs, elided_lifetimes_in_paths, clippy::std_instead_of_core)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group};
use simple_sip::headers::{
    CSeq, CallId, ContentType, EventHeader, FromHeader, SubscriptionState, ToHeader, Via,
};
use simple_sip::{Header, Message, Uri};

const NOTIFY: &[u8] = include_bytes!("../../simple-sip/tests/data/notify-pidf.sip");
const MESSAGE: &[u8] = include_bytes!("../../simple-sip/tests/data/message.sip");

fn ours(bytes: &[u8]) -> usize {
    let mut headers = [Header::EMPTY; 32];
    let msg = Message::parse(bytes, &mut headers).expect("valid fixture");
    msg.headers().len() + msg.body().len()
}

fn ours_typed(bytes: &[u8]) -> usize {
    let mut headers = [Header::EMPTY; 32];
    let msg = Message::parse(bytes, &mut headers).expect("valid fixture");
    let mut n = msg.body().len();
    let uri = Uri::parse(&msg.request().expect("request").uri).expect("uri");
    n += usize::from(uri.as_sip().is_some());
    for v in msg.typed_all::<Via>() {
        n += v.expect("via").branch().map_or(0, str::len);
    }
    n += msg.require::<FromHeader>().expect("from").params.as_str().len();
    n += msg.require::<ToHeader>().expect("to").params.as_str().len();
    n += msg.require::<CallId>().expect("call-id").0.len();
    n += msg.require::<CSeq>().expect("cseq").seq as usize;
    n += msg.require::<ContentType>().expect("content-type").subtype.len();
    if let Some(e) = msg.typed::<EventHeader>().expect("event") {
        n += e.event_type.len();
    }
    if let Some(s) = msg.typed::<SubscriptionState>().expect("subscription-state") {
        n += s.params.as_str().len();
    }
    n
}

fn rsip_parse(bytes: &[u8]) -> usize {
    use rsip::message::HasHeaders;
    let msg = rsip::SipMessage::try_from(bytes).expect("rsip parses the fixture");
    msg.headers().iter().count() + msg.body().len()
}

fn ezk_parse(src: &Bytes) -> usize {
    use ezk_sip_types::Headers;
    use ezk_sip_types::msg::{Line, MessageLine, PullParser};
    use ezk_sip_types::parse::Parse;

    let mut parser = PullParser::new(src, 0);
    let first = parser.next().expect("line").expect("complete");
    let first = std::str::from_utf8(first).expect("utf8");
    let (_, line) = MessageLine::parse(src)(first).expect("start line");
    let mut headers = Headers::with_capacity(16);
    for l in &mut parser {
        let l = std::str::from_utf8(l.expect("complete")).expect("utf8");
        let (_, Line { name, value }) = Line::parse(src, l).expect("header line");
        headers.extend([(name, value)]);
    }
    let head_end = parser.head_end();
    let body = src.slice(head_end..);
    usize::from(line.is_request()) + headers.iter().count() + body.len()
}

fn rsipstack_parse(bytes: &[u8]) -> usize {
    match rsipstack::sip::parser::parse_message(bytes).expect("rsipstack parses the fixture") {
        rsipstack::sip::SipMessage::Request(r) => r.headers.iter().count() + r.body.len(),
        rsipstack::sip::SipMessage::Response(r) => r.headers.iter().count() + r.body.len(),
    }
}

/// The fixture with its start line rewritten to HTTP/1.1, for httparse.
fn as_http(bytes: &[u8]) -> Vec<u8> {
    let line_end = bytes.iter().position(|&b| b == b'\r').expect("a start line");
    let line = std::str::from_utf8(&bytes[..line_end]).expect("utf8");
    let http = match line.strip_prefix("SIP/2.0 ") {
        Some(rest) => format!("HTTP/1.1 {rest}"),
        None => {
            let mut parts = line.splitn(3, ' ');
            let (method, uri) = (parts.next().expect("method"), parts.next().expect("uri"));
            format!("{method} /{uri} HTTP/1.1")
        }
    };
    let mut out = http.into_bytes();
    out.extend_from_slice(&bytes[line_end..]);
    out
}

fn httparse_parse(bytes: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    if bytes.starts_with(b"HTTP/") {
        let mut r = httparse::Response::new(&mut headers);
        match r.parse(bytes).expect("httparse parses the head") {
            httparse::Status::Complete(n) => n + r.headers.len(),
            httparse::Status::Partial => 0,
        }
    } else {
        let mut r = httparse::Request::new(&mut headers);
        match r.parse(bytes).expect("httparse parses the head") {
            httparse::Status::Complete(n) => n + r.headers.len(),
            httparse::Status::Partial => 0,
        }
    }
}

fn bench(c: &mut Criterion) {
    for (name, bytes) in [("notify-pidf", NOTIFY), ("message", MESSAGE)] {
        // every side must accept the fixture before it is timed
        assert!(ours(bytes) > 0 && ours_typed(bytes) > 0 && rsip_parse(bytes) > 0);
        let shared = Bytes::from_static(bytes);
        assert!(ezk_parse(&shared) > 0);
        assert!(rsipstack_parse(bytes) > 0);
        let http = as_http(bytes);
        assert!(httparse_parse(&http) > 0);

        let mut g = c.benchmark_group(format!("sip_parse/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("simple-sip", |b| b.iter(|| ours(black_box(bytes))));
        g.bench_function("simple-sip-typed", |b| b.iter(|| ours_typed(black_box(bytes))));
        g.bench_function("rsip", |b| b.iter(|| rsip_parse(black_box(bytes))));
        g.bench_function("ezk-sip-types", |b| b.iter(|| ezk_parse(black_box(&shared))));
        g.bench_function("rsipstack", |b| b.iter(|| rsipstack_parse(black_box(bytes))));
        g.bench_function("httparse-head", |b| b.iter(|| httparse_parse(black_box(&http))));
        g.finish();
    }
}

criterion_group!(benches, bench);

mod support;
use support::mean_ns;

fn main() {
    // `cargo test` runs each benchmark once without timing: no ratios then
    if !support::run(benches) {
        return;
    }
    println!("\nratios (peer mean time / simple-sip mean time; higher is better for simple-sip):");
    for name in ["notify-pidf", "message"] {
        let group = format!("sip_parse_{name}");
        let alt = format!("sip_parse/{name}").replace('/', "_");
        let g = if mean_ns(&[&group, "simple-sip"]).is_some() { group } else { alt };
        let Some(base) = mean_ns(&[&g, "simple-sip"]) else {
            println!("  {name}: no estimates found (run without --test)");
            continue;
        };
        let typed = mean_ns(&[&g, "simple-sip-typed"]).unwrap_or(f64::NAN);
        for peer in ["rsip", "ezk-sip-types", "rsipstack", "httparse-head"] {
            if let Some(p) = mean_ns(&[&g, peer]) {
                println!(
                    "  {name:12} {peer:14} {p:9.1} ns vs simple-sip {base:7.1} ns: {:5.1}x  (vs parse+typed {typed:7.1} ns: {:5.1}x)",
                    p / base,
                    p / typed
                );
            }
        }
    }
}
