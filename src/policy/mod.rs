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

/// The decisions a discipline makes, from its queue and the clock only.
pub trait Policy {
    /// A job is ready to run: it has just arrived and found no free server,
    /// was preempted, or its quantum expired. The policy may note its own
    /// bookkeeping in the job (`level`, `tag`).
    fn enqueue(&mut self, id: JobId, job: &mut Job, now: f64);
    /// Removes and returns the job a server that just became free runs next.
    fn dequeue(&mut self, now: f64) -> Option<JobId>;
    /// The job `dequeue` would return, left in the queue.
    fn peek(&mut self, now: f64) -> Option<JobId>;
    /// Takes job `id` out of the discipline's care before it is served to
    /// the end (a customer reneging, a task timing out): a waiting job
    /// leaves the queue; at a sharing discipline the job leaves service.
    /// Returns whether the job was there. `job` is its record as enqueued.
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
    /// Longest service (in time units) a job gets before it goes back to the queue.
    fn quantum(&self, _job: &Job) -> f64 {
        f64::INFINITY
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

    // Sharing disciplines (`ps`, `fb`) serve every job present at once, at
    // rates of their choosing, instead of handing whole servers to jobs.
    // They return true from `shares` and implement the `share_*` hooks; the
    // engine then never calls `enqueue`/`dequeue` for them.

    /// Whether this is a sharing discipline.
    fn shares(&self) -> bool {
        false
    }
    /// Whether a sharing discipline can also be served a slice at a time
    /// through the ordinary queue methods (`enqueue`, `dequeue`, `peek`,
    /// `preemptive`, `outranks`), as the real backend does: a worker runs
    /// one task per slice and returns to the policy between slices. Its
    /// exact sharing is the limit of short slices. The engine keeps to the
    /// `share_*` hooks whatever this says.
    fn share_by_slices(&self) -> bool {
        false
    }
    /// The node's servers and speed, given once before the run.
    fn share_attach(&mut self, _servers: u32, _speed: f64, _classes: usize) {}
    /// A job joins the node at `now`.
    fn share_arrive(&mut self, _id: JobId, _job: &Job, _now: f64) {}
    /// When the next internal event (a completion, or a change of rates)
    /// happens if nothing arrives; infinite when idle.
    fn share_next(&self) -> f64 {
        f64::INFINITY
    }
    /// Handles the internal event due at `now`; returns the job that
    /// completed, if it was a completion.
    fn share_advance(&mut self, _now: f64) -> Option<JobId> {
        None
    }
    /// Servers' worth of capacity each class receives now (they add up to
    /// `min(n, c)`), for utilisation and queue-length statistics.
    fn share_busy(&self, _busy: &mut [f64]) {}
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
pub trait Discipline: Policy + Clone + Sized {
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

macro_rules! disciplines {
    ($($variant:ident => $ty:ty),* $(,)?) => {
        /// Every registered discipline, as one enum so the engine's hot path
        /// dispatches by a match rather than through a vtable.
        #[derive(Debug, Clone)]
        pub enum AnyPolicy {
            $($variant($ty)),*
        }

        /// Names accepted in `discipline = "..."`.
        pub const DISCIPLINES: &[&str] = &[$(<$ty as Discipline>::NAME),*];

        impl AnyPolicy {
            /// Builds the discipline a configuration names.
            pub fn from_config(config: &PolicyConfig, context: &PolicyContext) -> Result<AnyPolicy, FieldError> {
                let name = if config.discipline.is_empty() { "fcfs" } else { config.discipline.as_str() };
                $(
                    if name == <$ty>::NAME || <$ty>::ALIASES.contains(&name) {
                        return Ok(AnyPolicy::$variant(<$ty>::from_config(config, context)?));
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
                match self { $(AnyPolicy::$variant(p) => p.label()),* }
            }
        }

        impl Policy for AnyPolicy {
            #[inline(always)]
            fn enqueue(&mut self, id: JobId, job: &mut Job, now: f64) {
                match self { $(AnyPolicy::$variant(p) => p.enqueue(id, job, now)),* }
            }
            #[inline(always)]
            fn dequeue(&mut self, now: f64) -> Option<JobId> {
                match self { $(AnyPolicy::$variant(p) => p.dequeue(now)),* }
            }
            fn peek(&mut self, now: f64) -> Option<JobId> {
                match self { $(AnyPolicy::$variant(p) => p.peek(now)),* }
            }
            fn remove(&mut self, id: JobId, job: &Job, now: f64) -> bool {
                match self { $(AnyPolicy::$variant(p) => p.remove(id, job, now)),* }
            }
            #[inline]
            fn len(&self) -> usize {
                match self { $(AnyPolicy::$variant(p) => p.len()),* }
            }
            fn preemptive(&self) -> bool {
                match self { $(AnyPolicy::$variant(p) => p.preemptive()),* }
            }
            #[inline]
            fn outranks(&self, a: &Job, b: &Job, now: f64) -> bool {
                match self { $(AnyPolicy::$variant(p) => p.outranks(a, b, now)),* }
            }
            #[inline(always)]
            fn quantum(&self, job: &Job) -> f64 {
                match self { $(AnyPolicy::$variant(p) => p.quantum(job)),* }
            }
            #[inline]
            fn expire(&mut self, job: &mut Job, now: f64) {
                match self { $(AnyPolicy::$variant(p) => p.expire(job, now)),* }
            }
            fn switch_cost(&self) -> f64 {
                match self { $(AnyPolicy::$variant(p) => p.switch_cost()),* }
            }
            fn uses_size_estimates(&self) -> bool {
                match self { $(AnyPolicy::$variant(p) => p.uses_size_estimates()),* }
            }
            fn shares(&self) -> bool {
                match self { $(AnyPolicy::$variant(p) => p.shares()),* }
            }
            fn share_by_slices(&self) -> bool {
                match self { $(AnyPolicy::$variant(p) => p.share_by_slices()),* }
            }
            fn share_attach(&mut self, servers: u32, speed: f64, classes: usize) {
                match self { $(AnyPolicy::$variant(p) => p.share_attach(servers, speed, classes)),* }
            }
            fn share_arrive(&mut self, id: JobId, job: &Job, now: f64) {
                match self { $(AnyPolicy::$variant(p) => p.share_arrive(id, job, now)),* }
            }
            fn share_next(&self) -> f64 {
                match self { $(AnyPolicy::$variant(p) => p.share_next()),* }
            }
            fn share_advance(&mut self, now: f64) -> Option<JobId> {
                match self { $(AnyPolicy::$variant(p) => p.share_advance(now)),* }
            }
            fn share_busy(&self, busy: &mut [f64]) {
                match self { $(AnyPolicy::$variant(p) => p.share_busy(busy)),* }
            }
        }
    };
}

disciplines! {
    Fcfs => fcfs::Fcfs,
    Lcfs => lcfs::Lcfs,
    LcfsPr => lcfs::LcfsPr,
    Sjf => sjf::Sjf,
    Psjf => srpt::Psjf,
    Srpt => srpt::Srpt,
    Priority => priority::Priority,
    PriorityPr => priority::PriorityPr,
    Rr => rr::RoundRobin,
    Mlfq => mlfq::Mlfq,
    Mlq => mlq::Mlq,
    Edf => edf::Edf,
    Hrrn => hrrn::Hrrn,
    Ps => ps::ProcessorSharing,
    Fb => fb::LeastAttained,
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
