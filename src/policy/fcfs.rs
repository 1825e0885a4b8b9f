//! First come, first served.
//!
//! Ties: jobs that arrive at the same instant are served in arrival order
//! (`Job::seq`), which is the order the workload produced them.

use super::config::{PolicyConfig, PolicyContext};
use super::fifo::Fifo;
use super::{Discipline, Policy};
use crate::error::FieldError;
use crate::job::{Job, JobId};

#[derive(Debug, Clone, Default)]
pub struct Fcfs {
    queue: Fifo,
}

impl Policy for Fcfs {
    #[inline]
    fn enqueue(&mut self, id: JobId, job: &mut Job, _now: f64) {
        self.queue.push(id, job);
    }

    #[inline]
    fn dequeue(&mut self, _now: f64) -> Option<JobId> {
        self.queue.pop()
    }

    fn peek(&mut self, _now: f64) -> Option<JobId> {
        self.queue.front()
    }

    fn remove(&mut self, id: JobId, job: &Job, _now: f64) -> bool {
        self.queue.remove(id, job)
    }

    #[inline]
    fn len(&self) -> usize {
        self.queue.len()
    }

    #[inline(always)]
    fn foresee(&self) {
        self.queue.foresee();
    }

    #[inline(always)]
    fn next_guess(&self) -> Option<JobId> {
        self.queue.next_guess()
    }
}

impl Discipline for Fcfs {
    const NAME: &'static str = "fcfs";
    const ALIASES: &'static [&'static str] = &["fifo"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(Fcfs::default())
    }
}
