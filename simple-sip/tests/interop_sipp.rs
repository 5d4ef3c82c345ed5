//! Interop of the Endpoint with SIPp and Kamailio on loopback: runs interop/sip-endpoint/run.sh
//! with the `sip_ua` example (SIPp UAC and UAS scenarios including a lost response and
//! request retransmissions; REGISTER with digest against Kamailio's registrar).
//!
//! Skipped when SIPp or Kamailio is missing, unless `SIMPLE_RS_REQUIRE_SIPP` is set (CI sets it
//! after installing both).
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::PathBuf;
use std::process::Command;

mod support;

#[test]
fn sipp_and_kamailio_against_the_endpoint() {
    let required = std::env::var_os("SIMPLE_RS_REQUIRE_SIPP").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let sipp = Command::new("sipp").arg("-v").output().is_ok();
    let kamailio = Command::new("kamailio").arg("-v").output().is_ok_and(|o| o.status.success());
    if !(sipp && kamailio) {
        assert!(!required, "sipp {sipp}, kamailio {kamailio}");
        eprintln!("SIPp or Kamailio is not installed: interop run skipped");
        return;
    }
    let ua = support::example("sip_ua");
    let out = Command::new("bash")
        .arg(root.join("interop/sip-endpoint/run.sh"))
        .arg(&ua)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "interop run failed");
    assert!(text.contains("\n0 failed"));
    assert_eq!(text.lines().filter(|l| l.starts_with("ok ")).count(), 12, "every check ran");
}
