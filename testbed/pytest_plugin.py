"""pytest plugin: run tests on the testbed's event loop, with a ready Testbed.

Registered through the ``pytest11`` entry point, so installing the package is
enough.  Needs pytest-asyncio (1.3 or newer).

- ``testbed`` fixture: an open Testbed in virtual time, started at
  2022-04-08T11:35:00Z with seed 0.  Change that per test with
  ``@pytest.mark.testbed(start=..., speed=..., seed=..., paused=...,
  wall_clock=...)``.
- ``@pytest.mark.testbed`` alone: the test runs on the testbed loop, for
  tests that open their own ``Testbed(...)``.

Other async tests keep the default event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import pytest

from testbed.centre import Testbed
from testbed.clock import TestbedLoop

__all__ = ["testbed"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "testbed(start=None, speed=None, seed=None, paused=False, wall_clock=False): run on "
        "the testbed event loop; the keywords configure the `testbed` fixture",
    )
    if config.pluginmanager.has_plugin("asyncio"):
        config.pluginmanager.register(_LoopFactories(), "testbed-loop-factories")


class _LoopFactories:
    """pytest-asyncio hook: the testbed loop for tests that ask for it."""

    @staticmethod
    def pytest_asyncio_loop_factories(
        config: pytest.Config, item: pytest.Item,
    ) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
        names = getattr(item, "fixturenames", ())
        if "testbed" in names or item.get_closest_marker("testbed") is not None:
            return {"testbed": TestbedLoop}
        return {"asyncio": asyncio.new_event_loop}


@pytest.fixture
async def testbed(request: pytest.FixtureRequest) -> AsyncIterator[Testbed]:
    """An open Testbed in virtual time (see ``@pytest.mark.testbed`` to configure it)."""
    marker = request.node.get_closest_marker("testbed")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    async with Testbed(**{k: v for k, v in options.items() if v is not None}) as tb:
        yield tb
