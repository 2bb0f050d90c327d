"""Contact events and records POSTed to a user's own endpoint, as they happen."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from testbed import Testbed
from testbed.core.errors import ConfigError
from testbed.core.loop import network_time
from testbed.load.demos import setup_queued_callback
from testbed.server.app import create_app
from testbed.server.webhook import WebhookOptions

from .conftest import at

NO_TIMEOUT = aiohttp.ClientTimeout(total=None)
# Retries a few real milliseconds apart, so a test of them takes no time to speak of.
QUICK = WebhookOptions(first_retry_s=0.01, max_retry_s=0.05)
# A safety net for a delivery that never comes (the test fails, rather than hangs).
PATIENCE_S = 30.0


class Receiver:
    """A user's webhook endpoint: keeps every body it is sent, in order, and answers
    with the statuses in ``answers`` (then 200)."""

    def __init__(self, answers: Iterable[int] = ()) -> None:
        self.answers = iter(answers)
        self.bodies: list[Any] = []
        self.accepted: list[Any] = []
        self.content_types: set[str] = set()
        self.hold = asyncio.Event()  # set: answer; unset with hang=True: never answer
        self.hang = False
        self._arrived = asyncio.Condition()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.content_types.add(request.content_type)
        self.bodies.append(body)
        if self.hang:
            await self.hold.wait()
        status = next(self.answers, 200)
        if status < 300:
            self.accepted.append(body)
        async with self._arrived:
            self._arrived.notify_all()
        return web.Response(status=status, text="" if status < 300 else "not today")

    async def wait_for(self, count: int) -> list[Any]:
        """The first ``count`` bodies answered 2xx, once they have come."""
        async def arrived() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.accepted) >= count)

        with network_time():
            await asyncio.wait_for(arrived(), PATIENCE_S)
        return self.accepted[:count]


@asynccontextmanager
async def receiving(receiver: Receiver, sock: socket.socket | None = None
                    ) -> AsyncIterator[str]:
    """The receiver served on 127.0.0.1 (on ``sock`` if given); its URL."""
    runner = web.AppRunner(receiver.app())
    await runner.setup()
    if sock is None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    finally:
        receiver.hold.set()
        with network_time():
            await runner.cleanup()


@asynccontextmanager
async def serving(tb: Testbed, **options: Any) -> AsyncIterator[str]:
    """``tb`` served with ``create_app(tb, **options)``; its URL, without a trailing slash."""
    server = TestServer(create_app(tb, **options), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        with network_time():  # shutdown timeouts and the webhooks' flush are real seconds
            await server.close()


def event_ids(bodies: Iterable[dict[str, Any]]) -> list[str]:
    return [body["id"] for body in bodies]


async def all_events(url: str) -> list[dict[str, Any]]:
    """Every contact event of the run so far, from the JSON-lines stream."""
    async with aiohttp.ClientSession(timeout=NO_TIMEOUT) as session, \
            session.get(f"{url}/v1/connect/events?from=start") as response:
        events: list[dict[str, Any]] = []
        while len(events) < 8:
            events.append(json.loads(await response.content.readline()))
        return events


async def webhook_status(url: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession(timeout=NO_TIMEOUT) as session, \
            session.get(f"{url}/v1/connect/webhooks") as response:
        status: list[dict[str, Any]] = await response.json()
        return status


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "testbed.server.webhook"]


async def test_each_contact_event_is_posted_in_order(testbed: Testbed) -> None:
    receiver = Receiver()
    async with receiving(receiver) as hook, serving(testbed, events_webhooks=[hook]) as url:
        setup_queued_callback(testbed)
        await testbed.run_until_idle()
        posted = await receiver.wait_for(8)
        assert posted == await all_events(url)
    assert [e["detail"]["eventType"] for e in posted] == [
        "INITIATED", "QUEUED", "INITIATED", "DISCONNECTED", "QUEUED", "CONNECTED_TO_SYSTEM",
        "CONNECTED_TO_AGENT", "DISCONNECTED"]
    assert receiver.content_types == {"application/json"}
    assert len(receiver.bodies) == 8  # each once: nothing failed


async def test_a_webhook_that_fails_then_recovers_gets_every_event_at_least_once(
        testbed: Testbed, caplog: pytest.LogCaptureFixture) -> None:
    receiver = Receiver(answers=[503, 503, 503])
    async with receiving(receiver) as hook, \
            serving(testbed, events_webhooks=[hook], webhook_options=QUICK) as url:
        setup_queued_callback(testbed)
        await testbed.run_until_idle()
        posted = await receiver.wait_for(8)
        assert event_ids(posted) == event_ids(await all_events(url))
        [status] = await webhook_status(url)
    first = posted[0]["id"]
    assert event_ids(receiver.bodies[:4]) == [first] * 4  # sent again until it was taken
    assert (status["delivered"], status["retries"], status["failing"], status["last_error"]) \
        == (8, 3, False, "HTTP 503")
    assert warnings_of(caplog) == [
        f"webhook {hook}: delivery failing (HTTP 503); retrying, every 0.05 s at most",
        f"webhook {hook}: delivering again"]


async def test_an_event_the_endpoint_refuses_is_counted_said_and_not_sent_again(
        testbed: Testbed, caplog: pytest.LogCaptureFixture) -> None:
    receiver = Receiver(answers=[400])
    async with receiving(receiver) as hook, \
            serving(testbed, events_webhooks=[hook], webhook_options=QUICK) as url:
        setup_queued_callback(testbed)
        await testbed.run_until_idle()
        posted = await receiver.wait_for(7)
        events = await all_events(url)
        [status] = await webhook_status(url)
    assert event_ids(posted) == event_ids(events[1:])
    assert (status["delivered"], status["refused"], status["retries"]) == (7, 1, 0)
    assert warnings_of(caplog) == [
        f"webhook {hook} refused a contact event with HTTP 400: not today; refused ones "
        f"are not sent again",
        f"webhook {hook}: delivering again; 1 refused meanwhile"]


class Said(logging.Handler):
    """Set ``heard`` once the webhook logger says something containing ``words``."""

    def __init__(self, words: str) -> None:
        super().__init__()
        self.words = words
        self.heard = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.heard.set()


async def test_a_webhook_that_cannot_be_reached_gets_every_event_once_it_listens(
        testbed: Testbed) -> None:
    # The port is the endpoint's, bound but not listening yet: connections are refused.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    hook = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    failing = Said("delivery failing")
    logger = logging.getLogger("testbed.server.webhook")
    logger.addHandler(failing)
    receiver = Receiver()
    try:
        async with serving(testbed, events_webhooks=[hook], webhook_options=QUICK) as url:
            setup_queued_callback(testbed)
            await testbed.run_until_idle()
            await failing.heard.wait()
            [refused] = await webhook_status(url)
            async with receiving(receiver, sock):
                posted = await receiver.wait_for(8)
                assert event_ids(posted) == event_ids(await all_events(url))
    finally:
        logger.removeHandler(failing)
    assert refused["last_error"].startswith("cannot connect:")
    assert (refused["failing"], refused["delivered"], refused["pending"]) == (True, 0, 8)


async def test_webhook_retries_never_move_the_clock(testbed: Testbed) -> None:
    receiver = Receiver(answers=[503] * 5)
    again = Said("delivering again")
    logger = logging.getLogger("testbed.server.webhook")
    logger.addHandler(again)
    try:
        async with receiving(receiver) as hook, \
                serving(testbed, events_webhooks=[hook], webhook_options=QUICK):
            setup_queued_callback(testbed)
            await testbed.run_until_idle()
            finished = testbed.now
            await again.heard.wait()  # five failures and their backoffs later
            assert testbed.now == finished
    finally:
        logger.removeHandler(again)


async def test_a_webhook_that_never_answers_keeps_the_newest_drops_the_oldest_and_says_so(
        testbed: Testbed, caplog: pytest.LogCaptureFixture) -> None:
    receiver = Receiver()
    receiver.hang = True
    options = WebhookOptions(max_pending=3, timeout_s=0.05, first_retry_s=0.01,
                             max_retry_s=0.05, flush_s=0.1)
    async with receiving(receiver) as hook:
        async with serving(testbed, events_webhooks=[hook], webhook_options=options) as url:
            setup_queued_callback(testbed)
            await testbed.run_until_idle()
            [status] = await webhook_status(url)
        assert receiver.accepted == []
    # The first event is in flight, retried after each timeout; of the seven after
    # it, the newest three wait and four were dropped.  At shutdown, after its
    # flush, the four left are given up too.
    assert (status["delivered"], status["pending"], status["dropped"]) == (0, 4, 4)
    said = warnings_of(caplog)
    assert f"webhook {hook}: delivery failing (no answer within 0.05 s); retrying, every " \
           f"0.05 s at most" in said
    assert any(line.startswith(f"webhook {hook}: 3 contact events wait to be delivered, the "
                               f"most kept; the oldest are dropped until it takes them")
               for line in said)
    assert said[-1] == (f"webhook {hook}: 4 contact events not delivered by shutdown "
                        f"(waited 0.1 s) (last failure: no answer within 0.05 s)")


async def test_what_waits_at_shutdown_is_delivered_first(testbed: Testbed) -> None:
    receiver = Receiver()
    async with receiving(receiver) as hook:
        async with serving(testbed, events_webhooks=[hook]):
            setup_queued_callback(testbed)
            await testbed.run_until_idle()
        assert len(receiver.accepted) == 8  # the server's close waited for them


async def test_records_are_posted_as_the_kinesis_event_a_lambda_gets(testbed: Testbed) -> None:
    receiver = Receiver()
    async with receiving(receiver) as hook, serving(testbed, records_webhooks=[hook]):
        setup_queued_callback(testbed)
        await testbed.run_until_idle()
    records = [record for body in receiver.accepted for record in body["Records"]]
    ctrs = [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in records]
    assert [(r["kinesis"]["partitionKey"], r["eventSource"]) for r in records] == \
        [(record.contact_id, "aws:kinesis") for record in testbed.records]
    assert [(c["InitiationMethod"], c["DisconnectTimestamp"]) for c in ctrs] == \
        [("INBOUND", at("11:37:00")), ("CALLBACK", at("11:45:00"))]


async def test_a_webhook_url_that_is_not_http_is_refused_naming_it(testbed: Testbed) -> None:
    with pytest.raises(ConfigError, match=re.escape("'ftp://example.com/hook'")):
        create_app(testbed, events_webhooks=["ftp://example.com/hook"])
    with pytest.raises(ConfigError, match=re.escape("'http:///hook'")):
        create_app(testbed, records_webhooks=["http:///hook"])


@pytest.mark.parametrize(("option", "value"), [
    ("max_pending", 0), ("timeout_s", -1.0), ("flush_s", float("nan")), ("batch", 2.5),
])
def test_webhook_options_refuse_a_bad_value_naming_it(option: str, value: float) -> None:
    with pytest.raises(ConfigError, match=f"webhook {option} must be .*got {value!r}"):
        options: dict[str, Any] = {option: value}
        WebhookOptions(**options)
