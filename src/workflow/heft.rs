//! HEFT and CPOP: Topcuoglu, Hariri & Wu, "Performance-effective and
//! low-complexity task scheduling for heterogeneous computing", IEEE
//! Transactions on Parallel and Distributed Systems 13(3), 2002, 260-274.
//!
//! Both rank tasks with mean costs over the processors: `w̄_i = Σ_p
//! w(i, p) / P` and, for an edge, `c̄_ij = L + data_ij / B` (the cost
//! between two nodes; see [`Platform::mean_comm`]).
//!
//! - Upward rank: `rank_u(i) = w̄_i + max_{j ∈ succ(i)} (c̄_ij + rank_u(j))`
//!   (`w̄_i` at an exit task).
//! - Downward rank: `rank_d(i) = max_{j ∈ pred(i)} (rank_d(j) + w̄_j + c̄_ji)`
//!   (0 at an entry task).
//! - HEFT takes tasks by decreasing `rank_u` and puts each on the processor
//!   of earliest finish time, inserting it in the first idle gap that is
//!   long enough after its data is ready (insertion-based EFT).
//! - CPOP's priority is `rank_u + rank_d`; the critical path (CP) starts at
//!   the entry task and follows, at each step, a child of equal priority
//!   `|CP|`; the CP processor minimises the CP's total computation
//!   `Σ_{i ∈ CP} w(i, p)`. Ready tasks go by decreasing priority: a CP task
//!   to the CP processor, any other to its earliest-finish processor (both
//!   insertion-based).
//!
//! Tasks are taken from a ready list (a task whose parents are placed) by
//! priority, ties in file order. For HEFT this is the paper's sorted list
//! (a child's `rank_u` is below its parent's whenever work or transfers
//! are positive), and it stays topological when zero-cost tasks tie.
//!
//! Complexity: ranks in `O(e)`, placement in `O(e·p + v·p·g)` where `g` is
//! the number of busy intervals scanned on a processor for a gap (at most
//! `v / p` on average), so `O(v²·p)` at worst, as in the paper, plus
//! `O(v log v)` for the ready list.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Dag, Platform, Ready, Slot, UNPLACED, clearly_less, data_ready};
use crate::order::Total;

/// One processor's busy intervals, sorted by start, for insertion.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    busy: Vec<(f64, f64)>,
}

impl Timeline {
    /// The earliest start `≥ ready` of a task of length `len` that fits in
    /// an idle gap (or after the last interval).
    pub fn earliest(&self, ready: f64, len: f64) -> f64 {
        // Ends are sorted too (the intervals do not overlap).
        let k = self.busy.partition_point(|iv| iv.1 <= ready);
        let mut t = ready;
        for &(s, e) in &self.busy[k..] {
            if t + len <= s {
                return t;
            }
            t = t.max(e);
        }
        t
    }

    pub fn insert(&mut self, start: f64, end: f64) {
        let k = self
            .busy
            .partition_point(|iv| iv.0 < start || (iv.0 == start && iv.1 <= end));
        self.busy.insert(k, (start, end));
    }

    /// When the last interval ends.
    pub fn end(&self) -> f64 {
        self.busy.last().map_or(0.0, |iv| iv.1)
    }
}

/// `rank_u` of every task.
pub fn upward_rank(dag: &Dag, platform: &Platform) -> Vec<f64> {
    let mut rank = vec![0.0; dag.len()];
    for &i in dag.topo.iter().rev() {
        let tail = dag.succ[i]
            .iter()
            .map(|&(j, bytes)| platform.mean_comm(bytes) + rank[j])
            .fold(0.0, f64::max);
        rank[i] = platform.mean_exec(dag, i) + tail;
    }
    rank
}

/// `rank_d` of every task.
pub fn downward_rank(dag: &Dag, platform: &Platform) -> Vec<f64> {
    let mean: Vec<f64> = (0..dag.len()).map(|i| platform.mean_exec(dag, i)).collect();
    let mut rank = vec![0.0; dag.len()];
    for &i in &dag.topo {
        rank[i] = dag.pred[i]
            .iter()
            .map(|&(j, bytes)| rank[j] + mean[j] + platform.mean_comm(bytes))
            .fold(0.0, f64::max);
    }
    rank
}

/// Runs a list schedule: ready tasks by decreasing `key` (ties in file
/// order), each placed by `place`, which returns its slot.
pub(crate) fn by_priority(
    dag: &Dag,
    key: &[f64],
    mut place: impl FnMut(usize, &[Slot]) -> Slot,
) -> Vec<Slot> {
    let mut slots = vec![UNPLACED; dag.len()];
    let mut missing: Vec<usize> = dag.pred.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Ready> = (0..dag.len())
        .filter(|&i| missing[i] == 0)
        .map(|task| Ready {
            key: Total(key[task]),
            task: Reverse(task),
        })
        .collect();
    while let Some(Ready {
        task: Reverse(task),
        ..
    }) = ready.pop()
    {
        slots[task] = place(task, &slots);
        for &(c, _) in &dag.succ[task] {
            missing[c] -= 1;
            if missing[c] == 0 {
                ready.push(Ready {
                    key: Total(key[c]),
                    task: Reverse(c),
                });
            }
        }
    }
    slots
}

/// Insertion-based earliest finish of task `i` on processor `p`.
fn eft_on(
    dag: &Dag,
    platform: &Platform,
    lines: &[Timeline],
    slots: &[Slot],
    i: usize,
    p: usize,
) -> Slot {
    let w = platform.exec(dag, i, p);
    let start = lines[p].earliest(data_ready(dag, platform, slots, i, p), w);
    Slot {
        task: i,
        proc: p,
        start,
        end: start + w,
    }
}

/// The processor of earliest finish (the first listed among equals).
fn best_eft(dag: &Dag, platform: &Platform, lines: &[Timeline], slots: &[Slot], i: usize) -> Slot {
    let mut best = eft_on(dag, platform, lines, slots, i, 0);
    for p in 1..platform.processors() {
        let s = eft_on(dag, platform, lines, slots, i, p);
        if clearly_less(s.end, best.end) {
            best = s;
        }
    }
    best
}

/// HEFT's plan.
pub fn heft(dag: &Dag, platform: &Platform) -> Vec<Slot> {
    let rank = upward_rank(dag, platform);
    let mut lines = vec![Timeline::default(); platform.processors()];
    by_priority(dag, &rank, |i, slots| {
        let s = best_eft(dag, platform, &lines, slots, i);
        lines[s.proc].insert(s.start, s.end);
        s
    })
}

/// CPOP's critical path (tasks in path order) and its processor.
pub fn cpop_critical_path(dag: &Dag, platform: &Platform) -> (Vec<usize>, usize) {
    let up = upward_rank(dag, platform);
    let down = downward_rank(dag, platform);
    let prio: Vec<f64> = up.iter().zip(&down).map(|(u, d)| u + d).collect();
    let entry = (0..dag.len())
        .filter(|&i| dag.pred[i].is_empty())
        .fold(None, |best: Option<usize>, i| match best {
            Some(b) if !clearly_less(prio[b], prio[i]) => Some(b),
            _ => Some(i),
        })
        .expect("a DAG has an entry task");
    let cp = prio[entry];
    let same = |x: f64| (x - cp).abs() <= 1e-9 * cp.abs().max(1.0);
    let mut path = vec![entry];
    let mut k = entry;
    while let Some(&(j, _)) = dag.succ[k]
        .iter()
        .filter(|&&(j, _)| same(prio[j]))
        .min_by_key(|&&(j, _)| j)
    {
        path.push(j);
        k = j;
    }
    let total = |p: usize| path.iter().map(|&i| platform.exec(dag, i, p)).sum::<f64>();
    let mut proc = 0;
    for p in 1..platform.processors() {
        if clearly_less(total(p), total(proc)) {
            proc = p;
        }
    }
    (path, proc)
}

/// CPOP's plan.
pub fn cpop(dag: &Dag, platform: &Platform) -> Vec<Slot> {
    let up = upward_rank(dag, platform);
    let down = downward_rank(dag, platform);
    let prio: Vec<f64> = up.iter().zip(&down).map(|(u, d)| u + d).collect();
    let (path, cp_proc) = cpop_critical_path(dag, platform);
    let mut on_cp = vec![false; dag.len()];
    for &i in &path {
        on_cp[i] = true;
    }
    let mut lines = vec![Timeline::default(); platform.processors()];
    by_priority(dag, &prio, |i, slots| {
        let s = if on_cp[i] {
            eft_on(dag, platform, &lines, slots, i, cp_proc)
        } else {
            best_eft(dag, platform, &lines, slots, i)
        };
        lines[s.proc].insert(s.start, s.end);
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insertion_finds_the_first_gap_that_fits() {
        let mut t = Timeline::default();
        t.insert(0.0, 2.0);
        t.insert(5.0, 6.0);
        t.insert(6.0, 9.0);
        assert_eq!(t.earliest(0.0, 3.0), 2.0);
        assert_eq!(t.earliest(1.0, 3.5), 9.0);
        assert_eq!(t.earliest(3.0, 2.0), 3.0);
        assert_eq!(t.earliest(10.0, 1.0), 10.0);
        assert_eq!(t.end(), 9.0);
    }
}
