//! `schedlab sweep`: one parameter varied, every policy at each value.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::app::flag;
use crate::cli::SweepArgs;
use crate::error::InputError;
use crate::report::files::{self, SweepRecord};
use crate::report::plot::{self, Rendered};
use crate::report::tree::{MANIFEST, Tree};
use crate::report::{ResultRecord, sig, with_ci};
use crate::sweep::{self, Sweep, SweepOutput, Values};

pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    let scenario = super::run::load(&args.run)?;
    let sweep = plan(args, &scenario)?;
    let pool = super::run::pool(args.run.threads)?;
    let total = sweep.values.len() as u64
        * scenario.policies.len() as u64
        * u64::from(scenario.replications);
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} replications, eta {eta}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let output = pool
        .install(|| sweep::run(&scenario, &sweep, &|| bar.inc(1)))
        .map_err(|error| InputError::Field {
            path: scenario.path.clone(),
            error,
        })?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    for w in &output.warnings {
        eprintln!("warning: {w}");
    }
    let records = files::sweep_records(&output);
    let csv = files::to_csv(&records)?;
    let json = serde_json::to_string_pretty(&SweepDocument::new(&scenario, &output))?;
    if let Some(dir) = &args.run.out {
        let mut manifest = super::run::manifest(
            "sweep",
            &scenario,
            wall,
            pool.current_num_threads(),
            output.events,
        );
        manifest.param = Some(sweep.name.clone());
        manifest.values = sweep.values.clone();
        let pictures = sweep_pictures(&scenario.name, dir, &csv)?;
        let mut tree = Tree::default();
        tree.add(files::SWEEP, csv.clone());
        tree.add("sweep.json", json.clone());
        tree.add(MANIFEST, serde_json::to_string_pretty(&manifest)?);
        tree.add_pictures(pictures);
        tree.write(dir)?;
    }
    if args.run.json {
        println!("{json}");
    } else {
        print!("{}", table(&scenario.name, &output, &records, wall));
    }
    Ok(())
}

/// The sweep `args` (or else the scenario's `[sweep]` section) describes,
/// checked against the scenario.
pub fn plan(args: &SweepArgs, scenario: &crate::model::Scenario) -> anyhow::Result<Sweep> {
    let sweep = match (&args.param, &args.values, &scenario.sweep) {
        (Some(param), Some(values), _) => Sweep::new(
            scenario,
            param,
            &Values::Text(values.clone()),
            "--param",
            "--values",
        ),
        (Some(_), None, _) => return Err(flag("--values", "(missing)", "--param needs --values")),
        (None, Some(_), _) => return Err(flag("--param", "(missing)", "--values needs --param")),
        // Checked again: --compare may have replaced the policies.
        (None, None, Some(s)) => Sweep::new(
            scenario,
            &s.name,
            &Values::List(s.values.clone()),
            "sweep.param",
            "sweep.values",
        ),
        (None, None, None) => {
            return Err(flag(
                "--param",
                "(missing)",
                "give --param and --values, or a [sweep] section in the scenario",
            ));
        }
    }
    .map_err(|e| match (&args.param, e.field.starts_with("--")) {
        (_, true) => InputError::Flag(e),
        _ => InputError::Field {
            path: scenario.path.clone(),
            error: e,
        },
    })?;
    Ok(sweep)
}

/// The pictures of a sweep, drawn from the text of its `sweep.csv`.
pub fn sweep_pictures(scenario: &str, dir: &Path, csv: &str) -> anyhow::Result<Vec<Rendered>> {
    let records: Vec<SweepRecord> = files::from_csv(csv, &dir.join(files::SWEEP))?;
    plot::sweep_pictures(&records, scenario)
}

/// The JSON document of `schedlab sweep --json`.
#[derive(Serialize)]
pub struct SweepDocument {
    schedlab: &'static str,
    scenario: String,
    seed: u64,
    replications: u32,
    param: String,
    points: Vec<PointDocument>,
}

#[derive(Serialize)]
pub struct PointDocument {
    value: f64,
    load: f64,
    results: Vec<ResultRecord>,
}

impl SweepDocument {
    pub fn new(scenario: &crate::model::Scenario, output: &SweepOutput) -> SweepDocument {
        SweepDocument {
            schedlab: env!("CARGO_PKG_VERSION"),
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            replications: scenario.replications,
            param: output.param.clone(),
            points: output
                .points
                .iter()
                .map(|p| PointDocument {
                    value: p.value,
                    load: p.load,
                    results: p.rows.iter().map(ResultRecord::from).collect(),
                })
                .collect(),
        }
    }
}

/// One line per (point, policy) for all jobs: the figures a reader scans.
fn table(scenario: &str, output: &SweepOutput, records: &[SweepRecord], wall: f64) -> String {
    let header = [
        output.param.as_str(),
        "load",
        "policy",
        "mean response",
        "theory W",
        "err",
        "in CI",
        "p95",
        "slowdown",
    ];
    // A load sweep's value is the load: one column says it.
    let skip = usize::from(output.param == "load");
    let header = [&header[..1], &header[1 + skip..]].concat();
    let lines: Vec<Vec<String>> = records
        .iter()
        .filter(|r| r.class == "all")
        .map(|r| {
            vec![
                sig(r.value),
                sig(r.load),
                r.policy.clone(),
                with_ci(r.mean_response, r.mean_response_ci95),
                r.theory_mean_response.map_or("-".into(), sig),
                r.theory_rel_error
                    .map_or("-".into(), |e| format!("{:+.2}%", 100.0 * e)),
                r.theory_within_ci
                    .map_or("-".into(), |w| if w { "yes" } else { "no" }.into()),
                r.p95_response.map_or("-".into(), sig),
                with_ci(r.mean_slowdown, r.mean_slowdown_ci95),
            ]
            .into_iter()
            .enumerate()
            .filter(|&(i, _)| i != 1 || skip == 0)
            .map(|(_, c)| c)
            .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sweep of {} over {} value(s), scenario {scenario}",
        output.param,
        output.points.len()
    );
    let mut line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 2 - skip {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    line(header.to_vec());
    for l in &lines {
        line(l.iter().map(String::as_str).collect());
    }
    let _ = writeln!(
        out,
        "± is a 95% confidence half-width over replications; theory W is the closed-form mean \
         response where one applies; slowdown = response / time in service; {} events in {wall:.2} s",
        output.events
    );
    out
}
