"""``testbed load``: run a load scenario with a progress bar, then report on it."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from testbed.centre.facade import Testbed
from testbed.cli.common import cell, usage_error
from testbed.core.clock import run
from testbed.core.errors import ConfigError
from testbed.flows.coverage import FlowCoverage
from testbed.load.report import QueueReport
from testbed.load.run import LoadResult, LoadRun
from testbed.records.metrics import historical

__all__ = ["OUTPUTS", "WatchedRun", "load", "prepare_out", "watch", "write_outputs"]


def load(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from testbed.load.scenario import Scenario

    try:
        scenario = Scenario.from_toml(args.scenario)
        if args.callers is not None:
            try:
                scenario.check_arrivals(args.callers)
            except ConfigError as exc:
                raise ConfigError(f"{args.scenario}: with --callers {args.callers}: "
                                  f"{exc}") from None
    except ConfigError as exc:
        usage_error(str(exc))
    coverage_json = Path(args.flow_coverage_json) if args.flow_coverage_json else None
    if coverage_json is not None and not coverage_json.parent.is_dir():
        usage_error(f"--flow-coverage-json {coverage_json}: there is no folder "
                    f"{str(coverage_json.parent)!r}")
    coverage = FlowCoverage() if args.flow_coverage or coverage_json is not None else None
    out = Path(args.out) if args.out else None
    store = "memory:"
    if out is not None:
        prepare_out(out, args.overwrite)
        store = str(out / "records.sqlite")
    console = Console(highlight=False)
    total = args.callers or scenario.callers
    show = console.is_terminal and not args.json and not args.live
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[clock]}"), TimeRemainingColumn(),
                  console=console, disable=not show, transient=True) as progress:
        task = progress.add_task(scenario.name, total=total, clock="")

        def report_progress(t: float, arrived: int, finished: int) -> None:
            wall = scenario.start + timedelta(seconds=t)
            progress.update(task, completed=finished,
                            clock=f"{wall:%H:%M:%S} testbed, {arrived} arrived")

        watching = args.dashboard or args.live
        run_ = (WatchedRun if watching else LoadRun)(
            scenario, callers=args.callers, seed=args.seed, speed=args.speed, records=store,
            progress=None if args.live else report_progress, flow_coverage=coverage)
        if isinstance(run_, WatchedRun):
            result = run(watch(run_, args, console), speed=args.speed)
        else:
            result = run(run_.run(), speed=args.speed)
    report = result.report
    if coverage is not None and coverage_json is not None:
        try:
            coverage.save(coverage_json)
        except OSError as exc:
            usage_error(f"--flow-coverage-json {coverage_json}: cannot write it "
                        f"({exc.strerror})")
    if out is not None:
        write_outputs(out, scenario.name, result)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return 0
    table = Table(title=f"{scenario.name}: {report.callers} callers, "
                        f"{timedelta(seconds=round(report.duration_s))} of testbed time")
    table.add_column("", style="bold", no_wrap=True)
    for q in report.queues:
        table.add_column(q.queue, overflow="fold")

    lines: list[tuple[str, Callable[[QueueReport], float | None]]] = [
        ("offered", lambda q: q.offered), ("handled", lambda q: q.handled),
        ("abandoned", lambda q: q.abandoned), ("called back", lambda q: q.called_back),
        ("wait p50 (s)", lambda q: q.wait_p50_s), ("wait p90 (s)", lambda q: q.wait_p90_s),
        ("wait p99 (s)", lambda q: q.wait_p99_s), ("wait max (s)", lambda q: q.wait_max_s),
        ("service level 20 s (%)", lambda q: q.service_level.get(20)),
        ("service level 60 s (%)", lambda q: q.service_level.get(60)),
        ("abandonment rate (%)", lambda q: q.abandonment_rate),
    ]
    # Rows for holds and transfers only when the run had some: most scenarios have none.
    if any(q.put_on_hold or q.transferred_out or q.transferred_in for q in report.queues):
        lines += [
            ("put on hold", lambda q: q.put_on_hold), ("avg hold (s)", lambda q: q.avg_hold_s),
            ("transferred out", lambda q: q.transferred_out),
            ("transferred in", lambda q: q.transferred_in),
        ]
    for name, value in lines:
        table.add_row(name, *[cell(value(q)) for q in report.queues])
    console.print(table)
    occupancy = report.agent_occupancy
    console.print(f"agent occupancy: {'-' if occupancy is None else f'{occupancy:.1%}'}")
    if result.incomplete:
        console.print(f"[yellow]warning[/yellow] {result.incomplete} contacts had not finished")
    if coverage is not None and args.flow_coverage:
        console.print(coverage.renderable(console.width))
    if out is not None:
        console.print(f"written to {out}/: {', '.join(OUTPUTS)}")
    return 0


#: What a load run writes into --out DIR (write_outputs and the record store).
OUTPUTS = ("records.sqlite", "report.json", "metrics.json", "metrics.csv",
           "queue_and_agents.png", "wait_histogram.png", "service_level.png")


def prepare_out(out: Path, overwrite: bool) -> None:
    """Make ``out`` ready for a run's output; a usage error if it is a file, or if it holds
    an earlier run's output and ``overwrite`` is false (with it, that output goes)."""
    if out.exists() and not out.is_dir():
        usage_error(f"--out {out} is a file; name a folder (it is created if missing)")
    earlier = [name for name in OUTPUTS if (out / name).exists()]
    if earlier and not overwrite:
        usage_error(f"{out} already holds a run's output ({', '.join(earlier)}); pass "
                    f"--overwrite to replace it, or pick a new folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        # The store goes with its journal files, which belong to the earlier run.
        for name in ("records.sqlite", "records.sqlite-wal", "records.sqlite-shm"):
            (out / name).unlink(missing_ok=True)
    except OSError as exc:
        usage_error(f"--out {out}: cannot prepare the folder ({exc.strerror})")


def write_outputs(out: Path, title: str, result: LoadResult) -> None:
    import csv as csv_module

    from testbed.load.plots import write_plots
    from testbed.load.report import waits_by_queue

    intervals = historical(result.records)
    (out / "report.json").write_text(json.dumps(result.report.to_json(), indent=2) + "\n")
    rows = [r.to_json() for r in intervals]
    (out / "metrics.json").write_text(json.dumps(rows, indent=2) + "\n")
    with (out / "metrics.csv").open("w", newline="", encoding="utf-8") as f:
        if rows:
            writer = csv_module.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    write_plots(out, result.entries, waits_by_queue(result.entries), intervals, title,
                result.start)


class WatchedRun(LoadRun):
    """A load run that can be watched: its testbed is handed out (``opened``) as soon
    as it is open, before the centre is built; with ``hold`` its clock waits, paused,
    until the watcher resumes it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hold = False
        self.opened: asyncio.Future[Testbed] | None = None

    def _centre(self, tb: Testbed) -> None:
        if self.hold:
            tb.clock.pause()
        if self.opened is not None and not self.opened.done():
            self.opened.set_result(tb)
        super()._centre(tb)


async def watch(run_: WatchedRun, args: argparse.Namespace, console: Console) -> LoadResult:
    """Play ``run_`` with its dashboard (``--dashboard``: the run starts when the page
    opens, and the server stops with the run) and/or the live terminal view."""
    from testbed.cli.demo import watched
    from testbed.cli.live import live_view

    run_.hold = args.dashboard
    run_.opened = asyncio.get_running_loop().create_future()
    playing = asyncio.create_task(run_.run())
    try:
        either: list[asyncio.Future[Any]] = [playing, run_.opened]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if playing.done():
            return playing.result()  # it failed before the testbed opened
        tb = run_.opened.result()
        say = console if not args.json else Console(highlight=False, stderr=True)
        async with AsyncExitStack() as stack:
            if args.dashboard:
                site = await stack.enter_async_context(watched(tb, args.port, say))
                say.print("the run starts when the page opens; the dashboard stops with it",
                          soft_wrap=True)
                await site.viewer.wait()
                tb.clock.resume()
            if args.live:
                await stack.enter_async_context(live_view(tb, run_.scenario.name, console))
            return await playing
    finally:
        playing.cancel()
        await asyncio.gather(playing, return_exceptions=True)
