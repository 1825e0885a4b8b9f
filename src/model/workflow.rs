//! A workflow: tasks with dependencies, a directed acyclic graph (DAG).
//!
//! A task's work is its time at speed 1; an edge carries the bytes the
//! parent sends the child. The readers of foreign formats
//! ([`super::wfformat`], [`super::stg`]) build a list of [`TaskSpec`] and
//! [`Dag::new`] checks it: unique ids, known parents, finite non-negative
//! work and data, no cycle (the message names a task on it).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::dist::{Dist, DistSpec};
use crate::error::FieldError;

/// One task as a reader found it, before the graph is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    pub id: String,
    /// Time at speed 1.
    pub work: f64,
    /// Cores the task asked for (WfFormat `coreCount`); the planners give
    /// every task one processor, and report this only.
    pub cores: f64,
    /// Parents by id, with the bytes each sends this task.
    pub parents: Vec<(String, f64)>,
}

impl TaskSpec {
    pub fn new(id: &str, work: f64, parents: &[(&str, f64)]) -> TaskSpec {
        TaskSpec {
            id: id.to_string(),
            work,
            cores: 1.0,
            parents: parents.iter().map(|(p, d)| (p.to_string(), *d)).collect(),
        }
    }
}

/// A checked workflow. Tasks are numbered in the order of the file, and
/// that order breaks ties everywhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Dag {
    pub name: String,
    pub ids: Vec<String>,
    pub work: Vec<f64>,
    pub cores: Vec<f64>,
    /// `succ[i]`: the children of `i` with the bytes `i` sends each.
    pub succ: Vec<Vec<(usize, f64)>>,
    /// `pred[i]`: the parents of `i` with the bytes each sends `i`.
    pub pred: Vec<Vec<(usize, f64)>>,
    /// A topological order (Kahn's, smallest file index first).
    pub topo: Vec<usize>,
    index: HashMap<String, usize>,
}

/// The field name of a task's attribute in messages: `tasks[ID].field`.
pub fn task_field(id: &str, field: &str) -> String {
    format!("tasks[{id}].{field}")
}

impl Dag {
    /// Checks and builds the graph. A parent listed twice counts once (its
    /// data summed), as readers may see an edge from both ends.
    pub fn new(name: &str, tasks: Vec<TaskSpec>) -> Result<Dag, FieldError> {
        if tasks.is_empty() {
            return Err(FieldError::new("tasks", "0", "the workflow has no task"));
        }
        let mut index = HashMap::with_capacity(tasks.len());
        for (i, t) in tasks.iter().enumerate() {
            if index.insert(t.id.clone(), i).is_some() {
                return Err(FieldError::new(
                    task_field(&t.id, "id"),
                    &t.id,
                    "two tasks have this id",
                ));
            }
            if !(t.work.is_finite() && t.work >= 0.0) {
                return Err(FieldError::new(
                    task_field(&t.id, "work"),
                    t.work.to_string(),
                    "a task's work (runtime) must be a finite number of at least 0",
                ));
            }
        }
        let n = tasks.len();
        let mut pred: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        let mut succ: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for (i, t) in tasks.iter().enumerate() {
            for (p, data) in &t.parents {
                let Some(&j) = index.get(p) else {
                    return Err(FieldError::new(
                        task_field(&t.id, "parents"),
                        p,
                        "unknown parent: no task has this id",
                    ));
                };
                if !(data.is_finite() && *data >= 0.0) {
                    return Err(FieldError::new(
                        task_field(&t.id, "data"),
                        data.to_string(),
                        format!(
                            "the data sent by `{p}` must be a finite number of bytes, at least 0"
                        ),
                    ));
                }
                if j == i {
                    return Err(FieldError::new(
                        task_field(&t.id, "parents"),
                        p,
                        "a task cannot be its own parent (a cycle)",
                    ));
                }
                if let Some(e) = pred[i].iter_mut().find(|e| e.0 == j) {
                    e.1 += data;
                } else {
                    pred[i].push((j, *data));
                }
            }
        }
        for (i, ps) in pred.iter().enumerate() {
            for &(j, d) in ps {
                succ[j].push((i, d));
            }
        }
        let topo = topological(&pred, &succ);
        if topo.len() < n {
            let cycle = find_cycle(&pred, &topo);
            let names: Vec<&str> = cycle.iter().map(|&i| tasks[i].id.as_str()).collect();
            let first = names[0];
            return Err(FieldError::new(
                task_field(first, "parents"),
                names[names.len() - 1],
                format!(
                    "the dependencies form a cycle: {} -> {first}",
                    names.join(" -> ")
                ),
            ));
        }
        Ok(Dag {
            name: name.to_string(),
            ids: tasks.iter().map(|t| t.id.clone()).collect(),
            work: tasks.iter().map(|t| t.work).collect(),
            cores: tasks.iter().map(|t| t.cores).collect(),
            succ,
            pred,
            topo,
            index,
        })
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Number of edges.
    pub fn edges(&self) -> usize {
        self.pred.iter().map(Vec::len).sum()
    }

    /// The index of the task with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// `reach[i][j]`: whether `j` is a descendant of `i` (small graphs only:
    /// quadratic memory).
    pub fn descendants(&self) -> Vec<Vec<bool>> {
        let n = self.len();
        let mut reach = vec![vec![false; n]; n];
        for &i in self.topo.iter().rev() {
            for &(c, _) in &self.succ[i] {
                reach[i][c] = true;
                let below = reach[c].clone();
                for (r, x) in reach[i].iter_mut().zip(below) {
                    *r |= x;
                }
            }
        }
        reach
    }
}

/// A class whose jobs are workflows (`workflow = "file"` or inline
/// `[[classes.tasks]]`): each arrival is one instance of the graph, its
/// tasks visits that the scenario's workflow rule places on nodes.
#[derive(Debug, Clone)]
pub struct ClassFlow {
    pub dag: Dag,
    /// Per task, the distribution an inline task gave its work (`dag.work`
    /// then holds its mean, what static rules plan on); `None`: the work
    /// as given, times a gamma factor of mean 1 and scv `scv` when
    /// `scv > 0`.
    pub work: Vec<Option<Dist>>,
    pub scv: f64,
    /// The file the graph came from, or `inline`.
    pub source: String,
    /// The critical path of the given work, each task at its fastest speed
    /// (transfers excluded): an instance's least time alone.
    pub critical: f64,
}

impl ClassFlow {
    /// Whether a task's time is drawn (then static plans keep their order
    /// and placement, and the report says so).
    pub fn drawn(&self) -> bool {
        self.scv > 0.0 || self.work.iter().any(Option::is_some)
    }

    /// Whether an instance's slowdown (response over its critical path)
    /// has a finite mean: when `E[1/X]` is finite for the work `X` of some
    /// task, since the critical path is at least any one task's time. A
    /// gamma factor of scv `s` (shape `1/s`) has a finite `E[1/X]` exactly
    /// when `s < 1`.
    pub fn has_finite_slowdown_mean(&self) -> bool {
        (0..self.dag.len()).any(|i| match &self.work[i] {
            Some(d) => d.has_finite_inverse_mean(),
            None => self.dag.work[i] > 0.0 && self.scv < 1.0,
        })
    }
}

/// The network between nodes: a transfer takes `latency + bytes /
/// bandwidth` (HEFT's model: transfers do not contend).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Network {
    /// Bytes per time unit (infinite: data moves for free).
    pub bandwidth: f64,
    pub latency: f64,
}

impl Default for Network {
    fn default() -> Network {
        Network {
            bandwidth: f64::INFINITY,
            latency: 0.0,
        }
    }
}

impl Network {
    /// Time to move `bytes` between two different nodes.
    pub fn transfer(&self, bytes: f64) -> f64 {
        if self.bandwidth.is_infinite() {
            self.latency
        } else {
            self.latency + bytes / self.bandwidth
        }
    }
}

/// The speed of task `task` on a node of speed `speed` whose
/// `speed_by_task` is `by_task`: the longest prefix of the task's id
/// listed there, else the node's speed.
pub fn speed_for(by_task: &[(String, f64)], speed: f64, task: &str) -> f64 {
    by_task
        .iter()
        .filter(|(prefix, _)| task.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or(speed, |&(_, s)| s)
}

/// The longest path of `time(i)` over the graph (Σ along a path).
pub fn longest_path(dag: &Dag, time: impl Fn(usize) -> f64) -> f64 {
    let mut longest = vec![0.0f64; dag.len()];
    let mut best = 0.0f64;
    for &t in &dag.topo {
        let before = dag.pred[t]
            .iter()
            .map(|&(p, _)| longest[p])
            .fold(0.0, f64::max);
        longest[t] = before + time(t);
        best = best.max(longest[t]);
    }
    best
}

/// An inline task of a scenario's workflow class.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    pub id: String,
    pub work: RawWork,
    /// Its parents, by id.
    #[serde(default)]
    pub after: Vec<String>,
    /// Bytes it sends each of its children.
    #[serde(default)]
    pub data: f64,
}

/// A task's work: a number (time at speed 1) or a distribution.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawWork {
    Value(f64),
    Dist(Box<DistSpec>),
}

/// The graph of inline tasks, with the distributions they gave their work.
pub fn inline(
    name: &str,
    tasks: &[RawTask],
    field: &str,
    base: &Path,
) -> Result<(Dag, Vec<Option<Dist>>), FieldError> {
    let data: HashMap<&str, f64> = tasks.iter().map(|t| (t.id.as_str(), t.data)).collect();
    let mut specs = Vec::with_capacity(tasks.len());
    let mut dists = Vec::with_capacity(tasks.len());
    for t in tasks {
        let (work, dist) = match &t.work {
            RawWork::Value(w) => (*w, None),
            RawWork::Dist(spec) => {
                let d = Dist::from_spec(spec, &format!("{field}[{}].work", t.id), base)?;
                (d.mean(), Some(d))
            }
        };
        if !(t.data.is_finite() && t.data >= 0.0) {
            return Err(FieldError::new(
                format!("{field}[{}].data", t.id),
                t.data.to_string(),
                "the bytes a task sends each child must be a finite number of at least 0",
            ));
        }
        let parents = t
            .after
            .iter()
            .map(|p| (p.clone(), data.get(p.as_str()).copied().unwrap_or(0.0)))
            .collect();
        specs.push(TaskSpec {
            id: t.id.clone(),
            work,
            cores: 1.0,
            parents,
        });
        dists.push(dist);
    }
    let dag = Dag::new(name, specs).map_err(|e| {
        FieldError::new(
            e.field.replacen("tasks", field, 1),
            e.value,
            e.message.replace("parent", "task in `after`"),
        )
    })?;
    Ok((dag, dists))
}

/// Reads a workflow file: STG when its extension is `.stg`, else
/// WfFormat JSON; the graph is named after the file's stem. Errors name
/// the file.
pub fn read_file(
    path: &Path,
) -> Result<(Dag, Vec<super::wfformat::Machine>), crate::error::InputError> {
    use crate::error::InputError;
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("workflow")
        .to_string();
    let is_stg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("stg"));
    let in_file = |error: FieldError| InputError::Field {
        path: path.to_path_buf(),
        error,
    };
    if is_stg {
        Ok((
            super::stg::parse(&text, &stem).map_err(in_file)?,
            Vec::new(),
        ))
    } else {
        let inst = super::wfformat::parse(&text, &stem).map_err(in_file)?;
        Ok((inst.dag, inst.machines))
    }
}

/// Kahn's algorithm, smallest index first among the ready tasks, so the
/// order is the file's wherever the file is already topological.
fn topological(pred: &[Vec<(usize, f64)>], succ: &[Vec<(usize, f64)>]) -> Vec<usize> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut missing: Vec<usize> = pred.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Reverse<usize>> = (0..pred.len())
        .filter(|&i| missing[i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(pred.len());
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &(c, _) in &succ[i] {
            missing[c] -= 1;
            if missing[c] == 0 {
                ready.push(Reverse(c));
            }
        }
    }
    order
}

/// A cycle among the tasks Kahn's algorithm could not order, in the
/// direction of the edges. Every such task has a parent among them, so
/// walking up parents must come back to a task already seen.
fn find_cycle(pred: &[Vec<(usize, f64)>], ordered: &[usize]) -> Vec<usize> {
    let mut done = vec![false; pred.len()];
    for &i in ordered {
        done[i] = true;
    }
    let start = (0..pred.len()).find(|&i| !done[i]).expect("a task is left");
    let mut seen_at = vec![usize::MAX; pred.len()];
    let mut walk = Vec::new();
    let mut u = start;
    while seen_at[u] == usize::MAX {
        seen_at[u] = walk.len();
        walk.push(u);
        u = pred[u]
            .iter()
            .map(|e| e.0)
            .find(|&p| !done[p])
            .expect("an unordered task has an unordered parent");
    }
    // `walk` goes child -> parent; the cycle is its tail from `u`, reversed.
    let mut cycle = walk[seen_at[u]..].to_vec();
    cycle.reverse();
    // Start at the task first in the file, whichever task the walk began at.
    let first = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
    cycle.rotate_left(first);
    cycle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_edges_and_topological_order() {
        let dag = Dag::new(
            "w",
            vec![
                TaskSpec::new("c", 1.0, &[("a", 2.0), ("b", 3.0)]),
                TaskSpec::new("a", 2.0, &[]),
                TaskSpec::new("b", 4.0, &[("a", 5.0)]),
            ],
        )
        .unwrap();
        assert_eq!(dag.len(), 3);
        assert_eq!(dag.edges(), 3);
        assert_eq!(dag.topo, vec![1, 2, 0]);
        assert_eq!(dag.succ[1], vec![(0, 2.0), (2, 5.0)]);
        let reach = dag.descendants();
        assert!(reach[1][0] && reach[1][2] && reach[2][0] && !reach[0][1]);
    }

    #[test]
    fn names_a_task_on_a_cycle() {
        let err = Dag::new(
            "w",
            vec![
                TaskSpec::new("x", 1.0, &[]),
                TaskSpec::new("a", 1.0, &[("c", 0.0), ("x", 0.0)]),
                TaskSpec::new("b", 1.0, &[("a", 0.0)]),
                TaskSpec::new("c", 1.0, &[("b", 0.0)]),
            ],
        )
        .unwrap_err();
        assert_eq!(err.field, "tasks[a].parents");
        assert!(err.message.contains("a -> b -> c -> a"), "{err}");
    }

    #[test]
    fn refuses_unknown_parents_negative_work_and_data() {
        let e = Dag::new("w", vec![TaskSpec::new("a", 1.0, &[("zz", 0.0)])]).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("tasks[a].parents", "zz")
        );
        let e = Dag::new("w", vec![TaskSpec::new("a", -1.0, &[])]).unwrap_err();
        assert_eq!(e.field, "tasks[a].work");
        let e = Dag::new(
            "w",
            vec![
                TaskSpec::new("a", 1.0, &[]),
                TaskSpec::new("b", 1.0, &[("a", -3.0)]),
            ],
        )
        .unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("tasks[b].data", "-3")
        );
    }
}
