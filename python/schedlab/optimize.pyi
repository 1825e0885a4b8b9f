import os
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from . import Picture

_Jobs = Union[str, os.PathLike[str], Sequence[Mapping[str, Any]], Any]
_Matrix = Union[str, Sequence[Sequence[float]]]

class SequenceResult(Dict[str, Any]):
    def chart(self, format: str = "svg") -> Picture: ...
    def _repr_svg_(self) -> str: ...

def makespan(
    jobs: _Jobs,
    *,
    nodes: Optional[int] = None,
    speeds: Optional[Sequence[float]] = None,
    time_limit: Union[str, float] = "10s",
    seed: int = 1,
) -> Dict[str, Any]: ...
def completion(
    jobs: _Jobs,
    *,
    nodes: Optional[int] = None,
    speeds: Optional[Sequence[float]] = None,
    seed: int = 1,
) -> Dict[str, Any]: ...
def sequence(jobs: _Jobs, *, weighted: bool = False) -> SequenceResult: ...
def split(
    lam: float,
    mu: Sequence[float],
    *,
    simulate: bool = False,
    replications: int = 10,
    jobs: int = 200_000,
    seed: int = 1,
) -> Dict[str, Any]: ...
def flow(
    rates: Sequence[float],
    mu: _Matrix,
    *,
    cost: Optional[_Matrix] = None,
    cap: Union[float, Sequence[float]] = 0.95,
) -> Dict[str, Any]: ...
def mdp(
    lam: float,
    mu: Sequence[float],
    *,
    truncate: int = 60,
    tol: float = 1e-9,
    max_iterations: int = 1_000_000,
    simulate: bool = False,
    replications: int = 10,
    jobs: int = 200_000,
    seed: int = 1,
) -> Dict[str, Any]: ...
