"""Remote endpoints: a line and a clock that reach a served testbed over WebSocket.

``connect_caller`` / ``connect_agent`` open an endpoint WebSocket on a
``testbed serve`` URL and attach an endpoint (a MockCaller, a MockAgent, or
your own object with ``attach(line, clock)``) to it:

* ``WebSocketLine`` has the same interface as the in-process line; it
  acknowledges every message after the endpoint's handler ran, so a virtual
  clock waits for the endpoint's answers.
* ``RemoteClock`` is the testbed clock seen from the client: ``now`` is the
  time stamped on the latest message, and ``call_later`` / ``call_at`` set
  timers on the testbed's own clock (``set_timer`` / ``alarm``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

import aiohttp

from testbed.centre.agents import RoutingProfile
from testbed.core.clock import parse_instant, seconds_since
from testbed.core.errors import StateError
from testbed.core.messages import (
    Ack,
    Alarm,
    CancelTimer,
    Message,
    SetTimer,
)
from testbed.core.wire import decode_stamped, encode

__all__ = ["RemoteClock", "WebSocketLine", "connect_agent", "connect_caller"]

Handler = Callable[[Message], object]


class Endpoint(Protocol):
    def attach(self, line: Any, clock: Any) -> None: ...


class RemoteTimer:
    """A timer set on the served testbed's clock; ``cancel`` takes it back."""

    __slots__ = ("_clock", "_ref", "cancelled")

    def __init__(self, clock: RemoteClock, ref: str) -> None:
        self._clock, self._ref, self.cancelled = clock, ref, False

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self._clock._cancel(self._ref)


class RemoteClock:
    """The served testbed's clock, as seen by one endpoint."""

    def __init__(self, line: WebSocketLine, start: datetime) -> None:
        self._line = line
        self.start = start
        self._refs = itertools.count(1)
        self._timers: dict[str, tuple[Callable[..., object], tuple[Any, ...]]] = {}

    @property
    def now(self) -> float:
        """Testbed seconds since start, as of the latest message from the testbed."""
        return self._line.now

    def wall(self, t: float | None = None) -> datetime:
        return self.start + timedelta(seconds=self.now if t is None else t)

    def seconds(self, when: float | str | datetime) -> float:
        return seconds_since(self.start, when)

    def call_at(self, t: float, callback: Callable[..., object], *args: Any) -> RemoteTimer:
        ref = f"t{next(self._refs)}"
        self._timers[ref] = (callback, args)
        self._line.send(SetTimer(ref, float(t)))
        return RemoteTimer(self, ref)

    def call_later(self, delay_s: float, callback: Callable[..., object],
                   *args: Any) -> RemoteTimer:
        return self.call_at(self.now + delay_s, callback, *args)

    def _cancel(self, ref: str) -> None:
        if self._timers.pop(ref, None) is not None:
            self._line.send(CancelTimer(ref))

    def _ring(self, ref: str) -> None:
        timer = self._timers.pop(ref, None)
        if timer is not None:
            callback, args = timer
            callback(*args)


class WebSocketLine:
    """An endpoint's line to a served testbed (the in-process line's interface)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self.now = 0.0
        self.clock: RemoteClock | None = None
        self._handler: Handler | None = None
        self._inbox: deque[Message] = deque()
        self._arrived = asyncio.Event()
        self._outbox: asyncio.Queue[Message | None] = asyncio.Queue()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def send(self, message: Message) -> None:
        if self._closed:
            raise StateError(f"the line is closed; cannot send {message.type}")
        self._outbox.put_nowait(message)

    def on_receive(self, handler: Handler | None) -> None:
        self._handler = handler

    async def receive(self) -> Message:
        while not self._inbox:
            if self._closed:
                raise StateError("the line is closed")
            self._arrived.clear()
            await self._arrived.wait()
        return self._inbox.popleft()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._outbox.put_nowait(None)
            self._arrived.set()

    def _take(self, message: Message) -> None:
        if isinstance(message, Alarm):
            if self.clock is not None:
                self.clock._ring(message.ref)
        elif self._handler is not None:
            self._handler(message)
        else:
            self._inbox.append(message)
            self._arrived.set()
        # Replies sent by the handler are queued before this, so they arrive first.
        self._outbox.put_nowait(Ack())

    async def _read(self) -> None:
        async for frame in self._ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                break
            message, t = decode_stamped(frame.data)
            if t is not None:
                self.now = t
            self._take(message)
        self.close()

    async def _write(self) -> None:
        while (message := await self._outbox.get()) is not None:
            await self._ws.send_str(encode(message))
        await self._ws.close()

    async def run(self) -> None:
        """Pump messages both ways until either side closes."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._read())
            group.create_task(self._write())


@asynccontextmanager
async def _session(session: aiohttp.ClientSession | None
                   ) -> AsyncIterator[aiohttp.ClientSession]:
    if session is not None:
        yield session
        return
    # No request timeouts: on a testbed loop they would run on testbed time.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as own:
        yield own


@asynccontextmanager
async def _connect(url: str, path: str, query: dict[str, str], endpoint: Endpoint,
                   token: str | None, shared: aiohttp.ClientSession | None
                   ) -> AsyncIterator[WebSocketLine]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with _session(shared) as session:
        async with session.get(f"{url.rstrip('/')}/v1/clock", headers=headers) as response:
            response.raise_for_status()
            clock_state = await response.json()
        ws = await session.ws_connect(f"{url.rstrip('/')}{path}?{urlencode(query)}",
                                      headers=headers)
        line = WebSocketLine(ws)
        line.now = float(clock_state["now_s"])
        clock = line.clock = RemoteClock(line, parse_instant(clock_state["start"]))
        pump = asyncio.create_task(line.run())
        try:
            # A timer due now comes back once the testbed has taken everything
            # sent before it: the endpoint's first timers are set when we return.
            synced = asyncio.get_running_loop().create_future()
            endpoint.attach(line, clock)
            clock.call_at(line.now, synced.set_result, None)
            await synced
            yield line
        finally:
            line.close()
            await pump


def connect_caller(url: str, caller: Any, token: str | None = None,
                   session: aiohttp.ClientSession | None = None
                   ) -> AbstractAsyncContextManager[WebSocketLine]:
    """Connect ``caller`` (with ``number`` and ``attach``) to the testbed served at ``url``.

    ``session``: an aiohttp session to share between many endpoints (default: one
    of its own, without timeouts).
    """
    return _connect(url, "/v1/endpoints/caller", {"number": caller.number, "ack": "1"},
                    caller, token, session)


def connect_agent(url: str, agent: Any, token: str | None = None,
                  session: aiohttp.ClientSession | None = None
                  ) -> AbstractAsyncContextManager[WebSocketLine]:
    """Connect ``agent`` (with ``username``, ``queues``, ``acw_timeout_s``, ``attach``);
    its queues' priorities and routing delays go along."""
    profile = RoutingProfile(agent.queues)
    names = list(profile.priorities)
    query = {"username": agent.username, "queues": ",".join(names),
             "acw_timeout_s": str(agent.acw_timeout_s), "ack": "1"}
    # Only what differs from the defaults (priority 1, no delay) goes along.
    if any(p != 1 for p in profile.priorities.values()):
        query["priorities"] = ",".join(str(profile.priorities[name]) for name in names)
    if any(profile.delays.values()):
        query["delays"] = ",".join(repr(profile.delays[name]) for name in names)
    return _connect(url, "/v1/endpoints/agent", query, agent, token, session)

