"""Contact records, event-sourced.

Rules:

* Every state change of a contact is appended to the log at the moment it
  happens, as a small tuple ``(t, contact_id, kind, data)`` with ``t`` in
  testbed seconds.  Nothing is ever rewritten.
* A contact record is the fold of its events; records are folded on read, so
  the hot path pays only for the append.
* Subscribers (``service.on("event", handler)``, pyee) get each event live as a
  ContactEvent; with no subscriber, no event object is built.
* Records keep whole seconds (Connect's ``2022-04-08T11:35:00Z``); the event
  log keeps milliseconds.

Queue.Duration is DequeueTimestamp - EnqueueTimestamp, except for a callback
contact, where it counts from InitiationTimestamp: the initial delay is time
spent waiting for an agent (the seed: 99 s delay + 21 s in queue = 120 s).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from pyee import EventEmitter

from testbed.errors import ConfigError
from testbed.frozen import quick_init

if TYPE_CHECKING:
    from testbed.clock import Clock, TestbedLoop
    from testbed.stores import RecordStore

__all__ = [
    "AgentInfo",
    "ContactEvent",
    "ContactRecord",
    "DisconnectReason",
    "EventKind",
    "InitiationMethod",
    "QueueInfo",
    "RecordService",
    "fold_records",
    "format_timestamp",
    "format_timestamp_ms",
    "instant_of",
    "records_to_json",
]


class InitiationMethod(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    CALLBACK = "CALLBACK"
    TRANSFER = "TRANSFER"
    API = "API"


class DisconnectReason(StrEnum):
    CUSTOMER_DISCONNECT = "CUSTOMER_DISCONNECT"
    AGENT_DISCONNECT = "AGENT_DISCONNECT"
    CONTACT_FLOW_DISCONNECT = "CONTACT_FLOW_DISCONNECT"
    TELECOM_UNANSWERED = "TELECOM_UNANSWERED"
    TELECOM_PROBLEM = "TELECOM_PROBLEM"
    OTHER = "OTHER"


class EventKind(StrEnum):
    """What happened to a contact; ``data`` of each kind is noted beside it."""

    INITIATED = "INITIATED"                    # (method, previous contact id | None, customer)
    CONNECTED_TO_SYSTEM = "CONNECTED_TO_SYSTEM"  # None
    SCHEDULED = "SCHEDULED"                    # (queue, delay_s): a callback waits its delay
    ENQUEUED = "ENQUEUED"                      # queue name
    OFFERED = "OFFERED"                        # agent username
    MISSED = "MISSED"                          # agent username: the offer timed out
    REJECTED = "REJECTED"                      # agent username
    DEQUEUED = "DEQUEUED"                      # agent username who accepted, or None
    CONNECTED_TO_AGENT = "CONNECTED_TO_AGENT"  # agent username
    NO_ANSWER = "NO_ANSWER"                    # callback dial-out attempt number not answered
    NEXT_CONTACT = "NEXT_CONTACT"              # id of the contact that follows this one
    ATTRIBUTES = "ATTRIBUTES"                  # ((key, value), ...)
    DISCONNECTED = "DISCONNECTED"              # DisconnectReason
    ACW_STARTED = "ACW_STARTED"                # agent username
    ACW_ENDED = "ACW_ENDED"                    # agent username
    COMPLETED = "COMPLETED"                    # None: disconnected and its wrap-up is over
    # Agent events carry an empty contact id:
    AGENT_STATE = "AGENT_STATE"                # (username, AgentState, contact id | None)


Entry = tuple[float, str, EventKind, Any]


class ContactEvent(NamedTuple):
    """One entry of the event log: ``timestamp_s`` is testbed seconds since start."""

    timestamp_s: float
    contact_id: str
    kind: EventKind
    data: Any


def instant_of(start: datetime, t: float) -> datetime:
    """The UTC instant of testbed time ``t`` after ``start``, to the millisecond."""
    return start + timedelta(milliseconds=round(t * 1000))


def format_timestamp_ms(value: datetime) -> str:
    """A UTC instant with milliseconds, as the event stream shows it: ``...T11:38:39.000Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def format_timestamp(value: datetime | None) -> str | None:
    """Connect's timestamp format, ``2022-04-08T11:35:00Z`` (None stays None)."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds_between(a: datetime | None, b: datetime | None) -> int | None:
    return None if a is None or b is None else int((b - a).total_seconds())


@quick_init
@dataclass(frozen=True, slots=True)
class QueueInfo:
    name: str
    enqueue_timestamp: datetime | None
    dequeue_timestamp: datetime | None
    duration_s: int | None


@quick_init
@dataclass(frozen=True, slots=True)
class AgentInfo:
    username: str
    connected_to_agent_timestamp: datetime | None
    after_contact_work_start_timestamp: datetime | None = None
    after_contact_work_end_timestamp: datetime | None = None

    @property
    def after_contact_work_duration_s(self) -> int | None:
        """AfterContactWorkDuration: whole seconds from ACW start to ACW end."""
        return _seconds_between(self.after_contact_work_start_timestamp,
                                self.after_contact_work_end_timestamp)


@quick_init
@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A contact record as Amazon Connect writes it (whole-second UTC timestamps)."""

    contact_id: str
    initiation_method: InitiationMethod
    initiation_timestamp: datetime
    connected_to_system_timestamp: datetime | None = None
    queue: QueueInfo | None = None
    agent: AgentInfo | None = None
    disconnect_timestamp: datetime | None = None
    disconnect_reason: DisconnectReason | None = None
    previous_contact_id: str | None = None
    next_contact_id: str | None = None
    customer_endpoint: str | None = None
    channel: str = "VOICE"
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True once the contact has disconnected."""
        return self.disconnect_timestamp is not None

    @property
    def agent_interaction_duration_s(self) -> int | None:
        """AgentInteractionDuration: whole seconds the agent was connected to the customer."""
        if self.agent is None:
            return None
        return _seconds_between(self.agent.connected_to_agent_timestamp,
                                self.disconnect_timestamp)

    @classmethod
    def from_ctr(cls, ctr: Mapping[str, Any]) -> ContactRecord:
        """The record back from its CTR shape (``to_ctr``), e.g. an exported line."""
        def ts(value: Any) -> datetime | None:
            return None if value is None else datetime.strptime(
                value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

        queue, agent = ctr.get("Queue"), ctr.get("Agent")
        customer = ctr.get("CustomerEndpoint")
        reason = ctr.get("DisconnectReason")
        initiation = ts(ctr["InitiationTimestamp"])
        assert initiation is not None
        return cls(
            contact_id=ctr["ContactId"],
            initiation_method=InitiationMethod(ctr["InitiationMethod"]),
            initiation_timestamp=initiation,
            connected_to_system_timestamp=ts(ctr.get("ConnectedToSystemTimestamp")),
            queue=None if queue is None else QueueInfo(
                queue["Name"], ts(queue.get("EnqueueTimestamp")),
                ts(queue.get("DequeueTimestamp")), queue.get("Duration")),
            agent=None if agent is None else AgentInfo(
                agent["Username"], ts(agent.get("ConnectedToAgentTimestamp")),
                ts(agent.get("AfterContactWorkStartTimestamp")),
                ts(agent.get("AfterContactWorkEndTimestamp"))),
            disconnect_timestamp=ts(ctr.get("DisconnectTimestamp")),
            disconnect_reason=None if reason is None else DisconnectReason(reason),
            previous_contact_id=ctr.get("PreviousContactId"),
            next_contact_id=ctr.get("NextContactId"),
            customer_endpoint=None if customer is None else customer.get("Address"),
            channel=ctr.get("Channel", "VOICE"),
            attributes=dict(ctr.get("Attributes") or {}),
        )

    def to_ctr(self) -> dict[str, Any]:
        """The record in Connect's CTR shape (field names and timestamp format)."""
        queue = self.queue
        agent = self.agent
        return {
            "ContactId": self.contact_id,
            "PreviousContactId": self.previous_contact_id,
            "NextContactId": self.next_contact_id,
            "Channel": self.channel,
            "InitiationMethod": str(self.initiation_method),
            "InitiationTimestamp": format_timestamp(self.initiation_timestamp),
            "ConnectedToSystemTimestamp": format_timestamp(self.connected_to_system_timestamp),
            "CustomerEndpoint": (None if self.customer_endpoint is None else
                                 {"Type": "TELEPHONE_NUMBER", "Address": self.customer_endpoint}),
            "Queue": None if queue is None else {
                "Name": queue.name,
                "EnqueueTimestamp": format_timestamp(queue.enqueue_timestamp),
                "DequeueTimestamp": format_timestamp(queue.dequeue_timestamp),
                "Duration": queue.duration_s,
            },
            "Agent": None if agent is None else {
                "Username": agent.username,
                "ConnectedToAgentTimestamp": format_timestamp(agent.connected_to_agent_timestamp),
                "AfterContactWorkStartTimestamp":
                    format_timestamp(agent.after_contact_work_start_timestamp),
                "AfterContactWorkEndTimestamp":
                    format_timestamp(agent.after_contact_work_end_timestamp),
                "AfterContactWorkDuration": agent.after_contact_work_duration_s,
                "AgentInteractionDuration": self.agent_interaction_duration_s,
            },
            "DisconnectTimestamp": format_timestamp(self.disconnect_timestamp),
            "DisconnectReason": (None if self.disconnect_reason is None
                                 else str(self.disconnect_reason)),
            "Attributes": dict(self.attributes),
        }


def records_to_json(records: Iterable[ContactRecord], indent: int | None = 2) -> str:
    """A JSON array of CTR-shaped objects."""
    return json.dumps([r.to_ctr() for r in records], indent=indent)


class _Fold:
    """Mutable accumulator for one contact's record while folding its events."""

    __slots__ = ("acw_agent", "acw_end", "acw_start", "agent", "attributes", "connected_agent",
                 "connected_system", "contact_id", "customer", "dequeue", "disconnect",
                 "enqueue", "initiated", "method", "next_id", "previous_id", "queue",
                 "reason")

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id
        self.method = InitiationMethod.INBOUND
        self.initiated = 0.0
        self.previous_id: str | None = None
        self.customer: str | None = None
        self.next_id: str | None = None
        self.connected_system: float | None = None
        self.queue: str | None = None
        self.enqueue: float | None = None
        self.dequeue: float | None = None
        self.agent: str | None = None
        self.connected_agent: float | None = None
        self.disconnect: float | None = None
        self.reason: DisconnectReason | None = None
        self.acw_start: float | None = None
        self.acw_end: float | None = None
        self.acw_agent: str | None = None
        self.attributes: dict[str, str] = {}

    def apply(self, t: float, kind: str, data: Any) -> None:
        handler = _APPLY.get(kind)
        if handler is not None:
            handler(self, t, data)

    def _initiated(self, t: float, data: Any) -> None:
        self.initiated = t
        self.method, self.previous_id, self.customer = data

    def _connected_to_system(self, t: float, data: Any) -> None:
        self.connected_system = t

    def _scheduled(self, t: float, data: Any) -> None:
        self.queue = data[0]

    def _enqueued(self, t: float, data: Any) -> None:
        self.queue, self.enqueue, self.dequeue = data, t, None

    def _dequeued(self, t: float, data: Any) -> None:
        self.dequeue = t
        if data is not None:
            self.agent = data

    def _connected_to_agent(self, t: float, data: Any) -> None:
        self.agent, self.connected_agent = data, t

    def _next_contact(self, t: float, data: Any) -> None:
        self.next_id = data

    def _attributes(self, t: float, data: Any) -> None:
        self.attributes.update(data)

    def _disconnected(self, t: float, data: Any) -> None:
        self.disconnect, self.reason = t, data

    def _acw_started(self, t: float, data: Any) -> None:
        self.acw_start, self.acw_end, self.acw_agent = t, None, data

    def _acw_ended(self, t: float, data: Any) -> None:
        if data == self.acw_agent:  # an earlier attempt's agent ending late changes nothing
            self.acw_end = t

    def record(self, start: datetime, stamps: _Stamps | None = None) -> ContactRecord:
        """The record so far; ``stamps`` shares datetimes between the records of one fold."""
        at = _Stamps(start) if stamps is None else stamps
        # Milliseconds first, so float noise never crosses a second.
        initiated = round(self.initiated * 1000) // 1000
        queue = None
        if self.queue is not None:
            enqueue = None if self.enqueue is None else round(self.enqueue * 1000) // 1000
            dequeue = None if self.dequeue is None else round(self.dequeue * 1000) // 1000
            waiting_from = initiated if self.method is InitiationMethod.CALLBACK else enqueue
            queue = QueueInfo(self.queue, None if enqueue is None else at[enqueue],
                              None if dequeue is None else at[dequeue],
                              None if dequeue is None or waiting_from is None
                              else dequeue - waiting_from)
        agent = None
        if self.agent is not None:
            connected, acw_start, acw_end = self.connected_agent, self.acw_start, self.acw_end
            agent = AgentInfo(
                self.agent,
                None if connected is None else at[round(connected * 1000) // 1000],
                None if acw_start is None else at[round(acw_start * 1000) // 1000],
                None if acw_end is None else at[round(acw_end * 1000) // 1000])
        system, disconnect = self.connected_system, self.disconnect
        return ContactRecord(
            self.contact_id, self.method, at[initiated],
            None if system is None else at[round(system * 1000) // 1000], queue, agent,
            None if disconnect is None else at[round(disconnect * 1000) // 1000],
            self.reason, self.previous_id, self.next_id, self.customer, "VOICE",
            self.attributes)


class _Stamps(dict[int, datetime]):
    """Whole-second instants after ``start``, each made once per fold."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self.start = start

    def __missing__(self, whole: int) -> datetime:
        stamp = self[whole] = self.start + timedelta(seconds=whole)
        return stamp


_APPLY: dict[str, Callable[[_Fold, float, Any], None]] = {
    EventKind.INITIATED: _Fold._initiated,
    EventKind.CONNECTED_TO_SYSTEM: _Fold._connected_to_system,
    EventKind.SCHEDULED: _Fold._scheduled,
    EventKind.ENQUEUED: _Fold._enqueued,
    EventKind.DEQUEUED: _Fold._dequeued,
    EventKind.CONNECTED_TO_AGENT: _Fold._connected_to_agent,
    EventKind.NEXT_CONTACT: _Fold._next_contact,
    EventKind.ATTRIBUTES: _Fold._attributes,
    EventKind.DISCONNECTED: _Fold._disconnected,
    EventKind.ACW_STARTED: _Fold._acw_started,
    EventKind.ACW_ENDED: _Fold._acw_ended,
}


class RecordService(EventEmitter):
    """The event log of every contact, its subscribers, and the records folded from it.

    ``log`` is called by the switchboard at the moment a change happens; the
    time comes from ``clock``, the testbed clock the service is bound to.
    Subscribe with ``service.on("event", handler)``; the handler gets a
    ContactEvent synchronously, inside the change that caused it.

    With a durable ``store`` (see ``testbed.stores``), events are written in
    a batch at the end of every instant (``flush``); ``acknowledged`` counts
    the events written so far, and ``service.on("flushed", handler)`` hears
    each batch.  With ``keep_finished=False`` the events of a finished
    contact are dropped from memory once written, so memory stays bounded
    in long runs; reads then come from the store.
    """

    def __init__(self, start: datetime, store: RecordStore | None = None,
                 keep_finished: bool = True, clock: Clock | None = None) -> None:
        super().__init__()
        self.start = start
        self._loop: TestbedLoop | None = None if clock is None else clock.loop
        self._epoch = 0.0 if clock is None else clock.epoch
        self.store = store
        self.keep_finished = keep_finished
        self._entries: list[Entry] = []
        self.acknowledged = 0
        #: Contacts initiated and completed so far (completed: disconnected, wrap-up over).
        self.initiated = 0
        self.completed = 0
        self._pending: list[Entry] = []
        self._durable = store is not None and store.url != "memory:"
        self._live_events: dict[str, list[Entry]] = {}
        self._live = False
        self.on("new_listener", self._on_new_listener)
        if store is not None:
            store.begin(start)
        elif not keep_finished:
            raise ConfigError("keep_finished=False needs a store to stream finished "
                              "records to (e.g. jsonl:out/run.jsonl)")

    @classmethod
    def open(cls, store: RecordStore) -> RecordService:
        """A service holding everything ``store`` acknowledged, for reading."""
        start = store.start_instant()
        if start is None:
            raise ConfigError(f"{store.url} holds no testbed run")
        service = cls(start)  # in memory only: reading writes nothing back
        service._entries = list(store.load())
        service.acknowledged = len(service._entries)
        service.initiated = sum(1 for e in service._entries if e[2] is EventKind.INITIATED)
        service.completed = sum(1 for e in service._entries if e[2] is EventKind.COMPLETED)
        return service

    def _on_new_listener(self, event: str, _listener: object) -> None:
        if event == "event":
            self._live = True

    def log(self, contact_id: str, kind: EventKind, data: Any = None) -> None:
        """Log that ``kind`` happened to ``contact_id`` now (agent events: id "")."""
        loop = self._loop
        if loop is None:
            raise ConfigError("this record service has no clock: it only reads records")
        entry = (loop._now - self._epoch, contact_id, kind, data)
        if kind is EventKind.COMPLETED:
            self.completed += 1
        elif kind is EventKind.INITIATED:
            self.initiated += 1
        if self.keep_finished:
            self._entries.append(entry)
        else:
            self._track_live(entry)
        if self._durable:
            self._pending.append(entry)
        if self._live:
            self.emit("event", ContactEvent(*entry))

    def _track_live(self, entry: Entry) -> None:
        contact_id, kind = entry[1], entry[2]
        if not contact_id:
            return  # an agent event
        events = self._live_events.get(contact_id)
        if events is None:
            events = self._live_events[contact_id] = []
        events.append(entry)
        if kind is EventKind.COMPLETED:
            del self._live_events[contact_id]

    def flush(self) -> None:
        """Write pending events to the store; they are acknowledged when this returns."""
        pending = self._pending
        if pending and self.store is not None:
            self._pending = []
            self.store.write(pending)
            self.acknowledged += len(pending)
            self.emit("flushed", self.acknowledged)

    def close(self) -> None:
        self.flush()
        if self.store is not None:
            self.store.close()

    @property
    def live_contacts(self) -> int:
        """Contacts whose events are held in memory (all of them with keep_finished)."""
        if self.keep_finished:
            return len({e[1] for e in self._entries if e[1]})
        return len(self._live_events)

    def entries(self) -> list[Entry]:
        """Every event so far, in order (read back from the store when streaming)."""
        if self.keep_finished:
            return self._entries
        self.flush()
        assert self.store is not None
        return list(self.store.load())

    def events(self, contact_id: str | None = None) -> list[ContactEvent]:
        """The event log (of one contact, or all), in the order it happened."""
        return [ContactEvent(*e) for e in self.entries()
                if contact_id is None or e[1] == contact_id]

    def wall(self, t: float) -> datetime:
        """The aware UTC datetime of testbed time ``t`` (milliseconds kept)."""
        return instant_of(self.start, t)

    def records(self) -> list[ContactRecord]:
        """Every contact's record as of now, in initiation order."""
        return fold_records(self.start, self.entries())

    def record(self, contact_id: str) -> ContactRecord:
        """One contact's record as of now; KeyError if the id is unknown."""
        fold = _Fold(contact_id)
        seen = False
        for t, cid, kind, data in self.entries():
            if cid == contact_id:
                fold.apply(t, kind, data)
                seen = True
        if not seen:
            raise KeyError(contact_id)
        return fold.record(self.start)


def fold_records(start: datetime, entries: Iterable[Entry]) -> list[ContactRecord]:
    """Fold an event log into records, one per contact, in initiation order."""
    folds: dict[str, _Fold] = {}
    find = folds.get
    apply = _APPLY.get
    for t, contact_id, kind, data in entries:
        if not contact_id:
            continue  # an agent event
        handler = apply(kind)
        if handler is None:
            continue  # one that changes no record field
        fold = find(contact_id)
        if fold is None:
            fold = folds[contact_id] = _Fold(contact_id)
        handler(fold, t, data)
    stamps = _Stamps(start)
    return [f.record(start, stamps) for f in folds.values()]
