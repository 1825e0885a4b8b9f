//! A station: a node in the running simulation, with its server pool, the
//! queue that feeds it and its buffer rule.

use std::collections::VecDeque;

use smallvec::SmallVec;

use crate::job::JobId;

/// The job of an idle server.
pub(super) const IDLE: JobId = JobId::MAX;
/// The job of a down server that holds none: neither idle (nobody is
/// handed it, and the node's idle count left it when it failed or was
/// busy) nor running.
pub(super) const DOWN: JobId = JobId::MAX - 1;

/// One server of a pool: idle, busy with a job, or blocked (holding a job
/// that finished its service and waits for room at its next node).
#[derive(Debug, Clone, Copy)]
pub(super) struct Server {
    pub job: JobId,
    /// Cancellation token of the server's pending event: bumped whenever
    /// that event is cancelled, so the stale event is skipped.
    pub generation: u32,
    /// When the current job began to make progress (after any switch cost).
    pub progress_from: f64,
    /// Whether the pending event is the job's completion (else its quantum ends).
    pub completes: bool,
    /// Held by a visit whose service is over, waiting for room downstream.
    pub blocked: bool,
    /// Held as one of several servers of a rigid visit whose event
    /// belongs to another server.
    pub follower: bool,
    /// The job this server ran last, so resuming it costs no switch.
    pub last_job: JobId,
    /// Failed and not yet repaired (a job it ran may wait on it), or off shift.
    pub down: bool,
    /// Its shift is over: it leaves when its job (or quantum) ends.
    pub leaving: bool,
}

impl Server {
    pub const IDLE: Server = Server {
        job: IDLE,
        generation: 0,
        progress_from: 0.0,
        completes: false,
        blocked: false,
        follower: false,
        last_job: IDLE,
        down: false,
        leaving: false,
    };

    /// Whether the server is running a job now (not idle, not blocked).
    #[inline]
    pub fn running(&self) -> bool {
        self.job < DOWN && !self.blocked && !self.follower && !self.down
    }
}

/// A job blocked after service, waiting for room at its next node.
#[derive(Debug, Clone, Copy)]
pub(super) struct Blocked {
    pub job: JobId,
    /// The server it holds (its lead server), or `SHARED` at a sharing node.
    pub server: u32,
    /// When its service ended.
    pub since: f64,
    /// The class it continues as.
    pub class: u32,
}

/// A node in the running simulation.
pub(super) struct Station {
    pub speed: f64,
    /// Time a server spends switching to a job other than the one it ran last.
    pub switch_cost: f64,
    pub preemptive: bool,
    /// A sharing discipline (ps, fb) serves all jobs at once; `servers`
    /// and `idle` are then unused.
    pub sharing: bool,
    /// Some visit here holds several servers: every start goes through
    /// the queue's head so nobody passes a visit waiting for servers.
    pub rigid: bool,
    pub share_generation: u32,
    pub share_busy: Vec<f64>,
    /// Held inline up to one server and two idle ones: a cluster's
    /// single-server nodes then reach their server without a pointer
    /// chase (a cache miss per event at 100,000 nodes).
    pub servers: SmallVec<[Server; 1]>,
    /// Idle servers, taken last-freed first.
    pub idle: SmallVec<[u32; 2]>,
    /// Index of the discipline that feeds this node: in the simulation's
    /// sharing disciplines if `sharing`, else in its queues (its own, or
    /// the central one under pull dispatching).
    pub queue: usize,
    /// Jobs at the node (waiting, in service or blocked) and the most it holds.
    pub present: u32,
    pub capacity: u32,
    /// Whether a job routed here while full waits on its server (else it is lost).
    pub blocks: bool,
    /// Jobs elsewhere blocked on their servers until this node has room,
    /// first blocked first.
    pub waiting_room: VecDeque<Blocked>,
    /// Jobs at this node whose service is over and that wait for room
    /// downstream, with the node each waits for.
    pub blocked_jobs: Vec<(JobId, u32)>,
    /// Servers of this node held by blocked jobs.
    pub blocked_servers: u32,
    /// Whether its servers fail or work shifts: a freed server then
    /// checks whether it may take the next job.
    pub interrupts: bool,
    /// Its servers' shifts, if it has a schedule.
    pub shifts: Option<Box<super::shifts::StationShifts>>,
    /// Its servers' failures, if they fail.
    pub failures: Option<Box<super::failures::StationFailures>>,
    /// Jobs whose attempt a failure cut short, first to restart on the
    /// next free server.
    pub restarts: VecDeque<JobId>,
    /// The jobs in service by urgency, at a preemptive node with many
    /// servers whose discipline keeps their order while they run.
    pub victims: Option<Box<super::victims::Victims>>,
}

impl Station {
    /// Whether a job arriving now would find the node full.
    #[inline]
    pub fn full(&self) -> bool {
        self.present >= self.capacity
    }

    /// Whether nothing at the node can move by itself: every server is
    /// blocked (or, at a sharing node, every job present is).
    pub fn stuck(&self) -> bool {
        if self.sharing {
            self.present > 0 && self.blocked_jobs.len() as u32 == self.present
        } else {
            self.blocked_servers == self.servers.len() as u32
        }
    }
}

/// The `server` of events and blocked entries that belong to a sharing
/// node as a whole.
pub(super) const SHARED: u32 = u32::MAX;
