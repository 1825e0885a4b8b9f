//! The CSV files of a results tree: what they hold, how they are written,
//! and how `schedlab plot` reads them back. The plots of a run are drawn
//! from these records after a round trip through their CSV text, so
//! redrawing from the files gives the same pictures.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{CsvRecord, ResultRecord, TheoryRecord};
use crate::error::InputError;
use crate::stats::ResponseDistribution;
use crate::sweep::SweepOutput;
use crate::theory::Kind;

/// `results.csv`: one row per (policy, class, node).
pub const RESULTS: &str = "results.csv";
/// `sweep.csv`: one row per (point, policy, class).
pub const SWEEP: &str = "sweep.csv";
/// `response-cdf.csv`: the response-time distribution of each policy.
pub const CDF: &str = "response-cdf.csv";
/// `response-histogram.csv`: its histogram.
pub const HISTOGRAM: &str = "response-histogram.csv";
/// `size-bins.csv`: response and slowdown by job size.
pub const SIZE_BINS: &str = "size-bins.csv";
/// `alarms.csv`: each alarm's figures per policy (when the scenario has alarms).
pub const ALARMS: &str = "alarms.csv";
/// `sample-path.csv`: jobs in the system over time, replication 0.
pub const SAMPLE_PATH: &str = "sample-path.csv";
/// `attempts.csv`: tasks ended by attempts started, per policy and class
/// with `[classes.attempts]` (when some class has them).
pub const ATTEMPTS: &str = "attempts.csv";
/// `alarm-intervals.csv`: when each alarm was raised in replication 0's
/// measured window (when the scenario has alarms).
pub const ALARM_INTERVALS: &str = "alarm-intervals.csv";
/// `timeline.csv`: per policy, time bin and node, with `[output] timeline`.
pub const TIMELINE: &str = "timeline.csv";

/// How many of a class's tasks ended having started `attempts` attempts
/// (the last bucket: that many or more), over all replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptsRecord {
    pub policy: String,
    pub class: String,
    pub attempts: u32,
    pub tasks: u64,
}

/// An interval an alarm was raised, in replication 0's window. A row
/// with `from` and `to` empty closes an alarm's list: `dropped` later
/// intervals were left out (see [`crate::stats::alarms::MAX_INTERVALS`]),
/// or with `dropped` = 0 the alarm was never raised, so that its lane
/// still shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalRecord {
    pub policy: String,
    pub alarm: String,
    pub from: Option<f64>,
    pub to: Option<f64>,
    pub dropped: u64,
}

/// A point of a policy's response-time CDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CdfRecord {
    pub policy: String,
    pub response: f64,
    pub probability: f64,
}

/// A bin of a policy's response-time histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramRecord {
    pub policy: String,
    pub bin_start: f64,
    pub bin_end: f64,
    pub density: f64,
}

/// A change of the number of jobs present, in a policy's sample path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathRecord {
    pub policy: String,
    pub time: f64,
    pub in_system: u32,
}

/// One row of `sweep.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRecord {
    /// Index of the point, from 0.
    pub point: usize,
    pub param: String,
    pub value: f64,
    pub load: f64,
    pub policy: String,
    pub class: String,
    pub jobs: u64,
    pub mean_wait: Option<f64>,
    pub mean_wait_ci95: Option<f64>,
    pub mean_response: Option<f64>,
    pub mean_response_ci95: Option<f64>,
    pub mean_slowdown: Option<f64>,
    pub mean_slowdown_ci95: Option<f64>,
    #[serde(default)]
    pub mean_bounded_slowdown: Option<f64>,
    #[serde(default)]
    pub mean_bounded_slowdown_ci95: Option<f64>,
    #[serde(default)]
    pub median_slowdown: Option<f64>,
    pub p50_response: Option<f64>,
    pub p90_response: Option<f64>,
    pub p95_response: Option<f64>,
    #[serde(default)]
    pub p95_response_ci95: Option<f64>,
    pub p99_response: Option<f64>,
    #[serde(default)]
    pub p99_response_ci95: Option<f64>,
    pub mean_in_system: Option<f64>,
    pub utilization: Option<f64>,
    pub throughput: Option<f64>,
    pub theory_formula: Option<String>,
    pub theory_kind: Option<Kind>,
    pub theory_mean_wait: Option<f64>,
    pub theory_mean_response: Option<f64>,
    pub theory_rel_error: Option<f64>,
    pub theory_within_ci: Option<bool>,
}

impl SweepRecord {
    fn new(point: usize, param: &str, value: f64, load: f64, r: ResultRecord) -> SweepRecord {
        let t: Option<TheoryRecord> = r.theory;
        SweepRecord {
            point,
            param: param.to_string(),
            value,
            load,
            policy: r.policy,
            class: r.class,
            jobs: r.jobs,
            mean_wait: r.mean_wait,
            mean_wait_ci95: r.mean_wait_ci95,
            mean_response: r.mean_response,
            mean_response_ci95: r.mean_response_ci95,
            mean_slowdown: r.mean_slowdown,
            mean_slowdown_ci95: r.mean_slowdown_ci95,
            mean_bounded_slowdown: r.mean_bounded_slowdown,
            mean_bounded_slowdown_ci95: r.mean_bounded_slowdown_ci95,
            median_slowdown: r.median_slowdown,
            p50_response: r.p50_response,
            p90_response: r.p90_response,
            p95_response: r.p95_response,
            p95_response_ci95: r.p95_response_ci95,
            p99_response: r.p99_response,
            p99_response_ci95: r.p99_response_ci95,
            mean_in_system: r.mean_in_system,
            utilization: r.utilization,
            throughput: r.throughput,
            theory_formula: t.as_ref().map(|t| t.formula.clone()),
            theory_kind: t.as_ref().map(|t| t.kind),
            theory_mean_wait: t.as_ref().map(|t| t.mean_wait),
            theory_mean_response: t.as_ref().map(|t| t.mean_response),
            theory_rel_error: t.as_ref().and_then(|t| t.rel_error),
            theory_within_ci: t.as_ref().and_then(|t| t.within_ci),
        }
    }
}

/// The records of a sweep, point by point, policy by policy.
pub fn sweep_records(output: &SweepOutput) -> Vec<SweepRecord> {
    output
        .points
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.rows.iter().map(move |r| {
                SweepRecord::new(i, &output.param, p.value, p.load, ResultRecord::from(r))
            })
        })
        .collect()
}

/// The CDF and histogram records of a run's distributions.
pub fn distribution_records(
    distributions: &[(String, ResponseDistribution)],
) -> (Vec<CdfRecord>, Vec<HistogramRecord>) {
    let mut cdf = Vec::new();
    let mut hist = Vec::new();
    for (policy, d) in distributions {
        cdf.extend(d.cdf.iter().map(|&(response, probability)| CdfRecord {
            policy: policy.clone(),
            response,
            probability,
        }));
        hist.extend(
            d.histogram
                .iter()
                .map(|&(bin_start, bin_end, density)| HistogramRecord {
                    policy: policy.clone(),
                    bin_start,
                    bin_end,
                    density,
                }),
        );
    }
    (cdf, hist)
}

/// What the pictures of a run are drawn from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunData {
    /// The scenario's name, for titles.
    pub scenario: String,
    pub results: Vec<CsvRecord>,
    pub cdf: Vec<CdfRecord>,
    pub histogram: Vec<HistogramRecord>,
    pub sample_path: Vec<PathRecord>,
    pub size_bins: Vec<super::SizeBinRecord>,
    pub attempts: Vec<AttemptsRecord>,
    pub alarm_intervals: Vec<IntervalRecord>,
    pub timeline: Vec<super::TimelineRecord>,
}

impl RunData {
    /// Parses the CSV texts of a run, as written or as read from its tree
    /// (`dir` names the files in errors). Distribution and sample-path
    /// files are optional.
    pub fn parse(
        scenario: &str,
        dir: &Path,
        results: &str,
        cdf: Option<&str>,
        histogram: Option<&str>,
        sample_path: Option<&str>,
        size_bins: Option<&str>,
    ) -> Result<RunData, InputError> {
        Ok(RunData {
            scenario: scenario.to_string(),
            results: from_csv(results, &dir.join(RESULTS))?,
            cdf: cdf.map_or(Ok(Vec::new()), |t| from_csv(t, &dir.join(CDF)))?,
            histogram: histogram.map_or(Ok(Vec::new()), |t| from_csv(t, &dir.join(HISTOGRAM)))?,
            sample_path: sample_path
                .map_or(Ok(Vec::new()), |t| from_csv(t, &dir.join(SAMPLE_PATH)))?,
            size_bins: size_bins.map_or(Ok(Vec::new()), |t| from_csv(t, &dir.join(SIZE_BINS)))?,
            attempts: Vec::new(),
            alarm_intervals: Vec::new(),
            timeline: Vec::new(),
        })
    }

    /// Adds the timeline, where the tree has one.
    pub fn with_timeline(
        mut self,
        dir: &Path,
        timeline: Option<&str>,
    ) -> Result<RunData, InputError> {
        if let Some(t) = timeline {
            self.timeline = from_csv(t, &dir.join(TIMELINE))?;
        }
        Ok(self)
    }

    /// Adds the lifecycle's files, where the tree has them.
    pub fn with_lifecycle(
        mut self,
        dir: &Path,
        attempts: Option<&str>,
        alarm_intervals: Option<&str>,
    ) -> Result<RunData, InputError> {
        if let Some(t) = attempts {
            self.attempts = from_csv(t, &dir.join(ATTEMPTS))?;
        }
        if let Some(t) = alarm_intervals {
            self.alarm_intervals = from_csv(t, &dir.join(ALARM_INTERVALS))?;
        }
        Ok(self)
    }
}

/// The CSV texts of a run's results tree: the rows, the response-time
/// distribution and the sample path of the first jobs. The pictures are
/// drawn from these texts, so `schedlab plot` redraws them identically.
#[derive(Debug, Clone)]
pub struct RunCsvs {
    pub results: String,
    pub cdf: String,
    pub histogram: String,
    pub sample_path: String,
    pub size_bins: String,
    /// Empty when the scenario has no alarms.
    pub alarms: String,
    /// Empty when no class has attempt rules.
    pub attempts: String,
    /// Empty when the scenario has no alarms.
    pub alarm_intervals: String,
    /// Empty without `[output] timeline`.
    pub timeline: String,
}

impl RunCsvs {
    pub fn new(
        scenario: &crate::model::Scenario,
        output: &crate::experiment::RunOutput,
    ) -> anyhow::Result<RunCsvs> {
        use crate::experiment::{SAMPLE_PATH_JOBS, sample_path};
        use crate::model::Limit;
        let (cdf, histogram) = distribution_records(&output.distributions);
        let path: Vec<PathRecord> = scenario
            .policies
            .iter()
            .flat_map(|p| {
                let label = p.label();
                // After the warm-up replication 0 measured after (chosen
                // per policy under `warmup = "auto"`).
                let warmup = output
                    .warmups
                    .iter()
                    .find(|w| w.policy == label)
                    .and_then(|w| w.jobs.first())
                    .map_or(scenario.warmup, |&j| Limit::Jobs(j));
                sample_path(scenario, p, warmup, SAMPLE_PATH_JOBS)
                    .into_iter()
                    .map(move |(time, in_system)| PathRecord {
                        policy: label.clone(),
                        time,
                        in_system,
                    })
            })
            .collect();
        Ok(RunCsvs {
            results: super::csv(&output.rows)?,
            cdf: to_csv(cdf)?,
            histogram: to_csv(histogram)?,
            sample_path: to_csv(path)?,
            size_bins: super::size_bins_csv(&output.size_bins)?,
            alarms: if output.alarms.is_empty() {
                String::new()
            } else {
                super::alarms_csv(output)?
            },
            attempts: attempts_csv(output)?,
            alarm_intervals: if output.alarms.is_empty() {
                String::new()
            } else {
                to_csv(interval_records(output))?
            },
            timeline: super::timeline_csv(scenario, output)?,
        })
    }
}

/// `attempts.csv` from the class rows of classes with attempt rules,
/// each up to its last non-empty bucket; empty text when there are none.
fn attempts_csv(output: &crate::experiment::RunOutput) -> anyhow::Result<String> {
    let records: Vec<AttemptsRecord> = output
        .rows
        .iter()
        .filter(|r| r.class != "all" && r.node == "all" && r.stats.tasks.applies)
        .flat_map(|r| {
            let buckets = &r.stats.tasks.by_attempts;
            let used = buckets.iter().rposition(|&n| n > 0).map_or(0, |k| k + 1);
            buckets[..used]
                .iter()
                .enumerate()
                .map(|(k, &tasks)| AttemptsRecord {
                    policy: r.policy.clone(),
                    class: r.class.clone(),
                    attempts: k as u32,
                    tasks,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    if records.is_empty() {
        Ok(String::new())
    } else {
        to_csv(records)
    }
}

fn interval_records(output: &crate::experiment::RunOutput) -> Vec<IntervalRecord> {
    output
        .alarms
        .iter()
        .flat_map(|(policy, a)| {
            let row = |from, to, dropped| IntervalRecord {
                policy: policy.clone(),
                alarm: a.name.clone(),
                from,
                to,
                dropped,
            };
            let mut rows: Vec<IntervalRecord> = a
                .intervals
                .iter()
                .map(|&(from, to)| row(Some(from), Some(to), 0))
                .collect();
            if a.intervals_dropped > 0 || rows.is_empty() {
                rows.push(row(None, None, a.intervals_dropped));
            }
            rows
        })
        .collect()
}

/// Serialises records as CSV text with a header row.
pub fn to_csv<T: Serialize>(records: impl IntoIterator<Item = T>) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in records {
        w.serialize(r)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Parses CSV text into records; `path` names the file in errors, with
/// the line and the column at fault.
pub fn from_csv<T: DeserializeOwned>(text: &str, path: &Path) -> Result<Vec<T>, InputError> {
    check_numbers(text, path)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut records = Vec::new();
    for result in reader.deserialize() {
        let record = result.map_err(|e| {
            let line = e.position().map_or(1, |p| p.line() as usize);
            let message = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => match err.field() {
                    Some(i) => format!("column {}: {err}", i + 1),
                    None => err.to_string(),
                },
                _ => e.to_string(),
            };
            InputError::Syntax {
                path: path.to_path_buf(),
                line,
                column: 1,
                message,
            }
        })?;
        records.push(record);
    }
    Ok(records)
}

/// Columns of the results files that hold names, not numbers.
const TEXT_COLUMNS: [&str; 7] = [
    "policy",
    "alarm",
    "param",
    "class",
    "node",
    "theory_formula",
    "theory_kind",
];

/// Largest magnitude of a plottable figure (and the inverse, the smallest
/// nonzero one): beyond, axis ranges overflow or lose all precision.
pub const MAX_FIGURE: f64 = 1e300;

/// Refuses a numeric cell that is NaN, infinite, or outside the range a
/// picture can be drawn for (|x| in [1e-300, 1e300], or 0), naming the
/// file, line and column.
fn check_numbers(text: &str, path: &Path) -> Result<(), InputError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Ok(()), // the parser below reports it
    };
    let numeric: Vec<bool> = headers.iter().map(|h| !TEXT_COLUMNS.contains(&h)).collect();
    for record in reader.records() {
        let Ok(record) = record else {
            return Ok(());
        };
        for (i, cell) in record.iter().enumerate() {
            if !numeric.get(i).copied().unwrap_or(false) {
                continue;
            }
            let Ok(x) = cell.trim().parse::<f64>() else {
                continue;
            };
            let fine = x == 0.0 || (x.abs() >= 1.0 / MAX_FIGURE && x.abs() <= MAX_FIGURE);
            if !fine {
                return Err(InputError::Syntax {
                    path: path.to_path_buf(),
                    line: record.position().map_or(1, |p| p.line() as usize),
                    column: i + 1,
                    message: format!(
                        "{} = {cell:?}: a figure must be a finite number of magnitude between 1e-300 and 1e300 (or 0)",
                        headers.get(i).unwrap_or("?")
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Reads a CSV file of a results tree.
pub fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_csv(&text, path)
}
