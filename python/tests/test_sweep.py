"""schedlab.sweep: the document of `schedlab sweep --json`, sweep.csv's
records, pictures as `sweep --out` draws them, pandas."""

import csv

import pytest

import schedlab
from conftest import SCENARIOS, cli, cli_json

ARGS = dict(param="load", values=[0.5, 0.8], jobs=10000, replications=3, compare="fcfs,srpt")
CLI_ARGS = ("--param", "load", "--values", "0.5,0.8", "--jobs", 10000, "--replications", 3,
            "--compare", "fcfs,srpt")


@pytest.fixture(scope="module")
def result():
    return schedlab.sweep(SCENARIOS / "mm1.toml", **ARGS)


def test_document_equals_the_cli_json(result):
    assert result.document == cli_json("sweep", SCENARIOS / "mm1.toml", *CLI_ARGS)
    assert result.param == "load"
    assert [p["value"] for p in result.points] == [0.5, 0.8]


def test_rows_are_flat_with_value_and_load(result):
    rows = [r for r in result.rows if r["class"] == "all"]
    assert [(r["value"], r["policy"]) for r in rows] == [
        (0.5, "fcfs"), (0.5, "srpt"), (0.8, "fcfs"), (0.8, "srpt")]
    first = result.points[0]["results"][0]
    assert result.rows[0] == {"value": 0.5, "load": result.points[0]["load"], **first}
    # M/M/1: E[T] = 1 / (1 - rho) at mean size 1.
    for r in rows:
        if r["policy"] == "fcfs":
            assert abs(r["mean_response"] - 1 / (1 - r["value"])) < 3 * r["mean_response_ci95"] + 0.05


def test_values_as_text_or_list_agree():
    a = schedlab.sweep(SCENARIOS / "mm1.toml", param="load", values="0.5:0.8:0.3", jobs=5000, replications=2)
    b = schedlab.sweep(SCENARIOS / "mm1.toml", param="load", values=[0.5, 0.8], jobs=5000, replications=2)
    assert a.document == b.document


def test_records_and_pictures_match_the_results_tree(result, tmp_path):
    out = tmp_path / "tree"
    cli("sweep", SCENARIOS / "mm1.toml", *CLI_ARGS, "--out", out)
    with open(out / "sweep.csv", newline="") as f:
        on_disk = list(csv.DictReader(f))
    assert len(result.records) == len(on_disk)
    assert result.records[0]["policy"] == on_disk[0]["policy"]
    # Exponential sizes: no mean slowdown (empty, None), a bounded one.
    assert result.records[0]["mean_slowdown"] is None and on_disk[0]["mean_slowdown"] == ""
    assert result.records[0]["mean_bounded_slowdown"] == pytest.approx(
        float(on_disk[0]["mean_bounded_slowdown"])
    )
    for kind in result.plots:
        assert result.plot(kind) == (out / "plots" / f"{kind}.png").read_bytes(), kind
        assert result.plot(kind, "svg") == (out / "plots" / f"{kind}.svg").read_bytes(), kind


def test_scenario_sweep_section_is_used_without_param():
    s = schedlab.sweep(SCENARIOS / "sweep-load.toml", jobs=2000, replications=2, compare="fcfs")
    doc = cli_json("sweep", SCENARIOS / "sweep-load.toml", "--jobs", 2000, "--replications", 2, "--compare", "fcfs")
    assert s.document == doc


def test_to_pandas(result):
    pd = pytest.importorskip("pandas")
    df = result.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == len(result.rows)
    table = df[df["class"] == "all"].pivot(index="value", columns="policy", values="mean_response")
    assert list(table.columns) == ["fcfs", "srpt"]
    assert (table["srpt"] < table["fcfs"]).all()
