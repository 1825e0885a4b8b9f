//! Lower bounds on the makespan of any schedule.
//!
//! - Critical path: the longest path of the graph where each task counts
//!   its least time over the processors (`w(i, p)` at the fastest speed),
//!   transfers excluded (a schedule may keep a whole path on one node).
//! - Total work: every processor is busy at most the makespan, so
//!   `C ≥ Σ_i work_i / Σ_p speed_p` on uniform processors; with a cost
//!   matrix, `C ≥ Σ_i min_p w(i, p) / P`.
//!
//! The gap of a schedule is `makespan / max(bounds) - 1`. `O(v·p + e)`.

use super::{Dag, Platform};

/// The two lower bounds, and the path that gives the first.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    pub critical_path: f64,
    pub total_work: f64,
    /// Tasks of a longest path at the fastest times, entry first.
    pub path: Vec<usize>,
}

impl Bounds {
    /// The larger bound.
    pub fn best(&self) -> f64 {
        self.critical_path.max(self.total_work)
    }

    /// `makespan / best - 1` (0 when the bound is 0 and so is the makespan).
    pub fn gap(&self, makespan: f64) -> f64 {
        let b = self.best();
        if b > 0.0 {
            makespan / b - 1.0
        } else if makespan > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    }
}

pub fn bounds(dag: &Dag, platform: &Platform) -> Bounds {
    let n = dag.len();
    let fastest: Vec<f64> = (0..n).map(|i| platform.fastest(dag, i)).collect();
    // Longest path ending at each task, and the parent it comes through.
    let mut finish = vec![0.0; n];
    let mut via = vec![usize::MAX; n];
    for &i in &dag.topo {
        let mut start = 0.0;
        for &(q, _) in &dag.pred[i] {
            if finish[q] > start || (finish[q] == start && via[i] == usize::MAX) {
                start = finish[q];
                via[i] = q;
            }
        }
        finish[i] = start + fastest[i];
    }
    let mut last = 0;
    for i in 1..n {
        if finish[i] > finish[last] {
            last = i;
        }
    }
    let mut path = vec![last];
    while via[*path.last().expect("non-empty")] != usize::MAX {
        path.push(via[*path.last().expect("non-empty")]);
    }
    path.reverse();
    let total_work = match &platform.costs {
        Some(_) => fastest.iter().sum::<f64>() / platform.processors() as f64,
        None => dag.work.iter().sum::<f64>() / platform.speeds.iter().sum::<f64>(),
    };
    Bounds {
        critical_path: finish[last],
        total_work,
        path,
    }
}
