//! The command line as a user meets it: bad input gets one clear line and
//! exit code 2 with no output written; good input gets the documented JSON.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const GOOD: &str = r#"
name = "small"
seed = 9
replications = 3
warmup = { jobs = 100 }
horizon = { jobs = 2000 }

[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 0.5 }
service = { dist = "exponential", mean = 1.0 }

[[nodes]]
name = "n"
servers = 1
"#;

fn schedlab() -> Command {
    Command::cargo_bin("schedlab").expect("binary is built")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `schedlab run FILE --out DIR` on a broken scenario and checks the
/// error: exit code 2, one line naming the file and the given words, no
/// panic, no output directory.
fn rejects(text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.toml", text);
    let out = dir.path().join("out");
    let assert = schedlab()
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected:\n{stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("bad.toml"), "file not named: {stderr}");
    for word in expected {
        assert!(stderr.contains(word), "`{word}` missing from: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists(), "no output may be written on bad input");
    assert!(
        assert.get_output().stdout.is_empty(),
        "no partial output on stdout"
    );
}

#[test]
fn unknown_field() {
    rejects(
        &GOOD.replace("servers = 1", "servers = 1\nspeeed = 2.0"),
        &["nodes[0]", "speeed"],
    );
    rejects(
        &GOOD.replace("seed = 9", "seed = 9\ncolour = 1"),
        &["colour"],
    );
}

#[test]
fn missing_field() {
    rejects(&GOOD.replace("servers = 1", ""), &["nodes[0]", "servers"]);
    rejects(&GOOD.replace("horizon = { jobs = 2000 }", ""), &["horizon"]);
    rejects(
        &GOOD.replace("service = { dist = \"exponential\", mean = 1.0 }", ""),
        &["classes[0]", "service"],
    );
}

#[test]
fn negative_or_zero_rates() {
    rejects(
        &GOOD.replace("rate = 0.5", "rate = -0.5"),
        &["classes[0].arrival.rate", "-0.5"],
    );
    rejects(
        &GOOD.replace("rate = 0.5", "rate = 0.0"),
        &["classes[0].arrival.rate", "= 0"],
    );
    rejects(
        &GOOD.replace("mean = 1.0", "mean = -2"),
        &["classes[0].service.mean", "-2"],
    );
}

#[test]
fn probabilities_not_summing_to_one() {
    rejects(
        &GOOD.replace(
            "service = { dist = \"exponential\", mean = 1.0 }",
            "service = { dist = \"hyperexponential\", branches = [{ p = 0.5, rate = 1.0 }, { p = 0.4, rate = 2.0 }] }",
        ),
        &["classes[0].service.branches", "0.9", "sum to 1"],
    );
}

#[test]
fn zero_servers() {
    rejects(
        &GOOD.replace("servers = 1", "servers = 0"),
        &["nodes[0].servers = 0"],
    );
}

#[test]
fn capacity_below_servers() {
    rejects(
        &GOOD.replace("servers = 1", "servers = 2\ncapacity = 1"),
        &["nodes[0].capacity = 1"],
    );
}

#[test]
fn empty_classes() {
    let text = "name = \"x\"\nhorizon = { jobs = 10 }\nclasses = []\n[[nodes]]\nname = \"n\"\nservers = 1\n";
    rejects(text, &["classes = []"]);
}

#[test]
fn unknown_distribution() {
    rejects(
        &GOOD.replace("\"exponential\", rate", "\"poisson\", rate"),
        &["classes[0].arrival.dist", "poisson"],
    );
}

#[test]
fn unreadable_files() {
    rejects(
        &GOOD.replace(
            "service = { dist = \"exponential\", mean = 1.0 }",
            "service = { dist = \"empirical\", file = \"no-such-file.txt\" }",
        ),
        &["classes[0].service.file", "no-such-file.txt"],
    );
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let assert = schedlab()
        .args(["run", missing.to_str().unwrap()])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("missing.toml") && stderr.contains("cannot read"),
        "{stderr}"
    );
}

#[test]
fn syntax_error_names_line() {
    rejects(
        &GOOD.replace("servers = 1", "servers = = 1"),
        &["bad.toml:15:11:"],
    );
}

#[test]
fn bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "good.toml", GOOD);
    for (flag, value) in [("--replications", "0"), ("--jobs", "0"), ("--threads", "0")] {
        let assert = schedlab()
            .args(["run", file.to_str().unwrap(), flag, value])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(flag), "{stderr}");
    }
}

#[test]
fn overload_is_simulated_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "over.toml",
        &GOOD.replace("rate = 0.5", "rate = 1.5"),
    );
    let assert = schedlab()
        .args(["run", file.to_str().unwrap(), "--json"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("warning") && stderr.contains("1.500"),
        "{stderr}"
    );
}

#[test]
fn json_document_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "good.toml", GOOD);
    let out = dir.path().join("out");
    let assert = schedlab()
        .args([
            "run",
            file.to_str().unwrap(),
            "--json",
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success();
    let doc: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("one JSON document");
    assert_eq!(doc["schedlab"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["scenario"], "small");
    assert_eq!(doc["seed"], 9);
    assert_eq!(doc["replications"], 3);
    let rows = doc["results"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "all/all, then the class, then the node");
    let all = &rows[0];
    assert_eq!(
        (all["class"].as_str(), all["node"].as_str()),
        (Some("all"), Some("all"))
    );
    assert_eq!(all["policy"], "fcfs");
    assert_eq!(all["jobs"], 6000);
    for key in [
        "mean_wait",
        "mean_wait_ci95",
        "mean_response",
        "mean_response_ci95",
        "p50_response",
        "p95_response",
        "p99_response",
        "mean_in_system",
        "mean_in_queue",
        "utilization",
        "throughput",
    ] {
        assert!(all[key].is_number(), "{key} missing or not a number: {all}");
    }
    // The closed form sits beside the simulated figures.
    let theory = &all["theory"];
    assert_eq!(theory["formula"], "mm1");
    assert_eq!(theory["kind"], "exact");
    assert!((theory["mean_response"].as_f64().unwrap() - 2.0).abs() < 1e-12);
    assert!(theory["within_ci"].is_boolean() && theory["rel_error"].is_number());
    // Little's law holds for the measured window: L ≈ X·W.
    let l = all["mean_in_system"].as_f64().unwrap();
    let xw = all["throughput"].as_f64().unwrap() * all["mean_response"].as_f64().unwrap();
    assert!((l - xw).abs() < 0.05 * l, "L = {l}, X·W = {xw}");
    // --out wrote the same JSON, a CSV with a header and one line per row, and a manifest.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(written, doc);
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.starts_with("policy,class,node,jobs,mean_wait"));
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with("theory_rel_error,theory_within_ci")
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 9);
    assert!(
        manifest["scenario"]
            .as_str()
            .unwrap()
            .contains("name = \"small\"")
    );
    assert!(manifest["wall_seconds"].as_f64().unwrap() >= 0.0);
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn same_seed_same_json_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "good.toml",
        &GOOD.replace("replications = 3", "replications = 5"),
    );
    let run = |threads: &str| {
        schedlab()
            .args([
                "run",
                file.to_str().unwrap(),
                "--json",
                "--threads",
                threads,
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let other_seed = schedlab()
        .args(["run", file.to_str().unwrap(), "--json", "--seed", "10"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_ne!(one, other_seed, "the seed must matter");
}

#[test]
fn help_shows_examples() {
    let out = schedlab()
        .args(["run", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("Examples:") && text.contains("schedlab run scenarios/mm2.toml"));
}

#[test]
fn a_sharing_discipline_is_not_a_level_of_mlq() {
    rejects(
        &format!(
            "{GOOD}\n[policy]\ndiscipline = \"mlq\"\nlevels = [{{ classes = [\"a\"], discipline = \"ps\" }}]\n"
        ),
        &["policy.levels[0].discipline", "\"ps\"", "sharing"],
    );
}

/// `run` on a terminal (a pseudo-terminal from util-linux's `script`):
/// a progress bar on stderr once the run has lasted a second, none for a
/// short run, and none when stderr is not a terminal.
#[test]
fn run_shows_a_progress_bar_on_a_terminal_for_long_runs_only() {
    let bin = assert_cmd::cargo::cargo_bin("schedlab");
    let on_terminal = |jobs: &str| {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("tty.log");
        let command = format!(
            "{} run scenarios/mm2.toml --jobs {jobs} --replications 4 --threads 1 > /dev/null",
            bin.display()
        );
        let status = std::process::Command::new("script")
            .args(["-qec", &command])
            .arg(&log)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .expect("script (util-linux) runs the command on a pseudo-terminal");
        assert!(status.success());
        String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned()
    };
    let long = on_terminal("4000000");
    assert!(long.contains("replications, eta"), "{long}");
    let short = on_terminal("1000");
    assert!(!short.contains("replications, eta"), "{short}");
    let piped = schedlab()
        .args([
            "run",
            "scenarios/mm2.toml",
            "--jobs",
            "4000000",
            "--replications",
            "4",
            "--threads",
            "1",
        ])
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("eta"));
}

/// `schedlab run ARGS` in the repository, its stdout (which must succeed).
fn table_of(args: &[&str]) -> String {
    let out = schedlab().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_run_table_fits_120_columns_and_wide_has_every_column() {
    let short = [
        "run",
        "scenarios/mm2.toml",
        "--jobs",
        "20000",
        "--replications",
        "3",
    ];
    let table = table_of(&short);
    for line in table.lines() {
        assert!(line.chars().count() <= 120, "{} wide: {line}", line.len());
    }
    // So does a table of two classes and two policies, notes included.
    let two = table_of(&[
        "run",
        "scenarios/two-classes.toml",
        "--jobs",
        "5000",
        "--replications",
        "3",
        "--compare",
        "fcfs,priority",
    ]);
    for line in two.lines() {
        assert!(line.chars().count() <= 120, "{} wide: {line}", line.len());
    }
    assert!(two.contains("priority  interactive"), "{two}");
    // The header says what each column holds; p90 and max are there.
    let header = table.lines().find(|l| l.starts_with("policy")).unwrap();
    for word in [
        "response", "wait", "p50", "p90", "p99", "max", "util", "in CI",
    ] {
        assert!(header.contains(word), "{word}: {table}");
    }
    assert!(table.contains("theory mean"), "{table}");
    assert!(!header.contains("theory W"), "{table}");
    // Half-widths to 2 significant figures, the mean rounded to match.
    let row = table.lines().find(|l| l.starts_with("fcfs")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    let (mean, half) = (cells[4], cells[6]);
    assert_eq!(cells[5], "±", "{row}");
    let digits: String = half.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(digits.trim_start_matches('0').len(), 2, "{half} in {row}");
    let decimals = |s: &str| s.split_once('.').map_or(0, |(_, d)| d.len());
    assert_eq!(decimals(mean), decimals(half), "{row}");

    let mut wide_args = short.to_vec();
    wide_args.push("--wide");
    let wide = table_of(&wide_args);
    let wide_header = wide.lines().find(|l| l.starts_with("policy")).unwrap();
    assert!(wide_header.chars().count() > 120, "{wide}");
    for word in ["p95", "L", "Lq", "throughput"] {
        assert!(
            wide_header.split_whitespace().any(|w| w == word),
            "{word}: {wide}"
        );
        assert!(
            !header.split_whitespace().any(|w| w == word),
            "{word} in the short table: {table}"
        );
    }
    assert!(wide.contains("(erlang-c)"), "{wide}");
    // Percentiles carry their CIs in the wide table: p50 to p99 and the
    // means, L, Lq, util, throughput, each with a ±.
    let wide_row = wide.lines().find(|l| l.starts_with("fcfs")).unwrap();
    assert_eq!(wide_row.matches('±').count(), 10, "{wide_row}");
}

#[test]
fn identical_class_and_node_rows_are_printed_once() {
    // One class and one node: the rows default/all and all/pool repeat
    // all/all, so one row stands for the three.
    let table = table_of(&[
        "run",
        "scenarios/mm2.toml",
        "--jobs",
        "5000",
        "--replications",
        "2",
    ]);
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("fcfs ") && l.contains('±'))
        .collect();
    assert_eq!(rows.len(), 1, "{table}");
    assert!(
        rows[0].contains(" all ") && !rows[0].contains("pool"),
        "{table}"
    );
    assert!(
        table.contains("fcfs all/all stands for default/all, all/pool too"),
        "{table}"
    );
    // Two classes on one node: the class rows differ and stay, the node
    // row repeats the overall one.
    let table = table_of(&[
        "run",
        "scenarios/two-classes.toml",
        "--jobs",
        "5000",
        "--replications",
        "2",
    ]);
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("fcfs ") && l.contains('±'))
        .collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(rows.iter().any(|r| r.contains("batch")), "{table}");
    assert!(table.contains("stands for all/"), "{table}");
}

#[test]
fn wide_is_a_flag_of_run_only() {
    let out = schedlab()
        .args([
            "sweep",
            "scenarios/mm2.toml",
            "--param",
            "load",
            "--values",
            "0.5",
        ])
        .arg("--wide")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("--wide"), "{err}");
}

/// `schedlab ARGS` (in the repository), its output.
fn output_of(args: &[&std::ffi::OsStr]) -> std::process::Output {
    schedlab().args(args).output().unwrap()
}

fn run_into(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&std::ffi::OsStr> = ["run", "scenarios/mm2.toml", "--jobs", "2000"]
        .iter()
        .chain(["--replications", "2", "--out"].iter())
        .map(std::ffi::OsStr::new)
        .collect();
    args.push(dir.as_os_str());
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    output_of(&args)
}

#[test]
fn out_refuses_a_directory_holding_something_else_unless_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "my notes").unwrap();
    let out = run_into(&dir, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("--out") && err.contains("notes.txt") && err.contains("--force"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert!(dir.join("notes.txt").exists());
    assert!(!dir.join("results.csv").exists() && !dir.join("manifest.json").exists());

    // --force replaces the directory whole.
    let out = run_into(&dir, &["--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.join("notes.txt").exists());
    assert!(dir.join("results.csv").exists() && dir.join("manifest.json").exists());

    // A sweep tree is another tree to a run (and a run's to a sweep).
    let sweep_dir = tmp.path().join("sweep");
    let out = output_of(
        &[
            "sweep",
            "scenarios/mm2.toml",
            "--param",
            "load",
            "--values",
            "0.5",
            "--jobs",
            "1000",
            "--replications",
            "2",
            "--out",
        ]
        .map(std::ffi::OsStr::new)
        .into_iter()
        .chain([sweep_dir.as_os_str()])
        .collect::<Vec<_>>(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_into(&sweep_dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sweep"));
    let out = output_of(
        &[
            "sweep",
            "scenarios/mm2.toml",
            "--param",
            "load",
            "--values",
            "0.5",
            "--out",
        ]
        .map(std::ffi::OsStr::new)
        .into_iter()
        .chain([dir.as_os_str()])
        .collect::<Vec<_>>(),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("results.csv").exists());
}

#[test]
fn a_run_written_over_an_earlier_run_leaves_none_of_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    // The first run has a timeline (timeline.csv, a plot); the second not.
    let out = run_into(&dir, &["--timeline", "500"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("timeline.csv").exists());
    let plots = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d.join("plots"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let with_timeline = plots(&dir);
    let out = run_into(&dir, &["--seed", "7"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.join("timeline.csv").exists(), "a stale timeline.csv");
    // The files are those of a fresh tree of the second run, no more.
    let fresh = tmp.path().join("fresh");
    assert!(run_into(&fresh, &["--seed", "7"]).status.success());
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&dir), names(&fresh));
    assert_eq!(plots(&dir), plots(&fresh));
    assert!(
        with_timeline.len() > plots(&fresh).len(),
        "{with_timeline:?}"
    );
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"seed\": 7"), "{manifest}");
}
