"""Queueing and routing, a part of the Switchboard.

A contact goes to the longest-idle available agent it can reach; an agent who
becomes available gets the oldest contact of their best priority.  An offer
that times out (Missed) or is rejected (Rejected) leaves the contact in its
place in line.  Agents' transfers and consults are in ``transfers`` and
``consults``; QuickConnect is re-exported from here.
"""

from __future__ import annotations

from typing import Final

from testbed.centre.agents import Agent, AgentState
from testbed.centre.contacts import Contact, ContactState
from testbed.centre.queues import Queue
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.centre.transfers import QuickConnect
from testbed.core.messages import Offered, Queued
from testbed.core.native import trait
from testbed.flows import EventHook, Participant
from testbed.records.contact_record import EventKind

# Enum members read on the hot path, as Final names: the compiled build reads
# these as constants (an enum class's attribute is a dictionary lookup there).
_AGENT_BUSY: Final = AgentState.BUSY
_AGENT_MISSED: Final = AgentState.MISSED
_AGENT_REJECTED: Final = AgentState.REJECTED
_DEQUEUED: Final = EventKind.DEQUEUED
_ENQUEUED: Final = EventKind.ENQUEUED
_HOOK_AGENT_WHISPER: Final = EventHook.AGENT_WHISPER
_MISSED: Final = EventKind.MISSED
_OFFERED: Final = EventKind.OFFERED
_PARTY_AGENT: Final = Participant.AGENT
_REJECTED: Final = EventKind.REJECTED
_STATE_CONNECTING: Final = ContactState.CONNECTING
_STATE_QUEUED: Final = ContactState.QUEUED


__all__ = ["QuickConnect", "Routing"]


@trait
class Routing:
    """Routing methods of the Switchboard."""

    def _enqueue(self: SwitchboardCore, contact: Contact, queue: Queue) -> None:
        contact.state = _STATE_QUEUED
        contact.queue = queue
        contact.queue_name = queue.name
        contact.enqueued_at = self._now()
        if contact.waiting_since is None:
            contact.waiting_since = contact.enqueued_at
        queue.add(contact)
        self._log(contact.id, _ENQUEUED, queue.name)
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
        self._log(contact.id, _OFFERED, agent.username)
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
        self._offer_refused(contact, agent, _MISSED, _AGENT_MISSED)

    def _reject(self: SwitchboardCore, agent: Agent, contact: Contact) -> None:
        # Like a missed offer, a rejection takes the agent out of routing until
        # they set Available again (otherwise the same contact comes straight back).
        self._offer_refused(contact, agent, _REJECTED, _AGENT_REJECTED)

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
        contact.state = _STATE_CONNECTING
        contact.agent = agent
        agent.contact = contact
        self._agent_state(agent, _AGENT_BUSY, contact)
        self._whisper(contact, contact.hooks.get(_HOOK_AGENT_WHISPER), _PARTY_AGENT)

    def _leave_queue(self: SwitchboardCore, contact: Contact, agent: str | None) -> None:
        queue = contact.queue
        if queue is not None:
            queue.remove(contact)
            contact.queue = None
            self._log(contact.id, _DEQUEUED, agent)
