//! Rows of the CSV job lists that `gantt` and `optimize` read: each cell
//! checked with the line and column named, and ids unique.

use std::collections::HashSet;

use csv::StringRecord;

use crate::error::FieldError;

/// One data row of a CSV job list and the 1-based line it came from.
pub struct Row<'a> {
    pub record: &'a StringRecord,
    pub line: u64,
}

/// Reads the next record, or says which line could not be read.
pub fn record(r: Result<StringRecord, csv::Error>) -> Result<StringRecord, FieldError> {
    r.map_err(|e| {
        let line = e.position().map_or(0, |p| p.line());
        FieldError::new(format!("line {line}"), "(record)", e.to_string())
    })
}

impl<'a> Row<'a> {
    pub fn new(record: &'a StringRecord) -> Row<'a> {
        Row {
            record,
            line: record.position().map_or(0, |p| p.line()),
        }
    }

    /// The text of column `col` (empty when the row is short).
    pub fn text(&self, col: usize) -> &'a str {
        self.record.get(col).unwrap_or("")
    }

    /// An error about column `name` of this row.
    pub fn error(&self, name: &str, value: impl Into<String>, message: &str) -> FieldError {
        FieldError::new(format!("line {}, {name}", self.line), value, message)
    }

    /// Column `col` (called `name` in messages) as a finite number.
    pub fn number(&self, col: usize, name: &str) -> Result<f64, FieldError> {
        let raw = self.text(col);
        raw.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.error(name, format!("\"{raw}\""), "must be a number"))
    }

    /// A number greater than 0.
    pub fn positive(&self, col: usize, name: &str) -> Result<f64, FieldError> {
        let v = self.number(col, name)?;
        if v <= 0.0 {
            return Err(self.error(name, v.to_string(), "must be greater than 0"));
        }
        Ok(v)
    }

    /// A number of at least 0.
    pub fn non_negative(&self, col: usize, name: &str) -> Result<f64, FieldError> {
        let v = self.number(col, name)?;
        if v < 0.0 {
            return Err(self.error(name, v.to_string(), "must be >= 0"));
        }
        Ok(v)
    }

    /// The job's id from column `col`: present, and not seen before.
    pub fn id(&self, col: usize, seen: &mut HashSet<String>) -> Result<String, FieldError> {
        let id = self.text(col).to_string();
        if id.is_empty() {
            return Err(self.error("id", "\"\"", "every job needs an id"));
        }
        if !seen.insert(id.clone()) {
            return Err(self.error("id", format!("\"{id}\""), "duplicate id"));
        }
        Ok(id)
    }
}
