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
//!
//! Server failures (`nodes[j].failures`) follow the engine's draws
//! ([`crate::engine::failure_period`], replication 0): each worker is one
//! server, and under the always-running clock its up and down periods are
//! known in advance, so a slice is cut at the server's next failure as it
//! is at a deadline, and an idle worker finds out it went down when it
//! next looks (the failure logged at its drawn instant). A down worker
//! takes no task until its repair; the task it ran waits on it and
//! continues after the repair (resume), starts over on the next free
//! worker, ahead of the queue (restart), or ends its attempt as failed and
//! follows its retry rules (retry). Under the busy clock the up time runs
//! only while the worker serves.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::task::{Task, TaskState};
use super::watch::{Signal, Stamped};
use super::work::{Work, WorkMode};
use crate::engine::failure_period;
use crate::job::{Job, JobId};
use crate::lifecycle::{AttemptEnd, Attempts, Draws, GiveUp, OnGiveUp};
use crate::model::{Dist, FailureClock, NodeFailures, OnFailure};
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

    /// The real instant of model time `t`.
    fn at(&self, t: f64) -> Instant {
        self.start + self.real(t)
    }
}

/// A node's failure process on the backend: the rule, and the key and
/// node of its draws (as the engine's `StationFailures`).
#[derive(Debug, Clone)]
pub struct PoolFailures {
    pub rule: NodeFailures,
    pub key: u64,
    pub node: u32,
}

/// A server's state once brought up to date.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Up,
    Down,
    /// It failed at this model time while holding a task.
    Interrupted(f64),
}

/// One server's (worker's) failure state.
#[derive(Debug, Clone, Copy)]
struct ServerLife {
    down: bool,
    /// Up and down periods begun so far.
    period: u32,
    /// Model time of its next failure (always clock, up) or repair (down).
    next: f64,
    /// Busy clock: up time left before the next failure.
    up_left: f64,
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
    /// The node's index, its failures and its servers' states.
    node: u32,
    failures: Option<PoolFailures>,
    servers: Vec<ServerLife>,
    /// Tasks whose worker failed under "restart": taken before the queue.
    restarts: VecDeque<JobId>,
    /// Workers serving a task now (not waiting on a repair).
    serving: u32,
    /// Whether an alarm watches this node's queue, and the level last logged.
    queue_watched: bool,
    level: u32,
    /// What the alarms and the failure figures count, in model time.
    signals: Vec<Stamped>,
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
        if matches!(end, AttemptEnd::Failed | AttemptEnd::TimedOut) {
            self.signal(cfg.model(at), Signal::Failed);
        }
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
        self.signals.push(Stamped {
            at: cfg.model(at),
            what: Signal::GaveUp,
        });
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
                        if self.remove_restart(id)
                            || self.policy.remove(id, &self.jobs[i], cfg.model(at))
                        {
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

impl PoolState {
    fn signal(&mut self, at: f64, what: Signal) {
        self.signals.push(Stamped { at, what });
    }

    /// Logs the queue level at `at` if an alarm watches it and it changed:
    /// tasks present (released, not final) that no worker serves.
    fn note_queue(&mut self, at: Instant, cfg: &WorkerConfig) {
        if !self.queue_watched {
            return;
        }
        let level = (self.outstanding as u32).saturating_sub(self.serving);
        if level != self.level {
            self.level = level;
            let node = self.node;
            self.signal(cfg.model(at), Signal::Queue { node, level });
        }
    }

    /// The next task for a free worker: one to restart, else the policy's.
    fn take(&mut self, now: f64) -> Option<JobId> {
        self.restarts
            .pop_front()
            .or_else(|| self.policy.dequeue(now))
    }

    fn remove_restart(&mut self, id: JobId) -> bool {
        match self.restarts.iter().position(|&j| j == id) {
            Some(k) => {
                self.restarts.remove(k);
                true
            }
            None => false,
        }
    }

    fn busy_clock(&self) -> bool {
        self.failures
            .as_ref()
            .is_some_and(|f| f.rule.clock == FailureClock::Busy)
    }

    /// The length of server `s`'s next period (up, down, up, ...).
    fn next_period(&mut self, s: u32) -> f64 {
        let f = self
            .failures
            .as_ref()
            .expect("periods are drawn only at failing nodes");
        let life = &mut self.servers[s as usize];
        let k = life.period;
        life.period += 1;
        failure_period(&f.rule, f.key, f.node, s, k)
    }

    /// Server `s` fails at model time `at`, running a task or not.
    fn server_down(&mut self, s: u32, at: f64, interrupted: bool) {
        let repair = self.next_period(s);
        let life = &mut self.servers[s as usize];
        life.down = true;
        life.next = at + repair;
        life.up_left = 0.0;
        let node = self.node;
        self.signal(at, Signal::Down { node, interrupted });
    }

    /// Server `s` is repaired at model time `at`.
    fn server_up(&mut self, s: u32, at: f64) {
        let up = self.next_period(s);
        let busy = self.busy_clock();
        let life = &mut self.servers[s as usize];
        life.down = false;
        if busy {
            life.up_left = up;
            life.next = f64::INFINITY;
        } else {
            life.next = at + up;
        }
        let node = self.node;
        self.signal(at, Signal::Up { node });
    }

    /// Brings server `s` up to model time `now`: the failures (always
    /// clock) and repairs due by then happen, each at its own instant. A
    /// failure of a server that `holding` a task stops there, interrupting it.
    fn catch_up(&mut self, s: u32, now: f64, holding: bool) -> Status {
        if self.failures.is_none() {
            return Status::Up;
        }
        let busy = self.busy_clock();
        loop {
            let life = self.servers[s as usize];
            if life.next > now {
                return if life.down { Status::Down } else { Status::Up };
            }
            if life.down {
                self.server_up(s, life.next);
            } else if busy {
                return Status::Up;
            } else if holding {
                self.server_down(s, life.next, true);
                return Status::Interrupted(life.next);
            } else {
                self.server_down(s, life.next, false);
            }
        }
    }

    fn resumes(&self) -> bool {
        self.failures
            .as_ref()
            .is_some_and(|f| f.rule.running == OnFailure::Resume)
    }

    /// Model time units from `now` to server `s`'s next failure if it
    /// serves from now on, and the model time of that failure (infinite
    /// without failures). Under the always-running clock that is its drawn
    /// instant itself, even when it passed just before `now` (between the
    /// worker's look at its server and the start of the slice).
    fn up_left(&self, s: u32, now: f64) -> (f64, f64) {
        if self.failures.is_none() {
            return (f64::INFINITY, f64::INFINITY);
        }
        let life = &self.servers[s as usize];
        if self.busy_clock() {
            (life.up_left, now + life.up_left)
        } else {
            ((life.next - now).max(0.0), life.next)
        }
    }

    /// The work task `id` did in its attempt under way is lost: it needs
    /// the attempt's requirement again, and the attempt's fate is drawn
    /// again (the same draws) when it restarts.
    fn lose_attempt(&mut self, id: JobId) {
        let i = id as usize;
        let life = &mut self.life[i];
        self.jobs[i].remaining = life.from_remaining;
        life.started = false;
    }

    /// The server that ran task `id` failed at `at` (model `at_model`)
    /// under a mode that takes the task off it ("restart", "retry").
    fn off_failed_server(&mut self, id: JobId, at: Instant, cfg: &WorkerConfig) {
        let i = id as usize;
        let mode = self
            .failures
            .as_ref()
            .map_or(OnFailure::Restart, |f| f.rule.running);
        let ruled = cfg.rules[self.jobs[i].class as usize].is_some();
        match mode {
            OnFailure::Retry if ruled && self.life[i].phase == Phase::Task => {
                self.after_attempt(id, AttemptEnd::Failed, at, cfg);
            }
            OnFailure::Retry => {
                // Without attempt rules (or for a compensation): another
                // attempt at once, from the tail of the queue.
                self.lose_attempt(id);
                self.enqueue(id, at, cfg);
            }
            _ => {
                self.lose_attempt(id);
                let t = &mut self.tasks[i];
                t.state = TaskState::Queued;
                t.ready = Some(at);
                self.restarts.push_back(id);
                self.wake = true;
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
    /// Where down workers wait for their repair, out of reach of the
    /// `notify_one` meant for a worker that can take a task.
    repair: Condvar,
}

/// What a pool leaves when its workers are done.
#[derive(Debug)]
pub struct PoolParts {
    pub jobs: Vec<Job>,
    pub tasks: Vec<Task>,
    /// Per class.
    pub ends: Vec<Ends>,
    /// What the alarms and failure figures count, in model time.
    pub signals: Vec<Stamped>,
}

impl Pool {
    /// A pool whose tasks are `jobs`, due at `due` (indexed alike);
    /// `demands[k]` is what an attempt of class `k` drawn anew demands here.
    /// `failures`: its servers' failures; `queue_watched`: whether an
    /// alarm watches its queue.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        servers: u32,
        speed: f64,
        policy: QueuePolicy,
        jobs: Vec<Job>,
        due: &[Instant],
        demands: Vec<Dist>,
        node: u32,
        failures: Option<PoolFailures>,
        queue_watched: bool,
    ) -> Pool {
        let n = jobs.len();
        let classes = demands.len();
        let life = ServerLife {
            down: false,
            period: 0,
            next: f64::INFINITY,
            up_left: f64::INFINITY,
        };
        let mut state = PoolState {
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
            node,
            failures,
            servers: vec![life; servers as usize],
            restarts: VecDeque::new(),
            serving: 0,
            queue_watched,
            level: 0,
            signals: Vec::new(),
        };
        if state.failures.is_some() {
            let busy = state.busy_clock();
            for s in 0..servers {
                let up = state.next_period(s);
                let life = &mut state.servers[s as usize];
                if busy {
                    life.up_left = up;
                } else {
                    life.next = up;
                }
            }
        }
        Pool {
            servers,
            speed,
            state: Mutex::new(state),
            idle: Condvar::new(),
            repair: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state
            .lock()
            .expect("a worker panicked while holding the pool lock")
    }

    /// Wakes the idle workers if something they must see changed (down
    /// workers too: one of them may keep the timers, and all leave at the end).
    fn wake_all(&self, g: &mut PoolState) {
        if std::mem::take(&mut g.wake) {
            self.idle.notify_all();
            if g.failures.is_some() {
                self.repair.notify_all();
            }
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
        s.note_queue(now, cfg);
        // A timer set (a timekeeper may be waiting for a later one) or
        // fired wakes every idle worker; a plain release, one.
        let all = std::mem::take(&mut s.wake);
        let failing = s.failures.is_some();
        drop(g);
        if all {
            self.idle.notify_all();
            if failing {
                self.repair.notify_all();
            }
        } else {
            self.idle.notify_one();
        }
    }

    /// No more releases: workers leave once every task is final.
    pub fn close(&self) {
        self.lock().closed = true;
        self.idle.notify_all();
        self.repair.notify_all();
    }

    /// After the workers have left: the failures and repairs of its
    /// servers up to model time `end` (the run's last task end) that no
    /// worker was there to see.
    pub fn settle(&self, end: f64) {
        let mut g = self.lock();
        for s in 0..self.servers {
            g.catch_up(s, end, false);
        }
    }

    /// Model time of the last end of one of its tasks (0 without any).
    pub fn last_end(&self, cfg: &WorkerConfig) -> f64 {
        self.lock()
            .tasks
            .iter()
            .filter_map(|t| t.finished)
            .map(|t| cfg.model(t))
            .fold(0.0, f64::max)
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
            signals: s.signals,
        }
    }

    /// An idle worker waits on `cv`: for the next timer if no other worker
    /// does (sleeping until a calibrated margin before it, then spinning),
    /// else until woken; never past `until`, if given.
    fn idle_wait<'a>(
        &'a self,
        mut g: MutexGuard<'a, PoolState>,
        cfg: &WorkerConfig,
        cv: &Condvar,
        until: Option<Instant>,
    ) -> MutexGuard<'a, PoolState> {
        let timer = g.next_timer().filter(|_| !g.timekeeper);
        let due = match (timer, until) {
            (Some(t), Some(u)) => t.min(u),
            (Some(t), None) => t,
            (None, Some(u)) => u,
            (None, None) => return cv.wait(g).expect("pool lock poisoned"),
        };
        let keeper = timer.is_some();
        g.timekeeper |= keeper;
        let now = Instant::now();
        let margin = cfg.work.timer.spin_margin;
        if due > now + margin {
            g = cv
                .wait_timeout(g, due - now - margin)
                .expect("pool lock poisoned")
                .0;
        } else {
            drop(g);
            cfg.work.timer.wait_until(due);
            g = self.lock();
        }
        if keeper {
            g.timekeeper = false;
        }
        g
    }

    /// Worker `server` is down: it waits for its repair. A task it holds
    /// (resume) waits with it, unless its deadline comes first: then the
    /// attempt is killed there. Returns the lock and whether it let a task go.
    fn wait_repair<'a>(
        &'a self,
        mut g: MutexGuard<'a, PoolState>,
        server: u32,
        held: Option<JobId>,
        cfg: &WorkerConfig,
    ) -> (MutexGuard<'a, PoolState>, bool) {
        let up = cfg.at(g.servers[server as usize].next);
        let Some(id) = held else {
            g = self.idle_wait(g, cfg, &self.repair, Some(up));
            let now = Instant::now();
            g.fire(now, cfg);
            g.note_queue(now, cfg);
            self.wake_all(&mut g);
            return (g, false);
        };
        let life = g.life[id as usize];
        let deadline = match life.phase {
            Phase::Task => life.deadline.filter(|&d| d < up),
            _ => None,
        };
        drop(g);
        cfg.work.timer.wait_until(deadline.unwrap_or(up));
        let end = Instant::now();
        g = self.lock();
        let s = &mut *g;
        s.fire(end, cfg);
        let Some(d) = deadline else {
            return (g, false);
        };
        s.after_attempt(id, AttemptEnd::Killed, d, cfg);
        s.note_queue(d, cfg);
        self.wake_all(s);
        (g, true)
    }

    /// The loop of one worker thread, server `server` of its node: until
    /// the pool is closed and every task is final, take the task the
    /// policy chooses and run it a slice at a time.
    pub fn work(&self, server: u32, cfg: &WorkerConfig) -> WorkerLog {
        let mut log = WorkerLog::default();
        let mut free_since = cfg.start;
        // The task this worker holds across a slice boundary, if it keeps it.
        let mut next: Option<JobId> = None;
        // Service in the current turn (since the task last took a worker).
        let mut turn_used = 0.0;
        // Whether this worker counts among those serving a task.
        let mut serving = false;
        let mut g = self.lock();
        loop {
            let now = Instant::now();
            let status = g.catch_up(server, cfg.model(now), next.is_some());
            if let Status::Interrupted(at) = status {
                // It failed between two slices of the task it holds.
                let id = next.expect("only a worker holding a task is interrupted");
                let s = &mut *g;
                s.serving -= 1;
                serving = false;
                if s.resumes() {
                    turn_used = 0.0;
                } else {
                    s.off_failed_server(id, cfg.at(at).min(now), cfg);
                    next = None;
                    free_since = now;
                }
                s.note_queue(now, cfg);
                self.wake_all(s);
                continue;
            }
            if status == Status::Down {
                if next.is_none() && g.closed && g.outstanding == 0 {
                    break;
                }
                let (back, let_go) = self.wait_repair(g, server, next, cfg);
                g = back;
                if let_go {
                    next = None;
                    free_since = Instant::now();
                }
                continue;
            }
            let (id, switched) = match next.take() {
                Some(id) => (id, false),
                None => {
                    let id = loop {
                        let now = Instant::now();
                        g.fire(now, cfg);
                        g.note_queue(now, cfg);
                        if g.catch_up(server, cfg.model(now), false) == Status::Down {
                            break Err(true);
                        }
                        if let Some(id) = g.take(cfg.model(now)) {
                            break Ok(id);
                        }
                        if g.closed && g.outstanding == 0 {
                            break Err(false);
                        }
                        self.wake_all(&mut g);
                        g = self.idle_wait(g, cfg, &self.idle, None);
                    };
                    match id {
                        Ok(id) => {
                            // Another idle worker keeps the timers.
                            if g.next_timer().is_some() && !g.timekeeper {
                                self.idle.notify_one();
                            }
                            self.wake_all(&mut g);
                            (id, true)
                        }
                        Err(true) => {
                            // It went down: the wake-up it took may have
                            // been meant for a task, so an up worker gets it.
                            self.idle.notify_one();
                            continue;
                        }
                        Err(false) => break,
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
            if !serving {
                s.serving += 1;
                serving = true;
            }
            s.note_queue(begin, cfg);
            let t = &mut s.tasks[i];
            t.state = TaskState::Running;
            t.first_start.get_or_insert(begin);
            let ready = t.ready.unwrap_or(cfg.start);
            let life = s.life[i];
            let begin_model = cfg.model(begin);
            // Time to the server's failure, if it keeps serving.
            let (up_left, fails_at) = s.up_left(server, begin_model);
            let job = &mut s.jobs[i];
            if job.first_start.is_nan() {
                job.first_start = begin_model;
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
            let limit = quantum_left.min(slice).min(deadline_left).min(up_left);
            let mut completes = needed <= limit * (1.0 + 1e-12);
            let run = if completes { needed } else { limit };
            // A slice that ends only to let the policy look for a more
            // urgent task needs no precise end: in sleep mode it is a plain
            // sleep, and the task is credited with the time it really held
            // the worker. Ends of attempts, quanta, deadlines and failures
            // come on time, so a slice whose late wake-up could carry the
            // task past its attempt's end or its server's failure ends on
            // time as well.
            let late = cfg
                .work
                .timer
                .sleep_overshoot_p90
                .max(cfg.work.timer.spin_margin)
                .as_secs_f64()
                / cfg.scale;
            let coarse = !completes
                && slice < quantum_left.min(deadline_left)
                && cfg.work.mode == WorkMode::Sleep
                && needed > run + late
                && up_left > run + late;
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
            if s.busy_clock() && up_left.is_finite() {
                // The busy clock ran while it served.
                let life = &mut s.servers[server as usize];
                life.up_left = (life.up_left - held.as_secs_f64() / cfg.scale).max(0.0);
            }
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
                let failed = up_left.is_finite()
                    && end + DEADLINE_SLACK >= cfg.at(fails_at)
                    && !(dead && life.deadline.is_some_and(|d| d < cfg.at(fails_at)));
                if failed {
                    s.server_down(server, fails_at, true);
                    // Waiting on a repair is not being served.
                    s.serving -= 1;
                    serving = false;
                    if s.resumes() {
                        // It waits on this worker and continues after the
                        // repair, with a fresh quantum (as in the engine).
                        next = Some(id);
                        leaves = false;
                        turn_used = 0.0;
                    } else {
                        s.off_failed_server(id, cfg.at(fails_at).min(end), cfg);
                    }
                } else if dead {
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
                if serving {
                    s.serving -= 1;
                    serving = false;
                }
            }
            s.note_queue(end, cfg);
            self.wake_all(s);
        }
        log
    }
}
