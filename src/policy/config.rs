//! `[policy]` as written in a scenario file, and the checks every
//! discipline shares (positive numbers, parameters that do not apply).

use serde::Deserialize;

use crate::error::FieldError;

/// A discipline with its parameters, as written in `[policy]`, in an entry
/// of `compare = [...]` or in a level of `mlq`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Empty when not given (then `fcfs`, unless `compare` lists the policies).
    /// A node's table may call it `name` (`discipline = { name = "rr", quantum = 0.1 }`).
    #[serde(default, alias = "name")]
    pub discipline: String,
    /// Round robin and per-level quantum (time units).
    pub quantum: Option<f64>,
    /// Time a server spends switching to another job.
    pub switch_cost: Option<f64>,
    /// SJF on estimated sizes: squared coefficient of variation of the
    /// (mean-one lognormal) factor the true size is multiplied by.
    pub estimate_scv: Option<f64>,
    /// `mlfq`: the quantum of each level, the last may be "fcfs";
    /// `mlq`: one table per level with its classes and discipline.
    pub levels: Option<Vec<LevelConfig>>,
    /// `mlfq`: period of the boost that moves every job to the top level.
    pub boost: Option<f64>,
    /// `mlq`: whether a job of a higher level preempts a lower one (default true).
    pub preemptive: Option<bool>,
    /// `mlq` levels: the classes served at this level.
    pub classes: Option<Vec<String>>,
    /// `[policy]` only: every policy to run on the same jobs, the first
    /// being the baseline of the paired comparisons.
    pub compare: Option<Vec<CompareEntry>>,
    /// `[policy]` only: the rule that places workflow tasks (`heft`, ...).
    pub workflow: Option<String>,
    /// Where this configuration sits in the file, for messages.
    #[serde(skip)]
    pub path: String,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            discipline: String::new(),
            quantum: None,
            switch_cost: None,
            estimate_scv: None,
            levels: None,
            boost: None,
            preemptive: None,
            classes: None,
            compare: None,
            workflow: None,
            path: "policy".into(),
        }
    }
}

/// One level of `mlfq` (a quantum or "fcfs") or of `mlq` (a table).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LevelConfig {
    Quantum(f64),
    Name(String),
    Table(PolicyConfig),
}

/// An entry of `compare = [...]`: a name, or a table with parameters.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CompareEntry {
    Name(String),
    Table(PolicyConfig),
}

/// What a discipline may need to know of the scenario.
#[derive(Debug, Clone, Default)]
pub struct PolicyContext {
    pub class_names: Vec<String>,
}

impl PolicyConfig {
    /// A configuration naming just a discipline.
    pub fn named(discipline: &str) -> PolicyConfig {
        PolicyConfig {
            discipline: discipline.into(),
            ..PolicyConfig::default()
        }
    }

    /// Dotted path of one of this configuration's fields.
    pub fn field(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Rejects parameters the discipline does not take: a parameter that
    /// would be silently ignored is a mistake the user must hear about.
    pub fn allow_only(&self, allowed: &[&str]) -> Result<(), FieldError> {
        let given = [
            ("quantum", self.quantum.map(|v| v.to_string())),
            ("switch_cost", self.switch_cost.map(|v| v.to_string())),
            ("estimate_scv", self.estimate_scv.map(|v| v.to_string())),
            ("levels", self.levels.as_ref().map(|_| "[...]".to_string())),
            ("boost", self.boost.map(|v| v.to_string())),
            ("preemptive", self.preemptive.map(|v| v.to_string())),
            ("classes", self.classes.as_ref().map(|c| format!("{c:?}"))),
            (
                "compare",
                self.compare.as_ref().map(|_| "[...]".to_string()),
            ),
        ];
        for (name, value) in given {
            if let Some(value) = value
                && !allowed.contains(&name)
            {
                return Err(FieldError::new(
                    self.field(name),
                    value,
                    format!("is not a parameter of discipline `{}`", self.discipline),
                ));
            }
        }
        Ok(())
    }

    /// A required parameter that must be a finite number > 0.
    pub fn require_positive(&self, name: &str, value: Option<f64>) -> Result<f64, FieldError> {
        match value {
            None => Err(FieldError::new(
                self.field(name),
                "(missing)",
                format!("discipline `{}` needs `{name}`", self.discipline),
            )),
            Some(v) => positive(&self.field(name), v),
        }
    }

    /// An optional parameter that must be a finite number >= 0.
    pub fn non_negative(&self, name: &str, value: Option<f64>) -> Result<f64, FieldError> {
        match value {
            None => Ok(0.0),
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
            Some(v) => Err(FieldError::new(
                self.field(name),
                v.to_string(),
                "must be a finite number >= 0",
            )),
        }
    }
}

/// Checks a value is a finite number > 0.
pub fn positive(field: &str, v: f64) -> Result<f64, FieldError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            v.to_string(),
            "must be a finite number greater than 0",
        ))
    }
}

/// Formats a parameter for a label: `0.1`, `4`, `1e-6`.
pub fn fmt_param(v: f64) -> String {
    format!("{v}")
}

/// Parses a policy as written on the command line, in the form of its
/// label: `srpt`, `rr(q=0.1)`, `rr(q=0.1,s=0.01)`, `sjf(scv=1)`,
/// `mlfq(0.5,2,fcfs;boost=50)`. Keys: `q`/`quantum`, `s`/`switch_cost`,
/// `scv`/`estimate_scv`, `boost`; bare values are `mlfq` levels.
pub fn parse_policy_arg(text: &str, field: &str) -> Result<PolicyConfig, FieldError> {
    let bad = |msg: &str| FieldError::new(field, format!("{text:?}"), msg);
    let text = text.trim();
    let (name, args) = match text.find('(') {
        Some(i) if text.ends_with(')') => (&text[..i], Some(&text[i + 1..text.len() - 1])),
        Some(_) => return Err(bad("unbalanced parentheses; write e.g. rr(q=0.1)")),
        None => (text, None),
    };
    let mut config = PolicyConfig::named(name.trim());
    config.path = field.to_string();
    let mut levels = Vec::new();
    for arg in args
        .into_iter()
        .flat_map(|a| a.split([',', ';']))
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        match arg.split_once('=') {
            Some((key, value)) => {
                let v: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| bad(&format!("`{value}` is not a number")))?;
                match key.trim() {
                    "q" | "quantum" => config.quantum = Some(v),
                    "s" | "switch_cost" => config.switch_cost = Some(v),
                    "scv" | "estimate_scv" => config.estimate_scv = Some(v),
                    "boost" => config.boost = Some(v),
                    other => {
                        return Err(bad(&format!(
                            "unknown parameter `{other}`; use q, s, scv or boost"
                        )));
                    }
                }
            }
            None if arg == "fcfs" => levels.push(LevelConfig::Name(arg.into())),
            None => levels.push(LevelConfig::Quantum(arg.parse().map_err(|_| {
                bad(&format!("`{arg}` is neither key=value nor a level quantum"))
            })?)),
        }
    }
    if !levels.is_empty() {
        config.levels = Some(levels);
    }
    Ok(config)
}

/// Splits a comma-separated list of policies, keeping commas inside parentheses.
pub fn split_policy_list(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_policies_parse_like_their_labels() {
        let list =
            split_policy_list("fcfs, rr(q=0.1,s=0.01),mlfq(0.5,2,fcfs;boost=50), sjf(scv=1)");
        assert_eq!(
            list,
            vec![
                "fcfs",
                "rr(q=0.1,s=0.01)",
                "mlfq(0.5,2,fcfs;boost=50)",
                "sjf(scv=1)"
            ]
        );
        let rr = parse_policy_arg(list[1], "--compare").unwrap();
        assert_eq!(
            (rr.discipline.as_str(), rr.quantum, rr.switch_cost),
            ("rr", Some(0.1), Some(0.01))
        );
        let mlfq = parse_policy_arg(list[2], "--compare").unwrap();
        assert_eq!(mlfq.levels.as_ref().map(Vec::len), Some(3));
        assert_eq!(mlfq.boost, Some(50.0));
        assert!(parse_policy_arg("rr(q=fast)", "--compare").is_err());
        assert!(parse_policy_arg("rr(x=1)", "--compare").is_err());
        assert!(parse_policy_arg("rr(q=1", "--compare").is_err());
    }
}
