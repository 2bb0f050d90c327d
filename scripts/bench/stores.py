"""Benchmark: what durable record stores cost, on the M/M/c+M model of vs_simpy.py.

Runs the same model with the in-memory store, JSON Lines and SQLite, with and
without fsync, and prints the run time, events written per second, and the
time relative to the in-memory run.

    python scripts/bench/stores.py --callers 5000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vs_simpy import Model, run_testbed

from testbed import RecordService
from testbed.records.stores import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=5_000)
    args = parser.parse_args()
    model = Model(callers=args.callers)
    draws = model.draws()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [("memory", "memory:", False),
                ("jsonl", f"{tmp}/run.jsonl", False), ("sqlite", f"{tmp}/run.sqlite", False),
                ("jsonl+fsync", f"{tmp}/sync.jsonl", True),
                ("sqlite+fsync", f"{tmp}/sync.sqlite", True)]
        print(f"M/M/{model.agents}+M, {model.callers} callers")
        print(f"{'store':<14}{'seconds':>9}{'events':>10}{'events/s':>11}{'vs memory':>11}")
        base = None
        for name, url, fsync in runs:
            t0 = time.perf_counter()
            run_testbed(model, draws, url, fsync)
            secs = time.perf_counter() - t0
            events = (len(RecordService.open(open_store(url)).entries())
                      if url != "memory:" else 0)
            base = base or secs
            shown = f"{events:>10}{events / secs:>11,.0f}" if events else f"{'-':>10}{'-':>11}"
            print(f"{name:<14}{secs:>9.2f}{shown}{secs / base:>10.2f}x")


if __name__ == "__main__":
    main()
