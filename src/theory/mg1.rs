//! Single-server queues with Poisson arrivals and general service: M/D/1,
//! M/G/1 (Pollaczek-Khinchine), priority classes (Cobham), processor
//! sharing, LCFS-PR, SRPT (Schrage-Miller) and FB.

use super::integrate::{over_decades, simpson};
use super::{Metrics, Result, TheoryError, positive, stable};
use crate::model::Dist;

/// M/G/1-FCFS by Pollaczek-Khinchine: `Wq = λ E[S²] / (2 (1 − ρ))`,
/// `ρ = λ E[S]`. Needs a finite second moment.
///
/// Kleinrock (1975) §5.6; Harchol-Balter (2013) §23.
pub fn mg1(lambda: f64, es: f64, es2: f64) -> Result<Metrics> {
    positive("lambda", lambda)?;
    positive("mean_service", es)?;
    if !es2.is_finite() {
        return Err(TheoryError::NotApplicable(
            "the service time has an infinite second moment, so the M/G/1 mean wait is infinite"
                .into(),
        ));
    }
    let rho = stable(lambda * es)?;
    Ok(Metrics::from_wait(
        lambda,
        lambda * es2 / (2.0 * (1.0 - rho)),
        es,
        rho,
    ))
}

/// M/D/1: Pollaczek-Khinchine with `E[S²] = d²`: `Wq = ρ d / (2 (1 − ρ))`.
pub fn md1(lambda: f64, d: f64) -> Result<Metrics> {
    mg1(lambda, d, d * d)
}

/// M/G/1 processor sharing: `E[T] = E[S] / (1 − ρ)`, whatever the service
/// distribution beyond its mean. Kleinrock (1976) §4.4; Harchol-Balter
/// (2013) §30.
pub fn mg1_ps(lambda: f64, es: f64) -> Result<Metrics> {
    positive("lambda", lambda)?;
    positive("mean_service", es)?;
    let rho = stable(lambda * es)?;
    Ok(Metrics::from_response(lambda, es / (1.0 - rho), es, rho))
}

/// M/G/1 LCFS preemptive-resume: the same mean as PS, `E[S] / (1 − ρ)`
/// (each job's response is a busy period started by its own size).
/// Harchol-Balter (2013) §30.4.
pub fn mg1_lcfs_pr(lambda: f64, es: f64) -> Result<Metrics> {
    mg1_ps(lambda, es)
}

/// One priority class for the priority formulas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassLoad {
    /// Poisson arrival rate.
    pub lambda: f64,
    /// Mean service time `E[S]`.
    pub es: f64,
    /// Second moment `E[S²]`.
    pub es2: f64,
}

fn check_classes(classes: &[ClassLoad]) -> Result<()> {
    for c in classes {
        positive("lambda", c.lambda)?;
        positive("mean_service", c.es)?;
        if !c.es2.is_finite() {
            return Err(TheoryError::NotApplicable(
                "a class has an infinite second moment of service".into(),
            ));
        }
    }
    Ok(())
}

/// M/G/1 non-preemptive priority (Cobham), classes given most urgent
/// first: `Wq_k = W0 / ((1 − σ_{k−1})(1 − σ_k))` with
/// `W0 = Σ_i λ_i E[S_i²] / 2` over all classes and `σ_k = Σ_{i≤k} ρ_i`.
/// Every class needs the total load below 1 (a job in service of any
/// class delays everyone). `rho` in each result is `σ_k`.
///
/// Cobham, "Priority assignment in waiting line problems", Oper. Res. 2
/// (1954); Kleinrock (1976) §3.6.
pub fn priority_nonpreemptive(classes: &[ClassLoad]) -> Vec<Result<Metrics>> {
    if let Err(e) = check_classes(classes) {
        return vec![Err(e); classes.len()];
    }
    let total: f64 = classes.iter().map(|c| c.lambda * c.es).sum();
    if total >= 1.0 {
        return vec![Err(TheoryError::Unstable { rho: total }); classes.len()];
    }
    let w0: f64 = classes.iter().map(|c| c.lambda * c.es2 / 2.0).sum();
    let mut sigma = 0.0;
    classes
        .iter()
        .map(|c| {
            let before = sigma;
            sigma += c.lambda * c.es;
            let wq = w0 / ((1.0 - before) * (1.0 - sigma));
            Ok(Metrics::from_wait(c.lambda, wq, c.es, sigma))
        })
        .collect()
}

/// M/G/1 preemptive-resume priority, classes most urgent first:
/// `T_k = E[S_k] / (1 − σ_{k−1}) + (Σ_{i≤k} λ_i E[S_i²] / 2) / ((1 − σ_{k−1})(1 − σ_k))`.
/// Class `k` sees only classes `i ≤ k`, so it is stable when `σ_k < 1`
/// even if less urgent classes are not.
///
/// Kleinrock (1976) §3.7; Harchol-Balter (2013) §32.
pub fn priority_preemptive_resume(classes: &[ClassLoad]) -> Vec<Result<Metrics>> {
    if let Err(e) = check_classes(classes) {
        return vec![Err(e); classes.len()];
    }
    let (mut sigma, mut residual) = (0.0, 0.0);
    classes
        .iter()
        .map(|c| {
            let before = sigma;
            sigma += c.lambda * c.es;
            residual += c.lambda * c.es2 / 2.0;
            stable(sigma)?;
            let t = c.es / (1.0 - before) + residual / ((1.0 - before) * (1.0 - sigma));
            Ok(Metrics::from_response(c.lambda, t, c.es, sigma))
        })
        .collect()
}

/// Checks λ and the service law, returning `ρ = λ E[S]`.
fn check_law(lambda: f64, service: &Dist) -> Result<f64> {
    positive("lambda", lambda)?;
    if !service.second_moment().is_finite() {
        return Err(TheoryError::NotApplicable(
            "the size distribution has an infinite second moment".into(),
        ));
    }
    stable(lambda * service.mean())
}

/// M/G/1-SRPT (Schrage and Miller). For a job of size `x`, with
/// `ρ(x) = λ E[S; S ≤ x]` the load of jobs no larger than `x`:
/// `E[T(x)] = λ (E[S²; S ≤ x] + x² (1 − F(x))) / (2 (1 − ρ(x⁻))(1 − ρ(x))) + ∫_0^x dt / (1 − ρ(t))`,
/// and `E[T] = ∫ E[T(x)] dF(x)`. For continuous sizes `ρ(x⁻) = ρ(x)`,
/// the textbook form; with atoms, jobs of equal size are served FCFS
/// (as the simulator's tie rule does) and the waiting term takes the
/// priority-class form, so deterministic sizes give M/D/1.
///
/// Schrage and Miller, "The queue M/G/1 with the shortest remaining
/// processing time discipline", Oper. Res. 14 (1966); Harchol-Balter
/// (2013) §33.
pub fn mg1_srpt(lambda: f64, service: &Dist) -> Result<Metrics> {
    let rho = check_law(lambda, service)?;
    let es = service.mean();
    let load = |x: f64| lambda * service.partial_moment(1, x);
    let waiting = |x: f64, load_before: f64| {
        let m2 = service.partial_moment(2, x) + x * x * (1.0 - service.cdf(x));
        lambda * m2 / (2.0 * (1.0 - load_before) * (1.0 - load(x)))
    };
    let mean = match service.atoms() {
        Some(mut atoms) => {
            atoms.sort_by(|a, b| a.0.total_cmp(&b.0));
            // ρ(t) is a step function: integrate 1/(1 − ρ) piece by piece.
            let mut total = 0.0;
            let (mut residence, mut last, mut load_below) = (0.0, 0.0, 0.0);
            for &(x, p) in &atoms {
                residence += (x - last) / (1.0 - load_below);
                last = x;
                total += p * (waiting(x, load_below) + residence);
                load_below += lambda * p * x;
            }
            total
        }
        None => {
            let residence =
                |x: f64| simpson(&|t: f64| 1.0 / (1.0 - load(t)), 0.0, x, 1e-11 * x.max(es));
            let integrand = |x: f64| {
                let f = service.pdf(x).unwrap_or(0.0);
                if f == 0.0 {
                    0.0
                } else {
                    (waiting(x, load(x)) + residence(x)) * f
                }
            };
            over_decades(&integrand, 0.0, service.upper_bound(1e-13), 1e-9, es)
        }
    };
    Ok(Metrics::from_response(lambda, mean, es, rho))
}

/// M/G/1-FB (least attained service). With `ρ̄(x) = λ E[min(S, x)]` and
/// `m̄₂(x) = E[min(S, x)²]`:
/// `E[T(x)] = λ m̄₂(x) / (2 (1 − ρ̄(x))²) + x / (1 − ρ̄(x))`, `E[T] = ∫ E[T(x)] dF(x)`.
/// For a continuous size distribution only (equal sizes share, which the
/// formula does not describe).
///
/// Kleinrock (1976) §4.6; Harchol-Balter (2013) §30.
pub fn mg1_fb(lambda: f64, service: &Dist) -> Result<Metrics> {
    let rho = check_law(lambda, service)?;
    if service.atoms().is_some() {
        return Err(TheoryError::NotApplicable(
            "the FB formula needs a continuous size distribution".into(),
        ));
    }
    let es = service.mean();
    let integrand = |x: f64| {
        let f = service.pdf(x).unwrap_or(0.0);
        if f == 0.0 {
            return 0.0;
        }
        let tail = 1.0 - service.cdf(x);
        let load = lambda * (service.partial_moment(1, x) + x * tail);
        let m2 = service.partial_moment(2, x) + x * x * tail;
        (lambda * m2 / (2.0 * (1.0 - load).powi(2)) + x / (1.0 - load)) * f
    };
    let mean = over_decades(&integrand, 0.0, service.upper_bound(1e-13), 1e-9, es);
    Ok(Metrics::from_response(lambda, mean, es, rho))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs()
    }

    fn h2(mean: f64, scv: f64) -> Dist {
        let r = ((scv - 1.0) / (scv + 1.0)).sqrt();
        let p1 = 0.5 * (1.0 + r);
        let p2 = 1.0 - p1;
        Dist::HyperExponential {
            probs: vec![p1, p2],
            rates: vec![2.0 * p1 / mean, 2.0 * p2 / mean],
            cumulative: vec![p1, 1.0],
        }
    }

    #[test]
    fn pollaczek_khinchine() {
        // M/D/1 at 0.8: Wq = 0.8 / (2 · 0.2) = 2.
        assert!(close(md1(0.8, 1.0).unwrap().mean_wait, 2.0, 1e-12));
        // Exponential moments give M/M/1.
        assert!(close(
            mg1(0.8, 1.0, 2.0).unwrap().mean_response,
            super::super::mm1(0.8, 1.0).unwrap().mean_response,
            1e-12
        ));
        // H2 with scv 4 at 0.7: E[S²] = 5, Wq = 0.7 · 5 / 0.6.
        assert!(close(
            mg1(0.7, 1.0, 5.0).unwrap().mean_wait,
            3.5 / 0.6,
            1e-12
        ));
        assert!(matches!(
            mg1(0.5, 1.0, f64::INFINITY),
            Err(TheoryError::NotApplicable(_))
        ));
        assert!(matches!(
            mg1(1.0, 1.0, 2.0),
            Err(TheoryError::Unstable { .. })
        ));
    }

    #[test]
    fn priority_identities() {
        let one = [ClassLoad {
            lambda: 0.7,
            es: 1.0,
            es2: 5.0,
        }];
        let np = priority_nonpreemptive(&one)[0].clone().unwrap();
        assert!(close(
            np.mean_wait,
            mg1(0.7, 1.0, 5.0).unwrap().mean_wait,
            1e-12
        ));
        let pr = priority_preemptive_resume(&one)[0].clone().unwrap();
        assert!(close(
            pr.mean_response,
            mg1(0.7, 1.0, 5.0).unwrap().mean_response,
            1e-12
        ));
        // The most urgent preemptive class sees an M/G/1 of its own.
        let two = [
            ClassLoad {
                lambda: 0.3,
                es: 1.0,
                es2: 1.5,
            },
            ClassLoad {
                lambda: 0.25,
                es: 2.0,
                es2: 16.0,
            },
        ];
        let pr = priority_preemptive_resume(&two);
        assert!(close(
            pr[0].clone().unwrap().mean_response,
            mg1(0.3, 1.0, 1.5).unwrap().mean_response,
            1e-12
        ));
        // Conservation: non-preemptive priority keeps the load-weighted
        // mean wait of FCFS (Kleinrock's conservation law).
        let np = priority_nonpreemptive(&two);
        let fcfs = mg1(0.55, (0.3 + 0.5) / 0.55, (0.3 * 1.5 + 0.25 * 16.0) / 0.55)
            .unwrap()
            .mean_wait;
        let weighted =
            0.3 * np[0].clone().unwrap().mean_wait + 0.5 * np[1].clone().unwrap().mean_wait;
        assert!(close(weighted, 0.8 * fcfs, 1e-12));
        // A lower class can be unstable while a higher one is not (preemptive).
        let heavy = [
            ClassLoad {
                lambda: 0.5,
                es: 1.0,
                es2: 2.0,
            },
            ClassLoad {
                lambda: 0.6,
                es: 1.0,
                es2: 2.0,
            },
        ];
        let pr = priority_preemptive_resume(&heavy);
        assert!(pr[0].is_ok() && matches!(pr[1], Err(TheoryError::Unstable { .. })));
        assert!(priority_nonpreemptive(&heavy).iter().all(|r| r.is_err()));
    }

    #[test]
    fn size_based_policies() {
        let exp = Dist::exponential_rate(1.0);
        let mm1 = super::super::mm1(0.8, 1.0).unwrap().mean_response;
        // FB and PS are size-blind: for exponential sizes they match M/M/1.
        assert!(close(mg1_fb(0.8, &exp).unwrap().mean_response, mm1, 1e-7));
        assert!(close(mg1_ps(0.8, 1.0).unwrap().mean_response, mm1, 1e-12));
        assert_eq!(mg1_ps(0.7, 1.0), mg1_lcfs_pr(0.7, 1.0));
        // SRPT with equal sizes is FCFS: M/D/1.
        let det = Dist::Deterministic { value: 1.0 };
        assert!(close(
            mg1_srpt(0.8, &det).unwrap().mean_response,
            md1(0.8, 1.0).unwrap().mean_response,
            1e-12
        ));
        // SRPT beats PS; for decreasing failure rate (H2) FB beats PS too.
        let srpt = mg1_srpt(0.8, &exp).unwrap().mean_response;
        assert!(srpt < mm1);
        let h = h2(1.0, 4.0);
        let fb = mg1_fb(0.7, &h).unwrap().mean_response;
        assert!(fb < mg1_ps(0.7, 1.0).unwrap().mean_response);
        assert!(mg1_srpt(0.7, &h).unwrap().mean_response < fb);
        // SRPT on M/M/1 at 0.8 against an independent evaluation of the
        // same integrals (plain trapezoid on a fine grid).
        let (l, n, hi) = (0.8f64, 400_000, 40.0);
        let dx = hi / n as f64;
        let load = |x: f64| l * (1.0 - (-x).exp() * (1.0 + x));
        let (mut total, mut residence, mut prev) = (0.0, 0.0, 1.0);
        for i in 1..=n {
            let x = i as f64 * dx;
            let cur = 1.0 / (1.0 - load(x));
            residence += 0.5 * (prev + cur) * dx;
            prev = cur;
            let m2 = 2.0 - (-x).exp() * (x * x + 2.0 * x + 2.0) + x * x * (-x).exp();
            let w = l * m2 / (2.0 * (1.0 - load(x)).powi(2));
            total += (w + residence) * (-x).exp() * dx;
        }
        assert!(close(srpt, total, 1e-4), "{srpt} vs {total}");
    }
}
