//! Job lists for the optimisers: a CSV file with a header `id,size` (or
//! `burst`), or `id,t_a,t_b,...` with one processing time per node
//! (unrelated nodes: column `t_X` is the time the job takes on node `X`),
//! and optional `release` (or `arrival`) and `weight` columns.

use std::collections::HashSet;
use std::path::Path;

use crate::error::{FieldError, InputError};
use crate::model::rows::{self, Row};

/// One job of an optimisation instance.
#[derive(Debug, Clone, PartialEq)]
pub struct OptJob {
    pub id: String,
    /// Service requirement at speed 1 (NaN when the list gives per-node times).
    pub size: f64,
    /// Processing time on each node (empty when the list gives sizes).
    pub times: Vec<f64>,
    pub release: f64,
    pub weight: f64,
}

/// A parsed job list.
#[derive(Debug, Clone, PartialEq)]
pub struct JobList {
    pub jobs: Vec<OptJob>,
    /// Names of the per-node columns (without `t_`); empty for sizes.
    pub node_names: Vec<String>,
    pub has_release: bool,
    pub has_weight: bool,
}

impl JobList {
    /// Whether the list gives a processing time per node (unrelated nodes).
    pub fn unrelated(&self) -> bool {
        !self.node_names.is_empty()
    }
}

/// Reads a job list; errors name the file, the line and the column.
pub fn read_job_list(path: &Path) -> Result<JobList, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_job_list(&text).map_err(|error| InputError::Field {
        path: path.to_path_buf(),
        error,
    })
}

/// Parses job-list text (see [`read_job_list`]).
pub fn parse_job_list(text: &str) -> Result<JobList, FieldError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FieldError::new("line 1", "(header)", e.to_string()))?
        .clone();
    let lower: Vec<String> = headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    let find = |names: &[&str]| lower.iter().position(|h| names.contains(&h.as_str()));
    let id_col = find(&["id"]).ok_or_else(|| {
        FieldError::new(
            "line 1",
            headers.iter().collect::<Vec<_>>().join(","),
            "missing column `id`",
        )
    })?;
    let size_col = find(&["size", "burst"]);
    let release_col = find(&["release", "arrival"]);
    let weight_col = find(&["weight"]);
    let mut time_cols = Vec::new();
    let mut node_names = Vec::new();
    for (c, h) in lower.iter().enumerate() {
        if let Some(name) = headers[c]
            .strip_prefix("t_")
            .or(headers[c].strip_prefix("T_"))
        {
            time_cols.push(c);
            node_names.push(name.to_string());
        } else if !matches!(
            h.as_str(),
            "id" | "size" | "burst" | "release" | "arrival" | "weight"
        ) {
            return Err(FieldError::new(
                "line 1",
                headers[c].to_string(),
                "unknown column; the header is id,size (or id,t_NODE,... per node) and optionally release,weight",
            ));
        }
    }
    match (size_col.is_some(), time_cols.is_empty()) {
        (true, false) => {
            return Err(FieldError::new(
                "line 1",
                headers.iter().collect::<Vec<_>>().join(","),
                "give either a size column or per-node t_ columns, not both",
            ));
        }
        (false, true) => {
            return Err(FieldError::new(
                "line 1",
                headers.iter().collect::<Vec<_>>().join(","),
                "missing column `size` (or per-node columns t_NODE)",
            ));
        }
        _ => {}
    }
    let mut jobs = Vec::new();
    let mut seen = HashSet::new();
    for record in reader.records() {
        let record = rows::record(record)?;
        let row = Row::new(&record);
        let id = row.id(id_col, &mut seen)?;
        let size = match size_col {
            Some(c) => row.positive(c, &headers[c])?,
            None => f64::NAN,
        };
        let times = time_cols
            .iter()
            .map(|&c| row.positive(c, &headers[c]))
            .collect::<Result<Vec<_>, _>>()?;
        let release = match release_col {
            Some(c) if !row.text(c).is_empty() => row.non_negative(c, &headers[c])?,
            _ => 0.0,
        };
        let weight = match weight_col {
            Some(c) if !row.text(c).is_empty() => row.positive(c, "weight")?,
            _ => 1.0,
        };
        jobs.push(OptJob {
            id,
            size,
            times,
            release,
            weight,
        });
    }
    if jobs.is_empty() {
        return Err(FieldError::new(
            "line 2",
            "(none)",
            "the job list has no jobs",
        ));
    }
    Ok(JobList {
        jobs,
        node_names,
        has_release: release_col.is_some(),
        has_weight: weight_col.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_and_per_node_times() {
        let l = parse_job_list("id,size,release\nA,3,0\nB,2.5,1\n").unwrap();
        assert_eq!(l.jobs.len(), 2);
        assert!(!l.unrelated());
        assert_eq!((l.jobs[1].size, l.jobs[1].release), (2.5, 1.0));
        let l = parse_job_list("id,t_a,t_b\nA,3,4\nB,1,2\n").unwrap();
        assert_eq!(l.node_names, vec!["a", "b"]);
        assert_eq!(l.jobs[0].times, vec![3.0, 4.0]);
    }

    #[test]
    fn rejects_with_line_and_column() {
        let cases = [
            ("id\nA\n", "line 1"),
            ("id,size\nA,0\n", "line 2, size"),
            ("id,size\nA,x\n", "line 2, size"),
            ("id,size\nA,1\nA,2\n", "line 3, id"),
            ("id,size,colour\nA,1,red\n", "line 1"),
            ("id,size,t_a\nA,1,1\n", "line 1"),
            ("id,size,release\nA,1,-1\n", "line 2, release"),
            ("id,size\n", "line 2"),
        ];
        for (text, field) in cases {
            let e = parse_job_list(text).expect_err(text);
            assert_eq!(e.field, field, "{e}");
        }
    }
}
