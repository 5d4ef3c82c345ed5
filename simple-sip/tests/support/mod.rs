//! Helpers shared by the integration tests that run the crate's examples.

use std::path::PathBuf;
use std::process::Command;

/// Builds the example `name` (`cargo test --all-targets` builds examples as test harnesses,
/// not as the program) into this test's target directory and returns its path.
pub(crate) fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("the test knows its path");
    let profile_dir =
        exe.parent().and_then(std::path::Path::parent).expect("target/<profile>").to_path_buf();
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["build", "-q", "-p", "simple-sip", "--example", name]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cargo.arg("--release");
    }
    if let Some(target) = profile_dir.parent() {
        cargo.env("CARGO_TARGET_DIR", target);
    }
    assert!(cargo.status().is_ok_and(|s| s.success()), "building the {name} example");
    let path = profile_dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} was built", path.display());
    path
}
