//! Birth-death queues: M/M/1, M/M/c (Erlang C), M/M/c/K, M/M/c/c (Erlang
//! B) and M/M/∞, with the waiting-time and queue-length distributions of
//! M/M/c.

use serde::Serialize;
use statrs::function::gamma::ln_gamma;

use super::{Metrics, Result, TheoryError, positive, stable};

/// M/M/1: `ρ = λ/μ`, `W = 1/(μ − λ)`, `Wq = ρ/(μ − λ)`.
///
/// Kleinrock (1975) §3.2; Gross et al. (2008) §2.2.
pub fn mm1(lambda: f64, mu: f64) -> Result<Metrics> {
    positive("lambda", lambda)?;
    positive("mu", mu)?;
    let rho = stable(lambda / mu)?;
    Ok(Metrics::from_wait(
        lambda,
        rho / (mu - lambda),
        1.0 / mu,
        rho,
    ))
}

/// Erlang B, the blocking probability of M/M/c/c with offered load
/// `a = λ/μ`, by the recursion `B(0) = 1`, `B(k) = a B(k−1) / (k + a B(k−1))`,
/// which needs no factorial and is stable for any `c`.
///
/// Gross et al. (2008) §2.5; Jagerman, "Some properties of the Erlang loss
/// function", Bell Syst. Tech. J. 53 (1974).
pub fn erlang_b(a: f64, c: u32) -> Result<f64> {
    positive("a", a)?;
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    Ok(b)
}

/// Erlang B from its direct form `B = (a^c/c!) / Σ_{k=0}^{c} a^k/k!`,
/// evaluated in log space (for checking the recursion).
pub fn erlang_b_direct(a: f64, c: u32) -> Result<f64> {
    positive("a", a)?;
    let term = |k: u32| f64::from(k) * a.ln() - ln_gamma(f64::from(k) + 1.0);
    let max = (0..=c).map(term).fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = (0..=c).map(|k| (term(k) - max).exp()).sum();
    Ok((term(c) - max).exp() / sum)
}

/// Erlang C, the probability of waiting in M/M/c:
/// `C = B / (1 − ρ (1 − B))` with `B` = Erlang B at `a = cρ` and `ρ < 1`.
///
/// Gross et al. (2008) §2.3.
pub fn erlang_c(a: f64, c: u32) -> Result<f64> {
    if c == 0 {
        return Err(TheoryError::Invalid {
            name: "servers",
            value: 0.0,
            reason: "needs at least 1 server",
        });
    }
    let rho = stable(a / f64::from(c))?;
    let b = erlang_b(a, c)?;
    Ok(b / (1.0 - rho * (1.0 - b)))
}

/// M/M/c results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MmcMetrics {
    #[serde(flatten)]
    pub metrics: Metrics,
    /// Probability that an arrival waits (Erlang C).
    pub p_wait: f64,
}

/// M/M/c: `Wq = C(c, a) / (cμ − λ)` with `a = λ/μ`, `ρ = a/c`.
///
/// Gross et al. (2008) §2.3; Kleinrock (1975) §3.5.
pub fn mmc(lambda: f64, mu: f64, c: u32) -> Result<MmcMetrics> {
    positive("lambda", lambda)?;
    positive("mu", mu)?;
    let p_wait = erlang_c(lambda / mu, c)?;
    let rho = lambda / (mu * f64::from(c));
    let wq = p_wait / (f64::from(c) * mu - lambda);
    Ok(MmcMetrics {
        metrics: Metrics::from_wait(lambda, wq, 1.0 / mu, rho),
        p_wait,
    })
}

/// M/M/c waiting-time tail: `P(Wq > t) = C · exp(−(cμ − λ) t)`.
///
/// Gross et al. (2008) §2.3.
pub fn mmc_wait_tail(lambda: f64, mu: f64, c: u32, t: f64) -> Result<f64> {
    let m = mmc(lambda, mu, c)?;
    Ok(m.p_wait * (-(f64::from(c) * mu - lambda) * t.max(0.0)).exp())
}

/// The `p`-quantile of the M/M/c wait: 0 when `p <= 1 − C`, else
/// `ln(C / (1 − p)) / (cμ − λ)`.
pub fn mmc_wait_quantile(lambda: f64, mu: f64, c: u32, p: f64) -> Result<f64> {
    if !(0.0..1.0).contains(&p) {
        return Err(TheoryError::Invalid {
            name: "p",
            value: p,
            reason: "a quantile level lies in [0, 1)",
        });
    }
    let m = mmc(lambda, mu, c)?;
    if p <= 1.0 - m.p_wait {
        Ok(0.0)
    } else {
        Ok((m.p_wait / (1.0 - p)).ln() / (f64::from(c) * mu - lambda))
    }
}

/// M/M/c-FCFS response-time tail `P(T > t)`. The response time is the sum
/// of an Exp(μ) service and the wait, which is 0 with probability `1 − C`
/// and Exp(cμ − λ) with probability `C` (Erlang C), independent of it; the
/// convolution gives, with `δ = cμ − λ − μ`,
/// `P(T > t) = e^{−μt} (1 + C μ (1 − e^{−δt}) / δ)` (the fraction read
/// as `t` when `δ = 0`). Gross, Shortle, Thompson & Harris (2008),
/// *Fundamentals of Queueing Theory*, 4th ed., §2.3 (the M/M/c
/// response-time distribution).
pub fn mmc_response_tail(lambda: f64, mu: f64, c: u32, t: f64) -> Result<f64> {
    let m = mmc(lambda, mu, c)?;
    let t = t.max(0.0);
    let delta = f64::from(c) * mu - lambda - mu;
    // (1 − e^{−δt}) / δ without cancellation near δ = 0.
    let g = if delta * t == 0.0 {
        t
    } else {
        -(-delta * t).exp_m1() / delta
    };
    Ok(((-mu * t).exp() * (1.0 + m.p_wait * mu * g)).clamp(0.0, 1.0))
}

/// The `p`-quantile of the M/M/c-FCFS response time: the `t` where
/// [`mmc_response_tail`] is `1 − p`, found by bisection (the tail falls
/// from 1 at `t = 0`), to a relative precision of 1e-12.
pub fn mmc_response_quantile(lambda: f64, mu: f64, c: u32, p: f64) -> Result<f64> {
    if !(0.0..1.0).contains(&p) {
        return Err(TheoryError::Invalid {
            name: "p",
            value: p,
            reason: "a quantile level lies in [0, 1)",
        });
    }
    mmc(lambda, mu, c)?;
    if p == 0.0 {
        return Ok(0.0);
    }
    let tail = |t: f64| mmc_response_tail(lambda, mu, c, t);
    let mut hi = 1.0 / mu;
    while tail(hi)? > 1.0 - p {
        hi *= 2.0;
        if !hi.is_finite() {
            return Err(TheoryError::Invalid {
                name: "p",
                value: p,
                reason: "the quantile is too large to represent",
            });
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if tail(mid)? > 1.0 - p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// The `p`-quantile of the M/M/1-FCFS response time, exponential with rate
/// `μ − λ`: `−ln(1 − p) / (μ − λ)`. Kleinrock (1975) §3.2.
pub fn mm1_response_quantile(lambda: f64, mu: f64, p: f64) -> Result<f64> {
    mm1(lambda, mu)?;
    if !(0.0..1.0).contains(&p) {
        return Err(TheoryError::Invalid {
            name: "p",
            value: p,
            reason: "a quantile level lies in [0, 1)",
        });
    }
    Ok(-(1.0 - p).ln() / (mu - lambda))
}

/// M/M/c number in system: `P(N = n) = p0 a^n / n!` for `n < c`,
/// `p0 a^c/c! ρ^(n−c)` for `n >= c`, computed in log space so `c` in the
/// thousands is fine. Gross et al. (2008) §2.3.
pub fn mmc_queue_length_pmf(lambda: f64, mu: f64, c: u32, n: u64) -> Result<f64> {
    positive("lambda", lambda)?;
    positive("mu", mu)?;
    let a = lambda / mu;
    let rho = stable(a / f64::from(c))?;
    // ln of the unnormalised weights.
    let ln_w = |k: u64| -> f64 {
        if k < u64::from(c) {
            k as f64 * a.ln() - ln_gamma(k as f64 + 1.0)
        } else {
            f64::from(c) * a.ln() - ln_gamma(f64::from(c) + 1.0)
                + (k - u64::from(c)) as f64 * rho.ln()
        }
    };
    let ln_tail = ln_w(u64::from(c)) - (1.0 - rho).ln();
    let max = (0..u64::from(c)).map(ln_w).fold(ln_tail, f64::max);
    let norm: f64 = (0..u64::from(c))
        .map(|k| (ln_w(k) - max).exp())
        .sum::<f64>()
        + (ln_tail - max).exp();
    Ok((ln_w(n) - max).exp() / norm)
}

/// M/M/c/K results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MmckMetrics {
    #[serde(flatten)]
    pub metrics: Metrics,
    /// Probability an arrival finds the system full, `p_K`.
    pub p_block: f64,
    /// Rate of admitted arrivals, `λ (1 − p_K)`.
    pub lambda_eff: f64,
}

/// M/M/c/K (capacity `K >= c` jobs in system): `p_n ∝ a^n/n!` for `n <= c`,
/// `a^c/c! ρ^(n−c)` for `c < n <= K`; `p_block = p_K`; `L = Σ n p_n`;
/// `W = L / λ_eff`, `Wq = W − 1/μ`. Stable at any load.
///
/// Gross et al. (2008) §2.6.
pub fn mmck(lambda: f64, mu: f64, c: u32, k: u32) -> Result<MmckMetrics> {
    positive("lambda", lambda)?;
    positive("mu", mu)?;
    if c == 0 {
        return Err(TheoryError::Invalid {
            name: "servers",
            value: 0.0,
            reason: "needs at least 1 server",
        });
    }
    if k < c {
        return Err(TheoryError::Invalid {
            name: "capacity",
            value: f64::from(k),
            reason: "the capacity K must be at least the number of servers c",
        });
    }
    let a = lambda / mu;
    let rho = a / f64::from(c);
    let ln_w = |n: u32| -> f64 {
        if n <= c {
            f64::from(n) * a.ln() - ln_gamma(f64::from(n) + 1.0)
        } else {
            f64::from(c) * a.ln() - ln_gamma(f64::from(c) + 1.0) + f64::from(n - c) * rho.ln()
        }
    };
    let max = (0..=k).map(ln_w).fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = (0..=k).map(|n| (ln_w(n) - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
    let l: f64 = p.iter().enumerate().map(|(n, pn)| n as f64 * pn).sum();
    let p_block = p[k as usize];
    let lambda_eff = lambda * (1.0 - p_block);
    let w = l / lambda_eff;
    let metrics = Metrics {
        rho,
        mean_wait: w - 1.0 / mu,
        mean_response: w,
        mean_in_queue: lambda_eff * (w - 1.0 / mu),
        mean_in_system: l,
    };
    Ok(MmckMetrics {
        metrics,
        p_block,
        lambda_eff,
    })
}

/// M/M/∞: nobody waits; `W = 1/μ`, `L = λ/μ` (Poisson number in system).
/// Kleinrock (1975) §3.6.
pub fn mm_inf(lambda: f64, mu: f64) -> Result<Metrics> {
    positive("lambda", lambda)?;
    positive("mu", mu)?;
    Ok(Metrics::from_wait(lambda, 0.0, 1.0 / mu, 0.0))
}

#[cfg(test)]
mod tests {

    #[test]
    fn mmc_response_quantiles_reduce_to_mm1_and_invert_the_tail() {
        for p in [0.1, 0.5, 0.9, 0.99] {
            let one = mmc_response_quantile(0.7, 1.0, 1, p).unwrap();
            let exact = mm1_response_quantile(0.7, 1.0, p).unwrap();
            assert!((one - exact).abs() < 1e-9 * exact, "{p}: {one} vs {exact}");
            // δ = cμ − λ − μ = 0: the limit form.
            let t = mmc_response_quantile(1.0, 1.0, 2, p).unwrap();
            assert!((mmc_response_tail(1.0, 1.0, 2, t).unwrap() - (1.0 - p)).abs() < 1e-9);
        }
        // Without waiting (C tiny), the response is the service alone.
        let t = mmc_response_quantile(0.01, 1.0, 20, 0.5).unwrap();
        assert!((t - 2f64.ln()).abs() < 1e-9, "{t}");
        assert!(mmc_response_quantile(3.0, 1.0, 2, 0.5).is_err());
        assert!(mmc_response_quantile(1.0, 1.0, 2, 1.0).is_err());
    }

    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn mm2_at_load_0_9() {
        // By hand: a = 1.8, B(2, 1.8) = (1.8²/2) / (1 + 1.8 + 1.62) = 1.62/4.42;
        // C = B / (1 − 0.9 (1 − B)) = 0.852632; Wq = C / 0.2 = 4.263158.
        let m = mmc(1.8, 1.0, 2).unwrap();
        let b = 1.62 / 4.42;
        let c = b / (1.0 - 0.9 * (1.0 - b));
        assert!(close(m.p_wait, c, 1e-12));
        assert!(close(m.p_wait, 0.852_631_578_947, 1e-9));
        assert!(close(m.metrics.mean_wait, 4.263_157_894_7, 1e-9));
        assert!(close(m.metrics.mean_response, 5.263_157_894_7, 1e-9));
        assert!(close(m.metrics.mean_in_queue, 7.673_684_210_5, 1e-9));
        assert!(close(m.metrics.mean_in_system, 9.473_684_210_5, 1e-9));
    }

    #[test]
    fn erlang_b_table_values() {
        // Standard Erlang B tables (e.g. Gross et al. (2008), Table of B(c, a)):
        // B(c=10, a=10) = 0.2146, B(c=5, a=2) = 0.03670.
        assert!(close(erlang_b(10.0, 10).unwrap(), 0.214_58, 1e-4));
        assert!(close(erlang_b(2.0, 5).unwrap(), 0.036_697, 1e-4));
    }

    #[test]
    fn identities() {
        for (l, m) in [(0.3, 1.0), (0.9, 1.0), (4.0, 5.0)] {
            let a = mm1(l, m).unwrap();
            let b = mmc(l, m, 1).unwrap().metrics;
            assert!(close(a.mean_response, b.mean_response, 1e-12));
            assert!(close(a.mean_in_queue, b.mean_in_queue, 1e-12));
        }
        for c in [1, 2, 7, 50, 200] {
            for a in [0.5, 5.0, 150.0] {
                let r = erlang_b(a, c).unwrap();
                let d = erlang_b_direct(a, c).unwrap();
                assert!(close(r, d, 1e-9), "c={c} a={a}: {r} vs {d}");
            }
        }
        // A huge capacity is M/M/c.
        let k = mmck(1.8, 1.0, 2, 2000).unwrap();
        let m = mmc(1.8, 1.0, 2).unwrap();
        assert!(close(
            k.metrics.mean_response,
            m.metrics.mean_response,
            1e-9
        ));
        assert!(k.p_block < 1e-80);
        // M/M/c/c blocking is Erlang B.
        let loss = mmck(3.0, 1.0, 4, 4).unwrap();
        assert!(close(loss.p_block, erlang_b(3.0, 4).unwrap(), 1e-12));
        // The queue-length pmf sums to 1 and gives L.
        let (mut total, mut mean) = (0.0, 0.0);
        for n in 0..3000 {
            let p = mmc_queue_length_pmf(1.8, 1.0, 2, n).unwrap();
            total += p;
            mean += n as f64 * p;
        }
        assert!(close(total, 1.0, 1e-12));
        assert!(close(mean, m.metrics.mean_in_system, 1e-9));
    }

    #[test]
    fn erlang_c_is_stable_for_thousands_of_servers() {
        let m = mmc(4750.0, 1.0, 5000).unwrap();
        assert!(m.p_wait > 0.0 && m.p_wait < 1.0 && m.p_wait.is_finite());
        assert!(m.metrics.mean_wait.is_finite());
        assert!(
            mmc_queue_length_pmf(4750.0, 1.0, 5000, 4800)
                .unwrap()
                .is_finite()
        );
    }

    #[test]
    fn wait_distribution() {
        let m = mmc(1.8, 1.0, 2).unwrap();
        assert!(close(
            mmc_wait_tail(1.8, 1.0, 2, 0.0).unwrap(),
            m.p_wait,
            1e-12
        ));
        let q = mmc_wait_quantile(1.8, 1.0, 2, 0.95).unwrap();
        assert!(close(mmc_wait_tail(1.8, 1.0, 2, q).unwrap(), 0.05, 1e-9));
        assert_eq!(mmc_wait_quantile(1.8, 1.0, 2, 0.1).unwrap(), 0.0);
        assert!(close(
            mm1_response_quantile(0.8, 1.0, 0.5).unwrap(),
            2f64.ln() / 0.2,
            1e-12
        ));
    }

    #[test]
    fn unstable_and_invalid() {
        assert_eq!(mm1(1.0, 1.0), Err(TheoryError::Unstable { rho: 1.0 }));
        assert!(matches!(
            mmc(2.5, 1.0, 2),
            Err(TheoryError::Unstable { .. })
        ));
        assert!(matches!(
            mm1(-1.0, 1.0),
            Err(TheoryError::Invalid { name: "lambda", .. })
        ));
        assert!(matches!(
            mmc(1.0, 1.0, 0),
            Err(TheoryError::Invalid {
                name: "servers",
                ..
            })
        ));
        assert!(matches!(
            mmck(1.0, 1.0, 3, 2),
            Err(TheoryError::Invalid {
                name: "capacity",
                ..
            })
        ));
        // Finite capacity is stable at any load.
        assert!(mmck(5.0, 1.0, 2, 10).unwrap().p_block > 0.5);
    }
}
