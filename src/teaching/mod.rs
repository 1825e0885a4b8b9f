//! Teaching mode: a small job list scheduled exactly, as in an operating
//! systems exercise, with a Gantt chart, the per-job table and the
//! reasoning behind each decision.
//!
//! The job list is replayed through the same engine and the same policy
//! objects as the simulator (a [`FixedWorkload`]); nothing here schedules.
//!
//! Conventions: ties go to the earlier arrival, then to the earlier line of
//! the file; a lower priority number is more urgent (unless `high_first`);
//! a job arriving at the instant a quantum expires queues ahead of the
//! preempted job (unless `preempted_first`); a server's first job costs no
//! switch, every change of job after that costs `switch_cost`.

mod jobs;
mod render;
mod trace;

use std::path::PathBuf;

pub use jobs::{Task, parse_jobs, parse_toml_jobs, read_jobs};
pub use render::{ascii_gantt, comparison_table, job_table, json};
pub use trace::{Outcome, Schedule, Segment, SegmentKind};

use crate::engine::Simulation;
use crate::error::FieldError;
use crate::job::Job;
use crate::model::{Class, Dist, Limit, Node, Scenario};
use crate::policy::{AnyPolicy, LevelConfig, Policy, PolicyConfig, PolicyContext};
use crate::workload::{Arrival, FixedWorkload};

/// How to schedule a job list.
#[derive(Debug, Clone)]
pub struct Options {
    /// Policy as on the command line: fcfs, sjf, srtf, priority, priority-pr,
    /// rr, hrrn, edf, mlq, mlfq (and every other registered discipline).
    pub policy: String,
    pub quantum: Option<f64>,
    pub cpus: u32,
    pub switch_cost: Option<f64>,
    /// mlfq: quanta per level (the last may be "fcfs"); mlq: a discipline
    /// per priority level, e.g. `rr:4,fcfs`.
    pub levels: Option<String>,
    /// A higher priority number is more urgent.
    pub high_first: bool,
    /// At equal times a preempted job queues before an arriving one.
    pub preempted_first: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: "fcfs".into(),
            quantum: None,
            cpus: 1,
            switch_cost: None,
            levels: None,
            high_first: false,
            preempted_first: false,
        }
    }
}

/// The priority levels present, most urgent first.
fn levels_of(tasks: &[Task], high_first: bool) -> Vec<i32> {
    let mut p: Vec<i32> = tasks.iter().map(|t| t.priority).collect();
    p.sort_unstable();
    p.dedup();
    if high_first {
        p.reverse();
    }
    p
}

/// Builds the policy the options name.
pub fn build_policy(options: &Options, tasks: &[Task]) -> Result<AnyPolicy, FieldError> {
    let levels = levels_of(tasks, options.high_first);
    let mut config = PolicyConfig::named(&options.policy);
    config.path = "--policy".into();
    config.quantum = options.quantum;
    match (options.policy.as_str(), &options.levels) {
        ("mlfq", Some(text)) => {
            let mut parsed = Vec::new();
            for item in text.split(',').map(str::trim) {
                if item == "fcfs" {
                    parsed.push(LevelConfig::Name(item.into()));
                } else {
                    let q = item.parse().map_err(|_| {
                        FieldError::new("--levels", item, "an mlfq level is a quantum or \"fcfs\"")
                    })?;
                    parsed.push(LevelConfig::Quantum(q));
                }
            }
            config.levels = Some(parsed);
        }
        ("mlq", Some(text)) => {
            let items: Vec<&str> = text.split(',').map(str::trim).collect();
            if items.len() != levels.len() {
                return Err(FieldError::new(
                    "--levels",
                    text.as_str(),
                    format!(
                        "mlq needs one discipline per priority level in the job list ({} levels: {:?})",
                        levels.len(),
                        levels
                    ),
                ));
            }
            let mut parsed = Vec::new();
            for (item, level) in items.iter().zip(&levels) {
                let (name, q) = match item.split_once(':') {
                    Some((n, q)) => (
                        n,
                        Some(q.parse::<f64>().map_err(|_| {
                            FieldError::new(
                                "--levels",
                                *item,
                                "write DISCIPLINE or DISCIPLINE:QUANTUM",
                            )
                        })?),
                    ),
                    None => (*item, None),
                };
                let mut level_config = PolicyConfig::named(name);
                level_config.quantum = q;
                level_config.classes = Some(vec![format!("priority {level}")]);
                parsed.push(LevelConfig::Table(level_config));
            }
            config.levels = Some(parsed);
        }
        ("mlq" | "mlfq", None) => {
            return Err(FieldError::new(
                "--levels",
                "(missing)",
                format!(
                    "{} needs --levels (e.g. 8,16,fcfs for mlfq, rr:4,fcfs for mlq)",
                    options.policy
                ),
            ));
        }
        (_, Some(_)) => {
            return Err(FieldError::new(
                "--levels",
                "(given)",
                "only mlfq and mlq take levels",
            ));
        }
        _ => {}
    }
    let context = PolicyContext {
        class_names: levels.iter().map(|p| format!("priority {p}")).collect(),
    };
    AnyPolicy::from_config(&config, &context)
}

/// A scenario holding one node of `cpus` servers and one class per
/// priority level (its position is the level's urgency).
fn scenario_for(tasks: &[Task], cpus: u32, policy: &AnyPolicy, high_first: bool) -> Scenario {
    let levels = levels_of(tasks, high_first);
    Scenario {
        name: "jobs".into(),
        description: String::new(),
        seed: 0,
        replications: 1,
        warmup: Limit::Jobs(0),
        warmup_auto: false,
        horizon: Limit::Jobs(u64::MAX),
        classes: levels
            .iter()
            .enumerate()
            .map(|(i, p)| Class {
                priority: i as i32,
                node: Some(0),
                // The job list gives arrivals and sizes; these are not sampled.
                ..Class::new(
                    &format!("priority {p}"),
                    Dist::Deterministic { value: 1.0 },
                    Dist::Deterministic { value: 1.0 },
                    1,
                )
            })
            .collect(),
        nodes: vec![Node::new("cpu", cpus, 1.0)],
        groups: Vec::new(),
        member_rows: false,
        policies: vec![policy.clone()],
        policy_configs: Vec::new(),
        dispatch: None,
        routing: Default::default(),
        sweep: None,
        output: Default::default(),
        alarms: Vec::new(),
        network: Default::default(),
        workflow_rule: crate::workflow::Policy::Heft,
        precision: None,
        batches: None,
        path: PathBuf::from("jobs"),
        source: String::new(),
    }
}

/// Schedules the job list under one policy.
pub fn schedule(tasks: &[Task], options: &Options) -> Result<Schedule, FieldError> {
    if options.cpus == 0 {
        return Err(FieldError::new("--cpus", "0", "needs at least 1 CPU"));
    }
    if let Some(s) = options.switch_cost
        && !(s.is_finite() && s >= 0.0)
    {
        return Err(FieldError::new(
            "--switch-cost",
            s.to_string(),
            "must be a finite number >= 0",
        ));
    }
    crate::limits::check(
        "--cpus",
        f64::from(options.cpus),
        f64::from(crate::limits::MAX_SERVERS),
        "the number of CPUs",
    )?;
    let policy = build_policy(options, tasks)?;
    // Every slice is a line of the timeline: refuse a quantum that would
    // cut the bursts into more than the limit.
    let probe = Job::new(0, 0, 0, 0, 0.0, 1.0);
    let quantum = policy.queue().map_or(f64::INFINITY, |q| q.quantum(&probe));
    if quantum.is_finite() && quantum > 0.0 {
        let work: f64 = tasks.iter().map(|t| t.burst).sum();
        let slices: f64 = tasks.iter().map(|t| (t.burst / quantum).ceil()).sum();
        crate::limits::check_estimate(
            "--quantum",
            quantum,
            slices,
            crate::limits::MAX_GANTT_SLICES,
            &format!("slices (total burst {work} / quantum)"),
        )?;
    }
    if policy.is_sharing() {
        return Err(FieldError::new(
            "--policy",
            options.policy.as_str(),
            "processor-sharing disciplines have no Gantt chart of whole time slices; use rr",
        ));
    }
    Ok(run(tasks, options, &policy))
}

/// Replays the job list through the engine.
fn run(tasks: &[Task], options: &Options, policy: &AnyPolicy) -> Schedule {
    let levels = levels_of(tasks, options.high_first);
    let scenario = scenario_for(tasks, options.cpus, policy, options.high_first);
    // Stable sort: simultaneous arrivals keep the file's order, which is
    // the order the engine numbers them in.
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by(|&a, &b| tasks[a].arrival.total_cmp(&tasks[b].arrival));
    let arrivals = order
        .iter()
        .map(|&i| {
            let t = &tasks[i];
            let class = levels
                .iter()
                .position(|p| *p == t.priority)
                .expect("level of a task") as u32;
            let mut a = Arrival::new(t.arrival, class, t.burst);
            a.deadline = t.deadline.unwrap_or(f64::INFINITY);
            a
        })
        .collect();
    let observer = trace::Tracer::new(
        tasks,
        order,
        options.cpus,
        written_label(&options.policy, policy),
        policy.discipline(),
    );
    let mut sim = Simulation::new(
        &scenario,
        FixedWorkload::new(arrivals),
        policy,
        None,
        observer,
    );
    sim.set_arrivals_first(!options.preempted_first);
    if let Some(cost) = options.switch_cost {
        sim.set_switch_cost(cost);
    }
    sim.run(Limit::Jobs(0), Limit::Jobs(u64::MAX));
    sim.into_observer().finish(tasks)
}

/// The policy's label under the name the user gave it (`srtf` is titled
/// `srtf`, not by the engine's name `srpt`), with the label's parameters.
fn written_label(written: &str, policy: &AnyPolicy) -> String {
    let label = policy.label();
    let name = written
        .split('(')
        .next()
        .unwrap_or(written)
        .trim()
        .to_ascii_lowercase();
    let parameters = label.find('(').map_or("", |i| &label[i..]);
    if name.is_empty() {
        label
    } else {
        format!("{name}{parameters}")
    }
}

/// The policies `--compare all` runs, with the options' parameters.
pub const TEACHING_POLICIES: &[&str] = &[
    "fcfs",
    "sjf",
    "srtf",
    "priority",
    "priority-pr",
    "rr",
    "hrrn",
    "edf",
    "mlq",
    "mlfq",
];

/// Schedules under several policies; those whose parameters are missing
/// (rr without a quantum, mlfq without levels...) are skipped when the
/// list is `all`, and are errors when named.
pub fn compare(
    tasks: &[Task],
    base: &Options,
    names: &[String],
    all: bool,
) -> Result<Vec<Schedule>, FieldError> {
    let mut out = Vec::new();
    for name in names {
        let options = Options {
            policy: name.clone(),
            levels: if matches!(name.as_str(), "mlq" | "mlfq") {
                base.levels.clone()
            } else {
                None
            },
            quantum: if matches!(name.as_str(), "rr") {
                base.quantum
            } else {
                None
            },
            ..base.clone()
        };
        match schedule(tasks, &options) {
            Ok(s) => out.push(s),
            Err(_) if all => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
