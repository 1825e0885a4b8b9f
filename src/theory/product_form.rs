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

use super::closed::{ClosedMetrics, Station};
use super::{Kind, Prediction};
use crate::dispatch::Rule;
use crate::model::{Arrivals, Dist, Scenario};
use crate::policy::{AnyPolicy, DisciplineKind};
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
        // One product-form station's mean visit response per class: M/M/c
        // under FCFS; E[S_k] / (1 − ρ) with one sharing server; M/M/c's
        // scaled by E[S_k] / E[S] with several PS servers.
        let Station::Queue { servers: c_servers } = station(s, policy, j, &here)? else {
            return None;
        };
        let fcfs = s.discipline_at(j, policy).discipline() == DisciplineKind::Fcfs;
        any_sharing |= !fcfs;
        let per_class: Box<dyn Fn(usize) -> f64> = if fcfs {
            let w = super::mmc(lambda, 1.0 / es, c_servers)
                .ok()?
                .metrics
                .mean_response;
            Box::new(move |_| w)
        } else if c_servers == 1 {
            let rho = lambda * es;
            if rho >= 1.0 {
                return None;
            }
            Box::new(move |c| mean(c) / (1.0 - rho))
        } else {
            let w = super::mmc(lambda, 1.0 / es, c_servers)
                .ok()?
                .metrics
                .mean_response;
            Box::new(move |c| mean(c) * w / es)
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
        throughput: None,
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
        Selection::Node(_) | Selection::Group(_) => {
            // A group: its members' visits together, weighted by their rates.
            let nodes = match selection {
                Selection::Group(g) => s.groups[g].members(),
                Selection::Node(j) => j..j + 1,
                _ => unreachable!("node rows only"),
            };
            let (mut lambda, mut response, mut service) = (0.0, 0.0, 0.0);
            for j in nodes {
                for c in 0..k {
                    let rate = sol.rates[j * k + c];
                    if rate > 0.0 {
                        let v = sol.visits[j * k + c]?;
                        lambda += rate;
                        response += rate * v.response;
                        service += rate * v.service;
                    }
                }
            }
            (lambda > 0.0).then(|| row(response / lambda, (response - service) / lambda))
        }
    }
}

/// The station a product-form network has at node `j` for the classes
/// `here` visiting it, if its discipline and demands give one: FCFS with
/// exponential demands of one mean, PS with any demands, LCFS-PR on one
/// server (BCMP types 1, 2 and 4).
fn station(s: &Scenario, policy: &AnyPolicy, j: usize, here: &[usize]) -> Option<Station> {
    let servers = s.nodes[j].servers;
    match s.discipline_at(j, policy).discipline() {
        DisciplineKind::Fcfs => {
            let first = s.classes[*here.first()?].demand_at(j).mean();
            here.iter()
                .all(|&c| {
                    let d = s.classes[c].demand_at(j);
                    exponential(d) && (d.mean() - first).abs() <= 1e-12 * first
                })
                .then_some(Station::Queue { servers })
        }
        DisciplineKind::Ps => Some(Station::Queue { servers }),
        DisciplineKind::LcfsPr if servers == 1 => Some(Station::Queue { servers }),
        _ => None,
    }
}

/// A closed network's means from exact MVA, with the visits behind them.
struct ClosedSolution {
    metrics: ClosedMetrics,
    /// Visits per pass of a job entering as each class, per (node · K + class).
    visits: Vec<Vec<f64>>,
    /// Mean service time per pass of each chain, and per visit at each node.
    service: Vec<Vec<f64>>,
}

/// Exact MVA where every class is closed, placed where a formula can
/// follow it (pinned to an entry node, or random dispatching), and every
/// node visited is a product-form station.
fn solve_closed(s: &Scenario, policy: &AnyPolicy) -> Option<ClosedSolution> {
    let k = s.classes.len();
    let placed = s.classes.iter().all(|c| {
        c.node.is_some() || s.nodes.len() == 1 || matches!(s.dispatch, Some(Rule::Random { .. }))
    });
    let plain = s
        .nodes
        .iter()
        .all(|n| n.capacity.is_none() && n.failures.is_none())
        && s.classes.iter().all(|c| {
            c.is_closed()
                && c.servers_per_job == 1
                && c.patience.is_none()
                && c.baulk.is_empty()
                && c.attempts.is_none()
        });
    if !placed || !plain {
        return None;
    }
    let visits: Vec<Vec<f64>> = (0..k)
        .map(|c| {
            let per_unit = s.arrival_rate(c);
            s.visit_rates(Some(c))
                .iter()
                .map(|r| r / per_unit)
                .collect()
        })
        .collect();
    let mut stations = Vec::new();
    let mut demands = Vec::new();
    let mut at = Vec::new();
    let mut service = vec![vec![0.0; s.nodes.len()]; k];
    for (j, node) in s.nodes.iter().enumerate() {
        let here: Vec<usize> = (0..k)
            .filter(|&c| visits.iter().any(|v| v[j * k + c] > 0.0))
            .collect();
        let mean = |c: usize| s.classes[c].demand_at(j).mean() / node.speed;
        // D_{j,e} = Σ_c V^{(e)}_{j,c} E[S_{j,c}] for the chain entering as e.
        let d: Vec<f64> = (0..k)
            .map(|e| here.iter().map(|&c| visits[e][j * k + c] * mean(c)).sum())
            .collect();
        for (e, x) in d.iter().enumerate() {
            service[e][j] = *x;
        }
        if here.is_empty() {
            continue;
        }
        stations.push(station(s, policy, j, &here)?);
        demands.push(d);
        at.push(j);
    }
    let think: Vec<f64> = s
        .classes
        .iter()
        .map(|c| match &c.arrival {
            Arrivals::Closed(l) => l.think.mean(),
            _ => f64::NAN,
        })
        .collect();
    let population: Vec<u32> = s.classes.iter().filter_map(|c| c.population()).collect();
    let metrics = super::closed::mva(&stations, &demands, &think, &population).ok()?;
    // Back from the stations visited to every node.
    let mut residence = vec![vec![0.0; k]; s.nodes.len()];
    for (&j, r) in at.iter().zip(&metrics.residence) {
        residence[j].clone_from(r);
    }
    Some(ClosedSolution {
        metrics: ClosedMetrics {
            throughput: metrics.throughput,
            residence,
        },
        visits,
        service,
    })
}

/// The closed forms of the rows of a scenario whose classes are all
/// closed (exact MVA: see [`super::closed`]). Class and overall rows are
/// per pass through the network, think time excluded; node rows per visit.
pub fn closed_rows(
    s: &Scenario,
    policy: &AnyPolicy,
    selections: &[Selection],
) -> Vec<Option<Prediction>> {
    let Some(sol) = solve_closed(s, policy) else {
        return vec![None; selections.len()];
    };
    let k = s.classes.len();
    let m = &sol.metrics;
    let row = |throughput: f64, response: f64, service: f64| {
        (throughput > 0.0).then(|| Prediction {
            formula: "mva".to_string(),
            kind: Kind::Exact,
            mean_wait: response - service,
            mean_response: response,
            p_block: None,
            throughput: Some(throughput),
        })
    };
    // Σ over chains, weighted by their throughputs: (X, X·R, X·S).
    let chains = |entries: &[usize], node: Option<usize>| {
        let (mut x, mut xr, mut xs) = (0.0, 0.0, 0.0);
        for &e in entries {
            let xe = m.throughput[e];
            match node {
                None => {
                    x += xe;
                    xr += xe * m.response(e);
                    xs += xe * sol.service[e].iter().sum::<f64>();
                }
                Some(j) => {
                    x += xe * (0..k).map(|c| sol.visits[e][j * k + c]).sum::<f64>();
                    xr += xe * m.residence[j][e];
                    xs += xe * sol.service[e][j];
                }
            }
        }
        row(x, xr / x, xs / x)
    };
    let all: Vec<usize> = (0..k).collect();
    selections
        .iter()
        .map(|&sel| match sel {
            Selection::All => chains(&all, None),
            Selection::Class(c) => chains(&[c], None),
            Selection::Node(j) => chains(&all, Some(j)),
            Selection::Group(_) => None,
        })
        .collect()
}
