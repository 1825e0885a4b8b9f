"""run, sweep and gantt: the simulator and the teaching mode from Python."""

from __future__ import annotations

import csv
import io
import json
import os
import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _native
from ._convert import (
    U32_MAX,
    jobs_source,
    policy_list,
    scenario_source,
    share,
    values_text,
    whole,
)

PathLike = Union[str, "os.PathLike[str]"]

RUN_PLOTS = (
    "response-cdf",
    "response-histogram",
    "percentiles",
    "sample-path",
    "utilization",
    "size-slowdown",
    "attempts",
    "alarm-intervals",
)
SWEEP_PLOTS = ("sweep-response", "sweep-wait", "sweep-slowdown")


class Picture(bytes):
    """The bytes of a PNG or SVG picture, shown as a picture in Jupyter.

    ``name`` is the picture's name in a results tree (``plots/NAME.png``)
    and ``format`` is ``"png"`` or ``"svg"``.

    Example:
        >>> pic = schedlab.run("scenarios/mm2.toml", jobs=10_000).plot("response-cdf")
        >>> pic[:4] == b"\\x89PNG", pic.name, pic.format
        (True, 'response-cdf', 'png')
        >>> pic.save("cdf.png")  # doctest: +SKIP
    """

    name: str
    format: str

    def __new__(cls, data: bytes, name: str, format: str) -> "Picture":
        obj = super().__new__(cls, data)
        obj.name = name
        obj.format = format
        return obj

    def _repr_png_(self) -> Optional[bytes]:
        return bytes(self) if self.format == "png" else None

    def _repr_svg_(self) -> Optional[str]:
        return self.decode("utf-8") if self.format == "svg" else None

    def save(self, path: PathLike) -> None:
        """Writes the bytes to ``path``."""
        with open(path, "wb") as f:
            f.write(self)

    def __repr__(self) -> str:
        return f"<Picture {self.name}.{self.format}, {len(self)} bytes>"

    __str__ = __repr__


def _picture(pictures: Dict[str, tuple], kind: str, format: str, available: Sequence[str]) -> Picture:
    if format not in ("png", "svg"):
        raise _native.ScenarioError(f"format = {format}: choose png or svg")
    if kind not in pictures:
        raise _native.ScenarioError(
            f"kind = {kind}: no such picture here; choose one of {', '.join(available)}"
        )
    svg, png = pictures[kind]
    return Picture(png if format == "png" else svg.encode("utf-8"), kind, format)


def _warn(messages: Sequence[str]) -> None:
    for m in messages:
        warnings.warn(m, RuntimeWarning, stacklevel=3)


def _flatten(row: Dict[str, Any]) -> Dict[str, Any]:
    """A JSON row with its ``theory`` object spread into ``theory_*`` columns,
    and a group row's ``utilisation_distribution`` into ``utilisation_min``,
    ``utilisation_p5``, ... (the columns of ``results.csv``)."""
    out = {k: v for k, v in row.items() if k not in ("theory", "utilisation_distribution")}
    for k, v in (row.get("theory") or {}).items():
        out[f"theory_{k}"] = v
    for k, v in (row.get("utilisation_distribution") or {}).items():
        out[f"utilisation_{k}"] = v
    return out


def _frame(rows: List[Dict[str, Any]]):
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_pandas() needs pandas: pip install pandas") from e
    return pandas.DataFrame([_flatten(r) for r in rows])


class RunResult:
    """What ``schedlab.run`` returns: the document of ``schedlab run --json``.

    Attributes:
        document: the whole JSON document as a dict (scenario, seed,
            replications, warmup, horizon, results, paired).
        rows: the result rows, with exactly the fields of the JSON rows
            (one for all jobs, one per class, one per node, for each policy).
        paired: each compared policy against the first on the same jobs
            (``diff_mean_response`` with its 95% CI), empty for one policy.
        theory: the rows that a closed form describes, as
            ``{"policy", "class", "node", "formula", "kind", "mean_wait",
            "mean_response", "rel_error", "within_ci", ...}``.
        warnings: what the command line prints as warnings.
        wall_seconds, events, threads: how the run went.

    Example:
        >>> r = schedlab.run("scenarios/mm2.toml", jobs=100_000)
        >>> round(r.rows[0]["mean_response"], 2), round(r.theory[0]["mean_response"], 2)
        (5.15, 5.26)
        >>> list(r.to_pandas()["class"])
        ['all', 'default', 'all']
        >>> r.plot("response-cdf")           # a PNG, shown in Jupyter
        <Picture response-cdf.png, ... bytes>
    """

    def __init__(self, handle: Any):
        self._handle = handle
        self.document: Dict[str, Any] = json.loads(handle.json())
        self.rows: List[Dict[str, Any]] = self.document["results"]
        self.paired: List[Dict[str, Any]] = self.document.get("paired", [])
        self.theory: List[Dict[str, Any]] = [
            {"policy": r["policy"], "class": r["class"], "node": r["node"], **r["theory"]}
            for r in self.rows
            if "theory" in r
        ]
        self.warnings: List[str] = list(handle.warnings)
        self.wall_seconds: float = handle.wall_seconds
        self.events: int = handle.events
        self.threads: int = handle.threads
        self._pictures: Optional[Dict[str, tuple]] = None

    @property
    def table(self) -> str:
        """The table ``schedlab run`` prints."""
        return self._handle.table()

    def row(self, policy: Optional[str] = None, cls: str = "all", node: str = "all") -> Dict[str, Any]:
        """The row of ``policy`` (default: the first), class ``cls`` and ``node``.

        Example:
            >>> r = schedlab.run("scenarios/mh2-1.toml", jobs=20_000, compare="fcfs,srpt")
            >>> r.row("srpt")["mean_response"] < r.row("fcfs")["mean_response"]
            True
        """
        for r in self.rows:
            if (policy is None or r["policy"] == policy) and r["class"] == cls and r["node"] == node:
                return r
        raise KeyError(f"no row for policy={policy!r}, class={cls!r}, node={node!r}")

    def to_pandas(self):
        """The rows as a pandas DataFrame (``theory`` spread into ``theory_*`` columns).

        Example:
            >>> df = schedlab.run("scenarios/mm1.toml", jobs=10_000).to_pandas()
            >>> df.shape[0], "theory_mean_response" in df.columns
            (3, True)
        """
        return _frame(self.rows)

    @property
    def plots(self) -> List[str]:
        """The kinds ``plot`` draws for this run, as ``run --out`` writes them
        (``size-slowdown`` only where some size bin has a mean slowdown,
        ``attempts`` only with ``[classes.attempts]``, ``alarm-intervals``
        only with ``[[alarms]]``)."""
        return list(self._rendered())

    def _rendered(self) -> Dict[str, tuple]:
        if self._pictures is None:
            self._pictures = {name: (svg, png) for name, svg, png in self._handle.pictures()}
        return self._pictures

    def plot(self, kind: str = "response-cdf", format: str = "png") -> Picture:
        """The picture ``kind`` of ``schedlab run --out DIR`` (``plots/KIND.png``
        or ``.svg``), byte for byte: one of ``response-cdf``,
        ``response-histogram``, ``percentiles``, ``sample-path``, ``utilization``,
        ``size-slowdown``, ``attempts``, ``alarm-intervals``.

        Example:
            >>> r = schedlab.run("scenarios/mm1.toml", jobs=10_000)
            >>> r.plot("percentiles", format="svg")[:4]
            b'<svg'
            >>> r.plot("percentiles", format="svg").save("percentiles.svg")  # doctest: +SKIP
        """
        return _picture(self._rendered(), kind, format, RUN_PLOTS)

    def __repr__(self) -> str:
        return self.table


class SweepResult:
    """What ``schedlab.sweep`` returns: the document of ``schedlab sweep --json``.

    Attributes:
        document: the whole JSON document (scenario, seed, replications,
            param, points).
        param: the swept parameter.
        points: ``[{"value", "load", "results": [row, ...]}, ...]``.
        rows: every point's rows, flat, each with ``value`` and ``load``
            first and then the fields of the JSON rows.
        records: the rows of the results tree's ``sweep.csv`` (with the mean
            slowdown and ``theory_*`` columns), numbers as numbers.

    Example:
        >>> s = schedlab.sweep("scenarios/mm1.toml", param="load", values=[0.5, 0.8], jobs=20_000)
        >>> [round(r["mean_response"]) for r in s.rows if r["class"] == "all"]
        [2, 5]
        >>> s.plot("sweep-response")
        <Picture sweep-response.png, ... bytes>
    """

    def __init__(self, handle: Any):
        self._handle = handle
        self.document: Dict[str, Any] = json.loads(handle.json())
        self.param: str = self.document["param"]
        self.points: List[Dict[str, Any]] = self.document["points"]
        self.rows: List[Dict[str, Any]] = [
            {"value": p["value"], "load": p["load"], **r} for p in self.points for r in p["results"]
        ]
        self.warnings: List[str] = list(handle.warnings)
        self.wall_seconds: float = handle.wall_seconds
        self.events: int = handle.events
        self._pictures: Optional[Dict[str, tuple]] = None

    @property
    def records(self) -> List[Dict[str, Any]]:
        """The rows of ``sweep.csv``."""
        return [
            {k: _parse_cell(v) for k, v in r.items()}
            for r in csv.DictReader(io.StringIO(self._handle.csv()))
        ]

    def to_pandas(self):
        """The flat rows as a pandas DataFrame.

        Example:
            >>> s = schedlab.sweep("scenarios/mm1.toml", param="load", values=[0.5, 0.8],
            ...                    compare="fcfs,srpt", jobs=10_000)
            >>> df = s.to_pandas().query("`class` == 'all'")
            >>> df.pivot(index="value", columns="policy", values="mean_response").round().values.tolist()
            [[2.0, 1.0], [5.0, 2.0]]
        """
        return _frame(self.rows)

    @property
    def plots(self) -> List[str]:
        """The kinds ``plot`` draws."""
        return list(SWEEP_PLOTS)

    def plot(self, kind: str = "sweep-response", format: str = "png") -> Picture:
        """The picture ``kind`` of ``schedlab sweep --out DIR``: ``sweep-response``,
        ``sweep-wait`` or ``sweep-slowdown``.

        Example:
            >>> s = schedlab.sweep("scenarios/mm1.toml", param="load", values=[0.5, 0.8], jobs=10_000)
            >>> s.plot("sweep-slowdown", format="svg")
            <Picture sweep-slowdown.svg, ... bytes>
        """
        if self._pictures is None:
            self._pictures = {name: (svg, png) for name, svg, png in self._handle.pictures()}
        return _picture(self._pictures, kind, format, SWEEP_PLOTS)

    def __repr__(self) -> str:
        return (
            f"<SweepResult {self.document['scenario']}: {self.param} over "
            f"{len(self.points)} value(s), {len(self.rows)} rows>"
        )


def _parse_cell(text: str) -> Any:
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def run(
    scenario: Union[PathLike, str, Dict[str, Any]],
    *,
    seed: Optional[int] = None,
    replications: Optional[int] = None,
    jobs: Optional[int] = None,
    compare: Optional[Union[str, Sequence[str]]] = None,
    threads: Optional[int] = None,
    precision: Optional[float] = None,
    precision_metric: Optional[str] = None,
    max_replications: Optional[int] = None,
    batches: Optional[int] = None,
    per_node: bool = False,
) -> RunResult:
    """Simulates a scenario's replications, as ``schedlab run --json`` does.

    Args:
        scenario: a scenario file's path, scenario TOML text, or a dict in
            the scenario format (``{"name": ..., "classes": [...], "nodes":
            [...], "policy": {...}}``). A string holding a newline or ``=``
            is TOML text; any other string is a path.
        seed, replications, jobs: override the scenario's seed, number of
            replications and measured jobs per replication (``--seed``,
            ``--replications``, ``--jobs``).
        compare: policies to compare on the same jobs, the first being the
            baseline: ``"fcfs,srpt,ps"`` or ``["fcfs", "rr(q=0.5)"]``.
        threads: worker threads (default: every core); the results are the
            same for any number.
        precision, precision_metric, max_replications: add replications
            until the 95% half-width of the metric (default the mean
            response) is at most this share of its estimate, with a cap
            (``--precision``, ``--precision-metric``, ``--max-replications``);
            ``document["precision"]`` says how many it took.
        batches: estimate by batch means over one long replication cut into
            this many batches (``--batches``); ``document["batches"]`` holds
            the lag-1 autocorrelation check.
        per_node: a row for every member of a node group (``[[nodes]]``
            with ``count``) too, as ``--per-node``; by default a group has
            one row, with ``group_nodes`` and ``utilisation_distribution``.

    Returns:
        a ``RunResult`` (``.rows``, ``.paired``, ``.theory``, ``.to_pandas()``,
        ``.plot(kind)``).

    Raises:
        ScenarioError: bad input, with the command line's one-line message.
        KeyboardInterrupt: on Ctrl-C (the simulation is abandoned).

    The simulation runs without the GIL: other Python threads keep running.

    Example:
        >>> import schedlab
        >>> r = schedlab.run("scenarios/mm2.toml", replications=5, jobs=100_000)
        >>> row = r.rows[0]
        >>> abs(row["mean_response"] - row["theory"]["mean_response"]) < 2 * row["mean_response_ci95"]
        True
    """
    kind, value, label = scenario_source(scenario)
    handle = _native.run(
        kind,
        value,
        label,
        seed=whole(seed, "--seed"),
        replications=whole(replications, "--replications", U32_MAX),
        jobs=whole(jobs, "--jobs"),
        compare=policy_list(compare),
        threads=whole(threads, "--threads"),
        precision=share(precision, "--precision"),
        precision_metric=precision_metric,
        max_replications=whole(max_replications, "--max-replications", U32_MAX),
        batches=whole(batches, "--batches", U32_MAX),
        per_node=bool(per_node),
    )
    result = RunResult(handle)
    _warn(result.warnings)
    return result


def sweep(
    scenario: Union[PathLike, str, Dict[str, Any]],
    *,
    param: Optional[str] = None,
    values: Optional[Union[str, Sequence[float]]] = None,
    seed: Optional[int] = None,
    replications: Optional[int] = None,
    jobs: Optional[int] = None,
    compare: Optional[Union[str, Sequence[str]]] = None,
    threads: Optional[int] = None,
) -> SweepResult:
    """Varies one parameter and runs every compared policy at each value, as
    ``schedlab sweep --json`` does.

    Args:
        scenario: a path, TOML text or a dict, as for ``run``.
        param: ``load``, ``arrival.rate``, ``service.mean``, ``servers``,
            ``quantum``, ``nodes.NAME.speed``, ... (``schedlab sweep --help``);
            with ``values`` omitted too, the scenario's ``[sweep]`` section.
        values: ``"0.1:0.9:0.1"`` (start:stop:step), ``"1,2,4"`` or a list of numbers.
        seed, replications, jobs, compare, threads: as for ``run``.

    Example:
        >>> s = schedlab.sweep("scenarios/mm1.toml", param="load", values="0.5:0.9:0.2",
        ...                    compare="fcfs,srpt", jobs=20_000)
        >>> [(r["value"], r["policy"]) for r in s.rows if r["class"] == "all"]
        [(0.5, 'fcfs'), (0.5, 'srpt'), (0.7, 'fcfs'), (0.7, 'srpt'), (0.9, 'fcfs'), (0.9, 'srpt')]
    """
    kind, value, label = scenario_source(scenario)
    handle = _native.sweep(
        kind,
        value,
        label,
        param=param,
        values=values_text(values),
        seed=whole(seed, "--seed"),
        replications=whole(replications, "--replications", U32_MAX),
        jobs=whole(jobs, "--jobs"),
        compare=policy_list(compare),
        threads=whole(threads, "--threads"),
    )
    result = SweepResult(handle)
    _warn(result.warnings)
    return result


class GanttResult:
    """What ``schedlab.gantt`` returns: a job list scheduled as in an exercise.

    Attributes:
        schedule: the document of ``schedlab gantt --json`` (policy, cpus,
            jobs, average, timeline).
        jobs: per job: id, arrival, burst, priority, start, completion,
            turnaround, waiting, response.
        average: mean waiting, turnaround and response.
        timeline: the runs, one segment per stretch (``"job": None`` when idle).
        explain: one line per scheduling decision (``--explain``).
        table: the text ``schedlab gantt`` prints (ASCII chart and job table).

    Shown in Jupyter as its Gantt chart (SVG).

    Example:
        >>> g = schedlab.gantt([{"id": "P1", "arrival": 0, "burst": 8},
        ...                     {"id": "P2", "arrival": 1, "burst": 4}], policy="srtf")
        >>> [j["completion"] for j in g.jobs]
        [12.0, 5.0]
        >>> g.chart("png").save("srtf.png")  # doctest: +SKIP
    """

    def __init__(self, handle: Any):
        self._handle = handle
        doc = json.loads(handle.json())
        self.explain: List[str] = doc.pop("explain", [])
        self.schedule: Dict[str, Any] = doc
        self.policy: str = doc["policy"]
        self.cpus: int = doc["cpus"]
        self.jobs: List[Dict[str, Any]] = doc["jobs"]
        self.average: Dict[str, float] = doc["average"]
        self.timeline: List[Dict[str, Any]] = doc["timeline"]

    @property
    def table(self) -> str:
        return self._handle.text()

    @property
    def makespan(self) -> float:
        """When the last job completes."""
        return max((j["completion"] for j in self.jobs), default=0.0)

    def chart(self, format: str = "svg") -> Picture:
        """The Gantt chart of ``schedlab gantt --svg/--png``.

        Example:
            >>> g = schedlab.gantt("scenarios/jobs/textbook.csv", policy="sjf")
            >>> g.chart("svg")
            <Picture gantt.svg, ... bytes>
            >>> g.chart("svg").save("gantt.svg")  # doctest: +SKIP
        """
        if format == "svg":
            return Picture(self._handle.svg().encode("utf-8"), "gantt", "svg")
        if format == "png":
            return Picture(self._handle.png(), "gantt", "png")
        raise _native.ScenarioError(f"format = {format}: choose png or svg")

    def to_pandas(self):
        """The per-job table as a DataFrame.

        Example:
            >>> g = schedlab.gantt("scenarios/jobs/textbook.csv", policy="sjf")
            >>> g.to_pandas()[["id", "waiting"]].values.tolist()
            [['P1', 0.0], ['P2', 7.0], ['P3', 15.0], ['P4', 9.0]]
        """
        try:
            import pandas
        except ImportError as e:  # pragma: no cover
            raise ImportError("to_pandas() needs pandas: pip install pandas") from e
        return pandas.DataFrame(self.jobs)

    def _repr_svg_(self) -> str:
        return self._handle.svg()

    def __repr__(self) -> str:
        return self.table


class GanttComparison:
    """What ``schedlab.gantt_compare`` returns: one schedule per policy.

    Attributes:
        schedules: per policy, the document of ``schedlab gantt --json``.
        rows: per policy: ``policy``, ``waiting``, ``turnaround``, ``response`` (averages).
        table: the table ``schedlab gantt --compare`` prints (best marked).

    Example:
        >>> c = schedlab.gantt_compare("scenarios/jobs/textbook.csv", "fcfs,sjf,srtf")
        >>> min(c.rows, key=lambda r: r["waiting"])["policy"]   # named as written
        'srtf'
    """

    def __init__(self, doc: str, table: str):
        self.schedules: List[Dict[str, Any]] = json.loads(doc)
        self.rows: List[Dict[str, Any]] = [
            {"policy": s["policy"], **s["average"]} for s in self.schedules
        ]
        self.table: str = table

    def to_pandas(self):
        """The averages per policy as a DataFrame."""
        try:
            import pandas
        except ImportError as e:  # pragma: no cover
            raise ImportError("to_pandas() needs pandas: pip install pandas") from e
        return pandas.DataFrame(self.rows)

    def __repr__(self) -> str:
        return self.table


def gantt(
    jobs: Any,
    *,
    policy: str = "fcfs",
    quantum: Optional[float] = None,
    cpus: int = 1,
    switch_cost: Optional[float] = None,
    levels: Optional[str] = None,
    high_first: bool = False,
    preempted_first: bool = False,
) -> GanttResult:
    """Schedules a job list by hand-exercise rules, as ``schedlab gantt`` does.

    Args:
        jobs: a CSV (or TOML) job file's path, CSV text (a string holding a
            newline or a comma), a list of dicts ``{"id", "arrival", "burst"[,
            "priority"][, "deadline"]}``, or a pandas DataFrame with those columns.
        policy: fcfs, sjf, srtf, priority, priority-pr, rr (with ``quantum``),
            hrrn, edf, mlq (``levels="rr:4,fcfs"``), mlfq (``levels="8,16,fcfs"``)
            or any simulator discipline.
        cpus: CPUs sharing the job list.
        switch_cost: time each change of job costs on a CPU.
        high_first: a higher priority number is more urgent.
        preempted_first: at equal times a preempted job queues before an
            arriving one (round robin).

    Example:
        >>> g = schedlab.gantt([{"id": "A", "arrival": 0, "burst": 3},
        ...                     {"id": "B", "arrival": 0, "burst": 1}], policy="rr", quantum=1)
        >>> [(s["job"], s["start"], s["end"]) for s in g.timeline][:3]
        [('A', 0.0, 1.0), ('B', 1.0, 2.0), ('A', 2.0, 4.0)]
    """
    kind, value, label = jobs_source(jobs)
    handle = _native.gantt(
        kind,
        value,
        label,
        policy,
        quantum=quantum,
        cpus=whole(cpus, "--cpus", U32_MAX),
        switch_cost=switch_cost,
        levels=levels,
        high_first=high_first,
        preempted_first=preempted_first,
    )
    return GanttResult(handle)


def gantt_compare(
    jobs: Any,
    policies: Union[str, Sequence[str]] = "all",
    *,
    quantum: Optional[float] = None,
    cpus: int = 1,
    switch_cost: Optional[float] = None,
    levels: Optional[str] = None,
    high_first: bool = False,
    preempted_first: bool = False,
) -> GanttComparison:
    """Schedules a job list under several policies (``schedlab gantt --compare``).

    ``policies`` is ``"all"`` (every teaching policy whose parameters are
    given: rr needs ``quantum``, mlq and mlfq need ``levels``) or a list.

    Example:
        >>> c = schedlab.gantt_compare("scenarios/jobs/textbook.csv", ["fcfs", "sjf", "rr"], quantum=2)
        >>> c.to_pandas().sort_values("waiting")["policy"].tolist()
        ['sjf', 'fcfs', 'rr(q=2)']
    """
    kind, value, label = jobs_source(jobs)
    doc, table = _native.gantt_compare(
        kind,
        value,
        label,
        policy_list(policies) or "all",
        quantum=quantum,
        cpus=whole(cpus, "--cpus", U32_MAX),
        switch_cost=switch_cost,
        levels=levels,
        high_first=high_first,
        preempted_first=preempted_first,
    )
    return GanttComparison(doc, table)
