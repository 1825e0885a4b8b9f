//! What the alarms and the node failure figures of a validation look at,
//! real or simulated: the run's signals (attempts that failed or timed
//! out, give-ups, servers going down and up, queue levels), stamped in
//! model time units, replayed in time order into the engine's own
//! [`AlarmState`] and [`ServerCounts`].
//!
//! The real run's pools log their signals behind their own locks, each
//! at the instant it stands for (a timer's due instant, a failure's drawn
//! instant), so one pool's log is not quite in time order and the pools'
//! logs interleave: sorting them and feeding both sides through one
//! replay makes the real and simulated figures the same computation.

use crate::model::alarms::{Alarm, Condition};
use crate::stats::alarms::AlarmState;
use crate::stats::servers::ServerCounts;

/// Something an alarm or a node's failure figures count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    /// An attempt ended failed or timed out.
    Failed,
    /// A task was given up.
    GaveUp,
    /// A server of `node` failed, running a task or not.
    Down { node: u32, interrupted: bool },
    /// A server of `node` was repaired.
    Up { node: u32 },
    /// `level` tasks now wait at `node` (present, not served).
    Queue { node: u32, level: u32 },
}

/// A signal at model time `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamped {
    pub at: f64,
    pub what: Signal,
}

/// The alarms and server failures of one run over its measured window.
#[derive(Debug, Clone)]
pub struct Watched {
    /// In the scenario's order.
    pub alarms: Vec<AlarmState>,
    /// Per node.
    pub servers: Vec<ServerCounts>,
    pub start: f64,
    pub end: f64,
}

impl Watched {
    pub fn window(&self) -> f64 {
        self.end - self.start
    }
}

/// Replays `signals` (in any order) over the window `[start, end]` into
/// `alarms` and per-node server counts of `nodes` nodes; those after
/// `end` are left out.
pub fn replay(
    signals: &[Stamped],
    alarms: &[Alarm],
    nodes: usize,
    start: f64,
    end: f64,
) -> Watched {
    let mut order: Vec<Stamped> = signals.to_vec();
    // Stable: equal instants keep the order they were logged in.
    order.sort_by(|a, b| a.at.total_cmp(&b.at));
    let mut w = Watched {
        alarms: alarms.iter().cloned().map(AlarmState::new).collect(),
        servers: vec![ServerCounts::default(); nodes],
        start,
        end,
    };
    let mut measuring = false;
    for (k, &s) in order.iter().enumerate() {
        if s.at > end {
            break;
        }
        // A queue passes through levels in no time as the engine moves a
        // job (a service ends before the next starts), which the real
        // pools, logging once per change under their lock, never show:
        // only the level a node's queue is left at, at each instant, counts.
        if let Signal::Queue { node, .. } = s.what
            && order.get(k + 1).is_some_and(|n| {
                n.at == s.at && matches!(n.what, Signal::Queue { node: m, .. } if m == node)
            })
        {
            continue;
        }
        if !measuring && s.at >= start {
            w.open(start);
            measuring = true;
        }
        let at = s.at;
        match s.what {
            Signal::Failed => w.count(at, true),
            Signal::GaveUp => w.count(at, false),
            Signal::Down { node, interrupted } => {
                let c = &mut w.servers[node as usize];
                c.went_down(at, measuring, interrupted);
                let down = c.down;
                w.level(at, node, down, true);
            }
            Signal::Up { node } => {
                let c = &mut w.servers[node as usize];
                // A repair of a failure the log does not hold would
                // underflow; the pools log both ends of every down period.
                if c.down > 0 {
                    c.went_up(at);
                }
                let down = c.down;
                w.level(at, node, down, true);
            }
            Signal::Queue { node, level } => w.level(at, node, level, false),
        }
    }
    if !measuring {
        w.open(start);
    }
    for c in &mut w.servers {
        c.end(end);
    }
    for a in &mut w.alarms {
        a.end(end);
    }
    w
}

impl Watched {
    fn open(&mut self, start: f64) {
        for c in &mut self.servers {
            c.reset(start);
        }
        for a in &mut self.alarms {
            a.start_window(start);
        }
    }

    /// A windowed alarm's event: a failed attempt, else a give-up.
    fn count(&mut self, at: f64, failure: bool) {
        for a in &mut self.alarms {
            match a.alarm.when {
                Condition::Failures { .. } if failure => a.event(at),
                Condition::GaveUp { .. } if !failure => a.event(at),
                _ => {}
            }
        }
    }

    /// A level alarm on `node`: servers down, else jobs waiting.
    fn level(&mut self, at: f64, node: u32, level: u32, servers: bool) {
        for a in &mut self.alarms {
            match a.alarm.when {
                Condition::ServersDown { node: n, .. } if servers && n == node as usize => {
                    a.set_level(at, level)
                }
                Condition::Queue { node: n, .. } if !servers && n == node as usize => {
                    a.set_level(at, level)
                }
                _ => {}
            }
        }
    }
}

/// Per node: whether some alarm watches its queue (only then do the runs
/// log queue levels).
pub fn queue_watched(alarms: &[Alarm], nodes: usize) -> Vec<bool> {
    let mut watched = vec![false; nodes];
    for a in alarms {
        if let Condition::Queue { node, .. } = a.when
            && let Some(w) = watched.get_mut(node)
        {
            *w = true;
        }
    }
    watched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_out_of_order_replay_in_time_order() {
        let alarms = [
            Alarm {
                name: "down".into(),
                when: Condition::ServersDown {
                    servers: 2,
                    node: 0,
                },
            },
            Alarm {
                name: "gave-up".into(),
                when: Condition::GaveUp {
                    count: 1,
                    window: f64::INFINITY,
                },
            },
        ];
        let s = |at, what| Stamped { at, what };
        let signals = [
            s(
                3.0,
                Signal::Down {
                    node: 0,
                    interrupted: true,
                },
            ),
            s(
                1.0,
                Signal::Down {
                    node: 0,
                    interrupted: false,
                },
            ),
            s(4.0, Signal::Up { node: 0 }),
            s(6.0, Signal::Up { node: 0 }),
            s(5.0, Signal::GaveUp),
        ];
        let w = replay(&signals, &alarms, 1, 0.0, 10.0);
        let c = &w.servers[0];
        // Down 1..6 and 3..4: 6 server-time units of 2 × 10.
        assert_eq!((c.failures, c.interrupted), (2, 1));
        assert!((c.down_area - 6.0).abs() < 1e-12);
        // Two down from 3 to 4, raised once, 2 after the first failure.
        assert_eq!(w.alarms[0].raises, 1);
        assert!((w.alarms[0].time_raised - 1.0).abs() < 1e-12);
        assert!((w.alarms[0].delay_sum - 2.0).abs() < 1e-12);
        assert_eq!(w.alarms[1].raises, 1);
        assert_eq!(w.alarms[1].first_raised, 5.0);
        // A queue level that lasts no time is not seen.
        let queue = [Alarm {
            name: "q".into(),
            when: Condition::Queue { jobs: 2, node: 0 },
        }];
        let level = |at, level| s(at, Signal::Queue { node: 0, level });
        let w = replay(
            &[level(1.0, 1), level(2.0, 2), level(2.0, 1), level(3.0, 2)],
            &queue,
            1,
            0.0,
            4.0,
        );
        assert_eq!(w.alarms[0].raises, 1);
        assert!((w.alarms[0].time_raised - 1.0).abs() < 1e-12);
        // Only the window counts.
        let w = replay(&signals, &alarms, 1, 2.0, 10.0);
        assert_eq!(w.servers[0].failures, 1);
        assert!((w.servers[0].down_area - 5.0).abs() < 1e-12);
    }
}
