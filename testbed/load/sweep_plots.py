"""PNG plots of a sweep (matplotlib, no display needed): each metric against the first
varied key, with its 95 % confidence band.

One file per metric: the service levels (``service_level_20s.png``, ...),
``mean_wait_s.png``, ``abandonment.png`` and ``occupancy.png``.  Each line is a
value of the other varied keys; the band runs from ``_ci_low`` to ``_ci_high``;
a dashed line gives Erlang C's or Erlang A's value where the sweep has one, and
the target's plot draws the target as a dotted line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from testbed.load.sweep import SweepTable
from testbed.load.sweep_stats import SHARES

__all__ = ["plotted_metrics", "write_sweep_plots"]

_LABELS = {"mean_wait_s": "mean wait (s)", "abandonment": "abandonment (%)",
           "occupancy": "agent occupancy (%)"}


def plotted_metrics(table: SweepTable) -> list[str]:
    """The metrics a sweep's plots show, in order."""
    return [*(f"service_level_{x}s" for x in table.levels), "mean_wait_s", "abandonment",
            "occupancy"]


def _label(metric: str) -> str:
    if metric.startswith("service_level_"):
        return f"service level {metric[len('service_level_'):-1]} s (%)"
    return _LABELS.get(metric, metric)


def _numbers(values: Sequence[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def write_sweep_plots(out: Path, table: SweepTable, title: str) -> list[Path]:
    """Write one PNG per plotted metric into ``out``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first, others = table.keys[0], table.keys[1:]
    numeric = all(isinstance(r[first], int | float) and not isinstance(r[first], bool)
                  for r in table)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in table:
        label = ", ".join(f"{k}={row[k]}" for k in others)
        groups.setdefault(label, []).append(row)
    ticks = list(dict.fromkeys(str(r[first]) for r in table))
    written = []
    for metric in plotted_metrics(table):
        scale = 100.0 if metric in SHARES or metric.startswith("service_level_") else 1.0
        fig, ax = plt.subplots(figsize=(9, 4.5))
        for label, rows in groups.items():
            xs = ([float(r[first]) for r in rows] if numeric
                  else [ticks.index(str(r[first])) for r in rows])
            mean = [v * scale for v in _numbers([r[f"{metric}_mean"] for r in rows])]
            low = [v * scale for v in _numbers([r[f"{metric}_ci_low"] for r in rows])]
            high = [v * scale for v in _numbers([r[f"{metric}_ci_high"] for r in rows])]
            line = ax.plot(xs, mean, marker="o", label=label or "runs (mean)")[0]
            ax.fill_between(xs, low, high, alpha=0.2, color=line.get_color(),
                            label=f"95 % interval{f' ({label})' if label else ''}")
            if any(f"{metric}_theory" in r for r in rows):
                theory = [v * scale for v in _numbers([r.get(f"{metric}_theory")
                                                       for r in rows])]
                model = next((r["theory"] for r in rows if "theory" in r), "theory")
                ax.plot(xs, theory, linestyle="--", color=line.get_color(),
                        label=f"{model}, steady state{f' ({label})' if label else ''}")
        target = table.target
        if target is not None and target.metric == metric:
            ax.axhline(target.value * scale, linestyle=":", color="black",
                       label=f"target {target}")
        if not numeric:
            ax.set_xticks(range(len(ticks)), ticks)
        ax.set_xlabel(first)
        ax.set_ylabel(_label(metric))
        if scale == 100.0:
            ax.set_ylim(0, 105)
        ax.set_title(f"{title}: {_label(metric)} by {first}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
        path = out / f"{metric}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
