"""The testbed's event loop: an asyncio selector loop whose ``time()`` is testbed time.

``TestbedLoop`` keeps the rules that ``testbed.core.clock`` states (deadlines,
order, pacing, holds, pause); ``Timer`` is its light engine timer.  Code
reaches it through ``testbed.core.clock.Clock``.

Network code (an HTTP server, its keep-alive, handshake, heartbeat and
shutdown timeouts) must not run on testbed time: in virtual time its timeouts
would fire at once and move the clock.  Code started under ``network_time()``
(and every task and callback it starts) sees real time instead: there
``time()`` is real monotonic seconds and ``call_at`` / ``call_later`` /
``asyncio.sleep`` / ``asyncio.timeout`` use a second timer heap in real
seconds, which the clock never waits for and never jumps to.  Every server
made with ``loop.create_server`` (aiohttp's ``TCPSite`` and ``TestServer``
among them) serves its connections under ``network_time()``.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import math
import select
import selectors
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final, TypeVar

from testbed.core.errors import ConfigError
from testbed.core.net_timer import NetworkTimerHandle

__all__ = ["DEFAULT_IDLE_THRESHOLD_S", "REAL_TIME", "VIRTUAL", "TestbedLoop", "Timer",
           "check_speed", "network_time"]

T = TypeVar("T")

#: Speed of a virtual clock: as fast as possible, never waiting in real time.
VIRTUAL: Final = math.inf
#: Speed of a real-time clock: one testbed second per real second.
REAL_TIME: Final = 1.0

# Real seconds a virtual clock waits for socket data before it jumps.
DEFAULT_IDLE_THRESHOLD_S: Final = 0.005
# With only the loop's own wake-up pipe registered, poll it every this many
# iterations instead of on every one: an in-process run makes no I/O at all.
_QUIET_POLL_EVERY: Final = 64
_PURGE_MIN_TIMERS: Final = 100

# True in the context of network code (see network_time).
_NETWORK: Final[contextvars.ContextVar[bool]] = contextvars.ContextVar("testbed_network",
                                                                default=False)


@contextmanager
def network_time() -> Iterator[None]:
    """Run the enclosed code, and every task and callback it starts, on real time.

    For servers and clients on a TestbedLoop: start them inside this block
    (``with network_time(): await site.start()``) so that their own timeouts
    are real seconds whatever the pacing.  Work they hand to the engine
    (messages on lines, ``Clock`` timers, ``advance``) stays on testbed time.
    """
    token = _NETWORK.set(True)
    try:
        yield
    finally:
        _NETWORK.reset(token)


def on_network_time() -> bool:
    """True while running under ``network_time()``."""
    return _NETWORK.get()


def check_speed(speed: object, where: str = "speed") -> float:
    """Return ``speed`` as a float, or raise ConfigError naming the bad value."""
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise ConfigError(f"{where} must be a number of testbed seconds per real second, "
                          f"got {speed!r}")
    value = float(speed)
    if not value > 0:  # also rejects NaN
        raise ConfigError(f"{where} must be greater than 0, got {speed!r}")
    return value


def _finish(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _Drain:
    """The ready-queue entry that runs a batch of posted messages: like a Handle,
    without a context to enter (posts run in the loop's context)."""

    __slots__ = ("_run",)
    _cancelled = False

    def __init__(self, run: Callable[[], None]) -> None:
        self._run = run


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
        # Network code's timers: (real monotonic deadline, order, handle).
        self._net_timers: list[tuple[float, int, asyncio.TimerHandle]] = []
        self._cancelled_net_timers = 0
        self._speed = REAL_TIME
        self._paused = False
        self._anchor_real = self._real_monotonic()
        self._anchor_now = 0.0
        self._limits: list[tuple[float, int, asyncio.Future[None]]] = []  # advance_to heap
        self._advances: dict[asyncio.Future[None], Timer] = {}  # advance_to, clock running
        self._instant_waiters: list[asyncio.Future[None]] = []
        self._idle_waiters: list[asyncio.Future[None]] = []
        self._executor_jobs = 0
        self._holds = 0
        self._quiet_polls = 0
        self._fd_map = self._selector.get_map()  # type: ignore[attr-defined]
        # The selector's own descriptor (epoll's), for waits finer than a millisecond.
        fileno = getattr(self._selector, "fileno", None)  # type: ignore[attr-defined]
        self._selector_fd: int = fileno() if fileno is not None else -1
        self.posts: deque[tuple[Callable[[Any], object], Any]] = deque()
        self._draining = False
        self._drain = _Drain(self._run_posts)
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
        """Testbed time; real monotonic seconds for code under ``network_time()``."""
        if _NETWORK.get():
            return self._real_monotonic()
        return self._now

    def real_time(self) -> float:
        """Real monotonic seconds, in any context (the base of network timers)."""
        return self._real_monotonic()

    def call_at(  # type: ignore[override]
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: Any = None,
    ) -> asyncio.TimerHandle:
        if when is None:
            raise TypeError("when cannot be None")
        if _NETWORK.get():
            return self.call_at_real(when, callback, *args, context=context)
        self._check_closed()  # type: ignore[attr-defined]
        handle = asyncio.TimerHandle(when, callback, args, self, context)
        heapq.heappush(self._timers, (when, next(self._seq), handle))
        handle._scheduled = True  # type: ignore[attr-defined]
        return handle

    def call_at_real(self, when: float, callback: Callable[..., object], *args: Any,
                     context: Any = None) -> asyncio.TimerHandle:
        """Call ``callback(*args)`` at real monotonic time ``when`` (see ``real_time``).

        Such timers run in every pacing mode, paused or not; the clock neither
        waits for them nor jumps to them.
        """
        self._check_closed()  # type: ignore[attr-defined]
        handle = NetworkTimerHandle(when, callback, args, self, context)
        heapq.heappush(self._net_timers, (when, next(self._seq), handle))
        handle._scheduled = True  # type: ignore[attr-defined]
        return handle

    def post(self, callback: Callable[[Any], object], arg: Any) -> None:
        """Call ``callback(arg)`` on a later turn of the loop, first in, first out.

        The cheap path for in-process messages: posts are queued without a
        Handle each and run in one batch, which takes its place among the
        ready callbacks when the first of them is posted (so the order is that
        of ``call_soon``); posts made while the batch runs join it.  Lines
        append ``(callback, arg)`` to ``posts`` themselves, calling
        ``kick_posts`` first when it is empty.
        """
        if not self.posts:
            self.kick_posts()
        self.posts.append((callback, arg))

    def kick_posts(self) -> None:
        """Queue the batch that will run the posts (called as the first one arrives)."""
        if not self._draining:
            self._ready.append(self._drain)  # type: ignore[attr-defined]

    def _run_posts(self) -> None:
        posts = self.posts
        self._draining = True
        try:
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
        finally:
            self._draining = False
            if posts:  # left behind by an interrupt: they still run, in order
                self.kick_posts()

    def schedule(self, when: float, callback: Callable[..., object], *args: Any) -> Timer:
        """Call ``callback(*args)`` at loop time ``when``: the engine's cheap timer."""
        return self.add_timer(Timer(self, when, callback, args))

    def add_timer(self, timer: Timer) -> Timer:
        """Start ``timer``, made for this loop (``schedule`` without unpacking arguments)."""
        heapq.heappush(self._timers, (timer._when, next(self._seq), timer))
        return timer

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        if handle._scheduled:  # type: ignore[attr-defined]
            if isinstance(handle, NetworkTimerHandle):
                self._cancelled_net_timers += 1
            else:
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

    async def create_server(self, *args: Any, **kwargs: Any) -> asyncio.Server:
        """``asyncio``'s ``create_server``; its connections run on network (real) time."""
        with network_time():
            return await super().create_server(*args, **kwargs)

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
        """Stop time where it is.  Every ``advance_to`` in progress ends here: its
        future is done at the instant the clock stopped."""
        self._paused = True
        while self._limits:
            _finish(heapq.heappop(self._limits)[2])
        for waiter, timer in list(self._advances.items()):
            timer.cancel()
            _finish(waiter)
        self._advances.clear()

    def resume(self) -> None:
        self._paused = False
        self._set_anchor()
        # Pending advance_to targets are now reached by the running clock.
        while self._limits:
            target, _seq, waiter = heapq.heappop(self._limits)
            self._advance_running(target, waiter)

    def _set_anchor(self) -> None:
        self._anchor_real = self._real_monotonic()
        self._anchor_now = self._now

    def advance_to(self, target: float) -> asyncio.Future[None]:
        """Drive a paused loop to ``target`` (on a running one, wait for it); the
        future is done when the clock is there, or when ``pause`` stops it."""
        waiter = self.create_future()
        if target <= self._now:
            waiter.set_result(None)
        elif self._paused:
            heapq.heappush(self._limits, (target, next(self._seq), waiter))
        else:
            self._advance_running(target, waiter)
        return waiter

    def _advance_running(self, target: float, waiter: asyncio.Future[None]) -> None:
        self._advances[waiter] = self.schedule(target, _finish, waiter)
        waiter.add_done_callback(self._advance_done)

    def _advance_done(self, waiter: asyncio.Future[None]) -> None:
        self._advances.pop(waiter, None)

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
        """Wait up to ``timeout`` real seconds (None: no limit) for socket data.

        True if the wait ended early: data arrived, or a network timer fell due
        (the wait is cut short for it)."""
        cut = False
        if self._net_timers:
            until_net = self._net_timers[0][0] - self._real_monotonic()
            if timeout is None or until_net < timeout:
                timeout, cut = max(0.0, until_net), True
        if timeout is not None and timeout > 0 and 0 <= self._selector_fd < 1024:
            # epoll waits whole milliseconds, rounded up: a timer due in 0.2 ms would
            # fire 0.8 ms late.  select() on epoll's own descriptor waits to the
            # microsecond and returns as soon as any socket is ready.
            if not select.select((self._selector_fd,), (), (), timeout)[0]:
                return cut
            timeout = 0
        events = self._selector.select(timeout)  # type: ignore[attr-defined]
        if events:
            self._process_events(events)  # type: ignore[attr-defined]
        return cut or bool(events)

    def _wake_waiters(self, waiters: list[asyncio.Future[None]]) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        waiters.clear()

    def _run_once(self) -> None:
        """One loop iteration: poll I/O if needed, move time, run ready callbacks
        (a batch of posted messages among them)."""
        ready: Any = self._ready  # type: ignore[attr-defined]
        if ready or self._stopping:  # type: ignore[attr-defined]
            self._quiet_polls += 1
            if self._quiet_polls >= _QUIET_POLL_EVERY or self._io_active():
                self._quiet_polls = 0
                self._poll(0)
        else:
            self._advance_time()
        timers = self._timers
        if timers and timers[0][0] <= self._now:
            self._collect_due_timers()
        if self._net_timers:
            self._collect_due_net_timers()
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()

    def _advance_time(self) -> None:
        """Nothing is ready: the instant is over.  Wait (or not) as the pacing says,
        then move time."""
        for hook in self.end_of_instant:
            hook()
        if self._instant_waiters:
            self._wake_waiters(self._instant_waiters)
        if self._ready:  # type: ignore[attr-defined]
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
            if self._io_active() and self._poll(self.idle_threshold_s):
                return
            if deadline is not None:
                self._jump(deadline)
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

    def _collect_due_net_timers(self) -> None:
        timers = self._net_timers
        if self._cancelled_net_timers * 2 > len(timers) > _PURGE_MIN_TIMERS:
            live = [entry for entry in timers if not entry[2]._cancelled]
            for entry in timers:
                if entry[2]._cancelled:
                    entry[2]._scheduled = False  # type: ignore[attr-defined]
            heapq.heapify(live)
            self._net_timers = timers = live
            self._cancelled_net_timers = 0
        now = self._real_monotonic()
        ready = self._ready  # type: ignore[attr-defined]
        while timers and timers[0][0] <= now:
            handle = heapq.heappop(timers)[2]
            if handle._cancelled:
                self._cancelled_net_timers -= 1
            handle._scheduled = False  # type: ignore[attr-defined]
            ready.append(handle)

    def close(self) -> None:
        for _when, _seq, handle in self._timers:
            handle._scheduled = False
        for _when, _seq, handle in self._net_timers:
            handle._scheduled = False  # type: ignore[attr-defined]
        self._timers.clear()
        self._net_timers.clear()
        super().close()
