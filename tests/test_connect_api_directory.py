"""Queues, users, statuses, profiles, numbers and hours through a real boto3 client."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.exceptions import ClientError

from testbed import Testbed

from .conftest import seed_centre


async def call(client: Any, operation: str, **params: Any) -> Any:
    return await asyncio.to_thread(getattr(client, operation), **params)


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
