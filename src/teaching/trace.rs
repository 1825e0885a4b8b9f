//! The observer that records a teaching schedule: who ran where and when,
//! and why.

use serde::Serialize;

use super::Task;
use crate::engine::Observer;
use crate::job::Job;
use crate::policy::DisciplineKind;

/// What a stretch of a CPU's time was spent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentKind {
    Run,
    Switch,
    Idle,
}

/// One stretch of one CPU's time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub cpu: u32,
    /// The job that ran; `None` for idle time and switches.
    pub job: Option<String>,
    pub start: f64,
    pub end: f64,
    pub kind: SegmentKind,
}

/// One job's figures, in the textbook's terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub id: String,
    pub arrival: f64,
    pub burst: f64,
    pub priority: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<f64>,
    pub completion: f64,
    /// completion − arrival
    pub turnaround: f64,
    /// turnaround − burst
    pub waiting: f64,
    /// first run − arrival
    pub response: f64,
}

/// A scheduled job list.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub policy: String,
    pub cpus: u32,
    /// In the file's order.
    pub outcomes: Vec<Outcome>,
    /// By CPU, then time; idle stretches included.
    pub timeline: Vec<Segment>,
    /// One line per decision (`--explain`).
    pub explain: Vec<String>,
}

impl Schedule {
    /// Average waiting, turnaround and response times.
    pub fn averages(&self) -> (f64, f64, f64) {
        let n = self.outcomes.len() as f64;
        let avg = |f: fn(&Outcome) -> f64| self.outcomes.iter().map(f).sum::<f64>() / n;
        (
            avg(|o| o.waiting),
            avg(|o| o.turnaround),
            avg(|o| o.response),
        )
    }

    /// When the last job completed.
    pub fn makespan(&self) -> f64 {
        self.outcomes
            .iter()
            .map(|o| o.completion)
            .fold(0.0, f64::max)
    }
}

/// Formats a time as a textbook would: `3`, `2.5`, `0.125` (`-` when not
/// finite, as every table prints such a figure: [`crate::report::sig`]).
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return crate::report::sig(x);
    }
    let r = (x * 1e9).round() / 1e9;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        let s = format!("{r:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub(super) struct Tracer {
    /// The title: the policy as the user named it.
    policy: String,
    /// What the policy is, for the reasons given: the title may be an
    /// alias (`srtf`) and carries parameters.
    discipline: DisciplineKind,
    cpus: u32,
    /// Task index of each engine sequence number.
    task_of_seq: Vec<usize>,
    ids: Vec<String>,
    priorities: Vec<i32>,
    deadlines: Vec<Option<f64>>,
    first_run: Vec<f64>,
    completion: Vec<f64>,
    /// Per CPU: the job running and when it began to make progress.
    open: Vec<Option<(usize, f64)>>,
    /// Per CPU: when a pending switch ends.
    switch_until: Vec<f64>,
    segments: Vec<Segment>,
    explain: Vec<String>,
}

impl Tracer {
    pub fn new(
        tasks: &[Task],
        order: Vec<usize>,
        cpus: u32,
        policy: String,
        discipline: DisciplineKind,
    ) -> Tracer {
        let n = tasks.len();
        Tracer {
            policy,
            discipline,
            cpus,
            task_of_seq: order,
            ids: tasks.iter().map(|t| t.id.clone()).collect(),
            priorities: tasks.iter().map(|t| t.priority).collect(),
            deadlines: tasks.iter().map(|t| t.deadline).collect(),
            first_run: vec![f64::NAN; n],
            completion: vec![f64::NAN; n],
            open: vec![None; cpus as usize],
            switch_until: vec![f64::NEG_INFINITY; cpus as usize],
            segments: Vec::new(),
            explain: Vec::new(),
        }
    }

    fn task(&self, job: &Job) -> usize {
        self.task_of_seq[job.seq as usize]
    }

    fn id(&self, job: &Job) -> &str {
        &self.ids[self.task(job)]
    }

    /// Why `by` displaced `victim`, in the policy's own terms.
    fn reason(&self, victim: &Job, by: &Job) -> String {
        match self.discipline {
            DisciplineKind::Srpt => format!(
                "remaining {} > {}",
                num(victim.remaining),
                num(by.remaining)
            ),
            DisciplineKind::Psjf => format!("burst {} > {}", num(victim.size), num(by.size)),
            DisciplineKind::Priority | DisciplineKind::PriorityPr => format!(
                "priority {} is more urgent than {}",
                self.priorities[self.task(by)],
                self.priorities[self.task(victim)]
            ),
            DisciplineKind::Edf => {
                let d = |j: &Job| self.deadlines[self.task(j)].map_or("none".to_string(), num);
                format!("deadline {} is earlier than {}", d(by), d(victim))
            }
            DisciplineKind::Mlfq | DisciplineKind::Mlq => {
                format!("{} is on a higher level", self.id(by))
            }
            DisciplineKind::Lcfs | DisciplineKind::LcfsPr => "the newest job runs first".into(),
            _ => "more urgent".into(),
        }
    }

    fn close(&mut self, now: f64, server: u32) {
        if let Some((task, start)) = self.open[server as usize].take() {
            if now > start {
                self.segments.push(Segment {
                    cpu: server,
                    job: Some(self.ids[task].clone()),
                    start,
                    end: now,
                    kind: SegmentKind::Run,
                });
            } else if let Some(sw) = self
                .segments
                .iter_mut()
                .rev()
                .find(|s| s.cpu == server && s.kind == SegmentKind::Switch)
            {
                // Stopped during its switch: the switch was cut short.
                sw.end = sw.end.min(now);
            }
        }
    }

    /// The schedule, with idle stretches filled in.
    pub fn finish(mut self, tasks: &[Task]) -> Schedule {
        let makespan = self.completion.iter().copied().fold(0.0, f64::max);
        let mut timeline = Vec::new();
        for cpu in 0..self.cpus {
            let mut own: Vec<Segment> = self
                .segments
                .iter()
                .filter(|s| s.cpu == cpu && s.end > s.start)
                .cloned()
                .collect();
            own.sort_by(|a, b| a.start.total_cmp(&b.start));
            // A job that goes on running after its own quantum expired is one
            // block on the chart.
            let mut merged: Vec<Segment> = Vec::new();
            for s in own {
                match merged.last_mut() {
                    Some(last)
                        if last.kind == SegmentKind::Run
                            && s.kind == SegmentKind::Run
                            && last.job == s.job
                            && (s.start - last.end).abs() < 1e-12 =>
                    {
                        last.end = s.end;
                    }
                    _ => merged.push(s),
                }
            }
            let mut t = 0.0;
            for s in merged {
                if s.start > t + 1e-12 {
                    timeline.push(Segment {
                        cpu,
                        job: None,
                        start: t,
                        end: s.start,
                        kind: SegmentKind::Idle,
                    });
                }
                t = s.end;
                timeline.push(s);
            }
            if makespan > t + 1e-12 {
                timeline.push(Segment {
                    cpu,
                    job: None,
                    start: t,
                    end: makespan,
                    kind: SegmentKind::Idle,
                });
            }
        }
        self.segments.clear();
        let outcomes = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let turnaround = self.completion[i] - t.arrival;
                Outcome {
                    id: t.id.clone(),
                    arrival: t.arrival,
                    burst: t.burst,
                    priority: t.priority,
                    deadline: t.deadline,
                    completion: self.completion[i],
                    turnaround,
                    waiting: turnaround - t.burst,
                    response: self.first_run[i] - t.arrival,
                }
            })
            .collect();
        Schedule {
            policy: self.policy,
            cpus: self.cpus,
            outcomes,
            timeline,
            explain: self.explain,
        }
    }
}

impl Observer for Tracer {
    fn on_arrival(&mut self, now: f64, job: &Job) {
        let i = self.task(job);
        let mut line = format!(
            "t={}: {} arrives (burst {}",
            num(now),
            self.ids[i],
            num(job.size)
        );
        let by_priority = matches!(
            self.discipline,
            DisciplineKind::Priority | DisciplineKind::PriorityPr | DisciplineKind::Mlq
        );
        if self.priorities[i] != 0 || by_priority {
            line.push_str(&format!(", priority {}", self.priorities[i]));
        }
        if let Some(d) = self.deadlines[i] {
            line.push_str(&format!(", deadline {}", num(d)));
        }
        line.push(')');
        self.explain.push(line);
    }

    fn on_switch(&mut self, now: f64, server: u32, duration: f64) {
        self.switch_until[server as usize] = now + duration;
        self.segments.push(Segment {
            cpu: server,
            job: None,
            start: now,
            end: now + duration,
            kind: SegmentKind::Switch,
        });
        self.explain.push(format!(
            "t={}: CPU {server} switches context ({} time units)",
            num(now),
            num(duration)
        ));
    }

    fn on_start(&mut self, now: f64, job: &Job, server: u32) {
        let i = self.task(job);
        let start = now.max(self.switch_until[server as usize]);
        self.open[server as usize] = Some((i, start));
        let resumed = self.first_run[i].is_finite();
        if !resumed {
            self.first_run[i] = start;
        }
        let mut line = format!("t={}: CPU {server} runs {}", num(start), self.ids[i]);
        if resumed {
            line.push_str(&format!(" (resumes, remaining {})", num(job.remaining)));
        }
        self.explain.push(line);
    }

    fn on_preempt(&mut self, now: f64, victim: &Job, by: &Job, _server: u32) {
        let line = format!(
            "t={}: {} preempted by {}, {}; it goes back to the queue with {} left",
            num(now),
            self.id(victim),
            self.id(by),
            self.reason(victim, by),
            num(victim.remaining)
        );
        self.explain.push(line);
    }

    fn on_expire(&mut self, now: f64, job: &Job, _server: u32) {
        let line = format!(
            "t={}: quantum expires, {} goes to the back of the queue ({} left)",
            num(now),
            self.id(job),
            num(job.remaining)
        );
        self.explain.push(line);
    }

    fn on_stop(&mut self, now: f64, _job: &Job, server: u32) {
        self.close(now, server);
    }

    fn on_complete(&mut self, now: f64, job: &Job) {
        let i = self.task(job);
        self.completion[i] = now;
        let turnaround = now - job.arrival;
        self.explain.push(format!(
            "t={}: {} completes (turnaround {}, waiting {})",
            num(now),
            self.ids[i],
            num(turnaround),
            num(turnaround - job.size)
        ));
    }
}
