"""The record service: the event log of every contact, as it happens.

The switchboard logs each change at the moment it happens (``log``); the
service counts contacts initiated and completed, hands each event to live
subscribers (pyee), writes batches to a durable store at the end of an
instant, and folds records on read (``testbed.records.fold``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pyee import EventEmitter

from testbed.core.errors import ConfigError
from testbed.records.contact_record import ContactEvent, ContactRecord, Entry, EventKind, instant_of
from testbed.records.fold import fold_contact, fold_records

if TYPE_CHECKING:
    from testbed.core.clock import Clock, TestbedLoop
    from testbed.records.stores import RecordStore

__all__ = ["EventLog", "RecordService", "check_batch"]

_COMPLETED: Final = EventKind.COMPLETED
_INITIATED: Final = EventKind.INITIATED


def check_batch(batch_events: object, where: str = "batch_events") -> int:
    """``batch_events`` as an int, or ConfigError naming the bad value."""
    if isinstance(batch_events, bool) or not isinstance(batch_events, int) or batch_events < 1:
        raise ConfigError(f"{where} must be a whole number >= 1, got {batch_events!r}")
    return batch_events


class EventLog:
    """Where each event goes as it is logged: the hot part of the record service.

    A class of its own because the service is a pyee EventEmitter, which the
    compiled build cannot make a native class; this one is native there, so
    that logging an event reads and writes native attributes only.
    """

    def __init__(self, loop: TestbedLoop | None, epoch: float, keep_finished: bool,
                 durable: bool) -> None:
        self.loop = loop
        self.epoch = epoch
        self.keep_finished = keep_finished
        self.durable = durable
        #: Every event (keep_finished), or none: then only ``live_events`` are kept.
        self.entries: list[Entry] = []
        #: Events waiting for the next write to a durable store.
        self.pending: list[Entry] = []
        #: Live contacts' events, by contact id (without keep_finished).
        self.live_events: dict[str, list[Entry]] = {}
        self.initiated = 0
        self.completed = 0
        #: Called with each new entry, in order: the service's "event" subscribers
        #: (once one listens) and whoever taps the log (a streamed load run's report).
        self.listeners: list[Callable[[Entry], None]] = []

    def log(self, contact_id: str, kind: EventKind, data: Any = None) -> None:
        """Log that ``kind`` happened to ``contact_id`` now (agent events: id "")."""
        loop = self.loop
        if loop is None:
            raise ConfigError("this record service has no clock: it only reads records")
        entry = (loop._now - self.epoch, contact_id, kind, data)
        if self.keep_finished:
            self.entries.append(entry)
        elif contact_id:  # not an agent event
            events = self.live_events.get(contact_id)
            if events is None:
                self.live_events[contact_id] = [entry]
            else:
                events.append(entry)
            if kind is _COMPLETED:
                del self.live_events[contact_id]
        if kind is _COMPLETED:
            self.completed += 1
        elif kind is _INITIATED:
            self.initiated += 1
        if self.durable:
            self.pending.append(entry)
        if self.listeners:
            for listener in self.listeners:
                listener(entry)


class RecordService(EventEmitter):
    """The event log of every contact, its subscribers, and the records folded from it.

    ``log`` is called by the switchboard at the moment a change happens; the
    time comes from ``clock``, the testbed clock the service is bound to.
    Subscribe with ``service.on("event", handler)``; the handler gets a
    ContactEvent synchronously, inside the change that caused it.

    With a durable ``store`` (see ``testbed.records.stores``), events are written in
    a batch at the end of every instant (``end_of_instant``); with
    ``batch_events=N``, only once N events or more are waiting (a long load
    run then makes a few large writes instead of one per instant; ``flush``
    and ``close`` write whatever waits).  ``acknowledged`` counts the events
    written so far, and ``service.on("flushed", handler)`` hears each batch.
    With ``keep_finished=False`` only live contacts' events stay in memory
    (besides those waiting for the next write), so memory stays bounded in
    long runs; reads then come from the store.

    A store holds one run: one that holds events already is refused
    (ConfigError naming it) unless ``overwrite`` is true, which deletes
    them before this run writes its own.
    """

    def __init__(self, start: datetime, store: RecordStore | None = None,
                 keep_finished: bool = True, clock: Clock | None = None,
                 batch_events: int = 1, *, overwrite: bool = False) -> None:
        super().__init__()
        self.batch_events = check_batch(batch_events)
        self.start = start
        self.store = store
        self.keep_finished = keep_finished
        #: The log itself; ``log`` is its method (the switchboard calls it directly).
        self.event_log = EventLog(None if clock is None else clock.loop,
                                  0.0 if clock is None else clock.epoch, keep_finished,
                                  store is not None and store.url != "memory:")
        self.log = self.event_log.log
        self.acknowledged = 0
        self.on("new_listener", self._on_new_listener)
        if store is not None:
            store.begin(start, overwrite)
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
        events = service.event_log
        events.entries.extend(store.load())
        service.acknowledged = len(events.entries)
        events.initiated = sum(1 for e in events.entries if e[2] is EventKind.INITIATED)
        events.completed = sum(1 for e in events.entries if e[2] is EventKind.COMPLETED)
        return service

    @property
    def initiated(self) -> int:
        """Contacts initiated so far."""
        return self.event_log.initiated

    @property
    def completed(self) -> int:
        """Contacts completed so far (disconnected, and their wrap-up over)."""
        return self.event_log.completed

    def _on_new_listener(self, event: str, _listener: object) -> None:
        listeners = self.event_log.listeners
        if event == "event" and self._emit_event not in listeners:
            listeners.append(self._emit_event)

    def _emit_event(self, entry: Entry) -> None:
        self.emit("event", ContactEvent(*entry))

    def end_of_instant(self) -> None:
        """The clock's end-of-instant hook: write a batch if ``batch_events`` are waiting."""
        if len(self.event_log.pending) >= self.batch_events:
            self.flush()

    def flush(self) -> None:
        """Write pending events to the store; they are acknowledged when this returns."""
        events = self.event_log
        pending = events.pending
        if pending and self.store is not None:
            events.pending = []
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
            return len({e[1] for e in self.event_log.entries if e[1]})
        return len(self.event_log.live_events)

    def entries(self) -> list[Entry]:
        """Every event so far, in order (read back from the store when streaming)."""
        if self.keep_finished:
            return self.event_log.entries
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
        return fold_contact(self.start, contact_id, self.entries())
