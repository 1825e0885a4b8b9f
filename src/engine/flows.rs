//! Workflow classes: an arrival of such a class is an instance of its
//! graph of tasks (see [`crate::model::workflow::ClassFlow`]). Each task is
//! a visit, a job of its own at the node the scenario's workflow rule
//! chooses; it enters that node once its parents have ended and their data
//! has arrived (a [`Kind::TaskReady`] timer when a transfer is still on its
//! way), waits there under the node's discipline like any job, and the
//! instance leaves when its last task ends. The placement rule is the only
//! new part: queues, servers, failures and statistics are the engine's.
//!
//! - **Static rules** (`heft`, `cpop`, `cp`) plan each class's graph once,
//!   on the given work and the nodes' speeds, as if the system were empty
//!   ([`crate::workflow::schedule`]; HEFT and CPOP as in Topcuoglu, Hariri
//!   and Wu, IEEE TPDS 13(3), 2002). Every instance keeps the plan's
//!   placement and, per processor, its order: a task also waits for the one
//!   planned before it on its processor, as [`crate::workflow::replay`]
//!   does. With the work as given and nothing else in the system, an
//!   instance therefore takes exactly the plan's makespan.
//! - **Dynamic rules** decide when tasks become ready, from the state of
//!   the nodes then. A task's estimated finish at node `n` is
//!   `max(data ready at n, now + backlog of n) + work / speed`, the backlog
//!   being the unfinished work there (and on its way there) over the
//!   node's servers and speed. Tasks made ready together are placed in
//!   file order on their best node (`fcfs`), or smallest (`min-min`) or
//!   largest (`max-min`) best finish first; `random` puts each on a node
//!   drawn uniformly.
//!
//! Data moves as in HEFT's model: `latency + bytes / bandwidth` between
//! different nodes, nothing within one, transfers never contending.

use std::sync::Arc;

use crate::model::workflow::{ClassFlow, Network};
use crate::workflow::{Platform, Policy};

use super::shape::Full;
use super::*;

/// Per node, the prefix-matched speed of each task: `inv[i * nodes + n]`
/// is `1 / speed` of task `i` at node `n`.
fn inverse_speeds(scenario: &Scenario, flow: &ClassFlow) -> Vec<f64> {
    let nodes = &scenario.nodes;
    let mut inv = Vec::with_capacity(flow.dag.len() * nodes.len());
    for id in &flow.dag.ids {
        for n in nodes {
            inv.push(1.0 / n.speed_for(id));
        }
    }
    inv
}

/// The processors of the scenario's nodes (a node of `k` servers is `k`
/// processors), each task timed at its own speed there.
pub(crate) fn platform(scenario: &Scenario, flow: &ClassFlow) -> Platform {
    let nodes: Vec<(String, f64, u32)> = scenario
        .nodes
        .iter()
        .map(|n| (n.name.clone(), n.speed, n.servers))
        .collect();
    let mut p = Platform::new(&nodes).expect("validated nodes");
    if scenario.nodes.iter().any(|n| !n.speed_by_task.is_empty()) {
        let dag = &flow.dag;
        p.costs = Some(
            (0..dag.len())
                .map(|i| {
                    p.node_of
                        .iter()
                        .map(|&j| dag.work[i] / scenario.nodes[j].speed_for(&dag.ids[i]))
                        .collect()
                })
                .collect(),
        );
    }
    p.bandwidth = scenario.network.bandwidth;
    p.latency = scenario.network.latency;
    p
}

/// A workflow class as the engine runs it.
struct FlowClass {
    flow: Arc<ClassFlow>,
    inv: Vec<f64>,
    /// `min_n 1 / speed` per task: its time alone on the fastest node.
    fastest: Vec<f64>,
    /// Static rules: the node of each task (empty under dynamic ones).
    node: Vec<u32>,
    /// Static rules: the task planned next on the same processor, or
    /// [`NONE`].
    next_on: Vec<u32>,
    /// Unmet prerequisites of each task when an instance starts.
    missing: Vec<u32>,
    /// The tasks with none, in file order.
    entries: Vec<u32>,
}

const NONE: u32 = u32::MAX;

/// One instance of a workflow in the system.
#[derive(Default)]
struct Instance {
    class: u32,
    seq: u64,
    entered: f64,
    first_start: f64,
    /// Tasks not ended yet.
    left: u32,
    /// Time its tasks held servers, and waited at their nodes.
    served: f64,
    waited: f64,
    missing: Vec<u32>,
    node: Vec<u32>,
    end: Vec<f64>,
    /// Each task's work (drawn, or as given).
    work: Vec<f64>,
}

/// The workflow instances of one replication.
pub(super) struct Flows {
    classes: Vec<Option<FlowClass>>,
    instances: Vec<Instance>,
    vacant: Vec<u32>,
    /// Instances in the system.
    pub present: u64,
    /// Per job slot: the (instance, task) whose visit it is.
    task_of: Vec<(u32, u32)>,
    /// Per node: requirement placed there whose data is still on its way.
    promised: Vec<f64>,
    rule: Policy,
    network: Network,
    time_key: u64,
    place_key: u64,
    /// Tasks one event made ready, in file order.
    ready: Vec<u32>,
}

impl Flows {
    pub fn new(scenario: &Scenario, replication: u32) -> Option<Box<Flows>> {
        if !scenario.classes.iter().any(Class::is_workflow) {
            return None;
        }
        let rule = scenario.workflow_rule;
        let classes = scenario
            .classes
            .iter()
            .map(|c| {
                let flow = c.workflow.as_ref()?;
                let dag = &flow.dag;
                let inv = inverse_speeds(scenario, flow);
                let nodes = scenario.nodes.len();
                let fastest = (0..dag.len())
                    .map(|i| {
                        inv[i * nodes..(i + 1) * nodes]
                            .iter()
                            .fold(f64::INFINITY, |a, &b| a.min(b))
                    })
                    .collect();
                let mut missing: Vec<u32> = dag.pred.iter().map(|p| p.len() as u32).collect();
                let (mut node, mut next_on) = (Vec::new(), Vec::new());
                if rule.is_static() {
                    let platform = platform(scenario, flow);
                    let plan = crate::workflow::schedule(dag, &platform, rule, scenario.seed);
                    node = plan
                        .slots
                        .iter()
                        .map(|s| platform.node_of[s.proc] as u32)
                        .collect();
                    next_on = vec![NONE; dag.len()];
                    for order in plan.orders(dag, platform.processors()) {
                        for pair in order.windows(2) {
                            next_on[pair[0]] = pair[1] as u32;
                            missing[pair[1]] += 1;
                        }
                    }
                }
                let entries = (0..dag.len() as u32)
                    .filter(|&i| missing[i as usize] == 0)
                    .collect();
                Some(FlowClass {
                    flow: Arc::clone(flow),
                    inv,
                    fastest,
                    node,
                    next_on,
                    missing,
                    entries,
                })
            })
            .collect();
        Some(Box::new(Flows {
            classes,
            instances: Vec::new(),
            vacant: Vec::new(),
            present: 0,
            task_of: Vec::new(),
            promised: vec![0.0; scenario.nodes.len()],
            rule,
            network: scenario.network,
            time_key: visit_key(scenario.seed, replication, Purpose::TaskTime),
            place_key: visit_key(scenario.seed, replication, Purpose::Placement),
            ready: Vec::new(),
        }))
    }

    #[inline]
    pub fn is_flow(&self, class: u32) -> bool {
        self.classes[class as usize].is_some()
    }

    /// Whether the rule decides placements from the node state (and needs
    /// the load board).
    pub fn dynamic(&self) -> bool {
        !self.rule.is_static()
    }

    /// A new instance of `class` (arrival number `seq`) entering at `now`:
    /// its task times are drawn, and its entry tasks are ready.
    fn start(&mut self, class: u32, seq: u64, now: f64) -> u32 {
        let fc = self.classes[class as usize]
            .as_ref()
            .expect("a workflow class");
        let flow = &fc.flow;
        let n = flow.dag.len();
        let work = (0..n)
            .map(|i| {
                let given = flow.dag.work[i];
                match &flow.work[i] {
                    Some(d) => draw(d, self.time_key, seq, i as u32).max(0.0),
                    None if flow.scv > 0.0 => {
                        given * draw(&gamma_one(flow.scv), self.time_key, seq, i as u32)
                    }
                    None => given,
                }
            })
            .collect();
        let instance = Instance {
            class,
            seq,
            entered: now,
            first_start: f64::NAN,
            left: n as u32,
            served: 0.0,
            waited: 0.0,
            missing: fc.missing.clone(),
            node: vec![NONE; n],
            end: vec![f64::NAN; n],
            work,
        };
        let slot = match self.vacant.pop() {
            Some(s) => {
                self.instances[s as usize] = instance;
                s
            }
            None => {
                self.instances.push(instance);
                (self.instances.len() - 1) as u32
            }
        };
        self.present += 1;
        self.ready.clear();
        self.ready.extend_from_slice(&fc.entries);
        slot
    }

    /// When task `task` of `inst` could start at node `node`: once every
    /// parent's data is there.
    fn data_ready(&self, inst: u32, task: usize, node: u32) -> f64 {
        let i = &self.instances[inst as usize];
        let fc = self.classes[i.class as usize]
            .as_ref()
            .expect("a workflow class");
        fc.flow.dag.pred[task]
            .iter()
            .map(|&(p, bytes)| {
                let move_in = if i.node[p] == node {
                    0.0
                } else {
                    self.network.transfer(bytes)
                };
                i.end[p] + move_in
            })
            .fold(0.0, f64::max)
    }

    /// The requirement of task `task` of `inst` at `node` of speed `speed`:
    /// its work scaled so that `requirement / speed` is `work / (its speed
    /// there)`.
    fn requirement(&self, inst: u32, task: usize, node: u32, speed: f64) -> f64 {
        let i = &self.instances[inst as usize];
        let fc = self.classes[i.class as usize]
            .as_ref()
            .expect("a workflow class");
        let nodes = self.promised.len();
        let inv = fc.inv[task * nodes + node as usize];
        let w = i.work[task];
        if inv * speed == 1.0 {
            w
        } else {
            w * inv * speed
        }
    }

    /// Task `task` of `inst` ended at `now` after `served` in service and
    /// `waited` in its node's queue: the tasks it completes the
    /// prerequisites of are now in `ready`. Whether the instance is done.
    fn finish(&mut self, inst: u32, task: u32, now: f64, served: f64, waited: f64) -> bool {
        let i = &mut self.instances[inst as usize];
        let fc = self.classes[i.class as usize]
            .as_ref()
            .expect("a workflow class");
        let t = task as usize;
        i.end[t] = now;
        i.served += served;
        i.waited += waited;
        i.left -= 1;
        self.ready.clear();
        let mut release = |c: usize, ready: &mut Vec<u32>| {
            i.missing[c] -= 1;
            if i.missing[c] == 0 {
                ready.push(c as u32);
            }
        };
        for &(c, _) in &fc.flow.dag.succ[t] {
            release(c, &mut self.ready);
        }
        if let Some(&next) = fc.next_on.get(t)
            && next != NONE
        {
            release(next as usize, &mut self.ready);
        }
        self.ready.sort_unstable();
        i.left == 0
    }

    /// The record of a finished instance the observers see as its job:
    /// response from its arrival, time in service summed over its tasks,
    /// and as its time alone the critical path of its task times at each
    /// task's fastest speed (transfers excluded), so its slowdown is at
    /// least 1 whenever it met no other work and moved no data.
    fn summary(&mut self, inst: u32, priority: i32) -> (Job, f64, f64) {
        let i = &self.instances[inst as usize];
        let fc = self.classes[i.class as usize]
            .as_ref()
            .expect("a workflow class");
        let dag = &fc.flow.dag;
        let critical = crate::model::workflow::longest_path(dag, |t| i.work[t] * fc.fastest[t]);
        let mut job = Job::new(i.seq, i.class, NONE, priority, i.entered, 0.0);
        job.remaining = 0.0;
        job.served_before = i.served;
        job.demand_time = critical;
        job.first_start = i.first_start;
        job.visits = dag.len() as u32 - 1;
        let waited = i.waited / dag.len() as f64;
        (job, i.first_start, waited)
    }

    fn free(&mut self, inst: u32) {
        self.vacant.push(inst);
        self.present -= 1;
    }
}

/// Gamma of mean 1 and squared coefficient of variation `scv`.
fn gamma_one(scv: f64) -> Dist {
    Dist::Gamma {
        shape: 1.0 / scv,
        scale: scv,
        sampler: rand_distr::Gamma::new(1.0 / scv, scv).expect("validated scv > 0"),
    }
}

impl<W: Workload, O: Observer> Simulation<W, O> {
    /// An instance of workflow class `a.class` arrives: its entry tasks are
    /// placed.
    #[cold]
    #[inline(never)]
    pub(super) fn instance_arrives(&mut self, a: &Arrival) {
        let now = self.clock;
        let flows = self.flows.as_mut().expect("a workflow class");
        if flows.present >= self.max_present {
            self.unstable = Some(Unstable {
                time: now,
                present: self.max_present,
            });
            return;
        }
        let seq = self.arrivals;
        self.arrivals += 1;
        let inst = flows.start(a.class, seq, now);
        // Observers count the instance in its class, at no node.
        let mut job = Job::new(
            seq,
            a.class,
            NONE,
            self.class_priority[a.class as usize],
            now,
            0.0,
        );
        job.live = false;
        self.observer.on_arrival(now, &job);
        self.place_ready(inst);
    }

    /// Places the tasks of `inst` in the flows' `ready` list.
    fn place_ready(&mut self, inst: u32) {
        let now = self.clock;
        let mut ready = std::mem::take(&mut self.flows.as_mut().expect("flows").ready);
        let rule = self.flows.as_ref().expect("flows").rule;
        match rule {
            Policy::Heft | Policy::Cpop | Policy::Cp => {
                for &t in &ready {
                    let f = self.flows.as_ref().expect("flows");
                    let i = &f.instances[inst as usize];
                    let node = f.classes[i.class as usize].as_ref().expect("flow").node[t as usize];
                    self.send(inst, t, node);
                }
            }
            Policy::Random => {
                let nodes = self.stations.len() as f64;
                for &t in &ready {
                    let f = self.flows.as_ref().expect("flows");
                    let seq = f.instances[inst as usize].seq;
                    let u = visit_uniform(f.place_key, seq, t);
                    let node = ((u * nodes) as u32).min(self.stations.len() as u32 - 1);
                    self.send(inst, t, node);
                }
            }
            Policy::Fcfs | Policy::MinMin | Policy::MaxMin => {
                while !ready.is_empty() {
                    // Each task's best node and finish time, as placed so far.
                    let mut pick = 0;
                    let mut pick_best = (f64::NAN, 0);
                    for (k, &t) in ready.iter().enumerate() {
                        let best = self.best_node(inst, t as usize, now);
                        let better = k == 0
                            || match rule {
                                Policy::MinMin => best.0 < pick_best.0,
                                Policy::MaxMin => best.0 > pick_best.0,
                                _ => false,
                            };
                        if better {
                            pick = k;
                            pick_best = best;
                        }
                        if rule == Policy::Fcfs {
                            break;
                        }
                    }
                    let t = ready.remove(pick);
                    self.send(inst, t, pick_best.1);
                }
            }
        }
        ready.clear();
        self.flows.as_mut().expect("flows").ready = ready;
    }

    /// The node where task `task` of `inst` would finish first, and when
    /// (ties: the node listed first).
    fn best_node(&mut self, inst: u32, task: usize, now: f64) -> (f64, u32) {
        let mut best = (f64::INFINITY, 0);
        for n in 0..self.stations.len() {
            let station = &self.stations[n];
            let load = &self.loads.nodes[n];
            let f = self.flows.as_ref().expect("flows");
            let capacity = f64::from(load.servers.max(1)) * station.speed;
            let backlog = (load.work_at(now) + f.promised[n]) / capacity;
            let own = f.requirement(inst, task, n as u32, station.speed) / station.speed;
            let start = f.data_ready(inst, task, n as u32).max(now + backlog);
            let finish = start + own;
            if finish < best.0 {
                best = (finish, n as u32);
            }
        }
        best
    }

    /// Task `task` of `inst` goes to `node`: now, or when its data arrives.
    fn send(&mut self, inst: u32, task: u32, node: u32) {
        let now = self.clock;
        let speed = self.stations[node as usize].speed;
        let f = self.flows.as_mut().expect("flows");
        f.instances[inst as usize].node[task as usize] = node;
        let at = f.data_ready(inst, task as usize, node);
        let requirement = f.requirement(inst, task as usize, node, speed);
        f.promised[node as usize] += requirement;
        if at > now {
            self.events.push(at, Kind::TaskReady, node, inst, task);
        } else {
            self.task_enters(node, inst, task);
        }
    }

    /// A task's data is at its node: the task is a job there now.
    #[cold]
    #[inline(never)]
    pub(super) fn task_ready(&mut self, event: Event) {
        self.task_enters(event.node, event.server, event.generation);
    }

    fn task_enters(&mut self, node: u32, inst: u32, task: u32) {
        let now = self.clock;
        let speed = self.stations[node as usize].speed;
        let f = self.flows.as_mut().expect("flows");
        let size = f.requirement(inst, task as usize, node, speed);
        f.promised[node as usize] = (f.promised[node as usize] - size).max(0.0);
        let class = f.instances[inst as usize].class;
        let mut job = Job::new(
            self.arrivals,
            class,
            node,
            self.class_priority[class as usize],
            now,
            size,
        );
        // Not the class's arrival (the instance was): the node's.
        job.visits = 1;
        let id = self.jobs.insert(job);
        if u64::from(id) >= self.max_present {
            self.unstable = Some(Unstable {
                time: now,
                present: self.max_present,
            });
            return;
        }
        self.arrivals += 1;
        let f = self.flows.as_mut().expect("flows");
        if f.task_of.len() <= id as usize {
            f.task_of.resize(id as usize + 1, (NONE, NONE));
        }
        f.task_of[id as usize] = (inst, task);
        self.stations[node as usize].present += 1;
        self.enter::<Full>(node, id, false);
    }

    /// Whether job `id` is a workflow task.
    #[inline]
    pub(super) fn is_task(&self, id: JobId) -> bool {
        self.flows
            .as_ref()
            .is_some_and(|f| f.is_flow(self.jobs.get(id).class))
    }

    /// Task job `id` ended its visit at `node` (it has left the node's
    /// count): its servers go on, its children may become ready, and the
    /// instance leaves with its last task.
    #[cold]
    #[inline(never)]
    pub(super) fn task_leaves(&mut self, node: u32, server: u32, id: JobId) {
        let now = self.clock;
        let job = self.jobs.take(id);
        self.observer.on_visit_end(now, job);
        let served = job.served;
        let started = if job.first_start.is_nan() {
            now
        } else {
            job.first_start
        };
        let waited = (started - job.arrival).max(0.0);
        let width = job.width;
        self.release::<Full>(node, server, id, width);
        let f = self.flows.as_mut().expect("flows");
        let (inst, task) = f.task_of[id as usize];
        let i = &mut f.instances[inst as usize];
        if i.first_start.is_nan() || started < i.first_start {
            i.first_start = started;
        }
        if f.finish(inst, task, now, served, waited) {
            let class = f.instances[inst as usize].class;
            let (summary, first_start, waited) =
                f.summary(inst, self.class_priority[class as usize]);
            f.free(inst);
            self.completed += 1;
            self.observer.on_complete(now, &summary);
            self.observer
                .on_workflow_done(now, &summary, now - first_start, waited);
            self.left_system::<Full>(class);
        } else {
            self.place_ready(inst);
        }
    }
}
