"""Type stubs of the schedlab package."""

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import optimize as optimize
from . import theory as theory

__version__: str

_Scenario = Union[str, os.PathLike[str], Mapping[str, Any]]
_Jobs = Union[str, os.PathLike[str], Sequence[Mapping[str, Any]], Any]
_Policies = Union[str, Sequence[str]]

class ScenarioError(ValueError):
    """Bad input, with the command line's one-line message."""

class Picture(bytes):
    name: str
    format: str
    def __new__(cls, data: bytes, name: str, format: str) -> Picture: ...
    def _repr_png_(self) -> Optional[bytes]: ...
    def _repr_svg_(self) -> Optional[str]: ...
    def save(self, path: Union[str, os.PathLike[str]]) -> None: ...

class RunResult:
    document: Dict[str, Any]
    rows: List[Dict[str, Any]]
    paired: List[Dict[str, Any]]
    theory: List[Dict[str, Any]]
    warnings: List[str]
    wall_seconds: float
    events: int
    threads: int
    @property
    def table(self) -> str: ...
    def row(self, policy: Optional[str] = None, cls: str = "all", node: str = "all") -> Dict[str, Any]: ...
    def to_pandas(self) -> Any: ...
    @property
    def plots(self) -> List[str]: ...
    def plot(self, kind: str = "response-cdf", format: str = "png") -> Picture: ...

class SweepResult:
    document: Dict[str, Any]
    param: str
    points: List[Dict[str, Any]]
    rows: List[Dict[str, Any]]
    warnings: List[str]
    wall_seconds: float
    events: int
    @property
    def records(self) -> List[Dict[str, Any]]: ...
    def to_pandas(self) -> Any: ...
    @property
    def plots(self) -> List[str]: ...
    def plot(self, kind: str = "sweep-response", format: str = "png") -> Picture: ...

class GanttResult:
    schedule: Dict[str, Any]
    policy: str
    cpus: int
    jobs: List[Dict[str, Any]]
    average: Dict[str, float]
    timeline: List[Dict[str, Any]]
    explain: List[str]
    @property
    def table(self) -> str: ...
    @property
    def makespan(self) -> float: ...
    def chart(self, format: str = "svg") -> Picture: ...
    def to_pandas(self) -> Any: ...
    def _repr_svg_(self) -> str: ...

class GanttComparison:
    schedules: List[Dict[str, Any]]
    rows: List[Dict[str, Any]]
    table: str
    def to_pandas(self) -> Any: ...

def run(
    scenario: _Scenario,
    *,
    seed: Optional[int] = None,
    replications: Optional[int] = None,
    jobs: Optional[int] = None,
    compare: Optional[_Policies] = None,
    threads: Optional[int] = None,
    precision: Optional[float] = None,
    precision_metric: Optional[str] = None,
    max_replications: Optional[int] = None,
    batches: Optional[int] = None,
    per_node: bool = False,
) -> RunResult: ...
def sweep(
    scenario: _Scenario,
    *,
    param: Optional[str] = None,
    values: Optional[Union[str, Sequence[float]]] = None,
    seed: Optional[int] = None,
    replications: Optional[int] = None,
    jobs: Optional[int] = None,
    compare: Optional[_Policies] = None,
    threads: Optional[int] = None,
) -> SweepResult: ...
def gantt(
    jobs: _Jobs,
    *,
    policy: str = "fcfs",
    quantum: Optional[float] = None,
    cpus: int = 1,
    switch_cost: Optional[float] = None,
    levels: Optional[str] = None,
    high_first: bool = False,
    preempted_first: bool = False,
) -> GanttResult: ...
def gantt_compare(
    jobs: _Jobs,
    policies: _Policies = "all",
    *,
    quantum: Optional[float] = None,
    cpus: int = 1,
    switch_cost: Optional[float] = None,
    levels: Optional[str] = None,
    high_first: bool = False,
    preempted_first: bool = False,
) -> GanttComparison: ...
def scenario_toml(scenario: Mapping[str, Any]) -> str: ...
