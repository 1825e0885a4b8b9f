//! The timeline of a run against the transient results it must give, at
//! fixed seeds, bin by bin:
//! - M_t/G/∞ (a node with far more servers than jobs ever present): the
//!   mean number in system at time t is `m(t) = ∫_0^t λ(u) P(S > t − u) du`
//!   (Eick, Massey and Whitt, "The physics of the M_t/G/∞ queue",
//!   *Operations Research* 41(4), 1993, Theorem 1), for exponential and
//!   deterministic services; arrivals per bin against `Λ(b) − Λ(a)`;
//! - the files, pictures and JSON fields of a timeline, `schedlab plot`
//!   redrawing it byte for byte, and the refusals of bad bins.
//!
//! A bin's exact mean must lie within 4 standard errors of the
//! replications' mean (the 95% half-width × 4 / 1.968 at 299 degrees of
//! freedom): with 30 bins and several figures per test, a tighter band
//! would fail somewhere by chance.

use std::path::Path;

use assert_cmd::Command;

mod common;

use schedlab::experiment::{self, RunOutput, TimelineRow};
use schedlab::model::Scenario;
use schedlab::model::arrival::RateProfile;
use schedlab::stats::Estimate;

const WIDEN: f64 = 4.0 / 1.968;
const REPLICATIONS: u32 = 300;

fn mt_scenario(service: &str, extra: &str) -> String {
    format!(
        r#"
name = "mt-g-inf"
seed = 7
replications = {REPLICATIONS}
warmup = {{ time = 0.0 }}
horizon = {{ time = 30.0 }}

[[classes]]
name = "a"
arrival = {{ process = "poisson", rates = [[0.0, 2.0], [10.0, 8.0], [20.0, 1.0]], cycle = 30.0 }}
service = {service}

[[nodes]]
name = "inf"
servers = 200

[policy]
discipline = "fcfs"

[output]
timeline = {{ bin = 1.0 }}
{extra}
"#
    )
}

fn profile() -> RateProfile {
    RateProfile::new(&[(0.0, 2.0), (10.0, 8.0), (20.0, 1.0)], Some(30.0), "test").unwrap()
}

fn run(text: &str) -> RunOutput {
    let scenario = Scenario::from_toml(text, Path::new("timeline-test.toml")).unwrap();
    experiment::run(&scenario)
}

fn within(what: &str, e: &Estimate, exact: f64) {
    let h = e.ci95.expect("replications give a CI") * WIDEN;
    assert!(
        (e.mean - exact).abs() <= h,
        "{what}: simulated {:.5} ± {h:.5}, exact {exact:.5}",
        e.mean
    );
}

/// `m(t) = ∫_0^t λ(u) P(S > t − u) du`, by the midpoint rule.
fn m_t(t: f64, survival: impl Fn(f64) -> f64) -> f64 {
    let p = profile();
    let n = 2000;
    let du = t / n as f64;
    (0..n)
        .map(|i| {
            let u = (i as f64 + 0.5) * du;
            p.rate_at(u) * survival(t - u) * du
        })
        .sum()
}

/// The mean over `[a, b)` of `m(t)`.
fn bin_mean(a: f64, b: f64, survival: &impl Fn(f64) -> f64) -> f64 {
    let n = 40;
    let dt = (b - a) / n as f64;
    (0..n)
        .map(|i| m_t(a + (i as f64 + 0.5) * dt, survival))
        .sum::<f64>()
        / n as f64
}

fn system(out: &RunOutput) -> Vec<&TimelineRow> {
    out.timeline
        .iter()
        .filter(|r| r.bin.node.is_none())
        .collect()
}

fn check_mt(service: &str, survival: impl Fn(f64) -> f64) {
    let out = run(&mt_scenario(service, ""));
    let rows = system(&out);
    assert_eq!(rows.len(), 30, "one row per bin of [0, 30)");
    let p = profile();
    for (k, r) in rows.iter().enumerate() {
        let (a, b) = (k as f64, k as f64 + 1.0);
        assert_eq!((r.bin.start, r.bin.end), (a, b));
        assert_eq!(r.bin.replications, REPLICATIONS);
        within(
            &format!("mean in system in [{a}, {b})"),
            &r.bin.mean_in_system,
            bin_mean(a, b, &survival),
        );
        let offered = p.cumulative(b) - p.cumulative(a);
        assert!((r.offered.unwrap() - offered).abs() < 1e-9);
        within(&format!("arrivals in [{a}, {b})"), &r.bin.arrivals, offered);
        assert_eq!(r.bin.abandoned.mean, 0.0);
        assert!((r.bin.servers.mean - 200.0).abs() < 1e-9);
    }
    // One node and no losses: the node's column is the system's.
    let node: Vec<&TimelineRow> = out
        .timeline
        .iter()
        .filter(|r| r.bin.node == Some(0))
        .collect();
    for (n, s) in node.iter().zip(&rows) {
        assert!((n.bin.mean_in_system.mean - s.bin.mean_in_system.mean).abs() < 1e-9);
        assert_eq!(n.bin.arrivals.mean, s.bin.arrivals.mean);
        assert!((n.bin.utilization.mean * 200.0 - n.bin.mean_in_system.mean).abs() < 1e-9);
    }
}

#[test]
fn mt_m_inf_follows_its_transient_mean() {
    check_mt("{ dist = \"exponential\", mean = 2.0 }", |x| {
        (-x / 2.0).exp()
    });
}

#[test]
fn mt_d_inf_follows_its_transient_mean() {
    check_mt("{ dist = \"deterministic\", value = 2.0 }", |x| {
        if x < 2.0 { 1.0 } else { 0.0 }
    });
}

#[test]
fn no_timeline_unless_asked() {
    let text = mt_scenario("{ dist = \"exponential\", mean = 2.0 }", "")
        .replace("[output]\ntimeline = { bin = 1.0 }", "");
    let out = run(&text);
    assert!(out.timeline.is_empty());
}

fn schedlab() -> Command {
    Command::cargo_bin("schedlab").unwrap()
}

#[test]
fn the_timeline_is_in_json_csv_and_a_picture() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mt.toml");
    let text = mt_scenario("{ dist = \"exponential\", mean = 2.0 }", "")
        .replace(
            &format!("replications = {REPLICATIONS}"),
            "replications = 4",
        )
        .replace("[output]\ntimeline = { bin = 1.0 }", "");
    std::fs::write(&file, text).unwrap();
    let out_dir = dir.path().join("out");
    let out = schedlab()
        .args(["run", "--json", "--timeline", "2.5", "--out"])
        .arg(&out_dir)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let timeline = json["timeline"].as_array().expect("a timeline array");
    // 12 bins of 2.5 over [0, 30), each for the node and the whole system.
    assert_eq!(timeline.len(), 24);
    let first = &timeline[1];
    assert_eq!(first["node"], "all");
    assert_eq!(first["start"], 0.0);
    assert_eq!(first["end"], 2.5);
    for key in [
        "arrivals",
        "mean_in_system",
        "mean_in_system_ci95",
        "utilization",
        "servers",
        "abandoned",
    ] {
        assert!(first[key].is_number(), "{key} in {first}");
    }
    assert_eq!(timeline[0]["node"], "inf");
    let csv = std::fs::read_to_string(out_dir.join("timeline.csv")).unwrap();
    assert!(csv.starts_with("policy,start,end,node,"), "{csv}");
    assert_eq!(csv.lines().count(), 25);
    let svg = std::fs::read_to_string(out_dir.join("plots/timeline.svg")).unwrap();
    assert!(svg.contains("arrivals per time unit") && svg.contains("offered rate"));
    assert!(svg.contains("mean number in system") && svg.contains("utilisation"));
    let png = std::fs::read(out_dir.join("plots/timeline.png")).unwrap();
    // `schedlab plot` redraws the same picture from the tree.
    std::fs::remove_file(out_dir.join("plots/timeline.png")).unwrap();
    let out = schedlab().arg("plot").arg(&out_dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(out_dir.join("plots/timeline.png")).unwrap(),
        png
    );
}

#[test]
fn bad_bins_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    for (bin, flag, field) in [
        ("-1.0", None, "output.timeline.bin"),
        ("0.0", None, "output.timeline.bin"),
        ("1e-9", None, "output.timeline.bin"),
        ("1.0", Some("0"), "--timeline"),
        ("1.0", Some("nan"), "--timeline"),
    ] {
        let text = mt_scenario("{ dist = \"exponential\", mean = 2.0 }", "").replace(
            "timeline = { bin = 1.0 }",
            &format!("timeline = {{ bin = {bin} }}"),
        );
        std::fs::write(&file, text).unwrap();
        let out_dir = dir.path().join("out");
        let mut cmd = schedlab();
        cmd.arg("run").arg(&file).arg("--out").arg(&out_dir);
        if let Some(v) = flag {
            cmd.args(["--timeline", v]);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bin} {flag:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(field), "{field} in {err}");
        assert!(!out_dir.exists());
    }
}

/// M/M/∞ started with `n0` jobs present: `m(t) = n0 e^(−μt) + (λ/μ)(1 − e^(−μt))`
/// (the initial jobs leave independently at rate μ, the arrivals since 0
/// form an M_t/M/∞ from empty), averaged over each bin in closed form.
#[test]
fn mm_inf_from_an_initial_state_follows_its_transient_mean() {
    let text = r#"
name = "mm-inf-from-50"
seed = 3
replications = 300
warmup = { time = 0.0 }
horizon = { time = 12.0 }

[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 2.0 }
service = { dist = "exponential", mean = 2.0 }
initial = { inf = 50 }

[[nodes]]
name = "inf"
servers = 300

[policy]
discipline = "fcfs"

[output]
timeline = { bin = 1.0 }
"#;
    let (n0, lambda, mu) = (50.0, 2.0, 0.5);
    let out = run(text);
    let rows = system(&out);
    assert_eq!(rows.len(), 12);
    let steady = lambda / mu;
    for (k, r) in rows.iter().enumerate() {
        let (a, b) = (k as f64, k as f64 + 1.0);
        // ∫_a^b (n0 − λ/μ) e^(−μt) dt + λ/μ (b − a), over b − a.
        let exact = steady + (n0 - steady) * ((-mu * a).exp() - (-mu * b).exp()) / mu;
        within(&format!("jobs in [{a}, {b})"), &r.bin.mean_in_system, exact);
        // The jobs present at 0 are not arrivals.
        within(&format!("arrivals in [{a}, {b})"), &r.bin.arrivals, lambda);
    }
    // They are jobs of the run all the same: measured from time 0, every
    // one of them completes or is still present at the end.
    let all = &out.rows[0];
    assert!(all.stats.jobs > u64::from(REPLICATIONS) * 50);
}

#[test]
fn bad_initial_states_are_refused() {
    let base = r#"
name = "initial"
horizon = { jobs = 1000 }
[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 0.5 }
service = { dist = "exponential", mean = 1.0 }
INITIAL
[[nodes]]
name = "pool"
servers = 1
capacity = 10
[policy]
discipline = "fcfs"
"#;
    common::refused(
        &base.replace("INITIAL", "initial = { nowhere = 3 }"),
        "classes[0].initial.nowhere",
        "no such node",
    );
    common::refused(
        &base.replace("INITIAL", "initial = { pool = 11 }"),
        "classes[0].initial.pool",
        "capacity of 10",
    );
    common::refused(
        &base.replace("INITIAL", "initial = { pool = -1 }"),
        "initial",
        "-1",
    );
    common::refused(
        &base
            .replace("INITIAL", "initial = { pool = 3 }")
            .replace("capacity = 10", "capacity = 1000")
            .replace(
                "[policy]",
                "[[nodes]]\nname = \"b\"\nservers = 1\n[dispatch]\nrule = \"pull\"\n[policy]",
            ),
        "classes[0].initial.pool",
        "central queue",
    );
    common::refused(
        &base
            .replace("INITIAL", "initial = { pool = 2000000 }")
            .replace("capacity = 10", ""),
        "classes[0].initial.pool",
        "--max-present",
    );
}

/// `warmup = "auto"` on an M/M/1 at load 0.9 started with 200 jobs
/// present: a zero warm-up leaves the start's backlog in the mean response
/// (biased high, the exact 1/(μ − λ) = 10 outside its CI); MSER-5 cuts it
/// (within the 99.9% interval of 20 replications: 3.883 / 2.093 times the
/// 95% half-width, Student t with 19 degrees of freedom).
#[test]
fn auto_warmup_removes_the_bias_of_a_full_start() {
    let text = r#"
name = "mm1-from-200"
seed = 11
replications = 20
warmup = "auto"
horizon = { jobs = 20000 }

[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 0.9 }
service = { dist = "exponential", mean = 1.0 }
initial = { server = 200 }

[[nodes]]
name = "server"
servers = 1

[policy]
discipline = "fcfs"
"#;
    let exact = 10.0;
    let mut scenario = Scenario::from_toml(text, Path::new("auto.toml")).unwrap();
    let auto = experiment::run(&scenario);
    let w = &auto.rows[0].stats.mean_response;
    let h = w.ci95.unwrap();
    assert!(
        (w.mean - exact).abs() <= h * 3.883 / 2.093,
        "auto: {} ± {h}",
        w.mean
    );
    let chosen = &auto.warmups[0];
    assert_eq!(chosen.jobs.len(), 20);
    // 200 jobs ahead drain at rate 0.1: a warm-up of hundreds of jobs at least.
    assert!(
        chosen.jobs.iter().all(|j| (200..=20000).contains(j)),
        "{:?}",
        chosen.jobs
    );
    scenario.warmup_auto = false;
    let zero = experiment::run(&scenario);
    let z = &zero.rows[0].stats.mean_response;
    assert!(
        z.mean - exact > z.ci95.unwrap(),
        "a zero warm-up is biased: {} ± {:?}",
        z.mean,
        z.ci95
    );
    assert!(zero.warmups.is_empty());
}

#[test]
fn bad_warmups_are_refused() {
    let text = r#"
name = "w"
warmup = "soon"
horizon = { jobs = 100 }
[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 0.5 }
service = { dist = "exponential", mean = 1.0 }
[[nodes]]
name = "n"
servers = 1
"#;
    common::refused(text, "warmup", "\"soon\"");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("w.toml");
    std::fs::write(&file, text.replace("\"soon\"", "\"auto\"")).unwrap();
    for args in [
        vec!["run", "--warmup", "later"],
        vec!["validate", "--jobs", "10"],
    ] {
        let out = schedlab().args(&args).arg(&file).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("warmup"), "{err}");
    }
}
