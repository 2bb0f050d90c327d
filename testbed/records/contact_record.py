"""Contact records, event-sourced.

Rules:

* Every state change of a contact is appended to the log at the moment it
  happens, as a small tuple ``(t, contact_id, kind, data)`` with ``t`` in
  testbed seconds.  Nothing is ever rewritten.
* A contact record is the fold of its events (``testbed.records.fold``); records are
  folded on read, so the hot path pays only for the append.
* The RecordService (``testbed.records.service``) keeps the log; subscribers
  get each event live as a ContactEvent.
* Records keep whole seconds (Connect's ``2022-04-08T11:35:00Z``); the event
  log keeps milliseconds.

Queue.Duration is DequeueTimestamp - EnqueueTimestamp, except for a callback
contact, where it counts from InitiationTimestamp: the initial delay is time
spent waiting for an agent (the seed: 99 s delay + 21 s in queue = 120 s).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from testbed.core.frozen import quick_init

__all__ = [
    "AgentInfo",
    "ContactEvent",
    "ContactRecord",
    "DisconnectReason",
    "EventKind",
    "InitiationMethod",
    "QueueInfo",
    "format_timestamp",
    "format_timestamp_ms",
    "instant_of",
    "records_to_json",
]


class InitiationMethod(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    CALLBACK = "CALLBACK"
    TRANSFER = "TRANSFER"
    QUEUE_TRANSFER = "QUEUE_TRANSFER"
    API = "API"
    EXTERNAL_OUTBOUND = "EXTERNAL_OUTBOUND"  # an agent's consult leg to an outside number


class DisconnectReason(StrEnum):
    CUSTOMER_DISCONNECT = "CUSTOMER_DISCONNECT"
    AGENT_DISCONNECT = "AGENT_DISCONNECT"
    CONTACT_FLOW_DISCONNECT = "CONTACT_FLOW_DISCONNECT"
    THIRD_PARTY_DISCONNECT = "THIRD_PARTY_DISCONNECT"
    TELECOM_UNANSWERED = "TELECOM_UNANSWERED"
    TELECOM_PROBLEM = "TELECOM_PROBLEM"
    OTHER = "OTHER"
    API = "API"  # a task (chat, task) ended by StopContact or moved by TransferContact


class EventKind(StrEnum):
    """What happened to a contact; ``data`` of each kind is noted beside it."""

    INITIATED = "INITIATED"                    # (method, previous contact id | None, customer,
                                               #  system endpoint | None)
    CONNECTED_TO_SYSTEM = "CONNECTED_TO_SYSTEM"  # None
    SCHEDULED = "SCHEDULED"                    # (queue, delay_s): a callback waits its delay
    ENQUEUED = "ENQUEUED"                      # queue name
    OFFERED = "OFFERED"                        # agent username
    MISSED = "MISSED"                          # agent username: the offer timed out
    REJECTED = "REJECTED"                      # agent username
    DEQUEUED = "DEQUEUED"                      # agent username who accepted, or None
    CONNECTED_TO_AGENT = "CONNECTED_TO_AGENT"  # agent username
    NO_ANSWER = "NO_ANSWER"                    # callback dial-out attempt number not answered
    NEXT_CONTACT = "NEXT_CONTACT"              # id of the contact that follows this one
    ATTRIBUTES = "ATTRIBUTES"                  # ((key, value), ...)
    UPDATED = "UPDATED"                        # ((CTR field, value), ...): fields a flow set
                                               #  (Channel, Name, Description, Tags, Recording,
                                               #  ContactLens, RelatedContactId, ScheduledTimestamp)
    TRANSFERRED = "TRANSFERRED"                # number: transferred out to a third party, or
                                               #  None: an agent's transfer to a queue / agent
    QUICK_CONNECT = "QUICK_CONNECT"            # (quick connect, agent username, "queue" |
                                               #  "agent" | "number", target): an agent transfers
    FLOW_ACTION = "FLOW_ACTION"                # (flow, action Identifier, Type, detail): what a
                                               #  block did that no record field shows
    LAMBDA = "LAMBDA"                          # {function, parameters, duration_s, response |
                                               #  error}: one Lambda invocation
    BOT = "BOT"                                # {bot, input, intent, slots}: one Lex turn
    DISCONNECTED = "DISCONNECTED"              # DisconnectReason
    HOLD = "HOLD"                              # agent username: the customer is put on hold
    RESUME = "RESUME"                          # agent username: the hold is over
    CONFERENCE = "CONFERENCE"                  # agent username: the agent joined customer and
                                               #  consult leg (logged on the first contact)
    CONSULT_LEG = "CONSULT_LEG"                # first contact id: this contact is a consult leg
                                               #  of it (its customer on hold there)
    JOINED = "JOINED"                          # None: the customer joined this consult leg (a
                                               #  completed transfer or a conference)
    MUTE = "MUTE"                              # (agent username, "agent" | "customer")
    UNMUTE = "UNMUTE"                          # (agent username, "agent" | "customer")
    ACW_STARTED = "ACW_STARTED"                # agent username
    ACW_ENDED = "ACW_ENDED"                    # agent username
    COMPLETED = "COMPLETED"                    # None: disconnected and its wrap-up is over
    # Agent events carry an empty contact id:
    AGENT_STATE = "AGENT_STATE"                # (username, AgentState, contact id | None)


Entry = tuple[float, str, EventKind, Any]


class ContactEvent(NamedTuple):
    """One entry of the event log: ``timestamp_s`` is testbed seconds since start."""

    timestamp_s: float
    contact_id: str
    kind: EventKind
    data: Any


def instant_of(start: datetime, t: float) -> datetime:
    """The UTC instant of testbed time ``t`` after ``start``, to the millisecond."""
    return start + timedelta(milliseconds=round(t * 1000))


def format_timestamp_ms(value: datetime) -> str:
    """A UTC instant with milliseconds, as the event stream shows it: ``...T11:38:39.000Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def format_timestamp(value: datetime | None) -> str | None:
    """Connect's timestamp format, ``2022-04-08T11:35:00Z`` (None stays None)."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds_between(a: datetime | None, b: datetime | None) -> int | None:
    return None if a is None or b is None else int((b - a).total_seconds())


@quick_init
@dataclass(frozen=True, slots=True)
class QueueInfo:
    name: str
    enqueue_timestamp: datetime | None
    dequeue_timestamp: datetime | None
    duration_s: int | None


@quick_init
@dataclass(frozen=True, slots=True)
class AgentInfo:
    """The agent part of a record.

    ``number_of_holds`` (NumberOfHolds) counts the times the agent put the
    customer on hold; ``customer_hold_duration_s`` (CustomerHoldDuration) is
    the whole seconds the customer spent on hold, summed over the holds, and
    ``longest_hold_duration_s`` (LongestHoldDuration) the longest one.  A hold
    lasts until the resume, or until the disconnect when the call ends on hold;
    a hold still open on a live contact counts in ``number_of_holds`` only.

    ``agent_interaction_duration_s`` (AgentInteractionDuration) is the whole seconds
    the agent talked with the customer: from ConnectedToAgentTimestamp (on a consult
    leg, from when the customer joined it: 0 if they never did, as Connect's
    consulted agent "never speaks with the customer") to DisconnectTimestamp (or
    to the agent's AfterContactWorkStartTimestamp when they left sooner,
    transferring the customer to an outside number), less CustomerHoldDuration;
    None until the contact has disconnected.
    """

    username: str
    connected_to_agent_timestamp: datetime | None
    after_contact_work_start_timestamp: datetime | None = None
    after_contact_work_end_timestamp: datetime | None = None
    number_of_holds: int = 0
    customer_hold_duration_s: int = 0
    longest_hold_duration_s: int = 0
    agent_interaction_duration_s: int | None = None

    @property
    def after_contact_work_duration_s(self) -> int | None:
        """AfterContactWorkDuration: whole seconds from ACW start to ACW end."""
        return _seconds_between(self.after_contact_work_start_timestamp,
                                self.after_contact_work_end_timestamp)


@quick_init
@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A contact record as Amazon Connect writes it (whole-second UTC timestamps)."""

    contact_id: str
    initiation_method: InitiationMethod
    initiation_timestamp: datetime
    connected_to_system_timestamp: datetime | None = None
    queue: QueueInfo | None = None
    agent: AgentInfo | None = None
    disconnect_timestamp: datetime | None = None
    disconnect_reason: DisconnectReason | None = None
    previous_contact_id: str | None = None
    next_contact_id: str | None = None
    customer_endpoint: str | None = None
    channel: str = "VOICE"
    attributes: Mapping[str, str] = field(default_factory=dict)
    system_endpoint: str | None = None
    related_contact_id: str | None = None
    name: str | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    recording: Mapping[str, Any] | None = None
    contact_lens: Mapping[str, Any] | None = None
    transferred_to_endpoint: str | None = None
    transfer_completed_timestamp: datetime | None = None
    scheduled_timestamp: datetime | None = None
    #: ExternalThirdParty.ExternalThirdPartyInteractionDuration of an EXTERNAL_OUTBOUND
    #: consult leg that was answered and has ended: whole seconds the outside party
    #: talked with the customer (from the transfer's completion or the conference to the
    #: disconnect; 0 when they only talked with the agent).
    external_third_party_interaction_duration_s: int | None = None

    @property
    def complete(self) -> bool:
        """True once the contact has disconnected."""
        return self.disconnect_timestamp is not None

    @property
    def agent_interaction_duration_s(self) -> int | None:
        """AgentInteractionDuration (see AgentInfo); None without an agent."""
        agent = self.agent
        return None if agent is None else agent.agent_interaction_duration_s

    @classmethod
    def from_ctr(cls, ctr: Mapping[str, Any]) -> ContactRecord:
        """The record back from its CTR shape (``to_ctr``), e.g. an exported line."""
        def ts(value: Any) -> datetime | None:
            return None if value is None else datetime.strptime(
                value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

        queue, agent = ctr.get("Queue"), ctr.get("Agent")
        external = ctr.get("ExternalThirdParty")
        customer = ctr.get("CustomerEndpoint")
        reason = ctr.get("DisconnectReason")
        initiation = ts(ctr["InitiationTimestamp"])
        assert initiation is not None
        return cls(
            contact_id=ctr["ContactId"],
            initiation_method=InitiationMethod(ctr["InitiationMethod"]),
            initiation_timestamp=initiation,
            connected_to_system_timestamp=ts(ctr.get("ConnectedToSystemTimestamp")),
            queue=None if queue is None else QueueInfo(
                queue["Name"], ts(queue.get("EnqueueTimestamp")),
                ts(queue.get("DequeueTimestamp")), queue.get("Duration")),
            agent=None if agent is None else AgentInfo(
                agent["Username"], ts(agent.get("ConnectedToAgentTimestamp")),
                ts(agent.get("AfterContactWorkStartTimestamp")),
                ts(agent.get("AfterContactWorkEndTimestamp")),
                # Exports written before holds were simulated have none of these.
                agent.get("NumberOfHolds") or 0, agent.get("CustomerHoldDuration") or 0,
                agent.get("LongestHoldDuration") or 0, agent.get("AgentInteractionDuration")),
            disconnect_timestamp=ts(ctr.get("DisconnectTimestamp")),
            disconnect_reason=None if reason is None else DisconnectReason(reason),
            previous_contact_id=ctr.get("PreviousContactId"),
            next_contact_id=ctr.get("NextContactId"),
            customer_endpoint=_address(customer),
            channel=ctr.get("Channel", "VOICE"),
            attributes=dict(ctr.get("Attributes") or {}),
            system_endpoint=_address(ctr.get("SystemEndpoint")),
            related_contact_id=ctr.get("RelatedContactId"),
            name=ctr.get("Name"),
            description=ctr.get("Description"),
            tags=dict(ctr.get("Tags") or {}),
            recording=ctr.get("Recording"),
            contact_lens=ctr.get("ContactLens"),
            transferred_to_endpoint=_address(ctr.get("TransferredToEndpoint")),
            transfer_completed_timestamp=ts(ctr.get("TransferCompletedTimestamp")),
            scheduled_timestamp=ts(ctr.get("ScheduledTimestamp")),
            external_third_party_interaction_duration_s=None if external is None
            else external.get("ExternalThirdPartyInteractionDuration"),
        )

    def to_ctr(self) -> dict[str, Any]:
        """The record in Connect's CTR shape (field names and timestamp format)."""
        queue = self.queue
        agent = self.agent
        return {
            "ContactId": self.contact_id,
            "PreviousContactId": self.previous_contact_id,
            "NextContactId": self.next_contact_id,
            "Channel": self.channel,
            "InitiationMethod": str(self.initiation_method),
            "InitiationTimestamp": format_timestamp(self.initiation_timestamp),
            "ConnectedToSystemTimestamp": format_timestamp(self.connected_to_system_timestamp),
            "CustomerEndpoint": _endpoint(self.customer_endpoint),
            "Queue": None if queue is None else {
                "Name": queue.name,
                "EnqueueTimestamp": format_timestamp(queue.enqueue_timestamp),
                "DequeueTimestamp": format_timestamp(queue.dequeue_timestamp),
                "Duration": queue.duration_s,
            },
            "Agent": None if agent is None else {
                "Username": agent.username,
                "ConnectedToAgentTimestamp": format_timestamp(agent.connected_to_agent_timestamp),
                "AfterContactWorkStartTimestamp":
                    format_timestamp(agent.after_contact_work_start_timestamp),
                "AfterContactWorkEndTimestamp":
                    format_timestamp(agent.after_contact_work_end_timestamp),
                "AfterContactWorkDuration": agent.after_contact_work_duration_s,
                "AgentInteractionDuration": self.agent_interaction_duration_s,
                "NumberOfHolds": agent.number_of_holds,
                "CustomerHoldDuration": agent.customer_hold_duration_s,
                "LongestHoldDuration": agent.longest_hold_duration_s,
                # Every hold is an agent's here (no consult or conference holds yet).
                "AgentInitiatedHoldDuration": agent.customer_hold_duration_s,
            },
            "DisconnectTimestamp": format_timestamp(self.disconnect_timestamp),
            "DisconnectReason": (None if self.disconnect_reason is None
                                 else str(self.disconnect_reason)),
            "Attributes": dict(self.attributes),
            "SystemEndpoint": _endpoint(self.system_endpoint),
            "RelatedContactId": self.related_contact_id,
            "Name": self.name,
            "Description": self.description,
            "Tags": dict(self.tags),
            "Recording": None if self.recording is None else dict(self.recording),
            "ContactLens": None if self.contact_lens is None else dict(self.contact_lens),
            "TransferredToEndpoint": _endpoint(self.transferred_to_endpoint),
            "TransferCompletedTimestamp": format_timestamp(self.transfer_completed_timestamp),
            "ScheduledTimestamp": format_timestamp(self.scheduled_timestamp),
            "ExternalThirdParty": None if self.external_third_party_interaction_duration_s is None
            else {"ExternalThirdPartyInteractionDuration":
                  self.external_third_party_interaction_duration_s},
        }


def _endpoint(number: str | None) -> dict[str, str] | None:
    return None if number is None else {"Type": "TELEPHONE_NUMBER", "Address": number}


def _address(endpoint: Any) -> str | None:
    return None if endpoint is None else endpoint.get("Address")


def records_to_json(records: Iterable[ContactRecord], indent: int | None = 2) -> str:
    """A JSON array of CTR-shaped objects."""
    return json.dumps([r.to_ctr() for r in records], indent=indent)
