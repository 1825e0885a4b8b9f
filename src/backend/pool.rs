//! One node's pool: worker threads (one per server) around a lock that
//! guards the node's policy object and its job table, and a condition
//! variable on which idle workers wait.
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
//! with the time it actually held the worker; completions, quanta and
//! timeouts end precisely (see [`super::work::Timer`]).

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::task::{Task, TaskState};
use super::work::{Work, WorkMode};
use crate::job::{Job, JobId};
use crate::policy::{Policy, QueuePolicy};

/// Relative tolerance when comparing spent time with a quantum or timeout.
const EPS: f64 = 1e-9;

/// What every worker of a run needs to know.
#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    pub work: Work,
    /// Seconds of real time per model time unit.
    pub scale: f64,
    /// The run's time origin.
    pub start: Instant,
    /// Longest slice under a preemptive discipline (model units).
    pub slice: f64,
    /// Longest service of one attempt before it is cut off (model units).
    pub timeout: f64,
    /// Attempts allowed after the first, for failed or timed-out tasks.
    pub retries: u32,
    /// Probability that an attempt fails when its work is done.
    pub fail_prob: f64,
    pub seed: u64,
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

/// SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Whether attempt `attempt` of task `seq` fails: a uniform draw derived
/// from (seed, seq, attempt), so the outcome does not depend on which
/// worker ran it or when.
pub fn attempt_fails(seed: u64, seq: u64, attempt: u32, fail_prob: f64) -> bool {
    if fail_prob <= 0.0 {
        return false;
    }
    let u = (mix(mix(mix(seed ^ 0xFA11) ^ seq) ^ u64::from(attempt)) >> 11) as f64
        / (1u64 << 53) as f64;
    u < fail_prob
}

/// State behind the pool's lock.
#[derive(Debug)]
pub struct PoolState {
    pub policy: QueuePolicy,
    /// The jobs as the policy sees them, indexed by `JobId`.
    pub jobs: Vec<Job>,
    pub tasks: Vec<Task>,
    /// Whether the current attempt of each task has yet to start.
    fresh: Vec<bool>,
    /// Service of the current attempt so far (model units).
    attempt_served: Vec<f64>,
    /// The dispatcher has released everything it will.
    closed: bool,
    /// Released tasks not yet in a final state.
    outstanding: usize,
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

impl Pool {
    /// A pool whose tasks are `jobs`, due at `due` (indexed alike).
    pub fn new(
        servers: u32,
        speed: f64,
        policy: QueuePolicy,
        jobs: Vec<Job>,
        due: &[Instant],
    ) -> Pool {
        let n = jobs.len();
        Pool {
            servers,
            speed,
            state: Mutex::new(PoolState {
                policy,
                jobs,
                tasks: due.iter().map(|&d| Task::new(d)).collect(),
                fresh: vec![true; n],
                attempt_served: vec![0.0; n],
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

    /// Releases task `id` at `now` (called by the dispatcher).
    pub fn release(&self, id: JobId, now: Instant, cfg: &WorkerConfig) {
        let mut g = self.lock();
        let s = &mut *g;
        let t = &mut s.tasks[id as usize];
        t.state = TaskState::Queued;
        t.released = Some(now);
        t.ready = Some(now);
        s.outstanding += 1;
        s.policy
            .enqueue(id, &mut s.jobs[id as usize], cfg.model(now));
        drop(g);
        self.idle.notify_one();
    }

    /// No more releases: workers leave once every task is final.
    pub fn close(&self) {
        self.lock().closed = true;
        self.idle.notify_all();
    }

    /// Takes the final state of every task (after the workers have left).
    pub fn into_parts(self) -> (Vec<Job>, Vec<Task>) {
        let s = self
            .state
            .into_inner()
            .expect("a worker panicked while holding the pool lock");
        (s.jobs, s.tasks)
    }

    /// A task reached the end of an attempt without success: retried if it
    /// has retries left, else put in `final_state`. Returns whether final.
    fn end_attempt(
        s: &mut PoolState,
        id: JobId,
        final_state: TaskState,
        end: Instant,
        cfg: &WorkerConfig,
    ) -> bool {
        let i = id as usize;
        if s.tasks[i].attempts <= cfg.retries {
            let job = &mut s.jobs[i];
            job.remaining = job.size;
            job.level = 0;
            job.tag = 0;
            s.fresh[i] = true;
            s.attempt_served[i] = 0.0;
            s.tasks[i].state = TaskState::Queued;
            s.tasks[i].ready = Some(end);
            s.policy.enqueue(id, &mut s.jobs[i], cfg.model(end));
            false
        } else {
            s.tasks[i].state = final_state;
            true
        }
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
                        let now = cfg.model(Instant::now());
                        if let Some(id) = g.policy.dequeue(now) {
                            break Some(id);
                        }
                        if g.closed && g.outstanding == 0 {
                            break None;
                        }
                        g = self.idle.wait(g).expect("pool lock poisoned");
                    };
                    match id {
                        Some(id) => (id, true),
                        None => break,
                    }
                }
            };
            if switched {
                turn_used = 0.0;
            }
            let i = id as usize;
            let s = &mut *g;
            if s.fresh[i] {
                s.fresh[i] = false;
                s.tasks[i].attempts += 1;
            }
            s.tasks[i].state = TaskState::Running;
            let ready = s.tasks[i].ready.unwrap_or(cfg.start);
            let job = &s.jobs[i];
            let needed = job.remaining / self.speed;
            let quantum_left = s.policy.quantum(job) - turn_used;
            let slice = if s.policy.preemptive() {
                cfg.slice
            } else {
                f64::INFINITY
            };
            let timeout_left = cfg.timeout - s.attempt_served[i];
            let limit = quantum_left.min(slice).min(timeout_left);
            let mut completes = needed <= limit * (1.0 + 1e-12);
            let run = if completes { needed } else { limit };
            // A slice that ends only to let the policy look for a more
            // urgent task needs no precise end: in sleep mode it is a plain
            // sleep, and the task is credited with the time it really held
            // the worker. Completions, quanta and timeouts end on time, so
            // a slice whose late wake-up could carry the task past its
            // completion ends on time as well.
            let late = cfg
                .work
                .timer
                .sleep_overshoot_p90
                .max(cfg.work.timer.spin_margin);
            let coarse = !completes
                && slice < quantum_left.min(timeout_left)
                && cfg.work.mode == WorkMode::Sleep
                && needed > run + late.as_secs_f64() / cfg.scale;
            drop(g);

            let begin = Instant::now();
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
            let now = cfg.model(end);
            let t = &mut s.tasks[i];
            t.first_start.get_or_insert(begin);
            t.served += held;
            t.slices += 1;
            let job = &mut s.jobs[i];
            job.served += held.as_secs_f64() / cfg.scale;
            if job.first_start.is_nan() {
                job.first_start = cfg.model(begin);
            }
            turn_used += progress;
            s.attempt_served[i] += progress;
            let mut leaves = true;
            let mut done = false;
            if completes {
                job.remaining = 0.0;
                if attempt_fails(cfg.seed, job.seq, s.tasks[i].attempts, cfg.fail_prob) {
                    s.tasks[i].failures += 1;
                    done = Self::end_attempt(s, id, TaskState::Failed, end, cfg);
                } else {
                    s.tasks[i].state = TaskState::Completed;
                    done = true;
                }
            } else {
                job.remaining = (job.remaining - progress * self.speed).max(0.0);
                if s.attempt_served[i] >= cfg.timeout * (1.0 - EPS) {
                    s.tasks[i].timeouts += 1;
                    done = Self::end_attempt(s, id, TaskState::TimedOut, end, cfg);
                } else if turn_used >= s.policy.quantum(job) * (1.0 - EPS) {
                    // The quantum ran out: back to the policy, as in the engine.
                    s.policy.expire(job, now);
                    s.tasks[i].state = TaskState::Preempted;
                    s.tasks[i].ready = Some(end);
                    s.tasks[i].preemptions += 1;
                    s.policy.enqueue(id, job, now);
                } else {
                    // A slice boundary of a preemptive discipline.
                    let challenger = s.policy.peek(now);
                    match challenger {
                        Some(c) if s.policy.outranks(&s.jobs[c as usize], &s.jobs[i], now) => {
                            s.tasks[i].state = TaskState::Preempted;
                            s.tasks[i].preemptions += 1;
                            s.tasks[i].ready = Some(end);
                            s.policy.enqueue(id, &mut s.jobs[i], now);
                        }
                        _ => {
                            next = Some(id);
                            leaves = false;
                        }
                    }
                }
            }
            if done {
                s.tasks[i].finished = Some(end);
                s.outstanding -= 1;
                if s.closed && s.outstanding == 0 {
                    self.idle.notify_all();
                }
            }
            if leaves {
                free_since = end;
            }
        }
        log
    }
}
