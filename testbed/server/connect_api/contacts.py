"""Connect API operations on contacts (see docs/api.md, "Contacts").

StartOutboundVoiceContact, StartTaskContact, StopContact, TransferContact,
GetContactAttributes and UpdateContactAttributes turn ids into the testbed's
names, check what Connect checks, and call the switchboard (its Outbound
part, testbed/centre/outbound.py).  DescribeContact and SearchContacts read
records (contact_records.py).  Engine errors become API errors: a bad value
(ConfigError) InvalidParameterException, a request that does not fit the
contact's state (StateError) InvalidRequestException.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

from testbed.centre.contacts import Contact
from testbed.centre.facade import Testbed
from testbed.centre.outbound import (
    MAX_TASK_DELAY_S,
    MAX_TASK_TRANSFERS,
    ContactDetails,
)
from testbed.centre.routing import QuickConnect
from testbed.core.errors import ConfigError, StateError
from testbed.core.messages import is_phone_number
from testbed.records.contact_record import DisconnectReason
from testbed.server.connect_api import contact_records
from testbed.server.connect_api.dispatch import Api, operation
from testbed.server.connect_api.errors import ApiError

__all__: list[str] = []

#: ClientToken -> the contact it started, per testbed: a request sent again (a retry)
#: answers the same contact while it is live, as Connect's idempotent starts do.
_STARTED: WeakKeyDictionary[Testbed, dict[str, str]] = WeakKeyDictionary()
# Connect refuses attachments when a voice or task contact is created.
_REFERENCE_TYPES = ("URL", "NUMBER", "STRING", "DATE", "EMAIL")


@contextmanager
def _engine_errors(bad_value: str = "InvalidParameterException") -> Iterator[None]:
    """Engine refusals as Connect's errors (their messages name the bad value);
    ``bad_value``: the code for a bad value, for operations without
    InvalidParameterException (TransferContact) InvalidRequestException."""
    try:
        yield
    except ConfigError as error:
        raise ApiError(bad_value, str(error)) from None
    except StateError as error:
        raise ApiError("InvalidRequestException", str(error)) from None


def _resolve(api: Api, kind: str, what: str, given: str, names: list[str]) -> str:
    """The name among ``names`` whose Connect id (or ARN) ``given`` is."""
    wanted = api.instance.resource_id(kind, given)
    for name in names:
        if api.instance.id_of(kind, name) == wanted:
            return name
    raise api.not_found(what, given)


def _flow(api: Api, given: str) -> str:
    return _resolve(api, "contact-flow", "contact flow", given, list(api.tb.switchboard.flows))


def _queue(api: Api, given: str) -> str:
    return _resolve(api, "queue", "queue", given, list(api.tb.switchboard.queues))


def _user(api: Api, given: str) -> str:
    """A username by user id or ARN: a connected agent, or one whose queue exists."""
    sb = api.tb.switchboard
    names = {*sb.agents, *(q[6:] for q in sb.queues if q.startswith("agent/"))}
    return _resolve(api, "agent", "user", given, sorted(names))


def _quick_connect(api: Api, given: str) -> QuickConnect:
    quick = api.tb.switchboard.quick_connects
    return quick[_resolve(api, "transfer-destination", "quick connect", given, list(quick))]


def _known(api: Api, member: str, given: str) -> str:
    """The contact id ``given`` (an id or ARN), if the instance has such a contact."""
    contact_id = contact_records.contact_id_of(api, given)
    if api.tb.switchboard.initial_contact_id(contact_id) is None:
        raise ApiError("ResourceNotFoundException",
                       f"{member}: contact {given[:200]!r} not found in instance "
                       f"{api.instance.instance_id}")
    return contact_id


def _phone_number(member: str, value: str) -> str:
    if not is_phone_number(value):
        raise ApiError("InvalidParameterException",
                       f"{member}: {value[:40]!r} is not an E.164 phone number "
                       f"(+ and up to 15 digits)")
    return value


def _refuse_unsimulated(params: dict[str, Any], members: tuple[str, ...]) -> None:
    for member in members:
        if member in params:
            raise ApiError("InvalidParameterException",
                           f"{member}: not simulated by the testbed (docs/api.md lists what "
                           f"it does with contacts)")


def _details(api: Api, params: dict[str, Any]) -> ContactDetails:
    references: dict[str, dict[str, str]] = {}
    for key, reference in params.get("References", {}).items():
        kind = reference["Type"]
        if kind not in _REFERENCE_TYPES:
            raise ApiError("InvalidParameterException",
                           f"References.{key}.Type: {kind!r}; a new contact takes "
                           f"{', '.join(_REFERENCE_TYPES)}")
        references[key] = {"Value": reference.get("Value", ""), "Type": kind}
    related = params.get("RelatedContactId")
    return ContactDetails(
        name=params.get("Name"), description=params.get("Description"),
        attributes=params.get("Attributes", {}), references=references,
        related_id=None if related is None else _known(api, "RelatedContactId", related))


def _start_once(api: Api, params: dict[str, Any], start: Callable[[], Contact]) -> str:
    """Start a contact, unless this ClientToken started one that is still live."""
    token = params.get("ClientToken")
    started = _STARTED.setdefault(api.tb, {})
    if token is not None and token in started:
        earlier = api.tb.switchboard.live_contact(started[token])
        if earlier is not None:
            return earlier.id
    with _engine_errors():
        contact = start()
    if token is not None:
        started[token] = contact.id
    return contact.id


@operation("StartOutboundVoiceContact")
def start_outbound_voice_contact(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    _refuse_unsimulated(params, ("AnswerMachineDetectionConfig", "CampaignId",
                                 "OutboundStrategy"))
    if params.get("TrafficType", "GENERAL") != "GENERAL":
        raise ApiError("InvalidParameterException",
                       "TrafficType: 'CAMPAIGN' is not simulated by the testbed (campaign "
                       "calls need a quota increase in Connect too)")
    number = _phone_number("DestinationPhoneNumber", params["DestinationPhoneNumber"])
    flow = _flow(api, params["ContactFlowId"])
    queue = None if "QueueId" not in params else _queue(api, params["QueueId"])
    source = params.get("SourcePhoneNumber")
    if source is not None:
        _phone_number("SourcePhoneNumber", source)
        if source not in api.tb.switchboard.numbers:
            raise api.not_found("phone number", source)
    elif queue is None:
        raise ApiError("InvalidParameterException",
                       "QueueId, SourcePhoneNumber: give a queue or a source phone number "
                       "(the caller id shown)")
    details = _details(api, params)
    ring_s = float(params.get("RingTimeoutInSeconds", 60))
    contact_id = _start_once(api, params, lambda: api.tb.switchboard.start_outbound_voice(
        number, flow, details, queue=queue, source=source, ring_timeout_s=ring_s))
    return {"ContactId": contact_id}


@operation("StartTaskContact")
def start_task_contact(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    _refuse_unsimulated(params, ("SegmentAttributes", "Attachments"))
    routes = [m for m in ("ContactFlowId", "QuickConnectId", "TaskTemplateId") if m in params]
    if len(routes) != 1:
        raise ApiError("InvalidRequestException",
                       "give exactly one of ContactFlowId, QuickConnectId and TaskTemplateId; "
                       f"got {', '.join(routes) or 'none'}")
    if "TaskTemplateId" in params:
        raise api.not_found("task template", params["TaskTemplateId"])
    queue = None
    if "QuickConnectId" in params:
        quick = _quick_connect(api, params["QuickConnectId"])
        kind, target = quick.target
        if kind == "number" or quick.flow is None:
            raise ApiError("InvalidRequestException",
                           f"QuickConnectId: quick connect {quick.name!r} is a phone number "
                           f"quick connect; a task goes to a queue or user quick connect")
        flow = quick.flow
        queue = target if kind == "queue" else f"agent/{target}"
        if kind == "agent" and api.tb.switchboard.agent_queue(target) is None:
            raise api.not_found("user", target)
    else:
        flow = _flow(api, params["ContactFlowId"])
    delay_s = 0.0
    if "ScheduledTime" in params:
        now = api.tb.wall().timestamp()
        delay_s = round(params["ScheduledTime"] - now, 3)
        if not 0 <= delay_s <= MAX_TASK_DELAY_S:
            raise ApiError("InvalidParameterException",
                           f"ScheduledTime: {params['ScheduledTime']:g} is "
                           f"{'in the past' if delay_s < 0 else 'more than 6 days ahead'} "
                           f"(now is {now:g}); a task is scheduled up to 6 days ahead")
    previous = params.get("PreviousContactId")
    if previous is not None:
        previous = _known(api, "PreviousContactId", previous)
    details = _details(api, params)
    contact_id = _start_once(api, params, lambda: api.tb.switchboard.start_task(
        flow, details, queue=queue, previous_id=previous, delay_s=delay_s))
    return {"ContactId": contact_id}


@operation("StopContact")
def stop_contact(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    sb = api.tb.switchboard
    contact_id = contact_records.contact_id_of(api, params["ContactId"])
    reason: DisconnectReason | None = None
    code = params.get("DisconnectReason", {}).get("Code")
    if code is not None:
        if code not in DisconnectReason.__members__:
            raise ApiError("InvalidParameterException",
                           f"DisconnectReason.Code: {code[:60]!r} is not one of "
                           f"{', '.join(DisconnectReason.__members__)}")
        reason = DisconnectReason(code)
    contact = sb.live_contact(contact_id)
    if contact is None:
        if sb.initial_contact_id(contact_id) is not None:
            record = api.tb.record_service.record(contact_id) if api.tb.record_service \
                else None
            if record is not None and record.channel == "TASK":
                raise api.not_found("active task", params["ContactId"])
        raise ApiError("ContactNotFoundException",
                       f"contact {params['ContactId'][:200]!r} is not active or does not "
                       f"exist in instance {api.instance.instance_id}")
    with _engine_errors():
        sb.stop_contact(contact, reason)
    return {}


@operation("TransferContact")
def transfer_contact(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    sb = api.tb.switchboard
    given = params["ContactId"]
    contact_id = _known(api, "ContactId", given)
    if "QueueId" in params and "UserId" in params:
        raise ApiError("InvalidRequestException",
                       "QueueId, UserId: give one of them, not both")
    flow = _flow(api, params["ContactFlowId"])
    queue = None
    if "QueueId" in params:
        queue = _queue(api, params["QueueId"])
    elif "UserId" in params:
        queue = f"agent/{_user(api, params['UserId'])}"
    contact = sb.live_contact(contact_id)
    if contact is None:
        raise ApiError("InvalidRequestException",
                       f"contact {given[:200]!r} has ended; only an active contact is "
                       f"transferred")
    if not sb.is_task(contact):
        raise ApiError("InvalidRequestException",
                       f"contact {given[:200]!r} is a VOICE contact; TransferContact takes "
                       f"TASK and EMAIL contacts")
    if sb.transfers_of(contact) >= MAX_TASK_TRANSFERS:
        raise ApiError("ServiceQuotaExceededException",
                       f"contact {given[:200]!r} has been transferred {MAX_TASK_TRANSFERS} "
                       f"times, the most a contact may be")
    with _engine_errors("InvalidRequestException"):
        new = sb.transfer_task(contact, flow, queue)
    return {"ContactId": new.id, "ContactArn": api.instance.arn_of("contact", new.id)}


@operation("GetContactAttributes")
def get_contact_attributes(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    contact_id = _known(api, "InitialContactId", params["InitialContactId"])
    return {"Attributes": api.tb.switchboard.attributes_of(contact_id) or {}}


@operation("UpdateContactAttributes")
def update_contact_attributes(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    contact_id = _known(api, "InitialContactId", params["InitialContactId"])
    with _engine_errors():
        api.tb.switchboard.update_contact_attributes(contact_id, params["Attributes"])
    return {}
