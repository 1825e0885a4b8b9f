//! Batch sizes: how many jobs arrive together at one arrival instant.
//!
//! Written in a scenario as `batch = { dist = "...", ... }`:
//!
//! | `dist`          | parameters                       | values                                        |
//! |-----------------|----------------------------------|-----------------------------------------------|
//! | `deterministic` | `value` (or `mean`), an integer  | always that many                              |
//! | `geometric`     | `mean` >= 1                      | 1, 2, 3, ... with `P(X = n) = p (1 − p)^(n−1)`, `p = 1/mean` |
//! | `empirical`     | `values = [...]` or `file`       | integers >= 1, each equally likely            |
//!
//! A class without `batch` brings one job per instant ([`Batch::One`]).

use std::path::Path;
use std::sync::Arc;

use rand::Rng;
use rand::RngExt;
use serde::Deserialize;

use crate::error::FieldError;
use crate::model::dist::{Dist, DistSpec};

/// The raw form of `batch = { ... }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchSpec {
    pub dist: String,
    pub mean: Option<f64>,
    pub value: Option<f64>,
    pub values: Option<Vec<f64>>,
    pub file: Option<String>,
}

/// Largest batch a distribution may produce (a mean far above it is
/// surely a mistake, and a batch is queued all at one instant).
pub const MAX_BATCH_MEAN: f64 = 1e6;

/// The law of the number of jobs arriving at one instant.
#[derive(Debug, Clone, PartialEq)]
pub enum Batch {
    /// One job per instant: no `batch` given.
    One,
    /// Always `n` jobs.
    Deterministic(u32),
    /// Geometric on 1, 2, 3, ... with success probability `p` (mean
    /// `1/p`); `ln_q = ln(1 − p)` is kept for sampling by inversion.
    Geometric { p: f64, ln_q: f64 },
    /// Each of the values equally likely.
    Empirical(Arc<[u32]>),
}

impl Batch {
    /// Whether every instant brings exactly one job.
    pub fn is_one(&self) -> bool {
        matches!(self, Batch::One | Batch::Deterministic(1))
    }

    /// Geometric on 1, 2, 3, ... with the given mean (>= 1).
    pub fn geometric(mean: f64) -> Batch {
        let p = 1.0 / mean;
        Batch::Geometric {
            p,
            ln_q: (-p).ln_1p(),
        }
    }

    /// Draws one batch size (at least 1).
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        match self {
            Batch::One => 1,
            Batch::Deterministic(n) => *n,
            Batch::Geometric { ln_q, .. } => {
                // Inversion: X = 1 + ⌊ln U / ln(1 − p)⌋ with U uniform on
                // (0, 1], so P(X > n) = P(U <= (1 − p)^n) = (1 − p)^n.
                // With p = 1, ln(1 − p) = −∞ and X = 1.
                let u = 1.0 - rng.random::<f64>();
                let extra = (u.ln() / ln_q).floor();
                // Saturates for absurdly long tails (`as` clamps).
                1u32.saturating_add(extra as u32)
            }
            Batch::Empirical(values) => values[rng.random_range(0..values.len())],
        }
    }

    /// `E[X]`.
    pub fn mean(&self) -> f64 {
        match self {
            Batch::One => 1.0,
            Batch::Deterministic(n) => f64::from(*n),
            Batch::Geometric { p, .. } => 1.0 / p,
            Batch::Empirical(v) => v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64,
        }
    }

    /// `E[X²]`.
    pub fn second_moment(&self) -> f64 {
        match self {
            Batch::One => 1.0,
            Batch::Deterministic(n) => f64::from(*n).powi(2),
            // Var = (1 − p)/p², so E[X²] = (2 − p)/p².
            Batch::Geometric { p, .. } => (2.0 - p) / (p * p),
            Batch::Empirical(v) => {
                v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / v.len() as f64
            }
        }
    }

    /// The family name as written in scenario files.
    pub fn family(&self) -> &'static str {
        match self {
            Batch::One | Batch::Deterministic(_) => "deterministic",
            Batch::Geometric { .. } => "geometric",
            Batch::Empirical(_) => "empirical",
        }
    }

    /// Validates `batch = { ... }`; `path` names the field in errors
    /// (`classes[0].batch`), `base_dir` resolves `file`.
    pub fn from_spec(spec: &BatchSpec, path: &str, base_dir: &Path) -> Result<Batch, FieldError> {
        let err = |field: &str, value: String, msg: String| {
            FieldError::new(format!("{path}.{field}"), value, msg)
        };
        let unused = |names: &[(&str, bool)]| -> Result<(), FieldError> {
            match names.iter().find(|(_, given)| *given) {
                Some((name, _)) => Err(err(
                    name,
                    "(given)".into(),
                    format!("is not a parameter of `{}` batches", spec.dist),
                )),
                None => Ok(()),
            }
        };
        let batch = match spec.dist.as_str() {
            "deterministic" | "constant" => {
                unused(&[
                    ("values", spec.values.is_some()),
                    ("file", spec.file.is_some()),
                ])?;
                let (name, v) = match (spec.value, spec.mean) {
                    (Some(v), None) => ("value", v),
                    (None, Some(v)) => ("mean", v),
                    _ => {
                        return Err(FieldError::new(
                            path,
                            "dist = \"deterministic\"",
                            "give exactly one of `value` or `mean`",
                        ));
                    }
                };
                if !(v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= MAX_BATCH_MEAN) {
                    return Err(err(
                        name,
                        v.to_string(),
                        format!("a batch is a whole number of jobs, from 1 to {MAX_BATCH_MEAN:e}"),
                    ));
                }
                Batch::Deterministic(v as u32)
            }
            "geometric" => {
                unused(&[
                    ("value", spec.value.is_some()),
                    ("values", spec.values.is_some()),
                    ("file", spec.file.is_some()),
                ])?;
                let Some(mean) = spec.mean else {
                    return Err(err(
                        "mean",
                        "(missing)".into(),
                        "a geometric batch needs `mean` (>= 1)".into(),
                    ));
                };
                if !(mean.is_finite() && (1.0..=MAX_BATCH_MEAN).contains(&mean)) {
                    return Err(err(
                        "mean",
                        mean.to_string(),
                        format!(
                            "a geometric batch size lies on 1, 2, 3, ..., so its mean is at least 1 (and at most {MAX_BATCH_MEAN:e})"
                        ),
                    ));
                }
                Batch::geometric(mean)
            }
            "empirical" => {
                unused(&[
                    ("mean", spec.mean.is_some()),
                    ("value", spec.value.is_some()),
                ])?;
                let dist = Dist::from_spec(
                    &DistSpec {
                        dist: "empirical".into(),
                        values: spec.values.clone(),
                        file: spec.file.clone(),
                        ..DistSpec::default()
                    },
                    path,
                    base_dir,
                );
                // An all-zero list is refused by the distribution; say why here.
                let values = match dist {
                    Ok(Dist::Empirical { values }) => values,
                    Ok(_) => unreachable!("an empirical spec builds an empirical distribution"),
                    Err(e) => return Err(e),
                };
                let field = if spec.file.is_some() {
                    "file"
                } else {
                    "values"
                };
                let mut out = Vec::with_capacity(values.len());
                for &v in values.iter() {
                    if !(v >= 1.0 && v.fract() == 0.0 && v <= MAX_BATCH_MEAN) {
                        return Err(err(
                            field,
                            v.to_string(),
                            format!(
                                "batch sizes are whole numbers of jobs, from 1 to {MAX_BATCH_MEAN:e}"
                            ),
                        ));
                    }
                    out.push(v as u32);
                }
                Batch::Empirical(out.into())
            }
            other => {
                return Err(err(
                    "dist",
                    format!("{other:?}"),
                    "unknown batch distribution; use deterministic, geometric or empirical".into(),
                ));
            }
        };
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn spec(dist: &str) -> BatchSpec {
        BatchSpec {
            dist: dist.into(),
            ..Default::default()
        }
    }

    fn build(s: &BatchSpec) -> Result<Batch, FieldError> {
        Batch::from_spec(s, "classes[0].batch", Path::new("."))
    }

    #[test]
    fn geometric_has_its_mean_and_second_moment() {
        let b = build(&BatchSpec {
            mean: Some(2.5),
            ..spec("geometric")
        })
        .unwrap();
        assert!((b.mean() - 2.5).abs() < 1e-12);
        // p = 0.4: E[X²] = 1.6 / 0.16 = 10.
        assert!((b.second_moment() - 10.0).abs() < 1e-9);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        let n = 400_000;
        let (mut sum, mut sum2, mut ones) = (0.0, 0.0, 0);
        for _ in 0..n {
            let x = b.sample(&mut rng);
            assert!(x >= 1);
            ones += usize::from(x == 1);
            sum += f64::from(x);
            sum2 += f64::from(x).powi(2);
        }
        let mean = sum / n as f64;
        // sd of X is sqrt(0.6)/0.4 = 1.94; 5 standard errors.
        assert!(
            (mean - 2.5).abs() < 5.0 * 1.94 / (n as f64).sqrt(),
            "{mean}"
        );
        assert!((sum2 / n as f64 - 10.0).abs() < 0.2);
        // P(X = 1) = p = 0.4.
        assert!((ones as f64 / n as f64 - 0.4).abs() < 0.004);
    }

    #[test]
    fn mean_one_is_always_one() {
        let b = Batch::geometric(1.0);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        assert!((0..1000).all(|_| b.sample(&mut rng) == 1));
        assert_eq!(b.second_moment(), 1.0);
    }

    #[test]
    fn empirical_and_deterministic() {
        let b = build(&BatchSpec {
            values: Some(vec![1.0, 2.0, 2.0, 5.0]),
            ..spec("empirical")
        })
        .unwrap();
        assert_eq!(b.mean(), 2.5);
        assert_eq!(b.second_moment(), (1.0 + 4.0 + 4.0 + 25.0) / 4.0);
        let b = build(&BatchSpec {
            value: Some(3.0),
            ..spec("deterministic")
        })
        .unwrap();
        assert_eq!(b, Batch::Deterministic(3));
        assert!(!b.is_one());
    }

    #[test]
    fn bad_batches_name_field_and_value() {
        let e = build(&BatchSpec {
            mean: Some(0.5),
            ..spec("geometric")
        })
        .unwrap_err();
        assert_eq!(e.field, "classes[0].batch.mean");
        assert_eq!(e.value, "0.5");
        let e = build(&BatchSpec {
            values: Some(vec![1.0, 2.5]),
            ..spec("empirical")
        })
        .unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("classes[0].batch.values", "2.5")
        );
        let e = build(&BatchSpec {
            values: Some(vec![0.0, 2.0]),
            ..spec("empirical")
        })
        .unwrap_err();
        assert_eq!(e.value, "0");
        let e = build(&BatchSpec {
            value: Some(0.0),
            ..spec("deterministic")
        })
        .unwrap_err();
        assert_eq!(e.field, "classes[0].batch.value");
        let e = build(&spec("poisson")).unwrap_err();
        assert_eq!(e.field, "classes[0].batch.dist");
        let e = build(&BatchSpec {
            mean: Some(2.0),
            value: Some(2.0),
            ..spec("geometric")
        })
        .unwrap_err();
        assert_eq!(e.field, "classes[0].batch.value");
    }
}
