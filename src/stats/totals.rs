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
//! non-empty buckets with the values delta-coded, and rebuilt by
//! recording each count at its value, which lands in the same bucket: a
//! histogram of 100 000 responses keeps a few thousand buckets of the
//! 43 000 its arrays hold.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::Welford;

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
    /// Non-empty buckets as [Δvalue, count, Δvalue, count, ...], values
    /// increasing (each the highest value of its bucket, in resolution units).
    pub response_hist: Vec<u64>,
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

/// The sparse form of a histogram, as described in the module documentation.
pub fn sparse(h: &Histogram<u64>) -> Vec<u64> {
    let mut out = Vec::new();
    let mut last = 0;
    for v in h.iter_recorded() {
        let value = v.value_iterated_to();
        out.push(value - last);
        out.push(v.count_at_value());
        last = value;
    }
    out
}

/// Records a sparse histogram into `h` (empty, with the bounds it was taken from).
pub fn fill(h: &mut Histogram<u64>, pairs: &[u64], field: &str) -> Result<(), TotalsError> {
    let bad = |message: String| TotalsError {
        field: field.to_string(),
        message,
    };
    if pairs.len() % 2 != 0 {
        return Err(bad(format!(
            "{} numbers: (value, count) pairs expected",
            pairs.len()
        )));
    }
    let mut value: u64 = 0;
    for (i, pair) in pairs.chunks_exact(2).enumerate() {
        value = value
            .checked_add(pair[0])
            .filter(|&v| v > 0 && (i == 0 || pair[0] > 0))
            .ok_or_else(|| bad(format!("bucket {i}: values must increase from 1")))?;
        h.record_n(value, pair[1])
            .map_err(|e| bad(format!("bucket {i}: value {value}: {e:?}")))?;
    }
    Ok(())
}

impl CellTotals {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        area_in_system: f64,
        area_busy: f64,
        wait: &Welford,
        response: &Welford,
        slowdown_sum: f64,
        counts: [u64; 6],
        blocked_time: f64,
        hist: &Histogram<u64>,
    ) -> CellTotals {
        let [
            deadline_misses,
            admitted,
            blocked,
            lost_inside,
            visits,
            blocked_count,
        ] = counts;
        CellTotals {
            area_in_system: area_in_system.to_bits(),
            area_busy: area_busy.to_bits(),
            wait: welford_parts(wait),
            response: welford_parts(response),
            slowdown_sum: slowdown_sum.to_bits(),
            deadline_misses,
            admitted,
            blocked,
            lost_inside,
            visits,
            blocked_time: blocked_time.to_bits(),
            blocked_count,
            response_hist: sparse(hist),
        }
    }

    pub fn wait(&self) -> Welford {
        welford(self.wait)
    }

    pub fn response(&self) -> Welford {
        welford(self.response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::recorder::class_histogram;

    #[test]
    fn a_histogram_survives_its_sparse_form_bucket_for_bucket() {
        let mut h = class_histogram();
        for i in 1..20_000u64 {
            h.record(i * i % 1_000_003 + 1).unwrap();
        }
        h.record_n(1 << 40, 7).unwrap();
        let pairs = sparse(&h);
        let mut back = class_histogram();
        fill(&mut back, &pairs, "h").unwrap();
        assert_eq!(back, h);
        assert_eq!(back.len(), h.len());
        for q in [0.5, 0.9, 0.99, 0.999] {
            assert_eq!(back.value_at_quantile(q), h.value_at_quantile(q));
        }
        // Far fewer numbers than the histogram's buckets.
        assert!(pairs.len() < h.distinct_values() / 2, "{}", pairs.len());
    }

    #[test]
    fn broken_sparse_forms_are_refused_not_panicked_on() {
        let mut h = class_histogram();
        assert!(fill(&mut h, &[1, 2, 3], "x").is_err());
        let mut h = class_histogram();
        assert!(fill(&mut h, &[5, 1, 0, 1], "x").is_err(), "repeated value");
        let mut h = class_histogram();
        assert!(fill(&mut h, &[0, 1], "x").is_err(), "value 0");
        let mut h = class_histogram();
        assert!(fill(&mut h, &[u64::MAX, 1, 5, 1], "x").is_err(), "overflow");
        let mut h = class_histogram();
        let e = fill(&mut h, &[1 << 62, 1], "classes[0].response_hist").unwrap_err();
        assert!(e.to_string().starts_with("classes[0].response_hist"), "{e}");
    }
}
