"""What the metrics operations share: queues, agents and channels named in a request,
the refusal of what the testbed does not simulate, and paging.

Queues and agents are named by id or ARN (``resolve_queues``, ``resolve_agents``);
an unknown one is ResourceNotFoundException naming it.  A filter, grouping or
metric Connect has but the testbed does not compute is InvalidParameterException
saying so (``not_simulated``), never a made-up value.

Pages: a NextToken carries the operation, the offset of the next result, the
testbed instant the results were computed at and how many events the log held
then (Connect's ``DataSnapshotTime``: later pages show the same snapshot, even
of events that happened later at the same instant) and a digest of the request,
so a token is
refused with other parameters than its first page's, or once it is older than
Connect's five minutes (of testbed time).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from testbed.records.contact_record import ContactRecord
from testbed.records.fold import fold_records
from testbed.server.connect_api.dispatch import Api
from testbed.server.connect_api.errors import ApiError

__all__ = ["CHANNELS", "SIMULATED_CHANNELS", "TOKEN_LIFETIME_S", "Page", "QueueRef",
           "invalid", "not_simulated", "page_request", "resolve_agents", "resolve_queues"]

#: Connect's channels, in the order results list them.
CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")
#: The channels the testbed's contacts use; agents take contacts of both.
SIMULATED_CHANNELS = ("VOICE", "TASK")
#: How long a NextToken is good for (Connect: five minutes), in testbed seconds.
TOKEN_LIFETIME_S = 300.0
#: Request members that do not change which results a token pages through.
_PAGING = ("NextToken", "MaxResults")


def invalid(message: str) -> ApiError:
    """InvalidParameterException with ``message`` (which names the bad value)."""
    return ApiError("InvalidParameterException", message)


def not_simulated(what: str) -> ApiError:
    """InvalidParameterException: ``what`` is something Connect has and the testbed does
    not compute."""
    return invalid(f"{what} is not simulated by the testbed (docs/api.md lists the metrics, "
                   "filters and groupings it computes)")


@dataclass(frozen=True, slots=True)
class QueueRef:
    """A queue as results name it: by name inside, by id and ARN in answers."""

    name: str
    id: str
    arn: str
    agent_queue: bool

    def reference(self) -> dict[str, str]:
        """The QueueReference of a Dimensions member."""
        return {"Id": self.id, "Arn": self.arn}


def resolve_queues(api: Api, given: Iterable[str]) -> list[QueueRef]:
    """The queues named by id or ARN, in the order given, each once."""
    by_id = {}
    for name, queue in api.tb.switchboard.queues.items():
        by_id[api.instance.id_of("queue", name)] = QueueRef(
            name, api.instance.id_of("queue", name), api.instance.arn_of("queue", name),
            queue.agent is not None)
    found: dict[str, QueueRef] = {}
    for value in given:
        ref = by_id.get(api.instance.resource_id("queue", value))
        if ref is None:
            raise api.not_found("queue", value)
        found.setdefault(ref.name, ref)
    return list(found.values())


def resolve_agents(api: Api, given: Iterable[str]) -> list[str]:
    """The usernames of the agents named by id or ARN (any agent connected in this run)."""
    known = {api.instance.id_of("agent", name): name for name in _usernames(api)}
    found: dict[str, None] = {}
    for value in given:
        name = known.get(api.instance.resource_id("agent", value))
        if name is None:
            raise api.not_found("agent", value)
        found.setdefault(name)
    return list(found)


def _usernames(api: Api) -> set[str]:
    return set(api.tb.switchboard.agents) | {detail.username for detail in api.tb.agents}


def _digest(op: str, params: dict[str, Any]) -> str:
    asked = {k: v for k, v in params.items() if k not in _PAGING}
    text = json.dumps([op, asked], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Page:
    """Where a request's page starts, and the snapshot its results are computed from: the
    testbed instant and the number of events in the log then."""

    offset: int
    snapshot_s: float
    events: int
    digest: str

    def records(self, api: Api) -> list[ContactRecord]:
        """The contact records as the snapshot's events make them."""
        return fold_records(api.tb.clock.start, api.tb.events()[:self.events])

    def cut(self, api: Api, params: dict[str, Any], results: Sequence[Any]
            ) -> tuple[list[Any], str | None]:
        """This page of ``results`` and the token of the next (None on the last page)."""
        size: int = params.get("MaxResults", 100)
        end = self.offset + size
        if self.offset > len(results):
            raise invalid(f"NextToken points past the {len(results)} results of this request")
        token = None
        if end < len(results):
            text = json.dumps([api.operation, end, self.snapshot_s, self.events, self.digest])
            token = base64.urlsafe_b64encode(text.encode()).decode()
        return list(results[self.offset:end]), token


def page_request(api: Api, params: dict[str, Any]) -> Page:
    """The page a request asks for: the first (computed now) or the one its NextToken names."""
    digest = _digest(api.operation, params)
    token = params.get("NextToken")
    if token is None:
        return Page(0, api.tb.now, len(api.tb.events()), digest)
    shown = f"{token[:40]!r}"
    try:
        op, offset, snapshot_s, events, token_digest = json.loads(
            base64.urlsafe_b64decode(token))
        offset, snapshot_s, events = int(offset), float(snapshot_s), int(events)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise invalid(f"NextToken {shown} was not given by this testbed") from None
    if not isinstance(op, str) or offset < 0 or not 0 <= events <= len(api.tb.events()) \
            or not math.isfinite(snapshot_s) or not 0 <= snapshot_s <= api.tb.now:
        raise invalid(f"NextToken {shown} was not given by this testbed")
    if op != api.operation:
        raise invalid(f"NextToken {shown} is a token of {op}, not of {api.operation}")
    if token_digest != digest:
        raise invalid(f"NextToken {shown} was given for other parameters; a token pages "
                      "only the request that gave it")
    age_s = api.tb.now - snapshot_s
    if age_s > TOKEN_LIFETIME_S:
        raise invalid(f"NextToken {shown} has expired ({age_s:.0f} s old; tokens last "
                      f"{TOKEN_LIFETIME_S:.0f} s)")
    return Page(offset, snapshot_s, events, digest)
