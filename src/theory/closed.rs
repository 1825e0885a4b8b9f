//! Closed product-form networks: a fixed population per class (a *chain*)
//! cycling between thinking and a network of queues.
//!
//! Each chain `k` has `N_k` jobs and a mean think time `Z_k` (an
//! infinite-server station, insensitive to its distribution). A pass of a
//! chain-`k` job through the network asks `D_{j,k} = V_{j,k} E[S_{j,k}]` of
//! station `j`: its visits there times their mean demand. Where every station
//! is of BCMP type (FCFS with exponential demands of one mean, PS, LCFS-PR,
//! infinite servers), the stationary distribution has product form
//! (Baskett, Chandy, Muntz & Palacios, J. ACM 22 (1975)) and two exact
//! algorithms give the means:
//! - [`mva`]: exact mean value analysis (Reiser & Lavenberg, "Mean-value
//!   analysis of closed multichain queuing networks", J. ACM 27 (1980)) over
//!   every population vector `n ≤ N`, for single-server and delay stations:
//!   `R_{j,k}(n) = D_{j,k} (1 + Q_j(n − e_k))`, `X_k(n) = n_k / (Z_k + Σ_j R_{j,k}(n))`,
//!   `Q_j(n) = Σ_k X_k(n) R_{j,k}(n)`; `O(M K Π_k (N_k + 1))`.
//! - one chain at multi-server stations (rate `min(n, c)`): Buzen's
//!   convolution algorithm with load-dependent stations (Buzen, "Computational
//!   algorithms for closed queueing networks with exponential servers",
//!   CACM 16 (1973)), `G = f_1 ⊛ … ⊛ f_M ⊛ f_Z`, `f_j(n) = D_j^n / Π_{i≤n} min(i, c_j)`,
//!   `X = G(N−1) / G(N)`, `P(n_j = i) = f_j(i) G_{−j}(N − i) / G(N)`; in
//!   logarithms, so no scaling is needed and nothing overflows (the MVA
//!   recursion with marginal probabilities is known to lose them to
//!   cancellation at high load); `O(M N²)`.
//!
//! The machine-repairman model M/M/c//N has its own closed form
//! ([`repairman`]), which the tests hold the convolution to.

use super::{Result, TheoryError};

/// How a station serves the jobs present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Station {
    /// Every job in service at once: no queue (infinite servers).
    Delay,
    /// `servers` servers at the station's rate: `min(n, c)` jobs' worth of
    /// service when `n` are present (FCFS, PS, LCFS-PR).
    Queue { servers: u32 },
}

impl Station {
    fn load_independent(self) -> bool {
        matches!(self, Station::Delay | Station::Queue { servers: 1 })
    }

    /// The station's service rate, in jobs' worth, with `n` present.
    fn alpha(self, n: u32) -> f64 {
        match self {
            Station::Delay => f64::from(n),
            Station::Queue { servers } => f64::from(n.min(servers)),
        }
    }
}

/// The means of a closed network at its full population.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedMetrics {
    /// Passes per unit time of each chain, `X_k`.
    pub throughput: Vec<f64>,
    /// Time a chain-`k` job spends at station `j` per pass, over all its
    /// visits there, `R_{j,k}`, indexed `[j][k]`.
    pub residence: Vec<Vec<f64>>,
}

impl ClosedMetrics {
    /// Mean time of a chain-`k` job in the network per pass, think excluded.
    pub fn response(&self, k: usize) -> f64 {
        self.residence.iter().map(|r| r[k]).sum()
    }

    /// Mean number of chain-`k` jobs at station `j`, `X_k R_{j,k}` (Little).
    pub fn in_station(&self, j: usize, k: usize) -> f64 {
        self.throughput[k] * self.residence[j][k]
    }
}

/// The most population vectors times stations exact MVA walks through
/// (memory: 8 bytes each).
const MVA_CELLS: u64 = 10_000_000;
/// The most station × population² steps of the convolution.
const CONVOLUTION_STEPS: u64 = 100_000_000;

fn check(
    stations: &[Station],
    demands: &[Vec<f64>],
    think: &[f64],
    population: &[u32],
) -> Result<()> {
    let chains = population.len();
    if think.len() != chains || demands.len() != stations.len() {
        return Err(TheoryError::NotApplicable(
            "demands, think times and populations disagree in shape".into(),
        ));
    }
    for (j, (st, d)) in stations.iter().zip(demands).enumerate() {
        if *st == (Station::Queue { servers: 0 }) {
            return Err(TheoryError::Invalid {
                name: "servers",
                value: 0.0,
                reason: "a station needs at least one server",
            });
        }
        if d.len() != chains {
            return Err(TheoryError::NotApplicable(format!(
                "station {j} has {} demands for {chains} chains",
                d.len()
            )));
        }
        if let Some(&bad) = d.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
            return Err(TheoryError::Invalid {
                name: "demand",
                value: bad,
                reason: "a demand is finite and not negative",
            });
        }
    }
    for (k, &z) in think.iter().enumerate() {
        if !(z.is_finite() && z >= 0.0) {
            return Err(TheoryError::Invalid {
                name: "think",
                value: z,
                reason: "a think time is finite and not negative",
            });
        }
        let total: f64 = z + demands.iter().map(|d| d[k]).sum::<f64>();
        if population[k] > 0 && total <= 0.0 {
            return Err(TheoryError::Invalid {
                name: "demand",
                value: 0.0,
                reason: "a chain that neither thinks nor asks for service has no finite throughput",
            });
        }
    }
    Ok(())
}

/// Exact means of a closed product-form network: chains of `population[k]`
/// jobs, thinking `think[k]` between passes that ask `demands[j][k]` of
/// station `j` (see the module documentation for the algorithms). Several
/// chains need single-server or delay stations (multi-server stations with
/// several chains have no exact MVA here: `NotApplicable`).
pub fn mva(
    stations: &[Station],
    demands: &[Vec<f64>],
    think: &[f64],
    population: &[u32],
) -> Result<ClosedMetrics> {
    check(stations, demands, think, population)?;
    if stations.iter().all(|s| s.load_independent()) {
        recursion(stations, demands, think, population)
    } else if population.len() == 1 {
        convolution(stations, demands, think[0], population[0])
    } else {
        Err(TheoryError::NotApplicable(
            "exact MVA of several closed classes needs single-server stations".into(),
        ))
    }
}

/// Reiser & Lavenberg's recursion over every population vector.
fn recursion(
    stations: &[Station],
    demands: &[Vec<f64>],
    think: &[f64],
    population: &[u32],
) -> Result<ClosedMetrics> {
    let m = stations.len();
    let chains = population.len();
    let mut stride = Vec::with_capacity(chains);
    let mut states: u64 = 1;
    for &n in population {
        stride.push(states as usize);
        states = states.saturating_mul(u64::from(n) + 1);
    }
    if states.saturating_mul(m.max(1) as u64) > MVA_CELLS {
        return Err(TheoryError::NotApplicable(format!(
            "exact MVA over {states} population vectors is too large"
        )));
    }
    let states = states as usize;
    // Q[n · M + j]: mean number at station j with population vector n.
    let mut q = vec![0.0; states * m];
    let mut n = vec![0u32; chains];
    let mut residence = vec![vec![0.0; chains]; m];
    let mut throughput = vec![0.0; chains];
    for idx in 1..states {
        // The next vector in mixed radix, chain 0 fastest.
        for (k, x) in n.iter_mut().enumerate() {
            if *x < population[k] {
                *x += 1;
                break;
            }
            *x = 0;
        }
        for k in 0..chains {
            throughput[k] = 0.0;
            if n[k] == 0 {
                for r in residence.iter_mut() {
                    r[k] = 0.0;
                }
                continue;
            }
            let before = (idx - stride[k]) * m;
            let mut cycle = think[k];
            for j in 0..m {
                let d = demands[j][k];
                let r = match stations[j] {
                    Station::Delay => d,
                    Station::Queue { .. } => d * (1.0 + q[before + j]),
                };
                residence[j][k] = r;
                cycle += r;
            }
            throughput[k] = f64::from(n[k]) / cycle;
        }
        for j in 0..m {
            q[idx * m + j] = (0..chains).map(|k| throughput[k] * residence[j][k]).sum();
        }
    }
    Ok(ClosedMetrics {
        throughput,
        residence,
    })
}

/// `ln(e^a + e^b)`, exact at infinities.
fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// `ln` of the convolution of two sequences given by their logarithms.
fn log_convolve(a: &[f64], b: &[f64]) -> Vec<f64> {
    (0..a.len())
        .map(|n| {
            (0..=n).fold(f64::NEG_INFINITY, |acc, i| {
                let t = a[i] + b[n - i];
                if t == f64::NEG_INFINITY {
                    acc
                } else {
                    log_add(acc, t)
                }
            })
        })
        .collect()
}

/// Buzen's convolution for one chain, in logarithms.
fn convolution(
    stations: &[Station],
    demands: &[Vec<f64>],
    think: f64,
    population: u32,
) -> Result<ClosedMetrics> {
    let m = stations.len();
    let big_n = population as usize;
    let steps = (m as u64 + 1).saturating_mul((big_n as u64 + 1).pow(2));
    if steps.saturating_mul(3) > CONVOLUTION_STEPS {
        return Err(TheoryError::NotApplicable(format!(
            "the convolution for a population of {population} at {m} stations is too large"
        )));
    }
    // ln f_j(n) for the stations, then the think time as a delay.
    let factor = |st: Station, d: f64| -> Vec<f64> {
        let mut f = vec![0.0; big_n + 1];
        for i in 1..=big_n {
            f[i] = f[i - 1] + d.ln() - st.alpha(i as u32).ln();
        }
        f
    };
    let mut fs: Vec<Vec<f64>> = stations
        .iter()
        .zip(demands)
        .map(|(&st, d)| factor(st, d[0]))
        .collect();
    fs.push(factor(Station::Delay, think));
    let unit = {
        let mut u = vec![f64::NEG_INFINITY; big_n + 1];
        u[0] = 0.0;
        u
    };
    // prefix[j] = f_0 ⊛ … ⊛ f_{j−1}; suffix[j] = f_j ⊛ … (think included).
    let mut prefix = vec![unit.clone()];
    for f in &fs {
        let next = log_convolve(prefix.last().expect("starts with the unit"), f);
        prefix.push(next);
    }
    let mut suffix = vec![unit; fs.len() + 1];
    for j in (0..fs.len()).rev() {
        suffix[j] = log_convolve(&fs[j], &suffix[j + 1]);
    }
    let g = &prefix[fs.len()];
    if big_n == 0 {
        return Ok(ClosedMetrics {
            throughput: vec![0.0],
            residence: vec![vec![0.0]; m],
        });
    }
    let x = (g[big_n - 1] - g[big_n]).exp();
    if !x.is_finite() || x <= 0.0 {
        return Err(TheoryError::NotApplicable(
            "the convolution lost its precision".into(),
        ));
    }
    let residence = (0..m)
        .map(|j| {
            let others = log_convolve(&prefix[j], &suffix[j + 1]);
            let q: f64 = (1..=big_n)
                .map(|i| i as f64 * (fs[j][i] + others[big_n - i] - g[big_n]).exp())
                .sum();
            vec![q / x]
        })
        .collect();
    Ok(ClosedMetrics {
        throughput: vec![x],
        residence,
    })
}

/// The machine-repairman model M/M/c//N: `N` sources, each up for an
/// exponential time of mean `z` before it needs a repair of exponential mean
/// `s` from one of `c` repairers. With `r = s / z`, the number down is
/// `p_i ∝ N!/(N−i)! r^i / i!` for `i ≤ c` and `N!/(N−i)! r^i / (c! c^{i−c})`
/// beyond (Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing
/// Theory*, 4th ed., §2.8); throughput `X = E[min(i, c)] / s`, time down
/// per breakdown `W = L / X` (Little). Returns `(L, X, W)`.
pub fn repairman(n: u32, c: u32, z: f64, s: f64) -> Result<(f64, f64, f64)> {
    if c == 0 || n == 0 {
        return Err(TheoryError::Invalid {
            name: if c == 0 { "servers" } else { "population" },
            value: 0.0,
            reason: "at least one",
        });
    }
    if !(z.is_finite() && z > 0.0) {
        return Err(TheoryError::Invalid {
            name: "think",
            value: z,
            reason: "the mean time up is positive and finite",
        });
    }
    if !(s.is_finite() && s > 0.0) {
        return Err(TheoryError::Invalid {
            name: "mu",
            value: 1.0 / s,
            reason: "the repair rate is positive and finite",
        });
    }
    // Ratios p_i / p_{i−1} in logarithms, normalised at the end.
    let r = s / z;
    let mut log_p = Vec::with_capacity(n as usize + 1);
    log_p.push(0.0f64);
    for i in 1..=n {
        let prev = log_p[i as usize - 1];
        log_p.push(prev + f64::from(n - i + 1).ln() + r.ln() - f64::from(i.min(c)).ln());
    }
    let top = log_p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let p: Vec<f64> = log_p.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = p.iter().sum();
    let l = p.iter().enumerate().map(|(i, x)| i as f64 * x).sum::<f64>() / total;
    let busy = p
        .iter()
        .enumerate()
        .map(|(i, x)| f64::from((i as u32).min(c)) * x)
        .sum::<f64>()
        / total;
    let x = busy / s;
    Ok((l, x, l / x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn convolution_equals_the_repairman_closed_form() {
        for (n, c, z, s) in [
            (20, 3, 10.0, 1.0),
            (5, 2, 3.0, 2.0),
            (200, 10, 50.0, 3.0),
            (1, 1, 1.0, 1.0),
        ] {
            let (l, x, w) = repairman(n, c, z, s).unwrap();
            let m = mva(&[Station::Queue { servers: c }], &[vec![s]], &[z], &[n]).unwrap();
            assert!(
                close(m.throughput[0], x, 1e-10),
                "{n} {c}: {} {x}",
                m.throughput[0]
            );
            assert!(
                close(m.response(0), w, 1e-9),
                "{n} {c}: {} {w}",
                m.response(0)
            );
            assert!(close(m.in_station(0, 0), l, 1e-9));
        }
    }

    #[test]
    fn recursion_and_convolution_agree_on_one_chain() {
        let stations = [
            Station::Queue { servers: 1 },
            Station::Queue { servers: 1 },
            Station::Delay,
        ];
        let demands = [vec![0.4], vec![0.25], vec![1.5]];
        for n in [1, 2, 7, 40] {
            let a = recursion(&stations, &demands, &[3.0], &[n]).unwrap();
            let b = convolution(&stations, &demands, 3.0, n).unwrap();
            assert!(close(a.throughput[0], b.throughput[0], 1e-10));
            for j in 0..3 {
                assert!(close(a.residence[j][0], b.residence[j][0], 1e-9), "{n} {j}");
            }
        }
    }

    #[test]
    fn one_job_never_waits_and_many_saturate_the_bottleneck() {
        let stations = [Station::Queue { servers: 1 }, Station::Queue { servers: 2 }];
        let demands = [vec![0.5], vec![3.0]];
        let one = mva(&stations, &demands, &[2.0], &[1]).unwrap();
        assert!(close(one.throughput[0], 1.0 / 5.5, 1e-12));
        // The bottleneck does 2 / 3.0 passes per unit time at most.
        let many = mva(&stations, &demands, &[2.0], &[300]).unwrap();
        assert!(
            close(many.throughput[0], 2.0 / 3.0, 1e-6),
            "{}",
            many.throughput[0]
        );
        assert!(many.response(0) > 300.0 / (2.0 / 3.0) - 2.0 - 1e-6);
    }

    /// The product form by brute force: every placement of two chains over
    /// two single-server stations and the think stage, weighted by
    /// `Π_j n_j! Π_k D_{jk}^{n_jk} / n_jk!` (BCMP type 1, 2 and 4 stations)
    /// times `Π_k Z_k^{m_k} / m_k!` for the thinkers.
    #[test]
    fn several_chains_match_the_product_form_by_enumeration() {
        let d: [[f64; 2]; 2] = [[0.3, 0.8], [0.6, 0.2]]; // [station][chain]
        let z: [f64; 2] = [2.0, 0.5];
        let pop = [3u32, 2u32];
        let fact = |n: u32| (1..=n).map(f64::from).product::<f64>();
        let mut total = 0.0;
        let mut at = [[0.0; 2]; 2]; // weighted count of chain k at station j
        for a0 in 0..=pop[0] {
            for b0 in 0..=pop[0] - a0 {
                for a1 in 0..=pop[1] {
                    for b1 in 0..=pop[1] - a1 {
                        let n = [[a0, a1], [b0, b1]];
                        let mut w = 1.0;
                        for j in 0..2 {
                            w *= fact(n[j][0] + n[j][1]);
                            for k in 0..2 {
                                w *= d[j][k].powi(n[j][k] as i32) / fact(n[j][k]);
                            }
                        }
                        let thinking = [pop[0] - a0 - b0, pop[1] - a1 - b1];
                        for k in 0..2 {
                            w *= z[k].powi(thinking[k] as i32) / fact(thinking[k]);
                        }
                        total += w;
                        for j in 0..2 {
                            for k in 0..2 {
                                at[j][k] += w * f64::from(n[j][k]);
                            }
                        }
                    }
                }
            }
        }
        let stations = [Station::Queue { servers: 1 }; 2];
        let demands: Vec<Vec<f64>> = d.iter().map(|r| r.to_vec()).collect();
        let m = mva(&stations, &demands, &z, &pop).unwrap();
        for (j, row) in at.iter().enumerate() {
            for (k, weight) in row.iter().enumerate() {
                let exact = weight / total;
                assert!(
                    close(m.in_station(j, k), exact, 1e-10),
                    "{j} {k}: {} {exact}",
                    m.in_station(j, k)
                );
            }
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_nan() {
        let q = [Station::Queue { servers: 2 }];
        assert!(mva(&q, &[vec![1.0, 1.0]], &[1.0, 1.0], &[2, 2]).is_err());
        assert!(mva(&q, &[vec![f64::NAN]], &[1.0], &[2]).is_err());
        assert!(mva(&q, &[vec![0.0]], &[0.0], &[2]).is_err());
        assert!(mva(&[Station::Queue { servers: 0 }], &[vec![1.0]], &[1.0], &[2]).is_err());
        assert!(repairman(0, 1, 1.0, 1.0).is_err());
        assert!(repairman(3, 1, 0.0, 1.0).is_err());
    }
}
