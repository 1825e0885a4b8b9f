//! The index a load-reading rule keeps of the nodes, so that choosing a
//! node costs O(log n) (jsq, jiq, lwl, pull's fastest idle node) instead
//! of a scan of all nodes.
//!
//! The engine's load board calls [`LoadIndex::update`] after every change
//! of a node's load, and only when the rule reads loads at all. Rules with
//! no index here: power-of-d reads its `d` sampled nodes directly (O(d)),
//! earliest-finish's key depends on the arriving job's size (it is built
//! by the optimiser for a handful of nodes) and a table reads every node's
//! count by definition; they scan.

use super::lwl::LwlIndex;
use super::mintree::MinTree;
use super::{NodeLoad, Rule};

#[derive(Debug, Clone)]
pub enum LoadIndex {
    /// The rule scans, or reads no load.
    Off,
    /// Jobs per server of every node.
    Jsq(MinTree),
    /// The nodes with an idle server, all at key 0.
    Jiq(MinTree),
    Lwl(LwlIndex),
    /// Pull: the nodes with an idle server, keyed by minus their speed
    /// (the fastest first).
    Pull(MinTree),
}

impl LoadIndex {
    /// The index `rule` (or, for hybrid, its push rule) reads.
    pub fn new(rule: &Rule, loads: &[NodeLoad]) -> LoadIndex {
        let rule = match rule {
            Rule::Hybrid { push } => &**push,
            r => r,
        };
        let mut index = match rule {
            Rule::Jsq => LoadIndex::Jsq(MinTree::new(loads.len())),
            Rule::Jiq => LoadIndex::Jiq(MinTree::new(loads.len())),
            Rule::Lwl => return LoadIndex::Lwl(LwlIndex::new(loads)),
            Rule::Pull => LoadIndex::Pull(MinTree::new(loads.len())),
            _ => LoadIndex::Off,
        };
        for (i, l) in loads.iter().enumerate() {
            index.update(i, l);
        }
        index
    }

    /// Node `i`'s load is now `l`.
    #[inline]
    pub fn update(&mut self, i: usize, l: &NodeLoad) {
        match self {
            LoadIndex::Off => {}
            LoadIndex::Jsq(t) => t.set(i, l.jsq_key()),
            LoadIndex::Jiq(t) => {
                if l.idle > 0 {
                    t.set(i, 0.0);
                } else {
                    t.clear(i);
                }
            }
            LoadIndex::Lwl(x) => x.update(i, l),
            LoadIndex::Pull(t) => {
                if l.idle > 0 {
                    t.set(i, -l.speed);
                } else {
                    t.clear(i);
                }
            }
        }
    }
}
