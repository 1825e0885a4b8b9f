//! A float that heaps can order: `f64::total_cmp`'s order as `Ord`, so a
//! heap entry is a struct that derives its order field by field (time or
//! key first, then its tie-breakers) instead of writing four trait impls.

use std::cmp::Ordering;

/// `f64` ordered by `f64::total_cmp` (−0 before +0, NaN beyond infinity).
#[derive(Debug, Clone, Copy, Default)]
pub struct Total(pub f64);

impl PartialEq for Total {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Total {}

impl PartialOrd for Total {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Total {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Total;

    #[test]
    fn orders_as_total_cmp() {
        let mut v = [
            Total(1.0),
            Total(-0.0),
            Total(f64::INFINITY),
            Total(0.0),
            Total(-3.5),
        ];
        v.sort();
        let bits: Vec<u64> = v.iter().map(|t| t.0.to_bits()).collect();
        let want: Vec<u64> = [-3.5, -0.0, 0.0, 1.0, f64::INFINITY]
            .iter()
            .map(|x: &f64| x.to_bits())
            .collect();
        assert_eq!(bits, want);
        // Derived orders compare the float first, then the next field.
        assert!((Total(1.0), 5) < (Total(2.0), 0));
        assert!((Total(1.0), 0) < (Total(1.0), 5));
    }
}
