"""What the instance holds: queues, users, statuses, routing profiles, numbers, hours.

Every id is ``tb.instance.id_of(kind, name)`` (stable across runs); every
operation accepts an id or the full ARN where Connect does.  Queues, routing
profiles and hours are here; users and statuses in users.py, their live
state in user_data.py, numbers in phone_numbers.py (imported below so their
operations are registered with this family's).
"""

from __future__ import annotations

from typing import Any

from testbed.centre.queues import Queue
from testbed.server.connect_api import (  # noqa: F401  (their @operation handlers)
    phone_numbers,
    user_data,
    users,
)
from testbed.server.connect_api.dispatch import Api, operation, page
from testbed.server.connect_api.queue_refs import find_queue
from testbed.server.connect_api.routing_profiles import find_profile, profiles

__all__: list[str] = []


def _queue_summary(api: Api, queue: Queue) -> dict[str, Any]:
    return {"Id": api.instance.id_of("queue", queue.name),
            "Arn": api.instance.arn_of("queue", queue.name),
            "Name": queue.name,
            "QueueType": "AGENT" if queue.agent else "STANDARD"}


def _hours_name(api: Api, key: str) -> str:
    """The name of the hours a queue names by ``key`` (a name, an id or an ARN's end)."""
    hours = api.tb.switchboard.hours.get(key)
    return key if hours is None else hours.name


@operation("ListQueues")
def list_queues(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    types = set(params.get("QueueTypes", ("STANDARD", "AGENT")))
    queues = [_queue_summary(api, q) for q in api.tb.switchboard.queues.values()]
    return page(api, params, [q for q in queues if q["QueueType"] in types],
                "QueueSummaryList")


@operation("DescribeQueue")
def describe_queue(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    queue = find_queue(api, params["QueueId"])
    described: dict[str, Any] = {
        "Name": queue.name,
        "QueueArn": api.instance.arn_of("queue", queue.name),
        "QueueId": api.instance.id_of("queue", queue.name),
        "Status": "ENABLED",
        "Tags": {},
    }
    if queue.hours is not None:
        described["HoursOfOperationId"] = api.instance.id_of(
            "operating-hours", _hours_name(api, queue.hours))
    if queue.outbound_whisper_flow is not None:
        described["OutboundCallerConfig"] = {"OutboundFlowId": api.instance.id_of(
            "contact-flow", queue.outbound_whisper_flow)}
    return {"Queue": described}


@operation("ListRoutingProfiles")
def list_routing_profiles(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    summaries = [{"Id": p.id(api), "Arn": p.arn(api), "Name": p.name}
                 for p in profiles(api.tb.switchboard.agents.values())]
    return page(api, params, summaries, "RoutingProfileSummaryList")


@operation("ListRoutingProfileQueues")
def list_routing_profile_queues(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    profile = find_profile(api, params["RoutingProfileId"])
    configs = [{"QueueId": api.instance.id_of("queue", name),
                "QueueArn": api.instance.arn_of("queue", name),
                "QueueName": name, "Priority": priority, "Delay": round(delay_s),
                "Channel": "VOICE"}
               for name, priority, delay_s in profile.queues]
    return page(api, params, configs, "RoutingProfileQueueConfigSummaryList")


@operation("ListHoursOfOperations")
def list_hours_of_operations(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    # Hours are kept under their name, id and ARN: one entry each, by name.
    names = sorted({hours.name for hours in api.tb.switchboard.hours.values()})
    summaries = [{"Id": api.instance.id_of("operating-hours", name),
                  "Arn": api.instance.arn_of("operating-hours", name), "Name": name}
                 for name in names]
    return page(api, params, summaries, "HoursOfOperationSummaryList")
