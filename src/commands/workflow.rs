//! `schedlab workflow`: a workflow (WfFormat or STG) planned on nodes by
//! list-scheduling heuristics, with lower bounds, the optimum by MILP,
//! replications with drawn task times, a Gantt chart and a JSON document.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::app::flag;
use crate::cli::WorkflowArgs;
use crate::error::{FieldError, InputError};
use crate::model::wfformat;
use crate::model::workflow::Dag;
use crate::report::plot::{Block, LaneChart, Link, write_lanes};
use crate::stats::Estimate;
use crate::workflow::bounds::{Bounds, bounds};
use crate::workflow::milp::{self, Optimum};
use crate::workflow::replay::replicate;
use crate::workflow::{self, Platform, Policy, Schedule, input};

/// Most replications (unless `--no-limits`).
const MAX_REPLICATIONS: f64 = 1e6;

fn in_file(path: &Path, error: FieldError) -> anyhow::Error {
    InputError::Field {
        path: path.to_path_buf(),
        error,
    }
    .into()
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|source| {
        InputError::Read {
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}

/// The graph, and the machines a WfFormat file lists.
fn read_workflow(path: &Path) -> anyhow::Result<(Dag, Vec<wfformat::Machine>)> {
    Ok(crate::model::workflow::read_file(path)?)
}

/// The processors and the network from the flags (exactly one source of
/// nodes; the WfFormat machines when none is given).
fn platform(
    args: &WorkflowArgs,
    dag: &Dag,
    machines: &[wfformat::Machine],
) -> anyhow::Result<Platform> {
    let given: Vec<&str> = [
        (args.nodes.is_some(), "--nodes"),
        (!args.speeds.is_empty(), "--speeds"),
        (args.nodes_file.is_some(), "--nodes-file"),
        (args.costs.is_some(), "--costs"),
    ]
    .iter()
    .filter(|g| g.0)
    .map(|g| g.1)
    .collect();
    if given.len() > 1 {
        return Err(flag(
            given[1],
            "(given)",
            &format!(
                "the nodes come from one of --nodes, --speeds, --nodes-file, --costs; {} is given too",
                given[0]
            ),
        ));
    }
    let mut network = input::Network::default();
    let p = if let Some(n) = args.nodes {
        if n == 0 {
            return Err(flag("--nodes", 0, "needs at least 1 node"));
        }
        crate::limits::check("--nodes", f64::from(n), 1e5, "the number of nodes")
            .map_err(InputError::Flag)?;
        Platform::with_speeds(&vec![1.0; n as usize]).map_err(InputError::Flag)?
    } else if !args.speeds.is_empty() {
        crate::limits::check(
            "--speeds",
            args.speeds.len() as f64,
            1e5,
            "the number of nodes",
        )
        .map_err(InputError::Flag)?;
        Platform::with_speeds(&args.speeds).map_err(InputError::Flag)?
    } else if let Some(path) = &args.nodes_file {
        let (p, net) = input::nodes_file(&read(path)?, dag).map_err(|e| in_file(path, e))?;
        network = net;
        p
    } else if let Some(path) = &args.costs {
        input::cost_matrix(&read(path)?, dag).map_err(|e| in_file(path, e))?
    } else if !machines.is_empty() {
        let nodes: Vec<(String, f64, u32)> = machines
            .iter()
            .map(|m| (m.name.clone(), 1.0, m.cores))
            .collect();
        Platform::new(&nodes).map_err(|e| in_file(&args.file, e))?
    } else {
        return Err(flag(
            "--nodes",
            "(missing)",
            "give the nodes: --nodes N, --speeds 1,1,2,2, --nodes-file scenario.toml or --costs costs.csv",
        ));
    };
    let bandwidth = args
        .bandwidth
        .or(network.bandwidth)
        .unwrap_or(f64::INFINITY);
    let latency = args.latency.or(network.latency).unwrap_or(0.0);
    let from_file = |field: &str| match field {
        "--bandwidth" => args.bandwidth.is_none(),
        "--latency" => args.latency.is_none(),
        _ => false,
    };
    p.with_network(bandwidth, latency)
        .map_err(|e| match &args.nodes_file {
            Some(path) if from_file(&e.field) => in_file(
                path,
                FieldError::new(format!("network.{}", &e.field[2..]), e.value, e.message),
            ),
            _ => InputError::Flag(e).into(),
        })
}

fn policies(args: &WorkflowArgs) -> anyhow::Result<Vec<Policy>> {
    let (flag_name, list) = match &args.compare {
        Some(l) => ("--compare", l.as_str()),
        None => ("--policy", args.policy.as_str()),
    };
    let names: Vec<&str> = if list.trim() == "all" {
        workflow::POLICIES.iter().map(|p| p.name()).collect()
    } else {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    };
    if names.is_empty() {
        return Err(flag(flag_name, list, "names no policy"));
    }
    let mut out = Vec::new();
    for n in names {
        let p: Policy = n.parse().map_err(|m: String| flag(flag_name, n, &m))?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Seconds from `10`, `10s`, `500ms`, `2m`.
fn seconds(text: &str) -> anyhow::Result<f64> {
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
            flag(
                "--time-limit",
                text,
                "must be a positive duration such as 10, 10s, 500ms or 2m",
            )
        })
}

/// One policy's figures.
struct Outcome {
    plan: Schedule,
    /// Mean and 95% half-width over the replications.
    replicated: Option<(f64, Option<f64>)>,
    draws: Vec<f64>,
}

impl Outcome {
    fn makespan(&self) -> f64 {
        self.replicated.map_or(self.plan.makespan(), |r| r.0)
    }
}

pub fn run(args: &WorkflowArgs) -> anyhow::Result<()> {
    let (dag, machines) = read_workflow(&args.file)?;
    let platform = platform(args, &dag, &machines)?;
    let policies = policies(args)?;
    let limit = seconds(&args.time_limit)?;
    if let Some(path) = &args.gantt {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("svg" | "png")) {
            return Err(flag(
                "--gantt",
                path.display(),
                "the file name must end in .svg or .png",
            ));
        }
    }
    let scv = match (args.task_scv, args.replications) {
        (Some(s), _) if !(s.is_finite() && s >= 0.0) => {
            return Err(flag(
                "--task-scv",
                s,
                "must be a finite number of at least 0",
            ));
        }
        (Some(_), 0) => {
            return Err(flag(
                "--task-scv",
                "(given)",
                "needs --replications R (at least 1)",
            ));
        }
        (s, _) => s.unwrap_or(0.0),
    };
    crate::limits::check(
        "--replications",
        args.replications as f64,
        MAX_REPLICATIONS,
        "the number of replications",
    )
    .map_err(InputError::Flag)?;
    if args.optimal {
        crate::limits::check(
            "--optimal",
            dag.len() as f64,
            milp::MAX_TASKS as f64,
            &format!(
                "the MILP grows as tasks² × nodes; the workflow's task count ({})",
                dag.len()
            ),
        )
        .map_err(InputError::Flag)?;
    }
    let b = bounds(&dag, &platform);
    let plans: Vec<Schedule> = policies
        .iter()
        .map(|&p| workflow::schedule(&dag, &platform, p, args.seed))
        .collect();
    // Times beyond floating point (a bandwidth of 1e-300, task times near
    // 1e308) give infinite makespans: every plan "best" at `-`, and a
    // utilisation of NaN. Refuse them, naming what overflowed.
    if let Some(plan) = plans.iter().find(|p| !p.makespan().is_finite()) {
        let (name, value, what) = if !(b.critical_path.is_finite() && b.total_work.is_finite()) {
            (
                "nodes",
                "(task times)".to_string(),
                "the task times (work / speed)",
            )
        } else if platform.bandwidth.is_infinite() {
            (
                "--latency",
                format!("{:?}", platform.latency),
                "the transfers (the latency of each)",
            )
        } else {
            (
                "--bandwidth",
                format!("{:?}", platform.bandwidth),
                "the transfers (latency + bytes / bandwidth)",
            )
        };
        return Err(flag(
            name,
            value,
            &format!(
                "{what} overflow floating point: the {} plan's makespan is not a finite number",
                plan.policy
            ),
        ));
    }
    for plan in &plans {
        // A failure here is a bug of a heuristic, not bad input.
        plan.verify(&dag, &platform).map_err(|e| {
            anyhow::anyhow!("{}: the plan of {} is invalid: {e}", dag.name, plan.policy)
        })?;
    }
    let draws = if args.replications > 0 {
        replicate(&dag, &platform, &plans, args.replications, scv, args.seed)
    } else {
        vec![Vec::new(); plans.len()]
    };
    let outcomes: Vec<Outcome> = plans
        .into_iter()
        .zip(draws)
        .map(|(plan, d)| {
            let replicated = (!d.is_empty()).then(|| {
                let e = Estimate::from_values(&d);
                (e.mean, e.ci95)
            });
            Outcome {
                plan,
                replicated,
                draws: d,
            }
        })
        .collect();
    let optimum = if args.optimal {
        let best = outcomes
            .iter()
            .min_by(|a, b| a.plan.makespan().total_cmp(&b.plan.makespan()))
            .expect("at least one policy");
        Some(
            milp::solve(&dag, &platform, &best.plan, &b, limit)
                .map_err(|e| anyhow::anyhow!("{}: the MILP failed: {e}", dag.name))?,
        )
    } else {
        None
    };
    if let Some(path) = &args.gantt {
        write_lanes(&chart(&dag, &platform, &outcomes[0].plan, &b), path)?;
    }
    if args.json {
        let doc = document(&dag, &platform, &b, &outcomes, optimum.as_ref());
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!(
            "{}",
            table(&dag, &platform, &b, &outcomes, optimum.as_ref(), args, scv)
        );
    }
    Ok(())
}

fn schedule_json(dag: &Dag, platform: &Platform, plan: &Schedule) -> Value {
    let mut order: Vec<usize> = (0..dag.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&plan.slots[a], &plan.slots[b]);
        x.start.total_cmp(&y.start).then(x.proc.cmp(&y.proc))
    });
    Value::Array(
        order
            .into_iter()
            .map(|i| {
                let s = &plan.slots[i];
                json!({
                    "task": dag.ids[i],
                    "node": platform.names[s.proc],
                    "start": s.start,
                    "end": s.end,
                })
            })
            .collect(),
    )
}

/// The document of `--json`.
fn document(
    dag: &Dag,
    platform: &Platform,
    b: &Bounds,
    outcomes: &[Outcome],
    optimum: Option<&Optimum>,
) -> Value {
    let results: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            json!({
                "policy": o.plan.policy,
                "makespan": o.makespan(),
                "makespan_ci95": o.replicated.and_then(|r| r.1),
                "gap": b.gap(o.makespan()),
                "schedule": schedule_json(dag, platform, &o.plan),
            })
        })
        .collect();
    json!({
        "workflow": dag.name,
        "tasks": dag.len(),
        "edges": dag.edges(),
        "bounds": {"critical_path": b.critical_path, "total_work": b.total_work},
        "results": results,
        "optimal": optimum.map(|m| json!({
            "makespan": m.makespan,
            "proven": m.proven,
            "gap": m.gap,
        })),
    })
}

/// A number for the table: up to 4 decimals, trailing zeros dropped
/// ([`crate::report::trimmed`]).
fn num(x: f64) -> String {
    crate::report::trimmed(x, 4)
}

fn pct(x: f64) -> String {
    let p = 100.0 * x;
    if p.is_finite() && p.abs() < 1e15 {
        format!("{p:.2}%")
    } else {
        // `-` when not finite, an exponent when huge: as `num`.
        let s = crate::report::sig(p);
        if p.is_finite() { s + "%" } else { s }
    }
}

fn table(
    dag: &Dag,
    platform: &Platform,
    b: &Bounds,
    outcomes: &[Outcome],
    optimum: Option<&Optimum>,
    args: &WorkflowArgs,
    scv: f64,
) -> String {
    let mut out = String::new();
    let procs: Vec<String> = (0..platform.processors())
        .map(|p| match &platform.costs {
            Some(_) => platform.names[p].clone(),
            None => format!("{} (speed {})", platform.names[p], num(platform.speeds[p])),
        })
        .collect();
    // Long lists of processors are cut to their ends.
    let listed = if procs.len() > 8 {
        format!(
            "{}, ..., {}",
            procs[..3].join(", "),
            procs[procs.len() - 2..].join(", ")
        )
    } else {
        procs.join(", ")
    };
    let _ = writeln!(
        out,
        "workflow {}: {} tasks, {} edges; {} processors: {listed}",
        dag.name,
        dag.len(),
        dag.edges(),
        platform.processors(),
    );
    if platform.costs.is_some() {
        let _ = writeln!(
            out,
            "task times from the cost matrix {}",
            path_of(&args.costs)
        );
    }
    let _ = writeln!(
        out,
        "network: transfer = {} + bytes / {} between nodes, 0 on one node",
        num(platform.latency),
        if platform.bandwidth.is_infinite() {
            "inf".to_string()
        } else if (1e-3..1e6).contains(&platform.bandwidth) {
            num(platform.bandwidth)
        } else {
            format!("{:e}", platform.bandwidth)
        }
    );
    let _ = writeln!(
        out,
        "lower bounds: critical path {} (fastest times, no transfers), total work / capacity {}\n",
        num(b.critical_path),
        num(b.total_work)
    );
    let best = outcomes
        .iter()
        .map(|o| o.plan.makespan())
        .fold(f64::INFINITY, f64::min);
    let width = outcomes
        .iter()
        .map(|o| o.plan.policy.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let reps = args.replications > 0;
    let _ = write!(
        out,
        "{:<width$}  {:>12}  {:>9}",
        "policy", "makespan", "gap"
    );
    if reps {
        let _ = write!(out, "  {:>26}", "replayed mean ± 95% CI");
    }
    out.push('\n');
    for o in outcomes {
        let m = o.plan.makespan();
        let _ = write!(
            out,
            "{:<width$}  {:>12}  {:>9}",
            o.plan.policy,
            num(m),
            pct(b.gap(m))
        );
        if let Some((mean, ci)) = o.replicated {
            let ci = ci.map_or("-".to_string(), num);
            let _ = write!(out, "  {:>26}", format!("{} ± {ci}", num(mean)));
        }
        if m <= best * (1.0 + 1e-12) {
            out.push_str("  * best");
        }
        out.push('\n');
    }
    if reps {
        let _ = writeln!(
            out,
            "\n{} replications, task times gamma around the given work (scv {}), seed {}: each plan's\n\
             order and placement are kept and only the times drawn; the same draws for every policy.",
            args.replications,
            num(scv),
            args.seed
        );
        if outcomes.len() > 1 && args.replications >= 2 {
            let base = &outcomes[0];
            for o in &outcomes[1..] {
                let diff: Vec<f64> = o
                    .draws
                    .iter()
                    .zip(&base.draws)
                    .map(|(a, b)| a - b)
                    .collect();
                let e = Estimate::from_values(&diff);
                let _ = writeln!(
                    out,
                    "paired difference {} - {}: {} ± {}",
                    o.plan.policy,
                    base.plan.policy,
                    num(e.mean),
                    e.ci95.map_or("-".into(), num)
                );
            }
        }
    }
    let _ = writeln!(out, "\nutilisation (busy time / makespan)");
    let names: Vec<&str> = outcomes.iter().map(|o| o.plan.policy.as_str()).collect();
    let nw = platform
        .names
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = write!(out, "{:<nw$}", "node");
    for n in &names {
        let _ = write!(out, "  {n:>8}");
    }
    out.push('\n');
    let utils: Vec<Vec<f64>> = outcomes
        .iter()
        .map(|o| o.plan.utilisation(platform.processors()))
        .collect();
    for p in 0..platform.processors() {
        let _ = write!(out, "{:<nw$}", platform.names[p]);
        for u in &utils {
            let cell = if (100.0 * u[p]).is_finite() {
                format!("{:.1}%", 100.0 * u[p])
            } else {
                "-".into()
            };
            let _ = write!(out, "  {cell:>8}");
        }
        out.push('\n');
    }
    let path: Vec<&str> = b.path.iter().map(|&i| dag.ids[i].as_str()).collect();
    let _ = writeln!(
        out,
        "\ncritical path ({} at the fastest times): {}",
        num(b.critical_path),
        path.join(" -> ")
    );
    if let Some(m) = optimum {
        if m.proven {
            let _ = writeln!(
                out,
                "optimum (MILP): {}, proven optimal in {:.3} s",
                num(m.makespan),
                m.seconds
            );
        } else {
            let _ = writeln!(
                out,
                "optimum (MILP): not proven within {}; best found {}, gap {} to the best bound",
                args.time_limit,
                num(m.makespan),
                pct(m.gap)
            );
        }
    }
    if dag.cores.iter().any(|&c| c > 1.0) {
        let _ = writeln!(
            out,
            "(tasks asking for several cores are given one processor each, their runtime as given)"
        );
    }
    out
}

fn path_of(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map_or_else(String::new, |p| p.display().to_string())
}

/// The Gantt chart of a plan: one lane per processor, the critical path
/// outlined, a line for each transfer between processors.
fn chart(dag: &Dag, platform: &Platform, plan: &Schedule, b: &Bounds) -> LaneChart {
    let mut on_path = vec![false; dag.len()];
    for &i in &b.path {
        on_path[i] = true;
    }
    let blocks = plan
        .slots
        .iter()
        .map(|s| Block {
            lane: s.proc as u32,
            start: s.start,
            end: s.end,
            label: dag.ids[s.task].clone(),
            switch: false,
            marked: on_path[s.task],
        })
        .collect();
    let mut links = Vec::new();
    for (i, ps) in dag.pred.iter().enumerate() {
        let to = &plan.slots[i];
        for &(q, _) in ps {
            let from = &plan.slots[q];
            if platform.node_of[from.proc] != platform.node_of[to.proc] {
                links.push(Link {
                    from: (from.end, from.proc as u32),
                    to: (to.start, to.proc as u32),
                });
            }
        }
    }
    LaneChart {
        title: format!(
            "{}: {} (critical path outlined, transfers as lines)",
            dag.name, plan.policy
        ),
        lanes: platform.names.clone(),
        blocks,
        links,
        end: plan.makespan(),
        keys: dag.ids.clone(),
    }
}
