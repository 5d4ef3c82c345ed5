//! The reference server with real clients: runs interop/server/run.sh with the binaries of
//! this build — PJSIP (pjsua2), baresip and linphonec registered with simple-server,
//! publishing, watching each other and exchanging MESSAGE through it; simple-cli against
//! Kamailio.
//!
//! A peer that is missing is skipped, unless CI requires it (`SIMPLE_RS_REQUIRE_KAMAILIO`,
//! which requires PJSIP too, `SIMPLE_RS_REQUIRE_BARESIP`, `SIMPLE_RS_REQUIRE_LINPHONE`).
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn real_clients_through_the_reference_server() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = Path::new(env!("CARGO_BIN_EXE_simple-server")).parent().unwrap().to_owned();
    let out =
        Command::new("bash").arg(root.join("interop/server/run.sh")).arg(&bin).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "server interop run failed");
    assert!(text.contains(" passed, 0 failed"));
    let passed = text.lines().filter(|l| l.starts_with("[PASS]")).count();
    let ran = |what: &str| !text.contains(&format!("{what} checks skipped"));
    let (pj, bs, lp, kam) = (ran("PJSIP"), ran("baresip"), ran("linphonec"), ran("the Kamailio"));
    // the checks each peer (and each pair) adds
    let mut expected = 3 + 7 * usize::from(kam);
    expected += usize::from(pj) * 9 + usize::from(bs) * 3 + usize::from(lp) * 3;
    expected += usize::from(pj && bs) * 2 + usize::from(pj && lp) * 9 + usize::from(bs && lp) * 3;
    assert_eq!(
        passed, expected,
        "every check ran (pjsip {pj}, baresip {bs}, linphonec {lp}, kamailio {kam})"
    );
}
