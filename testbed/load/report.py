"""The load report: per queue, what happened to the callers and how long they waited.

Computed from the event log at millisecond precision (records keep whole
seconds, which would bias short waits):

- offered: contacts that queued; handled: connected to an agent; abandoned:
  queued, never connected, and no callback taken (Connect's definition);
  called back: inbound contacts whose caller took a callback;
- wait: Dequeue - Enqueue (for a callback contact, from its initiation, as
  Queue.Duration counts it), over contacts that left the queue;
- service level X: contacts whose wait was under X seconds / offered;
- agent occupancy: time on contacts (Busy and AfterContactWork) / time staffed
  (any state but Offline), over all agents;
- put on hold: contacts whose customer was put on hold at least once (as
  CONTACTS_PUT_ON_HOLD); average hold: their mean total hold time (a hold open
  when the contact ends, at a hang-up or a transfer, ends there);
- transferred out: contacts an agent transferred (TransferCompletedTimestamp
  set), in their own queue; transferred in: TRANSFER contacts, in the queue
  they were sent to.  A transferred contact is not "called back", and the
  contact a transfer (an agent's, a queue-to-queue one, a consult's) makes is
  not another caller.
- per agent (``agents``): the contacts each agent was connected to (handled),
  and of those the ones put on hold with their average hold, the TRANSFER
  contacts (transferred in) and those the agent transferred (transferred
  out), as Connect groups its hold and transfer metrics by agent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from testbed.records.contact_record import Entry, EventKind, InitiationMethod

__all__ = ["AgentReport", "QueueReport", "Report", "ReportTally", "build_report",
           "waits_by_queue"]

# The kinds as module names: an enum member looked up on its class costs more than
# the rest of the tally's work for an event.
_INITIATED = EventKind.INITIATED
_ENQUEUED = EventKind.ENQUEUED
_DEQUEUED = EventKind.DEQUEUED
_CONNECTED_TO_AGENT = EventKind.CONNECTED_TO_AGENT
_NEXT_CONTACT = EventKind.NEXT_CONTACT
_TRANSFERRED = EventKind.TRANSFERRED
_HOLD = EventKind.HOLD
_RESUME = EventKind.RESUME
_DISCONNECTED = EventKind.DISCONNECTED
_AGENT_STATE = EventKind.AGENT_STATE
_ON_CONTACT = ("Busy", "AfterContactWork")
# Contacts that go on with a caller already counted, or that no caller made.
_NOT_CALLERS = (InitiationMethod.CALLBACK, InitiationMethod.TRANSFER,
                InitiationMethod.QUEUE_TRANSFER, InitiationMethod.EXTERNAL_OUTBOUND)


@dataclass(frozen=True)
class QueueReport:
    queue: str
    offered: int
    handled: int
    abandoned: int
    called_back: int
    wait_p50_s: float | None
    wait_p90_s: float | None
    wait_p99_s: float | None
    wait_max_s: float | None
    mean_wait_s: float | None
    service_level: dict[int, float | None] = field(default_factory=dict)
    abandonment_rate: float | None = None
    put_on_hold: int = 0
    avg_hold_s: float | None = None
    transferred_out: int = 0
    transferred_in: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue, "offered": self.offered, "handled": self.handled,
            "abandoned": self.abandoned, "called_back": self.called_back,
            "wait_p50_s": self.wait_p50_s, "wait_p90_s": self.wait_p90_s,
            "wait_p99_s": self.wait_p99_s, "wait_max_s": self.wait_max_s,
            "mean_wait_s": self.mean_wait_s,
            **{f"service_level_{x}s": v for x, v in self.service_level.items()},
            "abandonment_rate": self.abandonment_rate,
            "put_on_hold": self.put_on_hold, "avg_hold_s": self.avg_hold_s,
            "transferred_out": self.transferred_out, "transferred_in": self.transferred_in,
        }


@dataclass(frozen=True)
class AgentReport:
    agent: str
    handled: int
    put_on_hold: int = 0
    avg_hold_s: float | None = None
    transferred_in: int = 0
    transferred_out: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "handled": self.handled, "put_on_hold": self.put_on_hold,
                "avg_hold_s": self.avg_hold_s, "transferred_in": self.transferred_in,
                "transferred_out": self.transferred_out}


@dataclass(frozen=True)
class Report:
    callers: int
    duration_s: float
    queues: tuple[QueueReport, ...]
    agent_occupancy: float | None
    agents: tuple[AgentReport, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"callers": self.callers, "duration_s": round(self.duration_s, 3),
                "agent_occupancy": self.agent_occupancy,
                "queues": [q.to_json() for q in self.queues],
                "agents": [a.to_json() for a in self.agents]}


class _Contact:
    __slots__ = ("agent", "callback", "caller", "enqueue", "handled", "held", "hold_s", "holds",
                 "initiated", "left", "next_contact", "queue", "transfer", "transferred")

    def __init__(self, t: float, method: str) -> None:
        self.initiated = t
        self.callback = method == InitiationMethod.CALLBACK
        self.transfer = method == InitiationMethod.TRANSFER
        self.caller = method not in _NOT_CALLERS  # a new caller's first contact
        self.agent: str | None = None  # the agent it was connected to
        self.queue: str | None = None
        self.enqueue: float | None = None
        self.left: float | None = None
        self.handled = False
        self.next_contact = False
        self.transferred = False
        self.holds = 0
        self.hold_s = 0.0
        self.held: float | None = None  # since when the customer is on hold


class ReportTally:
    """What a load report needs of an event log, tallied one event at a time.

    ``build_report`` feeds it a log read back whole; a streamed run feeds it each
    event as it is logged (``RecordService.event_log.listeners``), so that its
    report needs no second pass over the store.
    """

    __slots__ = ("contacts", "last", "occupancy")

    def __init__(self) -> None:
        self.contacts: dict[str, _Contact] = {}
        self.occupancy = _Occupancy()
        self.last = 0.0

    def add(self, entry: Entry) -> None:
        """Count one event of the log (events come in the order they happened)."""
        t, cid, kind, data = entry
        self.last = t
        if kind is _AGENT_STATE:
            self.occupancy.add(t, data)
        elif kind is _INITIATED:
            self.contacts[cid] = _Contact(t, data[0])
            return
        c = self.contacts.get(cid)
        if c is None:
            return
        if kind is _ENQUEUED:
            c.queue, c.enqueue, c.left = data, t, None
        elif kind is _DEQUEUED:
            c.left = t
        elif kind is _CONNECTED_TO_AGENT:
            c.handled = True
            c.agent = data
        elif kind is _NEXT_CONTACT:
            c.next_contact = True
        elif kind is _HOLD:
            if c.held is None:
                c.held = t
                c.holds += 1
        elif kind is _RESUME or kind is _DISCONNECTED:
            if c.held is not None:
                c.hold_s += t - c.held
                c.held = None
        elif kind is _TRANSFERRED:
            c.transferred = True

    def report(self, service_levels_s: Iterable[int] = (20, 60)) -> Report:
        """The report of the events tallied so far."""
        return _report(self, sorted(set(service_levels_s)))


def _tally(entries: Iterable[Entry]) -> ReportTally:
    tally = ReportTally()
    add = tally.add
    for entry in entries:
        add(entry)
    return tally


def _wait(c: _Contact) -> float | None:
    if c.left is None or c.enqueue is None:
        return None
    return c.left - (c.initiated if c.callback else c.enqueue)


def waits_by_queue(entries: Iterable[Entry]) -> dict[str, list[float]]:
    """Each queue's waits (seconds, ms precision) of contacts that left it, sorted."""
    out: dict[str, list[float]] = {}
    for c in _tally(entries).contacts.values():
        wait = _wait(c)
        if c.queue is not None and wait is not None:
            out.setdefault(c.queue, []).append(wait)
    for waits in out.values():
        waits.sort()
    return out


def _pct(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    rank = max(1, -(-len(values) * p // 100))  # ceil
    return round(values[int(rank) - 1], 3)


def build_report(entries: Iterable[Entry], service_levels_s: Iterable[int] = (20, 60)
                 ) -> Report:
    """The load report of an event log (read once: a store's stream will do)."""
    return _tally(entries).report(service_levels_s)


def _report(tally: ReportTally, levels: list[int]) -> Report:
    contacts = tally.contacts
    per_queue: dict[str, list[_Contact]] = {}
    for c in contacts.values():
        if c.queue is not None:
            per_queue.setdefault(c.queue, []).append(c)
    queues = []
    for name in sorted(per_queue):
        group = per_queue[name]
        waits = sorted(w for w in (_wait(c) for c in group) if w is not None)
        offered = len(group)
        abandoned = sum(1 for c in group
                        if not c.handled and not c.next_contact and c.left is not None)
        held = [c.hold_s for c in group if c.holds]
        queues.append(QueueReport(
            queue=name, offered=offered,
            handled=sum(1 for c in group if c.handled),
            abandoned=abandoned,
            called_back=sum(1 for c in group if c.next_contact and not c.transferred),
            wait_p50_s=_pct(waits, 50), wait_p90_s=_pct(waits, 90), wait_p99_s=_pct(waits, 99),
            wait_max_s=round(waits[-1], 3) if waits else None,
            mean_wait_s=round(sum(waits) / len(waits), 3) if waits else None,
            service_level={x: (sum(1 for w in waits if w < x) * 100.0 / offered
                               if offered else None) for x in levels},
            abandonment_rate=abandoned * 100.0 / offered if offered else None,
            put_on_hold=len(held),
            avg_hold_s=round(sum(held) / len(held), 3) if held else None,
            transferred_out=sum(1 for c in group if c.transferred and c.handled),
            transferred_in=sum(1 for c in group if c.transfer),
        ))
    end = tally.last
    callers = sum(1 for c in contacts.values() if c.caller)
    return Report(callers, end, tuple(queues), tally.occupancy.result(end), _agents(contacts))


def _agents(contacts: dict[str, _Contact]) -> tuple[AgentReport, ...]:
    per_agent: dict[str, list[_Contact]] = {}
    for c in contacts.values():
        if c.agent is not None:
            per_agent.setdefault(c.agent, []).append(c)
    out = []
    for name in sorted(per_agent):
        group = per_agent[name]
        held = [c.hold_s for c in group if c.holds]
        out.append(AgentReport(
            agent=name, handled=len(group), put_on_hold=len(held),
            avg_hold_s=round(sum(held) / len(held), 3) if held else None,
            transferred_in=sum(1 for c in group if c.transfer),
            transferred_out=sum(1 for c in group if c.transferred)))
    return tuple(out)


class _Occupancy:
    """Time on contacts over time staffed, summed over agents as their states change."""

    def __init__(self) -> None:
        self.since: dict[str, tuple[float, str]] = {}
        self.busy = 0.0
        self.staffed = 0.0

    def _close(self, t: float, t0: float, state: str) -> None:
        if state != "Offline":
            self.staffed += t - t0
        if state in _ON_CONTACT:
            self.busy += t - t0

    def add(self, t: float, data: Any) -> None:
        username, state = data[0], str(data[1])
        previous = self.since.get(username)
        if previous is not None:
            self._close(t, *previous)
        self.since[username] = (t, state)

    def result(self, end: float) -> float | None:
        busy, staffed = self.busy, self.staffed
        for t0, state in self.since.values():
            if state != "Offline":
                staffed += end - t0
            if state in _ON_CONTACT:
                busy += end - t0
        return round(busy / staffed, 4) if staffed > 0 else None
