"""`testbed serve` under many clients and hostile input, driven as an outside client would.

These tests start `testbed serve` in another process and talk to it with plain
aiohttp from the test's own (ordinary) event loop, from docs/protocol.md alone.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import pytest

SERVICE_NUMBER = "+18005550100"


class Served:
    """A `testbed serve` process and its base URL (no trailing slash)."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url


async def start_serve(*options: str) -> Served:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "serve", "--port", "0", *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    banner = (await process.stdout.readline()).decode()
    assert " on http://" in banner, banner
    return Served(process, banner.split(" on ")[1].split()[0])


async def stop_serve(served: Served) -> None:
    served.process.terminate()
    await served.process.wait()


@pytest.fixture
async def virtual_server(request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    marker = request.node.get_closest_marker("serve_options")
    options: Sequence[str] = marker.args if marker is not None else ()
    served = await start_serve("--virtual", *options)
    try:
        yield served
    finally:
        await stop_serve(served)


async def clock(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(f"{url}/v1/clock") as response:
        assert response.status == 200
        result: dict[str, Any] = await response.json()
        return result


# -- 1. the server's own network timers run in real time ------------------------


async def test_500_callers_connecting_at_once_to_a_virtual_server_all_get_through(
        virtual_server: Served) -> None:
    url = virtual_server.url
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one_caller(i: int) -> str:
            number = f"+1555{i:07d}"
            async with session.ws_connect(
                    f"{url}/v1/endpoints/caller?number=%2B{number[1:]}") as ws:
                await ws.send_json({"type": "dial", "to": SERVICE_NUMBER})
                async for frame in ws:
                    message = frame.json()
                    if message["type"] == "call_started":
                        return str(message["contact_id"])
            raise AssertionError(f"{number}: the line closed before the call started")

        contacts = await asyncio.gather(*(one_caller(i) for i in range(500)))
    assert len(set(contacts)) == 500


async def test_an_idle_virtual_clock_stays_put_while_clients_come_and_go(
        virtual_server: Served) -> None:
    # Each request on a new connection: the server's keep-alive timers must
    # not be testbed timers, or the idle virtual clock jumps to them.
    for _ in range(3):
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            state = await clock(session, virtual_server.url)
    assert state["now_s"] == 0.0
    assert state["wall"] == "2022-04-08T11:35:00.000Z"
