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
    assert!(cdf.contains("response time (time units"));
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
            "mean bounded slowdown, max(1, T / max(tau, S))",
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

/// The `<text>` elements of an SVG: (x, y, content), rotated ones left out.
fn texts(svg: &str) -> Vec<(f64, f64, String)> {
    let attr = |tag: &str, name: &str| -> Option<f64> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[start..].split('"').next()?.parse().ok()
    };
    svg.split("<text ")
        .skip(1)
        .filter_map(|rest| {
            let (tag, body) = rest.split_once('>')?;
            let tag = &format!(" {tag}");
            if tag.contains("rotate") {
                return None;
            }
            let content = body.split("</text>").next()?.trim().to_string();
            Some((attr(tag, "x")?, attr(tag, "y")?, content))
        })
        .collect()
}

/// The x-axis tick labels of a chart: the numbers that share one row of
/// text, left to right.
fn x_ticks(svg: &str) -> Vec<(f64, String)> {
    let numbers: Vec<(f64, f64, String)> = texts(svg)
        .into_iter()
        .filter(|t| t.2.parse::<f64>().is_ok())
        .collect();
    let mut best: Vec<(f64, String)> = Vec::new();
    for (_, y, _) in &numbers {
        let row: Vec<(f64, String)> = numbers
            .iter()
            .filter(|t| t.1 == *y)
            .map(|t| (t.0, t.2.clone()))
            .collect();
        if row.len() > best.len() {
            best = row;
        }
    }
    best.sort_by(|a, b| a.0.total_cmp(&b.0));
    best
}

/// No axis title or caption of an SVG has two parentheses in a row, as
/// "(time units) (log scale)".
fn assert_one_parenthesis(svg: &str) {
    for (_, _, t) in texts(svg) {
        assert!(!t.contains(") ("), "{t}");
    }
    for rotated in svg.split("rotate(").skip(1) {
        let content = rotated.split("</text>").next().unwrap();
        assert!(!content.contains(") ("), "{content}");
    }
}

#[test]
fn a_sweep_over_servers_ticks_whole_numbers_over_the_swept_range() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), MM1);
    let out = dir.path().join("out");
    let assert = schedlab()
        .arg("sweep")
        .arg(&file)
        .args(["--param", "servers", "--values", "2,3,4,5,6"])
        .args(["--compare", "fcfs", "--jobs", "1000", "--replications", "2"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    // The table prints the servers as integers.
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let firsts: Vec<&str> = stdout
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .take_while(|c| c.parse::<f64>().is_ok())
        .collect();
    assert!(!firsts.is_empty(), "{stdout}");
    for c in &firsts {
        assert!(c.parse::<u32>().is_ok(), "{c} in {stdout}");
    }
    for name in ["sweep-response", "sweep-wait", "sweep-slowdown"] {
        let text = svg(&out, name);
        let ticks = x_ticks(&text);
        let values: Vec<f64> = ticks.iter().map(|t| t.1.parse().unwrap()).collect();
        assert!(values.len() >= 2, "{name}: {ticks:?}");
        for t in &ticks {
            assert!(
                t.1.parse::<u32>().is_ok(),
                "{name}: tick {} is not whole",
                t.1
            );
        }
        assert!(values[0] >= 2.0, "{name}: the axis starts at {}", values[0]);
        assert!(
            values.contains(&2.0) && values.contains(&6.0),
            "{name}: {values:?}"
        );
        // Labels keep apart: centres further apart than the wider label
        // (20-pixel digits at most).
        for w in ticks.windows(2) {
            let widest = 12.0 * w[0].1.len().max(w[1].1.len()) as f64;
            assert!(w[1].0 - w[0].0 > widest + 8.0, "{name}: {ticks:?}");
        }
        assert_one_parenthesis(&text);
    }
    // The closed form (dashed, in a darker shade of fcfs's blue) is drawn
    // after, so over, the simulated line.
    let text = svg(&out, "sweep-response");
    let legend = text.find("opacity=\"0.85\"").unwrap();
    let simulated = text[..legend].rfind("stroke=\"#0072B2\"").unwrap();
    let theory = text
        .find("stroke=\"#004F7C\"")
        .expect("the closed form is drawn");
    assert!(theory > simulated && theory < legend);
}

/// The points of the `<polyline>`s of one stroke colour.
fn polyline_points(svg: &str, colour: &str) -> Vec<(f64, f64)> {
    svg.split("<polyline ")
        .skip(1)
        .filter(|p| p.contains(&format!("stroke=\"{colour}\"")))
        .flat_map(|p| {
            let points = p
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            points
                .split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The legends' boxes of an SVG: (x, y, width, height).
fn legend_boxes(svg: &str) -> Vec<(f64, f64, f64, f64)> {
    svg.split("<rect ")
        .skip(1)
        .filter(|r| r.contains("opacity=\"0.85\""))
        .map(|r| {
            let num = |name: &str| -> f64 {
                r.split(&format!("{name}=\""))
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            (num("x"), num("y"), num("width"), num("height"))
        })
        .collect()
}

const WIDE: &str = r#"
name = "wide"
seed = 11
replications = 2
warmup = { time = 500 }
horizon = { jobs = 4000 }

[[classes]]
name = "mixed"
arrival = { dist = "exponential", rate = 0.5 }
service = { dist = "hyperexponential", mean = 1.0, scv = 50 }

[[nodes]]
name = "cpu"
servers = 1

[policy]
compare = ["fcfs"]
"#;

#[test]
fn run_plots_start_after_the_warm_up_keep_legends_clear_and_bin_wide_data_by_decades() {
    use schedlab::report::files::{HistogramRecord, PathRecord};
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), WIDE);
    let run = dir.path().join("run");
    schedlab()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&run)
        .assert()
        .success();
    // The sample path begins where the warm-up (time 500) ends.
    let path: Vec<PathRecord> = read_csv(&run.join("sample-path.csv")).unwrap();
    assert_eq!(path[0].time, 500.0);
    assert!(path.iter().all(|p| p.time >= 500.0));
    // One panel: smaller than a slide, so read without svg()'s size check.
    let picture = std::fs::read_to_string(run.join("plots/sample-path.svg")).unwrap();
    let ticks = x_ticks(&picture);
    assert!(ticks.iter().all(|t| t.1 != "0"), "{ticks:?}");
    // Its legend covers none of the line (the legend's own swatch, a
    // line of two points, aside).
    let line: Vec<(f64, f64)> = picture
        .split("<polyline ")
        .filter(|p| p.matches(',').count() > 2)
        .flat_map(|p| polyline_points(&format!("<polyline {p}"), "#0072B2"))
        .collect();
    assert!(line.len() > 100);
    let boxes = legend_boxes(&picture);
    assert_eq!(boxes.len(), 1);
    for (bx, by, bw, bh) in boxes {
        for &(x, y) in &line {
            let inside = x > bx && x < bx + bw && y > by && y < by + bh;
            assert!(
                !inside,
                "({x}, {y}) under the legend at {bx},{by} {bw}x{bh}"
            );
        }
    }
    // Sizes of squared coefficient of variation 50 span more than two
    // decades: the bins grow by a constant ratio from above 0.
    let bins: Vec<HistogramRecord> = read_csv(&run.join("response-histogram.csv")).unwrap();
    assert!(bins.len() > 20);
    assert!(bins[0].bin_start > 0.0);
    let ratio = |b: &HistogramRecord| b.bin_end / b.bin_start;
    let last = bins.last().unwrap();
    assert!((ratio(last) / ratio(&bins[bins.len() / 2]) - 1.0).abs() < 0.1);
    assert!(last.bin_end - last.bin_start > 100.0 * (bins[0].bin_end - bins[0].bin_start));
    let hist = svg(&run, "response-histogram");
    assert!(hist.contains("response time (time units, log scale)"));
    assert!(hist.contains("share of jobs per decade of response time"));
    assert_one_parenthesis(&hist);
    // Utilisation's error bars are whiskers, with no dot in the middle.
    let util = svg(&run, "utilization");
    assert!(!util.contains("<circle"));
    assert!(polyline_points(&util, "#000000").len() > 4);

    // Exponential sizes keep equal bins from 0.
    let file = scenario(dir.path(), MM1);
    let mm1 = dir.path().join("mm1");
    schedlab()
        .arg("run")
        .arg(&file)
        .args([
            "--jobs",
            "3000",
            "--replications",
            "2",
            "--compare",
            "fcfs",
            "--out",
        ])
        .arg(&mm1)
        .assert()
        .success();
    let bins: Vec<HistogramRecord> = read_csv(&mm1.join("response-histogram.csv")).unwrap();
    assert_eq!(bins[0].bin_start, 0.0);
    let width = bins[0].bin_end - bins[0].bin_start;
    assert!(
        bins.iter()
            .all(|b| ((b.bin_end - b.bin_start) - width).abs() < 1e-9 * width.max(1.0))
    );
}

/// The fill of each block of a Gantt SVG, by the label drawn in it.
fn block_fills(svg: &str) -> Vec<(String, String)> {
    let rects: Vec<(f64, f64, f64, f64, String)> = svg
        .split("<rect ")
        .skip(1)
        .filter_map(|r| {
            let r = &format!(" {r}");
            let get = |name: &str| r.split(&format!(" {name}=\"")).nth(1)?.split('"').next();
            let fill = get("fill")?.to_string();
            if fill == "none" || fill == "#FFFFFF" || get("opacity")? != "1" {
                return None;
            }
            let num = |name: &str| get(name).and_then(|v| v.parse().ok());
            Some((num("x")?, num("y")?, num("width")?, num("height")?, fill))
        })
        .collect();
    texts(svg)
        .into_iter()
        .filter_map(|(x, y, label)| {
            rects
                .iter()
                .find(|r| x > r.0 && x < r.0 + r.2 && y > r.1 && y < r.1 + r.3 && r.2 > 30.0)
                .map(|r| (label, r.4.clone()))
        })
        .collect()
}

#[test]
fn gantt_pictures_colour_jobs_alike_in_every_chart_with_cpu_0_on_top() {
    use schedlab::report::plot::gantt_svg;
    use schedlab::teaching::{self, Options, parse_jobs};
    // 20 jobs, arriving in an order that SJF and FCFS run differently.
    let mut list = String::from("id,arrival,burst\n");
    for i in 0..20 {
        list.push_str(&format!("J{i},{},{}\n", i % 3, 3 + (7 * i) % 11));
    }
    let tasks = parse_jobs(&list).unwrap();
    let chart = |policy: &str| {
        let options = Options {
            policy: policy.into(),
            cpus: 2,
            ..Options::default()
        };
        gantt_svg(&teaching::schedule(&tasks, &options).unwrap()).unwrap()
    };
    let (fcfs, sjf) = (chart("fcfs"), chart("sjf"));
    let mut colours = std::collections::BTreeMap::new();
    for svg in [&fcfs, &sjf] {
        let fills = block_fills(svg);
        assert_eq!(fills.len(), 20, "{fills:?}");
        let distinct: std::collections::BTreeSet<&String> = fills.iter().map(|f| &f.1).collect();
        assert!(distinct.len() >= 16, "{distinct:?}");
        for (job, fill) in fills {
            let first = colours.entry(job.clone()).or_insert_with(|| fill.clone());
            assert_eq!(*first, fill, "{job} changes colour between charts");
        }
        // Jobs beyond the 16 colours are hatched.
        assert!(svg.matches("<polyline").count() > 20);
        let y = |label: &str| {
            texts(svg)
                .into_iter()
                .find(|t| t.2 == label)
                .unwrap_or_else(|| panic!("{label} missing"))
                .1
        };
        assert!(y("CPU 0") < y("CPU 1"), "CPU 0 is drawn below CPU 1");
    }
}

#[test]
fn gantt_names_too_long_for_their_blocks_are_abbreviated_with_a_key() {
    use schedlab::report::plot::gantt_svg;
    use schedlab::teaching::{self, Options, parse_jobs};
    let list = "id,arrival,burst\ncompile-kernel,0,1\nbackup,0,1\nrender_frames,0,30\n";
    let tasks = parse_jobs(list).unwrap();
    let options = Options {
        policy: "fcfs".into(),
        ..Options::default()
    };
    let svg = gantt_svg(&teaching::schedule(&tasks, &options).unwrap()).unwrap();
    let labels: Vec<String> = texts(&svg).into_iter().map(|t| t.2).collect();
    // "bac" is too wide for its block: only the key names it.
    for want in ["ck", "render_frames", "ck = compile-kernel", "bac = backup"] {
        assert!(
            labels.iter().any(|l| l == want),
            "{want} missing from {labels:?}"
        );
    }
    // The long block keeps its whole name, so the key leaves it out.
    assert!(!labels.iter().any(|l| l.ends_with("= render_frames")));
    for (label, _) in block_fills(&svg) {
        assert!(label.chars().count() >= 2, "{label} is cut to one letter");
    }
}
