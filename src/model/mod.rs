//! The model of the system under study: distributions, job classes, nodes
//! and the scenario that ties them together.

pub mod dist;
pub mod rows;
pub mod scenario;

pub use dist::Dist;
pub use scenario::Scenario;

/// A stream of jobs with its own arrival process and service requirements.
#[derive(Debug, Clone)]
pub struct Class {
    pub name: String,
    /// Distribution of the time between two arrivals of this class.
    pub arrival: Dist,
    /// Distribution of a job's service requirement (work, in time units at speed 1).
    pub service: Dist,
    /// Used by priority disciplines; a lower number is more urgent.
    pub priority: i32,
    /// Index of the node this class is pinned to; `None` when the
    /// scenario's `[dispatch]` rule spreads it over all nodes.
    pub node: Option<usize>,
    /// Relative deadline, if the class has one.
    pub deadline: Option<f64>,
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
