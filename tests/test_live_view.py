"""The live terminal view: its panels at a paused instant, and ``--live`` end to end."""

from __future__ import annotations

import pytest
from rich.console import Console

from testbed import Testbed
from testbed.cli import main
from testbed.cli.live import LiveView
from testbed.load.demos import setup_queued_callback


def screen(view: LiveView) -> list[str]:
    """The view as a 100-column terminal shows it, line by line."""
    console = Console(record=True, width=100, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(view.renderable())
    console.file.close()
    return [line.rstrip() for line in console.export_text().splitlines()]


def row(lines: list[str], first: str) -> list[str]:
    [found] = [line.split() for line in lines if line.split()[:1] == [first]]
    return found


@pytest.mark.testbed(paused=True, speed=60)
async def test_at_11_38_50_the_panels_show_the_waiting_callback(testbed: Testbed) -> None:
    view = LiveView(testbed, "queued-callback")
    setup_queued_callback(testbed)
    await testbed.run_until("2022-04-08T11:38:50Z")
    lines = screen(view)
    assert "11:38:50  Fri 8 Apr 2022 UTC   x60, paused" in lines[1]
    assert row(lines, "queue") == ["queue", "in", "q", "oldest", "sched", "staff", "avail",
                                   "done", "aband", "SL20", "SL60"]
    assert row(lines, "CallbackQueue") == ["CallbackQueue", "1", "00:00:11", "0", "0", "0", "0",
                                           "0", "-", "-"]
    assert row(lines, "InboundQueue") == ["InboundQueue", "0", "0", "0", "0", "0", "0", "0%",
                                          "0%"]
    assert "Agents (1: 1 Offline)" in lines
    assert row(lines, "alex") == ["alex", "Offline", "11:35:00", "00:03:50"]
    assert lines[-1].split()[:3] == ["11:38:39.000", "f728b4fa", "ENQUEUED"]
    assert lines[-1].endswith("in queue CallbackQueue")
    view.close()


@pytest.mark.testbed(paused=True, speed=60)
async def test_at_11_39_25_the_agent_is_on_the_callback(testbed: Testbed) -> None:
    view = LiveView(testbed, "queued-callback")
    setup_queued_callback(testbed)
    await testbed.run_until("2022-04-08T11:39:25Z")
    lines = screen(view)
    assert row(lines, "CallbackQueue")[:9] == ["CallbackQueue", "0", "0", "1", "0", "1", "0",
                                               "0%", "0%"]
    assert row(lines, "alex") == ["alex", "Busy", "11:39:00", "00:00:25", "f728b4fa",
                                  "11:39:00", "Incoming"]
    assert "Agents (1: 1 Busy)" in lines
    assert lines[-1].split()[:4] == ["11:39:25.000", "f728b4fa", "CONNECTED_TO_AGENT", "alex"]
    view.close()


def test_demo_live_ends_with_the_last_frame_and_the_records(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "queued-callback", "--live", "--virtual"]) == 0
    lines = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    assert any("11:45:00  Fri 8 Apr 2022 UTC   virtual, running" in line for line in lines)
    assert "Agents (1: 1 Available)" in lines
    assert not any(line.startswith("  11:") for line in lines)  # no scrolling timeline
    assert lines.index("Agents (1: 1 Available)") < next(
        i for i, line in enumerate(lines) if "Contact records" in line)
