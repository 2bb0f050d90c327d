"""Agent status detail: desktop states, since, contact and totals, in process and over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import (
    AgentContact,
    AgentDetail,
    AgentState,
    DesktopState,
    EventKind,
    Flow,
    QueueRouting,
    SetWorkingQueue,
    Testbed,
    TransferToQueue,
)
from testbed.pytest_plugin import ServedTestbed
from testbed.records.contact_record import format_timestamp_ms
from testbed.records.metrics import realtime

from .conftest import JANE, JOHN

NUMBER = "+18005550100"


def centre(tb: Testbed) -> None:
    """A number straight into queue Support (and a Sales queue no call reaches)."""
    tb.add_flow(Flow.of("Inbound", [SetWorkingQueue(id="q", queue="Support", next="t"),
                                    TransferToQueue(id="t")]))
    tb.add_queue("Support")
    tb.add_queue("Sales")
    tb.add_number(NUMBER, "Inbound")


def view(detail: AgentDetail) -> tuple[str, str, str, float, str | None]:
    """State, switchboard state, since (as /v1/events shows it), since_s, contact state."""
    contact = detail.contact
    return (detail.state, detail.agent_state, format_timestamp_ms(detail.since),
            detail.since_s, None if contact is None else contact.state)


async def alice_through_a_day(tb: Testbed) -> MockAgent:
    """Alice: Available at 10; John (dialling at 40) is offered and accepted at 45, held
    from 75 to 95, hangs up at 165; wrap-up until 180; Break at 200 (set by hand),
    Available at 260; Jane's offer at 300 goes unanswered (Missed at 320); Offline at
    340.  Returns the agent, with nothing run yet."""
    centre(tb)
    alice = MockAgent("alice", {"Support": 1, "Sales": (2, 30)}, available_at=10,
                      accept_after_s=5, hold=[(30, 20)], acw_s=15)
    tb.add_agent(alice)
    tb.add_caller(MockCaller(JOHN, dial=NUMBER, dial_at=40, talk_s=120))
    tb.add_caller(MockCaller(JANE, dial=NUMBER, dial_at=300))
    tb.clock.call_at(200, alice.set_status, "Break")
    tb.clock.call_at(260, alice.go_available)
    tb.clock.call_at(290, setattr, alice, "accept_after_s", None)
    tb.clock.call_at(340, alice.go_offline)
    return alice


# -- in process -------------------------------------------------------------------


async def test_an_agent_who_has_just_connected_is_offline(testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=None))

    [detail] = testbed.agents

    assert detail == AgentDetail(
        username="alice", state="Offline", agent_state="Offline", since=testbed.wall(0),
        since_s=0.0, contact=None, next_status=None, connected=True,
        routing_profile={"Support": QueueRouting(1, 0.0)}, totals_s={"Offline": 0.0})


async def test_each_desktop_state_with_its_since_and_contact(testbed: Testbed) -> None:
    await alice_through_a_day(testbed)
    seen: dict[float, tuple[str, str, str, float, str | None]] = {}
    for t in (5, 20, 40, 50, 80, 100, 170, 190, 210, 270, 310, 330, 350):
        await testbed.run_until(t)
        seen[t] = view(testbed.agent_status("alice"))

    assert seen == {
        5: ("Offline", "Offline", "2022-04-08T11:35:00.000Z", 0.0, None),
        20: ("Available", "Available", "2022-04-08T11:35:10.000Z", 10.0, None),
        40: ("Incoming", "Available", "2022-04-08T11:35:40.000Z", 40.0, "QUEUED"),
        50: ("Busy", "Busy", "2022-04-08T11:35:45.000Z", 45.0, "CONNECTED"),
        80: ("OnHold", "Busy", "2022-04-08T11:36:15.000Z", 75.0, "ON_HOLD"),
        100: ("Busy", "Busy", "2022-04-08T11:36:35.000Z", 95.0, "CONNECTED"),
        170: ("AfterContactWork", "AfterContactWork", "2022-04-08T11:37:45.000Z", 165.0,
              "ENDED"),
        190: ("Available", "Available", "2022-04-08T11:38:00.000Z", 180.0, None),
        210: ("Break", "Break", "2022-04-08T11:38:20.000Z", 200.0, None),
        270: ("Available", "Available", "2022-04-08T11:39:20.000Z", 260.0, None),
        310: ("Incoming", "Available", "2022-04-08T11:40:00.000Z", 300.0, "QUEUED"),
        330: ("Missed", "Missed", "2022-04-08T11:40:20.000Z", 320.0, None),
        350: ("Offline", "Offline", "2022-04-08T11:40:40.000Z", 340.0, None),
    }


async def test_the_contact_is_named_with_its_queue(testbed: Testbed) -> None:
    await alice_through_a_day(testbed)
    await testbed.run_until(80)
    [john_id] = [r.contact_id for r in testbed.records]
    assert testbed.agent_status("alice").contact == AgentContact(john_id, "Support", "ON_HOLD")
    await testbed.run_until(330)
    jane_id = testbed.records[1].contact_id
    # A missed offer names the contact; it is no longer the agent's, so no live state.
    assert testbed.agent_status("alice").contact == AgentContact(jane_id, "Support", None)


async def test_totals_add_up_the_seconds_in_each_state(testbed: Testbed) -> None:
    await alice_through_a_day(testbed)
    await testbed.run_until(400)

    detail = testbed.agent_status("alice")

    assert detail.totals_s == {
        "Offline": 10.0 + 60.0, "Available": 30.0 + 20.0 + 40.0, "Incoming": 5.0 + 20.0,
        "Busy": 30.0 + 70.0, "OnHold": 20.0, "AfterContactWork": 15.0, "Break": 60.0,
        "Missed": 20.0}
    assert sum(detail.totals_s.values()) == 400.0


async def test_totals_mid_state_count_up_to_now(testbed: Testbed) -> None:
    await alice_through_a_day(testbed)
    await testbed.run_until(85.5)

    assert testbed.agent_status("alice").totals_s == {
        "Offline": 10.0, "Available": 30.0, "Incoming": 5.0, "Busy": 30.0, "OnHold": 10.5}


async def test_a_hang_up_on_hold_ends_the_hold_in_after_contact_work(testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(10, 100)], acw_s=None))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=30))

    await testbed.run_until(45)
    detail = testbed.agent_status("alice")

    assert view(detail) == ("AfterContactWork", "AfterContactWork",
                            "2022-04-08T11:35:30.000Z", 30.0, "ENDED")
    assert detail.totals_s == {"Offline": 0.0, "Available": 0.0, "Incoming": 0.0,
                               "Busy": 10.0, "OnHold": 20.0, "AfterContactWork": 15.0}


async def test_a_status_set_on_a_call_is_the_next_status_until_the_wrap_up_ends(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], acw_s=10)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=60))
    testbed.clock.call_at(30, alice.set_status, "Lunch")

    await testbed.run_until(40)
    on_call = testbed.agent_status("alice")
    await testbed.run_until(80)
    after = testbed.agent_status("alice")

    assert (on_call.state, on_call.next_status) == ("Busy", "Lunch")
    assert (after.state, after.since_s, after.next_status) == ("Lunch", 70.0, None)
    assert after.totals_s == {"Offline": 0.0, "Available": 0.0, "Incoming": 0.0,
                              "Busy": 60.0, "AfterContactWork": 10.0, "Lunch": 10.0}


async def test_a_missed_offer_with_a_next_status_passes_through_missed_at_once(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], accept_after_s=None)
    testbed.add_agent(alice)
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, patience_s=100))
    testbed.clock.call_at(5, alice.set_status, "Training")

    await testbed.run_until(30)
    detail = testbed.agent_status("alice")

    assert view(detail) == ("Training", "Training", "2022-04-08T11:35:20.000Z", 20.0, None)
    assert detail.totals_s == {"Offline": 0.0, "Available": 0.0, "Incoming": 20.0,
                               "Missed": 0.0, "Training": 10.0}


async def test_a_rejected_offer_leaves_the_agent_rejected(testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], reject=True))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, dial_at=3, patience_s=100))

    await testbed.run_until(10)

    detail = testbed.agent_status("alice")
    assert (detail.state, detail.since_s) == ("Rejected", 3.0)
    assert detail.contact is not None and detail.contact.queue == "Support"


async def test_an_offer_withdrawn_by_a_caller_who_hangs_up_leaves_the_agent_available(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], accept_after_s=None))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, dial_at=2, patience_s=8))

    await testbed.run_until(15)

    detail = testbed.agent_status("alice")
    assert (detail.state, detail.since_s, detail.contact) == ("Available", 10.0, None)
    assert detail.totals_s == {"Offline": 0.0, "Available": 2.0 + 5.0, "Incoming": 8.0}


async def test_an_agent_who_disconnected_is_listed_offline_with_totals_to_the_disconnect(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=5))
    testbed.add_agent(MockAgent("bob", ["Sales"]))
    await testbed.run_until(50)
    testbed.switchboard.disconnect_agent("alice")
    await testbed.run_until(500)

    alice, bob = testbed.agents

    assert (alice.username, alice.state, alice.since_s, alice.connected) == (
        "alice", "Offline", 50.0, False)
    assert (alice.routing_profile, alice.next_status) == (None, None)
    assert alice.totals_s == {"Offline": 5.0, "Available": 45.0}
    assert (bob.username, bob.state, bob.connected, bob.totals_s) == (
        "bob", "Available", True, {"Offline": 0.0, "Available": 500.0})


async def test_an_agent_who_set_offline_before_disconnecting_is_offline_since_then(
        testbed: Testbed) -> None:
    centre(testbed)
    alice = MockAgent("alice", ["Support"], offline_at=20)
    testbed.add_agent(alice)
    await testbed.run_until(30)
    testbed.switchboard.disconnect_agent("alice")

    detail = testbed.agent_status("alice")

    assert (detail.state, detail.since_s, detail.connected) == ("Offline", 20.0, False)
    assert detail.totals_s == {"Offline": 10.0, "Available": 20.0}


async def test_an_unknown_agent_is_a_key_error_naming_them(testbed: Testbed) -> None:
    centre(testbed)
    with pytest.raises(KeyError, match="'nobody'"):
        testbed.agent_status("nobody")
    assert testbed.agents == []


def test_desktop_states_are_the_agent_states_and_two_more() -> None:
    assert [s.value for s in DesktopState] == [
        "Offline", "Available", "Incoming", "Busy", "OnHold", "AfterContactWork", "Missed",
        "Rejected", "Error"]
    assert {s.value for s in DesktopState} - {s.value for s in AgentState} == {
        "Incoming", "OnHold"}


async def test_an_agent_whose_line_fails_on_a_call_is_in_error_until_they_reconnect(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, dial_at=10))
    await testbed.run_until(40)
    testbed.switchboard.disconnect_agent("alice")
    await testbed.run_until(70)
    failed = testbed.agent_status("alice")
    testbed.add_agent(MockAgent("alice", ["Support"], available_at=None))
    await testbed.run_until(100)
    back = testbed.agent_status("alice")

    [record] = testbed.records
    assert view(failed) == ("Error", "Error", "2022-04-08T11:35:40.000Z", 40.0, None)
    assert failed.contact == AgentContact(record.contact_id, "Support", None)
    assert (failed.connected, failed.routing_profile) == (False, None)
    assert (back.state, back.since_s, back.connected) == ("Offline", 70.0, True)
    assert back.totals_s == {"Offline": 30.0, "Available": 10.0, "Incoming": 0.0,
                             "Busy": 30.0, "AfterContactWork": 0.0, "Error": 30.0}
    assert (record.disconnect_reason, record.disconnect_timestamp) == (
        "AGENT_DISCONNECT", testbed.wall(40))
    states = [(e.timestamp_s, e.data) for e in testbed.events()
              if e.kind is EventKind.AGENT_STATE]
    assert states[-3:] == [(40.0, ("alice", "AfterContactWork", record.contact_id)),
                           (40.0, ("alice", "Error", record.contact_id)),
                           (70.0, ("alice", "Offline", None))]
    service = testbed.record_service
    assert service is not None
    assert realtime(testbed.wall(0), service.entries(), 50).agents == {"Error": 1}


async def test_an_agent_whose_line_fails_on_hold_is_in_error(testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], hold=[(5, 60)]))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER))
    await testbed.run_until(20)
    testbed.switchboard.disconnect_agent("alice")

    detail = testbed.agent_status("alice")

    assert (detail.state, detail.since_s) == ("Error", 20.0)
    [record] = testbed.records
    agent = record.to_ctr()["Agent"]
    assert (agent["NumberOfHolds"], agent["CustomerHoldDuration"]) == (1, 15)


async def test_an_agent_whose_line_fails_in_after_contact_work_is_offline(
        testbed: Testbed) -> None:
    centre(testbed)
    testbed.add_agent(MockAgent("alice", ["Support"], acw_s=None))
    testbed.add_caller(MockCaller(JOHN, dial=NUMBER, talk_s=10))
    await testbed.run_until(20)
    testbed.switchboard.disconnect_agent("alice")

    detail = testbed.agent_status("alice")

    assert (detail.state, detail.since_s, detail.connected) == ("Offline", 20.0, False)


# -- over HTTP -------------------------------------------------------------------------


async def get(served: ServedTestbed, path: str) -> tuple[int, Any]:
    async with served.session.get(f"{served.url}{path}") as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def test_agents_over_http_match_the_python_view(served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    await alice_through_a_day(tb)
    await tb.run_until(80)

    status, listing = await get(served_testbed, "/v1/agents")
    one_status, one = await get(served_testbed, "/v1/agents/alice")

    assert (status, one_status) == (200, 200)
    assert listing == [one] == [tb.agent_status("alice").to_json()]
    [contact_id] = [c.contact_id for c in tb.records]
    assert one == {
        "username": "alice", "state": "OnHold", "agent_state": "Busy",
        "since": "2022-04-08T11:36:15.000Z", "since_s": 75.0,
        "contact": {"contact_id": contact_id, "queue": "Support", "state": "ON_HOLD"},
        "next_status": None, "connected": True,
        "routing_profile": [{"queue": "Support", "priority": 1, "delay_s": 0.0},
                            {"queue": "Sales", "priority": 2, "delay_s": 30.0}],
        "totals_s": {"Offline": 10.0, "Available": 30.0, "Incoming": 5.0, "Busy": 30.0,
                     "OnHold": 5.0}}


async def test_a_desktop_on_a_websocket_sees_itself_listed(
        served_testbed: ServedTestbed) -> None:
    tb, session, url = served_testbed.testbed, served_testbed.session, served_testbed.url
    centre(tb)
    tb.clock.pause()
    agent_url = (f"{url}/v1/endpoints/agent?username=desk&queues=Support,Sales"
                 f"&priorities=1,3&delays=0,15")
    async with session.ws_connect(agent_url) as ws:
        await ws.send_json({"type": "set_status", "status": "Break"})
        frame = await ws.receive_json()
        assert (frame["type"], frame["state"]) == ("agent_status", "Break")
        await ws.send_json({"type": "set_status", "status": "Available"})
        await ws.receive_json()
        await tb.advance(12.5)
        async with session.get(f"{url}/v1/agents/desk") as response:
            desk = await response.json()
    assert (desk["state"], desk["since_s"], desk["connected"]) == ("Available", 0.0, True)
    assert desk["routing_profile"] == [{"queue": "Support", "priority": 1, "delay_s": 0.0},
                                       {"queue": "Sales", "priority": 3, "delay_s": 15.0}]
    assert desk["totals_s"] == {"Offline": 0.0, "Break": 0.0, "Available": 12.5}
    await tb.advance(1)  # the server hears the socket close
    status, [gone] = await get(served_testbed, "/v1/agents")
    assert status == 200
    assert (gone["username"], gone["state"], gone["since_s"], gone["connected"]) == (
        "desk", "Offline", 12.5, False)
    assert gone["totals_s"] == {"Offline": 0.0, "Break": 0.0, "Available": 12.5}


async def test_a_desktop_whose_socket_drops_on_a_call_is_listed_in_error(
        served_testbed: ServedTestbed) -> None:
    tb, session, url = served_testbed.testbed, served_testbed.session, served_testbed.url
    centre(tb)
    async with session.ws_connect(f"{url}/v1/endpoints/agent?username=desk&queues=Support"
                                  f"&ack=1") as ws:
        await ws.send_json({"type": "set_status", "status": "Available"})
        tb.add_caller(MockCaller(JOHN, dial=NUMBER, dial_at=5))
        async for frame in ws:
            message = frame.json()
            if message["type"] == "offered":
                await ws.send_json({"type": "accept", "contact_id": message["contact_id"]})
            if message["type"] == "connected":
                break  # the desktop goes away mid-call, without a hang-up or a status
            await ws.send_json({"type": "ack"})
    await tb.advance(10)
    status, desk = await get(served_testbed, "/v1/agents/desk")
    [record] = tb.records
    assert status == 200
    assert (desk["state"], desk["agent_state"], desk["connected"]) == ("Error", "Error", False)
    assert desk["contact"] == {"contact_id": record.contact_id, "queue": "Support",
                               "state": None}
    assert record.disconnect_reason == "AGENT_DISCONNECT"
    assert tb.wall(desk["since_s"]) == record.disconnect_timestamp


async def test_an_unknown_agent_is_404_naming_them(served_testbed: ServedTestbed) -> None:
    centre(served_testbed.testbed)
    status, text = await get(served_testbed, "/v1/agents/nobody")
    assert (status, text) == (404, "no agent 'nobody' has connected")
    status, text = await get(served_testbed, "/v1/agents/" + "x" * 5000)
    assert (status, text) == (404, f"no agent {'x' * 200!r}... (5000 characters) has connected")
    assert await get(served_testbed, "/v1/agents") == (200, [])


@pytest.mark.parametrize(("path", "status"), [
    ("/v1/agents/" + "x" * 5000, 404),
    ("/v1/agents/" + "x" * 9000, 400),  # past the longest request line the server reads
    ("/v1/agents/a%2Fb", 404),
    ("/v1/agents/%2F", 404),
    ("/v1/agents/..%2F..%2Fclock", 404),
    ("/v1/agents/%00", 404),
    ("/v1/agents/%E2%98%83", 404),
    ("/v1/agents/%ZZ", 404),
    ("/v1/agents/alice/extra", 404),
])
async def test_hostile_usernames_are_answered_cleanly(served_testbed: ServedTestbed,
                                                      path: str, status: int) -> None:
    tb = served_testbed.testbed
    centre(tb)
    tb.add_agent(MockAgent("alice", ["Support"]))
    answer, text = await get(served_testbed, path)
    assert answer == status
    assert len(text) < 400 and "Traceback" not in text


async def test_a_username_with_a_slash_is_found_url_encoded(
        served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    centre(tb)
    tb.add_agent(MockAgent("team/a b", ["Support"]))
    status, detail = await get(served_testbed, "/v1/agents/team%2Fa%20b")
    assert (status, detail["username"]) == (200, "team/a b")


async def test_many_agents_are_listed_by_username(served_testbed: ServedTestbed) -> None:
    tb = served_testbed.testbed
    centre(tb)
    for i in range(300):
        tb.add_agent(MockAgent(f"agent{i:03d}", ["Support"], available_at=i % 7))
    await tb.run_until(60)

    status, listing = await get(served_testbed, "/v1/agents")

    assert status == 200
    assert [a["username"] for a in listing] == [f"agent{i:03d}" for i in range(300)]
    assert {a["state"] for a in listing} == {"Available"}
    assert [a["since_s"] for a in listing[:8]] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0]
    assert all(sum(a["totals_s"].values()) == 60.0 for a in listing)
