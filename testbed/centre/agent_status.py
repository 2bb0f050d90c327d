"""Agent status detail: what an agent desktop or a dashboard shows for each agent.

Derived on read from the event log (AGENT_STATE, OFFERED, HOLD, RESUME and
ENQUEUED events) plus the switchboard's live agents (routing profile, next
status, the live contact's state), so the engine does no extra work for it.

The desktop state refines the switchboard's agent state (``AgentState`` or a
custom status) with two states the switchboard does not keep as agent states:

- ``Incoming``: Available with an offer pending (from OFFERED until the offer
  is accepted, missed, rejected or withdrawn);
- ``OnHold``: Busy with the customer on hold (from HOLD until RESUME or the
  call ends).

``Error`` is the switchboard's own state for an agent whose line failed while
they were on a contact (Connect's agent error states, such as a softphone
that failed); it lasts until they connect again (``Offline``).

``since`` is when the current desktop state began.  Entering the state the
agent is in already (an Offline agent set Offline again, or disconnecting)
changes nothing.  ``totals_s`` sums the seconds spent in each desktop state
since the agent first connected in this run (time away between connections
counts as Offline); for an agent who has disconnected they stop at the
disconnect.  Times are kept to the millisecond, as the event log shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from testbed.centre.agents import Agent, AgentState, QueueRouting
from testbed.centre.contacts import Contact
from testbed.centre.switchboard import Switchboard
from testbed.records.contact_record import Entry, EventKind, format_timestamp_ms
from testbed.records.service import RecordService

__all__ = ["AgentContact", "AgentDetail", "DesktopState", "agent_detail", "agent_details"]

_E = EventKind
_AVAILABLE = AgentState.AVAILABLE.value
_BUSY = AgentState.BUSY.value


class DesktopState(StrEnum):
    """The states an agent desktop shows, besides custom statuses (shown by name)."""

    OFFLINE = "Offline"
    AVAILABLE = "Available"
    INCOMING = "Incoming"                  # Available, an offer pending
    BUSY = "Busy"                          # on a contact: whispers, dialling, talking
    ON_HOLD = "OnHold"                     # Busy, the customer on hold
    AFTER_CONTACT_WORK = "AfterContactWork"
    MISSED = "Missed"                      # let an offer time out
    REJECTED = "Rejected"                  # rejected an offer
    ERROR = "Error"                        # their line failed mid-contact


@dataclass(frozen=True, slots=True)
class AgentContact:
    """The contact an agent's state is about.

    ``queue`` is the queue it was offered from (None if it never queued);
    ``state`` the contact's live state (``ContactState`` name: CONNECTING,
    CONNECTED, ON_HOLD, ENDED, ...) while it is the agent's offer or contact,
    else None (a missed or rejected offer).
    """

    contact_id: str
    queue: str | None
    state: str | None

    def to_json(self) -> dict[str, Any]:
        return {"contact_id": self.contact_id, "queue": self.queue, "state": self.state}


@dataclass(frozen=True, slots=True)
class AgentDetail:
    """One agent now.

    - ``state``: the desktop state (a DesktopState value or a custom status);
      ``agent_state``: the switchboard's state (what AGENT_STATE events and
      real-time metrics show: ``Busy`` while on hold, ``Available`` while an
      offer is pending).
    - ``since`` / ``since_s``: when ``state`` began (UTC, milliseconds kept /
      testbed seconds).
    - ``contact``: the contact offered, on, or in after-contact work, or the
      one missed or rejected; None otherwise.
    - ``next_status``: a status set while busy, applied once the agent is done.
    - ``connected``: whether the agent's line is connected now.
    - ``routing_profile``: queue name to priority and delay, in profile order
      (None once the agent has disconnected).
    - ``totals_s``: seconds in each desktop state so far, in the order first
      entered (a state entered and left at the same instant counts 0).
    """

    username: str
    state: str
    agent_state: str
    since: datetime
    since_s: float
    contact: AgentContact | None
    next_status: str | None
    connected: bool
    routing_profile: Mapping[str, QueueRouting] | None
    totals_s: Mapping[str, float]

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``GET /v1/agents`` (see docs/protocol.md)."""
        profile = None if self.routing_profile is None else [
            {"queue": name, "priority": r.priority, "delay_s": r.delay_s}
            for name, r in self.routing_profile.items()]
        return {
            "username": self.username,
            "state": self.state,
            "agent_state": self.agent_state,
            "since": format_timestamp_ms(self.since),
            "since_s": self.since_s,
            "contact": None if self.contact is None else self.contact.to_json(),
            "next_status": self.next_status,
            "connected": self.connected,
            "routing_profile": profile,
            "totals_s": dict(self.totals_s),
        }


class _Track:
    """One agent's desktop state as the log is read."""

    __slots__ = ("agent_state", "contact", "last_s", "queue", "since_s", "state", "totals")

    def __init__(self, t: float) -> None:
        self.state = ""
        self.agent_state = ""
        self.since_s = t
        self.last_s = t
        self.contact: str | None = None
        self.queue: str | None = None
        self.totals: dict[str, float] = {}

    def enter(self, t: float, state: str, contact: str | None, queue: str | None) -> None:
        self.last_s = t
        if state == self.state and contact == self.contact:
            return
        if self.state:
            self.totals[self.state] = self.totals.get(self.state, 0.0) + (t - self.since_s)
        self.totals.setdefault(state, 0.0)
        self.state, self.since_s = state, t
        self.contact, self.queue = contact, queue


def _tracks(entries: Iterable[Entry], username: str | None) -> dict[str, _Track]:
    """Every agent's (or one agent's) desktop state at the end of ``entries``."""
    tracks: dict[str, _Track] = {}
    queue_of: dict[str, str] = {}
    for t, contact_id, kind, data in entries:
        if kind is _E.AGENT_STATE:
            name, state, contact = data[0], str(data[1]), data[2]
            if username is not None and name != username:
                continue
            track = tracks.get(name)
            if track is None:
                track = tracks[name] = _Track(t)
            track.agent_state = state
            track.enter(t, state, contact, None if contact is None else queue_of.get(contact))
        elif kind is _E.ENQUEUED:
            queue_of[contact_id] = data
        elif kind is _E.OFFERED or kind is _E.HOLD or kind is _E.RESUME:
            track = tracks.get(data)
            if track is None:
                continue
            if kind is _E.OFFERED:
                if track.agent_state == _AVAILABLE:
                    track.enter(t, DesktopState.INCOMING, contact_id, queue_of.get(contact_id))
            elif track.agent_state == _BUSY and track.contact == contact_id:
                state = DesktopState.ON_HOLD if kind is _E.HOLD else DesktopState.BUSY
                track.enter(t, state, contact_id, track.queue)
    return tracks


def _ms(seconds: float) -> float:
    return round(seconds, 3)


def _live_contact(agent: Agent | None, contact_id: str) -> Contact | None:
    if agent is None:
        return None
    for contact in (agent.offer, agent.contact):
        if contact is not None and contact.id == contact_id:
            return contact
    return None


def _detail(username: str, track: _Track, agent: Agent | None, service: RecordService,
            now_s: float) -> AgentDetail:
    end_s = now_s if agent is not None else track.last_s
    totals = {state: _ms(total) for state, total in track.totals.items()}
    totals[track.state] = _ms(totals[track.state] + end_s - track.since_s)
    contact = None
    if track.contact is not None:
        live = _live_contact(agent, track.contact)
        queue = track.queue if track.queue is not None or live is None else live.queue_name
        contact = AgentContact(track.contact, queue, None if live is None else live.state.name)
    profile = None
    if agent is not None:
        routing = agent.profile
        profile = {name: QueueRouting(priority, routing.delays[name])
                   for name, priority in routing.priorities.items()}
    return AgentDetail(
        username=username, state=track.state, agent_state=track.agent_state,
        since=service.wall(track.since_s), since_s=_ms(track.since_s), contact=contact,
        next_status=None if agent is None else agent.next_status,
        connected=agent is not None, routing_profile=profile, totals_s=totals)


def agent_details(switchboard: Switchboard, service: RecordService,
                  now_s: float) -> list[AgentDetail]:
    """Every agent connected now or earlier in the run, by username, as of ``now_s``
    (the testbed time now: the log is read to its end)."""
    tracks = _tracks(service.entries(), None)
    agents = switchboard.agents
    return [_detail(name, tracks[name], agents.get(name), service, now_s)
            for name in sorted(tracks)]


def agent_detail(switchboard: Switchboard, service: RecordService, now_s: float,
                 username: str) -> AgentDetail | None:
    """One agent as ``agent_details`` shows them; None if no agent of that name has
    connected in this run."""
    track = _tracks(service.entries(), username).get(username)
    if track is None:
        return None
    return _detail(username, track, switchboard.agents.get(username), service, now_s)
