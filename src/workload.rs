//! Workloads: where jobs come from.
//!
//! A [`SampledWorkload`] draws each class's arrivals and sizes from its own
//! random streams, derived from (seed, replication, class, purpose), so the
//! jobs of a replication are the same whatever the policy, the thread count
//! or the order replications run in (common random numbers). A
//! [`FixedWorkload`] replays a given job list (teaching mode, tests).

use rand::SeedableRng;
use rand_distr::Distribution;
use rand_pcg::Pcg64Mcg;

use crate::model::{Dist, Scenario};

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
    /// Up and down periods of failing servers.
    ServerFailure = 13,
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
    interarrival: Dist,
    service: Dist,
    arrivals: Pcg64Mcg,
    sizes: Pcg64Mcg,
    /// Present when some policy schedules on size estimates.
    estimates: Option<Pcg64Mcg>,
    deadline: f64,
    next_time: f64,
}

/// Renewal arrivals and i.i.d. sizes per class, merged in time order.
/// Simultaneous arrivals of several classes come in class order.
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
                // The first arrival comes one inter-arrival time after 0, as in
                // a renewal process started empty.
                let next_time = c.arrival.sample(&mut arrivals);
                ClassStream {
                    interarrival: c.arrival.clone(),
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
    #[inline]
    fn peek_time(&self) -> f64 {
        self.streams[self.next_class].next_time
    }

    #[inline(always)]
    fn next_arrival(&mut self) -> Arrival {
        let k = self.next_class;
        let s = &mut self.streams[k];
        let mut arrival = Arrival::new(s.next_time, k as u32, s.service.sample(&mut s.sizes));
        arrival.deadline = s.next_time + s.deadline;
        if let Some(rng) = &mut s.estimates {
            arrival.noise = rand_distr::StandardNormal.sample(rng);
        }
        s.next_time += s.interarrival.sample(&mut s.arrivals);
        if self.streams.len() > 1 {
            self.find_next();
        }
        arrival
    }
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
