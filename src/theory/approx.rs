//! Approximations for non-Markovian queues, labelled as such by the
//! callers ([`super::Kind::Approximation`]).

use super::{Metrics, Result, positive, stable};

/// Kingman's approximation for G/G/1:
/// `Wq ≈ ρ/(1−ρ) · (ca² + cs²)/2 · E[S]`, with `ca²`, `cs²` the squared
/// coefficients of variation of inter-arrival and service times. Exact
/// for M/M/1 (ca² = cs² = 1).
///
/// Kingman, "The single server queue in heavy traffic", Proc. Cambridge
/// Phil. Soc. 57 (1961); Harchol-Balter (2013) §24.
pub fn kingman(lambda: f64, es: f64, ca2: f64, cs2: f64) -> Result<Metrics> {
    positive("lambda", lambda)?;
    positive("mean_service", es)?;
    let rho = stable(lambda * es)?;
    let wq = rho / (1.0 - rho) * 0.5 * (ca2 + cs2) * es;
    Ok(Metrics::from_wait(lambda, wq, es, rho))
}

/// The Allen-Cunneen approximation for G/G/c:
/// `Wq ≈ Wq(M/M/c) · (ca² + cs²)/2`. Exact for M/M/c.
///
/// Allen, *Probability, Statistics and Queueing Theory*, 2nd ed.,
/// Academic Press (1990) §6.
pub fn allen_cunneen(lambda: f64, es: f64, c: u32, ca2: f64, cs2: f64) -> Result<Metrics> {
    positive("mean_service", es)?;
    let base = super::mmc(lambda, 1.0 / es, c)?.metrics;
    let wq = base.mean_wait * 0.5 * (ca2 + cs2);
    Ok(Metrics::from_wait(lambda, wq, es, base.rho))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_in_the_markovian_case() {
        let k = kingman(0.8, 1.0, 1.0, 1.0).unwrap();
        assert!(
            (k.mean_response - super::super::mm1(0.8, 1.0).unwrap().mean_response).abs() < 1e-12
        );
        let a = allen_cunneen(1.8, 1.0, 2, 1.0, 1.0).unwrap();
        assert!(
            (a.mean_wait - super::super::mmc(1.8, 1.0, 2).unwrap().metrics.mean_wait).abs() < 1e-12
        );
        // M/D/1 by Kingman (cs² = 0) is exact too: half the M/M/1 wait.
        let d = kingman(0.8, 1.0, 1.0, 0.0).unwrap();
        assert!((d.mean_wait - super::super::md1(0.8, 1.0).unwrap().mean_wait).abs() < 1e-12);
    }
}
