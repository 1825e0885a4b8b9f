//! An experiment: a scenario's replications, run in parallel, and the rows
//! that summarise them.
//!
//! Replication `r` draws from streams derived from (seed, r, class,
//! purpose) and the rows are assembled in replication order, so the output
//! is bit-identical whatever the number of threads.

use rayon::prelude::*;

use crate::dispatch::{Dispatcher, Rule};
use crate::engine::Simulation;
use crate::model::Scenario;
use crate::policy::AnyPolicy;
use crate::stats::{Estimate, Recorder, ReplicationSummary, RowStats, Selection, summarize};
use crate::theory::{self, Prediction};
use crate::workload::{Purpose, SampledWorkload, stream_rng};

/// The "class" part of the dispatcher's stream seed: no real class has it.
const DISPATCH_STREAM: u32 = u32::MAX;

/// Quantiles resolve response times to this fraction of the shortest mean
/// time in service.
const RESOLUTION_FRACTION: f64 = 1e-4;

/// One result row: which jobs, under which policy, and their figures.
#[derive(Debug, Clone)]
pub struct Row {
    pub policy: String,
    pub class: String,
    pub node: String,
    pub selection: Selection,
    pub stats: RowStats,
    /// The closed form for this row, where one applies.
    pub theory: Option<Prediction>,
}

/// A policy against the baseline on the same jobs: the difference of
/// overall mean response times, replication by replication (common random
/// numbers make the pairs positively correlated, hence a narrow interval).
#[derive(Debug, Clone)]
pub struct PairedDifference {
    pub policy: String,
    pub baseline: String,
    /// Mean over replications of (policy − baseline) mean response, with its 95% CI.
    pub diff_mean_response: Estimate,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// For each policy in order: the all/all row, then per class, then per node.
    pub rows: Vec<Row>,
    /// Each policy after the first against the first.
    pub paired: Vec<PairedDifference>,
    /// Events handled over all replications.
    pub events: u64,
}

/// The histogram resolution for a scenario.
fn resolution(scenario: &Scenario) -> f64 {
    let shortest = scenario
        .classes
        .iter()
        .map(|c| {
            let speed = match c.node {
                Some(j) => scenario.nodes[j].speed,
                None => scenario.nodes.iter().map(|n| n.speed).fold(0.0, f64::max),
            };
            c.service.mean() / speed
        })
        .fold(f64::INFINITY, f64::min);
    shortest * RESOLUTION_FRACTION
}

/// Runs replication `replication` of `scenario` under `policy`.
pub fn run_replication(
    scenario: &Scenario,
    policy: &AnyPolicy,
    replication: u32,
) -> ReplicationSummary {
    let workload = SampledWorkload::new(scenario, replication);
    let pull = scenario.dispatch == Some(Rule::Pull);
    let columns = scenario.nodes.len() + usize::from(pull);
    let recorder = Recorder::new(scenario.classes.len(), columns, resolution(scenario));
    let dispatcher = scenario.dispatch.clone().map(|rule| {
        Dispatcher::new(
            rule,
            stream_rng(
                scenario.seed,
                replication,
                DISPATCH_STREAM,
                Purpose::Dispatch,
            ),
        )
    });
    let mut sim = Simulation::new(scenario, workload, policy, dispatcher, recorder);
    let info = sim.run(scenario.warmup, scenario.horizon);
    ReplicationSummary {
        recorder: sim.into_observer(),
        info,
    }
}

/// Runs every replication (in parallel on the current rayon pool).
pub fn run_replications(scenario: &Scenario, policy: &AnyPolicy) -> Vec<ReplicationSummary> {
    (0..scenario.replications)
        .into_par_iter()
        .map(|r| run_replication(scenario, policy, r))
        .collect()
}

/// The rows of a run: all jobs, then each class, then each node.
/// The rows every run reports, with their class and node names: all
/// jobs, then each class, then each node.
pub fn selections(scenario: &Scenario) -> Vec<(Selection, String, String)> {
    let mut selections = vec![(Selection::All, "all".to_string(), "all".to_string())];
    for (k, c) in scenario.classes.iter().enumerate() {
        selections.push((Selection::Class(k), c.name.clone(), "all".into()));
    }
    for (j, n) in scenario.nodes.iter().enumerate() {
        selections.push((Selection::Node(j), "all".into(), n.name.clone()));
    }
    selections
}

pub fn rows(scenario: &Scenario, policy: &AnyPolicy, reps: &[ReplicationSummary]) -> Vec<Row> {
    selections(scenario)
        .into_iter()
        .map(|(selection, class, node)| Row {
            policy: policy.label(),
            class,
            node,
            selection,
            stats: summarize(scenario, reps, selection),
            theory: theory::predict(scenario, policy, selection),
        })
        .collect()
}

/// Runs the scenario under each of its policies, on the same jobs.
pub fn run(scenario: &Scenario) -> RunOutput {
    let n_reps = scenario.replications as usize;
    let n_policies = scenario.policies.len();
    // One flat parallel loop over (policy, replication) balances the cores
    // better than policies one after the other.
    let mut all: Vec<ReplicationSummary> = (0..n_policies * n_reps)
        .into_par_iter()
        .map(|i| {
            run_replication(
                scenario,
                &scenario.policies[i / n_reps],
                (i % n_reps) as u32,
            )
        })
        .collect();
    let mut per_policy = Vec::new();
    for _ in 0..n_policies {
        let rest = all.split_off(n_reps);
        per_policy.push(std::mem::replace(&mut all, rest));
    }
    let labels: Vec<String> = scenario.policies.iter().map(|p| p.label()).collect();
    let mean_responses: Vec<Vec<f64>> = per_policy
        .iter()
        .map(|reps| {
            reps.iter()
                .map(|r| r.recorder.overall_mean_response())
                .collect()
        })
        .collect();
    let paired = (1..n_policies)
        .map(|p| {
            let diffs: Vec<f64> = mean_responses[p]
                .iter()
                .zip(&mean_responses[0])
                .map(|(a, b)| a - b)
                .collect();
            PairedDifference {
                policy: labels[p].clone(),
                baseline: labels[0].clone(),
                diff_mean_response: Estimate::from_values(&diffs),
            }
        })
        .collect();
    RunOutput {
        rows: per_policy
            .iter()
            .zip(&scenario.policies)
            .flat_map(|(reps, policy)| rows(scenario, policy, reps))
            .collect(),
        paired,
        events: per_policy.iter().flatten().map(|r| r.info.events).sum(),
    }
}
