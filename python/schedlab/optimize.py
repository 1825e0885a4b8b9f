"""Optimal bounds, as ``schedlab optimize ... --json`` computes them.

Every function returns the command's JSON document as a dict. Job lists
are a CSV file's path, CSV text, a list of dicts or a pandas DataFrame with
the columns ``id,size[,release][,weight]``, or ``id,t_A,t_B,...`` with one
processing time per node (unrelated nodes).

Example:
    >>> from schedlab import optimize
    >>> jobs = [{"id": c, "size": s} for c, s in zip("abcde", [3, 3, 2, 2, 2])]
    >>> optimize.makespan(jobs, nodes=2)["milp"]["makespan"]
    6.0
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from ._convert import JOBS_LABEL, integer, jobs_source, number, numbers
from ._core import Picture

__all__ = ["makespan", "completion", "sequence", "split", "flow", "mdp", "SequenceResult"]

Matrix = Union[str, Sequence[Sequence[float]]]


def _jobs(jobs: Any) -> Tuple[str, List[Tuple[str, str, str]]]:
    kind, value, _ = jobs_source(jobs)
    if kind == "file":
        return value, []
    return JOBS_LABEL, [(JOBS_LABEL, "jobs.csv", value)]


def _command(argv: List[str], inputs=(), outputs=()) -> Tuple[Dict[str, Any], List[bytes]]:
    doc, files = _native.command(argv, inputs=list(inputs), outputs=list(outputs))
    return json.loads(doc), files


def _sim(simulate: bool, replications: int, jobs: int, seed: int) -> List[str]:
    argv = ["--replications", integer(replications, "replications"),
            "--jobs", integer(jobs, "jobs"), "--seed", integer(seed, "seed")]
    return (["--simulate"] if simulate else []) + argv


def _matrix(m: Matrix, name: str) -> str:
    if isinstance(m, str):
        return m
    return ";".join(numbers(row, name) for row in m)


def _batch(problem: str, jobs: Any, nodes: Optional[int], speeds: Optional[Sequence[float]],
           time_limit: Optional[Union[str, float]], seed: int) -> Dict[str, Any]:
    path, inputs = _jobs(jobs)
    argv = ["optimize", problem, path]
    if nodes is not None:
        argv += ["--nodes", integer(nodes, "nodes")]
    if speeds is not None:
        argv += ["--speeds", numbers(speeds, "speeds")]
    if time_limit is not None:  # makespan's MILP only
        limit = time_limit if isinstance(time_limit, str) else number(time_limit, "time_limit")
        argv += ["--time-limit", limit]
    argv += ["--seed", integer(seed, "seed")]
    return _command(argv, inputs)[0]


def makespan(jobs: Any, *, nodes: Optional[int] = None, speeds: Optional[Sequence[float]] = None,
             time_limit: Union[str, float] = "10s", seed: int = 1) -> Dict[str, Any]:
    """Least makespan by MILP, its LP bound, and LPT, SPT, greedy earliest-finish,
    round robin and random against it (``schedlab optimize makespan``).

    Give ``nodes`` (identical nodes) and/or ``speeds`` (uniform nodes); a
    job list with ``t_`` columns describes unrelated nodes by itself.
    ``time_limit`` is seconds or text such as ``"500ms"``; ``seed`` drives
    the random heuristic.

    Example:
        >>> r = optimize.makespan("scenarios/optimize/batch30.csv", speeds=[1, 1, 2, 2])
        >>> r["milp"]["proven_optimal"], round({h["name"]: h["ratio"] for h in r["heuristics"]}["lpt"], 4)
        (True, 1.0192)
    """
    return _batch("makespan", jobs, nodes, speeds, time_limit, seed)


def completion(jobs: Any, *, nodes: Optional[int] = None, speeds: Optional[Sequence[float]] = None,
               seed: int = 1) -> Dict[str, Any]:
    """Least total completion time on uniform nodes (an assignment LP,
    integral), with SPT and SRPT through the engine (``optimize completion``).

    Example:
        >>> optimize.completion([{"id": "a", "size": 2}, {"id": "b", "size": 1}], speeds=[1, 2])["optimum"]
        2.0
    """
    return _batch("completion", jobs, nodes, speeds, None, seed)


class SequenceResult(dict):
    """The document of ``schedlab optimize sequence --json``, with the optimal
    schedule's Gantt chart: ``chart("svg")`` / ``chart("png")``; shown in
    Jupyter as the chart."""

    def __init__(self, doc: Dict[str, Any], svg: bytes, png: bytes):
        super().__init__(doc)
        self._svg = svg
        self._png = png

    def chart(self, format: str = "svg") -> Picture:
        """The Gantt chart of the optimal sequence (``--svg`` / ``--png``)."""
        if format not in ("svg", "png"):
            raise _native.ScenarioError(f"format = {format}: choose png or svg")
        return Picture(self._svg if format == "svg" else self._png, "sequence", format)

    def _repr_svg_(self) -> str:
        return self._svg.decode("utf-8")


def sequence(jobs: Any, *, weighted: bool = False) -> SequenceResult:
    """One machine, release dates, no preemption: the least total (weighted)
    completion time by dynamic programming over subsets (at most 20 jobs),
    against FCFS, SPT, WSPT and preemptive SRPT (``optimize sequence``).

    Example:
        >>> r = optimize.sequence("scenarios/optimize/sequence.csv", weighted=True)
        >>> r["order"], [p["name"] for p in r["policies"]]
        (['B', 'C', 'D', 'G', 'E', 'H', 'F', 'A'], ['fcfs', 'spt (sjf)', 'wspt', 'srpt (preemptive)'])
        >>> r.chart("png").save("optimal.png")  # doctest: +SKIP
    """
    path, inputs = _jobs(jobs)
    argv = ["optimize", "sequence", path, "--svg", "<svg>", "--png", "<png>"]
    if weighted:
        argv.append("--weighted")
    doc, (svg, png) = _command(argv, inputs, [("<svg>", "chart.svg"), ("<png>", "chart.png")])
    return SequenceResult(doc, svg, png)


def split(lam: float, mu: Sequence[float], *, simulate: bool = False, replications: int = 10,
          jobs: int = 200_000, seed: int = 1) -> Dict[str, Any]:
    """The optimal static split of Poisson arrivals at rate ``lam`` over
    exponential servers of rates ``mu`` (square-root rule), with random,
    round robin, JSQ, LWL and power-of-2 beside it; ``simulate`` simulates
    each (``optimize split``).

    Example:
        >>> optimize.split(1.5, [1, 2])["square_root"]["flows"]
        [0.378..., 1.121...]
    """
    argv = ["optimize", "split", "--lambda", number(lam, "lam"), "--mu", numbers(mu, "mu")]
    return _command(argv + _sim(simulate, replications, jobs, seed))[0]


def flow(rates: Sequence[float], mu: Matrix, *, cost: Optional[Matrix] = None,
         cap: Union[float, Sequence[float]] = 0.95) -> Dict[str, Any]:
    """The class-flow LP: route class k's flow ``rates[k]`` over nodes at least
    cost with every node's load at most ``cap`` (``optimize flow``).

    ``mu[k][i]`` is class k's service rate at node i (or ``"2,1;1,3"``);
    the default cost of a unit of flow is 1/mu (total utilisation).

    Example:
        >>> optimize.flow([1, 0.5], [[2, 1], [1, 3]], cap=0.9)["objective"]
        0.666...
    """
    argv = ["optimize", "flow", "--rates", numbers(rates, "rates"), "--mu", _matrix(mu, "mu"),
            "--cap", numbers(cap, "cap")]
    if cost is not None:
        argv += ["--cost", _matrix(cost, "cost")]
    return _command(argv)[0]


def mdp(lam: float, mu: Sequence[float], *, truncate: int = 60, tol: float = 1e-9,
        max_iterations: int = 1_000_000, simulate: bool = False, replications: int = 10,
        jobs: int = 200_000, seed: int = 1) -> Dict[str, Any]:
    """Average-cost optimal dispatching to servers of rates ``mu`` by relative
    value iteration on queue lengths truncated at ``truncate``, against JSQ,
    LWL, the optimal static split and random; ``simulate`` simulates each,
    the optimal table as a dispatch rule (``optimize mdp``).

    Example:
        >>> r = optimize.mdp(2.0, [2, 1])
        >>> {p["policy"]: round(p["exact"], 4) for p in r["policies"]}["mdp optimum"]
        1.255
    """
    argv = ["optimize", "mdp", "--lambda", number(lam, "lam"), "--mu", numbers(mu, "mu"),
            "--truncate", integer(truncate, "truncate"), "--tol", number(tol, "tol"),
            "--max-iterations", integer(max_iterations, "max_iterations")]
    return _command(argv + _sim(simulate, replications, jobs, seed))[0]
