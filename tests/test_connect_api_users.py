"""Users, agent statuses, PutUserStatus and GetCurrentUserData through a real boto3 client."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Flow, SetWorkingQueue, Testbed, TransferToQueue
from testbed.core.messages import AgentStatus
from testbed.pytest_plugin import ServedTestbed
from testbed.server.remote import connect_agent

from .conftest import JOHN, at, seed_centre
from .connect_calls import call, raw

NUMBER = "+18005550100"


def centre(tb: Testbed, *queues: str) -> None:
    """Queues (Support first); calls to NUMBER wait in Support."""
    tb.add_flow(Flow.of("Inbound", [SetWorkingQueue(id="queue", queue="Support", next="go"),
                                    TransferToQueue(id="go")]))
    for name in ("Support", *queues):
        tb.add_queue(name)
    tb.add_number(NUMBER, "Inbound")


def user_id(tb: Testbed, username: str) -> str:
    return tb.instance.id_of("agent", username)


def status_id(tb: Testbed, name: str) -> str:
    return tb.instance.id_of("agent-state", name)


def when(hms: str) -> datetime:
    return datetime.fromisoformat(at(hms).replace("Z", "+00:00"))


async def user_data(client: Any, tb: Testbed, username: str) -> dict[str, Any]:
    answer = await call(client, "get_current_user_data", InstanceId=tb.instance.instance_id,
                        Filters={"Agents": [user_id(tb, username)]})
    [data] = answer["UserDataList"]
    return dict(data)


# -- ListUsers, DescribeUser -----------------------------------------------------------


async def test_list_users_names_every_agent_connected_in_the_run(testbed: Testbed,
                                                                 connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("bob", ["Support"]))
    testbed.add_agent(MockAgent("alice", ["Support"]))
    await testbed.run_until(10)
    testbed.switchboard.disconnect_agent("bob")

    answer = await call(connect_client, "list_users", InstanceId=testbed.instance.instance_id)

    assert [(u["Username"], u["Id"]) for u in answer["UserSummaryList"]] == [
        ("alice", user_id(testbed, "alice")), ("bob", user_id(testbed, "bob"))]
    assert answer["UserSummaryList"][0]["Arn"] == \
        f"{testbed.instance.arn}/agent/{user_id(testbed, 'alice')}"


async def test_list_users_pages_by_max_results(testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    for name in ("a", "b", "c"):
        testbed.add_agent(MockAgent(name, ["Support"]))
    instance = testbed.instance.instance_id
    first = await call(connect_client, "list_users", InstanceId=instance, MaxResults=2)
    second = await call(connect_client, "list_users", InstanceId=instance,
                        NextToken=first["NextToken"])
    assert [u["Username"] for u in first["UserSummaryList"]] == ["a", "b"]
    assert [u["Username"] for u in second["UserSummaryList"]] == ["c"]


async def test_describe_user_shows_profile_and_after_contact_work_limit(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed, "Billing")
    testbed.add_agent(MockAgent("alice", {"Support": 1, "Billing": (2, 30)}, acw_timeout_s=45))

    answer = await call(connect_client, "describe_user", InstanceId=testbed.instance.instance_id,
                        UserId=testbed.instance.arn_of("agent", "alice"))

    user = answer["User"]
    assert (user["Username"], user["Id"]) == ("alice", user_id(testbed, "alice"))
    assert user["RoutingProfileId"] == testbed.instance.id_of(
        "routing-profile", "Support P1, Billing P2 +30s")
    assert user["PhoneConfig"] == {"PhoneType": "SOFT_PHONE", "AutoAccept": False,
                                   "AfterContactWorkTimeLimit": 45}


async def test_a_disconnected_user_is_described_without_a_profile(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    testbed.switchboard.disconnect_agent("alice")

    answer = await call(connect_client, "describe_user", InstanceId=testbed.instance.instance_id,
                        UserId=user_id(testbed, "alice"))

    assert answer["User"] == {"Id": user_id(testbed, "alice"), "Username": "alice",
                              "Arn": testbed.instance.arn_of("agent", "alice")}


async def test_an_unknown_user_is_resource_not_found(testbed: Testbed,
                                                     connect_client: Any) -> None:
    centre(testbed)
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "describe_user", InstanceId=testbed.instance.instance_id,
                   UserId="no-such-user")
    assert "no-such-user" in raised.value.response["Error"]["Message"]


# -- ListAgentStatuses --------------------------------------------------------------------


async def test_agent_statuses_are_available_offline_and_the_custom_ones(
        testbed: Testbed, connect_client: Any) -> None:
    answer = await call(connect_client, "list_agent_statuses",
                        InstanceId=testbed.instance.instance_id)

    assert [(s["Name"], s["Type"]) for s in answer["AgentStatusSummaryList"]] == [
        ("Available", "ROUTABLE"), ("Offline", "OFFLINE"), ("Break", "CUSTOM"),
        ("Lunch", "CUSTOM"), ("Training", "CUSTOM")]
    lunch = answer["AgentStatusSummaryList"][3]
    assert lunch["Id"] == status_id(testbed, "Lunch")
    assert lunch["Arn"] == f"{testbed.instance.arn}/agent-state/{lunch['Id']}"


@pytest.mark.testbed(custom_statuses=("Coaching",))
async def test_agent_statuses_by_type_include_the_testbeds_own(testbed: Testbed,
                                                               connect_client: Any) -> None:
    answer = await call(connect_client, "list_agent_statuses",
                        InstanceId=testbed.instance.instance_id,
                        AgentStatusTypes=["CUSTOM", "OFFLINE"])
    assert [s["Name"] for s in answer["AgentStatusSummaryList"]] == ["Offline", "Coaching"]


async def test_a_bad_agent_status_type_is_invalid_parameter_naming_it(
        served_testbed: ServedTestbed) -> None:
    instance = served_testbed.testbed.instance.instance_id
    status, code, body = await raw(served_testbed, "GET",
                                   f"/agent-status/{instance}?AgentStatusTypes=BUSY")
    assert (status, code) == (400, "InvalidParameterException")
    assert "'BUSY'" in body["Message"]


# -- PutUserStatus ------------------------------------------------------------------------


async def test_put_user_status_available_routes_the_waiting_caller_to_the_agent(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    alice = testbed.add_agent(MockAgent("alice", ["Support"], available_at=None))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=60))
    await testbed.run_until(at("11:36:00"))

    await call(connect_client, "put_user_status", InstanceId=testbed.instance.instance_id,
               UserId=user_id(testbed, "alice"), AgentStatusId=status_id(testbed, "Available"))
    await testbed.run_until_idle()

    [record] = testbed.records
    assert record.agent is not None
    assert record.agent.connected_to_agent_timestamp == when("11:36:00")
    assert isinstance(alice, MockAgent)
    assert alice.messages(AgentStatus)[0] == AgentStatus("Available", None)


async def test_a_remote_agent_hears_its_status_set_through_the_api(
        served_testbed: ServedTestbed, connect_client: Any) -> None:
    tb = served_testbed.testbed
    centre(tb)
    alice = MockAgent("alice", ["Support"], available_at=None)
    async with connect_agent(served_testbed.url, alice):
        # The agent listens first (gather starts its tasks in order), then the call is made.
        heard, _answer = await asyncio.gather(
            alice.wait_for(AgentStatus),
            call(connect_client, "put_user_status", InstanceId=tb.instance.instance_id,
                 UserId=user_id(tb, "alice"), AgentStatusId=status_id(tb, "Training")))

    assert heard == AgentStatus("Training", None)


async def test_put_user_status_custom_takes_an_idle_agent_out_of_routing(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    alice = testbed.add_agent(MockAgent("alice", ["Support"]))
    await testbed.run_until(at("11:35:10"))

    await call(connect_client, "put_user_status", InstanceId=testbed.instance.instance_id,
               UserId=user_id(testbed, "alice"), AgentStatusId=status_id(testbed, "Break"))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, patience_s=30))
    await testbed.run_until_idle()

    assert testbed.agent_status("alice").state == "Break"
    assert isinstance(alice, MockAgent) and alice.state == "Break"
    [record] = testbed.records
    assert record.agent is None


async def test_put_user_status_during_a_call_is_the_agents_next_status(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], acw_s=20))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=60))
    await testbed.run_until(at("11:35:30"))

    await call(connect_client, "put_user_status", InstanceId=testbed.instance.instance_id,
               UserId=user_id(testbed, "alice"), AgentStatusId=status_id(testbed, "Lunch"))
    during = await user_data(connect_client, testbed, "alice")
    await testbed.run_until_idle()

    assert during["Status"]["StatusName"] == "Available"
    assert during["NextStatus"] == "Lunch"
    assert [c["AgentContactState"] for c in during["Contacts"]] == ["CONNECTED"]
    detail = testbed.agent_status("alice")
    assert (detail.state, detail.since) == ("Lunch", when("11:36:20"))


async def test_put_user_status_offline_logs_the_agent_off(testbed: Testbed,
                                                          connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    await testbed.run_until(at("11:35:10"))

    await call(connect_client, "put_user_status", InstanceId=testbed.instance.instance_id,
               UserId=user_id(testbed, "alice"), AgentStatusId=status_id(testbed, "Offline"))

    data = await user_data(connect_client, testbed, "alice")
    assert data["Status"]["StatusName"] == "Offline"
    assert data["Status"]["StatusStartTimestamp"] == when("11:35:10")
    assert data["AvailableSlotsByChannel"] == {"VOICE": 0, "TASK": 0}


async def test_put_user_status_with_an_unknown_status_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "put_user_status", InstanceId=testbed.instance.instance_id,
                   UserId=user_id(testbed, "alice"), AgentStatusId="Busy")
    assert "'Busy'" in raised.value.response["Error"]["Message"]
    assert testbed.agent_status("alice").state == "Available"


async def test_put_user_status_of_a_disconnected_agent_is_an_invalid_request(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    testbed.switchboard.disconnect_agent("alice")
    with pytest.raises(connect_client.exceptions.InvalidRequestException) as raised:
        await call(connect_client, "put_user_status", InstanceId=testbed.instance.instance_id,
                   UserId=user_id(testbed, "alice"),
                   AgentStatusId=status_id(testbed, "Available"))
    assert "'alice'" in raised.value.response["Error"]["Message"]


async def test_put_user_status_without_a_status_is_invalid_parameter_naming_it(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    centre(tb)
    tb.add_agent(MockAgent("alice", ["Support"]))
    path = f"/users/{tb.instance.instance_id}/{user_id(tb, 'alice')}/status"
    status, code, body = await raw(served_testbed, "PUT", path, {})
    assert (status, code) == (400, "InvalidParameterException")
    assert "AgentStatusId" in body["Message"]


async def test_put_user_status_with_a_number_for_the_status_is_invalid_parameter(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    centre(tb)
    tb.add_agent(MockAgent("alice", ["Support"]))
    path = f"/users/{tb.instance.instance_id}/{user_id(tb, 'alice')}/status"
    status, code, body = await raw(served_testbed, "PUT", path, {"AgentStatusId": 7})
    assert (status, code) == (400, "InvalidParameterException")
    assert "AgentStatusId" in body["Message"]


async def test_a_too_long_instance_id_is_invalid_parameter(testbed: Testbed,
                                                           connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await call(connect_client, "describe_user", InstanceId="i" * 101, UserId="u")
    assert "InstanceId" in raised.value.response["Error"]["Message"]


async def test_list_users_with_max_results_not_a_number_is_invalid_parameter(
        served_testbed: ServedTestbed) -> None:
    instance = served_testbed.testbed.instance.instance_id
    status, code, body = await raw(served_testbed, "GET",
                                   f"/users-summary/{instance}?maxResults=lots")
    assert (status, code) == (400, "InvalidParameterException")
    assert "'lots'" in body["Message"]


# -- GetCurrentUserData -------------------------------------------------------------------


async def test_user_data_of_the_seed_callback_while_it_connects(testbed: Testbed,
                                                                connect_client: Any) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alex", ["InboundQueue", "CallbackQueue"], available_at=240))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, callback_after_s=120, answer_after_s=0,
                                  talk_s=335))
    await testbed.run_until(at("11:39:05"))

    data = await user_data(connect_client, testbed, "alex")

    [callback] = [r for r in testbed.records if r.initiation_method == "CALLBACK"]
    assert data["Status"]["StatusName"] == "Available"
    assert data["Status"]["StatusStartTimestamp"] == when("11:39:00")
    assert data["Status"]["StatusArn"] == testbed.instance.arn_of("agent-state", "Available")
    [contact] = data["Contacts"]
    assert contact["ContactId"] == callback.contact_id
    assert (contact["Channel"], contact["InitiationMethod"]) == ("VOICE", "CALLBACK")
    assert (contact["AgentContactState"], contact["StateStartTimestamp"]) == (
        "CONNECTING", when("11:39:00"))
    assert "ConnectedToAgentTimestamp" not in contact
    assert contact["Queue"]["Id"] == testbed.instance.id_of("queue", "CallbackQueue")
    assert data["ActiveSlotsByChannel"] == {"VOICE": 1, "TASK": 0}
    assert data["AvailableSlotsByChannel"] == {"VOICE": 0, "TASK": 0}
    assert data["MaxSlotsByChannel"] == {"VOICE": 1, "TASK": 1}


async def test_user_data_of_the_seed_callback_once_connected(testbed: Testbed,
                                                             connect_client: Any) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alex", ["InboundQueue", "CallbackQueue"], available_at=240))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, callback_after_s=120, answer_after_s=0,
                                  talk_s=335))
    await testbed.run_until(at("11:40:00"))

    data = await user_data(connect_client, testbed, "alex")

    [contact] = data["Contacts"]
    assert (contact["AgentContactState"], contact["StateStartTimestamp"]) == (
        "CONNECTED", when("11:39:25"))
    assert contact["ConnectedToAgentTimestamp"] == when("11:39:25")
    assert data["RoutingProfile"]["Id"] == testbed.instance.id_of(
        "routing-profile", "CallbackQueue P1, InboundQueue P1")


async def test_user_data_shows_an_offer_as_incoming(testbed: Testbed,
                                                    connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], accept_after_s=10))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, dial_at=5))
    await testbed.run_until(at("11:35:08"))

    data = await user_data(connect_client, testbed, "alice")

    [contact] = data["Contacts"]
    assert (contact["AgentContactState"], contact["StateStartTimestamp"]) == (
        "INCOMING", when("11:35:05"))
    assert data["AvailableSlotsByChannel"] == {"VOICE": 0, "TASK": 0}


async def test_user_data_on_hold_keeps_the_connected_start(testbed: Testbed,
                                                           connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(20, 60)]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until(at("11:35:30"))

    data = await user_data(connect_client, testbed, "alice")

    [contact] = data["Contacts"]
    assert (contact["AgentContactState"], contact["StateStartTimestamp"]) == (
        "CONNECTED_ONHOLD", when("11:35:00"))


async def test_user_data_in_after_contact_work_shows_the_contact_ended(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], acw_s=None))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=40))
    await testbed.run_until(at("11:36:00"))

    data = await user_data(connect_client, testbed, "alice")

    [contact] = data["Contacts"]
    assert (contact["AgentContactState"], contact["StateStartTimestamp"]) == (
        "ENDED", when("11:35:40"))
    assert data["ActiveSlotsByChannel"] == {"VOICE": 1, "TASK": 0}


async def test_user_data_shows_a_missed_offer(testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], accept_after_s=None))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until(at("11:35:30"))

    data = await user_data(connect_client, testbed, "alice")

    [contact] = data["Contacts"]
    assert (contact["AgentContactState"], contact["StateStartTimestamp"]) == (
        "MISSED", when("11:35:20"))
    assert data["Status"]["StatusName"] == "Available"
    assert data["ActiveSlotsByChannel"] == {"VOICE": 0, "TASK": 0}


async def test_user_data_by_queue_keeps_the_agents_serving_it(testbed: Testbed,
                                                              connect_client: Any) -> None:
    centre(testbed, "Billing")
    testbed.add_agent(MockAgent("alice", ["Support"]))
    testbed.add_agent(MockAgent("bob", ["Billing", "Support"]))
    testbed.add_agent(MockAgent("carol", ["Billing"]))

    answer = await call(connect_client, "get_current_user_data",
                        InstanceId=testbed.instance.instance_id,
                        Filters={"Queues": [testbed.instance.arn_of("queue", "Billing")]})

    assert [d["User"]["Id"] for d in answer["UserDataList"]] == [
        user_id(testbed, "bob"), user_id(testbed, "carol")]
    assert answer["ApproximateTotalCount"] == 2


async def test_user_data_by_routing_profile(testbed: Testbed, connect_client: Any) -> None:
    centre(testbed, "Billing")
    testbed.add_agent(MockAgent("alice", ["Support", "Billing"]))
    testbed.add_agent(MockAgent("bob", ["Billing", "Support"]))
    testbed.add_agent(MockAgent("carol", ["Billing"]))
    profile = testbed.instance.id_of("routing-profile", "Billing P1, Support P1")

    answer = await call(connect_client, "get_current_user_data",
                        InstanceId=testbed.instance.instance_id,
                        Filters={"RoutingProfiles": [profile]})

    assert [d["User"]["Id"] for d in answer["UserDataList"]] == [
        user_id(testbed, "alice"), user_id(testbed, "bob")]


async def test_user_data_by_contact_state(testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    testbed.add_agent(MockAgent("bob", ["Support"]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until(at("11:35:30"))

    answer = await call(connect_client, "get_current_user_data",
                        InstanceId=testbed.instance.instance_id,
                        Filters={"Queues": [testbed.instance.id_of("queue", "Support")],
                                 "ContactFilter": {"ContactStates": ["CONNECTED"]}})

    [data] = answer["UserDataList"]
    assert data["User"]["Id"] == user_id(testbed, "alice")


async def test_user_data_needs_exactly_one_filter(testbed: Testbed,
                                                  connect_client: Any) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await call(connect_client, "get_current_user_data",
                   InstanceId=testbed.instance.instance_id,
                   Filters={"Agents": [user_id(testbed, "alice")],
                            "Queues": [testbed.instance.id_of("queue", "Support")]})
    assert "(got Queues, Agents)" in raised.value.response["Error"]["Message"]


async def test_user_data_by_hierarchy_group_finds_none(testbed: Testbed,
                                                       connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "get_current_user_data",
                   InstanceId=testbed.instance.instance_id,
                   Filters={"UserHierarchyGroups": ["team-a"]})
    assert "'team-a'" in raised.value.response["Error"]["Message"]


async def test_user_data_of_an_unknown_queue_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "get_current_user_data",
                   InstanceId=testbed.instance.instance_id, Filters={"Queues": ["Nowhere"]})
    assert "'Nowhere'" in raised.value.response["Error"]["Message"]


async def test_user_data_without_filters_is_invalid_parameter_naming_them(
        served_testbed: ServedTestbed) -> None:
    instance = served_testbed.testbed.instance.instance_id
    status, code, body = await raw(served_testbed, "POST", f"/metrics/userdata/{instance}", {})
    assert (status, code) == (400, "InvalidParameterException")
    assert "Filters" in body["Message"]


async def test_user_data_with_a_bad_contact_state_is_invalid_parameter_naming_it(
        served_testbed: ServedTestbed) -> None:
    instance = served_testbed.testbed.instance.instance_id
    status, code, body = await raw(
        served_testbed, "POST", f"/metrics/userdata/{instance}",
        {"Filters": {"Agents": ["a"], "ContactFilter": {"ContactStates": ["TALKING"]}}})
    assert (status, code) == (400, "InvalidParameterException")
    assert "'TALKING'" in body["Message"]


async def test_put_user_status_of_an_unknown_user_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "put_user_status", InstanceId=testbed.instance.instance_id,
                   UserId="ghost", AgentStatusId=status_id(testbed, "Available"))
    assert "'ghost'" in raised.value.response["Error"]["Message"]


LISTS = ["list_users", "list_agent_statuses", "list_routing_profiles",
         "list_hours_of_operations", "list_contact_flows"]


@pytest.mark.parametrize("operation", LISTS)
async def test_a_list_of_another_instance_is_resource_not_found(
        operation: str, testbed: Testbed, connect_client: Any) -> None:
    other = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, operation, InstanceId=other)
    assert other in raised.value.response["Error"]["Message"]


@pytest.mark.parametrize("operation", LISTS)
async def test_a_list_with_a_too_long_instance_id_is_invalid_parameter(
        operation: str, testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await call(connect_client, operation, InstanceId="i" * 101)
    assert "InstanceId" in raised.value.response["Error"]["Message"]
