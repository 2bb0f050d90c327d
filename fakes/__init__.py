"""Mock endpoints for the testbed: scripted callers and agents.

In process: ``tb.add_caller(MockCaller(...))``.  Against a served testbed
(another process, or ``served_testbed``): ``async with connect_caller(url,
MockCaller(...))`` -- the same behaviours over WebSocket.
"""

from fakes.agent import MockAgent
from fakes.caller import MockCaller
from testbed.remote import connect_agent, connect_caller

__all__ = ["MockAgent", "MockCaller", "connect_agent", "connect_caller"]
