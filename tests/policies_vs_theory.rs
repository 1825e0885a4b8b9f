//! Disciplines against their exact results, at fixed seeds: the exact value
//! must lie within two 95% half-widths of the simulated mean (about four
//! standard errors). Sizes are meant for `cargo test --release`.

use std::path::Path;

use schedlab::experiment::{self, RunOutput};
use schedlab::model::{Dist, Scenario};
use schedlab::stats::{Estimate, Selection};
use schedlab::theory;

/// One node, one server; `classes` is TOML for the [[classes]] tables.
fn scenario(classes: &str, policies: &str, jobs: u64) -> Scenario {
    let text = format!(
        "name = \"t\"\nseed = 2024\nreplications = 10\nwarmup = {{ jobs = 20000 }}\nhorizon = {{ jobs = {jobs} }}\n\
         {classes}\n[[nodes]]\nname = \"cpu\"\nservers = 1\n[policy]\ncompare = [{policies}]\n"
    );
    Scenario::from_toml(&text, Path::new("t.toml")).expect("test scenario is valid")
}

fn row<'a>(
    out: &'a RunOutput,
    policy: &str,
    selection: Selection,
) -> &'a schedlab::stats::RowStats {
    &out.rows
        .iter()
        .find(|r| r.policy == policy && r.selection == selection)
        .unwrap_or_else(|| panic!("no row for {policy} {selection:?}"))
        .stats
}

fn assert_within(what: &str, e: &Estimate, exact: f64) {
    let h = e.ci95.expect("replications give a CI");
    assert!(
        (e.mean - exact).abs() <= 2.0 * h,
        "{what}: simulated {:.5} ± {h:.5}, exact {exact:.5} ({:.2} half-widths off)",
        e.mean,
        (e.mean - exact).abs() / h
    );
}

const TWO_CLASSES: &str = r#"
[[classes]]
name = "urgent"
arrival = { dist = "exponential", rate = 0.3 }
service = { dist = "erlang", k = 2, mean = 1.0 }
priority = 0
[[classes]]
name = "bulk"
arrival = { dist = "exponential", rate = 0.25 }
service = { dist = "hyperexponential", mean = 2.0, scv = 3.0 }
priority = 1
"#;

fn class_loads(s: &Scenario) -> Vec<theory::ClassLoad> {
    (0..s.classes.len())
        .map(|k| theory::ClassLoad {
            lambda: s.arrival_rate(k),
            es: s.classes[k].service.mean(),
            es2: s.classes[k].service.second_moment(),
        })
        .collect()
}

#[test]
fn priorities_match_cobham_and_preemptive_resume() {
    let s = scenario(TWO_CLASSES, "\"priority\", \"priority-pr\"", 300_000);
    let out = experiment::run(&s);
    let loads = class_loads(&s);
    let np = theory::priority_nonpreemptive(&loads);
    let pr = theory::priority_preemptive_resume(&loads);
    for (k, class) in s.classes.iter().enumerate() {
        let exact_np = np[k].as_ref().expect("stable class");
        let exact_pr = pr[k].as_ref().expect("stable class");
        let r = row(&out, "priority", Selection::Class(k));
        assert_within(
            &format!("priority, {} wait", class.name),
            &r.mean_wait,
            exact_np.mean_wait,
        );
        assert_within(
            &format!("priority, {} response", class.name),
            &r.mean_response,
            exact_np.mean_response,
        );
        let r = row(&out, "priority-pr", Selection::Class(k));
        assert_within(
            &format!("priority-pr, {} response", class.name),
            &r.mean_response,
            exact_pr.mean_response,
        );
    }
}

const H2: &str = r#"
[[classes]]
name = "jobs"
arrival = { dist = "exponential", rate = 0.7 }
service = { dist = "hyperexponential", mean = 1.0, scv = 4.0 }
"#;

#[test]
fn ps_and_lcfs_pr_match_es_over_one_minus_rho() {
    let s = scenario(H2, "\"ps\", \"lcfs-pr\"", 300_000);
    let out = experiment::run(&s);
    let exact = theory::mg1_ps(0.7, 1.0).expect("stable");
    let lcfs = theory::mg1_lcfs_pr(0.7, 1.0).expect("stable");
    assert_within(
        "ps response",
        &row(&out, "ps", Selection::All).mean_response,
        exact.mean_response,
    );
    assert_within(
        "lcfs-pr response",
        &row(&out, "lcfs-pr", Selection::All).mean_response,
        lcfs.mean_response,
    );
    // Both are insensitive to the service distribution beyond its mean;
    // a heavy-tailed FCFS is not.
    assert!(exact.mean_response < theory::mg1(0.7, 1.0, 5.0).expect("stable").mean_response);
}

#[test]
fn srpt_on_mm1_matches_schrage_miller() {
    let mm1 = "[[classes]]\nname = \"jobs\"\narrival = { dist = \"exponential\", rate = 0.8 }\n\
               service = { dist = \"exponential\", mean = 1.0 }\n";
    let s = scenario(mm1, "\"srpt\"", 300_000);
    let out = experiment::run(&s);
    let exact = theory::mg1_srpt(0.8, &Dist::exponential_rate(1.0)).expect("stable");
    assert_within(
        "srpt response",
        &row(&out, "srpt", Selection::All).mean_response,
        exact.mean_response,
    );
}

#[test]
fn fb_on_mh2_1_matches_its_integral() {
    let s = scenario(H2, "\"fb\"", 300_000);
    let out = experiment::run(&s);
    let exact = theory::mg1_fb(0.7, &s.classes[0].service).expect("stable");
    assert_within(
        "fb response",
        &row(&out, "fb", Selection::All).mean_response,
        exact.mean_response,
    );
}
