//! What one replication leaves for its class and overall rows, in a form
//! that is small and can be stored and read back bit for bit: the shards
//! of a sweep carry these between machines, and the unsharded sweep goes
//! through the same form, so that both summarise identical inputs with
//! identical code.
//!
//! Floating-point numbers are stored as their IEEE-754 bits (JSON
//! integers), not as decimal text: the bits round-trip by construction,
//! whatever the JSON reader's float parsing, and NaN or infinities too.
//! A response histogram is stored sparse, as (value, count) pairs of its
//! non-empty buckets with the values delta-coded, written as LEB128
//! varints in base64 text, and rebuilt by recording each count at its
//! value, which lands in the same bucket: a histogram of 100 000
//! responses keeps about 10 000 buckets of the 43 000 its arrays hold,
//! mostly a byte per number (about 27 KB of text where JSON numbers took
//! 50 KB and five times longer to read).

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::Welford;
use super::log_hist::{self, LogHistogram};
use super::recorder::{CellStats, SizeBin};

/// A stored replication that cannot be rebuilt (a corrupt shard).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct TotalsError {
    /// Which part of the totals, e.g. `classes[1].response_hist`.
    pub field: String,
    pub message: String,
}

/// The additive figures of one class cell over the measured window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellTotals {
    /// Bits of ∫ number present dt and ∫ busy servers dt.
    pub area_in_system: u64,
    pub area_busy: u64,
    /// Welford summaries as [count, bits of the mean, bits of m2].
    pub wait: [u64; 3],
    pub response: [u64; 3],
    pub slowdown_sum: u64,
    pub deadline_misses: u64,
    pub admitted: u64,
    pub blocked: u64,
    pub lost_inside: u64,
    pub visits: u64,
    pub blocked_time: u64,
    pub blocked_count: u64,
    pub baulked: u64,
    pub reneged: u64,
    pub wait_reneged: [u64; 3],
    /// The task lifecycle's counts and the jobs present at the window's ends.
    pub tasks: super::lifecycle::TaskTotals,
    /// Non-empty buckets as Δvalue, count, Δvalue, count, ... (values
    /// increasing, each the highest of its bucket, in resolution units),
    /// LEB128 varints in base64.
    pub response_hist: String,
    /// Bits of the sum of bounded slowdowns and of the largest response.
    #[serde(default)]
    pub bounded_slowdown_sum: u64,
    #[serde(default)]
    pub max_response: u64,
    /// The slowdown histogram in the sparse form of `response_hist`.
    #[serde(default)]
    pub slowdown_hist: String,
    /// Size bins as [jobs, bits of the sums of size, response and slowdown].
    #[serde(default)]
    pub size_bins: Vec<[u64; 4]>,
    /// Jobs measured that waited at all (0 in shards written before it).
    #[serde(default)]
    pub waited: u64,
    /// Workflow classes: Welford summaries of makespans and task waits.
    #[serde(default)]
    pub makespan: [u64; 3],
    #[serde(default)]
    pub task_wait: [u64; 3],
}

/// One replication's class cells and measured window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicationTotals {
    /// Bits of the window's start and end times.
    pub window: [u64; 2],
    pub classes: Vec<CellTotals>,
}

fn welford_parts(w: &Welford) -> [u64; 3] {
    let (count, mean, m2) = w.parts();
    [count, mean.to_bits(), m2.to_bits()]
}

fn welford(p: [u64; 3]) -> Welford {
    Welford::from_parts(p[0], f64::from_bits(p[1]), f64::from_bits(p[2]))
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Each byte's value as a base64 digit; 0xff where it is none.
const DIGITS: [u8; 256] = {
    let mut t = [0xff; 256];
    let mut i = 0;
    while i < 64 {
        t[BASE64[i] as usize] = i as u8;
        i += 1;
    }
    t
};

fn unbase64(text: &str) -> Result<Vec<u8>, String> {
    let t = text.as_bytes();
    if !t.len().is_multiple_of(4) {
        return Err(format!("{} characters: not base64", t.len()));
    }
    let pad = t.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return Err("misplaced `=` padding".into());
    }
    let body = &t[..t.len() - pad];
    let bad = |q: &[u8]| {
        let c = q.iter().find(|&&c| DIGITS[c as usize] == 0xff).copied();
        format!(
            "`{}` is not a base64 character",
            c.map_or('?', char::from).escape_default()
        )
    };
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let mut quads = body.chunks_exact(4);
    for q in &mut quads {
        let d = [q[0], q[1], q[2], q[3]].map(|c| DIGITS[c as usize]);
        if (d[0] | d[1] | d[2] | d[3]) & 0xc0 != 0 {
            return Err(bad(q));
        }
        let n = (u32::from(d[0]) << 18)
            | (u32::from(d[1]) << 12)
            | (u32::from(d[2]) << 6)
            | u32::from(d[3]);
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    let rest = quads.remainder();
    if !rest.is_empty() {
        let d: Vec<u8> = rest.iter().map(|&c| DIGITS[c as usize]).collect();
        if d.iter().any(|&x| x & 0xc0 != 0) {
            return Err(bad(rest));
        }
        let n = d
            .iter()
            .chain(std::iter::repeat(&0))
            .take(4)
            .fold(0u32, |n, &x| (n << 6) | u32::from(x));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8];
        out.extend_from_slice(&bytes[..rest.len() - 1]);
    }
    Ok(out)
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The sparse form of a histogram, as described in the module documentation.
pub fn sparse(h: &Histogram<u64>) -> String {
    sparse_pairs(
        h.iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value())),
    )
}

/// The sparse form of (value, count) pairs in increasing value order.
fn sparse_pairs(pairs: impl Iterator<Item = (u64, u64)>) -> String {
    let mut bytes = Vec::new();
    let mut last = 0;
    for (value, count) in pairs {
        push_varint(&mut bytes, value - last);
        push_varint(&mut bytes, count);
        last = value;
    }
    base64(&bytes)
}

/// Decodes a sparse histogram into [value, count, value, count, ...]
/// with absolute values, increasing; values above `highest` are refused.
pub fn decode(text: &str, field: &str, highest: u64) -> Result<Vec<u64>, TotalsError> {
    let bad = |message: String| TotalsError {
        field: field.to_string(),
        message,
    };
    let bytes = unbase64(text).map_err(bad)?;
    let mut numbers = Vec::with_capacity(bytes.len());
    let (mut v, mut shift) = (0u64, 0u32);
    for &b in &bytes {
        if shift >= 64 || (shift == 63 && b > 1) {
            return Err(bad("a number does not fit 64 bits".into()));
        }
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            numbers.push(v);
            (v, shift) = (0, 0);
        } else {
            shift += 7;
        }
    }
    if shift != 0 {
        return Err(bad("the last number is cut short".into()));
    }
    if !numbers.len().is_multiple_of(2) {
        return Err(bad(format!(
            "{} numbers: (value, count) pairs expected",
            numbers.len()
        )));
    }
    let mut value: u64 = 0;
    for (i, pair) in numbers.chunks_exact_mut(2).enumerate() {
        value = value
            .checked_add(pair[0])
            .filter(|&v| v > 0 && (i == 0 || pair[0] > 0))
            .ok_or_else(|| bad(format!("bucket {i}: values must increase from 1")))?;
        if value > highest {
            return Err(bad(format!("bucket {i}: value {value} is above {highest}")));
        }
        pair[0] = value;
    }
    Ok(numbers)
}

/// The largest value of a decoded histogram (0 when empty).
pub fn top(pairs: &[u64]) -> u64 {
    pairs.len().checked_sub(2).map_or(0, |i| pairs[i])
}

/// A histogram of `digits` significant digits holding the decoded
/// `pairs`. Its arrays reach only to `top` (at least the pairs' largest
/// value; growing if a larger one is added later), where a class
/// histogram's reach 2^50: zeroing and scanning full-range arrays was
/// most of a merge's time. Bucket boundaries, and so every quantile, do
/// not depend on the range; histograms of equal reach add array to array,
/// so the replications of one (point, policy) are rebuilt to one reach.
pub fn histogram(pairs: &[u64], digits: u8, top: u64) -> Result<Histogram<u64>, TotalsError> {
    let top = top.max(self::top(pairs)).max(2);
    let bad = |message: String| TotalsError {
        field: "response_hist".into(),
        message,
    };
    let mut h = Histogram::new_with_bounds(1, top, digits)
        .map_err(|e| bad(format!("no histogram up to {top}: {e:?}")))?;
    h.auto(true);
    for (i, pair) in pairs.chunks_exact(2).enumerate() {
        h.record_n(pair[0], pair[1])
            .map_err(|e| bad(format!("bucket {i}: value {}: {e:?}", pair[0])))?;
    }
    Ok(h)
}

/// Rebuilds a histogram from its sparse form ([`decode`], then [`histogram`]).
pub fn rebuild(
    text: &str,
    field: &str,
    digits: u8,
    highest: u64,
) -> Result<Histogram<u64>, TotalsError> {
    histogram(&decode(text, field, highest)?, digits, 0)
}

impl CellTotals {
    /// The stored form of a cell. Every additive field of `CellStats` is
    /// here and in [`CellTotals::restore`], side by side, and the round
    /// trip is tested field by field, so a field added to the cell and
    /// forgotten here fails a test instead of vanishing from sweeps.
    pub(crate) fn of(c: &CellStats) -> CellTotals {
        CellTotals {
            area_in_system: c.area_in_system.to_bits(),
            area_busy: c.area_busy.to_bits(),
            wait: welford_parts(&c.wait),
            response: welford_parts(&c.response),
            slowdown_sum: c.slowdown_sum.to_bits(),
            deadline_misses: c.deadline_misses,
            admitted: c.admitted,
            blocked: c.blocked,
            lost_inside: c.lost_inside,
            visits: c.visits,
            blocked_time: c.blocked_time.to_bits(),
            blocked_count: c.blocked_count,
            baulked: c.baulked,
            reneged: c.reneged,
            wait_reneged: welford_parts(&c.wait_reneged),
            tasks: super::lifecycle::TaskTotals::of(&c.tasks),
            response_hist: sparse(&c.response_hist),
            bounded_slowdown_sum: c.bounded_slowdown_sum.to_bits(),
            max_response: c.max_response.to_bits(),
            slowdown_hist: c
                .slowdown_hist
                .as_ref()
                // Stored from 1, as sparse forms are.
                .map(|h| sparse_pairs(h.buckets().map(|(i, n)| (i + 1, n))))
                .unwrap_or_default(),
            size_bins: c
                .size_bins
                .iter()
                .map(|b| {
                    [
                        b.jobs,
                        b.size_sum.to_bits(),
                        b.response_sum.to_bits(),
                        b.slowdown_sum.to_bits(),
                    ]
                })
                .collect(),
            waited: c.waited,
            makespan: welford_parts(&c.makespan),
            task_wait: welford_parts(&c.task_wait),
        }
    }

    /// Writes the stored figures into `cell` (whose response histogram
    /// the caller rebuilds; the slowdown histogram is rebuilt here).
    pub(crate) fn restore(&self, cell: &mut CellStats) -> Result<(), TotalsError> {
        cell.area_in_system = f64::from_bits(self.area_in_system);
        cell.area_busy = f64::from_bits(self.area_busy);
        cell.wait = welford(self.wait);
        cell.response = welford(self.response);
        cell.slowdown_sum = f64::from_bits(self.slowdown_sum);
        cell.deadline_misses = self.deadline_misses;
        cell.admitted = self.admitted;
        cell.blocked = self.blocked;
        cell.lost_inside = self.lost_inside;
        cell.visits = self.visits;
        cell.blocked_time = f64::from_bits(self.blocked_time);
        cell.blocked_count = self.blocked_count;
        cell.baulked = self.baulked;
        cell.reneged = self.reneged;
        cell.wait_reneged = welford(self.wait_reneged);
        cell.makespan = welford(self.makespan);
        cell.task_wait = welford(self.task_wait);
        cell.tasks = self.tasks.restore();
        cell.bounded_slowdown_sum = f64::from_bits(self.bounded_slowdown_sum);
        cell.max_response = f64::from_bits(self.max_response);
        let mut slowdowns = LogHistogram::default();
        let pairs = decode(&self.slowdown_hist, "slowdown_hist", log_hist::LAST + 1)?;
        for pair in pairs.chunks_exact(2) {
            slowdowns
                .add_bucket(pair[0] - 1, pair[1])
                .ok_or_else(|| TotalsError {
                    field: "slowdown_hist".into(),
                    message: format!("bucket {} past the last", pair[0]),
                })?;
        }
        cell.slowdown_hist = Some(slowdowns);
        cell.size_bins = self
            .size_bins
            .iter()
            .map(|b| SizeBin {
                jobs: b[0],
                size_sum: f64::from_bits(b[1]),
                response_sum: f64::from_bits(b[2]),
                slowdown_sum: f64::from_bits(b[3]),
            })
            .collect();
        cell.waited = self.waited;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::recorder::{SIGNIFICANT_DIGITS, class_histogram};

    const HIGHEST: u64 = 1 << 50;

    #[test]
    fn a_cell_round_trips_every_field() {
        let mut c = CellStats::new(class_histogram());
        let mut w = Welford::default();
        for x in [0.5, 1.5, 4.0] {
            w.push(x);
        }
        let mut w2 = Welford::default();
        w2.push(7.25);
        w2.push(1.0);
        c.area_in_system = 1.25;
        c.area_busy = 2.5;
        c.wait = w;
        c.response = w2;
        c.slowdown_sum = 3.75;
        c.deadline_misses = 1;
        c.admitted = 2;
        c.blocked = 3;
        c.lost_inside = 4;
        c.visits = 5;
        c.blocked_time = 6.5;
        c.blocked_count = 7;
        c.baulked = 8;
        c.reneged = 9;
        c.wait_reneged = w;
        c.makespan = w2;
        c.task_wait = w;
        c.tasks.failed = 10;
        c.tasks.present_end = 11;
        c.tasks.wasted_time = 0.5;
        c.response_hist.record(12).unwrap();
        c.bounded_slowdown_sum = 2.25;
        c.max_response = 7.25;
        c.waited = 13;
        let mut slowdowns = LogHistogram::default();
        // 1.0 lands in bucket 0, the one a sparse form cannot hold as is.
        for x in [1.0, 1.5, 1.5, 1e9] {
            slowdowns.record(x);
        }
        c.slowdown_hist = Some(slowdowns);
        c.size_bins = vec![
            SizeBin {
                jobs: 2,
                size_sum: 1.25,
                response_sum: 8.25,
                slowdown_sum: 3.5,
            },
            SizeBin::default(),
        ];
        // Every field above differs from a fresh cell's: one left out of
        // `of`/`restore` keeps its fresh value here and the forms differ.
        let mut back = CellStats::new(class_histogram());
        CellTotals::of(&c).restore(&mut back).unwrap();
        back.response_hist = c.response_hist.clone();
        assert!(c.slowdown_hist.as_ref().is_some_and(|h| h.len() == 4));
        assert_eq!(format!("{back:?}"), format!("{c:?}"));
    }

    #[test]
    fn a_histogram_survives_its_sparse_form_bucket_for_bucket() {
        let mut h = class_histogram();
        for i in 1..20_000u64 {
            h.record(i * i % 1_000_003 + 1).unwrap();
        }
        h.record_n(1 << 40, 7).unwrap();
        let text = sparse(&h);
        let back = rebuild(&text, "h", SIGNIFICANT_DIGITS, HIGHEST).unwrap();
        let buckets = |h: &Histogram<u64>| -> Vec<(u64, u64)> {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect()
        };
        assert_eq!(buckets(&back), buckets(&h));
        assert_eq!(back.len(), h.len());
        assert!(back.distinct_values() < h.distinct_values());
        for q in [0.5, 0.9, 0.99, 0.999] {
            assert_eq!(back.value_at_quantile(q), h.value_at_quantile(q));
        }
        // A small part of the histogram's 8 bytes per bucket.
        assert!(text.len() < h.distinct_values() * 2, "{}", text.len());
    }

    fn encode(numbers: &[u64]) -> String {
        let mut bytes = Vec::new();
        for &n in numbers {
            push_varint(&mut bytes, n);
        }
        base64(&bytes)
    }

    #[test]
    fn base64_and_varints_round_trip() {
        for len in 0..10 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 97 + 13) as u8).collect();
            assert_eq!(unbase64(&base64(&bytes)).unwrap(), bytes, "{len}");
        }
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        for bad in ["TWE", "TW=u", "T===", "TW!u"] {
            assert!(unbase64(bad).is_err(), "{bad}");
        }
        let h = rebuild(&encode(&[1, 3, (1 << 40) - 1, 2]), "x", 3, HIGHEST).unwrap();
        assert_eq!(
            (h.len(), h.count_at(1), h.max()),
            (5, 3, h.highest_equivalent(1 << 40))
        );
    }

    #[test]
    fn broken_sparse_forms_are_refused_not_panicked_on() {
        assert!(
            rebuild(&encode(&[1, 2, 3]), "x", 3, HIGHEST).is_err(),
            "odd"
        );
        assert!(
            rebuild(&encode(&[5, 1, 0, 1]), "x", 3, HIGHEST).is_err(),
            "repeated value"
        );
        assert!(
            rebuild(&encode(&[0, 1]), "x", 3, HIGHEST).is_err(),
            "value 0"
        );
        assert!(
            rebuild(&encode(&[u64::MAX, 1, 5, 1]), "x", 3, HIGHEST).is_err(),
            "overflow"
        );
        assert!(
            rebuild(&base64(&[0x80]), "x", 3, HIGHEST).is_err(),
            "cut short"
        );
        assert!(
            rebuild(&base64(&[0xff; 11]), "x", 3, HIGHEST).is_err(),
            "too long"
        );
        assert!(rebuild("!!!!", "x", 3, HIGHEST).is_err(), "not base64");
        assert!(
            rebuild(&encode(&[1 << 51, 1]), "x", 3, HIGHEST).is_err(),
            "above range"
        );
        let e = rebuild(
            &encode(&[1 << 62, 1]),
            "classes[0].response_hist",
            3,
            HIGHEST,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("classes[0].response_hist"), "{e}");
    }
}
