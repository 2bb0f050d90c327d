"""What the instance holds: queues, users, statuses, routing profiles, numbers, hours.

Every id is ``tb.instance.id_of(kind, name)`` (stable across runs); every
operation accepts an id or the full ARN where Connect does.
"""

from __future__ import annotations

from typing import Any

from testbed.centre.queues import Queue
from testbed.server.connect_api.dispatch import Api, operation, page

__all__: list[str] = []


def _queue(api: Api, given: str) -> Queue:
    wanted = api.instance.resource_id("queue", given)
    for name, queue in api.tb.switchboard.queues.items():
        if api.instance.id_of("queue", name) == wanted:
            return queue
    raise api.not_found("queue", given)


def _queue_summary(api: Api, queue: Queue) -> dict[str, Any]:
    return {"Id": api.instance.id_of("queue", queue.name),
            "Arn": api.instance.arn_of("queue", queue.name),
            "Name": queue.name,
            "QueueType": "AGENT" if queue.agent else "STANDARD"}


@operation("ListQueues")
def list_queues(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    types = set(params.get("QueueTypes", ("STANDARD", "AGENT")))
    queues = [_queue_summary(api, q) for q in api.tb.switchboard.queues.values()]
    return page(api, params, [q for q in queues if q["QueueType"] in types],
                "QueueSummaryList")


@operation("DescribeQueue")
def describe_queue(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    queue = _queue(api, params["QueueId"])
    described: dict[str, Any] = {
        "Name": queue.name,
        "QueueArn": api.instance.arn_of("queue", queue.name),
        "QueueId": api.instance.id_of("queue", queue.name),
        "Status": "ENABLED",
        "Tags": {},
    }
    if queue.hours is not None:
        described["HoursOfOperationId"] = api.instance.id_of("operating-hours", queue.hours)
    if queue.outbound_whisper_flow is not None:
        described["OutboundCallerConfig"] = {"OutboundFlowId": api.instance.id_of(
            "contact-flow", queue.outbound_whisper_flow)}
    return {"Queue": described}
