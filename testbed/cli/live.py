"""The live terminal view (``testbed demo|load --live``): the dashboard's panels in rich.

Clock, queues, agents and the latest events, redrawn in place a few times a
real second while the run plays (rich's Live), for people without a browser.
What it shows is folded from the testbed's events by the dashboard's own
``CentreView``; the time is the testbed clock's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from testbed.centre.facade import Testbed
from testbed.cli.demo import describe
from testbed.core.loop import network_time
from testbed.records.contact_record import ContactEvent
from testbed.server.dashboard.view import SERVICE_LEVELS_S, CentreView

__all__ = ["REDRAW_EVERY_S", "LiveView", "live_view"]

#: Real seconds between redraws.
REDRAW_EVERY_S = 0.25
_TABLE: dict[str, Any] = {"box": box.SIMPLE_HEAD, "padding": (0, 1, 0, 0), "pad_edge": False}
_STATE_ORDER = {"Busy": 0, "OnHold": 1, "Incoming": 2, "AfterContactWork": 3, "Missed": 4,
                "Rejected": 5, "Error": 6, "Available": 7}


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


class LiveView:
    """The panels of ``tb`` now.  Subscribes to its events from the moment it is made
    (make it before the run starts); ``close`` unsubscribes."""

    def __init__(self, tb: Testbed, title: str, *, agents: int = 15, events: int = 12) -> None:
        service = tb.record_service
        assert service is not None
        self.tb = tb
        self.title = title
        self.max_agents = agents
        self.max_events = events
        self.view = CentreView(tb.switchboard)
        self.view.extend(service.entries())
        service.on("event", self._take)

    def _take(self, event: ContactEvent) -> None:
        self.view.take(event)

    def close(self) -> None:
        service = self.tb.record_service
        assert service is not None
        service.remove_listener("event", self._take)

    def renderable(self) -> RenderableType:
        """Clock, queues, agents and latest events, as they are now."""
        return Group(self._clock(), self._queues(), self._agents(), self._events())

    def _clock(self) -> RenderableType:
        tb = self.tb
        clock = tb.clock
        speed = clock.speed
        pace = ("virtual" if speed == float("inf") else "real time" if speed == 1
                else f"x{speed:g}")
        now = tb.wall()
        text = Text.assemble((f"{now:%H:%M:%S}", "bold"), f"  {now:%a} {now.day} {now:%b %Y} UTC",
                             f"   {pace}, ", ("paused" if clock.paused else "running",
                                              "yellow" if clock.paused else "green"))
        return Panel(text, title=self.title, title_align="left", expand=False)

    def _queues(self) -> RenderableType:
        table = Table(title="Queues", title_justify="left", expand=False, **_TABLE)
        table.add_column("queue")  # the one column that wraps on a narrow terminal
        for name in ("in q", "oldest", "sched", "staff", "avail", "done", "aband",
                     *(f"SL{x}" for x in SERVICE_LEVELS_S)):
            table.add_column(name, justify="right", no_wrap=True)
        for row in self.view.queues(self.tb.now):
            levels = [("-" if row.service_level[x] is None else f"{row.service_level[x]:.0f}%")
                      for x in SERVICE_LEVELS_S]
            table.add_row(Text(row.queue), str(row.in_queue), _hms(row.oldest_age_s),
                          str(row.scheduled), str(row.staffed), str(row.available),
                          str(row.handled), str(row.abandoned), *levels)
        return table

    def _agents(self) -> RenderableType:
        rows = self.view.agents()
        counts = ", ".join(f"{n} {state}" for state, n in self.view.agents_by_state().items())
        table = Table(title=f"Agents ({len(rows)}: {counts or 'none yet'})",
                      title_justify="left", expand=False, **_TABLE)
        for name in ("agent", "state", "since", "for", "contact"):
            table.add_column(name, no_wrap=name != "agent")
        table.add_column("before")
        shown = sorted(rows, key=lambda r: (_STATE_ORDER.get(r.state, 8), r.username))
        now = self.tb.now
        for row in shown[:self.max_agents]:
            changes = " · ".join(f"{self.tb.wall(t):%H:%M:%S} {state}"
                                 for t, state, _ in list(row.changes)[-2:-1])
            table.add_row(Text(row.username), row.state, f"{self.tb.wall(row.since_s):%H:%M:%S}",
                          _hms(now - row.since_s), (row.contact or "")[:8], Text(changes))
        if len(shown) > self.max_agents:
            table.caption = f"and {len(shown) - self.max_agents} more"
        return table

    def _events(self) -> RenderableType:
        table = Table(title="Latest events", title_justify="left", expand=False,
                      show_header=False, box=None, padding=(0, 1))
        for t, contact_id, kind, data in self.view.latest_events()[-self.max_events:]:
            table.add_row(f"{self.tb.wall(t):%H:%M:%S.%f}"[:-3], contact_id[:8] or "agent",
                          str(kind), Text(describe(ContactEvent(t, contact_id, kind, data))))
        return table


@asynccontextmanager
async def live_view(tb: Testbed, title: str, console: Console) -> AsyncIterator[LiveView]:
    """Show ``tb``'s panels on ``console``, redrawn every REDRAW_EVERY_S real seconds
    while the block runs, and once more at its end."""
    view = LiveView(tb, title)

    async def redraw(live: Live) -> None:
        with network_time():  # real seconds between redraws, whatever the clock does
            while True:
                live.update(view.renderable(), refresh=True)
                await asyncio.sleep(REDRAW_EVERY_S)

    try:
        with Live(view.renderable(), console=console, auto_refresh=False,
                  vertical_overflow="visible") as live:
            task = asyncio.create_task(redraw(live))
            try:
                yield view
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                live.update(view.renderable(), refresh=True)
        if not console.is_terminal:
            console.line()  # rich leaves the last frame's line open off a terminal
    finally:
        view.close()
