//! The timeline of a run: what happened in each bin of absolute simulated
//! time (from 0, warm-up included), per node and for the whole system.
//!
//! Steady-state rows average away exactly what a time-varying load, a
//! system that does not start empty or a shift pattern is about; the
//! timeline keeps it. Per bin `[k b, (k + 1) b)` and per column (each node,
//! then the whole system) one replication records
//! - arrivals: jobs that arrived in the bin (at a node: every job that
//!   came to it, admitted or not; for the system: arrivals from outside);
//! - `∫ N(t) dt`, the number in system integrated over the bin, so that
//!   the bin's mean number in system is that area over the bin's length;
//! - `∫ busy(t) dt` and `∫ servers(t) dt`: utilisation is busy server time
//!   over the server time on shift;
//! - departures, reneged and baulked jobs.
//!
//! Across replications each bin's figure is averaged with a 95% CI over
//! the replications whose run covered the bin (a jobs horizon ends each
//! replication at a different time). It is the ensemble average of
//! transient queueing analysis (Kleinrock, *Queueing Systems* vol. 1,
//! 1975, §2.3; Whitt, "Time-varying queues", *Queueing Models and Service
//! Management* 1(2), 2018): the mean of `N(t)` at each `t`, not a time
//! average.
//!
//! The recorder is an [`Observer`] of its own, composed with the run's
//! statistics only when a timeline is asked for, so a run without one
//! pays nothing.

use crate::engine::Observer;
use crate::job::Job;
use crate::lifecycle::GiveUp;

use super::Estimate;

/// What one replication saw in one bin of one column.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BinCounts {
    pub arrivals: u64,
    pub departures: u64,
    pub reneged: u64,
    pub baulked: u64,
    /// `∫ N(t) dt` over the bin.
    pub in_system_area: f64,
    /// `∫ busy servers dt` over the bin.
    pub busy_area: f64,
    /// `∫ servers on shift dt` over the bin.
    pub servers_area: f64,
}

/// A column's state between events.
#[derive(Debug, Clone, Copy, Default)]
struct Level {
    /// Time up to which the areas are recorded.
    last: f64,
    in_system: f64,
    busy: f64,
    servers: f64,
}

/// One replication's timeline, recorded as the run goes.
#[derive(Debug, Clone)]
pub struct Timeline {
    bin: f64,
    /// Bins recorded at most: later time is not recorded (see [`Timeline::covered`]).
    max_bins: usize,
    /// Columns: the nodes, then the whole system.
    columns: usize,
    levels: Vec<Level>,
    /// `bins[k * columns + c]`, grown as time passes.
    bins: Vec<BinCounts>,
    /// When the run ended (infinite until it does).
    end: f64,
}

impl Timeline {
    /// A timeline of bins `bin` long over nodes with `servers` servers
    /// each, recording at most `max_bins` bins.
    pub fn new(bin: f64, servers: &[u32], max_bins: usize) -> Timeline {
        let nodes = servers.len();
        let mut levels = vec![Level::default(); nodes + 1];
        for (level, &s) in levels.iter_mut().zip(servers) {
            level.servers = f64::from(s);
        }
        levels[nodes].servers = servers.iter().map(|&s| f64::from(s)).sum();
        Timeline {
            bin,
            max_bins: max_bins.max(1),
            columns: nodes + 1,
            levels,
            bins: Vec::new(),
            end: f64::INFINITY,
        }
    }

    /// The bin length.
    pub fn bin(&self) -> f64 {
        self.bin
    }

    /// Columns: the nodes, then the whole system.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Time up to which every bin is complete: the end of the run, or of
    /// the last bin recorded.
    pub fn covered(&self) -> f64 {
        self.end.min(self.max_bins as f64 * self.bin)
    }

    /// Bins recorded (the last may be partly covered).
    pub fn len(&self) -> usize {
        self.bins.len() / self.columns
    }

    pub fn is_empty(&self) -> bool {
        self.bins.is_empty()
    }

    /// Bin `k` of column `c`.
    pub fn get(&self, k: usize, c: usize) -> BinCounts {
        self.bins
            .get(k * self.columns + c)
            .copied()
            .unwrap_or_default()
    }

    fn system(&self) -> usize {
        self.columns - 1
    }

    /// The bin index of time `t`, or `None` beyond the bins recorded.
    #[inline]
    fn bin_of(&mut self, t: f64) -> Option<usize> {
        let k = (t / self.bin) as usize;
        if k >= self.max_bins {
            return None;
        }
        let need = (k + 1) * self.columns;
        if self.bins.len() < need {
            self.bins.resize(need, BinCounts::default());
        }
        Some(k)
    }

    /// Records column `c`'s levels up to `now`, split over the bins it spans.
    fn advance(&mut self, now: f64, c: usize) {
        let level = self.levels[c];
        let mut t = level.last;
        if now <= t {
            return;
        }
        while t < now {
            let Some(k) = self.bin_of(t) else {
                break;
            };
            let upto = now.min((k + 1) as f64 * self.bin);
            // A bin edge that rounds below `t` would stall the loop.
            let upto = if upto > t { upto } else { now };
            let dt = upto - t;
            let cell = &mut self.bins[k * self.columns + c];
            cell.in_system_area += level.in_system * dt;
            cell.busy_area += level.busy * dt;
            cell.servers_area += level.servers * dt;
            t = upto;
        }
        self.levels[c].last = now;
    }

    /// Adds `delta` to column `c`'s number in system at `now`.
    fn change(&mut self, now: f64, c: usize, delta: f64) {
        self.advance(now, c);
        self.levels[c].in_system += delta;
    }

    fn count(&mut self, now: f64, c: usize, what: fn(&mut BinCounts)) {
        if let Some(k) = self.bin_of(now) {
            what(&mut self.bins[k * self.columns + c]);
        }
    }

    /// The column of node `node`, unless it is not one (pull's central queue).
    fn node(&self, node: u32) -> Option<usize> {
        let j = node as usize;
        (j < self.system()).then_some(j)
    }

    fn busy(&mut self, now: f64, node: u32, to: impl Fn(f64) -> f64) {
        let Some(j) = self.node(node) else {
            return;
        };
        let s = self.system();
        self.advance(now, j);
        self.advance(now, s);
        let before = self.levels[j].busy;
        let after = to(before);
        self.levels[j].busy = after;
        self.levels[s].busy += after - before;
    }

    /// Node `node` has `delta` more servers on shift (and up).
    fn servers(&mut self, now: f64, node: u32, delta: f64) {
        let Some(j) = self.node(node) else {
            return;
        };
        let s = self.system();
        self.advance(now, j);
        self.advance(now, s);
        self.levels[j].servers += delta;
        self.levels[s].servers += delta;
    }

    /// A job left node `node` (and, with `system`, the whole system).
    fn leave(&mut self, now: f64, node: u32, system: bool) {
        if let Some(j) = self.node(node) {
            self.change(now, j, -1.0);
        }
        if system {
            self.change(now, self.system(), -1.0);
        }
    }

    fn arrival_at(&mut self, now: f64, node: u32) {
        if let Some(j) = self.node(node) {
            self.count(now, j, |b| b.arrivals += 1);
        }
    }
}

impl Observer for Timeline {
    fn on_arrival(&mut self, now: f64, job: &Job) {
        if let Some(j) = self.node(job.node) {
            self.change(now, j, 1.0);
            self.count(now, j, |b| b.arrivals += 1);
        }
        if job.visits == 0 {
            let s = self.system();
            self.change(now, s, 1.0);
            self.count(now, s, |b| b.arrivals += 1);
        }
    }

    /// Present from the start: in the system, but not an arrival of bin 0.
    fn on_initial(&mut self, now: f64, job: &Job) {
        if let Some(j) = self.node(job.node) {
            self.change(now, j, 1.0);
        }
        let s = self.system();
        self.change(now, s, 1.0);
    }

    fn on_block(&mut self, now: f64, job: &Job) {
        self.arrival_at(now, job.node);
        let s = self.system();
        if job.visits == 0 {
            self.count(now, s, |b| b.arrivals += 1);
        } else {
            self.change(now, s, -1.0);
        }
    }

    fn on_baulk(&mut self, now: f64, job: &Job) {
        self.arrival_at(now, job.node);
        if let Some(j) = self.node(job.node) {
            self.count(now, j, |b| b.baulked += 1);
        }
        let s = self.system();
        self.count(now, s, |b| b.baulked += 1);
        if job.visits == 0 {
            self.count(now, s, |b| b.arrivals += 1);
        } else {
            self.change(now, s, -1.0);
        }
    }

    fn on_renege(&mut self, now: f64, job: &Job) {
        self.leave(now, job.node, true);
        if let Some(j) = self.node(job.node) {
            self.count(now, j, |b| b.reneged += 1);
        }
        let s = self.system();
        self.count(now, s, |b| b.reneged += 1);
    }

    fn on_start(&mut self, now: f64, job: &Job, _server: u32) {
        let width = f64::from(job.width);
        self.busy(now, job.node, |b| b + width);
    }

    fn on_stop(&mut self, now: f64, job: &Job, _server: u32) {
        let width = f64::from(job.width);
        self.busy(now, job.node, |b| b - width);
    }

    fn on_shares(&mut self, now: f64, node: u32, busy: &[f64], _before: &[f64]) {
        let total: f64 = busy.iter().sum();
        self.busy(now, node, |_| total);
    }

    fn on_move(&mut self, now: f64, job: &Job, from: u32) {
        if let Some(j) = self.node(from) {
            self.change(now, j, -1.0);
        }
        if let Some(j) = self.node(job.node) {
            self.change(now, j, 1.0);
            self.count(now, j, |b| b.arrivals += 1);
        }
    }

    fn on_visit_end(&mut self, now: f64, job: &Job) {
        if let Some(j) = self.node(job.node) {
            self.change(now, j, -1.0);
            self.count(now, j, |b| b.departures += 1);
        }
    }

    fn on_complete(&mut self, now: f64, _job: &Job) {
        let s = self.system();
        self.change(now, s, -1.0);
        self.count(now, s, |b| b.departures += 1);
    }

    fn on_give_up(&mut self, now: f64, job: &Job, _why: GiveUp, _attempts: u32, rollback: bool) {
        if !rollback {
            self.leave(now, job.node, true);
        }
    }

    fn on_rolled_back(&mut self, now: f64, job: &Job, _time: f64) {
        self.leave(now, job.node, true);
    }

    fn on_server_down(&mut self, now: f64, node: u32, _server: u32, _job: Option<&Job>) {
        self.servers(now, node, -1.0);
    }

    fn on_server_up(&mut self, now: f64, node: u32, _server: u32) {
        self.servers(now, node, 1.0);
    }

    fn on_end(&mut self, now: f64) {
        for c in 0..self.columns {
            self.advance(now, c);
        }
        self.end = now;
    }
}

/// One bin of one column, averaged over replications.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineBin {
    pub start: f64,
    pub end: f64,
    /// Node index, or `None` for the whole system.
    pub node: Option<usize>,
    /// Replications whose run covered the bin.
    pub replications: u32,
    pub arrivals: Estimate,
    pub departures: Estimate,
    pub mean_in_system: Estimate,
    /// Busy servers over servers on shift (NaN when none is on shift).
    pub utilization: Estimate,
    /// Mean servers on shift over the bin.
    pub servers: Estimate,
    pub reneged: Estimate,
    pub baulked: Estimate,
    /// Reneged and baulked.
    pub abandoned: Estimate,
}

/// The bins of several replications' timelines: bin by bin, each column
/// (the nodes, then the whole system), from replications that covered
/// the bin. The last bin stops at the latest end of a run when that falls
/// inside it and every replication ended there (a time horizon).
pub fn summarize(timelines: &[&Timeline]) -> Vec<TimelineBin> {
    let Some(first) = timelines.first() else {
        return Vec::new();
    };
    let (bin, columns) = (first.bin, first.columns);
    let bins = timelines.iter().map(|t| t.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for k in 0..bins {
        let start = k as f64 * bin;
        let full = (k + 1) as f64 * bin;
        let covering: Vec<&Timeline> = timelines
            .iter()
            .copied()
            .filter(|t| t.covered() >= full * (1.0 - 1e-12))
            .collect();
        let (covering, end) = if covering.is_empty() {
            // The last, partial bin counts only when every run stopped at
            // the same instant inside it.
            let end = first.covered();
            let same = timelines.iter().all(|t| t.covered() == end);
            if !same || end <= start {
                break;
            }
            (timelines.to_vec(), end)
        } else {
            (covering, full)
        };
        let len = end - start;
        for c in 0..columns {
            let cells: Vec<BinCounts> = covering.iter().map(|t| t.get(k, c)).collect();
            let of = |f: &dyn Fn(&BinCounts) -> f64| {
                Estimate::from_values(&cells.iter().map(f).collect::<Vec<f64>>())
            };
            out.push(TimelineBin {
                start,
                end,
                node: (c + 1 < columns).then_some(c),
                replications: covering.len() as u32,
                arrivals: of(&|b| b.arrivals as f64),
                departures: of(&|b| b.departures as f64),
                mean_in_system: of(&|b| b.in_system_area / len),
                utilization: of(&|b| {
                    if b.servers_area > 0.0 {
                        b.busy_area / b.servers_area
                    } else {
                        f64::NAN
                    }
                }),
                servers: of(&|b| b.servers_area / len),
                reneged: of(&|b| b.reneged as f64),
                baulked: of(&|b| b.baulked as f64),
                abandoned: of(&|b| (b.reneged + b.baulked) as f64),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(node: u32, visits: u32) -> Job {
        let mut j = Job::new(0, 0, node, 0, 0.0, 1.0);
        j.visits = visits;
        j
    }

    #[test]
    fn areas_split_across_bins() {
        let mut t = Timeline::new(1.0, &[2], 100);
        let a = job(0, 0);
        t.on_arrival(0.5, &a);
        t.on_start(0.5, &a, 0);
        t.on_stop(2.25, &a, 0);
        t.on_visit_end(2.25, &a);
        t.on_complete(2.25, &a);
        t.on_end(3.0);
        assert_eq!(t.len(), 3);
        let areas: Vec<f64> = (0..3).map(|k| t.get(k, 0).in_system_area).collect();
        assert_eq!(areas, vec![0.5, 1.0, 0.25]);
        assert_eq!(t.get(0, 0).arrivals, 1);
        assert_eq!(t.get(0, 1).arrivals, 1);
        assert_eq!(t.get(2, 1).departures, 1);
        assert_eq!(t.get(1, 0).busy_area, 1.0);
        assert_eq!(t.get(1, 0).servers_area, 2.0);
        let rows = summarize(&[&t]);
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[2].utilization.mean, 0.5);
        assert_eq!(rows[4].mean_in_system.mean, 0.25);
        assert_eq!(rows[4].end, 3.0);
    }

    #[test]
    fn partial_bins_count_only_where_every_run_ends_alike() {
        let mut a = Timeline::new(1.0, &[1], 100);
        let mut b = Timeline::new(1.0, &[1], 100);
        a.on_end(2.5);
        b.on_end(2.5);
        let rows = summarize(&[&a, &b]);
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[5].end, 2.5);
        let mut c = Timeline::new(1.0, &[1], 100);
        c.on_end(1.5);
        let rows = summarize(&[&a, &c]);
        // Bin 0 from both, bin 1 from the one that covered it, no bin 2.
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].replications, 2);
        assert_eq!(rows[2].replications, 1);
    }

    #[test]
    fn the_bins_stop_at_the_cap() {
        let mut t = Timeline::new(1.0, &[1], 3);
        let a = job(0, 0);
        t.on_arrival(0.0, &a);
        t.on_arrival(10.0, &a);
        t.on_end(20.0);
        assert_eq!(t.len(), 3);
        assert_eq!(t.covered(), 3.0);
        assert_eq!(t.get(2, 0).in_system_area, 1.0);
        assert_eq!(summarize(&[&t]).len(), 6);
    }

    #[test]
    fn reneging_and_baulking_are_abandonments() {
        let mut t = Timeline::new(1.0, &[1], 10);
        let a = job(0, 0);
        t.on_arrival(0.1, &a);
        t.on_renege(0.6, &a);
        t.on_baulk(0.7, &a);
        t.on_end(1.0);
        let rows = summarize(&[&t]);
        let system = &rows[1];
        assert_eq!(system.node, None);
        assert_eq!(system.arrivals.mean, 2.0);
        assert_eq!(system.abandoned.mean, 2.0);
        assert!((system.mean_in_system.mean - 0.5).abs() < 1e-12);
    }
}
