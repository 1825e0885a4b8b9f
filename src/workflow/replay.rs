//! A plan replayed with other task times: each processor keeps the plan's
//! tasks in the plan's order, and a task starts as soon as its processor
//! is free and its parents' data has arrived. Replayed with the planned
//! times, it gives back the plan of every heuristic here (each starts a
//! task as early as its processor's order and its data allow).
//!
//! With `--replications R --task-scv S` the actual time of task `i` is its
//! planned time times a gamma factor of mean 1 and squared coefficient of
//! variation `S` (shape `1/S`, scale `S`), drawn once per replication and
//! task from a generator seeded by `(seed, replication)`: every policy sees
//! the same draws (common random numbers), so their differences are paired.

use rand::SeedableRng;
use rand_distr::{Distribution, Gamma};
use rand_pcg::Pcg64Mcg;

use super::{Dag, Platform, Schedule, Slot};

/// The makespan of `plan` when task `i` takes `factor[i]` times its time.
pub fn replay(dag: &Dag, platform: &Platform, plan: &Schedule, factor: &[f64]) -> Vec<Slot> {
    let n = dag.len();
    let orders = plan.orders(dag, platform.processors());
    let mut next_on = vec![usize::MAX; n];
    let mut has_prev = vec![false; n];
    for o in &orders {
        for w in o.windows(2) {
            next_on[w[0]] = w[1];
            has_prev[w[1]] = true;
        }
    }
    let mut missing: Vec<usize> = (0..n)
        .map(|i| dag.pred[i].len() + usize::from(has_prev[i]))
        .collect();
    let mut free = vec![0.0f64; platform.processors()];
    let mut slots = plan.slots.clone();
    let mut stack: Vec<usize> = (0..n).filter(|&i| missing[i] == 0).collect();
    // The plan's orders and the graph together are acyclic (both go forward
    // in the plan's time), so every task is reached.
    while let Some(i) = stack.pop() {
        let p = plan.slots[i].proc;
        let ready = super::data_ready(dag, platform, &slots, i, p);
        let start = ready.max(free[p]);
        let end = start + platform.exec(dag, i, p) * factor[i];
        slots[i] = Slot {
            task: i,
            proc: p,
            start,
            end,
        };
        free[p] = end;
        let mut release = |c: usize, stack: &mut Vec<usize>| {
            missing[c] -= 1;
            if missing[c] == 0 {
                stack.push(c);
            }
        };
        for &(c, _) in &dag.succ[i] {
            release(c, &mut stack);
        }
        if next_on[i] != usize::MAX {
            release(next_on[i], &mut stack);
        }
    }
    slots
}

/// The makespan of a replay.
pub fn replay_makespan(dag: &Dag, platform: &Platform, plan: &Schedule, factor: &[f64]) -> f64 {
    replay(dag, platform, plan, factor)
        .iter()
        .map(|s| s.end)
        .fold(0.0, f64::max)
}

/// The factors of replication `r`: gamma of mean 1 and scv `scv` (all 1
/// when `scv` is 0).
pub fn factors(n: usize, scv: f64, seed: u64, r: u64) -> Vec<f64> {
    if scv <= 0.0 {
        return vec![1.0; n];
    }
    // Distinct streams per replication, whatever the number of threads.
    let mut rng =
        Pcg64Mcg::seed_from_u64(seed ^ r.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let g = Gamma::new(1.0 / scv, scv).expect("shape and scale are positive");
    (0..n).map(|_| g.sample(&mut rng)).collect()
}

/// Makespans of each plan over `replications` replications: `out[k][r]`.
pub fn replicate(
    dag: &Dag,
    platform: &Platform,
    plans: &[Schedule],
    replications: u64,
    scv: f64,
    seed: u64,
) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::with_capacity(replications as usize); plans.len()];
    for r in 0..replications {
        let f = factors(dag.len(), scv, seed, r);
        for (k, plan) in plans.iter().enumerate() {
            out[k].push(replay_makespan(dag, platform, plan, &f));
        }
    }
    out
}
