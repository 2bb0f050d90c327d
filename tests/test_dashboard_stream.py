"""What the dashboard reads from the server: the VIEW and TICK frames of
``/v1/events?view=1``, the clock's speed action, its files, and the token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from testbed import Testbed
from testbed.load.demos import setup_queued_callback
from testbed.server.app import create_app
from testbed.server.dashboard.routes import STATIC_NAMES

# The client shares the testbed's event loop: no timeouts on testbed time.
NO_TIMEOUT = aiohttp.ClientTimeout(total=None)


@pytest.fixture
async def served(testbed: Testbed) -> AsyncIterator[tuple[Testbed, str, aiohttp.ClientSession]]:
    """The reference scenario, paused at its start and served."""
    testbed.clock.pause()
    setup_queued_callback(testbed)
    async with TestServer(create_app(testbed), host="127.0.0.1", port=0) as server, \
            aiohttp.ClientSession(timeout=NO_TIMEOUT) as http:
        yield testbed, str(server.make_url("")).rstrip("/"), http


def _queue(frame: dict[str, Any], name: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [q for q in frame["queues"] if q["queue"] == name]
    [row] = rows
    return row


async def test_a_page_opened_mid_run_gets_the_centre_as_it_is(
        served: tuple[Testbed, str, aiohttp.ClientSession]) -> None:
    tb, url, http = served
    await tb.run_until("2022-04-08T11:38:50Z")
    async with http.ws_connect(f"{url}/v1/events?view=1") as ws:
        view = await ws.receive_json()
    assert view["kind"] == "VIEW"
    assert view["clock"]["wall"] == "2022-04-08T11:38:50.000Z" and view["clock"]["paused"]
    callback = _queue(view, "CallbackQueue")
    assert (callback["in_queue"], callback["oldest_age_s"], callback["scheduled"]) == (1, 11.0, 0)
    assert _queue(view, "InboundQueue")["in_queue"] == 0
    assert view["in_queue"] == 1 and view["on_contact"] == 0
    [alex] = view["agents"]
    assert (alex["username"], alex["state"], alex["since_s"]) == ("alex", "Offline", 0.0)
    inbound, callback_contact = view["contacts"]
    assert [e["kind"] for e in callback_contact["events"]] == ["INITIATED", "SCHEDULED",
                                                               "ENQUEUED"]
    assert inbound["events"][-1]["kind"] == "COMPLETED"
    # Contacts in queue over time: 1 (John waits), 0 (he took the callback), then 1.
    assert [p[1] for p in view["history"]] == [1, 0]


async def test_events_and_ticks_follow_the_view(
        served: tuple[Testbed, str, aiohttp.ClientSession]) -> None:
    tb, url, http = served
    await tb.run_until("2022-04-08T11:38:50Z")
    async with http.ws_connect(f"{url}/v1/events?view=1") as ws:
        assert (await ws.receive_json())["kind"] == "VIEW"
        await tb.run_until("2022-04-08T11:39:00Z")
        kinds: list[str] = []
        while not kinds or kinds[-1] != "TICK":
            kinds.append((await ws.receive_json())["kind"])
    # The events of 11:39:00, in order, then the clock moved on: a TICK.
    assert kinds == ["AGENT_STATE", "OFFERED", "DEQUEUED", "AGENT_STATE", "TICK"]


async def test_a_tick_carries_the_clock_and_the_queues_now(
        served: tuple[Testbed, str, aiohttp.ClientSession]) -> None:
    tb, url, http = served
    async with http.ws_connect(f"{url}/v1/events?view=1") as ws:
        assert (await ws.receive_json())["kind"] == "VIEW"
        await tb.run_until("2022-04-08T11:39:25Z")
        while (frame := await ws.receive_json())["kind"] != "TICK":
            pass
    assert frame["clock"]["wall"] == "2022-04-08T11:39:25.000Z"
    callback = _queue(frame, "CallbackQueue")
    assert (callback["in_queue"], callback["handled"], callback["staffed"],
            callback["available"]) == (0, 1, 1, 0)
    assert callback["service_level"] == {"20": 0.0, "60": 0.0}  # it left after 120 s
    assert frame["on_contact"] == 1 and frame["agents_by_state"] == {"Busy": 1}


async def test_the_plain_event_stream_is_unchanged(
        served: tuple[Testbed, str, aiohttp.ClientSession]) -> None:
    tb, url, http = served
    async with http.ws_connect(f"{url}/v1/events") as ws:
        await tb.run_until("2022-04-08T11:37:00Z")
        first = await ws.receive_json()
    assert (first["t"], first["kind"]) == (120.0, "INITIATED")
    assert set(first) == {"t", "timestamp", "contact_id", "kind", "data"}


async def test_the_clock_speed_can_be_set(
        served: tuple[Testbed, str, aiohttp.ClientSession]) -> None:
    tb, url, http = served
    async with http.post(f"{url}/v1/clock", json={"action": "speed", "speed": 120}) as r:
        assert (r.status, (await r.json())["speed"]) == (200, 120.0)
    async with http.post(f"{url}/v1/clock", json={"action": "speed", "speed": None}) as r:
        assert (await r.json())["virtual"] is True
    for bad in (0, -1, "fast", True):
        async with http.post(f"{url}/v1/clock", json={"action": "speed", "speed": bad}) as r:
            assert r.status == 400 and repr(bad) in await r.text()
    assert tb.clock.paused


async def test_the_page_and_its_files_are_served_with_a_strict_policy(
        served: tuple[Testbed, str, aiohttp.ClientSession]) -> None:
    _tb, url, http = served
    async with http.get(f"{url}/") as r:
        assert r.status == 200 and r.content_type == "text/html"
        assert "/dashboard/main.js" in await r.text()
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert {"main.js", "model.js", "style.css"} <= set(STATIC_NAMES)
    for name in STATIC_NAMES:
        if name != "index.html":
            async with http.get(f"{url}/dashboard/{name}") as r:
                assert r.status == 200 and r.headers["X-Content-Type-Options"] == "nosniff"
    for missing in ("nope.js", "index.html", "..%2Fapp.py"):
        async with http.get(f"{url}/dashboard/{missing}") as r:
            assert r.status == 404


async def test_with_a_token_the_page_takes_it_once_and_keeps_it_in_a_cookie(
        testbed: Testbed) -> None:
    testbed.clock.pause()
    async with TestServer(create_app(testbed, token="s3cret"), host="127.0.0.1",
                          port=0) as server, aiohttp.ClientSession(
                timeout=NO_TIMEOUT, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for path in ("/", "/?token=wrong", "/dashboard/main.js", "/v1/clock"):
            async with http.get(server.make_url(path)) as r:
                assert r.status == 401
        async with http.get(server.make_url("/?token=s3cret"), allow_redirects=False) as r:
            assert (r.status, r.headers["Location"]) == (303, "/")
            cookie = r.cookies[f"testbed_token_{server.port}"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
        for path in ("/", "/dashboard/main.js", "/v1/clock"):
            async with http.get(server.make_url(path)) as r:
                assert r.status == 200
