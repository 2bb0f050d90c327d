"""What a watcher sees of a running contact centre, kept up to date from its events.

``CentreView`` folds the event log as it grows (``take`` is a record-service
listener) into the few things the dashboard and the live terminal view show:

- per queue, Connect's real-time columns: contacts in queue and the oldest
  one's age, callbacks scheduled, agents staffed and available (from the
  switchboard's agents now), and since the start: contacts handled,
  abandoned, and the service level (see ``QueueRow``);
- per agent, the desktop state (Available with an offer pending shows
  ``Incoming``, Busy with the customer on hold ``OnHold``, as
  ``GET /v1/agents`` does), since when, the contact, and the latest status
  changes;
- the latest events, and the events of the latest contacts;
- a sampled history of contacts in queue and agents on contact, for charts.

Everything kept is bounded (``limits``): a long run costs the view no more
than its live contacts.  The view reads no clock: ``now_s`` is passed in by
whoever shows it, from the testbed clock.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from testbed.centre.agents import AgentState
from testbed.centre.switchboard import Switchboard
from testbed.records.contact_record import ContactEvent, Entry, EventKind

__all__ = ["SERVICE_LEVELS_S", "AgentRow", "CentreView", "Limits", "QueueRow"]

_E = EventKind
_AVAILABLE = AgentState.AVAILABLE.value
_BUSY = AgentState.BUSY.value
_OFFLINE = AgentState.OFFLINE.value
#: The service-level thresholds shown, in seconds.
SERVICE_LEVELS_S = (20, 60)


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a view keeps: finished contacts with their events (live ones are
    always kept), events per contact, status changes per agent, latest events, and
    points of the queue history (older points are thinned as it grows)."""

    finished_contacts: int = 200
    events_per_contact: int = 200
    changes_per_agent: int = 20
    latest_events: int = 50
    history_points: int = 600


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One queue now.

    ``in_queue`` counts contacts enqueued and not yet dequeued (offered ones
    included), ``oldest_age_s`` is now minus the longest-waiting one's enqueue
    time (None when empty), ``scheduled`` counts callbacks waiting out their
    initial delay for it.  ``staffed`` counts connected agents serving the
    queue who are not Offline, ``available`` those of them Available with no
    offer pending.  Since the start: ``handled`` contacts connected to an
    agent from it, ``abandoned`` queued contacts that ended with no agent and
    no next contact (a caller who took a callback did not abandon), and
    ``service_level`` the percentage, for each threshold X, of contacts that
    left the queue (answered, abandoned or called back) within X seconds of
    joining it (a callback: of being created, as its Queue.Duration counts),
    among all that left it; None before any left.
    """

    queue: str
    in_queue: int
    oldest_age_s: float | None
    scheduled: int
    staffed: int
    available: int
    handled: int
    abandoned: int
    service_level: Mapping[int, float | None]

    def to_json(self) -> dict[str, Any]:
        return {"queue": self.queue, "in_queue": self.in_queue,
                "oldest_age_s": self.oldest_age_s, "scheduled": self.scheduled,
                "staffed": self.staffed, "available": self.available,
                "handled": self.handled, "abandoned": self.abandoned,
                "service_level": {str(x): pct for x, pct in self.service_level.items()}}


@dataclass(slots=True)
class AgentRow:
    """One agent: desktop ``state`` since ``since_s``, the ``contact`` it is about
    (offered, on, in after-contact work, missed or rejected; else None), and the
    latest ``changes`` as (testbed seconds, state, contact id or None)."""

    username: str
    state: str
    agent_state: str
    since_s: float
    contact: str | None
    changes: deque[tuple[float, str, str | None]]

    def to_json(self) -> dict[str, Any]:
        return {"username": self.username, "state": self.state,
                "agent_state": self.agent_state, "since_s": self.since_s,
                "contact_id": self.contact, "changes": [list(c) for c in self.changes]}


class _Queue:
    __slots__ = ("abandoned", "handled", "left", "left_within", "scheduled", "waiting")

    def __init__(self) -> None:
        self.waiting: dict[str, float] = {}     # contact -> enqueued at (arrival order)
        self.scheduled: set[str] = set()
        self.handled = 0
        self.abandoned = 0
        self.left = 0
        self.left_within = dict.fromkeys(SERVICE_LEVELS_S, 0)


class _Contact:
    __slots__ = ("agent", "events", "joined_s", "next", "queue")

    def __init__(self) -> None:
        self.events: list[Entry] = []
        self.queue: str | None = None
        self.joined_s: float | None = None      # when its queue time started counting
        self.agent: str | None = None
        self.next: str | None = None


class CentreView:
    """The dashboard's picture of ``switchboard``'s centre, folded from its events.

    Feed it the log so far with ``extend`` and each new event with ``take``
    (both in log order).  ``version`` grows with every event taken.
    """

    def __init__(self, switchboard: Switchboard, limits: Limits = Limits()) -> None:
        self.switchboard = switchboard
        self.limits = limits
        self.version = 0
        self.last_s = 0.0
        self._queues: dict[str, _Queue] = {}
        self._agents: dict[str, AgentRow] = {}
        self._live: dict[str, _Contact] = {}
        self._finished: OrderedDict[str, _Contact] = OrderedDict()
        self._latest: deque[Entry] = deque(maxlen=limits.latest_events)
        self._history: list[tuple[float, int, int]] = []
        self._history_step_s = 1.0
        self._in_queue = 0
        self._on_contact = 0

    # -- folding --------------------------------------------------------------
    def extend(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            self._fold(entry)

    def take(self, event: ContactEvent) -> None:
        """A record-service ``event`` listener."""
        self._fold(tuple(event))

    def _queue(self, name: str) -> _Queue:
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = _Queue()
        return queue

    def _fold(self, entry: Entry) -> None:
        t, contact_id, kind, data = entry
        self._sample(t)
        self.version += 1
        self.last_s = t
        self._latest.append(entry)
        if kind is _E.AGENT_STATE:
            self._agent_state(t, data[0], str(data[1]), data[2])
            return
        contact = self._live.get(contact_id)
        if contact is None:
            contact = self._live[contact_id] = _Contact()
        if len(contact.events) < self.limits.events_per_contact:
            contact.events.append(entry)
        if kind is _E.SCHEDULED:
            contact.queue, contact.joined_s = data[0], t
            self._queue(data[0]).scheduled.add(contact_id)
        elif kind is _E.ENQUEUED:
            queue = self._queue(data)
            if contact.queue is not None:
                self._queue(contact.queue).scheduled.discard(contact_id)
            if contact.queue != data or contact.joined_s is None:
                contact.joined_s = t
            contact.queue = data
            queue.waiting[contact_id] = t
            self._in_queue += 1
        elif kind is _E.DEQUEUED:
            self._leave(contact_id, contact, t)
        elif kind is _E.OFFERED:
            row = self._agents.get(data)
            if row is not None and row.agent_state == _AVAILABLE:
                self._enter(row, t, "Incoming", contact_id)
        elif kind is _E.HOLD or kind is _E.RESUME:
            row = self._agents.get(data)
            if row is not None and row.agent_state == _BUSY and row.contact == contact_id:
                self._enter(row, t, "OnHold" if kind is _E.HOLD else _BUSY, contact_id)
        elif kind is _E.CONNECTED_TO_AGENT:
            contact.agent = data
            if contact.queue is not None:
                self._queue(contact.queue).handled += 1
        elif kind is _E.NEXT_CONTACT:
            contact.next = data
        elif kind is _E.DISCONNECTED:
            self._leave(contact_id, contact, t)
            if contact.queue is not None:
                queue = self._queue(contact.queue)
                queue.scheduled.discard(contact_id)
                if contact.agent is None and contact.next is None \
                        and contact.joined_s is not None:
                    queue.abandoned += 1
        elif kind is _E.COMPLETED:
            del self._live[contact_id]
            finished = self._finished
            finished[contact_id] = contact
            while len(finished) > self.limits.finished_contacts:
                finished.popitem(last=False)

    def _leave(self, contact_id: str, contact: _Contact, t: float) -> None:
        if contact.queue is None:
            return
        queue = self._queue(contact.queue)
        if queue.waiting.pop(contact_id, None) is None:
            return
        self._in_queue -= 1
        queue.left += 1
        waited = t - (contact.joined_s if contact.joined_s is not None else t)
        for x in SERVICE_LEVELS_S:
            if waited < x:
                queue.left_within[x] += 1

    def _agent_state(self, t: float, username: str, state: str, contact: str | None) -> None:
        row = self._agents.get(username)
        if row is None:
            row = self._agents[username] = AgentRow(
                username, "", "", t, None, deque(maxlen=self.limits.changes_per_agent))
        if (row.agent_state == _BUSY) != (state == _BUSY):
            self._on_contact += 1 if state == _BUSY else -1
        row.agent_state = state
        self._enter(row, t, state, contact)

    @staticmethod
    def _enter(row: AgentRow, t: float, state: str, contact: str | None) -> None:
        if state == row.state and contact == row.contact:
            return
        row.state, row.since_s, row.contact = state, t, contact
        row.changes.append((t, state, contact))

    def _sample(self, t: float) -> None:
        """Keep (t, contacts in queue, agents on contact) as they were just before ``t``,
        at most every ``_history_step_s``; the step doubles when the history is full."""
        history = self._history
        if history and t - history[-1][0] < self._history_step_s:
            return
        if not history and t <= 0:
            return
        history.append((t, self._in_queue, self._on_contact))
        if len(history) > self.limits.history_points:
            del history[1::2]
            self._history_step_s *= 2

    # -- reading ---------------------------------------------------------------
    def queues(self, now_s: float) -> list[QueueRow]:
        """Every queue of the centre (and any other an event named), by name; agents'
        own queues only once a contact has used them."""
        names = {n for n, q in self.switchboard.queues.items() if q.agent is None}
        names.update(self._queues)
        staffed = dict.fromkeys(names, 0)
        available = dict.fromkeys(names, 0)
        for agent in self.switchboard.agents.values():
            if agent.state == _OFFLINE:
                continue
            free = agent.state == _AVAILABLE and agent.offer is None
            for name in agent.profile.priorities:
                if name in staffed:
                    staffed[name] += 1
                    available[name] += free
        rows = []
        empty = _Queue()
        for name in sorted(names):
            q = self._queues.get(name, empty)
            oldest = next(iter(q.waiting.values()), None)
            rows.append(QueueRow(
                queue=name, in_queue=len(q.waiting),
                oldest_age_s=None if oldest is None else round(now_s - oldest, 3),
                scheduled=len(q.scheduled), staffed=staffed[name],
                available=available[name], handled=q.handled, abandoned=q.abandoned,
                service_level={x: (round(q.left_within[x] * 100.0 / q.left, 1) if q.left
                                   else None) for x in SERVICE_LEVELS_S}))
        return rows

    def agents(self) -> list[AgentRow]:
        """Every agent seen so far, by username."""
        return [self._agents[name] for name in sorted(self._agents)]

    def agents_by_state(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self._agents.values():
            counts[row.state] = counts.get(row.state, 0) + 1
        return dict(sorted(counts.items()))

    def latest_events(self) -> list[Entry]:
        """The latest events, oldest first."""
        return list(self._latest)

    def contact_events(self, limit: int) -> list[tuple[str, list[Entry]]]:
        """The ``limit`` latest contacts (by first event) with their events, oldest
        first: finished ones and live ones."""
        chosen = sorted([*self._finished.items(), *self._live.items()],
                        key=lambda item: item[1].events[0][0] if item[1].events else 0.0)
        return [(cid, c.events) for cid, c in chosen[-limit:] if cid]

    def history(self) -> list[tuple[float, int, int]]:
        """(testbed seconds, contacts in queue, agents on contact) samples so far."""
        return list(self._history)

    @property
    def in_queue(self) -> int:
        return self._in_queue

    @property
    def on_contact(self) -> int:
        return self._on_contact
