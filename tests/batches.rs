//! `--batches B`: batch means over one long replication, and replications
//! folded into the summary as they finish.
//! - M/M/2 at load 0.9, one replication of 10^6 jobs in 20 batches: the
//!   exact Erlang C mean response lies in the batch-means interval, the
//!   lag-1 autocorrelation of the batch means is within ±2/√20, and the
//!   figures do not depend on the threads.
//! - Batches of 100 jobs at that load are far from independent: the check
//!   says so.
//! - The engine cuts a horizon in jobs into batches of exactly n/B
//!   completions, and a horizon in time at `start + k t / B`.
//! - Several policies and replications fold in replication order whatever
//!   the threads.
//! - `batches` below 2, above the horizon's jobs, with `replications` or
//!   with `precision` are refused with one line, exit 2.

use assert_cmd::Command;

use schedlab::engine::Observer;
use schedlab::experiment;
use schedlab::job::Job;
use schedlab::model::{Limit, Scenario};

mod common;

use common::{erlang_c_response, run_json as json, scenario_path as scenario_file};

#[test]
fn mm2_batch_means_cover_erlang_c_and_look_independent() {
    let file = scenario_file("mm2.toml");
    let args = |threads: &'static str| {
        json(&[
            "run",
            &file,
            "--batches",
            "20",
            "--jobs",
            "1000000",
            "--threads",
            threads,
            "--json",
        ])
    };
    let one = args("1");
    assert_eq!(one, args("2"), "batch means depend on the threads");
    assert_eq!(one["replications"], 1);
    let b = &one["batches"];
    assert_eq!(b["batches"], 20);
    assert_eq!(b["batch_length"], "50000 jobs");
    let all = &one["results"][0];
    // Every measured job is in exactly one batch.
    assert_eq!(all["jobs"], 1_000_000);
    let (m, h) = (
        all["mean_response"].as_f64().unwrap(),
        all["mean_response_ci95"].as_f64().unwrap(),
    );
    let exact = erlang_c_response(1.8, 1.0, 2);
    assert!((exact - 5.26316).abs() < 1e-4, "{exact}");
    assert!((m - exact).abs() <= h, "{m} ± {h} misses {exact}");
    // A 1% interval from 10^6 jobs at load 0.9 (the replications' own is
    // about this wide): batch means are not a narrower shortcut.
    assert!(h / m < 0.05, "{h}");
    let check = &b["policies"][0];
    let r = check["lag1_autocorrelation"].as_f64().unwrap();
    // Independent batch means give |r| within 2/√B about 95% of the time;
    // at this seed with batches of 50,000 jobs (about 500 relaxation
    // times, 1/(1 − ρ)² = 100 jobs) it holds.
    assert!(r.abs() <= 2.0 / 20f64.sqrt(), "{r}");
    assert_eq!(check["independent"], true);
}

#[test]
fn short_batches_are_flagged_as_correlated() {
    let file = scenario_file("mm2.toml");
    let v = json(&[
        "run",
        &file,
        "--batches",
        "200",
        "--jobs",
        "20000",
        "--json",
    ]);
    let check = &v["batches"]["policies"][0];
    let r = check["lag1_autocorrelation"].as_f64().unwrap();
    // Batches of 100 jobs, about one relaxation time at load 0.9: each
    // batch starts where the last left off, so their means correlate
    // strongly, far beyond 2/√200 = 0.14.
    assert!(r > 2.0 / 200f64.sqrt(), "{r}");
    assert_eq!(check["independent"], false);
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args(["run", &file, "--batches", "200", "--jobs", "20000"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("too short to be independent"), "{text}");
}

/// Counts completions per batch and records the boundaries.
#[derive(Default)]
struct Cuts {
    measuring: bool,
    done: u64,
    per_batch: Vec<u64>,
    ends: Vec<f64>,
    start: f64,
}

impl Observer for Cuts {
    fn on_measure_start(&mut self, now: f64) {
        self.measuring = true;
        self.start = now;
    }
    fn on_complete(&mut self, _now: f64, _job: &Job) {
        self.done += u64::from(self.measuring);
    }
    fn on_batch_end(&mut self, now: f64) {
        self.per_batch.push(std::mem::take(&mut self.done));
        self.ends.push(now);
    }
}

fn mm2() -> Scenario {
    Scenario::from_file(std::path::Path::new(&scenario_file("mm2.toml"))).unwrap()
}

#[test]
fn the_engine_cuts_a_horizon_into_equal_batches() {
    let s = mm2();
    let (cuts, info) = experiment::simulate_in_batches(
        &s,
        &s.policies[0],
        0,
        Cuts::default(),
        Limit::Jobs(1000),
        Limit::Jobs(10_000),
        8,
    );
    let mut counts = cuts.per_batch.clone();
    counts.push(cuts.done);
    assert_eq!(counts, vec![1250; 8]);
    assert!(cuts.ends.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(info.completed, 11_000);

    let (cuts, info) = experiment::simulate_in_batches(
        &s,
        &s.policies[0],
        0,
        Cuts::default(),
        Limit::Time(100.0),
        Limit::Time(1000.0),
        4,
    );
    assert_eq!(cuts.start, 100.0);
    assert_eq!(cuts.ends, vec![350.0, 600.0, 850.0]);
    assert_eq!(info.end, 1100.0);
}

#[test]
fn policies_and_replications_fold_in_order_whatever_the_threads() {
    let file = scenario_file("mh2-1.toml");
    let args = |threads: &'static str| {
        json(&[
            "run",
            &file,
            "--compare",
            "fcfs,srpt,ps",
            "--replications",
            "7",
            "--jobs",
            "20000",
            "--threads",
            threads,
            "--json",
        ])
    };
    assert_eq!(args("1"), args("2"));
}

#[test]
fn bad_batches_are_refused() {
    let file = scenario_file("mm2.toml");
    for (args, named) in [
        (vec!["--batches", "1"], "--batches"),
        (vec!["--batches", "0"], "--batches"),
        (vec!["--batches", "5000"], "--batches"),
        (vec!["--batches", "20", "--jobs", "10"], "--batches"),
        (
            vec!["--batches", "20", "--replications", "5"],
            "--replications",
        ),
        (
            vec!["--batches", "20", "--precision", "0.01"],
            "--precision",
        ),
    ] {
        let out = Command::cargo_bin("schedlab")
            .unwrap()
            .arg("run")
            .arg(&file)
            .args(&args)
            .output()
            .unwrap();
        let err = common::one_line_error(&out);
        assert!(err.contains(named), "{args:?}: {err}");
    }
    // The file without its `replications`, and `extra` added at the top level.
    let base: String = std::fs::read_to_string(scenario_file("mm2.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("replications"))
        .collect::<Vec<_>>()
        .join("\n");
    let with = |extra: &str| base.replacen("[[classes]]", &format!("{extra}\n\n[[classes]]"), 1);
    common::refused(&with("batches = 1"), "batches", "1");
    common::refused(&with("batches = 20\nreplications = 5"), "replications", "5");
    common::refused(&with("batches = 20\nprecision = 0.01"), "batches", "20");
}
