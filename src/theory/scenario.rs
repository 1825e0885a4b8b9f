//! Which formula describes a scenario's result row, and its value.
//!
//! A node is described by a formula when its arrivals are Poisson (or,
//! for the approximations, a single renewal stream) and the discipline
//! has a known mean:
//!
//! | discipline | servers | formula |
//! |---|---|---|
//! | `fcfs` | 1 | `mm1` (exponential sizes, one class) or `pollaczek-khinchine` |
//! | `fcfs` | c | `erlang-c` (exponential sizes of one mean), else `allen-cunneen` (approximation) |
//! | `lcfs` | 1 | `pollaczek-khinchine` (a size-blind non-preemptive order has FCFS's mean) |
//! | `ps`, `lcfs-pr` | 1 | `ps`: `E[S_k]/(1 − ρ)` per class |
//! | `ps` | c | `erlang-c` (exponential sizes of one mean: the same birth-death chain) |
//! | `priority` | 1 | `cobham` per priority level |
//! | `priority-pr` | 1 | `preemptive-resume` per priority level |
//! | `srpt`, `fb` | 1 | `srpt`, `fb` integrals (one class) |
//! | `fcfs` with renewal arrivals | 1 / c | `kingman` / `allen-cunneen` (approximations) |
//! | `fcfs`, node `capacity` K | c | `mmck`, or `erlang-b` when K = c (exponential sizes) |
//! | `fcfs`, servers failing while busy (`failures`, `clock = "busy"`, `resume`) | 1 | `breakdowns-mg1` |
//! | `fcfs`, one class with `batch` | 1 | `mxg1` (M^X/G/1, Poisson batch instants) |
//!
//! A time-varying arrival rate or a trace has no stationary formula: such
//! rows get none (not the figure of their mean rate).
//!
//! Classes pinned to nodes are handled node by node; `random` dispatching
//! thins a Poisson stream into independent Poisson streams, so each node
//! is again one of the above; `pull` onto identical single-server nodes
//! under `fcfs` is one M/M/c or M/G/c. Rows over several nodes or classes
//! combine the parts weighted by arrival rate.

use serde::Serialize;

use super::{ClassLoad, Kind, Metrics, TheoryError};
use crate::dispatch::Rule;
use crate::model::{Dist, Scenario};
use crate::policy::{AnyPolicy, DisciplineKind};
use crate::stats::Selection;

/// The theoretical value of a result row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The formula's name, or `mixed` when parts use different ones.
    pub formula: String,
    pub kind: Kind,
    pub mean_wait: f64,
    pub mean_response: f64,
    /// Probability an arrival is turned away, where nodes have a capacity.
    pub p_block: Option<f64>,
    /// Jobs (passes, for closed classes) per unit time, where the
    /// population rather than the arrival rate sets it.
    pub throughput: Option<f64>,
}

/// One class at one node, as a formula sees it.
#[derive(Debug, Clone)]
struct Part {
    class: usize,
    node: usize,
    /// Admitted arrival rate of this class at this node (the weight of its
    /// response time in a combined row).
    lambda: f64,
    /// Blocking probability, at a node with a capacity.
    p_block: Option<f64>,
    formula: &'static str,
    kind: Kind,
    mean_wait: f64,
    mean_response: f64,
}

/// A class's stream at a node: rate and service moments in time units.
#[derive(Debug, Clone, Copy)]
struct Stream {
    class: usize,
    lambda: f64,
    es: f64,
    es2: f64,
    priority: i32,
    exponential: bool,
}

fn is_poisson(d: &Dist) -> bool {
    matches!(d, Dist::Exponential { .. })
}

/// Whether a class's jobs arrive as a Poisson process: exponential
/// renewal instants, one job each.
fn poisson_jobs(c: &crate::model::Class) -> bool {
    c.arrival.renewal().is_some_and(is_poisson) && c.batch.is_one()
}

/// Whether a class's jobs arrive as a renewal process, one at a time.
fn renewal_jobs(c: &crate::model::Class) -> bool {
    c.arrival.renewal().is_some() && c.batch.is_one()
}

/// How much of class `k`'s arrivals node `j` receives, if the split is
/// known and keeps the stream Poisson (pinned, or random dispatching).
fn share(s: &Scenario, k: usize, j: usize) -> Option<f64> {
    match (s.classes[k].node, &s.dispatch) {
        (Some(n), _) => Some(f64::from(u8::from(n == j))),
        (None, Some(Rule::Random { cumulative })) => {
            let before = if j == 0 { 0.0 } else { cumulative[j - 1] };
            Some(cumulative[j] - before)
        }
        _ => None,
    }
}

/// The parts of every class at every node, or `None` when some part has
/// no formula.
fn parts(s: &Scenario, policy: &AnyPolicy) -> Option<Vec<Part>> {
    if s.dispatch == Some(Rule::Pull) {
        return pull_parts(s, policy);
    }
    let mut all = Vec::new();
    let run_policy = policy;
    for (j, node) in s.nodes.iter().enumerate() {
        let policy = s.discipline_at(j, run_policy);
        let mut streams = Vec::new();
        for (k, c) in s.classes.iter().enumerate() {
            let w = share(s, k, j)?;
            if w > 0.0 {
                streams.push(Stream {
                    class: k,
                    lambda: s.arrival_rate(k) * w,
                    es: c.service.mean() / node.speed,
                    es2: c.service.second_moment() / (node.speed * node.speed),
                    priority: c.priority,
                    exponential: is_poisson(&c.service),
                });
            }
        }
        if streams.is_empty() {
            continue;
        }
        if streams.iter().any(|st| !s.classes[st.class].batch.is_one()) {
            // Batches at a node whose servers fail: no formula here.
            if node.failures.is_some() {
                return None;
            }
            all.extend(batch_part(s, policy, j, node, &streams)?);
            continue;
        }
        let poisson = streams.iter().all(|st| poisson_jobs(&s.classes[st.class]));
        // A single renewal stream has the G/G/c approximations.
        let renewal = !poisson
            && streams.len() == 1
            && s.dispatch.is_none()
            && renewal_jobs(&s.classes[streams[0].class]);
        if !poisson && !renewal {
            return None;
        }
        // Rigid visits that each take the whole node make it one fast
        // server of the same speed: M/G/1 under FCFS.
        let widths: Vec<u32> = streams
            .iter()
            .map(|st| s.classes[st.class].servers_per_job)
            .collect();
        let servers = if widths.iter().all(|&w| w == 1) {
            node.servers
        } else if widths.iter().all(|&w| w == node.servers)
            && policy.discipline() == DisciplineKind::Fcfs
        {
            1
        } else {
            return None;
        };
        if node.failures.is_some() {
            all.extend(failing_part(s, policy, j, node, &streams, poisson)?);
            continue;
        }
        let impatient = streams.iter().any(|st| {
            let c = &s.classes[st.class];
            c.patience.is_some() || !c.baulk.is_empty()
        });
        if impatient {
            all.extend(impatient_part(s, policy, j, node, &streams, poisson)?);
            continue;
        }
        if streams
            .iter()
            .any(|st| s.classes[st.class].attempts.is_some())
        {
            all.extend(feedback_part(s, policy, j, node, &streams, poisson)?);
            continue;
        }
        let node_parts = match node.capacity {
            Some(k) => capacity_parts(policy, j, servers, k, &streams, poisson)?,
            None => node_parts(s, policy, j, servers, node.speed, &streams, renewal)?,
        };
        all.extend(node_parts);
    }
    Some(all)
}

/// Pull dispatching onto identical nodes under FCFS is one M/G/c queue.
fn pull_parts(s: &Scenario, policy: &AnyPolicy) -> Option<Vec<Part>> {
    let speed = s.nodes[0].speed;
    if policy.discipline() != DisciplineKind::Fcfs || s.nodes.iter().any(|n| n.speed != speed) {
        return None;
    }
    let servers: u32 = s.nodes.iter().map(|n| n.servers).sum();
    let streams: Vec<Stream> = s
        .classes
        .iter()
        .enumerate()
        .map(|(k, c)| Stream {
            class: k,
            lambda: s.arrival_rate(k),
            es: c.service.mean() / speed,
            es2: c.service.second_moment() / (speed * speed),
            priority: c.priority,
            exponential: is_poisson(&c.service),
        })
        .collect();
    if !s.classes.iter().all(poisson_jobs) {
        return None;
    }
    // Jobs waiting centrally belong to no node: report the system only.
    let mut p = node_parts(s, policy, usize::MAX, servers, speed, &streams, false)?;
    for part in &mut p {
        part.node = usize::MAX;
    }
    Some(p)
}

/// A node whose one class reneges or baulks: M/M/c with impatience
/// (Erlang A, baulking) under FCFS, for Poisson arrivals, exponential
/// sizes and exponential (or no) patience. `mean_wait` covers every
/// admitted job, `mean_response` the served ones, as in the rows.
fn impatient_part(
    s: &Scenario,
    policy: &AnyPolicy,
    node: usize,
    n: &crate::model::Node,
    streams: &[Stream],
    poisson: bool,
) -> Option<Vec<Part>> {
    let [st] = streams else {
        return None;
    };
    let class = &s.classes[st.class];
    let theta = match &class.patience {
        None => 0.0,
        Some(Dist::Exponential { rate, .. }) => *rate,
        Some(_) => return None,
    };
    if !poisson
        || !st.exponential
        || policy.discipline() != DisciplineKind::Fcfs
        || n.capacity.is_some()
    {
        return None;
    }
    let m = super::mmc_impatient(st.lambda, 1.0 / st.es, n.servers, theta, &class.baulk).ok()?;
    let formula = if theta > 0.0 { "erlang-a" } else { "baulking" };
    let served = Stream {
        lambda: m.throughput,
        ..*st
    };
    Some(vec![part(
        &served,
        node,
        formula,
        Kind::Exact,
        m.mean_wait,
        m.mean_response_served,
    )])
}

/// A node whose one class arrives in batches: M^X/G/1 under FCFS, for
/// a class pinned to a single-server node (dispatching each job on its
/// own would split batches) whose batch instants are Poisson, with no
/// impatience, lifecycle or capacity. `lambda` of the part is the job rate.
fn batch_part(
    s: &Scenario,
    policy: &AnyPolicy,
    node: usize,
    n: &crate::model::Node,
    streams: &[Stream],
) -> Option<Vec<Part>> {
    let [st] = streams else {
        return None;
    };
    let c = &s.classes[st.class];
    let plain = c.node == Some(node)
        && c.arrival.renewal().is_some_and(is_poisson)
        && c.patience.is_none()
        && c.baulk.is_empty()
        && c.attempts.is_none()
        && c.servers_per_job == 1
        && n.servers == 1
        && n.capacity.is_none()
        && policy.discipline() == DisciplineKind::Fcfs;
    if !plain {
        return None;
    }
    let (ex, ex2) = (c.batch.mean(), c.batch.second_moment());
    let m = super::mxg1(st.lambda / ex, ex, ex2, st.es, st.es2).ok()?;
    Some(vec![part(
        st,
        node,
        "mxg1",
        Kind::Exact,
        m.mean_wait,
        m.mean_response,
    )])
}

/// A node whose one class retries attempts that fail at their end, at
/// once and with a fresh size (`failure = { p, at = "end" }`, unlimited
/// attempts, no backoff, `sizes = "resample"`, no time limits): M/M/c with
/// Bernoulli feedback under FCFS, for Poisson arrivals and exponential
/// sizes. Every other lifecycle has no formula here.
fn feedback_part(
    s: &Scenario,
    policy: &AnyPolicy,
    node: usize,
    n: &crate::model::Node,
    streams: &[Stream],
    poisson: bool,
) -> Option<Vec<Part>> {
    use crate::lifecycle::{Failure, OnGiveUp};
    let [st] = streams else {
        return None;
    };
    let a = s.classes[st.class].attempts.as_ref()?;
    let Failure::Probability { p, at_end: true } = a.failure else {
        return None;
    };
    let plain = a.retry.max_attempts == 0
        && a.retry.backoff.immediate()
        && a.resample
        && a.timeout.is_infinite()
        && a.queue_timeout.is_infinite()
        && a.deadline.is_infinite()
        && matches!(a.on_give_up, OnGiveUp::DeadLetter);
    if !plain
        || !poisson
        || !st.exponential
        || policy.discipline() != DisciplineKind::Fcfs
        || n.capacity.is_some()
    {
        return None;
    }
    let m = super::mmc_feedback(st.lambda, 1.0 / st.es, n.servers, p).ok()?;
    Some(vec![part(
        st,
        node,
        "bernoulli-feedback",
        Kind::Exact,
        m.mean_wait,
        m.mean_response,
    )])
}

/// A single-server node whose server fails only while busy, at
/// exponential times, and whose interrupted job resumes after the repair:
/// the M/G/1 (FCFS) with each job's completion time as its service
/// ([`super::resume_completion`]). Other failure models have no formula
/// here (an idle server that fails delays the next arrival's start).
fn failing_part(
    s: &Scenario,
    policy: &AnyPolicy,
    node: usize,
    n: &crate::model::Node,
    streams: &[Stream],
    poisson: bool,
) -> Option<Vec<Part>> {
    use crate::model::{FailureClock, OnFailure};
    let f = n.failures.as_ref()?;
    let Dist::Exponential { rate: g, .. } = f.up else {
        return None;
    };
    let plain = streams.iter().all(|st| {
        let c = &s.classes[st.class];
        c.attempts.is_none() && c.patience.is_none() && c.baulk.is_empty()
    });
    if f.clock != FailureClock::Busy
        || f.running != OnFailure::Resume
        || n.servers != 1
        || n.capacity.is_some()
        || !plain
        || !poisson
        || policy.discipline() != DisciplineKind::Fcfs
    {
        return None;
    }
    let (er, er2) = (f.down.mean(), f.down.second_moment());
    let completions: Vec<(f64, f64)> = streams
        .iter()
        .map(|st| super::resume_completion(g, st.es, st.es2, er, er2).ok())
        .collect::<Option<_>>()?;
    let lambda: f64 = streams.iter().map(|st| st.lambda).sum();
    let ec = streams
        .iter()
        .zip(&completions)
        .map(|(st, c)| st.lambda * c.0)
        .sum::<f64>()
        / lambda;
    let ec2 = streams
        .iter()
        .zip(&completions)
        .map(|(st, c)| st.lambda * c.1)
        .sum::<f64>()
        / lambda;
    let queue = super::mg1(lambda, ec, ec2).ok()?.mean_wait;
    Some(
        streams
            .iter()
            .zip(&completions)
            .map(|(st, c)| {
                let response = queue + c.0;
                // The rows' wait is response minus time actually served.
                part(
                    st,
                    node,
                    "breakdowns-mg1",
                    Kind::Exact,
                    response - st.es,
                    response,
                )
            })
            .collect(),
    )
}

/// A node holding at most `k` jobs: M/M/c/K under FCFS (Erlang B when
/// `k = c`), for Poisson arrivals and exponential sizes of one mean.
fn capacity_parts(
    policy: &AnyPolicy,
    node: usize,
    c: u32,
    k: u32,
    streams: &[Stream],
    poisson: bool,
) -> Option<Vec<Part>> {
    let (lambda, es, _) = merged(streams);
    let exponential = streams
        .iter()
        .all(|st| st.exponential && (st.es - es).abs() < 1e-12 * es);
    if !poisson || !exponential || policy.discipline() != DisciplineKind::Fcfs {
        return None;
    }
    let m = super::mmck(lambda, 1.0 / es, c, k).ok()?;
    let formula = if k == c { "erlang-b" } else { "mmck" };
    Some(
        streams
            .iter()
            .map(|st| Part {
                class: st.class,
                node,
                lambda: st.lambda * (1.0 - m.p_block),
                p_block: Some(m.p_block),
                formula,
                kind: Kind::Exact,
                mean_wait: m.metrics.mean_wait,
                mean_response: m.metrics.mean_response,
            })
            .collect(),
    )
}

fn merged(streams: &[Stream]) -> (f64, f64, f64) {
    let lambda: f64 = streams.iter().map(|s| s.lambda).sum();
    let es = streams.iter().map(|s| s.lambda * s.es).sum::<f64>() / lambda;
    let es2 = streams.iter().map(|s| s.lambda * s.es2).sum::<f64>() / lambda;
    (lambda, es, es2)
}

fn part(
    st: &Stream,
    node: usize,
    formula: &'static str,
    kind: Kind,
    wait: f64,
    response: f64,
) -> Part {
    Part {
        class: st.class,
        node,
        lambda: st.lambda,
        p_block: None,
        formula,
        kind,
        mean_wait: wait,
        mean_response: response,
    }
}

/// Formulas for the classes at one node.
fn node_parts(
    s: &Scenario,
    policy: &AnyPolicy,
    node: usize,
    c: u32,
    speed: f64,
    streams: &[Stream],
    renewal: bool,
) -> Option<Vec<Part>> {
    let (lambda, es, es2) = merged(streams);
    let kind = policy.discipline();
    let one_exponential_mean = streams
        .iter()
        .all(|st| st.exponential && (st.es - streams[0].es).abs() < 1e-12 * es);
    let same_wait = |m: Metrics, formula: &'static str, kind: Kind| -> Vec<Part> {
        streams
            .iter()
            .map(|st| part(st, node, formula, kind, m.mean_wait, m.mean_wait + st.es))
            .collect()
    };
    if renewal {
        if kind != DisciplineKind::Fcfs {
            return None;
        }
        let st = &streams[0];
        let ca2 = s.classes[st.class].arrival.renewal()?.scv();
        let cs2 = es2 / (es * es) - 1.0;
        let m = if c == 1 {
            super::kingman(lambda, es, ca2, cs2).ok()?
        } else {
            super::allen_cunneen(lambda, es, c, ca2, cs2).ok()?
        };
        let name = if c == 1 { "kingman" } else { "allen-cunneen" };
        return Some(same_wait(m, name, Kind::Approximation));
    }
    match kind {
        DisciplineKind::Fcfs | DisciplineKind::Lcfs if c == 1 => {
            let m = super::mg1(lambda, es, es2).ok()?;
            let name = if one_exponential_mean && kind == DisciplineKind::Fcfs {
                "mm1"
            } else {
                "pollaczek-khinchine"
            };
            Some(same_wait(m, name, Kind::Exact))
        }
        DisciplineKind::Fcfs if one_exponential_mean => {
            let m = super::mmc(lambda, 1.0 / es, c).ok()?.metrics;
            Some(same_wait(m, "erlang-c", Kind::Exact))
        }
        DisciplineKind::Fcfs => {
            let cs2 = es2 / (es * es) - 1.0;
            let m = super::allen_cunneen(lambda, es, c, 1.0, cs2).ok()?;
            Some(same_wait(m, "allen-cunneen", Kind::Approximation))
        }
        DisciplineKind::Ps | DisciplineKind::LcfsPr if c == 1 => {
            let rho = lambda * es;
            if rho >= 1.0 {
                return None;
            }
            Some(
                streams
                    .iter()
                    .map(|st| {
                        let t = st.es / (1.0 - rho);
                        part(st, node, "ps", Kind::Exact, t - st.es, t)
                    })
                    .collect(),
            )
        }
        DisciplineKind::Ps if one_exponential_mean => {
            let m = super::mmc(lambda, 1.0 / es, c).ok()?.metrics;
            Some(same_wait(m, "erlang-c", Kind::Exact))
        }
        DisciplineKind::Priority | DisciplineKind::PriorityPr if c == 1 => {
            let mut levels: Vec<i32> = streams.iter().map(|st| st.priority).collect();
            levels.sort_unstable();
            levels.dedup();
            let groups: Vec<Vec<&Stream>> = levels
                .iter()
                .map(|p| streams.iter().filter(|st| st.priority == *p).collect())
                .collect();
            let loads: Vec<ClassLoad> = groups
                .iter()
                .map(|g| {
                    let owned: Vec<Stream> = g.iter().map(|st| **st).collect();
                    let (l, e1, e2) = merged(&owned);
                    ClassLoad {
                        lambda: l,
                        es: e1,
                        es2: e2,
                    }
                })
                .collect();
            let preemptive = kind == DisciplineKind::PriorityPr;
            let results = if preemptive {
                super::priority_preemptive_resume(&loads)
            } else {
                super::priority_nonpreemptive(&loads)
            };
            let mut out = Vec::new();
            let mut sigma_before = 0.0;
            for (g, (group, result)) in groups.iter().zip(results).enumerate() {
                let m = result.ok()?;
                let sigma = m.rho;
                for st in group {
                    let (wait, response) = if preemptive {
                        // The level's waiting term is shared; the first term
                        // stretches each class's own size.
                        let shared = m.mean_response - loads[g].es / (1.0 - sigma_before);
                        let t = st.es / (1.0 - sigma_before) + shared;
                        (t - st.es, t)
                    } else {
                        (m.mean_wait, m.mean_wait + st.es)
                    };
                    let name = if preemptive {
                        "preemptive-resume"
                    } else {
                        "cobham"
                    };
                    out.push(part(st, node, name, Kind::Exact, wait, response));
                }
                sigma_before = sigma;
            }
            Some(out)
        }
        DisciplineKind::Srpt | DisciplineKind::Fb if c == 1 && streams.len() == 1 => {
            // Time runs `speed` times faster at this node: a queue with
            // sizes S/v and rate λ is the queue (λ/v, S) on a clock v times slower.
            let st = &streams[0];
            let dist = &s.classes[st.class].service;
            let srpt = kind == DisciplineKind::Srpt;
            let m = if srpt {
                super::mg1_srpt(lambda / speed, dist)
            } else {
                super::mg1_fb(lambda / speed, dist)
            }
            .ok()?;
            let t = m.mean_response / speed;
            let name = if srpt { "srpt" } else { "fb" };
            Some(vec![part(st, node, name, Kind::Exact, t - st.es, t)])
        }
        _ => None,
    }
}

/// The theoretical value for a row, if the scenario and policy have one.
pub fn predict(s: &Scenario, policy: &AnyPolicy, selection: Selection) -> Option<Prediction> {
    predict_rows(s, policy, &[selection]).pop().flatten()
}

/// The theoretical values of many rows, the formulas worked out once.
pub fn predict_rows(
    s: &Scenario,
    policy: &AnyPolicy,
    selections: &[Selection],
) -> Vec<Option<Prediction>> {
    // Servers that come and go on a schedule have no closed form here
    // (the node's figures follow the shifts: see the timeline).
    if s.nodes.iter().any(|n| n.schedule.is_some()) {
        return vec![None; selections.len()];
    }
    // A job that is a graph of tasks placed at run time has no queueing
    // formula here; the workflow's own bounds are in `schedlab workflow`.
    if s.classes.iter().any(|c| c.is_workflow()) {
        return vec![None; selections.len()];
    }
    if s.classes.iter().any(|c| c.is_closed()) {
        return super::product_form::closed_rows(s, policy, selections);
    }
    if s.is_network() {
        return super::product_form::predict_rows(s, policy, selections);
    }
    let Some(parts) = parts(s, policy) else {
        return vec![None; selections.len()];
    };
    let mut by_class: Vec<Vec<&Part>> = vec![Vec::new(); s.classes.len()];
    let mut by_node: Vec<Vec<&Part>> = vec![Vec::new(); s.nodes.len()];
    for p in &parts {
        by_class[p.class].push(p);
        if let Some(n) = by_node.get_mut(p.node) {
            n.push(p);
        }
    }
    let all: Vec<&Part> = parts.iter().collect();
    selections
        .iter()
        .map(|&sel| match sel {
            Selection::All => combine(&all),
            Selection::Class(k) => combine(&by_class[k]),
            Selection::Node(j) => by_node.get(j).and_then(|n| combine(n)),
            // The members' parts together, weighted by their rates.
            Selection::Group(g) => combine(
                &s.groups[g]
                    .members()
                    .flat_map(|j| by_node[j].iter().copied())
                    .collect::<Vec<_>>(),
            ),
        })
        .collect()
}

/// One row's value from its parts, weighted by their arrival rates.
fn combine(chosen: &[&Part]) -> Option<Prediction> {
    if chosen.is_empty() {
        return None;
    }
    let lambda: f64 = chosen.iter().map(|p| p.lambda).sum();
    let weighted =
        |f: &dyn Fn(&Part) -> f64| chosen.iter().map(|p| p.lambda * f(p)).sum::<f64>() / lambda;
    let first = chosen[0].formula;
    let formula = if chosen.iter().all(|p| p.formula == first) {
        first
    } else {
        "mixed"
    };
    let kind = if chosen.iter().all(|p| p.kind == Kind::Exact) {
        Kind::Exact
    } else {
        Kind::Approximation
    };
    // Blocking is a share of offered arrivals: weight by λ / (1 − p).
    let p_block = chosen.iter().any(|p| p.p_block.is_some()).then(|| {
        let offered = |p: &Part| p.lambda / (1.0 - p.p_block.unwrap_or(0.0));
        let total: f64 = chosen.iter().map(|p| offered(p)).sum();
        chosen
            .iter()
            .map(|p| offered(p) * p.p_block.unwrap_or(0.0))
            .sum::<f64>()
            / total
    });
    Some(Prediction {
        formula: formula.to_string(),
        kind,
        mean_wait: weighted(&|p| p.mean_wait),
        mean_response: weighted(&|p| p.mean_response),
        p_block,
        throughput: None,
    })
}

/// A network is unstable when some node is: its visit rates offer it a
/// load of 1 or more.
pub fn instability(s: &Scenario) -> Option<TheoryError> {
    // A closed class cannot grow without bound, and its rate is only a
    // bound: no load here says the scenario is unstable.
    if s.bounded_by_impatience() || s.classes.iter().any(|c| c.is_closed()) {
        return None;
    }
    let rho = if s.is_network() {
        let k = s.classes.len();
        let rates = s.visit_rates(None);
        (0..s.nodes.len())
            .map(|j| {
                let n = &s.nodes[j];
                (0..k)
                    .map(|c| rates[j * k + c] * s.classes[c].demand_at(j).mean())
                    .sum::<f64>()
                    / n.work_rate()
            })
            .fold(0.0, f64::max)
    } else {
        s.total_load()
    };
    (rho >= 1.0).then_some(TheoryError::Unstable { rho })
}
