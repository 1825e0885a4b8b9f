//! The real thread-pool backend: the engine's event list and clock replaced
//! by threads and `Instant`, the same [`Policy`] objects choosing what runs.
//!
//! [`plan`] draws a job sequence once from the scenario's seeded workload
//! (and its dispatch rule); [`run`] executes it on real threads (a
//! dispatcher and, per node, a [`pool::Pool`] of one worker per server);
//! [`simulate`] runs the engine on the very same sequence through a
//! [`FixedWorkload`]. Both give [`TaskRecord`]s in model time units, which
//! [`summary`] turns into figures with confidence intervals, and count
//! their tasks' ends for the accounting identity ([`Ledger`]).
//!
//! Both run the scenario's `[classes.attempts]` through the one
//! [`crate::lifecycle`] module, with the same seeded draws (replication 0),
//! so on the same jobs they meet the same failures, timeouts and backoffs.

pub mod pool;
pub mod release;
pub mod summary;
pub mod task;
pub mod watch;
pub mod work;

use std::time::{Duration, Instant};

use crate::dispatch::{Dispatcher, NodeLoad, Rule};
use crate::engine::{Observer, Simulation, failure_key};
use crate::error::FieldError;
use crate::job::Job;
use crate::lifecycle::{AttemptEnd, Draws, GiveUp};
use crate::model::{Dist, Limit, Scenario};
use crate::policy::{AnyPolicy, Policy, QueuePolicy};
use crate::workload::{Arrival, FixedWorkload, Purpose, SampledWorkload, Workload, stream_rng};

pub use pool::{Ends, Pool, PoolFailures, WorkerConfig};
pub use task::{Task, TaskRecord, TaskState};
pub use watch::{Signal, Stamped, Watched};
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
    if policy.is_sharing()
        && let Some(c) = scenario.classes.iter().position(|c| c.attempts.is_some())
    {
        return Err(FieldError::new(
            format!("classes[{c}].attempts"),
            "(given)",
            format!(
                "attempts with timeouts and failures run on whole servers, and the simulation \
                 beside the real run shares them under {}: compare a queue discipline (rr with a \
                 short quantum approaches it)",
                policy.label()
            ),
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
    if let Some(c) = scenario.classes.iter().position(|c| c.is_workflow()) {
        return Err(FieldError::new(
            format!("classes[{c}].workflow"),
            "(given)",
            "the real backend runs independent tasks; workflow classes are simulated only (schedlab run), and a graph alone is scheduled by `schedlab workflow`",
        ));
    }
    if let Some(c) = scenario.classes.iter().position(|c| c.is_closed()) {
        return Err(FieldError::new(
            format!("classes[{c}].population"),
            scenario.classes[c].population().unwrap_or(0).to_string(),
            "a closed class's jobs come back when they finish, so its releases cannot be planned              before the real run; closed classes are simulated only (schedlab run)",
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
        if n.schedule.is_some() {
            return Err(FieldError::new(
                format!("nodes[{j}].schedule"),
                "(given)",
                "the real backend keeps a fixed pool of workers per node; server shifts are simulated only (schedlab run)",
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
        if measure_from.is_some_and(|m| seq >= m.saturating_add(jobs)) {
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

/// Per class: what a visit to node `node` demands, as the engine draws
/// it (the class's `service_at` there, else its `service`), for attempts
/// whose requirement is drawn anew.
fn demands_at(scenario: &Scenario, node: usize) -> Vec<Dist> {
    scenario
        .classes
        .iter()
        .map(|c| {
            c.service_at[node]
                .clone()
                .unwrap_or_else(|| c.service.clone())
        })
        .collect()
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
    /// One record per task, in order of arrival.
    pub tasks: Vec<TaskRecord>,
    /// Per class: the accounting identity, from the pools' counts of
    /// releases and ends and the tasks left in no final state.
    pub ledgers: Vec<Ledger>,
    /// What the alarms and the node failure figures count (see [`watch`]).
    pub signals: Vec<Stamped>,
    /// Model time of the last task's end.
    pub end: f64,
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
    let queue_watched = watch::queue_watched(&scenario.alarms, node_count);
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
            Pool::new(
                n.servers,
                n.speed,
                queue.clone(),
                jobs,
                &dues,
                demands_at(scenario, j),
                j as u32,
                n.failures.as_deref().cloned().map(|rule| PoolFailures {
                    rule,
                    key: failure_key(scenario.seed, 0),
                    node: j as u32,
                }),
                queue_watched[j],
            )
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
        rules: scenario
            .classes
            .iter()
            .map(|c| c.attempts.clone())
            .collect(),
        draws: Draws::new(scenario.seed, 0),
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
                        .spawn_scoped(scope, move || pool.work(s, cfg))
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
    // The run ends with its last task: the failures no worker saw before
    // then happened all the same.
    let end = pools.iter().map(|p| p.last_end(&cfg)).fold(0.0, f64::max);
    let mut signals = Vec::new();
    let mut tasks: Vec<Option<TaskRecord>> = vec![None; plan.arrivals.len()];
    let mut ends = vec![Ends::default(); scenario.classes.len()];
    for (j, pool) in pools.into_iter().enumerate() {
        pool.settle(end);
        let parts = pool.into_parts();
        signals.extend(parts.signals);
        for (total, e) in ends.iter_mut().zip(&parts.ends) {
            total.arrived += e.arrived;
            total.completed += e.completed;
            total.dead_lettered += e.dead_lettered;
            total.rolled_back += e.rolled_back;
        }
        for ((job, t), &k) in parts.jobs.iter().zip(&parts.tasks).zip(&members[j]) {
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
                wasted_time: t.wasted.as_secs_f64() / scale,
                wasted_work: t.wasted_work,
                attempts: t.attempts,
                slices: t.slices,
                preemptions: t.preemptions,
                failures: t.failures,
                timeouts: t.timeouts,
                killed: t.killed,
                gave_up: t.gave_up,
                gave_up_at: model(t.gave_up_at),
            });
        }
    }
    let tasks: Vec<TaskRecord> = tasks
        .into_iter()
        .map(|t| t.expect("every task belongs to a pool"))
        .collect();
    RealRun {
        ledgers: Ledger::of(&ends, &tasks),
        tasks,
        signals,
        end,
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

/// The accounting identity of one class in one run: every task that
/// arrived is completed, given up (dead-lettered), rolled back, or still
/// present. `arrived` and the ends are counted as they happen (by the
/// pools, or by the engine's events); `present` from the tasks left in no
/// final state: a task ended twice, or never counted, breaks it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Ledger {
    pub class: u32,
    pub arrived: u64,
    pub completed: u64,
    pub gave_up: u64,
    pub rolled_back: u64,
    pub present: u64,
}

impl Ledger {
    /// The ledgers of every class, from the ends counted per class and
    /// the tasks (those that arrived and are in no final state are present).
    pub fn of(ends: &[Ends], tasks: &[TaskRecord]) -> Vec<Ledger> {
        ends.iter()
            .enumerate()
            .map(|(k, e)| Ledger {
                class: k as u32,
                arrived: e.arrived,
                completed: e.completed,
                gave_up: e.dead_lettered,
                rolled_back: e.rolled_back,
                present: tasks
                    .iter()
                    .filter(|t| {
                        t.class == k as u32 && !t.released.is_nan() && !t.state.is_terminal()
                    })
                    .count() as u64,
            })
            .collect()
    }

    pub fn balanced(&self) -> bool {
        self.arrived == self.completed + self.gave_up + self.rolled_back + self.present
    }
}

impl std::fmt::Display for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "class {}: arrived {} against completed {} + gave up {} + rolled back {} + still present {}",
            self.class, self.arrived, self.completed, self.gave_up, self.rolled_back, self.present
        )
    }
}

/// Collects a record per job of the engine, and counts arrivals and ends.
struct Collector {
    /// By sequence number; `None` for a job that never arrived.
    tasks: Vec<Option<TaskRecord>>,
    ends: Vec<Ends>,
    /// What the alarms and failure figures count, as the real run logs it.
    signals: Vec<Stamped>,
    /// Per node: whether an alarm watches its queue, tasks present and
    /// servers serving them, and the queue level last logged.
    queue_watched: Vec<bool>,
    present: Vec<u32>,
    serving: Vec<u32>,
    level: Vec<u32>,
    end: f64,
}

impl Collector {
    fn new(scenario: &Scenario, capacity: usize) -> Collector {
        let nodes = scenario.nodes.len();
        Collector {
            tasks: Vec::with_capacity(capacity),
            ends: vec![Ends::default(); scenario.classes.len()],
            signals: Vec::new(),
            queue_watched: watch::queue_watched(&scenario.alarms, nodes),
            present: vec![0; nodes],
            serving: vec![0; nodes],
            level: vec![0; nodes],
            end: 0.0,
        }
    }

    /// Logs `node`'s queue level at `now` if an alarm watches it and it changed.
    fn note_queue(&mut self, now: f64, node: u32) {
        let n = node as usize;
        if !self.queue_watched[n] {
            return;
        }
        let level = self.present[n].saturating_sub(self.serving[n]);
        if level != self.level[n] {
            self.level[n] = level;
            self.signals.push(Stamped {
                at: now,
                what: Signal::Queue { node, level },
            });
        }
    }

    /// A task left `node` at `now`.
    fn leaves(&mut self, now: f64, node: u32) {
        let n = node as usize;
        self.present[n] = self.present[n].saturating_sub(1);
        self.note_queue(now, node);
    }

    fn record(&mut self, job: &Job) -> &mut TaskRecord {
        self.tasks
            .get_mut(job.seq as usize)
            .and_then(Option::as_mut)
            .expect("a job ends only after it arrived")
    }

    /// Job `job` reached its final `state` at `now`.
    fn end(&mut self, now: f64, job: &Job, state: TaskState) {
        let e = &mut self.ends[job.class as usize];
        match state {
            TaskState::Completed => e.completed += 1,
            TaskState::DeadLettered => e.dead_lettered += 1,
            _ => e.rolled_back += 1,
        }
        let r = self.record(job);
        r.state = state;
        r.finish = now;
        r.served = job.served;
        r.first_start = job.first_start;
    }
}

impl Observer for Collector {
    fn on_arrival(&mut self, now: f64, job: &Job) {
        if job.visits > 0 {
            return;
        }
        self.present[job.node as usize] += 1;
        self.note_queue(now, job.node);
        let k = job.seq as usize;
        if self.tasks.len() <= k {
            self.tasks.resize(k + 1, None);
        }
        self.ends[job.class as usize].arrived += 1;
        self.tasks[k] = Some(TaskRecord {
            seq: job.seq,
            class: job.class,
            node: job.node,
            state: TaskState::Queued,
            arrival: job.arrival,
            released: now,
            first_start: f64::NAN,
            finish: f64::NAN,
            served: 0.0,
            wasted_time: 0.0,
            wasted_work: 0.0,
            attempts: 1,
            slices: 0,
            preemptions: 0,
            failures: 0,
            timeouts: 0,
            killed: 0,
            gave_up: None,
            gave_up_at: f64::NAN,
        });
    }

    fn on_start(&mut self, now: f64, job: &Job, _server: u32) {
        self.serving[job.node as usize] += job.width;
        self.note_queue(now, job.node);
    }

    fn on_stop(&mut self, now: f64, job: &Job, _server: u32) {
        let n = job.node as usize;
        self.serving[n] = self.serving[n].saturating_sub(job.width);
        self.note_queue(now, job.node);
    }

    fn on_server_down(&mut self, now: f64, node: u32, _server: u32, job: Option<&Job>) {
        self.signals.push(Stamped {
            at: now,
            what: Signal::Down {
                node,
                interrupted: job.is_some(),
            },
        });
    }

    fn on_server_up(&mut self, now: f64, node: u32, _server: u32) {
        self.signals.push(Stamped {
            at: now,
            what: Signal::Up { node },
        });
    }

    fn on_end(&mut self, now: f64) {
        self.end = now;
    }

    fn on_attempt_end(&mut self, now: f64, job: &Job, end: AttemptEnd, work: f64, time: f64) {
        if matches!(end, AttemptEnd::Failed | AttemptEnd::TimedOut) {
            self.signals.push(Stamped {
                at: now,
                what: Signal::Failed,
            });
        }
        let r = self.record(job);
        match end {
            AttemptEnd::Failed => r.failures += 1,
            AttemptEnd::TimedOut => r.timeouts += 1,
            AttemptEnd::Killed => r.killed += 1,
            AttemptEnd::Completed => {}
        }
        r.wasted_work += work;
        r.wasted_time += time;
    }

    fn on_task_completed(&mut self, _now: f64, job: &Job, attempts: u32) {
        self.record(job).attempts = attempts;
    }

    fn on_complete(&mut self, now: f64, job: &Job) {
        self.end(now, job, TaskState::Completed);
        self.leaves(now, job.node);
    }

    fn on_give_up(&mut self, now: f64, job: &Job, why: GiveUp, attempts: u32, rollback: bool) {
        self.signals.push(Stamped {
            at: now,
            what: Signal::GaveUp,
        });
        if !rollback {
            self.leaves(now, job.node);
        }
        let r = self.record(job);
        r.gave_up = Some(why);
        r.gave_up_at = now;
        r.attempts = attempts;
        if !rollback {
            self.end(now, job, TaskState::DeadLettered);
        }
    }

    fn on_rolled_back(&mut self, now: f64, job: &Job, time: f64) {
        let r = self.record(job);
        r.wasted_time += time;
        r.wasted_work += job.size;
        self.end(now, job, TaskState::RolledBack);
        self.leaves(now, job.node);
    }
}

/// What the simulation of a plan gives.
#[derive(Debug, Clone)]
pub struct SimRun {
    /// One record per job that arrived, in order of arrival.
    pub tasks: Vec<TaskRecord>,
    /// Per class, from the engine's arrival and end events.
    pub ledgers: Vec<Ledger>,
    /// What the alarms and the node failure figures count (see [`watch`]).
    pub signals: Vec<Stamped>,
    /// Model time the run ended (its last task's end).
    pub end: f64,
}

/// Simulates `plan` with the engine under `policy` (same sizes, same
/// arrival instants, same nodes, the same lifecycle draws) and returns
/// its jobs in order of arrival.
pub fn simulate(scenario: &Scenario, policy: &AnyPolicy, plan: &Plan) -> SimRun {
    let workload = FixedWorkload::new(plan.arrivals.clone());
    let collector = Collector::new(scenario, plan.arrivals.len());
    let mut sim = Simulation::new(scenario, workload, policy, dispatcher(scenario), collector);
    sim.run(Limit::Jobs(0), Limit::Jobs(u64::MAX));
    let collector = sim.into_observer();
    let tasks: Vec<TaskRecord> = collector.tasks.into_iter().flatten().collect();
    SimRun {
        ledgers: Ledger::of(&collector.ends, &tasks),
        tasks,
        signals: collector.signals,
        end: collector.end,
    }
}

/// Model time the measured window of `plan` starts: 0, or the arrival of
/// its first measured task.
pub fn window_start(plan: &Plan) -> f64 {
    match plan.measure_from {
        0 => 0.0,
        m => plan.arrivals.get(m as usize).map_or(0.0, |a| a.time),
    }
}

/// The alarms and node failure figures of a run of `plan` (real or
/// simulated) from its `signals`, over its measured window up to `end`.
pub fn watched(scenario: &Scenario, plan: &Plan, signals: &[Stamped], end: f64) -> Watched {
    let start = window_start(plan);
    watch::replay(
        signals,
        &scenario.alarms,
        scenario.nodes.len(),
        start,
        end.max(start),
    )
}

/// Counts of final states and of what the tasks did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accounting {
    pub released: u64,
    pub completed: u64,
    /// Given up and dead-lettered, given up and rolled back.
    pub gave_up: u64,
    pub rolled_back: u64,
    /// Released and in no final state.
    pub present: u64,
    /// Attempts used, over all tasks.
    pub attempts: u64,
    /// Attempts that failed, timed out, were killed by a deadline.
    pub failed_attempts: u64,
    pub timed_out_attempts: u64,
    pub killed_attempts: u64,
    /// Times a task went back to the queue unfinished (quantum or preemption).
    pub preemptions: u64,
    pub slices: u64,
}

impl Accounting {
    pub fn of(tasks: &[TaskRecord]) -> Accounting {
        let mut a = Accounting::default();
        for t in tasks {
            let released = !t.released.is_nan();
            a.released += u64::from(released);
            match t.state {
                TaskState::Completed => a.completed += 1,
                TaskState::DeadLettered => a.gave_up += 1,
                TaskState::RolledBack => a.rolled_back += 1,
                _ => a.present += u64::from(released),
            }
            a.attempts += u64::from(t.attempts);
            a.failed_attempts += u64::from(t.failures);
            a.timed_out_attempts += u64::from(t.timeouts);
            a.killed_attempts += u64::from(t.killed);
            a.preemptions += u64::from(t.preemptions);
            a.slices += u64::from(t.slices);
        }
        a
    }

    /// Whether every released task reached a final state.
    pub fn all_final(&self) -> bool {
        self.present == 0 && self.completed + self.gave_up + self.rolled_back == self.released
    }
}
