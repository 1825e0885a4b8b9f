//! Static scheduling of a workflow (a [`Dag`]) on a [`Platform`] of
//! processors: list-scheduling heuristics (HEFT, CPOP, critical path
//! first, FCFS, min-min, max-min, random), lower bounds, the optimum by
//! MILP, and replays of a plan with drawn task times.
//!
//! The model is HEFT's (Topcuoglu, Hariri & Wu, IEEE TPDS 13(3), 2002):
//! task `i` takes `w(i, p)` on processor `p` (its work over the speed, or
//! the cost matrix's entry); a parent on another node sends its data in
//! `latency + bytes / bandwidth`, in parallel with every other transfer (no
//! contention); on the same node (processors of one node with several
//! servers included) it costs nothing. A processor runs one task at a time,
//! without preemption.
//!
//! Deterministic ties: tasks of equal priority go in file order,
//! processors of equal finish time in the order they are listed.

pub mod bounds;
pub mod heft;
pub mod input;
pub mod list;
pub mod milp;
pub mod replay;

use std::cmp::Reverse;
use std::fmt;
use std::str::FromStr;

use crate::error::FieldError;
pub use crate::model::workflow::Dag;
use crate::order::Total;

/// Processors with speeds (or a cost matrix) and the network between nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Platform {
    /// One name per processor (`gpu.0`, `gpu.1` for a node of 2 servers).
    pub names: Vec<String>,
    pub speeds: Vec<f64>,
    /// The node each processor belongs to (data moves freely within one).
    pub node_of: Vec<usize>,
    /// `costs[task][processor]`: unrelated processors (the HEFT paper's
    /// computation cost table); `None`: `work / speed`.
    pub costs: Option<Vec<Vec<f64>>>,
    /// Bytes per time unit between two nodes (infinite: data is free).
    pub bandwidth: f64,
    /// Time of any transfer between two nodes, added to `bytes / bandwidth`.
    pub latency: f64,
}

impl Platform {
    /// Nodes `(name, speed, servers)`, a node of `k > 1` servers counting
    /// as `k` processors named `name.0` ... `name.(k-1)`.
    pub fn new(nodes: &[(String, f64, u32)]) -> Result<Platform, FieldError> {
        if nodes.is_empty() {
            return Err(FieldError::new("--nodes", "0", "needs at least 1 node"));
        }
        let (mut names, mut speeds, mut node_of) = (Vec::new(), Vec::new(), Vec::new());
        for (k, (name, speed, servers)) in nodes.iter().enumerate() {
            if !(speed.is_finite() && *speed > 0.0) {
                return Err(FieldError::new(
                    format!("nodes[{name}].speed"),
                    speed.to_string(),
                    "every speed must be a finite number greater than 0",
                ));
            }
            if *servers == 0 {
                return Err(FieldError::new(
                    format!("nodes[{name}].servers"),
                    "0",
                    "a node needs at least 1 server",
                ));
            }
            for s in 0..*servers {
                names.push(if *servers == 1 {
                    name.clone()
                } else {
                    format!("{name}.{s}")
                });
                speeds.push(*speed);
                node_of.push(k);
            }
        }
        Ok(Platform {
            names,
            speeds,
            node_of,
            costs: None,
            bandwidth: f64::INFINITY,
            latency: 0.0,
        })
    }

    /// Nodes `n0`, `n1`, ... of one server each at these speeds.
    pub fn with_speeds(speeds: &[f64]) -> Result<Platform, FieldError> {
        let nodes: Vec<(String, f64, u32)> = speeds
            .iter()
            .enumerate()
            .map(|(i, &s)| (format!("n{i}"), s, 1))
            .collect();
        Platform::new(&nodes).map_err(|e| FieldError::new("--speeds", e.value, &e.message))
    }

    /// Unrelated processors, one node each: `costs[task][processor]`.
    pub fn unrelated(names: Vec<String>, costs: Vec<Vec<f64>>) -> Platform {
        let p = names.len();
        Platform {
            speeds: vec![1.0; p],
            node_of: (0..p).collect(),
            names,
            costs: Some(costs),
            bandwidth: f64::INFINITY,
            latency: 0.0,
        }
    }

    /// The same platform with this network.
    pub fn with_network(mut self, bandwidth: f64, latency: f64) -> Result<Platform, FieldError> {
        if bandwidth.is_nan() || bandwidth <= 0.0 {
            return Err(FieldError::new(
                "--bandwidth",
                bandwidth.to_string(),
                "must be a number of bytes per time unit greater than 0",
            ));
        }
        if !(latency.is_finite() && latency >= 0.0) {
            return Err(FieldError::new(
                "--latency",
                latency.to_string(),
                "must be a finite time of at least 0",
            ));
        }
        self.bandwidth = bandwidth;
        self.latency = latency;
        Ok(self)
    }

    pub fn processors(&self) -> usize {
        self.names.len()
    }

    /// Number of distinct nodes.
    pub fn nodes(&self) -> usize {
        self.node_of.iter().max().map_or(0, |m| m + 1)
    }

    /// `w(i, p)`: the time task `i` takes on processor `p`.
    #[inline]
    pub fn exec(&self, dag: &Dag, i: usize, p: usize) -> f64 {
        match &self.costs {
            Some(c) => c[i][p],
            None => dag.work[i] / self.speeds[p],
        }
    }

    /// Time to move `bytes` from processor `p` to processor `q`.
    #[inline]
    pub fn comm(&self, bytes: f64, p: usize, q: usize) -> f64 {
        if self.node_of[p] == self.node_of[q] {
            0.0
        } else {
            self.transfer(bytes)
        }
    }

    /// `latency + bytes / bandwidth`: a transfer between two nodes.
    #[inline]
    pub fn transfer(&self, bytes: f64) -> f64 {
        if self.bandwidth.is_infinite() {
            self.latency
        } else {
            self.latency + bytes / self.bandwidth
        }
    }

    /// HEFT's mean communication cost `c̄ = L + data / B` of an edge: the
    /// cost between two different nodes, not averaged with the zero cost
    /// of staying on one (as in the paper); zero when there is one node.
    pub fn mean_comm(&self, bytes: f64) -> f64 {
        if self.nodes() <= 1 {
            0.0
        } else {
            self.transfer(bytes)
        }
    }

    /// HEFT's mean computation cost `w̄_i = Σ_p w(i, p) / P`.
    pub fn mean_exec(&self, dag: &Dag, i: usize) -> f64 {
        let p = self.processors();
        (0..p).map(|q| self.exec(dag, i, q)).sum::<f64>() / p as f64
    }

    /// The least time of task `i` on any processor.
    pub fn fastest(&self, dag: &Dag, i: usize) -> f64 {
        (0..self.processors())
            .map(|q| self.exec(dag, i, q))
            .fold(f64::INFINITY, f64::min)
    }
}

/// Task `task` runs on processor `proc` from `start` to `end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    pub task: usize,
    pub proc: usize,
    pub start: f64,
    pub end: f64,
}

/// A plan: one slot per task, indexed by task.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub policy: String,
    pub slots: Vec<Slot>,
}

impl Schedule {
    pub fn makespan(&self) -> f64 {
        self.slots.iter().map(|s| s.end).fold(0.0, f64::max)
    }

    /// The tasks of each processor in the order they run: the order of a
    /// topological sort that takes the earliest (start, end) first, ties in
    /// topological position. For a valid plan this sorts each processor's
    /// tasks by start; for a plan off by rounding (a MILP's) it still
    /// never puts a child before its parent.
    pub fn orders(&self, dag: &Dag, processors: usize) -> Vec<Vec<usize>> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut pos = vec![0; dag.len()];
        for (k, &t) in dag.topo.iter().enumerate() {
            pos[t] = k;
        }
        // Times are non-negative, so their bit patterns order as they do.
        let key = |i: usize| {
            let s = &self.slots[i];
            Reverse((s.start.max(0.0).to_bits(), s.end.max(0.0).to_bits(), pos[i]))
        };
        let mut missing: Vec<usize> = dag.pred.iter().map(Vec::len).collect();
        type Key = Reverse<(u64, u64, usize)>;
        let mut heap: BinaryHeap<(Key, usize)> = (0..dag.len())
            .filter(|&i| missing[i] == 0)
            .map(|i| (key(i), i))
            .collect();
        let mut orders = vec![Vec::new(); processors];
        while let Some((_, i)) = heap.pop() {
            orders[self.slots[i].proc].push(i);
            for &(c, _) in &dag.succ[i] {
                missing[c] -= 1;
                if missing[c] == 0 {
                    heap.push((key(c), c));
                }
            }
        }
        orders
    }

    /// Busy time over the makespan, per processor.
    pub fn utilisation(&self, processors: usize) -> Vec<f64> {
        let m = self.makespan();
        let mut busy = vec![0.0; processors];
        for s in &self.slots {
            busy[s.proc] += s.end - s.start;
        }
        busy.into_iter()
            .map(|b| if m > 0.0 { b / m } else { 0.0 })
            .collect()
    }

    /// Checks the plan: every task once, lasting its time on its processor,
    /// starting after each parent's end plus the transfer, and no
    /// processor running two tasks at once. The message names the task.
    pub fn verify(&self, dag: &Dag, platform: &Platform) -> Result<(), String> {
        let eps = 1e-9 * self.makespan().max(1.0);
        if self.slots.len() != dag.len() {
            return Err(format!(
                "{} slots for {} tasks",
                self.slots.len(),
                dag.len()
            ));
        }
        for (i, s) in self.slots.iter().enumerate() {
            let id = &dag.ids[i];
            if s.task != i || s.proc >= platform.processors() {
                return Err(format!("task {id}: slot {s:?} out of place"));
            }
            let w = platform.exec(dag, i, s.proc);
            if (s.end - s.start - w).abs() > eps || s.start < -eps {
                return Err(format!(
                    "task {id}: runs {}..{}, its time is {w}",
                    s.start, s.end
                ));
            }
            for &(q, bytes) in &dag.pred[i] {
                let p = &self.slots[q];
                let arrive = p.end + platform.comm(bytes, p.proc, s.proc);
                if s.start < arrive - eps {
                    return Err(format!(
                        "task {id}: starts at {} before the data of {} arrives at {arrive}",
                        s.start, dag.ids[q]
                    ));
                }
            }
        }
        let mut by_proc = vec![Vec::new(); platform.processors()];
        for s in &self.slots {
            by_proc[s.proc].push(s.task);
        }
        for mut order in by_proc {
            order.sort_by(|&a, &b| {
                let (x, y) = (&self.slots[a], &self.slots[b]);
                x.start.total_cmp(&y.start).then(x.end.total_cmp(&y.end))
            });
            for pair in order.windows(2) {
                let (a, b) = (&self.slots[pair[0]], &self.slots[pair[1]]);
                if b.start < a.end - eps {
                    return Err(format!(
                        "tasks {} and {} overlap on {}",
                        dag.ids[a.task], dag.ids[b.task], platform.names[a.proc]
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The scheduling policies of `schedlab workflow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Heft,
    Cpop,
    /// Critical path first: highest static level first (HLFET).
    Cp,
    Fcfs,
    MinMin,
    MaxMin,
    Random,
}

/// Every policy, in the order `--compare all` runs them.
pub const POLICIES: [Policy; 7] = [
    Policy::Heft,
    Policy::Cpop,
    Policy::Cp,
    Policy::Fcfs,
    Policy::MinMin,
    Policy::MaxMin,
    Policy::Random,
];

impl Policy {
    /// Whether the rule plans a graph once, before it runs (in `schedlab
    /// run`, the others place tasks as they become ready).
    pub fn is_static(self) -> bool {
        matches!(self, Policy::Heft | Policy::Cpop | Policy::Cp)
    }

    pub fn name(self) -> &'static str {
        match self {
            Policy::Heft => "heft",
            Policy::Cpop => "cpop",
            Policy::Cp => "cp",
            Policy::Fcfs => "fcfs",
            Policy::MinMin => "min-min",
            Policy::MaxMin => "max-min",
            Policy::Random => "random",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Policy, String> {
        POLICIES
            .iter()
            .copied()
            .find(|p| p.name() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown workflow policy; choose among {}",
                    POLICIES.map(Policy::name).join(", ")
                )
            })
    }
}

/// The plan of `policy` (`seed` drives `random` only).
pub fn schedule(dag: &Dag, platform: &Platform, policy: Policy, seed: u64) -> Schedule {
    let slots = match policy {
        Policy::Heft => heft::heft(dag, platform),
        Policy::Cpop => heft::cpop(dag, platform),
        Policy::Cp => list::critical_path_first(dag, platform),
        Policy::Fcfs => list::fcfs(dag, platform),
        Policy::MinMin => list::min_min(dag, platform, false),
        Policy::MaxMin => list::min_min(dag, platform, true),
        Policy::Random => list::random(dag, platform, seed),
    };
    Schedule {
        policy: policy.name().to_string(),
        slots,
    }
}

/// The earliest time task `i` can start on `p` once its parents are placed:
/// `max over parents q of (end_q + transfer)`.
#[inline]
pub(crate) fn data_ready(
    dag: &Dag,
    platform: &Platform,
    slots: &[Slot],
    i: usize,
    p: usize,
) -> f64 {
    dag.pred[i]
        .iter()
        .map(|&(q, bytes)| {
            let s = &slots[q];
            s.end + platform.comm(bytes, s.proc, p)
        })
        .fold(0.0, f64::max)
}

/// `a < b` beyond rounding: finish times this close count as equal, so
/// the first processor listed wins.
#[inline]
pub(crate) fn clearly_less(a: f64, b: f64) -> bool {
    a < b - 1e-12 * b.abs().max(1.0)
}

/// A ready task's priority in a max-heap: larger key first, then the
/// smaller file index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ready {
    pub key: Total,
    pub task: Reverse<usize>,
}

/// An unplaced slot, filled as tasks are placed.
pub(crate) const UNPLACED: Slot = Slot {
    task: usize::MAX,
    proc: usize::MAX,
    start: f64::NAN,
    end: f64::NAN,
};
