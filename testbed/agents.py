"""Agents: their states, routing profiles, and the pool of available agents.

Routing offers a contact to the longest-idle available agent: the one who
became Available earliest.  The pool keeps available agents in the order
they became available, so the first one that serves a queue is the answer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from testbed.errors import ConfigError
from testbed.lines import LineEnd

if TYPE_CHECKING:
    from testbed.contacts import Contact

__all__ = ["Agent", "AgentPool", "AgentState", "RoutingProfile"]


class AgentState(StrEnum):
    OFFLINE = "Offline"
    AVAILABLE = "Available"
    BUSY = "Busy"                          # on a contact (whisper, dialling, talking)
    AFTER_CONTACT_WORK = "AfterContactWork"
    MISSED = "Missed"                      # let an offer time out


class RoutingProfile:
    """The queues an agent serves, each with a priority (1 = first, up to 99)."""

    __slots__ = ("priorities",)

    def __init__(self, queues: Iterable[str] | Mapping[str, int]) -> None:
        items = queues.items() if isinstance(queues, Mapping) else ((q, 1) for q in queues)
        self.priorities: dict[str, int] = {}
        for name, priority in items:
            if isinstance(priority, bool) or not isinstance(priority, int) \
                    or not 1 <= priority <= 99:
                raise ConfigError(f"routing profile: queue {name!r} has priority {priority!r}; "
                                  f"it must be a whole number from 1 to 99")
            self.priorities[name] = priority
        if not self.priorities:
            raise ConfigError("routing profile: an agent must serve at least one queue")

    def __repr__(self) -> str:
        return f"RoutingProfile({self.priorities!r})"


class Agent:
    """An agent as the switchboard sees them."""

    __slots__ = ("acw_timeout_s", "available_since", "contact", "in_pool", "line", "offer",
                 "pool_stamp", "profile", "state", "username")

    def __init__(self, username: str, line: LineEnd, profile: RoutingProfile,
                 acw_timeout_s: float = 0.0) -> None:
        self.username = username
        self.line = line
        self.profile = profile
        self.acw_timeout_s = acw_timeout_s
        self.state = AgentState.OFFLINE
        self.available_since = 0.0
        self.offer: Contact | None = None      # offered, not yet accepted
        self.contact: Contact | None = None    # accepted: on it or in its after-contact work
        self.in_pool = False
        self.pool_stamp = 0

    def __repr__(self) -> str:
        return f"<Agent {self.username!r} {self.state}>"


class AgentPool:
    """Available agents with no offer pending, longest idle first.

    A deque in the order agents became available; an agent who leaves the
    pool is only marked, and dropped when they reach the front.
    """

    __slots__ = ("_line", "_size")

    def __init__(self) -> None:
        self._line: deque[tuple[int, Agent]] = deque()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, agent: Agent) -> None:
        self.discard(agent)
        agent.pool_stamp += 1
        agent.in_pool = True
        self._line.append((agent.pool_stamp, agent))
        self._size += 1

    def discard(self, agent: Agent) -> None:
        if agent.in_pool:
            agent.in_pool = False
            agent.pool_stamp += 1
            self._size -= 1

    def longest_idle(self, queue: str) -> Agent | None:
        """The longest-idle agent whose profile serves ``queue``."""
        line = self._line
        while line and line[0][1].pool_stamp != line[0][0]:
            line.popleft()
        for stamp, agent in line:
            if agent.pool_stamp == stamp and queue in agent.profile.priorities:
                return agent
        return None
