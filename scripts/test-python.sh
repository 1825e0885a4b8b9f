#!/usr/bin/env bash
# The Python package's tests: builds the `schedlab` package (python/, PyO3 + maturin) into a
# virtual environment, then runs pytest on python/tests: every function of the package
# against the command line, errors, pandas conversion, the GIL released, Ctrl-C, the type
# stubs, and every notebook in notebooks/ executed top to bottom with nbclient (a time limit
# per cell), stored without outputs. Fails on any error.
#
# Needs Python 3.9+ with venv, a Rust toolchain and the package registries (PyPI, crates.io);
# installs what it needs itself (versions pinned in python/requirements-test.txt).
#
#   SCHEDLAB_VENV        where the virtual environment lives (default target/py-venv)
#   SCHEDLAB_FRESH_VENV  set to 1 to delete and recreate it first
#   PYTHON               the interpreter that creates it (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="${SCHEDLAB_VENV:-$ROOT/target/py-venv}"
PYTHON="${PYTHON:-python3}"
started=$(date +%s)

echo "== python: virtual environment $VENV"
if [[ "${SCHEDLAB_FRESH_VENV:-0}" == 1 ]]; then
    rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
# maturin's build backend runs the `maturin` program of the environment.
export PATH="$VENV/bin:$PATH"
"$VENV/bin/python" --version
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r python/requirements-test.txt

echo "== python: the command line the package is checked against"
cargo build --release --locked --bin schedlab

echo "== python: build and install the package (pip install ./python)"
# The same target directory as the Rust build, so the library and its dependencies are
# compiled once; the bindings crate's Cargo.lock is used as it is (--locked).
CARGO_TARGET_DIR="$ROOT/target" MATURIN_PEP517_ARGS="--locked" \
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-build-isolation --force-reinstall --no-deps ./python
"$VENV/bin/python" -c "import schedlab; print('schedlab', schedlab.__version__, 'from', schedlab.__file__)"

echo "== python: pytest (package tests, then the notebooks)"
export SCHEDLAB_CLI="$ROOT/target/release/schedlab"
"$VENV/bin/python" -m pytest -p no:cacheprovider -q python/tests

echo "== python: done in $(( $(date +%s) - started )) s"
