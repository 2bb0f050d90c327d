"""The reference scenario (seed-queued-callback.txt), at every speed."""

from __future__ import annotations

import uuid

import pytest

from testbed import ContactEvent, EventKind, Testbed
from testbed.load.demos import setup_queued_callback

from .conftest import at

SEED_RECORD_1 = {
    "InitiationMethod": "INBOUND",
    "InitiationTimestamp": at("11:35:00"),
    "ConnectedToSystemTimestamp": at("11:35:00"),
    "Queue": {"Name": "InboundQueue", "EnqueueTimestamp": at("11:35:00"),
              "DequeueTimestamp": at("11:37:00"), "Duration": 120},
    "Agent": None,
    "DisconnectTimestamp": at("11:37:00"),
    "DisconnectReason": "CONTACT_FLOW_DISCONNECT",
    "PreviousContactId": None,
}
SEED_RECORD_2 = {
    "InitiationMethod": "CALLBACK",
    "InitiationTimestamp": at("11:37:00"),
    "ConnectedToSystemTimestamp": at("11:39:10"),
    "Queue": {"Name": "CallbackQueue", "EnqueueTimestamp": at("11:38:39"),
              "DequeueTimestamp": at("11:39:00"), "Duration": 120},
    "DisconnectTimestamp": at("11:45:00"),
    "DisconnectReason": "CUSTOMER_DISCONNECT",
    "NextContactId": None,
}


async def play(speed: float = float("inf"), seed: int = 0) -> Testbed:
    async with Testbed(speed=speed, seed=seed) as tb:
        setup_queued_callback(tb)
        await tb.run_until_idle()
    return tb


@pytest.mark.testbed
async def test_seed_records_match_the_reference_table() -> None:
    tb = await play()
    first, second = (r.to_ctr() for r in tb.records)
    assert {k: first[k] for k in SEED_RECORD_1} == SEED_RECORD_1
    assert {k: second[k] for k in SEED_RECORD_2} == SEED_RECORD_2
    assert second["Agent"]["ConnectedToAgentTimestamp"] == at("11:39:25")
    assert first["NextContactId"] == second["ContactId"]
    assert second["PreviousContactId"] == first["ContactId"]


@pytest.mark.testbed
async def test_two_virtual_runs_are_byte_identical() -> None:
    one, two = await play(), await play()
    assert one.records_json() == two.records_json()
    assert one.events() == two.events()


@pytest.mark.testbed
async def test_scaled_run_gives_the_same_json_as_virtual() -> None:
    virtual = await play()
    scaled = await play(speed=1200)  # the ten minutes in half a second
    assert scaled.records_json() == virtual.records_json()
    assert scaled.events() == virtual.events()


@pytest.mark.testbed
async def test_contact_ids_are_version_4_uuids() -> None:
    tb = await play()
    for record in tb.records:
        parsed = uuid.UUID(record.contact_id)
        assert parsed.version == 4 and str(parsed) == record.contact_id


@pytest.mark.testbed
async def test_another_seed_changes_ids_but_not_timestamps() -> None:
    one, other = await play(seed=0), await play(seed=7)
    assert [r.contact_id for r in one.records] != [r.contact_id for r in other.records]
    strip = ("ContactId", "NextContactId", "PreviousContactId")
    assert [{k: v for k, v in r.to_ctr().items() if k not in strip} for r in one.records] == \
        [{k: v for k, v in r.to_ctr().items() if k not in strip} for r in other.records]


async def test_subscriber_sees_each_timestamp_as_it_occurs(testbed: Testbed) -> None:
    seen: list[ContactEvent] = []
    assert testbed.record_service is not None
    testbed.record_service.on("event", seen.append)
    setup_queued_callback(testbed)

    await testbed.run_until(at("11:38:40"))

    first, second = testbed.records
    assert first.disconnect_timestamp == testbed.wall(120)
    assert second.queue is not None
    assert second.queue.enqueue_timestamp == testbed.wall(219)
    assert second.queue.dequeue_timestamp is None
    assert not second.complete
    kinds = [(e.contact_id, e.kind) for e in seen]
    assert (second.contact_id, EventKind.ENQUEUED) in kinds
    assert (second.contact_id, EventKind.DEQUEUED) not in kinds
    assert seen[-1] == ContactEvent(219.0, second.contact_id, EventKind.ENQUEUED, "CallbackQueue")


async def test_events_are_logged_with_millisecond_times(testbed: Testbed) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until_idle()
    assert testbed.record_service is not None
    times = [testbed.record_service.wall(e.timestamp_s).isoformat(timespec="milliseconds")
             for e in testbed.events() if e.kind == EventKind.CONNECTED_TO_AGENT]
    assert times == ["2022-04-08T11:39:25.000+00:00"]
