//! Interop of the presence roles on loopback: runs interop/presence/run.sh with the
//! `sip_presence` example — our Publisher and Subscriber (presence and presence.winfo) against
//! Kamailio's presence server; PJSIP (pjsua2) and baresip publishing to and watching through
//! our presence agent, our watcher approved while pending.
//!
//! Skipped when Kamailio is missing, unless `SIMPLE_RS_REQUIRE_KAMAILIO` is set (CI sets it
//! after installing Kamailio; run.sh installs pjsua2 from PyPI into a venv, and the
//! PJSIP checks are required then too; `SIMPLE_RS_REQUIRE_BARESIP`, set by CI after installing
//! baresip, makes the baresip checks required).
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::PathBuf;
use std::process::Command;

mod support;

#[test]
fn kamailio_and_pjsip_against_the_presence_roles() {
    let required = std::env::var_os("SIMPLE_RS_REQUIRE_KAMAILIO").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let kamailio = Command::new("kamailio").arg("-v").output().is_ok_and(|o| o.status.success());
    if !kamailio {
        assert!(!required, "kamailio is required");
        eprintln!("Kamailio is not installed: presence interop run skipped");
        return;
    }
    let bin = support::example("sip_presence");
    let out =
        Command::new("bash").arg(root.join("interop/presence/run.sh")).arg(&bin).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "presence interop run failed");
    assert!(text.contains(" passed, 0 failed"));
    let passed = text.lines().filter(|l| l.starts_with("[PASS]")).count();
    let pjsip = !text.contains("PJSIP checks skipped");
    let baresip = !text.contains("baresip checks skipped");
    let expected = 15 + if pjsip { 6 } else { 0 } + if baresip { 7 } else { 0 };
    assert_eq!(passed, expected, "every check ran");
}
