//! The optimal makespan of a small workflow by a disjunctive (big-M) MILP,
//! solved by good_lp's pure-Rust `microlp` backend.
//!
//! With `x_ip = 1` when task `i` runs on processor `p`, `s_i` its start,
//! `w_ip` its time there, `c_e = L + data_e / B` the transfer of edge `e`,
//! `X_ig = Σ_{p ∈ node g} x_ip`, `u_eg ≤ X_qg, X_ig` (1 only when both ends
//! of edge `e = (q, i)` are on node `g`), and `o_ij = 1` when `i` runs
//! before `j` on a shared processor:
//!
//! ```text
//! minimise C
//! Σ_p x_ip = 1                                            every task i
//! C ≥ s_i + Σ_p w_ip x_ip                                 every task i
//! s_i ≥ s_q + Σ_p w_qp x_qp + c_e (1 - Σ_g u_eg)          every edge e = (q, i)
//! s_j ≥ s_i + w_ip - M_p (1 - o_ij) - M_p (2 - x_ip - x_jp)   every processor p and
//! s_i ≥ s_j + w_jp - M_p o_ij - M_p (2 - x_ip - x_jp)         unrelated pair i < j
//! x, o ∈ {0, 1}, 0 ≤ u ≤ 1, 0 ≤ s_i ≤ H, LB ≤ C ≤ H
//! ```
//!
//! (Manne 1960's disjunctive formulation, with processor assignment as in
//! Davidović et al., "Mathematical programming-based approach to scheduling
//! of communicating tasks", 2004). `H` is the best heuristic's makespan
//! (the warm start and upper bound), `LB` the larger of the lower bounds,
//! `M_p = H + max_i w_ip`. Pairs where one task descends from the other
//! need no order variable: precedence already separates them. When all
//! processors are interchangeable the first task is put on the first one.
//! Times are divided by `H` so the solver's absolute tolerances fit.
//!
//! The solution's assignment and per-processor order are replayed
//! ([`super::replay`]) so the reported makespan is exact. The model has
//! `O(v·p + v²)` variables and `O(v²·p)` constraints: it is for small
//! graphs ([`MAX_TASKS`]).

use std::time::Instant;

use good_lp::{
    Expression, ProblemVariables, Solution, SolutionStatus, SolverModel, Variable,
    WithInitialSolution, WithTimeLimit, microlp, variable,
};

use super::bounds::Bounds;
use super::replay::replay;
use super::{Dag, Platform, Schedule, Slot};

/// The largest graph `--optimal` takes (unless `--no-limits`).
pub const MAX_TASKS: usize = 15;

/// What the MILP found.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimum {
    pub schedule: Schedule,
    pub makespan: f64,
    /// Proven optimal (false: the time limit stopped the search).
    pub proven: bool,
    /// `makespan / LB - 1` when not proven, 0 when proven.
    pub gap: f64,
    pub seconds: f64,
}

/// Whether all processors are interchangeable (same times, and either
/// all on one node or each on its own).
fn symmetric(dag: &Dag, platform: &Platform) -> bool {
    let np = platform.processors();
    let same_times = (0..dag.len()).all(|i| {
        let w = platform.exec(dag, i, 0);
        (1..np).all(|p| platform.exec(dag, i, p) == w)
    });
    let nodes = platform.nodes();
    same_times && (nodes == 1 || nodes == np)
}

/// The optimum, starting from `incumbent` (a feasible plan, the best
/// heuristic's), within `time_limit` seconds.
pub fn solve(
    dag: &Dag,
    platform: &Platform,
    incumbent: &Schedule,
    bounds: &Bounds,
    time_limit: f64,
) -> Result<Optimum, String> {
    let started = Instant::now();
    let h = incumbent.makespan();
    let lb = bounds.best();
    let not_better = |proven: bool| Optimum {
        schedule: Schedule {
            policy: "optimal".into(),
            slots: incumbent.slots.clone(),
        },
        makespan: h,
        proven,
        gap: if proven { 0.0 } else { bounds.gap(h) },
        seconds: started.elapsed().as_secs_f64(),
    };
    if h <= lb * (1.0 + 1e-9) + 1e-12 || h <= 0.0 {
        return Ok(not_better(true));
    }
    let (n, np) = (dag.len(), platform.processors());
    let scale = h;
    let w = |i: usize, p: usize| platform.exec(dag, i, p) / scale;
    let mut vars = ProblemVariables::new();
    let cmax = vars.add(variable().min(lb / scale).max(1.0));
    let x: Vec<Vec<Variable>> = (0..n)
        .map(|_| (0..np).map(|_| vars.add(variable().binary())).collect())
        .collect();
    let s: Vec<Variable> = (0..n)
        .map(|_| vars.add(variable().min(0.0).max(1.0)))
        .collect();
    let mut cons = Vec::new();
    let dur = |i: usize| -> Expression {
        let mut e = Expression::default();
        for (p, &v) in x[i].iter().enumerate() {
            e.add_mul(w(i, p), v);
        }
        e
    };
    for i in 0..n {
        let row: Expression = x[i].iter().copied().sum();
        cons.push(row.eq(1.0));
        let mut e = dur(i);
        e.add_mul(1.0, s[i]);
        e.add_mul(-1.0, cmax);
        cons.push(e.leq(0.0));
    }
    if symmetric(dag, platform) {
        cons.push(Expression::from_other_affine(x[dag.topo[0]][0]).eq(1.0));
    }
    let nodes = platform.nodes();
    let mut members = vec![Vec::new(); nodes];
    for p in 0..np {
        members[platform.node_of[p]].push(p);
    }
    // (edge's child, group, variable) for the warm start.
    let mut shared: Vec<(usize, usize, usize, Variable)> = Vec::new();
    for i in 0..n {
        for &(q, bytes) in &dag.pred[i] {
            let c = if nodes > 1 {
                platform.transfer(bytes) / scale
            } else {
                0.0
            };
            // s_q + dur_q + c (1 - Σ_g u_g) - s_i ≤ 0
            let mut e = dur(q);
            e.add_mul(1.0, s[q]);
            e.add_mul(-1.0, s[i]);
            if c > 0.0 {
                for (g, procs) in members.iter().enumerate() {
                    let u = vars.add(variable().min(0.0).max(1.0));
                    for task in [q, i] {
                        let mut side = Expression::from_other_affine(u);
                        for &p in procs {
                            side.add_mul(-1.0, x[task][p]);
                        }
                        cons.push(side.leq(0.0));
                    }
                    e.add_mul(-c, u);
                    shared.push((q, i, g, u));
                }
            }
            cons.push(e.leq(-c));
        }
    }
    let reach = dag.descendants();
    let big: Vec<f64> = (0..np)
        .map(|p| 1.0 + (0..n).map(|i| w(i, p)).fold(0.0, f64::max))
        .collect();
    let mut order: Vec<(usize, usize, Variable)> = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if reach[i][j] || reach[j][i] {
                continue;
            }
            let o = vars.add(variable().binary());
            order.push((i, j, o));
            for p in 0..np {
                let m = big[p];
                // s_i + w_ip - s_j - M(1 - o) - M(2 - x_ip - x_jp) ≤ 0
                let mut a = Expression::default();
                a.add_mul(1.0, s[i]);
                a.add_mul(-1.0, s[j]);
                a.add_mul(m, o);
                a.add_mul(m, x[i][p]);
                a.add_mul(m, x[j][p]);
                cons.push(a.leq(3.0 * m - w(i, p)));
                // s_j + w_jp - s_i - M o - M(2 - x_ip - x_jp) ≤ 0
                let mut b = Expression::default();
                b.add_mul(1.0, s[j]);
                b.add_mul(-1.0, s[i]);
                b.add_mul(-m, o);
                b.add_mul(m, x[i][p]);
                b.add_mul(m, x[j][p]);
                cons.push(b.leq(2.0 * m - w(j, p)));
            }
        }
    }
    // Warm start from the incumbent (canonical processor order if symmetric).
    let mut plan = incumbent.slots.clone();
    if symmetric(dag, platform) {
        let first = plan[dag.topo[0]].proc;
        for sl in &mut plan {
            if sl.proc == first {
                sl.proc = 0;
            } else if sl.proc == 0 {
                sl.proc = first;
            }
        }
    }
    let mut start = vec![(cmax, 1.0)];
    for i in 0..n {
        start.push((s[i], plan[i].start / scale));
        for (p, &v) in x[i].iter().enumerate() {
            start.push((v, if plan[i].proc == p { 1.0 } else { 0.0 }));
        }
    }
    for &(q, i, g, u) in &shared {
        let both = platform.node_of[plan[q].proc] == g && platform.node_of[plan[i].proc] == g;
        start.push((u, if both { 1.0 } else { 0.0 }));
    }
    for &(i, j, o) in &order {
        let before = (plan[i].start, plan[i].end) <= (plan[j].start, plan[j].end);
        start.push((o, if before { 1.0 } else { 0.0 }));
    }
    let mut problem = vars
        .minimise(cmax)
        .using(microlp)
        .with_time_limit(time_limit)
        .with_initial_solution(start);
    for c in cons {
        problem = problem.with(c);
    }
    match problem.solve() {
        Ok(solution) => {
            let proven = matches!(solution.status(), SolutionStatus::Optimal);
            let slots: Vec<Slot> = (0..n)
                .map(|i| {
                    let proc = (0..np)
                        .max_by(|&a, &b| {
                            solution
                                .value(x[i][a])
                                .total_cmp(&solution.value(x[i][b]))
                                .then(b.cmp(&a))
                        })
                        .unwrap_or(0);
                    let st = solution.value(s[i]).max(0.0) * scale;
                    Slot {
                        task: i,
                        proc,
                        start: st,
                        end: st + platform.exec(dag, i, proc),
                    }
                })
                .collect();
            let found = Schedule {
                policy: "optimal".into(),
                slots,
            };
            let exact = Schedule {
                policy: "optimal".into(),
                slots: replay(dag, platform, &found, &vec![1.0; n]),
            };
            let m = exact.makespan();
            if m > h * (1.0 + 1e-9) {
                return Ok(not_better(proven));
            }
            Ok(Optimum {
                makespan: m,
                proven,
                gap: if proven { 0.0 } else { bounds.gap(m) },
                schedule: exact,
                seconds: started.elapsed().as_secs_f64(),
            })
        }
        Err(e) => {
            if started.elapsed().as_secs_f64() >= time_limit * 0.99 {
                Ok(not_better(false))
            } else {
                Err(e.to_string())
            }
        }
    }
}

/// The optimum by enumeration, for checking the MILP on tiny graphs: every
/// order in which tasks may start (a linear extension) and every processor
/// of each, each task appended as early as its processor and data allow,
/// pruned at the best makespan so far. Any schedule sorted by start times
/// is one of these, and appending never starts a task later than it did.
pub fn brute_force(dag: &Dag, platform: &Platform) -> f64 {
    struct State<'a> {
        dag: &'a Dag,
        platform: &'a Platform,
        slots: Vec<Slot>,
        avail: Vec<f64>,
        missing: Vec<usize>,
        placed: usize,
        best: f64,
    }
    fn go(st: &mut State<'_>, span: f64) {
        let n = st.dag.len();
        if st.placed == n {
            st.best = st.best.min(span);
            return;
        }
        for i in 0..n {
            if st.missing[i] != 0 || st.slots[i].task != usize::MAX {
                continue;
            }
            for p in 0..st.platform.processors() {
                let ready = super::data_ready(st.dag, st.platform, &st.slots, i, p);
                let start = ready.max(st.avail[p]);
                let end = start + st.platform.exec(st.dag, i, p);
                if end.max(span) >= st.best {
                    continue;
                }
                let saved = st.avail[p];
                st.slots[i] = Slot {
                    task: i,
                    proc: p,
                    start,
                    end,
                };
                st.avail[p] = end;
                st.placed += 1;
                for &(c, _) in &st.dag.succ[i] {
                    st.missing[c] -= 1;
                }
                go(st, span.max(end));
                for &(c, _) in &st.dag.succ[i] {
                    st.missing[c] += 1;
                }
                st.placed -= 1;
                st.avail[p] = saved;
                st.slots[i] = super::UNPLACED;
            }
        }
    }
    let mut st = State {
        dag,
        platform,
        slots: vec![super::UNPLACED; dag.len()],
        avail: vec![0.0; platform.processors()],
        missing: dag.pred.iter().map(Vec::len).collect(),
        placed: 0,
        best: f64::INFINITY,
    };
    go(&mut st, 0.0);
    st.best
}
