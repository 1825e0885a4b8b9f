//! A first-in first-out line of waiting jobs that gives one up by id in
//! O(1): the container of `fcfs` and `rr`.
//!
//! Reneging and queue timeouts take jobs out of the middle of the line.
//! A scan for them costs O(n) per removal, which at 10,000 waiting jobs
//! dominated the run. Instead each job keeps, in its `tag`, its place in
//! the line counted from the first job ever queued; `remove` checks that
//! place and leaves a tombstone there, which `dequeue` and `peek` step
//! over. Every job is queued and popped once per stay, so the tombstones
//! cost O(1) amortised, and the order of the others is untouched.

use std::collections::VecDeque;

use crate::job::{Job, JobId};

/// Marks a removed job's place. No real id reaches it: the job table
/// would hold 2^32 − 1 jobs at once first.
const TOMBSTONE: JobId = JobId::MAX;

#[derive(Debug, Clone, Default)]
pub struct Fifo {
    line: VecDeque<JobId>,
    /// Places popped so far (the front's place), modulo 2^32.
    popped: u32,
    /// Tombstones in `line`: fewer than the jobs present, whose ids are
    /// 32-bit. Narrow, so that a queue with its tag fits one cache line.
    removed: u32,
}

impl Fifo {
    #[inline]
    pub fn push(&mut self, id: JobId, job: &mut Job) {
        job.tag = self.popped.wrapping_add(self.line.len() as u32);
        self.line.push_back(id);
    }

    #[inline]
    pub fn pop(&mut self) -> Option<JobId> {
        loop {
            let id = self.line.pop_front()?;
            self.popped = self.popped.wrapping_add(1);
            if id != TOMBSTONE {
                return Some(id);
            }
            self.removed -= 1;
        }
    }

    #[inline]
    pub fn front(&mut self) -> Option<JobId> {
        while self.line.front() == Some(&TOMBSTONE) {
            self.line.pop_front();
            self.popped = self.popped.wrapping_add(1);
            self.removed -= 1;
        }
        self.line.front().copied()
    }

    /// Takes `id` out, if `job` (its record) says it waits here.
    pub fn remove(&mut self, id: JobId, job: &Job) -> bool {
        let place = job.tag.wrapping_sub(self.popped) as usize;
        match self.line.get_mut(place) {
            Some(slot) if *slot == id => {
                *slot = TOMBSTONE;
                self.removed += 1;
                true
            }
            _ => false,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.line.len() - self.removed as usize
    }

    /// Prefetches the front of the line: `as_slices` reads only the
    /// deque's header, never its buffer.
    #[inline(always)]
    pub fn foresee(&self) {
        let (front, back) = self.line.as_slices();
        let first = if front.is_empty() { back } else { front };
        crate::prefetch::prefetch_item(first, 0);
    }

    /// The front of the line, tombstone or not (a tombstone is no job, so
    /// a guess of it prefetches nothing).
    #[inline(always)]
    pub fn next_guess(&self) -> Option<JobId> {
        self.line.front().copied()
    }
}

/// The [`super::Policy`] methods of a discipline whose waiting line is a
/// [`Fifo`] in its field `queue` (fcfs, and rr between quanta): written
/// once, so the two cannot drift apart. Expands inside the `impl`.
macro_rules! fifo_line_methods {
    () => {
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
    };
}
pub(super) use fifo_line_methods;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_keeps_the_order_of_the_others_against_a_plain_list() {
        // Random pushes, pops and removals against a Vec scanned by hand.
        let mut jobs: Vec<Job> = (0..64).map(|i| Job::new(i, 0, 0, 0, 0.0, 1.0)).collect();
        let mut fifo = Fifo::default();
        let mut plain: Vec<JobId> = Vec::new();
        let mut state = 12345u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let id = (next() % 64) as JobId;
            match next() % 3 {
                0 if !plain.contains(&id) => {
                    fifo.push(id, &mut jobs[id as usize]);
                    plain.push(id);
                }
                1 => {
                    let expect = (!plain.is_empty()).then(|| plain.remove(0));
                    assert_eq!(fifo.front(), expect);
                    assert_eq!(fifo.pop(), expect);
                }
                _ => {
                    let was = plain.iter().position(|&x| x == id).map(|i| plain.remove(i));
                    assert_eq!(fifo.remove(id, &jobs[id as usize]), was.is_some());
                }
            }
            assert_eq!(fifo.len(), plain.len());
            // The guess is the next job out, or a tombstone (no job) in
            // front of it; prefetching the front changes nothing.
            fifo.foresee();
            let guess = fifo.next_guess();
            assert!(guess == plain.first().copied() || guess == Some(TOMBSTONE));
        }
    }

    #[test]
    fn a_job_not_waiting_is_not_removed() {
        let mut jobs: Vec<Job> = (0..3).map(|i| Job::new(i, 0, 0, 0, 0.0, 1.0)).collect();
        let mut fifo = Fifo::default();
        fifo.push(0, &mut jobs[0]);
        fifo.push(1, &mut jobs[1]);
        assert_eq!(fifo.pop(), Some(0));
        // Job 0 has left the line; its stale place must not hit job 1.
        assert!(!fifo.remove(0, &jobs[0]));
        // A job never queued here, whose tag points at a real place.
        jobs[2].tag = jobs[1].tag;
        assert!(!fifo.remove(2, &jobs[2]));
        assert_eq!(fifo.len(), 1);
    }
}
