"""``testbed sweep`` and ``testbed scenario from-ctr``: many runs of a scenario on Dask, and
scenarios from contact records.

``add_parsers(commands)`` adds both commands to the ``testbed`` parser's
subcommands; ``sweep_command`` and ``from_ctr_command`` run them.  Bad input
(a ``--vary``, a ``--target``, a scenario or an export that cannot be used)
is a one-line message naming the value and exit status 2, before anything
runs.  A sweep whose runs partly failed still writes and shows the rest, then
exits 1; Ctrl-C keeps what finished, writes it, and exits 130.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from testbed.cli.arguments import count, seconds_list
from testbed.cli.common import usage_error
from testbed.core.errors import ConfigError
from testbed.load.sweep_files import SWEEP_OUTPUTS, write_sweep

__all__ = ["add_parsers", "from_ctr_command", "sweep_command"]

_SWEEP_EXAMPLES = """\
examples:
  testbed sweep scripts/scenarios/mmcm.toml --vary agents=36..46:2 --replications 5 \\
      --callers 5000 --target "service_level_20s>=0.8" --out out/staffing
  testbed sweep peak.toml --vary agents=40..60:5 --vary callback_accept_p=0.2,0.5
  testbed sweep peak.toml --vary caller.talk_s.sigma=0.3,0.6 --json
  testbed sweep peak.toml --vary staffing=0.8..1.2:0.1 --scheduler tcp://10.0.0.5:8786

keys: a path into the scenario's tables (caller.talk_s.mean, agents[1].count,
flow.callback_delay_s), or a bare name found there (agents, patience, rate_per_s);
staffing multiplies every agent group's count. Values: FROM..TO[:STEP], or
V1,V2,... (TOML values; bare words are strings).

metrics: arrived, offered, handled, abandoned, called_back, service_level_{X}s
(shares 0-1), mean_wait_s, wait_p90_s, abandonment, occupancy (shares), incomplete.

another cluster: run `dask scheduler` on one machine and `dask worker tcp://HOST:8786
--nthreads 1` on each (with telephony-testbed installed), then pass --scheduler
tcp://HOST:8786.
"""






def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``sweep`` and ``scenario from-ctr`` to ``commands`` (the ``testbed`` parser's
    subcommands)."""
    sweep = commands.add_parser(
        "sweep", help="run a scenario over ranges of its keys, replicated, on Dask",
        description=textwrap.fill(
            "Run a load scenario for every combination of the values of the --vary keys, "
            "each --replications times with its own seed, as independent Dask tasks (a local "
            "cluster on this machine's cores, or --scheduler's). Prints, per combination, "
            "the mean and 95 % confidence interval of service level, waits, abandonment and "
            "occupancy; with --target, the smallest value of the first --vary key that meets "
            "it, and Erlang C's or Erlang A's answer for M/M/c(+M) scenarios. Exit status 1 "
            "if any run failed, 130 after Ctrl-C (what finished is kept). See docs/sweep.md.",
            79),
        epilog=_SWEEP_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sweep.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file")
    sweep.add_argument("--vary", action="append", default=[], metavar="KEY=VALUES",
                       help="a key and its values (repeatable: every combination runs)")
    sweep.add_argument("--replications", type=count, default=1, metavar="N",
                       help="runs of each combination, each with its own seed "
                            "(default: %(default)s)")
    sweep.add_argument("--callers", type=count, metavar="N",
                       help="callers per run (default: the scenario's)")
    sweep.add_argument("--target", metavar="METRIC>=X",
                       help='what a combination must meet, e.g. "service_level_20s>=0.8", '
                            '"abandonment<=5%%", "mean_wait_s<=30"')
    sweep.add_argument("--queue", metavar="NAME",
                       help="measure this queue only (default: every queue)")
    sweep.add_argument("--service-level", type=seconds_list, default=(20, 60), metavar="X[,X...]",
                       help="service-level thresholds in seconds (default: 20,60; a "
                            "--target's is added)")
    cluster = sweep.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: "
                            "start a local cluster for the sweep and stop it after)")
    cluster.add_argument("--workers", type=count, metavar="N",
                       help="the local cluster's worker processes (default: one per core)")
    sweep.add_argument("--out", metavar="DIR",
                       help="write sweep.csv, runs.csv, sweep.json and PNG plots into DIR")
    sweep.add_argument("--overwrite", action="store_true",
                       help="replace an earlier sweep's output in DIR")
    sweep.add_argument("--json", action="store_true",
                       help="print the result as JSON only (no progress bar)")

    scenario = commands.add_parser(
        "scenario", help="make load scenarios",
        description="Make load scenarios from what a contact centre recorded.")
    actions = scenario.add_subparsers(dest="scenario_command", metavar="ACTION",
                                      required=True, parser_class=type(scenario))
    from_ctr = actions.add_parser(
        "from-ctr", help="a scenario from a contact-record export",
        description=textwrap.fill(
            "Build a load scenario from Amazon Connect contact records (CTR JSON objects one "
            "a line, run together, or in an array, as Kinesis and Firehose deliver them to "
            "S3, gzipped or not; or testbed records export): arrivals per interval, talk, "
            "after-contact work and patience as empirical distributions, the callback share, "
            "and the agents staffed per interval. Records with odd fields are listed and "
            "refused (exit 2) unless --allow-odd. See docs/sweep.md.", 79),
        epilog="examples:\n"
               "  testbed scenario from-ctr ctr-2022-04-08.jsonl --out monday.toml\n"
               "  testbed scenario from-ctr exports/*.json.gz --interval 30m --queue Sales\n"
               "  testbed sweep monday.toml --vary staffing=0.8..1.2:0.1 --replications 5 \\\n"
               "      --target 'service_level_20s>=0.8'\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    from_ctr.add_argument("exports", nargs="+", metavar="EXPORT", help="export files")
    from_ctr.add_argument("--out", metavar="FILE.toml",
                          help="write the scenario there (default: standard output)")
    from_ctr.add_argument("--overwrite", action="store_true",
                          help="replace an existing --out file")
    from_ctr.add_argument("--interval", type=_interval, default=900.0, metavar="DURATION",
                          help="arrival-rate and staffing interval: 15m (default), 1h, 30m, "
                               "900 (seconds)")
    from_ctr.add_argument("--queue", metavar="NAME",
                          help="the queue callers arrive in (default: the busiest)")
    from_ctr.add_argument("--arrivals", choices=("rates", "times"), default="rates",
                          help="rates: Poisson at each interval's rate (default); times: "
                               "the observed arrival instants")
    from_ctr.add_argument("--name", help="the scenario's name (default: the first export's)")
    from_ctr.add_argument("--allow-odd", action="store_true",
                          help="build the scenario from the records that are fine, after "
                               "listing the odd ones")
    from_ctr.add_argument("--json", action="store_true",
                          help="print what was read and derived as JSON")


_UNITS = {"s": 1, "m": 60, "h": 3600}


def _interval(text: str) -> float:
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        seconds = -1
    if not 60 <= seconds <= 86_400:
        raise argparse.ArgumentTypeError(
            f"must be a duration from 1m to 24h, such as 15m, 1h or 900, got {text!r}")
    return seconds


def from_ctr_command(args: argparse.Namespace) -> int:
    from testbed.load.ctr_read import read_export
    from testbed.load.from_ctr import scenario_from_ctr

    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not args.overwrite:
        usage_error(f"--out {out} exists; pass --overwrite to replace it")
    if out is not None and not out.parent.is_dir():
        usage_error(f"--out {out}: there is no folder {str(out.parent)!r}")
    try:
        reading = read_export(args.exports)
        if reading.problems and not args.allow_odd:
            lines = reading.problems.lines()
            count = sum(reading.problems.counts.values())
            print(f"testbed: error: {args.exports[0]}: {count} odd record"
                  f"{'s' * (count != 1)}; nothing written. Pass --allow-odd to build the "
                  f"scenario from the rest:", file=sys.stderr)
            for line in lines:
                print(f"  {line}", file=sys.stderr)
            return 2
        built = scenario_from_ctr(reading, interval_s=args.interval, queue=args.queue,
                                  arrivals=args.arrivals,
                                  name=args.name or Path(args.exports[0]).stem)
    except ConfigError as exc:
        usage_error(str(exc))
    text = built.toml
    if out is not None:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            usage_error(f"--out {out}: cannot write it ({exc.strerror})")
    if args.json:
        print(json.dumps({"scenario": None if out is None else str(out), "counts": built.counts,
                          "notes": list(built.notes), "problems": reading.problems.to_json(),
                          "other_channels": reading.other_channels,
                          **({"toml": text} if out is None else {})}, indent=2))
        return 0
    if out is None:
        sys.stdout.write(text)
    summary = Console(stderr=out is None, highlight=False)
    c = built.counts
    summary.print(f"{c['records']} records read: {c['arrivals']} arrivals, {c['handled']} "
                  f"handled, {c['callbacks']} callbacks, {c['agents']} agents; "
                  f"{c['duplicates']} duplicates merged, {c['left_out']} left out, "
                  f"{c['odd']} odd" + "".join(f", {n} {ch} left out" for ch, n
                                               in reading.other_channels.items()))
    for line in reading.problems.lines():
        summary.print(f"[yellow]warning[/yellow] {escape(line)}")
    if out is not None:
        summary.print(f"written to {out}; the notes at its top say what came from where")
    return 0


def sweep_command(args: argparse.Namespace) -> int:
    from testbed.load.sweep import default_workers, run_plan
    from testbed.load.sweep_plan import plan_sweep
    from testbed.load.sweep_stats import parse_target

    try:
        target = parse_target(args.target) if args.target is not None else None
        levels = tuple(args.service_level)
        if target is not None and target.level_s is not None:
            levels = (*levels, target.level_s)
        plan = plan_sweep(args.scenario, args.vary, replications=args.replications,
                          callers=args.callers, levels=levels, queue=args.queue)
        if target is not None and not plan.variations[0].numeric:
            raise ConfigError(f"--target needs the first --vary to be numbers (it picks the "
                              f"smallest); {plan.variations[0].key} takes "
                              f"{', '.join(map(repr, plan.variations[0].values))}")
    except ConfigError as exc:
        usage_error(str(exc))
    out = Path(args.out) if args.out else None
    if out is not None:
        _prepare(out, args.overwrite)
    console = Console(highlight=False)
    show = console.is_terminal and not args.json
    workers = args.workers or (None if args.scheduler else default_workers())
    where = args.scheduler or f"a local cluster of {workers} worker{'s' * (workers != 1)}"
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("runs{task.fields[failed]}"), TimeElapsedColumn(),
                  TextColumn("ETA"), TimeRemainingColumn(), console=console,
                  disable=not show, transient=True) as progress:
        task = progress.add_task(f"{Path(args.scenario).stem} on {where}",
                                 total=len(plan.runs), failed="")

        def report(done: int, total: int, failed: int) -> None:
            progress.update(task, completed=done,
                            failed=f", {failed} failed" if failed else "")

        try:
            table = run_plan(plan, target, scheduler=args.scheduler, workers=args.workers,
                             progress=report)
        except ConfigError as exc:  # no Dask here (1), or a --scheduler out of reach (2)
            print(f"testbed: error: {exc}", file=sys.stderr)
            return 2 if str(exc).startswith("--scheduler") else 1
    if out is not None:
        write_sweep(out, table, Path(args.scenario).stem)
    if args.json:
        print(json.dumps(table.to_json(), indent=2))
    else:
        _show(console, table, Path(args.scenario).stem, out)
    if table.interrupted:
        return 130
    return 1 if table.failures else 0


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        usage_error(f"--out {out} is a file; name a folder (it is created if missing)")
    earlier = [name for name in SWEEP_OUTPUTS if (out / name).exists()]
    if earlier and not overwrite:
        usage_error(f"{out} already holds a sweep's output ({', '.join(earlier)}); pass "
                    f"--overwrite to replace it, or pick a new folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        usage_error(f"--out {out}: cannot create the folder ({exc.strerror})")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _with_interval(row: dict[str, Any], metric: str, share: bool) -> str:
    show = _percent if share else _number
    mean, low = row[f"{metric}_mean"], row[f"{metric}_ci_low"]
    if mean is None:
        return "-"
    if low is None:
        return show(mean)
    return f"{show(mean)}±{show(mean - low) if not share else f'{(mean - low) * 100:.1f}'}"


def _show(console: Console, table: Any, title: str, out: Path | None) -> None:
    runs = len(table.runs)
    heading = (f"{title}: {len(table)} combinations x {table.replications} replications, "
               f"{runs} runs finished (mean ± 95 % interval)")
    grid = Table(title=heading, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for key in table.keys:
        grid.add_column(key, no_wrap=True)
    grid.add_column("runs", justify="right")
    target = table.target
    # The target's service level alone when it has one: the table must read at 80 columns.
    levels = [target.level_s] if target is not None and target.level_s else table.levels
    columns: list[tuple[str, str, bool]] = [
        *((f"service_level_{x}s", f"SL {x} s %", True) for x in levels),
        ("mean_wait_s", "wait s", False), ("abandonment", "aband. %", True),
        ("occupancy", "occup. %", True), ("called_back", "called back", False)]
    # Abandonment and callbacks only when some run had them: most sweeps have neither.
    columns = [c for c in columns if c[0] not in ("abandonment", "called_back")
               or any(r[f"{c[0]}_mean"] for r in table)]
    for _metric, label, _share in columns:
        grid.add_column(label, justify="right")
    theory = target is not None and any(f"{target.metric}_theory" in r for r in table)
    if theory:
        grid.add_column("Erlang", justify="right")
    if target is not None:
        grid.add_column("meets", justify="left")
    for row in table:
        cells = [escape(str(row[k])) for k in table.keys]
        cells.append(f"{row['runs']}" + (f" ({row['failed']} failed)" if row["failed"] else ""))
        cells += [_with_interval(row, metric, share) for metric, _label, share in columns]
        if theory:
            value = row.get(f"{target.metric}_theory")
            share = target.metric.startswith("service_level_") or target.metric in (
                "abandonment", "occupancy")
            cells.append((_percent if share else _number)(value))
        if target is not None:
            cells.append("surely" if row["surely_meets_target"]
                         else "yes" if row["meets_target"] else "no")
        grid.add_row(*cells)
    console.print(grid)
    for answer in table.answers:
        _show_answer(console, table, answer)
    for failure in table.failures:
        values = ", ".join(f"{k}={failure[k]}" for k in table.keys)
        which = ("refused" if failure["replication"] is None
                 else f"replication {failure['replication'] + 1} (seed {failure['seed']})")
        console.print(f"[red]failed[/red] {escape(values)}, {which}: "
                      f"{escape(str(failure['error']))}")
    if table.interrupted:
        console.print(f"[yellow]interrupted[/yellow]: {table.cancelled} runs cancelled; "
                      f"the table holds the {runs} that finished")
    if out is not None:
        console.print(f"written to {out}/: {', '.join(SWEEP_OUTPUTS)} and plots")


def _show_answer(console: Console, table: Any, answer: dict[str, Any]) -> None:
    where = ", ".join(f"{k}={answer[k]}" for k in table.keys[1:])
    key = answer["key"]
    head = f"smallest {key} meeting {answer['target']}" + (f" ({where})" if where else "")
    if answer["smallest"] is None:
        text = f"{head}: none of those tried"
    else:
        sure = answer["smallest_surely"]
        text = (f"{head}: {answer['smallest']} by the mean; "
                f"{'none of those tried' if sure is None else sure} by the whole 95 % interval")
    if answer["theory"] is not None:
        text += (f"; {answer['theory']}: {answer['theory_smallest']}"
                 if answer["theory_smallest"] is not None
                 else f"; {answer['theory']}: {answer['theory_note']}")
    elif answer["theory_note"]:
        text += f" ({answer['theory_note']})"
    console.print(escape(text))
