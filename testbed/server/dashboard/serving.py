"""Serving a testbed's dashboard while a run plays (``testbed demo|load --dashboard``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from testbed.centre.facade import Testbed
from testbed.core.loop import network_time
from testbed.server.app import create_app
from testbed.server.dashboard.stream import VIEWER_KEY

__all__ = ["SHUTDOWN_S", "Site", "dashboard_site"]

#: Real seconds requests under way get to finish when the site stops.
SHUTDOWN_S = 2.0


@dataclass(frozen=True)
class Site:
    """A served testbed: its dashboard's ``url``, and ``viewer``, set once a page has
    opened it."""

    url: str
    viewer: asyncio.Event


@asynccontextmanager
async def dashboard_site(tb: Testbed, host: str = "127.0.0.1",
                         port: int = 8080) -> AsyncIterator[Site]:
    """Serve ``tb`` (the whole HTTP API, the dashboard at ``/``) on ``host:port`` (0: a
    free port) while the block runs.  OSError if the port cannot be had."""
    app = create_app(tb)
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_S, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield Site(f"http://{bound_host}:{bound_port}/", app[VIEWER_KEY])
    finally:
        with network_time():  # its shutdown timeouts are real seconds
            await runner.cleanup()
