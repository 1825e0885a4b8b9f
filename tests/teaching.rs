//! Teaching mode against exercises solved by hand.

use assert_cmd::Command;
use schedlab::teaching::{self, Options, Schedule, SegmentKind, parse_jobs};

fn run(jobs: &str, options: Options) -> Schedule {
    let tasks = parse_jobs(jobs).expect("valid job list");
    teaching::schedule(&tasks, &options).expect("valid options")
}

fn opts(policy: &str) -> Options {
    Options {
        policy: policy.into(),
        ..Options::default()
    }
}

fn completions(s: &Schedule) -> Vec<f64> {
    s.outcomes.iter().map(|o| o.completion).collect()
}

fn avg_wait(s: &Schedule) -> f64 {
    s.averages().0
}

/// The run blocks of one CPU as (job, start, end).
fn blocks(s: &Schedule, cpu: u32) -> Vec<(String, f64, f64)> {
    s.timeline
        .iter()
        .filter(|g| g.cpu == cpu && g.kind == SegmentKind::Run)
        .map(|g| (g.job.clone().unwrap(), g.start, g.end))
        .collect()
}

const CONVOY: &str = "id,arrival,burst\nP1,0,24\nP2,0,3\nP3,0,3\n";

#[test]
fn fcfs_convoy() {
    // Silberschatz's convoy: waits 0, 24, 27 -> 17; turnarounds 24, 27, 30 -> 27.
    let s = run(CONVOY, opts("fcfs"));
    assert_eq!(completions(&s), vec![24.0, 27.0, 30.0]);
    assert_eq!(s.averages(), (17.0, 27.0, 17.0));
}

#[test]
fn round_robin_quantum_4() {
    // P1 0-4, P2 4-7, P3 7-10, P1 10-30: waits 6, 4, 7 -> 17/3.
    let mut o = opts("rr");
    o.quantum = Some(4.0);
    let s = run(CONVOY, o);
    assert_eq!(completions(&s), vec![30.0, 7.0, 10.0]);
    assert!((avg_wait(&s) - 17.0 / 3.0).abs() < 1e-12);
    assert_eq!(
        blocks(&s, 0).len(),
        4,
        "P1 runs on after its quantum as one block"
    );
}

#[test]
fn sjf_sees_simultaneous_arrivals_together() {
    // All at 0: P4(3), P1(6), P3(7), P2(8): waits 3, 16, 9, 0 -> 7.
    let s = run(
        "id,arrival,burst\nP1,0,6\nP2,0,8\nP3,0,7\nP4,0,3\n",
        opts("sjf"),
    );
    assert_eq!(completions(&s), vec![9.0, 24.0, 16.0, 3.0]);
    assert_eq!(avg_wait(&s), 7.0);
}

#[test]
fn srtf_textbook_example() {
    // P1(0,8) P2(1,4) P3(2,9) P4(3,5): P1 0-1, P2 1-5, P4 5-10, P1 10-17, P3 17-26; waits 9,0,15,2 -> 6.5.
    let s = run(
        "id,arrival,burst\nP1,0,8\nP2,1,4\nP3,2,9\nP4,3,5\n",
        opts("srtf"),
    );
    assert_eq!(completions(&s), vec![17.0, 5.0, 26.0, 10.0]);
    assert_eq!(avg_wait(&s), 6.5);
    assert!(
        s.explain.iter().any(|l| l
            == "t=1: P1 preempted by P2, remaining 7 > 4; it goes back to the queue with 7 left")
    );
}

#[test]
fn priority_non_preemptive_and_flipped() {
    // Silberschatz: order P2, P5, P1, P3, P4; waits 6, 0, 16, 18, 1 -> 8.2.
    let jobs = "id,arrival,burst,priority\nP1,0,10,3\nP2,0,1,1\nP3,0,2,4\nP4,0,1,5\nP5,0,5,2\n";
    let s = run(jobs, opts("priority"));
    assert_eq!(completions(&s), vec![16.0, 1.0, 18.0, 19.0, 6.0]);
    assert!((avg_wait(&s) - 8.2).abs() < 1e-12);
    // Higher number more urgent: P4, P3, P1, P5, P2.
    let mut o = opts("priority");
    o.high_first = true;
    let s = run(jobs, o);
    assert_eq!(completions(&s), vec![13.0, 19.0, 3.0, 1.0, 18.0]);
}

#[test]
fn priority_preemptive() {
    // P1(0,5,pri 2), P2(2,2,pri 1): P1 0-2, P2 2-4, P1 4-7.
    let s = run(
        "id,arrival,burst,priority\nP1,0,5,2\nP2,2,2,1\n",
        opts("priority-pr"),
    );
    assert_eq!(
        blocks(&s, 0),
        vec![
            ("P1".into(), 0.0, 2.0),
            ("P2".into(), 2.0, 4.0),
            ("P1".into(), 4.0, 7.0)
        ]
    );
}

#[test]
fn idle_gap_is_shown() {
    let s = run("id,arrival,burst\nP1,0,2\nP2,5,3\n", opts("fcfs"));
    assert_eq!(completions(&s), vec![2.0, 8.0]);
    let idle: Vec<_> = s
        .timeline
        .iter()
        .filter(|g| g.kind == SegmentKind::Idle)
        .map(|g| (g.start, g.end))
        .collect();
    assert_eq!(idle, vec![(2.0, 5.0)]);
    assert!(teaching::ascii_gantt(&s).contains("idle"));
}

#[test]
fn two_cpus() {
    // P1 on CPU 0 0-5, P2 on CPU 1 0-3, P3 on CPU 1 3-5, P4 on CPU 0 5-9 (CPU 0's
    // completion was scheduled first, so it takes the next job).
    let mut o = opts("fcfs");
    o.cpus = 2;
    let s = run("id,arrival,burst\nP1,0,5\nP2,0,3\nP3,1,2\nP4,2,4\n", o);
    assert_eq!(
        blocks(&s, 0),
        vec![("P1".into(), 0.0, 5.0), ("P4".into(), 5.0, 9.0)]
    );
    assert_eq!(
        blocks(&s, 1),
        vec![("P2".into(), 0.0, 3.0), ("P3".into(), 3.0, 5.0)]
    );
    let waits: Vec<f64> = s.outcomes.iter().map(|o| o.waiting).collect();
    assert_eq!(waits, vec![0.0, 0.0, 2.0, 3.0]);
}

#[test]
fn switch_cost_between_jobs() {
    // RR q=2, switch 1: P1 0-2, cs 2-3, P2 3-5, cs 5-6, P1 6-7.
    let mut o = opts("rr");
    o.quantum = Some(2.0);
    o.switch_cost = Some(1.0);
    let s = run("id,arrival,burst\nP1,0,3\nP2,0,2\n", o);
    assert_eq!(completions(&s), vec![7.0, 5.0]);
    let switches: Vec<_> = s
        .timeline
        .iter()
        .filter(|g| g.kind == SegmentKind::Switch)
        .map(|g| (g.start, g.end))
        .collect();
    assert_eq!(switches, vec![(2.0, 3.0), (5.0, 6.0)]);
}

#[test]
fn hrrn_stallings_example() {
    // Stallings: P1(0,3) P2(2,6) P3(4,4) P4(6,5) P5(8,2) finish at 3, 9, 13, 20, 15.
    let s = run(
        "id,arrival,burst\nP1,0,3\nP2,2,6\nP3,4,4\nP4,6,5\nP5,8,2\n",
        opts("hrrn"),
    );
    assert_eq!(completions(&s), vec![3.0, 9.0, 13.0, 20.0, 15.0]);
}

#[test]
fn mlfq_demotes_and_newcomers_preempt() {
    // Levels 8, 16, fcfs. P1(0,30), P2(10,5): P1 0-8 (L0), 8-10 (L1), P2 10-15,
    // P1 15-31 (a fresh L1 quantum of 16), 31-35 on the last level.
    let mut o = opts("mlfq");
    o.levels = Some("8,16,fcfs".into());
    let s = run("id,arrival,burst\nP1,0,30\nP2,10,5\n", o);
    assert_eq!(completions(&s), vec![35.0, 15.0]);
    assert!(
        s.explain
            .iter()
            .any(|l| l.starts_with("t=8: quantum expires, P1"))
    );
    assert!(
        s.explain
            .iter()
            .any(|l| l.starts_with("t=31: quantum expires, P1"))
    );
}

#[test]
fn mlq_by_priority_level() {
    // Level 1 (priority 0) is RR q=1, level 2 (priority 1) FCFS; B waits for A and C.
    let mut o = opts("mlq");
    o.levels = Some("rr:1,fcfs".into());
    let s = run("id,arrival,burst,priority\nA,0,2,0\nB,0,3,1\nC,0,2,0\n", o);
    assert_eq!(completions(&s), vec![3.0, 7.0, 4.0]);
}

#[test]
fn edf_preempts_for_an_earlier_deadline() {
    let s = run(
        "id,arrival,burst,deadline\nP1,0,4,10\nP2,1,2,4\n",
        opts("edf"),
    );
    assert_eq!(
        blocks(&s, 0),
        vec![
            ("P1".into(), 0.0, 1.0),
            ("P2".into(), 1.0, 3.0),
            ("P1".into(), 3.0, 6.0)
        ]
    );
}

#[test]
fn ties_follow_the_file_and_the_round_robin_convention() {
    let s = run("id,arrival,burst\nP1,0,2\nP2,0,1\n", opts("fcfs"));
    assert_eq!(completions(&s), vec![2.0, 3.0]);
    // P2 arrives as P1's quantum expires: by default it queues first.
    let mut o = opts("rr");
    o.quantum = Some(2.0);
    let jobs = "id,arrival,burst\nP1,0,4\nP2,2,1\nP3,1,3\n";
    let s = run(jobs, o.clone());
    // P1 0-2; queue: P3 (t=1), P2 (t=2), P1 -> P3 2-4, P2 4-5, P1 5-7, P3 7-8.
    assert_eq!(completions(&s), vec![7.0, 5.0, 8.0]);
    o.preempted_first = true;
    let s = run(jobs, o);
    // Queue: P3, P1, P2 -> P3 2-4, P1 4-6 (done), P2 6-7, P3 7-8.
    assert_eq!(completions(&s), vec![6.0, 7.0, 8.0]);
}

#[test]
fn decimal_times() {
    let mut o = opts("rr");
    o.quantum = Some(0.5);
    let s = run("id,arrival,burst\nA,0,1.25\nB,0.25,0.5\n", o);
    // A 0-0.5, B 0.5-1, A 1-1.5, A 1.5-1.75.
    assert_eq!(completions(&s), vec![1.75, 1.0]);
}

#[test]
fn compare_marks_the_best() {
    let tasks = parse_jobs(CONVOY).unwrap();
    let mut base = opts("fcfs");
    base.quantum = Some(4.0);
    let names: Vec<String> = teaching::TEACHING_POLICIES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let all = teaching::compare(&tasks, &base, &names, true).unwrap();
    let table = teaching::comparison_table(&all);
    let best_line = table.lines().find(|l| l.contains("* best")).unwrap();
    assert!(best_line.starts_with("sjf"), "{table}");
    assert!(table.contains("rr(q=4)"));
}

#[test]
fn cli_outputs_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.csv");
    std::fs::write(&jobs, CONVOY).unwrap();
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args([
            "gantt",
            jobs.to_str().unwrap(),
            "--policy",
            "rr",
            "--quantum",
            "4",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["policy"], "rr(q=4)");
    assert_eq!(doc["jobs"][0]["completion"], 30.0);
    assert_eq!(doc["timeline"][0]["job"], "P1");
    assert!((doc["average"]["waiting"].as_f64().unwrap() - 17.0 / 3.0).abs() < 1e-12);
    for (content, args, needle) in [
        ("id,arrival\nP1,0\n", vec![], "missing column `burst`"),
        ("id,arrival,burst\nP1,0,-3\n", vec![], "line 2, burst"),
        ("id,arrival,burst\nP1,0,3\nP1,1,2\n", vec![], "line 3, id"),
        (
            CONVOY,
            vec!["--policy", "rr", "--quantum", "0"],
            "--policy.quantum",
        ),
        (CONVOY, vec!["--policy", "rr"], "quantum"),
        (CONVOY, vec!["--policy", "teleport"], "teleport"),
    ] {
        std::fs::write(&jobs, content).unwrap();
        let out = Command::cargo_bin("schedlab")
            .unwrap()
            .arg("gantt")
            .arg(&jobs)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{content} {args:?}: {stderr}");
        assert!(stderr.contains(needle), "{needle} missing: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
}

/// The simulator, driven directly with the same jobs, produces the same
/// completions as the teaching mode, for every teaching policy.
#[test]
fn simulator_and_teaching_mode_agree() {
    use schedlab::engine::{Observer, Simulation};
    use schedlab::job::Job;
    use schedlab::model::{Limit, Scenario};
    use schedlab::workload::{Arrival, FixedWorkload};

    #[derive(Default)]
    struct Done(Vec<(u64, f64)>);
    impl Observer for Done {
        fn on_complete(&mut self, now: f64, job: &Job) {
            self.0.push((job.seq, now));
        }
    }

    let jobs = "id,arrival,burst,priority,deadline\nA,0,5,1,20\nB,1,3,0,9\nC,1,8,1,30\nD,2,2,0,6\nE,6,4,1,15\nF,6,1,0,12\n";
    let tasks = parse_jobs(jobs).unwrap();
    let policies = [
        ("fcfs", "\"fcfs\"", None, None),
        ("sjf", "\"sjf\"", None, None),
        ("srtf", "\"srtf\"", None, None),
        ("priority", "\"priority\"", None, None),
        ("priority-pr", "\"priority-pr\"", None, None),
        (
            "rr",
            "{ discipline = \"rr\", quantum = 2.0 }",
            Some(2.0),
            None,
        ),
        ("hrrn", "\"hrrn\"", None, None),
        ("edf", "\"edf\"", None, None),
        (
            "mlfq",
            "{ discipline = \"mlfq\", levels = [1.0, 2.0, \"fcfs\"] }",
            None,
            Some("1,2,fcfs"),
        ),
        (
            "mlq",
            "{ discipline = \"mlq\", levels = [{ classes = [\"p0\"], discipline = \"rr\", quantum = 1.0 }, { classes = [\"p1\"], discipline = \"fcfs\" }] }",
            None,
            Some("rr:1,fcfs"),
        ),
    ];
    for (name, toml_policy, quantum, levels) in policies {
        let text = format!(
            "name = \"same\"\nhorizon = {{ jobs = 1000 }}\n\
             [[classes]]\nname = \"p0\"\narrival = {{ dist = \"exponential\", rate = 1.0 }}\nservice = {{ dist = \"exponential\", mean = 1.0 }}\npriority = 0\n\
             [[classes]]\nname = \"p1\"\narrival = {{ dist = \"exponential\", rate = 1.0 }}\nservice = {{ dist = \"exponential\", mean = 1.0 }}\npriority = 1\n\
             [[nodes]]\nname = \"cpu\"\nservers = 1\n[policy]\ncompare = [{toml_policy}]\n"
        );
        let scenario = Scenario::from_toml(&text, std::path::Path::new("same.toml")).unwrap();
        let arrivals: Vec<Arrival> = tasks
            .iter()
            .map(|t| {
                let mut a = Arrival::new(t.arrival, t.priority as u32, t.burst);
                a.deadline = t.deadline.unwrap();
                a
            })
            .collect();
        let mut sim = Simulation::new(
            &scenario,
            FixedWorkload::new(arrivals),
            &scenario.policies[0],
            None,
            Done::default(),
        );
        sim.run(Limit::Jobs(0), Limit::Jobs(u64::MAX));
        let mut simulated = sim.into_observer().0;
        simulated.sort_by_key(|d| d.0);
        let mut o = opts(name);
        o.quantum = quantum;
        o.levels = levels.map(String::from);
        let taught = teaching::schedule(&tasks, &o).unwrap();
        let taught: Vec<f64> = taught.outcomes.iter().map(|x| x.completion).collect();
        let simulated: Vec<f64> = simulated.iter().map(|d| d.1).collect();
        assert_eq!(simulated, taught, "{name}");
    }
}

#[test]
fn pictures_of_the_gantt_chart() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.toml");
    std::fs::write(
        &jobs,
        "[[jobs]]\nid = \"P1\"\narrival = 0\nburst = 8\n[[jobs]]\nid = \"P2\"\narrival = 1\nburst = 4\n",
    )
    .unwrap();
    let (svg, png) = (dir.path().join("g.svg"), dir.path().join("g.png"));
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args([
            "gantt",
            jobs.to_str().unwrap(),
            "--policy",
            "srtf",
            "--cpus",
            "2",
        ])
        .arg("--svg")
        .arg(&svg)
        .arg("--png")
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"));
    // plotters writes each label as the content of its own <text> element.
    let labels: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('<'))
        .collect();
    for needle in ["Gantt chart: srtf", "P1", "P2", "CPU 0", "CPU 1", "time"] {
        assert!(
            labels.contains(&needle),
            "{needle} missing from the SVG labels {labels:?}"
        );
    }
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // A picture name with the wrong extension is refused, and nothing is written.
    let wrong = dir.path().join("g.jpg");
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args([
            "gantt",
            jobs.to_str().unwrap(),
            "--svg",
            wrong.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!wrong.exists());
}

/// More exercises, with staggered arrivals, solved by hand.
#[test]
fn staggered_arrivals_under_each_policy() {
    let list = "id,arrival,burst\nP1,0,7\nP2,2,4\nP3,4,1\nP4,5,4\n";
    // FCFS: 0-7, 7-11, 11-12, 12-16.
    assert_eq!(
        completions(&run(list, opts("fcfs"))),
        vec![7.0, 11.0, 12.0, 16.0]
    );
    // SJF: P1 0-7, then P3 7-8, P2 8-12 (ties with P4 on burst, arrived first), P4 12-16; waits 0, 6, 3, 7.
    let s = run(list, opts("sjf"));
    assert_eq!(completions(&s), vec![7.0, 12.0, 8.0, 16.0]);
    assert_eq!(avg_wait(&s), 4.0);
    // SRTF: P1 0-2, P2 2-4, P3 4-5, P2 5-7, P4 7-11, P1 11-16; waits 9, 1, 0, 2.
    let s = run(list, opts("srtf"));
    assert_eq!(completions(&s), vec![16.0, 7.0, 5.0, 11.0]);
    assert_eq!(avg_wait(&s), 3.0);
    // HRRN: P1 0-7; at 7 ratios P2 (5+4)/4, P3 (3+1)/1 = 4, P4 (2+4)/4 -> P3 7-8;
    // at 8 P2 (6+4)/4 = 2.5 beats P4 (3+4)/4 = 1.75 -> P2 8-12, P4 12-16.
    assert_eq!(
        completions(&run(list, opts("hrrn"))),
        vec![7.0, 12.0, 8.0, 16.0]
    );
}

#[test]
fn round_robin_with_arrivals() {
    // q=2: P1 0-2; at 2 the queue is P2 (arrived 1), P3 (arrives 2, ahead of P1), P1.
    // P2 2-4, P3 4-5, P1 5-7, P2 7-8, P1 8-9.
    let mut o = opts("rr");
    o.quantum = Some(2.0);
    let s = run("id,arrival,burst\nP1,0,5\nP2,1,3\nP3,2,1\n", o);
    assert_eq!(completions(&s), vec![9.0, 8.0, 5.0]);
    let order: Vec<String> = blocks(&s, 0).into_iter().map(|b| b.0).collect();
    assert_eq!(order, vec!["P1", "P2", "P3", "P1", "P2", "P1"]);
}

#[test]
fn nested_preemption_by_priority() {
    // P1(0,4,pri 3), P2(1,2,pri 1), P3(2,3,pri 2): P1 0-1, P2 1-3, P3 3-6, P1 6-9.
    let s = run(
        "id,arrival,burst,priority\nP1,0,4,3\nP2,1,2,1\nP3,2,3,2\n",
        opts("priority-pr"),
    );
    assert_eq!(completions(&s), vec![9.0, 3.0, 6.0]);
    // Non-preemptive: P1 0-4, then P2 4-6, P3 6-9.
    let s = run(
        "id,arrival,burst,priority\nP1,0,4,3\nP2,1,2,1\nP3,2,3,2\n",
        opts("priority"),
    );
    assert_eq!(completions(&s), vec![4.0, 6.0, 9.0]);
}

#[test]
fn edf_on_two_cpus_and_hrrn_ties() {
    // All at 0 on 2 CPUs: the two earliest deadlines (P2, P3) run first, P1 after.
    let mut o = opts("edf");
    o.cpus = 2;
    let s = run(
        "id,arrival,burst,deadline\nP1,0,3,10\nP2,0,2,3\nP3,0,2,4\n",
        o,
    );
    assert_eq!(completions(&s), vec![5.0, 2.0, 2.0]);
    // HRRN: equal ratios at t=0 go to the earlier line of the file.
    let s = run("id,arrival,burst\nP1,0,3\nP2,0,1\n", opts("hrrn"));
    assert_eq!(completions(&s), vec![3.0, 4.0]);
}
