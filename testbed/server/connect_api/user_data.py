"""GetCurrentUserData: each connected agent's status, contacts and slots, now.

Read from the event log (AGENT_STATE and the contacts' events) and the
switchboard's live agents, as ``GET /v1/agents`` is:

- ``Status`` is the status the agent set (or was set by PutUserStatus):
  Available, Offline or a custom status.  Being offered a contact, on it,
  in after-contact work, or having missed or rejected it does not change
  it, as in Connect (those show in ``Contacts``); ``StatusStartTimestamp``
  is when it was set.  ``NextStatus``: a status set while busy.
- ``Contacts``: the contact the agent is offered (INCOMING, from the offer),
  is connecting to (CONNECTING: whispers, a callback's dial-out; from the
  accept), talks to (CONNECTED, or CONNECTED_ONHOLD with the customer on
  hold; both from ConnectedToAgent, as Connect keeps it through a hold), is
  wrapping up (ENDED, from the start of after-contact work), or missed or
  rejected last (MISSED, REJECTED, until the agent's next state).
- Slots: a testbed agent takes one contact at a time, voice or task, so
  ``MaxSlotsByChannel`` is 1 for VOICE and TASK; ``ActiveSlotsByChannel``
  counts the contact above (its channel) unless it was missed or rejected;
  ``AvailableSlotsByChannel`` is 1 for each only while the agent is
  Available with no contact.
- Filters: exactly one of Queues (agents whose routing profile has one of
  them), RoutingProfiles, Agents; ``ContactFilter.ContactStates`` keeps the
  agents with a contact in one of the states, and only those contacts.  The
  testbed has no user hierarchy groups, so every UserHierarchyGroups id is
  unknown.  An unknown queue, profile or agent is ResourceNotFoundException.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from testbed.centre.agents import Agent, AgentState
from testbed.centre.contacts import ContactState
from testbed.records.contact_record import Entry, EventKind
from testbed.server.connect_api.dispatch import Api, operation, page
from testbed.server.connect_api.errors import ApiError
from testbed.server.connect_api.queue_refs import find_queue
from testbed.server.connect_api.routing_profiles import find_profile, profile_of
from testbed.server.connect_api.users import entries, find_user

__all__: list[str] = []

_E = EventKind
# Agent states that are not a status the agent sets: the status stays what it was.
_NOT_A_STATUS = frozenset((AgentState.BUSY, AgentState.AFTER_CONTACT_WORK,
                           AgentState.MISSED, AgentState.REJECTED, AgentState.ERROR))
_CHANNELS = ("VOICE", "TASK")


class _AgentTrack:
    """One agent's status and state as the log is read."""

    __slots__ = ("contact", "state", "state_s", "status", "status_s")

    def __init__(self) -> None:
        self.status = ""
        self.status_s = 0.0
        self.state = ""
        self.state_s = 0.0
        self.contact: str | None = None


class _ContactTrack:
    """What GetCurrentUserData shows of one contact, as the log is read."""

    __slots__ = ("channel", "connected", "method", "offered", "queue")

    def __init__(self) -> None:
        self.method = "INBOUND"
        self.channel: str | None = None
        self.queue: str | None = None
        self.offered: dict[str, float] = {}    # agent -> last offer
        self.connected: dict[str, float] = {}  # agent -> last ConnectedToAgent


def _agent_tracks(log: Iterable[Entry]) -> dict[str, _AgentTrack]:
    tracks: dict[str, _AgentTrack] = {}
    for t, _cid, kind, data in log:
        if kind is not _E.AGENT_STATE:
            continue
        name, state, contact = data
        track = tracks.get(name)
        if track is None:
            track = tracks[name] = _AgentTrack()
        if state not in _NOT_A_STATUS and state != track.status:
            track.status, track.status_s = str(state), t
        if state != track.state or contact != track.contact:
            track.state, track.state_s, track.contact = str(state), t, contact
    return tracks


def _contact_tracks(log: Iterable[Entry], wanted: set[str]) -> dict[str, _ContactTrack]:
    tracks = {cid: _ContactTrack() for cid in wanted}
    for t, cid, kind, data in log:
        track = tracks.get(cid)
        if track is None:
            continue
        if kind is _E.INITIATED:
            track.method = str(data[0])
        elif kind is _E.ENQUEUED:
            track.queue = data
        elif kind is _E.SCHEDULED:
            track.queue = data[0]
        elif kind is _E.OFFERED:
            track.offered[data] = t
        elif kind is _E.CONNECTED_TO_AGENT:
            track.connected[data] = t
        elif kind is _E.UPDATED:
            track.channel = dict(data).get("Channel", track.channel)
    return tracks


def _contact_state(agent: Agent, track: _AgentTrack) -> tuple[str, str] | None:
    """(contact id, AgentContactState) of the agent's contact now, if any."""
    if agent.offer is not None:
        return agent.offer.id, "INCOMING"
    contact = agent.contact
    if contact is not None:
        if agent.state == AgentState.AFTER_CONTACT_WORK or contact.state is ContactState.ENDED:
            return contact.id, "ENDED"
        if contact.state is ContactState.CONNECTING or contact.state is ContactState.RINGING:
            return contact.id, "CONNECTING"
        if contact.state is ContactState.ON_HOLD:
            return contact.id, "CONNECTED_ONHOLD"
        return contact.id, "CONNECTED"
    if track.contact is not None and agent.state in (AgentState.MISSED, AgentState.REJECTED):
        return track.contact, "MISSED" if agent.state == AgentState.MISSED else "REJECTED"
    return None


def _contact(api: Api, agent: Agent, contact_id: str, state: str, agent_track: _AgentTrack,
             track: _ContactTrack) -> dict[str, Any]:
    wall = api.tb.wall
    name = agent.username
    if state == "INCOMING":
        start = track.offered.get(name, agent_track.state_s)
    elif state in ("CONNECTED", "CONNECTED_ONHOLD"):
        start = track.connected.get(name, agent_track.state_s)
    else:
        start = agent_track.state_s
    method = track.method
    channel = track.channel or ("TASK" if method == "API" else "VOICE")
    reference: dict[str, Any] = {"ContactId": contact_id, "Channel": channel,
                                 "InitiationMethod": method, "AgentContactState": state,
                                 "StateStartTimestamp": wall(start)}
    if name in track.connected:
        reference["ConnectedToAgentTimestamp"] = wall(track.connected[name])
    if track.queue is not None:
        reference["Queue"] = {"Id": api.instance.id_of("queue", track.queue),
                              "Arn": api.instance.arn_of("queue", track.queue)}
    return reference


def _user_data(api: Api, agent: Agent, track: _AgentTrack,
               contact: dict[str, Any] | None) -> dict[str, Any]:
    name = agent.username
    profile = profile_of(agent.profile)
    active = {channel: 0 for channel in _CHANNELS}
    if contact is not None and contact["AgentContactState"] not in ("MISSED", "REJECTED"):
        active[contact["Channel"]] = 1
    free = int(agent.state == AgentState.AVAILABLE and agent.offer is None
               and agent.contact is None)
    data: dict[str, Any] = {
        "User": {"Id": api.instance.id_of("agent", name),
                 "Arn": api.instance.arn_of("agent", name)},
        "RoutingProfile": {"Id": profile.id(api), "Arn": profile.arn(api)},
        "Status": {"StatusName": track.status,
                   "StatusArn": api.instance.arn_of("agent-state", track.status),
                   "StatusStartTimestamp": api.tb.wall(track.status_s)},
        "AvailableSlotsByChannel": {channel: free for channel in _CHANNELS},
        "MaxSlotsByChannel": {channel: 1 for channel in _CHANNELS},
        "ActiveSlotsByChannel": active,
        "Contacts": [] if contact is None else [contact],
    }
    if agent.next_status is not None:
        data["NextStatus"] = agent.next_status
    return data


def _selected(api: Api, filters: dict[str, Any]) -> list[Agent]:
    """The connected agents the one filter of Queues, RoutingProfiles, Agents names."""
    given = [k for k in ("Queues", "RoutingProfiles", "Agents", "UserHierarchyGroups")
             if k in filters]
    if len(given) != 1:
        raise ApiError("InvalidParameterException",
                       "Filters: give exactly one of Queues, RoutingProfiles, Agents and "
                       f"UserHierarchyGroups (got {', '.join(given) or 'none'})")
    [key] = given
    agents = sorted(api.tb.switchboard.agents.values(), key=lambda a: a.username)
    if key == "UserHierarchyGroups":
        group = filters[key][0]
        raise api.not_found("user hierarchy group (the testbed has none)", group)
    if key == "Queues":
        queues = {find_queue(api, q).name for q in filters[key]}
        return [a for a in agents if queues & set(a.profile.priorities)]
    if key == "RoutingProfiles":
        names = {find_profile(api, p).name for p in filters[key]}
        return [a for a in agents if profile_of(a.profile).name in names]
    users = {find_user(api, u) for u in filters[key]}
    return [a for a in agents if a.username in users]


@operation("GetCurrentUserData")
def get_current_user_data(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    filters = params["Filters"]
    agents = _selected(api, filters)
    states = set((filters.get("ContactFilter") or {}).get("ContactStates") or ())
    log = entries(api)
    agent_tracks = _agent_tracks(log)
    current = {}
    for agent in agents:
        found = _contact_state(agent, agent_tracks[agent.username])
        if found is not None:
            current[agent.username] = found
    contact_tracks = _contact_tracks(log, {cid for cid, _state in current.values()})
    data = []
    for agent in agents:
        track = agent_tracks[agent.username]
        contact = None
        if agent.username in current:
            contact_id, state = current[agent.username]
            contact = _contact(api, agent, contact_id, state, track,
                               contact_tracks[contact_id])
        if states and (contact is None or contact["AgentContactState"] not in states):
            continue
        data.append(_user_data(api, agent, track, contact))
    answer = page(api, params, data, "UserDataList")
    answer["ApproximateTotalCount"] = len(data)
    return answer
