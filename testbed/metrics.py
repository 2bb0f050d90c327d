"""Contact-centre metrics, computed from the event log only.

Because they are a function of the events, the same run gives the same
numbers live, after a restart (reopened store) and from an exported file.

Real-time metrics (``realtime``) describe one instant; historical metrics
(``historical``) aggregate intervals per queue.  Names follow Amazon
Connect's metric names; each docstring gives the formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from testbed.records import Entry, EventKind

__all__ = ["QueueNow", "RealtimeMetrics", "realtime"]

_E = EventKind


@dataclass(frozen=True, slots=True)
class QueueNow:
    """One queue at one instant.

    - ``contacts_in_queue`` (CONTACTS_IN_QUEUE): contacts enqueued and not yet
      dequeued, offered ones included.
    - ``contacts_scheduled`` (CONTACTS_SCHEDULED): callbacks waiting out their
      initial delay for this queue (not in queue yet).
    - ``oldest_contact_age_ms`` (OLDEST_CONTACT_AGE): now minus the enqueue
      time of the longest-waiting contact in queue; None when it is empty.
    """

    queue: str
    contacts_in_queue: int = 0
    contacts_scheduled: int = 0
    oldest_contact_age_ms: int | None = None


@dataclass(frozen=True, slots=True)
class RealtimeMetrics:
    """The contact centre at instant ``at``.

    ``agents`` counts agents by state name (Available, Busy = on contact,
    AfterContactWork, Missed, Offline, and any custom state), for agents that
    changed state at least once.
    """

    at: datetime
    agents: Mapping[str, int] = field(default_factory=dict)
    queues: Mapping[str, QueueNow] = field(default_factory=dict)

    @property
    def agents_available(self) -> int:
        return self.agents.get("Available", 0)

    @property
    def agents_on_contact(self) -> int:
        return self.agents.get("Busy", 0)

    @property
    def agents_after_contact_work(self) -> int:
        return self.agents.get("AfterContactWork", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "At": self.at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "Agents": dict(sorted(self.agents.items())),
            "Queues": {name: {"CONTACTS_IN_QUEUE": q.contacts_in_queue,
                              "CONTACTS_SCHEDULED": q.contacts_scheduled,
                              "OLDEST_CONTACT_AGE": q.oldest_contact_age_ms}
                       for name, q in sorted(self.queues.items())},
        }


def realtime(start: datetime, entries: Iterable[Entry], at_s: float) -> RealtimeMetrics:
    """Real-time metrics at testbed time ``at_s``, from the events up to and at it."""
    agent_state: dict[str, str] = {}
    waiting: dict[str, tuple[str, float]] = {}     # contact -> (queue, enqueued at)
    scheduled: dict[str, str] = {}                  # contact -> queue
    queues: set[str] = set()
    for t, contact_id, kind, data in entries:
        if t > at_s:
            break
        if kind is _E.AGENT_STATE:
            agent_state[data[0]] = str(data[1])
        elif kind is _E.SCHEDULED:
            scheduled[contact_id] = data[0]
            queues.add(data[0])
        elif kind is _E.ENQUEUED:
            scheduled.pop(contact_id, None)
            waiting[contact_id] = (data, t)
            queues.add(data)
        elif kind is _E.DEQUEUED:
            waiting.pop(contact_id, None)
        elif kind is _E.DISCONNECTED:
            waiting.pop(contact_id, None)
            scheduled.pop(contact_id, None)
    agents: dict[str, int] = {}
    for state in agent_state.values():
        agents[state] = agents.get(state, 0) + 1
    per_queue: dict[str, QueueNow] = {}
    for name in sorted(queues):
        in_queue = [t for q, t in waiting.values() if q == name]
        per_queue[name] = QueueNow(
            queue=name,
            contacts_in_queue=len(in_queue),
            contacts_scheduled=sum(1 for q in scheduled.values() if q == name),
            oldest_contact_age_ms=(round((at_s - min(in_queue)) * 1000) if in_queue else None),
        )
    return RealtimeMetrics(start + timedelta(milliseconds=round(at_s * 1000)), agents, per_queue)
