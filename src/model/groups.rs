//! Node groups: `[[nodes]] name = "rack" count = 1000` stands for 1000
//! identical nodes `rack[0]` … `rack[999]`.
//!
//! A group is expanded when the scenario is read, so the engine, the
//! dispatcher and the statistics see a plain list of nodes, and a group
//! gives bit-identical figures to the same nodes written out one by one.
//! What stays of the group is its name and where its members sit in that
//! list ([`NodeGroup`]): routes, `[dispatch]`, a class's `node`,
//! `service_at` and `initial` may name the group, and results get a row
//! per group.

use std::ops::Range;

use super::Node;

/// The largest `count` a group may have. A node costs a few hundred bytes
/// of scenario, engine state and statistics (the README gives the figure
/// measured at 100,000 nodes), so a million nodes already fills about a
/// gigabyte; a larger count is far more likely a typo (an extra zero)
/// than a model, and refusing it up front beats running out of memory
/// part-way through building the scenario.
pub const MAX_COUNT: i64 = 1_000_000;

/// A `[[nodes]]` entry with a `count`: its members are the nodes
/// `first .. first + count` of the scenario, named `name[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGroup {
    pub name: String,
    pub first: usize,
    pub count: usize,
}

impl NodeGroup {
    /// The members' indices in the scenario's node list.
    pub fn members(&self) -> Range<usize> {
        self.first..self.first + self.count
    }
}

/// The name of member `i` of group `group`: `rack[3]`.
pub fn member_name(group: &str, i: usize) -> String {
    format!("{group}[{i}]")
}

/// The nodes a name stands for: a group's members, or one node. `None`
/// for a name that is neither.
pub fn resolve(nodes: &[Node], groups: &[NodeGroup], name: &str) -> Option<Range<usize>> {
    if let Some(g) = groups.iter().find(|g| g.name == name) {
        return Some(g.members());
    }
    // A member is found from its index rather than by a search of every
    // node: a route to `rack[99999]` should not scan 100,000 names.
    if let Some((group, index)) = name
        .strip_suffix(']')
        .and_then(|s| s.split_once('['))
        .and_then(|(g, i)| Some((g, i.parse::<usize>().ok()?)))
        && let Some(g) = groups.iter().find(|g| g.name == group)
        && index < g.count
        && nodes[g.first + index].name == name
    {
        return Some(g.first + index..g.first + index + 1);
    }
    nodes.iter().position(|n| n.name == name).map(|j| j..j + 1)
}

/// The node names for a "no such node" message: a group as
/// `rack[0..999]` rather than its thousand members.
pub fn known_names(nodes: &[Node], groups: &[NodeGroup]) -> String {
    let mut names = Vec::new();
    let mut j = 0;
    while j < nodes.len() {
        match groups.iter().find(|g| g.first == j && g.count > 0) {
            Some(g) => {
                names.push(format!("{} ({}[0..{}])", g.name, g.name, g.count - 1));
                j += g.count;
            }
            None => {
                names.push(nodes[j].name.clone());
                j += 1;
            }
        }
    }
    names.join(", ")
}

/// The `[[nodes]]` entry a node came from, for messages (`nodes[i]`
/// names the entry as written, not the expanded list).
pub fn entry_of(groups: &[NodeGroup], node: usize) -> usize {
    let mut folded = 0;
    for g in groups {
        if node >= g.first + g.count {
            folded += g.count.saturating_sub(1);
        } else if node >= g.first {
            return g.first - folded;
        }
    }
    node - folded
}

/// The group a node belongs to, if any.
pub fn group_of(groups: &[NodeGroup], node: usize) -> Option<usize> {
    groups.iter().position(|g| g.members().contains(&node))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> (Vec<Node>, Vec<NodeGroup>) {
        let mut nodes = vec![Node::new("front", 1, 1.0)];
        for i in 0..3 {
            nodes.push(Node::new(&member_name("rack", i), 1, 1.0));
        }
        nodes.push(Node::new("db", 2, 1.0));
        let groups = vec![NodeGroup {
            name: "rack".into(),
            first: 1,
            count: 3,
        }];
        (nodes, groups)
    }

    #[test]
    fn names_resolve_to_groups_members_and_nodes() {
        let (nodes, groups) = nodes();
        assert_eq!(resolve(&nodes, &groups, "rack"), Some(1..4));
        assert_eq!(resolve(&nodes, &groups, "rack[2]"), Some(3..4));
        assert_eq!(resolve(&nodes, &groups, "rack[3]"), None);
        assert_eq!(resolve(&nodes, &groups, "db"), Some(4..5));
        assert_eq!(resolve(&nodes, &groups, "web"), None);
        assert_eq!(known_names(&nodes, &groups), "front, rack (rack[0..2]), db");
        assert_eq!(group_of(&groups, 2), Some(0));
        assert_eq!(group_of(&groups, 4), None);
        assert_eq!(
            (0..5).map(|j| entry_of(&groups, j)).collect::<Vec<_>>(),
            [0, 1, 1, 1, 2]
        );
    }
}
