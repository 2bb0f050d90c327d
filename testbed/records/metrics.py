"""Contact-centre metrics, computed from the event log only.

Because they are a function of the events, the same run gives the same
numbers live, after a restart (reopened store) and from an exported file.

Real-time metrics (``realtime``) describe one instant; historical metrics
aggregate intervals per queue (``historical``) or per agent
(``historical_by_agent``).  Names follow Amazon Connect's metric names; each
docstring gives the formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from testbed.records.contact_record import (
    ContactRecord,
    Entry,
    EventKind,
    InitiationMethod,
    format_timestamp,
    format_timestamp_ms,
    instant_of,
)

__all__ = ["AgentInterval", "QueueInterval", "QueueNow", "RealtimeMetrics", "historical",
           "historical_by_agent", "interval_start", "realtime", "unfinished"]

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
    AfterContactWork, Missed, Rejected, Error = their line failed mid-contact,
    Offline, and any custom state), for agents that changed state at least once.
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
            "At": format_timestamp_ms(self.at),
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
    return RealtimeMetrics(instant_of(start, at_s), agents, per_queue)


@dataclass(frozen=True, slots=True)
class QueueInterval:
    """Historical metrics of one queue over ``[start, end)``, Connect's definitions.

    A contact counts in the interval in which its record closed (its
    DisconnectTimestamp), as Connect counts CONTACTS_QUEUED and
    CONTACTS_HANDLED; contacts still live are not counted yet.  Times are
    whole seconds, from the records' own fields.

    - ``contacts_queued`` (CONTACTS_QUEUED): records with Queue.EnqueueTimestamp.
    - ``contacts_handled`` (CONTACTS_HANDLED): records with
      Agent.ConnectedToAgentTimestamp.
    - ``callback_contacts_handled`` (CALLBACK_CONTACTS_HANDLED): handled
      records whose InitiationMethod is CALLBACK.
    - ``contacts_abandoned`` (CONTACTS_ABANDONED): queued records with no
      ConnectedToAgentTimestamp and no NextContactId (a caller who took a
      callback did not abandon).
    - ``avg_queue_answer_time_s`` (AVG_QUEUE_ANSWER_TIME): mean Queue.Duration
      of handled records.
    - ``avg_handle_time_s`` (AVG_HANDLE_TIME): mean of AgentInteractionDuration
      + CustomerHoldDuration + AfterContactWorkDuration of handled records.
    - ``contacts_put_on_hold`` (CONTACTS_PUT_ON_HOLD): records whose customer
      was put on hold at least once (NumberOfHolds > 0), counted once each.
    - ``avg_hold_time_s`` (AVG_HOLD_TIME): mean CustomerHoldDuration of the
      contacts put on hold (contacts never held are left out, as Connect's
      AVG_HOLD_TIME_ALL_CONTACTS would count them); None when none was held.
    - ``contacts_transferred_out`` (CONTACTS_TRANSFERRED_OUT): handled records an agent
      transferred, to a queue, an agent or an outside number that answered (their
      TransferCompletedTimestamp is set); counted in the queue of that contact.
    - ``contacts_transferred_in`` (CONTACTS_TRANSFERRED_IN): queued records whose
      InitiationMethod is TRANSFER (the new contact of a transfer to a queue or an
      agent); counted in the queue the transfer sent them to.
    - ``avg_after_contact_work_time_s`` (AVG_AFTER_CONTACT_WORK_TIME): mean
      AfterContactWorkDuration of handled records (0 when they had none).
    - ``max_queued_time_s`` (MAX_QUEUED_TIME): longest Queue.Duration, abandoned
      contacts included.
    - ``service_level`` (SERVICE_LEVEL X): for each X, contacts with
      Queue.Duration < X / contacts queued x 100.
    - ``abandonment_rate`` (ABANDONMENT_RATE): contacts abandoned / contacts
      queued x 100.
    """

    queue: str
    start: datetime
    end: datetime
    contacts_queued: int = 0
    contacts_handled: int = 0
    contacts_abandoned: int = 0
    callback_contacts_handled: int = 0
    avg_queue_answer_time_s: float | None = None
    avg_handle_time_s: float | None = None
    avg_after_contact_work_time_s: float | None = None
    max_queued_time_s: int | None = None
    contacts_put_on_hold: int = 0
    avg_hold_time_s: float | None = None
    contacts_transferred_in: int = 0
    contacts_transferred_out: int = 0
    service_level: Mapping[int, float | None] = field(default_factory=dict)
    abandonment_rate: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "Queue": self.queue, "IntervalStart": format_timestamp(self.start),
            "IntervalEnd": format_timestamp(self.end),
            "CONTACTS_QUEUED": self.contacts_queued,
            "CONTACTS_HANDLED": self.contacts_handled,
            "CONTACTS_ABANDONED": self.contacts_abandoned,
            "CALLBACK_CONTACTS_HANDLED": self.callback_contacts_handled,
            "AVG_QUEUE_ANSWER_TIME": self.avg_queue_answer_time_s,
            "AVG_HANDLE_TIME": self.avg_handle_time_s,
            "AVG_AFTER_CONTACT_WORK_TIME": self.avg_after_contact_work_time_s,
            "MAX_QUEUED_TIME": self.max_queued_time_s,
            "CONTACTS_PUT_ON_HOLD": self.contacts_put_on_hold,
            "AVG_HOLD_TIME": self.avg_hold_time_s,
            "CONTACTS_TRANSFERRED_IN": self.contacts_transferred_in,
            "CONTACTS_TRANSFERRED_OUT": self.contacts_transferred_out,
            **{f"SERVICE_LEVEL_{x}": pct for x, pct in self.service_level.items()},
            "ABANDONMENT_RATE": self.abandonment_rate,
        }


def _handled(record: ContactRecord) -> bool:
    return record.agent is not None and record.agent.connected_to_agent_timestamp is not None


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _percent(part: int, whole: int) -> float | None:
    return part * 100.0 / whole if whole else None


def interval_start(at: datetime, interval: timedelta) -> datetime:
    """The start of the wall-clock-aligned interval holding ``at`` (11:37 -> 11:30 for 15 min)."""
    epoch = datetime(1970, 1, 1, tzinfo=at.tzinfo)
    return at - (at - epoch) % interval


def historical(records: Iterable[ContactRecord], interval: timedelta = timedelta(minutes=15),
               service_levels_s: Iterable[int] = (20, 60)) -> list[QueueInterval]:
    """Historical metrics per queue and interval, from contact records only.

    Intervals are aligned to the wall clock (15 minutes: :00, :15, :30, :45)
    and listed in order of interval, then queue name.
    """
    if interval <= timedelta(0):
        raise ValueError(f"interval must be positive, got {interval}")
    levels = sorted(set(service_levels_s))
    groups: dict[tuple[datetime, str], list[ContactRecord]] = {}
    for record in records:
        if record.queue is None or record.disconnect_timestamp is None:
            continue
        start = interval_start(record.disconnect_timestamp, interval)
        groups.setdefault((start, record.queue.name), []).append(record)
    out = []
    for (start, queue), group in sorted(groups.items()):
        queued = [r for r in group if r.queue is not None and r.queue.enqueue_timestamp]
        handled = [r for r in group if _handled(r)]
        abandoned = [r for r in queued if not _handled(r) and r.next_contact_id is None]
        durations = [r.queue.duration_s for r in queued
                     if r.queue is not None and r.queue.duration_s is not None]
        answer = [r.queue.duration_s for r in handled
                  if r.queue is not None and r.queue.duration_s is not None]
        acw = [(r.agent.after_contact_work_duration_s or 0) for r in handled if r.agent]
        handle = [(r.agent_interaction_duration_s or 0) + r.agent.customer_hold_duration_s
                  + (r.agent.after_contact_work_duration_s or 0)
                  for r in handled if r.agent]
        held = [r.agent.customer_hold_duration_s for r in handled
                if r.agent and r.agent.number_of_holds > 0]
        out.append(QueueInterval(
            queue=queue, start=start, end=start + interval,
            contacts_queued=len(queued),
            contacts_handled=len(handled),
            contacts_abandoned=len(abandoned),
            callback_contacts_handled=sum(
                1 for r in handled if r.initiation_method is InitiationMethod.CALLBACK),
            avg_queue_answer_time_s=_mean(answer),
            avg_handle_time_s=_mean(handle),
            avg_after_contact_work_time_s=_mean(acw),
            max_queued_time_s=max(durations) if durations else None,
            contacts_put_on_hold=len(held),
            avg_hold_time_s=_mean(held),
            contacts_transferred_in=sum(
                1 for r in queued if r.initiation_method is InitiationMethod.TRANSFER),
            contacts_transferred_out=sum(
                1 for r in handled if r.transfer_completed_timestamp is not None),
            service_level={x: _percent(sum(1 for d in durations if d < x), len(queued))
                           for x in levels},
            abandonment_rate=_percent(len(abandoned), len(queued)),
        ))
    return out


@dataclass(frozen=True, slots=True)
class AgentInterval:
    """Historical metrics of one agent over ``[start, end)``, as Connect groups its
    hold and transfer metrics by agent.

    A record counts for the agent of its Agent part (the agent it was connected to),
    in the interval in which it closed, like the queue metrics (``QueueInterval``);
    records no agent took are left out.

    - ``contacts_handled`` (CONTACTS_HANDLED): records with
      Agent.ConnectedToAgentTimestamp.
    - ``contacts_put_on_hold`` (CONTACTS_PUT_ON_HOLD): handled records whose customer
      the agent put on hold at least once (NumberOfHolds > 0).
    - ``avg_hold_time_s`` (AVG_HOLD_TIME): mean CustomerHoldDuration of those; None
      when none was held.
    - ``contacts_transferred_in`` (CONTACTS_TRANSFERRED_IN): handled records whose
      InitiationMethod is TRANSFER (a cold transfer's contact or a consult leg the agent
      took).
    - ``contacts_transferred_out`` (CONTACTS_TRANSFERRED_OUT): handled records the agent
      transferred (TransferCompletedTimestamp set).
    """

    agent: str
    start: datetime
    end: datetime
    contacts_handled: int = 0
    contacts_put_on_hold: int = 0
    avg_hold_time_s: float | None = None
    contacts_transferred_in: int = 0
    contacts_transferred_out: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "Agent": self.agent, "IntervalStart": format_timestamp(self.start),
            "IntervalEnd": format_timestamp(self.end),
            "CONTACTS_HANDLED": self.contacts_handled,
            "CONTACTS_PUT_ON_HOLD": self.contacts_put_on_hold,
            "AVG_HOLD_TIME": self.avg_hold_time_s,
            "CONTACTS_TRANSFERRED_IN": self.contacts_transferred_in,
            "CONTACTS_TRANSFERRED_OUT": self.contacts_transferred_out,
        }


def historical_by_agent(records: Iterable[ContactRecord],
                        interval: timedelta = timedelta(minutes=15)) -> list[AgentInterval]:
    """Historical hold and transfer metrics per agent and interval, from contact records
    only; listed in order of interval, then agent username."""
    if interval <= timedelta(0):
        raise ValueError(f"interval must be positive, got {interval}")
    groups: dict[tuple[datetime, str], list[ContactRecord]] = {}
    for record in records:
        agent = record.agent
        if agent is None or record.disconnect_timestamp is None:
            continue
        start = interval_start(record.disconnect_timestamp, interval)
        groups.setdefault((start, agent.username), []).append(record)
    out = []
    for (start, username), group in sorted(groups.items()):
        handled = [r for r in group if _handled(r)]
        held = [r.agent.customer_hold_duration_s for r in handled
                if r.agent and r.agent.number_of_holds > 0]
        out.append(AgentInterval(
            agent=username, start=start, end=start + interval,
            contacts_handled=len(handled),
            contacts_put_on_hold=len(held),
            avg_hold_time_s=_mean(held),
            contacts_transferred_in=sum(
                1 for r in handled if r.initiation_method is InitiationMethod.TRANSFER),
            contacts_transferred_out=sum(
                1 for r in handled if r.transfer_completed_timestamp is not None),
        ))
    return out


def unfinished(records: Iterable[ContactRecord]) -> list[ContactRecord]:
    """Records of contacts that had not finished: not disconnected yet, or their agent's
    after-contact work not over.  A run that ends with some (stopped mid-way) leaves
    its last interval partial: historical metrics count a contact only once it closes.
    """
    return [r for r in records
            if r.disconnect_timestamp is None
            or (r.agent is not None and r.agent.after_contact_work_start_timestamp is not None
                and r.agent.after_contact_work_end_timestamp is None)]
