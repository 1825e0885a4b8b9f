"""Turning Python values into what the command line reads: scenario TOML,
job-list CSV, and flag text."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Union

from ._native import ScenarioError

SCENARIO_LABEL = "<scenario>"
JOBS_LABEL = "<jobs>"


def _toml_key(key: Any) -> str:
    if not isinstance(key, str):
        raise ScenarioError(f"{SCENARIO_LABEL}: key {key!r}: keys must be strings")
    if key and all(c.isalnum() or c in "-_" for c in key) and key.isascii():
        return key
    return json.dumps(key)


def _toml_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, os.PathLike):
        return json.dumps(os.fspath(value))
    if isinstance(value, Mapping):
        items = ", ".join(
            f"{_toml_key(k)} = {_toml_value(v, f'{where}.{k}')}" for k, v in value.items()
        )
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _toml_value(value.item(), where)
    raise ScenarioError(
        f"{SCENARIO_LABEL}: {where} = {value!r}: cannot be written in a scenario "
        "(use numbers, strings, booleans, lists and dicts)"
    )


def scenario_toml(scenario: Mapping[str, Any]) -> str:
    """The TOML text of a scenario given as a dict in the scenario format.

    Top-level scalars come first, then each table (``[policy]``) and each
    array of tables (``[[classes]]``) on its own lines, so that messages
    give useful line numbers.

    >>> print(scenario_toml({"name": "x", "policy": {"discipline": "ps"}}))
    name = "x"
    <BLANKLINE>
    [policy]
    discipline = "ps"
    <BLANKLINE>
    """
    head = []
    tables = []
    for key, value in scenario.items():
        k = _toml_key(key)
        if isinstance(value, Mapping) and value:
            body = [f"{_toml_key(kk)} = {_toml_value(vv, f'{key}.{kk}')}" for kk, vv in value.items()]
            tables.append(f"[{k}]\n" + "\n".join(body) + "\n")
        elif (
            isinstance(value, (list, tuple))
            and value
            and all(isinstance(v, Mapping) for v in value)
        ):
            for i, item in enumerate(value):
                body = [
                    f"{_toml_key(kk)} = {_toml_value(vv, f'{key}[{i}].{kk}')}"
                    for kk, vv in item.items()
                ]
                tables.append(f"[[{k}]]\n" + "\n".join(body) + "\n")
        else:
            head.append(f"{k} = {_toml_value(value, key)}")
    parts = ["\n".join(head) + "\n"] if head else []
    parts.extend(tables)
    return "\n".join(parts)


def scenario_source(scenario: Any) -> Tuple[str, str, str]:
    """``(kind, value, label)`` for the native layer: a file, or text."""
    if isinstance(scenario, os.PathLike):
        return "file", os.fspath(scenario), ""
    if isinstance(scenario, Mapping):
        return "text", scenario_toml(scenario), SCENARIO_LABEL
    if isinstance(scenario, str):
        if "\n" in scenario or "=" in scenario:
            return "text", scenario, SCENARIO_LABEL
        return "file", scenario, ""
    raise TypeError(
        "scenario must be a path, TOML text or a dict in the scenario format, "
        f"not {type(scenario).__name__}"
    )


def _records(jobs: Any) -> list:
    if hasattr(jobs, "to_dict") and hasattr(jobs, "columns"):  # a pandas DataFrame
        frame = jobs
        if "id" not in frame.columns and getattr(frame.index, "name", None) == "id":
            frame = frame.reset_index()
        return frame.to_dict("records")
    if isinstance(jobs, Mapping):
        raise TypeError("jobs must be a list of dicts (one per job), not one dict")
    return list(jobs)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(value)
    if hasattr(value, "item") and callable(value.item):
        return _cell(value.item())
    return str(value)


def jobs_csv(jobs: Iterable[Mapping[str, Any]]) -> str:
    """CSV text of a job list given as dicts (or a DataFrame's rows).

    >>> print(jobs_csv([{"id": "P1", "arrival": 0, "burst": 5}]), end="")
    id,arrival,burst
    P1,0,5
    """
    records = _records(jobs)
    columns: list = []
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            raise TypeError(f"jobs[{i}] must be a dict such as {{'id': 'P1', 'arrival': 0, 'burst': 5}}")
        for k in r:
            if k not in columns:
                columns.append(k)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([str(c) for c in columns])
    for r in records:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return out.getvalue()


def jobs_source(jobs: Any) -> Tuple[str, str, str]:
    """``(kind, value, label)``: a job file, or CSV text."""
    if isinstance(jobs, os.PathLike):
        return "file", os.fspath(jobs), ""
    if isinstance(jobs, str):
        if "\n" in jobs or "," in jobs:
            return "text", jobs, JOBS_LABEL
        return "file", jobs, ""
    return "text", jobs_csv(jobs), JOBS_LABEL


def number(x: Any, name: str) -> str:
    """A number as a flag value."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "__float__"):
        raise TypeError(f"{name} must be a number, not {type(x).__name__}")
    if isinstance(x, int):
        return str(x)
    return repr(float(x))


def integer(x: Any, name: str) -> str:
    if isinstance(x, bool) or not isinstance(x, int):
        if hasattr(x, "item") and isinstance(x.item(), int):
            return str(x.item())
        raise TypeError(f"{name} must be an integer, not {type(x).__name__}")
    return str(x)


def numbers(xs: Union[float, Sequence[float]], name: str) -> str:
    """A comma-separated list of numbers (one number is a list of one)."""
    if isinstance(xs, (int, float)) and not isinstance(xs, bool):
        return number(xs, name)
    return ",".join(number(x, name) for x in xs)


def values_text(values: Optional[Union[str, Sequence[float]]]) -> Optional[str]:
    if values is None or isinstance(values, str):
        return values
    return numbers(values, "values")


def policy_list(compare: Optional[Union[str, Sequence[str]]]) -> Optional[str]:
    if compare is None or isinstance(compare, str):
        return compare
    return ",".join(str(p) for p in compare)


U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1


def whole(value: Any, flag: str, maximum: int = U64_MAX) -> Optional[int]:
    """An optional count or seed, checked as the command line's flag would be."""
    if value is None:
        return None
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, int):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{flag.lstrip('-')} must be an integer, not {type(value).__name__}")
    if not 0 <= value <= maximum:
        raise ScenarioError(f"{flag} = {value}: must be a whole number from 0 to {maximum}")
    return value


def share(value: Any, flag: str) -> Optional[float]:
    """An optional real number (a share such as ``--precision``), checked
    for type here and for range by the command line's own rule."""
    if value is None:
        return None
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (int, float)):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{flag.lstrip('-')} must be a number, not {type(value).__name__}")
    return float(value)
