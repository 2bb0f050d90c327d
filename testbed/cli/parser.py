"""The ``testbed`` argument parser: commands, flags, and the checks on their values.

A bad value is a usage error: one line naming the flag and the value, exit status 2.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import textwrap
from datetime import datetime, timedelta
from typing import NoReturn

from testbed import __version__
from testbed.centre.instance import DEFAULT_INSTANCE_ID, Instance
from testbed.cli.arguments import count, seconds_list
from testbed.cli.flow_run import CallerInput
from testbed.cli.sweep import add_parsers as add_sweep_parsers
from testbed.core.build import build_info
from testbed.core.clock import DEFAULT_START, REAL_TIME, VIRTUAL, check_speed, parse_instant
from testbed.core.errors import ConfigError
from testbed.core.messages import DEFAULT_ACK_TIMEOUT_S
from testbed.flows.lambdas import function_name
from testbed.load.demos import CENTRES, DEMOS, Demo
from testbed.records.export import FORMATS

__all__ = ["DEFAULT_SPEED", "build_parser"]

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


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


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






def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ConfigError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO-8601 instant such as {DEFAULT_START}, got {text!r}") from None


def _instance_id(text: str) -> str:
    try:
        Instance(text)
    except ConfigError:
        raise argparse.ArgumentTypeError(
            f"must be a UUID such as {DEFAULT_INSTANCE_ID}, got {text!r}") from None
    return text


def _demo(name: str) -> Demo:
    demo = DEMOS.get(name)
    if demo is None:
        raise argparse.ArgumentTypeError(
            f"unknown demo {name!r}; demos: {', '.join(sorted(DEMOS))}")
    return demo


_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_KEYS = re.compile(r"[0-9*#]+")


def _phone_number(text: str) -> str:
    if not _E164.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"must be an E.164 phone number such as +15555550123, got {text!r}")
    return text


def _at(text: str, what: str) -> tuple[str, float | None]:
    """``VALUE@SECONDS`` -> (VALUE, seconds); without a number of seconds after the last
    ``@``, the whole text is the value (seconds None)."""
    value, sep, at = text.rpartition("@")
    if not sep:
        return text, None
    try:
        seconds = float(at)
    except ValueError:
        return text, None
    if not 0 <= seconds < math.inf:
        raise argparse.ArgumentTypeError(
            f"{what}@SECONDS needs seconds >= 0 into the call, got {text!r}")
    return value, seconds


def _press(text: str) -> CallerInput:
    digits, at = _at(text, "DIGITS")
    if not _KEYS.fullmatch(digits):
        raise argparse.ArgumentTypeError(
            f"must be keys 0-9, * and #, optionally @SECONDS into the call, got {text!r}")
    return CallerInput("press", digits, at)


def _said(text: str) -> CallerInput:
    words, at = _at(text, "TEXT")
    if not words.strip() or len(words) > 4096:
        raise argparse.ArgumentTypeError(
            f"must be words (at most 4096 characters), optionally @SECONDS into the call, "
            f"got {text!r}")
    return CallerInput("say", words, at)


def _pair(text: str, shape: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value:
        raise argparse.ArgumentTypeError(f"must be {shape}, got {text!r}")
    return key.strip(), value


def _attribute(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, got {text!r}")
    return key.strip(), value


def _lambda_spec(text: str) -> tuple[str, str]:
    name, target = _pair(text, "NAME=module:function, NAME=FILE.py:function or "
                               "NAME=http://HOST:PORT")
    try:
        function_name(name)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not target.startswith(("http://", "https://")) and ":" not in target \
            and "." not in target:
        raise argparse.ArgumentTypeError(
            f"must be NAME=module:function, NAME=FILE.py:function or NAME=http://HOST:PORT, "
            f"got {text!r}")
    return name, target


def _queue_hours(text: str) -> tuple[str, str]:
    return _pair(text, "QUEUE=HOURS (the name of hours given with --hours or as a file)")


def _non_negative_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}")
    return value


def _flow_run_parser(flow_commands: argparse._SubParsersAction[_Parser]) -> None:
    run = flow_commands.add_parser(
        "run", help="run one call through flow files, printing what happens",
        description="\n\n".join(textwrap.fill(paragraph, 79) for paragraph in (
            "Run one call through Amazon Connect flows in virtual time. Each prompt, input, "
            "attribute change, Lambda call, bot turn, block entered and branch taken (other "
            "than next), queue and agent event is printed with its testbed time (mm:ss.s into "
            "the call); then the contact record.",
            "FILE... are flow JSON files (the first is the inbound flow), and may include Lex "
            "bot files (as --bot) and hours of operation files (as --hours), told apart by "
            "their content. Every queue the flows name is created. References the run cannot "
            "answer (a $. root the testbed does not know; a Lambda function, bot, hours, flow "
            "or agent not given) are warnings naming the action.",
            "With a terminal on standard input and no --press or --say, you answer each prompt "
            "that collects input: digits are keypresses, other text is speech, an empty line "
            "is silence (the block times out), Ctrl-D hangs up. The clock stands still while "
            "you type. Redirect standard input from /dev/null for a run without input.",
            "Exit status 1 if a flow meets an error with no branch for it; 2 for a bad file "
            "or flag.")),
        epilog="bot files (JSON):\n"
               '  {"name": "BankingBot",\n'
               '   "intents": {"CheckBalance": ["check my balance"],\n'
               '               "PayBill": ["pay {Amount} dollars"]},\n'
               '   "slots": {"Amount": "AMAZON.Number"}, "min_confidence": 0.5}\n'
               "  slots are AMAZON.Number, AMAZON.FreeFormInput or a list of values\n"
               '  ("value=synonym|synonym"); name defaults to the file name\n\n'
               "examples:\n"
               "  testbed flow run scripts/flows/ivr-menu/Main.json --press 1\n"
               "  testbed flow run scripts/flows/lambda-lex/*.json \\\n"
               "      --lambda crm-lookup=scripts/flows/lambda-lex/crm.py:handler \\\n"
               "      --say 'what is my balance'\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("files", nargs="+", metavar="FILE",
                     help="flow JSON files, and bot and hours of operation JSON files")
    run.add_argument("--inbound", metavar="FLOW",
                     help="the flow the call starts in (default: the first flow file's; "
                          "flows are named by their file name)")
    run.add_argument("--number", type=_phone_number, default="+15555550123", metavar="NUMBER",
                     help="the caller's number (default: %(default)s)")
    run.add_argument("--dial", type=_phone_number, default="+18005550100", metavar="NUMBER",
                     help="the number the caller dials, routed to the inbound flow "
                          "(default: %(default)s)")
    run.add_argument("--press", dest="inputs", action="append", type=_press, default=[],
                     metavar="DIGITS[@S]",
                     help="keys to press: at S seconds into the call, or without @S in answer "
                          "to the next prompt that collects input, once it has played "
                          "(repeatable; answers go to prompts in the order given)")
    run.add_argument("--say", dest="inputs", action="append", type=_said, default=[],
                     metavar="TEXT[@S]",
                     help="words to say to a Lex bot, timed like --press (repeatable)")
    run.add_argument("--attribute", dest="attributes", action="append", type=_attribute,
                     default=[], metavar="KEY=VALUE",
                     help="a contact attribute set before the inbound flow starts "
                          "(repeatable; values may embed $. references)")
    run.add_argument("--lambda", dest="lambdas", action="append", type=_lambda_spec,
                     default=[], metavar="NAME=TARGET",
                     help="the Lambda function NAME (a name or ARN) runs TARGET: "
                          "module:function (importable from here), FILE.py:function, or "
                          "http://HOST:PORT (Lambda's Invoke API) (repeatable)")
    run.add_argument("--bot", dest="bots", action="append", default=[],
                     metavar="[NAME=]FILE.json",
                     help="a Lex bot stand-in (format below), found by NAME: a bot name or "
                          "alias ARN (default: the file's name, which answers alias ARNs "
                          "with that bot id) (repeatable)")
    run.add_argument("--hours", action="append", default=[], metavar="FILE.json",
                     help="hours of operation: Connect's DescribeHoursOfOperation JSON "
                          "(repeatable); flows find them by name or HoursOfOperationId")
    run.add_argument("--queue-hours", action="append", type=_queue_hours, default=[],
                     metavar="QUEUE=HOURS",
                     help="the hours of QUEUE, for CheckHoursOfOperation without hours "
                          "(default: the only hours given, if just one)")
    run.add_argument("--start", type=_instant, default=parse_instant(DEFAULT_START),
                     metavar="ISO-8601",
                     help=f"UTC instant the call starts: hours of operation are checked "
                          f"against it (default: {DEFAULT_START})")
    run.add_argument("--seed", type=int, default=0,
                     help="seed for contact ids and percentages (default: %(default)s)")
    agent = run.add_mutually_exclusive_group()
    agent.add_argument("--agent", default="agent", metavar="NAME",
                       help="the agent who serves every queue and answers at once "
                            "(default: %(default)s)")
    agent.add_argument("--no-agent", dest="agent", action="store_const", const=None,
                       help="no agent: a queued caller waits until --patience")
    run.add_argument("--talk", type=_non_negative_seconds, default=30.0, metavar="S",
                     help="seconds the caller talks with the agent before hanging up "
                          "(default: %(default)g)")
    run.add_argument("--patience", type=_positive_seconds, default=600.0, metavar="S",
                     help="the caller hangs up if no agent has answered S seconds into the "
                          "call (default: %(default)g)")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object instead: warnings, events (record events "
                          "and the trace: BLOCK, BRANCH, PROMPT, INPUT, HANGUP, REFUSED, "
                          "FAILED) and "
                          "the records as CTR JSON; never interactive")


def _watch_options(command: argparse.ArgumentParser, what: str) -> None:
    """``--dashboard`` / ``--port`` / ``--live``, for commands that play a run."""
    command.add_argument("--dashboard", action="store_true",
                         help=f"serve a web dashboard of the {what} on 127.0.0.1 (its URL is "
                              f"printed): clock controls, queues, agents, a timeline of "
                              f"every contact; the {what} starts when the page opens")
    command.add_argument("--port", type=_port, default=8080,
                         help="the dashboard's port (default: %(default)s; 0 picks a free "
                              "one)")
    command.add_argument("--live", action="store_true",
                         help=f"show the {what} in the terminal as live panels (clock, "
                              f"queues, agents, latest events), redrawn in place")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="testbed",
        description="A simulated cloud contact centre: mock callers and agents, a switchboard "
                    "running queue and whisper flows, and contact records in real, "
                    "accelerated or virtual time.",
    )
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__} ({build_info()})")
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
               f"  testbed demo queued-callback --virtual --json\n"
               f"  testbed demo busy-hour --dashboard        # watch it in a browser\n"
               f"  testbed demo shift-change --live          # or in the terminal\n",
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
    demo.add_argument("--overwrite", action="store_true",
                      help="replace the run a --records store holds already (without it, such "
                           "a store is refused)")
    demo.add_argument("--json", action="store_true",
                      help="print only the final contact records, as a JSON array of "
                           "Connect-CTR-shaped objects")
    _watch_options(demo, "demo")
    demo.add_argument("--paused", action="store_true",
                      help="with --dashboard: leave the clock paused until the page's "
                           "controls move it (without it, the demo starts when the page "
                           "opens)")
    serve = commands.add_parser(
        "serve", help="serve a contact centre to remote endpoints over WebSocket and HTTP",
        description="Serve a contact centre: callers and agents connect over WebSocket "
                    "(/v1/endpoints/caller, /v1/endpoints/agent); records, metrics, events and "
                    "the clock are at /v1/contacts, /v1/metrics/realtime, /v1/events, /v1/clock; "
                    "contact events and records as Amazon Connect delivers them at "
                    "/v1/connect/events and /v1/connect/records. See docs/protocol.md.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: %(default)s, this machine only)")
    serve.add_argument("--port", type=_port, default=8080,
                       help="port (default: %(default)s; 0 picks a free one)")
    serve_pace = serve.add_mutually_exclusive_group()
    serve_pace.add_argument("--speed", type=_speed, default=REAL_TIME, metavar="N",
                            help="testbed seconds per real second (default: real time); the "
                                 "clock starts with the server, so to replay a scenario at "
                                 "the same instants start --paused and resume once the "
                                 "endpoints are connected")
    serve_pace.add_argument("--real-time", dest="speed", action="store_const", const=REAL_TIME,
                            help="run in real time (the default)")
    serve_pace.add_argument("--virtual", dest="speed", action="store_const", const=VIRTUAL,
                            help="jump time whenever every endpoint is quiet")
    serve.add_argument("--start", type=_instant, default=parse_instant(DEFAULT_START),
                       metavar="ISO-8601", help=f"UTC instant of testbed time 0 "
                                                f"(default: {DEFAULT_START})")
    serve.add_argument("--paused", action="store_true",
                       help="start with the clock paused (resume with POST /v1/clock)")
    serve.add_argument("--ack-timeout-s", type=_positive_seconds, default=DEFAULT_ACK_TIMEOUT_S,
                       metavar="S",
                       help="real seconds an endpoint connected with ack=1 has to acknowledge "
                            "each message; past it the endpoint gets an error and is "
                            "disconnected (default: %(default)s)")
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
    serve.add_argument("--overwrite", action="store_true",
                       help="replace the run a --records store holds already (without it, "
                            "such a store is refused)")
    serve.add_argument("--token", default=os.environ.get("TESTBED_TOKEN"),
                       help="require 'Authorization: Bearer TOKEN' on every request "
                            "(default: $TESTBED_TOKEN, if set)")
    serve.add_argument("--instance-id", type=_instance_id, default=DEFAULT_INSTANCE_ID,
                       metavar="UUID",
                       help="the id of the Amazon Connect instance the testbed stands in for "
                            "(default: %(default)s); its ARNs and the Connect API use it")
    serve.add_argument("--events-webhook", action="append", default=[], metavar="URL",
                       help="POST each contact event, in Amazon Connect's EventBridge shape, to "
                            "URL (http or https) as it happens: in order, at least once, "
                            "failures retried (repeatable; see docs/api.md)")
    serve.add_argument("--records-webhook", action="append", default=[], metavar="URL",
                       help="POST each finished contact record to URL as the Kinesis event a "
                            "Lambda function gets (repeatable)")

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
                        help="write to FILE, in a folder that exists, instead of standard "
                             "output")
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
    _flow_run_parser(flow_commands)

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
    load.add_argument("--callers", type=count, metavar="N",
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
    load.add_argument("--overwrite", action="store_true",
                      help="replace the output of an earlier run in DIR (without it, a DIR "
                           "holding one is refused)")
    load.add_argument("--json", action="store_true", help="print the report as JSON only")
    load.add_argument("--flow-coverage", action="store_true",
                      help="after the report, a table of the blocks and branches of each flow "
                           "the callers took, and the branches never taken")
    load.add_argument("--flow-coverage-json", metavar="FILE",
                      help="write that coverage as JSON to FILE (see docs/flows.md)")
    _watch_options(load, "run")

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
    metrics.add_argument("--service-level", type=seconds_list, default=(20, 60),
                         metavar="X[,X...]",
                         help="service-level thresholds in seconds (default: 20,60)")
    metrics.add_argument("--at", type=_instant, metavar="ISO-8601",
                         help="show the real-time metrics at this instant instead")
    metrics.add_argument("--by", choices=("queue", "agent"), default="queue",
                         help="queue (default): the metrics above per queue and interval; "
                              "agent: per agent and interval, CONTACTS_HANDLED, "
                              "CONTACTS_PUT_ON_HOLD, AVG_HOLD_TIME, CONTACTS_TRANSFERRED_IN "
                              "and CONTACTS_TRANSFERRED_OUT")
    metrics.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_sweep_parsers(commands)
    return parser
