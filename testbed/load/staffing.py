"""Staffing from theory: how many agents Erlang C or Erlang A says a target needs.

A scenario is a *simple model* when it is M/M/c or M/M/c+M: Poisson arrivals,
exponential talk time, no patience (Erlang C) or exponential patience (Erlang
A), one agent group on all day with no after-contact work, no accept delay, no
holds or transfers, and callers going straight to a queue with no callback.
For such a scenario ``theory_value`` gives a sweep metric for ``c`` agents in
the steady state, and ``smallest_agents`` the fewest agents whose value meets
a target.  A finite run starts with an empty queue, so its service is a little
better than the steady state's.

Service level X is the chance that a caller leaves the queue (answered or
abandoning) within X seconds, as the load report counts it.  For Erlang C it
is ``1 - C(c, a) e^{-(c mu - lam) X}``.  For Erlang A, a caller who arrives to
find n callers waiting leaves the queue at the first of their own patience
(rate theta) and the end of D_n, the time until an agent is free for them: a
sum of exponentials of rates c mu + i theta, i = 0..n (those ahead are served
or abandon); so P(T > X | n) = e^{-theta X} P(D_n > X), with P(D_n > X) by
uniformisation, weighted by the stationary chance of n (PASTA).  These agree
with ``testbed.load.theory`` (the same birth-death chain) and are computed in
logarithms and by Erlang B's recursion, so loads of thousands of erlangs do
not overflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from testbed.load.distributions import Exponential, Fixed
from testbed.load.scenario import Scenario
from testbed.load.sweep_stats import Target

__all__ = ["QueueModel", "queue_model", "service_level", "smallest_agents", "theory_value"]


@dataclass(frozen=True)
class QueueModel:
    """Arrivals ``lam`` a second, mean talk ``1 / mu`` s, mean patience ``1 / theta`` s
    (theta 0: callers never abandon)."""

    lam: float
    mu: float
    theta: float = 0.0

    @property
    def name(self) -> str:
        return "Erlang A" if self.theta > 0 else "Erlang C"


def queue_model(scenario: Scenario) -> QueueModel | str:
    """The scenario's M/M/c(+M) model, or why it is not one (a sentence)."""
    b, a = scenario.behaviour, scenario.arrivals
    if a.kind != "poisson":
        return f"arrivals are {a.kind}, not Poisson"
    if not isinstance(b.talk_s, Exponential):
        return f"talk_s is {_kind(b.talk_s)}, not exponential"
    if b.patience_s is not None and not isinstance(b.patience_s, Exponential):
        return f"patience_s is {_kind(b.patience_s)}, not exponential"
    if b.callback_accept_p > 0 or scenario.flow.kind != "queue":
        return f"the flow is {scenario.flow.kind}" if scenario.flow.kind != "queue" \
            else "callers take callbacks"
    if len(scenario.agents) != 1:
        return f"there are {len(scenario.agents)} agent groups"
    group = scenario.agents[0]
    if group.shift != (0.0, None):
        return "agents work a shift"
    if group.acw_s != Fixed(0.0):
        return "agents do after-contact work"
    if group.accept_delay_s != Fixed(0.0):
        return "agents accept after a delay"
    if group.acts:
        return "agents hold or transfer calls"
    theta = 1 / b.patience_s.mean if b.patience_s is not None else 0.0
    return QueueModel(a.rate_per_s, 1 / b.talk_s.mean, theta)


def _kind(dist: object) -> str:
    return type(dist).__name__.lower()


def _stationary(m: QueueModel, c: int) -> list[float]:
    """P(k callers in the system), k = 0, 1, ..., seen by an arrival (PASTA), up to where
    the terms vanish; built in logarithms, so a load of thousands of erlangs does not
    overflow."""
    logs = [0.0]
    top = 0.0
    k = 0
    while True:
        k += 1
        death = min(k, c) * m.mu + max(k - c, 0) * m.theta
        logs.append(logs[-1] + math.log(m.lam / death))
        top = max(top, logs[-1])
        if k > c and logs[-1] < top - 40 and logs[-1] < logs[-2]:
            break
    weights = [math.exp(x - top) for x in logs]
    total = sum(weights)
    return [w / total for w in weights]


def _erlang_c_wait(m: QueueModel, c: int) -> float:
    """C(c, a): the chance an arrival waits, from Erlang B's stable recursion."""
    a = m.lam / m.mu
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


def _waiting(m: QueueModel, c: int) -> tuple[float, float, float]:
    """(P(wait), mean time in queue over all callers, P(abandon)) in the steady state."""
    if m.theta == 0:
        p_wait = _erlang_c_wait(m, c)
        return p_wait, p_wait / (c * m.mu - m.lam), 0.0
    probs = _stationary(m, c)
    in_queue = sum(n * p for n, p in enumerate(probs[c:]))
    return sum(probs[c:]), in_queue / m.lam, m.theta * in_queue / m.lam  # Little's law


def service_level(m: QueueModel, c: int, x_s: float) -> float:
    """The steady-state chance that a caller leaves the queue within ``x_s`` seconds (at
    0: that they find an agent free)."""
    if x_s <= 0:
        return 1 - _waiting(m, c)[0]
    if m.theta == 0:
        return 1 - _erlang_c_wait(m, c) * math.exp(-(c * m.mu - m.lam) * x_s)
    probs = _stationary(m, c)
    waiting = probs[c:]  # a caller who finds c + n in the system has n ahead
    survive = _not_reached(m, c, len(waiting) - 1, x_s)
    late = sum(p * s for p, s in zip(waiting, survive, strict=True))
    return 1 - math.exp(-m.theta * x_s) * late


def _not_reached(m: QueueModel, c: int, most_ahead: int, x_s: float) -> list[float]:
    """P(D_n > x_s) for n = 0..most_ahead, by uniformisation at the highest rate."""
    import numpy as np

    rates = c * m.mu + m.theta * np.arange(most_ahead + 1)
    top = float(rates[-1])
    mean = top * x_s
    steps = int(mean + 12 * math.sqrt(mean) + 20)
    move = rates / top
    stay = 1 - move
    alive = np.ones(most_ahead + 1)  # P(not through after m uniform steps | n ahead)
    log_weight = -mean  # Poisson(m; mean), in logs so a long horizon does not underflow
    result = np.exp(log_weight) * alive
    for step in range(1, steps + 1):
        shifted = np.concatenate(([0.0], alive[:-1]))
        alive = stay * alive + move * shifted
        log_weight += math.log(mean) - math.log(step)
        result += math.exp(log_weight) * alive
    return [min(1.0, float(v)) for v in result]


def theory_value(m: QueueModel, c: int, metric: str) -> float | None:
    """A sweep metric (``testbed.load.sweep_stats``) in the model's steady state with ``c``
    agents; None for a metric the model does not give or an unstable Erlang C queue."""
    if m.theta == 0 and m.lam >= c * m.mu:
        return None
    if metric.startswith("service_level_") and metric.endswith("s"):
        return service_level(m, c, float(metric[len("service_level_"):-1]))
    _p_wait, mean_wait_s, p_abandon = _waiting(m, c)
    if metric == "mean_wait_s":
        return mean_wait_s
    if metric == "abandonment":
        return p_abandon
    if metric == "occupancy":
        return m.lam * (1 - p_abandon) / (c * m.mu)
    if metric == "wait_p90_s":
        return _quantile(m, c, 0.9)
    return None


def _quantile(m: QueueModel, c: int, p: float) -> float:
    """The shortest time within which a share ``p`` of callers has left the queue."""
    if service_level(m, c, 0.0) >= p:
        return 0.0
    low, high = 0.0, 1.0
    while service_level(m, c, high) < p:
        low, high = high, high * 2
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (low, middle) if service_level(m, c, middle) >= p else (middle, high)
    return high


def smallest_agents(m: QueueModel, target: Target, most: int | None = None) -> int | None:
    """The fewest agents whose steady state meets ``target``; None if the model does not
    give its metric, or no number up to ``most`` (default: ten times the offered load and
    100) meets it.

    Service level, waits and abandonment get better with every agent added, so the
    search doubles the number of agents until the target is met, then halves the gap.
    """
    offered = m.lam / m.mu
    most = most if most is not None else int(10 * offered) + 100
    first = math.floor(offered) + 1 if m.theta == 0 else 1

    def meets(c: int) -> bool | None:
        value = theory_value(m, c, target.metric)
        return None if value is None else target.met(value)

    found = meets(first)
    if found is None:
        return None
    if found:
        return first
    low, step = first, 1  # low never meets it
    while True:
        high = min(low + step, most)
        if meets(high):
            break
        if high == most:
            return None
        low, step = high, step * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if meets(middle) else (middle, high)
    return high
