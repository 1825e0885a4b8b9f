//! Statistics that mean what they say: slowdown only where its mean
//! exists, bounded and median slowdowns, percentile confidence intervals,
//! and response and slowdown by job size.

use std::path::Path;

use schedlab::experiment::{self, RunOutput};
use schedlab::model::Scenario;
use statrs::distribution::{ContinuousCDF, StudentsT};

fn run(text: &str) -> RunOutput {
    let scenario = Scenario::from_toml(text, Path::new("test.toml")).expect("valid scenario");
    experiment::run(&scenario)
}

fn one_node(service: &str, policy: &str, arrival_rate: f64, jobs: u64, extra: &str) -> String {
    format!(
        r#"
name = "t"
seed = 11
replications = 10
warmup = {{ jobs = 5000 }}
horizon = {{ jobs = {jobs} }}
{extra}
[[classes]]
name = "jobs"
arrival = {{ dist = "exponential", rate = {arrival_rate} }}
service = {service}

[[nodes]]
name = "cpu"
servers = 1

[policy]
discipline = "{policy}"
"#
    )
}

/// The factor turning a 95% half-width over `n` replications into a
/// `1 − 0.05/m` one: Bonferroni's correction, so that `m` intervals
/// checked together all cover their true values with probability 95%.
fn bonferroni(n: u64, m: usize) -> f64 {
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).unwrap();
    t.inverse_cdf(1.0 - 0.025 / m as f64) / t.inverse_cdf(0.975)
}

#[test]
fn mean_slowdown_is_absent_for_exponential_sizes_and_present_for_deterministic() {
    let exp = run(&one_node(
        r#"{ dist = "exponential", mean = 1.0 }"#,
        "fcfs",
        0.5,
        20_000,
        "",
    ));
    let all = &exp.rows[0].stats;
    assert!(all.mean_slowdown.mean.is_nan(), "{:?}", all.mean_slowdown);
    assert!(all.mean_bounded_slowdown.mean.is_finite());
    assert!(all.median_slowdown.is_finite());
    let scenario = Scenario::from_toml(
        &one_node(
            r#"{ dist = "exponential", mean = 1.0 }"#,
            "fcfs",
            0.5,
            20_000,
            "",
        ),
        Path::new("t.toml"),
    )
    .unwrap();
    let doc = schedlab::report::RunDocument::new(&scenario, &exp).to_json();
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert!(v["results"][0]["mean_slowdown"].is_null(), "{doc}");
    assert!(v["results"][0]["mean_bounded_slowdown"].is_number());

    // Every job of size 1: slowdown = response, so the means agree.
    let det = run(&one_node(
        r#"{ dist = "deterministic", value = 1.0 }"#,
        "fcfs",
        0.5,
        20_000,
        "",
    ));
    let s = &det.rows[0].stats;
    assert!(
        (s.mean_slowdown.mean - s.mean_response.mean).abs() < 1e-9,
        "{:?} {:?}",
        s.mean_slowdown,
        s.mean_response
    );
    // tau defaults to the 10th percentile of sizes, 1: bounded = plain here.
    assert_eq!(det.slowdown_tau, 1.0);
    assert!((s.mean_bounded_slowdown.mean - s.mean_slowdown.mean).abs() < 1e-9);
}

#[test]
fn percentile_intervals_cover_the_exact_mm1_response_quantiles() {
    // M/M/1 FCFS: the response time is exponential with rate mu - lambda
    // (Kleinrock, Queueing Systems vol. 1, eq. 3.28), so its q-quantile is
    // -ln(1 - q) / (mu - lambda).
    let out = run(&one_node(
        r#"{ dist = "exponential", mean = 1.0 }"#,
        "fcfs",
        0.6,
        100_000,
        "",
    ));
    let s = &out.rows[0].stats;
    let factor = bonferroni(10, 4);
    for (i, q) in [0.5, 0.9, 0.95, 0.99].into_iter().enumerate() {
        let exact = -f64::ln(1.0 - q) / (1.0 - 0.6);
        let (est, h) = (
            s.response_quantiles[i],
            s.response_quantiles_ci95[i].unwrap(),
        );
        assert!(
            (est - exact).abs() <= h * factor,
            "p{}: {est} ± {h} vs exact {exact}",
            q * 100.0
        );
        assert!(h < 0.05 * exact, "a useful interval: {h} at {exact}");
    }
    let max = s.max_response;
    assert!(max > s.response_quantiles[3] && max.is_finite());
}

#[test]
fn processor_sharing_slows_every_size_bin_by_one_over_one_minus_rho() {
    // M/G/1-PS: E[T | S = x] = x / (1 - rho) for any size distribution
    // (Kleinrock, Queueing Systems vol. 2, §4.4), so every bin's mean
    // slowdown is 1 / (1 - rho) = 2 at rho = 0.5. Sizes bounded away from
    // 0 give every bin a finite mean.
    let out = run(&one_node(
        r#"{ dist = "uniform", low = 0.2, high = 1.8 }"#,
        "ps",
        0.5,
        50_000,
        "[output]\nsize_bins = [0.5, 1.0, 1.5]\n",
    ));
    let bins: Vec<_> = out.size_bins.iter().filter(|b| b.class == "all").collect();
    assert_eq!(bins.len(), 4);
    // The four bins and the overall mean, checked together.
    let factor = bonferroni(10, bins.len() + 1);
    let overall = &out.rows[0].stats.mean_slowdown;
    assert!(
        (overall.mean - 2.0).abs() <= overall.ci95.unwrap() * factor,
        "{overall:?}"
    );
    for b in bins {
        let s = &b.bin.mean_slowdown;
        assert!(b.bin.jobs > 10_000, "{:?}", b.bin);
        assert!(
            (s.mean - 2.0).abs() <= s.ci95.unwrap() * factor,
            "bin [{}, {}): {:?}",
            b.bin.lo,
            b.bin.hi,
            s
        );
    }
}

#[test]
fn a_size_bin_reaching_zero_has_no_mean_slowdown_for_exponential_sizes() {
    let out = run(&one_node(
        r#"{ dist = "exponential", mean = 1.0 }"#,
        "fcfs",
        0.5,
        20_000,
        "",
    ));
    let bins: Vec<_> = out.size_bins.iter().filter(|b| b.class == "all").collect();
    // The deciles of Exp(1): -ln(1 - i/10).
    assert_eq!(bins.len(), 10);
    assert!((bins[1].bin.lo - -f64::ln(0.9)).abs() < 1e-9);
    assert!(bins[0].bin.mean_slowdown.mean.is_nan());
    assert!(
        bins[1..]
            .iter()
            .all(|b| b.bin.mean_slowdown.mean.is_finite())
    );
    assert!(bins.iter().all(|b| b.bin.mean_response.mean.is_finite()));
}

mod common;

#[test]
fn a_bad_tau_or_bin_list_is_refused_in_one_line() {
    let text = one_node(
        r#"{ dist = "exponential", mean = 1.0 }"#,
        "fcfs",
        0.5,
        1000,
        "[output]\nslowdown_tau = -1.0\n",
    );
    common::refused(&text, "output.slowdown_tau", "-1");
    let text = one_node(
        r#"{ dist = "exponential", mean = 1.0 }"#,
        "fcfs",
        0.5,
        1000,
        "[output]\nsize_bins = [2.0, 1.0]\n",
    );
    common::refused(&text, "output.size_bins", "[2.0, 1.0]");
    let out = assert_cmd::Command::cargo_bin("schedlab")
        .unwrap()
        .args(["run", "scenarios/mm1.toml", "--size-bins", "1,x"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--size-bins") && err.contains("1,x"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn size_bins_reach_json_csv_and_a_plot_with_the_ps_reference() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = assert_cmd::Command::cargo_bin("schedlab")
        .unwrap()
        .args([
            "run",
            "scenarios/mm1.toml",
            "--jobs",
            "3000",
            "--replications",
            "3",
        ])
        .args([
            "--compare",
            "fcfs,ps",
            "--size-bins",
            "0.5,1,2,5",
            "--json",
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let bins = v["size_bins"].as_array().unwrap();
    // Two policies, rows all and jobs, five bins each.
    assert_eq!(bins.len(), 2 * 2 * 5);
    let first = &bins[0];
    for key in [
        "policy",
        "class",
        "lo",
        "hi",
        "jobs",
        "mean_response",
        "mean_slowdown",
        "mean_slowdown_ci95",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(
        (first["lo"].as_f64(), first["hi"].as_f64()),
        (Some(0.0), Some(0.5))
    );
    // Exponential sizes: the bin from 0 has no mean slowdown, the others do.
    assert!(first["mean_slowdown"].is_null());
    assert!(bins[1]["mean_slowdown"].is_number());
    assert!(bins[4]["hi"].is_null());
    assert!((v["slowdown_tau"].as_f64().unwrap() - -f64::ln(0.9)).abs() < 1e-9);
    assert!(v["results"][0]["p95_response_ci95"].is_number());
    let csv = std::fs::read_to_string(out_dir.join("size-bins.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 20);
    assert!(csv.starts_with("policy,class,lo,hi,jobs,"));
    let svg = std::fs::read_to_string(out_dir.join("plots/size-slowdown.svg")).unwrap();
    for text in [
        "mean slowdown by job size",
        "PS reference 1/(1-rho)",
        "fcfs",
        "ps",
    ] {
        assert!(
            svg.contains(&format!(">\n{text}\n</text>")) || svg.contains(text),
            "{text}"
        );
    }
}

#[test]
fn paired_differences_are_given_per_class_and_show_who_pays_under_priority() {
    let mut scenario = Scenario::from_file(Path::new("scenarios/two-classes.toml")).unwrap();
    scenario.replications = 5;
    schedlab::commands::run::compare(&mut scenario, "fcfs,priority").unwrap();
    let out = experiment::run(&scenario);
    let classes: Vec<&str> = out.paired.iter().map(|p| p.class.as_str()).collect();
    assert_eq!(classes, ["all", "interactive", "batch"]);
    for p in &out.paired {
        // The mean of per-replication differences is the difference of
        // the two rows' means (every replication saw both classes).
        let mean_of = |policy: &str| {
            out.rows
                .iter()
                .find(|r| r.policy == policy && r.class == p.class && r.node == "all")
                .unwrap()
                .stats
                .mean_response
                .mean
        };
        let d = &p.diff_mean_response;
        assert!((d.mean - (mean_of("priority") - mean_of("fcfs"))).abs() < 1e-9);
        let h = d.ci95.unwrap();
        match p.class.as_str() {
            "batch" => assert!(d.mean - h > 0.0, "batch jobs pay: {d:?}"),
            _ => assert!(d.mean + h < 0.0, "{}: {d:?}", p.class),
        }
    }
    let doc = schedlab::report::RunDocument::new(&scenario, &out).to_json();
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["paired"][2]["class"], "batch");
}

#[test]
fn a_sweep_of_several_classes_has_a_line_per_policy_and_class() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = assert_cmd::Command::cargo_bin("schedlab")
        .unwrap()
        .args(["sweep", "scenarios/two-classes.toml", "--param", "load"])
        .args(["--values", "0.5,0.8", "--replications", "2"])
        .args(["--compare", "fcfs,priority", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = table.lines().nth(1).unwrap();
    assert!(header.contains("class"), "{table}");
    // 2 points x 2 policies x 2 classes.
    let rows = table
        .lines()
        .filter(|l| l.contains("interactive") || l.contains("batch"))
        .count();
    assert_eq!(rows, 8, "{table}");
    let svg = std::fs::read_to_string(out_dir.join("plots/sweep-response.svg")).unwrap();
    for name in [
        "fcfs, interactive",
        "fcfs, batch",
        "priority, interactive",
        "priority, batch",
    ] {
        assert!(svg.contains(&format!(">\n{name}\n</text>")), "{name}");
    }
}

#[test]
fn identical_nodes_share_the_load_when_ties_are_broken_at_random() {
    for rule_line in [
        "rule = \"jsq\"",
        "rule = \"lwl\"",
        "rule = \"jiq\"",
        "rule = \"power-of-d\"\nd = 2",
        "rule = \"pull\"",
    ] {
        let nodes: String = (0..8)
            .map(|j| format!("[[nodes]]\nname = \"n{j}\"\nservers = 1\n\n"))
            .collect();
        let text = format!(
            r#"
name = "farm"
seed = 4
replications = 5
warmup = {{ jobs = 5000 }}
horizon = {{ jobs = 60000 }}

[[classes]]
name = "jobs"
arrival = {{ dist = "exponential", rate = 6.0 }}
service = {{ dist = "exponential", mean = 1.0 }}

{nodes}
[dispatch]
{rule_line}

[policy]
discipline = "fcfs"
"#
        );
        let out = run(&text);
        let utils: Vec<(f64, f64)> = out
            .rows
            .iter()
            .filter(|r| r.class == "all" && r.node != "all")
            .map(|r| (r.stats.utilization.mean, r.stats.utilization.ci95.unwrap()))
            .collect();
        assert_eq!(utils.len(), 8);
        // Every two nodes' 95% intervals overlap (lowest-index ties gave
        // a staircase from 0.78 down to 0.72, far apart).
        for (i, a) in utils.iter().enumerate() {
            for b in &utils[i + 1..] {
                assert!((a.0 - b.0).abs() <= a.1 + b.1, "{rule_line}: {utils:?}");
            }
        }
    }
}
