//! The short versions of the load bench and the soak CI runs (`benches/load/run.sh --quick`): the same SIPp
//! presence scenario against simple-server and Kamailio at a low rate. It asserts that every
//! call of the scenario completes against both servers (correctness), not any speed; the
//! figures come from the full run (`benches/load/run.sh`).
//!
//! Skipped when SIPp or Kamailio is missing, unless CI requires them
//! (`SIMPLE_RS_REQUIRE_SIPP`, `SIMPLE_RS_REQUIRE_KAMAILIO`).
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn have(bin: &str, arg: &str) -> bool {
    Command::new(bin).arg(arg).output().is_ok()
}

/// Runs `script --quick TARGET_DIR`; what it printed, once it succeeded.
fn quick(script: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = Path::new(env!("CARGO_BIN_EXE_simple-server")).parent().unwrap().to_owned();
    let out =
        Command::new("bash").arg(root.join(script)).arg("--quick").arg(&bin).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed");
    text
}

#[test]
fn the_presence_load_scenario_completes_against_both_servers() {
    let required = std::env::var_os("SIMPLE_RS_REQUIRE_SIPP").is_some()
        || std::env::var_os("SIMPLE_RS_REQUIRE_KAMAILIO").is_some();
    if !have("sipp", "-v") || !have("kamailio", "-v") {
        assert!(!required, "sipp and kamailio are required");
        eprintln!("sipp or kamailio missing: load scenario skipped");
        return;
    }
    let text = quick("benches/load/run.sh");
    for server in ["simple-server", "kamailio"] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{server} at ")))
            .unwrap_or_else(|| panic!("no round against {server}"));
        assert!(line.contains(", 0 failed"), "{line}");
        let (done, of) = line
            .split(": ")
            .nth(1)
            .and_then(|r| r.split(" calls completed").next())
            .and_then(|r| r.split_once(" of "))
            .unwrap();
        assert_eq!(done, of, "{line}");
    }
    // every call left its subscription active at simple-server
    assert!(text.contains("active subscriptions"), "{text}");
}

/// The short soak (`benches/load/soak.sh --quick`): presence load running, `kill -9` of the
/// server, a restart on its store; every call SIPp completed kept its publication and
/// subscription, every stored subscription got a NOTIFY in its dialog with the next CSeq and
/// the stored state, and the restarted server takes load again.
#[test]
fn kill_9_under_load_loses_nothing() {
    let required = std::env::var_os("SIMPLE_RS_REQUIRE_SIPP").is_some();
    if !have("sipp", "-v") {
        assert!(!required, "sipp is required");
        eprintln!("sipp missing: soak skipped");
        return;
    }
    let text = quick("benches/load/soak.sh");
    assert!(text.contains("SOAK PASSED") && text.contains("nothing acknowledged was lost"));
    assert!(
        text.contains(
            " 0 with a CSeq other than the next, 0 with a state other than the stored one"
        )
    );
}
