"""Agents: their states, routing profiles, and the pool of available agents.

Routing offers a contact to the longest-idle available agent: the one who
became Available earliest.  The pool keeps available agents in the order
they became available, so the first one that serves a queue is the answer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from testbed.core.clock import Cancellable
from testbed.core.errors import ConfigError
from testbed.core.lines import LineEnd

if TYPE_CHECKING:
    from testbed.centre.contacts import Contact
    from testbed.centre.queues import Queue

__all__ = ["DEFAULT_CUSTOM_STATUSES", "Agent", "AgentPool", "AgentState", "QueueRouting",
           "RoutingProfile"]


class AgentState(StrEnum):
    OFFLINE = "Offline"
    AVAILABLE = "Available"
    BUSY = "Busy"                          # on a contact (whisper, dialling, talking)
    AFTER_CONTACT_WORK = "AfterContactWork"
    MISSED = "Missed"                      # let an offer time out
    REJECTED = "Rejected"                  # rejected an offer
    ERROR = "Error"                        # their line failed mid-contact (until they reconnect)


#: Custom (unavailable) statuses an agent may set unless the testbed is told otherwise.


# Members read on the hot path, as Final names: the compiled build reads these
# as constants (an enum class's attribute is a dictionary lookup there).
_AGENT_OFFLINE: Final = AgentState.OFFLINE


DEFAULT_CUSTOM_STATUSES: Final = ("Break", "Lunch", "Training")
# Float slack when comparing waited time with a routing delay.
_EPSILON_S: Final = 1e-9


@dataclass(frozen=True, slots=True)
class QueueRouting:
    """How an agent serves one queue: ``priority`` 1 (first) to 99, and ``delay_s``,
    how long a contact must have waited in the queue before it can reach the agent."""

    priority: int = 1
    delay_s: float = 0.0


class RoutingProfile:
    """The queues an agent serves.

    ``queues`` is a list of names (priority 1, no delay) or a mapping from
    name to a priority, a ``(priority, delay_s)`` pair or a QueueRouting.
    """

    __slots__ = ("delays", "priorities")

    def __init__(self, queues: Iterable[str] | Mapping[str, int | tuple[int, float] | QueueRouting]
                 ) -> None:
        items = queues.items() if isinstance(queues, Mapping) else ((q, 1) for q in queues)
        self.priorities: dict[str, int] = {}
        self.delays: dict[str, float] = {}
        for name, value in items:
            routing = _routing(name, value)
            self.priorities[name] = routing.priority
            self.delays[name] = routing.delay_s
        if not self.priorities:
            raise ConfigError("routing profile: an agent must serve at least one queue")

    def __repr__(self) -> str:
        return f"RoutingProfile({self.priorities!r}, delays={self.delays!r})"

    def reaches(self, queue: str, waited_s: float) -> bool:
        """Whether a contact that has waited ``waited_s`` in ``queue`` can reach this agent."""
        delay = self.delays.get(queue)
        return delay is not None and waited_s + _EPSILON_S >= delay


def _routing(name: str, value: object) -> QueueRouting:
    if isinstance(value, QueueRouting):
        routing = value
    elif isinstance(value, tuple) and len(value) == 2:
        routing = QueueRouting(*value)
    elif isinstance(value, int) and not isinstance(value, bool):
        routing = QueueRouting(value)
    else:
        raise ConfigError(f"routing profile: queue {name!r} has {value!r}; give a priority, "
                          f"a (priority, delay_s) pair or a QueueRouting")
    priority, delay = routing.priority, routing.delay_s
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 99:
        raise ConfigError(f"routing profile: queue {name!r} has priority {priority!r}; "
                          f"it must be a whole number from 1 to 99")
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay < 1e9:
        raise ConfigError(f"routing profile: queue {name!r} has delay_s {delay!r}; "
                          f"it must be a number of seconds >= 0")
    return QueueRouting(priority, float(delay))


class Agent:
    """An agent as the switchboard sees them."""

    __slots__ = ("acw_timeout_s", "acw_timer", "available_since", "contact", "in_pool", "line",
                 "next_status", "offer", "own_queue", "pool_stamp", "profile", "state",
                 "username")

    def __init__(self, username: str, line: LineEnd, profile: RoutingProfile,
                 acw_timeout_s: float = 0.0) -> None:
        self.username = username
        self.line = line
        self.profile = profile
        self.acw_timeout_s = acw_timeout_s
        self.state: str = _AGENT_OFFLINE
        self.available_since = 0.0
        self.offer: Contact | None = None      # offered, not yet accepted
        self.contact: Contact | None = None    # accepted: on it or in its after-contact work
        self.in_pool = False
        self.pool_stamp = 0
        self.acw_timer: Cancellable | None = None
        #: Set while busy (Offline or a custom status): applied once the agent is done.
        self.next_status: str | None = None
        #: Their own queue (``agent/USERNAME``) once a flow has used it.
        self.own_queue: Queue | None = None

    def __repr__(self) -> str:
        return f"<Agent {self.username!r} {self.state}>"


class AgentPool:
    """Available agents, longest idle first (routing skips those with an offer pending).

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

    def longest_idle(self, queue: str, waited_s: float) -> Agent | None:
        """The longest-idle agent that a contact who waited ``waited_s`` in ``queue`` reaches."""
        line = self._line
        while line and line[0][1].pool_stamp != line[0][0]:
            line.popleft()
        for stamp, agent in line:
            if agent.pool_stamp == stamp and agent.offer is None \
                    and agent.profile.reaches(queue, waited_s):
                return agent
        return None

    def next_delay(self, queue: str, waited_s: float) -> float | None:
        """The shortest routing delay for ``queue`` among idle agents that is still ahead."""
        ahead = [agent.profile.delays[queue] for stamp, agent in self._line
                 if agent.pool_stamp == stamp and agent.offer is None
                 and queue in agent.profile.delays
                 and not agent.profile.reaches(queue, waited_s)]
        return min(ahead) if ahead else None
