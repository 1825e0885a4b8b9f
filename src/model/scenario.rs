//! Scenario files: the TOML a user writes, checked into a [`Scenario`].
//!
//! Parsing goes through `serde_path_to_error`, so a type error or an unknown
//! field is reported with its full path (`classes[1].service.mean`), and
//! every semantic check below names the field and the value it rejects.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::alarms::{self, Alarm, RawAlarm};
use super::failures::RawFailures;
use super::output::{Output, OutputSpec};
use super::schedule::RawSchedule;
use crate::dispatch::{DispatchConfig, Rule};
use crate::error::{FieldError, InputError};
use crate::job::Job;
use crate::model::arrival::{Arrivals, RawArrival};
use crate::model::batch::{Batch, BatchSpec};
use crate::model::dist::{Dist, DistSpec};
use crate::model::groups::{self, NodeGroup};
use crate::model::route::{self, RouteConfig, Routing};
use crate::model::workflow::{ClassFlow, Network};
use crate::model::{Class, Limit, Node, WhenFull};
use crate::policy::{
    AnyPolicy, CompareEntry, Policy, PolicyConfig, PolicyContext, policies_from_section,
};
use crate::sweep::{Sweep, SweepSpec};
use crate::theory;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "default_seed")]
    seed: u64,
    replications: Option<u32>,
    warmup: Option<RawWarmup>,
    horizon: RawLimit,
    classes: Vec<RawClass>,
    nodes: Vec<RawNode>,
    policy: Option<PolicyConfig>,
    dispatch: Option<DispatchConfig>,
    #[serde(default)]
    routes: Vec<RouteConfig>,
    sweep: Option<SweepSpec>,
    output: Option<OutputSpec>,
    #[serde(default)]
    alarms: Vec<RawAlarm>,
    /// Transfers between the tasks of workflow classes on different nodes.
    network: Option<RawNetwork>,
    /// `schedlab run` adds replications until this relative precision.
    precision: Option<f64>,
    precision_metric: Option<String>,
    max_replications: Option<u32>,
    /// `schedlab run` measures one long replication cut into this many
    /// batches, instead of independent replications.
    batches: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    bandwidth: Option<f64>,
    latency: Option<f64>,
}

fn default_seed() -> u64 {
    1
}

fn default_replications() -> u32 {
    10
}

/// `warmup = "auto"` or a limit.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawWarmup {
    Word(String),
    Limit(RawLimit),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    jobs: Option<u64>,
    time: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    name: String,
    /// Required unless the class is closed (`population`).
    arrival: Option<RawArrival>,
    /// A closed class: this many jobs, each thinking for `think` between
    /// its passes through the network.
    population: Option<i64>,
    think: Option<DistSpec>,
    /// Required unless the arrival trace gives the sizes.
    service: Option<DistSpec>,
    /// Jobs per arrival instant.
    batch: Option<BatchSpec>,
    #[serde(default)]
    priority: i32,
    node: Option<String>,
    /// Relative deadline: a job should finish within this time of arriving.
    deadline: Option<f64>,
    /// Per-node demand of this class, by node name.
    #[serde(default)]
    service_at: BTreeMap<String, DistSpec>,
    servers_per_job: Option<u32>,
    /// Reneging: time a job waits for service at a node before it leaves.
    patience: Option<DistSpec>,
    /// Baulking probabilities by the number of jobs found at the node.
    baulk: Option<RawBaulk>,
    /// The task lifecycle: timeouts, failures, retries, give-up.
    attempts: Option<crate::lifecycle::RawAttempts>,
    /// Jobs present at time 0, by node name.
    #[serde(default)]
    initial: BTreeMap<String, u32>,
    /// A workflow class: its graph in a file (WfFormat JSON or STG)...
    workflow: Option<String>,
    /// ... or inline (`[[classes.tasks]]`).
    #[serde(default)]
    tasks: Vec<crate::model::workflow::RawTask>,
    /// Task times drawn around their given work (gamma, this scv).
    task_scv: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaulk {
    probabilities: Vec<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    name: String,
    /// A group: this many identical nodes `name[0]` … (see [`super::groups`]).
    count: Option<i64>,
    /// Optional only where a schedule gives the servers.
    servers: Option<u32>,
    #[serde(default = "default_speed")]
    speed: f64,
    capacity: Option<u32>,
    when_full: Option<String>,
    discipline: Option<CompareEntry>,
    failures: Option<RawFailures>,
    schedule: Option<RawSchedule>,
    /// Workflow tasks whose id begins with a key run at its speed here.
    #[serde(default)]
    speed_by_task: BTreeMap<String, f64>,
}

fn default_speed() -> f64 {
    1.0
}

/// A validated experiment: workload, nodes, policy and run length.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub replications: u32,
    /// Discarded from the statistics; `Limit::Jobs(0)` when absent (and
    /// with `warmup_auto`, for the pilot run).
    pub warmup: Limit,
    /// `warmup = "auto"`: each replication chooses its warm-up by MSER-5
    /// (see `crate::stats::mser`).
    pub warmup_auto: bool,
    /// Length of the measured window after the warm-up.
    pub horizon: Limit,
    pub classes: Vec<Class>,
    /// Every node, the members of each group expanded in place.
    pub nodes: Vec<Node>,
    /// `[[nodes]]` entries with a `count`, and where their members sit in `nodes`.
    pub groups: Vec<NodeGroup>,
    /// `schedlab run --per-node`: a result row for each member of a group
    /// too. Off by default, since a group of 100,000 nodes would give
    /// 100,000 rows; nodes outside groups always have their rows.
    pub member_rows: bool,
    /// The policies to run on the same jobs; the first is the baseline of
    /// paired comparisons. Each is a prototype with an empty queue.
    pub policies: Vec<AnyPolicy>,
    /// The configuration each policy was built from (for sweeps that
    /// change a parameter).
    pub policy_configs: Vec<PolicyConfig>,
    /// How classes that are not pinned to a node are spread over nodes.
    pub dispatch: Option<Rule>,
    /// Where a visit goes when it ends (to exit, when it has no route).
    pub routing: Routing,
    /// `[sweep]`: the parameter `schedlab sweep` varies, unless flags say.
    pub sweep: Option<Sweep>,
    /// `[output]`: the bounded slowdown's tau and the size bins.
    pub output: Output,
    /// `[[alarms]]`: conditions raised and cleared as a run goes.
    pub alarms: Vec<Alarm>,
    /// `[network]`: what moving a workflow task's input between nodes costs.
    pub network: Network,
    /// `[policy] workflow`: the rule that places workflow tasks on nodes.
    pub workflow_rule: crate::workflow::Policy,
    /// `precision`: `schedlab run` adds replications until it holds.
    pub precision: Option<crate::experiment::Precision>,
    /// `batches`: `schedlab run` estimates by batch means over one
    /// replication cut into this many batches (`replications` is then 1).
    pub batches: Option<u32>,
    /// The file it came from, for messages and the manifest.
    pub path: PathBuf,
    /// The file's text, kept for the manifest.
    pub source: String,
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn from_file(path: &Path) -> Result<Scenario, InputError> {
        let source = std::fs::read_to_string(path).map_err(|source| InputError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Scenario::from_toml(&source, path)
    }

    /// Parses scenario text; `path` names the file in errors and anchors
    /// relative paths (empirical distributions read from files).
    pub fn from_toml(text: &str, path: &Path) -> Result<Scenario, InputError> {
        let syntax = |e: toml::de::Error| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            InputError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            }
        };
        let de = toml::de::Deserializer::parse(text).map_err(syntax)?;
        let raw: RawScenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let message = short_float(&inner.message().trim().replace('\n', " "));
            let (line, _) = inner
                .span()
                .map(|s| line_col(text, s.start))
                .unwrap_or((1, 1));
            let field = if field == "." {
                "(top level)".into()
            } else {
                field
            };
            InputError::Schema {
                path: path.to_path_buf(),
                line,
                field,
                message,
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut scenario = validate(raw, base, text).map_err(|error| InputError::Field {
            path: path.to_path_buf(),
            error,
        })?;
        scenario.path = path.to_path_buf();
        Ok(scenario)
    }

    /// Mean arrival rate of a class's jobs: instants per unit of time
    /// (1 / E[inter-arrival time] for renewal arrivals, the long-run mean
    /// of a time-varying rate) times the mean batch size.
    pub fn arrival_rate(&self, class: usize) -> f64 {
        let c = &self.classes[class];
        match &c.arrival {
            Arrivals::Closed(l) => self.closed_rate_bound(class, l.population, l.think.mean()),
            a => a.rate() * c.batch.mean(),
        }
    }

    /// The most passes per unit time a closed class of `n` jobs thinking
    /// `z` on average can make: `min(N / (Z + D), min_j c_j v_j / D_j)`,
    /// with `D_j` the work a pass asks of node `j` and `D` their sum (the
    /// asymptotic bounds of operational analysis: Denning & Buzen, "The
    /// operational analysis of queueing network models", Computing Surveys
    /// 10 (1978)). No node is offered more than its capacity by it.
    fn closed_rate_bound(&self, class: usize, n: u32, z: f64) -> f64 {
        let k = self.classes.len();
        let visits = self.placed_rates(Some(class), &|_| 1.0);
        let mut total = 0.0;
        let mut bound = f64::INFINITY;
        for (j, node) in self.nodes.iter().enumerate() {
            let d: f64 = (0..k)
                .map(|c| visits[j * k + c] * self.classes[c].demand_at(j).mean())
                .sum();
            total += d / node.speed;
            if d > 0.0 {
                bound = bound.min(node.work_rate() / d);
            }
        }
        bound.min(f64::from(n) / (z + total))
    }

    /// Whether some visit goes on to another node.
    pub fn is_network(&self) -> bool {
        self.routing.is_network()
    }

    /// Visit rates per (node, class), `λ[j·K + k]`, of the jobs entering
    /// as `entry` (or of every class when `None`), from the traffic
    /// equations. Classes spread by a dispatcher enter in proportion to its
    /// random weights, or to the nodes' capacities under any other rule.
    pub fn visit_rates(&self, entry: Option<usize>) -> Vec<f64> {
        self.placed_rates(entry, &|c| self.arrival_rate(c))
    }

    /// [`Scenario::visit_rates`] with class `c` arriving at `rate(c)`.
    fn placed_rates(&self, entry: Option<usize>, rate: &dyn Fn(usize) -> f64) -> Vec<f64> {
        let k = self.classes.len();
        let mut gamma = vec![0.0; self.nodes.len() * k];
        let capacity: Vec<f64> = self.nodes.iter().map(Node::work_rate).collect();
        let total: f64 = capacity.iter().sum();
        for (c, class) in self.classes.iter().enumerate() {
            if entry.is_some_and(|e| e != c) {
                continue;
            }
            let rate = rate(c);
            match (class.node, &self.dispatch) {
                (Some(j), _) => gamma[j * k + c] += rate,
                (None, Some(Rule::Random { cumulative })) => {
                    let mut before = 0.0;
                    for (j, &cum) in cumulative.iter().enumerate() {
                        gamma[j * k + c] += rate * (cum - before);
                        before = cum;
                    }
                }
                (None, _) => {
                    for j in 0..self.nodes.len() {
                        gamma[j * k + c] += rate * capacity[j] / total;
                    }
                }
            }
        }
        if !self.is_network() {
            return gamma;
        }
        // Validation refused networks that do not drain, so this solves.
        self.routing
            .visit_rates(self.nodes.len(), &gamma)
            .unwrap_or(gamma)
    }

    /// Offered load of a node from the classes pinned to nodes (and routed
    /// on from them): `Σ_k λ_{j,k} E[S_{j,k}] / (c · speed)`.
    pub fn offered_load(&self, node: usize) -> f64 {
        self.load_with(node, &|_, d| d.mean())
    }

    /// [`Scenario::offered_load`] with `work(k, demand)` the work a visit
    /// of class `k` brings, in place of its demand's mean.
    fn load_with(&self, node: usize, work: &dyn Fn(usize, &Dist) -> f64) -> f64 {
        let n = &self.nodes[node];
        let work: f64 = if self.is_network() {
            let pinned: Vec<usize> = (0..self.classes.len())
                .filter(|&c| self.classes[c].node.is_some())
                .collect();
            let k = self.classes.len();
            let mut rates = vec![0.0; k];
            for &c in &pinned {
                for (x, r) in rates
                    .iter_mut()
                    .zip(&self.visit_rates(Some(c))[node * k..(node + 1) * k])
                {
                    *x += r;
                }
            }
            rates
                .iter()
                .enumerate()
                .map(|(c, r)| r * work(c, self.classes[c].demand_at(node)))
                .sum()
        } else {
            self.classes
                .iter()
                .enumerate()
                .filter(|(_, c)| c.node == Some(node))
                .map(|(k, c)| self.arrival_rate(k) * work(k, &c.service))
                .sum()
        };
        work / n.work_rate()
    }

    /// Offered load of a node counting the attempts of its classes with
    /// `[classes.attempts]` (each retried attempt brings its work again,
    /// see [`TaskWork`]), and the mean attempts per task of those classes
    /// (weighted by their visit rates); `None` when no such class visits.
    pub fn retry_load(&self, node: usize) -> Option<(f64, f64)> {
        let speed = self.nodes[node].speed;
        let ruled = |k: usize| self.classes[k].attempts.as_ref();
        let tasks = self.load_with(node, &|k, _| if ruled(k).is_some() { 1.0 } else { 0.0 });
        if tasks <= 0.0 {
            return None;
        }
        // Once per class: the expected work may take a quadrature.
        let works: Vec<std::cell::OnceCell<Option<TaskWork>>> =
            self.classes.iter().map(|_| Default::default()).collect();
        let of = |k: usize, d: &Dist| {
            *works[k].get_or_init(|| ruled(k).map(|r| TaskWork::of(d, r, speed)))
        };
        let load = self.load_with(node, &|k, d| of(k, d).map_or(d.mean(), |t| t.work));
        let attempts = self.load_with(node, &|k, d| of(k, d).map_or(0.0, |t| t.attempts));
        Some((load, attempts / tasks))
    }

    /// Offered load of the whole system: all work over all capacity.
    pub fn total_load(&self) -> f64 {
        let work: f64 = if self.is_network() {
            let k = self.classes.len();
            self.visit_rates(None)
                .iter()
                .enumerate()
                .map(|(s, r)| r * self.classes[s % k].demand_at(s / k).mean())
                .sum()
        } else {
            (0..self.classes.len())
                .map(|k| self.arrival_rate(k) * self.classes[k].service.mean())
                .sum()
        };
        let capacity: f64 = self.nodes.iter().map(Node::work_rate).sum();
        work / capacity
    }

    /// Servers a class can use: those of every node its jobs can visit.
    pub fn servers_of_class(&self, class: usize) -> u32 {
        if !self.is_network() {
            return match self.classes[class].node {
                Some(j) => self.nodes[j].servers,
                None => self.nodes.iter().map(|n| n.servers).sum(),
            };
        }
        let visited = self.nodes_of_class(class);
        (0..self.nodes.len())
            .filter(|&j| visited[j])
            .map(|j| self.nodes[j].servers)
            .sum()
    }

    /// The entry states (node, class) of a class.
    fn entries(&self, class: usize) -> Vec<(usize, usize)> {
        match self.classes[class].node {
            Some(j) => vec![(j, class)],
            None => (0..self.nodes.len()).map(|j| (j, class)).collect(),
        }
    }

    /// Which nodes jobs entering as `class` can visit.
    pub fn nodes_of_class(&self, class: usize) -> Vec<bool> {
        let k = self.classes.len();
        let states = route::reachable(&self.routing, self.nodes.len(), k, &self.entries(class));
        (0..self.nodes.len())
            .map(|j| (0..k).any(|c| states[j * k + c]))
            .collect()
    }

    /// Which (node, class) states jobs can be in: `[node · K + class]`.
    pub fn reachable_states(&self) -> Vec<bool> {
        let k = self.classes.len();
        let entries: Vec<(usize, usize)> = (0..k).flat_map(|c| self.entries(c)).collect();
        route::reachable(&self.routing, self.nodes.len(), k, &entries)
    }

    /// The discipline node `node` runs when the run's policy is `policy`.
    pub fn discipline_at<'a>(&'a self, node: usize, policy: &'a AnyPolicy) -> &'a AnyPolicy {
        self.nodes[node].discipline.as_deref().unwrap_or(policy)
    }

    /// Runs these policies instead of the file's, checked against the
    /// scenario as the file's are.
    pub fn replace_policies(
        &mut self,
        policies: Vec<(PolicyConfig, AnyPolicy)>,
    ) -> Result<(), FieldError> {
        let (configs, policies): (Vec<_>, Vec<_>) = policies.into_iter().unzip();
        check_pull(self.dispatch.as_ref(), &policies, &self.classes)?;
        check_network(self, &policies)?;
        check_failures(self, &policies)?;
        self.policies = policies;
        self.policy_configs = configs;
        Ok(())
    }

    /// What disciplines see of the scenario (class names, for `mlq`).
    pub fn policy_context(&self) -> PolicyContext {
        PolicyContext {
            class_names: self.classes.iter().map(|c| c.name.clone()).collect(),
        }
    }

    /// Whether some policy schedules on noisy size estimates.
    pub fn needs_size_estimates(&self) -> bool {
        self.policies
            .iter()
            .chain(self.nodes.iter().filter_map(|n| n.discipline.as_deref()))
            .any(|p| p.uses_size_estimates())
    }

    /// Whether every class reneges, baulks for certain at a long enough
    /// queue, or is closed: queues then stay finite whatever the offered load.
    pub fn bounded_by_impatience(&self) -> bool {
        self.classes
            .iter()
            .all(|c| c.patience.is_some() || c.baulk.last() == Some(&1.0) || c.is_closed())
    }

    /// Warnings a user should see before a long run (load at or above 1).
    pub fn warnings(&self) -> Vec<String> {
        if self.bounded_by_impatience() {
            return Vec::new();
        }
        let total = self.total_load();
        let overall = (self.nodes.len() > 1 && total >= 1.0).then(|| {
            format!(
                "{}: the system has offered load {} >= 1: queues grow without bound, \
                 so the figures describe this finite horizon only",
                self.path.display(),
                fmt_load(total)
            )
        });
        // A group's members are identical: one line for the group, naming
        // its most loaded member and how many are overloaded, rather than
        // one line for each of thousands of members.
        let mut group_lines: Vec<(usize, f64, usize, String)> = Vec::new();
        let per_node = (0..self.nodes.len())
            .filter_map(|j| {
                // Classes with attempt rules bring each attempt's work, and
                // only that load tells whether the queue drains.
                let (rho, retries) = match self.retry_load(j) {
                    Some((rho, attempts)) => {
                        let per_task = if attempts.is_finite() {
                            format!("{attempts:.2} attempts per task")
                        } else {
                            "attempts without bound".to_string()
                        };
                        (rho, format!(" counting retried attempts ({per_task})"))
                    }
                    None => (self.offered_load(j), String::new()),
                };
                if rho < 1.0 {
                    return None;
                }
                if let Some(g) = groups::group_of(&self.groups, j) {
                    match group_lines.iter_mut().find(|l| l.0 == g) {
                        Some(line) => {
                            line.2 += 1;
                            if rho > line.1 {
                                (line.1, line.3) = (rho, retries);
                            }
                        }
                        None => group_lines.push((g, rho, 1, retries)),
                    }
                    return None;
                }
                Some(format!(
                    "{}: node {:?} has offered load {} >= 1{retries}: the queue grows without bound, \
                     so the figures describe this finite horizon only",
                    self.path.display(),
                    self.nodes[j].name,
                    fmt_load(rho)
                ))
            })
            .collect::<Vec<_>>();
        let per_group = group_lines.into_iter().map(|(g, rho, overloaded, retries)| {
            let group = &self.groups[g];
            format!(
                "{}: {overloaded} of the {} nodes of group {:?} have offered load >= 1 (up to {}){retries}: \
                 their queues grow without bound, so the figures describe this finite horizon only",
                self.path.display(),
                group.count,
                group.name,
                fmt_load(rho)
            )
        });
        per_node
            .into_iter()
            .chain(per_group)
            .chain(overall)
            .collect()
    }
}

/// What a task (a visit) of a class with `[classes.attempts]` asks of its
/// node's servers on average: requirement served over all its attempts
/// (compensation included), and attempts started.
///
/// Given the requirement `x` of a task that does the same work at each
/// attempt, attempts are independent trials that succeed with
/// probability `s(x)` and serve `a(x)` on average, and the number of
/// attempts `N` is a stopping time of them, so by Wald's identity the
/// work is `E[N] · a(x)` with `E[N]` the truncated geometric mean
/// ([`theory::mean_attempts`]). With `L = timeout · speed`:
/// - failures with probability `p` at the end: `s = 1 − p`, `a = x`;
///   at a uniform point: `a = (1 − p/2) x`;
/// - failures at rate `g` in service, `h = g / speed` per unit of work:
///   `s = e^{−hx}`, `a = (1 − e^{−hx}) / h`, with unlimited attempts
///   `E[N] a = (e^{hx} − 1) / h` ([`theory::restart_completion`]);
/// - `x > L`: every attempt is cut at `L` (or fails before), `s = 0`,
///   `a = L` (uniform failures: `L − p L² / (2x)`; rate: `(1 − e^{−hL})/h`),
///   and all `m` attempts are used (without bound when `m` = 0).
///
/// The mean over `x` is a sum over the atoms of a discrete demand, else
/// adaptive Simpson over the quantile function `∫_0^1 f(Q(u)) du`,
/// split where `f` jumps (at `F(L)`), an exact integral to a relative
/// 1e-9 of a bounded integrand. Unbounded integrands only come with
/// failures at a rate, unlimited attempts and no timeout: `E[(e^{hX} −
/// 1)/h] = (M_X(h) − 1)/h` in closed form from the moment generating
/// function for exponential, Erlang, gamma and hyperexponential demands
/// (infinite at or beyond their abscissa), infinite for lognormal, Pareto
/// and Weibull with shape < 1 (no exponential moment), and otherwise the
/// quantile integral cut at `1 − 1e−12` (bounded demands: exact; a Weibull
/// with shape > 1: a lower bound, its tail beyond being e^{-hx}-light);
/// a quadrature that does not settle in 20 000 evaluations is taken as
/// diverging (infinite).
/// With attempts resampled each draws `x` anew: `E[N]` follows from
/// `E[s(X)]`, the work is `E[N] · E[a(X)]`.
///
/// Queue timeouts and deadlines are left out, as they only end tasks
/// early: an upper bound, except that a deadline `D` caps a task's work
/// at `D · speed`, which keeps tasks that could never complete finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskWork {
    pub work: f64,
    pub attempts: f64,
    pub p_give_up: f64,
}

impl TaskWork {
    pub fn of(demand: &Dist, rule: &crate::lifecycle::Attempts, speed: f64) -> TaskWork {
        use crate::lifecycle::{Failure, OnGiveUp};
        let limit = rule.timeout * speed;
        let m = rule.retry.max_attempts;
        let cap = rule.deadline * speed;
        // Rates per unit of work, as the attempt's requirement is.
        let failure = match rule.failure {
            Failure::Rate(g) => Failure::Rate(g / speed),
            f => f,
        };
        let per_x = |x: f64| -> TaskWork {
            let (s, a) = attempt(failure, limit, x);
            let (n, g) = trials(1.0 - s, m);
            let work = match failure {
                // The closed form, free of the 0 · ∞ of e^{hx} for large x.
                Failure::Rate(h) if m == 0 && x <= limit && x > 0.0 => {
                    theory::restart_completion(h, x).map_or(n * a, |t| t.0)
                }
                _ => n * a,
            };
            TaskWork {
                work: work.min(cap),
                attempts: n,
                p_give_up: g,
            }
        };
        let mut t = if rule.resample {
            let s = mean_of(demand, limit, &|x| attempt(failure, limit, x).0);
            let a = mean_of(demand, limit, &|x| attempt(failure, limit, x).1);
            let (n, g) = trials(1.0 - s, m);
            TaskWork {
                work: (n * a).min(cap),
                attempts: n,
                p_give_up: g,
            }
        } else if !matches!(failure, Failure::Rate(_)) && limit.is_infinite() && cap.is_infinite() {
            // Work linear in x, attempts and give-ups constant: exact at the mean.
            per_x(demand.mean())
        } else {
            // Restarts without end or timeout: E[N] = E[e^{hX}] is the
            // moment generating function, unbounded in x, so from its
            // closed form where there is one.
            let mgf_at = match failure {
                Failure::Rate(h) if m == 0 && limit.is_infinite() && demand.atoms().is_none() => {
                    mgf(demand, h).map(|mx| (h, mx))
                }
                _ => None,
            };
            match mgf_at {
                Some((h, mx)) if cap.is_infinite() => TaskWork {
                    work: (mx - 1.0) / h,
                    attempts: mx,
                    p_give_up: 0.0,
                },
                _ => TaskWork {
                    work: mean_of(demand, limit, &|x| per_x(x).work),
                    attempts: mgf_at.map_or_else(
                        || mean_of(demand, limit, &|x| per_x(x).attempts),
                        |(_, mx)| mx,
                    ),
                    p_give_up: mean_of(demand, limit, &|x| per_x(x).p_give_up),
                },
            }
        };
        if let OnGiveUp::Rollback(d) = &rule.on_give_up
            && t.p_give_up > 0.0
        {
            t.work += t.p_give_up * d.mean();
        }
        t
    }
}

/// One attempt at requirement `x` under `failure` (a rate: per unit of
/// work) and a work limit: its probability of completing and its mean work.
fn attempt(failure: crate::lifecycle::Failure, limit: f64, x: f64) -> (f64, f64) {
    use crate::lifecycle::Failure;
    let cut = x > limit;
    match failure {
        Failure::None => (if cut { 0.0 } else { 1.0 }, x.min(limit)),
        Failure::Probability { p, at_end } => match (cut, at_end) {
            (false, true) => (1.0 - p, x),
            (false, false) => (1.0 - p, (1.0 - 0.5 * p) * x),
            (true, true) => (0.0, limit),
            // E[min(ux, L)] = L − L²/(2x) for u uniform on [0, 1].
            (true, false) => (0.0, limit - p * limit * limit / (2.0 * x)),
        },
        Failure::Rate(h) if !cut => ((-h * x).exp(), -(-h * x).exp_m1() / h),
        Failure::Rate(h) => (0.0, -(-h * limit).exp_m1() / h),
    }
}

/// Mean attempts and probability of giving up of a task whose attempts
/// fail with probability `q`, `m` of them allowed (0: unlimited).
fn trials(q: f64, m: u32) -> (f64, f64) {
    if q >= 1.0 {
        return if m == 0 {
            (f64::INFINITY, 1.0)
        } else {
            (f64::from(m), 1.0)
        };
    }
    let q = q.max(0.0);
    (
        theory::mean_attempts(q, m).unwrap_or(f64::NAN),
        theory::p_give_up(q, m).unwrap_or(f64::NAN),
    )
}

/// `E[f(X)]` for `X` of `d`, `f` bounded on each side of `limit` (see
/// [`TaskWork`]); infinite when `f` is.
fn mean_of(d: &Dist, limit: f64, f: &dyn Fn(f64) -> f64) -> f64 {
    if let Some(atoms) = d.atoms() {
        return atoms.iter().map(|&(x, p)| p * f(x)).sum();
    }
    // A quadrature that has not settled within this many evaluations is
    // on an integrand that diverges at u = 1 (bounded ones take hundreds):
    // infinite, rather than Simpson's 2^48 subdivisions.
    const EVALUATIONS: u32 = 20_000;
    let evaluations = std::cell::Cell::new(0u32);
    let at = |u: f64| {
        let n = evaluations.get();
        if n >= EVALUATIONS {
            return 0.0;
        }
        evaluations.set(n + 1);
        f(d.quantile(u.clamp(1e-12, 1.0 - 1e-12)))
    };
    let split = if limit.is_finite() { d.cdf(limit) } else { 1.0 };
    let pieces = [(0.0, split), (split, 1.0)];
    let mut sum = 0.0;
    for (a, b) in pieces {
        if b <= a {
            continue;
        }
        // A side's values inside tell whether it is infinite, and the
        // scale of the tolerance (a relative one: 1e-9 of the values).
        let probes = [0.25, 0.5, 0.75].map(|w| at(a + w * (b - a)));
        if let Some(inf) = probes.iter().find(|v| v.is_infinite()) {
            return *inf;
        }
        let scale = probes.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = if scale > 0.0 { scale } else { 1.0 };
        sum += theory::integrate::simpson(&at, a, b, 1e-9 * scale * (b - a));
        if evaluations.get() >= EVALUATIONS {
            return f64::INFINITY;
        }
    }
    sum
}

/// `E[e^{hX}]` where it has a closed form (`Some(∞)` where it diverges),
/// `None` where [`mean_of`] must integrate.
fn mgf(d: &Dist, h: f64) -> Option<f64> {
    let gamma = |shape: f64, scale: f64| {
        if h * scale < 1.0 {
            (1.0 - h * scale).powf(-shape)
        } else {
            f64::INFINITY
        }
    };
    match d {
        Dist::Exponential { rate, .. } => Some(gamma(1.0, 1.0 / rate)),
        Dist::Erlang { k, rate } => Some(gamma(f64::from(*k), 1.0 / rate)),
        Dist::Gamma { shape, scale, .. } => Some(gamma(*shape, *scale)),
        Dist::HyperExponential { probs, rates, .. } => Some(
            probs
                .iter()
                .zip(rates)
                .map(|(p, r)| p * gamma(1.0, 1.0 / r))
                .sum(),
        ),
        Dist::LogNormal { .. } | Dist::Pareto { .. } => Some(f64::INFINITY),
        Dist::Weibull { shape, .. } if *shape < 1.0 => Some(f64::INFINITY),
        Dist::Weibull { shape, scale, .. } if *shape == 1.0 => Some(gamma(1.0, *scale)),
        _ => None,
    }
}

/// A load for messages: three decimals, or scientific notation when huge.
fn fmt_load(x: f64) -> String {
    if x.abs() < 1e6 {
        format!("{x:.3}")
    } else {
        format!("{x:.3e}")
    }
}

/// serde quotes a float it rejects in full (`1e300` as 301 digits, where
/// an integer was expected): give it in Rust's shortest form instead.
fn short_float(message: &str) -> String {
    const QUOTE: &str = "floating point `";
    if let Some(start) = message.find(QUOTE) {
        let from = start + QUOTE.len();
        if let Some(len) = message[from..].find('`')
            && let Ok(x) = message[from..from + len].parse::<f64>()
        {
            return format!("{}{x:?}{}", &message[..from], &message[from + len..]);
        }
    }
    message.to_string()
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

fn limit(raw: &RawLimit, field: &str, allow_zero: bool) -> Result<Limit, FieldError> {
    match (raw.jobs, raw.time) {
        (Some(n), None) => {
            if n == 0 && !allow_zero {
                Err(FieldError::new(
                    format!("{field}.jobs"),
                    "0",
                    "must be at least 1",
                ))
            } else {
                Ok(Limit::Jobs(n))
            }
        }
        (None, Some(t)) => {
            let ok = t.is_finite() && (t > 0.0 || (allow_zero && t == 0.0));
            if ok {
                Ok(Limit::Time(t))
            } else {
                Err(FieldError::new(
                    format!("{field}.time"),
                    t.to_string(),
                    "must be a finite positive number",
                ))
            }
        }
        _ => Err(FieldError::new(
            field,
            "{ ... }",
            "give exactly one of `jobs = N` or `time = T`",
        )),
    }
}

/// The index of the node named `name`, or an error on `field` listing the nodes.
/// `dispatch.weights` in a scenario with groups: either one weight per
/// node (every member of a group listed), or one per `[[nodes]]` entry,
/// where a group's weight is the weight of each of its members. Members
/// are identical, so a weight that follows a node's capacity is the same
/// for each, and `weights = [4, 1]` for a big node and a rack of 1000
/// means each rack node is drawn a quarter as often as the big one (the
/// rack as a whole 250 times as often). Spread over the whole list the
/// weights go to [`Rule::from_config`] as one per node.
fn group_weights(
    d: &DispatchConfig,
    entries: &[std::ops::Range<usize>],
    nodes: usize,
) -> Result<DispatchConfig, FieldError> {
    let mut d = d.clone();
    if let Some(w) = &d.weights
        && w.len() != nodes
        && entries.len() != nodes
    {
        if w.len() != entries.len() {
            return Err(FieldError::new(
                "dispatch.weights",
                format!("{} weights", w.len()),
                format!(
                    "give one weight per [[nodes]] entry ({}, a group's weight going to each member) or one per node ({nodes})",
                    entries.len()
                ),
            ));
        }
        d.weights = Some(
            entries
                .iter()
                .zip(w)
                .flat_map(|(r, &x)| std::iter::repeat_n(x, r.len()))
                .collect(),
        );
    }
    Ok(d)
}

/// The nodes a name stands for: one node, or every member of a group.
fn node_range(
    nodes: &[Node],
    groups: &[NodeGroup],
    name: &str,
    field: &str,
) -> Result<std::ops::Range<usize>, FieldError> {
    groups::resolve(nodes, groups, name).ok_or_else(|| {
        FieldError::new(
            field,
            format!("{name:?}"),
            format!(
                "no such node; nodes are: {}",
                groups::known_names(nodes, groups)
            ),
        )
    })
}

/// Jobs present at time 0 must fit where they are placed, and have a
/// node of their own to be at (not pull's central queue).
fn check_initial(
    dispatch: Option<&Rule>,
    nodes: &[Node],
    classes: &[Class],
) -> Result<(), FieldError> {
    let mut present = vec![0u64; nodes.len()];
    for (k, c) in classes.iter().enumerate() {
        for &(j, count) in &c.initial {
            let field = format!("classes[{k}].initial.{}", nodes[j].name);
            if dispatch == Some(&Rule::Pull) {
                return Err(FieldError::new(
                    field,
                    count.to_string(),
                    "under pull dispatching jobs wait in the central queue, not at a node; use a push rule such as jsq",
                ));
            }
            present[j] += u64::from(count);
            let mine: u64 = c.initial.iter().map(|&(_, n)| u64::from(n)).sum();
            if let Some(n) = c.population()
                && mine > u64::from(n)
            {
                return Err(FieldError::new(
                    field,
                    count.to_string(),
                    format!(
                        "the class is closed with a population of {n}: at most {n} of its jobs can be present at time 0"
                    ),
                ));
            }
            if let Some(cap) = nodes[j].capacity
                && present[j] > u64::from(cap)
            {
                return Err(FieldError::new(
                    field,
                    count.to_string(),
                    format!(
                        "{} jobs present at time 0 exceed the node's capacity of {cap}",
                        present[j]
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A precision rule: `target` a share in (0, 1), `metric` a figure of the
/// all/all row, `max` at least 2 and at least the first batch of
/// `replications` (default 1000). Errors as (field, value, message), the
/// field named as in a scenario file.
pub fn precision(
    target: f64,
    metric: &str,
    max: Option<u32>,
    replications: u32,
) -> Result<crate::experiment::Precision, (&'static str, String, String)> {
    if !(target.is_finite() && target > 0.0 && target < 1.0) {
        return Err((
            "precision",
            target.to_string(),
            "give the 95% half-width wanted as a share of the estimate, greater than 0 and below 1 (0.01: 1%)".into(),
        ));
    }
    let Some(metric) = crate::size::Metric::parse(metric.trim()) else {
        return Err((
            "precision_metric",
            format!("{metric:?}"),
            format!("metrics are: {}", crate::size::METRICS),
        ));
    };
    let max = max.unwrap_or(replications.max(1000));
    if max < 2 || max < replications {
        return Err((
            "max_replications",
            max.to_string(),
            format!(
                "must be at least 2 (a confidence interval needs two replications) and at least the first batch of {replications}"
            ),
        ));
    }
    Ok(crate::experiment::Precision {
        target,
        metric,
        max_replications: max,
    })
}

/// Batch means over `b` batches of a horizon: at least 2 (a confidence
/// interval needs two batch means) and at most [`MAX_BATCHES`], with at
/// least one job per batch of a horizon in jobs. Errors as (field,
/// value, message), the field named as in a scenario file.
pub fn batches(b: u32, horizon: Limit) -> Result<u32, (&'static str, String, String)> {
    if !(2..=MAX_BATCHES).contains(&b) {
        return Err((
            "batches",
            b.to_string(),
            format!(
                "give between 2 and {MAX_BATCHES} batches (10 to 30 is usual: fewer widen the interval, more shorten the batches until their means correlate)"
            ),
        ));
    }
    if let Limit::Jobs(n) = horizon
        && n < u64::from(b)
    {
        return Err((
            "batches",
            b.to_string(),
            format!("more batches than the {n} jobs of the horizon; lengthen the horizon (--jobs)"),
        ));
    }
    Ok(b)
}

/// The most batches `batches` may ask for: each batch keeps its figures
/// (histograms included) until the run ends.
pub const MAX_BATCHES: u32 = 1000;

/// The graph of a workflow class (`workflow = "file"` or inline `tasks`),
/// `None` for an ordinary class.
fn workflow_class(
    k: usize,
    c: &RawClass,
    nodes: &[Node],
    base: &Path,
) -> Result<Option<ClassFlow>, FieldError> {
    let field = |f: &str| format!("classes[{k}].{f}");
    let (dag, work, source) = match (&c.workflow, c.tasks.is_empty()) {
        (None, true) => {
            if let Some(scv) = c.task_scv {
                return Err(FieldError::new(
                    field("task_scv"),
                    scv.to_string(),
                    "applies to a workflow class: give `workflow` or `[[classes.tasks]]` too",
                ));
            }
            return Ok(None);
        }
        (Some(_), false) => {
            return Err(FieldError::new(
                field("tasks"),
                "(given with workflow)",
                "give the graph either in a file (`workflow`) or inline (`[[classes.tasks]]`), not both",
            ));
        }
        (Some(file), true) => {
            let path = base.join(file);
            let (dag, _) = crate::model::workflow::read_file(&path).map_err(|e| {
                FieldError::new(field("workflow"), format!("{file:?}"), e.to_string())
            })?;
            let n = dag.len();
            (dag, vec![None; n], path.display().to_string())
        }
        (None, false) => {
            let (dag, work) =
                crate::model::workflow::inline(&c.name, &c.tasks, &field("tasks"), base)?;
            (dag, work, "inline".to_string())
        }
    };
    if dag.work.iter().all(|&w| w == 0.0) {
        return Err(FieldError::new(
            field(if c.workflow.is_some() {
                "workflow"
            } else {
                "tasks"
            }),
            source,
            "every task has work 0: an instance would take no time, and its slowdown none",
        ));
    }
    let scv = c.task_scv.unwrap_or(0.0);
    if !(scv.is_finite() && scv >= 0.0) {
        return Err(FieldError::new(
            field("task_scv"),
            scv.to_string(),
            "must be a finite number of at least 0 (0: task times as given)",
        ));
    }
    if scv > 0.0 && work.iter().any(Option::is_some) {
        return Err(FieldError::new(
            field("task_scv"),
            scv.to_string(),
            "some tasks give their work as a distribution already: drop `task_scv` or give every work as a number",
        ));
    }
    let critical = crate::model::workflow::longest_path(&dag, |i| {
        let fastest = nodes
            .iter()
            .map(|n| n.speed_for(&dag.ids[i]))
            .fold(0.0, f64::max);
        dag.work[i] / fastest
    });
    Ok(Some(ClassFlow {
        dag,
        work,
        scv,
        source,
        critical,
    }))
}

/// The first field a workflow class cannot have, if it gives one.
fn workflow_conflict(c: &RawClass, trace_sizes: bool) -> Option<&'static str> {
    [
        ("service", c.service.is_some()),
        ("service_at", !c.service_at.is_empty()),
        ("node", c.node.is_some()),
        ("population", c.population.is_some()),
        ("servers_per_job", c.servers_per_job.is_some_and(|w| w != 1)),
        ("patience", c.patience.is_some()),
        ("baulk", c.baulk.is_some()),
        ("attempts", c.attempts.is_some()),
        ("initial", !c.initial.is_empty()),
        ("deadline", c.deadline.is_some()),
        ("arrival.trace", trace_sizes),
    ]
    .into_iter()
    .find(|&(_, given)| given)
    .map(|(f, _)| f)
}

/// What workflow classes need of the rest of the scenario, and its network.
fn check_workflows(
    raw: &RawScenario,
    classes: &[Class],
    dispatch: Option<&Rule>,
) -> Result<Network, FieldError> {
    let flows: Vec<usize> = (0..classes.len())
        .filter(|&k| classes[k].is_workflow())
        .collect();
    let policy_rule = raw.policy.as_ref().and_then(|p| p.workflow.as_ref());
    let Some(&first) = flows.first() else {
        let none =
            "applies to workflow classes, and no class has `workflow` or `[[classes.tasks]]`";
        if let Some(rule) = policy_rule {
            return Err(FieldError::new(
                "policy.workflow",
                format!("{rule:?}"),
                none,
            ));
        }
        if raw.network.is_some() {
            return Err(FieldError::new("network", "(given)", none));
        }
        if let Some(j) = raw.nodes.iter().position(|n| !n.speed_by_task.is_empty()) {
            return Err(FieldError::new(
                format!("nodes[{j}].speed_by_task"),
                "(given)",
                none,
            ));
        }
        return Ok(Network::default());
    };
    if let Some(j) = raw.nodes.iter().position(|n| n.capacity.is_some()) {
        return Err(FieldError::new(
            format!("nodes[{j}].capacity"),
            "(given)",
            format!(
                "class `{}` is a workflow, whose tasks a full node would lose halfway through: leave nodes unlimited",
                classes[first].name
            ),
        ));
    }
    if matches!(dispatch, Some(Rule::Pull | Rule::Hybrid { .. })) {
        return Err(FieldError::new(
            "dispatch.rule",
            "(pull or hybrid)",
            format!(
                "class `{}` is a workflow, whose tasks wait at the nodes [policy] workflow chose: use a push rule for the other classes",
                classes[first].name
            ),
        ));
    }
    for (r, route) in raw.routes.iter().enumerate() {
        let named = std::iter::once(route.class.as_deref())
            .chain(route.to.iter().map(|h| h.class.as_deref()))
            .flatten()
            .find(|name| flows.iter().any(|&k| classes[k].name == *name));
        if let Some(name) = named {
            return Err(FieldError::new(
                format!("routes[{r}].class"),
                format!("{name:?}"),
                "a workflow class's tasks go where its graph says; routes cannot name it",
            ));
        }
    }
    let network = raw.network.as_ref();
    let bandwidth = network.and_then(|n| n.bandwidth).unwrap_or(f64::INFINITY);
    let latency = network.and_then(|n| n.latency).unwrap_or(0.0);
    if bandwidth.is_nan() || bandwidth <= 0.0 {
        return Err(FieldError::new(
            "network.bandwidth",
            bandwidth.to_string(),
            "must be a number of bytes per time unit greater than 0",
        ));
    }
    if !(latency.is_finite() && latency >= 0.0) {
        return Err(FieldError::new(
            "network.latency",
            latency.to_string(),
            "must be a finite time of at least 0",
        ));
    }
    Ok(Network { bandwidth, latency })
}

/// Pull dispatching needs whole-server disciplines and no pinned class.
fn check_pull(
    dispatch: Option<&Rule>,
    policies: &[AnyPolicy],
    classes: &[Class],
) -> Result<(), FieldError> {
    if dispatch != Some(&Rule::Pull) {
        return Ok(());
    }
    if let Some(p) = policies.iter().find(|p| p.is_sharing()) {
        return Err(FieldError::new(
            "dispatch.rule",
            "\"pull\"",
            format!(
                "pull needs a discipline that hands whole servers to jobs, not `{}`",
                p.label()
            ),
        ));
    }
    if let Some(k) = classes.iter().position(|c| c.node.is_some()) {
        return Err(FieldError::new(
            format!("classes[{k}].node"),
            "(given)",
            "under pull dispatching every class goes to the central queue: leave out `node`",
        ));
    }
    if let Some(k) = classes.iter().position(|c| c.patience.is_some()) {
        return Err(FieldError::new(
            format!("classes[{k}].patience"),
            "(given)",
            "reneging from the central queue of pull dispatching is not supported; use a push rule such as jsq",
        ));
    }
    Ok(())
}

/// Validates a closed class's `population` and `think`.
fn closed_class(
    k: usize,
    population: i64,
    think: &DistSpec,
    base: &Path,
) -> Result<Arrivals, FieldError> {
    let field = format!("classes[{k}].population");
    if population <= 0 {
        return Err(FieldError::new(
            field,
            population.to_string(),
            "a closed class needs at least 1 job",
        ));
    }
    let Ok(population) = u32::try_from(population) else {
        return Err(FieldError::new(
            field,
            population.to_string(),
            "too many jobs",
        ));
    };
    // No think time at all (a job goes straight back in) is a closed
    // network of its own, where a deterministic 0 is meant, not a mistake.
    let think = if think.dist == "deterministic" && think.value == Some(0.0) {
        Dist::Deterministic { value: 0.0 }
    } else {
        Dist::from_spec(think, &format!("classes[{k}].think"), base)?
    };
    if !think.mean().is_finite() {
        return Err(FieldError::new(
            format!("classes[{k}].think"),
            format!("mean {}", think.mean()),
            "the think time needs a finite mean",
        ));
    }
    Ok(Arrivals::Closed(std::sync::Arc::new(
        crate::model::arrival::ClosedLoop { population, think },
    )))
}

/// Failing servers hand a job back or hold it: the node must give whole
/// servers to one job each.
fn check_failures(s: &Scenario, policies: &[AnyPolicy]) -> Result<(), FieldError> {
    let k = s.classes.len();
    let reachable = s.reachable_states();
    for (j, node) in s.nodes.iter().enumerate() {
        let entry = groups::entry_of(&s.groups, j);
        let (field, what) = if node.failures.is_some() {
            (format!("nodes[{entry}].failures"), "server failures")
        } else if node.schedule.is_some() {
            (format!("nodes[{entry}].schedule"), "server shifts")
        } else {
            continue;
        };
        if let Some(p) = policies
            .iter()
            .map(|p| s.discipline_at(j, p))
            .find(|p| p.is_sharing())
        {
            return Err(FieldError::new(
                field,
                "(given)",
                format!(
                    "{what} interrupt the job a server runs; `{}` shares every server among all jobs: use a queue discipline (rr with a short quantum approaches ps)",
                    p.label()
                ),
            ));
        }
        if let Some(c) = (0..k).find(|&c| reachable[j * k + c] && s.classes[c].servers_per_job > 1)
        {
            return Err(FieldError::new(
                field,
                "(given)",
                format!(
                    "class `{}` holds several servers per job at node `{}`; {what} under such visits are not modelled: give the node none or the class servers_per_job = 1",
                    s.classes[c].name, node.name
                ),
            ));
        }
        if node
            .schedule
            .as_ref()
            .is_some_and(|sc| sc.on_leave == super::OnLeave::Resample)
            && let Some(c) =
                (0..k).find(|&c| reachable[j * k + c] && s.classes[c].attempts.is_some())
        {
            return Err(FieldError::new(
                format!("nodes[{entry}].schedule.on_leave"),
                "\"resample\"",
                format!(
                    "class `{}` has attempt rules, whose `sizes` already say what a new attempt needs: use on_leave = \"restart\" (the attempt starts over as its rules say)",
                    s.classes[c].name
                ),
            ));
        }
    }
    Ok(())
}

/// Checks what routes, node disciplines and multi-server visits need:
/// every reachable state drains to `exit`, a visit fits on its node, and
/// rigid multi-server visits meet a discipline that hands out whole
/// servers without preempting or slicing them.
fn check_network(s: &Scenario, policies: &[AnyPolicy]) -> Result<(), FieldError> {
    let k = s.classes.len();
    let pull = s.dispatch == Some(Rule::Pull);
    if pull && s.is_network() {
        return Err(FieldError::new(
            "dispatch.rule",
            "\"pull\"",
            "pull dispatching keeps one central queue and no node queues for routed jobs; use a push rule with `[[routes]]`",
        ));
    }
    if pull && let Some(j) = s.nodes.iter().position(|n| n.discipline.is_some()) {
        return Err(FieldError::new(
            format!("nodes[{}].discipline", groups::entry_of(&s.groups, j)),
            "(given)",
            "under pull dispatching one central queue orders every job: set the discipline in [policy]",
        ));
    }
    let reachable = s.reachable_states();
    route::check_drains(&s.routing, &s.nodes, &s.classes, &reachable)?;
    let probe = Job::new(0, 0, 0, 0, 0.0, 1.0);
    for (st, _) in reachable.iter().enumerate().filter(|(_, r)| **r) {
        let (j, c) = (st / k, st % k);
        let (node, class) = (&s.nodes[j], &s.classes[c]);
        if class.attempts.is_some() && pull {
            return Err(FieldError::new(
                format!("classes[{c}].attempts"),
                "(given)",
                "the task lifecycle needs node queues; pull dispatching has one central queue: use a push rule such as jsq",
            ));
        }
        let width = class.servers_per_job;
        if width == 1 {
            continue;
        }
        let field = format!("classes[{c}].servers_per_job");
        if width > node.servers {
            return Err(FieldError::new(
                field,
                width.to_string(),
                format!(
                    "jobs of this class visit node `{}`, which has only {} server(s)",
                    node.name, node.servers
                ),
            ));
        }
        if pull {
            return Err(FieldError::new(
                field,
                width.to_string(),
                "multi-server visits need node queues; pull dispatching has one central queue",
            ));
        }
        for p in policies.iter().map(|p| s.discipline_at(j, p)) {
            if p.queue()
                .is_none_or(|q| q.preemptive() || q.quantum(&probe).is_finite())
            {
                return Err(FieldError::new(
                    field,
                    width.to_string(),
                    format!(
                        "a visit holding several servers at node `{}` needs a discipline that neither shares, preempts nor slices, not `{}`",
                        node.name,
                        p.label()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn validate(raw: RawScenario, base: &Path, text: &str) -> Result<Scenario, FieldError> {
    if raw.name.trim().is_empty() {
        return Err(FieldError::new("name", "\"\"", "must not be empty"));
    }
    let replications = match (raw.replications, raw.batches) {
        (Some(r), Some(_)) if r > 1 => {
            return Err(FieldError::new(
                "replications",
                r.to_string(),
                "batch means (`batches`) measure one long replication; drop `replications` or `batches`",
            ));
        }
        (_, Some(_)) => 1,
        (r, None) => r.unwrap_or_else(default_replications),
    };
    if replications == 0 {
        return Err(FieldError::new(
            "replications",
            "0",
            "must be at least 1 (2 or more for a confidence interval)",
        ));
    }
    let (warmup, warmup_auto) = match &raw.warmup {
        Some(RawWarmup::Limit(w)) => (limit(w, "warmup", true)?, false),
        Some(RawWarmup::Word(w)) if w == "auto" => (Limit::Jobs(0), true),
        Some(RawWarmup::Word(w)) => {
            return Err(FieldError::new(
                "warmup",
                format!("{w:?}"),
                "give \"auto\", { jobs = N } or { time = T }",
            ));
        }
        None => (Limit::Jobs(0), false),
    };
    let horizon = limit(&raw.horizon, "horizon", false)?;
    if raw.nodes.is_empty() {
        return Err(FieldError::new(
            "nodes",
            "[]",
            "needs at least one [[nodes]] table",
        ));
    }
    if raw.classes.is_empty() {
        return Err(FieldError::new(
            "classes",
            "[]",
            "needs at least one [[classes]] table",
        ));
    }
    let mut nodes: Vec<Node> = Vec::new();
    let mut node_groups: Vec<NodeGroup> = Vec::new();
    // Where each `[[nodes]]` entry's nodes sit in `nodes`.
    let mut entries: Vec<std::ops::Range<usize>> = Vec::new();
    // Every name taken (nodes, groups, members), with the entry that took it.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (j, n) in raw.nodes.iter().enumerate() {
        let count = match n.count {
            None => None,
            Some(c) if c < 1 => {
                return Err(FieldError::new(
                    format!("nodes[{j}].count"),
                    c.to_string(),
                    "a group needs at least 1 node (drop `count` for a single node)",
                ));
            }
            Some(c) if c > groups::MAX_COUNT => {
                return Err(FieldError::new(
                    format!("nodes[{j}].count"),
                    c.to_string(),
                    format!(
                        "at most {} nodes per group (each costs a few hundred bytes of memory)",
                        groups::MAX_COUNT
                    ),
                ));
            }
            Some(c) => Some(c as usize),
        };
        if count.is_some() && (n.name.contains('[') || n.name.contains(']')) {
            return Err(FieldError::new(
                format!("nodes[{j}].name"),
                format!("{:?}", n.name),
                "a group's name has no brackets: its members are named NAME[0], NAME[1], ...",
            ));
        }
        if let Some(&other) = seen.get(&n.name) {
            let what = if raw.nodes[other].count.is_some() && raw.nodes[other].name != n.name {
                format!("a member of group nodes[{other}]")
            } else {
                format!("nodes[{other}]")
            };
            return Err(FieldError::new(
                format!("nodes[{j}].name"),
                format!("{:?}", n.name),
                format!("duplicate node name: also {what}"),
            ));
        }
        seen.insert(n.name.clone(), j);
        let schedule = match &n.schedule {
            Some(raw) => Some(raw.build(j)?),
            None => None,
        };
        // With a schedule, the node has as many server slots as are
        // ever on shift; its `servers` is ignored, as the contract says.
        let servers = match (&schedule, n.servers) {
            (Some(s), _) => s.max_servers(),
            (None, Some(k)) => k,
            (None, None) => {
                return Err(FieldError::new(
                    format!("nodes[{j}].servers"),
                    "(missing)",
                    "give the node's number of servers (or a `schedule` of them)",
                ));
            }
        };
        if servers == 0 {
            return Err(FieldError::new(
                format!("nodes[{j}].servers"),
                "0",
                "a node needs at least 1 server",
            ));
        }
        if schedule.is_some() && n.failures.is_some() {
            return Err(FieldError::new(
                format!("nodes[{j}].schedule"),
                "(given with failures)",
                "a node's servers either follow a schedule or fail and get repaired, not both: model the shifts on one node and the failures on another",
            ));
        }
        if !(n.speed.is_finite() && n.speed > 0.0) {
            return Err(FieldError::new(
                format!("nodes[{j}].speed"),
                n.speed.to_string(),
                "must be a finite number greater than 0",
            ));
        }
        if let Some(k) = n.capacity
            && k < servers
        {
            return Err(FieldError::new(
                format!("nodes[{j}].capacity"),
                k.to_string(),
                format!("must be at least the number of servers ({servers})"),
            ));
        }
        let when_full = match n.when_full.as_deref() {
            None | Some("loss") => WhenFull::Loss,
            Some("block") => WhenFull::Block,
            Some(other) => {
                return Err(FieldError::new(
                    format!("nodes[{j}].when_full"),
                    format!("{other:?}"),
                    "use \"loss\" (a job arriving at a full node is lost) or \"block\"",
                ));
            }
        };
        if n.when_full.is_some() && n.capacity.is_none() {
            return Err(FieldError::new(
                format!("nodes[{j}].when_full"),
                format!("\"{}\"", n.when_full.as_deref().unwrap_or_default()),
                "applies only to a node with a `capacity`",
            ));
        }
        let failures = match &n.failures {
            Some(f) => Some(f.build(j, base)?),
            None => None,
        };
        let mut speed_by_task = Vec::new();
        for (prefix, &speed) in &n.speed_by_task {
            if !(speed.is_finite() && speed > 0.0) {
                return Err(FieldError::new(
                    format!("nodes[{j}].speed_by_task.{prefix}"),
                    speed.to_string(),
                    "must be a finite number greater than 0",
                ));
            }
            speed_by_task.push((prefix.clone(), speed));
        }
        let node = Node {
            speed_by_task,
            when_full,
            capacity: n.capacity,
            failures: failures.map(Box::new),
            schedule: schedule.map(Box::new),
            ..Node::new(&n.name, servers, n.speed)
        };
        let first = nodes.len();
        match count {
            None => nodes.push(node),
            Some(count) => {
                nodes.reserve(count);
                for i in 0..count {
                    let name = groups::member_name(&n.name, i);
                    if let Some(&other) = seen.get(&name) {
                        return Err(FieldError::new(
                            format!("nodes[{j}].name"),
                            format!("{:?}", n.name),
                            format!("its member {name:?} is also the name of nodes[{other}]"),
                        ));
                    }
                    seen.insert(name.clone(), j);
                    nodes.push(Node {
                        name,
                        ..node.clone()
                    });
                }
                node_groups.push(NodeGroup {
                    name: n.name.clone(),
                    first,
                    count,
                });
            }
        }
        entries.push(first..nodes.len());
    }
    drop(seen);
    let mut classes = Vec::new();
    let mut seen = HashSet::new();
    for (k, c) in raw.classes.iter().enumerate() {
        if !seen.insert(c.name.as_str()) {
            return Err(FieldError::new(
                format!("classes[{k}].name"),
                format!("{:?}", c.name),
                "duplicate class name",
            ));
        }
        let (arrival, trace_sizes) = match (&c.arrival, c.population, &c.think) {
            (Some(spec), None, None) => spec.build(&format!("classes[{k}].arrival"), base)?,
            (None, Some(population), Some(think)) => {
                (closed_class(k, population, think, base)?, None)
            }
            (Some(_), Some(_), _) => {
                return Err(FieldError::new(
                    format!("classes[{k}].arrival"),
                    "(given with population)",
                    "a closed class's jobs arrive when they finish thinking: drop `arrival` (or `population` and `think` for an open class)",
                ));
            }
            (_, None, Some(_)) => {
                return Err(FieldError::new(
                    format!("classes[{k}].think"),
                    "(given)",
                    "a think time belongs to a closed class: give its `population` too",
                ));
            }
            (None, Some(_), None) => {
                return Err(FieldError::new(
                    format!("classes[{k}].think"),
                    "(missing)",
                    "a closed class needs the time each job thinks between passes (think = { dist = ... }; a value of 0 for none)",
                ));
            }
            (None, None, _) => {
                return Err(FieldError::new(
                    format!("classes[{k}].arrival"),
                    "(missing)",
                    "give the class's arrivals (arrival = { dist = ... }), or make it closed with `population` and `think`",
                ));
            }
        };
        let flow = workflow_class(k, c, &nodes, base)?;
        let traced_sizes = trace_sizes.is_some();
        let service = match (&c.service, trace_sizes) {
            _ if flow.is_some() => {
                let flow = flow.as_ref().expect("checked");
                if let Some(field) = workflow_conflict(c, traced_sizes) {
                    return Err(FieldError::new(
                        format!("classes[{k}].{field}"),
                        "(given)",
                        format!(
                            "a workflow class's jobs are graphs of tasks that [policy] workflow places on nodes: drop `{field}` ({})",
                            flow.source
                        ),
                    ));
                }
                // Never drawn for a visit: the total work, for the loads.
                Dist::Deterministic {
                    value: flow.dag.work.iter().sum(),
                }
            }
            (Some(spec), None) => Dist::from_spec(spec, &format!("classes[{k}].service"), base)?,
            (None, Some(sizes)) => sizes,
            (Some(_), Some(_)) => {
                return Err(FieldError::new(
                    format!("classes[{k}].service"),
                    "(given)",
                    "the arrival trace has a size column, which gives the sizes: drop `service` (or the column)",
                ));
            }
            (None, None) => {
                return Err(FieldError::new(
                    format!("classes[{k}].service"),
                    "(missing)",
                    "give the distribution of the jobs' sizes (service = { dist = ... })",
                ));
            }
        };
        let batch = match &c.batch {
            None => Batch::One,
            Some(spec) => {
                let field = format!("classes[{k}].batch");
                if matches!(arrival, Arrivals::Trace(_)) {
                    return Err(FieldError::new(
                        field,
                        format!("dist = {:?}", spec.dist),
                        "a trace lists every job: repeat a time for jobs arriving together",
                    ));
                }
                if matches!(arrival, Arrivals::Closed(_)) {
                    return Err(FieldError::new(
                        field,
                        format!("dist = {:?}", spec.dist),
                        "a closed class's jobs come back one by one as each finishes thinking: give a larger population instead",
                    ));
                }
                Batch::from_spec(spec, &field, base)?
            }
        };
        let node = match &c.node {
            Some(name) => {
                let field = format!("classes[{k}].node");
                let members = node_range(&nodes, &node_groups, name, &field)?;
                if members.len() == 1 {
                    Some(members.start)
                } else if members.len() == nodes.len() && raw.dispatch.is_some() {
                    // The group is every node: the class is dispatched
                    // over them, as if it named no node.
                    None
                } else {
                    // The dispatcher spreads jobs over every node; a
                    // class spread over a subset only is not supported.
                    return Err(FieldError::new(
                        field,
                        format!("{name:?}"),
                        format!(
                            "is a group of {} nodes, and a class goes to one node or is spread by [dispatch] over all {} nodes: name one member ({name}[0]) or drop `node`",
                            members.len(),
                            nodes.len()
                        ),
                    ));
                }
            }
            None if raw.dispatch.is_some() || flow.is_some() => None,
            None if nodes.len() == 1 => Some(0),
            None => {
                return Err(FieldError::new(
                    format!("classes[{k}].node"),
                    "(missing)",
                    "the scenario has several nodes: name the node this class goes to, or add a [dispatch] rule",
                ));
            }
        };
        if let Some(d) = c.deadline
            && !(d.is_finite() && d > 0.0)
        {
            return Err(FieldError::new(
                format!("classes[{k}].deadline"),
                d.to_string(),
                "a relative deadline must be a finite number greater than 0",
            ));
        }
        let mut service_at = vec![None; nodes.len()];
        for (name, spec) in &c.service_at {
            // A group: the same demand at every member.
            let members = node_range(
                &nodes,
                &node_groups,
                name,
                &format!("classes[{k}].service_at.{name}"),
            )?;
            let d = Dist::from_spec(spec, &format!("classes[{k}].service_at.{name}"), base)?;
            for j in members {
                service_at[j] = Some(d.clone());
            }
        }
        let servers_per_job = c.servers_per_job.unwrap_or(1);
        if servers_per_job == 0 {
            return Err(FieldError::new(
                format!("classes[{k}].servers_per_job"),
                "0",
                "a visit holds at least 1 server",
            ));
        }
        let patience = match &c.patience {
            None => None,
            Some(spec) => {
                let field = format!("classes[{k}].patience");
                let d = Dist::from_spec(spec, &field, base)?;
                // P(patience > 0) = 0 exactly when the mean is 0.
                if d.mean() <= 0.0 {
                    return Err(FieldError::new(
                        field,
                        format!("{} with mean {}", d.family(), d.mean()),
                        "patience needs some positive values (a job with none reneges before anyone can serve it)",
                    ));
                }
                Some(d)
            }
        };
        let baulk = match &c.baulk {
            None => Vec::new(),
            Some(b) => {
                let field = format!("classes[{k}].baulk.probabilities");
                if b.probabilities.is_empty() {
                    return Err(FieldError::new(
                        field,
                        "[]",
                        "give the probability of baulking for 0, 1, 2, ... jobs found (the last one holds beyond)",
                    ));
                }
                if let Some((i, p)) = b
                    .probabilities
                    .iter()
                    .enumerate()
                    .find(|(_, p)| !(0.0..=1.0).contains(*p))
                {
                    return Err(FieldError::new(
                        format!("{field}[{i}]"),
                        p.to_string(),
                        "a probability lies in [0, 1]",
                    ));
                }
                b.probabilities.clone()
            }
        };
        let attempts = c.attempts.as_ref().map(|a| a.build(k, base)).transpose()?;
        let mut initial = Vec::new();
        for (name, &count) in &c.initial {
            // A group: `count` jobs at every member.
            let members = node_range(
                &nodes,
                &node_groups,
                name,
                &format!("classes[{k}].initial.{name}"),
            )?;
            if count > 0 {
                initial.extend(members.map(|j| (j, count)));
            }
        }
        classes.push(Class {
            initial,
            batch,
            attempts,
            priority: c.priority,
            node,
            deadline: c.deadline,
            service_at,
            servers_per_job,
            patience,
            baulk,
            workflow: flow.map(std::sync::Arc::new),
            ..Class::new(&c.name, arrival, service, nodes.len())
        });
    }
    let context = PolicyContext {
        class_names: classes.iter().map(|c| c.name.clone()).collect(),
    };
    for (j, n) in raw.nodes.iter().enumerate() {
        let Some(entry) = &n.discipline else {
            continue;
        };
        let mut config = match entry {
            CompareEntry::Name(name) => PolicyConfig::named(name),
            CompareEntry::Table(t) => t.clone(),
        };
        config.path = format!("nodes[{j}].discipline");
        if config.workflow.is_some() {
            return Err(FieldError::new(
                config.field("workflow"),
                "(given)",
                "the rule that places workflow tasks belongs in [policy]",
            ));
        }
        if config.compare.is_some() {
            return Err(FieldError::new(
                config.field("compare"),
                "[...]",
                "a node runs one discipline; compare policies in [policy]",
            ));
        }
        let policy = Box::new(AnyPolicy::from_config(&config, &context)?);
        for m in entries[j].clone() {
            nodes[m].discipline = Some(policy.clone());
        }
    }
    let routing = route::build(&raw.routes, &nodes, &node_groups, &classes)?;
    let dispatch = raw
        .dispatch
        .as_ref()
        .map(|d| Rule::from_config(&group_weights(d, &entries, nodes.len())?, &nodes))
        .transpose()?;
    let network = check_workflows(&raw, &classes, dispatch.as_ref())?;
    let precision = match (raw.precision, &raw.precision_metric, raw.max_replications) {
        (None, None, None) => None,
        (None, Some(_), _) | (None, None, Some(_)) => {
            let field = if raw.precision_metric.is_some() {
                "precision_metric"
            } else {
                "max_replications"
            };
            return Err(FieldError::new(
                field,
                "(given)",
                "applies with `precision` (e.g. precision = 0.01)",
            ));
        }
        (Some(target), metric, max) => Some(
            precision(
                target,
                metric.as_deref().unwrap_or("mean_response"),
                max,
                replications,
            )
            .map_err(|(field, value, message)| FieldError::new(field, value, message))?,
        ),
    };
    let batches = raw
        .batches
        .map(|b| {
            if precision.is_some() {
                return Err(FieldError::new(
                    "batches",
                    b.to_string(),
                    "`precision` adds replications and `batches` measures one: give one of them",
                ));
            }
            batches(b, horizon)
                .map_err(|(field, value, message)| FieldError::new(field, value, message))
        })
        .transpose()?;
    let mut section = raw.policy.unwrap_or_default();
    section.path = "policy".into();
    let (policy_configs, policies): (Vec<_>, Vec<_>) = policies_from_section(&section, &context)?
        .into_iter()
        .unzip();
    check_pull(dispatch.as_ref(), &policies, &classes)?;
    check_initial(dispatch.as_ref(), &nodes, &classes)?;
    if matches!(dispatch, Some(Rule::Pull | Rule::Hybrid { .. }))
        && let Some(j) = raw.nodes.iter().position(|n| n.capacity.is_some())
    {
        return Err(FieldError::new(
            format!("nodes[{j}].capacity"),
            "(given)",
            "finite capacity works with pinned classes and push dispatching, not with pull or hybrid",
        ));
    }
    let workflow_rule = match &section.workflow {
        None => crate::workflow::Policy::Heft,
        Some(name) => name
            .parse()
            .map_err(|e: String| FieldError::new("policy.workflow", format!("{name:?}"), e))?,
    };
    let alarms = alarms::build(&raw.alarms, &nodes, &node_groups)?;
    let mut scenario = Scenario {
        name: raw.name,
        description: raw.description,
        seed: raw.seed,
        replications,
        warmup,
        warmup_auto,
        horizon,
        classes,
        nodes,
        groups: node_groups,
        member_rows: false,
        policies,
        policy_configs,
        dispatch,
        routing,
        sweep: None,
        output: Output::from_spec(&raw.output.clone().unwrap_or_default())?,
        alarms,
        network,
        workflow_rule,
        precision,
        batches,
        path: PathBuf::new(),
        source: text.to_string(),
    };
    check_network(&scenario, &scenario.policies)?;
    check_failures(&scenario, &scenario.policies)?;
    if let Some(spec) = &raw.sweep {
        scenario.sweep = Some(Sweep::new(
            &scenario,
            &spec.param,
            &spec.values,
            "sweep.param",
            "sweep.values",
        )?);
    }
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MM2: &str = r#"
name = "mm2"
description = "M/M/2 at load 0.9"
seed = 42
replications = 10
warmup = { jobs = 10000 }
horizon = { jobs = 1000000 }

[[classes]]
name = "default"
arrival = { dist = "exponential", rate = 1.8 }
service = { dist = "exponential", mean = 1.0 }
priority = 0

[[nodes]]
name = "pool"
servers = 2
speed = 1.0

[policy]
discipline = "fcfs"
"#;

    fn parse(text: &str) -> Result<Scenario, InputError> {
        Scenario::from_toml(text, Path::new("test.toml"))
    }

    #[test]
    fn the_documented_example_parses() {
        let s = parse(MM2).unwrap();
        assert_eq!(s.name, "mm2");
        assert_eq!(s.seed, 42);
        assert_eq!(s.warmup, Limit::Jobs(10000));
        assert_eq!(s.horizon, Limit::Jobs(1_000_000));
        assert!((s.offered_load(0) - 0.9).abs() < 1e-12);
        assert!(s.warnings().is_empty());
    }

    fn error_of(text: &str) -> String {
        parse(text).expect_err("must be rejected").to_string()
    }

    #[test]
    fn errors_name_file_field_and_value() {
        let e = error_of(&MM2.replace("rate = 1.8", "rate = -1.8"));
        assert!(
            e.contains("test.toml") && e.contains("classes[0].arrival.rate") && e.contains("-1.8"),
            "{e}"
        );
        let e = error_of(&MM2.replace("servers = 2", "servers = 0"));
        assert!(e.contains("nodes[0].servers = 0"), "{e}");
        let e = error_of(&MM2.replace("speed = 1.0", "speed = 1.0\ncolour = \"red\""));
        assert!(e.contains("nodes[0]") && e.contains("colour"), "{e}");
        let e = error_of(&MM2.replace("servers = 2\n", ""));
        assert!(e.contains("nodes[0]") && e.contains("servers"), "{e}");
        let e = error_of(&MM2.replace("\"exponential\", rate", "\"expo\", rate"));
        assert!(
            e.contains("classes[0].arrival.dist") && e.contains("expo"),
            "{e}"
        );
        let e = error_of(&MM2.replace("discipline = \"fcfs\"", "discipline = \"magic\""));
        assert!(
            e.contains("policy.discipline") && e.contains("magic"),
            "{e}"
        );
        let e = error_of(&MM2.replace("seed = 42", "seed = \"x\""));
        assert!(e.contains("seed"), "{e}");
        let e = error_of(
            "name = \"x\"\nhorizon = { jobs = 1 }\nclasses = []\nnodes = [{ name = \"a\", servers = 1 }]\n",
        );
        assert!(e.contains("classes = []"), "{e}");
        let e = error_of("name = [");
        assert!(e.starts_with("test.toml:1:"), "{e}");
    }

    #[test]
    fn pull_dispatching_is_checked() {
        let pull = MM2.replace("[policy]", "[dispatch]\nrule = \"pull\"\n\n[policy]");
        assert!(parse(&pull).is_ok());
        let e = error_of(&pull.replace("discipline = \"fcfs\"", "discipline = \"ps\""));
        assert!(e.contains("dispatch.rule") && e.contains("ps"), "{e}");
        let e = error_of(&pull.replace("priority = 0", "priority = 0\nnode = \"pool\""));
        assert!(e.contains("classes[0].node"), "{e}");
        let e = error_of(&pull.replace("speed = 1.0", "speed = 1.0\ncapacity = 4"));
        assert!(e.contains("nodes[0].capacity"), "{e}");
    }

    #[test]
    fn retried_attempts_count_in_the_overload_warning() {
        let mm1 = MM2
            .replace("rate = 1.8", "rate = 0.8")
            .replace("servers = 2", "servers = 1");
        let plain = parse(&mm1).unwrap();
        assert!(plain.warnings().is_empty());
        assert_eq!(plain.retry_load(0), None);
        // p = 0.5 at the end, unlimited retries: two attempts of the full
        // size per task, so load 0.8 · 2.
        let retried = mm1.replace(
            "priority = 0",
            "priority = 0\n[classes.attempts]\nfailure = { p = 0.5, at = \"end\" }\n\
             retry = { max_attempts = 0, initial = 0.0 }",
        );
        let s = parse(&retried).unwrap();
        assert_eq!(s.offered_load(0), plain.offered_load(0));
        let (load, attempts) = s.retry_load(0).unwrap();
        assert!((load - 1.6).abs() < 1e-12 && (attempts - 2.0).abs() < 1e-12);
        let w = s.warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains(
                "offered load 1.600 >= 1 counting retried attempts (2.00 attempts per task)"
            ),
            "{}",
            w[0]
        );
    }

    fn task_work(demand: Dist, attempts: &str, speed: f64) -> TaskWork {
        let raw: crate::lifecycle::RawAttempts = toml::from_str(attempts).unwrap();
        let rule = raw.build(0, Path::new(".")).unwrap();
        TaskWork::of(&demand, &rule, speed)
    }

    #[test]
    fn the_work_of_a_task_follows_its_closed_forms() {
        let exp = || Dist::exponential_mean(1.0);
        let close =
            |a: f64, b: f64, tol: f64| assert!((a - b).abs() <= tol * b.abs(), "{a} vs {b}");
        // Uniform failure points: an attempt that fails did half its work.
        let t = task_work(
            exp(),
            "failure = { p = 0.5 }\nretry = { max_attempts = 3 }",
            1.0,
        );
        close(t.attempts, 1.75, 1e-12);
        close(t.work, 1.75 * 0.75, 1e-12);
        close(t.p_give_up, 0.125, 1e-12);
        // Restart at rate g on work x = 1: (e^{g} − 1)/g, at speed 2 h = g/2.
        let d = Dist::Deterministic { value: 1.0 };
        let t = task_work(
            d.clone(),
            "failure = { rate = 0.5 }\nretry = { max_attempts = 0 }",
            1.0,
        );
        close(t.work, (0.5f64.exp() - 1.0) / 0.5, 1e-12);
        let t = task_work(
            d,
            "failure = { rate = 0.5 }\nretry = { max_attempts = 0 }",
            2.0,
        );
        close(t.work, (0.25f64.exp() - 1.0) / 0.25, 1e-12);
        // Exponential sizes of rate μ: E[e^{hX}] = μ/(μ − h), infinite for h >= μ.
        let t = task_work(
            exp(),
            "failure = { rate = 0.5 }\nretry = { max_attempts = 0 }",
            1.0,
        );
        close(t.work, (2.0 - 1.0) / 0.5, 1e-12);
        let t = task_work(
            exp(),
            "failure = { rate = 1.5 }\nretry = { max_attempts = 0 }",
            1.0,
        );
        assert!(t.work.is_infinite());
        // A deadline caps what a task can hold.
        let t = task_work(
            exp(),
            "failure = { rate = 1.5 }\nretry = { max_attempts = 0 }\ndeadline = 4.0",
            1.0,
        );
        assert!(t.work.is_finite() && t.work <= 4.0);
        // A timeout alone on exponential work: E[min(X, t)] = 1 − e^{−t},
        // by numeric integration.
        let t = task_work(exp(), "timeout = 1.0", 1.0);
        close(t.work, 1.0 - (-1.0f64).exp(), 1e-7);
        close(t.p_give_up, (-1.0f64).exp(), 1e-7);
        // Retried until they fit in the timeout: with the same work, those
        // longer than it never do.
        let t = task_work(exp(), "timeout = 1.0\nretry = { max_attempts = 0 }", 1.0);
        assert!(t.work.is_infinite());
        // Resampled, each attempt fits with probability 1 − e^{−1}.
        let t = task_work(
            exp(),
            "timeout = 1.0\nsizes = \"resample\"\nretry = { max_attempts = 0 }",
            1.0,
        );
        close(t.attempts, 1.0 / (1.0 - (-1.0f64).exp()), 1e-7);
        close(t.work, (1.0 - (-1.0f64).exp()) * t.attempts, 1e-7);
    }

    #[test]
    fn overload_is_warned_not_rejected() {
        let s = parse(&MM2.replace("rate = 1.8", "rate = 2.5")).unwrap();
        let w = s.warnings();
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("1.250"), "{}", w[0]);
    }
}
