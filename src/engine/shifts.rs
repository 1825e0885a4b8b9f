//! Server shifts in the engine: a node with a `schedule` has as many
//! server slots as are ever on shift, and a `ShiftChange` event at each
//! step of the schedule brings servers on or takes them off. An
//! off-shift server is a down server to the rest of the engine (out of
//! the idle list, so dispatch, pulls and the node's queue pass it by), the
//! same state a failed one is in: shifts are a second source of the
//! server down/up events that failures bring, told to the observers by
//! the same hooks, so utilisation over servers on shift and the
//! timeline's `servers` column follow from them.
//!
//! Leaving servers are chosen idle first, then the busy ones of highest
//! index. Under `finish` a busy server is marked and leaves when its job
//! (or quantum) ends; a later shift that needs servers again first takes
//! back such servers still at work. Under `resume`, `restart` and
//! `resample` it leaves at once: its job waits at the head of the
//! node's line (with the failures' jobs to restart) for the next free
//! server, with the work it had left, its whole size, or a new size.

use super::events::{Event, Kind};
use super::shape::Full;
use super::station::DOWN;
use super::{Observer, Simulation, draw};
use crate::job::JobId;
use crate::model::{OnLeave, ServerSchedule};
use crate::policy::Policy;
use crate::workload::Workload;

/// A node's schedule and where it stands.
pub(super) struct StationShifts {
    pub rule: ServerSchedule,
    /// Servers on shift now, counting those marked to leave after their job.
    pub on_shift: u32,
    /// Busy servers marked to leave when their job ends (`finish`).
    pub leaving: u32,
}

impl<W: Workload, O: Observer> Simulation<W, O> {
    /// Takes the servers off shift at time 0 and schedules every node's
    /// first change.
    pub(super) fn schedule_shifts(&mut self) {
        for j in 0..self.stations.len() {
            let Some(sh) = self.stations[j].shifts.as_mut() else {
                continue;
            };
            let start = sh.rule.servers_at(0.0);
            sh.on_shift = start;
            let slots = self.stations[j].servers.len() as u32;
            let station = &mut self.stations[j];
            station.idle.retain(|s| s < start);
            for s in start..slots {
                let slot = &mut station.servers[s as usize];
                slot.down = true;
                slot.job = DOWN;
                self.loads.take(j as u32, 1);
                self.loads.fail(j as u32);
                self.observer.on_server_down(0.0, j as u32, s, None);
            }
            if let Some((step, round)) = self.stations[j]
                .shifts
                .as_ref()
                .and_then(|sh| sh.rule.next_step(0, 0))
            {
                self.push_shift(j as u32, step, round);
            }
        }
    }

    fn push_shift(&mut self, node: u32, step: usize, round: u32) {
        let sh = self.stations[node as usize]
            .shifts
            .as_ref()
            .expect("shift events only at scheduled nodes");
        let t = sh.rule.change_time(step, round);
        self.events
            .push(t, Kind::ShiftChange, node, step as u32, round);
    }

    /// A step of a node's schedule begins.
    #[cold]
    #[inline(never)]
    pub(super) fn shift_change(&mut self, event: Event) {
        let (node, step, round) = (event.node, event.server as usize, event.generation);
        let sh = self.stations[node as usize]
            .shifts
            .as_mut()
            .expect("shift events only at scheduled nodes");
        let target = sh.rule.servers[step];
        let before = sh.on_shift;
        sh.on_shift = target;
        if let Some((step, round)) = sh.rule.next_step(step, round) {
            self.push_shift(node, step, round);
        }
        if target > before {
            self.shift_in(node, target - before);
        } else if target < before {
            self.shift_out(node, before - target);
        }
    }

    /// `count` more servers come on shift: first those still finishing
    /// a job they were to leave after, then off-shift ones.
    fn shift_in(&mut self, node: u32, mut count: u32) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        for slot in station.servers.iter_mut().filter(|s| s.leaving) {
            if count == 0 {
                break;
            }
            slot.leaving = false;
            count -= 1;
            if let Some(sh) = station.shifts.as_mut() {
                sh.leaving -= 1;
            }
        }
        for s in 0..station.servers.len() as u32 {
            if count == 0 {
                break;
            }
            let slot = &mut self.stations[node as usize].servers[s as usize];
            if !slot.down {
                continue;
            }
            slot.down = false;
            count -= 1;
            self.loads.repair(node);
            self.observer.on_server_up(now, node, s);
            debug_assert_eq!(self.stations[node as usize].servers[s as usize].job, DOWN);
            self.serve_next::<Full>(node, s);
        }
    }

    /// `count` servers go off shift: idle ones first, then busy ones
    /// (highest index first), as the schedule's `on_leave` says.
    fn shift_out(&mut self, node: u32, mut count: u32) {
        let now = self.clock;
        while count > 0 {
            let station = &mut self.stations[node as usize];
            let Some(s) = station.idle.pop() else {
                break;
            };
            let slot = &mut station.servers[s as usize];
            slot.down = true;
            slot.job = DOWN;
            self.loads.take(node, 1);
            self.loads.fail(node);
            self.observer.on_server_down(now, node, s, None);
            count -= 1;
        }
        let mode = self.stations[node as usize]
            .shifts
            .as_ref()
            .expect("scheduled node")
            .rule
            .on_leave;
        let slots = self.stations[node as usize].servers.len() as u32;
        for s in (0..slots).rev() {
            if count == 0 {
                break;
            }
            let station = &mut self.stations[node as usize];
            let slot = &mut station.servers[s as usize];
            if slot.down || slot.leaving || slot.job >= DOWN {
                continue;
            }
            count -= 1;
            // A blocked server's job is done with it: it leaves with the job.
            if !mode.preempts() || slot.blocked {
                slot.leaving = true;
                station.shifts.as_mut().expect("scheduled node").leaving += 1;
                continue;
            }
            self.hand_back(node, s, mode);
        }
    }

    /// Server `server` of `node` leaves its running job at once: the job
    /// waits at the head of the node's line with the work `mode` says.
    fn hand_back(&mut self, node: u32, server: u32, mode: OnLeave) {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        let speed = station.speed;
        let slot = &mut station.servers[server as usize];
        let id = slot.job;
        slot.generation = slot.generation.wrapping_add(1);
        let elapsed = (now - slot.progress_from).max(0.0);
        slot.progress_from = f64::INFINITY;
        slot.down = true;
        slot.job = DOWN;
        let job = self.jobs.get_mut(id);
        job.remaining = (job.remaining - elapsed * speed).max(job.cut);
        job.served += elapsed;
        self.loads.stop(node, now, speed);
        self.loads.fail(node);
        self.observer.on_stop(now, self.jobs.get(id), server);
        self.observer
            .on_server_down(now, node, server, Some(self.jobs.get(id)));
        match mode {
            OnLeave::Finish | OnLeave::Resume => {}
            OnLeave::Restart => self.lose_attempt_work(node, id),
            OnLeave::Resample => self.resample(node, id),
        }
        if self.pull {
            self.assign_central(id);
            self.queues[0].enqueue(id, self.jobs.get_mut(id), now);
        } else {
            self.stations[node as usize].restarts.push_back(id);
            self.take_restarts(node);
        }
    }

    /// Job `id`, handed back at `node`, draws a new size for its visit
    /// from the class's demand there, on a stream of its own.
    fn resample(&mut self, node: u32, id: JobId) {
        let now = self.clock;
        let class = self.jobs.get(id).class as usize;
        let dist = self.demands[node as usize * self.classes + class].dist();
        // Numbered in the order they happen, so each is a draw of its own.
        self.resamples = self.resamples.wrapping_add(1);
        let job = self.jobs.get_mut(id);
        let before = job.remaining;
        let size = draw(dist, self.resample_key, job.seq, self.resamples);
        job.size = size;
        job.remaining = size;
        job.cut = 0.0;
        self.loads.rework(node, now, size - before);
    }

    /// A server marked to leave after its job is free: it goes off shift.
    /// Returns whether it did.
    pub(super) fn leave_shift(&mut self, node: u32, server: u32) -> bool {
        let now = self.clock;
        let station = &mut self.stations[node as usize];
        let slot = &mut station.servers[server as usize];
        if !slot.leaving {
            return false;
        }
        slot.leaving = false;
        slot.down = true;
        slot.job = DOWN;
        slot.blocked = false;
        station.shifts.as_mut().expect("scheduled node").leaving -= 1;
        self.loads.fail(node);
        self.observer.on_server_down(now, node, server, None);
        true
    }
}
