"""Contacts an outside program starts, stops, transfers or annotates (the Connect API's).

A mixin of the Switchboard, like routing and the flow host: the API server
(testbed.server.connect_api) calls these methods; nothing here knows HTTP.
Every change is logged at the instant it happens, as the switchboard's own are.

- An outbound voice contact (``start_outbound_voice``, Connect's
  StartOutboundVoiceContact) is initiated when asked (InitiationMethod API,
  Channel VOICE) and rings the customer's number for ``ring_timeout_s``.  On
  answer it is connected to the system and runs its flow, its working queue set
  first when one is given.  Nobody answering, or no caller connected with the
  number, ends it TELECOM_UNANSWERED when the ring times out; a caller who hangs
  up while it rings ends it CUSTOMER_DISCONNECT.
- A task (``start_task``, StartTaskContact) has no customer: InitiationMethod API,
  Channel TASK.  It runs its flow at once, or at its scheduled time.
- ``stop_contact`` ends a live contact (reason API for a task, OTHER for voice); a voice TRANSFER or
  QUEUE_TRANSFER contact cannot be stopped, as in Connect.
- ``transfer_task`` (TransferContact) ends a live task and starts a TRANSFER
  contact of it that runs the given flow; voice contacts are refused.
- ``update_contact_attributes`` sets attributes on a contact, live or ended, and
  on the live contacts of its chain (same InitialContactId), so flows and agents
  on the current leg see them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, Protocol

from testbed.centre.contacts import Contact, ContactState, Phone
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.core.errors import ConfigError, StateError
from testbed.core.messages import Answer, Message, Ringing, is_phone_number
from testbed.core.native import trait
from testbed.flows import Participant
from testbed.records.contact_record import DisconnectReason, EventKind, InitiationMethod

# Enum members read on the hot path, as Final names: the compiled build reads
# these as constants (an enum class's attribute is a dictionary lookup there).
_ATTRIBUTES: Final = EventKind.ATTRIBUTES
_CONNECTED_TO_SYSTEM: Final = EventKind.CONNECTED_TO_SYSTEM
_CONTACT_FLOW_DISCONNECT: Final = DisconnectReason.CONTACT_FLOW_DISCONNECT
_PARTY_CUSTOMER: Final = Participant.CUSTOMER
_STATE_ENDED: Final = ContactState.ENDED
_STATE_IN_FLOW: Final = ContactState.IN_FLOW
_STATE_RINGING: Final = ContactState.RINGING
_STATE_SCHEDULED: Final = ContactState.SCHEDULED
_TELECOM_UNANSWERED: Final = DisconnectReason.TELECOM_UNANSWERED
_TRANSFER: Final = InitiationMethod.TRANSFER
_TRANSFERRED: Final = EventKind.TRANSFERRED
_UPDATED: Final = EventKind.UPDATED

__all__ = ["API_STOP", "API_TASK_STOP", "MAX_ATTRIBUTES_BYTES", "MAX_TASK_DELAY_S",
           "MAX_TASK_TRANSFERS", "OUTBOUND_RING_TIMEOUT_S", "ContactDetails", "Outbound",
           "check_attributes"]

_API: Final = InitiationMethod.API
#: Why a voice contact ends when an outside program stops it: Connect's CTR page
#: lists API among the reasons of tasks and chats only, so a voice call writes OTHER.
API_STOP: Final = DisconnectReason.OTHER
#: Why a task ends when an outside program stops or transfers it.
API_TASK_STOP: Final = DisconnectReason.API
#: Connect's dialling timeout when RingTimeoutInSeconds is not given.
OUTBOUND_RING_TIMEOUT_S: Final = 60.0
#: Connect's limits: attributes per contact, transfers of a task, a task's schedule.
MAX_ATTRIBUTES_BYTES: Final = 32768
MAX_TASK_TRANSFERS: Final = 11
MAX_TASK_DELAY_S: Final = 6 * 24 * 3600.0
_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
_UNSTOPPABLE: Final = (InitiationMethod.TRANSFER, InitiationMethod.QUEUE_TRANSFER)


def check_attributes(attributes: Mapping[str, str], where: str = "Attributes") -> None:
    """ConfigError naming the first key Connect refuses: keys are letters, digits, ``-``
    and ``_``; all keys and values together take at most 32,768 UTF-8 bytes."""
    size = 0
    for key, value in attributes.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ConfigError(f"{where}: key {str(key)[:80]!r} may hold only letters, digits, "
                              f"'-' and '_'")
        if not isinstance(value, str):
            raise ConfigError(f"{where}.{key}: value must be a string, got {value!r}")
        size += len(key.encode()) + len(value.encode())
    if size > MAX_ATTRIBUTES_BYTES:
        raise ConfigError(f"{where}: {size} bytes of keys and values, more than the "
                          f"{MAX_ATTRIBUTES_BYTES} a contact may hold")


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """What the starter of a contact gives it besides its route.

    ``name`` and ``description`` show in its record (and to agents);
    ``references`` are ``{name: {"Value": ..., "Type": ...}}`` flows read as
    ``$.References.name.Value``; ``attributes`` are set before its flow runs,
    over those copied from ``related_id`` (RelatedContactId), a contact of the
    instance, live or ended.
    """

    name: str | None = None
    description: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    references: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    related_id: str | None = None


class _Dialling:
    """The mixin's own state, made on first use: outbound calls that ring now (id ->
    contact and the flow to run on answer) and phones for numbers nobody connected."""

    __slots__ = ("nowhere", "ringing")

    def __init__(self) -> None:
        self.ringing: dict[str, tuple[Contact, str]] = {}
        self.nowhere: dict[str, Phone] = {}


class _Board(SwitchboardCore, Protocol):
    """What the mixin uses of the Switchboard beyond SwitchboardCore."""

    _outbound: _Dialling | None  # the mixin's state, made on first use

    def _from_phone(self, phone: Phone, message: Message) -> None: ...


@trait
class Outbound:
    """Outbound calls, tasks, stopping, transferring and updating contacts from outside."""

    # -- finding contacts ---------------------------------------------------------
    def live_contacts(self: _Board) -> Iterator[Contact]:
        """Every contact not ended yet: on a line, a task, waiting, with an agent."""
        return _live(self)

    def live_contact(self: _Board, contact_id: str) -> Contact | None:
        """The contact ``contact_id`` if it has not ended, else None."""
        return _live_one(self, contact_id)

    def is_task(self: _Board, contact: Contact) -> bool:
        """True for a TASK contact (one of the task line: no customer)."""
        return contact.phone is self.task_phone

    def initial_contact_id(self: _Board, contact_id: str) -> str | None:
        """The first contact of ``contact_id``'s chain (by PreviousContactId), or None
        if the instance has no such contact."""
        return _initial_id(self, contact_id)

    def attributes_of(self: _Board, contact_id: str) -> dict[str, str] | None:
        """The contact's attributes now (live or recorded), or None if there is none."""
        return _attributes(self, contact_id)

    # -- outbound voice -------------------------------------------------------------
    def start_outbound_voice(self: _Board, number: str, flow: str,
                             details: ContactDetails | None = None, *,
                             queue: str | None = None, source: str | None = None,
                             ring_timeout_s: float = OUTBOUND_RING_TIMEOUT_S) -> Contact:
        """Ring ``number`` and, once answered, run ``flow`` (working queue ``queue``).

        ``source`` is the instance's number shown as caller id (the record's
        SystemEndpoint).  ConfigError names a bad number, flow, queue or contact.
        """
        details = details or ContactDetails()
        if not isinstance(number, str) or not is_phone_number(number):
            raise ConfigError(f"destination {number!r} is not an E.164 phone number "
                              f"(+ and up to 15 digits)")
        _check_route(self, flow, queue)
        if not ring_timeout_s > 0:
            raise ConfigError(f"ring_timeout_s must be > 0, got {ring_timeout_s!r}")
        attributes = _starting_attributes(self, details, None)
        dialling = _dialling(self)
        # Forget calls that ended while ringing (declined, line closed) and empty phones.
        for ended in [i for i, (c, _) in dialling.ringing.items()
                      if c.state is _STATE_ENDED]:
            del dialling.ringing[ended]
        for gone in [n for n, p in dialling.nowhere.items() if not p.contacts]:
            del dialling.nowhere[gone]
        phone = self.phones.get(number)
        if phone is not None:
            # The answer to this ring runs the flow; everything else goes on as before.
            phone.line.on_receive(partial(_from_dialled_phone, self, phone))
        else:  # nobody is on that number: a phone whose line goes nowhere
            phone = dialling.nowhere.get(number)
            if phone is None:
                phone = dialling.nowhere[number] = Phone(number, self.task_phone.line)
        contact = self._new_contact(_API, phone, system=source)
        contact.customer_on_line = False
        contact.queue_name = queue
        _describe(self, contact, details, attributes)
        contact.state = _STATE_RINGING
        dialling.ringing[contact.id] = (contact, flow)
        contact.timer = self.call_later(ring_timeout_s, _unanswered, self, contact)
        if self.phones.get(number) is phone:
            phone.line.send(Ringing(contact.id, source or ""))
        return contact

    # -- tasks --------------------------------------------------------------------
    def start_task(self: _Board, flow: str, details: ContactDetails | None = None, *,
                   queue: str | None = None, previous_id: str | None = None,
                   delay_s: float = 0.0) -> Contact:
        """A TASK contact that runs ``flow`` now or ``delay_s`` from now (its
        ScheduledTimestamp), working queue ``queue`` (``agent/USERNAME`` for an
        agent).  ``previous_id`` chains it after a contact of the instance (its
        PreviousContactId and InitialContactId; attributes copied)."""
        details = details or ContactDetails()
        _check_route(self, flow, queue)
        if not 0 <= delay_s <= MAX_TASK_DELAY_S:
            raise ConfigError(f"a task starts between now and 6 days from now; delay_s "
                              f"{delay_s!r} is not")
        previous = None
        if previous_id is not None:
            initial = _initial_id(self, previous_id)
            if initial is None:
                raise ConfigError(f"previous contact {previous_id!r}: no such contact")
            # Only its ids matter: it gives the task no number and no endpoint.
            previous = Contact(previous_id, 0, _API, self.task_phone)
            previous.initial_id = initial
        attributes = _starting_attributes(self, details, previous_id)
        task = self._new_contact(_API, self.task_phone, previous)
        task.customer_on_line = False
        task.queue_name = queue
        scheduled = self._now() + delay_s if delay_s > 0 else None
        _describe(self, task, details, attributes, task=True, scheduled=scheduled)
        if delay_s > 0:
            task.state = _STATE_SCHEDULED
            task.timer = self.call_later(delay_s, self._start_task, task, flow)
        else:
            self._start_task(task, flow)
        return task

    # -- stopping, transferring, updating ------------------------------------------
    def stop_contact(self: _Board, contact: Contact,
                     reason: DisconnectReason | None = None) -> None:
        """End a live contact now for ``reason`` (default: API for a task, OTHER for
        voice); StateError for one that ended, or a voice contact initiated by
        TRANSFER or QUEUE_TRANSFER (Connect refuses those)."""
        if reason is None:
            reason = API_TASK_STOP if contact.phone is self.task_phone else API_STOP
        if contact.state is _STATE_ENDED:
            raise StateError(f"contact {contact.id!r} has ended already")
        if contact.method in _UNSTOPPABLE and contact.phone is not self.task_phone:
            raise StateError(f"contact {contact.id!r} is a voice contact initiated by "
                             f"{contact.method}; those cannot be stopped")
        _dialling(self).ringing.pop(contact.id, None)
        self._end(contact, reason)

    def transfers_of(self: _Board, contact: Contact) -> int:
        """How many times the task has been transferred (its TRANSFER ancestors)."""
        return _transfers(self, contact)

    def transfer_task(self: _Board, contact: Contact, flow: str,
                      queue: str | None = None) -> Contact:
        """End the live task ``contact`` (TransferCompletedTimestamp set, reason API) and
        start its TRANSFER contact, which runs ``flow`` with working queue ``queue``
        (by default the task's)."""
        if contact.phone is not self.task_phone:
            raise StateError(f"contact {contact.id!r} is a VOICE contact; only TASK "
                             f"contacts are transferred")
        if contact.state is _STATE_ENDED:
            raise StateError(f"contact {contact.id!r} has ended; only a live task is "
                             f"transferred")
        _check_route(self, flow, queue)
        if _transfers(self, contact) >= MAX_TASK_TRANSFERS:
            raise StateError(f"task {contact.id!r} has been transferred "
                             f"{MAX_TASK_TRANSFERS} times, the most Connect allows")
        new = self._next_leg(contact, _TRANSFER, queue or "")
        new.queue_name = queue or contact.queue_name
        new.customer_on_line = False
        old = contact.data
        details = ContactDetails(None if old is None else old.name,
                                 None if old is None else old.description,
                                 references={} if old is None else old.references,
                                 related_id=contact.related_id)
        # The copied attributes are logged, so the new contact's record shows them.
        _describe(self, new, details, dict(new.attributes), task=True)
        self._log(new.id, _CONNECTED_TO_SYSTEM)
        self._log(contact.id, _TRANSFERRED, None)
        self._end(contact, API_TASK_STOP)
        self._run_flow(new, self.flows[flow], _PARTY_CUSTOMER)
        return new

    def update_contact_attributes(self: _Board, contact_id: str,
                                  attributes: Mapping[str, str]) -> None:
        """Set ``attributes`` on the contact (live or ended) and on every live contact
        of its chain; ConfigError for an unknown contact or a bad key."""
        initial = _initial_id(self, contact_id)
        if initial is None:
            raise ConfigError(f"contact {contact_id!r}: no such contact")
        check_attributes(attributes)
        merged = _attributes(self, contact_id) or {}
        merged.update(attributes)
        check_attributes(merged)
        live = [c for c in _live(self) if c.initial_id == initial]
        if not any(c.id == contact_id for c in live):
            self._log(contact_id, _ATTRIBUTES, tuple(attributes.items()))
        for contact in live:
            self.set_attributes(contact, dict(attributes))


# -- the mixin's helpers --------------------------------------------------------------
def _dialling(sb: _Board) -> _Dialling:
    state = sb._outbound
    if state is None:
        state = sb._outbound = _Dialling()
    return state


def _live(sb: _Board) -> Iterator[Contact]:
    seen: set[str] = set()
    phones = [sb.task_phone, *sb.phones.values(), *_dialling(sb).nowhere.values()]
    found: list[Contact] = [c for phone in phones for c in phone.contacts.values()]
    for queue in sb.queues.values():  # callbacks of a caller whose line went away
        found.extend(queue)
    for agent in sb.agents.values():
        found.extend(c for c in (agent.offer, agent.contact) if c is not None)
    for contact in found:
        if contact.id not in seen and contact.state is not _STATE_ENDED:
            seen.add(contact.id)
            yield contact


def _live_one(sb: _Board, contact_id: str) -> Contact | None:
    for contact in _live(sb):
        if contact.id == contact_id:
            return contact
    return None


def _initial_id(sb: _Board, contact_id: str) -> str | None:
    live = _live_one(sb, contact_id)
    if live is not None:
        return live.initial_id
    previous = {r.contact_id: r.previous_contact_id for r in sb.records.records()}
    if contact_id not in previous:
        return None
    current = contact_id
    for _ in range(len(previous)):  # a chain never loops; the bound guards a bad store
        before = previous.get(current)
        if before is None:
            break
        current = before
    return current


def _attributes(sb: _Board, contact_id: str) -> dict[str, str] | None:
    live = _live_one(sb, contact_id)
    if live is not None:
        return dict(live.attributes)
    try:
        return dict(sb.records.record(contact_id).attributes)
    except KeyError:
        return None


def _from_dialled_phone(sb: _Board, phone: Phone, message: Message) -> None:
    """A caller's message: the answer to an outbound call's ring connects it; the
    switchboard takes everything else (digits, hang-ups, callbacks' answers)."""
    if type(message) is Answer and sb.phones.get(phone.number) is phone:
        ringing = _dialling(sb).ringing.get(message.contact_id)
        if ringing is not None and ringing[0].state is _STATE_RINGING:
            _answered(sb, ringing[0])
            return
    sb._from_phone(phone, message)


def _answered(sb: _Board, contact: Contact) -> None:
    _, flow_name = _dialling(sb).ringing.pop(contact.id)
    contact.cancel_timer()
    contact.state = _STATE_IN_FLOW
    contact.customer_on_line = True
    sb._log(contact.id, _CONNECTED_TO_SYSTEM)
    flow = sb.flows.get(flow_name)
    if flow is None:  # removed while the call rang
        sb._end(contact, _CONTACT_FLOW_DISCONNECT)
        return
    sb._run_flow(contact, flow, _PARTY_CUSTOMER)


def _unanswered(sb: _Board, contact: Contact) -> None:
    contact.timer = None
    _dialling(sb).ringing.pop(contact.id, None)
    sb._end(contact, _TELECOM_UNANSWERED)


def _check_route(sb: _Board, flow: str, queue: str | None) -> None:
    if flow not in sb.flows:
        raise ConfigError(f"no flow named {flow!r}; known flows: "
                          f"{', '.join(sorted(sb.flows)) or 'none'}")
    if queue is not None and queue not in sb.queues and (
            not queue.startswith("agent/") or sb.agent_queue(queue[6:]) is None):
        raise ConfigError(f"no queue named {queue!r}; known queues: "
                          f"{', '.join(sorted(sb.queues)) or 'none'}")


def _starting_attributes(sb: _Board, details: ContactDetails,
                         previous_id: str | None) -> dict[str, str]:
    """The previous and related contacts' attributes, then the ones given."""
    attributes: dict[str, str] = {}
    for source, what in ((previous_id, "previous"), (details.related_id, "related")):
        if source is not None:
            found = _attributes(sb, source)
            if found is None:
                raise ConfigError(f"{what} contact {source!r}: no such contact")
            attributes.update(found)
    check_attributes(details.attributes)
    attributes.update(details.attributes)
    check_attributes(attributes)
    return attributes


def _describe(sb: _Board, contact: Contact, details: ContactDetails,
              attributes: Mapping[str, str], task: bool = False,
              scheduled: float | None = None) -> None:
    """Log a new contact's record fields, references and attributes."""
    contact.related_id = details.related_id
    fields: list[tuple[str, Any]] = [("Channel", "TASK")] if task else []
    if details.related_id is not None:
        fields.append(("RelatedContactId", details.related_id))
    if details.name is not None or details.description is not None or details.references:
        data = sb._data(contact)
        data.name, data.description = details.name, details.description
        data.references.update({k: dict(v) for k, v in details.references.items()})
    fields.extend((k, v) for k, v in (("Name", details.name),
                                      ("Description", details.description)) if v is not None)
    if scheduled is not None:
        fields.append(("ScheduledTimestamp", scheduled))
    if fields:
        sb._log(contact.id, _UPDATED, tuple(fields))
    if attributes:
        sb.set_attributes(contact, dict(attributes))


def _transfers(sb: _Board, contact: Contact) -> int:
    if contact.method is not _TRANSFER:
        return 0
    chain = {r.contact_id: r for r in sb.records.records()}
    count, current = 0, chain.get(contact.id)
    while current is not None and current.initiation_method is _TRANSFER \
            and count <= MAX_TASK_TRANSFERS:
        count += 1
        current = chain.get(current.previous_contact_id or "")
    return count
