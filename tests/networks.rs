//! Queueing networks against exact results, at fixed seeds: Jackson and
//! BCMP product forms, Burke's tandem, Bernoulli feedback, class
//! switching, rigid multi-server visits against M/G/1, blocking after
//! service against its Markov chain solved here, and deadlock detection.
//!
//! Each exact value is computed in this file from first principles (not
//! taken from `theory`), and must lie within two 95% half-widths of the
//! simulated mean (about four and a half standard errors).

use std::path::Path;

mod common;
use assert_cmd::Command;
use common::refused;
use schedlab::experiment::{self, Row, RunOutput};
use schedlab::model::{Limit, Scenario};
use schedlab::stats::Selection;
use schedlab::theory;

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/networks")
        .join(name);
    Scenario::from_file(&path).expect("bundled scenario parses")
}

fn row(out: &RunOutput, selection: Selection) -> &Row {
    out.rows
        .iter()
        .find(|r| r.selection == selection)
        .expect("the row exists")
}

fn assert_within(what: &str, mean: f64, ci: Option<f64>, exact: f64) {
    let h = ci.expect("several replications give a CI");
    assert!(
        (mean - exact).abs() <= 2.0 * h,
        "{what}: simulated {mean:.5} ± {h:.5}, exact {exact:.5} (off by {:.2} half-widths)",
        (mean - exact).abs() / h
    );
}

fn check_response(out: &RunOutput, selection: Selection, exact: f64, what: &str) {
    let r = &row(out, selection).stats.mean_response;
    assert_within(what, r.mean, r.ci95, exact);
}

/// M/M/c mean response by Erlang C, computed here.
fn mmc_response(lambda: f64, mean: f64, c: u32) -> f64 {
    let a = lambda * mean;
    let rho = a / f64::from(c);
    assert!(rho < 1.0);
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - rho);
    let p_wait = last / (sum + last);
    p_wait * mean / (f64::from(c) * (1.0 - rho)) + mean
}

/// The prediction `theory` gives for a row, which must agree with ours.
fn predicted(s: &Scenario, selection: Selection) -> f64 {
    theory::predict(s, &s.policies[0], selection)
        .expect("the network has product form")
        .mean_response
}

#[test]
fn three_node_jackson_network_with_feedback_and_two_servers() {
    let s = scenario("jackson3.toml");
    // Traffic equations: web = 1 + 0.1 db, app = 0.8 web + 0.3 db, db = 0.6 app.
    let app = 0.8 / (1.0 - 0.18 - 0.8 * 0.1 * 0.6);
    let db = 0.6 * app;
    let web = 1.0 + 0.1 * db;
    let w = [
        mmc_response(web, 0.5, 1),
        mmc_response(app, 1.2, 2),
        mmc_response(db, 0.4, 1),
    ];
    let total = web * w[0] + app * w[1] + db * w[2];
    let out = experiment::run(&s);
    check_response(&out, Selection::All, total, "network response");
    for (j, (&wj, name)) in w.iter().zip(["web", "app", "db"]).enumerate() {
        check_response(&out, Selection::Node(j), wj, name);
        assert!((predicted(&s, Selection::Node(j)) - wj).abs() < 1e-9 * wj);
    }
    assert!((predicted(&s, Selection::All) - total).abs() < 1e-9 * total);
    let v = &row(&out, Selection::All).stats.visits;
    assert_within("visits", v.mean, v.ci95, web + app + db);
    // Throughput of a node is its visit rate.
    let x = &row(&out, Selection::Node(1)).stats.throughput;
    assert_within("app throughput", x.mean, x.ci95, app);
}

#[test]
fn tandem_mm1_mm2_is_two_independent_queues() {
    let s = scenario("tandem.toml");
    let (first, second) = (1.0 / (1.0 - 0.8), mmc_response(0.8, 2.0, 2));
    let out = experiment::run(&s);
    check_response(&out, Selection::Node(0), first, "M/M/1 stage");
    check_response(&out, Selection::Node(1), second, "M/M/2 stage");
    check_response(&out, Selection::All, first + second, "end to end");
    let wait = &row(&out, Selection::All).stats.mean_wait;
    assert_within("wait", wait.mean, wait.ci95, first + second - 3.0);
}

#[test]
fn mm1_with_bernoulli_feedback() {
    let s = scenario("feedback.toml");
    let out = experiment::run(&s);
    check_response(&out, Selection::All, 2.0, "response over all visits");
    check_response(&out, Selection::Node(0), 1.0, "one visit");
    let l = &row(&out, Selection::Node(0)).stats.mean_in_system;
    assert_within("L", l.mean, l.ci95, 1.0);
}

#[test]
fn ps_network_with_hyperexponential_demands_has_product_form() {
    let s = scenario("bcmp-ps.toml");
    // cpu = 0.5 + disk, disk = 0.6 cpu: cpu = 1.25, disk = 0.75.
    let (cpu, disk) = (1.25, 0.75);
    let (rho_cpu, rho_disk) = (cpu * 0.5, disk * 0.8);
    let (t_cpu, t_disk) = (0.5 / (1.0 - rho_cpu), 0.8 / (1.0 - rho_disk));
    let out = experiment::run(&s);
    check_response(&out, Selection::Node(0), t_cpu, "cpu visit");
    check_response(&out, Selection::Node(1), t_disk, "disk visit");
    let l = &row(&out, Selection::Node(0)).stats.mean_in_system;
    assert_within("cpu L", l.mean, l.ci95, rho_cpu / (1.0 - rho_cpu));
    let total = (cpu * t_cpu + disk * t_disk) / 0.5;
    check_response(&out, Selection::All, total, "end to end");
    assert!((predicted(&s, Selection::All) - total).abs() < 1e-9 * total);
}

#[test]
fn class_switching_follows_the_per_class_traffic_equations() {
    let s = scenario("class-switch.toml");
    // Visit rates for jobs entering as each class: q at front, u at store.
    // From query entry (rate 0.6): q_front = 0.6 + 0.25 u_store, u_store = 0.7 q_front.
    let q_entry = 0.6 / (1.0 - 0.25 * 0.7);
    let u_entry = 0.7 * q_entry;
    // From update entry (rate 0.2): u_store = 0.2 + 0.7 q_front, q_front = 0.25 u_store.
    let u_update = 0.2 / (1.0 - 0.25 * 0.7);
    let q_update = 0.25 * u_update;
    let (front, store) = (q_entry + q_update, u_entry + u_update);
    let (w_front, w_store) = (mmc_response(front, 0.5, 1), mmc_response(store, 0.7, 1));
    let query = (q_entry * w_front + u_entry * w_store) / 0.6;
    let update = (q_update * w_front + u_update * w_store) / 0.2;
    let out = experiment::run(&s);
    check_response(&out, Selection::Class(0), query, "queries");
    check_response(&out, Selection::Class(1), update, "updates");
    check_response(&out, Selection::Node(0), w_front, "front");
    check_response(&out, Selection::Node(1), w_store, "store");
    assert!((predicted(&s, Selection::Class(0)) - query).abs() < 1e-9 * query);
    assert!((predicted(&s, Selection::Class(1)) - update).abs() < 1e-9 * update);
}

#[test]
fn a_visit_holding_every_server_is_mg1() {
    // Sizes hyperexponential (scv 4), mean 1, on c = 4 servers of speed 1,
    // each visit taking all four: M/G/1 with the same sizes.
    let text = |servers: u32, width: u32| {
        format!(
            "name = \"rigid\"\nseed = 21\nreplications = 10\nwarmup = {{ jobs = 20000 }}\n\
             horizon = {{ jobs = 200000 }}\n[[classes]]\nname = \"wide\"\n\
             arrival = {{ dist = \"exponential\", rate = 0.6 }}\n\
             service = {{ dist = \"hyperexponential\", mean = 1.0, scv = 4.0 }}\n\
             servers_per_job = {width}\n[[nodes]]\nname = \"n\"\nservers = {servers}\n"
        )
    };
    let wide = Scenario::from_toml(&text(4, 4), Path::new("wide.toml")).unwrap();
    let one = Scenario::from_toml(&text(1, 1), Path::new("one.toml")).unwrap();
    let (a, b) = (experiment::run(&wide), experiment::run(&one));
    // The same jobs at the same times: job for job the same schedule.
    let (ra, rb) = (row(&a, Selection::All), row(&b, Selection::All));
    assert_eq!(ra.stats.mean_response, rb.stats.mean_response);
    assert_eq!(ra.stats.jobs, rb.stats.jobs);
    // Pollaczek-Khinchine: W = E[S] + λ E[S²] / (2 (1 − ρ)), E[S²] = (1 + scv) E[S]².
    let exact = 1.0 + 0.6 * 5.0 / (2.0 * 0.4);
    check_response(&a, Selection::All, exact, "M/G/1");
    let u = &ra.stats.utilization;
    assert_within("utilisation", u.mean, u.ci95, 0.6);
    let p = theory::predict(&wide, &wide.policies[0], Selection::All).unwrap();
    assert!((p.mean_response - exact).abs() < 1e-9);
}

/// Stationary distribution of a finite CTMC given its transitions.
fn stationary(n: usize, transitions: &[(usize, usize, f64)]) -> Vec<f64> {
    // Balance πQ = 0 with Σπ = 1, the last equation replaced by the sum.
    let mut a = vec![vec![0.0; n + 1]; n];
    for &(from, to, rate) in transitions {
        a[to][from] += rate;
        a[from][from] -= rate;
    }
    for x in a[n - 1].iter_mut() {
        *x = 1.0;
    }
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        let p = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / p[col];
                for (x, q) in row.iter_mut().zip(&p) {
                    *x -= f * q;
                }
            }
        }
    }
    (0..n).map(|i| a[i][n] / a[i][i]).collect()
}

#[test]
fn blocking_after_service_matches_its_markov_chain() {
    let s = scenario("blocking-tandem.toml");
    let (lambda, mu1, mu2, k1, k2) = (1.0, 1.0 / 0.8, 1.0 / 0.9, 3usize, 2usize);
    // State (n1, n2, b): jobs at each node, b = the first server is blocked.
    let mut states = Vec::new();
    for n1 in 0..=k1 {
        for n2 in 0..=k2 {
            states.push((n1, n2, false));
            if n1 >= 1 && n2 == k2 {
                states.push((n1, n2, true));
            }
        }
    }
    let index = |s: (usize, usize, bool)| states.iter().position(|&x| x == s).unwrap();
    let mut t = Vec::new();
    for (i, &(n1, n2, b)) in states.iter().enumerate() {
        if n1 < k1 {
            t.push((i, index((n1 + 1, n2, b)), lambda));
        }
        if n1 >= 1 && !b {
            let to = if n2 < k2 {
                (n1 - 1, n2 + 1, false)
            } else {
                (n1, n2, true)
            };
            t.push((i, index(to), mu1));
        }
        if n2 >= 1 {
            let to = if b {
                (n1 - 1, n2, false)
            } else {
                (n1, n2 - 1, false)
            };
            t.push((i, index(to), mu2));
        }
    }
    let pi = stationary(states.len(), &t);
    let p = |f: &dyn Fn(usize, usize, bool) -> bool| -> f64 {
        states
            .iter()
            .zip(&pi)
            .filter(|((a, b, c), _)| f(*a, *b, *c))
            .map(|(_, p)| p)
            .sum()
    };
    let p_loss = p(&|n1, _, _| n1 == k1);
    let throughput = lambda * (1.0 - p_loss);
    let l1: f64 = states.iter().zip(&pi).map(|(s, p)| s.0 as f64 * p).sum();
    let l2: f64 = states.iter().zip(&pi).map(|(s, p)| s.1 as f64 * p).sum();
    // Visits at the first node that end blocked: completions finding the second full.
    let p_block = p(&|n1, n2, b| n1 >= 1 && n2 == k2 && !b) * mu1 / throughput;
    let out = experiment::run(&s);
    let all = &row(&out, Selection::All).stats;
    assert_within(
        "loss probability",
        all.blocking_probability.mean,
        all.blocking_probability.ci95,
        p_loss,
    );
    assert_within(
        "throughput",
        all.throughput.mean,
        all.throughput.ci95,
        throughput,
    );
    assert_within(
        "response",
        all.mean_response.mean,
        all.mean_response.ci95,
        (l1 + l2) / throughput,
    );
    let first = &row(&out, Selection::Node(0)).stats;
    assert_within(
        "L first",
        first.mean_in_system.mean,
        first.mean_in_system.ci95,
        l1,
    );
    assert_within(
        "visit response at first (blocked time included)",
        first.mean_response.mean,
        first.mean_response.ci95,
        l1 / throughput,
    );
    assert_within("p_block", first.p_block.mean, first.p_block.ci95, p_block);
    // Time blocked per visit: blocked-server time over visits.
    let blocked = p(&|_, _, b| b) / throughput;
    assert_within(
        "blocked time",
        first.blocked_time.mean,
        first.blocked_time.ci95,
        blocked,
    );
    assert!(out.deadlocks.is_empty());
}

#[test]
fn a_network_built_to_deadlock_reports_it_and_one_that_cannot_never_does() {
    let s = scenario("deadlock.toml");
    let out = experiment::run(&s);
    assert_eq!(out.deadlocks.len(), s.replications as usize);
    for d in &out.deadlocks {
        assert_eq!(d.deadlock.nodes, vec![0, 1]);
        assert!(d.deadlock.time > 0.0 && d.deadlock.time.is_finite());
    }
    let json = Command::cargo_bin("schedlab")
        .unwrap()
        .args(["run", "--json"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/networks/deadlock.toml"))
        .output()
        .unwrap();
    assert!(json.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["deadlock"]["replication"], 0);
    assert_eq!(doc["deadlock"]["nodes"], serde_json::json!(["a", "b"]));
    assert!(doc["deadlock"]["time"].as_f64().unwrap() > 0.0);
    // Without feedback nothing can wait in a cycle, however long it runs.
    let mut tandem = scenario("blocking-tandem.toml");
    tandem.horizon = Limit::Jobs(500_000);
    tandem.replications = 2;
    assert!(experiment::run(&tandem).deadlocks.is_empty());
}

const BASE: &str = r#"
name = "net"
horizon = { jobs = 1000 }
[[classes]]
name = "q"
arrival = { dist = "exponential", rate = 1.0 }
service = { dist = "exponential", mean = 0.1 }
node = "web"
[[nodes]]
name = "web"
servers = 1
[[nodes]]
name = "db"
servers = 2
"#;

#[test]
fn bad_networks_are_refused_with_the_field_and_value() {
    let route = |to: &str| format!("{BASE}[[routes]]\nfrom = \"web\"\nto = [{to}]\n");
    refused(
        &route("{ node = \"cache\", p = 1.0 }"),
        "routes[0].to[0].node",
        "cache",
    );
    refused(
        &route("{ node = \"db\", p = 1.0, class = \"nope\" }"),
        "routes[0].to[0].class",
        "nope",
    );
    refused(
        &format!(
            "{BASE}[[routes]]\nfrom = \"web\"\nclass = \"nope\"\nto = [{{ node = \"db\", p = 1.0 }}]\n"
        ),
        "routes[0].class",
        "nope",
    );
    refused(
        &route("{ node = \"db\", p = 0.5 }, { node = \"exit\", p = 0.4 }"),
        "routes[0].to",
        "0.9",
    );
    // web -> db -> web forever: db is on a closed loop.
    refused(
        &format!(
            "{}[[routes]]\nfrom = \"db\"\nto = [{{ node = \"web\", p = 1.0 }}]\n",
            route("{ node = \"db\", p = 1.0 }")
        ),
        "routes[",
        "closed loop",
    );
    refused(
        &BASE.replace("node = \"web\"\n", "node = \"web\"\nservers_per_job = 2\n"),
        "classes[0].servers_per_job",
        "2",
    );
    refused(
        &BASE.replace("servers = 2\n", "servers = 2\nwhen_full = \"block\"\n"),
        "nodes[1].when_full",
        "block",
    );
    refused(
        &BASE.replace(
            "node = \"web\"\n",
            "node = \"web\"\nservice_at = { disk = { dist = \"exponential\", mean = 1.0 } }\n",
        ),
        "classes[0].service_at.disk",
        "disk",
    );
    refused(
        &BASE.replace("servers = 2\n", "servers = 2\ndiscipline = \"magic\"\n"),
        "nodes[1].discipline",
        "magic",
    );
}

#[test]
fn theory_of_a_network_scenario_from_the_command_line() {
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args(["theory", "--json"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/networks/jackson3.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r["formula"] == "jackson"));
}
