"""Benchmark: sweep runs per minute on a LocalCluster of 1 worker against 2 (or more).

The same sweep (M/M/40+M of scripts/scenarios/mmcm.toml, agents varied, each
run --callers callers) runs on a local cluster of each size in turn, the sizes
interleaved --repeat times; the fastest time of each size counts.  A cluster's
start-up is timed apart, after which its workers import the package once, so
the runs per minute are those of a sweep under way.  The CPU seconds of the
workers and of this process (the scheduler and the client) during the sweep
show what the runs cost apart from other load on the machine.  The numbers of every
sweep must be the same whatever the size (the runs depend only on their
seeds), and the script says so.

    python scripts/bench/sweep.py                      # 1 vs 2 workers
    python scripts/bench/sweep.py --workers 1,2,4 --runs 16 --callers 10000
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import Any

from distributed import Client

from testbed.load.sweep import local_cluster, run_plan
from testbed.load.sweep_plan import plan_sweep

SCENARIO = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "mmcm.toml"


def _warm() -> bool:
    import testbed.load.sweep_plan  # noqa: F401

    return True


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_sweep(workers: int, runs: int, callers: int) -> tuple[float, float, float, Any]:
    """(cluster start-up seconds, sweep seconds, CPU seconds of this process (scheduler
    and client) and of the workers during the sweep, the sweep's table) on ``workers``."""
    plan = plan_sweep(SCENARIO, [f"agents=38..{37 + runs}"], callers=callers)
    t0 = time.perf_counter()
    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.run(_warm)
        started = time.perf_counter() - t0
        here, there = _cpu_s(), sum(client.run(_cpu_s).values())
        t1 = time.perf_counter()
        table = run_plan(plan, scheduler=client)
        seconds = time.perf_counter() - t1
        cpu = (_cpu_s() - here, sum(client.run(_cpu_s).values()) - there)
        return started, seconds, cpu, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="cluster sizes (default: 1,2)")
    parser.add_argument("--runs", type=int, default=8, help="runs a sweep (default: 8)")
    parser.add_argument("--callers", type=int, default=5_000,
                        help="callers a run (default: 5000)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="sweeps of each size, interleaved; the fastest counts "
                             "(default: 2)")
    args = parser.parse_args()
    sizes = [int(w) for w in args.workers.split(",")]
    best: dict[int, float] = {}
    start_up: dict[int, float] = {}
    cpu: dict[int, tuple[float, float]] = {}
    tables: list[Any] = []
    for _ in range(args.repeat):
        for size in sizes:
            started, seconds, used, table = timed_sweep(size, args.runs, args.callers)
            if seconds < best.get(size, float("inf")):
                best[size], cpu[size] = seconds, used
            start_up[size] = min(start_up.get(size, started), started)
            tables.append(table)
    print(f"sweep: {SCENARIO.name}, {args.runs} runs of {args.callers} callers "
          f"(agents 38..{37 + args.runs}), fastest of {args.repeat}")
    print(f"{'workers':>8}{'start-up s':>12}{'sweep s':>10}{'runs/min':>10}{'vs 1':>7}"
          f"{'workers CPU s':>15}{'main CPU s':>12}")
    base = args.runs / best[sizes[0]] * 60
    for size in sizes:
        per_minute = args.runs / best[size] * 60
        print(f"{size:>8}{start_up[size]:>12.2f}{best[size]:>10.2f}{per_minute:>10.1f}"
              f"{per_minute / base:>6.2f}x{cpu[size][1]:>15.2f}{cpu[size][0]:>12.2f}")
    same = all(list(t) == list(tables[0]) for t in tables)
    print(f"same numbers at every size: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
