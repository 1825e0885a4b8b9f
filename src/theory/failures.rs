//! Servers that break down: availability and the completion time of a job
//! whose server fails while it serves.

use super::{Result, TheoryError};

/// Long-run fraction of time a server is up when it alternates up periods
/// of mean `mttf` and down periods of mean `mttr`: `MTTF / (MTTF + MTTR)`
/// (alternating renewal process; Ross, *Stochastic Processes*, 2nd ed.,
/// Wiley 1996, Theorem 3.4.4).
pub fn availability(mttf: f64, mttr: f64) -> Result<f64> {
    if !(mttf > 0.0 && mttf.is_finite()) {
        return Err(TheoryError::Invalid {
            name: "mttf",
            value: mttf,
            reason: "must be a finite mean time greater than 0",
        });
    }
    if !(mttr >= 0.0 && mttr.is_finite()) {
        return Err(TheoryError::Invalid {
            name: "mttr",
            value: mttr,
            reason: "must be a finite mean time of at least 0",
        });
    }
    Ok(mttf / (mttf + mttr))
}

/// First two moments of the completion time `C` of a job needing service
/// time `S` (moments `es`, `es2`) on a server that fails at rate `g` while
/// it serves, each failure followed by a repair `R` (moments `er`, `er2`)
/// after which the job resumes where it stopped:
///
/// `C = S + R_1 + … + R_N`, `N | S ~ Poisson(g S)`, so
/// `E[C] = E[S] (1 + g E[R])` and
/// `E[C²] = E[S²] (1 + g E[R])² + g E[S] E[R²]`.
///
/// An M/G/1 queue whose server fails only while busy is the M/G/1 queue
/// with service `C` (Avi-Itzhak and Naor, "Some queuing problems with the
/// service station subject to breakdown", Operations Research 11(3),
/// 1963; Gaver, "A waiting line with interrupted service, including
/// priorities", J. Royal Stat. Soc. B 24, 1962).
pub fn resume_completion(g: f64, es: f64, es2: f64, er: f64, er2: f64) -> Result<(f64, f64)> {
    if !(g > 0.0 && g.is_finite()) {
        return Err(TheoryError::Invalid {
            name: "g",
            value: g,
            reason: "must be a finite failure rate greater than 0",
        });
    }
    if !(er.is_finite() && er2.is_finite() && es2.is_finite()) {
        return Err(TheoryError::Invalid {
            name: "E[R^2]",
            value: er2,
            reason: "the repair and service times need finite second moments",
        });
    }
    let stretch = 1.0 + g * er;
    Ok((es * stretch, es2 * stretch * stretch + g * es * er2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_time_matches_a_direct_sum_for_fixed_work() {
        // S = 2, g = 0.5, R = 3 fixed: N ~ Poisson(1), C = 2 + 3N.
        let (m1, m2) = resume_completion(0.5, 2.0, 4.0, 3.0, 9.0).unwrap();
        assert!((m1 - (2.0 + 3.0)).abs() < 1e-12);
        // E[(2 + 3N)^2] = 4 + 12 E[N] + 9 E[N^2] = 4 + 12 + 18.
        assert!((m2 - 34.0).abs() < 1e-12);
        assert!((availability(50.0, 5.0).unwrap() - 50.0 / 55.0).abs() < 1e-15);
        assert!(availability(0.0, 1.0).is_err());
    }
}
