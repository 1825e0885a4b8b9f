//! Alarms as a run goes: raised when their condition starts to hold,
//! cleared when it stops, timed over the measured window.
//!
//! A windowed count ("at least n failures within the last w") keeps only
//! the last n event times: the condition holds at t exactly when the n-th
//! newest is later than t − w, so it clears at (oldest kept) + w unless a
//! new event comes first. Clearing is applied lazily, at the next event or
//! at the end, at the time it happened: no timer on the calendar.

use std::collections::VecDeque;

/// Raise-to-clear intervals kept per alarm and replication: enough for a
/// timeline to read, bounded so a flapping alarm over a long run cannot
/// grow memory (at 16 bytes an interval, 160 KB per alarm).
pub const MAX_INTERVALS: usize = 10_000;

use super::Estimate;
use crate::model::alarms::{Alarm, Condition};

/// One alarm's state and figures in one replication.
#[derive(Debug, Clone)]
pub struct AlarmState {
    pub alarm: Alarm,
    /// Windowed conditions: the last `count` event times.
    recent: VecDeque<f64>,
    /// Level conditions: the value watched (jobs waiting, servers down)
    /// and since when it has been above 0.
    level: u32,
    level_since: f64,
    raised: bool,
    raised_at: f64,
    measuring: bool,
    window_start: f64,
    /// Raises in the measured window.
    pub raises: u64,
    /// Time raised within the window.
    pub time_raised: f64,
    /// First raise in the window (NaN if none).
    pub first_raised: f64,
    /// Σ delays from cause to raise, over raises with a cause.
    pub delay_sum: f64,
    pub delays: u64,
    /// The first [`MAX_INTERVALS`] raised intervals `(from, to)` within the
    /// window (an interval open at the window's start begins there, one
    /// open at the end ends there), and how many more were left out.
    pub intervals: Vec<(f64, f64)>,
    pub intervals_dropped: u64,
}

impl AlarmState {
    pub fn new(alarm: Alarm) -> AlarmState {
        AlarmState {
            alarm,
            recent: VecDeque::new(),
            level: 0,
            level_since: 0.0,
            raised: false,
            raised_at: 0.0,
            measuring: false,
            window_start: 0.0,
            raises: 0,
            time_raised: 0.0,
            first_raised: f64::NAN,
            delay_sum: 0.0,
            delays: 0,
            intervals: Vec::new(),
            intervals_dropped: 0,
        }
    }

    fn record(&mut self, from: f64, to: f64) {
        if self.intervals.len() < MAX_INTERVALS {
            self.intervals.push((from, to));
        } else {
            self.intervals_dropped += 1;
        }
    }

    pub fn is_raised(&self) -> bool {
        self.raised
    }

    fn raise(&mut self, now: f64, cause: f64) {
        self.raised = true;
        self.raised_at = now;
        if self.measuring {
            self.raises += 1;
            if self.first_raised.is_nan() {
                self.first_raised = now;
            }
            if cause.is_finite() {
                self.delay_sum += now - cause;
                self.delays += 1;
            }
        }
    }

    fn clear(&mut self, at: f64) {
        if self.measuring {
            let from = self.raised_at.max(self.window_start);
            self.time_raised += at - from;
            self.record(from, at);
        }
        self.raised = false;
    }

    /// (count, window) of a windowed condition.
    fn windowed(&self) -> Option<(u32, f64)> {
        match self.alarm.when {
            Condition::Failures { count, window } | Condition::GaveUp { count, window } => {
                Some((count, window))
            }
            _ => None,
        }
    }

    /// Applies the clearings due by `now`.
    pub fn advance(&mut self, now: f64) {
        let Some((count, window)) = self.windowed() else {
            return;
        };
        while let Some(&oldest) = self.recent.front() {
            if oldest + window > now {
                break;
            }
            if self.raised && self.recent.len() == count as usize {
                self.clear(oldest + window);
            }
            self.recent.pop_front();
        }
    }

    /// A counted event (a failed attempt, a give-up) at `now`.
    pub fn event(&mut self, now: f64) {
        let Some((count, _)) = self.windowed() else {
            return;
        };
        self.advance(now);
        self.recent.push_back(now);
        if self.recent.len() > count as usize {
            self.recent.pop_front();
        }
        if !self.raised && self.recent.len() == count as usize {
            // Failure alarms measure from the first failure counted;
            // give-ups have no failure to measure from.
            let cause = match self.alarm.when {
                Condition::Failures { .. } => self.recent.front().copied().unwrap_or(now),
                _ => f64::NAN,
            };
            self.raise(now, cause);
        }
    }

    /// The watched level (jobs waiting, servers down) is now `level`.
    pub fn set_level(&mut self, now: f64, level: u32) {
        let threshold = match self.alarm.when {
            Condition::Queue { jobs, .. } => jobs,
            Condition::ServersDown { servers, .. } => servers,
            _ => return,
        };
        if self.level == 0 && level > 0 {
            self.level_since = now;
        }
        self.level = level;
        let holds = level >= threshold;
        if holds && !self.raised {
            // Servers-down alarms measure from the first failure of the episode.
            let cause = match self.alarm.when {
                Condition::ServersDown { .. } => self.level_since,
                _ => f64::NAN,
            };
            self.raise(now, cause);
        } else if !holds && self.raised {
            self.clear(now);
        }
    }

    /// The measured window starts.
    pub fn start_window(&mut self, now: f64) {
        self.advance(now);
        self.measuring = true;
        self.window_start = now;
        self.raises = 0;
        self.time_raised = 0.0;
        self.first_raised = f64::NAN;
        self.delay_sum = 0.0;
        self.delays = 0;
        self.intervals.clear();
        self.intervals_dropped = 0;
    }

    /// The run ends: a raised alarm counts its time up to `now`.
    pub fn end(&mut self, now: f64) {
        self.advance(now);
        if self.raised && self.measuring {
            let from = self.raised_at.max(self.window_start);
            self.time_raised += now - from;
            if now > from {
                self.record(from, now);
            }
            self.raised_at = now;
        }
    }
}

/// One alarm's figures over replications.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSummary {
    pub name: String,
    /// Raises per replication's window.
    pub raised: Estimate,
    /// Fraction of the window the alarm was raised.
    pub fraction_raised: Estimate,
    /// Mean over the replications that raised it of the first raise
    /// (absolute time); NaN when none did.
    pub first_raised: f64,
    /// Mean delay from cause to raise (failures and servers-down alarms:
    /// from the first failure counted, or of the episode); NaN without one.
    pub mean_delay: f64,
    /// Replication 0's raised intervals in its window (at most
    /// [`MAX_INTERVALS`]) and how many more it had.
    pub intervals: Vec<(f64, f64)>,
    pub intervals_dropped: u64,
}

/// The figures of each alarm over `reps` (each replication's alarm
/// states, in the scenario's order, with its window length).
pub fn summarize(reps: &[(&[AlarmState], f64)]) -> Vec<AlarmSummary> {
    let Some((first, _)) = reps.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|i| {
            let states: Vec<(&AlarmState, f64)> = reps.iter().map(|(a, w)| (&a[i], *w)).collect();
            let raised: Vec<f64> = states.iter().map(|(a, _)| a.raises as f64).collect();
            let fraction: Vec<f64> = states
                .iter()
                .map(|(a, w)| {
                    if *w > 0.0 {
                        a.time_raised / w
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            let firsts: Vec<f64> = states
                .iter()
                .map(|(a, _)| a.first_raised)
                .filter(|t| t.is_finite())
                .collect();
            let (delay, delays) = states.iter().fold((0.0, 0u64), |(s, n), (a, _)| {
                (s + a.delay_sum, n + a.delays)
            });
            AlarmSummary {
                name: first[i].alarm.name.clone(),
                raised: Estimate::from_values(&raised),
                fraction_raised: Estimate::from_values(&fraction),
                first_raised: if firsts.is_empty() {
                    f64::NAN
                } else {
                    firsts.iter().sum::<f64>() / firsts.len() as f64
                },
                mean_delay: if delays == 0 {
                    f64::NAN
                } else {
                    delay / delays as f64
                },
                intervals: first[i].intervals.clone(),
                intervals_dropped: first[i].intervals_dropped,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(when: Condition) -> AlarmState {
        let mut s = AlarmState::new(Alarm {
            name: "a".into(),
            when,
        });
        s.start_window(0.0);
        s
    }

    #[test]
    fn a_windowed_count_raises_at_the_nth_event_and_clears_when_it_ages_out() {
        let mut s = state(Condition::Failures {
            count: 3,
            window: 10.0,
        });
        for t in [1.0, 2.0, 4.0] {
            s.event(t);
        }
        // Raised at 4 (failures at 1, 2, 4); the one at 1 ages out at 11.
        assert!(s.is_raised());
        assert_eq!((s.raises, s.first_raised), (1, 4.0));
        assert_eq!(s.delay_sum, 3.0);
        s.event(5.0); // still 3 within (5 - 10, 5]
        s.advance(12.5); // 2 ages out at 12: 4, 5 left
        assert!(!s.is_raised());
        // 4 .. 12 raised.
        assert_eq!(s.time_raised, 8.0);
        s.event(20.0);
        s.event(21.0);
        s.event(22.0);
        s.end(25.0);
        assert_eq!(s.raises, 2);
        assert_eq!(s.time_raised, 8.0 + 3.0);
        // Raised 4 .. 12, then from 22 to the end.
        assert_eq!(s.intervals, [(4.0, 12.0), (22.0, 25.0)]);
    }

    #[test]
    fn intervals_are_clipped_to_the_window_and_bounded() {
        let mut s = AlarmState::new(Alarm {
            name: "a".into(),
            when: Condition::Queue { jobs: 1, node: 0 },
        });
        s.set_level(1.0, 1);
        s.start_window(2.0);
        s.set_level(3.0, 0);
        for k in 0..MAX_INTERVALS as u32 + 5 {
            let t = 4.0 + f64::from(k);
            s.set_level(t, 1);
            s.set_level(t + 0.5, 0);
        }
        s.end(1e9);
        // Raised before the window: counted from its start.
        assert_eq!(s.intervals[0], (2.0, 3.0));
        assert_eq!(s.intervals[1], (4.0, 4.5));
        assert_eq!(s.intervals.len(), MAX_INTERVALS);
        assert_eq!(s.intervals_dropped, 6);
        // The figures still count every interval.
        assert_eq!(s.time_raised, 1.0 + 0.5 * (MAX_INTERVALS as f64 + 5.0));
        let summary = summarize(&[(std::slice::from_ref(&s), 1e9)]);
        assert_eq!(summary[0].intervals.len(), MAX_INTERVALS);
        assert_eq!(summary[0].intervals_dropped, 6);
    }

    #[test]
    fn level_conditions_hold_while_the_level_is_high() {
        let mut s = state(Condition::ServersDown {
            servers: 2,
            node: 0,
        });
        s.set_level(1.0, 1);
        s.set_level(3.0, 2);
        assert!(s.is_raised());
        // Measured from the first failure of the episode.
        assert_eq!(s.delay_sum, 2.0);
        s.set_level(4.0, 1);
        s.set_level(6.0, 2);
        s.end(7.0);
        assert_eq!(s.raises, 2);
        assert_eq!(s.time_raised, 1.0 + 1.0);
        assert_eq!(s.delay_sum, 2.0 + 5.0);
    }

    #[test]
    fn only_the_window_counts() {
        let mut s = AlarmState::new(Alarm {
            name: "a".into(),
            when: Condition::GaveUp {
                count: 1,
                window: f64::INFINITY,
            },
        });
        s.event(1.0);
        s.start_window(5.0);
        s.end(9.0);
        // Raised before the window and never cleared: 4 units, no raise counted.
        assert_eq!((s.raises, s.time_raised), (0, 4.0));
        assert!(s.first_raised.is_nan());
    }
}
