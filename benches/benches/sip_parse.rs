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

fn bench(c: &mut Criterion) {
    for (name, bytes) in [("notify-pidf", NOTIFY), ("message", MESSAGE)] {
        // every side must accept the fixture before it is timed
        assert!(ours(bytes) > 0 && ours_typed(bytes) > 0 && rsip_parse(bytes) > 0);
        let shared = Bytes::from_static(bytes);
        assert!(ezk_parse(&shared) > 0);

        let mut g = c.benchmark_group(format!("sip_parse/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("simple-sip", |b| b.iter(|| ours(black_box(bytes))));
        g.bench_function("simple-sip-typed", |b| b.iter(|| ours_typed(black_box(bytes))));
        g.bench_function("rsip", |b| b.iter(|| rsip_parse(black_box(bytes))));
        g.bench_function("ezk-sip-types", |b| b.iter(|| ezk_parse(black_box(&shared))));
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
        for peer in ["rsip", "ezk-sip-types"] {
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
