//! `schedlab size`: the capacity search finds the Erlang C answer for
//! M/M/c targets, per class and for speed, prints the documented JSON,
//! and refuses bad input (exit 2, one line) and targets nothing meets
//! (exit 1).
//!
//! The targets sit well between the exact values of the answer and of
//! the value below it, so that the 95% upper bound's decision is not a
//! coin toss at the fixed seed.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// M/M/c with a = λ/μ = 4 Erlangs: Erlang C at c = 6, 7, 8 is 0.285, 0.135,
/// 0.059 and the mean wait 0.142, 0.045, 0.015.
const MMC: &str = r#"
name = "mmc"
seed = 11
replications = 10
warmup = { jobs = 2000 }
horizon = { jobs = 20000 }

[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 1.5 }
service = { dist = "exponential", mean = 1.0 }

[[classes]]
name = "b"
arrival = { dist = "exponential", rate = 2.5 }
service = { dist = "exponential", mean = 1.0 }

[[nodes]]
name = "pool"
servers = 5

[policy]
discipline = "fcfs"
"#;

/// M/M/1 at λ = 0.8 whose server's speed varies: W = 1 / (v − λ).
const MM1: &str = r#"
name = "mm1"
seed = 3
replications = 10
warmup = { jobs = 2000 }
horizon = { jobs = 20000 }

[[classes]]
name = "jobs"
arrival = { dist = "exponential", rate = 0.8 }
service = { dist = "exponential", mean = 1.0 }

[[nodes]]
name = "cpu"
servers = 1

[policy]
discipline = "fcfs"
"#;

/// Hyperexponential sizes: no formula, the simulation alone decides.
const MH2: &str = r#"
name = "mh2"
seed = 5
replications = 10
warmup = { jobs = 2000 }
horizon = { jobs = 20000 }

[[classes]]
name = "jobs"
arrival = { dist = "exponential", rate = 1.6 }
service = { dist = "hyperexponential", mean = 1.0, scv = 4.0 }

[[nodes]]
name = "pool"
servers = 2

[policy]
discipline = "fcfs"
"#;

fn schedlab() -> Command {
    Command::cargo_bin("schedlab").expect("binary is built")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `schedlab size FILE ARGS --json` and returns its document.
fn size(text: &str, args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", text);
    let out = schedlab()
        .arg("size")
        .arg(&file)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

/// Erlang C, `C(c, a)`, through the Erlang B recursion
/// `B(k) = a B(k−1) / (k + a B(k−1))`.
fn erlang_c(a: f64, c: u32) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

/// The smallest c (stable) whose exact figure is at most `target`,
/// checking that the target is far from both neighbours' figures.
fn exact_answer(figure: impl Fn(u32) -> f64, a: f64, target: f64) -> u32 {
    let c = (a.floor() as u32 + 1..200)
        .find(|&c| figure(c) <= target)
        .unwrap();
    assert!(figure(c) < 0.7 * target, "target too close to c = {c}");
    assert!(
        figure(c - 1) > 1.3 * target,
        "target too close to c = {}",
        c - 1
    );
    c
}

fn candidates(doc: &Value) -> &Vec<Value> {
    doc["candidates"].as_array().expect("candidates")
}

/// The simulated candidate at `value`.
fn simulated(doc: &Value, value: f64) -> Option<&Value> {
    candidates(doc).iter().find(|c| {
        c["source"] == "simulation" && (c["value"].as_f64().unwrap() - value).abs() < 1e-9
    })
}

/// The answer is simulated and meets; the value below it is simulated and
/// fails (or is below stability).
fn answer_is_confirmed(doc: &Value, step: f64, smallest_stable: f64) {
    let answer = doc["answer"].as_f64().unwrap();
    let at = simulated(doc, answer).expect("the answer was simulated");
    assert_eq!(at["meets"], true, "{doc}");
    if answer - step >= smallest_stable - 1e-9 {
        let below = simulated(doc, answer - step).expect("the value below was simulated");
        assert_eq!(below["meets"], false, "{doc}");
    }
}

#[test]
fn mean_wait_target_gives_the_erlang_c_answer() {
    let (lambda, mu) = (4.0, 1.0);
    let a = lambda / mu;
    let wait = |c: u32| erlang_c(a, c) / (f64::from(c) * mu - lambda);
    let expected = exact_answer(wait, a, 0.08);
    assert_eq!(expected, 7);
    let doc = size(MMC, &["--node", "pool", "--target", "mean_wait <= 0.08"]);
    assert_eq!(doc["answer"], u64::from(expected), "{doc}");
    answer_is_confirmed(&doc, 1.0, 5.0);
    // Theory's bracket comes first: the answer and the value below.
    let theory: Vec<&Value> = candidates(&doc)
        .iter()
        .filter(|c| c["source"] == "theory")
        .collect();
    assert_eq!(theory.len(), 2, "{doc}");
    assert_eq!(theory[1]["value"], 7);
    assert!((theory[1]["estimate"].as_f64().unwrap() - wait(7)).abs() < 1e-9);
    assert_eq!(doc["theory"], "erlang-c");
}

#[test]
fn p_wait_target_gives_the_erlang_c_answer() {
    let a = 4.0;
    let expected = exact_answer(|c| erlang_c(a, c), a, 0.09);
    assert_eq!(expected, 8);
    let doc = size(MMC, &["--target", "p_wait <= 0.09"]);
    assert_eq!(doc["answer"], u64::from(expected), "{doc}");
    answer_is_confirmed(&doc, 1.0, 5.0);
    let theory = candidates(&doc)
        .iter()
        .find(|c| c["source"] == "theory" && c["value"] == 8)
        .expect("theory's answer");
    assert!((theory["estimate"].as_f64().unwrap() - erlang_c(a, 8)).abs() < 1e-12);
}

#[test]
fn p_block_target_gives_the_erlang_b_answer() {
    // M/M/c/c at 4 Erlangs: servers come with their line, the loss
    // system stays one, and Erlang B decides.
    let loss = MMC
        .replace("rate = 1.5", "rate = 4.0")
        .replace(
            "[[classes]]\nname = \"b\"\narrival = { dist = \"exponential\", rate = 2.5 }\nservice = { dist = \"exponential\", mean = 1.0 }\n",
            "",
        )
        .replace("servers = 5", "servers = 5\ncapacity = 5");
    assert!(!loss.contains("name = \"b\""), "{loss}");
    let erlang_b = |c: u32| {
        let mut b = 1.0;
        for k in 1..=c {
            b = 4.0 * b / (f64::from(k) + 4.0 * b);
        }
        b
    };
    let expected = exact_answer(erlang_b, 4.0, 0.02);
    assert_eq!(expected, 9);
    let doc = size(&loss, &["--target", "p_block <= 0.02"]);
    assert_eq!(doc["answer"], u64::from(expected), "{doc}");
    assert_eq!(doc["theory"], "erlang-b");
    answer_is_confirmed(&doc, 1.0, 1.0);
}

#[test]
fn a_lower_bound_on_utilization_gives_the_largest_value() {
    // Utilisation 4 / c: 0.571 at 7 servers, 0.5 at 8.
    let doc = size(MMC, &["--target", "utilisation >= 0.55"]);
    assert_eq!(doc["target"], "utilization >= 0.55");
    assert_eq!(doc["decision"], "95% lower confidence bound");
    assert_eq!(doc["answer"], 7, "{doc}");
    assert_eq!(simulated(&doc, 7.0).unwrap()["meets"], true, "{doc}");
    assert_eq!(simulated(&doc, 8.0).unwrap()["meets"], false, "{doc}");
}

#[test]
fn class_target_measures_that_class() {
    // Under FCFS with one mean every class sees the M/M/c wait.
    let a = 4.0;
    let wait = |c: u32| erlang_c(a, c) / (f64::from(c) - 4.0);
    let expected = exact_answer(wait, a, 0.08);
    let doc = size(
        MMC,
        &[
            "--node",
            "pool",
            "--class",
            "b",
            "--target",
            "mean_wait <= 0.08",
        ],
    );
    assert_eq!(doc["class"], "b");
    assert_eq!(doc["answer"], u64::from(expected), "{doc}");
    answer_is_confirmed(&doc, 1.0, 5.0);
}

#[test]
fn speed_search_bisects_to_the_resolution() {
    // W = 1 / (v − 0.8) <= 2.2 from v = 1.2545; on the grid of 0.1 the
    // answer is 1.3 (W = 2.0), and 1.2 (W = 2.5) fails.
    let doc = size(
        MM1,
        &[
            "--target",
            "mean_response <= 2.2",
            "--param",
            "speed",
            "--tol",
            "0.1",
        ],
    );
    assert_eq!(doc["parameter"], "speed");
    let answer = doc["answer"].as_f64().unwrap();
    assert!((answer - 1.3).abs() < 1e-9, "{doc}");
    answer_is_confirmed(&doc, 0.1, 0.9);
    for c in candidates(&doc) {
        assert!(c["value"].as_f64().unwrap() > 0.8, "below stability: {c}");
    }
}

#[test]
fn without_theory_the_simulation_decides() {
    let doc = size(MH2, &["--target", "p99_response <= 15"]);
    assert!(doc["theory"].is_null(), "{doc}");
    assert!(
        candidates(&doc).iter().all(|c| c["source"] == "simulation"),
        "{doc}"
    );
    answer_is_confirmed(&doc, 1.0, 2.0);
}

#[test]
fn json_has_the_documented_shape() {
    let doc = size(MMC, &["--target", "p95_response <= 4"]);
    assert_eq!(doc["parameter"], "servers");
    assert_eq!(doc["target"], "p95_response <= 4");
    assert!(doc["answer"].is_u64(), "{doc}");
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .take(4)
        .collect();
    assert_eq!(keys, ["parameter", "target", "answer", "candidates"]);
    assert!(!candidates(&doc).is_empty());
    for c in candidates(&doc) {
        assert!(c["value"].is_u64(), "{c}");
        assert!(c["meets"].is_boolean(), "{c}");
        let source = c["source"].as_str().unwrap();
        assert!(source == "theory" || source == "simulation", "{c}");
        assert!(c["estimate"].as_f64().is_some_and(f64::is_finite), "{c}");
        if source == "theory" {
            assert!(c["ci95"].is_null() || c["ci95"] == 0.0, "{c}");
        } else {
            assert!(
                c["ci95"]
                    .as_f64()
                    .is_some_and(|h| h.is_finite() && h >= 0.0),
                "{c}"
            );
        }
    }
}

#[test]
fn table_lists_the_candidates_and_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", MMC);
    let out = schedlab()
        .arg("size")
        .arg(&file)
        .args(["--target", "mean_wait <= 0.08"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("answer: 7 servers"), "{text}");
    assert!(
        text.contains("theory") && text.contains("simulation"),
        "{text}"
    );
    assert!(text.contains("erlang-c"), "{text}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", MMC);
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--node", "nope", "--target", "mean_wait <= 1"],
            "--node",
            "nope",
        ),
        (
            &["--class", "nope", "--target", "mean_wait <= 1"],
            "--class",
            "nope",
        ),
        (&["--target", "mean_wait = 1"], "--target", "mean_wait = 1"),
        (&["--target", "mean_wait <= soon"], "--target", "soon"),
        (
            &["--target", "p97_response <= 1"],
            "--target",
            "p97_response",
        ),
        (&["--target", "p_wait <= 1.5"], "--target", "p_wait <= 1.5"),
        (
            &["--target", "mean_wait >= 1"],
            "--target",
            "mean_wait >= 1",
        ),
        (&["--target", "p_block <= 0.1"], "--target", "p_block"),
        (
            &["--target", "mean_wait <= 1", "--param", "quantum"],
            "--param",
            "quantum",
        ),
        (
            &["--target", "mean_wait <= 1", "--tol", "0.1"],
            "--tol",
            "0.1",
        ),
        (
            &[
                "--target",
                "mean_wait <= 1",
                "--param",
                "speed",
                "--tol",
                "-1",
            ],
            "--tol",
            "-1",
        ),
        (
            &["--target", "mean_wait <= 1", "--replications", "1"],
            "--replications",
            "1",
        ),
        (
            &["--target", "mean_wait <= 1", "--policy", "fcfs,ps"],
            "--policy",
            "fcfs,ps",
        ),
        (
            &["--target", "mean_wait <= 1", "--policy", "nope"],
            "--policy",
            "nope",
        ),
    ];
    for (args, flag, value) in cases {
        let out = schedlab()
            .arg("size")
            .arg(&file)
            .args(*args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(flag) && err.contains(value), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_target_nothing_meets_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", MMC);
    // Exponential sizes of mean 1: the 95th percentile of the service
    // time alone is ln 20 ≈ 3.0, whatever the servers. Theory knows it...
    let out = schedlab()
        .arg("size")
        .arg(&file)
        .args(["--target", "p95_response <= 2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("cannot be met"), "{err}");
    // ...and under PS, without a formula, the simulation finds it when no
    // job waits any more.
    let out = schedlab()
        .arg("size")
        .arg(&file)
        .args(["--target", "p95_response <= 2", "--policy", "ps"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no job waits"), "{err}");
    assert!(out.stdout.is_empty());
}
