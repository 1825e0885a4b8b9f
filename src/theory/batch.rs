//! Batch Poisson arrivals at a single server: the M^X/G/1 queue.

use super::{Metrics, Result, TheoryError, positive, stable};

/// M^X/G/1-FCFS: batches arrive as a Poisson process of rate `lambda`,
/// each of `X` jobs (`E[X] = ex`, `E[X²] = ex2`, X >= 1) with i.i.d.
/// sizes `S` (`E[S] = es`, `E[S²] = es2`), served one at a time in order
/// of arrival (a batch's jobs in a size-blind order). The mean wait of a
/// job is
///
/// `Wq = λ E[X] E[S²] / (2 (1 − ρ)) + E[S] (E[X²] − E[X]) / (2 E[X] (1 − ρ))`,
/// `ρ = λ E[X] E[S]`;
///
/// the first term is Pollaczek-Khinchine's at the job rate `λ E[X]`, the
/// second the wait behind the jobs ahead in one's own batch. With `X = 1`
/// it is M/G/1. Derivation: a batch's first job waits as a customer of an
/// M/G/1 queue whose service is the batch's work `B = S_1 + ... + S_X`,
/// `λ E[B²] / (2 (1 − ρ))` with `E[B²] = E[X] Var S + E[X²] E[S]²`; a job
/// picked at random sits behind `E[X(X − 1)] / (2 E[X])` jobs of its own
/// batch (batches are length-biased), each `E[S]` on average; the two
/// sums rearrange into the form above.
///
/// Kleinrock (1975) §4.5 (bulk arrivals, the exponential case, by
/// z-transforms); the general-service form is the one in Gross, Shortle,
/// Thompson & Harris (2008) and Tijms, *A First Course in Stochastic
/// Models*, Wiley (2003), for the M^X/G/1 queue.
pub fn mxg1(lambda: f64, ex: f64, ex2: f64, es: f64, es2: f64) -> Result<Metrics> {
    positive("lambda", lambda)?;
    positive("mean_service", es)?;
    if !(ex.is_finite() && ex >= 1.0) {
        return Err(TheoryError::Invalid {
            name: "mean_batch",
            value: ex,
            reason: "a batch holds at least one job",
        });
    }
    if !(ex2.is_finite() && ex2 >= ex * ex * (1.0 - 1e-12)) {
        return Err(TheoryError::Invalid {
            name: "batch_second_moment",
            value: ex2,
            reason: "must be finite and at least E[X]^2",
        });
    }
    if !es2.is_finite() {
        return Err(TheoryError::NotApplicable(
            "the service time has an infinite second moment, so the M^X/G/1 mean wait is infinite"
                .into(),
        ));
    }
    let jobs = lambda * ex;
    let rho = stable(jobs * es)?;
    let wq = jobs * es2 / (2.0 * (1.0 - rho)) + es * (ex2 - ex) / (2.0 * ex * (1.0 - rho));
    Ok(Metrics::from_wait(jobs, wq, es, rho))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_of_one_are_mg1() {
        let a = mxg1(0.7, 1.0, 1.0, 1.0, 2.0).unwrap();
        let b = super::super::mg1(0.7, 1.0, 2.0).unwrap();
        assert!((a.mean_wait - b.mean_wait).abs() < 1e-12);
    }

    #[test]
    fn deterministic_batches_of_exponential_jobs() {
        // M^2/M/1 with λ = 0.2, μ = 1: ρ = 0.4. Wq = 0.4 · 2 / 1.2 + 1 · 2 / (4 · 0.6)
        // = 2/3 + 5/6 = 1.5.
        let m = mxg1(0.2, 2.0, 4.0, 1.0, 2.0).unwrap();
        assert!((m.mean_wait - 1.5).abs() < 1e-12, "{}", m.mean_wait);
        // Little: Lq = λ E[X] Wq.
        assert!((m.mean_in_queue - 0.4 * 1.5).abs() < 1e-12);
    }

    #[test]
    fn geometric_batches_of_exponential_jobs_match_the_chain() {
        // M^X/M/1 solved from its chain: across the cut between n and
        // n + 1, μ P(n+1) = λ Σ_{i<=n} P(i) P(X > n − i), with
        // P(X > k) = (1 − p)^k for geometric batches.
        let (p, lambda, mu): (f64, f64, f64) = (0.4, 0.2, 1.0);
        let mut pi = vec![1.0f64];
        for n in 0..4000 {
            let up: f64 = (0..=n)
                .map(|i| pi[i] * (1.0 - p).powi((n - i) as i32))
                .sum();
            pi.push(lambda * up / mu);
        }
        let total: f64 = pi.iter().sum();
        let l: f64 = pi
            .iter()
            .enumerate()
            .map(|(n, x)| n as f64 * x)
            .sum::<f64>()
            / total;
        let m = mxg1(
            lambda,
            1.0 / p,
            (2.0 - p) / (p * p),
            1.0 / mu,
            2.0 / (mu * mu),
        )
        .unwrap();
        assert!(
            (m.mean_in_system - l).abs() < 1e-9,
            "{} vs {l}",
            m.mean_in_system
        );
        // Also the closed form L = ρ / (p (1 − ρ)) the formula reduces to.
        let rho = lambda / (p * mu);
        assert!((l - rho / (p * (1.0 - rho))).abs() < 1e-9);
    }

    #[test]
    fn overload_is_unstable() {
        assert!(matches!(
            mxg1(0.5, 2.0, 4.0, 1.0, 2.0),
            Err(TheoryError::Unstable { .. })
        ));
        assert!(matches!(
            mxg1(0.5, 0.5, 4.0, 1.0, 2.0),
            Err(TheoryError::Invalid { .. })
        ));
    }
}
