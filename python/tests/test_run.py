"""schedlab.run: the same document as `schedlab run --json`, from a path,
TOML text or a dict; pictures byte for byte as `run --out`; pandas."""

import json
import warnings

import pytest

import schedlab
from conftest import ROOT, SCENARIOS, cli, cli_json

MM1_DICT = {
    "name": "mm1-dict",
    "description": "M/M/1 at load 0.8, given as a dict",
    "seed": 5,
    "replications": 4,
    "warmup": {"jobs": 1000},
    "horizon": {"jobs": 20000},
    "classes": [
        {
            "name": "default",
            "arrival": {"dist": "exponential", "rate": 0.8},
            "service": {"dist": "exponential", "mean": 1.0},
        }
    ],
    "nodes": [{"name": "cpu", "servers": 1}],
    "policy": {"discipline": "fcfs"},
}


def test_document_equals_the_cli_json():
    doc = cli_json("run", SCENARIOS / "mm2.toml", "--jobs", 20000, "--replications", 4, "--seed", 9)
    r = schedlab.run(SCENARIOS / "mm2.toml", jobs=20000, replications=4, seed=9)
    assert r.document == doc
    assert r.rows == doc["results"]
    assert [set(row) for row in r.rows] == [set(row) for row in doc["results"]]
    assert r.paired == []


def test_path_text_and_dict_give_the_same_numbers(tmp_path):
    text = schedlab.scenario_toml(MM1_DICT)
    path = tmp_path / "mm1.toml"
    path.write_text(text)
    from_dict = schedlab.run(MM1_DICT)
    from_text = schedlab.run(text)
    from_path = schedlab.run(str(path))
    assert from_dict.document == from_text.document == from_path.document
    assert from_dict.document["scenario"] == "mm1-dict"
    assert from_dict.rows[0]["jobs"] == 4 * 20000
    assert cli_json("run", path)["results"] == from_dict.rows


def test_overrides_and_compare_with_paired_differences():
    r = schedlab.run(
        SCENARIOS / "mh2-1.toml", jobs=20000, replications=5, seed=3, compare=["fcfs", "srpt", "ps"]
    )
    doc = cli_json("run", SCENARIOS / "mh2-1.toml", "--jobs", 20000, "--replications", 5,
                   "--seed", 3, "--compare", "fcfs,srpt,ps")
    assert r.document == doc
    assert [p["policy"] for p in r.paired] == ["srpt", "ps"]
    assert all(p["baseline"] == "fcfs" for p in r.paired)
    # SRPT beats FCFS on highly variable sizes, and the paired CI says so.
    srpt = r.paired[0]
    assert srpt["diff_mean_response"] + srpt["diff_ci95"] < 0
    assert r.row("srpt")["mean_response"] < r.row("fcfs")["mean_response"]
    assert r.document["seed"] == 3 and r.document["replications"] == 5


def test_precision_and_batches_are_the_cli_flags():
    r = schedlab.run(SCENARIOS / "mm2.toml", jobs=100000, replications=4, precision=0.02)
    doc = cli_json("run", SCENARIOS / "mm2.toml", "--jobs", 100000, "--replications", 4,
                   "--precision", 0.02)
    assert r.document == doc
    p = r.document["precision"]
    assert p["reached"] and p["replications"] == r.document["replications"] > 4
    b = schedlab.run(SCENARIOS / "mm2.toml", jobs=200000, batches=10)
    assert b.document == cli_json("run", SCENARIOS / "mm2.toml", "--jobs", 200000, "--batches", 10)
    assert b.document["replications"] == 1 and b.document["batches"]["batches"] == 10
    with pytest.raises(schedlab.ScenarioError, match="--batches"):
        schedlab.run(SCENARIOS / "mm2.toml", batches=1)
    with pytest.raises(schedlab.ScenarioError, match="--precision"):
        schedlab.run(SCENARIOS / "mm2.toml", precision=0.0)
    with pytest.raises(TypeError):
        schedlab.run(SCENARIOS / "mm2.toml", precision="1%")


def test_theory_rows_hold_the_closed_form():
    r = schedlab.run(SCENARIOS / "mm2.toml", jobs=50000, replications=5)
    assert len(r.theory) == 3
    t = r.theory[0]
    assert t["formula"] == "erlang-c" and t["kind"] == "exact"
    assert t["mean_response"] == pytest.approx(schedlab.theory.mmc(1.8, 1.0, 2)["mean_response"])
    assert t["policy"] == "fcfs" and t["class"] == "all" and t["node"] == "all"
    row = r.rows[0]
    assert t["rel_error"] == pytest.approx((row["mean_response"] - t["mean_response"]) / t["mean_response"])


def test_same_results_on_one_and_two_threads():
    one = schedlab.run(SCENARIOS / "two-classes.toml", jobs=20000, threads=1)
    two = schedlab.run(SCENARIOS / "two-classes.toml", jobs=20000, threads=2)
    assert one.document == two.document
    assert one.threads == 1 and two.threads == 2


def test_to_pandas_has_the_json_fields_and_theory_columns():
    pd = pytest.importorskip("pandas")
    r = schedlab.run(SCENARIOS / "mm1.toml", jobs=20000, replications=3)
    df = r.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(r.rows)
    fields = [k for k in r.rows[0] if k != "theory"]
    assert list(df.columns[: len(fields)]) == fields
    assert "theory_mean_response" in df.columns and "theory_within_ci" in df.columns
    assert df["mean_response"].tolist() == [row["mean_response"] for row in r.rows]


def test_pictures_are_the_bytes_of_run_out(tmp_path):
    out = tmp_path / "tree"
    args = ("--jobs", 5000, "--replications", 3, "--compare", "fcfs,srpt")
    cli("run", SCENARIOS / "mm1.toml", *args, "--out", out)
    r = schedlab.run(SCENARIOS / "mm1.toml", jobs=5000, replications=3, compare="fcfs,srpt")
    names = sorted(p.stem for p in (out / "plots").glob("*.png"))
    assert names == sorted(r.plots)
    for kind in r.plots:
        png = r.plot(kind)
        assert isinstance(png, bytes) and png.format == "png" and png.name == kind
        assert png == (out / "plots" / f"{kind}.png").read_bytes(), kind
        assert png._repr_png_() == png and png._repr_svg_() is None
        svg = r.plot(kind, format="svg")
        assert svg == (out / "plots" / f"{kind}.svg").read_bytes(), kind
        assert svg._repr_svg_().startswith("<svg") and svg._repr_png_() is None
    saved = tmp_path / "cdf.png"
    r.plot("response-cdf").save(saved)
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(schedlab.ScenarioError, match="kind = nope"):
        r.plot("nope")
    with pytest.raises(schedlab.ScenarioError, match="format = gif"):
        r.plot("response-cdf", format="gif")


def test_table_is_the_cli_table_but_for_the_timing():
    r = schedlab.run(SCENARIOS / "mm1.toml", jobs=5000, replications=2)
    table = cli("run", SCENARIOS / "mm1.toml", "--jobs", 5000, "--replications", 2).stdout
    strip = lambda t: [l for l in t.splitlines() if " events in " not in l]
    assert strip(r.table) == strip(table)
    assert repr(r) == r.table


def test_overload_warns_like_the_cli():
    overloaded = dict(MM1_DICT, horizon={"jobs": 2000}, warmup={"jobs": 0})
    overloaded["classes"] = [dict(MM1_DICT["classes"][0], arrival={"dist": "exponential", "rate": 1.2})]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = schedlab.run(overloaded)
    assert r.warnings and any("load" in str(w.message) for w in caught)
    assert all(issubclass(w.category, RuntimeWarning) for w in caught)


def test_scenario_toml_round_trips_through_tomllib():
    tomllib = pytest.importorskip("tomllib")
    assert tomllib.loads(schedlab.scenario_toml(MM1_DICT)) == MM1_DICT
    tricky = {"name": 'a "quoted" name', "seed": 1, "x": [1.5, 2, True], "t": {"inf": float("inf")}}
    assert tomllib.loads(schedlab.scenario_toml(tricky)) == tricky


def test_node_groups_have_one_row_unless_per_node():
    r = schedlab.run(SCENARIOS / "cluster-1000.toml", jobs=20000, replications=2)
    doc = cli_json("run", SCENARIOS / "cluster-1000.toml", "--jobs", 20000, "--replications", 2)
    assert r.document == doc
    rack = [row for row in r.rows if row["node"] == "rack"]
    assert len(rack) == 1 and rack[0]["group_nodes"] == 1000
    spread = rack[0]["utilisation_distribution"]
    assert spread["min"] <= spread["p5"] <= spread["median"] <= spread["p95"] <= spread["max"]
    assert not any(row["node"].startswith("rack[") for row in r.rows)
    members = schedlab.run(SCENARIOS / "cluster-1000.toml", jobs=20000, replications=2, per_node=True)
    assert sum(row["node"].startswith("rack[") for row in members.rows) == 1000
    pd = pytest.importorskip("pandas")
    df = r.to_pandas()
    assert df.loc[df["node"] == "rack", "utilisation_p95"].iloc[0] == spread["p95"]
