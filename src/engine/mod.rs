//! The discrete-event engine: a clock, an event list, arrivals from a
//! workload, and nodes whose servers a policy feeds.
//!
//! Events at the same instant are handled in a fixed order: arrivals first
//! (so a job arriving as a server frees joins the queue before the server
//! picks), then departures in the order they were scheduled. The engine
//! knows nothing of any particular discipline; it asks the node's
//! [`Policy`] which job a free server takes.

mod events;
mod jobs;

use crate::dispatch::{Dispatcher, NodeLoad, Rule};
use crate::job::{Job, JobId};
use crate::model::{Limit, Scenario};
use crate::policy::Policy;
use crate::workload::Workload;

use events::{Event, EventList};
use jobs::JobTable;

/// What the engine reports while it runs: statistics, traces.
///
/// Every hook has an empty default so an observer implements only what it needs;
/// the engine is generic over it, so unused hooks cost nothing.
pub trait Observer {
    /// A job arrived at its node.
    fn on_arrival(&mut self, _now: f64, _job: &Job) {}
    /// A job took a server.
    fn on_start(&mut self, _now: f64, _job: &Job, _server: u32) {}
    /// A job left its server: finished, preempted, or its quantum expired.
    fn on_stop(&mut self, _now: f64, _job: &Job, _server: u32) {}
    /// A server spends `duration` switching to a job before it runs it
    /// (called just before `on_start`).
    fn on_switch(&mut self, _now: f64, _server: u32, _duration: f64) {}
    /// `victim` lost its server to the more urgent `by` (before `on_stop`).
    fn on_preempt(&mut self, _now: f64, _victim: &Job, _by: &Job, _server: u32) {}
    /// The job's quantum ran out before it finished (before `on_stop`).
    fn on_expire(&mut self, _now: f64, _job: &Job, _server: u32) {}
    /// At a sharing node, the servers' worth of capacity each class now
    /// receives (indexed by class).
    fn on_shares(&mut self, _now: f64, _node: u32, _busy: &[f64]) {}
    /// A waiting job moved to another node (`job.node`) from node `from`:
    /// taken by another node's idle server (hybrid), or assigned from the
    /// central queue when a server pulled it (pull).
    fn on_move(&mut self, _now: f64, _job: &Job, _from: u32) {}
    /// A job was turned away: its node was full.
    fn on_block(&mut self, _now: f64, _job: &Job) {}
    /// A job finished and left the system (after `on_stop` at a server node).
    fn on_complete(&mut self, _now: f64, _job: &Job) {}
    /// The warm-up is over: statistics count from now.
    fn on_measure_start(&mut self, _now: f64) {}
    /// The run ended at `now`.
    fn on_end(&mut self, _now: f64) {}
}

/// An observer that records nothing.
impl Observer for () {}

const IDLE: JobId = JobId::MAX;
/// The `server` of events that belong to a sharing node as a whole.
const SHARED: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Server {
    job: JobId,
    /// Bumped whenever the server's pending event is cancelled, so a stale
    /// event is recognised and skipped.
    generation: u32,
    /// When the current job began to make progress (after any switch cost).
    progress_from: f64,
    /// Whether the pending event is the job's completion (else its quantum ends).
    completes: bool,
    /// The job this server ran last, so resuming it costs no switch.
    last_job: JobId,
}

impl Server {
    const IDLE: Server = Server {
        job: IDLE,
        generation: 0,
        progress_from: 0.0,
        completes: false,
        last_job: IDLE,
    };
}

/// A node in the running simulation: its servers, and which queue feeds them.
struct Station {
    speed: f64,
    /// Time a server spends switching to a job other than the one it ran last.
    switch_cost: f64,
    preemptive: bool,
    /// A sharing discipline (ps, fb) serves all jobs at once; `servers`
    /// and `idle` are then unused.
    sharing: bool,
    share_generation: u32,
    share_busy: Vec<f64>,
    servers: Vec<Server>,
    /// Idle servers, taken last-freed first.
    idle: Vec<u32>,
    /// Index of the policy (queue) that feeds this node: its own, or the
    /// central one under pull dispatching.
    queue: usize,
    /// Jobs at the node (waiting or in service) and the most it holds.
    present: u32,
    capacity: u32,
}

/// Where a run stopped and how much it did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunInfo {
    /// Simulated time at which statistics started.
    pub measure_start: f64,
    /// Simulated time at which the run stopped.
    pub end: f64,
    /// Events handled (arrivals and departures).
    pub events: u64,
    /// Jobs completed, warm-up included.
    pub completed: u64,
}

/// Node loads for dispatchers, kept up to date only when the rule reads them.
struct LoadBoard {
    enabled: bool,
    nodes: Vec<NodeLoad>,
}

impl LoadBoard {
    #[inline]
    fn arrive(&mut self, node: u32, now: f64, work: f64) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.present += 1;
            l.catch_up(now);
            l.work += work;
        }
    }

    /// A waiting job left for another node.
    fn leave(&mut self, node: u32, now: f64, work: f64) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.present -= 1;
            l.catch_up(now);
            l.work = (l.work - work).max(0.0);
        }
    }

    #[inline]
    fn start(&mut self, node: u32, now: f64, speed: f64, was_idle: bool) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.catch_up(now);
            l.work_rate += speed;
            l.idle -= u32::from(was_idle);
        }
    }

    #[inline]
    fn stop(&mut self, node: u32, now: f64, speed: f64) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.catch_up(now);
            l.work_rate -= speed;
        }
    }

    #[inline]
    fn idle(&mut self, node: u32, servers: u32) {
        if self.enabled {
            self.nodes[node as usize].idle += servers;
        }
    }

    #[inline]
    fn complete(&mut self, node: u32) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.present -= 1;
            if l.present == 0 {
                // Rounding must not leave phantom work at an empty node.
                l.work = 0.0;
            }
        }
    }

    /// A sharing node's busy capacity changed.
    fn share(&mut self, node: u32, now: f64, busy: f64, speed: f64) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.catch_up(now);
            l.work_rate = busy * speed;
            l.idle = l.servers - (busy.round() as u32).min(l.servers);
        }
    }
}

/// One replication of a system: workload, nodes and an observer.
pub struct Simulation<W, P, O> {
    clock: f64,
    workload: W,
    stations: Vec<Station>,
    /// One per node, or a single central one under pull dispatching.
    queues: Vec<P>,
    /// What dispatchers may see of each node.
    loads: LoadBoard,
    dispatcher: Option<Dispatcher>,
    pull: bool,
    hybrid: bool,
    /// Node a class is pinned to, or `None` when it is dispatched.
    class_node: Vec<Option<u32>>,
    class_priority: Vec<i32>,
    jobs: JobTable,
    events: EventList,
    observer: O,
    arrivals: u64,
    completed: u64,
    handled: u64,
    /// Whether an arrival is handled before a server event at the same instant.
    arrivals_first: bool,
    /// Nodes that received part of a batch of simultaneous arrivals and
    /// still have to choose what runs.
    unsettled: Vec<u32>,
}

impl<W: Workload, P: Policy + Clone, O: Observer> Simulation<W, P, O> {
    /// Builds the nodes of `scenario`, each fed by its own copy of `policy`
    /// (or all by one central copy under pull dispatching). `dispatcher` is
    /// required when some class is not pinned to a node.
    pub fn new(
        scenario: &Scenario,
        workload: W,
        policy: &P,
        dispatcher: Option<Dispatcher>,
        observer: O,
    ) -> Self {
        let pull = matches!(dispatcher.as_ref().map(|d| &d.rule), Some(Rule::Pull));
        let hybrid = matches!(
            dispatcher.as_ref().map(|d| &d.rule),
            Some(Rule::Hybrid { .. })
        );
        let classes = scenario.classes.len();
        let mut queues = Vec::new();
        let stations = scenario
            .nodes
            .iter()
            .enumerate()
            .map(|(j, n)| {
                let sharing = policy.shares();
                if !pull || j == 0 {
                    let mut p = policy.clone();
                    if sharing {
                        p.share_attach(n.servers, n.speed, classes);
                    }
                    queues.push(p);
                }
                Station {
                    speed: n.speed,
                    switch_cost: policy.switch_cost(),
                    preemptive: policy.preemptive(),
                    sharing,
                    share_generation: 0,
                    share_busy: vec![0.0; classes],
                    servers: vec![Server::IDLE; n.servers as usize],
                    idle: (0..n.servers).rev().collect(),
                    queue: if pull { 0 } else { j },
                    present: 0,
                    capacity: n.capacity.unwrap_or(u32::MAX),
                }
            })
            .collect();
        let loads = LoadBoard {
            // Only rules that look at node state pay for keeping it.
            enabled: matches!(
                dispatcher.as_ref().map(|d| &d.rule),
                Some(
                    Rule::Jsq
                        | Rule::PowerOfD { .. }
                        | Rule::Lwl
                        | Rule::Jiq
                        | Rule::Hybrid { .. }
                        | Rule::EarliestFinish
                        | Rule::Table { .. }
                )
            ),
            nodes: scenario
                .nodes
                .iter()
                .map(|n| NodeLoad {
                    servers: n.servers,
                    idle: n.servers,
                    speed: n.speed,
                    ..NodeLoad::default()
                })
                .collect(),
        };
        Simulation {
            clock: 0.0,
            workload,
            stations,
            queues,
            loads,
            dispatcher,
            pull,
            hybrid,
            class_node: scenario
                .classes
                .iter()
                .map(|c| c.node.map(|n| n as u32))
                .collect(),
            class_priority: scenario.classes.iter().map(|c| c.priority).collect(),
            jobs: JobTable::default(),
            events: EventList::default(),
            observer,
            arrivals: 0,
            completed: 0,
            handled: 0,
            arrivals_first: true,
            unsettled: Vec::new(),
        }
    }

    /// Chooses the order of events at the same instant: arrivals first (the
    /// default: a job arriving as a quantum expires queues ahead of the
    /// preempted job), or server events first.
    pub fn set_arrivals_first(&mut self, arrivals_first: bool) {
        self.arrivals_first = arrivals_first;
    }

    /// Sets the context-switch cost of every server, whatever the discipline.
    pub fn set_switch_cost(&mut self, cost: f64) {
        for s in &mut self.stations {
            s.switch_cost = cost;
        }
    }

    /// The node index standing for "waiting in the central queue" (pull).
    fn central(&self) -> u32 {
        self.stations.len() as u32
    }

    /// Current simulated time.
    pub fn clock(&self) -> f64 {
        self.clock
    }

    pub fn observer(&self) -> &O {
        &self.observer
    }

    pub fn into_observer(self) -> O {
        self.observer
    }

    /// Runs a warm-up and then a measured horizon (both counted in completed
    /// jobs or in simulated time), or until the workload is exhausted and
    /// every job has left.
    pub fn run(&mut self, warmup: Limit, horizon: Limit) -> RunInfo {
        let mut measuring = false;
        let mut measure_start = 0.0;
        // Next time-based phase change (end of warm-up or of the horizon).
        let mut checkpoint = f64::INFINITY;
        let mut warm_jobs = u64::MAX;
        let mut stop_jobs = u64::MAX;
        let start_measuring =
            |sim: &mut Self, checkpoint: &mut f64, stop_jobs: &mut u64, now: f64| {
                sim.observer.on_measure_start(now);
                match horizon {
                    Limit::Jobs(n) => *stop_jobs = sim.completed + n,
                    Limit::Time(t) => *checkpoint = now + t,
                }
            };
        match warmup {
            Limit::Jobs(0) => {
                measuring = true;
                start_measuring(self, &mut checkpoint, &mut stop_jobs, 0.0);
            }
            Limit::Time(t) if t <= 0.0 => {
                measuring = true;
                start_measuring(self, &mut checkpoint, &mut stop_jobs, 0.0);
            }
            Limit::Jobs(n) => warm_jobs = n,
            Limit::Time(t) => checkpoint = t,
        }
        loop {
            let t_arrival = self.workload.peek_time();
            let t_departure = self.events.peek_time();
            let t = t_arrival.min(t_departure);
            if t > checkpoint {
                self.clock = checkpoint;
                if measuring {
                    break;
                }
                measuring = true;
                measure_start = checkpoint;
                checkpoint = f64::INFINITY;
                start_measuring(self, &mut checkpoint, &mut stop_jobs, measure_start);
                continue;
            }
            if t == f64::INFINITY {
                break;
            }
            self.clock = t;
            self.handled += 1;
            if t_arrival < t_departure || (t_arrival == t_departure && self.arrivals_first) {
                self.arrive();
            } else if self.depart() {
                if self.completed == warm_jobs && !measuring {
                    measuring = true;
                    measure_start = t;
                    start_measuring(self, &mut checkpoint, &mut stop_jobs, t);
                } else if self.completed >= stop_jobs {
                    break;
                }
            }
        }
        self.observer.on_end(self.clock);
        RunInfo {
            measure_start,
            end: self.clock,
            events: self.handled,
            completed: self.completed,
        }
    }

    #[inline]
    fn arrive(&mut self) {
        let a = self.workload.next_arrival();
        let now = self.clock;
        let mut job = Job::new(
            self.arrivals,
            a.class,
            0,
            self.class_priority[a.class as usize],
            a.time,
            a.size,
        );
        job.deadline = a.deadline;
        job.noise = a.noise;
        self.arrivals += 1;
        let node = match self.class_node[a.class as usize] {
            Some(n) => n,
            None if self.pull => self.central(),
            None => self
                .dispatcher
                .as_mut()
                .expect("scenario validation requires a dispatcher for unpinned classes")
                .choose(&job, &self.loads.nodes, now),
        };
        job.node = node;
        if node != self.central() {
            let station = &mut self.stations[node as usize];
            if station.present >= station.capacity {
                self.observer.on_block(now, &job);
                return;
            }
            station.present += 1;
        }
        let id = self.jobs.insert(job);
        self.observer.on_arrival(now, self.jobs.get(id));
        if node == self.central() {
            return self.arrive_central(id);
        }
        self.loads.arrive(node, now, self.jobs.get(id).remaining);
        let station = &mut self.stations[node as usize];
        // Jobs arriving at the same instant are all queued before any of
        // them is chosen, so a policy compares them all (SJF among jobs
        // arriving together picks the shortest, not the first listed).
        let batch =
            !station.sharing && (self.workload.peek_time() == now || !self.unsettled.is_empty());
        if batch {
            self.queues[station.queue].enqueue(id, self.jobs.get_mut(id), now);
            if !self.unsettled.contains(&node) {
                self.unsettled.push(node);
            }
            if self.workload.peek_time() != now {
                self.settle();
            }
        } else if station.sharing {
            let job = self.jobs.get_mut(id);
            job.first_start = now;
            self.queues[station.queue].share_arrive(id, job, now);
            self.reschedule_shared(node);
        } else if let Some(server) = station.idle.pop() {
            self.start(node, server, id);
        } else if station.preemptive && !self.pull {
            self.arrive_preemptive(node, id);
        } else {
            self.queues[station.queue].enqueue(id, self.jobs.get_mut(id), now);
        }
    }

    /// After a batch of simultaneous arrivals: idle servers take the most
    /// urgent queued jobs, then (for preemptive disciplines) queued jobs
    /// take the servers of less urgent jobs in service.
    fn settle(&mut self) {
        let now = self.clock;
        let nodes = std::mem::take(&mut self.unsettled);
        for &node in &nodes {
            let queue = self.stations[node as usize].queue;
            while let Some(server) = self.stations[node as usize].idle.pop() {
                match self.queues[queue].dequeue(now) {
                    Some(next) => self.start(node, server, next),
                    None => {
                        self.stations[node as usize].idle.push(server);
                        break;
                    }
                }
            }
            if self.stations[node as usize].preemptive && !self.pull {
                while let Some(best) = self.queues[queue].peek(now) {
                    let victim = self.least_urgent(node);
                    let victim_job = self.stations[node as usize].servers[victim].job;
                    if !self.queues[queue].outranks(
                        self.jobs.get(best),
                        self.jobs.get(victim_job),
                        now,
                    ) {
                        break;
                    }
                    let best = self.queues[queue].dequeue(now).expect("peeked");
                    self.preempt_or_queue(node, victim, best);
                }
            }
        }
        self.unsettled = nodes;
        self.unsettled.clear();
    }

    /// Pull dispatching: the fastest node with an idle server takes the
    /// job (the lowest index among equals); else it waits centrally, or
    /// preempts across all nodes if the discipline is preemptive.
    fn arrive_central(&mut self, id: JobId) {
        let now = self.clock;
        let mut best: Option<usize> = None;
        for (j, st) in self.stations.iter().enumerate() {
            if !st.idle.is_empty() && best.is_none_or(|b| st.speed > self.stations[b].speed) {
                best = Some(j);
            }
        }
        if let Some(j) = best {
            let server = self.stations[j].idle.pop().expect("checked idle");
            self.assign(id, j as u32);
            self.start(j as u32, server, id);
        } else if self.stations[0].preemptive {
            let candidates: Vec<(usize, usize)> = (0..self.stations.len())
                .map(|j| (j, self.least_urgent(j as u32)))
                .collect();
            let job_at = |(j, s): (usize, usize)| self.jobs.get(self.stations[j].servers[s].job);
            let mut victim = candidates[0];
            for &c in &candidates[1..] {
                if self.queues[0].outranks(job_at(victim), job_at(c), now) {
                    victim = c;
                }
            }
            self.preempt_or_queue(victim.0 as u32, victim.1, id);
        } else {
            self.queues[0].enqueue(id, self.jobs.get_mut(id), now);
        }
    }

    /// Moves a waiting job to node `to` (pull assignment or hybrid steal).
    fn assign(&mut self, id: JobId, to: u32) {
        let now = self.clock;
        let job = self.jobs.get_mut(id);
        let from = job.node;
        job.node = to;
        let work = job.remaining;
        if from != self.central() {
            self.loads.leave(from, now, work);
            self.stations[from as usize].present -= 1;
        }
        self.loads.arrive(to, now, work);
        self.stations[to as usize].present += 1;
        self.observer.on_move(now, self.jobs.get(id), from);
    }

    /// The server of node `node` whose job is least urgent, after bringing
    /// the jobs in service up to date so the policy compares remaining work
    /// as of now.
    fn least_urgent(&mut self, node: u32) -> usize {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        for slot in station.servers.iter_mut() {
            let elapsed = now - slot.progress_from;
            if elapsed > 0.0 {
                let job = self.jobs.get_mut(slot.job);
                job.remaining = (job.remaining - elapsed * station.speed).max(0.0);
                job.served += elapsed;
                slot.progress_from = now;
            }
        }
        let policy = &self.queues[station.queue];
        let mut victim = 0;
        for (s, slot) in station.servers.iter().enumerate().skip(1) {
            let v = self.jobs.get(station.servers[victim].job);
            if policy.outranks(v, self.jobs.get(slot.job), now) {
                victim = s;
            }
        }
        victim
    }

    /// All servers of a node are busy under a preemptive discipline: the
    /// newcomer takes the server of the least urgent job in service if it
    /// outranks it.
    fn arrive_preemptive(&mut self, node: u32, id: JobId) {
        let victim = self.least_urgent(node);
        self.preempt_or_queue(node, victim, id);
    }

    fn preempt_or_queue(&mut self, node: u32, victim: usize, id: JobId) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        let queue = station.queue;
        let victim_id = station.servers[victim].job;
        if !self.queues[queue].outranks(self.jobs.get(id), self.jobs.get(victim_id), now) {
            self.queues[queue].enqueue(id, self.jobs.get_mut(id), now);
            return;
        }
        let slot = &mut station.servers[victim];
        slot.generation = slot.generation.wrapping_add(1);
        self.observer.on_preempt(
            now,
            self.jobs.get(victim_id),
            self.jobs.get(id),
            victim as u32,
        );
        self.observer
            .on_stop(now, self.jobs.get(victim_id), victim as u32);
        self.loads.stop(node, now, station.speed);
        if self.pull {
            // The preempted job goes back to the central queue.
            self.assign_central(victim_id);
        }
        self.queues[queue].enqueue(victim_id, self.jobs.get_mut(victim_id), now);
        if self.pull {
            self.assign(id, node);
        }
        self.start(node, victim as u32, id);
    }

    /// Returns a job in service to the central queue (pull, preempted).
    fn assign_central(&mut self, id: JobId) {
        let now = self.clock;
        let central = self.central();
        let job = self.jobs.get_mut(id);
        let from = job.node;
        job.node = central;
        let work = job.remaining;
        self.loads.leave(from, now, work);
        self.stations[from as usize].present -= 1;
        self.observer.on_move(now, self.jobs.get(id), from);
    }

    /// Handles the earliest server event: a completion or the end of a
    /// quantum. Returns whether a job completed.
    #[inline]
    fn depart(&mut self) -> bool {
        let Event {
            node,
            server,
            generation,
            ..
        } = self.events.pop();
        let now = self.clock;
        if server == SHARED {
            return self.depart_shared(node, generation);
        }
        let station = &mut self.stations[node as usize];
        let slot = &mut station.servers[server as usize];
        if slot.generation != generation {
            return false;
        }
        let id = slot.job;
        let completed = slot.completes;
        let queue = station.queue;
        self.loads.stop(node, now, station.speed);
        if completed {
            let mut job = self.jobs.remove(id);
            job.served += now - slot.progress_from;
            job.remaining = 0.0;
            self.completed += 1;
            station.present -= 1;
            self.loads.complete(node);
            self.observer.on_stop(now, &job, server);
            self.observer.on_complete(now, &job);
        } else {
            let elapsed = now - slot.progress_from;
            let job = self.jobs.get_mut(id);
            job.remaining = (job.remaining - elapsed * station.speed).max(0.0);
            job.served += elapsed;
            let policy = &mut self.queues[queue];
            self.observer.on_expire(now, job, server);
            policy.expire(job, now);
            self.observer.on_stop(now, job, server);
            if self.pull {
                self.assign_central(id);
            }
            self.queues[queue].enqueue(id, self.jobs.get_mut(id), now);
        }
        self.serve_next(node, server);
        completed
    }

    /// A server has become free: it takes the next job of its queue, or
    /// under hybrid dispatching of the longest other queue, or goes idle.
    #[inline]
    fn serve_next(&mut self, node: u32, server: u32) {
        let now = self.clock;
        let queue = self.stations[node as usize].queue;
        let next = match self.queues[queue].dequeue(now) {
            Some(next) => Some(next),
            None if self.hybrid => self.steal(node),
            None => None,
        };
        match next {
            Some(next) => {
                if self.pull || self.jobs.get(next).node != node {
                    self.assign(next, node);
                }
                self.start(node, server, next);
            }
            None => {
                let station = &mut self.stations[node as usize];
                station.servers[server as usize].job = IDLE;
                station.idle.push(server);
                self.loads.idle(node, 1);
            }
        }
    }

    /// Hybrid dispatching: the job the longest other queue would serve next
    /// (lowest node index among equally long queues).
    fn steal(&mut self, thief: u32) -> Option<JobId> {
        let now = self.clock;
        let mut longest: Option<usize> = None;
        for (j, q) in self.queues.iter().enumerate() {
            if j != thief as usize
                && !q.is_empty()
                && longest.is_none_or(|l| q.len() > self.queues[l].len())
            {
                longest = Some(j);
            }
        }
        self.queues[longest?].dequeue(now)
    }

    /// Handles the internal event of a sharing node; returns whether a job completed.
    fn depart_shared(&mut self, node: u32, generation: u32) -> bool {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        if station.share_generation != generation {
            return false;
        }
        let done = self.queues[station.queue].share_advance(now);
        let speed = station.speed;
        if let Some(id) = done {
            station.present -= 1;
            let mut job = self.jobs.remove(id);
            self.loads.complete(node);
            // Time in service at a sharing node is the job's own service
            // time, so wait = response - size/speed is the delay sharing caused.
            job.served = job.size / speed;
            job.remaining = 0.0;
            self.completed += 1;
            self.observer.on_complete(now, &job);
        }
        self.reschedule_shared(node);
        done.is_some()
    }

    /// Replaces a sharing node's pending event by its new next event and
    /// reports the new shares.
    fn reschedule_shared(&mut self, node: u32) {
        let station = &mut self.stations[node as usize];
        let policy = &self.queues[station.queue];
        station.share_generation = station.share_generation.wrapping_add(1);
        let next = policy.share_next();
        if next.is_finite() {
            self.events
                .push(next.max(self.clock), node, SHARED, station.share_generation);
        }
        policy.share_busy(&mut station.share_busy);
        let busy: f64 = station.share_busy.iter().sum();
        self.loads.share(node, self.clock, busy, station.speed);
        self.observer
            .on_shares(self.clock, node, &station.share_busy);
    }

    /// Puts job `id` on a server and schedules its completion or the end of
    /// its quantum, whichever comes first.
    #[inline]
    fn start(&mut self, node: u32, server: u32, id: JobId) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        let slot = &mut station.servers[server as usize];
        self.loads.start(node, now, station.speed, slot.job == IDLE);
        // A server switches when it takes a job other than the one it ran
        // last; loading the first job onto a fresh server costs nothing.
        let switch = if slot.last_job == id || slot.last_job == IDLE {
            0.0
        } else {
            station.switch_cost
        };
        slot.job = id;
        slot.last_job = id;
        let job = self.jobs.get_mut(id);
        if job.first_start.is_nan() {
            job.first_start = now;
        }
        let needed = job.remaining / station.speed;
        let quantum = self.queues[station.queue].quantum(job);
        // A quantum that covers the remaining work up to rounding completes it.
        slot.completes = needed <= quantum * (1.0 + 1e-12);
        let run = if slot.completes { needed } else { quantum };
        slot.progress_from = now + switch;
        if switch > 0.0 {
            self.observer.on_switch(now, server, switch);
        }
        self.events
            .push(now + switch + run, node, server, slot.generation);
        self.observer.on_start(now, self.jobs.get(id), server);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{AnyPolicy, PolicyConfig};
    use crate::workload::{Arrival, FixedWorkload};
    use std::path::Path;

    #[derive(Default)]
    struct Trace {
        starts: Vec<(f64, u64, u32)>,
        done: Vec<(f64, u64)>,
    }

    impl Observer for Trace {
        fn on_start(&mut self, now: f64, job: &Job, server: u32) {
            self.starts.push((now, job.seq, server));
        }
        fn on_complete(&mut self, now: f64, job: &Job) {
            self.done.push((now, job.seq));
        }
    }

    fn scenario(servers: u32) -> Scenario {
        let text = format!(
            "name = \"t\"\nhorizon = {{ jobs = 100 }}\n[[classes]]\nname = \"a\"\n\
             arrival = {{ dist = \"exponential\", rate = 1.0 }}\n\
             service = {{ dist = \"exponential\", mean = 1.0 }}\n\
             [[nodes]]\nname = \"n\"\nservers = {servers}\nspeed = 2.0\n"
        );
        Scenario::from_toml(&text, Path::new("t.toml")).unwrap()
    }

    fn arrivals(list: &[(f64, f64)]) -> FixedWorkload {
        FixedWorkload::new(
            list.iter()
                .map(|&(time, size)| Arrival::new(time, 0, size))
                .collect(),
        )
    }

    #[test]
    fn fcfs_on_two_servers_by_hand() {
        // Speed 2: sizes 4, 2, 2, 1 take 2, 1, 1, 0.5 time units.
        let s = scenario(2);
        let w = arrivals(&[(0.0, 4.0), (0.0, 2.0), (0.5, 2.0), (0.5, 1.0)]);
        let policy = AnyPolicy::from_config(&PolicyConfig::default(), &Default::default()).unwrap();
        let mut sim = Simulation::new(&s, w, &policy, None, Trace::default());
        let info = sim.run(Limit::Jobs(0), Limit::Jobs(100));
        let t = sim.into_observer();
        // Job 0 and 1 start at 0; job 1 ends at 1, job 2 takes its server
        // until 2; job 0 ends at 2 (handled first: scheduled first), job 3
        // starts then and ends at 2.5.
        assert_eq!(
            t.starts,
            vec![(0.0, 0, 0), (0.0, 1, 1), (1.0, 2, 1), (2.0, 3, 0)]
        );
        assert_eq!(t.done, vec![(1.0, 1), (2.0, 0), (2.0, 2), (2.5, 3)]);
        assert_eq!(info.completed, 4);
        assert_eq!(info.end, 2.5);
    }

    #[test]
    fn time_horizon_stops_at_the_checkpoint() {
        let s = scenario(1);
        let w = arrivals(&[(0.0, 2.0), (0.1, 2.0), (5.0, 2.0)]);
        let policy = AnyPolicy::from_config(&PolicyConfig::default(), &Default::default()).unwrap();
        let mut sim = Simulation::new(&s, w, &policy, None, Trace::default());
        let info = sim.run(Limit::Time(0.5), Limit::Time(1.0));
        assert_eq!(info.measure_start, 0.5);
        assert_eq!(info.end, 1.5);
        assert_eq!(sim.observer().done, vec![(1.0, 0)]);
    }
}
