"""schedlab: a scheduling simulator and queueing-theory tool, from Python at Rust speed.

The package wraps the schedlab library directly (no subprocess): the
simulation runs in Rust without the GIL, and Ctrl-C interrupts a long run.
Results are the documents the command line prints with ``--json``, so a
row from Python has exactly the fields of a JSON row.

- ``run(scenario, ...)``: a scenario's replications (``schedlab run``);
- ``sweep(scenario, param=..., values=...)``: one parameter varied (``schedlab sweep``);
- ``gantt(jobs, policy=...)``, ``gantt_compare(jobs, policies)``: the teaching mode
  (``schedlab gantt``);
- ``theory.mmc(lam, mu, c)`` and the other closed forms (``schedlab theory``);
- ``optimize.makespan(jobs, nodes=...)`` and the other bounds (``schedlab optimize``).

Bad input raises ``ScenarioError`` (a ``ValueError``) with the command
line's one-line message.

Example:
    >>> import schedlab
    >>> r = schedlab.run("scenarios/mm2.toml", jobs=100_000)
    >>> round(r.rows[0]["mean_response"], 2), round(schedlab.theory.mmc(1.8, 1, 2)["mean_response"], 2)
    (5.15, 5.26)
    >>> r.to_pandas()[["policy", "class", "node"]].values.tolist()
    [['fcfs', 'all', 'all'], ['fcfs', 'default', 'all'], ['fcfs', 'all', 'pool']]
    >>> r.plot("response-cdf")
    <Picture response-cdf.png, ... bytes>
"""

from ._native import ScenarioError, __version__
from . import optimize, theory
from ._core import (
    GanttComparison,
    GanttResult,
    Picture,
    RunResult,
    SweepResult,
    gantt,
    gantt_compare,
    run,
    sweep,
)
from ._convert import scenario_toml

__all__ = [
    "ScenarioError",
    "__version__",
    "run",
    "sweep",
    "gantt",
    "gantt_compare",
    "theory",
    "optimize",
    "scenario_toml",
    "RunResult",
    "SweepResult",
    "GanttResult",
    "GanttComparison",
    "Picture",
]
