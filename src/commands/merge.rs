//! `schedlab merge`: the shards of a sweep into the results tree of the
//! whole sweep (see `crate::shard`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::app::flag;
use crate::cli::MergeArgs;
use crate::error::{FieldError, InputError};
use crate::model::Scenario;
use crate::shard::{self, Loaded};

pub fn run(args: &MergeArgs) -> anyhow::Result<()> {
    if args.threads == Some(0) {
        return Err(flag("--threads", 0, "must be at least 1"));
    }
    if args.out.exists() && !args.out.is_dir() {
        return Err(flag(
            "--out",
            args.out.display(),
            "exists and is not a directory",
        ));
    }
    crate::report::tree::check_out(&args.out, crate::report::tree::TreeKind::Sweep, args.force)?;
    let pool = super::run::pool(args.threads)?;
    let started = Instant::now();
    // Read in parallel; report the first bad file in the order given.
    let read: Vec<Result<Loaded, InputError>> =
        pool.install(|| args.shards.par_iter().map(|p| shard::read(p)).collect());
    let loaded = read.into_iter().collect::<Result<Vec<_>, _>>()?;
    let shards = shard::check_set(loaded)?;
    let first = &shards[0];
    let version = env!("CARGO_PKG_VERSION");
    if first.file.schedlab != version {
        return Err(InputError::Field {
            path: first.path.clone(),
            error: FieldError::new(
                "schedlab",
                &first.file.schedlab,
                format!("the shards ran schedlab {}; this is {version}: merge them with the schedlab that ran them", first.file.schedlab),
            ),
        }
        .into());
    }
    // The sweep exactly as the shards' command line defined it.
    let scenario_path = PathBuf::from(&first.file.scenario_file);
    let sweep_args = super::sweep::args_of(&first.file.sweep, scenario_path.clone());
    let scenario = Scenario::from_toml(&first.file.scenario, &scenario_path)
        .map_err(|e| in_shard(&first.path, e))?;
    let scenario = super::run::apply(scenario, &sweep_args.run)?;
    let sweep = super::sweep::plan(&sweep_args, &scenario)?;
    let output = pool.install(|| shard::merge(&shards, &scenario, &sweep))?;
    let wall = started.elapsed().as_secs_f64();
    let names: Vec<String> = shards
        .iter()
        .map(|s| s.path.display().to_string())
        .collect();
    super::sweep::finish(
        &scenario,
        &sweep,
        &output,
        Some(&args.out),
        args.json,
        wall,
        pool.current_num_threads(),
        &names,
        args.force,
    )?;
    if !args.json {
        println!(
            "merged {} shard(s) into {} in {wall:.2} s",
            shards.len(),
            args.out.display()
        );
    }
    Ok(())
}

/// An error in the scenario a shard carries, naming the shard too.
fn in_shard(shard: &Path, e: InputError) -> InputError {
    InputError::Field {
        path: shard.to_path_buf(),
        error: FieldError::new("scenario", "(stored)", e.to_string()),
    }
}
