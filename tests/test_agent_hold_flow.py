"""The agent hold flow: what the agent hears while the customer is on hold."""

from __future__ import annotations

import json
from typing import Any

from fakes import MockAgent, MockCaller
from testbed import (
    Disconnect,
    Flow,
    PlayPrompt,
    SetEventHook,
    SetWorkingQueue,
    Testbed,
    TransferToQueue,
)
from testbed.core.messages import Prompt
from testbed.flows.connect import load_flow

from .conftest import JOHN, at

NUMBER = "+18005550100"
ON_HOLD = "You are on hold."
MUSIC = "Thank you for holding."


def centre(tb: Testbed, *hooks: tuple[str, str]) -> None:
    """A number straight into queue Support; the inbound flow sets ``(hook, flow)`` event
    hooks first. Flows "Agent hold" (ON_HOLD every 10 s) and "Hold music" (MUSIC, 20 s)
    exist; quick connect "Bob" calls agent bob."""
    tb.add_flow(Flow.of("Agent hold", [
        PlayPrompt(id="say", text=ON_HOLD, duration_s=10, next="say")]))
    tb.add_flow(Flow.of("Hold music", [PlayPrompt(id="m", text=MUSIC, duration_s=20)]))
    blocks: list[Any] = [
        SetEventHook(id=f"hook{i}", hook=hook, flow=flow, next=f"hook{i + 1}")
        for i, (hook, flow) in enumerate(hooks)]
    tb.add_flow(Flow.of("Inbound", [
        *blocks, SetWorkingQueue(id=f"hook{len(hooks)}", queue="Support", next="t"),
        TransferToQueue(id="t")]))
    tb.add_flow(Flow.of("To agent", [TransferToQueue(id="t")]))
    tb.add_queue("Support")
    tb.add_number(NUMBER, "Inbound")
    tb.add_quick_connect("Bob", agent="bob", flow="To agent")


def prompts(party: MockAgent | MockCaller) -> list[tuple[float, str]]:
    return [(t, m.text) for t, m in party.heard if isinstance(m, Prompt)]


async def test_the_agent_hears_the_agent_hold_flow_while_the_customer_is_on_hold(
        testbed: Testbed) -> None:
    centre(testbed, ("AgentHold", "Agent hold"), ("CustomerHold", "Hold music"))
    alice = MockAgent("alice", ["Support"], hold=[(30, 25)])
    john = MockCaller(JOHN, dial=NUMBER, talk_s=120)
    testbed.add_agent(alice)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    # Resumed at 55 s: the prompt due at 60 s never plays.
    assert prompts(alice) == [(30.0, ON_HOLD), (40.0, ON_HOLD), (50.0, ON_HOLD)]
    assert prompts(john) == [(30.0, MUSIC)]
    [record] = testbed.records
    agent = record.to_ctr()["Agent"]
    assert (agent["NumberOfHolds"], agent["CustomerHoldDuration"],
            agent["AgentInteractionDuration"]) == (1, 25, 95)


async def test_each_hold_starts_the_agent_hold_flow_anew(testbed: Testbed) -> None:
    centre(testbed, ("AgentHold", "Agent hold"))
    alice = MockAgent("alice", ["Support"], hold=[(10, 5), (60, 12)])
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=120))

    await testbed.run_until_idle()

    assert prompts(alice) == [(10.0, ON_HOLD), (60.0, ON_HOLD), (70.0, ON_HOLD)]


async def test_without_an_agent_hold_flow_the_agent_hears_nothing(testbed: Testbed) -> None:
    centre(testbed, ("CustomerHold", "Hold music"))
    alice = MockAgent("alice", ["Support"], hold=[(30, 25)])
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=120))

    await testbed.run_until_idle()

    assert prompts(alice) == []


async def test_the_customer_hanging_up_on_hold_stops_the_agent_hold_flow(
        testbed: Testbed) -> None:
    centre(testbed, ("AgentHold", "Agent hold"))
    alice = MockAgent("alice", ["Support"], hold=[(30, 100)], acw_s=None)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=45))

    await testbed.run_until(200)

    assert prompts(alice) == [(30.0, ON_HOLD), (40.0, ON_HOLD)]
    [record] = testbed.records
    assert record.to_ctr()["DisconnectReason"] == "CUSTOMER_DISCONNECT"


async def test_a_consult_hold_plays_no_agent_hold_flow(testbed: Testbed) -> None:
    """While consulting, the agent dials and talks to the consulted party: the
    customer hears the customer hold flow, the agent no agent hold flow."""
    centre(testbed, ("AgentHold", "Agent hold"), ("CustomerHold", "Hold music"))
    alice = MockAgent("alice", ["Support"], talk_s=90, consult=[(30, "Bob", "cancel", 25)])
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_agent(alice)
    testbed.add_agent(MockAgent("bob", ["Support"], available_at=None))
    testbed.add_caller(john)

    await testbed.run_until_idle()

    assert prompts(alice) == []
    assert prompts(john) == [(30.0, MUSIC)]


async def test_a_disconnect_in_the_agent_hold_flow_ends_the_call(testbed: Testbed) -> None:
    testbed.add_flow(Flow.of("Hang up", [
        PlayPrompt(id="say", text=ON_HOLD, duration_s=5, next="bye"), Disconnect(id="bye")]))
    centre(testbed, ("AgentHold", "Hang up"), ("CustomerHold", "Hold music"))
    alice = MockAgent("alice", ["Support"], hold=[(30, 25)])
    john = MockCaller(JOHN, dial=NUMBER, talk_s=120)
    testbed.add_agent(alice)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    [record] = testbed.records
    ctr = record.to_ctr()
    assert (ctr["DisconnectTimestamp"], ctr["DisconnectReason"]) == (
        at("11:35:35"), "CONTACT_FLOW_DISCONNECT")
    assert (ctr["Agent"]["NumberOfHolds"], ctr["Agent"]["CustomerHoldDuration"]) == (1, 5)
    # The customer's hold music stopped with the call: only its first prompt played.
    assert prompts(john) == [(30.0, MUSIC)]
    assert alice.state == "Available"


def _connect_flow(name: str, *actions: dict[str, Any]) -> Flow:
    document = {"Version": "2019-10-30", "StartAction": actions[0]["Identifier"],
                "Metadata": {"name": name}, "Actions": list(actions)}
    return load_flow(json.dumps(document), name=name)


async def test_an_imported_connect_flow_sets_the_agent_hold_flow(testbed: Testbed) -> None:
    """Connect's own shape: UpdateContactEventHooks with an AgentHold hook names a flow
    like the Default agent hold, a MessageParticipantIteratively loop of "You are on
    hold" (its text takes 1.6 s at the testbed's speaking rate)."""
    agent_hold = _connect_flow("Default agent hold", {
        "Identifier": "loop", "Type": "MessageParticipantIteratively",
        "Parameters": {"Messages": [{"Text": ON_HOLD}]}, "Transitions": {}})
    inbound = _connect_flow("Inbound", {
        "Identifier": "hook", "Type": "UpdateContactEventHooks",
        "Parameters": {"EventHooks": {"AgentHold": "Default agent hold"}},
        "Transitions": {"NextAction": "queue", "Errors": [
            {"NextAction": "bye", "ErrorType": "NoMatchingError"}]},
    }, {
        "Identifier": "queue", "Type": "UpdateContactTargetQueue",
        "Parameters": {"QueueId": "Support"},
        "Transitions": {"NextAction": "transfer", "Errors": [
            {"NextAction": "bye", "ErrorType": "NoMatchingError"}]},
    }, {
        "Identifier": "transfer", "Type": "TransferContactToQueue", "Parameters": {},
        "Transitions": {"NextAction": "bye", "Errors": [
            {"NextAction": "bye", "ErrorType": "QueueAtCapacity"},
            {"NextAction": "bye", "ErrorType": "NoMatchingError"}]},
    }, {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {},
        "Transitions": {}})
    testbed.add_flow(agent_hold, inbound)
    testbed.add_queue("Support")
    testbed.add_number(NUMBER, "Inbound")
    alice = MockAgent("alice", ["Support"], hold=[(30, 4)])
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=60))

    await testbed.run_until_idle()

    assert prompts(alice) == [(30.0, ON_HOLD), (31.6, ON_HOLD), (33.2, ON_HOLD)]
