//! `fb` (alias `las`): foreground-background, least attained service first.
//!
//! The jobs that have received the least service are served, sharing
//! equally when several have received the same amount; a newcomer (with
//! nothing attained) therefore takes over at once. With `c` servers the
//! servers go to the jobs in order of attained service: a group of `k`
//! jobs with equal attained service gets `min(k, servers left)` servers,
//! shared equally. Exact, not a quantum approximation.
//!
//! Jobs with equal attained service form a group, and groups are kept in
//! order of attained service. Only the lowest groups are served, so they
//! catch up with the next ones and merge, never cross. Each event touches
//! at most `c + 1` groups; a group's jobs sit in a heap by size (the
//! smallest finishes first); merging puts the smaller heap into the larger.
//! Ties: among jobs of a group with equal size, the earlier arrival leaves
//! first.
//!
//! [`BySlices`] (the real backend, which cannot share a worker between
//! tasks) is the queue discipline that approaches it on whole servers. Waiting jobs are kept by attained service (`size - remaining`),
//! least first, ties to the earlier arrival; the discipline is preemptive,
//! and a job outranks another when it has attained strictly less. A worker
//! runs its task a slice at a time and returns to the policy between slices,
//! so a newcomer (nothing attained) displaces a job that has had a slice at
//! the next slice boundary, and jobs with equal attained service take turns
//! (round robin, as each goes back to the queue with one more slice). The
//! engine runs exact `fb` through [`Sharing`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::config::{PolicyConfig, PolicyContext};
use super::indexed::KeyedQueue;
use super::{Discipline, Policy, QueuePolicy, Sharing};
use crate::error::FieldError;
use crate::job::{Job, JobId};
use crate::order::Total;

/// Ordered by size, then arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Member {
    size: Total,
    seq: u64,
    id: JobId,
    class: u32,
}

#[derive(Debug, Clone)]
struct Group {
    /// Service each member has received, as of `LeastAttained::updated`.
    attained: f64,
    members: BinaryHeap<Reverse<Member>>,
    per_class: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct LeastAttained {
    servers: u32,
    speed: f64,
    classes: usize,
    /// Highest attained service first; the last group is served first.
    groups: Vec<Group>,
    updated: f64,
    present: usize,
    /// Jobs whose service was complete at the last catch-up, in the order
    /// they finished, to be handed out by `advance` at that instant.
    finished: VecDeque<JobId>,
}

/// `fb` a slice at a time: waiting jobs by attained service, least first,
/// then by arrival; preemptive.
#[derive(Debug, Clone, Default)]
pub struct BySlices {
    queue: KeyedQueue,
}

/// Amounts of service closer than this (relative) are equal: event times
/// are computed to land exactly on them, up to rounding.
const TOLERANCE: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

impl LeastAttained {
    /// Per-job service rate of each group, from the last (least attained).
    /// Returns (group index, rate) for the groups that are served.
    fn served(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        let mut left = f64::from(self.servers);
        self.groups
            .iter()
            .enumerate()
            .rev()
            .map_while(move |(i, g)| {
                if left <= 0.0 {
                    return None;
                }
                let k = g.members.len() as f64;
                let give = k.min(left);
                left -= give;
                Some((i, self.speed * give / k))
            })
    }

    fn catch_up(&mut self, now: f64) {
        let dt = now - self.updated;
        if dt > 0.0 {
            // The rates of `served`, applied in place (no allocation per event).
            let mut left = f64::from(self.servers);
            for g in self.groups.iter_mut().rev() {
                if left <= 0.0 {
                    break;
                }
                let k = g.members.len() as f64;
                let give = k.min(left);
                left -= give;
                let rate = self.speed * give / k;
                g.attained += rate * dt;
            }
        }
        self.updated = now;
        self.take_finished();
        self.merge_caught_up();
    }

    /// Takes every job whose service is complete out of the served groups
    /// now, before a newcomer can take its server: a job that finishes at
    /// the instant another arrives (D/D/1 at load 1) leaves, instead of
    /// staying, unserved, in a group that never gets a server again.
    fn take_finished(&mut self) {
        let mut i = self.groups.len();
        let mut left = f64::from(self.servers);
        while i > 0 && left > 0.0 {
            i -= 1;
            let g = &mut self.groups[i];
            while let Some(Reverse(m)) = g.members.peek()
                && (close(m.size.0, g.attained) || m.size.0 < g.attained)
            {
                let Reverse(m) = g.members.pop().expect("peeked above");
                g.per_class[m.class as usize] -= 1;
                self.finished.push_back(m.id);
            }
            if g.members.is_empty() {
                self.groups.remove(i);
                continue;
            }
            left -= (g.members.len() as f64).min(left);
        }
    }

    /// Merges every served group that has caught up with the one above it.
    fn merge_caught_up(&mut self) {
        let mut i = self.groups.len();
        let mut left = f64::from(self.servers);
        while i >= 2 && left > 0.0 {
            i -= 1;
            if close(self.groups[i].attained, self.groups[i - 1].attained) {
                let lower = self.groups.remove(i);
                let upper = &mut self.groups[i - 1];
                let (mut big, small) = if lower.members.len() > upper.members.len() {
                    (lower.members, std::mem::take(&mut upper.members))
                } else {
                    (std::mem::take(&mut upper.members), lower.members)
                };
                big.extend(small);
                upper.members = big;
                for (a, b) in upper.per_class.iter_mut().zip(&lower.per_class) {
                    *a += b;
                }
                // `i` now names the merged group's old place; the next pass
                // compares the merged group with the one above it.
                continue;
            }
            left -= (self.groups[i].members.len() as f64).min(left);
        }
    }
}

impl Policy for BySlices {
    fn enqueue(&mut self, id: JobId, job: &mut Job, _now: f64) {
        self.queue.push(job.attained(), job, id);
    }
    fn dequeue(&mut self, _now: f64) -> Option<JobId> {
        self.queue.pop()
    }
    fn peek(&mut self, _now: f64) -> Option<JobId> {
        self.queue.peek()
    }
    fn remove(&mut self, id: JobId, _job: &Job, _now: f64) -> bool {
        self.queue.remove(id)
    }
    fn preemptive(&self) -> bool {
        true
    }
    fn outranks(&self, a: &Job, b: &Job, _now: f64) -> bool {
        a.attained() < b.attained()
    }
    fn len(&self) -> usize {
        self.queue.len()
    }
}

impl Discipline for BySlices {
    const NAME: &'static str = "fb";

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(BySlices::default())
    }
}

impl Sharing for LeastAttained {
    fn attach(&mut self, servers: u32, speed: f64, classes: usize) {
        self.servers = servers;
        self.speed = speed;
        self.classes = classes;
    }
    fn arrive(&mut self, id: JobId, job: &Job, now: f64) {
        self.catch_up(now);
        let attained = job.attained();
        if self
            .groups
            .last()
            .is_none_or(|g| !close(g.attained, attained))
        {
            self.groups.push(Group {
                attained,
                members: BinaryHeap::new(),
                per_class: vec![0; self.classes],
            });
        }
        let g = self.groups.last_mut().expect("a group was just ensured");
        g.members.push(Reverse(Member {
            // The attained service at which it leaves.
            size: Total(job.size - job.cut),
            seq: job.seq,
            id,
            class: job.class,
        }));
        g.per_class[job.class as usize] += 1;
        self.present += 1;
    }
    fn next_event(&self) -> f64 {
        if !self.finished.is_empty() {
            return self.updated;
        }
        let mut next = f64::INFINITY;
        // `served` runs down from the least attained group, so the group
        // above group `i` (index i - 1) is the next one it yields, if served.
        let mut served = self.served().peekable();
        while let Some((i, rate)) = served.next() {
            let g = &self.groups[i];
            if let Some(Reverse(m)) = g.members.peek() {
                next = next.min((m.size.0 - g.attained).max(0.0) / rate);
            }
            // Catching up with the group above, served more slowly or not at all.
            if i > 0 {
                let upper_rate = match served.peek() {
                    Some(&(j, r)) if j == i - 1 => r,
                    _ => 0.0,
                };
                if rate > upper_rate {
                    let gap = (self.groups[i - 1].attained - g.attained).max(0.0);
                    next = next.min(gap / (rate - upper_rate));
                }
            }
        }
        self.updated + next
    }
    fn advance(&mut self, now: f64) -> Option<JobId> {
        self.catch_up(now);
        let id = self.finished.pop_front()?;
        self.present -= 1;
        Some(id)
    }
    fn remove(&mut self, id: JobId, now: f64) -> Option<f64> {
        self.catch_up(now);
        if let Some(k) = self.finished.iter().position(|&f| f == id) {
            self.finished.remove(k);
            self.present -= 1;
            return Some(0.0);
        }
        let i = self
            .groups
            .iter()
            .position(|g| g.members.iter().any(|Reverse(m)| m.id == id))?;
        let g = &mut self.groups[i];
        let member = g
            .members
            .iter()
            .find(|Reverse(m)| m.id == id)
            .map(|Reverse(m)| *m)
            .expect("found above");
        let left = (member.size.0 - g.attained).max(0.0);
        g.members.retain(|Reverse(m)| m.id != id);
        g.per_class[member.class as usize] -= 1;
        if g.members.is_empty() {
            self.groups.remove(i);
        }
        self.present -= 1;
        self.merge_caught_up();
        Some(left)
    }
    fn len(&self) -> usize {
        self.present
    }
    fn busy(&self, busy: &mut [f64]) {
        busy.fill(0.0);
        for (i, rate) in self.served() {
            let share = rate / self.speed;
            for (b, &k) in busy.iter_mut().zip(&self.groups[i].per_class) {
                *b += f64::from(k) * share;
            }
        }
    }
    fn by_slices(&self) -> Option<QueuePolicy> {
        Some(QueuePolicy::FbSlices(BySlices::default()))
    }
}

impl Discipline for LeastAttained {
    const NAME: &'static str = "fb";
    const ALIASES: &'static [&'static str] = &["las"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(LeastAttained::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(seq: u64, size: f64, attained: f64) -> Job {
        let mut j = Job::new(seq, 0, 0, 0, seq as f64, size);
        j.remaining = size - attained;
        j
    }

    #[test]
    fn slice_mode_serves_least_attained_first_and_fifo_among_equals() {
        let mut p = BySlices::default();
        assert!(p.preemptive() && p.is_empty());
        assert!(LeastAttained::default().by_slices().is_some());
        // (id, seq, size, attained)
        let jobs = [
            (0, 0, 5.0, 1.5),
            (1, 1, 2.0, 0.5),
            (2, 2, 9.0, 0.0),
            (3, 3, 1.0, 0.5),
            (4, 4, 3.0, 0.0),
        ];
        let mut table: Vec<Job> = jobs.iter().map(|&(_, q, s, a)| job(q, s, a)).collect();
        for &(id, ..) in &jobs {
            p.enqueue(id, &mut table[id as usize], 0.0);
        }
        assert_eq!(p.len(), 5);
        assert_eq!(p.peek(0.0), Some(2));
        let order: Vec<JobId> = std::iter::from_fn(|| p.dequeue(0.0)).collect();
        // Nothing attained (by arrival), then 0.5 (by arrival), then 1.5.
        assert_eq!(order, [2, 4, 1, 3, 0]);
        assert!(p.is_empty());
    }

    #[test]
    fn slice_mode_newcomer_outranks_a_job_that_has_had_service() {
        let p = BySlices::default();
        let newcomer = job(7, 1.0, 0.0);
        let running = job(3, 10.0, 0.25);
        assert!(p.outranks(&newcomer, &running, 0.0));
        assert!(!p.outranks(&running, &newcomer, 0.0));
        // Equal attained service never preempts, whichever arrived first.
        let twin = job(1, 4.0, 0.25);
        assert!(!p.outranks(&twin, &running, 0.0));
        assert!(!p.outranks(&running, &twin, 0.0));
    }

    #[test]
    fn slice_mode_jobs_with_equal_service_take_turns() {
        // One worker, slices of 1: two jobs of size 3 arriving together
        // alternate, as each goes back with one more slice attained.
        let mut p = BySlices::default();
        let mut table = [job(0, 3.0, 0.0), job(1, 3.0, 0.0)];
        p.enqueue(0, &mut table[0], 0.0);
        p.enqueue(1, &mut table[1], 0.0);
        let mut ran = Vec::new();
        while let Some(id) = p.dequeue(0.0) {
            ran.push(id);
            let j = &mut table[id as usize];
            j.remaining -= 1.0;
            if j.remaining > 0.0 {
                p.enqueue(id, j, 0.0);
            }
        }
        assert_eq!(ran, [0, 1, 0, 1, 0, 1]);
    }
}
