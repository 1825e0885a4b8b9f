//! Reporting: the readable table, the JSON document, CSV files and the
//! manifest, written atomically.

pub mod files;
pub mod plot;
pub mod tree;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::experiment::{PairedDifference, Row, RunDeadlock, RunOutput, SizeBinRow};
use crate::model::Scenario;
use crate::stats::Estimate;
use crate::theory::{Kind, Prediction};

/// A number for JSON and CSV: non-finite values (nothing observed) become null.
fn num(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn ci(x: Option<f64>) -> Option<f64> {
    x.and_then(num)
}

/// One result row as it appears in JSON and CSV.
#[derive(Debug, Clone, Serialize)]
pub struct ResultRecord {
    pub policy: String,
    pub class: String,
    pub node: String,
    pub jobs: u64,
    pub mean_wait: Option<f64>,
    pub mean_wait_ci95: Option<f64>,
    pub mean_response: Option<f64>,
    pub mean_response_ci95: Option<f64>,
    pub mean_slowdown: Option<f64>,
    pub mean_slowdown_ci95: Option<f64>,
    #[serde(default)]
    pub mean_bounded_slowdown: Option<f64>,
    #[serde(default)]
    pub mean_bounded_slowdown_ci95: Option<f64>,
    #[serde(default)]
    pub median_slowdown: Option<f64>,
    #[serde(default)]
    pub median_slowdown_ci95: Option<f64>,
    pub p50_response: Option<f64>,
    #[serde(default)]
    pub p50_response_ci95: Option<f64>,
    pub p90_response: Option<f64>,
    #[serde(default)]
    pub p90_response_ci95: Option<f64>,
    pub p95_response: Option<f64>,
    #[serde(default)]
    pub p95_response_ci95: Option<f64>,
    pub p99_response: Option<f64>,
    #[serde(default)]
    pub p99_response_ci95: Option<f64>,
    #[serde(default)]
    pub max_response: Option<f64>,
    pub mean_in_system: Option<f64>,
    pub mean_in_system_ci95: Option<f64>,
    pub mean_in_queue: Option<f64>,
    pub mean_in_queue_ci95: Option<f64>,
    pub utilization: Option<f64>,
    pub utilization_ci95: Option<f64>,
    pub throughput: Option<f64>,
    pub throughput_ci95: Option<f64>,
    /// The closed form for this row, where one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theory: Option<TheoryRecord>,
    /// Present only where some node has a finite capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocking_probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocking_probability_ci95: Option<f64>,
    /// Present only where some class has a deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_miss_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_miss_ratio_ci95: Option<f64>,
    /// Networks only: visits per job (node rows: visits there per job done).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visits: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visits_ci95: Option<f64>,
    /// Where some node blocks after service: the share of jobs (node rows:
    /// visits) whose server was blocked, and the mean time blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_block: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_block_ci95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_time_ci95: Option<f64>,
    /// Where some class reneges (`patience`): jobs (node rows: visits)
    /// that reneged, their share of arrivals, and the mean waits of the
    /// served and of the reneged (`mean_wait` covers both).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reneged: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_renege: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_renege_ci95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_wait_served: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_wait_served_ci95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_wait_reneged: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_wait_reneged_ci95: Option<f64>,
    /// Workflow classes: mean makespan of an instance (first task's start
    /// to last task's end) and mean wait of its tasks at their nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_makespan: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_makespan_ci95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_task_wait: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_task_wait_ci95: Option<f64>,
    /// Where some class baulks: jobs (visits) that baulked and their share of arrivals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baulked: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_baulk: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_baulk_ci95: Option<f64>,
    /// Where some class has attempt rules: the task lifecycle's figures.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<LifecycleRecord>,
    /// Where servers fail (node rows of such nodes, and the overall row).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub servers: Option<ServersRecord>,
    /// Group rows only (`node` names the group): its number of nodes...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_nodes: Option<usize>,
    /// ... and the spread of its members' utilisations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utilisation_distribution: Option<UtilisationDistribution>,
}

/// Min, p5, median, p95 and max of the utilisations of a group's members
/// (each averaged over the replications).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct UtilisationDistribution {
    pub min: Option<f64>,
    pub p5: Option<f64>,
    pub median: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
}

/// Server failures of a row: the fraction of server time up, failures
/// per replication and those that interrupted a job.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ServersRecord {
    pub availability: Option<f64>,
    pub availability_ci95: Option<f64>,
    pub server_failures: Option<f64>,
    pub server_failures_ci95: Option<f64>,
    pub interrupted: Option<f64>,
    pub interrupted_ci95: Option<f64>,
}

impl ServersRecord {
    fn of(s: &crate::stats::servers::ServerSummary) -> ServersRecord {
        ServersRecord {
            availability: num(s.availability.mean),
            availability_ci95: ci(s.availability.ci95),
            server_failures: num(s.failures.mean),
            server_failures_ci95: ci(s.failures.ci95),
            interrupted: num(s.interrupted.mean),
            interrupted_ci95: ci(s.interrupted.ci95),
        }
    }
}

/// The task lifecycle's figures of a row (`[classes.attempts]`).
#[derive(Debug, Clone, Serialize)]
pub struct LifecycleRecord {
    /// Jobs (node rows: visits) admitted, completed, given up and
    /// dead-lettered, given up and rolled back.
    pub arrived: u64,
    pub completed: u64,
    pub gave_up: u64,
    /// Every give-up (dead-lettered or rolled back) by its reason.
    pub gave_up_by: GaveUpBy,
    pub rolled_back: u64,
    pub p_give_up: Option<f64>,
    pub p_give_up_ci95: Option<f64>,
    pub mean_attempts: Option<f64>,
    pub mean_attempts_ci95: Option<f64>,
    /// Tasks ended by attempts started: `[k]` started k (`[0]`: given up before any attempt; the last: that many or more).
    pub attempts_distribution: Vec<u64>,
    pub failed_attempts: u64,
    pub timed_out_attempts: u64,
    pub killed_attempts: u64,
    pub goodput: Option<f64>,
    pub goodput_ci95: Option<f64>,
    pub wasted_work: Option<f64>,
    pub wasted_work_ci95: Option<f64>,
    pub retry_amplification: Option<f64>,
    pub retry_amplification_ci95: Option<f64>,
    pub mean_time_to_give_up: Option<f64>,
    pub mean_time_to_give_up_ci95: Option<f64>,
}

/// Give-ups by reason.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct GaveUpBy {
    pub attempts: u64,
    pub timeout: u64,
    pub queue_timeout: u64,
    pub deadline: u64,
}

impl LifecycleRecord {
    pub fn of(t: &crate::stats::lifecycle::TaskSummary) -> Option<LifecycleRecord> {
        let [attempts, timeout, queue_timeout, deadline] = t.gave_up_by;
        let used = t
            .by_attempts
            .iter()
            .rposition(|&n| n > 0)
            .map_or(0, |k| k + 1);
        t.applies.then(|| LifecycleRecord {
            arrived: t.arrived,
            completed: t.completed,
            gave_up: t.gave_up,
            gave_up_by: GaveUpBy {
                attempts,
                timeout,
                queue_timeout,
                deadline,
            },
            rolled_back: t.rolled_back,
            p_give_up: num(t.p_give_up.mean),
            p_give_up_ci95: ci(t.p_give_up.ci95),
            mean_attempts: num(t.mean_attempts.mean),
            mean_attempts_ci95: ci(t.mean_attempts.ci95),
            attempts_distribution: t.by_attempts[..used].to_vec(),
            failed_attempts: t.failed,
            timed_out_attempts: t.timed_out,
            killed_attempts: t.killed,
            goodput: num(t.goodput.mean),
            goodput_ci95: ci(t.goodput.ci95),
            wasted_work: num(t.wasted_work.mean),
            wasted_work_ci95: ci(t.wasted_work.ci95),
            retry_amplification: num(t.retry_amplification.mean),
            retry_amplification_ci95: ci(t.retry_amplification.ci95),
            mean_time_to_give_up: num(t.mean_time_to_give_up.mean),
            mean_time_to_give_up_ci95: ci(t.mean_time_to_give_up.ci95),
        })
    }
}

impl From<&Row> for ResultRecord {
    fn from(r: &Row) -> Self {
        let s = &r.stats;
        let [p50, p90, p95, p99] = s.response_quantiles;
        let [p50_ci, p90_ci, p95_ci, p99_ci] = s.response_quantiles_ci95;
        ResultRecord {
            policy: r.policy.clone(),
            class: r.class.clone(),
            node: r.node.clone(),
            jobs: s.jobs,
            mean_wait: num(s.mean_wait.mean),
            mean_wait_ci95: ci(s.mean_wait.ci95),
            mean_response: num(s.mean_response.mean),
            mean_response_ci95: ci(s.mean_response.ci95),
            mean_slowdown: num(s.mean_slowdown.mean),
            mean_slowdown_ci95: ci(s.mean_slowdown.ci95),
            mean_bounded_slowdown: num(s.mean_bounded_slowdown.mean),
            mean_bounded_slowdown_ci95: ci(s.mean_bounded_slowdown.ci95),
            median_slowdown: num(s.median_slowdown),
            median_slowdown_ci95: ci(s.median_slowdown_ci95),
            p50_response: num(p50),
            p50_response_ci95: ci(p50_ci),
            p90_response: num(p90),
            p90_response_ci95: ci(p90_ci),
            p95_response: num(p95),
            p95_response_ci95: ci(p95_ci),
            p99_response: num(p99),
            p99_response_ci95: ci(p99_ci),
            max_response: num(s.max_response),
            mean_in_system: num(s.mean_in_system.mean),
            mean_in_system_ci95: ci(s.mean_in_system.ci95),
            mean_in_queue: num(s.mean_in_queue.mean),
            mean_in_queue_ci95: ci(s.mean_in_queue.ci95),
            utilization: num(s.utilization.mean),
            utilization_ci95: ci(s.utilization.ci95),
            throughput: num(s.throughput.mean),
            throughput_ci95: ci(s.throughput.ci95),
            theory: r
                .theory
                .as_ref()
                .map(|t| TheoryRecord::new(t, &s.mean_response)),
            blocking_probability: num(s.blocking_probability.mean),
            blocking_probability_ci95: ci(s.blocking_probability.ci95),
            deadline_miss_ratio: num(s.deadline_miss_ratio.mean),
            deadline_miss_ratio_ci95: ci(s.deadline_miss_ratio.ci95),
            visits: num(s.visits.mean),
            visits_ci95: ci(s.visits.ci95),
            p_block: num(s.p_block.mean),
            p_block_ci95: ci(s.p_block.ci95),
            blocked_time: num(s.blocked_time.mean),
            blocked_time_ci95: ci(s.blocked_time.ci95),
            reneged: s.p_renege.mean.is_finite().then_some(s.reneged),
            p_renege: num(s.p_renege.mean),
            p_renege_ci95: ci(s.p_renege.ci95),
            mean_wait_served: num(s.mean_wait_served.mean),
            mean_wait_served_ci95: ci(s.mean_wait_served.ci95),
            mean_wait_reneged: num(s.mean_wait_reneged.mean),
            mean_wait_reneged_ci95: ci(s.mean_wait_reneged.ci95),
            mean_makespan: num(s.mean_makespan.mean),
            mean_makespan_ci95: ci(s.mean_makespan.ci95),
            mean_task_wait: num(s.mean_task_wait.mean),
            mean_task_wait_ci95: ci(s.mean_task_wait.ci95),
            baulked: s.p_baulk.mean.is_finite().then_some(s.baulked),
            p_baulk: num(s.p_baulk.mean),
            p_baulk_ci95: ci(s.p_baulk.ci95),
            lifecycle: LifecycleRecord::of(&s.tasks),
            servers: s.servers.as_ref().map(ServersRecord::of),
            group_nodes: s.group.map(|g| g.nodes),
            utilisation_distribution: s.group.and_then(|g| g.utilisation).map(
                |[min, p5, median, p95, max]| UtilisationDistribution {
                    min: num(min),
                    p5: num(p5),
                    median: num(median),
                    p95: num(p95),
                    max: num(max),
                },
            ),
        }
    }
}

/// A row's closed form beside the simulated figures.
#[derive(Debug, Clone, Serialize)]
pub struct TheoryRecord {
    pub formula: String,
    pub kind: Kind,
    pub mean_wait: f64,
    pub mean_response: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_block: Option<f64>,
    /// Closed classes: the throughput their population sustains (MVA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<f64>,
    /// (simulated − theory) / theory, for the mean response.
    pub rel_error: Option<f64>,
    /// Whether the theoretical mean response lies in the simulated 95% CI.
    pub within_ci: Option<bool>,
}

impl TheoryRecord {
    fn new(t: &Prediction, simulated: &Estimate) -> TheoryRecord {
        TheoryRecord {
            formula: t.formula.clone(),
            kind: t.kind,
            mean_wait: t.mean_wait,
            mean_response: t.mean_response,
            p_block: t.p_block,
            throughput: t.throughput,
            rel_error: num((simulated.mean - t.mean_response) / t.mean_response),
            within_ci: simulated
                .ci95
                .filter(|_| simulated.mean.is_finite())
                .map(|h| (simulated.mean - t.mean_response).abs() <= h),
        }
    }
}

/// The JSON document of `schedlab run --json`.
#[derive(Debug, Clone, Serialize)]
pub struct RunDocument {
    pub schedlab: &'static str,
    pub scenario: String,
    pub seed: u64,
    /// Replications run (under `--precision`, as many as it took).
    pub replications: u32,
    /// `--precision`: the target, the metric, the replications it took,
    /// whether it was reached and the relative half-width at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<crate::experiment::PrecisionReached>,
    /// `--batches`: the batches of the one replication, and per policy the
    /// lag-1 autocorrelation of their mean responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batches: Option<crate::experiment::BatchMeans>,
    pub warmup: String,
    pub horizon: String,
    /// The `tau` of `mean_bounded_slowdown`, in time units.
    pub slowdown_tau: f64,
    pub results: Vec<ResultRecord>,
    /// Response and slowdown by job size, per policy, overall and per class.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub size_bins: Vec<SizeBinRecord>,
    /// Each compared policy against the first, on the same jobs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paired: Vec<PairedRecord>,
    /// The first deadlock that stopped a replication, if any did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadlock: Option<DeadlockRecord>,
    /// Every deadlock, by policy and replication.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deadlocks: Vec<DeadlockRecord>,
    /// Each `[[alarms]]` entry's figures, per policy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<AlarmRecord>,
    /// Per policy, the warm-ups `warmup = "auto"` chose.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chosen_warmup: Vec<WarmupRecord>,
    /// Per policy, bin and node (`"all"` for the whole system), with `[output] timeline`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineRecord>,
}

/// An alarm's figures, in JSON and `alarms.csv`: raises per replication,
/// the fraction of the measured window it was raised, the mean time of
/// its first raise (absolute, over the replications that raised it) and
/// the mean delay from the failure that caused a raise to the raise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRecord {
    pub policy: String,
    pub name: String,
    pub raised: Option<f64>,
    pub raised_ci95: Option<f64>,
    pub fraction_raised: Option<f64>,
    pub fraction_raised_ci95: Option<f64>,
    pub first_raised: Option<f64>,
    pub mean_delay: Option<f64>,
}

impl AlarmRecord {
    fn of(policy: &str, a: &crate::stats::alarms::AlarmSummary) -> AlarmRecord {
        AlarmRecord {
            policy: policy.to_string(),
            name: a.name.clone(),
            raised: num(a.raised.mean),
            raised_ci95: ci(a.raised.ci95),
            fraction_raised: num(a.fraction_raised.mean),
            fraction_raised_ci95: ci(a.fraction_raised.ci95),
            first_raised: num(a.first_raised),
            mean_delay: num(a.mean_delay),
        }
    }
}

/// The alarms as CSV (`alarms.csv`).
pub fn alarms_csv(output: &RunOutput) -> anyhow::Result<String> {
    files::to_csv(output.alarms.iter().map(|(p, a)| AlarmRecord::of(p, a)))
}

/// The warm-ups MSER-5 chose for a policy's replications: completed jobs
/// dropped (mean, least, most, and each), and the mean time measurement began.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarmupRecord {
    pub policy: String,
    pub jobs_mean: f64,
    pub jobs_min: u64,
    pub jobs_max: u64,
    pub time_mean: Option<f64>,
    pub jobs: Vec<u64>,
}

impl From<&crate::experiment::ChosenWarmup> for WarmupRecord {
    fn from(w: &crate::experiment::ChosenWarmup) -> Self {
        let n = w.jobs.len().max(1) as f64;
        WarmupRecord {
            policy: w.policy.clone(),
            jobs_mean: w.jobs.iter().sum::<u64>() as f64 / n,
            jobs_min: w.jobs.iter().copied().min().unwrap_or(0),
            jobs_max: w.jobs.iter().copied().max().unwrap_or(0),
            time_mean: num(w.times.iter().sum::<f64>() / n),
            jobs: w.jobs.clone(),
        }
    }
}

/// One bin of a policy's timeline at one node (or `"all"`), in JSON and
/// `timeline.csv`: means over the replications that covered the bin,
/// with 95% half-widths. `offered` is the expected arrivals from outside
/// (whole-system rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineRecord {
    pub policy: String,
    pub start: f64,
    pub end: f64,
    pub node: String,
    pub replications: u32,
    pub arrivals: Option<f64>,
    pub arrivals_ci95: Option<f64>,
    pub offered: Option<f64>,
    pub departures: Option<f64>,
    pub mean_in_system: Option<f64>,
    pub mean_in_system_ci95: Option<f64>,
    pub utilization: Option<f64>,
    pub utilization_ci95: Option<f64>,
    pub servers: Option<f64>,
    pub abandoned: Option<f64>,
    pub abandoned_ci95: Option<f64>,
    pub reneged: Option<f64>,
    pub baulked: Option<f64>,
}

impl TimelineRecord {
    fn of(scenario: &Scenario, r: &crate::experiment::TimelineRow) -> TimelineRecord {
        let b = &r.bin;
        TimelineRecord {
            policy: r.policy.clone(),
            start: b.start,
            end: b.end,
            node: b
                .node
                .map_or_else(|| "all".to_string(), |j| scenario.nodes[j].name.clone()),
            replications: b.replications,
            arrivals: num(b.arrivals.mean),
            arrivals_ci95: ci(b.arrivals.ci95),
            offered: r.offered.and_then(num),
            departures: num(b.departures.mean),
            mean_in_system: num(b.mean_in_system.mean),
            mean_in_system_ci95: ci(b.mean_in_system.ci95),
            utilization: num(b.utilization.mean),
            utilization_ci95: ci(b.utilization.ci95),
            servers: num(b.servers.mean),
            abandoned: num(b.abandoned.mean),
            abandoned_ci95: ci(b.abandoned.ci95),
            reneged: num(b.reneged.mean),
            baulked: num(b.baulked.mean),
        }
    }
}

/// The timeline as CSV (`timeline.csv`), empty without one.
pub fn timeline_csv(scenario: &Scenario, output: &RunOutput) -> anyhow::Result<String> {
    if output.timeline.is_empty() {
        return Ok(String::new());
    }
    files::to_csv(
        output
            .timeline
            .iter()
            .map(|r| TimelineRecord::of(scenario, r)),
    )
}

/// One size bin of a policy's overall or class row, in JSON and in
/// `size-bins.csv`: the jobs whose time in service alone is in `[lo, hi)`
/// (`hi` empty for the last, unbounded bin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeBinRecord {
    pub policy: String,
    pub class: String,
    pub lo: f64,
    pub hi: Option<f64>,
    pub jobs: u64,
    pub mean_size: Option<f64>,
    pub mean_response: Option<f64>,
    pub mean_response_ci95: Option<f64>,
    pub mean_slowdown: Option<f64>,
    pub mean_slowdown_ci95: Option<f64>,
    /// The reference of processor sharing, whose slowdown is `1/(1 − ρ)`
    /// at every size (M/G/1-PS; Kleinrock, *Queueing Systems* vol. 2,
    /// §4.4): given for one node of one server below saturation.
    pub ps_slowdown: Option<f64>,
}

impl From<&SizeBinRow> for SizeBinRecord {
    fn from(r: &SizeBinRow) -> Self {
        let b = &r.bin;
        SizeBinRecord {
            policy: r.policy.clone(),
            class: r.class.clone(),
            lo: b.lo,
            hi: num(b.hi),
            jobs: b.jobs,
            mean_size: num(b.mean_size.mean),
            mean_response: num(b.mean_response.mean),
            mean_response_ci95: ci(b.mean_response.ci95),
            mean_slowdown: num(b.mean_slowdown.mean),
            mean_slowdown_ci95: ci(b.mean_slowdown.ci95),
            ps_slowdown: r.ps_slowdown,
        }
    }
}

/// The size bins as CSV (`size-bins.csv`).
pub fn size_bins_csv(bins: &[SizeBinRow]) -> anyhow::Result<String> {
    files::to_csv(bins.iter().map(SizeBinRecord::from))
}

/// A deadlock as it appears in JSON.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlockRecord {
    pub policy: String,
    pub replication: u32,
    pub time: f64,
    /// Names of the nodes blocked in a cycle.
    pub nodes: Vec<String>,
}

impl DeadlockRecord {
    fn new(scenario: &Scenario, d: &RunDeadlock) -> DeadlockRecord {
        DeadlockRecord {
            policy: d.policy.clone(),
            replication: d.replication,
            time: d.deadlock.time,
            nodes: d
                .deadlock
                .nodes
                .iter()
                .map(|&j| scenario.nodes[j as usize].name.clone())
                .collect(),
        }
    }
}

/// A paired comparison as it appears in JSON.
#[derive(Debug, Clone, Serialize)]
pub struct PairedRecord {
    pub policy: String,
    pub baseline: String,
    /// The class compared, "all" for every job.
    pub class: String,
    pub diff_mean_response: Option<f64>,
    pub diff_ci95: Option<f64>,
}

impl From<&PairedDifference> for PairedRecord {
    fn from(p: &PairedDifference) -> Self {
        PairedRecord {
            policy: p.policy.clone(),
            baseline: p.baseline.clone(),
            class: p.class.clone(),
            diff_mean_response: num(p.diff_mean_response.mean),
            diff_ci95: ci(p.diff_mean_response.ci95),
        }
    }
}

impl RunDocument {
    pub fn new(scenario: &Scenario, output: &RunOutput) -> RunDocument {
        RunDocument {
            schedlab: env!("CARGO_PKG_VERSION"),
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            replications: output.replications,
            precision: output.precision.clone(),
            batches: output.batches.clone(),
            warmup: scenario.warmup_label(),
            horizon: scenario.horizon.to_string(),
            chosen_warmup: output.warmups.iter().map(WarmupRecord::from).collect(),
            slowdown_tau: output.slowdown_tau,
            results: output.rows.iter().map(ResultRecord::from).collect(),
            size_bins: output.size_bins.iter().map(SizeBinRecord::from).collect(),
            alarms: output
                .alarms
                .iter()
                .map(|(p, a)| AlarmRecord::of(p, a))
                .collect(),
            timeline: output
                .timeline
                .iter()
                .map(|r| TimelineRecord::of(scenario, r))
                .collect(),
            paired: output.paired.iter().map(PairedRecord::from).collect(),
            deadlock: output
                .deadlocks
                .first()
                .map(|d| DeadlockRecord::new(scenario, d)),
            deadlocks: output
                .deadlocks
                .iter()
                .map(|d| DeadlockRecord::new(scenario, d))
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("result records serialise")
    }
}

/// Formats `mean ± ci`: the half-width to 2 significant figures and the
/// mean rounded to the same decimal place (`5.262 ± 0.062`); `-` for a
/// mean that is absent or not finite, no `±` for such a half-width. Far
/// from 1 (half-width outside [1e-4, 1e7), or mean of 1e7 and more) both
/// print with exponents, the half-width to 2 significant figures.
pub fn with_ci(mean: Option<f64>, ci: Option<f64>) -> String {
    match (mean, ci) {
        (Some(m), Some(h)) if m.is_finite() && h.is_finite() => {
            let h = h.abs();
            if h == 0.0 {
                return format!("{} ± 0", sig(m));
            }
            if !(1e-4..1e7).contains(&h) || m.abs() >= 1e7 {
                return format!("{} ± {h:.1e}", sig(m));
            }
            let d = ci_decimals(h);
            format!("{} ± {}", at_decimals(m, d), at_decimals(h, d))
        }
        (Some(m), _) => sig(m),
        (None, _) => "-".into(),
    }
}

/// The decimal place of `h` (positive, finite) to 2 significant figures:
/// the number of decimals, negative for tens, hundreds, ...
fn ci_decimals(h: f64) -> i32 {
    let mut d = 1 - h.log10().floor() as i32;
    // 0.0996 rounds to 0.100 at 3 decimals: 2 figures are 0.10.
    if (h * 10f64.powi(d)).round() >= 100.0 {
        d -= 1;
    }
    d
}

/// `x` rounded to `d` decimals (to tens, hundreds, ... for negative `d`).
fn at_decimals(x: f64, d: i32) -> String {
    let s = if d >= 0 {
        let d = d as usize;
        format!("{x:.d$}")
    } else {
        let unit = 10f64.powi(-d);
        format!("{:.0}", (x / unit).round() * unit)
    };
    // No "-0.000".
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Four significant digits, without switching to exponents for ordinary
/// sizes. This is the figure formatter of every table: a figure that is
/// not a finite number (nothing observed, no steady state, an overflow)
/// prints as `-`, never `NaN` or `inf`.
pub fn sig(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if !(1e-4..1e7).contains(&a) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}")
}

/// A number with up to `decimals` decimals, trailing zeros dropped (`4`,
/// `3.4444`, `0.5`); outside [1e-4, 1e15) in magnitude, or not finite, as
/// [`sig`] prints it. The form of exact answers (optimal bounds, plans),
/// where [`sig`]'s four significant digits would hide an integer.
pub fn trimmed(x: f64, decimals: usize) -> String {
    if x != 0.0 && !(1e-4..1e15).contains(&x.abs()) {
        return sig(x);
    }
    let s = format!("{x:.decimals$}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// An optional figure as [`sig`] prints it, `-` when absent.
pub fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), sig)
}

/// A relative difference as a signed percentage (`+1.25%`), `-` when
/// absent or not finite.
pub fn percent(x: Option<f64>) -> String {
    match x {
        Some(e) if (100.0 * e).is_finite() => format!("{:+.2}%", 100.0 * e),
        _ => "-".into(),
    }
}

/// The readable table printed by `schedlab run`, in 120 columns.
/// `x` as a percentage with 3 significant figures ("inf" when no CI).
fn percent_of(x: f64) -> String {
    if x.is_finite() {
        format!("{}%", sig(100.0 * x))
    } else {
        "unknown (no confidence interval)".into()
    }
}

pub fn table(scenario: &Scenario, output: &RunOutput, wall_seconds: f64) -> String {
    table_with(scenario, output, wall_seconds, false)
}

/// The readable table printed by `schedlab run`: in 120 columns, or with
/// every column (`wide`, `--wide`).
pub fn table_with(
    scenario: &Scenario,
    output: &RunOutput,
    wall_seconds: f64,
    wide: bool,
) -> String {
    let rows = &output.rows;
    let events = output.events;
    let mut out = String::new();
    let title = format!(
        "scenario {}{}: {} replication(s), warm-up {}, horizon {}, seed {}",
        scenario.name,
        if scenario.description.is_empty() {
            String::new()
        } else {
            format!(" ({})", scenario.description)
        },
        output.replications,
        scenario.warmup_label(),
        scenario.horizon,
        scenario.seed
    );
    for line in wrap(&title, TABLE_WIDTH) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(p) = &output.precision {
        let line = format!(
            "precision: the 95% half-width of {} (all jobs, every policy) is {} of its estimate after {} replication(s); target {}, at most {} replications{}",
            p.metric,
            percent_of(p.relative_half_width),
            p.replications,
            percent_of(p.target),
            p.max_replications,
            if p.reached {
                ""
            } else {
                ": NOT reached, the cap stopped it"
            }
        );
        for line in wrap(&line, TABLE_WIDTH) {
            let _ = writeln!(out, "{line}");
        }
    }
    if let Some(b) = &output.batches {
        let checks: Vec<String> = b
            .policies
            .iter()
            .map(|c| match c.lag1_autocorrelation {
                Some(r) => format!("{} {}", c.policy, sig(r)),
                None => format!("{} -", c.policy),
            })
            .collect();
        let band = 2.0 / f64::from(b.batches).sqrt();
        let line = format!(
            "batch means: ± is over {} batches of {} of one replication, not over replications; \
             lag-1 autocorrelation of their mean responses: {}{}",
            b.batches,
            b.batch_length,
            checks.join(", "),
            if b.policies.iter().all(|c| c.independent) {
                format!(" (within ±{}, so the batches look independent)", sig(band))
            } else {
                format!(
                    " (beyond ±{}: the batches are too short to be independent and the intervals \
                     too narrow; lengthen the horizon or use fewer batches)",
                    sig(band)
                )
            }
        );
        for line in wrap(&line, TABLE_WIDTH) {
            let _ = writeln!(out, "{line}");
        }
    }
    results_table(&mut out, rows, wide);
    // The lines below the table, wrapped to its width at the end.
    let table_lines = std::mem::take(&mut out);
    for r in rows.iter().filter(|r| r.class == "all") {
        let Some(g) = &r.stats.group else { continue };
        let spread = match g.utilisation {
            Some([min, p5, median, p95, max]) => format!(
                "min {}, p5 {}, median {}, p95 {}, max {}",
                trimmed(min, 4),
                trimmed(p5, 4),
                trimmed(median, 4),
                trimmed(p95, 4),
                trimmed(max, 4)
            ),
            None => "-".into(),
        };
        let _ = writeln!(
            out,
            "group {} ({} nodes), {}: per-node utilisation {spread}",
            r.node, g.nodes, r.policy
        );
    }
    for r in rows
        .iter()
        .filter(|r| r.node == "all" && r.stats.deadline_miss_ratio.mean.is_finite())
    {
        let m = &r.stats.deadline_miss_ratio;
        let _ = writeln!(
            out,
            "deadline-miss ratio, {}, class {}: {}",
            r.policy,
            r.class,
            with_ci(num(m.mean), ci(m.ci95))
        );
    }
    for r in rows
        .iter()
        .filter(|r| r.class == "all" && r.stats.blocking_probability.mean.is_finite())
    {
        let b = &r.stats.blocking_probability;
        let theory = r
            .theory
            .as_ref()
            .and_then(|t| t.p_block)
            .map_or_else(String::new, |p| format!(" (theory {})", sig(p)));
        let _ = writeln!(
            out,
            "blocking probability, {}, node {}: {}{theory}",
            r.policy,
            r.node,
            with_ci(num(b.mean), ci(b.ci95))
        );
    }
    for r in rows
        .iter()
        .filter(|r| r.stats.p_block.mean.is_finite() || r.stats.blocked_time.mean.is_finite())
    {
        let _ = writeln!(
            out,
            "blocked after service, {}, class {}, node {}: share {}, mean time blocked {}",
            r.policy,
            r.class,
            r.node,
            with_ci(num(r.stats.p_block.mean), ci(r.stats.p_block.ci95)),
            with_ci(
                num(r.stats.blocked_time.mean),
                ci(r.stats.blocked_time.ci95)
            ),
        );
    }
    for r in rows.iter().filter(|r| r.stats.p_renege.mean.is_finite()) {
        let st = &r.stats;
        let _ = writeln!(
            out,
            "reneged, {}, class {}, node {}: {} of arrivals ({} jobs), mean wait served {}, reneged {}",
            r.policy,
            r.class,
            r.node,
            with_ci(num(st.p_renege.mean), ci(st.p_renege.ci95)),
            st.reneged,
            with_ci(num(st.mean_wait_served.mean), ci(st.mean_wait_served.ci95)),
            with_ci(
                num(st.mean_wait_reneged.mean),
                ci(st.mean_wait_reneged.ci95)
            ),
        );
    }
    for r in rows
        .iter()
        .filter(|r| r.stats.mean_makespan.mean.is_finite() && r.node == "all" && r.class != "all")
    {
        let st = &r.stats;
        let _ = writeln!(
            out,
            "workflows placed by {}{}, {}, class {}: mean makespan {}, mean task wait {} (response: arrival to last task's end; slowdown: response over the critical path at the fastest speeds)",
            scenario.workflow_rule,
            if scenario.workflow_rule.is_static()
                && scenario
                    .classes
                    .iter()
                    .any(|c| c.workflow.as_ref().is_some_and(|f| f.drawn()))
            {
                " (planned on the given work, task times drawn)"
            } else {
                ""
            },
            r.policy,
            r.class,
            with_ci(num(st.mean_makespan.mean), ci(st.mean_makespan.ci95)),
            with_ci(num(st.mean_task_wait.mean), ci(st.mean_task_wait.ci95)),
        );
    }
    for r in rows
        .iter()
        .filter(|r| r.stats.tasks.applies && r.node == "all")
    {
        let t = &r.stats.tasks;
        let e = |x: &Estimate| with_ci(num(x.mean), ci(x.ci95));
        let [attempts, timeout, queue_timeout, deadline] = t.gave_up_by;
        let _ = writeln!(
            out,
            "tasks, {}, class {}: {} arrived, {} completed, {} gave up, {} rolled back; \
             given up {} (attempts {attempts}, timeout {timeout}, queue_timeout {queue_timeout}, \
             deadline {deadline}), mean attempts {}, goodput {}, wasted work per job {}, \
             attempts per arrival {}",
            r.policy,
            r.class,
            t.arrived,
            t.completed,
            t.gave_up,
            t.rolled_back,
            e(&t.p_give_up),
            e(&t.mean_attempts),
            e(&t.goodput),
            e(&t.wasted_work),
            e(&t.retry_amplification),
        );
    }
    for r in rows.iter().filter(|r| r.class == "all" && r.node != "all") {
        let Some(sv) = &r.stats.servers else { continue };
        let e = |x: &Estimate| with_ci(num(x.mean), ci(x.ci95));
        let _ = writeln!(
            out,
            "servers, {}, node {}: availability {}, failures {} per run, {} of them interrupting a job",
            r.policy,
            r.node,
            e(&sv.availability),
            e(&sv.failures),
            e(&sv.interrupted),
        );
    }
    for (policy, a) in &output.alarms {
        let x = AlarmRecord::of(policy, a);
        let first = x
            .first_raised
            .map_or("never".into(), |t| format!("first at {}", sig(t)));
        let delay = x.mean_delay.map_or(String::new(), |d| {
            format!(", mean delay from failure {}", sig(d))
        });
        let _ = writeln!(
            out,
            "alarm {}, {policy}: raised {} times per run, {} of the time, {first}{delay}",
            x.name,
            with_ci(x.raised, x.raised_ci95),
            with_ci(x.fraction_raised, x.fraction_raised_ci95),
        );
    }
    for r in rows.iter().filter(|r| r.stats.p_baulk.mean.is_finite()) {
        let _ = writeln!(
            out,
            "baulked, {}, class {}, node {}: {} of arrivals ({} jobs)",
            r.policy,
            r.class,
            r.node,
            with_ci(num(r.stats.p_baulk.mean), ci(r.stats.p_baulk.ci95)),
            r.stats.baulked,
        );
    }
    // One line per policy and figures: classes with the same figures as
    // an earlier one (a single class and the overall row) share it.
    let mut slowdowns: Vec<(String, Vec<String>, String)> = Vec::new();
    for r in rows.iter().filter(|r| r.node == "all" && r.stats.jobs > 0) {
        let x = ResultRecord::from(r);
        let mean = match x.mean_slowdown {
            Some(_) => with_ci(x.mean_slowdown, x.mean_slowdown_ci95),
            None => "- (no finite mean: sizes near 0)".into(),
        };
        let figures = format!(
            "mean {mean}, bounded {}, median {}",
            with_ci(x.mean_bounded_slowdown, x.mean_bounded_slowdown_ci95),
            with_ci(x.median_slowdown, x.median_slowdown_ci95),
        );
        match slowdowns
            .iter_mut()
            .find(|(p, _, f)| *p == r.policy && *f == figures)
        {
            Some((_, classes, _)) => classes.push(r.class.clone()),
            None => slowdowns.push((r.policy.clone(), vec![r.class.clone()], figures)),
        }
    }
    for (policy, classes, figures) in &slowdowns {
        let class = match classes.split_first() {
            Some((first, rest)) if !rest.is_empty() => {
                format!("{first} (and {})", rest.join(", "))
            }
            _ => classes.join(""),
        };
        let _ = writeln!(out, "slowdown, {policy}, class {class}: {figures}");
    }
    for r in rows.iter().filter(|r| r.stats.visits.mean.is_finite()) {
        let _ = writeln!(
            out,
            "visits, {}, class {}, node {}: {}",
            r.policy,
            r.class,
            r.node,
            with_ci(num(r.stats.visits.mean), ci(r.stats.visits.ci95)),
        );
    }
    for d in &output.deadlocks {
        let record = DeadlockRecord::new(scenario, d);
        let _ = writeln!(
            out,
            "DEADLOCK: {}, replication {} at time {}: nodes {} are full and every job there waits for another; \
             the replication stopped there and its figures cover up to that time",
            record.policy,
            record.replication,
            sig(record.time),
            record.nodes.join(", ")
        );
    }
    for w in output.warmups.iter().map(WarmupRecord::from) {
        let _ = writeln!(
            out,
            "warm-up chosen by MSER-5, {}: {} jobs on average (from {} to {}), measured from time {} on average",
            w.policy,
            sig(w.jobs_mean),
            w.jobs_min,
            w.jobs_max,
            opt(w.time_mean),
        );
    }
    timeline_table(&mut out, scenario, output);
    if !output.paired.is_empty() {
        let _ = writeln!(
            out,
            "paired differences of mean response on the same jobs (policy - baseline):"
        );
        for p in &output.paired {
            let d = &p.diff_mean_response;
            let verdict = match d.ci95 {
                Some(h) if d.mean + h < 0.0 => "faster",
                Some(h) if d.mean - h > 0.0 => "slower",
                Some(_) => "no significant difference",
                None => "no CI with one replication",
            };
            let class = if p.class == "all" {
                String::new()
            } else {
                format!(", class {}", p.class)
            };
            let _ = writeln!(
                out,
                "  {} - {}{class}: {} ({verdict})",
                p.policy,
                p.baseline,
                with_ci(num(d.mean), ci(d.ci95))
            );
        }
    }
    let legend = format!(
        "± is a 95% confidence half-width over replications (2 significant figures, the estimate \
         rounded to match); p50 to p99 are response-time percentiles, max the longest response; \
         theory is the closed-form mean response (~ marks an approximation), err the simulated \
         mean response's relative error from it, in CI whether it lies in the simulated 95% CI; \
         slowdown = response / time in service, its mean shown only where every size \
         distribution has a finite E[1/size] (bounded away from 0), bounded = \
         max(1, response / max(tau, time in service)) with tau = {}; {}{events} events in \
         {wall_seconds:.2} s ({:.1} M events/s)",
        sig(output.slowdown_tau),
        if wide {
            ""
        } else {
            "--wide shows every column; "
        },
        events as f64 / wall_seconds.max(1e-9) / 1e6
    );
    let _ = writeln!(out, "{legend}");
    let notes = std::mem::replace(&mut out, table_lines);
    for line in notes.lines() {
        for l in wrap_indented(line, TABLE_WIDTH) {
            let _ = writeln!(out, "{l}");
        }
    }
    out
}

/// A line of at most `width` characters as it is, else [`wrap`]ped, its
/// leading spaces kept and its continuation lines indented 2 more.
fn wrap_indented(line: &str, width: usize) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let indent = line.len() - line.trim_start_matches(' ').len();
    let first = " ".repeat(indent);
    let rest = " ".repeat(indent + 2);
    wrap(line, width.saturating_sub(indent + 2).max(20))
        .into_iter()
        .enumerate()
        .map(|(i, l)| format!("{}{l}", if i == 0 { &first } else { &rest }))
        .collect()
}

/// Most columns the run table takes unless `--wide`.
pub const TABLE_WIDTH: usize = 120;

/// A column of the run table: two header lines (the first often empty),
/// its cells, and whether it is aligned left.
struct Column {
    top: &'static str,
    head: &'static str,
    cells: Vec<String>,
    left: bool,
}

impl Column {
    fn new(top: &'static str, head: &'static str, cells: Vec<String>) -> Column {
        Column {
            top,
            head,
            cells,
            left: false,
        }
    }

    fn width(&self) -> usize {
        self.cells
            .iter()
            .map(|c| c.chars().count())
            .chain([self.top.chars().count(), self.head.chars().count()])
            .max()
            .unwrap_or(0)
    }
}

/// The columns laid out, two spaces apart, right-aligned but for the
/// first ones: the header's two lines (the first left out when empty),
/// then one line per row.
fn render(columns: &[&Column]) -> Vec<String> {
    let widths: Vec<usize> = columns.iter().map(|c| c.width()).collect();
    let line = |cell: &dyn Fn(&Column) -> &str| {
        let parts: Vec<String> = columns
            .iter()
            .zip(&widths)
            .map(|(c, &w)| {
                if c.left {
                    format!("{:<w$}", cell(c))
                } else {
                    format!("{:>w$}", cell(c))
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut lines = Vec::new();
    if columns.iter().any(|c| !c.top.is_empty()) {
        lines.push(line(&|c| c.top));
    }
    lines.push(line(&|c| c.head));
    let rows = columns.first().map_or(0, |c| c.cells.len());
    for i in 0..rows {
        lines.push(line(&|c| c.cells[i].as_str()));
    }
    lines
}

/// The result rows of `schedlab run` as a table. Rows whose figures are
/// those of an earlier row of the same policy (one class, one node: the
/// class and node rows repeat the overall one) are printed once, with a
/// line saying which rows it stands for. Unless `wide`, the table leaves
/// out what does not fit in [`TABLE_WIDTH`] columns: first the
/// percentiles' CIs, then the jobs, the mean wait and the error; p95, L,
/// Lq, throughput and the formula's name are in the wide form only.
fn results_table(out: &mut String, rows: &[Row], wide: bool) {
    let records: Vec<ResultRecord> = rows.iter().map(ResultRecord::from).collect();
    let col = |f: &dyn Fn(&ResultRecord) -> String| records.iter().map(f).collect::<Vec<_>>();
    let theory = |r: &ResultRecord, formula: bool| {
        r.theory.as_ref().map_or_else(
            || "-".into(),
            |t| {
                let approx = if t.kind == Kind::Approximation {
                    "~"
                } else {
                    ""
                };
                if formula {
                    format!("{approx}{} ({})", sig(t.mean_response), t.formula)
                } else {
                    format!("{approx}{}", sig(t.mean_response))
                }
            },
        )
    };
    let left = |mut c: Column| {
        c.left = true;
        c
    };
    let policy = left(Column::new("", "policy", col(&|r| r.policy.clone())));
    let class = left(Column::new("", "class", col(&|r| r.class.clone())));
    let node = left(Column::new("", "node", col(&|r| r.node.clone())));
    let jobs = Column::new("", "jobs", col(&|r| r.jobs.to_string()));
    let response = Column::new(
        "mean",
        "response",
        col(&|r| with_ci(r.mean_response, r.mean_response_ci95)),
    );
    let wait = Column::new(
        "mean",
        "wait",
        col(&|r| with_ci(r.mean_wait, r.mean_wait_ci95)),
    );
    let p = |head, f: fn(&ResultRecord) -> (Option<f64>, Option<f64>)| {
        (
            Column::new("", head, col(&|r| with_ci(f(r).0, f(r).1))),
            Column::new("", head, col(&|r| opt(f(r).0))),
        )
    };
    let (p50_ci, p50) = p("p50", |r| (r.p50_response, r.p50_response_ci95));
    let (p90_ci, p90) = p("p90", |r| (r.p90_response, r.p90_response_ci95));
    let (p95_ci, _) = p("p95", |r| (r.p95_response, r.p95_response_ci95));
    let (p99_ci, p99) = p("p99", |r| (r.p99_response, r.p99_response_ci95));
    let max = Column::new("", "max", col(&|r| opt(r.max_response)));
    let l = Column::new(
        "",
        "L",
        col(&|r| with_ci(r.mean_in_system, r.mean_in_system_ci95)),
    );
    let lq = Column::new(
        "",
        "Lq",
        col(&|r| with_ci(r.mean_in_queue, r.mean_in_queue_ci95)),
    );
    let util = Column::new("", "util", col(&|r| opt(r.utilization)));
    let util_ci = Column::new(
        "",
        "util",
        col(&|r| with_ci(r.utilization, r.utilization_ci95)),
    );
    let throughput = Column::new(
        "",
        "throughput",
        col(&|r| with_ci(r.throughput, r.throughput_ci95)),
    );
    let theory_short = Column::new("theory mean", "response", col(&|r| theory(r, false)));
    let theory_long = Column::new("theory mean", "response", col(&|r| theory(r, true)));
    let err = Column::new(
        "",
        "err",
        col(&|r| {
            r.theory
                .as_ref()
                .and_then(|t| t.rel_error)
                .map_or_else(|| "-".into(), |e| percent(Some(e)))
        }),
    );
    let in_ci = Column::new(
        "theory",
        "in CI",
        col(&|r| {
            r.theory.as_ref().and_then(|t| t.within_ci).map_or_else(
                || "-".into(),
                |w| if w { "yes".into() } else { "no".into() },
            )
        }),
    );
    let wide_columns: Vec<&Column> = vec![
        &policy,
        &class,
        &node,
        &jobs,
        &response,
        &wait,
        &p50_ci,
        &p90_ci,
        &p95_ci,
        &p99_ci,
        &max,
        &l,
        &lq,
        &util_ci,
        &throughput,
        &theory_long,
        &err,
        &in_ci,
    ];
    // Rows shown once: the first of those with the same figures.
    let figures = |i: usize| -> Vec<&str> {
        wide_columns[3..]
            .iter()
            .map(|c| c.cells[i].as_str())
            .collect()
    };
    let mut stands_for: Vec<Vec<usize>> = vec![Vec::new(); records.len()];
    let mut shown: Vec<usize> = Vec::new();
    for i in 0..records.len() {
        match shown
            .iter()
            .find(|&&k| records[k].policy == records[i].policy && figures(k) == figures(i))
        {
            Some(&k) => stands_for[k].push(i),
            None => shown.push(i),
        }
    }
    let layouts: Vec<Vec<&Column>> = if wide {
        vec![wide_columns.clone()]
    } else {
        let full = vec![
            &policy,
            &class,
            &node,
            &jobs,
            &response,
            &wait,
            &p50_ci,
            &p90_ci,
            &p99_ci,
            &max,
            &util,
            &theory_short,
            &err,
            &in_ci,
        ];
        fn drop<'a>(from: &[&'a Column], gone: &[&Column]) -> Vec<&'a Column> {
            from.iter()
                .copied()
                .filter(|c| !gone.iter().any(|g| std::ptr::eq(*g, *c)))
                .collect()
        }
        let plain: Vec<&Column> = full
            .iter()
            .map(|&c| {
                [(&p50_ci, &p50), (&p90_ci, &p90), (&p99_ci, &p99)]
                    .iter()
                    .find(|(ci, _)| std::ptr::eq(*ci, c))
                    .map_or(c, |(_, plain)| *plain)
            })
            .collect();
        let no_jobs = drop(&plain, &[&jobs]);
        let no_wait = drop(&no_jobs, &[&wait]);
        let no_err = drop(&no_wait, &[&err]);
        vec![full, plain, no_jobs, no_wait, no_err]
    };
    let keep = |c: &Column| Column {
        top: c.top,
        head: c.head,
        cells: shown.iter().map(|&i| c.cells[i].clone()).collect(),
        left: c.left,
    };
    let mut lines = Vec::new();
    for layout in &layouts {
        let kept: Vec<Column> = layout.iter().map(|c| keep(c)).collect();
        lines = render(&kept.iter().collect::<Vec<_>>());
        if lines.iter().all(|l| l.chars().count() <= TABLE_WIDTH) {
            break;
        }
    }
    for line in &lines {
        let _ = writeln!(out, "{line}");
    }
    let label = |r: &ResultRecord| format!("{}/{}", r.class, r.node);
    for &k in &shown {
        if stands_for[k].is_empty() {
            continue;
        }
        let others: Vec<String> = stands_for[k].iter().map(|&i| label(&records[i])).collect();
        let line = format!(
            "{} {} stands for {} too (class/node: the same figures, shown once)",
            records[k].policy,
            label(&records[k]),
            others.join(", ")
        );
        for l in wrap(&line, TABLE_WIDTH) {
            let _ = writeln!(out, "{l}");
        }
    }
    if !wide {
        let mut formulas: Vec<String> = Vec::new();
        for &i in &shown {
            if let Some(t) = &records[i].theory
                && !formulas.contains(&t.formula)
            {
                formulas.push(t.formula.clone());
            }
        }
        if !formulas.is_empty() {
            let _ = writeln!(out, "theory by {}", formulas.join(", "));
        }
    }
}

/// `text` in lines of at most `width` characters, broken at spaces but
/// never inside `x ± h` (a word longer than `width` stands alone on its
/// line).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let joined = text.replace(" ± ", "\u{1}±\u{1}");
    for word in joined.split(' ').filter(|w| !w.is_empty()) {
        let word = word.replace('\u{1}', " ");
        let word = word.as_str();
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Most bins the table shows of a timeline; longer ones are in the JSON
/// and `timeline.csv` only.
const TABLE_TIMELINE_BINS: usize = 48;

/// The whole-system timeline of each policy, bin by bin, when it is short
/// enough to read; else where to find it.
fn timeline_table(out: &mut String, scenario: &Scenario, output: &RunOutput) {
    let system: Vec<TimelineRecord> = output
        .timeline
        .iter()
        .filter(|r| r.bin.node.is_none())
        .map(|r| TimelineRecord::of(scenario, r))
        .collect();
    let policies = scenario.policies.len().max(1);
    if system.is_empty() {
        return;
    }
    let bins = system.len() / policies;
    if bins > TABLE_TIMELINE_BINS {
        let _ = writeln!(
            out,
            "timeline: {bins} bins per policy and node, in --json and timeline.csv of --out"
        );
        return;
    }
    let _ = writeln!(
        out,
        "timeline of the whole system (per node in --json and timeline.csv):"
    );
    let _ = writeln!(
        out,
        "  {:<12} {:>8} {:>8} {:>9} {:>9} {:>20} {:>20} {:>8} {:>10}",
        "policy",
        "start",
        "end",
        "arrivals",
        "offered",
        "in system",
        "util",
        "servers",
        "abandoned"
    );
    for r in &system {
        let _ = writeln!(
            out,
            "  {:<12} {:>8} {:>8} {:>9} {:>9} {:>20} {:>20} {:>8} {:>10}",
            r.policy,
            sig(r.start),
            sig(r.end),
            opt(r.arrivals),
            opt(r.offered),
            with_ci(r.mean_in_system, r.mean_in_system_ci95),
            with_ci(r.utilization, r.utilization_ci95),
            opt(r.servers),
            opt(r.abandoned),
        );
    }
}

/// One result row as a flat CSV record: the JSON's fields, with the
/// theory object spread into `theory_*` columns (empty where none applies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsvRecord {
    pub policy: String,
    pub class: String,
    pub node: String,
    pub jobs: u64,
    pub mean_wait: Option<f64>,
    pub mean_wait_ci95: Option<f64>,
    pub mean_response: Option<f64>,
    pub mean_response_ci95: Option<f64>,
    pub mean_slowdown: Option<f64>,
    pub mean_slowdown_ci95: Option<f64>,
    #[serde(default)]
    pub mean_bounded_slowdown: Option<f64>,
    #[serde(default)]
    pub mean_bounded_slowdown_ci95: Option<f64>,
    #[serde(default)]
    pub median_slowdown: Option<f64>,
    #[serde(default)]
    pub median_slowdown_ci95: Option<f64>,
    pub p50_response: Option<f64>,
    #[serde(default)]
    pub p50_response_ci95: Option<f64>,
    pub p90_response: Option<f64>,
    #[serde(default)]
    pub p90_response_ci95: Option<f64>,
    pub p95_response: Option<f64>,
    #[serde(default)]
    pub p95_response_ci95: Option<f64>,
    pub p99_response: Option<f64>,
    #[serde(default)]
    pub p99_response_ci95: Option<f64>,
    #[serde(default)]
    pub max_response: Option<f64>,
    pub mean_in_system: Option<f64>,
    pub mean_in_system_ci95: Option<f64>,
    pub mean_in_queue: Option<f64>,
    pub mean_in_queue_ci95: Option<f64>,
    pub utilization: Option<f64>,
    pub utilization_ci95: Option<f64>,
    pub throughput: Option<f64>,
    pub throughput_ci95: Option<f64>,
    pub deadline_miss_ratio: Option<f64>,
    pub deadline_miss_ratio_ci95: Option<f64>,
    pub blocking_probability: Option<f64>,
    pub blocking_probability_ci95: Option<f64>,
    #[serde(default)]
    pub visits: Option<f64>,
    #[serde(default)]
    pub visits_ci95: Option<f64>,
    #[serde(default)]
    pub p_block: Option<f64>,
    #[serde(default)]
    pub p_block_ci95: Option<f64>,
    #[serde(default)]
    pub blocked_time: Option<f64>,
    #[serde(default)]
    pub blocked_time_ci95: Option<f64>,
    #[serde(default)]
    pub reneged: Option<u64>,
    #[serde(default)]
    pub p_renege: Option<f64>,
    #[serde(default)]
    pub p_renege_ci95: Option<f64>,
    #[serde(default)]
    pub mean_wait_served: Option<f64>,
    #[serde(default)]
    pub mean_wait_served_ci95: Option<f64>,
    #[serde(default)]
    pub mean_wait_reneged: Option<f64>,
    #[serde(default)]
    pub mean_wait_reneged_ci95: Option<f64>,
    #[serde(default)]
    pub mean_makespan: Option<f64>,
    #[serde(default)]
    pub mean_makespan_ci95: Option<f64>,
    #[serde(default)]
    pub mean_task_wait: Option<f64>,
    #[serde(default)]
    pub mean_task_wait_ci95: Option<f64>,
    #[serde(default)]
    pub baulked: Option<u64>,
    #[serde(default)]
    pub p_baulk: Option<f64>,
    #[serde(default)]
    pub p_baulk_ci95: Option<f64>,
    #[serde(default)]
    pub arrived: Option<u64>,
    #[serde(default)]
    pub completed: Option<u64>,
    #[serde(default)]
    pub gave_up: Option<u64>,
    #[serde(default)]
    pub gave_up_attempts: Option<u64>,
    #[serde(default)]
    pub gave_up_timeout: Option<u64>,
    #[serde(default)]
    pub gave_up_queue_timeout: Option<u64>,
    #[serde(default)]
    pub gave_up_deadline: Option<u64>,
    #[serde(default)]
    pub rolled_back: Option<u64>,
    #[serde(default)]
    pub p_give_up: Option<f64>,
    #[serde(default)]
    pub p_give_up_ci95: Option<f64>,
    #[serde(default)]
    pub mean_attempts: Option<f64>,
    #[serde(default)]
    pub mean_attempts_ci95: Option<f64>,
    #[serde(default)]
    pub goodput: Option<f64>,
    #[serde(default)]
    pub goodput_ci95: Option<f64>,
    #[serde(default)]
    pub wasted_work: Option<f64>,
    #[serde(default)]
    pub wasted_work_ci95: Option<f64>,
    #[serde(default)]
    pub retry_amplification: Option<f64>,
    #[serde(default)]
    pub retry_amplification_ci95: Option<f64>,
    #[serde(default)]
    pub availability: Option<f64>,
    #[serde(default)]
    pub availability_ci95: Option<f64>,
    #[serde(default)]
    pub server_failures: Option<f64>,
    #[serde(default)]
    pub server_failures_ci95: Option<f64>,
    #[serde(default)]
    pub interrupted: Option<f64>,
    #[serde(default)]
    pub interrupted_ci95: Option<f64>,
    /// Group rows: members, and the spread of their utilisations (the
    /// JSON's `utilisation_distribution` flattened; before
    /// the theory columns, which stay last).
    #[serde(default)]
    pub group_nodes: Option<usize>,
    #[serde(default)]
    pub utilisation_min: Option<f64>,
    #[serde(default)]
    pub utilisation_p5: Option<f64>,
    #[serde(default)]
    pub utilisation_median: Option<f64>,
    #[serde(default)]
    pub utilisation_p95: Option<f64>,
    #[serde(default)]
    pub utilisation_max: Option<f64>,
    pub theory_formula: Option<String>,
    pub theory_kind: Option<Kind>,
    pub theory_mean_wait: Option<f64>,
    pub theory_mean_response: Option<f64>,
    pub theory_rel_error: Option<f64>,
    pub theory_within_ci: Option<bool>,
}

impl From<ResultRecord> for CsvRecord {
    fn from(r: ResultRecord) -> Self {
        let t = r.theory;
        let l = r.lifecycle.as_ref();
        let by = l.map(|l| l.gave_up_by);
        let sv = r.servers;
        let ud = r.utilisation_distribution;
        CsvRecord {
            group_nodes: r.group_nodes,
            utilisation_min: ud.and_then(|u| u.min),
            utilisation_p5: ud.and_then(|u| u.p5),
            utilisation_median: ud.and_then(|u| u.median),
            utilisation_p95: ud.and_then(|u| u.p95),
            utilisation_max: ud.and_then(|u| u.max),
            availability: sv.and_then(|s| s.availability),
            availability_ci95: sv.and_then(|s| s.availability_ci95),
            server_failures: sv.and_then(|s| s.server_failures),
            server_failures_ci95: sv.and_then(|s| s.server_failures_ci95),
            interrupted: sv.and_then(|s| s.interrupted),
            interrupted_ci95: sv.and_then(|s| s.interrupted_ci95),
            arrived: l.map(|l| l.arrived),
            completed: l.map(|l| l.completed),
            gave_up: l.map(|l| l.gave_up),
            gave_up_attempts: by.map(|b| b.attempts),
            gave_up_timeout: by.map(|b| b.timeout),
            gave_up_queue_timeout: by.map(|b| b.queue_timeout),
            gave_up_deadline: by.map(|b| b.deadline),
            rolled_back: l.map(|l| l.rolled_back),
            p_give_up: l.and_then(|l| l.p_give_up),
            p_give_up_ci95: l.and_then(|l| l.p_give_up_ci95),
            mean_attempts: l.and_then(|l| l.mean_attempts),
            mean_attempts_ci95: l.and_then(|l| l.mean_attempts_ci95),
            goodput: l.and_then(|l| l.goodput),
            goodput_ci95: l.and_then(|l| l.goodput_ci95),
            wasted_work: l.and_then(|l| l.wasted_work),
            wasted_work_ci95: l.and_then(|l| l.wasted_work_ci95),
            retry_amplification: l.and_then(|l| l.retry_amplification),
            retry_amplification_ci95: l.and_then(|l| l.retry_amplification_ci95),
            policy: r.policy,
            class: r.class,
            node: r.node,
            jobs: r.jobs,
            mean_wait: r.mean_wait,
            mean_wait_ci95: r.mean_wait_ci95,
            mean_response: r.mean_response,
            mean_response_ci95: r.mean_response_ci95,
            mean_slowdown: r.mean_slowdown,
            mean_slowdown_ci95: r.mean_slowdown_ci95,
            mean_bounded_slowdown: r.mean_bounded_slowdown,
            mean_bounded_slowdown_ci95: r.mean_bounded_slowdown_ci95,
            median_slowdown: r.median_slowdown,
            median_slowdown_ci95: r.median_slowdown_ci95,
            p50_response: r.p50_response,
            p50_response_ci95: r.p50_response_ci95,
            p90_response: r.p90_response,
            p90_response_ci95: r.p90_response_ci95,
            p95_response: r.p95_response,
            p95_response_ci95: r.p95_response_ci95,
            p99_response: r.p99_response,
            p99_response_ci95: r.p99_response_ci95,
            max_response: r.max_response,
            mean_in_system: r.mean_in_system,
            mean_in_system_ci95: r.mean_in_system_ci95,
            mean_in_queue: r.mean_in_queue,
            mean_in_queue_ci95: r.mean_in_queue_ci95,
            utilization: r.utilization,
            utilization_ci95: r.utilization_ci95,
            throughput: r.throughput,
            throughput_ci95: r.throughput_ci95,
            deadline_miss_ratio: r.deadline_miss_ratio,
            deadline_miss_ratio_ci95: r.deadline_miss_ratio_ci95,
            blocking_probability: r.blocking_probability,
            blocking_probability_ci95: r.blocking_probability_ci95,
            visits: r.visits,
            visits_ci95: r.visits_ci95,
            p_block: r.p_block,
            p_block_ci95: r.p_block_ci95,
            blocked_time: r.blocked_time,
            blocked_time_ci95: r.blocked_time_ci95,
            reneged: r.reneged,
            p_renege: r.p_renege,
            p_renege_ci95: r.p_renege_ci95,
            mean_wait_served: r.mean_wait_served,
            mean_wait_served_ci95: r.mean_wait_served_ci95,
            mean_wait_reneged: r.mean_wait_reneged,
            mean_wait_reneged_ci95: r.mean_wait_reneged_ci95,
            mean_makespan: r.mean_makespan,
            mean_makespan_ci95: r.mean_makespan_ci95,
            mean_task_wait: r.mean_task_wait,
            mean_task_wait_ci95: r.mean_task_wait_ci95,
            baulked: r.baulked,
            p_baulk: r.p_baulk,
            p_baulk_ci95: r.p_baulk_ci95,
            theory_formula: t.as_ref().map(|t| t.formula.clone()),
            theory_kind: t.as_ref().map(|t| t.kind),
            theory_mean_wait: t.as_ref().map(|t| t.mean_wait),
            theory_mean_response: t.as_ref().map(|t| t.mean_response),
            theory_rel_error: t.as_ref().and_then(|t| t.rel_error),
            theory_within_ci: t.as_ref().and_then(|t| t.within_ci),
        }
    }
}

/// The rows as CSV, one line per row, the JSON's columns flattened.
pub fn csv(rows: &[Row]) -> anyhow::Result<String> {
    files::to_csv(rows.iter().map(|r| CsvRecord::from(ResultRecord::from(r))))
}

/// Writes `contents` to `path` through a temporary file in the same
/// directory and a rename, so a reader (or an interrupted run) never sees
/// a half-written file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let tmp = stage_file(path, contents)?;
    tmp.persist(path).map_err(|e| {
        anyhow::anyhow!("{}: cannot write: {}", path.display(), os_message(&e.error))
    })?;
    Ok(())
}

/// Writes `contents` to a temporary file beside `path`, synced, ready to be
/// renamed over it. Errors name `path` (never the temporary file) once.
pub fn stage_file(path: &Path, contents: &[u8]) -> anyhow::Result<tempfile::NamedTempFile> {
    let fail =
        |e: std::io::Error| anyhow::anyhow!("{}: cannot write: {}", path.display(), os_message(&e));
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        anyhow::bail!(
            "{}: cannot write: the directory {} does not exist",
            path.display(),
            dir.display()
        );
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".schedlab-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(contents).map_err(fail)?;
    // Temporary files are private (0600); results are ordinary files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(fail)?;
    }
    tmp.as_file().sync_all().map_err(fail)?;
    Ok(tmp)
}

/// The operating system's message for an I/O error, without the paths
/// some wrappers (temporary files) add to it.
pub fn os_message(e: &std::io::Error) -> String {
    if let Some(code) = e.raw_os_error() {
        return std::io::Error::from_raw_os_error(code).to_string();
    }
    // tempfile wraps the OS error with the temporary path: look inside.
    let inner = e.get_ref().and_then(|i| {
        i.downcast_ref::<std::io::Error>()
            .or_else(|| i.source().and_then(|s| s.downcast_ref::<std::io::Error>()))
    });
    match inner {
        Some(inner) => os_message(inner),
        None => e.kind().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_widths_have_two_significant_figures_and_the_mean_matches() {
        let f = |m: f64, h: f64| with_ci(Some(m), Some(h));
        assert_eq!(f(5.26159, 0.06159), "5.262 ± 0.062");
        assert_eq!(f(4.2632, 0.06117), "4.263 ± 0.061");
        assert_eq!(f(30.9, 30.3), "31 ± 30");
        assert_eq!(f(12.345, 1.25), "12.3 ± 1.2");
        // 0.0996 is 0.10 to 2 figures, not 0.100.
        assert_eq!(f(1.0, 0.0996), "1.00 ± 0.10");
        // Hundreds: the mean rounded to tens.
        assert_eq!(f(12345.0, 1234.0), "12300 ± 1200");
        assert_eq!(f(-0.0001, 0.01), "0.000 ± 0.010");
        assert_eq!(f(2.0, 0.0), "2.000 ± 0");
        assert_eq!(f(3e-7, 1e-9), "3.000e-7 ± 1.0e-9");
        assert_eq!(with_ci(Some(2.0), None), "2.000");
        assert_eq!(with_ci(None, Some(1.0)), "-");
        assert_eq!(with_ci(Some(f64::NAN), Some(1.0)), "-");
    }

    #[test]
    fn long_note_lines_wrap_with_their_indent() {
        let line = format!("  {}", "word ".repeat(40));
        let lines = wrap_indented(&line, 60);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{lines:?}");
        assert!(lines[0].starts_with("  word") && lines[1].starts_with("    word"));
        assert_eq!(wrap_indented("short", 60), ["short"]);
    }

    #[test]
    fn wrap_breaks_at_spaces_within_the_width() {
        let lines = wrap("aa bb cc dd", 5);
        assert_eq!(lines, ["aa bb", "cc dd"]);
        assert_eq!(wrap("abcdefgh x", 4), ["abcdefgh", "x"]);
        assert_eq!(wrap("median 4.5 ± 0.1", 12), ["median", "4.5 ± 0.1"]);
    }
}
