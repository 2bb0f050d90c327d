"""Connect-shaped contact events and records over HTTP: streams and webhooks.

    GET /v1/connect/events[?from=start]    contact events (EventBridge shape)
    GET /v1/connect/records[?from=start]   contact records (a Lambda's Kinesis event each)
    GET /v1/connect/webhooks               what each webhook delivered, dropped, refused

A stream is a WebSocket (one JSON object per text frame) when the request asks
for one, else JSON lines over chunked HTTP (``application/x-ndjson``, one
object per line, written as it happens).  It is live from the moment of
connection; ``from=start`` first sends everything of the run so far.  A reader
that lets more than ``MAX_BACKLOG`` items wait gets those, then the end: a
WebSocket closes with 1013 (try again later) and the reason, a JSON-lines
stream ends with a line ``{"error": "too_slow", "detail": ...}``.  The clock
never waits for a reader.  At shutdown streams end (WebSocket code 1001).

Webhooks (``add_connect_streams(..., events_webhooks=..., records_webhooks=...)``)
start with the app and are closed with it (see ``testbed.server.webhook``).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator

from aiohttp import WSCloseCode, WSMsgType, web

from testbed.centre.facade import Testbed
from testbed.server.connect_events import lambda_event
from testbed.server.connect_feed import ConnectFeed, Item, ItemKind
from testbed.server.webhook import Webhook, WebhookOptions

__all__ = ["FEED_KEY", "MAX_BACKLOG", "WEBHOOKS_KEY", "add_connect_streams"]

FEED_KEY: web.AppKey[ConnectFeed] = web.AppKey("connect_feed", ConnectFeed)
WEBHOOKS_KEY: web.AppKey[list[Webhook]] = web.AppKey("connect_webhooks")
_STREAMS_KEY: web.AppKey[set[_Outbox]] = web.AppKey("connect_streams")
#: Items waiting for a stream reader, past which the stream is ended.
MAX_BACKLOG = 10_000
# How often (real seconds) an idle JSON-lines stream checks that its reader is still there.
_IDLE_CHECK_S = 5.0
_FROM = {"start": True, "now": False}
_SHUTDOWN = "the server is shutting down"


class _Outbox:
    """The items waiting for one stream reader, bounded; it ends when too full or told."""

    def __init__(self) -> None:
        self.items: deque[Item] = deque()
        self.ready = asyncio.Event()
        self.ended: str | None = None  # why, once ended
        self.unsubscribe: Callable[[], None] = _nothing

    def put(self, item: Item) -> None:
        if self.ended is not None:
            return
        if len(self.items) >= MAX_BACKLOG:
            self.end(f"more than {MAX_BACKLOG} items waited to be read; the stream is closed")
            return
        self.items.append(item)
        self.ready.set()

    def end(self, why: str) -> None:
        if self.ended is None:
            self.ended = why
            self.unsubscribe()
            self.ready.set()

    async def drain(self, backlog: Iterator[Item]) -> AsyncIterator[Item]:
        """The backlog, then the live items until the outbox ends."""
        for item in backlog:
            yield item
            await asyncio.sleep(0)  # the engine keeps running while a long backlog goes out
        while True:
            while self.items:
                yield self.items.popleft()
            if self.ended is not None:
                return
            self.ready.clear()
            await self.ready.wait()


def _nothing() -> None:
    pass


def _from_start(request: web.Request) -> bool:
    for name in request.query:
        if name != "from":
            raise web.HTTPBadRequest(text=f"unknown query parameter {name[:100]!r}; "
                                          f"{request.path} takes only from=start or from=now")
    values = request.query.getall("from", [])
    if len(values) > 1 or (values and values[0] not in _FROM):
        raise web.HTTPBadRequest(text=f"query parameter 'from' must be start or now, "
                                      f"got {', '.join(repr(v[:100]) for v in values)}")
    return bool(values) and _FROM[values[0]]


def _frame(kind: ItemKind, item: Item) -> str:
    return json.dumps(item if kind == "events" else lambda_event([item]),
                      separators=(",", ":"))


async def _stream(request: web.Request, kind: ItemKind) -> web.StreamResponse:
    from_start = _from_start(request)
    outbox = _Outbox()
    ws = web.WebSocketResponse(heartbeat=None)
    streams = request.app[_STREAMS_KEY]
    backlog, outbox.unsubscribe = request.app[FEED_KEY].subscribe(
        kind, outbox.put, from_start=from_start)
    streams.add(outbox)
    try:
        if ws.can_prepare(request).ok:
            await ws.prepare(request)
            await _write_websocket(ws, outbox, kind, backlog)
            return ws
        return await _write_lines(request, outbox, kind, backlog)
    finally:
        streams.discard(outbox)
        outbox.end("the reader left")


async def _write_websocket(ws: web.WebSocketResponse, outbox: _Outbox, kind: ItemKind,
                           backlog: Iterator[Item]) -> None:
    async def write() -> None:
        async for item in outbox.drain(backlog):
            await ws.send_str(_frame(kind, item))
        going_away = outbox.ended == _SHUTDOWN
        await ws.close(code=WSCloseCode.GOING_AWAY if going_away
                       else WSCloseCode.TRY_AGAIN_LATER,
                       message=(outbox.ended or "").encode()[:120])

    writer = asyncio.create_task(write())
    try:
        async for frame in ws:
            if frame.type is WSMsgType.ERROR:
                break  # the stream is one-way; anything the reader sends is ignored
    finally:
        outbox.end("the reader left")
        if not writer.done():
            writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)


async def _write_lines(request: web.Request, outbox: _Outbox, kind: ItemKind,
                       backlog: Iterator[Item]) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    watcher = asyncio.create_task(_watch_reader(request, outbox))
    try:
        async for item in outbox.drain(backlog):
            await response.write(_frame(kind, item).encode() + b"\n")
        if outbox.ended not in (_SHUTDOWN, "the reader left"):
            await response.write(json.dumps({"error": "too_slow",
                                             "detail": outbox.ended}).encode() + b"\n")
        await response.write_eof()
    except ConnectionError:
        pass  # the reader went away mid-write
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    return response


async def _watch_reader(request: web.Request, outbox: _Outbox) -> None:
    """End the stream once its reader has closed the connection (found within seconds)."""
    while outbox.ended is None:
        transport = request.transport
        if transport is None or transport.is_closing():
            outbox.end("the reader left")
            return
        await asyncio.sleep(_IDLE_CHECK_S)


async def connect_events(request: web.Request) -> web.StreamResponse:
    return await _stream(request, "events")


async def connect_records(request: web.Request) -> web.StreamResponse:
    return await _stream(request, "records")


async def connect_webhooks(request: web.Request) -> web.Response:
    return web.json_response([hook.status() for hook in request.app[WEBHOOKS_KEY]])


def add_connect_streams(app: web.Application, tb: Testbed, *,
                        events_webhooks: Iterable[str] = (),
                        records_webhooks: Iterable[str] = (),
                        webhook_options: WebhookOptions | None = None) -> None:
    """Serve ``tb``'s Connect events and records on ``app``, and deliver them to the
    webhooks from the app's start to its cleanup.  A bad URL is a ConfigError."""
    feed = ConnectFeed(tb)
    hooks = [Webhook(url, "events", webhook_options) for url in events_webhooks]
    hooks += [Webhook(url, "records", webhook_options) for url in records_webhooks]
    app[FEED_KEY] = feed
    app[WEBHOOKS_KEY] = hooks
    app[_STREAMS_KEY] = set()
    app.router.add_get("/v1/connect/events", connect_events)
    app.router.add_get("/v1/connect/records", connect_records)
    app.router.add_get("/v1/connect/webhooks", connect_webhooks)

    async def deliver(app: web.Application) -> AsyncIterator[None]:
        leave: list[Callable[[], None]] = []
        for hook in hooks:
            _backlog, unsubscribe = feed.subscribe(hook.kind, hook.put)
            leave.append(unsubscribe)
            hook.start()
        try:
            yield
        finally:
            for unsubscribe in leave:
                unsubscribe()
            await asyncio.gather(*(hook.close() for hook in hooks))

    async def end_streams(app: web.Application) -> None:
        streams: set[_Outbox] = app[_STREAMS_KEY]
        for outbox in list(streams):
            outbox.end(_SHUTDOWN)

    app.cleanup_ctx.append(deliver)
    app.on_shutdown.append(end_streams)
