//! Interop with Kamailio's presence server on loopback: runs interop/pidf-kamailio/run.sh
//! (documents we write are accepted, Kamailio's notifications read, services agree with our
//! composition, every RFC example round-trips through it), and with PJSIP through it (each
//! reads what the other publishes).
//!
//! Needs Kamailio with its presence modules, python3 (run.sh installs PJSIP's `pjsua2-python`
//! wheel from PyPI into a venv), and the `pidf_tool` example built
//! (`cargo test --all-targets` builds it). Skipped when they are missing, unless
//! `SIMPLE_RS_REQUIRE_KAMAILIO` is set (CI sets it after installing Kamailio).
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::PathBuf;
use std::process::Command;

#[test]
fn kamailio_presence_server() {
    let required = std::env::var_os("SIMPLE_RS_REQUIRE_KAMAILIO").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let tool = pidf_tool();
    let kamailio = Command::new("kamailio").arg("-v").output().is_ok_and(|o| o.status.success());
    let modules =
        std::path::Path::new("/usr/lib/x86_64-linux-gnu/kamailio/modules/presence_xml.so").exists();
    let Some(tool) = tool.clone().filter(|_| kamailio && modules) else {
        assert!(!required, "kamailio {kamailio}, presence modules {modules}, pidf_tool {tool:?}");
        eprintln!("Kamailio or the pidf_tool example missing: interop run skipped");
        return;
    };
    let out = Command::new("bash")
        .arg(root.join("interop/pidf-kamailio/run.sh"))
        .env("PIDF_TOOL", &tool)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "interop run failed");
    assert!(text.contains(" passed, 0 failed"));
}

/// The `pidf_tool` example next to this test's directory: `target/<profile>/examples/`, where
/// `cargo test --all-targets` leaves it as `pidf_tool-<hash>` (and `cargo build --example` as
/// `pidf_tool`); the newest one that answers as the tool.
fn pidf_tool() -> Option<PathBuf> {
    let dir = std::env::current_exe().ok()?.parent()?.parent()?.join("examples");
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n == "pidf_tool" || (n.starts_with("pidf_tool-") && !n.contains('.'))
            })
        })
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    found.sort();
    found.into_iter().rev().map(|(_, p)| p).find(|p| {
        Command::new(p)
            .args(["sample", "sip:a@example.com", "0"])
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"<?xml"))
    })
}
