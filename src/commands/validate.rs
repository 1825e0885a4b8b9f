//! `schedlab validate`: the real thread-pool backend against the simulator
//! on the same job sequence, and against theory where a closed form exists.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::app::flag;
use crate::backend::summary::{self, Figures, Which};
use crate::backend::{
    self, Accounting, BackendConfig, Ledger, RealRun, SimRun, TaskRecord, Timer, Work, WorkMode,
};
use crate::cli::ValidateArgs;
use crate::error::{FieldError, InputError};
use crate::lifecycle::{Attempts, Failure, OnGiveUp, Retry};
use crate::model::{Limit, Scenario};
use crate::policy::AnyPolicy;
// Figures as every table prints them (`-` when absent or not finite).
use crate::report::{LifecycleRecord, ServersRecord, opt as sig, percent as pct, with_ci};
use crate::stats::Selection;
use crate::stats::alarms::AlarmSummary;
use crate::stats::servers::{self, ServerCounts};
use crate::theory::{self, Prediction};

/// Longest time scale accepted: beyond it a run of a few thousand tasks takes hours.
const MAX_SCALE: Duration = Duration::from_secs(1);
/// Shortest: below it the clock and the wake-up latency swamp the service times.
const MIN_SCALE: Duration = Duration::from_micros(10);

/// Real seconds per policy above which the command warns before it starts.
const LONG_RUN: f64 = 120.0;

/// Parses a duration such as `1ms`, `250us`, `0.5s`, `800ns`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
        })
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "s" => value,
        "ms" => value * 1e-3,
        "us" | "µs" => value * 1e-6,
        "ns" => value * 1e-9,
        _ => return None,
    };
    if !seconds.is_finite() || seconds <= 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(seconds).ok()
}

fn parse_work(text: &str) -> anyhow::Result<WorkMode> {
    match text {
        "sleep" => Ok(WorkMode::Sleep),
        "spin" => Ok(WorkMode::Spin),
        _ => Err(flag(
            "--work",
            text,
            "use sleep (the worker sleeps, I/O-like) or spin (busy CPU work)",
        )),
    }
}

/// The checked flags.
struct Setup {
    scenario: Scenario,
    work: WorkMode,
    jobs: u64,
    config: BackendConfig,
}

fn setup(args: &ValidateArgs) -> anyhow::Result<Setup> {
    let time_scale = parse_duration(&args.time_scale)
        .filter(|d| (MIN_SCALE..=MAX_SCALE).contains(d))
        .ok_or_else(|| {
            flag(
                "--time-scale",
                &args.time_scale,
                "expected a duration between 10us and 1s, such as 1ms, 250us or 0.5ms",
            )
        })?;
    let work = parse_work(&args.work)?;
    if !(args.slice.is_finite() && args.slice > 0.0) {
        return Err(flag(
            "--slice",
            args.slice,
            "must be a positive number of time units",
        ));
    }
    if let Some(p) = args.fail_prob
        && !(0.0..1.0).contains(&p)
    {
        return Err(flag("--fail-prob", p, "must be at least 0 and below 1"));
    }
    let timeout = match &args.timeout {
        None => f64::INFINITY,
        Some(t) => {
            let d = parse_duration(t)
                .ok_or_else(|| flag("--timeout", t, "expected a positive duration such as 20ms"))?;
            d.as_secs_f64() / time_scale.as_secs_f64()
        }
    };
    let mut scenario = Scenario::from_file(&args.scenario)?;
    if scenario.warmup_auto {
        return Err(InputError::Field {
            path: scenario.path.clone(),
            error: FieldError::new(
                "warmup",
                "\"auto\"",
                "validate compares one run of real threads with the simulation: give a fixed warm-up, { jobs = N }",
            ),
        }
        .into());
    }
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(list) = &args.compare {
        super::run::compare(&mut scenario, list)?;
    }
    // After --compare, whose check of the scenario knows nothing of the
    // flags: `check_supported` below names the flag if a policy cannot run them.
    let flags = lifecycle_flags(args);
    if let Some((name, value)) = flags.first() {
        if let Some(k) = scenario.classes.iter().position(|c| c.attempts.is_some()) {
            return Err(flag(
                name,
                value,
                &format!(
                    "{} sets [classes.attempts] (classes[{k}]): the scenario's timeouts, failures \
                     and retries run on both sides; set them there, not with --timeout, \
                     --retries or --fail-prob",
                    scenario.path.display()
                ),
            ));
        }
        let rule = flag_attempts(timeout, args.retries, args.fail_prob);
        for c in &mut scenario.classes {
            c.attempts = Some(rule.clone());
        }
    }
    for p in &scenario.policies {
        backend::check_supported(&scenario, p).map_err(|error| {
            if let Some((name, value)) = flags.first()
                && error.field.ends_with(".attempts")
            {
                InputError::Flag(FieldError::new(*name, value.clone(), error.message))
            } else if args.compare.is_some() && error.field.starts_with("policy") {
                InputError::Flag(FieldError::new("--compare", error.value, error.message))
            } else {
                InputError::Field {
                    path: scenario.path.clone(),
                    error,
                }
            }
        })?;
    }
    // The size limits of `run`, for the one replication validate runs.
    scenario.replications = 1;
    super::run::check_size(&mut scenario, None, args.jobs)?;
    let rate: f64 = (0..scenario.classes.len())
        .map(|k| scenario.arrival_rate(k))
        .sum();
    let jobs = match scenario.horizon {
        Limit::Jobs(n) => n,
        Limit::Time(t) => ((rate * t).round() as u64).max(1),
    };
    // Every task is drawn into the plan and recorded on both sides before
    // the figures: past the limit the plan alone would exhaust memory.
    let warmup = match scenario.warmup {
        Limit::Jobs(n) => n as f64,
        Limit::Time(t) => rate * t,
    };
    let (field, value) = match args.jobs {
        Some(n) => ("--jobs", n.to_string()),
        None => ("horizon", scenario.horizon.to_string()),
    };
    crate::limits::check_estimate(
        field,
        value,
        warmup + jobs as f64,
        crate::limits::MAX_VALIDATE_TASKS,
        "tasks (warm-up and measured, each recorded for both runs and run in real time)",
    )
    .map_err(|error| match args.jobs {
        Some(_) => InputError::Flag(error),
        None => InputError::Field {
            path: scenario.path.clone(),
            error,
        },
    })?;
    Ok(Setup {
        config: BackendConfig {
            time_scale,
            slice: args.slice,
        },
        scenario,
        work,
        jobs,
    })
}

/// The lifecycle flags given, with their values as typed.
fn lifecycle_flags(args: &ValidateArgs) -> Vec<(&'static str, String)> {
    let mut given = Vec::new();
    if let Some(t) = &args.timeout {
        given.push(("--timeout", t.clone()));
    }
    if let Some(n) = args.retries {
        given.push(("--retries", n.to_string()));
    }
    if let Some(p) = args.fail_prob {
        given.push(("--fail-prob", p.to_string()));
    }
    given
}

/// The `[classes.attempts]` that `--timeout` (in model units), `--retries`
/// and `--fail-prob` stand for: attempts cut at the timeout, failing at
/// their end with probability p, retried at once up to `retries` times,
/// then dead-lettered.
fn flag_attempts(timeout: f64, retries: Option<u32>, fail_prob: Option<f64>) -> Attempts {
    let p = fail_prob.unwrap_or(0.0);
    Attempts {
        timeout,
        queue_timeout: f64::INFINITY,
        deadline: f64::INFINITY,
        failure: if p > 0.0 {
            Failure::Probability { p, at_end: true }
        } else {
            Failure::None
        },
        retry: Retry {
            max_attempts: retries.unwrap_or(0).saturating_add(1),
            ..Retry::NONE
        },
        on_give_up: OnGiveUp::DeadLetter,
        resample: false,
    }
}

/// One row of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub source: &'static str,
    pub policy: String,
    pub class: String,
    /// Node rows (nodes whose servers fail): the node's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Tasks measured (absent for theory).
    pub jobs: Option<u64>,
    pub mean_wait: Option<f64>,
    pub mean_wait_ci95: Option<f64>,
    pub mean_response: Option<f64>,
    pub mean_response_ci95: Option<f64>,
    pub p95_response: Option<f64>,
    /// The closed form's name (theory rows).
    pub formula: Option<String>,
    /// (real − sim) / sim and (real − theory) / theory of the mean response (real rows).
    pub response_vs_sim: Option<f64>,
    /// Real rows: the paired difference of response, real − simulated,
    /// task by task over the tasks completed in both runs (their number in
    /// `paired_jobs`), with its 95% half-width by batch means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired_jobs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_minus_sim_response: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_minus_sim_response_ci95: Option<f64>,
    pub response_vs_theory: Option<f64>,
    /// Where some class has attempt rules (real and sim rows): attempts
    /// used by the measured tasks in all, and the lifecycle's figures as
    /// `run` gives them (`arrived`, `completed`, `gave_up`, `gave_up_by`,
    /// `rolled_back`, `mean_attempts`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u64>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<LifecycleRecord>,
    /// Where servers fail (node rows of such nodes, and the overall rows),
    /// as `run` gives them: `availability`, `server_failures`,
    /// `interrupted`, over the measured window up to the end of the
    /// shorter of the two runs, the same for both (one run: no intervals).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub servers: Option<ServersRecord>,
}

fn num(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Per-policy measurements of the backend itself.
#[derive(Debug, Clone, Serialize)]
pub struct BackendReport {
    pub policy: String,
    pub slice: String,
    pub workers: u32,
    pub released: u64,
    pub completed: u64,
    /// Given up and dead-lettered, given up and rolled back (all tasks,
    /// warm-up included).
    pub gave_up: u64,
    pub rolled_back: u64,
    /// Attempts used, and those that failed, timed out or were killed.
    pub attempts: u64,
    pub failed_attempts: u64,
    pub timed_out_attempts: u64,
    pub killed_attempts: u64,
    pub preemptions: u64,
    pub slices: u64,
    /// The accounting identity per class, real and simulated.
    pub ledger_real: Vec<Ledger>,
    pub ledger_sim: Vec<Ledger>,
    /// Where servers fail: their failures, real and simulated, over the
    /// part of the measured window both runs lasted (the draws are the
    /// same, so under the always-running clock the counts are equal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failures_same_horizon: Option<FailuresCompared>,
    /// Where some class has attempt rules: measured jobs, job by job, that
    /// used as many attempts in the real run as in the simulation, and
    /// that also ended the same way (completed, or given up for the same
    /// reason and dead-lettered or rolled back alike).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Agreement>,
    pub dispatch_latency_mean_us: Option<f64>,
    pub dispatch_latency_p99_us: Option<f64>,
    pub release_lateness_mean_us: Option<f64>,
    pub release_lateness_p99_us: Option<f64>,
    /// Real time a completed single-attempt task held its worker beyond
    /// its nominal service time (size / speed × time scale): mean and p99.
    pub service_overrun_mean_us: Option<f64>,
    pub service_overrun_p99_us: Option<f64>,
    /// The pools alone: (real − sim) / sim of the mean response when both
    /// count from the actual release instants and the simulation replays
    /// those instants, so release lateness drops out.
    pub pools_vs_sim_on_releases: Option<f64>,
    pub wall_seconds: f64,
    /// How the real run approximates a discipline the simulator runs
    /// exactly (a sharing discipline served a slice at a time).
    pub approximation: Option<String>,
}

/// Server failures of both runs over one horizon.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FailuresCompared {
    pub from: f64,
    pub to: f64,
    pub real: u64,
    pub sim: u64,
}

/// One alarm's figures in one run, in JSON `"alarms"` as `run` gives
/// them (`raised`, `fraction_raised`, `first_raised`, `mean_delay`).
#[derive(Debug, Clone, Serialize)]
pub struct AlarmRow {
    pub source: &'static str,
    pub policy: String,
    pub name: String,
    pub raised: Option<f64>,
    pub fraction_raised: Option<f64>,
    pub first_raised: Option<f64>,
    pub mean_delay: Option<f64>,
}

impl AlarmRow {
    fn of(source: &'static str, policy: &str, a: &AlarmSummary) -> AlarmRow {
        AlarmRow {
            source,
            policy: policy.into(),
            name: a.name.clone(),
            raised: num(a.raised.mean),
            fraction_raised: num(a.fraction_raised.mean),
            first_raised: num(a.first_raised),
            mean_delay: num(a.mean_delay),
        }
    }
}

/// Job-by-job agreement of the lifecycle between the real run and the simulation.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Agreement {
    pub jobs: u64,
    pub same_attempts: u64,
    pub same_outcome: u64,
}

/// The machine's limits, measured at start-up.
#[derive(Debug, Clone, Serialize)]
pub struct Limits {
    pub cores: usize,
    pub work: &'static str,
    pub time_scale_us: f64,
    pub clock_resolution_ns: f64,
    pub sleep_overshoot_median_us: f64,
    pub sleep_overshoot_p90_us: f64,
    pub spin_margin_us: f64,
}

/// Everything `validate` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ValidateDocument {
    pub scenario: String,
    pub seed: u64,
    pub tasks: u64,
    pub warmup_tasks: u64,
    pub limits: Limits,
    pub rows: Vec<Row>,
    /// Each `[[alarms]]` entry's figures, real and simulated, per policy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<AlarmRow>,
    pub backend: Vec<BackendReport>,
}

fn us(x: f64) -> Option<f64> {
    num(x * 1e6)
}

fn figures_row(source: &'static str, policy: &str, class: &str, f: &Figures) -> Row {
    Row {
        source,
        policy: policy.into(),
        class: class.into(),
        node: None,
        jobs: Some(f.jobs),
        mean_wait: num(f.mean_wait.mean),
        mean_wait_ci95: f.mean_wait.ci95,
        mean_response: num(f.mean_response.mean),
        mean_response_ci95: f.mean_response.ci95,
        p95_response: num(f.p95_response),
        formula: None,
        response_vs_sim: None,
        paired_jobs: None,
        real_minus_sim_response: None,
        real_minus_sim_response_ci95: None,
        response_vs_theory: None,
        attempts: None,
        lifecycle: None,
        servers: None,
    }
}

/// The failure figures of `nodes`' servers added up, over a run's window.
fn servers_record(scenario: &Scenario, w: &backend::Watched, nodes: &[usize]) -> ServersRecord {
    let counts = nodes.iter().fold(ServerCounts::default(), |a, &j| {
        servers::add(a, &w.servers[j])
    });
    let count: u32 = nodes.iter().map(|&j| scenario.nodes[j].servers).sum();
    let s = servers::summarize(&[counts], f64::from(count), &[w.window()]);
    ServersRecord {
        availability: num(s.availability.mean),
        availability_ci95: None,
        server_failures: num(s.failures.mean),
        server_failures_ci95: None,
        interrupted: num(s.interrupted.mean),
        interrupted_ci95: None,
    }
}

/// The nodes whose servers fail.
fn failing(scenario: &Scenario) -> Vec<usize> {
    (0..scenario.nodes.len())
        .filter(|&j| scenario.nodes[j].failures.is_some())
        .collect()
}

/// The alarms of one policy, real then simulated.
pub fn alarm_rows(
    scenario: &Scenario,
    policy: &AnyPolicy,
    plan: &backend::Plan,
    real: &RealRun,
    sim: &SimRun,
) -> Vec<AlarmRow> {
    if scenario.alarms.is_empty() {
        return Vec::new();
    }
    let label = policy.label();
    let mut rows = Vec::new();
    let end = real.end.min(sim.end);
    for (source, signals) in [("real", &real.signals), ("sim", &sim.signals)] {
        let w = backend::watched(scenario, plan, signals, end);
        rows.extend(
            crate::stats::alarms::summarize(&[(&w.alarms, w.window())])
                .iter()
                .map(|a| AlarmRow::of(source, &label, a)),
        );
    }
    rows
}

/// `row` with the lifecycle figures of `tasks` it selects, where they apply.
fn with_lifecycle(
    mut row: Row,
    tasks: &[TaskRecord],
    which: Which,
    measure_from: u64,
    applies: bool,
) -> Row {
    let t = summary::lifecycle(tasks, which, measure_from, applies);
    row.lifecycle = LifecycleRecord::of(&t);
    row.attempts = row.lifecycle.as_ref().map(|_| {
        tasks
            .iter()
            .filter(|t| t.seq >= measure_from && !t.released.is_nan())
            .filter(|t| which.selects(t))
            .map(|t| u64::from(t.attempts))
            .sum()
    });
    row
}

fn theory_row(policy: &str, class: &str, p: &Prediction) -> Row {
    Row {
        source: "theory",
        policy: policy.into(),
        class: class.into(),
        node: None,
        jobs: None,
        mean_wait: num(p.mean_wait),
        mean_wait_ci95: None,
        mean_response: num(p.mean_response),
        mean_response_ci95: None,
        p95_response: None,
        formula: Some(p.formula.clone()),
        response_vs_sim: None,
        paired_jobs: None,
        real_minus_sim_response: None,
        real_minus_sim_response_ci95: None,
        response_vs_theory: None,
        attempts: None,
        lifecycle: None,
        servers: None,
    }
}

fn relative(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b != 0.0 => Some((a - b) / b),
        _ => None,
    }
}

/// The rows of one policy: per selection (all, then each class), real, sim, theory.
pub fn policy_rows(
    scenario: &Scenario,
    policy: &AnyPolicy,
    plan: &backend::Plan,
    real: &RealRun,
    sim_run: &SimRun,
) -> Vec<Row> {
    let sim = &sim_run.tasks[..];
    let label = policy.label();
    let failing = failing(scenario);
    // One window for both: the part of the run both lasted.
    let end = real.end.min(sim_run.end);
    let watched = [
        backend::watched(scenario, plan, &real.signals, end),
        backend::watched(scenario, plan, &sim_run.signals, end),
    ];
    let ruled = |k: usize| scenario.classes[k].attempts.is_some();
    let mut selections = vec![(Which::All, Selection::All, "all".to_string())];
    for (k, c) in scenario.classes.iter().enumerate() {
        if scenario.classes.len() > 1 {
            selections.push((Which::Class(k as u32), Selection::Class(k), c.name.clone()));
        }
    }
    let mut rows = Vec::new();
    for (which, selection, name) in selections {
        let applies = match which {
            Which::All => (0..scenario.classes.len()).any(ruled),
            Which::Class(k) => ruled(k as usize),
            Which::Node(_) => (0..scenario.classes.len()).any(ruled),
        };
        let m = plan.measure_from;
        let mut r = with_lifecycle(
            figures_row(
                "real",
                &label,
                &name,
                &summary::figures(&real.tasks, which, m),
            ),
            &real.tasks,
            which,
            m,
            applies,
        );
        let s = with_lifecycle(
            figures_row("sim", &label, &name, &summary::figures(sim, which, m)),
            sim,
            which,
            m,
            applies,
        );
        let t = theory::predict(scenario, policy, selection).map(|p| theory_row(&label, &name, &p));
        r.response_vs_sim = relative(r.mean_response, s.mean_response);
        let (pairs, diff) = summary::paired_response(&real.tasks, sim, which, m);
        r.paired_jobs = Some(pairs);
        r.real_minus_sim_response = num(diff.mean);
        r.real_minus_sim_response_ci95 = diff.ci95.and_then(num);
        r.response_vs_theory = relative(r.mean_response, t.as_ref().and_then(|t| t.mean_response));
        let mut s = s;
        if which == Which::All && !failing.is_empty() {
            r.servers = Some(servers_record(scenario, &watched[0], &failing));
            s.servers = Some(servers_record(scenario, &watched[1], &failing));
        }
        rows.push(r);
        rows.push(s);
        rows.extend(t);
    }
    // Node rows of the nodes whose servers fail.
    let ruled_any = (0..scenario.classes.len()).any(ruled);
    for &j in &failing {
        let name = &scenario.nodes[j].name;
        let which = Which::Node(j as u32);
        let m = plan.measure_from;
        for ((source, tasks), w) in [("real", &real.tasks[..]), ("sim", sim)]
            .into_iter()
            .zip(&watched)
        {
            let mut row = with_lifecycle(
                figures_row(source, &label, "all", &summary::figures(tasks, which, m)),
                tasks,
                which,
                m,
                ruled_any,
            );
            row.node = Some(name.clone());
            row.servers = Some(servers_record(scenario, w, &[j]));
            rows.push(row);
        }
    }
    rows
}

/// Server failures in both runs over the part of the window both lasted.
fn failures_compared(
    scenario: &Scenario,
    plan: &backend::Plan,
    real: &RealRun,
    sim: &SimRun,
) -> Option<FailuresCompared> {
    let failing = failing(scenario);
    if failing.is_empty() {
        return None;
    }
    let to = real.end.min(sim.end);
    let count = |signals: &[backend::Stamped]| {
        backend::watched(scenario, plan, signals, to)
            .servers
            .iter()
            .map(|c| c.failures)
            .sum()
    };
    Some(FailuresCompared {
        from: backend::window_start(plan),
        to,
        real: count(&real.signals),
        sim: count(&sim.signals),
    })
}

/// The backend's own figures for one policy.
pub fn backend_report(
    scenario: &Scenario,
    policy: &AnyPolicy,
    plan: &backend::Plan,
    real: &RealRun,
    sim: &SimRun,
) -> BackendReport {
    let a = Accounting::of(&real.tasks);
    let scale = real.time_scale.as_secs_f64();
    let overrun: Vec<f64> = real
        .tasks
        .iter()
        .zip(&plan.arrivals)
        .filter(|(t, _)| t.state == backend::TaskState::Completed && t.attempts == 1)
        .map(|(t, a)| (t.served - a.size / scenario.nodes[t.node as usize].speed) * scale)
        .collect();
    BackendReport {
        policy: policy.label(),
        slice: real.slice.describe(),
        workers: real.workers,
        released: a.released,
        completed: a.completed,
        gave_up: a.gave_up,
        rolled_back: a.rolled_back,
        attempts: a.attempts,
        failed_attempts: a.failed_attempts,
        timed_out_attempts: a.timed_out_attempts,
        killed_attempts: a.killed_attempts,
        preemptions: a.preemptions,
        slices: a.slices,
        ledger_real: real.ledgers.clone(),
        ledger_sim: sim.ledgers.clone(),
        failures_same_horizon: failures_compared(scenario, plan, real, sim),
        agreement: scenario
            .classes
            .iter()
            .any(|c| c.attempts.is_some())
            .then(|| {
                let (jobs, same_attempts, same_outcome) =
                    summary::agreement(&real.tasks, &sim.tasks, plan.measure_from);
                Agreement {
                    jobs,
                    same_attempts,
                    same_outcome,
                }
            }),
        dispatch_latency_mean_us: us(summary::mean(&real.dispatch_latency)),
        dispatch_latency_p99_us: us(summary::quantile(&real.dispatch_latency, 0.99)),
        release_lateness_mean_us: us(summary::mean(&real.release_lateness)),
        release_lateness_p99_us: us(summary::quantile(&real.release_lateness, 0.99)),
        service_overrun_mean_us: us(summary::mean(&overrun)),
        service_overrun_p99_us: us(summary::quantile(&overrun, 0.99)),
        pools_vs_sim_on_releases: {
            let (released, tasks) = real.as_released(plan);
            let sim = backend::simulate(scenario, policy, &released).tasks;
            relative(
                num(summary::figures(&tasks, Which::All, plan.measure_from)
                    .mean_response
                    .mean),
                num(summary::figures(&sim, Which::All, plan.measure_from)
                    .mean_response
                    .mean),
            )
        },
        wall_seconds: real.wall.as_secs_f64(),
        approximation: policy.is_sharing().then(|| {
            format!(
                "the simulation runs exact {label} (the jobs with the least attained service \
                 share the servers); the real run serves it a slice at a time, least attained \
                 service first, and approaches it as --slice shrinks",
                label = policy.label()
            )
        }),
    }
}

pub fn limits(work: &Work, time_scale: Duration) -> Limits {
    let t: &Timer = &work.timer;
    Limits {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        work: work.mode.name(),
        time_scale_us: time_scale.as_secs_f64() * 1e6,
        clock_resolution_ns: t.clock_resolution.as_secs_f64() * 1e9,
        sleep_overshoot_median_us: t.sleep_overshoot.as_secs_f64() * 1e6,
        sleep_overshoot_p90_us: t.sleep_overshoot_p90.as_secs_f64() * 1e6,
        spin_margin_us: t.spin_margin.as_secs_f64() * 1e6,
    }
}

pub fn run(args: &ValidateArgs) -> anyhow::Result<()> {
    let Setup {
        scenario,
        work,
        jobs,
        config,
    } = setup(args)?;
    for w in scenario.warnings() {
        eprintln!("warning: {w}");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let servers: u32 = scenario.nodes.iter().map(|n| n.servers).sum();
    if work == WorkMode::Spin && servers as usize > cores {
        eprintln!(
            "warning: --work spin with {servers} servers on {cores} cores: workers compete for cores, \
             so real service times stretch and the comparison is not meaningful; use --work sleep"
        );
    }
    let work = Work::new(work);
    let plan = backend::plan(&scenario, jobs);
    let span = plan.arrivals.last().map_or(0.0, |a| a.time) * config.time_scale.as_secs_f64();
    eprintln!(
        "validate: {} tasks ({} measured) per policy, about {:.1} s of real time each, {} polic{}",
        plan.arrivals.len(),
        plan.arrivals.len() as u64 - plan.measure_from,
        span,
        scenario.policies.len(),
        if scenario.policies.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    if span > LONG_RUN {
        eprintln!(
            "warning: each policy takes about {span:.0} s of real time; --jobs or a shorter \
             --time-scale makes it shorter"
        );
    }
    let mut rows = Vec::new();
    let mut alarms = Vec::new();
    let mut reports = Vec::new();
    for policy in &scenario.policies {
        let real = backend::run(&scenario, policy, &plan, &config, &work);
        let sim = backend::simulate(&scenario, policy, &plan);
        check_accounts(&policy.label(), plan.arrivals.len() as u64, &real, &sim)?;
        rows.extend(policy_rows(&scenario, policy, &plan, &real, &sim));
        alarms.extend(alarm_rows(&scenario, policy, &plan, &real, &sim));
        reports.push(backend_report(&scenario, policy, &plan, &real, &sim));
    }
    let document = ValidateDocument {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        tasks: plan.arrivals.len() as u64,
        warmup_tasks: plan.measure_from,
        limits: limits(&work, config.time_scale),
        rows,
        alarms,
        backend: reports,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        print!("{}", table(&document));
    }
    Ok(())
}

/// The accounting identity, real and simulated, and every task released
/// and final in the real run: a break is a bug, reported (exit 1), never
/// left silent.
pub fn check_accounts(
    policy: &str,
    tasks: u64,
    real: &RealRun,
    sim: &SimRun,
) -> anyhow::Result<()> {
    let mut broken: Vec<String> = Vec::new();
    for (side, ledgers) in [("real", &real.ledgers), ("sim", &sim.ledgers)] {
        broken.extend(
            ledgers
                .iter()
                .filter(|l| !l.balanced())
                .map(|l| format!("{side}: {l}")),
        );
        let arrived: u64 = ledgers.iter().map(|l| l.arrived).sum();
        if arrived != tasks {
            broken.push(format!(
                "{side}: {arrived} tasks arrived of the {tasks} planned"
            ));
        }
    }
    let a = Accounting::of(&real.tasks);
    if !a.all_final() {
        broken.push(format!(
            "real: {} tasks released, {} completed, {} gave up, {} rolled back, {} in no final state after the workers left",
            a.released, a.completed, a.gave_up, a.rolled_back, a.present
        ));
    }
    if broken.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "internal error (a bug, please report it): {policy}: the accounting identity \
             arrived = completed + gave up + rolled back + still present does not hold: {}",
            broken.join("; ")
        )
    }
}

fn opt_us(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{x:.1} µs"),
        _ => "-".into(),
    }
}

/// The human-readable report.
pub fn table(d: &ValidateDocument) -> String {
    let mut out = String::new();
    let l = &d.limits;
    let _ = writeln!(
        out,
        "{}: {} tasks ({} warm-up), seed {}, work {}, 1 time unit = {} µs",
        d.scenario, d.tasks, d.warmup_tasks, d.seed, l.work, l.time_scale_us
    );
    let _ = writeln!(
        out,
        "times in model time units; ± is a 95% CI (batch means for real and sim, one run each); \
         real − sim is the paired difference of response on the same tasks, task by task\n"
    );
    let pw = d.rows.iter().map(|r| r.policy.len()).fold(18, usize::max);
    let cw = d.rows.iter().map(|r| r.class.len()).fold(12, usize::max);
    let life = d.rows.iter().any(|r| r.lifecycle.is_some());
    let _ = write!(
        out,
        "{:<pw$} {:<cw$} {:<7} {:>6} {:>18} {:>18} {:>9} {:>9} {:>18} {:>9}",
        "policy",
        "class",
        "source",
        "jobs",
        "mean wait",
        "mean response",
        "p95 resp",
        "vs sim",
        "real − sim",
        "vs theory"
    );
    if life {
        let _ = write!(
            out,
            " {:>8} {:>7} {:>15} {:>8} {:>18}",
            "attempts", "gave up", "by a/t/q/d", "rolled", "mean attempts"
        );
    }
    out.push('\n');
    for r in &d.rows {
        let source = match &r.formula {
            Some(_) => "theory",
            None => r.source,
        };
        let class = match &r.node {
            Some(n) => format!("node {n}"),
            None => r.class.clone(),
        };
        let _ = write!(
            out,
            "{:<pw$} {:<cw$} {:<7} {:>6} {:>18} {:>18} {:>9} {:>9} {:>18} {:>9}",
            r.policy,
            class,
            source,
            r.jobs.map_or("-".into(), |j| j.to_string()),
            with_ci(r.mean_wait, r.mean_wait_ci95),
            with_ci(r.mean_response, r.mean_response_ci95),
            sig(r.p95_response),
            pct(r.response_vs_sim),
            with_ci(r.real_minus_sim_response, r.real_minus_sim_response_ci95),
            pct(r.response_vs_theory),
        );
        if let Some(l) = &r.lifecycle {
            let b = &l.gave_up_by;
            let _ = write!(
                out,
                " {:>8} {:>7} {:>15} {:>8} {:>18}",
                r.attempts.unwrap_or(0),
                l.gave_up,
                format!(
                    "{}/{}/{}/{}",
                    b.attempts, b.timeout, b.queue_timeout, b.deadline
                ),
                l.rolled_back,
                with_ci(l.mean_attempts, l.mean_attempts_ci95),
            );
        } else if life {
            let _ = write!(
                out,
                " {:>8} {:>7} {:>15} {:>8} {:>18}",
                "-", "-", "-", "-", "-"
            );
        }
        out.push('\n');
    }
    if life {
        let _ = writeln!(
            out,
            "\nlifecycle ([classes.attempts], measured tasks): gave up = dead-lettered; by a/t/q/d = \
             every give-up (dead-lettered or rolled back) by reason: attempts, timeout, \
             queue_timeout, deadline; mean response covers completed tasks only"
        );
    }
    for r in d.rows.iter().filter(|r| r.node.is_some()) {
        let Some(sv) = &r.servers else { continue };
        let _ = writeln!(
            out,
            "{}servers, {}, node {}, {}: availability {}, failures {}, {} of them interrupting a task",
            if r.source == "real" { "\n" } else { "" },
            r.policy,
            r.node.as_deref().unwrap_or("-"),
            r.source,
            sig(sv.availability),
            sig(sv.server_failures),
            sig(sv.interrupted),
        );
    }
    if !d.alarms.is_empty() {
        out.push('\n');
    }
    for a in &d.alarms {
        let first = a
            .first_raised
            .map_or("never".into(), |t| format!("first at {}", sig(Some(t))));
        let delay = a.mean_delay.map_or(String::new(), |x| {
            format!(", mean delay from failure {}", sig(Some(x)))
        });
        let _ = writeln!(
            out,
            "alarm {}, {}, {}: raised {} times, {} of the time, {first}{delay}",
            a.name,
            a.policy,
            a.source,
            sig(a.raised),
            sig(a.fraction_raised),
        );
    }
    let formulas: Vec<String> = d
        .rows
        .iter()
        .filter_map(|r| {
            r.formula
                .as_ref()
                .map(|f| format!("{} {}: {f}", r.policy, r.class))
        })
        .collect();
    if !formulas.is_empty() {
        let _ = writeln!(out, "\ntheory: {}", formulas.join("; "));
    }
    let _ = writeln!(out, "\nbackend:");
    for b in &d.backend {
        let _ = writeln!(
            out,
            "  {}: {}; slice: {}\n    \
             tasks: released {} = completed {} + gave up {} + rolled back {}; attempts {} \
             (failed {}, timed out {}, killed {}); slices {}, preemptions {}\n    \
             overhead: dispatch latency mean {}, p99 {}; release lateness mean {}, p99 {}; \
             service overrun mean {}, p99 {}; wall {:.2} s\n    \
             pools alone (responses from the actual releases, against the simulation of \
             those releases): mean response {}",
            b.policy,
            count(u64::from(b.workers), "worker"),
            b.slice,
            b.released,
            b.completed,
            b.gave_up,
            b.rolled_back,
            b.attempts,
            b.failed_attempts,
            b.timed_out_attempts,
            b.killed_attempts,
            b.slices,
            b.preemptions,
            opt_us(b.dispatch_latency_mean_us),
            opt_us(b.dispatch_latency_p99_us),
            opt_us(b.release_lateness_mean_us),
            opt_us(b.release_lateness_p99_us),
            opt_us(b.service_overrun_mean_us),
            opt_us(b.service_overrun_p99_us),
            b.wall_seconds,
            pct(b.pools_vs_sim_on_releases),
        );
        if let Some(a) = &b.approximation {
            let _ = writeln!(out, "    approximation: {a}");
        }
        if let Some(f) = &b.failures_same_horizon {
            let _ = writeln!(
                out,
                "    server failures from {} to {} (both runs): real {}, sim {} (same draws)",
                sig(Some(f.from)),
                sig(Some(f.to)),
                f.real,
                f.sim
            );
        }
        if let Some(a) = &b.agreement {
            let _ = writeln!(
                out,
                "    lifecycle job by job, real against sim: {} of {} measured tasks used as many \
                 attempts, {} also ended the same way",
                a.same_attempts, a.jobs, a.same_outcome
            );
        }
        let balanced = b
            .ledger_real
            .iter()
            .chain(&b.ledger_sim)
            .all(Ledger::balanced);
        let _ = writeln!(
            out,
            "    accounting (arrived = completed + gave up + rolled back + still present): {}",
            if balanced {
                "holds in both, every class"
            } else {
                "BROKEN"
            }
        );
    }
    let workers = d.backend.first().map_or(0, |b| b.workers);
    let _ = writeln!(
        out,
        "\nlimits of agreement:\n  \
         cores: {} for {}, work {}\n  \
         timer: clock resolution {:.0} ns; thread::sleep wakes {:.1} µs late (median; p90 {:.1} µs), \
         so every timed wait sleeps until {:.1} µs before its instant and spins the rest\n  \
         overhead: dispatch latency, release lateness and service overrun (above) add to real \
         responses; 10 µs per task is {:.2}% of a time unit ({} µs)\n  \
         preemption: only at slice boundaries (see each policy's slice), where the simulator \
         preempts at the arrival instant",
        l.cores,
        count(u64::from(workers), "worker"),
        if l.work == "spin" && workers as usize > l.cores {
            "spin (more workers than cores: not meaningful)"
        } else {
            l.work
        },
        l.clock_resolution_ns,
        l.sleep_overshoot_median_us,
        l.sleep_overshoot_p90_us,
        l.spin_margin_us,
        1000.0 / l.time_scale_us,
        l.time_scale_us,
    );
    out
}

/// `1 worker`, `3 workers`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1ms"), Some(Duration::from_millis(1)));
        assert_eq!(parse_duration("250us"), Some(Duration::from_micros(250)));
        assert_eq!(parse_duration("250µs"), Some(Duration::from_micros(250)));
        assert_eq!(parse_duration("0.5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("800ns"), Some(Duration::from_nanos(800)));
        for bad in ["", "1", "ms", "-1ms", "0ms", "1 parsec", "nanms", "1e400s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_broken_accounting_identity_is_an_error_naming_the_side_and_class() {
        let ledger = |completed| Ledger {
            class: 0,
            arrived: 10,
            completed,
            gave_up: 1,
            rolled_back: 1,
            present: 0,
        };
        let real = RealRun {
            tasks: Vec::new(),
            ledgers: vec![ledger(8)],
            signals: Vec::new(),
            end: 0.0,
            release_lateness: Vec::new(),
            dispatch_latency: Vec::new(),
            slice: backend::SliceRule::WholeTask,
            workers: 1,
            time_scale: Duration::from_millis(1),
            wall: Duration::ZERO,
        };
        let sim = |completed| SimRun {
            tasks: Vec::new(),
            ledgers: vec![ledger(completed)],
            signals: Vec::new(),
            end: 0.0,
        };
        assert!(check_accounts("fcfs", 10, &real, &sim(8)).is_ok());
        // A job counted twice (9 + 1 + 1 > 10) on the simulated side.
        let e = check_accounts("fcfs", 10, &real, &sim(9))
            .unwrap_err()
            .to_string();
        assert!(e.contains("internal error") && e.contains("fcfs"), "{e}");
        assert!(
            e.contains("sim: class 0: arrived 10 against completed 9"),
            "{e}"
        );
        assert!(!e.contains("real: class"), "{e}");
        // Fewer arrivals than planned.
        let e = check_accounts("fcfs", 11, &real, &sim(8))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("real: 10 tasks arrived of the 11 planned"),
            "{e}"
        );
    }

    #[test]
    fn relative_differences() {
        assert_eq!(relative(Some(3.0), Some(2.0)), Some(0.5));
        assert_eq!(relative(Some(3.0), None), None);
        assert_eq!(relative(Some(3.0), Some(0.0)), None);
    }
}
