//! Server failures in the engine: each server of a node with `failures`
//! alternates up and down periods, two event kinds on the calendar
//! (`ServerDown`, `ServerUp`) carrying the server's failure token. A
//! down server is out of its node's idle list, so dispatch rules, pulls
//! and the node's own queue pass it by; the job it ran waits on it
//! (resume), starts over on the next free server (restart) or ends its
//! attempt as failed (retry).
//!
//! Periods are drawn counter-based from (seed, replication, node, server,
//! period), so every policy meets the same failures at the same times
//! under the always-running clock (common random numbers).

use super::attempts::Phase;
use super::events::{Event, Kind};
use super::shape::Full;
use super::station::{DOWN, IDLE};
use super::{Observer, Simulation, draw};
use crate::job::JobId;
use crate::lifecycle::AttemptEnd;
use crate::model::{FailureClock, NodeFailures, OnFailure};
use crate::policy::Policy;
use crate::workload::{Purpose, Workload, visit_key};

/// The key of the failure draws of replication `replication` of a run
/// seeded `seed`: the real backend replays replication 0's with it.
pub fn failure_key(seed: u64, replication: u32) -> u64 {
    visit_key(seed, replication, Purpose::ServerFailure)
}

/// The length of period `k` (even: up, odd: down) of server `server` of
/// node `node`: a pure function of the draw's coordinates, so the engine
/// and the real backend meet the same failures at the same times.
pub fn failure_period(rule: &NodeFailures, key: u64, node: u32, server: u32, k: u32) -> f64 {
    let d = if k.is_multiple_of(2) {
        &rule.up
    } else {
        &rule.down
    };
    let seq = (u64::from(node) << 32) | u64::from(server);
    draw(d, key, seq, k).max(0.0)
}

/// One server's failure state.
#[derive(Debug, Clone, Copy)]
pub(super) struct ServerLife {
    /// Valid token of the server's pending failure or repair event.
    pub token: u32,
    /// Up and down periods begun so far.
    pub period: u32,
    /// Busy clock: up time left before the next failure, and since when
    /// the server has been serving (NaN while it is not).
    pub up_left: f64,
    pub busy_since: f64,
}

/// A node's failure rules and its servers' states.
pub(super) struct StationFailures {
    pub rule: NodeFailures,
    pub key: u64,
    pub node: u32,
    pub servers: Vec<ServerLife>,
}

impl StationFailures {
    pub fn new(rule: NodeFailures, key: u64, node: u32, servers: u32) -> StationFailures {
        let mut f = StationFailures {
            rule,
            key,
            node,
            servers: vec![
                ServerLife {
                    token: 0,
                    period: 0,
                    up_left: 0.0,
                    busy_since: f64::NAN,
                };
                servers as usize
            ],
        };
        for s in 0..servers {
            let up = f.next_period(s);
            f.servers[s as usize].up_left = up;
        }
        f
    }

    /// The length of server `s`'s next period (up, down, up, ...).
    fn next_period(&mut self, s: u32) -> f64 {
        let life = &mut self.servers[s as usize];
        let k = life.period;
        life.period += 1;
        failure_period(&self.rule, self.key, self.node, s, k)
    }

    pub fn busy_clock(&self) -> bool {
        self.rule.clock == FailureClock::Busy
    }
}

impl<W: Workload, O: Observer> Simulation<W, O> {
    /// Schedules every always-running server's first failure.
    pub(super) fn schedule_failures(&mut self) {
        for (j, st) in self.stations.iter().enumerate() {
            let Some(f) = &st.failures else { continue };
            if f.busy_clock() {
                continue;
            }
            for (s, life) in f.servers.iter().enumerate() {
                self.events.push(
                    life.up_left,
                    Kind::ServerDown,
                    j as u32,
                    s as u32,
                    life.token,
                );
            }
        }
    }

    /// Busy clock: server `server` of `node` starts serving; its failure
    /// comes after the up time it has left.
    #[inline(never)]
    pub(super) fn failure_clock_starts(&mut self, node: u32, server: u32) {
        let now = self.clock;
        let Some(f) = self.stations[node as usize].failures.as_mut() else {
            return;
        };
        if !f.busy_clock() {
            return;
        }
        let life = &mut f.servers[server as usize];
        life.token = life.token.wrapping_add(1);
        life.busy_since = now;
        self.events.push(
            now + life.up_left,
            Kind::ServerDown,
            node,
            server,
            life.token,
        );
    }

    /// Busy clock: server `server` of `node` stops serving; its clock stops.
    #[inline(never)]
    pub(super) fn failure_clock_stops(&mut self, node: u32, server: u32) {
        let now = self.clock;
        let Some(f) = self.stations[node as usize].failures.as_mut() else {
            return;
        };
        let life = &mut f.servers[server as usize];
        if !f.rule.clock.eq(&FailureClock::Busy) || life.busy_since.is_nan() {
            return;
        }
        life.up_left = (life.up_left - (now - life.busy_since)).max(0.0);
        life.busy_since = f64::NAN;
        life.token = life.token.wrapping_add(1);
    }

    /// Whether no job is left anywhere and none will come: failure
    /// events then stop, so a finite workload's run ends.
    #[cold]
    #[inline(never)]
    pub(super) fn drained(&self) -> bool {
        self.workload.peek_time() == f64::INFINITY
            && self.stations.iter().all(|s| s.present == 0)
            && self.queues.iter().all(|q| q.is_empty())
            && self.flows.as_ref().is_none_or(|f| f.present == 0)
    }

    /// A server of a node with failures fails.
    #[cold]
    #[inline(never)]
    pub(super) fn server_down(&mut self, event: Event) {
        let Event {
            node,
            server,
            generation,
            ..
        } = event;
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        let f = station
            .failures
            .as_mut()
            .expect("failure events only at failing nodes");
        let life = &mut f.servers[server as usize];
        if life.token != generation || station.servers[server as usize].down {
            return;
        }
        station.servers[server as usize].down = true;
        life.busy_since = f64::NAN;
        let repair = f.next_period(server);
        let mode = f.rule.running;
        let token = f.servers[server as usize].token;
        self.events
            .push(now + repair, Kind::ServerUp, node, server, token);
        let slot = &mut station.servers[server as usize];
        let id = slot.job;
        if id == IDLE {
            slot.job = DOWN;
            // Out of the idle list: nobody is handed a down server.
            station.idle.retain(|s| s != server);
            self.loads.take(node, 1);
            self.loads.fail(node);
            self.observer.on_server_down(now, node, server, None);
            return;
        }
        self.loads.fail(node);
        if slot.blocked {
            // Its job's service is over; it holds the server until it leaves.
            self.observer.on_server_down(now, node, server, None);
            return;
        }
        // Its running job stops where it is.
        slot.generation = slot.generation.wrapping_add(1);
        let elapsed = (now - slot.progress_from).max(0.0);
        slot.progress_from = f64::INFINITY;
        let speed = station.speed;
        let job = self.jobs.get_mut(id);
        job.remaining = (job.remaining - elapsed * speed).max(job.cut);
        job.served += elapsed;
        self.loads.stop(node, now, speed);
        self.observer.on_stop(now, self.jobs.get(id), server);
        self.observer
            .on_server_down(now, node, server, Some(self.jobs.get(id)));
        match mode {
            OnFailure::Resume => {}
            OnFailure::Restart => {
                self.lose_attempt_work(node, id);
                self.stations[node as usize].servers[server as usize].job = DOWN;
                if self.pull {
                    self.assign_central(id);
                    self.queues[0].enqueue(id, self.jobs.get_mut(id), now);
                } else {
                    self.stations[node as usize].restarts.push_back(id);
                    self.take_restarts(node);
                }
            }
            OnFailure::Retry => {
                // A compensation task is not an attempt: it neither fails
                // nor retries, so it starts over like any job without rules.
                let rules = self.life.as_ref().is_some_and(|l| {
                    l.rules[self.jobs.get(id).class as usize].is_some()
                        && l.tasks[id as usize].phase != Phase::Compensation
                });
                if rules {
                    self.attempt_failed_on(node, server, id);
                } else {
                    self.lose_attempt_work(node, id);
                    self.stations[node as usize].servers[server as usize].job = DOWN;
                    if self.pull {
                        self.assign_central(id);
                        self.queues[0].enqueue(id, self.jobs.get_mut(id), now);
                    } else {
                        self.join::<Full>(node, id);
                    }
                }
            }
        }
    }

    /// The work job `id` did in its current attempt is lost: it needs
    /// the attempt's requirement again (the whole visit's without attempt
    /// rules), and the attempt's fate is drawn again when it restarts.
    pub(super) fn lose_attempt_work(&mut self, node: u32, id: JobId) {
        let now = self.clock;
        let job = self.jobs.get_mut(id);
        let before = job.remaining;
        let from = match self.life.as_mut() {
            Some(life) => {
                let task = &mut life.tasks[id as usize];
                if task.started {
                    task.started = false;
                    task.remaining_from
                } else {
                    job.size
                }
            }
            None => job.size,
        };
        job.remaining = from;
        job.cut = 0.0;
        self.loads.rework(node, now, from - before);
    }

    /// Idle up servers of `node` take the jobs waiting to restart.
    pub(super) fn take_restarts(&mut self, node: u32) {
        while !self.stations[node as usize].restarts.is_empty() {
            let Some(server) = self.stations[node as usize].idle.pop() else {
                return;
            };
            let id = self.stations[node as usize]
                .restarts
                .pop_front()
                .expect("checked non-empty");
            self.start::<Full>(node, server, id);
        }
    }

    /// A failed server is repaired.
    #[cold]
    #[inline(never)]
    pub(super) fn server_up(&mut self, event: Event) {
        let Event {
            node,
            server,
            generation,
            ..
        } = event;
        let now = self.clock;
        let drained = self.drained();
        let station = &mut self.stations[node as usize];
        let f = station
            .failures
            .as_mut()
            .expect("failure events only at failing nodes");
        let life = &mut f.servers[server as usize];
        if life.token != generation || !station.servers[server as usize].down {
            return;
        }
        station.servers[server as usize].down = false;
        let up = f.next_period(server);
        let busy_clock = f.busy_clock();
        let life = &mut f.servers[server as usize];
        life.token = life.token.wrapping_add(1);
        if busy_clock {
            life.up_left = up;
        } else if !drained {
            self.events
                .push(now + up, Kind::ServerDown, node, server, life.token);
        }
        self.loads.repair(node);
        self.observer.on_server_up(now, node, server);
        let slot = station.servers[server as usize];
        if slot.job == DOWN {
            return self.serve_next::<Full>(node, server);
        }
        if slot.blocked {
            return;
        }
        // A job waited on it (resume): it continues.
        self.resume(node, server, slot.job);
    }

    /// Job `id`, waiting on repaired `server` of `node`, continues.
    fn resume(&mut self, node: u32, server: u32, id: JobId) {
        let now = self.clock;
        self.failure_clock_starts(node, server);
        let station = &mut self.stations[node as usize];
        let (run, completes) = station.stretch(&self.queues[station.queue], self.jobs.get(id));
        let slot = &mut station.servers[server as usize];
        self.loads.start(node, now, station.speed, false);
        slot.completes = completes;
        slot.progress_from = now;
        if let Some(v) = &mut station.victims {
            super::note_running(
                v,
                &station.servers,
                &self.queues[station.queue],
                self.jobs.get(id),
                server,
                station.speed,
            );
        }
        let slot = &station.servers[server as usize];
        self.events
            .push(now + run, Kind::ServiceEnd, node, server, slot.generation);
        self.observer.on_start(now, self.jobs.get(id), server);
    }

    /// Retry mode: the attempt job `id` ran on failed `server` counts as
    /// failed, and the class's retry rules decide what follows.
    fn attempt_failed_on(&mut self, node: u32, server: u32, id: JobId) {
        self.report_attempt_end(id, AttemptEnd::Failed);
        self.after_attempt(node, Some(server), id, AttemptEnd::Failed);
    }

    /// A server of a failing node is free (its job left, failed or was
    /// given up): a down one stays out of service; an up one takes the
    /// next job to restart, if any. Returns whether that settled it.
    #[inline(never)]
    pub(super) fn free_at_failing_node(&mut self, node: u32, server: u32) -> bool {
        let station = &mut self.stations[node as usize];
        let slot = &mut station.servers[server as usize];
        if slot.down {
            slot.job = DOWN;
            slot.blocked = false;
            return true;
        }
        match station.restarts.pop_front() {
            Some(id) => {
                self.start::<Full>(node, server, id);
                true
            }
            None => false,
        }
    }

    /// Job `id` waits at `node` to restart: taken out (its deadline passed).
    pub(super) fn remove_restart(&mut self, node: u32, id: JobId) -> bool {
        let r = &mut self.stations[node as usize].restarts;
        match r.iter().position(|&j| j == id) {
            Some(i) => {
                r.remove(i);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dist;

    fn rule() -> NodeFailures {
        NodeFailures {
            up: Dist::exponential_mean(50.0),
            down: Dist::exponential_mean(5.0),
            running: OnFailure::Resume,
            clock: FailureClock::Always,
        }
    }

    #[test]
    fn the_engine_draws_its_periods_through_the_shared_function() {
        let key = failure_key(3, 0);
        let mut f = StationFailures::new(rule(), key, 2, 3);
        // `new` drew period 0 of every server.
        for s in 0..3 {
            assert_eq!(
                f.servers[s as usize].up_left,
                failure_period(&f.rule, key, 2, s, 0)
            );
        }
        for k in 1..20 {
            assert_eq!(f.next_period(1), failure_period(&rule(), key, 2, 1, k));
        }
        // Servers, nodes and replications draw apart.
        let p = |node, server, k| failure_period(&rule(), key, node, server, k);
        assert_ne!(p(2, 0, 0), p(2, 1, 0));
        assert_ne!(p(2, 0, 0), p(1, 0, 0));
        assert_ne!(key, failure_key(3, 1));
    }

    #[test]
    fn periods_alternate_up_and_down_with_their_means() {
        let key = failure_key(11, 0);
        let (mut up, mut down) = (0.0, 0.0);
        let n = 20_000;
        for k in 0..2 * n {
            let x = failure_period(&rule(), key, 0, 0, k);
            assert!(x >= 0.0);
            if k % 2 == 0 { up += x } else { down += x }
        }
        // Exponential means 50 and 5: standard errors 50/√n and 5/√n (0.35, 0.035).
        let (up, down) = (up / f64::from(n), down / f64::from(n));
        assert!((up - 50.0).abs() < 4.0 * 50.0 / f64::from(n).sqrt(), "{up}");
        assert!(
            (down - 5.0).abs() < 4.0 * 5.0 / f64::from(n).sqrt(),
            "{down}"
        );
    }
}
