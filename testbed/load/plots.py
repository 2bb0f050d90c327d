"""PNG plots of a load run (matplotlib, no display needed).

- ``queue_and_agents.png``: contacts in queue and agents on contacts over time;
- ``wait_histogram.png``: how long contacts waited, per queue;
- ``service_level.png``: service level (20 s) per interval and queue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from testbed.records.contact_record import Entry, EventKind
from testbed.records.metrics import QueueInterval

__all__ = ["write_plots"]

_ON_CONTACT = ("Busy", "AfterContactWork")


def _series(entries: Sequence[Entry]) -> tuple[list[float], list[int], list[int]]:
    times, queued, busy = [0.0], [0], [0]
    in_queue = 0
    states: dict[str, str] = {}
    on_contact = 0
    for t, _cid, kind, data in entries:
        if kind is EventKind.ENQUEUED:
            in_queue += 1
        elif kind is EventKind.DEQUEUED:
            in_queue -= 1
        elif kind is EventKind.AGENT_STATE:
            old = states.get(data[0], "Offline")
            new = str(data[1])
            states[data[0]] = new
            on_contact += (new in _ON_CONTACT) - (old in _ON_CONTACT)
        else:
            continue
        times.append(t / 60)
        queued.append(in_queue)
        busy.append(on_contact)
    return times, queued, busy


def write_plots(out: Path, entries: Sequence[Entry], waits: dict[str, list[float]],
                intervals: Sequence[QueueInterval], title: str, start: datetime) -> list[Path]:
    """Write the three PNGs into ``out``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    times, queued, busy = _series(entries)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.step(times, queued, where="post", label="contacts in queue")
    ax.step(times, busy, where="post", label="agents on contacts")
    ax.set_xlabel("testbed minutes")
    ax.set_ylabel("count")
    ax.set_title(f"{title}: queue and agents over time")
    ax.legend()
    written.append(_save(fig, out / "queue_and_agents.png"))

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for queue, values in sorted(waits.items()):
        if values:
            ax.hist(values, bins=50, alpha=0.6, label=queue)
    ax.set_xlabel("wait (s)")
    ax.set_ylabel("contacts")
    ax.set_title(f"{title}: wait times")
    if waits:
        ax.legend()
    written.append(_save(fig, out / "wait_histogram.png"))

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for queue in sorted({i.queue for i in intervals}):
        rows = [i for i in intervals if i.queue == queue]
        level = [r.service_level.get(20) for r in rows]
        ax.plot([(r.start - start).total_seconds() / 60 for r in rows],
                [math.nan if v is None else v for v in level], marker="o", label=queue)
    ax.set_xlabel(f"testbed minutes (interval start; 0 = {start:%Y-%m-%d %H:%M} UTC)")
    ax.set_ylabel("service level 20 s (%)")
    ax.set_ylim(0, 105)
    ax.set_title(f"{title}: service level per interval")
    if intervals:
        ax.legend()
    written.append(_save(fig, out / "service_level.png"))
    return written


def _save(fig: object, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=100)  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return path
