//! The simulator against exact results of queueing theory, at fixed seeds.
//!
//! Each check runs a bundled scenario (or a variant) and asserts that the
//! exact value lies within two 95% confidence half-widths of the simulated
//! mean (about four standard errors): a wrong engine fails, noise does not.
//! Sizes are chosen for `cargo test --release`.

use std::path::Path;

use schedlab::experiment::{self, Row};
use schedlab::model::{Limit, Scenario};
use schedlab::stats::Selection;
use schedlab::theory;

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::from_file(&path).expect("bundled scenario parses")
}

fn all_row(rows: &[Row]) -> &Row {
    rows.iter()
        .find(|r| r.selection == Selection::All)
        .expect("an all/all row")
}

/// Asserts `exact` is within `k` half-widths of the estimate.
fn assert_within(what: &str, mean: f64, ci: Option<f64>, exact: f64, k: f64) {
    let h = ci.expect("several replications give a CI");
    assert!(
        (mean - exact).abs() <= k * h,
        "{what}: simulated {mean:.5} ± {h:.5}, exact {exact:.5} (off by {:.2} half-widths)",
        (mean - exact).abs() / h
    );
}

/// Runs `s` and checks mean wait, mean response, L and Lq against theory.
fn check(s: &Scenario, exact: &theory::Metrics) {
    let out = experiment::run(s);
    let r = &all_row(&out.rows).stats;
    let name = &s.name;
    assert_within(
        &format!("{name} mean wait"),
        r.mean_wait.mean,
        r.mean_wait.ci95,
        exact.mean_wait,
        2.0,
    );
    assert_within(
        &format!("{name} mean response"),
        r.mean_response.mean,
        r.mean_response.ci95,
        exact.mean_response,
        2.0,
    );
    assert_within(
        &format!("{name} mean in system"),
        r.mean_in_system.mean,
        r.mean_in_system.ci95,
        exact.mean_in_system,
        2.0,
    );
    assert_within(
        &format!("{name} mean in queue"),
        r.mean_in_queue.mean,
        r.mean_in_queue.ci95,
        exact.mean_in_queue,
        2.0,
    );
    assert_within(
        &format!("{name} utilisation"),
        r.utilization.mean,
        r.utilization.ci95,
        exact.rho,
        2.0,
    );
}

#[test]
fn mm1_matches_closed_form() {
    let s = scenario("mm1.toml");
    check(&s, &theory::mm1(0.8, 1.0).expect("stable"));
}

#[test]
fn mm2_matches_erlang_c() {
    let mut s = scenario("mm2.toml");
    s.horizon = Limit::Jobs(500_000);
    let exact = theory::mmc(1.8, 1.0, 2).expect("stable");
    check(&s, &exact.metrics);
}

#[test]
fn mm5_with_speed_matches_erlang_c() {
    // Five servers of speed 2 serving mean requirement 1: mu = 2 per server.
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mm2.toml"))
            .unwrap();
    let text = text
        .replace("rate = 1.8", "rate = 8.5")
        .replace("servers = 2", "servers = 5")
        .replace("speed = 1.0", "speed = 2.0")
        .replace("jobs = 1000000", "jobs = 400000");
    let s = Scenario::from_toml(&text, Path::new("mm5.toml")).unwrap();
    let exact = theory::mmc(8.5, 2.0, 5).expect("stable");
    check(&s, &exact.metrics);
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    let s = scenario("md1.toml");
    check(&s, &theory::md1(0.8, 1.0).expect("stable"));
}

#[test]
fn mh2_1_matches_pollaczek_khinchine() {
    let s = scenario("mh2-1.toml");
    let service = &s.classes[0].service;
    let exact = theory::mg1(0.7, service.mean(), service.second_moment()).expect("stable");
    check(&s, &exact);
}

#[test]
fn two_classes_under_fcfs_see_the_mixture_wait() {
    // FCFS is blind to classes: both see the M/G/1 wait of the merged
    // stream, whose service is the rate-weighted mixture.
    let s = scenario("two-classes.toml");
    let lambdas: Vec<f64> = (0..2).map(|k| s.arrival_rate(k)).collect();
    let lambda: f64 = lambdas.iter().sum();
    let es = (0..2)
        .map(|k| lambdas[k] * s.classes[k].service.mean())
        .sum::<f64>()
        / lambda;
    let es2 = (0..2)
        .map(|k| lambdas[k] * s.classes[k].service.second_moment())
        .sum::<f64>()
        / lambda;
    let exact = theory::mg1(lambda, es, es2).expect("stable");
    let out = experiment::run(&s);
    for (k, class) in s.classes.iter().enumerate() {
        let row = out
            .rows
            .iter()
            .find(|r| r.selection == Selection::Class(k))
            .unwrap();
        let st = &row.stats;
        assert_within(
            &format!("{} wait", class.name),
            st.mean_wait.mean,
            st.mean_wait.ci95,
            exact.mean_wait,
            2.0,
        );
        let response = exact.mean_wait + class.service.mean();
        assert_within(
            &format!("{} response", class.name),
            st.mean_response.mean,
            st.mean_response.ci95,
            response,
            2.0,
        );
        // A class's utilisation is its own offered load λ_k E[S_k].
        let rho_k = lambdas[k] * class.service.mean();
        assert_within(
            &format!("{} utilisation", class.name),
            st.utilization.mean,
            st.utilization.ci95,
            rho_k,
            2.0,
        );
    }
}

#[test]
fn quantiles_match_the_exponential_response_of_mm1() {
    // M/M/1-FCFS response time is exponential with rate mu - lambda = 0.2:
    // the q-quantile is -ln(1 - q) / 0.2.
    let s = scenario("mm1.toml");
    let out = experiment::run(&s);
    let st = &all_row(&out.rows).stats;
    for ((got, ci), level) in st
        .response_quantiles
        .iter()
        .zip(st.response_quantiles_ci95)
        .zip([0.5, 0.9, 0.95, 0.99])
    {
        let exact = -(1.0f64 - level).ln() / 0.2;
        // The histogram adds at most 0.1% (3 significant digits) to the sampling error.
        assert_within(
            &format!("p{}", level * 100.0),
            *got,
            ci.map(|h| h + 1e-3 * exact),
            exact,
            2.0,
        );
    }
}

#[test]
fn finite_capacity_matches_mmck_and_erlang_b() {
    // M/M/2/5 at offered load 1.5 per server, and the bundled M/M/5/5 loss system.
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mm2.toml"))
            .unwrap()
            .replace("rate = 1.8", "rate = 3.0")
            .replace("speed = 1.0", "speed = 1.0\ncapacity = 5")
            .replace("jobs = 1000000", "jobs = 300000");
    let s = Scenario::from_toml(&text, Path::new("mm25.toml")).unwrap();
    let exact = theory::mmck(3.0, 1.0, 2, 5).unwrap();
    let out = experiment::run(&s);
    let r = &all_row(&out.rows).stats;
    assert_within(
        "M/M/2/5 response",
        r.mean_response.mean,
        r.mean_response.ci95,
        exact.metrics.mean_response,
        2.0,
    );
    assert_within(
        "M/M/2/5 L",
        r.mean_in_system.mean,
        r.mean_in_system.ci95,
        exact.metrics.mean_in_system,
        2.0,
    );
    assert_within(
        "M/M/2/5 blocking",
        r.blocking_probability.mean,
        r.blocking_probability.ci95,
        exact.p_block,
        2.0,
    );
    assert_within(
        "M/M/2/5 throughput",
        r.throughput.mean,
        r.throughput.ci95,
        exact.lambda_eff,
        2.0,
    );

    let s = scenario("erlang-loss.toml");
    let out = experiment::run(&s);
    let r = &all_row(&out.rows).stats;
    let b = theory::erlang_b(4.0, 5).unwrap();
    assert_within(
        "Erlang B blocking",
        r.blocking_probability.mean,
        r.blocking_probability.ci95,
        b,
        2.0,
    );
    assert_eq!(r.mean_wait.mean, 0.0, "a loss system never queues");
}

#[test]
fn many_servers_behave_as_mm_infinity() {
    // With 60 servers at 5 Erlangs the chance of waiting is below 1e-40:
    // every job is served at once, L = λ/μ and W = 1/μ.
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mm2.toml"))
            .unwrap()
            .replace("rate = 1.8", "rate = 5.0")
            .replace("servers = 2", "servers = 60")
            .replace("jobs = 1000000", "jobs = 300000");
    let s = Scenario::from_toml(&text, Path::new("mminf.toml")).unwrap();
    assert!(theory::erlang_c(5.0, 60).unwrap() < 1e-40);
    let exact = theory::mm_inf(5.0, 1.0).unwrap();
    let out = experiment::run(&s);
    let r = &all_row(&out.rows).stats;
    assert_within(
        "M/M/inf response",
        r.mean_response.mean,
        r.mean_response.ci95,
        exact.mean_response,
        2.0,
    );
    assert_within(
        "M/M/inf L",
        r.mean_in_system.mean,
        r.mean_in_system.ci95,
        exact.mean_in_system,
        2.0,
    );
}

#[test]
fn every_exact_row_of_the_bundled_scenarios_holds_its_theory() {
    // The theory printed beside each row lies within two half-widths of
    // the simulated mean response, for every bundled scenario and policy.
    for name in [
        "mm1.toml",
        "mm2.toml",
        "md1.toml",
        "mh2-1.toml",
        "two-classes.toml",
        "erlang-loss.toml",
    ] {
        let s = scenario(name);
        let out = experiment::run(&s);
        for row in &out.rows {
            let Some(t) = &row.theory else { continue };
            if t.kind != theory::Kind::Exact {
                continue;
            }
            let e = &row.stats.mean_response;
            assert_within(
                &format!("{name} {} {}", row.class, row.node),
                e.mean,
                e.ci95,
                t.mean_response,
                2.0,
            );
        }
    }
}
