//! Limits on the size of a run, checked before anything runs, so that a
//! legitimate but enormous input is refused up front (exit code 2, with
//! the estimate and the limit) instead of exhausting memory or grinding
//! for hours.
//!
//! Two settings are process-wide, set once from the command line:
//! - `--no-limits` (every subcommand) turns the checks of this module off
//!   ([`set_enforced`]); the run then takes what it takes.
//! - `--max-present N` (run, sweep) sets [`max_present`], the number of
//!   jobs present at once after which a replication stops as unstable
//!   (exit code 1). It is not lifted by `--no-limits`: it is what keeps an
//!   overloaded run from ending in an allocation failure.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::FieldError;
use crate::model::{Limit, Scenario};
use crate::policy::Policy;

/// Most servers of one node (each is a slot of the engine's tables).
pub const MAX_SERVERS: u32 = 100_000;
/// Most steps of a node's server schedule.
pub const MAX_SCHEDULE_STEPS: usize = 100_000;
/// Most nodes of `optimize makespan` and `completion`.
pub const MAX_NODES: usize = 10_000;
/// Most nodes of a scenario: as many as one node group may have
/// ([`crate::model::groups::MAX_COUNT`]). Issue 19 models clusters of
/// 100,000 nodes; the memory of their statistics is checked on its own
/// below, and the rest costs about 2 KB a node (the README's "Speed and
/// memory").
pub const MAX_SCENARIO_NODES: usize = 1_000_000;
/// Most replications of a run.
pub const MAX_REPLICATIONS: u32 = 100_000;
/// Most jobs (warm-up or horizon) of one replication.
pub const MAX_JOBS: u64 = 1_000_000_000_000;
/// Most events a run is estimated to handle (about an hour at 10^7 events/s).
pub const MAX_EVENTS: f64 = 3e10;
/// Most memory the statistics of all replications are estimated to take.
pub const MAX_STATS_BYTES: f64 = 4.0 * (1u64 << 30) as f64;
/// Largest node capacity (theory sums over every state up to it).
pub const MAX_CAPACITY: u32 = 1_000_000;
/// Most states of `optimize mdp`'s truncated state space.
pub const MAX_MDP_STATES: f64 = 1e7;
/// Most state updates of `optimize mdp` (states × sweeps).
pub const MAX_MDP_WORK: f64 = 2e10;
/// Most assignment variables (jobs × nodes) of the makespan and completion LPs.
pub const MAX_LP_VARIABLES: f64 = 200_000.0;
/// Most slices (bursts / quantum) of a `gantt` schedule, each a line of the timeline.
pub const MAX_GANTT_SLICES: f64 = 1e6;
/// Most bins one replication's timeline is expected to record.
pub const MAX_TIMELINE_BINS: f64 = 1e6;
/// Most tasks (warm-up and measured) of `validate`, which draws and
/// records every one for both runs and runs them in real time.
pub const MAX_VALIDATE_TASKS: f64 = 1e7;
/// Default number of jobs present at once after which a run is declared unstable.
pub const DEFAULT_MAX_PRESENT: u64 = 1_000_000;

/// Busy time kept per member of a group sharing one column.
const MEMBER_BYTES: f64 = 24.0;
/// Bytes of one class's response histogram (3 significant digits over 2^50 units).
const CLASS_CELL_BYTES: f64 = 350e3;
/// Bytes of one bin of one column of a timeline.
const TIMELINE_CELL_BYTES: f64 = 56.0;

static ENFORCED: AtomicBool = AtomicBool::new(true);
static MAX_PRESENT: AtomicU64 = AtomicU64::new(DEFAULT_MAX_PRESENT);

/// Turns the checks of this module on (the default) or off (`--no-limits`).
pub fn set_enforced(on: bool) {
    ENFORCED.store(on, Ordering::Relaxed);
}

/// Whether limits are checked.
pub fn enforced() -> bool {
    ENFORCED.load(Ordering::Relaxed)
}

/// Sets the number of jobs present at which a replication stops as unstable.
pub fn set_max_present(n: u64) {
    MAX_PRESENT.store(n.max(1), Ordering::Relaxed);
}

/// The number of jobs present at which a replication stops as unstable.
pub fn max_present() -> u64 {
    MAX_PRESENT.load(Ordering::Relaxed)
}

/// The hint every refusal ends with.
pub const RAISE: &str = "pass --no-limits to run it anyway";

/// Refuses `value` of `field` when it exceeds `limit` (and limits are on).
pub fn check(field: &str, value: f64, limit: f64, what: &str) -> Result<(), FieldError> {
    if enforced() && (value.is_nan() || value > limit) {
        return Err(FieldError::new(
            field,
            fmt_count(value),
            format!("{what} exceeds the limit of {} ({RAISE})", fmt_count(limit)),
        ));
    }
    Ok(())
}

/// An estimate checked against its limit: the message gives both.
pub fn check_estimate(
    field: &str,
    value: impl std::fmt::Display,
    estimate: f64,
    limit: f64,
    what: &str,
) -> Result<(), FieldError> {
    if enforced() && (estimate.is_nan() || estimate > limit) {
        return Err(FieldError::new(
            field,
            value.to_string(),
            format!(
                "the run would take an estimated {} {what}, above the limit of {} ({RAISE})",
                fmt_count(estimate),
                fmt_count(limit)
            ),
        ));
    }
    Ok(())
}

/// A count for messages: whole numbers in full (below 10^19), others in
/// scientific notation.
pub fn fmt_count(x: f64) -> String {
    if x.is_finite() && x.abs() < 1e19 && x == x.trunc() {
        format!("{x:.0}")
    } else {
        format!("{x:.3e}")
    }
}

/// Checks a scenario (after command-line overrides) against the limits:
/// servers per node, nodes, capacity, replications, jobs, the events the
/// run is estimated to handle (round-robin quanta included) and the memory
/// of its statistics.
pub fn check_scenario(s: &Scenario) -> Result<(), FieldError> {
    check_initial(s)?;
    if !enforced() {
        return Ok(());
    }
    check(
        "nodes",
        s.nodes.len() as f64,
        MAX_SCENARIO_NODES as f64,
        "the number of nodes",
    )?;
    for (j, n) in s.nodes.iter().enumerate() {
        check(
            &format!("nodes[{j}].servers"),
            f64::from(n.servers),
            f64::from(MAX_SERVERS),
            "the number of servers of a node",
        )?;
        if let Some(k) = n.capacity {
            check(
                &format!("nodes[{j}].capacity"),
                f64::from(k),
                f64::from(MAX_CAPACITY),
                "the capacity of a node",
            )?;
        }
    }
    check(
        "replications",
        f64::from(s.replications),
        f64::from(MAX_REPLICATIONS),
        "the number of replications",
    )?;
    let mut jobs = 0.0;
    let rate: f64 = (0..s.classes.len()).map(|k| s.arrival_rate(k)).sum();
    for (field, limit) in [("warmup", s.warmup), ("horizon", s.horizon)] {
        match limit {
            Limit::Jobs(n) => {
                check(
                    &format!("{field}.jobs"),
                    n as f64,
                    MAX_JOBS as f64,
                    "the number of jobs of a replication",
                )?;
                jobs += n as f64;
            }
            Limit::Time(t) => {
                let expected = rate * t;
                check_estimate(
                    &format!("{field}.time"),
                    fmt_count(t),
                    expected,
                    MAX_JOBS as f64,
                    &format!("jobs per replication (arrival rate {rate:.4} × time)"),
                )?;
                jobs += expected;
            }
        }
    }
    // Events per job: an arrival and a departure per visit, plus one per
    // quantum under a slicing discipline.
    // Visits per job: the work offered with every visit counted over the
    // work of one visit per job (load × capacity is the former, a rate;
    // `rate × mean_work` the latter). Without the rate the estimate was the
    // arrival rate itself, and a cluster fed 90,000 jobs per unit of time
    // was refused as 90,000 visits per job.
    let visits = (s.total_load() * total_capacity(s) / (rate * mean_work(s, rate))).max(1.0);
    let probe = crate::job::Job::new(0, 0, 0, 0, 0.0, 1.0);
    let mean_size = mean_work(s, rate);
    let min_speed = s
        .nodes
        .iter()
        .map(|n| n.speed)
        .fold(f64::INFINITY, f64::min);
    let mut events_per_job = 0.0f64;
    for p in &s.policies {
        let mut per_job = 2.0 * visits;
        let quanta = std::iter::once(p)
            .chain(s.nodes.iter().filter_map(|n| n.discipline.as_deref()))
            .map(|d| d.queue().map_or(f64::INFINITY, |q| q.quantum(&probe)))
            .fold(f64::INFINITY, f64::min);
        if quanta.is_finite() && quanta > 0.0 {
            per_job += visits * mean_size / (quanta * min_speed.max(f64::MIN_POSITIVE));
        }
        events_per_job += per_job;
    }
    // `warmup = "auto"` runs each replication twice: a pilot, then the run.
    let passes = if s.warmup_auto { 2.0 } else { 1.0 };
    let events = events_per_job * jobs * f64::from(s.replications) * passes;
    let horizon = match s.horizon {
        Limit::Jobs(n) => format!("{n} jobs"),
        Limit::Time(t) => format!("time {t}"),
    };
    check_estimate(
        "horizon",
        horizon,
        events,
        MAX_EVENTS,
        "events (jobs × visits × quanta × replications × policies)",
    )?;
    // A node column per node, except that a group's members share one
    // unless they have rows of their own (`Recorder::grouped`), and
    // then keep 24 bytes each of busy time.
    let nodes = s.nodes.len() as f64;
    let (columns, members) = if s.member_rows || s.groups.is_empty() {
        (nodes, 0.0)
    } else {
        let grouped: usize = s.groups.iter().map(|g| g.count).sum();
        ((s.nodes.len() - grouped + s.groups.len()) as f64, nodes)
    };
    // As `stats::recorder::node_significant_digits` sizes node histograms:
    // about 100 KB each while they fit in 64 MB, then 12 KB, then 1.5 KB.
    let node_cell = [100e3, 12e3, 1.5e3]
        .into_iter()
        .find(|b| columns * b <= (64u64 << 20) as f64)
        .unwrap_or(1.5e3);
    let node_cells = if s.nodes.len() > 1 || s.is_network() {
        columns
    } else {
        0.0
    };
    let mut per_replication =
        s.classes.len() as f64 * CLASS_CELL_BYTES + node_cells * node_cell + members * MEMBER_BYTES;
    if let Some(bins) = timeline_bins(s) {
        check_estimate(
            "output.timeline.bin",
            s.output.timeline.unwrap_or_default(),
            bins,
            MAX_TIMELINE_BINS,
            "timeline bins per replication (expected duration / bin)",
        )?;
        per_replication += bins * (nodes + 1.0) * TIMELINE_CELL_BYTES;
    }
    // Replications are folded in as they finish: at most twice the threads
    // (or the policies) are held at once, each with its batches under
    // batch means, beside each policy's merged figures.
    let policies = s.policies.len() as f64;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let held = (f64::from(s.replications) * policies).min(2.0 * threads.max(policies));
    let batches = f64::from(s.batches.unwrap_or(1));
    let bytes = per_replication * (held * batches + policies);
    let (field, value) = match s.batches {
        Some(b) => ("batches", b.to_string()),
        None => ("replications", s.replications.to_string()),
    };
    check_estimate(
        field,
        value,
        bytes,
        MAX_STATS_BYTES,
        "bytes of statistics (replications held at once × batches × (classes + nodes))",
    )?;
    Ok(())
}

/// The jobs present at time 0 must be fewer than the jobs present at
/// which a run stops as unstable ([`max_present`]; like it, not lifted by
/// `--no-limits`), or the run would stop before its first event.
fn check_initial(s: &Scenario) -> Result<(), FieldError> {
    let mut total = 0u64;
    for (k, c) in s.classes.iter().enumerate() {
        for &(j, n) in &c.initial {
            total += u64::from(n);
            if total >= max_present() {
                return Err(FieldError::new(
                    format!("classes[{k}].initial.{}", s.nodes[j].name),
                    n.to_string(),
                    format!(
                        "{total} jobs present at time 0 reach the {} jobs present at which a run \
                         stops as unstable (raise it with --max-present N)",
                        max_present()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The simulated time a replication is expected to last: its warm-up and
/// horizon, each a time or a number of jobs over the arrival rate.
pub fn expected_duration(s: &Scenario) -> f64 {
    let rate: f64 = (0..s.classes.len()).map(|k| s.arrival_rate(k)).sum();
    [s.warmup, s.horizon]
        .into_iter()
        .map(|limit| match limit {
            Limit::Jobs(n) => n as f64 / rate,
            Limit::Time(t) => t,
        })
        .sum()
}

/// The bins a replication's timeline is expected to record, when the
/// scenario asks for one.
pub fn timeline_bins(s: &Scenario) -> Option<f64> {
    s.output
        .timeline
        .map(|bin| (expected_duration(s) / bin).ceil().max(1.0))
}

/// The bins a replication's timeline records at most: twice the expected
/// number (a jobs horizon ends at a random time), and never more than the
/// limit, so that memory stays bounded even with `--no-limits`.
pub fn timeline_cap(s: &Scenario) -> usize {
    let expected = timeline_bins(s).unwrap_or(1.0);
    (2.0 * expected + 16.0).min(MAX_TIMELINE_BINS) as usize
}

fn total_capacity(s: &Scenario) -> f64 {
    s.nodes.iter().map(crate::model::Node::work_rate).sum()
}

/// Mean work brought per job (arrival-weighted mean size of a first visit).
fn mean_work(s: &Scenario, rate: f64) -> f64 {
    let work: f64 = (0..s.classes.len())
        .map(|k| s.arrival_rate(k) * s.classes[k].service.mean())
        .sum();
    (work / rate).max(f64::MIN_POSITIVE)
}
