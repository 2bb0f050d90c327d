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
    GET  /v1/events[?view=1]                         WebSocket: the event stream, live (with
                                                     view=1: first the centre now, then clock
                                                     and queue ticks among the events)
    GET  /v1/connect/events[?from=start]             contact events as Connect sends them to
                                                     EventBridge (WebSocket or JSON lines)
    GET  /v1/connect/records[?from=start]            finished contact records as a Lambda
                                                     reads them from Kinesis (same)
    GET  /v1/connect/webhooks                        each webhook's deliveries so far
    GET  /v1/clock                                   the clock
    POST /v1/clock  {"action": "pause" | "resume" | "advance" | "run_until" | "speed", ...}
    GET  /                                           the dashboard (its files: /dashboard/NAME)

Endpoint WebSockets speak ``testbed.core.messages`` as JSON (see docs/protocol.md);
every message to an endpoint carries ``t``, the testbed time.  An endpoint
that connects with ``ack=1`` answers each message with an ``ack`` after its
own replies; until then the clock stays at that instant, so remote endpoints
act at the same testbed times as in-process ones.  It can also set timers on
the testbed clock (``set_timer`` / ``alarm``).

Everything from the network is validated; a bad message gets an ``error``
reply naming the problem and changes nothing.  With a token, every request
needs ``Authorization: Bearer TOKEN`` (401 otherwise); the dashboard's pages
accept it once as ``/?token=TOKEN`` and keep it in a cookie.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import WSCloseCode, web

from testbed.centre.agent_status import agent_detail, agent_details
from testbed.centre.facade import Testbed
from testbed.core.errors import ConfigError
from testbed.core.messages import (
    DEFAULT_ACK_TIMEOUT_S,
)
from testbed.records.contact_record import ContactEvent, format_timestamp_ms
from testbed.records.metrics import historical, realtime
from testbed.server.connect_api import connect_api
from testbed.server.connect_api.dispatch import MAX_BODY_BYTES
from testbed.server.connect_streams import add_connect_streams
from testbed.server.dashboard.routes import (
    add_dashboard,
    authorised,
    is_page,
    token_from_query,
)
from testbed.server.dashboard.stream import VIEWER_KEY, send_ticks, view_frame
from testbed.server.dashboard.view import CentreView
from testbed.server.endpoints import (
    ACK_TIMEOUT_KEY,
    ENDPOINTS_KEY,
    MAX_BACKLOG,
    MAX_NAME_CHARS,
    TESTBED_KEY,
    agent_endpoint,
    caller_endpoint,
    close_endpoints,
    testbed_of,
)
from testbed.server.webhook import WebhookOptions

__all__ = ["DEFAULT_ACK_TIMEOUT_S", "MAX_BACKLOG", "TESTBED_KEY", "create_app"]

T = TypeVar("T")



async def list_contacts(request: web.Request) -> web.Response:
    return web.json_response([r.to_ctr() for r in testbed_of(request).records])


async def get_contact(request: web.Request) -> web.Response:
    service = testbed_of(request).record_service
    assert service is not None
    try:
        record = service.record(request.match_info["contact_id"])
    except KeyError:
        raise web.HTTPNotFound(text=f"no contact {request.match_info['contact_id']!r}") from None
    return web.json_response(record.to_ctr())


async def realtime_metrics(request: web.Request) -> web.Response:
    tb = testbed_of(request)
    assert tb.record_service is not None
    return web.json_response(realtime(tb.wall(0), tb.record_service.entries(), tb.now).to_json())


async def historical_metrics(request: web.Request) -> web.Response:
    tb = testbed_of(request)
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
    tb = testbed_of(request)
    service = tb.record_service
    assert service is not None
    details = agent_details(tb.switchboard, service, tb.now)
    return web.json_response([d.to_json() for d in details])


async def get_agent(request: web.Request) -> web.Response:
    tb = testbed_of(request)
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
    return web.json_response(_clock_state(testbed_of(request)))


async def post_clock(request: web.Request) -> web.Response:
    tb = testbed_of(request)
    if request.content_type != "application/json":
        # A page of another site can post a form or plain text here, but not JSON
        # (that asks the browser for a preflight this server never grants).
        raise web.HTTPUnsupportedMediaType(
            text=f"POST /v1/clock takes Content-Type application/json, "
                 f"got {request.content_type[:100]!r}")
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
        elif action == "speed":
            speed = body.get("speed")
            if speed is not None and (isinstance(speed, bool)
                                      or not isinstance(speed, int | float)
                                      or not 0 < speed < math.inf):
                raise web.HTTPBadRequest(text=f"speed needs 'speed' > 0 (testbed seconds per "
                                              f"real second) or null (virtual), got {speed!r}")
            tb.clock.speed = math.inf if speed is None else float(speed)
        else:
            raise web.HTTPBadRequest(text=f"unknown action {action!r}; use pause, resume, "
                                          f"advance, run_until or speed")
    except ConfigError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response(_clock_state(tb))


async def event_stream(request: web.Request) -> web.WebSocketResponse:
    tb = testbed_of(request)
    service = tb.record_service
    assert service is not None
    watching = request.query.get("view") in ("1", "true")
    ws = web.WebSocketResponse(heartbeat=None)
    await ws.prepare(request)
    outbox: asyncio.Queue[ContactEvent | str | None] = asyncio.Queue()
    listening = True
    view: CentreView | None = None

    def put(item: ContactEvent | str) -> None:
        nonlocal listening
        if not listening:
            return
        if outbox.qsize() < MAX_BACKLOG:
            outbox.put_nowait(item)
        else:  # the reader is too slow: what it has, then the end
            listening = False
            service.remove_listener("event", take)
            outbox.put_nowait(None)

    def take(event: ContactEvent) -> None:
        if view is not None:
            view.take(event)
        put(event)

    if watching:
        # The view and the listener start at the same instant: the events after the
        # VIEW frame are exactly those it does not hold.
        view = CentreView(tb.switchboard)
        view.extend(service.entries())
        outbox.put_nowait(view_frame(view, _clock_state(tb)))
        request.app[VIEWER_KEY].set()
    service.on("event", take)

    async def write() -> None:
        while (item := await outbox.get()) is not None:
            if isinstance(item, str):
                await ws.send_str(item)
                continue
            await ws.send_str(json.dumps({
                "t": item.timestamp_s,
                "timestamp": format_timestamp_ms(service.wall(item.timestamp_s)),
                "contact_id": item.contact_id, "kind": str(item.kind),
                "data": _jsonable(item.data)}))
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER,
                       message=f"more than {MAX_BACKLOG} events waited to be read".encode())

    tasks = [asyncio.create_task(write())]
    if view is not None:
        tasks.append(asyncio.create_task(send_ticks(view, lambda: _clock_state(tb), put)))
    try:
        async for _frame in ws:
            pass  # the stream is one-way; anything sent is ignored
    finally:
        if listening:
            service.remove_listener("event", take)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return ws


def _jsonable(data: Any) -> Any:
    return list(data) if isinstance(data, tuple) else data


def _auth(token: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def check(request: web.Request,
                    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                    ) -> web.StreamResponse:
        page = is_page(request)
        if not page and not request.path.startswith("/v1/"):
            return await handler(request)  # the Connect API checks its SigV4 key itself
        if authorised(request, token):
            return await handler(request)
        if page and (redirect := token_from_query(request, token)) is not None:
            return redirect
        if page:
            raise web.HTTPUnauthorized(text="this testbed needs its token: open the "
                                            "dashboard as /?token=TOKEN")
        raise web.HTTPUnauthorized(text="missing or wrong bearer token")

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
    app[ENDPOINTS_KEY] = set()
    app[VIEWER_KEY] = asyncio.Event()
    app.on_shutdown.append(close_endpoints)
    add_dashboard(app)
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
    app.router.add_route("*", "/{path:.*}", connect_api(testbed_of, token))
    return app
