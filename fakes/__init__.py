"""Mock endpoints for the testbed: scripted callers and agents."""

from fakes.agent import MockAgent
from fakes.caller import MockCaller

__all__ = ["MockAgent", "MockCaller"]
