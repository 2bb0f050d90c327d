"""Consults of an outside number: the agent holds the customer and dials a phone number
quick connect, then completes the transfer, conferences or cancels."""

from __future__ import annotations

from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import EventKind, Flow, SetWorkingQueue, Testbed, TransferToQueue
from testbed.core.messages import (
    Conferenced,
    Connected,
    Consulting,
    Disconnected,
    Prompt,
    Ringing,
    Transferred,
)
from testbed.records.contact_record import ContactRecord
from testbed.server.remote import connect_caller

from .conftest import JOHN, at

NUMBER = "+18005550100"
PARTNER = "+15555550777"


def centre(tb: Testbed) -> None:
    """Calls to NUMBER queue in Support; quick connect "Partner" dials PARTNER."""
    tb.add_flow(Flow.of("Inbound", [SetWorkingQueue(id="q", queue="Support", next="t"),
                                    TransferToQueue(id="t")]))
    tb.add_queue("Support")
    tb.add_number(NUMBER, "Inbound")
    tb.add_quick_connect("Partner", number=PARTNER)


def call(tb: Testbed, *, partner: dict[str, Any] | None = None, john: dict[str, Any] | None
         = None, **alice: Any) -> tuple[MockAgent, MockCaller, MockCaller]:
    """alice (Support) takes john's call at 11:35:00; the partner answers its ring after
    5 s unless ``partner`` says otherwise."""
    centre(tb)
    agent = MockAgent("alice", ["Support"], **alice)
    customer = MockCaller(JOHN, dial=NUMBER, **(john or {}))
    outside = MockCaller(PARTNER, **({"answer_after_s": 5} | (partner or {})))
    tb.add_agent(agent)
    tb.add_caller(customer)
    tb.add_caller(outside)
    return agent, customer, outside


def fields(record: ContactRecord) -> dict[str, Any]:
    """Every record field a consult of an outside number sets, in CTR form."""
    ctr = record.to_ctr()
    agent, queue = ctr["Agent"], ctr["Queue"]
    return {
        "InitiationMethod": ctr["InitiationMethod"],
        "InitiationTimestamp": ctr["InitiationTimestamp"],
        "ConnectedToSystemTimestamp": ctr["ConnectedToSystemTimestamp"],
        "CustomerEndpoint": ctr["CustomerEndpoint"]["Address"],
        "SystemEndpoint": ctr["SystemEndpoint"]["Address"],
        "PreviousContactId": ctr["PreviousContactId"],
        "NextContactId": ctr["NextContactId"],
        "Queue": None if queue is None else (queue["Name"], queue["EnqueueTimestamp"],
                                             queue["DequeueTimestamp"], queue["Duration"]),
        "Agent": None if agent is None else (
            agent["Username"], agent["ConnectedToAgentTimestamp"],
            agent["AfterContactWorkStartTimestamp"], agent["NumberOfHolds"],
            agent["CustomerHoldDuration"], agent["LongestHoldDuration"],
            agent["AgentInteractionDuration"]),
        "DisconnectTimestamp": ctr["DisconnectTimestamp"],
        "DisconnectReason": ctr["DisconnectReason"],
        "TransferredToEndpoint": None if ctr["TransferredToEndpoint"] is None
        else ctr["TransferredToEndpoint"]["Address"],
        "TransferCompletedTimestamp": ctr["TransferCompletedTimestamp"],
        "ExternalThirdParty": ctr["ExternalThirdParty"],
    }


def first_leg(leg: str, *, agent: tuple[Any, ...], end: str, reason: str,
              transferred: str | None = None) -> dict[str, Any]:
    return {
        "InitiationMethod": "INBOUND", "InitiationTimestamp": at("11:35:00"),
        "ConnectedToSystemTimestamp": at("11:35:00"), "CustomerEndpoint": JOHN,
        "SystemEndpoint": NUMBER, "PreviousContactId": None, "NextContactId": leg,
        "Queue": ("Support", at("11:35:00"), at("11:35:00"), 0),
        "Agent": ("alice", at("11:35:00"), *agent), "DisconnectTimestamp": at(end),
        "DisconnectReason": reason,
        "TransferredToEndpoint": None if transferred is None else PARTNER,
        "TransferCompletedTimestamp": None if transferred is None else at(transferred)}


def outside_leg(first: str, *, answered: str | None, end: str, reason: str,
                talked_s: int | None) -> dict[str, Any]:
    return {
        "InitiationMethod": "EXTERNAL_OUTBOUND", "InitiationTimestamp": at("11:35:30"),
        "ConnectedToSystemTimestamp": None if answered is None else at(answered),
        "CustomerEndpoint": PARTNER, "SystemEndpoint": NUMBER, "PreviousContactId": first,
        "NextContactId": None, "Queue": None, "Agent": None, "DisconnectTimestamp": at(end),
        "DisconnectReason": reason, "TransferredToEndpoint": None,
        "TransferCompletedTimestamp": None,
        "ExternalThirdParty": None if talked_s is None
        else {"ExternalThirdPartyInteractionDuration": talked_s}}


def heard(party: MockAgent | MockCaller, *kinds: type) -> list[tuple[float, Any]]:
    return [(t, m) for t, m in party.heard if isinstance(m, kinds)]


async def test_a_consult_of_a_number_completed_leaves_customer_and_outside_party_talking(
        testbed: Testbed) -> None:
    """alice consults the partner at 30 s (it answers at 35 s) and completes at 55 s;
    the partner talks its 60 s again with john and hangs up at 115 s."""
    alice, john, partner = call(testbed, consult=[(30, "Partner", "complete", 20)],
                                partner={"talk_s": 60})
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert [fields(r) for r in testbed.records] == [
        first_leg(leg.contact_id, agent=(at("11:35:55"), 1, 25, 25, 30), end="11:35:55",
                  reason="AGENT_DISCONNECT", transferred="11:35:55") | {
            "ExternalThirdParty": None},
        outside_leg(first.contact_id, answered="11:35:35", end="11:36:55",
                    reason="THIRD_PARTY_DISCONNECT", talked_s=60)]
    c1, c2 = first.contact_id, leg.contact_id
    assert heard(alice, Consulting, Connected, Disconnected) == [
        (0.0, Connected(c1, JOHN)), (30.0, Consulting(c1, c2)),
        (35.0, Connected(c2, PARTNER)), (55.0, Disconnected(c1, "AGENT_DISCONNECT"))]
    assert heard(partner, Ringing, Connected, Disconnected) == [
        (30.0, Ringing(c2, NUMBER)), (35.0, Connected(c2, "alice")),
        (55.0, Connected(c2, JOHN)), (115.0, Disconnected(c2, "THIRD_PARTY_DISCONNECT"))]
    assert heard(john, Transferred, Connected, Disconnected) == [
        (0.0, Connected(c1, "alice")), (55.0, Transferred(c1, c2)),
        (55.0, Connected(c2, PARTNER)), (115.0, Disconnected(c2, "THIRD_PARTY_DISCONNECT"))]
    assert alice.state == "Available"
    assert not alice.errors and not john.errors and not partner.errors


async def test_the_customer_hanging_up_after_the_transfer_ends_the_outside_leg(
        testbed: Testbed) -> None:
    _alice, _john, partner = call(testbed, consult=[(30, "Partner", "complete", 20)],
                                  john={"talk_s": 60})
    await testbed.run_until_idle()
    _first, leg = testbed.records
    # john's talk time starts again with the partner at 55 s: he hangs up at 115 s.
    assert fields(leg)["DisconnectTimestamp"] == at("11:36:55")
    assert (fields(leg)["DisconnectReason"], fields(leg)["ExternalThirdParty"]) == (
        "CUSTOMER_DISCONNECT", {"ExternalThirdPartyInteractionDuration": 60})
    assert heard(partner, Disconnected) == [
        (115.0, Disconnected(leg.contact_id, "CUSTOMER_DISCONNECT"))]


async def test_a_conference_with_a_number_goes_on_when_the_agent_drops(
        testbed: Testbed) -> None:
    """alice conferences at 45 s and hangs up at 80 s (her talk_s); john and the partner
    talk on until the partner's 120 s from its answer are up."""
    alice, john, partner = call(testbed, talk_s=80,
                                consult=[(30, "Partner", "conference", 10)],
                                partner={"talk_s": 120})
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert [fields(r) for r in testbed.records] == [
        first_leg(leg.contact_id, agent=(at("11:36:20"), 1, 15, 15, 65), end="11:36:20",
                  reason="AGENT_DISCONNECT") | {"ExternalThirdParty": None},
        outside_leg(first.contact_id, answered="11:35:35", end="11:37:35",
                    reason="THIRD_PARTY_DISCONNECT", talked_s=110)]
    joined = Conferenced(first.contact_id, leg.contact_id)
    for party in (alice, john, partner):
        assert heard(party, Conferenced) == [(45.0, joined)]
    assert heard(john, Transferred) == [(80.0, Transferred(first.contact_id, leg.contact_id))]
    assert alice.state == "Available"


async def test_the_outside_party_leaving_a_conference_leaves_agent_and_customer_talking(
        testbed: Testbed) -> None:
    alice, _john, _partner = call(testbed, talk_s=100,
                                  consult=[(30, "Partner", "conference", 10)],
                                  partner={"talk_s": 20})
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert fields(first)["Agent"] == ("alice", at("11:35:00"), at("11:36:40"), 1, 15, 15, 85)
    assert (fields(first)["DisconnectTimestamp"], fields(first)["DisconnectReason"]) == (
        at("11:36:40"), "AGENT_DISCONNECT")
    assert fields(leg) == outside_leg(first.contact_id, answered="11:35:35", end="11:35:55",
                                      reason="THIRD_PARTY_DISCONNECT", talked_s=10)
    assert (55.0, Disconnected(leg.contact_id, "THIRD_PARTY_DISCONNECT")) in alice.heard


async def test_the_customer_leaving_a_conference_with_a_number_ends_both_legs(
        testbed: Testbed) -> None:
    _alice, _john, partner = call(testbed, consult=[(30, "Partner", "conference", 10)],
                                  john={"talk_s": 60})
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert [(fields(r)["DisconnectTimestamp"], fields(r)["DisconnectReason"])
            for r in (first, leg)] == [(at("11:36:00"), "CUSTOMER_DISCONNECT")] * 2
    assert fields(leg)["ExternalThirdParty"] == {"ExternalThirdPartyInteractionDuration": 15}
    assert heard(partner, Disconnected) == [
        (60.0, Disconnected(leg.contact_id, "CUSTOMER_DISCONNECT"))]


async def test_a_consult_of_a_number_cancelled_while_it_rings_resumes_the_customer(
        testbed: Testbed) -> None:
    alice, john, partner = call(testbed, talk_s=100, consult=[(30, "Partner", "cancel", 10)],
                                partner={"answer_after_s": None})
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert [fields(r) for r in testbed.records] == [
        first_leg(leg.contact_id, agent=(at("11:36:40"), 1, 10, 10, 90), end="11:36:40",
                  reason="AGENT_DISCONNECT") | {"ExternalThirdParty": None},
        outside_leg(first.contact_id, answered=None, end="11:35:40",
                    reason="AGENT_DISCONNECT", talked_s=None)]
    assert heard(partner, Ringing, Disconnected) == [
        (30.0, Ringing(leg.contact_id, NUMBER)),
        (40.0, Disconnected(leg.contact_id, "AGENT_DISCONNECT"))]
    assert [t for t, m in john.heard if type(m).__name__ in ("Held", "Resumed")] == [30.0, 40.0]
    assert not alice.errors


async def test_a_consult_of_a_number_cancelled_after_talking_records_no_customer_time(
        testbed: Testbed) -> None:
    _alice, _john, _partner = call(testbed, talk_s=100,
                                   consult=[(30, "Partner", "cancel", 15)])
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert fields(leg) == outside_leg(first.contact_id, answered="11:35:35", end="11:35:45",
                                      reason="AGENT_DISCONNECT", talked_s=0)
    assert fields(first)["Agent"] == ("alice", at("11:35:00"), at("11:36:40"), 1, 15, 15, 85)


async def test_a_number_nobody_answers_ends_the_leg_unanswered_and_keeps_the_hold(
        testbed: Testbed) -> None:
    alice, _john, partner = call(testbed, talk_s=100, consult=[(30, "Partner", "complete", 5)],
                                 partner={"answer_after_s": None})
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert fields(leg) == outside_leg(first.contact_id, answered=None, end="11:36:00",
                                      reason="TELECOM_UNANSWERED", talked_s=None)
    # The customer stays on hold until the call ends (alice never resumed).
    assert fields(first)["Agent"] == ("alice", at("11:35:00"), at("11:36:40"), 1, 70, 70, 30)
    assert (60.0, Disconnected(leg.contact_id, "TELECOM_UNANSWERED")) in alice.heard
    assert heard(partner, Disconnected) == [(60.0, Disconnected(leg.contact_id, "NO_ANSWER"))]


async def test_the_customer_hanging_up_during_a_consult_of_a_number_ends_both_legs(
        testbed: Testbed) -> None:
    alice, _john, partner = call(testbed, consult=[(30, "Partner", "complete", 60)],
                                 john={"talk_s": 40})
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert [(fields(r)["DisconnectTimestamp"], fields(r)["DisconnectReason"])
            for r in (first, leg)] == [(at("11:35:40"), "CUSTOMER_DISCONNECT")] * 2
    assert fields(first)["Agent"] == ("alice", at("11:35:00"), at("11:35:40"), 1, 10, 10, 30)
    assert fields(leg)["ExternalThirdParty"] == {"ExternalThirdPartyInteractionDuration": 0}
    assert heard(partner, Disconnected) == [
        (40.0, Disconnected(leg.contact_id, "CUSTOMER_DISCONNECT"))]
    assert alice.state == "Available" and not alice.errors


async def test_the_outside_party_hanging_up_during_the_consult_keeps_the_customer_on_hold(
        testbed: Testbed) -> None:
    alice, john, _partner = call(testbed, consult=[(30, "Partner", "complete", 60)],
                                 partner={"talk_s": 10})
    await testbed.advance(50)
    first, leg = testbed.records
    assert (45.0, Disconnected(leg.contact_id, "THIRD_PARTY_DISCONNECT")) in alice.heard
    alice.resume(first.contact_id)  # the consult is over: a plain resume
    await testbed.advance(10)
    alice.hang_up(first.contact_id)
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert fields(leg) == outside_leg(first.contact_id, answered="11:35:35", end="11:35:45",
                                      reason="THIRD_PARTY_DISCONNECT", talked_s=0)
    assert fields(first)["Agent"] == ("alice", at("11:35:00"), at("11:36:00"), 1, 20, 20, 40)
    assert not alice.errors and not john.errors


async def test_the_agent_hanging_up_before_the_number_answers_ends_both_legs(
        testbed: Testbed) -> None:
    alice, _john, partner = call(testbed, consult=[(30, "Partner", "complete", 60)],
                                 partner={"answer_after_s": None})
    await testbed.advance(40)
    first = testbed.records[0].contact_id
    alice.hang_up(first)
    await testbed.run_until_idle()
    first_record, leg = testbed.records
    assert [(fields(r)["DisconnectTimestamp"], fields(r)["DisconnectReason"])
            for r in (first_record, leg)] == [(at("11:35:40"), "AGENT_DISCONNECT")] * 2
    assert fields(first_record)["TransferCompletedTimestamp"] is None
    assert heard(partner, Disconnected) == [
        (40.0, Disconnected(leg.contact_id, "AGENT_DISCONNECT"))]


async def test_the_agent_hanging_up_after_the_number_answered_completes_the_transfer(
        testbed: Testbed) -> None:
    alice, john, _partner = call(testbed, consult=[(30, "Partner", "complete", 60)],
                                 partner={"talk_s": 30})
    await testbed.advance(40)
    first = testbed.records[0].contact_id
    alice.hang_up(first)
    await testbed.run_until_idle()
    first_record, leg = testbed.records
    assert fields(first_record) == first_leg(
        leg.contact_id, agent=(at("11:35:40"), 1, 10, 10, 30), end="11:35:40",
        reason="AGENT_DISCONNECT", transferred="11:35:40") | {"ExternalThirdParty": None}
    assert fields(leg) == outside_leg(first, answered="11:35:35", end="11:36:10",
                                      reason="THIRD_PARTY_DISCONNECT", talked_s=30)
    assert heard(john, Transferred) == [(40.0, Transferred(first, leg.contact_id))]


async def test_the_outside_partys_line_going_away_is_a_hang_up(testbed: Testbed) -> None:
    _alice, _john, _partner = call(testbed, talk_s=100,
                                   consult=[(30, "Partner", "conference", 5)])
    await testbed.advance(50)
    testbed.switchboard.disconnect_phone(PARTNER)
    await testbed.run_until_idle()
    first, leg = testbed.records
    assert (fields(leg)["DisconnectTimestamp"], fields(leg)["DisconnectReason"]) == (
        at("11:35:50"), "THIRD_PARTY_DISCONNECT")
    assert fields(first)["DisconnectReason"] == "AGENT_DISCONNECT"


async def test_consult_messages_out_of_place_with_a_number_are_refused(
        testbed: Testbed) -> None:
    alice, john, partner = call(testbed, partner={"answer_after_s": None})
    bob = MockAgent("bob", ["Support"], available_at=None)
    testbed.add_agent(bob)
    await testbed.advance(10)
    [first] = [r.contact_id for r in testbed.records]
    alice.consult(first, "Partner")
    await testbed.advance(1)
    [leg] = [r.contact_id for r in testbed.records[1:]]
    alice.complete_transfer(first)      # the number has not answered
    alice.conference(first)
    alice.consult(first, "Partner")     # a consult is under way already
    alice.hold(first)                   # the consult holds the customer
    alice.transfer(first, "Partner")
    bob.cancel_consult(first)           # not bob's contact
    john.hang_up(leg)                   # john is not on the leg (he is on hold)
    await testbed.advance(1)
    partner.answer(leg)
    await testbed.advance(1)
    partner.answer(leg)                 # answered already
    await testbed.advance(1)
    assert [(e.code, e.field) for e in alice.errors] == [("bad_state", "contact_id")] * 5
    assert [e.code for e in bob.errors] == ["bad_state"]
    assert [e.code for e in john.errors] == ["bad_state"]
    assert [e.code for e in partner.errors] == ["bad_state"]
    kinds = [kind for _t, cid, kind, _d in testbed.events() if cid == first]
    assert kinds.count(EventKind.QUICK_CONNECT) == 1 and kinds.count(EventKind.HOLD) == 1
    assert [kind for _t, cid, kind, _d in testbed.events()
            if cid == leg].count(EventKind.CONNECTED_TO_SYSTEM) == 1


def classify(parent: dict[str, Any], child: dict[str, Any]) -> str | None:
    """Connect's logic for an external leg, from its page on identifying conferences and
    transfers in contact records (the threshold of 2 s included)."""
    acw = parent["Agent"]["AfterContactWorkStartTimestamp"]
    if acw > child["DisconnectTimestamp"]:
        held = parent["Agent"]["CustomerHoldDuration"]
        talked = child["ExternalThirdParty"]["ExternalThirdPartyInteractionDuration"]
        return "EXT_CONSULT" if held - talked > 2 else "EXT_CONFERENCE"
    completed = parent["TransferCompletedTimestamp"]
    if completed is not None and child["DisconnectTimestamp"] > completed:
        return "EXT_TRANSFER"
    return None


async def _kind_of(then: str, after_s: float, partner_talk_s: float) -> str | None:
    async with Testbed() as tb:
        call(tb, talk_s=100, consult=[(30, "Partner", then, after_s)],
             partner={"talk_s": partner_talk_s})
        await tb.run_until_idle()
        first, leg = (r.to_ctr() for r in tb.records)
        assert leg["InitiationMethod"] == "EXTERNAL_OUTBOUND" and leg["Agent"] is None
        return classify(first, leg)


@pytest.mark.testbed
async def test_connects_own_logic_tells_the_three_outcomes_apart_in_the_records() -> None:
    assert await _kind_of("cancel", 15, 60) == "EXT_CONSULT"
    assert await _kind_of("conference", 10, 40) == "EXT_CONFERENCE"
    assert await _kind_of("complete", 20, 60) == "EXT_TRANSFER"


async def test_prompts_of_the_consult_go_to_nobody_but_the_parties(testbed: Testbed) -> None:
    """A number leg runs no flow: neither john nor the partner hears a prompt."""
    _alice, john, partner = call(testbed, consult=[(30, "Partner", "complete", 20)],
                                 partner={"talk_s": 10})
    await testbed.run_until_idle()
    assert heard(john, Prompt) == [] and heard(partner, Prompt) == []


async def test_a_consult_of_a_number_over_websocket(served_testbed: Any) -> None:
    """A raw agent desktop (written from docs/protocol.md) consults the partner, a remote
    caller, tries what does not fit while it rings, then completes once it answers."""
    tb = served_testbed.testbed
    centre(tb)
    partner = MockCaller(PARTNER, answer_after_s=5)
    url = f"{served_testbed.url}/v1/endpoints/agent?username=desk&queues=Support&ack=1"
    seen: list[tuple[float, str, Any]] = []
    errors: list[tuple[str, str | None]] = []
    async with connect_caller(served_testbed.url, partner), \
            served_testbed.session.ws_connect(url) as ws:
        await ws.send_json({"type": "set_status", "status": "Available"})
        tb.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=30))
        first = ""
        async for frame in ws:
            message = frame.json()
            kind, t, cid = message["type"], message.get("t", 0.0), message.get("contact_id")
            seen.append((t, kind, message.get("peer")))
            if kind == "offered":
                await ws.send_json({"type": "accept", "contact_id": cid})
            elif kind == "connected" and not first:
                first = cid
                await ws.send_json({"type": "consult", "contact_id": cid,
                                    "quick_connect": "Partner"})
            elif kind == "consulting":
                for hostile in (
                        {"type": "complete_transfer", "contact_id": first},  # still ringing
                        {"type": "conference", "contact_id": first},
                        {"type": "consult", "contact_id": first, "quick_connect": "Partner"},
                        {"type": "consult", "contact_id": first, "quick_connect": "Nobody"},
                        {"type": "consult", "contact_id": first},
                        {"type": "consult", "contact_id": first, "quick_connect": " "},
                        {"type": "cancel_consult", "contact_id": "not-mine"},
                        {"type": "hold", "contact_id": first}):
                    await ws.send_json(hostile)
            elif kind == "error":
                errors.append((message["code"], message["field"]))
            elif kind == "connected" and message["peer"] == PARTNER:
                await ws.send_json({"type": "complete_transfer", "contact_id": first})
            elif kind == "disconnected":
                break
            await ws.send_json({"type": "ack"})
        await tb.run_until_idle()
    assert [(t, k, p) for t, k, p in seen if k not in ("agent_status", "error")] == [
        (0.0, "offered", None), (0.0, "connected", JOHN), (0.0, "held", None),
        (0.0, "consulting", None), (5.0, "connected", PARTNER), (5.0, "disconnected", None)]
    # Malformed messages are answered at the network edge, the rest by the switchboard:
    # the two kinds may interleave.
    assert sorted(errors) == [("bad_message", "quick_connect")] * 3 + [
        ("bad_state", "contact_id")] * 5
    first_record, leg = tb.records
    assert fields(first_record) == first_leg(
        leg.contact_id, agent=(at("11:35:05"), 1, 5, 5, 0), end="11:35:05",
        reason="AGENT_DISCONNECT", transferred="11:35:05") | {
        "Agent": ("desk", at("11:35:00"), at("11:35:05"), 1, 5, 5, 0),
        "ExternalThirdParty": None}
    assert fields(leg) == outside_leg(first_record.contact_id, answered="11:35:05",
                                      end="11:35:35", reason="CUSTOMER_DISCONNECT",
                                      talked_s=30) | {
        "InitiationTimestamp": at("11:35:00")}
    assert partner.contact_ids == [leg.contact_id]
