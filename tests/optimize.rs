//! Optimal bounds against brute force, hand-solved instances and theory,
//! and the command line's answers to bad input.

use std::io::Write as _;

use assert_cmd::Command;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use schedlab::optimize::completion;
use schedlab::optimize::makespan::{self, Instance};
use schedlab::optimize::sequencing::{self, SeqJob};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn dp_equals_brute_force_on_random_instances() {
    for seed in 0..40u64 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let n = rng.random_range(1..=8usize);
        let jobs: Vec<SeqJob> = (0..n)
            .map(|_| SeqJob {
                release: if seed.is_multiple_of(4) {
                    0.0
                } else {
                    rng.random_range(0.0..10.0)
                },
                size: rng.random_range(0.5..6.0),
                weight: if seed.is_multiple_of(2) {
                    1.0
                } else {
                    rng.random_range(0.5..4.0)
                },
            })
            .collect();
        let dp = sequencing::optimal_sequence(&jobs).unwrap();
        let brute = sequencing::brute_force(&jobs);
        assert!(
            close(dp.objective, brute),
            "seed {seed}: DP {} vs brute force {brute}",
            dp.objective
        );
        // The reported order gives the reported value.
        assert!(close(
            sequencing::evaluate(&jobs, &dp.order).objective,
            dp.objective
        ));
        // No policy replayed through the engine beats it, except preemptive SRPT.
        let ids: Vec<String> = (0..n).map(|j| format!("J{j}")).collect();
        for h in sequencing::heuristics(&ids, &jobs).unwrap() {
            if !h.name.starts_with("srpt") {
                assert!(
                    h.objective >= dp.objective - 1e-6,
                    "seed {seed}: {} {}",
                    h.name,
                    h.objective
                );
            } else if seed.is_multiple_of(2) {
                // Unit weights: preemptive SRPT is a lower bound.
                assert!(
                    h.objective <= dp.objective + 1e-6,
                    "seed {seed}: srpt {}",
                    h.objective
                );
            }
        }
    }
}

#[test]
fn dp_without_releases_is_wspt() {
    let mut rng = Pcg64Mcg::seed_from_u64(99);
    let jobs: Vec<SeqJob> = (0..12)
        .map(|_| SeqJob {
            release: 0.0,
            size: rng.random_range(1.0..9.0),
            weight: rng.random_range(1.0..5.0),
        })
        .collect();
    let dp = sequencing::optimal_sequence(&jobs).unwrap();
    let wspt = sequencing::evaluate(&jobs, &sequencing::wspt_order(&jobs));
    assert!(close(dp.objective, wspt.objective));
}

fn random_instance(rng: &mut Pcg64Mcg, seed: u64) -> Instance {
    let n = rng.random_range(1..=8usize);
    let m = rng.random_range(2..=3usize);
    let release: Vec<f64> = (0..n)
        .map(|_| {
            if seed.is_multiple_of(3) {
                rng.random_range(0.0..5.0)
            } else {
                0.0
            }
        })
        .collect();
    if seed.is_multiple_of(2) {
        let sizes: Vec<f64> = (0..n).map(|_| rng.random_range(1.0..10.0)).collect();
        let speeds: Vec<f64> = (0..m)
            .map(|i| {
                if i == 0 {
                    1.0
                } else {
                    rng.random_range(1..=2) as f64
                }
            })
            .collect();
        Instance::uniform(&sizes, &speeds, &release).unwrap()
    } else {
        let p = (0..n)
            .map(|_| (0..m).map(|_| rng.random_range(1.0..10.0)).collect())
            .collect();
        Instance::unrelated(p, &release).unwrap()
    }
}

#[test]
fn milp_equals_brute_force_on_random_instances() {
    for seed in 0..30u64 {
        let mut rng = Pcg64Mcg::seed_from_u64(1000 + seed);
        let inst = random_instance(&mut rng, seed);
        let brute = makespan::brute_force(&inst);
        let milp = makespan::solve_milp(&inst, 60.0, None, None).unwrap();
        assert!(milp.proven_optimal, "seed {seed}");
        assert!(
            close(milp.makespan, brute),
            "seed {seed}: MILP {} vs brute force {brute}",
            milp.makespan
        );
        assert!(close(
            makespan::makespan_of(&inst, &milp.assignment),
            milp.makespan
        ));
        // With a heuristic warm start the answer is the same.
        let runs = match &inst.uniform {
            Some((sizes, speeds)) => {
                makespan::list_heuristics(sizes, speeds, &inst.release, seed).unwrap()
            }
            None => makespan::unrelated_heuristics(&inst, seed),
        };
        let warm = makespan::solve_milp(&inst, 60.0, Some(&runs[0].node), None).unwrap();
        assert!(
            close(warm.makespan, brute),
            "seed {seed}: warm {} vs {brute}",
            warm.makespan
        );
    }
}

#[test]
fn lp_bound_le_optimum_le_every_heuristic_on_unrelated_nodes() {
    for seed in 0..30u64 {
        let mut rng = Pcg64Mcg::seed_from_u64(4000 + seed);
        let n = rng.random_range(1..=8usize);
        let m = rng.random_range(2..=3usize);
        let p: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..m).map(|_| rng.random_range(1.0..10.0)).collect())
            .collect();
        let release: Vec<f64> = (0..n)
            .map(|_| {
                if seed.is_multiple_of(2) {
                    rng.random_range(0.0..5.0)
                } else {
                    0.0
                }
            })
            .collect();
        let inst = Instance::unrelated(p, &release).unwrap();
        let lp = makespan::lp_bound(&inst).unwrap();
        let brute = makespan::brute_force(&inst);
        let opt = makespan::solve_milp(&inst, 60.0, None, None).unwrap();
        assert!(opt.proven_optimal, "seed {seed}");
        assert!(
            close(opt.makespan, brute),
            "seed {seed}: MILP {} vs brute force {brute}",
            opt.makespan
        );
        assert!(lp <= opt.makespan + 1e-6, "seed {seed}: LP {lp} > {brute}");
        let runs = makespan::unrelated_heuristics(&inst, seed);
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["lpt", "spt", "greedy-eft", "round-robin", "random"]);
        for run in &runs {
            for (j, r) in release.iter().enumerate() {
                // No job starts before its release.
                let start = run.completion[j] - inst.p[j][run.node[j]];
                assert!(start >= r - 1e-9, "seed {seed}: {}", run.name);
            }
            assert!(run.makespan() >= makespan::makespan_of(&inst, &run.node) - 1e-6);
            assert!(
                run.makespan() >= opt.makespan - 1e-6,
                "seed {seed}: {} {} < optimum {}",
                run.name,
                run.makespan(),
                opt.makespan
            );
        }
    }
}

/// Jobs `A..D` with a time on each of two unrelated nodes, `C` released at 3.
const TINY_UNRELATED: &str = "id,t_0,t_1,release\nA,4,3,0\nB,5,1,0\nC,2,4,3\nD,5,4,0\n";

#[test]
fn unrelated_heuristics_by_hand() {
    let list = schedlab::optimize::input::parse_job_list(TINY_UNRELATED).unwrap();
    let p: Vec<Vec<f64>> = list.jobs.iter().map(|j| j.times.clone()).collect();
    let release: Vec<f64> = list.jobs.iter().map(|j| j.release).collect();
    let inst = Instance::unrelated(p, &release).unwrap();
    let runs = makespan::unrelated_heuristics(&inst, 7);
    let got: Vec<(&str, f64)> = runs
        .iter()
        .map(|r| (r.name.as_str(), r.makespan()))
        .collect();
    // Least times A 3, B 1, C 2, D 4; list order (release, file) A B D C.
    // lpt D A C B: D→1 (ends 0,4), A→0 (4,4), C→0 at max(4,3) (6,4), B→1 (6,5): 6.
    // spt B C A D: B→1 (0,1), C→0 at 3 (5,1), A→1 (5,4), D→1 (5,8): 8.
    // greedy-eft A B D C: A→1 (0,3), B→1 (0,4), D→0 (5,4), C→0 (7,4): 7.
    // round-robin A→0 B→1 D→0 C→1: node 0 ends 9, node 1 at max(1,3)+4 = 7: 9.
    assert_eq!(
        &got[..4],
        &[
            ("lpt", 6.0),
            ("spt", 8.0),
            ("greedy-eft", 7.0),
            ("round-robin", 9.0)
        ]
    );
    assert_eq!(runs[0].node, vec![0, 1, 0, 1]);
    assert_eq!(runs[3].node, vec![0, 1, 1, 0]);
    // random: whatever nodes it drew, each runs its jobs in list order.
    let random = &runs[4];
    let mut end = [0.0f64; 2];
    for j in [0, 1, 3, 2] {
        let i = random.node[j];
        end[i] = end[i].max(release[j]) + inst.p[j][i];
        assert_eq!(random.completion[j], end[i]);
    }
    assert_eq!(random.makespan(), end[0].max(end[1]));
    assert_eq!(
        makespan::unrelated_heuristics(&inst, 7)[4].node,
        random.node,
        "seeded"
    );
    // The optimum: C on node 1 ends at 3 + 4 = 7 at best; C alone on node 0
    // leaves 3 + 1 + 4 = 8 on node 1; C with another job on node 0 ends at
    // 6 at best (after A). So 6, which lpt found.
    assert_eq!(makespan::brute_force(&inst), 6.0);
}

#[test]
fn lp_bound_le_optimum_le_every_heuristic() {
    for seed in 0..20u64 {
        let mut rng = Pcg64Mcg::seed_from_u64(2000 + seed);
        let n = rng.random_range(2..=8usize);
        let sizes: Vec<f64> = (0..n).map(|_| rng.random_range(1..=9) as f64).collect();
        let speeds = [1.0, 1.0, 2.0];
        let release: Vec<f64> = (0..n).map(|_| rng.random_range(0..=3) as f64).collect();
        let inst = Instance::uniform(&sizes, &speeds, &release).unwrap();
        let lp = makespan::lp_bound(&inst).unwrap();
        let opt = makespan::solve_milp(&inst, 60.0, None, None).unwrap();
        assert!(opt.proven_optimal);
        assert!(
            lp <= opt.makespan + 1e-6,
            "seed {seed}: LP {lp} > optimum {}",
            opt.makespan
        );
        assert!(makespan::lower_bound(&inst).unwrap() <= opt.makespan + 1e-6);
        for run in makespan::list_heuristics(&sizes, &speeds, &release, seed).unwrap() {
            assert!(
                run.completion.iter().all(|c| c.is_finite()),
                "{} left a job",
                run.name
            );
            // The engine's schedule is feasible: its makespan is that of its assignment or worse.
            assert!(run.makespan() >= makespan::makespan_of(&inst, &run.node) - 1e-6);
            assert!(
                run.makespan() >= opt.makespan - 1e-6,
                "seed {seed}: {} {} < optimum {}",
                run.name,
                run.makespan(),
                opt.makespan
            );
        }
    }
}

#[test]
fn lpt_meets_grahams_bound_on_identical_nodes() {
    for seed in 0..20u64 {
        let mut rng = Pcg64Mcg::seed_from_u64(3000 + seed);
        let n = rng.random_range(3..=8usize);
        let m = 3;
        let sizes: Vec<f64> = (0..n).map(|_| rng.random_range(1.0..10.0)).collect();
        let inst = Instance::uniform(&sizes, &[1.0; 3], &vec![0.0; n]).unwrap();
        let opt = makespan::brute_force(&inst);
        let lpt = &makespan::list_heuristics(&sizes, &[1.0; 3], &vec![0.0; n], 0).unwrap()[0];
        assert!(lpt.makespan() <= (4.0 / 3.0 - 1.0 / (3.0 * m as f64)) * opt + 1e-9);
    }
}

#[test]
fn completion_lp_equals_brute_force() {
    for seed in 0..15u64 {
        let mut rng = Pcg64Mcg::seed_from_u64(4000 + seed);
        let n = rng.random_range(1..=7usize);
        let m = rng.random_range(1..=3usize);
        let p: Vec<Vec<f64>> = if seed.is_multiple_of(2) {
            let speeds: Vec<f64> = (0..m).map(|_| rng.random_range(1..=3) as f64).collect();
            (0..n)
                .map(|_| {
                    let s = rng.random_range(1.0..10.0);
                    speeds.iter().map(|v| s / v).collect()
                })
                .collect()
        } else {
            (0..n)
                .map(|_| (0..m).map(|_| rng.random_range(1.0..10.0)).collect())
                .collect()
        };
        let plan = completion::min_total_completion(&p).unwrap();
        let brute = completion::brute_force(&p);
        assert!(
            close(plan.total, brute),
            "seed {seed}: LP {} vs brute force {brute}",
            plan.total
        );
        let mut all: Vec<usize> = plan.sequences.concat();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }
}

fn job_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn schedlab() -> Command {
    Command::cargo_bin("schedlab").unwrap()
}

fn fails_with(args: &[&str], needles: &[&str]) {
    let out = schedlab().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {err} lacks {n}");
    }
}

#[test]
fn cli_rejects_bad_batches_with_exit_2() {
    let ok = job_file("id,size\nA,3\nB,2\n");
    let p = ok.path().to_str().unwrap();
    fails_with(
        &["optimize", "makespan", p, "--speeds", "1,0"],
        &["--speeds = 0", "greater than 0"],
    );
    fails_with(
        &["optimize", "makespan", p, "--speeds", "1,-2"],
        &["--speeds = -2"],
    );
    fails_with(&["optimize", "makespan", p], &["--nodes"]);
    fails_with(
        &[
            "optimize",
            "makespan",
            p,
            "--nodes",
            "2",
            "--time-limit",
            "soon",
        ],
        &["--time-limit = soon"],
    );
    let empty = job_file("id,size\n");
    fails_with(
        &[
            "optimize",
            "makespan",
            empty.path().to_str().unwrap(),
            "--nodes",
            "2",
        ],
        &[empty.path().to_str().unwrap(), "line 2", "no jobs"],
    );
    let bad = job_file("id,size\nA,3\nB,two\n");
    fails_with(
        &[
            "optimize",
            "makespan",
            bad.path().to_str().unwrap(),
            "--nodes",
            "2",
        ],
        &[bad.path().to_str().unwrap(), "line 3, size", "\"two\""],
    );
    let released = job_file("id,size,release\nA,3,0\nB,2,1\n");
    fails_with(
        &[
            "optimize",
            "completion",
            released.path().to_str().unwrap(),
            "--nodes",
            "2",
        ],
        &["release", "released at 0"],
    );
}

#[test]
fn cli_rejects_too_many_jobs_for_the_dp() {
    let mut text = String::from("id,size\n");
    for j in 0..21 {
        text.push_str(&format!("J{j},{}\n", j + 1));
    }
    let f = job_file(&text);
    let p = f.path().to_str().unwrap();
    fails_with(
        &["optimize", "sequence", p],
        &[p, "jobs = 21", "at most 20"],
    );
    fails_with(
        &["optimize", "sequence", p, "--weighted"],
        &["weight column"],
    );
}

#[test]
fn cli_sequence_prints_the_optimum_and_its_gantt_chart() {
    let f = job_file("id,size,release\nA,10,0\nB,1,1\nC,1,1\nD,1,1\n");
    let out = schedlab()
        .args(["optimize", "sequence", f.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Σ C_j = 23"), "{text}");
    // B, C and D tie; the long job A goes last.
    let order = text
        .lines()
        .find(|l| l.starts_with("optimal order:"))
        .unwrap();
    assert!(order.ends_with(" A"), "{text}");
    assert!(text.contains("CPU 0 |idle"), "{text}");
    assert!(text.contains("srpt (preemptive)"), "{text}");
}

#[test]
fn cli_makespan_json_reports_optimum_bound_and_heuristics() {
    let f = job_file("id,size\nA,3\nB,3\nC,2\nD,2\nE,2\n");
    let out = schedlab()
        .args([
            "optimize",
            "makespan",
            f.path().to_str().unwrap(),
            "--nodes",
            "2",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["milp"]["makespan"].as_f64(), Some(6.0));
    assert_eq!(doc["milp"]["proven_optimal"], true);
    assert!(doc["lp_bound"].as_f64().unwrap() <= 6.0);
    let lpt = &doc["heuristics"][0];
    assert_eq!(lpt["name"], "lpt");
    assert!((lpt["ratio"].as_f64().unwrap() - 7.0 / 6.0).abs() < 1e-9);
}

#[test]
fn cli_makespan_prints_heuristics_for_unrelated_nodes() {
    let f = job_file(TINY_UNRELATED);
    let out = schedlab()
        .args(["optimize", "makespan", f.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("4 jobs on 2 unrelated nodes"), "{text}");
    assert!(text.contains("proven optimal"), "{text}");
    for (name, makespan, ratio) in [
        ("lpt", "6", "1.0000"),
        ("spt", "8", "1.3333"),
        ("greedy-eft", "7", "1.1667"),
        ("round-robin", "9", "1.5000"),
    ] {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} row: {text}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells, [name, makespan, ratio], "{text}");
    }
    assert!(text.lines().any(|l| l.starts_with("random ")), "{text}");
    assert!(text.contains("computed directly"), "{text}");
    let out = schedlab()
        .args(["optimize", "makespan", f.path().to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["heuristics_computed"], "direct");
    assert_eq!(doc["heuristics"].as_array().unwrap().len(), 5);
    assert_eq!(doc["heuristics"][1]["makespan"].as_f64(), Some(8.0));
}

use schedlab::dispatch::{Dispatcher, NodeLoad, Rule};
use schedlab::job::Job;
use schedlab::optimize::mdp;
use schedlab::optimize::split::{self, SimPlan};

#[test]
fn square_root_rule_matches_a_grid_search() {
    for seed in 0..10u64 {
        let mut rng = Pcg64Mcg::seed_from_u64(5000 + seed);
        let n = if seed < 5 { 2 } else { 3 };
        let mu: Vec<f64> = (0..n).map(|_| rng.random_range(0.5..4.0)).collect();
        let total: f64 = mu.iter().sum();
        let lambda = total * rng.random_range(0.1..0.95);
        let best = split::square_root_split(lambda, &mu).unwrap();
        let t_best = split::mean_response(&best, &mu);
        assert!(close(best.iter().sum::<f64>(), lambda));
        // Grid over the simplex of splits.
        let steps = if n == 2 { 20_000 } else { 600 };
        let mut t_grid = f64::INFINITY;
        for a in 0..=steps {
            let x = lambda * a as f64 / steps as f64;
            if n == 2 {
                t_grid = t_grid.min(split::mean_response(&[x, lambda - x], &mu));
            } else {
                for b in 0..=(steps - a) {
                    let y = lambda * b as f64 / steps as f64;
                    let z = (lambda - x - y).max(0.0);
                    t_grid = t_grid.min(split::mean_response(&[x, y, z], &mu));
                }
            }
        }
        assert!(
            t_best <= t_grid + 1e-12,
            "seed {seed}: rule {t_best} > grid {t_grid}"
        );
        assert!(
            t_grid - t_best <= 1e-3 * t_best,
            "seed {seed}: grid {t_grid} far from {t_best}"
        );
        let numeric = split::numeric_split(lambda, &mu).unwrap();
        let t_numeric = split::mean_response(&numeric, &mu);
        assert!(
            (t_numeric - t_best).abs() <= 1e-9 * t_best,
            "seed {seed}: {t_numeric} vs {t_best}"
        );
    }
}

#[test]
fn class_flow_lp_by_hand() {
    // Class 0 (rate 1) is fast on node 0, class 1 (rate 0.5) on node 1:
    // each goes where it is fast; cost = total utilisation 1/2 + 0.5/3.
    let mu = vec![vec![2.0, 1.0], vec![1.0, 3.0]];
    let cost: Vec<Vec<f64>> = mu
        .iter()
        .map(|r| r.iter().map(|m| 1.0 / m).collect())
        .collect();
    let plan = split::class_flow(&[1.0, 0.5], &mu, &cost, &[0.9, 0.9]).unwrap();
    assert!(close(plan.cost, 0.5 + 0.5 / 3.0));
    assert!(close(plan.flow[0][0], 1.0) && close(plan.flow[1][1], 0.5));
    // A cap of 0.4 at node 0 leaves it 0.8 of class 0 (load 0.8/2); the
    // other 0.2 goes to node 1.
    let plan = split::class_flow(&[1.0, 0.5], &mu, &cost, &[0.4, 0.9]).unwrap();
    assert!(close(plan.flow[0][0], 0.8), "{plan:?}");
    assert!(
        plan.load
            .iter()
            .zip([0.4, 0.9])
            .all(|(l, c)| *l <= c + 1e-9)
    );
    // Infeasible: not enough capacity for both classes.
    let e = split::class_flow(&[3.0, 3.0], &mu, &cost, &[0.9, 0.9]).unwrap_err();
    assert_eq!(e.field, "--cap");
    assert!(e.message.contains("infeasible"));
}

fn slow_server_model() -> mdp::Model {
    mdp::Model::new(2.0, &[2.0, 1.0], 60).unwrap()
}

#[test]
fn value_iteration_converges_to_a_monotone_switching_curve() {
    let model = slow_server_model();
    let tol = 1e-9;
    let sol = mdp::solve(&model, tol, 1_000_000);
    assert!(sol.converged && sol.span < tol, "span {}", sol.span);
    let eval = mdp::evaluate(&model, &sol.policy);
    // The truncation at 60 jobs per queue does not matter.
    assert!(eval.boundary_mass < 1e-9, "{}", eval.boundary_mass);
    assert!((eval.mean_number - sol.gain).abs() < 1e-6);
    let coarser = mdp::solve(
        &mdp::Model::new(2.0, &[2.0, 1.0], 40).unwrap(),
        tol,
        1_000_000,
    );
    assert!((coarser.gain - sol.gain).abs() < 1e-7);
    // Server 0 is the fast one. In every row (jobs at the slow server),
    // once the slow server is chosen it stays chosen for longer fast
    // queues, and the threshold does not decrease with the slow queue.
    let limit = 20;
    let t = mdp::thresholds(&model, &sol.policy, limit);
    for (q1, threshold) in t.iter().enumerate() {
        if let Some(start) = *threshold {
            for q0 in start..=limit {
                assert_eq!(sol.policy[model.encode(&[q0, q1])], 1, "state ({q0}, {q1})");
            }
        }
    }
    let found: Vec<usize> = t.iter().flatten().copied().collect();
    assert!(found.len() >= 5, "{t:?}");
    assert!(found.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
    // An empty fast server always gets the job.
    assert!(t.iter().flatten().all(|&x| x >= 1));
    // The optimum beats jsq and every static split.
    let jsq = mdp::evaluate(&model, &mdp::jsq_table(&model));
    assert!(eval.mean_response <= jsq.mean_response + 1e-9);
    let best_static = split::square_root_split(2.0, &[2.0, 1.0]).unwrap();
    assert!(eval.mean_response < split::mean_response(&best_static, &[2.0, 1.0]));
}

#[test]
fn mdp_policy_simulated_in_the_engine_agrees_within_the_ci() {
    let model = slow_server_model();
    let sol = mdp::solve(&model, 1e-9, 1_000_000);
    let exact = mdp::evaluate(&model, &sol.policy).mean_response;
    let plan = SimPlan {
        replications: 20,
        jobs: if cfg!(debug_assertions) {
            50_000
        } else {
            400_000
        },
        seed: 8,
    };
    let est = split::simulate(2.0, &[2.0, 1.0], mdp::rule(&model, &sol.policy), plan);
    let h = est.ci95.unwrap();
    assert!(
        (est.mean - exact).abs() <= 2.0 * h,
        "simulated {:.4} ± {h:.4}, MDP {exact:.4}",
        est.mean
    );
    // The static split, simulated the same way, agrees with its formula.
    let flows = split::square_root_split(2.0, &[2.0, 1.0]).unwrap();
    let est = split::simulate(2.0, &[2.0, 1.0], split::split_rule(&flows), plan);
    let h = est.ci95.unwrap();
    let t = split::mean_response(&flows, &[2.0, 1.0]);
    assert!(
        (est.mean - t).abs() <= 2.0 * h,
        "static {:.4} ± {h:.4} vs {t:.4}",
        est.mean
    );
}

#[test]
fn table_and_earliest_finish_rules_pick_as_documented() {
    let job = Job::new(0, 0, 0, 0, 0.0, 3.0);
    let mut loads = vec![
        NodeLoad {
            servers: 1,
            speed: 1.0,
            ..NodeLoad::default()
        };
        2
    ];
    loads[1].speed = 3.0;
    // Node 0: 1 unit of work left; node 1: 4 units at speed 3. The job
    // (size 3) ends at (1 + 3)/1 = 4 on node 0, (4 + 3)/3 ≈ 2.33 on node 1.
    loads[0].work = 1.0;
    loads[1].work = 4.0;
    let mut d = Dispatcher::new(Rule::EarliestFinish, Pcg64Mcg::seed_from_u64(1));
    assert_eq!(d.choose(&job, &loads, 0.0), 1);
    // Table with cap 2: index = min(n0, 2) + 3 min(n1, 2).
    let mut choice = vec![0u32; 9];
    choice[2 + 3] = 1;
    let mut d = Dispatcher::new(Rule::Table { cap: 2, choice }, Pcg64Mcg::seed_from_u64(1));
    loads[0].present = 5; // capped at 2
    loads[1].present = 1;
    assert_eq!(d.choose(&job, &loads, 0.0), 1);
    loads[1].present = 0;
    assert_eq!(d.choose(&job, &loads, 0.0), 0);
}

#[test]
fn cli_rejects_bad_rates_and_caps_with_exit_2() {
    fails_with(
        &["optimize", "split", "--lambda", "3", "--mu", "1,2"],
        &["--lambda = 3", "unstable"],
    );
    fails_with(
        &["optimize", "split", "--lambda", "1", "--mu", "1,0"],
        &["--mu = 0"],
    );
    fails_with(
        &["optimize", "mdp", "--lambda", "1", "--mu", "1,-1"],
        &["--mu = -1"],
    );
    fails_with(
        &[
            "optimize",
            "mdp",
            "--lambda",
            "1",
            "--mu",
            "1,1,1,1,1",
            "--truncate",
            "60",
        ],
        &["--truncate = 60", "states"],
    );
    fails_with(
        &[
            "optimize", "flow", "--rates", "3,3", "--mu", "2,1;1,3", "--cap", "0.9",
        ],
        &["--cap = 0.9,0.9", "infeasible"],
    );
    fails_with(
        &["optimize", "flow", "--rates", "1", "--mu", "2,x"],
        &["--mu = x"],
    );
}

#[test]
fn cli_mdp_prints_the_policy_table_and_the_gaps() {
    let out = schedlab()
        .args([
            "optimize",
            "mdp",
            "--lambda",
            "1.5",
            "--mu",
            "2,1",
            "--truncate",
            "30",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "q1\\q0",
        "threshold",
        "mdp optimum",
        "jsq",
        "optimal static split",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let out = schedlab()
        .args([
            "optimize",
            "mdp",
            "--lambda",
            "1.5",
            "--mu",
            "2,1",
            "--truncate",
            "30",
            "--json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["span"].as_f64().unwrap() < 1e-9);
    assert_eq!(
        doc["policy_rows_q1_columns_q0"].as_array().unwrap().len(),
        31
    );
}

#[test]
fn cli_makespan_prints_the_assignment_with_the_node_names() {
    let f = job_file(&TINY_UNRELATED.replace("t_0,t_1", "t_fast,t_slow"));
    let path = f.path().to_str().unwrap();
    let out = schedlab()
        .args(["optimize", "makespan", path])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let out = schedlab()
        .args(["optimize", "makespan", path, "--json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = doc["node_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, ["fast", "slow"]);
    // JSON: each job's node by its name and index; the table: one line
    // per node, by name, with its jobs, each job on exactly one.
    let assignment = doc["milp"]["assignment"].as_array().unwrap();
    let mut seen = Vec::new();
    for a in assignment {
        let i = a["node_index"].as_u64().unwrap() as usize;
        assert_eq!(a["node"], names[i], "{a}");
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", names[i])))
            .unwrap_or_else(|| panic!("no line of {}: {text}", names[i]));
        let id = a["id"].as_str().unwrap();
        assert!(
            line.split_whitespace().skip(2).any(|w| w == id),
            "{id}: {text}"
        );
        seen.push(id.to_string());
    }
    seen.sort();
    assert_eq!(seen, ["A", "B", "C", "D"]);
    assert!(text.contains("optimal assignment"), "{text}");
    // Uniform nodes are named n0, n1, ... in the order of --speeds.
    let g = job_file("id,size\nA,3\nB,3\nC,2\n");
    let out = schedlab()
        .args([
            "optimize",
            "makespan",
            g.path().to_str().unwrap(),
            "--speeds",
            "1,2",
            "--json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["node_names"], serde_json::json!(["n0", "n1"]));
}

#[test]
fn cli_mdp_gives_the_policy_of_three_servers_in_json() {
    let (lambda, mu, cap) = (2.0, [2.0, 1.0, 1.0], 5usize);
    let out = schedlab()
        .args([
            "optimize",
            "mdp",
            "--lambda",
            "2",
            "--mu",
            "2,1,1",
            "--truncate",
            "5",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let model = mdp::Model::new(lambda, &mu, cap).unwrap();
    let sol = mdp::solve(&model, 1e-9, 1_000_000);
    let policy = &doc["policy"];
    assert_eq!(policy.as_array().unwrap().len(), cap + 1);
    for q2 in 0..=cap {
        for q1 in 0..=cap {
            for q0 in 0..=cap {
                assert_eq!(
                    policy[q2][q1][q0].as_u64(),
                    Some(u64::from(sol.policy[model.encode(&[q0, q1, q2])])),
                    "state ({q0}, {q1}, {q2})"
                );
            }
        }
    }
    // An empty system sends the arrival to the fast server.
    assert_eq!(policy[0][0][0], 0);
    assert!(
        doc["policy_index"]
            .as_str()
            .unwrap()
            .starts_with("policy[q2][q1][q0]")
    );
    // Two servers: the same table as policy_rows_q1_columns_q0.
    let out = schedlab()
        .args([
            "optimize",
            "mdp",
            "--lambda",
            "1.5",
            "--mu",
            "2,1",
            "--truncate",
            "8",
            "--json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["policy"], doc["policy_rows_q1_columns_q0"]);
}

#[test]
fn each_optimize_subcommand_has_help_of_its_own() {
    let help = |sub: &str| {
        let out = schedlab()
            .args(["optimize", sub, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let makespan = help("makespan");
    let completion = help("completion");
    assert!(makespan.contains("--time-limit"), "{makespan}");
    assert!(!completion.contains("--time-limit"), "{completion}");
    assert!(!completion.contains("MILP"), "{completion}");
    assert!(completion.contains("released at 0"), "{completion}");
    // clap's usage error, exit code 2.
    let out = schedlab()
        .args(["optimize", "completion", "x.csv", "--time-limit", "5s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'--time-limit'"));
    let mdp = help("mdp");
    assert!(mdp.contains("three or more servers"), "{mdp}");
}
