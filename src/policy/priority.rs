//! Class priorities: a lower `priority` number is more urgent.
//!
//! - `priority`: non-preemptive; FCFS within a priority.
//! - `priority-pr`: preemptive-resume; a newcomer of strictly more urgent
//!   priority takes the server of the least urgent job in service, which
//!   later resumes where it stopped. Ties: earlier arrival first, and equal
//!   priority never preempts.

use super::Discipline;
use super::config::{PolicyConfig, PolicyContext};
use super::indexed::index_policy;
use crate::error::FieldError;

type Params = ();

index_policy!(
    /// Non-preemptive priority.
    Priority, preemptive = false, key = |self, job| f64::from(job.priority)
);

index_policy!(
    /// Preemptive-resume priority.
    PriorityPr, preemptive = true, key = |self, job| f64::from(job.priority)
);

impl Discipline for Priority {
    const NAME: &'static str = "priority";
    const ALIASES: &'static [&'static str] = &["priority-np"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(Priority::default())
    }
}

impl Discipline for PriorityPr {
    const NAME: &'static str = "priority-pr";
    const ALIASES: &'static [&'static str] = &["priority-preemptive"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(PriorityPr::default())
    }
}
