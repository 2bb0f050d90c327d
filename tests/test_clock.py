"""The testbed clock: exact deadlines, deterministic order, pause and advance, wall time."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from fakes import MockAgent, MockCaller
from testbed import Clock, ConfigError, Testbed
from testbed.core.loop import network_time
from testbed.core.messages import Connected, Message
from testbed.load.demos import SERVICE_NUMBER, setup_queued_callback

from .conftest import JOHN, seed_centre

pytestmark = pytest.mark.testbed


async def test_timers_with_the_same_deadline_fire_in_scheduling_order() -> None:
    loop = asyncio.get_running_loop()
    fired: list[str] = []
    for name in "abcdef":
        loop.call_later(5, fired.append, name)
    loop.call_later(1, fired.append, "first")
    async with Testbed() as tb:
        await tb.run_until_idle()
    assert fired == ["first", "a", "b", "c", "d", "e", "f"]


async def test_messages_take_their_turn_among_other_callbacks() -> None:
    # The seed centre's 10 s agent whisper joins John and alice at 11:35:10; alice hangs
    # up 60 s later.  The test's 70 s sleep was scheduled before her hang-up timer, so
    # at 11:36:10 the test wakes first and sees the call still on; the hang-up,
    # posted after its wake-up was queued, is handled next.
    async with Testbed() as tb:
        seed_centre(tb)
        tb.add_agent(MockAgent("alice", ["InboundQueue"], talk_s=60))
        tb.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER))
        await asyncio.sleep(70)
        [before] = tb.records
        await tb.clock.settle()
        [after] = tb.records
    assert before.disconnect_timestamp is None
    assert after.to_ctr()["DisconnectTimestamp"] == "2022-04-08T11:36:10Z"


async def test_virtual_time_jumps_to_exact_deadlines() -> None:
    async with Testbed(start="2030-01-01T00:00:00Z") as tb:
        await asyncio.sleep(3600.25)
        assert tb.now == 3600.25
        assert tb.wall() == datetime(2030, 1, 1, 1, 0, 0, 250000, tzinfo=UTC)


async def test_paused_clock_moves_only_when_advanced() -> None:
    async with Testbed(paused=True) as tb:
        fired: list[float] = []
        tb.clock.call_later(10, lambda: fired.append(tb.now))
        tb.clock.call_later(40, lambda: fired.append(tb.now))
        await asyncio.sleep(0)
        assert tb.now == 0 and fired == []
        await tb.advance(30)
        assert tb.now == 30 and fired == [10]
        await tb.run_until("2022-04-08T11:36:00Z")
        assert tb.now == 60 and fired == [10, 40]


async def test_paused_scenario_stops_between_advances() -> None:
    async with Testbed(paused=True) as tb:
        setup_queued_callback(tb)
        await tb.advance(200)
        assert [r.complete for r in tb.records] == [True, False]
        tb.clock.resume()
        await tb.run_until_idle()
        assert [r.complete for r in tb.records] == [True, True]


@pytest.mark.parametrize("speed", [0, -3, float("nan"), "fast", True])
async def test_bad_speed_is_refused_naming_the_value(speed: object) -> None:
    with pytest.raises(ConfigError, match="speed") as info:
        Testbed(speed=speed)  # type: ignore[arg-type]
    assert repr(speed) in str(info.value)


async def test_bad_start_is_refused_naming_the_value() -> None:
    with pytest.raises(ConfigError, match="'yesterday'"):
        async with Testbed(start="yesterday"):
            pass


async def test_leaving_the_testbed_restores_the_loop_pacing() -> None:
    loop = asyncio.get_running_loop()
    before = loop.speed  # type: ignore[attr-defined]
    async with Testbed(speed=120, paused=True):
        assert loop.speed == 120  # type: ignore[attr-defined]
    assert loop.speed == before  # type: ignore[attr-defined]
    assert not loop.paused  # type: ignore[attr-defined]


async def test_wall_clock_bridge_shows_testbed_time_to_code_under_test() -> None:
    seen: list[tuple[datetime, float]] = []

    def desktop(agent: MockAgent, message: Message) -> None:
        # Code under test reading the wall clock when the customer is joined.
        if isinstance(message, Connected):
            seen.append((datetime.now(UTC), time.time()))

    async with Testbed(wall_clock=True) as tb:
        seed_centre(tb)
        tb.add_agent(MockAgent("agent", ["CallbackQueue"], available_at=240, on_message=desktop))
        tb.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, callback_after_s=120, talk_s=335))
        await tb.run_until_idle()
    [(now, epoch_s)] = seen
    assert now == datetime(2022, 4, 8, 11, 39, 25, tzinfo=UTC)
    assert epoch_s == now.timestamp()


async def test_wall_clock_is_real_again_after_the_testbed_closes() -> None:
    async with Testbed(start="2001-01-01T00:00:00Z", wall_clock=True):
        assert datetime.now(UTC).year == 2001
    assert datetime.now(UTC).year > 2001


async def test_testbed_refuses_a_foreign_event_loop() -> None:
    async def main() -> None:
        async with Testbed():
            pass

    def other_loop() -> None:
        asyncio.run(main())

    with pytest.raises(ConfigError, match=r"testbed\.run"):
        await asyncio.get_running_loop().run_in_executor(None, other_loop)


def test_clock_current_outside_a_loop_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        Clock.current()


async def test_mock_fakes_run_without_tasks() -> None:
    async with Testbed() as tb:
        setup_queued_callback(tb)
        for i in range(50):
            tb.add_caller(MockCaller(f"+1555000{i:04d}", dial="+18005550100", dial_at=i,
                                     patience_s=30))
        await tb.advance(100)
        assert len(asyncio.all_tasks()) == 1  # only this test
        await tb.run_until_idle()


async def test_concurrent_advances_each_return_at_their_own_target() -> None:
    async with Testbed(paused=True) as tb:
        returned: list[tuple[str, float]] = []

        async def advance(name: str, seconds: float) -> None:
            await tb.advance(seconds)
            returned.append((name, tb.now))

        await asyncio.gather(advance("ten", 10), advance("twenty", 20), advance("again", 10))
        assert sorted(returned) == [("again", 10.0), ("ten", 10.0), ("twenty", 20.0)]


async def test_advance_returns_when_the_clock_is_resumed_meanwhile() -> None:
    async with Testbed(paused=True) as tb:
        tb.clock.call_at(50, tb.clock.resume)
        tb.clock.call_at(500, lambda: None)
        await tb.advance(100)
        assert tb.now == 100


async def test_paused_clock_with_an_open_socket_still_reports_idle() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    try:
        async with Testbed(paused=True) as tb:
            await tb.run_until_idle()
            assert tb.now == 0
    finally:
        server.close()
        await server.wait_closed()


async def test_virtual_clock_waits_for_a_busy_worker_thread() -> None:
    def work() -> float:
        return sum(i * i for i in range(200_000))  # a few real milliseconds

    async with Testbed() as tb:
        tb.clock.call_later(10, lambda: None)
        await asyncio.get_running_loop().run_in_executor(None, work)
        assert tb.now == 0


@pytest.mark.testbed
async def test_network_timers_never_move_a_virtual_clock() -> None:
    async with Testbed() as tb:
        loop = tb.clock.loop
        with network_time():
            keepalive = loop.call_later(3630, lambda: None)  # a server's idle timeout
        fired: list[float] = []
        tb.clock.call_at(10, lambda: fired.append(tb.now))
        await tb.run_until_idle()
        assert fired == [10.0]
        assert tb.now == 10.0  # not 3630: the clock never jumps to a network timer
        assert not keepalive.cancelled()
        keepalive.cancel()

