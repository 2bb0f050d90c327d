"""Each hold, transfer and consult outcome over WebSocket gives the records it gives in
process: agents, the customer and the outside party are remote endpoints that speak
only the protocol of docs/protocol.md."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Flow, PlayPrompt, SetWorkingQueue, Testbed, TransferToQueue
from testbed.core.clock import run
from testbed.pytest_plugin import ServedTestbed
from testbed.server.remote import connect_agent, connect_caller

from .conftest import JOHN

NUMBER = "+18005550100"
PARTNER = "+15555550777"

#: Each outcome: the scripts of alice (Support), bob (Billing), john and the partner.
OUTCOMES: dict[str, dict[str, dict[str, Any]]] = {
    "hold, then a cold transfer to a queue": {
        "alice": {"hold": [(30, 45)], "transfer": [(90, "Billing")]},
        "bob": {"talk_s": 60}},
    "a cold transfer to a number": {
        "alice": {"transfer": [(20, "Partner")]}, "partner": {"talk_s": 30}},
    "warm transfer": {
        "alice": {"consult": [(30, "Bob", "complete", 20)]}, "bob": {"talk_s": 60}},
    "conference, then the first agent drops": {
        "alice": {"talk_s": 80, "consult": [(30, "Bob", "conference", 10)]},
        "bob": {"talk_s": 120}},
    "consult cancelled": {
        "alice": {"talk_s": 100, "consult": [(30, "Bob", "cancel", 10)]}},
    "the customer hangs up during the hold": {
        "alice": {"hold": [(10, 100)]}, "john": {"talk_s": 30}},
    "the customer hangs up during the consult": {
        "alice": {"consult": [(30, "Bob", "complete", 60)]}, "john": {"talk_s": 40}},
    "the second agent rejects": {
        "alice": {"talk_s": 100, "consult": [(30, "Bob", "cancel", 25)]},
        "bob": {"reject": True}},
    "the second agent misses the offer": {
        "alice": {"talk_s": 100, "consult": [(30, "Bob", "cancel", 25)]},
        "bob": {"accept_after_s": None}},
    "a number consulted, then the transfer completed": {
        "alice": {"consult": [(30, "Partner", "complete", 20)]}, "partner": {"talk_s": 60}},
    "a number conferenced, then the agent drops": {
        "alice": {"talk_s": 80, "consult": [(30, "Partner", "conference", 10)]},
        "partner": {"talk_s": 120}},
}


def centre(tb: Testbed) -> None:
    """Calls to NUMBER queue in Support; quick connects "Bob" (agent bob, a 3 s prompt
    first), "Billing" (queue Billing) and "Partner" (PARTNER)."""
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
    tb.add_quick_connect("Partner", number=PARTNER)


def endpoints(outcome: str) -> tuple[list[MockAgent], list[MockCaller]]:
    """alice, bob; then the partner (answering after 5 s) and john, who dials at once."""
    scripts = OUTCOMES[outcome]
    agents = [MockAgent("alice", ["Support"], **scripts.get("alice", {})),
              MockAgent("bob", ["Billing"], **scripts.get("bob", {}))]
    callers = [MockCaller(PARTNER, **({"answer_after_s": 5} | scripts.get("partner", {}))),
               MockCaller(JOHN, dial=NUMBER, **scripts.get("john", {}))]
    return agents, callers


def in_process(outcome: str) -> list[dict[str, Any]]:
    async def play() -> list[dict[str, Any]]:
        async with Testbed() as tb:
            centre(tb)
            agents, callers = endpoints(outcome)
            for agent in agents:
                tb.add_agent(agent)
            for caller in callers:
                tb.add_caller(caller)
            await tb.run_until_idle()
            return [r.to_ctr() for r in tb.records]

    return run(play())


@pytest.fixture(scope="module")
def in_process_records() -> dict[str, list[dict[str, Any]]]:
    """Each outcome's records in process (run before the served tests, on a loop of
    their own)."""
    return {outcome: in_process(outcome) for outcome in OUTCOMES}


@pytest.mark.parametrize("outcome", list(OUTCOMES))
@pytest.mark.testbed(paused=True)
async def test_an_outcome_over_websocket_gives_the_records_it_gives_in_process(
        served_testbed: ServedTestbed, in_process_records: dict[str, list[dict[str, Any]]],
        outcome: str) -> None:
    tb, url, session = served_testbed.testbed, served_testbed.url, served_testbed.session
    centre(tb)
    agents, callers = endpoints(outcome)
    async with contextlib.AsyncExitStack() as stack:
        for agent in agents:
            await stack.enter_async_context(connect_agent(url, agent, session=session))
        for caller in callers:
            await stack.enter_async_context(connect_caller(url, caller, session=session))
        tb.clock.resume()
        await tb.run_until_idle()
        over_websocket = [r.to_ctr() for r in tb.records]
    assert over_websocket == in_process_records[outcome]
    assert over_websocket and all(r["DisconnectTimestamp"] for r in over_websocket)
    assert not any(a.errors for a in agents) and not any(c.errors for c in callers)
