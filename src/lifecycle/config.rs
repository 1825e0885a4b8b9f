//! `[classes.attempts]` as written in a scenario file, and its validation.

use std::path::Path;

use serde::Deserialize;

use super::{Attempts, Backoff, Failure, Jitter, OnGiveUp, Retry};
use crate::error::FieldError;
use crate::model::Dist;
use crate::model::dist::DistSpec;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttempts {
    timeout: Option<f64>,
    queue_timeout: Option<f64>,
    deadline: Option<f64>,
    failure: Option<RawFailure>,
    retry: Option<RawRetry>,
    on_give_up: Option<String>,
    rollback: Option<DistSpec>,
    sizes: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFailure {
    p: Option<f64>,
    at: Option<String>,
    rate: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawRetry {
    Preset(String),
    Table(RawRetryTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetryTable {
    max_attempts: Option<u32>,
    initial: Option<f64>,
    coefficient: Option<f64>,
    max_interval: Option<f64>,
    jitter: Option<String>,
}

/// A time limit: finite and positive, or absent (infinite).
fn limit(value: Option<f64>, field: String) -> Result<f64, FieldError> {
    match value {
        None => Ok(f64::INFINITY),
        Some(t) if t.is_finite() && t > 0.0 => Ok(t),
        Some(t) => Err(FieldError::new(
            field,
            t.to_string(),
            "a time limit must be a finite number greater than 0 (leave it out for none)",
        )),
    }
}

impl RawAttempts {
    /// Validates the section of class `k`; `base` resolves relative paths
    /// of empirical distributions.
    pub fn build(&self, k: usize, base: &Path) -> Result<Attempts, FieldError> {
        let at = |f: &str| format!("classes[{k}].attempts.{f}");
        let timeout = limit(self.timeout, at("timeout"))?;
        let queue_timeout = limit(self.queue_timeout, at("queue_timeout"))?;
        let deadline = limit(self.deadline, at("deadline"))?;
        let failure = match &self.failure {
            None => Failure::None,
            Some(f) => failure(f, &at("failure"))?,
        };
        let retry = match &self.retry {
            None => Retry::NONE,
            Some(RawRetry::Preset(name)) => Retry::preset(name).ok_or_else(|| {
                FieldError::new(
                    at("retry"),
                    format!("{name:?}"),
                    format!(
                        "no such preset; presets are: {} (or a table: {{ max_attempts, initial, coefficient, max_interval, jitter }})",
                        Retry::PRESETS.join(", ")
                    ),
                )
            })?,
            Some(RawRetry::Table(t)) => retry(t, &at("retry"))?,
        };
        if retry.max_attempts == 0 && matches!(failure, Failure::Probability { p, .. } if p >= 1.0)
        {
            return Err(FieldError::new(
                at("failure.p"),
                "1",
                "every attempt fails and retries are unlimited (max_attempts = 0): no task could ever complete; lower p or limit max_attempts",
            ));
        }
        let on_give_up = match (self.on_give_up.as_deref(), &self.rollback) {
            (None | Some("dead-letter"), None) => OnGiveUp::DeadLetter,
            (Some("rollback"), Some(spec)) => {
                OnGiveUp::Rollback(Dist::from_spec(spec, &at("rollback"), base)?)
            }
            (Some("rollback"), None) => {
                return Err(FieldError::new(
                    at("rollback"),
                    "(missing)",
                    "on_give_up = \"rollback\" runs a compensation task: give its demand, e.g. rollback = { dist = \"deterministic\", value = 0.5 }",
                ));
            }
            (None | Some("dead-letter"), Some(_)) => {
                return Err(FieldError::new(
                    at("rollback"),
                    "(given)",
                    "a rollback demand needs on_give_up = \"rollback\"; without it a given-up task is dead-lettered",
                ));
            }
            (Some(other), _) => {
                return Err(FieldError::new(
                    at("on_give_up"),
                    format!("{other:?}"),
                    "expected \"dead-letter\" or \"rollback\"",
                ));
            }
        };
        let resample = match self.sizes.as_deref() {
            None | Some("same") => false,
            Some("resample") => true,
            Some(other) => {
                return Err(FieldError::new(
                    at("sizes"),
                    format!("{other:?}"),
                    "expected \"same\" (every attempt does the task's work again, the default) or \"resample\" (each attempt draws its requirement anew)",
                ));
            }
        };
        Ok(Attempts {
            resample,
            timeout,
            queue_timeout,
            deadline,
            failure,
            retry,
            on_give_up,
        })
    }
}

fn failure(f: &RawFailure, field: &str) -> Result<Failure, FieldError> {
    match (f.p, f.rate) {
        (Some(_), Some(_)) => Err(FieldError::new(
            format!("{field}.rate"),
            "(given with p)",
            "give either p (a probability per attempt) or rate (per unit of service time), not both",
        )),
        (None, None) => Err(FieldError::new(
            field,
            "{}",
            "give p (a probability per attempt), e.g. failure = { p = 0.1 }, or rate, e.g. failure = { rate = 0.02 }",
        )),
        (Some(p), None) => {
            if !(0.0..=1.0).contains(&p) {
                return Err(FieldError::new(
                    format!("{field}.p"),
                    p.to_string(),
                    "a probability lies in [0, 1]",
                ));
            }
            let at_end = match f.at.as_deref() {
                None | Some("uniform") => false,
                Some("end") => true,
                Some(other) => {
                    return Err(FieldError::new(
                        format!("{field}.at"),
                        format!("{other:?}"),
                        "expected \"uniform\" (a uniform point of the service, the default) or \"end\"",
                    ));
                }
            };
            Ok(Failure::Probability { p, at_end })
        }
        (None, Some(rate)) => {
            if let Some(a) = &f.at {
                return Err(FieldError::new(
                    format!("{field}.at"),
                    format!("{a:?}"),
                    "failures at a rate come during service by themselves; `at` goes with p",
                ));
            }
            if !(rate.is_finite() && rate > 0.0) {
                return Err(FieldError::new(
                    format!("{field}.rate"),
                    rate.to_string(),
                    "a failure rate must be a finite number greater than 0",
                ));
            }
            Ok(Failure::Rate(rate))
        }
    }
}

/// A retry table; absent fields take Temporal's defaults (unlimited
/// attempts, initial 1, coefficient 2, cap 100 × initial, no jitter).
fn retry(t: &RawRetryTable, field: &str) -> Result<Retry, FieldError> {
    let initial = t.initial.unwrap_or(1.0);
    if !(initial.is_finite() && initial >= 0.0) {
        return Err(FieldError::new(
            format!("{field}.initial"),
            initial.to_string(),
            "the first delay must be a finite number, 0 or more",
        ));
    }
    let coefficient = t.coefficient.unwrap_or(2.0);
    if !(coefficient.is_finite() && coefficient >= 1.0) {
        return Err(FieldError::new(
            format!("{field}.coefficient"),
            coefficient.to_string(),
            "the backoff coefficient must be at least 1 (delays that shrink are not a backoff)",
        ));
    }
    let max_interval = t.max_interval.unwrap_or(100.0 * initial);
    if max_interval.is_nan() || max_interval < initial {
        return Err(FieldError::new(
            format!("{field}.max_interval"),
            max_interval.to_string(),
            format!("the cap on delays must be at least the first delay ({initial})"),
        ));
    }
    let jitter = match t.jitter.as_deref() {
        None => Jitter::None,
        Some(s) => Jitter::parse(s).ok_or_else(|| {
            FieldError::new(
                format!("{field}.jitter"),
                format!("{s:?}"),
                "expected \"none\", \"full\" or \"equal\"",
            )
        })?,
    };
    Ok(Retry {
        max_attempts: t.max_attempts.unwrap_or(0),
        backoff: Backoff::Exponential {
            initial,
            coefficient,
            max_interval,
            jitter,
        },
    })
}
