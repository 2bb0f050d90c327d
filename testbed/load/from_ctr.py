"""Scenarios from real traffic: a load scenario built from a contact-record export.

``scenario_from_ctr`` turns the contacts of an export (``testbed.load.ctr_read``)
into a scenario file's tables:

- arrivals: the INBOUND contacts that queued in the scenario's queue, per
  interval (15 minutes by default): Poisson at each interval's observed rate
  (``piecewise``, ending at 0 after the last interval), or, with
  ``arrivals="times"``, exactly the observed instants;
- talk time: DisconnectTimestamp - ConnectedToAgentTimestamp of the contacts
  agents handled (hold included, as a caller's ``talk_s`` runs; contacts an
  agent transferred are left out, their talk cut short);
- after-contact work: AfterContactWorkDuration of the handled contacts;
- patience: from the waits of the inbound contacts.  A caller who abandoned
  shows their patience; one who was answered or took a callback only shows that
  it was longer than their wait.  So patience is the Kaplan-Meier estimate over
  both, and beyond the longest wait seen (where the records say nothing) an
  exponential tail at the export's abandonment rate (abandons / time waited);
  no abandonment at all means callers who never hang up;
- callbacks: with CALLBACK contacts, a ``callback-offer`` flow: the offer
  comes after the shortest wait of an inbound contact that took one, the share
  is those who took one among the inbound contacts still waiting then, the
  delay is the median of the callbacks' Enqueue - Initiation;
- agents: each agent who handled a contact of the scenario's queues is on
  from the start of the interval of their first contact to the end of the
  interval their last one ended in (for good when that is the last interval),
  serving the queues they served; agents with the same hours and queues form
  one group (``count``, a ``prefix``), so a sweep can vary ``staffing``.

Distributions are empirical: the observed values when there are at most
1,000 of them, else 1,000 quantiles (at (k + 0.5) / 1000).  The tables are
checked as a Scenario before they are returned; ``notes`` say what came from
where and what the records cannot give (answer delays of callbacks, the flow
before the queue).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from testbed.core.errors import ConfigError
from testbed.load.ctr_read import CtrContact, ExportReading
from testbed.load.scenario import Scenario

__all__ = ["ScenarioFromCtr", "scenario_from_ctr", "to_toml"]

# The most values an empirical distribution keeps.
QUANTILES = 1000
ARRIVAL_MODES = ("rates", "times")


@dataclass(frozen=True)
class ScenarioFromCtr:
    """A scenario's tables built from an export, with what was counted and noted."""

    data: dict[str, Any]
    counts: dict[str, int]
    notes: tuple[str, ...]

    @property
    def toml(self) -> str:
        return to_toml(self.data, self.notes)


def scenario_from_ctr(reading: ExportReading, *, interval_s: float = 900.0,
                      queue: str | None = None, arrivals: str = "rates",
                      name: str = "from contact records") -> ScenarioFromCtr:
    """The scenario of ``reading``'s contacts (see the module docstring).

    ConfigError when there is nothing to build it from: no inbound contact that
    queued (in ``queue``, when given), or no agent who handled one.
    """
    if arrivals not in ARRIVAL_MODES:
        raise ConfigError(f"--arrivals must be rates or times, got {arrivals!r}")
    if not interval_s > 0:
        raise ConfigError(f"--interval must be > 0 seconds, got {interval_s!r}")
    contacts = reading.contacts
    queued = Counter(c.queue for c in contacts if c.method == "INBOUND" and c.queue)
    if not queued:
        raise ConfigError("the export has no INBOUND voice contact that queued: nothing to "
                          "build arrivals from")
    if queue is None:
        queue = queued.most_common(1)[0][0]
    elif queue not in queued:
        raise ConfigError(f"--queue {queue!r}: no INBOUND contact queued there (queues: "
                          f"{', '.join(sorted(queued))})")
    notes: list[str] = []
    inbound = [c for c in contacts if c.method == "INBOUND" and c.queue == queue]
    start = _floor(inbound[0].initiated, interval_s)
    end_s = _ceil_s((inbound[-1].initiated - start).total_seconds() + 1, interval_s)
    data: dict[str, Any] = {"name": name, "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "seed": 0, "duration_s": end_s}
    data["arrivals"] = _arrivals(inbound, start, end_s, interval_s, arrivals, notes)
    by_id = {c.contact_id: c for c in contacts}
    callbacks = [c for c in contacts if c.method == "CALLBACK" and c.previous_contact
                 and by_id.get(c.previous_contact, c).queue == queue and c.queue]
    callback_queue = Counter(c.queue for c in callbacks).most_common(1)[0][0] \
        if callbacks else None
    queues = [q for q in (queue, callback_queue) if q]
    served = [c for c in contacts if c.queue in queues and c.connected is not None
              and c.agent is not None]
    data["caller"] = _caller(inbound, served, by_id, notes)
    data["agents"] = _agents(served, start, end_s, interval_s, queues, notes)
    data["flow"] = _flow(inbound, callbacks, by_id, queue, callback_queue, data["caller"],
                         notes)
    others = {q: n for q, n in queued.items() if q != queue}
    if others:
        notes.append("left out: INBOUND contacts of other queues ("
                     + ", ".join(f"{q}: {n}" for q, n in sorted(others.items()))
                     + "); a scenario has one arrival queue (--queue picks it)")
    kinds = Counter(c.method for c in contacts if c.method not in ("INBOUND", "CALLBACK"))
    if kinds:
        notes.append("not modelled: " + ", ".join(f"{n} {m}" for m, n in sorted(kinds.items()))
                     + " contacts")
    try:
        Scenario.from_dict(data)
    except ConfigError as exc:  # a bug here, not in the export
        raise AssertionError(f"the scenario built from the export is refused: {exc}") from exc
    counts = {"records": reading.read, "contacts": len(contacts), "arrivals": len(inbound),
              "handled": len(served), "callbacks": len(callbacks),
              "agents": sum(g["count"] for g in data["agents"]),
              "duplicates": reading.duplicates, "left_out": reading.left_out,
              "odd": sum(1 for c in contacts if c.odd)}
    return ScenarioFromCtr(data, counts, tuple(notes))


def _floor(moment: datetime, interval_s: float) -> datetime:
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    since = (moment - midnight).total_seconds()
    return midnight + timedelta(seconds=math.floor(since / interval_s) * interval_s)


def _ceil_s(seconds: float, interval_s: float) -> float:
    whole = math.ceil(seconds / interval_s) * interval_s
    return int(whole) if float(whole).is_integer() else whole


def _offset(c: CtrContact, start: datetime) -> float:
    return (c.initiated - start).total_seconds()


def _arrivals(inbound: Sequence[CtrContact], start: datetime, end_s: float, interval_s: float,
              mode: str, notes: list[str]) -> dict[str, Any]:
    if mode == "times":
        notes.append(f"arrivals: the {len(inbound)} observed instants of INBOUND contacts")
        return {"kind": "times", "times": [_number(_offset(c, start)) for c in inbound]}
    counts = [0] * round(end_s / interval_s)
    for c in inbound:
        counts[min(int(_offset(c, start) // interval_s), len(counts) - 1)] += 1
    segments = [[_number(i * interval_s), n / interval_s] for i, n in enumerate(counts)]
    segments.append([_number(end_s), 0])
    notes.append(f"arrivals: Poisson at each {interval_s / 60:g}-minute interval's rate, from "
                 f"{len(inbound)} INBOUND contacts ({', '.join(map(str, counts))})")
    return {"kind": "piecewise", "segments": segments}


def _caller(inbound: Sequence[CtrContact], served: Sequence[CtrContact],
            by_id: dict[str, CtrContact], notes: list[str]) -> dict[str, Any]:
    talks = [(c.disconnected - c.connected).total_seconds() for c in served
             if not c.odd and not c.transferred and c.disconnected and c.connected]
    if not talks:
        raise ConfigError("no handled contact gives a talk time (ConnectedToAgentTimestamp "
                          "and DisconnectTimestamp)")
    caller: dict[str, Any] = {"talk_s": _empirical(talks)}
    notes.append(f"talk_s: {len(talks)} handled contacts (mean {statistics.fmean(talks):.1f} "
                 f"s)")
    waits: list[tuple[float, bool]] = []
    for c in inbound:
        if c.odd or c.enqueued is None or c.left_queue is None:
            continue
        took_callback = c.next_contact is not None and \
            getattr(by_id.get(c.next_contact), "method", None) == "CALLBACK"
        abandoned = c.connected is None and not took_callback and not c.transferred
        waits.append(((c.left_queue - c.enqueued).total_seconds(), abandoned))
    patience = _patience(waits)
    abandons = sum(1 for _w, a in waits if a)
    if patience is None:
        notes.append(f"patience_s: none of {len(waits)} waiting callers abandoned, so callers "
                     f"never hang up")
    else:
        caller["patience_s"] = patience
        notes.append(f"patience_s: Kaplan-Meier over {len(waits)} waits ({abandons} "
                     f"abandoned), exponential beyond the longest wait")
    return caller


def _patience(waits: Sequence[tuple[float, bool]]) -> dict[str, Any] | float | None:
    """Quantiles of patience from (wait, abandoned) pairs (see the module docstring)."""
    abandons = sum(1 for _w, a in waits if a)
    exposure = sum(w for w, _a in waits)
    if abandons == 0:
        return None
    rate = abandons / exposure if exposure > 0 else math.inf
    at_risk = len(waits)
    survival = 1.0
    steps: list[tuple[float, float]] = []  # (time, chance of patience beyond it)
    ordered = sorted(waits)
    i = 0
    while i < len(ordered):
        t = ordered[i][0]
        ended = gone = 0
        while i < len(ordered) and ordered[i][0] == t:
            ended += ordered[i][1]
            gone += 1
            i += 1
        if ended:
            survival *= 1 - ended / at_risk
            steps.append((t, survival))
        at_risk -= gone
    longest = ordered[-1][0]
    values = []
    for k in range(QUANTILES):
        p = (k + 0.5) / QUANTILES
        reached = next((t for t, s in steps if 1 - s >= p), None)
        if reached is None:  # beyond what the records show: the exponential tail
            reached = longest + (math.log(survival / (1 - p)) / rate if rate < math.inf
                                 else 0.0)
        values.append(_number(round(reached, 1)))
    return _empirical(values)


def _agents(served: Sequence[CtrContact], start: datetime, end_s: float, interval_s: float,
            queues: Sequence[str], notes: list[str]) -> list[dict[str, Any]]:
    spans: dict[str, list[float]] = {}
    serves: dict[str, set[str]] = {}
    for c in served:
        assert c.agent is not None and c.connected is not None and c.queue is not None
        last = max(t for t in (c.connected, c.disconnected, c.acw_end) if t is not None)
        first_s, last_s = (c.connected - start).total_seconds(), (last - start).total_seconds()
        span = spans.setdefault(c.agent, [first_s, last_s])
        span[0], span[1] = min(span[0], first_s), max(span[1], last_s)
        serves.setdefault(c.agent, set()).add(c.queue)
    if not spans:
        raise ConfigError(f"no agent handled a contact of {', '.join(queues)}: nothing to "
                          f"staff the scenario with")
    acws = [c.acw_s for c in served if c.acw_s is not None and not c.odd]
    groups: Counter[tuple[float, float | None, tuple[str, ...]]] = Counter()
    for agent, (first_s, last_s) in spans.items():
        on = max(0.0, math.floor(first_s / interval_s) * interval_s)
        off: float | None = max(_ceil_s(last_s, interval_s), on + interval_s)
        off = None if off is not None and off >= end_s else off
        groups[(on, off, tuple(q for q in queues if q in serves[agent]))] += 1
    out = []
    for n, ((on, off, served_queues), count) in enumerate(sorted(
            groups.items(), key=lambda g: (g[0][0], math.inf if g[0][1] is None else g[0][1],
                                           g[0][2]))):
        group: dict[str, Any] = {"count": count, "prefix": f"group{n + 1}-",
                                 "queues": list(served_queues)}
        if on > 0 or off is not None:
            group["shift"] = [_number(on), _number(off)] if off is not None else [_number(on)]
        if acws and max(acws) > 0:
            group["acw_s"] = _empirical(acws)
        out.append(group)
    staffed = [sum(g[1] for g in groups.items()
                   if g[0][0] <= i * interval_s and (g[0][1] is None or g[0][1] > i * interval_s))
               for i in range(round(end_s / interval_s))]
    notes.append(f"agents: {len(spans)} who handled contacts, each on from their first "
                 f"interval to their last; staffed per interval {', '.join(map(str, staffed))}")
    notes.append(f"acw_s: {len(acws)} handled contacts" if acws else
                 "acw_s: no AfterContactWorkDuration in the records, so none")
    return out


def _flow(inbound: Sequence[CtrContact], callbacks: Sequence[CtrContact],
          by_id: dict[str, CtrContact], queue: str, callback_queue: str | None,
          caller: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    if not callbacks or callback_queue is None:
        return {"kind": "queue", "queue": queue}
    takers = [by_id[c.previous_contact] for c in callbacks if c.previous_contact in by_id]
    offered_after = [(t.left_queue - t.enqueued).total_seconds() for t in takers
                     if t.enqueued is not None and t.left_queue is not None and not t.odd]
    offer_after = min(offered_after) if offered_after else 0.0
    waited = [c for c in inbound if c.enqueued is not None and c.left_queue is not None
              and (c.left_queue - c.enqueued).total_seconds() >= offer_after]
    share = min(1.0, len(takers) / len(waited)) if waited else 1.0
    caller["callback_accept_p"] = round(share, 4)
    delays = [(c.enqueued - c.initiated).total_seconds() for c in callbacks
              if c.enqueued is not None and not c.odd]
    delay = statistics.median(delays) if delays else 0.0
    notes.append(f"callbacks: {len(callbacks)}; offered after {offer_after:g} s in queue "
                 f"(the shortest wait of a caller who took one), taken by "
                 f"{share:.1%} of the {len(waited)} still waiting then, called "
                 f"{delay:g} s after (median); answer delays and unanswered callbacks are "
                 f"not in the records, so callers answer at once")
    return {"kind": "callback-offer", "queue": queue, "offer_after_s": _number(offer_after),
            "callback_queue": callback_queue, "callback_delay_s": _number(delay)}


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _empirical(values: Sequence[float]) -> dict[str, Any] | float | int:
    ordered = sorted(values)
    if ordered[0] == ordered[-1]:
        return _number(ordered[0])
    if len(ordered) > QUANTILES:
        ordered = [ordered[int((k + 0.5) / QUANTILES * len(ordered))] for k in range(QUANTILES)]
    return {"dist": "empirical", "values": [_number(v) for v in ordered]}


# -- writing TOML ------------------------------------------------------------------------

def to_toml(data: dict[str, Any], notes: Sequence[str] = ()) -> str:
    """A scenario's tables as a TOML file (``notes`` as its opening comments)."""
    lines = [f"# {line}" for note in notes for line in _wrap(note)]
    lines += [f"{k} = {_value(v)}" for k, v in data.items() if not _is_table(v)]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += _table(key, value, f"[{key}]")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                lines += _table(key, item, f"[[{key}]]")
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int = 86) -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*out, line]


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and bool(value)
                                       and all(isinstance(v, dict) for v in value))


def _table(path: str, table: dict[str, Any], header: str) -> list[str]:
    lines = ["", header]
    lines += [f"{k} = {_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
    for key, value in table.items():
        if isinstance(value, dict):
            lines += _table(f"{path}.{key}", value, f"[{path}.{key}]")
    return lines


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        items = [_value(v) for v in value]
        if any(isinstance(v, list) for v in value):  # [from_s, rate] pairs: one a line
            return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
        if len(items) <= 8:
            return f"[{', '.join(items)}]"
        rows = [", ".join(items[i:i + 10]) for i in range(0, len(items), 10)]
        return "[\n" + ",\n".join(f"    {row}" for row in rows) + ",\n]"
    raise TypeError(f"no TOML for {value!r}")
