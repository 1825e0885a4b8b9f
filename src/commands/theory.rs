//! `schedlab theory`: a closed form evaluated from flags, or every formula
//! that applies to a scenario.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::app::flag;
use crate::cli::TheoryArgs;
use crate::error::{FieldError, InputError};
use crate::experiment::selections;
use crate::model::Scenario;
use crate::model::dist::{Dist, DistSpec};
use crate::theory::{self, ClassLoad, Kind, Metrics, TheoryError};

/// Runs the subcommand.
pub fn run(args: &TheoryArgs) -> anyhow::Result<()> {
    let doc = if args.model.ends_with(".toml") || Path::new(&args.model).is_file() {
        scenario_document(args)?
    } else {
        model_document(args)?
    };
    if args.json {
        crate::api::emit_json(&doc, false)?;
    } else {
        print!("{}", render(&doc));
    }
    Ok(())
}

fn need(name: &str, value: Option<f64>) -> anyhow::Result<f64> {
    value.ok_or_else(|| flag(&format!("--{name}"), "(missing)", "this model needs it"))
}

fn need_servers(args: &TheoryArgs) -> anyhow::Result<u32> {
    let c = args
        .servers
        .ok_or_else(|| flag("--servers", "(missing)", "this model needs it"))?;
    // The formulas sum over the servers (and the capacity): O(c) each.
    crate::limits::check(
        "--servers",
        f64::from(c),
        f64::from(crate::limits::MAX_SERVERS),
        "the number of servers",
    )
    .map_err(crate::error::InputError::Flag)?;
    if let Some(k) = args.capacity {
        crate::limits::check(
            "--capacity",
            f64::from(k),
            f64::from(crate::limits::MAX_CAPACITY),
            "the capacity",
        )
        .map_err(crate::error::InputError::Flag)?;
    }
    Ok(c)
}

/// Turns a theory error into the document's answer or a bad-input error.
fn outcome(
    model: &str,
    kind: Kind,
    result: theory::Result<Map<String, Value>>,
) -> anyhow::Result<Value> {
    let mut doc = Map::new();
    doc.insert("model".into(), json!(model));
    doc.insert("kind".into(), json!(kind));
    match result {
        Ok(fields) => {
            doc.insert("stable".into(), json!(true));
            doc.extend(fields);
        }
        Err(TheoryError::Unstable { rho }) => {
            doc.insert("stable".into(), json!(false));
            doc.insert("rho".into(), json!(rho));
            doc.insert(
                "message".into(),
                json!(format!("unstable: load {rho:.4} >= 1, no steady state")),
            );
        }
        Err(TheoryError::Invalid {
            name,
            value,
            reason,
        }) => {
            return Err(flag(
                &format!("--{}", name.replace('_', "-")),
                value,
                reason,
            ));
        }
        Err(TheoryError::NotApplicable(why)) => {
            return Err(InputError::Flag(FieldError::new("model", model, why)).into());
        }
    }
    Ok(Value::Object(doc))
}

fn metrics_fields(m: &Metrics) -> Map<String, Value> {
    match serde_json::to_value(m) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn percentiles(
    args: &TheoryArgs,
    f: impl Fn(f64) -> theory::Result<f64>,
) -> anyhow::Result<Option<Value>> {
    if args.percentiles.is_empty() {
        return Ok(None);
    }
    let mut map = Map::new();
    for &p in &args.percentiles {
        if !(0.0..100.0).contains(&p) {
            return Err(flag("--percentiles", p, "percentiles lie in [0, 100)"));
        }
        match f(p / 100.0) {
            Ok(v) => {
                map.insert(format!("p{p}"), json!(v));
            }
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(Value::Object(map)))
}

/// Parses `NAME:key=value,...` into a distribution, through the same
/// validation as scenario files.
fn parse_service(text: &str) -> anyhow::Result<Dist> {
    let (name, params) = text.split_once(':').unwrap_or((text, ""));
    let mut toml_text = format!("dist = \"{}\"\n", name.trim());
    for kv in params.split(',').map(str::trim).filter(|kv| !kv.is_empty()) {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(flag(
                "--service",
                text,
                "write NAME:key=value,... e.g. exponential:mean=1",
            ));
        };
        toml_text.push_str(&format!("{} = {}\n", k.trim(), v.trim()));
    }
    let spec: DistSpec =
        toml::from_str(&toml_text).map_err(|e| flag("--service", text, e.message().trim()))?;
    Ok(Dist::from_spec(&spec, "--service", Path::new(".")).map_err(InputError::Flag)?)
}

/// The flags of `schedlab theory` that take a model's parameters, with
/// the value of each given (as written, lists joined by commas).
fn given_flags(args: &TheoryArgs) -> [(&'static str, Option<String>); 16] {
    let list = |v: &[f64]| {
        (!v.is_empty()).then(|| v.iter().map(f64::to_string).collect::<Vec<_>>().join(","))
    };
    [
        ("--lambda", args.lambda.map(|x| x.to_string())),
        ("--mu", args.mu.map(|x| x.to_string())),
        ("--servers", args.servers.map(|x| x.to_string())),
        ("--capacity", args.capacity.map(|x| x.to_string())),
        ("--es", args.es.map(|x| x.to_string())),
        ("--es2", args.es2.map(|x| x.to_string())),
        ("--scv", args.scv.map(|x| x.to_string())),
        ("--ca2", args.ca2.map(|x| x.to_string())),
        ("--cs2", args.cs2.map(|x| x.to_string())),
        ("--class", args.classes.first().cloned()),
        ("--preemptive", args.preemptive.then(|| "true".to_string())),
        ("--service", args.service.clone()),
        ("--percentiles", list(&args.percentiles)),
        ("--response-percentiles", list(&args.response_percentiles)),
        ("--population", args.population.map(|x| x.to_string())),
        ("--think", args.think.map(|x| x.to_string())),
    ]
}

/// The flags each model's formula uses (`None`: not a model name).
fn flags_of_model(model: &str) -> Option<&'static [&'static str]> {
    Some(match model {
        "mm1" => &["--lambda", "--mu", "--percentiles"],
        "mmc" => &[
            "--lambda",
            "--mu",
            "--servers",
            "--percentiles",
            "--response-percentiles",
        ],
        "mmck" => &["--lambda", "--mu", "--servers", "--capacity"],
        "erlang-b" => &["--lambda", "--mu", "--servers"],
        "md1" | "ps" => &["--lambda", "--es"],
        "mg1" => &["--lambda", "--es", "--es2", "--scv"],
        "srpt" | "fb" => &["--lambda", "--service"],
        "priority" => &["--class", "--preemptive"],
        "kingman" => &["--lambda", "--es", "--ca2", "--cs2"],
        "allen-cunneen" => &["--lambda", "--es", "--ca2", "--cs2", "--servers"],
        "repairman" => &["--mu", "--servers", "--population", "--think"],
        _ => return None,
    })
}

/// Refuses a flag the chosen formula does not use (`mm1 --servers 3`
/// would otherwise answer for one server without a word); a scenario file
/// takes none (its figures come from the file).
fn refuse_unused_flags(args: &TheoryArgs, model: &str, used: &[&str]) -> anyhow::Result<()> {
    let Some((name, Some(value))) = given_flags(args)
        .into_iter()
        .find(|(name, value)| value.is_some() && !used.contains(name))
    else {
        return Ok(());
    };
    let takes = if used.is_empty() {
        "none of the model flags (the scenario gives every parameter)".to_string()
    } else {
        used.join(", ")
    };
    Err(InputError::Flag(FieldError::new(
        name,
        value,
        format!("{model} does not use it; it takes {takes}"),
    ))
    .into())
}

/// Parses `--response-percentiles` (fractions in (0, 1)) into the
/// response-time quantiles `f` gives, keyed `p50`, `p99.9`, ...
fn response_percentiles(
    levels: &[f64],
    f: impl Fn(f64) -> theory::Result<f64>,
) -> anyhow::Result<Option<Value>> {
    if levels.is_empty() {
        return Ok(None);
    }
    let mut map = Map::new();
    for &p in levels {
        if !(p > 0.0 && p < 1.0) {
            return Err(flag(
                "--response-percentiles",
                p,
                "give fractions between 0 and 1, e.g. 0.5,0.9,0.99",
            ));
        }
        let percent = format!("{:.6}", 100.0 * p);
        let percent = percent.trim_end_matches('0').trim_end_matches('.');
        match f(p) {
            Ok(v) => {
                map.insert(format!("p{percent}"), json!(v));
            }
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(Value::Object(map)))
}

fn model_document(args: &TheoryArgs) -> anyhow::Result<Value> {
    let model = args.model.as_str();
    if let Some(used) = flags_of_model(model) {
        refuse_unused_flags(args, model, used)?;
    }
    let exact = Kind::Exact;
    match model {
        "mm1" => {
            let (l, mu) = (need("lambda", args.lambda)?, need("mu", args.mu)?);
            let r = theory::mm1(l, mu).map(|m| metrics_fields(&m));
            let mut doc = outcome("M/M/1", exact, r)?;
            if let Some(p) = percentiles(args, |p| theory::mm1_response_quantile(l, mu, p))? {
                doc["response_percentiles"] = p;
            }
            Ok(doc)
        }
        "mmc" => {
            let (l, mu, c) = (
                need("lambda", args.lambda)?,
                need("mu", args.mu)?,
                need_servers(args)?,
            );
            let r = theory::mmc(l, mu, c).map(|m| {
                let mut f = metrics_fields(&m.metrics);
                f.insert("p_wait".into(), json!(m.p_wait));
                f
            });
            let mut doc = outcome("M/M/c", exact, r)?;
            if let Some(p) = percentiles(args, |p| theory::mmc_wait_quantile(l, mu, c, p))? {
                doc["wait_percentiles"] = p;
            }
            if let Some(p) = response_percentiles(&args.response_percentiles, |p| {
                theory::mmc_response_quantile(l, mu, c, p)
            })? {
                doc["response_percentiles"] = p;
            }
            Ok(doc)
        }
        "mmck" => {
            let (l, mu, c) = (
                need("lambda", args.lambda)?,
                need("mu", args.mu)?,
                need_servers(args)?,
            );
            let k = args.capacity.ok_or_else(|| {
                flag(
                    "--capacity",
                    "(missing)",
                    "mmck needs the system capacity K",
                )
            })?;
            let r = theory::mmck(l, mu, c, k).map(|m| {
                let mut f = metrics_fields(&m.metrics);
                f.insert("p_block".into(), json!(m.p_block));
                f.insert("lambda_eff".into(), json!(m.lambda_eff));
                f
            });
            outcome("M/M/c/K", exact, r)
        }
        "erlang-b" => {
            let (l, mu, c) = (
                need("lambda", args.lambda)?,
                need("mu", args.mu)?,
                need_servers(args)?,
            );
            // The formula takes the offered load a = λ / μ: name the flags,
            // not `a`, when they are out of range or their ratio overflows.
            for (name, x) in [("--lambda", l), ("--mu", mu)] {
                if !(x.is_finite() && x > 0.0) {
                    return Err(flag(name, x, "must be a finite number greater than 0"));
                }
            }
            if !(l / mu).is_finite() || l / mu == 0.0 {
                return Err(flag(
                    "--lambda",
                    l,
                    &format!(
                        "over --mu = {mu:e}, the offered load λ/μ = {:e} is not a finite positive number",
                        l / mu
                    ),
                ));
            }
            let r = theory::erlang_b(l / mu, c).map(|b| {
                let mut f = Map::new();
                f.insert("offered_load".into(), json!(l / mu));
                f.insert("p_block".into(), json!(b));
                f.insert("carried_load".into(), json!(l / mu * (1.0 - b)));
                f
            });
            outcome("M/M/c/c (Erlang B)", exact, r)
        }
        "md1" => {
            let (l, d) = (need("lambda", args.lambda)?, need("es", args.es)?);
            outcome(
                "M/D/1",
                exact,
                theory::md1(l, d).map(|m| metrics_fields(&m)),
            )
        }
        "mg1" => {
            let (l, es) = (need("lambda", args.lambda)?, need("es", args.es)?);
            let es2 = match (args.es2, args.scv) {
                (Some(m2), None) => m2,
                (None, Some(scv)) => es * es * (1.0 + scv),
                _ => {
                    return Err(flag(
                        "--es2",
                        "(missing)",
                        "give exactly one of --es2 or --scv",
                    ));
                }
            };
            outcome(
                "M/G/1",
                exact,
                theory::mg1(l, es, es2).map(|m| metrics_fields(&m)),
            )
        }
        "ps" => {
            let (l, es) = (need("lambda", args.lambda)?, need("es", args.es)?);
            outcome(
                "M/G/1-PS",
                exact,
                theory::mg1_ps(l, es).map(|m| metrics_fields(&m)),
            )
        }
        "srpt" | "fb" => {
            let l = need("lambda", args.lambda)?;
            let text = args.service.as_deref().ok_or_else(|| {
                flag(
                    "--service",
                    "(missing)",
                    "give the size distribution, e.g. exponential:mean=1",
                )
            })?;
            let dist = parse_service(text)?;
            let (name, r) = if model == "srpt" {
                ("M/G/1-SRPT", theory::mg1_srpt(l, &dist))
            } else {
                ("M/G/1-FB", theory::mg1_fb(l, &dist))
            };
            outcome(name, exact, r.map(|m| metrics_fields(&m)))
        }
        "priority" => {
            if args.classes.is_empty() {
                return Err(flag(
                    "--class",
                    "(missing)",
                    "give each class as LAMBDA:ES:ES2, most urgent first",
                ));
            }
            let mut loads = Vec::new();
            for c in &args.classes {
                let parts: Vec<f64> = c
                    .split(':')
                    .map(|x| x.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| flag("--class", c, "write LAMBDA:ES:ES2 with three numbers"))?;
                let [lambda, es, es2] = parts[..] else {
                    return Err(flag("--class", c, "write LAMBDA:ES:ES2 with three numbers"));
                };
                loads.push(ClassLoad { lambda, es, es2 });
            }
            let results = if args.preemptive {
                theory::priority_preemptive_resume(&loads)
            } else {
                theory::priority_nonpreemptive(&loads)
            };
            let model = if args.preemptive {
                "M/G/1 preemptive-resume priority"
            } else {
                "M/G/1 non-preemptive priority (Cobham)"
            };
            let mut classes = Vec::new();
            let mut cumulative = 0.0;
            for (k, r) in results.into_iter().enumerate() {
                // Each class's own load λ_k E[S_k] beside the cumulative
                // σ_k of it and the more urgent classes (the `rho` the
                // formula's figures carry).
                let own = loads[k].lambda * loads[k].es;
                cumulative += own;
                let mut fields = Map::new();
                fields.insert("class".into(), json!(k));
                fields.insert("load".into(), json!(own));
                fields.insert("cumulative_load".into(), json!(cumulative));
                let one_result = r.map(|m| {
                    fields.extend(metrics_fields(&m));
                    fields
                });
                let mut one = outcome(model, exact, one_result)?;
                if let Value::Object(map) = &mut one {
                    map.shift_remove("model");
                    map.shift_remove("kind");
                    // An unstable class has only its loads to show.
                    map.entry("class").or_insert(json!(k));
                    map.entry("load").or_insert(json!(own));
                    map.entry("cumulative_load").or_insert(json!(cumulative));
                }
                classes.push(one);
            }
            Ok(json!({"model": model, "kind": exact, "classes": classes}))
        }
        "kingman" | "allen-cunneen" => {
            let (l, es) = (need("lambda", args.lambda)?, need("es", args.es)?);
            let (ca2, cs2) = (need("ca2", args.ca2)?, need("cs2", args.cs2)?);
            let (name, r) = if model == "kingman" {
                ("G/G/1 (Kingman)", theory::kingman(l, es, ca2, cs2))
            } else {
                (
                    "G/G/c (Allen-Cunneen)",
                    theory::allen_cunneen(l, es, need_servers(args)?, ca2, cs2),
                )
            };
            outcome(name, Kind::Approximation, r.map(|m| metrics_fields(&m)))
        }
        "repairman" => {
            let (mu, c) = (need("mu", args.mu)?, need_servers(args)?);
            let n = args
                .population
                .ok_or_else(|| flag("--population", "(missing)", "this model needs it"))?;
            let z = need("think", args.think)?;
            let r = theory::repairman(n, c, z, 1.0 / mu).map(|(l, x, w)| {
                let mut f = Map::new();
                f.insert("throughput".into(), json!(x));
                f.insert("mean_response".into(), json!(w));
                f.insert("mean_wait".into(), json!(w - 1.0 / mu));
                f.insert("mean_in_system".into(), json!(l));
                f.insert("mean_in_queue".into(), json!(l - x / mu));
                f.insert("utilization".into(), json!(x / (mu * f64::from(c))));
                f
            });
            outcome("M/M/c//N", exact, r)
        }
        other => Err(flag(
            "MODEL",
            other,
            "use one of mm1, mmc, mmck, erlang-b, md1, mg1, priority, ps, srpt, fb, kingman, allen-cunneen, repairman, or a scenario file",
        )),
    }
}

/// Every formula that applies to each policy and row of a scenario.
fn scenario_document(args: &TheoryArgs) -> anyhow::Result<Value> {
    refuse_unused_flags(args, "a scenario file", &[])?;
    let scenario = Scenario::from_file(Path::new(&args.model))?;
    crate::limits::check_scenario(&scenario).map_err(|error| crate::error::InputError::Field {
        path: scenario.path.clone(),
        error,
    })?;
    let mut rows = Vec::new();
    for policy in &scenario.policies {
        for (selection, class, node) in selections(&scenario) {
            let mut row = json!({"policy": policy.label(), "class": class, "node": node});
            match theory::predict(&scenario, policy, selection) {
                Some(p) => {
                    row["formula"] = json!(p.formula);
                    row["kind"] = json!(p.kind);
                    row["mean_wait"] = json!(p.mean_wait);
                    row["mean_response"] = json!(p.mean_response);
                    if let Some(pb) = p.p_block {
                        row["p_block"] = json!(pb);
                    }
                    if let Some(x) = p.throughput {
                        row["throughput"] = json!(x);
                    }
                }
                None => row["formula"] = Value::Null,
            }
            rows.push(row);
        }
    }
    let mut doc = json!({"scenario": scenario.name, "rows": rows});
    if let Some(TheoryError::Unstable { rho }) = theory::instability(&scenario) {
        doc["stable"] = json!(false);
        doc["rho"] = json!(rho);
    }
    Ok(doc)
}

/// A readable rendering of a theory document.
fn render(doc: &Value) -> String {
    let mut out = String::new();
    let fmt = |v: &Value| match v {
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .map_or_else(|| n.to_string(), |x| format!("{x:.6}")),
        Value::Number(n) => n.to_string(),
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let Value::Object(map) = doc else {
        return doc.to_string();
    };
    for (k, v) in map {
        match v {
            Value::Array(items) => {
                out.push_str(&format!("{k}:\n"));
                for item in items {
                    if let Value::Object(m) = item {
                        let parts: Vec<String> =
                            m.iter().map(|(k, v)| format!("{k}={}", fmt(v))).collect();
                        out.push_str(&format!("  {}\n", parts.join("  ")));
                    }
                }
            }
            Value::Object(m) => {
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={}", fmt(v))).collect();
                out.push_str(&format!("{k}: {}\n", parts.join("  ")));
            }
            v => out.push_str(&format!("{k}: {}\n", fmt(v))),
        }
    }
    out
}
