"""A testbed flow written out in Connect's flow language (Version "2019-10-30").

DescribeContactFlow shows a flow that came with no Connect content (one
built in Python, or loaded from a file before the server started) as this
export: one action per block, with the Type and Parameters the importer
(``testbed.flows.connect``) reads back into the same block, so content
described, changed and sent back with UpdateContactFlowContent runs as
before.  References to the instance's queues, flows, hours and agents are
written as their ARNs, as Connect shows them; references to contact data
(``$.Attributes.queue``) and names the instance does not hold stay as they
are.  Durations Connect's language has no field for (a prompt's length, a
bot's listening time) go to ``Metadata.ActionMetadata.<id>.testbed``, where
the importer reads them; the per-prompt lengths of a LoopPrompts block have
no such place and are left to the importer's rule (150 words a minute, 5 s
for an audio prompt).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from testbed.flows import (
    Block,
    CheckHours,
    CheckQueueStatus,
    Compare,
    Condition,
    CreateCallback,
    CreateTask,
    Disconnect,
    Distribute,
    EndFlow,
    EndModule,
    Flow,
    GetBotInput,
    GetCustomerInput,
    InvokeLambda,
    InvokeModule,
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
    TransferToPhone,
    TransferToQueue,
    UpdateContact,
    Wait,
)
from testbed.flows.connect import FLOW_LANGUAGE_VERSION

__all__ = ["Arns", "NotExportable", "export_flow"]


class NotExportable(Exception):
    """A block of a kind the flow language has no action for (a user's own Block class)."""


@dataclass(frozen=True)
class Arns:
    """Name -> ARN of what a flow may reference, by kind (names not here stay names)."""

    queues: Mapping[str, str]
    flows: Mapping[str, str]
    hours: Mapping[str, str]
    agents: Mapping[str, str]


class _Action:
    """One action being written: Type, Parameters, Conditions, testbed settings."""

    def __init__(self, kind: str, parameters: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.parameters = parameters or {}
        self.conditions: list[tuple[str, str, str]] = []  # (operator, operand, target)
        self.testbed: dict[str, Any] = {}
        self.next_is_condition: str | None = None  # Loop / Wait: next is a condition


def _n(value: float) -> str:
    """A number as Connect's exports write it: a string, whole numbers without a point."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _text(parameters: dict[str, Any], text: str) -> dict[str, Any]:
    parameters["SSML" if text.lstrip().startswith("<speak") else "Text"] = text
    return parameters


def _ref(names: Mapping[str, str], value: str) -> str:
    return names.get(value, value)


def _conditions(action: _Action, conditions: tuple[Condition, ...]) -> _Action:
    action.conditions = [(c.operator, c.operand, c.target) for c in conditions]
    return action


def _prompt(block: PlayPrompt, arns: Arns) -> _Action:
    action = _Action("MessageParticipant", _text({}, block.text))
    if block.duration_s is not None:
        action.testbed["duration_s"] = block.duration_s
    return action


def _input(block: GetCustomerInput, arns: Arns) -> _Action:
    action = _Action("GetParticipantInput", _text({"StoreInput": "False",
                                                   "InputTimeLimitSeconds": _n(block.timeout_s)},
                                                  block.text))
    action.conditions = [("Equals", digits, target) for digits, target in block.conditions.items()]
    if block.duration_s is not None:
        action.testbed["duration_s"] = block.duration_s
    return action


def _store_input(block: StoreCustomerInput, arns: Arns) -> _Action:
    validation: dict[str, Any] = {"CustomValidation": {"MaximumLength": _n(block.max_digits)}}
    if block.phone_format is not None:
        phone = {"NumberFormat": block.phone_format}
        if block.country_code is not None:
            phone["CountryCode"] = block.country_code
        validation["PhoneNumberValidation"] = phone
    action = _Action("GetParticipantInput", _text({
        "StoreInput": "True", "InputTimeLimitSeconds": _n(block.timeout_s),
        "InputValidation": validation,
        "DTMFConfiguration": {"InputTerminationSequence": block.terminator}}, block.text))
    if block.duration_s is not None:
        action.testbed["duration_s"] = block.duration_s
    return action


def _attributes(block: SetAttributes, arns: Arns) -> _Action:
    return _Action("UpdateContactAttributes", {"Attributes": dict(block.attributes),
                                               "TargetContact": "Current"})


def _queue_or_agent(queue: str, agent: bool, arns: Arns) -> dict[str, Any]:
    if agent:
        return {"AgentId": _ref(arns.agents, queue)}
    return {"QueueId": _ref(arns.queues, queue)}


def _working_queue(block: SetWorkingQueue, arns: Arns) -> _Action:
    return _Action("UpdateContactTargetQueue", _queue_or_agent(block.queue, block.agent, arns))


def _to_queue(block: TransferToQueue, arns: Arns) -> _Action:
    return _Action("TransferContactToQueue")


def _queue_to_queue(block: TransferQueueToQueue, arns: Arns) -> _Action:
    return _Action("DequeueContactAndTransferToQueue",
                   _queue_or_agent(block.queue, block.agent, arns))


def _hook(block: SetEventHook, arns: Arns) -> _Action:
    return _Action("UpdateContactEventHooks",
                   {"EventHooks": {str(block.hook): _ref(arns.flows, block.flow)}})


def _callback(block: CreateCallback, arns: Arns) -> _Action:
    parameters = {"InitialCallDelaySeconds": _n(block.initial_delay_s),
                  "MaximumConnectionAttempts": _n(block.max_retries + 1),
                  "RetryDelaySeconds": _n(block.retry_interval_s)}
    if block.queue is not None:
        parameters["QueueId"] = _ref(arns.queues, block.queue)
    return _Action("CreateCallbackContact", parameters)


def _compare(block: Compare, arns: Arns) -> _Action:
    return _conditions(_Action("Compare", {"ComparisonValue": block.value}), block.conditions)


def _loop(block: Loop, arns: Arns) -> _Action:
    action = _Action("Loop", {"LoopCount": _n(block.count)})
    if block.loop is not None:
        action.conditions.append(("Equals", "ContinueLooping", block.loop))
    action.next_is_condition = "DoneLooping"
    return action


def _wait(block: Wait, arns: Arns) -> _Action:
    action = _Action("Wait", {"TimeoutSeconds": _n(block.duration_s)})
    action.next_is_condition = "WaitCompleted"
    return action


def _metric(block: CheckQueueStatus, arns: Arns) -> _Action:
    parameters = {"MetricType": block.metric}
    if block.queue is not None:
        parameters["QueueId"] = _ref(arns.queues, block.queue)
    return _conditions(_Action("CheckMetricData", parameters), block.conditions)


def _to_flow(block: TransferToFlow, arns: Arns) -> _Action:
    return _Action("TransferToFlow", {"ContactFlowId": _ref(arns.flows, block.flow)})


def _distribute(block: Distribute, arns: Arns) -> _Action:
    return _conditions(_Action("DistributeByPercentage"), block.conditions)


def _loop_prompts(block: LoopPrompts, arns: Arns) -> _Action:
    parameters: dict[str, Any] = {"Messages": [_text({}, text) for text, _s in block.prompts]}
    if block.interrupt_s is not None:
        parameters["InterruptFrequencySeconds"] = _n(block.interrupt_s)
    action = _Action("MessageParticipantIteratively", parameters)
    if block.interrupted is not None:
        action.conditions.append(("Equals", "MessagesInterrupted", block.interrupted))
    return action


def _update(block: UpdateContact, arns: Arns) -> _Action:
    return _Action(block.action, dict(block.values))


def _not_simulated(block: NotSimulated, arns: Arns) -> _Action:
    return _Action(block.action)


def _lambda(block: InvokeLambda, arns: Arns) -> _Action:
    return _Action("InvokeLambdaFunction", {
        "LambdaFunctionARN": block.function,
        "InvocationTimeLimitSeconds": _n(block.time_limit_s),
        "InvocationType": block.invocation_type,
        "ResponseValidation": {"ResponseType": block.response_type},
        "LambdaInvocationAttributes": dict(block.parameters)})


def _bot(block: GetBotInput, arns: Arns) -> _Action:
    action = _Action("ConnectParticipantWithLexBot", _text({
        "LexV2Bot": {"AliasArn": block.bot},
        "LexSessionAttributes": dict(block.session_attributes)}, block.text))
    action.conditions = [("Equals", intent, target) for intent, target in block.intents.items()]
    action.testbed["timeout_s"] = block.timeout_s
    if block.duration_s is not None:
        action.testbed["duration_s"] = block.duration_s
    return action


def _hours(block: CheckHours, arns: Arns) -> _Action:
    parameters = {} if block.hours is None else {
        "HoursOfOperationId": _ref(arns.hours, block.hours)}
    return _conditions(_Action("CheckHoursOfOperation", parameters), block.conditions)


def _task(block: CreateTask, arns: Arns) -> _Action:
    return _Action("CreateTask", {
        "ContactFlowId": _ref(arns.flows, block.flow), "Name": block.name,
        "Description": block.description, "Attributes": dict(block.attributes),
        "DelaySeconds": _n(block.delay_s)})


def _phone(block: TransferToPhone, arns: Arns) -> _Action:
    parameters: dict[str, Any] = {
        "ThirdPartyPhoneNumber": block.number,
        "ThirdPartyConnectionTimeLimitSeconds": _n(block.timeout_s),
        "ContinueFlowExecution": "True" if block.continue_flow else "False"}
    if block.caller_id is not None:
        parameters["CallerId"] = {"Number": block.caller_id}
    return _Action("TransferParticipantToThirdParty", parameters)


def _module(block: InvokeModule, arns: Arns) -> _Action:
    return _Action("InvokeFlowModule", {"FlowModuleId": _ref(arns.flows, block.module)})


_WRITERS: dict[type[Block], Callable[[Any, Arns], _Action]] = {
    PlayPrompt: _prompt, GetCustomerInput: _input, StoreCustomerInput: _store_input,
    SetAttributes: _attributes, SetWorkingQueue: _working_queue, TransferToQueue: _to_queue,
    TransferQueueToQueue: _queue_to_queue, SetEventHook: _hook, CreateCallback: _callback,
    Disconnect: lambda b, a: _Action("DisconnectParticipant"),
    EndFlow: lambda b, a: _Action("EndFlowExecution"),
    Compare: _compare, Loop: _loop, Wait: _wait, CheckQueueStatus: _metric,
    TransferToFlow: _to_flow, Distribute: _distribute, LoopPrompts: _loop_prompts,
    UpdateContact: _update, NotSimulated: _not_simulated, InvokeLambda: _lambda,
    GetBotInput: _bot, CheckHours: _hours, CreateTask: _task, TransferToPhone: _phone,
    InvokeModule: _module, EndModule: lambda b, a: _Action("EndFlowModuleExecution"),
}


def _action_json(block: Block, action: _Action) -> dict[str, Any]:
    transitions: dict[str, Any] = {}
    conditions = list(action.conditions)
    if block.next is not None:
        if action.next_is_condition is not None:
            conditions.append(("Equals", action.next_is_condition, block.next))
        else:
            transitions["NextAction"] = block.next
    if block.errors:
        transitions["Errors"] = [{"NextAction": target, "ErrorType": name}
                                 for name, target in block.errors.items()]
    if conditions:
        transitions["Conditions"] = [
            {"NextAction": target, "Condition": {"Operator": operator, "Operands": [operand]}}
            for operator, operand, target in conditions]
    return {"Identifier": block.id, "Type": action.kind, "Parameters": action.parameters,
            "Transitions": transitions}


def export_flow(flow: Flow, arns: Arns) -> str:
    """``flow`` as flow-language JSON text; NotExportable names a block it cannot write."""
    actions = []
    settings: dict[str, Any] = {}
    for block in flow.blocks.values():
        writer = _WRITERS.get(type(block))
        if writer is None:
            raise NotExportable(f"flow {flow.name!r}: block {block.id!r} is a "
                                f"{type(block).__name__}, which has no flow-language action")
        action = writer(block, arns)
        actions.append(_action_json(block, action))
        if action.testbed:
            settings[block.id] = {"testbed": action.testbed}
    document: dict[str, Any] = {"Version": FLOW_LANGUAGE_VERSION, "StartAction": flow.start}
    if settings:
        document["Metadata"] = {"ActionMetadata": settings}
    document["Actions"] = actions
    return json.dumps(document, separators=(",", ":"))
