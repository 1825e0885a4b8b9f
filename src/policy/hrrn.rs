//! `hrrn`: highest response ratio next, non-preemptive.
//!
//! A free server takes the waiting job with the highest response ratio
//! `(w + s) / s`, where `w` is its wait so far and `s` its size. Ties:
//! earlier arrival first.
//!
//! The ratio of every job grows with time at its own rate `1/s`, so the
//! order of the queue changes between events; the queue is a kinetic
//! tournament ([`KineticMax`]) that keeps the maximum of these lines up to
//! date in O(log² n) amortised per operation instead of a scan per pick.

use super::config::{PolicyConfig, PolicyContext};
use super::kinetic::KineticMax;
use super::{Discipline, Policy};
use crate::error::FieldError;
use crate::job::{Job, JobId};

#[derive(Debug, Clone, Default)]
pub struct Hrrn {
    queue: KineticMax,
}

impl Policy for Hrrn {
    fn enqueue(&mut self, id: JobId, job: &mut Job, now: f64) {
        // (now - a + s) / s = 1 + now/s - a/s: a line in `now` with slope
        // 1/s and intercept 1 - a/s.
        let slope = 1.0 / job.size;
        self.queue
            .insert(now, id, job.seq, slope, 1.0 - job.arrival * slope);
    }

    fn dequeue(&mut self, now: f64) -> Option<JobId> {
        self.queue.pop_max(now)
    }

    fn peek(&mut self, now: f64) -> Option<JobId> {
        self.queue.peek_max(now)
    }

    fn remove(&mut self, id: JobId, _job: &Job, now: f64) -> bool {
        self.queue.remove(now, id)
    }

    fn len(&self) -> usize {
        self.queue.len()
    }
}

impl Discipline for Hrrn {
    const NAME: &'static str = "hrrn";

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(Hrrn::default())
    }
}
