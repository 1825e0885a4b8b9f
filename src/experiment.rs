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
use crate::stats::alarms::AlarmState;
use crate::stats::alarms::AlarmSummary;
use crate::stats::mser::Mser;
use crate::stats::timeline::{self, Timeline, TimelineBin};
use crate::stats::{
    Estimate, Recorder, ReplicationSummary, ResponseDistribution, ResponseFold, RowFold, RowStats,
    Selection, SizeBinFold, SizeBinStats, summarize,
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
    /// Under `--batches`: the batches and the check of their independence.
    pub batches: Option<BatchMeans>,
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

/// A run estimated by batch means: one replication per policy, its
/// horizon cut into `batches` consecutive batches whose figures stand for
/// replications (Law, *Simulation Modeling and Analysis*, 5th ed.,
/// §9.5.3). The interval is honest only when the batch means are nearly
/// independent: the lag-1 autocorrelation of each policy's batch means of
/// mean response is the check.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BatchMeans {
    pub batches: u32,
    /// Each batch's length, as the horizon is given ("25000 jobs", "100 time units").
    pub batch_length: String,
    pub policies: Vec<BatchCheck>,
}

/// One policy's check of its batch means.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BatchCheck {
    pub policy: String,
    /// Lag-1 autocorrelation of the batch means of the overall mean
    /// response (`None` when a batch completed no job).
    pub lag1_autocorrelation: Option<f64>,
    /// Whether it lies within ±2/√B, the band in which independent batch
    /// means fall about 95% of the time.
    pub independent: bool,
}

/// Lag-1 sample autocorrelation `Σ (x_i − x̄)(x_{i+1} − x̄) / Σ (x_i − x̄)²`
/// (Law, §9.5.3); `None` below 3 values, with a NaN, or when all are equal.
pub fn lag1_autocorrelation(x: &[f64]) -> Option<f64> {
    if x.len() < 3 || x.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let den: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    let num: f64 = x.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
    (den > 0.0).then(|| num / den)
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
    simulate_in_batches(scenario, policy, replication, observer, warmup, horizon, 1)
}

/// [`simulate`] with the horizon cut into `batches` batches (see
/// [`Simulation::run_in_batches`]).
pub fn simulate_in_batches<O: Observer>(
    scenario: &Scenario,
    policy: &AnyPolicy,
    replication: u32,
    observer: O,
    warmup: Limit,
    horizon: Limit,
    batches: u32,
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
    let info = sim.run_in_batches(warmup, horizon, batches);
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
    // Members with rows of their own need cells of their own.
    let groups: Vec<_> = if scenario.member_rows {
        Vec::new()
    } else {
        scenario.groups.iter().map(|g| g.members()).collect()
    };
    let recorder = Recorder::grouped(
        scenario.classes.len(),
        &speeds,
        resolution(scenario),
        scenario.is_network(),
        &scenario.alarms,
        &groups,
    )
    .with_sizes(scenario.slowdown_tau(), &scenario.size_bin_edges());
    let (warmup, warmup_jobs) = if scenario.warmup_auto {
        let jobs = auto_warmup(scenario, policy, replication);
        (Limit::Jobs(jobs), Some(jobs))
    } else {
        (scenario.warmup, None)
    };
    // Two instantiations of the engine: one without a timeline pays nothing for it.
    match scenario.output.timeline {
        None => {
            let (recorder, info) = simulate_in_batches(
                scenario,
                policy,
                replication,
                recorder,
                warmup,
                scenario.horizon,
                scenario.batches.unwrap_or(1),
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
            let ((recorder, timeline), info) = simulate_in_batches(
                scenario,
                policy,
                replication,
                (recorder, timeline),
                warmup,
                scenario.horizon,
                scenario.batches.unwrap_or(1),
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

/// What a run keeps of one policy's replications, folded in as each
/// finishes and then dropped: sums and merged histograms, whose size does
/// not depend on the number of replications (a few numbers per
/// replication only where a figure is per replication: auto warm-ups,
/// paired differences, alarms and timelines asked for).
struct PolicyFold {
    label: String,
    rows: Vec<(Selection, String, String, RowFold)>,
    size_bins: Vec<(String, SizeBinFold)>,
    distribution: ResponseFold,
    deadlocks: Vec<RunDeadlock>,
    unstable: Vec<RunUnstable>,
    alarms: Vec<(Vec<AlarmState>, f64)>,
    timelines: Vec<Timeline>,
    /// Under `warmup = "auto"`: each replication's warm-up in jobs and
    /// when its measurement started.
    warmups: Option<(Vec<u64>, Vec<f64>)>,
    /// Mean response of each replication, overall then per class where
    /// there are several ([`compared`]), for the paired differences.
    mean_responses: Vec<(Option<usize>, Vec<f64>)>,
    events: u64,
    replications: u32,
}

impl PolicyFold {
    fn new(scenario: &Scenario, policy: &AnyPolicy) -> PolicyFold {
        let edges = scenario.size_bin_edges();
        PolicyFold {
            label: policy.label(),
            rows: selections(scenario)
                .into_iter()
                .map(|(s, class, node)| (s, class, node, RowFold::new(scenario, s)))
                .collect(),
            size_bins: job_selections(scenario)
                .into_iter()
                .map(|(s, class, _)| (class, SizeBinFold::new(scenario, s, &edges)))
                .collect(),
            distribution: ResponseFold::default(),
            deadlocks: Vec::new(),
            unstable: Vec::new(),
            alarms: Vec::new(),
            timelines: Vec::new(),
            warmups: Some((Vec::new(), Vec::new())),
            mean_responses: compared(scenario)
                .into_iter()
                .map(|(_, class)| (class, Vec::new()))
                .collect(),
            events: 0,
            replications: 0,
        }
    }

    /// Folds in the next replication: under batch means, each of its
    /// batches in order, as the replications they stand for.
    fn push(&mut self, scenario: &Scenario, mut rep: ReplicationSummary) {
        let r = self.replications;
        self.replications += 1;
        self.events += rep.info.events;
        if let Some(deadlock) = rep.info.deadlock.take() {
            self.deadlocks.push(RunDeadlock {
                policy: self.label.clone(),
                replication: r,
                deadlock,
            });
        }
        if let Some(unstable) = rep.info.unstable.take() {
            self.unstable.push(RunUnstable {
                policy: self.label.clone(),
                replication: r,
                unstable,
            });
        }
        self.timelines.extend(rep.timeline.take());
        self.warmups = self.warmups.take().and_then(|(mut jobs, mut times)| {
            jobs.push(rep.warmup_jobs?);
            times.push(rep.info.measure_start);
            Some((jobs, times))
        });
        for batch in rep.recorder.take_batches() {
            self.push_measured(scenario, &batch);
        }
        self.push_measured(scenario, &rep.recorder);
    }

    /// Folds in what one replication (or one batch) measured.
    fn push_measured(&mut self, scenario: &Scenario, recorder: &Recorder) {
        for (_, _, _, fold) in &mut self.rows {
            fold.push(scenario, recorder);
        }
        for (_, fold) in &mut self.size_bins {
            fold.push(recorder);
        }
        self.distribution.push(recorder);
        if !recorder.alarms().is_empty() {
            self.alarms
                .push((recorder.alarms().to_vec(), recorder.window()));
        }
        for (class, values) in &mut self.mean_responses {
            values.push(match *class {
                None => recorder.overall_mean_response(),
                Some(k) => {
                    let w = &recorder.class(k).response;
                    if w.count == 0 { f64::NAN } else { w.mean }
                }
            });
        }
    }

    /// The all/all row's figures so far.
    fn overall(&self) -> RowStats {
        self.rows[0].3.stats()
    }
}

/// The rows of paired comparisons: all jobs, then each class where there
/// are several (a policy can win overall while one class pays).
fn compared(scenario: &Scenario) -> Vec<(String, Option<usize>)> {
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
    compared
}

/// [`run`], calling `tick` as each replication ends (for a progress bar).
pub fn run_with_progress(scenario: &Scenario, tick: &(dyn Fn() + Sync)) -> RunOutput {
    let mut folds: Vec<PolicyFold> = scenario
        .policies
        .iter()
        .map(|p| PolicyFold::new(scenario, p))
        .collect();
    run_range(scenario, 0, scenario.replications, &mut folds, tick);
    let precision = scenario
        .precision
        .map(|p| until_precise(scenario, p, &mut folds, tick));
    let paired = folds
        .iter()
        .skip(1)
        .flat_map(|fold| {
            let base = &folds[0];
            compared(scenario)
                .into_iter()
                .enumerate()
                .map(move |(i, (name, _))| {
                    // A replication where either side saw no job of the class
                    // gives NaN, which the estimate leaves out.
                    let diffs: Vec<f64> = fold.mean_responses[i]
                        .1
                        .iter()
                        .zip(&base.mean_responses[i].1)
                        .map(|(a, b)| a - b)
                        .collect();
                    PairedDifference {
                        policy: fold.label.clone(),
                        baseline: base.label.clone(),
                        class: name,
                        diff_mean_response: Estimate::from_values(&diffs),
                    }
                })
        })
        .collect();
    let rho = scenario.total_load();
    let ps_slowdown = match scenario.nodes.as_slice() {
        [one] if one.servers == 1 && !scenario.is_network() && rho < 1.0 => Some(1.0 / (1.0 - rho)),
        _ => None,
    };
    let open = !scenario.classes.iter().any(|c| c.is_closed());
    let offered = scenario.offered_arrivals();
    let mut out = RunOutput {
        rows: Vec::new(),
        paired,
        events: folds.iter().map(|f| f.events).sum(),
        distributions: Vec::new(),
        deadlocks: Vec::new(),
        unstable: Vec::new(),
        slowdown_tau: scenario.slowdown_tau(),
        size_bins: Vec::new(),
        alarms: Vec::new(),
        timeline: Vec::new(),
        warmups: Vec::new(),
        replications: folds.first().map_or(0, |f| f.replications),
        precision,
        batches: scenario.batches.map(|b| BatchMeans {
            batches: b,
            batch_length: match scenario.horizon {
                Limit::Jobs(n) => format!("{} jobs", n / u64::from(b)),
                Limit::Time(t) => format!("{} time units", t / f64::from(b)),
            },
            policies: folds
                .iter()
                .map(|f| {
                    let lag1 = lag1_autocorrelation(&f.mean_responses[0].1);
                    BatchCheck {
                        policy: f.label.clone(),
                        lag1_autocorrelation: lag1,
                        independent: lag1.is_some_and(|r| r.abs() <= 2.0 / f64::from(b).sqrt()),
                    }
                })
                .collect(),
        }),
    };
    for (fold, policy) in folds.into_iter().zip(&scenario.policies) {
        let which: Vec<Selection> = fold.rows.iter().map(|r| r.0).collect();
        let theory = theory::predict_rows(scenario, policy, &which);
        out.rows.extend(fold.rows.iter().zip(theory).map(
            |((selection, class, node, rows), theory)| Row {
                policy: fold.label.clone(),
                class: class.clone(),
                node: node.clone(),
                selection: *selection,
                stats: rows.stats(),
                theory,
            },
        ));
        out.distributions
            .push((fold.label.clone(), fold.distribution.distribution()));
        for (class, bins) in &fold.size_bins {
            out.size_bins
                .extend(bins.stats().into_iter().map(|bin| SizeBinRow {
                    policy: fold.label.clone(),
                    class: class.clone(),
                    bin,
                    ps_slowdown,
                }));
        }
        let states: Vec<(&[_], f64)> = fold.alarms.iter().map(|(a, w)| (&a[..], *w)).collect();
        out.alarms.extend(
            crate::stats::alarms::summarize(&states)
                .into_iter()
                .map(|a| (fold.label.clone(), a)),
        );
        let timelines: Vec<&Timeline> = fold.timelines.iter().collect();
        out.timeline.extend(
            timeline::summarize(&timelines)
                .into_iter()
                .map(|bin| TimelineRow {
                    policy: fold.label.clone(),
                    offered: (open && bin.node.is_none()).then(|| offered(bin.start, bin.end)),
                    bin,
                }),
        );
        if let Some((jobs, times)) = fold.warmups {
            out.warmups.push(ChosenWarmup {
                policy: fold.label.clone(),
                jobs,
                times,
            });
        }
        out.deadlocks.extend(fold.deadlocks);
        out.unstable.extend(fold.unstable);
    }
    out
}

/// Replications `from..to` of every policy, run in parallel and folded
/// into `folds` in replication order as they finish. Workers take
/// (replication, policy) pairs in that order from one counter, so the
/// pairs finish nearly in order and the few that finish early wait in a
/// small buffer; a worker that would run more than a window ahead of the
/// oldest unfinished pair waits, so the buffer stays bounded whatever
/// the spread of run times. The folds see every policy's replications in
/// order, whatever the threads: the results are the same bits.
fn run_range(
    scenario: &Scenario,
    from: u32,
    to: u32,
    folds: &mut [PolicyFold],
    tick: &(dyn Fn() + Sync),
) {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};

    struct Merge {
        /// The next pair to fold.
        next: usize,
        done: BTreeMap<usize, ReplicationSummary>,
        /// Whether a worker is folding (one at a time, outside this lock,
        /// so the others go on simulating rather than wait for it).
        folding: bool,
    }
    let n_policies = folds.len();
    let total = (to - from) as usize * n_policies;
    let threads = rayon::current_num_threads();
    let window = 2 * threads.max(n_policies);
    let taken = AtomicUsize::new(0);
    let merge = Mutex::new(Merge {
        next: 0,
        done: BTreeMap::new(),
        folding: false,
    });
    let folds = Mutex::new(folds);
    let folded = Condvar::new();
    const HELD: &str = "no worker panics holding the lock";
    let worker = || {
        loop {
            let i = taken.fetch_add(1, Ordering::Relaxed);
            if i >= total {
                return;
            }
            {
                let mut m = merge.lock().expect(HELD);
                while i >= m.next + window {
                    m = folded.wait(m).expect(HELD);
                }
            }
            let (r, p) = (from + (i / n_policies) as u32, i % n_policies);
            let summary = run_replication(scenario, &scenario.policies[p], r);
            tick();
            let mut m = merge.lock().expect(HELD);
            m.done.insert(i, summary);
            if m.folding {
                continue;
            }
            m.folding = true;
            loop {
                let start = m.next;
                let mut ready = Vec::new();
                while let Some(summary) = m.done.remove(&(start + ready.len())) {
                    ready.push(summary);
                }
                if ready.is_empty() {
                    m.folding = false;
                    break;
                }
                drop(m);
                let advanced = ready.len();
                {
                    let mut folds = folds.lock().expect(HELD);
                    for (k, summary) in ready.into_iter().enumerate() {
                        folds[(start + k) % n_policies].push(scenario, summary);
                    }
                }
                m = merge.lock().expect(HELD);
                m.next = start + advanced;
                folded.notify_all();
            }
        }
    };
    rayon::scope(|s| {
        for _ in 0..threads.min(total) {
            s.spawn(|_| worker());
        }
    });
}

/// Adds replications to `folds` until `p` holds for every policy (or
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
    folds: &mut [PolicyFold],
    tick: &(dyn Fn() + Sync),
) -> PrecisionReached {
    loop {
        let n = folds[0].replications;
        let worst = folds
            .iter()
            .map(|fold| {
                let (m, h) = p.metric.of(&fold.overall());
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
        run_range(scenario, n, next, folds, tick);
    }
}
