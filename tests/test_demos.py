"""The built-in demos tell their stories, the same way every time, in every view."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from testbed import Testbed
from testbed.cli import main
from testbed.load.demos import DEMOS
from testbed.records.contact_record import ContactRecord
from testbed.server.app import create_app

from .conftest import at


async def play(tb: Testbed, name: str) -> list[ContactRecord]:
    DEMOS[name].setup(tb)
    await tb.run_until_idle()
    return tb.records


def offline_at(tb: Testbed, username: str) -> list[str]:
    """When ``username`` went Offline after logging in."""
    return [f"{tb.wall(e.timestamp_s):%H:%M:%S}" for e in tb.events()
            if e.kind == "AGENT_STATE" and e.data[0] == username and e.data[1] == "Offline"
            and e.timestamp_s > 0]


async def test_ivr_menu_routes_each_caller_by_the_key_pressed(testbed: Testbed) -> None:
    records = await play(testbed, "ivr-menu")
    routed = [(r.queue.name if r.queue else None, r.agent.username if r.agent else None,
               r.attributes.get("menu")) for r in records]
    assert routed == [("Sales", "sam", "sales"), ("Support", "sue", "support"),
                      ("Sales", "sam", "sales"), ("Support", "sue", "support"),  # silence
                      ("Support", "sue", "support"), ("Sales", "sam", "sales")]
    assert records[0].queue is not None
    assert records[0].queue.enqueue_timestamp == testbed.wall(7)  # after the 4 s + 3 s menu
    assert all(r.disconnect_reason == "CUSTOMER_DISCONNECT" for r in records)


async def test_busy_hour_offers_callbacks_while_four_wait(testbed: Testbed) -> None:
    records = await play(testbed, "busy-hour")
    callbacks = [r for r in records if r.initiation_method == "CALLBACK"]
    assert len(callbacks) == 2
    takers = [r for r in records if r.next_contact_id is not None]
    assert [r.disconnect_reason for r in takers] == ["CONTACT_FLOW_DISCONNECT"] * 2
    assert [r.initiation_timestamp.isoformat()[11:19] for r in callbacks] == ["11:37:21",
                                                                               "11:37:40"]
    # Every caller is served in the end: in the call, or called back.
    assert all(r.agent is not None for r in records if r.next_contact_id is None)
    assert records[-1].disconnect_timestamp is not None
    assert records[-1].disconnect_timestamp <= testbed.wall(15 * 60)


async def test_shift_change_early_agents_finish_their_calls_then_log_off(
        testbed: Testbed) -> None:
    records = await play(testbed, "shift-change")
    assert offline_at(testbed, "early1") == ["11:40:30"]  # 11:40:15 call end + 15 s ACW
    assert offline_at(testbed, "early2") == ["11:41:15"]
    after = [r for r in records if r.initiation_timestamp >= testbed.wall(240)]
    assert {r.agent.username for r in after if r.agent} == {"late1", "late2"}
    assert all(r.disconnect_reason == "CUSTOMER_DISCONNECT" for r in records)


async def test_transfer_sends_each_call_on_to_billing(testbed: Testbed) -> None:
    records = await play(testbed, "transfer")
    first, second, third, fourth = (r.to_ctr() for r in records)
    assert (first["Agent"]["Username"], first["Agent"]["NumberOfHolds"]) == ("alice", 1)
    assert first["Agent"]["CustomerHoldDuration"] == 30
    assert first["TransferCompletedTimestamp"] == at("11:36:30")
    assert first["NextContactId"] == third["ContactId"]
    assert (third["InitiationMethod"], third["Queue"]["Name"], third["Agent"]["Username"]) \
        == ("TRANSFER", "Billing", "bob")
    assert second["NextContactId"] == fourth["ContactId"]


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_every_demo_plays_the_same_records_at_another_speed(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", name, "--virtual", "--json"]) == 0
    virtual = json.loads(capsys.readouterr().out)
    assert main(["demo", name, "--speed", "3000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == virtual
    ended = max(r["DisconnectTimestamp"] for r in virtual)
    assert ended <= at("11:50:00")  # a few minutes of contact-centre time


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_every_demo_plays_in_the_live_view(name: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", name, "--live", "--virtual"]) == 0
    lines = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    assert lines[0].startswith(f"{name} (virtual time): {DEMOS[name].summary}")
    assert any(line.startswith("Queues") for line in lines)
    assert any(line.startswith("Latest events") for line in lines)
    assert "Contact records" in " ".join(lines)


@pytest.mark.parametrize("name", sorted(DEMOS))
async def test_every_demo_plays_in_the_dashboards_view(testbed: Testbed, name: str) -> None:
    testbed.clock.pause()
    DEMOS[name].setup(testbed)
    async with TestServer(create_app(testbed), host="127.0.0.1", port=0) as server, \
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http, \
            http.ws_connect(server.make_url("/v1/events?view=1")) as ws:
        await ws.receive_json()  # the VIEW at the start
        testbed.clock.resume()
        await testbed.run_until_idle()
        kinds = set()
        while "COMPLETED" not in kinds or "TICK" not in kinds:
            kinds.add((await ws.receive_json())["kind"])
        done = len([r for r in testbed.records if r.disconnect_timestamp is not None])
    assert done == len(testbed.records) > 0


def test_the_demo_list_names_every_demo(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = capsys.readouterr().out
    for demo in DEMOS.values():
        assert f"  {demo.name:<18} " in out
