"""Tasks, TransferContact and SearchContacts through a real boto3 client."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Flow, PlayPrompt, RecordService, SetAttributes, Testbed, TransferToQueue
from testbed.flows import Disconnect
from testbed.load.demos import setup_queued_callback
from testbed.records.contact_record import records_to_json
from testbed.records.export import contact_events
from testbed.records.stores import open_store

from .conftest import at

START = datetime(2022, 4, 8, 11, 35, tzinfo=UTC)


async def call(client: Any, operation: str, **params: Any) -> Any:
    return await asyncio.to_thread(getattr(client, operation), **params)


def task_centre(tb: Testbed) -> None:
    """Tasks queue in Back Office; a transfer flow sends them where it was told."""
    tb.add_flow(Flow.of("Task", [TransferToQueue(id="queue")]))
    tb.add_queue("Back Office")
    tb.add_queue("Claims")


def task_params(tb: Testbed, **extra: Any) -> dict[str, Any]:
    params = {"InstanceId": tb.instance.instance_id, "Name": "Call back Mrs Smith",
              "ContactFlowId": tb.instance.id_of("contact-flow", "Task")}
    params.update(extra)
    return params


async def start_task(client: Any, tb: Testbed, queue: str = "Back Office",
                     **extra: Any) -> str:
    """A task sent to ``queue`` by the Task flow (its working queue set by a quick connect)."""
    name = f"to {queue}"
    if name not in tb.switchboard.quick_connects:
        tb.add_quick_connect(name, queue=queue, flow="Task")
    params = task_params(tb, **extra)
    del params["ContactFlowId"]
    params["QuickConnectId"] = tb.instance.id_of("transfer-destination", name)
    answer = await call(client, "start_task_contact", **params)
    return str(answer["ContactId"])


async def test_start_task_contact_records_a_task_through_its_flow(
        testbed: Testbed, connect_client: Any) -> None:
    task_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Back Office"], available_at=60, talk_s=120))
    contact_id = await start_task(connect_client, testbed, Description="Policy 42",
                                  Attributes={"policy": "42"},
                                  References={"crm": {"Value": "https://crm/42", "Type": "URL"}})
    await testbed.run_until_idle()
    [record] = testbed.records
    ctr = record.to_ctr()
    assert ctr["ContactId"] == contact_id
    assert (ctr["Channel"], ctr["InitiationMethod"]) == ("TASK", "API")
    assert (ctr["Name"], ctr["Description"]) == ("Call back Mrs Smith", "Policy 42")
    assert ctr["CustomerEndpoint"] is None and ctr["SystemEndpoint"] is None
    assert ctr["Attributes"] == {"policy": "42"}
    assert ctr["ConnectedToSystemTimestamp"] == at("11:35:00")
    assert ctr["Queue"]["Name"] == "Back Office"
    assert ctr["Agent"]["ConnectedToAgentTimestamp"] == at("11:36:00")
    assert ctr["DisconnectTimestamp"] == at("11:38:00")


async def test_a_task_flow_reads_the_tasks_references_and_channel(
        testbed: Testbed, connect_client: Any) -> None:
    testbed.add_flow(Flow.of("Check", [
        SetAttributes(id="note", attributes={"link": "$.References.crm.Value",
                                             "channel": "$.Channel"}, next="bye"),
        Disconnect(id="bye"),
    ]))
    await call(connect_client, "start_task_contact", **task_params(
        testbed, ContactFlowId=testbed.instance.id_of("contact-flow", "Check"),
        References={"crm": {"Value": "https://crm/42", "Type": "URL"}}))
    [record] = testbed.records
    assert record.attributes == {"link": "https://crm/42", "channel": "TASK"}
    assert record.to_ctr()["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT"


@pytest.mark.testbed(paused=True)
async def test_scheduled_task_starts_its_flow_at_the_scheduled_time(
        testbed: Testbed, connect_client: Any) -> None:
    task_centre(testbed)
    when = START + timedelta(hours=2)
    contact_id = await start_task(connect_client, testbed, ScheduledTime=when)
    await testbed.advance(3600)
    described = await call(connect_client, "describe_contact",
                           InstanceId=testbed.instance.instance_id, ContactId=contact_id)
    assert described["Contact"]["ScheduledTimestamp"] == when
    assert "QueueInfo" not in described["Contact"]
    await testbed.advance(3600)
    [record] = testbed.records
    assert record.to_ctr()["ScheduledTimestamp"] == at("13:35:00")
    assert record.to_ctr()["Queue"]["EnqueueTimestamp"] == at("13:35:00")
    assert record.to_ctr()["InitiationTimestamp"] == at("11:35:00")


async def test_task_after_a_previous_contact_joins_its_chain(
        testbed: Testbed, connect_client: Any) -> None:
    task_centre(testbed)
    setup_queued_callback(testbed)
    await testbed.run_until_idle()
    first = testbed.records[0]
    await call(connect_client, "update_contact_attributes",
               InstanceId=testbed.instance.instance_id, InitialContactId=first.contact_id,
               Attributes={"case": "7"})
    contact_id = await start_task(connect_client, testbed, PreviousContactId=first.contact_id)
    described = await call(connect_client, "describe_contact",
                           InstanceId=testbed.instance.instance_id, ContactId=contact_id)
    contact = described["Contact"]
    assert contact["PreviousContactId"] == contact["InitialContactId"] == first.contact_id
    assert contact["Attributes"] == {"case": "7"}


async def test_task_to_a_user_quick_connect_waits_in_the_agents_own_queue(
        testbed: Testbed, connect_client: Any) -> None:
    task_centre(testbed)
    testbed.add_agent(MockAgent("bob", ["Claims"], available_at=0, talk_s=30))
    testbed.add_quick_connect("Bob", agent="bob", flow="Task")
    await call(connect_client, "start_task_contact", InstanceId=testbed.instance.instance_id,
               Name="For Bob", QuickConnectId=testbed.instance.id_of("transfer-destination",
                                                                    "Bob"))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.queue is not None and record.queue.name == "agent/bob"
    assert record.agent is not None and record.agent.username == "bob"


async def test_stop_contact_ends_a_queued_task(testbed: Testbed, connect_client: Any) -> None:
    task_centre(testbed)
    contact_id = await start_task(connect_client, testbed)
    await testbed.advance(90)
    await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
               ContactId=contact_id)
    [record] = testbed.records
    assert record.to_ctr()["Queue"]["DequeueTimestamp"] == at("11:36:30")
    assert record.to_ctr()["DisconnectReason"] == "API"


async def test_stop_contact_of_an_ended_task_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    task_centre(testbed)
    contact_id = await start_task(connect_client, testbed)
    await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
               ContactId=contact_id)
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
                   ContactId=contact_id)
    assert contact_id in raised.value.response["Error"]["Message"]


# -- TransferContact ------------------------------------------------------------------
async def test_transfer_contact_moves_a_task_to_another_queue(
        testbed: Testbed, connect_client: Any) -> None:
    task_centre(testbed)
    testbed.add_agent(MockAgent("carol", ["Claims"], available_at=0, talk_s=60))
    contact_id = await start_task(connect_client, testbed, Attributes={"policy": "42"})
    await testbed.advance(30)
    answer = await call(connect_client, "transfer_contact",
                        InstanceId=testbed.instance.instance_id, ContactId=contact_id,
                        QueueId=testbed.instance.id_of("queue", "Claims"),
                        ContactFlowId=testbed.instance.id_of("contact-flow", "Task"))
    await testbed.run_until_idle()
    first, second = (r.to_ctr() for r in testbed.records)
    assert answer["ContactId"] == second["ContactId"]
    assert answer["ContactArn"] == testbed.instance.arn_of("contact", second["ContactId"])
    assert first["NextContactId"] == second["ContactId"]
    assert first["TransferCompletedTimestamp"] == first["DisconnectTimestamp"] == at("11:35:30")
    assert (second["InitiationMethod"], second["Channel"]) == ("TRANSFER", "TASK")
    assert second["PreviousContactId"] == contact_id
    assert second["Name"] == "Call back Mrs Smith"
    assert second["Attributes"] == {"policy": "42"}
    assert second["Queue"]["Name"] == "Claims"
    assert second["Agent"]["Username"] == "carol"


async def test_transfer_contact_to_a_user_queues_for_that_agent(
        testbed: Testbed, connect_client: Any) -> None:
    task_centre(testbed)
    testbed.add_agent(MockAgent("dave", ["Claims"], available_at=0, talk_s=10))
    contact_id = await start_task(connect_client, testbed)
    await call(connect_client, "transfer_contact", InstanceId=testbed.instance.instance_id,
               ContactId=contact_id, UserId=testbed.instance.id_of("agent", "dave"),
               ContactFlowId=testbed.instance.id_of("contact-flow", "Task"))
    await testbed.run_until_idle()
    second = testbed.records[1]
    assert second.queue is not None and second.queue.name == "agent/dave"
    assert second.agent is not None and second.agent.username == "dave"


async def test_transfer_contact_refuses_a_voice_contact(testbed: Testbed,
                                                        connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.advance(10)  # John waits in InboundQueue
    [inbound] = testbed.records
    with pytest.raises(connect_client.exceptions.InvalidRequestException) as raised:
        await call(connect_client, "transfer_contact", InstanceId=testbed.instance.instance_id,
                   ContactId=inbound.contact_id,
                   ContactFlowId=testbed.instance.id_of("contact-flow", "Inbound"))
    assert "VOICE" in raised.value.response["Error"]["Message"]
    assert len(testbed.records) == 1


async def test_transfer_contact_of_an_ended_task_is_refused(testbed: Testbed,
                                                            connect_client: Any) -> None:
    task_centre(testbed)
    contact_id = await start_task(connect_client, testbed)
    await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
               ContactId=contact_id)
    with pytest.raises(connect_client.exceptions.InvalidRequestException) as raised:
        await call(connect_client, "transfer_contact", InstanceId=testbed.instance.instance_id,
                   ContactId=contact_id,
                   ContactFlowId=testbed.instance.id_of("contact-flow", "Task"))
    assert "ended" in raised.value.response["Error"]["Message"]


async def test_a_task_is_transferred_at_most_eleven_times(testbed: Testbed,
                                                          connect_client: Any) -> None:
    task_centre(testbed)
    contact_id = await start_task(connect_client, testbed)
    params = {"InstanceId": testbed.instance.instance_id,
              "ContactFlowId": testbed.instance.id_of("contact-flow", "Task")}
    for _ in range(11):
        contact_id = (await call(connect_client, "transfer_contact", ContactId=contact_id,
                                 **params))["ContactId"]
    with pytest.raises(connect_client.exceptions.ServiceQuotaExceededException):
        await call(connect_client, "transfer_contact", ContactId=contact_id, **params)


# -- SearchContacts -------------------------------------------------------------------
async def busy_morning(client: Any, tb: Testbed) -> dict[str, str]:
    """An answered inbound call, a callback, and two tasks; their ids by role."""
    task_centre(tb)
    setup_queued_callback(tb)
    await tb.run_until(at("11:50:00"))
    inbound, callback = tb.records
    urgent = await start_task(client, tb, Name="Urgent refund", Attributes={"tier": "gold"})
    await tb.run_until(at("12:00:00"))
    claims = await start_task(client, tb, queue="Claims", Name="Claim 7",
                              Attributes={"tier": "silver"})
    return {"inbound": inbound.contact_id, "callback": callback.contact_id,
            "urgent": urgent, "claims": claims}


def search(client: Any, tb: Testbed, kind: str = "INITIATION_TIMESTAMP",
           start: datetime = START, end: datetime = START + timedelta(days=1),
           **params: Any) -> Any:
    return call(client, "search_contacts", InstanceId=tb.instance.instance_id,
                TimeRange={"Type": kind, "StartTime": start, "EndTime": end}, **params)


async def test_search_contacts_finds_every_contact_in_the_time_range(
        testbed: Testbed, connect_client: Any) -> None:
    ids = await busy_morning(connect_client, testbed)
    answer = await search(connect_client, testbed)
    assert [c["Id"] for c in answer["Contacts"]] == list(ids.values())
    assert answer["TotalCount"] == 4
    callback = answer["Contacts"][1]
    assert callback["InitialContactId"] == ids["inbound"]
    assert callback["QueueInfo"]["EnqueueTimestamp"] == START + timedelta(seconds=219)
    assert callback["AgentInfo"]["Id"] == testbed.instance.id_of("agent", "alex")


async def test_search_contacts_by_disconnect_time(testbed: Testbed,
                                                  connect_client: Any) -> None:
    ids = await busy_morning(connect_client, testbed)
    answer = await search(connect_client, testbed, "DISCONNECT_TIMESTAMP",
                          START + timedelta(minutes=5), START + timedelta(minutes=15))
    assert [c["Id"] for c in answer["Contacts"]] == [ids["callback"]]


async def test_search_contacts_by_channel_queue_and_attribute(
        testbed: Testbed, connect_client: Any) -> None:
    ids = await busy_morning(connect_client, testbed)
    tasks = await search(connect_client, testbed, SearchCriteria={"Channels": ["TASK"]})
    claims = await search(connect_client, testbed, SearchCriteria={
        "QueueIds": [testbed.instance.id_of("queue", "Claims")]})
    gold = await search(connect_client, testbed, SearchCriteria={
        "SearchableContactAttributes": {"Criteria": [{"Key": "tier", "Values": ["gold"]}]}})
    callbacks = await search(connect_client, testbed,
                             SearchCriteria={"InitiationMethods": ["CALLBACK"]})
    assert [c["Id"] for c in tasks["Contacts"]] == [ids["urgent"], ids["claims"]]
    assert [c["Id"] for c in claims["Contacts"]] == [ids["claims"]]
    assert [c["Id"] for c in gold["Contacts"]] == [ids["urgent"]]
    assert [c["Id"] for c in callbacks["Contacts"]] == [ids["callback"]]


async def test_search_contacts_by_agent_and_name(testbed: Testbed,
                                                 connect_client: Any) -> None:
    ids = await busy_morning(connect_client, testbed)
    by_agent = await search(connect_client, testbed, SearchCriteria={
        "AgentIds": [testbed.instance.arn_of("agent", "alex")]})
    by_name = await search(connect_client, testbed, SearchCriteria={
        "Name": {"SearchText": ["refund"], "MatchType": "MATCH_ANY"}})
    assert [c["Id"] for c in by_agent["Contacts"]] == [ids["callback"]]
    assert [c["Id"] for c in by_name["Contacts"]] == [ids["urgent"]]


async def test_search_contacts_sorts_and_pages(testbed: Testbed, connect_client: Any) -> None:
    ids = await busy_morning(connect_client, testbed)
    sort = {"FieldName": "INITIATION_TIMESTAMP", "Order": "DESCENDING"}
    first = await search(connect_client, testbed, Sort=sort, MaxResults=3)
    rest = await search(connect_client, testbed, Sort=sort, MaxResults=3,
                        NextToken=first["NextToken"])
    assert [c["Id"] for c in first["Contacts"] + rest["Contacts"]] == \
        [ids["claims"], ids["urgent"], ids["callback"], ids["inbound"]]
    assert first["TotalCount"] == rest["TotalCount"] == 4
    assert "NextToken" not in rest


async def test_search_contacts_without_a_match_is_empty(testbed: Testbed,
                                                        connect_client: Any) -> None:
    await busy_morning(connect_client, testbed)
    answer = await search(connect_client, testbed, start=START + timedelta(days=2),
                          end=START + timedelta(days=3))
    assert answer["Contacts"] == [] and answer["TotalCount"] == 0


# -- the record's Channel elsewhere -----------------------------------------------------
async def test_events_export_names_a_tasks_channel(testbed: Testbed,
                                                   connect_client: Any) -> None:
    task_centre(testbed)
    testbed.add_flow(Flow.of("Hello", [PlayPrompt(id="hi", text="Hi", duration_s=1)]))
    testbed.add_number("+18005550100", "Hello")
    testbed.add_caller(MockCaller("+15555550123", dial="+18005550100"))
    await start_task(connect_client, testbed)
    await testbed.run_until_idle()
    assert testbed.record_service is not None
    events = list(contact_events(testbed.record_service.start,
                                 testbed.record_service.entries()))
    channels = {(e["ContactId"], e["Channel"]) for e in events}
    voice, task = (r.contact_id for r in testbed.records)
    assert channels == {(voice, "VOICE"), (task, "TASK")}
    assert json.dumps(events)  # plain JSON values


async def test_flow_sees_voice_channel_for_an_outbound_api_call(
        testbed: Testbed, connect_client: Any) -> None:
    testbed.add_flow(Flow.of("Check", [
        SetAttributes(id="note", attributes={"channel": "$.Channel"}, next="bye"),
        Disconnect(id="bye"),
    ]))
    testbed.add_queue("Sales")
    testbed.add_caller(MockCaller("+15555550123"))
    await call(connect_client, "start_outbound_voice_contact",
               InstanceId=testbed.instance.instance_id, DestinationPhoneNumber="+15555550123",
               ContactFlowId=testbed.instance.id_of("contact-flow", "Check"),
               QueueId=testbed.instance.id_of("queue", "Sales"))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.attributes == {"channel": "VOICE"}


@pytest.mark.testbed
async def test_api_started_contacts_read_back_the_same_from_a_store(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    async with Testbed(records=str(path)) as tb:
        task_centre(tb)
        tb.add_caller(MockCaller("+15555550123", answer_after_s=None))
        call_id = tb.start_outbound_voice_contact("+15555550123", "Task", queue="Claims")
        task_id = tb.start_task_contact("Later", "Task", queue="Claims", delay_s=120,
                                        attributes={"k": "v"})
        await tb.advance(30)
        tb.stop_contact(task_id)
        tb.update_contact_attributes(call_id, {"note": "no answer"})
        await tb.run_until_idle()
        live = tb.records_json()
    reopened = RecordService.open(open_store(str(path)))
    assert records_to_json(reopened.records()) == live
    voice, task = reopened.records()
    assert (voice.disconnect_reason, task.disconnect_reason) == ("TELECOM_UNANSWERED", "API")
    assert task.channel == "TASK" and task.scheduled_timestamp is not None
