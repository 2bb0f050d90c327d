"""A contact's live state inside the switchboard, and the caller phones it belongs to.

This is working state, not the record: the record is folded from the event
log.  A contact is a slotted object that holds at most one timer handle and
one flow run at a time, so a waiting contact costs no task.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any, Final

from testbed.core.clock import Cancellable
from testbed.core.lines import LineEnd
from testbed.flows.blocks import CreateCallback
from testbed.records.contact_record import InitiationMethod

if TYPE_CHECKING:
    from testbed.centre.agents import Agent
    from testbed.centre.queues import Queue
    from testbed.flows.interpreter import FlowRun

__all__ = ["Contact", "ContactData", "ContactState", "Phone"]


class ContactState(IntEnum):
    IN_FLOW = 1      # an inbound flow is running
    SCHEDULED = 2    # a callback waits its initial delay
    QUEUED = 3       # waiting for an agent (maybe offered to one)
    CONNECTING = 4   # accepted: whispers play
    RINGING = 5      # a callback dials the customer
    CONNECTED = 6    # customer and agent talk
    ENDED = 7
    THIRD_PARTY = 8  # transferred: the customer talks to an outside number
    ON_HOLD = 9      # connected, the agent has put the customer on hold
    TRANSFERRING = 10  # an agent transferred it to an outside number, which rings


# Members read on the hot path, as Final names: the compiled build reads these
# as constants (an enum class's attribute is a dictionary lookup there).
_CALLBACK: Final = InitiationMethod.CALLBACK
_STATE_IN_FLOW: Final = ContactState.IN_FLOW


class Phone:
    """A caller's line, known to the switchboard by its number."""

    __slots__ = ("_legs", "contacts", "line", "number", "transient")

    def __init__(self, number: str, line: LineEnd, transient: bool = False) -> None:
        self.number = number
        self.line = line
        self.contacts: dict[str, Contact] = {}
        #: Hung up for good once no contact is left (see Switchboard.connect_phone).
        self.transient = transient
        self._legs: dict[str, Contact] | None = None

    @property
    def legs(self) -> dict[str, Contact]:
        """Contacts this phone is the outside party of (a transfer to its number)."""
        if self._legs is None:
            self._legs = {}
        return self._legs


class ContactData:
    """What flows set on a contact beyond its attributes: made on first use, so a
    contact whose flows set nothing costs nothing more."""

    __slots__ = ("callback_number", "customer_id", "description", "external", "flow_attributes",
                 "invocation_id", "invocations", "language_code", "lex", "metrics", "muted", "name",
                 "references", "stored_input", "tags", "voice")

    def __init__(self) -> None:
        self.external: dict[str, Any] = {}          # $.External: the last Lambda's answer
        self.lex: Any = None                        # $.Lex: the last bot's LexResult
        self.stored_input: str | None = None        # $.StoredCustomerInput
        self.flow_attributes: dict[str, str] = {}   # $.FlowAttributes
        self.metrics: dict[str, Any] = {}           # $.Metrics (GetMetricData)
        self.tags: dict[str, str] = {}
        self.references: dict[str, Any] = {}
        self.voice: str | None = None               # $.TextToSpeechVoiceId, if set
        self.language_code = "en-US"
        self.name: str | None = None
        self.description: str | None = None
        self.customer_id: str | None = None
        self.callback_number: str | None = None     # UpdateContactCallbackNumber
        self.invocation_id: str | None = None       # $.LambdaInvocation.InvocationId
        self.invocations = 0
        self.muted: frozenset[str] = frozenset()    # who is muted: "agent", "customer"


class Contact:
    """One leg of a customer interaction, while it lives."""

    __slots__ = ("age_adjust_s", "agent", "agent_run", "attempts", "attributes", "callback",
                 "customer_on_line", "data", "dial_number", "enqueued_at", "hooks", "id",
                 "initial_id", "left_agent", "leg", "method", "offered_to", "phone", "previous_id",
                 "priority", "queue", "queue_name", "queue_stamp", "related_id", "run", "seq",
                 "state", "system_endpoint", "third", "third_number", "timer", "waiting_since")

    def __init__(self, contact_id: str, seq: int, method: InitiationMethod, phone: Phone) -> None:
        self.id = contact_id
        self.seq = seq
        self.method = method
        self.phone = phone
        self.state = _STATE_IN_FLOW
        self.customer_on_line = method is not _CALLBACK
        self.queue_name: str | None = None       # working queue
        self.queue: Queue | None = None          # the queue it waits in now
        self.queue_stamp = 0                     # bumped at each enqueue
        self.enqueued_at = 0.0
        # Its place in line: the enqueue time, or for a callback the time its
        # caller first queued (a callback keeps the caller's place).
        self.waiting_since: float | None = None
        self.offered_to: Agent | None = None
        self.agent: Agent | None = None          # the agent who accepted it
        self.run: FlowRun | None = None          # the flow running for it now
        #: The agent hold flow playing to the agent while the customer is on hold.
        self.agent_run: FlowRun | None = None
        self.timer: Cancellable | None = None
        self.hooks: dict[str, str] = {}
        self.attributes: dict[str, str] = {}
        self.callback: CreateCallback | None = None
        self.attempts = 0                        # callback dial-outs so far
        self.system_endpoint: str | None = None  # the number the customer reached
        self.initial_id = contact_id             # the first contact of its chain
        self.previous_id: str | None = None
        self.related_id: str | None = None       # a task's creator
        self.priority = 5                        # routing priority: 1 goes first
        self.age_adjust_s = 0.0                  # routed as if it had waited this much longer
        self.data: ContactData | None = None
        self.dial_number: str | None = None      # a callback to another number
        self.third: Phone | None = None          # the outside party it is transferred to
        self.third_number: str | None = None
        #: The agent who transferred it to an outside number and left (in their
        #: after-contact work while the customer talks on).
        self.left_agent: Agent | None = None
        #: A consult: on the first contact its consult leg, on the leg the first contact.
        self.leg: Contact | None = None

    def __repr__(self) -> str:
        return f"<Contact {self.id[:8]} {self.method} {self.state.name}>"

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def stop_flow(self) -> None:
        if self.run is not None:
            self.run.stop()
            self.run = None

    def stop_agent_flow(self) -> None:
        if self.agent_run is not None:
            self.agent_run.stop()
            self.agent_run = None
