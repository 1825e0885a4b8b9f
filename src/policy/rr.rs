//! `rr`: round robin with a `quantum` and an optional `switch_cost`.
//!
//! A job runs for at most one quantum, then goes to the back of the queue.
//! A job arriving at the instant a quantum expires enters the queue before
//! the preempted job (the engine handles arrivals first at equal times).
//! A server that starts a job other than the one it ran last spends
//! `switch_cost` first, doing no work (a server's very first job costs no
//! switch). Cost: O(1) per quantum, so a run
//! costs in proportion to the number of quanta served.

use super::config::{PolicyConfig, PolicyContext, fmt_param};
use super::fifo::{Fifo, fifo_line_methods};
use super::{Discipline, Policy};
use crate::error::FieldError;
use crate::job::{Job, JobId};

#[derive(Debug, Clone)]
pub struct RoundRobin {
    queue: Fifo,
    quantum: f64,
    switch_cost: f64,
}

impl Policy for RoundRobin {
    fifo_line_methods!();

    #[inline]
    fn quantum(&self, _job: &Job) -> f64 {
        self.quantum
    }
    fn slices(&self) -> bool {
        self.quantum.is_finite()
    }
    fn switch_cost(&self) -> f64 {
        self.switch_cost
    }
}

impl Discipline for RoundRobin {
    const NAME: &'static str = "rr";
    const ALIASES: &'static [&'static str] = &["round-robin"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&["quantum", "switch_cost"])?;
        Ok(RoundRobin {
            queue: Fifo::default(),
            quantum: config.require_positive("quantum", config.quantum)?,
            switch_cost: config.non_negative("switch_cost", config.switch_cost)?,
        })
    }

    fn label(&self) -> String {
        if self.switch_cost > 0.0 {
            format!(
                "rr(q={},s={})",
                fmt_param(self.quantum),
                fmt_param(self.switch_cost)
            )
        } else {
            format!("rr(q={})", fmt_param(self.quantum))
        }
    }
}
