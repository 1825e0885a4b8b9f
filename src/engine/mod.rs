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
    /// A job finished and left.
    fn on_complete(&mut self, _now: f64, _job: &Job) {}
    /// The warm-up is over: statistics count from now.
    fn on_measure_start(&mut self, _now: f64) {}
    /// The run ended at `now`.
    fn on_end(&mut self, _now: f64) {}
}

/// An observer that records nothing.
impl Observer for () {}

const IDLE: JobId = JobId::MAX;

#[derive(Debug, Clone, Copy)]
struct Server {
    job: JobId,
    /// Bumped whenever the server's pending departure is cancelled, so a
    /// stale event is recognised and skipped.
    generation: u32,
}

/// A node in the running simulation: its servers and its queue.
struct Station<P> {
    speed: f64,
    servers: Vec<Server>,
    /// Idle servers, taken last-freed first.
    idle: Vec<u32>,
    policy: P,
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

/// One replication of a system: workload, nodes and an observer.
pub struct Simulation<W, P, O> {
    clock: f64,
    workload: W,
    stations: Vec<Station<P>>,
    class_node: Vec<u32>,
    class_priority: Vec<i32>,
    jobs: JobTable,
    events: EventList,
    observer: O,
    arrivals: u64,
    completed: u64,
    handled: u64,
}

impl<W: Workload, P: Policy, O: Observer> Simulation<W, P, O> {
    /// Builds the nodes of `scenario`, each with its own copy of `policy`.
    pub fn new(scenario: &Scenario, workload: W, policy: &P, observer: O) -> Self
    where
        P: Clone,
    {
        let stations = scenario
            .nodes
            .iter()
            .map(|n| Station {
                speed: n.speed,
                servers: vec![
                    Server {
                        job: IDLE,
                        generation: 0,
                    };
                    n.servers as usize
                ],
                idle: (0..n.servers).rev().collect(),
                policy: policy.clone(),
            })
            .collect();
        Simulation {
            clock: 0.0,
            workload,
            stations,
            class_node: scenario.classes.iter().map(|c| c.node as u32).collect(),
            class_priority: scenario.classes.iter().map(|c| c.priority).collect(),
            jobs: JobTable::default(),
            events: EventList::default(),
            observer,
            arrivals: 0,
            completed: 0,
            handled: 0,
        }
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
            if t_arrival <= t_departure {
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
        let node = self.class_node[a.class as usize];
        let job = Job::new(
            self.arrivals,
            a.class,
            node,
            self.class_priority[a.class as usize],
            a.time,
            a.size,
        );
        self.arrivals += 1;
        let id = self.jobs.insert(job);
        self.observer.on_arrival(self.clock, self.jobs.get(id));
        let station = &mut self.stations[node as usize];
        match station.idle.pop() {
            Some(server) => self.start(node, server, id),
            None => station.policy.enqueue(id, self.jobs.get(id), self.clock),
        }
    }

    /// Handles the earliest departure event; false if it was stale.
    #[inline]
    fn depart(&mut self) -> bool {
        let Event {
            node,
            server,
            generation,
            ..
        } = self.events.pop();
        let station = &mut self.stations[node as usize];
        let slot = &mut station.servers[server as usize];
        if slot.generation != generation {
            return false;
        }
        let mut job = self.jobs.remove(slot.job);
        job.remaining = 0.0;
        self.completed += 1;
        self.observer.on_complete(self.clock, &job);
        match station.policy.dequeue(self.clock) {
            Some(next) => self.start(node, server, next),
            None => {
                slot.job = IDLE;
                station.idle.push(server);
            }
        }
        true
    }

    /// Puts job `id` on a server and schedules its departure.
    #[inline]
    fn start(&mut self, node: u32, server: u32, id: JobId) {
        let station = &mut self.stations[node as usize];
        let slot = &mut station.servers[server as usize];
        slot.job = id;
        let job = self.jobs.get_mut(id);
        if job.first_start.is_nan() {
            job.first_start = self.clock;
        }
        let duration = job.remaining / station.speed;
        job.served += duration;
        self.events
            .push(self.clock + duration, node, server, slot.generation);
        self.observer
            .on_start(self.clock, self.jobs.get(id), server);
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
                .map(|&(time, size)| Arrival {
                    time,
                    class: 0,
                    size,
                })
                .collect(),
        )
    }

    #[test]
    fn fcfs_on_two_servers_by_hand() {
        // Speed 2: sizes 4, 2, 2, 1 take 2, 1, 1, 0.5 time units.
        let s = scenario(2);
        let w = arrivals(&[(0.0, 4.0), (0.0, 2.0), (0.5, 2.0), (0.5, 1.0)]);
        let policy = AnyPolicy::from_config(&PolicyConfig::default()).unwrap();
        let mut sim = Simulation::new(&s, w, &policy, Trace::default());
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
        let policy = AnyPolicy::from_config(&PolicyConfig::default()).unwrap();
        let mut sim = Simulation::new(&s, w, &policy, Trace::default());
        let info = sim.run(Limit::Time(0.5), Limit::Time(1.0));
        assert_eq!(info.measure_start, 0.5);
        assert_eq!(info.end, 1.5);
        assert_eq!(sim.observer().done, vec![(1.0, 0)]);
    }
}
