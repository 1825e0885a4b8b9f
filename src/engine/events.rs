//! The future event list (the calendar): a binary heap ordered by time, then
//! by the order events were scheduled, so ties are broken the same way on
//! every run. Each event carries its kind, where it happens and a
//! cancellation token: the generation of the server (or sharing node) it
//! belongs to when it was scheduled, so an event made stale by a
//! preemption or a new share is recognised and skipped when it comes up.
//! Arrivals from sources are not stored here: the engine merges the
//! workload's next arrival with the calendar's head (cheaper than pushing
//! every arrival through the heap, and the same order).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What happens when an event comes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A server's job completes its visit or its quantum ends.
    ServiceEnd,
    /// A sharing node's next internal event (a completion or a change of rates).
    ShareTick,
    /// A waiting job's patience runs out (`node` holds the visit's number,
    /// `server` the job's slot, `generation` its arrival order's low bits).
    Patience,
    /// Lifecycle timers of a task, addressed as patience events are: no
    /// attempt started within the queue timeout; the deadline passed; a
    /// backoff ended and the next attempt rejoins the queue.
    QueueTimeout,
    Deadline,
    Retry,
    /// A server of a failing node fails, or is repaired (`generation`:
    /// the server's failure token).
    ServerDown,
    ServerUp,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Event {
    pub time: f64,
    seq: u64,
    pub kind: Kind,
    pub node: u32,
    pub server: u32,
    /// Cancellation token: valid while it equals its owner's generation.
    pub generation: u32,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Event {}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .total_cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

#[derive(Debug, Default)]
pub(super) struct EventList {
    heap: BinaryHeap<Event>,
    scheduled: u64,
}

impl EventList {
    #[inline(always)]
    pub fn push(&mut self, time: f64, kind: Kind, node: u32, server: u32, generation: u32) {
        self.heap.push(Event {
            time,
            seq: self.scheduled,
            kind,
            node,
            server,
            generation,
        });
        self.scheduled += 1;
    }

    /// Time of the earliest event, or infinity.
    #[inline]
    pub fn peek_time(&self) -> f64 {
        self.heap.peek().map_or(f64::INFINITY, |e| e.time)
    }

    /// Removes the earliest event. Only called after `peek_time` was finite.
    #[inline]
    pub fn pop(&mut self) -> Event {
        self.heap.pop().expect("pop called on an empty event list")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_by_scheduling_order() {
        let mut l = EventList::default();
        for (t, s) in [(2.0, 0), (1.0, 1), (2.0, 2), (1.0, 3)] {
            l.push(t, Kind::ServiceEnd, 0, s, 0);
        }
        let order: Vec<u32> = (0..4).map(|_| l.pop().server).collect();
        assert_eq!(order, vec![1, 3, 0, 2]);
        assert_eq!(l.peek_time(), f64::INFINITY);
    }
}
