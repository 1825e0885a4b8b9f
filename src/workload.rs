//! Workloads: where jobs come from.
//!
//! A [`SampledWorkload`] draws each class's arrivals (renewal, time-varying
//! Poisson or a replayed trace, one job or a batch at each instant) and
//! sizes from its own random streams, derived from (seed, replication,
//! class, purpose), so the jobs of a replication are the same whatever the
//! policy, the thread count or the order replications run in (common
//! random numbers). A
//! [`FixedWorkload`] replays a given job list (teaching mode, tests).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::SeedableRng;
use rand_distr::Distribution;
use rand_pcg::Pcg64Mcg;

use crate::model::arrival::PoissonClock;
use crate::model::trace::TraceReader;
use crate::model::{Arrivals, Batch, Class, Dist, Scenario};

/// One arriving job, before the engine gives it a place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    pub time: f64,
    pub class: u32,
    /// Service requirement.
    pub size: f64,
    /// Absolute deadline (infinite when none).
    pub deadline: f64,
    /// Standard normal draw behind size estimates (see `Job::noise`).
    pub noise: f64,
}

impl Arrival {
    /// An arrival with no deadline and no estimate noise.
    pub fn new(time: f64, class: u32, size: f64) -> Arrival {
        Arrival {
            time,
            class,
            size,
            deadline: f64::INFINITY,
            noise: 0.0,
        }
    }
}

/// A source of arrivals in time order.
pub trait Workload {
    /// Time of the next arrival, or infinity when there is none.
    fn peek_time(&self) -> f64;
    /// Takes the next arrival. Only called when `peek_time` is finite.
    fn next_arrival(&mut self) -> Arrival;
    /// A job of closed class `class` left the system at `now`: it thinks,
    /// and arrives again when that is over. Only called for closed classes.
    fn think(&mut self, _class: u32, _now: f64) {}
}

/// What a random stream is used for; part of its seed.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Purpose {
    Interarrival = 1,
    Service = 2,
    /// Noise of size estimates.
    Estimate = 3,
    /// Random choices of a dispatcher.
    Dispatch = 4,
    /// Where a visit goes next (routing).
    Route = 5,
    /// Demands of visits after the first, and at nodes with their own demand.
    Visit = 6,
    /// Patience of each visit (reneging).
    Patience = 7,
    /// Whether an arriving job baulks.
    Baulk = 8,
    /// Whether and where an attempt fails.
    Attempt = 9,
    /// Jitter of the delay before a retry.
    Backoff = 10,
    /// Demands of compensation tasks (rollback).
    Rollback = 11,
    /// Requirements of retried attempts, when resampled.
    Retry = 12,
    /// Jobs per arrival instant (batch sizes).
    Batch = 13,
    /// Up and down periods of failing servers.
    ServerFailure = 14,
    /// Sizes (and estimate noise) of the jobs present at time 0.
    Initial = 15,
    /// New sizes of jobs handed back when their server's shift ends.
    Resample = 16,
    /// Times of workflow tasks drawn around their given work.
    TaskTime = 17,
    /// Nodes drawn by the `random` workflow rule.
    Placement = 18,
}

/// A key from which the draws of one job's visits derive (see [`visit_draw`]).
pub fn visit_key(seed: u64, replication: u32, purpose: Purpose) -> u64 {
    stream_seed(seed, replication, u32::MAX - 1, purpose)
}

/// A 64-bit draw for visit `visit` of job `seq`, a pure function of them
/// and `key`: counter-based, so a job's route and demands are the same
/// whatever the policy or the order events happen in (common random
/// numbers across policies, as for arrival sizes).
#[inline]
pub fn visit_draw(key: u64, seq: u64, visit: u32) -> u64 {
    mix(key ^ mix(seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(visit)))
}

/// [`visit_draw`] as a uniform number in [0, 1).
#[inline]
pub fn visit_uniform(key: u64, seq: u64, visit: u32) -> f64 {
    (visit_draw(key, seq, visit) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// SplitMix64 finaliser: a bijective mix whose outputs for neighbouring
/// inputs are unrelated, which makes derived seeds independent enough.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of the stream for (seed, replication, class, purpose).
pub fn stream_seed(seed: u64, replication: u32, class: u32, purpose: Purpose) -> u64 {
    mix(mix(mix(mix(seed) ^ u64::from(replication)) ^ u64::from(class)) ^ purpose as u64)
}

/// The base seed of point `point` of a sweep: every point draws its own
/// numbers, and which point runs first does not matter.
pub fn point_seed(seed: u64, point: u32) -> u64 {
    mix(mix(seed) ^ mix(0x5EED_0000_0000 | u64::from(point)))
}

/// The random generator of one stream.
pub fn stream_rng(seed: u64, replication: u32, class: u32, purpose: Purpose) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(stream_seed(seed, replication, class, purpose))
}

struct ClassStream {
    /// Times between arrivals of a renewal process of one job at a time.
    interarrival: Dist,
    /// Every other process (time-varying, trace, batches), which then
    /// decides alone; `None` for plain renewal arrivals. Chosen once per
    /// replication: the common case has nothing on its path but this
    /// test of a pointer, and the others go through one cold call.
    other: Option<Box<Instants>>,
    service: Dist,
    arrivals: Pcg64Mcg,
    sizes: Pcg64Mcg,
    /// Present when some policy schedules on size estimates.
    estimates: Option<Pcg64Mcg>,
    deadline: f64,
    next_time: f64,
}

/// Arrival instants of a process other than plain renewal, and the jobs
/// each brings.
struct Instants {
    process: Process,
    batch: Batch,
    /// Draws batch sizes (its own stream: adding a batch to a class keeps
    /// its arrival instants and sizes).
    batch_rng: Pcg64Mcg,
    /// Jobs still to arrive at the stream's `next_time` (at least 1 while
    /// it is finite).
    left: u32,
    /// The size the trace gives the job at `next_time`.
    size: Option<f64>,
    /// Factor on trace sizes: 1, unless a sweep rescaled `service`.
    size_scale: f64,
}

enum Process {
    Renewal(Dist),
    Poisson(PoissonClock),
    Trace(TraceReader),
    Closed(ThinkPool),
    /// `arrival = "once"`: whether the one arrival is still to come.
    Once(bool),
}

/// A closed class's jobs that are thinking: when each will arrive again.
struct ThinkPool {
    think: Dist,
    /// Jobs thinking from time 0, not yet drawn (drawn at the first instant).
    unstarted: u32,
    /// Think ends as (time bits, order set), earliest first, ties in the
    /// order they were set. The times are not negative (`+ 0.0` in `push`
    /// turns a -0.0 into 0.0), and for such floats, infinity included, the
    /// order of their IEEE 754 bit patterns as unsigned integers is their
    /// numeric order, so the integers sort as the times do.
    ends: BinaryHeap<Reverse<(u64, u64)>>,
    set: u64,
}

impl ThinkPool {
    fn push(&mut self, time: f64) {
        debug_assert!(time >= 0.0, "a think end before time 0: {time}");
        self.ends.push(Reverse(((time + 0.0).to_bits(), self.set)));
        self.set += 1;
    }

    /// The earliest think end, taken off the pool (infinite when every
    /// job is in the network).
    fn next(&mut self, rng: &mut Pcg64Mcg) -> f64 {
        for _ in 0..std::mem::take(&mut self.unstarted) {
            let t = self.think.sample(rng).max(0.0);
            self.push(t);
        }
        self.ends
            .pop()
            .map_or(f64::INFINITY, |Reverse((bits, _))| f64::from_bits(bits))
    }
}

impl Instants {
    fn new(class: &Class, batch_rng: Pcg64Mcg) -> Instants {
        let process = match &class.arrival {
            Arrivals::Renewal(d) => Process::Renewal(d.clone()),
            Arrivals::Poisson(p) => Process::Poisson(PoissonClock::new(p.clone())),
            Arrivals::Trace(t) => Process::Trace(t.replay()),
            Arrivals::Closed(l) => {
                // Jobs present at time 0 are of the population; the rest think.
                let present: u32 = class.initial.iter().map(|&(_, n)| n).sum();
                Process::Closed(ThinkPool {
                    think: l.think.clone(),
                    unstarted: l.population.saturating_sub(present),
                    ends: BinaryHeap::new(),
                    set: 0,
                })
            }
            Arrivals::Once => Process::Once(true),
        };
        let size_scale = match (&class.arrival, &class.service) {
            // The class's sizes are the trace's, possibly rescaled by a
            // sweep: the ratio of means is exactly 1 when they are not.
            (Arrivals::Trace(t), service) if t.has_sizes => service.mean() / t.size_mean,
            _ => 1.0,
        };
        Instants {
            process,
            batch: class.batch.clone(),
            batch_rng,
            left: 0,
            size: None,
            size_scale,
        }
    }

    /// Moves to the next arrival instant, from `now`, and draws its batch.
    fn next_instant(&mut self, now: f64, arrivals: &mut Pcg64Mcg) -> f64 {
        let t = match &mut self.process {
            Process::Renewal(d) => now + d.sample(arrivals),
            Process::Poisson(clock) => clock.next(arrivals),
            Process::Trace(rows) => match rows.next_row() {
                Some((t, size)) => {
                    self.size = size;
                    t
                }
                None => f64::INFINITY,
            },
            Process::Closed(pool) => pool.next(arrivals),
            Process::Once(first) => {
                if std::mem::take(first) {
                    0.0
                } else {
                    f64::INFINITY
                }
            }
        };
        self.left = self.batch.sample(&mut self.batch_rng);
        t
    }

    /// The size of the job arriving now, and the stream's next arrival time.
    #[cold]
    #[inline(never)]
    fn take(
        &mut self,
        service: &Dist,
        sizes: &mut Pcg64Mcg,
        arrivals: &mut Pcg64Mcg,
        next_time: &mut f64,
    ) -> f64 {
        let size = match self.size.take() {
            Some(s) => s * self.size_scale,
            None => service.sample(sizes),
        };
        self.left -= 1;
        if self.left == 0 {
            *next_time = self.next_instant(*next_time, arrivals);
        }
        size
    }
}

/// Each class's arrivals and i.i.d. sizes, merged in time order.
/// Simultaneous arrivals of several classes come in class order, and the
/// jobs of one batch one after the other.
pub struct SampledWorkload {
    streams: Vec<ClassStream>,
    next_class: usize,
}

impl SampledWorkload {
    pub fn new(scenario: &Scenario, replication: u32) -> SampledWorkload {
        let streams = scenario
            .classes
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let k = k as u32;
                let mut arrivals = stream_rng(scenario.seed, replication, k, Purpose::Interarrival);
                let (interarrival, other, next_time) = match &c.arrival {
                    // The first arrival comes one inter-arrival time after 0, as in
                    // a renewal process started empty.
                    Arrivals::Renewal(d) if c.batch.is_one() => {
                        let first = d.sample(&mut arrivals);
                        (d.clone(), None, first)
                    }
                    _ => {
                        let batch_rng = stream_rng(scenario.seed, replication, k, Purpose::Batch);
                        let mut instants = Instants::new(c, batch_rng);
                        let first = instants.next_instant(0.0, &mut arrivals);
                        // Never sampled: `other` decides.
                        let unused = Dist::Deterministic {
                            value: f64::INFINITY,
                        };
                        (unused, Some(Box::new(instants)), first)
                    }
                };
                ClassStream {
                    interarrival,
                    other,
                    service: c.service.clone(),
                    arrivals,
                    sizes: stream_rng(scenario.seed, replication, k, Purpose::Service),
                    estimates: scenario
                        .needs_size_estimates()
                        .then(|| stream_rng(scenario.seed, replication, k, Purpose::Estimate)),
                    deadline: c.deadline.unwrap_or(f64::INFINITY),
                    next_time,
                }
            })
            .collect();
        let mut w = SampledWorkload {
            streams,
            next_class: 0,
        };
        w.find_next();
        w
    }

    #[inline]
    fn find_next(&mut self) {
        let mut best = 0;
        for (k, s) in self.streams.iter().enumerate().skip(1) {
            if s.next_time < self.streams[best].next_time {
                best = k;
            }
        }
        self.next_class = best;
    }
}

impl Workload for SampledWorkload {
    fn think(&mut self, class: u32, now: f64) {
        let s = &mut self.streams[class as usize];
        let Some(Process::Closed(pool)) = s.other.as_mut().map(|i| &mut i.process) else {
            return;
        };
        let end = now + pool.think.sample(&mut s.arrivals).max(0.0);
        // The stream's next arrival is the earliest think end: a job that
        // thinks less than it comes first.
        if end < s.next_time {
            if s.next_time.is_finite() {
                pool.push(s.next_time);
            }
            s.next_time = end;
        } else {
            pool.push(end);
        }
        self.find_next();
    }

    #[inline]
    fn peek_time(&self) -> f64 {
        self.streams[self.next_class].next_time
    }

    #[inline(always)]
    fn next_arrival(&mut self) -> Arrival {
        let k = self.next_class;
        let s = &mut self.streams[k];
        let time = s.next_time;
        let size = match &mut s.other {
            None => {
                let size = s.service.sample(&mut s.sizes);
                s.next_time += s.interarrival.sample(&mut s.arrivals);
                size
            }
            Some(instants) => {
                instants.take(&s.service, &mut s.sizes, &mut s.arrivals, &mut s.next_time)
            }
        };
        let mut arrival = Arrival::new(time, k as u32, size);
        arrival.deadline = time + s.deadline;
        if let Some(rng) = &mut s.estimates {
            arrival.noise = rand_distr::StandardNormal.sample(rng);
        }
        if self.streams.len() > 1 {
            self.find_next();
        }
        arrival
    }
}

/// The jobs present at time 0 (each class's `initial`), with the node each
/// is at: in class order, then node order as the scenario lists them. Their
/// sizes come from the class's `service` on a stream of their own, so that
/// starting non-empty leaves the arrivals and their sizes as they were.
pub fn initial_jobs(scenario: &Scenario, replication: u32) -> Vec<(Arrival, u32)> {
    let mut jobs = Vec::new();
    for (k, c) in scenario.classes.iter().enumerate() {
        if c.initial.is_empty() {
            continue;
        }
        let mut rng = stream_rng(scenario.seed, replication, k as u32, Purpose::Initial);
        let estimates = scenario.needs_size_estimates();
        for &(node, count) in &c.initial {
            for _ in 0..count {
                let mut a = Arrival::new(0.0, k as u32, c.service.sample(&mut rng));
                a.deadline = c.deadline.unwrap_or(f64::INFINITY);
                if estimates {
                    a.noise = rand_distr::StandardNormal.sample(&mut rng);
                }
                jobs.push((a, node as u32));
            }
        }
    }
    jobs
}

/// A given list of arrivals, replayed in order of time (stable for ties).
#[derive(Debug, Clone)]
pub struct FixedWorkload {
    arrivals: Vec<Arrival>,
    next: usize,
}

impl FixedWorkload {
    pub fn new(mut arrivals: Vec<Arrival>) -> FixedWorkload {
        arrivals.sort_by(|a, b| a.time.total_cmp(&b.time));
        FixedWorkload { arrivals, next: 0 }
    }
}

impl Workload for FixedWorkload {
    fn peek_time(&self) -> f64 {
        self.arrivals
            .get(self.next)
            .map_or(f64::INFINITY, |a| a.time)
    }

    fn next_arrival(&mut self) -> Arrival {
        let a = self.arrivals[self.next];
        self.next += 1;
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    /// Think ends come off the pool in time order (ties in the order set),
    /// as a sort of the times gives them: the bit-pattern keys sort as the
    /// numbers, -0.0 and infinity included.
    #[test]
    fn think_ends_come_back_in_time_order() {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let mut pool = ThinkPool {
            think: Dist::Deterministic { value: 0.0 },
            unstarted: 0,
            ends: BinaryHeap::new(),
            set: 0,
        };
        let mut times: Vec<f64> = (0..2000)
            .map(|i| match i % 7 {
                0 => 0.0,
                1 => -0.0,
                2 => f64::INFINITY,
                3 => 1e-300,
                _ => rng.random::<f64>() * 10f64.powi(i % 5),
            })
            .collect();
        for &t in &times {
            pool.push(t);
        }
        times.sort_by(f64::total_cmp);
        let popped: Vec<f64> = (0..times.len()).map(|_| pool.next(&mut rng)).collect();
        let as_numbers = |v: &[f64]| v.iter().map(|x| x + 0.0).collect::<Vec<f64>>();
        assert_eq!(as_numbers(&popped), as_numbers(&times));
        assert_eq!(pool.next(&mut rng), f64::INFINITY);
    }
}
