//! The task lifecycle against exact results at fixed seeds: attempts and
//! give-ups of independent failures (truncated geometric), Bernoulli
//! feedback (M/M/1 whose failed attempts rejoin the tail), timeouts on
//! exponential service (e^{-μt}), the completion time of work that
//! restarts on failures at a rate ((e^{gx} − 1)/g), timers that fire on
//! time, the accounting identity under every discipline, and the
//! refusals of bad input. Exact values are held to their 99.9% intervals
//! (see `exact`).

use std::path::Path;

mod common;
mod exact;
use common::refused;
use exact::{assert_within, overall};
use schedlab::experiment;
use schedlab::model::Scenario;

fn scenario(attempts: &str, extra: &str) -> Scenario {
    let text = format!(
        r#"
name = "lifecycle"
seed = 11
replications = 10
warmup = {{ jobs = 5000 }}
horizon = {{ jobs = 60000 }}
{extra}
[[classes]]
name = "task"
arrival = {{ dist = "exponential", rate = 0.5 }}
service = {{ dist = "exponential", mean = 1.0 }}
[classes.attempts]
{attempts}

[[nodes]]
name = "pool"
servers = 1
"#
    );
    Scenario::from_toml(&text, Path::new("lifecycle.toml")).expect("test scenario parses")
}

#[test]
fn bernoulli_feedback_is_mm1_at_the_inflated_rate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lifecycle/feedback.toml");
    let s = Scenario::from_file(&path).unwrap();
    let out = experiment::run(&s);
    let row = overall(&out);
    // λ = 0.5, μ = 1, p = 0.2: W = 1 / (μ(1 − p) − λ).
    assert_within("mean response", &row.stats.mean_response, 1.0 / (0.8 - 0.5));
    assert_within("mean attempts", &row.stats.tasks.mean_attempts, 1.25);
    assert_eq!(row.stats.tasks.gave_up, 0);
    let t = row
        .theory
        .as_ref()
        .expect("the feedback row has its formula");
    assert_eq!(t.formula, "bernoulli-feedback");
    assert!((t.mean_response - 1.0 / 0.3).abs() < 1e-12);
}

#[test]
fn limited_attempts_give_up_with_probability_p_to_the_m() {
    let s = scenario(
        "failure = { p = 0.5 }\n\
         retry = { max_attempts = 3, initial = 0.5, coefficient = 2.0, jitter = \"full\" }",
        "",
    );
    let row = overall(&experiment::run(&s)).clone();
    let t = &row.stats.tasks;
    assert_within("P(give up)", &t.p_give_up, 0.125);
    assert_within("mean attempts", &t.mean_attempts, 1.75);
    // Every give-up here is for attempts, and none is a rollback.
    assert_eq!(t.gave_up_by, [t.gave_up, 0, 0, 0]);
    assert_eq!(t.rolled_back, 0);
    assert!(t.gave_up > 0 && t.failed > t.gave_up);
    // The tasks started 1, 2 or 3 attempts and no more; none gave up unstarted.
    assert_eq!(t.by_attempts[0], 0);
    assert!(t.by_attempts[1..4].iter().all(|&n| n > 0));
    assert!(t.by_attempts[4..].iter().all(|&n| n == 0));
    assert!(t.goodput.mean < 1.0 && t.wasted_work.mean > 0.0);
}

#[test]
fn tasks_given_up_in_the_queue_started_no_attempt() {
    // M/M/1 at load 0.5 waits longer than 0.5 for about a third of its
    // jobs: those leave on their queue timeout before any attempt, and
    // only they, since nothing else can give a task up here.
    let s = scenario("queue_timeout = 0.5", "");
    let out = experiment::run(&s);
    let row = overall(&out).clone();
    let t = &row.stats.tasks;
    let [_, _, queue_timeout, _] = t.gave_up_by;
    assert!(queue_timeout > 0, "{t:?}");
    assert_eq!(t.by_attempts[0], queue_timeout);
    assert_eq!(
        t.by_attempts[0] + t.by_attempts[1],
        t.by_attempts.iter().sum::<u64>()
    );
    // Attempts per task ended: those that started one used exactly one.
    let ended = t.by_attempts.iter().sum::<u64>() as f64;
    let expected = t.by_attempts[1] as f64 / ended;
    assert!((t.mean_attempts.mean - expected).abs() < 0.01, "{t:?}");
    // In the JSON too, as the first entry of attempts_distribution.
    let json = schedlab::report::RunDocument::new(&s, &out).to_json();
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let all = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["class"] == "all" && r["node"] == "all")
        .unwrap();
    let dist = all["attempts_distribution"].as_array().unwrap();
    assert_eq!(dist[0].as_u64(), Some(queue_timeout));
    assert_eq!(
        all["gave_up_by"]["queue_timeout"].as_u64(),
        Some(queue_timeout)
    );
}

#[test]
fn a_timeout_on_exponential_service_cuts_e_to_the_minus_mu_t() {
    let s = scenario("timeout = 1.0", "");
    let row = overall(&experiment::run(&s)).clone();
    let t = &row.stats.tasks;
    // One attempt each: the task is given up when its service exceeds 1.
    assert_within("P(timeout)", &t.p_give_up, (-1.0f64).exp());
    assert_eq!(t.gave_up_by, [0, t.gave_up, 0, 0]);
    assert_eq!(t.timed_out, t.gave_up);
}

#[test]
fn restarting_work_takes_e_to_the_gx_minus_one_over_g() {
    // Work x = 1 at speed 1, failures at rate g = 0.5 while it runs, each
    // restarting the same work at once: e^{gx} attempts per task, and of
    // the server time E[T] = (e^{gx} − 1)/g per task only x is useful.
    let s = scenario(
        "failure = { rate = 0.5 }\nretry = { max_attempts = 0, initial = 0.0 }",
        "",
    );
    let mut s = s;
    s.classes[0].service = schedlab::model::Dist::Deterministic { value: 1.0 };
    let row = overall(&experiment::run(&s)).clone();
    let t = &row.stats.tasks;
    let (g, x) = (0.5f64, 1.0f64);
    let (mean_t, _) = schedlab::theory::restart_completion(g, x).unwrap();
    assert_within("mean attempts", &t.mean_attempts, (g * x).exp());
    assert_within("goodput", &t.goodput, x / mean_t);
    assert_eq!(t.gave_up, 0);
}

#[test]
fn timers_fire_on_time() {
    // Every queue-timeout give-up comes exactly `queue_timeout` after its
    // arrival, every deadline give-up exactly `deadline` after it.
    let mut s = scenario("queue_timeout = 0.75", "");
    s.classes[0].arrival = schedlab::model::Dist::exponential_rate(0.9).into();
    let t = overall(&experiment::run(&s)).stats.tasks.clone();
    assert!(t.gave_up_by[2] > 1000, "{:?}", t.gave_up_by);
    assert_eq!(t.gave_up_by, [0, 0, t.gave_up, 0]);
    assert!((t.mean_time_to_give_up.mean - 0.75).abs() < 1e-9);
    let s = scenario("deadline = 2.0", "");
    let t = overall(&experiment::run(&s)).stats.tasks.clone();
    assert!(t.gave_up_by[3] > 1000, "{:?}", t.gave_up_by);
    assert_eq!(t.gave_up_by, [0, 0, 0, t.gave_up]);
    assert!((t.mean_time_to_give_up.mean - 2.0).abs() < 1e-9);
    // A deadline kills running attempts as well as waiting ones.
    assert!(t.killed > 0);
}

#[test]
fn every_job_is_accounted_for_under_every_discipline() {
    // Everything at once, on two servers, with rollback: a run whose jobs
    // do not add up stops with an error, so reaching the rows is the check;
    // the rows' own counts must then add up too.
    let attempts = "timeout = 3.0\nqueue_timeout = 6.0\ndeadline = 12.0\n\
                    failure = { p = 0.3 }\n\
                    retry = { max_attempts = 4, initial = 0.2, coefficient = 2.0, max_interval = 2.0, jitter = \"equal\" }\n\
                    on_give_up = \"rollback\"\n\
                    rollback = { dist = \"deterministic\", value = 0.1 }";
    for policy in ["fcfs", "srpt", "rr(q=0.3)", "lcfs-pr", "sjf"] {
        let mut s = scenario(attempts, "");
        s.classes[0].arrival = schedlab::model::Dist::exponential_rate(1.4).into();
        s.nodes[0].servers = 2;
        schedlab::commands::run::compare(&mut s, policy).unwrap();
        let out = experiment::run(&s);
        assert!(
            experiment::imbalance_line(&s.path, &out.rows).is_none(),
            "{policy}"
        );
        let t = &overall(&out).stats.tasks;
        // Given up tasks are rolled back, never dead-lettered; those
        // compensating when a window opens or closes (a few per replication,
        // their compensations being short) are the only difference.
        assert!(t.rolled_back > 0 && t.gave_up == 0, "{policy}: {t:?}");
        let given_up: u64 = t.gave_up_by.iter().sum();
        assert!(given_up.abs_diff(t.rolled_back) <= 40, "{policy}: {t:?}");
        assert!(
            t.timed_out > 0 && t.failed > 0 && t.killed > 0,
            "{policy}: {t:?}"
        );
    }
}

#[test]
fn same_numbers_on_one_thread_and_two() {
    let s = scenario(
        "failure = { p = 0.3 }\nretry = \"temporal\"\ntimeout = 2.0",
        "",
    );
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| experiment::run(&s));
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap()
        .install(|| experiment::run(&s));
    assert_eq!(format!("{:?}", one.rows), format!("{:?}", two.rows));
}

const BASE: &str = r#"
name = "bad"
horizon = { jobs = 100 }
[[classes]]
name = "task"
arrival = { dist = "exponential", rate = 0.5 }
service = { dist = "exponential", mean = 1.0 }
[classes.attempts]
"#;

const NODE: &str = "\n[[nodes]]\nname = \"pool\"\nservers = 1\n";

#[test]
fn bad_attempt_rules_are_refused_with_the_field_and_value() {
    let bad = |rules: &str, field: &str, value: &str| {
        refused(&format!("{BASE}{rules}{NODE}"), field, value);
    };
    bad(
        "failure = { p = 1.0 }\nretry = { max_attempts = 0 }",
        "classes[0].attempts.failure.p",
        "1",
    );
    bad("timeout = 0.0", "classes[0].attempts.timeout", "0");
    bad("deadline = -3.0", "classes[0].attempts.deadline", "-3");
    bad(
        "queue_timeout = 0.0",
        "classes[0].attempts.queue_timeout",
        "0",
    );
    bad(
        "retry = { coefficient = 0.5 }",
        "classes[0].attempts.retry.coefficient",
        "0.5",
    );
    bad("retry = \"resque\"", "classes[0].attempts.retry", "resque");
    bad(
        "retry = { jitter = \"some\" }",
        "classes[0].attempts.retry.jitter",
        "some",
    );
    bad(
        "rollback = { dist = \"deterministic\", value = 1.0 }",
        "classes[0].attempts.rollback",
        "(given)",
    );
    bad(
        "on_give_up = \"rollback\"",
        "classes[0].attempts.rollback",
        "(missing)",
    );
    bad(
        "on_give_up = \"retry\"",
        "classes[0].attempts.on_give_up",
        "retry",
    );
    bad(
        "failure = { p = 1.5 }",
        "classes[0].attempts.failure.p",
        "1.5",
    );
    bad(
        "failure = { rate = 0.0 }",
        "classes[0].attempts.failure.rate",
        "0",
    );
    bad(
        "failure = { p = 0.1, at = \"start\" }",
        "classes[0].attempts.failure.at",
        "start",
    );
    bad("sizes = \"new\"", "classes[0].attempts.sizes", "new");
}

#[test]
fn the_load_counting_retries_is_the_utilisation_the_attempts_make() {
    // Lognormal work cut by a timeout, failures at a uniform point, three
    // attempts then a compensation, two servers at speed 1.5: the expected
    // work per task (Wald over the attempts, integrated numerically over
    // the size) predicts the busy share of the servers, and its attempts
    // the mean attempts per task.
    for sizes in ["same", "resample"] {
        let text = format!(
            r#"
name = "retry-load"
seed = 3
replications = 10
warmup = {{ jobs = 2000 }}
horizon = {{ jobs = 60000 }}
[[classes]]
name = "task"
arrival = {{ dist = "exponential", rate = 1.0 }}
service = {{ dist = "lognormal", mean = 1.0, scv = 2.0 }}
[classes.attempts]
failure = {{ p = 0.4 }}
timeout = 2.0
sizes = "{sizes}"
retry = {{ max_attempts = 3, initial = 0.0 }}
on_give_up = "rollback"
rollback = {{ dist = "deterministic", value = 0.5 }}
[[nodes]]
name = "pool"
servers = 2
speed = 1.5
"#
        );
        let s = Scenario::from_toml(&text, Path::new("retry-load.toml")).unwrap();
        let (load, attempts) = s.retry_load(0).unwrap();
        assert!(s.warnings().is_empty(), "{sizes}: load {load}");
        let row = overall(&experiment::run(&s)).clone();
        assert_within(sizes, &row.stats.utilization, load);
        assert_within(sizes, &row.stats.tasks.mean_attempts, attempts);
    }
}
