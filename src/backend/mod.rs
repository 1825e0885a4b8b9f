//! The real thread-pool backend: the engine's event list and clock replaced
//! by threads and `Instant`, the same [`Policy`] objects choosing what runs.
//!
//! [`plan`] draws a job sequence once from the scenario's seeded workload
//! (and its dispatch rule); [`run`] executes it on real threads (a
//! dispatcher and, per node, a [`pool::Pool`] of one worker per server);
//! [`simulate`] runs the engine on the very same sequence through a
//! [`FixedWorkload`]. Both give [`TaskRecord`]s in model time units, which
//! [`summary`] turns into figures with confidence intervals.

pub mod pool;
pub mod release;
pub mod summary;
pub mod task;
pub mod work;

use std::time::{Duration, Instant};

use crate::dispatch::{Dispatcher, NodeLoad, Rule};
use crate::engine::{Observer, Simulation};
use crate::error::FieldError;
use crate::job::Job;
use crate::model::{Limit, Scenario};
use crate::policy::{AnyPolicy, Policy, QueuePolicy};
use crate::workload::{Arrival, FixedWorkload, Purpose, SampledWorkload, Workload, stream_rng};

pub use pool::{Pool, WorkerConfig, attempt_fails};
pub use task::{Task, TaskRecord, TaskState};
pub use work::{Timer, Work, WorkMode};

/// The "class" part of the dispatcher's stream seed, as in `experiment`.
const DISPATCH_STREAM: u32 = u32::MAX;

/// How the real run executes tasks.
#[derive(Debug, Clone, Copy)]
pub struct BackendConfig {
    /// Real time per model time unit.
    pub time_scale: Duration,
    /// Longest slice under a preemptive discipline, in model time units.
    pub slice: f64,
    /// Longest service of one attempt before it is cut off (model units;
    /// infinite for none).
    pub timeout: f64,
    /// Retries allowed for a failed or timed-out task.
    pub retries: u32,
    /// Probability that an attempt fails when its work is done.
    pub fail_prob: f64,
    /// Seed of the failure draws.
    pub seed: u64,
}

/// The job sequence of a validation: arrivals in time order with the node
/// each goes to, and the first sequence number that counts (after the warm-up).
#[derive(Debug, Clone)]
pub struct Plan {
    pub arrivals: Vec<Arrival>,
    pub nodes: Vec<u32>,
    pub measure_from: u64,
}

/// Whether the backend can run `policy` on `scenario`; the error names the
/// field and value it cannot handle.
pub fn check_supported(scenario: &Scenario, policy: &AnyPolicy) -> Result<(), FieldError> {
    if policy.by_slices().is_none() {
        return Err(FieldError::new(
            "policy",
            policy.label(),
            "a sharing discipline (ps) serves every job at once, which a worker thread cannot; \
             the real backend runs one task per worker: approach ps with rr and a short quantum, \
             e.g. rr(q=0.25)",
        ));
    }
    if policy.switch_cost() > 0.0 {
        return Err(FieldError::new(
            "policy.switch_cost",
            policy.label(),
            "a simulated switch cost has no meaning on real threads, which pay their own; remove it",
        ));
    }
    if scenario.is_network() {
        return Err(FieldError::new(
            "routes",
            "[...]",
            "the real backend runs each task on one node; networks with routes are simulated only (schedlab run)",
        ));
    }
    if let Some(c) = scenario.classes.iter().position(|c| c.servers_per_job > 1) {
        return Err(FieldError::new(
            format!("classes[{c}].servers_per_job"),
            scenario.classes[c].servers_per_job.to_string(),
            "a worker runs one task at a time; multi-server tasks are simulated only (schedlab run)",
        ));
    }
    for (j, n) in scenario.nodes.iter().enumerate() {
        if n.discipline.is_some() {
            return Err(FieldError::new(
                format!("nodes[{j}].discipline"),
                "(given)",
                "the real backend runs one policy on every pool: set it in [policy]",
            ));
        }
        if let Some(c) = n.capacity {
            return Err(FieldError::new(
                format!("nodes[{j}].capacity"),
                c.to_string(),
                "the real backend does not turn tasks away; remove the capacity",
            ));
        }
    }
    let unpinned = scenario.classes.iter().any(|c| c.node.is_none());
    if let Some(rule) = &scenario.dispatch
        && unpinned
        && !matches!(
            rule,
            Rule::Random { .. } | Rule::RoundRobin | Rule::Sita { .. }
        )
    {
        return Err(FieldError::new(
            "dispatch.rule",
            format!("\"{}\"", rule_name(rule)),
            "the real backend supports push rules that need no node state: random, round-robin, sita",
        ));
    }
    Ok(())
}

fn rule_name(rule: &Rule) -> &'static str {
    match rule {
        Rule::Random { .. } => "random",
        Rule::RoundRobin => "round-robin",
        Rule::Jsq => "jsq",
        Rule::PowerOfD { .. } => "power-of-d",
        Rule::Lwl => "lwl",
        Rule::Sita { .. } => "sita",
        Rule::Jiq => "jiq",
        Rule::Pull => "pull",
        Rule::Hybrid { .. } => "hybrid",
        Rule::EarliestFinish => "earliest-finish",
        Rule::Table { .. } => "table",
    }
}

fn dispatcher(scenario: &Scenario) -> Option<Dispatcher> {
    scenario.dispatch.clone().map(|rule| {
        Dispatcher::new(
            rule,
            stream_rng(scenario.seed, 0, DISPATCH_STREAM, Purpose::Dispatch),
        )
    })
}

/// Draws the job sequence: `jobs` measured arrivals after the scenario's
/// warm-up (counted in jobs, or in time), from replication 0 of its seeded
/// workload, with the node each goes to. A rule that needs no node state
/// chooses as it does in the engine, from the same random stream, so the
/// simulation of the plan sends every job where the real run does.
pub fn plan(scenario: &Scenario, jobs: u64) -> Plan {
    let mut workload = SampledWorkload::new(scenario, 0);
    let mut dispatcher = dispatcher(scenario);
    let loads: Vec<NodeLoad> = scenario
        .nodes
        .iter()
        .map(|n| NodeLoad {
            servers: n.servers,
            idle: n.servers,
            speed: n.speed,
            ..NodeLoad::default()
        })
        .collect();
    let mut arrivals = Vec::new();
    let mut nodes = Vec::new();
    let mut measure_from = match scenario.warmup {
        Limit::Jobs(n) => Some(n),
        Limit::Time(t) if t <= 0.0 => Some(0),
        Limit::Time(_) => None,
    };
    loop {
        // A finite workload (a replayed trace) may end first.
        if workload.peek_time() == f64::INFINITY {
            break;
        }
        let seq = arrivals.len() as u64;
        let a = workload.next_arrival();
        if measure_from.is_none()
            && let Limit::Time(t) = scenario.warmup
            && a.time >= t
        {
            measure_from = Some(seq);
        }
        if measure_from.is_some_and(|m| seq >= m + jobs) {
            break;
        }
        let node = match scenario.classes[a.class as usize].node {
            Some(j) => j as u32,
            None => {
                let job = job_of(scenario, seq, &a, 0);
                dispatcher
                    .as_mut()
                    .expect("scenario validation requires a dispatcher for unpinned classes")
                    .choose(&job, &loads, a.time)
            }
        };
        arrivals.push(a);
        nodes.push(node);
    }
    Plan {
        arrivals,
        nodes,
        measure_from: measure_from.unwrap_or(0),
    }
}

/// The engine's job for an arrival, as the policy sees it.
fn job_of(scenario: &Scenario, seq: u64, a: &Arrival, node: u32) -> Job {
    let mut job = Job::new(
        seq,
        a.class,
        node,
        scenario.classes[a.class as usize].priority,
        a.time,
        a.size,
    );
    job.deadline = a.deadline;
    job.noise = a.noise;
    job
}

/// What a real run measured.
#[derive(Debug, Clone)]
pub struct RealRun {
    /// One record per released task, in order of arrival.
    pub tasks: Vec<TaskRecord>,
    /// Seconds each release came after its due instant.
    pub release_lateness: Vec<f64>,
    /// Seconds from a worker becoming free (or the task becoming ready,
    /// whichever is later) to the task starting, per start of a task.
    pub dispatch_latency: Vec<f64>,
    /// Slice length in model units under this policy: the quantum, the
    /// preemption slice, or infinite (tasks run to completion).
    pub slice: SliceRule,
    pub workers: u32,
    pub time_scale: Duration,
    pub wall: Duration,
}

/// How long a task holds a worker before the policy is asked again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SliceRule {
    /// To completion (non-preemptive, no quantum).
    WholeTask,
    /// The policy's quantum (its first level's, for multilevel queues).
    Quantum(f64),
    /// A fixed slice, for a preemptive discipline (with its quantum, if
    /// shorter).
    Slice(f64),
}

impl SliceRule {
    pub fn of(policy: &QueuePolicy, slice: f64) -> SliceRule {
        let probe = Job::new(0, 0, 0, 0, 0.0, 1.0);
        let q = policy.quantum(&probe);
        if policy.preemptive() {
            SliceRule::Slice(slice.min(q))
        } else if q.is_finite() {
            SliceRule::Quantum(q)
        } else {
            SliceRule::WholeTask
        }
    }

    pub fn describe(&self) -> String {
        match self {
            SliceRule::WholeTask => "none (tasks run to completion)".into(),
            SliceRule::Quantum(q) => format!("{q} time units (the quantum)"),
            SliceRule::Slice(s) => format!("{s} time units (preemption checked between slices)"),
        }
    }
}

/// Runs `plan` on real threads under `policy`: one pool per node, one
/// worker per server, a dispatcher releasing tasks at their scaled arrival
/// instants. Every worker is joined before it returns; every task released
/// is completed, failed or timed out.
pub fn run(
    scenario: &Scenario,
    policy: &AnyPolicy,
    plan: &Plan,
    config: &BackendConfig,
    work: &Work,
) -> RealRun {
    let queue = policy
        .by_slices()
        .expect("check_supported refuses the sharing disciplines slices cannot approach");
    let node_count = scenario.nodes.len();
    // Per node: the global index of each of its tasks.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); node_count];
    for (k, &n) in plan.nodes.iter().enumerate() {
        members[n as usize].push(k);
    }
    let scale = config.time_scale.as_secs_f64();
    // Threads start and reach their wait before the first release.
    let start = Instant::now() + Duration::from_millis(20);
    let due = |k: usize| start + Duration::from_secs_f64(plan.arrivals[k].time * scale);
    let pools: Vec<Pool> = scenario
        .nodes
        .iter()
        .enumerate()
        .map(|(j, n)| {
            let jobs = members[j]
                .iter()
                .map(|&k| job_of(scenario, k as u64, &plan.arrivals[k], j as u32))
                .collect();
            let dues: Vec<Instant> = members[j].iter().map(|&k| due(k)).collect();
            Pool::new(n.servers, n.speed, queue.clone(), jobs, &dues)
        })
        .collect();
    let mut local = vec![0u32; plan.arrivals.len()];
    for m in &members {
        for (i, &k) in m.iter().enumerate() {
            local[k] = i as u32;
        }
    }
    let schedule: Vec<release::Release> = (0..plan.arrivals.len())
        .map(|k| release::Release {
            pool: plan.nodes[k] as usize,
            id: local[k],
            due: due(k),
        })
        .collect();
    let cfg = WorkerConfig {
        work: *work,
        scale,
        start,
        slice: config.slice,
        timeout: config.timeout,
        retries: config.retries,
        fail_prob: config.fail_prob,
        seed: config.seed,
    };
    let workers: u32 = scenario.nodes.iter().map(|n| n.servers).sum();
    let (lateness, logs) = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (j, pool) in pools.iter().enumerate() {
            for s in 0..pool.servers {
                let cfg = &cfg;
                handles.push(
                    std::thread::Builder::new()
                        .name(format!("worker-{j}-{s}"))
                        .spawn_scoped(scope, move || pool.work(cfg))
                        .expect("cannot spawn a worker thread"),
                );
            }
        }
        let dispatcher = std::thread::Builder::new()
            .name("dispatcher".into())
            .spawn_scoped(scope, || {
                release::dispatch(&pools, &schedule, &work.timer, &cfg)
            })
            .expect("cannot spawn the dispatcher thread");
        let lateness = dispatcher.join().expect("the dispatcher panicked");
        let logs: Vec<pool::WorkerLog> = handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .collect();
        (lateness, logs)
    });
    let wall = start.elapsed();
    let mut tasks: Vec<Option<TaskRecord>> = vec![None; plan.arrivals.len()];
    for (j, pool) in pools.into_iter().enumerate() {
        let (jobs, states) = pool.into_parts();
        for ((job, t), &k) in jobs.iter().zip(&states).zip(&members[j]) {
            let model = |i: Option<Instant>| i.map_or(f64::NAN, |i| cfg.model(i));
            tasks[k] = Some(TaskRecord {
                seq: job.seq,
                class: job.class,
                node: j as u32,
                state: t.state,
                arrival: plan.arrivals[k].time,
                released: model(t.released),
                first_start: model(t.first_start),
                finish: model(t.finished),
                served: t.served.as_secs_f64() / scale,
                attempts: t.attempts,
                slices: t.slices,
                preemptions: t.preemptions,
                failures: t.failures,
                timeouts: t.timeouts,
            });
        }
    }
    RealRun {
        tasks: tasks
            .into_iter()
            .map(|t| t.expect("every task belongs to a pool"))
            .collect(),
        release_lateness: lateness,
        dispatch_latency: logs.into_iter().flat_map(|l| l.dispatch_latency).collect(),
        slice: SliceRule::of(&queue, config.slice),
        workers,
        time_scale: config.time_scale,
        wall,
    }
}

impl RealRun {
    /// The run as its pools saw it: every arrival moved to the instant the
    /// dispatcher actually released it. Simulating the returned plan and
    /// comparing with the returned records (responses counted from the
    /// release) judges the pools alone, whatever the release lateness.
    pub fn as_released(&self, plan: &Plan) -> (Plan, Vec<TaskRecord>) {
        let tasks: Vec<TaskRecord> = self
            .tasks
            .iter()
            .map(|t| TaskRecord {
                arrival: t.released,
                ..*t
            })
            .collect();
        let arrivals = plan
            .arrivals
            .iter()
            .zip(&tasks)
            .map(|(a, t)| Arrival {
                time: t.released,
                deadline: a.deadline - a.time + t.released,
                ..*a
            })
            .collect();
        (
            Plan {
                arrivals,
                nodes: plan.nodes.clone(),
                measure_from: plan.measure_from,
            },
            tasks,
        )
    }
}

/// Collects a record per completed job of the engine.
#[derive(Default)]
struct Collector {
    tasks: Vec<TaskRecord>,
}

impl Observer for Collector {
    fn on_complete(&mut self, now: f64, job: &Job) {
        self.tasks.push(TaskRecord {
            seq: job.seq,
            class: job.class,
            node: job.node,
            state: TaskState::Completed,
            arrival: job.arrival,
            released: job.arrival,
            first_start: job.first_start,
            finish: now,
            served: job.served,
            attempts: 1,
            slices: 0,
            preemptions: 0,
            failures: 0,
            timeouts: 0,
        });
    }
}

/// Simulates `plan` with the engine under `policy` (same sizes, same
/// arrival instants, same nodes) and returns its jobs in order of arrival.
pub fn simulate(scenario: &Scenario, policy: &AnyPolicy, plan: &Plan) -> Vec<TaskRecord> {
    let workload = FixedWorkload::new(plan.arrivals.clone());
    let mut sim = Simulation::new(
        scenario,
        workload,
        policy,
        dispatcher(scenario),
        Collector::default(),
    );
    sim.run(Limit::Jobs(0), Limit::Jobs(u64::MAX));
    let mut tasks = sim.into_observer().tasks;
    tasks.sort_by_key(|t| t.seq);
    tasks
}

/// Counts of final states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accounting {
    pub released: u64,
    pub completed: u64,
    pub failed: u64,
    pub timed_out: u64,
    /// Attempts beyond the first, over all tasks.
    pub retries: u64,
    /// Failed and timed-out attempts, retried or not.
    pub failed_attempts: u64,
    pub timed_out_attempts: u64,
    /// Times a task went back to the queue unfinished (quantum or preemption).
    pub preemptions: u64,
    pub slices: u64,
}

impl Accounting {
    pub fn of(tasks: &[TaskRecord]) -> Accounting {
        let mut a = Accounting::default();
        for t in tasks {
            a.released += u64::from(!t.released.is_nan());
            match t.state {
                TaskState::Completed => a.completed += 1,
                TaskState::Failed => a.failed += 1,
                TaskState::TimedOut => a.timed_out += 1,
                _ => {}
            }
            a.retries += u64::from(t.attempts.saturating_sub(1));
            a.failed_attempts += u64::from(t.failures);
            a.timed_out_attempts += u64::from(t.timeouts);
            a.preemptions += u64::from(t.preemptions);
            a.slices += u64::from(t.slices);
        }
        a
    }

    /// Whether every released task reached a final state.
    pub fn balanced(&self) -> bool {
        self.completed + self.failed + self.timed_out == self.released
    }
}
