"""Callback rules: scheduled delay, dial-out retries, offers that time out."""

from __future__ import annotations

from fakes import MockAgent, MockCaller
from testbed import (
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
from testbed.core.messages import CallStarted, Dial, Disconnected, Hangup, Message, Offered, Ringing
from testbed.load.demos import SERVICE_NUMBER
from testbed.records.metrics import realtime

from .conftest import JANE, JOHN, at


def _callback_centre(tb: Testbed, *, delay_s: float = 0, retries: int = 0,
                     interval_s: float = 300, queue: str | None = "Callbacks") -> None:
    """Calls queue in Support; the queue flow offers a callback at once, into ``queue``
    (None: back into Support).  Callbacks has a 4 s outbound whisper."""
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
            CreateCallback(id="cb", queue=queue, initial_delay_s=delay_s, max_retries=retries,
                           retry_interval_s=interval_s, next="bye"),
            Disconnect(id="bye"),
        ]),
        Flow.of("Hello", [PlayPrompt(id="hi", text="Your callback.", duration_s=4)]),
    )
    tb.add_queue("Support")
    tb.add_queue("Callbacks", outbound_whisper_flow="Hello")
    tb.add_number(SERVICE_NUMBER, "In")


def _john_answering_the_second_ring() -> MockCaller:
    """John takes the callback offer after 2 minutes and answers only its second ring."""

    def answer_second_ring(caller: MockCaller, message: Message) -> None:
        if isinstance(message, Ringing) and len(caller.messages(Ringing)) == 2:
            caller.answer(message.contact_id)

    return MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, answer_after_s=None,
                      talk_s=100, on_message=answer_second_ring)


async def test_unanswered_callback_is_retried_then_ends(testbed: Testbed) -> None:
    _callback_centre(testbed, retries=1, interval_s=300)
    testbed.add_agent(MockAgent("alice", ["Callbacks"], available_at=0))
    john = MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, answer_after_s=None)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    _inbound, callback = (r.to_ctr() for r in testbed.records)
    # Rang at 11:37:00 and 11:42:30 (after 30 s of ringing and the 300 s interval).
    assert [t for t, m in john.heard if isinstance(m, Ringing)] == [120.0, 450.0]
    assert callback["Queue"]["EnqueueTimestamp"] == at("11:42:30")
    assert callback["Queue"]["Duration"] == 330
    assert callback["ConnectedToSystemTimestamp"] is None
    assert callback["DisconnectTimestamp"] == at("11:43:00")
    assert callback["DisconnectReason"] == "TELECOM_UNANSWERED"


async def test_no_retries_means_one_dial_attempt(testbed: Testbed) -> None:
    _callback_centre(testbed, retries=0)
    testbed.add_agent(MockAgent("alice", ["Callbacks"], available_at=0))
    john = MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, answer_after_s=None)
    testbed.add_caller(john)

    await testbed.run_until_idle()

    assert len(john.messages(Ringing)) == 1
    _inbound, callback = (r.to_ctr() for r in testbed.records)
    assert callback["DisconnectTimestamp"] == at("11:37:30")


async def test_callback_answered_on_the_second_attempt(testbed: Testbed) -> None:
    _callback_centre(testbed, retries=2, interval_s=60)
    testbed.add_agent(MockAgent("alice", ["Callbacks"], available_at=0))
    testbed.add_caller(_john_answering_the_second_ring())

    await testbed.run_until_idle()

    _inbound, callback = (r.to_ctr() for r in testbed.records)
    # Ring 1 at 11:37:00 (no answer by 11:37:30), queued again at 11:38:30, answered at once.
    assert callback["ConnectedToSystemTimestamp"] == at("11:38:30")
    assert callback["Agent"]["ConnectedToAgentTimestamp"] == at("11:38:34")
    assert callback["DisconnectTimestamp"] == at("11:40:14")
    assert callback["DisconnectReason"] == "CUSTOMER_DISCONNECT"


async def test_an_offer_that_times_out_uses_no_retry(testbed: Testbed) -> None:
    _callback_centre(testbed, retries=0)
    testbed.add_agent(MockAgent("sleepy", ["Callbacks"], available_at=0, accept_after_s=None))
    testbed.add_agent(MockAgent("alice", ["Callbacks"], available_at=10))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, talk_s=60))

    await testbed.run_until_idle()

    _inbound, callback = (r.to_ctr() for r in testbed.records)
    # sleepy let the 11:37:00 offer time out; alice took it at 11:37:20 and John answered.
    assert callback["Queue"]["DequeueTimestamp"] == at("11:37:20")
    assert callback["Agent"]["Username"] == "alice"
    assert callback["ConnectedToSystemTimestamp"] == at("11:37:20")
    assert callback["DisconnectReason"] == "CUSTOMER_DISCONNECT"


async def test_callback_waits_as_scheduled_not_in_queue(testbed: Testbed) -> None:
    _callback_centre(testbed, delay_s=600)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120))
    await testbed.run_until("2022-04-08T11:40:00Z")
    assert testbed.record_service is not None
    now = realtime(testbed.wall(0), testbed.record_service.entries(), testbed.now)
    support = now.queues["Callbacks"]
    assert (support.contacts_scheduled, support.contacts_in_queue) == (1, 0)
    await testbed.run_until("2022-04-08T11:47:00Z")
    now = realtime(testbed.wall(0), testbed.record_service.entries(), testbed.now)
    assert (now.queues["Callbacks"].contacts_scheduled,
            now.queues["Callbacks"].contacts_in_queue) == (0, 1)


async def test_agent_of_an_unanswered_attempt_cannot_end_the_retried_callback(
        testbed: Testbed) -> None:
    _callback_centre(testbed, retries=1, interval_s=60)
    alice = MockAgent("alice", ["Callbacks"], available_at=0, acw_s=None)  # stays in ACW
    testbed.add_agent(alice)
    testbed.add_agent(MockAgent("bob", ["Callbacks"], available_at=100, acw_s=20))
    testbed.add_caller(_john_answering_the_second_ring())
    await testbed.run_until("2022-04-08T11:39:00Z")  # bob talks with John since 11:38:34
    callback_id = alice.messages(Offered)[0].contact_id
    alice.hang_up(callback_id)
    await testbed.run_until_idle()

    assert [e.code for e in alice.errors] == ["bad_state"]
    _inbound, callback = (r.to_ctr() for r in testbed.records)
    assert callback["Agent"]["Username"] == "bob"
    assert callback["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert callback["DisconnectTimestamp"] == at("11:40:14")
    # The wrap-up is bob's, not alice's from the first attempt.
    assert callback["Agent"]["AfterContactWorkStartTimestamp"] == at("11:40:14")
    assert callback["Agent"]["AfterContactWorkEndTimestamp"] == at("11:40:34")


async def test_callback_keeps_its_callers_place_in_line(testbed: Testbed) -> None:
    _callback_centre(testbed, delay_s=30, queue=None)
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0, callback_after_s=10,
                                  talk_s=60))
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=20, talk_s=60))
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=200))

    await testbed.run_until_idle()

    by_method = {(r.customer_endpoint, str(r.initiation_method)): r.to_ctr()
                 for r in testbed.records}
    callback = by_method[(JOHN, "CALLBACK")]
    jane = by_method[(JANE, "INBOUND")]
    # John queued at 11:35:00 and took a callback at 11:35:10, queued again at 11:35:40,
    # after Jane (11:35:20) -- yet he is served first: the callback kept his place.
    assert callback["Queue"]["EnqueueTimestamp"] == at("11:35:40")
    assert callback["Queue"]["DequeueTimestamp"] == at("11:38:20")
    assert jane["Queue"]["DequeueTimestamp"] == at("11:39:20")


async def test_transient_caller_stays_for_its_callback_and_leaves_once_it_is_over(
        testbed: Testbed) -> None:
    _callback_centre(testbed, delay_s=60)
    testbed.add_agent(MockAgent("alice", ["Callbacks"], available_at=0))
    john = MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, talk_s=30)
    testbed.add_caller(john, transient=True)
    phones = testbed.switchboard.phones

    # The inbound call ended at 11:37:00 with the callback offer; the callback waits.
    await testbed.run_until("2022-04-08T11:37:30Z")
    assert JOHN in phones and not john.line.closed

    await testbed.run_until_idle()
    # The callback rang, was answered and ended: John's phone has gone, and he heard
    # the end of the call before his line closed.
    assert JOHN not in phones and john.line.closed
    assert [m.reason for m in john.messages(Disconnected)] == [
        "CONTACT_FLOW_DISCONNECT", "CUSTOMER_DISCONNECT"]
    _inbound, callback = testbed.records
    assert callback.disconnect_reason == "CUSTOMER_DISCONNECT"


async def test_a_transient_phone_takes_nothing_after_it_hung_up(testbed: Testbed) -> None:
    # A raw transient line hangs up and redials at once: the phone is hung up with
    # its last contact, so the redial (already on its way) makes no call.
    _callback_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], talk_s=60))
    line = testbed.connect_phone(JOHN, transient=True)
    heard: list[Message] = []

    def hear(message: Message) -> None:
        heard.append(message)
        if isinstance(message, CallStarted):
            line.send(Hangup(message.contact_id))
            line.send(Dial(SERVICE_NUMBER))

    line.on_receive(hear)
    line.send(Dial(SERVICE_NUMBER))
    await testbed.run_until_idle()

    [record] = testbed.records
    assert record.disconnect_reason == "CUSTOMER_DISCONNECT"
    assert line.closed and JOHN not in testbed.switchboard.phones
    assert [type(m).__name__ for m in heard][-1] == "Disconnected"
