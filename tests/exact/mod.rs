//! Checking simulated estimates against exact values, shared by the tests
//! that hold a scenario's rows to closed forms.
//!
//! An exact value must lie within its 99.9% interval from the 10
//! replications (2.11 times the 95% half-width: Student t with 9 degrees
//! of freedom, 4.78 against 2.26).

// Each test crate uses part of this module.
#![allow(dead_code)]

use schedlab::experiment::{Row, RunOutput};
use schedlab::stats::{Estimate, Selection};

/// 99.9% over 95% half-widths at 9 degrees of freedom.
pub const WIDEN: f64 = 4.781 / 2.262;

/// The overall row of a run.
pub fn overall(out: &RunOutput) -> &Row {
    out.rows
        .iter()
        .find(|r| r.selection == Selection::All)
        .expect("the overall row exists")
}

/// `e` is within its 99.9% interval of `exact`.
pub fn assert_within(what: &str, e: &Estimate, exact: f64) {
    let h = e.ci95.expect("several replications give a CI") * WIDEN;
    assert!(
        (e.mean - exact).abs() <= h,
        "{what}: simulated {:.5} ± {h:.5} (99.9%), exact {exact:.5}",
        e.mean
    );
}
