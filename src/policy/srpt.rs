//! Size-based preemptive disciplines.
//!
//! - `srpt` (alias `srtf`): shortest remaining processing time first. A
//!   newcomer preempts the job in service with the most remaining work if
//!   its own size is strictly smaller. Ties: earlier arrival first; equal
//!   remaining work never preempts.
//! - `psjf`: preemptive shortest job first by original size. Ties as SRPT.

use super::Discipline;
use super::config::{PolicyConfig, PolicyContext};
use super::indexed::index_policy;
use crate::error::FieldError;

type Params = ();

index_policy!(
    /// Shortest remaining processing time first (preemptive).
    Srpt, preemptive = true, key = |self, job| job.remaining, drains = true
);

index_policy!(
    /// Preemptive shortest job first, by original size.
    Psjf, preemptive = true, key = |self, job| job.size
);

impl Discipline for Srpt {
    const NAME: &'static str = "srpt";
    const ALIASES: &'static [&'static str] = &["srtf"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(Srpt::default())
    }
}

impl Discipline for Psjf {
    const NAME: &'static str = "psjf";

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&[])?;
        Ok(Psjf::default())
    }
}
