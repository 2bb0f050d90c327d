"""Queues: contacts waiting for an agent, oldest first.

A queue keeps its waiting contacts in arrival order.  A contact offered to
an agent stays in its place (it is still in queue until an agent accepts);
if the offer is missed or rejected, it is offered again from the same place.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testbed.centre.contacts import Contact

__all__ = ["Queue"]


class Queue:
    """A named queue.  ``outbound_whisper_flow`` plays to customers it calls back;
    ``hours`` names its hours of operation.

    Waiting contacts sit in a deque in arrival order.  A contact that leaves
    from the middle (hangs up) is only marked gone and dropped when it
    reaches the front, so enqueue and leave cost O(1).
    """

    __slots__ = ("_dead", "_line", "_size", "agent", "hours", "name", "outbound_whisper_flow")

    def __init__(self, name: str, outbound_whisper_flow: str | None = None,
                 hours: str | None = None, agent: str | None = None) -> None:
        self.name = name
        self.outbound_whisper_flow = outbound_whisper_flow
        #: The hours of operation CheckHoursOfOperation uses by default (a name).
        self.hours = hours
        #: The agent whose own queue this is (``agent/USERNAME``), or None.
        self.agent = agent
        self._line: deque[tuple[int, Contact]] = deque()
        self._size = 0
        self._dead = 0  # entries of contacts that left from the middle

    def __repr__(self) -> str:
        return f"<Queue {self.name!r} {self._size} waiting>"

    def __len__(self) -> int:
        return self._size

    def _waiting(self, entry: tuple[int, Contact]) -> bool:
        stamp, contact = entry
        return contact.queue is self and contact.queue_stamp == stamp

    def __iter__(self) -> Iterator[Contact]:
        """The waiting contacts, oldest first."""
        return (entry[1] for entry in self._line if self._waiting(entry))

    def add(self, contact: Contact) -> None:
        """Put ``contact`` in line by its routing priority (1 first), then its
        ``waiting_since`` less any time adjustment (ties: arrival order).

        The caller sets ``contact.queue`` to this queue.  Nearly always this
        is the back; a callback that keeps its caller's place goes further up.
        """
        contact.queue_stamp += 1
        entry = (contact.queue_stamp, contact)
        line = self._line
        key = _place(contact)
        if not line or _place(line[-1][1]) <= key:
            line.append(entry)
        else:
            at = len(line)
            while at > 0 and _place(line[at - 1][1]) > key:
                at -= 1
            line.insert(at, entry)
        self._size += 1

    def remove(self, contact: Contact) -> None:
        """Note that ``contact`` left; the caller then clears ``contact.queue``."""
        self._size -= 1
        line = self._line
        if line and line[0][1] is contact:
            line.popleft()
        else:
            self._dead += 1
            if self._dead > 64 and self._dead > self._size:
                # Mostly dead entries: compact, so scans stay proportional to the living.
                self._line = deque(e for e in line if self._waiting(e) and e[1] is not contact)
                self._dead = 0

    def next_waiting(self) -> Contact | None:
        """The contact that has waited longest, offered or not."""
        line = self._line
        while line and not self._waiting(line[0]):
            line.popleft()
        return line[0][1] if line else None

    def next_unoffered(self) -> Contact | None:
        """The oldest waiting contact not currently offered to an agent."""
        line = self._line
        while line:
            stamp, contact = line[0]
            if contact.queue is self and contact.queue_stamp == stamp:
                break
            line.popleft()
        for stamp, contact in line:
            if contact.offered_to is None and contact.queue is self \
                    and contact.queue_stamp == stamp:
                return contact
        return None


def _place(contact: Contact) -> tuple[int, float]:
    """A contact's place in line: (routing priority, time it counts as waiting from)."""
    return contact.priority, (contact.waiting_since or 0.0) - contact.age_adjust_s
