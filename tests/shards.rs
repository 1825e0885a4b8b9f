//! Sharded sweeps on the command line: `sweep --shard K/N` then `merge`
//! give the unsharded sweep's files byte for byte, whatever N and the
//! order the shards ran in; shards are idempotent; a missing, foreign,
//! duplicated, corrupt or altered shard is refused with exit code 2 and
//! one line naming the file; and `--emit` writes the Slurm and GNU
//! parallel scripts (run for real by scripts/test-cluster.sh).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn schedlab() -> Command {
    Command::cargo_bin("schedlab").expect("binary is built")
}

/// The bundled sweep: 20 loads x 5 policies (scenarios/sweep-load.toml).
fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweep-load.toml")
}

/// Small runs of it: 20 x 5 x 2 = 200 units of 900 jobs.
const SMALL: &[&str] = &["--jobs", "400", "--replications", "2"];
/// Smaller still, for the tests of refusals: 3 x 2 x 2 = 12 units.
const TINY: &[&str] = &[
    "--jobs",
    "300",
    "--replications",
    "2",
    "--compare",
    "fcfs,rr(q=0.5)",
    "--param",
    "load",
    "--values",
    "0.3,0.6,0.9",
];

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

/// The files of a results tree that must not depend on how it was made.
fn results(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files(dir)
        .into_iter()
        .filter(|(p, _)| {
            p == Path::new("sweep.csv") || p == Path::new("sweep.json") || p.starts_with("plots")
        })
        .collect()
}

fn run_shard(scenario: &Path, args: &[&str], k: usize, n: usize, dir: &Path, threads: &str) {
    let out = schedlab()
        .arg("sweep")
        .arg(scenario)
        .args(args)
        .args(["--shard", &format!("{k}/{n}"), "--threads", threads])
        .arg("--out")
        .arg(dir.join(format!("shard-{k}")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with(&format!("shard {k}/{n}: ")), "{stdout}");
}

fn shard_dirs(dir: &Path, n: usize) -> Vec<PathBuf> {
    (0..n).map(|k| dir.join(format!("shard-{k}"))).collect()
}

fn merge(shards: &[PathBuf], out: &Path, extra: &[&str]) -> std::process::Output {
    schedlab()
        .arg("merge")
        .args(shards)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn shards_merged_equal_the_unsharded_sweep_for_1_3_and_7_shards_in_any_order() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    schedlab()
        .arg("sweep")
        .arg(bundled())
        .args(SMALL)
        .arg("--out")
        .arg(&whole)
        .assert()
        .success();
    let expected = results(&whole);
    assert!(expected.contains_key(Path::new("sweep.csv")));
    assert_eq!(
        expected.keys().filter(|p| p.starts_with("plots")).count(),
        6,
        "three pictures, svg and png"
    );
    let csv = String::from_utf8(expected[Path::new("sweep.csv")].clone()).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 20 * 5 * 2,
        "header, then all and class rows"
    );

    let orders: [&[usize]; 3] = [&[0], &[2, 0, 1], &[6, 3, 0, 5, 1, 4, 2]];
    for order in orders {
        let n = order.len();
        let dir = tmp.path().join(format!("n{n}"));
        for (i, &k) in order.iter().enumerate() {
            // Alternate the threads: they must not matter either.
            run_shard(
                &bundled(),
                SMALL,
                k,
                n,
                &dir,
                if i % 2 == 0 { "1" } else { "2" },
            );
        }
        // Shards are given in another order than they ran in.
        let mut given = shard_dirs(&dir, n);
        given.reverse();
        let out = merge(&given, &dir, &[]);
        assert!(
            out.status.success(),
            "n = {n}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(&format!("merged {n} shard(s)")), "{stdout}");
        let got = results(&dir);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "n = {n}"
        );
        for (path, bytes) in &expected {
            assert!(got[path] == *bytes, "n = {n}: {} differs", path.display());
        }
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["merged"], true);
        assert_eq!(manifest["kind"], "sweep");
        assert_eq!(manifest["shards"].as_array().unwrap().len(), n);
        assert!(
            manifest["shards"][n - 1]
                .as_str()
                .unwrap()
                .ends_with(&format!("shard-{}/shard.json", n - 1)),
            "listed in shard order: {}",
            manifest["shards"]
        );
        if n == 3 {
            // merge --json prints the document it writes as sweep.json.
            let out = merge(&given, &tmp.path().join("n3-json"), &["--json"]);
            assert!(out.status.success());
            assert_eq!(
                String::from_utf8(out.stdout).unwrap().trim_end(),
                String::from_utf8(expected[Path::new("sweep.json")].clone())
                    .unwrap()
                    .trim_end()
            );
        }
    }
}

#[test]
fn a_shard_run_again_rewrites_the_same_bytes_and_shares_are_balanced() {
    let tmp = tempfile::tempdir().unwrap();
    let file = |d: &str, k: usize| tmp.path().join(d).join(format!("shard-{k}/shard.json"));
    run_shard(&bundled(), TINY, 1, 5, &tmp.path().join("a"), "1");
    run_shard(&bundled(), TINY, 1, 5, &tmp.path().join("b"), "2");
    let a = std::fs::read(file("a", 1)).unwrap();
    assert_eq!(a, std::fs::read(file("b", 1)).unwrap());
    run_shard(&bundled(), TINY, 1, 5, &tmp.path().join("a"), "2");
    assert_eq!(
        a,
        std::fs::read(file("a", 1)).unwrap(),
        "rewritten identically"
    );
    // 12 equal units over 5 shards: 3, 3, 2, 2, 2.
    for k in [0, 2, 3, 4] {
        run_shard(&bundled(), TINY, k, 5, &tmp.path().join("a"), "2");
    }
    let counts: Vec<usize> = (0..5)
        .map(|k| {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(file("a", k)).unwrap()).unwrap();
            assert_eq!(v["sweep_units"], 12);
            assert!(v["scenario"].as_str().unwrap().contains("[sweep]"));
            assert!(v["fingerprint"].as_str().unwrap().starts_with("fnv1a64:"));
            v["units"].as_array().unwrap().len()
        })
        .collect();
    assert_eq!(counts, [3, 3, 2, 2, 2]);
}

/// Runs merge, expects exit code 2 and one line naming `file`, and no tree.
fn refused(shards: &[PathBuf], out: &Path, file: &Path, words: &[&str]) {
    let o = merge(shards, out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(&file.display().to_string()),
        "names {}: {stderr}",
        file.display()
    );
    for w in words {
        assert!(stderr.contains(w), "says {w:?}: {stderr}");
    }
    assert!(!out.join("sweep.csv").exists(), "no partial output");
    assert!(!out.join("manifest.json").exists(), "no partial output");
}

#[test]
fn missing_foreign_duplicated_corrupt_and_altered_shards_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    for k in 0..3 {
        run_shard(&bundled(), TINY, k, 3, &dir, "1");
    }
    let all = shard_dirs(&dir, 3);
    let out = tmp.path().join("merged");
    // The same set merges (the refusals below are about what changed).
    assert!(merge(&all, &tmp.path().join("ok"), &[]).status.success());

    // Missing: shard 1 is named, in the DIR/shard-K convention.
    refused(
        &[all[0].clone(), all[2].clone()],
        &out,
        &dir.join("shard-1"),
        &["missing", "1/3"],
    );
    // Another sweep (another seed): the foreign file is named.
    let other = tmp.path().join("other");
    let mut seeded = TINY.to_vec();
    seeded.extend(["--seed", "99"]);
    run_shard(&bundled(), &seeded, 1, 3, &other, "1");
    let foreign = other.join("shard-1");
    refused(
        &[all[0].clone(), foreign.clone(), all[2].clone()],
        &out,
        &foreign.join("shard.json"),
        &["fingerprint", "another sweep"],
    );
    // Duplicated: a copy of shard 2 under another name.
    let copy = dir.join("shard-2-copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(all[2].join("shard.json"), copy.join("shard.json")).unwrap();
    let mut with_copy = all.clone();
    with_copy.push(copy.clone());
    let o = merge(&with_copy, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("given twice"), "{stderr}");
    assert!(
        stderr.contains(&copy.join("shard.json").display().to_string())
            && stderr.contains(&all[2].join("shard.json").display().to_string()),
        "names both files: {stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1);
    assert!(!out.join("sweep.csv").exists());

    let text = std::fs::read_to_string(all[1].join("shard.json")).unwrap();
    let bad = tmp.path().join("bad");
    let bad_file = bad.join("shard.json");
    std::fs::create_dir_all(&bad).unwrap();
    let with_bad = [all[0].clone(), bad.clone(), all[2].clone()];
    // Corrupt: truncated, and not JSON at all.
    std::fs::write(&bad_file, &text[..text.len() / 2]).unwrap();
    refused(&with_bad, &out, &bad_file, &["corrupt or truncated"]);
    std::fs::write(&bad_file, "\u{0}\u{1}garbage").unwrap();
    refused(&with_bad, &out, &bad_file, &["corrupt or truncated"]);
    // Well-formed JSON of the wrong shape: the field is named.
    std::fs::write(
        &bad_file,
        text.replace("\"sweep_units\"", "\"units_of_sweep\""),
    )
    .unwrap();
    refused(&with_bad, &out, &bad_file, &["units_of_sweep"]);
    // Altered: the scenario text no longer matches the fingerprint.
    assert!(text.contains("seed = 11"));
    std::fs::write(&bad_file, text.replace("seed = 11", "seed = 12")).unwrap();
    refused(&with_bad, &out, &bad_file, &["fingerprint", "altered"]);
    // Altered: a unit moved to a point it does not belong to.
    let moved = text.replacen("\"replication\":0", "\"replication\":1", 1);
    assert_ne!(moved, text);
    std::fs::write(&bad_file, moved).unwrap();
    refused(
        &with_bad,
        &out,
        &bad_file,
        &["units", "not the share of shard 1"],
    );
    // A histogram that cannot be rebuilt.
    let broken = text.replacen("\"response_hist\":\"", "\"response_hist\":\"!!!!", 1);
    std::fs::write(&bad_file, broken).unwrap();
    refused(&with_bad, &out, &bad_file, &["response_hist"]);
    // A file that is not there.
    refused(
        &[all[0].clone(), tmp.path().join("nowhere"), all[2].clone()],
        &out,
        &tmp.path().join("nowhere"),
        &["cannot read"],
    );
}

/// `schedlab sweep` with `args` fails with exit code 2 and one line holding `words`.
fn flag_refused(args: &[&str], words: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let o = schedlab()
        .arg("sweep")
        .arg(bundled())
        .args(args)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    for w in words {
        assert!(stderr.contains(w), "{args:?} says {w:?}: {stderr}");
    }
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "{args:?} wrote nothing"
    );
}

#[test]
fn bad_shard_and_emit_flags_are_refused_with_the_flag_and_value() {
    let out = ["--out", "o"];
    let with = |extra: &[&'static str]| [&out[..], extra].concat();
    flag_refused(&with(&["--shard", "0/0"]), &["--shard = 0/0", "at least 1"]);
    flag_refused(&with(&["--shard", "4/3"]), &["--shard = 4/3", "from 0"]);
    flag_refused(&with(&["--shard", "3/3"]), &["--shard = 3/3"]);
    flag_refused(&with(&["--shard", "one/3"]), &["--shard = one/3"]);
    flag_refused(&["--shard", "0/3"], &["--out", "shard-K"]);
    flag_refused(&with(&["--shard", "0/3", "--json"]), &["--json"]);
    flag_refused(
        &with(&["--emit", "slurm", "--shards", "0"]),
        &["--shards = 0"],
    );
    flag_refused(&with(&["--emit", "slurm"]), &["--shards", "--emit needs"]);
    flag_refused(
        &with(&["--emit", "pbs", "--shards", "3"]),
        &["--emit = pbs", "slurm, parallel"],
    );
    flag_refused(&["--emit", "slurm", "--shards", "3"], &["--out"]);
    flag_refused(&with(&["--shards", "3"]), &["--shards = 3", "--emit"]);
    flag_refused(
        &with(&["--emit", "parallel", "--shards", "3", "--partition", "p"]),
        &["--partition", "slurm"],
    );
    flag_refused(
        &with(&["--emit", "slurm", "--shards", "3", "--max-running", "0"]),
        &["--max-running = 0"],
    );
    flag_refused(
        &with(&["--shard", "0/3", "--emit", "slurm"]),
        &["--shard", "one of them"],
    );
    // The sweep itself is checked before a script is written.
    flag_refused(
        &with(&[
            "--emit", "slurm", "--shards", "3", "--param", "speed", "--values", "1",
        ]),
        &["--param", "speed"],
    );
}

fn emit(engine: &str, extra: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let o = schedlab()
        .arg("sweep")
        .arg("scenarios/sweep-load.toml")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(TINY)
        .args(["--out", "results/big", "--emit", engine])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let script = String::from_utf8(o.stdout).unwrap();
    let path = tmp.path().join("sweep.sh");
    std::fs::write(&path, &script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "bash -n: {}\n{script}",
        String::from_utf8_lossy(&check.stderr)
    );
    script
}

#[test]
fn emitted_scripts_submit_an_array_then_a_dependent_merge_with_absolute_paths() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .unwrap();
    let exe = assert_cmd::cargo::cargo_bin("schedlab")
        .canonicalize()
        .unwrap();
    let s = emit(
        "slurm",
        &[
            "--shards",
            "7",
            "--partition",
            "short",
            "--time",
            "1:00:00",
            "--cpus-per-task",
            "2",
            "--max-running",
            "3",
        ],
    );
    assert!(s.starts_with("#!/usr/bin/env bash\n"), "{s}");
    for needle in [
        "sbatch --parsable --job-name=schedlab-shards --array=0-6%3 --partition=short --time=1:00:00 --cpus-per-task=2",
        "--dependency=afterok:\"$array\"",
        "--shard \"\\$SLURM_ARRAY_TASK_ID/7\"",
        "shard-\"\\$SLURM_ARRAY_TASK_ID\"",
        "'fcfs,rr(q=0.5)'",
        "--values 0.3,0.6,0.9",
        "echo \"$merge\"",
    ] {
        assert!(s.contains(needle), "{needle}\n{s}");
    }
    let exe = exe.display().to_string();
    let scenario = root.join("scenarios/sweep-load.toml").display().to_string();
    let out = root.join("results/big").display().to_string();
    assert!(s.contains(&format!("{exe} sweep {scenario} ")), "{s}");
    assert!(
        s.contains(&format!("{exe} merge {out}/shard-* --out {out}")),
        "{s}"
    );
    // Without --max-running, no limit on the array.
    let s = emit("slurm", &["--shards", "4"]);
    assert!(s.contains("--array=0-3 "), "{s}");

    let p = emit("parallel", &["--shards", "5", "--max-running", "2"]);
    for needle in [
        "parallel --joblog \"$OUT/logs/parallel.joblog\" --resume-failed",
        "--jobs 2",
        "--shard '{}/5'",
        "--out \"$OUT/shard-{}\"",
        "::: $(seq 0 4)",
        "\"$SCHEDLAB\" merge \"$OUT\"/shard-* --out \"$OUT\"",
    ] {
        assert!(p.contains(needle), "{needle}\n{p}");
    }
    assert!(p.contains(&format!("SCHEDLAB={exe}\n")), "{p}");
}
