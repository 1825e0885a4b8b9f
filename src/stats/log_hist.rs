//! A histogram of slowdowns (values from 1 up) whose bucket is read straight
//! off the bits of the `f64`.
//!
//! A finite positive `f64` is `2^e * (1 + m / 2^52)`; its bits, as an
//! integer, increase with the value, and dropping the low `52 - B` mantissa
//! bits leaves `e * 2^B + (top B bits of m)`: a log-linear bucket index
//! (`2^B` equal buckets per octave, each at most `2^-B` wide relative to its
//! lower edge). This is the layout of HdrHistogram (Tene, "HdrHistogram: A
//! High Dynamic Range Histogram", hdrhistogram.org) with the octave and
//! sub-bucket taken from the float's own exponent and mantissa, so a record
//! is a shift, a subtraction, a clamp and an increment: about 6
//! instructions against about 60 for `hdrhistogram::Histogram::record` on an
//! integer, which made the per-job slowdown median 8% of an M/M/c run.
//!
//! The counts grow only as far as the largest bucket reached, so a class
//! whose slowdowns stay below 100 holds under 7 octaves (900 counts).

/// Mantissa bits kept: 128 buckets per octave, so a bucket's midpoint is
/// within 0.4% of any value in it (hdrhistogram with 2 significant digits:
/// 1%).
const BITS: u32 = 7;
const SHIFT: u32 = 52 - BITS;
/// The index of 1.0 (exponent 1023, mantissa 0).
const BASE: u64 = 1023 << BITS;
/// Octaves covered: values from 1 to 2^50 (beyond saturate into the last
/// bucket, as the response histograms do at 2^50 units).
const OCTAVES: u64 = 50;
/// The last bucket.
pub(crate) const LAST: u64 = (OCTAVES << BITS) - 1;

/// Counts of values per log-linear bucket (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogHistogram {
    counts: Vec<u64>,
    total: u64,
}

/// The bucket of `x`: values below 1 (a slowdown rounding a hair under 1)
/// in the first, values from 2^50 up, infinities and NaN in the last.
#[inline]
fn bucket(x: f64) -> usize {
    // A negative x or NaN has bits above every finite positive value's.
    (x.to_bits() >> SHIFT).saturating_sub(BASE).min(LAST) as usize
}

/// The lower edge of bucket `i`.
fn lower(i: u64) -> f64 {
    f64::from_bits((i + BASE) << SHIFT)
}

impl LogHistogram {
    /// Records one value.
    #[inline]
    pub fn record(&mut self, x: f64) {
        let i = bucket(x);
        if i >= self.counts.len() {
            self.grow(i);
        }
        self.counts[i] += 1;
        self.total += 1;
    }

    #[cold]
    fn grow(&mut self, i: usize) {
        self.counts.resize(i + 1, 0);
    }

    /// Adds `count` values to bucket `index` (as listed by [`Self::buckets`]).
    /// `None` when the index is past the last bucket.
    pub fn add_bucket(&mut self, index: u64, count: u64) -> Option<()> {
        if index > LAST {
            return None;
        }
        let i = index as usize;
        if i >= self.counts.len() {
            self.grow(i);
        }
        self.counts[i] += count;
        self.total += count;
        Some(())
    }

    /// Adds every count of `other`.
    pub fn add(&mut self, other: &LogHistogram) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
    }

    /// Forgets every value, keeping the memory.
    pub fn reset(&mut self) {
        self.counts.fill(0);
        self.total = 0;
    }

    /// Values recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The non-empty buckets as (index, count), in increasing order.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(i, &c)| (i as u64, c))
    }

    /// The value at quantile `q` in (0, 1]: the midpoint of the bucket that
    /// holds the `ceil(q n)`-th smallest value; NaN when empty.
    pub fn value_at_quantile(&self, q: f64) -> f64 {
        if self.total == 0 {
            return f64::NAN;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let i = i as u64;
                return 0.5 * (lower(i) + lower(i + 1));
            }
        }
        unreachable!("the counts add up to the total")
    }

    /// The median (see [`Self::value_at_quantile`]).
    pub fn median(&self) -> f64 {
        self.value_at_quantile(0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_log_linear_and_tight() {
        assert_eq!(bucket(1.0), 0);
        assert_eq!(bucket(0.999), 0);
        assert_eq!(bucket(0.0), 0);
        assert_eq!(bucket(2.0), 128);
        assert_eq!(bucket(1.0 + 1.0 / 128.0), 1);
        assert_eq!(bucket(f64::INFINITY), LAST as usize);
        assert_eq!(bucket(f64::NAN), LAST as usize);
        assert_eq!(bucket(-3.0), LAST as usize);
        assert_eq!(bucket(2f64.powi(60)), LAST as usize);
        // Every value is within 0.4% of its bucket's midpoint.
        let mut x = 1.0;
        while x < 1e12 {
            let i = bucket(x) as u64;
            let mid = 0.5 * (lower(i) + lower(i + 1));
            assert!(lower(i) <= x && x < lower(i + 1), "{x}");
            assert!((mid - x).abs() / x < 1.0 / 256.0 + 1e-12, "{x}");
            x *= 1.0137;
        }
    }

    #[test]
    fn quantiles_match_a_sort() {
        let values: Vec<f64> = (0..1001).map(|k| 1.0 + (k as f64 * 0.731) % 37.0).collect();
        let mut h = LogHistogram::default();
        for &v in &values {
            h.record(v);
        }
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.01, 0.25, 0.5, 0.9, 0.99, 1.0] {
            let exact = sorted[((q * 1001.0_f64).ceil() as usize).clamp(1, 1001) - 1];
            let got = h.value_at_quantile(q);
            assert!(
                (got - exact).abs() / exact < 1.0 / 256.0 + 1e-12,
                "{q}: {got} {exact}"
            );
        }
        assert!(LogHistogram::default().median().is_nan());
    }

    #[test]
    fn adding_and_rebuilding_from_buckets_agree() {
        let (mut a, mut b) = (LogHistogram::default(), LogHistogram::default());
        for k in 0..50 {
            a.record(1.0 + k as f64);
            b.record(1000.0 + k as f64);
        }
        let mut sum = a.clone();
        sum.add(&b);
        assert_eq!(sum.len(), 100);
        let mut rebuilt = LogHistogram::default();
        for (i, c) in sum.buckets() {
            rebuilt.add_bucket(i, c).unwrap();
        }
        assert_eq!(rebuilt, sum);
        assert!(rebuilt.add_bucket(LAST + 1, 1).is_none());
        sum.reset();
        assert!(sum.is_empty());
    }
}
