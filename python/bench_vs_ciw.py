#!/usr/bin/env python3
"""How fast schedlab is from Python: against its own command line, and against Ciw.

1. `schedlab.run("scenarios/mm2.toml")` against `schedlab run scenarios/mm2.toml --json`:
   the same work (10 replications of 10 000 warm-up and 1 000 000 measured customers, on
   every core), medians of alternating repetitions. The Python call should be within 5% of
   the command line.
2. The same M/M/2 queue at load 0.9 (arrivals at rate 1.8, two exponential servers of rate 1)
   in Ciw 3.2 and in schedlab, one replication on one thread each: customers simulated per
   second of wall time, and the mean response of each beside Erlang C's 5.263.

Run from the repository root, with the package and Ciw installed:

    pip install ./python ciw==3.2.7
    cargo build --release
    python python/bench_vs_ciw.py [--repeat 5] [--ciw-time 20000] [--ciw-repeat 3] [--strict]

`--strict` exits with status 1 when the Python call is more than 5% slower than the CLI.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The installed package, not the source directory beside this script (which has no compiled
# extension).
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
import schedlab  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "mm2.toml"
CLI = Path(os.environ.get("SCHEDLAB_CLI", ROOT / "target" / "release" / "schedlab"))
LAMBDA, MU, SERVERS = 1.8, 1.0, 2


def wall(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def python_vs_cli(repeat):
    if not CLI.exists():
        sys.exit(f"{CLI} is missing: run `cargo build --release` first")
    py_times, cli_times = [], []
    py_doc = cli_doc = None
    for _ in range(repeat):
        t, r = wall(lambda: schedlab.run(SCENARIO))
        py_times.append(t)
        py_doc = r.document
        t, out = wall(lambda: subprocess.run([str(CLI), "run", str(SCENARIO), "--json"],
                                             check=True, capture_output=True, text=True).stdout)
        cli_times.append(t)
        cli_doc = json.loads(out)
    assert py_doc == cli_doc, "the package and the command line disagree"
    py, cli = statistics.median(py_times), statistics.median(cli_times)
    customers = py_doc["replications"] * (10_000 + 1_000_000)
    print(f"== schedlab.run vs the command line: {SCENARIO.relative_to(ROOT)}, "
          f"{py_doc['replications']} x (10 000 + 1 000 000) customers, {os.cpu_count()} cores")
    print(f"   python  median {py:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in py_times)})")
    print(f"   cli     median {cli:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in cli_times)})")
    print(f"   python / cli = {py / cli:.3f}  ({100 * (py / cli - 1):+.1f}%), "
          f"{customers / py / 1e6:.1f} M customers/s from Python")
    return py / cli


def schedlab_one_replication(customers):
    scenario = {
        "name": "mm2-bench", "seed": 1, "replications": 1, "horizon": {"jobs": customers},
        "classes": [{"name": "c", "arrival": {"dist": "exponential", "rate": LAMBDA},
                     "service": {"dist": "exponential", "mean": 1 / MU}}],
        "nodes": [{"name": "pool", "servers": SERVERS}],
    }
    t, r = wall(lambda: schedlab.run(scenario, threads=1))
    return t, r.rows[0]["mean_response"]


def ciw_one_replication(max_time):
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAMBDA)],
        service_distributions=[ciw.dists.Exponential(rate=MU)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(1)

    def simulate():
        q = ciw.Simulation(network)
        q.simulate_until_max_time(max_time)
        return q.get_all_records()

    t, records = wall(simulate)
    mean = statistics.fmean(r.waiting_time + r.service_time for r in records)
    return t, len(records), mean, ciw.__version__


def versus_ciw(ciw_time, customers, repeat):
    try:
        import ciw  # noqa: F401
    except ImportError:
        sys.exit("Ciw is not installed: pip install ciw==3.2.7")
    ciw_runs, sl_runs = [], []
    for _ in range(repeat):
        ciw_runs.append(ciw_one_replication(ciw_time))
        sl_runs.append(schedlab_one_replication(customers))
    t_ciw = statistics.median(r[0] for r in ciw_runs)
    _, n_ciw, w_ciw, version = ciw_runs[0]
    t_sl = statistics.median(r[0] for r in sl_runs)
    w_sl = sl_runs[0][1]
    exact = schedlab.theory.mmc(LAMBDA, MU, SERVERS)["mean_response"]
    rate_ciw, rate_sl = n_ciw / t_ciw, customers / t_sl
    print(f"== M/M/2 at load 0.9, one replication on one thread, medians of {repeat} runs "
          f"(Erlang C mean response {exact:.3f})")
    print(f"   ciw {version:8} {n_ciw:>9} customers in {t_ciw:7.3f} s = {rate_ciw / 1e3:9.1f} k/s, "
          f"mean response {w_ciw:.3f}")
    print(f"   schedlab     {customers:>9} customers in {t_sl:7.3f} s = {rate_sl / 1e3:9.1f} k/s, "
          f"mean response {w_sl:.3f}")
    print(f"   schedlab is {rate_sl / rate_ciw:.0f} times faster than Ciw per customer")
    return rate_sl / rate_ciw


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of part 1 (default 5)")
    parser.add_argument("--ciw-time", type=float, default=20_000,
                        help="simulated time of the Ciw run (default 20000, about 36 000 customers)")
    parser.add_argument("--customers", type=int, default=10_000_000,
                        help="customers of the schedlab run of part 2 (default 10 000 000)")
    parser.add_argument("--ciw-repeat", type=int, default=3, help="repetitions of part 2 (default 3)")
    parser.add_argument("--strict", action="store_true", help="fail when Python is >5%% slower than the CLI")
    args = parser.parse_args()
    print(f"schedlab {schedlab.__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    ratio = python_vs_cli(args.repeat)
    versus_ciw(args.ciw_time, args.customers, args.ciw_repeat)
    if args.strict and ratio > 1.05:
        print(f"FAIL: schedlab.run is {100 * (ratio - 1):.1f}% slower than the command line")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
