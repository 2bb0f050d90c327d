"""GetMetricDataV2 through a real boto3 client: Connect's historical metrics over the
records, by queue, channel and agent, per interval, and the errors Connect answers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Testbed
from testbed.load.demos import SERVICE_NUMBER, setup_queued_callback
from testbed.pytest_plugin import ServedTestbed
from testbed.records.metrics import historical

from .conftest import JOHN, at, seed_centre
from .metric_scenarios import four_callers, utc

__all__ = ["four_callers"]  # a fixture

async def v2(client: Any, tb: Testbed, metrics: list[Any], *, queues: list[str] | None = None,
             start: str = "11:30:00", end: str = "11:45:00", **params: Any) -> Any:
    """get_metric_data_v2 over the named queues (by id) from ``start`` to ``end`` (the seed's
    day), in a worker thread; metrics are names or MetricV2 objects."""
    filters = params.pop("Filters", [])
    if queues is not None:
        filters = [{"FilterKey": "QUEUE",
                    "FilterValues": [tb.instance.id_of("queue", q) for q in queues]},
                   *filters]
    return await asyncio.to_thread(
        client.get_metric_data_v2, ResourceArn=params.pop("ResourceArn", tb.instance.arn),
        StartTime=params.pop("StartTime", utc(start)),
        EndTime=params.pop("EndTime", utc(end)), Filters=filters,
        Metrics=[{"Name": m} if isinstance(m, str) else m for m in metrics], **params)


def label(collection: dict[str, Any]) -> str:
    """A metric's name, with its threshold (SERVICE_LEVEL LT 20) or filter (... CALLBACK)."""
    metric = collection["Metric"]
    extra = [f"{t['Comparison']} {t['ThresholdValue']:g}" for t in metric.get("Threshold", [])]
    extra += ["NOT " * f.get("Negate", False) + ",".join(f["MetricFilterValues"])
              for f in metric.get("MetricFilters", [])]
    return " ".join([metric["Name"], *extra])


def rows(tb: Testbed, answer: Any) -> list[tuple[tuple[str, ...], str, dict[str, Any]]]:
    """Each result as (names of its dimensions, its interval "HH:MM-HH:MM", values)."""
    names = {tb.instance.id_of(kind, name): name
             for kind, pool in (("queue", tb.switchboard.queues),
                                ("agent", [a.username for a in tb.agents]))
             for name in pool}
    out = []
    for result in answer["MetricResults"]:
        dims = tuple(names.get(v, v) for k, v in result["Dimensions"].items()
                     if not k.endswith("_ARN"))
        interval = result["MetricInterval"]
        span = f"{interval['StartTime']:%H:%M}-{interval['EndTime']:%H:%M}"
        out.append((dims, span, {label(c): c.get("Value") for c in result["Collections"]}))
    return out


async def raw(served: ServedTestbed, body: Any) -> tuple[int, str, str]:
    """POST a GetMetricDataV2 body as is: (status, error type, message)."""
    async with served.session.post(f"{served.url}/metrics/data",
                                   data=json.dumps(body)) as response:
        answer = await response.json()
        return response.status, response.headers["x-amzn-ErrorType"], answer["Message"]


SL = {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]}
SL60 = {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 60}]}


# -- values -----------------------------------------------------------------------------


async def test_queue_grouping_counts_contacts_as_connect_defines_them(
        four_callers: Testbed, connect_client: Any) -> None:
    answer = await v2(connect_client, four_callers,
                      ["CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_ABANDONED",
                       "ABANDONMENT_RATE", "AVG_ABANDON_TIME", "MAX_QUEUED_TIME", SL, SL60],
                      queues=["InboundQueue", "CallbackQueue"], Groupings=["QUEUE"])
    assert rows(four_callers, answer) == [
        (("CallbackQueue",), "11:30-11:45", {
            "CONTACTS_QUEUED": 1.0, "CONTACTS_HANDLED": 1.0, "CONTACTS_ABANDONED": 0.0,
            "ABANDONMENT_RATE": 0.0, "AVG_ABANDON_TIME": None, "MAX_QUEUED_TIME": 150.0,
            "SERVICE_LEVEL LT 20": 0.0, "SERVICE_LEVEL LT 60": 0.0}),
        (("InboundQueue",), "11:30-11:45", {
            "CONTACTS_QUEUED": 4.0, "CONTACTS_HANDLED": 2.0, "CONTACTS_ABANDONED": 1.0,
            "ABANDONMENT_RATE": 25.0, "AVG_ABANDON_TIME": 50.0, "MAX_QUEUED_TIME": 130.0,
            "SERVICE_LEVEL LT 20": 25.0, "SERVICE_LEVEL LT 60": 50.0})]


async def test_time_metrics_follow_the_records_durations(four_callers: Testbed,
                                                         connect_client: Any) -> None:
    answer = await v2(connect_client, four_callers,
                      ["AVG_QUEUE_ANSWER_TIME", "AVG_HANDLE_TIME", "AVG_INTERACTION_TIME",
                       "AVG_AFTER_CONTACT_WORK_TIME", "AVG_CONTACT_DURATION",
                       "SUM_HANDLE_TIME", "SUM_AFTER_CONTACT_WORK_TIME"],
                      queues=["InboundQueue"])
    # A: 0 s in queue, talks 100, ACW 30; B: 130 s in queue, talks 60, ACW 30; the four
    # contacts last 110, 200, 50 and 60 s.
    assert rows(four_callers, answer) == [((), "11:30-11:45", {
        "AVG_QUEUE_ANSWER_TIME": 65.0, "AVG_HANDLE_TIME": 110.0, "AVG_INTERACTION_TIME": 80.0,
        "AVG_AFTER_CONTACT_WORK_TIME": 30.0, "AVG_CONTACT_DURATION": 105.0,
        "SUM_HANDLE_TIME": 220.0, "SUM_AFTER_CONTACT_WORK_TIME": 60.0})]


async def test_numbers_agree_with_testbed_metrics(four_callers: Testbed,
                                                  connect_client: Any) -> None:
    names = ["CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_ABANDONED",
             "AVG_QUEUE_ANSWER_TIME", "AVG_HANDLE_TIME", "AVG_AFTER_CONTACT_WORK_TIME",
             "MAX_QUEUED_TIME", "CONTACTS_PUT_ON_HOLD", "AVG_HOLD_TIME",
             "CONTACTS_TRANSFERRED_OUT", "ABANDONMENT_RATE"]
    answer = await v2(connect_client, four_callers, [*names, SL, SL60],
                      queues=["InboundQueue", "CallbackQueue"], Groupings=["QUEUE"])
    expected = []
    for row in historical(four_callers.records, service_levels_s=(20, 60)):
        shown = row.to_json()
        values = {name: None if shown[name] is None else float(shown[name]) for name in names}
        values |= {f"SERVICE_LEVEL LT {x}": pct for x, pct in row.service_level.items()}
        expected.append(((row.queue,), "11:30-11:45", values))
    assert rows(four_callers, answer) == sorted(expected)


async def test_threshold_lte_counts_contacts_at_x(four_callers: Testbed,
                                                  connect_client: Any) -> None:
    lte = {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LTE", "ThresholdValue": 60}]}
    answered = {"Name": "SUM_CONTACTS_ANSWERED_IN_X",
                "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]}
    answer = await v2(connect_client, four_callers, [lte, answered], queues=["InboundQueue"])
    # Out of queue within 60 s: A (0), C (50) and D (60, the callback request); answered
    # in under 20 s: A.
    assert rows(four_callers, answer) == [((), "11:30-11:45", {
        "SERVICE_LEVEL LTE 60": 75.0, "SUM_CONTACTS_ANSWERED_IN_X LT 20": 1.0})]


async def test_agent_grouping_names_the_agent_by_id_and_arn(four_callers: Testbed,
                                                            connect_client: Any) -> None:
    answer = await v2(connect_client, four_callers, ["CONTACTS_HANDLED"],
                      queues=["InboundQueue", "CallbackQueue"], Groupings=["AGENT"])
    [result] = answer["MetricResults"]
    assert result["Dimensions"] == {"AGENT": four_callers.instance.id_of("agent", "alice"),
                                    "AGENT_ARN": four_callers.instance.arn_of("agent", "alice")}
    assert result["Collections"] == [{"Metric": {"Name": "CONTACTS_HANDLED"}, "Value": 3.0}]


async def test_agent_filter_alone_selects_their_contacts(four_callers: Testbed,
                                                         connect_client: Any) -> None:
    alice = four_callers.instance.arn_of("agent", "alice")
    answer = await v2(connect_client, four_callers, ["CONTACTS_HANDLED", "AVG_HANDLE_TIME"],
                      Filters=[{"FilterKey": "AGENT", "FilterValues": [alice]}],
                      Groupings=["QUEUE"])
    assert rows(four_callers, answer) == [
        (("CallbackQueue",), "11:30-11:45", {"CONTACTS_HANDLED": 1.0, "AVG_HANDLE_TIME": 70.0}),
        (("InboundQueue",), "11:30-11:45", {"CONTACTS_HANDLED": 2.0, "AVG_HANDLE_TIME": 110.0})]


async def test_channel_grouping_and_filter(four_callers: Testbed, connect_client: Any) -> None:
    voice = await v2(connect_client, four_callers, ["CONTACTS_QUEUED"],
                     queues=["InboundQueue"], Groupings=["CHANNEL"])
    tasks = await v2(connect_client, four_callers, ["CONTACTS_QUEUED"],
                     queues=["InboundQueue"],
                     Filters=[{"FilterKey": "CHANNEL", "FilterValues": ["TASK"]}])
    assert rows(four_callers, voice) == [(("VOICE",), "11:30-11:45", {"CONTACTS_QUEUED": 4.0})]
    assert tasks["MetricResults"] == []


async def test_metric_filter_counts_callbacks_handled(four_callers: Testbed,
                                                      connect_client: Any) -> None:
    def handled(negate: bool) -> dict[str, Any]:
        return {"Name": "CONTACTS_HANDLED", "MetricFilters": [{
            "MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["CALLBACK"],
            "Negate": negate}]}

    answer = await v2(connect_client, four_callers, [handled(False), handled(True)],
                      queues=["InboundQueue", "CallbackQueue"])
    assert rows(four_callers, answer) == [((), "11:30-11:45", {
        "CONTACTS_HANDLED CALLBACK": 1.0, "CONTACTS_HANDLED NOT CALLBACK": 2.0})]


async def test_hold_metrics(testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["InboundQueue"], hold=[(5, 20)]))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, talk_s=60))
    await testbed.run_until(at("11:45:00"))
    answer = await v2(connect_client, testbed,
                      ["CONTACTS_PUT_ON_HOLD", "AVG_HOLD_TIME", "AVG_HOLDS", "SUM_HOLD_TIME",
                       "AVG_INTERACTION_AND_HOLD_TIME", "AVG_INTERACTION_TIME"],
                      queues=["InboundQueue"])
    # Joined at 11:35:10, on hold 11:35:15-11:35:35, John hangs up at 11:36:10.
    assert rows(testbed, answer) == [((), "11:30-11:45", {
        "CONTACTS_PUT_ON_HOLD": 1.0, "AVG_HOLD_TIME": 20.0, "AVG_HOLDS": 1.0,
        "SUM_HOLD_TIME": 20.0, "AVG_INTERACTION_AND_HOLD_TIME": 60.0,
        "AVG_INTERACTION_TIME": 40.0})]


async def test_transfers_out_count_in_the_first_queue(testbed: Testbed,
                                                      connect_client: Any) -> None:
    from .test_transfer import NUMBER, centre

    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], transfer=[(30, "Billing")]))
    testbed.add_agent(MockAgent("bill", ["Billing"]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=60))
    await testbed.run_until(at("11:45:00"))
    answer = await v2(connect_client, testbed, ["CONTACTS_TRANSFERRED_OUT", "CONTACTS_HANDLED"],
                      queues=["Support", "Billing"], Groupings=["QUEUE"])
    assert rows(testbed, answer) == [
        (("Billing",), "11:30-11:45",
         {"CONTACTS_TRANSFERRED_OUT": 0.0, "CONTACTS_HANDLED": 1.0}),
        (("Support",), "11:30-11:45",
         {"CONTACTS_TRANSFERRED_OUT": 1.0, "CONTACTS_HANDLED": 1.0})]


# -- intervals --------------------------------------------------------------------------


async def test_fifteen_minute_intervals_place_contacts_where_their_records_closed(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("12:00:00"))
    answer = await v2(connect_client, testbed, ["CONTACTS_QUEUED", "AVG_QUEUE_ANSWER_TIME"],
                      queues=["InboundQueue", "CallbackQueue"], end="12:00:00",
                      Groupings=["QUEUE"], Interval={"IntervalPeriod": "FIFTEEN_MIN"})
    assert rows(testbed, answer) == [
        (("CallbackQueue",), "11:30-11:45",
         {"CONTACTS_QUEUED": 0.0, "AVG_QUEUE_ANSWER_TIME": None}),
        (("CallbackQueue",), "11:45-12:00",
         {"CONTACTS_QUEUED": 1.0, "AVG_QUEUE_ANSWER_TIME": 120.0}),
        (("InboundQueue",), "11:30-11:45",
         {"CONTACTS_QUEUED": 1.0, "AVG_QUEUE_ANSWER_TIME": None}),
        (("InboundQueue",), "11:45-12:00",
         {"CONTACTS_QUEUED": 0.0, "AVG_QUEUE_ANSWER_TIME": None})]


async def test_intervals_are_cut_at_the_start_and_end_times(testbed: Testbed,
                                                            connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("12:00:00"))
    answer = await v2(connect_client, testbed, ["CONTACTS_QUEUED"], queues=["CallbackQueue"],
                      start="11:40:00", end="11:50:00",
                      Interval={"IntervalPeriod": "FIFTEEN_MIN"})
    assert [(r["MetricInterval"]["Interval"], r["MetricInterval"]["StartTime"],
             r["MetricInterval"]["EndTime"]) for r in answer["MetricResults"]] == [
        ("FIFTEEN_MIN", utc("11:40:00"), utc("11:45:00")),
        ("FIFTEEN_MIN", utc("11:45:00"), utc("11:50:00"))]


async def test_days_follow_the_time_zone(testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until("2022-04-09T12:00:00Z")
    answer = await v2(connect_client, testbed, ["CONTACTS_QUEUED"],
                      queues=["InboundQueue", "CallbackQueue"],
                      StartTime=utc("00:00:00"), EndTime=utc("12:00:00", "2022-04-09"),
                      Interval={"IntervalPeriod": "DAY", "TimeZone": "America/New_York"})
    # Midnight in New York (EDT) is 04:00 UTC: the seed's 07:35 local is on April 8.
    assert [(r["MetricInterval"]["StartTime"].astimezone(UTC).isoformat(),
             r["Collections"][0]["Value"]) for r in answer["MetricResults"]] == [
        ("2022-04-08T00:00:00+00:00", 0.0), ("2022-04-08T04:00:00+00:00", 2.0),
        ("2022-04-09T04:00:00+00:00", 0.0)]


async def test_results_page_by_max_results(four_callers: Testbed, connect_client: Any) -> None:
    first = await v2(connect_client, four_callers, ["CONTACTS_QUEUED"],
                     queues=["InboundQueue", "CallbackQueue"], Groupings=["QUEUE"],
                     MaxResults=1)
    second = await v2(connect_client, four_callers, ["CONTACTS_QUEUED"],
                      queues=["InboundQueue", "CallbackQueue"], Groupings=["QUEUE"],
                      MaxResults=1, NextToken=first["NextToken"])
    assert [r[0] for r in rows(four_callers, first) + rows(four_callers, second)] == \
        [("CallbackQueue",), ("InboundQueue",)]
    assert "NextToken" not in second


# -- errors -----------------------------------------------------------------------------


async def refused(client: Any, tb: Testbed, error: str, metrics: list[Any] | None = None,
                  **params: Any) -> str:
    """The message of the ``error`` get_metric_data_v2 raises."""
    with pytest.raises(getattr(client.exceptions, error)) as raised:
        await v2(client, tb, metrics or ["CONTACTS_QUEUED"], **params)
    message: str = raised.value.response["Error"]["Message"]
    return message


async def test_another_instance_arn_is_resource_not_found(four_callers: Testbed,
                                                          connect_client: Any) -> None:
    other = "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-4333-8444-55555555"
    message = await refused(connect_client, four_callers, "ResourceNotFoundException",
                            queues=["InboundQueue"], ResourceArn=other)
    assert other in message


async def test_unknown_queue_is_resource_not_found(four_callers: Testbed,
                                                   connect_client: Any) -> None:
    unknown = "0d5f5b8c-0000-4000-8000-000000000000"
    message = await refused(connect_client, four_callers, "ResourceNotFoundException",
                            Filters=[{"FilterKey": "QUEUE", "FilterValues": [unknown]}])
    assert unknown in message


async def test_end_time_after_now_is_refused(four_callers: Testbed,
                                             connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            queues=["InboundQueue"], end="11:45:01")
    assert message == ("EndTime 2022-04-08T11:45:01Z is later than the current time "
                       "2022-04-08T11:45:00Z")


async def test_end_time_before_start_time_is_refused(four_callers: Testbed,
                                                     connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            queues=["InboundQueue"], start="11:40:00", end="11:40:00")
    assert message == ("EndTime 2022-04-08T11:40:00Z must be later than StartTime "
                       "2022-04-08T11:40:00Z")


async def test_fifteen_minute_intervals_over_three_days_are_refused(
        testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    await testbed.run_until("2022-04-11T12:00:00Z")
    message = await refused(connect_client, testbed, "InvalidParameterException",
                            queues=["InboundQueue"], StartTime=utc("12:00:00"),
                            EndTime=utc("12:00:00", "2022-04-11"),
                            Interval={"IntervalPeriod": "FIFTEEN_MIN"})
    assert message.endswith("spans 3 days, 0:00:00; with IntervalPeriod FIFTEEN_MIN it must be "
                            "under 3 days")


async def test_start_time_over_three_months_back_is_refused(four_callers: Testbed,
                                                            connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            queues=["InboundQueue"], StartTime=utc("11:00:00", "2022-01-01"),
                            EndTime=utc("12:00:00", "2022-01-02"))
    assert message.startswith("StartTime 2022-01-01T11:00:00Z is more than 3 months before")


async def test_unknown_time_zone_is_refused(four_callers: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            queues=["InboundQueue"],
                            Interval={"IntervalPeriod": "HOUR", "TimeZone": "Mars/Olympus"})
    assert message.startswith("Interval.TimeZone 'Mars/Olympus' is not a time zone")


async def test_metric_the_testbed_does_not_compute_is_named(four_callers: Testbed,
                                                            connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            ["CONTACTS_QUEUED", "AGENT_OCCUPANCY"], queues=["InboundQueue"])
    assert message.startswith("Metrics[1].Name 'AGENT_OCCUPANCY' is not simulated")


async def test_queue_answer_time_by_agent_is_refused(four_callers: Testbed,
                                                     connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            ["AVG_QUEUE_ANSWER_TIME"], queues=["InboundQueue"],
                            Groupings=["AGENT"])
    assert message == ("Metrics[0].Name 'AVG_QUEUE_ANSWER_TIME': Connect does not filter or "
                       "group AVG_QUEUE_ANSWER_TIME by AGENT")


async def test_service_level_without_a_threshold_is_refused(four_callers: Testbed,
                                                            connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            ["SERVICE_LEVEL"], queues=["InboundQueue"])
    assert message == "Metrics[0].Threshold: SERVICE_LEVEL needs a threshold"


async def test_threshold_over_a_week_is_refused(four_callers: Testbed,
                                                connect_client: Any) -> None:
    week = {"Name": "SERVICE_LEVEL",
            "Threshold": [{"Comparison": "LT", "ThresholdValue": 604801}]}
    message = await refused(connect_client, four_callers, "InvalidParameterException", [week],
                            queues=["InboundQueue"])
    assert message == ("Metrics[0].Threshold[0].ThresholdValue 604801.0 is not a whole number "
                       "of seconds from 1 to 604800")


async def test_metric_filter_value_that_is_no_initiation_method_is_refused(
        four_callers: Testbed, connect_client: Any) -> None:
    handled = {"Name": "CONTACTS_HANDLED", "MetricFilters": [
        {"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["PIGEON"]}]}
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            [handled], queues=["InboundQueue"])
    assert message == ("Metrics[0].MetricFilters[0].MetricFilterValues[0] 'PIGEON' is not a "
                       "INITIATION_METHOD of a contact record")


async def test_channel_filter_alone_is_refused(four_callers: Testbed,
                                               connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            Filters=[{"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}])
    assert message.startswith("Filters: give a QUEUE or AGENT filter")


async def test_routing_profile_filter_is_not_simulated(four_callers: Testbed,
                                                       connect_client: Any) -> None:
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            queues=["InboundQueue"],
                            Filters=[{"FilterKey": "ROUTING_PROFILE", "FilterValues": ["x"]}])
    assert message.startswith("Filters[1].FilterKey 'ROUTING_PROFILE' is not simulated")


async def test_more_than_five_filters_is_invalid_parameter(four_callers: Testbed,
                                                           connect_client: Any) -> None:
    voice = {"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}
    message = await refused(connect_client, four_callers, "InvalidParameterException",
                            queues=["InboundQueue"], Filters=[voice] * 5)
    assert message == "Filters: has 6 items, more than the maximum 5"


async def test_missing_metrics_over_http_is_invalid_parameter(
        four_callers: Testbed, served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    status, code, message = await raw(served_testbed, {
        "ResourceArn": tb.instance.arn, "StartTime": utc("11:30:00").timestamp(),
        "EndTime": utc("11:45:00").timestamp(),
        "Filters": [{"FilterKey": "QUEUE",
                     "FilterValues": [tb.instance.id_of("queue", "InboundQueue")]}]})
    assert (status, code, message) == (400, "InvalidParameterException",
                                       "Metrics: required member missing")


async def test_start_time_of_the_wrong_type_over_http_is_invalid_parameter(
        four_callers: Testbed, served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    status, code, message = await raw(served_testbed, {
        "ResourceArn": tb.instance.arn, "StartTime": "yesterday",
        "EndTime": utc("11:45:00").timestamp(),
        "Filters": [{"FilterKey": "QUEUE",
                     "FilterValues": [tb.instance.id_of("queue", "InboundQueue")]}],
        "Metrics": [{"Name": "CONTACTS_QUEUED"}]})
    assert (status, code) == (400, "InvalidParameterException")
    assert message.startswith("StartTime: 'yesterday' is not a timestamp")
