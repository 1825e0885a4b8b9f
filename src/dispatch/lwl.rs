//! Least work left in O(log n) per arrival: a kinetic tournament over the
//! nodes whose work drains, a [`MinTree`] over the others.
//!
//! lwl's key of a node is its unfinished work per unit of capacity,
//! `max(0, a − s·t)` with `a = (work + rate·work_time)/(servers·speed)`
//! and slope `s = rate/(servers·speed)`: a line in time between two
//! changes of the node's load. Nodes with no rate (idle, or every server
//! down: key `+∞`) have a constant key and sit in a [`MinTree`], which
//! counts their ties (every empty node ties at 0) in O(1). Draining nodes
//! sit in a kinetic tournament (Basch, Guibas and Hershberger, "Data
//! structures for mobile data", J. Algorithms 31(1), 1999; the same as
//! [`crate::policy::kinetic`], for a minimum over fixed slots): each match
//! keeps its winner at the tree's time and a certificate, the time from
//! which the result may change. A query at time `t` replays only the
//! matches whose certificate failed. Lines of equal slope never cross (and
//! `a − s·t` rounds monotonically in `a`), so with one server per node
//! matches are never replayed; otherwise a pair of lines crosses once.
//!
//! Rounding: the computed values of two lines can disagree with their
//! exact order only near their crossing `t*`, within
//! `δ = 4ε(|a₁| + |a₂| + (|s₁| + |s₂|)|t*|)/|s₁ − s₂| + 8ε|t*|`. A match is
//! replayed from `t* − δ`, and at every query while within `δ` of `t*`, so
//! the tree's winners are those of a scan of the computed keys.

use super::NodeLoad;
use super::mintree::MinTree;

const NONE: u32 = u32::MAX;

/// lwl's line of a node: `(a, s)` with key `max(0, a − s·t)`; `(∞, 0)`
/// when no server is up.
#[inline]
pub fn line(l: &NodeLoad) -> (f64, f64) {
    let c = f64::from(l.servers) * l.speed;
    if c <= 0.0 {
        return (f64::INFINITY, 0.0);
    }
    ((l.work + l.work_rate * l.work_time) / c, l.work_rate / c)
}

/// lwl's key of line `(a, s)` at `t`: the brute-force scan and the index
/// both use this one expression.
#[inline]
pub fn key(a: f64, s: f64, t: f64) -> f64 {
    (a - s * t).max(0.0)
}

/// The kinetic tournament: the least of lines `a_i − s_i·t` over slots.
#[derive(Debug, Clone)]
struct Kinetic {
    cap: usize,
    a: Vec<f64>,
    s: Vec<f64>,
    /// Winning slot of each tree node (`NONE`: no line below).
    win: Vec<u32>,
    /// Inner nodes: when the match must be replayed.
    cert: Vec<f64>,
    /// Earliest certificate in each subtree.
    min_fail: Vec<f64>,
    /// The time the tree is valid from.
    now: f64,
}

impl Kinetic {
    fn new(n: usize) -> Kinetic {
        let cap = n.max(1).next_power_of_two();
        Kinetic {
            cap,
            a: vec![0.0; cap],
            s: vec![0.0; cap],
            win: vec![NONE; 2 * cap],
            cert: vec![f64::INFINITY; 2 * cap],
            min_fail: vec![f64::INFINITY; 2 * cap],
            now: 0.0,
        }
    }

    #[inline]
    fn value(&self, i: u32, t: f64) -> f64 {
        self.a[i as usize] - self.s[i as usize] * t
    }

    /// Sets (or with `None` removes) the line of slot `i`, replaying the
    /// matches on its path at the tree's time.
    fn put(&mut self, i: usize, line: Option<(f64, f64)>) {
        let leaf = self.cap + i;
        match line {
            Some((a, s)) => {
                if self.win[leaf] != NONE && self.a[i] == a && self.s[i] == s {
                    return;
                }
                self.a[i] = a;
                self.s[i] = s;
                self.win[leaf] = i as u32;
            }
            None => {
                if self.win[leaf] == NONE {
                    return;
                }
                self.win[leaf] = NONE;
            }
        }
        let mut v = leaf / 2;
        while v >= 1 {
            let before = (self.win[v], self.cert[v], self.min_fail[v]);
            self.play(v, self.now);
            // Above a match whose result is the same and whose winner is
            // not the changed line, nothing changes.
            if self.win[v] != i as u32 && (self.win[v], self.cert[v], self.min_fail[v]) == before {
                return;
            }
            v /= 2;
        }
    }

    /// Replays the match of inner node `v` at time `t`.
    fn play(&mut self, v: usize, t: f64) {
        let (x, y) = (self.win[2 * v], self.win[2 * v + 1]);
        let (w, cert) = if x == NONE || y == NONE {
            (x.min(y), f64::INFINITY)
        } else {
            self.decide(x, y, t)
        };
        self.win[v] = w;
        self.cert[v] = cert;
        self.min_fail[v] = cert.min(self.min_fail[2 * v]).min(self.min_fail[2 * v + 1]);
    }

    /// The winner of lines `x < y` at `t`, and its certificate.
    fn decide(&self, x: u32, y: u32, t: f64) -> (u32, f64) {
        let (ax, sx, ay, sy) = (
            self.a[x as usize],
            self.s[x as usize],
            self.a[y as usize],
            self.s[y as usize],
        );
        if sx == sy {
            // Never cross; the computed values keep the order of `a`.
            return (if ay < ax { y } else { x }, f64::INFINITY);
        }
        let (vx, vy) = (ax - sx * t, ay - sy * t);
        let w = if vx < vy || (vx == vy && sx > sy) {
            x
        } else {
            y
        };
        let cross = (ay - ax) / (sy - sx);
        if cross.is_nan() {
            return (w, t);
        }
        let eps = f64::EPSILON;
        let delta = 4.0 * eps * (ax.abs() + ay.abs() + (sx.abs() + sy.abs()) * cross.abs())
            / (sx - sy).abs()
            + 8.0 * eps * cross.abs();
        let cert = if t < cross - delta {
            cross - delta
        } else if t <= cross + delta {
            // Too close to call for good: replayed at every query.
            t
        } else {
            f64::INFINITY
        };
        (w, cert)
    }

    /// Replays every match whose certificate failed by `t`.
    fn advance(&mut self, t: f64) {
        self.now = self.now.max(t);
        if self.min_fail[1] <= self.now {
            self.repair(1);
        }
    }

    fn repair(&mut self, v: usize) {
        if v >= self.cap || self.min_fail[v] > self.now {
            return;
        }
        self.repair(2 * v);
        self.repair(2 * v + 1);
        self.play(v, self.now);
    }

    /// The least line at the tree's time.
    fn least(&self) -> Option<u32> {
        Some(self.win[1]).filter(|&w| w != NONE)
    }

    /// Pushes, in slot order, the slots whose key (clamped at 0) is `m`.
    fn ties(&self, v: usize, m: f64, out: &mut Vec<u32>) {
        let w = self.win[v];
        if w == NONE || self.value(w, self.now).max(0.0) > m {
            return;
        }
        if v >= self.cap {
            out.push(w);
            return;
        }
        self.ties(2 * v, m, out);
        self.ties(2 * v + 1, m, out);
    }
}

/// The lwl index of a set of nodes.
#[derive(Debug, Clone)]
pub struct LwlIndex {
    still: MinTree,
    moving: Kinetic,
    /// Draining ties of the last query (reused, so no allocation per
    /// arrival once grown).
    ties: Vec<u32>,
}

impl LwlIndex {
    pub fn new(loads: &[NodeLoad]) -> LwlIndex {
        let mut index = LwlIndex {
            still: MinTree::new(loads.len()),
            moving: Kinetic::new(loads.len()),
            ties: Vec::with_capacity(16),
        };
        for (i, l) in loads.iter().enumerate() {
            index.update(i, l);
        }
        index
    }

    /// Node `i`'s load changed.
    #[inline]
    pub fn update(&mut self, i: usize, l: &NodeLoad) {
        let (a, s) = line(l);
        if s == 0.0 {
            self.moving.put(i, None);
            self.still.set(i, a.max(0.0));
        } else {
            self.still.clear(i);
            self.moving.put(i, Some((a, s)));
        }
    }

    /// The node of least key at `now` (not earlier than any earlier
    /// query), ties broken by [`super::pick_tie`] from `draw`.
    pub fn choose(&mut self, now: f64, draw: impl FnOnce(u32) -> u32) -> usize {
        self.moving.advance(now);
        let moving = self
            .moving
            .least()
            .map(|w| self.moving.value(w, self.moving.now).max(0.0));
        let still = self.still.min();
        let m = match (still, moving) {
            (Some((k, _)), Some(d)) => k.min(d),
            (Some((k, _)), None) => k,
            (None, Some(d)) => d,
            (None, None) => unreachable!("lwl over no nodes"),
        };
        let still_ties = still.filter(|&(k, _)| k == m).map_or(0, |(_, c)| c);
        self.ties.clear();
        if moving == Some(m) {
            self.moving.ties(1, m, &mut self.ties);
        }
        let total = still_ties + self.ties.len() as u32;
        let k = super::pick_tie(total, draw);
        if self.ties.is_empty() {
            return self.still.select(k);
        }
        if still_ties == 0 {
            return self.ties[k as usize] as usize;
        }
        // The k-th of the union in node order: draining tie j has j
        // draining and rank(d_j) still ties before it.
        for (j, &d) in self.ties.iter().enumerate() {
            let before = j as u32 + self.still.rank(d as usize);
            if k == before {
                return d as usize;
            }
            if k < before {
                return self.still.select(k - j as u32);
            }
        }
        self.still.select(k - self.ties.len() as u32)
    }
}
