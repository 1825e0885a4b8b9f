//! The jobs in service at a preemptive node with many servers, ordered so
//! that the least urgent one (the one a more urgent newcomer displaces) is
//! found in O(log s) instead of a scan of all s servers.
//!
//! It serves the disciplines whose order among running jobs stays fixed
//! while they run (see [`crate::policy::Policy::running_key`]): a job's key
//! is set when it starts and never revisited. Under SRPT every running job
//! drains at the node's speed, so `remaining + speed × progress_from` (the
//! remaining work extrapolated back to time 0) orders them as their
//! remaining work does at any instant.
//!
//! Entries are invalidated lazily: a server's entry carries the stamp of
//! the start that made it, and an entry whose server has stopped, or
//! started again since, is dropped when it comes to the top. So that stale
//! entries of short jobs (which rarely reach the top) do not pile up, the
//! heap is rebuilt from the running servers when it holds twice as many
//! entries as servers: O(s) work after at least s starts, O(1) amortised.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::order::Total;

/// Servers from which a node keeps the index; below, the scan is cheaper.
pub(super) const INDEXED_SERVERS: u32 = 8;

/// Largest key first; among equal keys the lowest server, as the scan
/// keeps the first of equally least urgent jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    key: Total,
    server: Reverse<u32>,
    stamp: u32,
}

/// The running jobs of one node, least urgent on top.
#[derive(Debug, Clone)]
pub(super) struct Victims {
    heap: BinaryHeap<Entry>,
    /// Per server: the stamp of its latest start, and the key it got.
    stamps: Vec<u32>,
    keys: Vec<f64>,
}

impl Victims {
    pub fn new(servers: u32) -> Victims {
        Victims {
            heap: BinaryHeap::with_capacity(2 * servers as usize + 1),
            stamps: vec![0; servers as usize],
            keys: vec![0.0; servers as usize],
        }
    }

    /// Server `server` began (or resumed) running a job of key `key`;
    /// `running` says which servers run a job now.
    pub fn started(&mut self, server: u32, key: f64, running: impl Fn(usize) -> bool) {
        let s = server as usize;
        self.stamps[s] = self.stamps[s].wrapping_add(1);
        self.keys[s] = key;
        self.heap.push(Entry {
            key: Total(key),
            server: Reverse(server),
            stamp: self.stamps[s],
        });
        if self.heap.len() > 2 * self.stamps.len() {
            self.rebuild(running);
        }
    }

    /// The server whose running job is least urgent (lowest server among
    /// equals), or `None` when no server runs a job.
    pub fn least_urgent(&mut self, running: impl Fn(usize) -> bool) -> Option<usize> {
        while let Some(top) = self.heap.peek() {
            let s = top.server.0 as usize;
            if running(s) && self.stamps[s] == top.stamp {
                return Some(s);
            }
            self.heap.pop();
        }
        None
    }

    fn rebuild(&mut self, running: impl Fn(usize) -> bool) {
        let entries: Vec<Entry> = (0..self.stamps.len())
            .filter(|&s| running(s))
            .map(|s| Entry {
                key: Total(self.keys[s]),
                server: Reverse(s as u32),
                stamp: self.stamps[s],
            })
            .collect();
        self.heap = BinaryHeap::from(entries);
    }

    /// Entries held (live and stale).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Random starts and stops against a scan that keeps the first of the
    /// largest keys, as the engine's scan does; the heap stays bounded.
    #[test]
    fn matches_a_scan_of_the_running_servers() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        for servers in [1u32, 3, 8, 40] {
            let mut v = Victims::new(servers);
            let mut key: Vec<Option<f64>> = vec![None; servers as usize];
            for _ in 0..20_000 {
                let s = rng.random_range(0..servers) as usize;
                if rng.random_bool(0.6) {
                    // Whole keys make ties common.
                    let k = f64::from(rng.random_range(0..6u32));
                    key[s] = Some(k);
                    let running: Vec<bool> = key.iter().map(Option::is_some).collect();
                    v.started(s as u32, k, |j| running[j]);
                } else {
                    key[s] = None;
                }
                let mut want: Option<usize> = None;
                for (j, k) in key.iter().enumerate() {
                    if let Some(k) = k
                        && want.is_none_or(|w| key[w].unwrap() < *k)
                    {
                        want = Some(j);
                    }
                }
                let running: Vec<bool> = key.iter().map(Option::is_some).collect();
                assert_eq!(v.least_urgent(|j| running[j]), want);
                assert!(v.len() <= 2 * servers as usize + 1);
            }
        }
    }
}
