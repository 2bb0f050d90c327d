"""``--dashboard``, ``--paused`` and ``--live`` on the command line."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from testbed.cli import main

SCENARIOS = Path(__file__).resolve().parent.parent / "scripts" / "scenarios"


async def _start(*argv: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", *argv, "--dashboard", "--port", "0",
        stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    while line := (await process.stdout.readline()).decode():
        if line.startswith("dashboard: "):
            return process, line.split()[1]
    raise AssertionError(f"no dashboard URL (status {await process.wait()})")


async def test_a_load_run_waits_for_its_page_then_plays_and_reports() -> None:
    process, url = await _start("load", str(SCENARIOS / "mmc.toml"), "--callers", "50",
                                "--virtual")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}v1/clock") as response:
            clock = await response.json()
        assert (clock["now_s"], clock["paused"]) == (0.0, True)  # waiting for the page
        async with http.ws_connect(f"{url}v1/events?view=1") as ws:
            view = await ws.receive_json()
            assert [q["queue"] for q in view["queues"]] == ["Support"]
            async for _frame in ws:  # the page follows the run until the server stops
                pass
    assert process.stdout is not None
    report = (await process.stdout.read()).decode()
    assert await process.wait() == 0
    assert "M/M/6: 50 callers" in report


async def test_a_paused_demo_moves_only_when_told() -> None:
    process, url = await _start("demo", "transfer", "--paused")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{url}v1/events?view=1") as ws:
                assert (await ws.receive_json())["clock"]["now_s"] == 0.0
            async with http.post(f"{url}v1/clock",
                                 json={"action": "run_until",
                                       "until": "2022-04-08T11:36:30Z"}) as response:
                assert (await response.json())["paused"] is True
            async with http.get(f"{url}v1/contacts") as response:
                records = await response.json()
        assert [r["InitiationMethod"] for r in records] == ["INBOUND", "INBOUND", "TRANSFER"]
    finally:
        process.terminate()
        await process.wait()


def test_paused_without_a_dashboard_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "queued-callback", "--paused"])
    assert info.value.code == 2
    assert "--paused needs --dashboard" in capsys.readouterr().err


def test_a_port_in_use_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as info:
            main(["demo", "queued-callback", "--dashboard", "--port", str(port)])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"testbed: error: --port {port}: cannot serve the dashboard")


def test_load_live_shows_the_panels_then_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", str(SCENARIOS / "mmc.toml"), "--callers", "200", "--live"]) == 0
    lines = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    assert any(line.startswith("Agents (6: ") for line in lines)
    assert any(line.split()[:2] == ["Support", "0"] for line in lines)  # nobody waits at the end
    assert any("M/M/6: 200 callers" in line for line in lines)
