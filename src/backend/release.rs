//! The dispatcher thread: releases each task into its node's pool at its
//! scaled arrival instant, and measures how late each release is.

use std::time::Instant;

use super::pool::{Pool, WorkerConfig};
use super::work::Timer;
use crate::job::JobId;

/// One release: which pool, which task of that pool, and when it is due.
#[derive(Debug, Clone, Copy)]
pub struct Release {
    pub pool: usize,
    pub id: JobId,
    pub due: Instant,
}

/// Releases `schedule` (in order of `due`) into `pools`, waiting for each
/// due instant by sleeping and then spinning its last stretch; closes every
/// pool at the end. Returns each release's lateness in seconds.
pub fn dispatch(
    pools: &[Pool],
    schedule: &[Release],
    timer: &Timer,
    cfg: &WorkerConfig,
) -> Vec<f64> {
    let mut lateness = Vec::with_capacity(schedule.len());
    for r in schedule {
        timer.wait_until(r.due);
        let now = Instant::now();
        pools[r.pool].release(r.id, now, cfg);
        lateness.push(now.saturating_duration_since(r.due).as_secs_f64());
    }
    for p in pools {
        p.close();
    }
    lateness
}
