"""What an administrator changes while the centre runs: agents' statuses, flows.

A mixin of the Switchboard: the Connect API (PutUserStatus,
CreateContactFlow, UpdateContactFlowContent) calls these methods; nothing
here knows HTTP.

- ``set_agent_status`` does what the agent's own desktop does with
  ``set_status``: Available makes them routable, a custom status or Offline
  takes them out; while they have a contact or an offer it is their next
  status, applied once they are done.  The agent's endpoint hears
  ``agent_status`` exactly as after its own request.
- ``publish_flow`` adds a flow or replaces the one of that name at once.  A
  contact running the old flow finishes it (a run holds the flow it
  started); everything that looks a flow up by name from then on (a number's
  inbound flow, an event hook, TransferToFlow, a quick connect) gets the new
  one.
- ``flow_sources`` keeps what the testbed knows of a flow beyond its blocks
  when it came in Connect's terms: its type, the flow-language content as
  given, content saved and not published, description and tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from testbed.centre.agents import Agent
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.core.errors import ConfigError, StateError
from testbed.core.native import trait
from testbed.flows import Flow
from testbed.flows.coverage import CoverageRecorder

__all__ = ["Admin", "FlowSource"]


@dataclass(frozen=True)
class FlowSource:
    """A flow in Connect's terms.

    ``flow_type`` is Connect's ContactFlowType (CONTACT_FLOW, CUSTOMER_QUEUE,
    ...): recorded, not enforced (the testbed runs any flow wherever it is
    used).  ``content`` is the published flow-language JSON exactly as given
    (None: never published, so the flow does not run); ``saved`` is content
    saved and not published (None: nothing newer than ``content``).
    ``modified_s`` is the testbed time of the last change.  ``flow`` is the flow
    ``content`` was published as: if the flow of that name is another one now
    (replaced from Python), ``content`` no longer describes it.
    """

    name: str
    flow_type: str
    content: str | None
    saved: str | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    modified_s: float = 0.0
    flow: Flow | None = None


class _AdminCore(SwitchboardCore, Protocol):
    """What these methods rely on the Switchboard to have besides SwitchboardCore."""

    def _set_status(self, agent: Agent, status: str) -> None: ...
    def _sources(self) -> dict[str, FlowSource]: ...


@trait
class Admin:
    """Setting an agent's status and deploying flows from outside."""

    _flow_sources: dict[str, FlowSource]

    @property
    def flow_sources(self) -> Mapping[str, FlowSource]:
        """Flows' Connect sources by flow name (only flows that came with one)."""
        return self._sources()

    def _sources(self) -> dict[str, FlowSource]:
        try:
            return self._flow_sources
        except AttributeError:
            self._flow_sources = {}
            return self._flow_sources

    def set_agent_status(self: _AdminCore, username: str, status: str) -> None:
        """Set the status of the connected agent ``username`` as their desktop would
        (``Available``, ``Offline`` or a custom status).

        StateError if no agent of that name is connected or the status is unknown.
        """
        agent = self.agents.get(username)
        if agent is None:
            raise StateError(f"agent {username!r} is not connected; only a connected "
                             f"(logged-in) agent has a status to set")
        self._set_status(agent, status)

    def publish_flow(self: _AdminCore, flow: Flow, source: FlowSource | None = None) -> None:
        """Add ``flow``, or replace the flow of its name, for every contact from now on.

        ``source`` (its name must be the flow's) records its Connect definition, as
        published as ``flow``; without one, a source the flow had is dropped (its
        content no longer describes it).  Flow coverage, if on, learns the new blocks.
        """
        if source is not None and source.name != flow.name:
            raise ConfigError(f"flow {flow.name!r}: its source names flow {source.name!r}")
        self.flows[flow.name] = flow
        sources = self._sources()
        if source is not None:
            sources[flow.name] = replace(source, flow=flow)
        else:
            sources.pop(flow.name, None)
        coverage = self.flow_coverage
        if isinstance(coverage, CoverageRecorder):
            coverage.add_flow(flow)

    def save_flow_source(self: _AdminCore, source: FlowSource) -> None:
        """Record ``source`` without publishing anything (Connect's SAVED status): a
        flow of that name keeps running as it was; a new name does not run at all."""
        self._sources()[source.name] = source
