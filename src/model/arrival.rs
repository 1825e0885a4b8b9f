//! Arrival processes: when a class's jobs arrive.
//!
//! `arrival = { ... }` in a class is one of
//! - a renewal process, i.i.d. times between arrivals drawn from a
//!   distribution: `{ dist = "exponential", rate = 2.0 }` (any family of
//!   [`crate::model::dist`]);
//! - a Poisson process whose rate is piecewise constant in time:
//!   `{ process = "poisson", rates = [[0.0, 1.0], [8.0, 3.0], [18.0, 1.0]], cycle = 24.0 }`,
//!   each pair `[start, rate]` holding from its start to the next one, the
//!   whole pattern repeating every `cycle` (without `cycle`, the last rate
//!   holds for ever);
//! - a replayed trace: `{ trace = "arrivals.csv" }` (see [`crate::model::trace`]).
//!
//! A class's `batch` (see [`crate::model::batch`]) says how many jobs
//! arrive at each instant the process gives.

use std::path::Path;
use std::sync::Arc;

use rand::Rng;
use rand_distr::Distribution;
use serde::Deserialize;

use crate::error::FieldError;
use crate::model::dist::{BranchSpec, Dist, DistSpec};
use crate::model::trace::Trace;

/// The raw form of `arrival = { ... }`: the fields of a distribution
/// (renewal arrivals), or of a time-varying Poisson process, or a trace.
/// (`arrival = "once"` is read as [`RawArrival::Word`].)
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalSpec {
    /// `"poisson"`: a Poisson process with a piecewise-constant rate.
    pub process: Option<String>,
    /// `[start, rate]` pairs, starts increasing from 0.
    pub rates: Option<Vec<(f64, f64)>>,
    /// Period of the rate pattern.
    pub cycle: Option<f64>,
    /// A CSV file of arrival times (and sizes), relative to the scenario file.
    pub trace: Option<String>,
    // The fields of `DistSpec`, for renewal arrivals.
    pub dist: Option<String>,
    pub rate: Option<f64>,
    pub mean: Option<f64>,
    pub scv: Option<f64>,
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub k: Option<u32>,
    pub shape: Option<f64>,
    pub scale: Option<f64>,
    pub mu: Option<f64>,
    pub sigma: Option<f64>,
    pub alpha: Option<f64>,
    pub branches: Option<Vec<BranchSpec>>,
    pub values: Option<Vec<f64>>,
    pub file: Option<String>,
}

impl ArrivalSpec {
    /// The distribution fields, when this is a renewal process (`dist` given).
    fn renewal(&self) -> Option<DistSpec> {
        // Every field spelled out: a field added to `DistSpec` must be
        // added here too, or this does not compile.
        Some(DistSpec {
            dist: self.dist.clone()?,
            rate: self.rate,
            mean: self.mean,
            scv: self.scv,
            value: self.value,
            low: self.low,
            high: self.high,
            k: self.k,
            shape: self.shape,
            scale: self.scale,
            mu: self.mu,
            sigma: self.sigma,
            alpha: self.alpha,
            branches: self.branches.clone(),
            values: self.values.clone(),
            file: self.file.clone(),
        })
    }

    /// The first distribution field given, if any.
    fn some_dist_field(&self) -> Option<&'static str> {
        [
            ("dist", self.dist.is_some()),
            ("rate", self.rate.is_some()),
            ("mean", self.mean.is_some()),
            ("scv", self.scv.is_some()),
            ("value", self.value.is_some()),
            ("low", self.low.is_some()),
            ("high", self.high.is_some()),
            ("k", self.k.is_some()),
            ("shape", self.shape.is_some()),
            ("scale", self.scale.is_some()),
            ("mu", self.mu.is_some()),
            ("sigma", self.sigma.is_some()),
            ("alpha", self.alpha.is_some()),
            ("branches", self.branches.is_some()),
            ("values", self.values.is_some()),
            ("file", self.file.is_some()),
        ]
        .into_iter()
        .find_map(|(name, given)| given.then_some(name))
    }
}

/// A validated arrival process.
#[derive(Debug, Clone)]
pub enum Arrivals {
    /// I.i.d. times between arrivals.
    Renewal(Dist),
    /// Poisson with a piecewise-constant rate.
    Poisson(Arc<RateProfile>),
    /// Times (and sizes) read from a file, streamed at each replication.
    Trace(Arc<Trace>),
    /// A closed class: a fixed population, each job arriving again a
    /// think time after it left.
    Closed(Arc<ClosedLoop>),
    /// `arrival = "once"`: one arrival at time 0, none after.
    Once,
}

/// A closed class's population and think time.
#[derive(Debug, Clone)]
pub struct ClosedLoop {
    pub population: u32,
    pub think: Dist,
}

impl From<Dist> for Arrivals {
    fn from(d: Dist) -> Arrivals {
        Arrivals::Renewal(d)
    }
}

impl Arrivals {
    /// Validates `arrival = { ... }`. `path` names the field in errors
    /// (`classes[0].arrival`); `base_dir` resolves files. Also returns the
    /// sizes a trace gives, as a distribution (each row equally likely).
    pub fn from_spec(
        spec: &ArrivalSpec,
        path: &str,
        base_dir: &Path,
    ) -> Result<(Arrivals, Option<Dist>), FieldError> {
        let field = |name: &str| format!("{path}.{name}");
        if let Some(process) = &spec.process {
            if process != "poisson" {
                return Err(FieldError::new(
                    field("process"),
                    format!("{process:?}"),
                    "the only arrival process is \"poisson\" (with `rates`); for renewal arrivals give `dist`",
                ));
            }
            if let Some(name) = spec.some_dist_field() {
                return Err(FieldError::new(
                    field(name),
                    "(given)",
                    "a time-varying Poisson process takes `rates` and `cycle`, not the fields of a distribution",
                ));
            }
            if spec.trace.is_some() {
                return Err(FieldError::new(
                    field("trace"),
                    "(given)",
                    "give either `process` or `trace`, not both",
                ));
            }
            let Some(rates) = &spec.rates else {
                return Err(FieldError::new(
                    field("rates"),
                    "(missing)",
                    "a Poisson process needs `rates = [[start, rate], ...]`",
                ));
            };
            let profile = RateProfile::new(rates, spec.cycle, path)?;
            return Ok((Arrivals::Poisson(Arc::new(profile)), None));
        }
        for (name, given) in [
            ("rates", spec.rates.is_some()),
            ("cycle", spec.cycle.is_some()),
        ] {
            if given {
                return Err(FieldError::new(
                    field(name),
                    "(given)",
                    "belongs to a time-varying Poisson process: add `process = \"poisson\"`",
                ));
            }
        }
        if let Some(file) = &spec.trace {
            if let Some(name) = spec.some_dist_field() {
                return Err(FieldError::new(
                    field(name),
                    "(given)",
                    "a trace gives the arrival times itself; drop the fields of a distribution",
                ));
            }
            let (trace, sizes) = Trace::open(file, base_dir, &field("trace"))?;
            return Ok((Arrivals::Trace(Arc::new(trace)), sizes));
        }
        let Some(dist) = spec.renewal() else {
            return Err(FieldError::new(
                field("dist"),
                "(missing)",
                "give `dist` (renewal arrivals), `process = \"poisson\"` with `rates`, or `trace`",
            ));
        };
        Ok((
            Arrivals::Renewal(Dist::from_spec(&dist, path, base_dir)?),
            None,
        ))
    }

    /// The distribution of the times between arrivals, for a renewal process.
    pub fn renewal(&self) -> Option<&Dist> {
        match self {
            Arrivals::Renewal(d) => Some(d),
            _ => None,
        }
    }

    /// Long-run arrival instants per unit of time: `1/E[A]` for renewal
    /// arrivals, the mean rate over a cycle (or the last rate, without a
    /// cycle) for a time-varying Poisson process, rows over the span of
    /// a trace.
    pub fn rate(&self) -> f64 {
        match self {
            Arrivals::Renewal(d) => 1.0 / d.mean(),
            Arrivals::Poisson(p) => p.mean_rate(),
            Arrivals::Trace(t) => t.mean_rate(),
            // The rate with nobody ever waiting: N / (Z + E[S]) bounds
            // the throughput (see `Scenario::arrival_rate`); from the think
            // time alone, N / Z is the rate of a population always thinking.
            Arrivals::Closed(c) => f64::from(c.population) / c.think.mean(),
            // One arrival in an unbounded run: no long-run rate.
            Arrivals::Once => 0.0,
        }
    }

    /// The process with every time stretched by `factor` (its rate
    /// divided by it): inter-arrival times scaled, rates divided with the
    /// schedule kept (the same day, busier or quieter), trace times scaled.
    pub fn scaled(&self, factor: f64) -> Arrivals {
        match self {
            Arrivals::Renewal(d) => Arrivals::Renewal(d.scaled(factor)),
            Arrivals::Poisson(p) => Arrivals::Poisson(Arc::new(p.with_rates_scaled(1.0 / factor))),
            Arrivals::Trace(t) => Arrivals::Trace(Arc::new(t.time_scaled(factor))),
            Arrivals::Closed(c) => Arrivals::Closed(Arc::new(ClosedLoop {
                population: c.population,
                think: c.think.scaled(factor),
            })),
            Arrivals::Once => Arrivals::Once,
        }
    }

    /// What counts this process's expected arrival instants over an
    /// interval (see [`InstantCount::between`]); a trace is read once.
    pub fn instant_count(&self) -> InstantCount {
        match self {
            Arrivals::Renewal(d) => InstantCount::Rate(1.0 / d.mean()),
            // Its arrivals depend on the queues it meets: none are offered
            // from outside.
            Arrivals::Closed(_) => InstantCount::Rate(0.0),
            Arrivals::Once => InstantCount::Times(vec![0.0]),
            Arrivals::Poisson(p) => InstantCount::Profile(Arc::clone(p)),
            Arrivals::Trace(t) => {
                let mut reader = t.replay();
                let mut times = Vec::with_capacity(t.rows.min(1 << 24) as usize);
                while let Some((time, _)) = reader.next_row() {
                    times.push(time);
                }
                InstantCount::Times(times)
            }
        }
    }

    /// What kind of process this is, as a scenario names it.
    pub fn label(&self) -> &'static str {
        match self {
            Arrivals::Renewal(d) => d.family(),
            Arrivals::Poisson(_) => "poisson (time-varying)",
            Arrivals::Trace(_) => "trace",
            Arrivals::Closed(_) => "closed",
            Arrivals::Once => "once",
        }
    }
}

/// Expected arrival instants of a process over intervals of time.
#[derive(Debug, Clone)]
pub enum InstantCount {
    /// A renewal process, at its long-run rate `1/E[A]` (exact for Poisson;
    /// for others the renewal function `m(t) ~ t/E[A]`, Cox, *Renewal
    /// Theory*, 1962, §4.2).
    Rate(f64),
    /// `Λ(b) − Λ(a)` of a time-varying Poisson process.
    Profile(Arc<RateProfile>),
    /// A trace's own times, sorted.
    Times(Vec<f64>),
}

impl InstantCount {
    /// Expected arrival instants in `[a, b)`.
    pub fn between(&self, a: f64, b: f64) -> f64 {
        match self {
            InstantCount::Rate(r) => r * (b - a),
            InstantCount::Profile(p) => p.cumulative(b) - p.cumulative(a),
            InstantCount::Times(t) => {
                (t.partition_point(|&x| x < b) - t.partition_point(|&x| x < a)) as f64
            }
        }
    }
}

/// A piecewise-constant rate `λ(t)`: `rates[i]` from `starts[i]` to
/// `starts[i + 1]`, the last up to `cycle` (the pattern then repeats) or
/// for ever.
#[derive(Debug, Clone, PartialEq)]
pub struct RateProfile {
    pub starts: Vec<f64>,
    pub rates: Vec<f64>,
    pub cycle: Option<f64>,
    /// `Λ(starts[i])`, the expected arrivals from 0 to each start.
    cumulative: Vec<f64>,
    /// Expected arrivals over one cycle (`Λ(cycle)`), infinite without a cycle.
    mass: f64,
}

impl RateProfile {
    /// Checks `rates` and `cycle` (errors name `{path}.rates[i]` and `{path}.cycle`).
    pub fn new(pairs: &[(f64, f64)], cycle: Option<f64>, path: &str) -> Result<Self, FieldError> {
        let shown = |i: usize| format!("[{}, {}]", pairs[i].0, pairs[i].1);
        if pairs.is_empty() {
            return Err(FieldError::new(
                format!("{path}.rates"),
                "[]",
                "give at least one [start, rate] pair, the first starting at 0",
            ));
        }
        for (i, &(start, rate)) in pairs.iter().enumerate() {
            let f = format!("{path}.rates[{i}]");
            if i == 0 && start != 0.0 {
                return Err(FieldError::new(
                    f,
                    shown(i),
                    "the first piece starts at 0 (the rate from time 0)",
                ));
            }
            if !start.is_finite() {
                return Err(FieldError::new(
                    f,
                    shown(i),
                    "a start time is a finite number",
                ));
            }
            if i > 0 && start <= pairs[i - 1].0 {
                return Err(FieldError::new(
                    f,
                    shown(i),
                    format!(
                        "start times must increase: {start} does not come after {}",
                        pairs[i - 1].0
                    ),
                ));
            }
            if !(rate.is_finite() && rate >= 0.0) {
                return Err(FieldError::new(
                    f,
                    shown(i),
                    format!("the rate {rate} is not a finite number >= 0"),
                ));
            }
        }
        let last = pairs[pairs.len() - 1].0;
        if let Some(c) = cycle
            && !(c.is_finite() && c > last)
        {
            return Err(FieldError::new(
                format!("{path}.cycle"),
                c.to_string(),
                format!("the cycle must be longer than the last start ({last})"),
            ));
        }
        if pairs.iter().all(|p| p.1 == 0.0) {
            return Err(FieldError::new(
                format!("{path}.rates"),
                format!("{} piece(s) of rate 0", pairs.len()),
                "every rate is 0: no job would ever arrive",
            ));
        }
        Ok(RateProfile::from_parts(
            pairs.iter().map(|p| p.0).collect(),
            pairs.iter().map(|p| p.1).collect(),
            cycle,
        ))
    }

    /// A checked schedule's profile, with its cumulative rate.
    fn from_parts(starts: Vec<f64>, rates: Vec<f64>, cycle: Option<f64>) -> RateProfile {
        let last = starts[starts.len() - 1];
        let mut cumulative = vec![0.0];
        for i in 1..starts.len() {
            cumulative.push(cumulative[i - 1] + rates[i - 1] * (starts[i] - starts[i - 1]));
        }
        let mass = match cycle {
            Some(c) => cumulative[starts.len() - 1] + rates[starts.len() - 1] * (c - last),
            None => f64::INFINITY,
        };
        RateProfile {
            starts,
            rates,
            cycle,
            cumulative,
            mass,
        }
    }

    /// The rate at time `t >= 0`.
    pub fn rate_at(&self, t: f64) -> f64 {
        let x = match self.cycle {
            Some(c) => t - (t / c).floor() * c,
            None => t,
        };
        let i = self.starts.partition_point(|&s| s <= x).saturating_sub(1);
        self.rates[i]
    }

    /// `Λ(t) = ∫_0^t λ(u) du`, the expected number of arrivals in `[0, t]`.
    pub fn cumulative(&self, t: f64) -> f64 {
        let (cycles, x) = match self.cycle {
            Some(c) => {
                let n = (t / c).floor();
                (n, t - n * c)
            }
            None => (0.0, t),
        };
        let i = self.starts.partition_point(|&s| s <= x).saturating_sub(1);
        let base = if cycles > 0.0 {
            cycles * self.mass
        } else {
            0.0
        };
        base + self.cumulative[i] + self.rates[i] * (x - self.starts[i])
    }

    /// Long-run arrivals per unit of time: `Λ(cycle)/cycle`, or without
    /// a cycle the last rate (when that is 0, arrivals stop after the last
    /// positive piece: then the mean rate up to the last start).
    pub fn mean_rate(&self) -> f64 {
        let n = self.starts.len();
        match self.cycle {
            Some(c) => self.mass / c,
            None if self.rates[n - 1] > 0.0 => self.rates[n - 1],
            None => self.cumulative[n - 1] / self.starts[n - 1],
        }
    }

    /// The same schedule with every rate multiplied by `factor`.
    pub fn with_rates_scaled(&self, factor: f64) -> RateProfile {
        RateProfile::from_parts(
            self.starts.clone(),
            self.rates.iter().map(|r| r * factor).collect(),
            self.cycle,
        )
    }

    /// End of piece `i` of the cycle starting at `origin`.
    #[inline]
    fn piece_end(&self, i: usize, origin: f64) -> f64 {
        match (self.starts.get(i + 1), self.cycle) {
            (Some(s), _) => origin + s,
            (None, Some(c)) => origin + c,
            (None, None) => f64::INFINITY,
        }
    }
}

/// Generates the arrival times of a time-varying Poisson process, one
/// after the other.
///
/// **Inversion of the cumulative rate**, not thinning: the points of a
/// Poisson process of rate `λ(t)` are `Λ⁻¹` of the points of a unit-rate
/// one, so from the last arrival `T_n` the next is the `T` with
/// `Λ(T) − Λ(T_n) = E`, `E ~ Exp(1)`. With a piecewise-constant rate,
/// `Λ` is piecewise linear and this is a walk over pieces: in a piece of
/// rate `r` ending at `b`, the arrival is at `t + E/r` if that is before
/// `b`, else `E` loses `r (b − t)` and the walk moves on. It is exact, it
/// draws one number per arrival, and a piece boundary is crossed once for
/// the whole run, so it costs O(1) amortised per arrival plus O(1) per
/// piece of simulated time; whole cycles that `E` spans (a quiet cycle
/// against a large `E`) are skipped at once, so no arrival walks more than
/// two cycles' pieces. Thinning (candidates at the peak rate, each kept
/// with probability `λ(t)/λ_max`) would draw `λ_max/λ̄` candidates and
/// twice as many numbers per arrival: a day whose peak is 10 times its
/// night would cost up to 10 times more at night.
#[derive(Debug, Clone)]
pub struct PoissonClock {
    profile: Arc<RateProfile>,
    /// Current piece, and the number of whole cycles before the current one.
    piece: usize,
    cycles: u64,
    /// The last arrival (0 at the start).
    now: f64,
}

impl PoissonClock {
    /// A process started at time 0.
    pub fn new(profile: Arc<RateProfile>) -> PoissonClock {
        PoissonClock {
            profile,
            piece: 0,
            cycles: 0,
            now: 0.0,
        }
    }

    /// The time of the next arrival (infinite when the rate is 0 for ever
    /// after, which a cycle never is).
    pub fn next<R: Rng + ?Sized>(&mut self, rng: &mut R) -> f64 {
        let mut e: f64 = rand_distr::Exp1.sample(rng);
        let p = &*self.profile;
        loop {
            let origin = match p.cycle {
                Some(c) => self.cycles as f64 * c,
                None => 0.0,
            };
            let end = p.piece_end(self.piece, origin);
            let r = p.rates[self.piece];
            if r > 0.0 {
                let t = self.now + e / r;
                if t < end {
                    self.now = t;
                    return t;
                }
                // Rounding may take a hair too much: E stays >= 0.
                e = (e - (end - self.now) * r).max(0.0);
            } else if end == f64::INFINITY {
                self.now = f64::INFINITY;
                return f64::INFINITY;
            }
            self.piece += 1;
            if self.piece == p.starts.len() {
                // Only with a cycle: the last piece is endless otherwise.
                self.piece = 0;
                self.cycles += 1;
                if p.mass == 0.0 {
                    // Rates scaled until they underflowed: nobody comes.
                    self.now = f64::INFINITY;
                    return f64::INFINITY;
                }
                if e >= p.mass {
                    let skip = (e / p.mass).floor();
                    e -= skip * p.mass;
                    self.cycles += skip as u64;
                }
                let c = p.cycle.expect("a piece ends only in a cycle");
                self.now = self.cycles as f64 * c;
            } else {
                self.now = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn profile(pairs: &[(f64, f64)], cycle: Option<f64>) -> Result<RateProfile, FieldError> {
        RateProfile::new(pairs, cycle, "classes[0].arrival")
    }

    #[test]
    fn cumulative_rate_and_mean() {
        let p = profile(&[(0.0, 1.0), (8.0, 3.0), (18.0, 1.0)], Some(24.0)).unwrap();
        // 8 + 30 + 6 = 44 per day.
        assert_eq!(p.cumulative(24.0), 44.0);
        assert_eq!(p.cumulative(10.0), 14.0);
        assert_eq!(p.cumulative(24.0 + 10.0), 58.0);
        assert!((p.mean_rate() - 44.0 / 24.0).abs() < 1e-15);
        assert_eq!(p.rate_at(9.0), 3.0);
        assert_eq!(p.rate_at(24.0 + 19.0), 1.0);
        let q = profile(&[(0.0, 2.0), (5.0, 0.0)], None).unwrap();
        assert_eq!(q.mean_rate(), 2.0);
        assert_eq!(q.cumulative(100.0), 10.0);
    }

    #[test]
    fn counts_per_piece_match_the_rate() {
        // 2000 days; per day 8 arrivals at night, 30 in the day, 6 in the evening.
        let p = Arc::new(profile(&[(0.0, 1.0), (8.0, 3.0), (18.0, 1.0)], Some(24.0)).unwrap());
        let mut clock = PoissonClock::new(p.clone());
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let days = 2000.0;
        let mut counts = [0.0f64; 3];
        let mut last = 0.0;
        loop {
            let t = clock.next(&mut rng);
            assert!(t >= last);
            last = t;
            if t >= 24.0 * days {
                break;
            }
            let x = t % 24.0;
            counts[usize::from(x >= 8.0) + usize::from(x >= 18.0)] += 1.0;
        }
        for (n, expected) in counts.iter().zip([8.0 * days, 30.0 * days, 6.0 * days]) {
            // Poisson counts: 4 standard deviations.
            assert!(
                (n - expected).abs() < 4.0 * expected.sqrt(),
                "{n} vs {expected}"
            );
        }
    }

    #[test]
    fn zero_pieces_get_no_arrivals_and_quiet_cycles_are_skipped() {
        let p = Arc::new(profile(&[(0.0, 0.0), (5.0, 1e-3), (6.0, 0.0)], Some(10.0)).unwrap());
        let mut clock = PoissonClock::new(p);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        for _ in 0..1000 {
            let t = clock.next(&mut rng);
            let x = t % 10.0;
            assert!((5.0..6.0).contains(&x), "{t}");
        }
        // A burst then silence: the process ends.
        let p = Arc::new(profile(&[(0.0, 5.0), (1.0, 0.0)], None).unwrap());
        let mut clock = PoissonClock::new(p);
        let mut n = 0;
        while clock.next(&mut rng).is_finite() {
            n += 1;
        }
        assert!(n < 40);
    }

    #[test]
    fn bad_profiles_are_refused_with_field_and_value() {
        let e = profile(&[(0.0, 1.0), (8.0, 2.0), (8.0, 1.0)], None).unwrap_err();
        assert_eq!(e.field, "classes[0].arrival.rates[2]");
        assert_eq!(e.value, "[8, 1]");
        let e = profile(&[(0.0, 1.0), (8.0, -2.0)], None).unwrap_err();
        assert_eq!(e.field, "classes[0].arrival.rates[1]");
        let e = profile(&[(0.0, 1.0), (8.0, 2.0)], Some(6.0)).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("classes[0].arrival.cycle", "6")
        );
        let e = profile(&[(0.0, 0.0), (8.0, 0.0)], Some(24.0)).unwrap_err();
        assert_eq!(e.field, "classes[0].arrival.rates");
        let e = profile(&[(1.0, 1.0)], None).unwrap_err();
        assert_eq!(e.field, "classes[0].arrival.rates[0]");
    }
}

/// A class's `arrival`: a word (`"once"`) or a table ([`ArrivalSpec`]),
/// each read with its own messages (an untagged enum would bury a table's
/// unknown field under "did not match any variant").
#[derive(Debug, Clone)]
pub enum RawArrival {
    Word(String),
    Spec(Box<ArrivalSpec>),
}

impl<'de> Deserialize<'de> for RawArrival {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawArrival, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = RawArrival;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"once\" or a table such as { dist = \"exponential\", rate = 1.0 }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawArrival, E> {
                Ok(RawArrival::Word(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawArrival, A::Error> {
                ArrivalSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|spec| RawArrival::Spec(Box::new(spec)))
            }
        }
        d.deserialize_any(Either)
    }
}

impl RawArrival {
    /// The process, and the sizes of a trace that gives them.
    pub fn build(
        &self,
        path: &str,
        base_dir: &Path,
    ) -> Result<(Arrivals, Option<Dist>), FieldError> {
        match self {
            RawArrival::Spec(spec) => Arrivals::from_spec(spec, path, base_dir),
            RawArrival::Word(w) if w == "once" => Ok((Arrivals::Once, None)),
            RawArrival::Word(w) => Err(FieldError::new(
                path,
                format!("{w:?}"),
                "give \"once\" (one job at time 0) or a table such as { dist = \"exponential\", rate = 1.0 }",
            )),
        }
    }
}
