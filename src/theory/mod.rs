//! Closed forms of queueing theory, one function per result, each with its
//! formula and a reference.
//!
//! Every function returns `Result<_, TheoryError>`: a load of 1 or more is
//! [`TheoryError::Unstable`], never a NaN or an infinity passed off as a
//! number, and a parameter out of range is [`TheoryError::Invalid`].
//! Little's law (`L = λW`, `Lq = λWq`) links the four means everywhere,
//! through [`Metrics::from_wait`].
//!
//! References used throughout:
//! - Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley (1975);
//! - Kleinrock, *Queueing Systems, Vol. 2: Computer Applications*, Wiley (1976);
//! - Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed., Wiley (2008);
//! - Harchol-Balter, *Performance Modeling and Design of Computer Systems*, CUP (2013).

mod approx;
mod attempts;
mod batch;
mod closed;
mod failures;
mod impatience;
pub(crate) mod integrate;
mod markovian;
mod mg1;
mod network;
mod product_form;
mod scenario;

pub use approx::{allen_cunneen, kingman};
pub use attempts::{mean_attempts, mmc_feedback, p_give_up, restart_completion};
pub use batch::mxg1;
pub use closed::{ClosedMetrics, Station, mva, repairman};
pub use failures::{availability, resume_completion};
pub use impatience::{Impatient, mmc_impatient};
pub use markovian::{
    MmcMetrics, MmckMetrics, erlang_b, erlang_b_direct, erlang_c, mm_inf, mm1,
    mm1_response_quantile, mmc, mmc_queue_length_pmf, mmc_response_quantile, mmc_response_tail,
    mmc_wait_quantile, mmc_wait_tail, mmck,
};
pub use mg1::{
    ClassLoad, md1, mg1, mg1_fb, mg1_lcfs_pr, mg1_ps, mg1_srpt, priority_nonpreemptive,
    priority_preemptive_resume,
};
pub use network::{JacksonNode, JacksonResult, jackson};
pub use scenario::{Prediction, instability, predict, predict_rows};

use serde::Serialize;

/// Why a formula gives no number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TheoryError {
    /// The offered load reaches or exceeds capacity: no steady state.
    #[error("unstable: load {rho:.4} >= 1, no steady state")]
    Unstable { rho: f64 },
    /// A parameter is out of its range.
    #[error("invalid parameter {name} = {value}: {reason}")]
    Invalid {
        name: &'static str,
        value: f64,
        reason: &'static str,
    },
    /// The formula needs something the input does not have (e.g. a finite
    /// second moment).
    #[error("not applicable: {0}")]
    NotApplicable(String),
}

pub type Result<T> = std::result::Result<T, TheoryError>;

/// Whether a value is exact or an approximation (Kingman, Allen-Cunneen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Exact,
    Approximation,
}

/// Steady-state means of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Offered load per server, `λ E[S] / c`.
    pub rho: f64,
    /// Mean time in queue, `Wq`.
    pub mean_wait: f64,
    /// Mean time in system, `W = Wq + E[S]` for work-conserving FCFS-like
    /// queues (in general, whatever the formula gives).
    pub mean_response: f64,
    /// Mean number waiting, `Lq = λ Wq`.
    pub mean_in_queue: f64,
    /// Mean number present, `L = λ W`.
    pub mean_in_system: f64,
}

impl Metrics {
    /// Builds the four means from the mean wait by Little's law:
    /// `W = Wq + E[S]`, `Lq = λ Wq`, `L = λ W`.
    pub fn from_wait(lambda: f64, mean_wait: f64, mean_service: f64, rho: f64) -> Metrics {
        Metrics::from_response(lambda, mean_wait + mean_service, mean_service, rho)
    }

    /// Builds the four means from the mean response time by Little's law,
    /// with `Wq = W − E[S]`.
    pub fn from_response(lambda: f64, mean_response: f64, mean_service: f64, rho: f64) -> Metrics {
        let mean_wait = mean_response - mean_service;
        Metrics {
            rho,
            mean_wait,
            mean_response,
            mean_in_queue: lambda * mean_wait,
            mean_in_system: lambda * mean_response,
        }
    }
}

/// Checks a rate-like parameter: finite and > 0.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(TheoryError::Invalid {
            name,
            value,
            reason: "must be a finite number greater than 0",
        })
    }
}

/// Fails with `Unstable` unless `rho < 1`.
pub(crate) fn stable(rho: f64) -> Result<f64> {
    if rho < 1.0 {
        Ok(rho)
    } else {
        Err(TheoryError::Unstable { rho })
    }
}
