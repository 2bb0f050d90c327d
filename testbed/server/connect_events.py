"""Contact events and contact records in the shapes Amazon Connect delivers them.

Connect publishes *contact events* to EventBridge (detail-type "Amazon Connect
Contact Event", source ``aws.connect``) and puts each finished *contact record*
(CTR) on a Kinesis Data Stream, where a Lambda consumer reads it base64-encoded
in ``Records[].kinesis.data``.  ``ConnectShaper`` reads the testbed's event log,
one entry at a time and in order, and gives both.

Rules:

* Each testbed event kind maps to at most one Connect ``eventType``
  (``EVENT_TYPES``); the others have no Connect counterpart and give nothing.
  CONNECTED_TO_SYSTEM is sent, as Connect's page says, for outbound calls
  (callbacks, OUTBOUND and API calls), tasks and chats, not for inbound calls
  and their transfer legs; ``connectedToSystemTimestamp`` shows only where it is.
  UPDATED gives CONTACT_DATA_UPDATED only when it sets one of the properties
  Connect names for that event (tags, scheduled timestamp, Contact Lens).
* What a contact is created with (a task's channel, name, scheduled time and
  attributes, logged right after its INITIATED) is part of its INITIATED
  event, not an update: INITIATED goes out once the log's next entry shows
  it is complete, or when the instant ends.
* Every event's ``detail`` carries what is known of the contact at that moment:
  the queue once it is queued, the agent once connected, the disconnect once
  over.  Timestamps are Connect's ``yyyy-MM-ddTHH:mm:ss.SSSZ`` in testbed
  time; the envelope's ``time`` is whole seconds, as EventBridge writes it.
* An event's ``id`` is a uuid5 of the instance id and the event's place in the
  log, so the same run gives the same ids, live or replayed from the start.
* A contact's record goes out when the contact is finished (COMPLETED: it has
  disconnected and its after-contact work is over): its CTR (``to_ctr``) with
  the fields Connect's stream adds (account, format version, instance ARN,
  InitialContactId, LastUpdateTimestamp, the queue's and agent's ARNs), as the
  ``data`` of a Kinesis record whose partition key is the contact id and whose
  sequence number grows with every record of the run.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from testbed.centre.instance import Instance
from testbed.records.contact_record import (
    Entry,
    EventKind,
    InitiationMethod,
    format_timestamp,
    format_timestamp_ms,
    instant_of,
)
from testbed.records.fold import fold_contact

__all__ = [
    "CTR_FORMAT_VERSION",
    "DETAIL_TYPE",
    "EVENT_TYPES",
    "SHARD_ID",
    "STREAM_NAME",
    "ConnectShaper",
    "lambda_event",
]

DETAIL_TYPE = "Amazon Connect Contact Event"
CTR_FORMAT_VERSION = "2017-03-10"
#: The Kinesis stream and shard the records appear to come from.
STREAM_NAME = "testbed-contact-records"
SHARD_ID = "shardId-000000000000"

#: The Connect eventType of each testbed event kind that has one.
EVENT_TYPES: dict[EventKind, str] = {
    EventKind.INITIATED: "INITIATED",
    EventKind.CONNECTED_TO_SYSTEM: "CONNECTED_TO_SYSTEM",
    EventKind.ENQUEUED: "QUEUED",
    EventKind.CONNECTED_TO_AGENT: "CONNECTED_TO_AGENT",
    EventKind.ATTRIBUTES: "CONTACT_DATA_UPDATED",
    EventKind.UPDATED: "CONTACT_DATA_UPDATED",
    EventKind.DISCONNECTED: "DISCONNECTED",
}

# Record fields whose change Connect announces with CONTACT_DATA_UPDATED.
_DATA_UPDATED_FIELDS = ("Tags", "ScheduledTimestamp", "ContactLens")
# What a new contact is created with, logged right after its INITIATED.
_CREATION_DATA = frozenset((EventKind.UPDATED, EventKind.ATTRIBUTES))
# Inbound calls and the legs that carry them on: Connect sends no CONNECTED_TO_SYSTEM.
_NO_SYSTEM_EVENT = frozenset((InitiationMethod.INBOUND, InitiationMethod.TRANSFER,
                              InitiationMethod.QUEUE_TRANSFER))
_SEQUENCE_DIGITS = 54


@dataclass(slots=True)
class _Contact:
    """What the shaper knows of one live contact."""

    initial_id: str
    method: InitiationMethod
    previous_id: str | None
    initiated_s: float
    entries: list[Entry] = field(default_factory=list)
    channel: str = "VOICE"
    system_s: float | None = None
    queue: str | None = None
    enqueued_s: float | None = None
    agent: str | None = None
    connected_s: float | None = None
    disconnected_s: float | None = None


class ConnectShaper:
    """Turns the testbed's event log into Connect contact events and Kinesis CTR records.

    Feed it every entry of the log in order (``take``), starting with the
    first: it keeps the state of the contacts still live (dropped once they
    are finished) and counts entries and records, so ids and sequence numbers
    follow from the log alone.  ``take`` answers the Connect events and the
    Kinesis record (or None) that the entry gives; ``release`` the INITIATED
    event it holds back, once the instant is over.
    """

    def __init__(self, instance: Instance, start: datetime) -> None:
        self.instance = instance
        self.start = start
        self._namespace = uuid.UUID(instance.instance_id)
        self._contacts: dict[str, _Contact] = {}
        self._held: tuple[int, float, str] | None = None  # an INITIATED event held back
        #: Entries taken so far (the next entry's place in the log).
        self.entries_taken = 0
        #: Records finished so far (the next record's place on the stream).
        self.records_finished = 0

    def take(self, entry: Entry) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The Connect events and the Kinesis record of the log's next entry.

        An INITIATED event is held until the log's next entry (or ``release``):
        the fields and attributes a contact is created with follow it at once
        (a task's channel, name, scheduled time), and belong to it.
        """
        index = self.entries_taken
        self.entries_taken += 1
        t, contact_id, kind, data = entry
        events: list[dict[str, Any]] = []
        held = self._held
        if held is not None:
            if held[2] == contact_id and held[1] == t and kind in _CREATION_DATA:
                created = self._contacts[contact_id]
                created.entries.append(entry)
                if kind is EventKind.UPDATED:
                    created.channel = str(dict(data).get("Channel", created.channel))
                return events, None
            events = self.release()
        if not contact_id:
            return events, None  # an agent event
        contact = self._contacts.get(contact_id)
        if kind is EventKind.INITIATED:
            method, previous_id = InitiationMethod(data[0]), data[1]
            earlier = None if previous_id is None else self._contacts.get(previous_id)
            initial = contact_id if previous_id is None else \
                earlier.initial_id if earlier is not None else previous_id
            contact = self._contacts[contact_id] = _Contact(initial, method, previous_id, t)
            contact.entries.append(entry)
            self._held = (index, t, contact_id)
            return events, None
        if contact is None:
            return events, None  # finished, or begun before the log: nothing known of it
        contact.entries.append(entry)
        if kind is EventKind.COMPLETED:
            del self._contacts[contact_id]
            return events, self._kinesis_record(contact_id, contact, t)
        event_type = self._update(contact, t, kind, data)
        if event_type is not None:
            events.append(self._event(index, t, contact_id, contact, event_type, kind, data))
        return events, None

    @property
    def held(self) -> int | None:
        """The place in the log of the INITIATED event held back, if any."""
        return None if self._held is None else self._held[0]

    def release(self) -> list[dict[str, Any]]:
        """The INITIATED event held back, if any (call it when the instant ends)."""
        held, self._held = self._held, None
        if held is None:
            return []
        index, t, contact_id = held
        contact = self._contacts[contact_id]
        return [self._event(index, t, contact_id, contact, "INITIATED", EventKind.INITIATED,
                            None)]

    def replay(self, entries: Iterable[Entry]) -> Iterator[
            tuple[list[dict[str, Any]], dict[str, Any] | None]]:
        """``take`` of each entry, lazily."""
        for entry in entries:
            yield self.take(entry)

    @staticmethod
    def _update(contact: _Contact, t: float, kind: EventKind, data: Any) -> str | None:
        """Fold the entry into ``contact``; the Connect eventType it gives, if any."""
        if kind is EventKind.CONNECTED_TO_SYSTEM:
            if contact.method in _NO_SYSTEM_EVENT and contact.channel == "VOICE":
                return None
            contact.system_s = t
        elif kind is EventKind.ENQUEUED:
            contact.queue, contact.enqueued_s = data, t
        elif kind is EventKind.CONNECTED_TO_AGENT:
            contact.agent, contact.connected_s = data, t
        elif kind is EventKind.DISCONNECTED:
            contact.disconnected_s = t
        elif kind is EventKind.UPDATED:
            fields = dict(data)
            contact.channel = str(fields.get("Channel", contact.channel))
            if not any(name in fields for name in _DATA_UPDATED_FIELDS):
                return None
        return EVENT_TYPES.get(kind)

    def _ms(self, t: float) -> str:
        return format_timestamp_ms(instant_of(self.start, t))

    def _event(self, index: int, t: float, contact_id: str, contact: _Contact,
               event_type: str, kind: EventKind, data: Any) -> dict[str, Any]:
        instance = self.instance
        detail: dict[str, Any] = {
            "eventType": event_type,
            "contactId": contact_id,
            "initialContactId": contact.initial_id,
        }
        if contact.previous_id is not None:
            detail["previousContactId"] = contact.previous_id
        detail["channel"] = contact.channel
        detail["instanceArn"] = instance.arn
        detail["initiationMethod"] = str(contact.method)
        detail["initiationTimestamp"] = self._ms(contact.initiated_s)
        if contact.system_s is not None:
            detail["connectedToSystemTimestamp"] = self._ms(contact.system_s)
        if contact.queue is not None and contact.enqueued_s is not None:
            detail["queueInfo"] = {
                "queueArn": instance.arn_of("queue", contact.queue),
                "queueType": "AGENT" if contact.queue.startswith("agent/") else "STANDARD",
                "enqueueTimestamp": self._ms(contact.enqueued_s),
            }
        if contact.agent is not None and contact.connected_s is not None:
            detail["agentInfo"] = {
                "agentArn": instance.arn_of("agent", contact.agent),
                "connectedToAgentTimestamp": self._ms(contact.connected_s),
            }
        if contact.disconnected_s is not None:
            detail["disconnectTimestamp"] = self._ms(contact.disconnected_s)
        if event_type == "CONTACT_DATA_UPDATED":
            detail["updatedProperties"] = (
                ["Attributes"] if kind is EventKind.ATTRIBUTES else
                [name for name, _value in data if name in _DATA_UPDATED_FIELDS])
        return {
            "version": "0",
            "id": str(uuid.uuid5(self._namespace, f"contact-event/{index}")),
            "detail-type": DETAIL_TYPE,
            "source": "aws.connect",
            "account": instance.account,
            "time": format_timestamp(instant_of(self.start, t)),
            "region": instance.region,
            "resources": [instance.arn_of("contact", contact_id), instance.arn],
            "detail": detail,
        }

    def _ctr(self, contact_id: str, contact: _Contact, t: float) -> dict[str, Any]:
        """The contact's record as Connect puts it on its Kinesis stream."""
        instance = self.instance
        ctr = fold_contact(self.start, contact_id, contact.entries).to_ctr()
        queue, agent = ctr["Queue"], ctr["Agent"]
        if queue is not None:
            ctr["Queue"] = {"ARN": instance.arn_of("queue", queue["Name"]), **queue}
        if agent is not None:
            ctr["Agent"] = {"ARN": instance.arn_of("agent", agent["Username"]), **agent}
        return {
            "AWSAccountId": instance.account,
            "AWSContactTraceRecordFormatVersion": CTR_FORMAT_VERSION,
            "InstanceARN": instance.arn,
            "InitialContactId": contact.initial_id,
            "LastUpdateTimestamp": format_timestamp(instant_of(self.start, t)),
            **ctr,
        }

    def _kinesis_record(self, contact_id: str, contact: _Contact, t: float) -> dict[str, Any]:
        """One record of a Lambda function's Kinesis event, carrying the contact's CTR."""
        sequence = f"49{self.records_finished:0{_SEQUENCE_DIGITS}d}"
        self.records_finished += 1
        data = json.dumps(self._ctr(contact_id, contact, t), separators=(",", ":"))
        instance = self.instance
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": contact_id,
                "sequenceNumber": sequence,
                "data": base64.b64encode(data.encode()).decode("ascii"),
                "approximateArrivalTimestamp": instant_of(self.start, t).timestamp(),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{SHARD_ID}:{sequence}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": f"arn:aws:iam::{instance.account}:role/testbed-consumer",
            "awsRegion": instance.region,
            "eventSourceARN": (f"arn:aws:kinesis:{instance.region}:{instance.account}:"
                               f"stream/{STREAM_NAME}"),
        }


def lambda_event(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The event a Lambda function reading the stream gets for ``records``."""
    return {"Records": list(records)}
