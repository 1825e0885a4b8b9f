//! Impatient customers at an M/M/c node: reneging (Erlang A, M/M/c + M),
//! baulking, and both at once, from the birth-death chain of the number
//! present.
//!
//! With arrival rate `λ`, baulking probability `b_n` for an arrival that
//! finds `n` present, `c` servers of rate `μ` and exponential patience of
//! rate `θ` (0: none), the number present is a birth-death chain with
//! birth rate `λ (1 − b_n)` and death rate `min(n, c) μ + (n − c)⁺ θ`
//! (Palm 1943; Garnett, Mandelbaum & Reiman, "Designing a call center with
//! impatient customers", M&SOM 4(3), 2002, for Erlang A). Its stationary
//! law `π_n ∝ Π_{i<n} λ(1 − b_i) / (min(i+1, c) μ + (i+1−c)⁺ θ)` gives
//! `L`, `L_q`, `P(abandon) = θ L_q / λ` and `P(baulk) = Σ π_n b_n`
//! (arrivals see time averages, PASTA).
//!
//! The served customers' mean wait under FCFS: an admitted arrival that
//! finds `n ≥ c` present starts at queue position `j = n − c + 1`; at
//! position `i` it stays an `Exp(cμ + iθ)` time, then moves up (a service
//! ends or someone ahead leaves) or leaves itself (rate `θ`). So it is
//! served with probability `cμ / (cμ + jθ)` (the product telescopes), and
//! given that, waited `Σ_{i ≤ j} 1 / (cμ + iθ)` on average: holding times
//! of competing exponentials do not depend on which event ends them.

use super::{Result, TheoryError, positive};

/// Steady-state figures of an M/M/c node with baulking and reneging.
#[derive(Debug, Clone, PartialEq)]
pub struct Impatient {
    /// Mean number present, and waiting.
    pub mean_in_system: f64,
    pub mean_in_queue: f64,
    /// Shares of all arrivals that baulk, and that renege.
    pub p_baulk: f64,
    pub p_renege: f64,
    /// Rate of jobs served.
    pub throughput: f64,
    /// Mean wait of every admitted job (served or reneged): `L_q / λ_admitted`.
    pub mean_wait: f64,
    /// Mean wait of the jobs served, and of those that reneged (FCFS).
    pub mean_wait_served: f64,
    pub mean_wait_reneged: f64,
    /// Mean response of the jobs served (FCFS): their wait plus `1/μ`.
    pub mean_response_served: f64,
}

/// States beyond which the chain is cut once its terms are this small
/// against the largest.
const NEGLIGIBLE: f64 = 1e-18;
/// Most states the chain is followed to.
const MAX_STATES: usize = 10_000_000;

/// M/M/c with baulking probabilities `baulk` (by jobs found; the last
/// holds beyond; empty: none) and exponential patience of rate `theta`
/// (0: none). Fails with `Unstable` when the chain has no steady state
/// (no patience, and arrivals that do not baulk at long queues at a rate
/// of at least `cμ`).
pub fn mmc_impatient(lambda: f64, mu: f64, c: u32, theta: f64, baulk: &[f64]) -> Result<Impatient> {
    positive("lambda", lambda)?;
    positive("mu", mu)?;
    if c == 0 {
        return Err(TheoryError::Invalid {
            name: "servers",
            value: 0.0,
            reason: "needs at least 1 server",
        });
    }
    if !(theta.is_finite() && theta >= 0.0) {
        return Err(TheoryError::Invalid {
            name: "theta",
            value: theta,
            reason: "the patience rate must be finite and >= 0",
        });
    }
    let b = |n: usize| {
        baulk
            .get(n.min(baulk.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let cmu = f64::from(c) * mu;
    if theta == 0.0 && lambda * (1.0 - b(usize::MAX)) >= cmu {
        return Err(TheoryError::Unstable {
            rho: lambda * (1.0 - b(usize::MAX)) / cmu,
        });
    }
    // Unnormalised π_n, kept relative to π_0 = 1 (ratios stay small: the
    // chain drifts down once n is large).
    let mut p = vec![1.0];
    let mut largest: f64 = 1.0;
    loop {
        let n = p.len() - 1;
        let up = lambda * (1.0 - b(n));
        let next = n + 1;
        let down =
            next.min(c as usize) as f64 * mu + next.saturating_sub(c as usize) as f64 * theta;
        let v = p[n] * up / down;
        if up == 0.0 || (next > c as usize && v < NEGLIGIBLE * largest && down > up) {
            break;
        }
        if p.len() >= MAX_STATES {
            return Err(TheoryError::NotApplicable(format!(
                "the chain needs more than {MAX_STATES} states"
            )));
        }
        largest = largest.max(v);
        p.push(v);
    }
    let total: f64 = p.iter().sum();
    let (mut l, mut lq, mut admitted, mut baulked) = (0.0, 0.0, 0.0, 0.0);
    let (mut served, mut wait_served) = (0.0, 0.0);
    // Σ_{i ≤ j} 1 / (cμ + iθ), grown with j.
    let mut path = 0.0;
    for (n, &w) in p.iter().enumerate() {
        let pi = w / total;
        l += n as f64 * pi;
        lq += n.saturating_sub(c as usize) as f64 * pi;
        let a = pi * (1.0 - b(n));
        admitted += a;
        baulked += pi * b(n);
        if n < c as usize {
            served += a;
        } else {
            let j = (n + 1 - c as usize) as f64;
            path += 1.0 / (cmu + j * theta);
            let s = cmu / (cmu + j * theta);
            served += a * s;
            wait_served += a * s * path;
        }
    }
    let admitted_rate = lambda * admitted;
    let mean_wait = lq / admitted_rate;
    let p_renege = theta * lq / lambda;
    let p_served = served;
    let mean_wait_served = wait_served / p_served;
    let reneged = admitted - p_served;
    let mean_wait_reneged = if reneged > 0.0 {
        // Admitted waits split into the served ones' and the reneged ones'.
        (mean_wait * admitted - mean_wait_served * p_served) / reneged
    } else {
        f64::NAN
    };
    Ok(Impatient {
        mean_in_system: l,
        mean_in_queue: lq,
        p_baulk: baulked,
        p_renege,
        throughput: lambda * p_served,
        mean_wait,
        mean_wait_served,
        mean_wait_reneged,
        mean_response_served: mean_wait_served + 1.0 / mu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_impatience_it_is_erlang_c() {
        let m = mmc_impatient(1.8, 1.0, 2, 0.0, &[]).unwrap();
        let e = crate::theory::mmc(1.8, 1.0, 2).unwrap().metrics;
        assert!((m.mean_wait - e.mean_wait).abs() < 1e-9 * e.mean_wait);
        assert!((m.mean_in_system - e.mean_in_system).abs() < 1e-9);
        assert_eq!(m.p_renege, 0.0);
        assert!((m.mean_wait_served - e.mean_wait).abs() < 1e-9 * e.mean_wait);
    }

    #[test]
    fn baulking_at_k_is_mmck() {
        // Everyone baulks at 4 present: M/M/2/4.
        let m = mmc_impatient(3.0, 1.0, 2, 0.0, &[0.0, 0.0, 0.0, 0.0, 1.0]).unwrap();
        let k = crate::theory::mmck(3.0, 1.0, 2, 4).unwrap();
        assert!((m.p_baulk - k.p_block).abs() < 1e-12);
        assert!((m.mean_wait - k.metrics.mean_wait).abs() < 1e-12);
    }

    #[test]
    fn abandonment_balances_the_flow() {
        // λ = served + reneged + baulked, and reneging from the queue's two
        // views (θ L_q, and the tagged customer's chances) agree.
        let (lambda, theta) = (2.4, 0.5);
        let m = mmc_impatient(lambda, 1.0, 2, theta, &[0.0, 0.1, 0.2]).unwrap();
        let total = m.throughput / lambda + m.p_renege + m.p_baulk;
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert!(m.mean_wait_reneged > 0.0 && m.mean_wait_served > 0.0);
        // Overloaded without patience: no steady state.
        assert!(matches!(
            mmc_impatient(2.4, 1.0, 2, 0.0, &[]),
            Err(TheoryError::Unstable { .. })
        ));
    }
}
