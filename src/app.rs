//! What each subcommand does, and how errors become messages and exit codes.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use serde::Serialize;

use crate::cli::{Cli, Command, RunArgs};
use crate::error::{FieldError, InputError};
use crate::experiment;
use crate::model::{Limit, Scenario};
use crate::policy::{AnyPolicy, PolicyConfig, PolicyContext, parse_policy_arg, split_policy_list};
use crate::report::{self, RunDocument};

/// Exit code for input the user must fix.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Theory(args) => crate::commands::theory::run(&args),
        Command::Optimize(command) => crate::commands::optimize::run(&command),
        Command::Gantt(args) => crate::commands::gantt::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.downcast_ref::<InputError>().is_some() {
                EXIT_BAD_INPUT
            } else {
                1
            };
            eprintln!("error: {e:#}");
            ExitCode::from(code)
        }
    }
}

pub(crate) fn flag(name: &str, value: impl ToString, message: &str) -> anyhow::Error {
    InputError::Flag(FieldError::new(name, value.to_string(), message)).into()
}

/// Loads the scenario and applies command-line overrides.
fn load(args: &RunArgs) -> anyhow::Result<Scenario> {
    let mut scenario = Scenario::from_file(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(r) = args.replications {
        if r == 0 {
            return Err(flag(
                "--replications",
                r,
                "must be at least 1 (2 or more for a confidence interval)",
            ));
        }
        scenario.replications = r;
    }
    if let Some(n) = args.jobs {
        if n == 0 {
            return Err(flag("--jobs", n, "must be at least 1"));
        }
        scenario.horizon = Limit::Jobs(n);
    }
    if let Some(list) = &args.compare {
        let context = PolicyContext {
            class_names: scenario.classes.iter().map(|c| c.name.clone()).collect(),
        };
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
    }
    if args.threads == Some(0) {
        return Err(flag("--threads", 0, "must be at least 1"));
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

#[derive(Serialize)]
struct Manifest<'a> {
    schedlab: &'static str,
    scenario_file: String,
    scenario: &'a str,
    seed: u64,
    replications: u32,
    command: Vec<String>,
    wall_seconds: f64,
    threads: usize,
    events: u64,
}

fn run(args: &RunArgs) -> anyhow::Result<()> {
    let scenario = load(args)?;
    for w in scenario.warnings() {
        eprintln!("warning: {w}");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()?;
    let started = Instant::now();
    let output = pool.install(|| experiment::run(&scenario));
    let wall = started.elapsed().as_secs_f64();
    let document = RunDocument::new(&scenario, &output);
    // Everything is rendered before anything is printed or written, so a
    // failure leaves no partial output behind.
    let json = document.to_json();
    let files = match &args.out {
        Some(_) => {
            let manifest = Manifest {
                schedlab: env!("CARGO_PKG_VERSION"),
                scenario_file: scenario.path.display().to_string(),
                scenario: &scenario.source,
                seed: scenario.seed,
                replications: scenario.replications,
                command: std::env::args().collect(),
                wall_seconds: wall,
                threads: pool.current_num_threads(),
                events: output.events,
            };
            vec![
                ("results.json", json.clone()),
                ("results.csv", report::csv(&output.rows)?),
                ("manifest.json", serde_json::to_string_pretty(&manifest)?),
            ]
        }
        None => Vec::new(),
    };
    if let Some(dir) = &args.out {
        write_outputs(dir, &files)?;
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{}", report::table(&scenario, &output, wall));
    }
    Ok(())
}

fn write_outputs(dir: &Path, files: &[(&str, String)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create directory: {e}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        report::write_atomic(&path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
    }
    Ok(())
}
