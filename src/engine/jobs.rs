//! The jobs present in a simulation, in a slab whose slots are reused, so
//! memory follows the number of jobs present, not the number simulated.

use crate::job::{Job, JobId};

#[derive(Debug, Default)]
pub(super) struct JobTable {
    slots: Vec<Job>,
    vacant: Vec<JobId>,
}

impl JobTable {
    #[inline]
    pub fn insert(&mut self, job: Job) -> JobId {
        match self.vacant.pop() {
            Some(id) => {
                self.slots[id as usize] = job;
                id
            }
            None => {
                if self.slots.len() == self.slots.capacity() {
                    self.grow();
                }
                self.slots.push(job);
                (self.slots.len() - 1) as JobId
            }
        }
    }

    /// Doubles the table's room into a buffer advised for huge pages
    /// before the jobs are copied in (see [`crate::pages`]): a table of
    /// 200,000 jobs spans 27 MB, read at random.
    #[cold]
    fn grow(&mut self) {
        let mut bigger = crate::pages::with_capacity((self.slots.capacity() * 2).max(64));
        bigger.append(&mut self.slots);
        self.slots = bigger;
    }

    /// Whether slot `id` holds a job present now.
    #[inline]
    pub fn is_live(&self, id: JobId) -> bool {
        self.slots.get(id as usize).is_some_and(|j| j.live)
    }

    #[inline]
    pub fn get(&self, id: JobId) -> &Job {
        &self.slots[id as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, id: JobId) -> &mut Job {
        &mut self.slots[id as usize]
    }

    /// Prefetches slot `id`, if it exists (see [`crate::prefetch`]).
    #[inline(always)]
    pub fn foresee(&self, id: JobId) {
        crate::prefetch::prefetch_item(&self.slots, id as usize);
    }

    /// Frees the slot and returns the job, readable until the next insert.
    #[inline]
    pub fn take(&mut self, id: JobId) -> &mut Job {
        self.vacant.push(id);
        let job = &mut self.slots[id as usize];
        job.live = false;
        job
    }
}
