//! Presence documents: reading into the typed model against raw quick-xml reading of the same
//! bytes (namespace-resolved events with attribute values unescaped and text decoded: the
//! least any typed reader built on quick-xml has to do), writing, partial notification and
//! composition.
//!
//! `cargo bench -p simple-benches --bench pidf`

use core::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use quick_xml::events::Event;
use simple_pidf::{Basic, PartialNotifier, Presence, PresenceView, Update, compose};

/// RFC 4480 §4's example (rich presence: tuples, a device, a person with nine RPID elements).
const RPID_EXAMPLE: &str =
    include_str!("../../simple-pidf/tests/vectors/rfc4480/rfc4480-sec4-presence.xml");

/// A presence server's composed view of a busy presentity: `n` services with capabilities and
/// CIPID, devices, and a person with RPID, as one document.
fn large(n: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \
         xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" \
         xmlns:caps=\"urn:ietf:params:xml:ns:pidf:caps\" xmlns:c=\"urn:ietf:params:xml:ns:pidf:cipid\" \
         entity=\"pres:someone@example.com\">\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "  <tuple id=\"t{i}\">\n    <status>\n      <basic>{}</basic>\n    </status>\n    \
             <dm:deviceID>urn:uuid:{i:08x}-0000</dm:deviceID>\n    <caps:servcaps>\n      \
             <caps:audio>true</caps:audio>\n      <caps:methods>\n        <caps:supported>\n          \
             <caps:INVITE/>\n          <caps:MESSAGE/>\n        </caps:supported>\n      </caps:methods>\n    \
             </caps:servcaps>\n    <c:homepage>http://example.com/~someone/{i}</c:homepage>\n    \
             <contact priority=\"0.{}\">sip:someone-{i}@example.com</contact>\n    \
             <note xml:lang=\"en\">service number {i} &amp; friends</note>\n    \
             <timestamp>2026-11-24T09:00:{:02}Z</timestamp>\n  </tuple>\n",
            if i % 3 == 0 { "closed" } else { "open" },
            i % 10,
            i % 60
        ));
    }
    for i in 0..n / 10 {
        s.push_str(&format!(
            "  <dm:device id=\"d{i}\">\n    <rpid:user-input idle-threshold=\"600\">idle</rpid:user-input>\n    \
             <dm:deviceID>urn:uuid:{i:08x}-0000</dm:deviceID>\n  </dm:device>\n"
        ));
    }
    s.push_str(
        "  <dm:person id=\"p1\">\n    <rpid:activities><rpid:meeting/><rpid:on-the-phone/></rpid:activities>\n    \
         <rpid:mood><rpid:happy/></rpid:mood>\n    <rpid:place-type><rpid:other>office</rpid:other></rpid:place-type>\n    \
         <c:display-name>Some One</c:display-name>\n    <dm:timestamp>2026-11-24T09:00:00Z</dm:timestamp>\n  \
         </dm:person>\n</presence>\n",
    );
    s
}

/// Reads every event with namespaces resolved, attribute values unescaped and text decoded.
fn quick_xml_read(bytes: &[u8]) -> usize {
    let mut r = quick_xml::NsReader::from_reader(bytes);
    let mut n = 0;
    loop {
        match r.read_resolved_event() {
            Ok((_, Event::Eof)) | Err(_) => return n,
            Ok((_, Event::Start(e) | Event::Empty(e))) => {
                for a in e.attributes().flatten() {
                    n += a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_or(0, |v| v.len());
                }
                n += 1;
            }
            Ok((_, Event::Text(t))) => n += t.decode().map_or(0, |v| v.len()),
            Ok(_) => n += 1,
        }
    }
}

const DOCS: [&str; 2] = ["rfc4480", "large-100"];

fn bench(c: &mut Criterion) {
    let large = large(100);
    for (name, text) in DOCS.iter().zip([RPID_EXAMPLE, large.as_str()]) {
        let parsed = Presence::parse(text.as_bytes()).expect("the bench document reads");
        assert!(quick_xml_read(text.as_bytes()) > 10);
        let mut g = c.benchmark_group("pidf_parse");
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("simple-pidf", name), text, |b, t| {
            b.iter(|| Presence::parse(black_box(t.as_bytes())).map(|p| p.tuples.len()));
        });
        g.bench_with_input(BenchmarkId::new("simple-patch-tree", name), text, |b, t| {
            b.iter(|| simple_patch::Document::parse(black_box(t.as_bytes())).map(|d| d.capacity()));
        });
        g.bench_with_input(BenchmarkId::new("quick-xml-ns", name), text, |b, t| {
            b.iter(|| quick_xml_read(black_box(t.as_bytes())));
        });
        g.finish();
        let mut g = c.benchmark_group("pidf_write");
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("simple-pidf", name), &parsed, |b, p| {
            b.iter(|| black_box(p).to_vec().len());
        });
        g.finish();
    }

    // A notifier's diff after one service changed, and the watcher applying it.
    let a = Presence::parse(large.as_bytes()).expect("reads");
    let mut b = a.clone();
    b.tuples[50].status.basic = Some(Basic::Closed);
    let mut g = c.benchmark_group("pidf_partial");
    g.bench_function("notify-one-change-large-100", |bch| {
        bch.iter_batched(
            || {
                let mut n = PartialNotifier::new();
                n.notify(&a);
                n
            },
            |mut n| n.notify(black_box(&b)).len(),
            criterion::BatchSize::LargeInput,
        );
    });
    let mut n = PartialNotifier::new();
    let full = n.notify(&a);
    let diff = n.notify(&b);
    let mut view = PresenceView::new();
    view.handle_body(&full).expect("full state applies");
    assert_eq!(view.poll_event(), Some(Update::Replaced));
    g.bench_function("view-apply-one-change-large-100", |bch| {
        bch.iter_batched(
            || view.clone(),
            |mut v| {
                v.handle_body(black_box(&diff)).expect("the diff applies");
                assert_eq!(v.poll_event(), Some(Update::Patched));
                v
            },
            criterion::BatchSize::LargeInput,
        );
    });
    g.finish();

    // Composition of three publishers' documents of the large view.
    let sources = [&a, &b, &a];
    let mut g = c.benchmark_group("pidf_compose");
    g.bench_function("3x-large-100", |bch| {
        bch.iter(|| compose("pres:someone@example.com", black_box(&sources)).tuples.len());
    });
    g.finish();
}

criterion_group!(benches, bench);

mod support;
use support::mean_ns;

fn main() {
    if !support::run(benches) {
        return;
    }
    println!(
        "\nparse ratios (quick-xml or tree mean time / simple-pidf mean time; 1.0 = as fast):"
    );
    for doc in DOCS {
        let Some(ours) = mean_ns(&["pidf_parse", "simple-pidf", doc]) else { continue };
        for peer in ["quick-xml-ns", "simple-patch-tree"] {
            if let Some(p) = mean_ns(&["pidf_parse", peer, doc]) {
                println!(
                    "  {doc:10} {peer:18} {:9.1} us vs {:9.1} us: {:5.2}x",
                    p / 1e3,
                    ours / 1e3,
                    p / ours
                );
            }
        }
        if let Some(w) = mean_ns(&["pidf_write", "simple-pidf", doc]) {
            println!("  {doc:10} write              {:9.1} us", w / 1e3);
        }
    }
}
