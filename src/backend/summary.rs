//! Figures of one run (real or simulated) from its task records: means
//! with 95% confidence intervals by batch means, and the 95th percentile.
//!
//! One run is one long, autocorrelated sample path, so the i.i.d. formula
//! would understate the error. Batch means (Law, *Simulation Modeling and
//! Analysis*, 5th ed., §9.5.3): the measured jobs, in order of arrival, are
//! cut into `BATCHES` consecutive batches whose means are nearly
//! independent; the half-width is the Student-t interval of those means,
//! computed by the same [`Estimate::from_values`] that treats replications.

use super::task::{TaskRecord, TaskState};
use crate::stats::lifecycle::{TaskSummary, attempt_bucket};
use crate::stats::{Estimate, Welford};

/// Number of batches for batch means.
pub const BATCHES: usize = 20;

/// Which tasks a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    All,
    Class(u32),
    /// The tasks sent to one node.
    Node(u32),
}

impl Which {
    pub fn selects(self, t: &TaskRecord) -> bool {
        match self {
            Which::All => true,
            Which::Class(k) => t.class == k,
            Which::Node(j) => t.node == j,
        }
    }
}

/// The figures of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Completed tasks measured.
    pub jobs: u64,
    pub mean_wait: Estimate,
    pub mean_response: Estimate,
    /// 95th percentile of response (NaN without tasks).
    pub p95_response: f64,
}

/// The mean of all values, with the half-width of batch means.
fn batch_estimate(values: &[f64]) -> Estimate {
    let mut all = Welford::default();
    for &v in values {
        all.push(v);
    }
    let mean = if all.count == 0 { f64::NAN } else { all.mean };
    let n = values.len();
    let batches = BATCHES.min(n / 2);
    let ci95 = if batches >= 2 {
        let means: Vec<f64> = (0..batches)
            .map(|b| {
                let chunk = &values[b * n / batches..(b + 1) * n / batches];
                chunk.iter().sum::<f64>() / chunk.len() as f64
            })
            .collect();
        Estimate::from_values(&means).ci95
    } else {
        None
    };
    Estimate { mean, ci95 }
}

/// The ratio of the sums of `pairs` (numerator, denominator) over all of
/// them, with the half-width of the batch ratios: the measured tasks, in
/// order of arrival, cut into [`BATCHES`] consecutive batches as in
/// [`batch_estimate`]. NaN where the denominators sum to 0.
fn batch_ratio(pairs: &[(f64, f64)]) -> Estimate {
    let ratio = |chunk: &[(f64, f64)]| {
        let (a, b) = chunk
            .iter()
            .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x, b + y));
        if b > 0.0 { a / b } else { f64::NAN }
    };
    let n = pairs.len();
    let batches = BATCHES.min(n / 2);
    let ci95 = if batches >= 2 {
        let ratios: Vec<f64> = (0..batches)
            .map(|b| ratio(&pairs[b * n / batches..(b + 1) * n / batches]))
            .filter(|r| r.is_finite())
            .collect();
        Estimate::from_values(&ratios).ci95
    } else {
        None
    };
    Estimate {
        mean: ratio(pairs),
        ci95,
    }
}

/// The lifecycle figures of the tasks of `tasks` (in order of arrival)
/// that `which` selects, from sequence number `measure_from` on, in the
/// form `run` reports them (`applies`: some selected class has attempt
/// rules). Real and simulated runs are summarised alike, so their rows
/// render through the same `report::LifecycleRecord`.
pub fn lifecycle(
    tasks: &[TaskRecord],
    which: Which,
    measure_from: u64,
    applies: bool,
) -> TaskSummary {
    let chosen: Vec<&TaskRecord> = tasks
        .iter()
        .filter(|t| t.seq >= measure_from && !t.released.is_nan())
        .filter(|t| which.selects(t))
        .collect();
    let mut s = TaskSummary {
        arrived: chosen.len() as u64,
        ..TaskSummary::empty(applies)
    };
    let mut columns: [Vec<(f64, f64)>; 6] = Default::default();
    for t in &chosen {
        match t.state {
            TaskState::Completed => s.completed += 1,
            TaskState::DeadLettered => s.gave_up += 1,
            TaskState::RolledBack => s.rolled_back += 1,
            _ => {}
        }
        if let Some(why) = t.gave_up {
            s.gave_up_by[why as usize] += 1;
        }
        s.failed += u64::from(t.failures);
        s.timed_out += u64::from(t.timeouts);
        s.killed += u64::from(t.killed);
        let ended = t.ended();
        if ended {
            s.by_attempts[attempt_bucket(t.attempts)] += 1;
        }
        let attempts = f64::from(t.attempts);
        let one = |b: bool| if b { 1.0 } else { 0.0 };
        columns[0].push((one(t.gave_up.is_some()), 1.0));
        columns[1].push((if ended { attempts } else { 0.0 }, one(ended)));
        columns[2].push((t.served - t.wasted_time, t.served));
        columns[3].push((t.wasted_work, 1.0));
        columns[4].push((attempts, 1.0));
        columns[5].push(match t.gave_up {
            Some(_) => (t.gave_up_at - t.arrival, 1.0),
            None => (0.0, 0.0),
        });
    }
    let [p, m, g, w, a, d] = columns.map(|c| batch_ratio(&c));
    s.p_give_up = p;
    s.mean_attempts = m;
    s.goodput = g;
    s.wasted_work = w;
    s.retry_amplification = a;
    s.mean_time_to_give_up = d;
    s
}

/// How a task ended, for comparing runs job by job: its final state, the
/// attempts it used and why it was given up.
pub fn outcome(t: &TaskRecord) -> (TaskState, u32, Option<crate::lifecycle::GiveUp>) {
    (t.state, t.attempts, t.gave_up)
}

/// Job by job, two runs of the same plan: jobs measured in both, those
/// that used the same number of attempts, and those that also ended the
/// same way (same final state, same give-up reason).
pub fn agreement(a: &[TaskRecord], b: &[TaskRecord], measure_from: u64) -> (u64, u64, u64) {
    let mut by_seq = std::collections::HashMap::with_capacity(b.len());
    for t in b {
        by_seq.insert(t.seq, t);
    }
    let (mut jobs, mut attempts, mut same) = (0, 0, 0);
    for t in a.iter().filter(|t| t.seq >= measure_from) {
        let Some(u) = by_seq.get(&t.seq) else {
            continue;
        };
        jobs += 1;
        attempts += u64::from(t.attempts == u.attempts);
        same += u64::from(outcome(t) == outcome(u));
    }
    (jobs, attempts, same)
}

/// Quantile `q` of `values` (the smallest value with at least a share `q`
/// at or below it); NaN when empty.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Figures of the completed tasks of `tasks` (in order of arrival) that
/// `which` selects, from sequence number `measure_from` on.
pub fn figures(tasks: &[TaskRecord], which: Which, measure_from: u64) -> Figures {
    let chosen: Vec<&TaskRecord> = tasks
        .iter()
        .filter(|t| t.state == TaskState::Completed && t.seq >= measure_from)
        .filter(|t| which.selects(t))
        .collect();
    let responses: Vec<f64> = chosen.iter().map(|t| t.response()).collect();
    let waits: Vec<f64> = chosen.iter().map(|t| t.wait()).collect();
    Figures {
        jobs: chosen.len() as u64,
        mean_wait: batch_estimate(&waits),
        mean_response: batch_estimate(&responses),
        p95_response: quantile(&responses, 0.95),
    }
}

/// The paired difference of response, `a − b`, task by task over the
/// tasks `which` selects (in `a`) from sequence number `measure_from` on
/// that completed in both runs: the number of pairs and the mean
/// difference with its 95% half-width by batch means over the pairs in
/// order of arrival (as [`figures`] treats one run). The same jobs run in
/// both, so the difference is free of the sampling noise the two means
/// share, and its interval is much narrower than theirs.
pub fn paired_response(
    a: &[TaskRecord],
    b: &[TaskRecord],
    which: Which,
    measure_from: u64,
) -> (u64, Estimate) {
    let mut by_seq = std::collections::HashMap::with_capacity(b.len());
    for t in b.iter().filter(|t| t.state == TaskState::Completed) {
        by_seq.insert(t.seq, t);
    }
    let mut chosen: Vec<&TaskRecord> = a
        .iter()
        .filter(|t| t.state == TaskState::Completed && t.seq >= measure_from)
        .filter(|t| which.selects(t))
        .collect();
    chosen.sort_by_key(|t| t.seq);
    let diffs: Vec<f64> = chosen
        .iter()
        .filter_map(|t| by_seq.get(&t.seq).map(|u| t.response() - u.response()))
        .collect();
    (diffs.len() as u64, batch_estimate(&diffs))
}

/// Mean of `values` (NaN when empty).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn paired_response_pairs_tasks_by_sequence_number() {
        let task = |seq: u64, arrival: f64, end: f64| TaskRecord {
            seq,
            class: 0,
            node: 0,
            state: TaskState::Completed,
            arrival,
            released: arrival,
            first_start: arrival,
            finish: end,
            served: 0.0,
            wasted_time: 0.0,
            wasted_work: 0.0,
            attempts: 1,
            slices: 1,
            preemptions: 0,
            failures: 0,
            timeouts: 0,
            killed: 0,
            gave_up: None,
            gave_up_at: f64::NAN,
        };
        // Responses 1..=40 in `a`, 0.5 less in `b` for every task but one,
        // plus a task of `b` that `a` does not have.
        let a: Vec<TaskRecord> = (0..40).map(|k| task(k, 0.0, (k + 1) as f64)).collect();
        let mut b: Vec<TaskRecord> = (0..40).map(|k| task(k, 0.0, k as f64 + 0.5)).collect();
        b[7].finish = 8.0 - 1.5;
        b.push(task(99, 0.0, 1000.0));
        let (pairs, d) = paired_response(&a, &b, Which::All, 0);
        assert_eq!(pairs, 40);
        assert!((d.mean - (39.0 * 0.5 + 1.5) / 40.0).abs() < 1e-12, "{d:?}");
        assert!(d.ci95.unwrap() > 0.0);
        // From sequence number 10 on: 30 pairs, each 0.5 apart exactly.
        let (pairs, d) = paired_response(&a, &b, Which::All, 10);
        assert_eq!(pairs, 30);
        assert!(
            (d.mean - 0.5).abs() < 1e-12 && d.ci95.unwrap() < 1e-12,
            "{d:?}"
        );
    }
    use super::*;

    #[test]
    fn quantile_is_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.95), 95.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn batch_means_of_constant_batches() {
        // Batches of alternating means 1 and 3: mean 2, a positive half-width.
        let v: Vec<f64> = (0..200)
            .map(|i| if (i / 10) % 2 == 0 { 1.0 } else { 3.0 })
            .collect();
        let e = batch_estimate(&v);
        assert!((e.mean - 2.0).abs() < 1e-12);
        // Means 1, 3, 1, 3, ...: s = sqrt(20/19), t_{0.975,19} = 2.093, h = t s / sqrt(20).
        let h = e.ci95.unwrap();
        assert!(
            (h - 2.093 * (20.0f64 / 19.0).sqrt() / 20f64.sqrt()).abs() < 1e-3,
            "{h}"
        );
        assert_eq!(batch_estimate(&[1.0]).ci95, None);
    }
}
