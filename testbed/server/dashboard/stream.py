"""The frames a watcher gets on ``GET /v1/events?view=1``, besides the events.

- ``VIEW``, first and once: the centre now (clock, queues, agents, the latest
  contacts with their events, the queue history), so a page opened mid-run
  starts right.  It is computed at the instant the stream starts listening,
  so the events that follow it are exactly those after it.
- ``TICK``, whenever the clock or the queue figures have changed, checked
  every ``TICK_EVERY_S`` real seconds: the clock and the queue rows.  This
  is how a page follows testbed time between events; it never guesses it.

Everything in them is bounded (``CONTACTS_IN_VIEW`` contacts and the view's
``Limits``).  Field names are in docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from testbed.records.contact_record import Entry
from testbed.server.dashboard.view import CentreView

__all__ = ["CONTACTS_IN_VIEW", "TICK_EVERY_S", "VIEWER_KEY", "send_ticks", "tick_frame",
           "view_frame"]

#: Real seconds between checks for a TICK.
TICK_EVERY_S = 0.2
#: Contacts (the latest, with their events) in a VIEW frame.
CONTACTS_IN_VIEW = 300

#: Set once a watcher has opened ``/v1/events?view=1`` (a page has loaded).
VIEWER_KEY: web.AppKey[asyncio.Event] = web.AppKey("viewer", asyncio.Event)

Clock = Callable[[], dict[str, Any]]


def _event(entry: Entry) -> dict[str, Any]:
    t, contact_id, kind, data = entry
    return {"t": t, "contact_id": contact_id, "kind": str(kind), "data": data}


def _figures(view: CentreView, now_s: float) -> dict[str, Any]:
    return {"queues": [row.to_json() for row in view.queues(now_s)],
            "in_queue": view.in_queue, "on_contact": view.on_contact,
            "agents_by_state": view.agents_by_state()}


def view_frame(view: CentreView, clock: dict[str, Any]) -> str:
    """The VIEW frame: ``clock`` (as ``GET /v1/clock``), the queue figures, every agent,
    the latest contacts' events and the sampled history."""
    now_s = float(clock["now_s"])
    return json.dumps({
        "kind": "VIEW", "clock": clock, **_figures(view, now_s),
        "agents": [row.to_json() for row in view.agents()],
        "contacts": [{"contact_id": cid, "events": [_event(e) for e in events]}
                     for cid, events in view.contact_events(CONTACTS_IN_VIEW)],
        "history": [list(point) for point in view.history()],
    })


def tick_frame(view: CentreView, clock: dict[str, Any]) -> str:
    """A TICK frame: the clock and the queue figures now."""
    return json.dumps({"kind": "TICK", "clock": clock,
                       **_figures(view, float(clock["now_s"]))})


async def send_ticks(view: CentreView, clock: Clock, put: Callable[[str], None]) -> None:
    """Every TICK_EVERY_S real seconds (the caller runs on network time), ``put`` a TICK
    if the clock or the view changed since the last one; runs until cancelled."""
    last: tuple[Any, ...] = ()
    while True:
        await asyncio.sleep(TICK_EVERY_S)
        now = clock()
        key = (now["now_s"], now["paused"], now["speed"], view.version)
        if key != last:
            last = key
            put(tick_frame(view, now))
