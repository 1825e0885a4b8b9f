//! Each index against the brute-force scan: random sequences of the load
//! changes the engine makes (arrive, start, stop, complete, fail, repair,
//! share, time passing), and after every step the indexed choice and the
//! scan's from the same stream must be the same node.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::*;

/// A node as the test drives it, beside the load a dispatcher sees.
#[derive(Clone)]
struct Drive {
    servers: u32,
    up: u32,
    busy: u32,
}

struct Board {
    loads: Vec<NodeLoad>,
    drive: Vec<Drive>,
    index: LoadIndex,
    now: f64,
}

impl Board {
    fn new(rng: &mut Pcg64Mcg, n: usize, rule: &Rule, varied: bool) -> Board {
        let (mut loads, mut drive) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let servers = if varied { rng.random_range(1..=3) } else { 1 };
            let speed = if varied {
                [0.5, 1.0, 2.0, 0.3][rng.random_range(0..4)]
            } else {
                1.0
            };
            loads.push(NodeLoad {
                servers,
                idle: servers,
                speed,
                ..NodeLoad::default()
            });
            drive.push(Drive {
                servers,
                up: servers,
                busy: 0,
            });
        }
        let index = LoadIndex::new(rule, &loads);
        Board {
            loads,
            drive,
            index,
            now: 0.0,
        }
    }

    /// One random change of one node's load, as the load board makes it.
    fn step(&mut self, rng: &mut Pcg64Mcg) {
        let i = rng.random_range(0..self.loads.len());
        let now = self.now;
        let (l, d) = (&mut self.loads[i], &mut self.drive[i]);
        match rng.random_range(0..9) {
            0 | 1 => {
                // Arrive, with sizes from a small set so ties happen.
                let w = [0.5, 1.0, 2.0, 1.0][rng.random_range(0..4)];
                l.present += 1;
                l.catch_up(now);
                l.work += w;
            }
            2 | 3 => {
                // Start a waiting job on an idle server.
                if d.busy < d.up.min(l.present) && l.idle > 0 {
                    l.catch_up(now);
                    l.work_rate += l.speed;
                    l.idle -= 1;
                    d.busy += 1;
                }
            }
            4 => {
                // Stop (preempted, say): the server goes idle.
                if d.busy > 0 {
                    l.catch_up(now);
                    l.work_rate -= l.speed;
                    d.busy -= 1;
                    l.idle += 1;
                }
            }
            5 => {
                // Complete.
                if d.busy > 0 && l.present > 0 {
                    l.catch_up(now);
                    l.work_rate -= l.speed;
                    d.busy -= 1;
                    l.idle += 1;
                    l.present -= 1;
                    if l.present == 0 {
                        l.work = 0.0;
                    }
                }
            }
            6 => {
                // Fail a server: an idle one, else a busy one stops.
                if d.up > 0 {
                    if l.idle > 0 {
                        l.idle -= 1;
                    } else {
                        l.catch_up(now);
                        l.work_rate -= l.speed;
                        d.busy -= 1;
                    }
                    d.up -= 1;
                    l.servers -= 1;
                }
            }
            7 => {
                // Repair.
                if d.up < d.servers {
                    d.up += 1;
                    l.servers += 1;
                    l.idle += 1;
                }
            }
            _ => {
                // A sharing node's busy capacity changes.
                let busy = f64::from(rng.random_range(0..=d.up)) * 0.75;
                l.catch_up(now);
                l.work_rate = busy * l.speed;
                l.idle = l.servers - (busy.round() as u32).min(l.servers);
                d.busy = d.up - l.idle;
            }
        }
        self.index.update(i, &self.loads[i]);
        if rng.random_range(0..3) == 0 {
            // Time passes (or, a third of the time, not).
            self.now += [0.0, 0.25, rng.random::<f64>()][rng.random_range(0..3)];
        }
    }
}

/// Runs `steps` random steps on `n` nodes, checking the indexed choice
/// against the scan's after each.
fn check(rule: Rule, n: usize, steps: usize, varied: bool, seed: u64) {
    let rule = match rule {
        Rule::PowerOfD { d } => Rule::PowerOfD { d: d.min(n as u32) },
        r => r,
    };
    let mut ops = Pcg64Mcg::seed_from_u64(seed);
    let mut board = Board::new(&mut ops, n, &rule, varied);
    let mut indexed = Dispatcher::new(rule.clone(), Pcg64Mcg::seed_from_u64(seed + 1));
    let mut scan = Dispatcher::new(rule.clone(), Pcg64Mcg::seed_from_u64(seed + 1));
    let job = Job::new(0, 0, 0, 0, 0.0, 1.0);
    let mut seen = vec![0u32; n];
    for step in 0..steps {
        board.step(&mut ops);
        let a = indexed.choose_indexed(&job, &board.loads, &[], &mut board.index, board.now);
        let b = scan.choose(&job, &board.loads, board.now);
        assert_eq!(a, b, "{} step {step}, n {n}, seed {seed}", rule.label());
        seen[a as usize] += 1;
    }
    // The draws stayed in step: both streams are at the same place.
    assert_eq!(
        indexed.rng.random::<u64>(),
        scan.rng.random::<u64>(),
        "{}",
        rule.label()
    );
}

fn rules() -> Vec<Rule> {
    vec![
        Rule::Jsq,
        Rule::Jiq,
        Rule::Lwl,
        Rule::PowerOfD { d: 2 },
        Rule::Hybrid {
            push: Box::new(Rule::Lwl),
        },
    ]
}

#[test]
fn indexes_choose_as_the_scan_on_random_operations() {
    for rule in rules() {
        for (seed, n) in [(1, 1), (2, 2), (3, 3), (4, 7), (5, 16), (6, 33)] {
            check(rule.clone(), n, 3000, true, seed);
            check(rule.clone(), n, 3000, false, seed + 100);
        }
    }
}

#[test]
fn large_power_of_d_chooses_as_the_scan() {
    check(Rule::PowerOfD { d: 40 }, 200, 2000, true, 9);
}

#[test]
fn jsq_and_lwl_at_scale_choose_as_the_scan() {
    for rule in [Rule::Jsq, Rule::Lwl, Rule::Jiq] {
        check(rule.clone(), 10_000, 3000, false, 11);
        check(rule, 3_000, 3000, true, 12);
    }
}

#[test]
fn ties_are_drawn_once_and_taken_in_node_order() {
    // Four nodes, 1 and 3 tied at least: one draw k in 0..2 picks the
    // k-th of them in node order.
    let mut loads = vec![
        NodeLoad {
            servers: 1,
            idle: 1,
            speed: 1.0,
            ..NodeLoad::default()
        };
        4
    ];
    loads[0].present = 2;
    loads[2].present = 1;
    let job = Job::new(0, 0, 0, 0, 0.0, 1.0);
    let mut d = Dispatcher::new(Rule::Jsq, Pcg64Mcg::seed_from_u64(4));
    let mut rng = Pcg64Mcg::seed_from_u64(4);
    for _ in 0..50 {
        let k = rng.random_range(0..2u32);
        assert_eq!(d.choose(&job, &loads, 0.0), [1, 3][k as usize]);
    }
    // A single least node takes no draw.
    loads[3].present = 1;
    for _ in 0..5 {
        assert_eq!(d.choose(&job, &loads, 0.0), 1);
    }
    assert_eq!(d.rng.random::<u64>(), rng.random::<u64>());
}

#[test]
fn a_node_with_no_server_up_is_never_chosen_while_another_has_one() {
    let mut loads = vec![
        NodeLoad {
            servers: 1,
            idle: 1,
            speed: 1.0,
            ..NodeLoad::default()
        };
        3
    ];
    // Node 0: every server down and nothing present (0/0 before).
    loads[0].servers = 0;
    loads[0].idle = 0;
    loads[1].present = 5;
    loads[2].present = 3;
    let job = Job::new(0, 0, 0, 0, 0.0, 1.0);
    for rule in [Rule::Jsq, Rule::Lwl] {
        let mut index = LoadIndex::new(&rule, &loads);
        let mut d = Dispatcher::new(rule, Pcg64Mcg::seed_from_u64(1));
        assert_ne!(d.choose(&job, &loads, 0.0), 0);
        assert_ne!(d.choose_indexed(&job, &loads, &[], &mut index, 0.0), 0);
    }
}
