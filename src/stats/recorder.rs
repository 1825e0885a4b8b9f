//! The observer that turns engine events into statistics, from two streams:
//! one record per job (its class row and the overall row: from its first
//! arrival to its exit) and one per visit (its node's row: from arriving at
//! the node to leaving it).
//!
//! Sums, time integrals and histograms are additive, so the overall row is
//! the class cells added up. A class cell keeps a full-precision response
//! histogram; a node cell keeps one that starts small and grows with the
//! range it sees, at a precision chosen so a scenario of many nodes stays
//! small ([`node_significant_digits`]).

use std::sync::Arc;

use hdrhistogram::Histogram;

use super::Welford;
use super::alarms::AlarmState;
use super::lifecycle::{Imbalance, TaskCounts};
use super::log_hist::LogHistogram;
use super::servers::ServerCounts;
use super::totals::{self, CellTotals, ReplicationTotals, TotalsError};
use crate::engine::Observer;
use crate::job::Job;
use crate::lifecycle::{AttemptEnd, GiveUp};
use crate::model::alarms::{Alarm, Condition};

/// Relative precision of class and overall response-time quantiles: 3 significant digits.
pub const SIGNIFICANT_DIGITS: u8 = 3;
/// Histogram range in units of its resolution; values above saturate.
pub(crate) const HIGHEST_UNITS: u64 = 1 << 50;
/// Memory budget for the node histograms of one replication, in bytes.
const NODE_HISTOGRAM_BUDGET: usize = 64 << 20;

/// Significant digits of per-node response quantiles: 3 (as for classes)
/// while a replication's node histograms fit in 64 MB at about 100 KB
/// each (about 640 nodes), then 2 (about 12 KB each), then 1 (about 1.5
/// KB, quantiles within 1/16 relative). The sizes are those of an
/// hdrhistogram grown to 2^20 resolution units.
pub fn node_significant_digits(nodes: usize) -> u8 {
    let fits =
        |bytes_per_node: usize| nodes.saturating_mul(bytes_per_node) <= NODE_HISTOGRAM_BUDGET;
    if fits(100 << 10) {
        3
    } else if fits(12 << 10) {
        2
    } else {
        1
    }
}

/// Statistics of one class (per job) or one node (per visit) over the measured window.
#[derive(Debug, Clone)]
pub struct CellStats {
    /// Jobs (or visits) present now, and servers they hold now.
    in_system: u32,
    /// Servers' worth of capacity held (whole servers, or shares at a sharing node).
    busy: f64,
    last_change: f64,
    /// ∫ number present dt and ∫ busy servers dt over the window.
    pub area_in_system: f64,
    pub area_busy: f64,
    pub wait: Welford,
    pub response: Welford,
    /// Jobs (visits) measured whose wait was above zero: the share that
    /// waited, which Erlang C gives for M/M/c under FCFS.
    pub waited: u64,
    /// Sum of response time over the time in service alone (size / speed,
    /// over every visit for a job): only its mean per replication is
    /// reported, so a sum (with `response.count`) is all the hot path pays for.
    pub slowdown_sum: f64,
    /// Completions after their deadline.
    pub deadline_misses: u64,
    /// Arrivals admitted, and turned away because the node was full.
    pub admitted: u64,
    pub blocked: u64,
    /// Jobs of a class lost at a full node after their first visit.
    pub lost_inside: u64,
    /// Jobs (visits) that baulked: left on arriving, at what they found.
    pub baulked: u64,
    /// Jobs (visits) that reneged, and their waits until they did: the
    /// served ones' waits are in `wait`.
    pub reneged: u64,
    pub wait_reneged: Welford,
    /// Class: visits of the completed jobs.
    pub visits: u64,
    /// Time spent blocked after service (class: per job, node: per visit),
    /// and how many jobs (or visits) were blocked at all.
    pub blocked_time: f64,
    pub blocked_count: u64,
    /// The task lifecycle's counts, and the jobs present at the window's ends.
    pub tasks: TaskCounts,
    /// Response times in units of `Recorder::resolution`.
    pub response_hist: Histogram<u64>,
    /// Sum of the bounded slowdown `max(1, response / max(tau, alone))`.
    pub bounded_slowdown_sum: f64,
    /// Largest response time measured (0 before any).
    pub max_response: f64,
    /// Class cells: slowdowns, for the median; node cells keep none, to
    /// stay small.
    pub slowdown_hist: Option<LogHistogram>,
    /// Class cells: the jobs of each size bin (see `Recorder::with_sizes`);
    /// empty at node cells.
    pub size_bins: Vec<SizeBin>,
    /// Class cells of workflow classes: each instance's makespan (first
    /// task's start to last task's end) and the mean wait of its tasks.
    pub makespan: Welford,
    pub task_wait: Welford,
}

/// The jobs of one size bin of a class cell: sums, so that bins add up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SizeBin {
    pub jobs: u64,
    /// Σ time in service alone.
    pub size_sum: f64,
    pub response_sum: f64,
    pub slowdown_sum: f64,
}

impl CellStats {
    pub(crate) fn new(hist: Histogram<u64>) -> CellStats {
        CellStats {
            in_system: 0,
            busy: 0.0,
            last_change: 0.0,
            area_in_system: 0.0,
            area_busy: 0.0,
            wait: Welford::default(),
            response: Welford::default(),
            waited: 0,
            slowdown_sum: 0.0,
            deadline_misses: 0,
            admitted: 0,
            blocked: 0,
            lost_inside: 0,
            baulked: 0,
            reneged: 0,
            wait_reneged: Welford::default(),
            visits: 0,
            blocked_time: 0.0,
            blocked_count: 0,
            tasks: TaskCounts::default(),
            response_hist: hist,
            bounded_slowdown_sum: 0.0,
            max_response: 0.0,
            slowdown_hist: None,
            size_bins: Vec::new(),
            makespan: Welford::default(),
            task_wait: Welford::default(),
        }
    }

    /// A class cell: with a slowdown histogram and `bins` size bins.
    pub(crate) fn new_class(hist: Histogram<u64>, bins: usize) -> CellStats {
        let mut c = CellStats::new(hist);
        c.slowdown_hist = Some(LogHistogram::default());
        c.size_bins = vec![SizeBin::default(); bins];
        c
    }

    /// Accumulates the areas up to `now` before a count changes.
    #[inline]
    fn advance(&mut self, now: f64) {
        let dt = now - self.last_change;
        self.area_in_system += f64::from(self.in_system) * dt;
        self.area_busy += self.busy * dt;
        self.last_change = now;
    }

    /// Records a response time (and its wait and slowdowns) measured at
    /// time `now`; `alone` is the time in service alone, the slowdown's
    /// denominator.
    #[inline(always)]
    fn record(&mut self, now: f64, response: f64, served: f64, alone: f64, sizes: &Sizes) {
        // Rounding can leave a hair below zero when the job never waited.
        let wait = (response - served).max(0.0);
        self.response.push(response);
        self.wait.push(wait);
        // A job that never waited can still show a few ulps of the clock
        // as its wait (response and service time are differences of it).
        self.waited += u64::from(wait > 16.0 * f64::EPSILON * now.abs());
        let slowdown = response / alone;
        self.slowdown_sum += slowdown;
        // Plain comparisons, not f64::max: no NaN can reach here, and the
        // NaN-aware max costs several instructions per job.
        let bounded = response / if alone > sizes.tau { alone } else { sizes.tau };
        self.bounded_slowdown_sum += if bounded > 1.0 { bounded } else { 1.0 };
        if response > self.max_response {
            self.max_response = response;
        }
        if let Some(h) = &mut self.slowdown_hist {
            h.record(slowdown);
        }
        // Only class cells have size bins: a node's cell skips the search.
        if !self.size_bins.is_empty()
            && let Some(b) = self.size_bins.get_mut(sizes.bin(alone))
        {
            b.jobs += 1;
            b.size_sum += alone;
            b.response_sum += response;
            b.slowdown_sum += slowdown;
        }
        let inv_resolution = sizes.inv_resolution;
        let units = ((response * inv_resolution) as u64).max(1);
        // A node's histogram grows to take the value; a class's covers
        // 2^50 units and saturates beyond.
        if self.response_hist.record(units).is_err() {
            self.response_hist.saturating_record(units);
        }
    }

    fn reset(&mut self, now: f64) {
        self.advance(now);
        self.area_in_system = 0.0;
        self.area_busy = 0.0;
        self.wait = Welford::default();
        self.response = Welford::default();
        self.waited = 0;
        self.slowdown_sum = 0.0;
        self.deadline_misses = 0;
        self.admitted = 0;
        self.blocked = 0;
        self.lost_inside = 0;
        self.baulked = 0;
        self.reneged = 0;
        self.wait_reneged = Welford::default();
        self.makespan = Welford::default();
        self.task_wait = Welford::default();
        self.visits = 0;
        self.blocked_time = 0.0;
        self.blocked_count = 0;
        self.tasks = TaskCounts {
            present_start: u64::from(self.in_system),
            ..TaskCounts::default()
        };
        self.response_hist.reset();
        self.bounded_slowdown_sum = 0.0;
        self.max_response = 0.0;
        if let Some(h) = &mut self.slowdown_hist {
            h.reset();
        }
        self.size_bins.fill(SizeBin::default());
    }

    /// Every job of the window accounted for (see [`Imbalance`]).
    pub fn balance(&self, class: usize) -> Result<(), Imbalance> {
        let t = &self.tasks;
        let entered = t.present_start + self.admitted;
        let accounted = self.response.count
            + t.dead_lettered
            + t.rolled_back
            + self.reneged
            + self.lost_inside
            + t.baulked_inside
            + t.present_end;
        if entered == accounted {
            Ok(())
        } else {
            Err(Imbalance {
                class,
                entered,
                accounted,
            })
        }
    }
}

/// A class cell's histogram: full precision over the whole range.
pub fn class_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_UNITS, SIGNIFICANT_DIGITS)
        .expect("static histogram bounds are valid")
}

/// What `CellStats::record` needs besides the job: the bounded
/// slowdown's tau, the size-bin edges and the histogram resolution.
#[derive(Debug, Clone)]
struct Sizes {
    tau: f64,
    edges: Arc<[f64]>,
    /// The edges padded with +inf to [`SEARCHED`], when there are fewer:
    /// searched in four branch-free steps instead of scanned.
    padded: Option<[f64; SEARCHED]>,
    inv_resolution: f64,
}

/// Up to `SEARCHED − 1` size-bin edges (the default deciles are 9), a
/// job's bin is found by a binary search of four steps.
const SEARCHED: usize = 16;

impl Sizes {
    fn new(tau: f64, edges: &[f64], inv_resolution: f64) -> Sizes {
        let padded = (edges.len() < SEARCHED).then(|| {
            let mut p = [f64::INFINITY; SEARCHED];
            p[..edges.len()].copy_from_slice(edges);
            p
        });
        Sizes {
            tau,
            edges: Arc::from(edges),
            padded,
            inv_resolution,
        }
    }

    /// The size bin of a job whose time in service alone is `alone`: the
    /// number of edges at or below it. The edges never decrease, so the
    /// edges at or below form a prefix, which the search halves down to
    /// (a branch-free lower bound: each step moves on by `step` when the
    /// last edge it would pass is at or below). Half the instructions of
    /// a scan of nine edges, and the same bin (`a_searched_bin_is_the_scanned_bin`).
    #[inline(always)]
    fn bin(&self, alone: f64) -> usize {
        match &self.padded {
            Some(e) => {
                let mut i = 0;
                for step in [8, 4, 2, 1] {
                    // `& 15` shows the index in bounds: i + step − 1 ≤ 14.
                    i += step * usize::from(e[(i + step - 1) & (SEARCHED - 1)] <= alone);
                }
                i
            }
            None => self.edges.iter().map(|&e| usize::from(e <= alone)).sum(),
        }
    }
}

/// A node cell's histogram: `digits` significant digits, grown on demand.
pub fn node_histogram(digits: u8) -> Histogram<u64> {
    let mut h = Histogram::new(digits).expect("1 to 3 significant digits are valid");
    h.auto(true);
    h
}

/// A node's busy servers and their integral over the window, where its
/// visits go to its group's column. Aligned to 32 bytes, so that no
/// member's entry straddles two cache lines (a second miss per event in
/// a cluster of 100,000 nodes).
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(32))]
struct MemberBusy {
    busy: f64,
    last_change: f64,
    area: f64,
}

impl MemberBusy {
    #[inline(always)]
    fn set(&mut self, now: f64, busy: f64) {
        self.area += self.busy * (now - self.last_change);
        self.last_change = now;
        self.busy = busy;
    }
}

/// The cell of node `node`'s column, if nodes have cells.
#[inline(always)]
fn column_cell<'a>(
    nodes: &'a mut [CellStats],
    column: &[u32],
    node: u32,
) -> Option<&'a mut CellStats> {
    let c = *column.get(node as usize)?;
    nodes.get_mut(c as usize)
}

/// Collects the statistics of one replication.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Per class the job entered as.
    classes: Vec<CellStats>,
    /// Per node column (nodes, plus the central queue under pull
    /// dispatching); empty when one node sees every job once, its visits
    /// then being the jobs themselves. The members of a group share one
    /// column unless each has a row of its own (see [`Recorder::grouped`]).
    nodes: Vec<CellStats>,
    /// Per node: its column in `nodes`.
    column: Vec<u32>,
    /// Per node, where some share a column: each one's own busy servers
    /// and their time integral, for the spread of utilisation over its
    /// group (24 bytes a node, where a column of its own costs about 2 KB
    /// and a cache miss on every visit).
    members: Vec<MemberBusy>,
    node_digits: u8,
    measuring: bool,
    /// Per node column: 1 / speed, turning a size into time in service.
    inv_speed: Vec<f64>,
    /// Time units per histogram unit.
    resolution: f64,
    sizes: Sizes,
    /// Per node: server failures.
    servers: Vec<ServerCounts>,
    /// The scenario's alarms, and whether one watches a queue (then the
    /// hooks that move jobs look at the queues).
    alarms: Vec<AlarmState>,
    queue_alarms: bool,
    pub window_start: f64,
    pub window_end: f64,
    /// Under batch means: the batches already over, in order (this
    /// recorder measures the current one).
    batches: Vec<Recorder>,
}

impl Recorder {
    /// One node column per entry of `speeds` (the nodes' speeds, plus 1
    /// for a central queue). `resolution` is the smallest response-time
    /// difference the quantiles resolve; pick it well below the smallest
    /// mean service time. `network`: whether jobs may visit several nodes.
    pub fn new(classes: usize, speeds: &[f64], resolution: f64, network: bool) -> Recorder {
        Recorder::grouped(classes, speeds, resolution, network, &[], &[])
    }

    /// [`Recorder::new`] watching `alarms`, with each group of `groups`
    /// in one column for all its members: a visit then touches one cell
    /// of the group's instead of its node's, the group's row is read
    /// straight off it (the same sums as its members' cells added up, to
    /// rounding), and each member keeps only its busy time, for the spread
    /// of utilisation. A group with a member whose queue an alarm watches
    /// keeps a column per member. The columns are assigned before any cell
    /// is made: at 100,000 nodes a cell per node made first, then dropped,
    /// took 91 MB and 200,000 allocations of the setup.
    pub fn grouped(
        classes: usize,
        speeds: &[f64],
        resolution: f64,
        network: bool,
        alarms: &[Alarm],
        groups: &[std::ops::Range<usize>],
    ) -> Recorder {
        let mut r = Recorder::without_cells(classes, speeds, resolution, network);
        r.alarms = alarms.iter().cloned().map(AlarmState::new).collect();
        r.queue_alarms = alarms
            .iter()
            .any(|a| matches!(a.when, Condition::Queue { .. }));
        if !r.column.is_empty() {
            r.share_columns(groups);
        }
        r.make_node_cells();
        r
    }

    /// Everything but the node cells: a column per node where visits are
    /// counted per node, none where the one node's visits are the jobs.
    fn without_cells(classes: usize, speeds: &[f64], resolution: f64, network: bool) -> Recorder {
        let node_digits = node_significant_digits(speeds.len());
        let per_visit = network || speeds.len() > 1;
        Recorder {
            classes: (0..classes)
                .map(|_| CellStats::new_class(class_histogram(), 1))
                .collect(),
            nodes: Vec::new(),
            column: (0..speeds.len() as u32).filter(|_| per_visit).collect(),
            members: Vec::new(),
            node_digits,
            measuring: false,
            inv_speed: speeds.iter().map(|s| 1.0 / s).collect(),
            resolution,
            sizes: Sizes::new(0.0, &[], 1.0 / resolution),
            servers: vec![ServerCounts::default(); speeds.len()],
            alarms: Vec::new(),
            queue_alarms: false,
            window_start: 0.0,
            window_end: 0.0,
            batches: Vec::new(),
        }
    }

    /// The batches over before the last, in order (empty unless the run
    /// was measured in batches); the recorder itself holds the last.
    pub fn take_batches(&mut self) -> Vec<Recorder> {
        std::mem::take(&mut self.batches)
    }

    /// Sets the bounded slowdown's `tau` and the inner edges of the size
    /// bins (increasing; bin `i` holds the jobs whose time in service
    /// alone is in `[edges[i-1], edges[i])`), before the run. Without it
    /// `tau` is 0 and every job falls in one bin.
    pub fn with_sizes(mut self, tau: f64, edges: &[f64]) -> Recorder {
        self.sizes = Sizes::new(tau, edges, self.sizes.inv_resolution);
        for c in &mut self.classes {
            c.size_bins = vec![SizeBin::default(); edges.len() + 1];
        }
        self
    }

    /// Points each member of a group of `groups` (but those an alarm
    /// watches) at its group's one column, and numbers the columns anew;
    /// the members' busy times are kept from now on.
    fn share_columns(&mut self, groups: &[std::ops::Range<usize>]) {
        let watched = |g: &std::ops::Range<usize>| {
            self.alarms
                .iter()
                .any(|a| matches!(a.alarm.when, Condition::Queue { node, .. } if g.contains(&node)))
        };
        let groups: Vec<std::ops::Range<usize>> = groups
            .iter()
            .filter(|g| !g.is_empty() && !watched(g))
            .cloned()
            .collect();
        if groups.is_empty() {
            return;
        }
        let columns = self.column.len() - groups.iter().map(|g| g.len() - 1).sum::<usize>();
        self.node_digits = node_significant_digits(columns);
        // Each node's group's first member (itself outside groups): O(nodes).
        let mut first: Vec<usize> = (0..self.column.len()).collect();
        for g in &groups {
            first[g.clone()].fill(g.start);
        }
        let mut next = 0u32;
        for (j, &f) in first.iter().enumerate() {
            if f == j {
                self.column[j] = next;
                next += 1;
            } else {
                self.column[j] = self.column[f];
            }
        }
        self.members = vec![MemberBusy::default(); self.column.len()];
    }

    /// A fresh cell for each node column.
    fn make_node_cells(&mut self) {
        let columns = self.column.iter().max().map_or(0, |&c| c as usize + 1);
        self.nodes = (0..columns)
            .map(|_| CellStats::new(node_histogram(self.node_digits)))
            .collect();
    }

    /// The alarms' states and figures.
    pub fn alarms(&self) -> &[AlarmState] {
        &self.alarms
    }

    /// Jobs waiting (present, not holding a server) at `node`.
    fn waiting(&self, node: usize) -> u32 {
        let cells: &[CellStats] = match self.column.get(node) {
            Some(&n) => std::slice::from_ref(&self.nodes[n as usize]),
            None => &self.classes,
        };
        cells
            .iter()
            .map(|c| (f64::from(c.in_system) - c.busy).round().max(0.0) as u32)
            .sum()
    }

    /// Queue alarms look at their node after a job moved.
    #[inline]
    fn watch_queues(&mut self, now: f64) {
        if self.queue_alarms {
            self.check_queues(now);
        }
    }

    #[cold]
    #[inline(never)]
    fn check_queues(&mut self, now: f64) {
        for i in 0..self.alarms.len() {
            if let Condition::Queue { node, .. } = self.alarms[i].alarm.when {
                let level = self.waiting(node);
                self.alarms[i].set_level(now, level);
            }
        }
    }

    /// Servers-down alarms on `node` see its new count.
    fn servers_changed(&mut self, now: f64, node: u32) {
        let down = self.servers[node as usize].down;
        for a in &mut self.alarms {
            if let Condition::ServersDown { node: n, .. } = a.alarm.when
                && n == node as usize
            {
                a.set_level(now, down);
            }
        }
    }

    /// Windowed alarms count an event: a failed or timed-out attempt
    /// (`failures`), else a give-up.
    #[cold]
    #[inline(never)]
    fn alarm_event(&mut self, now: f64, failures: bool) {
        for a in &mut self.alarms {
            match a.alarm.when {
                Condition::Failures { .. } if failures => a.event(now),
                Condition::GaveUp { .. } if !failures => a.event(now),
                _ => {}
            }
        }
    }

    /// The bounded slowdown's tau.
    pub fn slowdown_tau(&self) -> f64 {
        self.sizes.tau
    }

    /// The inner edges of the size bins.
    pub fn size_edges(&self) -> &[f64] {
        &self.sizes.edges
    }

    /// Server failures at node `node`; `None` in a recorder rebuilt from
    /// a sweep's stored totals, which keep no node figures.
    pub fn server_counts(&self, node: usize) -> Option<&ServerCounts> {
        self.servers.get(node)
    }

    /// The per-job cell of a class.
    pub fn class(&self, class: usize) -> &CellStats {
        &self.classes[class]
    }

    /// The per-visit cells of a node column: its own, or every class's
    /// when the one node's visits are the jobs.
    pub fn node(&self, node: usize) -> &[CellStats] {
        if self.nodes.is_empty() {
            &self.classes
        } else {
            std::slice::from_ref(&self.nodes[self.column[node] as usize])
        }
    }

    /// The per-visit cells of a group's members `members`: the group's
    /// one column if they share it, else each member's.
    pub fn group_cells(&self, members: std::ops::Range<usize>) -> Vec<(usize, &CellStats)> {
        if self.shares_column(members.start) {
            return vec![(members.start, &self.node(members.start)[0])];
        }
        members.map(|n| (n, &self.node(n)[0])).collect()
    }

    /// Whether node `node` shares its column with the rest of its group.
    fn shares_column(&self, node: usize) -> bool {
        !self.members.is_empty() && {
            let c = self.column[node];
            self.column.get(node + 1).is_some_and(|&n| n == c)
                || (node > 0 && self.column[node - 1] == c)
        }
    }

    /// ∫ busy servers dt of node `node` over the window.
    pub fn node_area_busy(&self, node: usize) -> f64 {
        if self.shares_column(node) {
            self.members[node].area
        } else {
            self.node(node).iter().map(|c| c.area_busy).sum()
        }
    }

    /// Whether node rows have cells of their own (else a node's cells are
    /// the class cells: one node, one visit per job).
    pub fn has_node_cells(&self) -> bool {
        !self.nodes.is_empty()
    }

    pub fn class_cells(&self) -> &[CellStats] {
        &self.classes
    }

    /// Significant digits of the node histograms.
    pub fn node_digits(&self) -> u8 {
        self.node_digits
    }

    pub fn resolution(&self) -> f64 {
        self.resolution
    }

    /// Length of the measured window.
    pub fn window(&self) -> f64 {
        self.window_end - self.window_start
    }

    /// The first class whose jobs do not add up (a bug if any does).
    pub fn imbalance(&self) -> Option<Imbalance> {
        self.classes
            .iter()
            .enumerate()
            .find_map(|(k, c)| c.balance(k).err())
    }

    /// Jobs completed in the window, over every class.
    pub fn completed(&self) -> u64 {
        self.classes.iter().map(|c| c.response.count).sum()
    }

    /// Mean response time over every job (NaN without completions).
    pub fn overall_mean_response(&self) -> f64 {
        let mut all = Welford::default();
        for c in &self.classes {
            all.merge(&c.response);
        }
        if all.count == 0 { f64::NAN } else { all.mean }
    }
}

impl Recorder {
    /// The class cells and window of this replication, in their stored
    /// form (the node cells are left out: a sweep reports no node rows).
    pub fn class_totals(&self) -> ReplicationTotals {
        ReplicationTotals {
            window: [self.window_start.to_bits(), self.window_end.to_bits()],
            classes: self.classes.iter().map(CellTotals::of).collect(),
        }
    }

    /// Decodes the response histograms of stored class cells (see
    /// [`Recorder::from_class_totals`]).
    pub fn decode_class_totals(t: &ReplicationTotals) -> Result<Vec<Vec<u64>>, TotalsError> {
        t.classes
            .iter()
            .enumerate()
            .map(|(k, c)| {
                totals::decode(
                    &c.response_hist,
                    &format!("totals.classes[{k}].response_hist"),
                    HIGHEST_UNITS,
                )
            })
            .collect()
    }

    /// Rebuilds a replication's class cells from their stored form and
    /// decoded histograms, equal field for field and bucket for bucket to
    /// those they were taken from, the histograms' arrays reaching `top`
    /// (see [`totals::histogram`]). It holds no node cells, so only overall
    /// and class rows may be summarised from it. `resolution` is the
    /// scenario's (as `new` takes).
    pub fn from_class_totals(
        t: &ReplicationTotals,
        decoded: &[Vec<u64>],
        resolution: f64,
        top: u64,
    ) -> Result<Recorder, TotalsError> {
        let classes = t
            .classes
            .iter()
            .zip(decoded)
            .enumerate()
            .map(|(k, (c, pairs))| {
                let hist =
                    totals::histogram(pairs, SIGNIFICANT_DIGITS, top).map_err(|e| TotalsError {
                        field: format!("totals.classes[{k}].{}", e.field),
                        message: e.message,
                    })?;
                let mut cell = CellStats::new_class(hist, 0);
                c.restore(&mut cell).map_err(|e| TotalsError {
                    field: format!("totals.classes[{k}].{}", e.field),
                    message: e.message,
                })?;
                Ok(cell)
            })
            .collect::<Result<Vec<_>, TotalsError>>()?;
        Ok(Recorder {
            classes,
            nodes: Vec::new(),
            column: Vec::new(),
            members: Vec::new(),
            node_digits: SIGNIFICANT_DIGITS,
            measuring: false,
            inv_speed: Vec::new(),
            resolution,
            sizes: Sizes::new(0.0, &[], 1.0 / resolution),
            // Sweeps keep no node figures (see `class_totals`).
            servers: Vec::new(),
            alarms: Vec::new(),
            queue_alarms: false,
            window_start: f64::from_bits(t.window[0]),
            window_end: f64::from_bits(t.window[1]),
            batches: Vec::new(),
        })
    }
}

impl Observer for Recorder {
    #[inline(always)]
    fn foresee(&self, node: u32, departs: bool) {
        let n = node as usize;
        crate::prefetch::prefetch_item(&self.column, n);
        // An arrival starts service (and changes its node's busy servers)
        // only if a server is idle; a departure always stops one, and
        // scales the job's size by its node's speed.
        if departs {
            crate::prefetch::prefetch_item(&self.members, n);
            crate::prefetch::prefetch_item(&self.inv_speed, n);
        }
    }

    #[inline]
    fn on_arrival(&mut self, now: f64, job: &Job) {
        let measuring = u64::from(self.measuring);
        if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
            n.advance(now);
            n.in_system += 1;
            n.admitted += measuring;
        }
        if job.visits == 0 {
            let c = &mut self.classes[job.origin as usize];
            c.advance(now);
            c.in_system += 1;
            c.admitted += measuring;
        }
        self.watch_queues(now);
    }

    fn on_block(&mut self, now: f64, job: &Job) {
        let measuring = u64::from(self.measuring);
        if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
            n.blocked += measuring;
        }
        let c = &mut self.classes[job.origin as usize];
        if job.visits == 0 {
            c.blocked += measuring;
        } else {
            c.advance(now);
            c.in_system -= 1;
            c.lost_inside += measuring;
        }
    }

    fn on_baulk(&mut self, now: f64, job: &Job) {
        let measuring = u64::from(self.measuring);
        if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
            n.baulked += measuring;
        }
        let c = &mut self.classes[job.origin as usize];
        c.baulked += measuring;
        if job.visits > 0 {
            c.advance(now);
            c.in_system -= 1;
            c.tasks.baulked_inside += measuring;
        }
    }

    fn on_renege(&mut self, now: f64, job: &Job) {
        let measuring = self.measuring;
        if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
            n.advance(now);
            n.in_system -= 1;
            if measuring {
                n.reneged += 1;
                n.wait_reneged.push(now - job.arrival);
            }
        }
        let c = &mut self.classes[job.origin as usize];
        c.advance(now);
        c.in_system -= 1;
        if measuring {
            c.reneged += 1;
            c.wait_reneged
                .push((now - job.entered - job.served_before).max(0.0));
        }
        self.watch_queues(now);
    }

    #[inline(always)]
    fn on_start(&mut self, now: f64, job: &Job, _server: u32) {
        let width = f64::from(job.width);
        if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
            n.advance(now);
            n.busy += width;
        }
        if let Some(m) = self.members.get_mut(job.node as usize) {
            m.set(now, m.busy + width);
        }
        let c = &mut self.classes[job.origin as usize];
        c.advance(now);
        c.busy += width;
        self.watch_queues(now);
    }

    #[inline(always)]
    fn on_stop(&mut self, now: f64, job: &Job, _server: u32) {
        let width = f64::from(job.width);
        if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
            n.advance(now);
            n.busy -= width;
        }
        if let Some(m) = self.members.get_mut(job.node as usize) {
            m.set(now, m.busy - width);
        }
        let c = &mut self.classes[job.origin as usize];
        c.advance(now);
        c.busy -= width;
        self.watch_queues(now);
    }

    fn on_move(&mut self, now: f64, job: &Job, from: u32) {
        if let Some(from) = column_cell(&mut self.nodes, &self.column, from) {
            from.advance(now);
            from.in_system -= 1;
        }
        if let Some(to) = column_cell(&mut self.nodes, &self.column, job.node) {
            to.advance(now);
            to.in_system += 1;
        }
        self.watch_queues(now);
    }

    fn on_shares(&mut self, now: f64, node: u32, busy: &[f64], before: &[f64]) {
        let total: f64 = busy.iter().sum();
        if let Some(n) = column_cell(&mut self.nodes, &self.column, node) {
            n.advance(now);
            match self.members.get_mut(node as usize) {
                // The group's column holds the other members' shares too.
                Some(m) => {
                    n.busy += total - m.busy;
                    m.set(now, total);
                }
                None => n.busy = total,
            }
        }
        // Shares are by the class a job has at the node; they are charged
        // to that class's row (the entry class unless classes switch).
        for ((c, &b), &a) in self.classes.iter_mut().zip(busy).zip(before) {
            if b != a {
                c.advance(now);
                c.busy = if c.busy == a { b } else { c.busy + (b - a) };
            }
        }
    }

    fn on_unblocked(&mut self, _now: f64, job: &Job, blocked: f64) {
        if self.measuring
            && let Some(n) = column_cell(&mut self.nodes, &self.column, job.node)
        {
            n.blocked_time += blocked;
            n.blocked_count += 1;
        }
    }

    fn on_workflow_done(&mut self, _now: f64, job: &Job, makespan: f64, task_wait: f64) {
        if self.measuring {
            let c = &mut self.classes[job.origin as usize];
            c.makespan.push(makespan);
            c.task_wait.push(task_wait);
        }
    }

    #[inline(always)]
    fn on_visit_end(&mut self, now: f64, job: &Job) {
        let measuring = self.measuring;
        let inv_speed = self.inv_speed[job.node as usize];
        let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) else {
            return;
        };
        n.advance(now);
        n.in_system -= 1;
        if measuring {
            n.record(
                now,
                now - job.arrival,
                job.served,
                job.size * inv_speed,
                &self.sizes,
            );
        }
        self.watch_queues(now);
    }

    #[inline(always)]
    fn on_complete(&mut self, now: f64, job: &Job) {
        let measuring = self.measuring;
        // A workflow instance ends at no node, with no size of its own.
        let inv_speed = self
            .inv_speed
            .get(job.node as usize)
            .copied()
            .unwrap_or(0.0);
        let c = &mut self.classes[job.origin as usize];
        c.advance(now);
        c.in_system -= 1;
        if measuring {
            let missed = u64::from(now > job.deadline);
            c.record(
                now,
                now - job.entered,
                job.served_before + job.served,
                job.demand_time + job.size * inv_speed,
                &self.sizes,
            );
            c.deadline_misses += missed;
            c.visits += u64::from(job.visits) + 1;
            c.blocked_time += job.blocked_total;
            c.blocked_count += u64::from(job.blocked_total > 0.0);
            if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
                n.deadline_misses += missed;
            }
        }
        self.watch_queues(now);
    }

    fn on_attempt_end(&mut self, now: f64, job: &Job, end: AttemptEnd, work: f64, time: f64) {
        if !self.alarms.is_empty() && matches!(end, AttemptEnd::Failed | AttemptEnd::TimedOut) {
            self.alarm_event(now, true);
        }
        if !self.measuring {
            return;
        }
        let held = time * f64::from(job.width);
        if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
            n.tasks.attempt_end(end, work, held);
        }
        self.classes[job.origin as usize]
            .tasks
            .attempt_end(end, work, held);
    }

    fn on_task_completed(&mut self, _now: f64, job: &Job, attempts: u32) {
        if !self.measuring {
            return;
        }
        if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
            n.tasks.task_end(attempts);
        }
        self.classes[job.origin as usize].tasks.task_end(attempts);
    }

    fn on_give_up(&mut self, now: f64, job: &Job, why: GiveUp, attempts: u32, rollback: bool) {
        if !self.alarms.is_empty() {
            self.alarm_event(now, false);
        }
        let measuring = self.measuring;
        if let Some(n) = column_cell(&mut self.nodes, &self.column, job.node) {
            if !rollback {
                n.advance(now);
                n.in_system -= 1;
            }
            if measuring {
                n.tasks.give_up(why, now - job.arrival, rollback);
                n.tasks.task_end(attempts);
            }
        }
        let c = &mut self.classes[job.origin as usize];
        if !rollback {
            c.advance(now);
            c.in_system -= 1;
        }
        if measuring {
            c.tasks.give_up(why, now - job.arrival, rollback);
            c.tasks.task_end(attempts);
        }
        self.watch_queues(now);
    }

    fn on_rolled_back(&mut self, now: f64, job: &Job, time: f64) {
        let measuring = self.measuring;
        let held = time * f64::from(job.width);
        for cell in column_cell(&mut self.nodes, &self.column, job.node)
            .into_iter()
            .chain(std::iter::once(&mut self.classes[job.origin as usize]))
        {
            cell.advance(now);
            cell.in_system -= 1;
            if measuring {
                cell.tasks.rolled_back += 1;
                cell.tasks.wasted_work += job.size;
                cell.tasks.wasted_time += held;
            }
        }
        self.watch_queues(now);
    }

    fn on_measure_start(&mut self, now: f64) {
        self.measuring = true;
        self.window_start = now;
        for c in self.classes.iter_mut().chain(&mut self.nodes) {
            c.reset(now);
        }
        for m in &mut self.members {
            m.set(now, m.busy);
            m.area = 0.0;
        }
        for s in &mut self.servers {
            s.reset(now);
        }
        for a in &mut self.alarms {
            a.start_window(now);
        }
    }

    /// The batch's figures are closed as at the end of a run and kept;
    /// the next batch starts as the measurement did after the warm-up,
    /// with the jobs present carried over.
    fn on_batch_end(&mut self, now: f64) {
        let batches = std::mem::take(&mut self.batches);
        let mut done = self.clone();
        done.on_end(now);
        self.batches = batches;
        self.batches.push(done);
        self.on_measure_start(now);
    }

    fn on_server_down(&mut self, now: f64, node: u32, _server: u32, job: Option<&Job>) {
        self.servers[node as usize].went_down(now, self.measuring, job.is_some());
        self.servers_changed(now, node);
    }

    fn on_server_up(&mut self, now: f64, node: u32, _server: u32) {
        self.servers[node as usize].went_up(now);
        self.servers_changed(now, node);
    }

    fn on_end(&mut self, now: f64) {
        self.window_end = now;
        for s in &mut self.servers {
            s.end(now);
        }
        for a in &mut self.alarms {
            a.end(now);
        }
        for c in self.classes.iter_mut().chain(&mut self.nodes) {
            c.advance(now);
            c.tasks.present_end = u64::from(c.in_system);
        }
        for m in &mut self.members {
            m.set(now, m.busy);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds jobs (arrival, size, completion) of one class at one
    /// speed-1 node straight to a recorder, as the engine would.
    fn recorded(jobs: &[(f64, f64, f64)], tau: f64, edges: &[f64]) -> Recorder {
        let mut r = Recorder::new(1, &[1.0], 1e-3, false).with_sizes(tau, edges);
        r.on_measure_start(0.0);
        for (i, &(arrival, size, done)) in jobs.iter().enumerate() {
            let mut job = Job::new(i as u64, 0, 0, 0, arrival, size);
            r.on_arrival(arrival, &job);
            job.served = size;
            r.on_complete(done, &job);
        }
        r.on_end(100.0);
        r
    }

    /// A group shares one column, numbered in node order, unless an
    /// alarm watches one of its members (then each keeps its own); one
    /// cell is made per column, with a histogram as precise as the number
    /// of columns allows.
    #[test]
    fn groups_share_a_column_unless_an_alarm_watches_a_member() {
        let speeds = [1.0; 12];
        let groups = [0..4, 5..9, 9..12];
        let alarms = [Alarm {
            name: "long".into(),
            when: Condition::Queue { jobs: 3, node: 6 },
        }];
        let watched = Recorder::grouped(2, &speeds, 1e-3, true, &alarms, &groups);
        assert_eq!(watched.column, [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 6, 6]);
        assert_eq!(watched.nodes.len(), 7);
        assert_eq!(watched.members.len(), 12);
        assert_eq!(watched.node_digits, node_significant_digits(7));
        assert!(watched.queue_alarms);
        let open = Recorder::grouped(2, &speeds, 1e-3, true, &[], &groups);
        assert_eq!(open.column, [0, 0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 3]);
        assert_eq!(open.nodes.len(), 4);
        assert!(!open.queue_alarms);
        let plain = Recorder::new(2, &speeds, 1e-3, true);
        assert_eq!(plain.column, (0..12).collect::<Vec<u32>>());
        assert_eq!(plain.nodes.len(), 12);
        assert!(plain.members.is_empty());
        assert_eq!(plain.node_digits, node_significant_digits(12));
        // One node whose visits are the jobs: no columns, no node cells.
        let one = Recorder::grouped(
            2,
            &[1.0],
            1e-3,
            false,
            &[],
            &[std::ops::Range { start: 0, end: 1 }],
        );
        assert!(one.column.is_empty() && one.nodes.is_empty());
    }

    /// Nodes 0 to 2 share the group's cell; node 3 keeps its own; each
    /// member's busy time is its own.
    #[test]
    fn group_members_share_one_cell_and_keep_their_busy_time() {
        let mut r = Recorder::grouped(
            1,
            &[1.0; 4],
            1e-3,
            true,
            &[],
            &[std::ops::Range { start: 0, end: 3 }],
        );
        assert_eq!(r.group_cells(0..3).len(), 1);
        assert_eq!(r.group_cells(3..4).len(), 1);
        assert!(!std::ptr::eq(&r.node(0)[0], &r.node(3)[0]));
        assert!(std::ptr::eq(&r.node(0)[0], &r.node(2)[0]));
        r.on_measure_start(0.0);
        // Node 1 busy over [1, 4), node 2 over [2, 3), node 3 over [0, 5).
        for (node, start, stop) in [(1u32, 1.0, 4.0), (2, 2.0, 3.0), (3, 0.0, 5.0)] {
            let mut job = Job::new(u64::from(node), 0, 0, 0, start, stop - start);
            job.node = node;
            r.on_arrival(start, &job);
            r.on_start(start, &job, 0);
            r.on_stop(stop, &job, 0);
            job.served = stop - start;
            r.on_visit_end(stop, &job);
            r.on_complete(stop, &job);
        }
        r.on_end(10.0);
        let busy: Vec<f64> = (0..4).map(|j| r.node_area_busy(j)).collect();
        assert_eq!(busy, vec![0.0, 3.0, 1.0, 5.0]);
        let group = r.group_cells(0..3)[0].1;
        assert_eq!(group.area_busy, 4.0);
        assert_eq!(group.response.count, 2);
        assert_eq!(r.node(3)[0].response.count, 1);
    }

    #[test]
    fn a_searched_bin_is_the_scanned_bin() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(9);
        for n in 0..SEARCHED + 2 {
            for _ in 0..200 {
                // Repeated edges too: the deciles of a constant size are one value.
                let mut edges: Vec<f64> = (0..n)
                    .map(|_| f64::from(rng.random_range(0..8u32)) * 0.5)
                    .collect();
                edges.sort_by(f64::total_cmp);
                let sizes = Sizes::new(1.0, &edges, 1.0);
                assert_eq!(sizes.padded.is_some(), n < SEARCHED);
                let mut probes: Vec<f64> = edges.clone();
                probes.extend([0.0, 0.25, 3.9, 4.0, 100.0, f64::NAN]);
                probes.extend(edges.iter().map(|e| e - 1e-12));
                for x in probes {
                    let scanned = edges.iter().filter(|&&e| e <= x).count();
                    assert_eq!(sizes.bin(x), scanned, "{x} in {edges:?}");
                }
            }
        }
    }

    #[test]
    fn bounded_slowdown_and_size_bins_follow_their_definitions() {
        // (arrival, size, completion): responses 1, 3, 0.5, 8.
        let jobs = [
            (0.0, 1.0, 1.0),
            (1.0, 0.5, 4.0),
            (2.0, 0.05, 2.5),
            (3.0, 4.0, 11.0),
        ];
        let tau = 0.25;
        let r = recorded(&jobs, tau, &[0.5, 2.0]);
        let c = r.class(0);
        // max(1, T / max(tau, S)) written out job by job:
        // 1/1 = 1; 3/0.5 = 6; 0.5/0.25 = 2; 8/4 = 2.
        let by_hand = [1.0, 6.0, 2.0, 2.0];
        let from_definition: Vec<f64> = jobs
            .iter()
            .map(|&(a, s, d)| ((d - a) / f64::max(tau, s)).max(1.0))
            .collect();
        assert_eq!(from_definition, by_hand);
        assert_eq!(c.bounded_slowdown_sum, by_hand.iter().sum::<f64>());
        // Plain slowdowns 1, 6, 10, 2; the tiny job is bounded to 2.
        assert_eq!(c.slowdown_sum, 19.0);
        assert_eq!(c.max_response, 8.0);
        // Bins [0, 0.5), [0.5, 2), [2, ∞): the 0.05 job; the 1 and 0.5 jobs; the 4 job.
        let bins: Vec<(u64, f64, f64)> = c
            .size_bins
            .iter()
            .map(|b| (b.jobs, b.response_sum, b.slowdown_sum))
            .collect();
        assert_eq!(bins, vec![(1, 0.5, 10.0), (2, 4.0, 7.0), (1, 8.0, 2.0)]);
        assert_eq!(c.size_bins[1].size_sum, 1.5);
        let h = c.slowdown_hist.as_ref().unwrap();
        assert_eq!(h.len(), 4);
        // Slowdowns 1, 2, 6, 10: the median is the second, 2 (to 0.4%).
        let median = h.median();
        assert!((median - 2.0).abs() < 0.008, "{median}");
    }
}
