"""schedlab.theory: every closed form, the document of `schedlab theory --json`."""

import pytest

import schedlab
from schedlab import theory
from conftest import SCENARIOS, cli_json

CASES = [
    (lambda: theory.mm1(0.8, 1.0), ["mm1", "--lambda", 0.8, "--mu", 1.0]),
    (lambda: theory.mm1(0.8, 1.0, percentiles=[50, 95]),
     ["mm1", "--lambda", 0.8, "--mu", 1.0, "--percentiles", "50,95"]),
    (lambda: theory.mmc(1.8, 1.0, 2), ["mmc", "--lambda", 1.8, "--mu", 1, "--servers", 2]),
    (lambda: theory.mmc(1.8, 1.0, 2, percentiles=[99]),
     ["mmc", "--lambda", 1.8, "--mu", 1, "--servers", 2, "--percentiles", 99]),
    (lambda: theory.mmck(1.0, 1.0, 1, 5), ["mmck", "--lambda", 1, "--mu", 1, "--servers", 1, "--capacity", 5]),
    (lambda: theory.erlang_b(3.0, 1.0, 5), ["erlang-b", "--lambda", 3, "--mu", 1, "--servers", 5]),
    (lambda: theory.md1(0.8, 1.0), ["md1", "--lambda", 0.8, "--es", 1]),
    (lambda: theory.mg1(0.7, 1.0, scv=4.0), ["mg1", "--lambda", 0.7, "--es", 1, "--scv", 4]),
    (lambda: theory.mg1(0.7, 1.0, es2=5.0), ["mg1", "--lambda", 0.7, "--es", 1, "--es2", 5]),
    (lambda: theory.priority([(0.3, 1, 1.5), (0.25, 2, 16)]),
     ["priority", "--class", "0.3:1:1.5", "--class", "0.25:2:16"]),
    (lambda: theory.priority([(0.3, 1, 1.5), (0.25, 2, 16)], preemptive=True),
     ["priority", "--class", "0.3:1:1.5", "--class", "0.25:2:16", "--preemptive"]),
    (lambda: theory.ps(0.5, 1.0), ["ps", "--lambda", 0.5, "--es", 1]),
    (lambda: theory.srpt(0.7, "hyperexponential:mean=1,scv=4"),
     ["srpt", "--lambda", 0.7, "--service", "hyperexponential:mean=1,scv=4"]),
    (lambda: theory.fb(0.7, "exponential:mean=1"), ["fb", "--lambda", 0.7, "--service", "exponential:mean=1"]),
    (lambda: theory.kingman(0.8, 1.0, 1.0, 1.0), ["kingman", "--lambda", 0.8, "--es", 1, "--ca2", 1, "--cs2", 1]),
    (lambda: theory.allen_cunneen(1.8, 1.0, 2, 0.5, 2.0),
     ["allen-cunneen", "--lambda", 1.8, "--es", 1, "--servers", 2, "--ca2", 0.5, "--cs2", 2]),
    (lambda: theory.repairman(20, 10.0, 1.0, 3),
     ["repairman", "--population", 20, "--think", 10, "--mu", 1, "--servers", 3]),
    (lambda: theory.scenario(SCENARIOS / "two-classes.toml"), [SCENARIOS / "two-classes.toml"]),
    (lambda: theory.scenario(SCENARIOS / "behaviour" / "machine-repair.toml"),
     [SCENARIOS / "behaviour" / "machine-repair.toml"]),
]


@pytest.mark.parametrize("call,args", CASES, ids=[str(a[0]) if i == 0 else f"{a[0]}-{i}"
                                                  for i, (_, a) in enumerate(CASES)])
def test_each_model_equals_the_cli(call, args):
    assert call() == cli_json("theory", *args)


def test_known_values():
    assert theory.mmc(1.8, 1.0, 2)["mean_response"] == pytest.approx(5.263157894736842)
    assert theory.mm1(0.5, 1.0)["mean_response"] == pytest.approx(2.0)
    assert theory.md1(0.8, 1.0)["mean_wait"] == pytest.approx(2.0)
    assert theory.erlang_b(3.0, 1.0, 5)["p_block"] == pytest.approx(0.1100543, rel=1e-6)
    # Kingman is exact for M/M/1.
    assert theory.kingman(0.8, 1.0, 1.0, 1.0)["mean_wait"] == pytest.approx(theory.mm1(0.8, 1.0)["mean_wait"])


def test_unstable_is_an_answer_not_an_error():
    r = theory.mmc(2.5, 1.0, 2)
    assert r["stable"] is False and r["rho"] == pytest.approx(1.25)
    assert "mean_response" not in r


def test_scenario_from_text_or_dict():
    text = (SCENARIOS / "mm2.toml").read_text()
    assert theory.scenario(text) == theory.scenario(SCENARIOS / "mm2.toml")
    assert theory.scenario(text)["rows"][0]["formula"] == "erlang-c"
