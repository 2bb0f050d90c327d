"""A contact's live state inside the switchboard, and the caller phones it belongs to.

This is working state, not the record: the record is folded from the event
log.  A contact is a slotted object that holds at most one timer handle and
one flow run at a time, so a waiting contact costs no task.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from testbed.clock import Cancellable
from testbed.flows.blocks import CreateCallback
from testbed.lines import LineEnd
from testbed.records import InitiationMethod

if TYPE_CHECKING:
    from testbed.agents import Agent
    from testbed.flows.interpreter import FlowRun
    from testbed.queues import Queue

__all__ = ["Contact", "ContactState", "Phone"]


class ContactState(IntEnum):
    IN_FLOW = 1      # an inbound flow is running
    SCHEDULED = 2    # a callback waits its initial delay
    QUEUED = 3       # waiting for an agent (maybe offered to one)
    CONNECTING = 4   # accepted: whispers play
    RINGING = 5      # a callback dials the customer
    CONNECTED = 6    # customer and agent talk
    ENDED = 7


class Phone:
    """A caller's line, known to the switchboard by its number."""

    __slots__ = ("contacts", "line", "number", "transient")

    def __init__(self, number: str, line: LineEnd, transient: bool = False) -> None:
        self.number = number
        self.line = line
        self.contacts: dict[str, Contact] = {}
        #: Hung up for good once no contact is left (see Switchboard.connect_phone).
        self.transient = transient


class Contact:
    """One leg of a customer interaction, while it lives."""

    __slots__ = ("agent", "attempts", "attributes", "callback", "customer_on_line",
                 "enqueued_at", "hooks", "id", "method", "offered_to", "phone", "queue",
                 "queue_name", "queue_stamp", "run", "seq", "state", "system_endpoint", "timer",
                 "waiting_since")

    def __init__(self, contact_id: str, seq: int, method: InitiationMethod, phone: Phone) -> None:
        self.id = contact_id
        self.seq = seq
        self.method = method
        self.phone = phone
        self.state = ContactState.IN_FLOW
        self.customer_on_line = method is not InitiationMethod.CALLBACK
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
        self.timer: Cancellable | None = None
        self.hooks: dict[str, str] = {}
        self.attributes: dict[str, str] = {}
        self.callback: CreateCallback | None = None
        self.attempts = 0                        # callback dial-outs so far
        self.system_endpoint: str | None = None  # the number the customer reached

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
