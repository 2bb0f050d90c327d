"""`testbed serve` under many clients and hostile input, driven as an outside client would.

These tests start `testbed serve` in another process and talk to it with plain
aiohttp from the test's own (ordinary) event loop, from docs/protocol.md alone.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest

SERVICE_NUMBER = "+18005550100"


class Served:
    """A `testbed serve` process and its base URL (no trailing slash)."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url


async def start_serve(*options: str) -> Served:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "serve", "--port", "0", *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    banner = (await process.stdout.readline()).decode()
    assert " on http://" in banner, banner
    return Served(process, banner.split(" on ")[1].split()[0])


async def stop_serve(served: Served) -> None:
    served.process.terminate()
    await served.process.wait()


@pytest.fixture
async def virtual_server(request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    marker = request.node.get_closest_marker("serve_options")
    options: Sequence[str] = marker.args if marker is not None else ()
    served = await start_serve("--virtual", *options)
    try:
        yield served
    finally:
        await stop_serve(served)


async def clock(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(f"{url}/v1/clock") as response:
        assert response.status == 200
        result: dict[str, Any] = await response.json()
        return result


# -- 1. the server's own network timers run in real time ------------------------


async def test_500_callers_connecting_at_once_to_a_virtual_server_all_get_through(
        virtual_server: Served) -> None:
    url = virtual_server.url
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one_caller(i: int) -> str:
            number = f"+1555{i:07d}"
            async with session.ws_connect(
                    f"{url}/v1/endpoints/caller?number=%2B{number[1:]}") as ws:
                await ws.send_json({"type": "dial", "to": SERVICE_NUMBER})
                async for frame in ws:
                    message = frame.json()
                    if message["type"] == "call_started":
                        return str(message["contact_id"])
            raise AssertionError(f"{number}: the line closed before the call started")

        contacts = await asyncio.gather(*(one_caller(i) for i in range(500)))
    assert len(set(contacts)) == 500


async def test_an_idle_virtual_clock_stays_put_while_clients_come_and_go(
        virtual_server: Served) -> None:
    # Each request on a new connection: the server's keep-alive timers must
    # not be testbed timers, or the idle virtual clock jumps to them.
    for _ in range(3):
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            state = await clock(session, virtual_server.url)
    assert state["now_s"] == 0.0
    assert state["wall"] == "2022-04-08T11:35:00.000Z"


# -- 2. the clock stays within the instants it can represent -------------------


async def post_clock(session: aiohttp.ClientSession, url: str,
                     body: dict[str, Any]) -> tuple[int, str]:
    async with session.post(f"{url}/v1/clock", json=body) as response:
        return response.status, await response.text()


@pytest.mark.parametrize("body, field", [
    ({"action": "advance", "seconds": 1e308}, "'seconds'"),
    ({"action": "advance", "seconds": 1e12}, "'seconds'"),
    ({"action": "run_until", "until": 1e308}, "'until'"),
    ({"action": "run_until", "until": 1e12}, "'until'"),
])
async def test_a_clock_request_past_the_last_instant_is_refused_and_the_server_carries_on(
        virtual_server: Served, body: dict[str, Any], field: str) -> None:
    url = virtual_server.url
    async with aiohttp.ClientSession() as session:
        status, text = await post_clock(session, url, body)
        assert status == 400
        assert field in text and "9999-01-01T00:00:00Z" in text
        for path in ("/v1/clock", "/v1/contacts", "/v1/metrics/realtime",
                     "/v1/metrics/historical"):
            async with session.get(f"{url}{path}") as response:
                assert response.status == 200, path
        assert (await clock(session, url))["now_s"] == 0.0
        # The largest advance that fits still works.
        status, text = await post_clock(session, url, {"action": "advance", "seconds": 86_400})
        assert status == 200 and '"now_s": 86400.0' in text


async def test_a_timer_past_the_last_instant_is_refused_naming_at_s(
        virtual_server: Served) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(
            f"{virtual_server.url}/v1/endpoints/caller?number=%2B15555550123") as ws:
        await ws.send_json({"type": "set_timer", "ref": "far", "at_s": 1e308})
        error = await ws.receive_json()
        assert (error["type"], error["code"], error["field"]) == ("error", "bad_message", "at_s")
        assert "9999-01-01T00:00:00Z" in error["detail"]
        async with session.get(f"{virtual_server.url}/v1/clock") as response:
            assert response.status == 200


@pytest.mark.serve_options("--paused")
async def test_pause_stops_a_long_advance_with_a_live_call(virtual_server: Served) -> None:
    url = virtual_server.url
    async with aiohttp.ClientSession() as session, session.ws_connect(
            f"{url}/v1/endpoints/caller?number=%2B15555550123") as caller:
        await caller.send_json({"type": "dial", "to": SERVICE_NUMBER})
        # The caller waits in queue (no agent): its queue flow plays forever.
        advance = asyncio.ensure_future(
            post_clock(session, url, {"action": "advance", "seconds": 1e9}))
        async for frame in caller:
            if frame.json()["t"] > 3600:  # an hour in: the advance is running
                break
        status, _text = await post_clock(session, url, {"action": "pause"})
        assert status == 200
        status, _text = await asyncio.wait_for(advance, 60)
        assert status == 200
        stopped = await clock(session, url)
        assert stopped["paused"] is True and 3600 < stopped["now_s"] < 1e9
        assert (await clock(session, url))["now_s"] == stopped["now_s"]  # it stays stopped


# -- 3. an endpoint that never acks cannot freeze the clock -----------------------


@pytest.mark.serve_options("--ack-timeout-s", "0.5")
async def test_an_endpoint_that_never_acks_is_disconnected_and_the_clock_goes_on(
        virtual_server: Served) -> None:
    url = virtual_server.url
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(
                f"{url}/v1/endpoints/caller?number=%2B15555550123&ack=1") as ws:
            await ws.send_json({"type": "dial", "to": SERVICE_NUMBER})
            heard = [frame.json() async for frame in ws if frame.type is aiohttp.WSMsgType.TEXT]
        assert heard[0]["type"] == "call_started"
        assert heard[-1]["type"] == "error" and heard[-1]["code"] == "ack_timeout"
        assert ws.closed
        status, text = await asyncio.wait_for(
            post_clock(session, url, {"action": "advance", "seconds": 60}), 30)
        assert status == 200 and '"now_s": 60.0' in text
        async with session.get(f"{url}/v1/contacts") as response:
            [record] = await response.json()
        assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
        assert record["DisconnectTimestamp"] == "2022-04-08T11:35:00Z"
        # The number is free again.
        async with session.ws_connect(
                f"{url}/v1/endpoints/caller?number=%2B15555550123") as again:
            await again.send_json({"type": "dial", "to": SERVICE_NUMBER})
            assert (await again.receive_json())["type"] == "call_started"


# -- 4. query parameters are validated -------------------------------------------


async def get_status(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    # A plain GET: the parameters are checked before the WebSocket handshake.
    async with session.get(url) as response:
        return response.status, await response.text()


@pytest.mark.parametrize("query, status, words", [
    ("number=+15555550123", 400, ["'number'", "%2B"]),      # unencoded '+': a space
    ("number=abc", 400, ["'number'", "E.164"]),
    ("number=%2B0123", 400, ["'number'"]),
    ("number=%2B15555550123&ack=maybe", 400, ["'ack'", "maybe"]),
])
async def test_bad_caller_query_parameters_are_refused_naming_them(
        virtual_server: Served, query: str, status: int, words: list[str]) -> None:
    async with aiohttp.ClientSession() as session:
        got, text = await get_status(session, f"{virtual_server.url}/v1/endpoints/caller?"
                                              f"{query}")
    assert got == status
    for word in words:
        assert word in text


@pytest.mark.parametrize("query, words", [
    ("username=al&queues=InboundQueue&acw_timeout_s=-1", ["'acw_timeout_s'", "-1"]),
    ("username=al&queues=InboundQueue&acw_timeout_s=nan", ["'acw_timeout_s'"]),
    ("username=al&queues=NoSuchQueue", ["NoSuchQueue"]),
    ("username=al&queues=InboundQueue&ack=yes", ["'ack'"]),
])
async def test_bad_agent_query_parameters_are_400_not_409(
        virtual_server: Served, query: str, words: list[str]) -> None:
    async with aiohttp.ClientSession() as session:
        got, text = await get_status(session, f"{virtual_server.url}/v1/endpoints/agent?"
                                              f"{query}")
    assert got == 400
    for word in words:
        assert word in text


async def test_a_second_connection_for_the_same_agent_is_409(virtual_server: Served) -> None:
    url = f"{virtual_server.url}/v1/endpoints/agent?username=al&queues=InboundQueue&ack=true"
    async with aiohttp.ClientSession() as session, session.ws_connect(url):
        got, text = await get_status(session, url)
    assert got == 409 and "'al'" in text


async def test_a_message_of_the_other_role_gets_one_error_code(virtual_server: Served) -> None:
    url = virtual_server.url
    async with aiohttp.ClientSession() as session, \
            session.ws_connect(f"{url}/v1/endpoints/caller?number=%2B15555550123") as caller, \
            session.ws_connect(f"{url}/v1/endpoints/agent?username=al&queues=InboundQueue"
                               ) as agent:
        await caller.send_json({"type": "accept", "contact_id": "x"})
        await caller.send_json({"type": "set_status", "status": "Available"})
        await caller.send_json({"type": "end_after_contact_work", "contact_id": "x"})
        await agent.send_json({"type": "dial", "to": SERVICE_NUMBER})
        await agent.send_json({"type": "answer", "contact_id": "x"})
        await agent.send_json({"type": "send_digits", "contact_id": "x", "digits": "1"})
        caller_codes = [(await caller.receive_json())["code"] for _ in range(3)]
        agent_codes = [(await agent.receive_json())["code"] for _ in range(3)]
    assert caller_codes == agent_codes == ["wrong_role"] * 3


# -- 5. a scaled replay, started paused as the docs show, is exact ----------------


@pytest.mark.testbed  # on the testbed's loop, for the in-process run it is compared with
async def test_a_paused_then_resumed_scaled_replay_gives_the_seed_records() -> None:
    from fakes import MockAgent, MockCaller
    from testbed import Testbed
    from testbed.core.messages import AgentStatus
    from testbed.load.demos import setup_queued_callback
    from testbed.server.remote import connect_agent, connect_caller

    # docs/protocol.md's recipe for a replay, as written but for a higher speed.
    protocol = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
    [command] = re.findall(r"^testbed serve (.*)$", protocol.read_text(), flags=re.M)
    flags = command.split()
    assert "--paused" in flags
    flags[flags.index("--speed") + 1] = "300"
    served = await start_serve(*flags)
    try:
        url = served.url
        agent = MockAgent("alex", ["InboundQueue", "CallbackQueue"], available_at=240.0)
        john = MockCaller("+15555550123", dial=SERVICE_NUMBER, callback_after_s=120,
                          talk_s=335)
        async with aiohttp.ClientSession() as session, \
                connect_agent(url, agent), connect_caller(url, john):
            done = asyncio.ensure_future(agent.wait_for(
                AgentStatus, lambda m: m.state == "Available" and bool(agent.handled)))
            assert (await post_clock(session, url, {"action": "resume"}))[0] == 200
            await asyncio.wait_for(done, 60)
            async with session.get(f"{url}/v1/contacts") as response:
                records = await response.json()
    finally:
        await stop_serve(served)
    async with Testbed() as local:
        setup_queued_callback(local)
        await local.run_until_idle()
    assert records == [r.to_ctr() for r in local.records]


# -- a reader that does not read cannot make the server keep everything ----------


async def test_an_event_stream_reader_that_stops_reading_is_let_go(testbed: Any) -> None:
    from aiohttp.test_utils import TestServer

    from fakes import MockCaller
    from testbed.load.demos import queued_callback_centre
    from testbed.server.app import MAX_BACKLOG, create_app

    queued_callback_centre(testbed)
    service = testbed.record_service
    async with TestServer(create_app(testbed), host="127.0.0.1", port=0) as server, \
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session, \
            session.ws_connect(server.make_url("/v1/events")) as events:
        assert events._response.connection is not None
        transport = events._response.connection.transport
        assert transport is not None
        transport.pause_reading()  # a dashboard that hangs
        await testbed.advance(1)
        assert len(service.listeners("event")) == 1
        callers = 0
        # Calls at one instant each, until the server stops keeping the stream's
        # backlog (kernel buffers take some megabytes first); bounded.
        while service.listeners("event") and callers < 60_000:
            for _ in range(1000):
                callers += 1
                testbed.add_caller(MockCaller(f"+1555{callers:07d}", dial=SERVICE_NUMBER,
                                              patience_s=0), transient=True)
            await testbed.advance(1)
        assert service.listeners("event") == []  # let go
        transport.resume_reading()
        frames = [frame async for frame in events]
    assert len(frames) >= MAX_BACKLOG
    assert events.close_code == aiohttp.WSCloseCode.TRY_AGAIN_LATER
    assert frames[-1].json()["kind"]  # whole events up to the end


async def test_an_endpoint_that_stops_reading_is_disconnected_as_too_slow(testbed: Any) -> None:
    from aiohttp.test_utils import TestServer

    from testbed.load.demos import queued_callback_centre
    from testbed.server.app import MAX_BACKLOG, create_app

    queued_callback_centre(testbed)
    async with TestServer(create_app(testbed), host="127.0.0.1", port=0) as server, \
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session, \
            session.ws_connect(server.make_url("/v1/endpoints/caller?number=%2B15555550123")
                               ) as caller:
        assert caller._response.connection is not None
        transport = caller._response.connection.transport
        assert transport is not None
        transport.pause_reading()  # a phone that hangs, while its calls go on
        dialled = 0
        while dialled < 40_000 and not (testbed.records and all(
                r.disconnect_reason == "CUSTOMER_DISCONNECT" for r in testbed.records)):
            for _ in range(2000):
                await caller.send_json({"type": "dial", "to": SERVICE_NUMBER})
            dialled += 2000
            await testbed.advance(10)  # hold music for every call
        transport.resume_reading()
        frames = [frame.json() async for frame in caller]
    assert all(r.disconnect_reason == "CUSTOMER_DISCONNECT" for r in testbed.records)
    assert len(frames) > MAX_BACKLOG
    assert frames[-1]["type"] == "error" and frames[-1]["code"] == "too_slow"


# -- a served run does not append to a store that holds one already ----------------


async def test_serve_refuses_a_store_that_holds_a_run_unless_overwritten(tmp_path: Path) -> None:
    store = tmp_path / "run.sqlite"
    demo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "demo", "queued-callback", "--virtual", "--json",
        "--records", str(store), stdout=asyncio.subprocess.DEVNULL)
    assert await demo.wait() == 0
    refused = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "serve", "--virtual", "--port", "0",
        "--records", str(store), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(refused.communicate(), 60)
    assert refused.returncode == 2 and out == b""
    [line] = err.decode().splitlines()
    assert "run.sqlite" in line and "--overwrite" in line
    served = await start_serve("--virtual", "--records", str(store), "--overwrite")
    try:
        async with aiohttp.ClientSession() as session, \
                session.get(f"{served.url}/v1/contacts") as response:
            assert await response.json() == []  # the earlier run is gone
    finally:
        await stop_serve(served)


async def test_serve_takes_a_flow_folder_with_bots_and_hours_beside_the_flows() -> None:
    folder = Path(__file__).resolve().parent.parent / "scripts" / "flows" / "lambda-lex"
    served = await start_serve("--virtual", "--centre", "none", "--flows", str(folder),
                               "--number", "+18005550100=Inbound")
    try:
        async with aiohttp.ClientSession() as session:
            assert (await clock(session, served.url))["now_s"] == 0.0
    finally:
        await stop_serve(served)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
async def test_a_clock_post_that_is_not_json_is_refused_and_changes_nothing(
        virtual_server: Served, content_type: str) -> None:
    url = virtual_server.url
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/v1/clock", data='{"action": "advance", "seconds": 60}',
                                headers={"Content-Type": content_type}) as response:
            assert response.status == 415
            assert "application/json" in await response.text()
        assert (await clock(session, url))["now_s"] == 0.0
