"""Outbound calls, DescribeContact, StopContact and attributes through a real boto3 client."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Flow, PlayPrompt, SetWorkingQueue, Testbed, TransferToQueue
from testbed.core.errors import StateError
from testbed.core.messages import Disconnected
from testbed.flows import Disconnect
from testbed.load.demos import setup_queued_callback
from testbed.pytest_plugin import ServedTestbed
from testbed.server.remote import connect_caller

from .conftest import JANE, JOHN, at

CUSTOMER = "+15555550199"


async def call(client: Any, operation: str, **params: Any) -> Any:
    return await asyncio.to_thread(getattr(client, operation), **params)


def instant(hms: str) -> datetime:
    """An aware instant on the seed's day."""
    return datetime.fromisoformat(at(hms).replace("Z", "+00:00")).astimezone(UTC)


def outbound_centre(tb: Testbed) -> None:
    """A flow that greets the customer, then queues them in Sales."""
    tb.add_flow(Flow.of("Outbound", [
        PlayPrompt(id="hello", text="Hello from Example Corp.", duration_s=5, next="queue"),
        TransferToQueue(id="queue"),
    ]))
    tb.add_queue("Sales")


def start_params(tb: Testbed, **extra: Any) -> dict[str, Any]:
    params = {"InstanceId": tb.instance.instance_id, "DestinationPhoneNumber": CUSTOMER,
              "ContactFlowId": tb.instance.id_of("contact-flow", "Outbound"),
              "QueueId": tb.instance.id_of("queue", "Sales")}
    params.update(extra)
    return params


def describe(client: Any, tb: Testbed, contact_id: str) -> Any:
    return call(client, "describe_contact", InstanceId=tb.instance.instance_id,
                ContactId=contact_id)


@pytest.mark.testbed(paused=True)
async def test_describe_contact_shows_the_seed_callbacks_timestamps(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:46:00"))
    first, callback = testbed.records
    contact = (await describe(connect_client, testbed, callback.contact_id))["Contact"]
    assert contact["InitiationMethod"] == "CALLBACK"
    assert contact["PreviousContactId"] == contact["InitialContactId"] == first.contact_id
    assert contact["InitiationTimestamp"] == instant("11:37:00")
    assert contact["QueueInfo"]["EnqueueTimestamp"] == instant("11:38:39")
    assert contact["QueueInfo"]["Id"] == testbed.instance.id_of("queue", "CallbackQueue")
    assert contact["AgentInfo"]["AcceptedByAgentTimestamp"] == instant("11:39:00")
    assert contact["ConnectedToSystemTimestamp"] == instant("11:39:10")
    assert contact["AgentInfo"]["ConnectedToAgentTimestamp"] == instant("11:39:25")
    assert contact["DisconnectTimestamp"] == instant("11:45:00")
    assert contact["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert "SystemEndpoint" not in contact  # Connect leaves it out for callbacks


@pytest.mark.testbed(paused=True)
async def test_describe_contact_of_a_live_contact_shows_what_happened_so_far(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:38:00"))  # the callback waits its initial delay
    callback = testbed.records[1]
    contact = (await describe(connect_client, testbed, callback.contact_id))["Contact"]
    assert contact["QueueInfo"] == {"Id": testbed.instance.id_of("queue", "CallbackQueue")}
    assert "DisconnectTimestamp" not in contact and "AgentInfo" not in contact
    assert contact["LastUpdateTimestamp"] == instant("11:37:00")


async def test_describe_contact_by_arn(testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until_idle()
    first = testbed.records[0]
    arn = testbed.instance.arn_of("contact", first.contact_id)
    contact = (await describe(connect_client, testbed, arn))["Contact"]
    assert contact["Arn"] == arn and contact["Id"] == first.contact_id
    assert contact["SystemEndpoint"] == {"Type": "TELEPHONE_NUMBER", "Address": "+18005550100"}
    assert contact["CustomerEndpoint"] == {"Type": "TELEPHONE_NUMBER", "Address": JOHN}


async def test_start_outbound_voice_contact_records_an_api_contact_in_the_queue(
        testbed: Testbed, connect_client: Any) -> None:
    outbound_centre(testbed)
    testbed.add_caller(MockCaller(CUSTOMER, answer_after_s=4, talk_s=60))
    testbed.add_agent(MockAgent("alice", ["Sales"], available_at=0))
    answer = await call(connect_client, "start_outbound_voice_contact", **start_params(testbed))
    await testbed.run_until_idle()
    [record] = testbed.records
    ctr = record.to_ctr()
    assert record.contact_id == answer["ContactId"]
    assert ctr["InitiationMethod"] == "API" and ctr["Channel"] == "VOICE"
    assert ctr["CustomerEndpoint"]["Address"] == CUSTOMER
    assert ctr["InitiationTimestamp"] == at("11:35:00")
    assert ctr["ConnectedToSystemTimestamp"] == at("11:35:04")  # answered after 4 s
    assert ctr["Queue"]["Name"] == "Sales"
    assert ctr["Queue"]["EnqueueTimestamp"] == at("11:35:09")  # after the 5 s greeting
    assert ctr["Agent"]["ConnectedToAgentTimestamp"] == at("11:35:09")
    assert ctr["DisconnectTimestamp"] == at("11:36:09")
    assert ctr["DisconnectReason"] == "CUSTOMER_DISCONNECT"


async def test_outbound_call_runs_the_flow_only_once_answered(
        testbed: Testbed, connect_client: Any) -> None:
    outbound_centre(testbed)
    caller = testbed.add_caller(MockCaller(CUSTOMER, answer_after_s=10, talk_s=5))
    answer = await call(connect_client, "start_outbound_voice_contact", **start_params(testbed))
    await testbed.advance(9)
    assert isinstance(caller, MockCaller)
    assert caller.contact_ids == [answer["ContactId"]]
    assert [e.kind.value for e in testbed.events(answer["ContactId"])] == ["INITIATED"]
    await testbed.advance(6)  # answered at 10 s, greeted for 5 s, queued
    contact = (await describe(connect_client, testbed, answer["ContactId"]))["Contact"]
    assert contact["ConnectedToSystemTimestamp"] == instant("11:35:10")
    assert contact["QueueInfo"]["EnqueueTimestamp"] == instant("11:35:15")


async def test_outbound_call_nobody_answers_ends_telecom_unanswered_at_the_ring_timeout(
        testbed: Testbed, connect_client: Any) -> None:
    outbound_centre(testbed)
    testbed.add_caller(MockCaller(CUSTOMER, answer_after_s=None))
    await call(connect_client, "start_outbound_voice_contact",
               **start_params(testbed, RingTimeoutInSeconds=20))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.to_ctr()["DisconnectTimestamp"] == at("11:35:20")
    assert record.to_ctr()["DisconnectReason"] == "TELECOM_UNANSWERED"
    assert record.connected_to_system_timestamp is None and record.queue is None


async def test_outbound_call_to_a_number_nobody_is_on_rings_for_sixty_seconds(
        testbed: Testbed, connect_client: Any) -> None:
    outbound_centre(testbed)
    await call(connect_client, "start_outbound_voice_contact", **start_params(testbed))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.customer_endpoint == CUSTOMER
    assert record.to_ctr()["DisconnectTimestamp"] == at("11:36:00")
    assert record.to_ctr()["DisconnectReason"] == "TELECOM_UNANSWERED"


async def test_customer_who_declines_the_ring_disconnects_the_contact(
        testbed: Testbed, connect_client: Any) -> None:
    outbound_centre(testbed)

    def decline(caller: MockCaller, message: Any) -> None:
        if message.type == "ringing":
            caller.hang_up(message.contact_id)

    testbed.add_caller(MockCaller(CUSTOMER, answer_after_s=None, on_message=decline))
    await call(connect_client, "start_outbound_voice_contact", **start_params(testbed))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.to_ctr()["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record.to_ctr()["DisconnectTimestamp"] == at("11:35:00")


async def test_outbound_call_carries_attributes_name_and_source_number(
        testbed: Testbed, connect_client: Any) -> None:
    outbound_centre(testbed)
    testbed.add_number("+18005550100", "Outbound")
    testbed.add_caller(MockCaller(CUSTOMER, talk_s=1))
    answer = await call(connect_client, "start_outbound_voice_contact",
                        **start_params(testbed, SourcePhoneNumber="+18005550100",
                                       Attributes={"reason": "renewal"}, Name="Renewal call",
                                       Description="Policy 42 renews soon"))
    contact = (await describe(connect_client, testbed, answer["ContactId"]))["Contact"]
    assert contact["Attributes"] == {"reason": "renewal"}
    assert contact["Name"] == "Renewal call"
    assert contact["Description"] == "Policy 42 renews soon"
    assert contact["SystemEndpoint"]["Address"] == "+18005550100"


async def test_outbound_call_related_to_a_contact_copies_its_attributes(
        testbed: Testbed, connect_client: Any) -> None:
    outbound_centre(testbed)
    earlier = await call(connect_client, "start_outbound_voice_contact",
                         **start_params(testbed, Attributes={"tier": "gold", "reason": "a"}))
    later = await call(connect_client, "start_outbound_voice_contact",
                       **start_params(testbed, DestinationPhoneNumber=JANE,
                                      RelatedContactId=earlier["ContactId"],
                                      Attributes={"reason": "b"}))
    contact = (await describe(connect_client, testbed, later["ContactId"]))["Contact"]
    assert contact["RelatedContactId"] == earlier["ContactId"]
    assert contact["Attributes"] == {"tier": "gold", "reason": "b"}


async def test_a_retried_start_with_the_same_client_token_answers_the_same_contact(
        testbed: Testbed, connect_client: Any) -> None:
    outbound_centre(testbed)
    params = start_params(testbed, ClientToken="retry-me")
    first = await call(connect_client, "start_outbound_voice_contact", **params)
    again = await call(connect_client, "start_outbound_voice_contact", **params)
    assert again["ContactId"] == first["ContactId"]
    assert len(testbed.records) == 1


# -- StopContact ----------------------------------------------------------------------
@pytest.mark.testbed(paused=True)
async def test_stop_contact_ends_a_scheduled_callback(testbed: Testbed,
                                                      connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:38:00"))
    callback = testbed.records[1]
    await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
               ContactId=callback.contact_id)
    await testbed.run_until(at("11:50:00"))
    record = testbed.records[1].to_ctr()
    assert record["DisconnectTimestamp"] == at("11:38:00")
    assert record["DisconnectReason"] == "OTHER"
    assert record["Queue"]["EnqueueTimestamp"] is None  # it never reached the queue
    assert record["Agent"] is None


async def test_stop_contact_hangs_up_a_connected_call(testbed: Testbed,
                                                      connect_client: Any) -> None:
    outbound_centre(testbed)
    caller = testbed.add_caller(MockCaller(CUSTOMER))
    testbed.add_agent(MockAgent("alice", ["Sales"], available_at=0))
    answer = await call(connect_client, "start_outbound_voice_contact", **start_params(testbed))
    await testbed.advance(30)
    await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
               ContactId=answer["ContactId"])
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.to_ctr()["DisconnectTimestamp"] == at("11:35:30")
    assert record.to_ctr()["DisconnectReason"] == "OTHER"
    assert record.agent is not None and record.agent.after_contact_work_start_timestamp \
        == instant("11:35:30")
    assert isinstance(caller, MockCaller)
    [hung_up] = caller.messages(Disconnected)
    assert (hung_up.contact_id, hung_up.reason) == (answer["ContactId"], "OTHER")


async def test_stop_contact_takes_a_disconnect_reason_code(testbed: Testbed,
                                                           connect_client: Any) -> None:
    outbound_centre(testbed)
    answer = await call(connect_client, "start_outbound_voice_contact", **start_params(testbed))
    await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
               ContactId=answer["ContactId"], DisconnectReason={"Code": "TELECOM_PROBLEM"})
    [record] = testbed.records
    assert record.to_ctr()["DisconnectReason"] == "TELECOM_PROBLEM"


async def test_stop_contact_of_an_ended_call_is_contact_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until_idle()
    first = testbed.records[0]
    with pytest.raises(connect_client.exceptions.ContactNotFoundException) as raised:
        await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
                   ContactId=first.contact_id)
    assert first.contact_id in raised.value.response["Error"]["Message"]


async def test_stop_contact_refuses_a_voice_transfer_leg(testbed: Testbed,
                                                         connect_client: Any) -> None:
    testbed.add_flow(Flow.of("Inbound", [
        SetWorkingQueue(id="queue", queue="Support", next="transfer"),
        TransferToQueue(id="transfer"),
    ]))
    testbed.add_flow(Flow.of("To Billing", [TransferToQueue(id="transfer")]))
    testbed.add_queue("Support")
    testbed.add_queue("Billing")
    testbed.add_number("+18005550100", "Inbound")
    testbed.add_quick_connect("Billing", queue="Billing", flow="To Billing")
    testbed.add_agent(MockAgent("alice", ["Support"], transfer=[(10, "Billing")]))
    testbed.add_caller(MockCaller(JOHN, dial="+18005550100"))
    await testbed.advance(20)
    leg = testbed.records[1]
    with pytest.raises(connect_client.exceptions.InvalidRequestException) as raised:
        await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
                   ContactId=leg.contact_id)
    assert "TRANSFER" in raised.value.response["Error"]["Message"]
    assert testbed.records[1].disconnect_timestamp is None


# -- attributes -----------------------------------------------------------------------
async def test_update_contact_attributes_of_an_ended_contact_shows_in_its_record(
        testbed: Testbed, connect_client: Any) -> None:
    testbed.add_flow(Flow.of("Bye", [Disconnect(id="bye")]))
    testbed.add_number("+18005550100", "Bye")
    testbed.add_caller(MockCaller(JOHN, dial="+18005550100"))
    await testbed.run_until_idle()
    [record] = testbed.records
    instance = testbed.instance.instance_id
    await call(connect_client, "update_contact_attributes", InstanceId=instance,
               InitialContactId=record.contact_id, Attributes={"outcome": "resolved"})
    answer = await call(connect_client, "get_contact_attributes", InstanceId=instance,
                        InitialContactId=record.contact_id)
    assert answer["Attributes"] == {"outcome": "resolved"}
    assert testbed.records[0].attributes == {"outcome": "resolved"}
    assert testbed.events(record.contact_id)[-1].kind.value == "ATTRIBUTES"


@pytest.mark.testbed(paused=True)
async def test_update_contact_attributes_reaches_the_live_callback_of_the_chain(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until(at("11:38:00"))
    first, callback = testbed.records
    await call(connect_client, "update_contact_attributes",
               InstanceId=testbed.instance.instance_id, InitialContactId=first.contact_id,
               Attributes={"vip": "yes"})
    await testbed.run_until_idle()
    first, callback = testbed.records
    assert first.attributes["vip"] == callback.attributes["vip"] == "yes"
    live_view = await call(connect_client, "get_contact_attributes",
                           InstanceId=testbed.instance.instance_id,
                           InitialContactId=callback.contact_id)
    assert live_view["Attributes"]["vip"] == "yes"


async def test_get_contact_attributes_of_a_live_call_set_by_its_start(
        testbed: Testbed, connect_client: Any) -> None:
    outbound_centre(testbed)
    answer = await call(connect_client, "start_outbound_voice_contact",
                        **start_params(testbed, Attributes={"campaign": "spring"}))
    got = await call(connect_client, "get_contact_attributes",
                     InstanceId=testbed.instance.instance_id,
                     InitialContactId=answer["ContactId"])
    assert got["Attributes"] == {"campaign": "spring"}


# -- the same in process ----------------------------------------------------------------
async def test_in_process_outbound_call_and_task_without_the_server(testbed: Testbed) -> None:
    outbound_centre(testbed)
    testbed.add_caller(MockCaller(CUSTOMER, answer_after_s=2, talk_s=30))
    testbed.add_agent(MockAgent("alice", ["Sales"], available_at=0, talk_s=20))
    call_id = testbed.start_outbound_voice_contact(CUSTOMER, "Outbound", queue="Sales",
                                                   attributes={"campaign": "spring"})
    task_id = testbed.start_task_contact("Check the order", "Outbound", queue="Sales",
                                         delay_s=600)
    testbed.update_contact_attributes(task_id, {"order": "17"})
    await testbed.run_until_idle()
    voice, task = testbed.records
    assert (voice.contact_id, task.contact_id) == (call_id, task_id)
    assert voice.to_ctr()["ConnectedToSystemTimestamp"] == at("11:35:02")
    assert voice.attributes == {"campaign": "spring"}
    assert (task.channel, task.to_ctr()["ScheduledTimestamp"]) == ("TASK", at("11:45:00"))
    assert task.attributes == {"order": "17"}


async def test_in_process_stop_contact_of_an_ended_contact_names_it(testbed: Testbed) -> None:
    outbound_centre(testbed)
    contact_id = testbed.start_outbound_voice_contact(CUSTOMER, "Outbound", queue="Sales")
    testbed.stop_contact(contact_id)
    with pytest.raises(StateError, match=contact_id):
        testbed.stop_contact(contact_id)


@pytest.mark.testbed(paused=True)
async def test_outbound_call_rings_a_remote_caller_over_websocket(
        served_testbed: ServedTestbed, connect_client: Any) -> None:
    testbed = served_testbed.testbed
    outbound_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Sales"], available_at=0))
    customer = MockCaller(CUSTOMER, answer_after_s=3, talk_s=40)
    async with connect_caller(served_testbed.url + "/", customer):
        answer = await call(connect_client, "start_outbound_voice_contact",
                            **start_params(testbed))
        testbed.clock.resume()
        await testbed.run_until_idle()
    [record] = testbed.records
    assert customer.contact_ids == [answer["ContactId"]]
    assert record.to_ctr()["ConnectedToSystemTimestamp"] == at("11:35:03")
    assert record.to_ctr()["Agent"]["ConnectedToAgentTimestamp"] == at("11:35:08")
    assert record.to_ctr()["DisconnectTimestamp"] == at("11:35:48")
