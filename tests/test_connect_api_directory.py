"""Queues, users, statuses, profiles, numbers and hours through a real boto3 client."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from fakes import MockAgent
from testbed import Testbed
from testbed.pytest_plugin import ServedTestbed

from .conftest import seed_centre
from .connect_calls import call, raw


async def test_list_queues_names_every_queue_with_connect_ids(testbed: Testbed,
                                                              connect_client: Any) -> None:
    seed_centre(testbed)
    answer = await call(connect_client, "list_queues", InstanceId=testbed.instance.instance_id)
    names = {q["Name"]: q for q in answer["QueueSummaryList"]}
    assert sorted(names) == ["CallbackQueue", "InboundQueue"]
    inbound = names["InboundQueue"]
    assert inbound["Id"] == testbed.instance.id_of("queue", "InboundQueue")
    assert inbound["Arn"] == f"{testbed.instance.arn}/queue/{inbound['Id']}"
    assert inbound["QueueType"] == "STANDARD"


async def test_list_queues_pages_by_max_results(testbed: Testbed, connect_client: Any) -> None:
    for name in ("A", "B", "C"):
        testbed.add_queue(name)
    instance = testbed.instance.instance_id
    first = await call(connect_client, "list_queues", InstanceId=instance, MaxResults=2)
    second = await call(connect_client, "list_queues", InstanceId=instance, MaxResults=2,
                        NextToken=first["NextToken"])
    assert [q["Name"] for q in first["QueueSummaryList"]] == ["A", "B"]
    assert [q["Name"] for q in second["QueueSummaryList"]] == ["C"]
    assert "NextToken" not in second


async def test_describe_queue_by_id_and_by_arn(testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    queue_id = testbed.instance.id_of("queue", "CallbackQueue")
    instance = testbed.instance.instance_id
    by_id = await call(connect_client, "describe_queue", InstanceId=instance, QueueId=queue_id)
    by_arn = await call(connect_client, "describe_queue", InstanceId=instance,
                        QueueId=testbed.instance.arn_of("queue", "CallbackQueue"))
    assert by_id["Queue"]["Name"] == by_arn["Queue"]["Name"] == "CallbackQueue"
    assert by_id["Queue"]["QueueId"] == queue_id
    assert by_id["Queue"]["Status"] == "ENABLED"


async def test_unknown_queue_is_resource_not_found(testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "describe_queue", InstanceId=testbed.instance.instance_id,
                   QueueId="0d5f5b8c-0000-4000-8000-000000000000")
    assert "0d5f5b8c-0000-4000-8000-000000000000" in raised.value.response["Error"]["Message"]


async def test_another_instance_is_resource_not_found(testbed: Testbed,
                                                      connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "list_queues",
                   InstanceId="11111111-2222-4333-8444-555555555555")
    assert testbed.instance.instance_id in raised.value.response["Error"]["Message"]


async def test_too_long_id_is_invalid_parameter(testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await call(connect_client, "list_queues", InstanceId="i" * 101)
    assert "InstanceId" in raised.value.response["Error"]["Message"]


async def test_made_up_next_token_is_invalid_parameter(testbed: Testbed,
                                                       connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException):
        await call(connect_client, "list_queues", InstanceId=testbed.instance.instance_id,
                   NextToken="bm90LWEtdG9rZW4=")


async def test_operation_not_simulated_is_named(testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(ClientError) as raised:
        await call(connect_client, "delete_queue", InstanceId=testbed.instance.instance_id,
                   QueueId="q1")
    error = raised.value.response["Error"]
    assert error["Code"] == "NotImplementedException"
    assert "DeleteQueue" in error["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


async def test_describe_queue_names_its_hours_by_the_listed_id(testbed: Testbed,
                                                                connect_client: Any) -> None:
    testbed.add_hours("Support hours", "America/New_York", {"MONDAY": "09:00-17:00"})
    testbed.add_queue("Support", hours="Support hours")
    instance = testbed.instance.instance_id
    queue = await call(connect_client, "describe_queue", InstanceId=instance,
                       QueueId=testbed.instance.id_of("queue", "Support"))
    hours = await call(connect_client, "list_hours_of_operations", InstanceId=instance)
    [listed] = hours["HoursOfOperationSummaryList"]
    assert queue["Queue"]["HoursOfOperationId"] == listed["Id"]


# -- routing profiles ---------------------------------------------------------------------


def agents_with_three_queues(tb: Testbed) -> None:
    for name in ("Sales", "Support", "Billing"):
        tb.add_queue(name)
    tb.add_agent(MockAgent("alice", ["Sales", "Support"]))
    tb.add_agent(MockAgent("bob", ["Support", "Sales"]))
    tb.add_agent(MockAgent("carol", {"Billing": 1, "Support": (2, 30)}))


async def test_routing_profiles_are_the_distinct_queue_sets_of_the_agents(
        testbed: Testbed, connect_client: Any) -> None:
    agents_with_three_queues(testbed)

    answer = await call(connect_client, "list_routing_profiles",
                        InstanceId=testbed.instance.instance_id)

    profiles = answer["RoutingProfileSummaryList"]
    assert [p["Name"] for p in profiles] == ["Billing P1, Support P2 +30s",
                                             "Sales P1, Support P1"]
    assert profiles[1]["Id"] == testbed.instance.id_of("routing-profile", "Sales P1, Support P1")
    assert profiles[1]["Arn"] == f"{testbed.instance.arn}/routing-profile/{profiles[1]['Id']}"


async def test_routing_profile_queues_give_priority_and_delay(testbed: Testbed,
                                                              connect_client: Any) -> None:
    agents_with_three_queues(testbed)
    profile = testbed.instance.arn_of("routing-profile", "Billing P1, Support P2 +30s")

    answer = await call(connect_client, "list_routing_profile_queues",
                        InstanceId=testbed.instance.instance_id, RoutingProfileId=profile)

    assert [(q["QueueName"], q["Priority"], q["Delay"], q["Channel"])
            for q in answer["RoutingProfileQueueConfigSummaryList"]] == [
        ("Billing", 1, 0, "VOICE"), ("Support", 2, 30, "VOICE")]
    assert answer["RoutingProfileQueueConfigSummaryList"][1]["QueueId"] == \
        testbed.instance.id_of("queue", "Support")


async def test_an_unknown_routing_profile_is_resource_not_found(testbed: Testbed,
                                                                connect_client: Any) -> None:
    agents_with_three_queues(testbed)
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "list_routing_profile_queues",
                   InstanceId=testbed.instance.instance_id, RoutingProfileId="Basic Routing")
    assert "'Basic Routing'" in raised.value.response["Error"]["Message"]


async def test_routing_profile_queues_over_a_hundred_is_invalid_parameter(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    agents_with_three_queues(tb)
    profile = tb.instance.id_of("routing-profile", "Sales P1, Support P1")
    status, code, body = await raw(
        served_testbed, "GET",
        f"/routing-profiles/{tb.instance.instance_id}/{profile}/queues?maxResults=101")
    assert (status, code) == (400, "InvalidParameterException")
    assert "MaxResults" in body["Message"]


# -- phone numbers and hours --------------------------------------------------------------


def numbers(tb: Testbed) -> None:
    seed_centre(tb)  # +18005550100 runs the seed's Inbound flow
    tb.add_number("+442071838750", "Inbound")
    tb.add_number("+15555550199", "Inbound")


async def test_phone_numbers_are_the_numbers_callers_dial(testbed: Testbed,
                                                          connect_client: Any) -> None:
    numbers(testbed)

    answer = await call(connect_client, "list_phone_numbers_v2",
                        InstanceId=testbed.instance.instance_id)

    listed = answer["ListPhoneNumbersSummaryList"]
    assert [(n["PhoneNumber"], n["PhoneNumberCountryCode"], n["PhoneNumberType"])
            for n in listed] == [("+15555550199", "US", "DID"),
                                 ("+18005550100", "US", "TOLL_FREE"),
                                 ("+442071838750", "GB", "DID")]
    first = listed[0]
    assert first["PhoneNumberId"] == testbed.instance.id_of("phone-number", "+15555550199")
    assert first["PhoneNumberArn"] == testbed.instance.arn_of("phone-number", "+15555550199")
    assert (first["TargetArn"], first["InstanceId"]) == (testbed.instance.arn,
                                                         testbed.instance.instance_id)


async def test_phone_numbers_by_prefix_country_and_type(testbed: Testbed,
                                                        connect_client: Any) -> None:
    numbers(testbed)
    target = testbed.instance.arn

    by_prefix = await call(connect_client, "list_phone_numbers_v2", TargetArn=target,
                           PhoneNumberPrefix="+44")
    by_country = await call(connect_client, "list_phone_numbers_v2", TargetArn=target,
                            PhoneNumberCountryCodes=["US"], PhoneNumberTypes=["TOLL_FREE"])

    assert [n["PhoneNumber"] for n in by_prefix["ListPhoneNumbersSummaryList"]] == [
        "+442071838750"]
    assert [n["PhoneNumber"] for n in by_country["ListPhoneNumbersSummaryList"]] == [
        "+18005550100"]


async def test_phone_numbers_of_another_target_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    numbers(testbed)
    other = "arn:aws:connect:us-east-1:123456789012:traffic-distribution-group/tdg-1"
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "list_phone_numbers_v2", TargetArn=other)
    assert other in raised.value.response["Error"]["Message"]


async def test_a_phone_number_prefix_without_a_plus_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    numbers(testbed)
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await call(connect_client, "list_phone_numbers_v2",
                   InstanceId=testbed.instance.instance_id, PhoneNumberPrefix="44")
    assert "'44'" in raised.value.response["Error"]["Message"]


async def test_phone_numbers_with_a_bad_type_is_invalid_parameter_naming_it(
        served_testbed: ServedTestbed) -> None:
    status, code, body = await raw(served_testbed, "POST", "/phone-number/list",
                                   {"PhoneNumberTypes": ["MOBILE"]})
    assert (status, code) == (400, "InvalidParameterException")
    assert "'MOBILE'" in body["Message"]


async def test_phone_numbers_with_max_results_as_text_is_invalid_parameter(
        served_testbed: ServedTestbed) -> None:
    status, code, body = await raw(served_testbed, "POST", "/phone-number/list",
                                   {"MaxResults": "10"})
    assert (status, code) == (400, "InvalidParameterException")
    assert "MaxResults" in body["Message"]


async def test_hours_of_operations_list_each_hours_once(testbed: Testbed,
                                                        connect_client: Any) -> None:
    testbed.add_hours("Weekdays", "Europe/London", {"MONDAY": "09:00-17:00"})
    testbed.add_hours("Always", "UTC", {day: "24h" for day in (
        "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")})

    answer = await call(connect_client, "list_hours_of_operations",
                        InstanceId=testbed.instance.instance_id)

    listed = answer["HoursOfOperationSummaryList"]
    assert [h["Name"] for h in listed] == ["Always", "Weekdays"]
    assert listed[1]["Id"] == testbed.instance.id_of("operating-hours", "Weekdays")
    assert listed[1]["Arn"] == f"{testbed.instance.arn}/operating-hours/{listed[1]['Id']}"


async def test_hours_of_operations_of_another_instance_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException):
        await call(connect_client, "list_hours_of_operations",
                   InstanceId="11111111-2222-4333-8444-555555555555")


async def test_hours_of_operations_with_a_made_up_token_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await call(connect_client, "list_hours_of_operations",
                   InstanceId=testbed.instance.instance_id, NextToken="made-up")
    assert "'made-up'" in raised.value.response["Error"]["Message"]
