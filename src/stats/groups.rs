//! The spread of utilisation over the members of a node group.
//!
//! A group's row pools its members' visits, so it shows the group's mean
//! utilisation; whether the dispatcher spreads the load evenly shows only
//! in the spread of the members' own utilisations, given here as min, p5,
//! median, p95 and max.

use std::ops::Range;

use super::Recorder;
use crate::model::Scenario;

/// What a group's row adds to a node row's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupFigures {
    /// Members in the group.
    pub nodes: usize,
    /// Min, p5, median, p95 and max of the members' utilisations.
    pub utilisation: Option<[f64; 5]>,
}

/// Each member's utilisation (busy server time over server time),
/// summed over the replications folded so far, so that the replications
/// themselves need not be kept: 12 bytes a member.
#[derive(Debug, Clone)]
pub struct UtilisationFold {
    members: Range<usize>,
    sums: Vec<f64>,
    counts: Vec<u32>,
}

impl UtilisationFold {
    pub fn new(members: Range<usize>) -> UtilisationFold {
        UtilisationFold {
            sums: vec![0.0; members.len()],
            counts: vec![0; members.len()],
            members,
        }
    }

    /// Members in the group.
    pub fn nodes(&self) -> usize {
        self.members.len()
    }

    /// Adds each member's utilisation in one replication (or batch).
    pub fn push(&mut self, scenario: &Scenario, r: &Recorder) {
        let window = r.window();
        for (i, j) in self.members.clone().enumerate() {
            let node = &scenario.nodes[j];
            let servers = f64::from(node.servers);
            // Server time: on shift, where a schedule takes servers off.
            let shift = match (&node.schedule, r.server_counts(j)) {
                (None, _) => servers * window,
                (Some(_), Some(c)) => servers * window - c.down_area,
                (Some(s), None) => s.capacity_between(r.window_start, r.window_start + window),
            };
            if shift > 0.0 {
                self.sums[i] += r.node_area_busy(j) / shift;
                self.counts[i] += 1;
            }
        }
    }

    /// Min, p5, median, p95 and max of the members' mean utilisations;
    /// `None` before any replication measured time.
    pub fn distribution(&self) -> Option<[f64; 5]> {
        let mut utilisation: Vec<f64> = self
            .sums
            .iter()
            .zip(&self.counts)
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| s / f64::from(*n))
            .collect();
        if utilisation.is_empty() {
            return None;
        }
        utilisation.sort_by(f64::total_cmp);
        Some([0.0, 0.05, 0.5, 0.95, 1.0].map(|q| quantile(&utilisation, q)))
    }
}

/// The `q`-quantile of sorted values, interpolated linearly between order
/// statistics (Hyndman & Fan's type 7, as numpy and R compute by default),
/// so the median of an even count is the mean of the middle two.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.05), 5.0);
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[7.0], 0.95), 7.0);
    }
}
