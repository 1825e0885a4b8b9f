//! Dispatching rules against exact results where the system reduces to a
//! textbook queue: random splitting of Poisson arrivals over identical
//! nodes gives independent M/M/1 queues, and pulling from a central queue
//! onto c single-server nodes is M/M/c.

use std::path::Path;

use schedlab::experiment;
use schedlab::model::Scenario;
use schedlab::stats::{Estimate, Selection};
use schedlab::theory;

fn two_nodes(dispatch: &str) -> Scenario {
    let text = format!(
        "name = \"two\"\nseed = 77\nreplications = 10\nwarmup = {{ jobs = 20000 }}\nhorizon = {{ jobs = 400000 }}\n\
         [[classes]]\nname = \"jobs\"\narrival = {{ dist = \"exponential\", rate = 1.6 }}\n\
         service = {{ dist = \"exponential\", mean = 1.0 }}\n\
         [[nodes]]\nname = \"a\"\nservers = 1\n[[nodes]]\nname = \"b\"\nservers = 1\n\
         [dispatch]\n{dispatch}\n"
    );
    Scenario::from_toml(&text, Path::new("two.toml")).expect("valid scenario")
}

fn assert_within(what: &str, e: &Estimate, exact: f64) {
    let h = e.ci95.expect("a CI");
    assert!(
        (e.mean - exact).abs() <= 2.0 * h,
        "{what}: simulated {:.4} ± {h:.4}, exact {exact:.4}",
        e.mean
    );
}

#[test]
fn random_split_gives_independent_mm1_queues() {
    let s = two_nodes("rule = \"random\"");
    let out = experiment::run(&s);
    let exact = theory::mm1(0.8, 1.0).unwrap();
    for j in 0..2 {
        let r = &out
            .rows
            .iter()
            .find(|r| r.selection == Selection::Node(j))
            .unwrap()
            .stats;
        assert_within("node response", &r.mean_response, exact.mean_response);
        assert_within("node throughput", &r.throughput, 0.8);
    }
}

#[test]
fn pull_from_a_central_queue_is_mmc() {
    let s = two_nodes("rule = \"pull\"");
    let out = experiment::run(&s);
    let exact = theory::mmc(1.6, 1.0, 2).unwrap().metrics;
    let all = &out.rows[0].stats;
    assert_within("pull response", &all.mean_response, exact.mean_response);
    assert_within(
        "pull jobs in queue",
        &all.mean_in_queue,
        exact.mean_in_queue,
    );
}

#[test]
fn state_aware_rules_lie_between_the_two() {
    // Join-the-shortest-queue, least-work-left and hybrid stealing all do
    // better than random splitting and no better than a central queue.
    let random = theory::mm1(0.8, 1.0).unwrap().mean_response;
    let central = theory::mmc(1.6, 1.0, 2).unwrap().metrics.mean_response;
    for rule in [
        "rule = \"jsq\"",
        "rule = \"lwl\"",
        "rule = \"hybrid\"\npush = \"random\"",
        "rule = \"power-of-d\"\nd = 2",
    ] {
        let out = experiment::run(&two_nodes(rule));
        let r = &out.rows[0].stats.mean_response;
        let h = r.ci95.unwrap();
        assert!(
            r.mean < random - 2.0 * h,
            "{rule}: {} not below random {random}",
            r.mean
        );
        assert!(
            r.mean > central - 2.0 * h,
            "{rule}: {} below the central queue {central}",
            r.mean
        );
    }
}
