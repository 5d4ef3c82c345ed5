//! Helpers: the RFC examples as requests, a server at the examples' XCAP root, xmllint.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    reason = "test helpers: each test binary uses a part, and a failure is a panic"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use http::Request;
use simple_xcap::{MemoryStorage, ServerConfig, XcapServer};

pub fn vector(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// An `.http` example as a request (its body as the file has it, trailing newline trimmed).
pub fn request(name: &str) -> Request<Bytes> {
    // the examples are stored with CRLF line ends
    let raw = String::from_utf8(vector(name)).unwrap().replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let start = lines.next().unwrap();
    let mut parts = start.split(' ');
    let method = parts.next().unwrap();
    let target = parts.next().unwrap();
    let mut b = Request::builder().method(method).uri(target);
    for l in lines {
        if let Some((n, v)) = l.split_once(':').filter(|_| !l.starts_with("...")) {
            b = b.header(n.trim(), v.trim());
        }
    }
    b.body(Bytes::from(body.trim_end_matches('\n').to_owned())).unwrap()
}

/// The examples' XCAP root is `http://xcap.example.com/`.
pub fn server() -> XcapServer {
    XcapServer::new(ServerConfig::new("http://xcap.example.com/"), MemoryStorage::new(), 1)
}

pub fn put(uri: &str, ctype: &str, body: &str) -> Request<Bytes> {
    Request::put(uri).header("Content-Type", ctype).body(Bytes::from(body.to_owned())).unwrap()
}

pub fn get(uri: &str) -> Request<Bytes> {
    Request::get(uri).body(Bytes::new()).unwrap()
}

pub fn delete(uri: &str) -> Request<Bytes> {
    Request::delete(uri).body(Bytes::new()).unwrap()
}

pub fn xmllint() -> bool {
    let found = Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("SIMPLE_RS_REQUIRE_XMLLINT").is_none(),
            "xmllint is required (apt-get install libxml2-utils)"
        );
        eprintln!("xmllint not found: schema validation skipped");
    }
    found
}

/// Validates each document against the RFC schemas (tests/vectors/xsd/all.xsd); xmllint's
/// complaints for those that fail.
pub fn validate(docs: &[(String, Vec<u8>)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("simple-xcap-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let schema: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/xsd/all.xsd");
    let mut failures = Vec::new();
    for (i, (name, xml)) in docs.iter().enumerate() {
        let f = dir.join(format!("{i}.xml"));
        std::fs::write(&f, xml).unwrap();
        let out = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(&schema)
            .arg(&f)
            .output()
            .unwrap();
        if !out.status.success() {
            failures.push(format!(
                "{name}: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(xml)
            ));
        }
    }
    failures
}
