"""``testbed demo``: play a built-in scenario with a live timeline, then its records."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from testbed.centre.facade import Testbed
from testbed.cli.common import check_new_store
from testbed.core.clock import REAL_TIME, VIRTUAL, run
from testbed.load.demos import Demo
from testbed.records.contact_record import ContactEvent, ContactRecord, EventKind, format_timestamp

__all__ = ["demo", "describe", "records_table"]


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
    console = Console(highlight=False)
    quiet = args.json

    async def play() -> list[ContactRecord]:
        async with Testbed(start=args.start, speed=args.speed, seed=args.seed,
                           records=args.records, overwrite=args.overwrite) as tb:
            service = tb.record_service
            assert service is not None
            if not quiet:
                pace = ("virtual time" if args.speed == VIRTUAL
                        else "real time" if args.speed == REAL_TIME else f"speed x{args.speed:g}")
                console.print(f"[bold]{demo.name}[/bold] ({pace})", soft_wrap=True)

                def show(event: ContactEvent) -> None:
                    at = service.wall(event.timestamp_s).strftime("%H:%M:%S.%f")[:-3]
                    who = event.contact_id[:8] or "agent"
                    console.print(f"  [cyan]{at}[/cyan]  {who:<8}  "
                                  f"[bold]{event.kind:<20}[/bold] {describe(event)}",
                                  soft_wrap=True)

                service.on("event", show)
            demo.setup(tb)
            await tb.run_until_idle()
            return tb.records

    records = run(play(), speed=args.speed)
    if quiet:
        print(json.dumps([r.to_ctr() for r in records], indent=2))
    else:
        console.print(records_table(records))
    return 0


def records_table(records: list[ContactRecord]) -> Table:
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
