//! Scheduling disciplines: which waiting job a free server takes next.
//!
//! A policy sees the jobs handed to it and the clock, never the engine, so
//! the same object drives the simulator, the teaching mode and the real
//! thread-pool backend. Adding a discipline means one file here and one
//! line in the `disciplines!` list below.

mod config;
mod edf;
mod fb;
mod fcfs;
mod fifo;
mod hrrn;
mod indexed;
mod kinetic;
mod lcfs;
mod mlfq;
mod mlq;
mod priority;
mod ps;
mod rr;
mod sjf;
mod srpt;

pub use config::{
    CompareEntry, LevelConfig, PolicyConfig, PolicyContext, parse_policy_arg, split_policy_list,
};

use crate::error::FieldError;
use crate::job::{Job, JobId};

/// A queue discipline: which waiting job a free server takes next, from
/// its queue and the clock only.
pub trait Policy {
    /// A job is ready to run: it has just arrived and found no free server,
    /// was preempted, or its quantum expired. The policy may note its own
    /// bookkeeping in the job (`level`, `tag`).
    fn enqueue(&mut self, id: JobId, job: &mut Job, now: f64);
    /// Removes and returns the job a server that just became free runs next.
    fn dequeue(&mut self, now: f64) -> Option<JobId>;
    /// The job `dequeue` would return, left in the queue.
    fn peek(&mut self, now: f64) -> Option<JobId>;
    /// Takes waiting job `id` out of the queue before it is served (a
    /// customer reneging, a task timing out). Returns whether it was there.
    /// `job` is its record as enqueued.
    fn remove(&mut self, id: JobId, job: &Job, now: f64) -> bool;
    /// Number of jobs waiting.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether an arriving job may take the server of a job in service.
    fn preemptive(&self) -> bool {
        false
    }
    /// Whether `a` is strictly more urgent than `b`. The engine asks it, for
    /// preemptive disciplines, to find the least urgent job in service and
    /// whether a newcomer displaces it; jobs in service have their
    /// `remaining` brought up to date first.
    fn outranks(&self, _a: &Job, _b: &Job, _now: f64) -> bool {
        false
    }
    /// For a preemptive discipline whose order among jobs in service does
    /// not change while they run: a key, fixed when `job` starts (or
    /// resumes) service, whose largest value marks the least urgent job in
    /// service, exactly as `outranks` orders them, so a node with many
    /// servers finds its victim in a heap instead of a scan. `drained` is
    /// the node's speed times the time the job's progress started from:
    /// a key of remaining work adds it, so that jobs draining at the same
    /// speed keep their order. `None` (the default) keeps the scan.
    fn running_key(&self, _job: &Job, _drained: f64) -> Option<f64> {
        None
    }
    /// Longest service (in time units) a job gets before it goes back to the queue.
    fn quantum(&self, _job: &Job) -> f64 {
        f64::INFINITY
    }
    /// Whether `quantum` is ever finite: the engine asks for quanta only then.
    fn slices(&self) -> bool {
        false
    }
    /// The job's quantum ran out before it finished; it is enqueued again
    /// right after (a multilevel queue demotes it here).
    fn expire(&mut self, _job: &mut Job, _now: f64) {}
    /// Time a server spends switching to a different job (context switch).
    fn switch_cost(&self) -> f64 {
        0.0
    }
    /// Whether the discipline schedules on noisy size estimates, so the
    /// workload must draw `Job::noise`.
    fn uses_size_estimates(&self) -> bool {
        false
    }
    /// Prefetches what the next `dequeue` will read first (see
    /// [`crate::prefetch`]); it must change nothing. By default nothing.
    fn foresee(&self) {}
    /// The job the next `dequeue` would most likely return, read without
    /// changing anything, so that its record can be prefetched; `None`
    /// where it is not cheap to tell. A wrong guess is harmless.
    fn next_guess(&self) -> Option<JobId> {
        None
    }
}

/// A sharing discipline (`ps`, `fb`): every job present is in service at
/// once, at rates of the discipline's choosing, instead of whole servers
/// going to jobs. The node tells it who arrives and asks when its next
/// internal event (a completion, or a change of rates) falls.
pub trait Sharing {
    /// The node's servers and speed, given once before the run.
    fn attach(&mut self, servers: u32, speed: f64, classes: usize);
    /// A job joins the node at `now`; it leaves when its requirement is
    /// down to `job.cut` (0, unless its attempt fails or times out there).
    fn arrive(&mut self, id: JobId, job: &Job, now: f64);
    /// When the next internal event happens if nothing arrives; infinite
    /// when idle.
    fn next_event(&self) -> f64;
    /// Handles the internal event due at `now`; returns the job that
    /// completed, if it was a completion.
    fn advance(&mut self, now: f64) -> Option<JobId>;
    /// Takes job `id` out of service before it is done (a timeout, a
    /// deadline); the others' rates change from `now`. Returns the work
    /// it still needed to leave, or `None` when it was not there.
    fn remove(&mut self, id: JobId, now: f64) -> Option<f64>;
    /// Number of jobs present (all in service).
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Servers' worth of capacity each class receives now (they add up to
    /// `min(n, c)`), for utilisation and queue-length statistics.
    fn busy(&self, busy: &mut [f64]);
    /// The queue discipline that serves this one a slice at a time, as the
    /// real backend must (a worker runs one task per slice and returns to
    /// the policy between slices; exact sharing is the limit of short
    /// slices), or `None` when slices cannot approach it.
    fn by_slices(&self) -> Option<QueuePolicy> {
        None
    }
}

/// Containers of waiting jobs that give one up by id, keeping the
/// others' order: O(n).
pub(crate) trait RemoveAt {
    fn remove_id(&mut self, id: JobId) -> bool;
}

impl RemoveAt for std::collections::VecDeque<JobId> {
    fn remove_id(&mut self, id: JobId) -> bool {
        self.iter()
            .position(|&x| x == id)
            .and_then(|i| self.remove(i))
            .is_some()
    }
}

impl RemoveAt for Vec<JobId> {
    fn remove_id(&mut self, id: JobId) -> bool {
        match self.iter().position(|&x| x == id) {
            Some(i) => {
                self.remove(i);
                true
            }
            None => false,
        }
    }
}

/// How a discipline is named in scenario files and built from its parameters.
pub trait Discipline: Clone + Sized {
    /// Name in `[policy] discipline = "..."`.
    const NAME: &'static str;
    /// Other accepted names.
    const ALIASES: &'static [&'static str] = &[];
    fn from_config(config: &PolicyConfig, context: &PolicyContext) -> Result<Self, FieldError>;
    /// Name with parameters, as it appears in result rows (e.g. `rr(q=0.1)`).
    fn label(&self) -> String {
        Self::NAME.to_string()
    }
}

/// A discipline held in a box keeps its name and parameters: the large
/// ones are boxed in [`QueuePolicy`] so that the enum, one per node, stays
/// the size of the small ones (72 bytes, not 136: 6 MB less, and fewer
/// cache lines, at 100,000 nodes).
impl<T: Discipline> Discipline for Box<T> {
    const NAME: &'static str = T::NAME;
    const ALIASES: &'static [&'static str] = T::ALIASES;
    fn from_config(config: &PolicyConfig, context: &PolicyContext) -> Result<Self, FieldError> {
        T::from_config(config, context).map(Box::new)
    }
    fn label(&self) -> String {
        (**self).label()
    }
}

macro_rules! disciplines {
    (
        queue { $($q:ident => $qt:ty),* $(,)? }
        sharing { $($s:ident => $st:ty),* $(,)? }
        slices { $($x:ident => $xt:ty as $xs:ident),* $(,)? }
    ) => {
        /// What a discipline is, whatever its parameters. Theory, sizing
        /// and teaching choose a closed form or an explanation by what a
        /// discipline is, not by how it prints: a label carries parameters
        /// (`rr(q=0.1)`, `sjf(scv=1)`) and may be renamed, and a string
        /// compared with it would then stop matching without a word. Made
        /// from the list below, so every discipline has its variant; a
        /// `slices` entry is the discipline it serves a slice at a time.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum DisciplineKind {
            $($q,)*
            $($s,)*
        }

        /// Every queue discipline, as one enum so the engine's hot path
        /// dispatches by a match rather than through a vtable. The
        /// `slices` entries serve a sharing discipline a slice at a time
        /// and are not named in scenario files.
        ///
        /// One cache line, aligned to one: a cluster keeps a queue per
        /// node, and an event at a node reads its queue's header. Unaligned,
        /// most headers of a `Vec` of them straddle two lines, and at
        /// 100,000 nodes each line is a miss.
        #[derive(Debug, Clone)]
        #[repr(align(64))]
        pub enum QueuePolicy {
            $($q($qt),)*
            $($x($xt),)*
        }

        /// Every sharing discipline.
        #[derive(Debug, Clone)]
        pub enum SharingPolicy {
            $($s($st)),*
        }

        /// Names accepted in `discipline = "..."`.
        pub const DISCIPLINES: &[&str] = &[$(<$qt as Discipline>::NAME,)* $(<$st as Discipline>::NAME),*];

        impl AnyPolicy {
            /// Builds the discipline a configuration names.
            pub fn from_config(config: &PolicyConfig, context: &PolicyContext) -> Result<AnyPolicy, FieldError> {
                let name = if config.discipline.is_empty() { "fcfs" } else { config.discipline.as_str() };
                $(
                    if name == <$qt>::NAME || <$qt>::ALIASES.contains(&name) {
                        return Ok(AnyPolicy::Queue(QueuePolicy::$q(<$qt>::from_config(config, context)?)));
                    }
                )*
                $(
                    if name == <$st>::NAME || <$st>::ALIASES.contains(&name) {
                        return Ok(AnyPolicy::Sharing(SharingPolicy::$s(<$st>::from_config(config, context)?)));
                    }
                )*
                Err(FieldError::new(
                    config.field("discipline"),
                    format!("\"{name}\""),
                    format!("unknown discipline; use one of {}", DISCIPLINES.join(", ")),
                ))
            }

            /// Name with parameters, e.g. `fcfs` or `rr(q=0.1)`.
            pub fn label(&self) -> String {
                match self {
                    $(AnyPolicy::Queue(QueuePolicy::$q(p)) => p.label(),)*
                    $(AnyPolicy::Queue(QueuePolicy::$x(p)) => p.label(),)*
                    $(AnyPolicy::Sharing(SharingPolicy::$s(p)) => p.label()),*
                }
            }

            /// Which discipline this is, whatever its parameters.
            pub fn discipline(&self) -> DisciplineKind {
                match self {
                    $(AnyPolicy::Queue(QueuePolicy::$q(_)) => DisciplineKind::$q,)*
                    $(AnyPolicy::Queue(QueuePolicy::$x(_)) => DisciplineKind::$xs,)*
                    $(AnyPolicy::Sharing(SharingPolicy::$s(_)) => DisciplineKind::$s),*
                }
            }
        }

        /// Every name `discipline = "..."` accepts, aliases included.
        #[cfg(test)]
        fn accepted_names() -> Vec<&'static str> {
            let mut names = Vec::new();
            $(
                names.push(<$qt as Discipline>::NAME);
                names.extend_from_slice(<$qt as Discipline>::ALIASES);
            )*
            $(
                names.push(<$st as Discipline>::NAME);
                names.extend_from_slice(<$st as Discipline>::ALIASES);
            )*
            names
        }

        impl Policy for QueuePolicy {
            #[inline(always)]
            fn enqueue(&mut self, id: JobId, job: &mut Job, now: f64) {
                match self { $(QueuePolicy::$q(p) => p.enqueue(id, job, now),)* $(QueuePolicy::$x(p) => p.enqueue(id, job, now)),* }
            }
            #[inline(always)]
            fn dequeue(&mut self, now: f64) -> Option<JobId> {
                match self { $(QueuePolicy::$q(p) => p.dequeue(now),)* $(QueuePolicy::$x(p) => p.dequeue(now)),* }
            }
            fn peek(&mut self, now: f64) -> Option<JobId> {
                match self { $(QueuePolicy::$q(p) => p.peek(now),)* $(QueuePolicy::$x(p) => p.peek(now)),* }
            }
            fn remove(&mut self, id: JobId, job: &Job, now: f64) -> bool {
                match self { $(QueuePolicy::$q(p) => p.remove(id, job, now),)* $(QueuePolicy::$x(p) => p.remove(id, job, now)),* }
            }
            #[inline]
            fn len(&self) -> usize {
                match self { $(QueuePolicy::$q(p) => p.len(),)* $(QueuePolicy::$x(p) => p.len()),* }
            }
            fn preemptive(&self) -> bool {
                match self { $(QueuePolicy::$q(p) => p.preemptive(),)* $(QueuePolicy::$x(p) => p.preemptive()),* }
            }
            #[inline]
            fn outranks(&self, a: &Job, b: &Job, now: f64) -> bool {
                match self { $(QueuePolicy::$q(p) => p.outranks(a, b, now),)* $(QueuePolicy::$x(p) => p.outranks(a, b, now)),* }
            }
            #[inline]
            fn running_key(&self, job: &Job, drained: f64) -> Option<f64> {
                match self { $(QueuePolicy::$q(p) => p.running_key(job, drained),)* $(QueuePolicy::$x(p) => p.running_key(job, drained)),* }
            }
            #[inline(always)]
            fn quantum(&self, job: &Job) -> f64 {
                match self { $(QueuePolicy::$q(p) => p.quantum(job),)* $(QueuePolicy::$x(p) => p.quantum(job)),* }
            }
            #[inline]
            fn slices(&self) -> bool {
                match self { $(QueuePolicy::$q(p) => p.slices(),)* $(QueuePolicy::$x(p) => p.slices()),* }
            }
            #[inline]
            fn expire(&mut self, job: &mut Job, now: f64) {
                match self { $(QueuePolicy::$q(p) => p.expire(job, now),)* $(QueuePolicy::$x(p) => p.expire(job, now)),* }
            }
            fn switch_cost(&self) -> f64 {
                match self { $(QueuePolicy::$q(p) => p.switch_cost(),)* $(QueuePolicy::$x(p) => p.switch_cost()),* }
            }
            fn uses_size_estimates(&self) -> bool {
                match self { $(QueuePolicy::$q(p) => p.uses_size_estimates(),)* $(QueuePolicy::$x(p) => p.uses_size_estimates()),* }
            }
            #[inline(always)]
            fn foresee(&self) {
                match self { $(QueuePolicy::$q(p) => p.foresee(),)* $(QueuePolicy::$x(p) => p.foresee()),* }
            }
            #[inline(always)]
            fn next_guess(&self) -> Option<JobId> {
                match self { $(QueuePolicy::$q(p) => p.next_guess(),)* $(QueuePolicy::$x(p) => p.next_guess()),* }
            }
        }

        impl Sharing for SharingPolicy {
            fn attach(&mut self, servers: u32, speed: f64, classes: usize) {
                match self { $(SharingPolicy::$s(p) => p.attach(servers, speed, classes)),* }
            }
            #[inline]
            fn arrive(&mut self, id: JobId, job: &Job, now: f64) {
                match self { $(SharingPolicy::$s(p) => p.arrive(id, job, now)),* }
            }
            #[inline]
            fn next_event(&self) -> f64 {
                match self { $(SharingPolicy::$s(p) => p.next_event()),* }
            }
            #[inline]
            fn advance(&mut self, now: f64) -> Option<JobId> {
                match self { $(SharingPolicy::$s(p) => p.advance(now)),* }
            }
            fn remove(&mut self, id: JobId, now: f64) -> Option<f64> {
                match self { $(SharingPolicy::$s(p) => p.remove(id, now)),* }
            }
            fn len(&self) -> usize {
                match self { $(SharingPolicy::$s(p) => p.len()),* }
            }
            #[inline]
            fn busy(&self, busy: &mut [f64]) {
                match self { $(SharingPolicy::$s(p) => p.busy(busy)),* }
            }
            fn by_slices(&self) -> Option<QueuePolicy> {
                match self { $(SharingPolicy::$s(p) => p.by_slices()),* }
            }
        }
    };
}

disciplines! {
    queue {
        Fcfs => fcfs::Fcfs,
        Lcfs => lcfs::Lcfs,
        LcfsPr => lcfs::LcfsPr,
        Sjf => sjf::Sjf,
        Psjf => srpt::Psjf,
        Srpt => srpt::Srpt,
        Priority => priority::Priority,
        PriorityPr => priority::PriorityPr,
        Rr => rr::RoundRobin,
        Mlfq => Box<mlfq::Mlfq>,
        Mlq => Box<mlq::Mlq>,
        Edf => edf::Edf,
        Hrrn => Box<hrrn::Hrrn>,
    }
    sharing {
        Ps => ps::ProcessorSharing,
        Fb => fb::LeastAttained,
    }
    slices {
        FbSlices => fb::BySlices as Fb,
    }
}

/// A discipline as a scenario names it: a queue discipline, or a sharing one.
#[derive(Debug, Clone)]
pub enum AnyPolicy {
    Queue(QueuePolicy),
    Sharing(SharingPolicy),
}

impl AnyPolicy {
    /// The queue discipline, unless this one shares.
    pub fn queue(&self) -> Option<&QueuePolicy> {
        match self {
            AnyPolicy::Queue(q) => Some(q),
            AnyPolicy::Sharing(_) => None,
        }
    }

    /// Whether this is a sharing discipline (`ps`, `fb`).
    pub fn is_sharing(&self) -> bool {
        matches!(self, AnyPolicy::Sharing(_))
    }

    /// The queue discipline that runs this one on whole servers a slice at
    /// a time (itself for a queue discipline), or `None` for a sharing
    /// discipline that slices cannot approach (`ps`).
    pub fn by_slices(&self) -> Option<QueuePolicy> {
        match self {
            AnyPolicy::Queue(q) => Some(q.clone()),
            AnyPolicy::Sharing(s) => s.by_slices(),
        }
    }

    /// Whether an arriving job may take the server of a job in service.
    pub fn preemptive(&self) -> bool {
        self.queue().is_some_and(Policy::preemptive)
    }

    /// Time a server spends switching to a different job.
    pub fn switch_cost(&self) -> f64 {
        self.queue().map_or(0.0, Policy::switch_cost)
    }

    /// Whether the workload must draw noisy size estimates for this discipline.
    pub fn uses_size_estimates(&self) -> bool {
        self.queue().is_some_and(Policy::uses_size_estimates)
    }
}

/// The policies a `[policy]` section asks for: its discipline, or every
/// entry of `compare` (the first being the baseline).
pub fn policies_from_section(
    section: &PolicyConfig,
    context: &PolicyContext,
) -> Result<Vec<(PolicyConfig, AnyPolicy)>, FieldError> {
    let Some(entries) = &section.compare else {
        return Ok(vec![(
            section.clone(),
            AnyPolicy::from_config(section, context)?,
        )]);
    };
    if !section.discipline.is_empty() {
        return Err(FieldError::new(
            "policy.discipline",
            format!("\"{}\"", section.discipline),
            "with `compare`, list every policy there (the first is the baseline) and leave out `discipline`",
        ));
    }
    let mut bare = section.clone();
    bare.compare = None;
    bare.discipline = "compare".into();
    bare.allow_only(&[])?;
    if entries.is_empty() {
        return Err(FieldError::new(
            "policy.compare",
            "[]",
            "list at least one policy",
        ));
    }
    let mut policies: Vec<(PolicyConfig, AnyPolicy)> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let mut config = match entry {
            CompareEntry::Name(name) => PolicyConfig::named(name),
            CompareEntry::Table(t) => t.clone(),
        };
        config.path = format!("policy.compare[{i}]");
        if config.compare.is_some() {
            return Err(FieldError::new(
                config.field("compare"),
                "[...]",
                "compare lists do not nest",
            ));
        }
        let policy = AnyPolicy::from_config(&config, context)?;
        if policies.iter().any(|(_, p)| p.label() == policy.label()) {
            return Err(FieldError::new(
                config.path.clone(),
                policy.label(),
                "this policy is already in the list",
            ));
        }
        policies.push((config, policy));
    }
    Ok(policies)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The large disciplines are boxed, so the enum every node holds
    /// stays one cache line (its alignment makes any more two).
    #[test]
    fn a_node_queue_stays_small() {
        assert_eq!(std::mem::size_of::<QueuePolicy>(), 64);
    }

    /// The engine asks for quanta only where `slices` says there are
    /// any: rr and mlfq have them, fcfs has none.
    #[test]
    fn only_disciplines_with_quanta_say_they_slice() {
        let context = PolicyContext::default();
        let queue = |config: PolicyConfig| match AnyPolicy::from_config(&config, &context) {
            Ok(AnyPolicy::Queue(q)) => q,
            other => panic!("{:?}", other.map(|p| p.label())),
        };
        let named = |name: &str| PolicyConfig {
            discipline: name.to_string(),
            ..PolicyConfig::default()
        };
        assert!(!queue(named("fcfs")).slices());
        let mlfq = queue(PolicyConfig {
            levels: Some(vec![
                config::LevelConfig::Quantum(8.0),
                config::LevelConfig::Name("fcfs".to_string()),
            ]),
            ..named("mlfq")
        });
        assert!(mlfq.slices());
        let rr = queue(PolicyConfig {
            quantum: Some(0.1),
            ..named("rr")
        });
        assert!(rr.slices() && rr.quantum(&Job::new(0, 0, 0, 0, 0.0, 1.0)) == 0.1);
    }

    /// Every name a scenario may give a discipline, aliases included,
    /// builds the discipline it names: theory picks its formulas by this.
    #[test]
    fn every_accepted_name_maps_to_its_discipline() {
        use DisciplineKind as D;
        let expected: &[(&str, DisciplineKind)] = &[
            ("fcfs", D::Fcfs),
            ("fifo", D::Fcfs),
            ("lcfs", D::Lcfs),
            ("lifo", D::Lcfs),
            ("lcfs-pr", D::LcfsPr),
            ("sjf", D::Sjf),
            ("spt", D::Sjf),
            ("psjf", D::Psjf),
            ("srpt", D::Srpt),
            ("srtf", D::Srpt),
            ("priority", D::Priority),
            ("priority-np", D::Priority),
            ("priority-pr", D::PriorityPr),
            ("priority-preemptive", D::PriorityPr),
            ("rr", D::Rr),
            ("round-robin", D::Rr),
            ("mlfq", D::Mlfq),
            ("mlq", D::Mlq),
            ("edf", D::Edf),
            ("hrrn", D::Hrrn),
            ("ps", D::Ps),
            ("processor-sharing", D::Ps),
            ("fb", D::Fb),
            ("las", D::Fb),
        ];
        let mut accepted = accepted_names();
        accepted.sort_unstable();
        let mut listed: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
        listed.sort_unstable();
        assert_eq!(listed, accepted, "a name is missing from the table");
        let context = PolicyContext {
            class_names: vec!["a".to_string()],
        };
        for &(name, kind) in expected {
            // Parameters some disciplines require; the others refuse them.
            let levels = match kind {
                D::Mlfq => Some(vec![
                    LevelConfig::Quantum(2.0),
                    LevelConfig::Name("fcfs".to_string()),
                ]),
                D::Mlq => Some(vec![LevelConfig::Table(PolicyConfig {
                    classes: Some(vec!["a".to_string()]),
                    ..PolicyConfig::named("fcfs")
                })]),
                _ => None,
            };
            let config = PolicyConfig {
                quantum: matches!(kind, D::Rr).then_some(0.5),
                levels,
                ..PolicyConfig::named(name)
            };
            let policy = AnyPolicy::from_config(&config, &context)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(policy.discipline(), kind, "{name} ({})", policy.label());
        }
        // With parameters in its label, a discipline is still itself.
        let sjf = PolicyConfig {
            estimate_scv: Some(1.0),
            ..PolicyConfig::named("sjf")
        };
        let sjf = AnyPolicy::from_config(&sjf, &context).unwrap();
        assert_eq!(
            (sjf.label().as_str(), sjf.discipline()),
            ("sjf(scv=1)", D::Sjf)
        );
        // fb served a slice at a time is still fb.
        let fb = AnyPolicy::from_config(&PolicyConfig::named("fb"), &context).unwrap();
        let slices = AnyPolicy::Queue(fb.by_slices().unwrap());
        assert_eq!(slices.discipline(), D::Fb);
    }

    /// A boxed discipline is named, parsed and labelled as it was: the
    /// same label, or the same error, as the discipline unboxed.
    #[test]
    fn boxed_disciplines_keep_their_names() {
        fn same<T: Discipline>(config: &PolicyConfig) {
            let context = PolicyContext::default();
            let plain = T::from_config(config, &context).map(|p| p.label());
            let boxed = <Box<T>>::from_config(config, &context).map(|p| p.label());
            assert_eq!(plain.is_ok(), boxed.is_ok(), "{}", T::NAME);
            assert_eq!(plain.ok(), boxed.ok(), "{}", T::NAME);
            assert_eq!(<Box<T>>::NAME, T::NAME);
        }
        let plain = PolicyConfig::default();
        same::<hrrn::Hrrn>(&plain);
        same::<mlfq::Mlfq>(&plain);
        same::<mlq::Mlq>(&plain);
        let hrrn = PolicyConfig {
            discipline: "hrrn".to_string(),
            ..PolicyConfig::default()
        };
        assert_eq!(
            AnyPolicy::from_config(&hrrn, &PolicyContext::default())
                .map(|p| p.label())
                .ok(),
            Some("hrrn".to_string())
        );
    }
}
