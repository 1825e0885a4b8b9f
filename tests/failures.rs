//! Server failures against exact results at fixed seeds: availability
//! MTTF / (MTTF + MTTR), the M/G/1 whose server breaks down while busy
//! (completion time E[S](1 + g E[R])), the same failures under every
//! policy (common random numbers), failed attempts that follow the retry
//! rules with the accounting identity, and the refusals of bad input.

use std::path::Path;

mod common;
mod exact;
use common::refused;
use exact::{assert_within, overall};
use schedlab::experiment::{self, Row, RunOutput};
use schedlab::model::Scenario;
use schedlab::stats::Selection;

fn bundled(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/failures")
        .join(name);
    Scenario::from_file(&path).expect("bundled scenario parses")
}

fn node_row(out: &RunOutput) -> &Row {
    out.rows
        .iter()
        .find(|r| matches!(r.selection, Selection::Node(_)))
        .expect("a node row exists")
}

fn pool(running: &str, policy: &str) -> Scenario {
    let text = format!(
        r#"
name = "failing pool"
seed = 5
replications = 10
warmup = {{ time = 500.0 }}
horizon = {{ time = 20000.0 }}
[policy]
name = "{policy}"
[[classes]]
name = "task"
arrival = {{ dist = "exponential", rate = 1.5 }}
service = {{ dist = "exponential", mean = 1.0 }}
[[nodes]]
name = "pool"
servers = 3
failures = {{ up = {{ dist = "exponential", mean = 40.0 }}, down = {{ dist = "deterministic", value = 4.0 }}, running = "{running}" }}
"#
    );
    Scenario::from_toml(&text, Path::new("pool.toml")).expect("test scenario parses")
}

#[test]
fn availability_is_mttf_over_mttf_plus_mttr() {
    for running in ["resume", "restart", "retry"] {
        let out = experiment::run(&pool(running, "fcfs"));
        let sv = node_row(&out)
            .stats
            .servers
            .expect("a failing node reports its servers");
        assert_within(
            &format!("availability ({running})"),
            &sv.availability,
            40.0 / 44.0,
        );
        // About window / (MTTF + MTTR) failures per server.
        assert_within(
            &format!("failures ({running})"),
            &sv.failures,
            3.0 * 20000.0 / 44.0,
        );
        assert!(sv.interrupted.mean > 0.0 && sv.interrupted.mean < sv.failures.mean);
    }
}

#[test]
fn every_policy_meets_the_same_failures() {
    // Under the always-running clock the up and down periods are drawn
    // per (node, server, period), whatever runs: identical down time.
    let a = experiment::run(&pool("resume", "fcfs"));
    let b = experiment::run(&pool("resume", "sjf"));
    let (sa, sb) = (
        node_row(&a).stats.servers.unwrap(),
        node_row(&b).stats.servers.unwrap(),
    );
    assert_eq!(sa.availability, sb.availability);
    assert_eq!(sa.failures, sb.failures);
    assert_ne!(
        node_row(&a).stats.mean_response,
        node_row(&b).stats.mean_response
    );
}

#[test]
fn breakdowns_while_busy_make_an_mg1_of_completion_times() {
    let s = bundled("breakdowns.toml");
    let out = experiment::run(&s);
    let row = overall(&out);
    // λ = 0.5, S ~ Exp(1), g = 0.1, R ~ Exp(mean 2): E[C] = 1.2,
    // E[C²] = 2 (1.2)² + 0.1 · 1 · 8 = 3.68, W_q = λ E[C²] / (2 (1 − λ E[C])).
    let (ec, ec2) = (1.2, 3.68);
    let response = 0.5 * ec2 / (2.0 * (1.0 - 0.5 * ec)) + ec;
    assert_within("mean response", &row.stats.mean_response, response);
    let t = row.theory.as_ref().expect("the row has its formula");
    assert_eq!(t.formula, "breakdowns-mg1");
    assert!((t.mean_response - response).abs() < 1e-12);
    // Failures only while serving: every one interrupts a job.
    let sv = row.stats.servers.unwrap();
    assert_eq!(sv.failures, sv.interrupted);
    // Restarting instead loses work: slower than resuming.
    let mut restart = s.clone();
    restart.nodes[0].failures.as_mut().unwrap().running = schedlab::model::OnFailure::Restart;
    let r = experiment::run(&restart);
    assert!(overall(&r).stats.mean_response.mean > row.stats.mean_response.mean);
    assert!(overall(&r).theory.is_none());
}

#[test]
fn a_failed_attempt_follows_the_retry_rules_and_every_task_is_accounted_for() {
    let s = bundled("pool.toml");
    let out = experiment::run(&s);
    assert!(experiment::imbalance_line(Path::new("pool.toml"), &out.rows).is_none());
    let row = overall(&out);
    let t = &row.stats.tasks;
    let sv = row.stats.servers.unwrap();
    // Each interrupted attempt failed: attempts beyond the first are at
    // least the interruptions (timeouts add more).
    let extra = (t.mean_attempts.mean - 1.0) * t.arrived as f64 / 10.0;
    assert!(
        extra >= 0.95 * sv.interrupted.mean,
        "{extra} {:?}",
        sv.interrupted
    );
    assert!(t.imbalance.is_none());
    assert!(
        t.failed as f64 >= 0.95 * sv.interrupted.mean * 10.0,
        "{}",
        t.failed
    );
}

/// A compensation task hit by a server failure under `running = "retry"`
/// starts over: it is not an attempt, so it is never retried as one nor
/// given up a second time. Each task given up is counted once, by reason.
#[test]
fn an_interrupted_compensation_starts_over_and_is_given_up_once() {
    let path = Path::new("pool.toml");
    let text = r#"
name = "failing compensations"
seed = 9
replications = 4
warmup = { time = 100.0 }
horizon = { time = 5000.0 }
[[classes]]
name = "task"
arrival = { dist = "exponential", rate = 1.0 }
service = { dist = "exponential", mean = 1.0 }
[classes.attempts]
failure = { p = 0.5 }
retry = { max_attempts = 1 }
on_give_up = "rollback"
rollback = { dist = "deterministic", value = 2.0 }
[[nodes]]
name = "pool"
servers = 3
failures = { up = { dist = "exponential", mean = 5.0 }, down = { dist = "deterministic", value = 0.5 }, running = "retry" }
"#;
    let s = Scenario::from_toml(text, path).unwrap();
    let out = experiment::run(&s);
    assert!(experiment::imbalance_line(path, &out.rows).is_none());
    let t = &overall(&out).stats.tasks;
    assert!(t.rolled_back > 0 && t.gave_up == 0, "{t:?}");
    // One attempt each: every task given up once, for its attempts. A
    // task given up near the end of the window may still be compensating
    // when it closes (a few, at most the jobs present then).
    let given_up: u64 = t.gave_up_by.iter().sum();
    assert_eq!(given_up, t.gave_up_by[0]);
    assert!(
        given_up >= t.rolled_back && given_up - t.rolled_back <= 4 * 10,
        "{given_up} given up, {} rolled back",
        t.rolled_back
    );
    let sv = overall(&out).stats.servers.unwrap();
    assert!(sv.interrupted.mean > 0.0);
}

#[test]
fn failures_on_bad_input_are_refused_with_the_field() {
    let base = |failures: &str, extra: &str| {
        format!(
            "name = \"x\"\nhorizon = {{ jobs = 10 }}\n{extra}\n[[classes]]\nname = \"a\"\n\
             arrival = {{ dist = \"exponential\", rate = 1.0 }}\n\
             service = {{ dist = \"exponential\", mean = 0.5 }}\n\
             [[nodes]]\nname = \"n\"\nservers = 2\nfailures = {failures}\n"
        )
    };
    let up = "up = { dist = \"exponential\", mean = 10.0 }";
    let down = "down = { dist = \"exponential\", mean = 1.0 }";
    refused(
        &base(&format!("{{ {up}, {down}, running = \"sometimes\" }}"), ""),
        "nodes[0].failures.running",
        "sometimes",
    );
    refused(
        &base(&format!("{{ {up}, {down}, clock = \"idle\" }}"), ""),
        "nodes[0].failures.clock",
        "idle",
    );
    refused(
        &base(
            &format!("{{ up = {{ dist = \"deterministic\", value = 0.0 }}, {down} }}"),
            "",
        ),
        "nodes[0].failures.up",
        "0",
    );
    refused(
        &base(&format!("{{ {up}, {down} }}"), "[policy]\nname = \"ps\""),
        "nodes[0].failures",
        "ps",
    );
}
