//! From replications to figures with confidence intervals.
//!
//! Each replication gives one value of each figure; the estimate is their
//! mean and its 95% half-width is `t_{0.975, R-1} · s / √R` (independent
//! replications; Law, *Simulation Modeling and Analysis*, 5th ed., §9.4.1).
//! Quantiles come from the histograms of all replications merged.

use std::borrow::Cow;

use hdrhistogram::Histogram;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::lifecycle::{self, TaskSummary};
use super::log_hist::LogHistogram;
use super::recorder::node_histogram;
use super::servers::{self, ServerCounts, ServerFold, ServerSummary};
use super::{CellStats, Recorder, Welford};
use crate::engine::RunInfo;
use crate::model::{Scenario, WhenFull};

/// What one replication left behind.
#[derive(Debug, Clone)]
pub struct ReplicationSummary {
    pub recorder: Recorder,
    pub info: RunInfo,
    /// The replication's timeline, when the scenario asks for one.
    pub timeline: Option<super::timeline::Timeline>,
    /// The warm-up chosen, in jobs, under `warmup = "auto"`.
    pub warmup_jobs: Option<u64>,
}

/// Which jobs a result row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    All,
    Class(usize),
    Node(usize),
    /// Every member of a node group (`Scenario::groups`) together, per
    /// visit, as one node of all their servers.
    Group(usize),
}

/// A figure estimated from replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Mean over the replications that observed it; NaN if none did.
    pub mean: f64,
    /// 95% confidence half-width; `None` below two replications.
    pub ci95: Option<f64>,
}

impl Estimate {
    /// Estimate from per-replication values, NaNs (nothing observed) left out.
    pub fn from_values(values: &[f64]) -> Estimate {
        let mut c = Column::default();
        for &v in values {
            c.push(v);
        }
        c.estimate()
    }
}

/// An [`Estimate`] built one replication at a time, in replication order:
/// the same bits as [`Estimate::from_values`] over the same values,
/// without keeping them, so a run's memory does not grow with its
/// replications.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Column(Welford);

impl Column {
    /// Adds the next replication's value; NaN (nothing observed) is left out.
    #[inline]
    pub fn push(&mut self, v: f64) {
        if !v.is_nan() {
            self.0.push(v);
        }
    }

    pub fn estimate(&self) -> Estimate {
        let w = &self.0;
        let mean = if w.count == 0 { f64::NAN } else { w.mean };
        let ci95 = (w.count >= 2).then(|| confidence_half_width(w.variance(), w.count));
        Estimate { mean, ci95 }
    }

    /// Values pushed (NaN left out).
    pub fn count(&self) -> u64 {
        self.0.count
    }
}

/// 95% half-width of a mean of `n` i.i.d. values with sample variance `var`.
pub fn confidence_half_width(var: f64, n: u64) -> f64 {
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("n >= 2 gives a valid Student t")
        .inverse_cdf(0.975);
    t * (var / n as f64).sqrt()
}

/// The figures of one result row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowStats {
    /// Jobs measured, over all replications.
    pub jobs: u64,
    /// Jobs (node rows: visits) that reneged and that baulked, over all replications.
    pub reneged: u64,
    pub baulked: u64,
    pub mean_wait: Estimate,
    pub mean_response: Estimate,
    /// Share of the measured jobs (node rows: visits) that waited at all,
    /// `P(W > 0)`: Erlang C's `C(c, a)` for M/M/c under FCFS. Under a
    /// discipline that shares servers (PS, RR) a job "waits" whenever it
    /// runs slower than alone. Not among the reported columns; `size`
    /// targets it.
    pub p_wait: Estimate,
    /// Mean of response / time in service (size / speed); NaN where a
    /// size distribution of the selection has no finite `E[1/S]`
    /// ([`crate::model::Dist::has_finite_inverse_mean`]), the mean then
    /// having no finite value to estimate.
    pub mean_slowdown: Estimate,
    /// Mean of `max(1, response / max(tau, time in service))`.
    pub mean_bounded_slowdown: Estimate,
    /// Median slowdown of all replications pooled, and the 95%
    /// half-width from the replications' own medians (class and overall
    /// rows, and node rows of one-node scenarios; NaN elsewhere).
    pub median_slowdown: f64,
    pub median_slowdown_ci95: Option<f64>,
    /// Largest response time over all replications (NaN with no jobs).
    pub max_response: f64,
    pub mean_in_system: Estimate,
    pub mean_in_queue: Estimate,
    pub utilization: Estimate,
    pub throughput: Estimate,
    /// Share of jobs that completed after their deadline (NaN when the
    /// selection has no class with a deadline).
    pub deadline_miss_ratio: Estimate,
    /// Share of arrivals turned away by full nodes, or lost at one later
    /// (NaN when no node of the selection has a finite capacity).
    pub blocking_probability: Estimate,
    /// Visits per job (class and overall rows); visits to the node per
    /// job completed (node rows: the visit ratio).
    pub visits: Estimate,
    /// Share of jobs (node rows: of visits) whose server was blocked after
    /// service, and mean time blocked per job (per visit); NaN unless some
    /// node blocks (`when_full = "block"`).
    pub p_block: Estimate,
    pub blocked_time: Estimate,
    /// Shares of arriving jobs (node rows: of visits) that reneged and
    /// that baulked; NaN unless some class of the selection can.
    pub p_renege: Estimate,
    pub p_baulk: Estimate,
    /// Mean wait of the jobs served and of those that reneged (NaN unless
    /// some class reneges); `mean_wait` covers both, so that Little's law
    /// holds for the queue.
    pub mean_wait_served: Estimate,
    pub mean_wait_reneged: Estimate,
    /// Workflow classes (class and overall rows; NaN elsewhere): the mean
    /// makespan of an instance, from its first task's start to its last
    /// task's end, and the mean wait of its tasks at their nodes.
    pub mean_makespan: Estimate,
    pub mean_task_wait: Estimate,
    /// Response-time quantiles p50, p90, p95, p99 of all replications
    /// pooled (NaN with no jobs).
    pub response_quantiles: [f64; 4],
    /// 95% half-widths of those quantiles, from the spread of the
    /// replications' own quantiles.
    pub response_quantiles_ci95: [Option<f64>; 4],
    /// The task lifecycle: give-ups, attempts, goodput, and the
    /// accounting check.
    pub tasks: TaskSummary,
    /// Server failures: at a node whose servers fail, and overall when
    /// some node's do; `None` elsewhere.
    pub servers: Option<ServerSummary>,
    /// A group's row: its size and the spread of its members' utilisation.
    pub group: Option<super::groups::GroupFigures>,
}

/// The quantile levels of `RowStats::response_quantiles`.
pub const QUANTILES: [f64; 4] = [0.50, 0.90, 0.95, 0.99];

/// Summarises the replications for the jobs a selection picks: per job
/// for the overall and class rows, per visit for a node's row.
pub fn summarize(
    scenario: &Scenario,
    reps: &[ReplicationSummary],
    selection: Selection,
) -> RowStats {
    let mut fold = RowFold::new(scenario, selection);
    for rep in reps {
        fold.push(scenario, &rep.recorder);
    }
    fold.stats()
}

/// A row's figures gathered one replication at a time, in replication
/// order, as [`summarize`] gives them: each per-replication value goes
/// into a [`Column`] and each histogram into the merged one, and the
/// replication itself can be dropped. A run of 1,000 replications holds
/// what a run of 10 does.
#[derive(Debug, Clone)]
pub struct RowFold {
    selection: Selection,
    /// Servers of the row's nodes.
    servers: f64,
    /// The row's nodes, where some follow a server schedule.
    scheduled: Option<Vec<usize>>,
    has_capacity: bool,
    blocks_after_service: bool,
    reneges: bool,
    baulks: bool,
    slowdown_exists: bool,
    flows: bool,
    has_deadlines: bool,
    network: bool,
    /// Per class: whether it has attempt rules.
    lifecycle: Vec<bool>,
    /// The nodes of the failure figures and their servers, where some fail.
    failing: Option<(Vec<usize>, f64)>,
    jobs: u64,
    reneged: u64,
    baulked: u64,
    columns: [Column; 19],
    quantile_columns: [Column; 4],
    bounded: Column,
    medians: Column,
    merged: Option<Histogram<u64>>,
    merged_slowdowns: Option<LogHistogram>,
    max_response: f64,
    resolution: Option<f64>,
    class_cells: bool,
    tasks: lifecycle::TaskFold,
    /// `None` once a replication kept no server counts for some node.
    servers_fold: Option<ServerFold>,
    /// A group's row: each member's utilisation, replication by replication.
    members: Option<super::groups::UtilisationFold>,
}

impl RowFold {
    pub fn new(scenario: &Scenario, selection: Selection) -> RowFold {
        let servers = f64::from(match selection {
            Selection::All => scenario.nodes.iter().map(|n| n.servers).sum(),
            Selection::Class(c) => scenario.servers_of_class(c),
            Selection::Node(n) => scenario.nodes[n].servers,
            Selection::Group(g) => scenario.groups[g]
                .members()
                .map(|n| scenario.nodes[n].servers)
                .sum(),
        });
        let row_nodes: Vec<usize> = match selection {
            Selection::All => (0..scenario.nodes.len()).collect(),
            // As `Scenario::servers_of_class` counts them.
            Selection::Class(c) if !scenario.is_network() => match scenario.classes[c].node {
                Some(n) => vec![n],
                None => (0..scenario.nodes.len()).collect(),
            },
            Selection::Class(c) => {
                let visited = scenario.nodes_of_class(c);
                (0..scenario.nodes.len()).filter(|&j| visited[j]).collect()
            }
            Selection::Node(n) => vec![n],
            Selection::Group(g) => scenario.groups[g].members().collect(),
        };
        let scheduled = row_nodes
            .iter()
            .any(|&j| scenario.nodes[j].schedule.is_some())
            .then_some(row_nodes);
        let has_capacity = match selection {
            Selection::Node(n) => scenario
                .nodes
                .get(n)
                .is_some_and(|node| node.capacity.is_some()),
            Selection::Group(g) => scenario.groups[g]
                .members()
                .any(|n| scenario.nodes[n].capacity.is_some()),
            _ => scenario.nodes.iter().any(|n| n.capacity.is_some()),
        };
        let classes_of: Vec<&crate::model::Class> = match selection {
            Selection::Class(c) => vec![&scenario.classes[c]],
            _ => scenario.classes.iter().collect(),
        };
        let failing = match selection {
            Selection::Class(_) => None,
            Selection::Node(n) => Some(vec![n]),
            Selection::Group(g) => Some(scenario.groups[g].members().collect()),
            Selection::All => Some((0..scenario.nodes.len()).collect()),
        }
        .filter(|nodes: &Vec<usize>| nodes.iter().any(|&n| scenario.nodes[n].failures.is_some()))
        .map(|nodes| {
            let servers: u32 = nodes.iter().map(|&n| scenario.nodes[n].servers).sum();
            (nodes, f64::from(servers))
        });
        RowFold {
            selection,
            servers,
            scheduled,
            has_capacity,
            blocks_after_service: scenario
                .nodes
                .iter()
                .any(|n| n.when_full == WhenFull::Block),
            reneges: classes_of.iter().any(|c| c.patience.is_some()),
            baulks: classes_of.iter().any(|c| !c.baulk.is_empty()),
            slowdown_exists: classes_of.iter().all(|c| c.has_finite_slowdown_mean()),
            flows: classes_of.iter().any(|c| c.is_workflow())
                && !matches!(selection, Selection::Node(_) | Selection::Group(_)),
            has_deadlines: match selection {
                Selection::Class(c) => scenario.classes[c].deadline.is_some(),
                _ => scenario.classes.iter().any(|c| c.deadline.is_some()),
            },
            network: scenario.is_network(),
            lifecycle: scenario
                .classes
                .iter()
                .map(|c| c.attempts.is_some())
                .collect(),
            servers_fold: failing.is_some().then(ServerFold::default),
            failing,
            jobs: 0,
            reneged: 0,
            baulked: 0,
            columns: Default::default(),
            quantile_columns: Default::default(),
            bounded: Column::default(),
            medians: Column::default(),
            merged: None,
            merged_slowdowns: None,
            max_response: f64::NAN,
            resolution: None,
            class_cells: true,
            tasks: lifecycle::TaskFold::default(),
            members: match selection {
                Selection::Group(g) => Some(super::groups::UtilisationFold::new(
                    scenario.groups[g].members(),
                )),
                _ => None,
            },
        }
    }

    /// Adds what the next replication (or batch) measured.
    pub fn push(&mut self, scenario: &Scenario, r: &Recorder) {
        let resolution = *self.resolution.get_or_insert(r.resolution());
        let quantiles = |h: Option<&Histogram<u64>>| quantiles_of(h, resolution);
        let task_cells: Vec<(usize, &CellStats)> = match self.selection {
            Selection::All => r.class_cells().iter().enumerate().collect(),
            Selection::Class(c) => vec![(c, r.class(c))],
            Selection::Node(n) if r.has_node_cells() => {
                self.class_cells = false;
                vec![(n, &r.node(n)[0])]
            }
            Selection::Node(n) => r.node(n).iter().enumerate().collect(),
            Selection::Group(g) if r.has_node_cells() => {
                self.class_cells = false;
                r.group_cells(scenario.groups[g].members())
            }
            Selection::Group(g) => scenario.groups[g]
                .members()
                .flat_map(|n| r.node(n).iter().enumerate())
                .collect(),
        };
        self.tasks
            .push(&task_cells, &self.lifecycle, self.class_cells);
        let cells: Vec<&CellStats> = match self.selection {
            Selection::All => r.class_cells().iter().collect(),
            Selection::Class(c) => vec![r.class(c)],
            Selection::Node(n) => r.node(n).iter().collect(),
            Selection::Group(g) if r.has_node_cells() => r
                .group_cells(scenario.groups[g].members())
                .into_iter()
                .map(|(_, c)| c)
                .collect(),
            Selection::Group(g) => scenario.groups[g]
                .members()
                .flat_map(|n| r.node(n).iter())
                .collect(),
        };
        if let Some(m) = &mut self.members {
            m.push(scenario, r);
        }
        let own_node_cell = matches!(self.selection, Selection::Node(_)) && cells.len() == 1;
        // Borrowed while one cell holds the replication's jobs: copying a
        // class histogram (344 KB) per replication was most of a sweep's
        // summarising.
        let mut rep_hist: Option<Cow<'_, Histogram<u64>>> =
            own_node_cell.then(|| Cow::Owned(node_histogram(r.node_digits())));
        let (mut wait, mut response) = (Welford::default(), Welford::default());
        let (mut makespan, mut task_wait) = (Welford::default(), Welford::default());
        let mut waited = 0u64;
        let mut wait_reneged = Welford::default();
        let (mut baulked, mut reneged) = (0u64, 0u64);
        let mut slowdown_sum = 0.0;
        let mut bounded_sum = 0.0;
        let mut rep_slowdowns: Option<LogHistogram> = None;
        let (mut area_n, mut area_busy) = (0.0, 0.0);
        let mut misses = 0;
        let (mut admitted, mut blocked, mut lost_inside) = (0u64, 0u64, 0u64);
        let (mut visits, mut blocked_time, mut blocked_count) = (0u64, 0.0, 0u64);
        for c in cells {
            makespan.merge(&c.makespan);
            task_wait.merge(&c.task_wait);
            wait.merge(&c.wait);
            wait_reneged.merge(&c.wait_reneged);
            baulked += c.baulked;
            reneged += c.reneged;
            response.merge(&c.response);
            waited += c.waited;
            slowdown_sum += c.slowdown_sum;
            bounded_sum += c.bounded_slowdown_sum;
            if c.response.count > 0 {
                self.max_response = self.max_response.max(c.max_response);
            }
            if let Some(h) = &c.slowdown_hist {
                match &mut rep_slowdowns {
                    Some(r) => r.add(h),
                    None => rep_slowdowns = Some(h.clone()),
                }
            }
            area_n += c.area_in_system;
            area_busy += c.area_busy;
            misses += c.deadline_misses;
            admitted += c.admitted;
            blocked += c.blocked;
            lost_inside += c.lost_inside;
            visits += c.visits;
            blocked_time += c.blocked_time;
            blocked_count += c.blocked_count;
            match &mut rep_hist {
                Some(h) => h
                    .to_mut()
                    .add(&c.response_hist)
                    .expect("histograms share their bounds"),
                None => rep_hist = Some(Cow::Borrowed(&c.response_hist)),
            }
        }
        for (column, q) in self
            .quantile_columns
            .iter_mut()
            .zip(quantiles(rep_hist.as_deref()))
        {
            column.push(q);
        }
        if let Some(h) = rep_hist {
            match &mut self.merged {
                Some(m) => m.add(&*h).expect("histograms share their bounds"),
                None => self.merged = Some(h.into_owned()),
            }
        }
        self.medians.push(median_slowdown(rep_slowdowns.as_ref()));
        if let Some(h) = rep_slowdowns {
            match &mut self.merged_slowdowns {
                Some(m) => m.add(&h),
                None => self.merged_slowdowns = Some(h),
            }
        }
        self.jobs += response.count;
        self.reneged += reneged;
        self.baulked += baulked;
        let window = r.window();
        let mean_or_nan = |w: &Welford| if w.count == 0 { f64::NAN } else { w.mean };
        let per_time = |x: f64| if window > 0.0 { x / window } else { f64::NAN };
        let per_count = |x: f64| {
            if response.count == 0 {
                f64::NAN
            } else {
                x / response.count as f64
            }
        };
        let mut wait_all = wait;
        wait_all.merge(&wait_reneged);
        let arrivals = (admitted + blocked + baulked) as f64;
        let share = |x: u64, applies: bool| {
            if applies && arrivals > 0.0 {
                x as f64 / arrivals
            } else {
                f64::NAN
            }
        };
        let (p_block, blocked_mean) = if self.blocks_after_service {
            (per_count(blocked_count as f64), per_count(blocked_time))
        } else {
            (f64::NAN, f64::NAN)
        };
        let mut values = [
            mean_or_nan(&wait_all),
            mean_or_nan(&response),
            per_time(area_n),
            per_time(area_n - area_busy),
            match &self.scheduled {
                // Busy server time over server time on shift.
                Some(nodes) => {
                    let shift = on_shift_area(scenario, r, nodes, window);
                    if shift > 0.0 {
                        area_busy / shift
                    } else {
                        f64::NAN
                    }
                }
                None => per_time(area_busy) / self.servers,
            },
            per_time(response.count as f64),
            if self.has_deadlines {
                per_count(misses as f64)
            } else {
                f64::NAN
            },
            if self.has_capacity && admitted + blocked > 0 {
                (blocked + lost_inside) as f64 / (admitted + blocked) as f64
            } else {
                f64::NAN
            },
            if self.slowdown_exists {
                per_count(slowdown_sum)
            } else {
                f64::NAN
            },
            // Visits per job; for a node, its visit ratio: visits there per job done.
            match self.selection {
                _ if !self.network => f64::NAN,
                Selection::Node(_) | Selection::Group(_) => {
                    let done = r.completed();
                    if done == 0 {
                        f64::NAN
                    } else {
                        response.count as f64 / done as f64
                    }
                }
                _ => per_count(visits as f64),
            },
            p_block,
            blocked_mean,
            share(reneged, self.reneges),
            share(baulked, self.baulks),
            if self.reneges {
                mean_or_nan(&wait)
            } else {
                f64::NAN
            },
            if self.reneges {
                mean_or_nan(&wait_reneged)
            } else {
                f64::NAN
            },
            per_count(waited as f64),
            if self.flows {
                mean_or_nan(&makespan)
            } else {
                f64::NAN
            },
            if self.flows {
                mean_or_nan(&task_wait)
            } else {
                f64::NAN
            },
        ];
        if self.flows {
            // An instance holds several servers at once and its tasks
            // wait at several nodes: a wait or a queue length of the
            // instance means nothing (the task waits are reported).
            for k in [0, 3, 16] {
                values[k] = f64::NAN;
            }
        }
        for (column, v) in self.columns.iter_mut().zip(values) {
            column.push(v);
        }
        self.bounded.push(per_count(bounded_sum));
        if let (Some(fold), Some((nodes, servers))) = (&mut self.servers_fold, &self.failing) {
            let counts = nodes.iter().try_fold(ServerCounts::default(), |a, &n| {
                Some(servers::add(a, r.server_counts(n)?))
            });
            match counts {
                Some(c) => fold.push(&c, *servers, r.window()),
                None => self.servers_fold = None,
            }
        }
    }

    /// The row's figures over the replications pushed so far.
    pub fn stats(&self) -> RowStats {
        let resolution = self.resolution.unwrap_or(1.0);
        let [
            w,
            r,
            l,
            lq,
            u,
            x,
            miss,
            block,
            sd,
            visits,
            p_block,
            blocked_time,
            p_renege,
            p_baulk,
            wait_served,
            wait_reneged,
            p_wait,
            makespan,
            task_wait,
        ] = self.columns.map(|c| c.estimate());
        RowStats {
            jobs: self.jobs,
            reneged: self.reneged,
            baulked: self.baulked,
            mean_wait: w,
            mean_response: r,
            p_wait,
            mean_slowdown: sd,
            mean_bounded_slowdown: self.bounded.estimate(),
            median_slowdown: median_slowdown(self.merged_slowdowns.as_ref()),
            median_slowdown_ci95: self.medians.estimate().ci95,
            max_response: self.max_response,
            mean_in_system: l,
            mean_in_queue: lq,
            utilization: u,
            throughput: x,
            deadline_miss_ratio: miss,
            blocking_probability: block,
            visits,
            p_block,
            blocked_time,
            p_renege,
            p_baulk,
            mean_wait_served: wait_served,
            mean_wait_reneged: wait_reneged,
            mean_makespan: makespan,
            mean_task_wait: task_wait,
            response_quantiles: quantiles_of(self.merged.as_ref(), resolution),
            response_quantiles_ci95: self.quantile_columns.map(|c| c.estimate().ci95),
            tasks: self.tasks.summary(),
            servers: match (&self.failing, &self.servers_fold) {
                (Some(_), Some(fold)) => Some(fold.summary()),
                _ => None,
            },
            group: self.members.as_ref().map(|m| super::groups::GroupFigures {
                nodes: m.nodes(),
                utilisation: m.distribution(),
            }),
        }
    }
}

/// The [`QUANTILES`] of a response histogram in time units (NaN when
/// there is none or it is empty).
fn quantiles_of(h: Option<&Histogram<u64>>, resolution: f64) -> [f64; 4] {
    QUANTILES.map(|q| match h {
        Some(h) if !h.is_empty() => {
            (h.median_equivalent(h.value_at_quantile(q)) as f64 + 0.5) * resolution
        }
        _ => f64::NAN,
    })
}

/// Server time on shift at `nodes` over one replication's window: from
/// the servers it saw leave and come back, or (where those were not
/// kept) from the schedules themselves.
fn on_shift_area(scenario: &Scenario, r: &Recorder, nodes: &[usize], window: f64) -> f64 {
    nodes
        .iter()
        .map(|&j| {
            let n = &scenario.nodes[j];
            let full = f64::from(n.servers) * window;
            match (&n.schedule, r.server_counts(j)) {
                (None, _) => full,
                (Some(_), Some(c)) => full - c.down_area,
                (Some(s), None) => s.capacity_between(r.window_start, r.window_start + window),
            }
        })
        .sum()
}

/// The jobs of one size bin of a row: those whose time in service alone
/// lies in `[lo, hi)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeBinStats {
    pub lo: f64,
    /// Infinite for the last bin.
    pub hi: f64,
    /// Jobs measured in the bin, over all replications.
    pub jobs: u64,
    /// Mean time in service alone of the bin's jobs.
    pub mean_size: Estimate,
    pub mean_response: Estimate,
    /// NaN in a bin reaching down to 0 where some size distribution of
    /// the row has no finite `E[1/S]` (as for [`RowStats::mean_slowdown`]).
    pub mean_slowdown: Estimate,
}

/// The size bins of an overall or class row (`edges` as given to
/// `Recorder::with_sizes`), one replication at a time in replication
/// order; empty for node rows, or when the replications kept no bins of
/// that many edges.
#[derive(Debug, Clone)]
pub struct SizeBinFold {
    edges: Vec<f64>,
    /// The row's classes (none for a node row).
    classes: Vec<usize>,
    slowdown_exists: bool,
    /// Whether every replication so far kept the bins.
    kept: bool,
    replications: u64,
    /// Per bin: jobs, and columns of mean size, response and slowdown.
    bins: Vec<(u64, [Column; 3])>,
}

impl SizeBinFold {
    pub fn new(scenario: &Scenario, selection: Selection, edges: &[f64]) -> SizeBinFold {
        let classes: Vec<usize> = match selection {
            Selection::All => (0..scenario.classes.len()).collect(),
            Selection::Class(c) => vec![c],
            Selection::Node(_) | Selection::Group(_) => Vec::new(),
        };
        SizeBinFold {
            edges: edges.to_vec(),
            slowdown_exists: classes
                .iter()
                .all(|&c| scenario.classes[c].has_finite_slowdown_mean()),
            kept: !classes.is_empty(),
            classes,
            replications: 0,
            bins: vec![Default::default(); edges.len() + 1],
        }
    }

    pub fn push(&mut self, recorder: &Recorder) {
        self.replications += 1;
        let n_bins = self.bins.len();
        self.kept &= self
            .classes
            .iter()
            .all(|&c| recorder.class(c).size_bins.len() == n_bins);
        if !self.kept {
            return;
        }
        for (b, (jobs, columns)) in self.bins.iter_mut().enumerate() {
            let mut bin = super::recorder::SizeBin::default();
            for &c in &self.classes {
                let x = recorder.class(c).size_bins[b];
                bin.jobs += x.jobs;
                bin.size_sum += x.size_sum;
                bin.response_sum += x.response_sum;
                bin.slowdown_sum += x.slowdown_sum;
            }
            *jobs += bin.jobs;
            let n = bin.jobs as f64;
            let mean = |sum: f64| if bin.jobs == 0 { f64::NAN } else { sum / n };
            columns[0].push(mean(bin.size_sum));
            columns[1].push(mean(bin.response_sum));
            columns[2].push(if b == 0 && !self.slowdown_exists {
                f64::NAN
            } else {
                mean(bin.slowdown_sum)
            });
        }
    }

    pub fn stats(&self) -> Vec<SizeBinStats> {
        if self.replications == 0 || !self.kept {
            return Vec::new();
        }
        let edges = &self.edges;
        self.bins
            .iter()
            .enumerate()
            .map(|(b, (jobs, [sizes, responses, slowdowns]))| SizeBinStats {
                lo: if b == 0 { 0.0 } else { edges[b - 1] },
                hi: edges.get(b).copied().unwrap_or(f64::INFINITY),
                jobs: *jobs,
                mean_size: sizes.estimate(),
                mean_response: responses.estimate(),
                mean_slowdown: slowdowns.estimate(),
            })
            .collect()
    }
}

/// The median of a slowdown histogram (NaN when there is none or it is empty).
fn median_slowdown(h: Option<&LogHistogram>) -> f64 {
    h.map_or(f64::NAN, LogHistogram::median)
}

/// The distribution of response times of all jobs of a run (every
/// class, node and replication pooled), reduced to what a plot needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResponseDistribution {
    /// (response time, fraction of jobs at or below it), increasing.
    pub cdf: Vec<(f64, f64)>,
    /// (bin start, bin end, density): equal bins from 0 to the 99th
    /// percentile, or log-spaced bins from the 0.1th percentile when the
    /// 99th is more than 100 times the 10th; the density (per time unit)
    /// integrates to the share of jobs in range.
    pub histogram: Vec<(f64, f64, f64)>,
}

/// Probability levels of the CDF: steps of 1/400, then the far tail.
fn cdf_levels() -> impl Iterator<Item = f64> {
    (1..400)
        .map(|i| f64::from(i) / 400.0)
        .chain([0.999, 0.9999])
}

/// Bins of the histogram.
const HISTOGRAM_BINS: u64 = 50;

/// The ratio of p99 to p10 above which the histogram's bins are log-spaced.
const LOG_BINS_ABOVE: f64 = 100.0;

/// Edges of up to [`HISTOGRAM_BINS`] log-spaced bins from `lo` to `hi`
/// (histogram units; whole units, so narrow bins at the bottom merge).
fn log_edges(lo: u64, hi: u64) -> Vec<u64> {
    let (a, b) = (lo as f64, hi.max(lo + 1) as f64);
    let mut edges: Vec<u64> = (0..=HISTOGRAM_BINS)
        .map(|i| (a * (b / a).powf(i as f64 / HISTOGRAM_BINS as f64)).round() as u64)
        .collect();
    edges.dedup();
    edges
}

/// Pools the response-time histograms of every replication and class
/// (per job), one replication at a time.
#[derive(Debug, Clone, Default)]
pub struct ResponseFold {
    pooled: Option<Histogram<u64>>,
    resolution: f64,
}

impl ResponseFold {
    pub fn push(&mut self, recorder: &Recorder) {
        self.resolution = recorder.resolution();
        for c in recorder.class_cells() {
            let h = &c.response_hist;
            match &mut self.pooled {
                Some(p) => p.add(h).expect("histograms share their bounds"),
                None => self.pooled = Some(h.clone()),
            }
        }
    }

    pub fn distribution(&self) -> ResponseDistribution {
        match self.pooled.as_ref().filter(|h| !h.is_empty()) {
            Some(h) => distribution_of(h, self.resolution),
            None => ResponseDistribution::default(),
        }
    }
}

/// The CDF and histogram of a pooled response histogram.
fn distribution_of(h: &Histogram<u64>, resolution: f64) -> ResponseDistribution {
    // One pass over the recorded values: asking value_at_quantile for each
    // of the 400 levels would scan the histogram 400 times.
    let total = h.len() as f64;
    let mut levels = cdf_levels().peekable();
    let mut cdf = Vec::new();
    let mut seen = 0u64;
    for v in h.iter_recorded() {
        seen += v.count_since_last_iteration();
        let x = (h.median_equivalent(v.value_iterated_to()) as f64 + 0.5) * resolution;
        while let Some(&q) = levels.peek() {
            if q * total > seen as f64 {
                break;
            }
            cdf.push((x, q));
            levels.next();
        }
    }
    let top = h.value_at_quantile(0.99).max(HISTOGRAM_BINS);
    let bin = |lo: u64, hi: u64| {
        // count_between is inclusive at both ends: stop one unit short.
        let count = h.count_between(lo, hi - 1) as f64;
        let (x0, x1) = (lo as f64 * resolution, hi as f64 * resolution);
        (x0, x1, count / total / (x1 - x0))
    };
    // Data spanning more than two decades (p99 over 100 times p10) would
    // sit in the first of equal bins: log-spaced bins from the 0.1th
    // percentile instead.
    let p10 = h.value_at_quantile(0.10).max(1);
    let histogram = if top as f64 / p10 as f64 > LOG_BINS_ABOVE {
        log_edges(h.value_at_quantile(0.001).max(1), top)
            .windows(2)
            .map(|e| bin(e[0], e[1]))
            .collect()
    } else {
        let width = top.div_ceil(HISTOGRAM_BINS);
        (0..HISTOGRAM_BINS)
            .map(|b| bin(b * width, (b + 1) * width))
            .collect()
    };
    ResponseDistribution { cdf, histogram }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_edges_grow_by_a_constant_ratio() {
        let e = log_edges(1000, 100_000_000);
        assert_eq!((e[0], *e.last().unwrap()), (1000, 100_000_000));
        assert_eq!(e.len() as u64, HISTOGRAM_BINS + 1);
        let ratios: Vec<f64> = e.windows(2).map(|w| w[1] as f64 / w[0] as f64).collect();
        for r in &ratios {
            assert!((r / ratios[0] - 1.0).abs() < 0.05, "{ratios:?}");
        }
        // Narrow bins at the bottom merge rather than repeat an edge.
        let e = log_edges(1, 200);
        assert!(e.windows(2).all(|w| w[0] < w[1]), "{e:?}");
    }

    #[test]
    fn half_width_uses_student_t() {
        // t_{0.975, 9} = 2.262157 (any t table).
        let h = confidence_half_width(4.0, 10);
        assert!((h - 2.262157 * 2.0 / 10f64.sqrt()).abs() < 1e-5, "{h}");
    }

    #[test]
    fn estimate_ignores_replications_without_data() {
        let e = Estimate::from_values(&[1.0, f64::NAN, 3.0]);
        assert_eq!(e.mean, 2.0);
        assert!(e.ci95.is_some());
        let e = Estimate::from_values(&[5.0]);
        assert_eq!((e.mean, e.ci95), (5.0, None));
    }
}
