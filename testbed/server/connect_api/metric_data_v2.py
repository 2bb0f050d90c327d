"""GetMetricDataV2: historical metrics over the contact records, by interval.

The request is checked as Connect states its rules: ResourceArn is the
instance's ARN; EndTime is later than StartTime and not later than now;
StartTime is within the 3 months Connect keeps (93 days here); the range is
under 3 days for FIFTEEN_MIN, THIRTY_MIN and HOUR intervals and under 35 days
for DAY, WEEK and TOTAL; at least one QUEUE or AGENT filter, at most 100 queue
and agent values.  Results are each group with data times each interval
(historical_metrics.py says how records are counted).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from testbed.records.contact_record import ContactRecord
from testbed.server.connect_api.dispatch import Api, operation
from testbed.server.connect_api.errors import ApiError
from testbed.server.connect_api.historical_metrics import (
    V2,
    Asked,
    Threshold,
    aggregate,
)
from testbed.server.connect_api.metric_intervals import intervals
from testbed.server.connect_api.metric_requests import (
    CHANNELS,
    invalid,
    not_simulated,
    page_request,
    resolve_agents,
    resolve_queues,
)

__all__ = ["DISCONNECT_REASONS", "INITIATION_METHODS", "parse_time", "threshold_of"]

#: How far back Connect keeps historical metrics ("3 months").
KEPT = timedelta(days=93)
#: Longest StartTime-to-EndTime range (exclusive) per IntervalPeriod.
SPANS = {"FIFTEEN_MIN": timedelta(days=3), "THIRTY_MIN": timedelta(days=3),
         "HOUR": timedelta(days=3), "DAY": timedelta(days=35), "WEEK": timedelta(days=35),
         "TOTAL": timedelta(days=35)}
MAX_THRESHOLD_S = 604800
MAX_SERVICE_LEVELS = 20
MAX_FILTER_VALUES = 100
DIMENSIONS = ("QUEUE", "CHANNEL", "AGENT")
#: Contact record values of the metric-level filters (Connect's CTR data model).
INITIATION_METHODS = frozenset({
    "INBOUND", "OUTBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "API", "DISCONNECT",
    "MONITOR", "EXTERNAL_OUTBOUND", "WEBRTC_API", "AGENT_REPLY", "FLOW"})
DISCONNECT_REASONS = frozenset({
    "CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "THIRD_PARTY_DISCONNECT", "TELECOM_PROBLEM",
    "TELECOM_BUSY", "TELECOM_NUMBER_INVALID", "TELECOM_POTENTIAL_BLOCKING",
    "TELECOM_UNANSWERED", "TELECOM_TIMEOUT", "TELECOM_ORIGINATOR_CANCEL", "BARGED",
    "CONTACT_FLOW_DISCONNECT", "OTHER", "EXPIRED", "API",
    "CUSTOMER_CONNECTION_NOT_ESTABLISHED", "AGENT_CONNECTION_NOT_ESTABLISHED"})
_FILTER_VALUES = {"INITIATION_METHOD": INITIATION_METHODS,
                  "DISCONNECT_REASON": DISCONNECT_REASONS}


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def parse_time(params: dict[str, Any], name: str) -> datetime:
    """A timestamp member as an aware UTC datetime."""
    try:
        return datetime.fromtimestamp(params[name], UTC)
    except (OverflowError, OSError, ValueError):
        raise invalid(f"{name} {params[name]!r} is not a time Connect accepts") from None


def _range(api: Api, params: dict[str, Any], period: str) -> tuple[datetime, datetime]:
    start, end = parse_time(params, "StartTime"), parse_time(params, "EndTime")
    now = api.tb.wall()
    if end <= start:
        raise invalid(f"EndTime {_iso(end)} must be later than StartTime {_iso(start)}")
    if end > now:
        raise invalid(f"EndTime {_iso(end)} is later than the current time {_iso(now)}")
    if start < now - KEPT:
        raise invalid(f"StartTime {_iso(start)} is more than 3 months before the current "
                      f"time {_iso(now)}")
    if end - start >= SPANS[period]:
        raise invalid(f"StartTime {_iso(start)} to EndTime {_iso(end)} spans {end - start}; "
                      f"with IntervalPeriod {period} it must be under {SPANS[period].days} "
                      "days")
    return start, end


def _interval(params: dict[str, Any]) -> tuple[str, ZoneInfo]:
    interval = params.get("Interval", {})
    period: str = interval.get("IntervalPeriod", "TOTAL")
    name = interval.get("TimeZone", "UTC")
    try:
        zone = ZoneInfo(name)
    except (ValueError, OSError, LookupError):
        raise invalid(f"Interval.TimeZone {name[:80]!r} is not a time zone (an IANA name "
                      "such as America/New_York)") from None
    return period, zone


def _filters(api: Api, given: list[dict[str, Any]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    counted = 0
    for i, item in enumerate(given):
        at = f"Filters[{i}]"
        key = item.get("FilterKey")
        if key is None:
            raise invalid(f"{at}.FilterKey: required member missing")
        if "StringCondition" in item:
            raise not_simulated(f"{at}.StringCondition")
        if key not in DIMENSIONS:
            raise not_simulated(f"{at}.FilterKey {key[:80]!r}")
        if key in out:
            raise invalid(f"{at}.FilterKey {key!r} is given twice")
        values: list[str] = item.get("FilterValues", [])
        if not values:
            raise invalid(f"{at}.FilterValues: give at least one value")
        if key == "QUEUE":
            refs = resolve_queues(api, values)
            for ref in refs:
                if ref.agent_queue:
                    raise invalid(f"{at}: queue {ref.id!r} is an agent queue; "
                                  "GetMetricDataV2 does not support agent queues")
            out[key] = frozenset(ref.name for ref in refs)
            counted += len(values)
        elif key == "AGENT":
            out[key] = frozenset(resolve_agents(api, values))
            counted += len(values)
        else:
            for j, value in enumerate(values):
                if value not in CHANNELS:
                    raise invalid(f"{at}.FilterValues[{j}] {value[:80]!r} is not a channel "
                                  f"({', '.join(CHANNELS)})")
            out[key] = frozenset(values)
    if counted > MAX_FILTER_VALUES:
        raise invalid(f"Filters: {counted} queue and agent values, more than Connect's "
                      f"{MAX_FILTER_VALUES}")
    if "QUEUE" not in out and "AGENT" not in out:
        raise invalid("Filters: give a QUEUE or AGENT filter (Connect needs a resource "
                      "filter; routing profile and hierarchy filters are not simulated)")
    return out


def _groupings(params: dict[str, Any]) -> list[str]:
    groupings: list[str] = params.get("Groupings", [])
    for i, grouping in enumerate(groupings):
        if grouping not in DIMENSIONS:
            raise not_simulated(f"Groupings[{i}] {grouping[:80]!r}")
        if grouping in groupings[:i]:
            raise invalid(f"Groupings[{i}] {grouping!r} is given twice")
    return groupings


def threshold_of(given: dict[str, Any], at: str, comparisons: tuple[str, ...]) -> Threshold:
    """A Threshold member checked against Connect's rules (a whole number of seconds from
    1 to 604800, one of ``comparisons``)."""
    comparison = given.get("Comparison")
    if comparison not in comparisons:
        raise invalid(f"{at}.Comparison {comparison!r} is not one of {', '.join(comparisons)}")
    value = given.get("ThresholdValue")
    if value is None or value != int(value) or not 1 <= value <= MAX_THRESHOLD_S:
        raise invalid(f"{at}.ThresholdValue {value!r} is not a whole number of seconds from "
                      f"1 to {MAX_THRESHOLD_S}")
    return Threshold(comparison, float(value))


def _keep(filters: list[dict[str, Any]], at: str, allowed: frozenset[str], name: str
          ) -> Callable[[ContactRecord], bool]:
    tests: list[tuple[str, frozenset[str], bool]] = []
    for i, item in enumerate(filters):
        here = f"{at}.MetricFilters[{i}]"
        key = item.get("MetricFilterKey")
        if key is None:
            raise invalid(f"{here}.MetricFilterKey: required member missing")
        if key not in allowed:
            takes = ", ".join(sorted(allowed)) or "none"
            raise invalid(f"{here}.MetricFilterKey {key[:80]!r} is not a metric filter of "
                          f"{name} (it takes {takes})")
        values = item.get("MetricFilterValues", [])
        if not values:
            raise invalid(f"{here}.MetricFilterValues: give at least one value")
        for j, value in enumerate(values):
            if value not in _FILTER_VALUES[key]:
                raise invalid(f"{here}.MetricFilterValues[{j}] {value[:80]!r} is not a "
                              f"{key} of a contact record")
        tests.append((key, frozenset(values), bool(item.get("Negate", False))))

    def keep(record: ContactRecord) -> bool:
        for key, values, negate in tests:
            value = record.initiation_method if key == "INITIATION_METHOD" \
                else record.disconnect_reason
            if (value in values) == negate:
                return False
        return True
    return keep


def _metric(metric: dict[str, Any], at: str, by_agent: bool) -> Asked:
    if "MetricId" in metric:
        raise not_simulated(f"{at}.MetricId {metric['MetricId'][:80]!r} (custom metrics)")
    name = metric.get("Name")
    if name is None:
        raise invalid(f"{at}: give the metric's Name")
    definition = V2.get(name)
    if definition is None:
        raise not_simulated(f"{at}.Name {name[:80]!r}")
    if by_agent and not definition.agent:
        raise invalid(f"{at}.Name {name!r}: Connect does not filter or group {name} by AGENT")
    thresholds = metric.get("Threshold", [])
    if definition.threshold and not thresholds:
        raise invalid(f"{at}.Threshold: {name} needs a threshold")
    if thresholds and not definition.threshold:
        raise invalid(f"{at}.Threshold: {name} takes no threshold")
    threshold = threshold_of(thresholds[0], f"{at}.Threshold[0]", ("LT", "LTE")) \
        if thresholds else None
    keep = _keep(metric.get("MetricFilters", []), at, definition.metric_filters, name)
    return Asked(name, definition, threshold, keep)


def _dimensions(api: Api, groupings: list[str], key: tuple[str, ...]) -> dict[str, str]:
    dimensions = {}
    for grouping, value in zip(groupings, key, strict=True):
        if grouping == "CHANNEL":
            dimensions["CHANNEL"] = value
        else:
            kind = "queue" if grouping == "QUEUE" else "agent"
            dimensions[grouping] = api.instance.id_of(kind, value)
            dimensions[f"{grouping}_ARN"] = api.instance.arn_of(kind, value)
    return dimensions


@operation("GetMetricDataV2")
def get_metric_data_v2(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    page = page_request(api, params)
    if params["ResourceArn"] != api.instance.arn:
        raise ApiError("ResourceNotFoundException",
                       f"ResourceArn {params['ResourceArn'][:200]!r} is not this testbed's "
                       f"instance ({api.instance.arn})")
    period, zone = _interval(params)
    start, end = _range(api, params, period)
    filters = _filters(api, params["Filters"])
    groupings = _groupings(params)
    by_agent = "AGENT" in filters or "AGENT" in groupings
    asked = [_metric(m, f"Metrics[{i}]", by_agent) for i, m in enumerate(params["Metrics"])]
    if not asked:
        raise invalid("Metrics: give at least one metric")
    if sum(1 for a in asked if a.name == "SERVICE_LEVEL") > MAX_SERVICE_LEVELS:
        raise invalid(f"Metrics: more than {MAX_SERVICE_LEVELS} SERVICE_LEVEL metrics")

    cells = aggregate(page.records(api), asked, groupings, filters,
                      intervals(start, end, period, zone))
    results = []
    for cell in cells:
        collections = []
        for metric, value in zip(params["Metrics"], cell.values, strict=True):
            shown = {k: metric[k] for k in ("Name", "Threshold", "MetricFilters") if k in metric}
            collections.append({"Metric": shown} if value is None
                               else {"Metric": shown, "Value": value})
        results.append({"Dimensions": _dimensions(api, groupings, cell.key),
                        "MetricInterval": {"Interval": period, "StartTime": cell.start,
                                           "EndTime": cell.end},
                        "Collections": collections})
    shown_page, token = page.cut(api, params, results)
    answer: dict[str, Any] = {"MetricResults": shown_page}
    if token is not None:
        answer["NextToken"] = token
    return answer

