"""Shared helpers: the repository's paths and the command-line binary the
package is checked against."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# `python -m pytest` from python/ puts the source directory first on the path; without a
# compiled extension in it (as `maturin develop` leaves), test the installed package.
_SOURCE = ROOT / "python"
if not list((_SOURCE / "schedlab").glob("_native*")):
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _SOURCE]
SCENARIOS = ROOT / "scenarios"
CLI = Path(os.environ.get("SCHEDLAB_CLI", ROOT / "target" / "release" / "schedlab"))


def cli(*args, check=True):
    """Runs the command-line binary; returns the CompletedProcess."""
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build it with `cargo build --release` (scripts/test-python.sh does)")
    p = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    if check and p.returncode != 0:
        raise AssertionError(f"schedlab {' '.join(map(str, args))} failed: {p.stderr}")
    return p


def cli_json(*args):
    return json.loads(cli(*args, "--json").stdout)


def cli_error(*args):
    """The one-line message the command line prints for bad input (exit 2)."""
    p = cli(*args, check=False)
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = [l for l in p.stderr.splitlines() if l.startswith("error: ")]
    assert len(lines) == 1, p.stderr
    return lines[0][len("error: "):]


def without_timings(doc):
    """A document with its wall-clock fields removed (they differ run to run)."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if k not in ("seconds", "lp_seconds")}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)
