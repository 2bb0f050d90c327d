"""Flows through a real boto3 client: listing, describing, deploying and updating them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Testbed
from testbed.core.messages import Prompt
from testbed.flows.coverage import FlowCoverage
from testbed.pytest_plugin import ServedTestbed

from .conftest import JANE, JOHN, at, seed_centre
from .connect_calls import call, raw

NUMBER = "+18005550100"
SALES = "+18005550111"


def flow(start: str, *actions: dict[str, Any], durations: dict[str, float] | None = None) -> str:
    """Flow-language content: ``actions`` from ``start``; ``durations`` of prompts (s)."""
    document: dict[str, Any] = {"Version": "2019-10-30", "StartAction": start,
                                "Actions": list(actions)}
    if durations:
        document["Metadata"] = {"ActionMetadata": {
            action: {"testbed": {"duration_s": seconds}} for action, seconds in durations.items()}}
    return json.dumps(document)


def action(identifier: str, kind: str, parameters: dict[str, Any] | None = None,
           next_action: str | None = None, **errors: str) -> dict[str, Any]:
    transitions: dict[str, Any] = {}
    if next_action is not None:
        transitions["NextAction"] = next_action
    if errors:
        transitions["Errors"] = [{"NextAction": target, "ErrorType": error}
                                 for error, target in errors.items()]
    return {"Identifier": identifier, "Type": kind, "Parameters": parameters or {},
            "Transitions": transitions}


def to_queue(tb: Testbed, path: str, queue: str, start: str = "mark",
             first: dict[str, Any] | None = None) -> str:
    """A flow that sets attribute path=``path`` and queues the contact in ``queue``,
    named by its ARN as ListQueues gives it; ``first``: an action before (``start``)."""
    actions = [
        action("mark", "UpdateContactAttributes", {"Attributes": {"path": path}}, "queue"),
        action("queue", "UpdateContactTargetQueue",
               {"QueueId": tb.instance.arn_of("queue", queue)}, "go", NoMatchingError="bye"),
        action("go", "TransferContactToQueue", {}, "bye", QueueAtCapacity="bye",
               NoMatchingError="bye"),
        action("bye", "DisconnectParticipant"),
    ]
    return flow(start, *([first] if first else []), *actions,
                durations={"hello": 30} if first else None)


async def create(client: Any, tb: Testbed, name: str, content: str,
                 kind: str = "CONTACT_FLOW", **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = await call(client, "create_contact_flow",
                                        InstanceId=tb.instance.instance_id, Name=name,
                                        Type=kind, Content=content, **extra)
    return answer


def queues(tb: Testbed, *names: str) -> None:
    for name in names:
        tb.add_queue(name)


# -- ListContactFlows, DescribeContactFlow ------------------------------------------------


async def test_list_contact_flows_types_the_seeds_flows_by_their_use(
        testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)

    answer = await call(connect_client, "list_contact_flows",
                        InstanceId=testbed.instance.instance_id)

    summaries = answer["ContactFlowSummaryList"]
    assert [(f["Name"], f["ContactFlowType"]) for f in summaries] == [
        ("Inbound", "CONTACT_FLOW"), ("CustomerQueue", "CUSTOMER_QUEUE"),
        ("AgentWhisper", "AGENT_WHISPER"), ("OutboundWhisper", "OUTBOUND_WHISPER")]
    assert summaries[0]["Id"] == testbed.instance.id_of("contact-flow", "Inbound")
    assert summaries[0]["Arn"] == f"{testbed.instance.arn}/contact-flow/{summaries[0]['Id']}"
    assert {(f["ContactFlowState"], f["ContactFlowStatus"]) for f in summaries} == {
        ("ACTIVE", "PUBLISHED")}


async def test_list_contact_flows_by_type(testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    answer = await call(connect_client, "list_contact_flows",
                        InstanceId=testbed.instance.instance_id,
                        ContactFlowTypes=["AGENT_WHISPER", "OUTBOUND_WHISPER"])
    assert [f["Name"] for f in answer["ContactFlowSummaryList"]] == [
        "AgentWhisper", "OutboundWhisper"]


async def test_list_contact_flows_with_a_bad_type_is_invalid_parameter_naming_it(
        served_testbed: ServedTestbed) -> None:
    instance = served_testbed.testbed.instance.instance_id
    status, code, body = await raw(served_testbed, "GET",
                                   f"/contact-flows-summary/{instance}?contactFlowTypes=IVR")
    assert (status, code) == (400, "InvalidParameterException")
    assert "'IVR'" in body["Message"]


async def test_a_python_flow_is_described_in_the_flow_language_with_arns(
        testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)

    answer = await call(connect_client, "describe_contact_flow",
                        InstanceId=testbed.instance.instance_id,
                        ContactFlowId=testbed.instance.id_of("contact-flow", "Inbound"))

    described = answer["ContactFlow"]
    assert (described["Name"], described["Type"], described["Status"]) == (
        "Inbound", "CONTACT_FLOW", "PUBLISHED")
    content = json.loads(described["Content"])
    assert (content["Version"], content["StartAction"]) == ("2019-10-30", "set-queue-flow")
    by_id = {a["Identifier"]: a for a in content["Actions"]}
    assert by_id["set-queue-flow"]["Type"] == "UpdateContactEventHooks"
    assert by_id["set-queue-flow"]["Parameters"]["EventHooks"] == {
        "CustomerQueue": testbed.instance.arn_of("contact-flow", "CustomerQueue")}
    assert by_id["set-queue"]["Parameters"] == {
        "QueueId": testbed.instance.arn_of("queue", "InboundQueue")}
    assert described["FlowContentSha256"] == hashlib.sha256(
        described["Content"].encode()).hexdigest()


async def test_the_seed_flows_sent_back_as_described_give_the_seed_records(
        testbed: Testbed, connect_client: Any) -> None:
    seed_centre(testbed)
    instance = testbed.instance.instance_id
    listed = await call(connect_client, "list_contact_flows", InstanceId=instance)
    for summary in listed["ContactFlowSummaryList"]:
        described = await call(connect_client, "describe_contact_flow", InstanceId=instance,
                               ContactFlowId=summary["Arn"])
        await call(connect_client, "update_contact_flow_content", InstanceId=instance,
                   ContactFlowId=summary["Id"], Content=described["ContactFlow"]["Content"])
    testbed.add_agent(MockAgent("alex", ["InboundQueue", "CallbackQueue"], available_at=240))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, callback_after_s=120, answer_after_s=0,
                                  talk_s=335))

    await testbed.run_until_idle()

    inbound, callback = (r.to_ctr() for r in testbed.records)
    assert (inbound["InitiationTimestamp"], inbound["DisconnectTimestamp"]) == (
        at("11:35:00"), at("11:37:00"))
    assert callback["Queue"]["EnqueueTimestamp"] == at("11:38:39")
    assert callback["ConnectedToSystemTimestamp"] == at("11:39:10")
    assert callback["Agent"]["ConnectedToAgentTimestamp"] == at("11:39:25")
    assert callback["DisconnectTimestamp"] == at("11:45:00")


async def test_an_unknown_flow_is_resource_not_found(testbed: Testbed,
                                                     connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "describe_contact_flow",
                   InstanceId=testbed.instance.instance_id, ContactFlowId="no-such-flow")
    assert "'no-such-flow'" in raised.value.response["Error"]["Message"]


async def test_a_flow_version_is_resource_not_found(testbed: Testbed,
                                                    connect_client: Any) -> None:
    seed_centre(testbed)
    versioned = f"{testbed.instance.arn_of('contact-flow', 'Inbound')}:2"
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "describe_contact_flow",
                   InstanceId=testbed.instance.instance_id, ContactFlowId=versioned)
    assert "versions" in raised.value.response["Error"]["Message"]


async def test_a_too_long_flow_id_is_invalid_parameter(testbed: Testbed,
                                                       connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await call(connect_client, "describe_contact_flow",
                   InstanceId=testbed.instance.instance_id, ContactFlowId="f" * 501)
    assert "ContactFlowId" in raised.value.response["Error"]["Message"]


# -- CreateContactFlow, UpdateContactFlowContent ----------------------------------------


async def test_a_created_flow_runs_for_the_next_caller(testbed: Testbed,
                                                       connect_client: Any) -> None:
    queues(testbed, "Sales")
    created = await create(connect_client, testbed, "Sales inbound",
                           to_queue(testbed, "first", "Sales"))
    testbed.add_number(SALES, "Sales inbound")
    testbed.add_agent(MockAgent("alice", ["Sales"]))
    testbed.add_caller(MockCaller(JOHN, dial=SALES, talk_s=60))

    await testbed.run_until_idle()

    assert created["ContactFlowId"] == testbed.instance.id_of("contact-flow", "Sales inbound")
    assert created["ContactFlowArn"] == testbed.instance.arn_of("contact-flow", "Sales inbound")
    [record] = testbed.records
    assert record.attributes == {"path": "first"}
    assert record.queue is not None and record.queue.name == "Sales"
    assert record.agent is not None and record.agent.username == "alice"


async def test_an_updated_flow_sends_the_next_caller_the_new_way(testbed: Testbed,
                                                                 connect_client: Any) -> None:
    queues(testbed, "Sales", "Support")
    hello = action("hello", "MessageParticipant", {"Text": "Hello."}, "mark")
    created = await create(connect_client, testbed, "Sales inbound",
                           to_queue(testbed, "old", "Sales", "hello", hello))
    testbed.add_number(SALES, "Sales inbound")
    testbed.add_caller(MockCaller(JOHN, dial=SALES, patience_s=60))
    testbed.add_caller(MockCaller(JANE, dial=SALES, dial_at=20, patience_s=60))
    await testbed.run_until(at("11:35:10"))  # John hears the 30 s hello of the old flow

    await call(connect_client, "update_contact_flow_content",
               InstanceId=testbed.instance.instance_id, ContactFlowId=created["ContactFlowId"],
               Content=to_queue(testbed, "new", "Support"))
    await testbed.run_until_idle()

    john, jane = testbed.records
    assert (john.attributes, john.queue and john.queue.name) == ({"path": "old"}, "Sales")
    assert john.queue is not None and john.queue.enqueue_timestamp == testbed.wall(30)
    assert (jane.attributes, jane.queue and jane.queue.name) == ({"path": "new"}, "Support")
    assert jane.queue is not None and jane.queue.enqueue_timestamp == testbed.wall(20)


async def test_a_created_flow_is_described_as_it_was_sent(testbed: Testbed,
                                                          connect_client: Any) -> None:
    queues(testbed, "Sales")
    content = to_queue(testbed, "first", "Sales")
    await testbed.run_until(at("11:36:00"))
    created = await create(connect_client, testbed, "Sales inbound", content,
                           Description="Sales line", Tags={"team": "sales"})

    answer = await call(connect_client, "describe_contact_flow",
                        InstanceId=testbed.instance.instance_id,
                        ContactFlowId=created["ContactFlowArn"])

    described = answer["ContactFlow"]
    assert described["Content"] == content
    assert (described["Type"], described["Description"], described["Tags"]) == (
        "CONTACT_FLOW", "Sales line", {"team": "sales"})
    assert described["FlowContentSha256"] == created["FlowContentSha256"] == \
        hashlib.sha256(content.encode()).hexdigest()
    assert described["LastModifiedTime"] == testbed.wall(60)
    assert described["LastModifiedRegion"] == testbed.instance.region


async def test_a_created_flow_names_another_by_its_arn(testbed: Testbed,
                                                      connect_client: Any) -> None:
    queues(testbed, "Sales")
    waiting = await create(connect_client, testbed, "Sales queue", flow(
        "music", action("music", "MessageParticipant", {"Text": "Please hold."}, "music")),
        kind="CUSTOMER_QUEUE")
    hook = action("hook", "UpdateContactEventHooks",
                  {"EventHooks": {"CustomerQueue": waiting["ContactFlowArn"]}}, "mark")
    content = json.loads(to_queue(testbed, "first", "Sales"))
    content["StartAction"] = "hook"
    content["Actions"].insert(0, hook)
    await create(connect_client, testbed, "Sales inbound", json.dumps(content))
    testbed.add_number(SALES, "Sales inbound")
    caller = MockCaller(JOHN, dial=SALES, patience_s=10)
    testbed.add_caller(caller)

    await testbed.run_until_idle()

    assert "Please hold." in [p.text for p in caller.messages(Prompt)]
    listed = await call(connect_client, "list_contact_flows",
                        InstanceId=testbed.instance.instance_id,
                        ContactFlowTypes=["CUSTOMER_QUEUE"])
    assert [f["Name"] for f in listed["ContactFlowSummaryList"]] == ["Sales queue"]


async def test_a_created_flow_checks_hours_named_by_their_id(testbed: Testbed,
                                                            connect_client: Any) -> None:
    queues(testbed, "Sales")
    testbed.add_hours("Mornings", "UTC", {"FRIDAY": "09:00-12:00"})  # the seed's day: a Friday
    hours_id = testbed.instance.id_of("operating-hours", "Mornings")
    check = {"Identifier": "open", "Type": "CheckHoursOfOperation",
             "Parameters": {"HoursOfOperationId": hours_id},
             "Transitions": {"NextAction": "bye", "Conditions": [
                 {"NextAction": "mark", "Condition": {"Operator": "Equals",
                                                      "Operands": ["True"]}},
                 {"NextAction": "closed", "Condition": {"Operator": "Equals",
                                                        "Operands": ["False"]}}]}}
    closed = action("closed", "UpdateContactAttributes", {"Attributes": {"path": "closed"}},
                    "bye")
    content = json.loads(to_queue(testbed, "open", "Sales"))
    content["StartAction"] = "open"
    content["Actions"] += [check, closed]
    await create(connect_client, testbed, "Sales inbound", json.dumps(content))
    testbed.add_number(SALES, "Sales inbound")
    testbed.add_caller(MockCaller(JOHN, dial=SALES))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert record.attributes == {"path": "open"}
    assert record.queue is not None and record.queue.name == "Sales"


async def test_a_taken_name_is_a_duplicate_resource(testbed: Testbed,
                                                   connect_client: Any) -> None:
    seed_centre(testbed)
    with pytest.raises(connect_client.exceptions.DuplicateResourceException) as raised:
        await create(connect_client, testbed, "Inbound", to_queue(testbed, "x", "InboundQueue"))
    assert "'Inbound'" in raised.value.response["Error"]["Message"]


async def test_a_bad_flow_is_refused_with_every_problem_named(testbed: Testbed,
                                                             connect_client: Any) -> None:
    queues(testbed, "Sales")
    unknown_queue = f"{testbed.instance.arn}/queue/0d5f5b8c-0000-4000-8000-000000000000"
    content = flow(
        "start",
        action("hello", "PlayMusic", {}, "queue"),
        action("queue", "UpdateContactTargetQueue", {"QueueId": unknown_queue}, "go"),
        action("go", "TransferContactToQueue", {}, "nowhere"),
        action("wait", "Wait", {"TimeoutSeconds": "soon"}, "go"))

    with pytest.raises(connect_client.exceptions.InvalidContactFlowException) as raised:
        await create(connect_client, testbed, "Broken", content)

    problems = [p["message"] for p in raised.value.response["problems"]]
    assert len(problems) == 5
    assert "'PlayMusic'" in problems[0]
    assert "0d5f5b8c-0000-4000-8000-000000000000" in problems[1]
    assert "'soon'" in problems[2]
    assert "'nowhere'" in problems[3]
    assert "StartAction 'start'" in problems[4]
    assert "Broken" not in testbed.switchboard.flows


async def test_content_that_is_not_json_is_an_invalid_flow(testbed: Testbed,
                                                           connect_client: Any) -> None:
    with pytest.raises(connect_client.exceptions.InvalidContactFlowException) as raised:
        await create(connect_client, testbed, "Broken", "{not json")
    [problem] = raised.value.response["problems"]
    assert "not valid JSON" in problem["message"]


async def test_a_bad_update_leaves_the_flow_as_it_was(testbed: Testbed,
                                                      connect_client: Any) -> None:
    queues(testbed, "Sales")
    content = to_queue(testbed, "first", "Sales")
    created = await create(connect_client, testbed, "Sales inbound", content)

    with pytest.raises(connect_client.exceptions.InvalidContactFlowException):
        await call(connect_client, "update_contact_flow_content",
                   InstanceId=testbed.instance.instance_id,
                   ContactFlowId=created["ContactFlowId"], Content=flow("x"))
    described = await call(connect_client, "describe_contact_flow",
                           InstanceId=testbed.instance.instance_id,
                           ContactFlowId=created["ContactFlowId"])

    assert described["ContactFlow"]["Content"] == content


async def test_content_over_256000_characters_is_invalid_parameter(
        testbed: Testbed, connect_client: Any) -> None:
    queues(testbed, "Sales")
    padded = json.loads(to_queue(testbed, "first", "Sales"))
    padded["Metadata"] = {"padding": "x" * 256_000}
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await create(connect_client, testbed, "Big", json.dumps(padded))
    assert "Content" in raised.value.response["Error"]["Message"]


async def test_a_name_with_a_slash_is_invalid_parameter(testbed: Testbed,
                                                        connect_client: Any) -> None:
    queues(testbed, "Sales")
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as raised:
        await create(connect_client, testbed, "sales/inbound", to_queue(testbed, "x", "Sales"))
    assert "'sales/inbound'" in raised.value.response["Error"]["Message"]


async def test_updating_an_unknown_flow_is_resource_not_found(testbed: Testbed,
                                                              connect_client: Any) -> None:
    queues(testbed, "Sales")
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as raised:
        await call(connect_client, "update_contact_flow_content",
                   InstanceId=testbed.instance.instance_id, ContactFlowId="missing",
                   Content=to_queue(testbed, "x", "Sales"))
    assert "'missing'" in raised.value.response["Error"]["Message"]


async def test_create_without_content_is_invalid_parameter_naming_it(
        served_testbed: ServedTestbed) -> None:
    instance = served_testbed.testbed.instance.instance_id
    status, code, body = await raw(served_testbed, "PUT", f"/contact-flows/{instance}",
                                   {"Name": "x", "Type": "CONTACT_FLOW"})
    assert (status, code) == (400, "InvalidParameterException")
    assert "Content" in body["Message"]


async def test_create_with_a_bad_type_is_invalid_parameter_naming_it(
        served_testbed: ServedTestbed) -> None:
    instance = served_testbed.testbed.instance.instance_id
    status, code, body = await raw(served_testbed, "PUT", f"/contact-flows/{instance}",
                                   {"Name": "x", "Type": "IVR", "Content": flow("a")})
    assert (status, code) == (400, "InvalidParameterException")
    assert "'IVR'" in body["Message"]


async def test_update_with_content_as_an_object_is_invalid_parameter(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    seed_centre(tb)
    path = f"/contact-flows/{tb.instance.instance_id}/" \
           f"{tb.instance.id_of('contact-flow', 'Inbound')}/content"
    status, code, body = await raw(served_testbed, "POST", path, {"Content": {"Actions": []}})
    assert (status, code) == (400, "InvalidParameterException")
    assert "Content" in body["Message"]


# -- SAVED ------------------------------------------------------------------------------


async def test_a_saved_flow_is_described_only_by_its_saved_alias(testbed: Testbed,
                                                                 connect_client: Any) -> None:
    queues(testbed, "Sales")
    content = to_queue(testbed, "draft", "Sales")
    created = await create(connect_client, testbed, "Draft", content, Status="SAVED")
    instance = testbed.instance.instance_id

    listed = await call(connect_client, "list_contact_flows", InstanceId=instance)
    with pytest.raises(connect_client.exceptions.ContactFlowNotPublishedException):
        await call(connect_client, "describe_contact_flow", InstanceId=instance,
                   ContactFlowId=created["ContactFlowId"])
    saved = await call(connect_client, "describe_contact_flow", InstanceId=instance,
                       ContactFlowId=f"{created['ContactFlowId']}:$SAVED")

    assert [(f["Name"], f["ContactFlowStatus"]) for f in listed["ContactFlowSummaryList"]] == [
        ("Draft", "SAVED")]
    assert (saved["ContactFlow"]["Content"], saved["ContactFlow"]["Status"]) == (
        content, "SAVED")
    assert "Draft" not in testbed.switchboard.flows


async def test_saving_an_update_keeps_the_published_flow_running(
        testbed: Testbed, connect_client: Any) -> None:
    queues(testbed, "Sales", "Support")
    created = await create(connect_client, testbed, "Sales inbound",
                           to_queue(testbed, "published", "Sales"))
    await call(connect_client, "update_contact_flow_content",
               InstanceId=testbed.instance.instance_id,
               ContactFlowId=f"{created['ContactFlowArn']}:$SAVED",
               Content=to_queue(testbed, "draft", "Support"))
    testbed.add_number(SALES, "Sales inbound")
    testbed.add_caller(MockCaller(JOHN, dial=SALES, patience_s=10))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert record.attributes == {"path": "published"}


async def test_publishing_a_saved_flow_makes_it_run(testbed: Testbed,
                                                    connect_client: Any) -> None:
    queues(testbed, "Sales")
    created = await create(connect_client, testbed, "Sales inbound",
                           to_queue(testbed, "draft", "Sales"), Status="SAVED")
    await call(connect_client, "update_contact_flow_content",
               InstanceId=testbed.instance.instance_id, ContactFlowId=created["ContactFlowId"],
               Content=to_queue(testbed, "published", "Sales"))
    testbed.add_number(SALES, "Sales inbound")
    testbed.add_caller(MockCaller(JOHN, dial=SALES, patience_s=10))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert record.attributes == {"path": "published"}


@pytest.mark.testbed(flow_coverage=FlowCoverage())
async def test_flow_coverage_counts_a_deployed_flow(testbed: Testbed,
                                                    connect_client: Any) -> None:
    queues(testbed, "Sales")
    await create(connect_client, testbed, "Sales inbound", to_queue(testbed, "first", "Sales"))
    testbed.add_number(SALES, "Sales inbound")
    testbed.add_caller(MockCaller(JOHN, dial=SALES, patience_s=10))

    await testbed.run_until_idle()

    assert testbed.flow_coverage is not None
    summary = testbed.flow_coverage.report().flow("Sales inbound")
    assert (summary.blocks, summary.blocks_entered) == (4, 3)
