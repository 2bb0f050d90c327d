"""The ``testbed`` command line: one module per command.

    testbed demo NAME [--speed N | --real-time | --virtual] [--start ISO] [--seed S]
                 [--records STORE [--overwrite]] [--json]
                 [--dashboard [--port P] [--paused]] [--live]
    testbed serve [--host H] [--port P] [--speed N | --real-time | --virtual] [--start ISO]
                  [--paused] [--centre queued-callback|none] [--flows DIR]
                  [--number N=FLOW] [--records STORE [--overwrite]] [--token T]
                  [--ack-timeout-s S] [--instance-id UUID] [--events-webhook URL]
                  [--records-webhook URL]
    testbed records export STORE [--format ctr-json|csv|events] [--out FILE]
    testbed metrics STORE [--interval 15m] [--service-level 20,60] [--at ISO]
                    [--by queue|agent] [--json]
    testbed flow check FILE...
    testbed flow run FILE... [--inbound FLOW] [--number N] [--dial N] [--press DIGITS[@S]]
                     [--say TEXT[@S]] [--attribute K=V] [--lambda NAME=TARGET]
                     [--bot [NAME=]FILE] [--hours FILE] [--queue-hours QUEUE=HOURS]
                     [--start ISO] [--seed S] [--agent NAME | --no-agent] [--talk S]
                     [--patience S] [--json]
    testbed load SCENARIO.toml [--callers N] [--seed S] [--virtual | --speed N]
                 [--out DIR [--overwrite]] [--json] [--flow-coverage]
                 [--flow-coverage-json FILE] [--dashboard [--port P]] [--live]
    testbed sweep SCENARIO.toml --vary KEY=VALUES [--vary ...] [--replications N]
                  [--callers N] [--target METRIC>=X] [--queue NAME] [--service-level X,...]
                  [--scheduler ADDRESS | --workers N] [--out DIR [--overwrite]] [--json]
    testbed scenario from-ctr EXPORT... [--out FILE [--overwrite]] [--interval 15m]
                  [--queue NAME] [--arrivals rates|times] [--name NAME] [--allow-odd]
                  [--json]

Exit status: 0 on success, 1 when a run fails (a sweep: when any of its runs
did), 2 for usage errors (a bad flag value, an unknown demo, an export with
odd records), with a one-line message naming the bad value; 130 after Ctrl-C.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from testbed.cli.demo import demo
from testbed.cli.flow_run import flow_run
from testbed.cli.flows import flow_check
from testbed.cli.load import load
from testbed.cli.parser import build_parser
from testbed.cli.records import export, metrics
from testbed.cli.serve import serve
from testbed.cli.sweep import from_ctr_command, sweep_command
from testbed.core.errors import TestbedError

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            return demo(args)
        if args.command == "records":
            return export(args)
        if args.command == "serve":
            return serve(args)
        if args.command == "metrics":
            return metrics(args)
        if args.command == "flow":
            return flow_run(args) if args.flow_command == "run" else flow_check(args)
        if args.command == "load":
            return load(args)
        if args.command == "sweep":
            return sweep_command(args)
        if args.command == "scenario":
            return from_ctr_command(args)
    except TestbedError as exc:
        print(f"testbed: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("testbed: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``testbed ... | head``): stop quietly, and keep the
        # interpreter's final flush from failing again on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 2
