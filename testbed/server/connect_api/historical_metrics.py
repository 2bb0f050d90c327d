"""Historical metrics from the contact records, Connect's definitions, for GetMetricDataV2
and GetMetricData.

A record counts in the interval holding its DisconnectTimestamp once it has closed
(disconnected, and its agent's after-contact work over), as ``testbed metrics``
counts it (``testbed.records.metrics.QueueInterval`` gives the shared formulas);
CONTACTS_QUEUED_BY_ENQUEUE places a record by its EnqueueTimestamp and
CONTACTS_CREATED by its InitiationTimestamp instead, closed or not.  Only
records that queued count (Connect's queue, channel and agent dimensions need a
queue).  Durations are the records' whole seconds:

- queued: Queue.EnqueueTimestamp set; handled: Agent.ConnectedToAgentTimestamp
  set; abandoned: queued, not handled, and no NextContactId (a caller who took
  a callback did not abandon).
- handle time: AgentInteractionDuration + CustomerHoldDuration +
  AfterContactWorkDuration; interaction time leaves hold out.
- a duration is "within" a threshold X when below X (LT) or at most X (LTE).

An average over no contact, or a rate over no queued contact, has no value.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from testbed.records.contact_record import ContactRecord, InitiationMethod
from testbed.server.connect_api.metric_requests import CHANNELS

__all__ = ["V1", "V2", "Asked", "Cell", "Definition", "Threshold", "aggregate", "key_of"]


@dataclass(frozen=True, slots=True)
class Threshold:
    """A service-level threshold: ``comparison`` LT or LTE, ``seconds`` X."""

    comparison: str
    seconds: float

    def within(self, duration_s: int | None) -> bool:
        if duration_s is None:
            return False
        return duration_s < self.seconds if self.comparison == "LT" \
            else duration_s <= self.seconds


Records = Sequence[ContactRecord]
Compute = Callable[[Records, Threshold | None], float | None]


def closed_at(record: ContactRecord) -> datetime | None:
    """The DisconnectTimestamp of a closed record (None while it is live or its agent's
    after-contact work goes on)."""
    agent = record.agent
    if agent is not None and agent.after_contact_work_start_timestamp is not None \
            and agent.after_contact_work_end_timestamp is None:
        return None
    return record.disconnect_timestamp


def _enqueued_at(record: ContactRecord) -> datetime | None:
    return None if record.queue is None else record.queue.enqueue_timestamp


def _initiated_at(record: ContactRecord) -> datetime | None:
    return record.initiation_timestamp


@dataclass(frozen=True, slots=True)
class Definition:
    """One metric: ``compute`` gives a group's value from its records, ``placed`` the
    instant that puts a record in an interval; ``agent`` says whether Connect accepts
    it with an AGENT filter or grouping, ``threshold`` whether it needs one, and
    ``metric_filters`` the metric-level filter keys it takes."""

    compute: Compute
    placed: Callable[[ContactRecord], datetime | None] = closed_at
    agent: bool = True
    threshold: bool = False
    metric_filters: frozenset[str] = frozenset()


def _queued(records: Records) -> list[ContactRecord]:
    return [r for r in records if r.queue is not None and r.queue.enqueue_timestamp]


def _is_handled(record: ContactRecord) -> bool:
    return record.agent is not None and record.agent.connected_to_agent_timestamp is not None


def _handled(records: Records) -> list[ContactRecord]:
    return [r for r in records if _is_handled(r)]


def _abandoned(records: Records) -> list[ContactRecord]:
    return [r for r in _queued(records) if not _is_handled(r) and r.next_contact_id is None]


def _queue_s(record: ContactRecord) -> int | None:
    return None if record.queue is None else record.queue.duration_s


def _hold_s(record: ContactRecord) -> int:
    return 0 if record.agent is None else record.agent.customer_hold_duration_s


def _holds(record: ContactRecord) -> int:
    return 0 if record.agent is None else record.agent.number_of_holds


def _acw_s(record: ContactRecord) -> int:
    return 0 if record.agent is None else record.agent.after_contact_work_duration_s or 0


def _interaction_s(record: ContactRecord) -> int:
    return record.agent_interaction_duration_s or 0


def _handle_s(record: ContactRecord) -> int:
    return _interaction_s(record) + _hold_s(record) + _acw_s(record)


def _duration_s(record: ContactRecord) -> int:
    end = record.disconnect_timestamp or record.initiation_timestamp
    return int((end - record.initiation_timestamp).total_seconds())


def _mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _percent(part: int, whole: int) -> float | None:
    return part * 100.0 / whole if whole else None


def _count(select: Callable[[Records], list[ContactRecord]]) -> Compute:
    return lambda records, _: float(len(select(records)))


def _average(select: Callable[[Records], list[ContactRecord]],
             value: Callable[[ContactRecord], int | None]) -> Compute:
    def compute(records: Records, _: Threshold | None) -> float | None:
        return _mean([v for v in map(value, select(records)) if v is not None])
    return compute


def _total(select: Callable[[Records], list[ContactRecord]],
           value: Callable[[ContactRecord], int]) -> Compute:
    return lambda records, _: float(sum(value(r) for r in select(records)))


def _per_handled(value: Callable[[ContactRecord], int]) -> Compute:
    def compute(records: Records, _: Threshold | None) -> float | None:
        handled = _handled(records)
        return sum(map(value, handled)) / len(handled) if handled else None
    return compute


def _within(select: Callable[[Records], list[ContactRecord]]) -> Compute:
    def compute(records: Records, threshold: Threshold | None) -> float | None:
        assert threshold is not None
        return float(sum(1 for r in select(records) if threshold.within(_queue_s(r))))
    return compute


def _service_level(records: Records, threshold: Threshold | None) -> float | None:
    assert threshold is not None
    queued = _queued(records)
    return _percent(sum(1 for r in queued if threshold.within(_queue_s(r))), len(queued))


def _abandonment_rate(records: Records, _: Threshold | None) -> float | None:
    return _percent(len(_abandoned(records)), len(_queued(records)))


def _max_queued(records: Records, _: Threshold | None) -> float | None:
    durations = [d for d in map(_queue_s, _queued(records)) if d is not None]
    return float(max(durations)) if durations else None


def _all(records: Records) -> list[ContactRecord]:
    return list(records)


def _held(records: Records) -> list[ContactRecord]:
    return [r for r in _handled(records) if _holds(r) > 0]


def _transferred_out(records: Records) -> list[ContactRecord]:
    return [r for r in _handled(records) if r.transfer_completed_timestamp is not None]


def _transferred_in(records: Records) -> list[ContactRecord]:
    return [r for r in _queued(records) if r.initiation_method is InitiationMethod.TRANSFER]


def _handled_by(*methods: InitiationMethod) -> Callable[[Records], list[ContactRecord]]:
    return lambda records: [r for r in _handled(records) if r.initiation_method in methods]


_METHOD = frozenset({"INITIATION_METHOD"})
_METHOD_REASON = frozenset({"INITIATION_METHOD", "DISCONNECT_REASON"})

#: GetMetricDataV2's metrics the testbed computes, by Connect's names.
V2: dict[str, Definition] = {
    "CONTACTS_QUEUED": Definition(_count(_queued)),
    "CONTACTS_QUEUED_BY_ENQUEUE": Definition(_count(_queued), placed=_enqueued_at),
    "CONTACTS_CREATED": Definition(_count(_all), placed=_initiated_at, agent=False,
                                   metric_filters=_METHOD),
    "CONTACTS_HANDLED": Definition(_count(_handled), metric_filters=_METHOD_REASON),
    "CONTACTS_ABANDONED": Definition(_count(_abandoned), metric_filters=_METHOD),
    "ABANDONMENT_RATE": Definition(_abandonment_rate),
    "AVG_ABANDON_TIME": Definition(_average(_abandoned, _queue_s), metric_filters=_METHOD),
    "AVG_QUEUE_ANSWER_TIME": Definition(_average(_handled, _queue_s), agent=False,
                                        metric_filters=_METHOD_REASON),
    "MAX_QUEUED_TIME": Definition(_max_queued),
    "AVG_HANDLE_TIME": Definition(_average(_handled, _handle_s)),
    "AVG_AFTER_CONTACT_WORK_TIME": Definition(_average(_handled, _acw_s),
                                              metric_filters=_METHOD),
    "AVG_INTERACTION_TIME": Definition(_average(_handled, _interaction_s), agent=False,
                                       metric_filters=_METHOD),
    "AVG_INTERACTION_AND_HOLD_TIME": Definition(
        _average(_handled, lambda r: _interaction_s(r) + _hold_s(r))),
    "AVG_HOLD_TIME": Definition(_average(_held, _hold_s)),
    "AVG_HOLD_TIME_ALL_CONTACTS": Definition(_per_handled(_hold_s)),
    "AVG_HOLDS": Definition(_per_handled(_holds)),
    "AVG_CONTACT_DURATION": Definition(_average(_all, _duration_s)),
    "CONTACTS_PUT_ON_HOLD": Definition(_count(_held)),
    "CONTACTS_TRANSFERRED_OUT": Definition(_count(_transferred_out)),
    "SERVICE_LEVEL": Definition(_service_level, agent=False, threshold=True),
    "SUM_CONTACTS_ANSWERED_IN_X": Definition(_within(_handled), agent=False, threshold=True),
    "SUM_CONTACTS_ABANDONED_IN_X": Definition(_within(_abandoned), agent=False,
                                              threshold=True),
    "CONTACTS_REMOVED_FROM_QUEUE_IN_X": Definition(_within(_queued), agent=False,
                                                   threshold=True),
    "SUM_CONTACTS_DISCONNECTED": Definition(_count(_all),
                                            metric_filters=frozenset({"DISCONNECT_REASON"})),
    "SUM_HANDLE_TIME": Definition(_total(_handled, _handle_s)),
    "SUM_HOLD_TIME": Definition(_total(_handled, _hold_s)),
    "SUM_INTERACTION_TIME": Definition(_total(_handled, _interaction_s)),
    "SUM_INTERACTION_AND_HOLD_TIME": Definition(
        _total(_handled, lambda r: _interaction_s(r) + _hold_s(r))),
    "SUM_AFTER_CONTACT_WORK_TIME": Definition(_total(_handled, _acw_s)),
}

_M = InitiationMethod
#: GetMetricData's metrics the testbed computes: name -> (statistic, unit, definition).
V1: dict[str, tuple[str, str, Definition]] = {
    "CONTACTS_QUEUED": ("SUM", "COUNT", V2["CONTACTS_QUEUED"]),
    "CONTACTS_HANDLED": ("SUM", "COUNT", V2["CONTACTS_HANDLED"]),
    "CONTACTS_ABANDONED": ("SUM", "COUNT", V2["CONTACTS_ABANDONED"]),
    "CONTACTS_HANDLED_INCOMING": ("SUM", "COUNT", Definition(_count(_handled_by(
        _M.INBOUND, _M.TRANSFER, _M.QUEUE_TRANSFER)))),
    "CALLBACK_CONTACTS_HANDLED": ("SUM", "COUNT", Definition(_count(_handled_by(_M.CALLBACK)))),
    "API_CONTACTS_HANDLED": ("SUM", "COUNT", Definition(_count(_handled_by(_M.API)))),
    "CONTACTS_TRANSFERRED_IN": ("SUM", "COUNT", Definition(_count(_transferred_in))),
    "CONTACTS_TRANSFERRED_OUT": ("SUM", "COUNT", V2["CONTACTS_TRANSFERRED_OUT"]),
    "HANDLE_TIME": ("AVG", "SECONDS", V2["AVG_HANDLE_TIME"]),
    "AFTER_CONTACT_WORK_TIME": ("AVG", "SECONDS", V2["AVG_AFTER_CONTACT_WORK_TIME"]),
    "INTERACTION_TIME": ("AVG", "SECONDS", V2["AVG_INTERACTION_TIME"]),
    "INTERACTION_AND_HOLD_TIME": ("AVG", "SECONDS", V2["AVG_INTERACTION_AND_HOLD_TIME"]),
    "HOLD_TIME": ("AVG", "SECONDS", V2["AVG_HOLD_TIME"]),
    "QUEUE_ANSWER_TIME": ("AVG", "SECONDS", V2["AVG_QUEUE_ANSWER_TIME"]),
    "ABANDON_TIME": ("AVG", "SECONDS", V2["AVG_ABANDON_TIME"]),
    "QUEUED_TIME": ("MAX", "SECONDS", V2["MAX_QUEUED_TIME"]),
    "SERVICE_LEVEL": ("AVG", "PERCENT", V2["SERVICE_LEVEL"]),
}


# -- aggregation ----------------------------------------------------------------------


def _keep_all(record: ContactRecord) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Asked:
    """One metric of a request: its definition, threshold and metric-level filter."""

    name: str
    definition: Definition
    threshold: Threshold | None = None
    keep: Callable[[ContactRecord], bool] = field(default=_keep_all)


@dataclass(frozen=True, slots=True)
class Cell:
    """One result: the group's value of each grouping (names: queue and agent names),
    its interval, and the value of each metric asked, in the order asked."""

    key: tuple[str, ...]
    start: datetime
    end: datetime
    values: tuple[float | None, ...]


def key_of(record: ContactRecord, dimension: str) -> str | None:
    """A record's value of QUEUE (queue name), CHANNEL or AGENT (username)."""
    if dimension == "QUEUE":
        return None if record.queue is None else record.queue.name
    if dimension == "CHANNEL":
        return record.channel
    return None if record.agent is None else record.agent.username


def _group_of(record: ContactRecord, groupings: Sequence[str]) -> tuple[str, ...] | None:
    values = []
    for dimension in groupings:
        value = key_of(record, dimension)
        if value is None:
            return None
        values.append(value)
    return tuple(values)


def _order(groupings: Sequence[str]) -> Callable[[tuple[str, ...]], tuple[object, ...]]:
    def order(key: tuple[str, ...]) -> tuple[object, ...]:
        return tuple(CHANNELS.index(k) if g == "CHANNEL" and k in CHANNELS else k
                     for g, k in zip(groupings, key, strict=True))
    return order


def aggregate(records: Records, asked: Sequence[Asked], groupings: Sequence[str],
              filters: Mapping[str, frozenset[str]],
              spans: Sequence[tuple[datetime, datetime]]) -> list[Cell]:
    """Each group (a value per grouping) that has a record in ``spans``, with every
    interval of ``spans``, in group order (queue and agent names, Connect's channel
    order), then time.  ``filters`` keep records whose value of each dimension is one
    of those given."""
    low, high = spans[0][0], spans[-1][1]
    starts = [start for start, _ in spans]
    cells: list[dict[tuple[tuple[str, ...], int], list[ContactRecord]]] = []
    groups: set[tuple[str, ...]] = set()
    kept = [r for r in records if r.queue is not None and all(
        key_of(r, dimension) in values for dimension, values in filters.items())]
    for metric in asked:
        found: dict[tuple[tuple[str, ...], int], list[ContactRecord]] = {}
        for record in kept:
            placed = metric.definition.placed(record)
            if placed is None or not low <= placed < high or not metric.keep(record):
                continue
            group = _group_of(record, groupings)
            if group is None:
                continue
            found.setdefault((group, bisect_right(starts, placed) - 1), []).append(record)
            groups.add(group)
        cells.append(found)
    return [Cell(group, start, end, tuple(
                metric.definition.compute(found.get((group, i), []), metric.threshold)
                for metric, found in zip(asked, cells, strict=True)))
            for group in sorted(groups, key=_order(groupings))
            for i, (start, end) in enumerate(spans)]
