//! Interop with Kamailio's presence server on loopback: runs interop/pidf-kamailio/run.sh
//! (documents we write are accepted, Kamailio's notifications read, services agree with our
//! composition, every RFC example round-trips through it), and with PJSIP through it (each
//! reads what the other publishes).
//!
//! Needs Kamailio with its presence modules and python3 (run.sh installs PJSIP's
//! `pjsua2-python` wheel from PyPI into a venv); the test builds the `pidf_tool` example
//! itself. Skipped when Kamailio is missing, unless
//! `SIMPLE_RS_REQUIRE_KAMAILIO` is set (CI sets it after installing Kamailio).
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::PathBuf;
use std::process::Command;

#[test]
fn kamailio_presence_server() {
    let required = std::env::var_os("SIMPLE_RS_REQUIRE_KAMAILIO").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let kamailio = Command::new("kamailio").arg("-v").output().is_ok_and(|o| o.status.success());
    // where the presence modules are is asked of the system (interop/kamailio-modules.sh)
    let modules = Command::new("bash")
        .arg(root.join("interop/kamailio-modules.sh"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !(kamailio && modules) {
        assert!(!required, "kamailio {kamailio}, presence modules {modules}");
        eprintln!("Kamailio with its presence modules is not installed: interop run skipped");
        return;
    }
    let tool = pidf_tool().expect("the pidf_tool example builds");
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

/// Builds the `pidf_tool` example (`cargo test --all-targets` builds examples as test
/// harnesses, not as the tool) into this test's target directory and returns its path.
fn pidf_tool() -> Option<PathBuf> {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/pidf_tool
    let profile_dir = std::env::current_exe().ok()?.parent()?.parent()?.to_path_buf();
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["build", "-q", "-p", "simple-pidf", "--example", "pidf_tool"]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cargo.arg("--release");
    }
    if let Some(target) = profile_dir.parent() {
        cargo.env("CARGO_TARGET_DIR", target);
    }
    let built = cargo.status().is_ok_and(|s| s.success());
    let tool = profile_dir.join("examples").join("pidf_tool");
    (built && tool.exists()).then_some(tool)
}
