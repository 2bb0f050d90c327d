"""Consults by agents: warm transfers and conferences, a part of the Switchboard.

A consult of an agent or a queue makes a TRANSFER leg that queues for a second
agent; a consult of an outside number makes an EXTERNAL_OUTBOUND leg that rings
the number.  Either way the first agent then completes the transfer, joins all
three or cancels; see docs/routing.md for who may hang up on whom.
"""

from __future__ import annotations

from typing import Final

from testbed.centre.agents import Agent
from testbed.centre.contacts import Contact, ContactState
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.centre.transfers import QuickConnect
from testbed.core.errors import StateError
from testbed.core.messages import Conferenced, Connected, Consulting, Disconnected, Transferred
from testbed.core.native import trait
from testbed.flows import Participant
from testbed.records.contact_record import DisconnectReason, EventKind, InitiationMethod

# Enum members read on the hot path, as Final names: the compiled build reads
# these as constants (an enum class's attribute is a dictionary lookup there).
_CONFERENCE: Final = EventKind.CONFERENCE
_CONNECTED_TO_AGENT: Final = EventKind.CONNECTED_TO_AGENT
_CONNECTED_TO_SYSTEM: Final = EventKind.CONNECTED_TO_SYSTEM
_CONSULT_LEG: Final = EventKind.CONSULT_LEG
_EXTERNAL_OUTBOUND: Final = InitiationMethod.EXTERNAL_OUTBOUND
_JOINED: Final = EventKind.JOINED
_PARTY_CUSTOMER: Final = Participant.CUSTOMER
_QUICK_CONNECT: Final = EventKind.QUICK_CONNECT
_STATE_CONNECTED: Final = ContactState.CONNECTED
_STATE_ENDED: Final = ContactState.ENDED
_STATE_THIRD_PARTY: Final = ContactState.THIRD_PARTY
_STATE_TRANSFERRING: Final = ContactState.TRANSFERRING
_TELECOM_UNANSWERED: Final = DisconnectReason.TELECOM_UNANSWERED
_TRANSFERRED: Final = EventKind.TRANSFERRED

_AGENT_DISCONNECT: Final = DisconnectReason.AGENT_DISCONNECT
_CUSTOMER_DISCONNECT: Final = DisconnectReason.CUSTOMER_DISCONNECT
_THIRD_PARTY_DISCONNECT: Final = DisconnectReason.THIRD_PARTY_DISCONNECT

__all__ = ["Consults"]


@trait
class Consults:
    """Consults by agents (warm transfers and conferences), a part of the Switchboard.

    The agent's contact (the first leg) puts its customer on hold and a new contact
    (the consult leg, PreviousContactId the first) calls the second party without the
    customer: for an agent or a queue a TRANSFER leg runs the quick connect's flow and
    queues; for an outside number an EXTERNAL_OUTBOUND leg rings it.  Once the second
    party joins (an agent takes the leg, the number answers), the agent talks with them;
    then completes the transfer (the agent leaves, the customer joins the leg), joins
    all three (a conference), or drops the leg and resumes.  ``contact.leg`` links the
    two live legs; the outside party of a leg is its ``third``.
    """

    def _consult(self: SwitchboardCore, agent: Agent, contact: Contact,
                 quick: QuickConnect) -> None:
        if contact.leg is not None:
            raise StateError(f"contact {contact.id!r}: a consult is under way already")
        kind, target = quick.target
        self._log(contact.id, _QUICK_CONNECT, (quick.name, agent.username, kind, target))
        if contact.state is _STATE_CONNECTED:
            self._put_on_hold(agent, contact, consult=True)
        number = quick.number
        if number is None:
            leg = self._transfer_leg(contact, quick, on_line=True)
        else:  # the outside party's record: its number is the leg's CustomerEndpoint
            leg = self._next_leg(contact, _EXTERNAL_OUTBOUND,
                                 contact.queue_name or "", customer=number)
        leg.customer_on_line = False  # the customer is on hold on the first leg
        self._log(leg.id, _CONSULT_LEG, contact.id)
        contact.leg = leg
        leg.leg = contact
        agent.line.send(Consulting(contact.id, leg.id))
        if number is not None:
            leg.state = _STATE_TRANSFERRING
            leg.timer = self.call_later(self.ring_timeout_s, self._consult_unanswered, leg)
            self._ring_third_party(leg, number)
            return
        assert quick.flow is not None
        self._run_flow(leg, self.flows[quick.flow], _PARTY_CUSTOMER)

    def _consult_unanswered(self: SwitchboardCore, leg: Contact) -> None:
        """Nobody answered the outside number in ``ring_timeout_s``: the leg ends
        (TELECOM_UNANSWERED); the customer stays on hold."""
        leg.timer = None
        self._drop_third_party(leg, "NO_ANSWER")
        self._end(leg, _TELECOM_UNANSWERED)

    def _consult_answered(self: SwitchboardCore, leg: Contact) -> None:
        """The outside number answered the consult leg (ConnectedToSystem): it talks with
        the consulting agent."""
        third, first = leg.third, leg.leg
        assert third is not None and first is not None
        leg.cancel_timer()
        leg.state = _STATE_CONNECTED
        self._log(leg.id, _CONNECTED_TO_SYSTEM)
        consulting = first.agent
        third.line.send(Connected(leg.id, consulting.username if consulting is not None
                                  else leg.phone.number))
        if consulting is not None:
            consulting.line.send(Connected(leg.id, leg.third_number or ""))

    def _outside_party_left(self: SwitchboardCore, leg: Contact) -> None:
        """The outside party of a consult leg hung up (before or after answering)."""
        self._drop_third_party(leg, str(_THIRD_PARTY_DISCONNECT))
        self._end(leg, _THIRD_PARTY_DISCONNECT)

    def _consult_connected(self: SwitchboardCore, leg: Contact) -> None:
        """The second agent took the consult leg (whisper over): the two agents talk."""
        second, first = leg.agent, leg.leg
        assert second is not None and first is not None
        leg.state = _STATE_CONNECTED
        self._log(leg.id, _CONNECTED_TO_AGENT, second.username)
        consulting = first.agent
        second.line.send(Connected(leg.id, consulting.username if consulting is not None
                                   else leg.phone.number))
        if consulting is not None:
            consulting.line.send(Connected(leg.id, second.username))

    def _consult_leg(self: SwitchboardCore, contact: Contact, action: str,
                     talking: bool = True) -> Contact:
        """The consult leg of ``contact``; with ``talking``, one whose second party has
        joined and that is not a conference yet."""
        leg = contact.leg
        if leg is None:
            raise StateError(f"contact {contact.id!r} has no consult under way; {action} "
                             f"needs one")
        if leg.customer_on_line:
            raise StateError(f"contact {contact.id!r} is in a conference; {action} needs a "
                             f"consult")
        if talking and leg.state is not _STATE_CONNECTED:
            raise StateError(f"contact {contact.id!r}: the consult leg {leg.id!r} is not "
                             f"connected to its second party yet; {action} needs it")
        return leg

    def _complete_transfer(self: SwitchboardCore, contact: Contact) -> None:
        """The consulting agent leaves; the customer joins the second party on the leg.
        The first contact's TransferCompletedTimestamp is now, and its
        TransferredToEndpoint the outside number when the leg is one."""
        leg = self._consult_leg(contact, "complete_transfer")
        self._log(contact.id, _TRANSFERRED, leg.third_number)
        self._hand_over(contact, leg)

    def _hand_over(self: SwitchboardCore, contact: Contact, leg: Contact) -> None:
        """The first leg ends (AGENT_DISCONNECT, its agent to after-contact work) while
        the customer goes on with the second party on ``leg``."""
        contact.leg = leg.leg = None
        conference = leg.customer_on_line
        contact.customer_on_line = False  # only the agent hears that this leg ended
        self._end(contact, _AGENT_DISCONNECT)
        phone = contact.phone
        leg.customer_on_line = True
        phone.line.send(Transferred(contact.id, leg.id))
        third = leg.third
        if third is not None:
            leg.state = _STATE_THIRD_PARTY  # the customer talks to an outside party
        if conference:
            return
        self._log(leg.id, _JOINED)
        second = leg.agent
        if second is not None:
            phone.line.send(Connected(leg.id, second.username))
            second.line.send(Connected(leg.id, phone.number))
        elif third is not None:
            phone.line.send(Connected(leg.id, leg.third_number or ""))
            third.line.send(Connected(leg.id, phone.number))

    def _conference(self: SwitchboardCore, agent: Agent, contact: Contact) -> None:
        """Customer, consulting agent and second party all talk: the hold ends."""
        leg = self._consult_leg(contact, "conference")
        self._take_off_hold(agent, contact, notify=False)  # they hear conferenced instead
        self._log(contact.id, _CONFERENCE, agent.username)
        self._log(leg.id, _JOINED)
        leg.customer_on_line = True
        joined = Conferenced(contact.id, leg.id)
        agent.line.send(joined)
        contact.phone.line.send(joined)
        second = leg.agent
        if second is not None:
            second.line.send(joined)
        elif leg.third is not None:
            leg.third.line.send(joined)

    def _cancel_consult(self: SwitchboardCore, agent: Agent, contact: Contact) -> None:
        """Drop the consult leg (AGENT_DISCONNECT) and take the customer off hold."""
        leg = self._consult_leg(contact, "cancel_consult", talking=False)
        contact.leg = leg.leg = None
        self._end(leg, _AGENT_DISCONNECT)
        agent.line.send(Disconnected(leg.id, _AGENT_DISCONNECT))
        self._take_off_hold(agent, contact)

    def _agent_leaves(self: SwitchboardCore, contact: Contact) -> None:
        """The consulting agent hangs up the first leg while a consult is under way: a
        conference goes on without them; a consult whose second party has joined is a
        completed transfer (as the CCP's end call); otherwise both legs end."""
        leg = contact.leg
        assert leg is not None
        if leg.customer_on_line:
            self._hand_over(contact, leg)
        elif leg.state is _STATE_CONNECTED:
            self._log(contact.id, _TRANSFERRED, leg.third_number)
            self._hand_over(contact, leg)
        else:
            self._end(contact, _AGENT_DISCONNECT)

    def _leg_gone(self: SwitchboardCore, ended: Contact, other: Contact,
                  reason: DisconnectReason) -> None:
        """``ended`` ended while linked to ``other`` (see docs/routing.md, who may hang up
        on whom)."""
        if other.state is _STATE_ENDED:
            return
        if ended.previous_id == other.id:  # the consult leg ended
            consulting = other.agent
            if consulting is not None:
                consulting.line.send(Disconnected(ended.id, reason))
            if ended.customer_on_line and reason is _CUSTOMER_DISCONNECT:
                self._end(other, reason)  # the customer left the conference
            # otherwise the first leg goes on (its customer still on hold in a consult)
        elif reason is _CUSTOMER_DISCONNECT or not other.customer_on_line:
            self._end(other, reason)
        # else: a conference goes on on the leg without the first agent
