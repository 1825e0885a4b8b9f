//! Steady-state load splitting: the optimal static (probabilistic) split of
//! Poisson arrivals over heterogeneous servers, and the LP that assigns
//! the flow of several classes to nodes.
//!
//! A static split sends an arrival to server `i` with probability
//! `λ_i / λ`; each server is then an M/M/1 queue, and the mean response is
//!
//! ```text
//! T(λ_1, ..., λ_n) = (1/λ) Σ_i λ_i / (μ_i − λ_i),    Σ_i λ_i = λ, 0 ≤ λ_i < μ_i.
//! ```

use std::path::Path;

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};

use crate::dispatch::Rule;
use crate::error::FieldError;
use crate::experiment;
use crate::model::Scenario;
use crate::stats::Estimate;

/// Checks an arrival rate and service rates: positive, finite, stable.
pub fn check(lambda: f64, mu: &[f64]) -> Result<(), FieldError> {
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(FieldError::new(
            "--lambda",
            lambda.to_string(),
            "must be a finite number greater than 0",
        ));
    }
    if mu.is_empty() {
        return Err(FieldError::new(
            "--mu",
            "(missing)",
            "give one service rate per server, e.g. --mu 1,2",
        ));
    }
    if let Some(m) = mu.iter().find(|m| !(m.is_finite() && **m > 0.0)) {
        return Err(FieldError::new(
            "--mu",
            m.to_string(),
            "every service rate must be a finite number greater than 0",
        ));
    }
    check_scale("--lambda", &[lambda])?;
    check_scale("--mu", mu)?;
    let total: f64 = mu.iter().sum();
    let (low, high) = mu
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &m| (l.min(m), h.max(m)));
    if high / low > MAX_RATIO {
        return Err(FieldError::new(
            "--mu",
            format!("{low:?} .. {high:?}"),
            format!(
                "the rates differ by more than a factor {MAX_RATIO:e}, beyond what the computation resolves in floating point"
            ),
        ));
    }
    if lambda < total / MAX_RATIO {
        return Err(FieldError::new(
            "--lambda",
            lambda.to_string(),
            format!(
                "below Σμ / {MAX_RATIO:e} = {}: the load is too small for the computation to resolve in floating point",
                total / MAX_RATIO
            ),
        ));
    }
    if lambda >= total {
        return Err(FieldError::new(
            "--lambda",
            lambda.to_string(),
            format!("unstable: λ must be below the total service rate Σμ = {total:?}"),
        ));
    }
    Ok(())
}

/// Largest ratio between two rates the computations resolve.
pub const MAX_RATIO: f64 = 1e12;
/// Rates must lie within [1/MAX_MAGNITUDE, MAX_MAGNITUDE]: squares and
/// sums of them then stay finite and normal in floating point.
pub const MAX_MAGNITUDE: f64 = 1e100;

/// Refuses rates (or caps) so large or small that floating point would
/// overflow or underflow on them.
pub fn check_scale(flag: &str, values: &[f64]) -> Result<(), FieldError> {
    if let Some(v) = values
        .iter()
        .find(|v| !(v.abs() <= MAX_MAGNITUDE && v.abs() >= 1.0 / MAX_MAGNITUDE))
    {
        return Err(FieldError::new(
            flag,
            v.to_string(),
            format!(
                "must lie between {:e} and {MAX_MAGNITUDE:e}: beyond, floating point overflows or underflows",
                1.0 / MAX_MAGNITUDE
            ),
        ));
    }
    Ok(())
}

/// Mean response of a static split, `(1/λ) Σ λ_i / (μ_i − λ_i)`
/// (independent M/M/1 queues: Poisson splitting), infinite if a server
/// is overloaded.
pub fn mean_response(flows: &[f64], mu: &[f64]) -> f64 {
    let lambda: f64 = flows.iter().sum();
    let mut sum = 0.0;
    for (&l, &m) in flows.iter().zip(mu) {
        if l >= m {
            return f64::INFINITY;
        }
        sum += l / (m - l);
    }
    sum / lambda
}

/// The optimal static split by the square-root rule (Bell & Stidham 1983;
/// Harchol-Balter 2013, ch. 24). The KKT conditions of minimising `T`
/// give `μ_i / (μ_i − λ_i)² = θ` on the servers used, hence
///
/// ```text
/// λ_i = μ_i − √μ_i · (Σ_{j∈A} μ_j − λ) / Σ_{j∈A} √μ_j     for i ∈ A, else 0,
/// ```
///
/// where `A` is the set of the `k` fastest servers for the largest `k`
/// that gives the slowest of them a positive flow.
pub fn square_root_split(lambda: f64, mu: &[f64]) -> Result<Vec<f64>, FieldError> {
    check(lambda, mu)?;
    let mut order: Vec<usize> = (0..mu.len()).collect();
    order.sort_by(|&a, &b| mu[b].total_cmp(&mu[a]).then(a.cmp(&b)));
    for k in (1..=mu.len()).rev() {
        let active = &order[..k];
        let sum_mu: f64 = active.iter().map(|&i| mu[i]).sum();
        if sum_mu <= lambda {
            continue;
        }
        let sum_sqrt: f64 = active.iter().map(|&i| mu[i].sqrt()).sum();
        let slack = (sum_mu - lambda) / sum_sqrt;
        let slowest = active[k - 1];
        if mu[slowest] - mu[slowest].sqrt() * slack > 0.0 || k == 1 {
            let mut flows = vec![0.0; mu.len()];
            for &i in active {
                flows[i] = mu[i] - mu[i].sqrt() * slack;
            }
            return Ok(flows);
        }
    }
    unreachable!("k = 1 always qualifies once λ < Σμ was checked")
}

/// A numeric optimiser independent of the KKT closed form: pairwise
/// exchange (for every pair of servers, the best division of their joint
/// flow by golden-section search on the convex objective), swept until no
/// pair improves; it starts from the split proportional to `μ_i`.
pub fn numeric_split(lambda: f64, mu: &[f64]) -> Result<Vec<f64>, FieldError> {
    check(lambda, mu)?;
    let total: f64 = mu.iter().sum();
    let mut flows: Vec<f64> = mu.iter().map(|m| lambda * m / total).collect();
    let cost = |l: f64, m: f64| l / (m - l);
    let golden = (5f64.sqrt() - 1.0) / 2.0;
    for _sweep in 0..500 {
        let before = mean_response(&flows, mu);
        for i in 0..mu.len() {
            for j in (i + 1)..mu.len() {
                let joint = flows[i] + flows[j];
                // x = flow to i; both servers must stay stable.
                let margin = 1e-12 * (mu[i] + mu[j]);
                let lo = (joint - mu[j] + margin).max(0.0);
                let hi = (mu[i] - margin).min(joint);
                let f = |x: f64| cost(x, mu[i]) + cost(joint - x, mu[j]);
                let (mut a, mut b) = (lo, hi);
                for _ in 0..100 {
                    let c = b - golden * (b - a);
                    let d = a + golden * (b - a);
                    if f(c) < f(d) {
                        b = d;
                    } else {
                        a = c;
                    }
                }
                let x = 0.5 * (a + b);
                if f(x) < f(flows[i]) {
                    flows[i] = x;
                    flows[j] = joint - x;
                }
            }
        }
        if before - mean_response(&flows, mu) <= 1e-15 * before {
            break;
        }
    }
    Ok(flows)
}

/// The dispatching rule of a static split: random with probabilities
/// `λ_i / λ`.
pub fn split_rule(flows: &[f64]) -> Rule {
    let lambda: f64 = flows.iter().sum();
    let mut acc = 0.0;
    Rule::Random {
        cumulative: flows
            .iter()
            .map(|f| {
                acc += f / lambda;
                acc
            })
            .collect(),
    }
}

/// How long a simulation runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimPlan {
    pub replications: u32,
    /// Measured jobs per replication (a tenth more are warm-up).
    pub jobs: u64,
    pub seed: u64,
}

/// The system of Poisson(λ) arrivals, exponential sizes of mean 1 and one
/// single-server FCFS node of speed `μ_i` per server, under a rule.
pub fn scenario(lambda: f64, mu: &[f64], rule: Rule, plan: SimPlan) -> Scenario {
    let mut text = format!(
        "name = \"split\"\nseed = {}\nreplications = {}\nwarmup = {{ jobs = {} }}\n\
         horizon = {{ jobs = {} }}\n[[classes]]\nname = \"jobs\"\n\
         arrival = {{ dist = \"exponential\", rate = {lambda:?} }}\n\
         service = {{ dist = \"exponential\", mean = 1.0 }}\n",
        plan.seed,
        plan.replications,
        plan.jobs / 10,
        plan.jobs
    );
    for (i, m) in mu.iter().enumerate() {
        text.push_str(&format!(
            "[[nodes]]\nname = \"s{i}\"\nservers = 1\nspeed = {m:?}\n"
        ));
    }
    text.push_str("[dispatch]\nrule = \"round-robin\"\n");
    let mut s = Scenario::from_toml(&text, Path::new("split.toml"))
        .expect("a scenario built from checked rates is valid");
    s.dispatch = Some(rule);
    s
}

/// Simulated mean response (95% CI over replications) under a rule, run
/// by the engine like any scenario.
pub fn simulate(lambda: f64, mu: &[f64], rule: Rule, plan: SimPlan) -> Estimate {
    let s = scenario(lambda, mu, rule, plan);
    experiment::run(&s).rows[0].stats.mean_response
}

/// An optimal assignment of class flows to nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowPlan {
    /// `flow[k][i]`: rate of class `k` sent to node `i`.
    pub flow: Vec<Vec<f64>>,
    /// Utilisation of each node, `Σ_k flow[k][i] / μ[k][i]`.
    pub load: Vec<f64>,
    /// Objective value `Σ c_ki flow_ki`.
    pub cost: f64,
}

/// The class-flow LP (a transportation problem with capacities; e.g.
/// Bertsimas & Tsitsiklis 1997, ch. 7):
///
/// ```text
/// minimise   Σ_{k,i} c_ki f_ki
/// subject to Σ_i f_ki = λ_k                  every class k
///            Σ_k f_ki / μ_ki ≤ cap_i          every node i (utilisation)
///            f_ki ≥ 0
/// ```
///
/// `μ_ki` is node `i`'s service rate for class `k`. With `c_ki = 1/μ_ki`
/// the objective is the total utilisation, i.e. the mean service time
/// spent per unit time. Infeasible caps are an input error.
pub fn class_flow(
    rates: &[f64],
    mu: &[Vec<f64>],
    cost: &[Vec<f64>],
    cap: &[f64],
) -> Result<FlowPlan, FieldError> {
    let (k_n, i_n) = (rates.len(), cap.len());
    if let Some(r) = rates.iter().find(|r| !(r.is_finite() && **r > 0.0)) {
        return Err(FieldError::new(
            "--rates",
            r.to_string(),
            "every class rate must be a finite number greater than 0",
        ));
    }
    if let Some(c) = cap
        .iter()
        .find(|c| !(c.is_finite() && **c > 0.0 && **c <= 1.0))
    {
        return Err(FieldError::new(
            "--cap",
            c.to_string(),
            "a load cap is a utilisation in (0, 1]",
        ));
    }
    let mut vars = ProblemVariables::new();
    let f: Vec<Vec<Variable>> = (0..k_n)
        .map(|_| (0..i_n).map(|_| vars.add(variable().min(0.0))).collect())
        .collect();
    let mut objective = Expression::default();
    for k in 0..k_n {
        for i in 0..i_n {
            objective.add_mul(cost[k][i], f[k][i]);
        }
    }
    let mut problem = vars.minimise(objective).using(microlp);
    for (k, row) in f.iter().enumerate() {
        let e: Expression = row.iter().copied().sum();
        problem = problem.with(e.eq(rates[k]));
    }
    for (i, &c) in cap.iter().enumerate() {
        let mut e = Expression::default();
        for k in 0..k_n {
            e.add_mul(1.0 / mu[k][i], f[k][i]);
        }
        problem = problem.with(e.leq(c));
    }
    let solution = problem.solve().map_err(|_| {
        FieldError::new(
            "--cap",
            cap.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(","),
            "infeasible: no split of the class rates keeps every node's load within its cap",
        )
    })?;
    let flow: Vec<Vec<f64>> = f
        .iter()
        .map(|row| row.iter().map(|&v| solution.value(v).max(0.0)).collect())
        .collect();
    let load = (0..i_n)
        .map(|i| (0..k_n).map(|k| flow[k][i] / mu[k][i]).sum())
        .collect();
    let cost = (0..k_n)
        .map(|k| (0..i_n).map(|i| cost[k][i] * flow[k][i]).sum::<f64>())
        .sum();
    Ok(FlowPlan { flow, load, cost })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_root_rule_by_hand() {
        // μ = (4, 1), λ = 3: A = both, slack = (5 − 3)/(2 + 1) = 2/3,
        // λ_1 = 4 − 2·2/3 = 8/3, λ_2 = 1 − 2/3 = 1/3.
        let f = square_root_split(3.0, &[4.0, 1.0]).unwrap();
        assert!((f[0] - 8.0 / 3.0).abs() < 1e-12 && (f[1] - 1.0 / 3.0).abs() < 1e-12);
        // At low load the slow server gets nothing: λ = 0.5, μ = (4, 1):
        // with both, slack = 4.5/3 = 1.5 > √1, so only the fast one.
        let f = square_root_split(0.5, &[4.0, 1.0]).unwrap();
        assert_eq!(f, vec![0.5, 0.0]);
    }

    #[test]
    fn unstable_and_bad_rates_are_input_errors() {
        assert_eq!(
            square_root_split(3.0, &[1.0, 2.0]).unwrap_err().field,
            "--lambda"
        );
        assert_eq!(
            square_root_split(1.0, &[1.0, 0.0]).unwrap_err().field,
            "--mu"
        );
        assert_eq!(
            square_root_split(0.0, &[1.0]).unwrap_err().field,
            "--lambda"
        );
    }
}
