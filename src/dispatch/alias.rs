//! Weighted choice in O(1) per draw by an alias table.
//!
//! Walker's alias method (A. J. Walker, "An efficient method for
//! generating discrete random variables with general distributions", ACM
//! TOMS 3(3), 1977), built in O(n) by Vose's stable variant (M. D. Vose,
//! "A linear algorithm for generating random numbers with a given
//! distribution", IEEE TSE 17(9), 1991): column `i` keeps itself with
//! probability `keep[i]` and otherwise gives its alias. One uniform draw
//! picks the column (integer part of `u·n`) and the coin (fraction).

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

#[derive(Debug, Clone, PartialEq)]
pub struct AliasTable {
    keep: Vec<f64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// From cumulative probabilities (non-decreasing, the last 1), as
    /// [`crate::dispatch::Rule::Random`] stores them.
    pub fn from_cumulative(cumulative: &[f64]) -> AliasTable {
        let mut before = 0.0;
        let weights: Vec<f64> = cumulative
            .iter()
            .map(|&c| {
                let w = (c - before).max(0.0);
                before = c;
                w
            })
            .collect();
        AliasTable::new(&weights)
    }

    /// From weights (non-negative, some positive).
    pub fn new(weights: &[f64]) -> AliasTable {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights.iter().map(|w| w / total * n as f64).collect();
        let mut keep = vec![1.0; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|&i| scaled[i as usize] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            keep[s as usize] = scaled[s as usize];
            alias[s as usize] = l;
            scaled[l as usize] -= 1.0 - scaled[s as usize];
            if scaled[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // What is left is 1 up to rounding: it keeps itself. A zero weight
        // is never left over (the rest would have to sum to more than
        // their number), so zero-weight columns always give their alias.
        for i in small.into_iter().chain(large) {
            keep[i as usize] = 1.0;
        }
        AliasTable { keep, alias }
    }

    /// One weighted index, from one uniform draw.
    #[inline]
    pub fn sample(&self, rng: &mut Pcg64Mcg) -> usize {
        let n = self.keep.len();
        let u = rng.random::<f64>() * n as f64;
        let i = (u as usize).min(n - 1);
        if u - (i as f64) < self.keep[i] {
            i
        } else {
            self.alias[i] as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn frequencies_follow_the_weights() {
        let weights = [1.0, 0.0, 3.0, 0.5, 0.0, 2.5, 1.0];
        let table = AliasTable::new(&weights);
        let total: f64 = weights.iter().sum();
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let draws = 400_000;
        let mut hits = [0u32; 7];
        for _ in 0..draws {
            hits[table.sample(&mut rng)] += 1;
        }
        for (i, w) in weights.iter().enumerate() {
            let p = w / total;
            let expected = p * f64::from(draws);
            let sd = (f64::from(draws) * p * (1.0 - p)).sqrt();
            // Zero weights are never drawn; others within 4 sd.
            assert!(
                (f64::from(hits[i]) - expected).abs() <= 4.0 * sd,
                "node {i}: {} against {expected}",
                hits[i]
            );
        }
    }

    #[test]
    fn built_from_cumulative_as_from_weights() {
        let a = AliasTable::from_cumulative(&[0.25, 0.25, 1.0]);
        let b = AliasTable::new(&[0.25, 0.0, 0.75]);
        assert_eq!(a, b);
        let one = AliasTable::new(&[2.0]);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        assert_eq!(one.sample(&mut rng), 0);
    }
}
