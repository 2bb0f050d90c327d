"""``testbed flow run``: one call through Connect flows, each happening printed with its time.

Rules:

* The files are flows, Lex bot stand-ins and hours of operation (told apart by
  their content, see ``testbed.cli.flows``).  The first flow is the inbound
  flow unless ``--inbound`` names another; a service number routes to it and
  the caller dials it at testbed time 0.  Every queue a flow names is created,
  with the hours ``--queue-hours`` gives it, or the only hours given.
* Time is virtual: the run takes no real time, except that the clock is held
  while a user types an answer.
* Input: ``--press`` and ``--say`` with ``@SECONDS`` are sent that long into
  the call, whatever listens then.  Without ``@`` they answer, in order, the
  prompts that collect input, each once its prompt has played; a prompt left
  without an answer hears silence and its block times out.  With a terminal on
  standard input and no ``--press`` / ``--say`` (and no ``--json``), the user
  answers: digits are keypresses, other text is speech, an empty line is
  silence, end of input (Ctrl-D) hangs up.
* An agent (``--agent``, named ``agent`` by default) serves every queue and
  answers at once; the caller hangs up ``--talk`` seconds later, or after
  ``--patience`` seconds if no agent has answered by then.
* Each line is a record event (attributes, Lambda, bot, queue, agent,
  disconnect), a block entered or a branch other than ``next`` (a ``Coverage``
  recorder), or what the caller heard and sent.  References the run cannot
  answer are warnings before it; a flow that meets an error with no branch for
  it fails the run (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import textwrap
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fakes import MockAgent, MockCaller
from testbed.centre.facade import Testbed
from testbed.cli.common import usage_error
from testbed.cli.demo import records_table
from testbed.cli.flows import RunSetup, lambda_name, reference_warnings, run_setup
from testbed.core.clock import VIRTUAL, run
from testbed.core.errors import ConfigError, FlowError
from testbed.core.loop import TestbedLoop
from testbed.core.messages import Connected, Disconnected, Error, Message, Prompt, Queued
from testbed.flows import Flow, SetAttributes, TransferToFlow
from testbed.flows.interpreter import Coverage
from testbed.flows.lambdas import function_name
from testbed.flows.lex import bot_name
from testbed.records.contact_record import (
    ContactEvent,
    ContactRecord,
    DisconnectReason,
    EventKind,
    format_timestamp_ms,
    instant_of,
)

__all__ = ["CallerInput", "flow_run"]

PRESS, SAY = "press", "say"
#: The flow that sets ``--attribute`` values and goes on to the inbound flow.
ATTRIBUTES_FLOW = "<attributes>"
_DIGITS = re.compile(r"[0-9*#]+")
_INDENT = 18  # "mm:ss.s  label    "
_MAX_SAY = 4096


class CallerInput(NamedTuple):
    """A ``--press`` or ``--say``: ``kind`` PRESS or SAY, and ``at_s`` seconds into the
    call (None: the answer to the next prompt that collects input)."""

    kind: str
    text: str
    at_s: float | None


def flow_run(args: argparse.Namespace) -> int:
    try:
        setup = run_setup(args)
    except (ConfigError, FlowError) as exc:
        usage_error(str(exc))
    warnings = reference_warnings(setup)
    console = Console(highlight=False)
    trace = _Trace(None if args.json else console, args.start)
    interactive = not args.json and not args.inputs and _stdin_is_terminal()
    if trace.console is not None:
        _header(console, setup, args)
        for warning in warnings:
            trace.warn(warning)
    records = run(_call(setup, args, trace, interactive), speed=VIRTUAL)
    if args.json:
        print(json.dumps({"warnings": warnings, "events": trace.happenings,
                          "records": [r.to_ctr() for r in records], "failed": trace.failed},
                         indent=2, default=str))
    elif not trace.closed:
        console.print(_table(records))
    return 1 if trace.failed else 0


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


# -- the run ----------------------------------------------------------------------------
async def _call(setup: RunSetup, args: argparse.Namespace, trace: _Trace,
                interactive: bool) -> list[ContactRecord]:
    async with Testbed(start=args.start, seed=args.seed) as tb:
        service = tb.record_service
        assert service is not None
        trace.now = lambda: tb.now
        trace.blocks = tb.switchboard.flows
        service.on("event", trace.event)
        trace.forward = tb.switchboard.flow_coverage
        tb.switchboard.flow_coverage = trace
        for hours in setup.hours:
            tb.add_hours(hours)  # flows find them by name, id or ARN
        tb.add_flow(*setup.flows)
        for queue, hours_name in setup.queues.items():
            tb.add_queue(queue, hours=hours_name)
        for name, handler in setup.lambdas:
            tb.add_lambda(name, handler)
        for key, bot in setup.bots:
            tb.add_bot(key, bot)
        entry = setup.inbound
        if setup.attributes:
            tb.add_flow(Flow.of(ATTRIBUTES_FLOW, [
                SetAttributes(id="attributes", attributes=setup.attributes, next="inbound"),
                TransferToFlow(id="inbound", flow=setup.inbound)]))
            entry = ATTRIBUTES_FLOW
        tb.add_number(args.dial, entry)
        if setup.agent is not None and setup.queues:
            tb.add_agent(MockAgent(setup.agent, list(setup.queues), accept_after_s=0.0,
                                   acw_s=0.0, on_message=trace.agent_heard))
        keyboard = _Keyboard(tb.clock.loop, sys.stdin.fileno(), trace) if interactive else None
        tb.add_caller(_Caller(args.number, args.dial, trace, args.inputs, keyboard, tb,
                              patience_s=args.patience, talk_s=args.talk))
        await tb.run_until_idle()
        return tb.records


class _Trace:
    """The run's happenings in order: printed as they happen, and kept for ``--json``.

    It is the run's ``Coverage`` recorder too: blocks entered and branches taken.
    """

    def __init__(self, console: Console | None, start: datetime) -> None:
        self.console = console
        self.start = start
        self.happenings: list[dict[str, Any]] = []
        self.now: Callable[[], float] = lambda: 0.0
        self.blocks: Mapping[str, Flow] = {}
        self.failed: str | None = None
        self._contact: str | None = None  # the call's contact: others are tagged
        self._flow: str | None = None     # the flow of the last block shown
        self._pending: tuple[str, str] | None = None  # a block entered and not yet left
        self._hinted = False
        #: Standard output was closed during the run.
        self.closed = False
        #: A coverage recorder that was there before (pytest --flow-coverage): it
        #: hears everything too.
        self.forward: Coverage | None = None

    # -- output ---------------------------------------------------------------
    def add(self, t: float, contact_id: str | None, kind: str, data: Any,
            label: str | None = None, text: str = "") -> None:
        self.happenings.append({
            "time_s": round(t, 3), "timestamp": format_timestamp_ms(instant_of(self.start, t)),
            "contact_id": contact_id, "kind": kind, "data": data})
        if label is None or self.console is None:
            return
        if contact_id and self._contact is not None and contact_id != self._contact:
            text = f"[{contact_id[:8]}] {text}"
        self.show(Text.assemble((_stamp(t), "cyan"), "  ", (f"{label:<8}", "bold"), " "),
                  _INDENT, text)

    def show(self, head: Text, indent: int, text: str) -> None:
        """Print ``head`` then ``text`` wrapped to the console, later lines indented."""
        if self.console is None:
            return
        width = max(self.console.width, 40)
        lines = textwrap.wrap(text, width - indent, break_on_hyphens=False) or [""]
        self.print(head + Text(("\n" + " " * indent).join(lines)))

    def warn(self, warning: str) -> None:
        if self.console is None:
            return
        lines = textwrap.wrap(f"warning: {warning}", max(self.console.width, 40),
                              subsequent_indent="  ", break_on_hyphens=False)
        text = Text("\n".join(lines))
        text.stylize("yellow", 0, len("warning:"))
        self.print(text)

    # -- record events --------------------------------------------------------
    def event(self, event: ContactEvent) -> None:
        t, contact_id, kind, data = event
        if kind is EventKind.INITIATED and self._contact is None:
            self._contact = contact_id
        line = _describe(kind, data, contact_id)
        self.add(t, contact_id or None, str(kind), _json_data(kind, data), *(line or (None,)))
        if kind is EventKind.DISCONNECTED and data == DisconnectReason.CONTACT_FLOW_DISCONNECT \
                and self._pending is not None:
            flow, block_id = self._pending
            kind_name = type(self.blocks[flow].blocks[block_id]).__name__
            self.failed = (f"block {block_id!r} ({kind_name}) of flow {flow!r} had no "
                           f"transition to take; the call was disconnected")
            self._pending = None
            self.add(t, contact_id, "FAILED", {"flow": flow, "block": block_id,
                                               "type": kind_name}, "failed", self.failed)

    # -- Coverage ----------------------------------------------------------------
    def entered(self, flow: str, block: str) -> None:
        if self.forward is not None:
            self.forward.entered(flow, block)
        if flow == ATTRIBUTES_FLOW:
            return
        self._pending = (flow, block)
        kind = type(self.blocks[flow].blocks[block]).__name__
        shown = block if flow == self._flow else f"{flow}: {block}"
        self._flow = flow
        self.add(self.now(), None, "BLOCK", {"flow": flow, "block": block, "type": kind},
                 "block", f"{shown} ({kind})")

    def took(self, flow: str, block: str, label: str) -> None:
        if self.forward is not None:
            self.forward.took(flow, block, label)
        if flow == ATTRIBUTES_FLOW:
            return
        self._pending = None
        target = dict(self.blocks[flow].blocks[block].branches()).get(label)
        text = f"{block}: {label}" + ("" if target is None else f" -> {target}")
        self.add(self.now(), None, "BRANCH",
                 {"flow": flow, "block": block, "label": label, "to": target},
                 None if label == "next" else "branch", text)

    # -- what the caller and the agent hear and send ---------------------------------
    def prompt(self, message: Prompt, to: str) -> None:
        listens = " (then listens)" if message.collects_input else ""
        who = "" if to == "customer" else f"to {to}: "
        self.add(self.now(), message.contact_id, "PROMPT",
                 {"to": to, "text": message.text, "duration_s": message.duration_s,
                  "collects_input": message.collects_input},
                 "prompt", f"{who}{message.text}{listens}")

    def agent_heard(self, _agent: MockAgent, message: Message) -> None:
        if isinstance(message, Prompt):
            self.prompt(message, "agent")

    def sent(self, contact_id: str, kind: str, text: str) -> None:
        if kind == PRESS:
            self.add(self.now(), contact_id, "INPUT", {"digits": text}, "pressed", text)
        else:
            self.add(self.now(), contact_id, "INPUT", {"words": text}, "said", repr(text))

    def silence(self, contact_id: str) -> None:
        self.add(self.now(), contact_id, "INPUT", {}, "silence", "no answer")

    def hang_up(self, contact_id: str) -> None:
        if self.console is not None:
            self.print(Text())  # end the line the user typed nothing on
        self.add(self.now(), contact_id, "HANGUP", {}, "hang up", "end of input")

    def refused(self, message: Error) -> None:
        self.add(self.now(), message.contact_id, "REFUSED",
                 {"code": message.code, "detail": message.detail}, "refused", message.detail)

    def ask(self, prompt: str) -> None:
        if not self._hinted:
            self._hinted = True
            self.print(Text("  type digits or words, then Enter (an empty line is silence, "
                            "Ctrl-D hangs up)", style="dim"))
        self.show(Text("? ", style="bold"), 2, prompt)
        self.print(Text("> "), end="")

    def print(self, text: Text, end: str = "\n") -> None:
        """Print a line (or what ``end`` ends), flushed; once standard output is closed
        (``| head``), print nothing more."""
        if self.console is None:
            return
        try:
            self.console.print(text, end=end, soft_wrap=True)
            self.console.file.flush()
        except SystemExit:  # rich's answer to a closed pipe
            self.console = None
            self.closed = True


def _stamp(t: float) -> str:
    """Testbed seconds as mm:ss.s (h:mm:ss.s past an hour)."""
    tenths = round(t * 10)
    minutes, tenths = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    stamp = f"{minutes:02d}:{tenths // 10:02d}.{tenths % 10}"
    return f"{hours}:{stamp}" if hours else stamp


def _pairs(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v if isinstance(v, str) and v else json.dumps(v)}"
                     for k, v in values.items())


def _bot(name: str) -> str:
    try:
        return bot_name(name)
    except ConfigError:
        return name


def _describe(kind: EventKind, data: Any, contact_id: str) -> tuple[str, str] | None:
    """The label and text of a record event's line; None: not shown (JSON only)."""
    if kind is EventKind.INITIATED:
        method, previous, customer, system = data
        after = f", after {previous[:8]}" if previous else ""
        to = f" to {system}" if system else ""
        return "call", f"{method} from {customer}{to} (contact {contact_id[:8]}{after})"
    if kind is EventKind.ATTRIBUTES:
        return "attrs", _pairs(dict(data))
    if kind is EventKind.UPDATED:
        return "updated", _pairs(dict(data))
    if kind is EventKind.LAMBDA:
        called = f"{lambda_name(data['function'])}({_pairs(data['parameters'])})"
        answer = (f"failed: {data['error']}" if "error" in data
                  else f"-> {_pairs(data['response'])}")
        return "lambda", f"{called} {answer} ({data['duration_s']:g} s)"
    if kind is EventKind.BOT:
        if "error" in data:
            return "bot", f"{_bot(data['bot'])} heard {data['input']!r}: {data['error']}"
        slots = f" ({_pairs(data['slots'])})" if data["slots"] else ""
        return "bot", f"{_bot(data['bot'])} heard {data['input']!r}: {data['intent']}{slots}"
    if kind is EventKind.FLOW_ACTION:
        _flow, block_id, action, detail = data
        shown = detail if isinstance(detail, str) else json.dumps(detail, default=str)
        return "action", f"{block_id} ({action}): {shown}"
    simple = {
        EventKind.ENQUEUED: ("queue", "in queue {}"),
        EventKind.OFFERED: ("agent", "offered to {}"),
        EventKind.MISSED: ("agent", "{} missed the offer"),
        EventKind.REJECTED: ("agent", "{} rejected the offer"),
        EventKind.CONNECTED_TO_AGENT: ("agent", "connected to {}"),
        EventKind.NEXT_CONTACT: ("next", "followed by contact {}"),
        EventKind.TRANSFERRED: ("transfer", "to {}"),
        EventKind.NO_ANSWER: ("callback", "attempt {} not answered"),
        EventKind.DISCONNECTED: ("end", "{}"),
    }.get(kind)
    if simple is not None:
        value = data[:8] if kind is EventKind.NEXT_CONTACT else data
        return simple[0], simple[1].format(value)
    if kind is EventKind.SCHEDULED:
        return "callback", f"to queue {data[0]} in {data[1]:g} s"
    if kind is EventKind.DEQUEUED and data is None:
        return "queue", "left the queue"
    return None


def _json_data(kind: EventKind, data: Any) -> Any:
    """A record event's data as JSON objects with names."""
    if kind is EventKind.INITIATED:
        return dict(zip(("method", "previous_contact_id", "customer", "system"), data,
                        strict=False))
    if kind in (EventKind.ATTRIBUTES, EventKind.UPDATED):
        return dict(data)
    if kind is EventKind.FLOW_ACTION:
        return dict(zip(("flow", "block", "type", "detail"), data, strict=True))
    if kind is EventKind.SCHEDULED:
        return {"queue": data[0], "delay_s": data[1]}
    if kind is EventKind.AGENT_STATE:
        return dict(zip(("agent", "state", "contact_id"), data, strict=True))
    return data


class _Keyboard:
    """Answers typed on the terminal.  The clock is held while the user types, and the
    terminal is read through the loop, so nothing blocks it."""

    def __init__(self, loop: TestbedLoop, fd: int, trace: _Trace) -> None:
        self._loop = loop
        self._fd = fd
        self._trace = trace

    def ask(self, answer: Callable[[bytes], None], prompt: str) -> None:
        self._loop.hold()
        self._trace.ask(prompt)
        self._loop.add_reader(self._fd, self._typed, answer)

    def _typed(self, answer: Callable[[bytes], None]) -> None:
        self._loop.remove_reader(self._fd)
        try:
            data = os.read(self._fd, 4096)
        except OSError:
            data = b""
        self._loop.release()
        answer(data)


class _Caller(MockCaller):
    """The run's caller: it sends the scripted or typed input, and puts what it hears
    and sends on the trace."""

    def __init__(self, number: str, dial: str, trace: _Trace, inputs: list[CallerInput],
                 keyboard: _Keyboard | None, tb: Testbed, *, patience_s: float,
                 talk_s: float) -> None:
        timed = [i for i in inputs if i.at_s is not None]
        super().__init__(number, dial,
                         press=[(i.at_s or 0.0, i.text) for i in timed if i.kind == PRESS],
                         say=[(i.at_s or 0.0, i.text) for i in timed if i.kind == SAY],
                         patience_s=patience_s, talk_s=talk_s, keep_transcript=False)
        self.on_message = self._heard
        self._trace = trace
        self._answers = deque(i for i in inputs if i.at_s is None)
        self._keyboard = keyboard
        self._tb = tb
        self._turn = 0
        self._listening: dict[str, int] = {}  # contact id -> the prompt (turn) listening
        self._prompts: dict[str, str] = {}  # contact id -> the prompt that listens
        self._typed_at: tuple[str, int, float] | None = None

    def send_digits(self, contact_id: str, digits: str) -> None:
        self._listening.pop(contact_id, None)
        self._trace.sent(contact_id, PRESS, digits)
        super().send_digits(contact_id, digits)

    def say(self, contact_id: str, text: str) -> None:
        self._listening.pop(contact_id, None)
        self._trace.sent(contact_id, SAY, text)
        super().say(contact_id, text)

    def _heard(self, _caller: MockCaller, message: Message) -> None:
        if isinstance(message, Prompt):
            cid = message.contact_id
            self._trace.prompt(message, "customer")
            self._listening.pop(cid, None)
            if message.collects_input:
                self._turn += 1
                self._listening[cid] = self._turn
                self._prompts[cid] = message.text
                self._tb.clock.call_later(message.duration_s, self._prompt_played, cid,
                                          self._turn)
        elif isinstance(message, Queued | Connected | Disconnected):
            self._listening.pop(message.contact_id, None)
        elif isinstance(message, Error):
            self._trace.refused(message)
            typed = self._typed_at
            if typed is not None and message.contact_id == typed[0] \
                    and typed[1] == self._turn and typed[2] == self._tb.now:
                # The block listening would not take what was typed: ask again.
                self._listening[typed[0]] = typed[1]
                self._prompt_played(typed[0], typed[1])

    def _prompt_played(self, contact_id: str, turn: int) -> None:
        if self._listening.get(contact_id) != turn:
            return  # answered already, or the block is over
        if self._answers:
            answer = self._answers.popleft()
            self._answer(contact_id, answer.kind, answer.text)
        elif self._keyboard is not None:
            self._keyboard.ask(lambda data: self._typed(contact_id, turn, data),
                               self._prompts.get(contact_id, ""))
        else:
            self._trace.silence(contact_id)

    def _typed(self, contact_id: str, turn: int, data: bytes) -> None:
        if not data:
            self._trace.hang_up(contact_id)
            self.hang_up(contact_id)
            return
        text = data.decode("utf-8", "replace").strip()[:_MAX_SAY]
        if not text:
            self._trace.silence(contact_id)
            return
        self._typed_at = (contact_id, turn, self._tb.now)
        self._answer(contact_id, PRESS if _DIGITS.fullmatch(text) else SAY, text)

    def _answer(self, contact_id: str, kind: str, text: str) -> None:
        if kind == PRESS:
            self.send_digits(contact_id, text)
        else:
            self.say(contact_id, text)


# -- output -------------------------------------------------------------------------------
def _header(console: Console, setup: RunSetup, args: argparse.Namespace) -> None:
    parts = [f"queue {queue}" + (f" ({hours})" if hours else "")
             for queue, hours in setup.queues.items()]
    if setup.agent is not None and setup.queues:
        parts.append(f"agent {setup.agent!r} (talks {args.talk:g} s)")
    parts += [f"Lambda {function_name(name)}" for name, _handler in setup.lambdas]
    parts += [f"bot {key}" for key, _bot in setup.bots]
    parts += [f"hours {h.name}" for h in setup.hours]
    first = (f"{setup.inbound}: {args.number} calls {args.dial} at "
             f"{args.start.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    console.print(Text(first, style="bold"), soft_wrap=True)
    if parts:
        console.print(Text("\n".join(textwrap.wrap("with " + ", ".join(parts),
                                                   max(console.width, 40)))), soft_wrap=True)


def _table(records: list[ContactRecord]) -> Table:
    table = records_table(records)

    def row(name: str, values: list[str | None]) -> None:
        table.add_row(name, *[v if v is not None else "N/A" for v in values])

    row("CustomerEndpoint", [r.customer_endpoint for r in records])
    row("SystemEndpoint", [r.system_endpoint for r in records])
    row("Attributes", ["\n".join(f"{k}={v}" for k, v in r.attributes.items()) or None
                       for r in records])
    return table
