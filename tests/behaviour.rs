//! Customer behaviour against exact results, at fixed seeds: reneging
//! (Erlang A, M/M/c + M) and baulking (M/M/1 with baulking
//! probabilities), each against its birth-death chain solved in this file
//! from first principles (not taken from `theory`, which is checked
//! against the same chain), plus what reneging must and must not do under
//! other disciplines, and the refusals of bad input.
//!
//! An exact value must lie within its 99.9% interval from the 10
//! replications (2.11 times the 95% half-width: Student t with 9 degrees
//! of freedom, 4.78 against 2.26), so the several checks of a test fail
//! together by chance on fewer than one seed in a hundred.

use std::path::Path;

mod common;
use common::refused;
use schedlab::experiment::{self, Row, RunOutput};
use schedlab::model::{Limit, Scenario};
use schedlab::stats::{Estimate, Selection};
use schedlab::theory;

/// 99.9% over 95% half-widths at 9 degrees of freedom.
const WIDEN: f64 = 4.781 / 2.262;

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/behaviour")
        .join(name);
    Scenario::from_file(&path).expect("bundled scenario parses")
}

fn overall(out: &RunOutput) -> &Row {
    out.rows
        .iter()
        .find(|r| r.selection == Selection::All)
        .expect("the overall row exists")
}

fn assert_within(what: &str, e: &Estimate, exact: f64) {
    let h = e.ci95.expect("several replications give a CI") * WIDEN;
    assert!(
        (e.mean - exact).abs() <= h,
        "{what}: simulated {:.5} ± {h:.5} (99.9%), exact {exact:.5}",
        e.mean
    );
}

/// The stationary law of the number present at an M/M/c node whose
/// arrivals baulk with probability `baulk[n]` at `n` present and whose
/// waiting jobs leave at rate `theta` each.
struct Chain {
    pi: Vec<f64>,
    lambda: f64,
    c: usize,
    theta: f64,
    baulk: Vec<f64>,
}

impl Chain {
    fn new(lambda: f64, mu: f64, c: usize, theta: f64, baulk: &[f64]) -> Chain {
        let b = |n: usize| {
            baulk
                .get(n.min(baulk.len().max(1) - 1))
                .copied()
                .unwrap_or(0.0)
        };
        let mut w = vec![1.0f64];
        for n in 0..5000 {
            let down = (n + 1).min(c) as f64 * mu + (n + 1).saturating_sub(c) as f64 * theta;
            w.push(w[n] * lambda * (1.0 - b(n)) / down);
        }
        let total: f64 = w.iter().sum();
        Chain {
            pi: w.iter().map(|x| x / total).collect(),
            lambda,
            c,
            theta,
            baulk: baulk.to_vec(),
        }
    }
    fn b(&self, n: usize) -> f64 {
        if self.baulk.is_empty() {
            0.0
        } else {
            self.baulk[n.min(self.baulk.len() - 1)]
        }
    }
    fn l(&self) -> f64 {
        self.pi.iter().enumerate().map(|(n, p)| n as f64 * p).sum()
    }
    fn lq(&self) -> f64 {
        self.pi
            .iter()
            .enumerate()
            .map(|(n, p)| n.saturating_sub(self.c) as f64 * p)
            .sum()
    }
    fn p_baulk(&self) -> f64 {
        self.pi.iter().enumerate().map(|(n, p)| p * self.b(n)).sum()
    }
    /// Reneging rate over arrival rate.
    fn p_renege(&self) -> f64 {
        self.theta * self.lq() / self.lambda
    }
    /// Mean wait of every admitted job, by Little's law on the queue.
    fn mean_wait(&self) -> f64 {
        self.lq() / (self.lambda * (1.0 - self.p_baulk()))
    }
}

fn run(s: &Scenario) -> RunOutput {
    experiment::run(s)
}

#[test]
fn erlang_a_reneging_matches_its_chain() {
    let s = scenario("erlang-a.toml");
    let out = run(&s);
    let r = &overall(&out).stats;
    let chain = Chain::new(2.4, 1.0, 2, 0.5, &[]);
    assert_within("P(renege)", &r.p_renege, chain.p_renege());
    assert_within("mean wait (all admitted)", &r.mean_wait, chain.mean_wait());
    assert_within("L", &r.mean_in_system, chain.l());
    assert_within("Lq", &r.mean_in_queue, chain.lq());
    // Served jobs leave at the rate the chain's servers work at.
    let busy: f64 = chain
        .pi
        .iter()
        .enumerate()
        .map(|(n, p)| n.min(2) as f64 * p)
        .sum();
    assert_within("throughput", &r.throughput, busy);
    // The theory module's closed form agrees with this chain, and with
    // the served jobs' mean response the run reports.
    let m = theory::mmc_impatient(2.4, 1.0, 2, 0.5, &[]).unwrap();
    assert!((m.p_renege - chain.p_renege()).abs() < 1e-9);
    assert!((m.mean_wait - chain.mean_wait()).abs() < 1e-9);
    assert_within(
        "mean response (served)",
        &r.mean_response,
        m.mean_response_served,
    );
    assert_within(
        "mean wait (served)",
        &r.mean_wait_served,
        m.mean_wait_served,
    );
    assert_within(
        "mean wait (reneged)",
        &r.mean_wait_reneged,
        m.mean_wait_reneged,
    );
    // The row's theory is Erlang A.
    let t = overall(&out).theory.as_ref().expect("Erlang A applies");
    assert_eq!(t.formula, "erlang-a");
    assert!(r.p_baulk.mean.is_nan(), "nobody can baulk here");
}

#[test]
fn baulking_matches_its_chain() {
    let s = scenario("baulking.toml");
    let out = run(&s);
    let r = &overall(&out).stats;
    let chain = Chain::new(0.9, 1.0, 1, 0.0, &[0.0, 0.0, 0.3, 0.7, 1.0]);
    assert_within("P(baulk)", &r.p_baulk, chain.p_baulk());
    assert_within("L", &r.mean_in_system, chain.l());
    assert_within("mean wait", &r.mean_wait, chain.mean_wait());
    assert_within("throughput", &r.throughput, 0.9 * (1.0 - chain.p_baulk()));
    assert!(r.baulked > 0);
    assert!(r.p_renege.mean.is_nan(), "nobody reneges here");
}

#[test]
fn reneging_under_other_disciplines() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/behaviour/erlang-a.toml"),
    )
    .unwrap()
    .replace(
        "discipline = \"fcfs\"",
        "compare = [\"fcfs\", \"lcfs\", \"sjf\", \"srpt\", \"ps\", { discipline = \"rr\", quantum = 0.5 }]",
    );
    let mut s = Scenario::from_toml(&text, Path::new("erlang-a.toml")).unwrap();
    s.warmup = Limit::Jobs(2000);
    s.horizon = Limit::Jobs(40_000);
    s.replications = 4;
    let out = run(&s);
    let p = |label: &str| {
        out.rows
            .iter()
            .find(|r| r.policy == label && r.selection == Selection::All)
            .unwrap()
            .stats
            .p_renege
            .mean
    };
    // A size-blind non-preemptive order loses the same share as FCFS (the
    // number present is the same chain); it only reorders who waits.
    let chain = Chain::new(2.4, 1.0, 2, 0.5, &[]).p_renege();
    for label in ["fcfs", "lcfs"] {
        assert!((p(label) - chain).abs() < 0.01, "{label}: {}", p(label));
    }
    // Serving short jobs first serves more jobs: fewer wait long enough to leave.
    assert!(
        p("sjf") < p("fcfs") - 0.01,
        "sjf {} fcfs {}",
        p("sjf"),
        p("fcfs")
    );
    // A job that has started is never lost to its patience: under
    // processor sharing every job starts on arrival.
    assert_eq!(p("ps"), 0.0);
    assert!(p("rr(q=0.5)") > 0.0 && p("srpt") > 0.0);
}

#[test]
fn a_network_with_patience_runs_reproducibly() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/networks/jackson3.toml");
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace(
            "service = { dist = \"exponential\", mean = 0.5 }",
            "service = { dist = \"exponential\", mean = 0.5 }\npatience = { dist = \"exponential\", mean = 0.5 }",
        );
    assert!(text.contains("patience"), "the scenario changed shape");
    let mut s = Scenario::from_toml(&text, Path::new("jackson3.toml")).unwrap();
    s.horizon = Limit::Jobs(20_000);
    s.replications = 2;
    let a = run(&s);
    let b = run(&s);
    let r = &overall(&a).stats;
    assert!(r.p_renege.mean > 0.0 && r.p_renege.mean < 1.0);
    // Reproducible to the bit (NaN figures included, hence the debug form).
    assert_eq!(format!("{r:?}"), format!("{:?}", overall(&b).stats));
}

const BASE: &str = r#"
name = "impatient"
horizon = { jobs = 1000 }
[[classes]]
name = "calls"
arrival = { dist = "exponential", rate = 1.0 }
service = { dist = "exponential", mean = 0.5 }
"#;

const NODE: &str = "[[nodes]]\nname = \"agents\"\nservers = 1\n";

#[test]
fn bad_behaviour_is_refused_with_the_field_and_value() {
    refused(
        &format!("{BASE}baulk = {{ probabilities = [0.0, 1.5] }}\n{NODE}"),
        "classes[0].baulk.probabilities[1]",
        "1.5",
    );
    refused(
        &format!("{BASE}baulk = {{ probabilities = [-0.1] }}\n{NODE}"),
        "classes[0].baulk.probabilities[0]",
        "-0.1",
    );
    refused(
        &format!("{BASE}baulk = {{ probabilities = [] }}\n{NODE}"),
        "classes[0].baulk.probabilities",
        "[]",
    );
    refused(
        &format!("{BASE}patience = {{ dist = \"deterministic\", value = 0.0 }}\n{NODE}"),
        "classes[0].patience.value",
        "0",
    );
    refused(
        &format!(
            "{BASE}patience = {{ dist = \"exponential\", mean = 1.0 }}\n{NODE}[[nodes]]\nname = \"b\"\nservers = 1\n[dispatch]\nrule = \"pull\"\n"
        ),
        "classes[0].patience",
        "pull",
    );
}
