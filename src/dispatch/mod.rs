//! Dispatching: how arriving work is spread over nodes.
//!
//! ```toml
//! [dispatch]
//! rule = "power-of-d"   # random | round-robin | jsq | power-of-d | lwl | sita | jiq | pull | hybrid
//! d = 2                 # power-of-d: nodes sampled per arrival
//! weights = [1.0, 2.0]  # random: one weight per node (default: servers × speed)
//! cutoffs = [2.0]       # sita: size boundaries, one fewer than nodes
//! push = "random"       # hybrid: the push rule (default round-robin)
//! ```
//! Push rules pick a node when a job arrives; with `pull` nodes keep no
//! queue and idle servers take the next job of one central queue ordered
//! by the discipline; with `hybrid` jobs are pushed to node queues and a
//! node whose queue runs dry takes the job the longest other queue would
//! serve next (for FCFS, its oldest). Classes that name a `node` stay
//! pinned to it; the others are dispatched.
//!
//! The dispatcher sees each node's load ([`NodeLoad`]), never the engine.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;
use serde::Deserialize;

use crate::error::FieldError;
use crate::job::Job;
use crate::model::Node;

/// `[dispatch]` as written in a scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchConfig {
    pub rule: String,
    pub d: Option<u32>,
    pub weights: Option<Vec<f64>>,
    pub cutoffs: Option<Vec<f64>>,
    pub push: Option<String>,
}

/// A validated dispatching rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Random with probabilities proportional to weights (stored cumulative).
    Random {
        cumulative: Vec<f64>,
    },
    RoundRobin,
    /// Join the shortest queue: fewest jobs present per server.
    Jsq,
    /// Sample `d` distinct nodes, join the one with fewest jobs per server.
    PowerOfD {
        d: u32,
    },
    /// Least work left per unit of capacity (servers × speed).
    Lwl,
    /// Size-interval task assignment: node `i` takes sizes in `(cutoffs[i-1], cutoffs[i]]`.
    Sita {
        cutoffs: Vec<f64>,
    },
    /// Join an idle queue (a node with an idle server), else random.
    Jiq,
    /// One central queue; idle servers pull from it.
    Pull,
    /// Push by a rule, and let an idle node take work from the longest queue.
    Hybrid {
        push: Box<Rule>,
    },
    /// The node where the job would finish first if it joined the end of
    /// its queue: least (work left + size) per unit of capacity (exact for
    /// FCFS single-server nodes). Built by the optimiser, not from files.
    EarliestFinish,
    /// A state-feedback table (e.g. an optimal MDP policy): with `n_i` jobs
    /// at node `i`, each capped at `cap`, the node is
    /// `choice[Σ_i min(n_i, cap) (cap + 1)^i]`. Built by the optimiser.
    Table {
        cap: u32,
        choice: Vec<u32>,
    },
}

/// Names accepted in `rule = "..."`.
pub const RULES: &[&str] = &[
    "random",
    "round-robin",
    "jsq",
    "power-of-d",
    "lwl",
    "sita",
    "jiq",
    "pull",
    "hybrid",
];

impl Rule {
    /// Validates a `[dispatch]` section for the given nodes.
    pub fn from_config(c: &DispatchConfig, nodes: &[Node]) -> Result<Rule, FieldError> {
        let n = nodes.len();
        let unused = |name: &str, given: bool| -> Result<(), FieldError> {
            if given {
                Err(FieldError::new(
                    format!("dispatch.{name}"),
                    "(given)",
                    format!("is not a parameter of rule `{}`", c.rule),
                ))
            } else {
                Ok(())
            }
        };
        let rule = c.rule.as_str();
        unused("d", c.d.is_some() && rule != "power-of-d")?;
        unused("weights", c.weights.is_some() && rule != "random")?;
        unused("cutoffs", c.cutoffs.is_some() && rule != "sita")?;
        unused("push", c.push.is_some() && rule != "hybrid")?;
        Ok(match rule {
            "random" => {
                let weights = match &c.weights {
                    None => nodes
                        .iter()
                        .map(|n| f64::from(n.servers) * n.speed)
                        .collect(),
                    Some(w) => {
                        if w.len() != n {
                            return Err(FieldError::new(
                                "dispatch.weights",
                                format!("{} weights", w.len()),
                                format!("give one weight per node ({n})"),
                            ));
                        }
                        if let Some(bad) = w.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
                            return Err(FieldError::new(
                                "dispatch.weights",
                                bad.to_string(),
                                "weights must be >= 0",
                            ));
                        }
                        if w.iter().sum::<f64>() <= 0.0 {
                            return Err(FieldError::new(
                                "dispatch.weights",
                                "all 0",
                                "some weight must be positive",
                            ));
                        }
                        w.clone()
                    }
                };
                // Scaled by the largest first, so the sum cannot overflow
                // (weights of 1e308 would sum to infinity and send every
                // job to the last node).
                let max = weights.iter().copied().fold(0.0, f64::max);
                let total: f64 = weights.iter().map(|w| w / max).sum();
                let mut acc = 0.0;
                let mut cumulative: Vec<f64> = weights
                    .iter()
                    .map(|w| {
                        acc += w / max / total;
                        acc
                    })
                    .collect();
                if let Some(last) = cumulative.iter().rposition(|&c| c > 0.0) {
                    cumulative[last..].fill(1.0);
                }
                Rule::Random { cumulative }
            }
            "round-robin" => Rule::RoundRobin,
            "jsq" => Rule::Jsq,
            "power-of-d" => {
                let d = c.d.ok_or_else(|| {
                    FieldError::new("dispatch.d", "(missing)", "power-of-d needs `d`")
                })?;
                if d == 0 || d as usize > n {
                    return Err(FieldError::new(
                        "dispatch.d",
                        d.to_string(),
                        format!("must be between 1 and the number of nodes ({n})"),
                    ));
                }
                Rule::PowerOfD { d }
            }
            "lwl" => Rule::Lwl,
            "sita" => {
                let cutoffs = c.cutoffs.clone().ok_or_else(|| {
                    FieldError::new("dispatch.cutoffs", "(missing)", "sita needs `cutoffs`")
                })?;
                if cutoffs.len() + 1 != n {
                    return Err(FieldError::new(
                        "dispatch.cutoffs",
                        format!("{} cutoffs", cutoffs.len()),
                        format!("give one fewer cutoff than nodes ({})", n.saturating_sub(1)),
                    ));
                }
                if cutoffs.windows(2).any(|w| w[0] >= w[1])
                    || cutoffs.iter().any(|x| !(x.is_finite() && *x > 0.0))
                {
                    return Err(FieldError::new(
                        "dispatch.cutoffs",
                        format!("{cutoffs:?}"),
                        "cutoffs must be positive and strictly increasing",
                    ));
                }
                Rule::Sita { cutoffs }
            }
            "jiq" => Rule::Jiq,
            "pull" => Rule::Pull,
            "hybrid" => {
                let push = c.push.clone().unwrap_or_else(|| "round-robin".into());
                if !matches!(
                    push.as_str(),
                    "random" | "round-robin" | "jsq" | "lwl" | "jiq"
                ) {
                    return Err(FieldError::new(
                        "dispatch.push",
                        format!("{push:?}"),
                        "hybrid pushes by random, round-robin, jsq, lwl or jiq",
                    ));
                }
                let inner = DispatchConfig {
                    rule: push,
                    d: None,
                    weights: None,
                    cutoffs: None,
                    push: None,
                };
                Rule::Hybrid {
                    push: Box::new(Rule::from_config(&inner, nodes).map_err(|mut e| {
                        e.field = "dispatch.push".into();
                        e
                    })?),
                }
            }
            other => {
                return Err(FieldError::new(
                    "dispatch.rule",
                    format!("{other:?}"),
                    format!("unknown rule; use one of {}", RULES.join(", ")),
                ));
            }
        })
    }

    /// Name for reports.
    pub fn label(&self) -> String {
        match self {
            Rule::Random { .. } => "random".into(),
            Rule::RoundRobin => "round-robin".into(),
            Rule::Jsq => "jsq".into(),
            Rule::PowerOfD { d } => format!("power-of-{d}"),
            Rule::Lwl => "lwl".into(),
            Rule::Sita { .. } => "sita".into(),
            Rule::Jiq => "jiq".into(),
            Rule::Pull => "pull".into(),
            Rule::Hybrid { push } => format!("hybrid({})", push.label()),
            Rule::EarliestFinish => "earliest-finish".into(),
            Rule::Table { .. } => "table".into(),
        }
    }
}

/// What a dispatcher may know of a node.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeLoad {
    /// Jobs at the node, waiting or in service.
    pub present: u32,
    pub servers: u32,
    pub idle: u32,
    pub speed: f64,
    /// Unfinished work (requirement units) as of `work_time`.
    pub work: f64,
    pub work_time: f64,
    /// Rate at which the node works it off now (busy servers × speed).
    pub work_rate: f64,
}

impl NodeLoad {
    /// Unfinished work at `now`.
    pub fn work_at(&self, now: f64) -> f64 {
        (self.work - self.work_rate * (now - self.work_time)).max(0.0)
    }

    /// Brings `work` up to `now` before the rate changes.
    pub fn catch_up(&mut self, now: f64) {
        self.work = self.work_at(now);
        self.work_time = now;
    }

    fn per_server(&self) -> f64 {
        f64::from(self.present) / f64::from(self.servers)
    }
}

/// A rule with its state (round-robin counter, random stream).
#[derive(Debug, Clone)]
pub struct Dispatcher {
    pub rule: Rule,
    next: usize,
    rng: Pcg64Mcg,
}

/// An index of the minimum of `(index, key)` pairs, ties broken
/// uniformly at random by reservoir sampling: the `n`-th tied index
/// replaces the choice with probability `1/n`, so each of `n` ties is
/// kept with probability `1/n` (Vitter, "Random sampling with a
/// reservoir", ACM TOMS 11(1), 1985, algorithm R with a reservoir of one).
/// One pass, no allocation; a draw only when a tie is met, so runs stay
/// reproducible by seed. Lowest-index ties made identical nodes' loads a
/// staircase.
fn argmin_random(rng: &mut Pcg64Mcg, keys: impl Iterator<Item = (usize, f64)>) -> usize {
    let (mut best, mut best_key, mut ties) = (usize::MAX, f64::INFINITY, 0u32);
    for (i, k) in keys {
        if best == usize::MAX || k < best_key {
            (best, best_key, ties) = (i, k, 1);
        } else if k == best_key {
            ties += 1;
            if rng.random_range(0..ties) == 0 {
                best = i;
            }
        }
    }
    best
}

/// [`argmin_random`] over keys in node order.
fn argmin(rng: &mut Pcg64Mcg, keys: impl Iterator<Item = f64>) -> usize {
    argmin_random(rng, keys.enumerate())
}

impl Dispatcher {
    pub fn new(rule: Rule, rng: Pcg64Mcg) -> Dispatcher {
        Dispatcher { rule, next: 0, rng }
    }

    /// The index of the least key among `(index, key)` pairs, ties broken
    /// uniformly at random from this dispatcher's stream (`None` when
    /// there are none): pull dispatching's choice among idle nodes.
    pub fn least(&mut self, keys: impl Iterator<Item = (usize, f64)>) -> Option<usize> {
        Some(argmin_random(&mut self.rng, keys)).filter(|&i| i != usize::MAX)
    }

    /// Picks the node for an arriving job. Ties (jsq, power-of-d, lwl,
    /// jiq, earliest-finish) are broken uniformly at random from the
    /// dispatch stream.
    pub fn choose(&mut self, job: &Job, nodes: &[NodeLoad], now: f64) -> u32 {
        // Fields borrowed apart, so the rule (which may hold thousands of
        // weights) is read in place, not copied per arrival.
        let rule = match &self.rule {
            Rule::Hybrid { push } => &**push,
            r => r,
        };
        let i = match rule {
            Rule::Random { cumulative } => weighted(&mut self.rng, cumulative),
            Rule::RoundRobin => {
                let i = self.next % nodes.len();
                self.next = i + 1;
                i
            }
            Rule::Jsq => argmin(&mut self.rng, nodes.iter().map(NodeLoad::per_server)),
            Rule::PowerOfD { d } => {
                let sample = rand::seq::index::sample(&mut self.rng, nodes.len(), *d as usize);
                argmin_random(
                    &mut self.rng,
                    sample.iter().map(|i| (i, nodes[i].per_server())),
                )
            }
            Rule::Lwl => argmin(
                &mut self.rng,
                nodes
                    .iter()
                    .map(|n| n.work_at(now) / (f64::from(n.servers) * n.speed)),
            ),
            Rule::Sita { cutoffs } => cutoffs
                .iter()
                .position(|&c| job.size <= c)
                .unwrap_or(cutoffs.len()),
            // Every node with an idle server ties at key 0.
            Rule::Jiq => match argmin_random(
                &mut self.rng,
                nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.idle > 0)
                    .map(|(i, _)| (i, 0.0)),
            ) {
                usize::MAX => self.rng.random_range(0..nodes.len()),
                i => i,
            },
            Rule::EarliestFinish => argmin(
                &mut self.rng,
                nodes
                    .iter()
                    .map(|n| (n.work_at(now) + job.size) / (f64::from(n.servers) * n.speed)),
            ),
            Rule::Table { cap, choice } => {
                let (mut index, mut stride) = (0usize, 1usize);
                for n in nodes {
                    index += n.present.min(*cap) as usize * stride;
                    stride *= *cap as usize + 1;
                }
                choice[index] as usize
            }
            Rule::Pull | Rule::Hybrid { .. } => {
                unreachable!("pull has no push step; hybrid pushes by its inner rule")
            }
        };
        i as u32
    }
}

/// The first node whose cumulative weight exceeds a uniform draw, by
/// binary search: O(log n) per arrival.
fn weighted(rng: &mut Pcg64Mcg, cumulative: &[f64]) -> usize {
    let u: f64 = rng.random();
    cumulative
        .partition_point(|&c| c <= u)
        .min(cumulative.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn nodes(n: usize) -> Vec<Node> {
        (0..n)
            .map(|i| Node::new(&format!("n{i}"), 1, 1.0))
            .collect()
    }

    fn config(rule: &str) -> DispatchConfig {
        DispatchConfig {
            rule: rule.into(),
            d: None,
            weights: None,
            cutoffs: None,
            push: None,
        }
    }

    #[test]
    fn bad_configs_name_the_field() {
        let cases = [
            (
                DispatchConfig {
                    d: Some(5),
                    ..config("power-of-d")
                },
                "dispatch.d",
            ),
            (config("power-of-d"), "dispatch.d"),
            (
                DispatchConfig {
                    weights: Some(vec![1.0]),
                    ..config("random")
                },
                "dispatch.weights",
            ),
            (
                DispatchConfig {
                    cutoffs: Some(vec![2.0, 1.0]),
                    ..config("sita")
                },
                "dispatch.cutoffs",
            ),
            (
                DispatchConfig {
                    d: Some(2),
                    ..config("jsq")
                },
                "dispatch.d",
            ),
            (config("nearest"), "dispatch.rule"),
            (
                DispatchConfig {
                    push: Some("pull".into()),
                    ..config("hybrid")
                },
                "dispatch.push",
            ),
        ];
        for (c, field) in cases {
            let e = Rule::from_config(&c, &nodes(3)).expect_err(&format!("{c:?}"));
            assert_eq!(e.field, field, "{e}");
        }
    }

    #[test]
    fn rules_pick_as_documented() {
        let rng = || Pcg64Mcg::seed_from_u64(1);
        let job = Job::new(0, 0, 0, 0, 0.0, 3.0);
        let mut loads = vec![
            NodeLoad {
                servers: 1,
                speed: 1.0,
                ..NodeLoad::default()
            };
            3
        ];
        loads[0].present = 2;
        loads[1].present = 1;
        loads[2].present = 1;
        loads[2].idle = 0;
        let mut d = Dispatcher::new(Rule::Jsq, rng());
        let picks: Vec<u32> = (0..200).map(|_| d.choose(&job, &loads, 0.0)).collect();
        // Nodes 1 and 2 tie on fewest present: each about half the time
        // (binomial(200, 1/2): 100 ± 3 standard deviations of 7.1).
        let ones = picks.iter().filter(|&&i| i == 1).count();
        assert!(picks.iter().all(|&i| i == 1 || i == 2), "{picks:?}");
        assert!((79..=121).contains(&ones), "{ones}");
        let mut d = Dispatcher::new(Rule::RoundRobin, rng());
        let picks: Vec<u32> = (0..4).map(|_| d.choose(&job, &loads, 0.0)).collect();
        assert_eq!(picks, vec![0, 1, 2, 0]);
        let mut d = Dispatcher::new(
            Rule::Sita {
                cutoffs: vec![1.0, 5.0],
            },
            rng(),
        );
        assert_eq!(d.choose(&job, &loads, 0.0), 1);
        loads[0].work = 1.0;
        loads[0].work_rate = 1.0;
        loads[1].work = 5.0;
        loads[2].work = 3.0;
        let mut d = Dispatcher::new(Rule::Lwl, rng());
        assert_eq!(d.choose(&job, &loads, 0.5), 0, "0.5 left at node 0");
        loads[1].idle = 1;
        let mut d = Dispatcher::new(Rule::Jiq, rng());
        assert_eq!(d.choose(&job, &loads, 0.0), 1);
    }
}
