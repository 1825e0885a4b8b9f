//! Entry points for programs that embed schedlab (the Python package in
//! `python/`): each takes plain values, calls the same functions as the
//! command line, and returns the same JSON documents the command line
//! prints (as `serde_json::Value`), pictures as bytes, and errors as the
//! one-line message the command line prints after `error: `.
//!
//! Nothing here prints, installs a signal handler or exits the process.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use serde_json::Value;

use crate::cli::{Cli, Command, RunArgs, SweepArgs};
use crate::commands;
use crate::error::{FieldError, InputError};
use crate::experiment::{self, RunOutput};
use crate::model::Scenario;
use crate::report::files;
use crate::report::plot::{self, GanttPicture, Rendered};
use crate::report::{self, RunDocument};
use crate::sweep::{self, SweepOutput};
use crate::teaching::{self, Options, Schedule, TEACHING_POLICIES};

/// An error as the command line reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The one-line message (the command line prints `error: ` before it).
    pub message: String,
    /// Whether the input is at fault (the command line's exit code 2).
    pub bad_input: bool,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError {
            message: crate::app::one_line(&e),
            bad_input: e.downcast_ref::<InputError>().is_some(),
        }
    }
}

impl From<InputError> for ApiError {
    /// The message as the command line prints it, causes included.
    fn from(e: InputError) -> Self {
        anyhow::Error::from(e).into()
    }
}

/// A run whose replications stopped with too many jobs present (the
/// command line's exit code 1), worded as the command line words it.
fn unstable(scenario: &Scenario, first: &dyn std::fmt::Display, count: usize) -> ApiError {
    ApiError {
        message: experiment::unstable_line(&scenario.path, first, count),
        bad_input: false,
    }
}

/// The result type of this module.
pub type Result<T> = std::result::Result<T, ApiError>;

/// Where a scenario comes from.
#[derive(Debug, Clone, Copy)]
pub enum ScenarioSource<'a> {
    /// A scenario file, read as `schedlab run FILE` reads it.
    File(&'a Path),
    /// Scenario text; `label` names it in errors and anchors relative paths
    /// (empirical distributions read from files).
    Text { text: &'a str, label: &'a Path },
}

/// The overrides of `schedlab run` (`--seed`, `--replications`, `--jobs`,
/// `--compare`, `--threads`, `--precision`, `--precision-metric`,
/// `--max-replications`, `--batches`, `--per-node`), checked as the flags are.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    pub replications: Option<u32>,
    pub jobs: Option<u64>,
    pub compare: Option<String>,
    pub threads: Option<usize>,
    pub precision: Option<f64>,
    pub precision_metric: Option<String>,
    pub max_replications: Option<u32>,
    pub batches: Option<u32>,
    /// `--per-node`: rows for each member of a node group too.
    pub per_node: bool,
}

impl RunOptions {
    fn args(&self, scenario: &Path) -> RunArgs {
        RunArgs {
            scenario: scenario.to_path_buf(),
            seed: self.seed,
            replications: self.replications,
            jobs: self.jobs,
            json: true,
            compare: self.compare.clone(),
            threads: self.threads,
            precision: self.precision,
            precision_metric: self.precision_metric.clone(),
            max_replications: self.max_replications,
            batches: self.batches,
            per_node: self.per_node,
            ..Default::default()
        }
    }
}

/// Reads the scenario and applies the overrides, as `schedlab run` does.
pub fn load(source: ScenarioSource<'_>, options: &RunOptions) -> Result<Scenario> {
    let (scenario, path) = match source {
        ScenarioSource::File(path) => (Scenario::from_file(path)?, path),
        ScenarioSource::Text { text, label } => (Scenario::from_toml(text, label)?, label),
    };
    Ok(commands::run::apply(scenario, &options.args(path))?)
}

/// What `schedlab run --json` computes, kept for the pictures.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub scenario: Scenario,
    pub output: RunOutput,
    /// The warnings `schedlab run` prints on stderr (e.g. a load of 1 or more).
    pub warnings: Vec<String>,
    /// Wall time of the simulation, in seconds.
    pub wall_seconds: f64,
    /// Worker threads used.
    pub threads: usize,
}

/// Runs a scenario's replications, as `schedlab run` does.
pub fn run(source: ScenarioSource<'_>, options: &RunOptions) -> Result<RunResult> {
    let scenario = load(source, options)?;
    let warnings = scenario.warnings();
    let pool = commands::run::pool(options.threads)?;
    let started = Instant::now();
    let output = pool.install(|| experiment::run(&scenario));
    if let Some(first) = output.unstable.first() {
        return Err(unstable(&scenario, first, output.unstable.len()));
    }
    if let Some(message) = experiment::imbalance_line(&scenario.path, &output.rows) {
        return Err(ApiError {
            message,
            bad_input: false,
        });
    }
    Ok(RunResult {
        warnings,
        wall_seconds: started.elapsed().as_secs_f64(),
        threads: pool.current_num_threads(),
        scenario,
        output,
    })
}

impl RunResult {
    /// The document `schedlab run --json` prints.
    pub fn document(&self) -> RunDocument {
        RunDocument::new(&self.scenario, &self.output)
    }

    /// The document as JSON text, exactly as `schedlab run --json` prints it.
    pub fn json(&self) -> String {
        self.document().to_json()
    }

    /// The table `schedlab run` prints.
    pub fn table(&self) -> String {
        report::table(&self.scenario, &self.output, self.wall_seconds)
    }

    /// The pictures of the run's results tree (`plots/*.png|svg` of
    /// `schedlab run --out DIR`), drawn from the same CSV texts, so the
    /// bytes are the same.
    pub fn pictures(&self) -> Result<Vec<Rendered>> {
        let scenario = &self.scenario;
        let output = &self.output;
        let csvs = files::RunCsvs::new(scenario, output)?;
        Ok(commands::run::run_pictures(
            &scenario.name,
            Path::new("."),
            &csvs,
        )?)
    }
}

/// The swept parameter and its values; both `None` means the scenario's
/// `[sweep]` section.
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    pub run: RunOptions,
    pub param: Option<String>,
    pub values: Option<String>,
}

/// What `schedlab sweep --json` computes.
#[derive(Debug, Clone)]
pub struct SweepResult {
    pub scenario: Scenario,
    pub output: SweepOutput,
    pub wall_seconds: f64,
    pub threads: usize,
}

/// Runs a sweep, as `schedlab sweep` does (without the progress bar).
pub fn sweep(source: ScenarioSource<'_>, options: &SweepOptions) -> Result<SweepResult> {
    let scenario = load(source, &options.run)?;
    let args = SweepArgs::new(
        options.run.args(&scenario.path),
        options.param.clone(),
        options.values.clone(),
    );
    let plan = commands::sweep::plan(&args, &scenario)?;
    let pool = commands::run::pool(options.run.threads)?;
    let started = Instant::now();
    let output = pool
        .install(|| sweep::run(&scenario, &plan, &|| {}))
        .map_err(|error| InputError::Field {
            path: scenario.path.clone(),
            error,
        })?;
    if let Some(first) = output.unstable.first() {
        return Err(unstable(&scenario, first, output.unstable.len()));
    }
    Ok(SweepResult {
        wall_seconds: started.elapsed().as_secs_f64(),
        threads: pool.current_num_threads(),
        scenario,
        output,
    })
}

impl SweepResult {
    /// The document `schedlab sweep --json` prints, as JSON text.
    pub fn json(&self) -> Result<String> {
        let doc = commands::sweep::SweepDocument::new(&self.scenario, &self.output);
        serde_json::to_string_pretty(&doc).map_err(|e| anyhow::Error::from(e).into())
    }

    /// The text of the tree's `sweep.csv`.
    pub fn csv(&self) -> Result<String> {
        Ok(files::to_csv(files::sweep_records(&self.output))?)
    }

    /// The pictures of the sweep's results tree, as `schedlab sweep --out`
    /// draws them.
    pub fn pictures(&self) -> Result<Vec<Rendered>> {
        let csv = self.csv()?;
        Ok(commands::sweep::sweep_pictures(
            &self.scenario.name,
            Path::new("."),
            &csv,
        )?)
    }
}

/// Where a job list comes from.
#[derive(Debug, Clone, Copy)]
pub enum JobsSource<'a> {
    /// A CSV (or `.toml`) job file, read as `schedlab gantt FILE` reads it.
    File(&'a Path),
    /// CSV text `id,arrival,burst[,priority][,deadline]`; `label` names it in errors.
    Text { text: &'a str, label: &'a Path },
}

fn read_tasks(jobs: JobsSource<'_>) -> Result<Vec<teaching::Task>> {
    match jobs {
        JobsSource::File(path) => Ok(teaching::read_jobs(path)?),
        JobsSource::Text { text, label } => {
            teaching::parse_jobs(text).map_err(|error| field(label, error))
        }
    }
}

fn field(path: &Path, error: FieldError) -> ApiError {
    InputError::Field {
        path: path.to_path_buf(),
        error,
    }
    .into()
}

fn flag(error: FieldError) -> ApiError {
    InputError::Flag(error).into()
}

/// A job list scheduled as `schedlab gantt` schedules it.
#[derive(Debug, Clone)]
pub struct GanttResult {
    pub schedule: Schedule,
}

/// Schedules a job list under one policy (`schedlab gantt JOBS --policy ...`).
pub fn gantt(jobs: JobsSource<'_>, options: &Options) -> Result<GanttResult> {
    let tasks = read_tasks(jobs)?;
    let schedule = teaching::schedule(&tasks, options).map_err(flag)?;
    Ok(GanttResult { schedule })
}

impl GanttResult {
    /// The document of `schedlab gantt --json --explain`.
    pub fn json(&self) -> String {
        let mut doc = teaching::json(&self.schedule);
        doc["explain"] = serde_json::json!(self.schedule.explain);
        doc.to_string()
    }

    /// The chart and the job table `schedlab gantt` prints.
    pub fn text(&self) -> String {
        let cpus = if self.schedule.cpus == 1 {
            "1 CPU".to_string()
        } else {
            format!("{} CPUs", self.schedule.cpus)
        };
        format!(
            "{}, {cpus}\n\n{}\n{}",
            self.schedule.policy,
            teaching::ascii_gantt(&self.schedule),
            teaching::job_table(&self.schedule)
        )
    }

    /// The Gantt chart of `schedlab gantt --svg`.
    pub fn svg(&self) -> Result<String> {
        Ok(plot::gantt_svg(&self.schedule)?)
    }

    /// The Gantt chart of `schedlab gantt --png`.
    pub fn png(&self) -> Result<Vec<u8>> {
        Ok(plot::png(&GanttPicture(&self.schedule))?)
    }
}

/// `schedlab gantt JOBS --compare LIST --json` (`all` for every teaching
/// policy whose parameters are given) and its table, as JSON text and text.
pub fn gantt_compare(
    jobs: JobsSource<'_>,
    options: &Options,
    list: &str,
) -> Result<(String, String)> {
    let tasks = read_tasks(jobs)?;
    let all = list.trim() == "all";
    let names: Vec<String> = if all {
        TEACHING_POLICIES.iter().map(|s| s.to_string()).collect()
    } else {
        list.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let schedules = teaching::compare(&tasks, options, &names, all).map_err(flag)?;
    let docs: Vec<Value> = schedules.iter().map(teaching::json).collect();
    Ok((
        Value::Array(docs).to_string(),
        teaching::comparison_table(&schedules),
    ))
}

thread_local! {
    /// While [`command`] runs on this thread: the JSON documents the
    /// command emitted, instead of printing them.
    static CAPTURED: RefCell<Option<Vec<Value>>> = const { RefCell::new(None) };
}

/// Captures this thread's JSON documents while it lives, even if the
/// command panics.
struct Capture;

impl Capture {
    fn start() -> Capture {
        CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
        Capture
    }

    fn finish(self) -> Vec<Value> {
        CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURED.with(|c| *c.borrow_mut() = None);
    }
}

/// Prints a command's JSON document on stdout, or hands it to [`command`]
/// when that is what runs the command on this thread.
pub fn emit_json(doc: &Value, pretty: bool) -> anyhow::Result<()> {
    let captured = CAPTURED.with(|c| match c.borrow_mut().as_mut() {
        Some(docs) => {
            docs.push(doc.clone());
            true
        }
        None => false,
    });
    if !captured {
        if pretty {
            println!("{}", serde_json::to_string_pretty(doc)?);
        } else {
            println!("{}", serde_json::to_string(doc)?);
        }
    }
    Ok(())
}

/// A file a [`command`] reads, given as text: every argument equal to
/// `placeholder` becomes the path of a temporary file named `file_name`
/// holding `text`, and messages name it `placeholder`.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub placeholder: String,
    pub file_name: String,
    pub text: String,
}

/// A file a [`command`] writes: every argument equal to `placeholder`
/// becomes the path of a temporary file named `file_name`, whose bytes
/// come back.
#[derive(Debug, Clone)]
pub struct OutputFile {
    pub placeholder: String,
    pub file_name: String,
}

/// Runs `schedlab theory ...` or `schedlab optimize ...` (`argv` without
/// the program name and without `--json`, which is added) and returns the
/// JSON document it prints, with the bytes of the `outputs`.
pub fn command(
    argv: &[String],
    inputs: &[InputFile],
    outputs: &[OutputFile],
) -> Result<(String, Vec<Vec<u8>>)> {
    let dir = tempfile::tempdir().map_err(anyhow::Error::from)?;
    let mut replacements: Vec<(String, PathBuf)> = Vec::new();
    for input in inputs {
        let path = dir.path().join(&input.file_name);
        std::fs::write(&path, &input.text).map_err(anyhow::Error::from)?;
        replacements.push((input.placeholder.clone(), path));
    }
    for output in outputs {
        replacements.push((
            output.placeholder.clone(),
            dir.path().join(&output.file_name),
        ));
    }
    let mut args: Vec<String> = vec!["schedlab".into()];
    args.extend(argv.iter().map(|a| {
        replacements
            .iter()
            .find(|(p, _)| p == a)
            .map_or_else(|| a.clone(), |(_, path)| path.display().to_string())
    }));
    args.push("--json".into());
    let restore = |message: String| {
        replacements.iter().fold(message, |m, (p, path)| {
            m.replace(&path.display().to_string(), p)
        })
    };
    let cli = Cli::try_parse_from(&args).map_err(|e| ApiError {
        message: restore(clap_message(&e)),
        bad_input: true,
    })?;
    let capture = Capture::start();
    let result = match &cli.command {
        Command::Theory(a) => commands::theory::run(a),
        Command::Optimize(c) => commands::optimize::run(c),
        _ => Err(anyhow::anyhow!(
            "only `theory` and `optimize` run through this entry point"
        )),
    };
    let docs = capture.finish();
    if let Err(e) = result {
        let mut error = ApiError::from(e);
        error.message = restore(error.message);
        return Err(error);
    }
    let doc = docs
        .into_iter()
        .last()
        .ok_or_else(|| anyhow::anyhow!("the command printed no JSON document"))?;
    let mut bytes = Vec::new();
    for output in outputs {
        let path = dir.path().join(&output.file_name);
        bytes.push(std::fs::read(&path).unwrap_or_default());
    }
    Ok((doc.to_string(), bytes))
}

/// A clap error as one line: its first line without `error: `.
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let line = text.lines().next().unwrap_or("invalid arguments");
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MM1: &str = "name = \"t\"\nreplications = 2\nhorizon = { jobs = 2000 }\n\
        [[classes]]\nname = \"a\"\narrival = { dist = \"exponential\", rate = 0.5 }\n\
        service = { dist = \"exponential\", mean = 1.0 }\n[[nodes]]\nname = \"n\"\nservers = 1\n";

    #[test]
    fn run_from_text_matches_the_document() {
        let label = Path::new("<scenario>");
        let r = run(
            ScenarioSource::Text { text: MM1, label },
            &RunOptions {
                seed: Some(3),
                threads: Some(1),
                ..RunOptions::default()
            },
        )
        .unwrap();
        let doc: Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(doc["seed"], 3);
        assert_eq!(doc["results"][0]["jobs"], 4000);
    }

    #[test]
    fn errors_are_the_cli_lines() {
        let label = Path::new("<scenario>");
        let bad = MM1.replace("rate = 0.5", "rate = -1");
        let e = run(
            ScenarioSource::Text { text: &bad, label },
            &RunOptions::default(),
        )
        .unwrap_err();
        assert!(e.bad_input);
        assert!(
            e.message.starts_with("<scenario>: classes[0].arrival.rate"),
            "{e}"
        );
        let e = run(
            ScenarioSource::Text { text: MM1, label },
            &RunOptions {
                replications: Some(0),
                ..RunOptions::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "--replications = 0: must be at least 1 (2 or more for a confidence interval)"
        );
    }

    #[test]
    fn commands_hand_back_their_document() {
        let argv: Vec<String> = [
            "theory",
            "mmc",
            "--lambda",
            "1.8",
            "--mu",
            "1",
            "--servers",
            "2",
        ]
        .map(String::from)
        .to_vec();
        let (doc, _) = command(&argv, &[], &[]).unwrap();
        let doc: Value = serde_json::from_str(&doc).unwrap();
        assert!((doc["mean_response"].as_f64().unwrap() - 5.263157894736843).abs() < 1e-12);
        let argv: Vec<String> = ["optimize", "makespan", "<jobs>", "--nodes", "2"]
            .map(String::from)
            .to_vec();
        let input = InputFile {
            placeholder: "<jobs>".into(),
            file_name: "jobs.csv".into(),
            text: "id,size\na,3\nb,2\nc,2\nd,1\n".into(),
        };
        let (doc, _) = command(&argv, std::slice::from_ref(&input), &[]).unwrap();
        let doc: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(doc["milp"]["makespan"].as_f64().unwrap().round(), 4.0);
        let bad = InputFile {
            text: "id,size\na,-3\n".into(),
            ..input
        };
        let e = command(&argv, &[bad], &[]).unwrap_err();
        assert!(e.message.starts_with("<jobs>:"), "{e}");
    }
}
