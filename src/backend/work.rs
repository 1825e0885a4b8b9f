//! What a worker does while a task holds it: sleep (I/O-like) or spin
//! (CPU-bound busy work), and the timing helpers both rest on.
//!
//! `thread::sleep` wakes late by a roughly constant overshoot (the timer
//! slack and the scheduler's wake-up latency). [`Timer`] measures it at
//! start-up, sleeps until that much before the deadline and spins the rest,
//! so a deadline is met to within a few microseconds when the machine is
//! not overloaded, instead of 50–100 µs late.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How a task's service requirement is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkMode {
    /// The worker sleeps for the service time (I/O-like work).
    Sleep,
    /// The worker computes for the service time (CPU-bound work, calibrated
    /// at start-up); it competes for cores, so it is meaningful only while
    /// servers <= cores.
    Spin,
}

impl WorkMode {
    pub fn name(self) -> &'static str {
        match self {
            WorkMode::Sleep => "sleep",
            WorkMode::Spin => "spin",
        }
    }
}

/// Measured properties of this machine's clocks, taken at start-up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timer {
    /// Smallest nonzero difference between two consecutive `Instant::now()`.
    pub clock_resolution: Duration,
    /// Median of how late a 1 ms `thread::sleep` wakes up.
    pub sleep_overshoot: Duration,
    /// 90th percentile of that lateness.
    pub sleep_overshoot_p90: Duration,
    /// How long the sleeper wakes before a deadline to spin the rest:
    /// the median overshoot plus `SPIN_EXTRA`, at most `MAX_SPIN`.
    pub spin_margin: Duration,
}

/// Spin this much beyond the median overshoot, for the wake-ups a little later than it.
const SPIN_EXTRA: Duration = Duration::from_micros(25);
/// Never spin longer than this before a deadline, whatever was measured: on
/// a busy machine the calibration can catch a wake-up milliseconds late, and
/// spinning that long would take the cores the other threads need.
const MAX_SPIN: Duration = Duration::from_micros(150);

impl Timer {
    /// Measures the clock resolution and the sleep overshoot (about 30 ms).
    pub fn calibrate() -> Timer {
        let mut resolution = Duration::MAX;
        for _ in 0..10_000 {
            let a = Instant::now();
            let mut b = Instant::now();
            while b == a {
                b = Instant::now();
            }
            resolution = resolution.min(b - a);
        }
        let mut late: Vec<Duration> = (0..25)
            .map(|_| {
                let want = Duration::from_millis(1);
                let t = Instant::now();
                std::thread::sleep(want);
                t.elapsed().saturating_sub(want)
            })
            .collect();
        late.sort();
        let median = late[late.len() / 2];
        let p90 = late[late.len() * 9 / 10];
        Timer {
            clock_resolution: resolution,
            sleep_overshoot: median,
            sleep_overshoot_p90: p90,
            spin_margin: (median + SPIN_EXTRA).min(MAX_SPIN),
        }
    }

    /// Waits until `deadline`: sleeps until `spin_margin` before it, then
    /// spins the rest.
    pub fn wait_until(&self, deadline: Instant) {
        let now = Instant::now();
        if deadline > now + self.spin_margin {
            std::thread::sleep(deadline - now - self.spin_margin);
        }
        // No yielding: on Linux a thread that yields to a CPU-bound process
        // loses the core for that process's whole time slice (milliseconds),
        // while one that mostly sleeps, as these do, keeps it.
        while Instant::now() < deadline {
            std::hint::spin_loop();
        }
    }
}

/// Busy work whose amount is calibrated in iterations per nanosecond.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spinner {
    pub iterations_per_ns: f64,
}

/// One unit of busy work: a step of a xorshift generator.
#[inline]
fn spin_step(x: u64) -> u64 {
    let mut x = x;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

fn spin_iterations(n: u64) -> u64 {
    let mut x = black_box(0x9E37_79B9_7F4A_7C15u64);
    for _ in 0..n {
        x = spin_step(black_box(x));
    }
    black_box(x)
}

impl Spinner {
    /// Times the busy loop for a few milliseconds and keeps the fastest of
    /// several rounds (the one least disturbed by other processes).
    pub fn calibrate() -> Spinner {
        let n = 200_000u64;
        let mut best = f64::INFINITY;
        for _ in 0..15 {
            let t = Instant::now();
            spin_iterations(n);
            best = best.min(t.elapsed().as_nanos().max(1) as f64);
        }
        Spinner {
            iterations_per_ns: n as f64 / best,
        }
    }

    /// Does `d` worth of busy work, as calibrated.
    pub fn spin(&self, d: Duration) {
        spin_iterations((d.as_nanos() as f64 * self.iterations_per_ns) as u64);
    }
}

/// Executes `d` of work in the given mode.
#[derive(Debug, Clone, Copy)]
pub struct Work {
    pub mode: WorkMode,
    pub timer: Timer,
    pub spinner: Option<Spinner>,
}

impl Work {
    /// Calibrates what the mode needs.
    pub fn new(mode: WorkMode) -> Work {
        Work {
            mode,
            timer: Timer::calibrate(),
            spinner: (mode == WorkMode::Spin).then(Spinner::calibrate),
        }
    }

    /// Holds the calling thread for `d` of work.
    pub fn execute(&self, d: Duration) {
        match (self.mode, &self.spinner) {
            (WorkMode::Spin, Some(s)) => s.spin(d),
            _ => self.timer.wait_until(Instant::now() + d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_work_lasts_at_least_its_duration() {
        let w = Work::new(WorkMode::Sleep);
        let t = Instant::now();
        w.execute(Duration::from_millis(3));
        assert!(t.elapsed() >= Duration::from_millis(3));
        assert!(w.timer.clock_resolution < Duration::from_millis(1));
    }

    #[test]
    fn spin_calibration_is_positive() {
        let s = Spinner::calibrate();
        assert!(s.iterations_per_ns > 0.0);
        let t = Instant::now();
        s.spin(Duration::from_millis(2));
        // Calibrated on the fastest round, so never much shorter than asked.
        assert!(t.elapsed() >= Duration::from_micros(1500));
    }
}
