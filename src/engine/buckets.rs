//! The buckets of the calendar queue (see `events.rs`): each a stack of
//! fixed-size chunks taken from one shared pool, the chunk freed last
//! taken first.
//!
//! A bucket that owned a growable vector of its own was written at its
//! tail, a part of its buffer last touched a whole pass of the calendar
//! before: with 100,000 departures pending that line had long left every
//! cache, and every other push missed to memory for a line it was about to
//! overwrite (half a miss per job in `valgrind --tool=callgrind
//! --cache-sim=yes` of the 100,000-node cluster, the largest single
//! source). A bucket emptied into the heap frees its chunks just after they
//! were read, so the chunk the next full bucket takes is still in cache,
//! and the pool holds about the events pending, not every bucket's
//! largest size.
//!
//! The order of a bucket's events is not kept: the heap they are emptied
//! into orders them, by time and then by the order they were scheduled.

use super::events::Event;

/// Events per chunk: 8 × 32 bytes, four whole cache lines.
const CHUNK: usize = 8;
/// No chunk: the end of a bucket's stack.
const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Chunk([Event; CHUNK]);

/// A bucket: the chunk on top of its stack and the events in it (the
/// chunks below are full).
#[derive(Debug, Clone, Copy)]
struct Head {
    top: u32,
    fill: u32,
}

impl Head {
    const EMPTY: Head = Head { top: NONE, fill: 0 };
}

#[derive(Default)]
pub(super) struct Buckets {
    heads: Vec<Head>,
    chunks: Vec<Chunk>,
    /// The chunk below each chunk in its bucket, or [`NONE`].
    below: Vec<u32>,
    /// Free chunks, the last freed on top.
    free: Vec<u32>,
}

impl std::fmt::Debug for Buckets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buckets")
            .field("buckets", &self.heads.len())
            .field("chunks", &self.chunks.len())
            .field("free", &self.free.len())
            .finish()
    }
}

impl Buckets {
    /// `n` empty buckets.
    pub fn new(n: usize) -> Buckets {
        Buckets {
            heads: vec![Head::EMPTY; n],
            ..Buckets::default()
        }
    }

    /// The number of buckets.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.heads.len()
    }

    #[inline(always)]
    pub fn is_empty_at(&self, bucket: usize) -> bool {
        self.heads[bucket].top == NONE
    }

    /// Adds `event` to bucket `bucket`.
    #[inline(always)]
    pub fn push(&mut self, bucket: usize, event: Event) {
        let mut head = self.heads[bucket];
        if head.top == NONE || head.fill as usize == CHUNK {
            let chunk = self.take_chunk();
            self.below[chunk as usize] = head.top;
            head = Head {
                top: chunk,
                fill: 0,
            };
        }
        self.chunks[head.top as usize].0[head.fill as usize] = event;
        head.fill += 1;
        self.heads[bucket] = head;
    }

    /// The chunk freed last, or a new one.
    #[inline]
    fn take_chunk(&mut self) -> u32 {
        if let Some(chunk) = self.free.pop() {
            return chunk;
        }
        self.grow()
    }

    #[cold]
    fn grow(&mut self) -> u32 {
        let chunk = u32::try_from(self.chunks.len())
            .ok()
            .filter(|&c| c != NONE)
            .expect("fewer than 2^32 - 1 chunks of pending events");
        self.chunks.push(Chunk([Event::EMPTY; CHUNK]));
        self.below.push(NONE);
        chunk
    }

    /// Empties bucket `bucket`, handing each of its events to `take` in no
    /// particular order; returns how many there were.
    #[inline]
    pub fn drain(&mut self, bucket: usize, mut take: impl FnMut(Event)) -> usize {
        let Head { mut top, fill } = std::mem::replace(&mut self.heads[bucket], Head::EMPTY);
        let mut fill = fill as usize;
        let mut count = 0;
        while top != NONE {
            for &event in &self.chunks[top as usize].0[..fill] {
                take(event);
            }
            count += fill;
            self.free.push(top);
            top = self.below[top as usize];
            fill = CHUNK;
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::events::Kind;

    fn event(k: u64) -> Event {
        Event::new(k as f64, k, Kind::ServiceEnd, k as u32)
    }

    /// Every event pushed comes out of its own bucket once, whatever the
    /// interleaving of pushes and drains, and chunks are reused: the pool
    /// holds about what is pending, not what was ever pushed.
    #[test]
    fn each_bucket_gives_back_what_it_was_given() {
        let mut b = Buckets::new(5);
        let mut state = 12345u64;
        let mut expected: Vec<Vec<u64>> = vec![Vec::new(); 5];
        let mut pushed = 0u64;
        let mut most_pending = 0;
        for round in 0..2000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let bucket = (state >> 33) as usize % 5;
            if (state >> 20).is_multiple_of(7) {
                let mut got = Vec::new();
                let n = b.drain(bucket, |e| got.push(e.seq()));
                assert_eq!(n, got.len());
                got.sort_unstable();
                let mut want = std::mem::take(&mut expected[bucket]);
                want.sort_unstable();
                assert_eq!(got, want, "round {round}, bucket {bucket}");
                assert!(b.is_empty_at(bucket));
            } else {
                b.push(bucket, event(pushed));
                expected[bucket].push(pushed);
                pushed += 1;
                assert!(!b.is_empty_at(bucket));
            }
            let pending: usize = expected.iter().map(Vec::len).sum();
            most_pending = most_pending.max(pending);
        }
        assert!(pushed > 1000);
        // At most one part-filled chunk per bucket beyond the full ones.
        assert!(
            b.chunks.len() <= most_pending.div_ceil(CHUNK) + 5,
            "{} chunks for at most {most_pending} pending",
            b.chunks.len()
        );
        assert_eq!(b.chunks.len(), b.below.len());
    }
}
