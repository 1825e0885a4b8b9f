//! Engine throughput in completed customers per second.
//!
//! `cargo bench --bench engine` runs, on one thread:
//! - `mm2_fcfs/schedlab`: one replication of M/M/2 at load 0.9 under FCFS,
//!   with all the statistics `schedlab run` reports;
//! - `mm2_fcfs/handwritten`: a bare binary-heap loop of the same system that
//!   only accumulates the mean wait: the bar to approach.
//!
//! - `mm1_load_0.9/*`: M/M/1 at load 0.9 under srpt, ps, fb and rr;
//! - `jackson3/fcfs`: the 3-node Jackson network of
//!   `scenarios/networks/jackson3.toml`, throughput counted in visits.
//!
//! - `reneging/queue_N`: an overloaded M/M/1 (λ = 2, μ = 1) whose jobs
//!   renege with exponential patience of mean N, so about N jobs wait
//!   (Erlang A above saturation: Lq ≈ (λ − μ) × mean patience): the cost
//!   per event must grow like log N, not N (a patience timer per waiting
//!   job in the heap, `remove` from the queue by id, no scan).
//!
//! - `dispatch_10k/*`: 10,000 single-server nodes at load 0.9 behind
//!   round-robin, random, power-of-2, jsq and lwl, side by side: the rules
//!   that read node loads choose through an index (O(log n) per arrival),
//!   and should run at least half as fast as round-robin, which reads none
//!   (`cargo bench --bench engine -- dispatch_10k`).
//!
//! Criterion prints throughput in elements (customers, or visits) per second.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp};
use rand_pcg::Pcg64Mcg;
use schedlab::experiment::{run_replication, simulate};
use schedlab::model::{Limit, Scenario};

const CUSTOMERS: u64 = 1_000_000;

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    let mut s = Scenario::from_file(&path).expect("bundled scenario");
    s.warmup = Limit::Jobs(0);
    s.horizon = Limit::Jobs(CUSTOMERS);
    s
}

/// M/M/c FCFS by hand: a heap of departure times and a FIFO of arrival times.
fn handwritten_mmc(lambda: f64, mu: f64, c: usize, n: u64, seed: u64) -> f64 {
    let mut arrivals = Pcg64Mcg::seed_from_u64(seed);
    let mut sizes = Pcg64Mcg::seed_from_u64(seed + 1);
    let inter = Exp::new(lambda).unwrap();
    let service = Exp::new(mu).unwrap();
    let mut departures: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
    let mut queue: VecDeque<f64> = VecDeque::new();
    let mut next_arrival = inter.sample(&mut arrivals);
    let (mut busy, mut done, mut total_wait) = (0usize, 0u64, 0.0);
    while done < n {
        let next_departure = departures
            .peek()
            .map_or(f64::INFINITY, |d| f64::from_bits(d.0));
        if next_arrival <= next_departure {
            let now = next_arrival;
            if busy < c {
                busy += 1;
                departures.push(Reverse((now + service.sample(&mut sizes)).to_bits()));
            } else {
                queue.push_back(now);
            }
            next_arrival = now + inter.sample(&mut arrivals);
        } else {
            let now = next_departure;
            departures.pop();
            done += 1;
            match queue.pop_front() {
                Some(arrived) => {
                    total_wait += now - arrived;
                    departures.push(Reverse((now + service.sample(&mut sizes)).to_bits()));
                }
                None => busy -= 1,
            }
        }
    }
    total_wait / n as f64
}

fn mm2_fcfs(c: &mut Criterion) {
    let mut g = c.benchmark_group("mm2_fcfs");
    g.throughput(Throughput::Elements(CUSTOMERS));
    g.sample_size(20);
    let s = scenario("mm2.toml");
    g.bench_function("schedlab", |b| {
        b.iter(|| black_box(run_replication(&s, &s.policies[0], 0).info.completed))
    });
    g.bench_function("no_statistics", |b| {
        b.iter(|| {
            let (_, info) = simulate(&s, &s.policies[0], 0, (), s.warmup, s.horizon);
            black_box(info.completed)
        })
    });
    g.bench_function("handwritten", |b| {
        b.iter(|| black_box(handwritten_mmc(1.8, 1.0, 2, CUSTOMERS, 42)))
    });
    g.finish();
}

/// M/M/1 at load 0.9 under the disciplines whose bookkeeping is not a
/// plain queue: SRPT (heap, preemption), PS (virtual time), FB (attained-
/// service groups) and RR (one event per quantum; 0.1 gives about ten
/// quanta per job).
fn mm1_disciplines(c: &mut Criterion) {
    let mut g = c.benchmark_group("mm1_load_0.9");
    g.throughput(Throughput::Elements(CUSTOMERS));
    g.sample_size(10);
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mm1.toml"),
    )
    .expect("bundled scenario")
    .replace("rate = 0.8", "rate = 0.9")
    .replace(
        "discipline = \"fcfs\"",
        "compare = [\"fcfs\", \"srpt\", \"ps\", \"fb\", { discipline = \"rr\", quantum = 0.1 }]",
    );
    let mut s = Scenario::from_toml(&text, Path::new("mm1-0.9.toml")).expect("valid scenario");
    s.warmup = Limit::Jobs(0);
    s.horizon = Limit::Jobs(CUSTOMERS);
    for policy in &s.policies {
        g.bench_function(policy.label(), |b| {
            b.iter(|| black_box(run_replication(&s, policy, 0).info.completed))
        });
    }
    g.finish();
}

/// The 3-node Jackson network of `scenarios/networks/jackson3.toml`
/// (feedback, a 2-server node): throughput in visits per second.
fn jackson3(c: &mut Criterion) {
    let mut g = c.benchmark_group("jackson3");
    g.sample_size(10);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/networks/jackson3.toml");
    let mut s = Scenario::from_file(&path).expect("bundled scenario");
    s.warmup = Limit::Jobs(0);
    s.horizon = Limit::Jobs(CUSTOMERS);
    // Visits per job from the traffic equations: throughput is in visits.
    let visits: f64 = s.visit_rates(None).iter().sum::<f64>() / s.arrival_rate(0);
    g.throughput(Throughput::Elements((CUSTOMERS as f64 * visits) as u64));
    g.bench_function("fcfs", |b| {
        b.iter(|| black_box(run_replication(&s, &s.policies[0], 0).info.completed))
    });
    g.finish();
}

/// The task lifecycle: `scenarios/lifecycle/retries.toml` (timeouts,
/// failures, jittered backoff, queue timeout, deadline and rollback on
/// four servers) and `feedback.toml` (failures at the end, retried at
/// once): throughput in attempts, counted once per run from the rows.
fn lifecycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("lifecycle");
    g.sample_size(10);
    for name in ["retries.toml", "feedback.toml"] {
        let mut s = scenario(&format!("lifecycle/{name}"));
        s.replications = 1;
        let attempts = {
            let out = schedlab::experiment::run(&s);
            let all = &out.rows[0].stats.tasks;
            (all.mean_attempts.mean * CUSTOMERS as f64) as u64
        };
        g.throughput(Throughput::Elements(attempts));
        g.bench_function(name.trim_end_matches(".toml"), |b| {
            b.iter(|| black_box(run_replication(&s, &s.policies[0], 0).info.completed))
        });
    }
    g.finish();
}

fn reneging(c: &mut Criterion) {
    let mut g = c.benchmark_group("reneging");
    g.sample_size(10);
    const MEASURED: u64 = 200_000;
    for queue in [1_000u64, 10_000, 100_000] {
        let text = format!(
            "name = \"renege\"\nwarmup = {{ jobs = {warm} }}\nhorizon = {{ jobs = {MEASURED} }}\n\
             [[classes]]\nname = \"a\"\narrival = {{ dist = \"exponential\", rate = 2.0 }}\n\
             service = {{ dist = \"exponential\", mean = 1.0 }}\n\
             patience = {{ dist = \"exponential\", mean = {queue}.0 }}\n\
             [[nodes]]\nname = \"n\"\nservers = 1\n",
            // The queue fills at λ − μ = 1 job per unit of time, while μ = 1 jobs complete.
            warm = 3 * queue,
        );
        let s = Scenario::from_toml(&text, Path::new("renege.toml")).expect("valid scenario");
        // Completions of the whole run, warm-up included (each with about two
        // arrivals and one renege around it).
        g.throughput(Throughput::Elements(3 * queue + MEASURED));
        g.bench_function(format!("queue_{queue}"), |b| {
            b.iter(|| black_box(run_replication(&s, &s.policies[0], 0).info.completed))
        });
    }
    g.finish();
}

/// 10,000 single-server nodes at load 0.9 (10^6 jobs from empty), one
/// replication per dispatch rule.
fn dispatch_10k(c: &mut Criterion) {
    const NODES: usize = 10_000;
    const JOBS: u64 = 1_000_000;
    let mut g = c.benchmark_group("dispatch_10k");
    g.throughput(Throughput::Elements(JOBS));
    g.sample_size(10);
    let mut nodes = String::new();
    for j in 0..NODES {
        nodes += &format!("[[nodes]]\nname = \"n{j}\"\nservers = 1\n");
    }
    let rules = [
        ("round-robin", "rule = \"round-robin\""),
        ("random", "rule = \"random\""),
        ("power-of-2", "rule = \"power-of-d\"\nd = 2"),
        ("jsq", "rule = \"jsq\""),
        ("lwl", "rule = \"lwl\""),
    ];
    for (label, rule) in rules {
        let text = format!(
            "name = \"farm10k\"\nwarmup = {{ jobs = 0 }}\nhorizon = {{ jobs = {JOBS} }}\n\
             [[classes]]\nname = \"a\"\narrival = {{ dist = \"exponential\", rate = {rate} }}\n\
             service = {{ dist = \"exponential\", mean = 1.0 }}\n{nodes}[dispatch]\n{rule}\n",
            rate = 0.9 * NODES as f64,
        );
        let s = Scenario::from_toml(&text, Path::new("farm10k.toml")).expect("valid scenario");
        g.bench_function(label, |b| {
            b.iter(|| black_box(run_replication(&s, &s.policies[0], 0).info.completed))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    mm2_fcfs,
    mm1_disciplines,
    jackson3,
    lifecycle,
    reneging,
    dispatch_10k
);
criterion_main!(benches);
