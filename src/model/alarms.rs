//! `[[alarms]]`: conditions on a run that are raised and cleared as it goes.
//!
//! ```toml
//! [[alarms]]
//! name = "failure-burst"
//! when = { failures = 5, window = 10.0 }    # 5 attempts failed within 10 time units
//! # { queue = 50, node = "pool" }            # at least 50 jobs waiting at a node
//! # { gave_up = 1 } or { gave_up = 3, window = 60.0 }   # give-ups (since the start, or in a window)
//! # { servers_down = 2, node = "pool" }      # at least 2 servers of a node down
//! ```

use serde::Deserialize;

use crate::error::FieldError;
use crate::model::Node;
use crate::model::groups::{self, NodeGroup};

/// When an alarm is raised (it clears when the condition stops holding).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// At least `count` attempts ended failed or timed out within the last `window`.
    Failures { count: u32, window: f64 },
    /// At least `count` tasks were given up within the last `window`
    /// (infinite: since the start of the run).
    GaveUp { count: u32, window: f64 },
    /// At least `jobs` jobs wait in the queue of `node` (not in service).
    Queue { jobs: u32, node: usize },
    /// At least `servers` servers of `node` are down.
    ServersDown { servers: u32, node: usize },
}

/// A named alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub when: Condition,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlarm {
    name: String,
    when: RawCondition,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    failures: Option<u32>,
    gave_up: Option<u32>,
    queue: Option<u32>,
    servers_down: Option<u32>,
    window: Option<f64>,
    node: Option<String>,
}

/// Validates the `[[alarms]]` tables against the scenario's nodes.
pub fn build(
    raw: &[RawAlarm],
    nodes: &[Node],
    node_groups: &[NodeGroup],
) -> Result<Vec<Alarm>, FieldError> {
    let mut alarms: Vec<Alarm> = Vec::new();
    for (i, a) in raw.iter().enumerate() {
        let at = |f: &str| format!("alarms[{i}].{f}");
        if alarms.iter().any(|b| b.name == a.name) {
            return Err(FieldError::new(
                at("name"),
                format!("{:?}", a.name),
                "duplicate alarm name",
            ));
        }
        let w = &a.when;
        let given: Vec<(&str, u32)> = [
            ("failures", w.failures),
            ("gave_up", w.gave_up),
            ("queue", w.queue),
            ("servers_down", w.servers_down),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let [(kind, count)] = given[..] else {
            return Err(FieldError::new(
                at("when"),
                "{ ... }",
                "give exactly one condition: failures (with window), gave_up, queue (with node) or servers_down (with node)",
            ));
        };
        if count == 0 {
            return Err(FieldError::new(
                at(&format!("when.{kind}")),
                "0",
                "an alarm at 0 would be raised for ever: give at least 1",
            ));
        }
        let window = match w.window {
            None => None,
            Some(t) if t.is_finite() && t > 0.0 => Some(t),
            Some(t) => {
                return Err(FieldError::new(
                    at("when.window"),
                    t.to_string(),
                    "a window must be a finite time greater than 0",
                ));
            }
        };
        let node = match &w.node {
            None => None,
            // One node: a member of a group is named as `rack[3]`; an
            // alarm on a whole group is not supported.
            Some(name) => Some(
                groups::resolve(nodes, node_groups, name)
                    .filter(|r| r.len() == 1 && !node_groups.iter().any(|g| &g.name == name))
                    .map(|r| r.start)
                    .ok_or_else(|| {
                        FieldError::new(
                            at("when.node"),
                            format!("{name:?}"),
                            format!(
                                "no such node; nodes are: {} (an alarm watches one node: name a group's member as NAME[i])",
                                groups::known_names(nodes, node_groups)
                            ),
                        )
                    })?,
            ),
        };
        let needs_node = matches!(kind, "queue" | "servers_down");
        if needs_node != node.is_some() {
            return Err(FieldError::new(
                at("when.node"),
                w.node
                    .as_deref()
                    .map_or("(missing)".into(), |n| format!("{n:?}")),
                if needs_node {
                    "this condition watches one node: name it with node = \"...\""
                } else {
                    "only queue and servers_down conditions watch a node"
                },
            ));
        }
        if window.is_some() && needs_node {
            return Err(FieldError::new(
                at("when.window"),
                w.window.unwrap_or_default().to_string(),
                "queue and servers_down conditions hold at an instant: leave out the window",
            ));
        }
        let when = match kind {
            "failures" => Condition::Failures {
                count,
                window: window.ok_or_else(|| {
                    FieldError::new(
                        at("when.window"),
                        "(missing)",
                        "count failures within a window: e.g. { failures = 5, window = 10.0 }",
                    )
                })?,
            },
            "gave_up" => Condition::GaveUp {
                count,
                window: window.unwrap_or(f64::INFINITY),
            },
            "queue" => Condition::Queue {
                jobs: count,
                node: node.expect("checked"),
            },
            _ => {
                let j = node.expect("checked");
                let n = &nodes[j];
                if n.failures.is_none() {
                    return Err(FieldError::new(
                        at("when.node"),
                        format!("{:?}", n.name),
                        "this node's servers never fail (no `failures`): the alarm could never be raised",
                    ));
                }
                if count > n.servers {
                    return Err(FieldError::new(
                        at("when.servers_down"),
                        count.to_string(),
                        format!("node `{}` has only {} server(s)", n.name, n.servers),
                    ));
                }
                Condition::ServersDown {
                    servers: count,
                    node: j,
                }
            }
        };
        alarms.push(Alarm {
            name: a.name.clone(),
            when,
        });
    }
    Ok(alarms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(when: &str) -> Result<Vec<Alarm>, FieldError> {
        #[derive(Deserialize)]
        struct Doc {
            alarms: Vec<RawAlarm>,
        }
        let doc: Doc =
            toml::from_str(&format!("[[alarms]]\nname = \"a\"\nwhen = {when}\n")).unwrap();
        let mut pool = Node::new("pool", 4, 1.0);
        pool.failures = Some(Box::new(crate::model::NodeFailures {
            up: crate::model::Dist::Deterministic { value: 1.0 },
            down: crate::model::Dist::Deterministic { value: 1.0 },
            running: crate::model::OnFailure::Resume,
            clock: crate::model::FailureClock::Always,
        }));
        build(&doc.alarms, &[pool, Node::new("db", 1, 1.0)], &[])
    }

    #[test]
    fn conditions_parse_and_bad_ones_name_their_field() {
        assert_eq!(
            parse("{ failures = 5, window = 10.0 }").unwrap()[0].when,
            Condition::Failures {
                count: 5,
                window: 10.0
            }
        );
        assert_eq!(
            parse("{ servers_down = 2, node = \"pool\" }").unwrap()[0].when,
            Condition::ServersDown {
                servers: 2,
                node: 0
            }
        );
        assert_eq!(
            parse("{ gave_up = 1 }").unwrap()[0].when,
            Condition::GaveUp {
                count: 1,
                window: f64::INFINITY
            }
        );
        for (when, field) in [
            ("{ queue = 50, node = \"nowhere\" }", "alarms[0].when.node"),
            ("{ queue = 50 }", "alarms[0].when.node"),
            ("{ failures = 5 }", "alarms[0].when.window"),
            ("{ failures = 5, window = -1.0 }", "alarms[0].when.window"),
            ("{ failures = 0, window = 1.0 }", "alarms[0].when.failures"),
            (
                "{ failures = 5, queue = 3, window = 1.0 }",
                "alarms[0].when",
            ),
            ("{ servers_down = 1, node = \"db\" }", "alarms[0].when.node"),
            (
                "{ servers_down = 5, node = \"pool\" }",
                "alarms[0].when.servers_down",
            ),
        ] {
            let e = parse(when).unwrap_err();
            assert_eq!(e.field, field, "{when}: {e:?}");
        }
    }
}
