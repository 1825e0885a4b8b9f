//! A tournament tree of `(least key, number of ties)` over node slots.
//!
//! A complete binary tree in an array (the classic segment tree, e.g.
//! Bentley, "Solutions to Klee's rectangle problems", 1977; de Berg et
//! al., *Computational Geometry*, ch. 10): each inner node holds the least
//! key among its present leaves and how many leaves hold it. Changing one
//! leaf replays the O(log n) matches on its path (stopping early when a
//! match's result does not change), and the k-th tied leaf in index order
//! is found by one descent, so a dispatcher draws one index in `0..ties`
//! and never scans the nodes. jsq keys it by jobs per server, jiq (and
//! lwl's nodes whose work is not draining) by a constant.

/// Least key and its multiplicity over the present leaves.
#[derive(Debug, Clone)]
pub struct MinTree {
    /// Leaves start at `cap`; node 1 is the root.
    key: Vec<f64>,
    /// Leaves holding the least key of the subtree (0: none present).
    count: Vec<u32>,
    cap: usize,
}

impl MinTree {
    /// `n` slots, all absent.
    pub fn new(n: usize) -> MinTree {
        let cap = n.max(1).next_power_of_two();
        MinTree {
            key: vec![f64::INFINITY; 2 * cap],
            count: vec![0; 2 * cap],
            cap,
        }
    }

    /// The least key and how many present leaves hold it.
    #[inline]
    pub fn min(&self) -> Option<(f64, u32)> {
        (self.count[1] > 0).then(|| (self.key[1], self.count[1]))
    }

    /// Sets slot `i` to `key` (NaN must not be given), present.
    #[inline]
    pub fn set(&mut self, i: usize, key: f64) {
        debug_assert!(!key.is_nan());
        self.put(i, key, 1);
    }

    /// Makes slot `i` absent.
    #[inline]
    pub fn clear(&mut self, i: usize) {
        self.put(i, f64::INFINITY, 0);
    }

    fn put(&mut self, i: usize, key: f64, count: u32) {
        let mut v = self.cap + i;
        if self.key[v] == key && self.count[v] == count {
            return;
        }
        self.key[v] = key;
        self.count[v] = count;
        while v > 1 {
            v /= 2;
            let (k, c) = self.merge(2 * v);
            if self.key[v] == k && self.count[v] == c {
                return;
            }
            self.key[v] = k;
            self.count[v] = c;
        }
    }

    /// The match of the children `l` and `l + 1`.
    #[inline]
    fn merge(&self, l: usize) -> (f64, u32) {
        let r = l + 1;
        let (kl, cl, kr, cr) = (self.key[l], self.count[l], self.key[r], self.count[r]);
        if cr == 0 || (cl > 0 && kl < kr) {
            (kl, cl)
        } else if cl == 0 || kr < kl {
            (kr, cr)
        } else {
            (kl, cl + cr)
        }
    }

    /// Whether subtree `v` holds leaves with the least key `m`.
    #[inline]
    fn holds(&self, v: usize, m: f64) -> bool {
        self.count[v] > 0 && self.key[v] == m
    }

    /// The `k`-th (from 0, in slot order) of the leaves holding the least
    /// key; `k` must be below the count [`MinTree::min`] gives.
    pub fn select(&self, mut k: u32) -> usize {
        let m = self.key[1];
        let mut v = 1;
        while v < self.cap {
            let l = 2 * v;
            if self.holds(l, m) {
                if k < self.count[l] {
                    v = l;
                    continue;
                }
                k -= self.count[l];
            }
            v = l + 1;
        }
        v - self.cap
    }

    /// How many leaves before slot `i` hold the least key.
    pub fn rank(&self, i: usize) -> u32 {
        let m = self.key[1];
        let (mut v, mut lo, mut size, mut below) = (1, 0, self.cap, 0);
        while v < self.cap {
            size /= 2;
            if i < lo + size {
                v *= 2;
            } else {
                if self.holds(2 * v, m) {
                    below += self.count[2 * v];
                }
                v = 2 * v + 1;
                lo += size;
            }
        }
        below
    }

    /// The key of slot `i` if present.
    pub fn get(&self, i: usize) -> Option<f64> {
        let v = self.cap + i;
        (self.count[v] > 0).then_some(self.key[v])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64Mcg;

    /// The least key, its ties in slot order, by scanning.
    fn scan(keys: &[Option<f64>]) -> Option<(f64, Vec<usize>)> {
        let m = keys.iter().flatten().copied().reduce(f64::min)?;
        let ties = (0..keys.len()).filter(|&i| keys[i] == Some(m)).collect();
        Some((m, ties))
    }

    #[test]
    fn random_updates_match_a_scan() {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        for n in [1usize, 2, 3, 5, 8, 13, 100] {
            let mut tree = MinTree::new(n);
            let mut keys = vec![None; n];
            for _ in 0..2000 {
                let i = rng.random_range(0..n);
                if rng.random_range(0..5) == 0 {
                    tree.clear(i);
                    keys[i] = None;
                } else {
                    // Few distinct keys, so ties are common.
                    let k = f64::from(rng.random_range(0..4u32)) / 2.0;
                    tree.set(i, k);
                    keys[i] = Some(k);
                }
                match scan(&keys) {
                    None => assert!(tree.min().is_none()),
                    Some((m, ties)) => {
                        assert_eq!(tree.min(), Some((m, ties.len() as u32)));
                        for (k, &t) in ties.iter().enumerate() {
                            assert_eq!(tree.select(k as u32), t);
                            assert_eq!(tree.rank(t), k as u32);
                        }
                        for j in 0..n {
                            let before = ties.iter().filter(|&&t| t < j).count() as u32;
                            assert_eq!(tree.rank(j), before);
                        }
                    }
                }
                for (j, k) in keys.iter().enumerate() {
                    assert_eq!(tree.get(j), *k);
                }
            }
        }
    }
}
