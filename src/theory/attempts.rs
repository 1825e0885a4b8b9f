//! Closed forms of the task lifecycle: attempts, give-ups, retries as
//! feedback, and the completion time of work that restarts on failure.

use super::{Metrics, Result, TheoryError, mmc};

fn probability(name: &'static str, p: f64) -> Result<f64> {
    if (0.0..1.0).contains(&p) {
        Ok(p)
    } else {
        Err(TheoryError::Invalid {
            name,
            value: p,
            reason: "must lie in [0, 1)",
        })
    }
}

/// Mean attempts of a task whose attempts fail independently with
/// probability `p`, allowed `max_attempts` of them (0: unlimited): the
/// truncated geometric mean `(1 − p^m) / (1 − p)`, or `1 / (1 − p)`.
pub fn mean_attempts(p: f64, max_attempts: u32) -> Result<f64> {
    let p = probability("p", p)?;
    Ok(match max_attempts {
        0 => 1.0 / (1.0 - p),
        m => (1.0 - p.powi(m as i32)) / (1.0 - p),
    })
}

/// Probability that such a task is given up: every one of its `m`
/// attempts fails, `p^m` (0 with unlimited attempts).
pub fn p_give_up(p: f64, max_attempts: u32) -> Result<f64> {
    let p = probability("p", p)?;
    Ok(match max_attempts {
        0 => 0.0,
        m => p.powi(m as i32),
    })
}

/// M/M/c whose jobs, at the end of each service, go back to the tail of
/// the queue with probability `p` and draw a new exponential service
/// (Bernoulli feedback; attempts that fail at their end and are retried
/// at once). The node sees Poisson-like traffic `λ / (1 − p)` in the
/// mean-value sense (Jackson's theorem for one node with feedback), so
/// per visit it is M/M/c at that rate, and a job makes `1 / (1 − p)`
/// visits: `W = W_visit / (1 − p)`; for c = 1, `W = 1 / (μ(1 − p) − λ)`.
///
/// Takács, *A single-server queue with feedback*, Bell Syst. Tech. J. 42
/// (1963); Gross et al., *Fundamentals of Queueing Theory* (2008) §4.1.
pub fn mmc_feedback(lambda: f64, mu: f64, c: u32, p: f64) -> Result<Metrics> {
    let p = probability("p", p)?;
    let visits = 1.0 / (1.0 - p);
    let per_visit = mmc(lambda * visits, mu, c)?.metrics;
    let response = per_visit.mean_response * visits;
    let wait = per_visit.mean_wait * visits;
    Ok(Metrics {
        rho: per_visit.rho,
        mean_wait: wait,
        mean_response: response,
        mean_in_queue: lambda * wait,
        mean_in_system: lambda * response,
    })
}

/// First two moments of the time to complete work `x` (time units on the
/// server) when failures come at rate `g` during service and each failure
/// restarts the work at once: `E[T] = (e^{gx} − 1) / g`.
///
/// With `q = e^{−gx}`, the number of failures `N` is geometric
/// (`P(N = n) = q (1 − q)^n`), each failed attempt lasts `U ~ Exp(g)`
/// conditioned on `U < x`, and `T = U_1 + … + U_N + x`; the second
/// moment follows from `Var[S_N] = E[N] Var[U] + Var[N] E[U]²`.
/// Kulkarni, Nicola and Trivedi, *The completion time of a job on
/// multimode systems*, Adv. Appl. Prob. 19 (1987).
pub fn restart_completion(g: f64, x: f64) -> Result<(f64, f64)> {
    if !(g > 0.0 && g.is_finite()) {
        return Err(TheoryError::Invalid {
            name: "g",
            value: g,
            reason: "must be a finite rate greater than 0",
        });
    }
    if !(x > 0.0 && x.is_finite()) {
        return Err(TheoryError::Invalid {
            name: "x",
            value: x,
            reason: "must be a finite amount of work greater than 0",
        });
    }
    let q = (-g * x).exp();
    let fail = 1.0 - q;
    let eu = 1.0 / g - x * q / fail;
    let eu2 = (2.0 / (g * g) - q * (x * x + 2.0 * x / g + 2.0 / (g * g))) / fail;
    let en = fail / q;
    let var_n = fail / (q * q);
    let es = en * eu;
    let var_s = en * (eu2 - eu * eu) + var_n * eu * eu;
    let es2 = var_s + es * es;
    Ok((es + x, es2 + 2.0 * x * es + x * x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_and_give_ups() {
        assert!((mean_attempts(0.2, 0).unwrap() - 1.25).abs() < 1e-12);
        assert!((mean_attempts(0.5, 3).unwrap() - 1.75).abs() < 1e-12);
        assert_eq!(mean_attempts(0.0, 5).unwrap(), 1.0);
        assert!((p_give_up(0.5, 3).unwrap() - 0.125).abs() < 1e-12);
        assert_eq!(p_give_up(0.9, 0).unwrap(), 0.0);
        assert!(mean_attempts(1.0, 0).is_err());
    }

    #[test]
    fn feedback_on_one_server_is_the_textbook_formula() {
        let m = mmc_feedback(0.5, 1.0, 1, 0.2).unwrap();
        assert!((m.mean_response - 1.0 / (0.8 - 0.5)).abs() < 1e-12);
        assert!(matches!(
            mmc_feedback(0.9, 1.0, 1, 0.2),
            Err(TheoryError::Unstable { .. })
        ));
    }

    #[test]
    fn restart_moments_match_a_direct_sum() {
        let (g, x) = (0.5, 1.0);
        let (m1, m2) = restart_completion(g, x).unwrap();
        assert!((m1 - ((g * x).exp() - 1.0) / g).abs() < 1e-12);
        // Numerically: sum over n failures of the law of T given N = n,
        // E[T² | n] = n Var[U] + (n E[U] + x)², weighted by q (1 − q)^n.
        let q = (-g * x).exp();
        let eu = 1.0 / g - x * q / (1.0 - q);
        let eu2 = (2.0 / (g * g) - q * (x * x + 2.0 * x / g + 2.0 / (g * g))) / (1.0 - q);
        let direct: f64 = (0..400)
            .map(|n| {
                let n = f64::from(n);
                let w = q * (1.0 - q).powf(n);
                w * (n * (eu2 - eu * eu) + (n * eu + x).powi(2))
            })
            .sum();
        assert!((m2 - direct).abs() < 1e-9, "{m2} vs {direct}");
    }
}
