"""GetMetricData (the older historical API) through a real boto3 client: the seed's
records, Connect's statistics and units, and the errors Connect answers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Testbed
from testbed.load.demos import setup_queued_callback
from testbed.pytest_plugin import ServedTestbed
from testbed.records.metrics import historical

from .conftest import JOHN, at
from .metric_scenarios import four_callers, utc

__all__ = ["four_callers"]  # a fixture

#: Connect's statistic and unit of each metric the tests ask for.
SHAPES = {"CONTACTS_QUEUED": ("SUM", "COUNT"), "CONTACTS_HANDLED": ("SUM", "COUNT"),
          "CONTACTS_ABANDONED": ("SUM", "COUNT"), "CALLBACK_CONTACTS_HANDLED": ("SUM", "COUNT"),
          "CONTACTS_HANDLED_INCOMING": ("SUM", "COUNT"), "API_CONTACTS_HANDLED": ("SUM", "COUNT"),
          "CONTACTS_TRANSFERRED_IN": ("SUM", "COUNT"),
          "CONTACTS_TRANSFERRED_OUT": ("SUM", "COUNT"),
          "HANDLE_TIME": ("AVG", "SECONDS"), "AFTER_CONTACT_WORK_TIME": ("AVG", "SECONDS"),
          "QUEUE_ANSWER_TIME": ("AVG", "SECONDS"), "ABANDON_TIME": ("AVG", "SECONDS"),
          "INTERACTION_TIME": ("AVG", "SECONDS"), "HOLD_TIME": ("AVG", "SECONDS"),
          "INTERACTION_AND_HOLD_TIME": ("AVG", "SECONDS"), "QUEUED_TIME": ("MAX", "SECONDS"),
          "SERVICE_LEVEL": ("AVG", "PERCENT")}


def metric(name: str, threshold: float | None = None) -> dict[str, Any]:
    statistic, unit = SHAPES[name]
    asked: dict[str, Any] = {"Name": name, "Statistic": statistic, "Unit": unit}
    if threshold is not None:
        asked["Threshold"] = {"Comparison": "LT", "ThresholdValue": threshold}
    return asked


async def v1(client: Any, tb: Testbed, metrics: list[Any], queues: list[str],
             start: str = "11:30:00", end: str = "11:50:00", **params: Any) -> Any:
    """get_metric_data over the named queues (by id), in a worker thread; metrics are
    names or HistoricalMetric objects."""
    filters = params.pop("Filters", {})
    filters["Queues"] = [tb.instance.id_of("queue", q) for q in queues]
    return await asyncio.to_thread(
        client.get_metric_data, InstanceId=tb.instance.instance_id,
        StartTime=params.pop("StartTime", utc(start)),
        EndTime=params.pop("EndTime", utc(end)), Filters=filters,
        HistoricalMetrics=[metric(m) if isinstance(m, str) else m for m in metrics], **params)


def by_group(tb: Testbed, answer: Any) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """Each result as (its queue name and channel, values by metric name)."""
    names = {tb.instance.id_of("queue", n): n for n in tb.switchboard.queues}
    out = []
    for result in answer["MetricResults"]:
        dims = result["Dimensions"]
        key = tuple(v for v in (names.get(dims.get("Queue", {}).get("Id", "")),
                                dims.get("Channel")) if v is not None)
        out.append((key, {c["Metric"]["Name"]: c.get("Value") for c in result["Collections"]}))
    return out


async def raw(served: ServedTestbed, body: Any) -> tuple[int, str, str]:
    """POST a GetMetricData body as is: (status, error type, message)."""
    url = f"{served.url}/metrics/historical/{served.testbed.instance.instance_id}"
    async with served.session.post(url, data=json.dumps(body)) as response:
        answer = await response.json()
        return response.status, response.headers["x-amzn-ErrorType"], answer["Message"]


# -- values -----------------------------------------------------------------------------


async def test_seed_callback_queue_shows_the_callback_answered_after_120_s(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:50:00"))
    answer = await v1(connect_client, testbed,
                      ["CONTACTS_QUEUED", "CALLBACK_CONTACTS_HANDLED", "QUEUE_ANSWER_TIME"],
                      ["InboundQueue", "CallbackQueue"], Groupings=["QUEUE"])
    assert by_group(testbed, answer) == [
        (("CallbackQueue",), {"CONTACTS_QUEUED": 1.0, "CALLBACK_CONTACTS_HANDLED": 1.0,
                              "QUEUE_ANSWER_TIME": 120.0}),
        (("InboundQueue",), {"CONTACTS_QUEUED": 1.0, "CALLBACK_CONTACTS_HANDLED": 0.0,
                             "QUEUE_ANSWER_TIME": None})]


async def test_the_metric_is_echoed_with_its_statistic_unit_and_threshold(
        four_callers: Testbed, connect_client: Any) -> None:
    answer = await v1(connect_client, four_callers, [metric("SERVICE_LEVEL", 20)],
                      ["InboundQueue"], end="11:45:00")
    assert answer["MetricResults"] == [{"Dimensions": {}, "Collections": [{
        "Metric": {"Name": "SERVICE_LEVEL", "Threshold": {"Comparison": "LT",
                                                          "ThresholdValue": 20.0},
                   "Statistic": "AVG", "Unit": "PERCENT"},
        "Value": 25.0}]}]


async def test_numbers_agree_with_testbed_metrics(four_callers: Testbed,
                                                  connect_client: Any) -> None:
    names = {"CONTACTS_QUEUED": "CONTACTS_QUEUED", "CONTACTS_HANDLED": "CONTACTS_HANDLED",
             "CONTACTS_ABANDONED": "CONTACTS_ABANDONED",
             "CALLBACK_CONTACTS_HANDLED": "CALLBACK_CONTACTS_HANDLED",
             "QUEUE_ANSWER_TIME": "AVG_QUEUE_ANSWER_TIME", "HANDLE_TIME": "AVG_HANDLE_TIME",
             "AFTER_CONTACT_WORK_TIME": "AVG_AFTER_CONTACT_WORK_TIME",
             "HOLD_TIME": "AVG_HOLD_TIME", "QUEUED_TIME": "MAX_QUEUED_TIME",
             "CONTACTS_TRANSFERRED_IN": "CONTACTS_TRANSFERRED_IN",
             "CONTACTS_TRANSFERRED_OUT": "CONTACTS_TRANSFERRED_OUT"}
    answer = await v1(connect_client, four_callers,
                      [*names, metric("SERVICE_LEVEL", 60)], ["InboundQueue", "CallbackQueue"],
                      end="11:45:00", Groupings=["QUEUE"])
    expected = []
    for row in historical(four_callers.records, service_levels_s=(60,)):
        shown = row.to_json()
        values = {ours: None if shown[theirs] is None else float(shown[theirs])
                  for ours, theirs in names.items()}
        expected.append(((row.queue,), values | {"SERVICE_LEVEL": row.service_level[60]}))
    assert by_group(four_callers, answer) == sorted(expected)


async def test_interaction_and_incoming_metrics(four_callers: Testbed,
                                                connect_client: Any) -> None:
    answer = await v1(connect_client, four_callers,
                      ["CONTACTS_HANDLED_INCOMING", "API_CONTACTS_HANDLED", "INTERACTION_TIME",
                       "INTERACTION_AND_HOLD_TIME", "ABANDON_TIME"],
                      ["InboundQueue", "CallbackQueue"], end="11:45:00")
    # Handled: A and B (inbound, talking 100 and 60 s) and the callback (40 s); C gave
    # up after 50 s.
    assert by_group(four_callers, answer) == [((), {
        "CONTACTS_HANDLED_INCOMING": 2.0, "API_CONTACTS_HANDLED": 0.0,
        "INTERACTION_TIME": 200 / 3, "INTERACTION_AND_HOLD_TIME": 200 / 3,
        "ABANDON_TIME": 50.0})]


async def test_transferred_in_counts_in_the_queue_transferred_to(
        testbed: Testbed, connect_client: Any) -> None:
    from .test_transfer import NUMBER, centre

    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], transfer=[(30, "Billing")]))
    testbed.add_agent(MockAgent("bill", ["Billing"]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=60))
    await testbed.run_until(at("11:45:00"))
    answer = await v1(connect_client, testbed,
                      ["CONTACTS_TRANSFERRED_IN", "CONTACTS_TRANSFERRED_OUT"],
                      ["Support", "Billing"], end="11:45:00", Groupings=["QUEUE"])
    assert by_group(testbed, answer) == [
        (("Billing",), {"CONTACTS_TRANSFERRED_IN": 1.0, "CONTACTS_TRANSFERRED_OUT": 0.0}),
        (("Support",), {"CONTACTS_TRANSFERRED_IN": 0.0, "CONTACTS_TRANSFERRED_OUT": 1.0})]


async def test_channel_grouping(four_callers: Testbed, connect_client: Any) -> None:
    answer = await v1(connect_client, four_callers, ["CONTACTS_QUEUED"],
                      ["InboundQueue", "CallbackQueue"], end="11:45:00",
                      Groupings=["CHANNEL", "QUEUE"])
    assert by_group(four_callers, answer) == [
        (("CallbackQueue", "VOICE"), {"CONTACTS_QUEUED": 1.0}),
        (("InboundQueue", "VOICE"), {"CONTACTS_QUEUED": 4.0})]


async def test_range_counts_contacts_whose_records_closed_in_it(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:50:00"))
    answer = await v1(connect_client, testbed, ["CONTACTS_QUEUED"],
                      ["InboundQueue", "CallbackQueue"], start="11:40:00", end="11:50:00",
                      Groupings=["QUEUE"])
    assert by_group(testbed, answer) == [(("CallbackQueue",), {"CONTACTS_QUEUED": 1.0})]


async def test_results_page_by_max_results(four_callers: Testbed, connect_client: Any) -> None:
    first = await v1(connect_client, four_callers, ["CONTACTS_QUEUED"],
                     ["InboundQueue", "CallbackQueue"], end="11:45:00", Groupings=["QUEUE"],
                     MaxResults=1)
    second = await v1(connect_client, four_callers, ["CONTACTS_QUEUED"],
                      ["InboundQueue", "CallbackQueue"], end="11:45:00", Groupings=["QUEUE"],
                      MaxResults=1, NextToken=first["NextToken"])
    assert [g for g, _ in by_group(four_callers, first) + by_group(four_callers, second)] == \
        [("CallbackQueue",), ("InboundQueue",)]
    assert "NextToken" not in second


# -- errors -----------------------------------------------------------------------------


async def refused(client: Any, tb: Testbed, error: str, metrics: list[Any] | None = None,
                  queues: tuple[str, ...] = ("InboundQueue",), **params: Any) -> str:
    """The message of the ``error`` get_metric_data raises."""
    with pytest.raises(getattr(client.exceptions, error)) as raised:
        await v1(client, tb, metrics or ["CONTACTS_QUEUED"], list(queues), **params)
    message: str = raised.value.response["Error"]["Message"]
    return message


async def test_start_time_off_five_minutes_is_refused(four_callers: Testbed,
                                                      connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            start="11:31:00", end="11:45:00")
    assert message == ("StartTime 2022-04-08T11:31:00Z is not a multiple of 5 minutes "
                       "(such as 10:05, 10:10)")


async def test_range_of_24_hours_is_refused(testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until("2022-04-09T11:30:00Z")
    message = await refused(connect_client, testbed, "InvalidParameterException",
                            StartTime=utc("11:30:00"),
                            EndTime=utc("11:30:00", "2022-04-09"))
    assert message.endswith("spans 1 day, 0:00:00; it must be under 24 hours")


async def test_start_time_over_24_hours_back_is_refused(testbed: Testbed,
                                                        connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until("2022-04-09T12:00:00Z")
    message = await refused(connect_client, testbed, "InvalidParameterException",
                            start="11:30:00", end="11:50:00")
    assert message == ("StartTime 2022-04-08T11:30:00Z is more than 24 hours before the "
                       "current time 2022-04-09T12:00:00Z")


async def test_wrong_statistic_is_refused(four_callers: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            [{"Name": "CONTACTS_QUEUED", "Statistic": "AVG", "Unit": "COUNT"}],
                            end="11:45:00")
    assert message == ("HistoricalMetrics[0].Statistic 'AVG': CONTACTS_QUEUED is given with "
                       "Statistic SUM")


async def test_wrong_unit_is_refused(four_callers: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            [{"Name": "HANDLE_TIME", "Statistic": "AVG", "Unit": "COUNT"}],
                            end="11:45:00")
    assert message == ("HistoricalMetrics[0].Unit 'COUNT': HANDLE_TIME is given with Unit "
                       "SECONDS")


async def test_fractional_threshold_is_refused(four_callers: Testbed,
                                               connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            [metric("SERVICE_LEVEL", 20.5)], end="11:45:00")
    assert message == ("HistoricalMetrics[0].Threshold.ThresholdValue 20.5 is not a whole "
                       "number of seconds from 1 to 604800")


async def test_metric_the_testbed_does_not_compute_is_named(four_callers: Testbed,
                                                            connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            [{"Name": "OCCUPANCY", "Statistic": "AVG", "Unit": "PERCENT"}],
                            end="11:45:00")
    assert message.startswith("HistoricalMetrics[0].Name 'OCCUPANCY' is not simulated")


async def test_unknown_queue_is_resource_not_found(four_callers: Testbed,
                                                   connect_client: Any) -> None:
    unknown = "0d5f5b8c-0000-4000-8000-000000000000"
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await asyncio.to_thread(
            connect_client.get_metric_data, InstanceId=four_callers.instance.instance_id,
            StartTime=utc("11:30:00"), EndTime=utc("11:45:00"),
            Filters={"Queues": [unknown]}, HistoricalMetrics=[metric("CONTACTS_QUEUED")])
    assert unknown in raised.value.response["Error"]["Message"]


async def test_more_than_100_queues_is_invalid_parameter(four_callers: Testbed,
                                                         connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            queues=("InboundQueue",) * 101, end="11:45:00")
    assert message == "Filters.Queues: has 101 items, more than the maximum 100"


async def test_missing_historical_metrics_over_http_is_invalid_parameter(
        four_callers: Testbed, served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    status, code, message = await raw(served_testbed, {
        "StartTime": utc("11:30:00").timestamp(), "EndTime": utc("11:45:00").timestamp(),
        "Filters": {"Queues": [tb.instance.id_of("queue", "InboundQueue")]}})
    assert (status, code, message) == (400, "InvalidParameterException",
                                       "HistoricalMetrics: required member missing")


async def test_groupings_of_the_wrong_type_over_http_are_invalid_parameter(
        four_callers: Testbed, served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    status, code, message = await raw(served_testbed, {
        "StartTime": utc("11:30:00").timestamp(), "EndTime": utc("11:45:00").timestamp(),
        "Filters": {"Queues": [tb.instance.id_of("queue", "InboundQueue")]},
        "Groupings": "QUEUE", "HistoricalMetrics": [metric("CONTACTS_QUEUED")]})
    assert (status, code, message) == (400, "InvalidParameterException",
                                       "Groupings: expected a list, got str")
