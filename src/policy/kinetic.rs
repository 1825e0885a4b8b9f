//! A kinetic tournament: the maximum of a changing set of lines
//! `v_i(t) = slope_i · t + intercept_i`, queried at non-decreasing times.
//!
//! A complete binary tree over slots keeps, at each inner node, the winner
//! of its subtree at the current time and a certificate: the time at which
//! the loser of its match overtakes the winner. Advancing time replays only
//! the matches whose certificate failed (Basch, Guibas and Hershberger,
//! "Data structures for mobile data", J. Algorithms 31 (1999)), so each
//! operation costs O(log² n) amortised for lines, against O(n) for a scan.
//! Ties go to the smaller sequence number.

use crate::job::JobId;

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Line {
    id: JobId,
    seq: u64,
    slope: f64,
    intercept: f64,
}

impl Line {
    #[inline]
    fn at(&self, t: f64) -> f64 {
        self.slope * t + self.intercept
    }

    /// Whether `self` ranks before `other` at time `t`.
    #[inline]
    fn beats(&self, other: &Line, t: f64) -> bool {
        let (a, b) = (self.at(t), other.at(t));
        a > b || (a == b && self.seq < other.seq)
    }

    /// First time at which `loser` ranks before `self` (infinite if never).
    fn overtaken_by(&self, loser: &Line) -> f64 {
        if loser.slope <= self.slope {
            return f64::INFINITY;
        }
        let t = (self.intercept - loser.intercept) / (loser.slope - self.slope);
        if loser.seq < self.seq { t } else { t.next_up() }
    }
}

#[derive(Debug, Clone, Default)]
pub struct KineticMax {
    /// Leaf slots; a tree node `cap + i` stands for slot `i`.
    slots: Vec<Option<Line>>,
    /// Winning slot of each tree node (index 1 is the root).
    winner: Vec<u32>,
    /// Certificate failure time of each inner node.
    cert: Vec<f64>,
    /// Earliest certificate failure in each subtree.
    min_fail: Vec<f64>,
    vacant: Vec<u32>,
    len: usize,
    now: f64,
}

impl KineticMax {
    pub fn len(&self) -> usize {
        self.len
    }

    fn cap(&self) -> usize {
        self.slots.len()
    }

    /// Adds a line at time `now` (not earlier than any previous call).
    pub fn insert(&mut self, now: f64, id: JobId, seq: u64, slope: f64, intercept: f64) {
        if self.vacant.is_empty() {
            self.grow(now);
        }
        self.advance(now);
        let slot = self.vacant.pop().expect("grow left a vacant slot");
        self.slots[slot as usize] = Some(Line {
            id,
            seq,
            slope,
            intercept,
        });
        let leaf = self.cap() + slot as usize;
        self.winner[leaf] = slot;
        self.fix_path(leaf, now);
        self.len += 1;
    }

    /// Removes and returns the line ranking first at time `now`.
    pub fn pop_max(&mut self, now: f64) -> Option<JobId> {
        if self.len == 0 {
            return None;
        }
        self.advance(now);
        let slot = self.winner[1];
        let line = self.slots[slot as usize]
            .take()
            .expect("the root winner is present");
        let leaf = self.cap() + slot as usize;
        self.winner[leaf] = NONE;
        self.vacant.push(slot);
        self.fix_path(leaf, now);
        self.len -= 1;
        Some(line.id)
    }

    /// Takes out the line of `id`, if present: O(n) to find its slot, then
    /// O(log n) to replay the matches on its path as `pop_max` does.
    pub fn remove(&mut self, now: f64, id: JobId) -> bool {
        let Some(slot) = self
            .slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|l| l.id == id))
        else {
            return false;
        };
        self.advance(now);
        self.slots[slot] = None;
        let leaf = self.cap() + slot;
        self.winner[leaf] = NONE;
        self.vacant.push(slot as u32);
        self.fix_path(leaf, now);
        self.len -= 1;
        true
    }

    /// The line ranking first at time `now`, left in place.
    pub fn peek_max(&mut self, now: f64) -> Option<JobId> {
        if self.len == 0 {
            return None;
        }
        self.advance(now);
        Some(self.line(self.winner[1]).id)
    }

    fn line(&self, slot: u32) -> &Line {
        self.slots[slot as usize]
            .as_ref()
            .expect("winners are present")
    }

    /// Replays every match whose certificate failed by `t`.
    fn advance(&mut self, t: f64) {
        self.now = self.now.max(t);
        if self.cap() > 1 {
            self.repair(1, self.now);
        }
    }

    fn repair(&mut self, node: usize, t: f64) {
        if node >= self.cap() || self.min_fail[node] > t {
            return;
        }
        self.repair(2 * node, t);
        self.repair(2 * node + 1, t);
        self.pull(node, t);
    }

    /// Recomputes an inner node from its children, valid at time `t`.
    fn pull(&mut self, node: usize, t: f64) {
        let (l, r) = (2 * node, 2 * node + 1);
        let (a, b) = (self.winner[l], self.winner[r]);
        let (win, lose) = match (a, b) {
            (NONE, NONE) => (NONE, NONE),
            (x, NONE) | (NONE, x) => (x, NONE),
            (a, b) if self.line(a).beats(self.line(b), t) => (a, b),
            (a, b) => (b, a),
        };
        self.winner[node] = win;
        let cert = if lose == NONE {
            f64::INFINITY
        } else {
            // Never fail at `t` itself: the winner was just decided at `t`.
            self.line(win)
                .overtaken_by(self.line(lose))
                .max(t.next_up())
        };
        self.cert[node] = cert;
        let child_fail = |c: usize| {
            if c < self.cap() {
                self.min_fail[c]
            } else {
                f64::INFINITY
            }
        };
        self.min_fail[node] = cert.min(child_fail(l)).min(child_fail(r));
    }

    fn fix_path(&mut self, leaf: usize, t: f64) {
        let mut node = leaf / 2;
        while node >= 1 {
            self.pull(node, t);
            node /= 2;
        }
    }

    /// Doubles the number of slots and rebuilds the tree at time `t`.
    fn grow(&mut self, t: f64) {
        let old = std::mem::take(&mut self.slots);
        let cap = (old.len() * 2).max(2);
        self.slots = vec![None; cap];
        self.slots[..old.len()].copy_from_slice(&old);
        self.winner = vec![NONE; 2 * cap];
        self.cert = vec![f64::INFINITY; cap];
        self.min_fail = vec![f64::INFINITY; cap];
        self.vacant = (0..cap as u32)
            .filter(|&i| self.slots[i as usize].is_none())
            .rev()
            .collect();
        for i in 0..cap {
            if self.slots[i].is_some() {
                self.winner[cap + i] = i as u32;
            }
        }
        self.now = self.now.max(t);
        for node in (1..cap).rev() {
            self.pull(node, self.now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Against a scan over random lines, random inserts and pops at
    /// increasing times. Times are multiples of 1/4 and slopes and
    /// intercepts whole, so values are exact and ties (broken by sequence)
    /// are real ties.
    #[test]
    fn agrees_with_a_scan() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        for round in 0..200 {
            let mut k = KineticMax::default();
            let mut naive: Vec<Line> = Vec::new();
            let mut t = 0.0;
            let mut seq = 0;
            for _ in 0..300 {
                t += f64::from(rng.random_range(0..3u32)) * if round % 2 == 0 { 0.5 } else { 0.25 };
                if rng.random::<f64>() < 0.55 || naive.is_empty() {
                    let slope = f64::from(rng.random_range(1..6u32));
                    let intercept = f64::from(rng.random_range(0..20u32)) - t * slope;
                    let id = seq as JobId;
                    k.insert(t, id, seq, slope, intercept);
                    naive.push(Line {
                        id,
                        seq,
                        slope,
                        intercept,
                    });
                    seq += 1;
                } else {
                    let best = (0..naive.len())
                        .reduce(|a, b| if naive[b].beats(&naive[a], t) { b } else { a })
                        .unwrap();
                    let expected = naive.remove(best);
                    let got = k.pop_max(t).unwrap();
                    assert_eq!(got, expected.id, "round {round} t={t}");
                }
                assert_eq!(k.len(), naive.len());
            }
        }
    }
}
