//! `schedlab optimize ...`: optimal bounds and every policy's gap to them.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use crate::app::flag;
use crate::cli::{
    BatchArgs, FlowArgs, MakespanArgs, MdpArgs, OptimizeCommand, SequenceArgs, SimArgs, SplitArgs,
};
use crate::dispatch::Rule;
use crate::error::{FieldError, InputError};
use crate::optimize::completion;
use crate::optimize::makespan::{self, Instance, ListRun};
use crate::optimize::mdp;
use crate::optimize::sequencing::{self, SeqJob};
use crate::optimize::split::{self, SimPlan};
use crate::optimize::{JobList, read_job_list};
use crate::report::plot;
use crate::stats::Estimate;
use crate::teaching;

pub fn run(command: &OptimizeCommand) -> anyhow::Result<()> {
    match command {
        OptimizeCommand::Makespan(args) => run_makespan(args),
        OptimizeCommand::Completion(args) => run_completion(args),
        OptimizeCommand::Sequence(args) => run_sequence(args),
        OptimizeCommand::Split(args) => run_split(args),
        OptimizeCommand::Flow(args) => run_flow(args),
        OptimizeCommand::Mdp(args) => run_mdp(args),
    }
}

/// A number as a table shows it: up to 4 decimals, no trailing zeros;
/// outside [1e-4, 1e15) in magnitude, or not finite (`-`), as every table
/// prints figures ([`crate::report::sig`]).
fn fmt(x: f64) -> String {
    fmt_to(x, 4)
}

/// [`fmt`] with up to `decimals` decimals ([`crate::report::trimmed`]).
fn fmt_to(x: f64, decimals: usize) -> String {
    crate::report::trimmed(x, decimals)
}

/// What an `optimize` subcommand found, computed once and then printed in
/// the form asked for: every subcommand's report renders through this one
/// pair, so `--json` means the same thing everywhere.
trait Rendered {
    fn json(&self) -> Value;
    fn table(&self) -> String;
}

/// Prints `report` as JSON or as its table.
fn emit(report: &impl Rendered, json: bool) -> anyhow::Result<()> {
    if json {
        crate::api::emit_json(&report.json(), true)?;
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// Refuses a batch whose nodes or LP (jobs × nodes assignment variables)
/// exceed the limits, before anything of that size is built.
fn check_batch_size(args: &BatchArgs, jobs: usize) -> anyhow::Result<()> {
    let nodes = args.nodes.map_or(0, |n| n as usize).max(args.speeds.len());
    let field = if args.nodes.is_some() {
        "--nodes"
    } else {
        "--speeds"
    };
    crate::limits::check(
        field,
        nodes as f64,
        crate::limits::MAX_NODES as f64,
        "the number of nodes",
    )
    .map_err(InputError::Flag)?;
    crate::limits::check_estimate(
        field,
        nodes,
        jobs as f64 * nodes as f64,
        crate::limits::MAX_LP_VARIABLES,
        &format!("assignment variables ({jobs} jobs × nodes)"),
    )
    .map_err(InputError::Flag)?;
    Ok(())
}

fn file_error(path: &Path, error: FieldError) -> anyhow::Error {
    InputError::Field {
        path: path.to_path_buf(),
        error,
    }
    .into()
}

/// Seconds from `10`, `10s`, `1.5s`, `2m`.
fn parse_duration(text: &str) -> Result<f64, FieldError> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(|v| v * scale)
        .ok_or_else(|| {
            FieldError::new(
                "--time-limit",
                text,
                "must be a positive duration such as 10, 10s, 500ms or 2m",
            )
        })
}

/// The instance the flags and the job list describe.
fn instance(args: &BatchArgs, list: &JobList) -> Result<Instance, anyhow::Error> {
    let release: Vec<f64> = list.jobs.iter().map(|j| j.release).collect();
    if list.unrelated() {
        let m = list.node_names.len();
        if !args.speeds.is_empty() {
            return Err(flag(
                "--speeds",
                "(given)",
                "the job list gives a time per node (t_ columns); speeds do not apply",
            ));
        }
        if let Some(n) = args.nodes
            && n as usize != m
        {
            return Err(flag(
                "--nodes",
                n,
                &format!("the job list has {m} per-node columns"),
            ));
        }
        let p = list.jobs.iter().map(|j| j.times.clone()).collect();
        return Instance::unrelated(p, &release).map_err(|e| file_error(&args.jobs, e));
    }
    let speeds = match (args.nodes, args.speeds.is_empty()) {
        (None, true) => {
            return Err(flag(
                "--nodes",
                "(missing)",
                "give --nodes N or --speeds S1,S2,...",
            ));
        }
        (Some(0), _) => return Err(flag("--nodes", 0, "needs at least 1 node")),
        (Some(n), true) => vec![1.0; n as usize],
        (Some(n), false) if n as usize != args.speeds.len() => {
            return Err(flag(
                "--nodes",
                n,
                &format!("--speeds gives {} speeds", args.speeds.len()),
            ));
        }
        (_, false) => args.speeds.clone(),
    };
    let sizes: Vec<f64> = list.jobs.iter().map(|j| j.size).collect();
    Instance::uniform(&sizes, &speeds, &release).map_err(|e| InputError::Flag(e).into())
}

/// What `optimize makespan` found, computed once and then printed as a
/// table ([`MakespanReport::table`]) or JSON ([`MakespanReport::json`]).
struct MakespanReport {
    inst: Instance,
    /// Job ids, in the file's order.
    ids: Vec<String>,
    /// Node names: the CSV's `t_NAME` columns (unrelated nodes), else
    /// `n0`, `n1`, ... in the order of --speeds.
    node_names: Vec<String>,
    runs: Vec<ListRun>,
    lp: f64,
    grid: Option<u32>,
    bound: f64,
    lp_seconds: f64,
    milp: makespan::MilpOutcome,
    limit: f64,
}

impl MakespanReport {
    /// What the heuristics are compared with: the optimum when proven,
    /// else the lower bound.
    fn reference(&self) -> f64 {
        if self.milp.proven_optimal {
            self.milp.makespan
        } else {
            self.bound
        }
    }

    fn gap(&self) -> f64 {
        (self.milp.makespan - self.bound) / self.milp.makespan
    }
}

impl Rendered for MakespanReport {
    fn json(&self) -> Value {
        let inst = &self.inst;
        let milp = &self.milp;
        let reference = self.reference();
        json!({
            "problem": "makespan",
            "jobs": inst.jobs(),
            "nodes": inst.nodes(),
            "node_names": self.node_names,
            "speeds": inst.uniform.as_ref().map(|(_, s)| s.clone()),
            "unrelated": inst.uniform.is_none(),
            "milp": {
                "makespan": milp.makespan,
                "proven_optimal": milp.proven_optimal,
                "seconds": milp.seconds,
                "time_limit": self.limit,
                "assignment": self.ids.iter().zip(&milp.assignment)
                    .map(|(id, &i)| json!({"id": id, "node": self.node_names[i], "node_index": i}))
                    .collect::<Vec<_>>(),
            },
            "lp_bound": self.lp,
            "lower_bound": self.bound,
            "lp_seconds": self.lp_seconds,
            "gap_to_lower_bound": self.gap(),
            "heuristics_computed": if inst.uniform.is_some() { "engine" } else { "direct" },
            "heuristics": self.runs.iter().map(|r| json!({
                "name": r.name,
                "makespan": r.makespan(),
                "ratio": r.makespan() / reference,
            })).collect::<Vec<_>>(),
        })
    }
    fn table(&self) -> String {
        let (inst, milp) = (&self.inst, &self.milp);
        let mut out = String::new();
        let nodes = match &inst.uniform {
            Some((_, speeds)) => format!(
                "{} nodes, speeds {}",
                speeds.len(),
                speeds
                    .iter()
                    .map(|s| fmt(*s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!(
                "{} unrelated nodes {}",
                inst.nodes(),
                self.node_names.join(", ")
            ),
        };
        let _ = writeln!(out, "makespan: {} jobs on {nodes}\n", inst.jobs());
        if milp.proven_optimal {
            let _ = writeln!(
                out,
                "optimum (MILP)   {:>10}   proven optimal in {:.3} s",
                fmt(milp.makespan),
                milp.seconds
            );
        } else {
            let _ = writeln!(
                out,
                "best found (MILP) {:>9}   not proven: time limit {} s reached",
                fmt(milp.makespan),
                fmt(self.limit)
            );
        }
        let _ = writeln!(
            out,
            "LP bound         {:>10}   ({:.3} s)",
            fmt(self.lp),
            self.lp_seconds
        );
        if self.bound != self.lp {
            let _ = writeln!(
                out,
                "lower bound      {:>10}   LP bound rounded up to a multiple of 1/{}, as every makespan is",
                fmt(self.bound),
                self.grid.unwrap_or(1)
            );
        }
        let _ = writeln!(out, "gap to the bound {:>9.2}%", 100.0 * self.gap());
        // The assignment, node by node: when it finishes, its jobs.
        let _ = writeln!(
            out,
            "\n{} assignment (node, when it finishes, its jobs in the order they run)",
            if milp.proven_optimal {
                "optimal"
            } else {
                "best found"
            }
        );
        let width = self
            .node_names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0);
        let ends = makespan::node_ends(inst, &milp.assignment);
        let order = makespan::run_order(inst);
        for (i, name) in self.node_names.iter().enumerate() {
            let jobs: Vec<&str> = order
                .iter()
                .filter(|&&j| milp.assignment[j] == i)
                .map(|&j| self.ids[j].as_str())
                .collect();
            let busy = ends[i];
            let _ = writeln!(
                out,
                "  {name:<width$}  {:>10}  {}",
                fmt(busy),
                if jobs.is_empty() {
                    "-".to_string()
                } else {
                    jobs.join(" ")
                }
            );
        }
        let against = if milp.proven_optimal {
            "optimum"
        } else {
            "bound"
        };
        let _ = writeln!(
            out,
            "\n{:<12}  {:>10}  {:>9}",
            "heuristic",
            "makespan",
            format!("/ {against}")
        );
        let reference = self.reference();
        for r in &self.runs {
            let _ = writeln!(
                out,
                "{:<12}  {:>10}  {:>9.4}",
                r.name,
                fmt(r.makespan()),
                r.makespan() / reference
            );
        }
        if inst.uniform.is_none() {
            let _ = writeln!(
                out,
                "(unrelated nodes: list schedules computed directly, as the engine models uniform speeds)"
            );
        }
        out
    }
}

/// Solves `optimize makespan`: the heuristics, the LP bound, the MILP.
fn makespan_report(args: &MakespanArgs) -> anyhow::Result<MakespanReport> {
    let limit = parse_duration(&args.time_limit).map_err(InputError::Flag)?;
    let batch = &args.batch;
    let list = read_job_list(&batch.jobs)?;
    check_batch_size(batch, list.jobs.len())?;
    let inst = instance(batch, &list)?;
    let runs: Vec<ListRun> = match &inst.uniform {
        Some((sizes, speeds)) => {
            makespan::list_heuristics(sizes, speeds, &inst.release, batch.seed)
                .map_err(InputError::Flag)?
        }
        None => makespan::unrelated_heuristics(&inst, batch.seed),
    };
    let incumbent = runs
        .iter()
        .min_by(|a, b| a.makespan().total_cmp(&b.makespan()))
        .map(|r| r.node.clone())
        .expect("five heuristics");
    let started = Instant::now();
    let lp = makespan::lp_bound(&inst).map_err(|e| anyhow::anyhow!("LP relaxation: {e}"))?;
    let grid = makespan::granularity(&inst);
    let bound = makespan::round_up(lp, grid);
    let lp_seconds = started.elapsed().as_secs_f64();
    let milp = makespan::solve_milp(&inst, limit, Some(&incumbent), Some(bound))
        .map_err(|e| anyhow::anyhow!("MILP: {e}"))?;
    let node_names = if list.unrelated() {
        list.node_names.clone()
    } else {
        (0..inst.nodes()).map(|i| format!("n{i}")).collect()
    };
    Ok(MakespanReport {
        ids: list.jobs.iter().map(|j| j.id.clone()).collect(),
        node_names,
        inst,
        runs,
        lp,
        grid,
        bound,
        lp_seconds,
        milp,
        limit,
    })
}

fn run_makespan(args: &MakespanArgs) -> anyhow::Result<()> {
    let report = makespan_report(args)?;
    emit(&report, args.batch.json)
}

/// What `optimize completion` found, computed once and then printed as a
/// table ([`CompletionReport::table`]) or JSON ([`CompletionReport::json`]).
struct CompletionReport {
    jobs: usize,
    nodes: usize,
    /// Job ids, in the file's order.
    ids: Vec<String>,
    /// The least Σ C_j and each node's jobs in the order they run.
    plan: completion::CompletionPlan,
    /// Time the assignment LP took.
    seconds: f64,
    /// SPT and SRPT through the engine; none on unrelated nodes, which the
    /// engine cannot model.
    runs: Vec<ListRun>,
}

impl CompletionReport {
    /// Each node's job ids, in the order they run.
    fn sequences(&self) -> Vec<Vec<&str>> {
        self.plan
            .sequences
            .iter()
            .map(|s| s.iter().map(|&j| self.ids[j].as_str()).collect())
            .collect()
    }
}

impl Rendered for CompletionReport {
    fn json(&self) -> Value {
        let total = self.plan.total;
        json!({
            "problem": "total-completion",
            "jobs": self.jobs,
            "nodes": self.nodes,
            "optimum": total,
            "seconds": self.seconds,
            "sequences": self.sequences(),
            "heuristics": self.runs.iter().map(|r| json!({
                "name": r.name,
                "total_completion": r.total_completion(),
                "ratio": r.total_completion() / total,
            })).collect::<Vec<_>>(),
        })
    }
    fn table(&self) -> String {
        let total = self.plan.total;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "total completion time: {} jobs on {} nodes\n",
            self.jobs, self.nodes
        );
        let _ = writeln!(
            out,
            "optimum (assignment LP)  Σ C_j = {}   ({:.3} s)",
            fmt(total),
            self.seconds
        );
        for (i, names) in self.sequences().iter().enumerate() {
            let _ = writeln!(out, "  node {i}: {}", names.join(" "));
        }
        if self.runs.is_empty() {
            let _ = writeln!(
                out,
                "\nSPT and SRPT need uniform nodes (the engine models speeds, not per-node times)"
            );
        } else {
            let _ = writeln!(
                out,
                "\n{:<8}  {:>10}  {:>10}",
                "policy", "Σ C_j", "/ optimum"
            );
            for r in &self.runs {
                let _ = writeln!(
                    out,
                    "{:<8}  {:>10}  {:>10.4}",
                    r.name,
                    fmt(r.total_completion()),
                    r.total_completion() / total
                );
            }
        }
        out
    }
}

/// Solves `optimize completion`: the assignment LP, then SPT and SRPT.
fn completion_report(args: &BatchArgs) -> anyhow::Result<CompletionReport> {
    let list = read_job_list(&args.jobs)?;
    check_batch_size(args, list.jobs.len())?;
    if let Some((k, j)) = list.jobs.iter().enumerate().find(|(_, j)| j.release != 0.0) {
        return Err(file_error(
            &args.jobs,
            FieldError::new(
                format!("job {} (line {}), release", j.id, k + 2),
                j.release.to_string(),
                "total completion time is solved exactly only with every job released at 0",
            ),
        ));
    }
    let inst = instance(args, &list)?;
    let started = Instant::now();
    let plan = completion::min_total_completion(&inst.p)
        .map_err(|e| anyhow::anyhow!("assignment LP: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let runs: Vec<ListRun> = match &inst.uniform {
        Some((sizes, speeds)) => {
            let spt_order = makespan::list_order(sizes);
            vec![
                makespan::run_list(
                    "spt",
                    sizes,
                    speeds,
                    &inst.release,
                    "priority",
                    &makespan::ranks(sizes),
                    &spt_order,
                    crate::dispatch::Rule::Pull,
                    args.seed,
                )
                .map_err(InputError::Flag)?,
                makespan::run_list(
                    "srpt",
                    sizes,
                    speeds,
                    &inst.release,
                    "srpt",
                    &vec![0; sizes.len()],
                    &spt_order,
                    crate::dispatch::Rule::Pull,
                    args.seed,
                )
                .map_err(InputError::Flag)?,
            ]
        }
        None => Vec::new(),
    };
    Ok(CompletionReport {
        jobs: inst.jobs(),
        nodes: inst.nodes(),
        ids: list.jobs.iter().map(|j| j.id.clone()).collect(),
        plan,
        seconds,
        runs,
    })
}

fn run_completion(args: &BatchArgs) -> anyhow::Result<()> {
    let report = completion_report(args)?;
    emit(&report, args.json)
}

/// What `optimize sequence` found, computed once and then printed as a
/// table ([`SequenceReport::table`]) or JSON ([`SequenceReport::json`]).
struct SequenceReport {
    /// Whether the objective is Σ w_j C_j (else Σ C_j).
    weighted: bool,
    /// Job ids, in the file's order.
    ids: Vec<String>,
    /// The optimal order, its times and its objective.
    best: sequencing::Sequence,
    /// Time the subset DP took.
    seconds: f64,
    /// The policies run through the engine on the same jobs.
    heuristics: Vec<sequencing::Heuristic>,
    /// The optimal order as a schedule, for the Gantt chart.
    schedule: teaching::Schedule,
}

impl SequenceReport {
    fn objective(&self) -> &'static str {
        if self.weighted {
            "Σ w_j C_j"
        } else {
            "Σ C_j"
        }
    }

    /// Job ids in the optimal order.
    fn order(&self) -> Vec<&str> {
        self.best
            .order
            .iter()
            .map(|&j| self.ids[j].as_str())
            .collect()
    }
}

impl Rendered for SequenceReport {
    fn json(&self) -> Value {
        let best = &self.best;
        json!({
            "problem": if self.weighted { "weighted-completion" } else { "total-completion" },
            "jobs": self.ids.len(),
            "optimum": best.objective,
            "seconds": self.seconds,
            "order": self.order(),
            "schedule": teaching::json(&self.schedule),
            "policies": self.heuristics.iter().map(|h| json!({
                "name": h.name,
                "objective": h.objective,
                "ratio": h.objective / best.objective,
            })).collect::<Vec<Value>>(),
        })
    }
    fn table(&self) -> String {
        let (best, objective) = (&self.best, self.objective());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "one machine, {} jobs, non-preemptive: minimise {objective}\n",
            self.ids.len()
        );
        let _ = writeln!(
            out,
            "optimum (DP over {} subsets)  {objective} = {}   ({:.3} s)",
            1u64 << self.ids.len(),
            fmt(best.objective),
            self.seconds
        );
        let _ = writeln!(out, "optimal order: {}\n", self.order().join(" "));
        out.push_str(&teaching::ascii_gantt(&self.schedule));
        out.push('\n');
        out.push_str(&teaching::job_table(&self.schedule));
        let _ = writeln!(
            out,
            "\n{:<18}  {:>10}  {:>10}",
            "policy", objective, "/ optimum"
        );
        for h in &self.heuristics {
            let note = if h.name.starts_with("srpt") && !self.weighted {
                "  (preemptive: a lower bound)"
            } else if h.name.starts_with("srpt") {
                "  (preemptive)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{:<18}  {:>10}  {:>10.4}{note}",
                h.name,
                fmt(h.objective),
                h.objective / best.objective
            );
        }
        out
    }
}

/// Solves `optimize sequence`: the subset DP, then the policies.
fn sequence_report(args: &SequenceArgs) -> anyhow::Result<SequenceReport> {
    for (name, path) in [("--svg", &args.svg), ("--png", &args.png)] {
        if let Some(path) = path {
            let wanted = &name[2..];
            if path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref()
                != Some(wanted)
            {
                return Err(flag(
                    name,
                    path.display(),
                    &format!("the file name must end in .{wanted}"),
                ));
            }
        }
    }
    let list = read_job_list(&args.jobs)?;
    if list.unrelated() {
        return Err(file_error(
            &args.jobs,
            FieldError::new(
                "line 1",
                "t_ columns",
                "sequencing is on one machine: give a size column",
            ),
        ));
    }
    if args.weighted && !list.has_weight {
        return Err(file_error(
            &args.jobs,
            FieldError::new(
                "line 1",
                "(no weight column)",
                "--weighted needs a weight column",
            ),
        ));
    }
    let jobs: Vec<SeqJob> = list
        .jobs
        .iter()
        .map(|j| SeqJob {
            release: j.release,
            size: j.size,
            weight: if args.weighted { j.weight } else { 1.0 },
        })
        .collect();
    let ids: Vec<String> = list.jobs.iter().map(|j| j.id.clone()).collect();
    let started = Instant::now();
    let best = sequencing::optimal_sequence(&jobs).map_err(|e| file_error(&args.jobs, e))?;
    let seconds = started.elapsed().as_secs_f64();
    let heuristics = sequencing::heuristics(&ids, &jobs).map_err(InputError::Flag)?;
    let schedule = sequencing::as_schedule(&ids, &jobs, &best);
    Ok(SequenceReport {
        weighted: args.weighted,
        ids,
        best,
        seconds,
        heuristics,
        schedule,
    })
}

fn run_sequence(args: &SequenceArgs) -> anyhow::Result<()> {
    let report = sequence_report(args)?;
    // Before anything is printed: a picture that cannot be written fails
    // the command with no report on stdout.
    for path in [&args.svg, &args.png].into_iter().flatten() {
        plot::write_gantt(&report.schedule, path)?;
    }
    emit(&report, args.json)
}

fn sim_plan(sim: &SimArgs) -> anyhow::Result<SimPlan> {
    if sim.replications < 2 {
        return Err(flag(
            "--replications",
            sim.replications,
            "must be at least 2 for a confidence interval",
        ));
    }
    if sim.jobs < 100 {
        return Err(flag("--jobs", sim.jobs, "must be at least 100"));
    }
    Ok(SimPlan {
        replications: sim.replications,
        jobs: sim.jobs,
        seed: sim.seed,
    })
}

fn estimate_json(e: &Estimate) -> Value {
    json!({"mean": e.mean, "ci95": e.ci95})
}

fn fmt_estimate(e: &Estimate) -> String {
    match e.ci95 {
        Some(h) if h.is_finite() => format!("{} ± {}", fmt(e.mean), fmt(h)),
        _ => fmt(e.mean),
    }
}

/// The rules simulated next to an optimum, with their labels.
fn compared_rules(mu: &[f64]) -> Vec<(String, Rule)> {
    let proportional: Vec<f64> = mu.to_vec();
    let mut rules = vec![
        ("random (∝ μ)".to_string(), split::split_rule(&proportional)),
        ("round-robin".to_string(), Rule::RoundRobin),
        ("jsq".to_string(), Rule::Jsq),
        ("lwl".to_string(), Rule::Lwl),
    ];
    if mu.len() > 2 {
        rules.push(("power-of-2".to_string(), Rule::PowerOfD { d: 2 }));
    }
    rules
}

/// A rule simulated next to the optimal static split.
struct SplitRow {
    policy: String,
    /// Its exact mean response, for the static splits.
    theory: Option<f64>,
    /// Its simulated mean response.
    simulated: Estimate,
}

/// What `optimize split` found, computed once and then printed as a table
/// ([`SplitReport::table`]) or JSON ([`SplitReport::json`]).
struct SplitReport {
    lambda: f64,
    mu: Vec<f64>,
    /// Each server's arrival rate by the square-root rule.
    best: Vec<f64>,
    /// Each server's arrival rate by the numeric optimiser.
    numeric: Vec<f64>,
    /// Each server's arrival rate in proportion to its μ.
    proportional: Vec<f64>,
    /// The mean response of each of the three splits.
    t_best: f64,
    t_numeric: f64,
    t_prop: f64,
    /// The simulated rules (with --simulate; else none).
    rows: Vec<SplitRow>,
}

impl SplitReport {
    fn load(&self) -> f64 {
        self.lambda / self.mu.iter().sum::<f64>()
    }

    /// Whether round robin's equal share exceeds some server's rate.
    fn round_robin_overloads(&self) -> bool {
        let share = self.lambda / self.mu.len() as f64;
        self.mu.iter().any(|m| share >= *m)
    }
}

impl Rendered for SplitReport {
    fn json(&self) -> Value {
        let t_best = self.t_best;
        json!({
            "problem": "static-split",
            "lambda": self.lambda,
            "mu": self.mu,
            "square_root": {"flows": self.best, "mean_response": t_best},
            "numeric": {"flows": self.numeric, "mean_response": self.t_numeric},
            "proportional": {"flows": self.proportional, "mean_response": self.t_prop},
            "simulated": self.rows.iter().map(|r| json!({
                "policy": r.policy,
                "theory": r.theory,
                "mean_response": estimate_json(&r.simulated),
                "ratio_to_optimal_static": r.simulated.mean / t_best,
            })).collect::<Vec<_>>(),
        })
    }
    fn table(&self) -> String {
        let mu = &self.mu;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "static split of Poisson arrivals λ = {} over {} exponential servers (load {:.3})\n",
            fmt(self.lambda),
            mu.len(),
            self.load()
        );
        let _ = writeln!(
            out,
            "{:<8} {:>8}  {:>12}  {:>12}  {:>12}",
            "server", "μ", "square-root", "numeric", "∝ μ"
        );
        for (i, m) in mu.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:<8} {:>8}  {:>12}  {:>12}  {:>12}",
                i,
                fmt(*m),
                fmt_to(self.best[i], 6),
                fmt_to(self.numeric[i], 6),
                fmt_to(self.proportional[i], 6)
            );
        }
        let _ = writeln!(
            out,
            "{:<8} {:>8}  {:>12}  {:>12}  {:>12}",
            "E[T]",
            "",
            fmt_to(self.t_best, 6),
            fmt_to(self.t_numeric, 6),
            fmt_to(self.t_prop, 6)
        );
        if !self.rows.is_empty() {
            if self.round_robin_overloads() {
                let _ = writeln!(
                    out,
                    "\n(round-robin sends λ/{} to every server, which overloads the slowest: its figure only grows with --jobs)",
                    mu.len()
                );
            }
            let _ = writeln!(
                out,
                "\n{:<22}  {:>22}  {:>10}  {:>16}",
                "policy (simulated)", "mean response (95% CI)", "theory", "/ optimal static"
            );
            for r in &self.rows {
                let _ = writeln!(
                    out,
                    "{:<22}  {:>22}  {:>10}  {:>16}",
                    r.policy,
                    fmt_estimate(&r.simulated),
                    r.theory.map_or("-".to_string(), fmt),
                    fmt(r.simulated.mean / self.t_best)
                );
            }
        }
        out
    }
}

/// Solves `optimize split`: the square-root rule, the numeric optimiser,
/// the proportional split, and the simulations (with --simulate).
fn split_report(args: &SplitArgs) -> anyhow::Result<SplitReport> {
    let lambda = args.lambda;
    let mu = &args.mu;
    let best = split::square_root_split(lambda, mu).map_err(InputError::Flag)?;
    let numeric = split::numeric_split(lambda, mu).map_err(InputError::Flag)?;
    let total: f64 = mu.iter().sum();
    let proportional: Vec<f64> = mu.iter().map(|m| lambda * m / total).collect();
    let t_best = split::mean_response(&best, mu);
    let t_numeric = split::mean_response(&numeric, mu);
    let t_prop = split::mean_response(&proportional, mu);
    let plan = if args.sim.simulate {
        Some(sim_plan(&args.sim)?)
    } else {
        None
    };
    let mut rows = Vec::new();
    if let Some(plan) = plan {
        let mut rules = vec![("optimal static split".to_string(), split::split_rule(&best))];
        rules.extend(compared_rules(mu));
        for (policy, rule) in rules {
            let theory = match policy.as_str() {
                "optimal static split" => Some(t_best),
                "random (∝ μ)" => Some(t_prop),
                _ => None,
            };
            let simulated = split::simulate(lambda, mu, rule, plan);
            rows.push(SplitRow {
                policy,
                theory,
                simulated,
            });
        }
    }
    Ok(SplitReport {
        lambda,
        mu: mu.clone(),
        best,
        numeric,
        proportional,
        t_best,
        t_numeric,
        t_prop,
        rows,
    })
}

fn run_split(args: &SplitArgs) -> anyhow::Result<()> {
    let report = split_report(args)?;
    emit(&report, args.json)
}

/// A matrix written as rows separated by ';' and values by ','.
fn parse_matrix(name: &str, text: &str, rows: usize) -> anyhow::Result<Vec<Vec<f64>>> {
    let m: Vec<Vec<f64>> = text
        .split(';')
        .map(|row| {
            row.split(',')
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x > 0.0)
                        .ok_or_else(|| {
                            flag(
                                name,
                                v.trim(),
                                "every entry must be a finite number greater than 0",
                            )
                        })
                })
                .collect::<anyhow::Result<Vec<f64>>>()
        })
        .collect::<anyhow::Result<_>>()?;
    if m.len() != rows {
        return Err(flag(
            name,
            text,
            &format!("give one row per class ({rows}), rows separated by ';'"),
        ));
    }
    let width = m[0].len();
    if m.iter().any(|r| r.len() != width) {
        return Err(flag(name, text, "every row needs one value per node"));
    }
    Ok(m)
}

/// What `optimize flow` found, computed once and then printed as a table
/// ([`FlowReport::table`]) or JSON ([`FlowReport::json`]).
struct FlowReport {
    /// Each class's arrival rate.
    rates: Vec<f64>,
    /// `mu[k][i]`: node `i`'s service rate for class `k`.
    mu: Vec<Vec<f64>>,
    /// `cost[k][i]`: cost per unit of class `k`'s flow to node `i`
    /// (`1/mu[k][i]` unless --cost gives it).
    cost: Vec<Vec<f64>>,
    /// Each node's load cap.
    cap: Vec<f64>,
    /// The least-cost flows, the loads they make and their cost.
    plan: split::FlowPlan,
}

impl Rendered for FlowReport {
    fn json(&self) -> Value {
        json!({
            "problem": "class-flow",
            "rates": self.rates,
            "mu": self.mu,
            "cost": self.cost,
            "cap": self.cap,
            "flow": self.plan.flow,
            "load": self.plan.load,
            "objective": self.plan.cost,
        })
    }
    fn table(&self) -> String {
        let (plan, nodes) = (&self.plan, self.cap.len());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "class flows to {nodes} nodes, least cost with loads within their caps\n"
        );
        let mut header = format!("{:<8} {:>8}", "class", "rate");
        for i in 0..nodes {
            header.push_str(&format!("  {:>10}", format!("node {i}")));
        }
        let _ = writeln!(out, "{header}");
        for (c, row) in plan.flow.iter().enumerate() {
            let mut line = format!("{:<8} {:>8}", c, fmt(self.rates[c]));
            for f in row {
                line.push_str(&format!("  {:>10}", fmt(*f)));
            }
            let _ = writeln!(out, "{line}");
        }
        let mut line = format!("{:<8} {:>8}", "load", "");
        for l in &plan.load {
            line.push_str(&format!("  {:>10}", fmt(*l)));
        }
        let _ = writeln!(out, "{line}");
        let mut line = format!("{:<8} {:>8}", "cap", "");
        for c in &self.cap {
            line.push_str(&format!("  {:>10}", fmt(*c)));
        }
        let _ = writeln!(out, "{line}");
        let _ = writeln!(out, "\nminimum cost {}", fmt_to(plan.cost, 6));
        out
    }
}

/// Solves `optimize flow`: the class-flow LP on the checked matrices.
fn flow_report(args: &FlowArgs) -> anyhow::Result<FlowReport> {
    let k = args.rates.len();
    let mu = parse_matrix("--mu", &args.mu, k)?;
    let nodes = mu[0].len();
    let cost = match &args.cost {
        Some(text) => {
            let c = parse_matrix("--cost", text, k)?;
            if c[0].len() != nodes {
                return Err(flag("--cost", text, "must have the shape of --mu"));
            }
            c
        }
        None => mu
            .iter()
            .map(|row| row.iter().map(|m| 1.0 / m).collect())
            .collect(),
    };
    let cap = match args.cap.len() {
        1 => vec![args.cap[0]; nodes],
        n if n == nodes => args.cap.clone(),
        n => {
            return Err(flag(
                "--cap",
                format!("{n} values"),
                &format!("give one cap, or one per node ({nodes})"),
            ));
        }
    };
    split::check_scale("--rates", &args.rates).map_err(InputError::Flag)?;
    split::check_scale("--mu", &mu.concat()).map_err(InputError::Flag)?;
    split::check_scale("--cost", &cost.concat()).map_err(InputError::Flag)?;
    if let Some(c) = cap.iter().find(|c| c.is_nan() || **c < 1e-6) {
        return Err(flag(
            "--cap",
            c,
            "a load cap below 1e-6 leaves no room for any flow; give a utilisation in (0, 1]",
        ));
    }
    let plan = split::class_flow(&args.rates, &mu, &cost, &cap).map_err(InputError::Flag)?;
    Ok(FlowReport {
        rates: args.rates.clone(),
        mu,
        cost,
        cap,
        plan,
    })
}

fn run_flow(args: &FlowArgs) -> anyhow::Result<()> {
    let report = flow_report(args)?;
    emit(&report, args.json)
}

/// The MDP's policy for any number of servers as nested arrays, the
/// outermost indexed by the last server's queue: `policy[q_{n-1}]...[q_0]`
/// is the server (from 0) an arrival joins (for two servers, the table
/// `policy_rows_q1_columns_q0`).
fn nested_policy(model: &mdp::Model, policy: &[u32]) -> Value {
    fn level(cap: usize, policy: &[u32], server: usize, base: usize) -> Value {
        let stride = (cap + 1).pow(server as u32);
        Value::Array(
            (0..=cap)
                .map(|q| {
                    if server == 0 {
                        json!(policy[base + q])
                    } else {
                        level(cap, policy, server - 1, base + q * stride)
                    }
                })
                .collect(),
        )
    }
    level(model.cap, policy, model.mu.len() - 1, 0)
}

/// How `policy` is indexed, in words, for `n` servers.
fn policy_index(n: usize) -> String {
    let queues: Vec<String> = (0..n).rev().map(|i| format!("[q{i}]")).collect();
    format!(
        "policy{}: the server an arrival joins when server i holds qi jobs",
        queues.join("")
    )
}

/// One policy compared with the MDP optimum: its name, its exact mean
/// response and where that comes from, and its simulated one.
type MdpRow = (String, Option<f64>, &'static str, Option<Estimate>);

/// What `optimize mdp` found, computed once and then printed as a table
/// ([`MdpReport::table`]) or JSON ([`MdpReport::json`]).
struct MdpReport {
    lambda: f64,
    mu: Vec<f64>,
    truncate: usize,
    show: usize,
    simulated: bool,
    model: mdp::Model,
    sol: mdp::Solution,
    seconds: f64,
    opt: mdp::Evaluation,
    rows: Vec<MdpRow>,
    thresholds: Option<Vec<Option<usize>>>,
}

impl MdpReport {
    fn t_opt(&self) -> f64 {
        self.opt.mean_response
    }
}

impl Rendered for MdpReport {
    fn json(&self) -> Value {
        let (lambda, mu, model, sol, opt) =
            (self.lambda, &self.mu, &self.model, &self.sol, &self.opt);
        let (rows, thresholds, seconds, t_opt) =
            (&self.rows, &self.thresholds, self.seconds, self.t_opt());
        let policy = if mu.len() == 2 {
            json!(
                (0..=self.truncate)
                    .map(|q1| (0..=self.truncate)
                        .map(|q0| sol.policy[model.encode(&[q0, q1])])
                        .collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            )
        } else {
            Value::Null
        };
        json!({
            "problem": "mdp-dispatch",
            "lambda": lambda,
            "mu": mu,
            "truncate": self.truncate,
            "states": model.states(),
            "iterations": sol.iterations,
            "span": sol.span,
            "seconds": seconds,
            "gain_mean_number": sol.gain,
            "mean_response": t_opt,
            "boundary_mass": opt.boundary_mass,
            "blocking": opt.blocking,
            "policy_rows_q1_columns_q0": policy,
            "policy": nested_policy(model, &sol.policy),
            "policy_index": policy_index(mu.len()),
            "thresholds": thresholds,
            "policies": rows.iter().map(|(name, exact, how, est)| json!({
                "policy": name,
                "exact": exact,
                "exact_from": how,
                "simulated": est.as_ref().map(estimate_json),
                "gap_to_optimum": exact.or(est.map(|e| e.mean)).map(|t| t / t_opt - 1.0),
            })).collect::<Vec<_>>(),
        })
    }
    fn table(&self) -> String {
        let (lambda, mu, model, sol, opt) =
            (self.lambda, &self.mu, &self.model, &self.sol, &self.opt);
        let (rows, thresholds, seconds, t_opt) =
            (&self.rows, &self.thresholds, self.seconds, self.t_opt());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "optimal dispatching: Poisson λ = {} to {} exponential servers μ = {}, cost 1 per job per unit time\n",
            fmt(lambda),
            mu.len(),
            mu.iter().map(|m| fmt(*m)).collect::<Vec<_>>().join(", ")
        );
        let _ = writeln!(
            out,
            "{} states (truncated at {} jobs per queue); relative value iteration: {} sweeps, span {:.2e}, {:.2} s",
            model.states(),
            self.truncate,
            sol.iterations,
            sol.span,
            seconds
        );
        let _ = writeln!(
            out,
            "optimal mean number in system {} (value iteration) / {} (stationary distribution)",
            fmt_to(sol.gain, 6),
            fmt_to(opt.mean_number, 6)
        );
        let _ = writeln!(
            out,
            "truncation check: P(some queue at {}) = {:.2e}, P(arrival lost) = {:.2e}{}",
            self.truncate,
            opt.boundary_mass,
            opt.blocking,
            if opt.boundary_mass > 1e-6 {
                "  (too large: raise --truncate)"
            } else {
                ""
            }
        );
        if mu.len() == 2 {
            let show = self.show.min(self.truncate);
            let _ = writeln!(
                out,
                "\nserver an arrival joins (rows: jobs at server 1, columns: jobs at server 0)"
            );
            let mut header = "q1\\q0 ".to_string();
            for q0 in 0..=show {
                header.push_str(&format!("{q0:>3}"));
            }
            let _ = writeln!(out, "{header}");
            for q1 in 0..=show {
                let mut line = format!("{q1:>5} ");
                for q0 in 0..=show {
                    line.push_str(&format!("{:>3}", sol.policy[model.encode(&[q0, q1])]));
                }
                let _ = writeln!(out, "{line}");
            }
            if let Some(t) = &thresholds {
                let (fast, slow) = if mu[0] >= mu[1] { (0, 1) } else { (1, 0) };
                let list: Vec<String> = t
                    .iter()
                    .take(show + 1)
                    .map(|x| x.map_or("-".into(), |v| v.to_string()))
                    .collect();
                let _ = writeln!(
                    out,
                    "threshold: the slow server {slow} gets the arrival once server {fast} holds at least T jobs;\n\
                 T for {slow}'s queue = 0, 1, 2, ...: {}",
                    list.join(", ")
                );
            }
        } else {
            let _ = writeln!(
                out,
                "\n(the policy of {} servers is in --json: {})",
                mu.len(),
                policy_index(mu.len())
            );
        }
        let _ = writeln!(
            out,
            "\n{:<22}  {:>10}  {:<16}  {:>22}  {:>10}",
            "policy", "exact E[T]", "from", "simulated (95% CI)", "gap"
        );
        for (name, exact, how, est) in rows {
            let t = exact.or(est.map(|e| e.mean)).expect("exact or simulated");
            let _ = writeln!(
                out,
                "{:<22}  {:>10}  {:<16}  {:>22}  {:>10}",
                name,
                exact.map_or("-".into(), fmt),
                how,
                est.as_ref().map_or("-".into(), fmt_estimate),
                crate::report::percent(Some(t / t_opt - 1.0))
            );
        }
        if self.simulated {
            let _ = writeln!(
                out,
                "(lwl sees each node's unfinished work, which holds the exact sizes of the jobs queued:\n \
             more than the queue lengths the MDP sees, so it may beat the MDP optimum)"
            );
        }
        if let Some(est) = &rows[0].3 {
            let h = est.ci95.unwrap_or(f64::NAN);
            let _ = writeln!(
                out,
                "\nMDP policy simulated as a dispatch table: {} vs {} from the MDP ({} the 95% CI)",
                fmt_estimate(est),
                fmt(t_opt),
                if (est.mean - t_opt).abs() <= h {
                    "within"
                } else {
                    "outside"
                }
            );
        }
        out
    }
}

fn run_mdp(args: &MdpArgs) -> anyhow::Result<()> {
    let report = mdp_report(args)?;
    emit(&report, args.json)
}

/// Solves `optimize mdp`: the optimal policy, the policies compared with
/// it, and their simulations (with --simulate).
fn mdp_report(args: &MdpArgs) -> anyhow::Result<MdpReport> {
    let model = mdp::Model::new(args.lambda, &args.mu, args.truncate).map_err(InputError::Flag)?;
    if !(args.tol.is_finite() && args.tol > 0.0) {
        return Err(flag(
            "--tol",
            args.tol,
            "must be a finite number greater than 0",
        ));
    }
    let plan = if args.sim.simulate {
        Some(sim_plan(&args.sim)?)
    } else {
        None
    };
    // Below this the span of T h - h is rounding noise and never falls further.
    let scale = args.lambda + args.mu.iter().sum::<f64>();
    let floor = 1e-13 * scale;
    if args.tol < floor {
        return Err(flag(
            "--tol",
            args.tol,
            &format!(
                "below {floor:.3e} (1e-13 × (λ + Σμ)), which floating point cannot resolve: value iteration would never converge"
            ),
        ));
    }
    crate::limits::check_estimate(
        "--max-iterations",
        args.max_iterations,
        model.states() as f64 * args.max_iterations as f64,
        crate::limits::MAX_MDP_WORK,
        "state updates (states × iterations)",
    )
    .map_err(InputError::Flag)?;
    let started = Instant::now();
    let sol = mdp::solve(&model, args.tol, args.max_iterations);
    let seconds = started.elapsed().as_secs_f64();
    if !sol.converged {
        return Err(flag(
            "--max-iterations",
            args.max_iterations,
            &format!(
                "value iteration stopped with span {:.3e} above --tol {}; allow more iterations",
                sol.span, args.tol
            ),
        ));
    }
    let opt = mdp::evaluate(&model, &sol.policy);
    let jsq = mdp::evaluate(&model, &mdp::jsq_table(&model));
    let lambda = args.lambda;
    let mu = &args.mu;
    let static_best = split::square_root_split(lambda, mu).map_err(InputError::Flag)?;
    let total: f64 = mu.iter().sum();
    let proportional: Vec<f64> = mu.iter().map(|m| lambda * m / total).collect();
    let t_static = split::mean_response(&static_best, mu);
    let t_prop = split::mean_response(&proportional, mu);
    let t_opt = opt.mean_response;
    // (policy, exact, how, simulated)
    let mut rows: Vec<MdpRow> = vec![
        ("mdp optimum".into(), Some(t_opt), "truncated chain", None),
        (
            "jsq".into(),
            Some(jsq.mean_response),
            "truncated chain",
            None,
        ),
        ("lwl".into(), None, "", None),
        (
            "optimal static split".into(),
            Some(t_static),
            "M/M/1 split",
            None,
        ),
        ("random (∝ μ)".into(), Some(t_prop), "M/M/1 split", None),
    ];
    let simulated = plan.is_some();
    if let Some(plan) = plan {
        let rules = [
            mdp::rule(&model, &sol.policy),
            Rule::Jsq,
            Rule::Lwl,
            split::split_rule(&static_best),
            split::split_rule(&proportional),
        ];
        for (row, rule) in rows.iter_mut().zip(rules) {
            row.3 = Some(split::simulate(lambda, mu, rule, plan));
        }
    } else {
        rows.retain(|r| r.1.is_some());
    }
    let thresholds =
        (mu.len() == 2).then(|| mdp::thresholds(&model, &sol.policy, args.truncate / 2));
    Ok(MdpReport {
        lambda,
        mu: mu.clone(),
        truncate: args.truncate,
        show: args.show,
        simulated,
        model,
        sol,
        seconds,
        opt,
        rows,
        thresholds,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// The subcommand as the command line parses `schedlab optimize ARGS`.
    fn parse(args: &[&str]) -> OptimizeCommand {
        let argv = ["schedlab", "optimize"].iter().chain(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Optimize(c) => c,
            _ => unreachable!("an optimize command"),
        }
    }

    #[test]
    fn completion_report_holds_the_least_total_completion() {
        // Sizes 1..4 on two identical nodes: the two shortest start at 0
        // (C = 1, 2), the two longest after them (C = 1 + 3, 2 + 4, or
        // 1 + 4, 2 + 3): Σ C_j = 13, which SPT reaches.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.csv");
        std::fs::write(&path, "id,size\nA,1\nB,2\nC,3\nD,4\n").unwrap();
        let OptimizeCommand::Completion(args) =
            parse(&["completion", path.to_str().unwrap(), "--nodes", "2"])
        else {
            unreachable!("completion")
        };
        let report = completion_report(&args).unwrap();
        assert_eq!((report.jobs, report.nodes), (4, 2));
        assert!(
            (report.plan.total - 13.0).abs() < 1e-9,
            "{}",
            report.plan.total
        );
        let mut ran = report.sequences().concat();
        ran.sort_unstable();
        assert_eq!(ran, ["A", "B", "C", "D"]);
        assert_eq!(report.runs[0].name, "spt");
        assert!((report.runs[0].total_completion() - 13.0).abs() < 1e-9);
    }

    #[test]
    fn sequence_report_holds_the_optimal_order() {
        // The machine idles until the three short jobs arrive at 1 and runs
        // them first (C = 2, 3, 4), then the long one (C = 14): Σ C_j = 23,
        // against 10 + 11 + 12 + 13 = 46 for starting the long one at 0.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.csv");
        std::fs::write(&path, "id,size,release\nA,10,0\nB,1,1\nC,1,1\nD,1,1\n").unwrap();
        let OptimizeCommand::Sequence(args) = parse(&["sequence", path.to_str().unwrap()]) else {
            unreachable!("sequence")
        };
        let report = sequence_report(&args).unwrap();
        assert!(
            (report.best.objective - 23.0).abs() < 1e-9,
            "{}",
            report.best.objective
        );
        assert_eq!(report.order().last(), Some(&"A"));
        let fcfs = report.heuristics.iter().find(|h| h.name == "fcfs").unwrap();
        assert!((fcfs.objective - 46.0).abs() < 1e-9, "{}", fcfs.objective);
    }

    #[test]
    fn split_report_holds_the_square_root_split() {
        // λ = 3 over μ = 4, 1: λ_i = μ_i − √μ_i (Σμ − λ) / Σ√μ = 8/3, 1/3,
        // and E[T] = Σ (λ_i / λ) / (μ_i − λ_i) = 2/3 + 1/6 = 5/6; in
        // proportion to μ, 2.4 and 0.6 give 0.5 + 0.5 = 1.
        let OptimizeCommand::Split(args) = parse(&["split", "--lambda", "3", "--mu", "4,1"]) else {
            unreachable!("split")
        };
        let report = split_report(&args).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(report.best[0], 8.0 / 3.0) && close(report.best[1], 1.0 / 3.0));
        assert!(close(report.t_best, 5.0 / 6.0), "{}", report.t_best);
        assert!(close(report.proportional[0], 2.4) && close(report.proportional[1], 0.6));
        assert!(close(report.t_prop, 1.0), "{}", report.t_prop);
        assert!((report.t_numeric - report.t_best).abs() < 1e-6);
        assert!(close(report.load(), 0.6));
        assert!(
            report.rows.is_empty(),
            "nothing simulated without --simulate"
        );
    }

    #[test]
    fn flow_report_holds_the_least_cost_flow() {
        // One class of rate 1; node 0 serves it at 2 (cost 1/2 per unit),
        // node 1 at 1 (cost 1): all of it fits on node 0 under the cap
        // 0.9 (load 1/2), for a cost of 1/2.
        let OptimizeCommand::Flow(args) =
            parse(&["flow", "--rates", "1", "--mu", "2,1", "--cap", "0.9"])
        else {
            unreachable!("flow")
        };
        let report = flow_report(&args).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert_eq!(report.cap, [0.9, 0.9]);
        assert_eq!(report.cost, [[0.5, 1.0]]);
        assert!(close(report.plan.flow[0][0], 1.0) && close(report.plan.flow[0][1], 0.0));
        assert!(close(report.plan.load[0], 0.5) && close(report.plan.load[1], 0.0));
        assert!(close(report.plan.cost, 0.5), "{}", report.plan.cost);
    }
}
