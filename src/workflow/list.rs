//! Classic list heuristics other than HEFT and CPOP. None inserts into
//! idle gaps: a task is appended after the last task of its processor and
//! starts when both the processor and its data are ready.
//!
//! - `cp`, critical path first: ready tasks by decreasing static level
//!   `sl(i) = w̄_i + max_{j ∈ succ(i)} sl(j)` (mean computation only, no
//!   transfers), each to its earliest-finish processor; HLFET (Adam, Chandy
//!   & Dickson, CACM 17(12), 1974; Kwok & Ahmad, ACM Comput. Surv. 31(4),
//!   1999). `O(e·p + v log v)`.
//! - `fcfs`: ready tasks in release order (the time the last parent ends,
//!   ties in file order), each to the processor that is free first (ties in
//!   the listed order), as a dispatcher would do as tasks are released.
//!   Taking tasks by release time from the ready list gives the same order
//!   as the event-driven dispatcher: a task released earlier has all its
//!   ancestors released earlier still. `O(e + v·p + v log v)`.
//! - `min-min` and `max-min` (Ibarra & Kim, JACM 24(2), 1977; Braun et al.,
//!   JPDC 61(6), 2001): among the ready tasks, each with its least
//!   completion time over the processors, place the one whose least
//!   completion time is smallest (min-min) or largest (max-min) on that
//!   processor. Only the column of the processor just used changes, so a
//!   step costs `O(r·(p + d))` for `r` ready tasks of in-degree `d`.
//! - `random`: a ready task drawn uniformly, on a processor drawn
//!   uniformly (seeded).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::heft::by_priority;
use super::{Dag, Platform, Slot, UNPLACED, clearly_less, data_ready};

/// Appends task `i` on `p`: it starts when `p` and its data are ready.
fn append(
    dag: &Dag,
    platform: &Platform,
    avail: &[f64],
    slots: &[Slot],
    i: usize,
    p: usize,
) -> Slot {
    let start = avail[p].max(data_ready(dag, platform, slots, i, p));
    Slot {
        task: i,
        proc: p,
        start,
        end: start + platform.exec(dag, i, p),
    }
}

/// Static levels: the longest path of mean computation costs to an exit.
pub fn static_level(dag: &Dag, platform: &Platform) -> Vec<f64> {
    let mut level = vec![0.0; dag.len()];
    for &i in dag.topo.iter().rev() {
        let tail = dag.succ[i]
            .iter()
            .map(|&(j, _)| level[j])
            .fold(0.0, f64::max);
        level[i] = platform.mean_exec(dag, i) + tail;
    }
    level
}

/// Critical path first (HLFET).
pub fn critical_path_first(dag: &Dag, platform: &Platform) -> Vec<Slot> {
    let level = static_level(dag, platform);
    let mut avail = vec![0.0; platform.processors()];
    by_priority(dag, &level, |i, slots| {
        let mut best = append(dag, platform, &avail, slots, i, 0);
        for p in 1..platform.processors() {
            let s = append(dag, platform, &avail, slots, i, p);
            if clearly_less(s.end, best.end) {
                best = s;
            }
        }
        avail[best.proc] = best.end;
        best
    })
}

/// First come, first served on ready tasks.
pub fn fcfs(dag: &Dag, platform: &Platform) -> Vec<Slot> {
    let mut slots = vec![UNPLACED; dag.len()];
    let mut avail = vec![0.0; platform.processors()];
    let mut missing: Vec<usize> = dag.pred.iter().map(Vec::len).collect();
    // Min-heap on (release, file index); releases are non-negative, so
    // their bit patterns order as the numbers do.
    let mut ready: BinaryHeap<Reverse<(u64, usize)>> = (0..dag.len())
        .filter(|&i| missing[i] == 0)
        .map(|i| Reverse((0f64.to_bits(), i)))
        .collect();
    while let Some(Reverse((_, i))) = ready.pop() {
        let mut p = 0;
        for q in 1..avail.len() {
            if clearly_less(avail[q], avail[p]) {
                p = q;
            }
        }
        let s = append(dag, platform, &avail, &slots, i, p);
        avail[p] = s.end;
        slots[i] = s;
        for &(c, _) in &dag.succ[i] {
            missing[c] -= 1;
            if missing[c] == 0 {
                let release = dag.pred[c]
                    .iter()
                    .map(|&(q, _)| slots[q].end)
                    .fold(0.0, f64::max);
                ready.push(Reverse((release.to_bits(), c)));
            }
        }
    }
    slots
}

/// Min-min (`max = false`) or max-min (`max = true`).
pub fn min_min(dag: &Dag, platform: &Platform, max: bool) -> Vec<Slot> {
    let np = platform.processors();
    let mut slots = vec![UNPLACED; dag.len()];
    let mut avail = vec![0.0; np];
    let mut missing: Vec<usize> = dag.pred.iter().map(Vec::len).collect();
    // Ready tasks in file order with their completion time on every processor.
    let mut ready: Vec<(usize, Vec<f64>)> = Vec::new();
    let full = |i: usize, avail: &[f64], slots: &[Slot]| -> Vec<f64> {
        (0..np)
            .map(|p| append(dag, platform, avail, slots, i, p).end)
            .collect()
    };
    for i in (0..dag.len()).filter(|&i| missing[i] == 0) {
        ready.push((i, full(i, &avail, &slots)));
    }
    let least = |row: &[f64]| -> (f64, usize) {
        let mut best = 0;
        for p in 1..row.len() {
            if clearly_less(row[p], row[best]) {
                best = p;
            }
        }
        (row[best], best)
    };
    while !ready.is_empty() {
        let mut pick = 0;
        let mut pick_ct = least(&ready[0].1);
        for (k, (_, row)) in ready.iter().enumerate().skip(1) {
            let ct = least(row);
            let better = if max {
                clearly_less(pick_ct.0, ct.0)
            } else {
                clearly_less(ct.0, pick_ct.0)
            };
            // Only a clearly better task replaces the pick, and `ready` is in
            // file order: among equal times the task first in the file wins.
            if better {
                pick = k;
                pick_ct = ct;
            }
        }
        let (i, _) = ready.remove(pick);
        let p = pick_ct.1;
        let s = append(dag, platform, &avail, &slots, i, p);
        avail[p] = s.end;
        slots[i] = s;
        for (t, row) in &mut ready {
            row[p] = append(dag, platform, &avail, &slots, *t, p).end;
        }
        for &(c, _) in &dag.succ[i] {
            missing[c] -= 1;
            if missing[c] == 0 {
                let row = full(c, &avail, &slots);
                let at = ready.partition_point(|(t, _)| *t < c);
                ready.insert(at, (c, row));
            }
        }
    }
    slots
}

/// A random ready task on a random processor.
pub fn random(dag: &Dag, platform: &Platform, seed: u64) -> Vec<Slot> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut slots = vec![UNPLACED; dag.len()];
    let mut avail = vec![0.0; platform.processors()];
    let mut missing: Vec<usize> = dag.pred.iter().map(Vec::len).collect();
    let mut ready: Vec<usize> = (0..dag.len()).filter(|&i| missing[i] == 0).collect();
    while !ready.is_empty() {
        let i = ready.swap_remove(rng.random_range(0..ready.len()));
        let p = rng.random_range(0..platform.processors());
        let s = append(dag, platform, &avail, &slots, i, p);
        avail[p] = s.end;
        slots[i] = s;
        for &(c, _) in &dag.succ[i] {
            missing[c] -= 1;
            if missing[c] == 0 {
                ready.push(c);
            }
        }
    }
    slots
}
