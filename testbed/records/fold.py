"""Folding the event log into contact records.

A record is the fold of its contact's events, in the order they happened.
The fold groups the log by contact in one pass, then reads each contact's
events with local variables only; datetimes are made once per whole second
and shared by every record of the fold.

Rules of the fold:

* ENQUEUED starts a new queue stay (an earlier dequeue is forgotten); the
  agent who dequeued it (DEQUEUED's data) is the record's agent.
* ACW_ENDED counts only for the agent whose after-contact work is open: an
  earlier callback attempt's agent ending late changes nothing.
* Queue.Duration counts from initiation for a callback (its initial delay is
  time spent waiting for an agent), from the enqueue otherwise.
* HOLD opens a hold and RESUME closes it; a hold still open at DISCONNECTED
  ends there.  Each hold lasts whole seconds (its ends rounded first), so
  CustomerHoldDuration is the sum of the holds shown and AgentInteractionDuration
  (connected time less hold time) is never negative.
* AgentInteractionDuration counts from ConnectedToAgent to the disconnect
  (or to an earlier ACW start: the agent left a transfer to a number), less
  the hold time; on a consult leg (CONSULT_LEG) it counts from JOINED, when
  the customer joined it, and is 0 if they never did.
* An answered EXTERNAL_OUTBOUND leg's ExternalThirdPartyInteractionDuration
  counts from JOINED to the disconnect (0 without it).
* Timestamps are whole seconds: milliseconds are rounded first, so float
  noise never crosses a second.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final

from testbed.records.contact_record import (
    AgentInfo,
    ContactRecord,
    DisconnectReason,
    Entry,
    EventKind,
    InitiationMethod,
    QueueInfo,
)

# Enum members read on the hot path, as Final names: the compiled build reads
# these as constants (an enum class's attribute is a dictionary lookup there).
_INBOUND: Final = InitiationMethod.INBOUND

__all__ = ["fold_contact", "fold_records"]

_INITIATED: Final = EventKind.INITIATED
_CONNECTED_TO_SYSTEM: Final = EventKind.CONNECTED_TO_SYSTEM
_SCHEDULED: Final = EventKind.SCHEDULED
_ENQUEUED: Final = EventKind.ENQUEUED
_DEQUEUED: Final = EventKind.DEQUEUED
_CONNECTED_TO_AGENT: Final = EventKind.CONNECTED_TO_AGENT
_NEXT_CONTACT: Final = EventKind.NEXT_CONTACT
_ATTRIBUTES: Final = EventKind.ATTRIBUTES
_DISCONNECTED: Final = EventKind.DISCONNECTED
_ACW_STARTED: Final = EventKind.ACW_STARTED
_ACW_ENDED: Final = EventKind.ACW_ENDED
_UPDATED: Final = EventKind.UPDATED
_TRANSFERRED: Final = EventKind.TRANSFERRED
_HOLD: Final = EventKind.HOLD
_RESUME: Final = EventKind.RESUME
_JOINED: Final = EventKind.JOINED
_CONSULT_LEG: Final = EventKind.CONSULT_LEG
_CALLBACK: Final = InitiationMethod.CALLBACK
_EXTERNAL: Final = InitiationMethod.EXTERNAL_OUTBOUND
# The kinds that change a record field (OFFERED, COMPLETED, agent events and
# the like do not).
_FOLDED: Final = frozenset((_INITIATED, _CONNECTED_TO_SYSTEM, _SCHEDULED, _ENQUEUED, _DEQUEUED,
                     _CONNECTED_TO_AGENT, _NEXT_CONTACT, _ATTRIBUTES, _DISCONNECTED,
                     _ACW_STARTED, _ACW_ENDED, _UPDATED, _TRANSFERRED, _HOLD, _RESUME,
                     _JOINED, _CONSULT_LEG))


class _Stamps(dict[int, datetime]):
    """Whole-second instants after ``start``, each made once per fold."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self.start = start

    def __missing__(self, whole: int) -> datetime:
        stamp = self[whole] = self.start + timedelta(seconds=whole)
        return stamp


def fold_records(start: datetime, entries: Iterable[Entry]) -> list[ContactRecord]:
    """Fold an event log into records, one per contact, in initiation order."""
    # The fold makes no reference cycles, only many objects that all live on:
    # the cycle collector would scan them again and again for nothing.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _fold_all(start, entries)
    finally:
        if paused:
            gc.enable()


def _fold_all(start: datetime, entries: Iterable[Entry]) -> list[ContactRecord]:
    by_contact: dict[str, list[Entry]] = {}
    find = by_contact.get
    for entry in entries:
        if entry[2] not in _FOLDED:
            continue  # an agent event, or one that changes no record field
        contact_id = entry[1]
        events = find(contact_id)
        if events is None:
            by_contact[contact_id] = [entry]
        else:
            events.append(entry)
    stamps = _Stamps(start)
    return [_fold(contact_id, events, stamps) for contact_id, events in by_contact.items()]


def fold_contact(start: datetime, contact_id: str, entries: Iterable[Entry]) -> ContactRecord:
    """The record of ``contact_id`` from the log ``entries``; KeyError if it has none."""
    events = [e for e in entries if e[1] == contact_id]
    if not events:
        raise KeyError(contact_id)
    return _fold(contact_id, events, _Stamps(start))


def _fold(contact_id: str, events: list[Entry], at: _Stamps) -> ContactRecord:
    method = _INBOUND
    initiated = 0.0
    previous_id = customer = next_id = system_endpoint = transferred_to = None
    transferred: float | None = None
    fields: dict[str, Any] | None = None
    system = enqueue = dequeue = connected = disconnect = None
    acw_start = acw_end = None
    queue = agent = acw_agent = None
    reason: DisconnectReason | None = None
    attributes: dict[str, str] = {}
    held: float | None = None  # the open hold's start
    holds = hold_s = longest_hold_s = 0
    joined: float | None = None  # when the customer joined this consult leg
    consult_leg = False
    data: Any
    for t, _cid, kind, data in events:
        if kind is _INITIATED:
            initiated = t
            method, previous_id, customer, system_endpoint = data
        elif kind is _CONNECTED_TO_SYSTEM:
            system = t
        elif kind is _ENQUEUED:
            queue, enqueue, dequeue = data, t, None
        elif kind is _DEQUEUED:
            dequeue = t
            if data is not None:
                agent = data
        elif kind is _CONNECTED_TO_AGENT:
            agent, connected = data, t
        elif kind is _DISCONNECTED:
            disconnect, reason = t, data
            if held is not None:  # ended on hold: the hold ends with the call
                length = round(t * 1000) // 1000 - round(held * 1000) // 1000
                hold_s += length
                longest_hold_s = max(longest_hold_s, length)
                held = None
        elif kind is _ACW_STARTED:
            acw_start, acw_end, acw_agent = t, None, data
        elif kind is _ACW_ENDED:
            if data == acw_agent:
                acw_end = t
        elif kind is _SCHEDULED:
            queue = data[0]
        elif kind is _NEXT_CONTACT:
            next_id = data
        elif kind is _ATTRIBUTES:
            attributes.update(data)
        elif kind is _UPDATED:
            if fields is None:
                fields = {}
            fields.update(data)
        elif kind is _TRANSFERRED:
            transferred_to, transferred = data, t
        elif kind is _HOLD:
            if held is None:
                held = t
                holds += 1
        elif kind is _RESUME and held is not None:
            length = round(t * 1000) // 1000 - round(held * 1000) // 1000
            hold_s += length
            longest_hold_s = max(longest_hold_s, length)
            held = None
        elif kind is _JOINED:
            joined = t
        elif kind is _CONSULT_LEG:
            consult_leg = True
    start_s = round(initiated * 1000) // 1000
    queue_info = None
    if queue is not None:
        enqueue_s = None if enqueue is None else round(enqueue * 1000) // 1000
        dequeue_s = None if dequeue is None else round(dequeue * 1000) // 1000
        waiting_from = start_s if method is _CALLBACK else enqueue_s
        queue_info = QueueInfo(queue, None if enqueue_s is None else at[enqueue_s],
                               None if dequeue_s is None else at[dequeue_s],
                               None if dequeue_s is None or waiting_from is None
                               else dequeue_s - waiting_from)
    agent_info = None
    if agent is not None:
        connected_s = None if connected is None else round(connected * 1000) // 1000
        acw_s = None if acw_start is None else round(acw_start * 1000) // 1000
        interaction = None
        if connected_s is not None and disconnect is not None:
            if consult_leg and joined is None:
                interaction = 0  # the consulted agent never talked with the customer
            else:
                begin = connected_s if not consult_leg or joined is None \
                    else max(connected_s, round(joined * 1000) // 1000)
                end_s = round(disconnect * 1000) // 1000
                if acw_s is not None and begin <= acw_s < end_s:
                    end_s = acw_s  # the agent left first: a transfer to an outside number
                interaction = end_s - begin - hold_s
        agent_info = AgentInfo(
            agent, None if connected_s is None else at[connected_s],
            None if acw_s is None else at[acw_s],
            None if acw_end is None else at[round(acw_end * 1000) // 1000],
            holds, hold_s, longest_hold_s, interaction)
    record = ContactRecord(
        contact_id, method, at[start_s],
        None if system is None else at[round(system * 1000) // 1000], queue_info, agent_info,
        None if disconnect is None else at[round(disconnect * 1000) // 1000],
        reason, previous_id, next_id, customer, "VOICE", attributes, system_endpoint)
    if method is _EXTERNAL and system is not None and disconnect is not None:
        record = replace(record, external_third_party_interaction_duration_s=0 if joined is None
                         else round(disconnect * 1000) // 1000 - round(joined * 1000) // 1000)
    if fields is None and transferred is None:
        return record
    return _with_fields(record, fields or {}, transferred_to,
                        None if transferred is None else at[round(transferred * 1000) // 1000],
                        at)


def _with_fields(record: ContactRecord, fields: dict[str, Any], transferred_to: str | None,
                 transferred: datetime | None, at: _Stamps) -> ContactRecord:
    """``record`` with the fields UPDATED and TRANSFERRED events set."""
    scheduled = fields.get("ScheduledTimestamp")
    return replace(
        record,
        channel=fields.get("Channel", record.channel),
        related_contact_id=fields.get("RelatedContactId"),
        name=fields.get("Name"),
        description=fields.get("Description"),
        tags=dict(fields.get("Tags") or {}),
        recording=fields.get("Recording"),
        contact_lens=fields.get("ContactLens"),
        transferred_to_endpoint=transferred_to,
        transfer_completed_timestamp=transferred,
        scheduled_timestamp=None if scheduled is None else at[round(scheduled * 1000) // 1000])
