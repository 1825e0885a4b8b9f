//! The bar for `benches/scale.sh cluster`: the same cluster as its
//! scenario (single-server FCFS nodes at load 0.9, exponential sizes of
//! mean 1, power-of-2 choices on the number present) written as a bare
//! loop: a binary heap of departures and a FIFO of arrival times per node,
//! summing responses and nothing else. No engine can beat it; it shows how
//! much of the engine's time at 100,000 nodes is the memory any simulator
//! of this cluster must touch.
//!
//! `cargo bench --bench cluster_loop [-- NODES JOBS]` (defaults 100,000
//! and 10^7) prints the mean response, the wall time and jobs per second.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp};
use rand_pcg::Pcg64Mcg;

fn main() {
    // `cargo bench` passes `--bench`; the numbers are what follows `--`.
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let nodes = args.first().copied().unwrap_or(100_000) as usize;
    let jobs = args.get(1).copied().unwrap_or(10_000_000);
    let mut arrivals = Pcg64Mcg::seed_from_u64(1);
    let mut sizes = Pcg64Mcg::seed_from_u64(2);
    let mut choices = Pcg64Mcg::seed_from_u64(3);
    let inter = Exp::new(0.9 * nodes as f64).expect("positive rate");
    let service = Exp::new(1.0).expect("positive rate");
    let mut queues: Vec<VecDeque<f64>> = vec![VecDeque::new(); nodes];
    let mut departures: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    let mut next_arrival = inter.sample(&mut arrivals);
    let (mut done, mut total_response) = (0u64, 0.0);
    let start = Instant::now();
    while done < jobs {
        let next_departure = departures
            .peek()
            .map_or(f64::INFINITY, |d| f64::from_bits(d.0.0));
        if next_arrival <= next_departure {
            let now = next_arrival;
            // Two distinct nodes; the one with fewer present, the first on a tie.
            let a = choices.random_range(0..nodes);
            let mut b = choices.random_range(0..nodes - 1);
            if b >= a {
                b += 1;
            }
            let j = if queues[b].len() < queues[a].len() {
                b
            } else {
                a
            };
            queues[j].push_back(now);
            if queues[j].len() == 1 {
                let end = now + service.sample(&mut sizes);
                departures.push(Reverse((end.to_bits(), j as u32)));
            }
            next_arrival = now + inter.sample(&mut arrivals);
        } else {
            let Reverse((t, j)) = departures.pop().expect("peeked");
            let now = f64::from_bits(t);
            let queue = &mut queues[j as usize];
            total_response += now - queue.pop_front().expect("a job in service");
            done += 1;
            if !queue.is_empty() {
                let end = now + service.sample(&mut sizes);
                departures.push(Reverse((end.to_bits(), j)));
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "hand-written loop, {nodes} nodes, {jobs} jobs: mean response {:.4}, {secs:.2} s, {:.2} M jobs/s",
        total_response / jobs as f64,
        jobs as f64 / secs / 1e6
    );
}
