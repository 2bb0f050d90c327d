"""Mock endpoints for the testbed: scripted callers and agents.

In process: ``tb.add_caller(MockCaller(...))``.  Against a served testbed
(another process, or ``served_testbed``): ``async with connect_caller(url,
MockCaller(...))`` -- the same behaviours over WebSocket.
"""

from typing import Any

from fakes.agent import MockAgent
from fakes.caller import MockCaller

__all__ = ["MockAgent", "MockCaller", "connect_agent", "connect_caller"]


def __getattr__(name: str) -> Any:
    # The remote helpers bring in aiohttp's client: load them only when asked for.
    if name in ("connect_agent", "connect_caller"):
        from testbed.server import remote

        return getattr(remote, name)
    raise AttributeError(f"module 'fakes' has no attribute {name!r}")
