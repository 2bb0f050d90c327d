"""pytest plugin: run tests on the testbed's event loop, with a ready Testbed.

Registered through the ``pytest11`` entry point, so installing the package is
enough.  Needs pytest-asyncio (1.3 or newer).

- ``testbed`` fixture: an open Testbed in virtual time, started at
  2022-04-08T11:35:00Z with seed 0.  Change that per test with
  ``@pytest.mark.testbed(start=..., speed=..., seed=..., paused=...,
  wall_clock=...)``.
- ``served_testbed`` fixture: the same testbed served on 127.0.0.1 at an
  ephemeral port (``.url``), with ``.session``, an aiohttp client session
  for talking to it (no timeouts: on a virtual clock they would run on
  testbed time).  Connect remote fakes with ``testbed.server.remote.connect_caller``
  / ``connect_agent``, or your own client code.
- ``connect_client`` fixture: a boto3 Connect client bound to
  ``served_testbed`` (boto3 must be installed; call it in a worker thread,
  ``await asyncio.to_thread(connect_client.list_queues, InstanceId=...)``).
- ``@pytest.mark.testbed`` alone: the test runs on the testbed loop, for
  tests that open their own ``Testbed(...)``.
- ``--flow-coverage``: every Testbed opened during the session (the
  fixtures' and any other) counts its flows' blocks and branches in one
  FlowCoverage; the session ends with its table and never-taken branches.
  ``--flow-coverage-json=PATH`` writes that coverage as JSON (see
  ``testbed.flows.coverage``), with or without the table.  Without either
  option nothing is counted.

Other async tests keep the default event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from testbed.centre.facade import Testbed
from testbed.core.clock import TestbedLoop
from testbed.core.loop import network_time
from testbed.flows.coverage import FlowCoverage

__all__ = ["ServedTestbed", "served_testbed", "testbed"]


_COVERAGE = pytest.StashKey[FlowCoverage]()
_COVERAGE_BEFORE = pytest.StashKey[FlowCoverage | None]()
_COVERAGE_PROBLEM = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("testbed", "telephony testbed")
    group.addoption("--flow-coverage", action="store_true", default=False,
                    help="count the blocks and branches every flow takes in the session's "
                         "testbeds; print a table and the never-taken branches at the end")
    group.addoption("--flow-coverage-json", metavar="PATH", default=None,
                    help="write the session's flow coverage to PATH as JSON")


def _coverage_json(config: pytest.Config) -> Path | None:
    path = config.getoption("flow_coverage_json", None)
    return None if path is None else config.invocation_params.dir / path


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "testbed(start=None, speed=None, seed=None, paused=False, wall_clock=False): run on "
        "the testbed event loop; the keywords configure the `testbed` fixture",
    )
    if config.pluginmanager.has_plugin("asyncio"):
        config.pluginmanager.register(_LoopFactories(), "testbed-loop-factories")
    path = _coverage_json(config)
    if config.getoption("flow_coverage", False) or path is not None:
        if path is not None and not path.parent.is_dir():
            raise pytest.UsageError(f"--flow-coverage-json {path}: no folder {path.parent}")
        coverage = config.stash[_COVERAGE] = FlowCoverage()
        config.stash[_COVERAGE_BEFORE] = Testbed.default_flow_coverage
        Testbed.default_flow_coverage = coverage


def pytest_unconfigure(config: pytest.Config) -> None:
    if _COVERAGE in config.stash:
        Testbed.default_flow_coverage = config.stash[_COVERAGE_BEFORE]


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    path = _coverage_json(config)
    if path is None or _COVERAGE not in config.stash:
        return
    try:
        config.stash[_COVERAGE].save(path)
    except OSError as exc:
        config.stash[_COVERAGE_PROBLEM] = f"cannot write {path} ({exc.strerror})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    coverage = config.stash.get(_COVERAGE, None)
    if coverage is None:
        return
    if config.getoption("flow_coverage"):
        terminalreporter.write_sep("-", "flow coverage")
        terminalreporter.write(coverage.render(config.get_terminal_writer().fullwidth))
    path = _coverage_json(config)
    if path is not None:
        problem = config.stash.get(_COVERAGE_PROBLEM, None)
        terminalreporter.write_line(f"flow coverage: {problem}" if problem is not None
                                    else f"flow coverage written to {path}")


class _LoopFactories:
    """pytest-asyncio hook: the testbed loop for tests that ask for it."""

    @staticmethod
    def pytest_asyncio_loop_factories(
        config: pytest.Config, item: pytest.Item,
    ) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
        names = getattr(item, "fixturenames", ())
        if "testbed" in names or "served_testbed" in names \
                or item.get_closest_marker("testbed") is not None:
            return {"testbed": TestbedLoop}
        return {"asyncio": asyncio.new_event_loop}


@pytest.fixture
async def testbed(request: pytest.FixtureRequest) -> AsyncIterator[Testbed]:
    """An open Testbed in virtual time (see ``@pytest.mark.testbed`` to configure it)."""
    marker = request.node.get_closest_marker("testbed")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    async with Testbed(**{k: v for k, v in options.items() if v is not None}) as tb:
        yield tb


@dataclass(frozen=True)
class ServedTestbed:
    """A testbed served on 127.0.0.1: ``url`` (no trailing slash) and a client ``session``."""

    testbed: Testbed
    url: str
    session: aiohttp.ClientSession


@pytest.fixture
async def served_testbed(testbed: Testbed) -> AsyncIterator[ServedTestbed]:
    """The ``testbed`` fixture, served over HTTP and WebSocket on an ephemeral port."""
    from aiohttp.test_utils import TestServer

    from testbed.server.app import create_app

    server = TestServer(create_app(testbed), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            yield ServedTestbed(testbed, str(server.make_url("")).rstrip("/"), session)
    finally:
        with network_time():  # the server's shutdown timeouts are real seconds
            await server.close()


@pytest.fixture
def connect_client(served_testbed: ServedTestbed) -> Any:
    """A boto3 Connect client bound to ``served_testbed`` (needs boto3 installed).

    boto3 is synchronous: call it, or your code that calls it, in a worker
    thread (``await asyncio.to_thread(client.list_queues, InstanceId=...)``)
    so the served testbed keeps answering.  The virtual clock does not move
    while the thread runs, so every call happens at the instant it was made.
    Retries are off: an error reaches the test at once.
    """
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise pytest.UsageError("the connect_client fixture needs boto3: "
                                "pip install boto3") from None
    return boto3.client(
        "connect", endpoint_url=served_testbed.url,
        region_name=served_testbed.testbed.instance.region,
        aws_access_key_id="testbed", aws_secret_access_key="testbed",
        config=Config(retries={"total_max_attempts": 1}))

