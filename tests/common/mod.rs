//! Helpers shared by the integration tests.
// Each test binary uses its own part of them.
#![allow(dead_code)]

use assert_cmd::Command;

/// The stderr of a command refused as bad input: exit 2, one line.
pub fn one_line_error(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

/// Runs `schedlab run bad.toml --out DIR` on `text` and checks the refusal:
/// exit code 2, one line naming the file, `field` and `value`, nothing written.
pub fn refused(text: &str, field: &str, value: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let err = one_line_error(&out);
    assert!(
        err.contains("bad.toml") && err.contains(field) && err.contains(value),
        "expected {field} and {value} in: {err}"
    );
    assert!(!out_dir.exists());
}

pub mod real;
