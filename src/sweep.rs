//! Sweeps: one parameter of a scenario varied over a list of values, every
//! compared policy run at each value with its replications.
//!
//! Point `i` runs with the seed derived from (scenario seed, i), and all
//! (point, policy, replication) runs are independent tasks whose results
//! are put back in order, so a sweep's output is bit-identical whatever
//! the number of threads or the order in which the tasks finish.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dispatch::Rule;
use crate::engine::{RunInfo, Unstable};
use crate::error::FieldError;
use crate::experiment::{self, Row};
use crate::model::Scenario;
use crate::policy::{AnyPolicy, PolicyConfig};
use crate::stats::{Recorder, ReplicationSummary, ReplicationTotals, TotalsError, totals};
use crate::theory::{Kind, Prediction};
use crate::workload::point_seed;

/// What varies along a sweep.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// Offered load of the whole system, `Σ λ_k E[S_k] / Σ c_j speed_j`:
    /// every arrival rate scaled by one factor.
    Load,
    /// Total arrival rate: every class's rate scaled by one factor.
    ArrivalRate,
    /// One class's arrival rate.
    ClassArrivalRate(usize),
    /// The arrival-weighted mean service requirement: every class's sizes
    /// scaled by one factor.
    ServiceMean,
    /// One class's mean service requirement (sizes scaled, shape kept).
    ClassServiceMean(usize),
    /// The servers of the only node.
    Servers,
    /// The servers of one node.
    NodeServers(usize),
    /// The speed of one node.
    NodeSpeed(usize),
    /// The servers of every member of a node group (`Scenario::groups`),
    /// which stay identical.
    GroupServers(usize),
    /// The speed of every member of a node group.
    GroupSpeed(usize),
    /// The quantum of every compared policy that has one.
    Quantum,
    /// One cutoff of size-interval (`sita`) dispatching.
    Cutoff(usize),
}

/// The names `param` accepts, for messages.
pub const PARAMS: &str = "load, arrival.rate, classes.NAME.arrival.rate, service.mean, \
                          classes.NAME.service.mean, servers, nodes.NAME.servers, \
                          nodes.NAME.speed, quantum, dispatch.cutoffs[I]";

/// Whether the parameter named `param` (as written) takes whole numbers
/// only (servers): its values are printed and ticked as integers.
pub fn whole_numbered(param: &str) -> bool {
    param == "servers" || (param.starts_with("nodes.") && param.ends_with(".servers"))
}

/// A validated sweep: the parameter, as written and parsed, and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub name: String,
    pub param: Param,
    pub values: Vec<f64>,
}

/// `[sweep]` as written in a scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    pub param: String,
    pub values: Values,
}

/// Values as a range `"0.1:0.9:0.1"`, a list `"1,2,4"` or a TOML array.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Values {
    Text(String),
    List(Vec<f64>),
}

/// Most points a sweep may have (a typo such as a step of 1e-9 would
/// otherwise run for ever).
pub const MAX_POINTS: usize = 10_000;

/// Parses `start:stop:step` (stop included when a whole number of steps
/// reaches it) or a comma-separated list.
pub fn parse_values(text: &str, field: &str) -> Result<Vec<f64>, FieldError> {
    let bad = |msg: &str| FieldError::new(field, format!("\"{text}\""), msg);
    let number = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad(&format!("`{}` is not a finite number", s.trim())))
    };
    let parts: Vec<&str> = text.split(':').collect();
    let values = match parts.as_slice() {
        [single] => single
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(number)
            .collect::<Result<Vec<_>, _>>()?,
        [start, stop, step] => {
            let (start, stop, step) = (number(start)?, number(stop)?, number(step)?);
            if step <= 0.0 {
                return Err(bad("the step of start:stop:step must be greater than 0"));
            }
            if stop < start {
                return Err(bad("stop is below start in start:stop:step"));
            }
            // Counting steps (rather than adding them up) keeps 0.1:0.9:0.1
            // at exactly nine points with no drift.
            let steps = ((stop - start) / step + 1e-9).floor();
            if steps + 1.0 > MAX_POINTS as f64 {
                return Err(bad(&format!("more than {MAX_POINTS} points")));
            }
            (0..=steps as usize)
                .map(|i| start + i as f64 * step)
                .collect()
        }
        _ => {
            return Err(bad(
                "write start:stop:step (e.g. 0.1:0.9:0.1) or a list (e.g. 1,2,4)",
            ));
        }
    };
    check_values(values, field, text)
}

fn check_values(values: Vec<f64>, field: &str, text: &str) -> Result<Vec<f64>, FieldError> {
    if values.is_empty() {
        return Err(FieldError::new(field, format!("\"{text}\""), "no values"));
    }
    if let Some(v) = values.iter().find(|v| !v.is_finite()) {
        return Err(FieldError::new(
            field,
            v.to_string(),
            "values must be finite numbers",
        ));
    }
    if values.len() > MAX_POINTS {
        return Err(FieldError::new(
            field,
            format!("{} values", values.len()),
            format!("more than {MAX_POINTS} points"),
        ));
    }
    Ok(values)
}

impl Sweep {
    /// Checks a parameter name and its values against the scenario: the
    /// class or node it names exists, every value is allowed, and applying
    /// the first value gives a valid scenario.
    pub fn new(
        scenario: &Scenario,
        param: &str,
        values: &Values,
        param_field: &str,
        values_field: &str,
    ) -> Result<Sweep, FieldError> {
        let values = match values {
            Values::Text(text) => parse_values(text, values_field)?,
            Values::List(list) => check_values(list.clone(), values_field, &format!("{list:?}"))?,
        };
        let parsed = Param::parse(param, scenario, param_field)?;
        let sweep = Sweep {
            name: param.trim().to_string(),
            param: parsed,
            values,
        };
        for &v in &sweep.values {
            sweep.check_value(v, values_field)?;
        }
        sweep.point(scenario, 0)?;
        Ok(sweep)
    }

    fn check_value(&self, v: f64, field: &str) -> Result<(), FieldError> {
        let bad = |msg: &str| Err(FieldError::new(field, v.to_string(), msg));
        let whole = matches!(
            self.param,
            Param::Servers | Param::NodeServers(_) | Param::GroupServers(_)
        );
        if whole && (v < 1.0 || v.fract() != 0.0 || v > f64::from(u32::MAX)) {
            return bad(&format!(
                "`{}` takes whole numbers of servers, at least 1",
                self.name
            ));
        }
        if v.is_nan() || v <= 0.0 {
            return bad(&format!("`{}` takes values greater than 0", self.name));
        }
        Ok(())
    }

    /// The scenario of point `i`: the parameter set to `values[i]` and the
    /// seed derived from the scenario's seed and `i`.
    pub fn point(&self, base: &Scenario, i: usize) -> Result<Scenario, FieldError> {
        let mut s = base.clone();
        s.seed = point_seed(base.seed, i as u32);
        self.param.apply(&mut s, self.values[i], &self.name)?;
        Ok(s)
    }
}

impl Param {
    /// Parses a parameter name, resolving the class or node it names.
    pub fn parse(text: &str, scenario: &Scenario, field: &str) -> Result<Param, FieldError> {
        let text = text.trim();
        let bad = |msg: String| FieldError::new(field, format!("\"{text}\""), msg);
        let class = |name: &str| {
            scenario
                .classes
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| {
                    let known: Vec<_> = scenario.classes.iter().map(|c| c.name.as_str()).collect();
                    bad(format!(
                        "no class `{name}`; classes are: {}",
                        known.join(", ")
                    ))
                })
        };
        let node = |name: &str| {
            crate::model::groups::resolve(&scenario.nodes, &scenario.groups, name)
                .filter(|r| r.len() == 1 && !scenario.groups.iter().any(|g| g.name == name))
                .map(|r| r.start)
                .ok_or_else(|| {
                    bad(format!(
                        "no node `{name}`; nodes are: {}",
                        crate::model::groups::known_names(&scenario.nodes, &scenario.groups)
                    ))
                })
        };
        let group = |name: &str| scenario.groups.iter().position(|g| g.name == name);
        // A workflow's work is its tasks': a class's `service` is not drawn.
        let not_a_workflow = |k: usize| {
            if scenario.classes[k].is_workflow() {
                Err(bad(format!(
                    "class `{}` is a workflow, whose work is its tasks' (its file or [[classes.tasks]]): sweep its arrival rate or the load",
                    scenario.classes[k].name
                )))
            } else {
                Ok(k)
            }
        };
        let param = match text {
            "load" => Param::Load,
            "arrival.rate" => Param::ArrivalRate,
            "service.mean" => {
                if let Some(k) =
                    (0..scenario.classes.len()).find(|&k| scenario.classes[k].is_workflow())
                {
                    not_a_workflow(k)?;
                }
                Param::ServiceMean
            }
            "servers" => {
                if scenario.nodes.len() != 1 {
                    return Err(bad(format!(
                        "the scenario has {} nodes: name one, as nodes.NAME.servers",
                        scenario.nodes.len()
                    )));
                }
                Param::Servers
            }
            "quantum" => {
                let takes_one = scenario
                    .policy_configs
                    .iter()
                    .any(|c| with_quantum(c, 1.0, scenario).is_some());
                if !takes_one {
                    return Err(bad("no compared policy takes a quantum (rr does)".into()));
                }
                Param::Quantum
            }
            _ => {
                if let Some(rest) = text.strip_prefix("classes.") {
                    if let Some(name) = rest.strip_suffix(".arrival.rate") {
                        Param::ClassArrivalRate(class(name)?)
                    } else if let Some(name) = rest.strip_suffix(".service.mean") {
                        Param::ClassServiceMean(not_a_workflow(class(name)?)?)
                    } else {
                        return Err(bad(format!("unknown parameter; parameters are: {PARAMS}")));
                    }
                } else if let Some(rest) = text.strip_prefix("nodes.") {
                    if let Some(name) = rest.strip_suffix(".servers") {
                        match group(name) {
                            Some(g) => Param::GroupServers(g),
                            None => Param::NodeServers(node(name)?),
                        }
                    } else if let Some(name) = rest.strip_suffix(".speed") {
                        match group(name) {
                            Some(g) => Param::GroupSpeed(g),
                            None => Param::NodeSpeed(node(name)?),
                        }
                    } else {
                        return Err(bad(format!("unknown parameter; parameters are: {PARAMS}")));
                    }
                } else if let Some(index) = text
                    .strip_prefix("dispatch.cutoffs[")
                    .and_then(|r| r.strip_suffix(']'))
                {
                    let Some(Rule::Sita { cutoffs }) = &scenario.dispatch else {
                        return Err(bad(
                            "the scenario does not dispatch by size interval (rule = \"sita\")"
                                .into(),
                        ));
                    };
                    let i: usize = index
                        .trim()
                        .parse()
                        .map_err(|_| bad(format!("`{index}` is not an index")))?;
                    if i >= cutoffs.len() {
                        return Err(bad(format!(
                            "the scenario has {} cutoff(s), indexed from 0",
                            cutoffs.len()
                        )));
                    }
                    Param::Cutoff(i)
                } else {
                    return Err(bad(format!("unknown parameter; parameters are: {PARAMS}")));
                }
            }
        };
        Ok(param)
    }

    /// Sets the parameter to `v` in `s`. Scaling keeps each distribution's
    /// shape (its coefficient of variation), so only the scale moves.
    pub fn apply(&self, s: &mut Scenario, v: f64, name: &str) -> Result<(), FieldError> {
        let total_rate =
            |s: &Scenario| (0..s.classes.len()).map(|k| s.arrival_rate(k)).sum::<f64>();
        // A factor f on the rate is a factor 1/f on inter-arrival times.
        let scale_rates = |s: &mut Scenario, f: f64| {
            for c in &mut s.classes {
                c.arrival = c.arrival.scaled(1.0 / f);
            }
        };
        match *self {
            Param::Load => {
                let f = v / s.total_load();
                scale_rates(s, f);
            }
            Param::ArrivalRate => {
                let f = v / total_rate(s);
                scale_rates(s, f);
            }
            Param::ClassArrivalRate(k) => {
                let f = v / s.arrival_rate(k);
                s.classes[k].arrival = s.classes[k].arrival.scaled(1.0 / f);
            }
            Param::ServiceMean => {
                let work: f64 = (0..s.classes.len())
                    .map(|k| s.arrival_rate(k) * s.classes[k].service.mean())
                    .sum();
                let f = v / (work / total_rate(s));
                for c in &mut s.classes {
                    c.service = c.service.scaled(f);
                }
            }
            Param::ClassServiceMean(k) => {
                let f = v / s.classes[k].service.mean();
                s.classes[k].service = s.classes[k].service.scaled(f);
            }
            Param::Servers | Param::NodeServers(_) | Param::GroupServers(_) => {
                let nodes = match *self {
                    Param::NodeServers(j) => j..j + 1,
                    Param::GroupServers(g) => s.groups[g].members(),
                    _ => 0..1,
                };
                for j in nodes {
                    if s.nodes[j].schedule.is_some() {
                        return Err(FieldError::new(
                            name,
                            v.to_string(),
                            format!(
                                "node `{}` follows a server schedule: its servers on shift come from `schedule`, so they cannot be varied",
                                s.nodes[j].name
                            ),
                        ));
                    }
                    s.nodes[j].servers = v as u32;
                }
            }
            Param::NodeSpeed(j) => s.nodes[j].speed = v,
            Param::GroupSpeed(g) => {
                for j in s.groups[g].members() {
                    s.nodes[j].speed = v;
                }
            }
            Param::Quantum => {
                let pairs: Vec<(PolicyConfig, AnyPolicy)> = s
                    .policy_configs
                    .iter()
                    .zip(&s.policies)
                    .map(|(c, p)| with_quantum(c, v, s).unwrap_or_else(|| (c.clone(), p.clone())))
                    .collect();
                s.replace_policies(pairs)?;
            }
            Param::Cutoff(i) => {
                let Some(Rule::Sita { cutoffs }) = &mut s.dispatch else {
                    return Err(FieldError::new(
                        name,
                        v.to_string(),
                        "the scenario does not dispatch by size interval (rule = \"sita\")",
                    ));
                };
                cutoffs[i] = v;
                if cutoffs.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(FieldError::new(
                        name,
                        v.to_string(),
                        format!("cutoffs must stay strictly increasing, and would be {cutoffs:?}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The policy of `config` with quantum `q`, if its discipline takes one.
fn with_quantum(config: &PolicyConfig, q: f64, s: &Scenario) -> Option<(PolicyConfig, AnyPolicy)> {
    let mut c = config.clone();
    c.quantum = Some(q);
    AnyPolicy::from_config(&c, &s.policy_context())
        .ok()
        .map(|p| (c, p))
}

/// One value of the swept parameter and what every policy gave there.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    pub value: f64,
    /// The scenario's offered load at this point.
    pub load: f64,
    /// Per policy (in order): the all-jobs row, then one row per class.
    pub rows: Vec<Row>,
}

/// Everything a sweep produced.
#[derive(Debug, Clone)]
pub struct SweepOutput {
    pub param: String,
    pub points: Vec<SweepPoint>,
    pub events: u64,
    /// Warnings of the points' scenarios (e.g. loads of 1 or more).
    pub warnings: Vec<String>,
    /// The replications that stopped as unstable (then nothing is written).
    pub unstable: Vec<String>,
}

/// One unit of a sweep's work: one replication of one policy at one point.
/// Units are independent (each draws from its own streams), so any set of
/// them can run anywhere, in any order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Unit {
    pub point: usize,
    pub policy: usize,
    pub replication: u32,
}

/// What a unit leaves behind: enough for its rows, far less than its jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitResult {
    pub point: usize,
    pub policy: usize,
    pub replication: u32,
    pub events: u64,
    pub totals: ReplicationTotals,
    /// Replication 0 only: the closed forms of the (point, policy)'s rows,
    /// worked out where the unit ran (they can cost more than the unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theory: Option<Vec<Option<StoredPrediction>>>,
    /// Where the replication stopped with too many jobs present. Never
    /// stored: a sweep or shard with such a unit fails instead of writing.
    #[serde(skip)]
    pub unstable: Option<Unstable>,
}

impl UnitResult {
    /// Why this unit's replication stopped as unstable, for the error message.
    pub fn unstable_message(&self, points: &[Scenario], sweep: &Sweep) -> Option<String> {
        let u = self.unstable.as_ref()?;
        let run = experiment::RunUnstable {
            policy: points[self.point].policies[self.policy].label(),
            replication: self.replication,
            unstable: u.clone(),
        };
        Some(format!(
            "{} = {}: {run}",
            sweep.name, sweep.values[self.point]
        ))
    }
}

/// A closed form as a shard stores it: numbers as their bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredPrediction {
    pub formula: String,
    pub kind: Kind,
    pub mean_wait: u64,
    pub mean_response: u64,
    pub p_block: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<u64>,
}

impl From<&Prediction> for StoredPrediction {
    fn from(p: &Prediction) -> Self {
        StoredPrediction {
            formula: p.formula.clone(),
            kind: p.kind,
            mean_wait: p.mean_wait.to_bits(),
            mean_response: p.mean_response.to_bits(),
            p_block: p.p_block.map(f64::to_bits),
            throughput: p.throughput.map(f64::to_bits),
        }
    }
}

impl From<&StoredPrediction> for Prediction {
    fn from(p: &StoredPrediction) -> Self {
        Prediction {
            formula: p.formula.clone(),
            kind: p.kind,
            mean_wait: f64::from_bits(p.mean_wait),
            mean_response: f64::from_bits(p.mean_response),
            p_block: p.p_block.map(f64::from_bits),
            throughput: p.throughput.map(f64::from_bits),
        }
    }
}

impl UnitResult {
    /// Whether this unit's stored form rebuilds for `scenario` (the point's).
    pub fn check(&self, scenario: &Scenario) -> Result<(), TotalsError> {
        // Replication 0 carries the theory too; the others only their totals.
        if self.replication == 0 {
            aggregate(scenario, self.policy, &[self]).map(|_| ())
        } else {
            let decoded = Recorder::decode_class_totals(&self.totals)?;
            Recorder::from_class_totals(&self.totals, &decoded, experiment::resolution(scenario), 0)
                .map(|_| ())
        }
    }

    pub fn unit(&self) -> Unit {
        Unit {
            point: self.point,
            policy: self.policy,
            replication: self.replication,
        }
    }
}

/// The scenario of every point, in order.
/// Each point is held to the limits a run is (`crate::limits`): a swept
/// value can make a point far larger than the scenario it came from.
pub fn points(base: &Scenario, sweep: &Sweep) -> Result<Vec<Scenario>, FieldError> {
    (0..sweep.values.len())
        .map(|i| {
            let mut s = sweep.point(base, i)?;
            // A sweep reports steady-state rows only: no point records a timeline.
            s.output.timeline = None;
            crate::limits::check_scenario(&s).map_err(|e| FieldError {
                message: format!(
                    "at the sweep's {} = {}: {}",
                    sweep.name, sweep.values[i], e.message
                ),
                ..e
            })?;
            Ok(s)
        })
        .collect()
}

/// Every unit of a sweep, in the order its rows are assembled: point,
/// then policy, then replication.
pub fn units(points: &[Scenario]) -> Vec<Unit> {
    points
        .iter()
        .enumerate()
        .flat_map(|(point, s)| {
            (0..s.policies.len()).flat_map(move |policy| {
                (0..s.replications).map(move |replication| Unit {
                    point,
                    policy,
                    replication,
                })
            })
        })
        .collect()
}

/// Runs one unit.
pub fn run_unit(points: &[Scenario], unit: Unit) -> UnitResult {
    let scenario = &points[unit.point];
    let policy = &scenario.policies[unit.policy];
    let rep = experiment::run_replication(scenario, policy, unit.replication);
    UnitResult {
        point: unit.point,
        policy: unit.policy,
        replication: unit.replication,
        events: rep.info.events,
        unstable: rep.info.unstable.clone(),
        totals: rep.recorder.class_totals(),
        theory: (unit.replication == 0).then(|| {
            experiment::job_theory(scenario, policy)
                .iter()
                .map(|p| p.as_ref().map(StoredPrediction::from))
                .collect()
        }),
    }
}

/// The rows of one (point, policy) from its units' results, in
/// replication order, and the events they handled. This is the one place
/// a sweep's figures are computed, whether its units ran here or in shards.
pub fn aggregate(
    scenario: &Scenario,
    policy: usize,
    results: &[&UnitResult],
) -> Result<(Vec<Row>, u64), TotalsError> {
    let resolution = experiment::resolution(scenario);
    let decoded: Vec<Vec<Vec<u64>>> = results
        .iter()
        .map(|r| {
            if r.totals.classes.len() != scenario.classes.len() {
                return Err(TotalsError {
                    field: "totals.classes".into(),
                    message: format!(
                        "{} class(es) where the scenario has {}",
                        r.totals.classes.len(),
                        scenario.classes.len()
                    ),
                });
            }
            Recorder::decode_class_totals(&r.totals)
        })
        .collect::<Result<_, _>>()?;
    // One reach for every histogram of the pair, so that they add array to array.
    let top = decoded
        .iter()
        .flatten()
        .map(|pairs| totals::top(pairs))
        .max()
        .unwrap_or(0);
    let reps: Vec<ReplicationSummary> = results
        .iter()
        .zip(&decoded)
        .map(|(r, d)| {
            Ok(ReplicationSummary {
                recorder: Recorder::from_class_totals(&r.totals, d, resolution, top)?,
                info: RunInfo {
                    measure_start: 0.0,
                    end: 0.0,
                    events: r.events,
                    completed: 0,
                    deadlock: None,
                    unstable: None,
                },
                timeline: None,
                warmup_jobs: None,
            })
        })
        .collect::<Result<_, TotalsError>>()?;
    let events = results.iter().map(|r| r.events).sum();
    let rows = 1 + scenario.classes.len();
    let theory: Vec<Option<Prediction>> = match results.first().and_then(|r| r.theory.as_ref()) {
        Some(t) if t.len() == rows => t.iter().map(|p| p.as_ref().map(Prediction::from)).collect(),
        _ => {
            return Err(TotalsError {
                field: "theory".into(),
                message: format!("replication 0 must carry the closed forms of its {rows} row(s)"),
            });
        }
    };
    Ok((
        experiment::job_rows(scenario, &scenario.policies[policy], &reps, theory),
        events,
    ))
}

/// Puts the rows of every (point, policy), in that order, into a sweep's output.
pub fn assemble(sweep: &Sweep, points: &[Scenario], groups: Vec<(Vec<Row>, u64)>) -> SweepOutput {
    let n_policies = points.first().map_or(0, |s| s.policies.len());
    let mut out: Vec<SweepPoint> = points
        .iter()
        .zip(&sweep.values)
        .map(|(s, &value)| SweepPoint {
            value,
            load: s.total_load(),
            rows: Vec::new(),
        })
        .collect();
    let mut events = 0;
    for (i, (rows, e)) in groups.into_iter().enumerate() {
        out[i / n_policies.max(1)].rows.extend(rows);
        events += e;
    }
    let mut warnings: Vec<String> = Vec::new();
    for (s, v) in points.iter().zip(&sweep.values) {
        for w in s.warnings() {
            warnings.push(format!("{} = {v}: {w}", sweep.name));
        }
    }
    SweepOutput {
        param: sweep.name.clone(),
        points: out,
        events,
        warnings,
        unstable: Vec::new(),
    }
}

/// Runs every (point, policy) pair, replications in parallel within each,
/// and calls `tick` after each replication (for a progress bar). Each
/// pair's units are run, kept in their stored form and aggregated as a
/// merge of shards aggregates them, so memory holds a few pairs' results,
/// not the whole sweep's.
pub fn run(
    base: &Scenario,
    sweep: &Sweep,
    tick: &(dyn Fn() + Sync),
) -> Result<SweepOutput, FieldError> {
    let scenarios = points(base, sweep)?;
    let n_policies = base.policies.len();
    let pairs: Vec<(usize, usize)> = (0..scenarios.len())
        .flat_map(|p| (0..n_policies).map(move |k| (p, k)))
        .collect();
    let unstable = std::sync::Mutex::new(Vec::new());
    let groups: Vec<(Vec<Row>, u64)> = pairs
        .par_iter()
        .map(|&(point, policy)| {
            let results: Vec<UnitResult> = (0..scenarios[point].replications)
                .into_par_iter()
                .map(|replication| {
                    let r = run_unit(
                        &scenarios,
                        Unit {
                            point,
                            policy,
                            replication,
                        },
                    );
                    tick();
                    r
                })
                .collect();
            let stopped = results
                .iter()
                .filter_map(|r| r.unstable_message(&scenarios, sweep));
            unstable
                .lock()
                .expect("no thread panics holding it")
                .extend(stopped.map(|m| ((point, policy), m)));
            let refs: Vec<&UnitResult> = results.iter().collect();
            aggregate(&scenarios[point], policy, &refs)
                .expect("totals taken in this process rebuild")
        })
        .collect();
    let mut out = assemble(sweep, &scenarios, groups);
    let mut stopped = unstable.into_inner().expect("no thread panics holding it");
    // In the sweep's order, whatever order the pairs finished in.
    stopped.sort_by_key(|(pair, _)| *pair);
    out.unstable = stopped.into_iter().map(|(_, m)| m).collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const TWO_NODES: &str = r#"
name = "t"
horizon = { jobs = 10 }
[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 0.6 }
service = { dist = "hyperexponential", mean = 1.0, scv = 4.0 }
[[classes]]
name = "b"
arrival = { dist = "gamma", mean = 5.0, scv = 0.5 }
service = { dist = "lognormal", mean = 3.0, scv = 2.0 }
[[nodes]]
name = "small"
servers = 1
[[nodes]]
name = "big"
servers = 2
speed = 2.0
[dispatch]
rule = "sita"
cutoffs = [2.0]
"#;

    fn scenario() -> Scenario {
        Scenario::from_toml(TWO_NODES, Path::new("t.toml")).unwrap()
    }

    fn point(param: &str, v: f64) -> Result<Scenario, FieldError> {
        let s = scenario();
        let sweep = Sweep::new(&s, param, &Values::List(vec![v]), "p", "v")?;
        sweep.point(&s, 0)
    }

    #[test]
    fn each_parameter_moves_what_it_names_and_keeps_shapes() {
        let base = scenario();
        // Offered load: (0.6 * 1 + 0.2 * 3) / (1 + 2 * 2) = 0.24.
        assert!((base.total_load() - 0.24).abs() < 1e-12);
        let s = point("load", 0.6).unwrap();
        assert!((s.total_load() - 0.6).abs() < 1e-12);
        assert!(
            (s.arrival_rate(0) / s.arrival_rate(1) - 3.0).abs() < 1e-9,
            "mix kept"
        );
        assert!(
            (s.classes[1].arrival.renewal().unwrap().scv()
                - base.classes[1].arrival.renewal().unwrap().scv())
            .abs()
                < 1e-12
        );
        let s = point("arrival.rate", 1.6).unwrap();
        assert!((s.arrival_rate(0) - 1.2).abs() < 1e-9 && (s.arrival_rate(1) - 0.4).abs() < 1e-9);
        let s = point("classes.b.arrival.rate", 0.5).unwrap();
        assert!((s.arrival_rate(1) - 0.5).abs() < 1e-9 && (s.arrival_rate(0) - 0.6).abs() < 1e-9);
        // Arrival-weighted mean size: (0.6 * 1 + 0.2 * 3) / 0.8 = 1.5; doubled.
        let s = point("service.mean", 3.0).unwrap();
        assert!((s.classes[0].service.mean() - 2.0).abs() < 1e-9);
        assert!((s.classes[1].service.mean() - 6.0).abs() < 1e-9);
        assert!((s.classes[1].service.scv() - 2.0).abs() < 1e-9);
        let s = point("classes.a.service.mean", 0.5).unwrap();
        assert!((s.classes[0].service.mean() - 0.5).abs() < 1e-12);
        assert!((s.classes[0].service.scv() - 4.0).abs() < 1e-9);
        assert_eq!(point("nodes.big.servers", 5.0).unwrap().nodes[1].servers, 5);
        assert_eq!(point("nodes.small.speed", 3.0).unwrap().nodes[0].speed, 3.0);
        let s = point("dispatch.cutoffs[0]", 4.0).unwrap();
        assert_eq!(s.dispatch, Some(Rule::Sita { cutoffs: vec![4.0] }));
        assert_ne!(s.seed, base.seed, "each point draws its own numbers");
    }

    #[test]
    fn parameters_that_do_not_fit_the_scenario_are_refused() {
        let e = point("servers", 2.0).unwrap_err();
        assert!(e.message.contains("2 nodes"), "{e}");
        let e = point("nodes.huge.servers", 2.0).unwrap_err();
        assert!(e.message.contains("small, big"), "{e}");
        let e = point("dispatch.cutoffs[1]", 2.0).unwrap_err();
        assert!(e.message.contains("1 cutoff"), "{e}");
        let e = point("quantum", 2.0).unwrap_err();
        assert!(e.message.contains("quantum"), "{e}");
        let e = point("nodes.big.servers", 0.0).unwrap_err();
        assert!(e.message.contains("whole numbers"), "{e}");
        let e = point("load", f64::INFINITY).unwrap_err();
        assert!(e.message.contains("finite"), "{e}");
    }

    #[test]
    fn ranges_count_steps_without_drift() {
        let v = parse_values("0.1:0.9:0.1", "--values").unwrap();
        assert_eq!(v.len(), 9);
        assert!((v[8] - 0.9).abs() < 1e-12);
        assert_eq!(
            parse_values("1,2, 4", "--values").unwrap(),
            vec![1.0, 2.0, 4.0]
        );
        assert_eq!(parse_values("2:2:1", "--values").unwrap(), vec![2.0]);
        for bad in [
            "0.9:0.1:0.1",
            "0:1:0",
            "a:b:c",
            "1:2",
            "",
            "1,x",
            "0:1:1e-9",
        ] {
            assert!(parse_values(bad, "--values").is_err(), "{bad}");
        }
    }
}
