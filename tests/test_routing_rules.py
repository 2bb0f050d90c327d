"""Queue, routing and agent rules, each with exact timestamps."""

from __future__ import annotations

from fakes import MockAgent, MockCaller
from testbed import (
    EventHook,
    Flow,
    PlayPrompt,
    QueueRouting,
    SetEventHook,
    SetWorkingQueue,
    Testbed,
    TransferToQueue,
)
from testbed.core.messages import AgentStatus, Disconnected, Error, Offered, Ringing
from testbed.load.demos import SERVICE_NUMBER

from .conftest import JANE, JOHN, at, seed_centre

SALES = "+18005550111"


def _two_queues(tb: Testbed, whisper_s: float = 0) -> None:
    """Two numbers, each straight into its own queue (Support, Sales)."""
    blocks = []
    if whisper_s:
        tb.add_flow(Flow.of("Whisper", [PlayPrompt(id="w", text="whisper", duration_s=whisper_s)]))
        blocks.append(SetEventHook(id="hook", hook=EventHook.AGENT_WHISPER, flow="Whisper",
                                   next="q"))
    for queue, number in (("Support", SERVICE_NUMBER), ("Sales", SALES)):
        tb.add_flow(Flow.of(queue, [*blocks,
                                    SetWorkingQueue(id="q", queue=queue, next="t"),
                                    TransferToQueue(id="t")]))
        tb.add_queue(queue)
        tb.add_number(number, queue)


async def test_agent_takes_the_best_priority_before_the_oldest_contact(testbed: Testbed) -> None:
    _two_queues(testbed)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0, talk_s=60))
    testbed.add_caller(MockCaller(JANE, dial=SALES, dial_at=30, talk_s=60))
    testbed.add_agent(MockAgent("alice", {"Sales": 1, "Support": 2}, available_at=100))

    await testbed.run_until_idle()

    support, sales = (r.to_ctr() for r in testbed.records)
    # Jane (Sales, priority 1) first although John (Support) waited longer.
    assert sales["Queue"]["DequeueTimestamp"] == at("11:36:40")
    assert support["Queue"]["DequeueTimestamp"] == at("11:37:40")


async def test_routing_delay_holds_a_contact_back_from_that_agent(testbed: Testbed) -> None:
    _two_queues(testbed)
    testbed.add_agent(MockAgent("backup", {"Support": QueueRouting(priority=1, delay_s=45)},
                                available_at=0))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=10, talk_s=60))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    assert record["Queue"]["EnqueueTimestamp"] == at("11:35:10")
    assert record["Queue"]["DequeueTimestamp"] == at("11:35:55")  # 45 s later
    assert record["Agent"]["Username"] == "backup"


async def test_an_agent_without_delay_answers_first(testbed: Testbed) -> None:
    _two_queues(testbed)
    testbed.add_agent(MockAgent("backup", {"Support": (1, 45)}, available_at=0))
    testbed.add_agent(MockAgent("main", ["Support"], available_at=20))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=10, talk_s=60))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    assert record["Queue"]["DequeueTimestamp"] == at("11:35:20")
    assert record["Agent"]["Username"] == "main"


async def test_rejecting_agent_leaves_routing_and_the_contact_keeps_its_place(
        testbed: Testbed) -> None:
    _two_queues(testbed)
    grumpy = MockAgent("grumpy", ["Support"], available_at=0, reject=True)
    testbed.add_agent(grumpy)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=10, talk_s=30))
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=20, talk_s=30))
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=50))

    await testbed.run_until_idle()

    john, jane = (r.to_ctr() for r in testbed.records)
    assert grumpy.state == "Rejected"
    assert (john["Agent"]["Username"], john["Queue"]["DequeueTimestamp"]) == \
        ("alice", at("11:35:50"))
    assert jane["Queue"]["DequeueTimestamp"] == at("11:36:20")  # after John's 30 s call


async def test_after_contact_work_times_out_when_the_agent_does_not_end_it(
        testbed: Testbed) -> None:
    _two_queues(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=0, acw_s=None,
                                acw_timeout_s=90))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0, talk_s=60))
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=10, talk_s=60))

    await testbed.run_until_idle()

    john, jane = (r.to_ctr() for r in testbed.records)
    assert john["Agent"]["AfterContactWorkStartTimestamp"] == at("11:36:00")
    assert john["Agent"]["AfterContactWorkEndTimestamp"] == at("11:37:30")
    assert jane["Queue"]["DequeueTimestamp"] == at("11:37:30")


async def test_agent_on_break_gets_no_contacts_until_available(testbed: Testbed) -> None:
    _two_queues(testbed)
    alice = MockAgent("alice", ["Support"], available_at=0)
    testbed.add_agent(alice)
    testbed.clock.call_at(5, alice.set_status, "Lunch")
    testbed.clock.call_at(300, alice.go_available)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=10, talk_s=60))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    assert record["Queue"]["DequeueTimestamp"] == at("11:40:00")


async def test_unknown_custom_status_is_refused_naming_the_allowed_ones(
        testbed: Testbed) -> None:
    _two_queues(testbed)
    alice = MockAgent("alice", ["Support"], available_at=None)
    testbed.add_agent(alice)
    alice.set_status("Napping")
    await testbed.advance(1)
    [error] = alice.errors
    assert isinstance(error, Error)
    assert "unknown status 'Napping'" in error.detail and "'Break'" in error.detail


async def test_customer_hanging_up_during_the_agent_whisper(testbed: Testbed) -> None:
    _two_queues(testbed, whisper_s=10)
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=0))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, patience_s=5))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    assert record["Queue"]["DequeueTimestamp"] == at("11:35:00")
    assert record["DisconnectTimestamp"] == at("11:35:05")
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["Agent"]["Username"] == "alice"
    assert record["Agent"]["ConnectedToAgentTimestamp"] is None
    assert record["Agent"]["AfterContactWorkStartTimestamp"] == at("11:35:05")


async def test_whisper_is_cut_at_two_minutes(testbed: Testbed) -> None:
    _two_queues(testbed, whisper_s=300)
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=0))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, talk_s=10))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    assert record["Agent"]["ConnectedToAgentTimestamp"] == at("11:37:00")


async def test_caller_hanging_up_while_the_callback_offer_plays(testbed: Testbed) -> None:
    seed_centre(testbed)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, patience_s=65))

    await testbed.run_until_idle()

    [record] = (r.to_ctr() for r in testbed.records)
    assert record["DisconnectTimestamp"] == at("11:36:05")
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["NextContactId"] is None


async def test_agent_hanging_up_while_the_callback_rings(testbed: Testbed) -> None:
    seed_centre(testbed)
    alice = MockAgent("alice", ["CallbackQueue"], available_at=0)
    testbed.add_agent(alice)
    john = MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, answer_after_s=None)
    testbed.add_caller(john)
    # The callback queues at 11:38:39; alice's 10 s whisper ends and John's phone
    # rings from 11:38:49.  Nobody answers; alice gives up at 11:39:00.
    await testbed.run_until("2022-04-08T11:39:00Z")
    [offered] = alice.messages(Offered)
    alice.hang_up(offered.contact_id)
    await testbed.run_until_idle()

    [_inbound, callback] = (r.to_ctr() for r in testbed.records)
    assert callback["DisconnectTimestamp"] == at("11:39:00")
    assert callback["DisconnectReason"] == "AGENT_DISCONNECT"
    assert callback["ConnectedToSystemTimestamp"] is None
    assert [type(m).__name__ for m in john.messages(Ringing)] == ["Ringing"]
    assert john.messages(Disconnected)[-1].contact_id == offered.contact_id


async def test_caller_leaving_while_offered_frees_the_agent_in_place(testbed: Testbed) -> None:
    _two_queues(testbed)
    alice = MockAgent("alice", ["Support"], available_at=0, accept_after_s=10, talk_s=30)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0, patience_s=5))
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=60, talk_s=20))

    await testbed.run_until_idle()

    john, jane = (r.to_ctr() for r in testbed.records)
    assert (john["DisconnectTimestamp"], john["DisconnectReason"], john["Agent"]) == \
        (at("11:35:05"), "CUSTOMER_DISCONNECT", None)
    assert [o.contact_id for o in alice.messages(Offered)] == [john["ContactId"],
                                                               jane["ContactId"]]
    assert jane["Queue"]["DequeueTimestamp"] == at("11:36:10")
    assert alice.errors == []  # the late accept of John's offer was never sent


async def test_prompt_without_a_duration_lasts_as_long_as_its_text(testbed: Testbed) -> None:
    testbed.add_flow(Flow.of("In", [
        PlayPrompt(id="hello", text="Thank you for calling, your call matters to us today.",
                   next="q"),  # ten words at 150 a minute: 4 s
        SetWorkingQueue(id="q", queue="Support", next="t"),
        TransferToQueue(id="t"),
    ]))
    testbed.add_queue("Support")
    testbed.add_number(SERVICE_NUMBER, "In")
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, patience_s=10))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.queue is not None and record.queue.enqueue_timestamp == testbed.wall(4)


async def test_unresolved_flow_reference_takes_the_error_branch(testbed: Testbed) -> None:
    testbed.add_flow(Flow.of("In", [
        SetEventHook(id="hook", hook=EventHook.AGENT_WHISPER, flow="Missing", next="q",
                     errors={"NoMatchingError": "sorry"}),
        SetWorkingQueue(id="q", queue="Support", next="t"),
        TransferToQueue(id="t"),
        PlayPrompt(id="sorry", text="Sorry.", duration_s=2),
    ]))
    testbed.add_queue("Support")
    testbed.add_number(SERVICE_NUMBER, "In")
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))
    await testbed.run_until_idle()
    [record] = testbed.records
    assert record.queue is None
    assert (record.disconnect_timestamp, record.disconnect_reason) == \
        (testbed.wall(2), "CONTACT_FLOW_DISCONNECT")


async def test_missed_offer_keeps_the_contacts_place_in_line(testbed: Testbed) -> None:
    _two_queues(testbed)
    testbed.add_agent(MockAgent("sleepy", ["Support"], available_at=0, accept_after_s=None))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0, talk_s=30))
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=10, talk_s=30))
    testbed.add_agent(MockAgent("alert", ["Support"], available_at=40))

    await testbed.run_until_idle()

    john, jane = (r.to_ctr() for r in testbed.records)
    # John's offer to sleepy timed out at 11:35:20; he was still first when alert came.
    assert john["Queue"]["DequeueTimestamp"] == at("11:35:40")
    assert jane["Queue"]["DequeueTimestamp"] == at("11:36:10")


async def test_offline_agent_gets_no_contacts(testbed: Testbed) -> None:
    _two_queues(testbed)
    alice = MockAgent("alice", ["Support"], available_at=0, offline_at=5)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=10, patience_s=100))

    await testbed.run_until_idle()

    [record] = testbed.records
    assert record.agent is None and record.disconnect_reason == "CUSTOMER_DISCONNECT"
    assert alice.state == "Offline" and alice.messages(Offered) == []


async def test_an_agent_whose_shift_ends_mid_call_goes_offline_after_wrapping_up(
        testbed: Testbed) -> None:
    _two_queues(testbed)
    alice = MockAgent("alice", ["Support"], available_at=0, offline_at=60, acw_s=10)
    testbed.add_agent(alice)
    testbed.add_agent(MockAgent("bob", ["Support"], available_at=300))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, talk_s=120))
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=100, talk_s=30))

    await testbed.run_until_idle()

    # Offline at 11:36:00 was taken as alice's next status: no error, the call went
    # on, and after her wrap-up (11:37:00-11:37:10) she went Offline, not Available.
    assert alice.errors == [] and alice.state == "Offline"
    assert testbed.record_service is not None
    alice_states = [(t, data[1]) for t, _cid, kind, data in testbed.record_service.entries()
                    if kind == "AGENT_STATE" and data[0] == "alice"]
    assert alice_states == [(0.0, "Offline"), (0.0, "Available"), (0.0, "Busy"),
                            (120.0, "AfterContactWork"), (130.0, "Offline")]
    john, jane = (r.to_ctr() for r in testbed.records)
    assert john["Agent"]["Username"] == "alice"
    assert john["Agent"]["AfterContactWorkEndTimestamp"] == at("11:37:10")
    # Jane, queued since 11:36:40, was left for bob at 11:40:00.
    assert jane["Agent"]["Username"] == "bob"
    assert jane["Queue"]["DequeueTimestamp"] == at("11:40:00")


async def test_a_status_set_during_an_offer_applies_when_the_offer_is_missed(
        testbed: Testbed) -> None:
    _two_queues(testbed)
    sleepy = MockAgent("sleepy", ["Support"], available_at=0, accept_after_s=None)
    testbed.add_agent(sleepy)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, patience_s=60))
    testbed.clock.call_at(5, sleepy.set_status, "Break")

    await testbed.run_until_idle()

    # The offer (11:35:00) timed out at 11:35:20: Missed, then the Break asked for.
    assert sleepy.errors == []
    assert [m.state for m in sleepy.messages(AgentStatus)][-2:] == ["Missed", "Break"]
    assert sleepy.state == "Break"


async def test_available_while_busy_takes_back_a_next_status(testbed: Testbed) -> None:
    _two_queues(testbed)
    alice = MockAgent("alice", ["Support"], available_at=0)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, talk_s=60))
    testbed.clock.call_at(10, alice.set_status, "Lunch")
    testbed.clock.call_at(20, alice.go_available)

    await testbed.run_until_idle()

    assert alice.errors == [] and alice.state == "Available"
