//! Fuzz targets: each reader of user input, fed arbitrary bytes. The
//! driver (`cargo run --release --example fuzz -- --seconds 60`) mutates
//! the bundled inputs and the corpus and calls these; `tests/corpus.rs`
//! replays every input kept in `tests/corpus/TARGET/`. A target must
//! return (an error is fine) without panicking, quickly.

use std::path::Path;

use crate::model::Scenario;
use crate::report::files::{self, CdfRecord, HistogramRecord, PathRecord, RunData, SweepRecord};

/// The targets, by name (also the corpus directories).
pub const TARGETS: [&str; 5] = ["scenario", "jobs", "optimize", "results", "workflow"];

/// Runs target `name` on `data`; `Err` carries the input's error message
/// (a refusal, which is fine). Panics on an unknown target.
pub fn run(name: &str, data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    match name {
        "scenario" => scenario(&text),
        "jobs" => jobs(&text),
        "optimize" => optimize(&text),
        "results" => results(&text),
        "workflow" => workflow(&text),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// Scenario parsing, validation, the limits and what a run computes
/// before simulating (loads, warnings, visit rates).
pub fn scenario(text: &str) -> Result<(), String> {
    let s = Scenario::from_toml(text, Path::new("fuzz.toml")).map_err(|e| e.to_string())?;
    crate::limits::check_scenario(&s).map_err(|e| e.to_string())?;
    let _ = s.warnings();
    let _ = s.visit_rates(None);
    for j in 0..s.nodes.len().min(64) {
        let _ = s.offered_load(j);
    }
    Ok(())
}

/// The workflow readers (WfFormat JSON, else STG) and, for graphs of a
/// bounded size, every list heuristic on four nodes, each plan checked
/// for precedence, transfers and overlaps.
pub fn workflow(text: &str) -> Result<(), String> {
    use crate::workflow::{POLICIES, Platform, schedule};
    let dag = if text.trim_start().starts_with('{') {
        crate::model::wfformat::parse(text, "fuzz")
            .map_err(|e| e.to_string())?
            .dag
    } else {
        crate::model::stg::parse(text, "fuzz").map_err(|e| e.to_string())?
    };
    if dag.len() > 2000 {
        return Ok(());
    }
    let nodes: Vec<(String, f64, u32)> = (0..4)
        .map(|i| (format!("n{i}"), 1.0 + f64::from(i), 1))
        .collect();
    let platform = Platform::new(&nodes).map_err(|e| e.to_string())?;
    for policy in POLICIES {
        let plan = schedule(&dag, &platform, policy, 1);
        if let Err(e) = plan.verify(&dag, &platform) {
            panic!("an invalid {policy:?} plan for a valid graph: {e}");
        }
    }
    Ok(())
}

/// The job-list readers (CSV and TOML) and, for small lists, a schedule.
pub fn jobs(text: &str) -> Result<(), String> {
    let csv = crate::teaching::parse_jobs(text);
    let toml = crate::teaching::parse_toml_jobs(text);
    let mut first_error = None;
    let mut parsed = false;
    for tasks in [csv, toml] {
        let tasks = match tasks {
            Ok(t) => t,
            Err(e) => {
                first_error.get_or_insert(e.to_string());
                continue;
            }
        };
        parsed = true;
        if tasks.len() <= 50 {
            for policy in ["fcfs", "srtf", "rr"] {
                let options = crate::teaching::Options {
                    policy: policy.into(),
                    quantum: (policy == "rr").then_some(1.0),
                    ..Default::default()
                };
                let _ = crate::teaching::schedule(&tasks, &options);
            }
        }
    }
    match (parsed, first_error) {
        (false, Some(e)) => Err(e),
        _ => Ok(()),
    }
}

/// The optimize job-list reader, then the makespan LP of a small list.
pub fn optimize(text: &str) -> Result<(), String> {
    use crate::optimize::makespan::{self, Instance};
    let list = crate::optimize::input::parse_job_list(text).map_err(|e| e.to_string())?;
    // The makespan LP of a small list, on the speeds `--speeds` allows at
    // its ends (sizes 1e300 over a speed of 1e-100 made the solver panic).
    if list.jobs.len() <= 8 {
        let release: Vec<f64> = list.jobs.iter().map(|j| j.release).collect();
        let instances: Vec<Result<Instance, _>> = if list.unrelated() {
            let p = list.jobs.iter().map(|j| j.times.clone()).collect();
            vec![Instance::unrelated(p, &release)]
        } else {
            let sizes: Vec<f64> = list.jobs.iter().map(|j| j.size).collect();
            [&[1.0][..], &[1.0, 1e-100], &[1e100, 1.0]]
                .iter()
                .map(|speeds| Instance::uniform(&sizes, speeds, &release))
                .collect()
        };
        for inst in instances.into_iter().flatten() {
            let _ = makespan::lp_bound(&inst);
        }
    }
    Ok(())
}

/// The results-tree readers `schedlab plot` uses: the same text as each
/// file of a tree.
pub fn results(text: &str) -> Result<(), String> {
    let dir = Path::new("fuzz");
    let mut first = None;
    let mut note = |r: Result<(), String>| {
        if let Err(e) = r
            && first.is_none()
        {
            first = Some(e);
        }
    };
    note(
        RunData::parse("fuzz", dir, text, None, None, None, None)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    note(
        files::from_csv::<SweepRecord>(text, &dir.join(files::SWEEP))
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    note(
        files::from_csv::<CdfRecord>(text, &dir.join(files::CDF))
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    note(
        files::from_csv::<HistogramRecord>(text, &dir.join(files::HISTOGRAM))
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    note(
        files::from_csv::<PathRecord>(text, &dir.join(files::SAMPLE_PATH))
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    match first {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
