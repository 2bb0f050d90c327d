"""GetCurrentMetricData: the contact centre now, as Connect's real-time metrics count it.

The snapshot is folded from the event log as it stood when the first page was
asked for (``snapshot``), so later pages of a request show that same instant.
What is counted (Connect's real-time metric definitions, each agent with one
slot, taking VOICE and TASK contacts):

- an agent is *online* unless Offline; *non-productive* (NPT) in a custom status
  (Break, ...); *staffed* when online and not NPT; *available* when Available
  with no offer ringing; *on contact* while on a contact (whispers, dialling,
  talking, on hold) or in its after-contact work; in *error* while in Error (their
  line failed mid-contact, until they connect again).
- agents count for a queue their routing profile serves (or their own agent
  queue); an agent in Error, whose line and so profile are gone, for the queue
  of the contact they were on.  With channels, contact states count for the
  channel of the contact.  Routing profiles are those of the Connect API
  (routing_profiles.py: one per distinct set of queues, priorities and delays);
  a routing profile filter covers its agents and the contacts in its queues.
- contacts count for their queue and channel: in queue from enqueue to dequeue,
  scheduled while a callback waits out its initial delay (a task's delay comes
  before its flow has chosen a queue, so a delayed task counts nowhere yet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from testbed.centre.agents import AgentState
from testbed.records.contact_record import EventKind
from testbed.server.connect_api.dispatch import Api, operation
from testbed.server.connect_api.metric_requests import (
    CHANNELS,
    SIMULATED_CHANNELS,
    QueueRef,
    invalid,
    not_simulated,
    page_request,
    resolve_queues,
)
from testbed.server.connect_api.routing_profiles import (
    Profile,
    find_profile,
    profile_of,
)
from testbed.server.connect_api.routing_profiles import profiles as profiles_of

__all__ = ["AgentNow", "ContactNow", "Snapshot", "snapshot"]

_E = EventKind
_STATES = frozenset(state.value for state in AgentState)
_ON_CONTACT = frozenset((AgentState.BUSY.value, AgentState.AFTER_CONTACT_WORK.value))
_INCOMING = "Incoming"
_ERROR = AgentState.ERROR.value
_FILTERS_NOT_SIMULATED = ("RoutingStepExpressions", "AgentStatuses", "Subtypes",
                          "ValidationTestTypes")
#: Contact metrics Connect gives by routing profile only with a routing profile filter.
_CONTACT_METRICS = ("CONTACTS_IN_QUEUE", "CONTACTS_SCHEDULED", "OLDEST_CONTACT_AGE")


@dataclass(frozen=True, slots=True)
class AgentNow:
    """One agent at the snapshot: ``activity`` is their switchboard state (``Incoming``
    while Available with an offer ringing), ``contact_channel`` the channel of the contact
    they are on or wrapping up, ``queues`` the queues they take contacts from and
    ``profile`` the name of their routing profile (None once their line is gone)."""

    username: str
    activity: str
    contact_channel: str | None
    queues: frozenset[str]
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class ContactNow:
    """A contact waiting for an agent: in ``queue`` since ``enqueued_s``, or scheduled
    for it (``enqueued_s`` None) while its delay runs."""

    queue: str
    channel: str
    enqueued_s: float | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    at_s: float
    agents: tuple[AgentNow, ...]
    contacts: tuple[ContactNow, ...]


def snapshot(entries: Iterable[Sequence[Any]], at_s: float,
             routing: Mapping[str, tuple[frozenset[str], str]]) -> Snapshot:
    """Agents and waiting contacts at testbed time ``at_s``, from the events up to it;
    ``routing`` gives each connected agent's queues and routing profile name."""
    state: dict[str, str] = {}
    on: dict[str, str | None] = {}            # agent -> the contact of their state
    ringing: dict[str, str] = {}              # contact -> agent it is offered to
    channel: dict[str, str] = {}
    queue_of: dict[str, str] = {}
    waiting: dict[str, tuple[str, float]] = {}
    scheduled: dict[str, str] = {}
    for t, contact_id, kind, data in entries:
        if t > at_s:
            break
        if kind is _E.AGENT_STATE:
            state[data[0]] = str(data[1])
            on[data[0]] = data[2]
            for offered, agent in list(ringing.items()):
                if agent == data[0]:
                    del ringing[offered]
        elif kind is _E.OFFERED:
            if state.get(data) == AgentState.AVAILABLE:
                ringing[contact_id] = data
        elif kind is _E.UPDATED:
            for name, value in data:
                if name == "Channel":
                    channel[contact_id] = str(value)
        elif kind is _E.SCHEDULED:
            scheduled[contact_id] = data[0]
        elif kind is _E.ENQUEUED:
            scheduled.pop(contact_id, None)
            waiting[contact_id] = (data, t)
            queue_of[contact_id] = data
        elif kind in (_E.DEQUEUED, _E.DISCONNECTED, _E.MISSED, _E.REJECTED):
            ringing.pop(contact_id, None)
            if kind is not _E.MISSED and kind is not _E.REJECTED:
                waiting.pop(contact_id, None)
            if kind is _E.DISCONNECTED:
                scheduled.pop(contact_id, None)
    offered_to = set(ringing.values())
    agents = []
    for name in sorted(state):
        activity = state[name]
        if activity == AgentState.AVAILABLE and name in offered_to:
            activity = _INCOMING
        contact = on.get(name)
        queues, profile = routing.get(name, (frozenset(), None))
        if profile is None and activity == AgentState.ERROR and contact in queue_of:
            queues = frozenset({queue_of[contact]})
        agents.append(AgentNow(name, activity,
                               None if contact is None else channel.get(contact, "VOICE"),
                               queues, profile))
    contacts = [ContactNow(queue, channel.get(c, "VOICE"), t) for c, (queue, t) in
                waiting.items()]
    contacts += [ContactNow(queue, channel.get(c, "VOICE"), None)
                 for c, queue in scheduled.items()]
    return Snapshot(at_s, tuple(agents), tuple(contacts))


@dataclass(frozen=True, slots=True)
class _Group:
    """What one result counts: the online agents serving its queues and channels, and
    its waiting contacts."""

    at_s: float
    channels: frozenset[str]
    agents: tuple[AgentNow, ...]
    contacts: tuple[ContactNow, ...]

    def on_contact(self, activity: Iterable[str]) -> int:
        wanted = frozenset(activity)
        return sum(1 for a in self.agents
                   if a.activity in wanted and a.contact_channel in self.channels)

    def oldest_s(self) -> float:
        ages = [self.at_s - c.enqueued_s for c in self.contacts if c.enqueued_s is not None]
        return max(ages) if ages else 0.0


def _count(test: Callable[[AgentNow], bool]) -> Callable[[_Group], float]:
    return lambda group: float(sum(1 for a in group.agents if test(a)))


def _npt(agent: AgentNow) -> bool:
    return agent.activity not in _STATES and agent.activity != _INCOMING


#: Connect's real-time metrics: name -> (unit, value of a group).
METRICS: dict[str, tuple[str, Callable[[_Group], float]]] = {
    "AGENTS_ONLINE": ("COUNT", _count(lambda a: True)),
    "AGENTS_AVAILABLE": ("COUNT", _count(lambda a: a.activity == AgentState.AVAILABLE)),
    "AGENTS_ON_CALL": ("COUNT", lambda g: float(g.on_contact(_ON_CONTACT))),
    "AGENTS_ON_CONTACT": ("COUNT", lambda g: float(g.on_contact(_ON_CONTACT))),
    "AGENTS_NON_PRODUCTIVE": ("COUNT", _count(_npt)),
    "AGENTS_AFTER_CONTACT_WORK": (
        "COUNT", lambda g: float(g.on_contact((AgentState.AFTER_CONTACT_WORK.value,)))),
    "AGENTS_ERROR": ("COUNT", _count(lambda a: a.activity == _ERROR)),
    "AGENTS_STAFFED": ("COUNT", _count(lambda a: not _npt(a))),
    "CONTACTS_IN_QUEUE": (
        "COUNT", lambda g: float(sum(1 for c in g.contacts if c.enqueued_s is not None))),
    "CONTACTS_SCHEDULED": (
        "COUNT", lambda g: float(sum(1 for c in g.contacts if c.enqueued_s is None))),
    "OLDEST_CONTACT_AGE": ("SECONDS", _Group.oldest_s),
    "SLOTS_ACTIVE": ("COUNT", lambda g: float(g.on_contact(_ON_CONTACT))),
    "SLOTS_AVAILABLE": ("COUNT", _count(lambda a: a.activity == AgentState.AVAILABLE)),
}
_NOT_SORTABLE = ("SLOTS_ACTIVE", "SLOTS_AVAILABLE")


def _group(snap: Snapshot, queues: Iterable[str], profiles: frozenset[str] | None,
           channels: Iterable[str]) -> _Group | None:
    """The group of these queues, routing profiles (None: any) and channels: the online
    agents of those profiles serving one of the queues, and the contacts waiting in them;
    None when it has no data, as Connect leaves such results out."""
    wanted, kinds = frozenset(queues), frozenset(channels)
    takes_any = any(c in kinds for c in SIMULATED_CHANNELS)
    agents = tuple(a for a in snap.agents if a.activity != AgentState.OFFLINE and takes_any
                   and not a.queues.isdisjoint(wanted)
                   and (profiles is None or a.profile in profiles))
    contacts = tuple(c for c in snap.contacts if c.queue in wanted and c.channel in kinds)
    if not agents and not contacts:
        return None
    return _Group(snap.at_s, kinds, agents, contacts)


def _asked(metric: dict[str, Any], at: str) -> tuple[str, str]:
    """(name, unit) of one CurrentMetric, checked."""
    if "MetricId" in metric:
        raise not_simulated(f"{at}.MetricId {metric['MetricId'][:80]!r} (custom metrics)")
    name = metric.get("Name")
    if name is None:
        raise invalid(f"{at}: give the metric's Name")
    if name not in METRICS:
        raise not_simulated(f"{at}.Name {name!r}")
    unit = METRICS[name][0]
    if metric.get("Unit", unit) != unit:
        raise invalid(f"{at}.Unit {metric['Unit']!r} is not the unit of {name} ({unit})")
    return name, unit


def _sort(criteria: list[dict[str, Any]]) -> tuple[str, bool]:
    """(metric, descending) the results are ordered by (Connect's default: AGENTS_ONLINE,
    DESCENDING)."""
    if not criteria:
        return "AGENTS_ONLINE", True
    name = criteria[0].get("SortByMetric", "AGENTS_ONLINE")
    if name in _NOT_SORTABLE:
        raise invalid(f"SortCriteria[0].SortByMetric {name!r}: Connect does not sort by "
                      f"{' or '.join(_NOT_SORTABLE)}")
    if name not in METRICS:
        raise not_simulated(f"SortCriteria[0].SortByMetric {name!r}")
    return name, criteria[0].get("SortOrder", "DESCENDING") == "DESCENDING"


def _groupings(params: dict[str, Any]) -> list[str]:
    groupings: list[str] = params.get("Groupings", [])
    for i, grouping in enumerate(groupings):
        if grouping not in ("QUEUE", "ROUTING_PROFILE", "CHANNEL"):
            raise not_simulated(f"Groupings[{i}] {grouping!r}")
        if grouping in groupings[:i]:
            raise invalid(f"Groupings[{i}] {grouping!r} is given twice")
    return groupings


def _routing(api: Api) -> dict[str, tuple[frozenset[str], str]]:
    return {name: (frozenset(agent.profile.priorities) | {f"agent/{name}"},
                   profile_of(agent.profile).name)
            for name, agent in api.tb.switchboard.agents.items()}


def _queue_ref(api: Api, name: str) -> QueueRef:
    queue = api.tb.switchboard.queues[name]
    return QueueRef(name, api.instance.id_of("queue", name), api.instance.arn_of("queue", name),
                    queue.agent is not None)


def _scope(api: Api, filters: dict[str, Any]) -> tuple[list[QueueRef], list[Profile] | None]:
    """The queues a request covers and the routing profiles it is limited to (None: any):
    Connect takes queues or routing profiles, not both."""
    if "Queues" in filters and "RoutingProfiles" in filters:
        raise invalid("Filters: give Queues or RoutingProfiles, not both (Connect filters by "
                      "one of them)")
    if "RoutingProfiles" in filters:
        found = {p.name: p for p in (find_profile(api, given)
                                     for given in filters["RoutingProfiles"])}
        names = sorted({q for p in found.values() for q, _, _ in p.queues})
        return [_queue_ref(api, n) for n in names], [found[n] for n in sorted(found)]
    if "Queues" not in filters:
        raise invalid("Filters: GetCurrentMetricData needs Queues or RoutingProfiles")
    return resolve_queues(api, filters["Queues"]), None


@operation("GetCurrentMetricData")
def get_current_metric_data(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    page = page_request(api, params)
    filters = params["Filters"]
    for key in _FILTERS_NOT_SIMULATED:
        if key in filters:
            raise not_simulated(f"Filters.{key}")
    queues, profiles = _scope(api, filters)
    channels = [c for c in CHANNELS if c in filters.get("Channels", CHANNELS)]
    groupings = _groupings(params)
    asked = [_asked(m, f"CurrentMetrics[{i}]") for i, m in enumerate(params["CurrentMetrics"])]
    if not asked:
        raise invalid("CurrentMetrics: give at least one metric")
    if "ROUTING_PROFILE" in groupings and profiles is None:
        for name, _ in asked:
            if name in _CONTACT_METRICS:
                raise invalid(f"{name} by ROUTING_PROFILE needs a RoutingProfiles filter "
                              "(Connect's rule)")
    sort_by, descending = _sort(params.get("SortCriteria", []))

    snap = snapshot(api.tb.events()[:page.events], page.snapshot_s, _routing(api))
    in_scope = frozenset(q.name for q in queues)
    keyed: list[tuple[QueueRef | None, Profile | None, str | None]] = [(None, None, None)]
    if "QUEUE" in groupings:
        keyed = [(q, None, None) for q in sorted(queues, key=lambda q: q.name)]
    if "ROUTING_PROFILE" in groupings:
        seen = profiles if profiles is not None else _profiles_serving(api, snap, in_scope)
        keyed = [(q, p, None) for q, _, _ in keyed for p in seen]
    if "CHANNEL" in groupings:
        keyed = [(q, p, c) for q, p, _ in keyed for c in channels]
    rows = []
    for queue, profile, channel in keyed:
        names = profiles if profile is None else [profile]
        group = _group(snap, in_scope if queue is None else [queue.name],
                       None if names is None else frozenset(p.name for p in names),
                       channels if channel is None else [channel])
        if group is None:
            continue
        dimensions: dict[str, Any] = {}
        if queue is not None:
            dimensions["Queue"] = queue.reference()
        if profile is not None:
            dimensions["RoutingProfile"] = {"Id": profile.id(api), "Arn": profile.arn(api)}
        if channel is not None:
            dimensions["Channel"] = channel
        collections = []
        for name, unit in asked:
            value = METRICS[name][1](group)
            if name == "OLDEST_CONTACT_AGE":
                # Connect's rule: seconds with groupings, milliseconds without.
                value = float(int(value)) if groupings else float(round(value * 1000))
            collections.append({"Metric": {"Name": name, "Unit": unit}, "Value": value})
        rows.append((METRICS[sort_by][1](group), {"Dimensions": dimensions,
                                                  "Collections": collections}))
    rows.sort(key=lambda row: row[0], reverse=descending)  # stable: ties keep their order
    results, token = page.cut(api, params, [result for _, result in rows])
    answer: dict[str, Any] = {"MetricResults": results,
                              "DataSnapshotTime": api.tb.wall(page.snapshot_s),
                              "ApproximateTotalCount": len(rows)}
    if token is not None:
        answer["NextToken"] = token
    return answer


def _profiles_serving(api: Api, snap: Snapshot, queues: frozenset[str]) -> list[Profile]:
    """The routing profiles of the connected agents serving one of ``queues``, by name."""
    serving = {a.username for a in snap.agents if not a.queues.isdisjoint(queues)}
    return profiles_of(a for name, a in api.tb.switchboard.agents.items() if name in serving)
