"""Flows built in Python, described in Connect's flow language and sent back unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from testbed import Testbed
from testbed.flows import (
    Block,
    CheckHours,
    CheckQueueStatus,
    Compare,
    Condition,
    CreateCallback,
    CreateTask,
    Disconnect,
    Distribute,
    EndFlow,
    EndModule,
    Flow,
    GetBotInput,
    GetCustomerInput,
    InvokeLambda,
    InvokeModule,
    Loop,
    LoopPrompts,
    NotSimulated,
    PlayPrompt,
    SetAttributes,
    SetEventHook,
    SetWorkingQueue,
    StoreCustomerInput,
    TransferQueueToQueue,
    TransferToFlow,
    TransferToPhone,
    TransferToQueue,
    UpdateContact,
    Wait,
)

from .connect_calls import call

END = "end"
#: One block of every kind the testbed has, each with values other than the defaults.
BLOCKS: list[Block] = [
    PlayPrompt(id="hello", text="Welcome to Example.", duration_s=4, next="menu"),
    GetCustomerInput(id="menu", text="Press 1.", duration_s=2, timeout_s=7,
                     conditions={"1": "store", "2": END}, errors={"InputTimeLimitExceeded": END}),
    StoreCustomerInput(id="store", text="Your number?", duration_s=3, timeout_s=9,
                       max_digits=12, terminator="*", phone_format="Local", country_code="GB",
                       next="attrs", errors={"InvalidPhoneNumber": END}),
    SetAttributes(id="attrs", attributes={"tier": "gold", "said": "$.StoredCustomerInput"},
                  next="queue"),
    SetWorkingQueue(id="queue", queue="Sales", next="agent-queue"),
    SetWorkingQueue(id="agent-queue", queue="alice", agent=True, next="hook",
                    errors={"NoMatchingError": END}),
    SetEventHook(id="hook", hook="CustomerQueue", flow="Music", next="compare"),
    Compare(id="compare", value="$.Attributes.tier",
            conditions=(Condition("Equals", "gold", "loop"),
                        Condition("TextStartsWith", "sil", "wait")),
            errors={"NoMatchingCondition": END}),
    Loop(id="loop", count=3, loop="wait", next="metric"),
    Wait(id="wait", duration_s=12, next="loop", errors={"NoMatchingError": END}),
    CheckQueueStatus(id="metric", metric="OldestContactInQueueAgeSeconds", queue="Sales",
                     conditions=(Condition("NumberGreaterThan", "60", "callback"),),
                     errors={"NoMatchingCondition": "hours"}),
    CreateCallback(id="callback", queue="Sales", initial_delay_s=90, max_retries=2,
                   retry_interval_s=120, next="hours", errors={"NoMatchingError": END}),
    CheckHours(id="hours", hours="Weekdays",
               conditions=(Condition("Equals", "True", "split"),
                           Condition("Equals", "False", "prompts"))),
    Distribute(id="split", conditions=(Condition("NumberLessThan", "30", "lambda"),
                                       Condition("NumberLessThan", "100", "bot"))),
    InvokeLambda(id="lambda", function="arn:aws:lambda:us-east-1:123456789012:function:crm",
                 parameters={"caller": "$.CustomerEndpoint.Address"}, time_limit_s=6,
                 response_type="JSON", next="bot", errors={"NoMatchingError": END}),
    GetBotInput(id="bot", bot="arn:aws:lex:us-east-1:123456789012:bot-alias/B/A",
                text="How can I help?", duration_s=2, timeout_s=8,
                session_attributes={"x": "1"}, intents={"Balance": "task"},
                errors={"NoMatchingCondition": "prompts"}),
    CreateTask(id="task", flow="Music", name="Follow up", description="Call back",
               attributes={"k": "v"}, delay_s=300, next="phone"),
    TransferToPhone(id="phone", number="+15555550199", timeout_s=25, continue_flow=True,
                    caller_id="+18005550100", next="module",
                    errors={"ConnectionTimeLimitExceeded": END}),
    InvokeModule(id="module", module="Survey", next="update"),
    UpdateContact(id="update", action="TagContact", values={"Tags": {"team": "sales"}},
                  next="not-simulated"),
    NotSimulated(id="not-simulated", action="CreateCase", next="prompts",
                 errors={"NoMatchingError": "prompts"}),
    LoopPrompts(id="prompts", prompts=(("Please hold.", None), ("Still there?", None)),
                interrupt_s=20, interrupted="transfer", errors={"NoMatchingError": END}),
    TransferToQueue(id="transfer", next=END, errors={"QueueAtCapacity": "q2q"}),
    TransferQueueToQueue(id="q2q", queue="Sales", next=END, errors={"NoMatchingError": "to"}),
    TransferToFlow(id="to", flow="Music", next=END),
    Disconnect(id=END),
]


def centre(tb: Testbed) -> None:
    tb.add_flow(Flow.of("Music", [PlayPrompt(id="music", text="Music.", next="done"),
                                  EndFlow(id="done")]))
    tb.add_flow(Flow.of("Survey", [PlayPrompt(id="ask", text="Thanks.", next="back"),
                                   EndModule(id="back")]))
    tb.add_flow(Flow.of("Everything", BLOCKS))
    tb.add_queue("Sales")
    tb.add_hours("Weekdays", "UTC", {"MONDAY": "09:00-17:00"})


async def described(client: Any, tb: Testbed, name: str) -> str:
    answer = await call(client, "describe_contact_flow", InstanceId=tb.instance.instance_id,
                        ContactFlowId=tb.instance.id_of("contact-flow", name))
    content: str = answer["ContactFlow"]["Content"]
    return content


async def test_every_block_comes_back_as_it_was(testbed: Testbed, connect_client: Any) -> None:
    centre(testbed)
    before = testbed.switchboard.flows["Everything"]

    content = await described(connect_client, testbed, "Everything")
    await call(connect_client, "update_contact_flow_content",
               InstanceId=testbed.instance.instance_id,
               ContactFlowId=testbed.instance.id_of("contact-flow", "Everything"),
               Content=content)

    after = testbed.switchboard.flows["Everything"]
    assert after is not before
    assert after.start == before.start
    # The importer gives a LoopPrompts' prompts the length their text takes to say.
    assert {k: b for k, b in after.blocks.items() if k != "prompts"} == \
        {k: b for k, b in before.blocks.items() if k != "prompts"}
    prompts = after.blocks["prompts"]
    assert isinstance(prompts, LoopPrompts)
    assert [text for text, _s in prompts.prompts] == ["Please hold.", "Still there?"]


async def test_references_are_written_as_the_instances_arns(testbed: Testbed,
                                                            connect_client: Any) -> None:
    centre(testbed)

    content = json.loads(await described(connect_client, testbed, "Everything"))

    by_id = {a["Identifier"]: a["Parameters"] for a in content["Actions"]}
    arn_of = testbed.instance.arn_of
    assert by_id["queue"] == {"QueueId": arn_of("queue", "Sales")}
    assert by_id["agent-queue"] == {"AgentId": "alice"}  # no such user (yet): a name
    assert by_id["hook"] == {"EventHooks": {"CustomerQueue": arn_of("contact-flow", "Music")}}
    assert by_id["hours"] == {"HoursOfOperationId": arn_of("operating-hours", "Weekdays")}
    assert by_id["module"] == {"FlowModuleId": arn_of("contact-flow", "Survey")}
    assert by_id["attrs"]["Attributes"]["said"] == "$.StoredCustomerInput"


async def test_prompt_lengths_go_to_the_testbeds_action_metadata(testbed: Testbed,
                                                                 connect_client: Any) -> None:
    centre(testbed)

    content = json.loads(await described(connect_client, testbed, "Everything"))

    settings = content["Metadata"]["ActionMetadata"]
    assert settings["hello"] == {"testbed": {"duration_s": 4}}
    assert settings["bot"] == {"testbed": {"timeout_s": 8, "duration_s": 2}}
    assert "hours" not in settings


async def test_a_flow_with_a_block_of_its_own_kind_cannot_be_shown(
        testbed: Testbed, connect_client: Any) -> None:
    class Beep(Block):
        pass

    testbed.add_flow(Flow.of("Custom", [Beep(id="beep")]))
    with pytest.raises(connect_client.exceptions.InvalidRequestException) as raised:
        await described(connect_client, testbed, "Custom")
    assert "'beep'" in raised.value.response["Error"]["Message"]
    assert "Beep" in raised.value.response["Error"]["Message"]
