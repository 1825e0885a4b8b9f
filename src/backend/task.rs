//! A task of the real run: its lifecycle and its timestamps.
//!
//! ```text
//!            +------------- backoff <-------------+  failed / timed out,
//!            v                                     |  attempts left
//! pending -> queued -> running -> completed        |
//!            ^  |        |  +----------------------+
//!            |  |        +-> preempted (slice end, quantum) -> queued
//!            |  +-> queue_timeout, deadline ---+
//!            |       (or no attempt left)      +-> dead-lettered
//!            +-- compensation (rollback) <-----+-> ... -> rolled back
//! ```
//! The rules are the scenario's `[classes.attempts]`, run by the shared
//! [`crate::lifecycle`] code: an attempt's fate comes from
//! [`crate::lifecycle::Attempts::plan`] and the seeded draws the
//! simulation uses. Timestamps are `Instant`s; [`TaskRecord`] turns them
//! into model time units (seconds since the run's start divided by the
//! time scale), so the statistics and theory code reads them like
//! simulated times.

use std::time::{Duration, Instant};

use crate::lifecycle::GiveUp;

/// Where a task is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Not yet released by the dispatcher.
    Pending,
    /// Waiting in its pool's policy queue (new, retried, or its compensation).
    Queued,
    /// Holding a worker.
    Running,
    /// Back in the queue after a slice (preempted or quantum expired).
    Preempted,
    /// Waiting out the delay before its next attempt.
    Backoff,
    Completed,
    /// Given up and left at once (the dead-letter queue).
    DeadLettered,
    /// Given up, then its compensation task ran.
    RolledBack,
}

impl TaskState {
    /// Whether the task is finished for good.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Completed | TaskState::DeadLettered | TaskState::RolledBack
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Preempted => "preempted",
            TaskState::Backoff => "backoff",
            TaskState::Completed => "completed",
            TaskState::DeadLettered => "dead-lettered",
            TaskState::RolledBack => "rolled back",
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
    /// Real time spent holding a worker, all attempts and the compensation.
    pub served: Duration,
    /// Of it, the time of attempts that did not complete and of the compensation.
    pub wasted: Duration,
    /// Requirement served by attempts that did not complete and by the
    /// compensation (model units of work).
    pub wasted_work: f64,
    /// Attempts used: started, or (for a task given up) those it used.
    pub attempts: u32,
    /// Slices run, and how many of them ended with the task leaving its worker.
    pub slices: u32,
    pub preemptions: u32,
    /// Attempts that failed, timed out, or were killed by the deadline.
    pub failures: u32,
    pub timeouts: u32,
    pub killed: u32,
    /// Why it was given up, and when.
    pub gave_up: Option<GiveUp>,
    pub gave_up_at: Option<Instant>,
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
            served: Duration::ZERO,
            wasted: Duration::ZERO,
            wasted_work: 0.0,
            attempts: 0,
            slices: 0,
            preemptions: 0,
            failures: 0,
            timeouts: 0,
            killed: 0,
            gave_up: None,
            gave_up_at: None,
        }
    }
}

/// A task in model time units since the run's start, real or simulated.
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
    /// Time holding a worker, all attempts and the compensation.
    pub served: f64,
    /// Of it, attempts that did not complete and the compensation.
    pub wasted_time: f64,
    pub wasted_work: f64,
    /// Attempts used (1 for a class without attempt rules).
    pub attempts: u32,
    pub slices: u32,
    pub preemptions: u32,
    pub failures: u32,
    pub timeouts: u32,
    pub killed: u32,
    pub gave_up: Option<GiveUp>,
    /// When it was given up (NaN if never).
    pub gave_up_at: f64,
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

    /// Whether it reached a final state having used its attempts
    /// (completed or given up), as counted in `attempts_distribution`.
    pub fn ended(&self) -> bool {
        self.state == TaskState::Completed || self.gave_up.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states() {
        for s in [
            TaskState::Completed,
            TaskState::DeadLettered,
            TaskState::RolledBack,
        ] {
            assert!(s.is_terminal(), "{}", s.name());
        }
        for s in [
            TaskState::Pending,
            TaskState::Queued,
            TaskState::Running,
            TaskState::Preempted,
            TaskState::Backoff,
        ] {
            assert!(!s.is_terminal(), "{}", s.name());
        }
    }
}
