//! Server failures seen by the statistics: per node, the server time spent
//! down, the failures and the jobs they interrupted, over the measured
//! window; and their summary over replications (availability = 1 − down
//! server time / (servers × window)).

use super::{Column, Estimate};

/// One node's failure figures in one replication.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ServerCounts {
    /// Servers down now.
    pub down: u32,
    last_change: f64,
    /// ∫ servers down dt over the window.
    pub down_area: f64,
    /// Failures in the window.
    pub failures: u64,
    /// Of them, failures of a server that was running a job.
    pub interrupted: u64,
}

impl ServerCounts {
    fn advance(&mut self, now: f64) {
        self.down_area += f64::from(self.down) * (now - self.last_change);
        self.last_change = now;
    }

    pub(crate) fn went_down(&mut self, now: f64, measuring: bool, interrupted: bool) {
        self.advance(now);
        self.down += 1;
        self.failures += u64::from(measuring);
        self.interrupted += u64::from(measuring && interrupted);
    }

    pub(crate) fn went_up(&mut self, now: f64) {
        self.advance(now);
        self.down -= 1;
    }

    /// The window starts: the servers down now stay down.
    pub(crate) fn reset(&mut self, now: f64) {
        self.advance(now);
        self.down_area = 0.0;
        self.failures = 0;
        self.interrupted = 0;
    }

    pub(crate) fn end(&mut self, now: f64) {
        self.advance(now);
    }
}

/// The failure figures of a row over replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerSummary {
    /// Fraction of server time up.
    pub availability: Estimate,
    /// Failures per replication's window.
    pub failures: Estimate,
    /// Failures that interrupted a job, per window.
    pub interrupted: Estimate,
}

/// The failure figures of one row over replications (one `counts` and
/// `windows` entry per replication).
pub fn summarize(counts: &[ServerCounts], servers: f64, windows: &[f64]) -> ServerSummary {
    let mut fold = ServerFold::default();
    for (c, &w) in counts.iter().zip(windows) {
        fold.push(c, servers, w);
    }
    fold.summary()
}

/// [`summarize`] one replication at a time, in replication order.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerFold {
    up: Column,
    failures: Column,
    interrupted: Column,
}

impl ServerFold {
    /// Adds a replication's counts, over `servers` servers and a window of `window`.
    pub fn push(&mut self, c: &ServerCounts, servers: f64, window: f64) {
        self.up.push(if window > 0.0 {
            1.0 - c.down_area / (servers * window)
        } else {
            f64::NAN
        });
        self.failures.push(c.failures as f64);
        self.interrupted.push(c.interrupted as f64);
    }

    pub fn summary(&self) -> ServerSummary {
        ServerSummary {
            availability: self.up.estimate(),
            failures: self.failures.estimate(),
            interrupted: self.interrupted.estimate(),
        }
    }
}

/// Adds two nodes' counts of one replication (for the overall row).
pub fn add(a: ServerCounts, b: &ServerCounts) -> ServerCounts {
    ServerCounts {
        down: a.down + b.down,
        last_change: a.last_change.max(b.last_change),
        down_area: a.down_area + b.down_area,
        failures: a.failures + b.failures,
        interrupted: a.interrupted + b.interrupted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_time_counts_only_in_the_window() {
        let mut c = ServerCounts::default();
        c.went_down(1.0, false, true);
        c.reset(2.0);
        c.went_up(3.0);
        c.went_down(5.0, true, false);
        c.went_down(6.0, true, true);
        c.end(10.0);
        // Down 2..3 (1 server), 5..6 (1), 6..10 (2): 1 + 1 + 8.
        assert_eq!(c.down_area, 10.0);
        assert_eq!((c.failures, c.interrupted), (2, 1));
        let s = summarize(&[c, c], 2.0, &[8.0, 8.0]);
        assert!((s.availability.mean - (1.0 - 10.0 / 16.0)).abs() < 1e-12);
        assert_eq!(s.failures.mean, 2.0);
    }
}
