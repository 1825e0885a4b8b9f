//! `schedlab run`: a scenario's replications, the table, and the results tree.

use std::path::Path;
use std::time::Instant;

use crate::app::flag;
use crate::cli::RunArgs;
use crate::error::InputError;
use crate::experiment::{self, RunOutput};
use crate::model::{Limit, Scenario};
use crate::policy::{AnyPolicy, PolicyConfig, parse_policy_arg, split_policy_list};
use crate::report::files::{self, RunCsvs, RunData};
use crate::report::plot::{self, Rendered};
use crate::report::tree::{self, MANIFEST, Manifest, Tree, TreeKind};
use crate::report::{self, RunDocument};

/// Loads the scenario and applies command-line overrides.
pub fn load(args: &RunArgs) -> anyhow::Result<Scenario> {
    apply(Scenario::from_file(&args.scenario)?, args)
}

/// Applies the command-line overrides of `args` (all but its scenario
/// path) to a scenario already read, with the checks of `load`.
pub fn apply(mut scenario: Scenario, args: &RunArgs) -> anyhow::Result<Scenario> {
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    scenario.member_rows = args.per_node;
    if let Some(w) = &args.warmup {
        if w == "auto" {
            scenario.warmup = Limit::Jobs(0);
            scenario.warmup_auto = true;
        } else {
            let n: u64 = w
                .parse()
                .map_err(|_| flag("--warmup", w, "give `auto` or a number of jobs"))?;
            scenario.warmup = Limit::Jobs(n);
            scenario.warmup_auto = false;
        }
    }
    if let Some(list) = &args.compare {
        compare(&mut scenario, list)?;
    }
    if args.threads == Some(0) {
        return Err(flag("--threads", 0, "must be at least 1"));
    }
    if let Some(n) = args.max_present {
        if n == 0 {
            return Err(flag("--max-present", n, "must be at least 1"));
        }
        crate::limits::set_max_present(n);
    }
    if let Some(bin) = args.timeline {
        crate::model::output::positive_time(bin).map_err(|m| flag("--timeline", bin, &m))?;
        scenario.output.timeline = Some(bin);
    }
    if let Some(b) = args.batches {
        // One replication of b batches, as the size limits count them
        // (b itself is checked below, once --jobs has set the horizon).
        scenario.replications = 1;
        scenario.batches = Some(b);
    }
    check_size(&mut scenario, args.replications, args.jobs)?;
    if args.precision.is_some()
        || args.precision_metric.is_some()
        || args.max_replications.is_some()
    {
        let given = scenario.precision;
        let target = args.precision.or(given.map(|p| p.target)).ok_or_else(|| {
            flag(
                if args.precision_metric.is_some() {
                    "--precision-metric"
                } else {
                    "--max-replications"
                },
                "(given)",
                "applies with --precision (or `precision` in the scenario)",
            )
        })?;
        let metric = match &args.precision_metric {
            Some(m) => m.clone(),
            None => given
                .map_or("mean_response", |p| p.metric.name())
                .to_string(),
        };
        let max = args.max_replications.or(given.map(|p| p.max_replications));
        scenario.precision = Some(
            crate::model::scenario::precision(target, &metric, max, scenario.replications)
                .map_err(|(field, value, message)| {
                    let field = match field {
                        "precision" => "--precision",
                        "precision_metric" => "--precision-metric",
                        _ => "--max-replications",
                    };
                    flag(field, value, &message)
                })?,
        );
    }
    if let Some(b) = args.batches.or(scenario.batches) {
        let (field, value) = if args.batches.is_some() {
            ("--batches", b.to_string())
        } else {
            ("batches", b.to_string())
        };
        if let Some(r) = args.replications.filter(|&r| r > 1) {
            return Err(flag(
                "--replications",
                r,
                &format!(
                    "batch means ({field} {value}) measure one long replication; drop one of them"
                ),
            ));
        }
        if scenario.precision.is_some() {
            return Err(flag(
                if args.precision.is_some() {
                    "--precision"
                } else {
                    field
                },
                if args.precision.is_some() {
                    "(given)".to_string()
                } else {
                    value
                },
                "--precision adds replications and --batches measures one: give one of them",
            ));
        }
        scenario.batches = Some(
            crate::model::scenario::batches(b, scenario.horizon)
                .map_err(|(_, value, message)| flag(field, value, &message))?,
        );
        scenario.replications = 1;
    }
    if let Some(list) = &args.size_bins {
        let edges = list
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<Vec<f64>, _>>()
            .map_err(|_| flag("--size-bins", list, "give numbers separated by commas"))?;
        crate::model::output::check_edges(&edges).map_err(|m| flag("--size-bins", list, &m))?;
        scenario.output.size_bins = Some(edges);
    }
    if let Some(out) = &args.out
        && out.exists()
        && !out.is_dir()
    {
        return Err(flag(
            "--out",
            out.display(),
            "exists and is not a directory",
        ));
    }
    Ok(scenario)
}

/// Applies `--replications` and `--jobs` (where given) to a scenario and
/// checks it against the size limits of [`crate::limits`] (servers, nodes,
/// capacity, replications, jobs, the events and the memory estimated),
/// which `--no-limits` lifts: what `run`, `sweep`, `merge` and `validate`
/// all refuse before anything runs.
///
/// Whatever the flags, `--jobs` must leave the warm-up plus the horizon
/// countable in 64 bits: the engine counts completions against their sum.
pub fn check_size(
    scenario: &mut Scenario,
    replications: Option<u32>,
    jobs: Option<u64>,
) -> anyhow::Result<()> {
    if let Some(r) = replications {
        if r == 0 {
            return Err(flag(
                "--replications",
                r,
                "must be at least 1 (2 or more for a confidence interval)",
            ));
        }
        crate::limits::check(
            "--replications",
            f64::from(r),
            f64::from(crate::limits::MAX_REPLICATIONS),
            "the number of replications",
        )
        .map_err(InputError::Flag)?;
        scenario.replications = r;
    }
    if let Some(n) = jobs {
        if n == 0 {
            return Err(flag("--jobs", n, "must be at least 1"));
        }
        crate::limits::check(
            "--jobs",
            n as f64,
            crate::limits::MAX_JOBS as f64,
            "the number of jobs of a replication",
        )
        .map_err(InputError::Flag)?;
        if let Limit::Jobs(w) = scenario.warmup
            && w.checked_add(n).is_none()
        {
            return Err(flag(
                "--jobs",
                n,
                &format!(
                    "with warmup.jobs = {w}, the jobs of a replication exceed a 64-bit count \
                     ({}); --no-limits does not lift this",
                    u64::MAX
                ),
            ));
        }
        scenario.horizon = Limit::Jobs(n);
    }
    crate::limits::check_scenario(scenario).map_err(|error| InputError::Field {
        path: scenario.path.clone(),
        error,
    })?;
    Ok(())
}

/// Replaces the scenario's policies with those of `--compare LIST` (the
/// first being the baseline), checked as the file's are.
pub fn compare(scenario: &mut Scenario, list: &str) -> anyhow::Result<()> {
    let context = scenario.policy_context();
    let mut policies: Vec<(PolicyConfig, AnyPolicy)> = Vec::new();
    for item in split_policy_list(list) {
        let config = parse_policy_arg(item, "--compare").map_err(InputError::Flag)?;
        let policy = AnyPolicy::from_config(&config, &context).map_err(InputError::Flag)?;
        if policies.iter().any(|(_, p)| p.label() == policy.label()) {
            return Err(flag(
                "--compare",
                item,
                "this policy is already in the list",
            ));
        }
        policies.push((config, policy));
    }
    if policies.is_empty() {
        return Err(flag("--compare", list, "list at least one policy"));
    }
    scenario
        .replace_policies(policies)
        .map_err(InputError::Flag)?;
    Ok(())
}

/// The rayon pool of `--threads` (all cores by default).
pub fn pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()?)
}

/// The manifest fields every kind of tree shares.
pub fn manifest(
    kind: &str,
    scenario: &Scenario,
    wall_seconds: f64,
    threads: usize,
    events: u64,
) -> Manifest {
    Manifest {
        schedlab: env!("CARGO_PKG_VERSION").to_string(),
        kind: kind.to_string(),
        scenario_name: scenario.name.clone(),
        scenario_file: scenario.path.display().to_string(),
        scenario: scenario.source.clone(),
        seed: scenario.seed,
        replications: scenario.replications,
        param: None,
        values: Vec::new(),
        command: std::env::args().collect(),
        wall_seconds,
        threads,
        host_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        events,
        merged: false,
        shards: Vec::new(),
    }
}

pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let scenario = load(args)?;
    if let Some(dir) = &args.out {
        tree::check_out(dir, TreeKind::Run, args.force)?;
    }
    for w in scenario.warnings() {
        eprintln!("warning: {w}");
    }
    let pool = pool(args.threads)?;
    let started = Instant::now();
    // Runs of more than about a second show how far they are.
    let total = u64::from(scenario.replications) * scenario.policies.len() as u64;
    let bar = super::Progress::new(total, std::time::Duration::from_secs(1));
    let output = pool.install(|| experiment::run_with_progress(&scenario, &|| bar.inc()));
    bar.finish();
    let wall = started.elapsed().as_secs_f64();
    if let Some(first) = output.unstable.first() {
        let line = experiment::unstable_line(&scenario.path, first, output.unstable.len());
        anyhow::bail!("{line}; nothing written");
    }
    if let Some(line) = experiment::imbalance_line(&scenario.path, &output.rows) {
        anyhow::bail!("{line}; nothing written");
    }
    let document = RunDocument::new(&scenario, &output);
    // Everything is rendered before anything is printed or written, so a
    // failure leaves no partial output behind.
    let json = document.to_json();
    if let Some(dir) = &args.out {
        let manifest = manifest(
            "run",
            &scenario,
            wall,
            pool.current_num_threads(),
            output.events,
        );
        let tree = run_tree(&scenario, &output, &json, &manifest, dir)?;
        tree.write_out(dir, TreeKind::Run, args.force)?;
    }
    if args.json {
        println!("{json}");
    } else {
        print!(
            "{}",
            report::table_with(&scenario, &output, wall, args.wide)
        );
    }
    Ok(())
}

/// The files of a run's tree, pictures included.
fn run_tree(
    scenario: &Scenario,
    output: &RunOutput,
    json: &str,
    manifest: &Manifest,
    dir: &Path,
) -> anyhow::Result<Tree> {
    let csvs = RunCsvs::new(scenario, output)?;
    let pictures = run_pictures(&scenario.name, dir, &csvs)?;
    let mut tree = Tree::default();
    tree.add("results.json", json);
    tree.add(files::RESULTS, csvs.results);
    tree.add(files::CDF, csvs.cdf);
    tree.add(files::HISTOGRAM, csvs.histogram);
    tree.add(files::SAMPLE_PATH, csvs.sample_path);
    tree.add(files::SIZE_BINS, csvs.size_bins);
    if !csvs.alarms.is_empty() {
        tree.add(files::ALARMS, csvs.alarms);
    }
    if !csvs.attempts.is_empty() {
        tree.add(files::ATTEMPTS, csvs.attempts);
    }
    if !csvs.alarm_intervals.is_empty() {
        tree.add(files::ALARM_INTERVALS, csvs.alarm_intervals);
    }
    if !csvs.timeline.is_empty() {
        tree.add(files::TIMELINE, csvs.timeline);
    }
    tree.add(MANIFEST, serde_json::to_string_pretty(manifest)?);
    tree.add_pictures(pictures);
    Ok(tree)
}

/// The pictures of a run, drawn from the CSV texts of its tree (so that
/// `schedlab plot` redraws them identically from the files).
pub fn run_pictures(scenario: &str, dir: &Path, csvs: &RunCsvs) -> anyhow::Result<Vec<Rendered>> {
    let data = RunData::parse(
        scenario,
        dir,
        &csvs.results,
        Some(&csvs.cdf),
        Some(&csvs.histogram),
        Some(&csvs.sample_path),
        Some(&csvs.size_bins),
    )?
    .with_lifecycle(
        dir,
        Some(csvs.attempts.as_str()).filter(|t| !t.is_empty()),
        Some(csvs.alarm_intervals.as_str()).filter(|t| !t.is_empty()),
    )?
    .with_timeline(dir, Some(csvs.timeline.as_str()).filter(|t| !t.is_empty()))?;
    plot::run_pictures(&data)
}
