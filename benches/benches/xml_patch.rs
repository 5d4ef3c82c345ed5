//! simple-patch on resource-lists documents of growing size: parsing (against roxmltree and
//! raw quick-xml events in the same run), applying a 12-operation patch, and diffing two
//! versions. Prints, after a timed run, the peer ratios for parsing and how apply and diff
//! scale (time per entry at each size; equal figures mean linear).

use core::fmt::Write as _;
use core::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use quick_xml::events::Event;
use simple_patch::{Document, Patch, diff};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const PER_LIST: usize = 100;

/// A resource-lists document (RFC 4826) with `n` entries in lists of 100, pretty-printed.
/// `variant` changes a dozen places spread over the document.
fn document(n: usize, variant: bool) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\" xmlns:cp=\"urn:ietf:params:xml:ns:copycontrol\">\n",
    );
    let step = n / 4;
    for l in 0..n.div_ceil(PER_LIST) {
        let _ = writeln!(s, "  <list name=\"friends-{l}\">");
        for e in l * PER_LIST..((l + 1) * PER_LIST).min(n) {
            let hit = variant && e % step == step / 2;
            if hit && e % 3 == 0 {
                continue; // removed in B
            }
            let name = if hit { format!("Renamed {e}") } else { format!("User {e}") };
            let attr = if hit && e % 3 == 1 { " cp:copyControl=\"bcc\"" } else { "" };
            let _ = writeln!(
                s,
                "    <entry uri=\"sip:user{e}@example.com\"{attr}>\n      <display-name>{name}</display-name>\n    </entry>"
            );
            if hit {
                let _ = writeln!(s, "    <entry uri=\"sip:new{e}@example.com\"/>");
            }
        }
        s.push_str("  </list>\n");
    }
    s.push_str("</resource-lists>\n");
    s
}

fn roxml_count(text: &str) -> usize {
    roxmltree::Document::parse(text).map(|d| d.descendants().count()).unwrap_or(0)
}

fn quick_xml_count(bytes: &[u8]) -> usize {
    let mut r = quick_xml::Reader::from_reader(bytes);
    let mut n = 0;
    loop {
        match r.read_event() {
            Ok(Event::Eof) | Err(_) => return n,
            Ok(_) => n += 1,
        }
    }
}

fn bench(c: &mut Criterion) {
    for n in SIZES {
        let a_text = document(n, false);
        let b_text = document(n, true);
        let a = Document::from_str(&a_text).expect("A parses");
        let b = Document::from_str(&b_text).expect("B parses");
        let patch = Patch::parse(&diff(&a, &b).to_vec()).expect("the diff parses");
        // every timed path does real work and gets the right answer
        let mut check = a.clone();
        patch.apply(&mut check).expect("the diff applies");
        assert!(check.equivalent(&b));
        assert!(roxml_count(&a_text) > n && quick_xml_count(a_text.as_bytes()) > n);

        let mut g = c.benchmark_group("xml_parse");
        g.sample_size(10);
        g.throughput(Throughput::Bytes(a_text.len() as u64));
        g.bench_with_input(BenchmarkId::new("simple-patch", n), &a_text, |bch, t| {
            bch.iter(|| Document::from_str(black_box(t)).map(|d| d.capacity()));
        });
        g.bench_with_input(BenchmarkId::new("roxmltree", n), &a_text, |bch, t| {
            bch.iter(|| roxml_count(black_box(t)));
        });
        g.bench_with_input(BenchmarkId::new("quick-xml-events", n), &a_text, |bch, t| {
            bch.iter(|| quick_xml_count(black_box(t.as_bytes())));
        });
        g.finish();

        let mut g = c.benchmark_group("xml_patch");
        g.sample_size(10);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("apply", n), &a, |bch, a| {
            bch.iter_batched(
                || a.clone(),
                |mut d| patch.apply(&mut d).map(|()| d.capacity()),
                criterion::BatchSize::LargeInput,
            );
        });
        g.bench_with_input(BenchmarkId::new("diff", n), &(&a, &b), |bch, (a, b)| {
            bch.iter(|| diff(black_box(a), black_box(b)).operations().len());
        });
        g.bench_with_input(BenchmarkId::new("write", n), &a, |bch, a| {
            bch.iter(|| black_box(a).to_vec().len());
        });
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
    println!("\nparse ratios (peer mean time / simple-patch mean time):");
    for n in SIZES {
        let Some(ours) = mean_ns(&["xml_parse", "simple-patch", &n.to_string()]) else { continue };
        for peer in ["roxmltree", "quick-xml-events"] {
            if let Some(p) = mean_ns(&["xml_parse", peer, &n.to_string()]) {
                println!(
                    "  {n:>7} entries  {peer:17} {:9.3} ms vs {:9.3} ms: {:5.2}x",
                    p / 1e6,
                    ours / 1e6,
                    p / ours
                );
            }
        }
    }
    println!("\nscaling (ns per entry; flat = linear):");
    for op in ["apply", "diff", "write"] {
        let per: Vec<String> = SIZES
            .iter()
            .filter_map(|&n| {
                mean_ns(&["xml_patch", op, &n.to_string()])
                    .map(|t| format!("{n}: {:.1}", t / n as f64))
            })
            .collect();
        println!("  {op:6} {}", per.join("   "));
    }
}
