//! Capacity search (`schedlab size`): the fewest servers, or the least
//! speed, of one node that meets a target such as `p95_response <= 2.0`.
//!
//! Theory proposes, simulation decides. Where a closed form describes the
//! scenario (Erlang C for M/M/c: the mean wait `C(c, a) / (cμ − λ)` and the
//! probability of waiting `C(c, a)`, Kleinrock 1975 §3.5, Harchol-Balter
//! 2013 ch. 14; and every other formula of [`crate::theory::predict`]), its
//! answer is found first, at no cost, and the simulation starts there:
//! usually two runs (the answer and the value below it) settle the
//! question. Without a formula the simulation starts at the smallest
//! stable value.
//!
//! A value meets the target when the 95% confidence bound of its estimate
//! does: the upper bound for `<=` and `<` (so that "meets" is a claim the
//! replications back, not a coin toss near the boundary), the lower bound
//! for a utilisation's `>=` and `>`. The figures fall as capacity grows,
//! so an upper target is met from some value on, and the answer is the
//! smallest value that meets it with the value below failing (or
//! unstable); a lower bound on utilisation is met up to some value, and
//! the answer is the largest value that meets it, the value above failing.
//!
//! Every candidate runs on the same seed (common random numbers), so
//! neighbouring candidates see the same arrivals and sizes and the
//! comparison between them is not blurred by independent noise.
//!
//! The search steps from its start by doubling steps (1, 2, 4, ...) until
//! the target changes between two values, then bisects between them: a
//! few runs whatever the distance. A speed search runs on the grid of
//! multiples of its resolution `tol`, so it is the same integer search.

use std::collections::BTreeMap;

use crate::error::FieldError;
use crate::experiment;
use crate::model::Scenario;
use crate::policy::{AnyPolicy, DisciplineKind};
use crate::stats::{QUANTILES, RowStats, Selection, summarize};
use crate::sweep::Param;
use crate::theory::{self, Kind};

/// A speed search looks no further than this factor above the node's
/// speed (or its smallest stable speed, if higher).
pub const MAX_SPEED_FACTOR: f64 = 1000.0;

/// The figures a target can bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    MeanWait,
    MeanResponse,
    /// A response-time percentile as `run` reports it: index into [`QUANTILES`].
    Quantile(usize),
    /// The share of jobs that wait at all, `P(W > 0)`.
    PWait,
    /// The share of arrivals turned away by full nodes.
    PBlock,
    Utilization,
}

/// The metric names a target accepts, for messages.
pub const METRICS: &str = "mean_wait, mean_response, p50_response, p90_response, p95_response, \
                           p99_response, p_wait, p_block, utilization (or utilisation)";

impl Metric {
    pub fn parse(name: &str) -> Option<Metric> {
        Some(match name {
            "mean_wait" => Metric::MeanWait,
            "mean_response" => Metric::MeanResponse,
            "p50_response" => Metric::Quantile(0),
            "p90_response" => Metric::Quantile(1),
            "p95_response" => Metric::Quantile(2),
            "p99_response" => Metric::Quantile(3),
            "p_wait" => Metric::PWait,
            "p_block" => Metric::PBlock,
            "utilization" | "utilisation" => Metric::Utilization,
            _ => return None,
        })
    }

    /// The name as `run` reports the figure.
    pub fn name(self) -> &'static str {
        match self {
            Metric::MeanWait => "mean_wait",
            Metric::MeanResponse => "mean_response",
            Metric::Quantile(0) => "p50_response",
            Metric::Quantile(1) => "p90_response",
            Metric::Quantile(2) => "p95_response",
            Metric::Quantile(_) => "p99_response",
            Metric::PWait => "p_wait",
            Metric::PBlock => "p_block",
            Metric::Utilization => "utilization",
        }
    }

    /// A share in [0, 1] rather than a time.
    fn is_share(self) -> bool {
        matches!(self, Metric::PWait | Metric::PBlock | Metric::Utilization)
    }

    /// The estimate of a row and its 95% half-width.
    pub fn of(self, s: &RowStats) -> (f64, Option<f64>) {
        let e = match self {
            Metric::MeanWait => s.mean_wait,
            Metric::MeanResponse => s.mean_response,
            Metric::Quantile(i) => return (s.response_quantiles[i], s.response_quantiles_ci95[i]),
            Metric::PWait => s.p_wait,
            Metric::PBlock => s.blocking_probability,
            Metric::Utilization => s.utilization,
        };
        (e.mean, e.ci95)
    }

    /// Whether the figure stops falling once no job waits: then more
    /// servers change nothing (every job is served at once already).
    fn set_by_waiting(self) -> bool {
        matches!(
            self,
            Metric::MeanWait | Metric::MeanResponse | Metric::Quantile(_) | Metric::PWait
        )
    }
}

/// How the figure compares with the bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    Below,
    AtMost,
    AtLeast,
    Above,
}

impl Comparison {
    fn symbol(self) -> &'static str {
        match self {
            Comparison::Below => "<",
            Comparison::AtMost => "<=",
            Comparison::AtLeast => ">=",
            Comparison::Above => ">",
        }
    }

    /// An upper bound on the figure (`<=`, `<`).
    pub fn is_upper(self) -> bool {
        matches!(self, Comparison::Below | Comparison::AtMost)
    }

    fn holds(self, x: f64, bound: f64) -> bool {
        match self {
            Comparison::Below => x < bound,
            Comparison::AtMost => x <= bound,
            Comparison::AtLeast => x >= bound,
            Comparison::Above => x > bound,
        }
    }
}

/// A target: a figure, a comparison and a bound, e.g. `p95_response <= 2.0`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub metric: Metric,
    pub comparison: Comparison,
    pub bound: f64,
    /// The bound as written, for the canonical text.
    bound_text: String,
}

impl Target {
    /// Parses `METRIC OP VALUE`; errors name `--target` and the text.
    pub fn parse(text: &str) -> Result<Target, FieldError> {
        let bad = |msg: String| FieldError::new("--target", format!("\"{text}\""), msg);
        let found = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|op| text.find(op).map(|i| (i, *op)));
        let Some((at, op)) = found else {
            return Err(bad(
                "write METRIC <= VALUE (or <, or >= for utilization), e.g. \"p95_response <= 2.0\""
                    .into(),
            ));
        };
        let name = text[..at].trim();
        let value = text[at + op.len()..].trim();
        let metric = Metric::parse(name).ok_or_else(|| {
            bad(if name.is_empty() {
                format!("name a metric before `{op}`; metrics are: {METRICS}")
            } else {
                format!("unknown metric `{name}`; metrics are: {METRICS}")
            })
        })?;
        let comparison = match op {
            "<=" => Comparison::AtMost,
            "<" => Comparison::Below,
            ">=" => Comparison::AtLeast,
            _ => Comparison::Above,
        };
        let bound = value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad(format!("`{value}` is not a finite number")))?;
        if !comparison.is_upper() && metric != Metric::Utilization {
            return Err(bad(format!(
                "`{}` takes an upper bound (<= or <); only utilization takes a lower one",
                metric.name()
            )));
        }
        if metric.is_share() && !(0.0..=1.0).contains(&bound) {
            return Err(bad(format!(
                "`{}` is a share between 0 and 1: give a bound in [0, 1]",
                metric.name()
            )));
        }
        if !metric.is_share() && bound <= 0.0 {
            return Err(bad(format!(
                "`{}` is a time: give a bound greater than 0",
                metric.name()
            )));
        }
        let never = match comparison {
            Comparison::Below => bound == 0.0,
            Comparison::Above => bound == 1.0,
            _ => false,
        };
        if never {
            return Err(bad(format!(
                "`{}` is never {} {value}",
                metric.name(),
                comparison.symbol()
            )));
        }
        Ok(Target {
            metric,
            comparison,
            bound,
            bound_text: value.to_string(),
        })
    }

    /// The target as `METRIC OP VALUE`, the value as written.
    pub fn text(&self) -> String {
        format!(
            "{} {} {}",
            self.metric.name(),
            self.comparison.symbol(),
            self.bound_text
        )
    }

    /// The confidence bound the decision looks at: the upper one for an
    /// upper target, the lower one for a lower target.
    pub fn decisive(&self, estimate: f64, ci95: f64) -> f64 {
        if self.comparison.is_upper() {
            estimate + ci95
        } else {
            estimate - ci95
        }
    }

    /// Whether a figure (or its decisive confidence bound) meets the target.
    pub fn meets(&self, x: f64) -> bool {
        self.comparison.holds(x, self.bound)
    }
}

/// What the search varies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Varied {
    /// The node's servers, in whole numbers.
    Servers,
    /// The node's speed, on the grid of multiples of `tol`.
    Speed { tol: f64 },
}

/// Where a candidate's figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Theory,
    Simulation,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Theory => "theory",
            Source::Simulation => "simulation",
        }
    }
}

/// One value tried and what it gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Servers, or speed (rounded to the resolution's digits).
    pub value: f64,
    /// The figure; `None` when a replication stopped as unstable.
    pub estimate: Option<f64>,
    /// Its 95% half-width (`None` for theory, which has no sampling error).
    pub ci95: Option<f64>,
    /// The confidence bound the decision looked at (the figure itself for theory).
    pub decisive: Option<f64>,
    pub meets: bool,
    pub source: Source,
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `servers` or `speed`.
    pub parameter: &'static str,
    pub target: String,
    pub answer: f64,
    /// Candidates in the order they were tried: theory's bracket, then
    /// the simulations.
    pub candidates: Vec<Candidate>,
    /// The formula theory used, and whether it is exact.
    pub theory: Option<(String, Kind)>,
    /// Decimal digits of the values (0 for servers).
    pub decimals: usize,
}

/// A validated search: the node, what varies, the target and its jobs.
#[derive(Debug, Clone)]
pub struct Size {
    pub node: usize,
    pub varied: Varied,
    pub target: Target,
    pub selection: Selection,
    /// The class measured, or `all`.
    pub class: String,
}

/// What theory says at one value.
struct TheoryValue {
    value: f64,
    formula: String,
    kind: Kind,
}

impl Size {
    /// Checks the flags against the scenario. `node` may be left out when
    /// the scenario has one node; `tol` applies to speed only (default 1%
    /// of the node's speed).
    pub fn new(
        scenario: &Scenario,
        node: Option<&str>,
        target: &str,
        class: Option<&str>,
        param: &str,
        tol: Option<f64>,
    ) -> Result<Size, FieldError> {
        let names = |v: Vec<&str>| v.join(", ");
        let node = match node {
            Some(name) => scenario
                .nodes
                .iter()
                .position(|n| n.name == name)
                .ok_or_else(|| {
                    FieldError::new(
                        "--node",
                        name,
                        format!(
                            "no node `{name}`; nodes are: {}",
                            names(scenario.nodes.iter().map(|n| n.name.as_str()).collect())
                        ),
                    )
                })?,
            None if scenario.nodes.len() == 1 => 0,
            None => {
                return Err(FieldError::new(
                    "--node",
                    "(missing)",
                    format!(
                        "the scenario has {} nodes: name the one to size ({})",
                        scenario.nodes.len(),
                        names(scenario.nodes.iter().map(|n| n.name.as_str()).collect())
                    ),
                ));
            }
        };
        let (selection, class) = match class {
            None | Some("all") => (Selection::All, "all".to_string()),
            Some(name) => {
                let k = scenario
                    .classes
                    .iter()
                    .position(|c| c.name == name)
                    .ok_or_else(|| {
                        FieldError::new(
                            "--class",
                            name,
                            format!(
                                "no class `{name}`; classes are: {}",
                                names(scenario.classes.iter().map(|c| c.name.as_str()).collect())
                            ),
                        )
                    })?;
                (Selection::Class(k), name.to_string())
            }
        };
        let varied = match param.trim() {
            "servers" => {
                if let Some(t) = tol {
                    return Err(FieldError::new(
                        "--tol",
                        t.to_string(),
                        "applies to --param speed (servers are whole numbers)",
                    ));
                }
                Varied::Servers
            }
            "speed" => {
                let tol = tol.unwrap_or(0.01 * scenario.nodes[node].speed);
                if !(tol.is_finite() && tol > 0.0) {
                    return Err(FieldError::new(
                        "--tol",
                        tol.to_string(),
                        "must be a finite number greater than 0",
                    ));
                }
                Varied::Speed { tol }
            }
            other => {
                return Err(FieldError::new(
                    "--param",
                    other,
                    "size varies `servers` (the default) or `speed` of the node",
                ));
            }
        };
        let target = Target::parse(target)?;
        if target.metric == Metric::PBlock && scenario.nodes.iter().all(|n| n.capacity.is_none()) {
            return Err(FieldError::new(
                "--target",
                format!("\"{}\"", target.text()),
                "no node has a capacity, so no arrival is turned away: p_block needs nodes.capacity",
            ));
        }
        Ok(Size {
            node,
            varied,
            target,
            selection,
            class,
        })
    }

    fn name(&self) -> &'static str {
        match self.varied {
            Varied::Servers => "servers",
            Varied::Speed { .. } => "speed",
        }
    }

    /// Decimal digits of the values: 0 for servers, those of `tol` for speed.
    pub fn decimals(&self) -> usize {
        match self.varied {
            Varied::Servers => 0,
            Varied::Speed { tol } => (-tol.log10().floor()).max(0.0) as usize,
        }
    }

    /// The value of grid point `k`.
    fn value(&self, k: u64) -> f64 {
        match self.varied {
            Varied::Servers => k as f64,
            Varied::Speed { tol } => {
                let scale = 10f64.powi(self.decimals() as i32 + 2);
                (k as f64 * tol * scale).round() / scale
            }
        }
    }

    /// Grid point `k` in words: `7 servers`, `speed 1.25`.
    fn describe(&self, k: u64) -> String {
        let v = self.value(k);
        match self.varied {
            Varied::Servers if k == 1 => "1 server".to_string(),
            Varied::Servers => format!("{k} servers"),
            Varied::Speed { .. } => format!("speed {v:.*}", self.decimals()),
        }
    }

    /// The scenario at grid point `k`. A node with a capacity keeps its
    /// waiting room (capacity − servers): servers added come with their
    /// own place, as lines do in a loss system.
    fn at(&self, base: &Scenario, k: u64) -> Result<Scenario, FieldError> {
        let mut s = base.clone();
        let j = self.node;
        let v = self.value(k);
        match self.varied {
            Varied::Servers => {
                let room = base.nodes[j].capacity.map(|c| c - base.nodes[j].servers);
                Param::NodeServers(j).apply(&mut s, v, "servers")?;
                if let Some(room) = room {
                    s.nodes[j].capacity = Some(s.nodes[j].servers.saturating_add(room));
                }
            }
            Varied::Speed { .. } => Param::NodeSpeed(j).apply(&mut s, v, "speed")?,
        }
        Ok(s)
    }

    /// The largest grid point the search may reach.
    fn k_max(&self, base: &Scenario) -> u64 {
        match self.varied {
            Varied::Servers if crate::limits::enforced() => u64::from(crate::limits::MAX_SERVERS),
            Varied::Servers => u64::from(u32::MAX),
            Varied::Speed { tol } => {
                let top = MAX_SPEED_FACTOR * base.nodes[self.node].speed.max(tol);
                (top / tol).ceil() as u64
            }
        }
    }

    fn limit_text(&self, base: &Scenario, k_max: u64) -> String {
        match self.varied {
            Varied::Servers if crate::limits::enforced() => {
                format!("{k_max} servers (the limit; {})", crate::limits::RAISE)
            }
            Varied::Servers => format!("{k_max} servers"),
            Varied::Speed { .. } => format!(
                "speed {} ({MAX_SPEED_FACTOR} times the node's speed {})",
                crate::report::sig(self.value(k_max)),
                crate::report::sig(base.nodes[self.node].speed)
            ),
        }
    }

    /// Whether a scenario has a steady state: its load is below 1, or
    /// impatience or a finite capacity bounds the jobs present.
    fn stable(s: &Scenario) -> bool {
        theory::instability(s).is_none() || s.nodes.iter().all(|n| n.capacity.is_some())
    }

    /// The closed form of the target's figure, where one applies.
    fn theory(&self, s: &Scenario, policy: &AnyPolicy) -> Option<TheoryValue> {
        let p = theory::predict(s, policy, self.selection)?;
        let exact = |value: f64, formula: &str| {
            value.is_finite().then(|| TheoryValue {
                value,
                formula: formula.to_string(),
                kind: Kind::Exact,
            })
        };
        let plain_node = s.nodes.len() == 1
            && !s.is_network()
            && s.nodes[0].capacity.is_none()
            && s.nodes[0].failures.is_none();
        // M/M/c under FCFS (one node, Poisson arrivals, exponential sizes
        // of one mean): Erlang C gives the whole waiting-time distribution.
        let mmc = || -> Option<(f64, f64, u32)> {
            let overall = theory::predict(s, policy, Selection::All)?;
            let erlang = matches!(overall.formula.as_str(), "erlang-c" | "mm1");
            if !(plain_node && erlang && policy.discipline() == DisciplineKind::Fcfs) {
                return None;
            }
            let lambda: f64 = (0..s.classes.len()).map(|k| s.arrival_rate(k)).sum();
            let es = overall.mean_response - overall.mean_wait;
            Some((lambda, 1.0 / es, s.nodes[0].servers))
        };
        match self.target.metric {
            Metric::MeanWait => finite(p.mean_wait, &p),
            Metric::MeanResponse => finite(p.mean_response, &p),
            Metric::PBlock => finite(p.p_block?, &p),
            Metric::PWait => {
                let (lambda, mu, c) = mmc()?;
                exact(theory::erlang_c(lambda / mu, c).ok()?, "erlang-c")
            }
            Metric::Quantile(i) => {
                let (lambda, mu, c) = mmc()?;
                exact(
                    mmc_response_quantile(lambda, mu, c, QUANTILES[i])?,
                    "erlang-c",
                )
            }
            Metric::Utilization => {
                // Work arrives at λ E[S] and is all done: the busy share of
                // c servers of speed v is λ E[S] / (c v), whatever the order.
                let plain = plain_node
                    && p.p_block.is_none()
                    && s.classes.iter().all(|c| {
                        c.patience.is_none() && c.baulk.is_empty() && c.attempts.is_none()
                    });
                if !plain {
                    return None;
                }
                let n = &s.nodes[0];
                let work = |k: usize| s.arrival_rate(k) * s.classes[k].service.mean();
                let busy: f64 = match self.selection {
                    Selection::Class(k) => work(k),
                    _ => (0..s.classes.len()).map(work).sum(),
                };
                exact(busy / (f64::from(n.servers) * n.speed), "offered-load")
            }
        }
    }

    /// Runs the search on `base` (flags applied) under its first policy,
    /// calling `progress` with each candidate as it is decided. Errors
    /// that are not the input's (a target no value within the limits
    /// meets) exit with 1.
    pub fn search(
        &self,
        base: &Scenario,
        progress: &mut dyn FnMut(&Candidate),
    ) -> anyhow::Result<Outcome> {
        let policy = base.policies[0].clone();
        let what = self.name();
        let node_name = &base.nodes[self.node].name;
        let target = self.target.text();
        let upper = self.target.comparison.is_upper();
        let k_max = self.k_max(base);
        let limit = self.limit_text(base, k_max);
        let stable = |k: u64| self.at(base, k).is_ok_and(|s| Self::stable(&s));
        if !stable(k_max) {
            anyhow::bail!(
                "{}: node `{node_name}` cannot be made stable with {limit}",
                base.path.display()
            );
        }
        let k_min = smallest(1, k_max, 1, |k| Ok::<_, FieldError>(stable(k)))?
            .expect("the largest value is stable");
        let mut candidates = Vec::new();

        // Theory's answer, where a formula applies at the smallest stable
        // value (the same formula then applies above it).
        let mut start = k_min;
        let mut theory_used = None;
        let theory_at = |k: u64| self.at(base, k).ok().and_then(|s| self.theory(&s, &policy));
        // At the smallest stable value the load can round to 1 in a
        // formula's own check: look one or two values above too.
        let with_theory = (k_min..=k_max.min(k_min + 2)).find(|&k| theory_at(k).is_some());
        if let Some((k_theory, first)) = with_theory.and_then(|k| theory_at(k).map(|t| (k, t))) {
            theory_used = Some((first.formula.clone(), first.kind));
            // An upper target holds from theory's answer on; a lower one
            // fails from the value after theory's answer on.
            let turns = |k: u64| {
                Ok::<_, FieldError>(
                    theory_at(k).is_some_and(|t| self.target.meets(t.value) == upper),
                )
            };
            match smallest(k_theory, k_max, k_theory, turns)? {
                Some(k) => {
                    // The answer's neighbour below fails an upper target
                    // (meets a lower one): both make theory's bracket.
                    for j in [k.checked_sub(1), Some(k)]
                        .into_iter()
                        .flatten()
                        .filter(|&j| j >= k_theory)
                    {
                        if let Some(t) = theory_at(j) {
                            let c = Candidate {
                                value: self.value(j),
                                estimate: Some(t.value),
                                ci95: None,
                                decisive: Some(t.value),
                                meets: self.target.meets(t.value),
                                source: Source::Theory,
                            };
                            progress(&c);
                            candidates.push(c);
                        }
                    }
                    start = k;
                }
                None if upper && first.kind == Kind::Exact => {
                    let at_top = theory_at(k_max).map_or(f64::NAN, |t| t.value);
                    anyhow::bail!(
                        "{}: {target} cannot be met by the {what} of node `{node_name}`: \
                         theory ({}) gives {} = {} even with {}",
                        base.path.display(),
                        first.formula,
                        self.target.metric.name(),
                        crate::report::sig(at_top),
                        self.describe(k_max)
                    );
                }
                // Never failing up to the limit: start the simulation there.
                None if !upper => start = k_max,
                None => {}
            }
        }

        // The simulation decides, from theory's answer.
        let mut tried: BTreeMap<u64, bool> = BTreeMap::new();
        let mut saturated: Option<(u64, f64, f64)> = None;
        let mut simulate = |k: u64| -> anyhow::Result<bool> {
            if let Some(&m) = tried.get(&k) {
                return Ok(m == upper);
            }
            let s = self.at(base, k).map_err(crate::error::InputError::Flag)?;
            crate::limits::check_scenario(&s).map_err(|error| crate::error::InputError::Field {
                path: s.path.clone(),
                error,
            })?;
            let reps = experiment::run_replications(&s, &policy);
            let stopped = !experiment::unstable(&policy.label(), &reps).is_empty();
            let c = if stopped {
                Candidate {
                    value: self.value(k),
                    estimate: None,
                    ci95: None,
                    decisive: None,
                    // An overloaded run meets an upper target never and a
                    // lower one (the servers always busy) always.
                    meets: !upper,
                    source: Source::Simulation,
                }
            } else {
                let stats = summarize(&s, &reps, self.selection);
                let (estimate, ci95) = self.target.metric.of(&stats);
                if !estimate.is_finite() {
                    anyhow::bail!(
                        "{}: the simulation measured no {} with {} (no job of class `{}` \
                         completed?); raise --jobs",
                        base.path.display(),
                        self.target.metric.name(),
                        self.describe(k),
                        self.class
                    );
                }
                let half = ci95.filter(|h| h.is_finite()).unwrap_or(0.0);
                let decisive = self.target.decisive(estimate, half);
                let meets = self.target.meets(decisive);
                if !meets
                    && upper
                    && self.varied == Varied::Servers
                    && self.target.metric.set_by_waiting()
                    && stats.p_wait.mean == 0.0
                {
                    saturated = Some((k, estimate, half));
                }
                Candidate {
                    value: self.value(k),
                    estimate: Some(estimate),
                    ci95: ci95.filter(|h| h.is_finite()),
                    decisive: Some(decisive),
                    meets,
                    source: Source::Simulation,
                }
            };
            progress(&c);
            tried.insert(k, c.meets);
            candidates.push(c);
            if let Some((v, est, half)) = saturated {
                anyhow::bail!(
                    "{}: {target} cannot be met by the {what} of node `{node_name}`: with {} \
                     no job waits and {} is still {} ± {} (more servers change nothing)",
                    base.path.display(),
                    self.describe(v),
                    self.target.metric.name(),
                    crate::report::sig(est),
                    crate::report::sig(half)
                );
            }
            // The predicate turns from false to true: meeting an upper
            // target, failing a lower one.
            Ok(tried[&k] == upper)
        };
        let found = smallest(k_min, k_max, start, &mut simulate)?;
        let answer = match found {
            Some(k) if upper => k,
            Some(k) if k > k_min => k - 1,
            None if !upper => k_max,
            _ => {
                let why = if upper {
                    format!("not even with {limit}")
                } else {
                    format!(
                        "not even at the smallest stable value, {}",
                        self.describe(k_min)
                    )
                };
                anyhow::bail!(
                    "{}: {target} cannot be met by the {what} of node `{node_name}`: {why}",
                    base.path.display()
                );
            }
        };
        Ok(Outcome {
            parameter: what,
            target,
            answer: self.value(answer),
            candidates,
            theory: theory_used,
            decimals: self.decimals(),
        })
    }
}

fn finite(value: f64, p: &theory::Prediction) -> Option<TheoryValue> {
    value.is_finite().then(|| TheoryValue {
        value,
        formula: p.formula.clone(),
        kind: p.kind,
    })
}

/// The smallest `k` in `[lo, hi]` where `pred` holds, for a predicate
/// that is false below some point and true from it on (`lo − 1` counts as
/// false); `None` when it holds nowhere up to `hi`. From `start` it steps
/// by doubling steps (down while the predicate holds, up while it fails)
/// until the predicate changes, then bisects: the value below the answer
/// is always one it was evaluated false at (or `lo − 1`). `lo` is at least 1.
pub fn smallest<E>(
    lo: u64,
    hi: u64,
    start: u64,
    mut pred: impl FnMut(u64) -> Result<bool, E>,
) -> Result<Option<u64>, E> {
    debug_assert!(lo >= 1 && lo <= hi);
    let start = start.clamp(lo, hi);
    // `below` false (lo − 1 when not evaluated), `top` true.
    let (mut below, mut top);
    if pred(start)? {
        top = start;
        below = lo - 1;
        let mut step = 1u64;
        while top > lo {
            let k = top.saturating_sub(step).max(lo);
            if pred(k)? {
                top = k;
                step = step.saturating_mul(2);
            } else {
                below = k;
                break;
            }
        }
    } else {
        let mut low = start;
        let mut step = 1u64;
        loop {
            if low == hi {
                return Ok(None);
            }
            let k = low.saturating_add(step).min(hi);
            if pred(k)? {
                top = k;
                below = low;
                break;
            }
            low = k;
            step = step.saturating_mul(2);
        }
    }
    while top - below > 1 {
        let mid = below + (top - below) / 2;
        if pred(mid)? {
            top = mid;
        } else {
            below = mid;
        }
    }
    Ok(Some(top))
}

/// The `p`-quantile of the response time of M/M/c under FCFS, where
/// `T = W + S`, `W` is 0 with probability `1 − C` and exponential with rate
/// `θ = cμ − λ` otherwise, and `S` is exponential with rate `μ`:
/// `P(T > t) = (1 − C) e^{−μt} + C (θ e^{−μt} − μ e^{−θt}) / (θ − μ)`
/// (Gross et al. 2008 §2.3; Harchol-Balter 2013 ch. 14 for `C`), solved
/// for `t` by bisection.
pub fn mmc_response_quantile(lambda: f64, mu: f64, c: u32, p: f64) -> Option<f64> {
    let pw = theory::erlang_c(lambda / mu, c).ok()?;
    let theta = f64::from(c) * mu - lambda;
    let tail = |t: f64| {
        let sum = if (theta - mu).abs() < 1e-9 * mu {
            (1.0 + mu * t) * (-mu * t).exp()
        } else {
            (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
        };
        (1.0 - pw) * (-mu * t).exp() + pw * sum
    };
    let goal = 1.0 - p;
    let mut hi = 1.0 / mu;
    while tail(hi) > goal {
        hi *= 2.0;
        if !hi.is_finite() {
            return None;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > goal {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_finds_the_change_from_any_start() {
        for change in 1..40u64 {
            for start in 1..45u64 {
                let mut calls = 0;
                let got = smallest(1, 40, start, |k| {
                    calls += 1;
                    Ok::<_, ()>(k >= change)
                })
                .unwrap();
                assert_eq!(got, Some(change), "change {change} start {start}");
                assert!(calls <= 14, "{calls} calls");
            }
        }
        assert_eq!(smallest(1, 40, 3, |k| Ok::<_, ()>(k > 40)).unwrap(), None);
        assert_eq!(smallest(5, 40, 3, |_| Ok::<_, ()>(true)).unwrap(), Some(5));
    }

    #[test]
    fn targets_parse_and_refuse() {
        let t = Target::parse("p95_response <= 2.0").unwrap();
        assert_eq!(t.metric, Metric::Quantile(2));
        assert_eq!(t.text(), "p95_response <= 2.0");
        assert!(t.meets(2.0) && !t.meets(2.01));
        let u = Target::parse("utilisation>=0.6").unwrap();
        assert_eq!(u.metric, Metric::Utilization);
        assert!(!u.comparison.is_upper());
        for bad in [
            "p95_response 2",
            "p97_response <= 2",
            "p_wait <= 1.5",
            "mean_wait >= 1",
            "mean_wait <= -1",
            "p_wait < 0",
            "mean_wait <= x",
        ] {
            let e = Target::parse(bad).unwrap_err();
            assert_eq!(e.field, "--target", "{bad}");
        }
    }

    #[test]
    fn mmc_response_quantile_matches_mm1() {
        // M/M/1: T is exponential with rate μ − λ.
        let q = mmc_response_quantile(0.5, 1.0, 1, 0.95).unwrap();
        assert!((q - (20f64).ln() / 0.5).abs() < 1e-9, "{q}");
        // Many idle servers: T is close to S alone.
        let q = mmc_response_quantile(0.5, 1.0, 30, 0.95).unwrap();
        assert!((q - (20f64).ln()).abs() < 1e-6, "{q}");
    }
}
