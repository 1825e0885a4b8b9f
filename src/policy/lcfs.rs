//! Last come, first served.
//!
//! - `lcfs`: non-preemptive; a free server takes the most recent arrival.
//! - `lcfs-pr`: preemptive-resume; a newcomer always takes the server of
//!   the job in service that arrived earliest, which goes back on the
//!   stack and resumes when everything that came after it is done.
//!
//! Ties (simultaneous arrivals): the later in the workload's order counts
//! as more recent.

use super::config::{PolicyConfig, PolicyContext};
use super::{Discipline, Policy, RemoveAt};
use crate::error::FieldError;
use crate::job::{Job, JobId};

#[derive(Debug, Clone, Default)]
pub struct Lcfs {
    stack: Vec<JobId>,
}

#[derive(Debug, Clone, Default)]
pub struct LcfsPr {
    stack: Vec<JobId>,
}

impl Policy for Lcfs {
    fn enqueue(&mut self, id: JobId, _job: &mut Job, _now: f64) {
        self.stack.push(id);
    }
    fn dequeue(&mut self, _now: f64) -> Option<JobId> {
        self.stack.pop()
    }
    fn peek(&mut self, _now: f64) -> Option<JobId> {
        self.stack.last().copied()
    }
    fn remove(&mut self, id: JobId, _job: &Job, _now: f64) -> bool {
        self.stack.remove_id(id)
    }
    fn len(&self) -> usize {
        self.stack.len()
    }
}

impl Policy for LcfsPr {
    fn enqueue(&mut self, id: JobId, _job: &mut Job, _now: f64) {
        self.stack.push(id);
    }
    fn dequeue(&mut self, _now: f64) -> Option<JobId> {
        self.stack.pop()
    }
    fn peek(&mut self, _now: f64) -> Option<JobId> {
        self.stack.last().copied()
    }
    fn remove(&mut self, id: JobId, _job: &Job, _now: f64) -> bool {
        self.stack.remove_id(id)
    }
    fn len(&self) -> usize {
        self.stack.len()
    }
    fn preemptive(&self) -> bool {
        true
    }
    fn outranks(&self, a: &Job, b: &Job, _now: f64) -> bool {
        a.seq > b.seq
    }
    /// The oldest arrival in service is displaced first (exact while
    /// arrival numbers stay below 2^53).
    fn running_key(&self, job: &Job, _drained: f64) -> Option<f64> {
        Some(-(job.seq as f64))
    }
}

impl Discipline for Lcfs {
    const NAME: &'static str = "lcfs";
    const ALIASES: &'static [&'static str] = &["lifo"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(Lcfs::default())
    }
}

impl Discipline for LcfsPr {
    const NAME: &'static str = "lcfs-pr";

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(LcfsPr::default())
    }
}
