"""Exported Connect flows with every action type, run end to end with their stand-ins.

Each flow is written in the flow language's export format (Version 2019-10-30)
with the parameters Connect's reference gives; the tests script a call through
it and assert the records and values a reader of the reference would predict.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Testbed
from testbed.core.errors import FlowError
from testbed.core.messages import Prompt
from testbed.flows.connect import load_flow, not_simulated_blocks, pass_through_blocks
from testbed.records.contact_record import EventKind

NUMBER = "+18005550100"
JOHN = "+15555550123"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:111122223333:function:lookup"
QUEUE_ARN = "arn:aws:connect:us-east-1:111122223333:instance/abc/queue/Support"


def action(identifier: str, kind: str, parameters: Mapping[str, Any] | None = None,
           next_action: str | None = None, errors: Mapping[str, str] | None = None,
           conditions: Mapping[str, str] | None = None,
           operator: str = "Equals") -> dict[str, Any]:
    transitions: dict[str, Any] = {}
    if next_action is not None:
        transitions["NextAction"] = next_action
    if errors:
        transitions["Errors"] = [{"NextAction": t, "ErrorType": e} for e, t in errors.items()]
    if conditions:
        transitions["Conditions"] = [
            {"NextAction": t, "Condition": {"Operator": operator, "Operands": [v]}}
            for v, t in conditions.items()]
    return {"Identifier": identifier, "Type": kind, "Parameters": dict(parameters or {}),
            "Transitions": transitions}


def flow(*actions: dict[str, Any], name: str = "Inbound") -> Any:
    document = {"Version": "2019-10-30", "StartAction": actions[0]["Identifier"],
                "Metadata": {"name": name}, "Actions": list(actions)}
    return load_flow(json.dumps(document), name=name)


def say(text: str, after: str = "say-error") -> dict[str, Any]:
    return action(f"say {text}", "MessageParticipant", {"Text": text}, after)


def queue_it(next_id: str = "transfer") -> list[dict[str, Any]]:
    return [action("set-queue", "UpdateContactTargetQueue", {"QueueId": QUEUE_ARN}, next_id,
                   {"NoMatchingError": "bye"}),
            action("transfer", "TransferContactToQueue", {}, "bye",
                   {"QueueAtCapacity": "bye", "NoMatchingError": "bye"})]


BYE = action("bye", "DisconnectParticipant", {})


def prompts(caller: MockCaller) -> list[tuple[float, str]]:
    return [(t, m.text) for t, m in caller.heard if isinstance(m, Prompt)]


def centre(tb: Testbed, *flows: Any) -> None:
    tb.add_flow(*flows)
    tb.add_queue("Support")
    tb.add_number(NUMBER, flows[0].name)


# -- contact updates that leave their trace on the record --------------------------


async def test_settings_tags_and_data_reach_the_record(testbed: Testbed) -> None:
    inbound = flow(
        action("log", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Enabled"}, "rec"),
        action("rec", "UpdateContactRecordingBehavior", {
            "RecordingBehavior": {"RecordedParticipants": ["Agent", "Customer"],
                                  "IVRRecordingBehavior": "Disabled"},
            "AnalyticsBehavior": {"Enabled": "True", "AnalyticsLanguage": "en-US",
                                  "AnalyticsRedactionBehavior": "Disabled",
                                  "ChannelConfiguration": {
                                      "Voice": {"AnalyticsModes": ["RealTime"]}}}}, "voice"),
        action("voice", "UpdateContactTextToSpeechVoice",
               {"TextToSpeechVoice": "Matthew", "TextToSpeechEngine": "Neural"}, "data"),
        action("data", "UpdateContactData",
               {"Name": "Order enquiry", "Description": "from the IVR", "LanguageCode": "en-GB",
                "TargetContact": "Current"}, "tag", {"NoMatchingError": "bye"}),
        action("tag", "TagContact", {"Tags": {"Department": "Sales", "Caller": "$.ContactId"}},
               "untag", {"NoMatchingError": "bye"}),
        action("untag", "UnTagContact", {"TagKeys": ["Caller"]}, "attrs",
               {"NoMatchingError": "bye"}),
        action("attrs", "UpdateContactAttributes",
               {"Attributes": {"voice": "$.TextToSpeechVoiceId", "lang": "$.LanguageCode",
                               "dialled": "$.SystemEndpoint.Address"},
                "TargetContact": "Current"}, "set-queue", {"NoMatchingError": "bye"}),
        *queue_it(), BYE)
    centre(testbed, inbound)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=60))
    await testbed.run_until_idle()

    [record] = testbed.records
    ctr = record.to_ctr()
    assert ctr["Tags"] == {"Department": "Sales"}
    assert (ctr["Name"], ctr["Description"]) == ("Order enquiry", "from the IVR")
    assert ctr["Recording"]["RecordedParticipants"] == ["Agent", "Customer"]
    assert ctr["ContactLens"]["ConversationalAnalytics"]["Configuration"] == {
        "Enabled": True, "ChannelConfiguration": {"AnalyticsModes": ["RealTime"]},
        "LanguageLocale": "en-US"}
    assert ctr["Attributes"] == {"voice": "Matthew", "lang": "en-GB", "dialled": NUMBER}
    assert ctr["SystemEndpoint"] == {"Type": "TELEPHONE_NUMBER", "Address": NUMBER}
    assert (ctr["Queue"]["Name"], ctr["Agent"]["Username"]) == ("Support", "alice")
    traced = [e.data[2] for e in testbed.events(record.contact_id)
              if e.kind is EventKind.FLOW_ACTION]
    assert traced == ["UpdateFlowLoggingBehavior", "UpdateContactTextToSpeechVoice"]


async def test_prompts_after_set_voice_carry_the_voice(testbed: Testbed) -> None:
    inbound = flow(action("hello", "MessageParticipant", {"Text": "Hello."}, "voice"),
                   action("voice", "UpdateContactTextToSpeechVoice",
                          {"TextToSpeechVoice": "Matthew"}, "again"),
                   action("again", "MessageParticipant", {"Text": "Hello again."}, "bye"),
                   BYE)
    centre(testbed, inbound)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    assert [m.voice for _t, m in john.heard if isinstance(m, Prompt)] == [None, "Matthew"]


# -- Lambda ----------------------------------------------------------------------------


async def test_a_lambda_handler_file_answers_and_the_flow_branches_on_it(
        testbed: Testbed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "crm.py").write_text(
        "def handler(event, context):\n"
        "    data = event['Details']['ContactData']\n"
        "    caller = data['CustomerEndpoint']['Address']\n"
        "    tier = 'gold' if caller.endswith('23') else 'basic'\n"
        "    return {'tier': tier, 'asked': event['Details']['Parameters']['caller'],\n"
        "            'balance': 42.5, 'function': context.function_name}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    inbound = flow(
        action("lookup", "InvokeLambdaFunction", {
            "LambdaFunctionARN": LAMBDA_ARN, "InvocationTimeLimitSeconds": "3",
            "LambdaInvocationAttributes": {"caller": "$.CustomerEndpoint.Address"},
            "ResponseValidation": {"ResponseType": "STRING_MAP"}}, "keep",
            {"NoMatchingError": "failed"}),
        action("keep", "UpdateContactAttributes",
               {"Attributes": {"tier": "$.External.tier", "asked": "$.External.asked",
                               "greeting": "Hello $.External.tier customer, you owe "
                                           "$.External.balance."}}, "check"),
        action("check", "Compare", {"ComparisonValue": "$.External.tier"}, "bye",
               {"NoMatchingCondition": "bye"}, {"gold": "gold"}),
        action("gold", "MessageParticipant", {"Text": "$.Attributes.greeting"}, "bye"),
        action("failed", "MessageParticipant", {"Text": "Sorry."}, "bye"),
        BYE)
    centre(testbed, inbound)
    testbed.add_lambda(LAMBDA_ARN, "crm:handler", latency_s=0.5)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.run_until_idle()

    [record] = testbed.records
    assert record.attributes == {"tier": "gold", "asked": JOHN,
                                 "greeting": "Hello gold customer, you owe 42.5."}
    assert prompts(john) == [(0.5, "Hello gold customer, you owe 42.5.")]
    [call] = [e for e in testbed.events(record.contact_id) if e.kind is EventKind.LAMBDA]
    assert call.timestamp_s == 0.5
    assert call.data["response"] == {"tier": "gold", "asked": JOHN, "balance": "42.5",
                                     "function": "lookup"}
    assert call.data["duration_s"] == 0.5


async def test_a_lambda_that_takes_too_long_takes_the_error_branch_at_its_limit(
        testbed: Testbed) -> None:
    async def slow(event: dict[str, Any], context: Any) -> dict[str, str]:
        await asyncio.sleep(10)  # testbed seconds
        return {"never": "seen"}

    inbound = flow(
        action("lookup", "InvokeLambdaFunction", {
            "LambdaFunctionARN": "slow", "InvocationTimeLimitSeconds": "3"}, "ok",
            {"NoMatchingError": "failed"}),
        action("ok", "MessageParticipant", {"Text": "Found you."}, "bye"),
        action("failed", "MessageParticipant", {"Text": "Sorry, try later."}, "bye"),
        BYE)
    centre(testbed, inbound)
    testbed.add_lambda("slow", slow)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    assert prompts(john) == [(3.0, "Sorry, try later.")]
    [record] = testbed.records
    [call] = [e for e in testbed.events(record.contact_id) if e.kind is EventKind.LAMBDA]
    assert "InvocationTimeLimitSeconds (3 s)" in call.data["error"]


async def test_a_raising_lambda_and_an_unknown_one_take_the_error_branch(
        testbed: Testbed) -> None:
    def broken(event: dict[str, Any], context: Any) -> dict[str, str]:
        raise KeyError("AccountId")

    inbound = flow(
        action("one", "InvokeLambdaFunction", {"LambdaFunctionARN": "broken"}, "bye",
               {"NoMatchingError": "two"}),
        action("two", "InvokeLambdaFunction", {"LambdaFunctionARN": "missing"}, "bye",
               {"NoMatchingError": "failed"}),
        action("failed", "MessageParticipant", {"Text": "Both failed."}, "bye"),
        BYE)
    centre(testbed, inbound)
    testbed.add_lambda("broken", broken)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    assert prompts(john) == [(0.0, "Both failed.")]
    errors = [e.data["error"] for e in testbed.events() if e.kind is EventKind.LAMBDA]
    assert "AccountId" in errors[0] and "'missing'" in errors[1]


# -- Lex ---------------------------------------------------------------------------------


def lex_flow() -> Any:
    return flow(
        action("intake", "ConnectParticipantWithLexBot", {
            "Text": "How can I help you today?",
            "LexV2Bot": {"AliasArn": "arn:aws:lex:us-east-1:111122223333:bot-alias/BOT/ALIAS"},
            "LexSessionAttributes": {"caller": "$.CustomerEndpoint.Address"}},
            "fallback", {"NoMatchingCondition": "fallback", "InputTimeLimitExceeded": "silent",
                         "NoMatchingError": "bye"},
            {"PayBill": "pay", "CheckBalance": "balance"}),
        action("pay", "MessageParticipant", {"Text": "Paying $.Lex.Slots.Amount dollars."},
               "bye"),
        action("balance", "MessageParticipant", {"Text": "Your balance is 10."}, "bye"),
        action("fallback", "MessageParticipant", {"Text": "Sorry, I did not get that."}, "bye"),
        action("silent", "MessageParticipant", {"Text": "Are you there?"}, "bye"),
        BYE)


@pytest.mark.parametrize("words, heard", [
    ("I want to pay 25 dollars", "Paying 25 dollars."),
    ("check my balance", "Your balance is 10."),
    ("what colour is the sky", "Sorry, I did not get that."),
])
async def test_a_caller_talks_to_a_lex_bot_and_the_flow_follows_the_intent(
        testbed: Testbed, words: str, heard: str) -> None:
    centre(testbed, lex_flow())
    testbed.add_bot("arn:aws:lex:us-east-1:111122223333:bot-alias/BOT/ALIAS", {
        "PayBill": ["I want to pay {Amount} dollars", "pay {Amount} dollars"],
        "CheckBalance": ["check my balance", "what is my balance"],
    }, slots={"Amount": "AMAZON.Number"})
    john = MockCaller(JOHN, dial=NUMBER, say=[(3, words)])
    testbed.add_caller(john)
    await testbed.run_until_idle()
    assert [text for _t, text in prompts(john)] == ["How can I help you today?", heard]
    [turn] = [e for e in testbed.events() if e.kind is EventKind.BOT]
    assert turn.timestamp_s == 3.0 and turn.data["input"] == words


async def test_a_caller_who_says_nothing_to_the_bot_takes_the_timeout_branch(
        testbed: Testbed) -> None:
    centre(testbed, lex_flow())
    testbed.add_bot("arn:aws:lex:us-east-1:111122223333:bot-alias/BOT/ALIAS",
                    {"CheckBalance": ["check my balance"]})
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    # The prompt: six words at 150 a minute (2.4 s), then 5 s of listening.
    assert prompts(john)[-1] == (7.4, "Are you there?")


# -- hours, percentages, stored input ---------------------------------------------------


def hours_flow() -> Any:
    return flow(
        *queue_it("hours")[:1],
        action("hours", "CheckHoursOfOperation", {}, "closed", {"NoMatchingError": "bye"},
               {"True": "open", "False": "closed"}),
        action("open", "MessageParticipant", {"Text": "We are open."}, "bye"),
        action("closed", "MessageParticipant", {"Text": "We are closed."}, "bye"),
        BYE)


@pytest.mark.testbed
@pytest.mark.parametrize("start, heard", [
    ("2022-04-08T12:59:00Z", "We are closed."),   # 08:59 in New York (EDT, UTC-4)
    ("2022-04-08T13:00:00Z", "We are open."),     # 09:00
    ("2022-04-08T20:59:00Z", "We are open."),     # 16:59
    ("2022-04-08T21:00:00Z", "We are closed."),   # 17:00
])
async def test_hours_of_operation_are_checked_in_the_queues_time_zone(
        start: str, heard: str) -> None:
    async with Testbed(start=start) as tb:
        tb.add_flow(hours_flow())
        tb.add_hours("Support hours", "America/New_York",
                     {day: "09:00-17:00" for day in ("MONDAY", "TUESDAY", "WEDNESDAY",
                                                     "THURSDAY", "FRIDAY")})
        tb.add_queue("Support", hours="Support hours")
        tb.add_number(NUMBER, "Inbound")
        john = MockCaller(JOHN, dial=NUMBER)
        tb.add_caller(john)
        await tb.run_until_idle()
        assert [text for _t, text in prompts(john)] == [heard]


@pytest.mark.testbed
async def test_distribute_by_percentage_splits_ten_thousand_calls_as_asked() -> None:
    inbound = flow(
        action("split", "DistributeByPercentage", {}, "c", {"NoMatchingCondition": "c"},
               {"20": "a", "70": "b"}, operator="NumberLessThan"),
        action("a", "UpdateContactAttributes", {"Attributes": {"branch": "a"}}, "bye"),
        action("b", "UpdateContactAttributes", {"Attributes": {"branch": "b"}}, "bye"),
        action("c", "UpdateContactAttributes", {"Attributes": {"branch": "c"}}, "bye"),
        BYE)
    async with Testbed(seed=7) as tb:
        centre(tb, inbound)
        for i in range(10_000):
            tb.add_caller(MockCaller(f"+1555{i:07d}", dial=NUMBER, dial_at=i,
                                     keep_transcript=False), transient=True)
        await tb.run_until_idle()
        branches = [r.attributes["branch"] for r in tb.records]
    shares = {b: branches.count(b) / len(branches) for b in "abc"}
    # 1-19: 19 %, 20-69: 50 %, 70-100: 31 %.
    assert shares["a"] == pytest.approx(0.19, abs=0.02)
    assert shares["b"] == pytest.approx(0.50, abs=0.02)
    assert shares["c"] == pytest.approx(0.31, abs=0.02)


async def test_stored_input_sets_the_callback_number_that_the_callback_rings(
        testbed: Testbed) -> None:
    other = "+15555550999"
    inbound = flow(
        action("ask", "GetParticipantInput", {
            "Text": "Key in the number to call you back on, then the hash key.",
            "StoreInput": "True", "InputTimeLimitSeconds": "5",
            "InputValidation": {"PhoneNumberValidation": {"NumberFormat": "E164"}}},
            "keep", {"InvalidPhoneNumber": "bad", "NoMatchingError": "bye"}),
        action("keep", "UpdateContactAttributes",
               {"Attributes": {"typed": "$.StoredCustomerInput"}}, "number"),
        action("number", "UpdateContactCallbackNumber",
               {"CallbackNumber": "$.StoredCustomerInput"}, "set-queue",
               {"InvalidCallbackNumber": "bad", "CallbackNumberNotDialable": "bad"}),
        action("set-queue", "UpdateContactTargetQueue", {"QueueId": QUEUE_ARN}, "callback",
               {"NoMatchingError": "bye"}),
        action("callback", "CreateCallbackContact",
               {"InitialCallDelaySeconds": "60", "MaximumConnectionAttempts": "1",
                "RetryDelaySeconds": "600"}, "bye", {"NoMatchingError": "bye"}),
        action("bad", "MessageParticipant", {"Text": "That is not a number."}, "bye"),
        BYE)
    centre(testbed, inbound)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    john = MockCaller(JOHN, dial=NUMBER, press=[(5, "+15555550999#")])
    testbed.add_caller(john)
    jane = MockCaller(other, talk_s=30)  # she answers the callback
    testbed.add_caller(jane)
    await testbed.run_until_idle()

    inbound_record, callback = testbed.records
    assert inbound_record.attributes["typed"] == other
    assert callback.customer_endpoint == other
    assert callback.agent is not None and callback.disconnect_reason == "CUSTOMER_DISCONNECT"
    assert callback.connected_to_system_timestamp == testbed.wall(65)
    assert john.contact_ids == [inbound_record.contact_id]  # John's phone never rang


# -- tasks, outside numbers, modules, agent queues ---------------------------------------


async def test_create_task_makes_a_linked_task_contact_an_agent_handles(
        testbed: Testbed) -> None:
    inbound = flow(
        action("task", "CreateTask", {
            "Name": "Call back $.CustomerEndpoint.Address", "Description": "From the IVR",
            "ContactFlowId": "arn:aws:connect:us-east-1:1:instance/abc/contact-flow/Tasks",
            "Attributes": {"CustomerPhoneNumber": "$.CustomerEndpoint.Address"},
            "DelaySeconds": "60"}, "thanks", {"NoMatchingError": "bye"}),
        action("thanks", "MessageParticipant", {"Text": "We will call you."}, "bye"),
        BYE)
    tasks = flow(*queue_it(), BYE, name="Tasks")
    centre(testbed, inbound, tasks)
    alice = MockAgent("alice", ["Support"], talk_s=120)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until_idle()

    call, task = testbed.records
    ctr = task.to_ctr()
    assert (ctr["Channel"], ctr["InitiationMethod"]) == ("TASK", "API")
    assert ctr["RelatedContactId"] == call.contact_id
    assert (ctr["Name"], ctr["Description"]) == (f"Call back {JOHN}", "From the IVR")
    assert ctr["Attributes"] == {"CustomerPhoneNumber": JOHN}
    assert ctr["ScheduledTimestamp"] == "2022-04-08T11:36:00Z"
    assert ctr["CustomerEndpoint"] is None
    assert ctr["Queue"]["EnqueueTimestamp"] == "2022-04-08T11:36:00Z"
    assert ctr["Agent"]["Username"] == "alice"
    assert (ctr["DisconnectTimestamp"], ctr["DisconnectReason"]) == \
        ("2022-04-08T11:38:00Z", "AGENT_DISCONNECT")


async def test_transfer_to_a_phone_number_records_the_third_party_and_returns(
        testbed: Testbed) -> None:
    partner = "+15555550777"
    inbound = flow(
        action("xfer", "TransferParticipantToThirdParty", {
            "ThirdPartyPhoneNumber": "$.Attributes.partner",
            "ThirdPartyConnectionTimeLimitSeconds": "30", "ContinueFlowExecution": "True",
            "CallerId": {"Number": "$.SystemEndpoint.Address"}}, "after",
            {"CallFailed": "failed", "ConnectionTimeLimitExceeded": "failed",
             "NoMatchingError": "failed"}),
        action("after", "MessageParticipant", {"Text": "Back with us."}, "bye"),
        action("failed", "MessageParticipant", {"Text": "Nobody answered."}, "bye"),
        BYE)
    setup = flow(action("partner", "UpdateContactAttributes",
                        {"Attributes": {"partner": partner}}, "go"),
                 action("go", "TransferToFlow", {"ContactFlowId": "Transfer"}, "bye",
                        {"NoMatchingError": "bye"}), BYE, name="Start")
    testbed.add_flow(setup, inbound.__class__.of("Transfer", inbound.blocks.values(),
                                                 start=inbound.start))
    testbed.add_queue("Support")
    testbed.add_number(NUMBER, "Start")
    john = MockCaller(JOHN, dial=NUMBER)
    bob = MockCaller(partner, answer_after_s=4, talk_s=100)
    testbed.add_caller(john)
    testbed.add_caller(bob)
    await testbed.run_until_idle()

    [record] = testbed.records
    ctr = record.to_ctr()
    assert ctr["TransferredToEndpoint"] == {"Type": "TELEPHONE_NUMBER", "Address": partner}
    assert ctr["TransferCompletedTimestamp"] == "2022-04-08T11:35:04Z"
    assert prompts(john) == [(104.0, "Back with us.")]
    assert ctr["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT"


async def test_a_transfer_nobody_answers_takes_the_time_limit_branch(testbed: Testbed) -> None:
    inbound = flow(
        action("xfer", "TransferParticipantToThirdParty", {
            "ThirdPartyPhoneNumber": "+15555550777",
            "ThirdPartyConnectionTimeLimitSeconds": "20", "ContinueFlowExecution": "True"},
            "bye", {"CallFailed": "failed", "ConnectionTimeLimitExceeded": "late"}),
        action("failed", "MessageParticipant", {"Text": "Failed."}, "bye"),
        action("late", "MessageParticipant", {"Text": "Nobody answered."}, "bye"),
        BYE)
    centre(testbed, inbound)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    assert prompts(john) == [(20.0, "Nobody answered.")]
    [record] = testbed.records
    assert record.transferred_to_endpoint is None


async def test_a_flow_module_runs_and_returns(testbed: Testbed) -> None:
    module = flow(action("hello", "MessageParticipant", {"Text": "In the module."}, "ret"),
                  action("ret", "EndFlowModuleExecution", {}), name="Greeting")
    inbound = flow(
        action("call", "InvokeFlowModule",
               {"FlowModuleId": "arn:aws:connect:us-east-1:1:instance/abc/flow-module/Greeting"},
               "after", {"NoMatchingError": "bye"}),
        action("after", "MessageParticipant", {"Text": "Back in the flow."}, "bye"),
        BYE)
    centre(testbed, inbound, module)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    assert [text for _t, text in prompts(john)] == ["In the module.", "Back in the flow."]


async def test_an_agent_target_routes_to_that_agent_only(testbed: Testbed) -> None:
    inbound = flow(
        action("mine", "UpdateContactTargetQueue",
               {"AgentId": "arn:aws:connect:us-east-1:1:instance/abc/agent/bob"}, "transfer",
               {"NoMatchingError": "bye"}),
        action("transfer", "TransferContactToQueue", {}, "bye", {"NoMatchingError": "bye"}),
        BYE)
    centre(testbed, inbound)
    alice = MockAgent("alice", ["Support"])
    bob = MockAgent("bob", ["Support"], available_at=30)
    testbed.add_agent(alice)
    testbed.add_agent(bob)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=10))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.queue is not None and record.queue.name == "agent/bob"
    assert record.agent is not None and record.agent.username == "bob"
    assert record.agent.connected_to_agent_timestamp == testbed.wall(30)


async def test_routing_priority_puts_a_contact_ahead_in_line(testbed: Testbed) -> None:
    vip = flow(action("vip", "UpdateContactRoutingBehavior", {"QueuePriority": "1"},
                      "set-queue"), *queue_it(), BYE, name="Vip")
    plain = flow(*queue_it(), BYE, name="Plain")
    testbed.add_flow(plain, vip)
    testbed.add_queue("Support")
    testbed.add_number(NUMBER, "Plain")
    testbed.add_number("+18005550111", "Vip")
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=60))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=10))
    testbed.add_caller(MockCaller("+15555550124", dial="+18005550111", dial_at=20, talk_s=10))
    await testbed.run_until_idle()
    first, second = testbed.records
    assert second.agent is not None and second.agent.connected_to_agent_timestamp \
        == testbed.wall(60)
    assert first.agent is not None and first.agent.connected_to_agent_timestamp \
        == testbed.wall(70)


async def test_loop_prompts_in_a_queue_flow_interrupt_to_offer_a_callback(
        testbed: Testbed) -> None:
    queue_flow = flow(
        action("music", "MessageParticipantIteratively", {
            "Messages": [{"Text": "Please hold."}, {"PromptId": "hold-music"}],
            "InterruptFrequencySeconds": "30"}, None, {"NoMatchingError": "end"},
            {"MessagesInterrupted": "offer"}),
        action("offer", "MessageParticipant", {"Text": "Still busy."}, "music"),
        action("end", "EndFlowExecution", {}), name="Queue flow")
    inbound = flow(action("hook", "UpdateContactEventHooks",
                          {"EventHooks": {"CustomerQueue": "Queue flow"}}, "set-queue",
                          {"NoMatchingError": "bye"}), *queue_it(), BYE)
    centre(testbed, inbound, queue_flow)
    john = MockCaller(JOHN, dial=NUMBER, patience_s=65)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    heard = prompts(john)
    assert heard[:3] == [(0.0, "Please hold."), (0.8, "hold-music"), (5.8, "Please hold.")]
    assert (30.0, "Still busy.") in heard and (60.8, "Still busy.") in heard


async def test_actions_the_testbed_does_not_simulate_take_their_error_branch(
        testbed: Testbed) -> None:
    inbound = flow(
        action("profile", "GetCustomerProfile",
               {"ProfileRequestData": {"IdentifierName": "_phone",
                                       "IdentifierValue": "$.CustomerEndpoint.Address"}},
               "bye", {"NoMatchingError": "sorry", "NoneFoundError": "bye"}),
        action("sorry", "MessageParticipant", {"Text": "No profile."}, "stream"),
        action("stream", "UpdateContactMediaStreamingBehavior",
               {"MediaStreamingState": "Enabled", "MediaStreamType": "Audio",
                "Participants": [{"ParticipantType": "Customer",
                                  "MediaDirections": ["From", "To"]}]}, "bye"),
        BYE)
    assert not_simulated_blocks(inbound) == [("profile", "GetCustomerProfile")]
    assert pass_through_blocks(inbound) == [("stream", "UpdateContactMediaStreamingBehavior")]
    centre(testbed, inbound)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    assert [text for _t, text in prompts(john)] == ["No profile."]


def test_flow_check_lists_what_only_passes_through_and_what_is_not_simulated(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from testbed.cli import main

    document = {"Version": "2019-10-30", "StartAction": "log", "Actions": [
        action("log", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Enabled"},
               "case"),
        action("case", "GetCase", {"LinkContactToCase": "True"}, "bye",
               {"NoMatchingError": "bye"}),
        BYE]}
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(document))
    assert main(["flow", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "pass through (a trace only): log (UpdateFlowLoggingBehavior)" in out
    assert "action 'case' (GetCase) is not simulated: it takes its error branch" in out


async def test_a_lambda_behind_lambdas_invoke_api_answers_the_flow(testbed: Testbed) -> None:
    from .test_lambdas import lambda_api

    def lookup(event: dict[str, Any]) -> dict[str, str]:
        return {"tier": event["Details"]["Parameters"]["tier"]}

    inbound = flow(
        action("lookup", "InvokeLambdaFunction", {
            "LambdaFunctionARN": LAMBDA_ARN, "InvocationTimeLimitSeconds": "8",
            "LambdaInvocationAttributes": {"tier": "silver"}}, "said",
            {"NoMatchingError": "failed"}),
        action("said", "MessageParticipant", {"Text": "You are $.External.tier."}, "bye"),
        action("failed", "MessageParticipant", {"Text": "Sorry."}, "bye"),
        BYE)
    async with lambda_api({"lookup": lookup}, delay_s=0.05) as url:
        centre(testbed, inbound)
        testbed.add_lambda(LAMBDA_ARN, url)
        john = MockCaller(JOHN, dial=NUMBER)
        testbed.add_caller(john)
        await testbed.run_until_idle()
    # The clock held still while the request was in flight: no testbed time passed.
    assert prompts(john) == [(0.0, "You are silver.")]


async def test_a_remote_caller_talks_to_a_bot_over_websocket(served_testbed: Any) -> None:
    tb = served_testbed.testbed
    centre(tb, lex_flow())
    tb.add_bot("arn:aws:lex:us-east-1:111122223333:bot-alias/BOT/ALIAS",
               {"CheckBalance": ["check my balance"]})
    url = f"{served_testbed.url}/v1/endpoints/caller?number=%2B15555550123&ack=1"
    heard: list[str] = []
    async with served_testbed.session.ws_connect(url) as ws:
        await ws.send_json({"type": "dial", "to": NUMBER})
        async for frame in ws:
            message = frame.json()
            if message["type"] == "prompt":
                heard.append(message["text"])
                if message["collects_input"]:
                    await ws.send_json({"type": "say", "contact_id": message["contact_id"],
                                        "text": "check my balance"})
            elif message["type"] == "disconnected":
                break
            await ws.send_json({"type": "ack"})
    assert heard == ["How can I help you today?", "Your balance is 10."]


async def test_a_json_lambda_answer_is_read_by_nested_references(testbed: Testbed) -> None:
    inbound = flow(
        action("lookup", "InvokeLambdaFunction", {
            "LambdaFunctionARN": "profile", "ResponseValidation": {"ResponseType": "JSON"}},
            "keep", {"NoMatchingError": "bye"}),
        action("keep", "UpdateContactAttributes", {"Attributes": {
            "first": "$.External.Name.First", "order": "$.External.OrderIds.1"}}, "bye"),
        BYE)
    centre(testbed, inbound)
    testbed.add_lambda("profile", lambda event, context: {
        "Name": {"First": "Ada", "Last": "Lovelace"}, "OrderIds": ["x1", "y2"]})
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.attributes == {"first": "Ada", "order": "y2"}


async def test_a_time_adjustment_counts_as_having_waited_longer(testbed: Testbed) -> None:
    aged = flow(action("age", "UpdateContactRoutingBehavior",
                       {"QueueTimeAdjustmentSeconds": "30"}, "set-queue"), *queue_it(), BYE,
                name="Aged")
    plain = flow(*queue_it(), BYE, name="Plain")
    testbed.add_flow(plain, aged)
    testbed.add_queue("Support")
    testbed.add_number(NUMBER, "Plain")
    testbed.add_number("+18005550111", "Aged")
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=60))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=10))             # waits from 0
    testbed.add_caller(MockCaller("+15555550124", dial="+18005550111", dial_at=20,
                                  talk_s=10))                                # counts from -10
    await testbed.run_until_idle()
    first, second = testbed.records
    assert second.agent is not None and second.agent.connected_to_agent_timestamp \
        == testbed.wall(60)
    assert first.agent is not None and first.agent.connected_to_agent_timestamp \
        == testbed.wall(70)


@pytest.mark.parametrize("presses, stored", [
    ([(3, "12345678")], "1234"),          # MaximumLength 4: the rest is not stored
    ([(3, "12"), (5, "3")], "123"),       # then 5 s of silence
    ([], "Timeout"),                      # nothing keyed
])
async def test_stored_input_keeps_at_most_max_digits_or_times_out(
        testbed: Testbed, presses: list[tuple[float, str]], stored: str) -> None:
    inbound = flow(
        action("pin", "GetParticipantInput", {
            "Text": "Your PIN.", "StoreInput": "True", "InputTimeLimitSeconds": "5",
            "InputValidation": {"CustomValidation": {"MaximumLength": "4"}},
            "InputEncryption": {"EncryptionKeyId": "key", "Key": "----"}},
            "keep", {"NoMatchingError": "bye"}),
        action("keep", "UpdateContactAttributes", {"Attributes": {"pin": "$.StoredCustomerInput"}},
               "bye"),
        BYE)
    centre(testbed, inbound)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, press=presses))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.attributes == {"pin": stored}


async def test_check_hours_finds_hours_by_their_connect_arn(testbed: Testbed) -> None:
    from testbed.flows.hours import HoursOfOperation

    arn = "arn:aws:connect:us-east-1:1:instance/abc/operating-hours/hoo-123"
    testbed.add_hours(HoursOfOperation.from_connect({
        "Name": "Always", "TimeZone": "UTC", "HoursOfOperationId": "hoo-123",
        "HoursOfOperationArn": arn,
        "Config": [{"Day": day, "StartTime": {"Hours": 0, "Minutes": 0},
                    "EndTime": {"Hours": 0, "Minutes": 0}}
                   for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY",
                               "SATURDAY", "SUNDAY")]}))
    inbound = flow(
        action("hours", "CheckHoursOfOperation", {"HoursOfOperationId": arn}, "closed",
               {"NoMatchingError": "bye"}, {"True": "open", "False": "closed"}),
        action("open", "MessageParticipant", {"Text": "Open."}, "bye"),
        action("closed", "MessageParticipant", {"Text": "Closed."}, "bye"), BYE)
    centre(testbed, inbound)
    john = MockCaller(JOHN, dial=NUMBER)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    assert [text for _t, text in prompts(john)] == ["Open."]


async def test_a_flow_error_with_no_branch_leaves_its_reason_in_the_log(
        testbed: Testbed) -> None:
    inbound = flow(action("lookup", "InvokeLambdaFunction", {"LambdaFunctionARN": "nobody"},
                          "bye"), BYE)
    centre(testbed, inbound)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.disconnect_reason == "CONTACT_FLOW_DISCONNECT"
    [failed] = [e.data for e in testbed.events(record.contact_id)
                if e.kind is EventKind.FLOW_ACTION]
    assert failed[:3] == ("Inbound", "lookup", "InvokeLambda")
    assert "raised NoMatchingError and has no transition for it" in failed[3]["failed"]


# -- queue-to-queue transfers from the customer-queue flow --------------------------
BILLING_ARN = "arn:aws:connect:us-east-1:111122223333:instance/abc/queue/Billing"


def queue_to_queue_centre(tb: Testbed, target: Mapping[str, str]) -> None:
    """Calls queue in Support; its queue flow says a 1.6 s prompt, then moves the contact
    to ``target`` (DequeueContactAndTransferToQueue parameters), once: in any other
    queue the flow ends (silence)."""
    queue_flow = flow(
        action("where", "Compare", {"ComparisonValue": "$.Queue.Name"}, "end",
               {"NoMatchingCondition": "end"}, {"Support": "busy"}),
        action("busy", "MessageParticipant", {"Text": "Moving you along now."}, "move"),
        action("move", "DequeueContactAndTransferToQueue", target, "end",
               {"QueueAtCapacity": "failed", "NoMatchingError": "failed"}),
        action("failed", "MessageParticipant", {"Text": "Still waiting."}, "end"),
        action("end", "EndFlowExecution", {}), name="Queue flow")
    inbound = flow(action("hook", "UpdateContactEventHooks",
                          {"EventHooks": {"CustomerQueue": "Queue flow"}}, "set-queue",
                          {"NoMatchingError": "bye"}), *queue_it(), BYE)
    centre(tb, inbound, queue_flow)
    tb.add_queue("Billing")


def links(tb: Testbed) -> list[tuple[Any, ...]]:
    out = []
    for record in tb.records:
        ctr = record.to_ctr()
        queue, agent = ctr["Queue"], ctr["Agent"]
        out.append((ctr["InitiationMethod"], ctr["PreviousContactId"], ctr["NextContactId"],
                    queue and (queue["Name"], queue["EnqueueTimestamp"],
                               queue["DequeueTimestamp"]),
                    agent and agent["Username"], ctr["DisconnectReason"]))
    return out


async def test_dequeue_and_transfer_to_queue_moves_the_contact_to_a_new_queue_leg(
        testbed: Testbed) -> None:
    queue_to_queue_centre(testbed, {"QueueId": BILLING_ARN})
    testbed.add_agent(MockAgent("bob", ["Billing"], available_at=60))
    john = MockCaller(JOHN, dial=NUMBER, talk_s=30)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    first, second = (r.contact_id for r in testbed.records)
    assert links(testbed) == [
        ("INBOUND", None, second, ("Support", "2022-04-08T11:35:00Z", "2022-04-08T11:35:01Z"),
         None, "CONTACT_FLOW_DISCONNECT"),
        ("QUEUE_TRANSFER", first, None,
         ("Billing", "2022-04-08T11:35:01Z", "2022-04-08T11:36:00Z"), "bob",
         "CUSTOMER_DISCONNECT")]
    assert john.contact_ids == [first, second]
    assert [text for _t, text in prompts(john)] == ["Moving you along now."]


async def test_dequeue_and_transfer_to_an_agent_queue(testbed: Testbed) -> None:
    queue_to_queue_centre(testbed, {"AgentId": "arn:aws:connect:us-east-1:111122223333:"
                                               "instance/abc/agent/bob"})
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=120))
    testbed.add_agent(MockAgent("bob", ["Billing"], available_at=60))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=30))
    await testbed.run_until_idle()
    second = links(testbed)[1]
    assert (second[0], second[3][0], second[4]) == ("QUEUE_TRANSFER", "agent/bob", "bob")


async def test_dequeue_and_transfer_to_an_unknown_queue_takes_no_matching_error(
        testbed: Testbed) -> None:
    queue_to_queue_centre(testbed, {"QueueId": "Nowhere"})
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=60))
    john = MockCaller(JOHN, dial=NUMBER, talk_s=30)
    testbed.add_caller(john)
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.agent is not None and record.agent.username == "alice"
    assert [text for _t, text in prompts(john)] == ["Moving you along now.", "Still waiting."]


def test_dequeue_and_transfer_to_queue_names_a_queue_or_an_agent_not_both() -> None:
    with pytest.raises(FlowError, match="both QueueId and AgentId"):
        flow(action("move", "DequeueContactAndTransferToQueue",
                    {"QueueId": BILLING_ARN, "AgentId": "bob"}, None))
