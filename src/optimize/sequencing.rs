//! Exact sequencing on one machine by dynamic programming over subsets.
//!
//! Problem `1 | r_j | Σ w_j C_j`: jobs with release dates `r_j`, sizes
//! `p_j` and weights `w_j` on one machine, non-preemptive; minimise the
//! total weighted completion time. With release dates the problem is
//! strongly NP-hard (Lenstra, Rinnooy Kan & Brucker 1977), so the exact
//! method is a dynamic program over subsets (Held & Karp 1962, adapted to
//! scheduling by Baker & Schrage 1978). For a set `S` scheduled first, the
//! cost of the jobs still to come depends only on the time `t` at which
//! `S` ends, and grows with it; so the state keeps, for each `S`, the
//! Pareto front of (end time, cost) pairs over the orders of `S`:
//!
//! ```text
//! F(∅) = {(0, 0)}
//! F(S) = Pareto-min over j ∈ S, (t, c) ∈ F(S \ {j}) of
//!        (t', c + w_j t')   with t' = max(t, r_j) + p_j
//! ```
//!
//! A given order starts each job at `max(previous completion, r_j)`: for a
//! regular objective no other idle time helps. Without release dates every
//! front has one point and the optimum is Smith's WSPT order (Smith 1956).

use crate::error::FieldError;
use crate::teaching::{self, Options, Outcome, Schedule, Segment, SegmentKind, Task};

/// Most jobs the subset DP accepts (2^20 subsets).
pub const MAX_DP_JOBS: usize = 20;

/// A job on one machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeqJob {
    pub release: f64,
    pub size: f64,
    pub weight: f64,
}

/// A non-preemptive schedule given by an order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    /// Job indices in the order they run.
    pub order: Vec<usize>,
    /// Start and completion time of each job, by job index.
    pub start: Vec<f64>,
    pub completion: Vec<f64>,
    /// Σ w_j C_j.
    pub objective: f64,
}

/// Starts each job of `order` at `max(previous completion, release)`.
pub fn evaluate(jobs: &[SeqJob], order: &[usize]) -> Sequence {
    let mut start = vec![0.0; jobs.len()];
    let mut completion = vec![0.0; jobs.len()];
    let mut t: f64 = 0.0;
    let mut objective = 0.0;
    for &j in order {
        start[j] = t.max(jobs[j].release);
        t = start[j] + jobs[j].size;
        completion[j] = t;
        objective += jobs[j].weight * t;
    }
    Sequence {
        order: order.to_vec(),
        start,
        completion,
        objective,
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    end: f64,
    cost: f64,
    last: u8,
    parent: u32,
}

/// The optimal sequence by the subset DP (see the module documentation);
/// exact for up to [`MAX_DP_JOBS`] jobs. Ties go to the front point found
/// first.
pub fn optimal_sequence(jobs: &[SeqJob]) -> Result<Sequence, FieldError> {
    let n = jobs.len();
    if n == 0 {
        return Err(FieldError::new("jobs", "0", "the job list has no jobs"));
    }
    if n > MAX_DP_JOBS {
        return Err(FieldError::new(
            "jobs",
            n.to_string(),
            format!("the subset DP is exact for at most {MAX_DP_JOBS} jobs (2^n states)"),
        ));
    }
    let subsets = 1usize << n;
    // Front of subset S: entries[first[S] .. first[S + 1]]. Every S \ {j}
    // is a smaller number than S, so increasing order is a valid order.
    let mut first = Vec::with_capacity(subsets + 1);
    let mut entries = vec![Entry {
        end: 0.0,
        cost: 0.0,
        last: u8::MAX,
        parent: u32::MAX,
    }];
    first.push(0u32);
    first.push(1u32);
    let mut candidates: Vec<Entry> = Vec::new();
    for set in 1..subsets {
        candidates.clear();
        let mut rest = set;
        while rest != 0 {
            let j = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let prev = set & !(1 << j);
            let job = &jobs[j];
            for p in first[prev]..first[prev + 1] {
                let e = entries[p as usize];
                let end = e.end.max(job.release) + job.size;
                candidates.push(Entry {
                    end,
                    cost: e.cost + job.weight * end,
                    last: j as u8,
                    parent: p,
                });
            }
        }
        candidates.sort_by(|a, b| a.end.total_cmp(&b.end).then(a.cost.total_cmp(&b.cost)));
        let mut best = f64::INFINITY;
        for c in &candidates {
            if best == f64::INFINITY || c.cost < best - 1e-12 * best.abs().max(1.0) {
                best = c.cost;
                entries.push(*c);
            }
        }
        first.push(entries.len() as u32);
    }
    let full = subsets - 1;
    let mut at = (first[full]..first[full + 1])
        .min_by(|&a, &b| {
            entries[a as usize]
                .cost
                .total_cmp(&entries[b as usize].cost)
        })
        .expect("the full set has a front");
    let mut order = Vec::with_capacity(n);
    while entries[at as usize].last != u8::MAX {
        order.push(entries[at as usize].last as usize);
        at = entries[at as usize].parent;
    }
    order.reverse();
    Ok(evaluate(jobs, &order))
}

/// The optimum by trying every order (Heap's algorithm); for checking the
/// DP on small instances.
pub fn brute_force(jobs: &[SeqJob]) -> f64 {
    let n = jobs.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut best = evaluate(jobs, &order).objective;
    let mut c = vec![0usize; n];
    let mut i = 0;
    while i < n {
        if c[i] < i {
            if i % 2 == 0 {
                order.swap(0, i);
            } else {
                order.swap(c[i], i);
            }
            best = best.min(evaluate(jobs, &order).objective);
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    best
}

/// Smith's rule (Smith 1956): without release dates, sequencing in
/// nondecreasing `p_j / w_j` minimises Σ w_j C_j. Returns that order (ties
/// by index).
pub fn wspt_order(jobs: &[SeqJob]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|&a, &b| {
        (jobs[a].size / jobs[a].weight)
            .total_cmp(&(jobs[b].size / jobs[b].weight))
            .then(a.cmp(&b))
    });
    order
}

/// A policy run through the engine on the same jobs (teaching mode).
#[derive(Debug, Clone)]
pub struct Heuristic {
    pub name: String,
    /// Σ w_j C_j of its schedule.
    pub objective: f64,
    pub schedule: Schedule,
}

fn tasks(ids: &[String], jobs: &[SeqJob], priority: &[i32]) -> Vec<Task> {
    ids.iter()
        .zip(jobs)
        .zip(priority)
        .map(|((id, j), &p)| Task {
            id: id.clone(),
            arrival: j.release,
            burst: j.size,
            priority: p,
            deadline: None,
        })
        .collect()
}

fn weighted_total(jobs: &[SeqJob], s: &Schedule) -> f64 {
    jobs.iter()
        .zip(&s.outcomes)
        .map(|(j, o)| j.weight * o.completion)
        .sum()
}

/// FCFS, SPT (non-preemptive `sjf`), WSPT (non-preemptive priority by
/// `p_j / w_j`, Smith 1956) and preemptive SRPT (`srtf`), each replayed
/// through the engine by the teaching mode. Preemptive SRPT minimises
/// Σ C_j among preemptive schedules (Schrage 1968), so for unit weights it
/// is a lower bound on the non-preemptive optimum.
pub fn heuristics(ids: &[String], jobs: &[SeqJob]) -> Result<Vec<Heuristic>, FieldError> {
    let mut ranked: Vec<usize> = (0..jobs.len()).collect();
    ranked.sort_by(|&a, &b| {
        (jobs[a].size / jobs[a].weight)
            .total_cmp(&(jobs[b].size / jobs[b].weight))
            .then(a.cmp(&b))
    });
    let mut wspt_rank = vec![0i32; jobs.len()];
    for (r, &j) in ranked.iter().enumerate() {
        wspt_rank[j] = r as i32;
    }
    let zero = vec![0i32; jobs.len()];
    let runs: [(&str, &str, &[i32]); 4] = [
        ("fcfs", "fcfs", &zero),
        ("spt (sjf)", "sjf", &zero),
        ("wspt", "priority", &wspt_rank),
        ("srpt (preemptive)", "srtf", &zero),
    ];
    let mut out = Vec::new();
    for (name, policy, priority) in runs {
        let options = Options {
            policy: policy.into(),
            ..Options::default()
        };
        let mut schedule = teaching::schedule(&tasks(ids, jobs, priority), &options)?;
        schedule.policy = name.into();
        out.push(Heuristic {
            name: name.into(),
            objective: weighted_total(jobs, &schedule),
            schedule,
        });
    }
    Ok(out)
}

/// The optimal sequence as a teaching schedule, for the Gantt renderers.
pub fn as_schedule(ids: &[String], jobs: &[SeqJob], seq: &Sequence) -> Schedule {
    let mut timeline = Vec::new();
    let mut t = 0.0;
    for &j in &seq.order {
        if seq.start[j] > t {
            timeline.push(Segment {
                cpu: 0,
                job: None,
                start: t,
                end: seq.start[j],
                kind: SegmentKind::Idle,
            });
        }
        timeline.push(Segment {
            cpu: 0,
            job: Some(ids[j].clone()),
            start: seq.start[j],
            end: seq.completion[j],
            kind: SegmentKind::Run,
        });
        t = seq.completion[j];
    }
    let outcomes = jobs
        .iter()
        .enumerate()
        .map(|(j, job)| Outcome {
            id: ids[j].clone(),
            arrival: job.release,
            burst: job.size,
            priority: 0,
            deadline: None,
            completion: seq.completion[j],
            turnaround: seq.completion[j] - job.release,
            waiting: seq.completion[j] - job.release - job.size,
            response: seq.start[j] - job.release,
        })
        .collect();
    Schedule {
        policy: "optimal (DP)".into(),
        cpus: 1,
        outcomes,
        timeline,
        explain: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(release: f64, size: f64, weight: f64) -> SeqJob {
        SeqJob {
            release,
            size,
            weight,
        }
    }

    #[test]
    fn without_releases_the_dp_finds_wspt() {
        let jobs = [job(0.0, 3.0, 1.0), job(0.0, 1.0, 1.0), job(0.0, 2.0, 4.0)];
        let s = optimal_sequence(&jobs).unwrap();
        assert_eq!(s.order, wspt_order(&jobs));
        // Order 2, 1, 0: completions 2, 3, 6 → 4·2 + 3 + 6 = 17.
        assert!((s.objective - 17.0).abs() < 1e-9);
    }

    #[test]
    fn waiting_for_a_short_job_can_pay() {
        // A long job is ready at 0; three short ones arrive at 1. Starting
        // the long job at once gives 10 + 11 + 12 + 13 = 46; idling until 1
        // gives 2 + 3 + 4 + 14 = 23.
        let jobs = [
            job(0.0, 10.0, 1.0),
            job(1.0, 1.0, 1.0),
            job(1.0, 1.0, 1.0),
            job(1.0, 1.0, 1.0),
        ];
        let s = optimal_sequence(&jobs).unwrap();
        assert!((s.objective - 23.0).abs() < 1e-9, "{s:?}");
        assert_eq!(s.order[3], 0);
        assert!((brute_force(&jobs) - 23.0).abs() < 1e-9);
    }

    #[test]
    fn too_many_jobs_is_an_input_error() {
        let jobs = vec![job(0.0, 1.0, 1.0); MAX_DP_JOBS + 1];
        let e = optimal_sequence(&jobs).unwrap_err();
        assert_eq!(e.field, "jobs");
        assert_eq!(e.value, "21");
    }
}
