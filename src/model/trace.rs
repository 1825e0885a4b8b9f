//! Arrival traces: `arrival = { trace = "arrivals.csv" }`.
//!
//! A CSV file, its path relative to the scenario file, with the arrival
//! time of one job a line and optionally its size: columns `time[,size]`,
//! an optional header line naming them (`time` or `time,size`), lines
//! starting with `#` ignored. Times are sorted (equal times are jobs
//! arriving together); sizes, when there is no size column, come from the
//! class's `service`.
//!
//! The file is read once when the scenario is loaded, to check every line
//! (an error names the file and the line) and to learn its rate, and then
//! streamed again at each replication: the times are never held in memory.
//! The sizes, when the file has them, are kept once (8 bytes a line) as the
//! class's size distribution, which loads, size bins and theory read.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::error::FieldError;
use crate::model::Dist;

/// A checked trace file.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The file as the scenario names it, and resolved.
    pub file: String,
    pub path: PathBuf,
    /// Jobs in the file.
    pub rows: u64,
    /// The last arrival time, as written.
    pub last: f64,
    /// Whether the file has a size column, and the sizes' mean (0 without).
    pub has_sizes: bool,
    pub size_mean: f64,
    /// Whether the first line is a header.
    header: bool,
    /// Factor on every time (1 as written; sweeps of the arrival rate change it).
    pub time_scale: f64,
}

fn reader(path: &Path) -> std::io::Result<csv::Reader<BufReader<File>>> {
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(BufReader::new(File::open(path)?)))
}

/// One line: its time and size, checked against the line before.
fn parse_line(
    record: &csv::StringRecord,
    columns: usize,
    previous: f64,
) -> Result<(f64, Option<f64>), String> {
    if record.len() != columns {
        return Err(format!(
            "{} column(s) where the file has {columns} ({})",
            record.len(),
            if columns == 1 { "time" } else { "time,size" }
        ));
    }
    let time: f64 = record[0]
        .parse()
        .map_err(|_| format!("time `{}` is not a number", &record[0]))?;
    if !(time.is_finite() && time >= 0.0) {
        return Err(format!("time {time} is not a finite number >= 0"));
    }
    if time < previous {
        return Err(format!(
            "time {time} comes before {previous} on the line above: the trace must be sorted by time"
        ));
    }
    let size = if columns == 2 {
        let s: f64 = record[1]
            .parse()
            .map_err(|_| format!("size `{}` is not a number", &record[1]))?;
        if !(s.is_finite() && s >= 0.0) {
            return Err(format!("size {s} is not a finite number >= 0"));
        }
        Some(s)
    } else {
        None
    };
    Ok((time, size))
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

impl Trace {
    /// Reads and checks `file` (relative to `base_dir`); `field` names the
    /// scenario field in errors. Returns the sizes' distribution when the
    /// file has a size column.
    pub fn open(
        file: &str,
        base_dir: &Path,
        field: &str,
    ) -> Result<(Trace, Option<Dist>), FieldError> {
        let path = base_dir.join(file);
        let err = |msg: String| FieldError::new(field, format!("{file:?}"), msg);
        match std::fs::metadata(&path) {
            Ok(m) if !m.is_file() => {
                return Err(err(
                    "is not a regular file; give a CSV file of arrival times".into(),
                ));
            }
            Ok(_) => {}
            Err(e) => return Err(err(format!("cannot read {}: {e}", path.display()))),
        }
        let mut rdr =
            reader(&path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        let mut record = csv::StringRecord::new();
        let mut trace = Trace {
            file: file.to_string(),
            path: path.clone(),
            rows: 0,
            last: 0.0,
            has_sizes: false,
            size_mean: 0.0,
            header: false,
            time_scale: 1.0,
        };
        let mut columns = 0;
        let mut sizes = Vec::new();
        loop {
            let more = rdr.read_record(&mut record).map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                err(format!("line {line}: {e}"))
            })?;
            if !more {
                break;
            }
            let line = line_of(&record);
            if columns == 0 {
                let first = record.get(0).unwrap_or("");
                if first.parse::<f64>().is_err() {
                    let names: Vec<&str> = record.iter().collect();
                    columns = match names.as_slice() {
                        ["time"] => 1,
                        ["time", "size"] => 2,
                        _ => {
                            return Err(err(format!(
                                "line {line}: the header must be `time` or `time,size`, not `{}`",
                                names.join(",")
                            )));
                        }
                    };
                    trace.header = true;
                    continue;
                }
                columns = record.len();
                if !(1..=2).contains(&columns) {
                    return Err(err(format!(
                        "line {line}: {columns} columns; a trace has `time` and optionally `size`"
                    )));
                }
            }
            let (time, size) = parse_line(&record, columns, trace.last)
                .map_err(|m| err(format!("line {line}: {m}")))?;
            trace.rows += 1;
            trace.last = time;
            if let Some(s) = size {
                sizes.push(s);
            }
        }
        if trace.rows == 0 {
            return Err(err("holds no arrival; give one time a line".into()));
        }
        trace.has_sizes = columns == 2;
        let sizes = if trace.has_sizes {
            if sizes.iter().all(|&s| s == 0.0) {
                return Err(err("every size is 0".into()));
            }
            let d = Dist::Empirical {
                values: sizes.into(),
            };
            trace.size_mean = d.mean();
            Some(d)
        } else {
            None
        };
        Ok((trace, sizes))
    }

    /// Arrivals per unit of time over the trace's span (its rows over its
    /// last time; the row count itself when every time is 0).
    pub fn mean_rate(&self) -> f64 {
        let span = self.last * self.time_scale;
        if span > 0.0 {
            self.rows as f64 / span
        } else {
            self.rows as f64
        }
    }

    /// The trace with every time multiplied by `factor`.
    pub fn time_scaled(&self, factor: f64) -> Trace {
        Trace {
            time_scale: self.time_scale * factor,
            ..self.clone()
        }
    }

    /// A fresh pass over the file.
    pub fn replay(&self) -> TraceReader {
        let mut rdr = reader(&self.path).unwrap_or_else(|e| {
            panic!(
                "{}: cannot reopen the trace read when the scenario was loaded: {e}",
                self.path.display()
            )
        });
        let mut record = csv::StringRecord::new();
        if self.header {
            // Checked when the scenario was loaded.
            let _ = rdr.read_record(&mut record);
        }
        TraceReader {
            rdr,
            record,
            columns: if self.has_sizes { 2 } else { 1 },
            scale: self.time_scale,
            last: 0.0,
            path: self.path.clone(),
        }
    }
}

/// One pass over a trace: its times (scaled) and sizes, in order.
pub struct TraceReader {
    rdr: csv::Reader<BufReader<File>>,
    record: csv::StringRecord,
    columns: usize,
    scale: f64,
    last: f64,
    path: PathBuf,
}

impl TraceReader {
    /// The next line's time and size, or `None` at the end.
    ///
    /// The file was checked line by line when the scenario was loaded; a
    /// line that fails now means the file changed during the run, which
    /// is reported (a panic naming the file and line) rather than replayed
    /// as something else.
    pub fn next_row(&mut self) -> Option<(f64, Option<f64>)> {
        let fail = |what: String| -> ! {
            panic!(
                "{}: the trace changed while the run read it: {what}",
                self.path.display()
            )
        };
        match self.rdr.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => match parse_line(&self.record, self.columns, self.last) {
                Ok((t, size)) => {
                    self.last = t;
                    Some((t * self.scale, size))
                }
                Err(m) => fail(format!("line {}: {m}", line_of(&self.record))),
            },
            Err(e) => fail(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(text: &str) -> Result<(Trace, Option<Dist>), FieldError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.csv"), text).unwrap();
        let r = Trace::open("t.csv", dir.path(), "classes[0].arrival.trace");
        // Replay while the file exists.
        if let Ok((t, _)) = &r {
            let mut rows = t.replay();
            let mut n = 0;
            while rows.next_row().is_some() {
                n += 1;
            }
            assert_eq!(n, t.rows);
        }
        r
    }

    #[test]
    fn reads_times_with_or_without_header_and_sizes() {
        let (t, sizes) = open("time,size\n0.5,1\n1.5,2\n# a note\n\n1.5,3\n4,0.5\n").unwrap();
        assert_eq!((t.rows, t.last, t.has_sizes), (4, 4.0, true));
        assert_eq!(t.mean_rate(), 1.0);
        assert_eq!(sizes.unwrap().mean(), 6.5 / 4.0);
        let (t, sizes) = open("1\n2\n3\n").unwrap();
        assert_eq!((t.rows, t.has_sizes), (3, false));
        assert!(sizes.is_none());
        let (t, _) = open("time\n0\n").unwrap();
        assert_eq!((t.rows, t.mean_rate()), (1, 1.0));
    }

    #[test]
    fn errors_name_the_line() {
        let e = open("0\n1\n3\n2\n").unwrap_err();
        assert_eq!(e.field, "classes[0].arrival.trace");
        assert!(e.value.contains("t.csv"), "{e}");
        assert!(
            e.message.contains("line 4") && e.message.contains("sorted"),
            "{e}"
        );
        let e = open("time,size\n0,1\n1\n").unwrap_err();
        assert!(e.message.contains("line 3"), "{e}");
        let e = open("0,1\nx,2\n").unwrap_err();
        assert!(
            e.message.contains("line 2") && e.message.contains("`x`"),
            "{e}"
        );
        let e = open("when\n1\n").unwrap_err();
        assert!(e.message.contains("header"), "{e}");
        let e = open("0,-1\n").unwrap_err();
        assert!(e.message.contains("size -1"), "{e}");
        let e = open("-1\n").unwrap_err();
        assert!(e.message.contains("line 1"), "{e}");
        let e = open("# nothing\n").unwrap_err();
        assert!(e.message.contains("no arrival"), "{e}");
    }
}
