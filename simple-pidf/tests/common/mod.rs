//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::{Path, PathBuf};
use std::process::Command;

use simple_patch::{Document, NodeKind};

pub(crate) fn vector(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(rel)).unwrap()
}

/// The document with white-space-only text removed and other text trimmed: what a presence
/// document means, independent of indentation.
pub(crate) fn normalized(xml: &[u8]) -> Document {
    let mut doc = Document::parse(xml).unwrap();
    let nodes: Vec<_> = doc.descendants(Document::ROOT).collect();
    for n in nodes {
        let trimmed = match doc.kind(n) {
            NodeKind::Text(t) => Some(t.trim().to_owned()),
            NodeKind::Comment(_) | NodeKind::ProcessingInstruction { .. } => Some(String::new()),
            NodeKind::Element(_) | NodeKind::Document => None,
        };
        match trimmed {
            Some(t) if t.is_empty() => doc.remove(n),
            Some(t) => *doc.kind_mut(n) = NodeKind::Text(t),
            None => {}
        }
    }
    doc
}

/// Whether xmllint is here; CI sets `SIMPLE_RS_REQUIRE_XMLLINT` so that it must be.
pub(crate) fn xmllint() -> bool {
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

/// Validates each document against the presence schemas; returns xmllint's complaints for
/// the ones that fail.
pub(crate) fn validate(docs: &[(String, Vec<u8>)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("simple-pidf-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let schema: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/xsd/pidf-all.xsd");
    let mut failures = Vec::new();
    for (i, (name, xml)) in docs.iter().enumerate() {
        let f = dir.join(format!("{i}.xml"));
        std::fs::write(&f, xml).unwrap();
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .arg("--schema")
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
    let _ = std::fs::remove_dir_all(&dir);
    failures
}
