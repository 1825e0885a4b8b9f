//! The optimal makespan of a batch of jobs on parallel nodes, by integer
//! programming, its LP relaxation, and list heuristics: run through the
//! engine on uniform nodes, computed directly on unrelated nodes (the
//! engine models a node as a speed, not as a time per job).
//!
//! Nodes are uniform (`p_ij = size_j / speed_i`, problem `Q | r_j | C_max`)
//! or unrelated (`p_ij` given, `R | r_j | C_max`). Once jobs are assigned,
//! each node runs its jobs in order of release (ERD), which minimises a
//! single machine's makespan; node `i` then finishes at
//! `max over ρ of (ρ + Σ_{j on i, r_j ≥ ρ} p_ij)`, ρ ranging over the
//! release dates (every job released at ρ or later runs after ρ). Hence
//! the MILP, with `x_ij = 1` when job `j` runs on node `i`:
//!
//! ```text
//! minimise C
//! Σ_i x_ij = 1                                   for every job j
//! C ≥ ρ + Σ_{j: r_j ≥ ρ} p_ij x_ij               for every node i, release date ρ
//! C ≥ r_j + min_i p_ij                           for every job j
//! x_ij ∈ {0, 1}
//! ```
//!
//! (without release dates: `C ≥ Σ_j p_ij x_ij`, Graham et al. 1979's
//! `R||C_max` formulation; Lenstra, Shmoys & Tardos 1990). Symmetry
//! breaking: nodes with identical columns `p_·i` are interchangeable, so
//! with jobs taken in decreasing size, the `k`-th job may only use the
//! first `k + 1` nodes of each such group. The best heuristic schedule is
//! a warm start and an upper bound; with a time limit the solver returns
//! its best solution, and the gap is measured against the LP bound.

use std::time::Instant;

use good_lp::{
    Expression, ProblemVariables, Solution, SolutionStatus, SolverModel, Variable,
    WithInitialSolution, WithTimeLimit, microlp, variable,
};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::dispatch::{Dispatcher, Rule};
use crate::engine::{Observer, Simulation};
use crate::error::FieldError;
use crate::job::Job;
use crate::model::{Class, Dist, Limit, Node, Scenario};
use crate::policy::{AnyPolicy, PolicyConfig, PolicyContext};
use crate::workload::{Arrival, FixedWorkload};

/// A batch of jobs on parallel nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// `p[j][i]`: time job `j` takes on node `i`.
    pub p: Vec<Vec<f64>>,
    pub release: Vec<f64>,
    /// Sizes and speeds when the nodes are uniform (`p_ij = size_j / speed_i`);
    /// `None` for unrelated nodes.
    pub uniform: Option<(Vec<f64>, Vec<f64>)>,
}

impl Instance {
    /// Uniform nodes; speeds must be positive and finite.
    pub fn uniform(sizes: &[f64], speeds: &[f64], release: &[f64]) -> Result<Instance, FieldError> {
        if speeds.is_empty() {
            return Err(FieldError::new("--nodes", "0", "needs at least 1 node"));
        }
        if let Some(s) = speeds.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(FieldError::new(
                "--speeds",
                s.to_string(),
                "every speed must be a finite number greater than 0",
            ));
        }
        check_jobs(sizes.len())?;
        let p: Vec<Vec<f64>> = sizes
            .iter()
            .map(|s| speeds.iter().map(|v| s / v).collect())
            .collect();
        check_times(&p, release, "sizes / --speeds")?;
        Ok(Instance {
            p,
            release: release.to_vec(),
            uniform: Some((sizes.to_vec(), speeds.to_vec())),
        })
    }

    /// Unrelated nodes: `p[j][i]` given.
    pub fn unrelated(p: Vec<Vec<f64>>, release: &[f64]) -> Result<Instance, FieldError> {
        check_jobs(p.len())?;
        check_times(&p, release, "times")?;
        Ok(Instance {
            p,
            release: release.to_vec(),
            uniform: None,
        })
    }

    pub fn jobs(&self) -> usize {
        self.p.len()
    }

    pub fn nodes(&self) -> usize {
        self.p[0].len()
    }
}

/// Refuses times whose serial schedule (every job's longest time added
/// up, after the latest release) is not a finite number: the LP's
/// coefficients would be infinite, and its solver asserts they are not
/// (`sizes 1e300 --speeds 1e-100,1` panicked).
fn check_times(p: &[Vec<f64>], release: &[f64], what: &str) -> Result<(), FieldError> {
    let longest = |row: &Vec<f64>| row.iter().copied().fold(0.0, f64::max);
    let serial = p.iter().map(longest).sum::<f64>() + release.iter().copied().fold(0.0, f64::max);
    if serial.is_finite() {
        return Ok(());
    }
    Err(FieldError::new(
        "jobs",
        what,
        "the processing times add up beyond floating point (their sum is not a finite \
         number): scale the sizes or the speeds",
    ))
}

fn check_jobs(n: usize) -> Result<(), FieldError> {
    if n == 0 {
        return Err(FieldError::new("jobs", "0", "the job list has no jobs"));
    }
    Ok(())
}

/// The makespan of an assignment, each node running its jobs in order of
/// release (ERD, optimal for one machine's makespan).
pub fn makespan_of(inst: &Instance, assignment: &[usize]) -> f64 {
    node_ends(inst, assignment).into_iter().fold(0.0, f64::max)
}

/// The order each node runs its jobs in: by release, then the job's index.
pub fn run_order(inst: &Instance) -> Vec<usize> {
    let mut order: Vec<usize> = (0..inst.jobs()).collect();
    order.sort_by(|&a, &b| inst.release[a].total_cmp(&inst.release[b]));
    order
}

/// When each node finishes its jobs under `assignment` (0 for a node
/// without any), running them in [`run_order`].
pub fn node_ends(inst: &Instance, assignment: &[usize]) -> Vec<f64> {
    let mut end = vec![0.0f64; inst.nodes()];
    for j in run_order(inst) {
        let i = assignment[j];
        end[i] = end[i].max(inst.release[j]) + inst.p[j][i];
    }
    end
}

/// The optimum by trying all `m^n` assignments; for checking the MILP.
pub fn brute_force(inst: &Instance) -> f64 {
    let (n, m) = (inst.jobs(), inst.nodes());
    let mut a = vec![0usize; n];
    let mut best = f64::INFINITY;
    loop {
        best = best.min(makespan_of(inst, &a));
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

/// Jobs in decreasing total processing time (ties by index).
fn size_order(inst: &Instance) -> Vec<usize> {
    let total = |j: usize| inst.p[j].iter().sum::<f64>();
    let mut order: Vec<usize> = (0..inst.jobs()).collect();
    order.sort_by(|&a, &b| total(b).total_cmp(&total(a)).then(a.cmp(&b)));
    order
}

/// For each node, its group of interchangeable nodes and its place in it.
fn node_groups(inst: &Instance) -> Vec<usize> {
    let m = inst.nodes();
    let same = |a: usize, b: usize| inst.p.iter().all(|row| row[a] == row[b]);
    (0..m)
        .map(|i| (0..i).filter(|&k| same(k, i)).count())
        .collect()
}

/// Renumbers nodes within each group of interchangeable nodes so that an
/// assignment satisfies the symmetry-breaking rule (same makespan).
fn canonical(inst: &Instance, assignment: &[usize]) -> Vec<usize> {
    let m = inst.nodes();
    let same = |a: usize, b: usize| inst.p.iter().all(|row| row[a] == row[b]);
    let mut map: Vec<Option<usize>> = vec![None; m];
    let mut used = vec![false; m];
    for j in size_order(inst) {
        let i = assignment[j];
        if map[i].is_none() {
            let target = (0..m)
                .find(|&k| !used[k] && same(k, i))
                .expect("a node of the group is free");
            used[target] = true;
            map[i] = Some(target);
        }
    }
    assignment
        .iter()
        .map(|&i| map[i].expect("every used node is mapped"))
        .collect()
}

struct Model {
    vars: ProblemVariables,
    x: Vec<Vec<Option<Variable>>>,
    cmax: Variable,
    /// `work[i][k]`: work on node `i` released at the `k`-th release date or later.
    work: Vec<Vec<Variable>>,
    /// `D · C` on a grid of `1/D`.
    steps: Option<(Variable, u32)>,
    constraints: Vec<good_lp::Constraint>,
}

/// The least `D ≤ 1000` such that every processing time and release date
/// is a whole multiple of `1/D` (e.g. 2 for whole sizes on speeds 1 and
/// 2), if any: every makespan is then a multiple of `1/D` too, and
/// `⌈D · LP bound⌉ / D` is a lower bound.
pub fn granularity(inst: &Instance) -> Option<u32> {
    let values: Vec<f64> = inst
        .p
        .iter()
        .flatten()
        .chain(&inst.release)
        .copied()
        .collect();
    (1..=1000u32).find(|&d| {
        values.iter().all(|&x| {
            let y = x * f64::from(d);
            // A time of 1e-300 is within the slack of 0, but not on the
            // grid: rounding the bound to it made the bound 0.
            (y - y.round()).abs() <= 1e-9 * y.abs().max(1.0) && (x == 0.0 || y.round() != 0.0)
        })
    })
}

/// The best lower bound known without branching: the LP bound, rounded up
/// to the [`granularity`] of the data when there is one.
pub fn lower_bound(inst: &Instance) -> Result<f64, String> {
    let lp = lp_bound(inst)?;
    Ok(round_up(lp, granularity(inst)))
}

/// `⌈D x⌉ / D` (with a little slack for rounding), or `x` without a grid.
pub fn round_up(x: f64, grid: Option<u32>) -> f64 {
    match grid {
        Some(d) => {
            let d = f64::from(d);
            (x * d - 1e-6).ceil() / d
        }
        None => x,
    }
}

/// The distinct release dates, in increasing order.
fn release_levels(inst: &Instance) -> Vec<f64> {
    let mut releases = inst.release.clone();
    releases.sort_by(f64::total_cmp);
    releases.dedup();
    releases
}

fn build(inst: &Instance, integer: bool, upper: Option<f64>) -> Model {
    let (n, m) = (inst.jobs(), inst.nodes());
    let mut vars = ProblemVariables::new();
    let place = node_groups(inst);
    let mut rank = vec![0; n];
    for (k, j) in size_order(inst).into_iter().enumerate() {
        rank[j] = k;
    }
    let lower = (0..n)
        .map(|j| inst.release[j] + inst.p[j].iter().cloned().fold(f64::INFINITY, f64::min))
        .fold(0.0, f64::max);
    let mut cdef = variable().min(lower);
    if let Some(u) = upper {
        cdef = cdef.max(u.max(lower));
    }
    let cmax = vars.add(cdef);
    // On a grid of 1/D the makespan is D·C = k for a whole number k.
    let grid = if integer { granularity(inst) } else { None };
    let steps = grid.map(|_| vars.add(variable().integer().min(0.0)));
    let x: Vec<Vec<Option<Variable>>> = (0..n)
        .map(|j| {
            (0..m)
                .map(|i| {
                    (place[i] <= rank[j]).then(|| {
                        vars.add(if integer {
                            variable().binary()
                        } else {
                            variable().min(0.0).max(1.0)
                        })
                    })
                })
                .collect()
        })
        .collect();
    let mut constraints = Vec::new();
    if let (Some(d), Some(k)) = (grid, steps) {
        let mut e = Expression::default();
        e.add_mul(f64::from(d), cmax);
        e.add_mul(-1.0, k);
        constraints.push(e.eq(0.0));
    }
    for row in &x {
        let e: Expression = row.iter().flatten().copied().sum();
        constraints.push(e.eq(1.0));
    }
    // Work released at ρ_k or later on node i, as a suffix sum
    // W_ik = Σ_{j: r_j = ρ_k} p_ij x_ij + W_i,k+1 and C ≥ ρ_k + W_ik: the
    // model grows as n·m + m·R (R release dates), not m·R·n.
    let releases = release_levels(inst);
    let mut at_level: Vec<Vec<usize>> = vec![Vec::new(); releases.len()];
    for j in 0..n {
        at_level[releases.partition_point(|&r| r < inst.release[j])].push(j);
    }
    let mut work = Vec::with_capacity(m);
    // `i` indexes the second dimension of `x` and `p`.
    #[allow(clippy::needless_range_loop)]
    for i in 0..m {
        let w: Vec<Variable> = (0..releases.len())
            .map(|_| vars.add(variable().min(0.0)))
            .collect();
        for (k, &rho) in releases.iter().enumerate() {
            let mut e = Expression::from_other_affine(w[k]);
            if k + 1 < releases.len() {
                e.add_mul(-1.0, w[k + 1]);
            }
            for &j in &at_level[k] {
                if let Some(v) = x[j][i] {
                    e.add_mul(-inst.p[j][i], v);
                }
            }
            constraints.push(e.eq(0.0));
            let mut c = Expression::from(rho);
            c.add_mul(1.0, w[k]);
            constraints.push(c.leq(Expression::from_other_affine(cmax)));
        }
        work.push(w);
    }
    Model {
        vars,
        x,
        cmax,
        work,
        steps: steps.zip(grid),
        constraints,
    }
}

/// The instance with its times divided by the largest (so they lie in
/// (0, 1]) and that factor, or `None` when they are already of order 1.
/// The solver's tolerances are absolute: times of 10^12 (or of 10^-12)
/// make it call a feasible model infeasible.
fn normalized(inst: &Instance) -> Option<(Instance, f64)> {
    let scale = inst
        .p
        .iter()
        .flatten()
        .chain(&inst.release)
        .copied()
        .fold(0.0, f64::max);
    if !(scale > 0.0 && scale.is_finite()) || (1e-3..=1e3).contains(&scale) {
        return None;
    }
    let scaled = Instance {
        p: inst
            .p
            .iter()
            .map(|row| row.iter().map(|x| x / scale).collect())
            .collect(),
        release: inst.release.iter().map(|r| r / scale).collect(),
        uniform: None,
    };
    Some((scaled, scale))
}

/// The LP relaxation bound (`x_ij ∈ [0, 1]`), any size.
pub fn lp_bound(inst: &Instance) -> Result<f64, String> {
    if let Some((scaled, scale)) = normalized(inst) {
        return Ok(lp_bound(&scaled)? * scale);
    }
    let Model {
        vars,
        cmax,
        constraints,
        ..
    } = build(inst, false, None);
    let mut problem = vars.minimise(cmax).using(microlp);
    for c in constraints {
        problem = problem.with(c);
    }
    let solution = problem.solve().map_err(|e| e.to_string())?;
    Ok(solution.value(cmax))
}

/// What the MILP found.
#[derive(Debug, Clone, PartialEq)]
pub struct MilpOutcome {
    /// Makespan of the best assignment found (recomputed exactly).
    pub makespan: f64,
    /// Node of each job.
    pub assignment: Vec<usize>,
    /// Whether the solver proved it optimal (false: time limit).
    pub proven_optimal: bool,
    /// Wall-clock seconds in the solver.
    pub seconds: f64,
}

/// Solves the MILP with a time limit in seconds, starting from
/// `incumbent` (an assignment) if given. An incumbent that meets the
/// lower bound (`bound`, or else [`lower_bound`], computed here) is
/// optimal without branching. When the limit expires before the solver
/// finds anything better, the incumbent is returned, not proven.
pub fn solve_milp(
    inst: &Instance,
    time_limit: f64,
    incumbent: Option<&[usize]>,
    bound: Option<f64>,
) -> Result<MilpOutcome, String> {
    if let Some((scaled, scale)) = normalized(inst) {
        let mut outcome = solve_milp(&scaled, time_limit, incumbent, bound.map(|b| b / scale))?;
        outcome.makespan = makespan_of(inst, &outcome.assignment);
        return Ok(outcome);
    }
    let started = Instant::now();
    let upper = incumbent.map(|a| makespan_of(inst, a));
    let bound = match (incumbent, bound) {
        (None, _) => f64::NEG_INFINITY,
        (Some(_), Some(b)) => b,
        (Some(_), None) => lower_bound(inst)?,
    };
    if let (Some(a), Some(u)) = (incumbent, upper)
        && u <= bound * (1.0 + 1e-9) + 1e-9
    {
        return Ok(MilpOutcome {
            makespan: u,
            assignment: a.to_vec(),
            proven_optimal: true,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let Model {
        vars,
        x,
        cmax,
        work,
        steps,
        constraints,
    } = build(inst, true, upper.map(|u| u * (1.0 + 1e-9) + 1e-9));
    let mut problem = vars
        .minimise(cmax)
        .using(microlp)
        .with_time_limit(time_limit);
    if let (Some(a), Some(u)) = (incumbent, upper) {
        let a = canonical(inst, a);
        let mut start = vec![(cmax, u)];
        if let Some((k, d)) = steps {
            start.push((k, (u * f64::from(d)).round()));
        }
        let releases = release_levels(inst);
        for (i, w) in work.iter().enumerate() {
            for (k, &v) in w.iter().enumerate() {
                let load: f64 = (0..inst.jobs())
                    .filter(|&j| a[j] == i && inst.release[j] >= releases[k])
                    .map(|j| inst.p[j][i])
                    .sum();
                start.push((v, load));
            }
        }
        for (j, row) in x.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                if let Some(v) = v {
                    start.push((*v, if a[j] == i { 1.0 } else { 0.0 }));
                }
            }
        }
        problem = problem.with_initial_solution(start);
    }
    for c in constraints {
        problem = problem.with(c);
    }
    match problem.solve() {
        Ok(solution) => {
            let assignment: Vec<usize> = x
                .iter()
                .map(|row| {
                    row.iter()
                        .enumerate()
                        .filter_map(|(i, v)| v.map(|v| (i, solution.value(v))))
                        .max_by(|a, b| a.1.total_cmp(&b.1))
                        .map_or(0, |(i, _)| i)
                })
                .collect();
            let proven = matches!(solution.status(), SolutionStatus::Optimal);
            let mut makespan = makespan_of(inst, &assignment);
            let mut assignment = assignment;
            if let (Some(a), Some(u)) = (incumbent, upper)
                && u < makespan
            {
                makespan = u;
                assignment = a.to_vec();
            }
            Ok(MilpOutcome {
                makespan,
                assignment,
                proven_optimal: proven,
                seconds: started.elapsed().as_secs_f64(),
            })
        }
        Err(e) => match (incumbent, upper) {
            (Some(a), Some(u)) if started.elapsed().as_secs_f64() >= time_limit * 0.99 => {
                Ok(MilpOutcome {
                    makespan: u,
                    assignment: a.to_vec(),
                    proven_optimal: false,
                    seconds: started.elapsed().as_secs_f64(),
                })
            }
            _ => Err(e.to_string()),
        },
    }
}

/// Completion time and node of every job of a list schedule (run through
/// the engine on uniform nodes, computed directly on unrelated ones).
#[derive(Debug, Clone, PartialEq)]
pub struct ListRun {
    pub name: String,
    pub completion: Vec<f64>,
    pub node: Vec<usize>,
}

impl ListRun {
    pub fn makespan(&self) -> f64 {
        self.completion.iter().cloned().fold(0.0, f64::max)
    }

    pub fn total_completion(&self) -> f64 {
        self.completion.iter().sum()
    }
}

/// Records each job's completion; job `k` is class `k`.
struct Completions {
    completion: Vec<f64>,
    node: Vec<usize>,
}

impl Observer for Completions {
    fn on_complete(&mut self, now: f64, job: &Job) {
        self.completion[job.class as usize] = now;
        self.node[job.class as usize] = job.node as usize;
    }
}

/// Runs a batch through the engine: one single-server node per speed, job
/// `k` its own class with priority `priority[k]` (lower runs first under
/// the `priority` discipline), arriving at its release date; `order` is
/// the order of simultaneous arrivals.
#[allow(clippy::too_many_arguments)]
pub fn run_list(
    name: &str,
    sizes: &[f64],
    speeds: &[f64],
    release: &[f64],
    discipline: &str,
    priority: &[i32],
    order: &[usize],
    rule: Rule,
    seed: u64,
) -> Result<ListRun, FieldError> {
    let n = sizes.len();
    let classes: Vec<Class> = (0..n)
        .map(|k| Class {
            priority: priority[k],
            // Arrivals and sizes come from the list; these are not sampled.
            ..Class::new(
                &format!("job {k}"),
                Dist::Deterministic { value: 1.0 },
                Dist::Deterministic { value: 1.0 },
                speeds.len(),
            )
        })
        .collect();
    let context = PolicyContext {
        class_names: classes.iter().map(|c| c.name.clone()).collect(),
    };
    let policy = AnyPolicy::from_config(&PolicyConfig::named(discipline), &context)?;
    let scenario = Scenario {
        name: "batch".into(),
        description: String::new(),
        seed,
        replications: 1,
        warmup: Limit::Jobs(0),
        warmup_auto: false,
        horizon: Limit::Jobs(u64::MAX),
        classes,
        nodes: speeds
            .iter()
            .enumerate()
            .map(|(i, &speed)| Node::new(&format!("node {i}"), 1, speed))
            .collect(),
        groups: Vec::new(),
        member_rows: false,
        policies: vec![policy.clone()],
        policy_configs: Vec::new(),
        dispatch: Some(rule.clone()),
        routing: Default::default(),
        sweep: None,
        output: Default::default(),
        alarms: Vec::new(),
        network: Default::default(),
        workflow_rule: crate::workflow::Policy::Heft,
        precision: None,
        batches: None,
        path: "batch".into(),
        source: String::new(),
    };
    let arrivals = order
        .iter()
        .map(|&k| Arrival::new(release[k], k as u32, sizes[k]))
        .collect();
    let observer = Completions {
        completion: vec![f64::NAN; n],
        node: vec![0; n],
    };
    let dispatcher = Dispatcher::new(rule, Pcg64Mcg::seed_from_u64(seed));
    let mut sim = Simulation::new(
        &scenario,
        FixedWorkload::new(arrivals),
        &policy,
        Some(dispatcher),
        observer,
    );
    sim.run(Limit::Jobs(0), Limit::Jobs(u64::MAX));
    let o = sim.into_observer();
    Ok(ListRun {
        name: name.into(),
        completion: o.completion,
        node: o.node,
    })
}

/// Ranks of jobs by a key (0 first; ties by index).
pub fn ranks(keys: &[f64]) -> Vec<i32> {
    let mut rank = vec![0; keys.len()];
    for (r, j) in list_order(keys).into_iter().enumerate() {
        rank[j] = r as i32;
    }
    rank
}

/// Jobs sorted by a key, ties by index: the list a list-scheduling rule
/// works through (the inverse of [`ranks`]).
pub fn list_order(keys: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]).then(a.cmp(&b)));
    order
}

/// The list keys of LPT (longest first, so the key is minus the length)
/// and SPT (shortest first), one definition for both kinds of nodes. A
/// job's length is its least processing time over the nodes,
/// `min_i p_ij`; on uniform nodes that is size / fastest speed, which
/// orders jobs as their sizes do.
pub fn lpt_spt_keys(p: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let shortest: Vec<f64> = p
        .iter()
        .map(|row| row.iter().copied().fold(f64::INFINITY, f64::min))
        .collect();
    (shortest.iter().map(|t| -t).collect(), shortest)
}

/// List heuristics on uniform nodes, each run through the engine:
///
/// - `lpt`: longest processing time first, each job to the first node that
///   frees (the fastest among idle ones): a central queue pulled by idle
///   nodes, ordered by size. On identical nodes without release dates
///   `C_LPT ≤ (4/3 − 1/(3m)) C*` (Graham 1969).
/// - `spt`: the same list in increasing size.
/// - `greedy-eft`: jobs in the file's order, each to the node where it
///   would finish earliest (least (work left + size) / speed).
/// - `round-robin`, `random` (probabilities proportional to speed): jobs
///   in the file's order, FCFS at each node.
pub fn list_heuristics(
    sizes: &[f64],
    speeds: &[f64],
    release: &[f64],
    seed: u64,
) -> Result<Vec<ListRun>, FieldError> {
    let n = sizes.len();
    let file: Vec<usize> = (0..n).collect();
    let zero = vec![0; n];
    let p: Vec<Vec<f64>> = sizes
        .iter()
        .map(|s| speeds.iter().map(|v| s / v).collect())
        .collect();
    let (lpt_keys, spt_keys) = lpt_spt_keys(&p);
    let total: f64 = speeds.iter().sum();
    let mut acc = 0.0;
    let cumulative = speeds
        .iter()
        .map(|s| {
            acc += s / total;
            acc
        })
        .collect();
    // Jobs released together reach the central queue in list order, so an
    // idle node takes the first of the list, not the first of the file.
    Ok(vec![
        run_list(
            "lpt",
            sizes,
            speeds,
            release,
            "priority",
            &ranks(&lpt_keys),
            &list_order(&lpt_keys),
            Rule::Pull,
            seed,
        )?,
        run_list(
            "spt",
            sizes,
            speeds,
            release,
            "priority",
            &ranks(&spt_keys),
            &list_order(&spt_keys),
            Rule::Pull,
            seed,
        )?,
        run_list(
            "greedy-eft",
            sizes,
            speeds,
            release,
            "fcfs",
            &zero,
            &file,
            Rule::EarliestFinish,
            seed,
        )?,
        run_list(
            "round-robin",
            sizes,
            speeds,
            release,
            "fcfs",
            &zero,
            &file,
            Rule::RoundRobin,
            seed,
        )?,
        run_list(
            "random",
            sizes,
            speeds,
            release,
            "fcfs",
            &zero,
            &file,
            Rule::Random { cumulative },
            seed,
        )?,
    ])
}

/// List heuristics on unrelated nodes (`p_ij` given), computed directly:
/// the engine models a node as a speed, so it cannot give a job a time of
/// its own on each node. Each rule takes the jobs in its list, one at a
/// time, and appends each to a node, where it starts when both the node
/// and the job are ready (`max(node's end, r_j)`: a job never starts
/// before its release) and runs `p_ij`; each node runs its jobs in list
/// order.
///
/// - `lpt`: jobs by longest least processing time `min_i p_ij` first
///   (ties by index), each to the node where it would finish earliest.
/// - `spt`: the same, shortest first.
/// - `greedy-eft`: jobs in list order (release, then the file's order),
///   each to the node where it would finish earliest.
/// - `round-robin`: jobs in list order to nodes 0, 1, 2, ... in turn.
/// - `random`: jobs in list order, each to a node drawn uniformly from a
///   generator seeded with `seed`.
///
/// Ties between nodes go to the lowest index.
pub fn unrelated_heuristics(inst: &Instance, seed: u64) -> Vec<ListRun> {
    let m = inst.nodes();
    let (lpt_keys, spt_keys) = lpt_spt_keys(&inst.p);
    let listed = list_order(&inst.release);
    let earliest = |j: usize, end: &[f64]| {
        (0..m)
            .map(|i| end[i].max(inst.release[j]) + inst.p[j][i])
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |best, (i, t)| {
                    if t < best.1 { (i, t) } else { best }
                },
            )
            .0
    };
    let mut turn = 0;
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    vec![
        list_schedule("lpt", inst, &list_order(&lpt_keys), earliest),
        list_schedule("spt", inst, &list_order(&spt_keys), earliest),
        list_schedule("greedy-eft", inst, &listed, earliest),
        list_schedule("round-robin", inst, &listed, |_, _| {
            turn += 1;
            (turn - 1) % m
        }),
        list_schedule("random", inst, &listed, |_, _| rng.random_range(0..m)),
    ]
}

/// Appends the jobs of `order` one by one to the node `pick(job, ends)`
/// chooses (ends: when each node is free), starting each at
/// `max(end, release)`.
fn list_schedule(
    name: &str,
    inst: &Instance,
    order: &[usize],
    mut pick: impl FnMut(usize, &[f64]) -> usize,
) -> ListRun {
    let mut end = vec![0.0f64; inst.nodes()];
    let mut completion = vec![f64::NAN; inst.jobs()];
    let mut node = vec![0; inst.jobs()];
    for &j in order {
        let i = pick(j, &end);
        end[i] = end[i].max(inst.release[j]) + inst.p[j][i];
        completion[j] = end[i];
        node[j] = i;
    }
    ListRun {
        name: name.into(),
        completion,
        node,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graham_worst_case_for_lpt() {
        // 2m+1 jobs on m = 2 identical nodes: 3, 3, 2, 2, 2. LPT gives 7,
        // the optimum 6 (3+3 | 2+2+2): ratio 7/6 = 4/3 − 1/6.
        let sizes = [3.0, 3.0, 2.0, 2.0, 2.0];
        let inst = Instance::uniform(&sizes, &[1.0, 1.0], &[0.0; 5]).unwrap();
        let runs = list_heuristics(&sizes, &[1.0, 1.0], &[0.0; 5], 1).unwrap();
        assert_eq!(runs[0].name, "lpt");
        assert!((runs[0].makespan() - 7.0).abs() < 1e-9);
        let milp = solve_milp(&inst, 10.0, Some(&runs[0].node), None).unwrap();
        assert!(milp.proven_optimal);
        assert!((milp.makespan - 6.0).abs() < 1e-9);
        assert!((brute_force(&inst) - 6.0).abs() < 1e-9);
        assert!(lp_bound(&inst).unwrap() <= 6.0 + 1e-9);
    }

    #[test]
    fn zero_speed_is_an_input_error() {
        let e = Instance::uniform(&[1.0], &[1.0, 0.0], &[0.0]).unwrap_err();
        assert_eq!((e.field.as_str(), e.value.as_str()), ("--speeds", "0"));
    }
}
