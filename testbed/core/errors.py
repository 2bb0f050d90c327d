"""The testbed's exceptions: one tree, rooted at TestbedError.

    TestbedError
    ├── ConfigError     bad settings: speed, start instant, queue or flow names
    ├── FlowError       a flow that cannot be built or run
    ├── ProtocolError   a message that breaks the line protocol (bad JSON, field, size)
    └── StateError      a request that does not fit the current state
                        (accept with nothing offered, act on another's contact)

Every message names the bad value and where it came from.
"""

from __future__ import annotations

__all__ = ["ConfigError", "FlowError", "ProtocolError", "StateError", "TestbedError"]


class TestbedError(Exception):
    """Base class of every error the testbed raises on purpose."""

    __test__ = False  # not a pytest test class


class ConfigError(TestbedError, ValueError):
    """A setting, scenario or argument has a bad value."""


class FlowError(TestbedError):
    """A flow cannot be built, loaded or run."""


class ProtocolError(TestbedError, ValueError):
    """A message does not follow the line protocol.

    ``field`` names the offending field when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StateError(TestbedError):
    """A request does not fit the current state of a contact or agent."""
