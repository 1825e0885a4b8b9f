//! The discrete-event engine: a clock, a calendar of typed events, sources
//! of arrivals, and stations whose servers a policy feeds.
//!
//! A job arrives from its source, is placed on a node (its class's entry
//! node, or the `[dispatch]` placement rule), and visits stations: each
//! visit waits in the node's queue, holds one or several servers (or a
//! share of them), and ends; the router then sends the job to its next
//! node (possibly as another class) or out through `exit`. A station's
//! buffer rule decides what a full node does with a newcomer: lose it, or
//! leave a job routed from another node blocked on the server it finished
//! on until room frees (blocking after service). Deadlock, possible with
//! blocking and feedback, is detected when it happens and ends the run.
//!
//! Events at the same instant are handled in a fixed order: arrivals first
//! (so a job arriving as a server frees joins the queue before the server
//! picks), then server events in the order they were scheduled. The
//! engine knows nothing of any particular discipline; it asks the node's
//! [`Policy`] which job a free server takes.

mod attempts;
mod buckets;
mod events;
mod failures;
mod flows;
mod jobs;
mod loads;
mod shape;
mod shifts;
mod station;
mod victims;

use rand_pcg::Pcg64Mcg;

use crate::dispatch::{Dispatcher, LoadIndex, MinTree, NodeCount, NodeLoad, Rule};
use crate::job::{Job, JobId};
use crate::lifecycle::{AttemptEnd, Draws, GiveUp};
use crate::model::{Class, Dist, Hop, Limit, Routing, Scenario, WhenFull};
use crate::policy::{AnyPolicy, Policy, QueuePolicy, Sharing, SharingPolicy};
use crate::prefetch::{prefetch, prefetch_item};
use crate::workload::{Arrival, Purpose, Workload, visit_draw, visit_key, visit_uniform};

pub use failures::{failure_key, failure_period};

use events::{Event, EventList, Kind};
use jobs::JobTable;
use loads::LoadBoard;
use shape::{Full, Plain, Shape};
use station::{Blocked, IDLE, Idle, Pool, SHARED, STATION_HOT_BYTES, Station};

/// From this many nodes on, the next event's lines are prefetched: the
/// stations alone (320 bytes each) then overflow the 1 MB second-level
/// cache of a core of the machines this is tuned on, and below it the
/// prefetches would only add instructions.
const FORESEE_FROM: usize = 4096;

/// What the engine reports while it runs: statistics, traces.
///
/// Every hook has an empty default so an observer implements only what it needs;
/// the engine is generic over it, so unused hooks cost nothing.
pub trait Observer {
    /// A visit began: the job arrived at `job.node`, from its source
    /// (`job.visits == 0`) or routed from another node.
    fn on_arrival(&mut self, _now: f64, _job: &Job) {}
    /// A job present when the run starts (its class's `initial`) is at
    /// `job.node`, at time 0. It is in the system as an arrival is, so the
    /// default is [`Observer::on_arrival`]; an observer counting arrivals
    /// (the timeline) tells them apart here.
    fn on_initial(&mut self, now: f64, job: &Job) {
        self.on_arrival(now, job);
    }
    /// A job took a server (`job.width` servers, for a rigid visit).
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
    /// receives (indexed by class), and what each received before.
    fn on_shares(&mut self, _now: f64, _node: u32, _busy: &[f64], _before: &[f64]) {}
    /// A waiting job moved to another node (`job.node`) from node `from`:
    /// taken by another node's idle server (hybrid), or assigned from the
    /// central queue when a server pulled it (pull).
    fn on_move(&mut self, _now: f64, _job: &Job, _from: u32) {}
    /// A job was turned away: `job.node` was full. With `job.visits > 0`
    /// it was routed there from another node (after that visit's
    /// `on_visit_end`) and leaves the system lost.
    fn on_block(&mut self, _now: f64, _job: &Job) {}
    /// A job arriving at `job.node` baulked at the jobs it found there and
    /// left at once. With `job.visits > 0` it was routed there (after
    /// that visit's `on_visit_end`).
    fn on_baulk(&mut self, _now: f64, _job: &Job) {}
    /// A job waiting at `job.node` ran out of patience before its service
    /// there started, and left the system.
    fn on_renege(&mut self, _now: f64, _job: &Job) {}
    /// The visit's service ended but its next node is full: the job
    /// stays on its server(s), which are blocked.
    fn on_blocked(&mut self, _now: f64, _job: &Job) {}
    /// Room freed at the next node: the blocked job leaves its server(s)
    /// after `blocked` time units blocked (just before its `on_visit_end`).
    fn on_unblocked(&mut self, _now: f64, _job: &Job, _blocked: f64) {}
    /// The visit at `job.node` ended: the job leaves the node (for
    /// another node, for `exit`, or to be lost downstream).
    fn on_visit_end(&mut self, _now: f64, _job: &Job) {}
    /// A job finished and left the system (after `on_visit_end`).
    fn on_complete(&mut self, _now: f64, _job: &Job) {}
    /// The warm-up is over: statistics count from now.
    fn on_measure_start(&mut self, _now: f64) {}
    /// A batch of a run measured in batches ended; the next starts now
    /// (see [`Simulation::run_in_batches`]).
    fn on_batch_end(&mut self, _now: f64) {}
    /// An attempt of a task (a visit of a class with attempt rules) ended
    /// without completing: failed, timed out or killed (by its deadline),
    /// after `work` units of requirement and `time` in service. Attempts
    /// that complete end as visits do (`on_visit_end`).
    fn on_attempt_end(&mut self, _now: f64, _job: &Job, _end: AttemptEnd, _work: f64, _time: f64) {}
    /// A task (a visit of a class with attempt rules) completed its
    /// service after `attempts` attempts (before `on_visit_end`).
    fn on_task_completed(&mut self, _now: f64, _job: &Job, _attempts: u32) {}
    /// The task at `job.node` was given up for `why` after `attempts`
    /// attempts. With `rollback` its compensation task now joins the
    /// node's queue (and `on_rolled_back` follows); else the job has left
    /// the system.
    fn on_give_up(&mut self, _now: f64, _job: &Job, _why: GiveUp, _attempts: u32, _rollback: bool) {
    }
    /// A given-up task's compensation finished after `time` in service:
    /// the job leaves the system as rolled back.
    fn on_rolled_back(&mut self, _now: f64, _job: &Job, _time: f64) {}
    /// A server of `node` failed; `job` is the one it was running, if any
    /// (interrupted: it waits, restarts or fails as the node says).
    fn on_server_down(&mut self, _now: f64, _node: u32, _server: u32, _job: Option<&Job>) {}
    /// A failed server of `node` was repaired.
    fn on_server_up(&mut self, _now: f64, _node: u32, _server: u32) {}
    /// A workflow instance ended (after [`Observer::on_complete`] with
    /// `job` as its record): `makespan` from its first task's start to its
    /// last task's end, `task_wait` the mean wait of its tasks at their nodes.
    fn on_workflow_done(&mut self, _now: f64, _job: &Job, _makespan: f64, _task_wait: f64) {}
    /// The run ended at `now`.
    fn on_end(&mut self, _now: f64) {}

    /// A coming event will be at `node`, a departure if `departs` (else an
    /// arrival): prefetch what the observer will read of it (see
    /// [`crate::prefetch`]). Only called at scenarios with many nodes; it
    /// must change nothing.
    #[inline(always)]
    fn foresee(&self, _node: u32, _departs: bool) {}
}

/// Two observers of one run, each told of every event, the first first:
/// the run's statistics and a timeline, say.
impl<A: Observer, B: Observer> Observer for (A, B) {
    #[inline(always)]
    fn on_arrival(&mut self, now: f64, job: &Job) {
        self.0.on_arrival(now, job);
        self.1.on_arrival(now, job);
    }
    #[inline(always)]
    fn on_initial(&mut self, now: f64, job: &Job) {
        self.0.on_initial(now, job);
        self.1.on_initial(now, job);
    }
    #[inline(always)]
    fn on_start(&mut self, now: f64, job: &Job, server: u32) {
        self.0.on_start(now, job, server);
        self.1.on_start(now, job, server);
    }
    #[inline(always)]
    fn on_stop(&mut self, now: f64, job: &Job, server: u32) {
        self.0.on_stop(now, job, server);
        self.1.on_stop(now, job, server);
    }
    #[inline(always)]
    fn on_switch(&mut self, now: f64, server: u32, duration: f64) {
        self.0.on_switch(now, server, duration);
        self.1.on_switch(now, server, duration);
    }
    #[inline(always)]
    fn on_preempt(&mut self, now: f64, victim: &Job, by: &Job, server: u32) {
        self.0.on_preempt(now, victim, by, server);
        self.1.on_preempt(now, victim, by, server);
    }
    #[inline(always)]
    fn on_expire(&mut self, now: f64, job: &Job, server: u32) {
        self.0.on_expire(now, job, server);
        self.1.on_expire(now, job, server);
    }
    #[inline(always)]
    fn on_shares(&mut self, now: f64, node: u32, busy: &[f64], before: &[f64]) {
        self.0.on_shares(now, node, busy, before);
        self.1.on_shares(now, node, busy, before);
    }
    #[inline(always)]
    fn on_move(&mut self, now: f64, job: &Job, from: u32) {
        self.0.on_move(now, job, from);
        self.1.on_move(now, job, from);
    }
    #[inline(always)]
    fn on_block(&mut self, now: f64, job: &Job) {
        self.0.on_block(now, job);
        self.1.on_block(now, job);
    }
    #[inline(always)]
    fn on_baulk(&mut self, now: f64, job: &Job) {
        self.0.on_baulk(now, job);
        self.1.on_baulk(now, job);
    }
    #[inline(always)]
    fn on_renege(&mut self, now: f64, job: &Job) {
        self.0.on_renege(now, job);
        self.1.on_renege(now, job);
    }
    #[inline(always)]
    fn on_blocked(&mut self, now: f64, job: &Job) {
        self.0.on_blocked(now, job);
        self.1.on_blocked(now, job);
    }
    #[inline(always)]
    fn on_unblocked(&mut self, now: f64, job: &Job, blocked: f64) {
        self.0.on_unblocked(now, job, blocked);
        self.1.on_unblocked(now, job, blocked);
    }
    #[inline(always)]
    fn on_visit_end(&mut self, now: f64, job: &Job) {
        self.0.on_visit_end(now, job);
        self.1.on_visit_end(now, job);
    }
    #[inline(always)]
    fn on_complete(&mut self, now: f64, job: &Job) {
        self.0.on_complete(now, job);
        self.1.on_complete(now, job);
    }
    #[inline(always)]
    fn on_measure_start(&mut self, now: f64) {
        self.0.on_measure_start(now);
        self.1.on_measure_start(now);
    }
    fn on_batch_end(&mut self, now: f64) {
        self.0.on_batch_end(now);
        self.1.on_batch_end(now);
    }
    #[inline(always)]
    fn on_attempt_end(&mut self, now: f64, job: &Job, end: AttemptEnd, work: f64, time: f64) {
        self.0.on_attempt_end(now, job, end, work, time);
        self.1.on_attempt_end(now, job, end, work, time);
    }
    #[inline(always)]
    fn on_task_completed(&mut self, now: f64, job: &Job, attempts: u32) {
        self.0.on_task_completed(now, job, attempts);
        self.1.on_task_completed(now, job, attempts);
    }
    #[inline(always)]
    fn on_give_up(&mut self, now: f64, job: &Job, why: GiveUp, attempts: u32, rollback: bool) {
        self.0.on_give_up(now, job, why, attempts, rollback);
        self.1.on_give_up(now, job, why, attempts, rollback);
    }
    #[inline(always)]
    fn on_rolled_back(&mut self, now: f64, job: &Job, time: f64) {
        self.0.on_rolled_back(now, job, time);
        self.1.on_rolled_back(now, job, time);
    }
    #[inline(always)]
    fn on_server_down(&mut self, now: f64, node: u32, server: u32, job: Option<&Job>) {
        self.0.on_server_down(now, node, server, job);
        self.1.on_server_down(now, node, server, job);
    }
    #[inline(always)]
    fn on_server_up(&mut self, now: f64, node: u32, server: u32) {
        self.0.on_server_up(now, node, server);
        self.1.on_server_up(now, node, server);
    }

    fn on_workflow_done(&mut self, now: f64, job: &Job, makespan: f64, task_wait: f64) {
        self.0.on_workflow_done(now, job, makespan, task_wait);
        self.1.on_workflow_done(now, job, makespan, task_wait);
    }
    #[inline(always)]
    fn on_end(&mut self, now: f64) {
        self.0.on_end(now);
        self.1.on_end(now);
    }
    #[inline(always)]
    fn foresee(&self, node: u32, departs: bool) {
        self.0.foresee(node, departs);
        self.1.foresee(node, departs);
    }
}

/// An observer that records nothing.
impl Observer for () {}

/// Jobs blocked in a cycle of full nodes: none can ever move again.
#[derive(Debug, Clone, PartialEq)]
pub struct Deadlock {
    pub time: f64,
    /// Indices of the nodes in the cycle, increasing.
    pub nodes: Vec<u32>,
}

/// Where a run stopped and how much it did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// Simulated time at which statistics started.
    pub measure_start: f64,
    /// Simulated time at which the run stopped.
    pub end: f64,
    /// Events handled (arrivals and server events).
    pub events: u64,
    /// Jobs completed, warm-up included.
    pub completed: u64,
    /// The deadlock that stopped the run early, if one did.
    pub deadlock: Option<Deadlock>,
    /// Set when the jobs present passed the limit ([`crate::limits::max_present`])
    /// and the run stopped: the system is unstable (or the limit too low).
    pub unstable: Option<Unstable>,
}

/// Where a run stopped because the jobs present passed their limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Unstable {
    pub time: f64,
    /// The limit that was passed.
    pub present: u64,
}

/// Per (node, class): what a visit there demands.
#[derive(Debug, Clone)]
enum Demand {
    /// The size the arrival was drawn with on a first visit; the class's
    /// `service` on later ones.
    Default(Dist),
    /// The class's own demand at this node (`service_at`).
    Own(Dist),
}

impl Demand {
    fn dist(&self) -> &Dist {
        match self {
            Demand::Default(d) | Demand::Own(d) => d,
        }
    }
}

/// Why a job routed to a node leaves the system instead.
#[derive(Debug, Clone, Copy)]
enum Turned {
    /// The node is full and loses what it cannot take.
    Lost,
    /// The job baulked at what it found there.
    Baulked,
}

/// Hybrid dispatching's index of queue lengths: queue `q` is keyed by
/// minus its length while it holds jobs, so the least key is the longest
/// queue and its first tie the lowest index. Called after every change
/// of a node queue; nothing runs under other rules (`None`).
#[inline(always)]
fn note_queue(index: &mut Option<MinTree>, queues: &[QueuePolicy], q: usize) {
    if let Some(lengths) = index {
        match queues[q].len() {
            0 => lengths.clear(q),
            len => lengths.set(q, -(len as f64)),
        }
    }
}

/// One replication of a system: sources, stations, router and an observer.
pub struct Simulation<W, O> {
    clock: f64,
    workload: W,
    stations: Vec<Station>,
    /// The queues of the nodes that hand whole servers to jobs: one per
    /// node, or a single central one under pull dispatching.
    queues: Vec<QueuePolicy>,
    /// The sharing nodes' disciplines.
    shares: Vec<SharingPolicy>,
    /// What dispatchers may see of each node.
    loads: LoadBoard,
    dispatcher: Option<Dispatcher>,
    pull: bool,
    hybrid: bool,
    /// Whether the nodes are too many for the cache, so that what the next
    /// event will touch is prefetched while this one is handled (see
    /// [`crate::prefetch`]).
    foresee: bool,
    /// Under hybrid dispatching, the node queues' lengths (see [`note_queue`]).
    queue_index: Option<MinTree>,
    /// Where visits go when they end; `None` when every job leaves after one visit.
    routing: Option<Routing>,
    route_key: u64,
    demand_key: u64,
    /// Per (node · classes + class).
    demands: Vec<Demand>,
    /// Whether some class has its own demand at some node.
    own_demands: bool,
    classes: usize,
    /// Node a class is pinned to, or `None` when it is dispatched.
    class_node: Vec<Option<u32>>,
    class_priority: Vec<i32>,
    class_width: Vec<u32>,
    /// Per class: patience of a visit (reneging), if it has one.
    class_patience: Vec<Option<Dist>>,
    /// Per class: baulking probabilities by jobs found (empty: never).
    class_baulk: Vec<Vec<f64>>,
    patience_key: u64,
    baulk_key: u64,
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
    /// Scratch for the previous shares of a sharing node.
    share_before: Vec<f64>,
    deadlock: Option<Deadlock>,
    /// Jobs present at once beyond which the run stops as unstable.
    max_present: u64,
    unstable: Option<Unstable>,
    /// The task lifecycle, when some class has attempt rules.
    life: Option<Box<attempts::Lifecycle>>,
    gave_up: u64,
    rolled_back: u64,
    /// Whether some node's servers fail or work shifts (events that go on
    /// for ever, so a run ends when no job is left and none will come).
    failing: bool,
    resample_key: u64,
    /// Whether some class is closed, and which.
    closed: bool,
    class_closed: Vec<bool>,
    /// Jobs handed back with a new size so far (numbers their draws).
    resamples: u32,
    /// The workflow instances, when some class is a workflow.
    flows: Option<Box<flows::Flows>>,
    /// The jobs present at time 0 and their nodes (taken when the run starts).
    initial: Vec<(Arrival, u32)>,
    /// While set, every job entering a node waits to be chosen with the
    /// others (the initial jobs, placed together).
    holding: bool,
}

impl<W: Workload, O: Observer> Simulation<W, O> {
    /// Builds the nodes of `scenario`, each fed by its own discipline or a
    /// copy of `policy` (or all by one central copy under pull
    /// dispatching). `dispatcher` is required when some class is not
    /// pinned to a node. Routes and demands per node come from the
    /// scenario, with their draws keyed by (seed, `replication`).
    pub fn new(
        scenario: &Scenario,
        workload: W,
        policy: &AnyPolicy,
        dispatcher: Option<Dispatcher>,
        observer: O,
    ) -> Self {
        Self::with_replication(scenario, workload, policy, dispatcher, observer, 0)
    }

    /// [`Simulation::new`] for replication `replication` (it keys the
    /// draws of routes and of later visits' demands).
    pub fn with_replication(
        scenario: &Scenario,
        workload: W,
        policy: &AnyPolicy,
        dispatcher: Option<Dispatcher>,
        observer: O,
        replication: u32,
    ) -> Self {
        let pull = matches!(dispatcher.as_ref().map(|d| &d.rule), Some(Rule::Pull));
        let hybrid = matches!(
            dispatcher.as_ref().map(|d| &d.rule),
            Some(Rule::Hybrid { .. })
        );
        let classes = scenario.classes.len();
        // Large arrays read at random: on huge pages (see `crate::pages`).
        let mut queues = crate::pages::with_capacity(scenario.nodes.len());
        let mut shares = Vec::new();
        let states = scenario.reachable_states();
        let mut stations: Vec<Station> = crate::pages::with_capacity(scenario.nodes.len());
        stations.extend(scenario.nodes.iter().enumerate().map(|(j, n)| {
            let discipline = scenario.discipline_at(j, policy);
            let queue = match discipline {
                AnyPolicy::Sharing(p) => {
                    let mut p = p.clone();
                    p.attach(n.servers, n.speed, classes);
                    shares.push(p);
                    shares.len() - 1
                }
                AnyPolicy::Queue(_) if pull && j > 0 => 0,
                AnyPolicy::Queue(p) => {
                    queues.push(p.clone());
                    queues.len() - 1
                }
            };
            Station {
                speed: n.speed,
                unit_speed: n.speed == 1.0,
                sliced: discipline.queue().is_some_and(|q| q.slices()),
                switch_cost: discipline.switch_cost(),
                switches: discipline.switch_cost() != 0.0,
                preemptive: discipline.preemptive(),
                sharing: discipline.is_sharing(),
                rigid: (0..classes)
                    .any(|c| states[j * classes + c] && scenario.classes[c].servers_per_job > 1),
                share_generation: 0,
                share_busy: vec![0.0; classes],
                servers: Pool::idle(n.servers),
                idle: Idle::all(n.servers),
                queue,
                present: 0,
                capacity: n.capacity.unwrap_or(u32::MAX),
                blocks: n.when_full == WhenFull::Block,
                waiting_room: Default::default(),
                blocked_jobs: Vec::new(),
                blocked_servers: 0,
                failures: n.failures.as_deref().cloned().map(|f| {
                    let key = failures::failure_key(scenario.seed, replication);
                    Box::new(failures::StationFailures::new(f, key, j as u32, n.servers))
                }),
                restarts: Default::default(),
                victims: victims_for(discipline, n.servers),
                interrupts: n.failures.is_some() || n.schedule.is_some(),
                shifts: n.schedule.as_deref().cloned().map(|rule| {
                    Box::new(shifts::StationShifts {
                        rule,
                        on_shift: 0,
                        leaving: 0,
                    })
                }),
            }
        }));
        let counting = matches!(
            dispatcher.as_ref().map(|d| &d.rule),
            Some(Rule::PowerOfD { .. })
        );
        let mut loads = LoadBoard {
            // Only rules that look at node state pay for keeping it, and
            // power-of-d keeps only its counts.
            enabled: matches!(
                dispatcher.as_ref().map(|d| &d.rule),
                Some(
                    Rule::Jsq
                        | Rule::Pull
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
            counts: if counting {
                scenario
                    .nodes
                    .iter()
                    .map(|n| NodeCount {
                        present: 0,
                        servers: n.servers,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            index: LoadIndex::Off,
        };
        if loads.enabled
            && let Some(d) = &dispatcher
        {
            loads.index = LoadIndex::new(&d.rule, &loads.nodes);
        }
        let demands = (0..scenario.nodes.len())
            .flat_map(|j| {
                scenario
                    .classes
                    .iter()
                    .map(move |c| match &c.service_at[j] {
                        Some(d) => Demand::Own(d.clone()),
                        None => Demand::Default(c.service.clone()),
                    })
            })
            .collect();
        let stations_len = stations.len();
        let mut sim = Simulation {
            clock: 0.0,
            workload,
            stations,
            queues,
            shares,
            loads,
            dispatcher,
            pull,
            hybrid,
            foresee: stations_len >= FORESEE_FROM,
            queue_index: None,
            routing: scenario.is_network().then(|| scenario.routing.clone()),
            route_key: visit_key(scenario.seed, replication, Purpose::Route),
            demand_key: visit_key(scenario.seed, replication, Purpose::Visit),
            own_demands: scenario
                .classes
                .iter()
                .any(|c| c.service_at.iter().any(Option::is_some)),
            demands,
            classes,
            class_node: scenario
                .classes
                .iter()
                .map(|c| c.node.map(|n| n as u32))
                .collect(),
            class_priority: scenario.classes.iter().map(|c| c.priority).collect(),
            class_width: scenario.classes.iter().map(|c| c.servers_per_job).collect(),
            class_patience: scenario
                .classes
                .iter()
                .map(|c| c.patience.clone())
                .collect(),
            class_baulk: scenario.classes.iter().map(|c| c.baulk.clone()).collect(),
            patience_key: visit_key(scenario.seed, replication, Purpose::Patience),
            baulk_key: visit_key(scenario.seed, replication, Purpose::Baulk),
            jobs: JobTable::default(),
            events: EventList::default(),
            observer,
            arrivals: 0,
            completed: 0,
            handled: 0,
            arrivals_first: true,
            unsettled: Vec::new(),
            share_before: vec![0.0; classes],
            deadlock: None,
            max_present: crate::limits::max_present(),
            unstable: None,
            life: scenario
                .classes
                .iter()
                .any(|c| c.attempts.is_some())
                .then(|| {
                    Box::new(attempts::Lifecycle {
                        rules: scenario
                            .classes
                            .iter()
                            .map(|c| c.attempts.clone())
                            .collect(),
                        draws: Draws {
                            failure: visit_key(scenario.seed, replication, Purpose::Attempt),
                            backoff: visit_key(scenario.seed, replication, Purpose::Backoff),
                            rollback: visit_key(scenario.seed, replication, Purpose::Rollback),
                            size: visit_key(scenario.seed, replication, Purpose::Retry),
                        },
                        tasks: Vec::new(),
                        lanes: Vec::new(),
                    })
                }),
            gave_up: 0,
            rolled_back: 0,
            failing: scenario
                .nodes
                .iter()
                .any(|n| n.failures.is_some() || n.schedule.is_some()),
            closed: scenario.classes.iter().any(Class::is_closed),
            class_closed: scenario.classes.iter().map(Class::is_closed).collect(),
            resample_key: visit_key(scenario.seed, replication, Purpose::Resample),
            resamples: 0,
            initial: crate::workload::initial_jobs(scenario, replication),
            holding: false,
            flows: flows::Flows::new(scenario, replication),
        };
        // Dynamic workflow rules read the nodes' unfinished work.
        sim.loads.enabled |= sim.flows.as_ref().is_some_and(|f| f.dynamic());
        if sim.hybrid {
            sim.queue_index = Some(MinTree::new(sim.queues.len()));
        }
        sim.schedule_failures();
        sim.schedule_shifts();
        sim.timer_lanes();
        sim
    }

    /// Chooses the order of events at the same instant: arrivals first (the
    /// default: a job arriving as a quantum expires queues ahead of the
    /// preempted job), or server events first.
    pub fn set_arrivals_first(&mut self, arrivals_first: bool) {
        self.arrivals_first = arrivals_first;
    }

    /// Whether what the next event will read is prefetched while this one is
    /// handled; on by default from [`FORESEE_FROM`] nodes. It changes no
    /// figure, only the time a run takes: tests compare runs both ways.
    pub fn set_foresee(&mut self, foresee: bool) {
        self.foresee = foresee;
    }

    /// Sets the context-switch cost of every server, whatever the discipline.
    pub fn set_switch_cost(&mut self, cost: f64) {
        for s in &mut self.stations {
            s.switch_cost = cost;
            s.switches = cost != 0.0;
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
    /// every job has left, or until a deadlock.
    pub fn run(&mut self, warmup: Limit, horizon: Limit) -> RunInfo {
        self.run_in_batches(warmup, horizon, 1)
    }

    /// [`Simulation::run`] with the horizon cut into `batches` consecutive
    /// batches of equal length (in completed jobs or in time, as the
    /// horizon is given), the observer told at each boundary but the
    /// last. Boundaries are phase changes like the end of the warm-up:
    /// checked where the run already checks its horizon, so an event
    /// costs nothing more.
    pub fn run_in_batches(&mut self, warmup: Limit, horizon: Limit, batches: u32) -> RunInfo {
        if self.is_plain() {
            self.run_shaped::<Plain>(warmup, horizon, batches)
        } else {
            self.run_shaped::<Full>(warmup, horizon, batches)
        }
    }

    /// Whether this run can reach none of the engine's rarer parts (see
    /// [`shape`]): each is fixed from the start for the whole run.
    fn is_plain(&self) -> bool {
        self.flows.is_none()
            && self.life.is_none()
            && !self.pull
            && !self.hybrid
            && !self.closed
            && !self.failing
            && self.class_baulk.iter().all(|p| p.is_empty())
            && self.class_patience.iter().all(Option::is_none)
            && self
                .stations
                .iter()
                .all(|s| !s.blocks && !s.interrupts && !s.rigid && !s.switches)
    }

    /// [`Simulation::run_in_batches`] for a run of shape `S`.
    #[inline(never)]
    fn run_shaped<S: Shape>(&mut self, warmup: Limit, horizon: Limit, batches: u32) -> RunInfo {
        let batches = batches.max(1);
        let mut measuring = false;
        let mut measure_start = 0.0;
        // Next time-based phase change (end of warm-up, of a batch or of
        // the horizon).
        let mut checkpoint = f64::INFINITY;
        let mut warm_jobs = u64::MAX;
        let mut stop_jobs = u64::MAX;
        // The batch being measured (from 1), and where the horizon started.
        let mut batch = 1u32;
        let (mut start_jobs, mut start_time) = (0u64, 0.0);
        // The end of batch `k` of a horizon that started at (`jobs`, `time`).
        let end_of = |k: u32, jobs: u64, time: f64| match horizon {
            Limit::Jobs(n) => (
                jobs.saturating_add((u128::from(n) * u128::from(k) / u128::from(batches)) as u64),
                f64::INFINITY,
            ),
            Limit::Time(t) if k == batches => (u64::MAX, time + t),
            Limit::Time(t) => (u64::MAX, time + t * f64::from(k) / f64::from(batches)),
        };
        let start_measuring =
            |sim: &mut Self, checkpoint: &mut f64, stop_jobs: &mut u64, now: f64| {
                sim.observer.on_measure_start(now);
                (*stop_jobs, *checkpoint) = end_of(1, sim.completed, now);
                (sim.completed, now)
            };
        match warmup {
            Limit::Jobs(0) => {
                measuring = true;
                (start_jobs, start_time) =
                    start_measuring(self, &mut checkpoint, &mut stop_jobs, 0.0);
            }
            Limit::Time(t) if t <= 0.0 => {
                measuring = true;
                (start_jobs, start_time) =
                    start_measuring(self, &mut checkpoint, &mut stop_jobs, 0.0);
            }
            Limit::Jobs(n) => warm_jobs = n,
            Limit::Time(t) => checkpoint = t,
        }
        if !self.initial.is_empty() {
            self.place_initial();
        }
        loop {
            let t_arrival = self.workload.peek_time();
            let t_departure = self.events.peek_time();
            // Plain comparisons, not f64::min: no time is NaN, and the one
            // test serves both the clock and the choice of event below.
            let arrives =
                t_arrival < t_departure || (t_arrival == t_departure && self.arrivals_first);
            let t = if arrives { t_arrival } else { t_departure };
            if t > checkpoint {
                self.clock = checkpoint;
                if measuring {
                    if batch == batches {
                        break;
                    }
                    self.observer.on_batch_end(checkpoint);
                    batch += 1;
                    checkpoint = end_of(batch, start_jobs, start_time).1;
                    continue;
                }
                measuring = true;
                measure_start = checkpoint;
                checkpoint = f64::INFINITY;
                (start_jobs, start_time) =
                    start_measuring(self, &mut checkpoint, &mut stop_jobs, measure_start);
                continue;
            }
            if t == f64::INFINITY {
                break;
            }
            // Failures go on for ever; once every job has left and none
            // will come, the run is over.
            if S::FULL && self.failing && t_arrival == f64::INFINITY && self.drained() {
                break;
            }
            self.clock = t;
            self.handled += 1;
            let before = self.completed;
            if arrives {
                self.arrive::<S>();
                if self.unstable.is_some() {
                    break;
                }
            } else {
                self.server_event::<S>();
            }
            if S::FULL && self.deadlock.is_some() {
                break;
            }
            // A departure completes at most one job, but a job that leaves
            // may let blocked ones out too: look at every count passed.
            if self.completed != before {
                if !measuring && before < warm_jobs && self.completed >= warm_jobs {
                    measuring = true;
                    measure_start = t;
                    (start_jobs, start_time) =
                        start_measuring(self, &mut checkpoint, &mut stop_jobs, t);
                } else if self.completed >= stop_jobs {
                    if batch == batches {
                        break;
                    }
                    // Jobs let out together may pass several boundaries.
                    while batch < batches && self.completed >= stop_jobs {
                        self.observer.on_batch_end(t);
                        batch += 1;
                        stop_jobs = end_of(batch, start_jobs, start_time).0;
                    }
                    if self.completed >= stop_jobs {
                        break;
                    }
                }
            }
        }
        self.observer.on_end(self.clock);
        RunInfo {
            measure_start,
            end: self.clock,
            events: self.handled,
            completed: self.completed,
            deadlock: self.deadlock.clone(),
            unstable: self.unstable.clone(),
        }
    }

    /// A job that entered as `origin` has left the system: a closed
    /// class's job thinks and comes back.
    #[inline(always)]
    fn left_system<S: Shape>(&mut self, origin: u32) {
        if S::FULL && self.closed && self.class_closed[origin as usize] {
            self.workload.think(origin, self.clock);
        }
    }

    /// The job of arrival `a`, in the table; `None` (and the run marked
    /// unstable) when that makes too many present.
    #[inline(always)]
    fn new_job(&mut self, a: &Arrival) -> Option<JobId> {
        let class = a.class as usize;
        // The job is written in its slot, never assembled on the stack and
        // copied in: that copy of 128 bytes just after its fields were
        // written cost a store-forwarding stall on every arrival.
        let id = self.jobs.insert(Job::new(
            self.arrivals,
            a.class,
            0,
            self.class_priority[class],
            a.time,
            a.size,
        ));
        // Slots are reused, so an id this high means that many jobs present.
        if u64::from(id) >= self.max_present {
            self.unstable = Some(Unstable {
                time: self.clock,
                present: self.max_present,
            });
            return None;
        }
        self.arrivals += 1;
        let job = self.jobs.get_mut(id);
        job.deadline = a.deadline;
        job.noise = a.noise;
        job.width = self.class_width[class];
        Some(id)
    }

    /// Job `id` of `class` is placed at `node` (not the central queue):
    /// where the class has its own demand there, it replaces the size.
    #[inline(always)]
    fn place(&mut self, id: JobId, node: u32, class: usize) {
        let job = self.jobs.get_mut(id);
        job.node = node;
        if self.own_demands
            && let Demand::Own(d) = &self.demands[node as usize * self.classes + class]
        {
            job.size = draw(d, self.demand_key, job.seq, 0);
            job.remaining = job.size;
        }
    }

    /// The jobs present at time 0 join their nodes together, as a batch of
    /// simultaneous arrivals does: each node then chooses among them all.
    #[cold]
    fn place_initial(&mut self) {
        let initial = std::mem::take(&mut self.initial);
        self.holding = true;
        for (a, node) in &initial {
            let Some(id) = self.new_job(a) else {
                break;
            };
            self.place(id, *node, a.class as usize);
            self.stations[*node as usize].present += 1;
            self.observer.on_initial(self.clock, self.jobs.get(id));
            self.begin_visit::<Full>(*node, id, true);
        }
        self.holding = false;
        if !self.unsettled.is_empty() {
            self.settle();
        }
    }

    #[inline]
    fn arrive<S: Shape>(&mut self) {
        let a = self.workload.next_arrival();
        if S::FULL && self.flows.as_ref().is_some_and(|f| f.is_flow(a.class)) {
            return self.instance_arrives(&a);
        }
        let now = self.clock;
        let class = a.class as usize;
        let Some(id) = self.new_job(&a) else {
            return;
        };
        let node = match self.class_node[class] {
            Some(n) => n,
            None if self.pull => self.central(),
            None => self
                .dispatcher
                .as_mut()
                .expect("scenario validation requires a dispatcher for unpinned classes")
                .choose_indexed(
                    self.jobs.get(id),
                    &self.loads.nodes,
                    &self.loads.counts,
                    &mut self.loads.index,
                    now,
                ),
        };
        if self.foresee
            && let Some(d) = self.dispatcher.as_mut()
        {
            let (ahead, count) = d.foresee(self.loads.nodes.len());
            for &n in &ahead[..count] {
                self.foresee_node(n, false);
            }
        }
        if S::FULL && node == self.central() {
            self.jobs.get_mut(id).node = node;
        } else {
            self.place(id, node, class);
            let station = &mut self.stations[node as usize];
            if station.full() {
                let job = self.jobs.take(id);
                self.observer.on_block(now, job);
                let origin = job.origin;
                self.left_system::<S>(origin);
                return;
            }
            if self.baulks::<S>(node, a.class, 0, self.jobs.get(id).seq, 0) {
                let job = self.jobs.take(id);
                self.observer.on_baulk(now, job);
                let origin = job.origin;
                self.left_system::<S>(origin);
                return;
            }
            self.stations[node as usize].present += 1;
        }
        self.enter::<S>(node, id, true);
    }

    /// A visit begins: job `id` (already counted present) arrives at `node`.
    #[inline(always)]
    fn enter<S: Shape>(&mut self, node: u32, id: JobId, external: bool) {
        self.observer.on_arrival(self.clock, self.jobs.get(id));
        self.begin_visit::<S>(node, id, external);
    }

    /// Job `id`, present at `node`, begins its visit there (after the
    /// observer has been told).
    #[inline(always)]
    fn begin_visit<S: Shape>(&mut self, node: u32, id: JobId, external: bool) {
        let now = self.clock;
        if S::FULL && node == self.central() {
            return self.arrive_central(id);
        }
        if S::FULL && self.life.is_some() {
            self.task_begins(id);
        }
        self.loads.arrive(node, now, self.jobs.get(id).remaining);
        let station = &mut self.stations[node as usize];
        // Jobs arriving at the same instant are all queued before any of
        // them is chosen, so a policy compares them all (SJF among jobs
        // arriving together picks the shortest, not the first listed).
        let batch = external
            && !station.sharing
            && (self.holding || self.workload.peek_time() == now || !self.unsettled.is_empty());
        if batch {
            self.queues[station.queue].enqueue(id, self.jobs.get_mut(id), now);
            note_queue(&mut self.queue_index, &self.queues, station.queue);
            if !self.unsettled.contains(&node) {
                self.unsettled.push(node);
            }
            if !self.holding && self.workload.peek_time() != now {
                self.settle();
            }
        } else {
            self.join::<S>(node, id);
        }
        let job = self.jobs.get(id);
        if S::FULL
            && let Some(patience) = &self.class_patience[job.class as usize]
            && job.first_start.is_nan()
        {
            let wait = draw(patience, self.patience_key, job.seq, job.visits);
            self.events
                .push(now + wait, Kind::Patience, job.visits, id, job.seq as u32);
        }
    }

    /// Job `id`, present at `node`, joins its service there: a share of
    /// the servers, an idle server, the server of a less urgent job, or
    /// the queue (a visit beginning, or a task's attempt rejoining).
    #[inline(always)]
    fn join<S: Shape>(&mut self, node: u32, id: JobId) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        if station.sharing {
            if S::FULL && self.life.is_some() {
                let speed = station.speed;
                self.attempt_begins(id, speed);
            }
            let station = &self.stations[node as usize];
            let job = self.jobs.get_mut(id);
            job.first_start = now;
            self.shares[station.queue].arrive(id, job, now);
            self.reschedule_shared(node);
        } else if S::FULL && station.rigid {
            self.queues[station.queue].enqueue(id, self.jobs.get_mut(id), now);
            note_queue(&mut self.queue_index, &self.queues, station.queue);
            self.fill(node);
        } else if let Some(server) = station.idle.pop() {
            self.start::<S>(node, server, id);
        } else if station.preemptive && !self.pull {
            self.arrive_preemptive(node, id);
        } else {
            self.queues[station.queue].enqueue(id, self.jobs.get_mut(id), now);
            note_queue(&mut self.queue_index, &self.queues, station.queue);
        }
    }

    /// After a batch of simultaneous arrivals: idle servers take the most
    /// urgent queued jobs, then (for preemptive disciplines) queued jobs
    /// take the servers of less urgent jobs in service.
    fn settle(&mut self) {
        let now = self.clock;
        let nodes = std::mem::take(&mut self.unsettled);
        for &node in &nodes {
            if self.stations[node as usize].rigid {
                self.fill(node);
                continue;
            }
            let queue = self.stations[node as usize].queue;
            while let Some(server) = self.stations[node as usize].idle.pop() {
                let next = self.queues[queue].dequeue(now);
                note_queue(&mut self.queue_index, &self.queues, queue);
                match next {
                    Some(next) => self.start::<Full>(node, server, next),
                    None => {
                        self.stations[node as usize].idle.push(server);
                        break;
                    }
                }
            }
            if self.stations[node as usize].preemptive && !self.pull {
                while let Some(best) = self.queues[queue].peek(now) {
                    let Some(victim) = self.least_urgent(node) else {
                        break;
                    };
                    let victim_job = self.stations[node as usize].servers[victim].job;
                    if !self.queues[queue].outranks(
                        self.jobs.get(best),
                        self.jobs.get(victim_job),
                        now,
                    ) {
                        break;
                    }
                    let best = self.queues[queue].dequeue(now).expect("peeked");
                    note_queue(&mut self.queue_index, &self.queues, queue);
                    self.preempt_or_queue(node, victim, best);
                }
            }
        }
        self.unsettled = nodes;
        self.unsettled.clear();
    }

    /// At a node with rigid multi-server visits: while the head of the
    /// queue fits on the idle servers, it starts on as many as it needs.
    /// Nobody passes a head that does not fit (no backfilling).
    fn fill(&mut self, node: u32) {
        let now = self.clock;
        let queue = self.stations[node as usize].queue;
        while let Some(head) = self.queues[queue].peek(now) {
            let width = self.jobs.get(head).width;
            let station = &mut self.stations[node as usize];
            if (station.idle.len() as u32) < width {
                break;
            }
            let id = self.queues[queue].dequeue(now).expect("peeked");
            note_queue(&mut self.queue_index, &self.queues, queue);
            let lead = station.idle.pop().expect("checked idle");
            for _ in 1..width {
                let s = station.idle.pop().expect("checked idle") as usize;
                let slot = &mut station.servers[s];
                slot.job = id;
                slot.last_job = id;
                slot.follower = true;
            }
            self.loads.take(node, width - 1);
            self.start::<Full>(node, lead, id);
        }
    }

    /// Pull dispatching: the fastest node with an idle server takes the
    /// job (one of equals at random, or identical nodes' utilisations
    /// would fall with their index); else it waits centrally, or preempts
    /// across all nodes if the discipline is preemptive.
    fn arrive_central(&mut self, id: JobId) {
        let now = self.clock;
        let stations = &self.stations;
        let dispatcher = self
            .dispatcher
            .as_mut()
            .expect("pull dispatching has a dispatcher");
        // The index of idle nodes by speed (O(log n)); the scan it
        // replaces, and is tested against, otherwise.
        let best = match &self.loads.index {
            LoadIndex::Pull(idle) => dispatcher.least_in(idle),
            _ => dispatcher.least(
                stations
                    .iter()
                    .enumerate()
                    .filter(|(_, st)| !st.idle.is_empty())
                    .map(|(j, st)| (j, -st.speed)),
            ),
        };
        if let Some(j) = best {
            let server = self.stations[j].idle.pop().expect("checked idle");
            self.assign(id, j as u32);
            self.start::<Full>(j as u32, server, id);
        } else if self.stations[0].preemptive {
            let candidates: Vec<(usize, usize)> = (0..self.stations.len())
                .filter_map(|j| self.least_urgent(j as u32).map(|s| (j, s)))
                .collect();
            let Some(&first) = candidates.first() else {
                return self.queues[0].enqueue(id, self.jobs.get_mut(id), now);
            };
            let job_at = |(j, s): (usize, usize)| self.jobs.get(self.stations[j].servers[s].job);
            let mut victim = first;
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

    /// The server of node `node` whose running job is least urgent, after
    /// bringing the jobs in service up to date so the policy compares
    /// remaining work as of now; `None` when no server runs a job.
    fn least_urgent(&mut self, node: u32) -> Option<usize> {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        if let Some(v) = &mut station.victims {
            let servers = &station.servers;
            let victim = v.least_urgent(|s| servers[s].running())?;
            // Only the victim's work need be up to date: the newcomer is
            // compared with it alone.
            let slot = &mut station.servers[victim];
            let elapsed = now - slot.progress_from;
            if elapsed > 0.0 {
                let job = self.jobs.get_mut(slot.job);
                job.remaining = (job.remaining - elapsed * station.speed).max(0.0);
                job.served += elapsed;
                slot.progress_from = now;
            }
            return Some(victim);
        }
        for slot in station.servers.iter_mut().filter(|s| s.running()) {
            let elapsed = now - slot.progress_from;
            if elapsed > 0.0 {
                let job = self.jobs.get_mut(slot.job);
                job.remaining = (job.remaining - elapsed * station.speed).max(0.0);
                job.served += elapsed;
                slot.progress_from = now;
            }
        }
        let policy = &self.queues[station.queue];
        let mut victim: Option<usize> = None;
        for (s, slot) in station.servers.iter().enumerate() {
            if !slot.running() {
                continue;
            }
            match victim {
                None => victim = Some(s),
                Some(v) => {
                    let v = self.jobs.get(station.servers[v].job);
                    if policy.outranks(v, self.jobs.get(slot.job), now) {
                        victim = Some(s);
                    }
                }
            }
        }
        victim
    }

    /// All servers of a node are busy under a preemptive discipline: the
    /// newcomer takes the server of the least urgent job in service if it
    /// outranks it.
    fn arrive_preemptive(&mut self, node: u32, id: JobId) {
        match self.least_urgent(node) {
            Some(victim) => self.preempt_or_queue(node, victim, id),
            None => {
                let queue = self.stations[node as usize].queue;
                self.queues[queue].enqueue(id, self.jobs.get_mut(id), self.clock);
                note_queue(&mut self.queue_index, &self.queues, queue);
            }
        }
    }

    fn preempt_or_queue(&mut self, node: u32, victim: usize, id: JobId) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        let queue = station.queue;
        let victim_id = station.servers[victim].job;
        if !self.queues[queue].outranks(self.jobs.get(id), self.jobs.get(victim_id), now) {
            self.queues[queue].enqueue(id, self.jobs.get_mut(id), now);
            note_queue(&mut self.queue_index, &self.queues, queue);
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
        if station.failures.is_some() {
            self.failure_clock_stops(node, victim as u32);
        }
        if self.pull {
            // The preempted job goes back to the central queue.
            self.assign_central(victim_id);
        }
        self.queues[queue].enqueue(victim_id, self.jobs.get_mut(victim_id), now);
        note_queue(&mut self.queue_index, &self.queues, queue);
        if self.pull {
            self.assign(id, node);
        }
        self.start::<Full>(node, victim as u32, id);
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

    /// Handles the earliest calendar event.
    #[inline(always)]
    fn server_event<S: Shape>(&mut self) {
        let jobs = &self.jobs;
        let event = self.events.pop_skipping(|e| attempts::timer_spent(jobs, e));
        if self.foresee {
            self.foresee_departures();
        }
        match event.kind {
            Kind::ServiceEnd => self.service_end::<S>(event),
            Kind::ShareTick => self.share_tick(event.node, event.generation),
            Kind::Patience => self.renege(event),
            Kind::QueueTimeout => self.queue_timeout(event),
            Kind::Deadline => self.deadline(event),
            Kind::Retry => self.retry(event),
            Kind::AttemptTimeout => self.attempt_timeout(event),
            Kind::ServerDown => self.server_down(event),
            Kind::ServerUp => self.server_up(event),
            Kind::ShiftChange => self.shift_change(event),
            Kind::TaskReady => self.task_ready(event),
        }
        if self.foresee {
            self.foresee_next_job();
        }
    }

    /// What the next two departures will read, asked for while this event
    /// is handled. The calendar names their nodes: the one after next gets
    /// its node's lines; the next one, whose node's lines were asked for an
    /// event or more ago, its job and the front of its node's queue, which
    /// are found through those lines. A job scheduled meanwhile may come
    /// up first; the guess then costs only bandwidth.
    #[inline(always)]
    fn foresee_departures(&self) {
        if let Some(e) = self.events.peek_second()
            && e.kind == Kind::ServiceEnd
        {
            self.foresee_node(e.node, true);
        }
        if let Some(e) = self.events.peek()
            && e.kind == Kind::ServiceEnd
            && let Some(station) = self.stations.get(e.node as usize)
        {
            if let Some(slot) = station.servers.get(e.server as usize) {
                self.jobs.foresee(slot.job);
            }
            if !station.sharing
                && let Some(queue) = self.queues.get(station.queue)
            {
                queue.foresee();
            }
        }
    }

    /// The record of the job the next departure's queue will hand its
    /// server: read from the queue's front, whose line
    /// [`Simulation::foresee_departures`] asked for as this event began,
    /// so by its end the read seldom waits.
    #[inline(always)]
    fn foresee_next_job(&self) {
        if let Some(e) = self.events.peek()
            && e.kind == Kind::ServiceEnd
            && let Some(station) = self.stations.get(e.node as usize)
            && !station.sharing
            && let Some(next) = self.queues.get(station.queue).and_then(|q| q.next_guess())
        {
            self.jobs.foresee(next);
        }
    }

    /// The lines an event at `node` reads first: the station's hot lines,
    /// its queue's header (the node's own, where each node has one), its
    /// load and what the observer keeps of it. An arrival reads less of
    /// the observer's than a departure (`departs`), and an arrival's
    /// candidates are several nodes at once: asking for fewer lines keeps
    /// the core's few outstanding misses for the ones that matter.
    #[inline(always)]
    fn foresee_node(&self, node: u32, departs: bool) {
        let n = node as usize;
        prefetch(&self.stations, n, STATION_HOT_BYTES);
        prefetch(&self.queues, n, 1);
        if self.loads.enabled {
            prefetch_item(&self.loads.nodes, n);
        }
        prefetch_item(&self.loads.counts, n);
        self.observer.foresee(node, departs);
    }

    /// A server's event: its job completes the visit, or its quantum ends.
    #[inline(always)]
    fn service_end<S: Shape>(&mut self, event: Event) {
        let Event {
            node,
            server,
            generation,
            ..
        } = event;
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        let slot = &mut station.servers[server as usize];
        if slot.generation != generation {
            return;
        }
        let id = slot.job;
        let completed = slot.completes;
        let queue = station.queue;
        self.loads.stop(node, now, station.speed);
        // Flags on the station's hot lines first: `failures` and `victims`
        // sit on a line of their own, a miss per event at 100,000 nodes.
        let failing = S::FULL && station.interrupts && station.failures.is_some();
        if completed {
            let progress_from = slot.progress_from;
            let job = self.jobs.get_mut(id);
            job.served += now - progress_from;
            // Where the attempt ends: 0 unless it fails or times out.
            job.remaining = job.cut;
            self.observer.on_stop(now, self.jobs.get(id), server);
            if failing {
                self.failure_clock_stops(node, server);
            }
            if S::FULL && self.life.is_some() && self.attempt_ends(node, server, id) {
                return;
            }
            self.visit_done::<S>(node, server, id);
        } else {
            let elapsed = now - slot.progress_from;
            let job = self.jobs.get_mut(id);
            job.remaining = (job.remaining - elapsed * station.speed).max(0.0);
            job.served += elapsed;
            let policy = &mut self.queues[queue];
            self.observer.on_expire(now, job, server);
            policy.expire(job, now);
            self.observer.on_stop(now, job, server);
            if failing {
                self.failure_clock_stops(node, server);
            }
            if S::FULL && self.pull {
                self.assign_central(id);
            }
            self.queues[queue].enqueue(id, self.jobs.get_mut(id), now);
            note_queue(&mut self.queue_index, &self.queues, queue);
            self.serve_next::<S>(node, server);
        }
    }

    /// The draw that picks the next hop of a job's current visit.
    #[inline(always)]
    fn hop<S: Shape>(&self, node: u32, job: &Job) -> Hop {
        match &self.routing {
            None => Hop::Exit,
            // A workflow task's next steps are its graph's.
            Some(_) if S::FULL && self.flows.as_ref().is_some_and(|f| f.is_flow(job.class)) => {
                Hop::Exit
            }
            Some(r) => r.next(
                node,
                job.class,
                visit_uniform(self.route_key, job.seq, job.visits),
            ),
        }
    }

    /// Job `id` finished its service at `node` (on `server`, or `SHARED`
    /// at a sharing node): it leaves, moves on, is lost, or blocks.
    #[inline(always)]
    fn visit_done<S: Shape>(&mut self, node: u32, server: u32, id: JobId) {
        let hop = self.hop::<S>(node, self.jobs.get(id));
        let Hop::Node { node: to, class } = hop else {
            return self.leave::<S>(node, server, id, None);
        };
        let target = &self.stations[to as usize];
        // A job fed back to its own node makes room for itself as it leaves.
        let mine = u32::from(to == node);
        let full = target.present - mine >= target.capacity;
        if !full {
            let job = self.jobs.get(id);
            if self.baulks::<S>(to, class, mine, job.seq, job.visits + 1) {
                return self.turn_away(node, server, id, to, class, Turned::Baulked);
            }
            return self.leave::<S>(node, server, id, Some((to, class)));
        }
        if !target.blocks {
            return self.turn_away(node, server, id, to, class, Turned::Lost);
        }
        self.block(node, server, id, to, class);
    }

    /// The visit of job `id` at `node` ends and the job leaves the node:
    /// for `next` (node, class), or for `exit`. Its servers take the next
    /// jobs, and a job blocked waiting for room here may come in.
    #[inline(always)]
    fn leave<S: Shape>(&mut self, node: u32, server: u32, id: JobId, next: Option<(u32, u32)>) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        station.present -= 1;
        self.loads.complete(node);
        match next {
            None if S::FULL && self.flows.is_some() && self.is_task(id) => {
                self.task_leaves(node, server, id);
            }
            None => {
                let job = self.jobs.take(id);
                self.completed += 1;
                self.observer.on_visit_end(now, job);
                self.observer.on_complete(now, job);
                let width = job.width;
                let origin = job.origin;
                self.left_system::<S>(origin);
                self.release::<S>(node, server, id, width);
            }
            Some((to, class)) => self.move_on::<S>(node, server, id, to, class),
        }
        if S::FULL && self.stations[node as usize].has_waiting() {
            self.admit_blocked(node);
        }
    }

    /// The rest of [`Simulation::leave`] for a job going on to `to` as `class`.
    fn move_on<S: Shape>(&mut self, node: u32, server: u32, id: JobId, to: u32, class: u32) {
        let now = self.clock;
        self.observer.on_visit_end(now, self.jobs.get(id));
        self.release::<S>(node, server, id, self.jobs.get(id).width);
        self.next_visit(id, node, to, class);
        self.stations[to as usize].present += 1;
        self.enter::<S>(to, id, false);
    }

    /// Job `id` finished at `node` and is turned away at `to`: lost (a
    /// full loss node) or baulking; it leaves the system.
    fn turn_away(&mut self, node: u32, server: u32, id: JobId, to: u32, class: u32, why: Turned) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        station.present -= 1;
        self.loads.complete(node);
        self.observer.on_visit_end(now, self.jobs.get(id));
        self.release::<Full>(node, server, id, self.jobs.get(id).width);
        self.next_visit(id, node, to, class);
        let job = self.jobs.take(id);
        match why {
            Turned::Lost => self.observer.on_block(now, job),
            Turned::Baulked => self.observer.on_baulk(now, job),
        }
        let origin = job.origin;
        self.left_system::<Full>(origin);
        if self.stations[node as usize].has_waiting() {
            self.admit_blocked(node);
        }
    }

    /// Whether a job of `class` arriving at `node` for its visit number
    /// `visit` baulks at the jobs it finds there (`present` less `mine`,
    /// itself when it is fed back). The draw is a pure function of the job
    /// and visit, so every policy sees the same decisions for the same
    /// numbers found.
    #[inline]
    fn baulks<S: Shape>(&self, node: u32, class: u32, mine: u32, seq: u64, visit: u32) -> bool {
        let p = &self.class_baulk[class as usize];
        if !S::FULL || p.is_empty() {
            return false;
        }
        let found = (self.stations[node as usize].present - mine) as usize;
        let q = p[found.min(p.len() - 1)];
        q > 0.0 && visit_uniform(self.baulk_key, seq, visit) < q
    }

    /// A job's patience ran out (`Kind::Patience`): if it still waits for
    /// its service at this visit to start, it leaves the queue and the
    /// system. The event carries the job's slot, the visit's number and
    /// the low 32 bits of the job's arrival order: a slot reused by another
    /// job, or a job that has moved on or started, no longer matches, so
    /// a patience event needs no cancelling.
    #[cold]
    #[inline(never)]
    fn renege(&mut self, event: Event) {
        let now = self.clock;
        let id = event.server;
        let job = self.jobs.get(id);
        if job.seq as u32 != event.generation
            || job.visits != event.node
            || !job.first_start.is_nan()
        {
            return;
        }
        let node = job.node;
        let station = &mut self.stations[node as usize];
        if station.sharing || !self.queues[station.queue].remove(id, job, now) {
            return;
        }
        note_queue(&mut self.queue_index, &self.queues, station.queue);
        station.present -= 1;
        self.loads.leave(node, now, job.remaining);
        let job = self.jobs.take(id);
        self.observer.on_renege(now, job);
        let origin = job.origin;
        self.left_system::<Full>(origin);
        if self.stations[node as usize].has_waiting() {
            self.admit_blocked(node);
        }
    }

    /// Job `id` finished at `node` but `to` is full and blocks: the job
    /// keeps its server(s) until room frees there.
    fn block(&mut self, node: u32, server: u32, id: JobId, to: u32, class: u32) {
        let now = self.clock;
        let job = self.jobs.get_mut(id);
        let width = job.width;
        let station = &mut self.stations[node as usize];
        if server != SHARED {
            let lead = server as usize;
            for (s, slot) in station.servers.iter_mut().enumerate() {
                if s == lead || (slot.follower && slot.job == id) {
                    slot.blocked = true;
                }
            }
            station.blocked_servers += width;
        }
        station.blocked_jobs.push((id, to));
        self.stations[to as usize].waiting_room.push_back(Blocked {
            job: id,
            server,
            since: now,
            class,
        });
        self.observer.on_blocked(now, self.jobs.get(id));
        if self.stations[node as usize].stuck() {
            self.detect_deadlock(node);
        }
    }

    /// While `node` has room, the first job blocked waiting for it comes
    /// in, which frees its server(s) at its own node, and so on upstream.
    fn admit_blocked(&mut self, node: u32) {
        let now = self.clock;
        loop {
            let station = &mut self.stations[node as usize];
            if station.full() {
                return;
            }
            let Some(Blocked {
                job: id,
                server,
                since,
                class,
            }) = station.waiting_room.pop_front()
            else {
                return;
            };
            let job = self.jobs.get_mut(id);
            let from = job.node;
            let to = node;
            job.blocked_total += now - since;
            let width = job.width;
            self.observer
                .on_unblocked(now, self.jobs.get(id), now - since);
            let source = &mut self.stations[from as usize];
            if let Some(k) = source.blocked_jobs.iter().position(|&(b, _)| b == id) {
                source.blocked_jobs.swap_remove(k);
            }
            if server != SHARED {
                source.blocked_servers -= width;
                for slot in source.servers.iter_mut().filter(|s| s.job == id) {
                    slot.blocked = false;
                }
            }
            self.leave::<Full>(from, server, id, Some((to, class)));
        }
    }

    /// Frees the `width` server(s) job `id` held at `node` for the next jobs.
    #[inline(always)]
    fn release<S: Shape>(&mut self, node: u32, server: u32, id: JobId, width: u32) {
        if server == SHARED {
            return;
        }
        if !S::FULL || !self.stations[node as usize].rigid {
            return self.serve_next::<S>(node, server);
        }
        self.release_rigid(node, server, id, width);
    }

    /// [`Simulation::release`] at a node with rigid multi-server visits.
    fn release_rigid(&mut self, node: u32, server: u32, id: JobId, width: u32) {
        let station = &mut self.stations[node as usize];
        let lead = server as usize;
        for (s, slot) in station.servers.iter_mut().enumerate() {
            if s == lead || (slot.follower && slot.job == id) {
                slot.job = IDLE;
                slot.follower = false;
                slot.blocked = false;
                station.idle.push(s as u32);
            }
        }
        self.loads.idle(node, width);
        self.fill(node);
    }

    /// Turns job `id`'s record into its next visit: at `to`, as `class`.
    fn next_visit(&mut self, id: JobId, from: u32, to: u32, class: u32) {
        let now = self.clock;
        let speed = self.stations[from as usize].speed;
        let (priority, width) = (
            self.class_priority[class as usize],
            self.class_width[class as usize],
        );
        let demand = &self.demands[to as usize * self.classes + class as usize];
        let job = self.jobs.get_mut(id);
        job.served_before += job.served;
        job.demand_time += job.size * (1.0 / speed);
        job.visits += 1;
        job.node = to;
        job.class = class;
        job.priority = priority;
        job.width = width;
        job.arrival = now;
        job.size = draw(demand.dist(), self.demand_key, job.seq, job.visits);
        job.remaining = job.size;
        job.served = 0.0;
        job.first_start = f64::NAN;
        job.level = 0;
        job.tag = 0;
    }

    /// Job `id` has just become blocked at `node`, whose every server (or
    /// job) is now blocked: looks for a set of such nodes whose blocked
    /// jobs all wait for one another. Only a set containing `node` can
    /// have formed now, so the search starts there.
    fn detect_deadlock(&mut self, node: u32) {
        let targets =
            |st: &Station| -> Vec<u32> { st.blocked_jobs.iter().map(|&(_, t)| t).collect() };
        // Stuck nodes reachable from `node` along blocked jobs' targets.
        let mut set = vec![node];
        let mut i = 0;
        while i < set.len() {
            for t in targets(&self.stations[set[i] as usize]) {
                if !set.contains(&t) && self.stations[t as usize].stuck() {
                    set.push(t);
                }
            }
            i += 1;
        }
        // Drop nodes that wait on someone outside the set, until none does.
        loop {
            let before = set.len();
            let keep: Vec<u32> = set
                .iter()
                .copied()
                .filter(|&n| {
                    targets(&self.stations[n as usize])
                        .iter()
                        .all(|t| set.contains(t))
                })
                .collect();
            set = keep;
            if set.len() == before {
                break;
            }
        }
        if set.contains(&node) {
            set.sort_unstable();
            self.deadlock = Some(Deadlock {
                time: self.clock,
                nodes: set,
            });
        }
    }

    /// A server has become free: it takes the next job of its queue, or
    /// under hybrid dispatching of the longest other queue, or goes idle.
    #[inline(always)]
    fn serve_next<S: Shape>(&mut self, node: u32, server: u32) {
        let now = self.clock;
        if S::FULL
            && self.stations[node as usize].interrupts
            && (self.leave_shift(node, server) || self.free_at_failing_node(node, server))
        {
            return;
        }
        let queue = self.stations[node as usize].queue;
        let own = self.queues[queue].dequeue(now);
        note_queue(&mut self.queue_index, &self.queues, queue);
        let next = match own {
            Some(next) => Some(next),
            None if S::FULL && self.hybrid => self.steal(node),
            None => None,
        };
        match next {
            Some(next) => {
                if S::FULL && (self.pull || self.jobs.get(next).node != node) {
                    self.assign(next, node);
                }
                self.start::<S>(node, server, next);
            }
            None => {
                let station = &mut self.stations[node as usize];
                let slot = &mut station.servers[server as usize];
                slot.job = IDLE;
                slot.blocked = false;
                station.idle.push(server);
                self.loads.idle(node, 1);
            }
        }
    }

    /// Hybrid dispatching: the job the longest other queue would serve next
    /// (lowest node index among equally long queues). The thief's own
    /// queue is empty, so the longest non-empty queue is another's; it is
    /// read off the index of queue lengths in O(log n), and the scan it
    /// replaces checks it in debug builds.
    fn steal(&mut self, thief: u32) -> Option<JobId> {
        let now = self.clock;
        let longest = match &self.queue_index {
            Some(lengths) => lengths.min().map(|_| lengths.select(0)),
            None => self.longest_queue(thief),
        };
        debug_assert_eq!(longest, self.longest_queue(thief), "the queue-length index");
        let id = self.queues[longest?].dequeue(now);
        note_queue(&mut self.queue_index, &self.queues, longest?);
        id
    }

    /// The queue of the longest non-empty queue of another node than
    /// `thief` (lowest node index among equals), by a scan.
    fn longest_queue(&self, thief: u32) -> Option<usize> {
        let mut longest: Option<usize> = None;
        for (j, station) in self.stations.iter().enumerate() {
            if j == thief as usize || station.sharing {
                continue;
            }
            let q = &self.queues[station.queue];
            if !q.is_empty() && longest.is_none_or(|l| q.len() > self.queues[l].len()) {
                longest = Some(station.queue);
            }
        }
        longest
    }

    /// Handles the internal event of a sharing node.
    fn share_tick(&mut self, node: u32, generation: u32) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        if station.share_generation != generation {
            return;
        }
        let done = self.shares[station.queue].advance(now);
        if let Some(id) = done {
            // Time in service at a sharing node is the job's own service
            // time, so wait = response - size/speed is the delay sharing caused.
            let job = self.jobs.get_mut(id);
            job.served += (job.remaining - job.cut) / station.speed;
            // Where the attempt ends: 0 unless it fails there.
            job.remaining = job.cut;
            if !(self.life.is_some() && self.attempt_ends(node, SHARED, id)) {
                self.visit_done::<Full>(node, SHARED, id);
            }
        }
        self.reschedule_shared(node);
    }

    /// Replaces a sharing node's pending event by its new next event and
    /// reports the new shares.
    fn reschedule_shared(&mut self, node: u32) {
        let station = &mut self.stations[node as usize];
        let policy = &self.shares[station.queue];
        station.share_generation = station.share_generation.wrapping_add(1);
        let next = policy.next_event();
        if next.is_finite() {
            self.events.push(
                next.max(self.clock),
                Kind::ShareTick,
                node,
                SHARED,
                station.share_generation,
            );
        }
        self.share_before.copy_from_slice(&station.share_busy);
        policy.busy(&mut station.share_busy);
        let busy: f64 = station.share_busy.iter().sum();
        self.loads.share(node, self.clock, busy, station.speed);
        self.observer
            .on_shares(self.clock, node, &station.share_busy, &self.share_before);
    }

    /// Puts job `id` on a server and schedules its completion or the end of
    /// its quantum, whichever comes first.
    #[inline(always)]
    fn start<S: Shape>(&mut self, node: u32, server: u32, id: JobId) {
        let now = self.clock;
        if S::FULL && self.life.is_some() {
            let speed = self.stations[node as usize].speed;
            self.attempt_begins(id, speed);
        }
        let station = &mut self.stations[node as usize];
        let (run, completes) = station.stretch(&self.queues[station.queue], self.jobs.get(id));
        let slot = &mut station.servers[server as usize];
        self.loads.start(node, now, station.speed, slot.job == IDLE);
        // A server switches when it takes a job other than the one it ran
        // last; loading the first job onto a fresh server costs nothing.
        let switch =
            if !S::FULL || !station.switches || slot.last_job == id || slot.last_job == IDLE {
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
        slot.completes = completes;
        slot.progress_from = now + switch;
        if switch > 0.0 {
            self.observer.on_switch(now, server, switch);
        }
        self.events.push(
            now + switch + run,
            Kind::ServiceEnd,
            node,
            server,
            slot.generation,
        );
        if station.preemptive
            && let Some(v) = &mut station.victims
        {
            note_running(
                v,
                &station.servers,
                &self.queues[station.queue],
                job,
                server,
                station.speed,
            );
        }
        if S::FULL && station.interrupts && station.failures.is_some() {
            self.failure_clock_starts(node, server);
        }
        self.observer.on_start(now, self.jobs.get(id), server);
    }
}

/// The victim index of a node with `servers` servers under `discipline`:
/// kept where it is preemptive, not sharing, free to switch, has many
/// servers and orders its running jobs by a fixed key.
fn victims_for(discipline: &AnyPolicy, servers: u32) -> Option<Box<victims::Victims>> {
    let q = discipline.queue()?;
    let probe = Job::new(0, 0, 0, 0, 0.0, 1.0);
    (q.preemptive()
        && q.switch_cost() == 0.0
        && servers >= victims::INDEXED_SERVERS
        && q.running_key(&probe, 0.0).is_some())
    .then(|| Box::new(victims::Victims::new(servers)))
}

/// Job `job` started (or resumed) on `server` of a node with a victim
/// index: it takes its place there.
#[inline]
fn note_running(
    v: &mut victims::Victims,
    servers: &Pool,
    policy: &QueuePolicy,
    job: &Job,
    server: u32,
    speed: f64,
) {
    let slot = &servers[server as usize];
    let key = policy
        .running_key(job, speed * slot.progress_from)
        .expect("victim indexes are kept only where running keys exist");
    v.started(server, key, |s| servers[s].running());
}

/// A visit's demand: a pure function of (key, job, visit), so the same
/// job demands the same at the same visit whatever the policy.
#[inline]
fn draw(d: &Dist, key: u64, seq: u64, visit: u32) -> f64 {
    // Two independent 64-bit halves of the 128-bit state, straight from
    // the hash: cheaper than expanding one seed through `seed_from_u64`.
    let high = visit_draw(key, seq, visit);
    let low = visit_draw(!key, seq, visit);
    let mut rng = Pcg64Mcg::new((u128::from(high) << 64) | u128::from(low));
    d.sample(&mut rng)
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

    fn fcfs() -> AnyPolicy {
        AnyPolicy::from_config(&PolicyConfig::default(), &Default::default()).unwrap()
    }

    #[test]
    fn initial_jobs_are_chosen_among_together() {
        // Five jobs present at 0 on one server under SJF: they are served
        // shortest first, as a batch arriving together would be, with no
        // arrival before them.
        #[derive(Default)]
        struct Order {
            initial: Vec<f64>,
            started: Vec<(f64, f64)>,
        }
        impl Observer for Order {
            fn on_initial(&mut self, now: f64, job: &Job) {
                assert_eq!(now, 0.0);
                self.initial.push(job.size);
            }
            fn on_start(&mut self, now: f64, job: &Job, _server: u32) {
                self.started.push((now, job.size));
            }
        }
        let mut s = scenario(1);
        s.classes[0].initial = vec![(0, 5)];
        let sjf = AnyPolicy::from_config(&PolicyConfig::named("sjf"), &Default::default()).unwrap();
        let mut sim = Simulation::new(&s, arrivals(&[(1e9, 1.0)]), &sjf, None, Order::default());
        sim.run(Limit::Jobs(0), Limit::Jobs(5));
        let o = sim.into_observer();
        assert_eq!(o.initial.len(), 5);
        let mut sorted = o.initial.clone();
        sorted.sort_by(f64::total_cmp);
        let order: Vec<f64> = o.started.iter().map(|s| s.1).collect();
        assert_eq!(order, sorted);
        assert_eq!(o.started[0].0, 0.0);
    }

    #[test]
    fn a_failing_server_holds_its_job_and_the_run_ends_with_the_last_job() {
        use crate::model::{Dist, FailureClock, NodeFailures, OnFailure};
        // One server at speed 2, up 0..1.5, down 1.5..2.5, up 2.5..4: a
        // job of size 2 (1 time unit) arriving at 1 has done 0.5 when the
        // server fails; resumed it ends at 2.5 + 0.5, restarted at 2.5 + 1.
        for (running, end) in [(OnFailure::Resume, 3.0), (OnFailure::Restart, 3.5)] {
            let mut s = scenario(1);
            s.nodes[0].failures = Some(Box::new(NodeFailures {
                up: Dist::Deterministic { value: 1.5 },
                down: Dist::Deterministic { value: 1.0 },
                running,
                clock: FailureClock::Always,
            }));
            let w = arrivals(&[(1.0, 2.0)]);
            let mut sim = Simulation::new(&s, w, &fcfs(), None, Trace::default());
            let info = sim.run(Limit::Jobs(0), Limit::Jobs(100));
            let t = sim.into_observer();
            assert_eq!(t.starts, vec![(1.0, 0, 0), (2.5, 0, 0)], "{running:?}");
            assert_eq!(t.done, vec![(end, 0)], "{running:?}");
            assert_eq!(info.end, end, "failure events stop once every job has left");
        }
    }

    /// At a 16-server node the victim index picks the victims the scan
    /// of every server picks: the same jobs start on the same servers,
    /// and finish at the same times up to the rounding of work brought up
    /// to date less often.
    #[test]
    fn the_victim_index_preempts_as_the_scan_does() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(9);
        let (mut t, mut list) = (0.0, Vec::new());
        for _ in 0..4000 {
            // Load 0.95 at 16 servers of speed 2; sizes of SCV 3.
            t += -rng.random::<f64>().ln() / 15.2;
            let size = if rng.random_bool(0.1) { 11.0 } else { 1.0 } * -rng.random::<f64>().ln();
            list.push((t, size));
        }
        let s = scenario(16);
        for name in ["srpt", "psjf", "lcfs-pr"] {
            let policy =
                AnyPolicy::from_config(&PolicyConfig::named(name), &Default::default()).unwrap();
            let run = |indexed: bool| {
                let mut sim = Simulation::new(&s, arrivals(&list), &policy, None, Trace::default());
                assert!(sim.stations[0].victims.is_some(), "{name}");
                if !indexed {
                    sim.stations[0].victims = None;
                }
                sim.run(Limit::Jobs(0), Limit::Jobs(4000));
                sim.into_observer()
            };
            let (a, b) = (run(true), run(false));
            let key = |v: &[(f64, u64, u32)]| v.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>();
            assert_eq!(key(&a.starts), key(&b.starts), "{name}");
            // Preemptions happened: more starts than jobs.
            assert!(a.starts.len() > 4100, "{name}: {}", a.starts.len());
            assert_eq!(a.done.len(), 4000);
            for (x, y) in a.done.iter().zip(&b.done) {
                assert_eq!(x.1, y.1, "{name}");
                assert!((x.0 - y.0).abs() <= 1e-9 * x.0, "{name}: {x:?} {y:?}");
            }
        }
    }

    /// Where each job went and when it finished.
    #[derive(Default, PartialEq, Debug)]
    struct Placed {
        nodes: Vec<(u64, u32)>,
        done: Vec<(u64, u64)>,
    }

    impl Observer for Placed {
        fn on_arrival(&mut self, _now: f64, job: &Job) {
            self.nodes.push((job.seq, job.node));
        }
        fn on_complete(&mut self, now: f64, job: &Job) {
            self.done.push((now.to_bits(), job.seq));
        }
    }

    #[test]
    fn indexed_dispatch_runs_as_the_scan() {
        // Nodes of 1 to 3 servers at three speeds, failing and repaired:
        // the engine dispatching through the index and through the scan
        // (power-of-d: through its dense counts and through the nodes'
        // whole loads) gives the same run, job by job, bit for bit.
        use crate::model::{Dist, FailureClock, NodeFailures, OnFailure};
        let mut text = String::from(
            "name = \"t\"\nhorizon = { jobs = 100 }\n[dispatch]\nrule = \"jsq\"\n\
             [[classes]]\nname = \"a\"\n\
             arrival = { dist = \"exponential\", rate = 1.0 }\n\
             service = { dist = \"exponential\", mean = 1.0 }\n",
        );
        for j in 0..12 {
            let speed = [1.0, 0.5, 2.0][j % 3];
            let servers = 1 + j % 4 / 2 + j % 2;
            text += &format!("[[nodes]]\nname = \"n{j}\"\nservers = {servers}\nspeed = {speed}\n");
        }
        let rules = [
            Rule::Jsq,
            Rule::PowerOfD { d: 2 },
            Rule::Lwl,
            Rule::Jiq,
            Rule::Hybrid {
                push: Box::new(Rule::Lwl),
            },
            Rule::Pull,
            Rule::Hybrid {
                push: Box::new(Rule::RoundRobin),
            },
        ];
        for rule in rules {
            let mut s = Scenario::from_toml(&text, Path::new("t.toml")).unwrap();
            for n in &mut s.nodes {
                n.failures = Some(Box::new(NodeFailures {
                    up: Dist::Exponential {
                        rate: 0.1,
                        mean: 10.0,
                    },
                    down: Dist::Exponential {
                        rate: 1.0,
                        mean: 1.0,
                    },
                    running: OnFailure::Resume,
                    clock: FailureClock::Always,
                }));
            }
            // Sizes from three values, so lwl meets ties.
            let list: Vec<(f64, f64)> = (0..3000u32)
                .map(|i| (f64::from(i / 3) * 0.2, [1.0, 2.0, 4.0][i as usize % 3]))
                .collect();
            let run = |indexed: bool| {
                let rng = crate::workload::stream_rng(1, 0, u32::MAX, Purpose::Dispatch);
                let d = Dispatcher::new(rule.clone(), rng);
                let mut sim =
                    Simulation::new(&s, arrivals(&list), &fcfs(), Some(d), Placed::default());
                if !indexed {
                    sim.loads.index = LoadIndex::Off;
                    sim.queue_index = None;
                    if !sim.loads.counts.is_empty() {
                        sim.loads.counts.clear();
                        sim.loads.enabled = true;
                    }
                }
                sim.run(Limit::Jobs(0), Limit::Time(500.0));
                sim.into_observer()
            };
            let (a, b) = (run(true), run(false));
            assert!(a.done.len() > 2000, "{}", rule.label());
            assert!(a == b, "{}", rule.label());
        }
    }

    #[test]
    fn hybrid_steals_from_the_longest_queue_through_its_index() {
        // Reneging, preemption (srpt) and several servers: every steal of
        // the run checks the queue-length index against the scan (a debug
        // assertion in `steal`), and the run is the scan's job by job.
        let mut text = String::from(
            "name = \"h\"\nhorizon = { jobs = 3000 }\nwarmup = { jobs = 0 }\n\
             [dispatch]\nrule = \"hybrid\"\npush = \"random\"\n\
             [policy]\ndiscipline = \"srpt\"\n\
             [[classes]]\nname = \"a\"\n\
             arrival = { dist = \"exponential\", rate = 9.0 }\n\
             service = { dist = \"exponential\", mean = 1.0 }\n\
             patience = { dist = \"exponential\", mean = 2.0 }\n",
        );
        for j in 0..6 {
            text += &format!("[[nodes]]\nname = \"n{j}\"\nservers = {}\n", 1 + j % 2);
        }
        let s = Scenario::from_toml(&text, Path::new("h.toml")).unwrap();
        let run = |indexed: bool| {
            let rng = crate::workload::stream_rng(1, 0, u32::MAX, Purpose::Dispatch);
            let d = Dispatcher::new(s.dispatch.clone().unwrap(), rng);
            let workload = crate::workload::SampledWorkload::new(&s, 0);
            let mut sim = Simulation::new(&s, workload, &s.policies[0], Some(d), Placed::default());
            if !indexed {
                sim.queue_index = None;
            }
            sim.run(Limit::Jobs(0), Limit::Jobs(3000));
            sim.into_observer()
        };
        let (a, b) = (run(true), run(false));
        assert!(a.done.len() >= 2000, "{}", a.done.len());
        assert!(a == b);
    }

    #[test]
    fn dispatch_loads_count_only_the_servers_up_and_idle() {
        use crate::model::{Dist, FailureClock, NodeFailures, OnFailure};
        let text = "name = \"t\"\nhorizon = { jobs = 100 }\n[dispatch]\nrule = \"jsq\"\n\
                    [[classes]]\nname = \"a\"\n\
                    arrival = { dist = \"exponential\", rate = 1.0 }\n\
                    service = { dist = \"exponential\", mean = 1.0 }\n\
                    [[nodes]]\nname = \"x\"\nservers = 2\n[[nodes]]\nname = \"y\"\nservers = 3\n";
        for running in [OnFailure::Resume, OnFailure::Restart, OnFailure::Retry] {
            let mut s = Scenario::from_toml(text, Path::new("t.toml")).unwrap();
            for n in &mut s.nodes {
                n.failures = Some(Box::new(NodeFailures {
                    up: Dist::Exponential {
                        rate: 0.2,
                        mean: 5.0,
                    },
                    down: Dist::Exponential {
                        rate: 1.0,
                        mean: 1.0,
                    },
                    running,
                    clock: FailureClock::Always,
                }));
            }
            let list: Vec<(f64, f64)> = (0..400).map(|i| (f64::from(i) * 0.3, 0.8)).collect();
            let rng = crate::workload::stream_rng(1, 0, u32::MAX, Purpose::Dispatch);
            let d = Dispatcher::new(Rule::Jsq, rng);
            let mut sim = Simulation::new(&s, arrivals(&list), &fcfs(), Some(d), Trace::default());
            // Stop mid-run, servers failing and jobs waiting, and compare
            // the dispatcher's view with the stations'.
            sim.run(Limit::Jobs(0), Limit::Time(60.0));
            for (j, st) in sim.stations.iter().enumerate() {
                let l = &sim.loads.nodes[j];
                let up = st.servers.iter().filter(|s| !s.down).count() as u32;
                assert_eq!(l.servers, up, "{running:?} node {j}");
                assert_eq!(l.idle, st.idle.len() as u32, "{running:?} node {j}");
            }
            let t = sim.into_observer();
            assert!(t.done.len() > 100, "{running:?}");
        }
    }

    #[test]
    fn fcfs_on_two_servers_by_hand() {
        // Speed 2: sizes 4, 2, 2, 1 take 2, 1, 1, 0.5 time units.
        let s = scenario(2);
        let w = arrivals(&[(0.0, 4.0), (0.0, 2.0), (0.5, 2.0), (0.5, 1.0)]);
        let mut sim = Simulation::new(&s, w, &fcfs(), None, Trace::default());
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
        let mut sim = Simulation::new(&s, w, &fcfs(), None, Trace::default());
        let info = sim.run(Limit::Time(0.5), Limit::Time(1.0));
        assert_eq!(info.measure_start, 0.5);
        assert_eq!(info.end, 1.5);
        assert_eq!(sim.observer().done, vec![(1.0, 0)]);
    }

    fn network(text: &str) -> Scenario {
        Scenario::from_toml(text, Path::new("net.toml")).unwrap()
    }

    const TANDEM: &str = r#"
name = "tandem"
horizon = { jobs = 100 }
[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 1.0 }
service = { dist = "deterministic", value = 1.0 }
node = "first"
service_at = { second = { dist = "deterministic", value = 3.0 } }
[[nodes]]
name = "first"
servers = 1
[[nodes]]
name = "second"
servers = 1
capacity = 1
when_full = "block"
[[routes]]
from = "first"
to = [{ node = "second", p = 1.0 }]
"#;

    #[derive(Default)]
    struct Visits {
        ends: Vec<(f64, u64, u32, f64)>,
        done: Vec<(f64, u64, f64)>,
        blocked: Vec<(f64, u64)>,
        pending: f64,
    }

    impl Observer for Visits {
        fn on_unblocked(&mut self, _now: f64, _job: &Job, blocked: f64) {
            self.pending = blocked;
        }
        fn on_visit_end(&mut self, now: f64, job: &Job) {
            self.ends
                .push((now, job.seq, job.node, std::mem::take(&mut self.pending)));
        }
        fn on_blocked(&mut self, now: f64, job: &Job) {
            self.blocked.push((now, job.seq));
        }
        fn on_complete(&mut self, now: f64, job: &Job) {
            self.done.push((now, job.seq, now - job.entered));
        }
    }

    #[test]
    fn blocking_after_service_by_hand() {
        // Three jobs at 0, demand 1 at `first`, 3 at `second` (room for
        // one). Job 0: first 0-1, second 1-4. Job 1: first 1-2, blocked
        // 2-4, second 4-7. Job 2 waits for job 1's blocked server: first
        // 4-5, blocked 5-7, second 7-10.
        let s = network(TANDEM);
        let w = arrivals(&[(0.0, 1.0), (0.0, 1.0), (0.0, 1.0)]);
        let mut sim = Simulation::new(&s, w, &fcfs(), None, Visits::default());
        let info = sim.run(Limit::Jobs(0), Limit::Jobs(100));
        let v = sim.into_observer();
        assert_eq!(info.completed, 3);
        assert_eq!(v.blocked, vec![(2.0, 1), (5.0, 2)]);
        assert_eq!(
            v.ends,
            // Job 0 leaving `second` is what lets job 1 out of `first`.
            vec![
                (1.0, 0, 0, 0.0),
                (4.0, 0, 1, 0.0),
                (4.0, 1, 0, 2.0),
                (7.0, 1, 1, 0.0),
                (7.0, 2, 0, 2.0),
                (10.0, 2, 1, 0.0),
            ]
        );
        assert_eq!(v.done, vec![(4.0, 0, 4.0), (7.0, 1, 7.0), (10.0, 2, 10.0)]);
    }

    #[test]
    fn a_rigid_visit_waits_for_all_its_servers_and_nobody_passes_it() {
        let text = r#"
name = "rigid"
horizon = { jobs = 100 }
[[classes]]
name = "small"
arrival = { dist = "exponential", rate = 1.0 }
service = { dist = "exponential", mean = 1.0 }
[[classes]]
name = "wide"
arrival = { dist = "exponential", rate = 1.0 }
service = { dist = "exponential", mean = 1.0 }
servers_per_job = 2
[[nodes]]
name = "n"
servers = 2
"#;
        let s = network(text);
        // small(0, 2) takes one server; wide at 0.5 waits for both; small
        // at 1 must not pass it although a server is idle.
        let w = FixedWorkload::new(vec![
            Arrival::new(0.0, 0, 2.0),
            Arrival::new(0.5, 1, 1.0),
            Arrival::new(1.0, 0, 1.0),
        ]);
        let mut sim = Simulation::new(&s, w, &fcfs(), None, Trace::default());
        sim.run(Limit::Jobs(0), Limit::Jobs(100));
        let t = sim.into_observer();
        // The wide job leads on server 0 with server 1 beside it; server
        // 1, freed last, takes the next job.
        assert_eq!(t.starts, vec![(0.0, 0, 0), (2.0, 1, 0), (3.0, 2, 1)]);
        assert_eq!(t.done, vec![(2.0, 0), (3.0, 1), (4.0, 2)]);
    }

    /// Prefetching changes nothing: a network of 5,000 nodes under
    /// power-of-2 choices (which draws ahead), routing into a group of
    /// multi-server nodes and back, gives the same starts and completions with
    /// and without it.
    /// Every bundled scenario that `is_plain` calls plain, under each of
    /// its policies, runs event for event as the full engine runs it: the
    /// tests `Plain` compiles out were all false. And the scenarios of the
    /// rarer parts are not called plain.
    #[test]
    fn a_plain_run_is_the_full_run() {
        use crate::workload::SampledWorkload;
        use rand::SeedableRng;
        #[derive(Default, PartialEq, Debug)]
        struct Events(Vec<(u8, u64, u64, u32)>);
        impl Observer for Events {
            fn on_arrival(&mut self, now: f64, job: &Job) {
                self.0.push((0, now.to_bits(), job.seq, job.node));
            }
            fn on_start(&mut self, now: f64, job: &Job, server: u32) {
                self.0.push((1, now.to_bits(), job.seq, server));
            }
            fn on_visit_end(&mut self, now: f64, job: &Job) {
                self.0.push((2, now.to_bits(), job.seq, job.node));
            }
            fn on_complete(&mut self, now: f64, job: &Job) {
                self.0.push((3, now.to_bits(), job.seq, job.class));
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files = vec![];
        let mut dirs = vec![root.clone()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "toml") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let (mut plain, mut full) = (vec![], vec![]);
        for file in &files {
            let Ok(s) = Scenario::from_file(file) else {
                continue;
            };
            let name = file.strip_prefix(&root).unwrap().display().to_string();
            for policy in &s.policies {
                let make = || {
                    let dispatcher = s
                        .dispatch
                        .clone()
                        .map(|rule| Dispatcher::new(rule, Pcg64Mcg::seed_from_u64(s.seed)));
                    Simulation::with_replication(
                        &s,
                        SampledWorkload::new(&s, 0),
                        policy,
                        dispatcher,
                        Events::default(),
                        0,
                    )
                };
                let mut a = make();
                if !a.is_plain() {
                    full.push(name.clone());
                    continue;
                }
                plain.push(name.clone());
                let mut b = make();
                let ia = a.run_shaped::<Plain>(Limit::Jobs(0), Limit::Jobs(3000), 1);
                let ib = b.run_shaped::<Full>(Limit::Jobs(0), Limit::Jobs(3000), 1);
                assert_eq!(
                    (ia.end.to_bits(), ia.events, ia.completed),
                    (ib.end.to_bits(), ib.events, ib.completed),
                    "{name} under {}",
                    policy.label()
                );
                let (ea, eb) = (a.into_observer(), b.into_observer());
                assert!(ea.0.len() > 6000, "{name}: {} events", ea.0.len());
                assert!(ea == eb, "{name} under {}", policy.label());
            }
        }
        for name in ["mm2.toml", "networks/jackson3.toml", "cluster-1000.toml"] {
            assert!(
                plain.iter().any(|n| n == name),
                "{name} is plain: {plain:?}"
            );
        }
        for name in [
            "lifecycle/retries.toml",
            "behaviour/erlang-a.toml",
            "networks/blocking-tandem.toml",
        ] {
            assert!(
                full.iter().any(|n| n == name),
                "{name} is not plain: {full:?}"
            );
        }
    }

    #[test]
    fn foreseeing_changes_no_event() {
        use crate::workload::SampledWorkload;
        use rand::SeedableRng;
        let text = "name = \"big\"\nseed = 5\nhorizon = { jobs = 60000 }\n\
            [[classes]]\nname = \"a\"\narrival = { dist = \"exponential\", rate = 3000.0 }\n\
            service = { dist = \"exponential\", mean = 1.0 }\n\
            [[classes]]\nname = \"b\"\narrival = { dist = \"exponential\", rate = 800.0 }\n\
            service = { dist = \"hyperexponential\", mean = 1.0, scv = 4.0 }\n\
            [[nodes]]\nname = \"rack\"\ncount = 5000\nservers = 1\n\
            [[nodes]]\nname = \"big\"\ncount = 50\nservers = 4\n\
            [[routes]]\nfrom = \"rack\"\nto = [{ node = \"big\", p = 0.2 }, { node = \"exit\", p = 0.8 }]\n\
            [[routes]]\nfrom = \"big\"\nto = [{ node = \"rack\", p = 0.3 }, { node = \"exit\", p = 0.7 }]\n\
            [dispatch]\nrule = \"power-of-d\"\nd = 2\n";
        let s = Scenario::from_toml(text, Path::new("big.toml")).unwrap();
        assert!(s.nodes.len() >= FORESEE_FROM);
        let run = |foresee: bool| {
            let dispatcher = Dispatcher::new(
                s.dispatch.clone().expect("a rule"),
                Pcg64Mcg::seed_from_u64(11),
            );
            let mut sim = Simulation::with_replication(
                &s,
                SampledWorkload::new(&s, 0),
                &fcfs(),
                Some(dispatcher),
                Trace::default(),
                0,
            );
            sim.set_foresee(foresee);
            sim.run(Limit::Jobs(0), Limit::Jobs(60_000));
            sim.into_observer()
        };
        let (plain, seen) = (run(false), run(true));
        assert_eq!(plain.done.len(), 60_000);
        assert_eq!(plain.starts, seen.starts);
        assert_eq!(plain.done, seen.done);
    }
}
