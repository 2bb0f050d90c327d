"""Import Amazon Connect flow-language JSON (Version "2019-10-30") as testbed flows.

Every action type a voice contact can meet is recognised; docs/flows.md says
what each does in the testbed.  Actions that change nothing a simulation can
show (logging, media streaming) pass on and leave a FLOW_ACTION event;
actions of services the testbed does not simulate (Customer Profiles, Cases,
Voice ID, outbound campaigns) are recognised and take their error branch
when they run (``NOT_SIMULATED``; ``flow check`` lists them).  A Type the
flow language does not have, a dangling transition or a missing required
parameter fails the load with a FlowError naming the file, the action's
Identifier, its Type and the key.

References to queues, flows and modules may be names, ids or ARNs; the last
path segment is taken as the name (``.../queue/CallbackQueue`` is the queue
``CallbackQueue``).  Parameters may be references to contact data
(``$.Attributes.QueueARN``) wherever Connect allows them; they are resolved
when the block runs.  A flow reference that names no loaded flow is not a
load error (``flow check`` warns); running into it takes the action's error
branch.

Prompt durations: Connect's JSON has none, so text is taken to play at
150 words per minute, plus any SSML ``<break time="..."/>``; audio prompts
(PromptId) play 5 s.  A flow written for the testbed can say exactly:
``Metadata.ActionMetadata.<Identifier>.testbed.duration_s`` (and
``timeout_s`` for how long a Lex bot listens).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from testbed.core.errors import ConfigError, FlowError
from testbed.flows.blocks import (
    WORDS_PER_SECOND,
    Block,
    CheckQueueStatus,
    Compare,
    Condition,
    CreateCallback,
    Disconnect,
    Distribute,
    EndFlow,
    GetCustomerInput,
    Loop,
    LoopPrompts,
    NotSimulated,
    PlayPrompt,
    SetAttributes,
    SetEventHook,
    SetWorkingQueue,
    StoreCustomerInput,
    TransferQueueToQueue,
    TransferToFlow,
    TransferToQueue,
    UpdateContact,
    Wait,
    spoken_seconds,
    strip_markup,
)
from testbed.flows.flow import Flow
from testbed.flows.services import (
    CheckHours,
    CreateTask,
    EndModule,
    GetBotInput,
    InvokeLambda,
    InvokeModule,
    TransferToPhone,
)
from testbed.flows.values import is_reference
from testbed.flows.values import name_of as _name

__all__ = ["NOT_SIMULATED", "PASS_THROUGH", "SUPPORTED_TYPES", "WORDS_PER_SECOND",
           "flow_references", "load_flow", "load_flow_files", "not_simulated_blocks",
           "pass_through_blocks", "unreachable_blocks"]

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

    def testbed(self) -> Mapping[str, Any]:
        """``Metadata.ActionMetadata.<Identifier>.testbed``: settings for the testbed."""
        settings = (self.metadata.get(self.id) or {}).get("testbed") or {}
        return settings if isinstance(settings, Mapping) else {}

    def duration(self) -> float:
        explicit = self.testbed().get("duration_s")
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


def _message(a: _Action) -> Block:
    return PlayPrompt(**a.common(), text=a.text(), duration_s=a.duration())


def _input(a: _Action) -> Block:
    if _true(a.param("StoreInput", "False")):
        return _store_input(a)
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
    agent = a.param("AgentId")
    if agent is not None:
        return SetWorkingQueue(**a.common(), queue=_name(agent), agent=True)
    return SetWorkingQueue(**a.common(), queue=_name(a.param("QueueId", required=True)))


def _transfer(a: _Action) -> Block:
    return TransferToQueue(**a.common())


def _queue_to_queue(a: _Action) -> Block:
    agent, queue = a.param("AgentId"), a.param("QueueId")
    if agent is not None and queue is not None:
        raise a.fail("names both QueueId and AgentId; Connect allows one of them")
    if agent is not None:
        return TransferQueueToQueue(**a.common(), queue=_name(agent), agent=True)
    return TransferQueueToQueue(**a.common(), queue=_name(a.param("QueueId", required=True)))


def _callback(a: _Action) -> Block:
    if a.param("AgentId") is not None:
        raise a.fail("targets an agent (AgentId); a callback to an agent's queue: set the "
                     "working queue to the agent first (UpdateContactTargetQueue)")
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


def _true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def _store_input(a: _Action) -> Block:
    validation = a.param("InputValidation") or {}
    if not isinstance(validation, Mapping):
        raise a.fail("has InputValidation that is not an object")
    phone = validation.get("PhoneNumberValidation")
    custom = validation.get("CustomValidation") or {}
    dtmf = a.param("DTMFConfiguration") or {}
    phone_format = country = None
    if phone is not None:
        phone_format = str(phone.get("NumberFormat", "E164"))
        if phone_format not in ("E164", "Local"):
            raise a.fail(f"has NumberFormat {phone_format!r}; use E164 or Local")
        country = phone.get("CountryCode")
        if phone_format == "Local" and not country:
            raise a.fail("validates a Local phone number but gives no CountryCode")
    max_digits = int(_number_of(a, custom.get("MaximumLength", 20), "MaximumLength"))
    if not 1 <= max_digits <= 80:
        raise a.fail(f"has MaximumLength {max_digits}; it must be 1 to 80")
    terminator = str(dtmf.get("InputTerminationSequence", "#"))
    return StoreCustomerInput(**a.common(), text=a.text(), duration_s=a.duration(),
                              timeout_s=a.number("InputTimeLimitSeconds", 5),
                              max_digits=max_digits, terminator=terminator,
                              phone_format=phone_format, country_code=country)


def _number_of(a: _Action, value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise a.fail(f"has {name} {value!r}, which is not a number") from None


def _hours(a: _Action) -> Block:
    operands = sorted(operand for _op, operand, _target in a.conditions)
    if any(op != "Equals" for op, _operand, _target in a.conditions) \
            or not set(operands) <= {"True", "False"}:
        raise a.fail("needs conditions Equals True and Equals False only")
    hours = a.param("HoursOfOperationId")
    return CheckHours(**a.common(), hours=None if hours is None else _name(hours),
                      conditions=_conditions(a))


def _distribute(a: _Action) -> Block:
    total = 0.0
    for operator, operand, _target in a.conditions:
        if operator not in ("NumberLessThan", "NumericLessThan"):
            raise a.fail(f"has a condition with operator {operator!r}; percentages are "
                         f"NumberLessThan on running totals")
        value = _number_of(a, operand, "a percentage")
        if not total <= value <= 101:
            raise a.fail(f"has percentage bounds that do not rise from 0 to 100 ({operand!r})")
        total = value
    return Distribute(**a.common(), conditions=tuple(
        Condition("NumberLessThan", operand, target) for _op, operand, target in a.conditions))


def _lambda(a: _Action) -> Block:
    from testbed.flows.lambdas import RESPONSE_TYPES, check_time_limit

    invocation = str(a.param("InvocationType", "SYNCHRONOUS"))
    if invocation not in ("SYNCHRONOUS", "ASYNCHRONOUS"):
        raise a.fail(f"has InvocationType {invocation!r}; use SYNCHRONOUS or ASYNCHRONOUS")
    try:
        limit = check_time_limit(a.param("InvocationTimeLimitSeconds", "3"), invocation)
    except ConfigError as exc:
        raise a.fail(f"has InvocationTimeLimitSeconds that will not do: {exc}") from None
    response = (a.param("ResponseValidation") or {}).get("ResponseType", "STRING_MAP")
    if response not in RESPONSE_TYPES:
        raise a.fail(f"has ResponseType {response!r}; use {' or '.join(RESPONSE_TYPES)}")
    parameters = a.param("LambdaInvocationAttributes") or {}
    if not isinstance(parameters, Mapping):
        raise a.fail("has LambdaInvocationAttributes that are not an object")
    return InvokeLambda(**a.common(), function=str(a.param("LambdaFunctionARN", required=True)),
                        parameters={str(k): str(v) for k, v in parameters.items()},
                        time_limit_s=limit, response_type=str(response),
                        invocation_type=invocation)


def _lex(a: _Action) -> Block:
    bot = a.param("LexV2Bot")
    if isinstance(bot, Mapping):
        name = bot.get("AliasArn")
    else:
        classic = a.param("LexBot")
        name = classic.get("Name") if isinstance(classic, Mapping) else None
    if not name:
        raise a.fail("needs the parameter 'LexV2Bot' (with AliasArn) or 'LexBot' (with Name)")
    intents = {}
    for operator, operand, target in a.conditions:
        if operator != "Equals":
            raise a.fail(f"has a condition with operator {operator!r}; intents use Equals")
        intents[operand] = target
    session = a.param("LexSessionAttributes") or {}
    timeout = (a.testbed().get("timeout_s")
               or (a.param("LexTimeoutSeconds") or {}).get("Text") or 5)
    return GetBotInput(**a.common(), bot=str(name), text=a.text(), duration_s=a.duration(),
                       timeout_s=_number_of(a, timeout, "timeout_s"),
                       session_attributes={str(k): str(v) for k, v in session.items()},
                       intents=intents)


def _task(a: _Action) -> Block:
    attributes = a.param("Attributes") or {}
    if not isinstance(attributes, Mapping):
        raise a.fail("has Attributes that are not an object")
    delay = a.number("DelaySeconds", 0)
    if not 0 <= delay <= 518_400:
        raise a.fail(f"has DelaySeconds {delay:g}; it must be 1 to 518400")
    return CreateTask(**a.common(), flow=_name(a.param("ContactFlowId", required=True)),
                      name=str(a.param("Name", required=True)),
                      description=str(a.param("Description", "")),
                      attributes={str(k): str(v) for k, v in attributes.items()},
                      delay_s=delay)


def _third_party(a: _Action) -> Block:
    timeout_name = ("ThirdPartyConnectionTimeoutSeconds"
                    if "ThirdPartyConnectionTimeoutSeconds" in a.params
                    else "ThirdPartyConnectionTimeLimitSeconds")
    timeout = a.number(timeout_name, 30)
    if not 0 <= timeout <= 600:
        raise a.fail(f"has {timeout_name} {timeout:g}; it must be 0 to 600")
    caller_id = a.param("CallerId") or {}
    return TransferToPhone(**a.common(),
                           number=str(a.param("ThirdPartyPhoneNumber", required=True)),
                           timeout_s=timeout,
                           continue_flow=_true(a.param("ContinueFlowExecution", "True")),
                           caller_id=caller_id.get("Number") if isinstance(caller_id, Mapping)
                           else None)


def _module(a: _Action) -> Block:
    return InvokeModule(**a.common(), module=_name(a.param("FlowModuleId", required=True)))


def _end_module(a: _Action) -> Block:
    return EndModule(**a.common())


def _loop_prompts(a: _Action) -> Block:
    messages = a.param("Messages", required=True)
    if not isinstance(messages, list) or not messages:
        raise a.fail("needs Messages: a list of prompts")
    prompts = []
    for message in messages:
        if not isinstance(message, Mapping):
            raise a.fail("has a message that is not an object")
        text = message.get("Text") or message.get("SSML")
        if text is not None:
            prompts.append((strip_markup(str(text)), spoken_seconds(str(text))))
        else:
            prompts.append((strip_markup(str(message.get("PromptId") or "")), AUDIO_PROMPT_S))
    interrupted = [t for _op, operand, t in a.conditions if operand == "MessagesInterrupted"]
    every = a.param("InterruptFrequencySeconds")
    return LoopPrompts(**a.common(), prompts=tuple(prompts),
                       interrupt_s=None if every is None else _number_of(
                           a, every, "InterruptFrequencySeconds"),
                       interrupted=interrupted[0] if interrupted else None)


def _update(a: _Action) -> Block:
    """An action that changes the contact, its values kept as exported."""
    required = _UPDATE_REQUIRED.get(a.type)
    if required is not None and a.param(required) is None:
        raise a.fail(f"needs the parameter {required!r}")
    if a.type == "UpdateContactCallbackNumber" and not is_reference(a.param("CallbackNumber")):
        raise a.fail("has a CallbackNumber that is not a reference such as "
                     "$.StoredCustomerInput (Connect allows only a reference here)")
    if a.type == "UpdateContactRoutingBehavior":
        given = [k for k in ("QueuePriority", "QueueTimeAdjustmentSeconds",
                             "RoutingProficiencies") if k in a.params]
        if len(given) != 1:
            raise a.fail("needs exactly one of QueuePriority, QueueTimeAdjustmentSeconds")
    return UpdateContact(**a.common(), action=a.type, values=dict(a.params))


def _not_simulated(a: _Action) -> Block:
    return NotSimulated(**a.common(), action=a.type)


# The parameter each contact update cannot do without.
_UPDATE_REQUIRED = {
    "UpdateFlowLoggingBehavior": "FlowLoggingBehavior",
    "UpdateContactTextToSpeechVoice": "TextToSpeechVoice",
    "UpdateContactCallbackNumber": "CallbackNumber",
    "TagContact": "Tags",
    "UnTagContact": "TagKeys",
    "UpdateFlowAttributes": "FlowAttributes",
    "UpdatePreviousContactParticipantState": "PreviousContactParticipantState",
    "UpdateContactMediaStreamingBehavior": "MediaStreamingState",
}

#: Actions that change nothing a simulation can show: they pass on to NextAction
#: and leave a FLOW_ACTION event (what they asked for).
PASS_THROUGH = (
    "UpdateFlowLoggingBehavior", "UpdateContactMediaStreamingBehavior",
    "UpdateContactMediaProcessing", "UpdateRoutingCriteria", "UpdateContactRoutingCriteria",
    "UpdatePreviousContactParticipantState", "StartVoiceIdStream",
)
#: Actions of services the testbed does not simulate: recognised, they take
#: their error branch (NoMatchingError) when they run.
NOT_SIMULATED = (
    "CreateCustomerProfile", "GetCustomerProfile", "UpdateCustomerProfile",
    "AssociateContactToCustomerProfile", "GetCustomerProfileObject",
    "GetCalculatedAttributesForCustomerProfile", "CreateCase", "GetCase", "UpdateCase",
    "CreateWisdomSession", "CheckVoiceId", "CheckOutboundCallStatus", "CompleteOutboundCall",
    "StartOutboundChatContact", "ShowView", "ResumeContact", "TransferContactToAgent",
)

_MAPPERS: dict[str, Callable[[_Action], Block]] = {
    "MessageParticipant": _message,
    "GetParticipantInput": _input,
    "UpdateContactAttributes": _attributes,
    "Compare": _compare,
    "UpdateContactTargetQueue": _target_queue,
    "TransferContactToQueue": _transfer,
    "DequeueContactAndTransferToQueue": _queue_to_queue,
    "CreateCallbackContact": _callback,
    "UpdateContactEventHooks": _event_hooks,
    "Loop": _loop,
    "Wait": _wait,
    "CheckMetricData": _metric,
    "TransferToFlow": _to_flow,
    "DisconnectParticipant": _disconnect,
    "EndFlowExecution": _end,
    "CheckHoursOfOperation": _hours,
    "DistributeByPercentage": _distribute,
    "InvokeLambdaFunction": _lambda,
    "ConnectParticipantWithLexBot": _lex,
    "CreateTask": _task,
    "TransferParticipantToThirdParty": _third_party,
    "InvokeFlowModule": _module,
    "EndFlowModuleExecution": _end_module,
    "MessageParticipantIteratively": _loop_prompts,
    **{kind: _update for kind in (
        "UpdateContactRecordingBehavior", "UpdateContactRecordingAndAnalyticsBehavior",
        "UpdateContactTextToSpeechVoice", "UpdateContactData", "UpdateContactRoutingBehavior",
        "UpdateContactCallbackNumber", "TagContact", "UnTagContact", "UpdateFlowAttributes",
        "GetMetricData", *PASS_THROUGH)},
    **{kind: _not_simulated for kind in NOT_SIMULATED},
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
        try:
            action = _Action(raw, source, action_metadata)
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            raise FlowError(f"flow {source!r}: action {str(raw.get('Identifier'))[:80]!r} "
                            f"is malformed ({exc!r})") from None
        mapper = _MAPPERS.get(action.type)
        if mapper is None:
            raise action.fail(f"has unsupported Type {action.type!r}; the testbed supports "
                              f"{', '.join(SUPPORTED_TYPES)}")
        try:
            blocks.append(mapper(action))
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            # A member missing or of the wrong JSON type (Parameters a string, a
            # condition without Condition): name the action, never a traceback.
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
    """(queues, flows) that ``flow`` names (flows include modules and task flows;
    references to contact data and agents' own queues are left out)."""
    queues: set[str] = set()
    flows: set[str] = set()
    for block in flow.blocks.values():
        if isinstance(block, SetWorkingQueue | TransferQueueToQueue) and block.agent:
            continue
        if isinstance(block, SetWorkingQueue | CreateCallback | CheckQueueStatus
                      | TransferQueueToQueue) and block.queue:
            queues.add(block.queue)
        elif isinstance(block, SetEventHook | TransferToFlow | CreateTask):
            flows.add(block.flow)
        elif isinstance(block, InvokeModule):
            flows.add(block.module)
    return ({q for q in queues if not q.startswith("$.")},
            {f for f in flows if not f.startswith("$.")})


def pass_through_blocks(flow: Flow) -> list[tuple[str, str]]:
    """(block id, Type) of the blocks that only leave a trace in the simulation."""
    return [(b.id, b.action) for b in flow.blocks.values()
            if isinstance(b, UpdateContact) and b.action in PASS_THROUGH]


def not_simulated_blocks(flow: Flow) -> list[tuple[str, str]]:
    """(block id, Type) of the blocks that take their error branch in the simulation."""
    return [(b.id, b.action) for b in flow.blocks.values() if isinstance(b, NotSimulated)]


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
