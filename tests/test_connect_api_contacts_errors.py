"""Hostile input to the contact operations: each answers the error a real instance would.

botocore checks required members, types and minimums before it sends, so those
show as ParamValidationError from boto3; the same requests sent raw get the
testbed's InvalidParameterException naming the member.  Lengths over the
maximum, unknown ids and contacts of the wrong kind reach the testbed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ParamValidationError

from fakes import MockCaller
from testbed import Flow, PlayPrompt, Testbed, TransferToQueue
from testbed.load.demos import setup_queued_callback
from testbed.pytest_plugin import ServedTestbed

from .conftest import JOHN

UNKNOWN = "0d5f5b8c-0000-4000-8000-000000000000"
START = datetime(2022, 4, 8, 11, 35, tzinfo=UTC)


async def call(client: Any, operation: str, **params: Any) -> Any:
    return await asyncio.to_thread(getattr(client, operation), **params)


def centre(tb: Testbed) -> None:
    tb.add_flow(Flow.of("Outbound", [
        PlayPrompt(id="hello", text="Hello", duration_s=5, next="queue"),
        TransferToQueue(id="queue"),
    ]))
    tb.add_queue("Sales")
    tb.add_number("+18005550100", "Outbound")


def ids(tb: Testbed) -> dict[str, str]:
    return {"InstanceId": tb.instance.instance_id,
            "ContactFlowId": tb.instance.id_of("contact-flow", "Outbound"),
            "QueueId": tb.instance.id_of("queue", "Sales")}


def outbound(tb: Testbed, **extra: Any) -> dict[str, Any]:
    params = {**ids(tb), "DestinationPhoneNumber": JOHN}
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def task(tb: Testbed, **extra: Any) -> dict[str, Any]:
    params = {**ids(tb), "Name": "Follow up"}
    del params["QueueId"]
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


async def refused(client: Any, code: str, operation: str, **params: Any) -> str:
    """The message of the ``code`` error ``operation`` answers."""
    with pytest.raises(getattr(client.exceptions, code)) as raised:
        await call(client, operation, **params)
    message: str = raised.value.response["Error"]["Message"]
    return message


async def live_call(client: Any, tb: Testbed) -> str:
    centre(tb)
    answer = await call(client, "start_outbound_voice_contact", **outbound(tb))
    return str(answer["ContactId"])


# -- StartOutboundVoiceContact --------------------------------------------------------
async def test_outbound_call_with_an_unknown_flow_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "ResourceNotFoundException",
                            "start_outbound_voice_contact",
                            **outbound(testbed, ContactFlowId=UNKNOWN))
    assert UNKNOWN in message and testbed.records == []


async def test_outbound_call_to_an_unknown_queue_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "ResourceNotFoundException",
                            "start_outbound_voice_contact", **outbound(testbed, QueueId=UNKNOWN))
    assert UNKNOWN in message


async def test_outbound_call_to_a_number_not_in_e164_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidParameterException",
                            "start_outbound_voice_contact",
                            **outbound(testbed, DestinationPhoneNumber="555-0123"))
    assert "DestinationPhoneNumber" in message and "555-0123" in message


async def test_outbound_call_without_queue_or_source_number_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidParameterException",
                            "start_outbound_voice_contact", **outbound(testbed, QueueId=None))
    assert "QueueId" in message and "SourcePhoneNumber" in message


async def test_outbound_call_from_a_number_of_no_instance_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "ResourceNotFoundException",
                            "start_outbound_voice_contact",
                            **outbound(testbed, SourcePhoneNumber="+18005550999"))
    assert "+18005550999" in message


async def test_outbound_call_related_to_an_unknown_contact_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "ResourceNotFoundException",
                            "start_outbound_voice_contact",
                            **outbound(testbed, RelatedContactId=UNKNOWN))
    assert "RelatedContactId" in message and UNKNOWN in message


async def test_outbound_call_with_a_too_long_name_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidParameterException",
                            "start_outbound_voice_contact", **outbound(testbed, Name="n" * 1025))
    assert "Name" in message and "1024" in message


async def test_outbound_call_with_a_bad_attribute_key_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidParameterException",
                            "start_outbound_voice_contact",
                            **outbound(testbed, Attributes={"first name": "John"}))
    assert "'first name'" in message


async def test_outbound_call_with_an_attachment_reference_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidParameterException",
                            "start_outbound_voice_contact", **outbound(
                                testbed, References={"doc": {"Value": "x", "Type": "ATTACHMENT"}}))
    assert "References.doc.Type" in message and "ATTACHMENT" in message


async def test_outbound_call_with_answering_machine_detection_is_refused_by_name(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidParameterException",
                            "start_outbound_voice_contact", **outbound(
                                testbed, AnswerMachineDetectionConfig={
                                    "EnableAnswerMachineDetection": True}))
    assert "AnswerMachineDetectionConfig" in message


async def test_outbound_call_ring_timeout_below_fifteen_seconds_is_refused_by_boto3(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    with pytest.raises(ParamValidationError, match="RingTimeoutInSeconds"):
        await call(connect_client, "start_outbound_voice_contact",
                   **outbound(testbed, RingTimeoutInSeconds=5))


async def test_outbound_call_without_a_destination_is_refused_by_boto3(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    with pytest.raises(ParamValidationError, match="DestinationPhoneNumber"):
        await call(connect_client, "start_outbound_voice_contact",
                   **outbound(testbed, DestinationPhoneNumber=None))


async def test_outbound_call_with_attributes_of_the_wrong_type_is_refused_by_boto3(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    with pytest.raises(ParamValidationError, match="Attributes"):
        await call(connect_client, "start_outbound_voice_contact",
                   **outbound(testbed, Attributes=["tier", "gold"]))


# -- StartTaskContact -----------------------------------------------------------------
async def test_task_with_an_unknown_flow_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "ResourceNotFoundException", "start_task_contact",
                            **task(testbed, ContactFlowId=UNKNOWN))
    assert UNKNOWN in message


async def test_task_with_a_flow_and_a_quick_connect_is_invalid_request(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidRequestException", "start_task_contact",
                            **task(testbed, QuickConnectId=UNKNOWN))
    assert "ContactFlowId, QuickConnectId" in message


async def test_task_without_a_flow_is_invalid_request(testbed: Testbed,
                                                      connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidRequestException", "start_task_contact",
                            **task(testbed, ContactFlowId=None))
    assert "got none" in message


async def test_task_from_a_task_template_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "ResourceNotFoundException", "start_task_contact",
                            **task(testbed, ContactFlowId=None, TaskTemplateId="tmpl-1"))
    assert "tmpl-1" in message


async def test_task_to_a_phone_number_quick_connect_is_invalid_request(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    testbed.add_quick_connect("Outside", number="+15555550100")
    message = await refused(connect_client, "InvalidRequestException", "start_task_contact",
                            **task(testbed, ContactFlowId=None, QuickConnectId=testbed.instance
                                   .id_of("transfer-destination", "Outside")))
    assert "'Outside'" in message and "phone number" in message


async def test_task_scheduled_in_the_past_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidParameterException", "start_task_contact",
                            **task(testbed, ScheduledTime=START - timedelta(minutes=1)))
    assert "ScheduledTime" in message and "past" in message


async def test_task_scheduled_over_six_days_ahead_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidParameterException", "start_task_contact",
                            **task(testbed, ScheduledTime=START + timedelta(days=7)))
    assert "ScheduledTime" in message and "6 days" in message


async def test_task_after_an_unknown_previous_contact_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "ResourceNotFoundException", "start_task_contact",
                            **task(testbed, PreviousContactId=UNKNOWN))
    assert "PreviousContactId" in message and UNKNOWN in message


async def test_task_with_a_too_long_description_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "InvalidParameterException", "start_task_contact",
                            **task(testbed, Description="d" * 4097))
    assert "Description" in message


async def test_task_without_a_name_is_refused_by_boto3(testbed: Testbed,
                                                       connect_client: Any) -> None:
    centre(testbed)
    with pytest.raises(ParamValidationError, match="Name"):
        await call(connect_client, "start_task_contact", **task(testbed, Name=None))


# -- StopContact ----------------------------------------------------------------------
async def test_stop_contact_of_an_unknown_id_is_contact_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "ContactNotFoundException", "stop_contact",
                            InstanceId=testbed.instance.instance_id, ContactId=UNKNOWN)
    assert UNKNOWN in message


async def test_stop_contact_with_an_unknown_reason_code_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    contact_id = await live_call(connect_client, testbed)
    message = await refused(connect_client, "InvalidParameterException", "stop_contact",
                            InstanceId=testbed.instance.instance_id, ContactId=contact_id,
                            DisconnectReason={"Code": "GONE_FISHING"})
    assert "GONE_FISHING" in message
    assert testbed.records[0].disconnect_timestamp is None


async def test_stop_contact_with_a_too_long_id_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "InvalidParameterException", "stop_contact",
                            InstanceId=testbed.instance.instance_id, ContactId="c" * 257)
    assert "ContactId" in message and "256" in message


async def test_stop_contact_with_an_id_of_the_wrong_type_is_refused_by_boto3(
        testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(ParamValidationError, match="ContactId"):
        await call(connect_client, "stop_contact", InstanceId=testbed.instance.instance_id,
                   ContactId=42)


# -- DescribeContact, Get/UpdateContactAttributes -----------------------------------------
async def test_describe_contact_of_an_unknown_id_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "ResourceNotFoundException", "describe_contact",
                            InstanceId=testbed.instance.instance_id, ContactId=UNKNOWN)
    assert UNKNOWN in message


async def test_describe_contact_of_another_instance_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    contact_id = await live_call(connect_client, testbed)
    message = await refused(connect_client, "ResourceNotFoundException", "describe_contact",
                            InstanceId="11111111-2222-4333-8444-555555555555",
                            ContactId=contact_id)
    assert "11111111-2222-4333-8444-555555555555" in message


async def test_describe_contact_with_a_too_long_id_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "InvalidParameterException", "describe_contact",
                            InstanceId=testbed.instance.instance_id, ContactId="c" * 257)
    assert "ContactId" in message


async def test_describe_contact_with_an_id_of_the_wrong_type_is_refused_by_boto3(
        testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(ParamValidationError, match="ContactId"):
        await call(connect_client, "describe_contact",
                   InstanceId=testbed.instance.instance_id, ContactId=["c1"])


async def test_get_contact_attributes_of_an_unknown_id_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "ResourceNotFoundException",
                            "get_contact_attributes", InstanceId=testbed.instance.instance_id,
                            InitialContactId=UNKNOWN)
    assert UNKNOWN in message


async def test_get_contact_attributes_with_a_too_long_id_is_refused(
        testbed: Testbed, connect_client: Any) -> None:
    # GetContactAttributes' model has no InvalidParameterException.
    message = await refused(connect_client, "InvalidRequestException",
                            "get_contact_attributes", InstanceId=testbed.instance.instance_id,
                            InitialContactId="c" * 257)
    assert "InitialContactId" in message


async def test_update_contact_attributes_of_an_unknown_id_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "ResourceNotFoundException",
                            "update_contact_attributes",
                            InstanceId=testbed.instance.instance_id,
                            InitialContactId=UNKNOWN, Attributes={"a": "b"})
    assert UNKNOWN in message


async def test_update_contact_attributes_over_32_kib_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    contact_id = await live_call(connect_client, testbed)
    big = {f"note{i}": "x" * 10000 for i in range(4)}
    message = await refused(connect_client, "InvalidParameterException",
                            "update_contact_attributes",
                            InstanceId=testbed.instance.instance_id,
                            InitialContactId=contact_id, Attributes=big)
    assert "32768" in message
    assert testbed.records[0].attributes == {}


async def test_update_contact_attributes_with_a_bad_key_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    contact_id = await live_call(connect_client, testbed)
    message = await refused(connect_client, "InvalidParameterException",
                            "update_contact_attributes",
                            InstanceId=testbed.instance.instance_id,
                            InitialContactId=contact_id, Attributes={"a.b": "c"})
    assert "'a.b'" in message


async def test_update_contact_attributes_without_attributes_is_refused_by_boto3(
        testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(ParamValidationError, match="Attributes"):
        await call(connect_client, "update_contact_attributes",
                   InstanceId=testbed.instance.instance_id, InitialContactId=UNKNOWN)


# -- TransferContact ------------------------------------------------------------------
async def test_transfer_contact_of_an_unknown_id_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    message = await refused(connect_client, "ResourceNotFoundException", "transfer_contact",
                            **ids(testbed), ContactId=UNKNOWN)
    assert UNKNOWN in message


async def test_transfer_contact_to_a_queue_and_a_user_is_invalid_request(
        testbed: Testbed, connect_client: Any) -> None:
    contact_id = await live_call(connect_client, testbed)
    message = await refused(connect_client, "InvalidRequestException", "transfer_contact",
                            **ids(testbed), ContactId=contact_id, UserId=UNKNOWN)
    assert "QueueId, UserId" in message


async def test_transfer_contact_to_an_unknown_user_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    contact_id = await live_call(connect_client, testbed)
    params = {**ids(testbed), "ContactId": contact_id, "UserId": UNKNOWN}
    del params["QueueId"]
    message = await refused(connect_client, "ResourceNotFoundException", "transfer_contact",
                            **params)
    assert UNKNOWN in message


async def test_transfer_contact_with_an_unknown_flow_is_resource_not_found(
        testbed: Testbed, connect_client: Any) -> None:
    contact_id = await live_call(connect_client, testbed)
    message = await refused(connect_client, "ResourceNotFoundException", "transfer_contact",
                            **{**ids(testbed), "ContactFlowId": UNKNOWN},
                            ContactId=contact_id)
    assert UNKNOWN in message


async def test_transfer_contact_with_a_too_long_flow_id_is_refused(
        testbed: Testbed, connect_client: Any) -> None:
    contact_id = await live_call(connect_client, testbed)
    message = await refused(connect_client, "InvalidRequestException", "transfer_contact",
                            **{**ids(testbed), "ContactFlowId": "f" * 501},
                            ContactId=contact_id)
    assert "ContactFlowId" in message


async def test_transfer_contact_without_a_flow_is_refused_by_boto3(
        testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(ParamValidationError, match="ContactFlowId"):
        await call(connect_client, "transfer_contact", InstanceId=testbed.instance.instance_id,
                   ContactId=UNKNOWN)


# -- SearchContacts -------------------------------------------------------------------
def span(kind: str = "INITIATION_TIMESTAMP", start: datetime = START,
         end: datetime = START + timedelta(hours=1)) -> dict[str, Any]:
    return {"Type": kind, "StartTime": start, "EndTime": end}


async def test_search_contacts_with_start_after_end_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "InvalidParameterException", "search_contacts",
                            InstanceId=testbed.instance.instance_id,
                            TimeRange=span(start=START + timedelta(hours=2)))
    assert "StartTime 2022-04-08T13:35:00Z is after EndTime 2022-04-08T12:35:00Z" in message


async def test_search_contacts_by_an_unknown_time_type_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "InvalidParameterException", "search_contacts",
                            InstanceId=testbed.instance.instance_id,
                            TimeRange=span(kind="LUNCH_TIMESTAMP"))
    assert "TimeRange.Type" in message and "LUNCH_TIMESTAMP" in message


async def test_search_contacts_by_contact_analysis_is_refused_by_name(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "InvalidParameterException", "search_contacts",
                            InstanceId=testbed.instance.instance_id, TimeRange=span(),
                            SearchCriteria={"ContactAnalysis": {}})
    assert "SearchCriteria.ContactAnalysis" in message


async def test_search_contacts_sorted_by_expiry_is_refused_by_name(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "InvalidParameterException", "search_contacts",
                            InstanceId=testbed.instance.instance_id, TimeRange=span(),
                            Sort={"FieldName": "EXPIRY_TIMESTAMP", "Order": "ASCENDING"})
    assert "EXPIRY_TIMESTAMP" in message


async def test_search_contacts_with_a_made_up_next_token_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until_idle()
    message = await refused(connect_client, "InvalidParameterException", "search_contacts",
                            InstanceId=testbed.instance.instance_id, TimeRange=span(),
                            NextToken="bm90LWEtdG9rZW4=")
    assert "NextToken" in message


async def test_search_contacts_with_too_many_queue_ids_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    message = await refused(connect_client, "InvalidParameterException", "search_contacts",
                            InstanceId=testbed.instance.instance_id, TimeRange=span(),
                            SearchCriteria={"QueueIds": [f"q{i}" for i in range(101)]})
    assert "SearchCriteria.QueueIds" in message


async def test_search_contacts_without_a_time_range_is_refused_by_boto3(
        testbed: Testbed, connect_client: Any) -> None:
    with pytest.raises(ParamValidationError, match="TimeRange"):
        await call(connect_client, "search_contacts", InstanceId=testbed.instance.instance_id)


# -- the same requests raw, past botocore's checks ------------------------------------
RAW_MISSING = [
    ("PUT", "/contact/outbound-voice", {"ContactFlowId": "f", "QueueId": "q"},
     "DestinationPhoneNumber"),
    ("PUT", "/contact/task", {"ContactFlowId": "f"}, "Name"),
    ("POST", "/contact/stop", {}, "ContactId"),
    ("POST", "/contact/attributes", {"InitialContactId": UNKNOWN}, "Attributes"),
    ("POST", "/contact/transfer", {"ContactId": UNKNOWN}, "ContactFlowId"),
    ("POST", "/search-contacts", {}, "TimeRange"),
]
RAW_WRONG_TYPE = [
    ("PUT", "/contact/outbound-voice", {"DestinationPhoneNumber": JOHN, "ContactFlowId": "f",
                                        "QueueId": "q", "RingTimeoutInSeconds": "thirty"},
     "RingTimeoutInSeconds"),
    ("PUT", "/contact/task", {"Name": ["a"], "ContactFlowId": "f"}, "Name"),
    ("POST", "/contact/stop", {"ContactId": 42}, "ContactId"),
    ("POST", "/contact/attributes", {"InitialContactId": UNKNOWN, "Attributes": {"a": 1}},
     "Attributes.a"),
    ("POST", "/contact/transfer", {"ContactId": UNKNOWN, "ContactFlowId": {"id": "f"}},
     "ContactFlowId"),
    ("POST", "/search-contacts", {"TimeRange": {"Type": "INITIATION_TIMESTAMP",
                                                "StartTime": "yesterday", "EndTime": 0}},
     "TimeRange.StartTime"),
]


def _bad_parameter(path: str) -> str:
    """TransferContact's model lists no InvalidParameterException: it answers InvalidRequest."""
    return "InvalidRequestException" if path == "/contact/transfer" else \
        "InvalidParameterException"


async def raw(served: ServedTestbed, method: str, path: str,
              body: dict[str, Any]) -> tuple[int, str, str]:
    body = {"InstanceId": served.testbed.instance.instance_id, **body}
    async with served.session.request(method, served.url + path, json=body) as response:
        answer = await response.json()
        return response.status, response.headers["x-amzn-ErrorType"], answer["Message"]


@pytest.mark.parametrize(("method", "path", "body", "member"), RAW_MISSING,
                         ids=[p[1] for p in RAW_MISSING])
async def test_raw_request_missing_a_required_member_is_invalid_parameter(
        served_testbed: ServedTestbed, method: str, path: str, body: dict[str, Any],
        member: str) -> None:
    status, code, message = await raw(served_testbed, method, path, body)
    assert (status, code) == (400, _bad_parameter(path))
    assert message == f"{member}: required member missing"


@pytest.mark.parametrize(("method", "path", "body", "member"), RAW_WRONG_TYPE,
                         ids=[p[1] for p in RAW_WRONG_TYPE])
async def test_raw_request_with_a_member_of_the_wrong_type_is_invalid_parameter(
        served_testbed: ServedTestbed, method: str, path: str, body: dict[str, Any],
        member: str) -> None:
    status, code, message = await raw(served_testbed, method, path, body)
    assert (status, code) == (400, _bad_parameter(path))
    assert message.startswith(f"{member}: ")


async def test_raw_describe_contact_without_a_contact_id_is_no_operation(
        served_testbed: ServedTestbed) -> None:
    url = f"{served_testbed.url}/contacts/{served_testbed.testbed.instance.instance_id}/"
    async with served_testbed.session.get(url) as response:
        assert response.status == 404
        assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"


async def test_raw_get_contact_attributes_with_a_too_long_id_is_invalid_request(
        served_testbed: ServedTestbed) -> None:
    instance = served_testbed.testbed.instance.instance_id
    url = f"{served_testbed.url}/contact/attributes/{instance}/{'c' * 257}"
    async with served_testbed.session.get(url) as response:
        assert response.status == 400
        assert response.headers["x-amzn-ErrorType"] == "InvalidRequestException"
        assert "InitialContactId" in (await response.json())["Message"]


async def test_outbound_call_to_a_caller_already_on_a_call_rings_beside_it(
        testbed: Testbed, connect_client: Any) -> None:
    """Hostile timing: the customer is on an inbound call when the API calls them."""
    centre(testbed)
    testbed.add_flow(Flow.of("Menu", [PlayPrompt(id="menu", text="...", duration_s=300)]))
    testbed.add_number("+18005550101", "Menu")
    caller = testbed.add_caller(MockCaller(JOHN, dial="+18005550101", answer_after_s=None))
    await testbed.advance(1)
    await call(connect_client, "start_outbound_voice_contact", **outbound(testbed))
    await testbed.run_until(testbed.now + 61)
    inbound, outbound_call = testbed.records
    assert inbound.disconnect_timestamp is None  # still in the menu
    assert outbound_call.to_ctr()["DisconnectReason"] == "TELECOM_UNANSWERED"
    assert isinstance(caller, MockCaller) and len(caller.contact_ids) == 2
