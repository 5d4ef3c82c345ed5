//! MSRP framing throughput on a 1 MiB SEND chunk, as a ratio to `memcpy` of the same bytes:
//! the decoder in place over the whole chunk (the end-line search is all it does), and fed in
//! 64 KiB socket-sized reads through a buffer the way a connection loop would. Prints the
//! ratios after a timed run (memcpy time / decoder time; 1.0 = as fast as copying).

use core::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use simple_msrp::{ByteRange, Decoder, Frame, Message, MsrpUri, end_line_in_body};

const BODY: usize = 1 << 20;
const READ: usize = 64 << 10;

#[path = "support/noise.rs"]
mod noise;

fn chunk() -> Vec<u8> {
    // pseudo-random bytes: no accidental end-lines, no help for the search
    let body = noise::noise(BODY);
    let tid = "f8Hk2Zq9wQ1";
    assert!(!end_line_in_body(&body, tid));
    let to = MsrpUri::new("bob.example.com", 2855, "9di4eae923wzd");
    let from = MsrpUri::new("alice.example.com", 2855, "iau39soe2843z");
    let mut m = Message::request(tid, "SEND", &[to], &[from])
        .with_header("Message-ID", "12339sdqwer")
        .with_header("Byte-Range", ByteRange::whole(BODY as u64))
        .with_header("Content-Type", "application/octet-stream");
    m.body = Some(body);
    m.to_vec()
}

/// Decodes in place; returns the body bytes seen.
fn in_place(bytes: &[u8]) -> usize {
    let mut d = Decoder::default();
    let mut at = 0;
    let mut body = 0;
    while let Ok(Some((f, used))) = d.decode(&bytes[at..]) {
        if let Frame::Data(x) = f {
            body += x.len();
        }
        at += used;
        if let Frame::End(_) = f {
            break;
        }
    }
    body
}

/// Reads of 64 KiB appended to a buffer, decoded, consumed bytes discarded.
fn streamed(bytes: &[u8], buf: &mut Vec<u8>) -> usize {
    let mut d = Decoder::default();
    let mut body = 0;
    buf.clear();
    for read in bytes.chunks(READ) {
        buf.extend_from_slice(read);
        let mut at = 0;
        while let Ok(Some((f, used))) = d.decode(&buf[at..]) {
            if let Frame::Data(x) = f {
                body += x.len();
            }
            at += used;
        }
        buf.drain(..at);
    }
    body
}

fn bench(c: &mut Criterion) {
    let bytes = chunk();
    assert_eq!(in_place(&bytes), BODY);
    let mut buf = Vec::with_capacity(2 * READ);
    assert_eq!(streamed(&bytes, &mut buf), BODY);
    let mut dst = vec![0u8; bytes.len()];

    let mut g = c.benchmark_group("msrp_frame");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&bytes));
            black_box(&dst);
        });
    });
    g.bench_function("decode-in-place", |b| b.iter(|| in_place(black_box(&bytes))));
    g.bench_function("decode-64k-reads", |b| b.iter(|| streamed(black_box(&bytes), &mut buf)));
    g.finish();
}

criterion_group!(benches, bench);

mod support;
use support::mean_ns;

fn main() {
    // `cargo test` runs each benchmark once without timing: no ratios then
    if !support::run(benches) {
        return;
    }
    let Some(copy) = mean_ns(&["msrp_frame", "memcpy"]) else { return };
    println!(
        "\nframing throughput as a ratio to memcpy of the same {} bytes (target >= 0.50):",
        BODY
    );
    for f in ["decode-in-place", "decode-64k-reads"] {
        if let Some(t) = mean_ns(&["msrp_frame", f]) {
            let gbs = (BODY as f64) / t;
            println!(
                "  {f:17} {:8.1} us ({gbs:5.2} GB/s) vs memcpy {:8.1} us: {:4.2}",
                t / 1e3,
                copy / 1e3,
                copy / t
            );
        }
    }
}
