//! A job (an individual, in Ciw's words): one unit of work that arrives,
//! waits, is served and leaves. Shared by the engine, the policies and the
//! real backend, so it holds only what a scheduler may look at.

/// Index of a job in its engine's table of jobs present.
pub type JobId = u32;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Job {
    /// Arrival order over the whole run; the final tie-breaker of every policy.
    pub seq: u64,
    /// Class at this visit (class switching may change it on the way).
    pub class: u32,
    pub node: u32,
    /// Class priority (lower is more urgent).
    pub priority: i32,
    /// Arrival at the current node.
    pub arrival: f64,
    /// Service requirement of this visit, in time units at speed 1.
    pub size: f64,
    /// Requirement not yet served.
    pub remaining: f64,
    /// The requirement left when the current attempt ends without
    /// completing (it fails or times out there); 0 when it completes. The
    /// server's event comes when `remaining` reaches it.
    pub cut: f64,
    /// Time spent holding a server so far.
    pub served: f64,
    /// When the job first entered service (NaN before).
    pub first_start: f64,
    /// Absolute deadline (infinite when the class has none).
    pub deadline: f64,
    /// A standard normal draw that disciplines scheduling on estimated
    /// sizes turn into their estimate (0 when no discipline needs one).
    pub noise: f64,
    /// Queue level, for multilevel disciplines.
    pub level: u8,
    /// Whether the engine's table holds this job now (false once it has
    /// left: its record stays readable until the slot is reused). Timers
    /// check it; it fits in the record's padding.
    pub(crate) live: bool,
    /// Free for a discipline's own bookkeeping (e.g. a boost epoch).
    pub tag: u32,
    /// Servers this visit holds at once.
    pub width: u32,
    /// The class the job entered as (its per-class statistics row).
    pub origin: u32,
    /// Arrival in the system (the first visit's arrival).
    pub entered: f64,
    /// Visits finished before this one.
    pub visits: u32,
    /// Time spent holding servers in earlier visits.
    pub served_before: f64,
    /// Σ size / speed over earlier visits: the job's time in service
    /// alone, for its slowdown.
    pub demand_time: f64,
    /// Time spent blocked after service over the whole job.
    pub blocked_total: f64,
}

impl Job {
    pub fn new(seq: u64, class: u32, node: u32, priority: i32, arrival: f64, size: f64) -> Job {
        Job {
            seq,
            class,
            node,
            priority,
            arrival,
            size,
            remaining: size,
            cut: 0.0,
            served: 0.0,
            first_start: f64::NAN,
            deadline: f64::INFINITY,
            noise: 0.0,
            level: 0,
            live: true,
            tag: 0,
            width: 1,
            origin: class,
            entered: arrival,
            visits: 0,
            served_before: 0.0,
            demand_time: 0.0,
            blocked_total: 0.0,
        }
    }

    /// Service received so far, in requirement units.
    pub fn attained(&self) -> f64 {
        self.size - self.remaining
    }
}
