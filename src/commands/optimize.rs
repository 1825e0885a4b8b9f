//! `schedlab optimize ...`: optimal bounds and every policy's gap to them.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use crate::app::flag;
use crate::cli::{BatchArgs, OptimizeCommand, SequenceArgs};
use crate::error::{FieldError, InputError};
use crate::optimize::completion;
use crate::optimize::makespan::{self, Instance, ListRun};
use crate::optimize::sequencing::{self, SeqJob};
use crate::optimize::{JobList, read_job_list};
use crate::report::plot;
use crate::teaching;

pub fn run(command: &OptimizeCommand) -> anyhow::Result<()> {
    match command {
        OptimizeCommand::Makespan(args) => run_makespan(args),
        OptimizeCommand::Completion(args) => run_completion(args),
        OptimizeCommand::Sequence(args) => run_sequence(args),
    }
}

/// A number as a table shows it: up to 4 decimals, no trailing zeros.
fn fmt(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
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

/// A warm start for unrelated nodes (which the engine does not model):
/// jobs in decreasing total time, each to the node where it ends first.
fn greedy_unrelated(inst: &Instance) -> Vec<usize> {
    let mut order: Vec<usize> = (0..inst.jobs()).collect();
    order.sort_by(|&a, &b| inst.release[a].total_cmp(&inst.release[b]));
    let mut end = vec![0.0f64; inst.nodes()];
    let mut a = vec![0; inst.jobs()];
    for j in order {
        let (i, t) = (0..inst.nodes())
            .map(|i| (i, end[i].max(inst.release[j]) + inst.p[j][i]))
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .expect("at least one node");
        end[i] = t;
        a[j] = i;
    }
    a
}

fn run_makespan(args: &BatchArgs) -> anyhow::Result<()> {
    let limit = parse_duration(&args.time_limit).map_err(InputError::Flag)?;
    let list = read_job_list(&args.jobs)?;
    let inst = instance(args, &list)?;
    let runs: Vec<ListRun> = match &inst.uniform {
        Some((sizes, speeds)) => makespan::list_heuristics(sizes, speeds, &inst.release, args.seed)
            .map_err(InputError::Flag)?,
        None => Vec::new(),
    };
    let incumbent = runs
        .iter()
        .min_by(|a, b| a.makespan().total_cmp(&b.makespan()))
        .map(|r| r.node.clone())
        .unwrap_or_else(|| greedy_unrelated(&inst));
    let started = Instant::now();
    let lp = makespan::lp_bound(&inst).map_err(|e| anyhow::anyhow!("LP relaxation: {e}"))?;
    let bound = if makespan::integral(&inst) {
        (lp - 1e-6).ceil()
    } else {
        lp
    };
    let lp_seconds = started.elapsed().as_secs_f64();
    let milp = makespan::solve_milp(&inst, limit, Some(&incumbent))
        .map_err(|e| anyhow::anyhow!("MILP: {e}"))?;
    let reference = if milp.proven_optimal {
        milp.makespan
    } else {
        bound
    };
    let gap = (milp.makespan - bound) / milp.makespan;
    if args.json {
        let doc = json!({
            "problem": "makespan",
            "jobs": inst.jobs(),
            "nodes": inst.nodes(),
            "speeds": inst.uniform.as_ref().map(|(_, s)| s.clone()),
            "unrelated": inst.uniform.is_none(),
            "milp": {
                "makespan": milp.makespan,
                "proven_optimal": milp.proven_optimal,
                "seconds": milp.seconds,
                "time_limit": limit,
                "assignment": list.jobs.iter().zip(&milp.assignment)
                    .map(|(j, &i)| json!({"id": j.id, "node": i}))
                    .collect::<Vec<_>>(),
            },
            "lp_bound": lp,
            "lower_bound": bound,
            "lp_seconds": lp_seconds,
            "gap_to_lower_bound": gap,
            "heuristics": runs.iter().map(|r| json!({
                "name": r.name,
                "makespan": r.makespan(),
                "ratio": r.makespan() / reference,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
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
        None => format!("{} unrelated nodes", inst.nodes()),
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
            fmt(limit)
        );
    }
    let _ = writeln!(
        out,
        "LP bound         {:>10}   ({:.3} s)",
        fmt(lp),
        lp_seconds
    );
    if bound != lp {
        let _ = writeln!(
            out,
            "lower bound      {:>10}   ⌈LP bound⌉: the data are whole numbers",
            fmt(bound)
        );
    }
    let _ = writeln!(out, "gap to the bound {:>9.2}%", 100.0 * gap);
    if runs.is_empty() {
        let _ = writeln!(
            out,
            "\nlist heuristics need uniform nodes (the engine models speeds, not per-node times)"
        );
    } else {
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
        for r in &runs {
            let _ = writeln!(
                out,
                "{:<12}  {:>10}  {:>9.4}",
                r.name,
                fmt(r.makespan()),
                r.makespan() / reference
            );
        }
    }
    print!("{out}");
    Ok(())
}

fn run_completion(args: &BatchArgs) -> anyhow::Result<()> {
    parse_duration(&args.time_limit).map_err(InputError::Flag)?;
    let list = read_job_list(&args.jobs)?;
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
            let mut spt_order: Vec<usize> = (0..sizes.len()).collect();
            spt_order.sort_by(|&a, &b| sizes[a].total_cmp(&sizes[b]).then(a.cmp(&b)));
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
    let ids: Vec<&str> = list.jobs.iter().map(|j| j.id.as_str()).collect();
    if args.json {
        let doc = json!({
            "problem": "total-completion",
            "jobs": inst.jobs(),
            "nodes": inst.nodes(),
            "optimum": plan.total,
            "seconds": seconds,
            "sequences": plan.sequences.iter()
                .map(|s| s.iter().map(|&j| ids[j]).collect::<Vec<_>>())
                .collect::<Vec<_>>(),
            "heuristics": runs.iter().map(|r| json!({
                "name": r.name,
                "total_completion": r.total_completion(),
                "ratio": r.total_completion() / plan.total,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "total completion time: {} jobs on {} nodes\n",
        inst.jobs(),
        inst.nodes()
    );
    let _ = writeln!(
        out,
        "optimum (assignment LP)  Σ C_j = {}   ({:.3} s)",
        fmt(plan.total),
        seconds
    );
    for (i, s) in plan.sequences.iter().enumerate() {
        let names: Vec<&str> = s.iter().map(|&j| ids[j]).collect();
        let _ = writeln!(out, "  node {i}: {}", names.join(" "));
    }
    if runs.is_empty() {
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
        for r in &runs {
            let _ = writeln!(
                out,
                "{:<8}  {:>10}  {:>10.4}",
                r.name,
                fmt(r.total_completion()),
                r.total_completion() / plan.total
            );
        }
    }
    print!("{out}");
    Ok(())
}

fn run_sequence(args: &SequenceArgs) -> anyhow::Result<()> {
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
    for path in [&args.svg, &args.png].into_iter().flatten() {
        plot::write_gantt(&schedule, path)?;
    }
    let objective = if args.weighted {
        "Σ w_j C_j"
    } else {
        "Σ C_j"
    };
    if args.json {
        let doc = json!({
            "problem": if args.weighted { "weighted-completion" } else { "total-completion" },
            "jobs": jobs.len(),
            "optimum": best.objective,
            "seconds": seconds,
            "order": best.order.iter().map(|&j| ids[j].as_str()).collect::<Vec<_>>(),
            "schedule": teaching::json(&schedule),
            "policies": heuristics.iter().map(|h| json!({
                "name": h.name,
                "objective": h.objective,
                "ratio": h.objective / best.objective,
            })).collect::<Vec<Value>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "one machine, {} jobs, non-preemptive: minimise {objective}\n",
        jobs.len()
    );
    let _ = writeln!(
        out,
        "optimum (DP over {} subsets)  {objective} = {}   ({:.3} s)",
        1u64 << jobs.len(),
        fmt(best.objective),
        seconds
    );
    let order: Vec<&str> = best.order.iter().map(|&j| ids[j].as_str()).collect();
    let _ = writeln!(out, "optimal order: {}\n", order.join(" "));
    out.push_str(&teaching::ascii_gantt(&schedule));
    out.push('\n');
    out.push_str(&teaching::job_table(&schedule));
    let _ = writeln!(
        out,
        "\n{:<18}  {:>10}  {:>10}",
        "policy", objective, "/ optimum"
    );
    for h in &heuristics {
        let note = if h.name.starts_with("srpt") && !args.weighted {
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
    print!("{out}");
    Ok(())
}
