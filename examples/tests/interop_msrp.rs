//! MSRP with real relays: runs interop/msrp/run.sh with the binaries of this build — a chat
//! and a 5 MB file through Kamailio's msrp module (AUTH, Use-Path, SEND relaying), and through simple-server's
//! relay a chat with delivery reports, a refused password and a 100 MB file moved with one
//! cut and resume.
//!
//! Kamailio missing skips its checks, unless CI requires it (`SIMPLE_RS_REQUIRE_KAMAILIO`).
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn msrp_through_kamailio_and_our_relay() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = Path::new(env!("CARGO_BIN_EXE_simple-server")).parent().unwrap().to_owned();
    let out =
        Command::new("bash").arg(root.join("interop/msrp/run.sh")).arg(&bin).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "MSRP interop run failed");
    let kamailio = !text.contains("Kamailio checks skipped");
    if std::env::var_os("SIMPLE_RS_REQUIRE_KAMAILIO").is_some() {
        assert!(kamailio, "Kamailio is required here");
    }
    let passed = text.lines().filter(|l| l.starts_with("[PASS]")).count();
    assert_eq!(passed, 11 + 6 * usize::from(kamailio), "every check ran (kamailio {kamailio})");
    assert!(text.contains(" passed, 0 failed"));
}
