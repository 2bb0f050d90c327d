"""Queues as requests name them: by id or ARN (``id_of("queue", name)``)."""

from __future__ import annotations

from testbed.centre.queues import Queue
from testbed.server.connect_api.dispatch import Api

__all__ = ["find_queue"]


def find_queue(api: Api, given: str) -> Queue:
    """The queue whose id or ARN is ``given``; ResourceNotFoundException if none."""
    wanted = api.instance.resource_id("queue", given)
    for name, queue in api.tb.switchboard.queues.items():
        if api.instance.id_of("queue", name) == wanted:
            return queue
    raise api.not_found("queue", given)
