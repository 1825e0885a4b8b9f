//! Optimal dynamic dispatching by a Markov decision process.
//!
//! Poisson arrivals at rate `λ` are each sent, on arrival, to one of `n`
//! single-server FCFS queues with exponential service at rates `μ_i`,
//! knowing every queue length; holding cost 1 per job per unit time, so
//! the average cost is the mean number in system `L` and the mean response
//! is `L / λ` (Little's law).
//!
//! The continuous-time chain is uniformised at `Λ = 1.1 (λ + Σ μ_i)`
//! (Lippman 1975): each step, an arrival with probability `λ/Λ`, a service
//! completion at server `i` with `μ_i/Λ` (a dummy step when it is idle),
//! and a dummy step with the remaining probability (which makes the chain
//! aperiodic).
//! The state space is truncated at `N` jobs per queue: a full queue cannot
//! be chosen, and an arrival finding all full is lost; the probability of
//! the boundary under the policy found is reported to check the truncation.
//! Relative value iteration (Puterman 1994, §8.5.5) iterates
//!
//! ```text
//! (T h)(q) = |q|/Λ + (λ/Λ) min_{a: q_a < N} h(q + e_a) + Σ_i (μ_i/Λ) h(q − e_i 1[q_i > 0])
//!            + (1 − (λ + Σ μ_i)/Λ) h(q)
//! h ← T h − (T h)(0)
//! ```
//!
//! until the span of `T h − h` is below a tolerance; then
//! `min(T h − h) ≤ g/Λ ≤ max(T h − h)` brackets the optimal average cost
//! `g`. For two servers the optimal policy is a monotone switching curve:
//! the slow server gets an arrival only when the fast queue is long enough,
//! at a threshold nondecreasing in the slow queue (Hajek 1984; the slow-server
//! threshold of Lin & Kumar 1984).

use crate::dispatch::Rule;
use crate::error::FieldError;

/// Most states the solver accepts.
pub const MAX_STATES: usize = 4_000_000;

/// A truncated dispatching MDP.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub lambda: f64,
    pub mu: Vec<f64>,
    /// Most jobs per queue.
    pub cap: usize,
}

impl Model {
    /// Checks the rates (positive, `λ < Σμ`) and the size of the state space.
    pub fn new(lambda: f64, mu: &[f64], cap: usize) -> Result<Model, FieldError> {
        super::split::check(lambda, mu)?;
        if cap == 0 {
            return Err(FieldError::new("--truncate", "0", "must be at least 1"));
        }
        let states = (cap as f64 + 1.0).powi(mu.len() as i32);
        if states > MAX_STATES as f64 {
            return Err(FieldError::new(
                "--truncate",
                cap.to_string(),
                format!(
                    "{} servers truncated at {cap} give {states:.0} states; at most {MAX_STATES}",
                    mu.len()
                ),
            ));
        }
        Ok(Model {
            lambda,
            mu: mu.to_vec(),
            cap,
        })
    }

    pub fn states(&self) -> usize {
        (self.cap + 1).pow(self.mu.len() as u32)
    }

    /// Index step of one more job at server `i`.
    fn stride(&self, i: usize) -> usize {
        (self.cap + 1).pow(i as u32)
    }

    /// Queue lengths of a state index.
    pub fn decode(&self, mut s: usize) -> Vec<usize> {
        (0..self.mu.len())
            .map(|_| {
                let q = s % (self.cap + 1);
                s /= self.cap + 1;
                q
            })
            .collect()
    }

    pub fn encode(&self, q: &[usize]) -> usize {
        q.iter().enumerate().map(|(i, &x)| x * self.stride(i)).sum()
    }

    /// The uniformisation rate: 10% above `λ + Σμ`, so that every state
    /// keeps a self-loop. Without it the chain with all servers busy moves
    /// by ±1 job each step, nearly periodic, and value iteration (and the
    /// power iteration of [`evaluate`]) converge slowly under heavy load;
    /// this is the aperiodicity transformation (Puterman 1994, §8.5.4).
    fn uniform_rate(&self) -> f64 {
        1.1 * (self.lambda + self.mu.iter().sum::<f64>())
    }
}

/// What relative value iteration found.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The server an arrival goes to, by state index.
    pub policy: Vec<u32>,
    /// Optimal average cost per unit time (mean number in system), from
    /// the value-iteration bounds.
    pub gain: f64,
    /// Iterations done.
    pub iterations: usize,
    /// Final span of `T h − h`, times `Λ` (per unit time).
    pub span: f64,
    /// Whether the span fell below the tolerance.
    pub converged: bool,
}

/// Relative value iteration; `tol` bounds the final span per unit time.
pub fn solve(model: &Model, tol: f64, max_iterations: usize) -> Solution {
    let n = model.mu.len();
    let states = model.states();
    let big = model.uniform_rate();
    let p_arrival = model.lambda / big;
    let p_service: Vec<f64> = model.mu.iter().map(|m| m / big).collect();
    let p_stay = 1.0 - p_arrival - p_service.iter().sum::<f64>();
    let strides: Vec<usize> = (0..n).map(|i| model.stride(i)).collect();
    let queues: Vec<Vec<usize>> = (0..states).map(|s| model.decode(s)).collect();
    let mut h = vec![0.0; states];
    let mut th = vec![0.0; states];
    let mut policy = vec![0u32; states];
    let mut iterations = 0;
    let mut span = f64::INFINITY;
    let mut gain = f64::NAN;
    while iterations < max_iterations {
        iterations += 1;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for s in 0..states {
            let q = &queues[s];
            let cost = q.iter().sum::<usize>() as f64 / big;
            // The exact minimum (a tolerance here would bias T h by up to
            // the tolerance and put a floor under the span); exact ties go
            // to the lowest index.
            let mut best = f64::INFINITY;
            let mut action = 0u32;
            for a in 0..n {
                if q[a] < model.cap {
                    let v = h[s + strides[a]];
                    if v < best {
                        best = v;
                        action = a as u32;
                    }
                }
            }
            if best == f64::INFINITY {
                best = h[s];
            }
            let mut value = cost + p_arrival * best + p_stay * h[s];
            for i in 0..n {
                value += p_service[i] * if q[i] > 0 { h[s - strides[i]] } else { h[s] };
            }
            th[s] = value;
            policy[s] = action;
            let d = value - h[s];
            lo = lo.min(d);
            hi = hi.max(d);
        }
        span = (hi - lo) * big;
        gain = 0.5 * (hi + lo) * big;
        let base = th[0];
        for s in 0..states {
            h[s] = th[s] - base;
        }
        if span < tol {
            break;
        }
    }
    Solution {
        policy,
        gain,
        iterations,
        span,
        converged: span < tol,
    }
}

/// A policy's long-run figures on the truncated chain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean number in system.
    pub mean_number: f64,
    /// Mean response of accepted jobs, `L / (λ (1 − blocking))`.
    pub mean_response: f64,
    /// Stationary probability that some queue is at the truncation bound.
    pub boundary_mass: f64,
    /// Probability that an arrival finds every queue full (lost).
    pub blocking: f64,
}

/// The stationary distribution of a policy table on the truncated chain
/// (power iteration on the uniformised chain, until the L1 change is below
/// 1e-13) and its figures.
pub fn evaluate(model: &Model, policy: &[u32]) -> Evaluation {
    let n = model.mu.len();
    let states = model.states();
    let big = model.uniform_rate();
    let p_arrival = model.lambda / big;
    let p_service: Vec<f64> = model.mu.iter().map(|m| m / big).collect();
    let p_stay = 1.0 - p_arrival - p_service.iter().sum::<f64>();
    let strides: Vec<usize> = (0..n).map(|i| model.stride(i)).collect();
    let queues: Vec<Vec<usize>> = (0..states).map(|s| model.decode(s)).collect();
    let mut pi = vec![0.0; states];
    pi[0] = 1.0;
    let mut next = vec![0.0; states];
    for _ in 0..2_000_000 {
        next.iter_mut().for_each(|x| *x = 0.0);
        for s in 0..states {
            let mass = pi[s];
            if mass == 0.0 {
                continue;
            }
            let q = &queues[s];
            next[s] += mass * p_stay;
            let a = policy[s] as usize;
            if q[a] < model.cap {
                next[s + strides[a]] += mass * p_arrival;
            } else {
                next[s] += mass * p_arrival;
            }
            for i in 0..n {
                if q[i] > 0 {
                    next[s - strides[i]] += mass * p_service[i];
                } else {
                    next[s] += mass * p_service[i];
                }
            }
        }
        let change: f64 = pi.iter().zip(&next).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut pi, &mut next);
        if change < 1e-13 {
            break;
        }
    }
    let mut l = 0.0;
    let mut boundary = 0.0;
    let mut blocking = 0.0;
    for (s, q) in queues.iter().enumerate() {
        l += pi[s] * q.iter().sum::<usize>() as f64;
        if q.contains(&model.cap) {
            boundary += pi[s];
        }
        if q[policy[s] as usize] == model.cap {
            blocking += pi[s];
        }
    }
    Evaluation {
        mean_number: l,
        mean_response: l / (model.lambda * (1.0 - blocking)),
        boundary_mass: boundary,
        blocking,
    }
}

/// Join the shortest queue as a table: the fewest jobs, the lowest index
/// among equals (as `Rule::Jsq` on single-server nodes).
pub fn jsq_table(model: &Model) -> Vec<u32> {
    (0..model.states())
        .map(|s| {
            let q = model.decode(s);
            (0..q.len()).min_by_key(|&i| (q[i], i)).expect("a server") as u32
        })
        .collect()
}

/// The policy as a dispatching rule for the engine.
pub fn rule(model: &Model, policy: &[u32]) -> Rule {
    Rule::Table {
        cap: model.cap as u32,
        choice: policy.to_vec(),
    }
}

/// For two servers: with `slow` and `fast` the indices of the slower and
/// faster server, for each slow-queue length `q_s ≤ limit`, the least
/// fast-queue length (≤ limit) at which an arrival goes to the slow server,
/// or `None` if it never does there.
pub fn thresholds(model: &Model, policy: &[u32], limit: usize) -> Vec<Option<usize>> {
    assert_eq!(model.mu.len(), 2, "thresholds are for two servers");
    let (fast, slow) = if model.mu[0] >= model.mu[1] {
        (0, 1)
    } else {
        (1, 0)
    };
    (0..=limit)
        .map(|qs| {
            (0..=limit).find(|&qf| {
                let mut q = [0; 2];
                q[fast] = qf;
                q[slow] = qs;
                policy[model.encode(&q)] == slow as u32
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_is_mm1() {
        // With one server there is no choice: L = ρ/(1 − ρ).
        let m = Model::new(0.5, &[1.0], 80).unwrap();
        let s = solve(&m, 1e-10, 1_000_000);
        assert!(s.converged);
        assert!((s.gain - 1.0).abs() < 1e-6, "{}", s.gain);
        let e = evaluate(&m, &s.policy);
        assert!((e.mean_number - 1.0).abs() < 1e-6);
    }

    #[test]
    fn too_many_states_is_an_input_error() {
        let e = Model::new(1.0, &[1.0; 5], 60).unwrap_err();
        assert_eq!(e.field, "--truncate");
        assert_eq!(
            Model::new(5.0, &[1.0, 2.0], 10).unwrap_err().field,
            "--lambda"
        );
    }
}
