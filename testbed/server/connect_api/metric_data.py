"""GetMetricData, Connect's older historical API: metrics over the contact records for one
range, by queue and channel.

Connect's rules: StartTime and EndTime on 5-minute boundaries, EndTime later than
StartTime, StartTime no earlier than 24 hours before now, the range under 24
hours.  Queues are required (ids or ARNs), Channels optional; groupings QUEUE
and CHANNEL.  Each HistoricalMetric names the Statistic and Unit Connect's table
gives it (CONTACTS_QUEUED SUM COUNT, HANDLE_TIME AVG SECONDS, QUEUED_TIME MAX
SECONDS, SERVICE_LEVEL AVG PERCENT with an LT threshold, ...).  Each group with a
contact in the range gets one result (historical_metrics.py says how records are
counted).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from testbed.server.connect_api.dispatch import Api, operation
from testbed.server.connect_api.historical_metrics import V1, Asked, aggregate
from testbed.server.connect_api.metric_data_v2 import parse_time, threshold_of
from testbed.server.connect_api.metric_requests import (
    CHANNELS,
    invalid,
    not_simulated,
    page_request,
    resolve_queues,
)

__all__: list[str] = []

#: StartTime and EndTime are multiples of this (Connect: "a multiple of 5 minutes").
STEP = timedelta(minutes=5)
#: How far back, and how long a range, Connect serves ("available only for 24 hours").
DAY = timedelta(hours=24)
_FILTERS_NOT_SIMULATED = ("RoutingProfiles", "AgentStatuses", "Subtypes",
                          "ValidationTestTypes")


def _range(api: Api, params: dict[str, Any]) -> None:
    start, end = parse_time(params, "StartTime"), parse_time(params, "EndTime")
    for name, value in (("StartTime", params["StartTime"]), ("EndTime", params["EndTime"])):
        if value % STEP.total_seconds():
            shown = parse_time(params, name).isoformat().replace("+00:00", "Z")
            raise invalid(f"{name} {shown} is not a multiple of 5 minutes "
                          "(such as 10:05, 10:10)")
    now = api.tb.wall()
    if end <= start:
        raise invalid(f"EndTime {end:%Y-%m-%dT%H:%M:%SZ} must be later than StartTime "
                      f"{start:%Y-%m-%dT%H:%M:%SZ}")
    if start < now - DAY:
        raise invalid(f"StartTime {start:%Y-%m-%dT%H:%M:%SZ} is more than 24 hours before "
                      f"the current time {now:%Y-%m-%dT%H:%M:%SZ}")
    if end - start >= DAY:
        raise invalid(f"StartTime {start:%Y-%m-%dT%H:%M:%SZ} to EndTime "
                      f"{end:%Y-%m-%dT%H:%M:%SZ} spans {end - start}; it must be under 24 "
                      "hours")


def _asked(metric: dict[str, Any], at: str) -> Asked:
    name = metric.get("Name")
    if name is None:
        raise invalid(f"{at}: give the metric's Name")
    known = V1.get(name)
    if known is None:
        raise not_simulated(f"{at}.Name {name!r}")
    statistic, unit, definition = known
    for member, expected in (("Statistic", statistic), ("Unit", unit)):
        given = metric.get(member)
        if given != expected:
            raise invalid(f"{at}.{member} {given!r}: {name} is given with {member} {expected}")
    threshold = None
    if definition.threshold:
        if "Threshold" not in metric:
            raise invalid(f"{at}.Threshold: {name} needs a threshold")
        threshold = threshold_of(metric["Threshold"], f"{at}.Threshold", ("LT",))
    elif "Threshold" in metric:
        raise invalid(f"{at}.Threshold: {name} takes no threshold")
    return Asked(name, definition, threshold)


def _groupings(params: dict[str, Any]) -> list[str]:
    groupings: list[str] = params.get("Groupings", [])
    for i, grouping in enumerate(groupings):
        if grouping not in ("QUEUE", "CHANNEL"):
            raise not_simulated(f"Groupings[{i}] {grouping!r}")
        if grouping in groupings[:i]:
            raise invalid(f"Groupings[{i}] {grouping!r} is given twice")
    return groupings


@operation("GetMetricData")
def get_metric_data(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    page = page_request(api, params)
    _range(api, params)
    filters = params["Filters"]
    if "RoutingStepExpressions" in filters:
        raise invalid("Filters.RoutingStepExpressions is not a filter of GetMetricData "
                      "(Connect: use GetMetricDataV2)")
    for key in _FILTERS_NOT_SIMULATED:
        if key in filters:
            raise not_simulated(f"Filters.{key}")
    if "Queues" not in filters:
        raise invalid("Filters.Queues: GetMetricData needs at least one queue")
    queues = {ref.name: ref for ref in resolve_queues(api, filters["Queues"])}
    channels = [c for c in CHANNELS if c in filters.get("Channels", CHANNELS)]
    groupings = _groupings(params)
    asked = [_asked(m, f"HistoricalMetrics[{i}]")
             for i, m in enumerate(params["HistoricalMetrics"])]
    if not asked:
        raise invalid("HistoricalMetrics: give at least one metric")
    if sum(1 for a in asked if a.name == "SERVICE_LEVEL") > 20:
        raise invalid("HistoricalMetrics: more than 20 SERVICE_LEVEL metrics")

    span = (parse_time(params, "StartTime"), parse_time(params, "EndTime"))
    cells = aggregate(page.records(api), asked, groupings,
                      {"QUEUE": frozenset(queues), "CHANNEL": frozenset(channels)}, [span])
    results = []
    for cell in cells:
        dimensions: dict[str, Any] = {}
        for grouping, value in zip(groupings, cell.key, strict=True):
            if grouping == "QUEUE":
                dimensions["Queue"] = queues[value].reference()
            else:
                dimensions["Channel"] = value
        collections = []
        for metric, number in zip(params["HistoricalMetrics"], cell.values, strict=True):
            collections.append({"Metric": metric} if number is None
                               else {"Metric": metric, "Value": number})
        results.append({"Dimensions": dimensions, "Collections": collections})
    shown, token = page.cut(api, params, results)
    answer: dict[str, Any] = {"MetricResults": shown}
    if token is not None:
        answer["NextToken"] = token
    return answer
