//! Job lists: a CSV file with a header `id,arrival,burst` and optional
//! `priority` and `deadline` columns.

use std::collections::HashSet;

use serde::Deserialize;
use std::path::Path;

use crate::error::{FieldError, InputError};
use crate::model::rows::{self, Row};

/// One job of an exercise.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub arrival: f64,
    pub burst: f64,
    /// Lower is more urgent (unless the caller flips it); 0 when absent.
    pub priority: i32,
    /// Absolute deadline, for EDF.
    pub deadline: Option<f64>,
}

/// Reads a job list: CSV, or TOML with `[[jobs]]` tables of the same
/// fields. Errors name the file, the line (or job) and the column.
pub fn read_jobs(path: &Path) -> Result<Vec<Task>, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let parsed = if is_toml {
        parse_toml_jobs(&text)
    } else {
        parse_jobs(&text)
    };
    parsed.map_err(|error| InputError::Field {
        path: path.to_path_buf(),
        error,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobFile {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    jobs: Vec<RawTask>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    id: String,
    arrival: f64,
    burst: f64,
    #[serde(default)]
    priority: i32,
    deadline: Option<f64>,
}

/// Parses `[[jobs]]` tables (`id`, `arrival`, `burst`, optional `priority`
/// and `deadline`), with the checks of the CSV form.
pub fn parse_toml_jobs(text: &str) -> Result<Vec<Task>, FieldError> {
    let file: JobFile = toml::from_str(text)
        .map_err(|e| FieldError::new("jobs", "(file)", e.message().trim().replace('\n', " ")))?;
    let _ = (&file.name, &file.description);
    let mut csv = String::from("id,arrival,burst,priority,deadline\n");
    for t in &file.jobs {
        if t.id.contains([',', '"', '\n']) {
            return Err(FieldError::new(
                "jobs.id",
                format!("\"{}\"", t.id),
                "ids cannot hold commas or quotes",
            ));
        }
        let deadline = t.deadline.map_or(String::new(), |d| d.to_string());
        csv.push_str(&format!(
            "{},{},{},{},{deadline}\n",
            t.id, t.arrival, t.burst, t.priority
        ));
    }
    parse_jobs(&csv).map_err(|mut e| {
        // Line n of the generated CSV is job n − 1 of the file.
        if let Some(n) = e
            .field
            .strip_prefix("line ")
            .and_then(|r| r.split(',').next())
            .and_then(|n| n.parse::<usize>().ok())
        {
            let rest = e
                .field
                .split_once(", ")
                .map_or(String::new(), |(_, c)| format!(".{c}"));
            e.field = format!("jobs[{}]{rest}", n.saturating_sub(2));
        }
        e
    })
}

/// Parses job-list text (see [`read_jobs`]).
pub fn parse_jobs(text: &str) -> Result<Vec<Task>, FieldError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FieldError::new("line 1", "(header)", e.to_string()))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let known = ["id", "arrival", "burst", "priority", "deadline"];
    if let Some(other) = headers
        .iter()
        .find(|h| !known.iter().any(|k| h.eq_ignore_ascii_case(k)))
    {
        return Err(FieldError::new(
            "line 1",
            other,
            "unknown column; the header is id,arrival,burst and optionally priority,deadline",
        ));
    }
    let need = |name: &str| {
        column(name).ok_or_else(|| {
            FieldError::new(
                "line 1",
                headers.iter().collect::<Vec<_>>().join(","),
                format!("missing column `{name}`"),
            )
        })
    };
    let (id_col, arrival_col, burst_col) = (need("id")?, need("arrival")?, need("burst")?);
    let (priority_col, deadline_col) = (column("priority"), column("deadline"));
    let mut tasks = Vec::new();
    let mut seen = HashSet::new();
    for record in reader.records() {
        let record = rows::record(record)?;
        let row = Row::new(&record);
        let id = row.id(id_col, &mut seen)?;
        let arrival = row.non_negative(arrival_col, "arrival")?;
        let burst = row.positive(burst_col, "burst")?;
        let priority = match priority_col.map(|c| row.text(c)) {
            None | Some("") => 0,
            Some(raw) => raw
                .parse::<i32>()
                .map_err(|_| row.error("priority", format!("{raw:?}"), "must be a whole number"))?,
        };
        let deadline = match deadline_col {
            Some(c) if !row.text(c).is_empty() => Some(row.number(c, "deadline")?),
            _ => None,
        };
        tasks.push(Task {
            id,
            arrival,
            burst,
            priority,
            deadline,
        });
    }
    if tasks.is_empty() {
        return Err(FieldError::new(
            "line 2",
            "(none)",
            "the job list has no jobs",
        ));
    }
    check_exact_times(&tasks)?;
    Ok(tasks)
}

/// Largest time a schedule is computed and printed exactly: 2^53, beyond
/// which floating point no longer holds every whole number.
pub const MAX_EXACT_TIME: f64 = 9_007_199_254_740_992.0;

/// Refuses times at which the schedule would not be exact: any arrival,
/// burst or deadline, or the latest arrival plus all the bursts (a bound
/// on every completion), beyond 2^53.
fn check_exact_times(tasks: &[Task]) -> Result<(), FieldError> {
    let limit = "beyond 2^53 = 9007199254740992 floating point cannot hold every whole time";
    for (i, t) in tasks.iter().enumerate() {
        let line = i + 2;
        for (name, v) in [
            ("arrival", Some(t.arrival)),
            ("burst", Some(t.burst)),
            ("deadline", t.deadline),
        ] {
            if let Some(v) = v
                && (v.is_nan() || v.abs() > MAX_EXACT_TIME)
            {
                return Err(FieldError::new(
                    format!("line {line}, {name}"),
                    v.to_string(),
                    limit,
                ));
            }
        }
    }
    let latest = tasks.iter().map(|t| t.arrival).fold(0.0, f64::max);
    let work: f64 = tasks.iter().map(|t| t.burst).sum();
    if (latest + work).is_nan() || latest + work > MAX_EXACT_TIME {
        return Err(FieldError::new(
            "burst",
            format!("latest arrival {latest} + total burst {work}"),
            format!("the schedule would end {limit}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_job_lists() {
        let t = parse_toml_jobs("[[jobs]]\nid = \"A\"\narrival = 0\nburst = 2.5\n[[jobs]]\nid = \"B\"\narrival = 1\nburst = 1\npriority = 2\ndeadline = 9\n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!((t[1].priority, t[1].deadline), (2, Some(9.0)));
        let e = parse_toml_jobs("[[jobs]]\nid = \"A\"\narrival = 0\nburst = -1\n").unwrap_err();
        assert_eq!(e.field, "jobs[0].burst");
        assert!(
            parse_toml_jobs("[[jobs]]\nid = \"A\"\narrival = 0\nburst = 1\ncolour = 1\n").is_err()
        );
    }

    #[test]
    fn parses_and_rejects_with_line_numbers() {
        let t = parse_jobs("id,arrival,burst,priority\nP1,0,24,2\nP2, 1.5 ,3,\n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!((t[1].arrival, t[1].priority), (1.5, 0));
        let cases = [
            ("id,arrival\nP1,0\n", "line 1"),
            ("id,arrival,burst\nP1,0,-2\n", "line 2, burst"),
            ("id,arrival,burst\nP1,0,2\nP1,1,2\n", "line 3, id"),
            ("id,arrival,burst\nP1,x,2\n", "line 2, arrival"),
            ("id,arrival,burst,colour\nP1,0,2,red\n", "line 1"),
            ("id,arrival,burst\n", "line 2"),
        ];
        for (text, field) in cases {
            let e = parse_jobs(text).expect_err(text);
            assert_eq!(e.field, field, "{e}");
        }
    }
}
