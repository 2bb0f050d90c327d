"""What agents do on a connected call, a part of the Switchboard: hold and resume, mute
and unmute, and the transfer and consult messages (``transfers`` and ``consults`` do
the work).

Each action checks that the contact is the agent's and connected to them (talking
or on hold) and that it fits the call's state; a refused action raises StateError
or ProtocolError, which the switchboard answers with an ``error``, and changes
nothing.
"""

from __future__ import annotations

from typing import Final

from testbed.centre.agents import Agent
from testbed.centre.contacts import Contact, ContactState
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.centre.transfers import QuickConnect
from testbed.core.errors import ProtocolError, StateError
from testbed.core.messages import (
    MUTE_PARTICIPANTS,
    CancelConsult,
    CompleteTransfer,
    Conference,
    Consult,
    Held,
    Hold,
    Message,
    Mute,
    Muted,
    Resume,
    Resumed,
    Transfer,
    Unmute,
    Unmuted,
)
from testbed.core.native import trait
from testbed.flows import EventHook, FlowRun, Participant
from testbed.records.contact_record import EventKind

# Enum members read on the hot path, as Final names: the compiled build reads
# these as constants (an enum class's attribute is a dictionary lookup there).
_HOLD: Final = EventKind.HOLD
_HOOK_AGENT_HOLD: Final = EventHook.AGENT_HOLD
_HOOK_CUSTOMER_HOLD: Final = EventHook.CUSTOMER_HOLD
_MUTE: Final = EventKind.MUTE
_PARTY_AGENT: Final = Participant.AGENT
_PARTY_CUSTOMER: Final = Participant.CUSTOMER
_RESUME: Final = EventKind.RESUME
_UNMUTE: Final = EventKind.UNMUTE

__all__ = ["CallActions"]

_CONNECTED: Final = ContactState.CONNECTED
_ON_HOLD: Final = ContactState.ON_HOLD


@trait
class CallActions:
    """Agent actions on a connected call: methods of the Switchboard."""

    def _connected(self: SwitchboardCore, agent: Agent, contact_id: str, action: str) -> Contact:
        """The agent's contact ``contact_id``, connected to them (talking or on hold)."""
        contact = self._own(agent, contact_id)
        state = contact.state
        if contact.agent is not agent or (state is not _CONNECTED and state is not _ON_HOLD):
            raise StateError(f"contact {contact_id!r} is not connected to agent "
                             f"{agent.username!r} now; {action} needs a connected call")
        return contact

    def _on_hold(self: SwitchboardCore, agent: Agent, message: Hold) -> None:
        """Put the customer on hold: they hear the contact's CustomerHold flow, if it has
        one (silence otherwise), until the agent resumes or either side hangs up."""
        contact = self._connected(agent, message.contact_id, "hold")
        if contact.state is _ON_HOLD:
            raise StateError(f"contact {contact.id!r} is on hold already")
        if contact.leg is not None:
            raise StateError(f"contact {contact.id!r} has a consult under way")
        self._put_on_hold(agent, contact)

    def _put_on_hold(self: SwitchboardCore, agent: Agent, contact: Contact,
                     consult: bool = False) -> None:
        """The customer hears the contact's CustomerHold flow and, unless the hold is a
        consult's (the agent is dialling or talking to the consulted party), the agent
        hears its AgentHold flow; either may be missing (silence)."""
        contact.state = _ON_HOLD
        self._log(contact.id, _HOLD, agent.username)
        held = Held(contact.id)
        agent.line.send(held)
        contact.phone.line.send(held)
        hooks = contact.hooks
        flow_name = hooks.get(_HOOK_CUSTOMER_HOLD)
        flow = None if flow_name is None else self.flows.get(flow_name)
        if flow is not None:
            self._run_flow(contact, flow, _PARTY_CUSTOMER)
        flow_name = None if consult else hooks.get(_HOOK_AGENT_HOLD)
        flow = None if flow_name is None else self.flows.get(flow_name)
        if flow is not None and contact.state is _ON_HOLD:  # the customer's flow may end it
            run = contact.agent_run = FlowRun(self, flow, contact, _PARTY_AGENT,
                                              self.flow_coverage)
            run.start()

    def _on_resume(self: SwitchboardCore, agent: Agent, message: Resume) -> None:
        contact = self._connected(agent, message.contact_id, "resume")
        if contact.state is not _ON_HOLD:
            raise StateError(f"contact {contact.id!r} is not on hold")
        if contact.leg is not None:
            raise StateError(f"contact {contact.id!r} has a consult under way; "
                             f"cancel_consult resumes the customer")
        self._take_off_hold(agent, contact)

    def _take_off_hold(self: SwitchboardCore, agent: Agent, contact: Contact,
                       notify: bool = True) -> None:
        """End the hold: the hold flows stop, RESUME is logged; with ``notify``, both
        parties hear ``resumed``."""
        contact.stop_flow()
        contact.stop_agent_flow()
        contact.state = _CONNECTED
        self._log(contact.id, _RESUME, agent.username)
        if notify:
            resumed = Resumed(contact.id)
            agent.line.send(resumed)
            contact.phone.line.send(resumed)

    def _on_mute(self: SwitchboardCore, agent: Agent, message: Mute) -> None:
        self._mute(agent, message.contact_id, message.participant, True)

    def _on_unmute(self: SwitchboardCore, agent: Agent, message: Unmute) -> None:
        self._mute(agent, message.contact_id, message.participant, False)

    def _mute(self: SwitchboardCore, agent: Agent, contact_id: str, participant: str,
              mute: bool) -> None:
        """Mute or unmute ``participant`` ("agent": the agent's microphone; "customer":
        the customer's audio); a state change only, recorded as MUTE / UNMUTE."""
        if participant not in MUTE_PARTICIPANTS:
            raise ProtocolError(f"{'mute' if mute else 'unmute'}: field 'participant' must be "
                                f"one of {', '.join(map(repr, MUTE_PARTICIPANTS))}, got "
                                f"{participant!r}", field="participant")
        contact = self._connected(agent, contact_id, "mute" if mute else "unmute")
        data = self._data(contact)
        if (participant in data.muted) == mute:
            raise StateError(f"contact {contact_id!r}: the {participant} is "
                             f"{'muted' if mute else 'not muted'} already")
        if mute:
            data.muted = data.muted | {participant}
            self._log(contact.id, _MUTE, (agent.username, participant))
            note: Message = Muted(contact.id, participant)
        else:
            data.muted = data.muted - {participant}
            self._log(contact.id, _UNMUTE, (agent.username, participant))
            note = Unmuted(contact.id, participant)
        agent.line.send(note)
        contact.phone.line.send(note)

    def _on_transfer(self: SwitchboardCore, agent: Agent, message: Transfer) -> None:
        """A cold transfer of the agent's connected contact with a quick connect."""
        quick = self._quick_connect("transfer", message.quick_connect)
        contact = self._connected(agent, message.contact_id, "transfer")
        if contact.leg is not None:
            raise StateError(f"contact {contact.id!r} has a consult under way; "
                             f"complete_transfer completes it")
        self._transfer(agent, contact, quick)

    def _on_consult(self: SwitchboardCore, agent: Agent, message: Consult) -> None:
        """Hold the customer and call a quick connect on a consult leg."""
        quick = self._quick_connect("consult", message.quick_connect)
        self._consult(agent, self._connected(agent, message.contact_id, "consult"), quick)

    def _quick_connect(self: SwitchboardCore, action: str, name: str) -> QuickConnect:
        """The quick connect ``name``; ProtocolError naming the field if there is none."""
        quick = self.quick_connects.get(name)
        if quick is None:
            raise ProtocolError(f"{action}: no quick connect named {name!r}; known: "
                                f"{', '.join(sorted(self.quick_connects)) or 'none'}",
                                field="quick_connect")
        return quick

    def _on_complete_transfer(self: SwitchboardCore, agent: Agent,
                              message: CompleteTransfer) -> None:
        self._complete_transfer(self._connected(agent, message.contact_id,
                                                "complete_transfer"))

    def _on_conference(self: SwitchboardCore, agent: Agent, message: Conference) -> None:
        self._conference(agent, self._connected(agent, message.contact_id, "conference"))

    def _on_cancel_consult(self: SwitchboardCore, agent: Agent, message: CancelConsult) -> None:
        self._cancel_consult(agent, self._connected(agent, message.contact_id,
                                                    "cancel_consult"))
