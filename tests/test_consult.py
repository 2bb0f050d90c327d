"""Consults by agents: warm transfers, conferences and cancelled consults."""

from __future__ import annotations

from typing import Any

from fakes import MockAgent, MockCaller
from testbed import EventKind, Flow, PlayPrompt, SetWorkingQueue, Testbed, TransferToQueue
from testbed.core.messages import (
    CompleteTransfer,
    Conferenced,
    Consult,
    Consulting,
    Disconnected,
    Transferred,
)
from testbed.core.wire import decode, encode

from .conftest import JOHN, at

NUMBER = "+18005550100"


def centre(tb: Testbed) -> None:
    """Calls to NUMBER queue in Support. Quick connects: "Bob" (agent bob, a 3 s prompt
    in the transfer flow) and "Billing" (queue Billing)."""
    tb.add_flow(Flow.of("Inbound", [SetWorkingQueue(id="q", queue="Support", next="t"),
                                    TransferToQueue(id="t")]))
    tb.add_flow(Flow.of("To agent", [
        PlayPrompt(id="p", text="Connecting you.", duration_s=3, next="t"),
        TransferToQueue(id="t")]))
    tb.add_flow(Flow.of("To queue", [TransferToQueue(id="t")]))
    tb.add_queue("Support")
    tb.add_queue("Billing")
    tb.add_number(NUMBER, "Inbound")
    tb.add_quick_connect("Bob", agent="bob", flow="To agent")
    tb.add_quick_connect("Billing", queue="Billing", flow="To queue")


def legs(tb: Testbed) -> list[dict[str, Any]]:
    """The fields of each leg a consult touches, in CTR form, in initiation order."""
    out = []
    for record in tb.records:
        ctr = record.to_ctr()
        agent, queue = ctr["Agent"], ctr["Queue"]
        out.append({
            "InitiationMethod": ctr["InitiationMethod"],
            "InitiationTimestamp": ctr["InitiationTimestamp"],
            "ConnectedToSystemTimestamp": ctr["ConnectedToSystemTimestamp"],
            "PreviousContactId": ctr["PreviousContactId"],
            "NextContactId": ctr["NextContactId"],
            "Queue": None if queue is None else (queue["Name"], queue["EnqueueTimestamp"],
                                                 queue["DequeueTimestamp"]),
            "Agent": None if agent is None else (
                agent["Username"], agent["ConnectedToAgentTimestamp"],
                agent["AfterContactWorkStartTimestamp"], agent["NumberOfHolds"],
                agent["CustomerHoldDuration"], agent["LongestHoldDuration"],
                agent["AgentInteractionDuration"]),
            "DisconnectTimestamp": ctr["DisconnectTimestamp"],
            "DisconnectReason": ctr["DisconnectReason"],
            "TransferredToEndpoint": ctr["TransferredToEndpoint"],
            "TransferCompletedTimestamp": ctr["TransferCompletedTimestamp"],
        })
    return out


def ids(tb: Testbed) -> tuple[str, str]:
    first, leg = tb.records
    return first.contact_id, leg.contact_id


async def test_warm_transfer_completed(testbed: Testbed) -> None:
    """alice consults bob at 30 s, talks 20 s after bob joins, then leaves; john talks on
    with bob, who hangs up after 60 s."""
    centre(testbed)
    alice = MockAgent("alice", ["Support"], consult=[(30, "Bob", "complete", 20)])
    bob = MockAgent("bob", ["Billing"], talk_s=60)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_agent(alice)
    testbed.add_agent(bob)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    first, leg = ids(testbed)
    # The transfer flow's 3 s prompt, then bob is offered and accepts at 11:35:33.
    assert legs(testbed) == [{
        "InitiationMethod": "INBOUND", "InitiationTimestamp": at("11:35:00"),
        "ConnectedToSystemTimestamp": at("11:35:00"),
        "PreviousContactId": None, "NextContactId": leg,
        "Queue": ("Support", at("11:35:00"), at("11:35:00")),
        "Agent": ("alice", at("11:35:00"), at("11:35:53"), 1, 23, 23, 30),
        "DisconnectTimestamp": at("11:35:53"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": at("11:35:53"),
    }, {
        "InitiationMethod": "TRANSFER", "InitiationTimestamp": at("11:35:30"),
        "ConnectedToSystemTimestamp": at("11:35:30"),
        "PreviousContactId": first, "NextContactId": None,
        "Queue": ("agent/bob", at("11:35:33"), at("11:35:33")),
        # bob talks with john from the transfer at 11:35:53 only (Connect: interaction
        # time is time with the customer; talking with alice before is not).
        "Agent": ("bob", at("11:35:33"), at("11:36:53"), 0, 0, 0, 60),
        "DisconnectTimestamp": at("11:36:53"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": None,
    }]
    assert [m for _t, m in john.heard if isinstance(m, Transferred)] == [
        Transferred(first, leg)]
    assert [m for _t, m in alice.heard if isinstance(m, Consulting)] == [
        Consulting(first, leg)]
    assert alice.state == "Available" and bob.state == "Available"
    assert not alice.errors and not bob.errors and not john.errors


async def test_conference_then_the_first_agent_drops(testbed: Testbed) -> None:
    """alice conferences 10 s after bob joins and leaves at 80 s (her talk_s); john and
    bob talk on until bob's 120 s are up."""
    centre(testbed)
    alice = MockAgent("alice", ["Support"], talk_s=80, consult=[(30, "Bob", "conference", 10)])
    bob = MockAgent("bob", ["Billing"], talk_s=120)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_agent(alice)
    testbed.add_agent(bob)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    first, leg = ids(testbed)
    assert legs(testbed) == [{
        "InitiationMethod": "INBOUND", "InitiationTimestamp": at("11:35:00"),
        "ConnectedToSystemTimestamp": at("11:35:00"),
        "PreviousContactId": None, "NextContactId": leg,
        "Queue": ("Support", at("11:35:00"), at("11:35:00")),
        "Agent": ("alice", at("11:35:00"), at("11:36:20"), 1, 13, 13, 67),
        "DisconnectTimestamp": at("11:36:20"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": None,
    }, {
        "InitiationMethod": "TRANSFER", "InitiationTimestamp": at("11:35:30"),
        "ConnectedToSystemTimestamp": at("11:35:30"),
        "PreviousContactId": first, "NextContactId": None,
        "Queue": ("agent/bob", at("11:35:33"), at("11:35:33")),
        "Agent": ("bob", at("11:35:33"), at("11:37:33"), 0, 0, 0, 110),  # from the join
        "DisconnectTimestamp": at("11:37:33"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": None,
    }]
    joined = Conferenced(first, leg)
    for party in (alice, bob, john):
        assert [(t, m) for t, m in party.heard if isinstance(m, Conferenced)] == [
            (43.0, joined)]
    assert [m for _t, m in john.heard if isinstance(m, Transferred)] == [
        Transferred(first, leg)]
    assert alice.state == "Available" and bob.state == "Available"


async def test_customer_leaving_a_conference_ends_both_legs(testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], consult=[(30, "Bob", "conference", 10)]))
    testbed.add_agent(MockAgent("bob", ["Billing"]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=60))
    await testbed.run_until_idle()
    assert [(r["DisconnectTimestamp"], r["DisconnectReason"]) for r in legs(testbed)] == [
        (at("11:36:00"), "CUSTOMER_DISCONNECT"), (at("11:36:00"), "CUSTOMER_DISCONNECT")]


async def test_second_agent_leaving_a_conference_leaves_the_first_call(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], talk_s=100, consult=[(30, "Bob", "conference", 10)])
    testbed.add_agent(alice)
    testbed.add_agent(MockAgent("bob", ["Billing"], talk_s=20))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until_idle()
    _first, leg = ids(testbed)
    assert [(r["DisconnectTimestamp"], r["DisconnectReason"]) for r in legs(testbed)] == [
        (at("11:36:40"), "AGENT_DISCONNECT"), (at("11:35:53"), "AGENT_DISCONNECT")]
    assert next((t, m) for t, m in alice.heard if isinstance(m, Disconnected)) == (
        53.0, Disconnected(leg, "AGENT_DISCONNECT"))


async def test_consult_cancelled_resumes_the_customer(testbed: Testbed) -> None:
    centre(testbed)
    # The cancel counts from the consult: 10 s on hold, bob on the leg from 33 s to 40 s.
    alice = MockAgent("alice", ["Support"], talk_s=100, consult=[(30, "Bob", "cancel", 10)])
    bob = MockAgent("bob", ["Billing"])
    testbed.add_agent(alice)
    testbed.add_agent(bob)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until_idle()
    first, leg = ids(testbed)
    assert legs(testbed) == [{
        "InitiationMethod": "INBOUND", "InitiationTimestamp": at("11:35:00"),
        "ConnectedToSystemTimestamp": at("11:35:00"),
        "PreviousContactId": None, "NextContactId": leg,
        "Queue": ("Support", at("11:35:00"), at("11:35:00")),
        "Agent": ("alice", at("11:35:00"), at("11:36:40"), 1, 10, 10, 90),
        "DisconnectTimestamp": at("11:36:40"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": None,
    }, {
        "InitiationMethod": "TRANSFER", "InitiationTimestamp": at("11:35:30"),
        "ConnectedToSystemTimestamp": at("11:35:30"),
        "PreviousContactId": first, "NextContactId": None,
        "Queue": ("agent/bob", at("11:35:33"), at("11:35:33")),
        # Connect: "the consulted agent never speaks with the customer ... Therefore the
        # field AgentInteractionDuration for the consulted agent is ZERO."
        "Agent": ("bob", at("11:35:33"), at("11:35:40"), 0, 0, 0, 0),
        "DisconnectTimestamp": at("11:35:40"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": None,
    }]
    assert bob.state == "Available" and alice.state == "Available"


async def test_customer_hanging_up_during_the_consult_ends_both_legs(testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], consult=[(30, "Bob", "complete", 60)])
    bob = MockAgent("bob", ["Billing"])
    testbed.add_agent(alice)
    testbed.add_agent(bob)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=40))
    await testbed.run_until_idle()
    assert [(r["Agent"][3], r["Agent"][4], r["DisconnectTimestamp"], r["DisconnectReason"])
            for r in legs(testbed)] == [
        (1, 10, at("11:35:40"), "CUSTOMER_DISCONNECT"),
        (0, 0, at("11:35:40"), "CUSTOMER_DISCONNECT")]
    assert alice.state == "Available" and bob.state == "Available"
    assert not alice.errors


async def test_second_agent_rejecting_leaves_the_leg_queued_until_cancelled(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], talk_s=100, consult=[(30, "Bob", "cancel", 25)])
    bob = MockAgent("bob", ["Billing"], reject=True)
    testbed.add_agent(alice)
    testbed.add_agent(bob)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until_idle()
    first, _leg = ids(testbed)
    [_, second] = legs(testbed)
    assert second == {
        "InitiationMethod": "TRANSFER", "InitiationTimestamp": at("11:35:30"),
        "ConnectedToSystemTimestamp": at("11:35:30"),
        "PreviousContactId": first, "NextContactId": None,
        "Queue": ("agent/bob", at("11:35:33"), at("11:35:55")), "Agent": None,
        "DisconnectTimestamp": at("11:35:55"), "DisconnectReason": "AGENT_DISCONNECT",
        "TransferredToEndpoint": None, "TransferCompletedTimestamp": None}
    assert legs(testbed)[0]["Agent"] == ("alice", at("11:35:00"), at("11:36:40"), 1, 25, 25, 75)
    assert bob.state == "Rejected"


async def test_second_agent_missing_the_offer_leaves_the_leg_queued(testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], talk_s=100, consult=[(30, "Bob", "cancel", 25)])
    bob = MockAgent("bob", ["Billing"], accept_after_s=None)
    testbed.add_agent(alice)
    testbed.add_agent(bob)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until_idle()
    [_, second] = legs(testbed)
    assert (second["Agent"], second["DisconnectReason"]) == (None, "AGENT_DISCONNECT")
    assert bob.state == "Missed"


async def test_second_party_hanging_up_during_the_consult_keeps_the_customer_on_hold(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], consult=[(30, "Bob", "complete", 60)])
    bob = MockAgent("bob", ["Billing"], talk_s=15)
    testbed.add_agent(alice)
    testbed.add_agent(bob)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.advance(60)
    first, leg = ids(testbed)
    assert (48.0, Disconnected(leg, "AGENT_DISCONNECT")) in alice.heard
    alice.resume(first)  # the consult is over: a plain resume takes john off hold
    await testbed.advance(1)
    assert [e.code for e in alice.errors] == []
    alice.hang_up(first)
    await testbed.run_until_idle()
    assert legs(testbed)[0]["Agent"] == ("alice", at("11:35:00"), at("11:36:01"), 1, 30, 30, 31)
    assert legs(testbed)[1]["DisconnectReason"] == "AGENT_DISCONNECT"


async def test_consult_messages_out_of_place_are_refused_and_change_nothing(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"])
    bob = MockAgent("bob", ["Billing"], accept_after_s=None)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_agent(alice)
    testbed.add_agent(bob)
    testbed.add_caller(john)
    await testbed.advance(10)
    [first] = [r.contact_id for r in testbed.records]
    alice.complete_transfer(first)      # no consult under way
    alice.conference(first)
    alice.cancel_consult(first)
    alice.consult(first, "Nobody")      # unknown quick connect
    bob.consult(first, "Billing")       # not bob's contact
    john._send(Consult(first, "Bob"))  # a caller cannot consult
    await testbed.advance(1)
    alice.consult(first, "Bob")
    await testbed.advance(1)
    alice.consult(first, "Bob")         # a consult is under way already
    alice.hold(first)                   # on hold already
    alice.resume(first)                 # the consult holds the customer
    alice.transfer(first, "Billing")
    alice.complete_transfer(first)      # bob has not taken the leg
    alice.conference(first)
    await testbed.advance(1)
    assert [(e.code, e.field) for e in alice.errors] == [
        ("bad_state", "contact_id"), ("bad_state", "contact_id"),
        ("bad_state", "contact_id"), ("bad_message", "quick_connect"),
        ("bad_state", "contact_id"), ("bad_state", "contact_id"),
        ("bad_state", "contact_id"), ("bad_state", "contact_id"),
        ("bad_state", "contact_id"), ("bad_state", "contact_id")]
    assert [e.code for e in bob.errors] == ["bad_state"]
    assert [e.code for e in john.errors] == ["wrong_role"]
    kinds = [kind for _t, cid, kind, _d in testbed.events() if cid == first]
    assert kinds.count(EventKind.HOLD) == 1 and kinds.count(EventKind.QUICK_CONNECT) == 1


def test_the_consult_messages_round_trip() -> None:
    for message in (Consult("c1", "Bob"), CompleteTransfer("c1"), Consulting("c1", "c2"),
                    Conferenced("c1", "c2")):
        assert decode(encode(message)) == message


async def test_a_warm_transfer_over_websocket(served_testbed: Any) -> None:
    """A raw agent desktop consults bob, waits for him to join, then completes."""
    tb = served_testbed.testbed
    centre(tb)
    bob = MockAgent("bob", ["Billing"], talk_s=30)
    tb.add_agent(bob)
    url = f"{served_testbed.url}/v1/endpoints/agent?username=desk&queues=Support&ack=1"
    seen: list[tuple[float, str]] = []
    async with served_testbed.session.ws_connect(url) as ws:
        await ws.send_json({"type": "set_status", "status": "Available"})
        tb.add_caller(MockCaller(JOHN, dial=NUMBER))
        first = ""
        async for frame in ws:
            message = frame.json()
            kind, t = message["type"], message.get("t", 0.0)
            seen.append((t, kind))
            cid = message.get("contact_id")
            if kind == "offered":
                await ws.send_json({"type": "accept", "contact_id": cid})
            elif kind == "connected" and not first:
                first = cid
                await ws.send_json({"type": "consult", "contact_id": cid,
                                    "quick_connect": "Bob"})
            elif kind == "connected" and message["peer"] == "bob":
                await ws.send_json({"type": "complete_transfer", "contact_id": first})
            elif kind == "disconnected":
                break
            await ws.send_json({"type": "ack"})
    assert [k for _t, k in seen if k not in ("agent_status",)] == [
        "offered", "connected", "held", "consulting", "connected", "disconnected"]
    await tb.run_until_idle()
    records = tb.records
    assert [(r.initiation_method, r.disconnect_reason) for r in records] == [
        ("INBOUND", "AGENT_DISCONNECT"), ("TRANSFER", "AGENT_DISCONNECT")]
    assert records[1].previous_contact_id == records[0].contact_id
    assert records[0].transfer_completed_timestamp == records[0].disconnect_timestamp


async def test_next_contact_id_names_the_newest_consult_leg(testbed: Testbed) -> None:
    """alice consults bob and cancels, then consults Billing (carol) and completes.
    Connect: the first record's NextContactId is "the Contact ID of the last agent
    that this agent consulted with", and every leg's PreviousContactId is the first."""
    centre(testbed)
    alice = MockAgent("alice", ["Support"], consult=[(30, "Bob", "cancel", 10),
                                                     (60, "Billing", "complete", 5)])
    testbed.add_agent(alice)
    testbed.add_agent(MockAgent("bob", ["Support"], available_at=None))
    testbed.add_agent(MockAgent("carol", ["Billing"], talk_s=30))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until_idle()
    first, to_bob, to_billing = testbed.records
    assert first.next_contact_id == to_billing.contact_id
    assert to_bob.previous_contact_id == to_billing.previous_contact_id == first.contact_id
    assert (to_bob.next_contact_id, to_billing.next_contact_id) == (None, None)
    assert first.to_ctr()["TransferCompletedTimestamp"] == at("11:36:05")
    assert not alice.errors


async def test_a_consult_from_a_consult_leg_chains_the_records(testbed: Testbed) -> None:
    """alice hands john to bob (warm), then bob hands him to Billing (carol): each record
    names the next one, and each leg the one that called it."""
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], consult=[(30, "Bob", "complete", 5)]))
    testbed.add_agent(MockAgent("bob", ["Billing"], consult=[(20, "Billing", "complete", 5)]))
    testbed.add_agent(MockAgent("carol", ["Billing"], talk_s=30))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until_idle()
    first, second, third = testbed.records
    assert (first.previous_contact_id, first.next_contact_id) == (None, second.contact_id)
    assert (second.previous_contact_id, second.next_contact_id) == (
        first.contact_id, third.contact_id)
    assert (third.previous_contact_id, third.next_contact_id) == (second.contact_id, None)
    assert [r.agent.username if r.agent else None for r in (first, second, third)] == [
        "alice", "bob", "carol"]
