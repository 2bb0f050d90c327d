"""The testbed as a server: endpoint WebSockets and an HTTP API (aiohttp).

    GET  /v1/endpoints/caller?number=N[&ack=1]       WebSocket: a caller's line
    GET  /v1/endpoints/agent?username=U&queues=A,B[&priorities=1,2][&delays=0,30]
                             [&acw_timeout_s=S][&ack=1]
                                                     WebSocket: an agent's line
    GET  /v1/contacts                                every contact record (CTR JSON)
    GET  /v1/contacts/{contact_id}                   one record, 404 if unknown
    GET  /v1/metrics/realtime                        real-time metrics now
    GET  /v1/metrics/historical[?interval_s=900&service_level=20,60]
                                                     historical metrics per queue and interval
    GET  /v1/agents                                  every agent's status detail
    GET  /v1/agents/{username}                       one agent, 404 if unknown
    GET  /v1/events                                  WebSocket: the event stream, live
    GET  /v1/connect/events[?from=start]             contact events as Connect sends them to
                                                     EventBridge (WebSocket or JSON lines)
    GET  /v1/connect/records[?from=start]            finished contact records as a Lambda
                                                     reads them from Kinesis (same)
    GET  /v1/connect/webhooks                        each webhook's deliveries so far
    GET  /v1/clock                                   the clock
    POST /v1/clock  {"action": "pause" | "resume" | "advance" | "run_until", ...}

Endpoint WebSockets speak ``testbed.core.messages`` as JSON (see docs/protocol.md);
every message to an endpoint carries ``t``, the testbed time.  An endpoint
that connects with ``ack=1`` answers each message with an ``ack`` after its
own replies; until then the clock stays at that instant, so remote endpoints
act at the same testbed times as in-process ones.  It can also set timers on
the testbed clock (``set_timer`` / ``alarm``).

Everything from the network is validated; a bad message gets an ``error``
reply naming the problem and changes nothing.  With a token, every request
needs ``Authorization: Bearer TOKEN`` (401 otherwise).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import math
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import WSCloseCode, WSMsgType, web

from testbed.centre.agent_status import agent_detail, agent_details
from testbed.centre.agents import QueueRouting, RoutingProfile
from testbed.centre.facade import Testbed
from testbed.core.clock import Cancellable
from testbed.core.errors import ConfigError, ProtocolError, StateError, TestbedError
from testbed.core.lines import LineEnd
from testbed.core.messages import (
    DEFAULT_ACK_TIMEOUT_S,
    MAX_MESSAGE_BYTES,
    Ack,
    Alarm,
    CancelTimer,
    Error,
    Message,
    SetTimer,
    decode,
    encode,
    is_phone_number,
)
from testbed.records.contact_record import ContactEvent, format_timestamp_ms
from testbed.records.metrics import historical, realtime
from testbed.server.connect_api import connect_api
from testbed.server.connect_api.dispatch import MAX_BODY_BYTES
from testbed.server.connect_streams import add_connect_streams
from testbed.server.webhook import WebhookOptions

__all__ = ["DEFAULT_ACK_TIMEOUT_S", "TESTBED_KEY", "create_app"]

T = TypeVar("T")

TESTBED_KEY: web.AppKey[Testbed] = web.AppKey("testbed", Testbed)
ACK_TIMEOUT_KEY: web.AppKey[float] = web.AppKey("ack_timeout_s", float)
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


def _testbed(request: web.Request) -> Testbed:
    return request.app[TESTBED_KEY]


async def _serve_endpoint(request: web.Request, connect: Callable[[], LineEnd],
                          disconnect: Callable[[], None]) -> web.WebSocketResponse:
    tb = _testbed(request)
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
    try:
        await ws.prepare(request)
        await endpoint.run()
    finally:
        endpoint.drop()
    return ws


async def caller_endpoint(request: web.Request) -> web.StreamResponse:
    tb = _testbed(request)
    number = _number(request, "number")
    return await _serve_endpoint(request, lambda: tb.connect_phone(number),
                                 lambda: tb.switchboard.disconnect_phone(number))


async def agent_endpoint(request: web.Request) -> web.StreamResponse:
    tb = _testbed(request)
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


async def list_contacts(request: web.Request) -> web.Response:
    return web.json_response([r.to_ctr() for r in _testbed(request).records])


async def get_contact(request: web.Request) -> web.Response:
    service = _testbed(request).record_service
    assert service is not None
    try:
        record = service.record(request.match_info["contact_id"])
    except KeyError:
        raise web.HTTPNotFound(text=f"no contact {request.match_info['contact_id']!r}") from None
    return web.json_response(record.to_ctr())


async def realtime_metrics(request: web.Request) -> web.Response:
    tb = _testbed(request)
    assert tb.record_service is not None
    return web.json_response(realtime(tb.wall(0), tb.record_service.entries(), tb.now).to_json())


async def historical_metrics(request: web.Request) -> web.Response:
    tb = _testbed(request)
    try:
        interval_s = float(request.query.get("interval_s", "900"))
        levels = [int(x) for x in request.query.get("service_level", "20,60").split(",")]
    except ValueError:
        raise web.HTTPBadRequest(text="interval_s must be a number and service_level "
                                      "whole seconds, comma-separated") from None
    if not 0 < interval_s < 1e9 or any(not 1 <= x <= 604_800 for x in levels):
        raise web.HTTPBadRequest(text=f"interval_s must be > 0 and service levels 1..604800, "
                                      f"got {interval_s!r} and {levels!r}")
    rows = historical(tb.records, timedelta(seconds=interval_s), levels)
    return web.json_response([r.to_json() for r in rows])


async def list_agents(request: web.Request) -> web.Response:
    tb = _testbed(request)
    service = tb.record_service
    assert service is not None
    details = agent_details(tb.switchboard, service, tb.now)
    return web.json_response([d.to_json() for d in details])


async def get_agent(request: web.Request) -> web.Response:
    tb = _testbed(request)
    service = tb.record_service
    assert service is not None
    username = request.match_info["username"]
    # No agent can have a longer name (the agent endpoint refuses one): say so
    # without echoing all of it.
    detail = None if len(username) > MAX_NAME_CHARS else \
        agent_detail(tb.switchboard, service, tb.now, username)
    if detail is None:
        shown = repr(username) if len(username) <= MAX_NAME_CHARS else \
            f"{username[:MAX_NAME_CHARS]!r}... ({len(username)} characters)"
        raise web.HTTPNotFound(text=f"no agent {shown} has connected")
    return web.json_response(detail.to_json())


def _clock_state(tb: Testbed) -> dict[str, Any]:
    speed = tb.clock.speed
    return {"instance_id": tb.instance.instance_id,
            "now_s": tb.now, "wall": format_timestamp_ms(tb.wall()),
            "start": tb.wall(0).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "speed": None if math.isinf(speed) else speed, "virtual": math.isinf(speed),
            "paused": tb.clock.paused}


async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(_clock_state(_testbed(request)))


async def post_clock(request: web.Request) -> web.Response:
    tb = _testbed(request)
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    action = body.get("action")
    try:
        if action == "pause":
            tb.clock.pause()
        elif action == "resume":
            tb.clock.resume()
        elif action == "advance":
            seconds = body.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
                    or not 0 <= seconds < math.inf:
                raise web.HTTPBadRequest(text=f"advance needs 'seconds' >= 0, got {seconds!r}")
            await tb.advance(float(seconds))
        elif action == "run_until":
            until = body.get("until")
            if not isinstance(until, str | int | float) or isinstance(until, bool):
                raise web.HTTPBadRequest(text=f"run_until needs 'until' (seconds or an "
                                              f"ISO-8601 instant), got {until!r}")
            await tb.run_until(until)
        else:
            raise web.HTTPBadRequest(text=f"unknown action {action!r}; use pause, resume, "
                                          f"advance or run_until")
    except ConfigError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response(_clock_state(tb))


async def event_stream(request: web.Request) -> web.WebSocketResponse:
    tb = _testbed(request)
    service = tb.record_service
    assert service is not None
    ws = web.WebSocketResponse(heartbeat=None)
    await ws.prepare(request)
    outbox: asyncio.Queue[ContactEvent | None] = asyncio.Queue()
    listening = True

    def take(event: ContactEvent) -> None:
        nonlocal listening
        if outbox.qsize() < MAX_BACKLOG:
            outbox.put_nowait(event)
        elif listening:  # the reader is too slow: what it has, then the end
            listening = False
            service.remove_listener("event", take)
            outbox.put_nowait(None)

    service.on("event", take)

    async def write() -> None:
        while (event := await outbox.get()) is not None:
            await ws.send_str(json.dumps({
                "t": event.timestamp_s,
                "timestamp": format_timestamp_ms(service.wall(event.timestamp_s)),
                "contact_id": event.contact_id, "kind": str(event.kind),
                "data": _jsonable(event.data)}))
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER,
                       message=f"more than {MAX_BACKLOG} events waited to be read".encode())

    writer = asyncio.create_task(write())
    try:
        async for _frame in ws:
            pass  # the stream is one-way; anything sent is ignored
    finally:
        if listening:
            service.remove_listener("event", take)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
    return ws


def _jsonable(data: Any) -> Any:
    return list(data) if isinstance(data, tuple) else data


def _auth(token: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def check(request: web.Request,
                    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                    ) -> web.StreamResponse:
        if not request.path.startswith("/v1/"):
            return await handler(request)  # the Connect API checks its SigV4 key itself
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise web.HTTPUnauthorized(text="missing or wrong bearer token")
        return await handler(request)

    return check


def create_app(tb: Testbed, token: str | None = None, *,
               ack_timeout_s: float = DEFAULT_ACK_TIMEOUT_S,
               events_webhooks: Iterable[str] = (), records_webhooks: Iterable[str] = (),
               webhook_options: WebhookOptions | None = None) -> web.Application:
    """The aiohttp application serving ``tb`` (which must be open).

    ``token``: every request needs ``Authorization: Bearer TOKEN``.
    ``ack_timeout_s``: real seconds an ``ack=1`` endpoint has to acknowledge
    each message before it is disconnected.
    ``events_webhooks`` / ``records_webhooks``: URLs that get each contact event
    (EventBridge shape) / finished record (a Lambda's Kinesis event) POSTed
    from the app's start to its cleanup, delivered as ``webhook_options`` say
    (see ``testbed.server.webhook``); a URL that is not http(s) is a ConfigError.
    """
    if not 0 < ack_timeout_s < math.inf:
        raise ConfigError(f"ack_timeout_s must be a number of seconds > 0, "
                          f"got {ack_timeout_s!r}")
    app = web.Application(middlewares=[_auth(token)] if token else [],
                          client_max_size=MAX_BODY_BYTES)
    app[TESTBED_KEY] = tb
    app[ACK_TIMEOUT_KEY] = float(ack_timeout_s)
    app.router.add_get("/v1/endpoints/caller", caller_endpoint)
    app.router.add_get("/v1/endpoints/agent", agent_endpoint)
    app.router.add_get("/v1/contacts", list_contacts)
    app.router.add_get("/v1/contacts/{contact_id}", get_contact)
    app.router.add_get("/v1/metrics/realtime", realtime_metrics)
    app.router.add_get("/v1/metrics/historical", historical_metrics)
    app.router.add_get("/v1/agents", list_agents)
    app.router.add_get("/v1/agents/{username}", get_agent)
    app.router.add_get("/v1/events", event_stream)
    app.router.add_get("/v1/clock", get_clock)
    app.router.add_post("/v1/clock", post_clock)
    add_connect_streams(app, tb, events_webhooks=events_webhooks,
                        records_webhooks=records_webhooks, webhook_options=webhook_options)
    app.router.add_route("*", "/{path:.*}", connect_api(_testbed, token))
    return app
