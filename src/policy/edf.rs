//! `edf`: earliest deadline first, preemptive.
//!
//! A job's deadline is its arrival plus its class's relative `deadline`
//! (jobs of classes without one have an infinite deadline and come last).
//! A newcomer with a strictly earlier deadline preempts the job in service
//! with the latest one. Ties: earlier arrival first. Runs report the
//! deadline-miss ratio.

use super::Discipline;
use super::config::{PolicyConfig, PolicyContext};
use super::indexed::index_policy;
use crate::error::FieldError;

type Params = ();

index_policy!(
    /// Earliest deadline first (preemptive).
    Edf, preemptive = true, key = |self, job| job.deadline
);

impl Discipline for Edf {
    const NAME: &'static str = "edf";

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(Edf::default())
    }
}
