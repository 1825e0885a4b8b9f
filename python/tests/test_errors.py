"""Bad input raises schedlab.ScenarioError (a ValueError) with the command
line's one-line message."""

import pytest

import schedlab
from conftest import SCENARIOS, cli_error

BAD_RATE = """name = "bad"
horizon = { jobs = 100 }

[[classes]]
name = "a"
arrival = { dist = "exponential", rate = -1.0 }
service = { dist = "exponential", mean = 1.0 }

[[nodes]]
name = "n"
servers = 1
"""


def message(call):
    with pytest.raises(schedlab.ScenarioError) as info:
        call()
    assert "\n" not in str(info.value)
    return str(info.value)


def test_scenario_error_is_a_value_error():
    assert issubclass(schedlab.ScenarioError, ValueError)
    with pytest.raises(ValueError):
        schedlab.run("no/such/file.toml")


def test_file_errors_are_the_cli_messages(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD_RATE)
    assert message(lambda: schedlab.run(path)) == cli_error("run", path)
    missing = tmp_path / "missing.toml"
    assert message(lambda: schedlab.run(str(missing))) == cli_error("run", missing)
    path.write_text("name = \n")
    assert message(lambda: schedlab.run(path)) == cli_error("run", path)


def test_text_errors_name_the_scenario_as_the_file_would_be_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD_RATE)
    expected = cli_error("run", path).replace(str(path), "<scenario>")
    assert message(lambda: schedlab.run(BAD_RATE)) == expected
    assert expected.startswith("<scenario>: classes[0].arrival.rate = -1")


def test_flag_errors_are_the_cli_messages():
    mm1 = SCENARIOS / "mm1.toml"
    assert message(lambda: schedlab.run(mm1, replications=0)) == cli_error("run", mm1, "--replications", 0)
    assert message(lambda: schedlab.run(mm1, jobs=0)) == cli_error("run", mm1, "--jobs", 0)
    assert message(lambda: schedlab.run(mm1, compare="fcfs,nosuch")) == cli_error(
        "run", mm1, "--compare", "fcfs,nosuch"
    )
    assert message(lambda: schedlab.run(mm1, threads=0)) == cli_error("run", mm1, "--threads", 0)
    assert message(lambda: schedlab.sweep(mm1, param="load")) == cli_error("sweep", mm1, "--param", "load")
    assert message(lambda: schedlab.sweep(mm1, param="nosuch", values="1,2")) == cli_error(
        "sweep", mm1, "--param", "nosuch", "--values", "1,2"
    )


def test_teaching_theory_and_optimize_errors_are_the_cli_messages(tmp_path):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("id,arrival,burst\nP1,0,-3\n")
    assert message(lambda: schedlab.gantt(jobs)) == cli_error("gantt", jobs)
    assert message(lambda: schedlab.gantt(jobs.read_text())) == cli_error("gantt", jobs).replace(
        str(jobs), "<jobs>"
    )
    textbook = SCENARIOS / "jobs" / "textbook.csv"
    assert message(lambda: schedlab.gantt(textbook, policy="rr")) == cli_error("gantt", textbook, "--policy", "rr")
    assert message(lambda: schedlab.theory.mmc(1.0, -1.0, 2)) == cli_error(
        "theory", "mmc", "--lambda", "1.0", "--mu", "-1.0", "--servers", 2
    )
    assert message(lambda: schedlab.theory.mg1(0.5, 1.0)) == cli_error("theory", "mg1", "--lambda", 0.5, "--es", 1)
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("id,size\na,1\nb,-2\n")
    assert message(lambda: schedlab.optimize.makespan(sizes, nodes=2)) == cli_error(
        "optimize", "makespan", sizes, "--nodes", 2
    )
    from_rows = message(lambda: schedlab.optimize.makespan([{"id": "a", "size": 1}, {"id": "b", "size": -2}], nodes=2))
    assert from_rows == cli_error("optimize", "makespan", sizes, "--nodes", 2).replace(str(sizes), "<jobs>")
    assert message(lambda: schedlab.optimize.split(5.0, [1, 2])) == cli_error(
        "optimize", "split", "--lambda", 5, "--mu", "1,2"
    )


def test_wrong_python_types_are_type_errors():
    with pytest.raises(TypeError):
        schedlab.run(42)
    with pytest.raises(TypeError):
        schedlab.theory.mmc("fast", 1.0, 2)
    with pytest.raises(TypeError):
        schedlab.theory.mmc(1.0, 1.0, 2.5)
    with pytest.raises(schedlab.ScenarioError, match="cannot be written in a scenario"):
        schedlab.run({"name": None})
    with pytest.raises(TypeError):
        schedlab.run(SCENARIOS / "mm1.toml", seed=True)
    with pytest.raises(TypeError):
        schedlab.gantt(SCENARIOS / "jobs" / "textbook.csv", cpus=1.5)


def test_out_of_range_counts_are_scenario_errors():
    assert message(lambda: schedlab.run(SCENARIOS / "mm1.toml", seed=-1)) == (
        "--seed = -1: must be a whole number from 0 to 18446744073709551615")
    assert message(lambda: schedlab.run(SCENARIOS / "mm1.toml", replications=2**32)).startswith(
        "--replications = 4294967296: must be a whole number from 0 to 4294967295")
    assert message(lambda: schedlab.gantt(SCENARIOS / "jobs" / "textbook.csv", cpus=-2)).startswith("--cpus = -2")
