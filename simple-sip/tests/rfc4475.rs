//! Every message of RFC 4475 (its Appendix A archive, in `tests/vectors/rfc4475`) through the
//! `sip_check` example, which feeds it to an `Endpoint` as a datagram (and, with `--tcp`, as a
//! stream) and prints what the endpoint did; each verdict must be the one the RFC names, as
//! written in the manifest.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

fn sip_check() -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| support::example("sip_check")).clone()
}

/// The directory `tests/vectors/<name>` and the rows of its manifest, split on tabs.
fn manifest(name: &str) -> (PathBuf, Vec<Vec<String>>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(name);
    let text = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    let rows = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    (dir, rows)
}

fn vectors() -> (PathBuf, Vec<(String, String, String, String)>) {
    let (dir, rows) = manifest("rfc4475");
    let rows = rows
        .into_iter()
        .map(|f| (f[0].clone(), f[2].clone(), f[3].clone(), f[4].clone()))
        .collect();
    (dir, rows)
}

fn run(extra: &[&str]) -> Vec<(String, String)> {
    let (dir, rows) = vectors();
    let out = Command::new(sip_check())
        .args(extra)
        .args(rows.iter().map(|(f, ..)| dir.join(f)))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (path, verdict) = l.split_once('\t').unwrap();
            (
                Path::new(path).file_name().unwrap().to_string_lossy().into_owned(),
                verdict.to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_rfc4475_message_gets_the_rfcs_verdict_over_udp() {
    let (_, rows) = vectors();
    assert_eq!(rows.len(), 50, "the archive holds 49 messages of section 3 and test.dat");
    let got = run(&[]);
    assert_eq!(got.len(), rows.len());
    let wrong: Vec<String> = rows
        .iter()
        .zip(&got)
        .filter(|((_, _, want, _), (_, verdict))| verdict != want)
        .map(|((f, sec, want, _), (_, verdict))| {
            format!("{f} (§{sec}): want {want}, got {verdict}")
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    // the classes the RFC has, all present
    for class in ["accept", "drop", "400", "405", "406", "415", "416", "420", "505"] {
        let n = got.iter().filter(|(_, v)| v == class).count();
        assert!(n > 0 || class == "405", "no message answered {class}");
    }
}

#[test]
fn every_rfc4475_message_framed_on_a_stream() {
    let (_, rows) = vectors();
    let got = run(&["--tcp"]);
    let wrong: Vec<String> = rows
        .iter()
        .zip(&got)
        .filter(|((.., want), (_, verdict))| verdict != want)
        .map(|((f, sec, _, want), (_, verdict))| {
            format!("{f} (§{sec}): want {want}, got {verdict}")
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_ua_with_a_fixed_method_set_answers_405_and_501() {
    let (dir, _) = vectors();
    let out = Command::new(sip_check())
        .args(["--methods", "INVITE,OPTIONS"])
        .arg(dir.join("intmeth.dat"))
        .arg(dir.join("mismatch02.dat"))
        .arg(dir.join("cparam01.dat"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let verdicts: Vec<&str> = text.lines().map(|l| l.split('\t').nth(1).unwrap()).collect();
    // unknown methods: 501 (RFC 4475 §3.1.2.18 prefers it over 400); REGISTER: known, 405
    assert_eq!(verdicts, ["501", "501", "405"]);
}

/// IPv6 references (cases of RFC 5118 §4, constructed: the RFC text is not in the shared
/// vectors) through the same `sip_check`.
#[test]
fn rfc5118_ipv6_cases_get_their_verdicts() {
    let (dir, rows) = manifest("rfc5118");
    let rows: Vec<(String, String)> =
        rows.into_iter().map(|f| (f[0].clone(), f[3].clone())).collect();
    assert_eq!(rows.len(), 12);
    let out =
        Command::new(sip_check()).args(rows.iter().map(|(f, _)| dir.join(f))).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for ((file, want), line) in rows.iter().zip(text.lines()) {
        assert_eq!(line.split('\t').nth(1), Some(want.as_str()), "{file}");
    }
}
