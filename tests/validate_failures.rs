//! Node failures and alarms on the real thread-pool backend against the
//! simulation of the same jobs. Both draw every server's up and down
//! periods from the one `engine::failure_period` (replication 0), so under
//! the always-running clock the failures, repairs, availability and the
//! alarms on servers down are the same in both, exactly, over the same
//! window; availability and the number of failures also stand against
//! their renewal-theory values. What depends on timing (which task a
//! failure interrupts, so under "retry" which tasks use an attempt more)
//! is bounded by what the failures could have changed. The accounting
//! identity holds on both sides in every mode.
//!
//! Real-time tests run one at a time, in sleep mode, under half a second
//! of real time each.

use schedlab::backend::summary::{self, Which};
use schedlab::backend::{self, Accounting, Plan, RealRun, SimRun, Watched, Work, WorkMode};
use schedlab::model::Scenario;

mod common;
use common::real::{balanced, config, policy, scenario, schedlab, serial};

/// 2 servers failing with exponential up (mean 20) and down (mean 2)
/// times, under `running` and `clock`; exponential tasks of mean 1 at
/// rate 0.8, with `attempts` as their `[classes.attempts]` if given.
fn failing(running: &str, clock: &str, attempts: &str) -> Scenario {
    scenario(&format!(
        "name = \"f\"\nseed = 17\nwarmup = {{ jobs = 0 }}\nhorizon = {{ jobs = 100 }}\n\
         [[classes]]\nname = \"task\"\n\
         arrival = {{ dist = \"exponential\", rate = 0.8 }}\n\
         service = {{ dist = \"exponential\", mean = 1.0 }}\n{attempts}\n\
         [[nodes]]\nname = \"pool\"\nservers = 2\n\
         failures = {{ up = {{ dist = \"exponential\", mean = {MTTF} }}, \
         down = {{ dist = \"exponential\", mean = {MTTR} }}, \
         running = \"{running}\", clock = \"{clock}\" }}\n"
    ))
}

const MTTF: f64 = 20.0;
const MTTR: f64 = 2.0;
/// 99% two-sided normal quantile.
const Z99: f64 = 2.576;

/// Runs `s` on real threads (0.2 ms per time unit) and simulates it.
fn both(s: &Scenario, jobs: u64) -> (Plan, RealRun, SimRun) {
    let plan = backend::plan(s, jobs);
    let fcfs = policy("fcfs");
    let sim = backend::simulate(s, &fcfs, &plan);
    let real = backend::run(s, &fcfs, &plan, &config(200), &Work::new(WorkMode::Sleep));
    (plan, real, sim)
}

/// The failure figures of both runs over the part of the run both lasted.
fn watched(s: &Scenario, plan: &Plan, real: &RealRun, sim: &SimRun) -> (Watched, Watched) {
    let end = real.end.min(sim.end);
    (
        backend::watched(s, plan, &real.signals, end),
        backend::watched(s, plan, &sim.signals, end),
    )
}

fn availability(w: &Watched, servers: f64) -> f64 {
    1.0 - w.servers[0].down_area / (servers * w.window())
}

#[test]
fn availability_and_failures_are_the_simulations_and_renewal_theorys() {
    let _guard = serial();
    let s = failing("resume", "always", "");
    let (plan, real, sim) = both(&s, 1500);
    balanced(&real, &sim, 1500);
    let (r, m) = watched(&s, &plan, &real, &sim);
    let t = r.window();
    assert!(t > 1500.0, "{t}");
    // The same draws, the same window: the same failures and repairs,
    // to rounding.
    let (ar, am) = (availability(&r, 2.0), availability(&m, 2.0));
    assert!((ar - am).abs() < 1e-9, "real {ar}, sim {am}");
    assert_eq!(r.servers[0].failures, m.servers[0].failures);
    // Renewal-reward CLT for an alternating renewal process (Ross,
    // Stochastic Processes, 2nd ed., §3.6): the fraction of time down
    // over t has variance (μu² σd² + μd² σu²) / ((μu + μd)³ t), here with
    // exponential periods (σ = μ) and two independent servers.
    let cycle = MTTF + MTTR;
    let theory = MTTF / cycle;
    let var = (MTTF * MTTF * MTTR * MTTR * 2.0) / cycle.powi(3) / (2.0 * t);
    let h = Z99 * var.sqrt();
    assert!(
        (ar - theory).abs() <= h,
        "availability {ar}, theory {theory} ± {h}"
    );
    // Failures: a renewal count over t has mean t/μc and variance
    // t σc²/μc³ per server (σc² = σu² + σd²).
    let expected = 2.0 * t / cycle;
    let sd = (2.0 * t * (MTTF * MTTF + MTTR * MTTR) / cycle.powi(3)).sqrt();
    let n = r.servers[0].failures as f64;
    assert!(
        (n - expected).abs() <= Z99 * sd,
        "{n} failures, expected {expected} ± {}",
        Z99 * sd
    );
    // The idle and busy servers both fail: some failures interrupt a task.
    assert!(r.servers[0].interrupted > 10, "{:?}", r.servers[0]);
    assert!(m.servers[0].interrupted > 10, "{:?}", m.servers[0]);
}

#[test]
fn busy_clock_failures_follow_the_service_the_workers_gave() {
    let _guard = serial();
    // Under the busy clock a server's up time runs only while it serves,
    // so its failures depend on how long the real tasks held it: not the
    // same instants as simulated, but every failure interrupts a task and
    // the counts differ only by what the real run's overhead adds to the
    // service time. A count of failures over busy time b has mean b/μu
    // (renewal, failures only while serving; repairs take no busy time).
    let s = failing("restart", "busy", "");
    let (plan, real, sim) = both(&s, 1500);
    balanced(&real, &sim, 1500);
    for (side, tasks, signals, end) in [
        ("real", &real.tasks, &real.signals, real.end),
        ("sim", &sim.tasks, &sim.signals, sim.end),
    ] {
        let w = backend::watched(&s, &plan, signals, end);
        let c = &w.servers[0];
        assert_eq!(c.failures, c.interrupted, "{side}: {c:?}");
        // Exponential up times: the count is Poisson(b/μu).
        let busy: f64 = tasks.iter().map(|t| t.served).sum();
        let expected = busy / MTTF;
        let h = Z99 * expected.sqrt();
        let n = c.failures as f64;
        assert!(
            (n - expected).abs() <= h,
            "{side}: {n} failures, expected {expected} ± {h}"
        );
    }
}

#[test]
fn retry_on_failure_agrees_with_the_simulation_where_failures_leave_it() {
    let _guard = serial();
    // Attempts fail at their end with p = 0.2 and are retried once after
    // 0.5; a server failure counts as a failed attempt too.
    let s = failing(
        "retry",
        "always",
        "[classes.attempts]\nfailure = { p = 0.2, at = \"end\" }\n\
         retry = { max_attempts = 2, initial = 0.5 }",
    );
    let (plan, real, sim) = both(&s, 1500);
    balanced(&real, &sim, 1500);
    // Over the whole run (measured from 0, to each run's own end).
    let r = backend::watched(&s, &plan, &real.signals, real.end);
    let m = backend::watched(&s, &plan, &sim.signals, sim.end);
    // A task's attempts come from its own draws unless a server failure
    // cut one of them: a task that used a different number of attempts in
    // the two runs was interrupted in at least one of them.
    let differ = real
        .tasks
        .iter()
        .zip(&sim.tasks)
        .filter(|(a, b)| (a.attempts, a.gave_up) != (b.attempts, b.gave_up))
        .count() as u64;
    let hits = r.servers[0].interrupted + m.servers[0].interrupted;
    assert!(
        differ <= hits,
        "{differ} tasks differ, {hits} interruptions"
    );
    assert!(hits > 20, "{hits}");
    // Mean attempts and P(give up) within the statistical resolution of
    // the run: the half-width of the difference of the two 95% intervals
    // (batch means).
    let lr = summary::lifecycle(&real.tasks, Which::All, 0, true);
    let lm = summary::lifecycle(&sim.tasks, Which::All, 0, true);
    for (name, a, b) in [
        ("mean attempts", lr.mean_attempts, lm.mean_attempts),
        ("P(give up)", lr.p_give_up, lm.p_give_up),
    ] {
        let h = a.ci95.unwrap().hypot(b.ci95.unwrap());
        assert!(
            (a.mean - b.mean).abs() <= h,
            "{name}: real {} sim {} ± {h}",
            a.mean,
            b.mean
        );
    }
    // Give-ups: at least p² of the tasks (two failed attempts of their
    // own), more with the failures' hits.
    assert!(lm.gave_up as f64 > 0.6 * 0.04 * 1500.0, "{}", lm.gave_up);
    assert!(lr.failed >= lr.gave_up * 2, "{lr:?}");
}

#[test]
fn the_accounting_identity_holds_with_failures_in_every_mode() {
    let _guard = serial();
    let attempts = "[classes.attempts]\nfailure = { p = 0.1 }\n\
                    retry = { max_attempts = 3, initial = 0.5 }\ndeadline = 30.0";
    for (running, clock) in [
        ("resume", "always"),
        ("restart", "always"),
        ("retry", "always"),
        ("resume", "busy"),
        ("retry", "busy"),
    ] {
        let s = failing(running, clock, attempts);
        let (_, real, sim) = both(&s, 600);
        balanced(&real, &sim, 600);
        let a = Accounting::of(&real.tasks);
        assert!(a.all_final(), "{running}, {clock}: {a:?}");
        let a = Accounting::of(&sim.tasks);
        assert!(a.all_final(), "{running}, {clock}: {a:?}");
    }
}

#[test]
fn alarms_on_servers_down_and_give_ups_are_reported_for_both_runs() {
    let _guard = serial();
    // Failing servers under "resume" leave every task's attempts to its
    // own draws (p = 0.5 at the end, 2 attempts): the give-ups are the
    // same tasks in both runs, and the servers-down alarm follows the
    // shared failure draws: both exactly alike.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alarms.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"alarms\"\nseed = 9\nwarmup = {{ jobs = 0 }}\nhorizon = {{ jobs = 800 }}\n\
             [[classes]]\nname = \"task\"\n\
             arrival = {{ dist = \"exponential\", rate = 0.8 }}\n\
             service = {{ dist = \"exponential\", mean = 1.0 }}\n\
             [classes.attempts]\nfailure = {{ p = 0.5, at = \"end\" }}\n\
             retry = {{ max_attempts = 2, initial = 0.0 }}\n\
             [[nodes]]\nname = \"pool\"\nservers = 2\n\
             failures = {{ up = {{ dist = \"exponential\", mean = {MTTF} }}, \
             down = {{ dist = \"exponential\", mean = {MTTR} }}, running = \"resume\" }}\n\
             [[alarms]]\nname = \"one-down\"\nwhen = {{ servers_down = 1, node = \"pool\" }}\n\
             [[alarms]]\nname = \"give-ups\"\nwhen = {{ gave_up = 3 }}\n"
        ),
    )
    .unwrap();
    let out = schedlab()
        .args([
            "validate",
            path.to_str().unwrap(),
            "--time-scale",
            "200us",
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
    let alarm = |source: &str, name: &str| {
        doc["alarms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["source"] == source && a["name"] == name)
            .unwrap_or_else(|| panic!("{source} {name}: {}", doc["alarms"]))
            .clone()
    };
    let (real, sim) = (alarm("real", "one-down"), alarm("sim", "one-down"));
    assert_eq!(real["raised"], sim["raised"], "{real} {sim}");
    // About 2 × 1000 / 22 failures, most of them while the other server is up.
    assert!(real["raised"].as_f64().unwrap() > 40.0, "{real}");
    for key in ["fraction_raised", "first_raised", "mean_delay"] {
        let (a, b) = (real[key].as_f64().unwrap(), sim[key].as_f64().unwrap());
        assert!((a - b).abs() < 1e-9, "{key}: real {a} sim {b}");
    }
    // Raised at the failure itself: no delay.
    assert_eq!(real["mean_delay"].as_f64(), Some(0.0));
    let (real, sim) = (alarm("real", "give-ups"), alarm("sim", "give-ups"));
    assert_eq!(
        (real["raised"].as_f64(), sim["raised"].as_f64()),
        (Some(1.0), Some(1.0))
    );
    // The third give-up is the same task on both sides, but when it comes
    // depends on timing: a task that a failure catches on real threads
    // and not in the simulation waits out a repair (mean 2, exponential).
    for a in [&real, &sim] {
        let t = a["first_raised"].as_f64().unwrap();
        assert!(t > 0.0 && t < 1000.0, "{a}");
    }
    // Rows: the give-ups, and the node's availability, alike.
    let rows = doc["rows"].as_array().unwrap();
    let row = |source: &str, node: bool| {
        rows.iter()
            .find(|r| r["source"] == source && r.get("node").is_some() == node)
            .unwrap()
    };
    assert_eq!(row("real", false)["gave_up"], row("sim", false)["gave_up"]);
    assert!(row("sim", false)["gave_up"].as_u64().unwrap() > 100);
    let (a, b) = (
        row("real", true)["availability"].as_f64().unwrap(),
        row("sim", true)["availability"].as_f64().unwrap(),
    );
    assert!((a - b).abs() < 1e-9, "availability real {a} sim {b}");
    assert_eq!(row("real", true)["node"], "pool");
    assert_eq!(
        row("real", true)["server_failures"],
        row("sim", true)["server_failures"]
    );
    let b = &doc["backend"][0]["failures_same_horizon"];
    assert_eq!(b["real"], b["sim"], "{b}");
}
