"""Consults by agents: warm transfers and conferences, a part of the Switchboard."""

from __future__ import annotations

from testbed.centre.agents import Agent
from testbed.centre.contacts import Contact, ContactState
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.centre.transfers import QuickConnect
from testbed.core.errors import StateError
from testbed.core.messages import Conferenced, Connected, Consulting, Disconnected, Transferred
from testbed.flows import Participant
from testbed.records.contact_record import DisconnectReason, EventKind

_E = EventKind
_AGENT_DISCONNECT = DisconnectReason.AGENT_DISCONNECT
_CUSTOMER_DISCONNECT = DisconnectReason.CUSTOMER_DISCONNECT

__all__ = ["Consults"]


class Consults:
    """Consults by agents (warm transfers and conferences), a part of the Switchboard.

    The agent's contact (the first leg) puts its customer on hold and a new contact
    (the consult leg: InitiationMethod TRANSFER, PreviousContactId the first) runs the
    quick connect's flow without the customer.  Once a second agent takes the leg, the
    two agents talk; then the first agent completes the transfer (they leave, the
    customer joins the leg), joins all three (a conference), or drops the leg and
    resumes.  ``contact.leg`` links the two live legs; see docs/routing.md.
    """

    def _consult(self: SwitchboardCore, agent: Agent, contact: Contact,
                 quick: QuickConnect) -> None:
        if contact.leg is not None:
            raise StateError(f"contact {contact.id!r}: a consult is under way already")
        if quick.number is not None:
            raise StateError(f"contact {contact.id!r}: a consult with a phone number quick "
                             f"connect ({quick.name!r}) is not simulated; use transfer")
        kind, target = quick.target
        self._log(contact.id, _E.QUICK_CONNECT, (quick.name, agent.username, kind, target))
        if contact.state is ContactState.CONNECTED:
            self._put_on_hold(agent, contact, consult=True)
        leg = self._transfer_leg(contact, quick, on_line=True)
        leg.customer_on_line = False  # the customer is on hold on the first leg
        contact.leg = leg
        leg.leg = contact
        agent.line.send(Consulting(contact.id, leg.id))
        assert quick.flow is not None
        self._run_flow(leg, self.flows[quick.flow], Participant.CUSTOMER)

    def _consult_connected(self: SwitchboardCore, leg: Contact) -> None:
        """The second agent took the consult leg (whisper over): the two agents talk."""
        second, first = leg.agent, leg.leg
        assert second is not None and first is not None
        leg.state = ContactState.CONNECTED
        self._log(leg.id, _E.CONNECTED_TO_AGENT, second.username)
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
        if talking and leg.state is not ContactState.CONNECTED:
            raise StateError(f"contact {contact.id!r}: the consult leg {leg.id!r} is not "
                             f"connected to its second party yet; {action} needs it")
        return leg

    def _complete_transfer(self: SwitchboardCore, contact: Contact) -> None:
        """The consulting agent leaves; the customer joins the second party on the leg."""
        leg = self._consult_leg(contact, "complete_transfer")
        self._log(contact.id, _E.TRANSFERRED, None)
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
        second = leg.agent
        if not conference and second is not None:
            phone.line.send(Connected(leg.id, second.username))
            second.line.send(Connected(leg.id, phone.number))

    def _conference(self: SwitchboardCore, agent: Agent, contact: Contact) -> None:
        """Customer, consulting agent and second party all talk: the hold ends."""
        leg = self._consult_leg(contact, "conference")
        self._take_off_hold(agent, contact, notify=False)  # they hear conferenced instead
        self._log(contact.id, _E.CONFERENCE, agent.username)
        leg.customer_on_line = True
        joined = Conferenced(contact.id, leg.id)
        agent.line.send(joined)
        contact.phone.line.send(joined)
        second = leg.agent
        if second is not None:
            second.line.send(joined)

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
        elif leg.state is ContactState.CONNECTED:
            self._log(contact.id, _E.TRANSFERRED, None)
            self._hand_over(contact, leg)
        else:
            self._end(contact, _AGENT_DISCONNECT)

    def _leg_gone(self: SwitchboardCore, ended: Contact, other: Contact,
                  reason: DisconnectReason) -> None:
        """``ended`` ended while linked to ``other`` (see docs/routing.md, who may hang up
        on whom)."""
        if other.state is ContactState.ENDED:
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
