//! XCAP element GET and PUT on a 10 000-entry resource-lists document (RFC 4825 §7.3,
//! §7.4): simple-xcap's server core per request in-process, and over HTTP/1.1 on loopback
//! (keep-alive, one client) for both simple-xcap (a minimal blocking HTTP server around
//! `XcapServer::handle`) and Kamailio's `xcap_server` (interop/xcap/start.sh) in the same
//! run. Prints the ratios: Kamailio over HTTP against us in-process and against us over
//! HTTP. Without Kamailio the Kamailio rows are skipped (SIMPLE_RS_REQUIRE_KAMAILIO makes
//! that an error).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a bench: a failure is a panic")]

use core::fmt::Write as _;
use core::time::Duration;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, criterion_group};
use simple_xcap::{MemoryStorage, ServerConfig, XcapServer};

const ENTRIES: usize = 10_000;
const KAMAILIO_PORT: u16 = 5371;
const USER: &str = "sip:bench@example.com";
const DOC: &str = "/xcap-root/resource-lists/users/sip:bench@example.com/index";

/// The document: one list of `ENTRIES` entries with display names.
fn document() -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n  <list name=\"friends\">\n",
    );
    for e in 0..ENTRIES {
        let _ = writeln!(
            s,
            "    <entry uri=\"sip:user{e}@example.com\">\n      <display-name>User {e}</display-name>\n    </entry>"
        );
    }
    s.push_str("  </list>\n</resource-lists>\n");
    s
}

/// The element in the middle of the list, by its `uri`.
fn element_path() -> String {
    format!(
        "{DOC}/~~/resource-lists/list%5b@name=%22friends%22%5d/entry%5b@uri=%22sip:user{}@example.com%22%5d",
        ENTRIES / 2
    )
}

fn element(i: u64) -> String {
    format!(
        "<entry uri=\"sip:user{}@example.com\"><display-name>Renamed {i}</display-name></entry>",
        ENTRIES / 2
    )
}

fn request(method: &str, path: &str, ctype: Option<&str>, body: &str) -> http::Request<Bytes> {
    let mut b = http::Request::builder().method(method).uri(path);
    if let Some(t) = ctype {
        b = b.header("Content-Type", t);
    }
    b.body(Bytes::from(body.to_owned())).unwrap()
}

fn server() -> XcapServer {
    let mut s =
        XcapServer::new(ServerConfig::new("http://127.0.0.1/xcap-root"), MemoryStorage::new(), 1);
    let r = s.handle(
        &request("PUT", DOC, Some("application/resource-lists+xml"), &document()),
        Some(USER),
    );
    assert_eq!(r.status(), 201);
    s
}

/// Reads one HTTP/1.1 message head and its Content-Length body from `s` into `buf`
/// (keeping what follows); returns (head, body).
fn read_message(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 65536];
    let end = loop {
        if let Some(p) = memchr::memmem::find(buf, b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        })
        .unwrap_or(0);
    while buf.len() < end + len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[end..end + len].to_vec();
    buf.drain(..end + len);
    Some((head, body))
}

/// Serves `server` over HTTP/1.1 with keep-alive on an ephemeral loopback port, one
/// connection at a time, basic-free: every request is `USER`'s.
fn serve(mut server: XcapServer) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            let _ = s.set_nodelay(true);
            let mut buf = Vec::new();
            while let Some((head, body)) = read_message(&mut s, &mut buf) {
                let mut headers = [httparse::EMPTY_HEADER; 32];
                let mut req = httparse::Request::new(&mut headers);
                if req.parse(head.as_bytes()).is_err() {
                    break;
                }
                let mut b = http::Request::builder()
                    .method(req.method.unwrap_or("GET"))
                    .uri(req.path.unwrap_or("/"));
                for h in req.headers.iter() {
                    b = b.header(h.name, h.value);
                }
                let Ok(request) = b.body(Bytes::from(body)) else { break };
                let response = server.handle(&request, Some(USER));
                while server.poll_change().is_some() {}
                let mut out = format!("HTTP/1.1 {}\r\n", response.status());
                for (k, v) in response.headers() {
                    let _ = write!(out, "{k}: {}\r\n", v.to_str().unwrap_or(""));
                }
                let _ = write!(out, "Content-Length: {}\r\n\r\n", response.body().len());
                let mut bytes = out.into_bytes();
                bytes.extend_from_slice(response.body());
                if s.write_all(&bytes).is_err() {
                    break;
                }
            }
        }
    });
    port
}

/// One keep-alive client connection.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn connect(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_nodelay(true).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Self { stream, buf: Vec::new() }
    }

    /// Sends a request; the status and body of the answer.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        ctype: Option<&str>,
        body: &str,
    ) -> (u16, Vec<u8>) {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if let Some(t) = ctype {
            let _ = write!(head, "Content-Type: {t}\r\n");
        }
        let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        self.stream.write_all(&bytes).unwrap();
        let (head, body) = read_message(&mut self.stream, &mut self.buf).expect("an answer");
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, body)
    }
}

/// Starts Kamailio's xcap_server on `KAMAILIO_PORT`, if it is installed.
fn kamailio() -> bool {
    let required = std::env::var_os("SIMPLE_RS_REQUIRE_KAMAILIO").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let installed = Command::new("kamailio").arg("-v").output().is_ok_and(|o| o.status.success());
    if !installed {
        assert!(!required, "Kamailio is required (SIMPLE_RS_REQUIRE_KAMAILIO)");
        eprintln!("Kamailio not installed: its rows are skipped");
        return false;
    }
    let run = root.join("target/xcap-bench-kamailio");
    let ok = Command::new("bash")
        .arg(root.join("interop/xcap/start.sh"))
        .env("KAM_RUN", &run)
        .env("KAM_PORT", "5370")
        .env("KAM_XCAP_PORT", KAMAILIO_PORT.to_string())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok || !required, "Kamailio did not start");
    ok
}

fn bench(c: &mut Criterion) {
    let path = element_path();
    let mut g = c.benchmark_group("xcap_element");
    g.sample_size(20);

    // in-process: the server core alone
    let mut ours = server();
    let get = request("GET", &path, None, "");
    let got = ours.handle(&get, Some(USER));
    assert_eq!(got.status(), 200);
    assert!(got.body().starts_with(b"<entry"), "{got:?}");
    g.bench_function(BenchmarkId::new("get", "simple-xcap-in-process"), |b| {
        b.iter(|| ours.handle(&get, Some(USER)).body().len());
    });
    let mut i = 0u64;
    g.bench_function(BenchmarkId::new("put", "simple-xcap-in-process"), |b| {
        b.iter(|| {
            i += 1;
            let put = request("PUT", &path, Some("application/xcap-el+xml"), &element(i));
            let r = ours.handle(&put, Some(USER));
            debug_assert_eq!(r.status(), 200);
            while ours.poll_change().is_some() {}
            r.status()
        });
    });

    // over HTTP: simple-xcap and Kamailio, the same requests on one keep-alive connection
    let mut targets = vec![("simple-xcap-http", serve(server()))];
    if kamailio() {
        targets.push(("kamailio-http", KAMAILIO_PORT));
    }
    for (name, port) in targets {
        let mut client = Client::connect(port);
        let (status, _) =
            client.send("PUT", DOC, Some("application/resource-lists+xml"), &document());
        assert!(status == 200 || status == 201, "{name}: PUT of the document: {status}");
        let (status, body) = client.send("GET", &path, None, "");
        assert_eq!(status, 200, "{name}: element GET");
        assert!(body.starts_with(b"<entry"), "{name}: {}", String::from_utf8_lossy(&body));
        let (status, _) = client.send("PUT", &path, Some("application/xcap-el+xml"), &element(0));
        assert!(status == 200 || status == 201, "{name}: element PUT: {status}");
        let (_, body) = client.send("GET", &path, None, "");
        assert!(
            String::from_utf8_lossy(&body).contains("Renamed 0"),
            "{name}: the PUT took effect"
        );
        g.bench_function(BenchmarkId::new("get", name), |b| {
            b.iter(|| client.send("GET", &path, None, "").0);
        });
        let mut i = 0u64;
        g.bench_function(BenchmarkId::new("put", name), |b| {
            b.iter(|| {
                i += 1;
                client.send("PUT", &path, Some("application/xcap-el+xml"), &element(i)).0
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);

mod support;
use support::mean_ns;

/// Stops the Kamailio this run started, if any.
fn stop_kamailio() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pid = root.join("target/xcap-bench-kamailio/kamailio.pid");
    if pid.exists() {
        let _ = Command::new("bash").arg(root.join("interop/kamailio-stop.sh")).arg(pid).status();
    }
}

fn main() {
    let timed = support::run(benches);
    stop_kamailio();
    if !timed {
        return;
    }
    println!("\nelement operations on a {ENTRIES}-entry list (peer mean time / ours):");
    for op in ["get", "put"] {
        let kam = mean_ns(&["xcap_element", op, "kamailio-http"]);
        for ours in ["simple-xcap-in-process", "simple-xcap-http"] {
            if let (Some(k), Some(o)) = (kam, mean_ns(&["xcap_element", op, ours])) {
                println!(
                    "  {op}  kamailio-http {:9.1} µs vs {ours:23} {:9.1} µs: {:7.1}x",
                    k / 1e3,
                    o / 1e3,
                    k / o
                );
            }
        }
    }
}
