//! Text renderings of a teaching schedule: the Gantt chart, the per-job
//! table, the comparison of policies, and the JSON document.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::trace::{Schedule, SegmentKind, num};

/// Columns per time unit so the chart fits in about 72 columns, whatever
/// the time scale of the exercise.
fn scale(makespan: f64) -> f64 {
    if makespan <= 0.0 {
        1.0
    } else {
        (72.0 / makespan).min(6.0)
    }
}

/// An ASCII Gantt chart: one row per CPU, `|` at every boundary, the job
/// (or `idle`, or `cs` for a context switch) between, and the times below.
pub fn ascii_gantt(s: &Schedule) -> String {
    let k = scale(s.makespan());
    let col = |t: f64| (t * k).round() as usize;
    let width = col(s.makespan()) + 1;
    let mut out = String::new();
    for cpu in 0..s.cpus {
        let segs: Vec<_> = s.timeline.iter().filter(|g| g.cpu == cpu).collect();
        let mut bar = vec![' '; width];
        let mut axis = vec![' '; width + 8];
        let mut next_free = 0;
        let mut mark = |t: f64, bar: &mut Vec<char>, axis: &mut Vec<char>| {
            let c = col(t).min(width - 1);
            bar[c] = '|';
            let label = num(t);
            if c >= next_free {
                // The axis grows to hold the last label whole (a time of
                // 16 digits was cut to the 8 columns past the chart).
                let end = c + label.chars().count();
                if end > axis.len() {
                    axis.resize(end, ' ');
                }
                for (i, ch) in label.chars().enumerate() {
                    axis[c + i] = ch;
                }
                next_free = end + 1;
            }
        };
        for g in &segs {
            let (a, b) = (col(g.start), col(g.end).min(width - 1));
            let label = match g.kind {
                SegmentKind::Run => g.job.clone().unwrap_or_default(),
                SegmentKind::Idle => "idle".into(),
                SegmentKind::Switch => "cs".into(),
            };
            let fill = if g.kind == SegmentKind::Idle {
                '.'
            } else {
                ' '
            };
            for c in bar.iter_mut().take(b).skip(a + 1) {
                *c = fill;
            }
            for (i, ch) in label.chars().enumerate() {
                if a + 1 + i < b {
                    bar[a + 1 + i] = ch;
                }
            }
        }
        for g in &segs {
            mark(g.start, &mut bar, &mut axis);
            mark(g.end, &mut bar, &mut axis);
        }
        let prefix = format!("CPU {cpu} ");
        let _ = writeln!(out, "{prefix}{}", bar.iter().collect::<String>().trim_end());
        let _ = writeln!(
            out,
            "{}{}",
            " ".repeat(prefix.len()),
            axis.iter().collect::<String>().trim_end()
        );
    }
    out
}

/// The textbook table: one line per job, then the averages.
pub fn job_table(s: &Schedule) -> String {
    let header = [
        "job",
        "arrival",
        "burst",
        "priority",
        "completion",
        "turnaround",
        "waiting",
        "response",
    ];
    let mut rows: Vec<Vec<String>> = s
        .outcomes
        .iter()
        .map(|o| {
            vec![
                o.id.clone(),
                num(o.arrival),
                num(o.burst),
                o.priority.to_string(),
                num(o.completion),
                num(o.turnaround),
                num(o.waiting),
                num(o.response),
            ]
        })
        .collect();
    let (w, t, r) = s.averages();
    let avg = |x: f64| format!("{}", (x * 1000.0).round() / 1000.0);
    rows.push(vec![
        "average".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        avg(t),
        avg(w),
        avg(r),
    ]);
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r));
    }
    out
}

/// One line per policy: averages, and `*` on the best average waiting time.
pub fn comparison_table(schedules: &[Schedule]) -> String {
    let best = schedules
        .iter()
        .map(|s| s.averages().0)
        .fold(f64::INFINITY, f64::min);
    let width = schedules
        .iter()
        .map(|s| s.policy.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "{:<width$}  {:>12}  {:>15}  {:>13}\n",
        "policy", "avg waiting", "avg turnaround", "avg response"
    );
    for s in schedules {
        let (w, t, r) = s.averages();
        let star = if (w - best).abs() < 1e-9 {
            "  * best"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:<width$}  {w:>12.3}  {t:>15.3}  {r:>13.3}{star}",
            s.policy
        );
    }
    out
}

/// The JSON document of `schedlab gantt --json`.
pub fn json(s: &Schedule) -> Value {
    let (w, t, r) = s.averages();
    json!({
        "policy": s.policy,
        "cpus": s.cpus,
        "jobs": s.outcomes,
        "average": {"waiting": w, "turnaround": t, "response": r},
        "timeline": s.timeline,
    })
}
