//! First come, first served.
//!
//! Ties: jobs that arrive at the same instant are served in arrival order
//! (`Job::seq`), which is the order the workload produced them.

use super::config::{PolicyConfig, PolicyContext};
use super::fifo::{Fifo, fifo_line_methods};
use super::{Discipline, Policy};
use crate::error::FieldError;
use crate::job::{Job, JobId};

#[derive(Debug, Clone, Default)]
pub struct Fcfs {
    queue: Fifo,
}

impl Policy for Fcfs {
    fifo_line_methods!();
}

impl Discipline for Fcfs {
    const NAME: &'static str = "fcfs";
    const ALIASES: &'static [&'static str] = &["fifo"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(Fcfs::default())
    }
}
