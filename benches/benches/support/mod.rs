//! What the benches share: reading criterion's own estimates back to print ratios.

use std::path::PathBuf;

/// The mean time in ns of a finished benchmark, from `target/criterion/<parts...>/new/estimates.json`.
pub(crate) fn mean_ns(parts: &[&str]) -> Option<f64> {
    let mut path = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("criterion");
    for p in parts {
        path.push(p);
    }
    let json = std::fs::read_to_string(path.join("new/estimates.json")).ok()?;
    let mean = json.split("\"mean\"").nth(1)?;
    let pe = mean.split("\"point_estimate\":").nth(1)?;
    pe.split([',', '}']).next()?.trim().parse().ok()
}

/// Whether this run timed anything (`cargo test` runs each bench once without `--bench`).
pub(crate) fn timed() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Runs the criterion group, prints criterion's summary, and says whether the run was timed
/// (so ratios can be printed from fresh estimates).
pub(crate) fn run(benches: fn()) -> bool {
    benches();
    criterion::Criterion::default().configure_from_args().final_summary();
    timed()
}
