"""``testbed serve --instance-id`` and its webhooks, from the command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from testbed.centre.instance import DEFAULT_INSTANCE_ID
from testbed.load.demos import SERVICE_NUMBER

from .conftest import JOHN

INSTANCE_ID = "0f1e2d3c-4b5a-4678-9abc-def012345678"


async def refused(*options: str) -> str:
    """``testbed serve OPTIONS`` refused as a usage error: its one line of stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "serve", "--port", "0", *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert (process.returncode, out) == (2, b"")
    [line] = err.decode().splitlines()
    return line


@asynccontextmanager
async def serve(*options: str, lines: int = 3) -> AsyncIterator[tuple[str, list[str]]]:
    """``testbed serve --virtual --paused OPTIONS``: its URL and the first ``lines`` it
    printed; stopped with SIGTERM at the end, which it must take as a clean exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "serve", "--virtual", "--paused", "--port", "0",
        *options, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    banner = (await process.stdout.readline()).decode()
    url = banner.split(" on ")[1].split()[0]
    printed = [banner.rstrip("\n")]
    while len(printed) < lines:
        printed.append((await process.stdout.readline()).decode().rstrip("\n"))
    try:
        yield url, printed
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 60) == 0


async def test_serve_says_which_instance_it_stands_in_for() -> None:
    async with serve("--instance-id", INSTANCE_ID) as (url, printed), \
            aiohttp.ClientSession() as session, session.get(f"{url}/v1/clock") as response:
        clock = await response.json()
    assert printed[1] == f"Connect instance {INSTANCE_ID} (region us-east-1, account " \
                         f"123456789012)"
    assert printed[2] == f"dashboard: {url}/"
    assert clock["instance_id"] == INSTANCE_ID


async def test_serve_stands_in_for_the_fixed_instance_by_default() -> None:
    async with serve() as (_url, printed):
        pass
    assert printed[1].startswith(f"Connect instance {DEFAULT_INSTANCE_ID} ")


@pytest.mark.parametrize("value", ["not-a-uuid", "", "7d734983-dbc6-584e-b28a-427251b3369"])
async def test_serve_refuses_an_instance_id_that_is_not_a_uuid(value: str) -> None:
    line = await refused("--instance-id", value)
    assert "--instance-id" in line and repr(value) in line


@pytest.mark.parametrize(("option", "value"), [
    ("--events-webhook", "ftp://example.com/hook"),
    ("--events-webhook", "example.com/hook"),
    ("--records-webhook", "http://"),
])
async def test_serve_refuses_a_webhook_url_that_is_not_http(option: str, value: str) -> None:
    line = await refused(option, value)
    assert line.startswith("testbed: error: ") and option in line and repr(value) in line


class Hook:
    """A webhook endpoint of the test's own: what it was sent, in order."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return web.Response()


async def test_serve_posts_contact_events_to_the_webhook_and_flushes_them_on_sigterm() -> None:
    hook = Hook()
    app = web.Application()
    app.router.add_post("/events", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with serve("--events-webhook", f"http://127.0.0.1:{port}/events",
                         "--instance-id", INSTANCE_ID, lines=4) as (url, printed), \
                aiohttp.ClientSession() as session, \
                session.ws_connect(f"{url}/v1/endpoints/caller",
                                   params={"number": JOHN}) as phone:
            assert printed[3] == f"contact events are POSTed to http://127.0.0.1:{port}/events"
            await phone.send_json({"type": "dial", "to": SERVICE_NUMBER})
            started = await _message(phone, "call_started")
            await _message(phone, "queued")
            await phone.send_json({"type": "hangup", "contact_id": started["contact_id"]})
            await _message(phone, "disconnected")
        # serve has exited: what it had not delivered yet went out before it did.
    finally:
        await runner.cleanup()
    assert [(body["detail"]["eventType"], body["detail"]["contactId"], body["time"])
            for body in hook.bodies] == [
        ("INITIATED", started["contact_id"], "2022-04-08T11:35:00Z"),
        ("QUEUED", started["contact_id"], "2022-04-08T11:35:00Z"),
        ("DISCONNECTED", started["contact_id"], "2022-04-08T11:35:00Z"),
    ]
    assert {body["detail"]["instanceArn"] for body in hook.bodies} == \
        {f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}"}


async def _message(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    """The next message of type ``kind`` (prompts and the like before it are skipped)."""
    while True:
        message: dict[str, Any] = await ws.receive_json()
        if message["type"] == kind:
            return message
