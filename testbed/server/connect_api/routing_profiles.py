"""Routing profiles as the Connect API shows them, derived from the agents' own.

The testbed gives each agent its queues, priorities and delays directly
(``MockAgent("bob", {"Sales": 1, "Support": (2, 30)})``); Connect gives an
agent a named routing profile.  The API shows one profile for each distinct
set of (queue, priority, delay) among the agents connected now, named for
what it holds: the queues by priority, then name, each with ``P<priority>``
and, when it has one, ``+<delay>s``, e.g. ``"Sales P1, Support P2 +30s"``.
The same set always gets the same name and id (``id_of("routing-profile",
name)``), whatever order the agent listed its queues in; a name that would
pass Connect's 127 characters is cut and ends in a hash of the whole set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from testbed.centre.agents import Agent, RoutingProfile
from testbed.server.connect_api.dispatch import Api

__all__ = ["Profile", "find_profile", "profile_of", "profiles"]

#: Connect's longest routing profile name.
MAX_NAME = 127


@dataclass(frozen=True)
class Profile:
    """A routing profile: its ``name`` and its ``queues`` as (queue, priority, delay_s),
    by priority, then queue name."""

    name: str
    queues: tuple[tuple[str, int, float], ...]

    def id(self, api: Api) -> str:
        return api.instance.id_of("routing-profile", self.name)

    def arn(self, api: Api) -> str:
        return api.instance.arn_of("routing-profile", self.name)


def profile_of(routing: RoutingProfile) -> Profile:
    """The profile of an agent's routing."""
    queues = tuple(sorted(((name, priority, routing.delays[name])
                           for name, priority in routing.priorities.items()),
                          key=lambda q: (q[1], q[0])))
    name = ", ".join(f"{q} P{p}" + (f" +{d:g}s" if d else "") for q, p, d in queues)
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        name = f"{name[:MAX_NAME - 14].rstrip(', ')}... #{digest}"
    return Profile(name, queues)


def profiles(agents: Iterable[Agent]) -> list[Profile]:
    """The distinct profiles of ``agents``, by name."""
    found = {p.name: p for p in (profile_of(agent.profile) for agent in agents)}
    return [found[name] for name in sorted(found)]


def find_profile(api: Api, given: str) -> Profile:
    """The profile whose id or ARN is ``given``; ResourceNotFoundException if none."""
    wanted = api.instance.resource_id("routing-profile", given)
    for profile in profiles(api.tb.switchboard.agents.values()):
        if profile.id(api) == wanted:
            return profile
    raise api.not_found("routing profile", given)
