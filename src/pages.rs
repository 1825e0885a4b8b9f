//! The engine's large arrays on huge pages.
//!
//! At 100,000 nodes the stations, queues and jobs present span some 60 MB,
//! read at random: with 4 KB pages the translation cache (a few thousand
//! entries, about 8 MB) misses on most of those reads too, and the page
//! walk comes before the cache miss it leads to. A 2 MB page covers 512
//! times as much. Linux backs anonymous memory with such pages
//! (transparent huge pages) where the program asks for them with
//! `madvise(MADV_HUGEPAGE)` under its usual setting (`enabled = madvise`),
//! and only pages first touched after the request: so an array is advised
//! when it is allocated, before it is written. The 100,000-node cluster of
//! `benches/scale.sh` ran 8% to 10% faster with every page huge (measured by
//! switching the system setting to `always`).
//!
//! Advice is only a hint: it changes no value, and where the kernel has no
//! huge pages to give, or is not Linux, nothing happens.

/// Arrays smaller than this stay on ordinary pages: they hold no whole
/// huge page, or too few to matter.
pub const HUGE_FROM: usize = 4 << 20;

/// An empty vector with room for `n` elements, advised for huge pages
/// before anything is written to it (see [`advise`]).
pub fn with_capacity<T>(n: usize) -> Vec<T> {
    let v = Vec::with_capacity(n);
    advise(&v);
    v
}

/// Asks the kernel to back `v`'s buffer (its whole capacity) with huge
/// pages, if it holds at least [`HUGE_FROM`] bytes. Only pages not yet
/// touched are affected at once; the kernel may collapse the others later.
pub fn advise<T>(v: &Vec<T>) {
    let bytes = v.capacity().saturating_mul(size_of::<T>());
    if bytes < HUGE_FROM {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let (from, to) = whole_pages(v.as_ptr() as usize, bytes);
        if to > from {
            // SAFETY: `madvise` with `MADV_HUGEPAGE` changes how the kernel
            // backs the pages, never their contents or their mapping
            // (madvise(2): "the kernel may ... back the range with huge
            // pages"; the advice neither frees nor moves memory), so no
            // reference into the buffer is invalidated. The range is the
            // whole 4 KB pages inside the buffer's own allocation (rounded
            // inward by `whole_pages`), so it advises no memory of anyone
            // else. An error (EINVAL where huge pages are disabled) is
            // ignored: the advice is a hint.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }
}

/// The whole 4 KB pages within `bytes` bytes at `start`: `[from, to)`,
/// empty (`to <= from`) where there is none.
fn whole_pages(start: usize, bytes: usize) -> (usize, usize) {
    const PAGE: usize = 4096;
    let from = start.div_ceil(PAGE) * PAGE;
    let to = (start + bytes) / PAGE * PAGE;
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_pages_lie_inside_the_range() {
        for start in [0usize, 1, 4095, 4096, 4097, 12_345_678] {
            for bytes in [0usize, 1, 4095, 4096, 8191, 8192, 3 << 20] {
                let (from, to) = whole_pages(start, bytes);
                assert_eq!(from % 4096, 0);
                assert_eq!(to % 4096, 0);
                if to > from {
                    assert!(from >= start && to <= start + bytes, "{start} {bytes}");
                }
                // Nothing whole is left out: the next page inward would
                // not fit.
                assert!(from < start + 4096 && to + 4096 > start + bytes);
            }
        }
    }

    /// Advice changes no value, and where the system gives huge pages on
    /// request, an advised array written after the advice is backed by
    /// some (read from `/proc/self/smaps`).
    #[test]
    fn an_advised_array_gets_huge_pages_and_keeps_its_values() {
        let n = 16 << 20;
        let mut v: Vec<u64> = with_capacity(n / 8);
        v.extend((0..n as u64 / 8).map(|i| i * 3));
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64 * 3));
        let setting = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .unwrap_or_default();
        if !(setting.contains("[madvise]") || setting.contains("[always]")) {
            eprintln!("transparent huge pages are off here: only the values were checked");
            return;
        }
        // The advice splits the buffer's mapping where its whole pages
        // begin: the middle of the buffer lies in the advised part.
        let middle = v.as_ptr() as usize + n / 2;
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("Linux has smaps");
        // The mapping holding the buffer, and its huge-page total.
        let mut inside = false;
        let mut huge_kb = 0u64;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = lo <= middle && middle < hi;
            } else if inside && let Some(kb) = line.strip_prefix("AnonHugePages:") {
                huge_kb = kb.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
            }
        }
        assert!(huge_kb > 0, "no huge page backs the advised 16 MB array");
    }
}
