//! Server schedules (shifts) against what they must give:
//! - utilisation, busy server time over server time on shift, equals the
//!   offered work over the scheduled capacity when every shift is stable
//!   and no work is lost (`resume`), within the replications' CI;
//! - each `on_leave` mode conserves work as it says, checked job by job
//!   on the engine's own events: under `finish` no job is ever stopped
//!   and a server leaves only idle; under `resume` a job's service
//!   segments add up to its size; under `restart` its last segment is its
//!   whole size (the lost part is repeated); under `resample` its last
//!   segment is a size drawn anew; under every mode the servers on shift
//!   are the schedule's (or more, while leaving servers finish) and never
//!   fewer than the busy ones;
//! - the timeline's `servers` column is the schedule's, bin by bin;
//! - bad schedules are refused with one line naming the field.

use std::collections::HashMap;
use std::path::Path;

mod common;

use schedlab::engine::{Observer, Simulation};
use schedlab::experiment;
use schedlab::job::Job;
use schedlab::model::{Limit, Scenario};
use schedlab::workload::SampledWorkload;

fn scenario(on_leave: &str, replications: u32, horizon: f64) -> Scenario {
    let text = format!(
        r#"
name = "shifts"
seed = 11
replications = {replications}
warmup = {{ time = 0.0 }}
horizon = {{ time = {horizon} }}

[[classes]]
name = "a"
arrival = {{ dist = "exponential", rate = 2.0 }}
service = {{ dist = "exponential", mean = 1.0 }}

[[nodes]]
name = "pool"
schedule = {{ cycle = 20.0, servers = [[0.0, 3], [7.5, 6], [12.0, 3], [16.0, 4]], on_leave = "{on_leave}" }}

[policy]
discipline = "fcfs"

[output]
timeline = {{ bin = 2.5 }}
"#
    );
    Scenario::from_toml(&text, Path::new("shifts.toml")).unwrap()
}

/// Scheduled server time per cycle: 3·7.5 + 6·4.5 + 3·4 + 4·4 = 77.5.
const CAPACITY_PER_CYCLE: f64 = 77.5;

#[test]
fn utilisation_is_offered_work_over_scheduled_capacity() {
    // 40 replications of 50 cycles: every shift is stable (load 2/3 at
    // 3 servers, the least), so in the long run the busy server time is
    // the offered work λ E[S] per unit of time.
    let s = scenario("resume", 40, 1000.0);
    let out = experiment::run(&s);
    let node = out
        .rows
        .iter()
        .find(|r| r.node == "pool")
        .expect("a node row");
    let u = &node.stats.utilization;
    let exact = 2.0 * 1.0 / (CAPACITY_PER_CYCLE / 20.0);
    let h = u.ci95.expect("replications give a CI");
    // 3.5 standard errors (a 99.9% band): the 95% half-width × 3.5 / 2.02.
    assert!(
        (u.mean - exact).abs() <= h * 3.5 / 2.02,
        "utilisation {} ± {h}, exact {exact}",
        u.mean
    );
    // Against the nominal servers (6, the most on shift) it would be
    // 1/3: the figure is over servers on shift.
    assert!(u.mean > 0.45, "{}", u.mean);
}

/// Every job's service segments, the servers on shift and busy as the
/// engine tells them, and the invariants checked at each event.
#[derive(Default)]
struct Audit {
    /// Per job (by arrival order): its service segments and its sizes seen.
    segments: HashMap<u64, Vec<f64>>,
    started: HashMap<u64, f64>,
    first_size: HashMap<u64, f64>,
    on_shift: i64,
    busy: i64,
    interrupted: u64,
    /// Completed jobs: (segments, size at completion, size at arrival).
    done: Vec<(Vec<f64>, f64, f64)>,
    /// (time, servers on shift) at every change.
    shifts: Vec<(f64, i64)>,
    worst: Option<String>,
}

impl Audit {
    fn check(&mut self, now: f64) {
        if self.busy > self.on_shift && self.worst.is_none() {
            self.worst = Some(format!(
                "at {now}: {} busy on {} servers on shift",
                self.busy, self.on_shift
            ));
        }
    }
}

impl Observer for Audit {
    fn on_arrival(&mut self, _now: f64, job: &Job) {
        self.first_size.insert(job.seq, job.size);
    }
    fn on_start(&mut self, now: f64, job: &Job, _server: u32) {
        self.started.insert(job.seq, now);
        self.busy += 1;
        self.check(now);
    }
    fn on_stop(&mut self, now: f64, job: &Job, _server: u32) {
        let from = self.started.remove(&job.seq).expect("started");
        self.segments.entry(job.seq).or_default().push(now - from);
        self.busy -= 1;
    }
    fn on_complete(&mut self, _now: f64, job: &Job) {
        let segments = self.segments.remove(&job.seq).unwrap_or_default();
        let first = self.first_size.remove(&job.seq).expect("arrived");
        self.done.push((segments, job.size, first));
    }
    fn on_server_down(&mut self, now: f64, _node: u32, _server: u32, job: Option<&Job>) {
        self.on_shift -= 1;
        self.interrupted += u64::from(job.is_some());
        self.shifts.push((now, self.on_shift));
        self.check(now);
    }
    fn on_server_up(&mut self, now: f64, _node: u32, _server: u32) {
        self.on_shift += 1;
        self.shifts.push((now, self.on_shift));
    }
}

fn audit(on_leave: &str) -> (Scenario, Audit) {
    let s = scenario(on_leave, 1, 10_000.0);
    let workload = SampledWorkload::new(&s, 0);
    let mut audit = Audit {
        on_shift: 6,
        ..Audit::default()
    };
    audit.shifts.push((0.0, 6));
    let mut sim = Simulation::with_replication(&s, workload, &s.policies[0], None, audit, 0);
    sim.run(Limit::Jobs(0), Limit::Time(10_000.0));
    let audit = sim.into_observer();
    assert!(audit.done.len() > 15_000, "{}", audit.done.len());
    assert_eq!(audit.worst, None);
    (s, audit)
}

/// Servers on shift after each change against the schedule: equal under
/// the preemptive modes, at least as many (and the extra ones leaving
/// after their jobs) under `finish`.
fn check_shifts(s: &Scenario, a: &Audit, exact: bool) {
    let rule = s.nodes[0].schedule.as_ref().unwrap();
    // The last change at each instant is the count from then on.
    for (i, &(t, n)) in a.shifts.iter().enumerate() {
        if a.shifts.get(i + 1).is_some_and(|&(u, _)| u == t) {
            continue;
        }
        let scheduled = i64::from(rule.servers_at(t));
        if exact {
            assert_eq!(n, scheduled, "at {t}");
        } else {
            assert!(
                n >= scheduled,
                "at {t}: {n} on shift, {scheduled} scheduled"
            );
        }
    }
}

const TOL: f64 = 1e-9;

#[test]
fn finish_lets_every_job_end_on_its_server() {
    let (s, a) = audit("finish");
    assert_eq!(a.interrupted, 0);
    for (segments, size, first) in &a.done {
        assert_eq!(segments.len(), 1);
        assert!((segments[0] - size).abs() < TOL * size.max(1.0));
        assert_eq!(size, first);
    }
    check_shifts(&s, &a, false);
    // Leaving servers did finish jobs past the end of their shift.
    let late = a
        .shifts
        .iter()
        .filter(|&&(t, _)| t % 20.0 != 0.0 && ![7.5, 12.0, 16.0].contains(&(t % 20.0)))
        .count();
    assert!(late > 100, "{late}");
}

#[test]
fn resume_loses_no_work() {
    let (s, a) = audit("resume");
    assert!(a.interrupted > 100, "{}", a.interrupted);
    let mut split = 0;
    for (segments, size, first) in &a.done {
        let total: f64 = segments.iter().sum();
        assert!(
            (total - size).abs() < TOL * size.max(1.0),
            "{segments:?} vs {size}"
        );
        assert_eq!(size, first);
        split += usize::from(segments.len() > 1);
    }
    assert!(split > 100, "{split}");
    check_shifts(&s, &a, true);
}

#[test]
fn restart_repeats_the_lost_part() {
    let (s, a) = audit("restart");
    assert!(a.interrupted > 100, "{}", a.interrupted);
    let mut repeated = 0.0;
    for (segments, size, first) in &a.done {
        let last = *segments.last().unwrap();
        assert!(
            (last - size).abs() < TOL * size.max(1.0),
            "{segments:?} vs {size}"
        );
        assert_eq!(size, first);
        repeated += segments[..segments.len() - 1].iter().sum::<f64>();
    }
    assert!(repeated > 10.0, "{repeated}");
    check_shifts(&s, &a, true);
}

#[test]
fn resample_draws_a_new_size() {
    let (s, a) = audit("resample");
    let mut changed = 0;
    for (segments, size, first) in &a.done {
        let last = *segments.last().unwrap();
        assert!(
            (last - size).abs() < TOL * size.max(1.0),
            "{segments:?} vs {size}"
        );
        if segments.len() > 1 {
            assert_ne!(size, first);
            changed += 1;
        } else {
            assert_eq!(size, first);
        }
    }
    assert!(changed > 100, "{changed}");
    check_shifts(&s, &a, true);
}

#[test]
fn the_timeline_shows_the_servers_on_shift() {
    let s = scenario("resume", 4, 40.0);
    let out = experiment::run(&s);
    let rule = s.nodes[0].schedule.as_ref().unwrap();
    let bins: Vec<_> = out
        .timeline
        .iter()
        .map(|r| &r.bin)
        .filter(|b| b.node == Some(0))
        .collect();
    assert_eq!(bins.len(), 16);
    for b in bins {
        let exact = rule.capacity_between(b.start, b.end) / (b.end - b.start);
        assert!(
            (b.servers.mean - exact).abs() < 1e-9,
            "{}..{}: {} vs {exact}",
            b.start,
            b.end,
            b.servers.mean
        );
    }
}

#[test]
fn bad_schedules_are_refused() {
    let base = r#"
name = "bad"
horizon = { jobs = 100 }
[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 0.5 }
service = { dist = "exponential", mean = 1.0 }
[[nodes]]
name = "pool"
SCHEDULE
[policy]
discipline = "DISCIPLINE"
"#;
    let with = |schedule: &str, discipline: &str| {
        base.replace("SCHEDULE", schedule)
            .replace("DISCIPLINE", discipline)
    };
    common::refused(
        &with(
            "schedule = { cycle = 24.0, servers = [[0.0, 2], [8.0, -3]] }",
            "fcfs",
        ),
        "nodes[0].schedule.servers[1]",
        "-3",
    );
    common::refused(
        &with(
            "schedule = { cycle = 4.0, servers = [[0.0, 2], [8.0, 3]] }",
            "fcfs",
        ),
        "nodes[0].schedule.cycle",
        "4",
    );
    common::refused(
        &with(
            "schedule = { servers = [[0.0, 2], [8.0, 3]], on_leave = \"quit\" }",
            "fcfs",
        ),
        "nodes[0].schedule.on_leave",
        "quit",
    );
    common::refused(
        &with("schedule = { servers = [[0.0, 2], [8.0, 0]] }", "fcfs"),
        "nodes[0].schedule.servers",
        "0",
    );
    common::refused(
        &with("schedule = { servers = [[0.0, 2]] }", "ps"),
        "nodes[0].schedule",
        "ps",
    );
    common::refused(&with("", "fcfs"), "nodes[0].servers", "missing");
}
