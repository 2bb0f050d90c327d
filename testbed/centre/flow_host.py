"""What a running flow may do to its contact: the FlowHost side of the Switchboard."""

from __future__ import annotations

from typing import Final

from testbed.centre.agents import AgentState
from testbed.centre.contacts import Contact, ContactState
from testbed.centre.queues import Queue
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.core.messages import Prompt, Transferred
from testbed.core.native import trait
from testbed.flows import CreateCallback, EventHook, Flow, FlowRun, Participant
from testbed.records.contact_record import DisconnectReason, EventKind, InitiationMethod

# Enum members read on the hot path, as Final names: the compiled build reads
# these as constants (an enum class's attribute is a dictionary lookup there).
_AGENT_OFFLINE: Final = AgentState.OFFLINE
_ATTRIBUTES: Final = EventKind.ATTRIBUTES
_CALLBACK: Final = InitiationMethod.CALLBACK
_FLOW_ACTION: Final = EventKind.FLOW_ACTION
_HOOK_CUSTOMER_QUEUE: Final = EventHook.CUSTOMER_QUEUE
_PARTY_AGENT: Final = Participant.AGENT
_PARTY_CUSTOMER: Final = Participant.CUSTOMER
_QUEUE_TRANSFER: Final = InitiationMethod.QUEUE_TRANSFER
_SCHEDULED: Final = EventKind.SCHEDULED
_STATE_CONNECTING: Final = ContactState.CONNECTING
_STATE_IN_FLOW: Final = ContactState.IN_FLOW
_STATE_QUEUED: Final = ContactState.QUEUED
_STATE_SCHEDULED: Final = ContactState.SCHEDULED

_FLOW_DISCONNECT: Final = DisconnectReason.CONTACT_FLOW_DISCONNECT

__all__ = ["FlowActions"]


@trait
class FlowActions:
    """FlowHost methods of the Switchboard: prompts, queues, hooks, callbacks, flow ends."""

    def _run_flow(self: SwitchboardCore, contact: Contact, flow: Flow,
                  participant: Participant) -> None:
        run = FlowRun(self, flow, contact, participant, self.flow_coverage)
        contact.run = run
        run.start()

    def play_prompt(self: SwitchboardCore, run: FlowRun, text: str, duration_s: float,
                    collects_input: bool) -> None:
        contact = run.contact
        voice = None if contact.data is None else contact.data.voice
        if run.participant is _PARTY_AGENT:
            agent = contact.agent
            if agent is not None:
                agent.line.send(Prompt(contact.id, text, duration_s, collects_input, voice))
        elif contact.customer_on_line:
            contact.phone.line.send(Prompt(contact.id, text, duration_s, collects_input,
                                           voice))

    def set_attributes(self: SwitchboardCore, contact: Contact, attributes: dict[str, str]) -> None:
        contact.attributes.update(attributes)
        self._log(contact.id, _ATTRIBUTES, tuple(attributes.items()))

    def set_working_queue(self: SwitchboardCore, contact: Contact, queue: str) -> str | None:
        if queue.startswith("agent/"):
            if self.agent_queue(queue[len("agent/"):]) is None:
                return "NoMatchingError"
        elif queue not in self.queues:
            return "NoMatchingError"
        contact.queue_name = queue
        return None

    def transfer_to_queue(self: SwitchboardCore, contact: Contact) -> str | None:
        queue = self.queues.get(contact.queue_name or "")
        if queue is None:
            return "NoMatchingError"
        self._enqueue(contact, queue)
        return None

    def transfer_queue_to_queue(self: SwitchboardCore, contact: Contact,
                                queue_name: str) -> str | None:
        """A queue-to-queue transfer from the customer-queue flow (see docs/routing.md):
        the contact leaves its queue and ends (CONTACT_FLOW_DISCONNECT, NextContactId
        the new contact); a QUEUE_TRANSFER contact of the same customer waits in
        ``queue_name`` and runs the customer-queue flow anew."""
        if contact.state is not _STATE_QUEUED or contact.offered_to is not None \
                or not contact.customer_on_line:  # a queued callback has nobody on the line
            return "NoMatchingError"
        if queue_name.startswith("agent/"):
            queue = self.agent_queue(queue_name[len("agent/"):])
        else:
            queue = self.queues.get(queue_name)
        if queue is None:
            return "NoMatchingError"
        phone = contact.phone
        new = self._next_leg(contact, _QUEUE_TRANSFER, queue.name,
                             customer=contact.dial_number, on_line=True)
        new.priority = contact.priority
        contact.customer_on_line = False  # the customer goes on, on the new contact
        contact.run = None
        self._end(contact, _FLOW_DISCONNECT)
        phone.line.send(Transferred(contact.id, new.id))
        self._enqueue(new, queue)
        queue_flow = new.hooks.get(_HOOK_CUSTOMER_QUEUE)
        if new.state is _STATE_QUEUED and queue_flow is not None \
                and queue_flow in self.flows:
            self._run_flow(new, self.flows[queue_flow], _PARTY_CUSTOMER)
        return None

    def set_event_hook(self: SwitchboardCore, contact: Contact, hook: str, flow: str) -> str | None:
        if flow not in self.flows:
            return "NoMatchingError"
        contact.hooks[hook] = flow
        return None

    def create_callback(self: SwitchboardCore, contact: Contact,
                        block: CreateCallback) -> str | None:
        queue = self.queues.get(block.queue or contact.queue_name or "")
        if queue is None:
            return "NoMatchingError"
        number = None if contact.data is None else contact.data.callback_number
        callback = self._next_leg(contact, _CALLBACK, queue.name,
                                  customer=number)
        callback.dial_number = number
        callback.callback = block
        # The callback keeps its caller's place in line (see docs/routing.md).
        callback.waiting_since = contact.waiting_since
        callback.state = _STATE_SCHEDULED
        self._log(callback.id, _SCHEDULED, (queue.name, block.initial_delay_s))
        if block.initial_delay_s > 0:
            callback.timer = self.call_later(block.initial_delay_s, self._delay_over,
                                             callback, queue)
        else:
            self._enqueue(callback, queue)
        return None

    def _delay_over(self: SwitchboardCore, contact: Contact, queue: Queue) -> None:
        contact.timer = None
        self._enqueue(contact, queue)

    def queue_metric(self: SwitchboardCore, contact: Contact, metric: str,
                     queue_name: str | None) -> float | None:
        queue = self.queues.get(queue_name or contact.queue_name or "")
        if queue is None:
            return None
        if metric == "NumberOfContactsInQueue":
            return len(queue)
        if metric == "OldestContactInQueueAgeSeconds":
            oldest = queue.next_waiting()
            return 0.0 if oldest is None else self._now() - oldest.enqueued_at
        serving = [a for a in self.agents.values() if queue.name in a.profile.priorities]
        if metric == "NumberOfAgentsAvailable":
            return sum(1 for a in serving if a.in_pool and a.offer is None)
        # NumberOfAgentsStaffed / NumberOfAgentsOnline: anyone not Offline.
        return sum(1 for a in serving if a.state != _AGENT_OFFLINE)

    def flow_named(self: SwitchboardCore, name: str) -> Flow | None:
        return self.flows.get(name)

    def disconnect_from_flow(self: SwitchboardCore, contact: Contact) -> None:
        # The run that disconnects is done already; the other one (a hold's customer or
        # agent flow) is stopped with the contact.
        if contact.run is not None and contact.run.done:
            contact.run = None
        if contact.agent_run is not None and contact.agent_run.done:
            contact.agent_run = None
        self._end(contact, _FLOW_DISCONNECT)

    def flow_ended(self: SwitchboardCore, run: FlowRun) -> None:
        contact: Contact = run.contact
        if contact.run is run:
            contact.run = None
        elif contact.agent_run is run:  # an agent hold flow that ended: silence
            contact.agent_run = None
            return
        state = contact.state
        if state is _STATE_QUEUED:
            if run.participant is _PARTY_CUSTOMER:
                queue_flow = contact.hooks.get(_HOOK_CUSTOMER_QUEUE)
                # The customer-queue flow loops while the contact waits; if it
                # ends, the caller keeps waiting in silence.
                if queue_flow is not None and run.flow.name != queue_flow:
                    self._run_flow(contact, self.flows[queue_flow], _PARTY_CUSTOMER)
        elif state is _STATE_IN_FLOW:
            self._end(contact, _FLOW_DISCONNECT)
        elif state is _STATE_CONNECTING:
            self._whisper_done(contact, run.participant)

    def flow_failed(self: SwitchboardCore, run: FlowRun, problem: str) -> None:
        contact: Contact = run.contact
        if contact.run is run:
            contact.run = None
        elif contact.agent_run is run:
            contact.agent_run = None
        block = run.block
        self._log(contact.id, _FLOW_ACTION,
                  (run.flow.name, None if block is None else block.id,
                   None if block is None else getattr(block, "action", type(block).__name__),
                   {"failed": problem}))
        self._end(contact, _FLOW_DISCONNECT)
