"""schedlab.optimize: every bound, the document of `schedlab optimize --json`."""

import pytest

import schedlab
from schedlab import optimize
from conftest import SCENARIOS, cli, cli_json, without_timings

OPT = SCENARIOS / "optimize"


def test_makespan_equals_the_cli():
    r = optimize.makespan(OPT / "batch30.csv", speeds=[1, 1, 2, 2])
    doc = cli_json("optimize", "makespan", OPT / "batch30.csv", "--speeds", "1,1,2,2")
    assert without_timings(r) == without_timings(doc)
    assert r["milp"]["proven_optimal"] and r["milp"]["makespan"] == pytest.approx(52)
    assert all(h["makespan"] >= r["milp"]["makespan"] - 1e-9 for h in r["heuristics"])
    unrelated = optimize.makespan(OPT / "unrelated.csv")
    assert without_timings(unrelated) == without_timings(cli_json("optimize", "makespan", OPT / "unrelated.csv"))
    assert unrelated["heuristics_computed"] == "direct"


def test_job_rows_and_frames_are_job_lists():
    pd = pytest.importorskip("pandas")
    rows = [{"id": c, "size": s} for c, s in zip("abcde", [3, 3, 2, 2, 2])]
    from_rows = optimize.makespan(rows, nodes=2)
    from_frame = optimize.makespan(pd.DataFrame(rows), nodes=2)
    assert without_timings(from_rows) == without_timings(from_frame)
    assert from_rows["milp"]["makespan"] == pytest.approx(6)
    assert from_rows["lower_bound"] == pytest.approx(6)


def test_completion_equals_the_cli(tmp_path):
    jobs = tmp_path / "c.csv"
    jobs.write_text("id,size\na,2\nb,1\nc,4\nd,3\n")
    r = optimize.completion(jobs, speeds=[1, 2])
    assert without_timings(r) == without_timings(cli_json("optimize", "completion", jobs, "--speeds", "1,2"))


def test_sequence_equals_the_cli_with_its_chart(tmp_path):
    r = optimize.sequence(OPT / "sequence.csv", weighted=True)
    cli("optimize", "sequence", OPT / "sequence.csv", "--weighted", "--svg", tmp_path / "s.svg",
        "--png", tmp_path / "s.png")
    doc = cli_json("optimize", "sequence", OPT / "sequence.csv", "--weighted")
    assert without_timings(dict(r)) == without_timings(doc)
    assert r.chart("svg") == (tmp_path / "s.svg").read_bytes()
    assert r.chart("png") == (tmp_path / "s.png").read_bytes()
    assert all(p["objective"] >= r["optimum"] - 1e-9 for p in r["policies"] if "preemptive" not in p["name"])


def test_split_flow_and_mdp_equal_the_cli():
    assert without_timings(optimize.split(1.5, [1, 2])) == without_timings(
        cli_json("optimize", "split", "--lambda", 1.5, "--mu", "1,2"))
    simulated = optimize.split(1.5, [1, 2], simulate=True, replications=3, jobs=5000, seed=4)
    assert without_timings(simulated) == without_timings(cli_json(
        "optimize", "split", "--lambda", 1.5, "--mu", "1,2", "--simulate", "--replications", 3,
        "--jobs", 5000, "--seed", 4))
    assert simulated["simulated"]
    assert without_timings(optimize.flow([1, 0.5], [[2, 1], [1, 3]], cap=0.9)) == without_timings(
        cli_json("optimize", "flow", "--rates", "1,0.5", "--mu", "2,1;1,3", "--cap", 0.9))
    assert without_timings(optimize.flow([1, 0.5], "2,1;1,3", cost=[[1, 1], [1, 1]], cap=[0.9, 0.8])) == \
        without_timings(cli_json("optimize", "flow", "--rates", "1,0.5", "--mu", "2,1;1,3",
                                 "--cost", "1,1;1,1", "--cap", "0.9,0.8"))
    r = optimize.mdp(2.0, [2, 1], truncate=30)
    assert without_timings(r) == without_timings(
        cli_json("optimize", "mdp", "--lambda", 2, "--mu", "2,1", "--truncate", 30))
    best = {p["policy"]: p["exact"] for p in r["policies"]}
    assert all(v is None or v >= best["mdp optimum"] - 1e-9 for v in best.values())
