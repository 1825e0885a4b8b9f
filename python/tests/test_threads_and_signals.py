"""The GIL is released while simulating, and Ctrl-C interrupts a run."""

import _thread
import subprocess
import threading
import time

import pytest

import schedlab
from conftest import CLI, SCENARIOS

# About half a second of simulation on one thread of the 2-core machine.
WORK = dict(jobs=1_000_000, replications=4, threads=1)


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def test_python_runs_while_rust_simulates():
    done = threading.Event()
    result = {}

    def simulate():
        result["r"] = schedlab.run(SCENARIOS / "mm2.toml", **WORK)
        done.set()

    worker = threading.Thread(target=simulate)
    worker.start()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    # With the GIL held for the whole run this thread could not tick at all.
    assert ticks > 20, ticks
    assert result["r"].rows[0]["jobs"] == 4 * 1_000_000


def test_two_threads_at_once_take_well_under_twice_one():
    """Two simulations on two Python threads at once take well under twice one
    (serialised by the GIL they would take twice). When the machine is busy
    (others compiling on the 2 cores), two separate processes, which share no
    GIL, are timed too: the threads must then do as well as the processes."""
    args = ("run", SCENARIOS / "mm2.toml", "--jobs", WORK["jobs"], "--replications",
            WORK["replications"], "--threads", 1, "--json")
    rounds = []
    for _ in range(3):
        one = timed(lambda: schedlab.run(SCENARIOS / "mm2.toml", **WORK))
        threads = [threading.Thread(target=schedlab.run, args=(SCENARIOS / "mm2.toml",), kwargs=WORK)
                   for _ in range(2)]
        both = timed(lambda: ([t.start() for t in threads], [t.join() for t in threads]))
        procs = timed(lambda: [p.wait() for p in [
            subprocess.Popen([str(CLI), *map(str, args)], stdout=subprocess.DEVNULL) for _ in range(2)]])
        solo = timed(lambda: subprocess.run([str(CLI), *map(str, args)], stdout=subprocess.DEVNULL))
        rounds.append((both / one, procs / solo))
        if both / one < 1.5:
            return
    # Busy machine: the threads must do as well as processes (within 20%) in some round.
    assert min(t / p for t, p in rounds) < 1.2, f"(threads, processes) ratios: {rounds}"


def test_ctrl_c_interrupts_a_long_run_at_once():
    # _thread.interrupt_main raises SIGINT's KeyboardInterrupt in the main
    # thread at its next signal check, as Ctrl-C in Jupyter does.
    timer = threading.Timer(0.3, _thread.interrupt_main)
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        # Several seconds of work; the call must return long before.
        schedlab.run(SCENARIOS / "mm2.toml", jobs=3_000_000, replications=2, threads=1)
    elapsed = time.perf_counter() - start
    timer.join()
    assert elapsed < 1.0, elapsed


def test_ctrl_c_reaches_a_real_process(tmp_path):
    import signal
    import subprocess
    import sys

    script = tmp_path / "long.py"
    script.write_text(
        "import sys, time, schedlab\n"
        "print('ready', flush=True)\n"
        "start = time.perf_counter()\n"
        "try:\n"
        f"    schedlab.run({str(SCENARIOS / 'mm2.toml')!r}, jobs=3_000_000, replications=2, threads=1)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', round(time.perf_counter() - start, 3), flush=True)\n"
        "    sys.exit(130)\n"
    )
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    sent = time.perf_counter()
    p.send_signal(signal.SIGINT)
    line = p.stdout.readline().split()
    reacted = time.perf_counter() - sent
    p.kill()
    p.wait()
    assert line[0] == "interrupted", line
    assert reacted < 0.5, reacted
