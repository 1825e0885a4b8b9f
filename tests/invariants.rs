//! Invariants every discipline must keep, on random small workloads
//! (property tests): the same jobs pushed through every registered policy.

use std::path::Path;

use proptest::prelude::*;
use schedlab::engine::{Observer, Simulation};
use schedlab::job::Job;
use schedlab::model::{Limit, Scenario};
use schedlab::policy::{AnyPolicy, DISCIPLINES, Policy, QueuePolicy, Sharing, SharingPolicy};
use schedlab::workload::{Arrival, FixedWorkload};

/// Every discipline, with parameters where it needs them.
const POLICIES: &str = r#"
compare = [
  "fcfs", "lcfs", "lcfs-pr", "sjf", { discipline = "sjf", estimate_scv = 1.0 }, "psjf", "srpt",
  "priority", "priority-pr", { discipline = "rr", quantum = 0.5 }, "ps", "fb",
  { discipline = "mlfq", levels = [0.5, 1.0, "fcfs"], boost = 5.0 },
  { discipline = "mlq", levels = [{ classes = ["a"], discipline = "rr", quantum = 0.25 }, { classes = ["b"], discipline = "srpt" }] },
  "edf", "hrrn",
]
"#;

fn scenario(servers: u32, speed: f64) -> Scenario {
    let text = format!(
        "name = \"prop\"\nhorizon = {{ jobs = 1000000 }}\n\
         [[classes]]\nname = \"a\"\narrival = {{ dist = \"exponential\", rate = 1.0 }}\n\
         service = {{ dist = \"exponential\", mean = 1.0 }}\npriority = 0\ndeadline = 3.0\n\
         [[classes]]\nname = \"b\"\narrival = {{ dist = \"exponential\", rate = 1.0 }}\n\
         service = {{ dist = \"exponential\", mean = 1.0 }}\npriority = 1\n\
         [[nodes]]\nname = \"n\"\nservers = {servers}\nspeed = {speed}\n\
         [policy]\n{POLICIES}"
    );
    Scenario::from_toml(&text, Path::new("prop.toml")).expect("test scenario is valid")
}

/// Records completions, service starts, and the work done so far, sampled
/// at each arrival (unfinished work = arrived work − work done).
#[derive(Default)]
struct Probe {
    speed: f64,
    done: Vec<(u64, f64)>,
    starts: Vec<u64>,
    busy: f64,
    last: f64,
    work_done: f64,
    arrived: f64,
    unfinished_at_arrivals: Vec<f64>,
}

impl Probe {
    fn advance(&mut self, now: f64) {
        self.work_done += self.busy * self.speed * (now - self.last);
        self.last = now;
    }
}

impl Observer for Probe {
    fn on_arrival(&mut self, now: f64, job: &Job) {
        self.advance(now);
        self.unfinished_at_arrivals
            .push(self.arrived - self.work_done);
        self.arrived += job.size;
    }
    fn on_start(&mut self, now: f64, job: &Job, _server: u32) {
        self.advance(now);
        self.busy += 1.0;
        self.starts.push(job.seq);
    }
    fn on_stop(&mut self, now: f64, _job: &Job, _server: u32) {
        self.advance(now);
        self.busy -= 1.0;
    }
    fn on_shares(&mut self, now: f64, _node: u32, busy: &[f64], _before: &[f64]) {
        self.advance(now);
        self.busy = busy.iter().sum();
    }
    fn on_complete(&mut self, now: f64, job: &Job) {
        self.done.push((job.seq, now));
    }
}

fn run(s: &Scenario, policy: &AnyPolicy, arrivals: &[Arrival]) -> Probe {
    let probe = Probe {
        speed: s.nodes[0].speed,
        ..Probe::default()
    };
    let mut sim = Simulation::new(
        s,
        FixedWorkload::new(arrivals.to_vec()),
        policy,
        None,
        probe,
    );
    sim.run(Limit::Jobs(0), Limit::Jobs(u64::MAX));
    sim.into_observer()
}

/// Jobs: arrival gaps (some zero, for simultaneous arrivals), sizes, classes.
fn workload() -> impl Strategy<Value = Vec<Arrival>> {
    prop::collection::vec((0u32..4, 1u32..40, 0u32..2), 1..40).prop_map(|jobs| {
        let mut t = 0.0;
        jobs.into_iter()
            .map(|(gap, size, class)| {
                t += f64::from(gap) * 0.5;
                Arrival::new(t, class, f64::from(size) * 0.125)
            })
            .collect()
    })
}

fn mean_response(p: &Probe, arrivals: &[Arrival]) -> f64 {
    let sorted = {
        let mut a = arrivals.to_vec();
        a.sort_by(|x, y| x.time.total_cmp(&y.time));
        a
    };
    p.done
        .iter()
        .map(|&(seq, t)| t - sorted[seq as usize].time)
        .sum::<f64>()
        / p.done.len() as f64
}

#[test]
fn every_registered_discipline_is_exercised() {
    let s = scenario(1, 1.0);
    for name in DISCIPLINES {
        assert!(
            s.policies.iter().any(|p| p.label().starts_with(name)),
            "discipline {name} is missing from the invariant tests"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_job_completes_once_and_not_too_early(arrivals in workload(), servers in 1u32..4, speed in prop::sample::select(vec![0.5, 1.0, 2.0])) {
        let s = scenario(servers, speed);
        let mut sorted = arrivals.clone();
        sorted.sort_by(|x, y| x.time.total_cmp(&y.time));
        for policy in &s.policies {
            let p = run(&s, policy, &arrivals);
            let mut seen = vec![false; arrivals.len()];
            for &(seq, t) in &p.done {
                prop_assert!(!seen[seq as usize], "{}: job {seq} completed twice", policy.label());
                seen[seq as usize] = true;
                let a = &sorted[seq as usize];
                prop_assert!(t + 1e-9 >= a.time + a.size / speed, "{}: job {seq} done at {t}, arrived {} size {}", policy.label(), a.time, a.size);
            }
            prop_assert!(seen.iter().all(|&x| x), "{}: not every job completed", policy.label());
        }
    }

    #[test]
    fn unfinished_work_is_the_same_under_every_policy(arrivals in workload()) {
        let s = scenario(1, 1.0);
        let reference = run(&s, &s.policies[0], &arrivals).unfinished_at_arrivals;
        for policy in &s.policies[1..] {
            let u = run(&s, policy, &arrivals).unfinished_at_arrivals;
            for (x, y) in reference.iter().zip(&u) {
                prop_assert!((x - y).abs() < 1e-9, "{}: unfinished work {y} vs {x} under fcfs", policy.label());
            }
        }
    }

    #[test]
    fn srpt_has_the_smallest_mean_response_on_one_server(arrivals in workload()) {
        let s = scenario(1, 1.0);
        let srpt = s.policies.iter().find(|p| p.label() == "srpt").unwrap();
        let best = mean_response(&run(&s, srpt, &arrivals), &arrivals);
        for policy in &s.policies {
            let m = mean_response(&run(&s, policy, &arrivals), &arrivals);
            prop_assert!(best <= m + 1e-9, "srpt {best} > {} {m}", policy.label());
        }
    }

    #[test]
    fn fcfs_serves_in_arrival_order(arrivals in workload(), servers in 1u32..4) {
        let s = scenario(servers, 1.0);
        let p = run(&s, &s.policies[0], &arrivals);
        prop_assert!(p.starts.windows(2).all(|w| w[0] < w[1]), "starts {:?}", p.starts);
    }
}

/// The order a queue discipline serves `jobs` in, at one instant.
fn served_order(
    label: &str,
    policy: &QueuePolicy,
    jobs: &mut [Job],
    skip: &[usize],
    remove: &[usize],
) -> Vec<u64> {
    let mut p = policy.clone();
    for (id, job) in jobs.iter_mut().enumerate() {
        if !skip.contains(&id) {
            p.enqueue(id as u32, job, 0.0);
        }
    }
    for &id in remove {
        assert!(
            p.remove(id as u32, &jobs[id], 0.0),
            "{label}: job {id} was waiting"
        );
        assert!(
            !p.remove(id as u32, &jobs[id], 0.0),
            "{label}: removed twice"
        );
    }
    let mut order = Vec::new();
    while let Some(id) = p.dequeue(0.0) {
        order.push(jobs[id as usize].seq);
    }
    order
}

/// Completion order at a sharing discipline when every job arrives at 0.
fn shared_order(
    label: &str,
    policy: &SharingPolicy,
    jobs: &[Job],
    skip: &[usize],
    remove: &[usize],
) -> Vec<u64> {
    let mut p = policy.clone();
    p.attach(1, 1.0, 2);
    for (id, job) in jobs.iter().enumerate() {
        if !skip.contains(&id) {
            p.arrive(id as u32, job, 0.0);
        }
    }
    for &id in remove {
        // Nothing is attained at 0: it still needed all its work.
        let left = p.remove(id as u32, 0.0);
        let needed = jobs[id].remaining - jobs[id].cut;
        assert!(
            left.is_some_and(|l| (l - needed).abs() <= 1e-12 * needed),
            "{label}: job {id} was in service, needing {needed}: {left:?}"
        );
        assert!(p.remove(id as u32, 0.0).is_none(), "{label}: removed twice");
    }
    let mut order = Vec::new();
    let mut guard = 0;
    while p.next_event().is_finite() {
        let t = p.next_event();
        if let Some(id) = p.advance(t) {
            order.push(jobs[id as usize].seq);
        }
        guard += 1;
        assert!(guard < 10_000, "sharing never finished");
    }
    order
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Removing waiting jobs (reneging, timeouts) leaves the others served
    /// exactly as if the removed ones had never come, under every discipline.
    #[test]
    fn removing_a_job_is_as_if_it_never_came(
        specs in prop::collection::vec((0.1f64..5.0, 0u32..2, 0.0f64..3.0), 2..24),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..6),
    ) {
        let s = scenario(1, 1.0);
        let mut jobs: Vec<Job> = specs
            .iter()
            .enumerate()
            .map(|(i, &(size, class, arrival))| {
                let mut j = Job::new(i as u64, class, 0, class as i32, -arrival, size);
                j.deadline = size * 2.0 - arrival;
                j
            })
            .collect();
        let mut removed: Vec<usize> = picks.iter().map(|p| p.index(jobs.len())).collect();
        removed.sort_unstable();
        removed.dedup();
        for policy in &s.policies {
            let label = policy.label();
            match policy {
                AnyPolicy::Sharing(p) => prop_assert_eq!(
                    shared_order(&label, p, &jobs, &[], &removed),
                    shared_order(&label, p, &jobs, &removed, &[]),
                    "{}", label
                ),
                AnyPolicy::Queue(p) => {
                    let mut copy = jobs.clone();
                    prop_assert_eq!(
                        served_order(&label, p, &mut jobs, &[], &removed),
                        served_order(&label, p, &mut copy, &removed, &[]),
                        "{}", label
                    );
                }
            }
            // The queue that serves a sharing discipline by slices gives
            // jobs up too.
            if let (AnyPolicy::Sharing(_), Some(q)) = (policy, policy.by_slices()) {
                let mut copy = jobs.clone();
                prop_assert_eq!(
                    served_order(&label, &q, &mut jobs, &[], &removed),
                    served_order(&label, &q, &mut copy, &removed, &[]),
                    "{} by slices", label
                );
            }
        }
    }
}
