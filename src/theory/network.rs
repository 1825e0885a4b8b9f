//! Open Jackson networks: nodes of M/M/c queues with Markov routing.

use serde::Serialize;

use super::{Metrics, Result, TheoryError, positive};

/// One node of a Jackson network in steady state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct JacksonNode {
    /// Total arrival rate at the node, external plus routed.
    pub lambda: f64,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// A Jackson network in steady state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JacksonResult {
    pub nodes: Vec<JacksonNode>,
    /// Mean number of jobs in the network, `Σ L_i`.
    pub mean_in_system: f64,
    /// Mean time from entering to leaving the network, `Σ L_i / Σ γ_i`.
    pub mean_response: f64,
}

/// Open Jackson network: external Poisson arrivals `γ_i`, exponential
/// service at rate `μ_i` on `c_i` servers, and routing `P[i][j]` (a job
/// leaving `i` goes to `j` with that probability, and leaves with
/// `1 − Σ_j P[i][j]`). The traffic equations `λ = γ + Pᵀλ` are solved by
/// Gaussian elimination; each node then behaves as an independent M/M/c_i
/// with arrival rate `λ_i` (product form).
///
/// Jackson, "Networks of waiting lines", Oper. Res. 5 (1957); Gross et
/// al. (2008) §5.2.
pub fn jackson(
    gamma: &[f64],
    routing: &[Vec<f64>],
    mu: &[f64],
    servers: &[u32],
) -> Result<JacksonResult> {
    let n = gamma.len();
    if routing.len() != n
        || mu.len() != n
        || servers.len() != n
        || routing.iter().any(|r| r.len() != n)
    {
        return Err(TheoryError::NotApplicable(format!(
            "a network of {n} nodes needs {n} rates, {n} server counts and an {n}×{n} routing matrix"
        )));
    }
    for row in routing {
        let total: f64 = row.iter().sum();
        if row.iter().any(|p| !(0.0..=1.0).contains(p)) || total > 1.0 + 1e-12 {
            return Err(TheoryError::Invalid {
                name: "routing",
                value: total,
                reason: "each row holds probabilities summing to at most 1",
            });
        }
    }
    for &g in gamma {
        if !(g.is_finite() && g >= 0.0) {
            return Err(TheoryError::Invalid {
                name: "gamma",
                value: g,
                reason: "external arrival rates are finite and >= 0",
            });
        }
    }
    // (I − Pᵀ) λ = γ
    let mut a: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| f64::from(u8::from(i == j)) - routing[j][i])
                .collect()
        })
        .collect();
    let mut b = gamma.to_vec();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .expect("non-empty range");
        if a[pivot][col].abs() < 1e-12 {
            return Err(TheoryError::NotApplicable(
                "the routing keeps jobs in the network forever (I − Pᵀ is singular)".into(),
            ));
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        let pivot_b = b[col];
        for (row, (r, rb)) in a.iter_mut().zip(b.iter_mut()).enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (x, p) in r.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= f * p;
                }
                *rb -= f * pivot_b;
            }
        }
    }
    let lambdas: Vec<f64> = (0..n).map(|i| b[i] / a[i][i]).collect();
    let mut nodes = Vec::new();
    for i in 0..n {
        positive("mu", mu[i])?;
        let metrics = if lambdas[i] <= 0.0 {
            Metrics::from_wait(0.0, 0.0, 1.0 / mu[i], 0.0)
        } else {
            super::mmc(lambdas[i], mu[i], servers[i])?.metrics
        };
        nodes.push(JacksonNode {
            lambda: lambdas[i],
            metrics,
        });
    }
    let l: f64 = nodes.iter().map(|n| n.metrics.mean_in_system).sum();
    let external: f64 = gamma.iter().sum();
    Ok(JacksonResult {
        nodes,
        mean_in_system: l,
        mean_response: l / external,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tandem_of_two_mm1_is_their_sum() {
        let r = jackson(
            &[0.5, 0.0],
            &[vec![0.0, 1.0], vec![0.0, 0.0]],
            &[1.0, 2.0],
            &[1, 1],
        )
        .unwrap();
        let expected = super::super::mm1(0.5, 1.0).unwrap().mean_response
            + super::super::mm1(0.5, 2.0).unwrap().mean_response;
        assert!((r.mean_response - expected).abs() < 1e-12);
    }

    #[test]
    fn feedback_raises_the_arrival_rate() {
        // A single M/M/1 with feedback probability 0.5: λ = γ / (1 − 0.5).
        let r = jackson(&[0.3], &[vec![0.5]], &[1.0], &[1]).unwrap();
        assert!((r.nodes[0].lambda - 0.6).abs() < 1e-12);
    }

    #[test]
    fn bad_networks_are_errors() {
        assert!(matches!(
            jackson(&[1.0], &[vec![1.2]], &[1.0], &[1]),
            Err(TheoryError::Invalid {
                name: "routing",
                ..
            })
        ));
        assert!(matches!(
            jackson(&[0.6], &[vec![0.5]], &[1.0], &[1]),
            Err(TheoryError::Unstable { .. })
        ));
        assert!(jackson(&[1.0], &[vec![1.0]], &[1.0], &[1]).is_err());
    }
}
