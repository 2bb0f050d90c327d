"""Cold transfers by agents with quick connects, a part of the Switchboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from testbed.centre.agents import Agent
from testbed.centre.contacts import Contact, ContactState
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.core.messages import Disconnected, Transferred
from testbed.core.native import trait
from testbed.flows import Participant
from testbed.records.contact_record import DisconnectReason, EventKind, InitiationMethod

# Enum members read on the hot path, as Final names: the compiled build reads
# these as constants (an enum class's attribute is a dictionary lookup there).
_PARTY_CUSTOMER: Final = Participant.CUSTOMER
_QUICK_CONNECT: Final = EventKind.QUICK_CONNECT
_RESUME: Final = EventKind.RESUME
_STATE_ON_HOLD: Final = ContactState.ON_HOLD
_STATE_TRANSFERRING: Final = ContactState.TRANSFERRING
_TELECOM_UNANSWERED: Final = DisconnectReason.TELECOM_UNANSWERED
_TRANSFER: Final = InitiationMethod.TRANSFER
_TRANSFERRED: Final = EventKind.TRANSFERRED

_AGENT_DISCONNECT: Final = DisconnectReason.AGENT_DISCONNECT

__all__ = ["QuickConnect", "Transfers"]


@dataclass(frozen=True, slots=True)
class QuickConnect:
    """A transfer destination agents pick by name, as Connect's quick connects.

    Exactly one target: ``queue`` (a queue quick connect), ``agent`` (a user quick
    connect: the agent's own queue ``agent/USERNAME``) or ``number`` (an outside
    phone number).  Queue and agent quick connects name the ``flow`` the new
    contact runs (Connect's transfer-to-queue and transfer-to-agent flows), its
    working queue already set to the target; a number quick connect runs none.
    """

    name: str
    queue: str | None = None
    agent: str | None = None
    number: str | None = None
    flow: str | None = None

    @property
    def target(self) -> tuple[str, str]:
        """``("queue" | "agent" | "number", the queue, username or number)``."""
        if self.queue is not None:
            return "queue", self.queue
        if self.agent is not None:
            return "agent", self.agent
        return "number", self.number or ""


@trait
class Transfers:
    """Cold transfers by agents, a part of the Switchboard (see docs/routing.md).

    To a queue or an agent: the agent's contact ends (AGENT_DISCONNECT, its
    TransferCompletedTimestamp set) and a new contact of the same customer
    (InitiationMethod TRANSFER) runs the quick connect's flow.  To an outside
    number: the contact goes on with the customer and the outside party, the
    agent leaves to after-contact work.
    """

    def _transfer(self: SwitchboardCore, agent: Agent, contact: Contact,
                  quick: QuickConnect) -> None:
        kind, target = quick.target
        self._log(contact.id, _QUICK_CONNECT, (quick.name, agent.username, kind, target))
        if quick.number is not None:
            self._transfer_out(agent, contact, quick.number)
            return
        phone = contact.phone
        # The customer is on the line already: connected to the system from the start.
        new = self._transfer_leg(contact, quick, on_line=True)
        self._log(contact.id, _TRANSFERRED, None)
        # The customer stays on the line: only the agent hears that this leg ended.
        contact.customer_on_line = False
        self._end(contact, _AGENT_DISCONNECT)
        phone.line.send(Transferred(contact.id, new.id))
        assert quick.flow is not None
        self._run_flow(new, self.flows[quick.flow], _PARTY_CUSTOMER)

    def _transfer_leg(self: SwitchboardCore, contact: Contact, quick: QuickConnect,
                      on_line: bool) -> Contact:
        """The TRANSFER contact a queue or agent quick connect makes from ``contact``,
        its working queue the target (an agent's own queue, made on first use)."""
        if quick.agent is not None:
            self.agent_queue(quick.agent)
            queue = f"agent/{quick.agent}"
        else:
            assert quick.queue is not None
            queue = quick.queue
        return self._next_leg(contact, _TRANSFER, queue,
                              customer=contact.dial_number, on_line=on_line)

    def _transfer_out(self: SwitchboardCore, agent: Agent, contact: Contact,
                      number: str) -> None:
        """Ring ``number`` for the customer; the agent leaves to after-contact work."""
        if contact.state is _STATE_ON_HOLD:  # the hold ends as the agent leaves
            contact.stop_flow()
            contact.stop_agent_flow()
            self._log(contact.id, _RESUME, agent.username)
        contact.agent = None
        contact.left_agent = agent
        agent.line.send(Disconnected(contact.id, _AGENT_DISCONNECT))
        self._start_acw(agent, contact)
        contact.state = _STATE_TRANSFERRING
        contact.timer = self.call_later(self.ring_timeout_s, self._transfer_unanswered, contact)
        self._ring_third_party(contact, number)

    def _transfer_unanswered(self: SwitchboardCore, contact: Contact) -> None:
        contact.timer = None
        self._drop_third_party(contact, "NO_ANSWER")
        self._end(contact, _TELECOM_UNANSWERED)
