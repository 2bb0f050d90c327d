"""Flows as data: blocks with transitions, and the interpreter that runs them."""

from testbed.flows.blocks import (
    Block,
    CreateCallback,
    Disconnect,
    EndFlow,
    EventHook,
    GetCustomerInput,
    PlayPrompt,
    SetAttributes,
    SetEventHook,
    SetWorkingQueue,
    TransferToQueue,
)
from testbed.flows.flow import Flow
from testbed.flows.interpreter import FlowHost, FlowRun, Participant

__all__ = [
    "Block",
    "CreateCallback",
    "Disconnect",
    "EndFlow",
    "EventHook",
    "Flow",
    "FlowHost",
    "FlowRun",
    "GetCustomerInput",
    "Participant",
    "PlayPrompt",
    "SetAttributes",
    "SetEventHook",
    "SetWorkingQueue",
    "TransferToQueue",
]
