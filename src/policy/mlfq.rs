//! `mlfq`: multilevel feedback queue.
//!
//! `levels = [8, 16, "fcfs"]` gives each level its quantum (the last may be
//! "fcfs": run to completion). A new job enters the top level; a job whose
//! quantum expires drops one level (it stays on the last); a job preempted
//! by a newcomer of a higher level keeps its level and goes to the back of
//! its queue (its next run gets a full quantum). A job of a higher level
//! preempts one of a lower level. With `boost = S`, every S time units all
//! jobs present, in service or waiting, move to the top level (queue order:
//! by level, then by queue position). Within a level, FCFS; ties: earlier
//! arrival first.

use std::collections::VecDeque;

use super::config::{LevelConfig, PolicyConfig, PolicyContext, fmt_param, positive};
use super::{Discipline, Policy, RemoveAt};
use crate::error::FieldError;
use crate::job::{Job, JobId};

#[derive(Debug, Clone)]
pub struct Mlfq {
    quanta: Vec<f64>,
    queues: Vec<VecDeque<JobId>>,
    waiting: usize,
    boost: Option<f64>,
    /// Boosts so far; a job whose `tag` is older was boosted to level 0.
    epoch: u32,
    next_boost: f64,
    switch_cost: f64,
}

impl Mlfq {
    /// Applies the boosts due by `now`.
    fn catch_up(&mut self, now: f64) {
        let Some(period) = self.boost else { return };
        if now < self.next_boost {
            return;
        }
        let boosts = ((now - self.next_boost) / period).floor() + 1.0;
        self.epoch += boosts as u32;
        self.next_boost += boosts * period;
        let (top, rest) = self.queues.split_at_mut(1);
        for q in rest {
            top[0].extend(q.drain(..));
        }
    }

    /// A job's level, counting boosts it has not seen yet.
    fn level(&self, job: &Job) -> usize {
        if job.tag < self.epoch {
            0
        } else {
            usize::from(job.level)
        }
    }
}

impl Policy for Mlfq {
    fn enqueue(&mut self, id: JobId, job: &mut Job, now: f64) {
        self.catch_up(now);
        let level = self.level(job);
        job.level = level as u8;
        job.tag = self.epoch;
        self.queues[level].push_back(id);
        self.waiting += 1;
    }

    fn dequeue(&mut self, now: f64) -> Option<JobId> {
        self.catch_up(now);
        let id = self.queues.iter_mut().find_map(|q| q.pop_front())?;
        self.waiting -= 1;
        Some(id)
    }

    fn peek(&mut self, now: f64) -> Option<JobId> {
        self.catch_up(now);
        self.queues.iter().find_map(|q| q.front().copied())
    }

    fn remove(&mut self, id: JobId, _job: &Job, _now: f64) -> bool {
        // A boost may have moved the job since it was enqueued: look everywhere.
        let found = self.queues.iter_mut().any(|q| q.remove_id(id));
        self.waiting -= usize::from(found);
        found
    }

    fn len(&self) -> usize {
        self.waiting
    }

    fn preemptive(&self) -> bool {
        true
    }

    fn outranks(&self, a: &Job, b: &Job, now: f64) -> bool {
        // Boosts due by `now` but not yet applied put everyone on level 0.
        let due = self.boost.is_some() && now >= self.next_boost;
        let level = |j: &Job| if due { 0 } else { self.level(j) };
        level(a) < level(b)
    }

    fn quantum(&self, job: &Job) -> f64 {
        self.quanta[self.level(job)]
    }

    fn slices(&self) -> bool {
        self.quanta.iter().any(|q| q.is_finite())
    }

    fn expire(&mut self, job: &mut Job, now: f64) {
        self.catch_up(now);
        let level = self.level(job);
        job.level = (level + 1).min(self.quanta.len() - 1) as u8;
        job.tag = self.epoch;
    }

    fn switch_cost(&self) -> f64 {
        self.switch_cost
    }
}

impl Discipline for Mlfq {
    const NAME: &'static str = "mlfq";

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&["levels", "boost", "switch_cost"])?;
        let levels = config.levels.as_ref().ok_or_else(|| {
            FieldError::new(
                config.field("levels"),
                "(missing)",
                "mlfq needs `levels`, e.g. [8, 16, \"fcfs\"]",
            )
        })?;
        if levels.is_empty() || levels.len() > 255 {
            return Err(FieldError::new(
                config.field("levels"),
                "[...]",
                "give between 1 and 255 levels",
            ));
        }
        let mut quanta = Vec::new();
        for (i, level) in levels.iter().enumerate() {
            let field = format!("{}[{i}]", config.field("levels"));
            let q = match level {
                LevelConfig::Quantum(q) => positive(&field, *q)?,
                LevelConfig::Name(n) if n == "fcfs" && i + 1 == levels.len() => f64::INFINITY,
                LevelConfig::Name(n) => {
                    return Err(FieldError::new(
                        field,
                        format!("\"{n}\""),
                        "a level is a quantum; only the last may be \"fcfs\"",
                    ));
                }
                LevelConfig::Table(_) => {
                    return Err(FieldError::new(
                        field,
                        "{ ... }",
                        "an mlfq level is a quantum or \"fcfs\"",
                    ));
                }
            };
            quanta.push(q);
        }
        let boost = config
            .boost
            .map(|b| positive(&config.field("boost"), b))
            .transpose()?;
        Ok(Mlfq {
            queues: vec![VecDeque::new(); quanta.len()],
            quanta,
            waiting: 0,
            boost,
            epoch: 0,
            next_boost: boost.unwrap_or(f64::INFINITY),
            switch_cost: config.non_negative("switch_cost", config.switch_cost)?,
        })
    }

    fn label(&self) -> String {
        let levels: Vec<String> = self
            .quanta
            .iter()
            .map(|q| {
                if q.is_finite() {
                    fmt_param(*q)
                } else {
                    "fcfs".into()
                }
            })
            .collect();
        match self.boost {
            Some(b) => format!("mlfq({};boost={})", levels.join(","), fmt_param(b)),
            None => format!("mlfq({})", levels.join(",")),
        }
    }
}
