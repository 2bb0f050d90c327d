"""The served testbed: remote endpoints over WebSocket and the HTTP API."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from fakes import MockAgent, MockCaller
from testbed import Testbed
from testbed.core.messages import AgentStatus, Error
from testbed.load.demos import SERVICE_NUMBER, setup_queued_callback
from testbed.server.app import create_app
from testbed.server.remote import connect_agent, connect_caller

from .conftest import JOHN, seed_centre

# The client shares the testbed's event loop, so its timeouts would run on
# testbed time (and expire when the clock jumps): no timeouts here.
NO_TIMEOUT = aiohttp.ClientTimeout(total=None)


@pytest.fixture
async def served(testbed: Testbed) -> AsyncIterator[tuple[Testbed, str]]:
    seed_centre(testbed)
    testbed.clock.pause()  # time stands still until the endpoints are connected
    async with TestServer(create_app(testbed), host="127.0.0.1", port=0) as server:
        yield testbed, str(server.make_url("/"))


async def test_seed_with_remote_endpoints_matches_the_in_process_run(
        served: tuple[Testbed, str]) -> None:
    tb, url = served
    agent = MockAgent("alex", ["InboundQueue", "CallbackQueue"], available_at=240.0)
    john = MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0.0, callback_after_s=120,
                      answer_after_s=0, talk_s=335)
    async with connect_agent(url, agent), connect_caller(url, john):
        tb.clock.resume()
        await tb.run_until_idle()
        remote = tb.records_json()

    async with Testbed() as local:
        setup_queued_callback(local)
        await local.run_until_idle()
    assert remote == local.records_json()
    assert [t for t, _m in john.heard][-1] == 600.0  # John heard the hang-up at 11:45


async def test_contacts_and_clock_over_http(served: tuple[Testbed, str]) -> None:
    tb, url = served
    john = MockCaller(JOHN, dial=SERVICE_NUMBER, patience_s=30)
    async with connect_caller(url, john), aiohttp.ClientSession(timeout=NO_TIMEOUT) as http:
        tb.clock.resume()
        await tb.run_until_idle()
        async with http.get(f"{url}v1/contacts") as response:
            [record] = await response.json()
        assert record["DisconnectTimestamp"] == "2022-04-08T11:35:30Z"
        async with http.get(f"{url}v1/contacts/{record['ContactId']}") as response:
            assert (await response.json())["DisconnectReason"] == "CUSTOMER_DISCONNECT"
        async with http.get(f"{url}v1/contacts/nope") as response:
            assert response.status == 404
        async with http.post(f"{url}v1/clock", json={"action": "pause"}) as response:
            paused = await response.json()
        assert paused["paused"] is True
        async with http.post(f"{url}v1/clock", json={"action": "advance", "seconds": 60}) as r:
            state = await r.json()
        assert state["now_s"] == paused["now_s"] + 60
        async with http.post(f"{url}v1/clock",
                             json={"action": "run_until", "until": "2022-04-08T12:00:00Z"}) as r:
            state = await r.json()
        assert state["wall"] == "2022-04-08T12:00:00.000Z"
        async with http.post(f"{url}v1/clock", json={"action": "fly"}) as response:
            assert response.status == 400
            assert "unknown action 'fly'" in await response.text()


async def test_bad_messages_get_an_error_and_the_call_carries_on(
        served: tuple[Testbed, str]) -> None:
    tb, url = served
    async with aiohttp.ClientSession(timeout=NO_TIMEOUT) as http, \
            http.ws_connect(f"{url}v1/endpoints/caller?number=%2B15555550123") as ws:
        tb.clock.resume()
        for bad, says in (("{nope", "malformed JSON"),
                          ('{"type": "dial", "to": 7}', "field 'to' must be a string"),
                          ('{"type": "warp"}', "unknown message type 'warp'"),
                          ('{"type": "hangup", "contact_id": "c-1"}', "not a live contact"),
                          ("x" * 70_000, "over the limit of 65536")):
            await ws.send_str(bad)
            reply = json.loads((await ws.receive()).data)
            assert reply["type"] == "error" and says in reply["detail"]
        await ws.send_str(json.dumps({"type": "dial", "to": SERVICE_NUMBER}))
        started = json.loads((await ws.receive()).data)
        assert started["type"] == "call_started"


async def test_a_client_that_goes_away_ends_its_call(served: tuple[Testbed, str]) -> None:
    tb, url = served
    john = MockCaller(JOHN, dial=SERVICE_NUMBER)
    async with connect_caller(url, john):
        tb.clock.resume()
        await tb.advance(45)
    await tb.run_until_idle()
    [record] = tb.records
    assert record.disconnect_reason == "CUSTOMER_DISCONNECT"
    assert record.disconnect_timestamp == tb.wall(45)
    assert not [e for e in john.errors if isinstance(e, Error)]


async def test_wrong_or_missing_token_is_refused(testbed: Testbed) -> None:
    seed_centre(testbed)
    async with TestServer(create_app(testbed, token="s3cret"), host="127.0.0.1",
                          port=0) as server, aiohttp.ClientSession(timeout=NO_TIMEOUT) as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            async with http.get(server.make_url("/v1/contacts"), headers=headers) as response:
                assert response.status == 401
        async with http.get(server.make_url("/v1/contacts"),
                            headers={"Authorization": "Bearer s3cret"}) as response:
            assert response.status == 200


@pytest.mark.testbed
async def test_testbed_serve_with_fakes_in_another_process() -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "serve", "--virtual", "--paused", "--port", "0",
        stdout=asyncio.subprocess.PIPE)
    try:
        assert server.stdout is not None
        banner = (await server.stdout.readline()).decode()
        url = banner.split(" on ")[1].split()[0] + "/"
        agent = MockAgent("alex", ["InboundQueue", "CallbackQueue"], available_at=240.0)
        john = MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, talk_s=335)
        async with aiohttp.ClientSession(timeout=NO_TIMEOUT) as http, \
                connect_agent(url, agent), connect_caller(url, john):
            # Done when alex is Available again after the callback (wrap-up included).
            done = asyncio.ensure_future(agent.wait_for(
                AgentStatus, lambda m: m.state == "Available" and bool(agent.handled)))
            async with http.post(f"{url}v1/clock", json={"action": "resume"}) as response:
                assert response.status == 200
            await done
            async with http.get(f"{url}v1/contacts") as response:
                served = await response.json()
    finally:
        server.terminate()
        await server.wait()

    async with Testbed() as local:
        setup_queued_callback(local)
        await local.run_until_idle()
    assert served == [r.to_ctr() for r in local.records]


async def test_event_stream_shows_each_event_live(served: tuple[Testbed, str]) -> None:
    tb, url = served
    john = MockCaller(JOHN, dial=SERVICE_NUMBER, patience_s=30)
    async with aiohttp.ClientSession(timeout=NO_TIMEOUT) as http, \
            http.ws_connect(f"{url}v1/events") as events:
        async with connect_caller(url, john):
            tb.clock.resume()
            await tb.advance(31)
        seen: list[dict[str, str]] = []
        while len(seen) < 6:
            seen.append(json.loads((await events.receive()).data))
    assert [(e["kind"], e["timestamp"]) for e in seen] == [
        ("INITIATED", "2022-04-08T11:35:00.000Z"),
        ("CONNECTED_TO_SYSTEM", "2022-04-08T11:35:00.000Z"),
        ("ENQUEUED", "2022-04-08T11:35:00.000Z"),
        ("DEQUEUED", "2022-04-08T11:35:30.000Z"),
        ("DISCONNECTED", "2022-04-08T11:35:30.000Z"),
        ("COMPLETED", "2022-04-08T11:35:30.000Z"),
    ]


async def test_an_agent_who_goes_away_mid_call_ends_it(served: tuple[Testbed, str]) -> None:
    tb, url = served
    alex = MockAgent("alex", ["InboundQueue"], available_at=0)
    john = MockCaller(JOHN, dial=SERVICE_NUMBER)
    async with connect_caller(url, john):
        async with connect_agent(url, alex):
            tb.clock.resume()
            await tb.advance(60)  # joined at 11:35:10 after the whisper
        await tb.advance(1)
        [record] = tb.records
        assert record.disconnect_reason == "AGENT_DISCONNECT"
        assert record.disconnect_timestamp == tb.wall(60)
        assert record.agent is not None and record.agent.after_contact_work_end_timestamp \
            == tb.wall(60)
    assert tb.switchboard.agents == {}


@pytest.mark.testbed
async def test_serve_runs_exported_flows_with_numbers() -> None:
    flows = Path(__file__).resolve().parent.parent / "scripts" / "flows" / "ivr-menu"
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "serve", "--virtual", "--paused", "--port", "0",
        "--centre", "none", "--flows", str(flows), "--number", f"{SERVICE_NUMBER}=Main",
        stdout=asyncio.subprocess.PIPE)
    try:
        assert server.stdout is not None
        url = (await server.stdout.readline()).decode().split(" on ")[1].split()[0] + "/"
        sam = MockAgent("sam", ["Sales"])
        john = MockCaller(JOHN, dial=SERVICE_NUMBER, press=[(5, "1")], talk_s=30)
        async with aiohttp.ClientSession(timeout=NO_TIMEOUT) as http, \
                connect_agent(url, sam), connect_caller(url, john):
            done = asyncio.ensure_future(sam.wait_for(
                AgentStatus, lambda m: m.state == "Available" and bool(sam.handled)))
            async with http.post(f"{url}v1/clock", json={"action": "resume"}):
                pass
            await done
            async with http.get(f"{url}v1/contacts") as response:
                [record] = await response.json()
            async with http.get(f"{url}v1/metrics/historical?interval_s=3600") as response:
                [sales] = await response.json()
    finally:
        server.terminate()
        await server.wait()
    assert (record["Queue"]["Name"], record["Attributes"]) == ("Sales", {"menu": "sales"})
    assert (sales["Queue"], sales["CONTACTS_HANDLED"], sales["IntervalStart"]) == \
        ("Sales", 1, "2022-04-08T11:00:00Z")


async def test_a_remote_agent_keeps_its_priorities_and_delays(testbed: Testbed) -> None:
    # The seed centre's two queues; alex serves CallbackQueue first and takes
    # InboundQueue contacts only once they have waited 30 s.
    seed_centre(testbed)
    testbed.clock.pause()
    alex = MockAgent("alex", {"CallbackQueue": 1, "InboundQueue": (2, 30)}, available_at=0)
    john = MockCaller(JOHN, dial=SERVICE_NUMBER, talk_s=60)
    async with TestServer(create_app(testbed), host="127.0.0.1", port=0) as server:
        url = str(server.make_url("/"))
        async with connect_agent(url, alex), connect_caller(url, john):
            testbed.clock.resume()
            await testbed.run_until_idle()
    [record] = testbed.records
    assert record.queue is not None and record.agent is not None
    assert record.queue.duration_s == 30 and record.agent.username == "alex"


@pytest.mark.parametrize(("query", "says"), [
    ("priorities=1", "'priorities' must give one value per queue (2)"),
    ("priorities=1,x", "'priorities' must be comma-separated numbers"),
    ("delays=0,-5", "delay_s -5.0"),
    ("priorities=1,100", "priority 100"),
])
async def test_bad_routing_for_a_remote_agent_is_refused_naming_it(
        served: tuple[Testbed, str], query: str, says: str) -> None:
    _tb, url = served
    async with aiohttp.ClientSession(timeout=NO_TIMEOUT) as http, http.get(
            f"{url}v1/endpoints/agent?username=alex&queues=InboundQueue,CallbackQueue&{query}"
    ) as response:
        assert response.status == 400
        assert says in await response.text()


async def test_a_remote_agent_with_many_queues_and_exact_delays_connects(
        testbed: Testbed) -> None:
    names = [f"Queue{i}" for i in range(40)]
    for name in names:
        testbed.add_queue(name)
    # 40 queues, each with a delay that takes 17 digits to write exactly.
    alex = MockAgent("alex", {name: (1 + i % 3, 20 + 1 / 3) for i, name in enumerate(names)},
                     available_at=0)
    async with TestServer(create_app(testbed), host="127.0.0.1", port=0) as server, \
            connect_agent(str(server.make_url("/")), alex):
        await testbed.clock.advance(1)
    assert alex.errors == [] and alex.state == "Available"
    assert testbed.record_service is not None
    states = [e[3][1] for e in testbed.record_service.entries() if e[3][0] == "alex"]
    assert states == ["Offline", "Available", "Offline"]
