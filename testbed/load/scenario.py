"""Load scenarios: arrivals, caller behaviour, agents, queues and flows, by seed.

A Scenario is a Python object and a TOML file with the same fields
(``Scenario.from_toml``).  Example (keys marked * are required)::

    name = "support morning"
    start = "2022-04-08T08:00:00Z"          # default 2022-04-08T11:35:00Z
    seed = 1                                # default 0
    callers = 1000                          # * callers, duration_s = 3600, or both

    [arrivals]                              # * kind: poisson (default) | piecewise | ramp | times
    kind = "poisson"
    rate_per_s = 0.5                        # *
    # piecewise: segments = [[0, 0.2], [1800, 0.8]]   * (from second, rate)
    # ramp:      from_rate = 0.1, to_rate = 1.0, over_s = 3600   * (all three)
    # times:     times = [0, 12.5, 30]                * (one caller at each)

    [caller]                                # *
    talk_s = {dist = "lognormal", mean = 180, sigma = 0.5}   # *
    patience_s = {dist = "exponential", mean = 120}    # omit: never abandon
    callback_accept_p = 0.3      # chance to take a callback when offered (default 0)
    callback_after_s = 0         # ...once they have been in the call this long (default 0)
    answer_delay_s = 5           # before answering a callback ring (default 0)
    no_answer_p = 0.1            # chance not to answer a callback ring (default 0)

    [[agents]]                   # * one group or more
    count = 10                   # * count (+ prefix = "agent": agent1, agent2, ...),
                                 #   or names = ["ann", "bob"]
    queues = {Support = 1}       # * routing profile: queue = priority, or a list of queues
    shift = [0, 28800]           # on from, off at (testbed seconds); omit: all day
    acw_s = {dist = "uniform", low = 10, high = 40}    # default 0
    accept_delay_s = 2           # default 0
    hold_probability = 0.2       # chance, per call connected, of one hold (default 0)
    hold_after_s = {dist = "uniform", low = 20, high = 90}   # * with hold_probability
    hold_s = {dist = "exponential", mean = 40}              # * with hold_probability
    transfer_probability = 0.1   # chance, per call connected, of a cold transfer (default 0)
    transfer_to = "Billing"      # * with transfer_probability: a queue agents serve
    transfer_after_s = {dist = "exponential", mean = 60}    # * with transfer_probability

    [flow]                       # * kind: queue (default) | callback-offer | connect
    kind = "callback-offer"
    queue = "Support"            # * (queue and callback-offer)
    offer_after_s = 60           # * (callback-offer) offered after this long in queue
    callback_queue = "Support"   # default: queue
    callback_delay_s = 30        # default 0
    # connect: files = ["flows/*.json"] *, inbound = "Main" * (a file's stem),
    #          outbound_whisper = {CallbackQueue = "OutboundWhisper"}

Each table takes exactly the keys shown for its kind (distribution tables:
see ``testbed.load.distributions``): an unknown or a missing key is an error naming
it and the keys accepted.  So is an arrival process that cannot bring the
callers asked for: one that brings nobody, or, for a run of ``callers`` without
``duration_s``, one that ends (a ramp down to rate 0, segments ending at rate 0,
explicit times) with fewer callers expected than asked for.  With
``duration_s``, ``callers`` only caps the run.  Every error names the key and
the bad value, before anything runs.

An agent group's hold and transfer keys come in sets: ``hold_after_s`` and
``hold_s`` go with ``hold_probability`` (and it with them), ``transfer_to`` and
``transfer_after_s`` with ``transfer_probability``; ``transfer_to`` must be a
queue some agent serves.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from testbed.core.clock import DEFAULT_START, parse_instant
from testbed.core.errors import ConfigError
from testbed.load.distributions import (
    ARRIVAL_KINDS,
    Arrivals,
    Distribution,
    Fixed,
    check_keys,
    parse_distribution,
)

__all__ = ["AgentGroup", "Arrivals", "CallerBehaviour", "FlowSpec", "Scenario", "read_toml"]

# The keys each table takes, in the order documented.
_TOP = ("name", "start", "seed", "callers", "duration_s", "arrivals", "caller", "agents", "flow")
_ARRIVALS = {"poisson": ("rate_per_s",), "piecewise": ("segments",),
             "ramp": ("from_rate", "to_rate", "over_s"), "times": ("times",)}
_CALLER = ("talk_s", "patience_s", "callback_accept_p", "callback_after_s", "answer_delay_s",
           "no_answer_p")
_HOLD = ("hold_probability", "hold_after_s", "hold_s")
_TRANSFER = ("transfer_probability", "transfer_to", "transfer_after_s")
_AGENTS = ("count", "prefix", "names", "queues", "shift", "acw_s", "accept_delay_s", *_HOLD,
           *_TRANSFER)
# flow kind: (required keys, optional keys)
_FLOWS = {"queue": (("queue",), ()),
          "callback-offer": (("queue", "offer_after_s"), ("callback_queue", "callback_delay_s")),
          "connect": (("files", "inbound"), ("outbound_whisper",))}


@dataclass(frozen=True)
class CallerBehaviour:
    patience_s: Distribution | None = None
    talk_s: Distribution = field(default_factory=lambda: Fixed(60.0))
    callback_accept_p: float = 0.0
    callback_after_s: Distribution = field(default_factory=lambda: Fixed(0.0))
    answer_delay_s: Distribution = field(default_factory=lambda: Fixed(0.0))
    no_answer_p: float = 0.0


@dataclass(frozen=True)
class AgentGroup:
    """Agents of one routing profile and behaviour.

    On each call connected to one of them, the agent puts the customer on hold
    with ``hold_probability``, ``hold_after_s`` after being connected, for
    ``hold_s``; and, independently, with ``transfer_probability`` transfers the
    call (cold) to the queue ``transfer_to``, ``transfer_after_s`` after being
    connected.  What is due after the call ended is dropped; a transfer ends a
    hold still open.
    """

    names: tuple[str, ...]
    queues: Mapping[str, int]
    shift: tuple[float, float | None] = (0.0, None)
    acw_s: Distribution = field(default_factory=lambda: Fixed(0.0))
    accept_delay_s: Distribution = field(default_factory=lambda: Fixed(0.0))
    hold_probability: float = 0.0
    hold_after_s: Distribution = field(default_factory=lambda: Fixed(0.0))
    hold_s: Distribution = field(default_factory=lambda: Fixed(0.0))
    transfer_probability: float = 0.0
    transfer_to: str | None = None
    transfer_after_s: Distribution = field(default_factory=lambda: Fixed(0.0))

    @property
    def acts(self) -> bool:
        """Whether the group's agents put calls on hold or transfer them."""
        return self.hold_probability > 0 or self.transfer_probability > 0


@dataclass(frozen=True)
class FlowSpec:
    """The contact centre's flow: ``queue`` (straight in), ``callback-offer``, or ``connect``.

    ``queue`` is for the first two; ``offer_after_s``, ``callback_queue`` and
    ``callback_delay_s`` for ``callback-offer``; ``files``, ``inbound`` and
    ``outbound_whisper`` for ``connect``, whose flows name their own queues.
    """

    kind: str = "queue"
    queue: str = "Support"
    offer_after_s: float = 60.0
    callback_queue: str | None = None
    callback_delay_s: float = 0.0
    files: tuple[Path, ...] = ()
    inbound: str | None = None
    outbound_whisper: Mapping[str, str] = field(default_factory=dict)


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document at ``path``; ConfigError names the file if it cannot be read
    or is not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


@dataclass(frozen=True)
class Scenario:
    name: str = "scenario"
    start: datetime = field(default_factory=lambda: parse_instant(DEFAULT_START))
    seed: int = 0
    callers: int | None = 1000
    duration_s: float | None = None
    arrivals: Arrivals = field(default_factory=Arrivals)
    behaviour: CallerBehaviour = field(default_factory=CallerBehaviour)
    agents: tuple[AgentGroup, ...] = ()
    flow: FlowSpec = field(default_factory=FlowSpec)

    @property
    def queues(self) -> list[str]:
        """Every queue the scenario names (a connect flow's own: see its files), in a
        stable order."""
        names: list[str] = []
        if self.flow.kind != "connect":
            names.append(self.flow.queue)
            if self.flow.callback_queue:
                names.append(self.flow.callback_queue)
        for group in self.agents:
            names.extend(group.queues)
        return list(dict.fromkeys(names))

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read and check a scenario file; ConfigError names the file, the key and value
        at fault."""
        path = Path(path)
        data = read_toml(path)
        try:
            return cls.from_dict(data, base=path.parent)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Path | None = None) -> Scenario:
        """A checked Scenario from a scenario file's tables (see the module docstring).

        ``base`` is the folder that relative paths (flow files, CSVs) start from.
        The tables given are checked first, in the order of the docstring, then
        what is missing.
        """
        check_keys(data, "top level", _TOP)
        name = data.get("name", "scenario")
        if not isinstance(name, str):
            raise ConfigError(f"name must be a string, got {name!r}")
        start = parse_instant(data.get("start", DEFAULT_START), "start")
        seed = _int(data.get("seed", 0), "seed", minimum=0)
        count = _int(data["callers"], "callers") if "callers" in data else None
        duration = _positive(data["duration_s"], "duration_s") if "duration_s" in data \
            else None
        arrivals = _arrivals(data["arrivals"], "arrivals") if "arrivals" in data else None
        behaviour = _behaviour(data["caller"], "caller", base) if "caller" in data else None
        agents = tuple(_agent_group(g, f"agents[{i}]", base)
                       for i, g in enumerate(_list(data.get("agents", []), "agents")))
        flow = _flow(data["flow"], "flow", base) if "flow" in data else None
        if arrivals is None:
            raise ConfigError(f"missing table [arrivals]; it takes kind "
                              f"({_alternatives(ARRIVAL_KINDS)}) and that kind's keys")
        if behaviour is None:
            raise ConfigError(f"missing table [caller]; it takes {', '.join(_CALLER)} "
                              f"(talk_s required)")
        if not agents:
            raise ConfigError("agents: a scenario needs at least one [[agents]] group")
        if flow is None:
            raise ConfigError(f"missing table [flow]; it takes kind "
                              f"({_alternatives(tuple(_FLOWS))}) and that kind's keys")
        if count is None and duration is None:
            raise ConfigError(f"top level: missing key 'callers' or 'duration_s'; "
                              f"accepted keys: {', '.join(_TOP)}")
        scenario = cls(name=name, start=start, seed=seed, callers=count, duration_s=duration,
                       arrivals=arrivals, behaviour=behaviour, agents=agents, flow=flow)
        scenario.check()
        return scenario

    def check(self) -> None:
        """Refuse what cannot run: no agents, a queue that no agent serves, two agents
        of one name, arrivals that cannot bring the callers (``check_arrivals``)."""
        if not self.agents:
            raise ConfigError("agents: a scenario needs at least one [[agents]] group")
        served = list(dict.fromkeys(q for g in self.agents for q in g.queues))
        if self.flow.kind == "connect":
            for whispered in self.flow.outbound_whisper:
                if whispered not in served:
                    raise ConfigError(f"flow.outbound_whisper: unknown key {whispered!r}; accepted "
                                      f"keys: the queues agents serve ({', '.join(served)})")
        else:
            for queue in (self.flow.queue, self.flow.callback_queue):
                if queue and queue not in served:
                    raise ConfigError(f"flow: no agent serves queue {queue!r} "
                                      f"(agents serve {', '.join(sorted(served))})")
        for i, group in enumerate(self.agents):
            if group.transfer_to is not None and group.transfer_to not in served:
                raise ConfigError(f"agents[{i}].transfer_to: no agent serves queue "
                                  f"{group.transfer_to!r} (agents serve "
                                  f"{', '.join(sorted(served))})")
        names = [n for g in self.agents for n in g.names]
        if len(set(names)) != len(names):
            raise ConfigError("agents: two agents have the same name")
        self.check_arrivals()

    def check_arrivals(self, callers: int | None = None) -> None:
        """Refuse arrivals that cannot bring the run's callers (``callers``, or else the
        scenario's).

        Refused: arrivals that bring nobody at all, or nobody within ``duration_s``;
        and, for a run of a number of callers without ``duration_s``, arrivals that end
        (rate 0 for good, or explicit times) with fewer callers expected in all than
        that number.  A process that ends can still, by chance, bring fewer callers
        than expected: the run then ends with its arrivals, and its result counts the
        callers who came.
        """
        a = self.arrivals
        callers = self.callers if callers is None else callers
        if a.expected_callers() == 0:
            raise ConfigError(_nobody(a))
        if self.duration_s is not None:
            if a.expected_callers(self.duration_s) == 0:
                raise ConfigError(f"duration_s: the arrivals bring nobody in the first "
                                  f"{self.duration_s:g} s")
            return
        total = a.expected_callers()
        if callers is None or total >= callers:
            return
        fewer = f"fewer than callers = {callers}"
        if a.kind == "times":
            raise ConfigError(f"arrivals.times lists {len(a.times)} arrival instants, {fewer}")
        if a.kind == "ramp":
            raise ConfigError(f"arrivals.to_rate: a ramp down to rate 0 brings about "
                              f"{_about(total)} callers in all, {fewer}; end the ramp above 0, "
                              f"make it longer, or ask for fewer callers")
        zero_from = max(start for start, rate in a.segments if rate > 0)
        zero_from = min(start for start, _rate in a.segments if start > zero_from)
        raise ConfigError(f"arrivals.segments: the rate is 0 from {zero_from:g} s on, so the "
                          f"segments bring about {_about(total)} callers in all, {fewer}; end "
                          f"on a rate above 0 or ask for fewer callers")


def _nobody(a: Arrivals) -> str:
    if a.kind == "piecewise":
        return "arrivals.segments: every rate is 0, so nobody ever calls"
    if a.kind == "ramp":
        return "arrivals.to_rate: from_rate and to_rate are both 0, so nobody ever calls"
    if a.kind == "times":
        return "arrivals.times must list at least one instant"
    return f"arrivals.rate_per_s must be a number > 0, got {a.rate_per_s!r}"


def _about(count: float) -> str:
    return f"{count:,.0f}" if count >= 10 else f"{count:.2g}"


def _alternatives(words: tuple[str, ...]) -> str:
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _int(value: Any, where: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where} must be a whole number >= {minimum}, got {value!r}")
    return value


def _positive(value: Any, where: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{where} must be a number {'>= 0' if allow_zero else '> 0'}, "
                          f"got {value!r}")
    return float(value)


def _probability(value: Any, where: str) -> float:
    p = _positive(value, where, allow_zero=True)
    if p > 1:
        raise ConfigError(f"{where} must be a probability from 0 to 1, got {value!r}")
    return p


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a name, got {value!r}")
    return value


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table, got {value!r}")
    return value


def _list(value: Any, where: str, of: str = "tables") -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list of {of}, got {value!r}")
    return value


def _arrivals(value: Any, where: str) -> Arrivals:
    table = _table(value, where)
    kind = table.get("kind", "poisson")
    if not isinstance(kind, str) or kind not in _ARRIVALS:
        raise ConfigError(f"{where}.kind: unknown arrivals {kind!r}; use "
                          f"{_alternatives(ARRIVAL_KINDS)}")
    keys = _ARRIVALS[kind]
    check_keys(table, where, ("kind", *keys), keys, ("kind", kind))
    if kind == "poisson":
        return Arrivals(kind, rate_per_s=_positive(table["rate_per_s"], f"{where}.rate_per_s"))
    if kind == "piecewise":
        segments: list[tuple[float, float]] = []
        pairs = _list(table["segments"], f"{where}.segments", "[from_s, rate] pairs")
        for i, seg in enumerate(pairs):
            if not isinstance(seg, list) or len(seg) != 2:
                raise ConfigError(f"{where}.segments[{i}] must be [from_s, rate], got {seg!r}")
            start = _positive(seg[0], f"{where}.segments[{i}][0]", True)
            if any(start == other for other, _rate in segments):
                raise ConfigError(f"{where}.segments[{i}]: another segment starts at "
                                  f"{start:g} s too")
            segments.append((start, _positive(seg[1], f"{where}.segments[{i}][1]", True)))
        if not segments:
            raise ConfigError(f"{where}.segments must not be empty")
        return Arrivals(kind, segments=tuple(sorted(segments)))
    if kind == "ramp":
        return Arrivals(kind, from_rate=_positive(table["from_rate"], f"{where}.from_rate", True),
                        to_rate=_positive(table["to_rate"], f"{where}.to_rate", True),
                        over_s=_positive(table["over_s"], f"{where}.over_s"))
    times = tuple(_positive(t, f"{where}.times[{i}]", True)
                  for i, t in enumerate(_list(table["times"], f"{where}.times", "instants")))
    if not times:
        raise ConfigError(f"{where}.times must list at least one instant")
    return Arrivals(kind, times=times)


def _behaviour(value: Any, where: str, base: Path | None) -> CallerBehaviour:
    table = _table(value, where)
    check_keys(table, where, _CALLER, ("talk_s",))
    return CallerBehaviour(
        patience_s=(parse_distribution(table["patience_s"], f"{where}.patience_s", base)
                    if "patience_s" in table else None),
        talk_s=parse_distribution(table["talk_s"], f"{where}.talk_s", base),
        callback_accept_p=_probability(table.get("callback_accept_p", 0),
                                       f"{where}.callback_accept_p"),
        callback_after_s=parse_distribution(table.get("callback_after_s", 0),
                                            f"{where}.callback_after_s", base),
        answer_delay_s=parse_distribution(table.get("answer_delay_s", 0),
                                          f"{where}.answer_delay_s", base),
        no_answer_p=_probability(table.get("no_answer_p", 0), f"{where}.no_answer_p"),
    )


def _agent_group(value: Any, where: str, base: Path | None) -> AgentGroup:
    table = _table(value, where)
    check_keys(table, where, _AGENTS)
    if "names" in table and "count" in table:
        raise ConfigError(f"{where}: give count or names, not both")
    if "names" in table and "prefix" in table:
        raise ConfigError(f"{where}: unknown key 'prefix' with names (prefix goes with count)")
    if "names" not in table and "count" not in table:
        raise ConfigError(f"{where}: missing key 'count' or 'names'; accepted keys: "
                          f"{', '.join(_AGENTS)}")
    check_keys(table, where, _AGENTS, ("queues",))
    if "names" in table:
        names = table["names"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{where}.names must be a list of names, got {names!r}")
    else:
        count = _int(table["count"], f"{where}.count")
        prefix = table.get("prefix", where.replace("[", "").replace("]", "-"))
        if not isinstance(prefix, str):
            raise ConfigError(f"{where}.prefix must be a string, got {prefix!r}")
        names = [f"{prefix}{i + 1}" for i in range(count)]
    queues = table["queues"]
    if isinstance(queues, list) and queues and all(isinstance(q, str) for q in queues):
        profile = {q: 1 for q in queues}
    elif isinstance(queues, Mapping) and queues:
        profile = {str(q): _int(p, f"{where}.queues.{q}") for q, p in queues.items()}
        for q, p in profile.items():
            if p > 99:
                raise ConfigError(f"{where}.queues.{q}: priority must be 1 to 99, got {p!r}")
    else:
        raise ConfigError(f"{where}.queues must list the queues served, got {queues!r}")
    shift = table.get("shift", [0, None])
    if not isinstance(shift, list) or len(shift) not in (1, 2):
        raise ConfigError(f"{where}.shift must be [from_s, until_s], got {shift!r}")
    on = _positive(shift[0], f"{where}.shift[0]", True)
    off = _positive(shift[1], f"{where}.shift[1]") if len(shift) == 2 and shift[1] is not None \
        else None
    if off is not None and off <= on:
        raise ConfigError(f"{where}.shift ends ({off:g}) before it starts ({on:g})")
    group = AgentGroup(tuple(names), profile, (on, off),
                       parse_distribution(table.get("acw_s", 0), f"{where}.acw_s", base),
                       parse_distribution(table.get("accept_delay_s", 0),
                                          f"{where}.accept_delay_s", base))
    if _key_set(table, where, _HOLD):
        group = replace(
            group,
            hold_probability=_probability(table["hold_probability"], f"{where}.hold_probability"),
            hold_after_s=parse_distribution(table["hold_after_s"], f"{where}.hold_after_s", base),
            hold_s=parse_distribution(table["hold_s"], f"{where}.hold_s", base))
    if _key_set(table, where, _TRANSFER):
        group = replace(
            group,
            transfer_probability=_probability(table["transfer_probability"],
                                              f"{where}.transfer_probability"),
            transfer_to=_name(table["transfer_to"], f"{where}.transfer_to"),
            transfer_after_s=parse_distribution(table["transfer_after_s"],
                                                f"{where}.transfer_after_s", base))
    return group


def _key_set(table: Mapping[str, Any], where: str, keys: tuple[str, ...]) -> bool:
    """Whether ``table`` gives the set of ``keys`` (the first one names the set): all of
    them, or none.  A part of the set alone is an error naming the key missing."""
    given = [key for key in keys if key in table]
    if not given:
        return False
    for key in keys:
        if key not in table:
            raise ConfigError(f"{where}: missing key {key!r} (with {given[0]!r}); "
                              f"{', '.join(keys)} go together")
    return True


def _flow(value: Any, where: str, base: Path | None) -> FlowSpec:
    table = _table(value, where)
    kind = table.get("kind", "queue")
    if not isinstance(kind, str) or kind not in _FLOWS:
        raise ConfigError(f"{where}.kind: unknown flow {kind!r}; use "
                          f"{_alternatives(tuple(_FLOWS))}")
    required, optional = _FLOWS[kind]
    check_keys(table, where, ("kind", *required, *optional), required, ("kind", kind))
    if kind == "connect":
        return _connect(table, where, base)
    queue = _name(table["queue"], f"{where}.queue")
    if kind == "queue":
        return FlowSpec(kind=kind, queue=queue)
    return FlowSpec(
        kind=kind,
        queue=queue,
        offer_after_s=_positive(table["offer_after_s"], f"{where}.offer_after_s", True),
        callback_queue=_name(table.get("callback_queue", queue), f"{where}.callback_queue"),
        callback_delay_s=_positive(table.get("callback_delay_s", 0), f"{where}.callback_delay_s",
                                   True),
    )


def _connect(table: Mapping[str, Any], where: str, base: Path | None) -> FlowSpec:
    found: list[Path] = []
    for pattern in _list(table["files"], f"{where}.files", "file patterns"):
        if not isinstance(pattern, str):
            raise ConfigError(f"{where}.files: {pattern!r} is not a file pattern")
        matches = sorted((base or Path(".")).glob(pattern))
        if not matches:
            raise ConfigError(f"{where}.files: {pattern!r} matches no file")
        found.extend(matches)
    # A flow file's flow is named by the file's stem.
    flows = list(dict.fromkeys(path.stem for path in found))

    def flow_named(value: Any, key: str) -> str:
        if not isinstance(value, str) or value not in flows:
            raise ConfigError(f"{key}: no flow file is named {value!r}; {where}.files give "
                              f"{', '.join(flows)}")
        return value

    inbound = flow_named(table["inbound"], f"{where}.inbound")
    whisper = {str(queue): flow_named(flow, f"{where}.outbound_whisper.{queue}")
               for queue, flow in _table(table.get("outbound_whisper", {}),
                                         f"{where}.outbound_whisper").items()}
    return FlowSpec(kind="connect", files=tuple(found), inbound=inbound,
                    outbound_whisper=whisper)
