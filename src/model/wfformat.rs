//! Reader of WfFormat, the JSON format of WfCommons workflow instances
//! (<https://github.com/wfcommons/WfFormat>), schema versions 1.4 to 1.6.
//!
//! 1.5 and 1.6 split a workflow into `workflow.specification` (tasks with
//! `id`, `parents`, `children`, `inputFiles`, `outputFiles`; files with
//! `id`, `sizeInBytes`) and `workflow.execution` (tasks with `id`,
//! `runtimeInSeconds`, `coreCount`; `machines`). 1.4 keeps one list
//! `workflow.tasks` whose entries carry `runtimeInSeconds`, `cores` and
//! `files` (`name`, `sizeInBytes`, `link` = input or output), refer to each
//! other by name or id, and lists `workflow.machines`.
//!
//! A task's work is its runtime; the data a parent sends a child is the
//! total size of the parent's output files that the child reads. An edge
//! listed only among a parent's `children` counts as well.

use std::collections::HashMap;

use serde_json::Value;

use super::workflow::{Dag, TaskSpec, task_field};
use crate::error::FieldError;

/// The schema versions this reader knows.
pub const VERSIONS: [&str; 3] = ["1.4", "1.5", "1.6"];

/// A machine of `workflow.execution.machines` (1.4: `workflow.machines`).
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub name: String,
    /// `cpu.coreCount` (1.4: `cpu.count`), 1 when absent.
    pub cores: u32,
    pub speed_mhz: Option<f64>,
}

/// A WfFormat instance: its graph and the machines it ran on, if listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub dag: Dag,
    pub machines: Vec<Machine>,
}

fn err(field: impl Into<String>, value: impl Into<String>, message: &str) -> FieldError {
    FieldError::new(field, value, message)
}

fn get<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a Value, FieldError> {
    v.get(key)
        .ok_or_else(|| err(format!("{at}.{key}"), "(missing)", "required"))
}

fn array<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a [Value], FieldError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(err(
            format!("{at}.{key}"),
            other.to_string(),
            "must be a list",
        )),
    }
}

fn strings(v: &Value, key: &str, at: &str) -> Result<Vec<String>, FieldError> {
    array(v, key, at)?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| err(format!("{at}.{key}"), s.to_string(), "must be a string"))
        })
        .collect()
}

fn text(v: &Value, key: &str, at: &str) -> Result<String, FieldError> {
    let x = get(v, key, at)?;
    x.as_str()
        .map(str::to_string)
        .ok_or_else(|| err(format!("{at}.{key}"), x.to_string(), "must be a string"))
}

/// A number of bytes: finite and at least 0.
fn bytes(v: &Value, field: String) -> Result<f64, FieldError> {
    match v.as_f64() {
        Some(b) if b.is_finite() && b >= 0.0 => Ok(b),
        Some(b) => Err(err(
            field,
            b.to_string(),
            "a size in bytes must be at least 0",
        )),
        None => Err(err(field, v.to_string(), "must be a number of bytes")),
    }
}

/// A runtime: finite and at least 0.
fn runtime(v: Option<&Value>, id: &str, key: &str) -> Result<f64, FieldError> {
    let field = task_field(id, key);
    match v {
        None | Some(Value::Null) => Err(err(
            field,
            "(missing)",
            "a task needs a runtime (its work at speed 1)",
        )),
        Some(x) => match x.as_f64() {
            Some(r) if r.is_finite() && r >= 0.0 => Ok(r),
            Some(r) => Err(err(field, r.to_string(), "a runtime must be at least 0")),
            None => Err(err(field, x.to_string(), "must be a number of seconds")),
        },
    }
}

/// Parses a WfFormat document; `fallback` names the workflow when the
/// document does not.
pub fn parse(text_: &str, fallback: &str) -> Result<Instance, FieldError> {
    let doc: Value = serde_json::from_str(text_).map_err(|e| {
        err(
            format!("line {}", e.line()),
            "(json)",
            &format!("not valid JSON: {e}"),
        )
    })?;
    if !doc.is_object() {
        return Err(err(
            "(document)",
            "(json)",
            "a WfFormat instance is a JSON object",
        ));
    }
    let version = match doc.get("schemaVersion") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => {
            return Err(err(
                "schemaVersion",
                "(missing)",
                "required (WfFormat 1.4, 1.5 or 1.6)",
            ));
        }
    };
    if !VERSIONS.contains(&version.as_str()) {
        return Err(err(
            "schemaVersion",
            version,
            "unsupported WfFormat version: this reader takes 1.4, 1.5 and 1.6 (migrate older \
             files with WfFormat's wfcommons-migrate-instance.py)",
        ));
    }
    let name = doc
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(fallback)
        .to_string();
    let workflow = get(&doc, "workflow", "(document)")?;
    let (tasks, machines) = if version == "1.4" {
        read_14(workflow)?
    } else {
        read_15(workflow)?
    };
    Ok(Instance {
        dag: Dag::new(&name, tasks)?,
        machines,
    })
}

/// Bytes of `outputs` that appear in `inputs`.
fn shared(outputs: &[String], inputs: &[String], size: &HashMap<String, f64>) -> f64 {
    outputs
        .iter()
        .filter(|f| inputs.contains(f))
        .map(|f| size.get(f).copied().unwrap_or(0.0))
        .sum()
}

/// The edges of both ends (`parents` and `children`), each once, in the
/// order the parents were listed, then the children's additions.
fn edges(
    ids: &[String],
    parents: &[Vec<String>],
    children: &[Vec<String>],
) -> Result<Vec<Vec<String>>, FieldError> {
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut all = parents.to_vec();
    for (i, cs) in children.iter().enumerate() {
        for c in cs {
            let Some(&k) = index.get(c.as_str()) else {
                return Err(err(
                    task_field(&ids[i], "children"),
                    c.clone(),
                    "unknown child: no task has this id",
                ));
            };
            if !all[k].contains(&ids[i]) {
                all[k].push(ids[i].clone());
            }
        }
    }
    Ok(all)
}

fn read_15(workflow: &Value) -> Result<(Vec<TaskSpec>, Vec<Machine>), FieldError> {
    let spec = get(workflow, "specification", "workflow")?;
    let at = "workflow.specification";
    let mut size = HashMap::new();
    for (k, f) in array(spec, "files", at)?.iter().enumerate() {
        let id = text(f, "id", &format!("{at}.files[{k}]"))?;
        // A negative size is reported below, with a task that uses the file.
        let v = get(f, "sizeInBytes", &format!("{at}.files[{id}]"))?;
        let b = v.as_f64().filter(|b| b.is_finite()).ok_or_else(|| {
            err(
                format!("{at}.files[{id}].sizeInBytes"),
                v.to_string(),
                "must be a number of bytes",
            )
        })?;
        size.insert(id, b);
    }
    let spec_tasks = array(spec, "tasks", at)?;
    let mut ids = Vec::with_capacity(spec_tasks.len());
    let (mut parents, mut children, mut inputs, mut outputs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, t) in spec_tasks.iter().enumerate() {
        let id = text(t, "id", &format!("{at}.tasks[{k}]"))?;
        let here = format!("tasks[{id}]");
        parents.push(strings(t, "parents", &here)?);
        children.push(strings(t, "children", &here)?);
        let (i, o) = (
            strings(t, "inputFiles", &here)?,
            strings(t, "outputFiles", &here)?,
        );
        for (key, list) in [("inputFiles", &i), ("outputFiles", &o)] {
            if let Some(f) = list.iter().find(|f| !size.contains_key(*f)) {
                return Err(err(
                    task_field(&id, key),
                    f.clone(),
                    "unknown file: not in workflow.specification.files",
                ));
            }
            if let Some(f) = list.iter().find(|f| size[*f] < 0.0) {
                return Err(err(
                    task_field(&id, key),
                    f.clone(),
                    &format!("negative data: the file's sizeInBytes is {}", size[f]),
                ));
            }
        }
        inputs.push(i);
        outputs.push(o);
        ids.push(id);
    }
    let mut run: HashMap<String, (Option<Value>, f64)> = HashMap::new();
    if let Some(exec) = workflow.get("execution") {
        for (k, t) in array(exec, "tasks", "workflow.execution")?
            .iter()
            .enumerate()
        {
            let id = text(t, "id", &format!("workflow.execution.tasks[{k}]"))?;
            let cores = t.get("coreCount").and_then(Value::as_f64).unwrap_or(1.0);
            run.insert(id, (t.get("runtimeInSeconds").cloned(), cores));
        }
    }
    let all_parents = edges(&ids, &parents, &children)?;
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut tasks = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let (r, cores) = match run.get(id) {
            Some((r, c)) => (r.as_ref(), *c),
            None => (None, 1.0),
        };
        let work = runtime(r, id, "runtimeInSeconds")?;
        let ps = all_parents[i]
            .iter()
            .map(|p| {
                let data = index
                    .get(p.as_str())
                    .map_or(0.0, |&j| shared(&outputs[j], &inputs[i], &size));
                (p.clone(), data)
            })
            .collect();
        tasks.push(TaskSpec {
            id: id.clone(),
            work,
            cores,
            parents: ps,
        });
    }
    let machines = match workflow.get("execution") {
        Some(exec) => machines(array(exec, "machines", "workflow.execution")?, "coreCount"),
        None => Vec::new(),
    };
    Ok((tasks, machines))
}

fn machines(list: &[Value], cores_key: &str) -> Vec<Machine> {
    list.iter()
        .enumerate()
        .map(|(k, m)| {
            let cpu = m.get("cpu");
            let cores = cpu
                .and_then(|c| c.get(cores_key).or_else(|| c.get("coreCount")))
                .and_then(Value::as_u64)
                .map_or(1, |c| c.clamp(1, u64::from(u32::MAX)) as u32);
            Machine {
                name: m
                    .get("nodeName")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("machine{k}"), str::to_string),
                cores,
                speed_mhz: cpu
                    .and_then(|c| c.get("speedInMHz").or_else(|| c.get("speed")))
                    .and_then(Value::as_f64),
            }
        })
        .collect()
}

fn read_14(workflow: &Value) -> Result<(Vec<TaskSpec>, Vec<Machine>), FieldError> {
    let list = array(workflow, "tasks", "workflow")?;
    let mut ids = Vec::with_capacity(list.len());
    let mut refs: HashMap<String, String> = HashMap::new();
    for (k, t) in list.iter().enumerate() {
        let name = text(t, "name", &format!("workflow.tasks[{k}]"))?;
        let id = t
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| name.clone(), str::to_string);
        refs.entry(name).or_insert_with(|| id.clone());
        refs.entry(id.clone()).or_insert_with(|| id.clone());
        ids.push(id);
    }
    let resolve = |list: Vec<String>, id: &str, key: &str| -> Result<Vec<String>, FieldError> {
        list.into_iter()
            .map(|r| {
                refs.get(&r).cloned().ok_or_else(|| {
                    err(
                        task_field(id, key),
                        r,
                        &format!(
                            "unknown {}: no task has this name or id",
                            if key == "parents" { "parent" } else { "child" }
                        ),
                    )
                })
            })
            .collect()
    };
    let (mut parents, mut children, mut inputs, mut outputs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut size: HashMap<String, f64> = HashMap::new();
    let mut works = Vec::new();
    for (t, id) in list.iter().zip(&ids) {
        let here = format!("tasks[{id}]");
        parents.push(resolve(strings(t, "parents", &here)?, id, "parents")?);
        children.push(resolve(strings(t, "children", &here)?, id, "children")?);
        let (mut i, mut o) = (Vec::new(), Vec::new());
        for f in array(t, "files", &here)? {
            let name = text(f, "name", &format!("{here}.files"))?;
            let field = format!("{here}.files[{name}].sizeInBytes");
            let b = bytes(
                f.get("sizeInBytes")
                    .or_else(|| f.get("size"))
                    .unwrap_or(&Value::from(0)),
                field,
            )?;
            size.insert(name.clone(), b);
            let input = f
                .get("link")
                .and_then(Value::as_str)
                .is_some_and(|l| l.eq_ignore_ascii_case("input"));
            if input { i.push(name) } else { o.push(name) }
        }
        inputs.push(i);
        outputs.push(o);
        let r = t.get("runtimeInSeconds").or_else(|| t.get("runtime"));
        let cores = t.get("cores").and_then(Value::as_f64).unwrap_or(1.0);
        works.push((runtime(r, id, "runtimeInSeconds")?, cores));
    }
    let all_parents = edges(&ids, &parents, &children)?;
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let tasks = ids
        .iter()
        .enumerate()
        .map(|(i, id)| TaskSpec {
            id: id.clone(),
            work: works[i].0,
            cores: works[i].1,
            parents: all_parents[i]
                .iter()
                .map(|p| {
                    let j = index[p.as_str()];
                    (p.clone(), shared(&outputs[j], &inputs[i], &size))
                })
                .collect(),
        })
        .collect();
    Ok((
        tasks,
        machines(array(workflow, "machines", "workflow")?, "count"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V16: &str = r#"{"name": "two", "schemaVersion": "1.6", "workflow": {
      "specification": {
        "tasks": [
          {"name": "split", "id": "a", "parents": [], "children": ["b"],
           "inputFiles": ["in"], "outputFiles": ["x", "y"]},
          {"name": "work", "id": "b", "parents": ["a"], "children": [],
           "inputFiles": ["x"], "outputFiles": []}
        ],
        "files": [{"id": "in", "sizeInBytes": 10}, {"id": "x", "sizeInBytes": 512},
                  {"id": "y", "sizeInBytes": 7}]
      },
      "execution": {"makespanInSeconds": 3, "executedAt": "2026-01-01T00:00:00Z",
        "tasks": [{"id": "a", "runtimeInSeconds": 1.5, "coreCount": 2},
                  {"id": "b", "runtimeInSeconds": 4}],
        "machines": [{"nodeName": "m1", "cpu": {"coreCount": 8, "speedInMHz": 3600}}]}
    }}"#;

    #[test]
    fn reads_version_1_6() {
        let inst = parse(V16, "f").unwrap();
        let d = &inst.dag;
        assert_eq!(d.name, "two");
        assert_eq!(d.ids, vec!["a", "b"]);
        assert_eq!(d.work, vec![1.5, 4.0]);
        assert_eq!(d.cores, vec![2.0, 1.0]);
        assert_eq!(d.pred[1], vec![(0, 512.0)]);
        assert_eq!(inst.machines[0].cores, 8);
    }

    #[test]
    fn reads_version_1_4_by_names() {
        let text = r#"{"name": "old", "schemaVersion": "1.4", "workflow": {
          "makespanInSeconds": 1, "executedAt": "x",
          "tasks": [
            {"name": "first", "id": "1", "parents": [], "runtimeInSeconds": 2,
             "files": [{"name": "o", "sizeInBytes": 30, "link": "output"}]},
            {"name": "second", "id": "2", "parents": ["first"], "runtimeInSeconds": 3,
             "files": [{"name": "o", "sizeInBytes": 30, "link": "input"}]}
          ]}}"#;
        let d = parse(text, "f").unwrap().dag;
        assert_eq!(d.ids, vec!["1", "2"]);
        assert_eq!(d.pred[1], vec![(0, 30.0)]);
    }

    #[test]
    fn refuses_bad_versions_and_missing_runtimes() {
        let e = parse(&V16.replace("\"1.6\"", "\"1.2\""), "f").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("schemaVersion", "1.2")
        );
        let e = parse(&V16.replace("\"runtimeInSeconds\": 4", "\"x\": 4"), "f").unwrap_err();
        assert_eq!(e.field, "tasks[b].runtimeInSeconds");
        let e = parse(
            &V16.replace("\"sizeInBytes\": 512", "\"sizeInBytes\": -5"),
            "f",
        )
        .unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("tasks[a].outputFiles", "x")
        );
    }
}
