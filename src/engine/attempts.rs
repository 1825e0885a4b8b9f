//! The task lifecycle in the engine: each visit of a class with
//! `[classes.attempts]` is a task whose attempts may fail or time out,
//! wait out a backoff and rejoin the queue, or be given up (dead-lettered,
//! or rolled back by a compensation task on the same node).
//!
//! An attempt's fate comes from [`Attempts::plan`] when it starts and is
//! written into the job as `cut`, the requirement left when it ends, so
//! the server's usual event ends it: no extra event per attempt. Timers
//! (queue timeout, deadline, end of a backoff) carry the job's slot, its
//! visit number and the low bits of its arrival order, and are skipped
//! when the job they meant has moved on, so none is ever cancelled.

use super::events::{Event, Kind};
use super::jobs::JobTable;
use super::shape::Full;
use super::station::SHARED;
use super::{Observer, Simulation, draw};
use crate::job::JobId;
use crate::lifecycle::{AttemptEnd, Attempts, Draws, GiveUp, OnGiveUp};
use crate::policy::{Policy, Sharing};
use crate::workload::Workload;

/// Where a task is in its lifecycle, beyond what the stations show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for an attempt or in one.
    Task,
    /// Between two attempts.
    Backoff,
    /// Given up; its compensation task waits or runs.
    Compensation,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Task {
    /// The attempt under way or next (1 for the first).
    pub attempt: u32,
    /// Whether that attempt has started, and how it will end.
    pub started: bool,
    pub ends: AttemptEnd,
    pub phase: Phase,
    /// Requirement and time in service when the attempt started, for the
    /// work and time it used.
    pub remaining_from: f64,
    pub served_from: f64,
    /// When the attempt under way times out, at a sharing node (where the
    /// timeout is an event); tells that attempt's timer from an earlier one's.
    pub timeout_due: f64,
}

impl Task {
    const NEW: Task = Task {
        attempt: 1,
        started: false,
        ends: AttemptEnd::Completed,
        phase: Phase::Task,
        remaining_from: 0.0,
        served_from: 0.0,
        timeout_due: f64::NAN,
    };
}

/// The lifecycle's rules and per-job state of one replication.
pub(super) struct Lifecycle {
    /// Per class.
    pub rules: Vec<Option<Attempts>>,
    pub draws: Draws,
    /// Per job slot.
    pub tasks: Vec<Task>,
    /// Per class, the calendar lanes of its queue timeouts and deadlines
    /// (fixed delays, so each comes up in the order it was set).
    pub lanes: Vec<[Option<u8>; 2]>,
}

/// Whether the timer `event` of a task is addressed to the job now in its
/// slot, at the same visit.
#[inline]
fn concerns(jobs: &JobTable, event: &Event) -> bool {
    let id = event.server;
    jobs.is_live(id) && {
        let job = jobs.get(id);
        job.seq as u32 == event.generation && job.visits == event.node
    }
}

/// Whether a lane timer can no longer do anything when it comes up: its
/// job has left or moved on to another visit, or (a queue timeout) its
/// first attempt has started. A spent timer stays spent (a slot's next job
/// has a later arrival order, a visit's number only grows, a first start
/// is kept), so the calendar may drop it as soon as it reaches its lane's
/// front ([`super::events::EventList::pop_skipping`]).
#[inline]
pub(super) fn timer_spent(jobs: &JobTable, event: &Event) -> bool {
    !concerns(jobs, event)
        || (event.kind == Kind::QueueTimeout && !jobs.get(event.server).first_start.is_nan())
}

impl<W: Workload, O: Observer> Simulation<W, O> {
    /// Gives each class's finite queue timeout and deadline a lane.
    pub(super) fn timer_lanes(&mut self) {
        let Some(life) = self.life.as_mut() else {
            return;
        };
        life.lanes = life
            .rules
            .iter()
            .map(|rule| match rule {
                Some(r) => [r.queue_timeout, r.deadline]
                    .map(|delay| delay.is_finite().then(|| self.events.add_lane()).flatten()),
                None => [None; 2],
            })
            .collect();
    }

    /// A visit of job `id` begins: a fresh task, with its timers.
    // Out of the event loop's way: scenarios without attempt rules never
    // call it, and inlined it would crowd the hot path (measured: +9% of
    // instructions on M/M/2 when `service_end` stopped being inlined).
    #[inline(never)]
    pub(super) fn task_begins(&mut self, id: JobId) {
        let now = self.clock;
        let job = self.jobs.get(id);
        let Some(life) = self.life.as_mut() else {
            return;
        };
        let slot = id as usize;
        if life.tasks.len() <= slot {
            life.tasks.resize(slot + 1, Task::NEW);
        }
        life.tasks[slot] = Task::NEW;
        let Some(rule) = &life.rules[job.class as usize] else {
            return;
        };
        let (visit, seq) = (job.visits, job.seq as u32);
        let lanes = life.lanes[job.class as usize];
        for (delay, kind, lane) in [
            (rule.queue_timeout, Kind::QueueTimeout, lanes[0]),
            (rule.deadline, Kind::Deadline, lanes[1]),
        ] {
            if delay.is_finite() {
                let t = now + delay;
                match lane {
                    Some(l) => self.events.push_lane(l, t, kind, visit, id, seq),
                    None => self.events.push(t, kind, visit, id, seq),
                }
            }
        }
    }

    /// Job `id` takes a server at `speed`: if this starts an attempt, its
    /// fate is drawn and set as the job's `cut`.
    #[inline(never)]
    pub(super) fn attempt_begins(&mut self, id: JobId, speed: f64) {
        let Some(life) = self.life.as_mut() else {
            return;
        };
        let job = self.jobs.get_mut(id);
        let task = &mut life.tasks[id as usize];
        if task.started {
            return;
        }
        task.started = true;
        task.remaining_from = job.remaining;
        task.served_from = job.served;
        task.ends = AttemptEnd::Completed;
        if task.phase != Phase::Task {
            return;
        }
        let Some(rule) = &life.rules[job.class as usize] else {
            return;
        };
        let (u1, u2) = life.draws.failure(job.seq, job.visits, task.attempt);
        if !self.stations[job.node as usize].sharing {
            let plan = rule.plan(job.remaining, speed, u1, u2);
            task.ends = plan.ends;
            job.cut = (job.remaining - plan.work).max(0.0);
            return;
        }
        let plan = rule.plan_untimed(job.remaining, speed, u1, u2);
        task.ends = plan.ends;
        job.cut = (job.remaining - plan.work).max(0.0);
        if rule.timeout.is_finite() {
            let due = self.clock + rule.timeout;
            task.timeout_due = due;
            let (visit, seq) = (job.visits, job.seq as u32);
            self.events.push(due, Kind::AttemptTimeout, visit, id, seq);
        }
    }

    /// An attempt's timeout at a sharing node came: if that very attempt
    /// still runs, it stops there, timed out, with the work it attained.
    #[cold]
    #[inline(never)]
    pub(super) fn attempt_timeout(&mut self, event: Event) {
        if !self.current(&event) {
            return;
        }
        let id = event.server;
        let life = self.life.as_mut().expect("lifecycle present");
        let task = &mut life.tasks[id as usize];
        // A later attempt of the same task has a later due time.
        if task.phase != Phase::Task || !task.started || task.timeout_due != event.time {
            return;
        }
        let node = self.jobs.get(id).node;
        if self.share_out(node, id).is_none() {
            return;
        }
        let task = &mut self.life.as_mut().expect("lifecycle present").tasks[id as usize];
        task.ends = AttemptEnd::TimedOut;
        self.report_attempt_end(id, AttemptEnd::TimedOut);
        self.after_attempt(node, Some(SHARED), id, AttemptEnd::TimedOut);
        self.reschedule_shared(node);
    }

    /// Tells the observer that job `id`'s attempt under way ended as
    /// `end`, with the work and server time it used.
    pub(super) fn report_attempt_end(&mut self, id: JobId, end: AttemptEnd) {
        let task = self.life.as_ref().expect("lifecycle present").tasks[id as usize];
        let job = self.jobs.get(id);
        let work = task.remaining_from - job.remaining;
        let time = job.served - task.served_from;
        self.observer
            .on_attempt_end(self.clock, job, end, work, time);
    }

    /// Takes job `id` out of the share of sharing node `node` before its
    /// attempt's end, crediting the work it attained there; `None` when it
    /// was not in service there.
    fn share_out(&mut self, node: u32, id: JobId) -> Option<()> {
        let station = &self.stations[node as usize];
        let left = self.shares[station.queue].remove(id, self.clock)?;
        let job = self.jobs.get_mut(id);
        let attained = (job.remaining - job.cut - left).max(0.0);
        job.remaining -= attained;
        job.served += attained / station.speed;
        job.cut = 0.0;
        Some(())
    }

    /// The server event of job `id` on `server` at `node` ended its
    /// service: returns whether the lifecycle took the job over (the
    /// attempt failed or timed out, or a compensation finished), else
    /// the visit is done as usual.
    #[inline(never)]
    pub(super) fn attempt_ends(&mut self, node: u32, server: u32, id: JobId) -> bool {
        let now = self.clock;
        let Some(life) = self.life.as_mut() else {
            return false;
        };
        let task = life.tasks[id as usize];
        let job = self.jobs.get(id);
        match task.phase {
            Phase::Compensation => {
                self.rolled_back(node, server, id);
                true
            }
            Phase::Task if task.ends == AttemptEnd::Completed => {
                if life.rules[job.class as usize].is_some() {
                    self.observer.on_task_completed(now, job, task.attempt);
                }
                false
            }
            Phase::Task | Phase::Backoff => {
                self.report_attempt_end(id, task.ends);
                self.after_attempt(node, Some(server), id, task.ends);
                true
            }
        }
    }

    /// An attempt of job `id` at `node` ended as `end` without completing
    /// (on `server`, still held, when it was running): another attempt
    /// after the backoff, or the task is given up.
    pub(super) fn after_attempt(
        &mut self,
        node: u32,
        server: Option<u32>,
        id: JobId,
        end: AttemptEnd,
    ) {
        let now = self.clock;
        let life = self.life.as_mut().expect("lifecycle present");
        let job = self.jobs.get_mut(id);
        let rule = life.rules[job.class as usize]
            .as_ref()
            .expect("attempts end only under attempt rules");
        let task = &mut life.tasks[id as usize];
        let attempt = task.attempt;
        if !rule.retry.allows_after(attempt) {
            return self.give_up(node, server, id, Attempts::reason(end));
        }
        let u = life.draws.backoff(job.seq, job.visits, attempt);
        let delay = rule.retry.backoff.delay(attempt, u);
        task.attempt += 1;
        task.started = false;
        // A new attempt does all the work again, or work drawn anew.
        let before = job.remaining;
        if rule.resample {
            let key = crate::workload::mix(life.draws.size ^ u64::from(attempt));
            let demand = &self.demands[node as usize * self.classes + job.class as usize];
            job.size = draw(demand.dist(), key, job.seq, job.visits);
        }
        let redo = job.size - before;
        job.remaining = job.size;
        job.cut = 0.0;
        self.loads.rework(node, now, redo);
        let width = job.width;
        if delay > 0.0 {
            task.phase = Phase::Backoff;
            let (visit, seq) = (job.visits, job.seq as u32);
            self.events.push(now + delay, Kind::Retry, visit, id, seq);
        }
        if let Some(s) = server {
            self.release::<Full>(node, s, id, width);
        }
        if delay <= 0.0 {
            // Straight back to the tail of the queue, as a job fed back.
            self.join::<Full>(node, id);
        }
    }

    /// The timer of job `id` for `event` still concerns it: same job in
    /// the slot, same visit.
    fn current(&self, event: &Event) -> bool {
        concerns(&self.jobs, event)
    }

    /// A backoff ended: the task's next attempt rejoins its node's queue.
    #[cold]
    #[inline(never)]
    pub(super) fn retry(&mut self, event: Event) {
        if !self.current(&event) {
            return;
        }
        let id = event.server;
        let life = self.life.as_mut().expect("lifecycle present");
        let task = &mut life.tasks[id as usize];
        if task.phase != Phase::Backoff {
            return;
        }
        task.phase = Phase::Task;
        let node = self.jobs.get(id).node;
        self.join::<Full>(node, id);
    }

    /// No attempt of job `id` started within its queue timeout: given up.
    #[cold]
    #[inline(never)]
    pub(super) fn queue_timeout(&mut self, event: Event) {
        if timer_spent(&self.jobs, &event) {
            return;
        }
        let id = event.server;
        let job = self.jobs.get(id);
        let node = job.node;
        let station = &self.stations[node as usize];
        // A sharing node serves every job it admits at once: none queues.
        if station.sharing {
            return;
        }
        if self.queues[station.queue].remove(id, job, self.clock) {
            super::note_queue(&mut self.queue_index, &self.queues, station.queue);
            self.give_up(node, None, id, GiveUp::QueueTimeout);
        }
    }

    /// The task's deadline passed: whatever it is doing stops and it is
    /// given up. A task whose service is over (blocked downstream) or
    /// that is being compensated is past its deadline's reach.
    #[cold]
    #[inline(never)]
    pub(super) fn deadline(&mut self, event: Event) {
        if !self.current(&event) {
            return;
        }
        let now = self.clock;
        let id = event.server;
        let task = self.life.as_ref().expect("lifecycle present").tasks[id as usize];
        let node = self.jobs.get(id).node;
        match task.phase {
            Phase::Compensation => {}
            Phase::Backoff => self.give_up(node, None, id, GiveUp::Deadline),
            Phase::Task if self.stations[node as usize].sharing => {
                if self.share_out(node, id).is_none() {
                    return;
                }
                self.report_attempt_end(id, AttemptEnd::Killed);
                self.give_up(node, None, id, GiveUp::Deadline);
                self.reschedule_shared(node);
            }
            Phase::Task => {
                let station = &self.stations[node as usize];
                let running = station
                    .servers
                    .iter()
                    .position(|s| s.job == id && !s.follower);
                if let Some(s) = running {
                    if station.servers[s].blocked {
                        return;
                    }
                    self.kill(node, s as u32, id);
                    return self.give_up(node, Some(s as u32), id, GiveUp::Deadline);
                }
                let queue = station.queue;
                let removed = self.queues[queue].remove(id, self.jobs.get(id), now);
                super::note_queue(&mut self.queue_index, &self.queues, queue);
                if !removed && !self.remove_restart(node, id) {
                    return;
                }
                if task.started {
                    // Preempted mid-attempt and waiting: that attempt dies too.
                    self.report_attempt_end(id, AttemptEnd::Killed);
                }
                self.give_up(node, None, id, GiveUp::Deadline);
            }
        }
    }

    /// Stops the attempt job `id` runs on `server` at `node`; the job
    /// keeps the server until the caller releases it.
    fn kill(&mut self, node: u32, server: u32, id: JobId) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        let slot = &mut station.servers[server as usize];
        slot.generation = slot.generation.wrapping_add(1);
        // A job waiting on a failed server was stopped when it failed.
        let down = slot.down;
        let elapsed = (now - slot.progress_from).max(0.0);
        let job = self.jobs.get_mut(id);
        job.remaining = (job.remaining - elapsed * station.speed).max(0.0);
        job.served += elapsed;
        if !down {
            self.loads.stop(node, now, station.speed);
            if station.failures.is_some() {
                self.failure_clock_stops(node, server);
            }
        }
        self.report_attempt_end(id, AttemptEnd::Killed);
        if !down {
            self.observer.on_stop(now, self.jobs.get(id), server);
        }
    }

    /// Task `id` at `node` is given up for `why` (holding `server` if it
    /// was running): it leaves as dead-lettered, or its compensation task
    /// joins the node's queue.
    fn give_up(&mut self, node: u32, server: Option<u32>, id: JobId, why: GiveUp) {
        let now = self.clock;
        let life = self.life.as_mut().expect("lifecycle present");
        let job = self.jobs.get_mut(id);
        let rule = life.rules[job.class as usize]
            .as_ref()
            .expect("tasks are given up only under attempt rules");
        let width = job.width;
        let attempts = life.tasks[id as usize].attempt;
        // A task given up between attempts used those before this one.
        let attempts = if life.tasks[id as usize].started {
            attempts
        } else {
            attempts - 1
        };
        match &rule.on_give_up {
            OnGiveUp::DeadLetter => {
                self.observer.on_give_up(now, job, why, attempts, false);
                self.gave_up += 1;
                self.stations[node as usize].present -= 1;
                self.loads.leave(node, now, job.remaining);
                let origin = self.jobs.take(id).origin;
                self.left_system::<Full>(origin);
                if let Some(s) = server {
                    self.release::<Full>(node, s, id, width);
                }
                if self.stations[node as usize].has_waiting() {
                    self.admit_blocked(node);
                }
            }
            OnGiveUp::Rollback(demand) => {
                self.observer.on_give_up(now, job, why, attempts, true);
                let task = &mut life.tasks[id as usize];
                task.phase = Phase::Compensation;
                task.started = false;
                let before = job.remaining;
                job.size = draw(demand, life.draws.rollback, job.seq, job.visits);
                job.remaining = job.size;
                job.cut = 0.0;
                self.loads.rework(node, now, job.size - before);
                if let Some(s) = server {
                    self.release::<Full>(node, s, id, width);
                }
                self.join::<Full>(node, id);
            }
        }
    }

    /// Job `id`'s compensation task finished on `server` at `node`: the
    /// job leaves as rolled back.
    fn rolled_back(&mut self, node: u32, server: u32, id: JobId) {
        let now = self.clock;
        let task = self.life.as_ref().expect("lifecycle present").tasks[id as usize];
        let job = self.jobs.take(id);
        let time = job.served - task.served_from;
        let width = job.width;
        self.observer.on_rolled_back(now, job, time);
        let origin = job.origin;
        self.left_system::<Full>(origin);
        self.rolled_back += 1;
        self.stations[node as usize].present -= 1;
        self.loads.complete(node);
        self.release::<Full>(node, server, id, width);
        if self.stations[node as usize].has_waiting() {
            self.admit_blocked(node);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::job::Job;
    use crate::lifecycle::GiveUp;
    use crate::model::{Limit, Scenario};
    use crate::policy::{AnyPolicy, PolicyConfig};
    use crate::workload::{Arrival, FixedWorkload};

    use super::super::{Observer, Simulation};

    #[derive(Default)]
    struct Ends {
        gave_up: Vec<(f64, u64, u32)>,
        rolled_back: Vec<(f64, u64)>,
        starts: Vec<(f64, u64)>,
    }

    impl Observer for Ends {
        fn on_start(&mut self, now: f64, job: &Job, _server: u32) {
            self.starts.push((now, job.seq));
        }
        fn on_give_up(&mut self, now: f64, job: &Job, why: GiveUp, attempts: u32, _rb: bool) {
            assert_eq!(why, GiveUp::Attempts);
            self.gave_up.push((now, job.seq, attempts));
        }
        fn on_rolled_back(&mut self, now: f64, job: &Job, _time: f64) {
            self.rolled_back.push((now, job.seq));
        }
    }

    fn run(attempts: &str) -> Ends {
        let text = format!(
            "name = \"t\"\nhorizon = {{ jobs = 100 }}\n[[classes]]\nname = \"a\"\n\
             arrival = {{ dist = \"exponential\", rate = 1.0 }}\n\
             service = {{ dist = \"deterministic\", value = 1.0 }}\n\
             [classes.attempts]\n{attempts}\n\
             [[nodes]]\nname = \"n\"\nservers = 1\n"
        );
        let s = Scenario::from_toml(&text, Path::new("t.toml")).unwrap();
        let w = FixedWorkload::new(vec![Arrival::new(0.0, 0, 1.0), Arrival::new(50.0, 0, 1.0)]);
        let policy = AnyPolicy::from_config(&PolicyConfig::default(), &Default::default()).unwrap();
        let mut sim = Simulation::new(&s, w, &policy, None, Ends::default());
        sim.run(Limit::Jobs(0), Limit::Jobs(100));
        sim.into_observer()
    }

    #[test]
    fn backoff_spaces_the_attempts_as_the_formula_says() {
        // Attempts of 1 at 0, 2, 5 and 10 (delays 1, 2, 4): given up at 11.
        let e = run("failure = { p = 1.0, at = \"end\" }\n\
                     retry = { max_attempts = 4, initial = 1.0, coefficient = 2.0 }");
        assert_eq!(
            e.starts,
            vec![
                (0.0, 0),
                (2.0, 0),
                (5.0, 0),
                (10.0, 0),
                (50.0, 1),
                (52.0, 1),
                (55.0, 1),
                (60.0, 1)
            ]
        );
        assert_eq!(e.gave_up, vec![(11.0, 0, 4), (61.0, 1, 4)]);
        // The cap holds the third delay to 3: attempts at 0, 2, 5, 9.
        let e = run("failure = { p = 1.0, at = \"end\" }\n\
                     retry = { max_attempts = 4, initial = 1.0, coefficient = 2.0, max_interval = 3.0 }");
        assert_eq!(e.gave_up[0], (10.0, 0, 4));
    }

    #[test]
    fn jitter_stays_in_its_interval_and_rollback_follows_the_give_up() {
        let e = run("failure = { p = 1.0, at = \"end\" }\n\
                     retry = { max_attempts = 4, initial = 1.0, coefficient = 2.0, jitter = \"equal\" }\n\
                     on_give_up = \"rollback\"\nrollback = { dist = \"deterministic\", value = 0.5 }");
        // Four attempts of 1 and delays in [0.5, 1], [1, 2], [2, 4].
        let (t, _, n) = e.gave_up[0];
        assert_eq!(n, 4);
        assert!((7.5..=11.0).contains(&t) && t != 11.0, "{t}");
        assert_eq!(e.rolled_back[0], (t + 0.5, 0));
    }

    /// What a sharing node's attempts did: (time, job, how it ended, work).
    #[derive(Default)]
    struct Shared {
        attempts: Vec<(f64, u64, crate::lifecycle::AttemptEnd, f64)>,
        gave_up: Vec<(f64, u64, GiveUp)>,
        rolled_back: Vec<(f64, u64)>,
    }

    impl Observer for Shared {
        fn on_attempt_end(
            &mut self,
            now: f64,
            job: &Job,
            end: crate::lifecycle::AttemptEnd,
            work: f64,
            _time: f64,
        ) {
            self.attempts.push((now, job.seq, end, work));
        }
        fn on_give_up(&mut self, now: f64, job: &Job, why: GiveUp, _n: u32, _rb: bool) {
            self.gave_up.push((now, job.seq, why));
        }
        fn on_rolled_back(&mut self, now: f64, job: &Job, _time: f64) {
            self.rolled_back.push((now, job.seq));
        }
    }

    /// Two jobs of work 4 at time 0 on one server shared under
    /// `discipline`, with these attempt rules.
    fn shared(discipline: &str, attempts: &str, sizes: [f64; 2]) -> Shared {
        let text = format!(
            "name = \"t\"\nhorizon = {{ jobs = 100 }}\n[policy]\ndiscipline = \"{discipline}\"\n\
             [[classes]]\nname = \"a\"\n\
             arrival = {{ dist = \"exponential\", rate = 1.0 }}\n\
             service = {{ dist = \"deterministic\", value = 4.0 }}\n\
             [classes.attempts]\n{attempts}\n\
             [[nodes]]\nname = \"n\"\nservers = 1\n"
        );
        let s = Scenario::from_toml(&text, Path::new("t.toml")).unwrap();
        let w = FixedWorkload::new(vec![
            Arrival::new(0.0, 0, sizes[0]),
            Arrival::new(0.0, 0, sizes[1]),
        ]);
        let mut sim = Simulation::new(&s, w, &s.policies[0], None, Shared::default());
        sim.run(Limit::Jobs(0), Limit::Jobs(100));
        sim.into_observer()
    }

    /// At a sharing node the timeout is time since the attempt started,
    /// not work: two jobs of 4 sharing one server have each attained 2.5
    /// when their timeout of 5 comes, and stop there.
    #[test]
    fn timeouts_at_a_sharing_node_count_time_not_work() {
        use crate::lifecycle::AttemptEnd::TimedOut;
        for discipline in ["ps", "fb"] {
            let e = shared(
                discipline,
                "timeout = 5.0\nretry = { max_attempts = 1 }",
                [4.0, 4.0],
            );
            assert_eq!(
                e.attempts,
                vec![(5.0, 0, TimedOut, 2.5), (5.0, 1, TimedOut, 2.5)],
                "{discipline}"
            );
            assert_eq!(
                e.gave_up,
                vec![(5.0, 0, GiveUp::Timeout), (5.0, 1, GiveUp::Timeout)]
            );
        }
        // Job 0 (work 1) fails at 2, at its end, and its second attempt
        // (from 2, due at 5) is under way when the first one's timer comes
        // at 3: that timer must not stop it. Job 1 (work 3) times out at 3
        // having attained 1.5 and rejoins at once, so job 0 still shares
        // and fails at 4; job 1's second attempt attains 0.5 + 2 by its
        // timeout at 6.
        use crate::lifecycle::AttemptEnd::Failed;
        let e = shared(
            "ps",
            "timeout = 3.0\nfailure = { p = 1.0, at = \"end\" }\n\
             retry = { max_attempts = 2, initial = 0.0 }",
            [1.0, 3.0],
        );
        assert_eq!(
            e.attempts,
            vec![
                (2.0, 0, Failed, 1.0),
                (3.0, 1, TimedOut, 1.5),
                (4.0, 0, Failed, 1.0),
                (6.0, 1, TimedOut, 2.5)
            ]
        );
    }

    /// A failure point is a point of the attempt's work wherever it runs;
    /// a deadline kills the running attempt at a sharing node, and the
    /// compensation task then runs in the share.
    #[test]
    fn failures_and_deadlines_at_a_sharing_node() {
        use crate::lifecycle::AttemptEnd::{Completed, Failed, Killed};
        let e = shared(
            "ps",
            "failure = { p = 1.0, at = \"end\" }\nretry = { max_attempts = 2, initial = 0.0 }",
            [1.0, 3.0],
        );
        // Shares of 1/2: job 0 fails at 2 and rejoins at once; 0 and 1
        // share again: 0 fails again at 4, 1 (1 + 1 attained) alone at 5,
        // and its second attempt, alone, at 8.
        let ends: Vec<_> = e.attempts.iter().map(|a| (a.0, a.1, a.2)).collect();
        assert_eq!(
            ends,
            vec![
                (2.0, 0, Failed),
                (4.0, 0, Failed),
                (5.0, 1, Failed),
                (8.0, 1, Failed)
            ],
            "{:?}",
            e.attempts
        );
        let e = shared(
            "ps",
            "deadline = 3.0\non_give_up = \"rollback\"\n\
             rollback = { dist = \"deterministic\", value = 0.5 }",
            [10.0, 1.0],
        );
        // Job 1 completes at 2 (shares of 1/2); job 0 then runs alone to
        // 3, attaining 2, is killed, and its compensation of 0.5 ends at 3.5.
        assert_eq!(e.attempts[0], (3.0, 0, Killed, 2.0));
        assert!(e.attempts.iter().all(|a| a.2 != Completed));
        assert_eq!(e.gave_up, vec![(3.0, 0, GiveUp::Deadline)]);
        assert_eq!(e.rolled_back, vec![(3.5, 0)]);
    }
}
