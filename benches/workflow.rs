//! HEFT's planning time on large workflows, one thread.
//!
//! `cargo bench --bench workflow` plans, with HEFT on 16 nodes of speeds
//! 1, 1, 2, 2, ... and a network of bandwidth 1e8 and latency 0.01:
//! - `heft/1000` and `heft/10000`: a layered Montage-like graph of 1,000
//!   and 10,000 tasks (fan-out from a first layer, 1 to 4 parents per task
//!   in the layer above, a few merges at the end), seeded;
//! - `cpop/1000`: CPOP on the 1,000-task graph.
//!
//! The targets of issue 20: 1,000 tasks under 1 s, 10,000 under 30 s.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use schedlab::model::workflow::{Dag, TaskSpec};
use schedlab::workflow::{self, Platform, Policy};

/// Layers of about `sqrt(n)` tasks, each task with 1 to 4 parents in the
/// layer above and sending each 1e6 to 1e8 bytes.
fn layered(n: usize, seed: u64) -> Dag {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let width = (n as f64).sqrt().ceil() as usize;
    let tasks = (0..n)
        .map(|i| {
            let layer = i / width;
            let parents = if layer == 0 {
                Vec::new()
            } else {
                let above = (layer - 1) * width..layer * width;
                let mut ps: Vec<(String, f64)> = Vec::new();
                for _ in 0..rng.random_range(1..=4) {
                    let p = rng.random_range(above.clone());
                    if !ps.iter().any(|(q, _)| *q == format!("t{p}")) {
                        ps.push((format!("t{p}"), rng.random_range(1e6..1e8)));
                    }
                }
                ps
            };
            TaskSpec {
                id: format!("t{i}"),
                work: rng.random_range(1.0..100.0),
                cores: 1.0,
                parents,
            }
        })
        .collect();
    Dag::new("layered", tasks).expect("a layered graph is acyclic")
}

fn platform() -> Platform {
    let speeds: Vec<f64> = (0..16).map(|k| if k % 4 < 2 { 1.0 } else { 2.0 }).collect();
    Platform::with_speeds(&speeds)
        .expect("positive speeds")
        .with_network(1e8, 0.01)
        .expect("a valid network")
}

fn bench(c: &mut Criterion) {
    let p = platform();
    let small = layered(1000, 1);
    let large = layered(10_000, 1);
    let mut g = c.benchmark_group("workflow");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("heft/1000", |b| {
        b.iter(|| black_box(workflow::schedule(&small, &p, Policy::Heft, 1)))
    });
    g.bench_function("cpop/1000", |b| {
        b.iter(|| black_box(workflow::schedule(&small, &p, Policy::Cpop, 1)))
    });
    g.bench_function("heft/10000", |b| {
        b.iter(|| black_box(workflow::schedule(&large, &p, Policy::Heft, 1)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
