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
import heapq
import itertools
import math
import selectors
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from testbed.errors import ConfigError

__all__ = [
    "REAL_TIME",
    "VIRTUAL",
    "Cancellable",
    "Clock",
    "Scheduler",
    "TestbedLoop",
    "parse_instant",
    "run",
    "seconds_since",
]

T = TypeVar("T")

#: Speed of a virtual clock: as fast as possible, never waiting in real time.
VIRTUAL = math.inf
#: Speed of a real-time clock: one testbed second per real second.
REAL_TIME = 1.0

DEFAULT_START = "2022-04-08T11:35:00Z"
# Real seconds a virtual clock waits for socket data before it jumps.
DEFAULT_IDLE_THRESHOLD_S = 0.005
# With only the loop's own wake-up pipe registered, poll it every this many
# iterations instead of on every one: an in-process run makes no I/O at all.
_QUIET_POLL_EVERY = 64
_PURGE_MIN_TIMERS = 100


def check_speed(speed: object, where: str = "speed") -> float:
    """Return ``speed`` as a float, or raise ConfigError naming the bad value."""
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise ConfigError(f"{where} must be a number of testbed seconds per real second, "
                          f"got {speed!r}")
    value = float(speed)
    if not value > 0:  # also rejects NaN
        raise ConfigError(f"{where} must be greater than 0, got {speed!r}")
    return value


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


def _finish(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Timer:
    """A testbed-clock timer for engine callbacks: lighter than asyncio's TimerHandle.

    It runs in the loop's context (no contextvars copy) and shares the loop's
    timer heap, so it keeps the same deadline-then-scheduling-order rule.
    """

    __slots__ = ("_args", "_callback", "_cancelled", "_loop", "_scheduled", "_when")

    def __init__(self, loop: TestbedLoop, when: float, callback: Callable[..., object],
                 args: tuple[Any, ...]) -> None:
        self._loop = loop
        self._when = when
        self._callback = callback
        self._args = args
        self._cancelled = False
        self._scheduled = True

    def __repr__(self) -> str:
        state = " cancelled" if self._cancelled else ""
        return f"<Timer when={self._when} {self._callback!r}{state}>"

    def when(self) -> float:
        return self._when

    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        if not self._cancelled:
            self._cancelled = True
            if self._scheduled:
                self._loop._cancelled_timers += 1

    def _run(self) -> None:
        try:
            self._callback(*self._args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop.call_exception_handler({
                "message": f"Exception in timer callback {self._callback!r}",
                "exception": exc,
            })


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


class TestbedLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is the testbed clock.

    It starts at time 0.0 in real-time pacing, so code that knows nothing of
    the testbed runs on it as on any loop.  ``Clock`` sets its pacing.
    """

    __test__ = False  # not a pytest test class
    # Read real time through a class attribute: freezegun rewrites
    # module-level references to time.monotonic while it is active.
    _real_monotonic = staticmethod(time.monotonic)

    def __init__(self, selector: selectors.BaseSelector | None = None) -> None:
        super().__init__(selector)
        self._now = 0.0
        self._seq = itertools.count()
        # (deadline, scheduling order, asyncio TimerHandle or Timer)
        self._timers: list[tuple[float, int, Any]] = []
        self._cancelled_timers = 0
        self._speed = REAL_TIME
        self._paused = False
        self._anchor_real = self._real_monotonic()
        self._anchor_now = 0.0
        self._limits: list[tuple[float, int, asyncio.Future[None]]] = []  # advance_to heap
        self._instant_waiters: list[asyncio.Future[None]] = []
        self._idle_waiters: list[asyncio.Future[None]] = []
        self._executor_jobs = 0
        self._holds = 0
        self._quiet_polls = 0
        self._fd_map = self._selector.get_map()  # type: ignore[attr-defined]
        self.posts: deque[tuple[Callable[[Any], object], Any]] = deque()
        # The selector's own fd table: more than the wake-up pipe means sockets.
        self._fd_table: dict[int, Any] | None = getattr(
            self._selector, "_fd_to_key", None)  # type: ignore[attr-defined]
        self.idle_threshold_s = DEFAULT_IDLE_THRESHOLD_S
        #: Called with the new loop time after every jump (the wall-clock bridge).
        self.on_jump: Callable[[float], None] | None = None
        #: Called when an instant is over (nothing ready), before the clock waits
        #: or moves: the record service acknowledges its events here.
        self.end_of_instant: list[Callable[[], None]] = []

    # -- time and timers ------------------------------------------------
    def time(self) -> float:
        return self._now

    def call_at(  # type: ignore[override]
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: Any = None,
    ) -> asyncio.TimerHandle:
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()  # type: ignore[attr-defined]
        handle = asyncio.TimerHandle(when, callback, args, self, context)
        heapq.heappush(self._timers, (when, next(self._seq), handle))
        handle._scheduled = True  # type: ignore[attr-defined]
        return handle

    def post(self, callback: Callable[[Any], object], arg: Any) -> None:
        """Call ``callback(arg)`` on a later turn of the loop, first in, first out.

        The cheap path for in-process messages: posts are queued without a
        Handle each and run in one batch after the turn's ready callbacks, in
        the order they were posted (including posts made while the batch runs).
        Lines append ``(callback, arg)`` to ``posts`` themselves.
        """
        self.posts.append((callback, arg))

    def _run_posts(self) -> None:
        posts = self.posts
        while posts:
            callback, arg = posts.popleft()
            try:
                callback(arg)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self.call_exception_handler({
                    "message": f"Exception in posted callback {callback!r}",
                    "exception": exc,
                })

    def schedule(self, when: float, callback: Callable[..., object], *args: Any) -> Timer:
        """Call ``callback(*args)`` at loop time ``when``: the engine's cheap timer."""
        timer = Timer(self, when, callback, args)
        heapq.heappush(self._timers, (when, next(self._seq), timer))
        return timer

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        if handle._scheduled:  # type: ignore[attr-defined]
            self._cancelled_timers += 1

    def next_deadline(self) -> float | None:
        """Deadline of the earliest live timer, or None."""
        timers = self._timers
        if timers and not timers[0][2]._cancelled and self._cancelled_timers * 2 <= len(timers):
            return timers[0][0]  # the head is live and the heap needs no purge
        self._drop_cancelled_head()
        return self._timers[0][0] if self._timers else None

    def _drop_cancelled_head(self) -> None:
        timers = self._timers
        if (len(timers) > _PURGE_MIN_TIMERS
                and self._cancelled_timers * 2 > len(timers)):
            live = []
            for entry in timers:
                if entry[2]._cancelled:
                    entry[2]._scheduled = False
                else:
                    live.append(entry)
            heapq.heapify(live)
            self._timers = live
            self._cancelled_timers = 0
            return
        while timers and timers[0][2]._cancelled:
            heapq.heappop(timers)[2]._scheduled = False
            self._cancelled_timers -= 1

    # -- pacing ----------------------------------------------------------
    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = check_speed(value)
        self._set_anchor()

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self._set_anchor()
        # Pending advance_to targets are now reached by the running clock.
        while self._limits:
            target, _seq, waiter = heapq.heappop(self._limits)
            self.call_at(target, _finish, waiter)

    def _set_anchor(self) -> None:
        self._anchor_real = self._real_monotonic()
        self._anchor_now = self._now

    def advance_to(self, target: float) -> asyncio.Future[None]:
        """Drive a paused loop to ``target``; the future is done when it is there."""
        waiter = self.create_future()
        if target <= self._now:
            waiter.set_result(None)
        elif self._paused:
            heapq.heappush(self._limits, (target, next(self._seq), waiter))
        else:
            self.call_at(target, _finish, waiter)
        return waiter

    def instant_over(self) -> asyncio.Future[None]:
        """A future that is done when nothing is left to run at the current instant."""
        waiter = self.create_future()
        self._instant_waiters.append(waiter)
        return waiter

    def wait_idle(self) -> asyncio.Future[None]:
        """A future that is done once nothing is ready and no timer can fire."""
        waiter = self.create_future()
        self._idle_waiters.append(waiter)
        return waiter

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Callable[..., T], *args: Any,
    ) -> asyncio.Future[T]:
        # A virtual clock must not jump while a worker thread is busy.
        future = super().run_in_executor(executor, func, *args)
        self._executor_jobs += 1
        future.add_done_callback(self._executor_job_done)
        return future

    def _executor_job_done(self, _future: asyncio.Future[Any]) -> None:
        self._executor_jobs -= 1

    def hold(self) -> None:
        """Keep time from moving until a matching ``release`` (an endpoint owes an answer)."""
        self._holds += 1

    def release(self, count: int = 1) -> None:
        self._holds = max(0, self._holds - count)

    def _io_active(self) -> bool:
        # The loop's own self-pipe is always registered; anything more is a socket.
        fds = self._fd_table if self._fd_table is not None else self._fd_map
        return self._executor_jobs > 0 or len(fds) > 1

    def _jump(self, when: float) -> None:
        if when > self._now:
            self._now = when
            if self.on_jump is not None:
                self.on_jump(when)

    def _poll(self, timeout: float | None) -> bool:
        events = self._selector.select(timeout)  # type: ignore[attr-defined]
        if events:
            self._process_events(events)  # type: ignore[attr-defined]
        return bool(events)

    def _wake_waiters(self, waiters: list[asyncio.Future[None]]) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        waiters.clear()

    def _run_once(self) -> None:
        """One loop iteration: poll I/O if needed, move time, run ready callbacks,
        then the posted messages."""
        ready: Any = self._ready  # type: ignore[attr-defined]
        if ready or self.posts or self._stopping:  # type: ignore[attr-defined]
            self._quiet_polls += 1
            if self._quiet_polls >= _QUIET_POLL_EVERY or self._io_active():
                self._quiet_polls = 0
                self._poll(0)
        else:
            self._advance_time()
        self._collect_due_timers()
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()
        if self.posts:
            self._run_posts()

    def _advance_time(self) -> None:
        """Nothing is ready: the instant is over.  Wait (or not) as the pacing says,
        then move time."""
        for hook in self.end_of_instant:
            hook()
        if self._instant_waiters:
            self._wake_waiters(self._instant_waiters)
        if self._ready or self.posts:  # type: ignore[attr-defined]
            return  # a hook or waiter made work for this instant
        if self._holds or (self._executor_jobs and self._speed == VIRTUAL):
            # An endpoint owes an answer, or a worker thread is busy: wait for it.
            self._poll(None)
            return
        deadline = self.next_deadline()
        if deadline is not None and deadline <= self._now:
            return  # due already (set while paused, or at this instant): fire it now
        if self._paused:
            self._advance_paused(deadline)
            return
        if self._speed == VIRTUAL:
            if (self._executor_jobs or len(self._fd_table or self._fd_map) > 1) \
                    and self._poll(self.idle_threshold_s):
                return  # (sockets in play: they had their quiet threshold to speak)
            if deadline is not None:
                self._now = deadline  # later than now: checked above
                if self.on_jump is not None:
                    self.on_jump(deadline)
                return
        elif deadline is not None:
            target_real = self._anchor_real + (deadline - self._anchor_now) / self._speed
            wait = target_real - self._real_monotonic()
            if wait > 0 and self._poll(wait):
                # Data arrived before the deadline: it sees the time reached so far.
                elapsed = self._real_monotonic() - self._anchor_real
                self._jump(min(deadline, self._anchor_now + elapsed * self._speed))
                return
            if wait <= 0 or self._real_monotonic() >= target_real:
                self._jump(deadline)
            return
        # No timer can fire.
        if self._wake_idle():
            return
        self._poll(None)
        if self._speed != VIRTUAL:
            elapsed = self._real_monotonic() - self._anchor_real
            self._jump(self._anchor_now + elapsed * self._speed)

    def _advance_paused(self, deadline: float | None) -> None:
        """A paused clock moves only towards the nearest ``advance_to`` target."""
        if self._limits:
            target = self._limits[0][0]
            if deadline is not None and deadline <= target:
                self._jump(deadline)
                return
            self._jump(target)
            while self._limits and self._limits[0][0] <= self._now:
                waiter = heapq.heappop(self._limits)[2]
                if not waiter.done():
                    waiter.set_result(None)
            return
        if self._wake_idle():
            return
        self._poll(None)

    def _wake_idle(self) -> bool:
        """Wake ``wait_idle`` callers once sockets have been quiet; True if any."""
        if not self._idle_waiters:
            return False
        if self._io_active() and self._poll(self.idle_threshold_s):
            return True
        self._wake_waiters(self._idle_waiters)
        return True

    def _collect_due_timers(self) -> None:
        timers = self._timers
        now = self._now
        ready = self._ready  # type: ignore[attr-defined]
        while timers and timers[0][0] <= now:
            handle = heapq.heappop(timers)[2]
            if handle._cancelled:
                self._cancelled_timers -= 1
            handle._scheduled = False
            ready.append(handle)

    def close(self) -> None:
        for _when, _seq, handle in self._timers:
            handle._scheduled = False
        self._timers.clear()
        super().close()


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
        self.epoch = loop.time()
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
        simply waits that long in testbed time.
        """
        if seconds < 0:
            raise ConfigError(f"advance takes seconds >= 0, got {seconds!r}")
        await self.loop.advance_to(self.loop._now + seconds)
        # Let callbacks scheduled for exactly the target run before returning.
        await self.settle()

    async def run_until(self, when: float | str | datetime) -> None:
        """Advance to testbed time ``when`` (seconds since start, or an instant)."""
        await self.advance(max(0.0, self.seconds(when) - self.now))

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
        when = self.epoch + t
        timer = Timer(loop, when, callback, args)
        heapq.heappush(loop._timers, (when, next(loop._seq), timer))
        return timer

    def call_later(self, delay_s: float, callback: Callable[..., object],
                   *args: Any) -> Timer:
        """Call ``callback(*args)`` ``delay_s`` testbed seconds from now."""
        loop = self.loop
        when = loop._now + delay_s
        timer = Timer(loop, when, callback, args)
        heapq.heappush(loop._timers, (when, next(loop._seq), timer))
        return timer

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

