//! Delays between attempts: exponential backoff with a cap and jitter, and
//! the presets of the task systems people run.
//!
//! The delay before attempt `k + 1` (after `k` attempts have ended) is
//!
//! ```text
//! d_k = min(max_interval, initial · coefficient^(k-1))
//! ```
//!
//! then jittered with a uniform draw `u` on [0, 1):
//! `none` keeps `d_k`, `full` draws uniformly on [0, d_k] ("full jitter"),
//! `equal` draws `d_k / 2 + u · d_k / 2` ("equal jitter"), as named in
//! M. Brooker, *Exponential Backoff And Jitter*, AWS Architecture Blog, 2015.

/// How a delay is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    None,
    /// Uniform on [0, d].
    Full,
    /// d/2 plus uniform on [0, d/2].
    Equal,
}

impl Jitter {
    pub fn parse(s: &str) -> Option<Jitter> {
        match s {
            "none" => Some(Jitter::None),
            "full" => Some(Jitter::Full),
            "equal" => Some(Jitter::Equal),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
        }
    }
}

/// The rule that spaces the attempts of a task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backoff {
    /// `min(max_interval, initial · coefficient^(k-1))`, jittered.
    Exponential {
        initial: f64,
        coefficient: f64,
        max_interval: f64,
        jitter: Jitter,
    },
    /// Sidekiq's polynomial rule (`lib/sidekiq/job_retry.rb`, versions 7
    /// and 8): with `n = k - 1` retries already made, `n^4 + 15` plus an
    /// integer drawn uniformly from `0 .. 10 (n + 1)`, in seconds.
    Sidekiq,
}

impl Backoff {
    /// The delay before attempt `k + 1`, after `k ≥ 1` attempts, from a
    /// uniform draw `u` on [0, 1).
    pub fn delay(&self, k: u32, u: f64) -> f64 {
        match *self {
            Backoff::Exponential {
                initial,
                coefficient,
                max_interval,
                jitter,
            } => {
                // powi saturates to infinity for large k; the cap then holds.
                let exponent = i32::try_from(k.saturating_sub(1)).unwrap_or(i32::MAX);
                let d = (initial * coefficient.powi(exponent)).min(max_interval);
                match jitter {
                    Jitter::None => d,
                    Jitter::Full => u * d,
                    Jitter::Equal => d / 2.0 + u * d / 2.0,
                }
            }
            Backoff::Sidekiq => {
                let n = f64::from(k.saturating_sub(1));
                let spread = 10.0 * (n + 1.0);
                n.powi(4) + 15.0 + (u * spread).floor()
            }
        }
    }

    /// Whether every delay is zero (a retried attempt rejoins at once).
    pub fn immediate(&self) -> bool {
        matches!(self, Backoff::Exponential { initial, .. } if *initial == 0.0)
    }
}

/// A retry rule: how many attempts a task gets and how they are spaced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    /// Attempts in all, the first included; 0 for unlimited.
    pub max_attempts: u32,
    pub backoff: Backoff,
}

impl Retry {
    /// No retry: one attempt.
    pub const NONE: Retry = Retry {
        max_attempts: 1,
        backoff: Backoff::Exponential {
            initial: 0.0,
            coefficient: 1.0,
            max_interval: 0.0,
            jitter: Jitter::None,
        },
    };

    /// Whether a task whose attempt number `attempt` just ended may try again.
    pub fn allows_after(&self, attempt: u32) -> bool {
        self.max_attempts == 0 || attempt < self.max_attempts
    }

    /// The documented defaults of a task system, one time unit being a
    /// second. Each is stated in the README with its source.
    pub fn preset(name: &str) -> Option<Retry> {
        let exp = |max_attempts, initial, coefficient, max_interval, jitter| Retry {
            max_attempts,
            backoff: Backoff::Exponential {
                initial,
                coefficient,
                max_interval,
                jitter,
            },
        };
        match name {
            // Temporal activity retry policy: initial interval 1 s,
            // coefficient 2, maximum interval 100 × initial, unlimited attempts.
            "temporal" => Some(exp(0, 1.0, 2.0, 100.0, Jitter::None)),
            // Celery autoretry with retry_backoff = True: factor 1 s doubled
            // per retry, retry_backoff_max 600 s, retry_jitter True (full),
            // max_retries 3 (4 attempts).
            "celery" => Some(exp(4, 1.0, 2.0, 600.0, Jitter::Full)),
            // Sidekiq: 25 retries (26 attempts), polynomial delays.
            "sidekiq" => Some(Retry {
                max_attempts: 26,
                backoff: Backoff::Sidekiq,
            }),
            // Kubernetes Job: backoffLimit 6 (7 attempts), pods recreated
            // after 10 s, 20 s, 40 s, ... capped at 6 minutes.
            "k8s-job" => Some(exp(7, 10.0, 2.0, 360.0, Jitter::None)),
            // AWS Step Functions retrier: IntervalSeconds 1, BackoffRate 2,
            // MaxAttempts 3 retries (4 attempts), no MaxDelaySeconds, JitterStrategy NONE.
            "step-functions" => Some(exp(4, 1.0, 2.0, f64::INFINITY, Jitter::None)),
            _ => None,
        }
    }

    pub const PRESETS: [&'static str; 5] =
        ["temporal", "celery", "sidekiq", "k8s-job", "step-functions"];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(jitter: Jitter) -> Backoff {
        Backoff::Exponential {
            initial: 1.0,
            coefficient: 2.0,
            max_interval: 30.0,
            jitter,
        }
    }

    #[test]
    fn exponential_delays_follow_the_formula_and_the_cap() {
        let b = exp(Jitter::None);
        let delays: Vec<f64> = (1..=7).map(|k| b.delay(k, 0.5)).collect();
        assert_eq!(delays, vec![1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]);
        // A huge attempt count saturates to the cap, never to NaN or infinity.
        assert_eq!(b.delay(u32::MAX, 0.5), 30.0);
    }

    #[test]
    fn jitter_modes_cover_their_intervals() {
        for k in 1..=8 {
            let d = exp(Jitter::None).delay(k, 0.0);
            assert_eq!(exp(Jitter::Full).delay(k, 0.0), 0.0);
            assert_eq!(exp(Jitter::Full).delay(k, 0.25), 0.25 * d);
            assert_eq!(exp(Jitter::Equal).delay(k, 0.0), d / 2.0);
            assert_eq!(exp(Jitter::Equal).delay(k, 0.5), 0.75 * d);
            assert!(exp(Jitter::Equal).delay(k, 0.999_999) < d);
        }
    }

    #[test]
    fn sidekiq_delays_are_polynomial_with_growing_jitter() {
        // First retry: 15 s plus 0..9; fifth retry: 4^4 + 15 = 271 plus 0..49.
        assert_eq!(Backoff::Sidekiq.delay(1, 0.0), 15.0);
        assert_eq!(Backoff::Sidekiq.delay(1, 0.999), 24.0);
        assert_eq!(Backoff::Sidekiq.delay(5, 0.0), 271.0);
        assert_eq!(Backoff::Sidekiq.delay(5, 0.999), 320.0);
    }

    #[test]
    fn presets_carry_their_documented_values() {
        let t = Retry::preset("temporal").unwrap();
        assert_eq!(t.max_attempts, 0);
        assert_eq!(
            (1..=9).map(|k| t.backoff.delay(k, 0.3)).collect::<Vec<_>>(),
            vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0, 100.0]
        );
        let k8s = Retry::preset("k8s-job").unwrap();
        assert_eq!(k8s.max_attempts, 7);
        assert_eq!(
            (1..=7)
                .map(|k| k8s.backoff.delay(k, 0.3))
                .collect::<Vec<_>>(),
            vec![10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 360.0]
        );
        let sf = Retry::preset("step-functions").unwrap();
        assert_eq!(sf.max_attempts, 4);
        assert_eq!(sf.backoff.delay(3, 0.9), 4.0);
        let c = Retry::preset("celery").unwrap();
        assert_eq!(c.max_attempts, 4);
        assert_eq!(c.backoff.delay(11, 0.5), 300.0);
        assert_eq!(Retry::preset("sidekiq").unwrap().max_attempts, 26);
        for name in Retry::PRESETS {
            assert!(Retry::preset(name).is_some(), "{name}");
        }
        assert!(Retry::preset("resque").is_none());
    }

    #[test]
    fn attempts_allowed() {
        let r = Retry {
            max_attempts: 3,
            backoff: exp(Jitter::None),
        };
        assert!(r.allows_after(1) && r.allows_after(2) && !r.allows_after(3));
        let unlimited = Retry {
            max_attempts: 0,
            ..r
        };
        assert!(unlimited.allows_after(1_000_000));
        assert!(!Retry::NONE.allows_after(1));
    }
}
