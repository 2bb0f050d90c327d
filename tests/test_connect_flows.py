"""Amazon Connect flow-language import: the seed's flows as JSON, and bad flows named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakes import MockAgent, MockCaller
from testbed import FlowError, Testbed
from testbed.flows.connect import load_flow, load_flow_files
from testbed.load.demos import SERVICE_NUMBER, setup_queued_callback

from .conftest import JOHN

SEED_FLOWS = Path(__file__).resolve().parent.parent / "scripts" / "flows" / "queued-callback"


async def test_seed_flows_imported_from_json_give_the_same_records(testbed: Testbed) -> None:
    testbed.add_flow(*load_flow_files(sorted(SEED_FLOWS.glob("*.json"))))
    testbed.add_queue("InboundQueue")
    testbed.add_queue("CallbackQueue", outbound_whisper_flow="OutboundWhisper")
    testbed.add_number(SERVICE_NUMBER, "Inbound")
    testbed.add_agent(MockAgent("alex", ["InboundQueue", "CallbackQueue"], available_at=240.0))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0.0, callback_after_s=120,
                                  answer_after_s=0, talk_s=335))
    await testbed.run_until_idle()
    imported = testbed.records_json()

    async with Testbed() as built_in:
        setup_queued_callback(built_in)
        await built_in.run_until_idle()
    assert imported == built_in.records_json()


def _flow(*actions: dict[str, object], start: str = "a") -> dict[str, object]:
    return {"Version": "2019-10-30", "StartAction": start, "Actions": list(actions)}


def test_unsupported_action_type_is_named_with_its_identifier_and_file(tmp_path: Path) -> None:
    path = tmp_path / "inbound.json"
    path.write_text(json.dumps(_flow(
        {"Identifier": "a", "Type": "SendCarrierPigeon", "Parameters": {},
         "Transitions": {}})))
    with pytest.raises(FlowError) as info:
        load_flow(path)
    message = str(info.value)
    assert "inbound.json" in message and "'a'" in message
    assert "unsupported Type 'SendCarrierPigeon'" in message


def test_a_missing_required_parameter_is_named_with_the_action(tmp_path: Path) -> None:
    path = tmp_path / "inbound.json"
    path.write_text(json.dumps(_flow(
        {"Identifier": "a", "Type": "InvokeLambdaFunction", "Parameters": {},
         "Transitions": {}})))
    with pytest.raises(FlowError, match=r"inbound.json'\: action 'a' \(InvokeLambdaFunction\) "
                                        r"needs the parameter 'LambdaFunctionARN'"):
        load_flow(path)


def test_transition_to_a_missing_action_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(_flow(
        {"Identifier": "a", "Type": "MessageParticipant", "Parameters": {"Text": "hi"},
         "Transitions": {"NextAction": "nowhere"}})))
    with pytest.raises(FlowError, match=r"action 'a' \(MessageParticipant\) goes to 'nowhere'"):
        load_flow(path)


@pytest.mark.parametrize(("document", "says"), [
    ("{not json", "not valid JSON"),
    ('{"Version": "2017-01-01", "StartAction": "a", "Actions": []}', "Version '2017-01-01'"),
    (json.dumps(_flow({"Identifier": "a", "Type": "DisconnectParticipant"}, start="zz")),
     "StartAction 'zz'"),
])
def test_malformed_flows_are_refused(tmp_path: Path, document: str, says: str) -> None:
    path = tmp_path / "flow.json"
    path.write_text(document)
    with pytest.raises(FlowError, match=says):
        load_flow(path)


def test_prompt_length_comes_from_the_text_at_150_words_a_minute() -> None:
    flow = load_flow(_flow(
        {"Identifier": "a", "Type": "MessageParticipant",
         "Parameters": {"SSML": "<speak>Five words are spoken here.<break time=\"2s\"/></speak>"},
         "Transitions": {"NextAction": "b"}},
        {"Identifier": "b", "Type": "DisconnectParticipant"}), name="t")
    assert flow.blocks["a"].duration_s == 5 / 2.5 + 2  # type: ignore[attr-defined]


async def test_a_bad_flow_leaves_the_running_testbed_untouched(testbed: Testbed,
                                                               tmp_path: Path) -> None:
    setup_queued_callback(testbed)
    await testbed.run_until("2022-04-08T11:36:00Z")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_flow({"Identifier": "a", "Type": "Teleport"})))
    with pytest.raises(FlowError):
        testbed.add_flow(load_flow(bad))
    await testbed.run_until_idle()
    assert [r.to_ctr()["DisconnectReason"] for r in testbed.records] == \
        ["CONTACT_FLOW_DISCONNECT", "CUSTOMER_DISCONNECT"]


FLOWS = SEED_FLOWS.parent


async def test_ivr_menu_routes_by_digit_and_falls_back_after_two_retries(
        testbed: Testbed) -> None:
    testbed.add_flow(load_flow(FLOWS / "ivr-menu" / "Main.json"))
    for queue in ("Sales", "Support"):
        testbed.add_queue(queue)
    testbed.add_number(SERVICE_NUMBER, "Main")
    testbed.add_agent(MockAgent("sam", ["Sales"]))
    testbed.add_agent(MockAgent("sue", ["Support"]))
    # The menu listens from 11:35:04 (after a 4 s welcome) for 6 + 5 s.
    testbed.add_caller(MockCaller("+15555550001", dial=SERVICE_NUMBER, press=[(5, "1")],
                                  talk_s=30))
    testbed.add_caller(MockCaller("+15555550002", dial=SERVICE_NUMBER, press=[(5, "2")],
                                  talk_s=30))
    testbed.add_caller(MockCaller("+15555550003", dial=SERVICE_NUMBER, dial_at=60, talk_s=30))

    await testbed.run_until_idle()

    sales, support, silent = (r.to_ctr() for r in testbed.records)
    assert (sales["Queue"]["Name"], sales["Queue"]["EnqueueTimestamp"],
            sales["Agent"]["Username"], sales["Attributes"]) == \
        ("Sales", "2022-04-08T11:35:05Z", "sam", {"menu": "sales"})
    assert (support["Queue"]["Name"], support["Agent"]["Username"]) == ("Support", "sue")
    # Silent: the menu plays three times (11:36:04, :15, :26), then support at 11:36:37.
    assert (silent["Queue"]["Name"], silent["Queue"]["EnqueueTimestamp"],
            silent["Attributes"]) == ("Support", "2022-04-08T11:36:37Z", {"menu": "support"})


def _busy_centre(tb: Testbed) -> None:
    tb.add_flow(*load_flow_files(sorted((FLOWS / "busy-callback").glob("*.json"))))
    tb.add_queue("Support")
    tb.add_queue("Callbacks")
    tb.add_number(SERVICE_NUMBER, "Inbound")
    tb.add_agent(MockAgent("cal", ["Callbacks"]))


async def test_callback_is_offered_after_a_minute_in_a_quiet_queue(testbed: Testbed) -> None:
    _busy_centre(testbed)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=1, talk_s=20))

    await testbed.run_until_idle()

    inbound, callback = (r.to_ctr() for r in testbed.records)
    assert inbound["DisconnectTimestamp"] == "2022-04-08T11:36:00Z"
    assert (callback["InitiationTimestamp"], callback["Queue"]["EnqueueTimestamp"],
            callback["Agent"]["ConnectedToAgentTimestamp"], callback["DisconnectTimestamp"]) == \
        ("2022-04-08T11:36:00Z", "2022-04-08T11:36:30Z", "2022-04-08T11:36:30Z",
         "2022-04-08T11:36:50Z")


async def test_callback_is_offered_at_once_when_more_than_two_wait(testbed: Testbed) -> None:
    _busy_centre(testbed)
    for i in range(3):
        testbed.add_caller(MockCaller(f"+1555555010{i}", dial=SERVICE_NUMBER, dial_at=i,
                                      patience_s=120))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=10, callback_after_s=0,
                                  talk_s=20))

    await testbed.run_until_idle()

    records = {r.customer_endpoint: r.to_ctr() for r in testbed.records
               if r.initiation_method == "INBOUND"}
    john = records[JOHN]
    assert john["DisconnectTimestamp"] == "2022-04-08T11:35:10Z"
    callback = next(r.to_ctr() for r in testbed.records if r.contact_id == john["NextContactId"])
    assert callback["Queue"]["EnqueueTimestamp"] == "2022-04-08T11:35:40Z"
    assert [records[f"+1555555010{i}"]["DisconnectReason"] for i in range(3)] == \
        ["CUSTOMER_DISCONNECT"] * 3
