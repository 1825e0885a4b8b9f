//! An experiment: a scenario's replications, run in parallel, and the rows
//! that summarise them.
//!
//! Replication `r` draws from streams derived from (seed, r, class,
//! purpose) and the rows are assembled in replication order, so the output
//! is bit-identical whatever the number of threads.

use rayon::prelude::*;

use crate::dispatch::{Dispatcher, Rule};
use crate::engine::{Deadlock, Observer, RunInfo, Simulation, Unstable};
use crate::job::Job;
use crate::lifecycle::GiveUp;
use crate::model::{Limit, Scenario};
use crate::policy::AnyPolicy;
use crate::stats::alarms::AlarmSummary;
use crate::stats::mser::Mser;
use crate::stats::timeline::{self, Timeline, TimelineBin};
use crate::stats::{
    Estimate, Recorder, ReplicationSummary, ResponseDistribution, RowStats, Selection,
    SizeBinStats, response_distribution, size_bins, summarize,
};
use crate::theory::{self, Prediction};
use crate::workload::{Purpose, SampledWorkload, stream_rng};

/// The "class" part of the dispatcher's stream seed: no real class has it.
const DISPATCH_STREAM: u32 = u32::MAX;

/// Quantiles resolve response times to this fraction of the shortest mean
/// time in service.
const RESOLUTION_FRACTION: f64 = 1e-4;

/// One result row: which jobs, under which policy, and their figures.
#[derive(Debug, Clone)]
pub struct Row {
    pub policy: String,
    pub class: String,
    pub node: String,
    pub selection: Selection,
    pub stats: RowStats,
    /// The closed form for this row, where one applies.
    pub theory: Option<Prediction>,
}

/// A policy against the baseline on the same jobs: the difference of
/// overall mean response times, replication by replication (common random
/// numbers make the pairs positively correlated, hence a narrow interval).
#[derive(Debug, Clone)]
pub struct PairedDifference {
    pub policy: String,
    pub baseline: String,
    /// The class compared, or "all" for every job.
    pub class: String,
    /// Mean over replications of (policy − baseline) mean response, with its 95% CI.
    pub diff_mean_response: Estimate,
}

/// A replication that stopped on a deadlock.
#[derive(Debug, Clone)]
pub struct RunDeadlock {
    pub policy: String,
    pub replication: u32,
    pub deadlock: Deadlock,
}

/// The deadlocks of a policy's replications, in replication order.
pub fn deadlocks(policy: &str, reps: &[ReplicationSummary]) -> Vec<RunDeadlock> {
    reps.iter()
        .enumerate()
        .filter_map(|(r, rep)| {
            rep.info.deadlock.clone().map(|deadlock| RunDeadlock {
                policy: policy.to_string(),
                replication: r as u32,
                deadlock,
            })
        })
        .collect()
}

/// A replication that stopped because the jobs present passed their limit.
#[derive(Debug, Clone)]
pub struct RunUnstable {
    pub policy: String,
    pub replication: u32,
    pub unstable: Unstable,
}

impl std::fmt::Display for RunUnstable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the system is unstable: under {} replication {} had {} jobs present at time {} \
             and was stopped (raise the limit with --max-present N)",
            self.policy, self.replication, self.unstable.present, self.unstable.time
        )
    }
}

/// The one line that reports a run (or sweep) whose replications stopped
/// with too many jobs present: the first of them, and how many there were.
pub fn unstable_line(
    path: &std::path::Path,
    first: &dyn std::fmt::Display,
    count: usize,
) -> String {
    let more = match count {
        1 => String::new(),
        n => format!(" ({n} replications stopped so)"),
    };
    format!("{}: {first}{more}", path.display())
}

/// The first row whose jobs do not add up, as one line: a bug in the
/// engine or the statistics, never silent.
pub fn imbalance_line(path: &std::path::Path, rows: &[Row]) -> Option<String> {
    rows.iter().find_map(|row| {
        row.stats.tasks.imbalance.as_ref().map(|(r, e)| {
            format!(
                "{}: internal error, the jobs of a run do not add up under {}, replication {r}: {e}; \
                 this is a bug, please report it with the scenario",
                path.display(),
                row.policy
            )
        })
    })
}

/// The replications of a policy that stopped as unstable, in order.
pub fn unstable(policy: &str, reps: &[ReplicationSummary]) -> Vec<RunUnstable> {
    reps.iter()
        .enumerate()
        .filter_map(|(r, rep)| {
            rep.info.unstable.clone().map(|unstable| RunUnstable {
                policy: policy.to_string(),
                replication: r as u32,
                unstable,
            })
        })
        .collect()
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// For each policy in order: the all/all row, then per class, then per node.
    pub rows: Vec<Row>,
    /// Each policy after the first against the first.
    pub paired: Vec<PairedDifference>,
    /// Events handled over all replications.
    pub events: u64,
    /// Per policy (label, distribution of every job's response time).
    pub distributions: Vec<(String, ResponseDistribution)>,
    /// Replications that stopped on a deadlock.
    pub deadlocks: Vec<RunDeadlock>,
    /// Replications that stopped with too many jobs present.
    pub unstable: Vec<RunUnstable>,
    /// The bounded slowdown's tau.
    pub slowdown_tau: f64,
    /// Per policy, overall then per class: the jobs by size bin.
    pub size_bins: Vec<SizeBinRow>,
    /// Per policy, each `[[alarms]]` entry's figures.
    pub alarms: Vec<(String, AlarmSummary)>,
    /// Per policy, the timeline's bins (empty without `[output] timeline`).
    pub timeline: Vec<TimelineRow>,
    /// Per policy, the warm-ups chosen under `warmup = "auto"` (else empty).
    pub warmups: Vec<ChosenWarmup>,
    /// Replications run per policy (more than the scenario's under `--precision`).
    pub replications: u32,
    /// Under `--precision`: what the stopping rule reached.
    pub precision: Option<PrecisionReached>,
}

/// `--precision` (or `precision = ...`): replications are added until the
/// 95% half-width of `metric` on the all/all row of every policy is at most
/// `target` times its estimate, or `max_replications` have run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precision {
    pub target: f64,
    pub metric: crate::size::Metric,
    pub max_replications: u32,
}

/// The outcome of a run under [`Precision`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PrecisionReached {
    pub target: f64,
    pub metric: &'static str,
    pub replications: u32,
    pub max_replications: u32,
    pub reached: bool,
    /// The largest over the policies of half-width / |estimate|.
    pub relative_half_width: f64,
}

/// A bin of a policy's timeline, with the load offered in it.
#[derive(Debug, Clone)]
pub struct TimelineRow {
    pub policy: String,
    pub bin: TimelineBin,
    /// The expected arrivals from outside in the bin (whole-system rows
    /// only): `E[X] ∫ λ(t) dt` over the bin, summed over classes.
    pub offered: Option<f64>,
}

/// The timeline rows of a policy's replications.
pub fn timeline_rows(
    scenario: &Scenario,
    policy: &str,
    reps: &[ReplicationSummary],
) -> Vec<TimelineRow> {
    let timelines: Vec<&Timeline> = reps.iter().filter_map(|r| r.timeline.as_ref()).collect();
    let offered = scenario.offered_arrivals();
    // A closed class's arrivals are its own jobs coming back: nothing is
    // offered from outside to compare them with.
    let open = !scenario.classes.iter().any(|c| c.is_closed());
    timeline::summarize(&timelines)
        .into_iter()
        .map(|bin| TimelineRow {
            policy: policy.to_string(),
            offered: (open && bin.node.is_none()).then(|| offered(bin.start, bin.end)),
            bin,
        })
        .collect()
}

/// One size bin of a policy's overall or class row.
#[derive(Debug, Clone)]
pub struct SizeBinRow {
    pub policy: String,
    pub class: String,
    pub bin: SizeBinStats,
    /// `1/(1 − ρ)`, the slowdown of every size under processor sharing,
    /// where one node of one server is below saturation.
    pub ps_slowdown: Option<f64>,
}

/// The size-bin rows of a policy: all jobs, then each class.
pub fn size_bin_rows(
    scenario: &Scenario,
    policy: &str,
    reps: &[ReplicationSummary],
) -> Vec<SizeBinRow> {
    let edges = scenario.size_bin_edges();
    let rho = scenario.total_load();
    let ps_slowdown = match scenario.nodes.as_slice() {
        [one] if one.servers == 1 && !scenario.is_network() && rho < 1.0 => Some(1.0 / (1.0 - rho)),
        _ => None,
    };
    job_selections(scenario)
        .into_iter()
        .flat_map(|(selection, class, _)| {
            size_bins(scenario, reps, selection, &edges)
                .into_iter()
                .map(move |bin| SizeBinRow {
                    policy: policy.to_string(),
                    class: class.clone(),
                    bin,
                    ps_slowdown,
                })
        })
        .collect()
}

/// The histogram resolution for a scenario.
pub fn resolution(scenario: &Scenario) -> f64 {
    let shortest = scenario
        .classes
        .iter()
        .map(|c| {
            let speed = match c.node {
                Some(j) => scenario.nodes[j].speed,
                None => scenario.nodes.iter().map(|n| n.speed).fold(0.0, f64::max),
            };
            c.service.mean() / speed
        })
        .fold(f64::INFINITY, f64::min);
    shortest * RESOLUTION_FRACTION
}

/// Runs replication `replication` of `scenario` under `policy`, reporting
/// to `observer`, for the given warm-up and horizon.
pub fn simulate<O: Observer>(
    scenario: &Scenario,
    policy: &AnyPolicy,
    replication: u32,
    observer: O,
    warmup: Limit,
    horizon: Limit,
) -> (O, RunInfo) {
    let workload = SampledWorkload::new(scenario, replication);
    let dispatcher = scenario.dispatch.clone().map(|rule| {
        Dispatcher::new(
            rule,
            stream_rng(
                scenario.seed,
                replication,
                DISPATCH_STREAM,
                Purpose::Dispatch,
            ),
        )
    });
    let mut sim = Simulation::with_replication(
        scenario,
        workload,
        policy,
        dispatcher,
        observer,
        replication,
    );
    let info = sim.run(warmup, horizon);
    (sim.into_observer(), info)
}

/// Runs replication `replication` of `scenario` under `policy`.
pub fn run_replication(
    scenario: &Scenario,
    policy: &AnyPolicy,
    replication: u32,
) -> ReplicationSummary {
    let pull = scenario.dispatch == Some(Rule::Pull);
    // Under pull the central queue is one more column, where no job is served.
    let speeds: Vec<f64> = scenario
        .nodes
        .iter()
        .map(|n| n.speed)
        .chain(pull.then_some(1.0))
        .collect();
    let recorder = Recorder::new(
        scenario.classes.len(),
        &speeds,
        resolution(scenario),
        scenario.is_network(),
    )
    .with_sizes(scenario.slowdown_tau(), &scenario.size_bin_edges())
    .with_alarms(&scenario.alarms);
    let (warmup, warmup_jobs) = if scenario.warmup_auto {
        let jobs = auto_warmup(scenario, policy, replication);
        (Limit::Jobs(jobs), Some(jobs))
    } else {
        (scenario.warmup, None)
    };
    // Two instantiations of the engine: one without a timeline pays nothing for it.
    match scenario.output.timeline {
        None => {
            let (recorder, info) = simulate(
                scenario,
                policy,
                replication,
                recorder,
                warmup,
                scenario.horizon,
            );
            ReplicationSummary {
                recorder,
                info,
                timeline: None,
                warmup_jobs,
            }
        }
        Some(bin) => {
            let servers: Vec<u32> = scenario.nodes.iter().map(|n| n.servers).collect();
            let timeline = Timeline::new(bin, &servers, crate::limits::timeline_cap(scenario));
            let ((recorder, timeline), info) = simulate(
                scenario,
                policy,
                replication,
                (recorder, timeline),
                warmup,
                scenario.horizon,
            );
            ReplicationSummary {
                recorder,
                info,
                timeline: Some(timeline),
                warmup_jobs,
            }
        }
    }
}

/// `warmup = "auto"`: the warm-up of replication `replication`, in jobs,
/// chosen by MSER-5 on a pilot run of the same jobs from time 0 over the
/// horizon (the pilot draws exactly what the measured run then draws, so
/// the truncation is of the run itself).
pub fn auto_warmup(scenario: &Scenario, policy: &AnyPolicy, replication: u32) -> u64 {
    let (mser, _) = simulate(
        scenario,
        policy,
        replication,
        Mser::default(),
        Limit::Jobs(0),
        scenario.horizon,
    );
    mser.truncation()
}

/// The warm-ups `warmup = "auto"` chose for a policy's replications.
#[derive(Debug, Clone)]
pub struct ChosenWarmup {
    pub policy: String,
    /// Jobs, per replication in order.
    pub jobs: Vec<u64>,
    /// When each replication's measurement started.
    pub times: Vec<f64>,
}

impl ChosenWarmup {
    fn of(policy: &str, reps: &[ReplicationSummary]) -> Option<ChosenWarmup> {
        let jobs: Option<Vec<u64>> = reps.iter().map(|r| r.warmup_jobs).collect();
        Some(ChosenWarmup {
            policy: policy.to_string(),
            jobs: jobs?,
            times: reps.iter().map(|r| r.info.measure_start).collect(),
        })
    }
}

/// Jobs whose passage the sample path of a run shows.
pub const SAMPLE_PATH_JOBS: u64 = 500;

/// The number of jobs in the system over time in replication 0, from the
/// end of `warmup` (the warm-up the run measured after) until `jobs` jobs
/// have completed: a step function, one point per change, the first at
/// the end of the warm-up.
pub fn sample_path(
    scenario: &Scenario,
    policy: &AnyPolicy,
    warmup: Limit,
    jobs: u64,
) -> Vec<(f64, u32)> {
    let (path, _) = simulate(
        scenario,
        policy,
        0,
        PathRecorder::default(),
        warmup,
        Limit::Jobs(jobs),
    );
    path.points
}

/// Records each change of the number of jobs present once the warm-up
/// is over (counting from the start, so the level is right).
#[derive(Debug, Default)]
struct PathRecorder {
    present: u32,
    measuring: bool,
    points: Vec<(f64, u32)>,
}

impl PathRecorder {
    fn change(&mut self, now: f64, up: bool) {
        if up {
            self.present += 1;
        } else {
            self.present = self.present.saturating_sub(1);
        }
        if self.measuring {
            self.points.push((now, self.present));
        }
    }
}

/// Jobs in the system: an arrival from outside (a job's later visits, a
/// workflow's tasks, come with `visits > 0`) adds one; completing, or
/// leaving after entering (lost or baulking at a later node, reneging,
/// given up), takes one off.
impl Observer for PathRecorder {
    fn on_arrival(&mut self, now: f64, job: &Job) {
        if job.visits == 0 {
            self.change(now, true);
        }
    }

    fn on_complete(&mut self, now: f64, _job: &Job) {
        self.change(now, false);
    }

    fn on_block(&mut self, now: f64, job: &Job) {
        if job.visits > 0 {
            self.change(now, false);
        }
    }

    fn on_baulk(&mut self, now: f64, job: &Job) {
        if job.visits > 0 {
            self.change(now, false);
        }
    }

    fn on_renege(&mut self, now: f64, _job: &Job) {
        self.change(now, false);
    }

    fn on_give_up(&mut self, now: f64, _job: &Job, _why: GiveUp, _attempts: u32, rollback: bool) {
        if !rollback {
            self.change(now, false);
        }
    }

    fn on_rolled_back(&mut self, now: f64, _job: &Job, _time: f64) {
        self.change(now, false);
    }

    fn on_measure_start(&mut self, now: f64) {
        self.measuring = true;
        self.points.push((now, self.present));
    }
}

/// Runs every replication (in parallel on the current rayon pool).
pub fn run_replications(scenario: &Scenario, policy: &AnyPolicy) -> Vec<ReplicationSummary> {
    (0..scenario.replications)
        .into_par_iter()
        .map(|r| run_replication(scenario, policy, r))
        .collect()
}

/// The rows every run reports, with their class and node names: all
/// jobs, then each class, then each node outside groups, then each group
/// (named as the group), then, with `Scenario::member_rows` only, each
/// member of a group: a group of 100,000 nodes gives one row, not
/// 100,000 to summarise and print.
pub fn selections(scenario: &Scenario) -> Vec<(Selection, String, String)> {
    let mut selections = vec![(Selection::All, "all".to_string(), "all".to_string())];
    for (k, c) in scenario.classes.iter().enumerate() {
        selections.push((Selection::Class(k), c.name.clone(), "all".into()));
    }
    let in_group = |j: usize| scenario.groups.iter().any(|g| g.members().contains(&j));
    for (j, n) in scenario.nodes.iter().enumerate() {
        if !in_group(j) {
            selections.push((Selection::Node(j), "all".into(), n.name.clone()));
        }
    }
    for (g, group) in scenario.groups.iter().enumerate() {
        selections.push((Selection::Group(g), "all".into(), group.name.clone()));
    }
    if scenario.member_rows {
        for g in &scenario.groups {
            for j in g.members() {
                selections.push((
                    Selection::Node(j),
                    "all".into(),
                    scenario.nodes[j].name.clone(),
                ));
            }
        }
    }
    selections
}

pub fn rows(scenario: &Scenario, policy: &AnyPolicy, reps: &[ReplicationSummary]) -> Vec<Row> {
    let selections = selections(scenario);
    let which: Vec<Selection> = selections.iter().map(|s| s.0).collect();
    let theory = theory::predict_rows(scenario, policy, &which);
    rows_of(scenario, policy, reps, selections, theory)
}

/// The selections of a sweep's rows: all jobs, then each class (no node rows).
fn job_selections(scenario: &Scenario) -> Vec<(Selection, String, String)> {
    selections(scenario)
        .into_iter()
        .filter(|s| !matches!(s.0, Selection::Node(_) | Selection::Group(_)))
        .collect()
}

/// The closed forms of a sweep point's rows (see [`job_rows`]). Kept apart
/// because some (SRPT, FB integrals) cost far more than summarising the
/// replications, and are worked out once per (point, policy).
pub fn job_theory(scenario: &Scenario, policy: &AnyPolicy) -> Vec<Option<Prediction>> {
    let which: Vec<Selection> = job_selections(scenario).iter().map(|s| s.0).collect();
    theory::predict_rows(scenario, policy, &which)
}

/// The rows of a sweep's point: all jobs, then each class (no node
/// rows), with their closed forms from [`job_theory`].
pub fn job_rows(
    scenario: &Scenario,
    policy: &AnyPolicy,
    reps: &[ReplicationSummary],
    theory: Vec<Option<Prediction>>,
) -> Vec<Row> {
    rows_of(scenario, policy, reps, job_selections(scenario), theory)
}

fn rows_of(
    scenario: &Scenario,
    policy: &AnyPolicy,
    reps: &[ReplicationSummary],
    selections: Vec<(Selection, String, String)>,
    theory: Vec<Option<Prediction>>,
) -> Vec<Row> {
    selections
        .into_iter()
        .zip(theory)
        .map(|((selection, class, node), theory)| Row {
            policy: policy.label(),
            class,
            node,
            selection,
            stats: summarize(scenario, reps, selection),
            theory,
        })
        .collect()
}

/// Runs the scenario under each of its policies, on the same jobs.
pub fn run(scenario: &Scenario) -> RunOutput {
    run_with_progress(scenario, &|| {})
}

/// [`run`], calling `tick` as each replication ends (for a progress bar).
pub fn run_with_progress(scenario: &Scenario, tick: &(dyn Fn() + Sync)) -> RunOutput {
    let n_policies = scenario.policies.len();
    let mut per_policy = run_range(scenario, 0, scenario.replications, tick);
    let precision = scenario
        .precision
        .map(|p| until_precise(scenario, p, &mut per_policy, tick));
    let labels: Vec<String> = scenario.policies.iter().map(|p| p.label()).collect();
    // Overall, then per class where there are several: a policy can win
    // overall while one class pays.
    let mut compared: Vec<(String, Option<usize>)> = vec![("all".into(), None)];
    if scenario.classes.len() > 1 {
        compared.extend(
            scenario
                .classes
                .iter()
                .enumerate()
                .map(|(k, c)| (c.name.clone(), Some(k))),
        );
    }
    let mean_response = |r: &ReplicationSummary, class: Option<usize>| match class {
        None => r.recorder.overall_mean_response(),
        Some(k) => {
            let w = &r.recorder.class(k).response;
            if w.count == 0 { f64::NAN } else { w.mean }
        }
    };
    let paired = (1..n_policies)
        .flat_map(|p| {
            let (per_policy, labels) = (&per_policy, &labels);
            compared.iter().map(move |(name, class)| {
                // A replication where either side saw no job of the class
                // gives NaN, which the estimate leaves out.
                let diffs: Vec<f64> = per_policy[p]
                    .iter()
                    .zip(&per_policy[0])
                    .map(|(a, b)| mean_response(a, *class) - mean_response(b, *class))
                    .collect();
                PairedDifference {
                    policy: labels[p].clone(),
                    baseline: labels[0].clone(),
                    class: name.clone(),
                    diff_mean_response: Estimate::from_values(&diffs),
                }
            })
        })
        .collect();
    RunOutput {
        rows: per_policy
            .iter()
            .zip(&scenario.policies)
            .flat_map(|(reps, policy)| rows(scenario, policy, reps))
            .collect(),
        paired,
        events: per_policy.iter().flatten().map(|r| r.info.events).sum(),
        distributions: labels
            .iter()
            .zip(&per_policy)
            .map(|(l, reps)| (l.clone(), response_distribution(reps)))
            .collect(),
        deadlocks: labels
            .iter()
            .zip(&per_policy)
            .flat_map(|(l, reps)| deadlocks(l, reps))
            .collect(),
        unstable: labels
            .iter()
            .zip(&per_policy)
            .flat_map(|(l, reps)| unstable(l, reps))
            .collect(),
        slowdown_tau: scenario.slowdown_tau(),
        size_bins: labels
            .iter()
            .zip(&per_policy)
            .flat_map(|(l, reps)| size_bin_rows(scenario, l, reps))
            .collect(),
        alarms: labels
            .iter()
            .zip(&per_policy)
            .flat_map(|(l, reps)| {
                let states: Vec<(&[_], f64)> = reps
                    .iter()
                    .map(|r| (r.recorder.alarms(), r.recorder.window()))
                    .collect();
                crate::stats::alarms::summarize(&states)
                    .into_iter()
                    .map(move |a| (l.clone(), a))
            })
            .collect(),
        timeline: labels
            .iter()
            .zip(&per_policy)
            .flat_map(|(l, reps)| timeline_rows(scenario, l, reps))
            .collect(),
        warmups: labels
            .iter()
            .zip(&per_policy)
            .filter_map(|(l, reps)| ChosenWarmup::of(l, reps))
            .collect(),
        replications: per_policy.first().map_or(0, |r| r.len() as u32),
        precision,
    }
}

/// Replications `from..to` of every policy, in one flat parallel loop over
/// (policy, replication), which balances the cores better than policies
/// one after the other.
fn run_range(
    scenario: &Scenario,
    from: u32,
    to: u32,
    tick: &(dyn Fn() + Sync),
) -> Vec<Vec<ReplicationSummary>> {
    let n = (to - from) as usize;
    let n_policies = scenario.policies.len();
    let mut all: Vec<ReplicationSummary> = (0..n_policies * n)
        .into_par_iter()
        .map(|i| {
            let summary =
                run_replication(scenario, &scenario.policies[i / n], from + (i % n) as u32);
            tick();
            summary
        })
        .collect();
    let mut per_policy = Vec::with_capacity(n_policies);
    for _ in 0..n_policies {
        let rest = all.split_off(n);
        per_policy.push(std::mem::replace(&mut all, rest));
    }
    per_policy
}

/// Adds replications to `per_policy` until `p` holds for every policy (or
/// the cap). Replication `r` is the same run whenever it is made, so the
/// result depends on the seed and the rule only, not on the threads. Each
/// round asks for the replications the current relative half-width says
/// are needed, `n (h / (p m))²` (a half-width shrinks as `1/√n`), plus a
/// tenth, at least 2 more, at most twice as many (a few replications
/// overstate the half-width through Student's t: with 4, by (3.18 /
/// 1.96)² = 2.6 times) and at most the cap.
fn until_precise(
    scenario: &Scenario,
    p: Precision,
    per_policy: &mut [Vec<ReplicationSummary>],
    tick: &(dyn Fn() + Sync),
) -> PrecisionReached {
    loop {
        let n = per_policy[0].len() as u32;
        let worst = per_policy
            .iter()
            .map(|reps| {
                let row = summarize(scenario, reps, Selection::All);
                let (m, h) = p.metric.of(&row);
                match h {
                    Some(h) if m.is_finite() && m != 0.0 => h / m.abs(),
                    _ => f64::INFINITY,
                }
            })
            .fold(0.0, f64::max);
        if worst <= p.target || n >= p.max_replications {
            return PrecisionReached {
                target: p.target,
                metric: p.metric.name(),
                replications: n,
                max_replications: p.max_replications,
                reached: worst <= p.target,
                relative_half_width: worst,
            };
        }
        let needed = f64::from(n) * (worst / p.target).powi(2) * 1.1;
        let twice = u64::from(n).saturating_mul(2).max(u64::from(n) + 2);
        let wanted = if needed.is_finite() {
            (needed.ceil() as u64).clamp(u64::from(n) + 2, twice)
        } else {
            twice
        };
        let next = wanted.min(u64::from(p.max_replications)) as u32;
        let more = run_range(scenario, n, next, tick);
        for (reps, extra) in per_policy.iter_mut().zip(more) {
            reps.extend(extra);
        }
    }
}
