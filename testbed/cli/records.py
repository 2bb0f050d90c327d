"""``testbed records export`` and ``testbed metrics``: read a stored run."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from testbed.cli.common import cell, open_run, usage_error
from testbed.export import contact_events, csv_text, ctr_lines
from testbed.metrics import QueueInterval, historical, realtime
from testbed.records import ContactRecord, format_timestamp

__all__ = ["export", "metrics", "read_ctr_lines"]


def export(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if out is not None:  # checked before the store is read
        if out.is_dir():
            usage_error(f"--out {out} is a folder; name a file to write, "
                        f"e.g. {out / 'records.jsonl'}")
        if not out.parent.is_dir():
            usage_error(f"--out {out}: there is no folder {str(out.parent)!r}; create it "
                        f"first, or name a file in an existing folder")
    service = open_run(args.store)
    if args.format == "ctr-json":
        text = "".join(line + "\n" for line in ctr_lines(service.records()))
    elif args.format == "csv":
        text = csv_text(service.records())
    else:
        text = "".join(json.dumps(e, separators=(",", ":")) + "\n"
                       for e in contact_events(service.start, service.entries()))
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        usage_error(f"--out {out}: cannot write it ({exc.strerror})")
    return 0


def read_ctr_lines(path: str) -> list[ContactRecord] | None:
    """The records of an exported ctr-json file, or None if ``path`` is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
            if '"ContactId"' not in first:
                return None
            lines = [first, *f]
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return [ContactRecord.from_ctr(json.loads(line)) for line in lines if line.strip()]
    except (ValueError, KeyError, TypeError) as exc:
        usage_error(f"{path}: not a ctr-json export ({exc})")


def metrics(args: argparse.Namespace) -> int:
    console = Console(highlight=False)
    exported = read_ctr_lines(args.store)
    if exported is not None:
        if args.at is not None:
            usage_error("--at needs the run's store (events); an export holds only records")
        records = exported
    else:
        service = open_run(args.store)
        records = service.records()
    if args.at is not None:
        now = realtime(service.start, service.entries(),
                       (args.at - service.start).total_seconds())
        if args.json:
            print(json.dumps(now.to_json(), indent=2))
            return 0
        table = Table(title=f"Real-time metrics at {format_timestamp(args.at)}")
        for column in ("queue", "CONTACTS_IN_QUEUE", "CONTACTS_SCHEDULED", "OLDEST_CONTACT_AGE"):
            table.add_column(column)
        for q in now.queues.values():
            table.add_row(q.queue, str(q.contacts_in_queue), str(q.contacts_scheduled),
                          "-" if q.oldest_contact_age_ms is None
                          else f"{q.oldest_contact_age_ms} ms")
        console.print(table)
        console.print("agents: " + (", ".join(f"{state} {count}" for state, count
                                              in sorted(now.agents.items())) or "none"))
        return 0
    rows = historical(records, args.interval, args.service_level)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
        return 0
    table = Table(title=f"Historical metrics ({args.interval} intervals)")
    table.add_column("metric", style="bold", no_wrap=True)
    for r in rows:
        table.add_column(f"{r.start:%H:%M}-{r.end:%H:%M}\n{r.queue}", overflow="fold")

    lines: list[tuple[str, Callable[[QueueInterval], float | None]]] = [
        ("CONTACTS_QUEUED", lambda r: r.contacts_queued),
        ("CONTACTS_HANDLED", lambda r: r.contacts_handled),
        ("CONTACTS_ABANDONED", lambda r: r.contacts_abandoned),
        ("CALLBACK_CONTACTS_HANDLED", lambda r: r.callback_contacts_handled),
        ("AVG_QUEUE_ANSWER_TIME (s)", lambda r: r.avg_queue_answer_time_s),
        ("AVG_HANDLE_TIME (s)", lambda r: r.avg_handle_time_s),
        ("AVG_AFTER_CONTACT_WORK_TIME (s)", lambda r: r.avg_after_contact_work_time_s),
        ("MAX_QUEUED_TIME (s)", lambda r: r.max_queued_time_s),
        *[(f"SERVICE_LEVEL {x} s (%)", lambda r, x=x: r.service_level[x])
          for x in args.service_level],
        ("ABANDONMENT_RATE (%)", lambda r: r.abandonment_rate),
    ]
    for name, value in lines:
        table.add_row(name, *[cell(value(r)) for r in rows])
    console.print(table)
    return 0
