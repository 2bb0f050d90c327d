"""The testbed clock: an asyncio event loop whose ``time()`` is testbed time.

Rules:

* Time moves only by jumping to the deadline of the next timer, and every
  timer fires at its exact deadline.  Pacing decides only how long the loop
  waits in real time before a jump: not at all (``VIRTUAL``, speed infinity),
  ``gap / speed`` real seconds (scaled), or ``gap`` (``REAL_TIME``, speed 1).
  A late real wake-up never shifts a timestamp, so records are the same at
  every speed.
* Timers that share a deadline fire in the order they were scheduled, and
  ready callbacks run first in, first out: the same program gives the same
  order every run.
* With sockets or executor jobs in play, a virtual clock jumps only once the
  loop has been quiescent (nothing ready, no socket data) for
  ``idle_threshold_s`` real seconds; a scaled clock lets data that arrives
  between timers see the time reached so far.
* While an endpoint holds the clock (``hold`` / ``release``: a remote
  endpoint that still owes an answer), time does not move in any mode.
* A paused clock does not move on its own; ``advance`` and ``run_until``
  drive it, firing every timer up to the target in order.

Example::

    import testbed

    async def main() -> None:
        clock = testbed.Clock.current(start="2022-04-08T11:35:00Z")
        await asyncio.sleep(600)       # ten testbed minutes, no real wait
        print(clock.wall())            # 2022-04-08 11:45:00+00:00

    testbed.run(main(), speed=testbed.VIRTUAL)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, TypeVar

from testbed.core.errors import ConfigError
from testbed.core.loop import REAL_TIME, VIRTUAL, TestbedLoop, Timer, check_speed

__all__ = [
    "LAST_INSTANT",
    "REAL_TIME",
    "VIRTUAL",
    "Cancellable",
    "Clock",
    "Scheduler",
    "TestbedLoop",
    "Timer",
    "check_speed",
    "parse_instant",
    "run",
    "seconds_since",
]

T = TypeVar("T")

DEFAULT_START: Final = "2022-04-08T11:35:00Z"
#: Testbed time never passes this instant, so every time stays a datetime
#: (records, exports and metrics keep working to the end).
LAST_INSTANT: Final = datetime(9999, 1, 1, tzinfo=UTC)


def seconds_since(start: datetime, when: float | str | datetime) -> float:
    """Testbed seconds from ``start`` for ``when``: seconds already, ISO text or a datetime."""
    if isinstance(when, bool):
        raise ConfigError(f"an instant must be seconds, ISO-8601 text or a datetime, "
                          f"got {when!r}")
    if isinstance(when, int | float):
        return float(when)
    return (parse_instant(when, "instant") - start).total_seconds()


def parse_instant(value: str | datetime, where: str = "start") -> datetime:
    """Parse an ISO-8601 instant into an aware UTC datetime.

    A naive value is taken as UTC.  Raises ConfigError naming the bad value.
    """
    if isinstance(value, datetime):
        dt = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(
                f"{where} must be an ISO-8601 instant such as 2022-04-08T11:35:00Z, "
                f"got {value!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


class Cancellable(Protocol):
    """A scheduled call that can be taken back."""

    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """What an endpoint needs of a clock: the in-process Clock or a remote one."""

    @property
    def now(self) -> float: ...
    def seconds(self, when: float | str | datetime) -> float: ...
    def call_at(self, t: float, callback: Callable[..., object], *args: Any) -> Cancellable: ...
    def call_later(self, delay_s: float, callback: Callable[..., object],
                   *args: Any) -> Cancellable: ...


class Clock:
    """The testbed's view of a TestbedLoop: testbed seconds since a start instant.

    ``now`` is a float of testbed seconds since ``start`` (an aware UTC
    datetime); ``wall()`` turns it into a datetime.  ``speed`` is testbed
    seconds per real second: ``VIRTUAL`` (infinity) never waits,
    ``REAL_TIME`` (1.0) follows the wall clock, anything between scales it.
    """

    def __init__(self, loop: TestbedLoop, start: str | datetime = DEFAULT_START) -> None:
        self.loop = loop
        self.start = parse_instant(start)
        self.epoch = loop._now
        self._bridge: Any = None

    @classmethod
    def current(
        cls,
        start: str | datetime = DEFAULT_START,
        speed: float | None = None,
    ) -> Clock:
        """The clock of the running TestbedLoop; ConfigError if it is another loop."""
        loop = asyncio.get_running_loop()
        if not isinstance(loop, TestbedLoop):
            raise ConfigError(
                f"the testbed needs its own event loop, but this code runs on "
                f"{type(loop).__name__}: start it with testbed.run(...), or in pytest "
                f"use the testbed plugin's fixtures")
        clock = cls(loop, start)
        if speed is not None:
            clock.speed = speed
        return clock

    # -- reading time ---------------------------------------------------
    @property
    def now(self) -> float:
        """Testbed seconds since ``start``."""
        return self.loop._now - self.epoch

    def wall(self, t: float | None = None) -> datetime:
        """The aware UTC datetime of testbed time ``t`` (default: now)."""
        return self.start + timedelta(seconds=self.now if t is None else t)

    def seconds(self, when: float | str | datetime) -> float:
        """Testbed seconds for an instant given as seconds, ISO text or datetime."""
        return seconds_since(self.start, when)

    @property
    def horizon_s(self) -> float:
        """The latest testbed time the clock may reach (``LAST_INSTANT``)."""
        return (LAST_INSTANT - self.start).total_seconds()

    def check_reachable(self, t: float, where: str) -> float:
        """``t`` if it is a testbed time the clock can reach, else ConfigError
        starting with ``where`` (what asked for it, e.g. "advance: 'seconds' = 1e+308")."""
        if not t <= self.horizon_s:  # also rejects NaN
            raise ConfigError(f"{where} would take the clock past the last instant it can "
                              f"reach ({LAST_INSTANT:%Y-%m-%dT%H:%M:%SZ}, at most "
                              f"{self.horizon_s - self.now:.0f} s from now)")
        return t

    # -- pacing -----------------------------------------------------------
    @property
    def speed(self) -> float:
        """Testbed seconds per real second (VIRTUAL is infinity)."""
        return self.loop.speed

    @speed.setter
    def speed(self, value: float) -> None:
        self.loop.speed = value

    @property
    def paused(self) -> bool:
        return self.loop.paused

    def pause(self) -> None:
        """Stop time: it moves again only through advance / run_until or resume."""
        self.loop.pause()

    def resume(self) -> None:
        self.loop.resume()

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every timer due on the way.

        On a paused clock this drives time itself; on a running clock it
        simply waits that long in testbed time.  ``pause`` ends it early,
        where the clock stopped.  Time cannot pass ``LAST_INSTANT``
        (ConfigError).
        """
        if not seconds >= 0:  # also rejects NaN
            raise ConfigError(f"advance takes seconds >= 0, got {seconds!r}")
        self.check_reachable(self.now + seconds, f"advance: 'seconds' = {seconds!r}")
        await self.loop.advance_to(self.loop._now + seconds)
        # Let callbacks scheduled for exactly the target run before returning.
        await self.settle()

    async def run_until(self, when: float | str | datetime) -> None:
        """Advance to testbed time ``when`` (seconds since start, or an instant)."""
        t = self.check_reachable(self.seconds(when), f"run_until: 'until' = {when!r}")
        await self.advance(max(0.0, t - self.now))

    async def settle(self) -> None:
        """Return once nothing is ready to run at the current instant."""
        await self.loop.instant_over()

    async def wait_idle(self) -> None:
        """Return once nothing is ready and no timer is left to fire."""
        await self.loop.wait_idle()

    # -- scheduling (testbed seconds) ---------------------------------------
    def call_at(self, t: float, callback: Callable[..., object], *args: Any) -> Timer:
        """Call ``callback(*args)`` at testbed time ``t`` (in the loop's context)."""
        loop = self.loop
        # The timer is made here and handed over whole: passing ``*args`` on would
        # unpack and pack them again (a cost in the compiled build).
        return loop.add_timer(Timer(loop, self.epoch + t, callback, args))

    def call_later(self, delay_s: float, callback: Callable[..., object],
                   *args: Any) -> Timer:
        """Call ``callback(*args)`` ``delay_s`` testbed seconds from now."""
        loop = self.loop
        return loop.add_timer(Timer(loop, loop._now + delay_s, callback, args))

    # -- wall-clock bridge ------------------------------------------------
    @contextmanager
    def wall_clock(self) -> Iterator[None]:
        """While open, ``datetime.now()``, ``time.time()`` and friends return testbed time.

        Uses freezegun; each clock jump moves the frozen instant.  Costs
        nothing while closed.
        """
        from freezegun import freeze_time

        freezer = freeze_time(self.wall())
        factory = freezer.start()
        start, epoch = self.start, self.epoch

        def on_jump(loop_time: float) -> None:
            factory.move_to(start + timedelta(seconds=loop_time - epoch))

        previous = self.loop.on_jump
        self.loop.on_jump = on_jump
        try:
            yield
        finally:
            self.loop.on_jump = previous
            freezer.stop()


def run(main: Coroutine[Any, Any, T], *, speed: float = REAL_TIME, debug: bool = False) -> T:
    """Run ``main`` on a fresh TestbedLoop (like ``asyncio.run``) and return its result."""
    def factory() -> TestbedLoop:
        loop = TestbedLoop()
        loop.speed = speed
        return loop

    with asyncio.Runner(debug=debug, loop_factory=factory) as runner:
        return runner.run(main)

