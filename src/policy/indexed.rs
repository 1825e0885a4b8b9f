//! Index disciplines: each waiting job gets a key when it is queued and the
//! lowest key is served first, ties going to the earlier arrival. SJF,
//! PSJF, SRPT, priority and EDF are all this with a different key, so they
//! share one binary heap: O(log n) per queue operation.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::job::{Job, JobId};
use crate::order::Total;

/// Key, then arrival order (the id only breaks no tie: one entry per job).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    key: Total,
    seq: u64,
    id: JobId,
}

/// Waiting jobs by (key, arrival order), lowest first.
#[derive(Debug, Clone, Default)]
pub struct KeyedQueue {
    heap: BinaryHeap<Reverse<Entry>>,
}

impl KeyedQueue {
    #[inline]
    pub fn push(&mut self, key: f64, job: &Job, id: JobId) {
        self.heap.push(Reverse(Entry {
            key: Total(key),
            seq: job.seq,
            id,
        }));
    }

    #[inline]
    pub fn pop(&mut self) -> Option<JobId> {
        self.heap.pop().map(|Reverse(e)| e.id)
    }

    pub fn peek(&self) -> Option<JobId> {
        self.heap.peek().map(|Reverse(e)| e.id)
    }

    /// Takes `id` out: O(n), rebuilding the heap.
    pub fn remove(&mut self, id: JobId) -> bool {
        let before = self.heap.len();
        self.heap.retain(|Reverse(e)| e.id != id);
        self.heap.len() != before
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }
}

/// Defines a discipline file's policy struct on a `KeyedQueue` with a key
/// function and whether it preempts (a newcomer with a strictly lower key
/// than a job in service takes its server). `drains = true` says the key
/// is the remaining work, which falls while the job runs.
macro_rules! index_policy {
    ($(#[$doc:meta])* $name:ident, preemptive = $pre:expr, key = |$self_:ident, $job:ident| $key:expr) => {
        index_policy!($(#[$doc])* $name, preemptive = $pre, key = |$self_, $job| $key, estimates = |_s| false, drains = false);
    };
    ($(#[$doc:meta])* $name:ident, preemptive = $pre:expr, key = |$self_:ident, $job:ident| $key:expr, drains = $drains:expr) => {
        index_policy!($(#[$doc])* $name, preemptive = $pre, key = |$self_, $job| $key, estimates = |_s| false, drains = $drains);
    };
    ($(#[$doc:meta])* $name:ident, preemptive = $pre:expr, key = |$self_:ident, $job:ident| $key:expr,
     estimates = |$s2:ident| $est:expr) => {
        index_policy!($(#[$doc])* $name, preemptive = $pre, key = |$self_, $job| $key, estimates = |$s2| $est, drains = false);
    };
    ($(#[$doc:meta])* $name:ident, preemptive = $pre:expr, key = |$self_:ident, $job:ident| $key:expr,
     estimates = |$s2:ident| $est:expr, drains = $drains:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default)]
        pub struct $name {
            queue: $crate::policy::indexed::KeyedQueue,
            #[allow(dead_code)]
            params: Params,
        }

        impl $name {
            #[inline]
            #[allow(unused_variables)]
            fn key(&$self_, $job: &$crate::job::Job) -> f64 {
                $key
            }
        }

        impl $crate::policy::Policy for $name {
            #[inline]
            fn enqueue(&mut self, id: $crate::job::JobId, job: &mut $crate::job::Job, _now: f64) {
                let key = self.key(job);
                self.queue.push(key, job, id);
            }
            #[inline]
            fn dequeue(&mut self, _now: f64) -> Option<$crate::job::JobId> {
                self.queue.pop()
            }
            fn peek(&mut self, _now: f64) -> Option<$crate::job::JobId> {
                self.queue.peek()
            }
            fn remove(&mut self, id: $crate::job::JobId, _job: &$crate::job::Job, _now: f64) -> bool {
                self.queue.remove(id)
            }
            fn len(&self) -> usize {
                self.queue.len()
            }
            fn preemptive(&self) -> bool {
                $pre
            }
            #[inline]
            fn outranks(&self, a: &$crate::job::Job, b: &$crate::job::Job, _now: f64) -> bool {
                self.key(a) < self.key(b)
            }
            #[inline]
            fn running_key(&self, job: &$crate::job::Job, drained: f64) -> Option<f64> {
                Some(if $drains { self.key(job) + drained } else { self.key(job) })
            }
            #[allow(unused_variables)]
            fn uses_size_estimates(&self) -> bool {
                let $s2 = self;
                $est
            }
        }
    };
}

pub(crate) use index_policy;
