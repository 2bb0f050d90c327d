"""``testbed demo``: play a built-in scenario with a live timeline, then its records."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from testbed.centre.facade import Testbed
from testbed.cli.common import check_new_store, usage_error
from testbed.core.clock import REAL_TIME, VIRTUAL, run
from testbed.core.loop import network_time
from testbed.load.demos import Demo
from testbed.records.contact_record import ContactEvent, ContactRecord, EventKind, format_timestamp

if TYPE_CHECKING:
    from testbed.server.dashboard.serving import Site

__all__ = ["demo", "describe", "pace", "play_out", "records_table", "until_stopped", "watched"]


def describe(event: ContactEvent) -> str:
    kind, data = event.kind, event.data
    if kind == EventKind.AGENT_STATE:
        username, state, contact_id = data
        return f"agent {username} is {state}" + (f" ({contact_id[:8]})" if contact_id else "")
    if kind == EventKind.INITIATED:
        method, previous, customer = data[0], data[1], data[2]
        after = f", after {previous[:8]}" if previous else ""
        return f"{method} contact from {customer}{after}"
    if kind == EventKind.SCHEDULED:
        return f"callback scheduled for {data[0]} in {data[1]:g} s"
    if kind in (EventKind.ENQUEUED,):
        return f"in queue {data}"
    if kind == EventKind.NEXT_CONTACT:
        return f"followed by {data[:8]}"
    if kind == EventKind.DEQUEUED:
        return f"accepted by {data}" if data else "left the queue"
    if data is None:
        return ""
    return str(data)


def demo(args: argparse.Namespace) -> int:
    demo: Demo = args.demo
    check_new_store(args.records, args.overwrite)  # a usage error, before anything runs
    if args.paused and not args.dashboard:
        usage_error("--paused needs --dashboard: the dashboard's clock controls move the "
                    "clock")
    console = Console(highlight=False)
    quiet = args.json
    say = console if not quiet else Console(highlight=False, stderr=True)

    def finish(records: list[ContactRecord]) -> None:
        if quiet:
            print(json.dumps([r.to_ctr() for r in records], indent=2), flush=True)
        else:
            console.print(records_table(records))

    async def play() -> None:
        # Watched in a browser, the demo waits for its page (or, with --paused, for
        # the page's clock controls) before time moves.
        async with Testbed(start=args.start, speed=args.speed, seed=args.seed,
                           records=args.records, overwrite=args.overwrite,
                           paused=args.dashboard) as tb:
            service = tb.record_service
            assert service is not None
            if not quiet:
                console.print(f"[bold]{demo.name}[/bold] ({pace(args.speed)}): {demo.summary}",
                              soft_wrap=True)
            if not quiet and not args.live:

                def show(event: ContactEvent) -> None:
                    at = service.wall(event.timestamp_s).strftime("%H:%M:%S.%f")[:-3]
                    who = event.contact_id[:8] or "agent"
                    console.print(f"  [cyan]{at}[/cyan]  {who:<8}  "
                                  f"[bold]{event.kind:<20}[/bold] {escape(describe(event))}",
                                  soft_wrap=True)

                service.on("event", show)
            async with AsyncExitStack() as stack:
                if args.dashboard:
                    site = await stack.enter_async_context(watched(tb, args.port, say))
                    if not args.paused:
                        say.print("the demo starts when the page opens", soft_wrap=True)
                        await site.viewer.wait()
                        tb.clock.resume()
                if args.live:
                    from testbed.cli.live import live_view

                    async with live_view(tb, demo.name, console):
                        demo.setup(tb)
                        await play_out(tb)
                else:
                    demo.setup(tb)
                    await play_out(tb)
                finish(tb.records)
                if args.dashboard:
                    say.print("the demo is over; the dashboard stays up until Ctrl-C",
                              soft_wrap=True)
                    await until_stopped()

    run(play(), speed=args.speed)
    return 0


def pace(speed: float) -> str:
    return ("virtual time" if speed == VIRTUAL else "real time" if speed == REAL_TIME
            else f"speed x{speed:g}")


async def play_out(tb: Testbed) -> None:
    """Return once the run has nothing left to do.  A paused clock (the dashboard's
    controls move it) leaves the run idle with timers still due: wait for it then."""
    loop = tb.clock.loop
    while True:
        await tb.run_until_idle()
        if loop.next_deadline() is None:
            return
        with network_time():
            await asyncio.sleep(0.2)


@asynccontextmanager
async def watched(tb: Testbed, port: int, say: Console) -> AsyncIterator[Site]:
    """Serve ``tb``'s dashboard on 127.0.0.1:``port`` while the block runs, saying where."""
    from testbed.server.dashboard.serving import dashboard_site

    async with AsyncExitStack() as stack:
        try:
            site = await stack.enter_async_context(dashboard_site(tb, port=port))
        except OSError as exc:
            usage_error(f"--port {port}: cannot serve the dashboard there ({exc.strerror})")
        say.print(f"dashboard: {site.url}", soft_wrap=True, markup=False)
        sys.stdout.flush()
        yield site


async def until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def records_table(records: list[ContactRecord]) -> Table:
    """The records side by side (a column each), or a row each when there are more
    than three."""
    if len(records) > 3:
        return records_rows(records)
    table = Table(title="Contact records", show_lines=False)
    table.add_column("field", style="bold", no_wrap=True)
    for i, _ in enumerate(records, 1):
        table.add_column(f"record-{i}", overflow="fold")

    def row(name: str, values: list[str | None]) -> None:
        table.add_row(name, *[v if v is not None else "N/A" for v in values])

    def short(contact_id: str | None) -> str | None:
        if contact_id is None:
            return None
        index = next((i for i, r in enumerate(records, 1) if r.contact_id == contact_id), None)
        return f"record-{index}" if index else contact_id

    row("ContactId", [r.contact_id for r in records])
    row("InitiationMethod", [str(r.initiation_method) for r in records])
    row("InitiationTimestamp", [format_timestamp(r.initiation_timestamp) for r in records])
    row("ConnectedToSystemTimestamp",
        [format_timestamp(r.connected_to_system_timestamp) for r in records])
    row("PreviousContactId", [short(r.previous_contact_id) for r in records])
    row("NextContactId", [short(r.next_contact_id) for r in records])
    row("Queue", [r.queue.name if r.queue else None for r in records])
    row("EnqueueTimestamp",
        [format_timestamp(r.queue.enqueue_timestamp) if r.queue else None for r in records])
    row("DequeueTimestamp",
        [format_timestamp(r.queue.dequeue_timestamp) if r.queue else None for r in records])
    row("Queue Duration (s)",
        [str(r.queue.duration_s) if r.queue and r.queue.duration_s is not None else None
         for r in records])
    row("Agent", [r.agent.username if r.agent else None for r in records])
    row("ConnectedToAgentTimestamp",
        [format_timestamp(r.agent.connected_to_agent_timestamp) if r.agent else None
         for r in records])
    row("DisconnectTimestamp", [format_timestamp(r.disconnect_timestamp) for r in records])
    row("DisconnectReason",
        [str(r.disconnect_reason) if r.disconnect_reason else None for r in records])
    return table


def records_rows(records: list[ContactRecord]) -> Table:
    """A row per record: which queue and agent, and when (testbed time of day); the
    disconnect reason without its ``_DISCONNECT`` (``--json`` has every field)."""
    table = Table(title="Contact records", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0),
                  pad_edge=False, show_edge=False)
    for name in ("contact", "method", "queue", "enqueued", "agent", "connected", "ended",
                 "disconnect"):
        table.add_column(name, no_wrap=True)

    def hms(value: datetime | None) -> str:
        return "" if value is None else f"{value:%H:%M:%S}"

    for r in records:
        reason = str(r.disconnect_reason or "").removesuffix("_DISCONNECT")
        table.add_row(
            r.contact_id[:8], str(r.initiation_method),
            Text(r.queue.name) if r.queue else "",
            hms(r.queue.enqueue_timestamp if r.queue else None),
            Text(r.agent.username or "") if r.agent else "",
            hms(r.agent.connected_to_agent_timestamp if r.agent else None),
            hms(r.disconnect_timestamp), reason)
    return table
