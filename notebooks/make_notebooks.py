#!/usr/bin/env python3
"""Writes the teaching notebooks (NN-*.ipynb) from the cells below, without
outputs. `python3 notebooks/make_notebooks.py --check` fails when a stored
notebook differs from what this script writes (an edited notebook, or one
saved with outputs): edit the cells here, then run the script.

Each notebook asserts what it teaches, so executing it is a test
(python/tests/test_notebooks.py). Exercise solutions are in cells whose
source is hidden (collapsed) in Jupyter.
"""

import copy
import json
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": textwrap.dedent(text).strip("\n")}


def code(text):
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": textwrap.dedent(text).strip("\n"),
    }


def solution(text):
    cell = code("# Solution\n" + textwrap.dedent(text).strip("\n"))
    cell["metadata"] = {"jupyter": {"source_hidden": True}, "tags": ["solution"]}
    return cell


SETUP = code(
    """
    import math
    import matplotlib
    import matplotlib.pyplot as plt
    import schedlab
    from schedlab import theory
    from IPython.display import display
    """
)

QUEUES = [
    md(
        """
        # 1. Queues from first principles

        A queue is described by how work arrives, how long it takes, and how many servers take
        it. In Kendall's notation **M/M/c** means Poisson arrivals (exponential inter-arrival
        times, rate λ), exponential service times (rate μ, mean 1/μ) and *c* servers. The
        **load** (utilisation) is ρ = λ / (c μ): the fraction of time a server is busy. A queue
        with ρ ≥ 1 has no steady state: work arrives faster than it can be done.

        This notebook simulates queues with schedlab and puts every figure beside the formula
        that predicts it. Every claim below is checked by an `assert`: if the simulator and the
        theory disagreed, the notebook would fail.
        """
    ),
    SETUP,
    md(
        """
        ## M/M/1

        One server. Waiting time W_q and response time W (waiting plus service) have closed
        forms: W = 1 / (μ − λ) and W_q = ρ / (μ − λ). We build the scenario as a Python dict in
        the scenario-file format, simulate 10 independent replications of 100 000 customers,
        and compare.
        """
    ),
    code(
        """
        def mm1(load, mu=1.0, jobs=100_000, replications=10, seed=1):
            return {
                "name": f"mm1-{load}",
                "seed": seed,
                "replications": replications,
                "warmup": {"jobs": 5_000},
                "horizon": {"jobs": jobs},
                "classes": [{"name": "jobs",
                             "arrival": {"dist": "exponential", "rate": load * mu},
                             "service": {"dist": "exponential", "mean": 1.0 / mu}}],
                "nodes": [{"name": "cpu", "servers": 1}],
            }

        r = schedlab.run(mm1(0.8))
        row = r.rows[0]
        exact = theory.mm1(0.8, 1.0)
        print(f"simulated W = {row['mean_response']:.3f} ± {row['mean_response_ci95']:.3f}")
        print(f"theory    W = {exact['mean_response']:.3f}")
        assert abs(row["mean_response"] - exact["mean_response"]) <= 2 * row["mean_response_ci95"]
        assert abs(row["utilization"] - 0.8) < 0.01
        """
    ),
    md(
        """
        The ± is a 95% confidence half-width over the replications: each replication gives one
        mean, and the spread of those means tells how far the estimate can be from the truth.

        ## Little's law

        L = λ W: the mean number in the system equals the throughput times the mean time in the
        system. It holds for any queue in steady state, whatever the distributions or the
        policy. The simulator measures L as a time average and W per job, independently, so we
        can check it.
        """
    ),
    code(
        """
        for name in ["mm1.toml", "mh2-1.toml", "two-classes.toml"]:
            r = schedlab.run(f"../scenarios/{name}", jobs=50_000, replications=5)
            row = r.rows[0]
            little = row["throughput"] * row["mean_response"]
            print(f"{name:18} L = {row['mean_in_system']:.3f}   λW = {little:.3f}")
            assert abs(row["mean_in_system"] - little) / little < 0.02
        """
    ),
    md(
        """
        ## The hockey stick

        Waiting grows slowly at light load and explodes as the load nears 1: W = 1/(μ − λ)
        has a pole at ρ = 1. A sweep runs the scenario at each load (same seed family, so the
        points are comparable).
        """
    ),
    code(
        """
        loads = [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95]
        s = schedlab.sweep(mm1(0.5, jobs=40_000, replications=5), param="load", values=loads)
        rows = [r for r in s.rows if r["class"] == "all"]
        sim = [r["mean_response"] for r in rows]
        ci = [r["mean_response_ci95"] for r in rows]
        exact = [theory.mm1(x, 1.0)["mean_response"] for x in loads]

        fine = [i / 100 for i in range(5, 96)]
        plt.plot(fine, [1 / (1 - x) for x in fine], "--", label="theory 1/(μ−λ)")
        plt.errorbar(loads, sim, yerr=ci, fmt="o", label="simulated (95% CI)")
        plt.xlabel("load ρ"); plt.ylabel("mean response time"); plt.legend(); plt.show()

        assert sim == sorted(sim)                      # waiting only grows with the load
        assert sim[-1] > 5 * sim[2]                    # ... and explodes near 1
        for x, w, h in zip(sim, exact, ci):
            assert abs(x - w) <= 2 * h + 0.02 * w
        """
    ),
    md(
        """
        schedlab draws the same picture itself (`schedlab sweep --out` writes it as
        `plots/sweep-response.png`); in Jupyter it shows as an image:
        """
    ),
    code("s.plot('sweep-response')"),
    md(
        """
        ## M/M/c and Erlang C

        With c servers an arrival waits only when all are busy. The probability of that is
        Erlang's C formula, and W_q = C(c, λ/μ) / (c μ − λ). The bundled `mm2.toml` is M/M/2 at
        load 0.9.
        """
    ),
    code(
        """
        r = schedlab.run("../scenarios/mm2.toml", jobs=200_000, replications=10)
        row = r.rows[0]
        erlang = theory.mmc(1.8, 1.0, 2)
        print(f"P(wait) = {erlang['p_wait']:.4f}")
        print(f"simulated W = {row['mean_response']:.4f} ± {row['mean_response_ci95']:.4f}")
        print(f"Erlang C  W = {erlang['mean_response']:.4f}  ({row['theory']['formula']})")
        assert row["theory"]["formula"] == "erlang-c"
        assert abs(row["mean_response"] - erlang["mean_response"]) <= 2 * row["mean_response_ci95"]
        r.to_pandas()[["policy", "class", "node", "mean_wait", "mean_response", "theory_mean_response", "utilization"]]
        """
    ),
    md(
        """
        ## Pooling: one queue for two servers beats two queues

        Compare three ways to serve λ = 1.8 with total capacity 2: one server twice as fast
        (M/M/1 with μ = 2), two servers sharing one queue (M/M/2), and two separate queues each
        getting half the arrivals (two M/M/1 with λ = 0.9, μ = 1).
        """
    ),
    code(
        """
        fast = theory.mm1(1.8, 2.0)["mean_response"]
        pooled = theory.mmc(1.8, 1.0, 2)["mean_response"]
        split = theory.mm1(0.9, 1.0)["mean_response"]
        print(f"one fast server {fast:.2f}, M/M/2 {pooled:.2f}, two separate queues {split:.2f}")
        assert fast < pooled < split
        """
    ),
    md(
        """
        The fast server wins because a lone job is served at full speed, where M/M/2 gives it
        half the capacity; the separate queues lose because a job can wait while the other
        server idles.

        ## Exercise

        A help desk receives λ = 4 calls per minute; a call takes 1 minute on average
        (exponential). How many agents are needed for the mean wait to be under 30 seconds?
        Use `theory.mmc`, then check your answer with a simulation.
        """
    ),
    code("# your answer here\n"),
    solution(
        """
        c = 5
        while theory.mmc(4.0, 1.0, c)["mean_wait"] >= 0.5:
            c += 1
        print("agents:", c, "mean wait:", theory.mmc(4.0, 1.0, c)["mean_wait"])
        desk = {"name": "desk", "replications": 5, "horizon": {"jobs": 50_000},
                "classes": [{"name": "calls", "arrival": {"dist": "exponential", "rate": 4.0},
                             "service": {"dist": "exponential", "mean": 1.0}}],
                "nodes": [{"name": "agents", "servers": c}]}
        row = schedlab.run(desk).rows[0]
        assert c == 6 and row["mean_wait"] < 0.5
        """
    ),
]

JOBS = """[
    {"id": "P1", "arrival": 0, "burst": 8, "priority": 3},
    {"id": "P2", "arrival": 1, "burst": 4, "priority": 1},
    {"id": "P3", "arrival": 2, "burst": 9, "priority": 4},
    {"id": "P4", "arrival": 3, "burst": 5, "priority": 2},
]"""

ONE_CPU = [
    md(
        """
        # 2. Scheduling one CPU

        Which job should the CPU run next? The textbook answers (FCFS, SJF, SRTF, round robin,
        priorities, MLFQ) are first worked by hand on a small job list, drawn as Gantt charts.
        Then the same policies meet random arrivals, where we can measure who pays for each
        choice.

        Conventions: turnaround = completion − arrival; waiting = turnaround − burst;
        response = first run − arrival. A lower priority number is more urgent.
        """
    ),
    SETUP,
    code(f"jobs = {JOBS}"),
    md(
        """
        ## FCFS and the convoy effect

        First come, first served runs jobs in arrival order. One long job at the front makes
        every short job behind it wait: the convoy.
        """
    ),
    code(
        """
        convoy = [{"id": "Long", "arrival": 0, "burst": 20},
                  {"id": "S1", "arrival": 1, "burst": 1},
                  {"id": "S2", "arrival": 1, "burst": 1},
                  {"id": "S3", "arrival": 2, "burst": 1}]
        fcfs = schedlab.gantt(convoy, policy="fcfs")
        sjf = schedlab.gantt(convoy, policy="sjf")
        srtf = schedlab.gantt(convoy, policy="srtf")
        print(fcfs.table)
        print("mean waiting: fcfs", fcfs.average["waiting"], " sjf", sjf.average["waiting"],
              " srtf", srtf.average["waiting"])
        # SJF cannot help: Long has started before the short jobs arrive. SRTF preempts it.
        assert fcfs.average["waiting"] == sjf.average["waiting"]
        assert srtf.average["waiting"] < fcfs.average["waiting"] / 5
        display(srtf)
        """
    ),
    md(
        """
        ## SJF, SRTF and round robin on the textbook list

        SJF picks the shortest waiting job when the CPU frees up; SRTF (shortest remaining time
        first) also preempts when a shorter job arrives. SJF minimises mean waiting among
        non-preemptive orders of jobs present together, SRTF among all.
        """
    ),
    code(
        """
        for policy in ["fcfs", "sjf", "srtf"]:
            g = schedlab.gantt(jobs, policy=policy)
            print(f"{policy:5} waiting {g.average['waiting']:6.2f}  turnaround {g.average['turnaround']:6.2f}")
        assert schedlab.gantt(jobs, policy="srtf").average["waiting"] <= schedlab.gantt(jobs, policy="sjf").average["waiting"]
        """
    ),
    md(
        """
        Round robin gives each job a quantum in turn. A small quantum gives quick first
        responses; a quantum longer than every burst is FCFS again.
        """
    ),
    code(
        """
        rr2 = schedlab.gantt(jobs, policy="rr", quantum=2)
        rr100 = schedlab.gantt(jobs, policy="rr", quantum=100)
        fcfs = schedlab.gantt(jobs, policy="fcfs")
        print(rr2.table)
        print("\\n".join(rr2.explain[:8]))
        assert rr2.average["response"] < fcfs.average["response"]
        assert rr100.jobs == fcfs.jobs
        display(rr2)
        """
    ),
    md(
        """
        ## Priorities and MLFQ

        Priority scheduling runs the most urgent job; its preemptive form (`priority-pr`) also
        interrupts. A multilevel feedback queue (MLFQ) needs no priorities from the user: every
        job starts at the top level with a short quantum and sinks a level each time it uses up
        its quantum, so short jobs finish quickly and long ones drift to the bottom.
        """
    ),
    code(
        """
        pr = schedlab.gantt(jobs, policy="priority-pr")
        order = [j["id"] for j in sorted(pr.jobs, key=lambda j: j["completion"])]
        print("priority-pr completes in order", order)
        assert order[0] == "P2"            # the most urgent job (priority 1) finishes first
        mlfq = schedlab.gantt(jobs, policy="mlfq", levels="2,4,fcfs")
        display(mlfq)
        c = schedlab.gantt_compare(jobs, "all", quantum=4, levels="2,4,fcfs")
        print(c.table)
        c.to_pandas().sort_values("waiting")
        """
    ),
    md(
        """
        ## Under random arrivals: mean response

        On one server with highly variable sizes (hyperexponential, squared coefficient of
        variation 4, load 0.7: `mh2-1.toml`), compare FCFS, processor sharing (PS: every job
        gets an equal share at once), FB (least attained service first) and SRPT (shortest
        remaining processing time). The jobs are the same for every policy (common random
        numbers), so the paired differences are sharp.
        """
    ),
    code(
        """
        r = schedlab.run("../scenarios/mh2-1.toml", jobs=100_000, replications=10,
                         compare="fcfs,ps,fb,srpt")
        overall = {row["policy"]: row for row in r.rows if row["class"] == "all" and row["node"] == "all"}
        for name, row in overall.items():
            t = row.get("theory", {})
            print(f"{name:5} W = {row['mean_response']:.3f} ± {row['mean_response_ci95']:.3f}   "
                  f"theory {t.get('mean_response', float('nan')):.3f} ({t.get('formula', '-')})")
        means = {p: row["mean_response"] for p, row in overall.items()}
        assert min(means, key=means.get) == "srpt"          # SRPT minimises mean response
        assert means["fcfs"] > means["ps"]                  # variable sizes punish FCFS
        ps = overall["ps"]
        assert abs(ps["mean_response"] - ps["theory"]["mean_response"]) <= 2 * ps["mean_response_ci95"]
        for p in r.paired:                                  # each against fcfs, on the same jobs
            assert p["diff_mean_response"] + p["diff_ci95"] < 0
        r.plot("response-cdf")
        """
    ),
    md(
        """
        ## Who pays: slowdown by job size

        The **slowdown** of a job is its response time divided by its service time. Below,
        short jobs (uniform on [0.1, 0.3]) and long jobs (uniform on [2, 6]) share one server at
load 0.8 (sizes bounded away from 0: with exponential sizes E[1/S] is infinite and so is the
mean slowdown, which schedlab then leaves out). PS is
        *fair*: every job, whatever its size, has mean slowdown 1/(1 − ρ) (Harchol-Balter 2013,
        ch. 30). FCFS makes the short jobs pay for the long ones' convoys. SRPT favours short
        jobs, and here the long ones do better than under PS too: the fear that SRPT starves
        large jobs is mostly unfounded (Bansal & Harchol-Balter 2001, "all-can-win").
        """
    ),
    code(
        """
        mixed = {
            "name": "short-and-long", "seed": 7, "replications": 10,
            "warmup": {"jobs": 5_000}, "horizon": {"jobs": 100_000},
            "classes": [
                {"name": "short", "arrival": {"dist": "exponential", "rate": 2.0},
                 "service": {"dist": "uniform", "low": 0.1, "high": 0.3}},
                {"name": "long", "arrival": {"dist": "exponential", "rate": 0.1},
                 "service": {"dist": "uniform", "low": 2.0, "high": 6.0}},
            ],
            "nodes": [{"name": "cpu", "servers": 1}],
        }
        r = schedlab.run(mixed, compare="fcfs,ps,srpt")
        df = r.to_pandas()
        by_class = df[(df["node"] == "all") & (df["class"] != "all")]
        print(by_class.pivot(index="policy", columns="class", values="mean_slowdown").round(2))
        slow = {(row["policy"], row["class"]): row for row in r.rows if row["node"] == "all"}
        rho = 2.0 * 0.2 + 0.1 * 4.0
        for cls in ["short", "long"]:
            row = slow[("ps", cls)]
            assert abs(row["mean_slowdown"] - 1 / (1 - rho)) <= 2 * row["mean_slowdown_ci95"] + 0.05
        assert slow[("srpt", "short")]["mean_slowdown"] < slow[("ps", "short")]["mean_slowdown"] / 2
        assert slow[("srpt", "long")]["mean_slowdown"] < slow[("ps", "long")]["mean_slowdown"]
        assert slow[("fcfs", "short")]["mean_slowdown"] > 5 * slow[("fcfs", "long")]["mean_slowdown"]
        """
    ),
    md(
        """
        ## Exercise

        With the textbook job list, find the round-robin quantum in 1..10 that minimises the
        mean turnaround, and compare it with SRTF's. Why can no quantum beat SRTF?
        """
    ),
    code("# your answer here\n"),
    solution(
        """
        turnaround = {q: schedlab.gantt(jobs, policy="rr", quantum=q).average["turnaround"] for q in range(1, 11)}
        best = min(turnaround, key=turnaround.get)
        srtf = schedlab.gantt(jobs, policy="srtf").average["turnaround"]
        print("best quantum", best, turnaround[best], "srtf", srtf)
        # SRTF minimises mean turnaround over every schedule of one CPU, round robin's included.
        assert srtf <= min(turnaround.values())
        """
    ),
]

FARM = [
    md(
        """
        # 3. Dispatching in a server farm

        A farm of nodes, each with its own queue: a dispatcher decides where each arriving job
        goes, without moving it later. The rules differ in what they know: **random** and
        **round robin** know nothing about the nodes; **JSQ** (join the shortest queue) sees
        queue lengths; **power-of-d** samples d nodes and picks the shorter; **LWL** (least
        work left) sees the exact unfinished work. On heterogeneous nodes knowing more pays.
        Finally the **optimal** dispatching policy of a Markov decision process gives a bound
        that no rule seeing only queue lengths can beat.
        """
    ),
    SETUP,
    md(
        """
        ## Three heterogeneous nodes

        `farm.toml`: a fast node (speed 2), a medium one (speed 1) and a slow pair (two servers
        of speed 0.5): total capacity 4 units of work per time unit, at load 0.8. We compare the
        rules on the same arrivals.
        """
    ),
    code(
        """
        farm = {  # the scenario of ../scenarios/farm.toml, as a dict
            "name": "farm", "seed": 11,
            "classes": [{"name": "jobs", "arrival": {"dist": "exponential", "rate": 3.2},
                         "service": {"dist": "exponential", "mean": 1.0}}],
            "nodes": [{"name": "fast", "servers": 1, "speed": 2.0},
                      {"name": "medium", "servers": 1, "speed": 1.0},
                      {"name": "slow-pair", "servers": 2, "speed": 0.5}],
        }
        print({n["name"]: (n["servers"], n["speed"]) for n in farm["nodes"]})

        def with_rule(rule, **extra):
            s = dict(farm, dispatch={"rule": rule, **extra}, replications=5,
                     horizon={"jobs": 50_000}, warmup={"jobs": 2_000})
            return schedlab.run(s).rows[0]

        rules = {"random": with_rule("random"), "round-robin": with_rule("round-robin"),
                 "power-of-2": with_rule("power-of-d", d=2), "jsq": with_rule("jsq"),
                 "lwl": with_rule("lwl")}
        for name, row in rules.items():
            print(f"{name:12} W = {row['mean_response']:.3f} ± {row['mean_response_ci95']:.3f}")
        w = {k: v["mean_response"] for k, v in rules.items()}
        assert w["lwl"] <= w["jsq"] < w["power-of-2"] < w["random"] < w["round-robin"]
        """
    ),
    md(
        """
        Round robin is by far the worst here: it is blind to speed, so the medium node and the
        slow pair each get a third of the jobs, more than their capacity (1.07 units of work
        per unit of capacity and time at the medium node). They saturate, and their queues grow
        for as long as the run lasts. Random is weighted by capacity (servers × speed) by
        default, so it loads every node to 0.8. The utilisation rows show it:
        """
    ),
    code(
        """
        rr = schedlab.run(dict(farm, dispatch={"rule": "round-robin"}, replications=5,
                               horizon={"jobs": 50_000}, warmup={"jobs": 2_000}))
        util = {row["node"]: row["utilization"] for row in rr.rows if row["node"] != "all"}
        print(util)
        assert util["medium"] > 0.99 and util["slow-pair"] > 0.99 and util["fast"] < 0.6
        """
    ),
    md(
        """
        Random dispatching (weighted by capacity by default) splits the Poisson stream into
        independent Poisson streams, so each node is its own M/M/1 and theory describes it
        exactly. The per-node rows carry the formula:
        """
    ),
    code(
        """
        s = dict(farm, dispatch={"rule": "random"}, replications=5, horizon={"jobs": 50_000})
        r = schedlab.run(s)
        nodes = [row for row in r.rows if row["node"] != "all"]
        for row in nodes:
            t = row["theory"]
            print(f"{row['node']:6} simulated {row['mean_response']:.3f} ± {row['mean_response_ci95']:.3f}"
                  f"  {t['formula']} {t['mean_response']:.3f}")
            assert abs(row["mean_response"] - t["mean_response"]) <= 2 * row["mean_response_ci95"] + 0.01
        r.plot("utilization")
        """
    ),
    md(
        """
        ## How should a static split look? The square-root rule

        A static split sends a fixed fraction of the arrivals to each node. Proportional to
        speed is natural, but the optimum for mean response sends *more* to the fast node: the
        square-root rule (Bell & Stidham 1983).
        """
    ),
    code(
        """
        from schedlab import optimize
        split = optimize.split(2.4, [2, 1, 1])
        print("square-root flows ", [round(f, 3) for f in split["square_root"]["flows"]],
              "W =", round(split["square_root"]["mean_response"], 4))
        print("proportional flows", split["proportional"]["flows"],
              "W =", round(split["proportional"]["mean_response"], 4))
        assert split["square_root"]["mean_response"] < split["proportional"]["mean_response"]
        assert split["square_root"]["flows"][0] > 2.4 / 2
        """
    ),
    md(
        """
        ## The optimal policy as a bound

        For two servers of rates 2 and 1 and Poisson arrivals at rate 2, relative value iteration
        finds the dispatching policy that minimises the mean number in system, knowing the two
        queue lengths. It is a switching curve: send to the slow server only when the fast queue
        is long enough. JSQ comes close; the static split is far off.
        """
    ),
    code(
        """
        m = optimize.mdp(2.0, [2, 1], truncate=40)
        exact = {p["policy"]: p["exact"] for p in m["policies"]}
        for name, value in exact.items():
            print(f"{name:22} {value if value is None else round(value, 4)}")
        print("thresholds (fast-queue length at which the slow server gets the job):", m["thresholds"][:8])
        best = exact["mdp optimum"]
        assert all(v is None or v >= best - 1e-9 for v in exact.values())
        assert exact["jsq"] < 1.05 * best
        """
    ),
    md(
        """
        ## Exercise

        Power-of-d with d = 3 nodes here sees every node, like JSQ. Check that it behaves like
        JSQ, then add a fourth node (speed 1) to the farm at the same total load and see whether
        power-of-2 stays close to JSQ.
        """
    ),
    code("# your answer here\n"),
    solution(
        """
        p3 = with_rule("power-of-d", d=3)["mean_response"]
        print("power-of-3", p3, "jsq", w["jsq"])
        assert abs(p3 - w["jsq"]) / w["jsq"] < 0.05
        bigger = dict(farm, nodes=farm["nodes"] + [{"name": "d", "servers": 1, "speed": 1.0}],
                      replications=5, horizon={"jobs": 50_000})
        scale = 5 / 4  # capacity grows from 4 to 5: scale arrivals to keep the load
        bigger["classes"] = [dict(c, arrival=dict(c["arrival"], rate=c["arrival"]["rate"] * scale))
                             for c in farm["classes"]]
        jsq = schedlab.run(dict(bigger, dispatch={"rule": "jsq"})).rows[0]["mean_response"]
        po2 = schedlab.run(dict(bigger, dispatch={"rule": "power-of-d", "d": 2})).rows[0]["mean_response"]
        print("four nodes: jsq", jsq, "power-of-2", po2)
        assert jsq < po2
        """
    ),
]

SIZING = [
    md(
        """
        # 4. Sizing a cluster

        Requests arrive at λ = 40 per second and take 0.1 s on average (exponential). How many
        servers are needed so that 95% of requests wait less than 50 ms? Theory answers at once
        for M/M/c; simulation checks the answer and handles what theory does not (here: more
        variable service times). The capacity search is a sweep over the number of servers.
        """
    ),
    SETUP,
    md(
        """
        ## Theory first

        The offered load is a = λ/μ = 4 Erlangs: at least 5 servers for stability. Erlang C
        gives the probability of waiting and, because the wait of a waiting job is exponential,
        every percentile of the waiting time. When fewer than 5% of requests wait at all, the
        p95 of the wait is 0.
        """
    ),
    code(
        """
        lam, mu, target = 40.0, 10.0, 0.050
        rows = []
        for c in range(5, 10):
            t = theory.mmc(lam, mu, c, percentiles=[95])
            rows.append((c, t["p_wait"], t["mean_wait"], t["wait_percentiles"]["p95"]))
            print(f"c = {c}: P(wait) {t['p_wait']:.3f}  mean wait {1000 * t['mean_wait']:6.1f} ms"
                  f"  p95 wait {1000 * t['wait_percentiles']['p95']:6.1f} ms")
        c_theory = next(c for c, _, _, p95 in rows if p95 <= target)
        print("servers needed (theory):", c_theory)
        assert c_theory == 7
        """
    ),
    md(
        """
        ## Simulation: the capacity search

        A sweep over `servers` runs each size with the same arrivals. The simulated mean wait
        must agree with Erlang C within its confidence interval. (schedlab's percentiles are of
        the response time, which includes the service: 300 ms at p95 for exponential service of
        mean 100 ms, whatever the number of servers.)
        """
    ),
    code(
        """
        cluster = {
            "name": "cluster", "seed": 11, "replications": 5,
            "warmup": {"jobs": 5_000}, "horizon": {"jobs": 100_000},
            "classes": [{"name": "requests", "arrival": {"dist": "exponential", "rate": lam},
                         "service": {"dist": "exponential", "mean": 1 / mu}}],
            "nodes": [{"name": "pool", "servers": 5}],
        }
        s = schedlab.sweep(cluster, param="servers", values=[5, 6, 7, 8])
        sim = {int(r["value"]): r for r in s.rows if r["class"] == "all"}
        for c, r in sim.items():
            t = theory.mmc(lam, mu, c)
            print(f"c = {c}: mean wait {1000 * r['mean_wait']:6.1f} ± {1000 * r['mean_wait_ci95']:.1f} ms"
                  f"  (Erlang C {1000 * t['mean_wait']:6.1f})   p95 response {1000 * r['p95_response']:6.1f} ms")
            assert abs(r["mean_wait"] - t["mean_wait"]) <= 2 * r["mean_wait_ci95"] + 0.0005
        s.plot("sweep-wait")
        """
    ),
    md(
        """
        ## When theory stops: variable service times

        Real services are often more variable than exponential. With a squared coefficient of
        variation of 4 (hyperexponential) Erlang C no longer applies; the Allen-Cunneen
        approximation scales its wait by (c_a² + c_s²)/2. Simulation says how many servers the
        variable service needs.
        """
    ),
    code(
        """
        variable = dict(cluster, classes=[dict(cluster["classes"][0],
                        service={"dist": "hyperexponential", "mean": 1 / mu, "scv": 4.0})])
        s2 = schedlab.sweep(variable, param="servers", values=[5, 6, 7, 8, 9])
        waits = {int(r["value"]): r["mean_wait"] for r in s2.rows if r["class"] == "all"}
        for c, w in waits.items():
            if c not in sim:
                continue
            ac = theory.allen_cunneen(lam, 1 / mu, c, 1.0, 4.0)["mean_wait"]
            print(f"c = {c}: simulated mean wait {1000 * w:6.1f} ms, Allen-Cunneen {1000 * ac:6.1f} ms,"
                  f" exponential {1000 * sim[c]['mean_wait']:6.1f} ms")
            assert w > sim[c]["mean_wait"]          # variability always costs waiting
        goal = theory.mmc(lam, mu, c_theory)["mean_wait"]
        c_variable = next(c for c, w in waits.items() if w <= goal)
        print(f"servers for a mean wait of at most {1000 * goal:.1f} ms with variable service:", c_variable)
        assert c_variable > c_theory
        """
    ),
    md(
        """
        ## Exercise

        A rule of thumb says: keep every server below 70% busy. Is that enough for the p95-wait
        target with exponential service? Find the smallest c with ρ ≤ 0.7 and compare with the
        answer above.
        """
    ),
    code("# your answer here\n"),
    solution(
        """
        c = math.ceil(lam / mu / 0.7)
        p95 = theory.mmc(lam, mu, c, percentiles=[95])["wait_percentiles"]["p95"]
        print("c =", c, "rho =", lam / (c * mu), "p95 wait", p95)
        # The rule of thumb falls short: 6 servers leave a p95 wait of 87 ms; Erlang C asks for 7.
        assert c == 6 and p95 > target and c < c_theory
        """
    ),
]

OPTIMAL = [
    md(
        """
        # 5. Optimal schedules

        Heuristics such as LPT or SPT are fast; how far from the best schedule are they? For
        batch problems schedlab computes the optimum exactly: the **makespan** (when the last
        job finishes) on parallel machines by mixed-integer programming, and the least total
        (weighted) completion time on one machine with release dates by dynamic programming.
        """
    ),
    SETUP,
    code("from schedlab import optimize"),
    md(
        """
        ## Makespan on parallel machines

        30 jobs on 4 machines of speeds 1, 1, 2, 2 (`batch30.csv`). The LP relaxation gives a
        lower bound; the MILP proves the optimum; LPT (longest processing time first, each job
        to the machine where it finishes earliest) is within Graham's 4/3 bound on identical
        machines and usually much closer.
        """
    ),
    code(
        """
        r = optimize.makespan("../scenarios/optimize/batch30.csv", speeds=[1, 1, 2, 2])
        print("optimum", r["milp"]["makespan"], "proven" if r["milp"]["proven_optimal"] else "not proven",
              " LP bound", round(r["lp_bound"], 3))
        for h in r["heuristics"]:
            print(f"  {h['name']:12} {h['makespan']:8.2f}  x{h['ratio']:.4f}")
        assert r["milp"]["proven_optimal"]
        assert r["lp_bound"] <= r["milp"]["makespan"] + 1e-9
        assert all(h["makespan"] >= r["milp"]["makespan"] - 1e-9 for h in r["heuristics"])
        ratios = {h["name"]: h["ratio"] for h in r["heuristics"]}
        assert ratios["lpt"] < 1.05 and ratios["lpt"] <= min(ratios.values()) + 1e-9
        """
    ),
    md(
        """
        A job list can also be built in Python. A classic bad case for LPT: on 2 identical
        machines, sizes 3, 3, 2, 2, 2 have optimum 6 (3+3 and 2+2+2) but LPT gets 7.
        """
    ),
    code(
        """
        jobs = [{"id": c, "size": s} for c, s in zip("abcde", [3, 3, 2, 2, 2])]
        r = optimize.makespan(jobs, nodes=2)
        lpt = {h["name"]: h["makespan"] for h in r["heuristics"]}["lpt"]
        print("optimum", r["milp"]["makespan"], "LPT", lpt)
        assert r["milp"]["makespan"] == 6 and lpt == 7
        assert lpt / r["milp"]["makespan"] <= 4 / 3 - 1 / (3 * 2) + 1e-9   # Graham's bound, m = 2
        """
    ),
    md(
        """
        ## Sequencing one machine

        Without release dates, SPT (shortest first) minimises the total completion time and
        WSPT (largest weight/size first) the weighted one: exchange arguments prove both. With
        release dates no simple rule is optimal, and the problem is NP-hard; a DP over subsets
        solves up to 20 jobs exactly. `sequence.csv` has 8 jobs with release dates and weights.
        """
    ),
    code(
        """
        plain = optimize.sequence("../scenarios/optimize/sequence.csv")
        weighted = optimize.sequence("../scenarios/optimize/sequence.csv", weighted=True)
        for name, doc in [("Σ C_j", plain), ("Σ w_j C_j", weighted)]:
            print(name, "optimum", doc["optimum"], "order", " ".join(doc["order"]))
            for p in doc["policies"]:
                print(f"   {p['name']:18} {p['objective']:7.1f}  x{p['ratio']:.3f}")
        for doc in (plain, weighted):
            nonpreemptive = [p for p in doc["policies"] if "preemptive" not in p["name"]]
            assert all(p["objective"] >= doc["optimum"] - 1e-9 for p in nonpreemptive)
        display(weighted)   # the optimal schedule as a Gantt chart
        """
    ),
    md(
        """
        Preemptive SRPT can beat the non-preemptive optimum: it is allowed to interrupt, which
        the DP is not. Without release dates SPT is optimal, and the DP agrees:
        """
    ),
    code(
        """
        no_release = [{"id": f"J{i}", "size": s} for i, s in enumerate([5, 1, 4, 2, 3, 6])]
        d = optimize.sequence(no_release)
        spt = {p["name"]: p["objective"] for p in d["policies"]}["spt (sjf)"]
        print("optimum", d["optimum"], "SPT", spt)
        assert abs(spt - d["optimum"]) < 1e-9
        """
    ),
    md(
        """
        ## Exercise

        Give the jobs of `no_release` weights 1..6 (J0 weight 1, ..., J5 weight 6). Check that
        WSPT is optimal for the weighted problem, and that SPT is not.
        """
    ),
    code("# your answer here\n"),
    solution(
        """
        weighted_jobs = [dict(j, weight=i + 1) for i, j in enumerate(no_release)]
        d = optimize.sequence(weighted_jobs, weighted=True)
        obj = {p["name"]: p["objective"] for p in d["policies"]}
        print("optimum", d["optimum"], obj)
        assert abs(obj["wspt"] - d["optimum"]) < 1e-9
        assert obj["spt (sjf)"] > d["optimum"]
        """
    ),
]

NOTEBOOKS = {
    "01-queues.ipynb": QUEUES,
    "02-one-cpu.ipynb": ONE_CPU,
    "03-server-farm.ipynb": FARM,
    "04-sizing.ipynb": SIZING,
    "05-optimal-schedules.ipynb": OPTIMAL,
}


def notebook(cells):
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def render(cells):
    nb = notebook(copy.deepcopy(cells))
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i:02d}"
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / name
        text = render(cells)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("notebooks differ from make_notebooks.py (edited, or saved with outputs):", ", ".join(stale))
        print("run: python3 notebooks/make_notebooks.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
