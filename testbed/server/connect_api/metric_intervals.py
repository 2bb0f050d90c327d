"""The intervals of a historical metrics request: Connect's IntervalPeriod in a time zone.

FIFTEEN_MIN, THIRTY_MIN and HOUR cut at quarter hours, half hours and hours on
the zone's wall clock, DAY at its midnights and WEEK at its Monday midnights;
TOTAL does not cut.  The first interval starts at the request's StartTime and
the last ends at its EndTime, so they may be shorter than the period.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

__all__ = ["PERIODS", "intervals"]

#: IntervalPeriod -> its length when fixed (DAY and WEEK follow the time zone's calendar).
PERIODS: dict[str, timedelta | None] = {
    "FIFTEEN_MIN": timedelta(minutes=15), "THIRTY_MIN": timedelta(minutes=30),
    "HOUR": timedelta(hours=1), "DAY": None, "WEEK": None, "TOTAL": None}


def _next_boundary(t: datetime, period: str, zone: ZoneInfo) -> datetime:
    """The first boundary of ``period`` after ``t``: quarter and half hours and hours on
    the wall clock of ``zone``, its midnights (DAY) and Monday midnights (WEEK)."""
    local = t.astimezone(zone)
    step = PERIODS[period]
    if step is not None:
        minutes = int(step.total_seconds() // 60)
        floor = local.replace(minute=local.minute - local.minute % minutes, second=0,
                              microsecond=0) if minutes < 60 else \
            local.replace(minute=0, second=0, microsecond=0)
        return floor.astimezone(UTC) + step
    days = 1 if period == "DAY" else 7 - local.weekday()
    return datetime.combine(local.date() + timedelta(days=days), time(), tzinfo=zone
                            ).astimezone(UTC)


def intervals(start: datetime, end: datetime, period: str, zone: ZoneInfo
              ) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut at ``period``'s boundaries in ``zone`` (TOTAL: not cut); the
    first and last intervals end at ``start`` and ``end``."""
    edges = [start]
    if period != "TOTAL":
        cut = _next_boundary(start, period, zone)
        while cut < end:
            edges.append(cut)
            cut = _next_boundary(cut, period, zone)
    edges.append(end)
    return list(pairwise(edges))
