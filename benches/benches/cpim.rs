//! Reading the CPIM body of a typical instant message (RFC 3862 headers with the IMDN
//! request of RFC 5438, as `simple-cli message` sends it), in the same run as:
//! * `mailparse`: a well-used RFC 822 header parser given the same two header blocks (it
//!   splits names and values into its own slices, without namespaces, escapes or CPIM's
//!   rules) — the peer, since no Rust CPIM parser builds on its own;
//! * `simple-sip`: parsing the SIP MESSAGE that carries the body, the step before it.
//!
//! Prints the ratios at the end (peer time / our time; above 1 is faster than the peer).
//!
//! * `simple-imdn/parse`: both header blocks split, names checked, namespaces resolved,
//!   values borrowed.
//! * `simple-imdn/parse+imdn`: the above, then From, To, DateTime and the IMDN headers read
//!   and checked (Message-ID, Disposition-Notification; DateTime as RFC 3339), as a receiver
//!   does.

#![allow(missing_docs, elided_lifetimes_in_paths, clippy::std_instead_of_core)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use simple_imdn::Cpim;
use simple_imdn::imdn::ImdnHeaders;
use simple_sip::{Header, Message};

const CPIM: &[u8] = b"From: <sip:alice@example.com>\r\n\
To: <sip:bob@example.com>\r\n\
DateTime: 2026-12-03T10:00:00Z\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: 5d1c9f0a7e3b2c41\r\n\
imdn.Disposition-Notification: positive-delivery, negative-delivery, display\r\n\
\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Are we still on for lunch at noon? I can book the usual table.";

fn sip_message() -> Vec<u8> {
    let mut m = format!(
        "MESSAGE sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776sgdkse;rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:alice@example.com>;tag=49583\r\n\
To: <sip:bob@example.com>\r\n\
Call-ID: asd88asd77a@192.0.2.10\r\n\
CSeq: 1 MESSAGE\r\n\
Content-Type: message/cpim\r\n\
Content-Length: {}\r\n\r\n",
        CPIM.len()
    )
    .into_bytes();
    m.extend_from_slice(CPIM);
    m
}

fn ours(b: &[u8]) -> usize {
    let m = Cpim::parse(b).expect("valid");
    m.headers().len() + m.content().len()
}

fn ours_typed(b: &[u8]) -> usize {
    let m = Cpim::parse(b).expect("valid");
    let from = m.from().expect("from").expect("present");
    let to = m.to().expect("to");
    let dt = m.date_time().expect("datetime").expect("present");
    let h = ImdnHeaders::read(&m).expect("imdn");
    from.uri.len()
        + to.len()
        + dt.as_str().len()
        + h.message_id.map_or(0, str::len)
        + m.content().len()
}

fn peer(b: &[u8]) -> usize {
    let (h1, at) = mailparse::parse_headers(b).expect("valid");
    let (h2, at2) = mailparse::parse_headers(&b[at..]).expect("valid");
    h1.len() + h2.len() + b.len() - at - at2
}

fn sip(b: &[u8]) -> usize {
    let mut headers = [Header::EMPTY; 32];
    let m = Message::parse(b, &mut headers).expect("valid");
    m.headers().len() + m.body().len()
}

fn bench(c: &mut Criterion) {
    let message = sip_message();
    // both read the six message headers and the one MIME header
    let (h1, at) = mailparse::parse_headers(CPIM).expect("valid");
    let (h2, _) = mailparse::parse_headers(&CPIM[at..]).expect("valid");
    let m = Cpim::parse(CPIM).expect("valid");
    assert_eq!((h1.len(), h2.len()), (m.headers().len(), m.mime_headers().len()));
    assert_eq!((h1.len(), h2.len()), (6, 1));
    let mut g = c.benchmark_group("cpim");
    g.throughput(Throughput::Bytes(CPIM.len() as u64));
    g.bench_function("simple-imdn/parse", |b| b.iter(|| ours(black_box(CPIM))));
    g.bench_function("simple-imdn/parse+imdn", |b| b.iter(|| ours_typed(black_box(CPIM))));
    g.bench_function("mailparse", |b| b.iter(|| peer(black_box(CPIM))));
    g.bench_function("simple-sip/MESSAGE", |b| b.iter(|| sip(black_box(&message))));
    g.finish();
}

criterion_group!(benches, bench);

mod support;
use support::mean_ns;

fn main() {
    if !support::run(benches) {
        return;
    }
    let t = |n: &str| mean_ns(&["cpim", n]);
    let (Some(p), Some(pt), Some(m), Some(s)) = (
        t("simple-imdn_parse"),
        t("simple-imdn_parse+imdn"),
        t("mailparse"),
        t("simple-sip_MESSAGE"),
    ) else {
        return;
    };
    println!("\nCPIM body of a typical IM ({} bytes):", CPIM.len());
    println!("  simple-imdn parse       {p:7.0} ns; mailparse {m:7.0} ns: {:4.2}x", m / p);
    println!("  simple-imdn parse+imdn  {pt:7.0} ns; mailparse {m:7.0} ns: {:4.2}x", m / pt);
    println!("  simple-sip MESSAGE      {s:7.0} ns: CPIM parse takes {:4.2}x of it", p / s);
}
