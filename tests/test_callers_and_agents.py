"""Scenarios beyond the seed, each with exact timestamps."""

from __future__ import annotations

from fakes import MockAgent, MockCaller
from testbed import (
    CheckQueueStatus,
    Condition,
    CreateCallback,
    Disconnect,
    EventHook,
    Flow,
    GetCustomerInput,
    PlayPrompt,
    SetEventHook,
    SetWorkingQueue,
    Testbed,
    TransferToQueue,
)
from testbed.load.demos import SERVICE_NUMBER

from .conftest import JANE, JOHN, at, seed_centre


async def test_caller_who_declines_the_callback_is_answered_by_an_agent(testbed: Testbed) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["InboundQueue"], available_at=150))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, press=[(5, "2")], talk_s=60))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    assert record["InitiationMethod"] == "INBOUND"
    assert record["Queue"] == {"Name": "InboundQueue", "EnqueueTimestamp": at("11:35:00"),
                               "DequeueTimestamp": at("11:37:30"), "Duration": 150}
    assert record["Agent"]["Username"] == "alice"
    # The inbound flow set a 10 s agent whisper.
    assert record["Agent"]["ConnectedToAgentTimestamp"] == at("11:37:40")
    assert record["DisconnectTimestamp"] == at("11:38:40")
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["NextContactId"] is None


async def test_caller_who_hangs_up_in_queue_leaves_it_as_they_disconnect(
        testbed: Testbed) -> None:
    seed_centre(testbed)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, patience_s=90))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    assert record["Queue"]["DequeueTimestamp"] == at("11:36:30")
    assert record["DisconnectTimestamp"] == at("11:36:30")
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["Agent"] is None


async def test_two_callers_and_one_agent_are_served_first_come_first_served(
        testbed: Testbed) -> None:
    seed_centre(testbed)
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=10, talk_s=100))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0, talk_s=100))
    testbed.add_agent(MockAgent("alice", ["InboundQueue"], available_at=60))

    await testbed.run_until_idle()

    john, jane = (r.to_ctr() for r in testbed.records)
    assert john["CustomerEndpoint"]["Address"] == JOHN
    assert (john["Queue"]["DequeueTimestamp"], john["Agent"]["ConnectedToAgentTimestamp"],
            john["DisconnectTimestamp"]) == (at("11:36:00"), at("11:36:10"), at("11:37:50"))
    # Jane waited; alice took her the moment John's call and its wrap-up ended.
    assert (jane["Queue"]["EnqueueTimestamp"], jane["Queue"]["DequeueTimestamp"],
            jane["Agent"]["ConnectedToAgentTimestamp"], jane["DisconnectTimestamp"]) == \
        (at("11:35:10"), at("11:37:50"), at("11:38:00"), at("11:39:40"))
    assert jane["Queue"]["Duration"] == 160


def _callback_centre(tb: Testbed, delay_s: float) -> None:
    """One queue; the queue flow offers a callback with ``delay_s`` at once."""
    tb.add_flow(
        Flow.of("In", [
            SetEventHook(id="hook", hook=EventHook.CUSTOMER_QUEUE, flow="Offer", next="q"),
            SetWorkingQueue(id="q", queue="Support", next="transfer"),
            TransferToQueue(id="transfer"),
        ]),
        Flow.of("Offer", [
            GetCustomerInput(id="ask", text="Press 1 for a callback.", duration_s=5,
                             timeout_s=3600, conditions={"1": "cb"},
                             errors={"NoMatchingError": "bye"}),
            CreateCallback(id="cb", initial_delay_s=delay_s, next="bye"),
            Disconnect(id="bye"),
        ]),
        Flow.of("Hello", [PlayPrompt(id="hi", text="Your callback.", duration_s=4)]),
    )
    tb.add_queue("Support", outbound_whisper_flow="Hello")
    tb.add_number(SERVICE_NUMBER, "In")


async def test_callback_with_no_delay_queues_the_moment_it_is_created(testbed: Testbed) -> None:
    _callback_centre(testbed, delay_s=0)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, talk_s=30))
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=200))

    await testbed.run_until_idle()

    inbound, callback = (r.to_ctr() for r in testbed.records)
    assert inbound["DisconnectTimestamp"] == at("11:37:00")
    assert callback["InitiationTimestamp"] == at("11:37:00")
    assert callback["Queue"] == {"Name": "Support", "EnqueueTimestamp": at("11:37:00"),
                                 "DequeueTimestamp": at("11:38:20"), "Duration": 80}
    # No agent whisper here; the 4 s outbound whisper plays once John answers.
    assert callback["ConnectedToSystemTimestamp"] == at("11:38:20")
    assert callback["Agent"]["ConnectedToAgentTimestamp"] == at("11:38:24")
    assert callback["DisconnectTimestamp"] == at("11:38:54")


async def test_agent_already_available_takes_the_callback_as_it_queues(
        testbed: Testbed) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("bob", ["CallbackQueue"], available_at=0))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, talk_s=335))

    await testbed.run_until_idle()

    _inbound, callback = (r.to_ctr() for r in testbed.records)
    assert callback["Queue"] == {"Name": "CallbackQueue", "EnqueueTimestamp": at("11:38:39"),
                                 "DequeueTimestamp": at("11:38:39"), "Duration": 99}
    assert callback["ConnectedToSystemTimestamp"] == at("11:38:49")
    assert callback["Agent"]["ConnectedToAgentTimestamp"] == at("11:39:04")
    assert callback["DisconnectTimestamp"] == at("11:44:39")


async def test_agent_who_hangs_up_ends_the_contact_with_agent_disconnect(
        testbed: Testbed) -> None:
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["InboundQueue"], available_at=0, talk_s=45))
    caller = testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    assert record["Agent"]["ConnectedToAgentTimestamp"] == at("11:35:10")
    assert record["DisconnectTimestamp"] == at("11:35:55")
    assert record["DisconnectReason"] == "AGENT_DISCONNECT"
    assert isinstance(caller, MockCaller) and caller.errors == []


async def test_offer_that_times_out_goes_to_the_next_agent(testbed: Testbed) -> None:
    seed_centre(testbed)
    sleepy = testbed.add_agent(MockAgent("sleepy", ["InboundQueue"], available_at=0,
                                         accept_after_s=None))
    testbed.add_agent(MockAgent("alert", ["InboundQueue"], available_at=5))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=10, talk_s=60))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    # sleepy was idle longest and got the offer at 11:35:10; it timed out after 20 s.
    assert record["Queue"]["DequeueTimestamp"] == at("11:35:30")
    assert record["Agent"]["Username"] == "alert"
    assert isinstance(sleepy, MockAgent) and sleepy.state == "Missed"


async def test_a_caller_added_after_an_agent_finds_them_available_at_the_first_instant(
        testbed: Testbed) -> None:
    # The flow turns callers away when nobody is available. Alice (Available at 0)
    # was added first, so at 11:35:00 she is there when John's call runs the flow.
    testbed.add_queue("Support")
    testbed.add_flow(Flow.of("In", [
        CheckQueueStatus(id="staffed", metric="NumberOfAgentsAvailable", queue="Support",
                         conditions=(Condition("NumberGreaterThan", "0", "queue"),),
                         errors={"NoMatchingCondition": "closed"}),
        SetWorkingQueue(id="queue", queue="Support", next="transfer"),
        TransferToQueue(id="transfer"),
        Disconnect(id="closed"),
    ]))
    testbed.add_number(SERVICE_NUMBER, "In")
    testbed.add_agent(MockAgent("alice", ["Support"]))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, talk_s=60))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert record.agent is not None and record.agent.username == "alice"
    assert record.to_ctr()["Agent"]["ConnectedToAgentTimestamp"] == at("11:35:00")
