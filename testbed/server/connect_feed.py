"""The live feed of Connect-shaped contact events and records, for streams and webhooks.

One ``ConnectFeed`` per served testbed.  It listens to the record service only
while someone subscribes: the first subscriber starts it (it reads the log so
far to learn the live contacts, then hears each new event as it is logged),
the last one to leave stops it.  Subscribers get each item synchronously,
inside the change that caused it, and must only queue it: they run in the
engine and may not block it.

A subscriber may also ask for the backlog: every item of the run so far, made
afresh from the log and read lazily, so a long run's history is written at
the pace its reader takes it.  The backlog ends exactly where the live items
begin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any, Literal

from testbed.centre.facade import Testbed
from testbed.records.contact_record import ContactEvent, Entry
from testbed.records.service import RecordService
from testbed.server.connect_events import ConnectShaper

__all__ = ["ConnectFeed", "Item", "ItemKind"]

#: ``events``: EventBridge contact events; ``records``: Kinesis records of CTRs.
ItemKind = Literal["events", "records"]
Item = dict[str, Any]
Put = Callable[[Item], None]


class ConnectFeed:
    """Connect contact events and CTR records of ``tb``, live, for whoever subscribes."""

    def __init__(self, tb: Testbed) -> None:
        self.tb = tb
        self._shaper: ConnectShaper | None = None
        self._events: tuple[Put, ...] = ()
        self._records: tuple[Put, ...] = ()

    def _service(self) -> RecordService:
        service = self.tb.record_service
        if service is None:
            raise RuntimeError("the testbed is not open")
        return service

    @property
    def listening(self) -> bool:
        """True while the feed hears the record service (someone subscribes)."""
        return self._shaper is not None

    def subscribe(self, kind: ItemKind, put: Put, *, from_start: bool = False
                  ) -> tuple[Iterator[Item], Callable[[], None]]:
        """Hear every ``kind`` item from now on through ``put``.

        Answers the backlog (empty unless ``from_start``: the run's items so far,
        to be read before the live ones) and the function that unsubscribes.
        """
        service = self._service()
        entries = service.entries() if from_start else []
        if self._shaper is None:
            shaper = ConnectShaper(self.tb.instance, service.start)
            for _ in shaper.replay(service.entries()):
                pass  # learn the live contacts; what they gave was before this subscriber
            self._shaper = shaper
            service.on("event", self._take)
            self.tb.clock.loop.end_of_instant.append(self._release)
        # An INITIATED the live feed holds back goes out live, not in the backlog.
        backlog = self._backlog(kind, entries, len(entries), self._shaper.held)
        if kind == "events":
            self._events = (*self._events, put)
        else:
            self._records = (*self._records, put)

        def unsubscribe() -> None:
            if kind == "events":
                self._events = tuple(p for p in self._events if p is not put)
            else:
                self._records = tuple(p for p in self._records if p is not put)
            if not self._events and not self._records and self._shaper is not None:
                self._shaper = None
                service.remove_listener("event", self._take)
                self.tb.clock.loop.end_of_instant.remove(self._release)

        return backlog, unsubscribe

    def _backlog(self, kind: ItemKind, entries: list[Entry], count: int,
                 held_live: int | None) -> Iterator[Item]:
        if not count:
            return
        shaper = ConnectShaper(self.tb.instance, self._service().start)
        for events, record in shaper.replay(islice(entries, count)):
            if kind == "events":
                yield from events
            elif record is not None:
                yield record
        if kind == "events" and shaper.held != held_live:
            yield from shaper.release()

    def _take(self, entry: ContactEvent) -> None:
        shaper = self._shaper
        if shaper is None:
            return
        events, record = shaper.take(entry)
        for event in events:
            for put in self._events:
                put(event)
        if record is not None:
            for put in self._records:
                put(record)

    def _release(self) -> None:
        """The end of an instant: what the shaper held back goes out."""
        if self._shaper is not None:
            for event in self._shaper.release():
                for put in self._events:
                    put(event)
