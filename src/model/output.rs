//! `[output]`: choices about what a run reports, not about the system
//! simulated: the bounded slowdown's `tau` and the job-size bins of the
//! fairness rows.
//!
//! ```toml
//! [output]
//! slowdown_tau = 0.1         # default: the 10th percentile of job sizes
//! size_bins = [0.5, 1, 2, 5] # default: the deciles of job sizes
//! timeline = { bin = 1.0 }   # per-bin figures of absolute time (default: none)
//! ```

use serde::Deserialize;

use super::arrival::InstantCount;
use super::{Class, Dist, Scenario};
use crate::error::FieldError;

/// `[output]` as written in a scenario file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    pub slowdown_tau: Option<f64>,
    pub size_bins: Option<Vec<f64>>,
    pub timeline: Option<TimelineSpec>,
}

/// `[output] timeline = { bin = B }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineSpec {
    pub bin: f64,
}

/// The validated `[output]` section (flags may override it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// The `tau` of the bounded slowdown `max(1, T / max(tau, S))`.
    pub slowdown_tau: Option<f64>,
    /// Inner edges of the size bins, positive and increasing: bins are
    /// `[0, e0), [e0, e1), ..., [e_last, ∞)`.
    pub size_bins: Option<Vec<f64>>,
    /// The length of the timeline's bins, when a timeline is asked for.
    pub timeline: Option<f64>,
}

/// Most size-bin edges accepted: the bins are kept per class and per
/// replication, and a plot of more is unreadable.
pub const MAX_SIZE_BINS: usize = 100;

impl Output {
    pub fn from_spec(spec: &OutputSpec) -> Result<Output, FieldError> {
        if let Some(tau) = spec.slowdown_tau {
            positive_time(tau)
                .map_err(|m| FieldError::new("output.slowdown_tau", tau.to_string(), m))?;
        }
        if let Some(edges) = &spec.size_bins {
            check_edges(edges)
                .map_err(|m| FieldError::new("output.size_bins", format!("{edges:?}"), m))?;
        }
        if let Some(t) = &spec.timeline {
            positive_time(t.bin)
                .map_err(|m| FieldError::new("output.timeline.bin", t.bin.to_string(), m))?;
        }
        Ok(Output {
            slowdown_tau: spec.slowdown_tau,
            size_bins: spec.size_bins.clone(),
            timeline: spec.timeline.as_ref().map(|t| t.bin),
        })
    }
}

/// Why a time (a `tau`, a bin length) is refused, if it is.
pub fn positive_time(tau: f64) -> Result<(), String> {
    if tau.is_finite() && tau > 0.0 && tau <= crate::report::files::MAX_FIGURE {
        Ok(())
    } else {
        Err("must be a positive time".into())
    }
}

/// Why size-bin edges are refused, if they are.
pub fn check_edges(edges: &[f64]) -> Result<(), String> {
    if edges.is_empty() {
        return Err("give at least one edge".into());
    }
    if edges.len() > MAX_SIZE_BINS {
        return Err(format!("give at most {MAX_SIZE_BINS} edges"));
    }
    if edges.iter().any(|x| !(x.is_finite() && *x > 0.0)) || edges.windows(2).any(|w| w[0] >= w[1])
    {
        return Err("edges must be positive and strictly increasing".into());
    }
    Ok(())
}

impl Scenario {
    /// The warm-up as the header and JSON say it.
    pub fn warmup_label(&self) -> String {
        if self.warmup_auto {
            "auto (MSER-5)".into()
        } else {
            self.warmup.to_string()
        }
    }

    /// The expected jobs arriving from outside in `[a, b)`: per class the
    /// mean batch size times the expected arrival instants, summed. The
    /// timeline draws it beside the arrivals simulated.
    pub fn offered_arrivals(&self) -> impl Fn(f64, f64) -> f64 + '_ {
        let counts: Vec<InstantCount> = self
            .classes
            .iter()
            .map(|c| c.arrival.instant_count())
            .collect();
        move |a, b| {
            self.classes
                .iter()
                .zip(&counts)
                .map(|(c, n)| c.batch.mean() * n.between(a, b))
                .sum()
        }
    }

    /// The `p`-quantile of the size of an arriving job: of the mixture of
    /// the classes' service requirements, weighted by arrival rate (at
    /// speed 1; a network's first-visit requirement).
    pub fn size_quantile(&self, p: f64) -> f64 {
        // A workflow's "size" is its time alone: its critical path.
        let sizes: Vec<Dist> = self.classes.iter().map(Class::time_alone).collect();
        if let [only] = sizes.as_slice() {
            return only.quantile(p);
        }
        let mut rates: Vec<f64> = (0..self.classes.len())
            .map(|k| self.arrival_rate(k))
            .collect();
        // Classes arriving once only: weigh them alike.
        if rates.iter().sum::<f64>() <= 0.0 {
            rates.fill(1.0);
        }
        let total: f64 = rates.iter().sum();
        let cdf = |x: f64| -> f64 {
            sizes
                .iter()
                .zip(&rates)
                .map(|(d, r)| r / total * d.cdf(x))
                .sum()
        };
        let mut lo = 0.0;
        let mut hi = sizes
            .iter()
            .map(|d| d.quantile(p))
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if cdf(mid) >= p {
                hi = mid;
            } else {
                lo = mid;
            }
            if hi - lo <= 1e-12 * hi {
                break;
            }
        }
        hi
    }

    /// The `tau` of the bounded slowdown: `[output] slowdown_tau`, or the
    /// 10th percentile of job sizes (the convention of Feitelson et al.,
    /// "Theory and practice in parallel job scheduling", JSSPP 1997, is a
    /// fixed "interactive" threshold; a low percentile scales with the
    /// workload).
    pub fn slowdown_tau(&self) -> f64 {
        self.output
            .slowdown_tau
            .unwrap_or_else(|| self.size_quantile(0.1))
    }

    /// The inner edges of the size bins: `[output] size_bins` (or
    /// `--size-bins`), or the deciles of job sizes with repeats (atoms of
    /// a discrete size) dropped.
    pub fn size_bin_edges(&self) -> Vec<f64> {
        if let Some(edges) = &self.output.size_bins {
            return edges.clone();
        }
        let mut edges: Vec<f64> = (1..10)
            .map(|i| self.size_quantile(f64::from(i) / 10.0))
            .filter(|x| *x > 0.0)
            .collect();
        edges.dedup_by(|b, a| *b <= *a * (1.0 + 1e-9));
        edges
    }
}
