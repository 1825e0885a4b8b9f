//! Command-line definitions (clap); the work is done in `app`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "schedlab",
    version,
    about = "Scheduling simulator and queueing-theory analysis tool",
    long_about = "schedlab simulates how jobs are scheduled onto servers (arrivals, service times, \
                  policies) and reports waiting and response times with confidence intervals.",
    after_help = "Examples:\n  schedlab run scenarios/mm2.toml\n  schedlab run scenarios/mm2.toml --json\n  \
                  schedlab run scenarios/two-classes.toml --replications 20 --jobs 200000 --out results/two"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and print its figures with 95% confidence intervals.
    #[command(after_help = "Examples:\n  \
        schedlab run scenarios/mm2.toml\n  \
        schedlab run scenarios/mm1.toml --seed 7 --replications 30 --jobs 100000\n  \
        schedlab run scenarios/mh2-1.toml --json > out.json\n  \
        schedlab run scenarios/two-classes.toml --out results/two-classes\n  \
        schedlab run scenarios/mh2-1.toml --compare fcfs,srpt,ps,fb,rr(q=0.1)\n\n\
        Definitions: response = completion - arrival; wait = response - time in service.\n\
        Exit codes: 0 success, 2 bad input (the message names the file, field and value), 1 other errors.")]
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML); see scenarios/ for examples.
    pub scenario: PathBuf,
    /// Base seed, instead of the scenario's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of independent replications, instead of the scenario's.
    #[arg(long)]
    pub replications: Option<u32>,
    /// Measured jobs per replication (replaces the scenario's horizon).
    #[arg(long)]
    pub jobs: Option<u64>,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write results.csv, results.json and manifest.json into DIR.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Policies to compare on the same jobs, replacing the scenario's, the
    /// first being the baseline: e.g. `fcfs,srpt,ps,rr(q=0.1)`.
    #[arg(long, value_name = "LIST")]
    pub compare: Option<String>,
    /// Worker threads for replications (default: all cores); results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}
