//! The inputs of `schedlab workflow` other than the graph: a cost matrix
//! (CSV `task,NODE1,NODE2,...`, one time per task and node, as in the HEFT
//! paper) and the `[[nodes]]` and `[network]` tables of a scenario file.
//! Errors are [`FieldError`]s naming the line, the task and the value; the
//! command adds the file.

use std::collections::HashMap;

use serde::Deserialize;

use super::{Dag, Platform};
use crate::error::FieldError;
use crate::model::workflow::task_field;

/// Reads a cost matrix for `dag`: one row per task (any order), one
/// column per processor, each time finite and at least 0.
pub fn cost_matrix(text: &str, dag: &Dag) -> Result<Platform, FieldError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| FieldError::new("header", "(csv)", format!("not CSV: {e}")))?
        .clone();
    let names: Vec<String> = header.iter().skip(1).map(str::to_string).collect();
    if names.is_empty() {
        return Err(FieldError::new(
            "header",
            header.iter().collect::<Vec<_>>().join(","),
            "a cost matrix is `task,NODE1,NODE2,...`: at least one node column",
        ));
    }
    let mut costs: Vec<Option<Vec<f64>>> = vec![None; dag.len()];
    for (k, record) in reader.records().enumerate() {
        let line = k + 2;
        let record = record.map_err(|e| {
            FieldError::new(format!("line {line}"), "(csv)", format!("not CSV: {e}"))
        })?;
        let id = record.get(0).unwrap_or_default().to_string();
        let Some(i) = dag.index_of(&id) else {
            return Err(FieldError::new(
                format!("line {line}: task"),
                id,
                "unknown task: the workflow has no task with this id",
            ));
        };
        if costs[i].is_some() {
            return Err(FieldError::new(
                format!("line {line}: task"),
                id,
                "the task has two rows",
            ));
        }
        if record.len() != names.len() + 1 {
            return Err(FieldError::new(
                format!("line {line}: {}", task_field(&id, "costs")),
                record.len().saturating_sub(1).to_string(),
                format!("the header names {} nodes", names.len()),
            ));
        }
        let mut row = Vec::with_capacity(names.len());
        for (node, cell) in names.iter().zip(record.iter().skip(1)) {
            match cell.parse::<f64>() {
                Ok(c) if c.is_finite() && c >= 0.0 => row.push(c),
                _ => {
                    return Err(FieldError::new(
                        format!("line {line}: {}", task_field(&id, node)),
                        cell,
                        "negative or missing work: a time must be a finite number of at least 0",
                    ));
                }
            }
        }
        costs[i] = Some(row);
    }
    let mut full = Vec::with_capacity(dag.len());
    for (i, row) in costs.into_iter().enumerate() {
        match row {
            Some(r) => full.push(r),
            None => {
                return Err(FieldError::new(
                    task_field(&dag.ids[i], "costs"),
                    "(missing)",
                    "the cost matrix has no row for this task",
                ));
            }
        }
    }
    Ok(Platform::unrelated(names, full))
}

#[derive(Debug, Deserialize)]
struct NodesFile {
    #[serde(default)]
    nodes: Vec<NodeEntry>,
    network: Option<Network>,
}

#[derive(Debug, Deserialize)]
struct NodeEntry {
    name: String,
    #[serde(default = "one")]
    speed: f64,
    #[serde(default = "one_server")]
    servers: u32,
    /// Tasks whose id begins with a key run at its speed on this node.
    #[serde(default)]
    speed_by_task: std::collections::BTreeMap<String, f64>,
}

fn one() -> f64 {
    1.0
}

fn one_server() -> u32 {
    1
}

/// The network of a scenario file, each part optional.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
pub struct Network {
    pub bandwidth: Option<f64>,
    pub latency: Option<f64>,
}

/// The `[[nodes]]` (name, speed, servers) and `[network]` of a scenario
/// file; other tables are not read.
pub fn nodes_file(text: &str, dag: &Dag) -> Result<(Platform, Network), FieldError> {
    let file: NodesFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].lines().count().max(1)
        });
        FieldError::new(format!("line {line}"), "(toml)", e.message().to_string())
    })?;
    if file.nodes.is_empty() {
        return Err(FieldError::new(
            "nodes",
            "(missing)",
            "the file has no [[nodes]] table",
        ));
    }
    let mut seen = HashMap::new();
    for n in &file.nodes {
        if seen.insert(n.name.clone(), ()).is_some() {
            return Err(FieldError::new(
                format!("nodes[{}].name", n.name),
                &n.name,
                "two nodes have this name",
            ));
        }
    }
    for n in &file.nodes {
        if let Some((prefix, speed)) = n
            .speed_by_task
            .iter()
            .find(|(_, s)| !(s.is_finite() && **s > 0.0))
        {
            return Err(FieldError::new(
                format!("nodes[{}].speed_by_task.{prefix}", n.name),
                speed.to_string(),
                "must be a finite number greater than 0",
            ));
        }
    }
    let nodes: Vec<(String, f64, u32)> = file
        .nodes
        .iter()
        .map(|n| (n.name.clone(), n.speed, n.servers))
        .collect();
    let mut platform = Platform::new(&nodes)?;
    if file.nodes.iter().any(|n| !n.speed_by_task.is_empty()) {
        // Unrelated machines: each task's time on each processor.
        let by_task: Vec<Vec<(String, f64)>> = file
            .nodes
            .iter()
            .map(|n| n.speed_by_task.clone().into_iter().collect())
            .collect();
        platform.costs = Some(
            (0..dag.len())
                .map(|i| {
                    platform
                        .node_of
                        .iter()
                        .map(|&j| {
                            let speed = crate::model::workflow::speed_for(
                                &by_task[j],
                                file.nodes[j].speed,
                                &dag.ids[i],
                            );
                            dag.work[i] / speed
                        })
                        .collect()
                })
                .collect(),
        );
    }
    Ok((platform, file.network.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workflow::TaskSpec;

    fn dag() -> Dag {
        Dag::new(
            "w",
            vec![
                TaskSpec::new("a", 1.0, &[]),
                TaskSpec::new("b", 1.0, &[("a", 3.0)]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn reads_a_cost_matrix_in_any_row_order() {
        let p = cost_matrix("task,X,Y\nb,4,5\na,1,2\n", &dag()).unwrap();
        assert_eq!(p.names, vec!["X", "Y"]);
        assert_eq!(p.costs, Some(vec![vec![1.0, 2.0], vec![4.0, 5.0]]));
        let e = cost_matrix("task,X,Y\na,1,2\n", &dag()).unwrap_err();
        assert_eq!(e.field, "tasks[b].costs");
        let e = cost_matrix("task,X,Y\na,1,-2\nb,1,1\n", &dag()).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("line 2: tasks[a].Y", "-2")
        );
        let e = cost_matrix("task,X\nzz,1\n", &dag()).unwrap_err();
        assert_eq!(e.value, "zz");
    }

    #[test]
    fn reads_nodes_with_servers_and_the_network() {
        let text = "name = \"s\"\n[[classes]]\nname = \"c\"\n[[nodes]]\nname = \"cpu\"\n\
                    servers = 2\n[[nodes]]\nname = \"gpu\"\nspeed = 4.0\n\
                    [network]\nbandwidth = 10.0\nlatency = 0.5\n";
        let (p, net) = nodes_file(text, &dag()).unwrap();
        assert_eq!(p.names, vec!["cpu.0", "cpu.1", "gpu"]);
        assert_eq!(p.speeds, vec![1.0, 1.0, 4.0]);
        assert_eq!(p.node_of, vec![0, 0, 1]);
        assert_eq!(net.bandwidth, Some(10.0));
        assert_eq!(net.latency, Some(0.5));
        // Same node: no transfer; different nodes: latency + bytes / bandwidth.
        let p = p.with_network(10.0, 0.5).unwrap();
        assert_eq!(p.comm(30.0, 0, 1), 0.0);
        assert_eq!(p.comm(30.0, 1, 2), 3.5);
    }
}
