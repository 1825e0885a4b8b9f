//! An experiment: a scenario's replications, run in parallel, and the rows
//! that summarise them.
//!
//! Replication `r` draws from streams derived from (seed, r, class,
//! purpose) and the rows are assembled in replication order, so the output
//! is bit-identical whatever the number of threads.

use rayon::prelude::*;

use crate::engine::Simulation;
use crate::model::Scenario;
use crate::policy::AnyPolicy;
use crate::stats::{Recorder, ReplicationSummary, RowStats, Selection, summarize};
use crate::workload::SampledWorkload;

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
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub rows: Vec<Row>,
    /// Events handled over all replications.
    pub events: u64,
}

/// The histogram resolution for a scenario.
fn resolution(scenario: &Scenario) -> f64 {
    let shortest = scenario
        .classes
        .iter()
        .map(|c| c.service.mean() / scenario.nodes[c.node].speed)
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
    let recorder = Recorder::new(
        scenario.classes.len(),
        scenario.nodes.len(),
        resolution(scenario),
    );
    let mut sim = Simulation::new(scenario, workload, policy, recorder);
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
pub fn rows(scenario: &Scenario, policy: &str, reps: &[ReplicationSummary]) -> Vec<Row> {
    let mut selections = vec![(Selection::All, "all".to_string(), "all".to_string())];
    for (k, c) in scenario.classes.iter().enumerate() {
        selections.push((Selection::Class(k), c.name.clone(), "all".into()));
    }
    for (j, n) in scenario.nodes.iter().enumerate() {
        selections.push((Selection::Node(j), "all".into(), n.name.clone()));
    }
    selections
        .into_iter()
        .map(|(selection, class, node)| Row {
            policy: policy.to_string(),
            class,
            node,
            selection,
            stats: summarize(scenario, reps, selection),
        })
        .collect()
}

/// Runs the scenario under its policy.
pub fn run(scenario: &Scenario) -> RunOutput {
    let reps = run_replications(scenario, &scenario.policy);
    RunOutput {
        rows: rows(scenario, &scenario.policy.label(), &reps),
        events: reps.iter().map(|r| r.info.events).sum(),
    }
}
