//! A node's server schedule (its shifts):
//! `schedule = { cycle = 24.0, servers = [[0.0, 2], [8.0, 6], [18.0, 3]], on_leave = "finish" }`.
//!
//! From each start time on, the given number of servers is on shift, up
//! to the next start; with a `cycle` the pattern repeats (the last count
//! holds until the cycle ends), without one the last count holds for
//! ever. When a shift ends with fewer servers, idle servers leave first;
//! a busy one that must leave either finishes its job and then leaves
//! (`"finish"`, Ciw's non-preemptive schedules) or leaves at once, its
//! job going back to the head of the node's line to continue where it
//! stopped (`"resume"`), start over (`"restart"`) or start over with a
//! new size drawn (`"resample"`), the preemptive options of Ciw's
//! `schedules` (Palmer, Knight, Harper & Tuson, "Ciw: An open-source
//! discrete event simulation library", J. Simulation 13(1), 2019).

use serde::Deserialize;

use crate::error::FieldError;

/// What becomes of the job of a server whose shift ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnLeave {
    /// The server finishes its job (or its quantum) and then leaves.
    Finish,
    /// The job is preempted and continues with the work it has left.
    Resume,
    /// The job is preempted and starts over with its whole size.
    Restart,
    /// The job is preempted and starts over with a new size drawn.
    Resample,
}

impl OnLeave {
    pub fn name(self) -> &'static str {
        match self {
            OnLeave::Finish => "finish",
            OnLeave::Resume => "resume",
            OnLeave::Restart => "restart",
            OnLeave::Resample => "resample",
        }
    }

    /// Whether a leaving server hands its job back at once.
    pub fn preempts(self) -> bool {
        self != OnLeave::Finish
    }
}

/// A validated schedule: `servers[i]` on shift from `starts[i]` on.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSchedule {
    pub starts: Vec<f64>,
    pub servers: Vec<u32>,
    pub cycle: Option<f64>,
    pub on_leave: OnLeave,
}

impl ServerSchedule {
    /// The most servers ever on shift: the slots the node has.
    pub fn max_servers(&self) -> u32 {
        self.servers.iter().copied().max().unwrap_or(0)
    }

    /// The index of the step in force at time `t` within a cycle (or for
    /// good, without one).
    fn step_at(&self, t: f64) -> usize {
        let t = match self.cycle {
            Some(c) => t.rem_euclid(c),
            None => t,
        };
        self.starts.partition_point(|&s| s <= t).saturating_sub(1)
    }

    /// Servers on shift at time `t`.
    pub fn servers_at(&self, t: f64) -> u32 {
        self.servers[self.step_at(t)]
    }

    /// The time of step `step` of cycle `round` (`round` 0 without a cycle).
    pub fn change_time(&self, step: usize, round: u32) -> f64 {
        f64::from(round) * self.cycle.unwrap_or(0.0) + self.starts[step]
    }

    /// The step after `step` of cycle `round`, if the schedule changes again.
    pub fn next_step(&self, step: usize, round: u32) -> Option<(usize, u32)> {
        if step + 1 < self.starts.len() {
            Some((step + 1, round))
        } else if self.cycle.is_some() && self.starts.len() > 1 {
            Some((0, round + 1))
        } else {
            None
        }
    }

    /// Server time on shift over `[a, b)`: `∫ n(t) dt`.
    pub fn capacity_between(&self, a: f64, b: f64) -> f64 {
        self.cumulative(b) - self.cumulative(a)
    }

    /// `∫_0^t n(u) du`.
    fn cumulative(&self, t: f64) -> f64 {
        let within = |t: f64| -> f64 {
            let mut area = 0.0;
            for i in 0..self.starts.len() {
                let from = self.starts[i];
                if from >= t {
                    break;
                }
                let to = self.starts.get(i + 1).copied().unwrap_or(f64::INFINITY);
                area += f64::from(self.servers[i]) * (t.min(to) - from);
            }
            area
        };
        match self.cycle {
            Some(c) => {
                let rounds = (t / c).floor();
                rounds * within(c) + within(t - rounds * c)
            }
            None => within(t),
        }
    }

    /// Long-run mean servers on shift: over a cycle, or the last count.
    pub fn mean_servers(&self) -> f64 {
        match self.cycle {
            Some(c) => self.cumulative(c) / c,
            None => f64::from(*self.servers.last().expect("validated non-empty")),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    cycle: Option<f64>,
    /// Signed so that a negative count gets its own message.
    servers: Vec<(f64, i64)>,
    on_leave: Option<String>,
}

impl RawSchedule {
    /// Validates `nodes[j].schedule`.
    pub fn build(&self, j: usize) -> Result<ServerSchedule, FieldError> {
        let at = |f: &str| format!("nodes[{j}].schedule.{f}");
        if self.servers.is_empty() {
            return Err(FieldError::new(
                at("servers"),
                "[]",
                "give at least one [start, servers] pair, the first starting at 0",
            ));
        }
        let mut starts = Vec::with_capacity(self.servers.len());
        let mut servers = Vec::with_capacity(self.servers.len());
        for (i, &(t, n)) in self.servers.iter().enumerate() {
            let field = format!("nodes[{j}].schedule.servers[{i}]");
            if !t.is_finite() || t < 0.0 {
                return Err(FieldError::new(
                    field,
                    format!("[{t}, {n}]"),
                    "a start time must be a finite number, 0 or more",
                ));
            }
            if i == 0 && t != 0.0 {
                return Err(FieldError::new(
                    field,
                    format!("[{t}, {n}]"),
                    "the first step must start at 0, so the node has servers from the start",
                ));
            }
            if let Some(&prev) = starts.last()
                && t <= prev
            {
                return Err(FieldError::new(
                    field,
                    format!("[{t}, {n}]"),
                    format!("start times must increase (the step before starts at {prev})"),
                ));
            }
            if n < 0 {
                return Err(FieldError::new(
                    field,
                    format!("[{t}, {n}]"),
                    "a number of servers on shift cannot be negative",
                ));
            }
            let Ok(n) = u32::try_from(n) else {
                return Err(FieldError::new(
                    field,
                    format!("[{t}, {n}]"),
                    "too many servers",
                ));
            };
            starts.push(t);
            servers.push(n);
        }
        if servers.iter().all(|&n| n == 0) {
            return Err(FieldError::new(
                at("servers"),
                "(every count 0)",
                "some step must have a server on shift, or no job is ever served",
            ));
        }
        if servers.len() > crate::limits::MAX_SCHEDULE_STEPS {
            return Err(FieldError::new(
                at("servers"),
                format!("{} steps", servers.len()),
                format!("at most {} steps", crate::limits::MAX_SCHEDULE_STEPS),
            ));
        }
        let last = *starts.last().expect("non-empty");
        if let Some(c) = self.cycle
            && (!c.is_finite() || c <= last)
        {
            return Err(FieldError::new(
                at("cycle"),
                c.to_string(),
                format!("the cycle must be finite and longer than the last start ({last})"),
            ));
        }
        if self.cycle.is_none() && servers.last() == Some(&0) {
            return Err(FieldError::new(
                at("servers"),
                format!("[{last}, 0]"),
                "without a cycle the last count holds for ever: the node would never serve again; give a `cycle` or a last count above 0",
            ));
        }
        let on_leave = match self.on_leave.as_deref() {
            None | Some("finish") => OnLeave::Finish,
            Some("resume") => OnLeave::Resume,
            Some("restart") => OnLeave::Restart,
            Some("resample") => OnLeave::Resample,
            Some(other) => {
                return Err(FieldError::new(
                    at("on_leave"),
                    format!("{other:?}"),
                    "expected \"finish\", \"resume\", \"restart\" or \"resample\"",
                ));
            }
        };
        Ok(ServerSchedule {
            starts,
            servers,
            cycle: self.cycle,
            on_leave,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> ServerSchedule {
        ServerSchedule {
            starts: vec![0.0, 8.0, 18.0],
            servers: vec![2, 6, 3],
            cycle: Some(24.0),
            on_leave: OnLeave::Finish,
        }
    }

    #[test]
    fn counts_and_capacity_follow_the_steps() {
        let s = day();
        assert_eq!(s.servers_at(0.0), 2);
        assert_eq!(s.servers_at(7.99), 2);
        assert_eq!(s.servers_at(8.0), 6);
        assert_eq!(s.servers_at(23.0), 3);
        assert_eq!(s.servers_at(24.0 + 9.0), 6);
        assert_eq!(s.max_servers(), 6);
        // 2·8 + 6·10 + 3·6 = 94 per day.
        assert!((s.capacity_between(0.0, 24.0) - 94.0).abs() < 1e-12);
        assert!((s.capacity_between(24.0, 48.0) - 94.0).abs() < 1e-12);
        assert!((s.capacity_between(7.0, 9.0) - 8.0).abs() < 1e-12);
        assert!((s.mean_servers() - 94.0 / 24.0).abs() < 1e-12);
        assert_eq!(s.next_step(2, 0), Some((0, 1)));
        assert_eq!(s.change_time(1, 2), 56.0);
    }

    #[test]
    fn bad_schedules_name_the_field() {
        let raw = |servers: Vec<(f64, i64)>, cycle| RawSchedule {
            cycle,
            servers,
            on_leave: None,
        };
        let e = raw(vec![(0.0, 2), (8.0, -1)], Some(24.0))
            .build(3)
            .unwrap_err();
        assert_eq!(e.field, "nodes[3].schedule.servers[1]");
        assert!(e.message.contains("negative"), "{e:?}");
        let e = raw(vec![(0.0, 2), (8.0, 1)], Some(6.0))
            .build(0)
            .unwrap_err();
        assert_eq!(e.field, "nodes[0].schedule.cycle");
        let e = raw(vec![(0.0, 2), (8.0, 1), (5.0, 1)], None)
            .build(0)
            .unwrap_err();
        assert_eq!(e.field, "nodes[0].schedule.servers[2]");
        let e = raw(vec![(1.0, 2)], None).build(0).unwrap_err();
        assert!(e.message.contains("start at 0"), "{e:?}");
        let e = raw(vec![(0.0, 0)], Some(2.0)).build(0).unwrap_err();
        assert_eq!(e.field, "nodes[0].schedule.servers");
        let mut bad = raw(vec![(0.0, 1)], None);
        bad.on_leave = Some("vanish".into());
        assert_eq!(
            bad.build(0).unwrap_err().field,
            "nodes[0].schedule.on_leave"
        );
    }
}
