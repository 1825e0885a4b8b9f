//! What dispatchers may see of each node, kept up to date only when the
//! rule reads it.

use crate::dispatch::{LoadIndex, NodeCount, NodeLoad};

/// Node loads for dispatchers, kept up to date only when the rule reads them.
///
/// Every change of a node's load goes through here, so the rule's index
/// ([`LoadIndex`]: jsq's and jiq's tournament trees, lwl's kinetic one) is
/// updated here too, in O(log n), after the change. When the rule reads no
/// load (`enabled` false) nothing runs.
pub(super) struct LoadBoard {
    /// Whether `nodes` (and `index`) follow the nodes' loads.
    pub enabled: bool,
    pub nodes: Vec<NodeLoad>,
    /// Each node's jobs present and servers up, kept (non-empty) only for
    /// power-of-d, which reads nothing else: its `d` candidates are read
    /// from this dense array, and `nodes` is not kept at all.
    pub counts: Vec<NodeCount>,
    pub index: LoadIndex,
}

impl LoadBoard {
    /// Node `node`'s load changed: its index entry follows.
    #[inline(always)]
    fn reindex(&mut self, node: u32) {
        // Tested here, where it inlines: rules that read loads without an
        // index (power-of-d) would otherwise call out on every change.
        if !matches!(self.index, LoadIndex::Off) {
            self.index.update(node as usize, &self.nodes[node as usize]);
        }
    }

    #[inline(always)]
    pub fn arrive(&mut self, node: u32, now: f64, work: f64) {
        if let Some(c) = self.counts.get_mut(node as usize) {
            c.present += 1;
        }
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.present += 1;
            l.catch_up(now);
            l.work += work;
            self.reindex(node);
        }
    }

    /// A waiting job left for another node.
    pub fn leave(&mut self, node: u32, now: f64, work: f64) {
        if let Some(c) = self.counts.get_mut(node as usize) {
            c.present -= 1;
        }
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.present -= 1;
            l.catch_up(now);
            l.work = (l.work - work).max(0.0);
            self.reindex(node);
        }
    }

    /// A job's requirement left at the node grew by `work` (an attempt
    /// starting over, a compensation task).
    pub fn rework(&mut self, node: u32, now: f64, work: f64) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.catch_up(now);
            l.work = (l.work + work).max(0.0);
            self.reindex(node);
        }
    }

    #[inline(always)]
    pub fn start(&mut self, node: u32, now: f64, speed: f64, was_idle: bool) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.catch_up(now);
            l.work_rate += speed;
            l.idle -= u32::from(was_idle);
            self.reindex(node);
        }
    }

    #[inline(always)]
    pub fn stop(&mut self, node: u32, now: f64, speed: f64) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.catch_up(now);
            l.work_rate -= speed;
            self.reindex(node);
        }
    }

    /// A visit took `servers` more servers than the one `start` counts.
    pub fn take(&mut self, node: u32, servers: u32) {
        if self.enabled {
            self.nodes[node as usize].idle -= servers;
            self.reindex(node);
        }
    }

    #[inline(always)]
    pub fn idle(&mut self, node: u32, servers: u32) {
        if self.enabled {
            self.nodes[node as usize].idle += servers;
            self.reindex(node);
        }
    }

    #[inline(always)]
    pub fn complete(&mut self, node: u32) {
        if let Some(c) = self.counts.get_mut(node as usize) {
            c.present -= 1;
        }
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.present -= 1;
            if l.present == 0 {
                // Rounding must not leave phantom work at an empty node.
                l.work = 0.0;
            }
            self.reindex(node);
        }
    }

    /// A server of the node failed: one fewer to count on.
    pub fn fail(&mut self, node: u32) {
        if let Some(c) = self.counts.get_mut(node as usize) {
            c.servers -= 1;
        }
        if self.enabled {
            self.nodes[node as usize].servers -= 1;
            self.reindex(node);
        }
    }

    /// A failed server of the node was repaired.
    pub fn repair(&mut self, node: u32) {
        if let Some(c) = self.counts.get_mut(node as usize) {
            c.servers += 1;
        }
        if self.enabled {
            self.nodes[node as usize].servers += 1;
            self.reindex(node);
        }
    }

    /// A sharing node's busy capacity changed.
    pub fn share(&mut self, node: u32, now: f64, busy: f64, speed: f64) {
        if self.enabled {
            let l = &mut self.nodes[node as usize];
            l.catch_up(now);
            l.work_rate = busy * speed;
            l.idle = l.servers - (busy.round() as u32).min(l.servers);
            self.reindex(node);
        }
    }
}
