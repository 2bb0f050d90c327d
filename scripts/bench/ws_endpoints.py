"""Benchmark: many WebSocket callers and agents against `testbed serve` on loopback.

For each size N and speed: a `testbed serve` process (the queued-callback
centre) and N remote callers plus N remote agents in this process
(testbed.server.remote, acks on).  Each caller dials at a spread-out instant, is
answered at once, hears the 10 s agent whisper and talks 5 s.  Printed:

- jitter: for every message an endpoint receives, how late it arrives in real
  time against the instant its testbed time stamp stands for (p50 / p99 / max,
  ms); record timestamps themselves are exact by construction;
- messages per second received by the endpoints;
- the server's CPU use (seconds of CPU per second of wall time).

    python scripts/bench/ws_endpoints.py --callers 100 1000 --speeds 1 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time

import aiohttp

from fakes import MockAgent, MockCaller
from testbed.core.messages import Disconnected, Message
from testbed.load.demos import SERVICE_NUMBER
from testbed.server.remote import connect_agent, connect_caller

SPREAD_S = 5.0  # callers dial over the first five testbed seconds
TALK_S = 5.0


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_run(n: int, speed: float) -> dict[str, float]:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "serve", "--port", "0", "--paused",
        "--speed", str(speed), stdout=asyncio.subprocess.PIPE)
    assert server.stdout is not None
    url = (await server.stdout.readline()).decode().split(" on ")[1].split()[0]
    lateness: list[float] = []
    anchor: list[float] = []  # (real seconds, testbed seconds) at resume
    received = 0

    def timing(_endpoint: object, message: Message) -> None:
        nonlocal received
        received += 1

    try:
        callers = [MockCaller(f"+1555{i:07d}", dial=SERVICE_NUMBER, dial_at=SPREAD_S * i / n,
                              talk_s=TALK_S, on_message=timing, keep_transcript=False)
                   for i in range(n)]
        agents = [MockAgent(f"agent{i}", ["InboundQueue"], on_message=timing,
                            keep_transcript=False) for i in range(n)]
        done = 0
        finished = asyncio.get_running_loop().create_future()

        def count_end(caller: MockCaller, message: Message) -> None:
            nonlocal done
            timing(caller, message)
            if isinstance(message, Disconnected):
                done += 1
                if done == n and not finished.done():
                    finished.set_result(None)

        for caller in callers:
            caller.on_message = count_end
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=None)) as http, \
                contextlib.AsyncExitStack() as stack:
            lines = await asyncio.gather(
                *[stack.enter_async_context(connect_agent(url, a, session=http)) for a in agents],
                *[stack.enter_async_context(connect_caller(url, c, session=http))
                  for c in callers])
            for line in lines:
                _watch(line, lateness, anchor, speed)
            cpu0, wall0 = _cpu_seconds(server.pid), time.monotonic()
            async with http.post(f"{url}/v1/clock", json={"action": "resume"}) as response:
                state = await response.json()
            anchor.extend((time.monotonic(), state["now_s"]))
            await finished
            wall = time.monotonic() - wall0
            cpu = _cpu_seconds(server.pid) - cpu0
    finally:
        server.terminate()
        await server.wait()
    lateness.sort()
    return {"p50": _pct(lateness, 50), "p99": _pct(lateness, 99), "max": lateness[-1],
            "msgs_per_s": received / wall, "cpu": cpu / wall, "wall": wall}


def _watch(line: object, lateness: list[float], anchor: list[float], speed: float) -> None:
    """Time every stamped message the line takes in."""
    take = line._take  # type: ignore[attr-defined]

    def timed(message: Message) -> None:
        if anchor:
            real0, testbed0 = anchor
            due = real0 + (line.now - testbed0) / speed  # type: ignore[attr-defined]
            lateness.append(max(0.0, (time.monotonic() - due) * 1000))
        take(message)

    line._take = timed  # type: ignore[attr-defined]


def _pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--speeds", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    print(f"{'N':>6}{'speed':>7}{'jitter p50':>12}{'p99':>9}{'max':>9}{'msgs/s':>9}"
          f"{'server CPU':>12}{'wall s':>8}")
    for n in args.callers:
        for speed in args.speeds:
            r = asyncio.run(one_run(n, speed))
            print(f"{n:>6}{speed:>7g}{r['p50']:>10.1f}ms{r['p99']:>7.1f}ms{r['max']:>7.1f}ms"
                  f"{r['msgs_per_s']:>9,.0f}{r['cpu']:>11.0%}{r['wall']:>8.1f}")


if __name__ == "__main__":
    main()
