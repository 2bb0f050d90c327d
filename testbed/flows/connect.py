"""Import Amazon Connect flow-language JSON (Version "2019-10-30") as testbed flows.

Supported action types and the block each becomes:

    MessageParticipant        PlayPrompt
    GetParticipantInput       GetCustomerInput (StoreInput "False": DTMF conditions)
    UpdateContactAttributes   SetAttributes
    Compare                   Compare
    UpdateContactTargetQueue  SetWorkingQueue (QueueId)
    TransferContactToQueue    TransferToQueue
    CreateCallbackContact     CreateCallback (MaximumConnectionAttempts = retries + 1)
    UpdateContactEventHooks   SetEventHook
    Loop                      Loop
    Wait                      Wait
    CheckMetricData           CheckQueueStatus
    TransferToFlow            TransferToFlow
    DisconnectParticipant     Disconnect
    EndFlowExecution          EndFlow

Any other type fails the load with a FlowError naming the file, the action's
Identifier and its Type.  References to queues and flows may be names, ids or
ARNs; the last path segment is taken as the name (``.../queue/CallbackQueue``
is the queue ``CallbackQueue``).  A flow reference that names no loaded flow
is not a load error (``flow check`` warns); running into it takes the
action's error branch.

Prompt durations: Connect's JSON has none, so text is taken to play at
150 words per minute, plus any SSML ``<break time="..."/>``; audio prompts
(PromptId) play 5 s.  A flow written for the testbed can say exactly:
``Metadata.ActionMetadata.<Identifier>.testbed.duration_s``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from testbed.errors import FlowError
from testbed.flows.blocks import (
    WORDS_PER_SECOND,
    Block,
    CheckQueueStatus,
    Compare,
    Condition,
    CreateCallback,
    Disconnect,
    EndFlow,
    GetCustomerInput,
    Loop,
    PlayPrompt,
    SetAttributes,
    SetEventHook,
    SetWorkingQueue,
    TransferToFlow,
    TransferToQueue,
    Wait,
    spoken_seconds,
    strip_markup,
)
from testbed.flows.flow import Flow

__all__ = ["SUPPORTED_TYPES", "WORDS_PER_SECOND", "flow_references", "load_flow",
           "load_flow_files", "unreachable_blocks"]

FLOW_LANGUAGE_VERSION = "2019-10-30"
AUDIO_PROMPT_S = 5.0
MAX_FLOW_BYTES = 1024 * 1024



class _Action:
    """One action of a flow being imported, with error messages that name it."""

    def __init__(self, raw: Mapping[str, Any], source: str, metadata: Mapping[str, Any]) -> None:
        self.raw = raw
        self.id = str(raw.get("Identifier", "?"))
        self.type = str(raw.get("Type", "?"))
        self.source = source
        self.params: Mapping[str, Any] = raw.get("Parameters") or {}
        transitions = raw.get("Transitions") or {}
        self.next: str | None = transitions.get("NextAction")
        self.errors = {e["ErrorType"]: e["NextAction"] for e in transitions.get("Errors") or []
                       if isinstance(e, Mapping) and "ErrorType" in e and "NextAction" in e}
        self.conditions = [
            (c["Condition"]["Operator"], str(c["Condition"]["Operands"][0]), c["NextAction"])
            for c in transitions.get("Conditions") or []]
        self.metadata = metadata

    def fail(self, problem: str) -> FlowError:
        return FlowError(f"flow {self.source!r}: action {self.id!r} ({self.type}) {problem}")

    def param(self, name: str, default: Any = None, required: bool = False) -> Any:
        value = self.params.get(name, default)
        if required and value is None:
            raise self.fail(f"needs the parameter {name!r}")
        return value

    def number(self, name: str, default: float | None = None) -> float:
        value = self.param(name, default, required=default is None)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self.fail(f"has {name} {value!r}, which is not a number") from None

    def duration(self) -> float:
        explicit = ((self.metadata.get(self.id) or {}).get("testbed") or {}).get("duration_s")
        if explicit is not None:
            return float(explicit)
        text = self.params.get("Text") or self.params.get("SSML")
        if text is None:
            return AUDIO_PROMPT_S if self.params.get("PromptId") else 0.0
        return spoken_seconds(str(text))

    def text(self) -> str:
        text = self.params.get("Text") or self.params.get("SSML") or self.params.get("PromptId")
        return strip_markup(str(text or ""))

    def common(self) -> dict[str, Any]:
        return {"id": self.id, "next": self.next, "errors": dict(self.errors)}


def _name(reference: Any) -> str:
    """The name a queue or flow reference points at: the last segment of an ARN or path."""
    return str(reference).rstrip("/").rsplit("/", 1)[-1]


def _message(a: _Action) -> Block:
    return PlayPrompt(**a.common(), text=a.text(), duration_s=a.duration())


def _input(a: _Action) -> Block:
    if str(a.param("StoreInput", "False")).lower() == "true":
        raise a.fail("stores input (StoreInput True), which the testbed does not support; "
                     "use DTMF conditions")
    digits = {}
    for operator, operand, target in a.conditions:
        if operator != "Equals":
            raise a.fail(f"has a condition with operator {operator!r}; only Equals is allowed")
        digits[operand] = target
    return GetCustomerInput(**a.common(), text=a.text(), duration_s=a.duration(),
                            timeout_s=a.number("InputTimeLimitSeconds", 5), conditions=digits)


def _attributes(a: _Action) -> Block:
    attributes = a.param("Attributes", required=True)
    if not isinstance(attributes, Mapping):
        raise a.fail("has Attributes that are not an object")
    return SetAttributes(**a.common(), attributes={str(k): str(v) for k, v in attributes.items()})


def _conditions(a: _Action) -> tuple[Condition, ...]:
    return tuple(Condition(op, operand, target) for op, operand, target in a.conditions)


def _compare(a: _Action) -> Block:
    return Compare(**a.common(), value=str(a.param("ComparisonValue", required=True)),
                   conditions=_conditions(a))


def _target_queue(a: _Action) -> Block:
    if a.param("AgentId") is not None:
        raise a.fail("targets an agent (AgentId); the testbed routes to queues only")
    return SetWorkingQueue(**a.common(), queue=_name(a.param("QueueId", required=True)))


def _transfer(a: _Action) -> Block:
    return TransferToQueue(**a.common())


def _callback(a: _Action) -> Block:
    if a.param("AgentId") is not None:
        raise a.fail("targets an agent (AgentId); the testbed routes to queues only")
    attempts = int(a.number("MaximumConnectionAttempts", 1))
    if attempts < 1:
        raise a.fail(f"has MaximumConnectionAttempts {attempts}; it must be at least 1")
    queue = a.param("QueueId")
    return CreateCallback(**a.common(), queue=None if queue is None else _name(queue),
                          initial_delay_s=a.number("InitialCallDelaySeconds", 0),
                          max_retries=attempts - 1,
                          retry_interval_s=a.number("RetryDelaySeconds", 600))


def _event_hooks(a: _Action) -> Block:
    hooks = a.param("EventHooks", required=True)
    if not isinstance(hooks, Mapping) or len(hooks) != 1:
        raise a.fail("needs EventHooks with exactly one hook")
    [(hook, flow)] = hooks.items()
    return SetEventHook(**a.common(), hook=str(hook), flow=_name(flow))


def _loop(a: _Action) -> Block:
    targets = {operand: target for _op, operand, target in a.conditions}
    count = int(a.number("LoopCount", 1))
    common = a.common()
    common["next"] = targets.get("DoneLooping", a.next)
    return Loop(**common, count=count, loop=targets.get("ContinueLooping"))


def _wait(a: _Action) -> Block:
    name = "TimeoutSeconds" if "TimeoutSeconds" in a.params else "TimeLimitSeconds"
    common = a.common()
    completed = [target for _op, operand, target in a.conditions if operand == "WaitCompleted"]
    if completed:
        common["next"] = completed[0]
    return Wait(**common, duration_s=a.number(name))


def _metric(a: _Action) -> Block:
    if a.param("AgentId") is not None:
        raise a.fail("checks an agent (AgentId); the testbed checks queues only")
    queue = a.param("QueueId")
    return CheckQueueStatus(**a.common(), metric=str(a.param("MetricType", required=True)),
                            queue=None if queue is None else _name(queue),
                            conditions=_conditions(a))


def _to_flow(a: _Action) -> Block:
    return TransferToFlow(**a.common(), flow=_name(a.param("ContactFlowId", required=True)))


def _disconnect(a: _Action) -> Block:
    return Disconnect(**a.common())


def _end(a: _Action) -> Block:
    return EndFlow(**a.common())


_MAPPERS: dict[str, Callable[[_Action], Block]] = {
    "MessageParticipant": _message,
    "GetParticipantInput": _input,
    "UpdateContactAttributes": _attributes,
    "Compare": _compare,
    "UpdateContactTargetQueue": _target_queue,
    "TransferContactToQueue": _transfer,
    "CreateCallbackContact": _callback,
    "UpdateContactEventHooks": _event_hooks,
    "Loop": _loop,
    "Wait": _wait,
    "CheckMetricData": _metric,
    "TransferToFlow": _to_flow,
    "DisconnectParticipant": _disconnect,
    "EndFlowExecution": _end,
}
SUPPORTED_TYPES = tuple(_MAPPERS)


def load_flow(document: Mapping[str, Any] | str | Path, name: str | None = None,
              source: str | None = None) -> Flow:
    """A Flow from flow-language JSON: a parsed document, JSON text, or a file path.

    ``name`` defaults to the file's stem (or ``Metadata.name``).  Raises
    FlowError naming the file, action Identifier and Type for anything the
    testbed cannot run.
    """
    if isinstance(document, Path) or (isinstance(document, str)
                                      and not document.lstrip().startswith("{")):
        path = Path(document)
        source = source or str(path)
        try:
            if path.stat().st_size > MAX_FLOW_BYTES:
                raise FlowError(f"flow {source!r} is larger than {MAX_FLOW_BYTES} bytes")
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise FlowError(f"flow {source!r}: cannot read it ({exc.strerror})") from None
        name = name or path.stem
        document = text
    source = source or name or "<flow>"
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise FlowError(f"flow {source!r}: not valid JSON ({exc})") from None
    if not isinstance(document, Mapping):
        raise FlowError(f"flow {source!r}: a flow is a JSON object")
    version = document.get("Version")
    if version != FLOW_LANGUAGE_VERSION:
        raise FlowError(f"flow {source!r}: Version {version!r} is not supported; "
                        f"the testbed reads flow language {FLOW_LANGUAGE_VERSION!r}")
    metadata = document.get("Metadata") or {}
    name = name or metadata.get("name") or source
    actions = document.get("Actions")
    if not isinstance(actions, list) or not actions:
        raise FlowError(f"flow {source!r}: Actions must be a non-empty list")
    action_metadata = metadata.get("ActionMetadata") or metadata.get("actionMetadata") or {}
    blocks = []
    for raw in actions:
        if not isinstance(raw, Mapping):
            raise FlowError(f"flow {source!r}: every action must be a JSON object")
        action = _Action(raw, source, action_metadata)
        mapper = _MAPPERS.get(action.type)
        if mapper is None:
            raise action.fail(f"has unsupported Type {action.type!r}; the testbed supports "
                              f"{', '.join(SUPPORTED_TYPES)}")
        try:
            blocks.append(mapper(action))
        except (KeyError, IndexError, TypeError) as exc:
            raise action.fail(f"is malformed ({exc!r})") from None
    ids = {b.id for b in blocks}
    for block, raw in zip(blocks, actions, strict=True):
        for target in block.targets():
            if target not in ids:
                raise FlowError(f"flow {source!r}: action {block.id!r} ({raw.get('Type')}) goes "
                                f"to {target!r}, which is not an action of this flow")
    start = document.get("StartAction")
    if start not in ids:
        raise FlowError(f"flow {source!r}: StartAction {start!r} is not an action of this flow")
    try:
        return Flow.of(name, blocks, start=start)
    except FlowError as exc:
        raise FlowError(f"{exc} (in {source!r})") from None


def load_flow_files(paths: Iterable[str | Path]) -> list[Flow]:
    """Load several flow files (each named by its file stem)."""
    return [load_flow(Path(p)) for p in paths]


def flow_references(flow: Flow) -> tuple[set[str], set[str]]:
    """(queues, flows) that ``flow`` names."""
    queues: set[str] = set()
    flows: set[str] = set()
    for block in flow.blocks.values():
        if isinstance(block, SetWorkingQueue | CreateCallback | CheckQueueStatus) and block.queue:
            queues.add(block.queue)
        elif isinstance(block, SetEventHook | TransferToFlow):
            flows.add(block.flow)
    return queues, flows


def unreachable_blocks(flow: Flow) -> list[str]:
    """Ids of blocks no path from the start reaches, in flow order."""
    seen = {flow.start}
    todo = [flow.start]
    while todo:
        for target in flow.blocks[todo.pop()].targets():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return [block_id for block_id in flow.blocks if block_id not in seen]
