//! The future event list (the calendar): ordered by time, then by the
//! order events were scheduled, so ties are broken the same way on every
//! run (the order is total, so any correct priority queue pops the same
//! sequence). It is one 4-ary heap while few events are pending, and a
//! calendar queue of time buckets past a few thousand (see [`Calendar`]). Each event carries its kind, where it happens and a
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

use super::buckets::Buckets;

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
    /// A placeholder, the contents of a new chunk of the calendar's
    /// buckets until events are written there.
    pub(super) const EMPTY: Event = Event {
        time: 0.0,
        seq: 0,
        node: 0,
        server: 0,
        generation: 0,
        kind: Kind::ServiceEnd,
        lane: NO_LANE,
        unused: 0,
    };

    #[cfg(test)]
    pub(super) fn new(time: f64, seq: u64, kind: Kind, node: u32) -> Event {
        Event {
            time,
            seq,
            node,
            kind,
            ..Event::EMPTY
        }
    }

    #[cfg(test)]
    pub(super) fn seq(&self) -> u64 {
        self.seq
    }

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

/// Events a bucketed calendar aims to hold per bucket: few enough that
/// the bucket in hand makes a heap that stays in the first-level cache.
const PER_BUCKET: usize = 64;
/// Buckets ahead of the present (about `BUCKETS × PER_BUCKET` events'
/// worth of the near future); later events wait, unsorted, for the next
/// pass over the buckets.
const BUCKETS: usize = 4096;
/// Pending events from which the calendar sorts into buckets; below
/// `FLAT_BELOW` at a rebuild it goes back to one heap.
const BUCKET_FROM: usize = 8192;
const FLAT_BELOW: usize = 2048;

/// The calendar proper: one heap while few events are pending, and past
/// [`BUCKET_FROM`] a calendar queue (R. Brown, "Calendar queues: a fast
/// O(1) priority queue implementation for the simulation event set
/// problem", CACM 31(10), 1988), in the lazy form of the ladder queue
/// (W. T. Tang, R. S. M. Goh and I. L.-J. Thng, ACM TOMACS 15(3), 2005):
/// time is cut into buckets of equal width; only the current bucket is
/// kept ordered, as a small heap (`near`), and later events are appended,
/// unsorted, to the bucket of their time, or beyond the last bucket to
/// `far`. When `near` empties, the next non-empty bucket becomes the heap;
/// after the last bucket, or when `near` has grown far past a bucket's
/// worth, the pending events are sorted into buckets anew, with a width
/// measured from the earliest of them.
///
/// With 100,000 departures pending (a cluster of 100,000 nodes) a pop
/// from one heap walks nine levels of 3 MB of events, the deeper ones
/// cache misses; here it walks four levels of a heap that fits in the
/// first-level cache, and a push appends to one of a few thousand bucket
/// tails. Amortised O(1) per event while the width suits the times.
///
/// Every event goes to `near` exactly when its bucket index is at most
/// the current one, and the index is a monotone function of time, so each
/// event in `near` comes before every event outside it (ties of time
/// share a bucket): pops come in the heap's total order, whatever the
/// width, and runs are identical with or without buckets.
#[derive(Debug)]
struct Calendar {
    near: QuadHeap,
    /// Time of bucket 0's start, and buckets per time unit.
    origin: f64,
    inv_width: f64,
    /// The bucket `near` holds: events of index up to it are there.
    current: usize,
    /// Bucket `i` holds the events of index `i + 1`.
    buckets: Buckets,
    /// Events of index beyond [`BUCKETS`].
    far: Vec<Event>,
    /// Events in `buckets` and `far`.
    outside: usize,
    /// `near`'s size that calls for new widths.
    near_limit: usize,
    /// `near`'s size from which a push takes the slow way: the size that
    /// calls for buckets while there are none, else 0.
    flat_limit: usize,
}

impl Default for Calendar {
    fn default() -> Calendar {
        Calendar {
            near: QuadHeap::default(),
            origin: 0.0,
            inv_width: 0.0,
            current: 0,
            buckets: Buckets::default(),
            far: Vec::new(),
            outside: 0,
            near_limit: BUCKET_FROM,
            flat_limit: BUCKET_FROM,
        }
    }
}

impl Calendar {
    /// The bucket of time `t`: monotone in `t` (a subtraction, a product
    /// by a positive number and a truncation each are), saturating, so
    /// times before the origin fall in bucket 0 and huge or infinite ones
    /// beyond the last.
    #[inline(always)]
    fn index(&self, t: f64) -> usize {
        ((t - self.origin) * self.inv_width) as usize
    }

    /// One test on the way of a push while the calendar is one heap: its
    /// size against `flat_limit`, which is 0 once there are buckets.
    #[inline(always)]
    fn push(&mut self, event: Event) {
        if self.near.events.len() < self.flat_limit {
            self.near.push(event);
        } else if self.bucketed() {
            self.push_bucketed(event);
        } else {
            self.near.push(event);
            self.rebuild();
        }
    }

    /// Whether events are sorted into buckets (else all are in `near`).
    fn bucketed(&self) -> bool {
        self.flat_limit == 0
    }

    /// Event `event` of bucket index `i`, past the bucket in hand, waits
    /// in its bucket, or beyond the last in `far`.
    #[inline(always)]
    fn put_outside(&mut self, i: usize, event: Event) {
        self.outside += 1;
        if i - 1 < self.buckets.len() {
            self.buckets.push(i - 1, event);
        } else {
            self.far.push(event);
        }
    }

    fn push_bucketed(&mut self, event: Event) {
        let i = self.index(event.time);
        if i <= self.current {
            self.near.push(event);
            if self.near.events.len() > self.near_limit {
                self.rebuild();
            }
            return;
        }
        self.put_outside(i, event);
        if self.near.events.is_empty() {
            self.advance();
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<&Event> {
        self.near.peek()
    }

    #[inline(always)]
    fn second(&self) -> Option<&Event> {
        self.near.second()
    }

    /// The earliest event; the calendar must not be empty.
    #[inline(always)]
    fn pop(&mut self) -> Event {
        let event = self.near.pop();
        if self.near.events.is_empty() && self.outside > 0 {
            self.advance();
        }
        event
    }

    /// `near` is empty and events wait outside it: the next non-empty
    /// bucket becomes `near`, or past the last, all are sorted anew.
    #[cold]
    fn advance(&mut self) {
        // Few left: one heap serves them better than sparse buckets.
        if self.outside < FLAT_BELOW / 4 {
            return self.rebuild();
        }
        while self.current < self.buckets.len() {
            self.current += 1;
            let bucket = self.current - 1;
            if !self.buckets.is_empty_at(bucket) {
                let near = &mut self.near;
                let count = self.buckets.drain(bucket, |e| near.push(e));
                self.outside -= count;
                // Far more than a bucket's worth: the width no longer
                // suits the times.
                if count > 8 * PER_BUCKET {
                    self.rebuild();
                }
                return;
            }
        }
        self.rebuild();
    }

    /// Sorts every pending event into buckets anew (or back into one
    /// heap, if few are pending), with a width that puts about
    /// [`PER_BUCKET`] of the earliest in each bucket.
    #[cold]
    fn rebuild(&mut self) {
        let mut all = std::mem::take(&mut self.near.events);
        for bucket in 0..self.buckets.len() {
            self.buckets.drain(bucket, |e| all.push(e));
        }
        all.append(&mut self.far);
        self.outside = 0;
        self.current = 0;
        if all.len() < FLAT_BELOW {
            self.near_limit = BUCKET_FROM;
            self.flat_limit = BUCKET_FROM;
            for e in all {
                self.near.push(e);
            }
            return;
        }
        self.flat_limit = 0;
        if self.buckets.len() == 0 {
            self.buckets = Buckets::new(BUCKETS);
        }
        let m = all.len().min(4 * PER_BUCKET);
        let by_time = |a: &Event, b: &Event| a.time.total_cmp(&b.time);
        let (earliest, mth, _) = all.select_nth_unstable_by(m - 1, by_time);
        let start = earliest.iter().map(|e| e.time).fold(mth.time, f64::min);
        let mut width = (mth.time - start) * PER_BUCKET as f64 / (m - 1) as f64;
        if !(width > 0.0 && width.is_finite()) {
            // The earliest are all ties (deterministic times): measure on
            // the spread of all the finite times instead.
            let last = all
                .iter()
                .map(|e| e.time)
                .filter(|t| t.is_finite())
                .fold(start, f64::max);
            width = (last - start) * PER_BUCKET as f64 / all.len() as f64;
        }
        self.origin = start;
        // Ties (width 0) or infinite times leave one bucket: as one heap.
        self.inv_width = if width > 0.0 && width.is_finite() {
            1.0 / width
        } else {
            0.0
        };
        for e in all {
            let i = self.index(e.time);
            if i == 0 {
                self.near.push(e);
            } else {
                self.put_outside(i, e);
            }
        }
        // Growing past twice what this width gave calls for another; a
        // crowd of ties cannot make every push rebuild.
        self.near_limit = (2 * self.near.events.len()).max(BUCKET_FROM);
    }
}

#[derive(Debug, Default)]
pub(super) struct EventList {
    heap: Calendar,
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

    /// With buckets (tens of thousands pending) the calendar pops exactly
    /// what one heap pops, through every change of width and back to one
    /// heap: ties of time, times before the earliest pending (a push at the
    /// present), infinite times, bursts far denser and far sparser than
    /// the width was measured on.
    #[test]
    fn buckets_pop_in_the_heaps_order() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let mut calendar = Calendar::default();
        let mut heap = QuadHeap::default();
        let mut list = EventList::default();
        let mut now = 0.0;
        let mut popped = 0usize;
        // Phases in which events waited in buckets, and in which the
        // calendar was one heap again after having had buckets.
        let (mut in_buckets, mut flat_again) = (Vec::new(), Vec::new());
        // Phases: (pushes per pop, spread of delays, whole times?).
        let phases = [
            (3, 1.0, false),
            (2, 1e-4, false),
            (0, 1.0, false),
            (0, 1.0, false),
            (0, 1.0, false),
            (3, 10.0, true),
            (3, 1e3, false),
            (1, 1.0, false),
            (0, 1.0, false),
            (0, 1.0, false),
            (0, 1.0, false),
            (0, 1.0, false),
            (0, 1.0, false),
        ];
        for (k, &(pushes, spread, whole)) in phases.iter().enumerate() {
            for _ in 0..12_000 {
                for _ in 0..pushes {
                    let mut delay = spread * rng.random::<f64>() * -rng.random::<f64>().ln();
                    if whole {
                        delay = delay.floor();
                    }
                    if rng.random_bool(0.001) {
                        delay = f64::INFINITY;
                    }
                    // The rare push at the present itself.
                    if rng.random_bool(0.01) {
                        delay = 0.0;
                    }
                    let e = list.stamp(now + delay, Kind::ServiceEnd, k as u32, 0, 0, NO_LANE);
                    calendar.push(e);
                    heap.push(e);
                }
                match heap.peek() {
                    Some(e) if e.time.is_finite() => {
                        let want = heap.pop();
                        let got = calendar.pop();
                        assert_eq!(
                            (got.time.to_bits(), got.seq),
                            (want.time.to_bits(), want.seq)
                        );
                        now = got.time;
                        popped += 1;
                    }
                    _ => {}
                }
                if calendar.outside > 0 && in_buckets.last() != Some(&k) {
                    in_buckets.push(k);
                }
                if !calendar.bucketed() && !in_buckets.is_empty() && flat_again.last() != Some(&k) {
                    flat_again.push(k);
                }
                assert_eq!(
                    calendar.near.events.len() + calendar.outside,
                    heap.events.len()
                );
            }
        }
        while !heap.events.is_empty() {
            let want = heap.pop();
            let got = calendar.pop();
            assert_eq!(
                (got.time.to_bits(), got.seq),
                (want.time.to_bits(), want.seq)
            );
        }
        assert!(calendar.near.events.is_empty() && calendar.outside == 0);
        assert!(popped > 80_000, "{popped}");
        // Into buckets, back to one heap, and into buckets again: among
        // whole times too.
        assert!(
            in_buckets.contains(&0) && in_buckets.contains(&5),
            "{in_buckets:?}"
        );
        assert!(
            flat_again.first() < in_buckets.last(),
            "{flat_again:?} {in_buckets:?}"
        );
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
