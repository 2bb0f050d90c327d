"""telephony-testbed: a simulated cloud contact centre for Python.

The public API is re-exported here; everything else is an implementation
detail.
"""

from testbed.centre.agent_status import AgentContact, AgentDetail, DesktopState
from testbed.centre.agents import AgentState, QueueRouting, RoutingProfile
from testbed.centre.facade import AgentEndpoint, CallerEndpoint, Testbed
from testbed.centre.routing import QuickConnect
from testbed.core.build import build_info
from testbed.core.clock import (
    REAL_TIME,
    VIRTUAL,
    Cancellable,
    Clock,
    Scheduler,
    TestbedLoop,
    parse_instant,
    run,
)
from testbed.core.errors import ConfigError, FlowError, ProtocolError, StateError, TestbedError
from testbed.core.lines import Line, LineEnd, line_pair
from testbed.flows import (
    CheckQueueStatus,
    Compare,
    Condition,
    CreateCallback,
    Disconnect,
    EndFlow,
    EventHook,
    Flow,
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
from testbed.flows.coverage import FlowCoverage
from testbed.flows.hours import HoursOfOperation
from testbed.flows.lex import Bot, Intent, Slot
from testbed.load.sweep import sweep
from testbed.records.contact_record import (
    AgentInfo,
    ContactEvent,
    ContactRecord,
    DisconnectReason,
    EventKind,
    InitiationMethod,
    QueueInfo,
    records_to_json,
)
from testbed.records.service import RecordService

__version__ = "0.1.0"

__all__ = [
    "REAL_TIME",
    "VIRTUAL",
    "AgentContact",
    "AgentDetail",
    "AgentEndpoint",
    "AgentInfo",
    "AgentState",
    "Bot",
    "CallerEndpoint",
    "Cancellable",
    "CheckQueueStatus",
    "Clock",
    "Compare",
    "Condition",
    "ConfigError",
    "ContactEvent",
    "ContactRecord",
    "CreateCallback",
    "DesktopState",
    "Disconnect",
    "DisconnectReason",
    "EndFlow",
    "EventHook",
    "EventKind",
    "Flow",
    "FlowCoverage",
    "FlowError",
    "GetCustomerInput",
    "HoursOfOperation",
    "InitiationMethod",
    "Intent",
    "Line",
    "LineEnd",
    "Loop",
    "PlayPrompt",
    "ProtocolError",
    "QueueInfo",
    "QueueRouting",
    "QuickConnect",
    "RecordService",
    "RoutingProfile",
    "Scheduler",
    "SetAttributes",
    "SetEventHook",
    "SetWorkingQueue",
    "Slot",
    "StateError",
    "Testbed",
    "TestbedError",
    "TestbedLoop",
    "TransferToFlow",
    "TransferToQueue",
    "Wait",
    "build_info",
    "line_pair",
    "parse_instant",
    "records_to_json",
    "run",
    "sweep",
]
