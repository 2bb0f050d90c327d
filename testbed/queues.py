"""Queues: contacts waiting for an agent, oldest first.

A queue keeps its waiting contacts in arrival order.  A contact offered to
an agent stays in its place (it is still in queue until an agent accepts);
if the offer is missed or rejected, it is offered again from the same place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testbed.contacts import Contact

__all__ = ["Queue"]


class Queue:
    """A named queue.  ``outbound_whisper_flow`` plays to customers it calls back."""

    __slots__ = ("_waiting", "name", "outbound_whisper_flow")

    def __init__(self, name: str, outbound_whisper_flow: str | None = None) -> None:
        self.name = name
        self.outbound_whisper_flow = outbound_whisper_flow
        self._waiting: dict[str, Contact] = {}

    def __repr__(self) -> str:
        return f"<Queue {self.name!r} {len(self._waiting)} waiting>"

    def __len__(self) -> int:
        return len(self._waiting)

    def __iter__(self) -> Iterator[Contact]:
        return iter(self._waiting.values())

    def add(self, contact: Contact) -> None:
        self._waiting[contact.id] = contact

    def remove(self, contact: Contact) -> None:
        self._waiting.pop(contact.id, None)

    def next_unoffered(self) -> Contact | None:
        """The oldest contact not currently offered to an agent."""
        for contact in self._waiting.values():
            if contact.offered_to is None:
                return contact
        return None
