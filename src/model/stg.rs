//! Reader of the Standard Task Graph format (Kasahara's STG set,
//! <https://www.kasahara.cs.waseda.ac.jp/schedule/>): the first line holds
//! the number `n` of tasks without the two dummies, then `n + 2` lines
//! `id cost npred pred...` (task 0 the dummy entry, task `n + 1` the dummy
//! exit, both of cost 0), then optional comment lines starting with `#`.
//! STG carries no data: every edge sends 0 bytes. The dummies are kept as
//! tasks of work 0, so the graph has `n + 2` tasks.

use super::workflow::{Dag, TaskSpec, task_field};
use crate::error::FieldError;

fn number<T: std::str::FromStr>(
    token: Option<&str>,
    line: usize,
    field: String,
    what: &str,
) -> Result<T, FieldError> {
    let t = token.ok_or_else(|| FieldError::new(field.clone(), "(missing)", what))?;
    t.parse::<T>()
        .map_err(|_| FieldError::new(format!("line {line}: {field}"), t, what))
}

/// Parses an STG file; `name` names the workflow.
pub fn parse(text: &str, name: &str) -> Result<Dag, FieldError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(k, l)| (k + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .take_while(|(_, l)| !l.starts_with('#'));
    let (first, header) = lines.next().ok_or_else(|| {
        FieldError::new(
            "line 1",
            "(empty)",
            "an STG file starts with its task count",
        )
    })?;
    let n: usize = number(
        header.split_whitespace().next(),
        first,
        "task count".into(),
        "the first line must be the number of tasks",
    )?;
    // The count is checked against the lines read, never trusted for an
    // allocation: a count of 2^63 must be refused, not reserved.
    let mut tasks = Vec::with_capacity(n.min(text.len()).saturating_add(2));
    for (line, l) in lines {
        let mut tok = l.split_whitespace();
        let id = tok.next().unwrap_or_default().to_string();
        if id.parse::<u64>().is_err() {
            return Err(FieldError::new(
                format!("line {line}: task id"),
                id,
                "an STG task line is `id cost npred pred...` with a whole-number id",
            ));
        }
        let cost: f64 = number(
            tok.next(),
            line,
            task_field(&id, "cost"),
            "the cost must be a number",
        )?;
        if !(cost.is_finite() && cost >= 0.0) {
            return Err(FieldError::new(
                format!("line {line}: {}", task_field(&id, "cost")),
                cost.to_string(),
                "negative work: a task's cost must be a finite number of at least 0",
            ));
        }
        let npred: usize = number(
            tok.next(),
            line,
            task_field(&id, "npred"),
            "the number of predecessors must be a whole number",
        )?;
        let preds: Vec<&str> = tok.collect();
        if preds.len() != npred {
            return Err(FieldError::new(
                format!("line {line}: {}", task_field(&id, "npred")),
                npred.to_string(),
                format!("the line lists {} predecessors", preds.len()),
            ));
        }
        tasks.push(TaskSpec {
            id: id.clone(),
            work: cost,
            cores: 1.0,
            parents: preds.iter().map(|p| (p.to_string(), 0.0)).collect(),
        });
    }
    if n.checked_add(2) != Some(tasks.len()) {
        return Err(FieldError::new(
            "task count",
            n.to_string(),
            format!(
                "the file has {} task lines; STG expects the count plus 2 (the dummy entry and exit)",
                tasks.len()
            ),
        ));
    }
    Dag::new(name, tasks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tasks_edges_and_costs() {
        let text = "2\n0 0 0\n1 5 1 0\n2 7 1 0\n3 0 2 1 2\n# comment\n";
        let d = parse(text, "g").unwrap();
        assert_eq!(d.len(), 4);
        assert_eq!(d.edges(), 4);
        assert_eq!(d.work, vec![0.0, 5.0, 7.0, 0.0]);
        assert_eq!(d.pred[3], vec![(1, 0.0), (2, 0.0)]);
    }

    #[test]
    fn refuses_unknown_predecessors_and_bad_counts() {
        let e = parse("1\n0 0 0\n1 5 1 9\n2 0 1 1\n", "g").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("tasks[1].parents", "9")
        );
        let e = parse("1\n0 0 0\n1 5 2 0\n2 0 1 1\n", "g").unwrap_err();
        assert!(e.field.contains("tasks[1].npred"), "{e}");
        let e = parse("1\n0 0 0\n1 -5 0\n2 0 1 1\n", "g").unwrap_err();
        assert!(e.field.contains("tasks[1].cost"), "{e}");
    }
}
