"""Benchmark: an M/M/c+M call centre in SimPy (bare kernel) and in the testbed (full path).

Both run the same model on the same parameters and seed, in one process:
Poisson arrivals, exponential talk time served by ``c`` agents, exponential
patience (a caller abandons if not answered in time).  The testbed run goes
through everything a user's run does: mock callers and agents on in-process
lines, the switchboard, the inbound flow, routing and the record service.

    python scripts/bench/vs_simpy.py --callers 100000
    python scripts/bench/vs_simpy.py --callers 20000 --profile   # cProfile the testbed run
    python scripts/bench/vs_simpy.py --floor    # also the plumbing alone: the ceiling
    scripts/build_compiled.sh /tmp/compiled
    python scripts/bench/vs_simpy.py --compiled /tmp/compiled   # and the compiled build
    python scripts/bench/vs_simpy.py --callers 1000000 --stream --no-instructions  # a long run

Prints callers per second for SimPy, the pure build and (with ``--compiled``)
the compiled build, and each build's ratio to SimPy.  Every run is a process
of its own (this script again, with ``--child``), so the builds never share
an interpreter; each runs ``--repeat`` times, interleaved, and its fastest run
counts (a shared machine's noise only ever slows a run down).

Where valgrind is installed, it also prints the instructions each run spends
per caller (``valgrind --tool=cachegrind --cache-sim=no``, the same model at
``--instructions-callers`` and at three times as many callers: the difference,
per caller, leaves out start-up and imports).  Instruction counts do not
depend on what else the machine is doing, so they compare across machines
and runs where seconds do not.  ``--no-instructions`` skips them (they take a
minute or two).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

try:
    import simpy
except ImportError:  # pragma: no cover
    sys.exit("this benchmark needs SimPy: pip install simpy")

import testbed
from fakes import MockAgent, MockCaller
from testbed import EventKind, Flow, RecordService, SetWorkingQueue, Testbed, TransferToQueue
from testbed.core.build import build_info
from testbed.core.lines import line_pair
from testbed.core.messages import Disconnected, Hangup
from testbed.load.run import WRITE_BATCH, fewer_collections
from testbed.records.stores import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Model:
    callers: int
    agents: int = 50
    arrival_rate: float = 1.0      # callers per second
    mean_talk_s: float = 45.0
    mean_patience_s: float = 60.0
    seed: int = 1

    def draws(self) -> list[tuple[float, float, float]]:
        """(arrival time, talk, patience) for each caller, the same for both runs."""
        rng = random.Random(self.seed)
        t, out = 0.0, []
        for _ in range(self.callers):
            t += rng.expovariate(self.arrival_rate)
            out.append((t, rng.expovariate(1 / self.mean_talk_s),
                        rng.expovariate(1 / self.mean_patience_s)))
        return out


def run_simpy(model: Model, draws: list[tuple[float, float, float]]) -> tuple[int, int]:
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=model.agents)
    served = abandoned = 0

    def caller(talk_s: float, patience_s: float):  # type: ignore[no-untyped-def]
        nonlocal served, abandoned
        with agents.request() as req:
            result = yield req | env.timeout(patience_s)
            if req in result:
                served += 1
                yield env.timeout(talk_s)
            else:
                abandoned += 1

    def source():  # type: ignore[no-untyped-def]
        now = 0.0
        for at, talk_s, patience_s in draws:
            yield env.timeout(at - now)
            now = at
            env.process(caller(talk_s, patience_s))

    env.process(source())  # type: ignore[no-untyped-call]
    env.run()
    return served, abandoned


async def _testbed_run(model: Model, draws: list[tuple[float, float, float]],
                       records: str = "memory:", fsync: bool = False,
                       stream: bool = False) -> tuple[int, int]:
    async with Testbed(seed=model.seed, records=records, fsync=fsync,
                       keep_finished_records=not stream,
                       records_batch=WRITE_BATCH if stream else 1) as tb:
        tb.add_flow(Flow.of("Inbound", [
            SetWorkingQueue(id="queue", queue="Q", next="transfer"),
            TransferToQueue(id="transfer"),
        ]))
        tb.add_queue("Q")
        tb.add_number("+18005550100", "Inbound")
        for i in range(model.agents):
            tb.add_agent(MockAgent(f"agent{i}", ["Q"], keep_transcript=False))
        # Callers are made as they arrive, as a load run makes them.
        upcoming = iter(enumerate(draws))

        def arrive(i: int, talk_s: float, patience_s: float) -> None:
            # Transient, as in load runs: a caller who is done hangs up for good.
            caller = MockCaller(f"+1{i:010d}", talk_s=talk_s, patience_s=patience_s,
                                keep_transcript=False)
            tb.add_caller(caller, transient=True)
            caller.call("+18005550100")  # this callback is the arrival: dial at once
            schedule_next()

        def schedule_next() -> None:
            nxt = next(upcoming, None)
            if nxt is not None:
                i, (at, talk_s, patience_s) = nxt
                tb.clock.call_at(at, arrive, i, talk_s, patience_s)

        schedule_next()
        await tb.run_until_idle()
        if stream:  # count in the store (SQLite does it; nothing is read back)
            service = tb.record_service
            assert service is not None and isinstance(service.store, SQLiteStore)
            service.flush()
            with closing(sqlite3.connect(service.store.path)) as db:
                counts = dict(db.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind"))
            served = counts.get(EventKind.CONNECTED_TO_AGENT.value, 0)
            return served, counts.get(EventKind.INITIATED.value, 0) - served
        folded = tb.records
    served = sum(1 for r in folded if r.agent is not None)
    return served, len(folded) - served


def run_testbed(model: Model, draws: list[tuple[float, float, float]],
                records: str = "memory:", fsync: bool = False,
                stream: bool = False) -> tuple[int, int]:
    return testbed.run(_testbed_run(model, draws, records, fsync, stream),
                       speed=testbed.VIRTUAL)


# What one served caller costs the full path in plumbing alone (see --floor).
MESSAGES_PER_CALLER = 14   # Dial, CallStarted, Queued, Offered, Accept, AgentStatus x3, ...
EVENTS_PER_CALLER = 13     # INITIATED ... COMPLETED, with three AGENT_STATE events


async def _plumbing_run(draws: list[tuple[float, float, float]]) -> None:
    """The full path's plumbing per caller with no logic at all: its arrival timer,
    14 messages over an in-process line to a handler that does nothing, 13 logged
    events, and its patience, offer and talk timers (two of them cancelled)."""
    clock = testbed.Clock.current()
    service = RecordService(clock.start, None, True, clock)
    caller_end, switchboard_end = line_pair(clock.loop, "plumbing")
    caller_end.on_receive(_ignore)
    switchboard_end.on_receive(_ignore)
    upcoming = iter(draws)

    def caller(talk_s: float, patience_s: float) -> None:
        for _ in range(MESSAGES_PER_CALLER // 2):
            caller_end.send(Hangup("contact"))
            switchboard_end.send(Disconnected("contact", "CUSTOMER_DISCONNECT"))
        for _ in range(EVENTS_PER_CALLER):
            service.log("contact", EventKind.ENQUEUED, "Q")
        clock.call_later(patience_s, _ignore, None).cancel()
        clock.call_later(20.0, _ignore, None).cancel()
        clock.call_later(talk_s, _ignore, None)
        schedule_next()

    def schedule_next() -> None:
        nxt = next(upcoming, None)
        if nxt is not None:
            at, talk_s, patience_s = nxt
            clock.call_at(at, caller, talk_s, patience_s)

    schedule_next()
    await clock.wait_idle()


def _ignore(_message: object) -> None:
    pass


def run_plumbing(draws: list[tuple[float, float, float]]) -> None:
    testbed.run(_plumbing_run(draws), speed=testbed.VIRTUAL)


def child(kind: str, model: Model, stream: bool = False) -> None:
    """One timed run in this process; prints {"seconds", "served", "abandoned", "build",
    "peak_mib"} (peak resident memory of the whole process)."""
    draws = model.draws()
    result: tuple[int, int] = (0, 0)
    with fewer_collections():  # every run gets the collector setting load runs use
        t0 = time.perf_counter()
        if kind == "simpy":
            result = run_simpy(model, draws)
        elif kind == "testbed" and stream:
            with tempfile.TemporaryDirectory() as tmp:
                result = run_testbed(model, draws, f"sqlite:{tmp}/records.sqlite", stream=True)
        elif kind == "testbed":
            result = run_testbed(model, draws)
        else:
            run_plumbing(draws)
        secs = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": secs, "served": result[0], "abandoned": result[1],
                      "build": build_info(), "peak_mib": peak_mib}))


def child_command(kind: str, model: Model, stream: bool = False) -> list[str]:
    """The command line of ``child(kind)``: this script again, with ``--child``."""
    return [sys.executable, __file__, "--child", kind, "--callers", str(model.callers),
            "--agents", str(model.agents), *(["--stream"] if stream else [])]


def spawn(kind: str, model: Model, pythonpath: Path, stream: bool = False) -> dict[str, object]:
    """Run ``child(kind)`` in a new process whose ``testbed`` comes from ``pythonpath``."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    out = subprocess.run(
        child_command(kind, model, stream),
        check=True, capture_output=True, text=True, env=env, cwd=ROOT / "scripts" / "bench")
    row: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return row


def instructions(kind: str, model: Model, pythonpath: Path, stream: bool = False) -> int:
    """Instructions ``child(kind)`` executes under valgrind, from start to exit."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cachegrind.out"
        done = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}",
             *child_command(kind, model, stream)],
            capture_output=True, text=True, env=env, cwd=ROOT / "scripts" / "bench")
        summary = re.search(r"^summary:\s+(\d+)", out.read_text() if out.exists() else "",
                            re.MULTILINE)
        if done.returncode != 0 or summary is None:
            sys.exit(f"valgrind run of {kind} failed:\n{done.stderr[-2000:]}")
        return int(summary.group(1))


def instructions_per_caller(kind: str, model: Model, pythonpath: Path,
                            stream: bool = False) -> float:
    """Instructions per caller of ``kind``: two sizes, so start-up cancels out."""
    small = instructions(kind, model, pythonpath, stream)
    large_model = Model(callers=3 * model.callers, agents=model.agents)
    large = instructions(kind, large_model, pythonpath, stream)
    return (large - small) / (large_model.callers - model.callers)


def profile(model: Model) -> None:
    """cProfile the testbed run of whichever build this process imports."""
    draws = model.draws()
    profiler = cProfile.Profile()
    with fewer_collections():
        profiler.runcall(run_testbed, model, draws)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=20_000, metavar="N",
                        help="callers of each timed run (default 20000)")
    parser.add_argument("--agents", type=int, default=50, metavar="N",
                        help="agents, the c of M/M/c+M (default 50)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each, interleaved; the fastest counts (default 3)")
    parser.add_argument("--compiled", type=Path, metavar="DIR",
                        help="also run the compiled build found in DIR "
                             "(made by scripts/build_compiled.sh DIR)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the testbed run in this process (the build it imports)")
    parser.add_argument("--floor", action="store_true",
                        help="also time the full path's plumbing alone (messages, events, "
                             "timers; no logic): the most any design of this path can reach")
    parser.add_argument("--stream", action="store_true",
                        help="the testbed runs stream their events to a SQLite store (in a "
                             "temporary folder) and keep no finished contact in memory, as "
                             "a long load run does; served and abandoned are counted in the "
                             "store (default: records kept in memory and folded)")
    parser.add_argument("--no-instructions", action="store_true",
                        help="skip the instruction counts (valgrind; done when it is installed)")
    parser.add_argument("--instructions-callers", type=int, default=2_000, metavar="N",
                        help="callers of the smaller valgrind run (the larger has 3N; "
                             "default 2000)")
    parser.add_argument("--child", choices=("simpy", "testbed", "plumbing"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    model = Model(callers=args.callers, agents=args.agents)
    if args.child:
        child(args.child, model, args.stream)
        return
    if args.profile:
        profile(model)
        return

    runs: list[tuple[str, str, Path]] = [("simpy", "simpy", ROOT), ("pure", "testbed", ROOT)]
    if args.compiled is not None:
        runs.append(("compiled", "testbed", args.compiled.resolve()))
    if args.floor:
        runs.append(("plumbing pure", "plumbing", ROOT))
        if args.compiled is not None:
            runs.append(("plumbing compiled", "plumbing", args.compiled.resolve()))
    best: dict[str, dict[str, object]] = {}
    for _ in range(max(1, args.repeat)):
        for name, kind, path in runs:
            row = spawn(kind, model, path, args.stream and kind == "testbed")
            if name not in best or float(row["seconds"]) < float(best[name]["seconds"]):  # type: ignore[arg-type]
                best[name] = row
    if args.compiled is not None and best["compiled"]["build"] != "compiled":
        sys.exit(f"{args.compiled}: not a compiled build ({best['compiled']['build']})")

    counts: dict[str, float] = {}
    if not args.no_instructions and shutil.which("valgrind") is not None:
        small = Model(callers=args.instructions_callers, agents=model.agents)
        for name, kind, path in runs:
            print(f"valgrind: {name} ...", file=sys.stderr, flush=True)
            counts[name] = instructions_per_caller(
                kind, small, path, args.stream and kind == "testbed")

    print(f"model: M/M/{model.agents}+M, {model.callers} callers, rate {model.arrival_rate}/s, "
          f"talk {model.mean_talk_s} s, patience {model.mean_patience_s} s; "
          f"fastest of {max(1, args.repeat)}, each run in its own process")
    header = (f"{'run':<19}{'served':>8}{'abandoned':>11}{'seconds':>9}{'callers/s':>11}"
              f"{'vs simpy':>10}{'peak MiB':>10}")
    if counts:
        header += f"{'instr/caller':>14}{'vs simpy':>10}"
    print(header)
    simpy_s = float(best["simpy"]["seconds"])  # type: ignore[arg-type]
    for name, kind, _path in runs:
        row = best[name]
        secs = float(row["seconds"])  # type: ignore[arg-type]
        served, abandoned = ("-", "-") if kind == "plumbing" else (row["served"], row["abandoned"])
        ratio = "" if kind == "simpy" else f"{simpy_s / secs:.2f}x"
        line = (f"{name:<19}{served:>8}{abandoned:>11}{secs:>9.2f}{model.callers / secs:>11,.0f}"
                f"{ratio:>10}{float(row['peak_mib']):>10,.0f}")  # type: ignore[arg-type]
        if counts:
            count_ratio = "" if kind == "simpy" else f"{counts['simpy'] / counts[name]:.2f}x"
            line += f"{counts[name]:>14,.0f}{count_ratio:>10}"
        print(line)
    if counts:
        print(f"instructions per caller: valgrind (cachegrind), {args.instructions_callers} "
              f"and {3 * args.instructions_callers} callers, the difference per caller")
    elif not args.no_instructions:
        print("(instructions per caller: install valgrind to count them)")
    if args.stream:
        print("testbed runs streamed their events to SQLite (kept no finished contact in "
              "memory) and counted in it")
    if args.floor:
        print(f"plumbing: {MESSAGES_PER_CALLER} messages, {EVENTS_PER_CALLER} events, 4 timers "
              "per caller, no logic (the ceiling for this path)")


if __name__ == "__main__":
    main()
