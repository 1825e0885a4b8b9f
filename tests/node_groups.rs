//! Issue 19, node groups: `[[nodes]] name = "rack" count = N` is N
//! identical nodes `rack[0]` … expanded when the scenario is read, so a
//! group gives bit-identical figures to the same nodes written out, with
//! routes and dispatch rules naming the group; the group's own row pools
//! its members; bad groups are refused with one line, exit 2.

use std::path::Path;
use std::process::Command;

use schedlab::experiment::{self, Row};
use schedlab::model::Scenario;
use schedlab::report::ResultRecord;

fn parse(text: &str) -> Scenario {
    Scenario::from_toml(text, Path::new("groups.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// The rows of a run as JSON values keyed by (policy, class, node).
fn records(scenario: &Scenario) -> Vec<((String, String, String), serde_json::Value)> {
    experiment::run(scenario)
        .rows
        .iter()
        .map(|r: &Row| {
            let rec = ResultRecord::from(r);
            (
                (rec.policy.clone(), rec.class.clone(), rec.node.clone()),
                serde_json::to_value(&rec).unwrap(),
            )
        })
        .collect()
}

const HEAD: &str = r#"
name = "groups"
seed = 11
replications = 3
warmup = { jobs = 500 }
horizon = { jobs = 6000 }

[[classes]]
name = "web"
arrival = { dist = "exponential", rate = 2.4 }
service = { dist = "exponential", mean = 1.0 }

[[classes]]
name = "batch"
arrival = { dist = "exponential", rate = 0.4 }
service = { dist = "lognormal", mean = 2.0, scv = 3.0 }
"#;

/// The same scenario with the rack written as a group and as a list.
fn both(group: &str, list: &str, tail: &str) -> (Scenario, Scenario) {
    let mut grouped = parse(&format!("{HEAD}{group}{tail}"));
    grouped.member_rows = true;
    let listed = parse(&format!("{HEAD}{list}{tail}"));
    (grouped, listed)
}

fn rack(count: usize, extra: &str) -> (String, String) {
    let group = format!(
        "\n[[nodes]]\nname = \"rack\"\ncount = {count}\nservers = 1\nspeed = 1.5\ndiscipline = \"ps\"\n{extra}\n"
    );
    let list: String = (0..count)
        .map(|i| {
            format!(
                "\n[[nodes]]\nname = \"rack[{i}]\"\nservers = 1\nspeed = 1.5\ndiscipline = \"ps\"\n{extra}\n"
            )
        })
        .collect();
    (group, list)
}

/// Every row of the listed run has a bit-identical row in the grouped
/// run (which adds the group's own row).
fn assert_identical(grouped: &Scenario, listed: &Scenario) {
    let g = records(grouped);
    let l = records(listed);
    assert_eq!(g.len(), l.len() + 1, "the grouped run adds the group's row");
    for (key, value) in &l {
        let (_, other) = g
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no row {key:?} in the grouped run"));
        assert_eq!(value, other, "row {key:?}");
    }
}

#[test]
fn a_group_gives_the_figures_of_its_nodes_written_out_under_jsq() {
    let (group, list) = rack(4, "");
    let (grouped, listed) = both(&group, &list, "\n[dispatch]\nrule = \"jsq\"\n");
    assert_eq!(grouped.nodes.len(), 4);
    assert_eq!(grouped.nodes[3].name, "rack[3]");
    assert_identical(&grouped, &listed);
}

#[test]
fn routes_from_to_and_within_a_group_match_the_explicit_routes() {
    let (group, list) = rack(4, "capacity = 6");
    let front = "\n[[nodes]]\nname = \"front\"\nservers = 4\n";
    // The group's routes, and the same written per member: `to` a group
    // spreads p evenly (0.5 / 4 = 0.125 each); `from` a group is every member.
    let group_routes = r#"
[[routes]]
from = "front"
to = [{ node = "rack", p = 0.5 }, { node = "exit", p = 0.5 }]

[[routes]]
from = "rack"
class = "batch"
to = [{ node = "rack[0]", p = 0.25 }, { node = "exit", p = 0.75 }]

[dispatch]
rule = "power-of-d"
d = 2
"#;
    let spread: String = (0..4)
        .map(|i| format!("{{ node = \"rack[{i}]\", p = 0.125 }}, "))
        .collect();
    let mut list_routes =
        format!("\n[[routes]]\nfrom = \"front\"\nto = [{spread}{{ node = \"exit\", p = 0.5 }}]\n");
    for i in 0..4 {
        list_routes.push_str(&format!(
            "\n[[routes]]\nfrom = \"rack[{i}]\"\nclass = \"batch\"\nto = [{{ node = \"rack[0]\", p = 0.25 }}, {{ node = \"exit\", p = 0.75 }}]\n"
        ));
    }
    list_routes.push_str("\n[dispatch]\nrule = \"power-of-d\"\nd = 2\n");
    let grouped = {
        let mut s = parse(&format!("{HEAD}{front}{group}{group_routes}"));
        s.member_rows = true;
        s
    };
    let listed = parse(&format!("{HEAD}{front}{list}{list_routes}"));
    assert!(grouped.is_network());
    assert_identical(&grouped, &listed);
}

#[test]
fn random_weights_per_entry_go_to_each_member() {
    let (group, list) = rack(3, "");
    let big = "\n[[nodes]]\nname = \"big\"\nservers = 2\n";
    let mut grouped = parse(&format!(
        "{HEAD}{big}{group}\n[dispatch]\nrule = \"random\"\nweights = [2.0, 1.0]\n"
    ));
    grouped.member_rows = true;
    let listed = parse(&format!(
        "{HEAD}{big}{list}\n[dispatch]\nrule = \"random\"\nweights = [2.0, 1.0, 1.0, 1.0]\n"
    ));
    assert_identical(&grouped, &listed);
    // One weight per node is taken as it is.
    let per_node = parse(&format!(
        "{HEAD}{big}{group}\n[dispatch]\nrule = \"random\"\nweights = [2.0, 1.0, 1.0, 1.0]\n"
    ));
    assert_eq!(per_node.dispatch, grouped.dispatch);
}

#[test]
fn a_class_may_name_a_group_that_is_every_node_or_one_member() {
    let (group, _) = rack(4, "");
    let pinned = HEAD.replace(
        "name = \"batch\"\n",
        "name = \"batch\"\nnode = \"rack[2]\"\n",
    );
    let s = parse(&format!("{pinned}{group}\n[dispatch]\nrule = \"jsq\"\n"));
    assert_eq!(s.classes[1].node, Some(2));
    let all = HEAD.replace("name = \"batch\"\n", "name = \"batch\"\nnode = \"rack\"\n");
    let s = parse(&format!("{all}{group}\n[dispatch]\nrule = \"jsq\"\n"));
    assert_eq!(s.classes[1].node, None, "dispatched over every node");
    // A group that is only some of the nodes: refused, naming the field.
    let text = format!(
        "{all}{group}\n[[nodes]]\nname = \"db\"\nservers = 1\n\n[dispatch]\nrule = \"jsq\"\n"
    );
    let e = Scenario::from_toml(&text, Path::new("g.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("classes[1].node") && e.contains("\"rack\""),
        "{e}"
    );
}

#[test]
fn the_group_row_pools_its_members() {
    let (group, _) = rack(4, "");
    let mut s = parse(&format!(
        "{HEAD}{group}\n[dispatch]\nrule = \"round-robin\"\n"
    ));
    s.member_rows = true;
    let out = experiment::run(&s);
    let rows: Vec<ResultRecord> = out.rows.iter().map(ResultRecord::from).collect();
    let row = |node: &str| rows.iter().find(|r| r.node == node).unwrap();
    let g = row("rack");
    assert_eq!(g.group_nodes, Some(4));
    let members: Vec<&ResultRecord> = (0..4).map(|i| row(&format!("rack[{i}]"))).collect();
    // Visits and throughput add up; utilisation is their mean (equal servers).
    assert_eq!(g.jobs, members.iter().map(|m| m.jobs).sum::<u64>());
    let sum: f64 = members.iter().map(|m| m.throughput.unwrap()).sum();
    assert!((g.throughput.unwrap() - sum).abs() < 1e-9 * sum);
    let mean_u: f64 = members.iter().map(|m| m.utilization.unwrap()).sum::<f64>() / 4.0;
    assert!((g.utilization.unwrap() - mean_u).abs() < 1e-9);
    // The spread runs from the least to the most used member.
    let u = g.utilisation_distribution.unwrap();
    let us: Vec<f64> = members.iter().map(|m| m.utilization.unwrap()).collect();
    let (lo, hi) = us
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!((u.min.unwrap() - lo).abs() < 1e-12 && (u.max.unwrap() - hi).abs() < 1e-12);
    assert!(u.min <= u.p5 && u.p5 <= u.median && u.median <= u.p95 && u.p95 <= u.max);
    // Without --per-node only the group's row is there.
    s.member_rows = false;
    let nodes: Vec<String> = experiment::run(&s)
        .rows
        .iter()
        .map(|r| r.node.clone())
        .collect();
    assert_eq!(nodes, ["all", "all", "all", "rack"]);
}

fn schedlab(args: &[&str], dir: &Path) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_schedlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Refused: exit 2, one line naming the file, the field and the value,
/// nothing on stdout and no `--out` tree written.
fn refused(nodes: &str, needles: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let text = format!("{HEAD}{nodes}\n[dispatch]\nrule = \"jsq\"\n");
    std::fs::write(d.path().join("bad.toml"), text).unwrap();
    let (code, out, err) = schedlab(&["run", "bad.toml", "--out", "out"], d.path());
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.toml"), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
    assert!(out.is_empty());
    assert!(!d.path().join("out").exists());
}

#[test]
fn bad_groups_are_refused_with_one_line() {
    let node = |extra: &str| format!("\n[[nodes]]\nname = \"rack\"\nservers = 1\n{extra}\n");
    refused(&node("count = 0"), &["nodes[0].count", "0"]);
    refused(&node("count = -3"), &["nodes[0].count", "-3"]);
    refused(&node("count = 2.5"), &["nodes[0].count", "2.5"]);
    refused(&node("count = \"10\""), &["nodes[0].count", "10"]);
    refused(
        &node("count = 1000001"),
        &["nodes[0].count", "1000001", "1000000"],
    );
    refused(
        "\n[[nodes]]\nname = \"rack[1]\"\ncount = 2\nservers = 1\n",
        &["nodes[0].name", "rack[1]"],
    );
    // A member's name taken by another node, before or after the group.
    refused(
        &format!(
            "{}\n[[nodes]]\nname = \"rack[1]\"\nservers = 1\n",
            node("count = 2")
        ),
        &["nodes[1].name", "rack[1]", "member of group nodes[0]"],
    );
    refused(
        &format!(
            "\n[[nodes]]\nname = \"rack[1]\"\nservers = 1\n{}",
            node("count = 2")
        ),
        &["nodes[1].name", "rack[1]", "nodes[0]"],
    );
    // A group's name taken by a node.
    refused(
        &format!(
            "{}\n[[nodes]]\nname = \"rack\"\nservers = 1\n",
            node("count = 2")
        ),
        &["nodes[1].name", "\"rack\""],
    );
    // A member that does not exist, listed compactly in the message.
    let d = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEAD}{}\n[[routes]]\nfrom = \"rack[7]\"\nto = [{{ node = \"exit\", p = 1.0 }}]\n\n[dispatch]\nrule = \"jsq\"\n",
        node("count = 5")
    );
    std::fs::write(d.path().join("bad.toml"), text).unwrap();
    let (code, _, err) = schedlab(&["run", "bad.toml"], d.path());
    assert_eq!(code, Some(2));
    assert!(
        err.contains("routes[0].from") && err.contains("rack (rack[0..4])"),
        "{err}"
    );
}

#[test]
fn the_table_stays_within_120_columns_with_groups() {
    let d = tempfile::tempdir().unwrap();
    let (group, _) = rack(6, "");
    std::fs::write(
        d.path().join("g.toml"),
        format!("{HEAD}{group}\n[dispatch]\nrule = \"jsq\"\n"),
    )
    .unwrap();
    for flags in [&[][..], &["--per-node"][..]] {
        let mut args = vec!["run", "g.toml"];
        args.extend_from_slice(flags);
        let (code, out, err) = schedlab(&args, d.path());
        assert_eq!(code, Some(0), "{err}");
        assert!(out.contains("group rack (6 nodes)"), "{out}");
        assert_eq!(out.contains("rack[5]"), !flags.is_empty(), "{out}");
        for line in out.lines() {
            assert!(line.chars().count() <= 120, "{line}");
        }
    }
    // CSV carries the group's columns.
    let (code, _, err) = schedlab(&["run", "g.toml", "--out", "out"], d.path());
    assert_eq!(code, Some(0), "{err}");
    let csv = std::fs::read_to_string(d.path().join("out/results.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.contains("group_nodes") && header.contains("utilisation_p95"));
    let rack = csv.lines().find(|l| l.contains(",rack,")).unwrap();
    assert!(rack.contains(",6,"), "{rack}");
}

#[test]
fn a_sweep_may_vary_a_groups_servers_or_speed() {
    use schedlab::sweep::{Sweep, Values};
    let (group, _) = rack(3, "");
    let s = parse(&format!(
        "{HEAD}\n[[nodes]]\nname = \"db\"\nservers = 1\n{group}\n[dispatch]\nrule = \"jsq\"\n"
    ));
    let sweep = Sweep::new(&s, "nodes.rack.servers", &Values::List(vec![2.0]), "p", "v").unwrap();
    let p = sweep.point(&s, 0).unwrap();
    let servers: Vec<u32> = p.nodes.iter().map(|n| n.servers).collect();
    assert_eq!(servers, [1, 2, 2, 2]);
    let sweep = Sweep::new(
        &s,
        "nodes.rack[1].speed",
        &Values::List(vec![3.0]),
        "p",
        "v",
    )
    .unwrap();
    let p = sweep.point(&s, 0).unwrap();
    let speeds: Vec<f64> = p.nodes.iter().map(|n| n.speed).collect();
    assert_eq!(speeds, [1.0, 1.5, 3.0, 1.5]);
    let sweep = Sweep::new(&s, "nodes.rack.speed", &Values::List(vec![3.0]), "p", "v").unwrap();
    let p = sweep.point(&s, 0).unwrap();
    assert!(p.nodes[1..].iter().all(|n| n.speed == 3.0));
}

#[test]
fn an_overloaded_group_is_warned_once() {
    let (group, _) = rack(4, "");
    let text = format!(
        "{}\n[[nodes]]\nname = \"front\"\nservers = 20\n{group}\n[[routes]]\nfrom = \"front\"\nto = [{{ node = \"rack\", p = 1.0 }}]\n",
        HEAD.replace("rate = 2.4", "rate = 9.0")
            .replace("name = \"web\"\n", "name = \"web\"\nnode = \"front\"\n")
            .replace("name = \"batch\"\n", "name = \"batch\"\nnode = \"front\"\n")
    );
    let w = parse(&text).warnings();
    let lines: Vec<&String> = w.iter().filter(|l| l.contains("rack")).collect();
    assert_eq!(lines.len(), 1, "{w:?}");
    assert!(
        lines[0].contains("4 of the 4 nodes of group \"rack\""),
        "{w:?}"
    );
}

#[test]
fn a_group_row_has_the_closed_form_of_its_members() {
    // A Jackson network: M/M/4 in front, then an even split over 4 M/M/1
    // nodes at load 0.5, each of mean response 1 / (1 - 0.5) = 2.
    let s = parse(
        r#"
name = "j"
seed = 3
replications = 2
horizon = { jobs = 2000 }

[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 2.0 }
service = { dist = "exponential", mean = 1.0 }
node = "front"

[[nodes]]
name = "front"
servers = 4

[[nodes]]
name = "rack"
count = 4
servers = 1

[[routes]]
from = "front"
to = [{ node = "rack", p = 1.0 }]
"#,
    );
    let out = experiment::run(&s);
    let rack = out.rows.iter().find(|r| r.node == "rack").unwrap();
    let theory = rack.theory.as_ref().expect("jackson covers the group");
    assert!((theory.mean_response - 2.0).abs() < 1e-9, "{theory:?}");
}

/// Without `--per-node` the members share one statistics cell (a visit
/// touches the group's, not its node's) and keep only their busy time:
/// the group's row and spread are those of the per-member cells added up,
/// to rounding, and its visits exactly.
#[test]
fn a_shared_group_cell_gives_the_pooled_figures() {
    let (group, _) = rack(6, "");
    let mut s = parse(&format!("{HEAD}{group}\n[dispatch]\nrule = \"jsq\"\n"));
    let row = |member_rows: bool, s: &mut Scenario| {
        s.member_rows = member_rows;
        experiment::run(s)
            .rows
            .iter()
            .map(ResultRecord::from)
            .find(|r| r.node == "rack")
            .unwrap()
    };
    let (pooled, shared) = (row(true, &mut s), row(false, &mut s));
    assert_eq!(pooled.jobs, shared.jobs);
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            "{what}: {a} against {b}"
        );
    };
    for (what, a, b) in [
        ("mean response", pooled.mean_response, shared.mean_response),
        ("mean wait", pooled.mean_wait, shared.mean_wait),
        ("utilisation", pooled.utilization, shared.utilization),
        ("throughput", pooled.throughput, shared.throughput),
        ("L", pooled.mean_in_system, shared.mean_in_system),
    ] {
        close(a.unwrap(), b.unwrap(), what);
    }
    let (a, b) = (
        pooled.utilisation_distribution.unwrap(),
        shared.utilisation_distribution.unwrap(),
    );
    for (x, y) in [
        (a.min, b.min),
        (a.p5, b.p5),
        (a.median, b.median),
        (a.p95, b.p95),
        (a.max, b.max),
    ] {
        close(x.unwrap(), y.unwrap(), "member utilisation");
    }
    // Seven columns or one, the node histograms keep 3 digits here: the
    // same responses fall in the same buckets.
    assert_eq!(pooled.p50_response, shared.p50_response);
    assert_eq!(pooled.p99_response, shared.p99_response);
}
