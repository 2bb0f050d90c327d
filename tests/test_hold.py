"""Hold, resume and mute: agent actions on a connected call, their records and metrics."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from fakes import MockAgent, MockCaller
from testbed import (
    VIRTUAL,
    EventKind,
    Flow,
    PlayPrompt,
    SetEventHook,
    SetWorkingQueue,
    Testbed,
    TransferToQueue,
)
from testbed.cli.records import interval_tables
from testbed.core.clock import run
from testbed.core.errors import ProtocolError
from testbed.core.messages import (
    Held,
    Hold,
    Mute,
    Muted,
    Offered,
    Prompt,
    Resume,
    Resumed,
    Unmuted,
)
from testbed.core.wire import decode, encode
from testbed.records.contact_record import ContactRecord
from testbed.records.metrics import historical
from testbed.records.stores import decode_entry, encode_data

from .conftest import JANE, JOHN, at

NUMBER = "+18005550100"
HOLD_MUSIC = "Thank you for holding."


def centre(tb: Testbed, hold_flow: bool = False) -> None:
    """A number straight into queue Support; with ``hold_flow`` the contact carries a
    CustomerHold flow that plays HOLD_MUSIC for 20 s."""
    blocks: list[Any] = []
    if hold_flow:
        tb.add_flow(Flow.of("Hold music", [PlayPrompt(id="m", text=HOLD_MUSIC, duration_s=20)]))
        blocks.append(SetEventHook(id="hook", hook="CustomerHold", flow="Hold music", next="q"))
    tb.add_flow(Flow.of("Inbound", [*blocks, SetWorkingQueue(id="q", queue="Support", next="t"),
                                    TransferToQueue(id="t")]))
    tb.add_queue("Support")
    tb.add_number(NUMBER, "Inbound")


def agent_part(record: ContactRecord) -> dict[str, Any]:
    ctr = record.to_ctr()
    agent: dict[str, Any] = ctr["Agent"]
    return {k: agent[k] for k in ("ConnectedToAgentTimestamp", "NumberOfHolds",
                                  "CustomerHoldDuration", "LongestHoldDuration",
                                  "AgentInteractionDuration", "AgentInitiatedHoldDuration")} | {
        "DisconnectTimestamp": ctr["DisconnectTimestamp"],
        "DisconnectReason": ctr["DisconnectReason"]}


def kinds(tb: Testbed, contact_id: str) -> list[tuple[float, str, Any]]:
    hold_kinds = {EventKind.HOLD, EventKind.RESUME, EventKind.MUTE, EventKind.UNMUTE}
    service = tb.record_service
    assert service is not None
    return [(e.timestamp_s, str(e.kind), e.data) for e in service.events(contact_id)
            if e.kind in hold_kinds]


async def test_hold_and_resume_counts_the_hold_apart_from_the_interaction(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(30, 45)]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=120))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert agent_part(record) == {
        "ConnectedToAgentTimestamp": at("11:35:00"), "NumberOfHolds": 1,
        "CustomerHoldDuration": 45, "LongestHoldDuration": 45,
        "AgentInteractionDuration": 75, "AgentInitiatedHoldDuration": 45,
        "DisconnectTimestamp": at("11:37:00"), "DisconnectReason": "CUSTOMER_DISCONNECT"}
    assert kinds(testbed, record.contact_id) == [(30.0, "HOLD", "alice"),
                                                 (75.0, "RESUME", "alice")]


async def test_both_parties_hear_that_the_hold_started_and_ended(testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], hold=[(30, 45)])
    john = MockCaller(JOHN, dial=NUMBER, talk_s=120)
    testbed.add_agent(alice)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    for party in (alice, john):
        notes = [(t, type(m)) for t, m in party.heard if isinstance(m, Held | Resumed)]
        assert notes == [(30.0, Held), (75.0, Resumed)]


async def test_two_holds_count_twice_with_the_longest_and_the_total(testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(10, 20), (60, 35)]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=150))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert agent_part(record) == {
        "ConnectedToAgentTimestamp": at("11:35:00"), "NumberOfHolds": 2,
        "CustomerHoldDuration": 55, "LongestHoldDuration": 35,
        "AgentInteractionDuration": 95, "AgentInitiatedHoldDuration": 55,
        "DisconnectTimestamp": at("11:37:30"), "DisconnectReason": "CUSTOMER_DISCONNECT"}


async def test_customer_hanging_up_on_hold_ends_the_hold_at_the_disconnect(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(30, 300)]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=100))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert agent_part(record) == {
        "ConnectedToAgentTimestamp": at("11:35:00"), "NumberOfHolds": 1,
        "CustomerHoldDuration": 70, "LongestHoldDuration": 70,
        "AgentInteractionDuration": 30, "AgentInitiatedHoldDuration": 70,
        "DisconnectTimestamp": at("11:36:40"), "DisconnectReason": "CUSTOMER_DISCONNECT"}
    # The resume the agent meant to send was dropped with the call.
    assert kinds(testbed, record.contact_id) == [(30.0, "HOLD", "alice")]


async def test_agent_hanging_up_on_hold_ends_the_hold_at_the_disconnect(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], hold=[(40, 300)], talk_s=90)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert agent_part(record) == {
        "ConnectedToAgentTimestamp": at("11:35:00"), "NumberOfHolds": 1,
        "CustomerHoldDuration": 50, "LongestHoldDuration": 50,
        "AgentInteractionDuration": 40, "AgentInitiatedHoldDuration": 50,
        "DisconnectTimestamp": at("11:36:30"), "DisconnectReason": "AGENT_DISCONNECT"}
    assert record.agent is not None and record.agent.after_contact_work_start_timestamp \
        is not None and alice.errors == []


async def test_a_contact_never_held_has_zero_holds(testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=60))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert agent_part(record) == {
        "ConnectedToAgentTimestamp": at("11:35:00"), "NumberOfHolds": 0,
        "CustomerHoldDuration": 0, "LongestHoldDuration": 0,
        "AgentInteractionDuration": 60, "AgentInitiatedHoldDuration": 0,
        "DisconnectTimestamp": at("11:36:00"), "DisconnectReason": "CUSTOMER_DISCONNECT"}


async def test_the_customer_hears_the_customer_hold_flow_while_on_hold(testbed: Testbed) -> None:
    centre(testbed, hold_flow=True)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(30, 45)]))
    john = MockCaller(JOHN, dial=NUMBER, talk_s=120)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    assert [(t, m.text) for t, m in john.heard if isinstance(m, Prompt)] == [(30.0, HOLD_MUSIC)]
    [record] = testbed.records
    assert agent_part(record)["CustomerHoldDuration"] == 45


async def test_resume_stops_the_hold_flow(testbed: Testbed) -> None:
    testbed.add_flow(Flow.of("Hold music", [
        PlayPrompt(id="a", text="first", duration_s=20, next="b"),
        PlayPrompt(id="b", text="second", duration_s=20)]))
    testbed.add_flow(Flow.of("Inbound", [
        SetEventHook(id="hook", hook="CustomerHold", flow="Hold music", next="q"),
        SetWorkingQueue(id="q", queue="Support", next="t"), TransferToQueue(id="t")]))
    testbed.add_queue("Support")
    testbed.add_number(NUMBER, "Inbound")
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(30, 10)]))
    john = MockCaller(JOHN, dial=NUMBER, talk_s=120)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    # Resumed at 40 s, before the second prompt was due at 50 s.
    assert [(t, m.text) for t, m in john.heard if isinstance(m, Prompt)] == [(30.0, "first")]


async def test_without_a_hold_flow_the_customer_hears_silence(testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(30, 45)]))
    john = MockCaller(JOHN, dial=NUMBER, talk_s=120)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    assert [m for _t, m in john.heard if isinstance(m, Prompt)] == []


def _connected_call(tb: Testbed, **agent: Any) -> tuple[MockAgent, MockCaller]:
    centre(tb)
    alice = MockAgent("alice", ["Support"], **agent)
    john = MockCaller(JOHN, dial=NUMBER, talk_s=100)
    tb.add_agent(alice)
    tb.add_caller(john)
    return alice, john


async def test_hold_before_the_call_is_connected_is_refused(testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], accept_after_s=None)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, patience_s=10))
    await testbed.advance(5)
    [offered] = [m for _t, m in alice.heard if isinstance(m, Offered)]
    cid = offered.contact_id

    alice.hold(cid)
    await testbed.advance(1)

    [error] = alice.errors
    assert (error.code, error.contact_id) == ("bad_state", cid)
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.agent is None and kinds(testbed, cid) == []


async def test_resume_when_not_on_hold_and_hold_twice_are_refused(testbed: Testbed) -> None:
    alice, _john = _connected_call(testbed)
    await testbed.advance(10)
    [cid] = alice.handled

    alice.resume(cid)
    alice.hold(cid)
    alice.hold(cid)
    await testbed.run_until_idle()

    assert [(e.code, e.contact_id) for e in alice.errors] == [("bad_state", cid)] * 2
    assert "not on hold" in alice.errors[0].detail
    assert "on hold already" in alice.errors[1].detail
    assert kinds(testbed, cid) == [(10.0, "HOLD", "alice")]


async def test_hold_on_another_agents_contact_is_refused_and_changes_nothing(
        testbed: Testbed) -> None:
    alice, _john = _connected_call(testbed)
    bob = MockAgent("bob", ["Support"])
    testbed.add_agent(bob)
    await testbed.advance(10)
    [cid] = alice.handled

    bob.hold(cid)
    bob.mute(cid)
    await testbed.run_until_idle()

    assert [(e.code, e.contact_id) for e in bob.errors] == [("bad_state", cid)] * 2
    assert "not a contact of agent 'bob'" in bob.errors[0].detail
    [record] = testbed.records
    assert agent_part(record)["NumberOfHolds"] == 0 and kinds(testbed, cid) == []


async def test_hold_after_the_call_ended_is_refused(testbed: Testbed) -> None:
    alice, _john = _connected_call(testbed, acw_s=None)
    await testbed.advance(150)  # the caller hung up at 100 s; alice is in after-contact work
    [cid] = alice.handled

    alice.hold(cid)
    await testbed.advance(1)

    [error] = alice.errors
    assert error.code == "bad_state" and "not connected" in error.detail


async def test_a_caller_sending_hold_gets_wrong_role(testbed: Testbed) -> None:
    alice, john = _connected_call(testbed)
    await testbed.advance(10)
    [cid] = alice.handled

    for message in (Hold(cid), Resume(cid), Mute(cid)):
        john._send(message)
    await testbed.run_until_idle()

    assert [e.code for e in john.errors] == ["wrong_role"] * 3
    assert kinds(testbed, cid) == []


async def test_mute_and_unmute_are_recorded_and_told_to_both(testbed: Testbed) -> None:
    alice, john = _connected_call(testbed, mute=[(20, 15)])
    await testbed.advance(50)
    [cid] = alice.handled
    alice.mute(cid, "customer")
    alice.mute(cid, "customer")  # muted already
    alice.unmute(cid, "customer")
    alice.mute(cid, "nobody")
    await testbed.run_until_idle()

    assert kinds(testbed, cid) == [
        (20.0, "MUTE", ("alice", "agent")), (35.0, "UNMUTE", ("alice", "agent")),
        (50.0, "MUTE", ("alice", "customer")), (50.0, "UNMUTE", ("alice", "customer"))]
    assert [(e.code, e.field) for e in alice.errors] == [("bad_state", "contact_id"),
                                                          ("bad_message", "participant")]
    notes = [(t, type(m).__name__, m.participant) for t, m in john.heard
             if isinstance(m, Muted | Unmuted)]
    assert notes == [(20.0, "Muted", "agent"), (35.0, "Unmuted", "agent"),
                     (50.0, "Muted", "customer"), (50.0, "Unmuted", "customer")]
    [record] = testbed.records  # mute leaves no record field (Connect's record has none)
    assert agent_part(record)["AgentInteractionDuration"] == 100


def test_the_new_messages_round_trip_and_are_validated() -> None:
    for message in (Hold("c1"), Resume("c1"), Mute("c1"), Mute("c1", "customer"),
                    Held("c1"), Resumed("c1"), Muted("c1", "agent"), Unmuted("c1", "customer")):
        assert decode(encode(message)) == message
    assert decode('{"type": "mute", "contact_id": "c1"}') == Mute("c1", "agent")
    for bad, field in (('{"type": "hold"}', "contact_id"),
                       ('{"type": "mute", "contact_id": "c1", "participant": "boss"}',
                        "participant"),
                       ('{"type": "resume", "contact_id": 5}', "contact_id")):
        try:
            decode(bad)
        except ProtocolError as exc:
            assert exc.field == field
        else:
            raise AssertionError(f"{bad} was accepted")


def test_stores_read_the_new_event_kinds_back() -> None:
    for kind, data in ((EventKind.HOLD, "alice"), (EventKind.RESUME, "alice"),
                       (EventKind.MUTE, ("alice", "agent")),
                       (EventKind.UNMUTE, ("alice", "customer"))):
        assert decode_entry(1.0, "c1", str(kind), encode_data(data)) == (1.0, "c1", kind, data)


async def test_metrics_count_contacts_put_on_hold_and_average_their_hold(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(10, 20), (60, 40)]))
    testbed.add_agent(MockAgent("bob", ["Support"], available_at=1))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=150))
    testbed.add_caller(MockCaller(JANE, dial=NUMBER, dial_at=1, talk_s=60))

    await testbed.run_until_idle()

    [interval] = historical(testbed.records, timedelta(minutes=15))
    assert (interval.contacts_put_on_hold, interval.avg_hold_time_s) == (1, 60.0)
    values = interval.to_json()
    assert (values["CONTACTS_PUT_ON_HOLD"], values["AVG_HOLD_TIME"]) == (1, 60.0)
    # Handle time counts the hold: John (90 talk + 60 hold) and Jane (60), no wrap-up.
    assert values["AVG_HANDLE_TIME"] == 105.0


async def test_hold_and_resume_over_websocket(served_testbed: Any) -> None:
    tb = served_testbed.testbed
    centre(tb, hold_flow=True)
    url = f"{served_testbed.url}/v1/endpoints/agent?username=desk&queues=Support&ack=1"
    seen: list[tuple[float, str]] = []
    async with served_testbed.session.ws_connect(url) as ws:
        await ws.send_json({"type": "set_status", "status": "Available"})
        john = MockCaller(JOHN, dial=NUMBER, talk_s=120)
        tb.add_caller(john)
        async for frame in ws:
            message = frame.json()
            kind, t = message["type"], message.get("t", 0.0)
            seen.append((t, kind))
            cid = message.get("contact_id")
            if kind == "offered":
                await ws.send_json({"type": "accept", "contact_id": cid})
            elif kind == "connected":
                await ws.send_json({"type": "set_timer", "ref": "hold", "at_s": t + 30})
                contact_id = cid
            elif kind == "alarm" and message["ref"] == "hold":
                await ws.send_json({"type": "hold", "contact_id": contact_id})
                await ws.send_json({"type": "hold", "contact_id": contact_id})  # refused
                await ws.send_json({"type": "set_timer", "ref": "resume", "at_s": t + 45})
            elif kind == "alarm" and message["ref"] == "resume":
                await ws.send_json({"type": "resume", "contact_id": contact_id})
            elif kind == "error":
                assert (message["code"], message["contact_id"]) == ("bad_state", contact_id)
            elif kind == "disconnected":
                break
            await ws.send_json({"type": "ack"})
    assert [(t, k) for t, k in seen if k in ("held", "resumed", "error")] == [
        (30.0, "held"), (30.0, "error"), (75.0, "resumed")]
    assert [(t, m.text) for t, m in john.heard if isinstance(m, Prompt)] == [(30.0, HOLD_MUSIC)]
    [record] = tb.records
    assert agent_part(record) == {
        "ConnectedToAgentTimestamp": at("11:35:00"), "NumberOfHolds": 1,
        "CustomerHoldDuration": 45, "LongestHoldDuration": 45,
        "AgentInteractionDuration": 75, "AgentInitiatedHoldDuration": 45,
        "DisconnectTimestamp": at("11:37:00"), "DisconnectReason": "CUSTOMER_DISCONNECT"}


# -- random sequences: every contact ends with a well-formed record ------------------------
_ACTIONS = ("hold", "resume", "mute", "unmute", "agent_hangup", "caller_hangup")


async def _random_call(steps: list[tuple[int, str]]) -> tuple[ContactRecord, list[Any]]:
    async with Testbed(speed=VIRTUAL) as tb:
        centre(tb, hold_flow=True)
        alice = MockAgent("alice", ["Support"])
        john = MockCaller(JOHN, dial=NUMBER)
        tb.add_agent(alice)
        tb.add_caller(john)

        def act(action: str) -> None:
            if not alice.handled:
                return
            cid = alice.handled[0]
            if action in ("hold", "resume", "mute", "unmute"):
                getattr(alice, action)(cid)
            elif action == "agent_hangup":
                alice.hang_up(cid)
            else:
                john.hang_up(cid)

        at_s = 0
        for gap_s, action in steps:
            at_s += gap_s
            tb.clock.call_at(at_s, act, action)
        tb.clock.call_at(at_s + 1, act, "agent_hangup")
        await tb.run_until_idle()
        [record] = tb.records
        assert tb.record_service is not None
        return record, tb.record_service.entries()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from(_ACTIONS)), max_size=12))
def test_random_hold_sequences_leave_well_formed_records(steps: list[tuple[int, str]]) -> None:
    record, entries = run(_random_call(steps), speed=VIRTUAL)
    agent = record.agent
    assert agent is not None and record.complete
    mine = [(t, kind) for t, cid, kind, _d in entries if cid == record.contact_id]
    holds = [t for t, kind in mine if kind is EventKind.HOLD]
    resumes = [t for t, kind in mine if kind is EventKind.RESUME]
    disconnect = next(t for t, kind in mine if kind is EventKind.DISCONNECTED)
    # Holds and resumes alternate, each after the connect and before the disconnect.
    order = [kind for _t, kind in mine if kind in (EventKind.HOLD, EventKind.RESUME)]
    assert order == [EventKind.HOLD, EventKind.RESUME] * len(resumes) + \
        [EventKind.HOLD] * (len(holds) - len(resumes))
    assert agent.number_of_holds == len(holds)
    ends = [*resumes, disconnect][:len(holds)]
    lengths = [round(e * 1000) // 1000 - round(s * 1000) // 1000
               for s, e in zip(holds, ends, strict=True)]
    assert agent.customer_hold_duration_s == sum(lengths)
    assert agent.longest_hold_duration_s == max(lengths, default=0)
    assert agent.connected_to_agent_timestamp is not None
    assert record.disconnect_timestamp is not None
    connected_s = int((record.disconnect_timestamp
                       - agent.connected_to_agent_timestamp).total_seconds())
    interaction = record.agent_interaction_duration_s
    assert interaction is not None and interaction >= 0
    assert interaction + agent.customer_hold_duration_s == connected_s
    assert ContactRecord.from_ctr(record.to_ctr()) == record


async def test_the_metrics_table_shows_the_hold_metrics_within_80_columns(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(10, 20), (60, 40)]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=150))
    await testbed.run_until_idle()

    rows = historical(testbed.records, timedelta(minutes=15))
    console = Console(width=80, record=True, file=io.StringIO())
    for table in interval_tables(rows, timedelta(minutes=15), (20, 60), 80):
        console.print(table)
    text = console.export_text()

    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Support: holds" in text
    assert "CONTACTS_PUT_ON_HOLD" in text and "AVG_HOLD_TIME" in text
    holds = text[text.index("Support: holds"):].splitlines()
    assert holds[4].split() == ["│", "11:30-11:45", "│", "1", "│", "60.0", "│"]


async def test_the_csv_export_has_the_hold_columns(testbed: Testbed) -> None:
    import csv
    import io

    from testbed.records.export import csv_text

    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(30, 45)]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=120))
    await testbed.run_until_idle()
    [row] = csv.DictReader(io.StringIO(csv_text(testbed.records)))
    assert (row["Agent.NumberOfHolds"], row["Agent.CustomerHoldDuration"],
            row["Agent.LongestHoldDuration"], row["Agent.AgentInteractionDuration"]) \
        == ("1", "45", "45", "75")
    assert row["SystemEndpoint.Address"] == NUMBER and row["Tags"] == ""
