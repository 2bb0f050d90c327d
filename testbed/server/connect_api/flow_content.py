"""Flow content sent to CreateContactFlow / UpdateContactFlowContent: resolved and checked.

Content is Connect's flow language (Version "2019-10-30"), read by the
testbed's importer (``testbed.flows.connect``).  Before that:

- **References are resolved.**  A flow deployed through the API names the
  instance's queues, flows, hours of operation and agents by the ids and
  ARNs the API gave out; every Parameters string that is exactly such an id
  or ARN becomes the testbed's name for it (the importer takes names, or an
  ARN's last segment).  Names themselves are accepted too.
- **Every problem is found**, not just the first: the JSON, the Version,
  each action's shape (Identifier, Type, Parameters, Transitions), each
  action's parameters (the importer's checks, action by action), duplicate
  Identifiers, transitions and a StartAction naming no action, and
  references to queues, flows or hours the instance does not hold.  They
  come back as InvalidContactFlowException's ``problems`` (at most 50, each
  message at most 256 characters, as Connect's shape allows), each naming
  the action by Identifier and Type and the bad value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from testbed.core.errors import FlowError
from testbed.flows import (
    CheckHours,
    CheckQueueStatus,
    CreateCallback,
    CreateTask,
    Flow,
    InvokeModule,
    SetEventHook,
    SetWorkingQueue,
    TransferQueueToQueue,
    TransferToFlow,
)
from testbed.flows.connect import FLOW_LANGUAGE_VERSION, SUPPORTED_TYPES, load_flow
from testbed.flows.values import is_reference
from testbed.server.connect_api.errors import ApiError

__all__ = ["MAX_CONTENT", "compile_flow", "resolve_references"]

#: Connect's longest flow content, in characters.
MAX_CONTENT = 256_000
MAX_PROBLEMS = 50
MAX_MESSAGE = 256
_MALFORMED = (KeyError, IndexError, TypeError, AttributeError, ValueError)


def resolve_references(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` with every string that is a key of ``names`` replaced by its name."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return {k: resolve_references(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, names) for v in value]
    return value


def _invalid(problems: list[str]) -> ApiError:
    shown = [p if len(p) <= MAX_MESSAGE else f"{p[:MAX_MESSAGE - 3]}..."
             for p in problems[:MAX_PROBLEMS]]
    more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
    return ApiError("InvalidContactFlowException",
                    f"the flow has {len(problems)} problem(s): {shown[0]}{more}",
                    problems=[{"message": p} for p in shown])


def _where(index: int, action: Any) -> str:
    if isinstance(action, dict) and isinstance(action.get("Identifier"), str):
        return f"action {action['Identifier']!r} ({action.get('Type')})"
    return f"action #{index + 1}"


def _shape_problems(index: int, action: Any) -> list[str]:
    """What is wrong with the shape of one action (not its parameters)."""
    if not isinstance(action, dict):
        return [f"action #{index + 1} is not a JSON object"]
    where = _where(index, action)
    found = []
    if not isinstance(action.get("Identifier"), str) or not action["Identifier"]:
        found.append(f"{where}: Identifier must be a non-empty string")
    if not isinstance(action.get("Type"), str):
        found.append(f"{where}: Type must be a string")
    if not isinstance(action.get("Parameters", {}), dict):
        found.append(f"{where}: Parameters must be an object")
    transitions = action.get("Transitions", {})
    if not isinstance(transitions, dict):
        return [*found, f"{where}: Transitions must be an object"]
    if not isinstance(transitions.get("NextAction", ""), str):
        found.append(f"{where}: Transitions.NextAction must be a string")
    for key, needs in (("Errors", ("ErrorType", "NextAction")), ("Conditions", ("NextAction",))):
        items = transitions.get(key, [])
        if not isinstance(items, list):
            found.append(f"{where}: Transitions.{key} must be a list")
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in needs):
                found.append(f"{where}: Transitions.{key}[{i}] needs {' and '.join(needs)}")
            elif key == "Conditions" and not _condition_ok(item.get("Condition")):
                found.append(f"{where}: Transitions.Conditions[{i}].Condition needs an "
                             f"Operator and a list of one Operand")
    return found


def _condition_ok(condition: Any) -> bool:
    return (isinstance(condition, dict) and isinstance(condition.get("Operator"), str)
            and isinstance(condition.get("Operands"), list) and len(condition["Operands"]) == 1)


def _targets(action: dict[str, Any]) -> Iterator[str]:
    transitions = action.get("Transitions") or {}
    if "NextAction" in transitions:
        yield transitions["NextAction"]
    for key in ("Errors", "Conditions"):
        for item in transitions.get(key) or []:
            yield item["NextAction"]


def _looped(action: dict[str, Any]) -> dict[str, Any]:
    """``action`` with every transition back to itself, to be checked on its own."""
    me = action["Identifier"]
    transitions = dict(action.get("Transitions") or {})
    if "NextAction" in transitions:
        transitions["NextAction"] = me
    for key in ("Errors", "Conditions"):
        if key in transitions:
            transitions[key] = [{**item, "NextAction": me} for item in transitions[key]]
    return {**action, "Transitions": transitions}


def _load_action(name: str, action: dict[str, Any], metadata: dict[str, Any]) -> Flow | str:
    """The one-block flow of ``action`` alone, or the importer's complaint about it."""
    document = {"Version": FLOW_LANGUAGE_VERSION, "StartAction": action["Identifier"],
                "Metadata": metadata, "Actions": [_looped(action)]}
    try:
        return load_flow(document, name=name, source=name)
    except FlowError as exc:
        return str(exc)
    except _MALFORMED as exc:
        return f"{_where(0, action)} is malformed ({exc!r})"


def _reference_problems(flow: Flow, kind: str, queues: set[str], flows: set[str],
                        hours: set[str]) -> list[str]:
    """References of the one-block ``flow`` (an action of Type ``kind``) to queues, flows
    and hours the instance does not hold."""
    found = []
    for block in flow.blocks.values():
        where = f"action {block.id!r} ({kind})"
        queue: str | None = None
        if (isinstance(block, SetWorkingQueue | TransferQueueToQueue) and not block.agent) \
                or isinstance(block, CreateCallback | CheckQueueStatus):
            queue = block.queue
        if queue is not None and not is_reference(queue) and queue not in queues:
            found.append(f"{where} names queue {queue!r}, which is not a queue of this instance")
        target: str | None = None
        if isinstance(block, SetEventHook | TransferToFlow | CreateTask):
            target = block.flow
        elif isinstance(block, InvokeModule):
            target = block.module
        if target is not None and not is_reference(target) and target not in flows:
            found.append(f"{where} names flow {target!r}, which is not a flow of this instance")
        if isinstance(block, CheckHours) and block.hours is not None \
                and not is_reference(block.hours) and block.hours not in hours:
            found.append(f"{where} names hours of operation {block.hours!r}, which are not "
                         f"hours of this instance")
    return found


def compile_flow(name: str, content: str, names: Mapping[str, str], queues: set[str],
                 flows: set[str], hours: set[str]) -> Flow:
    """The flow ``name`` from ``content``, its references resolved by ``names`` (id or ARN
    -> name); ``queues``, ``flows`` and ``hours`` are the names it may reference.

    Raises ApiError InvalidContactFlowException listing every problem found.
    """
    try:
        document = json.loads(content)
    except ValueError as exc:
        raise _invalid([f"Content is not valid JSON ({exc})"]) from None
    if not isinstance(document, dict):
        raise _invalid(["Content must be a JSON object: a flow with Version, StartAction "
                        "and Actions"])
    problems = []
    if document.get("Version") != FLOW_LANGUAGE_VERSION:
        problems.append(f"Version {document.get('Version')!r} is not supported; use "
                        f"{FLOW_LANGUAGE_VERSION!r}")
    actions = document.get("Actions")
    if not isinstance(actions, list) or not actions:
        raise _invalid([*problems, "Actions must be a non-empty list of actions"])
    metadata = document.get("Metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    resolved: list[dict[str, Any]] = []
    ids: set[str] = set()
    for index, action in enumerate(actions):
        shape = _shape_problems(index, action)
        if shape:
            problems += shape
            continue
        action = {**action, "Parameters": resolve_references(action.get("Parameters") or {},
                                                             names)}
        identifier, kind = action["Identifier"], action["Type"]
        if identifier in ids:
            problems.append(f"{_where(index, action)}: another action has the Identifier "
                            f"{identifier!r}")
        ids.add(identifier)
        resolved.append(action)
        if kind not in SUPPORTED_TYPES:
            problems.append(f"{_where(index, action)}: Type {kind!r} is not an action of "
                            f"the flow language (flow language {FLOW_LANGUAGE_VERSION})")
            continue
        loaded = _load_action(name, action, metadata)
        if isinstance(loaded, str):
            problems.append(loaded)
        else:
            problems += _reference_problems(loaded, kind, queues, flows | {name}, hours)
    for action in resolved:
        for target in _targets(action):
            if target not in ids:
                problems.append(f"{_where(0, action)} goes to {target!r}, which is not an "
                                f"action of this flow")
    start = document.get("StartAction")
    if not isinstance(start, str) or start not in ids:
        problems.append(f"StartAction {start!r} is not an action of this flow")
    if problems:
        raise _invalid(problems)
    try:
        return load_flow({**document, "Actions": resolved}, name=name, source=name)
    except FlowError as exc:
        raise _invalid([str(exc)]) from None
    except _MALFORMED as exc:
        raise _invalid([f"the flow is malformed ({exc!r})"]) from None
