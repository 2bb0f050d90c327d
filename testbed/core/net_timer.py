"""The timer handle of network code on the testbed loop.

A module of its own so that it stays a Python class in the compiled build:
mypyc cannot compile a subclass of asyncio's ``TimerHandle`` (a Python class
with ``__slots__``), and ``testbed.core.loop`` is compiled.
"""

from __future__ import annotations

import asyncio

__all__ = ["NetworkTimerHandle"]


class NetworkTimerHandle(asyncio.TimerHandle):
    """An asyncio timer set by network code: its deadline is real monotonic seconds."""

    __slots__ = ()
