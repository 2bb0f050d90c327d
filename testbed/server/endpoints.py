"""Endpoint WebSockets: a caller's or an agent's line, bridged to the contact centre.

    GET /v1/endpoints/caller?number=N[&ack=1]
    GET /v1/endpoints/agent?username=U&queues=A,B[&priorities=1,2][&delays=0,30]
                           [&acw_timeout_s=S][&ack=1]

Each socket speaks ``testbed.core.messages`` as JSON (docs/protocol.md).  With
``ack=1`` every message sent holds the clock until the endpoint acknowledges
it.  Everything from the network is validated: a bad query parameter is 400
(409 for a number or username connected already), a bad message gets an
``error`` reply naming the problem and changes nothing.  When the server
shuts down, every endpoint socket is closed (1001, going away) and its calls
end as if it had hung up.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from aiohttp import WSCloseCode, WSMsgType, web

from testbed.centre.agents import QueueRouting, RoutingProfile
from testbed.centre.facade import Testbed
from testbed.core.clock import Cancellable
from testbed.core.errors import ConfigError, ProtocolError, StateError, TestbedError
from testbed.core.lines import LineEnd
from testbed.core.messages import (
    MAX_MESSAGE_BYTES,
    Ack,
    Alarm,
    CancelTimer,
    Error,
    Message,
    SetTimer,
    is_phone_number,
)
from testbed.core.wire import decode, encode

__all__ = ["ACK_TIMEOUT_KEY", "ENDPOINTS_KEY", "MAX_BACKLOG", "TESTBED_KEY", "agent_endpoint",
           "caller_endpoint", "close_endpoints", "testbed_of"]

T = TypeVar("T")

TESTBED_KEY: web.AppKey[Testbed] = web.AppKey("testbed", Testbed)
ACK_TIMEOUT_KEY: web.AppKey[float] = web.AppKey("ack_timeout_s", float)
ENDPOINTS_KEY: web.AppKey[set[_Endpoint]] = web.AppKey("endpoints", set)
MAX_TIMERS_PER_ENDPOINT = 10_000
MAX_NAME_CHARS = 200
# Per-queue lists (queues, priorities, delays) of an agent's routing profile.
MAX_LIST_CHARS = 8192
MAX_FRAME_BYTES = 16 * MAX_MESSAGE_BYTES
# Messages (or events) waiting for a socket that does not read them: past
# this, the endpoint (or event stream) is dropped rather than the server
# keeping them all.
MAX_BACKLOG = 10_000


class _Endpoint:
    """One endpoint WebSocket bridged to its line end.

    With acks, every message sent holds the clock until the endpoint acks it;
    a message left unacknowledged for ``ack_timeout_s`` real seconds drops the
    endpoint as if its socket had closed (after an ``ack_timeout`` error).
    """

    def __init__(self, ws: web.WebSocketResponse, line: LineEnd, tb: Testbed, acks: bool,
                 ack_timeout_s: float, disconnect: Callable[[], None]) -> None:
        self.ws = ws
        self.line = line
        self.tb = tb
        self.loop = tb.clock.loop
        self.acks = acks
        self.ack_timeout_s = ack_timeout_s
        self.owed: deque[float] = deque()  # real time each unacknowledged message was sent
        self.deadline: asyncio.TimerHandle | None = None
        self.timers: dict[str, Cancellable] = {}
        self.outbox: asyncio.Queue[Message | None] = asyncio.Queue()
        self._disconnect: Callable[[], None] | None = disconnect
        line.on_receive(self._deliver)

    def _deliver(self, message: Message) -> None:
        if self._disconnect is None:
            return  # dropped: posted to it before it went
        if self.outbox.qsize() >= MAX_BACKLOG:
            self._give_up(Error("too_slow", f"more than {MAX_BACKLOG} messages wait for this "
                                            f"endpoint to read them; it is disconnected"))
            return
        if self.acks:
            self.owed.append(self.loop.real_time())
            self.loop.hold()
            if self.deadline is None:
                self._arm(self.owed[0])
        self.outbox.put_nowait(message)

    def _give_up(self, error: Error) -> None:
        """Drop the endpoint; its socket hears ``error`` (after what it was sent), then closes."""
        self.drop()
        self.outbox.put_nowait(error)
        self.outbox.put_nowait(None)

    def _arm(self, since: float) -> None:
        self.deadline = self.loop.call_at_real(since + self.ack_timeout_s, self._check_acks)

    def _check_acks(self) -> None:
        """The ack deadline timer: re-arm for the oldest message owed, or drop the endpoint."""
        self.deadline = None
        if not self.owed:
            return
        if self.owed[0] + self.ack_timeout_s > self.loop.real_time():
            self._arm(self.owed[0])
            return
        self._give_up(Error("ack_timeout", f"{len(self.owed)} message(s) not acknowledged "
                                           f"within {self.ack_timeout_s:g} s; the endpoint "
                                           f"is disconnected"))

    def _ring(self, ref: str) -> None:
        self.timers.pop(ref, None)
        self._deliver(Alarm(ref))

    async def _write(self) -> None:
        while (message := await self.outbox.get()) is not None:
            await self.ws.send_str(encode(message, self.tb.now))
        await self.ws.close()

    def _refuse(self, problem: ProtocolError | TestbedError) -> None:
        field = problem.field if isinstance(problem, ProtocolError) else None
        self._deliver(Error("bad_message", str(problem), field))

    def _handle(self, message: Message) -> None:
        clock = self.tb.clock
        if isinstance(message, Ack):
            if self.owed:
                self.owed.popleft()
                self.loop.release()
        elif isinstance(message, SetTimer):
            if not math.isfinite(message.at_s):
                raise ProtocolError("set_timer: at_s must be finite", field="at_s")
            try:
                clock.check_reachable(message.at_s, f"set_timer: 'at_s' = {message.at_s!r}")
            except ConfigError as exc:
                raise ProtocolError(str(exc), field="at_s") from None
            if len(self.timers) >= MAX_TIMERS_PER_ENDPOINT and message.ref not in self.timers:
                raise ProtocolError(f"set_timer: more than {MAX_TIMERS_PER_ENDPOINT} timers "
                                    f"pending", field="ref")
            old = self.timers.pop(message.ref, None)
            if old is not None:
                old.cancel()
            self.timers[message.ref] = clock.call_at(max(message.at_s, clock.now),
                                                     self._ring, message.ref)
        elif isinstance(message, CancelTimer):
            handle = self.timers.pop(message.ref, None)
            if handle is not None:
                handle.cancel()
        elif isinstance(message, Alarm):
            raise ProtocolError("alarm: only the testbed sends alarms", field="type")
        else:
            self.line.send(message)

    def drop(self) -> None:
        """Leave the contact centre as if the socket had closed (once): the line
        hears nothing more, timers go, the clock is released, calls end."""
        disconnect, self._disconnect = self._disconnect, None
        if disconnect is None:
            return
        # Whatever the switchboard still says (the calls it now ends) has
        # nobody to hear it, and must not hold the clock.
        self.line.on_receive(_discard)
        for handle in self.timers.values():
            handle.cancel()
        self.timers.clear()
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        self.loop.release(len(self.owed))
        self.owed.clear()
        self.acks = False
        disconnect()

    async def run(self) -> None:
        writer = asyncio.create_task(self._write())
        try:
            async for frame in self.ws:
                if self._disconnect is None:
                    continue  # dropped: only the close handshake is left
                if frame.type is WSMsgType.TEXT:
                    try:
                        self._handle(decode(frame.data))
                    except (ProtocolError, TestbedError) as problem:
                        self._refuse(problem)
                elif frame.type is WSMsgType.BINARY:
                    self._refuse(ProtocolError("binary frames are not part of the protocol; "
                                               "send JSON text"))
                elif frame.type is WSMsgType.ERROR:
                    break
        finally:
            self.drop()
            self.outbox.put_nowait(None)
            await writer


def _discard(_message: Message) -> None:
    pass


def _query(request: web.Request, name: str, required: bool = True,
           limit: int = MAX_NAME_CHARS) -> str | None:
    value = request.query.get(name)
    if value is None or value == "":
        if required:
            raise web.HTTPBadRequest(text=f"missing query parameter {name!r}")
        return None
    if len(value) > limit:
        raise web.HTTPBadRequest(text=f"query parameter {name!r} is longer than "
                                      f"{limit} characters")
    return value


def _list(request: web.Request, name: str, convert: Callable[[str], T],
          count: int) -> list[T] | None:
    """A comma-separated query parameter with one value per queue, or None if absent."""
    text = _query(request, name, required=False, limit=MAX_LIST_CHARS)
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != count:
        raise web.HTTPBadRequest(text=f"query parameter {name!r} must give one value per "
                                      f"queue ({count}), got {text!r}")
    try:
        return [convert(part) for part in parts]
    except ValueError:
        raise web.HTTPBadRequest(text=f"query parameter {name!r} must be comma-separated "
                                      f"numbers, got {text!r}") from None


_FLAGS = {"1": True, "true": True, "0": False, "false": False}


def _number(request: web.Request, name: str) -> str:
    """An E.164 phone number query parameter (``%2B`` for its ``+`` in a URL)."""
    value = _query(request, name)
    assert value is not None
    if not is_phone_number(value):
        hint = (" (a '+' in a URL query means a space: write it as %2B)"
                if value.startswith(" ") else "")
        raise web.HTTPBadRequest(text=f"query parameter {name!r} must be an E.164 number "
                                      f"such as +15555550123{hint}, got {value!r}")
    return value


def _flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name)
    if value is None:
        return False
    try:
        return _FLAGS[value.lower()]
    except KeyError:
        raise web.HTTPBadRequest(text=f"query parameter {name!r} must be 1 or 0 (or true / "
                                      f"false), got {value[:MAX_NAME_CHARS]!r}") from None


def testbed_of(request: web.Request) -> Testbed:
    """The Testbed the request's app serves."""
    return request.app[TESTBED_KEY]


async def _serve_endpoint(request: web.Request, connect: Callable[[], LineEnd],
                          disconnect: Callable[[], None]) -> web.WebSocketResponse:
    tb = testbed_of(request)
    acks = _flag(request, "ack")
    try:
        line = connect()
    except ConfigError as exc:  # a bad request: unknown queue, bad after-contact work
        raise web.HTTPBadRequest(text=str(exc)) from None
    except StateError as exc:  # this number or username is connected already
        raise web.HTTPConflict(text=str(exc)) from None
    # Frames up to MAX_FRAME_BYTES are read and refused with an error naming the
    # size (the line carries on); only larger ones close the connection.
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, heartbeat=None)
    endpoint = _Endpoint(ws, line, tb, acks, request.app[ACK_TIMEOUT_KEY], disconnect)
    live = request.app[ENDPOINTS_KEY]
    live.add(endpoint)
    try:
        await ws.prepare(request)
        await endpoint.run()
    finally:
        live.discard(endpoint)
        endpoint.drop()
    return ws


async def caller_endpoint(request: web.Request) -> web.StreamResponse:
    tb = testbed_of(request)
    number = _number(request, "number")
    return await _serve_endpoint(request, lambda: tb.connect_phone(number),
                                 lambda: tb.switchboard.disconnect_phone(number))


async def agent_endpoint(request: web.Request) -> web.StreamResponse:
    tb = testbed_of(request)
    username = _query(request, "username")
    queues = _query(request, "queues", limit=MAX_LIST_CHARS)
    assert username is not None and queues is not None
    acw = _query(request, "acw_timeout_s", required=False)
    try:
        acw_timeout_s = float(acw) if acw is not None else 0.0
    except ValueError:
        acw_timeout_s = math.nan
    if not 0 <= acw_timeout_s < math.inf:
        raise web.HTTPBadRequest(text=f"query parameter 'acw_timeout_s' must be a number of "
                                      f"seconds >= 0 (0: until the agent ends it), "
                                      f"got {acw!r}")
    names = [q for q in queues.split(",") if q]
    priorities = _list(request, "priorities", int, len(names)) or [1] * len(names)
    delays = _list(request, "delays", float, len(names)) or [0.0] * len(names)
    routing = {name: QueueRouting(p, d) for name, p, d in zip(names, priorities, delays,
                                                               strict=True)}
    try:
        RoutingProfile(routing)  # a bad priority or delay is the request's fault
    except ConfigError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None

    def connect() -> LineEnd:
        return tb.connect_agent(username, routing, acw_timeout_s)

    return await _serve_endpoint(request, connect,
                                 lambda: tb.switchboard.disconnect_agent(username))


async def close_endpoints(app: web.Application) -> None:
    """On shutdown: close every endpoint socket (1001), so the server need not
    wait for clients to hang up; their calls end as if they had."""
    live: set[_Endpoint] = app[ENDPOINTS_KEY]
    closing = [endpoint.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
               for endpoint in list(live) if not endpoint.ws.closed]
    await asyncio.gather(*closing, return_exceptions=True)
