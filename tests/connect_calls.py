"""Calling the served Connect API from tests: through boto3, or as raw HTTP.

boto3 refuses a missing required member or a wrong type before it sends
(ParamValidationError), so those cases go over raw HTTP, as any other
client could send them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from testbed.pytest_plugin import ServedTestbed

__all__ = ["call", "raw"]


async def call(client: Any, operation: str, **params: Any) -> Any:
    """``client.<operation>(**params)`` in a worker thread (the testbed keeps serving)."""
    return await asyncio.to_thread(getattr(client, operation), **params)


async def raw(served: ServedTestbed, method: str, path: str,
              body: Any = None) -> tuple[int, str, dict[str, Any]]:
    """(status, x-amzn-ErrorType or "", JSON body) of ``method path`` with ``body``."""
    async with served.session.request(method, f"{served.url}{path}", json=body) as response:
        return (response.status, response.headers.get("x-amzn-ErrorType", ""),
                await response.json())
