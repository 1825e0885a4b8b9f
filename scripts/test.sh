#!/usr/bin/env bash
# The whole test suite (the README's test command): the Rust tests, then the Python package
# built into a virtual environment with its tests and the notebooks (scripts/test-python.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test --release --locked"
cargo test --release --locked

echo "== scripts/test-python.sh"
scripts/test-python.sh

# == cluster test
# (the cluster issue appends its test here: see ../shared/CLUSTER.md)
