"""README.md's example test runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from testbed import Testbed
from testbed.pytest_plugin import ServedTestbed

README = Path(__file__).resolve().parent.parent / "README.md"


def _example(name: str) -> Any:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    [code] = [b for b in blocks if f"def {name}(" in b]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace[name]


async def test_readme_example_test_passes(testbed: Testbed) -> None:
    await _example("test_caller_reaches_an_agent")(testbed)


async def test_readme_hold_and_transfer_example_passes(testbed: Testbed) -> None:
    await _example("test_agent_holds_then_transfers")(testbed)


async def test_readme_served_example_passes(served_testbed: ServedTestbed) -> None:
    await _example("test_desktop_takes_a_call")(served_testbed)


async def test_readme_connect_api_example_passes(testbed: Testbed, connect_client: Any) -> None:
    await _example("test_dialler_queues_the_answered_call")(testbed, connect_client)
