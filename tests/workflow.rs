//! `schedlab workflow`: HEFT and CPOP on the published example, schedules
//! checked on random graphs, the MILP against brute force, the readers,
//! and bad input.

use schedlab::model::workflow::{Dag, TaskSpec};
use schedlab::workflow::{self, Platform, Policy};

/// Topcuoglu, Hariri & Wu 2002, Fig. 2: computation costs on P1, P2, P3.
const PAPER_COSTS: [[f64; 3]; 10] = [
    [14.0, 16.0, 9.0],
    [13.0, 19.0, 18.0],
    [11.0, 13.0, 19.0],
    [13.0, 8.0, 17.0],
    [12.0, 13.0, 10.0],
    [13.0, 16.0, 9.0],
    [7.0, 15.0, 11.0],
    [5.0, 11.0, 14.0],
    [18.0, 12.0, 20.0],
    [21.0, 7.0, 16.0],
];

/// Its edges with their communication costs (bytes at bandwidth 1).
const PAPER_EDGES: [(usize, usize, f64); 15] = [
    (1, 2, 18.0),
    (1, 3, 12.0),
    (1, 4, 9.0),
    (1, 5, 11.0),
    (1, 6, 14.0),
    (2, 8, 19.0),
    (2, 9, 16.0),
    (3, 7, 23.0),
    (4, 8, 27.0),
    (4, 9, 23.0),
    (5, 9, 13.0),
    (6, 8, 15.0),
    (7, 10, 17.0),
    (8, 10, 11.0),
    (9, 10, 13.0),
];

fn paper() -> (Dag, Platform) {
    let tasks = (1..=10)
        .map(|t| TaskSpec {
            id: format!("n{t}"),
            work: 1.0,
            cores: 1.0,
            parents: PAPER_EDGES
                .iter()
                .filter(|e| e.1 == t)
                .map(|e| (format!("n{}", e.0), e.2))
                .collect(),
        })
        .collect();
    let dag = Dag::new("heft-paper", tasks).unwrap();
    let costs = PAPER_COSTS.iter().map(|r| r.to_vec()).collect();
    let platform = Platform::unrelated(vec!["P1".into(), "P2".into(), "P3".into()], costs)
        .with_network(1.0, 0.0)
        .unwrap();
    (dag, platform)
}

#[test]
fn heft_paper_example_makespan_80_with_the_papers_assignment() {
    let (dag, platform) = paper();
    let rank = workflow::heft::upward_rank(&dag, &platform);
    let expected = [
        108.0, 77.0, 80.0, 80.0, 69.0, 63.333, 42.667, 35.667, 44.333, 14.667,
    ];
    for (r, e) in rank.iter().zip(expected) {
        assert!((r - e).abs() < 1e-3, "{rank:?}");
    }
    let s = workflow::schedule(&dag, &platform, Policy::Heft, 1);
    s.verify(&dag, &platform).unwrap();
    assert_eq!(s.makespan(), 80.0);
    // Fig. 4(a): n1 P3, n2 P1, n3 P3, n4 P2, n5 P3, n6 P2, n7 P3, n8 P1, n9 P2, n10 P2.
    let procs: Vec<usize> = s.slots.iter().map(|x| x.proc).collect();
    assert_eq!(procs, vec![2, 0, 2, 1, 2, 1, 2, 0, 1, 1]);
    let starts: Vec<f64> = s.slots.iter().map(|x| x.start).collect();
    assert_eq!(
        starts,
        vec![0.0, 27.0, 9.0, 18.0, 28.0, 26.0, 38.0, 57.0, 56.0, 73.0]
    );
}

#[test]
fn cpop_paper_example_makespan_86_with_the_critical_path_on_p2() {
    let (dag, platform) = paper();
    let (path, proc) = workflow::heft::cpop_critical_path(&dag, &platform);
    assert_eq!(path, vec![0, 1, 8, 9]);
    assert_eq!(proc, 1);
    let s = workflow::schedule(&dag, &platform, Policy::Cpop, 1);
    s.verify(&dag, &platform).unwrap();
    assert_eq!(s.makespan(), 86.0);
    // Fig. 4(b): the critical path n1, n2, n9, n10 runs on P2.
    for t in [0, 1, 8, 9] {
        assert_eq!(s.slots[t].proc, 1, "{:?}", s.slots);
    }
}
