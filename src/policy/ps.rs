//! `ps`: egalitarian processor sharing, exact (not a round-robin limit).
//!
//! With `c` servers of speed `v` and `n` jobs present, every job is served
//! at rate `v · min(1, c/n)`. The node keeps a virtual time `V`, the
//! service each present job has received since `V = 0`, advancing at that
//! rate; a job arriving at virtual time `V_a` with requirement `s` leaves
//! when `V` reaches `V_a + s`. Finish tags sit in a binary heap: O(log n)
//! per arrival or departure, whatever `n`. Ties: the earlier arrival
//! leaves first.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::config::{PolicyConfig, PolicyContext};
use super::{Discipline, Sharing};
use crate::error::FieldError;
use crate::job::{Job, JobId};
use crate::order::Total;

/// Ordered by virtual finish time, then arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Tag {
    finish: Total,
    seq: u64,
    id: JobId,
    class: u32,
}

#[derive(Debug, Clone, Default)]
pub struct ProcessorSharing {
    servers: f64,
    speed: f64,
    virtual_time: f64,
    updated: f64,
    tags: BinaryHeap<Reverse<Tag>>,
    per_class: Vec<u32>,
}

impl ProcessorSharing {
    /// Service rate of each job with `n` present.
    fn rate(&self, n: usize) -> f64 {
        self.speed * (self.servers / n as f64).min(1.0)
    }

    fn catch_up(&mut self, now: f64) {
        let n = self.tags.len();
        if n > 0 {
            self.virtual_time += self.rate(n) * (now - self.updated);
        }
        self.updated = now;
    }
}

impl Sharing for ProcessorSharing {
    fn attach(&mut self, servers: u32, speed: f64, classes: usize) {
        self.servers = f64::from(servers);
        self.speed = speed;
        self.per_class = vec![0; classes];
    }
    fn arrive(&mut self, id: JobId, job: &Job, now: f64) {
        self.catch_up(now);
        self.tags.push(Reverse(Tag {
            finish: Total(self.virtual_time + (job.remaining - job.cut)),
            seq: job.seq,
            id,
            class: job.class,
        }));
        self.per_class[job.class as usize] += 1;
    }
    fn next_event(&self) -> f64 {
        match self.tags.peek() {
            None => f64::INFINITY,
            Some(Reverse(t)) => {
                let left = (t.finish.0 - self.virtual_time).max(0.0);
                self.updated + left / self.rate(self.tags.len())
            }
        }
    }
    fn advance(&mut self, now: f64) -> Option<JobId> {
        self.catch_up(now);
        let Reverse(t) = self.tags.pop()?;
        self.per_class[t.class as usize] -= 1;
        Some(t.id)
    }
    fn remove(&mut self, id: JobId, now: f64) -> Option<f64> {
        // The others' finish tags stand: virtual time runs at the rate of
        // the jobs present, so from now on it simply runs faster.
        self.catch_up(now);
        let tag = self
            .tags
            .iter()
            .find(|Reverse(t)| t.id == id)
            .map(|r| r.0)?;
        self.tags.retain(|Reverse(t)| t.id != id);
        self.per_class[tag.class as usize] -= 1;
        Some((tag.finish.0 - self.virtual_time).max(0.0))
    }
    fn len(&self) -> usize {
        self.tags.len()
    }
    fn busy(&self, busy: &mut [f64]) {
        let n = self.tags.len();
        let each = if n == 0 {
            0.0
        } else {
            (self.servers / n as f64).min(1.0)
        };
        for (b, &k) in busy.iter_mut().zip(&self.per_class) {
            *b = f64::from(k) * each;
        }
    }
}

impl Discipline for ProcessorSharing {
    const NAME: &'static str = "ps";
    const ALIASES: &'static [&'static str] = &["processor-sharing"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(ProcessorSharing::default())
    }
}
