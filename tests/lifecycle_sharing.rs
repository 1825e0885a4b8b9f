//! The task lifecycle at sharing nodes (`ps`, `fb`), against exact
//! results at fixed seeds: failed attempts that rejoin the share at once
//! are Bernoulli feedback, and an M/M/1 under either discipline with
//! feedback has the mean response of the M/M/1 at the inflated rate,
//! 1/(μ(1 − p) − λ) (PS is insensitive to the distribution of the total
//! work, an Exp(μ(1 − p)) here, BCMP; under FB with exponential attempts
//! attained service tells nothing of what is left, so the number present
//! is the same birth-death chain). Timeouts there count time since the
//! attempt started (unit tests in `engine::attempts`). Exact values are
//! held to their 99.9% intervals (see `exact`).

use std::path::Path;

mod exact;
use exact::{assert_within, overall};
use schedlab::experiment;
use schedlab::model::Scenario;

fn feedback_under(discipline: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lifecycle/feedback.toml");
    let text = std::fs::read_to_string(&path)
        .expect("bundled scenario")
        .replace(
            "[[nodes]]",
            &format!("[policy]\ndiscipline = \"{discipline}\"\n\n[[nodes]]"),
        );
    Scenario::from_toml(&text, &path).expect("the scenario with a sharing discipline parses")
}

#[test]
fn bernoulli_feedback_at_a_sharing_node_is_mm1_at_the_inflated_rate() {
    for discipline in ["ps", "fb"] {
        let s = feedback_under(discipline);
        assert_eq!(s.policies[0].label(), discipline);
        let out = experiment::run(&s);
        let row = overall(&out);
        // λ = 0.5, μ = 1, p = 0.2.
        assert_within(
            &format!("{discipline}: mean response"),
            &row.stats.mean_response,
            1.0 / (0.8 - 0.5),
        );
        assert_within(
            &format!("{discipline}: mean attempts"),
            &row.stats.tasks.mean_attempts,
            1.25,
        );
        assert_eq!(row.stats.tasks.gave_up, 0);
        assert!(row.stats.tasks.failed > 0);
    }
}

/// Timeouts, deadlines and rollbacks at a PS node: every run checks the
/// accounting identity (a violation fails it), and the give-ups are
/// counted by their reasons.
#[test]
fn timeouts_and_deadlines_at_a_ps_node_keep_the_accounts() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lifecycle/retries.toml");
    let text = std::fs::read_to_string(&path)
        .expect("bundled scenario")
        .replace("replications = 10", "replications = 4")
        .replace("horizon = { jobs = 100000 }", "horizon = { jobs = 20000 }")
        .replace("[[nodes]]", "[policy]\ndiscipline = \"ps\"\n\n[[nodes]]");
    let s = Scenario::from_toml(&text, &path).unwrap();
    let out = experiment::run(&s);
    let t = &overall(&out).stats.tasks;
    assert!(t.timed_out > 0, "some attempts time out: {t:?}");
    assert!(t.failed > 0);
    assert!(t.rolled_back > 0);
    // Under PS every job is in service at once: nothing waits to start.
    assert_eq!(t.gave_up_by[2], 0, "no queue timeouts: {t:?}");
}
