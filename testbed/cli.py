"""The ``testbed`` command line.

    testbed demo queued-callback [--speed N | --real-time | --virtual] [--start ISO] [--json]

Exit status: 0 on success, 1 when a run fails, 2 for usage errors (a bad
flag value, an unknown demo), with a one-line message naming the bad value.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.table import Table

from testbed import __version__
from testbed.centre import Testbed
from testbed.clock import DEFAULT_START, REAL_TIME, VIRTUAL, check_speed, parse_instant, run
from testbed.demos import CENTRES, DEMOS, Demo
from testbed.errors import ConfigError, FlowError, TestbedError
from testbed.export import FORMATS, contact_events, csv_text, ctr_lines
from testbed.flows import Flow
from testbed.load import LoadResult
from testbed.metrics import QueueInterval, historical, realtime
from testbed.record_service import RecordService
from testbed.records import (
    ContactEvent,
    ContactRecord,
    EventKind,
    format_timestamp,
)
from testbed.report import QueueReport
from testbed.stores import open_store

__all__ = ["main"]

DEFAULT_SPEED = 60.0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number of testbed seconds per real second, got {text!r}"
        ) from None
    try:
        return check_speed(value, "--speed")
    except ConfigError:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}") from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text!r}")
    return port


_UNITS = {"s": 1, "m": 60, "h": 3600}


def _duration(text: str) -> timedelta:
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        seconds = -1
    if not 0 < seconds < 1e9:
        raise argparse.ArgumentTypeError(
            f"must be a positive duration such as 15m, 1h, 30s or 900, got {text!r}")
    return timedelta(seconds=seconds)


def _seconds_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(","))
    except ValueError:
        values = ()
    if not values or any(not 1 <= v <= 604_800 for v in values):
        raise argparse.ArgumentTypeError(
            f"must be whole seconds from 1 to 604800, comma-separated, got {text!r}")
    return values


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ConfigError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO-8601 instant such as {DEFAULT_START}, got {text!r}") from None


def _demo(name: str) -> Demo:
    demo = DEMOS.get(name)
    if demo is None:
        raise argparse.ArgumentTypeError(
            f"unknown demo {name!r}; demos: {', '.join(sorted(DEMOS))}")
    return demo


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="testbed",
        description="A simulated cloud contact centre: mock callers and agents, a switchboard "
                    "running queue and whisper flows, and contact records in real, "
                    "accelerated or virtual time.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=_Parser)
    demo_list = "\n".join(f"  {d.name:<18} {d.summary}" for d in DEMOS.values())
    demo = commands.add_parser(
        "demo",
        help="play a built-in scenario with a live timeline, then show its contact records",
        description="Play a built-in scenario. Each contact event is printed as it happens,\n"
                    "with its testbed time; the run ends with the contact records as a table.",
        epilog=f"demos:\n{demo_list}\n\nexamples:\n"
               f"  testbed demo queued-callback              # about 10 s (speed 60)\n"
               f"  testbed demo queued-callback --virtual --json\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("demo", type=_demo, metavar="NAME",
                      help=f"the scenario to play: {', '.join(sorted(DEMOS))}")
    pace = demo.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=_speed, default=DEFAULT_SPEED, metavar="N",
                      help="testbed seconds per real second (default: %(default)g, so a "
                           "10-minute scenario plays in about 10 s)")
    pace.add_argument("--real-time", dest="speed", action="store_const", const=REAL_TIME,
                      help="play in real time (the same as --speed 1)")
    pace.add_argument("--virtual", dest="speed", action="store_const", const=VIRTUAL,
                      help="play as fast as possible; the records are the same")
    demo.add_argument("--start", type=_instant, default=parse_instant(DEFAULT_START),
                      metavar="ISO-8601",
                      help=f"UTC instant of the scenario's first call (default: {DEFAULT_START})")
    demo.add_argument("--seed", type=int, default=0,
                      help="seed for contact ids (default: %(default)s)")
    demo.add_argument("--records", metavar="STORE", default="memory:",
                      help="also keep the run's events in a store: PATH.jsonl or PATH.sqlite "
                           "(then try: testbed records export STORE, testbed metrics STORE)")
    demo.add_argument("--json", action="store_true",
                      help="print only the final contact records, as a JSON array of "
                           "Connect-CTR-shaped objects")
    serve = commands.add_parser(
        "serve", help="serve a contact centre to remote endpoints over WebSocket and HTTP",
        description="Serve a contact centre: callers and agents connect over WebSocket "
                    "(/v1/endpoints/caller, /v1/endpoints/agent); records, metrics, events and "
                    "the clock are at /v1/contacts, /v1/metrics/realtime, /v1/events, /v1/clock. "
                    "See docs/protocol.md.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: %(default)s, this machine only)")
    serve.add_argument("--port", type=_port, default=8080,
                       help="port (default: %(default)s; 0 picks a free one)")
    serve_pace = serve.add_mutually_exclusive_group()
    serve_pace.add_argument("--speed", type=_speed, default=REAL_TIME, metavar="N",
                            help="testbed seconds per real second (default: real time)")
    serve_pace.add_argument("--real-time", dest="speed", action="store_const", const=REAL_TIME,
                            help="run in real time (the default)")
    serve_pace.add_argument("--virtual", dest="speed", action="store_const", const=VIRTUAL,
                            help="jump time whenever every endpoint is quiet")
    serve.add_argument("--start", type=_instant, default=parse_instant(DEFAULT_START),
                       metavar="ISO-8601", help=f"UTC instant of testbed time 0 "
                                                f"(default: {DEFAULT_START})")
    serve.add_argument("--paused", action="store_true",
                       help="start with the clock paused (resume with POST /v1/clock)")
    serve.add_argument("--centre", choices=[*sorted(CENTRES), "none"], default="queued-callback",
                       help="the built-in contact centre to start from (default: %(default)s; "
                            "none: only what --flows and --number add)")
    serve.add_argument("--flows", metavar="DIR",
                       help="load every *.json in DIR as an Amazon Connect flow (named by "
                            "its file name); queues the flows name are created")
    serve.add_argument("--number", action="append", default=[], metavar="NUMBER=FLOW",
                       help="calls to NUMBER run FLOW (repeatable)")
    serve.add_argument("--records", metavar="STORE", default="memory:",
                       help="record store: PATH.jsonl, PATH.sqlite (default: in memory)")
    serve.add_argument("--token", default=os.environ.get("TESTBED_TOKEN"),
                       help="require 'Authorization: Bearer TOKEN' on every request "
                            "(default: $TESTBED_TOKEN, if set)")

    records = commands.add_parser(
        "records", help="work with a stored run's contact records",
        description="Work with the contact records of a run stored with --records / "
                    "Testbed(records=...).")
    records_commands = records.add_subparsers(dest="records_command", metavar="ACTION",
                                              required=True, parser_class=_Parser)
    export = records_commands.add_parser(
        "export", help="export records or contact events",
        description="Export a stored run: ctr-json (one Connect-CTR-shaped object per line), "
                    "csv (flattened columns), or events (the contact-event stream: INITIATED, "
                    "QUEUED, CONNECTED_TO_AGENT, DISCONNECTED, COMPLETED).")
    export.add_argument("store", metavar="STORE",
                        help="the run's store: PATH.jsonl, PATH.sqlite, jsonl:PATH or sqlite:PATH")
    export.add_argument("--format", choices=FORMATS, default="ctr-json",
                        help="what to write (default: %(default)s)")
    export.add_argument("--out", metavar="FILE",
                        help="write to FILE instead of standard output")
    flow = commands.add_parser(
        "flow", help="work with Amazon Connect flow-language files",
        description="Work with flows exported from Amazon Connect (flow language 2019-10-30).")
    flow_commands = flow.add_subparsers(dest="flow_command", metavar="ACTION", required=True,
                                        parser_class=_Parser)
    check = flow_commands.add_parser(
        "check", help="validate flow files and summarise them",
        description="Load each flow file as the testbed would and print a summary: blocks by "
                    "type, queues and flows referenced, unreachable blocks. Flow references "
                    "that name none of the given files are warnings. Exit status 1 if any file "
                    "cannot be loaded.")
    check.add_argument("files", nargs="+", metavar="FILE", help="flow JSON files")

    load = commands.add_parser(
        "load", help="run a load scenario and report on it",
        description="Run a load scenario (a TOML file: arrivals, caller behaviour, agents, "
                    "queues and flows) and print a report per queue: contacts offered, handled, "
                    "abandoned and called back, wait-time percentiles, service level at 20 s and "
                    "60 s, abandonment rate, agent occupancy.",
        epilog="examples:\n  testbed load scripts/scenarios/morning-peak.toml\n"
               "  testbed load scripts/scenarios/mmc.toml --callers 5000 --out out/mmc\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    load.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file")
    load.add_argument("--callers", type=_count, metavar="N",
                      help="number of callers (default: the scenario's)")
    load.add_argument("--seed", type=int, help="seed (default: the scenario's)")
    load_pace = load.add_mutually_exclusive_group()
    load_pace.add_argument("--virtual", dest="speed", action="store_const", const=VIRTUAL,
                           default=VIRTUAL, help="as fast as possible (the default)")
    load_pace.add_argument("--speed", type=_speed, metavar="N",
                           help="testbed seconds per real second")
    load.add_argument("--out", metavar="DIR",
                      help="write the records (records.sqlite), the report and metrics (JSON, "
                           "CSV) and PNG plots into DIR")
    load.add_argument("--json", action="store_true", help="print the report as JSON only")

    metrics = commands.add_parser(
        "metrics", help="historical and real-time metrics of a stored run",
        description="Connect-style metrics of a stored run, computed from its records: per queue "
                    "and interval CONTACTS_QUEUED, CONTACTS_HANDLED, CONTACTS_ABANDONED, "
                    "CALLBACK_CONTACTS_HANDLED, AVG_QUEUE_ANSWER_TIME, AVG_HANDLE_TIME, "
                    "AVG_AFTER_CONTACT_WORK_TIME, MAX_QUEUED_TIME, SERVICE_LEVEL X, "
                    "ABANDONMENT_RATE; with --at, the real-time metrics at that instant.")
    metrics.add_argument("store", metavar="STORE",
                         help="the run's store (PATH.jsonl, PATH.sqlite), or a ctr-json export")
    metrics.add_argument("--interval", type=_duration, default=timedelta(minutes=15),
                         metavar="DURATION",
                         help="interval length: 15m (default), 1h, 30s, 900 (seconds)")
    metrics.add_argument("--service-level", type=_seconds_list, default=(20, 60),
                         metavar="X[,X...]",
                         help="service-level thresholds in seconds (default: 20,60)")
    metrics.add_argument("--at", type=_instant, metavar="ISO-8601",
                         help="show the real-time metrics at this instant instead")
    metrics.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _run_demo(args)
        if args.command == "records":
            return _export(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "metrics":
            return _metrics(args)
        if args.command == "flow":
            return _flow_check(args)
        if args.command == "load":
            return _load(args)
    except TestbedError as exc:
        print(f"testbed: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("testbed: interrupted", file=sys.stderr)
        return 130
    return 2


# -- flow check -------------------------------------------------------------------
def _num(value: float | None) -> str:
    """A table cell: counts as they are, other numbers to one decimal, None as '-'."""
    return "-" if value is None else str(value) if isinstance(value, int) else f"{value:.1f}"


def _flow_check(args: argparse.Namespace) -> int:
    from testbed.errors import FlowError
    from testbed.flows.connect import flow_references, load_flow, unreachable_blocks

    console = Console(highlight=False)
    flows, failed = [], 0
    for path in args.files:
        try:
            flows.append((path, load_flow(Path(path))))
        except FlowError as exc:
            failed += 1
            console.print(f"[red]error[/red] {exc}", soft_wrap=True)
    names = {flow.name for _path, flow in flows}
    for path, flow in flows:
        kinds: dict[str, int] = {}
        for block in flow.blocks.values():
            kinds[type(block).__name__] = kinds.get(type(block).__name__, 0) + 1
        queues, referenced = flow_references(flow)
        console.print(f"[bold]{flow.name}[/bold] ({path}): {len(flow.blocks)} blocks, "
                      f"starts at {flow.start!r}", soft_wrap=True)
        console.print("  blocks: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
                      soft_wrap=True)
        console.print("  queues: " + (", ".join(sorted(queues)) or "none"), soft_wrap=True)
        console.print("  flows: " + (", ".join(sorted(referenced)) or "none"), soft_wrap=True)
        for name in sorted(referenced - names):
            users = [b.id for b in flow.blocks.values() if getattr(b, "flow", None) == name]
            console.print(f"  [yellow]warning[/yellow] action {users[0]!r} refers to flow "
                          f"{name!r}, which is not among the files checked", soft_wrap=True)
        for block_id in unreachable_blocks(flow):
            console.print(f"  [yellow]warning[/yellow] block {block_id!r} is unreachable",
                          soft_wrap=True)
    return 1 if failed else 0


# -- load ---------------------------------------------------------------------
def _load(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from testbed.load import LoadRun
    from testbed.scenario import Scenario

    try:
        scenario = Scenario.from_toml(args.scenario)
    except ConfigError as exc:
        _usage_error(str(exc))
    out = Path(args.out) if args.out else None
    store = "memory:"
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        store_path = out / "records.sqlite"
        store_path.unlink(missing_ok=True)
        store = str(store_path)
    console = Console(highlight=False)
    total = args.callers or scenario.callers
    show = console.is_terminal and not args.json
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[clock]}"), TimeRemainingColumn(),
                  console=console, disable=not show, transient=True) as progress:
        task = progress.add_task(scenario.name, total=total, clock="")

        def report_progress(t: float, arrived: int, finished: int) -> None:
            wall = scenario.start + timedelta(seconds=t)
            progress.update(task, completed=finished,
                            clock=f"{wall:%H:%M:%S} testbed, {arrived} arrived")

        run_ = LoadRun(scenario, callers=args.callers, seed=args.seed, speed=args.speed,
                       records=store, progress=report_progress)
        result = run(run_.run(), speed=args.speed)
    report = result.report
    if out is not None:
        _write_load_outputs(out, scenario.name, result)
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
    for name, value in lines:
        table.add_row(name, *[_num(value(q)) for q in report.queues])
    console.print(table)
    occupancy = report.agent_occupancy
    console.print(f"agent occupancy: {'-' if occupancy is None else f'{occupancy:.1%}'}")
    if result.incomplete:
        console.print(f"[yellow]warning[/yellow] {result.incomplete} contacts had not finished")
    if out is not None:
        console.print(f"written to {out}/: records.sqlite, report.json, metrics.json, "
                      f"metrics.csv, queue_and_agents.png, wait_histogram.png, "
                      f"service_level.png")
    return 0


def _write_load_outputs(out: Path, title: str, result: LoadResult) -> None:
    import csv as csv_module

    from testbed.plots import write_plots
    from testbed.report import waits_by_queue

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


# -- metrics ------------------------------------------------------------------
def _read_ctr_lines(path: str) -> list[ContactRecord] | None:
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
        _usage_error(f"{path}: not a ctr-json export ({exc})")


def _metrics(args: argparse.Namespace) -> int:
    console = Console(highlight=False)
    exported = _read_ctr_lines(args.store)
    if exported is not None:
        if args.at is not None:
            _usage_error("--at needs the run's store (events); an export holds only records")
        records = exported
    else:
        service = _open_run(args.store)
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
        table.add_row(name, *[_num(value(r)) for r in rows])
    console.print(table)
    return 0


# -- serve ----------------------------------------------------------------------
def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from testbed.server import create_app

    try:
        open_store(args.records)  # a bad store name is a usage error, before anything starts
        flows = _flows_in(args.flows) if args.flows else []
        numbers = [_number_route(text) for text in args.number]
    except (ConfigError, FlowError) as exc:
        _usage_error(str(exc))

    async def serve() -> None:
        async with Testbed(start=args.start, speed=args.speed, records=args.records,
                           paused=args.paused) as tb:
            if args.centre != "none":
                CENTRES[args.centre](tb)
            _add_flows(tb, flows)
            for number, flow in numbers:
                tb.add_number(number, flow)
            runner = web.AppRunner(create_app(tb, args.token))
            await runner.setup()
            try:
                site = web.TCPSite(runner, args.host, args.port)
                await site.start()
                host, port = runner.addresses[0][:2]
                what = "" if args.centre == "none" else f" the {args.centre} centre"
                print(f"testbed serving{what} on http://{host}:{port} (Ctrl-C to stop)",
                      flush=True)
                await asyncio.Event().wait()
            finally:
                await runner.cleanup()

    try:
        run(serve(), speed=args.speed)
    except OSError as exc:
        print(f"testbed: error: cannot serve on {args.host}:{args.port}: {exc.strerror}",
              file=sys.stderr)
        return 1
    return 0


def _flows_in(directory: str) -> list[Flow]:
    from testbed.flows.connect import load_flow_files

    paths = sorted(Path(directory).glob("*.json"))
    if not paths:
        raise ConfigError(f"--flows: no *.json flow files in {directory!r}")
    return load_flow_files(paths)


def _add_flows(tb: Testbed, flows: list[Flow]) -> None:
    from testbed.flows.connect import flow_references

    tb.add_flow(*flows)
    for flow in flows:
        for queue in sorted(flow_references(flow)[0]):
            if queue not in tb.switchboard.queues:
                tb.add_queue(queue)


def _number_route(text: str) -> tuple[str, str]:
    number, sep, flow = text.partition("=")
    if not sep or not number or not flow:
        raise ConfigError(f"--number takes NUMBER=FLOW, got {text!r}")
    return number, flow


# -- records -------------------------------------------------------------------
def _open_run(url: str) -> RecordService:
    try:
        return RecordService.open(open_store(url, existing=True))
    except ConfigError as exc:
        _usage_error(str(exc))


def _usage_error(message: str) -> NoReturn:
    print(f"testbed: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _export(args: argparse.Namespace) -> int:
    service = _open_run(args.store)
    if args.format == "ctr-json":
        text = "".join(line + "\n" for line in ctr_lines(service.records()))
    elif args.format == "csv":
        text = csv_text(service.records())
    else:
        text = "".join(json.dumps(e, separators=(",", ":")) + "\n"
                       for e in contact_events(service.start, service.entries()))
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


# -- demo -----------------------------------------------------------------------
def _describe(event: ContactEvent) -> str:
    kind, data = event.kind, event.data
    if kind == EventKind.AGENT_STATE:
        username, state, contact_id = data
        return f"agent {username} is {state}" + (f" ({contact_id[:8]})" if contact_id else "")
    if kind == EventKind.INITIATED:
        method, previous, customer = data
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


def _run_demo(args: argparse.Namespace) -> int:
    demo: Demo = args.demo
    try:
        open_store(args.records)  # a bad store name is a usage error, before anything runs
    except ConfigError as exc:
        _usage_error(str(exc))
    console = Console(highlight=False)
    quiet = args.json

    async def play() -> list[ContactRecord]:
        async with Testbed(start=args.start, speed=args.speed, seed=args.seed,
                           records=args.records) as tb:
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
                                  f"[bold]{event.kind:<20}[/bold] {_describe(event)}",
                                  soft_wrap=True)

                service.on("event", show)
            demo.setup(tb)
            await tb.run_until_idle()
            return tb.records

    records = run(play(), speed=args.speed)
    if quiet:
        print(json.dumps([r.to_ctr() for r in records], indent=2))
    else:
        console.print(_records_table(records))
    return 0


def _records_table(records: list[ContactRecord]) -> Table:
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
