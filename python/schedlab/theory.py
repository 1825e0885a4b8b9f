"""Closed forms of queueing theory, as ``schedlab theory MODEL --json`` gives them.

Every function returns the command's JSON document as a dict: ``model``,
``kind`` (``exact`` or ``approximation``), ``stable`` and, when stable, the
figures (``rho``, ``mean_wait``, ``mean_response``, ``mean_in_queue``,
``mean_in_system`` and the model's own, such as ``p_wait`` or ``p_block``).
A load of 1 or more gives ``stable: False`` and a message, never a number.
Rates are per time unit; ``es`` is the mean service time E[S], ``es2`` its
second moment E[S^2], ``scv`` its squared coefficient of variation.

Example:
    >>> from schedlab import theory
    >>> round(theory.mmc(1.8, 1.0, 2)["mean_response"], 6)
    5.263158
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from ._convert import SCENARIO_LABEL, integer, number, numbers, scenario_source

__all__ = [
    "mm1",
    "mmc",
    "mmck",
    "erlang_b",
    "md1",
    "mg1",
    "priority",
    "ps",
    "srpt",
    "fb",
    "kingman",
    "allen_cunneen",
    "repairman",
    "scenario",
]


def _theory(model: str, *flags: Tuple[str, Any]) -> Dict[str, Any]:
    argv = ["theory", model]
    for name, value in flags:
        if value is None or value is False:
            continue
        if value is True:
            argv.append(f"--{name}")
        else:
            argv.extend([f"--{name}", value])
    doc, _ = _native.command(argv)
    return json.loads(doc)


def _pcts(percentiles: Optional[Sequence[float]]) -> Optional[str]:
    return None if not percentiles else numbers(percentiles, "percentiles")


def mm1(lam: float, mu: float, *, percentiles: Optional[Sequence[float]] = None) -> Dict[str, Any]:
    """M/M/1: Poisson arrivals at rate ``lam``, one exponential server of rate ``mu``.

    ``percentiles`` (in [0, 100)) adds ``response_percentiles``.

    Example:
        >>> theory.mm1(0.8, 1.0, percentiles=[50, 95])["response_percentiles"]["p95"]
        14.97...
    """
    return _theory("mm1", ("lambda", number(lam, "lam")), ("mu", number(mu, "mu")),
                   ("percentiles", _pcts(percentiles)))


def mmc(lam: float, mu: float, c: int, *, percentiles: Optional[Sequence[float]] = None) -> Dict[str, Any]:
    """M/M/c (Erlang C): ``c`` exponential servers of rate ``mu`` each.

    Adds ``p_wait`` (the Erlang C probability of waiting); ``percentiles``
    adds ``wait_percentiles``.

    Example:
        >>> r = theory.mmc(1.8, 1.0, 2)
        >>> round(r["p_wait"], 4), round(r["mean_wait"], 4)
        (0.8526, 4.2632)
    """
    return _theory("mmc", ("lambda", number(lam, "lam")), ("mu", number(mu, "mu")),
                   ("servers", integer(c, "c")), ("percentiles", _pcts(percentiles)))


def mmck(lam: float, mu: float, c: int, k: int) -> Dict[str, Any]:
    """M/M/c/K: at most ``k`` jobs held; adds ``p_block`` and ``lambda_eff``.

    Example:
        >>> round(theory.mmck(1.0, 1.0, 1, 5)["p_block"], 4)
        0.1667
    """
    return _theory("mmck", ("lambda", number(lam, "lam")), ("mu", number(mu, "mu")),
                   ("servers", integer(c, "c")), ("capacity", integer(k, "k")))


def erlang_b(lam: float, mu: float, c: int) -> Dict[str, Any]:
    """Erlang B (M/M/c/c): ``p_block``, ``offered_load``, ``carried_load``.

    Example:
        >>> round(theory.erlang_b(3.0, 1.0, 5)["p_block"], 4)
        0.1101
    """
    return _theory("erlang-b", ("lambda", number(lam, "lam")), ("mu", number(mu, "mu")),
                   ("servers", integer(c, "c")))


def md1(lam: float, es: float) -> Dict[str, Any]:
    """M/D/1: constant service time ``es``.

    Example:
        >>> round(theory.md1(0.8, 1.0)["mean_wait"], 9)
        2.0
    """
    return _theory("md1", ("lambda", number(lam, "lam")), ("es", number(es, "es")))


def mg1(lam: float, es: float, *, es2: Optional[float] = None, scv: Optional[float] = None) -> Dict[str, Any]:
    """M/G/1 (Pollaczek-Khinchine): give exactly one of ``es2`` (E[S^2]) or ``scv``.

    Example:
        >>> theory.mg1(0.7, 1.0, scv=4.0)["mean_wait"]
        5.833...
    """
    return _theory("mg1", ("lambda", number(lam, "lam")), ("es", number(es, "es")),
                   ("es2", None if es2 is None else number(es2, "es2")),
                   ("scv", None if scv is None else number(scv, "scv")))


def priority(classes: Sequence[Tuple[float, float, float]], *, preemptive: bool = False) -> Dict[str, Any]:
    """M/G/1 with priority classes, most urgent first: each ``(lam, es, es2)``.

    Non-preemptive (Cobham) by default, preemptive-resume with ``preemptive=True``.
    The document has one entry per class in ``classes``.

    Example:
        >>> r = theory.priority([(0.3, 1, 1.5), (0.25, 2, 16)], preemptive=True)
        >>> [round(c["mean_response"], 3) for c in r["classes"]]
        [1.321, 18.75]
    """
    argv: List[Tuple[str, Any]] = []
    for i, c in enumerate(classes):
        if len(c) != 3:
            raise _native.ScenarioError(f"--class = {c!r}: write LAMBDA:ES:ES2 with three numbers")
        argv.append(("class", ":".join(number(x, f"classes[{i}]") for x in c)))
    argv.append(("preemptive", bool(preemptive)))
    return _theory("priority", *argv)


def ps(lam: float, es: float) -> Dict[str, Any]:
    """M/G/1 processor sharing: E[T] = E[S] / (1 - rho), whatever the size distribution.

    Example:
        >>> theory.ps(0.5, 1.0)["mean_response"]
        2.0
    """
    return _theory("ps", ("lambda", number(lam, "lam")), ("es", number(es, "es")))


def srpt(lam: float, service: str) -> Dict[str, Any]:
    """M/G/1 under SRPT (Schrage-Miller), by numerical integration.

    ``service`` is a distribution as ``NAME:key=value,...``, e.g.
    ``"exponential:mean=1"`` or ``"hyperexponential:mean=1,scv=4"``.

    Example:
        >>> theory.srpt(0.7, "exponential:mean=1")["mean_response"] < theory.ps(0.7, 1.0)["mean_response"]
        True
    """
    return _theory("srpt", ("lambda", number(lam, "lam")), ("service", service))


def fb(lam: float, service: str) -> Dict[str, Any]:
    """M/G/1 under FB (least attained service), by numerical integration.

    Example:
        >>> round(theory.fb(0.7, "hyperexponential:mean=1,scv=8")["mean_response"], 3)
        2.57
    """
    return _theory("fb", ("lambda", number(lam, "lam")), ("service", service))


def kingman(lam: float, es: float, ca2: float, cs2: float) -> Dict[str, Any]:
    """G/G/1 by Kingman's approximation: ``ca2``, ``cs2`` are the squared
    coefficients of variation of inter-arrival and service times.

    Example:
        >>> round(theory.kingman(0.8, 1.0, 1.0, 1.0)["mean_wait"], 9)   # M/M/1's exact value
        4.0
    """
    return _theory("kingman", ("lambda", number(lam, "lam")), ("es", number(es, "es")),
                   ("ca2", number(ca2, "ca2")), ("cs2", number(cs2, "cs2")))


def allen_cunneen(lam: float, es: float, c: int, ca2: float, cs2: float) -> Dict[str, Any]:
    """G/G/c by the Allen-Cunneen approximation.

    Example:
        >>> round(theory.allen_cunneen(1.8, 1.0, 2, 1.0, 1.0)["mean_wait"], 6)   # Erlang C when both are 1
        4.263158
    """
    return _theory("allen-cunneen", ("lambda", number(lam, "lam")), ("es", number(es, "es")),
                   ("servers", integer(c, "c")), ("ca2", number(ca2, "ca2")),
                   ("cs2", number(cs2, "cs2")))


def repairman(population: int, think: float, mu: float, c: int) -> Dict[str, Any]:
    """M/M/c//N, the machine-repairman model: a closed population of ``population``
    sources, each up for an exponential time of mean ``think`` before it needs a
    repair of rate ``mu`` from one of ``c`` repairers.

    Gives ``throughput`` (repairs per time unit), ``mean_response`` (time down per
    breakdown), ``mean_wait``, ``mean_in_system`` (machines down), ``mean_in_queue``
    and ``utilization``; never unstable.

    Example:
        >>> round(theory.repairman(20, 10.0, 1.0, 3)["throughput"], 6)
        1.787377
    """
    return _theory("repairman", ("population", integer(population, "population")),
                   ("think", number(think, "think")), ("mu", number(mu, "mu")),
                   ("servers", integer(c, "c")))


def scenario(scenario: Union[str, "os.PathLike[str]", Dict[str, Any]]) -> Dict[str, Any]:
    """Every closed form that describes a scenario's rows (``schedlab theory FILE``).

    ``scenario`` is a path, TOML text or a dict, as for ``schedlab.run``.

    Example:
        >>> theory.scenario("scenarios/mm2.toml")["rows"][0]["formula"]
        'erlang-c'
    """
    kind, value, _ = scenario_source(scenario)
    if kind == "file":
        doc, _ = _native.command(["theory", value])
    else:
        doc, _ = _native.command(
            ["theory", SCENARIO_LABEL], inputs=[(SCENARIO_LABEL, "scenario.toml", value)]
        )
    return json.loads(doc)
