//! Workflow classes in `schedlab run`: graphs of tasks placed on nodes by
//! the engine, checked against exact values.
//! - A static rule (heft, cpop, cp) run on one instance with the work as
//!   given takes exactly its plan's makespan (the plan of
//!   `schedlab::workflow::schedule`, replayed event by event).
//! - A chain takes each stage's time on its node plus the transfers
//!   between nodes; a fork-join on enough identical nodes takes its
//!   critical path, under every rule that looks at the nodes.
//! - A stream of one-task workflows whose task time is exponential is an
//!   M/M/1 queue: `E[T] = 1 / (μ − λ)`, within the replications' 95% CI
//!   widened to 4 standard errors.
//! - Instances never finish faster than their critical path, the node
//!   rows count every task, the figures do not depend on the threads.
//! - Bad workflow classes are refused with one line naming file, field
//!   and value, exit 2.

use std::path::Path;

use assert_cmd::Command;

mod common;

use schedlab::experiment::{self, Row, RunOutput};
use schedlab::model::Scenario;
use schedlab::stats::{Estimate, Selection};
use schedlab::workflow::{self, Platform, Policy};

const WIDEN: f64 = 4.0 / 1.968;

fn run(text: &str) -> RunOutput {
    let scenario = Scenario::from_toml(text, Path::new("workflow-test.toml")).unwrap();
    experiment::run(&scenario)
}

fn class_row(out: &RunOutput, class: usize) -> &Row {
    out.rows
        .iter()
        .find(|r| r.selection == Selection::Class(class))
        .expect("a class row")
}

fn within(what: &str, e: &Estimate, exact: f64) {
    let h = e.ci95.expect("replications give a CI") * WIDEN;
    assert!(
        (e.mean - exact).abs() <= h,
        "{what}: simulated {:.5} ± {h:.5}, exact {exact:.5}",
        e.mean
    );
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: {got} against {want}"
    );
}

fn montage() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/workflows/montage-58.json")
}

fn once(workflow: &str, rule: &str, nodes: &str, network: &str) -> String {
    format!(
        r#"
name = "once"
replications = 2
horizon = {{ jobs = 1 }}

[[classes]]
name = "w"
arrival = "once"
{workflow}

{network}

{nodes}

[policy]
workflow = "{rule}"
"#
    )
}

const FOUR_NODES: &str = r#"
[[nodes]]
name = "n0"
servers = 1
[[nodes]]
name = "n1"
servers = 1
[[nodes]]
name = "n2"
servers = 1
speed = 2.0
[[nodes]]
name = "n3"
servers = 1
speed = 2.0
"#;

#[test]
fn static_rules_take_exactly_their_plans_makespan() {
    let path = montage();
    let (dag, _) = schedlab::model::workflow::read_file(&path).unwrap();
    let platform = Platform::with_speeds(&[1.0, 1.0, 2.0, 2.0])
        .unwrap()
        .with_network(1.25e8, 0.0)
        .unwrap();
    for policy in [Policy::Heft, Policy::Cpop, Policy::Cp] {
        let plan = workflow::schedule(&dag, &platform, policy, 1);
        let text = once(
            &format!("workflow = {:?}", path.to_str().unwrap()),
            policy.name(),
            FOUR_NODES,
            "[network]\nbandwidth = 1.25e8",
        );
        let out = run(&text);
        let row = class_row(&out, 0);
        assert_eq!(row.stats.jobs, 2, "{policy}: one instance per replication");
        close(
            &format!("{policy} response"),
            row.stats.mean_response.mean,
            plan.makespan(),
        );
        // Every task of the instance starts at time 0 or later, the first
        // at 0: the makespan is the response.
        close(
            &format!("{policy} makespan"),
            row.stats.mean_makespan.mean,
            plan.makespan(),
        );
        // The node rows count each of the 58 tasks once.
        let visits: u64 = out
            .rows
            .iter()
            .filter(|r| matches!(r.selection, Selection::Node(_)) && r.policy == row.policy)
            .map(|r| r.stats.jobs)
            .sum();
        assert_eq!(visits, 2 * dag.len() as u64, "{policy}");
    }
}

/// a -> b -> c, each 10 units of work, fast (speed 10) on one node only:
/// a and c on n0, b on n1, and 10 bytes moved at 10 bytes per time unit
/// after a latency of 0.5 between them.
const CHAIN: &str = r#"
[[classes.tasks]]
id = "a"
work = 10.0
data = 10.0
[[classes.tasks]]
id = "b"
work = 10.0
after = ["a"]
data = 10.0
[[classes.tasks]]
id = "c"
work = 10.0
after = ["b"]
"#;

const CHAIN_NODES: &str = r#"
[[nodes]]
name = "n0"
servers = 1
speed_by_task = { a = 10.0, c = 10.0 }
[[nodes]]
name = "n1"
servers = 1
speed_by_task = { b = 10.0 }
"#;

#[test]
fn a_chain_takes_its_stages_and_its_transfers() {
    // 1 (a on n0) + 1.5 (to n1) + 1 (b) + 1.5 (back) + 1 (c) = 6. CPOP
    // puts the whole critical path (here the chain) on the processor where
    // it costs least, n0: 1 + 10 + 1 = 12, no transfer.
    for (rule, makespan) in [
        ("heft", 6.0),
        ("cpop", 12.0),
        ("cp", 6.0),
        ("fcfs", 6.0),
        ("min-min", 6.0),
        ("max-min", 6.0),
    ] {
        let text = once(
            CHAIN,
            rule,
            CHAIN_NODES,
            "[network]\nbandwidth = 10.0\nlatency = 0.5",
        );
        let out = run(&text);
        let stats = &class_row(&out, 0).stats;
        close(&format!("{rule} chain"), stats.mean_response.mean, makespan);
        // Its time alone is 3 (each stage at its fastest).
        close(
            &format!("{rule} slowdown"),
            stats.mean_slowdown.mean,
            makespan / 3.0,
        );
    }
}

#[test]
fn a_fork_join_on_enough_nodes_takes_its_critical_path() {
    let mut tasks = String::from("[[classes.tasks]]\nid = \"split\"\nwork = 1.0\n");
    for (k, w) in [3.0, 5.0, 2.0, 4.0].iter().enumerate() {
        tasks += &format!("[[classes.tasks]]\nid = \"m{k}\"\nwork = {w}\nafter = [\"split\"]\n");
    }
    tasks +=
        "[[classes.tasks]]\nid = \"join\"\nwork = 2.0\nafter = [\"m0\", \"m1\", \"m2\", \"m3\"]\n";
    let nodes: String = (0..5)
        .map(|j| format!("[[nodes]]\nname = \"n{j}\"\nservers = 1\n"))
        .collect();
    for rule in ["heft", "cpop", "cp", "fcfs", "min-min", "max-min"] {
        let out = run(&once(&tasks, rule, &nodes, ""));
        close(
            &format!("{rule} fork-join"),
            class_row(&out, 0).stats.mean_response.mean,
            1.0 + 5.0 + 2.0,
        );
    }
}

#[test]
fn a_stream_of_one_task_workflows_is_an_mm1_queue() {
    let text = r#"
name = "mm1-tasks"
seed = 11
replications = 20
warmup = { jobs = 2000 }
horizon = { jobs = 40000 }

[[classes]]
name = "w"
arrival = { dist = "exponential", rate = 0.7 }
[[classes.tasks]]
id = "only"
work = { dist = "exponential", mean = 1.0 }

[[nodes]]
name = "cpu"
servers = 1

[policy]
discipline = "fcfs"
workflow = "fcfs"
"#;
    let out = run(text);
    let stats = &class_row(&out, 0).stats;
    within("M/M/1 response", &stats.mean_response, 1.0 / (1.0 - 0.7));
    within("M/M/1 throughput", &stats.throughput, 0.7);
    // The task waits are the queue's: E[W] = ρ / (μ − λ).
    within("M/M/1 task wait", &stats.mean_task_wait, 0.7 / (1.0 - 0.7));
    within("M/M/1 makespan", &stats.mean_makespan, 1.0);
}

const STREAM: &str = r#"
name = "stream"
seed = 5
replications = 4
warmup = { jobs = 200 }
horizon = { jobs = 3000 }

[[classes]]
name = "etl"
arrival = { dist = "exponential", rate = 0.15 }
task_scv = 0.5
[[classes.tasks]]
id = "split"
work = 1.0
data = 5.0
[[classes.tasks]]
id = "m1"
work = 2.0
after = ["split"]
data = 1.0
[[classes.tasks]]
id = "m2"
work = 2.0
after = ["split"]
data = 1.0
[[classes.tasks]]
id = "join"
work = 1.0
after = ["m1", "m2"]

[[classes]]
name = "web"
arrival = { dist = "exponential", rate = 0.4 }
service = { dist = "exponential", mean = 1.0 }
node = "n0"

[network]
bandwidth = 10.0
latency = 0.1

[[nodes]]
name = "n0"
servers = 1
[[nodes]]
name = "n1"
servers = 2
[[nodes]]
name = "n2"
servers = 1
speed = 2.0
speed_by_task = { m = 4.0 }

[policy]
workflow = "RULE"
"#;

#[test]
fn instances_in_a_stream_never_beat_their_critical_path_and_every_task_is_counted() {
    for rule in ["heft", "cpop", "cp", "fcfs", "min-min", "max-min", "random"] {
        let out = run(&STREAM.replace("RULE", rule));
        let etl = &class_row(&out, 0).stats;
        let web = &class_row(&out, 1).stats;
        // Response over the critical path at the fastest speeds, with the
        // task times drawn: at least 1 for every instance.
        assert!(
            etl.median_slowdown >= 1.0 && etl.mean_bounded_slowdown.mean >= 1.0,
            "{rule}: {} {}",
            etl.median_slowdown,
            etl.mean_bounded_slowdown.mean
        );
        assert!(etl.mean_makespan.mean <= etl.mean_response.mean + 1e-12);
        // An instance's wait and queue are not defined; its tasks' are.
        assert!(etl.mean_wait.mean.is_nan() && etl.mean_in_queue.mean.is_nan());
        assert!(etl.mean_task_wait.mean >= 0.0);
        assert!(web.mean_makespan.mean.is_nan());
        let visits: u64 = out
            .rows
            .iter()
            .filter(|r| matches!(r.selection, Selection::Node(_)))
            .map(|r| r.stats.jobs)
            .sum();
        // Visits measured in the window: the web jobs, and 4 tasks per
        // instance give or take the instances cut by the window's ends.
        let tasks = visits - web.jobs;
        let expected = 4 * etl.jobs;
        assert!(
            tasks.abs_diff(expected) <= 4 * 4 * 20,
            "{rule}: {tasks} task visits for {} instances",
            etl.jobs
        );
    }
}

#[test]
fn workflow_runs_are_the_same_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stream.toml");
    std::fs::write(&file, STREAM.replace("RULE", "min-min")).unwrap();
    let json = |threads: &str| {
        let out = Command::cargo_bin("schedlab")
            .unwrap()
            .args([
                "run",
                file.to_str().unwrap(),
                "--json",
                "--threads",
                threads,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_object_mut().unwrap().remove("wall_seconds");
        v.as_object_mut().unwrap().remove("events_per_second");
        v
    };
    let one = json("1");
    assert_eq!(one, json("2"));
    let etl = one["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["class"] == "etl" && r["node"] == "all")
        .unwrap();
    assert!(etl["mean_makespan"].as_f64().unwrap() > 0.0);
    assert!(etl["mean_task_wait_ci95"].as_f64().is_some());
}

fn bad(change: &dyn Fn(&str) -> String, field: &str, value: &str) {
    common::refused(&change(&STREAM.replace("RULE", "heft")), field, value);
}

#[test]
fn bad_workflow_classes_are_refused_with_one_line() {
    bad(
        &|s| {
            s.replace(
                "after = [\"split\"]\ndata = 1.0\n[[classes.tasks]]\nid = \"m2\"",
                "after = [\"join\"]\ndata = 1.0\n[[classes.tasks]]\nid = \"m2\"",
            )
        },
        "classes[0].tasks[m1].parents",
        "join",
    );
    bad(
        &|s| s.replacen("after = [\"split\"]", "after = [\"nowhere\"]", 1),
        "classes[0].tasks[m1].parents",
        "nowhere",
    );
    bad(
        &|s| s.replace("task_scv = 0.5", "workflow = \"missing.json\""),
        "classes[0].tasks",
        "given with workflow",
    );
    bad(
        &|s| s.replace("task_scv = 0.5", "task_scv = -1.0"),
        "classes[0].task_scv",
        "-1",
    );
    bad(
        &|s| s.replace("task_scv = 0.5", "node = \"n1\""),
        "classes[0].node",
        "(given)",
    );
    bad(
        &|s| {
            s.replace(
                "task_scv = 0.5",
                "service = { dist = \"exponential\", mean = 1.0 }",
            )
        },
        "classes[0].service",
        "(given)",
    );
    bad(
        &|s| s.replace("servers = 2\n", "servers = 2\ncapacity = 5\n"),
        "nodes[1].capacity",
        "(given)",
    );
    bad(
        &|s| s.replace("workflow = \"heft\"", "workflow = \"hefty\""),
        "policy.workflow",
        "hefty",
    );
    bad(
        &|s| s.replace("bandwidth = 10.0", "bandwidth = 0.0"),
        "network.bandwidth",
        "0",
    );
    bad(
        &|s| s.replace("{ m = 4.0 }", "{ m = 0.0 }"),
        "nodes[2].speed_by_task.m",
        "0",
    );
    bad(
        &|s| {
            s.replace(
                "rate = 0.15 }",
                "rate = 0.15 }\nbatch = { dist = \"deterministic\", value = 2 }\nnode = \"n0\"",
            )
        },
        "classes[0].node",
        "(given)",
    );
    bad(
        &|s| {
            s.replacen(
                "arrival = { dist = \"exponential\", rate = 0.15 }",
                "arrival = \"twice\"",
                1,
            )
        },
        "classes[0].arrival",
        "twice",
    );
    bad(
        &|s| {
            s.replace("work = 1.0", "work = 0.0")
                .replace("work = 2.0", "work = 0.0")
        },
        "classes[0].tasks",
        "inline",
    );
    bad(
        &|s| {
            format!(
                "{s}\n[[routes]]\nfrom = \"n0\"\nclass = \"etl\"\nto = [{{ node = \"exit\", p = 1.0 }}]\n"
            )
        },
        "routes[0].class",
        "etl",
    );
    bad(
        &|s| {
            s.replace(
                "[[nodes]]\nname = \"n0\"",
                "[dispatch]\nrule = \"pull\"\n\n[[nodes]]\nname = \"n0\"",
            )
            .replace("node = \"n0\"\n", "")
        },
        "dispatch.rule",
        "pull",
    );
    // A scenario without workflow classes refuses what applies to them only.
    let plain = "name = \"p\"\nhorizon = { jobs = 10 }\n[[classes]]\nname = \"c\"\n\
                 arrival = { dist = \"exponential\", rate = 0.5 }\n\
                 service = { dist = \"exponential\", mean = 1.0 }\n\
                 [[nodes]]\nname = \"n\"\nservers = 1\n";
    common::refused(
        &format!("{plain}[policy]\nworkflow = \"heft\"\n"),
        "policy.workflow",
        "heft",
    );
    common::refused(
        &format!("{plain}[network]\nlatency = 1.0\n"),
        "network",
        "(given)",
    );
}

#[test]
fn a_workflow_file_with_a_cycle_is_refused_naming_the_file_and_a_task() {
    let dir = tempfile::tempdir().unwrap();
    let stg = dir.path().join("loop.stg");
    // STG: count, then `id cost npred preds...`; 1 and 2 depend on each other.
    std::fs::write(&stg, "2\n0 0 0\n1 3 2 0 2\n2 4 1 1\n3 0 1 2\n").unwrap();
    let text = once(
        &format!("workflow = {:?}", stg.to_str().unwrap()),
        "heft",
        "[[nodes]]\nname = \"n\"\nservers = 1\n",
        "",
    );
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args(["run", file.to_str().unwrap()])
        .output()
        .unwrap();
    let err = common::one_line_error(&out);
    assert!(
        err.contains("bad.toml") && err.contains("loop.stg") && err.contains("cycle"),
        "{err}"
    );
}

#[test]
fn validate_refuses_workflow_classes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stream.toml");
    std::fs::write(&file, STREAM.replace("RULE", "heft")).unwrap();
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    let err = common::one_line_error(&out);
    assert!(err.contains("classes[0].workflow"), "{err}");
}

#[test]
fn the_workflow_command_plans_a_scenarios_nodes_with_their_task_speeds_as_run_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = montage();
    let nodes = FOUR_NODES.replace(
        "speed = 2.0\n[[nodes]]",
        "speed = 2.0\nspeed_by_task = { mProject = 6.0, mDiff = 0.5 }\n[[nodes]]",
    );
    let text = once(
        &format!("workflow = {:?}", path.to_str().unwrap()),
        "heft",
        &nodes,
        "[network]\nbandwidth = 1.25e8\nlatency = 0.01",
    );
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, &text).unwrap();
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args([
            "workflow",
            path.to_str().unwrap(),
            "--nodes-file",
            file.to_str().unwrap(),
            "--policy",
            "heft",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let planned = doc["results"][0]["makespan"].as_f64().unwrap();
    let simulated = class_row(&run(&text), 0).stats.mean_response.mean;
    close("heft on the scenario's nodes", simulated, planned);
    // The task speeds matter: without them the plan differs.
    let plain = once(
        &format!("workflow = {:?}", path.to_str().unwrap()),
        "heft",
        FOUR_NODES,
        "[network]\nbandwidth = 1.25e8\nlatency = 0.01",
    );
    let without = class_row(&run(&plain), 0).stats.mean_response.mean;
    assert!((without - planned).abs() > 1.0, "{without} {planned}");
}

#[test]
fn the_bundled_montage_stream_runs_with_its_workflow_rows() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/workflows/montage-stream.toml");
    let mut scenario = Scenario::from_file(&path).unwrap();
    scenario.replications = 3;
    scenario.horizon = schedlab::model::Limit::Time(6.0e5);
    let out = experiment::run(&scenario);
    let montage = &class_row(&out, 0).stats;
    // At least the critical path of the given work (778 s at speed 2),
    // drawn times aside: every instance takes longer than its own.
    assert!(montage.jobs > 0 && montage.median_slowdown >= 1.0);
    assert!(
        montage.mean_makespan.mean > 700.0,
        "{}",
        montage.mean_makespan.mean
    );
    assert!(class_row(&out, 1).stats.mean_makespan.mean.is_nan());
}

#[test]
fn a_sweep_of_a_workflows_service_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stream.toml");
    std::fs::write(&file, STREAM.replace("RULE", "heft")).unwrap();
    for param in ["service.mean", "classes.etl.service.mean"] {
        let out = Command::cargo_bin("schedlab")
            .unwrap()
            .args([
                "sweep",
                file.to_str().unwrap(),
                "--param",
                param,
                "--values",
                "1,2",
            ])
            .output()
            .unwrap();
        let err = common::one_line_error(&out);
        assert!(err.contains(param) && err.contains("workflow"), "{err}");
    }
}
