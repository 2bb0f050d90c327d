"""Load scenarios: arrivals, caller behaviour, agents, queues and flows, by seed.

A Scenario is a Python object and a TOML file with the same fields
(``Scenario.from_toml``).  Example::

    name = "support morning"
    start = "2022-04-08T08:00:00Z"
    seed = 1
    callers = 1000                          # or: duration_s = 3600

    [arrivals]                              # kind: poisson | piecewise | ramp | times
    kind = "poisson"
    rate_per_s = 0.5
    # piecewise: segments = [[0, 0.2], [1800, 0.8]]   (from second, rate)
    # ramp:      from_rate = 0.1, to_rate = 1.0, over_s = 3600
    # times:     times = [0, 12.5, 30]

    [caller]
    patience_s = {dist = "exponential", mean = 120}    # omit: never abandon
    talk_s = {dist = "lognormal", mean = 180, sigma = 0.5}
    callback_accept_p = 0.3      # chance to take a callback when offered
    callback_after_s = 0         # ...once they have been in the call this long
    answer_delay_s = 5           # before answering a callback ring
    no_answer_p = 0.1            # chance not to answer a callback ring

    [[agents]]
    count = 10                   # or: names = ["ann", "bob"]
    queues = {Support = 1}       # routing profile: queue = priority
    shift = [0, 28800]           # on from, off at (testbed seconds); omit: all day
    acw_s = {dist = "uniform", low = 10, high = 40}
    accept_delay_s = 2

    [flow]                       # kind: queue | callback-offer | connect
    kind = "callback-offer"
    queue = "Support"
    offer_after_s = 60           # callback-offer: offered after this long in queue
    callback_queue = "Support"
    callback_delay_s = 30
    # connect: files = ["flows/*.json"], inbound = "Main",
    #          outbound_whisper = {CallbackQueue = "OutboundWhisper"}

Every error names the key and the bad value, before anything runs.
"""

from __future__ import annotations

import math
import random
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from testbed.clock import DEFAULT_START, parse_instant
from testbed.distributions import Distribution, Fixed, parse_distribution
from testbed.errors import ConfigError

__all__ = ["AgentGroup", "Arrivals", "CallerBehaviour", "FlowSpec", "Scenario"]


@dataclass(frozen=True)
class Arrivals:
    """When callers call.  ``kind``: poisson, piecewise, ramp or times."""

    kind: str = "poisson"
    rate_per_s: float = 1.0
    segments: tuple[tuple[float, float], ...] = ()
    from_rate: float = 0.0
    to_rate: float = 0.0
    over_s: float = 0.0
    times: tuple[float, ...] = ()

    def times_from(self, rng: random.Random) -> Iterator[float]:
        """Arrival instants (testbed seconds), in order, without end (``times``: finite)."""
        if self.kind == "times":
            yield from sorted(self.times)
            return
        if self.kind == "poisson":
            t = 0.0
            while True:
                t += rng.expovariate(self.rate_per_s)
                yield t
        # Non-homogeneous Poisson by thinning against the highest rate.
        peak = max(self._rate(0.0), self._peak())
        if peak <= 0:
            return
        t = 0.0
        while True:
            t += rng.expovariate(peak)
            if rng.random() * peak <= self._rate(t):
                yield t
            if self.kind == "piecewise" and self._rate(t) == 0 and t > self.segments[-1][0]:
                return

    def _peak(self) -> float:
        if self.kind == "piecewise":
            return max(rate for _s, rate in self.segments)
        return max(self.from_rate, self.to_rate)

    def _rate(self, t: float) -> float:
        if self.kind == "piecewise":
            rate = 0.0
            for start, r in self.segments:
                if t >= start:
                    rate = r
            return rate
        if self.kind == "ramp":
            if t >= self.over_s:
                return self.to_rate
            return self.from_rate + (self.to_rate - self.from_rate) * t / self.over_s
        return self.rate_per_s


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
    names: tuple[str, ...]
    queues: Mapping[str, int]
    shift: tuple[float, float | None] = (0.0, None)
    acw_s: Distribution = field(default_factory=lambda: Fixed(0.0))
    accept_delay_s: Distribution = field(default_factory=lambda: Fixed(0.0))


@dataclass(frozen=True)
class FlowSpec:
    """The contact centre's flow: ``queue`` (straight in), ``callback-offer``, or ``connect``."""

    kind: str = "queue"
    queue: str = "Support"
    offer_after_s: float = 60.0
    callback_queue: str | None = None
    callback_delay_s: float = 0.0
    files: tuple[Path, ...] = ()
    inbound: str | None = None
    outbound_whisper: Mapping[str, str] = field(default_factory=dict)


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
        """Every queue the scenario uses, in a stable order."""
        names = [self.flow.queue]
        if self.flow.callback_queue:
            names.append(self.flow.callback_queue)
        for group in self.agents:
            names.extend(group.queues)
        return list(dict.fromkeys(names))

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read and check a scenario file; ConfigError names the key and value at fault."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        try:
            return cls.from_dict(data, base=path.parent)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Path | None = None) -> Scenario:
        _only(data, "scenario", {"name", "start", "seed", "callers", "duration_s", "arrivals",
                                 "caller", "agents", "flow"})
        count = _int(data["callers"], "callers") if "callers" in data else None
        duration = data.get("duration_s")
        if duration is not None:
            duration = _positive(duration, "duration_s")
        if count is None and duration is None:
            count = 1000
        seed = _int(data.get("seed", 0), "seed", minimum=0)
        agents = tuple(_agent_group(g, f"agents[{i}]")
                       for i, g in enumerate(_list(data.get("agents", []), "agents")))
        scenario = cls(
            name=str(data.get("name", "scenario")),
            start=parse_instant(data.get("start", DEFAULT_START), "start"),
            seed=seed,
            callers=count,
            duration_s=duration,
            arrivals=_arrivals(data.get("arrivals", {}), "arrivals"),
            behaviour=_behaviour(_table(data.get("caller", {}), "caller"), "caller", base),
            agents=agents,
            flow=_flow(data.get("flow", {}), "flow", base),
        )
        scenario.check()
        return scenario

    def check(self) -> None:
        if not self.agents:
            raise ConfigError("agents: a scenario needs at least one [[agents]] group")
        served = {q for g in self.agents for q in g.queues}
        for queue in (self.flow.queue, self.flow.callback_queue):
            if queue and self.flow.kind != "connect" and queue not in served:
                raise ConfigError(f"flow: no agent serves queue {queue!r} "
                                  f"(agents serve {', '.join(sorted(served))})")
        names = [n for g in self.agents for n in g.names]
        if len(set(names)) != len(names):
            raise ConfigError("agents: two agents have the same name")


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


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table, got {value!r}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list of tables, got {value!r}")
    return value


def _only(table: Mapping[str, Any], where: str, keys: set[str]) -> None:
    for key in table:
        if key not in keys:
            raise ConfigError(f"{where}: unknown key {key!r}; known: {', '.join(sorted(keys))}")


def _arrivals(value: Any, where: str) -> Arrivals:
    table = _table(value, where)
    _only(table, where, {"kind", "rate_per_s", "segments", "from_rate", "to_rate", "over_s",
                         "times"})
    kind = table.get("kind", "poisson")
    if kind == "poisson":
        return Arrivals(kind, rate_per_s=_positive(table.get("rate_per_s", 1.0),
                                                   f"{where}.rate_per_s"))
    if kind == "piecewise":
        segments = []
        for i, seg in enumerate(_list(table.get("segments"), f"{where}.segments")):
            if not isinstance(seg, list) or len(seg) != 2:
                raise ConfigError(f"{where}.segments[{i}] must be [from_s, rate], got {seg!r}")
            segments.append((_positive(seg[0], f"{where}.segments[{i}][0]", True),
                             _positive(seg[1], f"{where}.segments[{i}][1]", True)))
        if not segments:
            raise ConfigError(f"{where}.segments must not be empty")
        return Arrivals(kind, segments=tuple(sorted(segments)))
    if kind == "ramp":
        return Arrivals(kind, from_rate=_positive(table.get("from_rate", 0), f"{where}.from_rate",
                                                  True),
                        to_rate=_positive(table.get("to_rate"), f"{where}.to_rate", True),
                        over_s=_positive(table.get("over_s"), f"{where}.over_s"))
    if kind == "times":
        times = tuple(_positive(t, f"{where}.times[{i}]", True)
                      for i, t in enumerate(_list(table.get("times"), f"{where}.times")))
        return Arrivals(kind, times=times)
    raise ConfigError(f"{where}.kind: unknown arrivals {kind!r}; use poisson, piecewise, ramp "
                      f"or times")


def _behaviour(table: Mapping[str, Any], where: str, base: Path | None) -> CallerBehaviour:
    _only(table, where, {"patience_s", "talk_s", "callback_accept_p", "callback_after_s",
                         "answer_delay_s", "no_answer_p"})
    return CallerBehaviour(
        patience_s=(parse_distribution(table["patience_s"], f"{where}.patience_s", base)
                    if "patience_s" in table else None),
        talk_s=parse_distribution(table.get("talk_s", 60), f"{where}.talk_s", base),
        callback_accept_p=_probability(table.get("callback_accept_p", 0),
                                       f"{where}.callback_accept_p"),
        callback_after_s=parse_distribution(table.get("callback_after_s", 0),
                                            f"{where}.callback_after_s", base),
        answer_delay_s=parse_distribution(table.get("answer_delay_s", 0),
                                          f"{where}.answer_delay_s", base),
        no_answer_p=_probability(table.get("no_answer_p", 0), f"{where}.no_answer_p"),
    )


def _agent_group(value: Any, where: str) -> AgentGroup:
    table = _table(value, where)
    _only(table, where, {"count", "names", "prefix", "queues", "shift", "acw_s",
                         "accept_delay_s"})
    if "names" in table:
        names = table["names"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{where}.names must be a list of names, got {names!r}")
    else:
        count = _int(table.get("count", 1), f"{where}.count")
        prefix = str(table.get("prefix", where.replace("[", "").replace("]", "-")))
        names = [f"{prefix}{i + 1}" for i in range(count)]
    queues = table.get("queues")
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
    return AgentGroup(tuple(names), profile, (on, off),
                      parse_distribution(table.get("acw_s", 0), f"{where}.acw_s"),
                      parse_distribution(table.get("accept_delay_s", 0),
                                         f"{where}.accept_delay_s"))


def _flow(value: Any, where: str, base: Path | None) -> FlowSpec:
    table = _table(value, where)
    _only(table, where, {"kind", "queue", "offer_after_s", "callback_queue",
                         "callback_delay_s", "files", "inbound", "outbound_whisper"})
    kind = table.get("kind", "queue")
    if kind not in ("queue", "callback-offer", "connect"):
        raise ConfigError(f"{where}.kind: unknown flow {kind!r}; use queue, callback-offer "
                          f"or connect")
    files: tuple[Path, ...] = ()
    if kind == "connect":
        patterns = _list(table.get("files"), f"{where}.files")
        found: list[Path] = []
        for pattern in patterns:
            root = base or Path(".")
            matches = sorted(root.glob(str(pattern)))
            if not matches:
                raise ConfigError(f"{where}.files: {pattern!r} matches no file")
            found.extend(matches)
        files = tuple(found)
        if not isinstance(table.get("inbound"), str):
            raise ConfigError(f"{where}.inbound must name the inbound flow")
    callback_queue = table.get("callback_queue")
    if kind == "callback-offer" and callback_queue is None:
        callback_queue = table.get("queue", "Support")
    return FlowSpec(
        kind=kind,
        queue=str(table.get("queue", "Support")),
        offer_after_s=_positive(table.get("offer_after_s", 60), f"{where}.offer_after_s", True),
        callback_queue=None if callback_queue is None else str(callback_queue),
        callback_delay_s=_positive(table.get("callback_delay_s", 0), f"{where}.callback_delay_s",
                                   True),
        files=files,
        inbound=table.get("inbound"),
        outbound_whisper={str(k): str(v) for k, v in
                          _table(table.get("outbound_whisper", {}),
                                 f"{where}.outbound_whisper").items()},
    )
