//! `schedlab sweep`: one parameter varied, every policy at each value.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::app::flag;
use crate::cli::{RunArgs, SweepArgs};
use crate::cluster::{self, Engine};
use crate::error::InputError;
use crate::model::Scenario;
use crate::report::files::{self, SweepRecord};
use crate::report::plot::{self, Rendered};
use crate::report::tree::{self, MANIFEST, Tree, TreeKind};
use crate::report::{ResultRecord, percent, sig, with_ci};
use crate::shard::{self, Definition, ShardFile};
use crate::sweep::{self, Sweep, SweepOutput, Values};

/// What a `schedlab sweep` command line asks for.
enum Mode {
    /// The whole sweep here.
    Whole,
    /// Shard K of N here.
    Shard(usize, usize),
    /// A script running N shards on an engine.
    Emit(Engine, usize),
}

/// Checks the flags of sharding and scripts against each other.
fn mode(args: &SweepArgs) -> anyhow::Result<Mode> {
    let slurm_only = [
        ("--partition", args.partition.is_some()),
        ("--time", args.time.is_some()),
        ("--cpus-per-task", args.cpus_per_task.is_some()),
    ];
    let need_out = |what: &str| -> anyhow::Result<()> {
        if args.run.out.is_none() {
            return Err(flag("--out", "(missing)", what));
        }
        if args.run.json {
            return Err(flag(
                "--json",
                "true",
                "prints a sweep's results: not with --shard or --emit (merge --json does)",
            ));
        }
        Ok(())
    };
    match (&args.shard, &args.emit) {
        (Some(_), Some(_)) => Err(flag(
            "--shard",
            args.shard.as_deref().unwrap_or_default(),
            "runs one shard, and --emit writes a script that runs them all: give one of them",
        )),
        (Some(text), None) => {
            let (k, n) = shard::parse_shard(text, "--shard").map_err(InputError::Flag)?;
            need_out("--shard K/N writes its shard file into --out DIR/shard-K")?;
            if let Some(n) = args.shards {
                return Err(flag(
                    "--shards",
                    n,
                    "goes with --emit (--shard K/N names N)",
                ));
            }
            for (name, given) in slurm_only {
                if given {
                    return Err(flag(name, "(given)", "goes with --emit slurm"));
                }
            }
            if args.max_running.is_some() {
                return Err(flag("--max-running", "(given)", "goes with --emit"));
            }
            Ok(Mode::Shard(k, n))
        }
        (None, Some(name)) => {
            let engine = Engine::parse(name).ok_or_else(|| {
                flag(
                    "--emit",
                    name,
                    &format!("unknown engine; engines are: {}", Engine::NAMES),
                )
            })?;
            let n = match args.shards {
                None => return Err(flag("--shards", "(missing)", "--emit needs --shards N")),
                Some(0) => return Err(flag("--shards", 0, "must be at least 1")),
                Some(n) if n > shard::MAX_SHARDS as u64 => {
                    return Err(flag(
                        "--shards",
                        n,
                        &format!("must be at most {}", shard::MAX_SHARDS),
                    ));
                }
                Some(n) => n as usize,
            };
            need_out("--emit writes a script whose shards and merge go into --out DIR")?;
            if engine != Engine::Slurm {
                for (name, given) in slurm_only {
                    if given {
                        return Err(flag(name, "(given)", "goes with --emit slurm"));
                    }
                }
            }
            if args.cpus_per_task == Some(0) {
                return Err(flag("--cpus-per-task", 0, "must be at least 1"));
            }
            if args.max_running == Some(0) {
                return Err(flag("--max-running", 0, "must be at least 1"));
            }
            for (name, value) in [("--partition", &args.partition), ("--time", &args.time)] {
                if let Some(v) = value
                    && (v.trim().is_empty() || v.contains('\n'))
                {
                    return Err(flag(name, format!("{v:?}"), "must be one non-empty word"));
                }
            }
            Ok(Mode::Emit(engine, n))
        }
        (None, None) => {
            if let Some(n) = args.shards {
                return Err(flag("--shards", n, "goes with --emit slurm|parallel"));
            }
            for (name, given) in slurm_only {
                if given {
                    return Err(flag(name, "(given)", "goes with --emit slurm"));
                }
            }
            if args.max_running.is_some() {
                return Err(flag("--max-running", "(given)", "goes with --emit"));
            }
            Ok(Mode::Whole)
        }
    }
}

pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    if let Some(list) = &args.run.size_bins {
        return Err(crate::app::flag(
            "--size-bins",
            list,
            "is a flag of `schedlab run`: a sweep reports no size bins",
        ));
    }
    if args.run.wide {
        return Err(crate::app::flag(
            "--wide",
            "true",
            "is a flag of `schedlab run`: the sweep table has one form",
        ));
    }
    let mode = mode(args)?;
    let scenario = super::run::load(&args.run)?;
    if let Some(dir) = &args.run.out {
        match mode {
            Mode::Whole => tree::check_out(dir, TreeKind::Sweep, args.run.force)?,
            Mode::Shard(..) => tree::check_out(dir, TreeKind::Shard, args.run.force)?,
            Mode::Emit(..) => {}
        }
    }
    let sweep = plan(args, &scenario)?;
    match mode {
        Mode::Whole => whole(args, &scenario, &sweep),
        Mode::Shard(k, n) => run_shard(args, &scenario, &sweep, k, n),
        Mode::Emit(engine, n) => emit(args, &scenario, &sweep, engine, n),
    }
}

/// The sweep's progress bar, on a terminal from the start.
fn progress(total: u64) -> super::Progress {
    super::Progress::new(total, std::time::Duration::ZERO)
}

fn whole(args: &SweepArgs, scenario: &Scenario, sweep: &Sweep) -> anyhow::Result<()> {
    let pool = super::run::pool(args.run.threads)?;
    let total = sweep.values.len() as u64
        * scenario.policies.len() as u64
        * u64::from(scenario.replications);
    let bar = progress(total);
    let started = Instant::now();
    let output = pool
        .install(|| sweep::run(scenario, sweep, &|| bar.inc()))
        .map_err(|error| InputError::Field {
            path: scenario.path.clone(),
            error,
        })?;
    bar.finish();
    if let Some(first) = output.unstable.first() {
        unstable_failure(scenario, first, output.unstable.len())?;
    }
    let wall = started.elapsed().as_secs_f64();
    finish(
        scenario,
        sweep,
        &output,
        args.run.out.as_deref(),
        args.run.json,
        wall,
        pool.current_num_threads(),
        &[],
        args.run.force,
    )
}

/// Prints a sweep's warnings and table (or JSON document) and writes its
/// results tree into `out`: the one path by which both a sweep and a merge
/// of its shards render their files. `shards` lists the merged shard files.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    scenario: &Scenario,
    sweep: &Sweep,
    output: &SweepOutput,
    out: Option<&Path>,
    json_out: bool,
    wall: f64,
    threads: usize,
    shards: &[String],
    force: bool,
) -> anyhow::Result<()> {
    for w in &output.warnings {
        eprintln!("warning: {w}");
    }
    let records = files::sweep_records(output);
    let csv = files::to_csv(&records)?;
    let json = serde_json::to_string_pretty(&SweepDocument::new(scenario, output))?;
    if let Some(dir) = out {
        let mut manifest = super::run::manifest("sweep", scenario, wall, threads, output.events);
        manifest.param = Some(sweep.name.clone());
        manifest.values = sweep.values.clone();
        manifest.merged = !shards.is_empty();
        manifest.shards = shards.to_vec();
        let pictures = sweep_pictures(&scenario.name, dir, &csv)?;
        let mut tree = Tree::default();
        tree.add(files::SWEEP, csv.clone());
        tree.add("sweep.json", json.clone());
        tree.add(MANIFEST, serde_json::to_string_pretty(&manifest)?);
        tree.add_pictures(pictures);
        tree.write_out(dir, TreeKind::Sweep, force)?;
    }
    if json_out {
        println!("{json}");
    } else {
        print!("{}", table(&scenario.name, output, &records, wall));
    }
    Ok(())
}

/// The overrides of the command line, as a shard records them.
pub fn definition(args: &SweepArgs) -> Definition {
    Definition {
        seed: args.run.seed,
        replications: args.run.replications,
        jobs: args.run.jobs,
        compare: args.run.compare.clone(),
        param: args.param.clone(),
        values: args.values.clone(),
    }
}

/// The command line of a sweep with the overrides `d`, for `scenario`:
/// how a merge rebuilds the sweep its shards ran.
pub fn args_of(d: &Definition, scenario: PathBuf) -> SweepArgs {
    SweepArgs::new(
        RunArgs {
            scenario,
            seed: d.seed,
            replications: d.replications,
            jobs: d.jobs,
            json: false,
            compare: d.compare.clone(),
            ..Default::default()
        },
        d.param.clone(),
        d.values.clone(),
    )
}

/// The same overrides as flags, word by word (for scripts).
fn flags_of(d: &Definition) -> Vec<String> {
    let mut words = Vec::new();
    let mut add = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            words.push(name.to_string());
            words.push(v);
        }
    };
    add("--seed", d.seed.map(|v| v.to_string()));
    add("--replications", d.replications.map(|v| v.to_string()));
    add("--jobs", d.jobs.map(|v| v.to_string()));
    add("--compare", d.compare.clone());
    add("--param", d.param.clone());
    add("--values", d.values.clone());
    words
}

/// An absolute form of `path`, resolving links where it exists.
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    match path.canonicalize() {
        Ok(p) => Ok(p),
        Err(_) => Ok(std::path::absolute(path)?),
    }
}

/// A sweep (or shard) of which `count` replications stopped with too many
/// jobs present: exit 1, nothing written, as `run` does.
fn unstable_failure(scenario: &Scenario, first: &str, count: usize) -> anyhow::Result<()> {
    let line = crate::experiment::unstable_line(&scenario.path, &first, count);
    anyhow::bail!("{line}; nothing written")
}

fn run_shard(
    args: &SweepArgs,
    scenario: &Scenario,
    sweep: &Sweep,
    k: usize,
    n: usize,
) -> anyhow::Result<()> {
    let dir = args.run.out.as_deref().expect("checked by mode");
    let points = sweep::points(scenario, sweep).map_err(|error| InputError::Field {
        path: scenario.path.clone(),
        error,
    })?;
    let pool = super::run::pool(args.run.threads)?;
    let sweep_units = sweep::units(&points).len();
    let share = shard::share(&points, k, n).len();
    let bar = progress(share as u64);
    let started = Instant::now();
    let units = pool.install(|| shard::run(&points, k, n, &|| bar.inc()));
    bar.finish();
    let stopped: Vec<String> = units
        .iter()
        .filter_map(|u| u.unstable_message(&points, sweep))
        .collect();
    if let Some(first) = stopped.first() {
        unstable_failure(scenario, first, stopped.len())?;
    }
    let definition = definition(args);
    let version = env!("CARGO_PKG_VERSION");
    let file = ShardFile {
        schedlab_shard: shard::FORMAT,
        schedlab: version.to_string(),
        fingerprint: shard::fingerprint(version, &scenario.source, &definition),
        shard: k,
        shards: n,
        scenario_file: absolute(&scenario.path)?.display().to_string(),
        scenario: scenario.source.clone(),
        sweep: definition,
        param: sweep.name.clone(),
        values: sweep.values.clone(),
        policies: scenario.policies.iter().map(|p| p.label()).collect(),
        replications: scenario.replications,
        seed: scenario.seed,
        sweep_units,
        units,
    };
    let events: u64 = file.units.iter().map(|u| u.events).sum();
    let mut text = serde_json::to_string(&file)?;
    text.push('\n');
    let mut tree = Tree::default();
    tree.add(shard::FILE, text);
    tree.write_out(dir, TreeKind::Shard, args.run.force)?;
    println!(
        "shard {k}/{n}: {share} of the sweep's {sweep_units} units (point x policy x replication), \
         {events} events in {:.2} s -> {}",
        started.elapsed().as_secs_f64(),
        dir.join(shard::FILE).display()
    );
    Ok(())
}

fn emit(
    args: &SweepArgs,
    scenario: &Scenario,
    sweep: &Sweep,
    engine: Engine,
    n: usize,
) -> anyhow::Result<()> {
    let out = args.run.out.as_deref().expect("checked by mode");
    let points = sweep::points(scenario, sweep).map_err(|error| InputError::Field {
        path: scenario.path.clone(),
        error,
    })?;
    let units = sweep::units(&points).len();
    if n > units {
        eprintln!(
            "warning: --shards {n} is more than the sweep's {units} units: some shards will be empty"
        );
    }
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| anyhow::anyhow!("cannot find the schedlab binary's path: {e}"))?;
    let plan = cluster::Plan {
        exe,
        scenario: absolute(&scenario.path)?,
        out: absolute(out)?,
        shards: n,
        sweep_args: flags_of(&definition(args)),
        partition: args.partition.clone(),
        time: args.time.clone(),
        cpus_per_task: args.cpus_per_task,
        max_running: args.max_running,
        summary: format!(
            "sweep of {} over {} value(s) x {} policies x {} replications = {units} units, in {n} shards",
            sweep.name,
            sweep.values.len(),
            scenario.policies.len(),
            scenario.replications
        ),
    };
    print!("{}", plan.script(engine));
    Ok(())
}

/// The sweep `args` (or else the scenario's `[sweep]` section) describes,
/// checked against the scenario.
pub fn plan(args: &SweepArgs, scenario: &Scenario) -> anyhow::Result<Sweep> {
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
    // With several classes, a line per (point, policy, class).
    let several = records
        .iter()
        .filter(|r| r.class != "all" && r.point == 0)
        .count()
        > records
            .iter()
            .filter(|r| r.class == "all" && r.point == 0)
            .count();
    let header = [
        output.param.as_str(),
        "load",
        "policy",
        "class",
        "mean response",
        "theory W",
        "err",
        "in CI",
        "p95",
        "slowdown",
        "bounded slowdown",
    ];
    // A load sweep's value is the load: one column says it.
    let skip = usize::from(output.param == "load");
    let keep = |i: usize| (i != 1 || skip == 0) && (i != 3 || several);
    let header: Vec<&str> = header
        .iter()
        .enumerate()
        .filter(|&(i, _)| keep(i))
        .map(|(_, h)| *h)
        .collect();
    let whole = crate::sweep::whole_numbered(&output.param);
    let lines: Vec<Vec<String>> = records
        .iter()
        .filter(|r| several || r.class == "all")
        .map(|r| {
            vec![
                if whole && r.value.fract() == 0.0 {
                    format!("{}", r.value as u64)
                } else {
                    sig(r.value)
                },
                sig(r.load),
                r.policy.clone(),
                r.class.clone(),
                with_ci(r.mean_response, r.mean_response_ci95),
                r.theory_mean_response.map_or("-".into(), sig),
                percent(r.theory_rel_error),
                r.theory_within_ci
                    .map_or("-".into(), |w| if w { "yes" } else { "no" }.into()),
                r.p95_response.map_or("-".into(), sig),
                with_ci(r.mean_slowdown, r.mean_slowdown_ci95),
                with_ci(r.mean_bounded_slowdown, r.mean_bounded_slowdown_ci95),
            ]
            .into_iter()
            .enumerate()
            .filter(|&(i, _)| keep(i))
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
                if i == 2 - skip || (several && i == 3 - skip) {
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
         response where one applies; slowdown = response / time in service (its mean shown only where \
         every size distribution has a finite E[1/size]), bounded slowdown = max(1, response / \
         max(tau, time in service)); {} events in {wall:.2} s",
        output.events
    );
    out
}
