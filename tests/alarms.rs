//! `[[alarms]]` against exact values at fixed seeds: the fraction of time
//! at least k of c independently failing servers are down (a binomial
//! tail of the unavailability), the fraction of time an M/M/1 queue holds
//! a waiting job (ρ²), windowed failure counts, and the refusals of bad
//! alarms.

use std::path::Path;

mod common;
mod exact;
use common::refused;
use exact::assert_within;
use schedlab::experiment;
use schedlab::model::Scenario;

fn scenario(nodes: &str, alarms: &str, attempts: &str) -> Scenario {
    let text = format!(
        r#"
name = "alarms"
seed = 9
replications = 10
warmup = {{ time = 500.0 }}
horizon = {{ time = 100000.0 }}
[[classes]]
name = "task"
arrival = {{ dist = "exponential", rate = 0.5 }}
service = {{ dist = "exponential", mean = 1.0 }}
{attempts}
{nodes}
{alarms}
"#
    );
    Scenario::from_toml(&text, Path::new("alarms.toml")).expect("test scenario parses")
}

fn alarm<'a>(
    out: &'a experiment::RunOutput,
    name: &str,
) -> &'a schedlab::stats::alarms::AlarmSummary {
    &out.alarms
        .iter()
        .find(|(_, a)| a.name == name)
        .expect("the alarm is reported")
        .1
}

#[test]
fn servers_down_alarms_hold_for_the_binomial_tail_of_unavailability() {
    let s = scenario(
        "[[nodes]]\nname = \"pool\"\nservers = 4\n\
         failures = { up = { dist = \"exponential\", mean = 50.0 }, down = { dist = \"exponential\", mean = 5.0 } }",
        "[[alarms]]\nname = \"one\"\nwhen = { servers_down = 1, node = \"pool\" }\n\
         [[alarms]]\nname = \"two\"\nwhen = { servers_down = 2, node = \"pool\" }",
        "",
    );
    let out = experiment::run(&s);
    // Each server is down a fraction q = 5/55 of the time, independently.
    let q: f64 = 5.0 / 55.0;
    let none = (1.0 - q).powi(4);
    let one = 4.0 * q * (1.0 - q).powi(3);
    assert_within(
        "P(>= 1 down)",
        &alarm(&out, "one").fraction_raised,
        1.0 - none,
    );
    assert_within(
        "P(>= 2 down)",
        &alarm(&out, "two").fraction_raised,
        1.0 - none - one,
    );
    // A one-server alarm is raised by the failure itself: no delay.
    assert_eq!(alarm(&out, "one").mean_delay, 0.0);
    assert!(alarm(&out, "two").mean_delay > 0.0);
}

#[test]
fn raised_intervals_add_up_to_the_time_raised() {
    let mut s = scenario(
        "[[nodes]]\nname = \"pool\"\nservers = 2\n\
         failures = { up = { dist = \"exponential\", mean = 50.0 }, down = { dist = \"exponential\", mean = 5.0 } }",
        "[[alarms]]\nname = \"down\"\nwhen = { servers_down = 1, node = \"pool\" }",
        "",
    );
    // One replication: the intervals are replication 0's, as the figures.
    s.replications = 1;
    let out = experiment::run(&s);
    let a = alarm(&out, "down");
    assert_eq!(a.intervals_dropped, 0);
    let n = a.intervals.len() as f64;
    // One interval per raise, and one more if raised when the window opened.
    assert!(
        n == a.raised.mean || n == a.raised.mean + 1.0,
        "{n} {:?}",
        a.raised
    );
    assert!(n > 100.0);
    for w in a.intervals.windows(2) {
        assert!(w[0].0 <= w[0].1 && w[0].1 <= w[1].0, "{w:?}");
    }
    assert!(a.intervals[0].0 >= 500.0);
    let raised: f64 = a.intervals.iter().map(|(x, y)| y - x).sum();
    let window = raised / a.fraction_raised.mean;
    assert!((99_000.0..=100_000.0 + 1e-6).contains(&window), "{window}");
}

#[test]
fn a_queue_alarm_holds_while_a_job_waits() {
    let s = scenario(
        "[[nodes]]\nname = \"cpu\"\nservers = 1",
        "[[alarms]]\nname = \"waiting\"\nwhen = { queue = 1, node = \"cpu\" }",
        "",
    );
    let out = experiment::run(&s);
    // M/M/1 at ρ = 1/2: a job waits while N >= 2, with probability ρ².
    assert_within("P(N >= 2)", &alarm(&out, "waiting").fraction_raised, 0.25);
    assert!(alarm(&out, "waiting").mean_delay.is_nan());
}

#[test]
fn a_failure_window_counts_failed_attempts() {
    // Every attempt fails at its end and is retried at once: one failed
    // attempt per service, so "2 failures within 1e9" is raised at the
    // second failure and never clears.
    let s = scenario(
        "[[nodes]]\nname = \"cpu\"\nservers = 1",
        "[[alarms]]\nname = \"burst\"\nwhen = { failures = 2, window = 1e9 }\n\
         [[alarms]]\nname = \"given-up\"\nwhen = { gave_up = 1 }",
        "[classes.attempts]\nfailure = { p = 0.5, at = \"end\" }\nretry = { max_attempts = 2 }",
    );
    let out = experiment::run(&s);
    let burst = alarm(&out, "burst");
    assert!(
        burst.fraction_raised.mean > 0.99,
        "{:?}",
        burst.fraction_raised
    );
    let g = alarm(&out, "given-up");
    assert!(g.fraction_raised.mean > 0.99, "{:?}", g.fraction_raised);
    assert!(
        g.mean_delay.is_nan(),
        "a give-up alarm has no failure to measure from"
    );
}

#[test]
fn bad_alarms_are_refused_with_the_field() {
    let base = |when: &str| {
        format!(
            "name = \"x\"\nhorizon = {{ jobs = 10 }}\n[[classes]]\nname = \"a\"\n\
             arrival = {{ dist = \"exponential\", rate = 1.0 }}\n\
             service = {{ dist = \"exponential\", mean = 0.5 }}\n\
             [[nodes]]\nname = \"n\"\nservers = 2\n\
             [[alarms]]\nname = \"a\"\nwhen = {when}\n"
        )
    };
    refused(
        &base("{ queue = 5, node = \"nowhere\" }"),
        "alarms[0].when.node",
        "nowhere",
    );
    refused(
        &base("{ failures = 5 }"),
        "alarms[0].when.window",
        "(missing)",
    );
    refused(
        &base("{ servers_down = 1, node = \"n\" }"),
        "alarms[0].when.node",
        "n",
    );
    refused(
        &base("{ queue = 0, node = \"n\" }"),
        "alarms[0].when.queue",
        "0",
    );
}
