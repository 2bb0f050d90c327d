"""Lines: how endpoints and the switchboard exchange messages.

A line has two ends.  ``send`` on one end delivers the message to the other,
in order, on a later turn of the event loop (never re-entrantly).  An end
either hands each message to a handler (``on_receive``), which costs no task,
or keeps it for ``await receive()``.

The in-process line passes message objects by reference; the WebSocket line
(network edge) speaks the same messages as JSON and shares this interface.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Protocol

from testbed.core.errors import StateError
from testbed.core.messages import Message

__all__ = ["Line", "LineEnd", "line_pair"]

Handler = Callable[[Message], object]


class Line(Protocol):
    """What an endpoint or the switchboard needs of its end of a line."""

    def send(self, message: Message) -> None: ...
    def on_receive(self, handler: Handler | None) -> None: ...
    async def receive(self) -> Message: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...


class LineEnd:
    """One end of an in-process line."""

    __slots__ = (
        "_handler",
        "_inbox",
        "_kick",
        "_loop",
        "_peer",
        "_posts",
        "_waiter",
        "closed",
        "lenient",
        "name",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, name: str) -> None:
        self._loop = loop
        # On a testbed loop, deliveries go straight onto its queue of posts (the
        # first of a batch kicks it); elsewhere through ``call_soon``.
        self._posts: deque[tuple[Handler, Message]] | None = getattr(loop, "posts", None)
        self._kick: Callable[[], None] | None = getattr(loop, "kick_posts", None)
        self.name = name
        self._peer: LineEnd | None = None
        self._handler: Handler | None = None
        # Made on first use: an end with a handler never keeps messages.
        self._inbox: deque[Message] | None = None
        self._waiter: asyncio.Future[None] | None = None
        #: True once the line is closed (by either end).
        self.closed = False
        #: Drop messages to a closed line instead of raising (the switchboard's
        #: ends: an endpoint that went away must not break the switchboard).
        self.lenient = False

    def __repr__(self) -> str:
        return f"<LineEnd {self.name}{' closed' if self.closed else ''}>"

    def send(self, message: Message) -> None:
        """Deliver ``message`` to the other end (on a later turn of the loop)."""
        peer = self._peer
        if self.closed or peer is None or peer.closed:
            if self.lenient:
                return
            raise StateError(f"line {self.name!r} is closed; cannot send {message.type}")
        handler = peer._handler
        if handler is not None:
            posts = self._posts
            if posts is None:
                self._loop.call_soon(handler, message)
                return
            if not posts:
                self._kick()  # type: ignore[misc]
            posts.append((handler, message))
        else:
            inbox = peer._inbox
            if inbox is None:
                inbox = peer._inbox = deque()
            inbox.append(message)
            waiter = peer._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def on_receive(self, handler: Handler | None) -> None:
        """Hand every message to ``handler`` (None: keep them for ``receive``)."""
        self._handler = handler
        inbox = self._inbox
        if handler is not None and inbox:
            while inbox:
                self._deliver(handler, inbox.popleft())

    def _deliver(self, handler: Handler, message: Message) -> None:
        """Run ``handler(message)`` on a later turn (``send`` does this inline)."""
        if self._posts is None:
            self._loop.call_soon(handler, message)
            return
        if not self._posts:
            self._kick()  # type: ignore[misc]
        self._posts.append((handler, message))

    async def receive(self) -> Message:
        """The next message from the other end."""
        if self._handler is not None:
            raise StateError(f"line {self.name!r} hands its messages to a handler")
        if self._waiter is not None:
            raise StateError(f"line {self.name!r} has a receive() pending already; "
                             f"one reader at a time")
        if self._inbox is None:
            self._inbox = deque()
        while not self._inbox:
            if self.closed:
                raise StateError(f"line {self.name!r} is closed")
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._inbox.popleft()

    def close(self) -> None:
        """Close both ends; pending ``receive`` calls raise StateError."""
        peer = self._peer
        for end in (self, peer):
            if end is not None and not end.closed:
                end.closed = True
                if end._waiter is not None and not end._waiter.done():
                    end._waiter.set_result(None)
                # Let go of the handlers: an endpoint and its line then free
                # each other without waiting for the cycle collector.
                end._handler = None
                end._peer = None


def line_pair(loop: asyncio.AbstractEventLoop, name: str) -> tuple[LineEnd, LineEnd]:
    """A new in-process line: (endpoint end, switchboard end)."""
    endpoint = LineEnd(loop, f"{name}/endpoint")
    switchboard = LineEnd(loop, f"{name}/switchboard")
    endpoint._peer, switchboard._peer = switchboard, endpoint
    switchboard.lenient = True
    return endpoint, switchboard
