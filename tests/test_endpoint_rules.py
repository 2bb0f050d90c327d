"""What endpoints may and may not do: wrong-state and foreign-contact messages are refused."""

from __future__ import annotations

from fakes import MockAgent, MockCaller
from testbed import Testbed
from testbed.core.messages import (
    Accept,
    Dial,
    Error,
    Hangup,
    Offered,
    SendDigits,
    SetStatus,
)
from testbed.load.demos import SERVICE_NUMBER

from .conftest import JANE, JOHN, seed_centre


async def test_accept_with_nothing_offered_is_refused(testbed: Testbed) -> None:
    seed_centre(testbed)
    line = testbed.connect_agent("alice", ["InboundQueue"])
    line.send(Accept("no-such-contact"))
    error = await line.receive()
    assert isinstance(error, Error)
    assert error.code == "bad_state"
    assert error.field == "contact_id" and error.contact_id == "no-such-contact"
    assert "not offered to agent 'alice'" in error.detail


async def test_hanging_up_twice_is_refused_the_second_time(testbed: Testbed) -> None:
    seed_centre(testbed)
    john = MockCaller(JOHN, dial=SERVICE_NUMBER)
    testbed.add_caller(john)
    await testbed.advance(1)

    [contact_id] = john.contact_ids
    john.hang_up(contact_id)
    john.hang_up(contact_id)
    await testbed.advance(1)

    assert [e.code for e in john.errors] == ["unknown_contact"]
    [record] = testbed.records
    assert record.disconnect_reason == "CUSTOMER_DISCONNECT"
    assert record.disconnect_timestamp == testbed.wall(1)


async def test_caller_cannot_act_on_another_callers_contact(testbed: Testbed) -> None:
    seed_centre(testbed)
    john = testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))
    assert isinstance(john, MockCaller)
    jane = MockCaller(JANE)
    testbed.add_caller(jane)
    await testbed.advance(1)

    [johns_call] = john.contact_ids
    jane.hang_up(johns_call)
    jane.send_digits(johns_call, "1")
    await testbed.advance(1)

    assert [e.code for e in jane.errors] == ["unknown_contact", "unknown_contact"]
    [record] = testbed.records
    assert not record.complete  # John's call goes on


async def test_agent_cannot_hang_up_a_contact_offered_to_someone_else(testbed: Testbed) -> None:
    seed_centre(testbed)
    alice = MockAgent("alice", ["InboundQueue"], accept_after_s=None)
    testbed.add_agent(alice)
    mallory = testbed.connect_agent("mallory", ["InboundQueue"])
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))
    await testbed.advance(1)

    [offered] = alice.messages(Offered)
    mallory.send(Accept(offered.contact_id))
    mallory.send(Hangup(offered.contact_id))
    await testbed.advance(1)

    codes = []
    while True:
        message = await mallory.receive()
        if isinstance(message, Error):
            codes.append(message.code)
            if len(codes) == 2:
                break
    assert codes == ["bad_state", "bad_state"]
    [record] = testbed.records
    assert record.queue is not None and record.queue.dequeue_timestamp is None


async def test_digits_when_nothing_listens_are_refused(testbed: Testbed) -> None:
    seed_centre(testbed)
    john = MockCaller(JOHN, dial=SERVICE_NUMBER, press=[(45, "1")])  # during hold music
    testbed.add_caller(john)
    await testbed.advance(60)
    assert [e.code for e in john.errors] == ["bad_state"]
    assert "not collecting input" in john.errors[0].detail
    [record] = testbed.records
    assert record.next_contact_id is None


async def test_unknown_number_and_status_are_refused_naming_the_value(testbed: Testbed) -> None:
    seed_centre(testbed)
    phone = testbed.connect_phone(JOHN)
    phone.send(Dial("+19999999999"))
    error = await phone.receive()
    assert isinstance(error, Error) and "'+19999999999'" in error.detail
    agent = testbed.connect_agent("alice", ["InboundQueue"])
    agent.send(SetStatus("Napping"))
    error = await agent.receive()
    assert isinstance(error, Error) and "'Napping'" in error.detail
    agent.send(SendDigits("x", "1"))
    error = await agent.receive()
    assert isinstance(error, Error) and "cannot send 'send_digits'" in error.detail
    assert testbed.records == []
