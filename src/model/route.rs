//! Routes: where a visit goes when it ends at a node.
//!
//! ```toml
//! [[routes]]
//! from = "web"
//! class = "query"            # optional: else the route of every class without its own here
//! to = [ { node = "db", p = 0.4 }, { node = "web", p = 0.1 }, { node = "exit", p = 0.5 } ]
//! # class switching: { node = "db", p = 0.4, class = "update" }
//! ```
//! A node with no route sends its jobs to `exit`, so a scenario without
//! routes is a network of one visit per job. The routing is Markov: the
//! next hop depends only on the node and the class the job has there.

use serde::Deserialize;

use crate::error::FieldError;
use crate::model::groups::{self, NodeGroup};
use crate::model::{Class, Node};

/// Name of the pseudo-node a job leaves the system through.
pub const EXIT: &str = "exit";

/// Probabilities of a route must sum to 1 within this.
const SUM_TOLERANCE: f64 = 1e-9;

/// Most hops the routing table may hold in all. A route from a group to
/// a group lists every member of the second at every member of the
/// first, so racks of 100,000 routed to each other would need 10^10
/// hops: refused with a message rather than by running out of memory.
const MAX_HOPS: usize = 20_000_000;

/// `[[routes]]` as written in a scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    pub from: String,
    pub class: Option<String>,
    pub to: Vec<HopConfig>,
}

/// One destination of a route.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HopConfig {
    pub node: String,
    pub p: f64,
    /// Class switching: the job continues as this class.
    pub class: Option<String>,
}

/// Where a visit goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    Exit,
    /// To `node`, continuing as class `class`.
    Node {
        node: u32,
        class: u32,
    },
}

/// The destinations of one (node, class): cumulative probabilities, the
/// last one exactly 1 so rounding never falls off the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub hops: Vec<(f64, Hop)>,
    /// The probability of each hop.
    pub p: Vec<f64>,
    /// Index of the `[[routes]]` entry this came from, for messages.
    pub entry: usize,
}

impl Route {
    /// The hop a uniform draw `u` in [0, 1) selects.
    #[inline]
    pub fn pick(&self, u: f64) -> Hop {
        for &(cum, hop) in &self.hops {
            if u < cum {
                return hop;
            }
        }
        self.hops.last().map_or(Hop::Exit, |h| h.1)
    }

    /// (probability, hop) pairs.
    pub fn probabilities(&self) -> impl Iterator<Item = (f64, Hop)> + '_ {
        self.p
            .iter()
            .zip(&self.hops)
            .map(|(&p, &(_, hop))| (p, hop))
    }
}

/// The routing of a whole scenario: a route per (node, class), or none
/// (straight to exit).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Routing {
    classes: usize,
    table: Vec<Option<Route>>,
    /// Whether any visit can go on to another node, worked out once: the
    /// loads ask for every node, and a scan of 100,000 nodes' routes each
    /// time made the warnings of a 100,000-node scenario take 18 s.
    network: bool,
}

impl Routing {
    /// Whether any visit can go on to another node.
    pub fn is_network(&self) -> bool {
        self.network
    }

    /// The route of `class` at `node`, if it has one.
    #[inline]
    pub fn route(&self, node: usize, class: usize) -> Option<&Route> {
        if self.table.is_empty() {
            return None;
        }
        self.table[node * self.classes + class].as_ref()
    }

    /// Where a visit of `class` ending at `node` goes, for a uniform draw `u`.
    #[inline]
    pub fn next(&self, node: u32, class: u32, u: f64) -> Hop {
        match self.route(node as usize, class as usize) {
            Some(r) => r.pick(u),
            None => Hop::Exit,
        }
    }

    /// Every (probability, hop) out of (node, class); exit alone when it has no route.
    pub fn hops(&self, node: usize, class: usize) -> Vec<(f64, Hop)> {
        match self.route(node, class) {
            Some(r) => r.probabilities().collect(),
            None => vec![(1.0, Hop::Exit)],
        }
    }

    /// Visit rates per (node, class), `λ[j·K + k]`, from external rates
    /// `gamma` (same layout): the traffic equations `λ = γ + Pᵀλ` with
    /// class switching, solved by Gaussian elimination for small networks
    /// and by Gauss–Seidel sweeps for large ones. `None` when the network
    /// does not drain (a closed loop), which validation already refuses.
    ///
    /// Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing
    /// Theory*, 4th ed. (2008), §4.1; Baskett, Chandy, Muntz & Palacios,
    /// J. ACM 22 (1975) for the multi-class form.
    pub fn visit_rates(&self, nodes: usize, gamma: &[f64]) -> Option<Vec<f64>> {
        let k = self.classes;
        let n = nodes * k;
        debug_assert_eq!(gamma.len(), n);
        // Edges (from state, to state, probability).
        let mut edges = Vec::new();
        for j in 0..nodes {
            for c in 0..k {
                if let Some(r) = self.route(j, c) {
                    for (p, hop) in r.probabilities() {
                        if let Hop::Node { node, class } = hop
                            && p > 0.0
                        {
                            edges.push((j * k + c, node as usize * k + class as usize, p));
                        }
                    }
                }
            }
        }
        if n <= 400 {
            // Solve (I - Pᵀ) λ = γ.
            let mut a = vec![vec![0.0; n + 1]; n];
            for (i, row) in a.iter_mut().enumerate() {
                row[i] = 1.0;
                row[n] = gamma[i];
            }
            for &(from, to, p) in &edges {
                a[to][from] -= p;
            }
            for col in 0..n {
                let pivot =
                    (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
                if a[pivot][col].abs() < 1e-12 {
                    return None;
                }
                a.swap(col, pivot);
                let pivot_row = a[col].clone();
                for (r, row) in a.iter_mut().enumerate() {
                    let f = row[col] / pivot_row[col];
                    if r != col && f != 0.0 {
                        for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                            *x -= f * p;
                        }
                    }
                }
            }
            let rates: Vec<f64> = (0..n).map(|i| (a[i][n] / a[i][i]).max(0.0)).collect();
            return rates.iter().all(|r| r.is_finite()).then_some(rates);
        }
        let mut incoming: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for &(from, to, p) in &edges {
            incoming[to].push((from, p));
        }
        let mut rates = gamma.to_vec();
        for _ in 0..100_000 {
            let mut change: f64 = 0.0;
            for s in 0..n {
                let v = gamma[s] + incoming[s].iter().map(|&(f, p)| rates[f] * p).sum::<f64>();
                change = change.max((v - rates[s]).abs() / v.max(1e-300));
                rates[s] = v;
            }
            if change < 1e-14 {
                return rates.iter().all(|r| r.is_finite()).then_some(rates);
            }
        }
        None
    }
}

/// Checks `[[routes]]` against the nodes and classes and builds the table.
///
/// A route may name a group ([`crate::model::groups`]): `from = "rack"`
/// gives every member the route, and `{ node = "rack", p = 0.5 }` spreads
/// its probability evenly over the members (`p / count` each, in member
/// order, exactly as if each member were listed with that probability).
pub fn build(
    routes: &[RouteConfig],
    nodes: &[Node],
    groups: &[NodeGroup],
    classes: &[Class],
) -> Result<Routing, FieldError> {
    let k = classes.len();
    if routes.is_empty() {
        // No table at all rather than an empty route per (node, class):
        // 56 bytes each, 5.6 MB for a group of 100,000 nodes.
        return Ok(Routing {
            classes: k,
            table: Vec::new(),
            network: false,
        });
    }
    let node_index = |name: &str, field: String| {
        groups::resolve(nodes, groups, name).ok_or_else(|| {
            FieldError::new(
                field,
                format!("{name:?}"),
                format!(
                    "no such node; nodes are: {}",
                    groups::known_names(nodes, groups)
                ),
            )
        })
    };
    let class_index = |name: &str, field: String| {
        classes.iter().position(|c| c.name == name).ok_or_else(|| {
            let known: Vec<_> = classes.iter().map(|c| c.name.as_str()).collect();
            FieldError::new(
                field,
                format!("{name:?}"),
                format!("no such class; classes are: {}", known.join(", ")),
            )
        })
    };
    let mut specific: Vec<Option<Route>> = vec![None; nodes.len() * k];
    let mut default: Vec<Option<Route>> = vec![None; nodes.len()];
    let mut table_hops = 0usize;
    for (i, r) in routes.iter().enumerate() {
        if r.from == EXIT {
            return Err(FieldError::new(
                format!("routes[{i}].from"),
                "\"exit\"",
                "a route starts at a node; `exit` is where jobs leave",
            ));
        }
        let from = node_index(&r.from, format!("routes[{i}].from"))?;
        let class = r
            .class
            .as_ref()
            .map(|c| class_index(c, format!("routes[{i}].class")))
            .transpose()?;
        if r.to.is_empty() {
            return Err(FieldError::new(
                format!("routes[{i}].to"),
                "[]",
                "list at least one destination (`{ node = \"exit\", p = 1.0 }` to leave)",
            ));
        }
        let mut hops = Vec::new();
        let mut probs = Vec::new();
        let mut total = 0.0;
        for (h, hop) in r.to.iter().enumerate() {
            if !(hop.p.is_finite() && (0.0..=1.0).contains(&hop.p)) {
                return Err(FieldError::new(
                    format!("routes[{i}].to[{h}].p"),
                    hop.p.to_string(),
                    "a probability must lie between 0 and 1",
                ));
            }
            if hop.node == EXIT {
                if let Some(c) = &hop.class {
                    return Err(FieldError::new(
                        format!("routes[{i}].to[{h}].class"),
                        format!("{c:?}"),
                        "a job leaving through `exit` has no next class",
                    ));
                }
                total += hop.p;
                if hop.p > 0.0 {
                    hops.push((total, Hop::Exit));
                    probs.push(hop.p);
                }
                continue;
            }
            let members = node_index(&hop.node, format!("routes[{i}].to[{h}].node"))?;
            let class = match &hop.class {
                Some(c) => class_index(c, format!("routes[{i}].to[{h}].class"))? as u32,
                // Without switching the job keeps its class; a default
                // route is expanded per class below.
                None => u32::MAX,
            };
            // A group: p / count to each member, added one by one as an
            // explicit list of the members would be.
            let p = hop.p / members.len() as f64;
            for node in members {
                total += p;
                if p > 0.0 {
                    hops.push((
                        total,
                        Hop::Node {
                            node: node as u32,
                            class,
                        },
                    ));
                    probs.push(p);
                }
            }
        }
        if (total - 1.0).abs() > SUM_TOLERANCE {
            return Err(FieldError::new(
                format!("routes[{i}].to"),
                format!("(probabilities summing to {total})"),
                "the probabilities of a route must sum to 1",
            ));
        }
        if let Some(last) = hops.last_mut() {
            last.0 = f64::INFINITY;
        }
        let per_class = if class.is_some() { 1 } else { k };
        table_hops = table_hops.saturating_add(hops.len() * from.len() * per_class);
        if table_hops > MAX_HOPS {
            return Err(FieldError::new(
                format!("routes[{i}].to"),
                format!("({} hops from each of {} nodes)", hops.len(), from.len()),
                format!(
                    "the routes would list more than {MAX_HOPS} hops in all: route a large group to fewer nodes, or through a single node"
                ),
            ));
        }
        let route = Route {
            hops,
            p: probs,
            entry: i,
        };
        for from in from {
            let slot = match class {
                Some(c) => &mut specific[from * k + c],
                None => &mut default[from],
            };
            if slot.is_some() {
                let what = match &r.class {
                    Some(c) => format!("class `{c}` at node `{}`", nodes[from].name),
                    None => format!("node `{}` (without a class)", nodes[from].name),
                };
                return Err(FieldError::new(
                    format!("routes[{i}].from"),
                    format!("\"{}\"", r.from),
                    format!("{what} already has a route"),
                ));
            }
            *slot = Some(route.clone());
        }
    }
    let mut table = vec![None; nodes.len() * k];
    for j in 0..nodes.len() {
        for c in 0..k {
            let route = specific[j * k + c].clone().or_else(|| default[j].clone());
            table[j * k + c] = route.map(|mut r| {
                for (_, hop) in &mut r.hops {
                    if let Hop::Node { class, .. } = hop
                        && *class == u32::MAX
                    {
                        *class = c as u32;
                    }
                }
                r
            });
        }
    }
    let network = table
        .iter()
        .flatten()
        .any(|r| r.hops.iter().any(|(_, h)| matches!(h, Hop::Node { .. })));
    Ok(Routing {
        classes: k,
        table,
        network,
    })
}

/// The (node, class) states jobs can be in, from the entry states on.
pub fn reachable(
    routing: &Routing,
    nodes: usize,
    classes: usize,
    entries: &[(usize, usize)],
) -> Vec<bool> {
    let k = classes;
    let mut seen = vec![false; nodes * k];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for &(j, c) in entries {
        if !seen[j * k + c] {
            seen[j * k + c] = true;
            stack.push((j, c));
        }
    }
    while let Some((j, c)) = stack.pop() {
        for (_, hop) in routing.hops(j, c) {
            if let Hop::Node { node, class } = hop {
                let s = node as usize * k + class as usize;
                if !seen[s] {
                    seen[s] = true;
                    stack.push((node as usize, class as usize));
                }
            }
        }
    }
    seen
}

/// Refuses a network where a reachable state can never lead to `exit`,
/// naming a node of the closed loop.
pub fn check_drains(
    routing: &Routing,
    nodes: &[Node],
    classes: &[Class],
    reachable: &[bool],
) -> Result<(), FieldError> {
    let k = classes.len();
    let n = nodes.len() * k;
    // States that reach exit: reverse search from those with an exit hop.
    let mut predecessors: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut drains = vec![false; n];
    let mut stack = Vec::new();
    for j in 0..nodes.len() {
        for c in 0..k {
            for (_, hop) in routing.hops(j, c) {
                match hop {
                    Hop::Exit => {
                        if !drains[j * k + c] {
                            drains[j * k + c] = true;
                            stack.push(j * k + c);
                        }
                    }
                    Hop::Node { node, class } => {
                        predecessors[node as usize * k + class as usize].push(j * k + c)
                    }
                }
            }
        }
    }
    while let Some(s) = stack.pop() {
        for &p in &predecessors[s] {
            if !drains[p] {
                drains[p] = true;
                stack.push(p);
            }
        }
    }
    if let Some(s) = (0..n).find(|&s| reachable[s] && !drains[s]) {
        let (j, c) = (s / k, s % k);
        let entry = routing.route(j, c).map_or(0, |r| r.entry);
        return Err(FieldError::new(
            format!("routes[{entry}].to"),
            format!("\"{}\"", nodes[j].name),
            format!(
                "jobs of class `{}` at node `{}` are on a closed loop and can never reach `exit`",
                classes[c].name, nodes[j].name
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_follows_cumulative_probabilities() {
        let r = Route {
            hops: vec![
                (0.25, Hop::Node { node: 1, class: 0 }),
                (f64::INFINITY, Hop::Exit),
            ],
            p: vec![0.25, 0.75],
            entry: 0,
        };
        assert_eq!(r.pick(0.0), Hop::Node { node: 1, class: 0 });
        assert_eq!(r.pick(0.2499), Hop::Node { node: 1, class: 0 });
        assert_eq!(r.pick(0.25), Hop::Exit);
        assert_eq!(r.pick(0.999_999), Hop::Exit);
        let p: Vec<f64> = r.probabilities().map(|x| x.0).take(1).collect();
        assert_eq!(p, vec![0.25]);
    }
}
