//! The task lifecycle: attempts that time out or fail, retries spaced by a
//! backoff, and what happens to a task that is given up.
//!
//! ```text
//!            +------------------ retry-wait <------------------+
//!            v                                                  | failed / timed out,
//! arrive -> queued -> running -> completed                      | attempts left
//!            |          +-------------------------------------->+
//!            |          +-> failed / timed out, none left -+
//!            +-> queue_timeout, deadline ------------------+-> gave up (dead letter)
//!                                                          +-> rolled back (compensation ran)
//! ```
//!
//! Every task (a job's visit to a node) follows it. An attempt's fate is
//! decided when it starts, from draws keyed by (replication, job, visit,
//! attempt), so every policy sees the same failures for the same attempts
//! and the real backend can replay them: the attempt ends at the work
//! where it fails or where its timeout cuts it, whichever comes first
//! ([`Attempts::plan`]). The engine turns that into the remaining work at
//! which the server's event comes (the job's `cut`), so an attempt costs
//! no event beyond its service end.

pub mod backoff;
mod config;

pub use backoff::{Backoff, Jitter, Retry};
pub use config::RawAttempts;

use rand_pcg::Pcg64Mcg;

use crate::model::Dist;
use crate::workload::{Purpose, mix, visit_draw, visit_key, visit_uniform};

/// How attempts fail on their own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Failure {
    None,
    /// Each attempt fails with probability `p`: at a uniform point of its
    /// work, or when its work is done (`at_end`).
    Probability {
        p: f64,
        at_end: bool,
    },
    /// Failures come at this rate per unit of time in service (a Poisson
    /// process on the server's busy time, so time to failure ~ Exp(rate)).
    Rate(f64),
}

impl Failure {
    /// The work attained at which an attempt needing `work` at `speed`
    /// fails, or `None` when it does not; `u1`, `u2` are uniform on [0, 1).
    pub fn point(&self, work: f64, speed: f64, u1: f64, u2: f64) -> Option<f64> {
        match *self {
            Failure::None => None,
            Failure::Probability { p, at_end } => {
                (u1 < p).then_some(if at_end { work } else { u2 * work })
            }
            Failure::Rate(g) => {
                // Inversion: T = -ln(1 - u) / g, in time on the server.
                let t = -(-u1).ln_1p() / g;
                let w = t * speed;
                (w < work).then_some(w)
            }
        }
    }
}

/// How an attempt ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptEnd {
    Completed,
    Failed,
    /// Cut off at its timeout.
    TimedOut,
    /// Stopped from outside while it ran (the task's deadline).
    Killed,
}

/// Why a task was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// Its last allowed attempt failed.
    Attempts = 0,
    /// Its last allowed attempt timed out.
    Timeout = 1,
    /// No attempt had started `queue_timeout` after it arrived.
    QueueTimeout = 2,
    /// `deadline` passed since it arrived.
    Deadline = 3,
}

impl GiveUp {
    pub const ALL: [GiveUp; 4] = [
        GiveUp::Attempts,
        GiveUp::Timeout,
        GiveUp::QueueTimeout,
        GiveUp::Deadline,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GiveUp::Attempts => "attempts",
            GiveUp::Timeout => "timeout",
            GiveUp::QueueTimeout => "queue_timeout",
            GiveUp::Deadline => "deadline",
        }
    }
}

/// What becomes of a task that is given up.
#[derive(Debug, Clone)]
pub enum OnGiveUp {
    /// It leaves at once (the dead-letter queue).
    DeadLetter,
    /// A compensation task of this demand runs on the same node; the job
    /// then ends as rolled back.
    Rollback(Dist),
}

/// A class's attempt rules (`[classes.attempts]`).
#[derive(Debug, Clone)]
pub struct Attempts {
    /// Longest time in service of one attempt (infinite for none).
    pub timeout: f64,
    /// Longest wait from arrival to the first attempt's start.
    pub queue_timeout: f64,
    /// Longest time from arrival to the task's end.
    pub deadline: f64,
    pub failure: Failure,
    pub retry: Retry,
    pub on_give_up: OnGiveUp,
    /// Whether a new attempt draws a new requirement from the class's
    /// demand (the attempt's duration varies, as in Bernoulli feedback),
    /// rather than doing the same work again.
    pub resample: bool,
}

/// The fate of an attempt, decided when it starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptPlan {
    pub ends: AttemptEnd,
    /// Work attained by the attempt when it ends.
    pub work: f64,
}

impl Attempts {
    /// The fate of an attempt that needs `work` at `speed`: it fails at its
    /// failure point or times out after `timeout · speed` of work,
    /// whichever comes first (a failure at the very instant of the
    /// timeout counts as the failure), or completes.
    pub fn plan(&self, work: f64, speed: f64, u1: f64, u2: f64) -> AttemptPlan {
        self.plan_within(work, self.timeout * speed, speed, u1, u2)
    }

    /// The fate of an attempt as far as its work decides it: it fails at
    /// its failure point, or completes. At a sharing node an attempt's
    /// work and its time in service do not run at a fixed ratio (the
    /// share changes with every arrival), so its timeout is a timer on the
    /// calendar instead of a point of its work.
    pub fn plan_untimed(&self, work: f64, speed: f64, u1: f64, u2: f64) -> AttemptPlan {
        self.plan_within(work, f64::INFINITY, speed, u1, u2)
    }

    fn plan_within(&self, work: f64, limit: f64, speed: f64, u1: f64, u2: f64) -> AttemptPlan {
        match self.failure.point(work, speed, u1, u2) {
            Some(w) if w <= limit => AttemptPlan {
                ends: AttemptEnd::Failed,
                work: w,
            },
            _ if limit < work => AttemptPlan {
                ends: AttemptEnd::TimedOut,
                work: limit,
            },
            _ => AttemptPlan {
                ends: AttemptEnd::Completed,
                work,
            },
        }
    }

    /// The reason a task whose last attempt ended as `end` is given up.
    pub fn reason(end: AttemptEnd) -> GiveUp {
        match end {
            AttemptEnd::TimedOut => GiveUp::Timeout,
            _ => GiveUp::Attempts,
        }
    }
}

/// Keys of the lifecycle's draws, per replication; each draw is a pure
/// function of (key, job, visit, attempt), so it does not depend on the
/// policy, the thread, or the backend that runs the attempt.
#[derive(Debug, Clone, Copy)]
pub struct Draws {
    pub failure: u64,
    pub backoff: u64,
    pub rollback: u64,
    /// Requirements of attempts after the first, when they are resampled.
    pub size: u64,
}

impl Draws {
    /// The keys of replication `replication` of a run seeded `seed`, as
    /// the engine derives them: the real backend replays replication 0's
    /// attempts with these, so both meet the same failures.
    pub fn new(seed: u64, replication: u32) -> Draws {
        Draws {
            failure: visit_key(seed, replication, Purpose::Attempt),
            backoff: visit_key(seed, replication, Purpose::Backoff),
            rollback: visit_key(seed, replication, Purpose::Rollback),
            size: visit_key(seed, replication, Purpose::Retry),
        }
    }

    /// The demand of the compensation task of visit `visit` of job `seq`.
    pub fn rollback_size(&self, demand: &Dist, seq: u64, visit: u32) -> f64 {
        sample(demand, self.rollback, seq, visit)
    }

    /// The requirement of the attempt after attempt `attempt`, when
    /// attempts draw their requirement anew (`sizes = "resample"`).
    pub fn retry_size(&self, demand: &Dist, seq: u64, visit: u32, attempt: u32) -> f64 {
        sample(demand, mix(self.size ^ u64::from(attempt)), seq, visit)
    }

    /// Two independent uniforms for attempt `attempt` of a task.
    pub fn failure(&self, seq: u64, visit: u32, attempt: u32) -> (f64, f64) {
        let key = mix(self.failure ^ u64::from(attempt));
        (
            visit_uniform(key, seq, visit),
            visit_uniform(!key, seq, visit),
        )
    }

    /// The uniform that jitters the delay after attempt `attempt`.
    pub fn backoff(&self, seq: u64, visit: u32, attempt: u32) -> f64 {
        visit_uniform(mix(self.backoff ^ u64::from(attempt)), seq, visit)
    }
}

/// A draw of `d` for visit `visit` of job `seq`: a pure function of
/// (key, job, visit), drawn as the engine draws visit demands.
pub fn sample(d: &Dist, key: u64, seq: u64, visit: u32) -> f64 {
    let high = visit_draw(key, seq, visit);
    let low = visit_draw(!key, seq, visit);
    let mut rng = Pcg64Mcg::new((u128::from(high) << 64) | u128::from(low));
    d.sample(&mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(failure: Failure, timeout: f64) -> Attempts {
        Attempts {
            timeout,
            queue_timeout: f64::INFINITY,
            deadline: f64::INFINITY,
            failure,
            retry: Retry::NONE,
            on_give_up: OnGiveUp::DeadLetter,
            resample: false,
        }
    }

    #[test]
    fn the_earlier_of_failure_and_timeout_ends_an_attempt() {
        let p = Failure::Probability {
            p: 0.5,
            at_end: false,
        };
        // Fails (u1 < p) at 0.25 of 4 = 1; timeout at 2 · speed 1.
        let plan = rule(p, 2.0).plan(4.0, 1.0, 0.1, 0.25);
        assert_eq!(plan.ends, AttemptEnd::Failed);
        assert_eq!(plan.work, 1.0);
        // Fails at 0.75 of 4 = 3, after the timeout's 2 units of work.
        let plan = rule(p, 2.0).plan(4.0, 1.0, 0.1, 0.75);
        assert_eq!((plan.ends, plan.work), (AttemptEnd::TimedOut, 2.0));
        // No failure (u1 ≥ p), a timeout longer than the work: completes.
        let plan = rule(p, 5.0).plan(4.0, 1.0, 0.9, 0.75);
        assert_eq!((plan.ends, plan.work), (AttemptEnd::Completed, 4.0));
        // At speed 2 a timeout of 2 covers 4 units of work: not cut.
        let plan = rule(Failure::None, 2.0).plan(4.0, 2.0, 0.0, 0.0);
        assert_eq!(plan.ends, AttemptEnd::Completed);
    }

    #[test]
    fn failures_at_the_end_and_by_rate() {
        let end = Failure::Probability {
            p: 0.3,
            at_end: true,
        };
        assert_eq!(end.point(4.0, 1.0, 0.2, 0.1), Some(4.0));
        assert_eq!(end.point(4.0, 1.0, 0.3, 0.1), None);
        // Rate 0.5: u = 1 - e^{-1} gives T = 2, work 2 · speed 1.5 = 3 < 4.
        let rate = Failure::Rate(0.5);
        let u = 1.0 - (-1.0f64).exp();
        let w = rate.point(4.0, 1.5, u, 0.0).unwrap();
        assert!((w - 3.0).abs() < 1e-12, "{w}");
        assert_eq!(rate.point(2.0, 1.5, u, 0.0), None);
    }

    #[test]
    fn draws_differ_by_attempt_and_repeat_for_the_same_one() {
        let d = Draws {
            failure: 7,
            backoff: 8,
            rollback: 9,
            size: 10,
        };
        assert_eq!(d.failure(3, 0, 1), d.failure(3, 0, 1));
        assert_ne!(d.failure(3, 0, 1), d.failure(3, 0, 2));
        assert_ne!(d.failure(3, 0, 1).0, d.failure(3, 0, 1).1);
        assert_ne!(d.backoff(3, 0, 1), d.backoff(3, 1, 1));
    }
}
