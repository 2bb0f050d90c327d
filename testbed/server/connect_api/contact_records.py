"""What the Connect API shows of contact records: DescribeContact and SearchContacts.

Both read the records the record service folds from the event log, so a live
contact shows what has happened to it so far and an ended one its whole
record; timestamps are the record's whole seconds.  Ids in answers are
Connect's: ``tb.instance.id_of("queue", name)``, ``id_of("agent", username)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from testbed.records.contact_record import ContactRecord, InitiationMethod
from testbed.server.connect_api.dispatch import Api, operation, page
from testbed.server.connect_api.errors import ApiError

__all__ = ["chain_roots", "contact_id_of"]

# DescribeContact leaves SystemEndpoint out for these, as Connect's page says.
_NO_SYSTEM_ENDPOINT = (InitiationMethod.CALLBACK, InitiationMethod.QUEUE_TRANSFER)
#: SearchCriteria members the testbed filters by; the others are refused by name.
_SEARCHED = ("AgentIds", "Channels", "InitiationMethods", "Name", "QueueIds",
             "SearchableContactAttributes")


def contact_id_of(api: Api, given: str) -> str:
    """The contact id in ``given``: an id, or a contact ARN of this instance."""
    return api.instance.resource_id("contact", given)


def chain_roots(records: Sequence[ContactRecord]) -> dict[str, str]:
    """Each contact's InitialContactId: the first contact of its PreviousContactId chain."""
    previous = {r.contact_id: r.previous_contact_id for r in records}
    roots: dict[str, str] = {}
    for contact_id in previous:
        path: list[str] = []
        current = contact_id
        while current not in roots:
            path.append(current)
            before = previous.get(current)
            if before is None or before not in previous or len(path) > len(previous):
                root = current if before is None or len(path) > len(previous) else before
                break
            current = before
        else:
            root = roots[current]
        for step in path:
            roots[step] = root
    return roots


def _endpoint(address: str | None) -> dict[str, str] | None:
    return None if address is None else {"Type": "TELEPHONE_NUMBER", "Address": address}


def _contact(api: Api, record: ContactRecord, initial_id: str,
             last_update: datetime | None) -> dict[str, Any]:
    """The Contact shape of DescribeContact."""
    queue, agent = record.queue, record.agent
    shown: dict[str, Any] = {
        "Arn": api.instance.arn_of("contact", record.contact_id),
        "Id": record.contact_id,
        "InitialContactId": initial_id,
        "PreviousContactId": record.previous_contact_id,
        "InitiationMethod": str(record.initiation_method),
        "Name": record.name,
        "Description": record.description,
        "Channel": record.channel,
        "InitiationTimestamp": record.initiation_timestamp,
        "ConnectedToSystemTimestamp": record.connected_to_system_timestamp,
        "DisconnectTimestamp": record.disconnect_timestamp,
        "DisconnectReason": None if record.disconnect_reason is None
        else str(record.disconnect_reason),
        "LastUpdateTimestamp": last_update,
        "ScheduledTimestamp": record.scheduled_timestamp,
        "RelatedContactId": record.related_contact_id,
        "CustomerEndpoint": _endpoint(record.customer_endpoint),
        "SystemEndpoint": None if record.initiation_method in _NO_SYSTEM_ENDPOINT
        else _endpoint(record.system_endpoint),
        "Tags": dict(record.tags) or None,  # Connect's tag map holds at least one tag
        "Attributes": dict(record.attributes),
    }
    if queue is not None:
        shown["QueueInfo"] = {"Id": api.instance.id_of("queue", queue.name),
                              "EnqueueTimestamp": queue.enqueue_timestamp}
    if agent is not None:
        accepted = None if queue is None else queue.dequeue_timestamp
        shown["AgentInfo"] = {
            "Id": api.instance.id_of("agent", agent.username),
            "AcceptedByAgentTimestamp": accepted,
            "ConnectedToAgentTimestamp": agent.connected_to_agent_timestamp,
            "AfterContactWorkStartTimestamp": agent.after_contact_work_start_timestamp,
            "AfterContactWorkEndTimestamp": agent.after_contact_work_end_timestamp,
            "AfterContactWorkDuration": agent.after_contact_work_duration_s,
            "AgentInitiatedHoldDuration": agent.customer_hold_duration_s,
        }
    return _present(shown)


def _present(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` without its None members (nested objects too): Connect leaves them out."""
    return {k: _present(v) if isinstance(v, dict) and k not in ("Attributes", "Tags") else v
            for k, v in value.items() if v is not None}


@operation("DescribeContact")
def describe_contact(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    contact_id = contact_id_of(api, params["ContactId"])
    tb = api.tb
    try:
        record = tb.record_service.record(contact_id) if tb.record_service else None
    except KeyError:
        record = None
    if record is None:
        raise api.not_found("contact", params["ContactId"])
    events = tb.events(contact_id)
    last = tb.wall(events[-1].timestamp_s) if events else None
    initial = tb.switchboard.initial_contact_id(contact_id) or contact_id
    return {"Contact": _contact(api, record, initial, last)}


# -- SearchContacts ---------------------------------------------------------------------
_Stamp = Callable[[ContactRecord], datetime | None]
_STAMPS: dict[str, _Stamp] = {
    "INITIATION_TIMESTAMP": lambda r: r.initiation_timestamp,
    "SCHEDULED_TIMESTAMP": lambda r: r.scheduled_timestamp,
    "CONNECTED_TO_AGENT_TIMESTAMP":
        lambda r: None if r.agent is None else r.agent.connected_to_agent_timestamp,
    "DISCONNECT_TIMESTAMP": lambda r: r.disconnect_timestamp,
    "ENQUEUE_TIMESTAMP": lambda r: None if r.queue is None else r.queue.enqueue_timestamp,
}
_SORTS: dict[str, Callable[[ContactRecord], Any]] = {
    **_STAMPS,
    "INITIATION_METHOD": lambda r: str(r.initiation_method),
    "CHANNEL": lambda r: r.channel,
}


def _name_matches(name: str | None, texts: Sequence[str], match: str) -> bool:
    name = (name or "").casefold()
    found = [text.casefold() in name for text in texts] if name else [False for _ in texts]
    if match == "MATCH_ALL":
        return all(found)
    if match == "MATCH_ANY":
        return any(found)
    if match == "MATCH_NONE":
        return not any(found)
    return any(text.casefold() == name for text in texts)  # MATCH_EXACT


def _attributes_match(attributes: Mapping[str, str], searched: dict[str, Any]) -> bool:
    match = searched.get("MatchType", "MATCH_ALL")
    if match not in ("MATCH_ALL", "MATCH_ANY"):
        raise ApiError("InvalidParameterException",
                       f"SearchCriteria.SearchableContactAttributes.MatchType: {match!r}; the "
                       f"testbed combines attribute criteria with MATCH_ALL or MATCH_ANY")
    hits = (c["Key"] in attributes and (not c["Values"] or attributes[c["Key"]] in c["Values"])
            for c in searched["Criteria"])
    return all(hits) if match == "MATCH_ALL" else any(hits)


def _filter(api: Api, criteria: dict[str, Any]) -> Callable[[ContactRecord], bool]:
    """A test of a record against SearchCriteria (every member given must match)."""
    unsimulated = sorted(set(criteria) - set(_SEARCHED))
    if unsimulated:
        raise ApiError("InvalidParameterException",
                       f"SearchCriteria.{unsimulated[0]}: not simulated by the testbed; it "
                       f"searches by {', '.join(_SEARCHED)}")
    queues = {api.instance.resource_id("queue", q) for q in criteria.get("QueueIds", ())}
    agents = {api.instance.resource_id("agent", a) for a in criteria.get("AgentIds", ())}
    channels = set(criteria.get("Channels", ()))
    methods = set(criteria.get("InitiationMethods", ()))
    name = criteria.get("Name")
    searched = criteria.get("SearchableContactAttributes")
    id_of = api.instance.id_of

    def matches(record: ContactRecord) -> bool:
        if "QueueIds" in criteria and (record.queue is None
                                       or id_of("queue", record.queue.name) not in queues):
            return False
        if "AgentIds" in criteria and (record.agent is None
                                       or id_of("agent", record.agent.username) not in agents):
            return False
        if "Channels" in criteria and record.channel not in channels:
            return False
        if "InitiationMethods" in criteria and str(record.initiation_method) not in methods:
            return False
        if name is not None and not _name_matches(record.name, name["SearchText"],
                                                  name["MatchType"]):
            return False
        return searched is None or _attributes_match(record.attributes, searched)

    return matches


def _summary(api: Api, record: ContactRecord, initial_id: str) -> dict[str, Any]:
    queue, agent = record.queue, record.agent
    return _present({
        "Arn": api.instance.arn_of("contact", record.contact_id),
        "Id": record.contact_id,
        "InitialContactId": initial_id,
        "PreviousContactId": record.previous_contact_id,
        "InitiationMethod": str(record.initiation_method),
        "Channel": record.channel,
        "QueueInfo": None if queue is None else {
            "Id": api.instance.id_of("queue", queue.name),
            "EnqueueTimestamp": queue.enqueue_timestamp},
        "AgentInfo": None if agent is None else {
            "Id": api.instance.id_of("agent", agent.username),
            "ConnectedToAgentTimestamp": agent.connected_to_agent_timestamp},
        "InitiationTimestamp": record.initiation_timestamp,
        "DisconnectTimestamp": record.disconnect_timestamp,
        "ScheduledTimestamp": record.scheduled_timestamp,
        "Name": record.name,
        "Tags": dict(record.tags) or None,
    })


def _sorted(records: list[ContactRecord], sort: dict[str, Any] | None) -> list[ContactRecord]:
    """By the Sort field (INITIATION_TIMESTAMP ascending by default); contacts without
    a value come last, ties keep initiation order."""
    field, order = ("INITIATION_TIMESTAMP", "ASCENDING") if sort is None \
        else (sort["FieldName"], sort["Order"])
    key = _SORTS.get(field)
    if key is None:
        raise ApiError("InvalidParameterException",
                       f"Sort.FieldName: {field!r} is not simulated by the testbed (tasks do "
                       f"not expire); sort by {', '.join(_SORTS)}")
    valued = [r for r in records if key(r) is not None]
    valued.sort(key=key, reverse=order == "DESCENDING")
    return valued + [r for r in records if key(r) is None]


@operation("SearchContacts")
def search_contacts(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    span = params["TimeRange"]
    start, end = span["StartTime"], span["EndTime"]
    if start > end:
        raise ApiError("InvalidParameterException",
                       f"TimeRange: StartTime {_iso(start)} is after EndTime {_iso(end)}")
    stamp = _STAMPS[span["Type"]]
    matches = _filter(api, params.get("SearchCriteria", {}))
    records = api.tb.records
    roots = chain_roots(records)

    def in_range(record: ContactRecord) -> bool:
        value = stamp(record)
        return value is not None and start <= value.timestamp() <= end

    found = _sorted([r for r in records if in_range(r) and matches(r)], params.get("Sort"))
    answer = page(api, params, found, "Contacts")
    answer["Contacts"] = [_summary(api, r, roots.get(r.contact_id, r.contact_id))
                          for r in answer["Contacts"]]
    answer["TotalCount"] = len(found)
    return answer


def _iso(posix: float) -> str:
    return datetime.fromtimestamp(posix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
