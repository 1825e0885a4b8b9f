//! Asking the memory system for data before it is read.
//!
//! At 100,000 nodes the engine's working set (the stations, their queues,
//! the loads dispatchers read and the jobs present: about 70 MB) is larger
//! than the last-level cache, and an event's loads miss one after another,
//! each waiting for the one before (the event names the node, the node
//! names the job). Yet what the next event will touch is known while this
//! one is handled: the top of the calendar names the next departure's node,
//! and the dispatcher's next sample can be drawn ahead from a copy of its
//! random stream. A prefetch of those lines overlaps their misses with the
//! work of the current event; software prefetching of the next iteration's
//! data is the classic cure for pointer-chasing loops (T. C. Mowry, M. S.
//! Lam and A. Gupta, "Design and evaluation of a compiler algorithm for
//! prefetching", ASPLOS 1992).
//!
//! A prefetch is only a hint: it changes no value, so no figure depends on
//! it, and a wrong guess costs a little memory bandwidth.

/// Asks for the cache line holding `items[i]`, if it exists, and the lines
/// after it up to `bytes` bytes from its start. Nothing happens out of
/// range or on targets without a prefetch instruction.
#[inline(always)]
pub fn prefetch<T>(items: &[T], i: usize, bytes: usize) {
    if i >= items.len() {
        return;
    }
    let start = items[i..].as_ptr().cast::<u8>();
    let mut offset = 0;
    while offset < bytes {
        line(start.wrapping_add(offset));
        offset += 64;
    }
}

/// Asks for every line holding a byte of `items[i]`: the whole element.
/// An element of 136 bytes spans three lines wherever it starts, and
/// asking only for its first and last byte's lines left the middle one to
/// miss when it was read.
#[inline(always)]
pub fn prefetch_item<T>(items: &[T], i: usize) {
    if i < items.len() {
        let start = items[i..].as_ptr().cast::<u8>();
        let (first, last) = lines_of(start as usize, size_of::<T>());
        let mut at = first;
        while at <= last {
            line(start.wrapping_add(at.wrapping_sub(start as usize)));
            at += 64;
        }
    }
}

/// The addresses of the first and the last 64-byte line holding a byte of
/// the `size` bytes at `start` (one byte, for a zero-sized element).
#[inline(always)]
fn lines_of(start: usize, size: usize) -> (usize, usize) {
    (start & !63, (start + size.max(1) - 1) & !63)
}

#[inline(always)]
fn line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint that reads no value into the program and
    // writes no memory, and it never faults, whatever the address (Intel
    // SDM vol. 2B, "PREFETCHh": "a prefetch instruction is considered a
    // hint and does not affect program behavior"; AMD APM vol. 3 says the
    // same of PREFETCHlevel). The address is computed with `wrapping_add`,
    // which is defined for any offset, so not even the pointer arithmetic
    // can be undefined. The intrinsic's target feature, SSE,
    // is part of the x86-64 baseline that every build of this crate targets.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C, align(64))]
    #[derive(Clone, Copy, PartialEq, Debug)]
    struct Wide([u64; 24]);

    #[test]
    fn prefetching_changes_nothing_and_tolerates_any_index() {
        let items: Vec<Wide> = (0..100).map(|i| Wide([i; 24])).collect();
        let before = items.clone();
        for i in [0, 1, 50, 99, 100, 101, usize::MAX] {
            prefetch(&items, i, size_of::<Wide>());
            prefetch(&items, i, 10_000);
            prefetch_item(&items, i);
        }
        let empty: [u8; 0] = [];
        prefetch(&empty, 0, 64);
        prefetch_item(&empty, 0);
        let zero_sized = [(); 3];
        prefetch_item(&zero_sized, 2);
        // 48-byte elements straddle lines: the last one's second line is
        // asked for too.
        let odd = vec![[0u64; 6]; 9];
        for i in 0..10 {
            prefetch_item(&odd, i);
        }
        assert_eq!(items, before);
        assert_eq!(odd, vec![[0u64; 6]; 9]);
    }

    /// The lines asked for are exactly those holding a byte of the item,
    /// wherever it starts.
    #[test]
    fn an_item_s_lines_are_all_its_lines() {
        for start in 4096..4096 + 128 {
            for size in 0..300 {
                let (first, last) = lines_of(start, size);
                let mut asked = Vec::new();
                let mut at = first;
                while at <= last {
                    asked.push(at);
                    at += 64;
                }
                let mut held: Vec<usize> = (start..start + size.max(1)).map(|b| b & !63).collect();
                held.dedup();
                assert_eq!(asked, held, "start {start}, size {size}");
            }
        }
    }
}
