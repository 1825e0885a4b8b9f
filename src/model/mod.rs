//! The model of the system under study: distributions, job classes, nodes
//! and the scenario that ties them together.

pub mod alarms;
pub mod arrival;
pub mod batch;
pub mod dist;
pub mod failures;
pub mod groups;
pub mod output;
pub mod route;
pub mod rows;
pub mod scenario;
pub mod schedule;
pub mod stg;
pub mod trace;
pub mod wfformat;
pub mod workflow;

pub use arrival::Arrivals;
pub use batch::Batch;
pub use dist::Dist;
pub use failures::{FailureClock, NodeFailures, OnFailure};
pub use output::Output;
pub use route::{Hop, Routing};
pub use scenario::Scenario;
pub use schedule::{OnLeave, ServerSchedule};

use crate::policy::AnyPolicy;

/// A stream of jobs with its own arrival process and service requirements.
#[derive(Debug, Clone)]
pub struct Class {
    pub name: String,
    /// When this class's arrival instants come: renewal (a distribution
    /// of the time between them), time-varying Poisson, or a trace.
    pub arrival: Arrivals,
    /// How many jobs arrive at each instant.
    pub batch: Batch,
    /// Distribution of a job's service requirement (work, in time units at speed 1).
    pub service: Dist,
    /// Used by priority disciplines; a lower number is more urgent.
    pub priority: i32,
    /// Index of the node this class is pinned to; `None` when the
    /// scenario's `[dispatch]` rule spreads it over all nodes.
    pub node: Option<usize>,
    /// Relative deadline, if the class has one.
    pub deadline: Option<f64>,
    /// Per node (by index), this class's demand there when it differs
    /// from `service` (`service_at = { db = {...} }`).
    pub service_at: Vec<Option<Dist>>,
    /// Servers a visit holds at once (rigid: all start together).
    pub servers_per_job: u32,
    /// Reneging: how long a job waits at a node for its service to start
    /// before it leaves (`None`: for ever). Drawn per visit.
    pub patience: Option<Dist>,
    /// Baulking: `baulk[n]` is the probability that a job arriving at a
    /// node where `n` jobs are present leaves at once (the last entry for
    /// larger `n`); empty when jobs never baulk.
    pub baulk: Vec<f64>,
    /// The task lifecycle of its visits: timeouts, failures, retries and
    /// what a given-up task becomes (`None`: every attempt completes).
    pub attempts: Option<crate::lifecycle::Attempts>,
    /// Jobs of this class present at time 0, as (node index, count):
    /// the system does not start empty (`initial = { pool = 10 }`).
    pub initial: Vec<(usize, u32)>,
    /// A workflow class: each job is an instance of this graph of tasks.
    pub workflow: Option<std::sync::Arc<workflow::ClassFlow>>,
}

impl Class {
    /// A class with one visit's demand `service` everywhere and one server
    /// per visit, arriving one job at a time.
    pub fn new(name: &str, arrival: impl Into<Arrivals>, service: Dist, nodes: usize) -> Class {
        Class {
            name: name.to_string(),
            arrival: arrival.into(),
            batch: Batch::One,
            service,
            priority: 0,
            node: None,
            deadline: None,
            service_at: vec![None; nodes],
            servers_per_job: 1,
            patience: None,
            baulk: Vec::new(),
            attempts: None,
            initial: Vec::new(),
            workflow: None,
        }
    }

    /// Whether the mean slowdown of this class's jobs is finite for any
    /// policy: when every requirement it may draw has a finite `E[1/S]`
    /// ([`Dist::has_finite_inverse_mean`]). A job's time in service is at
    /// least its first visit's, so this suffices in networks too, where
    /// it may refuse a mean that later visits would bound.
    pub fn has_finite_slowdown_mean(&self) -> bool {
        if let Some(flow) = &self.workflow {
            return flow.has_finite_slowdown_mean();
        }
        self.service.has_finite_inverse_mean()
            && self
                .service_at
                .iter()
                .flatten()
                .all(Dist::has_finite_inverse_mean)
    }

    /// The distribution of a job's time in service alone, the denominator
    /// of its slowdown: its size at speed 1, or a workflow's critical path
    /// of the given work at each task's fastest speed.
    pub fn time_alone(&self) -> Dist {
        match &self.workflow {
            Some(f) => Dist::Deterministic { value: f.critical },
            None => self.service.clone(),
        }
    }

    /// Whether the class's jobs are workflows.
    pub fn is_workflow(&self) -> bool {
        self.workflow.is_some()
    }

    /// Whether the class is closed: a fixed population that thinks
    /// between its passes through the network.
    pub fn is_closed(&self) -> bool {
        self.population().is_some()
    }

    /// A closed class's population.
    pub fn population(&self) -> Option<u32> {
        match &self.arrival {
            arrival::Arrivals::Closed(l) => Some(l.population),
            _ => None,
        }
    }

    /// The demand distribution of a visit to `node`.
    pub fn demand_at(&self, node: usize) -> &Dist {
        self.service_at
            .get(node)
            .and_then(|d| d.as_ref())
            .unwrap_or(&self.service)
    }
}

/// What happens to a job that arrives at a node already holding `capacity` jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenFull {
    /// It is lost.
    #[default]
    Loss,
    /// Routed from another node, it stays on the server it finished on
    /// (blocking after service) until room frees; external arrivals are lost.
    Block,
}

/// A station of `servers` identical servers working at `speed`: a job of
/// requirement `s` occupies a server for `s / speed`.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub servers: u32,
    pub speed: f64,
    /// Most jobs the node holds, waiting and in service; an arrival that
    /// finds it full is lost (blocked). `None`: unlimited.
    pub capacity: Option<u32>,
    pub when_full: WhenFull,
    /// This node's own discipline, else the run's policy. Boxed, like the
    /// failures and the schedule: most nodes have none, and a node group of
    /// 100,000 members pays for the space of an absent one in every node
    /// (432 bytes a node unboxed, 96 boxed).
    pub discipline: Option<Box<AnyPolicy>>,
    /// Its servers' failures and repairs, if they fail.
    pub failures: Option<Box<NodeFailures>>,
    /// Its shifts, if the servers on shift change over time (`servers`
    /// is then the most ever on shift).
    pub schedule: Option<Box<ServerSchedule>>,
    /// Unrelated machines: the speed at which the tasks whose id begins
    /// with each prefix run here (`speed_by_task = { mProject = 8.0 }`).
    pub speed_by_task: Vec<(String, f64)>,
}

impl Node {
    /// A node of `servers` servers at `speed`, unlimited, with the run's policy.
    pub fn new(name: &str, servers: u32, speed: f64) -> Node {
        Node {
            name: name.to_string(),
            servers,
            speed,
            capacity: None,
            when_full: WhenFull::Loss,
            discipline: None,
            failures: None,
            schedule: None,
            speed_by_task: Vec::new(),
        }
    }

    /// The speed a workflow task of this id runs at here: the longest
    /// prefix of `speed_by_task` it begins with, else the node's speed.
    pub fn speed_for(&self, task: &str) -> f64 {
        workflow::speed_for(&self.speed_by_task, self.speed, task)
    }

    /// Work the node does per unit of time with every server busy: its
    /// servers (the mean on shift, under a schedule) times its speed.
    pub fn work_rate(&self) -> f64 {
        let servers = match &self.schedule {
            Some(s) => s.mean_servers(),
            None => f64::from(self.servers),
        };
        servers * self.speed
    }
}

/// When a phase of a run ends: after a number of completed jobs or after a
/// length of simulated time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Jobs(u64),
    Time(f64),
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Jobs(n) => write!(f, "{n} jobs"),
            Limit::Time(t) => write!(f, "time {t}"),
        }
    }
}
