"""Flows as data: blocks with transitions, and the interpreter that runs them."""

from testbed.flows.blocks import (
    OPERATORS,
    Block,
    CheckQueueStatus,
    Compare,
    Condition,
    CreateCallback,
    Disconnect,
    EndFlow,
    EventHook,
    GetCustomerInput,
    Loop,
    PlayPrompt,
    SetAttributes,
    SetEventHook,
    SetWorkingQueue,
    TransferToFlow,
    TransferToQueue,
    Wait,
)
from testbed.flows.flow import Flow
from testbed.flows.interpreter import FlowHost, FlowRun, Participant

__all__ = [
    "OPERATORS",
    "Block",
    "CheckQueueStatus",
    "Compare",
    "Condition",
    "CreateCallback",
    "Disconnect",
    "EndFlow",
    "EventHook",
    "Flow",
    "FlowHost",
    "FlowRun",
    "GetCustomerInput",
    "Loop",
    "Participant",
    "PlayPrompt",
    "SetAttributes",
    "SetEventHook",
    "SetWorkingQueue",
    "TransferToFlow",
    "TransferToQueue",
    "Wait",
]
