//! Scheduling disciplines: which waiting job a free server takes next.
//!
//! A policy sees the jobs handed to it and the clock, never the engine, so
//! the same object drives the simulator, the teaching mode and the real
//! thread-pool backend. Adding a discipline means one file here and one
//! line in the `disciplines!` list below.

mod fcfs;

use serde::Deserialize;

use crate::error::FieldError;
use crate::job::{Job, JobId};

/// The decisions a discipline makes, from its queue and the clock only.
pub trait Policy {
    /// A job is ready to run: it has just arrived and found no free server.
    fn enqueue(&mut self, id: JobId, job: &Job, now: f64);
    /// Removes and returns the job a server that just became free runs next.
    fn dequeue(&mut self, now: f64) -> Option<JobId>;
    /// Number of jobs waiting.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a discipline is named in scenario files and built from its parameters.
pub trait Discipline: Policy + Clone + Sized {
    /// Name in `[policy] discipline = "..."`.
    const NAME: &'static str;
    /// Other accepted names.
    const ALIASES: &'static [&'static str] = &[];
    fn from_config(config: &PolicyConfig) -> Result<Self, FieldError>;
    /// Name with parameters, as it appears in result rows (e.g. `rr(q=0.1)`).
    fn label(&self) -> String {
        Self::NAME.to_string()
    }
}

/// `[policy]` as written in a scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    #[serde(default = "default_discipline")]
    pub discipline: String,
}

fn default_discipline() -> String {
    "fcfs".into()
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            discipline: default_discipline(),
        }
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
            pub fn from_config(config: &PolicyConfig) -> Result<AnyPolicy, FieldError> {
                let name = config.discipline.as_str();
                $(
                    if name == <$ty>::NAME || <$ty>::ALIASES.contains(&name) {
                        return Ok(AnyPolicy::$variant(<$ty>::from_config(config)?));
                    }
                )*
                Err(FieldError::new(
                    "policy.discipline",
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
            #[inline]
            fn enqueue(&mut self, id: JobId, job: &Job, now: f64) {
                match self { $(AnyPolicy::$variant(p) => p.enqueue(id, job, now)),* }
            }
            #[inline]
            fn dequeue(&mut self, now: f64) -> Option<JobId> {
                match self { $(AnyPolicy::$variant(p) => p.dequeue(now)),* }
            }
            #[inline]
            fn len(&self) -> usize {
                match self { $(AnyPolicy::$variant(p) => p.len()),* }
            }
        }
    };
}

disciplines! {
    Fcfs => fcfs::Fcfs,
}

/// A validated policy: a prototype with an empty queue, cloned for every node.
pub type PolicySpec = AnyPolicy;
