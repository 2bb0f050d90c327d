"""A sweep's numbers: what each run measures, means with confidence intervals, targets.

Each run of a sweep measures, over the queues it reports on (every queue the
run used, or one named):

- ``offered``, ``handled``, ``abandoned``, ``called_back``: contacts, as the
  load report counts them (``testbed.load.report``), summed over the queues;
- ``service_level_{X}s``: the share (0 to 1) of offered contacts whose wait
  was under X seconds; the load report shows the same as a percentage;
- ``mean_wait_s`` and ``wait_p90_s``: over the contacts that left a queue
  (nearest-rank percentile), in seconds to the millisecond;
- ``abandonment``: abandoned / offered (0 to 1);
- ``occupancy``: the agents' time on contacts / time staffed (0 to 1);
- ``arrived``: callers who called; ``incomplete``: contacts the run gave up on.

Over the replications of a combination each metric gets its mean and a 95 %
confidence interval, mean ± t(0.975, n - 1) · s / √n with s the sample
standard deviation of the runs' values (runs where the metric is undefined,
say a service level with nothing offered, are left out); with one value there
is no interval.

A target is ``METRIC OP NUMBER``, OP one of ``>=``, ``<=``, ``>``, ``<``, the
number a share (0.8) or a percentage (80%) for the shares.  A combination
meets it when its mean does; it meets it *surely* when the whole interval
does.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from testbed.core.errors import ConfigError
from testbed.load.report import Report

__all__ = ["COUNTS", "Target", "metric_names", "parse_target", "run_metrics", "summarise",
           "t_quantile"]

#: Metrics that count contacts or callers.
COUNTS = ("arrived", "offered", "handled", "abandoned", "called_back", "incomplete")
#: Metrics that are shares from 0 to 1 (besides the service levels).
SHARES = ("abandonment", "occupancy")
_SERVICE_LEVEL = re.compile(r"service_level_(\d+)s")
_TARGET = re.compile(r"\s*([a-z0-9_]+)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*(%?)\s*")

# t(0.975, df) for df = 1 to 30; beyond, the Cornish-Fisher expansion around the normal
# quantile is good to 1e-4.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t_quantile(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (>= 1)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = statistics.NormalDist().inv_cdf(0.975)
    return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))


def metric_names(levels: Iterable[int]) -> tuple[str, ...]:
    """Every metric a run measures, with service levels at ``levels`` seconds."""
    return ("arrived", "offered", "handled", "abandoned", "called_back",
            *(f"service_level_{x}s" for x in sorted(set(levels))), "mean_wait_s",
            "wait_p90_s", "abandonment", "occupancy", "incomplete")


def run_metrics(report: Report, waits: Mapping[str, Sequence[float]], levels: Iterable[int],
                queue: str | None, callers: int, incomplete: int) -> dict[str, Any]:
    """A run's metrics (see the module docstring) from its report and its waits by queue
    (``waits_by_queue``), over ``queue`` or, when None, every queue."""
    queues = [q for q in report.queues if queue is None or q.queue == queue]
    offered = sum(q.offered for q in queues)
    all_waits = sorted(w for q in queues for w in waits.get(q.queue, ()))
    abandoned = sum(q.abandoned for q in queues)
    out: dict[str, Any] = {
        "arrived": callers, "offered": offered, "handled": sum(q.handled for q in queues),
        "abandoned": abandoned, "called_back": sum(q.called_back for q in queues)}
    for x in sorted(set(levels)):
        out[f"service_level_{x}s"] = (sum(1 for w in all_waits if w < x) / offered
                                      if offered else None)
    # Rounded as the load report rounds them, so one queue gives the report's numbers.
    out["mean_wait_s"] = round(sum(all_waits) / len(all_waits), 3) if all_waits else None
    out["wait_p90_s"] = (round(all_waits[max(1, -(-len(all_waits) * 90 // 100)) - 1], 3)
                         if all_waits else None)
    out["abandonment"] = abandoned / offered if offered else None
    out["occupancy"] = report.agent_occupancy
    out["incomplete"] = incomplete
    return out


def summarise(runs: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """``{metric}_mean``, ``{metric}_ci_low`` and ``{metric}_ci_high`` of each of ``names``
    over ``runs`` (None where no run, or one, defines it)."""
    out: dict[str, Any] = {}
    for name in names:
        values = [float(r[name]) for r in runs if r.get(name) is not None]
        mean = statistics.fmean(values) if values else None
        low = high = None
        if len(values) >= 2 and mean is not None:
            half = t_quantile(len(values) - 1) * statistics.stdev(values) / math.sqrt(
                len(values))
            low, high = mean - half, mean + half
        out[f"{name}_mean"], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = mean, low, high
    return out


@dataclass(frozen=True)
class Target:
    """``metric op value``: what a combination's mean must meet (see the module docstring)."""

    metric: str
    op: str
    value: float
    text: str

    @property
    def level_s(self) -> int | None:
        """The service level's threshold in seconds, for a service-level target."""
        match = _SERVICE_LEVEL.fullmatch(self.metric)
        return int(match.group(1)) if match else None

    @property
    def higher_is_better(self) -> bool:
        return self.op in (">=", ">")

    def met(self, value: float | None) -> bool:
        """Whether ``value`` meets the target (None never does)."""
        if value is None:
            return False
        if self.op == ">=":
            return value >= self.value
        if self.op == ">":
            return value > self.value
        if self.op == "<=":
            return value <= self.value
        return value < self.value

    def met_by(self, row: Mapping[str, Any]) -> bool:
        """Whether a combination's mean meets the target."""
        return self.met(row.get(f"{self.metric}_mean"))

    def surely_met_by(self, row: Mapping[str, Any]) -> bool:
        """Whether the combination's whole 95 % interval meets the target."""
        bound = row.get(f"{self.metric}_ci_low" if self.higher_is_better
                        else f"{self.metric}_ci_high")
        return self.met(bound)

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


def parse_target(text: str) -> Target:
    """A Target from ``METRIC OP NUMBER[%]``; ConfigError naming the text otherwise."""
    example = "such as service_level_20s>=0.8, abandonment<=5% or mean_wait_s<=30"
    match = _TARGET.fullmatch(text)
    if match is None:
        raise ConfigError(f"--target {text!r}: expected METRIC>=NUMBER or METRIC<=NUMBER, "
                          f"{example}")
    metric, op, number, percent = match.groups()
    known = metric_names(())
    if metric not in known and not _SERVICE_LEVEL.fullmatch(metric):
        raise ConfigError(f"--target {text!r}: unknown metric {metric!r}; metrics: "
                          f"{', '.join(known)}, service_level_{{X}}s")
    try:
        value = float(number)
    except ValueError:
        raise ConfigError(f"--target {text!r}: {number!r} is not a number") from None
    share = metric in SHARES or _SERVICE_LEVEL.fullmatch(metric) is not None
    if percent:
        if not share:
            raise ConfigError(f"--target {text!r}: {metric} is not a share; drop the %")
        value /= 100
    if share and not 0 <= value <= 1:
        raise ConfigError(f"--target {text!r}: {metric} is a share from 0 to 1 (or 0% to "
                          f"100%), got {number}{percent}")
    if _SERVICE_LEVEL.fullmatch(metric) and int(metric.split("_")[2][:-1]) < 1:
        raise ConfigError(f"--target {text!r}: a service level needs a threshold of 1 s or "
                          f"more")
    return Target(metric, op, value, text.strip())
