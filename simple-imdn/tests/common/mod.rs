//! Shared by the integration tests: schema validation with xmllint.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::Path;
use std::process::Command;

/// Whether xmllint is here (required when `SIMPLE_RS_REQUIRE_XMLLINT` is set, as CI does).
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

/// Validates each document against `schema` (a file of `tests/vectors/xsd`: `.rng` as
/// RELAX NG, otherwise XML Schema); returns xmllint's complaints for those that fail.
pub fn validate(schema: &str, docs: &[(String, Vec<u8>)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("simple-imdn-{}-{}", std::process::id(), schema));
    std::fs::create_dir_all(&dir).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/xsd").join(schema);
    let flag = if schema.ends_with(".rng") { "--relaxng" } else { "--schema" };
    let mut failures = Vec::new();
    for (i, (name, xml)) in docs.iter().enumerate() {
        let f = dir.join(format!("{i}.xml"));
        std::fs::write(&f, xml).unwrap();
        let out = Command::new("xmllint")
            .args(["--noout", "--nonet", flag])
            .arg(&path)
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
