//! `schedlab workflow`: HEFT and CPOP on the published example, schedules
//! checked on random graphs, the MILP against brute force, the readers,
//! and bad input.

use schedlab::model::workflow::{Dag, TaskSpec};
use schedlab::workflow::{self, Platform, Policy};

/// Topcuoglu, Hariri & Wu 2002, Fig. 2: computation costs on P1, P2, P3.
const PAPER_COSTS: [[f64; 3]; 10] = [
    [14.0, 16.0, 9.0],
    [13.0, 19.0, 18.0],
    [11.0, 13.0, 19.0],
    [13.0, 8.0, 17.0],
    [12.0, 13.0, 10.0],
    [13.0, 16.0, 9.0],
    [7.0, 15.0, 11.0],
    [5.0, 11.0, 14.0],
    [18.0, 12.0, 20.0],
    [21.0, 7.0, 16.0],
];

/// Its edges with their communication costs (bytes at bandwidth 1).
const PAPER_EDGES: [(usize, usize, f64); 15] = [
    (1, 2, 18.0),
    (1, 3, 12.0),
    (1, 4, 9.0),
    (1, 5, 11.0),
    (1, 6, 14.0),
    (2, 8, 19.0),
    (2, 9, 16.0),
    (3, 7, 23.0),
    (4, 8, 27.0),
    (4, 9, 23.0),
    (5, 9, 13.0),
    (6, 8, 15.0),
    (7, 10, 17.0),
    (8, 10, 11.0),
    (9, 10, 13.0),
];

fn paper() -> (Dag, Platform) {
    let tasks = (1..=10)
        .map(|t| TaskSpec {
            id: format!("n{t}"),
            work: 1.0,
            cores: 1.0,
            parents: PAPER_EDGES
                .iter()
                .filter(|e| e.1 == t)
                .map(|e| (format!("n{}", e.0), e.2))
                .collect(),
        })
        .collect();
    let dag = Dag::new("heft-paper", tasks).unwrap();
    let costs = PAPER_COSTS.iter().map(|r| r.to_vec()).collect();
    let platform = Platform::unrelated(vec!["P1".into(), "P2".into(), "P3".into()], costs)
        .with_network(1.0, 0.0)
        .unwrap();
    (dag, platform)
}

#[test]
fn heft_paper_example_makespan_80_with_the_papers_assignment() {
    let (dag, platform) = paper();
    let rank = workflow::heft::upward_rank(&dag, &platform);
    let expected = [
        108.0, 77.0, 80.0, 80.0, 69.0, 63.333, 42.667, 35.667, 44.333, 14.667,
    ];
    for (r, e) in rank.iter().zip(expected) {
        assert!((r - e).abs() < 1e-3, "{rank:?}");
    }
    let s = workflow::schedule(&dag, &platform, Policy::Heft, 1);
    s.verify(&dag, &platform).unwrap();
    assert_eq!(s.makespan(), 80.0);
    // Fig. 4(a): n1 P3, n2 P1, n3 P3, n4 P2, n5 P3, n6 P2, n7 P3, n8 P1, n9 P2, n10 P2.
    let procs: Vec<usize> = s.slots.iter().map(|x| x.proc).collect();
    assert_eq!(procs, vec![2, 0, 2, 1, 2, 1, 2, 0, 1, 1]);
    let starts: Vec<f64> = s.slots.iter().map(|x| x.start).collect();
    assert_eq!(
        starts,
        vec![0.0, 27.0, 9.0, 18.0, 28.0, 26.0, 38.0, 57.0, 56.0, 73.0]
    );
}

#[test]
fn cpop_paper_example_makespan_86_with_the_critical_path_on_p2() {
    let (dag, platform) = paper();
    let (path, proc) = workflow::heft::cpop_critical_path(&dag, &platform);
    assert_eq!(path, vec![0, 1, 8, 9]);
    assert_eq!(proc, 1);
    let s = workflow::schedule(&dag, &platform, Policy::Cpop, 1);
    s.verify(&dag, &platform).unwrap();
    assert_eq!(s.makespan(), 86.0);
    // Fig. 4(b): the critical path n1, n2, n9, n10 runs on P2.
    for t in [0, 1, 8, 9] {
        assert_eq!(s.slots[t].proc, 1, "{:?}", s.slots);
    }
}

use assert_cmd::Command;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use schedlab::workflow::bounds::bounds;
use schedlab::workflow::milp;
use schedlab::workflow::replay::{replay_makespan, replicate};

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/workflows")
}

fn schedlab(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("schedlab")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let out = schedlab(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn paper_files_through_the_command_give_80_and_86() {
    let (wf, costs) = (
        dir().join("heft-paper.json"),
        dir().join("heft-paper-costs.csv"),
    );
    let doc = json_of(&[
        "workflow",
        wf.to_str().unwrap(),
        "--costs",
        costs.to_str().unwrap(),
        "--bandwidth",
        "1",
        "--compare",
        "heft,cpop",
        "--json",
    ]);
    assert_eq!(doc["workflow"], "heft-paper");
    assert_eq!(doc["tasks"], 10);
    assert_eq!(doc["edges"], 15);
    assert_eq!(doc["bounds"]["critical_path"], 41.0);
    assert_eq!(doc["results"][0]["policy"], "heft");
    assert_eq!(doc["results"][0]["makespan"], 80.0);
    assert_eq!(doc["results"][1]["makespan"], 86.0);
    assert!(doc["results"][0]["makespan_ci95"].is_null());
    assert!(doc["optimal"].is_null());
    let gap = doc["results"][0]["gap"].as_f64().unwrap();
    assert!((gap - (80.0 / 41.0 - 1.0)).abs() < 1e-12);
    let heft = doc["results"][0]["schedule"].as_array().unwrap();
    let node_of = |t: &str| {
        heft.iter()
            .find(|s| s["task"] == t)
            .map(|s| s["node"].as_str().unwrap().to_string())
            .unwrap()
    };
    for (t, p) in [
        ("n1", "P3"),
        ("n2", "P1"),
        ("n4", "P2"),
        ("n8", "P1"),
        ("n10", "P2"),
    ] {
        assert_eq!(node_of(t), p);
    }
}

/// A random DAG: tasks in layers, each with 1 to 3 parents among earlier
/// tasks, whole works and data so ties happen.
fn random_dag(rng: &mut Pcg64Mcg, n: usize) -> Dag {
    let tasks = (0..n)
        .map(|i| {
            let mut parents = Vec::new();
            if i > 0 {
                for _ in 0..rng.random_range(0..=3usize.min(i)) {
                    let p = rng.random_range(0..i);
                    if !parents
                        .iter()
                        .any(|(q, _): &(String, f64)| *q == format!("t{p}"))
                    {
                        parents.push((format!("t{p}"), f64::from(rng.random_range(0..20u32))));
                    }
                }
            }
            TaskSpec {
                id: format!("t{i}"),
                work: f64::from(rng.random_range(0..10u32)),
                cores: 1.0,
                parents,
            }
        })
        .collect();
    Dag::new("random", tasks).unwrap()
}

/// Uniform nodes (some with 2 servers), or a cost matrix; a random network.
fn random_platform(rng: &mut Pcg64Mcg, dag: &Dag, nodes: usize) -> Platform {
    let p = if rng.random_bool(0.3) {
        let costs = (0..dag.len())
            .map(|_| {
                (0..nodes)
                    .map(|_| f64::from(rng.random_range(1..12u32)))
                    .collect()
            })
            .collect();
        Platform::unrelated((0..nodes).map(|k| format!("u{k}")).collect(), costs)
    } else {
        let spec: Vec<(String, f64, u32)> = (0..nodes)
            .map(|k| {
                (
                    format!("n{k}"),
                    [1.0, 2.0, 0.5][rng.random_range(0..3usize)],
                    rng.random_range(1..=2u32),
                )
            })
            .collect();
        Platform::new(&spec).unwrap()
    };
    let bandwidth = [f64::INFINITY, 1.0, 4.0][rng.random_range(0..3usize)];
    let latency = [0.0, 1.0][rng.random_range(0..2usize)];
    p.with_network(bandwidth, latency).unwrap()
}

#[test]
fn every_policy_gives_a_valid_plan_above_both_bounds_on_random_dags() {
    let mut rng = Pcg64Mcg::seed_from_u64(20);
    for case in 0..300 {
        let n = rng.random_range(1..40usize);
        let dag = random_dag(&mut rng, n);
        let nodes = rng.random_range(1..5usize);
        let platform = random_platform(&mut rng, &dag, nodes);
        let b = bounds(&dag, &platform);
        for policy in workflow::POLICIES {
            let s = workflow::schedule(&dag, &platform, policy, case);
            s.verify(&dag, &platform)
                .unwrap_or_else(|e| panic!("case {case} {policy}: {e}"));
            let m = s.makespan();
            assert!(
                m >= b.critical_path - 1e-9 && m >= b.total_work - 1e-9,
                "case {case} {policy}: {m} below {b:?}"
            );
            // Replayed with the planned times, a plan is itself; only a
            // zero-length task, whose place among equal starts the plan does
            // not record, may move earlier.
            let again = replay_makespan(&dag, &platform, &s, &vec![1.0; n]);
            let eps = 1e-9 * m.max(1.0);
            if dag.work.iter().all(|&w| w > 0.0) {
                assert!(
                    (again - m).abs() <= eps,
                    "case {case} {policy}: {again} vs {m}"
                );
            } else {
                assert!(again <= m + eps, "case {case} {policy}: {again} vs {m}");
            }
        }
    }
}

#[test]
fn milp_optimum_equals_brute_force_and_is_at_most_every_heuristic() {
    let mut rng = Pcg64Mcg::seed_from_u64(7);
    let mut proven = 0;
    for case in 0..14 {
        let n = rng.random_range(3..=8usize);
        let dag = random_dag(&mut rng, n);
        let nodes = rng.random_range(2..=3usize);
        let platform = random_platform(&mut rng, &dag, nodes);
        let plans: Vec<_> = workflow::POLICIES
            .iter()
            .map(|&p| workflow::schedule(&dag, &platform, p, 3))
            .collect();
        let best = plans
            .iter()
            .min_by(|a, b| a.makespan().total_cmp(&b.makespan()))
            .unwrap();
        let b = bounds(&dag, &platform);
        let opt = milp::solve(&dag, &platform, best, &b, 60.0).unwrap();
        assert!(opt.proven, "case {case}: not proven in 60 s");
        proven += 1;
        opt.schedule.verify(&dag, &platform).unwrap();
        let brute = milp::brute_force(&dag, &platform);
        assert!(
            (opt.makespan - brute).abs() <= 1e-6 * brute.max(1.0),
            "case {case}: MILP {} brute force {brute}",
            opt.makespan
        );
        for p in &plans {
            assert!(
                opt.makespan <= p.makespan() + 1e-9,
                "case {case} {}",
                p.policy
            );
        }
    }
    assert_eq!(proven, 14);
}

#[test]
fn paper_example_optimum_is_73_and_below_heft() {
    let (dag, platform) = paper();
    let heft = workflow::schedule(&dag, &platform, Policy::Heft, 1);
    let opt = milp::solve(&dag, &platform, &heft, &bounds(&dag, &platform), 120.0).unwrap();
    assert!(opt.proven);
    assert_eq!(opt.makespan, 73.0);
    opt.schedule.verify(&dag, &platform).unwrap();
}

#[test]
fn a_chain_takes_its_stage_times_plus_the_transfers() {
    // Stage k is fast (1) only on node k % 2, so the chain alternates and
    // pays a transfer of latency 0.5 + 3 bytes / bandwidth 2 at each step.
    let k = 6;
    let tasks = (0..k)
        .map(|i| {
            let parents = if i == 0 {
                vec![]
            } else {
                vec![(format!("s{}", i - 1), 3.0)]
            };
            TaskSpec {
                id: format!("s{i}"),
                work: 1.0,
                cores: 1.0,
                parents,
            }
        })
        .collect();
    let dag = Dag::new("chain", tasks).unwrap();
    let costs = (0..k)
        .map(|i| {
            if i % 2 == 0 {
                vec![1.0, 50.0]
            } else {
                vec![50.0, 1.0]
            }
        })
        .collect();
    let platform = Platform::unrelated(vec!["a".into(), "b".into()], costs)
        .with_network(2.0, 0.5)
        .unwrap();
    for policy in [Policy::Heft, Policy::Cp, Policy::MinMin] {
        let s = workflow::schedule(&dag, &platform, policy, 1);
        assert_eq!(s.makespan(), k as f64 + (k - 1) as f64 * 2.0, "{policy}");
    }
    // CPOP keeps its whole critical path (here the chain) on one processor,
    // as the paper defines it: 1 + 50 + 1 + 50 + 1 + 50 on `a`.
    let s = workflow::schedule(&dag, &platform, Policy::Cpop, 1);
    assert_eq!(s.makespan(), 153.0);
    // On identical nodes the chain stays on one node: no transfer.
    let uniform = Platform::with_speeds(&[1.0, 1.0])
        .unwrap()
        .with_network(2.0, 0.5)
        .unwrap();
    let s = workflow::schedule(&dag, &uniform, Policy::Heft, 1);
    assert_eq!(s.makespan(), k as f64);
}

#[test]
fn fork_join_on_enough_nodes_takes_its_critical_path() {
    let mut tasks = vec![TaskSpec::new("fork", 2.0, &[])];
    let works = [3.0, 7.0, 5.0, 1.0, 4.0];
    for (i, w) in works.iter().enumerate() {
        tasks.push(TaskSpec::new(&format!("b{i}"), *w, &[("fork", 10.0)]));
    }
    let branches: Vec<(String, f64)> = (0..works.len()).map(|i| (format!("b{i}"), 10.0)).collect();
    tasks.push(TaskSpec {
        id: "join".into(),
        work: 1.5,
        cores: 1.0,
        parents: branches,
    });
    let dag = Dag::new("fork-join", tasks).unwrap();
    let platform = Platform::with_speeds(&[1.0; 5]).unwrap();
    let b = bounds(&dag, &platform);
    assert_eq!(b.critical_path, 2.0 + 7.0 + 1.5);
    let path: Vec<&str> = b.path.iter().map(|&i| dag.ids[i].as_str()).collect();
    assert_eq!(path, vec!["fork", "b1", "join"]);
    for policy in [
        Policy::Heft,
        Policy::Cpop,
        Policy::Cp,
        Policy::Fcfs,
        Policy::MinMin,
    ] {
        let s = workflow::schedule(&dag, &platform, policy, 1);
        assert_eq!(s.makespan(), b.critical_path, "{policy}");
    }
}

#[test]
fn replications_keep_the_plans_and_share_the_draws() {
    let mut rng = Pcg64Mcg::seed_from_u64(3);
    let dag = random_dag(&mut rng, 30);
    let platform = Platform::with_speeds(&[1.0, 2.0, 1.0]).unwrap();
    let plans: Vec<_> = [Policy::Heft, Policy::Fcfs]
        .iter()
        .map(|&p| workflow::schedule(&dag, &platform, p, 1))
        .collect();
    let a = replicate(&dag, &platform, &plans, 20, 0.5, 9);
    assert_eq!(a, replicate(&dag, &platform, &plans, 20, 0.5, 9));
    assert_ne!(a, replicate(&dag, &platform, &plans, 20, 0.5, 10));
    assert!(a[0].windows(2).any(|w| w[0] != w[1]));
    // scv 0: every replication is the plan.
    let flat = replicate(&dag, &platform, &plans, 5, 0.0, 9);
    for (k, p) in plans.iter().enumerate() {
        assert!(flat[k].iter().all(|&m| (m - p.makespan()).abs() < 1e-9));
    }
}

#[test]
fn replications_in_the_json_carry_a_confidence_interval() {
    let wf = dir().join("epigenomics-45.json");
    let args = [
        "workflow",
        wf.to_str().unwrap(),
        "--speeds",
        "1,1,2,2",
        "--compare",
        "heft,random",
        "--replications",
        "10",
        "--task-scv",
        "0.25",
        "--json",
    ];
    let doc = json_of(&args);
    let r = &doc["results"][0];
    let h = r["makespan_ci95"].as_f64().unwrap();
    assert!(h > 0.0);
    assert_eq!(doc, json_of(&args));
}

#[test]
fn wfformat_files_from_wfcommons_read_correctly() {
    let text = std::fs::read_to_string(dir().join("montage-58.json")).unwrap();
    let inst = schedlab::model::wfformat::parse(&text, "x").unwrap();
    let d = &inst.dag;
    assert_eq!(d.name, "Montage-synthetic-instance");
    assert_eq!(d.len(), 58);
    assert_eq!(d.edges(), 114);
    let i = d.index_of("mDiffFit_00000006").unwrap();
    assert_eq!(d.work[i], 46.525);
    let p = d.index_of("mProject_00000001").unwrap();
    let data = d.pred[i].iter().find(|e| e.0 == p).unwrap().1;
    assert_eq!(data, 33874246.0);
    assert!((d.work.iter().sum::<f64>() - 17737.933).abs() < 1e-6);
}

#[test]
fn stg_file_reads_correctly() {
    let text = std::fs::read_to_string(dir().join("sample.stg")).unwrap();
    let d = schedlab::model::stg::parse(&text, "sample").unwrap();
    assert_eq!(d.len(), 9);
    assert_eq!(d.edges(), 11);
    assert_eq!(d.work, vec![0.0, 4.0, 3.0, 5.0, 2.0, 6.0, 3.0, 2.0, 0.0]);
    assert_eq!(d.pred[6], vec![(3, 0.0), (4, 0.0)]);
}

#[test]
fn gantt_chart_is_written_with_every_task_and_node() {
    let tmp = tempfile::tempdir().unwrap();
    let svg = tmp.path().join("g.svg");
    let (wf, costs) = (
        dir().join("heft-paper.json"),
        dir().join("heft-paper-costs.csv"),
    );
    let out = schedlab(&[
        "workflow",
        wf.to_str().unwrap(),
        "--costs",
        costs.to_str().unwrap(),
        "--bandwidth",
        "1",
        "--gantt",
        svg.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&svg).unwrap();
    for label in ["n1", "n10", "P1", "P3", "critical path"] {
        assert!(text.contains(label), "{label}");
    }
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("critical path (41 at the fastest times): n1 -> n2 -> n9 -> n10"));
}

/// Writes `name` with `text` and checks that `schedlab workflow` refuses
/// it: exit 2, one line naming the file and each of `words`, no chart.
fn refused(name: &str, text: &str, extra: &[&str], words: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(name);
    std::fs::write(&file, text).unwrap();
    let svg = tmp.path().join("g.svg");
    let mut args = vec![
        "workflow",
        file.to_str().unwrap(),
        "--gantt",
        svg.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = schedlab(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for w in words {
        assert!(err.contains(w), "expected {w} in: {err}");
    }
    assert!(!svg.exists());
    assert!(out.stdout.is_empty());
}

fn wf16(tasks: &str, files: &str, exec: &str) -> String {
    format!(
        r#"{{"name": "bad", "schemaVersion": "1.6", "workflow": {{
        "specification": {{"tasks": [{tasks}], "files": [{files}]}},
        "execution": {{"makespanInSeconds": 1, "executedAt": "x", "tasks": [{exec}]}}}}}}"#
    )
}

const TWO_TASKS: &str = r#"{"name": "a", "id": "a", "parents": [], "children": ["b"], "outputFiles": ["f"]},
    {"name": "b", "id": "b", "parents": ["a"], "children": [], "inputFiles": ["f"]}"#;
const TWO_RUNS: &str = r#"{"id": "a", "runtimeInSeconds": 1}, {"id": "b", "runtimeInSeconds": 2}"#;

#[test]
fn bad_workflows_are_refused_with_one_line_naming_file_and_task() {
    let nodes = ["--nodes", "2"];
    let cycle = r#"{"name": "a", "id": "a", "parents": ["c"], "children": []},
        {"name": "b", "id": "b", "parents": ["a"], "children": []},
        {"name": "c", "id": "c", "parents": ["b"], "children": []}"#;
    let runs3 = r#"{"id": "a", "runtimeInSeconds": 1}, {"id": "b", "runtimeInSeconds": 1},
        {"id": "c", "runtimeInSeconds": 1}"#;
    refused(
        "cycle.json",
        &wf16(cycle, "", runs3),
        &nodes,
        &["cycle.json", "tasks[a]", "cycle"],
    );
    let unknown = r#"{"name": "a", "id": "a", "parents": ["ghost"], "children": []}"#;
    refused(
        "unknown.json",
        &wf16(unknown, "", r#"{"id": "a", "runtimeInSeconds": 1}"#),
        &nodes,
        &[
            "unknown.json",
            "tasks[a].parents",
            "ghost",
            "unknown parent",
        ],
    );
    refused(
        "noruntime.json",
        &wf16(
            TWO_TASKS,
            r#"{"id": "f", "sizeInBytes": 5}"#,
            r#"{"id": "a", "runtimeInSeconds": 1}"#,
        ),
        &nodes,
        &["noruntime.json", "tasks[b].runtimeInSeconds", "runtime"],
    );
    refused(
        "negdata.json",
        &wf16(TWO_TASKS, r#"{"id": "f", "sizeInBytes": -5}"#, TWO_RUNS),
        &nodes,
        &["negdata.json", "tasks[a]", "-5", "negative data"],
    );
    refused(
        "negwork.json",
        &wf16(
            TWO_TASKS,
            r#"{"id": "f", "sizeInBytes": 5}"#,
            r#"{"id": "a", "runtimeInSeconds": -1}, {"id": "b", "runtimeInSeconds": 2}"#,
        ),
        &nodes,
        &["negwork.json", "tasks[a].runtimeInSeconds", "-1"],
    );
    refused(
        "old.json",
        &wf16(TWO_TASKS, r#"{"id": "f", "sizeInBytes": 5}"#, TWO_RUNS)
            .replace("\"1.6\"", "\"1.3\""),
        &nodes,
        &["old.json", "schemaVersion", "1.3", "unsupported"],
    );
    refused(
        "negcost.stg",
        "1\n0 0 0\n1 -4 1 0\n2 0 1 1\n",
        &nodes,
        &["negcost.stg", "tasks[1].cost", "-4"],
    );
    refused(
        "cycle.stg",
        "2\n0 0 0\n1 4 2 0 2\n2 3 1 1\n3 0 1 2\n",
        &nodes,
        &["cycle.stg", "tasks[1]", "cycle"],
    );
}

#[test]
fn bad_node_flags_are_refused() {
    let good = wf16(TWO_TASKS, r#"{"id": "f", "sizeInBytes": 5}"#, TWO_RUNS);
    refused("w.json", &good, &["--nodes", "0"], &["--nodes", "0"]);
    refused("w.json", &good, &["--speeds", "1,-2"], &["--speeds", "-2"]);
    refused(
        "w.json",
        &good,
        &["--nodes", "2", "--speeds", "1,2"],
        &["--speeds", "--nodes"],
    );
    refused("w.json", &good, &[], &["--nodes", "give the nodes"]);
    refused(
        "w.json",
        &good,
        &["--nodes", "2", "--bandwidth", "0"],
        &["--bandwidth", "0"],
    );
    refused(
        "w.json",
        &good,
        &["--nodes", "2", "--latency", "-1"],
        &["--latency", "-1"],
    );
    refused(
        "w.json",
        &good,
        &["--nodes", "2", "--policy", "lpt"],
        &["--policy", "lpt"],
    );
    refused(
        "w.json",
        &good,
        &["--nodes", "2", "--task-scv", "0.5"],
        &["--task-scv", "--replications"],
    );
    let tmp = tempfile::tempdir().unwrap();
    let costs = tmp.path().join("costs.csv");
    std::fs::write(&costs, "task,X,Y\na,1,2\nzz,1,1\n").unwrap();
    refused(
        "w.json",
        &good,
        &["--costs", costs.to_str().unwrap()],
        &["costs.csv", "zz", "unknown task"],
    );
}

#[test]
fn too_large_a_graph_for_the_milp_is_refused() {
    let text = std::fs::read_to_string(dir().join("montage-58.json")).unwrap();
    refused(
        "m.json",
        &text,
        &["--nodes", "2", "--optimal"],
        &["--optimal", "58", "15"],
    );
}

#[test]
fn nodes_come_from_a_scenario_file_or_from_the_wfformat_machines() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = tmp.path().join("w.json");
    let with_machines = wf16(TWO_TASKS, r#"{"id": "f", "sizeInBytes": 40}"#, TWO_RUNS).replace(
        r#""tasks": [{"id": "a""#,
        r#""machines": [{"nodeName": "m1", "cpu": {"coreCount": 2}}], "tasks": [{"id": "a""#,
    );
    std::fs::write(&wf, &with_machines).unwrap();
    let doc = json_of(&["workflow", wf.to_str().unwrap(), "--json"]);
    let nodes: Vec<&str> = doc["results"][0]["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["node"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, vec!["m1.0", "m1.0"]);
    assert_eq!(doc["results"][0]["makespan"], 3.0);
    // Two nodes, 40 bytes at bandwidth 10 with latency 1 between them: both
    // tasks on the fast node (0.5 + 1), as moving b to the slow one would
    // cost 0.5 + 5 + 2.
    let toml = tmp.path().join("s.toml");
    std::fs::write(
        &toml,
        "[[nodes]]\nname = \"slow\"\n[[nodes]]\nname = \"fast\"\nspeed = 2.0\n\
         [network]\nbandwidth = 10.0\nlatency = 1.0\n",
    )
    .unwrap();
    let doc = json_of(&[
        "workflow",
        wf.to_str().unwrap(),
        "--nodes-file",
        toml.to_str().unwrap(),
        "--json",
    ]);
    let r = &doc["results"][0];
    assert_eq!(r["schedule"][0]["node"], "fast");
    assert_eq!(r["schedule"][1]["node"], "fast");
    assert_eq!(r["makespan"], 1.5);
    // A bad network in the file names the file; --bandwidth overrides it.
    std::fs::write(
        &toml,
        "[[nodes]]\nname = \"slow\"\n[[nodes]]\nname = \"fast\"\nspeed = 2.0\n\
         [network]\nbandwidth = 0.0\n",
    )
    .unwrap();
    refused(
        "w.json",
        &with_machines,
        &["--nodes-file", toml.to_str().unwrap()],
        &["s.toml", "network.bandwidth", "0"],
    );
    let doc = json_of(&[
        "workflow",
        wf.to_str().unwrap(),
        "--nodes-file",
        toml.to_str().unwrap(),
        "--bandwidth",
        "1e9",
        "--json",
    ]);
    assert_eq!(doc["results"][0]["makespan"], 1.5);
}

#[test]
fn milp_stopped_by_its_time_limit_reports_the_best_plan_and_its_gap() {
    let (dag, platform) = paper();
    let heft = workflow::schedule(&dag, &platform, Policy::Heft, 1);
    let b = bounds(&dag, &platform);
    // The proof takes seconds; a microsecond stops the search at once.
    let opt = milp::solve(&dag, &platform, &heft, &b, 1e-6).unwrap();
    assert!(!opt.proven);
    assert!(
        opt.makespan <= 80.0 && opt.makespan >= 73.0,
        "{}",
        opt.makespan
    );
    assert!((opt.gap - (opt.makespan / 41.0 - 1.0)).abs() < 1e-12);
    opt.schedule.verify(&dag, &platform).unwrap();
}

#[test]
fn optimal_in_the_json_is_proven_73_and_compare_all_runs_every_policy() {
    let (wf, costs) = (
        dir().join("heft-paper.json"),
        dir().join("heft-paper-costs.csv"),
    );
    let doc = json_of(&[
        "workflow",
        wf.to_str().unwrap(),
        "--costs",
        costs.to_str().unwrap(),
        "--bandwidth",
        "1",
        "--compare",
        "all",
        "--optimal",
        // Generous: a loaded machine must not turn "proven" into a gap.
        "--time-limit",
        "600s",
        "--json",
    ]);
    assert_eq!(
        doc["optimal"],
        serde_json::json!({"makespan": 73.0, "proven": true, "gap": 0.0})
    );
    let names: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["heft", "cpop", "cp", "fcfs", "min-min", "max-min", "random"]
    );
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        vec!["workflow", "tasks", "edges", "bounds", "results", "optimal"]
    );
}
