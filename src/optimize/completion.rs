//! Minimum total completion time on parallel nodes, as an assignment LP.
//!
//! On a node that runs jobs `j_1, ..., j_k` in this order, the job in the
//! `q`-th position from the end is counted in the completion time of `q`
//! jobs (itself and the `q − 1` after it), so
//! `Σ_j C_j = Σ_{nodes i} Σ_{q} q · p_{j(i,q), i}`. Minimising Σ C_j is
//! then the assignment of jobs to (node, position-from-end) slots,
//!
//! ```text
//! minimise Σ_{j,i,q} q p_ij y_jiq
//! Σ_{i,q} y_jiq = 1      for every job j
//! Σ_j y_jiq ≤ 1          for every slot (i, q)
//! y_jiq ≥ 0
//! ```
//!
//! whose constraint matrix is totally unimodular, so the LP has an
//! integral optimum (Horn 1973; Bruno, Coffman & Sethi 1974). This covers
//! identical, uniform (`p_ij = p_j / s_i`) and unrelated nodes, all jobs
//! released at time 0 (`R || Σ C_j`).

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};

/// An optimal schedule for Σ C_j.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionPlan {
    /// Σ C_j, recomputed from the sequences.
    pub total: f64,
    /// The jobs of each node in the order they run.
    pub sequences: Vec<Vec<usize>>,
}

/// Σ C_j of given sequences (`p[j][i]`: time of job `j` on node `i`).
pub fn total_of(p: &[Vec<f64>], sequences: &[Vec<usize>]) -> f64 {
    sequences
        .iter()
        .enumerate()
        .map(|(i, seq)| {
            let mut t = 0.0;
            seq.iter()
                .map(|&j| {
                    t += p[j][i];
                    t
                })
                .sum::<f64>()
        })
        .sum()
}

/// Solves the assignment LP (see the module documentation).
pub fn min_total_completion(p: &[Vec<f64>]) -> Result<CompletionPlan, String> {
    let n = p.len();
    let m = p.first().map_or(0, Vec::len);
    let mut vars = ProblemVariables::new();
    // y[j][i][q - 1]
    let y: Vec<Vec<Vec<Variable>>> = (0..n)
        .map(|_| {
            (0..m)
                .map(|_| {
                    (0..n)
                        .map(|_| vars.add(variable().min(0.0).max(1.0)))
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut objective = Expression::default();
    for (j, row) in y.iter().enumerate() {
        for (i, slots) in row.iter().enumerate() {
            for (q, &v) in slots.iter().enumerate() {
                objective.add_mul((q + 1) as f64 * p[j][i], v);
            }
        }
    }
    let mut problem = vars.minimise(objective).using(microlp);
    for row in &y {
        let e: Expression = row.iter().flatten().copied().sum();
        problem = problem.with(e.eq(1.0));
    }
    for i in 0..m {
        for q in 0..n {
            let e: Expression = y.iter().map(|row| row[i][q]).sum();
            problem = problem.with(e.leq(1.0));
        }
    }
    let solution = problem.solve().map_err(|e| e.to_string())?;
    // Slots of each node, from the last position backwards.
    let mut slots: Vec<Vec<(usize, usize)>> = vec![Vec::new(); m];
    for (j, row) in y.iter().enumerate() {
        let mut best = (0, 0, -1.0);
        for (i, s) in row.iter().enumerate() {
            for (q, &v) in s.iter().enumerate() {
                let value = solution.value(v);
                if value > best.2 {
                    best = (i, q, value);
                }
            }
        }
        if best.2 < 0.5 {
            return Err(format!("the LP solution is fractional for job {j}"));
        }
        slots[best.0].push((best.1, j));
    }
    let sequences: Vec<Vec<usize>> = slots
        .into_iter()
        .map(|mut s| {
            s.sort_by_key(|slot| std::cmp::Reverse(slot.0));
            s.into_iter().map(|(_, j)| j).collect()
        })
        .collect();
    Ok(CompletionPlan {
        total: total_of(p, &sequences),
        sequences,
    })
}

/// The optimum by trying all `m^n` assignments, each node in SPT order
/// (optimal for one machine, Smith 1956); for checking the LP.
pub fn brute_force(p: &[Vec<f64>]) -> f64 {
    let n = p.len();
    let m = p[0].len();
    let mut a = vec![0usize; n];
    let mut best = f64::INFINITY;
    loop {
        let mut seqs: Vec<Vec<usize>> = vec![Vec::new(); m];
        for (j, &i) in a.iter().enumerate() {
            seqs[i].push(j);
        }
        for (i, s) in seqs.iter_mut().enumerate() {
            s.sort_by(|&x, &y| p[x][i].total_cmp(&p[y][i]));
        }
        best = best.min(total_of(p, &seqs));
        let mut k = 0;
        while k < n {
            a[k] += 1;
            if a[k] < m {
                break;
            }
            a[k] = 0;
            k += 1;
        }
        if k == n {
            return best;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spt_round_robin_is_optimal_on_identical_nodes() {
        // Sizes 1..6 on 2 identical nodes: SPT dealt in turn gives
        // node 0: 1, 3, 5 (C = 1, 4, 9) and node 1: 2, 4, 6 (C = 2, 6, 12).
        let p: Vec<Vec<f64>> = (1..=6).map(|s| vec![s as f64; 2]).collect();
        let plan = min_total_completion(&p).unwrap();
        assert!((plan.total - 34.0).abs() < 1e-9, "{plan:?}");
        assert!((brute_force(&p) - 34.0).abs() < 1e-9);
    }
}
