//! One node's pool: worker threads (one per server) around a lock that
//! guards the node's policy object, its job table and the task lifecycle,
//! and a condition variable on which idle workers wait.
//!
//! A free worker asks the policy (`dequeue`) which task runs next, exactly
//! as a free server does in the engine. A task runs in slices: at most the
//! policy's quantum (rr, mlfq), at most the configured slice under a
//! preemptive discipline (srpt, priority-pr, ...), else to completion.
//! Between slices the worker updates the job's `remaining` work in model
//! units and returns to the policy: a spent quantum goes through `expire`
//! and `enqueue`, as in the engine; under a preemptive discipline the
//! worker gives its task up when the policy says the head of the queue
//! `outranks` it. Preemption by an arrival therefore happens at the next
//! slice boundary rather than at the arrival instant.
//!
//! `fb`, a sharing discipline in the engine, runs here through the queue
//! discipline that serves it by slices (`policy::fb::BySlices`): a preemptive discipline ranking by attained
//! service, so between slices the task with the least service so far takes
//! the worker, and tasks with equal service take turns. Exact sharing is
//! the limit of short slices.
//!
//! Slice ends that serve only that check are plain sleeps in sleep mode
//! (no spinning, so short slices cost no CPU), and the task is credited
//! with the time it actually held the worker; completions, quanta, ends of
//! attempts and deadlines end precisely (see [`super::work::Timer`]).
//!
//! The task lifecycle (`[classes.attempts]`) is the engine's, run by the
//! shared [`crate::lifecycle`] code: when an attempt starts, its fate comes
//! from [`Attempts::plan`] with the seeded [`Draws`] the simulation uses,
//! keyed by (seed, replication 0, job, visit 0, attempt), as the work left
//! when it ends (the engine's `cut`). The worker runs the attempt until
//! then, which cuts it at its timeout or at its failure point; a failed or
//! timed-out attempt waits out the backoff drawn by the same code and
//! rejoins the pool's queue, or the task is given up (dead-lettered, or its
//! compensation task joins the queue). Queue timeouts, deadlines and ends
//! of backoffs are timers in the pool, fired by whichever thread takes the
//! lock first after they are due, before it touches the queue (an idle
//! worker waits for the next one); a deadline that falls while the task
//! runs ends the worker's slice there and kills the attempt.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::task::{Task, TaskState};
use super::work::{Work, WorkMode};
use crate::job::{Job, JobId};
use crate::lifecycle::{AttemptEnd, Attempts, Draws, GiveUp, OnGiveUp};
use crate::model::Dist;
use crate::policy::{Policy, QueuePolicy};

/// Relative tolerance when comparing spent time with a quantum.
const EPS: f64 = 1e-9;
/// Slack when telling whether a slice reached the task's deadline
/// (`Duration` rounds the scaled slice to the nanosecond).
const DEADLINE_SLACK: Duration = Duration::from_micros(1);

/// What every worker of a run needs to know.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub work: Work,
    /// Seconds of real time per model time unit.
    pub scale: f64,
    /// The run's time origin.
    pub start: Instant,
    /// Longest slice under a preemptive discipline (model units).
    pub slice: f64,
    /// Per class: its attempt rules (`None`: every attempt completes).
    pub rules: Vec<Option<Attempts>>,
    /// The lifecycle's draws (replication 0 of the scenario's seed).
    pub draws: Draws,
}

impl WorkerConfig {
    /// Model time of a real instant.
    pub fn model(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.start).as_secs_f64() / self.scale
    }

    fn real(&self, units: f64) -> Duration {
        Duration::from_secs_f64((units * self.scale).max(0.0))
    }
}

/// Where a task is in its lifecycle, beyond its [`TaskState`] (as the
/// engine's `attempts::Phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for an attempt or in one.
    Task,
    /// Between two attempts.
    Backoff,
    /// Given up; its compensation task waits or runs.
    Compensation,
}

/// A task's lifecycle state behind the lock.
#[derive(Debug, Clone, Copy)]
struct Life {
    /// The attempt under way or next (1 for the first).
    attempt: u32,
    /// Whether that attempt has started, and how it will end.
    started: bool,
    ends: AttemptEnd,
    phase: Phase,
    /// The requirement left when the attempt ends (its `cut`), and at its start.
    cut: f64,
    from_remaining: f64,
    /// Real time the current attempt (or compensation) has held workers.
    held: Duration,
    /// When the task is given up if it has not ended (`deadline`).
    deadline: Option<Instant>,
}

impl Life {
    const NEW: Life = Life {
        attempt: 1,
        started: false,
        ends: AttemptEnd::Completed,
        phase: Phase::Task,
        cut: 0.0,
        from_remaining: 0.0,
        held: Duration::ZERO,
        deadline: None,
    };
}

/// What a pool timer does when it comes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wake {
    /// A backoff ended: the task's next attempt rejoins the queue.
    Retry,
    /// No attempt has started since the task arrived: given up.
    QueueTimeout,
    /// The task's deadline: given up, whatever it is doing.
    Deadline,
}

/// A timer: at `due`, `kind` for task `id` (a retry: for this attempt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    due: Instant,
    kind: Wake,
    id: JobId,
    attempt: u32,
}

/// Tasks by how they entered and left, per class: the two sides of the
/// accounting identity, counted as the events happen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ends {
    pub arrived: u64,
    pub completed: u64,
    pub dead_lettered: u64,
    pub rolled_back: u64,
}

/// State behind the pool's lock.
#[derive(Debug)]
pub struct PoolState {
    pub policy: QueuePolicy,
    /// The jobs as the policy sees them, indexed by `JobId`.
    pub jobs: Vec<Job>,
    pub tasks: Vec<Task>,
    life: Vec<Life>,
    /// Per class: what an attempt drawn anew demands here.
    demands: Vec<Dist>,
    /// Per class.
    ends: Vec<Ends>,
    timers: BinaryHeap<Reverse<Timer>>,
    /// An idle worker is waiting for the next timer.
    timekeeper: bool,
    /// Something changed that idle workers must look at (a timer set, a
    /// task queued or ended by a timer).
    wake: bool,
    /// The dispatcher has released everything it will.
    closed: bool,
    /// Released tasks not yet in a final state.
    outstanding: usize,
}

impl PoolState {
    /// Task `id` reached its final `state` at `at`.
    fn finish(&mut self, id: JobId, state: TaskState, at: Instant) {
        let i = id as usize;
        let t = &mut self.tasks[i];
        debug_assert!(!t.state.is_terminal(), "task {id} ended twice");
        t.state = state;
        t.finished = Some(at);
        let e = &mut self.ends[self.jobs[i].class as usize];
        match state {
            TaskState::Completed => e.completed += 1,
            TaskState::DeadLettered => e.dead_lettered += 1,
            TaskState::RolledBack => e.rolled_back += 1,
            _ => unreachable!("{} is not a final state", state.name()),
        }
        self.outstanding -= 1;
        // The last one: the workers may leave.
        self.wake |= self.closed && self.outstanding == 0;
    }

    /// Task `id` joins the queue at `at` (model time of that instant).
    fn enqueue(&mut self, id: JobId, at: Instant, cfg: &WorkerConfig) {
        let i = id as usize;
        self.tasks[i].state = TaskState::Queued;
        self.tasks[i].ready = Some(at);
        self.policy.enqueue(id, &mut self.jobs[i], cfg.model(at));
        self.wake = true;
    }

    fn set_timer(&mut self, due: Instant, kind: Wake, id: JobId, attempt: u32) {
        self.timers.push(Reverse(Timer {
            due,
            kind,
            id,
            attempt,
        }));
        self.wake = true;
    }

    fn next_timer(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse(t)| t.due)
    }

    /// Task `id` takes a worker at `speed`: if this starts an attempt, its
    /// fate is drawn (as the engine's `attempt_begins`).
    fn begin_attempt(&mut self, id: JobId, speed: f64, cfg: &WorkerConfig) {
        let i = id as usize;
        let life = &mut self.life[i];
        if life.started {
            return;
        }
        let job = &self.jobs[i];
        life.started = true;
        life.held = Duration::ZERO;
        life.from_remaining = job.remaining;
        life.ends = AttemptEnd::Completed;
        life.cut = 0.0;
        if life.phase != Phase::Task {
            return;
        }
        self.tasks[i].attempts = life.attempt;
        let Some(rule) = &cfg.rules[job.class as usize] else {
            return;
        };
        let (u1, u2) = cfg.draws.failure(job.seq, 0, life.attempt);
        let plan = rule.plan(job.remaining, speed, u1, u2);
        life.ends = plan.ends;
        life.cut = (job.remaining - plan.work).max(0.0);
    }

    /// The attempt of task `id` ended at `at` as `end` without completing,
    /// its worker about to be free: counted, then another attempt after
    /// the backoff, or the task is given up (as the engine's `after_attempt`).
    fn after_attempt(&mut self, id: JobId, end: AttemptEnd, at: Instant, cfg: &WorkerConfig) {
        let i = id as usize;
        self.count_wasted(id);
        match end {
            AttemptEnd::Failed => self.tasks[i].failures += 1,
            AttemptEnd::TimedOut => self.tasks[i].timeouts += 1,
            AttemptEnd::Killed => self.tasks[i].killed += 1,
            AttemptEnd::Completed => unreachable!("a completed attempt is not retried"),
        }
        let class = self.jobs[i].class as usize;
        let rule = cfg.rules[class]
            .as_ref()
            .expect("attempts end early only under attempt rules");
        let attempt = self.life[i].attempt;
        if end == AttemptEnd::Killed || !rule.retry.allows_after(attempt) {
            let why = if end == AttemptEnd::Killed {
                GiveUp::Deadline
            } else {
                Attempts::reason(end)
            };
            return self.give_up(id, why, at, cfg);
        }
        let job = &mut self.jobs[i];
        let u = cfg.draws.backoff(job.seq, 0, attempt);
        let delay = rule.retry.backoff.delay(attempt, u);
        if rule.resample {
            job.size = cfg
                .draws
                .retry_size(&self.demands[class], job.seq, 0, attempt);
        }
        job.remaining = job.size;
        let life = &mut self.life[i];
        life.attempt += 1;
        life.started = false;
        if delay > 0.0 {
            life.phase = Phase::Backoff;
            self.tasks[i].state = TaskState::Backoff;
            let next = life.attempt;
            self.set_timer(at + cfg.real(delay), Wake::Retry, id, next);
        } else {
            self.enqueue(id, at, cfg);
        }
    }

    /// The work and worker time of task `id`'s attempt under way, which
    /// will not complete, are wasted.
    fn count_wasted(&mut self, id: JobId) {
        let i = id as usize;
        let life = &self.life[i];
        let t = &mut self.tasks[i];
        t.wasted += life.held;
        t.wasted_work += (life.from_remaining - self.jobs[i].remaining).max(0.0);
    }

    /// Task `id` is given up for `why` at `at` (not holding a worker):
    /// dead-lettered, or its compensation task joins the queue.
    fn give_up(&mut self, id: JobId, why: GiveUp, at: Instant, cfg: &WorkerConfig) {
        let i = id as usize;
        let life = &mut self.life[i];
        // A task given up between attempts used those before this one.
        let used = if life.started {
            life.attempt
        } else {
            life.attempt - 1
        };
        let t = &mut self.tasks[i];
        t.attempts = used;
        t.gave_up = Some(why);
        t.gave_up_at = Some(at);
        let job = &mut self.jobs[i];
        let rule = cfg.rules[job.class as usize]
            .as_ref()
            .expect("tasks are given up only under attempt rules");
        match &rule.on_give_up {
            OnGiveUp::DeadLetter => self.finish(id, TaskState::DeadLettered, at),
            OnGiveUp::Rollback(demand) => {
                life.phase = Phase::Compensation;
                life.started = false;
                job.size = cfg.draws.rollback_size(demand, job.seq, 0);
                job.remaining = job.size;
                self.enqueue(id, at, cfg);
            }
        }
    }

    /// Fires the timers due at `now`, in order, each at its own instant.
    fn fire(&mut self, now: Instant, cfg: &WorkerConfig) {
        while let Some(&Reverse(timer)) = self.timers.peek() {
            if timer.due > now {
                break;
            }
            self.timers.pop();
            let (id, at) = (timer.id, timer.due);
            let i = id as usize;
            let state = self.tasks[i].state;
            if state.is_terminal() {
                continue;
            }
            let life = self.life[i];
            match timer.kind {
                Wake::Retry => {
                    if life.phase == Phase::Backoff && life.attempt == timer.attempt {
                        self.life[i].phase = Phase::Task;
                        self.enqueue(id, at, cfg);
                    }
                }
                Wake::QueueTimeout => {
                    if life.phase == Phase::Task
                        && self.tasks[i].first_start.is_none()
                        && self.policy.remove(id, &self.jobs[i], cfg.model(at))
                    {
                        self.give_up(id, GiveUp::QueueTimeout, at, cfg);
                    }
                }
                Wake::Deadline => match (life.phase, state) {
                    (Phase::Compensation, _) => {}
                    (Phase::Backoff, _) => self.give_up(id, GiveUp::Deadline, at, cfg),
                    // Its worker ends the slice at the deadline and kills it.
                    (Phase::Task, TaskState::Running) => {}
                    (Phase::Task, _) => {
                        if self.policy.remove(id, &self.jobs[i], cfg.model(at)) {
                            if life.started {
                                // Preempted mid-attempt and waiting: that attempt dies too.
                                self.count_wasted(id);
                                self.tasks[i].killed += 1;
                            }
                            self.give_up(id, GiveUp::Deadline, at, cfg);
                        }
                    }
                },
            }
        }
    }
}

/// What one worker measured.
#[derive(Debug, Default, Clone)]
pub struct WorkerLog {
    /// Seconds from the worker becoming free (or the task becoming ready,
    /// whichever is later) to the next task starting, per switch of task.
    pub dispatch_latency: Vec<f64>,
}

/// A node's pool.
#[derive(Debug)]
pub struct Pool {
    pub servers: u32,
    pub speed: f64,
    state: Mutex<PoolState>,
    idle: Condvar,
}

/// What a pool leaves when its workers are done.
#[derive(Debug)]
pub struct PoolParts {
    pub jobs: Vec<Job>,
    pub tasks: Vec<Task>,
    /// Per class.
    pub ends: Vec<Ends>,
}

impl Pool {
    /// A pool whose tasks are `jobs`, due at `due` (indexed alike);
    /// `demands[k]` is what an attempt of class `k` drawn anew demands here.
    pub fn new(
        servers: u32,
        speed: f64,
        policy: QueuePolicy,
        jobs: Vec<Job>,
        due: &[Instant],
        demands: Vec<Dist>,
    ) -> Pool {
        let n = jobs.len();
        let classes = demands.len();
        Pool {
            servers,
            speed,
            state: Mutex::new(PoolState {
                policy,
                jobs,
                tasks: due.iter().map(|&d| Task::new(d)).collect(),
                life: vec![Life::NEW; n],
                demands,
                ends: vec![Ends::default(); classes],
                timers: BinaryHeap::new(),
                timekeeper: false,
                wake: false,
                closed: false,
                outstanding: 0,
            }),
            idle: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state
            .lock()
            .expect("a worker panicked while holding the pool lock")
    }

    /// Wakes the idle workers if something they must see changed.
    fn wake_all(&self, g: &mut PoolState) {
        if std::mem::take(&mut g.wake) {
            self.idle.notify_all();
        }
    }

    /// Releases task `id` at `now` (called by the dispatcher): its visit
    /// begins, with its queue timeout and deadline set.
    pub fn release(&self, id: JobId, now: Instant, cfg: &WorkerConfig) {
        let mut g = self.lock();
        let s = &mut *g;
        s.fire(now, cfg);
        let i = id as usize;
        let t = &mut s.tasks[i];
        t.state = TaskState::Queued;
        t.released = Some(now);
        t.ready = Some(now);
        s.outstanding += 1;
        let class = s.jobs[i].class as usize;
        s.ends[class].arrived += 1;
        if let Some(rule) = &cfg.rules[class] {
            if rule.queue_timeout.is_finite() {
                s.set_timer(
                    now + cfg.real(rule.queue_timeout),
                    Wake::QueueTimeout,
                    id,
                    0,
                );
            }
            if rule.deadline.is_finite() {
                let due = now + cfg.real(rule.deadline);
                s.life[i].deadline = Some(due);
                s.set_timer(due, Wake::Deadline, id, 0);
            }
        }
        s.policy.enqueue(id, &mut s.jobs[i], cfg.model(now));
        // A timer set (a timekeeper may be waiting for a later one) or
        // fired wakes every idle worker; a plain release, one.
        let all = std::mem::take(&mut s.wake);
        drop(g);
        if all {
            self.idle.notify_all();
        } else {
            self.idle.notify_one();
        }
    }

    /// No more releases: workers leave once every task is final.
    pub fn close(&self) {
        self.lock().closed = true;
        self.idle.notify_all();
    }

    /// Takes the final state of every task (after the workers have left).
    pub fn into_parts(self) -> PoolParts {
        let s = self
            .state
            .into_inner()
            .expect("a worker panicked while holding the pool lock");
        PoolParts {
            jobs: s.jobs,
            tasks: s.tasks,
            ends: s.ends,
        }
    }

    /// An idle worker waits: for the next timer if no other worker does
    /// (sleeping until a calibrated margin before it, then spinning), else
    /// until woken.
    fn idle_wait<'a>(
        &'a self,
        mut g: MutexGuard<'a, PoolState>,
        cfg: &WorkerConfig,
    ) -> MutexGuard<'a, PoolState> {
        let due = match g.next_timer() {
            Some(due) if !g.timekeeper => due,
            _ => return self.idle.wait(g).expect("pool lock poisoned"),
        };
        g.timekeeper = true;
        let now = Instant::now();
        let margin = cfg.work.timer.spin_margin;
        if due > now + margin {
            g = self
                .idle
                .wait_timeout(g, due - now - margin)
                .expect("pool lock poisoned")
                .0;
        } else {
            drop(g);
            cfg.work.timer.wait_until(due);
            g = self.lock();
        }
        g.timekeeper = false;
        g
    }

    /// The loop of one worker thread: until the pool is closed and every
    /// task is final, take the task the policy chooses and run it a slice
    /// at a time.
    pub fn work(&self, cfg: &WorkerConfig) -> WorkerLog {
        let mut log = WorkerLog::default();
        let mut free_since = cfg.start;
        // The task this worker holds across a slice boundary, if it keeps it.
        let mut next: Option<JobId> = None;
        // Service in the current turn (since the task last took a worker).
        let mut turn_used = 0.0;
        let mut g = self.lock();
        loop {
            let (id, switched) = match next.take() {
                Some(id) => (id, false),
                None => {
                    let id = loop {
                        let now = Instant::now();
                        g.fire(now, cfg);
                        if let Some(id) = g.policy.dequeue(cfg.model(now)) {
                            break Some(id);
                        }
                        if g.closed && g.outstanding == 0 {
                            break None;
                        }
                        self.wake_all(&mut g);
                        g = self.idle_wait(g, cfg);
                    };
                    match id {
                        Some(id) => {
                            // Another idle worker keeps the timers.
                            if g.next_timer().is_some() && !g.timekeeper {
                                self.idle.notify_one();
                            }
                            self.wake_all(&mut g);
                            (id, true)
                        }
                        None => break,
                    }
                }
            };
            if switched {
                turn_used = 0.0;
            }
            let i = id as usize;
            let s = &mut *g;
            s.begin_attempt(id, self.speed, cfg);
            let begin = Instant::now();
            let t = &mut s.tasks[i];
            t.state = TaskState::Running;
            t.first_start.get_or_insert(begin);
            let ready = t.ready.unwrap_or(cfg.start);
            let life = s.life[i];
            let job = &mut s.jobs[i];
            if job.first_start.is_nan() {
                job.first_start = cfg.model(begin);
            }
            // The work left in this attempt (or compensation).
            let needed = (job.remaining - life.cut).max(0.0) / self.speed;
            let quantum_left = s.policy.quantum(job) - turn_used;
            let slice = if s.policy.preemptive() {
                cfg.slice
            } else {
                f64::INFINITY
            };
            let deadline_left = match (life.phase, life.deadline) {
                (Phase::Task, Some(d)) => {
                    d.saturating_duration_since(begin).as_secs_f64() / cfg.scale
                }
                _ => f64::INFINITY,
            };
            let limit = quantum_left.min(slice).min(deadline_left);
            let mut completes = needed <= limit * (1.0 + 1e-12);
            let run = if completes { needed } else { limit };
            // A slice that ends only to let the policy look for a more
            // urgent task needs no precise end: in sleep mode it is a plain
            // sleep, and the task is credited with the time it really held
            // the worker. Ends of attempts, quanta and deadlines come on
            // time, so a slice whose late wake-up could carry the task past
            // its attempt's end ends on time as well.
            let late = cfg
                .work
                .timer
                .sleep_overshoot_p90
                .max(cfg.work.timer.spin_margin);
            let coarse = !completes
                && slice < quantum_left.min(deadline_left)
                && cfg.work.mode == WorkMode::Sleep
                && needed > run + late.as_secs_f64() / cfg.scale;
            drop(g);

            if switched {
                let from = free_since.max(ready);
                log.dispatch_latency
                    .push(begin.saturating_duration_since(from).as_secs_f64());
            }
            if coarse {
                std::thread::sleep(cfg.real(run));
            } else {
                cfg.work.execute(cfg.real(run));
            }
            let end = Instant::now();
            let held = end - begin;
            let mut progress = run;
            if coarse {
                progress = held.as_secs_f64() / cfg.scale;
                if progress >= needed * (1.0 - 1e-12) {
                    completes = true;
                    progress = needed;
                }
            }

            g = self.lock();
            let s = &mut *g;
            // What came due while the slice ran happened before its end.
            s.fire(end, cfg);
            let now = cfg.model(end);
            let t = &mut s.tasks[i];
            t.served += held;
            t.slices += 1;
            s.life[i].held += held;
            let job = &mut s.jobs[i];
            job.served += held.as_secs_f64() / cfg.scale;
            turn_used += progress;
            let mut leaves = true;
            if completes {
                job.remaining = life.cut;
                match (life.phase, life.ends) {
                    (Phase::Compensation, _) => {
                        s.count_wasted(id);
                        s.finish(id, TaskState::RolledBack, end);
                    }
                    (_, AttemptEnd::Completed) => s.finish(id, TaskState::Completed, end),
                    (_, ends) => s.after_attempt(id, ends, end, cfg),
                }
            } else {
                job.remaining = (job.remaining - progress * self.speed).max(life.cut);
                let dead = match (life.phase, life.deadline) {
                    (Phase::Task, Some(d)) => end + DEADLINE_SLACK >= d,
                    _ => false,
                };
                if dead {
                    let d = life.deadline.expect("a deadline was reached");
                    s.after_attempt(id, AttemptEnd::Killed, d.min(end), cfg);
                } else if turn_used >= s.policy.quantum(job) * (1.0 - EPS) {
                    // The quantum ran out: back to the policy, as in the engine.
                    s.policy.expire(job, now);
                    let t = &mut s.tasks[i];
                    t.state = TaskState::Preempted;
                    t.ready = Some(end);
                    t.preemptions += 1;
                    s.policy.enqueue(id, job, now);
                } else {
                    // A slice boundary of a preemptive discipline.
                    let challenger = s.policy.peek(now);
                    match challenger {
                        Some(c) if s.policy.outranks(&s.jobs[c as usize], &s.jobs[i], now) => {
                            let t = &mut s.tasks[i];
                            t.state = TaskState::Preempted;
                            t.preemptions += 1;
                            t.ready = Some(end);
                            s.policy.enqueue(id, &mut s.jobs[i], now);
                        }
                        _ => {
                            s.tasks[i].state = TaskState::Running;
                            next = Some(id);
                            leaves = false;
                        }
                    }
                }
            }
            if leaves {
                free_since = end;
            }
            self.wake_all(s);
        }
        log
    }
}
