"""Random sequences of agent and caller actions over a few contacts and agents.

Holds, resumes, mutes, cold transfers (queue, agent and number quick connects),
consults of agents, queues and outside numbers completed, conferenced or
cancelled, status changes and hang-ups by any side (the outside party too) at
any moment, in virtual time: every contact must end with a well-formed record,
every agent Available or Offline once their after-contact work is over, and
the historical metrics, per queue and per agent, must count what the records
hold.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

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
from testbed.core.clock import DEFAULT_START, parse_instant, run
from testbed.core.messages import AgentStatus, Message
from testbed.records.contact_record import ContactRecord, InitiationMethod
from testbed.records.metrics import historical, historical_by_agent

from .conftest import JANE, JOHN

NUMBER = "+18005550100"
PARTNER = "+15555550777"
AGENTS = ("alice", "bob", "carol")
CALLERS = (JOHN, JANE)
# Agent actions go to one of the agents on a call then (by index); those more
# likely to change something come up more often.
_AGENT_ACTIONS = (
    "hold", "hold", "resume", "resume", "mute", "unmute", "transfer:Billing",
    "transfer:Bob", "transfer:Partner", "consult:Billing", "consult:Billing", "consult:Bob",
    "consult:Partner", "consult:Partner", "complete", "complete", "conference", "conference",
    "conference", "cancel", "hangup")
_STATUS_ACTIONS = ("offline", "available")
_CALLER_ACTIONS = ("hangup", "dial")
_PARTNER_ACTIONS = ("hangup", "hangup")
_OK_ERRORS = {"bad_state", "unknown_contact"}


def centre(tb: Testbed) -> None:
    """Calls to NUMBER queue in Support with hold music; quick connects "Billing"
    (queue), "Bob" (agent bob) and "Partner" (an outside number)."""
    tb.add_flow(Flow.of("Hold music", [PlayPrompt(id="m", text="Please hold.", duration_s=20)]))
    tb.add_flow(Flow.of("Inbound", [
        SetEventHook(id="hook", hook="CustomerHold", flow="Hold music", next="q"),
        SetWorkingQueue(id="q", queue="Support", next="t"), TransferToQueue(id="t")]))
    tb.add_flow(Flow.of("To queue", [
        PlayPrompt(id="p", text="Transferring.", duration_s=5, next="t"),
        TransferToQueue(id="t")]))
    tb.add_queue("Support")
    tb.add_queue("Billing")
    tb.add_number(NUMBER, "Inbound")
    tb.add_quick_connect("Billing", queue="Billing", flow="To queue")
    tb.add_quick_connect("Bob", agent="bob", flow="To queue")
    tb.add_quick_connect("Partner", number=PARTNER)


Step = tuple[int, str, str]


async def _random_calls(steps: list[Step]) -> tuple[list[ContactRecord], list[Any],
                                                     dict[str, str], list[str]]:
    async with Testbed(speed=VIRTUAL) as tb:
        centre(tb)
        current: dict[str, str] = {}  # an agent's contact, from their status messages

        def note(agent: MockAgent, message: Message) -> None:
            if isinstance(message, AgentStatus) and message.contact_id is not None:
                current[agent.username] = message.contact_id

        agents = {
            "alice": MockAgent("alice", ["Support"], acw_s=5, on_message=note),
            "bob": MockAgent("bob", ["Billing"], accept_after_s=2, acw_s=5, on_message=note),
            "carol": MockAgent("carol", {"Support": 1, "Billing": 2}, accept_after_s=4,
                               acw_s=5, on_message=note),
        }
        callers = {JOHN: MockCaller(JOHN, dial=NUMBER),
                   JANE: MockCaller(JANE, dial=NUMBER, dial_at=10)}
        partner = MockCaller(PARTNER, answer_after_s=5)
        for agent in agents.values():
            tb.add_agent(agent)
        for caller in (*callers.values(), partner):
            tb.add_caller(caller)

        def act(actor: str, action: str) -> None:
            if actor == PARTNER:
                for cid in partner.contact_ids[-1:]:
                    partner.hang_up(cid)
                return
            if actor in callers:
                caller = callers[actor]
                if action == "dial":
                    caller.call(NUMBER)
                else:
                    for cid in caller.contact_ids[-1:]:
                        caller.hang_up(cid)
                return
            verb, _, quick = action.partition(":")
            if verb in _STATUS_ACTIONS:
                agent = agents[actor]
                if verb == "offline":
                    agent.go_offline()
                else:
                    agent.go_available()
                return
            on_call = [a for a in agents.values() if a.state in ("Busy", "OnHold")]
            if not on_call:
                return
            agent = on_call[int(actor) % len(on_call)]
            cid = current[agent.username]
            simple = {"hold": agent.hold, "resume": agent.resume, "mute": agent.mute,
                      "unmute": agent.unmute, "complete": agent.complete_transfer,
                      "conference": agent.conference, "cancel": agent.cancel_consult,
                      "hangup": agent.hang_up}
            if verb in simple:
                simple[verb](cid)
            elif verb == "transfer":
                agent.transfer(cid, quick)
            else:
                agent.consult(cid, quick)

        def finish() -> None:
            """Everyone hangs up what they still have."""
            for caller in (*callers.values(), partner):
                for cid in caller.contact_ids:
                    caller.hang_up(cid)
            for name, agent in agents.items():
                if name in current:
                    agent.hang_up(current[name])

        at_s = 0
        for gap_s, actor, action in steps:
            at_s += gap_s
            tb.clock.call_at(at_s, act, actor, action)
        tb.clock.call_at(max(at_s, 10) + 1, finish)  # after jane's dial
        await tb.run_until_idle()
        assert tb.record_service is not None
        errors = [e.code for a in agents.values() for e in a.errors]
        errors += [e.code for c in (*callers.values(), partner) for e in c.errors]
        states = {name: agent.state for name, agent in agents.items()}
        return tb.records, tb.record_service.entries(), states, errors


START = parse_instant(DEFAULT_START)


def _second(t: float) -> int:
    """Whole testbed seconds as the record rounds them."""
    return round(t * 1000) // 1000


def _at(t: float) -> datetime:
    return START + timedelta(seconds=_second(t))


def _hold_seconds(mine: list[tuple[float, EventKind]]) -> list[int]:
    """Each hold's whole seconds: HOLD to the next RESUME, or to the disconnect."""
    lengths, start = [], None
    for t, kind in mine:
        if kind is EventKind.HOLD:
            assert start is None, "a hold began while the customer was on hold"
            start = t
        elif kind is EventKind.RESUME:
            assert start is not None, "a resume without a hold"
            lengths.append(_second(t) - _second(start))
            start = None
        elif kind is EventKind.DISCONNECTED and start is not None:
            lengths.append(_second(t) - _second(start))
            start = None
    return lengths


def check_record(record: ContactRecord, mine: list[tuple[float, EventKind]]) -> None:
    assert record.complete, record
    kinds = [kind for _t, kind in mine]
    assert kinds.count(EventKind.DISCONNECTED) == 1
    assert kinds[-1] is EventKind.COMPLETED and kinds.count(EventKind.COMPLETED) == 1
    assert kinds.count(EventKind.ACW_STARTED) == kinds.count(EventKind.ACW_ENDED) <= 1
    after = kinds[kinds.index(EventKind.DISCONNECTED):]
    assert not {EventKind.HOLD, EventKind.RESUME, EventKind.CONNECTED_TO_AGENT} & set(after)
    disconnect = record.disconnect_timestamp
    assert disconnect is not None and disconnect >= record.initiation_timestamp
    agent = record.agent
    holds = [t for t, kind in mine if kind is EventKind.HOLD]
    joined = [t for t, kind in mine if kind is EventKind.JOINED]
    assert len(joined) <= 1
    if record.initiation_method is InitiationMethod.EXTERNAL_OUTBOUND:
        check_outside_leg(record, mine, joined)
    if agent is None:
        assert not holds
        return
    assert agent.number_of_holds == len(holds)
    lengths = _hold_seconds(mine)
    assert agent.customer_hold_duration_s == sum(lengths)
    assert agent.longest_hold_duration_s == max(lengths, default=0)
    connected = agent.connected_to_agent_timestamp
    if connected is None:
        assert not holds
        return
    end = disconnect
    acw = agent.after_contact_work_start_timestamp
    if acw is not None and connected <= acw < disconnect:
        end = acw  # the agent left first (a transfer to a number)
    interaction = record.agent_interaction_duration_s
    assert interaction is not None and interaction >= 0
    begin = connected
    if EventKind.CONSULT_LEG in kinds:  # the agent talks with the customer once they join
        if not joined:
            assert interaction == 0 and not holds
            return
        begin = max(connected, _at(joined[0]))
    assert interaction + agent.customer_hold_duration_s == (end - begin).total_seconds()
    assert agent.after_contact_work_end_timestamp is not None


def check_outside_leg(record: ContactRecord, mine: list[tuple[float, EventKind]],
                      joined: list[float]) -> None:
    """A consult's EXTERNAL_OUTBOUND leg: no queue, no agent; its ExternalThirdParty counts
    the outside party's time with the customer once it answered."""
    assert record.queue is None and record.agent is None
    answered = [t for t, kind in mine if kind is EventKind.CONNECTED_TO_SYSTEM]
    talked = record.external_third_party_interaction_duration_s
    if not answered:
        assert talked is None and not joined
        return
    assert record.connected_to_system_timestamp == _at(answered[0])
    assert record.disconnect_timestamp is not None
    assert talked == (0 if not joined else
                      (record.disconnect_timestamp - _at(joined[0])).total_seconds())


def check_links(records: dict[str, ContactRecord]) -> None:
    for record in records.values():
        if record.initiation_method in (InitiationMethod.TRANSFER,
                                        InitiationMethod.EXTERNAL_OUTBOUND):
            previous = records[record.previous_contact_id or ""]
            assert previous.next_contact_id is not None
            assert records[previous.next_contact_id].previous_contact_id == previous.contact_id
            assert previous.initiation_timestamp <= record.initiation_timestamp


def check_metrics(records: list[ContactRecord], entries: list[Any]) -> None:
    rows = historical(records, timedelta(minutes=15))
    by_id = {r.contact_id: r for r in records}
    held = {cid for _t, cid, kind, _d in entries if kind is EventKind.HOLD}
    transferred = {cid for _t, cid, kind, _d in entries if kind is EventKind.TRANSFERRED}
    queued = {cid for _t, cid, kind, _d in entries if kind is EventKind.ENQUEUED}
    assert sum(r.contacts_put_on_hold for r in rows) == len(held)
    assert sum(r.contacts_transferred_out for r in rows) == len(transferred)
    assert sum(r.contacts_transferred_in for r in rows) == sum(
        1 for cid in queued if by_id[cid].initiation_method is InitiationMethod.TRANSFER)
    for cid in transferred:
        record = by_id[cid]
        assert record.transfer_completed_timestamp is not None
        assert record.agent is not None and record.agent.connected_to_agent_timestamp
    agents = historical_by_agent(records, timedelta(minutes=15))
    assert sum(r.contacts_put_on_hold for r in agents) == len(held)
    assert sum(r.contacts_transferred_out for r in agents) == len(transferred)
    assert sum(r.contacts_transferred_in for r in agents) == sum(
        1 for r in records if r.initiation_method is InitiationMethod.TRANSFER
        and r.agent is not None and r.agent.connected_to_agent_timestamp is not None)
    assert sum(r.contacts_handled for r in agents) == sum(
        1 for r in records if r.agent is not None and r.agent.connected_to_agent_timestamp)


_gap = st.sampled_from((0, 1, 2, 3, 5, 8, 12))
# One table of (actor, action), sampled uniformly: its make-up weights the actions.
_TABLE = (
    [(str(i), action) for i in range(3) for action in _AGENT_ACTIONS]
    + [(name, action) for name in AGENTS for action in _STATUS_ACTIONS]
    + [(number, action) for number in CALLERS for action in (*_CALLER_ACTIONS, "hangup")]
    + [(PARTNER, action) for action in _PARTNER_ACTIONS])
_steps = st.lists(st.builds(lambda gap, step: (gap, *step), _gap, st.sampled_from(_TABLE)),
                  min_size=3, max_size=40)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_steps)
# A conference the consulting agent leaves, and a hold ended by a transfer to a number.
@example([(3, "0", "consult:Billing"), (12, "0", "conference"), (5, "0", "hangup"),
          (5, "0", "hold"), (3, "0", "hangup")])
@example([(3, "0", "hold"), (2, "0", "transfer:Partner"), (12, PARTNER, "hangup")])
# A number consulted, answered (5 s), conferenced, then the agent and the outside party leave.
@example([(3, "0", "consult:Partner"), (8, "0", "conference"), (3, "0", "hangup"),
          (5, PARTNER, "hangup")])
@example([(3, "0", "consult:Partner"), (8, "0", "complete"), (5, PARTNER, "hangup")])
def test_random_call_actions_leave_well_formed_records_and_agents(steps: list[Step]) -> None:
    records, entries, states, errors = run(_random_calls(steps), speed=VIRTUAL)
    assert set(errors) <= _OK_ERRORS, errors
    assert all(state in ("Available", "Offline") for state in states.values()), states
    events: dict[str, list[tuple[float, EventKind]]] = {}
    for t, cid, kind, _data in entries:
        events.setdefault(cid, []).append((t, kind))
    by_id = {r.contact_id: r for r in records}
    for record in records:
        check_record(record, events[record.contact_id])
        assert ContactRecord.from_ctr(record.to_ctr()) == record
    check_links(by_id)
    check_metrics(records, entries)

