//! The future event list (the calendar): a heap ordered by time, then by
//! the order events were scheduled, so ties are broken the same way on
//! every run (the order is total, so any correct heap pops the same
//! sequence). Each event carries its kind, where it happens and a
//! cancellation token: the generation of the server (or sharing node) it
//! belongs to when it was scheduled, so an event made stale by a
//! preemption or a new share is recognised and skipped when it comes up.
//! Arrivals from sources are not stored here: the engine merges the
//! workload's next arrival with the calendar's head (cheaper than pushing
//! every arrival through the heap, and the same order).
//!
//! Timers set a fixed delay after the present (a class's queue timeout or
//! deadline) come up in the order they were set, so each such delay gets a
//! *lane*: a FIFO whose front alone sits in the heap. The heap then holds
//! a few lane heads instead of one timer per job present (hundreds under a
//! long deadline), and every pop is that much shallower; the order of
//! events is unchanged, since a lane's front is its earliest by time and
//! then by scheduling order. Most such timers are spent before they come
//! up (the job completed well within its deadline), and the engine says
//! which when a lane advances: those are dropped without touching the
//! heap, nor the event loop.

use std::collections::VecDeque;

/// What happens when an event comes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
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
    /// The timeout of an attempt at a sharing node, where work and time in
    /// service run at no fixed ratio (on a server it is a point of the
    /// attempt's work instead, and needs no event).
    AttemptTimeout,
    /// A server of a failing node fails, or is repaired (`generation`:
    /// the server's failure token).
    ServerDown,
    ServerUp,
    /// A step of a node's server schedule begins (`server`: the step,
    /// `generation`: the cycle it belongs to).
    ShiftChange,
    /// A workflow task's input has arrived at its node (`node`), and the
    /// task enters it (`server`: its instance, `generation`: the task).
    TaskReady,
}

/// 32 bytes and no padding, so that it moves as whole words.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub(super) struct Event {
    pub time: f64,
    seq: u64,
    pub node: u32,
    pub server: u32,
    /// Cancellation token: valid while it equals its owner's generation.
    pub generation: u32,
    pub kind: Kind,
    /// The lane it belongs to, or [`NO_LANE`].
    lane: u8,
    unused: u16,
}

/// The lane of an event pushed straight into the heap.
const NO_LANE: u8 = u8::MAX;

/// Most lanes of one calendar (a lane per class and fixed delay).
pub(super) const MAX_LANES: usize = NO_LANE as usize;

impl Event {
    /// Whether it comes up before `other`: earlier, or as early and
    /// scheduled first. Plain float comparisons order event times as
    /// `f64::total_cmp` does, since they are never NaN nor -0 (the clock
    /// starts at +0 and only moves forward; checked on push in debug
    /// builds), and cost fewer instructions than mapping the bits.
    #[inline(always)]
    fn before(&self, other: &Event) -> bool {
        self.time < other.time || (self.time == other.time && self.seq < other.seq)
    }
}

/// A 4-ary min-heap of events. With tens of thousands of departures
/// pending (a cluster of 100,000 nodes), a binary heap's pop walks 17
/// levels, each a likely cache miss; four children to a node halve the
/// depth, and the four sit in two adjacent cache lines. (LaMarca &
/// Ladner, "The influence of caches on the performance of heaps", JEA
/// 1996.) Push and pop are O(log n).
#[derive(Debug, Default)]
struct QuadHeap {
    events: Vec<Event>,
}

impl QuadHeap {
    #[inline(always)]
    fn push(&mut self, event: Event) {
        debug_assert!(
            event.time.is_sign_positive() && !event.time.is_nan(),
            "event time {}",
            event.time
        );
        let mut i = self.events.len();
        self.events.push(event);
        while i > 0 {
            let parent = (i - 1) / 4;
            if !event.before(&self.events[parent]) {
                break;
            }
            self.events[i] = self.events[parent];
            i = parent;
        }
        self.events[i] = event;
    }

    #[inline]
    fn peek(&self) -> Option<&Event> {
        self.events.first()
    }

    /// The event that would come up after the earliest one, if nothing
    /// were scheduled meanwhile: the earliest of the root's children.
    #[inline(always)]
    fn second(&self) -> Option<&Event> {
        let children = self.events.get(1..self.events.len().min(5))?;
        children
            .iter()
            .reduce(|a, e| if e.before(a) { e } else { a })
    }

    /// The earliest event: the last one takes the root's place and sinks
    /// below every child earlier than it. The heap must not be empty.
    /// Returned bare, not in an `Option`: the copy of an `Option<Event>`
    /// went through the stack in overlapping pieces, and reading them back
    /// stalled on store forwarding at every event.
    #[inline(always)]
    fn pop(&mut self) -> Event {
        let top = self.events[0];
        let n = self.events.len() - 1;
        let last = self.events[n];
        self.events.truncate(n);
        if n == 0 {
            return top;
        }
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let children = &self.events[first..(first + 4).min(n)];
            let mut least = 0;
            for (c, e) in children.iter().enumerate().skip(1) {
                if e.before(&children[least]) {
                    least = c;
                }
            }
            if !children[least].before(&last) {
                break;
            }
            self.events[i] = children[least];
            i = first + least;
        }
        self.events[i] = last;
        top
    }
}

#[derive(Debug, Default)]
pub(super) struct EventList {
    heap: QuadHeap,
    scheduled: u64,
    /// Events behind each lane's front (which is in the heap).
    lanes: Vec<VecDeque<Event>>,
}

impl EventList {
    #[inline(always)]
    pub fn push(&mut self, time: f64, kind: Kind, node: u32, server: u32, generation: u32) {
        let event = self.stamp(time, kind, node, server, generation, NO_LANE);
        self.heap.push(event);
    }

    /// The next event in scheduling order, for the heap or a lane.
    #[inline(always)]
    fn stamp(
        &mut self,
        time: f64,
        kind: Kind,
        node: u32,
        server: u32,
        generation: u32,
        lane: u8,
    ) -> Event {
        self.scheduled += 1;
        Event {
            time,
            seq: self.scheduled - 1,
            kind,
            node,
            server,
            generation,
            lane,
            unused: 0,
        }
    }

    /// A new lane, for events whose times never decrease from one push to
    /// the next; `None` when [`MAX_LANES`] are taken (push those events
    /// into the heap).
    pub fn add_lane(&mut self) -> Option<u8> {
        (self.lanes.len() < MAX_LANES).then(|| {
            self.lanes.push(VecDeque::new());
            (self.lanes.len() - 1) as u8
        })
    }

    /// Schedules an event on `lane`: its time must be at least that of
    /// every event pushed on the lane before.
    pub fn push_lane(
        &mut self,
        lane: u8,
        time: f64,
        kind: Kind,
        node: u32,
        server: u32,
        generation: u32,
    ) {
        let event = self.stamp(time, kind, node, server, generation, lane);
        let queue = &mut self.lanes[lane as usize];
        debug_assert!(queue.back().is_none_or(|b| b.time <= time));
        if queue.is_empty() {
            self.heap.push(event);
        }
        // The front is both in the heap and here, so that the lane knows
        // it is occupied; `pop` takes it off both.
        queue.push_back(event);
    }

    /// The earliest event in the heap, if any.
    #[inline(always)]
    pub fn peek(&self) -> Option<&Event> {
        self.heap.peek()
    }

    /// The event after the earliest one in the heap, if any.
    #[inline(always)]
    pub fn peek_second(&self) -> Option<&Event> {
        self.heap.second()
    }

    /// Time of the earliest event, or infinity.
    #[inline]
    pub fn peek_time(&self) -> f64 {
        self.heap.peek().map_or(f64::INFINITY, |e| e.time)
    }

    /// Removes the earliest event. Only called after `peek_time` was finite.
    #[inline]
    #[cfg(test)]
    pub fn pop(&mut self) -> Event {
        self.pop_skipping(|_| false)
    }

    /// Removes the earliest event, and drops from the front of its lane
    /// the events `spent` says can no longer do anything when they come
    /// up (a timer whose job has left): they never reach the heap, so a
    /// lane costs heap work only for the timers that may fire. Only
    /// called after `peek_time` was finite.
    #[inline]
    pub fn pop_skipping(&mut self, spent: impl Fn(&Event) -> bool) -> Event {
        let event = self.heap.pop();
        if event.lane != NO_LANE {
            self.lane_advance(event.lane, spent);
        }
        event
    }

    #[inline(never)]
    fn lane_advance(&mut self, lane: u8, spent: impl Fn(&Event) -> bool) {
        let queue = &mut self.lanes[lane as usize];
        queue.pop_front();
        while let Some(&next) = queue.front() {
            if !spent(&next) {
                self.heap.push(next);
                return;
            }
            queue.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The heap pops exactly the sorted order of (time, scheduling
    /// order), ties included, under random mixes of pushes and pops.
    #[test]
    fn the_heap_pops_in_total_order() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        let mut list = EventList::default();
        let mut reference: Vec<(f64, u32)> = Vec::new();
        let times = [0.0, 0.5, 1.0, 1e-300, 7.25, 1e12];
        for i in 0..20_000u32 {
            if rng.random_bool(0.55) || reference.is_empty() {
                let t =
                    times[rng.random_range(0..times.len())] + f64::from(rng.random_range(0..3u32));
                list.push(t, Kind::ServiceEnd, 0, i, 0);
                reference.push((t, i));
            } else {
                let (k, _) = reference
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.1.1.cmp(&b.1.1)))
                    .unwrap();
                let want = reference.remove(k);
                let got = list.pop();
                assert_eq!((got.time.to_bits(), got.server), (want.0.to_bits(), want.1));
            }
        }
        reference.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for want in reference {
            let got = list.pop();
            assert_eq!((got.time.to_bits(), got.server), (want.0.to_bits(), want.1));
        }
        assert_eq!(list.peek_time(), f64::INFINITY);
    }

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

    /// Events on lanes come up in exactly the order they would from the
    /// heap alone, ties included, whatever the mix.
    #[test]
    fn lanes_keep_the_heap_order() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let mut laned = EventList::default();
        let mut plain = EventList::default();
        let lanes = [laned.add_lane().unwrap(), laned.add_lane().unwrap()];
        let delays = [3.0, 0.5];
        let mut now = 0.0;
        let mut popped = (Vec::new(), Vec::new());
        for i in 0..5000u32 {
            // Whole times make ties common.
            now += f64::from(rng.random_range(0..2u32));
            match rng.random_range(0..4u32) {
                0 | 1 => {
                    let t = now + f64::from(rng.random_range(0..5u32));
                    laned.push(t, Kind::ServiceEnd, 0, i, 0);
                    plain.push(t, Kind::ServiceEnd, 0, i, 0);
                }
                k => {
                    let l = (k - 2) as usize;
                    laned.push_lane(lanes[l], now + delays[l], Kind::Deadline, 0, i, 0);
                    plain.push(now + delays[l], Kind::Deadline, 0, i, 0);
                }
            }
            while rng.random_bool(0.4) && plain.peek_time() <= now + 1.0 {
                assert_eq!(laned.peek_time(), plain.peek_time());
                popped.0.push(laned.pop().server);
                popped.1.push(plain.pop().server);
            }
        }
        while plain.peek_time().is_finite() {
            popped.0.push(laned.pop().server);
            popped.1.push(plain.pop().server);
        }
        assert_eq!(laned.peek_time(), f64::INFINITY);
        assert_eq!(popped.0, popped.1);
        assert_eq!(popped.0.len(), 5000);
    }

    /// Spent lane events are dropped, and only they: every other event
    /// comes up in the heap's order, the spent ones mostly never.
    #[test]
    fn spent_lane_events_are_dropped_in_order() {
        let spent = |e: &Event| e.kind == Kind::Deadline && !e.server.is_multiple_of(3);
        let mut laned = EventList::default();
        let mut plain = EventList::default();
        let lane = laned.add_lane().unwrap();
        for i in 0..3000u32 {
            let now = f64::from(i / 2);
            if i % 2 == 0 {
                let t = now + f64::from(i % 7);
                laned.push(t, Kind::ServiceEnd, 0, i, 0);
                plain.push(t, Kind::ServiceEnd, 0, i, 0);
            } else {
                laned.push_lane(lane, now + 4.0, Kind::Deadline, 0, i, 0);
                plain.push(now + 4.0, Kind::Deadline, 0, i, 0);
            }
        }
        let mut from_laned = Vec::new();
        while laned.peek_time().is_finite() {
            from_laned.push(laned.pop_skipping(spent));
        }
        let mut from_plain = Vec::new();
        while plain.peek_time().is_finite() {
            from_plain.push(plain.pop());
        }
        let live = |v: &[Event]| -> Vec<u32> {
            v.iter().filter(|e| !spent(e)).map(|e| e.server).collect()
        };
        assert_eq!(live(&from_laned), live(&from_plain));
        let dropped = from_plain.len() - from_laned.len();
        // Only the first event of the lane reached the heap unexamined.
        assert_eq!(dropped, from_plain.iter().filter(|e| spent(e)).count() - 1);
    }
}
