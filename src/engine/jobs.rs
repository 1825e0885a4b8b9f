//! The jobs present in a simulation, in a slab whose slots are reused, so
//! memory follows the number of jobs present, not the number simulated.

use crate::job::{Job, JobId};

#[derive(Debug, Default)]
pub(super) struct JobTable {
    slots: Vec<Job>,
    /// Whether each slot holds a job present (timers check it: a slot
    /// left vacant still reads as its last job until reused).
    live: Vec<bool>,
    vacant: Vec<JobId>,
}

impl JobTable {
    #[inline]
    pub fn insert(&mut self, job: Job) -> JobId {
        match self.vacant.pop() {
            Some(id) => {
                self.slots[id as usize] = job;
                self.live[id as usize] = true;
                id
            }
            None => {
                self.slots.push(job);
                self.live.push(true);
                (self.slots.len() - 1) as JobId
            }
        }
    }

    /// Whether slot `id` holds a job present now.
    #[inline]
    pub fn is_live(&self, id: JobId) -> bool {
        self.live.get(id as usize).copied().unwrap_or(false)
    }

    #[inline]
    pub fn get(&self, id: JobId) -> &Job {
        &self.slots[id as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, id: JobId) -> &mut Job {
        &mut self.slots[id as usize]
    }

    /// Frees the slot and returns the job, readable until the next insert.
    #[inline]
    pub fn take(&mut self, id: JobId) -> &mut Job {
        self.vacant.push(id);
        self.live[id as usize] = false;
        &mut self.slots[id as usize]
    }
}
