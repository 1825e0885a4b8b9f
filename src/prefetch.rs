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
/// miss when it was read. The addresses asked for (see [`item_points`])
/// depend on the type alone for their number, so the loop unrolls into a
/// few prefetches and computes no line address: a cluster asks for a
/// dozen items per job, and the general loop cost 170 instructions a job.
#[inline(always)]
pub fn prefetch_item<T>(items: &[T], i: usize) {
    if i < items.len() {
        let start = items[i..].as_ptr().cast::<u8>();
        let (steps, last) = item_points::<T>();
        for k in 0..steps {
            line(start.wrapping_add(64 * k));
        }
        if let Some(last) = last {
            line(start.wrapping_add(last));
        }
    }
}

/// The offsets from an item's first byte whose lines hold the whole item:
/// one every 64 bytes from 0 while inside it (`steps` of them), and its
/// last byte (`Some(size - 1)`), unless no item of the type can straddle
/// two lines (a power-of-two size up to 64, aligned to its size). Two
/// offsets can fall on one line; the second prefetch then costs an
/// instruction, no memory traffic.
#[inline(always)]
const fn item_points<T>() -> (usize, Option<usize>) {
    let size = if size_of::<T>() == 0 {
        1
    } else {
        size_of::<T>()
    };
    let whole = size.is_power_of_two() && size <= 64 && align_of::<T>() >= size;
    (size.div_ceil(64), if whole { None } else { Some(size - 1) })
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
    /// wherever it starts at its type's alignment.
    #[test]
    fn an_item_s_lines_are_all_its_lines() {
        fn check<T>() {
            let size = size_of::<T>().max(1);
            let (steps, last) = item_points::<T>();
            for start in (4096..4096 + 256).filter(|s| s % align_of::<T>() == 0) {
                let mut asked: Vec<usize> = (0..steps).map(|k| (start + 64 * k) & !63).collect();
                asked.extend(last.map(|l| (start + l) & !63));
                asked.dedup();
                let mut held: Vec<usize> = (start..start + size).map(|b| b & !63).collect();
                held.dedup();
                assert_eq!(asked, held, "{}, start {start}", std::any::type_name::<T>());
            }
        }
        #[repr(C, align(32))]
        struct Aligned32([u64; 3]);
        check::<()>();
        check::<u8>();
        check::<u32>();
        check::<f64>();
        check::<[u32; 2]>();
        check::<[u8; 3]>();
        check::<[u64; 6]>();
        check::<[u64; 8]>();
        check::<[u64; 17]>();
        check::<[u8; 300]>();
        check::<Aligned32>();
        check::<crate::job::Job>();
        // A power-of-two size not aligned to itself can straddle: its last
        // byte is asked for too.
        assert_eq!(item_points::<[u32; 2]>(), (1, Some(7)));
        assert_eq!(item_points::<f64>(), (1, None));
        assert_eq!(item_points::<crate::job::Job>().0, 3);
    }
}
