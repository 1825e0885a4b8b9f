//! `schedlab size`: the flags read, the search of [`crate::size`] run, and
//! its candidates printed as a table or one JSON document.

use std::io::IsTerminal;

use serde_json::{Value, json};

use crate::app::flag;
use crate::cli::{RunArgs, SizeArgs};
use crate::error::InputError;
use crate::model::{Limit, Scenario};
use crate::policy::{AnyPolicy, parse_policy_arg};
use crate::report::sig;
use crate::size::{Candidate, Outcome, Size};

pub fn run(args: &SizeArgs) -> anyhow::Result<()> {
    // The overrides `run` takes, checked as `run` checks them.
    let overrides = RunArgs {
        scenario: args.scenario.clone(),
        seed: args.seed,
        replications: args.replications,
        jobs: args.jobs,
        threads: args.threads,
        max_present: args.max_present,
        ..Default::default()
    };
    let mut scenario = crate::commands::run::load(&overrides)?;
    if let Some(name) = &args.policy {
        policy(&mut scenario, name)?;
    }
    if scenario.replications < 2 {
        return Err(flag(
            "--replications",
            scenario.replications,
            "size decides on a 95% confidence bound, which takes at least 2 replications",
        ));
    }
    let size = Size::new(
        &scenario,
        args.node.as_deref(),
        &args.target,
        args.class.as_deref(),
        &args.param,
        args.tol,
    )
    .map_err(InputError::Flag)?;
    let pool = crate::commands::run::pool(args.threads)?;
    // Each candidate can take a while: show them as they come on a terminal.
    let live = std::io::stderr().is_terminal();
    let decimals = size.decimals();
    let outcome = pool.install(|| {
        size.search(&scenario, &mut |c| {
            if live {
                eprintln!("  {}", row(c, decimals, 0).trim_end());
            }
        })
    })?;
    if args.json {
        crate::api::emit_json(&document(&scenario, &size, &outcome), true)?;
    } else {
        print!("{}", table(&scenario, &size, &outcome));
    }
    Ok(())
}

/// Replaces the scenario's policies with the one of `--policy`, checked
/// as `run --compare` checks its list.
fn policy(scenario: &mut Scenario, text: &str) -> anyhow::Result<()> {
    if crate::policy::split_policy_list(text).len() != 1 {
        return Err(flag(
            "--policy",
            text,
            "name one policy, e.g. fcfs or rr(q=0.5)",
        ));
    }
    let config = parse_policy_arg(text.trim(), "--policy").map_err(InputError::Flag)?;
    let policy =
        AnyPolicy::from_config(&config, &scenario.policy_context()).map_err(InputError::Flag)?;
    scenario
        .replace_policies(vec![(config, policy)])
        .map_err(InputError::Flag)?;
    Ok(())
}

/// A finite number, or null.
fn num(x: Option<f64>) -> Value {
    x.filter(|v| v.is_finite())
        .map_or(Value::Null, |v| json!(v))
}

/// A value as the parameter counts it: servers as whole numbers.
fn value(x: f64, decimals: usize) -> Value {
    if decimals == 0 {
        json!(x as u64)
    } else {
        json!(x)
    }
}

/// The JSON document: `parameter`, `target`, `answer`, `candidates` first.
fn document(scenario: &Scenario, size: &Size, o: &Outcome) -> Value {
    let candidates: Vec<Value> = o
        .candidates
        .iter()
        .map(|c| {
            json!({
                "value": value(c.value, o.decimals),
                "estimate": num(c.estimate),
                "ci95": num(c.ci95),
                "bound": num(c.decisive),
                "meets": c.meets,
                "source": c.source.name(),
            })
        })
        .collect();
    json!({
        "parameter": o.parameter,
        "target": o.target,
        "answer": value(o.answer, o.decimals),
        "candidates": candidates,
        "scenario": scenario.name,
        "node": scenario.nodes[size.node].name,
        "class": size.class,
        "policy": scenario.policies[0].label(),
        "decision": decision(size),
        "replications": scenario.replications,
        "jobs": jobs(scenario),
        "seed": scenario.seed,
        "theory": o.theory.as_ref().map(|(f, _)| f.clone()),
        "theory_kind": o.theory.as_ref().map(|(_, k)| k),
    })
}

fn decision(size: &Size) -> &'static str {
    if size.target.comparison.is_upper() {
        "95% upper confidence bound"
    } else {
        "95% lower confidence bound"
    }
}

fn jobs(scenario: &Scenario) -> Option<u64> {
    match scenario.horizon {
        Limit::Jobs(n) => Some(n),
        _ => None,
    }
}

fn fixed(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}")
}

/// One line of the candidates' table.
fn row(c: &Candidate, decimals: usize, width: usize) -> String {
    let text = |x: Option<f64>| x.map_or_else(|| "-".to_string(), sig);
    format!(
        "{:>width$}  {:>12}  {:>10}  {:>12}  {:<5}  {}\n",
        fixed(c.value, decimals),
        text(c.estimate),
        text(c.ci95),
        text(c.decisive),
        if c.meets { "yes" } else { "no" },
        c.source.name(),
    )
}

/// The readable report: what was searched, the candidates, the answer.
fn table(scenario: &Scenario, size: &Size, o: &Outcome) -> String {
    let node = &scenario.nodes[size.node].name;
    let mut out = String::new();
    let horizon = match jobs(scenario) {
        Some(n) => format!("{n} jobs"),
        None => "the scenario's horizon".to_string(),
    };
    out.push_str(&format!(
        "size {} of node `{node}` in {} under {}: {} replications of {horizon}, seed {}\n",
        o.parameter,
        scenario.name,
        scenario.policies[0].label(),
        scenario.replications,
        scenario.seed,
    ));
    let jobs_of = if size.class == "all" {
        "all jobs".to_string()
    } else {
        format!("class {}", size.class)
    };
    out.push_str(&format!(
        "target: {} ({jobs_of}), met when the {} meets it\n",
        o.target,
        decision(size)
    ));
    match &o.theory {
        Some((formula, kind)) => out.push_str(&format!(
            "theory: {formula} ({}) gives the starting point\n",
            match kind {
                crate::theory::Kind::Exact => "exact",
                crate::theory::Kind::Approximation => "approximation",
            }
        )),
        None => out.push_str(
            "theory: no formula applies; the search starts at the smallest stable value\n",
        ),
    }
    out.push('\n');
    let width = o
        .candidates
        .iter()
        .map(|c| fixed(c.value, o.decimals).len())
        .max()
        .unwrap_or(0)
        .max(o.parameter.len());
    out.push_str(&format!(
        "{:>width$}  {:>12}  {:>10}  {:>12}  {:<5}  {}\n",
        o.parameter, "estimate", "ci95", "bound", "meets", "source"
    ));
    for c in &o.candidates {
        out.push_str(&row(c, o.decimals, width));
    }
    let answer = fixed(o.answer, o.decimals);
    let unit = if o.parameter == "servers" {
        if answer == "1" { "server" } else { "servers" }
    } else {
        "speed"
    };
    out.push('\n');
    if o.parameter == "servers" {
        out.push_str(&format!("answer: {answer} {unit}\n"));
    } else {
        out.push_str(&format!("answer: {unit} {answer}\n"));
    }
    out.push_str(&format!(
        "bound: the estimate {} its 95% half-width; theory's rows carry no sampling error\n",
        if size.target.comparison.is_upper() {
            "plus"
        } else {
            "minus"
        }
    ));
    out
}
