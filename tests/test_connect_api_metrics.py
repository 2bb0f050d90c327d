"""GetCurrentMetricData through a real boto3 client: the seed's callback, agents' states,
channels, sorting, paging and the errors Connect answers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Testbed
from testbed.load.demos import SERVICE_NUMBER, setup_queued_callback
from testbed.pytest_plugin import ServedTestbed

from .conftest import JANE, JOHN, at, seed_centre

ALL = ["AGENTS_ONLINE", "AGENTS_AVAILABLE", "AGENTS_ON_CALL", "AGENTS_NON_PRODUCTIVE",
       "AGENTS_AFTER_CONTACT_WORK", "AGENTS_ERROR", "AGENTS_STAFFED", "CONTACTS_IN_QUEUE",
       "OLDEST_CONTACT_AGE", "CONTACTS_SCHEDULED", "AGENTS_ON_CONTACT", "SLOTS_ACTIVE",
       "SLOTS_AVAILABLE"]
UNITS = {name: "SECONDS" if name == "OLDEST_CONTACT_AGE" else "COUNT" for name in ALL}


async def current(client: Any, tb: Testbed, queues: list[str], metrics: list[str] = ALL,
                  **params: Any) -> Any:
    """get_current_metric_data on the named queues (by id), in a worker thread."""
    filters = params.pop("Filters", {})
    filters["Queues"] = [tb.instance.id_of("queue", q) for q in queues]
    return await asyncio.to_thread(
        client.get_current_metric_data, InstanceId=tb.instance.instance_id, Filters=filters,
        CurrentMetrics=[{"Name": m, "Unit": UNITS[m]} for m in metrics], **params)


def values(answer: Any) -> list[tuple[dict[str, Any], dict[str, float]]]:
    """Each result's dimensions and its metrics by name."""
    return [(r["Dimensions"], {c["Metric"]["Name"]: c["Value"] for c in r["Collections"]})
            for r in answer["MetricResults"]]


def by_queue(tb: Testbed, answer: Any) -> dict[str, dict[str, float]]:
    names = {tb.instance.id_of("queue", n): n for n in tb.switchboard.queues}
    return {names[dims["Queue"]["Id"]]: found for dims, found in values(answer)}


def zero(**nonzero: float) -> dict[str, float]:
    return {name: float(nonzero.get(name, 0)) for name in ALL}


async def raw(served: ServedTestbed, body: Any) -> tuple[int, str, str]:
    """POST a GetCurrentMetricData body as is: (status, error type, message)."""
    url = f"{served.url}/metrics/current/{served.testbed.instance.instance_id}"
    async with served.session.post(url, data=json.dumps(body)) as response:
        answer = await response.json()
        return response.status, response.headers["x-amzn-ErrorType"], answer["Message"]


# -- the seed scenario ------------------------------------------------------------


async def test_seed_callback_is_scheduled_at_1138_and_in_queue_11_s_at_113850(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:38:00"))
    before = await current(connect_client, testbed, ["CallbackQueue"], Groupings=["QUEUE"])
    await testbed.run_until(at("11:38:50"))
    after = await current(connect_client, testbed, ["CallbackQueue"], Groupings=["QUEUE"])
    # The callback was created at 11:37 with a 99 s delay: scheduled until 11:38:39, then
    # in queue; alex is Offline until 11:39:00, so no agent counts.
    assert by_queue(testbed, before) == {"CallbackQueue": zero(CONTACTS_SCHEDULED=1)}
    assert by_queue(testbed, after) == {
        "CallbackQueue": zero(CONTACTS_IN_QUEUE=1, OLDEST_CONTACT_AGE=11)}


async def test_results_name_the_queue_by_id_and_arn_with_connect_units(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:38:50"))
    answer = await current(connect_client, testbed, ["CallbackQueue"],
                           ["CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE"], Groupings=["QUEUE"])
    assert answer["MetricResults"] == [{
        "Dimensions": {"Queue": {"Id": testbed.instance.id_of("queue", "CallbackQueue"),
                                 "Arn": testbed.instance.arn_of("queue", "CallbackQueue")}},
        "Collections": [
            {"Metric": {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}, "Value": 1.0},
            {"Metric": {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"}, "Value": 11.0}]}]
    assert answer["DataSnapshotTime"].isoformat() == "2022-04-08T11:38:50+00:00"
    assert answer["ApproximateTotalCount"] == 1


async def test_oldest_contact_age_is_milliseconds_without_groupings(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:38:50.250"))
    answer = await current(connect_client, testbed, ["CallbackQueue"], ["OLDEST_CONTACT_AGE"])
    assert values(answer) == [({}, {"OLDEST_CONTACT_AGE": 11250.0})]


async def test_queue_filter_takes_an_arn(testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:38:50"))
    answer = await asyncio.to_thread(
        connect_client.get_current_metric_data, InstanceId=testbed.instance.instance_id,
        Filters={"Queues": [testbed.instance.arn_of("queue", "CallbackQueue")]},
        CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}])
    assert values(answer) == [({}, {"CONTACTS_IN_QUEUE": 1.0})]


async def test_queue_without_agents_online_or_contacts_has_no_result(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:38:00"))
    answer = await current(connect_client, testbed, ["InboundQueue", "CallbackQueue"],
                           Groupings=["QUEUE"])
    assert list(by_queue(testbed, answer)) == ["CallbackQueue"]


async def test_agent_on_the_callback_counts_in_every_queue_of_their_profile(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:39:30"))  # alex talks with John from 11:39:25
    answer = await current(connect_client, testbed, ["InboundQueue", "CallbackQueue"],
                           Groupings=["QUEUE"])
    on_call = zero(AGENTS_ONLINE=1, AGENTS_STAFFED=1, AGENTS_ON_CALL=1, AGENTS_ON_CONTACT=1,
                   SLOTS_ACTIVE=1)
    assert by_queue(testbed, answer) == {"CallbackQueue": on_call, "InboundQueue": on_call}


# -- agents' states -------------------------------------------------------------------


async def test_agents_count_by_state_and_status(testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("carol", ["InboundQueue"], available_at=0, acw_s=60))
    testbed.add_agent(MockAgent("alice", ["InboundQueue"], available_at=5))
    bob = MockAgent("bob", ["InboundQueue"], available_at=None)
    testbed.add_agent(bob)
    bob.set_status("Break")
    testbed.add_agent(MockAgent("dave", ["InboundQueue"], available_at=None))  # Offline
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=1, talk_s=30))
    await testbed.run_until(at("11:36:00"))  # carol's call ended at 11:35:41; ACW to 11:36:41
    answer = await current(connect_client, testbed, ["InboundQueue"])
    assert values(answer) == [({}, zero(
        AGENTS_ONLINE=3, AGENTS_AVAILABLE=1, AGENTS_NON_PRODUCTIVE=1, AGENTS_STAFFED=2,
        AGENTS_ON_CALL=1, AGENTS_ON_CONTACT=1, AGENTS_AFTER_CONTACT_WORK=1, SLOTS_ACTIVE=1,
        SLOTS_AVAILABLE=1))]


async def test_agent_with_an_offer_ringing_is_not_available(
        testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["InboundQueue"], accept_after_s=10))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))
    await testbed.run_until(at("11:35:05"))
    answer = await current(connect_client, testbed, ["InboundQueue"])
    assert values(answer) == [({}, zero(AGENTS_ONLINE=1, AGENTS_STAFFED=1, CONTACTS_IN_QUEUE=1,
                                        OLDEST_CONTACT_AGE=5000))]


async def test_agent_who_missed_an_offer_is_online_and_not_available(
        testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["InboundQueue"], accept_after_s=None))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))
    await testbed.run_until(at("11:35:25"))  # the offer timed out at 11:35:20
    answer = await current(connect_client, testbed, ["InboundQueue"],
                           ["AGENTS_ONLINE", "AGENTS_AVAILABLE", "AGENTS_STAFFED",
                            "AGENTS_ERROR", "CONTACTS_IN_QUEUE"])
    assert values(answer) == [({}, {"AGENTS_ONLINE": 1.0, "AGENTS_AVAILABLE": 0.0,
                                    "AGENTS_STAFFED": 1.0, "AGENTS_ERROR": 0.0,
                                    "CONTACTS_IN_QUEUE": 1.0})]


async def test_agent_whose_line_failed_on_a_call_is_in_error(testbed: Testbed,
                                                            connect_client: Any) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["InboundQueue"]))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))
    await testbed.run_until(at("11:35:30"))
    testbed.switchboard.disconnect_agent("alice")
    await testbed.run_until(at("11:35:40"))
    answer = await current(connect_client, testbed, ["InboundQueue"], Groupings=["QUEUE"])
    assert by_queue(testbed, answer) == {"InboundQueue": zero(
        AGENTS_ONLINE=1, AGENTS_STAFFED=1, AGENTS_ERROR=1)}


# -- channels -------------------------------------------------------------------------


TASK_NUMBER = "+18005550199"


@pytest.fixture
async def call_and_task(testbed: Testbed) -> Testbed:
    """John's call waits in InboundQueue from 11:35:00; Jane's call at 11:35:10 makes a
    task that waits out a 60 s delay, then waits in InboundQueue from 11:36:10; no agent
    is online."""
    from .test_connect_actions import BYE, action, flow

    seed_centre(testbed)
    make_task = flow(
        action("task", "CreateTask", {"Name": "Call Jane back", "DelaySeconds": "60",
                                      "ContactFlowId": "Tasks"}, "bye",
               {"NoMatchingError": "bye"}),
        BYE, name="MakeTask")
    tasks = flow(
        action("set-queue", "UpdateContactTargetQueue", {"QueueId": "InboundQueue"},
               "transfer", {"NoMatchingError": "bye"}),
        action("transfer", "TransferContactToQueue", {}, "bye",
               {"QueueAtCapacity": "bye", "NoMatchingError": "bye"}),
        BYE, name="Tasks")
    testbed.add_flow(make_task, tasks)
    testbed.add_number(TASK_NUMBER, "MakeTask")
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))
    testbed.add_caller(MockCaller(JANE, dial=TASK_NUMBER, dial_at=10))
    return testbed


async def test_channel_grouping_splits_calls_from_tasks(call_and_task: Testbed,
                                                       connect_client: Any) -> None:
    await call_and_task.run_until(at("11:36:30"))
    answer = await current(connect_client, call_and_task, ["InboundQueue"],
                           ["CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE"],
                           Filters={"Channels": ["VOICE", "TASK"]},
                           Groupings=["QUEUE", "CHANNEL"])
    queue = {"Id": call_and_task.instance.id_of("queue", "InboundQueue"),
             "Arn": call_and_task.instance.arn_of("queue", "InboundQueue")}
    assert values(answer) == [
        ({"Queue": queue, "Channel": "VOICE"},
         {"CONTACTS_IN_QUEUE": 1.0, "OLDEST_CONTACT_AGE": 90.0}),
        ({"Queue": queue, "Channel": "TASK"},
         {"CONTACTS_IN_QUEUE": 1.0, "OLDEST_CONTACT_AGE": 20.0})]


async def test_channel_filter_counts_only_that_channel(call_and_task: Testbed,
                                                      connect_client: Any) -> None:
    await call_and_task.run_until(at("11:36:30"))
    answer = await current(connect_client, call_and_task, ["InboundQueue"],
                           ["CONTACTS_IN_QUEUE"], Filters={"Channels": ["TASK"]})
    assert values(answer) == [({}, {"CONTACTS_IN_QUEUE": 1.0})]


async def test_channel_grouping_without_a_channel_filter_shows_channels_with_data(
        call_and_task: Testbed, connect_client: Any) -> None:
    await call_and_task.run_until(at("11:35:40"))  # the task waits out its delay
    answer = await current(connect_client, call_and_task, ["InboundQueue"],
                           ["CONTACTS_IN_QUEUE"], Groupings=["CHANNEL"])
    assert values(answer) == [({"Channel": "VOICE"}, {"CONTACTS_IN_QUEUE": 1.0})]


# -- sorting and paging -----------------------------------------------------------------


@pytest.fixture
async def three_queues(testbed: Testbed) -> Testbed:
    """Queues A, B and C; at 11:35:30 A has no agent, B two and C one online (each
    agent Available), and no contact waits."""
    for name in ("A", "B", "C"):
        testbed.add_queue(name)
    testbed.add_agent(MockAgent("bea", ["A", "B"], available_at=None))
    testbed.add_agent(MockAgent("bill", ["B"]))
    testbed.add_agent(MockAgent("bob", ["B", "C"]))
    await testbed.run_until(at("11:35:30"))
    return testbed


async def test_results_are_sorted_by_agents_online_descending_by_default(
        three_queues: Testbed, connect_client: Any) -> None:
    answer = await current(connect_client, three_queues, ["A", "B", "C"],
                           ["AGENTS_ONLINE"], Groupings=["QUEUE"])
    assert [(q, v["AGENTS_ONLINE"]) for q, v in by_queue(three_queues, answer).items()] == \
        [("B", 2.0), ("C", 1.0)]


async def test_sort_criteria_orders_by_the_metric_asked(three_queues: Testbed,
                                                       connect_client: Any) -> None:
    answer = await current(connect_client, three_queues, ["A", "B", "C"],
                           ["AGENTS_AVAILABLE"], Groupings=["QUEUE"],
                           SortCriteria=[{"SortByMetric": "AGENTS_AVAILABLE",
                                          "SortOrder": "ASCENDING"}])
    assert list(by_queue(three_queues, answer)) == ["C", "B"]


async def test_pages_keep_the_snapshot_of_the_first_page(three_queues: Testbed,
                                                        connect_client: Any) -> None:
    first = await current(connect_client, three_queues, ["A", "B", "C"], ["AGENTS_ONLINE"],
                          Groupings=["QUEUE"], MaxResults=1)
    three_queues.add_agent(MockAgent("cy", ["C"]))
    await three_queues.run_until(at("11:36:00"))
    second = await current(connect_client, three_queues, ["A", "B", "C"], ["AGENTS_ONLINE"],
                           Groupings=["QUEUE"], MaxResults=1, NextToken=first["NextToken"])
    assert (by_queue(three_queues, first), by_queue(three_queues, second)) == \
        ({"B": {"AGENTS_ONLINE": 2.0}}, {"C": {"AGENTS_ONLINE": 1.0}})
    assert second["DataSnapshotTime"] == first["DataSnapshotTime"]
    assert (first["ApproximateTotalCount"], second["ApproximateTotalCount"]) == (2, 2)
    assert "NextToken" not in second


async def test_next_token_of_another_request_is_invalid_parameter(
        three_queues: Testbed, connect_client: Any) -> None:
    first = await current(connect_client, three_queues, ["A", "B", "C"], ["AGENTS_ONLINE"],
                          Groupings=["QUEUE"], MaxResults=1)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await current(connect_client, three_queues, ["B", "C"], ["AGENTS_ONLINE"],
                      Groupings=["QUEUE"], MaxResults=1, NextToken=first["NextToken"])
    assert "other parameters" in raised.value.response["Error"]["Message"]


async def test_next_token_expires_after_five_minutes(three_queues: Testbed,
                                                    connect_client: Any) -> None:
    first = await current(connect_client, three_queues, ["A", "B", "C"], ["AGENTS_ONLINE"],
                          Groupings=["QUEUE"], MaxResults=1)
    await three_queues.run_until(at("11:40:31"))
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await current(connect_client, three_queues, ["A", "B", "C"], ["AGENTS_ONLINE"],
                      Groupings=["QUEUE"], MaxResults=1, NextToken=first["NextToken"])
    assert "expired (301 s old" in raised.value.response["Error"]["Message"]


@pytest.mark.parametrize("token", [
    "bm90LWEtdG9rZW4=",                                          # not-a-token
    "WyJHZXRDdXJyZW50TWV0cmljRGF0YSIsIDEsIDFlNDAwLCAwLCAiIl0=",  # a snapshot at 1e400 s
    "WyJHZXRDdXJyZW50TWV0cmljRGF0YSIsIC0xLCAwLCAwLCAiIl0=",      # offset -1
])
async def test_made_up_next_token_is_invalid_parameter(three_queues: Testbed,
                                                      connect_client: Any, token: str) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await current(connect_client, three_queues, ["A", "B", "C"], ["AGENTS_ONLINE"],
                      NextToken=token)
    assert raised.value.response["Error"]["Message"] == \
        f"NextToken {token[:40]!r} was not given by this testbed"


# -- routing profiles ---------------------------------------------------------------


async def profile_ids(client: Any, tb: Testbed) -> dict[str, str]:
    """The routing profiles ListRoutingProfiles shows: name -> id."""
    answer = await asyncio.to_thread(client.list_routing_profiles,
                                     InstanceId=tb.instance.instance_id)
    return {p["Name"]: p["Id"] for p in answer["RoutingProfileSummaryList"]}


async def by_profile(client: Any, tb: Testbed, metrics: list[str], **params: Any
                     ) -> list[tuple[str, dict[str, float]]]:
    """get_current_metric_data grouped by ROUTING_PROFILE: (profile name, values) each."""
    names = {v: k for k, v in (await profile_ids(client, tb)).items()}
    answer = await asyncio.to_thread(
        client.get_current_metric_data, InstanceId=tb.instance.instance_id,
        CurrentMetrics=[{"Name": m, "Unit": UNITS[m]} for m in metrics], **params)
    return [(names[dims["RoutingProfile"]["Id"]], found) for dims, found in values(answer)]


async def test_routing_profile_grouping_counts_the_agents_of_each_profile(
        three_queues: Testbed, connect_client: Any) -> None:
    found = await by_profile(
        connect_client, three_queues, ["AGENTS_ONLINE", "AGENTS_AVAILABLE"],
        Filters={"Queues": [three_queues.instance.id_of("queue", "B")]},
        Groupings=["ROUTING_PROFILE"])
    # bea ("A P1, B P1") is Offline; bill and bob are Available.
    assert found == [("B P1", {"AGENTS_ONLINE": 1.0, "AGENTS_AVAILABLE": 1.0}),
                     ("B P1, C P1", {"AGENTS_ONLINE": 1.0, "AGENTS_AVAILABLE": 1.0})]


async def test_routing_profile_filter_covers_its_agents_and_queues(
        testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    alice = MockAgent("alice", ["InboundQueue"], available_at=None)
    testbed.add_agent(alice)
    alice.set_status("Break")
    testbed.add_agent(MockAgent("alex", ["CallbackQueue"]))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=20))
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=5))
    await testbed.run_until(at("11:36:00"))  # John's callback waits out its delay
    ids = await profile_ids(connect_client, testbed)
    found = await by_profile(
        connect_client, testbed, ["AGENTS_ONLINE", "CONTACTS_IN_QUEUE", "CONTACTS_SCHEDULED"],
        Filters={"RoutingProfiles": [ids["CallbackQueue P1"]]}, Groupings=["ROUTING_PROFILE"])
    # alice (on Break, InboundQueue P1) and Jane (in InboundQueue) are not the profile's.
    assert found == [("CallbackQueue P1", {"AGENTS_ONLINE": 1.0, "CONTACTS_IN_QUEUE": 0.0,
                                           "CONTACTS_SCHEDULED": 1.0})]


async def test_contacts_by_routing_profile_need_a_routing_profile_filter(
        three_queues: Testbed, connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await current(connect_client, three_queues, ["B"], ["CONTACTS_IN_QUEUE"],
                      Groupings=["ROUTING_PROFILE"])
    assert raised.value.response["Error"]["Message"] == (
        "CONTACTS_IN_QUEUE by ROUTING_PROFILE needs a RoutingProfiles filter (Connect's rule)")


async def test_queues_and_routing_profiles_together_are_refused(
        three_queues: Testbed, connect_client: Any) -> None:
    ids = await profile_ids(connect_client, three_queues)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await current(connect_client, three_queues, ["B"], ["AGENTS_ONLINE"],
                      Filters={"RoutingProfiles": [ids["B P1"]]})
    assert raised.value.response["Error"]["Message"].startswith(
        "Filters: give Queues or RoutingProfiles, not both")


async def test_unknown_routing_profile_is_resource_not_found(
        three_queues: Testbed, connect_client: Any) -> None:
    unknown = "0d5f5b8c-0000-4000-8000-0000000000aa"
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await asyncio.to_thread(
            connect_client.get_current_metric_data,
            InstanceId=three_queues.instance.instance_id,
            Filters={"RoutingProfiles": [unknown]},
            CurrentMetrics=[{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}])
    assert unknown in raised.value.response["Error"]["Message"]


# -- errors -----------------------------------------------------------------------------


async def test_unknown_queue_is_resource_not_found(testbed: Testbed,
                                                   connect_client: Any) -> None:
    seed_centre(testbed)
    unknown = "0d5f5b8c-0000-4000-8000-000000000000"
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await asyncio.to_thread(
            connect_client.get_current_metric_data, InstanceId=testbed.instance.instance_id,
            Filters={"Queues": [testbed.instance.id_of("queue", "InboundQueue"), unknown]},
            CurrentMetrics=[{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}])
    assert unknown in raised.value.response["Error"]["Message"]


async def test_metric_the_testbed_does_not_compute_is_named(testbed: Testbed,
                                                            connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await asyncio.to_thread(
            connect_client.get_current_metric_data, InstanceId=testbed.instance.instance_id,
            Filters={"Queues": [testbed.instance.id_of("queue", "InboundQueue")]},
            CurrentMetrics=[{"Name": "ESTIMATED_WAIT_TIME", "Unit": "SECONDS"}])
    message = raised.value.response["Error"]["Message"]
    assert "CurrentMetrics[0].Name 'ESTIMATED_WAIT_TIME' is not simulated" in message


async def test_wrong_unit_is_invalid_parameter(testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await asyncio.to_thread(
            connect_client.get_current_metric_data, InstanceId=testbed.instance.instance_id,
            Filters={"Queues": [testbed.instance.id_of("queue", "InboundQueue")]},
            CurrentMetrics=[{"Name": "OLDEST_CONTACT_AGE", "Unit": "COUNT"}])
    assert raised.value.response["Error"]["Message"] == (
        "CurrentMetrics[0].Unit 'COUNT' is not the unit of OLDEST_CONTACT_AGE (SECONDS)")


async def test_agent_status_grouping_is_not_simulated(testbed: Testbed,
                                                      connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await current(connect_client, testbed, ["InboundQueue"], ["AGENTS_ONLINE"],
                      Groupings=["QUEUE", "AGENT_STATUS"])
    assert "Groupings[1] 'AGENT_STATUS' is not simulated" in \
        raised.value.response["Error"]["Message"]


async def test_grouping_given_twice_is_invalid_parameter(testbed: Testbed,
                                                         connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await current(connect_client, testbed, ["InboundQueue"], ["AGENTS_ONLINE"],
                      Groupings=["QUEUE", "QUEUE"])
    assert raised.value.response["Error"]["Message"] == "Groupings[1] 'QUEUE' is given twice"


async def test_filters_without_queues_are_invalid_parameter(testbed: Testbed,
                                                            connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await asyncio.to_thread(
            connect_client.get_current_metric_data, InstanceId=testbed.instance.instance_id,
            Filters={"Channels": ["VOICE"]},
            CurrentMetrics=[{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}])
    assert raised.value.response["Error"]["Message"] == \
        "Filters: GetCurrentMetricData needs Queues or RoutingProfiles"


async def test_sorting_by_slots_is_refused(testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await current(connect_client, testbed, ["InboundQueue"], ["SLOTS_ACTIVE"],
                      SortCriteria=[{"SortByMetric": "SLOTS_ACTIVE", "SortOrder": "ASCENDING"}])
    assert "SortByMetric 'SLOTS_ACTIVE'" in raised.value.response["Error"]["Message"]


async def test_missing_filters_over_http_is_invalid_parameter(
        testbed: Testbed, served_testbed: ServedTestbed) -> None:
    seed_centre(testbed)
    status, code, message = await raw(served_testbed, {
        "CurrentMetrics": [{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}]})
    assert (status, code, message) == (400, "InvalidParameterException",
                                       "Filters: required member missing")


async def test_metrics_of_the_wrong_type_over_http_are_invalid_parameter(
        testbed: Testbed, served_testbed: ServedTestbed) -> None:
    seed_centre(testbed)
    status, code, message = await raw(served_testbed, {
        "Filters": {"Queues": [testbed.instance.id_of("queue", "InboundQueue")]},
        "CurrentMetrics": "AGENTS_ONLINE"})
    assert (status, code, message) == (400, "InvalidParameterException",
                                       "CurrentMetrics: expected a list, got str")


async def test_more_than_100_queues_is_invalid_parameter(testbed: Testbed,
                                                         connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await asyncio.to_thread(
            connect_client.get_current_metric_data, InstanceId=testbed.instance.instance_id,
            Filters={"Queues": [testbed.instance.id_of("queue", "InboundQueue")] * 101},
            CurrentMetrics=[{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}])
    assert raised.value.response["Error"]["Message"] == \
        "Filters.Queues: has 101 items, more than the maximum 100"
