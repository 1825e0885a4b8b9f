//! Streaming statistics of one replication, in memory that does not grow
//! with the number of jobs, and the summary of many replications.
//!
//! Definitions (also in the README):
//! - **response** (sojourn) time = completion − arrival;
//! - **wait** = response − time actually spent holding a server (for FCFS,
//!   the time in queue before service starts);
//! - number in system / in queue: time averages over the measured window;
//! - utilisation: busy server time / (servers × window length).

pub mod alarms;
pub mod groups;
pub mod lifecycle;
mod log_hist;
pub mod mser;
mod recorder;
pub mod servers;
mod summary;
pub mod timeline;
pub mod totals;

pub use log_hist::LogHistogram;
pub use recorder::{CellStats, Recorder, SizeBin};
pub use summary::{
    Column, Estimate, QUANTILES, ReplicationSummary, ResponseDistribution, ResponseFold, RowFold,
    RowStats, Selection, SizeBinFold, SizeBinStats, confidence_half_width, summarize,
};
pub use totals::{CellTotals, ReplicationTotals, TotalsError};

/// Running mean and variance by Welford's algorithm, mergeable by Chan et
/// al.'s formula so per-cell figures add up to per-class and overall ones.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Welford {
    pub count: u64,
    pub mean: f64,
    m2: f64,
}

impl Welford {
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let d = x - self.mean;
        // Through i64: one instruction, where a u64 takes six on x86-64
        // without AVX-512; the same value below 2^63 counts.
        self.mean += d / self.count as i64 as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Sample variance (n − 1 in the denominator); NaN below two values.
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            f64::NAN
        } else {
            self.m2 / (self.count - 1) as f64
        }
    }

    /// The count, mean and sum of squared deviations, to be stored and
    /// given back to [`Welford::from_parts`] bit for bit (shards of a sweep).
    pub fn parts(&self) -> (u64, f64, f64) {
        (self.count, self.mean, self.m2)
    }

    pub fn from_parts(count: u64, mean: f64, m2: f64) -> Welford {
        Welford { count, mean, m2 }
    }

    /// Combines two summaries as if all values had been pushed into one.
    pub fn merge(&mut self, other: &Welford) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let n = (self.count + other.count) as f64;
        let d = other.mean - self.mean;
        self.mean += d * other.count as f64 / n;
        self.m2 += other.m2 + d * d * self.count as f64 * other.count as f64 / n;
        self.count += other.count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_two_pass_and_merges() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 37) % 101) as f64 * 0.37 + 1e6)
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        let mut all = Welford::default();
        let (mut a, mut b) = (Welford::default(), Welford::default());
        for (i, &x) in xs.iter().enumerate() {
            all.push(x);
            if i < 300 { a.push(x) } else { b.push(x) }
        }
        a.merge(&b);
        for w in [all, a] {
            assert_eq!(w.count, 1000);
            assert!((w.mean - mean).abs() < 1e-9);
            assert!((w.variance() - var).abs() < 1e-6 * var);
        }
    }
}
