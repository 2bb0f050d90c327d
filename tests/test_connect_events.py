"""Contact events and records as Amazon Connect delivers them, streamed by a served testbed."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from fakes import MockCaller
from testbed import Testbed
from testbed.centre.instance import Instance
from testbed.core.loop import network_time
from testbed.flows import Disconnect, Flow, SetAttributes
from testbed.load.demos import SERVICE_NUMBER, setup_queued_callback
from testbed.pytest_plugin import ServedTestbed
from testbed.records.contact_record import EventKind
from testbed.server.app import create_app
from testbed.server.connect_streams import MAX_BACKLOG

from .conftest import JOHN, at

EVENTS = "/v1/connect/events"
RECORDS = "/v1/connect/records"
NO_TIMEOUT = aiohttp.ClientTimeout(total=None)


def seed(tb: Testbed) -> None:
    """The reference scenario, with the clock paused until the test moves it."""
    tb.clock.pause()
    setup_queued_callback(tb)


async def frames(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[dict[str, Any]]:
    return [json.loads((await ws.receive()).data) for _ in range(count)]


async def lines(response: aiohttp.ClientResponse) -> list[dict[str, Any]]:
    """Every line of a JSON-lines answer, to its end."""
    return [json.loads(line) async for line in response.content]


def ids(tb: Testbed) -> tuple[str, str]:
    """The seed's two contacts: John's call and his callback."""
    inbound, callback = (r.contact_id for r in tb.records)
    return inbound, callback


def kinds(events: list[dict[str, Any]], tb: Testbed) -> list[tuple[str, str, str]]:
    name = dict(zip(ids(tb), ("inbound", "callback"), strict=True))
    return [(e["detail"]["eventType"], name[e["detail"]["contactId"]], e["time"])
            for e in events]


def epoch(instant: str) -> float:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp()


async def test_the_seed_scenario_gives_connects_event_types_in_order(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    async with served_testbed.session.ws_connect(served_testbed.url + EVENTS) as ws:
        seed(tb)
        await tb.run_until(at("11:46:00"))
        events = await frames(ws, 8)
    assert kinds(events, tb) == [
        ("INITIATED", "inbound", at("11:35:00")),
        ("QUEUED", "inbound", at("11:35:00")),
        ("INITIATED", "callback", at("11:37:00")),
        ("DISCONNECTED", "inbound", at("11:37:00")),
        ("QUEUED", "callback", at("11:38:39")),
        ("CONNECTED_TO_SYSTEM", "callback", at("11:39:10")),
        ("CONNECTED_TO_AGENT", "callback", at("11:39:25")),
        ("DISCONNECTED", "callback", at("11:45:00")),
    ]


async def test_an_event_is_an_eventbridge_amazon_connect_contact_event(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    async with served_testbed.session.ws_connect(served_testbed.url + EVENTS) as ws:
        seed(tb)
        await tb.run_until(at("11:46:00"))
        [first] = await frames(ws, 1)
    inbound, _callback = ids(tb)
    instance = tb.instance
    # The id is a uuid5 of the instance and the event's place in the testbed's log.
    place = [(e.contact_id, e.kind) for e in tb.events()].index((inbound, EventKind.INITIATED))
    assert first == {
        "version": "0",
        "id": str(uuid.uuid5(uuid.UUID(instance.instance_id), f"contact-event/{place}")),
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": "123456789012",
        "time": "2022-04-08T11:35:00Z",
        "region": "us-east-1",
        "resources": [f"{instance.arn}/contact/{inbound}", instance.arn],
        "detail": {
            "eventType": "INITIATED",
            "contactId": inbound,
            "initialContactId": inbound,
            "channel": "VOICE",
            "instanceArn": instance.arn,
            "initiationMethod": "INBOUND",
            "initiationTimestamp": "2022-04-08T11:35:00.000Z",
        },
    }


async def test_an_event_carries_what_is_known_of_its_contact_by_then(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    async with served_testbed.session.ws_connect(served_testbed.url + EVENTS) as ws:
        seed(tb)
        await tb.run_until(at("11:46:00"))
        *_before, last = await frames(ws, 8)
    inbound, callback = ids(tb)
    instance = tb.instance
    assert last["detail"] == {
        "eventType": "DISCONNECTED",
        "contactId": callback,
        "initialContactId": inbound,
        "previousContactId": inbound,
        "channel": "VOICE",
        "instanceArn": instance.arn,
        "initiationMethod": "CALLBACK",
        "initiationTimestamp": "2022-04-08T11:37:00.000Z",
        "connectedToSystemTimestamp": "2022-04-08T11:39:10.000Z",
        "queueInfo": {"queueArn": instance.arn_of("queue", "CallbackQueue"),
                      "queueType": "STANDARD",
                      "enqueueTimestamp": "2022-04-08T11:38:39.000Z"},
        "agentInfo": {"agentArn": instance.arn_of("agent", "alex"),
                      "connectedToAgentTimestamp": "2022-04-08T11:39:25.000Z"},
        "disconnectTimestamp": "2022-04-08T11:45:00.000Z",
    }


async def test_a_stream_begins_when_its_reader_connects(served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    seed(tb)
    await tb.run_until(at("11:38:00"))
    async with served_testbed.session.ws_connect(served_testbed.url + EVENTS) as ws:
        await tb.run_until(at("11:46:00"))
        events = await frames(ws, 4)
    assert [e["detail"]["eventType"] for e in events] == [
        "QUEUED", "CONNECTED_TO_SYSTEM", "CONNECTED_TO_AGENT", "DISCONNECTED"]
    assert events[0]["time"] == at("11:38:39")


async def test_from_start_sends_the_run_so_far_then_what_follows(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    seed(tb)
    await tb.run_until(at("11:38:00"))
    async with served_testbed.session.ws_connect(
            served_testbed.url + EVENTS + "?from=start") as ws:
        await tb.run_until(at("11:46:00"))
        events = await frames(ws, 8)
    assert [e["time"] for e in events] == [
        at("11:35:00"), at("11:35:00"), at("11:37:00"), at("11:37:00"),
        at("11:38:39"), at("11:39:10"), at("11:39:25"), at("11:45:00")]


async def test_a_replay_from_the_start_is_what_was_sent_live(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    session, url = served_testbed.session, served_testbed.url
    async with session.ws_connect(url + EVENTS) as ws:
        seed(tb)
        await tb.run_until(at("11:46:00"))
        live = await frames(ws, 8)
        async with session.get(url + EVENTS + "?from=start") as response:
            assert response.headers["Content-Type"] == "application/x-ndjson"
            replayed = [json.loads(await response.content.readline()) for _ in range(8)]
    assert replayed == live


async def test_records_arrive_as_a_lambda_kinesis_event_each(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    async with served_testbed.session.ws_connect(served_testbed.url + RECORDS) as ws:
        seed(tb)
        await tb.run_until(at("11:46:00"))
        events = await frames(ws, 2)
    records = [record for event in events for record in event["Records"]]
    assert [r["kinesis"]["partitionKey"] for r in records] == list(ids(tb))
    assert [r["kinesis"]["approximateArrivalTimestamp"] for r in records] == \
        [epoch(at("11:37:00")), epoch(at("11:45:00"))]
    first, second = (r["kinesis"]["sequenceNumber"] for r in records)
    assert int(first) < int(second)
    assert {(r["eventSource"], r["eventName"], r["awsRegion"]) for r in records} == \
        {("aws:kinesis", "aws:kinesis:record", "us-east-1")}
    assert records[1]["eventID"] == f"shardId-000000000000:{second}"


async def test_a_records_data_is_the_ctr_connect_puts_on_its_stream(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    async with served_testbed.session.ws_connect(served_testbed.url + RECORDS) as ws:
        seed(tb)
        await tb.run_until(at("11:46:00"))
        events = await frames(ws, 2)
    ctrs = [json.loads(base64.b64decode(event["Records"][0]["kinesis"]["data"]))
            for event in events]
    inbound, callback = tb.records
    instance = tb.instance
    expected = callback.to_ctr()
    expected["Queue"]["ARN"] = instance.arn_of("queue", "CallbackQueue")
    expected["Agent"]["ARN"] = instance.arn_of("agent", "alex")
    assert ctrs[1] == {
        "AWSAccountId": "123456789012",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "InstanceARN": instance.arn,
        "InitialContactId": inbound.contact_id,
        "LastUpdateTimestamp": at("11:45:00"),
        **expected,
    }
    assert (ctrs[0]["ContactId"], ctrs[0]["InitialContactId"], ctrs[0]["Agent"]) == \
        (inbound.contact_id, inbound.contact_id, None)


async def test_records_from_start_are_every_finished_record_in_order(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    seed(tb)
    await tb.run_until(at("11:40:00"))  # John's first contact is over, the callback is not
    async with served_testbed.session.get(served_testbed.url + RECORDS + "?from=start") \
            as response:
        [first] = [json.loads(await response.content.readline()) for _ in range(1)]
        await tb.run_until(at("11:46:00"))
        second = json.loads(await response.content.readline())
    assert [e["Records"][0]["kinesis"]["partitionKey"] for e in (first, second)] == \
        list(ids(tb))


async def test_a_flow_that_sets_attributes_gives_contact_data_updated(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    tb.clock.pause()
    tb.add_flow(Flow.of("Tag", [SetAttributes(id="tag", attributes={"vip": "yes"}, next="bye"),
                                Disconnect(id="bye")]))
    tb.add_number(SERVICE_NUMBER, "Tag")
    async with served_testbed.session.ws_connect(served_testbed.url + EVENTS) as ws:
        tb.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))
        await tb.advance(60)
        events = await frames(ws, 3)
    assert [(e["detail"]["eventType"], e["detail"].get("updatedProperties")) for e in events] \
        == [("INITIATED", None), ("CONTACT_DATA_UPDATED", ["Attributes"]),
            ("DISCONNECTED", None)]


async def test_a_task_is_initiated_on_the_task_channel_and_connected_to_system(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    tb.clock.pause()
    tb.add_flow(Flow.of("Done", [Disconnect(id="bye")]))
    async with served_testbed.session.ws_connect(served_testbed.url + EVENTS) as ws:
        task = tb.start_task_contact("Call back Mrs Smith", "Done", attributes={"policy": "42"})
        await tb.advance(60)
        events = await frames(ws, 3)
    assert [(e["detail"]["eventType"], e["detail"]["channel"], e["detail"]["contactId"])
            for e in events] == [("INITIATED", "TASK", task),
                                 ("CONNECTED_TO_SYSTEM", "TASK", task),
                                 ("DISCONNECTED", "TASK", task)]
    assert events[2]["detail"]["connectedToSystemTimestamp"] == "2022-04-08T11:35:00.000Z"


@pytest.mark.testbed(instance=Instance("0f1e2d3c-4b5a-4678-9abc-def012345678",
                                       region="eu-west-2", account="210987654321"))
async def test_events_name_the_instance_the_testbed_stands_in_for(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    async with served_testbed.session.ws_connect(served_testbed.url + EVENTS) as ws:
        seed(tb)
        await tb.run_until(at("11:36:00"))
        [event] = await frames(ws, 1)
    assert (event["account"], event["region"], event["detail"]["instanceArn"]) == (
        "210987654321", "eu-west-2",
        "arn:aws:connect:eu-west-2:210987654321:instance/0f1e2d3c-4b5a-4678-9abc-def012345678")


# -- bad requests, slow readers and shutdown -----------------------------------------


@pytest.mark.parametrize(("query", "named"), [
    ("?from=yesterday", "'yesterday'"),
    ("?from=start&from=now", "'start', 'now'"),
    ("?form=start", "'form'"),
])
async def test_a_stream_refuses_a_bad_query_naming_it(
        served_testbed: ServedTestbed, query: str, named: str) -> None:
    for path in (EVENTS, RECORDS):
        async with served_testbed.session.get(served_testbed.url + path + query) as response:
            assert response.status == 400
            assert named in await response.text()


async def test_a_stream_needs_the_token_when_the_server_has_one(testbed: Testbed) -> None:
    async with TestServer(create_app(testbed, "s3cret"), host="127.0.0.1", port=0) as server, \
            aiohttp.ClientSession(timeout=NO_TIMEOUT) as session, \
            session.get(server.make_url(EVENTS)) as response:
        assert response.status == 401


async def flood_until_let_go(tb: Testbed, still_subscribed: Any) -> None:
    """Calls at one instant each, until the server stops keeping a stuck reader's
    backlog (kernel buffers take some megabytes first); bounded."""
    callers = 0
    while still_subscribed() and callers < 60_000:
        for _ in range(1000):
            callers += 1
            tb.add_caller(MockCaller(f"+1555{callers:07d}", dial=SERVICE_NUMBER, patience_s=0),
                          transient=True)
        await tb.advance(1)
    assert not still_subscribed()


async def test_a_websocket_reader_that_stops_reading_is_closed_as_too_slow(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    seed(tb)
    service = tb.record_service
    assert service is not None
    async with served_testbed.session.ws_connect(served_testbed.url + EVENTS) as ws:
        assert ws._response.connection is not None
        transport = ws._response.connection.transport
        assert transport is not None
        transport.pause_reading()  # a dashboard that hangs
        await flood_until_let_go(tb, lambda: service.listeners("event"))
        transport.resume_reading()
        received = [frame async for frame in ws]
    assert ws.close_code == aiohttp.WSCloseCode.TRY_AGAIN_LATER
    assert len(received) >= MAX_BACKLOG
    assert received[-1].json()["detail-type"] == "Amazon Connect Contact Event"


async def test_a_json_lines_reader_that_stops_reading_gets_a_last_line_saying_why(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    seed(tb)
    service = tb.record_service
    assert service is not None
    async with served_testbed.session.get(served_testbed.url + EVENTS) as response:
        assert response.connection is not None and response.connection.transport is not None
        transport = response.connection.transport
        transport.pause_reading()
        await flood_until_let_go(tb, lambda: service.listeners("event"))
        transport.resume_reading()
        received = await lines(response)
    assert len(received) > MAX_BACKLOG
    assert received[-1] == {"error": "too_slow", "detail": f"more than {MAX_BACKLOG} items "
                                                           f"waited to be read; the stream "
                                                           f"is closed"}
    assert received[-2]["detail-type"] == "Amazon Connect Contact Event"


async def test_streams_end_when_the_server_shuts_down(testbed: Testbed) -> None:
    server = TestServer(create_app(testbed), host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession(timeout=NO_TIMEOUT) as session, \
            session.ws_connect(server.make_url(EVENTS)) as ws, \
            session.get(server.make_url(RECORDS)) as records:
        seed(testbed)
        await testbed.run_until(at("11:36:00"))
        with network_time():  # the server's shutdown timeouts are real seconds
            await server.close()
        received = [frame.json() async for frame in ws]
        assert await lines(records) == []
    assert [e["detail"]["eventType"] for e in received] == ["INITIATED", "QUEUED"]
    assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
    assert testbed.record_service is not None
    assert testbed.record_service.listeners("event") == []
