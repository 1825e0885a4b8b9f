//! Arrival processes against what they must give, at fixed seeds: batch
//! Poisson arrivals against the M^X/G/1 mean wait, a time-varying Poisson
//! rate against its counts per piece (the generator alone and through the
//! workload), a replayed trace against its own times and sizes (and the
//! waits they imply, computed here by Lindley's recursion), the same bytes
//! on 1 and 2 threads, and the refusals of bad input.
//!
//! An exact value must lie within its 99.9% interval from the 10
//! replications (2.11 times the 95% half-width, Student t with 9 degrees
//! of freedom), as in `tests/behaviour.rs`; counts of a Poisson process
//! within 4 standard deviations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use rand::SeedableRng;

mod common;
use common::refused;
use schedlab::experiment::{self, Row, RunOutput};
use schedlab::model::arrival::{PoissonClock, RateProfile};
use schedlab::model::{Arrivals, Scenario};
use schedlab::stats::{Estimate, Selection};
use schedlab::theory;
use schedlab::workload::{SampledWorkload, Workload};

/// 99.9% over 95% half-widths at 9 degrees of freedom.
const WIDEN: f64 = 4.781 / 2.262;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn scenario(name: &str) -> Scenario {
    Scenario::from_file(&repo("scenarios/arrivals").join(name)).expect("bundled scenario parses")
}

fn bundled_text(name: &str) -> String {
    std::fs::read_to_string(repo("scenarios/arrivals").join(name)).unwrap()
}

fn overall(out: &RunOutput) -> &Row {
    out.rows
        .iter()
        .find(|r| r.selection == Selection::All)
        .expect("the overall row exists")
}

fn assert_within(what: &str, e: &Estimate, exact: f64) {
    let h = e.ci95.expect("several replications give a CI") * WIDEN;
    assert!(
        (e.mean - exact).abs() <= h,
        "{what}: simulated {:.5} ± {h:.5} (99.9%), exact {exact:.5}",
        e.mean
    );
}

/// The M^X/G/1 mean wait, written out here from the formula.
fn mxg1_wait(lambda: f64, ex: f64, ex2: f64, es: f64, es2: f64) -> f64 {
    let rho = lambda * ex * es;
    lambda * ex * es2 / (2.0 * (1.0 - rho)) + es * (ex2 - ex) / (2.0 * ex * (1.0 - rho))
}

#[test]
fn geometric_batches_match_mx_m_1() {
    let s = scenario("batch.toml");
    let out = experiment::run(&s);
    let row = overall(&out);
    // λ = 0.28, geometric X of mean 2.5 (p = 0.4, E[X²] = 10), S ~ Exp(1).
    let exact = mxg1_wait(0.28, 2.5, 10.0, 1.0, 2.0);
    assert!((exact - 22.0 / 3.0).abs() < 1e-12);
    assert_within("mean wait", &row.stats.mean_wait, exact);
    assert_within("mean response", &row.stats.mean_response, exact + 1.0);
    assert_within("throughput", &row.stats.throughput, 0.7);
    let t = row.theory.as_ref().expect("M^X/G/1 applies");
    assert_eq!(t.formula, "mxg1");
    assert!((t.mean_wait - exact).abs() < 1e-9);
    // The library's formula is the one written here.
    let m = theory::mxg1(0.28, 2.5, 10.0, 1.0, 2.0).unwrap();
    assert!((m.mean_wait - exact).abs() < 1e-12);
}

#[test]
fn deterministic_and_empirical_batches_match_mx_g_1() {
    // M^3/D/1 at load 0.6: Wq = 0.6 / 0.8 + (9 − 3) / (2 · 3 · 0.4) = 3.25.
    let text = bundled_text("batch.toml")
        .replace("rate = 0.28", "rate = 0.2")
        .replace(
            "batch = { dist = \"geometric\", mean = 2.5 }",
            "batch = { dist = \"deterministic\", value = 3 }",
        )
        .replace(
            "service = { dist = \"exponential\", mean = 1.0 }",
            "service = { dist = \"deterministic\", value = 1.0 }",
        )
        .replace("jobs = 400000", "jobs = 200000");
    let s = Scenario::from_toml(&text, Path::new("m3d1.toml")).unwrap();
    let out = experiment::run(&s);
    let exact = mxg1_wait(0.2, 3.0, 9.0, 1.0, 1.0);
    assert!((exact - 3.25).abs() < 1e-12);
    assert_within("M^3/D/1 mean wait", &overall(&out).stats.mean_wait, exact);
    assert_eq!(overall(&out).theory.as_ref().unwrap().formula, "mxg1");

    // Empirical batches {1, 2, 2, 5} of uniform sizes on [0.5, 1.5], λ = 0.25:
    // E[X] = 2.5, E[X²] = 8.5, E[S] = 1, E[S²] = 13/12, load 0.625.
    let text = bundled_text("batch.toml")
        .replace("rate = 0.28", "rate = 0.25")
        .replace(
            "batch = { dist = \"geometric\", mean = 2.5 }",
            "batch = { dist = \"empirical\", values = [1, 2, 2, 5] }",
        )
        .replace(
            "service = { dist = \"exponential\", mean = 1.0 }",
            "service = { dist = \"uniform\", low = 0.5, high = 1.5 }",
        )
        .replace("jobs = 400000", "jobs = 200000");
    let s = Scenario::from_toml(&text, Path::new("mxg1.toml")).unwrap();
    let out = experiment::run(&s);
    let exact = mxg1_wait(0.25, 2.5, 8.5, 1.0, 13.0 / 12.0);
    assert_within("M^X/U/1 mean wait", &overall(&out).stats.mean_wait, exact);
}

#[test]
fn batch_theory_applies_only_where_it_holds() {
    // Two servers: no M^X/G/c formula here, so no figure at all.
    let text = bundled_text("batch.toml").replace("servers = 1", "servers = 2");
    let mut s = Scenario::from_toml(&text, Path::new("b2.toml")).unwrap();
    s.replications = 2;
    s.warmup = schedlab::model::Limit::Jobs(0);
    s.horizon = schedlab::model::Limit::Jobs(2000);
    let out = experiment::run(&s);
    assert!(out.rows.iter().all(|r| r.theory.is_none()));
    // Overload: the batches' job rate counts in the load.
    let text = bundled_text("batch.toml").replace("rate = 0.28", "rate = 0.45");
    let s = Scenario::from_toml(&text, Path::new("over.toml")).unwrap();
    assert!((s.offered_load(0) - 1.125).abs() < 1e-12);
    assert!(matches!(
        theory::instability(&s),
        Some(theory::TheoryError::Unstable { .. })
    ));
    assert!(matches!(
        theory::mxg1(0.45, 2.5, 10.0, 1.0, 2.0),
        Err(theory::TheoryError::Unstable { .. })
    ));
}

/// Arrivals of the call-centre day (rates 1, 3, 1 on [0, 8), [8, 18),
/// [18, 24)) counted per piece over `days` days, and the daily counts of
/// the busy piece.
fn count_pieces(mut next: impl FnMut() -> f64, days: usize) -> ([f64; 3], Vec<f64>) {
    let mut counts = [0.0; 3];
    let mut busy = vec![0.0; days];
    let mut last = 0.0;
    loop {
        let t = next();
        assert!(t >= last, "times go forward: {t} after {last}");
        last = t;
        if t >= 24.0 * days as f64 {
            break;
        }
        let x = t % 24.0;
        let piece = usize::from(x >= 8.0) + usize::from(x >= 18.0);
        counts[piece] += 1.0;
        if piece == 1 {
            busy[(t / 24.0) as usize] += 1.0;
        }
    }
    (counts, busy)
}

fn check_pieces(counts: [f64; 3], busy: &[f64]) {
    let days = busy.len() as f64;
    for (piece, expected) in [8.0 * days, 30.0 * days, 6.0 * days]
        .into_iter()
        .enumerate()
    {
        let n = counts[piece];
        assert!(
            (n - expected).abs() < 4.0 * expected.sqrt(),
            "piece {piece}: {n} arrivals, expected {expected}"
        );
    }
    // The busy piece's daily count is Poisson(30): its variance is its mean
    // (the index of dispersion has standard error sqrt(2/(n-1))).
    let mean = busy.iter().sum::<f64>() / days;
    let var = busy.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (days - 1.0);
    let dispersion = var / mean;
    assert!(
        (dispersion - 1.0).abs() < 4.0 * (2.0 / (days - 1.0)).sqrt(),
        "index of dispersion {dispersion}"
    );
}

#[test]
fn time_varying_poisson_generator_gives_rate_times_length_per_piece() {
    let profile = RateProfile::new(
        &[(0.0, 1.0), (8.0, 3.0), (18.0, 1.0)],
        Some(24.0),
        "arrival",
    )
    .unwrap();
    let mut clock = PoissonClock::new(Arc::new(profile));
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(2024);
    let (counts, busy) = count_pieces(|| clock.next(&mut rng), 3000);
    check_pieces(counts, &busy);
}

#[test]
fn time_varying_poisson_through_the_workload_and_the_engine() {
    let s = scenario("call-centre.toml");
    assert!(matches!(s.classes[0].arrival, Arrivals::Poisson(_)));
    assert!((s.arrival_rate(0) - 44.0 / 24.0).abs() < 1e-12);
    for replication in [0, 7] {
        let mut w = SampledWorkload::new(&s, replication);
        let (counts, busy) = count_pieces(|| w.next_arrival().time, 3000);
        check_pieces(counts, &busy);
    }
    // Zero-rate pieces: nobody arrives at night.
    let text = bundled_text("call-centre.toml").replace("[[0.0, 1.0],", "[[0.0, 0.0],");
    let s = Scenario::from_toml(&text, Path::new("night.toml")).unwrap();
    let mut w = SampledWorkload::new(&s, 0);
    for _ in 0..20_000 {
        let t = w.next_arrival().time;
        assert!(t % 24.0 >= 8.0, "an arrival at {t}, in a piece of rate 0");
    }
    // The engine runs it; a stationary formula would be wrong, so none is given.
    let s = scenario("call-centre.toml");
    let out = experiment::run(&s);
    assert!(out.rows.iter().all(|r| r.theory.is_none()));
    // Measured over whole days (from day 10 to day 110), the throughput
    // is the mean rate: 44 calls a day.
    assert_within("throughput", &overall(&out).stats.throughput, 44.0 / 24.0);
}

/// Writes `scenario` and `trace` (as `arrivals.csv`) into a fresh directory.
fn with_trace(scenario: &str, trace: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("arrivals.csv"), trace).unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, scenario).unwrap();
    (dir, file)
}

const TRACED: &str = r#"
name = "traced"
seed = 5
replications = 3
horizon = { jobs = 6 }

[[classes]]
name = "jobs"
arrival = { trace = "arrivals.csv" }

[[nodes]]
name = "cpu"
servers = 1

[policy]
discipline = "fcfs"
"#;

#[test]
fn trace_replay_reproduces_times_and_sizes() {
    let times: [f64; 6] = [0.1, 0.25, 0.25, 1.0 / 3.0, 7.5, 1e6];
    let sizes: [f64; 6] = [2.0, 0.125, 1.5, 3.0, 0.1, 1e-3];
    let mut csv = String::from("time,size\n");
    for (t, x) in times.iter().zip(&sizes) {
        csv.push_str(&format!("{t:?},{x:?}\n"));
    }
    let (_dir, file) = with_trace(TRACED, &csv);
    let s = Scenario::from_file(&file).unwrap();
    for replication in 0..3 {
        let mut w = SampledWorkload::new(&s, replication);
        for (t, x) in times.iter().zip(&sizes) {
            assert_eq!(w.peek_time(), *t);
            let a = w.next_arrival();
            assert_eq!(
                (a.time.to_bits(), a.size.to_bits()),
                (t.to_bits(), x.to_bits())
            );
        }
        assert_eq!(w.peek_time(), f64::INFINITY, "the trace is over");
    }
    // Without a size column the sizes come from `service`, drawn afresh
    // per replication; the times stay the trace's.
    let text = TRACED.replace(
        "arrival = { trace = \"arrivals.csv\" }",
        "arrival = { trace = \"arrivals.csv\" }\nservice = { dist = \"exponential\", mean = 1.0 }",
    );
    let csv: String = times.iter().map(|t| format!("{t:?}\n")).collect();
    let (_dir, file) = with_trace(&text, &csv);
    let s = Scenario::from_file(&file).unwrap();
    let draw = |replication| {
        let mut w = SampledWorkload::new(&s, replication);
        (0..times.len())
            .map(|_| {
                let a = w.next_arrival();
                (a.time, a.size)
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (draw(0), draw(1));
    assert!(a.iter().zip(&times).all(|(x, t)| x.0 == *t));
    assert!(b.iter().zip(&times).all(|(x, t)| x.0 == *t));
    assert_ne!(a, b, "sizes differ between replications");
    assert!(a.iter().all(|x| x.1 > 0.0));
}

#[test]
fn trace_replay_through_the_engine_gives_the_waits_of_its_jobs() {
    // The bundled trace, served FCFS by one server: every replication is
    // the same jobs, so the mean wait is Lindley's, exactly.
    let s = scenario("trace.toml");
    let text = std::fs::read_to_string(repo("scenarios/arrivals/trace.csv")).unwrap();
    let rows: Vec<(f64, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let (t, x) = l.split_once(',').unwrap();
            (t.parse().unwrap(), x.parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 2000);
    let (mut wait, mut total) = (0.0f64, 0.0);
    for i in 0..rows.len() {
        if i > 0 {
            wait = (wait + rows[i - 1].1 - (rows[i].0 - rows[i - 1].0)).max(0.0);
        }
        total += wait;
    }
    let lindley = total / rows.len() as f64;
    let out = experiment::run(&s);
    let r = &overall(&out).stats;
    assert!(
        (r.mean_wait.mean - lindley).abs() < 1e-9 * lindley,
        "{} vs {lindley}",
        r.mean_wait.mean
    );
    assert_eq!(
        r.mean_wait.ci95,
        Some(0.0),
        "the replications are the same jobs"
    );
    // The trace's mean size is the class's: 2000 rows of 0.5, 1 or 2.
    let mean_size = rows.iter().map(|r| r.1).sum::<f64>() / 2000.0;
    assert!((s.classes[0].service.mean() - mean_size).abs() < 1e-12);
    assert!(overall(&out).theory.is_none());
}

#[test]
fn the_backend_plans_a_trace_up_to_its_end() {
    // `validate --jobs N` beyond the trace's length plans the trace's jobs.
    let s = scenario("trace.toml");
    let plan = schedlab::backend::plan(&s, 5000);
    assert_eq!(plan.arrivals.len(), 2000);
    assert!(plan.arrivals.iter().all(|a| a.time.is_finite()));
    // A time-varying rate and batches plan as they simulate.
    let s = scenario("batch.toml");
    let plan = schedlab::backend::plan(&s, 1000);
    let mut w = SampledWorkload::new(&s, 0);
    for a in &plan.arrivals {
        assert_eq!(*a, w.next_arrival());
    }
}

fn run_json(file: &Path, threads: &str, extra: &[&str]) -> Vec<u8> {
    Command::cargo_bin("schedlab")
        .unwrap()
        .arg("run")
        .arg(file)
        .args(["--json", "--threads", threads, "--replications", "4"])
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

#[test]
fn same_json_on_one_and_two_threads() {
    for (name, extra) in [
        ("batch.toml", &["--jobs", "20000"][..]),
        ("call-centre.toml", &[][..]),
        ("trace.toml", &[][..]),
    ] {
        let file = repo("scenarios/arrivals").join(name);
        let one = run_json(&file, "1", extra);
        assert_eq!(one, run_json(&file, "2", extra), "{name}");
        let doc: serde_json::Value = serde_json::from_slice(&one).unwrap();
        assert!(doc["results"][0]["jobs"].as_u64().unwrap() > 0, "{name}");
    }
}

const GOOD: &str = r#"
name = "good"
replications = 2
horizon = { jobs = 100 }

[[classes]]
name = "calls"
arrival = { process = "poisson", rates = [[0.0, 1.0], [8.0, 3.0], [18.0, 1.0]], cycle = 24.0 }
service = { dist = "exponential", mean = 1.0 }

[[nodes]]
name = "n"
servers = 1
"#;

#[test]
fn bad_time_varying_rates_are_refused() {
    let rates = "rates = [[0.0, 1.0], [8.0, 3.0], [18.0, 1.0]]";
    refused(
        &GOOD.replace(rates, "rates = [[0.0, 1.0], [8.0, 3.0], [6.0, 1.0]]"),
        "classes[0].arrival.rates[2]",
        "[6, 1]",
    );
    refused(
        &GOOD.replace(rates, "rates = [[0.0, 1.0], [8.0, -3.0]]"),
        "classes[0].arrival.rates[1]",
        "-3",
    );
    refused(
        &GOOD.replace(rates, "rates = [[2.0, 1.0], [8.0, 3.0]]"),
        "classes[0].arrival.rates[0]",
        "[2, 1]",
    );
    refused(
        &GOOD.replace("cycle = 24.0", "cycle = 12.0"),
        "classes[0].arrival.cycle",
        "12",
    );
    refused(
        &GOOD.replace(rates, "rates = [[0.0, 0.0], [8.0, 0.0]]"),
        "classes[0].arrival.rates",
        "rate 0",
    );
    refused(
        &GOOD.replace(rates, "rates = []"),
        "classes[0].arrival.rates",
        "[]",
    );
    refused(
        &GOOD.replace("process = \"poisson\"", "process = \"hawkes\""),
        "classes[0].arrival.process",
        "hawkes",
    );
    refused(
        &GOOD.replace("process = \"poisson\", ", ""),
        "classes[0].arrival.rates",
        "process",
    );
    refused(
        &GOOD.replace("cycle = 24.0", "cycle = 24.0, rate = 2.0"),
        "classes[0].arrival.rate",
        "(given)",
    );
}

#[test]
fn bad_batches_are_refused() {
    let with = |batch: &str| GOOD.replace("service = {", &format!("batch = {batch}\nservice = {{"));
    refused(
        &with("{ dist = \"geometric\", mean = 0.5 }"),
        "classes[0].batch.mean",
        "0.5",
    );
    refused(
        &with("{ dist = \"empirical\", values = [1, 2.5] }"),
        "classes[0].batch.values",
        "2.5",
    );
    refused(
        &with("{ dist = \"deterministic\", value = 0 }"),
        "classes[0].batch.value",
        "0",
    );
    refused(
        &with("{ dist = \"poisson\", mean = 2 }"),
        "classes[0].batch.dist",
        "poisson",
    );
}

#[test]
fn bad_traces_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let trace = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        GOOD.replace(
            "process = \"poisson\", rates = [[0.0, 1.0], [8.0, 3.0], [18.0, 1.0]], cycle = 24.0",
            &format!("trace = {:?}", p.display().to_string()),
        )
    };
    // Not sorted by time: the file and the line are named.
    let text = trace("unsorted.csv", "time\n0.5\n1.0\n0.75\n2.0\n");
    refused(&text, "classes[0].arrival.trace", "unsorted.csv");
    refused(&text, "classes[0].arrival.trace", "line 4");
    refused(
        &trace("word.csv", "1\n2\nsoon\n"),
        "classes[0].arrival.trace",
        "line 3",
    );
    refused(
        &trace("empty.csv", "time\n"),
        "classes[0].arrival.trace",
        "no arrival",
    );
    // A trace with sizes gives them; `service` as well is a contradiction.
    refused(
        &trace("sized.csv", "time,size\n0,1\n"),
        "classes[0].service",
        "(given)",
    );
    // A trace lists every job: no batches on top.
    refused(
        &trace("times.csv", "0\n1\n").replace(
            "service = {",
            "batch = { dist = \"geometric\", mean = 2 }\nservice = {",
        ),
        "classes[0].batch",
        "geometric",
    );
    refused(
        &GOOD.replace(
            "process = \"poisson\", rates = [[0.0, 1.0], [8.0, 3.0], [18.0, 1.0]], cycle = 24.0",
            "trace = \"no-such-trace.csv\"",
        ),
        "classes[0].arrival.trace",
        "no-such-trace.csv",
    );
}
