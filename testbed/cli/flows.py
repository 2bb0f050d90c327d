"""``testbed flow check``, and what the flow commands read: files, and ``flow run``'s set-up.

A JSON file given to ``flow check`` or ``flow run`` is one of three things, told
apart by its content, so a folder that holds a whole set-up checks and runs as
``DIR/*.json``:

* a flow: Connect's flow language (``Version``, ``Actions``), loaded with
  ``testbed.flows.connect.load_flow`` and named by its file's stem;
* a Lex bot stand-in: an object with ``intents`` (see ``load_bot``);
* hours of operation: Connect's DescribeHoursOfOperation JSON (an object with
  ``HoursOfOperation``, or with ``TimeZone`` and ``Config``; or a list of them),
  loaded with ``testbed.flows.hours.load_hours``.

Anything else is read as a flow, so its error says what a flow lacks.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from rich.console import Console
from rich.markup import escape

from testbed.core.errors import ConfigError, FlowError
from testbed.flows import Block, Flow, SetEventHook, SetWorkingQueue, TransferToFlow
from testbed.flows.connect import (
    MAX_FLOW_BYTES,
    flow_references,
    load_flow,
    not_simulated_blocks,
    pass_through_blocks,
    unreachable_blocks,
)
from testbed.flows.hours import HoursOfOperation, load_hours
from testbed.flows.lambdas import Handler, LambdaRegistry, function_name
from testbed.flows.lex import Bot, BotRegistry
from testbed.flows.services import CheckHours, CreateTask, GetBotInput, InvokeLambda, InvokeModule
from testbed.flows.values import ROOTS, references, split_path

__all__ = ["BOT_KEYS", "RunSetup", "flow_check", "hours_named", "lambda_name", "load_bot",
           "read_flow_file", "reference_warnings", "run_setup"]

#: The keys of a bot file: ``intents`` (required), ``name``, ``slots``, ``min_confidence``.
BOT_KEYS = ("name", "intents", "slots", "min_confidence")


def _document(path: Path) -> Any:
    """The file's JSON, or None when it is too big, unreadable or not JSON (the flow
    loader then says why)."""
    try:
        if path.stat().st_size > MAX_FLOW_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _is_hours(document: object) -> bool:
    if isinstance(document, list):
        return bool(document) and all(_is_hours(item) for item in document)
    return isinstance(document, Mapping) and "Actions" not in document and (
        "HoursOfOperation" in document or {"TimeZone", "Config"} <= document.keys())


def read_flow_file(path: str) -> Flow | Bot | list[HoursOfOperation]:
    """What the file at ``path`` holds: a flow, a bot or hours of operation (see the
    module).  FlowError or ConfigError names the file and what is wrong."""
    document = _document(Path(path))
    if isinstance(document, Mapping) and "intents" in document and "Actions" not in document:
        return load_bot(path)
    if _is_hours(document):
        return load_hours(path)
    return load_flow(Path(path))


def load_bot(path: str, name: str | None = None) -> Bot:
    """A Lex bot stand-in from a JSON file::

        {"name": "BankingBot",
         "intents": {"CheckBalance": ["check my balance", "what is my balance"],
                     "PayBill": ["pay {Amount} dollars", "pay my {Bill} bill"]},
         "slots": {"Amount": "AMAZON.Number", "Bill": ["electric=power|electricity", "water"]},
         "min_confidence": 0.5}

    ``intents`` maps each intent to its sample utterances; ``slots`` gives each
    ``{Slot}`` a type (``AMAZON.Number``, ``AMAZON.FreeFormInput``) or a list of
    custom values (``"value=synonym|synonym"``); ``min_confidence`` (default 0.5)
    is the overlap score a match needs short of an exact one.  The bot is called
    ``name`` (default: the file's ``name``, else its stem); matching follows
    ``testbed.flows.lex``.  ConfigError names the file and the bad value.
    """
    where = f"bot file '{path}'"
    document = _document(Path(path))
    if not isinstance(document, Mapping):
        if not Path(path).is_file():
            raise ConfigError(f"{where}: no such file")
        raise ConfigError(f"{where}: not a JSON object (a bot file holds "
                          f"{', '.join(BOT_KEYS)})")
    unknown = sorted(set(document) - set(BOT_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; a bot file holds "
                          f"{', '.join(BOT_KEYS)}")
    intents = document.get("intents")
    if not isinstance(intents, Mapping) or not intents or not all(
            isinstance(u, list) and all(isinstance(s, str) for s in u)
            for u in intents.values()):
        raise ConfigError(f"{where}: 'intents' must map each intent to a list of sample "
                          f"utterances, got {intents!r}")
    slots = document.get("slots") or {}
    if not isinstance(slots, Mapping) or not all(
            isinstance(s, str) or (isinstance(s, list) and all(isinstance(v, str) for v in s))
            for s in slots.values()):
        raise ConfigError(f"{where}: 'slots' must map each slot to a type or a list of "
                          f"values, got {slots!r}")
    min_confidence = document.get("min_confidence", 0.5)
    bot_name = name or document.get("name") or Path(path).stem
    if not isinstance(bot_name, str):
        raise ConfigError(f"{where}: 'name' must be text, got {bot_name!r}")
    try:
        return Bot.of(bot_name, intents, slots, min_confidence=min_confidence)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


@dataclasses.dataclass
class RunSetup:
    """What ``flow run`` adds to its testbed, read and checked before it starts:
    ``bots`` by the name or ARN they answer to, ``queues`` with the name of their
    hours (or None), ``lambdas`` with their handler or URL, ``agent`` (or None)."""

    flows: list[Flow]
    inbound: str
    bots: list[tuple[str, Bot]]
    hours: list[HoursOfOperation]
    queues: dict[str, str | None]
    lambdas: list[tuple[str, Handler | str]]
    attributes: dict[str, str]
    agent: str | None


# -- flow run's set-up ---------------------------------------------------------------
def run_setup(args: argparse.Namespace) -> RunSetup:
    """The set-up ``flow run``'s arguments describe: every file read, every handler
    imported.  ConfigError or FlowError names the first thing wrong."""
    flows: list[Flow] = []
    bots: list[tuple[str, Bot]] = []
    hours: list[HoursOfOperation] = []
    for path in args.files:
        item = read_flow_file(path)
        if isinstance(item, Flow):
            flows.append(item)
        elif isinstance(item, Bot):
            bots.append((item.name, item))
        else:
            hours.extend(item)
    for spec in args.bots:
        key, sep, path = spec.partition("=")
        bot = load_bot(path) if sep else load_bot(key)
        bots.append((key if sep else bot.name, bot))
    for path in args.hours:
        hours.extend(load_hours(path))
    return RunSetup(flows, _inbound(flows, args.inbound), _checked_bots(bots),
                    _checked_hours(hours), _queues(flows, hours, args.queue_hours),
                    _lambdas(args.lambdas), dict(args.attributes), args.agent)


def _inbound(flows: list[Flow], name: str | None) -> str:
    if not flows:
        raise ConfigError("no flow among the files: give at least one flow JSON file")
    names = [flow.name for flow in flows]
    for flow in flows:
        if names.count(flow.name) > 1:
            raise ConfigError(f"two flow files are named {flow.name!r}; flows are named by "
                              f"their file name")
    if name is not None and name not in names:
        raise ConfigError(f"--inbound: no flow named {name!r}; flows: {', '.join(names)}")
    return name or names[0]


def _checked_bots(bots: list[tuple[str, Bot]]) -> list[tuple[str, Bot]]:
    registry = BotRegistry()
    for key, bot in bots:
        registry.add(key, bot)  # refuses a name given twice
    return bots


def _checked_hours(hours: list[HoursOfOperation]) -> list[HoursOfOperation]:
    seen: set[str] = set()
    for item in hours:
        if item.name in seen:
            raise ConfigError(f"hours of operation {item.name!r} are given twice")
        seen.add(item.name)
    return hours


def lambda_name(name_or_arn: str) -> str:
    """The function name a flow's Lambda reference gives (itself if malformed)."""
    try:
        return function_name(name_or_arn)
    except ConfigError:
        return name_or_arn


def hours_named(hours: list[HoursOfOperation], name: str) -> HoursOfOperation | None:
    """The hours a reference names: by name or HoursOfOperationId (an ARN's last part)."""
    name = name.rstrip("/").rsplit("/", 1)[-1]
    return next((h for h in hours if name in (h.name, h.hours_of_operation_id)), None)


def _queues(flows: list[Flow], hours: list[HoursOfOperation],
            queue_hours: list[tuple[str, str]]) -> dict[str, str | None]:
    """Each queue to create, with the name of its hours of operation (or None)."""
    default = hours[0].name if len(hours) == 1 else None
    queues: dict[str, str | None] = {}
    for flow in flows:
        for queue in sorted(flow_references(flow)[0]):
            queues.setdefault(queue, default)
    for queue, name in queue_hours:
        found = hours_named(hours, name)
        if found is None:
            raise ConfigError(f"--queue-hours {queue}={name}: no hours of operation named "
                              f"{name!r}; given: {', '.join(h.name for h in hours) or 'none'}")
        queues[queue] = found.name
    return queues


def _lambdas(specs: list[tuple[str, str]]) -> list[tuple[str, Handler | str]]:
    """Each ``--lambda NAME=TARGET`` with its handler imported (or its URL checked)."""
    registry = LambdaRegistry()
    lambdas: list[tuple[str, Handler | str]] = []
    for name, target in specs:
        module, _sep, attribute = target.rpartition(":")
        if module.endswith(".py"):
            function = registry.add(name, _handler_in_file(name, module, attribute))
        else:
            if "" not in sys.path and os.getcwd() not in sys.path:
                sys.path.insert(0, "")  # modules of the current folder, as python -m finds them
            function = registry.add(name, target)
        lambdas.append((name, function.handler or target))
    return lambdas


def _handler_in_file(name: str, file: str, attribute: str) -> Handler:
    """``attribute`` of the Python file ``file``, run as Lambda runs a handler: its
    folder on the import path."""
    path = Path(file)
    where = f"--lambda {name}={file}:{attribute}"
    if not path.is_file():
        raise ConfigError(f"{where}: no such file {file!r}")
    module_name = path.stem if path.stem not in sys.modules else f"{path.stem}__handler"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{where}: cannot load {file!r} as Python")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise ConfigError(f"{where}: importing {file!r} failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise ConfigError(f"{where}: {file!r} has no function {attribute!r}")
    return handler  # type: ignore[no-any-return]


# -- warnings -------------------------------------------------------------------------
def _strings(value: object) -> Iterator[str]:
    """Every string inside a block's parameters."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _static(reference: str) -> bool:
    """Whether a block's reference is a name (not taken from contact data)."""
    return "$." not in reference


def reference_warnings(setup: RunSetup) -> list[str]:
    """What the flows name that this run cannot answer, one line each, naming the action:
    references to contact data the testbed does not know, and flows, Lambda functions,
    bots, hours of operation and agents that were not given."""
    bots = BotRegistry()
    for key, bot in setup.bots:
        bots.add(key, bot)
    known = _Known({flow.name for flow in setup.flows},
                   {function_name(name) for name, _handler in setup.lambdas}, bots,
                   setup.hours, setup.agent)
    return [f"action {block.id!r} ({type(block).__name__}) in flow {flow.name!r}: {problem}"
            for flow in setup.flows for block in flow.blocks.values()
            for problem in _problems(block, known)]


class _Known(NamedTuple):
    flows: set[str]
    lambdas: set[str]
    bots: BotRegistry
    hours: list[HoursOfOperation]
    agent: str | None


def _problems(block: Block, known: _Known) -> Iterator[str]:
    for reference in dict.fromkeys(r for text in _strings(block) for r in references(text)):
        if split_path(reference)[0] not in ROOTS:
            yield f"reference {reference} is not contact data the testbed knows; it reads as empty"
    if isinstance(block, InvokeLambda) and _static(block.function):
        name = lambda_name(block.function)
        if name not in known.lambdas:
            yield (f"Lambda function {name!r} is not given (--lambda {name}=...); the call "
                   f"takes the error branch")
    if isinstance(block, GetBotInput) and _static(block.bot) and known.bots.get(block.bot) is None:
        yield f"Lex bot {block.bot!r} is not given (--bot); the bot takes the error branch"
    if isinstance(block, CheckHours):
        if block.hours is None and not known.hours:
            yield ("checks the working queue's hours, and no hours are given (--hours); it "
                   "takes the error branch")
        elif block.hours is not None and _static(block.hours) \
                and hours_named(known.hours, block.hours) is None:
            yield (f"hours of operation {block.hours!r} are not given (--hours); it takes the "
                   f"error branch")
    flow = (block.flow if isinstance(block, SetEventHook | TransferToFlow | CreateTask)
            else block.module if isinstance(block, InvokeModule) else None)
    if flow is not None and _static(flow) and flow not in known.flows:
        yield f"flow {flow!r} is not among the files; it takes the error branch"
    if isinstance(block, SetWorkingQueue) and block.agent and _static(block.queue) \
            and block.queue != known.agent:
        yield (f"agent {block.queue!r} is not in this run (--agent {block.queue}); it takes "
               f"the error branch")


def flow_check(args: argparse.Namespace) -> int:
    console = Console(highlight=False)
    flows: list[tuple[str, Flow]] = []
    failed = 0
    for path in args.files:
        try:
            item = read_flow_file(path)
        except (FlowError, ConfigError) as exc:
            failed += 1
            console.print(f"[red]error[/red] {escape(str(exc))}", soft_wrap=True)
            continue
        if isinstance(item, Flow):
            flows.append((path, item))
        elif isinstance(item, Bot):
            _show_bot(console, path, item)
        else:
            for hours in item:
                _show_hours(console, path, hours)
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
        passing = pass_through_blocks(flow)
        if passing:
            console.print("  pass through (a trace only): " + ", ".join(
                f"{block_id} ({kind})" for block_id, kind in passing), soft_wrap=True)
        for block_id, kind in not_simulated_blocks(flow):
            console.print(f"  [yellow]warning[/yellow] action {block_id!r} ({kind}) is not "
                          f"simulated: it takes its error branch", soft_wrap=True)
        for name in sorted(referenced - names):
            users = [b.id for b in flow.blocks.values()
                     if name in (getattr(b, "flow", None), getattr(b, "module", None))]
            console.print(f"  [yellow]warning[/yellow] action {users[0]!r} refers to flow "
                          f"{name!r}, which is not among the files checked", soft_wrap=True)
        for block_id in unreachable_blocks(flow):
            console.print(f"  [yellow]warning[/yellow] block {block_id!r} is unreachable",
                          soft_wrap=True)
    return 1 if failed else 0


def _show_bot(console: Console, path: str, bot: Bot) -> None:
    console.print(f"[bold]{bot.name}[/bold] ({path}): Lex bot stand-in, "
                  f"{len(bot.intents)} intents", soft_wrap=True)
    console.print("  intents: " + ", ".join(intent.name for intent in bot.intents),
                  soft_wrap=True, markup=False)
    slots = {slot.name: str(slot.kind) for intent in bot.intents for slot in intent.slots}
    console.print("  slots: " + (", ".join(f"{name} ({kind})" for name, kind in slots.items())
                                 or "none"), soft_wrap=True, markup=False)


def _show_hours(console: Console, path: str, hours: HoursOfOperation) -> None:
    console.print(f"[bold]{hours.name}[/bold] ({path}): hours of operation in "
                  f"{hours.time_zone}, {len(hours.overrides)} overrides", soft_wrap=True)
    console.print("  open: " + (", ".join(
        f"{slot.day} {slot.start[0]:02d}:{slot.start[1]:02d}-"
        f"{slot.end[0]:02d}:{slot.end[1]:02d}" for slot in hours.slots) or "never"),
        soft_wrap=True)
