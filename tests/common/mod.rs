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

/// The path of a bundled scenario, `scenarios/NAME`.
pub fn scenario_path(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

/// The JSON document `schedlab ARGS` prints (it must succeed), without
/// its wall-clock fields.
pub fn run_json(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("wall_seconds");
    o.remove("events_per_second");
    v
}

/// Erlang C's mean response of M/M/c, `C(c, a) / (cμ − λ) + 1/μ` with
/// `a = λ/μ` (Gross & Harris, *Fundamentals of Queueing Theory*, §2.3),
/// computed here from its sums.
pub fn erlang_c_response(lambda: f64, mu: f64, c: u32) -> f64 {
    let a = lambda / mu;
    let rho = a / f64::from(c);
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - rho);
    last / (sum + last) / (f64::from(c) * mu - lambda) + 1.0 / mu
}

pub mod real;
