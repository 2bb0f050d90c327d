"""Export records and events in the shapes record pipelines consume.

- ``ctr-json``: one Connect-CTR-shaped object per line, as a Kinesis or
  Firehose consumer reads them.
- ``csv``: the same records with nested fields flattened (``Queue.Name``).
- ``events``: contact events as a stream, one JSON object per line:
  INITIATED, QUEUED, CONNECTED_TO_AGENT, DISCONNECTED and COMPLETED (the
  contact and its after-contact work are over), with millisecond timestamps.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from testbed.records.contact_record import (
    ContactRecord,
    Entry,
    EventKind,
    format_timestamp_ms,
    instant_of,
)

__all__ = ["CSV_COLUMNS", "FORMATS", "contact_events", "csv_text", "ctr_lines", "flatten"]

FORMATS = ("ctr-json", "csv", "events")

CSV_COLUMNS = (
    "ContactId", "PreviousContactId", "NextContactId", "Channel", "InitiationMethod",
    "InitiationTimestamp", "ConnectedToSystemTimestamp", "CustomerEndpoint.Address",
    "Queue.Name", "Queue.EnqueueTimestamp", "Queue.DequeueTimestamp", "Queue.Duration",
    "Agent.Username", "Agent.ConnectedToAgentTimestamp", "Agent.AfterContactWorkStartTimestamp",
    "Agent.AfterContactWorkEndTimestamp", "Agent.AfterContactWorkDuration",
    "Agent.AgentInteractionDuration", "Agent.NumberOfHolds", "Agent.CustomerHoldDuration",
    "Agent.LongestHoldDuration", "DisconnectTimestamp", "DisconnectReason",
    "SystemEndpoint.Address", "RelatedContactId", "Name", "TransferredToEndpoint.Address",
    "TransferCompletedTimestamp", "Attributes", "Tags",
)


def ctr_lines(records: Iterable[ContactRecord]) -> Iterator[str]:
    """One compact JSON object per record."""
    for record in records:
        yield json.dumps(record.to_ctr(), separators=(",", ":"))


def flatten(ctr: dict[str, Any]) -> dict[str, Any]:
    """A CTR with nested objects flattened to dotted keys (``Queue.Name``)."""
    flat: dict[str, Any] = {}
    for key, value in ctr.items():
        if key in ("Attributes", "Tags"):
            flat[key] = json.dumps(value, sort_keys=True) if value else ""
        elif isinstance(value, dict):
            for inner, v in value.items():
                flat[f"{key}.{inner}"] = v
        else:
            flat[key] = value
    return flat


def csv_text(records: Iterable[ContactRecord]) -> str:
    """The records as CSV with the columns of CSV_COLUMNS (empty where null)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for record in records:
        row = flatten(record.to_ctr())
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in CSV_COLUMNS})
    return out.getvalue()


def contact_events(start: datetime, entries: Iterable[Entry]) -> Iterator[dict[str, Any]]:
    """The contact-event stream of an event log, in the order things happened.

    Each event carries its contact's Channel: TASK for a contact whose record
    says so (set in the instant it was initiated), VOICE otherwise.  So events
    go out once their instant is over, when every contact's channel is known.
    """
    method: dict[str, str] = {}
    agent: dict[str, str] = {}
    queue: dict[str, str] = {}
    channel: dict[str, str] = {}
    instant: list[tuple[float, str, dict[str, Any]]] = []

    def flush() -> Iterator[dict[str, Any]]:
        for t, contact_id, event in instant:
            base: dict[str, Any] = {
                "ContactId": contact_id,
                "Timestamp": format_timestamp_ms(instant_of(start, t)),
                "InitiationMethod": method.get(contact_id),
                "Channel": channel.get(contact_id, "VOICE")}
            if contact_id in queue and "QueueInfo" not in event:
                base["QueueInfo"] = {"QueueName": queue[contact_id]}
            base.update(event)
            yield base
        instant.clear()

    for t, contact_id, kind, data in entries:
        if instant and t != instant[0][0]:
            yield from flush()
        event: dict[str, Any] | None = None
        if kind is EventKind.INITIATED:
            method[contact_id] = str(data[0])
            event = {"EventType": "INITIATED", "PreviousContactId": data[1]}
        elif kind is EventKind.UPDATED:
            for name, value in data:
                if name == "Channel":
                    channel[contact_id] = value
        elif kind is EventKind.ENQUEUED:
            queue[contact_id] = data
            event = {"EventType": "QUEUED", "QueueInfo": {"QueueName": data}}
        elif kind is EventKind.DEQUEUED and data is not None:
            agent[contact_id] = data
        elif kind is EventKind.CONNECTED_TO_AGENT:
            event = {"EventType": "CONNECTED_TO_AGENT", "AgentInfo": {"Username": data}}
        elif kind is EventKind.DISCONNECTED:
            event = {"EventType": "DISCONNECTED", "DisconnectReason": str(data)}
        elif kind is EventKind.COMPLETED:
            event = {"EventType": "COMPLETED"}
            if contact_id in agent:
                event["AgentInfo"] = {"Username": agent[contact_id]}
        if event is not None:
            instant.append((t, contact_id, event))
    yield from flush()
