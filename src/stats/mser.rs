//! Choosing a replication's warm-up by MSER-5 (White, "An effective
//! truncation heuristic for bias reduction in simulation output",
//! *Simulation* 69(6), 1997; White, Cobb and Spratt, "A comparison of five
//! steady-state truncation heuristics", *WSC* 2000).
//!
//! The response times of a pilot run, in order of completion from time 0,
//! are averaged in batches of `b` (5 to start with) into `Z_1, ..., Z_m`.
//! For each candidate truncation `d` (the first `d` batches dropped),
//!
//! `MSER(d) = Σ_{j > d} (Z_j − Z̄(d))² / (m − d)²`,
//!
//! the squared standard error of the mean of what is kept, and the chosen
//! `d*` minimises it over `0 <= d <= m/2` (a minimum past half the run
//! means the run is too short to tell, and is not taken). The warm-up is
//! then the first `b d*` completed jobs. At most [`MAX_BATCHES`] batches
//! are held: when they fill up, neighbours are merged and `b` doubles
//! (MSER-10, -20, ...), so the memory stays flat however long the run.

use crate::engine::Observer;
use crate::job::Job;

/// The first batch size of MSER-5.
pub const FIRST_BATCH: u64 = 5;
/// Batches held at most (then merged pairwise).
pub const MAX_BATCHES: usize = 1 << 16;

/// Response times in completion order, as batch means.
#[derive(Debug, Clone)]
pub struct Mser {
    batch: u64,
    /// Sums of full batches.
    sums: Vec<f64>,
    /// The batch being filled.
    open_sum: f64,
    open_count: u64,
}

impl Default for Mser {
    fn default() -> Self {
        Mser {
            batch: FIRST_BATCH,
            sums: Vec::new(),
            open_sum: 0.0,
            open_count: 0,
        }
    }
}

impl Mser {
    pub fn push(&mut self, x: f64) {
        self.open_sum += x;
        self.open_count += 1;
        if self.open_count == self.batch {
            self.sums.push(self.open_sum);
            self.open_sum = 0.0;
            self.open_count = 0;
            if self.sums.len() == MAX_BATCHES {
                self.sums = self.sums.chunks(2).map(|p| p.iter().sum()).collect();
                self.batch *= 2;
            }
        }
    }

    /// The batch size now.
    pub fn batch(&self) -> u64 {
        self.batch
    }

    /// The warm-up chosen, in completed jobs: `b d*`.
    pub fn truncation(&self) -> u64 {
        let b = self.batch as f64;
        let z: Vec<f64> = self.sums.iter().map(|s| s / b).collect();
        let m = z.len();
        if m < 2 {
            return 0;
        }
        // Suffix sums give every MSER(d) in one backward pass:
        // Σ (Z − Z̄)² = Σ Z² − (Σ Z)² / n.
        let (mut sum, mut sq) = (0.0, 0.0);
        let mut best = (f64::INFINITY, 0usize);
        for d in (0..m).rev() {
            sum += z[d];
            sq += z[d] * z[d];
            let n = (m - d) as f64;
            if d <= m / 2 && n >= 2.0 {
                let mser = (sq - sum * sum / n).max(0.0) / (n * n);
                // Ties go to the smaller truncation (the backward pass sees it last).
                if mser <= best.0 {
                    best = (mser, d);
                }
            }
        }
        best.1 as u64 * self.batch
    }
}

impl Observer for Mser {
    fn on_complete(&mut self, now: f64, job: &Job) {
        self.push(now - job.entered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MSER(d) for every d by its definition, and the argmin.
    fn brute(z: &[f64]) -> usize {
        let m = z.len();
        (0..=m / 2)
            .filter(|d| m - d >= 2)
            .map(|d| {
                let kept = &z[d..];
                let n = kept.len() as f64;
                let mean = kept.iter().sum::<f64>() / n;
                let ss: f64 = kept.iter().map(|x| (x - mean).powi(2)).sum();
                (ss / (n * n), d)
            })
            .fold(
                (f64::INFINITY, 0),
                |best, c| if c.0 < best.0 { c } else { best },
            )
            .1
    }

    #[test]
    fn truncation_matches_the_definition() {
        // A decaying start on top of a repeating pattern.
        let mut x = Mser::default();
        let mut batches = Vec::new();
        let mut s = 0.0;
        for i in 0..500u32 {
            let v = 40.0 * (-(f64::from(i)) / 30.0).exp() + f64::from((i * 7919) % 13);
            x.push(v);
            s += v;
            if (i + 1) % 5 == 0 {
                batches.push(s / 5.0);
                s = 0.0;
            }
        }
        assert_eq!(x.truncation(), 5 * brute(&batches) as u64);
        assert!(x.truncation() > 0, "the decaying start is cut");
    }

    #[test]
    fn a_stationary_sequence_keeps_everything() {
        let mut x = Mser::default();
        for i in 0..1000u32 {
            x.push(f64::from(i % 5));
        }
        // Every batch mean is 2: MSER is 0 everywhere, and ties keep d = 0.
        assert_eq!(x.truncation(), 0);
    }

    #[test]
    fn batches_merge_when_full() {
        let mut x = Mser::default();
        for _ in 0..(MAX_BATCHES as u64 * FIRST_BATCH) {
            x.push(1.0);
        }
        assert_eq!(x.batch(), 2 * FIRST_BATCH);
        assert_eq!(x.sums.len(), MAX_BATCHES / 2);
        assert!(x.sums.iter().all(|&s| s == 10.0));
    }
}
