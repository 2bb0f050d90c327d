"""What a fake heard, and a way for a test to await a message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from testbed import Cancellable, Line, Scheduler
from testbed.core.messages import Message
from testbed.core.native import mypyc_attr

__all__ = ["Transcript"]

M = TypeVar("M", bound=Message)


@mypyc_attr(allow_interpreted_subclasses=True)
class Transcript:
    """Base of the fakes: their line, and ``(testbed seconds, message)`` for every
    message heard, waking ``wait_for`` callers."""

    _clock: Scheduler | None

    def __init__(self, keep: bool = True) -> None:
        self._line: Line | None = None
        self._clock = None
        self._keep = keep
        self.heard: list[tuple[float, Message]] = []
        self._waiters: list[tuple[type[Message], Callable[[Message], bool] | None,
                                  asyncio.Future[Message]]] = []

    @property
    def line(self) -> Line:
        if self._line is None:
            raise RuntimeError(f"{self!r} is not attached to a testbed")
        return self._line

    def _send(self, message: Message) -> None:
        line = self._line
        if line is not None and not line.closed:  # a timer may outlive the line
            line.send(message)

    def _call_after(self, delay_s: float, action: Callable[..., object],
                    args: tuple[Any, ...]) -> Cancellable | None:
        """Run ``action(*args)`` after ``delay_s`` on the clock; at once (no timer) if 0.

        ``args`` is a tuple, not ``*args``: callers that take ``*args`` themselves hand
        theirs on as they are, not unpacked and packed again (a cost when compiled)."""
        if delay_s <= 0:
            action(*args)
            return None
        assert self._clock is not None
        return self._clock.call_later(delay_s, action, *args)

    def _note(self, message: Message) -> None:
        """Keep ``message`` in the transcript and wake waiters it satisfies (called only
        when there is one or the other)."""
        if self._keep and self._clock is not None:
            self.heard.append((self._clock.now, message))
        if self._waiters:
            still = []
            for kind, predicate, future in self._waiters:
                if future.done():
                    continue
                if isinstance(message, kind) and (predicate is None or predicate(message)):
                    future.set_result(message)
                else:
                    still.append((kind, predicate, future))
            self._waiters = still

    async def wait_for(self, kind: type[M], predicate: Callable[[M], bool] | None = None) -> M:
        """The next message of type ``kind`` (that ``predicate`` accepts) this fake hears."""
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiters.append((kind, predicate, future))  # type: ignore[arg-type]
        message = await future
        assert isinstance(message, kind)
        return message

    def messages(self, kind: type[M]) -> list[M]:
        """Every message of type ``kind`` heard so far, in order."""
        return [m for _t, m in self.heard if isinstance(m, kind)]
