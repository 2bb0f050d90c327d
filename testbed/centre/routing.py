"""Queueing and routing, a part of the Switchboard.

A contact goes to the longest-idle available agent it can reach; an agent who
becomes available gets the oldest contact of their best priority.  An offer
that times out (Missed) or is rejected (Rejected) leaves the contact in its
place in line.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.centre.agents import Agent, AgentState
from testbed.centre.contacts import Contact, ContactState
from testbed.centre.queues import Queue
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.core.errors import StateError
from testbed.core.messages import (
    Conferenced,
    Connected,
    Consulting,
    Disconnected,
    Offered,
    Queued,
    Transferred,
)
from testbed.flows import EventHook, Participant
from testbed.records.contact_record import DisconnectReason, EventKind, InitiationMethod

_E = EventKind
_AGENT_DISCONNECT = DisconnectReason.AGENT_DISCONNECT
_CUSTOMER_DISCONNECT = DisconnectReason.CUSTOMER_DISCONNECT

__all__ = ["Consults", "QuickConnect", "Routing", "Transfers"]


class Routing:
    """Routing methods of the Switchboard."""

    def _enqueue(self: SwitchboardCore, contact: Contact, queue: Queue) -> None:
        contact.state = ContactState.QUEUED
        contact.queue = queue
        contact.queue_name = queue.name
        contact.enqueued_at = self._now()
        if contact.waiting_since is None:
            contact.waiting_since = contact.enqueued_at
        queue.add(contact)
        self._log(contact.id, _E.ENQUEUED, queue.name)
        if contact.customer_on_line:
            contact.phone.line.send(Queued(contact.id, queue.name))
        self._route_queue(queue)

    def _route_queue(self: SwitchboardCore, queue: Queue) -> None:
        """Offer the queue's oldest contacts to the longest-idle agents they can reach."""
        now = self._now()
        while True:
            contact = queue.next_unoffered()
            if contact is None:
                return
            waited = now - contact.enqueued_at
            if queue.agent is not None:  # an agent's own queue reaches that agent only
                agent = self.agents.get(queue.agent)
                if agent is None or not agent.in_pool or agent.offer is not None:
                    return
                self._offer(contact, agent)
                continue
            agent = self.pool.longest_idle(queue.name, waited)
            if agent is None:
                # Idle agents whose routing delay has not passed yet: look again then.
                delay = self.pool.next_delay(queue.name, waited)
                if delay is not None:
                    self._route_again(queue, contact.enqueued_at + delay)
                return
            self._offer(contact, agent)

    def _route_agent(self: SwitchboardCore, agent: Agent) -> None:
        """Offer the agent the oldest contact of their best priority that reaches them."""
        now = self._now()
        profile = agent.profile
        best: Contact | None = None
        best_key: tuple[int, int, float, int] | None = None
        for name, priority in profile.priorities.items():
            queue = self.queues[name]
            contact = queue.next_unoffered()
            if contact is None:
                continue
            if not profile.reaches(name, now - contact.enqueued_at):
                self._route_again(queue, contact.enqueued_at + profile.delays[name])
                continue
            key = (priority, contact.priority,
                   (contact.waiting_since or 0.0) - contact.age_adjust_s, contact.seq)
            if best_key is None or key < best_key:
                best, best_key = contact, key
        own = agent.own_queue
        if own is not None:  # the agent's own queue comes first
            contact = own.next_unoffered()
            if contact is not None:
                best = contact
        if best is not None:
            self._offer(best, agent)

    def _route_again(self: SwitchboardCore, queue: Queue, at: float) -> None:
        """Route ``queue`` again at testbed time ``at`` (one pending look per queue)."""
        pending = self._reroutes.get(queue.name)
        if pending is not None:
            if pending[0] <= at:
                return
            pending[1].cancel()
        self._reroutes[queue.name] = (at, self.clock.call_at(at, self._reroute, queue))

    def _reroute(self: SwitchboardCore, queue: Queue) -> None:
        del self._reroutes[queue.name]
        self._route_queue(queue)

    def _offer(self: SwitchboardCore, contact: Contact, agent: Agent) -> None:
        # The agent keeps their place in the pool (routing skips agents with an
        # offer), so an offer withdrawn because the caller left costs them nothing.
        agent.offer = contact
        contact.offered_to = agent
        self._log(contact.id, _E.OFFERED, agent.username)
        contact.timer = self.clock.call_later(self.offer_timeout_s, self._offer_timed_out,
                                              contact, agent)
        agent.line.send(Offered(contact.id, contact.queue_name or "", contact.method,
                                self.offer_timeout_s))

    def _withdraw_offer(self: SwitchboardCore, contact: Contact) -> Agent | None:
        agent = contact.offered_to
        if agent is not None:
            contact.offered_to = None
            agent.offer = None
            contact.cancel_timer()
        return agent

    def _offer_timed_out(self: SwitchboardCore, contact: Contact, agent: Agent) -> None:
        contact.timer = None
        self._offer_refused(contact, agent, _E.MISSED, AgentState.MISSED)

    def _reject(self: SwitchboardCore, agent: Agent, contact: Contact) -> None:
        # Like a missed offer, a rejection takes the agent out of routing until
        # they set Available again (otherwise the same contact comes straight back).
        self._offer_refused(contact, agent, _E.REJECTED, AgentState.REJECTED)

    def _offer_refused(self: SwitchboardCore, contact: Contact, agent: Agent,
                       kind: EventKind, state: AgentState) -> None:
        """The agent let the offer time out or rejected it: the contact keeps its place
        and is offered again; the agent is out of routing (or takes their next status)."""
        self._withdraw_offer(contact)
        self._log(contact.id, kind, agent.username)
        self.pool.discard(agent)
        self._agent_state(agent, state, contact)
        self._next_status(agent)
        if contact.queue is not None:
            self._route_queue(contact.queue)

    def _accept(self: SwitchboardCore, agent: Agent, contact: Contact) -> None:
        self._withdraw_offer(contact)
        self.pool.discard(agent)
        self._leave_queue(contact, agent.username)
        if contact.run is not None:
            contact.stop_flow()
        contact.state = ContactState.CONNECTING
        contact.agent = agent
        agent.contact = contact
        self._agent_state(agent, AgentState.BUSY, contact)
        self._whisper(contact, contact.hooks.get(EventHook.AGENT_WHISPER), Participant.AGENT)

    def _leave_queue(self: SwitchboardCore, contact: Contact, agent: str | None) -> None:
        queue = contact.queue
        if queue is not None:
            queue.remove(contact)
            contact.queue = None
            self._log(contact.id, _E.DEQUEUED, agent)


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
        self._log(contact.id, _E.QUICK_CONNECT, (quick.name, agent.username, kind, target))
        if quick.number is not None:
            self._transfer_out(agent, contact, quick.number)
            return
        phone = contact.phone
        # The customer is on the line already: connected to the system from the start.
        new = self._transfer_leg(contact, quick, on_line=True)
        self._log(contact.id, _E.TRANSFERRED, None)
        # The customer stays on the line: only the agent hears that this leg ended.
        contact.customer_on_line = False
        self._end(contact, _AGENT_DISCONNECT)
        phone.line.send(Transferred(contact.id, new.id))
        assert quick.flow is not None
        self._run_flow(new, self.flows[quick.flow], Participant.CUSTOMER)

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
        return self._next_leg(contact, InitiationMethod.TRANSFER, queue,
                              customer=contact.dial_number, on_line=on_line)

    def _transfer_out(self: SwitchboardCore, agent: Agent, contact: Contact,
                      number: str) -> None:
        """Ring ``number`` for the customer; the agent leaves to after-contact work."""
        if contact.state is ContactState.ON_HOLD:  # the hold ends as the agent leaves
            contact.stop_flow()
            contact.stop_agent_flow()
            self._log(contact.id, _E.RESUME, agent.username)
        contact.agent = None
        contact.left_agent = agent
        agent.line.send(Disconnected(contact.id, _AGENT_DISCONNECT))
        self._start_acw(agent, contact)
        contact.state = ContactState.TRANSFERRING
        contact.timer = self.call_later(self.ring_timeout_s, self._transfer_unanswered, contact)
        self._ring_third_party(contact, number)

    def _transfer_unanswered(self: SwitchboardCore, contact: Contact) -> None:
        contact.timer = None
        self._drop_third_party(contact, "NO_ANSWER")
        self._end(contact, DisconnectReason.TELECOM_UNANSWERED)


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
