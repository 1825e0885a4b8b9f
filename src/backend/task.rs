//! A task of the real run: its lifecycle and its timestamps.
//!
//! ```text
//! queued --> running --> completed
//!   ^           |  \---> failed     (the work failed, no retry left)
//!   |           |   \--> timed out  (cut off at the timeout, no retry left)
//!   +-- preempted (slice end, a more urgent task, or a quantum expired)
//!   +-- queued again for a retry (failed or timed out, retries left)
//! ```
//! Timestamps are `Instant`s; [`TaskRecord`] turns them into model time
//! units (seconds since the run's start divided by the time scale), so the
//! statistics and theory code reads them like simulated times.

use std::time::Instant;

/// Where a task is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Not yet released by the dispatcher.
    Pending,
    /// Waiting in its pool's policy queue (new, or retried).
    Queued,
    /// Holding a worker.
    Running,
    /// Back in the queue after a slice (preempted or quantum expired).
    Preempted,
    Completed,
    /// The last attempt failed (injected failure) and no retry was left.
    Failed,
    /// The last attempt exceeded the timeout and no retry was left.
    TimedOut,
}

impl TaskState {
    /// Whether the task is finished for good.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Completed | TaskState::Failed | TaskState::TimedOut
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Preempted => "preempted",
            TaskState::Completed => "completed",
            TaskState::Failed => "failed",
            TaskState::TimedOut => "timed out",
        }
    }
}

/// A task as the pool tracks it while the run goes on.
#[derive(Debug, Clone)]
pub struct Task {
    pub state: TaskState,
    /// Scheduled release instant (the scaled arrival time).
    pub due: Instant,
    /// When the dispatcher actually released it.
    pub released: Option<Instant>,
    /// When it last became ready to run (released, preempted, retried):
    /// the start of its current stay in the queue.
    pub ready: Option<Instant>,
    pub first_start: Option<Instant>,
    pub finished: Option<Instant>,
    /// Real time spent holding a worker, all attempts together.
    pub served: std::time::Duration,
    /// Attempts started (1 + retries used).
    pub attempts: u32,
    /// Slices run, and how many of them ended with the task leaving its worker.
    pub slices: u32,
    pub preemptions: u32,
    /// Attempts that failed or timed out (retried or not).
    pub failures: u32,
    pub timeouts: u32,
}

impl Task {
    pub fn new(due: Instant) -> Task {
        Task {
            state: TaskState::Pending,
            due,
            released: None,
            ready: None,
            first_start: None,
            finished: None,
            served: std::time::Duration::ZERO,
            attempts: 0,
            slices: 0,
            preemptions: 0,
            failures: 0,
            timeouts: 0,
        }
    }
}

/// A finished task in model time units since the run's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskRecord {
    pub seq: u64,
    pub class: u32,
    pub node: u32,
    pub state: TaskState,
    /// Scheduled arrival (as in the workload).
    pub arrival: f64,
    /// Actual release by the dispatcher.
    pub released: f64,
    /// First time it held a worker (NaN if never).
    pub first_start: f64,
    /// When it reached its final state.
    pub finish: f64,
    /// Time holding a worker, all attempts.
    pub served: f64,
    pub attempts: u32,
    pub slices: u32,
    pub preemptions: u32,
    pub failures: u32,
    pub timeouts: u32,
}

impl TaskRecord {
    /// Finish minus scheduled arrival: the lateness of the release counts
    /// against the backend, as any other overhead.
    pub fn response(&self) -> f64 {
        self.finish - self.arrival
    }

    /// Response minus time holding a worker.
    pub fn wait(&self) -> f64 {
        (self.response() - self.served).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states() {
        for s in [TaskState::Completed, TaskState::Failed, TaskState::TimedOut] {
            assert!(s.is_terminal(), "{}", s.name());
        }
        for s in [
            TaskState::Pending,
            TaskState::Queued,
            TaskState::Running,
            TaskState::Preempted,
        ] {
            assert!(!s.is_terminal(), "{}", s.name());
        }
    }
}
