"""schedlab.gantt and gantt_compare: the teaching mode, as `schedlab gantt`."""

import pytest

import schedlab
from conftest import SCENARIOS, cli, cli_json

TEXTBOOK = SCENARIOS / "jobs" / "textbook.csv"
ROWS = [
    {"id": "P1", "arrival": 0, "burst": 8, "priority": 3},
    {"id": "P2", "arrival": 1, "burst": 4, "priority": 1},
    {"id": "P3", "arrival": 2, "burst": 9, "priority": 4},
    {"id": "P4", "arrival": 3, "burst": 5, "priority": 2},
]


def test_document_equals_the_cli_json():
    g = schedlab.gantt(TEXTBOOK, policy="rr", quantum=4)
    doc = cli_json("gantt", TEXTBOOK, "--policy", "rr", "--quantum", 4, "--explain")
    explain = doc.pop("explain")
    assert g.schedule == doc and g.explain == explain
    assert g.average == {"waiting": 11.75, "turnaround": 18.25, "response": 4.5}
    assert g.makespan == 26
    text = cli("gantt", TEXTBOOK, "--policy", "rr", "--quantum", 4).stdout
    assert g.table.rstrip("\n") == text.rstrip("\n")


def test_rows_dataframe_text_and_file_agree():
    pd = pytest.importorskip("pandas")
    from_file = schedlab.gantt(TEXTBOOK, policy="srtf")
    from_rows = schedlab.gantt(ROWS, policy="srtf")
    from_frame = schedlab.gantt(pd.DataFrame(ROWS), policy="srtf")
    from_text = schedlab.gantt(TEXTBOOK.read_text(), policy="srtf")
    assert from_file.schedule == from_rows.schedule == from_frame.schedule == from_text.schedule
    df = from_file.to_pandas()
    assert list(df["id"]) == ["P1", "P2", "P3", "P4"]
    assert df["waiting"].mean() == pytest.approx(from_file.average["waiting"])


def test_options_reach_the_scheduler():
    two = schedlab.gantt(ROWS, policy="fcfs", cpus=2)
    assert two.cpus == 2 and {s["cpu"] for s in two.timeline} == {0, 1}
    costly = schedlab.gantt(ROWS, policy="rr", quantum=2, switch_cost=1)
    assert costly.makespan > schedlab.gantt(ROWS, policy="rr", quantum=2).makespan
    mlfq = schedlab.gantt(ROWS, policy="mlfq", levels="2,4,fcfs")
    assert mlfq.schedule == cli_json("gantt", TEXTBOOK, "--policy", "mlfq", "--levels", "2,4,fcfs")
    high = schedlab.gantt(ROWS, policy="priority", high_first=True)
    assert high.schedule == cli_json("gantt", TEXTBOOK, "--policy", "priority", "--high-first")


def test_charts_are_the_cli_files(tmp_path):
    g = schedlab.gantt(TEXTBOOK, policy="srtf")
    cli("gantt", TEXTBOOK, "--policy", "srtf", "--svg", tmp_path / "g.svg", "--png", tmp_path / "g.png")
    assert g.chart("svg") == (tmp_path / "g.svg").read_bytes()
    assert g.chart("png") == (tmp_path / "g.png").read_bytes()
    assert g._repr_svg_() == g.chart("svg").decode()


def test_compare_equals_the_cli():
    c = schedlab.gantt_compare(TEXTBOOK, "all", quantum=4)
    assert c.schedules == cli_json("gantt", TEXTBOOK, "--compare", "all", "--quantum", 4)
    assert c.table == cli("gantt", TEXTBOOK, "--compare", "all", "--quantum", 4).stdout
    named = schedlab.gantt_compare(ROWS, ["fcfs", "sjf", "srtf"])
    assert [r["policy"] for r in named.rows] == ["fcfs", "sjf", "srtf"]
    assert min(named.rows, key=lambda r: r["waiting"])["policy"] == "srtf"
    assert list(named.to_pandas().columns) == ["policy", "waiting", "turnaround", "response"]
