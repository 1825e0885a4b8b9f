//! `mlq`: fixed multilevel queue.
//!
//! Each class belongs to one level; each level has its own discipline;
//! levels are served in strict priority (the first level listed is the
//! most urgent):
//! ```toml
//! [policy]
//! discipline = "mlq"
//! levels = [
//!   { classes = ["interactive"], discipline = "rr", quantum = 2.0 },
//!   { classes = ["batch"], discipline = "fcfs" },
//! ]
//! ```
//! With `preemptive = true` (the default) a job of a higher level preempts
//! one of a lower level; within a level the level's discipline decides,
//! preemption included. Ties: as the level's discipline.

use super::config::{LevelConfig, PolicyConfig, PolicyContext};
use super::{AnyPolicy, Discipline, Policy, QueuePolicy};
use crate::error::FieldError;
use crate::job::{Job, JobId};

#[derive(Debug, Clone)]
pub struct Mlq {
    levels: Vec<QueuePolicy>,
    class_level: Vec<usize>,
    level_names: Vec<String>,
    preempt_levels: bool,
    switch_cost: f64,
    waiting: usize,
}

impl Mlq {
    #[inline]
    fn level(&self, job: &Job) -> usize {
        self.class_level[job.class as usize]
    }
}

impl Policy for Mlq {
    fn enqueue(&mut self, id: JobId, job: &mut Job, now: f64) {
        let l = self.level(job);
        self.levels[l].enqueue(id, job, now);
        self.waiting += 1;
    }

    fn dequeue(&mut self, now: f64) -> Option<JobId> {
        let id = self.levels.iter_mut().find_map(|p| p.dequeue(now))?;
        self.waiting -= 1;
        Some(id)
    }

    fn peek(&mut self, now: f64) -> Option<JobId> {
        self.levels.iter_mut().find_map(|p| p.peek(now))
    }

    fn remove(&mut self, id: JobId, job: &Job, now: f64) -> bool {
        let l = self.level(job);
        let found = self.levels[l].remove(id, job, now);
        self.waiting -= usize::from(found);
        found
    }

    fn len(&self) -> usize {
        self.waiting
    }

    fn preemptive(&self) -> bool {
        self.preempt_levels || self.levels.iter().any(|p| p.preemptive())
    }

    fn outranks(&self, a: &Job, b: &Job, now: f64) -> bool {
        let (la, lb) = (self.level(a), self.level(b));
        if la != lb {
            return self.preempt_levels && la < lb;
        }
        let inner = &self.levels[la];
        inner.preemptive() && inner.outranks(a, b, now)
    }

    fn quantum(&self, job: &Job) -> f64 {
        self.levels[self.level(job)].quantum(job)
    }

    fn slices(&self) -> bool {
        self.levels.iter().any(|l| l.slices())
    }

    fn expire(&mut self, job: &mut Job, now: f64) {
        let l = self.level(job);
        self.levels[l].expire(job, now);
    }

    fn switch_cost(&self) -> f64 {
        self.switch_cost
    }

    fn uses_size_estimates(&self) -> bool {
        self.levels.iter().any(|p| p.uses_size_estimates())
    }
}

impl Discipline for Mlq {
    const NAME: &'static str = "mlq";

    fn from_config(config: &PolicyConfig, context: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&["levels", "preemptive", "switch_cost"])?;
        let levels = config.levels.as_ref().ok_or_else(|| {
            FieldError::new(
                config.field("levels"),
                "(missing)",
                "mlq needs `levels = [{ classes = [...], discipline = \"...\" }, ...]`",
            )
        })?;
        let mut class_level = vec![usize::MAX; context.class_names.len()];
        let mut policies = Vec::new();
        let mut names = Vec::new();
        for (i, level) in levels.iter().enumerate() {
            let field = format!("{}[{i}]", config.field("levels"));
            let LevelConfig::Table(table) = level else {
                return Err(FieldError::new(
                    field,
                    "(not a table)",
                    "an mlq level is a table with `classes` and `discipline`",
                ));
            };
            let mut inner = table.clone();
            inner.path = field.clone();
            let classes = inner.classes.take().ok_or_else(|| {
                FieldError::new(
                    format!("{field}.classes"),
                    "(missing)",
                    "name the classes served at this level",
                )
            })?;
            for name in &classes {
                let k = context
                    .class_names
                    .iter()
                    .position(|c| c == name)
                    .ok_or_else(|| {
                        FieldError::new(
                            format!("{field}.classes"),
                            format!("\"{name}\""),
                            format!(
                                "no such class; classes are: {}",
                                context.class_names.join(", ")
                            ),
                        )
                    })?;
                if class_level[k] != usize::MAX {
                    return Err(FieldError::new(
                        format!("{field}.classes"),
                        format!("\"{name}\""),
                        "this class is already served at another level",
                    ));
                }
                class_level[k] = i;
            }
            if inner.discipline == Self::NAME {
                return Err(FieldError::new(
                    format!("{field}.discipline"),
                    "\"mlq\"",
                    "levels cannot nest mlq",
                ));
            }
            let policy = AnyPolicy::from_config(&inner, context)?;
            names.push(format!("{}:{}", classes.join("+"), policy.label()));
            let AnyPolicy::Queue(policy) = policy else {
                return Err(FieldError::new(
                    format!("{field}.discipline"),
                    format!("\"{}\"", inner.discipline),
                    "a level holds a queue; a sharing discipline (ps, fb) cannot be one level of mlq",
                ));
            };
            policies.push(policy);
        }
        if let Some(k) = class_level.iter().position(|&l| l == usize::MAX) {
            return Err(FieldError::new(
                config.field("levels"),
                format!("(class \"{}\")", context.class_names[k]),
                "every class must be served at some level",
            ));
        }
        Ok(Mlq {
            levels: policies,
            class_level,
            level_names: names,
            preempt_levels: config.preemptive.unwrap_or(true),
            switch_cost: config.non_negative("switch_cost", config.switch_cost)?,
            waiting: 0,
        })
    }

    fn label(&self) -> String {
        format!("mlq({})", self.level_names.join("|"))
    }
}
