"""Benchmark: a long virtual load run with records streamed to a store; wall time and peak RSS.

Runs the M/M/c+M scenario of scripts/scenarios/mmcm.toml with --callers callers
(default 1,000,000), finished contacts streamed to a SQLite store and dropped from
memory, and callers released once they have no contact left.  Prints callers per
second and the process's peak resident memory.

    python scripts/bench/million.py --callers 1000000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import testbed
from testbed.load.run import LoadRun
from testbed.load.scenario import Scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "mmcm.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=1_000_000)
    args = parser.parse_args()
    scenario = Scenario.from_toml(SCENARIO)
    with tempfile.TemporaryDirectory() as tmp:
        store = f"{tmp}/run.sqlite"
        t0 = time.perf_counter()
        result = testbed.run(LoadRun(scenario, callers=args.callers, records=store,
                                     stream=True).run())
        wall = time.perf_counter() - t0
        size_mb = Path(store).stat().st_size / 2**20
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    [queue] = result.report.queues
    print(f"{'callers':>10}{'wall s':>9}{'callers/s':>11}{'peak RSS MiB':>14}{'store MiB':>11}"
          f"{'abandon %':>11}")
    print(f"{result.callers:>10,}{wall:>9.1f}{result.callers / wall:>11,.0f}{peak_mb:>14,.0f}"
          f"{size_mb:>11,.0f}{queue.abandonment_rate or 0:>11.2f}")


if __name__ == "__main__":
    main()
