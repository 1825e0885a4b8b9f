//! What the task lifecycle leaves in a statistics cell, and the
//! accounting identity every run is checked against.

use serde::{Deserialize, Serialize};

use super::Welford;
use super::recorder::CellStats;
use super::summary::{Column, Estimate};
use crate::lifecycle::{AttemptEnd, GiveUp};

/// Tasks ended are counted by attempts started: buckets 0 (given up
/// before any attempt started, on a queue timeout or a deadline) to 15,
/// and a last one for 16 or more. One more bucket than attempts counted
/// singly, rather than moving "16 or more" to 15, so a stored replication
/// of the old layout fails to read instead of shifting by one.
pub const ATTEMPT_BUCKETS: usize = 17;

/// The bucket of a task that started `attempts` attempts.
pub fn attempt_bucket(attempts: u32) -> usize {
    (attempts as usize).min(ATTEMPT_BUCKETS - 1)
}

/// Lifecycle counts of one cell (a class: per job; a node: per visit)
/// over the measured window, and the jobs present at its two ends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskCounts {
    /// Tasks given up, by reason, whatever became of them.
    pub given_up_by: [u64; 4],
    /// Given up and left at once (dead-lettered), and given up then
    /// compensated (rolled back).
    pub dead_lettered: u64,
    pub rolled_back: u64,
    /// Time from the task's arrival to its give-up.
    pub give_up_time: Welford,
    /// Tasks of classes with attempt rules that ended (completed or given
    /// up), by attempts started (`[k]`: k attempts, see [`attempt_bucket`]),
    /// and the attempts they used in all.
    pub by_attempts: [u64; ATTEMPT_BUCKETS],
    pub attempts: u64,
    /// Attempts that failed, timed out, or were killed by a deadline.
    pub failed: u64,
    pub timed_out: u64,
    pub killed: u64,
    /// Requirement served by attempts that did not complete and by
    /// compensation tasks, and the server time they held (times servers).
    pub wasted_work: f64,
    pub wasted_time: f64,
    /// Jobs of a class that baulked at a node after their first visit.
    pub baulked_inside: u64,
    /// Jobs present when the window opened and when it closed.
    pub present_start: u64,
    pub present_end: u64,
}

impl TaskCounts {
    pub fn attempt_end(&mut self, end: AttemptEnd, work: f64, time: f64) {
        match end {
            AttemptEnd::Completed => {}
            AttemptEnd::Failed => self.failed += 1,
            AttemptEnd::TimedOut => self.timed_out += 1,
            AttemptEnd::Killed => self.killed += 1,
        }
        self.wasted_work += work;
        self.wasted_time += time;
    }

    pub fn task_end(&mut self, attempts: u32) {
        self.by_attempts[attempt_bucket(attempts)] += 1;
        self.attempts += u64::from(attempts);
    }

    pub fn give_up(&mut self, why: GiveUp, waited: f64, rollback: bool) {
        self.given_up_by[why as usize] += 1;
        self.give_up_time.push(waited);
        self.dead_lettered += u64::from(!rollback);
    }

    /// Attempts that ended without completing.
    pub fn bad_attempts(&self) -> u64 {
        self.failed + self.timed_out + self.killed
    }
}

/// [`TaskCounts`] in stored form: floats as their bits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTotals {
    pub given_up_by: [u64; 4],
    pub dead_lettered: u64,
    pub rolled_back: u64,
    pub give_up_time: [u64; 3],
    pub by_attempts: [u64; ATTEMPT_BUCKETS],
    pub attempts: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub killed: u64,
    pub wasted_work: u64,
    pub wasted_time: u64,
    pub baulked_inside: u64,
    pub present: [u64; 2],
}

impl TaskTotals {
    pub fn of(t: &TaskCounts) -> TaskTotals {
        let (count, mean, m2) = t.give_up_time.parts();
        TaskTotals {
            given_up_by: t.given_up_by,
            dead_lettered: t.dead_lettered,
            rolled_back: t.rolled_back,
            give_up_time: [count, mean.to_bits(), m2.to_bits()],
            by_attempts: t.by_attempts,
            attempts: t.attempts,
            failed: t.failed,
            timed_out: t.timed_out,
            killed: t.killed,
            wasted_work: t.wasted_work.to_bits(),
            wasted_time: t.wasted_time.to_bits(),
            baulked_inside: t.baulked_inside,
            present: [t.present_start, t.present_end],
        }
    }

    pub fn restore(&self) -> TaskCounts {
        let g = self.give_up_time;
        TaskCounts {
            given_up_by: self.given_up_by,
            dead_lettered: self.dead_lettered,
            rolled_back: self.rolled_back,
            give_up_time: Welford::from_parts(g[0], f64::from_bits(g[1]), f64::from_bits(g[2])),
            by_attempts: self.by_attempts,
            attempts: self.attempts,
            failed: self.failed,
            timed_out: self.timed_out,
            killed: self.killed,
            wasted_work: f64::from_bits(self.wasted_work),
            wasted_time: f64::from_bits(self.wasted_time),
            baulked_inside: self.baulked_inside,
            present_start: self.present[0],
            present_end: self.present[1],
        }
    }
}

/// A break of the identity that every job of a class ends one way:
/// present at the start + arrived = completed + gave up + rolled back +
/// reneged + lost or baulked after the first visit + present at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imbalance {
    pub class: usize,
    /// The two sides of the identity.
    pub entered: u64,
    pub accounted: u64,
}

impl std::fmt::Display for Imbalance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "class {}: {} jobs present at the start or arrived, {} completed, given up, rolled back, \
             reneged, lost or still present",
            self.class, self.entered, self.accounted
        )
    }
}

/// The lifecycle figures of one result row.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSummary {
    /// Whether some class of the row has attempt rules.
    pub applies: bool,
    /// Jobs (node rows: visits) admitted, completed, given up and
    /// dead-lettered, given up and rolled back, over all replications.
    pub arrived: u64,
    pub completed: u64,
    pub gave_up: u64,
    pub rolled_back: u64,
    /// Give-ups (dead-lettered or rolled back) by reason, in the order of
    /// [`GiveUp::ALL`].
    pub gave_up_by: [u64; 4],
    /// Attempts that failed, timed out, were killed by a deadline.
    pub failed: u64,
    pub timed_out: u64,
    pub killed: u64,
    /// Tasks ended by attempts used (see [`TaskCounts::by_attempts`]).
    pub by_attempts: [u64; ATTEMPT_BUCKETS],
    /// Share of arrived jobs given up (dead-lettered or rolled back).
    pub p_give_up: Estimate,
    /// Attempts per task ended (tasks of classes without attempt rules
    /// count one each).
    pub mean_attempts: Estimate,
    /// Server time of completing attempts over all server time.
    pub goodput: Estimate,
    /// Requirement wasted (attempts that did not complete, compensation
    /// tasks) per arrived job.
    pub wasted_work: Estimate,
    /// Attempts per job offered (admitted or turned away at entry).
    pub retry_amplification: Estimate,
    /// Mean time from a task's arrival to its give-up.
    pub mean_time_to_give_up: Estimate,
    /// The first replication whose jobs did not add up, if any (a bug).
    pub imbalance: Option<(usize, Imbalance)>,
}

impl TaskSummary {
    /// No task counted yet; `applies`: some selected class has attempt rules.
    pub fn empty(applies: bool) -> TaskSummary {
        TaskSummary {
            applies,
            arrived: 0,
            completed: 0,
            gave_up: 0,
            rolled_back: 0,
            gave_up_by: [0; 4],
            failed: 0,
            timed_out: 0,
            killed: 0,
            by_attempts: [0; ATTEMPT_BUCKETS],
            p_give_up: Estimate::from_values(&[]),
            mean_attempts: Estimate::from_values(&[]),
            goodput: Estimate::from_values(&[]),
            wasted_work: Estimate::from_values(&[]),
            retry_amplification: Estimate::from_values(&[]),
            mean_time_to_give_up: Estimate::from_values(&[]),
            imbalance: None,
        }
    }
}

/// Summarises the lifecycle of the cells a row takes from each
/// replication (`cells[r]`); `lifecycle[k]` tells whether class `k` has
/// attempt rules, `class_cells` whether the cells are class cells (their
/// `visits` count the tasks of rule-free classes).
pub fn summarize(
    cells: &[Vec<(usize, &CellStats)>],
    lifecycle: &[bool],
    class_cells: bool,
) -> TaskSummary {
    let mut fold = TaskFold::default();
    for rep in cells {
        fold.push(rep, lifecycle, class_cells);
    }
    fold.summary()
}

/// [`summarize`] one replication at a time, in replication order, keeping
/// sums rather than the replications.
#[derive(Debug, Clone)]
pub struct TaskFold {
    s: TaskSummary,
    columns: [Column; 6],
    replications: usize,
}

impl Default for TaskFold {
    fn default() -> TaskFold {
        TaskFold {
            s: TaskSummary::empty(false),
            columns: Default::default(),
            replications: 0,
        }
    }
}

impl TaskFold {
    /// Adds the next replication's cells of the row.
    pub fn push(&mut self, rep: &[(usize, &CellStats)], lifecycle: &[bool], class_cells: bool) {
        let (s, r) = (&mut self.s, self.replications);
        self.replications += 1;
        let (mut arrived, mut offered, mut given_up) = (0u64, 0u64, 0u64);
        let (mut attempts, mut tasks) = (0u64, 0u64);
        let (mut wasted_time, mut busy, mut wasted_work) = (0.0, 0.0, 0.0);
        let mut to_give_up = Welford::default();
        for &(k, c) in rep {
            let t = &c.tasks;
            let ruled = lifecycle.get(k).copied().unwrap_or(false) || !class_cells;
            s.applies |= if class_cells {
                lifecycle.get(k).copied().unwrap_or(false)
            } else {
                lifecycle.contains(&true)
            };
            arrived += c.admitted;
            offered += c.admitted + c.blocked + c.baulked - t.baulked_inside;
            s.completed += c.response.count;
            s.gave_up += t.dead_lettered;
            s.rolled_back += t.rolled_back;
            s.failed += t.failed;
            s.timed_out += t.timed_out;
            s.killed += t.killed;
            for (a, b) in s.gave_up_by.iter_mut().zip(t.given_up_by) {
                *a += b;
            }
            for (a, b) in s.by_attempts.iter_mut().zip(t.by_attempts) {
                *a += b;
            }
            given_up += t.given_up_by.iter().sum::<u64>();
            if ruled {
                attempts += t.attempts;
                tasks += t.by_attempts.iter().sum::<u64>();
            } else {
                attempts += c.visits;
                tasks += c.visits;
            }
            wasted_time += t.wasted_time;
            wasted_work += t.wasted_work;
            busy += c.area_busy;
            to_give_up.merge(&t.give_up_time);
            if class_cells
                && s.imbalance.is_none()
                && let Err(e) = c.balance(k)
            {
                s.imbalance = Some((r, e));
            }
        }
        s.arrived += arrived;
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let columns = &mut self.columns;
        columns[0].push(ratio(given_up as f64, arrived as f64));
        columns[1].push(ratio(attempts as f64, tasks as f64));
        columns[2].push(if busy > 0.0 {
            1.0 - wasted_time / busy
        } else {
            f64::NAN
        });
        columns[3].push(ratio(wasted_work, arrived as f64));
        columns[4].push(ratio(attempts as f64, offered as f64));
        columns[5].push(if to_give_up.count > 0 {
            to_give_up.mean
        } else {
            f64::NAN
        });
    }

    /// The summary of the replications pushed so far.
    pub fn summary(&self) -> TaskSummary {
        let mut s = self.s.clone();
        let [p, m, g, w, a, t] = self.columns.map(|c| c.estimate());
        s.p_give_up = p;
        s.mean_attempts = m;
        s.goodput = g;
        s.wasted_work = w;
        s.retry_amplification = a;
        s.mean_time_to_give_up = t;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_trip_and_bucket_attempts() {
        let mut t = TaskCounts::default();
        t.task_end(0);
        t.task_end(1);
        t.task_end(3);
        t.task_end(40);
        t.give_up(GiveUp::Deadline, 2.5, false);
        t.give_up(GiveUp::Timeout, 0.5, true);
        t.attempt_end(AttemptEnd::Failed, 1.5, 0.75);
        t.attempt_end(AttemptEnd::Killed, 0.25, 0.125);
        t.rolled_back = 1;
        t.baulked_inside = 2;
        t.present_start = 4;
        t.present_end = 5;
        // A task given up before its first attempt is in bucket 0.
        assert_eq!(t.by_attempts[..4], [1, 1, 0, 1]);
        assert_eq!(t.by_attempts[ATTEMPT_BUCKETS - 1], 1);
        assert_eq!(t.attempts, 44);
        assert_eq!(t.given_up_by, [0, 1, 0, 1]);
        assert_eq!(t.dead_lettered, 1);
        assert_eq!(t.bad_attempts(), 2);
        assert_eq!(TaskTotals::of(&t).restore(), t);
    }
}
