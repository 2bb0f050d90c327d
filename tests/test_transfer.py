"""Cold transfers by agents with quick connects: to a queue, to an agent, to a number."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from rich.console import Console

from fakes import MockAgent, MockCaller
from testbed import EventKind, Flow, PlayPrompt, SetWorkingQueue, Testbed, TransferToQueue
from testbed.cli.records import interval_tables
from testbed.core.errors import ConfigError, ProtocolError
from testbed.core.messages import (
    Connected,
    Disconnected,
    Offered,
    Prompt,
    Queued,
    Transfer,
    Transferred,
)
from testbed.core.wire import decode, encode
from testbed.records.contact_record import ContactRecord
from testbed.records.metrics import historical
from testbed.records.stores import decode_entry, encode_data

from .conftest import JOHN, at

NUMBER = "+18005550100"
PARTNER = "+15555550777"
TRANSFERRING = "Please hold while we transfer you."


def centre(tb: Testbed) -> None:
    """Calls to NUMBER queue in Support. Quick connects: "Billing" (queue Billing, a
    transfer flow with a 5 s prompt), "Bob" (agent bob, a 3 s prompt) and "Partner"
    (the outside number PARTNER)."""
    tb.add_flow(Flow.of("Inbound", [SetWorkingQueue(id="q", queue="Support", next="t"),
                                    TransferToQueue(id="t")]))
    tb.add_flow(Flow.of("To queue", [
        PlayPrompt(id="p", text=TRANSFERRING, duration_s=5, next="t"), TransferToQueue(id="t")]))
    tb.add_flow(Flow.of("To agent", [
        PlayPrompt(id="p", text="Connecting you.", duration_s=3, next="t"),
        TransferToQueue(id="t")]))
    tb.add_queue("Support")
    tb.add_queue("Billing")
    tb.add_number(NUMBER, "Inbound")
    tb.add_quick_connect("Billing", queue="Billing", flow="To queue")
    tb.add_quick_connect("Bob", agent="bob", flow="To agent")
    tb.add_quick_connect("Partner", number=PARTNER)


def fields(record: ContactRecord) -> dict[str, Any]:
    """The record fields a transfer touches, in CTR form."""
    ctr = record.to_ctr()
    agent, queue = ctr["Agent"], ctr["Queue"]
    return {
        "InitiationMethod": ctr["InitiationMethod"],
        "InitiationTimestamp": ctr["InitiationTimestamp"],
        "ConnectedToSystemTimestamp": ctr["ConnectedToSystemTimestamp"],
        "PreviousContactId": ctr["PreviousContactId"],
        "NextContactId": ctr["NextContactId"],
        "Queue": None if queue is None else (queue["Name"], queue["EnqueueTimestamp"],
                                             queue["DequeueTimestamp"], queue["Duration"]),
        "Agent": None if agent is None else (
            agent["Username"], agent["ConnectedToAgentTimestamp"],
            agent["AfterContactWorkStartTimestamp"], agent["AgentInteractionDuration"]),
        "DisconnectTimestamp": ctr["DisconnectTimestamp"],
        "DisconnectReason": ctr["DisconnectReason"],
        "TransferredToEndpoint": ctr["TransferredToEndpoint"],
        "TransferCompletedTimestamp": ctr["TransferCompletedTimestamp"],
        "CustomerEndpoint": ctr["CustomerEndpoint"],
        "SystemEndpoint": ctr["SystemEndpoint"],
    }


def events(tb: Testbed, contact_id: str, *kinds: EventKind) -> list[tuple[float, str, Any]]:
    service = tb.record_service
    assert service is not None
    return [(e.timestamp_s, str(e.kind), e.data) for e in service.events(contact_id)
            if e.kind in kinds]


PHONE = {"Type": "TELEPHONE_NUMBER", "Address": JOHN}
SYSTEM = {"Type": "TELEPHONE_NUMBER", "Address": NUMBER}


async def test_a_cold_transfer_to_a_queue_makes_a_transfer_contact_the_queue_serves(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], transfer=[(30, "Billing")])
    carol = MockAgent("carol", ["Billing"], talk_s=60)
    testbed.add_agent(alice)
    testbed.add_agent(carol)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    first, second = testbed.records
    assert fields(first) == {
        "InitiationMethod": "INBOUND", "InitiationTimestamp": at("11:35:00"),
        "ConnectedToSystemTimestamp": at("11:35:00"),
        "PreviousContactId": None, "NextContactId": second.contact_id,
        "Queue": ("Support", at("11:35:00"), at("11:35:00"), 0),
        "Agent": ("alice", at("11:35:00"), at("11:35:30"), 30),
        "DisconnectTimestamp": at("11:35:30"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": at("11:35:30"),
        "CustomerEndpoint": PHONE, "SystemEndpoint": SYSTEM}
    assert fields(second) == {
        "InitiationMethod": "TRANSFER", "InitiationTimestamp": at("11:35:30"),
        "ConnectedToSystemTimestamp": at("11:35:30"),
        "PreviousContactId": first.contact_id, "NextContactId": None,
        "Queue": ("Billing", at("11:35:35"), at("11:35:35"), 0),
        "Agent": ("carol", at("11:35:35"), at("11:36:35"), 60),
        "DisconnectTimestamp": at("11:36:35"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": None,
        "CustomerEndpoint": PHONE, "SystemEndpoint": SYSTEM}
    assert first.agent is not None and first.agent.after_contact_work_end_timestamp \
        is not None
    assert events(testbed, first.contact_id, EventKind.QUICK_CONNECT) == [
        (30.0, "QUICK_CONNECT", ("Billing", "alice", "queue", "Billing"))]


async def test_the_customer_stays_on_the_line_and_hears_the_transfer_flow(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], transfer=[(30, "Billing")]))
    testbed.add_agent(MockAgent("carol", ["Billing"], talk_s=60))
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    first, second = testbed.records
    heard = [(t, type(m).__name__, m.contact_id) for t, m in john.heard
             if isinstance(m, Transferred | Prompt | Queued | Connected | Disconnected)]
    assert heard == [
        (0.0, "Queued", first.contact_id), (0.0, "Connected", first.contact_id),
        (30.0, "Transferred", first.contact_id), (30.0, "Prompt", second.contact_id),
        (35.0, "Queued", second.contact_id), (35.0, "Connected", second.contact_id),
        (95.0, "Disconnected", second.contact_id)]
    [transferred] = [m for _t, m in john.heard if isinstance(m, Transferred)]
    assert transferred.next_contact_id == second.contact_id


async def test_a_transfer_to_an_agent_is_offered_to_that_agent_only(testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], transfer=[(30, "Bob")])
    bob = MockAgent("bob", ["Support"], available_at=1, talk_s=40)
    dave = MockAgent("dave", ["Support"], available_at=2)
    for agent in (alice, bob, dave):
        testbed.add_agent(agent)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))

    await testbed.run_until_idle()

    first, second = testbed.records
    assert fields(first)["Agent"] == ("alice", at("11:35:00"), at("11:35:30"), 30)
    assert (fields(first)["DisconnectReason"], fields(first)["NextContactId"]) == \
        ("AGENT_DISCONNECT", second.contact_id)
    assert fields(second) == {
        "InitiationMethod": "TRANSFER", "InitiationTimestamp": at("11:35:30"),
        "ConnectedToSystemTimestamp": at("11:35:30"),
        "PreviousContactId": first.contact_id, "NextContactId": None,
        "Queue": ("agent/bob", at("11:35:33"), at("11:35:33"), 0),
        "Agent": ("bob", at("11:35:33"), at("11:36:13"), 40),
        "DisconnectTimestamp": at("11:36:13"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": None,
        "CustomerEndpoint": PHONE, "SystemEndpoint": SYSTEM}
    assert events(testbed, second.contact_id, EventKind.OFFERED) == [
        (33.0, "OFFERED", "bob")]
    assert [m for _t, m in dave.heard if isinstance(m, Offered)] == []


async def test_a_transfer_to_a_number_connects_the_customer_with_the_outside_party(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], transfer=[(30, "Partner")])
    partner = MockCaller(PARTNER, answer_after_s=4, talk_s=100)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_agent(alice)
    testbed.add_caller(partner)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    [record] = testbed.records
    assert fields(record) == {
        "InitiationMethod": "INBOUND", "InitiationTimestamp": at("11:35:00"),
        "ConnectedToSystemTimestamp": at("11:35:00"),
        "PreviousContactId": None, "NextContactId": None,
        "Queue": ("Support", at("11:35:00"), at("11:35:00"), 0),
        "Agent": ("alice", at("11:35:00"), at("11:35:30"), 30),
        "DisconnectTimestamp": at("11:37:14"), "DisconnectReason": "THIRD_PARTY_DISCONNECT",
        "TransferredToEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": PARTNER},
        "TransferCompletedTimestamp": at("11:35:34"),
        "CustomerEndpoint": PHONE, "SystemEndpoint": SYSTEM}
    assert record.agent is not None
    assert record.agent.after_contact_work_end_timestamp is not None
    assert alice.state == "Available" and alice.errors == [] and john.errors == []
    assert [(t, type(m).__name__) for t, m in john.heard
            if type(m).__name__ in ("Connected", "Disconnected")] == [
        (0.0, "Connected"), (34.0, "Connected"), (134.0, "Disconnected")]
    assert events(testbed, record.contact_id, EventKind.COMPLETED) == [
        (134.0, "COMPLETED", None)]


async def test_a_transfer_to_a_number_nobody_answers_ends_unanswered(testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], transfer=[(30, "Partner")]))
    partner = MockCaller(PARTNER, answer_after_s=None)
    testbed.add_caller(partner)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))

    await testbed.run_until_idle()

    [record] = testbed.records
    got = fields(record)
    assert (got["Agent"], got["DisconnectTimestamp"], got["DisconnectReason"],
            got["TransferredToEndpoint"], got["TransferCompletedTimestamp"]) == (
        ("alice", at("11:35:00"), at("11:35:30"), 30), at("11:36:00"), "TELECOM_UNANSWERED",
        None, None)
    assert [(t, m.reason) for t, m in partner.heard if isinstance(m, Disconnected)] \
        == [(60.0, "NO_ANSWER")]


async def test_a_transfer_on_hold_to_a_number_ends_the_hold_as_the_agent_leaves(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(10, 100)],
                                transfer=[(30, "Partner")]))
    testbed.add_caller(MockCaller(PARTNER, answer_after_s=0, talk_s=20))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert record.agent is not None
    assert (record.agent.number_of_holds, record.agent.customer_hold_duration_s,
            record.agent_interaction_duration_s) == (1, 20, 10)
    assert record.disconnect_timestamp is not None
    assert record.to_ctr()["DisconnectTimestamp"] == at("11:35:50")


async def _transferred_to(testbed: Testbed, john: MockCaller) -> str:
    [message] = [m for _t, m in john.heard if isinstance(m, Transferred)]
    return message.next_contact_id


async def test_the_customer_hanging_up_in_the_transfer_flow_ends_the_new_contact(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], transfer=[(30, "Billing")]))
    testbed.add_agent(MockAgent("carol", ["Billing"]))
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.advance(32)

    john.hang_up(await _transferred_to(testbed, john))
    await testbed.run_until_idle()

    first, second = testbed.records
    assert fields(first)["DisconnectReason"] == "AGENT_DISCONNECT"
    got = fields(second)
    assert (got["InitiationMethod"], got["Queue"], got["Agent"], got["DisconnectTimestamp"],
            got["DisconnectReason"]) == ("TRANSFER", None, None, at("11:35:32"),
                                         "CUSTOMER_DISCONNECT")


async def test_the_customer_hanging_up_while_queued_after_the_transfer_abandons_it(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], transfer=[(30, "Billing")]))
    testbed.add_agent(MockAgent("carol", ["Billing"], available_at=None))
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.advance(50)

    john.hang_up(await _transferred_to(testbed, john))
    await testbed.run_until_idle()

    _first, second = testbed.records
    got = fields(second)
    assert (got["Queue"], got["Agent"], got["DisconnectTimestamp"],
            got["DisconnectReason"]) == (("Billing", at("11:35:35"), at("11:35:50"), 15),
                                         None, at("11:35:50"), "CUSTOMER_DISCONNECT")
    rows = {r.queue: r for r in historical(testbed.records, timedelta(minutes=15))}
    assert (rows["Billing"].contacts_abandoned, rows["Billing"].contacts_transferred_in) \
        == (1, 1)


def _connected_call(tb: Testbed, **agent: Any) -> tuple[MockAgent, MockCaller]:
    centre(tb)
    alice = MockAgent("alice", ["Support"], **agent)
    john = MockCaller(JOHN, dial=NUMBER, talk_s=100)
    tb.add_agent(alice)
    tb.add_caller(john)
    return alice, john


def _nothing_transferred(tb: Testbed) -> None:
    [record] = tb.records
    assert events(tb, record.contact_id, EventKind.QUICK_CONNECT) == []
    assert record.next_contact_id is None and record.transfer_completed_timestamp is None


async def test_a_transfer_before_the_call_is_connected_is_refused(testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], accept_after_s=None)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, patience_s=10))
    await testbed.advance(5)
    [offered] = [m for _t, m in alice.heard if isinstance(m, Offered)]

    alice.transfer(offered.contact_id, "Billing")
    await testbed.run_until_idle()

    [error] = alice.errors
    assert (error.code, error.contact_id) == ("bad_state", offered.contact_id)
    _nothing_transferred(testbed)


async def test_a_transfer_of_another_agents_contact_is_refused(testbed: Testbed) -> None:
    alice, _john = _connected_call(testbed)
    bob = MockAgent("bob", ["Support"])
    testbed.add_agent(bob)
    await testbed.advance(10)
    [cid] = alice.handled

    bob.transfer(cid, "Billing")
    await testbed.run_until_idle()

    [error] = bob.errors
    assert (error.code, error.contact_id) == ("bad_state", cid)
    assert "not a contact of agent 'bob'" in error.detail
    _nothing_transferred(testbed)


async def test_a_transfer_with_an_unknown_quick_connect_is_refused(testbed: Testbed) -> None:
    alice, _john = _connected_call(testbed)
    await testbed.advance(10)
    [cid] = alice.handled

    alice.transfer(cid, "Nowhere")
    await testbed.run_until_idle()

    [error] = alice.errors
    assert (error.code, error.field) == ("bad_message", "quick_connect")
    assert "'Nowhere'" in error.detail and "Billing" in error.detail
    _nothing_transferred(testbed)


async def test_a_caller_sending_transfer_gets_wrong_role(testbed: Testbed) -> None:
    alice, john = _connected_call(testbed)
    await testbed.advance(10)
    [cid] = alice.handled

    john._send(Transfer(cid, "Billing"))
    await testbed.run_until_idle()

    assert [e.code for e in john.errors] == ["wrong_role"]
    _nothing_transferred(testbed)


async def test_a_transfer_after_the_call_ended_is_refused(testbed: Testbed) -> None:
    alice, _john = _connected_call(testbed, acw_s=None)
    await testbed.advance(150)  # the caller hung up at 100 s
    [cid] = alice.handled

    alice.transfer(cid, "Billing")
    await testbed.advance(1)

    [error] = alice.errors
    assert error.code == "bad_state" and "not connected" in error.detail


@pytest.mark.parametrize(("kwargs", "named"), [
    ({}, "exactly one of queue, agent and number; got none"),
    ({"queue": "Billing", "agent": "bob", "flow": "To queue"}, "agent='bob'"),
    ({"queue": "Nope", "flow": "To queue"}, "'Nope'"),
    ({"queue": "Billing"}, "names the transfer flow"),
    ({"queue": "Billing", "flow": "Missing"}, "'Missing'"),
    ({"agent": "bob", "flow": "Missing"}, "'Missing'"),
    ({"number": "555-0100"}, "'555-0100'"),
    ({"number": PARTNER, "flow": "To queue"}, "runs no flow"),
    ({"agent": "", "flow": "To agent"}, "''"),
])
async def test_a_bad_quick_connect_is_a_config_error_naming_the_value(
        testbed: Testbed, kwargs: dict[str, Any], named: str) -> None:
    centre(testbed)
    with pytest.raises(ConfigError, match="quick connect 'Q'") as caught:
        testbed.add_quick_connect("Q", **kwargs)
    assert named in str(caught.value)


async def test_a_quick_connect_name_is_used_once(testbed: Testbed) -> None:
    centre(testbed)
    with pytest.raises(ConfigError, match="'Billing' exists already"):
        testbed.add_quick_connect("Billing", queue="Support", flow="To queue")


def test_the_transfer_messages_round_trip_and_are_validated() -> None:
    for message in (Transfer("c1", "Billing"), Transferred("c1", "c2")):
        assert decode(encode(message)) == message
    for bad, field in (('{"type": "transfer", "contact_id": "c1"}', "quick_connect"),
                       ('{"type": "transfer", "contact_id": "c1", "quick_connect": " "}',
                        "quick_connect"),
                       ('{"type": "transfer", "contact_id": 1, "quick_connect": "B"}',
                        "contact_id")):
        with pytest.raises(ProtocolError) as caught:
            decode(bad)
        assert caught.value.field == field


def test_stores_read_the_transfer_events_back() -> None:
    for kind, data in ((EventKind.QUICK_CONNECT, ("Billing", "alice", "queue", "Billing")),
                       (EventKind.TRANSFERRED, None), (EventKind.TRANSFERRED, PARTNER)):
        assert decode_entry(1.0, "c1", str(kind), encode_data(data)) == (1.0, "c1", kind, data)


async def _two_transfers(testbed: Testbed) -> list[ContactRecord]:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], transfer=[(30, "Billing")]))
    testbed.add_agent(MockAgent("bob", ["Support"], available_at=1,
                                transfer=[(20, "Partner")]))
    testbed.add_agent(MockAgent("carol", ["Billing"], talk_s=60))
    testbed.add_caller(MockCaller(PARTNER, answer_after_s=2, talk_s=30))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    testbed.add_caller(MockCaller("+15555550124", dial=NUMBER, dial_at=1))
    await testbed.run_until_idle()
    return testbed.records


async def test_metrics_count_contacts_transferred_out_and_in_per_queue(
        testbed: Testbed) -> None:
    records = await _two_transfers(testbed)

    rows = {r.queue: r.to_json() for r in historical(records, timedelta(minutes=15))}
    assert {q: (v["CONTACTS_TRANSFERRED_OUT"], v["CONTACTS_TRANSFERRED_IN"],
                v["CONTACTS_HANDLED"], v["CONTACTS_ABANDONED"]) for q, v in rows.items()} \
        == {"Support": (2, 0, 2, 0), "Billing": (0, 1, 1, 0)}


async def test_the_metrics_table_shows_the_transfer_metrics_within_80_columns(
        testbed: Testbed) -> None:
    records = await _two_transfers(testbed)

    rows = historical(records, timedelta(minutes=15))
    console = Console(width=80, record=True, file=io.StringIO())
    for table in interval_tables(rows, timedelta(minutes=15), (20, 60), 80):
        console.print(table)
    text = console.export_text()

    assert max(len(line) for line in text.splitlines()) <= 80
    transfers = text[text.index("Support: transfers"):].splitlines()
    assert "CONTACTS_TRANSFERRED_IN" in transfers[2]
    assert transfers[4].split() == ["│", "11:30-11:45", "│", "0", "│", "2", "│"]


async def test_a_queue_transfer_over_websocket(served_testbed: Any) -> None:
    tb = served_testbed.testbed
    centre(tb)
    tb.add_agent(MockAgent("carol", ["Billing"], talk_s=60))
    url = f"{served_testbed.url}/v1/endpoints/agent?username=desk&queues=Support&ack=1"
    seen: list[tuple[float, str]] = []
    async with served_testbed.session.ws_connect(url) as ws:
        await ws.send_json({"type": "set_status", "status": "Available"})
        john = MockCaller(JOHN, dial=NUMBER)
        tb.add_caller(john)
        async for frame in ws:
            message = frame.json()
            kind, t = message["type"], message.get("t", 0.0)
            seen.append((t, kind))
            cid = message.get("contact_id")
            if kind == "offered":
                await ws.send_json({"type": "accept", "contact_id": cid})
            elif kind == "connected":
                await ws.send_json({"type": "set_timer", "ref": "go", "at_s": t + 30})
                contact_id = cid
            elif kind == "alarm":
                await ws.send_json({"type": "transfer", "contact_id": contact_id,
                                    "quick_connect": "Nowhere"})  # refused
                await ws.send_json({"type": "transfer", "contact_id": contact_id,
                                    "quick_connect": "Billing"})
            elif kind == "error":
                assert (message["code"], message["field"]) == ("bad_message", "quick_connect")
            elif kind == "agent_status" and message["state"] == "AfterContactWork":
                await ws.send_json({"type": "end_after_contact_work", "contact_id": cid})
            elif kind == "agent_status" and message["state"] == "Available" and t > 0:
                await ws.send_json({"type": "ack"})
                break
            await ws.send_json({"type": "ack"})
        await tb.run_until_idle()
    assert [(t, k) for t, k in seen if k in ("error", "disconnected")] == [
        (30.0, "error"), (30.0, "disconnected")]
    first, second = tb.records
    assert fields(first)["TransferCompletedTimestamp"] == at("11:35:30")
    assert (fields(first)["DisconnectReason"], fields(first)["NextContactId"]) == \
        ("AGENT_DISCONNECT", second.contact_id)
    assert fields(second) == {
        "InitiationMethod": "TRANSFER", "InitiationTimestamp": at("11:35:30"),
        "ConnectedToSystemTimestamp": at("11:35:30"),
        "PreviousContactId": first.contact_id, "NextContactId": None,
        "Queue": ("Billing", at("11:35:35"), at("11:35:35"), 0),
        "Agent": ("carol", at("11:35:35"), at("11:36:35"), 60),
        "DisconnectTimestamp": at("11:36:35"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": None,
        "CustomerEndpoint": PHONE, "SystemEndpoint": SYSTEM}


async def test_a_transferred_caller_talks_its_talk_time_with_the_next_agent(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], transfer=[(30, "Billing")]))
    testbed.add_agent(MockAgent("carol", ["Billing"]))
    john = MockCaller(JOHN, dial=NUMBER, talk_s=100)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    first, second = testbed.records
    assert john.contact_ids == [first.contact_id, second.contact_id]
    assert second.agent is not None and second.agent.username == "carol"
    connected = second.agent.connected_to_agent_timestamp
    assert connected is not None
    assert (second.disconnect_timestamp, second.disconnect_reason) == \
        (connected + timedelta(seconds=100), "CUSTOMER_DISCONNECT")
    assert john.errors == []  # no hang-up on the first contact after it was transferred
