"""``testbed records export`` and ``testbed metrics``: read a stored run.

Historical metrics print as one table per queue with a row per interval and
the metrics as columns, headed by Connect's names and grouped (contacts,
times, rates): whole groups side by side as far as the terminal width
allows, a group split only where it is wider than the terminal, so every
table reads at 80 columns.  By agent (``by`` "agent"), one table per agent
holds the hold and transfer metrics Connect groups by agent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.table import Table

from testbed.cli.common import cell, open_run, usage_error, warn
from testbed.records.contact_record import ContactRecord, format_timestamp, instant_of
from testbed.records.export import contact_events, csv_text, ctr_lines
from testbed.records.metrics import (
    AgentInterval,
    QueueInterval,
    historical,
    historical_by_agent,
    interval_start,
    realtime,
    unfinished,
)

__all__ = ["agent_tables", "export", "interval_tables", "metrics", "read_ctr_lines"]


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
        last = _last_timestamp(records)
    else:
        service = open_run(args.store)
        records = service.records()
        entries = service.entries()
        last = instant_of(service.start, entries[-1][0]) if entries else None
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
    # ``by`` "agent": the hold and transfer metrics per agent instead of per queue.
    by_agent = getattr(args, "by", "queue") == "agent"
    rows: Sequence[_Row]
    if by_agent:
        agent_rows = historical_by_agent(records, args.interval)
        rows, tables = agent_rows, agent_tables(agent_rows, args.interval, console.width)
        empty = "no contact an agent took has finished: no interval to show"
    else:
        queue_rows = historical(records, args.interval, args.service_level)
        rows, tables = queue_rows, interval_tables(
            queue_rows, args.interval, sorted(set(args.service_level)), console.width)
        empty = "no queued contact has finished: no interval to show"
    note = _mid_run_note(records, last, args.interval,
                         "the export" if exported is not None else "the store")
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
        if note:
            warn(note)
        return 0
    days = sorted({r.start.date() for r in rows})
    dates = "" if not days else f", {days[0]}" + (f" to {days[-1]}" if len(days) > 1 else "")
    console.print(f"[bold]Historical metrics{' by agent' if by_agent else ''}[/bold], "
                  f"{_duration_text(args.interval)} intervals{dates} (UTC)", soft_wrap=True)
    if not rows:
        console.print(empty)
    for table in tables:
        console.print(table)
    if note:
        console.print(f"[yellow]note[/yellow]: {note}", soft_wrap=True)
    return 0


class _Row(Protocol):
    """A row of historical metrics: a queue's or an agent's interval."""

    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class _Column:
    header: str
    group: str
    value: Callable[[Any], float | None]


def _columns(service_levels_s: Sequence[int]) -> list[_Column]:
    """The metric columns, in their groups, headed by Connect's metric names (as in --json)."""
    return [
        _Column("CONTACTS_QUEUED", "contacts", lambda r: r.contacts_queued),
        _Column("CONTACTS_HANDLED", "contacts", lambda r: r.contacts_handled),
        _Column("CONTACTS_ABANDONED", "contacts", lambda r: r.contacts_abandoned),
        _Column("CALLBACK_CONTACTS_HANDLED", "contacts", lambda r: r.callback_contacts_handled),
        _Column("AVG_QUEUE_ANSWER_TIME", "times (s)", lambda r: r.avg_queue_answer_time_s),
        _Column("AVG_HANDLE_TIME", "times (s)", lambda r: r.avg_handle_time_s),
        _Column("AVG_AFTER_CONTACT_WORK_TIME", "times (s)",
                lambda r: r.avg_after_contact_work_time_s),
        _Column("MAX_QUEUED_TIME", "times (s)", lambda r: r.max_queued_time_s),
        *[_Column(f"SERVICE_LEVEL_{x}", "rates (%)", _service_level(x))
          for x in service_levels_s],
        _Column("ABANDONMENT_RATE", "rates (%)", lambda r: r.abandonment_rate),
        _Column("CONTACTS_PUT_ON_HOLD", "holds", lambda r: r.contacts_put_on_hold),
        _Column("AVG_HOLD_TIME", "holds", lambda r: r.avg_hold_time_s),
        _Column("CONTACTS_TRANSFERRED_IN", "transfers", lambda r: r.contacts_transferred_in),
        _Column("CONTACTS_TRANSFERRED_OUT", "transfers", lambda r: r.contacts_transferred_out),
    ]


def _service_level(x: int) -> Callable[[QueueInterval], float | None]:
    return lambda r: r.service_level.get(x)


#: The per-agent columns: Connect's hold and transfer metrics grouped by agent.
_AGENT_COLUMNS = (
    _Column("CONTACTS_HANDLED", "contacts", lambda r: r.contacts_handled),
    _Column("CONTACTS_PUT_ON_HOLD", "holds", lambda r: r.contacts_put_on_hold),
    _Column("AVG_HOLD_TIME", "holds", lambda r: r.avg_hold_time_s),
    _Column("CONTACTS_TRANSFERRED_IN", "transfers", lambda r: r.contacts_transferred_in),
    _Column("CONTACTS_TRANSFERRED_OUT", "transfers", lambda r: r.contacts_transferred_out),
)


def interval_tables(rows: Sequence[QueueInterval], interval: timedelta,
                    service_levels_s: Sequence[int], width: int) -> Iterator[Table]:
    """Historical metrics as tables no wider than ``width``: per queue, a row per
    interval and the metric columns, whole groups side by side while they fit (a group
    wider than the width on its own is split)."""
    return _tables(rows, [r.queue for r in rows], _columns(service_levels_s), interval, width)


def agent_tables(rows: Sequence[AgentInterval], interval: timedelta,
                 width: int) -> Iterator[Table]:
    """Per-agent metrics as ``interval_tables`` lays them out: per agent, a row per
    interval."""
    return _tables(rows, [r.agent for r in rows], list(_AGENT_COLUMNS), interval, width)


def _tables(rows: Sequence[_Row], names: Sequence[str], columns: list[_Column],
            interval: timedelta, width: int) -> Iterator[Table]:
    """Tables of ``rows`` (each named by ``names``, the same length), one per name."""
    label = _interval_label(rows, interval)
    # What each column takes: its widest text, padding and a border.
    cost = {c.header: max([len(c.header), *(len(cell(c.value(r))) for r in rows)]) + 3
            for c in columns}
    first = 1 + max([len("interval"), *(len(label(r)) for r in rows)]) + 3
    groups: dict[str, list[_Column]] = {}
    for column in columns:
        groups.setdefault(column.group, []).append(column)
    chunks: list[list[_Column]] = [[]]
    used = first
    for group in groups.values():
        if chunks[-1] and used + sum(cost[c.header] for c in group) > width:
            chunks.append([])
            used = first
        for column in group:
            if chunks[-1] and used + cost[column.header] > width:
                chunks.append([])
                used = first
            chunks[-1].append(column)
            used += cost[column.header]
    for name in sorted(set(names)):
        mine = [r for r, n in zip(rows, names, strict=True) if n == name]
        for chunk in chunks:
            groups_shown = dict.fromkeys(c.group for c in chunk)
            table = Table(title=f"{name}: {', '.join(groups_shown)}", title_justify="left")
            table.add_column("interval", no_wrap=True)
            for column in chunk:
                table.add_column(column.header, justify="right")
            for r in mine:
                table.add_row(label(r), *[cell(c.value(r)) for c in chunk])
            yield table


def _clock(interval: timedelta) -> str:
    """How interval bounds show: 11:45, or 11:45:30 for intervals not whole minutes."""
    return "%H:%M" if interval % timedelta(minutes=1) == timedelta(0) else "%H:%M:%S"


def _interval_label(rows: Sequence[_Row], interval: timedelta) -> Callable[[_Row], str]:
    """Labels such as 11:45-12:00, with the date (04-08 11:45-12:00) when the intervals
    span days."""
    clock = _clock(interval)
    dated = len({r.start.date() for r in rows}) > 1 or interval >= timedelta(days=1)

    def label(row: _Row) -> str:
        span = f"{row.start.strftime(clock)}-{row.end.strftime(clock)}"
        return f"{row.start:%m-%d} {span}" if dated else span

    return label


def _duration_text(interval: timedelta) -> str:
    seconds = interval.total_seconds()
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


def _last_timestamp(records: Sequence[ContactRecord]) -> datetime | None:
    """The latest instant the records show (an export keeps no events)."""
    times: list[datetime | None] = []
    for r in records:
        times += (r.initiation_timestamp, r.connected_to_system_timestamp,
                  r.disconnect_timestamp)
        if r.queue is not None:
            times += (r.queue.enqueue_timestamp, r.queue.dequeue_timestamp)
        if r.agent is not None:
            times += (r.agent.connected_to_agent_timestamp,
                      r.agent.after_contact_work_start_timestamp,
                      r.agent.after_contact_work_end_timestamp)
    return max((t for t in times if t is not None), default=None)


def _mid_run_note(records: Sequence[ContactRecord], last: datetime | None,
                  interval: timedelta, where: str) -> str | None:
    """One line saying the run had not finished where ``where`` ends, or None."""
    open_ = unfinished(records)
    if not open_ or last is None:
        return None
    live = sum(1 for r in open_ if r.disconnect_timestamp is None)
    parts = [f"{live} contact{'' if live == 1 else 's'} still live (not counted)"] if live else []
    if len(open_) > live:
        parts.append(f"{len(open_) - live} in after-contact work")
    start = interval_start(last, interval)
    clock = _clock(interval)
    return (f"{where} ends mid-run at {format_timestamp(last)}: {', '.join(parts)}; the "
            f"{start.strftime(clock)}-{(start + interval).strftime(clock)} interval is partial")
