//! Sweeps, plots and the results tree, as a user meets them on the command
//! line: the rows of sweep.csv, independence from the thread count, the
//! pictures' content, `schedlab plot` redrawing the same bytes, agreement
//! with theory along a load sweep, bad input, and Ctrl-C.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use schedlab::report::files::{SweepRecord, read_csv};

const MM1: &str = r#"
name = "mm1-sweep"
seed = 3
replications = 8
warmup = { jobs = 2000 }
horizon = { jobs = 40000 }

[[classes]]
name = "short"
arrival = { dist = "exponential", rate = 0.3 }
service = { dist = "exponential", mean = 1.0 }

[[classes]]
name = "long"
arrival = { dist = "exponential", rate = 0.1 }
service = { dist = "exponential", mean = 1.0 }

[[nodes]]
name = "cpu"
servers = 1

[policy]
compare = ["fcfs", "ps", { discipline = "rr", quantum = 0.5 }]

[sweep]
param = "load"
values = "0.2:0.8:0.2"
"#;

fn schedlab() -> Command {
    Command::cargo_bin("schedlab").expect("binary is built")
}

fn scenario(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("scenario.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Every file under `dir`, by relative path, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    schedlab()
        .arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn sweep_csv_has_one_row_per_point_policy_and_class() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), MM1);
    let out = dir.path().join("out");
    sweep(&file, &out, &["--jobs", "3000", "--replications", "3"]);
    let rows: Vec<SweepRecord> = read_csv(&out.join("sweep.csv")).unwrap();
    // 4 points x 3 policies x (all + 2 classes).
    assert_eq!(rows.len(), 4 * 3 * 3);
    let values: Vec<f64> = rows.iter().step_by(9).map(|r| r.value).collect();
    assert_eq!(values.len(), 4);
    for (v, want) in values.iter().zip([0.2, 0.4, 0.6, 0.8]) {
        assert!((v - want).abs() < 1e-12, "{v} vs {want}");
    }
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.point, i / 9);
        assert_eq!(r.param, "load");
        assert!(
            (r.load - r.value).abs() < 1e-9,
            "load column is the offered load"
        );
        let policy = ["fcfs", "ps", "rr(q=0.5)"][(i / 3) % 3];
        let class = ["all", "short", "long"][i % 3];
        assert_eq!((r.policy.as_str(), r.class.as_str()), (policy, class));
        assert!(r.jobs > 0 && r.mean_response.is_some() && r.p99_response.is_some());
        // M/M/1 has a closed form for fcfs and ps, round robin none.
        assert_eq!(r.theory_mean_response.is_some(), policy != "rr(q=0.5)");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["kind"], "sweep");
    assert_eq!(manifest["param"], "load");
    assert_eq!(manifest["values"].as_array().unwrap().len(), 4);
    assert!(manifest["scenario"].as_str().unwrap().contains("[sweep]"));
    assert!(manifest["host_threads"].as_u64().unwrap() >= 1);
}

#[test]
fn a_sweep_gives_the_same_files_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), MM1);
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let args = ["--jobs", "2000", "--replications", "4"];
    sweep(&file, &one, &[&args[..], &["--threads", "1"]].concat());
    sweep(&file, &two, &[&args[..], &["--threads", "2"]].concat());
    let (a, b) = (files(&one), files(&two));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        if name == Path::new("manifest.json") {
            continue; // wall time and thread count differ by design
        }
        assert!(
            bytes == &b[name],
            "{} differs between 1 and 2 threads",
            name.display()
        );
    }
}

#[test]
fn plots_redrawn_from_csv_equal_those_of_the_run_and_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), MM1);
    let run = dir.path().join("run");
    schedlab()
        .args(["run"])
        .arg(&file)
        .args(["--jobs", "3000", "--replications", "3", "--out"])
        .arg(&run)
        .assert()
        .success();
    let sw = dir.path().join("sweep");
    sweep(&file, &sw, &["--jobs", "2000", "--replications", "3"]);
    for tree in [&run, &sw] {
        let before = files(&tree.join("plots"));
        assert!(!before.is_empty());
        std::fs::remove_dir_all(tree.join("plots")).unwrap();
        schedlab().arg("plot").arg(tree).assert().success();
        let after = files(&tree.join("plots"));
        assert_eq!(before.len(), after.len());
        for (name, bytes) in &before {
            assert!(
                bytes == &after[name],
                "{} differs when redrawn",
                name.display()
            );
        }
    }
}

/// Checks a PNG's signature and its header's dimensions.
fn assert_png(bytes: &[u8]) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert!(w >= 1000 && h >= 600, "{w}x{h} is too small for a slide");
    assert_eq!(&bytes[bytes.len() - 8..bytes.len() - 4], b"IEND");
}

/// Whether an SVG draws `label` as one text element (plotters writes the
/// text on a line of its own).
fn has_text(svg: &str, label: &str) -> bool {
    let escaped = label
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    svg.contains(&format!(">\n{escaped}\n</text>"))
}

fn svg(tree: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(tree.join("plots").join(format!("{name}.svg"))).unwrap();
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    assert_png(&std::fs::read(tree.join("plots").join(format!("{name}.png"))).unwrap());
    text
}

#[test]
fn pictures_are_valid_and_carry_titles_axes_and_series() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), MM1);
    let run = dir.path().join("run");
    schedlab()
        .args(["run"])
        .arg(&file)
        .args(["--jobs", "3000", "--replications", "3", "--out"])
        .arg(&run)
        .assert()
        .success();
    let policies = ["fcfs", "ps", "rr(q=0.5)"];
    let cdf = svg(&run, "response-cdf");
    assert!(has_text(&cdf, "mm1-sweep: distribution of response time"));
    assert!(has_text(&cdf, "fraction of jobs with response <= t"));
    assert!(cdf.contains("response time (time units)"));
    let hist = svg(&run, "response-histogram");
    assert!(hist.contains("histogram of response time"));
    assert!(hist.contains("density (fraction of jobs per time unit)"));
    let pct = svg(&run, "percentiles");
    for label in ["p50", "p95", "p99", "response-time percentiles"] {
        assert!(pct.contains(label), "{label}");
    }
    let path = svg(&run, "sample-path");
    assert!(path.contains("jobs in system"));
    let util = svg(&run, "utilization");
    assert!(util.contains("utilisation per node") && has_text(&util, "cpu"));
    for p in policies {
        for (name, text) in [("cdf", &cdf), ("hist", &hist), ("percentiles", &pct)] {
            let text = text.as_str();
            assert!(has_text(text, p), "{p} missing in {name}");
        }
        assert!(path.contains(&format!("replication 0, {p}")));
        assert!(has_text(&util, p));
    }

    let sw = dir.path().join("sweep");
    sweep(&file, &sw, &["--jobs", "2000", "--replications", "3"]);
    for (name, what) in [
        ("sweep-response", "mean response time (time units)"),
        ("sweep-wait", "mean waiting time (time units)"),
        // Exponential sizes: no mean slowdown exists, the bounded one is drawn.
        (
            "sweep-slowdown",
            "mean bounded slowdown (response / max(tau, time in service), at least 1)",
        ),
    ] {
        let text = svg(&sw, name);
        assert!(text.contains("against offered load"), "{name}");
        assert!(text.contains(what), "{name}");
        assert!(has_text(&text, "offered load"), "{name}");
        // Two classes: a line per (policy, class).
        for p in policies {
            for class in ["short", "long"] {
                let line = format!("{p}, {class}");
                assert!(has_text(&text, &line), "{line} missing in {name}");
            }
        }
        // The closed form is drawn (dashed) for the policies that have one.
        let theory = name != "sweep-slowdown";
        assert_eq!(has_text(&text, "fcfs, short: theory"), theory, "{name}");
        assert_eq!(has_text(&text, "ps, long: theory"), theory, "{name}");
        assert!(!text.contains("rr(q=0.5), short: theory"));
    }
}

/// Along an M/M/1 load sweep the simulated mean response of FCFS and PS
/// brackets 1 / (mu - lambda) within two confidence half-widths at every
/// point. Exponential sizes have no finite E[1/S], so no mean slowdown is
/// reported, only the bounded one (PS's slowdown 1 / (1 - rho) is checked
/// per size bin with sizes bounded away from 0, in tests/statistics.rs).
#[test]
fn a_load_sweep_follows_theory_and_reports_only_a_bounded_slowdown_for_exponential_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), MM1);
    let out = dir.path().join("out");
    sweep(&file, &out, &["--compare", "fcfs,ps"]);
    let rows: Vec<SweepRecord> = read_csv(&out.join("sweep.csv")).unwrap();
    let mut checked = 0;
    for r in rows.iter().filter(|r| r.class == "all") {
        let exact = 1.0 / (1.0 - r.value);
        let (m, h) = (r.mean_response.unwrap(), r.mean_response_ci95.unwrap());
        assert!(
            (m - exact).abs() <= 2.0 * h,
            "{} at {}: {m} ± {h} vs {exact}",
            r.policy,
            r.value
        );
        assert!((r.theory_mean_response.unwrap() - exact).abs() < 1e-9);
        assert_eq!(r.mean_slowdown, None);
        assert!(r.mean_bounded_slowdown.unwrap() >= 1.0);
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn sweeps_over_servers_quantum_and_a_class_rate_change_what_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), MM1);
    let run = |param: &str, values: &str| -> Vec<SweepRecord> {
        let out = dir.path().join(param.replace(['.', '[', ']'], "_"));
        sweep(
            &file,
            &out,
            &[
                "--param",
                param,
                "--values",
                values,
                "--jobs",
                "2000",
                "--replications",
                "2",
            ],
        );
        read_csv(&out.join("sweep.csv")).unwrap()
    };
    let servers = run("servers", "1,2,4");
    let loads: Vec<f64> = servers.iter().step_by(9).map(|r| r.load).collect();
    assert_eq!(loads.len(), 3);
    for (l, c) in loads.iter().zip([1.0, 2.0, 4.0]) {
        assert!((l - 0.4 / c).abs() < 1e-9, "{l}");
    }
    let quantum = run("quantum", "0.1,1");
    let rr: Vec<&str> = quantum
        .iter()
        .filter(|r| r.class == "all" && r.policy.starts_with("rr"))
        .map(|r| r.policy.as_str())
        .collect();
    assert_eq!(rr, ["rr(q=0.1)", "rr(q=1)"]);
    let rate = run("classes.long.arrival.rate", "0.2,0.4");
    let loads: Vec<f64> = rate.iter().step_by(9).map(|r| r.load).collect();
    for (l, want) in loads.iter().zip([0.5, 0.7]) {
        assert!((l - want).abs() < 1e-9, "{l}");
    }
}

/// Exit code 2, one line naming where and what, and no output directory.
fn rejects(args: &[&str], scenario_text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), scenario_text);
    let out = dir.path().join("out");
    let assert = schedlab()
        .arg("sweep")
        .arg(&file)
        .args(args)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "missing {e:?} in {stderr}");
    }
    assert!(!stderr.contains("panicked"));
    assert!(!out.exists(), "no output on bad input");
}

#[test]
fn bad_sweeps_are_refused_with_the_field_and_value() {
    let no_sweep = MM1.split("[sweep]").next().unwrap();
    rejects(
        &["--param", "lod", "--values", "1"],
        MM1,
        &["--param", "\"lod\"", "unknown parameter"],
    );
    rejects(
        &["--param", "load", "--values", "0.9:0.1:0.1"],
        MM1,
        &["--values", "stop is below start"],
    );
    rejects(
        &["--param", "load", "--values", "0.5,x"],
        MM1,
        &["--values", "`x` is not a finite number"],
    );
    rejects(
        &["--param", "load", "--values", "-0.5"],
        MM1,
        &["--values", "-0.5", "greater than 0"],
    );
    rejects(
        &["--param", "servers", "--values", "1.5"],
        MM1,
        &["--values", "1.5", "whole numbers"],
    );
    rejects(
        &["--param", "classes.medium.arrival.rate", "--values", "1"],
        MM1,
        &["no class `medium`", "short, long"],
    );
    rejects(
        &["--param", "dispatch.cutoffs[0]", "--values", "1"],
        MM1,
        &["sita"],
    );
    rejects(
        &["--param", "load"],
        MM1,
        &["--values", "--param needs --values"],
    );
    rejects(&[], no_sweep, &["--param", "[sweep] section"]);
    rejects(
        &[
            "--param",
            "quantum",
            "--values",
            "1",
            "--compare",
            "fcfs,ps",
        ],
        MM1,
        &["--param", "no compared policy takes a quantum"],
    );
    let bad_file = MM1.replace("param = \"load\"", "param = \"speed\"");
    rejects(
        &[],
        &bad_file,
        &["scenario.toml", "sweep.param", "\"speed\""],
    );
    let bad_values = MM1.replace("values = \"0.2:0.8:0.2\"", "values = \"0.2:0.8\"");
    rejects(
        &[],
        &bad_values,
        &["scenario.toml", "sweep.values", "start:stop:step"],
    );
}

#[test]
fn plot_refuses_what_is_not_a_results_tree() {
    let dir = tempfile::tempdir().unwrap();
    let assert = schedlab().arg("plot").arg(dir.path()).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("neither results.csv nor sweep.csv"),
        "{stderr}"
    );
    std::fs::write(
        dir.path().join("sweep.csv"),
        "point,param,value\n0,load,oops\n",
    )
    .unwrap();
    let assert = schedlab().arg("plot").arg(dir.path()).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("sweep.csv:2"), "{stderr}");
    assert!(!dir.path().join("plots").exists());
    schedlab()
        .arg("plot")
        .arg(dir.path().join("nowhere"))
        .assert()
        .code(2);
}

/// Ctrl-C while simulating ends the run with 130 and writes nothing; no
/// temporary file is left behind.
#[cfg(unix)]
#[test]
fn an_interrupted_sweep_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), MM1);
    let out = dir.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("schedlab");
    let mut child = std::process::Command::new(bin)
        .arg("sweep")
        .arg(&file)
        .args(["--jobs", "100000000", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(!out.exists() || files(&out).is_empty());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".schedlab-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

const LIFECYCLE: &str = r#"
name = "lifecycle-plots"
seed = 5
replications = 2
warmup = { jobs = 1000 }
horizon = { jobs = 100000 }

[[classes]]
name = "flaky"
arrival = { dist = "exponential", rate = 0.4 }
service = { dist = "exponential", mean = 1.0 }
[classes.attempts]
failure = { p = 0.3, at = "end" }
retry = { max_attempts = 3, initial = 0.1, coefficient = 2.0 }

[[classes]]
name = "impatient"
arrival = { dist = "exponential", rate = 0.2 }
service = { dist = "exponential", mean = 1.0 }
[classes.attempts]
queue_timeout = 0.3

[[nodes]]
name = "pool"
servers = 1

[[alarms]]
name = "burst"
when = { failures = 3, window = 5.0 }

[[alarms]]
name = "waiting"
when = { queue = 1, node = "pool" }

[[alarms]]
name = "never"
when = { gave_up = 100000000 }
"#;

#[test]
fn lifecycle_runs_plot_attempts_per_task_and_alarm_intervals() {
    use schedlab::report::files::{AttemptsRecord, IntervalRecord};
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), LIFECYCLE);
    let run = dir.path().join("run");
    schedlab()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&run)
        .assert()
        .success();

    let attempts: Vec<AttemptsRecord> = read_csv(&run.join("attempts.csv")).unwrap();
    let of = |class: &str, k: u32| {
        attempts
            .iter()
            .find(|r| r.class == class && r.attempts == k)
            .map_or(0, |r| r.tasks)
    };
    // Up to 3 attempts of the flaky class, all started; the impatient
    // class starts one attempt or gives up in the queue before any.
    assert_eq!(of("flaky", 0), 0);
    assert!((1..=3).all(|k| of("flaky", k) > 0));
    assert!(
        !attempts
            .iter()
            .any(|r| r.class == "flaky" && r.attempts > 3)
    );
    assert!(of("impatient", 0) > 0 && of("impatient", 1) > 0);
    assert!(
        !attempts
            .iter()
            .any(|r| r.class == "impatient" && r.attempts > 1)
    );
    let chart = svg(&run, "attempts");
    assert!(has_text(
        &chart,
        "lifecycle-plots: attempts started per task"
    ));
    assert!(has_text(&chart, "share of tasks ended, per class"));
    assert!(chart.contains("attempts started (0: given up before any attempt)"));
    for label in ["flaky", "impatient", "0", "1", "2", "3"] {
        assert!(has_text(&chart, label), "{label}");
    }

    let intervals: Vec<IntervalRecord> = read_csv(&run.join("alarm-intervals.csv")).unwrap();
    let raised = |alarm: &str| {
        intervals
            .iter()
            .filter(|r| r.alarm == alarm && r.from.is_some())
            .count()
    };
    assert!(raised("burst") > 0);
    // The queue alarm flaps at each wait: more intervals than are kept,
    // and a closing row says how many were left out.
    assert_eq!(raised("waiting"), schedlab::stats::alarms::MAX_INTERVALS);
    let closing = intervals
        .iter()
        .find(|r| r.alarm == "waiting" && r.from.is_none())
        .unwrap();
    assert!(closing.dropped > 0);
    // An alarm never raised keeps its lane, with one empty row.
    assert_eq!(raised("never"), 0);
    assert!(
        intervals
            .iter()
            .any(|r| r.alarm == "never" && r.dropped == 0)
    );
    for r in intervals.iter().filter(|r| r.from.is_some()) {
        assert!(r.from <= r.to, "{r:?}");
    }
    let timeline = svg(&run, "alarm-intervals");
    assert!(has_text(
        &timeline,
        "lifecycle-plots: alarms raised in replication 0"
    ));
    let note = format!(
        "time (time units); first 10000 intervals of an alarm drawn, {} more left out",
        closing.dropped
    );
    assert!(has_text(&timeline, &note), "{note}");
    for lane in ["burst", "waiting", "never"] {
        assert!(has_text(&timeline, lane), "{lane}");
    }

    // `schedlab plot` redraws them from the files, byte for byte.
    let before = files(&run.join("plots"));
    std::fs::remove_dir_all(run.join("plots")).unwrap();
    schedlab().arg("plot").arg(&run).assert().success();
    assert_eq!(before, files(&run.join("plots")));
}
