"""The switchboard: takes calls, runs flows, queues contacts and offers them to agents.

Endpoints reach it only through lines.  Each message from a line is checked
against the sender's own contacts and the contact's state; a message that
does not fit gets an Error back and changes nothing.  Every change is
appended to the record service at the instant it happens.

Connecting a contact to an agent: the agent accepts (the contact leaves the
queue), the agent-whisper flow plays to the agent; for a callback the
customer is then dialled, and on answer (ConnectedToSystem) the queue's
outbound-whisper flow plays to the customer; for an inbound contact the
customer-whisper flow plays.  Then both are joined (ConnectedToAgent).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from functools import partial
from typing import Any, Final

from testbed.centre.admin import Admin
from testbed.centre.agents import (
    DEFAULT_CUSTOM_STATUSES,
    Agent,
    AgentPool,
    AgentState,
    RoutingProfile,
)
from testbed.centre.call_actions import CallActions
from testbed.centre.consults import Consults
from testbed.centre.contacts import Contact, ContactState, Phone
from testbed.centre.flow_host import FlowActions
from testbed.centre.flow_services import FlowServices
from testbed.centre.instance import Instance
from testbed.centre.outbound import Outbound, _Dialling
from testbed.centre.queues import Queue
from testbed.centre.routing import Routing
from testbed.centre.transfers import QuickConnect, Transfers
from testbed.core.clock import Cancellable, Clock
from testbed.core.errors import ConfigError, ProtocolError, StateError
from testbed.core.lines import LineEnd, line_pair
from testbed.core.messages import (
    Accept,
    AgentStatus,
    Answer,
    CallStarted,
    CancelConsult,
    CompleteTransfer,
    Conference,
    Connected,
    Consult,
    Dial,
    Disconnected,
    EndAfterContactWork,
    Error,
    Hangup,
    Hold,
    Message,
    Mute,
    Reject,
    Resume,
    Ringing,
    Say,
    SendDigits,
    SetStatus,
    Transfer,
    Unmute,
    is_phone_number,
)
from testbed.flows import EventHook, Flow, FlowRun, Participant
from testbed.flows.hours import HoursOfOperation
from testbed.flows.interpreter import Coverage
from testbed.flows.lambdas import LambdaRegistry
from testbed.flows.lex import BotRegistry
from testbed.flows.values import name_of
from testbed.records.contact_record import DisconnectReason, EventKind, InitiationMethod
from testbed.records.service import RecordService

# Enum members read on the hot path, as Final names: the compiled build reads
# these as constants (an enum class's attribute is a dictionary lookup there).
_ACW_ENDED: Final = EventKind.ACW_ENDED
_ACW_STARTED: Final = EventKind.ACW_STARTED
_AGENT_AFTER_CONTACT_WORK: Final = AgentState.AFTER_CONTACT_WORK
_AGENT_AVAILABLE: Final = AgentState.AVAILABLE
_AGENT_ERROR: Final = AgentState.ERROR
_AGENT_OFFLINE: Final = AgentState.OFFLINE
_AGENT_STATE: Final = EventKind.AGENT_STATE
_ATTRIBUTES: Final = EventKind.ATTRIBUTES
_CALLBACK: Final = InitiationMethod.CALLBACK
_COMPLETED: Final = EventKind.COMPLETED
_CONNECTED_TO_AGENT: Final = EventKind.CONNECTED_TO_AGENT
_CONNECTED_TO_SYSTEM: Final = EventKind.CONNECTED_TO_SYSTEM
_DISCONNECTED: Final = EventKind.DISCONNECTED
_EXTERNAL_OUTBOUND: Final = InitiationMethod.EXTERNAL_OUTBOUND
_HOOK_CUSTOMER_WHISPER: Final = EventHook.CUSTOMER_WHISPER
_INBOUND: Final = InitiationMethod.INBOUND
_INITIATED: Final = EventKind.INITIATED
_NEXT_CONTACT: Final = EventKind.NEXT_CONTACT
_NO_ANSWER: Final = EventKind.NO_ANSWER
_PARTY_AGENT: Final = Participant.AGENT
_PARTY_CUSTOMER: Final = Participant.CUSTOMER
_SCHEDULED: Final = EventKind.SCHEDULED
_STATE_CONNECTED: Final = ContactState.CONNECTED
_STATE_CONNECTING: Final = ContactState.CONNECTING
_STATE_ENDED: Final = ContactState.ENDED
_STATE_RINGING: Final = ContactState.RINGING
_STATE_SCHEDULED: Final = ContactState.SCHEDULED
_STATE_THIRD_PARTY: Final = ContactState.THIRD_PARTY
_STATE_TRANSFERRING: Final = ContactState.TRANSFERRING

__all__ = ["Switchboard"]

DEFAULT_OFFER_TIMEOUT_S: Final = 20.0
WHISPER_CAP_S: Final = 120.0

_CUSTOMER_DISCONNECT: Final = DisconnectReason.CUSTOMER_DISCONNECT
_AGENT_DISCONNECT: Final = DisconnectReason.AGENT_DISCONNECT
# A callback whose every dial-out went unanswered.
_NOT_ANSWERED: Final = DisconnectReason.TELECOM_UNANSWERED
DEFAULT_RING_TIMEOUT_S: Final = 30.0


_UUID_CLEAR: Final = ~((0xC000 << 48) | (0xF000 << 64))
_UUID_SET: Final = (0x8000 << 48) | (4 << 76)


def _uuid4_text(bits: int) -> str:
    """``str(uuid.UUID(int=bits, version=4))``, without building the UUID object."""
    h = f"{(bits & _UUID_CLEAR) | _UUID_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Switchboard(FlowActions, FlowServices, Routing, CallActions, Transfers, Consults, Outbound,
                  Admin):
    """The contact centre's core.  Build one through ``Testbed``."""

    def __init__(self, clock: Clock, records: RecordService, seed: int = 0,
                 offer_timeout_s: float = DEFAULT_OFFER_TIMEOUT_S) -> None:
        self.clock = clock
        self.records = records
        self.offer_timeout_s = offer_timeout_s
        self.ring_timeout_s = DEFAULT_RING_TIMEOUT_S
        self._rng = random.Random(seed)
        self._seq = 0
        self._loop = clock.loop
        self._epoch = clock.epoch
        self.flows: dict[str, Flow] = {}
        self.queues: dict[str, Queue] = {}
        self.numbers: dict[str, str] = {}
        self.quick_connects: dict[str, QuickConnect] = {}
        self.phones: dict[str, Phone] = {}
        self.agents: dict[str, Agent] = {}
        self.pool = AgentPool()
        self.custom_statuses: tuple[str, ...] = DEFAULT_CUSTOM_STATUSES
        self.instance = Instance()
        self._outbound: _Dialling | None = None  # Outbound's own state, made on first use
        #: Log an event of a contact (by id) at this instant.
        self._log = records.log
        self._reroutes: dict[str, tuple[float, Cancellable]] = {}
        # What flows call: Lambda and Lex stand-ins, hours of operation.
        self.lambdas = LambdaRegistry()
        self.bots = BotRegistry()
        self.hours: dict[str, HoursOfOperation] = {}
        # Random draws of flows (DistributeByPercentage) and Lambda request ids,
        # apart from contact ids: adding one changes no contact id.
        self.percent_rng = random.Random(f"{seed}/percent")
        self.lambda_rng = random.Random(f"{seed}/lambda")
        #: Lambda invocations under way (their tasks), cancelled when the testbed closes.
        self.jobs: set[asyncio.Future[None]] = set()
        #: Counts flow transitions taken, when set (see testbed.coverage).
        self.flow_coverage: Coverage | None = None
        # Tasks have no customer line: what a task "hears" goes nowhere.
        tasks, self._task_line = line_pair(self._loop, "tasks")
        self._task_line.on_receive(_ignore)
        self.task_phone = Phone("", tasks)

    # -- configuration ----------------------------------------------------
    def add_flow(self, flow: Flow) -> None:
        self.flows[flow.name] = flow

    def add_queue(self, name: str, outbound_whisper_flow: str | None = None,
                  hours: str | None = None) -> Queue:
        if name in self.queues:
            raise ConfigError(f"queue {name!r} exists already")
        if hours is not None and hours not in self.hours:
            raise ConfigError(f"queue {name!r}: no hours of operation named {hours!r}; "
                              f"known: {', '.join(sorted(self.hours)) or 'none'}")
        queue = self.queues[name] = Queue(name, outbound_whisper_flow, hours)
        return queue

    def add_hours(self, hours: HoursOfOperation) -> None:
        """Hours flows find by name, by Connect id, or by ARN (its last segment)."""
        keys = {hours.name, hours.hours_of_operation_id,
                name_of(hours.hours_of_operation_arn)} - {""}
        taken = sorted(k for k in keys if k in self.hours)
        if taken:
            raise ConfigError(f"hours of operation {hours.name!r}: {taken[0]!r} names "
                              f"hours added already")
        for key in keys:
            self.hours[key] = hours

    def agent_queue(self, username: str) -> Queue | None:
        """The agent's own queue (``agent/USERNAME``), made on first use; None if no
        agent of that name has connected."""
        name = f"agent/{username}"
        queue = self.queues.get(name)
        agent = self.agents.get(username)
        if queue is None and agent is not None:
            queue = self.queues[name] = Queue(name, agent=username)
        if agent is not None:
            agent.own_queue = queue
        return queue

    def add_quick_connect(self, quick: QuickConnect) -> None:
        """A transfer destination agents use by name (see QuickConnect)."""
        name = quick.name
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"quick connect: name must be a non-empty string, got {name!r}")
        if name in self.quick_connects:
            raise ConfigError(f"quick connect {name!r} exists already")
        targets = {k: v for k, v in (("queue", quick.queue), ("agent", quick.agent),
                                     ("number", quick.number)) if v is not None}
        if len(targets) != 1:
            given = ", ".join(f"{k}={v!r}" for k, v in targets.items()) or "none"
            raise ConfigError(f"quick connect {name!r}: give exactly one of queue, agent and "
                              f"number; got {given}")
        [(kind, target)] = targets.items()
        if not isinstance(target, str) or not target:
            raise ConfigError(f"quick connect {name!r}: {kind} must be a non-empty string, "
                              f"got {target!r}")
        if kind == "number":
            if not is_phone_number(target):
                raise ConfigError(f"quick connect {name!r}: number {target!r} is not an "
                                  f"E.164 phone number (+ and up to 15 digits)")
            if quick.flow is not None:
                raise ConfigError(f"quick connect {name!r}: a phone number quick connect "
                                  f"runs no flow; got flow {quick.flow!r}")
        else:
            if kind == "queue" and target not in self.queues:
                raise ConfigError(f"quick connect {name!r}: no queue named {target!r}; known "
                                  f"queues: {', '.join(sorted(self.queues)) or 'none'}")
            if quick.flow is None:
                raise ConfigError(f"quick connect {name!r}: a {kind} quick connect names the "
                                  f"transfer flow it runs (flow=...)")
            if quick.flow not in self.flows:
                raise ConfigError(f"quick connect {name!r}: no flow named {quick.flow!r}; "
                                  f"known flows: {', '.join(sorted(self.flows)) or 'none'}")
        self.quick_connects[name] = quick

    def add_number(self, number: str, flow: str) -> None:
        """Calls to ``number`` run ``flow`` (the inbound flow)."""
        if flow not in self.flows:
            raise ConfigError(f"number {number!r}: no flow named {flow!r}; "
                              f"known flows: {', '.join(sorted(self.flows)) or 'none'}")
        self.numbers[number] = flow

    def connect_phone(self, number: str, transient: bool = False) -> LineEnd:
        """A new caller line for phone ``number``; returns the caller's end.

        A ``transient`` phone is hung up for good (as ``disconnect_phone``) once
        it has no contact left, live or waiting to call back: a load run's
        callers leave, so a long run holds only those still in play.
        """
        if number in self.phones:
            raise StateError(f"phone number {number!r} is connected already")
        endpoint, end = line_pair(self._loop, f"phone {number}")
        phone = self.phones[number] = Phone(number, end, transient)
        end.on_receive(partial(self._from_phone, phone))
        return endpoint

    def connect_agent(self, username: str, queues: RoutingProfile,
                      acw_timeout_s: float = 0.0) -> LineEnd:
        """A new agent line for ``username`` (Offline until they set Available)."""
        if username in self.agents:
            raise StateError(f"agent {username!r} is connected already")
        unknown = [q for q in queues.priorities if q not in self.queues]
        if unknown:
            raise ConfigError(f"agent {username!r}: no queue named {unknown[0]!r}; "
                              f"known queues: {', '.join(sorted(self.queues)) or 'none'}")
        if acw_timeout_s < 0:
            raise ConfigError(f"agent {username!r}: acw_timeout_s must be >= 0, "
                              f"got {acw_timeout_s!r}")
        endpoint, end = line_pair(self._loop, f"agent {username}")
        agent = self.agents[username] = Agent(username, end, queues, acw_timeout_s)
        agent.own_queue = self.queues.get(f"agent/{username}")
        end.on_receive(partial(self._from_agent, agent))
        self._agent_state(agent, _AGENT_OFFLINE, notify=False)
        return endpoint

    def disconnect_phone(self, number: str) -> None:
        """The caller's line went away: its live calls end (CUSTOMER_DISCONNECT), and
        where it is the outside party of a transfer or a consult, it hangs up.

        Callbacks still scheduled or queued for it stay; their dial-out goes
        unanswered unless the number connects again.
        """
        phone = self.phones.pop(number, None)
        if phone is None:
            return
        for contact in list(phone.contacts.values()):
            if contact.customer_on_line or contact.state is _STATE_RINGING:
                self._end(contact, _CUSTOMER_DISCONNECT)
        if phone._legs:
            for leg in list(phone._legs.values()):
                if leg.third is phone:
                    self._from_third_party(phone, leg, Hangup(leg.id))
        phone.line.close()

    def _release_if_done(self, phone: Phone) -> None:
        """Hang up a transient phone that has no contact left."""
        if phone.transient and not phone.contacts and self.phones.get(phone.number) is phone:
            self.disconnect_phone(phone.number)

    def disconnect_agent(self, username: str) -> None:
        """The agent's line went away: their contact ends (AGENT_DISCONNECT), an
        offer goes back to its queue, and they are Offline; or in ``Error`` when the
        line failed mid-contact (on a call, its whispers or a callback's dial-out), as
        Connect shows an agent whose softphone failed, until they connect again."""
        agent = self.agents.pop(username, None)
        if agent is None:
            return
        offered = agent.offer
        if offered is not None:
            self._withdraw_offer(offered)
            if offered.queue is not None:
                self._route_queue(offered.queue)
        contact = agent.contact
        failed: Contact | None = None
        if contact is not None:
            if contact.agent is agent and contact.state is not _STATE_ENDED:
                failed = contact
            if contact.agent is agent:
                self._end(contact, _AGENT_DISCONNECT)
            self._log(contact.id, _ACW_ENDED, agent.username)
            if contact.state is _STATE_ENDED and (contact.agent is agent
                                                        or contact.left_agent is agent):
                self._log(contact.id, _COMPLETED)
            agent.contact = None
        if agent.acw_timer is not None:
            agent.acw_timer.cancel()
            agent.acw_timer = None
        self.pool.discard(agent)
        if failed is None:
            self._agent_state(agent, _AGENT_OFFLINE, notify=False)
        else:
            self._agent_state(agent, _AGENT_ERROR, failed, notify=False)
        agent.line.close()

    # -- helpers ----------------------------------------------------------
    def _now(self) -> float:
        return self._loop._now - self._epoch

    def _new_contact(self, method: InitiationMethod, phone: Phone,
                     previous: Contact | None = None, system: str | None = None,
                     customer: str | None = None) -> Contact:
        """A new contact of ``phone``; ``system``: the number it reached (its
        SystemEndpoint), by default that of ``previous``; ``customer``: its
        CustomerEndpoint, by default the phone's number."""
        self._seq += 1
        contact_id = _uuid4_text(self._rng.getrandbits(128))
        contact = Contact(contact_id, self._seq, method, phone)
        if previous is not None:
            contact.previous_id = previous.id
            contact.initial_id = previous.initial_id
            if system is None:
                system = previous.system_endpoint
        contact.system_endpoint = system
        phone.contacts[contact_id] = contact
        self._log(contact.id, _INITIATED,
                  (method, contact.previous_id, customer or phone.number or None, system))
        return contact

    def _next_leg(self, contact: Contact, method: InitiationMethod, queue_name: str,
                  customer: str | None = None, on_line: bool = False) -> Contact:
        """The contact that follows ``contact`` for the same customer (a callback or a
        transfer leg): its hooks and attributes (logged, so its record shows them),
        working queue ``queue_name``, linked both
        ways.  ``on_line``: the customer is on the line already (ConnectedToSystem now)."""
        new = self._new_contact(method, contact.phone, contact, customer=customer)
        new.hooks = dict(contact.hooks)
        new.attributes = dict(contact.attributes)
        if new.attributes:  # they carry over, and the new leg's record shows them
            self._log(new.id, _ATTRIBUTES, tuple(new.attributes.items()))
        new.queue_name = queue_name
        if on_line:
            self._log(new.id, _CONNECTED_TO_SYSTEM)
        self._log(contact.id, _NEXT_CONTACT, new.id)
        return new

    def call_later(self, delay_s: float, callback: Callable[..., object],
                   *args: Any) -> Any:
        return self.clock.call_later(delay_s, callback, *args)

    def _refuse(self, line: LineEnd, code: str, detail: str,
                contact_id: str | None = None) -> None:
        field = "contact_id" if contact_id is not None else None
        line.send(Error(code, detail, field, contact_id))

    # -- caller messages ----------------------------------------------------
    def _from_phone(self, phone: Phone, message: Message) -> None:
        if self.phones.get(phone.number) is not phone:
            return  # sent before its line was hung up (a transient phone's redial, say)
        if isinstance(message, Dial):
            self._dial(phone, message.to)
            return
        if not isinstance(message, (Hangup, SendDigits, Answer, Say)):
            self._refuse(phone.line, WRONG_ROLE, f"a caller cannot send {message.type!r}; "
                         f"a caller sends dial, send_digits, say, answer and hangup")
            return
        contact = phone.contacts.get(message.contact_id)
        if contact is None and phone._legs:
            leg = phone.legs.get(message.contact_id)
            if leg is not None:
                self._from_third_party(phone, leg, message)
                return
        if contact is None:
            self._refuse(phone.line, "unknown_contact",
                         f"contact {message.contact_id!r} is not a live contact of phone "
                         f"{phone.number!r}", message.contact_id)
            return
        try:
            if isinstance(message, Hangup):
                if not contact.customer_on_line and contact.state is not _STATE_RINGING:
                    raise StateError(f"contact {contact.id!r} is not connected to you yet")
                self._end(contact, _CUSTOMER_DISCONNECT)
            elif isinstance(message, SendDigits):
                self._digits(contact, message.digits)
            elif isinstance(message, Say):
                self._say(contact, message.text)
            else:
                self._answer(contact)
        except StateError as exc:
            self._refuse(phone.line, "bad_state", str(exc), contact.id)

    def _from_third_party(self, phone: Phone, contact: Contact, message: Message) -> None:
        """A message from the outside party of a transfer or a consult: answer the ring
        or hang up."""
        consult = contact.method is _EXTERNAL_OUTBOUND  # an agent's consult
        if isinstance(message, Hangup):
            if consult:
                self._outside_party_left(contact)
            else:
                self._third_party_hung_up(contact)
        elif isinstance(message, Answer) and contact.state is _STATE_TRANSFERRING \
                and consult:
            self._consult_answered(contact)
        elif isinstance(message, Answer) and contact.state is not _STATE_THIRD_PARTY \
                and not consult:
            self._third_party_answered(contact)
        else:
            self._refuse(phone.line, "bad_state", f"contact {contact.id!r}: the outside party "
                         f"of a transfer or consult may answer its ring and hang up",
                         contact.id)

    def _say(self, contact: Contact, text: str) -> None:
        run = contact.run
        if run is None or not run.speech(text):
            raise StateError(f"contact {contact.id!r} has no bot listening now")
    def _dial(self, phone: Phone, to: str) -> None:
        flow_name = self.numbers.get(to)
        if flow_name is None:
            self._refuse(phone.line, "unknown_number",
                         f"number {to!r} is not in service; known numbers: "
                         f"{', '.join(sorted(self.numbers)) or 'none'}")
            self._release_if_done(phone)
            return
        contact = self._new_contact(_INBOUND, phone, system=to)
        self._log(contact.id, _CONNECTED_TO_SYSTEM)
        phone.line.send(CallStarted(contact.id, to))
        self._run_flow(contact, self.flows[flow_name], _PARTY_CUSTOMER)

    def _digits(self, contact: Contact, digits: str) -> None:
        run = contact.run
        if run is None or not run.digits(digits):
            raise StateError(f"contact {contact.id!r} is not collecting input now")

    def _answer(self, contact: Contact) -> None:
        if contact.state is not _STATE_RINGING:
            raise StateError(f"contact {contact.id!r} is not ringing")
        contact.cancel_timer()
        contact.state = _STATE_CONNECTING
        contact.customer_on_line = True
        self._log(contact.id, _CONNECTED_TO_SYSTEM)
        queue = self.queues[contact.queue_name or ""]
        self._whisper(contact, queue.outbound_whisper_flow, _PARTY_CUSTOMER)

    # -- agent messages -----------------------------------------------------
    def _from_agent(self, agent: Agent, message: Message) -> None:
        try:
            # A plain chain, commonest first: each branch is a direct method call in
            # the compiled build (a table of methods would call through Python there).
            if isinstance(message, Accept):
                self._on_accept(agent, message)
            elif isinstance(message, EndAfterContactWork):
                self._on_end_acw(agent, message)
            elif isinstance(message, SetStatus):
                self._on_set_status(agent, message)
            elif isinstance(message, Hangup):
                self._on_hangup(agent, message)
            elif isinstance(message, Reject):
                self._on_reject(agent, message)
            elif isinstance(message, Hold):
                self._on_hold(agent, message)
            elif isinstance(message, Resume):
                self._on_resume(agent, message)
            elif isinstance(message, Mute):
                self._on_mute(agent, message)
            elif isinstance(message, Unmute):
                self._on_unmute(agent, message)
            elif isinstance(message, Transfer):
                self._on_transfer(agent, message)
            elif isinstance(message, Consult):
                self._on_consult(agent, message)
            elif isinstance(message, CompleteTransfer):
                self._on_complete_transfer(agent, message)
            elif isinstance(message, Conference):
                self._on_conference(agent, message)
            elif isinstance(message, CancelConsult):
                self._on_cancel_consult(agent, message)
            else:
                self._refuse(agent.line, WRONG_ROLE, f"an agent cannot send {message.type!r}; "
                             f"an agent sends set_status, accept, reject, hold, resume, mute, "
                             f"unmute, transfer, consult, complete_transfer, conference, "
                             f"cancel_consult, hangup and end_after_contact_work",
                             getattr(message, "contact_id", None))
        except StateError as exc:
            self._refuse(agent.line, "bad_state", str(exc),
                         getattr(message, "contact_id", None))
        except ProtocolError as exc:  # a field the codec would refuse, sent in process
            agent.line.send(Error("bad_message", str(exc), exc.field,
                                  getattr(message, "contact_id", None)))

    def _on_set_status(self, agent: Agent, message: SetStatus) -> None:
        self._set_status(agent, message.status)

    def _on_accept(self, agent: Agent, message: Accept) -> None:
        self._accept(agent, self._offered(agent, message.contact_id))

    def _on_reject(self, agent: Agent, message: Reject) -> None:
        self._reject(agent, self._offered(agent, message.contact_id))

    def _on_hangup(self, agent: Agent, message: Hangup) -> None:
        contact_id = message.contact_id
        contact = self._own(agent, contact_id)
        if contact.state is _STATE_ENDED:
            raise StateError(f"contact {contact_id!r} has ended already")
        if contact.agent is not agent:
            raise StateError(f"contact {contact_id!r} is no longer connected to "
                             f"agent {agent.username!r}")
        leg = contact.leg
        if leg is not None and leg.previous_id == contact.id:  # the consulting agent
            self._agent_leaves(contact)
            return
        self._end(contact, _AGENT_DISCONNECT)

    def _on_end_acw(self, agent: Agent, message: EndAfterContactWork) -> None:
        contact = self._own(agent, message.contact_id)
        if agent.state is not _AGENT_AFTER_CONTACT_WORK:
            raise StateError(f"agent {agent.username!r} is not in after-contact work")
        self._end_acw(agent, contact)

    def _offered(self, agent: Agent, contact_id: str) -> Contact:
        contact = agent.offer
        if contact is None or contact.id != contact_id:
            raise StateError(f"contact {contact_id!r} is not offered to agent "
                             f"{agent.username!r}")
        return contact

    def _own(self, agent: Agent, contact_id: str) -> Contact:
        contact = agent.contact
        if contact is None or contact.id != contact_id:
            raise StateError(f"contact {contact_id!r} is not a contact of agent "
                             f"{agent.username!r}")
        return contact

    def _set_status(self, agent: Agent, status: str) -> None:
        if status != _AGENT_AVAILABLE and status != _AGENT_OFFLINE \
                and status not in self.custom_statuses:
            allowed = ", ".join(repr(s) for s in ("Available", "Offline", *self.custom_statuses))
            raise StateError(f"unknown status {status!r}; an agent can set {allowed}")
        if agent.contact is not None or agent.offer is not None:
            # As Connect's next status: it applies once the agent is done with the
            # contact (after-contact work over, or the offer missed or rejected).
            agent.next_status = None if status == _AGENT_AVAILABLE else status
            return
        if status == _AGENT_AVAILABLE:
            if agent.state is not _AGENT_AVAILABLE:
                self._make_available(agent)
            return
        self._set_unavailable(agent, status)

    def _set_unavailable(self, agent: Agent, status: str) -> None:
        """Offline or a custom status: out of routing."""
        self.pool.discard(agent)
        self._agent_state(agent, _AGENT_OFFLINE if status == _AGENT_OFFLINE else status)

    def _next_status(self, agent: Agent) -> bool:
        """Apply the status the agent set while busy, if any; True if one was set."""
        status = agent.next_status
        if status is None:
            return False
        agent.next_status = None
        self._set_unavailable(agent, status)
        return True

    def _agent_state(self, agent: Agent, state: str,
                     contact: Contact | None = None, notify: bool = True) -> None:
        agent.state = state
        contact_id = None if contact is None else contact.id
        self._log("", _AGENT_STATE, (agent.username, state, contact_id))
        if notify:
            agent.line.send(AgentStatus(state, contact_id))

    def _make_available(self, agent: Agent) -> None:
        agent.available_since = self._now()
        self._agent_state(agent, _AGENT_AVAILABLE)
        self.pool.add(agent)
        self._route_agent(agent)

    # -- joining customer and agent ---------------------------------------------
    def _whisper(self, contact: Contact, flow_name: str | None, participant: Participant) -> None:
        flow = None if flow_name is None else self.flows.get(flow_name)
        if flow is None:
            self._whisper_done(contact, participant)
            return
        run = contact.run = FlowRun(self, flow, contact, participant, self.flow_coverage)
        # Whispers are capped; a whisper that ends sooner cancels the cap.
        contact.timer = self.call_later(WHISPER_CAP_S, self._whisper_capped, contact, participant)
        run.start()

    def _whisper_capped(self, contact: Contact, participant: Participant) -> None:
        contact.timer = None
        contact.stop_flow()
        self._whisper_done(contact, participant)

    def _whisper_done(self, contact: Contact, participant: Participant) -> None:
        if contact.timer is not None:
            contact.cancel_timer()
        contact.run = None
        if contact.state is not _STATE_CONNECTING:
            return
        if participant is _PARTY_AGENT:
            if contact.method is _CALLBACK:
                self._dial_out(contact)
                return
            if contact.leg is not None:  # a consult leg: the agents talk, no customer
                self._consult_connected(contact)
                return
            customer_whisper = contact.hooks.get(_HOOK_CUSTOMER_WHISPER)
            if customer_whisper is not None:
                self._whisper(contact, customer_whisper, _PARTY_CUSTOMER)
                return
        agent = contact.agent
        assert agent is not None
        contact.state = _STATE_CONNECTED
        self._log(contact.id, _CONNECTED_TO_AGENT, agent.username)
        agent.line.send(Connected(contact.id, contact.phone.number))
        contact.phone.line.send(Connected(contact.id, agent.username))

    # -- callback dial-out -----------------------------------------------------------
    def _dial_out(self, contact: Contact) -> None:
        """Ring the customer of a callback; unanswered after ``ring_timeout_s``, retry."""
        # The number may have reconnected on a new line since the callback was made
        # (or it is another number: the flow set a callback number).
        number = contact.dial_number or contact.phone.number
        phone = self.phones.get(number)
        if phone is not None and phone is not contact.phone:
            del contact.phone.contacts[contact.id]
            phone.contacts[contact.id] = contact
            contact.phone = phone
        contact.state = _STATE_RINGING
        contact.attempts += 1
        contact.timer = self.call_later(self.ring_timeout_s, self._not_answered, contact)
        if contact.phone.number == number:  # else nobody is on that number: no answer
            contact.phone.line.send(Ringing(contact.id, contact.queue_name or ""))

    def _not_answered(self, contact: Contact) -> None:
        contact.timer = None
        block = contact.callback
        retries = block.max_retries if block is not None else 0
        if contact.attempts > retries:
            self._end(contact, _NOT_ANSWERED)
            return
        # The agent is released (after-contact work for the attempt); the
        # callback waits the retry interval, scheduled, then queues again.
        self._log(contact.id, _NO_ANSWER, contact.attempts)
        contact.phone.line.send(Disconnected(contact.id, "NO_ANSWER"))
        agent = contact.agent
        contact.agent = None
        if agent is not None:
            agent.line.send(Disconnected(contact.id, "NO_ANSWER"))
            self._start_acw(agent, contact)
        queue = self.queues[contact.queue_name or ""]
        interval = block.retry_interval_s if block is not None else 0.0
        contact.state = _STATE_SCHEDULED
        self._log(contact.id, _SCHEDULED, (queue.name, interval))
        contact.timer = self.call_later(interval, self._delay_over, contact, queue)

    # -- ending -------------------------------------------------------------------
    def _end(self, contact: Contact, reason: DisconnectReason) -> None:
        """End ``contact`` now for ``reason``; idempotent."""
        if contact.state is _STATE_ENDED:
            return
        if contact.run is not None:
            contact.stop_flow()
        if contact.agent_run is not None:
            contact.stop_agent_flow()
        if contact.timer is not None:
            contact.cancel_timer()
        offered = None if contact.offered_to is None else self._withdraw_offer(contact)
        if contact.queue is not None:
            self._leave_queue(contact, None)
        ringing = contact.state is _STATE_RINGING
        if contact.third is not None:
            self._drop_third_party(contact, str(reason))
        contact.state = _STATE_ENDED
        self._log(contact.id, _DISCONNECTED, reason)
        phone = contact.phone
        del phone.contacts[contact.id]
        # Messages are immutable: everyone who hears of the end gets the same one.
        ended = Disconnected(contact.id, reason)
        if contact.customer_on_line or ringing:
            phone.line.send(ended)
        self._release_if_done(phone)
        agent = contact.agent
        if agent is not None:
            agent.line.send(ended)
            self._start_acw(agent, contact)
        else:
            left = contact.left_agent  # transferred out: done once their wrap-up is too
            if left is None or left.contact is not contact:
                self._log(contact.id, _COMPLETED)
        if offered is not None:
            # The offer is gone; the agent is still available, in the same place
            # (unless they asked for another status meanwhile).
            offered.line.send(ended)
            if not self._next_status(offered):
                self._agent_state(offered, _AGENT_AVAILABLE)
                self._route_agent(offered)
        link = contact.leg
        if link is not None:  # one leg of a consult ended
            contact.leg = link.leg = None
            self._leg_gone(contact, link, reason)

    def _start_acw(self, agent: Agent, contact: Contact) -> None:
        self._log(contact.id, _ACW_STARTED, agent.username)
        self._agent_state(agent, _AGENT_AFTER_CONTACT_WORK, contact)
        if agent.acw_timeout_s > 0:
            agent.acw_timer = self.call_later(agent.acw_timeout_s, self._acw_timed_out,
                                              agent, contact)

    def _acw_timed_out(self, agent: Agent, contact: Contact) -> None:
        agent.acw_timer = None
        if agent.contact is contact:
            self._end_acw(agent, contact)

    def _end_acw(self, agent: Agent, contact: Contact) -> None:
        if agent.acw_timer is not None:
            agent.acw_timer.cancel()
            agent.acw_timer = None
        self._log(contact.id, _ACW_ENDED, agent.username)
        if contact.state is _STATE_ENDED and (contact.agent is agent
                                                    or contact.left_agent is agent):
            self._log(contact.id, _COMPLETED)
        agent.contact = None
        if not self._next_status(agent):
            self._make_available(agent)


def _ignore(_message: Message) -> None:
    pass


#: The error code for a message the endpoint's role does not send (a caller's
#: ``accept``, an agent's ``dial``).
WRONG_ROLE: Final = "wrong_role"
