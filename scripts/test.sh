#!/usr/bin/env bash
# The whole test suite (the README's test command): the Rust tests, then the Python package
# built into a virtual environment with its tests and the notebooks (scripts/test-python.sh),
# then sharded sweeps on a real Slurm and GNU parallel (scripts/test-cluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test --profile suite --locked (optimised, see [profile.suite] in Cargo.toml)"
cargo test --profile suite --locked

echo "== scripts/test-python.sh"
scripts/test-python.sh

# == cluster test
# Shards of a sweep on a one-node Slurm cluster and with GNU parallel, merged and compared with
# the unsharded sweep (needs root and apt; fails, never skips, without them).
echo "== scripts/test-cluster.sh"
scripts/test-cluster.sh
