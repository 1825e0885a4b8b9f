//! A station: a node in the running simulation, with its server pool, the
//! queue that feeds it and its buffer rule.

use std::collections::VecDeque;

use crate::job::{Job, JobId};
use crate::policy::{Policy, QueuePolicy};

/// The job of an idle server.
pub(super) const IDLE: JobId = JobId::MAX;
/// The job of a down server that holds none: neither idle (nobody is
/// handed it, and the node's idle count left it when it failed or was
/// busy) nor running.
pub(super) const DOWN: JobId = JobId::MAX - 1;

/// One server of a pool: idle, busy with a job, or blocked (holding a job
/// that finished its service and waits for room at its next node).
#[derive(Debug, Clone, Copy)]
pub(super) struct Server {
    pub job: JobId,
    /// Cancellation token of the server's pending event: bumped whenever
    /// that event is cancelled, so the stale event is skipped.
    pub generation: u32,
    /// When the current job began to make progress (after any switch cost).
    pub progress_from: f64,
    /// Whether the pending event is the job's completion (else its quantum ends).
    pub completes: bool,
    /// Held by a visit whose service is over, waiting for room downstream.
    pub blocked: bool,
    /// Held as one of several servers of a rigid visit whose event
    /// belongs to another server.
    pub follower: bool,
    /// The job this server ran last, so resuming it costs no switch.
    pub last_job: JobId,
    /// Failed and not yet repaired (a job it ran may wait on it), or off shift.
    pub down: bool,
    /// Its shift is over: it leaves when its job (or quantum) ends.
    pub leaving: bool,
}

impl Server {
    pub const IDLE: Server = Server {
        job: IDLE,
        generation: 0,
        progress_from: 0.0,
        completes: false,
        blocked: false,
        follower: false,
        last_job: IDLE,
        down: false,
        leaving: false,
    };

    /// Whether the server is running a job now (not idle, not blocked).
    #[inline]
    pub fn running(&self) -> bool {
        self.job < DOWN && !self.blocked && !self.follower && !self.down
    }
}

/// `work / speed`, out of line: inline, LLVM turned the test of unit
/// speed around it into a choice of divisor (1 or the speed) and divided
/// on every start.
#[inline(never)]
fn divide(work: f64, speed: f64) -> f64 {
    work / speed
}

/// A station's servers: a single server held inline, so a cluster's
/// single-server nodes reach it without a pointer chase (a cache miss per
/// event at 100,000 nodes); several in a vector. Which of the two holds
/// them is fixed per station, so the test is always predicted (a test of
/// the server's index was not: events alternate among servers). A
/// `SmallVec` of one checked where its items live on every access,
/// through a call the optimiser would not inline.
#[derive(Debug, Clone)]
#[repr(C)]
pub(super) struct Pool {
    single: Server,
    several: Vec<Server>,
}

impl Pool {
    /// `n` idle servers (at least one: scenarios give every node one).
    pub fn idle(n: u32) -> Pool {
        Pool {
            single: Server::IDLE,
            several: if n > 1 {
                vec![Server::IDLE; n as usize]
            } else {
                Vec::new()
            },
        }
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    #[inline(always)]
    fn as_slice(&self) -> &[Server] {
        if self.several.is_empty() {
            std::slice::from_ref(&self.single)
        } else {
            &self.several
        }
    }

    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [Server] {
        if self.several.is_empty() {
            std::slice::from_mut(&mut self.single)
        } else {
            &mut self.several
        }
    }

    pub fn get(&self, i: usize) -> Option<&Server> {
        self.as_slice().get(i)
    }

    #[inline(always)]
    pub fn iter(&self) -> std::slice::Iter<'_, Server> {
        self.as_slice().iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Server> {
        self.as_mut_slice().iter_mut()
    }
}

impl std::ops::Index<usize> for Pool {
    type Output = Server;
    #[inline(always)]
    fn index(&self, s: usize) -> &Server {
        &self.as_slice()[s]
    }
}

impl std::ops::IndexMut<usize> for Pool {
    #[inline(always)]
    fn index_mut(&mut self, s: usize) -> &mut Server {
        &mut self.as_mut_slice()[s]
    }
}

/// A station's idle servers, taken last-freed first: the two on top held
/// inline (for the reason of [`Pool`]), any others in a vector.
#[derive(Debug, Clone)]
#[repr(C)]
pub(super) struct Idle {
    len: u32,
    top: [u32; 2],
    more: Vec<u32>,
}

impl Idle {
    /// Servers `0..n` idle, server 0 taken first.
    pub fn all(n: u32) -> Idle {
        let mut idle = Idle {
            len: 0,
            top: [0; 2],
            more: Vec::new(),
        };
        for s in (0..n).rev() {
            idle.push(s);
        }
        idle
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    pub fn push(&mut self, server: u32) {
        match self.len {
            0 | 1 => self.top[self.len as usize] = server,
            _ => self.more.push(server),
        }
        self.len += 1;
    }

    #[inline(always)]
    pub fn pop(&mut self) -> Option<u32> {
        match self.len {
            0 => None,
            1 | 2 => {
                self.len -= 1;
                Some(self.top[self.len as usize])
            }
            _ => {
                self.len -= 1;
                self.more.pop()
            }
        }
    }

    /// Keeps the idle servers that `keep` accepts, in their order.
    pub fn retain(&mut self, keep: impl Fn(u32) -> bool) {
        let mut all = Vec::with_capacity(self.len());
        while let Some(s) = self.pop() {
            all.push(s);
        }
        for &s in all.iter().rev().filter(|&&s| keep(s)) {
            self.push(s);
        }
    }
}

/// A job blocked after service, waiting for room at its next node.
#[derive(Debug, Clone, Copy)]
pub(super) struct Blocked {
    pub job: JobId,
    /// The server it holds (its lead server), or `SHARED` at a sharing node.
    pub server: u32,
    /// When its service ended.
    pub since: f64,
    /// The class it continues as.
    pub class: u32,
}

/// The bytes at the start of a [`Station`] that every arrival, start and
/// departure reads: its first two cache lines (see the layout below).
pub(super) const STATION_HOT_BYTES: usize = 128;

/// A node in the running simulation. Laid out by hand, hot fields first,
/// one station to a whole number of cache lines: at 100,000 nodes each
/// line an event touches at its station is a likely miss. Line 0 holds
/// what every arrival and start reads, line 1 the servers and the flags
/// every event tests, line 2 what some events read.
#[repr(C, align(64))]
pub(super) struct Station {
    /// Jobs at the node (waiting, in service or blocked) and the most it holds.
    pub present: u32,
    pub capacity: u32,
    /// Index of the discipline that feeds this node: in the simulation's
    /// sharing disciplines if `sharing`, else in its queues (its own, or
    /// the central one under pull dispatching).
    pub queue: usize,
    pub speed: f64,
    /// Idle servers, taken last-freed first.
    pub idle: Idle,
    pub servers: Pool,
    /// Speed 1, the usual case: a job's time in service is its work,
    /// exactly, with no division (a dozen cycles on the critical path of
    /// every start). A flag, since LLVM folds a test of `speed == 1.0`
    /// back into the division it guards.
    pub unit_speed: bool,
    /// Whether its discipline ever ends a service at a quantum (else
    /// every service runs to completion, and the quantum is not asked).
    pub sliced: bool,
    pub preemptive: bool,
    /// A sharing discipline (ps, fb) serves all jobs at once; `servers`
    /// and `idle` are then unused.
    pub sharing: bool,
    /// Some visit here holds several servers: every start goes through
    /// the queue's head so nobody passes a visit waiting for servers.
    pub rigid: bool,
    /// Whether a job routed here while full waits on its server (else it
    /// is lost): only then can `waiting_room` hold anyone.
    pub blocks: bool,
    /// Whether its servers fail or work shifts: a freed server then
    /// checks whether it may take the next job.
    pub interrupts: bool,
    /// Whether `switch_cost` is not zero: tested on this line, so that a
    /// start reads the cost's line only where there is one (at 100,000
    /// nodes that line is a miss on every start).
    pub switches: bool,
    /// Time a server spends switching to a job other than the one it ran last.
    pub switch_cost: f64,
    /// Its servers' failures, if they fail.
    pub failures: Option<Box<super::failures::StationFailures>>,
    /// The jobs in service by urgency, at a preemptive node with many
    /// servers whose discipline keeps their order while they run.
    pub victims: Option<Box<super::victims::Victims>>,
    pub share_generation: u32,
    /// Servers of this node held by blocked jobs.
    pub blocked_servers: u32,
    /// Jobs elsewhere blocked on their servers until this node has room,
    /// first blocked first.
    pub waiting_room: VecDeque<Blocked>,
    pub share_busy: Vec<f64>,
    /// Jobs at this node whose service is over and that wait for room
    /// downstream, with the node each waits for.
    pub blocked_jobs: Vec<(JobId, u32)>,
    /// Its servers' shifts, if it has a schedule.
    pub shifts: Option<Box<super::shifts::StationShifts>>,
    /// Jobs whose attempt a failure cut short, first to restart on the
    /// next free server.
    pub restarts: VecDeque<JobId>,
}

impl Station {
    /// How long the next stretch of service of `job` runs, and whether
    /// it completes the job's work (else its quantum ends first).
    #[inline(always)]
    pub fn stretch(&self, policy: &QueuePolicy, job: &Job) -> (f64, bool) {
        let work = (job.remaining - job.cut).max(0.0);
        let needed = if self.unit_speed {
            work
        } else {
            divide(work, self.speed)
        };
        if !self.sliced {
            return (needed, true);
        }
        let quantum = policy.quantum(job);
        // A quantum that covers the remaining work up to rounding completes it.
        if needed <= quantum * (1.0 + 1e-12) {
            (needed, true)
        } else {
            (quantum, false)
        }
    }

    /// Whether jobs elsewhere wait, blocked, for room here. Tested
    /// through `blocks`, on the line every event reads, so that a node
    /// nobody blocks on never touches the waiting room's line.
    #[inline(always)]
    pub fn has_waiting(&self) -> bool {
        self.blocks && !self.waiting_room.is_empty()
    }

    /// Whether a job arriving now would find the node full.
    #[inline]
    pub fn full(&self) -> bool {
        self.present >= self.capacity
    }

    /// Whether nothing at the node can move by itself: every server is
    /// blocked (or, at a sharing node, every job present is).
    pub fn stuck(&self) -> bool {
        if self.sharing {
            self.present > 0 && self.blocked_jobs.len() as u32 == self.present
        } else {
            self.blocked_servers == self.servers.len() as u32
        }
    }
}

/// The `server` of events and blocked entries that belong to a sharing
/// node as a whole.
pub(super) const SHARED: u32 = u32::MAX;

#[cfg(test)]
mod tests {
    use super::*;

    /// The idle stack gives servers back last-freed first, as a plain
    /// vector does, across its inline and spilled parts, and `retain`
    /// keeps the survivors' order.
    #[test]
    fn idle_servers_come_back_last_freed_first() {
        let mut idle = Idle::all(5);
        let mut plain: Vec<u32> = (0..5).rev().collect();
        let mut state = 7u64;
        for step in 0..5_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (state >> 33) as u32;
            if step % 97 == 0 {
                idle.retain(|s| s % 3 != r % 3);
                plain.retain(|s| s % 3 != r % 3);
            } else if r.is_multiple_of(2) && plain.len() < 5 {
                let s = (0..5).find(|s| !plain.contains(s)).expect("a busy server");
                idle.push(s);
                plain.push(s);
            } else {
                assert_eq!(idle.pop(), plain.pop());
            }
            assert_eq!(idle.len(), plain.len());
            assert_eq!(idle.is_empty(), plain.is_empty());
        }
        assert_eq!(
            Idle::all(3).pop(),
            Some(0),
            "server 0 is taken first from a fresh pool"
        );
    }

    /// The hot fields sit on the lines the layout comment says.
    #[test]
    fn a_station_keeps_its_hot_fields_on_its_first_lines() {
        use std::mem::offset_of;
        assert_eq!(std::mem::align_of::<Station>(), 64);
        assert!(offset_of!(Station, idle) + std::mem::size_of::<Idle>() <= 64);
        assert!(offset_of!(Station, interrupts) < STATION_HOT_BYTES);
        assert!(offset_of!(Station, switches) < STATION_HOT_BYTES);
        assert!(offset_of!(Station, servers) + std::mem::size_of::<Pool>() <= STATION_HOT_BYTES);
        assert!(
            offset_of!(Station, waiting_room) + std::mem::size_of::<VecDeque<Blocked>>() <= 192
        );
    }

    /// One server or several, every index reaches its own server.
    #[test]
    fn a_pool_reaches_each_of_its_servers() {
        for n in [1u32, 2, 7] {
            let mut pool = Pool::idle(n);
            assert_eq!(pool.len(), n as usize);
            for s in 0..n as usize {
                pool[s].job = s as JobId;
            }
            let jobs: Vec<JobId> = pool.iter().map(|s| s.job).collect();
            assert_eq!(jobs, (0..n).collect::<Vec<_>>());
            for slot in pool.iter_mut() {
                slot.generation += 1;
            }
            assert!((0..n as usize).all(|s| pool[s].generation == 1 && pool[s].job == s as JobId));
        }
    }
}
