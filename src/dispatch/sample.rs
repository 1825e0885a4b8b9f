//! `d` distinct nodes out of `n`, uniformly, with no allocation per draw.
//!
//! Floyd's algorithm (J. Bentley and B. Floyd, "Programming pearls: a
//! sample of brilliance", CACM 30(9), 1987): for `j` from `n − d` to
//! `n − 1`, draw `t` in `0..=j` and take `t`, or `j` if `t` was taken
//! already. Exactly `d` draws, every `d`-subset equally likely. The
//! membership test is a scan of the (few) taken nodes for small `d`, a
//! bitset over the nodes otherwise; both buffers are sized once.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

/// Up to this many samples, membership is a scan of the taken ones.
const SCAN_UP_TO: usize = 32;

/// Up to this many samples (power-of-2 is the common case), a draw fills
/// a fixed array: see [`draw_few`].
pub const FEW: usize = 4;

/// `d ≤ FEW` distinct indices in `0..n`, in increasing order, in the
/// first `d` slots: the same draws from `rng` as [`Sampler::draw`], so the
/// same sample. Kept in order by insertion as they come, it calls neither
/// a sort nor a copy routine, which for two nodes cost more than the draws
/// (a cluster dispatches once per job).
#[inline]
pub fn draw_few(rng: &mut Pcg64Mcg, n: usize, d: usize) -> [u32; FEW] {
    assert!(d <= FEW && d <= n, "draw_few: {d} of {n}");
    let mut taken = [0u32; FEW];
    for (k, j) in (n - d..n).enumerate() {
        let t = rng.random_range(0..=j) as u32;
        let pick = if taken[..k].contains(&t) { j as u32 } else { t };
        let mut i = k;
        while i > 0 && taken[i - 1] > pick {
            taken[i] = taken[i - 1];
            i -= 1;
        }
        taken[i] = pick;
    }
    taken
}

#[derive(Debug, Clone, Default)]
pub struct Sampler {
    /// The last draw of at most [`FEW`].
    few: [u32; FEW],
    taken: Vec<u32>,
    /// Bit per node, only for `d > SCAN_UP_TO`; all clear between draws.
    bits: Vec<u64>,
}

impl Sampler {
    pub fn new(n: usize, d: usize) -> Sampler {
        Sampler {
            few: [0; FEW],
            taken: Vec::with_capacity(d),
            bits: if d > SCAN_UP_TO {
                vec![0; n.div_ceil(64)]
            } else {
                Vec::new()
            },
        }
    }

    /// `d` distinct indices in `0..n`, in increasing order.
    pub fn draw(&mut self, rng: &mut Pcg64Mcg, n: usize, d: usize) -> &[u32] {
        debug_assert!(d <= n);
        if d <= FEW {
            self.few = draw_few(rng, n, d);
            return &self.few[..d];
        }
        self.taken.clear();
        if d > SCAN_UP_TO && self.bits.len() < n.div_ceil(64) {
            self.bits.resize(n.div_ceil(64), 0);
        }
        for j in n - d..n {
            let t = rng.random_range(0..=j) as u32;
            let pick = if self.has(t) { j as u32 } else { t };
            if d > SCAN_UP_TO {
                self.bits[pick as usize / 64] |= 1 << (pick % 64);
            }
            self.taken.push(pick);
        }
        if d > SCAN_UP_TO {
            for &i in &self.taken {
                self.bits[i as usize / 64] = 0;
            }
        }
        self.taken.sort_unstable();
        &self.taken
    }

    #[inline]
    fn has(&self, t: u32) -> bool {
        if self.taken.len() < SCAN_UP_TO || self.bits.is_empty() {
            self.taken.contains(&t)
        } else {
            self.bits[t as usize / 64] & (1 << (t % 64)) != 0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The general path (scan, then sort), written out: what `draw_few`
    /// must equal.
    fn floyd_sorted(rng: &mut Pcg64Mcg, n: usize, d: usize) -> Vec<u32> {
        let mut taken: Vec<u32> = Vec::new();
        for j in n - d..n {
            let t = rng.random_range(0..=j) as u32;
            taken.push(if taken.contains(&t) { j as u32 } else { t });
        }
        taken.sort_unstable();
        taken
    }

    #[test]
    fn a_few_are_drawn_as_the_general_path_draws_them() {
        for (n, d) in [
            (1, 1),
            (2, 2),
            (3, 2),
            (4, 4),
            (5, 3),
            (7, 4),
            (1000, 2),
            (1000, 4),
        ] {
            let (mut a, mut b) = (Pcg64Mcg::seed_from_u64(9), Pcg64Mcg::seed_from_u64(9));
            for _ in 0..2000 {
                let few = draw_few(&mut a, n, d);
                assert_eq!(few[..d], floyd_sorted(&mut b, n, d)[..], "n {n} d {d}");
                assert!(few[d..].iter().all(|&x| x == 0));
            }
            assert_eq!(a, b, "the same draws from the stream");
        }
    }

    #[test]
    fn samples_are_distinct_sorted_and_uniform() {
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        for (n, d) in [(1, 1), (5, 2), (10, 10), (100, 3), (200, 40), (300, 300)] {
            let mut s = Sampler::new(n, d);
            let mut hits = vec![0u32; n];
            let rounds = 20_000u32;
            for _ in 0..rounds {
                let taken = s.draw(&mut rng, n, d).to_vec();
                assert_eq!(taken.len(), d);
                assert!(taken.windows(2).all(|w| w[0] < w[1]), "{taken:?}");
                assert!(taken.iter().all(|&i| (i as usize) < n));
                for i in taken {
                    hits[i as usize] += 1;
                }
            }
            // Each node is in a sample with probability d/n.
            let p = d as f64 / n as f64;
            let sd = (f64::from(rounds) * p * (1.0 - p)).sqrt();
            for (i, &h) in hits.iter().enumerate() {
                let e = p * f64::from(rounds);
                assert!(
                    (f64::from(h) - e).abs() <= 5.0 * sd + 1e-9,
                    "n {n} d {d} node {i}: {h} vs {e}"
                );
            }
        }
    }
}
