//! Product-form queueing networks as scenarios describe them: open,
//! multi-class, Markov routing with class switching, Poisson arrivals.
//!
//! Where every node is one of
//! - FCFS with `c` servers and exponential demands of one mean for every
//!   class visiting it (Jackson 1957; BCMP type 1),
//! - PS with one server and any demand distributions (BCMP type 2), or
//!   with `c` servers (a symmetric queue, Kelly 1979 §3.3: insensitive,
//!   its number present is that of M/M/c at the same load),
//! - LCFS-PR with one server and any demands (BCMP type 4),
//!
//! the stationary distribution is the product of the nodes' own, each fed
//! by the visit rates `λ_{j,k}` of the traffic equations `λ = γ + Pᵀλ`
//! (Baskett, Chandy, Muntz & Palacios, "Open, closed, and mixed networks of
//! queues with different classes of customers", J. ACM 22 (1975)). Then:
//! - a visit of class `k` at node `j` takes `T_{j,k}`: the node's M/M/c
//!   response `W_j` at an FCFS node; `E[S_{j,k}] / (1 − ρ_j)` at a
//!   one-server PS or LCFS-PR node; `E[S_{j,k}] · W_j / E[S_j]` at a
//!   `c`-server PS node, `W_j` being M/M/c's with the node's mean demand
//!   `E[S_j]` (the mean sojourn of a job is proportional to its size under
//!   generalised processor sharing: Cohen, "The multiple phase service
//!   network with generalized processor sharing", Acta Informatica 12 (1979));
//! - arrivals see time averages, so a job entering as class `k` spends on
//!   average `E[T_k] = Σ_{j,c} λ^{(k)}_{j,c} T_{j,c} / γ_k`, where
//!   `λ^{(k)}` are the visit rates of the jobs that entered as `k` alone
//!   (by Little's law, the same as `Σ L^{(k)}_j / γ_k`);
//! - the job's wait is `E[T_k]` less its expected time in service,
//!   `Σ_{j,c} λ^{(k)}_{j,c} E[S_{j,c}] / (γ_k v_j)`.
//!
//! Tandem lines (Burke 1956) and Bernoulli feedback are special cases.

use super::{Kind, Prediction};
use crate::dispatch::Rule;
use crate::model::{Dist, Scenario};
use crate::policy::AnyPolicy;
use crate::stats::Selection;

/// The mean response and demand of one visit of class `k` at node `j`.
#[derive(Debug, Clone, Copy)]
struct Visit {
    response: f64,
    /// Time in service alone: `E[S_{j,k}] / speed`.
    service: f64,
}

/// What the network's closed forms give, per state and per class.
struct Solution {
    formula: &'static str,
    /// Visit rates of all jobs, per (node · K + class).
    rates: Vec<f64>,
    /// Visit rates of the jobs entering as each class.
    by_entry: Vec<Vec<f64>>,
    visits: Vec<Option<Visit>>,
}

fn exponential(d: &Dist) -> bool {
    matches!(d, Dist::Exponential { .. })
}

fn solve(s: &Scenario, policy: &AnyPolicy) -> Option<Solution> {
    let k = s.classes.len();
    let poisson = s
        .classes
        .iter()
        .all(|c| c.arrival.renewal().is_some_and(exponential) && c.batch.is_one());
    let placed = s
        .classes
        .iter()
        .all(|c| c.node.is_some() || matches!(s.dispatch, Some(Rule::Random { .. })));
    let plain = s.nodes.iter().all(|n| n.capacity.is_none())
        && s.classes.iter().all(|c| c.servers_per_job == 1);
    if !poisson || !placed || !plain {
        return None;
    }
    let rates = s.visit_rates(None);
    let by_entry: Vec<Vec<f64>> = (0..k).map(|c| s.visit_rates(Some(c))).collect();
    let mut visits = vec![None; rates.len()];
    let mut any_sharing = false;
    for (j, node) in s.nodes.iter().enumerate() {
        let here: Vec<usize> = (0..k).filter(|&c| rates[j * k + c] > 0.0).collect();
        if here.is_empty() {
            continue;
        }
        let speed = node.speed;
        let mean = |c: usize| s.classes[c].demand_at(j).mean() / speed;
        let lambda: f64 = here.iter().map(|&c| rates[j * k + c]).sum();
        let es = here
            .iter()
            .map(|&c| rates[j * k + c] * mean(c))
            .sum::<f64>()
            / lambda;
        let c_servers = node.servers;
        let label = s.discipline_at(j, policy).label();
        let per_class: Box<dyn Fn(usize) -> f64> = match label.as_str() {
            "fcfs" => {
                let one_mean = here.iter().all(|&c| {
                    exponential(s.classes[c].demand_at(j)) && (mean(c) - es).abs() <= 1e-12 * es
                });
                if !one_mean {
                    return None;
                }
                let w = super::mmc(lambda, 1.0 / es, c_servers)
                    .ok()?
                    .metrics
                    .mean_response;
                Box::new(move |_| w)
            }
            "ps" | "lcfs-pr" if c_servers == 1 => {
                any_sharing = true;
                let rho = lambda * es;
                if rho >= 1.0 {
                    return None;
                }
                Box::new(move |c| mean(c) / (1.0 - rho))
            }
            "ps" => {
                any_sharing = true;
                let w = super::mmc(lambda, 1.0 / es, c_servers)
                    .ok()?
                    .metrics
                    .mean_response;
                Box::new(move |c| mean(c) * w / es)
            }
            _ => return None,
        };
        for &c in &here {
            visits[j * k + c] = Some(Visit {
                response: per_class(c),
                service: mean(c),
            });
        }
    }
    Some(Solution {
        formula: if any_sharing { "bcmp" } else { "jackson" },
        rates,
        by_entry,
        visits,
    })
}

/// The closed forms of a network scenario's rows, where the network has
/// product form (see the module documentation).
pub fn predict_rows(
    s: &Scenario,
    policy: &AnyPolicy,
    selections: &[Selection],
) -> Vec<Option<Prediction>> {
    match solve(s, policy) {
        Some(sol) => selections
            .iter()
            .map(|&sel| predict(s, &sol, sel))
            .collect(),
        None => vec![None; selections.len()],
    }
}

fn predict(s: &Scenario, sol: &Solution, selection: Selection) -> Option<Prediction> {
    let k = s.classes.len();
    let row = |response: f64, wait: f64| Prediction {
        formula: sol.formula.to_string(),
        kind: Kind::Exact,
        mean_wait: wait,
        mean_response: response,
        p_block: None,
    };
    // Per job: Σ over states of the visit rates of its entry classes.
    let per_job = |entries: &[usize]| -> Option<(f64, f64)> {
        let gamma: f64 = entries.iter().map(|&c| s.arrival_rate(c)).sum();
        let (mut response, mut service) = (0.0, 0.0);
        for &e in entries {
            for (st, &rate) in sol.by_entry[e].iter().enumerate() {
                if rate > 0.0 {
                    let v = sol.visits[st]?;
                    response += rate * v.response;
                    service += rate * v.service;
                }
            }
        }
        Some((response / gamma, (response - service) / gamma))
    };
    match selection {
        Selection::All => {
            let all: Vec<usize> = (0..k).collect();
            let (t, w) = per_job(&all)?;
            Some(row(t, w))
        }
        Selection::Class(c) => {
            let (t, w) = per_job(&[c])?;
            Some(row(t, w))
        }
        Selection::Node(j) => {
            let (mut lambda, mut response, mut service) = (0.0, 0.0, 0.0);
            for c in 0..k {
                let rate = sol.rates[j * k + c];
                if rate > 0.0 {
                    let v = sol.visits[j * k + c]?;
                    lambda += rate;
                    response += rate * v.response;
                    service += rate * v.service;
                }
            }
            (lambda > 0.0).then(|| row(response / lambda, (response - service) / lambda))
        }
    }
}
