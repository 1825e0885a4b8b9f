//! `sjf`: non-preemptive shortest job first.
//!
//! By true size, or with `estimate_scv = c` by an estimate: the true size
//! times a lognormal factor of mean 1 and squared coefficient of variation
//! `c`, `exp(σ z − σ²/2)` with `σ² = ln(1 + c)` and `z` the job's standard
//! normal draw (`Job::noise`), drawn once per job so every policy compared
//! sees the same estimates. Ties: earlier arrival first.

use super::Discipline;
use super::config::{PolicyConfig, PolicyContext, fmt_param};
use super::indexed::index_policy;
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, Default)]
struct Params {
    /// σ of the log of the estimate factor; 0 for exact sizes.
    sigma: f64,
    scv: f64,
}

index_policy!(
    /// Shortest (estimated) job first, non-preemptive.
    Sjf, preemptive = false, key = |self, job| {
        if self.params.sigma == 0.0 {
            job.size
        } else {
            let s = self.params.sigma;
            job.size * (s * job.noise - 0.5 * s * s).exp()
        }
    },
    estimates = |s| s.params.sigma > 0.0
);

impl Discipline for Sjf {
    const NAME: &'static str = "sjf";
    const ALIASES: &'static [&'static str] = &["spt"];

    fn from_config(config: &PolicyConfig, _: &PolicyContext) -> Result<Self, FieldError> {
        config.allow_only(&["estimate_scv"])?;
        let scv = config.non_negative("estimate_scv", config.estimate_scv)?;
        Ok(Sjf {
            params: Params {
                sigma: (1.0 + scv).ln().sqrt(),
                scv,
            },
            ..Sjf::default()
        })
    }

    fn label(&self) -> String {
        if self.params.scv > 0.0 {
            format!("sjf(scv={})", fmt_param(self.params.scv))
        } else {
            "sjf".into()
        }
    }
}
