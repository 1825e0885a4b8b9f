//! Probability distributions for inter-arrival times and service requirements.
//!
//! Every distribution knows its exact mean and second moment, because the
//! theory module needs `E[S]` and `E[S²]` (Pollaczek-Khinchine and friends)
//! and a simulator that cannot state what it samples cannot be checked.
//!
//! A distribution is written in a scenario as an inline table whose `dist`
//! field names it and whose other fields are its parameters, either the
//! natural ones or `mean` (plus `scv`, the squared coefficient of variation
//! `Var[X]/E[X]²`, where the family has a shape):
//!
//! | `dist`             | natural parameters             | by moments                 |
//! |--------------------|--------------------------------|----------------------------|
//! | `exponential`      | `rate`                         | `mean`                     |
//! | `deterministic`    | `value`                        | `mean`                     |
//! | `uniform`          | `low`, `high`                  | `mean`, `scv` (<= 1/3)     |
//! | `erlang`           | `k`, `rate` (or `k`, `mean`)   | `mean`, `scv` (= 1/k)      |
//! | `gamma`            | `shape`, `scale` (or `rate`)   | `mean`, `scv`              |
//! | `hyperexponential` | `branches = [{p, rate}, ...]`  | `mean`, `scv` (>= 1, H2 with balanced means) |
//! | `lognormal`        | `mu`, `sigma`                  | `mean`, `scv`              |
//! | `weibull`          | `shape`, `scale`               | `mean`, `scv`              |
//! | `pareto`           | `shape` (alpha > 1), `scale`   | `mean`, `scv`              |
//! | `bounded-pareto`   | `alpha`, `low`, `high`         | `mean`, `scv`, `alpha`     |
//! | `empirical`        | `values = [...]` or `file`     |                            |

use std::path::Path;
use std::sync::Arc;

use rand::Rng;
use rand::RngExt;
use rand_distr::Distribution;
use serde::Deserialize;
use statrs::function::erf::erfc;
use statrs::function::gamma::{gamma_lr, ln_gamma};

use crate::error::FieldError;

/// The raw form of a distribution in a scenario file, before validation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistSpec {
    pub dist: String,
    pub rate: Option<f64>,
    pub mean: Option<f64>,
    pub scv: Option<f64>,
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub k: Option<u32>,
    pub shape: Option<f64>,
    pub scale: Option<f64>,
    pub mu: Option<f64>,
    pub sigma: Option<f64>,
    pub alpha: Option<f64>,
    pub branches: Option<Vec<BranchSpec>>,
    pub values: Option<Vec<f64>>,
    pub file: Option<String>,
}

/// One exponential branch of a hyperexponential distribution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchSpec {
    pub p: f64,
    pub rate: Option<f64>,
    pub mean: Option<f64>,
}

/// A validated distribution, ready to sample.
#[derive(Debug, Clone)]
pub enum Dist {
    /// `mean` is `1 / rate`, kept so that a draw is `Exp(1) · mean`: a
    /// multiplication, as `rand_distr::Exp` does, where a division would
    /// put a dozen cycles on the engine's critical path at every arrival.
    Exponential {
        rate: f64,
        mean: f64,
    },
    Deterministic {
        value: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    Erlang {
        k: u32,
        rate: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
        sampler: rand_distr::Gamma<f64>,
    },
    /// Branch probabilities are stored cumulatively for sampling.
    HyperExponential {
        probs: Vec<f64>,
        rates: Vec<f64>,
        cumulative: Vec<f64>,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
        sampler: rand_distr::LogNormal<f64>,
    },
    Weibull {
        shape: f64,
        scale: f64,
        sampler: rand_distr::Weibull<f64>,
    },
    Pareto {
        shape: f64,
        scale: f64,
    },
    BoundedPareto {
        alpha: f64,
        low: f64,
        high: f64,
    },
    Empirical {
        values: Arc<[f64]>,
    },
}

/// The family names accepted in `dist = "..."`.
pub const DIST_NAMES: &[&str] = &[
    "exponential",
    "deterministic",
    "uniform",
    "erlang",
    "gamma",
    "hyperexponential",
    "lognormal",
    "weibull",
    "pareto",
    "bounded-pareto",
    "empirical",
];

impl Dist {
    /// Exponential with the given mean, the most common case in code and tests.
    pub fn exponential_mean(mean: f64) -> Dist {
        Dist::Exponential {
            rate: 1.0 / mean,
            mean,
        }
    }

    /// Exponential with the given rate.
    pub fn exponential_rate(rate: f64) -> Dist {
        Dist::Exponential {
            rate,
            mean: 1.0 / rate,
        }
    }

    /// Draws one value. The exponential case, the most common by far, is
    /// kept small enough to inline into the engine's arrival path.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        if let Dist::Exponential { mean, .. } = self {
            let e: f64 = rand_distr::Exp1.sample(rng);
            e * mean
        } else {
            self.sample_general(rng)
        }
    }

    #[inline(never)]
    fn sample_general<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Exponential { mean, .. } => {
                let e: f64 = rand_distr::Exp1.sample(rng);
                e * mean
            }
            Dist::Deterministic { value } => *value,
            Dist::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
            Dist::Erlang { k, rate } => {
                let mut sum = 0.0;
                for _ in 0..*k {
                    let e: f64 = rand_distr::Exp1.sample(rng);
                    sum += e;
                }
                sum / rate
            }
            Dist::Gamma { sampler, .. } => sampler.sample(rng),
            Dist::HyperExponential {
                rates, cumulative, ..
            } => {
                let u: f64 = rng.random();
                let i = cumulative
                    .iter()
                    .position(|&c| u < c)
                    .unwrap_or(rates.len() - 1);
                let e: f64 = rand_distr::Exp1.sample(rng);
                e / rates[i]
            }
            Dist::LogNormal { sampler, .. } => sampler.sample(rng),
            Dist::Weibull { sampler, .. } => sampler.sample(rng),
            Dist::Pareto { shape, scale } => {
                // Inverse CDF on (0, 1]: 1 - U avoids U = 0.
                let u = 1.0 - rng.random::<f64>();
                scale * u.powf(-1.0 / shape)
            }
            Dist::BoundedPareto { alpha, low, high } => {
                // Inverse CDF of F(x) = (1 - (L/x)^a) / (1 - (L/H)^a).
                let u: f64 = rng.random();
                let ratio = (low / high).powf(*alpha);
                low * (1.0 - u * (1.0 - ratio)).powf(-1.0 / alpha)
            }
            Dist::Empirical { values } => values[rng.random_range(0..values.len())],
        }
    }

    /// Exact mean `E[X]`.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Exponential { mean, .. } => *mean,
            Dist::Deterministic { value } => *value,
            Dist::Uniform { low, high } => 0.5 * (low + high),
            Dist::Erlang { k, rate } => f64::from(*k) / rate,
            Dist::Gamma { shape, scale, .. } => shape * scale,
            Dist::HyperExponential { probs, rates, .. } => {
                probs.iter().zip(rates).map(|(p, r)| p / r).sum()
            }
            Dist::LogNormal { mu, sigma, .. } => (mu + 0.5 * sigma * sigma).exp(),
            Dist::Weibull { shape, scale, .. } => scale * ln_gamma(1.0 + 1.0 / shape).exp(),
            Dist::Pareto { shape, scale } => pareto_moment(*shape, *scale, 1),
            Dist::BoundedPareto { alpha, low, high } => {
                bounded_pareto_moment(*alpha, *low, *high, 1)
            }
            Dist::Empirical { values } => values.iter().sum::<f64>() / values.len() as f64,
        }
    }

    /// Exact second moment `E[X²]`; infinite for a Pareto with shape <= 2.
    pub fn second_moment(&self) -> f64 {
        match self {
            Dist::Exponential { rate, .. } => 2.0 / (rate * rate),
            Dist::Deterministic { value } => value * value,
            Dist::Uniform { low, high } => (low * low + low * high + high * high) / 3.0,
            Dist::Erlang { k, rate } => {
                let k = f64::from(*k);
                k * (k + 1.0) / (rate * rate)
            }
            Dist::Gamma { shape, scale, .. } => shape * (shape + 1.0) * scale * scale,
            Dist::HyperExponential { probs, rates, .. } => probs
                .iter()
                .zip(rates)
                .map(|(p, r)| 2.0 * p / (r * r))
                .sum(),
            Dist::LogNormal { mu, sigma, .. } => (2.0 * mu + 2.0 * sigma * sigma).exp(),
            Dist::Weibull { shape, scale, .. } => scale * scale * ln_gamma(1.0 + 2.0 / shape).exp(),
            Dist::Pareto { shape, scale } => pareto_moment(*shape, *scale, 2),
            Dist::BoundedPareto { alpha, low, high } => {
                bounded_pareto_moment(*alpha, *low, *high, 2)
            }
            Dist::Empirical { values } => {
                values.iter().map(|v| v * v).sum::<f64>() / values.len() as f64
            }
        }
    }

    /// The distribution of `factor · X` (same shape, every value scaled).
    pub fn scaled(&self, factor: f64) -> Dist {
        let f = factor;
        match self {
            Dist::Exponential { rate, mean } => Dist::Exponential {
                rate: rate / f,
                mean: mean * f,
            },
            Dist::Deterministic { value } => Dist::Deterministic { value: value * f },
            Dist::Uniform { low, high } => Dist::Uniform {
                low: low * f,
                high: high * f,
            },
            Dist::Erlang { k, rate } => Dist::Erlang {
                k: *k,
                rate: rate / f,
            },
            Dist::Gamma { shape, scale, .. } => Dist::Gamma {
                shape: *shape,
                scale: scale * f,
                sampler: rand_distr::Gamma::new(*shape, scale * f)
                    .expect("scaling keeps a valid gamma"),
            },
            Dist::HyperExponential {
                probs,
                rates,
                cumulative,
            } => Dist::HyperExponential {
                probs: probs.clone(),
                rates: rates.iter().map(|r| r / f).collect(),
                cumulative: cumulative.clone(),
            },
            Dist::LogNormal { mu, sigma, .. } => Dist::LogNormal {
                mu: mu + f.ln(),
                sigma: *sigma,
                sampler: rand_distr::LogNormal::new(mu + f.ln(), *sigma)
                    .expect("scaling keeps a valid lognormal"),
            },
            Dist::Weibull { shape, scale, .. } => Dist::Weibull {
                shape: *shape,
                scale: scale * f,
                sampler: rand_distr::Weibull::new(scale * f, *shape)
                    .expect("scaling keeps a valid Weibull"),
            },
            Dist::Pareto { shape, scale } => Dist::Pareto {
                shape: *shape,
                scale: scale * f,
            },
            Dist::BoundedPareto { alpha, low, high } => Dist::BoundedPareto {
                alpha: *alpha,
                low: low * f,
                high: high * f,
            },
            Dist::Empirical { values } => Dist::Empirical {
                values: values.iter().map(|v| v * f).collect(),
            },
        }
    }

    /// Cumulative distribution function `P(X <= x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        match self {
            Dist::Exponential { rate, .. } => 1.0 - (-rate * x).exp(),
            Dist::Deterministic { value } => f64::from(u8::from(x >= *value)),
            Dist::Uniform { low, high } => ((x - low) / (high - low)).clamp(0.0, 1.0),
            Dist::Erlang { k, rate } => gamma_lr(f64::from(*k), rate * x),
            Dist::Gamma { shape, scale, .. } => gamma_lr(*shape, x / scale),
            Dist::HyperExponential { probs, rates, .. } => probs
                .iter()
                .zip(rates)
                .map(|(p, r)| p * (1.0 - (-r * x).exp()))
                .sum(),
            Dist::LogNormal { mu, sigma, .. } => {
                if x == 0.0 {
                    0.0
                } else {
                    std_normal_cdf((x.ln() - mu) / sigma)
                }
            }
            Dist::Weibull { shape, scale, .. } => 1.0 - (-(x / scale).powf(*shape)).exp(),
            Dist::Pareto { shape, scale } => {
                if x < *scale {
                    0.0
                } else {
                    1.0 - (scale / x).powf(*shape)
                }
            }
            Dist::BoundedPareto { alpha, low, high } => {
                let x = x.clamp(*low, *high);
                (1.0 - (low / x).powf(*alpha)) / (1.0 - (low / high).powf(*alpha))
            }
            Dist::Empirical { values } => {
                values.iter().filter(|v| **v <= x).count() as f64 / values.len() as f64
            }
        }
    }

    /// Density at `x`, or `None` for a distribution with atoms
    /// (deterministic, empirical), which [`Dist::atoms`] describes instead.
    pub fn pdf(&self, x: f64) -> Option<f64> {
        if x < 0.0 {
            return Some(0.0);
        }
        Some(match self {
            Dist::Exponential { rate, .. } => rate * (-rate * x).exp(),
            Dist::Deterministic { .. } | Dist::Empirical { .. } => return None,
            Dist::Uniform { low, high } => {
                if (*low..=*high).contains(&x) {
                    1.0 / (high - low)
                } else {
                    0.0
                }
            }
            Dist::Erlang { k, rate } => gamma_pdf(f64::from(*k), 1.0 / rate, x),
            Dist::Gamma { shape, scale, .. } => gamma_pdf(*shape, *scale, x),
            Dist::HyperExponential { probs, rates, .. } => probs
                .iter()
                .zip(rates)
                .map(|(p, r)| p * r * (-r * x).exp())
                .sum(),
            Dist::LogNormal { mu, sigma, .. } => {
                if x == 0.0 {
                    0.0
                } else {
                    let z = (x.ln() - mu) / sigma;
                    (-0.5 * z * z).exp() / (x * sigma * (2.0 * std::f64::consts::PI).sqrt())
                }
            }
            Dist::Weibull { shape, scale, .. } => {
                let r = x / scale;
                shape / scale * r.powf(shape - 1.0) * (-r.powf(*shape)).exp()
            }
            Dist::Pareto { shape, scale } => {
                if x < *scale {
                    0.0
                } else {
                    shape * scale.powf(*shape) / x.powf(shape + 1.0)
                }
            }
            Dist::BoundedPareto { alpha, low, high } => {
                if x < *low || x > *high {
                    0.0
                } else {
                    alpha * low.powf(*alpha)
                        / x.powf(alpha + 1.0)
                        / (1.0 - (low / high).powf(*alpha))
                }
            }
        })
    }

    /// The atoms `(value, probability)` of a discrete distribution.
    pub fn atoms(&self) -> Option<Vec<(f64, f64)>> {
        match self {
            Dist::Deterministic { value } => Some(vec![(*value, 1.0)]),
            Dist::Empirical { values } => {
                let p = 1.0 / values.len() as f64;
                Some(values.iter().map(|v| (*v, p)).collect())
            }
            _ => None,
        }
    }

    /// Partial moment `E[X^j; X <= x]` for `j` = 1 or 2, in closed form.
    pub fn partial_moment(&self, j: i32, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let jf = f64::from(j);
        match self {
            Dist::Exponential { rate, .. } => gamma_partial(1.0, 1.0 / rate, j, x),
            Dist::Deterministic { value } => {
                if x >= *value {
                    value.powi(j)
                } else {
                    0.0
                }
            }
            Dist::Uniform { low, high } => {
                let m = x.clamp(*low, *high);
                (m.powi(j + 1) - low.powi(j + 1)) / ((jf + 1.0) * (high - low))
            }
            Dist::Erlang { k, rate } => gamma_partial(f64::from(*k), 1.0 / rate, j, x),
            Dist::Gamma { shape, scale, .. } => gamma_partial(*shape, *scale, j, x),
            Dist::HyperExponential { probs, rates, .. } => probs
                .iter()
                .zip(rates)
                .map(|(p, r)| p * gamma_partial(1.0, 1.0 / r, j, x))
                .sum(),
            Dist::LogNormal { mu, sigma, .. } => {
                (jf * mu + 0.5 * jf * jf * sigma * sigma).exp()
                    * std_normal_cdf((x.ln() - mu - jf * sigma * sigma) / sigma)
            }
            Dist::Weibull { shape, scale, .. } => {
                let a = 1.0 + jf / shape;
                scale.powi(j) * ln_gamma(a).exp() * gamma_lr(a, (x / scale).powf(*shape))
            }
            Dist::Pareto { shape, scale } => {
                if x <= *scale {
                    0.0
                } else {
                    shape * scale.powf(*shape) * power_integral(jf - shape, *scale, x)
                }
            }
            Dist::BoundedPareto { alpha, low, high } => {
                let m = x.clamp(*low, *high);
                alpha * low.powf(*alpha) / (1.0 - (low / high).powf(*alpha))
                    * power_integral(jf - alpha, *low, m)
            }
            Dist::Empirical { values } => {
                values
                    .iter()
                    .filter(|v| **v <= x)
                    .map(|v| v.powi(j))
                    .sum::<f64>()
                    / values.len() as f64
            }
        }
    }

    /// Whether `E[1/X]` is finite, and so whether a mean slowdown
    /// (response / size) can exist: the slowdown of a job is at least
    /// `c / size` for some `c > 0` under any policy that makes some jobs
    /// wait, so its mean is finite only where `E[1/X]` is.
    ///
    /// `E[1/X] = ∫ f(x)/x dx` diverges at 0 whenever the density is
    /// positive there (`∫_0 dx/x = ∞`): exponential, hyperexponential,
    /// Erlang-1, gamma and Weibull with shape ≤ 1, uniform from 0. Gamma
    /// and Erlang with shape `k > 1` have `E[1/X] = 1/((k − 1)θ)`, a
    /// Weibull with shape `k > 1` has `Γ(1 − 1/k)/scale`, a lognormal
    /// `e^{σ²/2 − μ}` (Johnson, Kotz and Balakrishnan, *Continuous
    /// Univariate Distributions*, vol. 1, ch. 14, 17, 21); distributions
    /// bounded away from 0 (deterministic, uniform from `low > 0`, Pareto,
    /// bounded Pareto, empirical values all positive) have `E[1/X] ≤ 1/min`.
    pub fn has_finite_inverse_mean(&self) -> bool {
        match self {
            Dist::Exponential { .. } | Dist::HyperExponential { .. } => false,
            Dist::Deterministic { value } => *value > 0.0,
            Dist::Uniform { low, .. } => *low > 0.0,
            Dist::Erlang { k, .. } => *k > 1,
            Dist::Gamma { shape, .. } | Dist::Weibull { shape, .. } => *shape > 1.0,
            Dist::LogNormal { .. } | Dist::Pareto { .. } | Dist::BoundedPareto { .. } => true,
            Dist::Empirical { values } => values.iter().all(|&v| v > 0.0),
        }
    }

    /// The `p`-quantile `inf {x : P(X <= x) >= p}`, for `p` in (0, 1), by
    /// bisection on the CDF (to a relative 1e-12, or on the atoms of a
    /// discrete distribution exactly).
    pub fn quantile(&self, p: f64) -> f64 {
        if let Some(mut atoms) = self.atoms() {
            atoms.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut acc = 0.0;
            for &(v, q) in &atoms {
                acc += q;
                // Sums of 1/n fall a hair short of the exact level.
                if acc >= p - 1e-12 {
                    return v;
                }
            }
            return atoms.last().map_or(0.0, |a| a.0);
        }
        let (mut lo, mut hi) = (0.0, self.upper_bound(1.0 - p).max(f64::MIN_POSITIVE));
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.cdf(mid) >= p {
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

    /// A point beyond which at most `tail` of the probability lies.
    pub fn upper_bound(&self, tail: f64) -> f64 {
        let mut x = self.mean().max(f64::MIN_POSITIVE);
        while 1.0 - self.cdf(x) > tail && x < 1e300 {
            x *= 2.0;
        }
        x
    }

    /// Squared coefficient of variation `Var[X] / E[X]²`.
    pub fn scv(&self) -> f64 {
        let m = self.mean();
        self.second_moment() / (m * m) - 1.0
    }

    /// The family name as written in scenario files.
    pub fn family(&self) -> &'static str {
        match self {
            Dist::Exponential { .. } => "exponential",
            Dist::Deterministic { .. } => "deterministic",
            Dist::Uniform { .. } => "uniform",
            Dist::Erlang { .. } => "erlang",
            Dist::Gamma { .. } => "gamma",
            Dist::HyperExponential { .. } => "hyperexponential",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Weibull { .. } => "weibull",
            Dist::Pareto { .. } => "pareto",
            Dist::BoundedPareto { .. } => "bounded-pareto",
            Dist::Empirical { .. } => "empirical",
        }
    }

    /// Validates a raw specification. `path` names the field in error
    /// messages (e.g. `classes[0].service`); `base_dir` resolves `file`.
    pub fn from_spec(spec: &DistSpec, path: &str, base_dir: &Path) -> Result<Dist, FieldError> {
        Builder {
            spec,
            path,
            used: Vec::new(),
        }
        .build(base_dir)
    }
}

/// Standard normal CDF `Φ(z) = erfc(−z/√2)/2`.
fn std_normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Gamma(shape k, scale θ) density.
fn gamma_pdf(k: f64, theta: f64, x: f64) -> f64 {
    if x == 0.0 {
        return if k == 1.0 { 1.0 / theta } else { 0.0 };
    }
    ((k - 1.0) * x.ln() - x / theta - ln_gamma(k) - k * theta.ln()).exp()
}

/// `E[X^j; X <= x]` for X ~ Gamma(k, θ): `θ^j Γ(k+j)/Γ(k) · P(k+j, x/θ)`,
/// `P` the regularised lower incomplete gamma function.
fn gamma_partial(k: f64, theta: f64, j: i32, x: f64) -> f64 {
    let jf = f64::from(j);
    theta.powi(j) * (ln_gamma(k + jf) - ln_gamma(k)).exp() * gamma_lr(k + jf, x / theta)
}

/// `∫_a^b t^(e−1) dt`: `(b^e − a^e)/e`, or `ln(b/a)` when `e = 0`.
fn power_integral(e: f64, a: f64, b: f64) -> f64 {
    if e.abs() < 1e-12 {
        (b / a).ln()
    } else {
        (b.powf(e) - a.powf(e)) / e
    }
}

/// `E[X^j]` of a Pareto(shape a, scale m): `a m^j / (a - j)` for `a > j`.
fn pareto_moment(shape: f64, scale: f64, j: i32) -> f64 {
    let j_f = f64::from(j);
    if shape <= j_f {
        f64::INFINITY
    } else {
        shape * scale.powi(j) / (shape - j_f)
    }
}

/// `E[X^j]` of a bounded Pareto on `[L, H]` with shape `a`:
/// `a L^a / (1 - (L/H)^a) * (H^(j-a) - L^(j-a)) / (j - a)`, or with
/// `ln(H/L)` in place of the last factor when `j = a`.
fn bounded_pareto_moment(alpha: f64, low: f64, high: f64, j: i32) -> f64 {
    let j_f = f64::from(j);
    let norm = alpha * low.powf(alpha) / (1.0 - (low / high).powf(alpha));
    let integral = if (j_f - alpha).abs() < 1e-12 {
        (high / low).ln()
    } else {
        (high.powf(j_f - alpha) - low.powf(j_f - alpha)) / (j_f - alpha)
    };
    norm * integral
}

/// Squared coefficient of variation of a Weibull with shape `k`:
/// `Γ(1 + 2/k) / Γ(1 + 1/k)² - 1`, decreasing in `k`.
fn weibull_scv(k: f64) -> f64 {
    (ln_gamma(1.0 + 2.0 / k) - 2.0 * ln_gamma(1.0 + 1.0 / k)).exp() - 1.0
}

/// Squared coefficient of variation of a bounded Pareto with shape `a` and
/// `H/L = r`; it is scale free and increasing in `r`.
fn bounded_pareto_scv(alpha: f64, r: f64) -> f64 {
    let m1 = bounded_pareto_moment(alpha, 1.0, r, 1);
    let m2 = bounded_pareto_moment(alpha, 1.0, r, 2);
    m2 / (m1 * m1) - 1.0
}

/// Solves `f(x) = target` for a monotone `f` on `[lo, hi]` by bisection in
/// log space (the parameters solved for span decades).
fn bisect(f: impl Fn(f64) -> f64, target: f64, mut lo: f64, mut hi: f64) -> f64 {
    let increasing = f(hi) > f(lo);
    for _ in 0..200 {
        let mid = (lo * hi).sqrt();
        if (f(mid) < target) == increasing {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo * hi).sqrt()
}

/// Largest file of values an empirical distribution reads.
const MAX_EMPIRICAL_BYTES: u64 = 256 << 20;

struct Builder<'a> {
    spec: &'a DistSpec,
    path: &'a str,
    used: Vec<&'static str>,
}

impl Builder<'_> {
    fn err(
        &self,
        field: &str,
        value: impl std::fmt::Display,
        msg: impl Into<String>,
    ) -> FieldError {
        FieldError::new(format!("{}.{}", self.path, field), value.to_string(), msg)
    }

    /// Fetches an optional float parameter and records it as used.
    fn opt(&mut self, name: &'static str) -> Option<f64> {
        let v = match name {
            "rate" => self.spec.rate,
            "mean" => self.spec.mean,
            "scv" => self.spec.scv,
            "value" => self.spec.value,
            "low" => self.spec.low,
            "high" => self.spec.high,
            "shape" => self.spec.shape,
            "scale" => self.spec.scale,
            "mu" => self.spec.mu,
            "sigma" => self.spec.sigma,
            "alpha" => self.spec.alpha,
            _ => unreachable!("unknown parameter {name}"),
        };
        if v.is_some() {
            self.used.push(name);
        }
        v
    }

    fn positive(&mut self, name: &'static str) -> Result<Option<f64>, FieldError> {
        match self.opt(name) {
            Some(v) if !(v.is_finite() && v > 0.0) => {
                Err(self.err(name, v, "must be a finite number greater than 0"))
            }
            other => Ok(other),
        }
    }

    fn require(&mut self, name: &'static str, hint: &str) -> Result<f64, FieldError> {
        self.positive(name)?.ok_or_else(|| {
            FieldError::new(
                format!("{}.{}", self.path, name),
                "(missing)".to_string(),
                format!("{} needs {hint}", self.spec.dist),
            )
        })
    }

    fn build(mut self, base_dir: &Path) -> Result<Dist, FieldError> {
        let dist = match self.spec.dist.as_str() {
            "exponential" | "exp" | "markovian" => {
                match (self.positive("rate")?, self.positive("mean")?) {
                    (Some(rate), None) => Dist::exponential_rate(rate),
                    (None, Some(mean)) => Dist::exponential_mean(mean),
                    _ => return Err(self.either("rate", "mean")),
                }
            }
            "deterministic" | "constant" => {
                match (self.positive("value")?, self.positive("mean")?) {
                    (Some(value), None) | (None, Some(value)) => Dist::Deterministic { value },
                    _ => return Err(self.either("value", "mean")),
                }
            }
            "uniform" => self.uniform()?,
            "erlang" => self.erlang()?,
            "gamma" => self.gamma()?,
            "hyperexponential" | "h2" => self.hyperexponential()?,
            "lognormal" => self.lognormal()?,
            "weibull" => self.weibull()?,
            "pareto" => self.pareto()?,
            "bounded-pareto" | "bounded_pareto" => self.bounded_pareto()?,
            "empirical" => self.empirical(base_dir)?,
            other => {
                return Err(self.err(
                    "dist",
                    format!("{other:?}"),
                    format!("unknown distribution; use one of {}", DIST_NAMES.join(", ")),
                ));
            }
        };
        self.reject_unused()?;
        self.check_moments(&dist)?;
        Ok(dist)
    }

    /// Refuses a distribution that floating point turned into another one:
    /// a mean that is not a finite positive number, a hyperexponential fit
    /// whose moments are not those asked for, a bounded Pareto whose mean
    /// left its bounds.
    fn check_moments(&self, dist: &Dist) -> Result<(), FieldError> {
        let mean = dist.mean();
        let m2 = dist.second_moment();
        if let (Dist::HyperExponential { .. }, Some(m), Some(c)) =
            (dist, self.spec.mean, self.spec.scv)
        {
            let scv = dist.scv();
            let off = |a: f64, b: f64| (a - b).abs().is_nan() || (a - b).abs() > 1e-6 * b.abs();
            if off(mean, m) || off(scv, c) {
                return Err(self.err(
                    "scv",
                    c,
                    format!(
                        "too large to fit two balanced branches in floating point (the fit has mean {mean} and scv {scv}); use scv <= 1e12 or give the branches"
                    ),
                ));
            }
        }
        if let Dist::BoundedPareto { alpha, low, high } = dist
            && !(mean >= *low * (1.0 - 1e-9) && mean <= *high * (1.0 + 1e-9) && m2.is_finite())
        {
            return Err(self.err(
                "alpha",
                alpha,
                format!(
                    "with low = {low:?} and high = {high:?}, floating point cannot compute the moments (the mean comes out as {mean:?}, outside [low, high]): use an alpha further from 0 or a narrower range"
                ),
            ));
        }
        if !(mean.is_finite() && mean > 0.0) || m2.is_nan() {
            return Err(FieldError::new(
                self.path.to_string(),
                format!("dist = {:?}", self.spec.dist),
                format!(
                    "its mean comes out as {mean} in floating point: choose parameters whose mean is a finite number greater than 0"
                ),
            ));
        }
        Ok(())
    }

    fn either(&self, a: &str, b: &str) -> FieldError {
        FieldError::new(
            self.path.to_string(),
            format!("dist = \"{}\"", self.spec.dist),
            format!("give exactly one of `{a}` or `{b}`"),
        )
    }

    /// A parameter the family does not use is a mistake, not something to ignore.
    fn reject_unused(&self) -> Result<(), FieldError> {
        let s = self.spec;
        let given: [(&str, bool); 16] = [
            ("rate", s.rate.is_some()),
            ("mean", s.mean.is_some()),
            ("scv", s.scv.is_some()),
            ("value", s.value.is_some()),
            ("low", s.low.is_some()),
            ("high", s.high.is_some()),
            ("k", s.k.is_some()),
            ("shape", s.shape.is_some()),
            ("scale", s.scale.is_some()),
            ("mu", s.mu.is_some()),
            ("sigma", s.sigma.is_some()),
            ("alpha", s.alpha.is_some()),
            ("branches", s.branches.is_some()),
            ("values", s.values.is_some()),
            ("file", s.file.is_some()),
            ("dist", true),
        ];
        for (name, present) in given {
            if present && name != "dist" && !self.used.contains(&name) {
                return Err(self.err(
                    name,
                    "(given)",
                    format!(
                        "is not a parameter of {} here; see the distribution table in the README",
                        s.dist
                    ),
                ));
            }
        }
        Ok(())
    }

    fn uniform(&mut self) -> Result<Dist, FieldError> {
        let low = self.opt("low");
        let high = self.opt("high");
        let mean = self.positive("mean")?;
        let scv = self.opt("scv");
        match (low, high, mean, scv) {
            (Some(low), Some(high), None, None) => {
                if !(low.is_finite() && low >= 0.0) {
                    return Err(self.err("low", low, "must be a finite number >= 0"));
                }
                if !(high.is_finite() && high > low) {
                    return Err(self.err(
                        "high",
                        high,
                        format!("must be greater than low = {low}"),
                    ));
                }
                Ok(Dist::Uniform { low, high })
            }
            (None, None, Some(mean), Some(scv)) => {
                if !(0.0..=1.0 / 3.0).contains(&scv) {
                    return Err(self.err("scv", scv, "a non-negative uniform has 0 <= scv <= 1/3"));
                }
                let half = mean * (3.0 * scv).sqrt();
                Ok(Dist::Uniform {
                    low: mean - half,
                    high: mean + half,
                })
            }
            _ => Err(self.either("low` and `high", "mean` and `scv")),
        }
    }

    fn erlang(&mut self) -> Result<Dist, FieldError> {
        let k = self.spec.k;
        if k.is_some() {
            self.used.push("k");
        }
        let rate = self.positive("rate")?;
        let mean = self.positive("mean")?;
        let scv = self.positive("scv")?;
        if k == Some(0) {
            return Err(self.err("k", 0, "the number of phases must be at least 1"));
        }
        // Each draw sums k exponentials: the scv route's cap holds here too.
        if let Some(k) = k
            && k > 1_000_000
        {
            return Err(self.err(
                "k",
                k,
                "at most 1000000 phases (each draw sums k exponentials); use gamma with shape = k",
            ));
        }
        match (k, rate, mean, scv) {
            (Some(k), Some(rate), None, None) => Ok(Dist::Erlang { k, rate }),
            (Some(k), None, Some(mean), None) => Ok(Dist::Erlang {
                k,
                rate: f64::from(k) / mean,
            }),
            (None, None, Some(mean), Some(scv)) => {
                let k_real = 1.0 / scv;
                let k = k_real.round();
                if (k_real - k).abs() > 1e-9 * k_real || !(1.0..=1e6).contains(&k) {
                    return Err(self.err(
                        "scv",
                        scv,
                        "an Erlang has scv = 1/k for a whole k >= 1; use gamma for other values",
                    ));
                }
                let k = k as u32;
                Ok(Dist::Erlang {
                    k,
                    rate: f64::from(k) / mean,
                })
            }
            _ => Err(self.either("k` with `rate` or `mean", "mean` and `scv")),
        }
    }

    fn gamma(&mut self) -> Result<Dist, FieldError> {
        let shape = self.positive("shape")?;
        let scale = self.positive("scale")?;
        let rate = self.positive("rate")?;
        let mean = self.positive("mean")?;
        let scv = self.positive("scv")?;
        let (shape, scale) = match (shape, scale, rate, mean, scv) {
            (Some(k), Some(theta), None, None, None) => (k, theta),
            (Some(k), None, Some(r), None, None) => (k, 1.0 / r),
            (None, None, None, Some(m), Some(c)) => (1.0 / c, m * c),
            _ => return Err(self.either("shape` with `scale` or `rate", "mean` and `scv")),
        };
        let sampler = rand_distr::Gamma::new(shape, scale)
            .map_err(|e| self.err("shape", shape, e.to_string()))?;
        Ok(Dist::Gamma {
            shape,
            scale,
            sampler,
        })
    }

    fn hyperexponential(&mut self) -> Result<Dist, FieldError> {
        let mean = self.positive("mean")?;
        let scv = self.opt("scv");
        let branches = self.spec.branches.clone();
        if branches.is_some() {
            self.used.push("branches");
        }
        let (probs, rates) = match (mean, scv, branches) {
            (Some(mean), Some(scv), None) => {
                if !(scv.is_finite() && scv >= 1.0) {
                    return Err(self.err("scv", scv, "a hyperexponential has scv >= 1"));
                }
                // Balanced means (p1/mu1 = p2/mu2): scv = (1 + r²)/(1 - r²).
                let r = ((scv - 1.0) / (scv + 1.0)).sqrt();
                let p1 = 0.5 * (1.0 + r);
                let p2 = 1.0 - p1;
                (vec![p1, p2], vec![2.0 * p1 / mean, 2.0 * p2 / mean])
            }
            (None, None, Some(branches)) => {
                if branches.is_empty() {
                    return Err(self.err("branches", "[]", "needs at least one branch"));
                }
                let mut probs = Vec::new();
                let mut rates = Vec::new();
                for (i, b) in branches.iter().enumerate() {
                    let field = format!("branches[{i}]");
                    if !(b.p.is_finite() && b.p >= 0.0 && b.p <= 1.0) {
                        return Err(self.err(&format!("{field}.p"), b.p, "must lie in [0, 1]"));
                    }
                    let rate = match (b.rate, b.mean) {
                        (Some(r), None) => r,
                        (None, Some(m)) => 1.0 / m,
                        _ => {
                            return Err(self.err(
                                &field,
                                "(branch)",
                                "give exactly one of `rate` or `mean`",
                            ));
                        }
                    };
                    if !(rate.is_finite() && rate > 0.0) {
                        return Err(self.err(
                            &field,
                            rate,
                            "the branch rate must be a finite number greater than 0",
                        ));
                    }
                    probs.push(b.p);
                    rates.push(rate);
                }
                let total: f64 = probs.iter().sum();
                if (total - 1.0).abs() > 1e-9 {
                    return Err(self.err(
                        "branches",
                        format!("sum of p = {total}"),
                        "branch probabilities must sum to 1",
                    ));
                }
                (probs, rates)
            }
            _ => return Err(self.either("mean` and `scv", "branches")),
        };
        let mut acc = 0.0;
        let cumulative = probs
            .iter()
            .map(|p| {
                acc += p;
                acc
            })
            .collect();
        Ok(Dist::HyperExponential {
            probs,
            rates,
            cumulative,
        })
    }

    fn lognormal(&mut self) -> Result<Dist, FieldError> {
        let mu = self.opt("mu");
        let sigma = self.positive("sigma")?;
        let mean = self.positive("mean")?;
        let scv = self.positive("scv")?;
        let (mu, sigma) = match (mu, sigma, mean, scv) {
            (Some(mu), Some(sigma), None, None) => {
                if !mu.is_finite() {
                    return Err(self.err("mu", mu, "must be finite"));
                }
                (mu, sigma)
            }
            (None, None, Some(m), Some(c)) => {
                let s2 = (1.0 + c).ln();
                (m.ln() - 0.5 * s2, s2.sqrt())
            }
            _ => return Err(self.either("mu` and `sigma", "mean` and `scv")),
        };
        let sampler = rand_distr::LogNormal::new(mu, sigma)
            .map_err(|e| self.err("sigma", sigma, e.to_string()))?;
        Ok(Dist::LogNormal { mu, sigma, sampler })
    }

    fn weibull(&mut self) -> Result<Dist, FieldError> {
        let shape = self.positive("shape")?;
        let scale = self.positive("scale")?;
        let mean = self.positive("mean")?;
        let scv = self.positive("scv")?;
        let (shape, scale) = match (shape, scale, mean, scv) {
            (Some(k), Some(l), None, None) => (k, l),
            (None, None, Some(m), Some(c)) => {
                // scv(k) falls from about 1e24 at k = 0.05 to 1.6e-4 at k = 100.
                if !(1e-4..=1e20).contains(&c) {
                    return Err(self.err(
                        "scv",
                        c,
                        "a Weibull by mean and scv needs 1e-4 <= scv <= 1e20",
                    ));
                }
                let k = bisect(weibull_scv, c, 0.05, 100.0);
                (k, m / ln_gamma(1.0 + 1.0 / k).exp())
            }
            _ => return Err(self.either("shape` and `scale", "mean` and `scv")),
        };
        let sampler = rand_distr::Weibull::new(scale, shape)
            .map_err(|e| self.err("shape", shape, e.to_string()))?;
        Ok(Dist::Weibull {
            shape,
            scale,
            sampler,
        })
    }

    fn pareto(&mut self) -> Result<Dist, FieldError> {
        let shape = self.positive("shape")?;
        let scale = self.positive("scale")?;
        let mean = self.positive("mean")?;
        let scv = self.positive("scv")?;
        let (shape, scale) = match (shape, scale, mean, scv) {
            (Some(a), Some(m), None, None) => (a, m),
            (None, None, Some(m), Some(c)) => {
                // scv = 1/(a(a-2)) for a > 2.
                let a = 1.0 + (1.0 + 1.0 / c).sqrt();
                (a, m * (a - 1.0) / a)
            }
            _ => return Err(self.either("shape` and `scale", "mean` and `scv")),
        };
        if shape <= 1.0 {
            return Err(self.err(
                "shape",
                shape,
                "a Pareto needs shape > 1 for a finite mean (shape <= 2 gives an infinite variance)",
            ));
        }
        Ok(Dist::Pareto { shape, scale })
    }

    fn bounded_pareto(&mut self) -> Result<Dist, FieldError> {
        let alpha = self.require("alpha", "`alpha`")?;
        let low = self.positive("low")?;
        let high = self.positive("high")?;
        let mean = self.positive("mean")?;
        let scv = self.positive("scv")?;
        match (low, high, mean, scv) {
            (Some(low), Some(high), None, None) => {
                if high <= low {
                    return Err(self.err(
                        "high",
                        high,
                        format!("must be greater than low = {low}"),
                    ));
                }
                Ok(Dist::BoundedPareto { alpha, low, high })
            }
            (None, None, Some(mean), Some(scv)) => {
                let max_scv = bounded_pareto_scv(alpha, 1e12);
                if scv >= max_scv {
                    return Err(self.err(
                        "scv",
                        scv,
                        format!("with alpha = {alpha} a bounded Pareto reaches scv < {max_scv:.4}"),
                    ));
                }
                let r = bisect(|r| bounded_pareto_scv(alpha, r), scv, 1.0 + 1e-9, 1e12);
                let low = mean / bounded_pareto_moment(alpha, 1.0, r, 1);
                Ok(Dist::BoundedPareto {
                    alpha,
                    low,
                    high: low * r,
                })
            }
            _ => Err(self.either("low` and `high", "mean` and `scv")),
        }
    }

    fn empirical(&mut self, base_dir: &Path) -> Result<Dist, FieldError> {
        let values: Vec<f64> = match (&self.spec.values, &self.spec.file) {
            (Some(v), None) => {
                self.used.push("values");
                v.clone()
            }
            (None, Some(file)) => {
                self.used.push("file");
                let path = base_dir.join(file);
                // A pipe or a device (/dev/stdin) would block or never end.
                match std::fs::metadata(&path) {
                    Ok(m) if !m.is_file() => {
                        return Err(self.err(
                            "file",
                            format!("{file:?}"),
                            "is not a regular file; give a file of values, one a line",
                        ));
                    }
                    Ok(m) if m.len() > MAX_EMPIRICAL_BYTES => {
                        return Err(self.err(
                            "file",
                            format!("{file:?}"),
                            format!(
                                "holds {} bytes, above the limit of {MAX_EMPIRICAL_BYTES}",
                                m.len()
                            ),
                        ));
                    }
                    _ => {}
                }
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    self.err(
                        "file",
                        format!("{file:?}"),
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                let mut values = Vec::new();
                for (i, line) in text.lines().enumerate() {
                    let t = line.trim();
                    if t.is_empty() || t.starts_with('#') {
                        continue;
                    }
                    let v: f64 = t.parse().map_err(|_| {
                        self.err(
                            "file",
                            format!("{file:?}"),
                            format!("line {}: `{t}` is not a number", i + 1),
                        )
                    })?;
                    values.push(v);
                }
                values
            }
            _ => return Err(self.either("values", "file")),
        };
        if values.is_empty() {
            return Err(self.err("values", "[]", "needs at least one value"));
        }
        if let Some(bad) = values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(self.err("values", bad, "every value must be a finite number >= 0"));
        }
        if values.iter().all(|v| *v == 0.0) {
            return Err(self.err("values", 0, "the values must not all be 0"));
        }
        Ok(Dist::Empirical {
            values: values.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn spec(dist: &str) -> DistSpec {
        DistSpec {
            dist: dist.into(),
            ..Default::default()
        }
    }

    fn build(s: DistSpec) -> Dist {
        Dist::from_spec(&s, "d", Path::new(".")).expect("valid spec")
    }

    #[test]
    fn finite_inverse_mean_follows_the_density_at_zero() {
        let gamma = |shape: f64| Dist::Gamma {
            shape,
            scale: 1.0,
            sampler: rand_distr::Gamma::new(shape, 1.0).unwrap(),
        };
        assert!(!Dist::exponential_mean(1.0).has_finite_inverse_mean());
        assert!(!by_mean_scv("hyperexponential", 1.0, 4.0).has_finite_inverse_mean());
        assert!(!gamma(1.0).has_finite_inverse_mean());
        assert!(!gamma(0.5).has_finite_inverse_mean());
        assert!(gamma(2.5).has_finite_inverse_mean());
        assert!(!Dist::Erlang { k: 1, rate: 1.0 }.has_finite_inverse_mean());
        assert!(Dist::Erlang { k: 2, rate: 1.0 }.has_finite_inverse_mean());
        assert!(Dist::Deterministic { value: 1.0 }.has_finite_inverse_mean());
        let uniform = |low| Dist::Uniform { low, high: 2.0 };
        assert!(!uniform(0.0).has_finite_inverse_mean());
        assert!(uniform(0.5).has_finite_inverse_mean());
    }

    #[test]
    fn quantiles_invert_the_cdf() {
        let e = Dist::exponential_mean(2.0);
        // Exponential: -mean ln(1 - p).
        for p in [0.1, 0.5, 0.9] {
            let exact = -2.0 * f64::ln(1.0 - p);
            assert!((e.quantile(p) - exact).abs() < 1e-9 * exact, "{p}");
        }
        assert_eq!(Dist::Deterministic { value: 3.0 }.quantile(0.1), 3.0);
        let u = Dist::Uniform {
            low: 1.0,
            high: 3.0,
        };
        assert!((u.quantile(0.25) - 1.5).abs() < 1e-9);
        let emp = Dist::Empirical {
            values: vec![4.0, 1.0, 2.0, 3.0].into(),
        };
        assert_eq!(emp.quantile(0.5), 2.0);
        assert_eq!(emp.quantile(0.51), 3.0);
    }

    fn by_mean_scv(dist: &str, mean: f64, scv: f64) -> Dist {
        build(DistSpec {
            mean: Some(mean),
            scv: Some(scv),
            ..spec(dist)
        })
    }

    /// Sample mean and second moment agree with the exact ones within 5
    /// standard errors (the standard error of the second moment uses the
    /// sample fourth moment).
    fn check_moments(d: &Dist) {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let n = 400_000;
        let (mut s1, mut s2, mut s4) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = d.sample(&mut rng);
            s1 += x;
            s2 += x * x;
            s4 += x * x * x * x;
        }
        let nf = n as f64;
        let (m1, m2, m4) = (s1 / nf, s2 / nf, s4 / nf);
        let se1 = ((m2 - m1 * m1) / nf).sqrt();
        let se2 = ((m4 - m2 * m2) / nf).sqrt();
        assert!(
            (m1 - d.mean()).abs() <= 5.0 * se1 + 1e-12,
            "{}: mean {m1} vs exact {}",
            d.family(),
            d.mean()
        );
        assert!(
            (m2 - d.second_moment()).abs() <= 5.0 * se2 + 1e-12,
            "{}: E[X^2] {m2} vs exact {}",
            d.family(),
            d.second_moment()
        );
    }

    #[test]
    fn moments_by_mean_and_scv_are_exact() {
        for (dist, scv) in [
            ("uniform", 0.2),
            ("erlang", 0.25),
            ("gamma", 0.6),
            ("hyperexponential", 4.0),
            ("lognormal", 1.5),
            ("weibull", 2.0),
            ("weibull", 0.3),
            ("pareto", 4.0),
            ("bounded-pareto", 3.0),
        ] {
            let mut s = DistSpec {
                mean: Some(2.0),
                scv: Some(scv),
                ..spec(dist)
            };
            if dist == "bounded-pareto" {
                s.alpha = Some(1.5);
            }
            let d = build(s);
            assert!((d.mean() - 2.0).abs() < 1e-9, "{dist} mean {}", d.mean());
            assert!((d.scv() - scv).abs() < 1e-6, "{dist} scv {}", d.scv());
        }
    }

    #[test]
    fn sampling_matches_exact_moments() {
        check_moments(&Dist::exponential_mean(1.5));
        check_moments(&by_mean_scv("uniform", 1.0, 0.3));
        check_moments(&by_mean_scv("erlang", 1.0, 0.25));
        check_moments(&by_mean_scv("gamma", 1.0, 0.5));
        check_moments(&by_mean_scv("hyperexponential", 1.0, 4.0));
        check_moments(&by_mean_scv("lognormal", 1.0, 0.5));
        check_moments(&by_mean_scv("weibull", 1.0, 0.5));
        check_moments(&build(DistSpec {
            alpha: Some(1.2),
            low: Some(1.0),
            high: Some(100.0),
            ..spec("bounded-pareto")
        }));
        check_moments(&build(DistSpec {
            values: Some(vec![1.0, 2.0, 7.0]),
            ..spec("empirical")
        }));
    }

    /// The CDF, density and partial moments agree with one another and
    /// with the full moments, for every family.
    #[test]
    fn cdf_density_and_partial_moments_are_consistent() {
        let mut all = vec![
            Dist::exponential_mean(1.5),
            by_mean_scv("uniform", 1.0, 0.3),
            by_mean_scv("erlang", 1.0, 0.25),
            by_mean_scv("gamma", 1.0, 0.5),
            by_mean_scv("hyperexponential", 1.0, 4.0),
            by_mean_scv("lognormal", 1.0, 0.5),
            by_mean_scv("weibull", 1.0, 0.5),
            // Shape 2.73: a tail light enough for the second moment to converge here.
            by_mean_scv("pareto", 1.0, 0.5),
        ];
        all.push(build(DistSpec {
            alpha: Some(1.2),
            low: Some(1.0),
            high: Some(100.0),
            ..spec("bounded-pareto")
        }));
        for d in &all {
            let hi = d.upper_bound(1e-13);
            let name = d.family();
            // Far out, the partial moments are the full ones.
            assert!(
                (d.partial_moment(1, hi * 50.0) - d.mean()).abs() < 1e-6 * d.mean(),
                "{name} m1"
            );
            if d.second_moment().is_finite() {
                let m2 = d.partial_moment(2, hi * 1e4);
                assert!(
                    (m2 - d.second_moment()).abs() < 1e-4 * d.second_moment(),
                    "{name} m2 {m2}"
                );
            }
            // The density integrates to the CDF and x·f to the first partial moment.
            for x in [0.3, 1.0, 2.5] {
                let n = 20_000;
                let h = x / n as f64;
                let (mut f, mut m) = (0.0, 0.0);
                for i in 0..n {
                    let t = (i as f64 + 0.5) * h;
                    let p = d.pdf(t).unwrap();
                    f += p * h;
                    m += t * p * h;
                }
                assert!(
                    (f - d.cdf(x)).abs() < 2e-4,
                    "{name} cdf({x}) {f} vs {}",
                    d.cdf(x)
                );
                assert!((m - d.partial_moment(1, x)).abs() < 2e-4, "{name} m1({x})");
            }
        }
        let det = Dist::Deterministic { value: 2.0 };
        assert_eq!((det.cdf(1.9), det.cdf(2.0)), (0.0, 1.0));
        assert_eq!(det.partial_moment(2, 2.0), 4.0);
        assert!(det.pdf(1.0).is_none());
    }

    #[test]
    fn scaling_scales_the_moments() {
        for d in [
            Dist::exponential_mean(1.5),
            by_mean_scv("gamma", 1.0, 0.5),
            by_mean_scv("hyperexponential", 1.0, 4.0),
            by_mean_scv("lognormal", 1.0, 0.5),
            by_mean_scv("weibull", 1.0, 0.5),
            by_mean_scv("uniform", 1.0, 0.2),
        ] {
            let s = d.scaled(2.5);
            assert!(
                (s.mean() - 2.5 * d.mean()).abs() < 1e-9 * d.mean(),
                "{}",
                d.family()
            );
            assert!((s.scv() - d.scv()).abs() < 1e-9, "{}", d.family());
        }
    }

    #[test]
    fn pareto_with_small_shape_has_infinite_second_moment() {
        let d = build(DistSpec {
            shape: Some(1.8),
            scale: Some(1.0),
            ..spec("pareto")
        });
        assert!(d.second_moment().is_infinite());
        assert!((d.mean() - 1.8 / 0.8).abs() < 1e-12);
    }

    #[test]
    fn bad_specs_name_the_field() {
        let cases: Vec<(DistSpec, &str)> = vec![
            (
                DistSpec {
                    rate: Some(-1.0),
                    ..spec("exponential")
                },
                "d.rate",
            ),
            (spec("exponential"), "d"),
            (
                DistSpec {
                    rate: Some(1.0),
                    shape: Some(2.0),
                    ..spec("exponential")
                },
                "d.shape",
            ),
            (
                DistSpec {
                    mean: Some(1.0),
                    scv: Some(0.3),
                    ..spec("erlang")
                },
                "d.scv",
            ),
            (
                DistSpec {
                    mean: Some(1.0),
                    scv: Some(0.5),
                    ..spec("hyperexponential")
                },
                "d.scv",
            ),
            (
                DistSpec {
                    branches: Some(vec![
                        BranchSpec {
                            p: 0.5,
                            rate: Some(1.0),
                            mean: None,
                        },
                        BranchSpec {
                            p: 0.6,
                            rate: Some(2.0),
                            mean: None,
                        },
                    ]),
                    ..spec("hyperexponential")
                },
                "d.branches",
            ),
            (spec("normal"), "d.dist"),
            (
                DistSpec {
                    shape: Some(0.9),
                    scale: Some(1.0),
                    ..spec("pareto")
                },
                "d.shape",
            ),
            (
                DistSpec {
                    values: Some(vec![]),
                    ..spec("empirical")
                },
                "d.values",
            ),
        ];
        for (s, field) in cases {
            let e =
                Dist::from_spec(&s, "d", Path::new(".")).expect_err(&format!("{s:?} must fail"));
            assert_eq!(e.field, field, "{e}");
        }
    }
}
