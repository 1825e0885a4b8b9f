//! The observer that turns engine events into statistics.
//!
//! Figures are kept per cell (class × node) and added up afterwards: sums,
//! time integrals and histograms are all additive, so one update per event
//! serves the overall, per-class and per-node rows alike.

use hdrhistogram::Histogram;

use super::Welford;
use crate::engine::Observer;
use crate::job::Job;

/// Relative precision of response-time quantiles: 3 significant digits.
const SIGNIFICANT_DIGITS: u8 = 3;
/// Histogram range in units of its resolution; values above saturate.
const HIGHEST_UNITS: u64 = 1 << 50;

/// Statistics of one (class, node) cell over the measured window.
#[derive(Debug, Clone)]
pub struct CellStats {
    /// Jobs of the cell present now, and servers it holds now.
    in_system: u32,
    /// Servers' worth of capacity held (whole servers, or shares at a sharing node).
    busy: f64,
    last_change: f64,
    /// ∫ number in system dt and ∫ busy servers dt over the window.
    pub area_in_system: f64,
    pub area_busy: f64,
    pub wait: Welford,
    pub response: Welford,
    /// Sum of response time over the job's time in service alone (size /
    /// speed): only its mean per replication is reported, so a sum (with
    /// `response.count`) is all the hot path pays for.
    pub slowdown_sum: f64,
    /// Completions after their deadline.
    pub deadline_misses: u64,
    /// Arrivals admitted, and turned away because the node was full.
    pub admitted: u64,
    pub blocked: u64,
    /// Response times in units of `Recorder::resolution`.
    pub response_hist: Histogram<u64>,
}

impl CellStats {
    fn new() -> CellStats {
        CellStats {
            in_system: 0,
            busy: 0.0,
            last_change: 0.0,
            area_in_system: 0.0,
            area_busy: 0.0,
            wait: Welford::default(),
            response: Welford::default(),
            slowdown_sum: 0.0,
            deadline_misses: 0,
            admitted: 0,
            blocked: 0,
            response_hist: Histogram::new_with_bounds(1, HIGHEST_UNITS, SIGNIFICANT_DIGITS)
                .expect("static histogram bounds are valid"),
        }
    }

    /// Accumulates the areas up to `now` before a count changes.
    #[inline]
    fn advance(&mut self, now: f64) {
        let dt = now - self.last_change;
        self.area_in_system += f64::from(self.in_system) * dt;
        self.area_busy += self.busy * dt;
        self.last_change = now;
    }
}

/// Collects the statistics of one replication.
#[derive(Debug, Clone)]
pub struct Recorder {
    classes: usize,
    cells: Vec<CellStats>,
    measuring: bool,
    /// Per node column: 1 / speed, turning a size into time in service.
    inv_speed: Vec<f64>,
    /// Time units per histogram unit.
    resolution: f64,
    inv_resolution: f64,
    pub window_start: f64,
    pub window_end: f64,
}

impl Recorder {
    /// One column per entry of `speeds` (the nodes' speeds, plus 1 for a
    /// central queue). `resolution` is the smallest response-time
    /// difference the quantiles resolve; pick it well below the smallest
    /// mean service time.
    pub fn new(classes: usize, speeds: &[f64], resolution: f64) -> Recorder {
        Recorder {
            classes,
            cells: (0..classes * speeds.len())
                .map(|_| CellStats::new())
                .collect(),
            measuring: false,
            inv_speed: speeds.iter().map(|s| 1.0 / s).collect(),
            resolution,
            inv_resolution: 1.0 / resolution,
            window_start: 0.0,
            window_end: 0.0,
        }
    }

    #[inline]
    fn cell(&mut self, job: &Job) -> &mut CellStats {
        &mut self.cells[job.node as usize * self.classes + job.class as usize]
    }

    /// The cell of (class, node).
    pub fn cell_at(&self, class: usize, node: usize) -> &CellStats {
        &self.cells[node * self.classes + class]
    }

    pub fn resolution(&self) -> f64 {
        self.resolution
    }

    /// Classes (cells in each node column).
    pub fn cells_per_column(&self) -> usize {
        self.classes
    }

    /// Node columns (nodes, plus the central queue under pull dispatching).
    pub fn columns(&self) -> usize {
        self.cells.len() / self.classes
    }

    /// Length of the measured window.
    pub fn window(&self) -> f64 {
        self.window_end - self.window_start
    }

    /// Mean response time over every cell (NaN without completions).
    pub fn overall_mean_response(&self) -> f64 {
        let mut all = Welford::default();
        for c in &self.cells {
            all.merge(&c.response);
        }
        if all.count == 0 { f64::NAN } else { all.mean }
    }
}

impl Observer for Recorder {
    #[inline]
    fn on_arrival(&mut self, now: f64, job: &Job) {
        let measuring = self.measuring;
        let c = self.cell(job);
        c.advance(now);
        c.in_system += 1;
        c.admitted += u64::from(measuring);
    }

    fn on_block(&mut self, _now: f64, job: &Job) {
        let measuring = self.measuring;
        self.cell(job).blocked += u64::from(measuring);
    }

    #[inline]
    fn on_start(&mut self, now: f64, job: &Job, _server: u32) {
        let c = self.cell(job);
        c.advance(now);
        c.busy += 1.0;
    }

    #[inline]
    fn on_stop(&mut self, now: f64, job: &Job, _server: u32) {
        let c = self.cell(job);
        c.advance(now);
        c.busy -= 1.0;
    }

    fn on_move(&mut self, now: f64, job: &Job, from: u32) {
        let from = &mut self.cells[from as usize * self.classes + job.class as usize];
        from.advance(now);
        from.in_system -= 1;
        let to = self.cell(job);
        to.advance(now);
        to.in_system += 1;
    }

    fn on_shares(&mut self, now: f64, node: u32, busy: &[f64]) {
        let base = node as usize * self.classes;
        for (c, &b) in self.cells[base..base + self.classes].iter_mut().zip(busy) {
            c.advance(now);
            c.busy = b;
        }
    }

    #[inline(always)]
    fn on_complete(&mut self, now: f64, job: &Job) {
        let measuring = self.measuring;
        let inv = self.inv_resolution;
        let inv_speed = self.inv_speed[job.node as usize];
        let c = self.cell(job);
        c.advance(now);
        c.in_system -= 1;
        if measuring {
            let response = now - job.arrival;
            // Rounding can leave a hair below zero when the job never waited.
            let wait = (response - job.served).max(0.0);
            c.response.push(response);
            c.wait.push(wait);
            c.slowdown_sum += response / (job.size * inv_speed);
            c.deadline_misses += u64::from(now > job.deadline);
            c.response_hist
                .saturating_record(((response * inv) as u64).max(1));
        }
    }

    fn on_measure_start(&mut self, now: f64) {
        self.measuring = true;
        self.window_start = now;
        for c in &mut self.cells {
            c.advance(now);
            c.area_in_system = 0.0;
            c.area_busy = 0.0;
            c.wait = Welford::default();
            c.response = Welford::default();
            c.slowdown_sum = 0.0;
            c.deadline_misses = 0;
            c.admitted = 0;
            c.blocked = 0;
            c.response_hist.reset();
        }
    }

    fn on_end(&mut self, now: f64) {
        self.window_end = now;
        for c in &mut self.cells {
            c.advance(now);
        }
    }
}
