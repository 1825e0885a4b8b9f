//! `--precision`: replications are added until the 95% half-width of a
//! metric is within a share of its estimate.
//! - M/M/2 at load 0.9 reaches 1% from a first batch of 4 short
//!   replications, and the exact Erlang C mean response,
//!   `E[T] = C(2, 1.8) / (2μ − λ) + 1/μ = 5.2632` (Erlang C: Gross &
//!   Harris, *Fundamentals of Queueing Theory*, §2.3), lies in the final
//!   interval; the count and the figures do not depend on the threads.
//! - A cap stops it and the report says the target was not reached.
//! - A precision of 0 (or 1 and above), a cap below 2, an unknown metric
//!   are refused with one line, exit 2.

use assert_cmd::Command;

mod common;

use common::{erlang_c_response, run_json as json};

fn mm2() -> String {
    common::scenario_path("mm2.toml")
}

#[test]
fn mm2_reaches_one_percent_and_erlang_c_lies_in_the_final_interval() {
    let file = mm2();
    let args = |threads: &'static str| {
        json(&[
            "run",
            &file,
            "--precision",
            "0.01",
            "--replications",
            "4",
            "--jobs",
            "200000",
            "--threads",
            threads,
            "--json",
        ])
    };
    let one = args("1");
    assert_eq!(one, args("2"), "the stopping rule depends on the threads");
    let p = &one["precision"];
    assert_eq!(p["reached"], true);
    assert_eq!(p["metric"], "mean_response");
    let n = p["replications"].as_u64().unwrap();
    assert!(n > 4, "a first batch of 4 short runs cannot reach 1%: {n}");
    assert_eq!(one["replications"].as_u64(), Some(n));
    let all = &one["results"][0];
    let (m, h) = (
        all["mean_response"].as_f64().unwrap(),
        all["mean_response_ci95"].as_f64().unwrap(),
    );
    assert!(h <= 0.01 * m, "{h} against {m}");
    assert!((p["relative_half_width"].as_f64().unwrap() - h / m).abs() < 1e-12);
    let exact = erlang_c_response(1.8, 1.0, 2);
    assert!((exact - 5.263157894736842).abs() < 1e-12);
    assert!((m - exact).abs() <= h, "{m} ± {h} against Erlang C {exact}");
}

#[test]
fn the_cap_stops_it_and_the_report_says_so() {
    let file = mm2();
    let v = json(&[
        "run",
        &file,
        "--precision",
        "0.0001",
        "--max-replications",
        "6",
        "--replications",
        "2",
        "--jobs",
        "5000",
        "--json",
    ]);
    assert_eq!(v["precision"]["reached"], false);
    assert_eq!(v["precision"]["replications"], 6);
    assert_eq!(v["replications"], 6);
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args([
            "run",
            &file,
            "--precision",
            "0.0001",
            "--max-replications",
            "6",
            "--replications",
            "2",
            "--jobs",
            "5000",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("6 replication(s)") && text.contains("NOT reached"),
        "{text}"
    );
}

#[test]
fn a_scenarios_precision_is_used_and_bad_ones_are_refused() {
    let text = std::fs::read_to_string(mm2())
        .unwrap()
        .replace("replications = 10", "replications = 3\nprecision = 0.05")
        .replace("horizon = { jobs = 1000000 }", "horizon = { jobs = 20000 }");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.toml");
    std::fs::write(&file, &text).unwrap();
    let v = json(&["run", file.to_str().unwrap(), "--json"]);
    assert_eq!(v["precision"]["target"], 0.05);
    assert_eq!(v["precision"]["reached"], true);
    for (bad, field, value) in [
        ("precision = 0.05", "precision = 0.0", "0"),
        ("precision = 0.05", "precision = 1.5", "1.5"),
        (
            "precision = 0.05",
            "precision = 0.05\nmax_replications = 1",
            "1",
        ),
        (
            "precision = 0.05",
            "precision = 0.05\nprecision_metric = \"p42_response\"",
            "p42_response",
        ),
        ("precision = 0.05", "max_replications = 100", "(given)"),
    ] {
        let wanted = field
            .lines()
            .last()
            .unwrap()
            .split(" =")
            .next()
            .unwrap()
            .to_string();
        common::refused(&text.replace(bad, field), &wanted, value);
    }
    for (flags, flag) in [
        (vec!["--precision", "0"], "--precision"),
        (vec!["--precision=-0.1"], "--precision"),
        (
            vec!["--precision", "0.01", "--max-replications", "1"],
            "--max-replications",
        ),
        (
            vec!["--precision", "0.01", "--precision-metric", "zz"],
            "--precision-metric",
        ),
        (vec!["--max-replications", "50"], "--max-replications"),
    ] {
        let out = Command::cargo_bin("schedlab")
            .unwrap()
            .arg("run")
            .arg(mm2())
            .args(&flags)
            .output()
            .unwrap();
        let err = common::one_line_error(&out);
        assert!(err.contains(flag), "{flags:?}: {err}");
    }
}
