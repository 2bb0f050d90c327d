"""Hours of operation: Amazon Connect's weekly hours and overrides, evaluated in testbed time.

Rules (Connect admin guide, "Set the hours of operation" and "Identify dates where
you need to override standard operating hours"):

* A slot is an open period on a day of the week in the local wall-clock time of
  the hours' IANA time zone, from its start (open) to its end (closed again):
  MONDAY 09:00-17:00 is open at 09:00 and closed at 17:00.  Several slots on a
  day are all open (a lunch break is two slots); a day without slots is closed.
* Midnight is 00:00 (Connect: "to specify midnight, enter 12:00AM"; 10:00AM to
  12:00AM is 14 hours).  In general, an end at or before the start is on the
  next day: 10:00-00:00 ends at the midnight that ends the day, FRIDAY
  22:00-02:00 runs into Saturday, and a start equal to the end is 24 hours
  (00:00-00:00 is the whole day, Connect's 24x7 schedule).  A slot belongs to
  the day it starts.
* An override applies on the local dates from ``effective_from`` to
  ``effective_till`` inclusive; its slots apply on the dates of the range that
  fall on their day.  Connect's order for competing overrides decides each
  instant: a CLOSED override closes during its slots (all day if it has none);
  otherwise an OPEN override opens during its slots (all day if it has none);
  otherwise a STANDARD override ("temporary hours") replaces the weekly slots of
  each date it covers (closed all day if it has none); otherwise the weekly
  slots apply.  Two STANDARD overrides may not share a date.  Replacing a
  date's slots leaves the previous date's slot that runs past midnight alone.
* Daylight saving time: the state follows the local clock's reading, as Connect
  compares "the current time in the time zone" with the hours.  When clocks go
  forward the skipped readings never occur: a slot starting at 02:30 opens at
  03:00, when the clock jumps past 02:30, and a slot lying inside the skipped
  hour never opens.  When clocks go back the repeated hour is read twice and
  gives the same answer both times: a slot ending at 01:30 closes at the first
  01:30 and is open again from the second 01:00 to the second 01:30.

Example::

    hours = HoursOfOperation.of("Support", "America/New_York", {
        "MONDAY": "09:00-17:00", "TUESDAY": ["09:00-12:00", "13:00-17:00"],
    }, overrides=[{"name": "Christmas", "from": "2022-12-25", "till": "2022-12-26",
                   "type": "CLOSED"}])
    hours.is_open(datetime(2022, 4, 11, 13, 0, tzinfo=UTC))      # True: 09:00 EDT
    hours.next_change(datetime(2022, 4, 11, 13, 0, tzinfo=UTC))  # 2022-04-11 21:00 UTC
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from testbed.core.errors import ConfigError

__all__ = ["Day", "HoursOfOperation", "HoursOverride", "OverrideType", "TimeSlot", "load_hours"]

_DAY_MIN = 24 * 60
_ONE_DAY = timedelta(days=1)
#: Past its overrides the hours repeat every week: they change within a week, or two
#: when a clock change skips the week's only change, or never.
_HORIZON = timedelta(days=15)
_PERIOD = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Span = tuple[datetime, datetime]
T = TypeVar("T")


class Day(StrEnum):
    """A day of the week, spelled as Connect spells it; members run Monday to Sunday."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"

    @classmethod
    def of(cls, when: date) -> Day:
        """The day of the week of a date."""
        return _DAYS[when.weekday()]


_DAYS = tuple(Day)


class OverrideType(StrEnum):
    """Connect's OverrideType: temporary hours (STANDARD) or an open / closed event."""

    STANDARD = "STANDARD"
    OPEN = "OPEN"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class TimeSlot:
    """One open period on a day, in local time: Connect's HoursOfOperationConfig.

    ``start`` and ``end`` are (hours, minutes), hours 0-23 and minutes 0-59.  An
    end at or before the start is on the next day (00:00 is the midnight that
    ends the day; start == end is 24 hours).  A day given as text is accepted
    in any case.
    """

    day: Day
    start: tuple[int, int]
    end: tuple[int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "day", _day(self.day, "slot day"))
        for name in ("start", "end"):
            value = getattr(self, name)
            if (not isinstance(value, tuple | list) or len(value) != 2
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
                raise ConfigError(f"{self.day} slot {name} must be (hours, minutes), got {value!r}")
            hours, minutes = value
            if not 0 <= hours <= 23:
                raise ConfigError(f"{self.day} slot {name} hours {hours} is not 0-23")
            if not 0 <= minutes <= 59:
                raise ConfigError(f"{self.day} slot {name} minutes {minutes} is not 0-59")
            object.__setattr__(self, name, (hours, minutes))

    @property
    def start_min(self) -> int:
        """Minutes from the start of the day to the opening."""
        return self.start[0] * 60 + self.start[1]

    @property
    def length_min(self) -> int:
        """Minutes open: 1 to 1440."""
        return (self.end[0] * 60 + self.end[1] - self.start_min) % _DAY_MIN or _DAY_MIN

    def __str__(self) -> str:
        return f"{self.day} {_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True, slots=True)
class HoursOverride:
    """A date range with its own hours: Connect's HoursOfOperationOverride.

    On each local date from ``effective_from`` to ``effective_till`` (inclusive):
    CLOSED closes during its slots (all day without slots) and wins over
    everything; OPEN opens during its slots (all day without slots) and wins
    over STANDARD and the weekly hours; STANDARD replaces the weekly slots of
    the date by its own (closed all day without slots).  ``override_type`` is
    any case of "STANDARD", "OPEN" or "CLOSED" and is kept as an OverrideType.
    """

    name: str
    effective_from: date
    effective_till: date
    override_type: str = OverrideType.STANDARD
    slots: tuple[TimeSlot, ...] = ()
    description: str = ""
    override_id: str = ""

    def __post_init__(self) -> None:
        where = f"override {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"an override's name must be non-empty text, got {self.name!r}")
        for name in ("effective_from", "effective_till"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ConfigError(f"{where}: {name} must be a date, got {value!r}")
        if self.effective_till < self.effective_from:
            raise ConfigError(f"{where}: effective_till {self.effective_till} is before "
                              f"effective_from {self.effective_from}")
        kind = self.override_type
        try:
            kind = OverrideType(str(kind).upper())
        except ValueError:
            raise ConfigError(f"{where}: override type {self.override_type!r} is not "
                              f"STANDARD, OPEN or CLOSED") from None
        object.__setattr__(self, "override_type", kind)
        object.__setattr__(self, "slots", _slot_tuple(self.slots, where))
        for name in ("description", "override_id"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{where}: {name} must be text, got {getattr(self, name)!r}")
        days = {Day.of(self.effective_from + _ONE_DAY * i)
                for i in range(min(7, (self.effective_till - self.effective_from).days + 1))}
        for slot in self.slots:
            if slot.day not in days:
                raise ConfigError(f"{where}: slot {slot} falls on no date from "
                                  f"{self.effective_from} to {self.effective_till}")

    def covers(self, when: date) -> bool:
        """Whether a local date is in the override's range."""
        return self.effective_from <= when <= self.effective_till


@dataclass(frozen=True)
class HoursOfOperation:
    """Weekly hours in a time zone, with overrides: Connect's HoursOfOperation.

    ``is_open`` and ``next_change`` take aware datetimes (the testbed's wall
    time, UTC) and apply the module's rules.  ``hours_of_operation_id`` and
    ``hours_of_operation_arn`` keep Connect's identifiers (a flow's
    CheckHoursOfOperation names hours by either).
    """

    name: str
    time_zone: str
    slots: tuple[TimeSlot, ...]
    overrides: tuple[HoursOverride, ...] = ()
    description: str = ""
    hours_of_operation_id: str = ""
    hours_of_operation_arn: str = ""
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"hours of operation need a non-empty name, got {self.name!r}")
        where = f"hours {self.name!r}"
        object.__setattr__(self, "_zone", _zone(self.time_zone, where))
        object.__setattr__(self, "slots", _slot_tuple(self.slots, where))
        overrides = tuple(self.overrides) if isinstance(self.overrides, Iterable) else None
        if overrides is None or not all(isinstance(o, HoursOverride) for o in overrides):
            raise ConfigError(f"{where}: overrides must be HoursOverride objects, "
                              f"got {self.overrides!r}")
        object.__setattr__(self, "overrides", overrides)
        standard = [o for o in self.overrides if o.override_type is OverrideType.STANDARD]
        for i, a in enumerate(standard):
            for b in standard[i + 1:]:
                if a.effective_from <= b.effective_till and b.effective_from <= a.effective_till:
                    raise ConfigError(
                        f"{where}: STANDARD overrides {a.name!r} and {b.name!r} both cover "
                        f"{max(a.effective_from, b.effective_from)}; split the ranges, or "
                        f"use a CLOSED or OPEN override for the exception")
        for name in ("description", "hours_of_operation_id", "hours_of_operation_arn"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{where}: {name} must be text, got {getattr(self, name)!r}")

    # -- evaluation ----------------------------------------------------------
    def is_open(self, instant: datetime) -> bool:
        """Whether the hours are open at an instant (an aware datetime)."""
        return self._open_at(self._wall(instant, "is_open"), {})

    def next_change(self, instant: datetime) -> datetime | None:
        """The first instant after ``instant`` where ``is_open`` gives the other answer.

        An aware UTC datetime, or None when the answer never changes: nothing
        changes within 15 days after the later of ``instant`` and the day after
        the last override.
        """
        wall = self._wall(instant, "next_change")
        plans: dict[date, _DayPlan] = {}
        state = self._open_at(wall, plans)
        last = max([wall.date(), *(o.effective_till + _ONE_DAY for o in self.overrides)])
        last = min(last + _HORIZON, date.max - 2 * _ONE_DAY)
        horizon = datetime.combine(last, time(), self._zone).astimezone(UTC)
        start = instant.astimezone(UTC)
        while start < horizon:  # two days at a time: most answers are in the first
            end = min(start + 2 * _ONE_DAY, horizon)
            for candidate in self._candidates(start, end):
                if self._open_at(self._local(candidate), plans) != state:
                    return candidate
            start = end
        return None

    def _wall(self, instant: datetime, what: str) -> datetime:
        if not isinstance(instant, datetime) or instant.utcoffset() is None:
            raise ConfigError(f"hours {self.name!r}: {what} takes an aware datetime "
                              f"(testbed wall time, UTC), got {instant!r}")
        return self._local(instant)

    def _local(self, instant: datetime) -> datetime:
        """The local clock's reading at an instant, as a naive datetime."""
        return instant.astimezone(self._zone).replace(tzinfo=None)

    def _open_at(self, wall: datetime, plans: dict[date, _DayPlan]) -> bool:
        today = wall.date()
        days = [self._plan(today - _ONE_DAY, plans), self._plan(today, plans)]
        if any(_inside(wall, p.closed) for p in days):
            return False
        return any(_inside(wall, p.opened) or _inside(wall, p.base) for p in days)

    def _plan(self, when: date, plans: dict[date, _DayPlan]) -> _DayPlan:
        """The spans that start on a local date, by kind (cached in ``plans``)."""
        plan = plans.get(when)
        if plan is not None:
            return plan
        day = Day.of(when)
        midnight = datetime.combine(when, time())
        base_slots = self.slots
        opened: list[Span] = []
        closed: list[Span] = []
        for o in self.overrides:
            if not o.covers(when):
                continue
            if o.override_type is OverrideType.STANDARD:
                base_slots = o.slots
                continue
            spans = opened if o.override_type is OverrideType.OPEN else closed
            if o.slots:
                spans.extend(_spans(midnight, o.slots, day))
            else:
                spans.append((midnight, midnight + _ONE_DAY))
        plan = _DayPlan(_spans(midnight, base_slots, day), tuple(opened), tuple(closed))
        plans[when] = plan
        return plan

    def _candidates(self, after: datetime, until: datetime) -> list[datetime]:
        """Every instant in (after, until] where the answer could change, in order:
        each reading of a slot boundary (both readings in a repeated hour) and
        each change of the UTC offset."""
        all_slots = [*self.slots, *(s for o in self.overrides for s in o.slots)]
        minutes = sorted({0, *(s.start_min for s in all_slots),
                          *((s.start_min + s.length_min) % _DAY_MIN for s in all_slots)})
        found = set(_offset_changes(self._zone, after, until))
        # A day either side: where clocks go back over midnight, readings revisit a date.
        when = self._local(after).date() - _ONE_DAY
        while when <= self._local(until).date() + _ONE_DAY:
            midnight = datetime.combine(when, time())
            for m in minutes:
                for fold in (0, 1):
                    wall = (midnight + timedelta(minutes=m)).replace(tzinfo=self._zone, fold=fold)
                    candidate = wall.astimezone(UTC)
                    if after < candidate <= until:
                        found.add(candidate)
            when += _ONE_DAY
        return sorted(found)

    # -- building --------------------------------------------------------------
    @classmethod
    def of(cls, name: str, time_zone: str, weekly: Mapping[str, str | Sequence[str]],
           overrides: Iterable[Mapping[str, Any] | HoursOverride] = (),
           description: str = "") -> HoursOfOperation:
        """Hours from the Python / TOML-friendly form.

        ``weekly`` maps day names (any case) to "HH:MM-HH:MM", a list of them,
        "closed", or "24h" (the same as "00:00-00:00"); an absent day is closed
        and "24:00" may end a slot.  Each override is an HoursOverride or a
        mapping with ``name``, ``from``, ``till`` (default: ``from``), ``type``
        (default STANDARD), ``hours`` (periods for every day of the range, or a
        mapping of day names to periods) and ``description``; dates are
        "YYYY-MM-DD" or date objects.
        """
        where = f"hours {name!r}"
        if not isinstance(weekly, Mapping):
            raise ConfigError(f"{where}: weekly hours must map day names to periods, "
                              f"got {weekly!r}")
        slots = _slots_from_days(weekly, where, None)
        built: list[HoursOverride] = []
        for i, item in enumerate(overrides):
            if isinstance(item, HoursOverride):
                built.append(item)
            else:
                built.append(_override_of(item, f"{where}: override {i}", where))
        return cls(name, time_zone, tuple(slots), tuple(built), description)

    @classmethod
    def from_connect(cls, document: Mapping[str, Any],
                     overrides: Sequence[Mapping[str, Any]] = ()) -> HoursOfOperation:
        """Hours from Connect's API objects.

        ``document`` is DescribeHoursOfOperation's ``HoursOfOperation`` object or
        the whole response; ``overrides`` are ListHoursOfOperationOverrides'
        items (by default, the response's ``HoursOfOperationOverrideList``).
        Recurring overrides (RecurrenceConfig) are refused; keys the testbed has
        no use for (Tags, LastModifiedTime) are ignored.
        """
        if not isinstance(document, Mapping):
            raise ConfigError(f"a Connect hours of operation document must be an object, "
                              f"got {document!r}")
        inner = document.get("HoursOfOperation", document)
        if not isinstance(inner, Mapping):
            raise ConfigError(f"Connect 'HoursOfOperation' must be an object, got {inner!r}")
        if not overrides:
            overrides = document.get("HoursOfOperationOverrideList") or ()
        name = inner.get("Name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"Connect hours of operation: Name must be non-empty text, "
                              f"got {name!r}")
        where = f"hours {name!r}"
        config = inner.get("Config")
        if not isinstance(config, list):
            raise ConfigError(f"{where}: Config must be a list of slots, got {config!r}")
        slots = [_slot_from_connect(item, f"{where}: Config[{i}]")
                 for i, item in enumerate(config)]
        if not isinstance(overrides, Sequence) or isinstance(overrides, str | bytes):
            raise ConfigError(f"{where}: overrides must be a list of Connect override "
                              f"objects, got {overrides!r}")
        built = [_override_from_connect(item, f"{where}: override {i}", where)
                 for i, item in enumerate(overrides)]
        time_zone = inner.get("TimeZone")
        if not isinstance(time_zone, str):
            raise ConfigError(f"{where}: TimeZone must be an IANA time zone name such as "
                              f"'America/New_York', got {time_zone!r}")
        text = {key: inner.get(key, "") or "" for key in
                ("Description", "HoursOfOperationId", "HoursOfOperationArn")}
        return _wrapped(where, lambda: cls(
            name, time_zone, tuple(slots), tuple(built), text["Description"],
            text["HoursOfOperationId"], text["HoursOfOperationArn"]))

    def to_connect(self) -> dict[str, Any]:
        """The ``HoursOfOperation`` object of a DescribeHoursOfOperation response."""
        doc: dict[str, Any] = self._ids()
        doc["Name"] = self.name
        if self.description:
            doc["Description"] = self.description
        doc["TimeZone"] = self.time_zone
        doc["Config"] = [_slot_to_connect(s) for s in self.slots]
        return doc

    def overrides_to_connect(self) -> list[dict[str, Any]]:
        """The overrides as ListHoursOfOperationOverrides lists them."""
        result = []
        for o in self.overrides:
            item: dict[str, Any] = {}
            if o.override_id:
                item["HoursOfOperationOverrideId"] = o.override_id
            item.update(self._ids())
            item["Name"] = o.name
            if o.description:
                item["Description"] = o.description
            item["Config"] = [_slot_to_connect(s) for s in o.slots]
            item["EffectiveFrom"] = o.effective_from.isoformat()
            item["EffectiveTill"] = o.effective_till.isoformat()
            item["OverrideType"] = str(o.override_type)
            result.append(item)
        return result

    def _ids(self) -> dict[str, Any]:
        ids: dict[str, Any] = {}
        if self.hours_of_operation_id:
            ids["HoursOfOperationId"] = self.hours_of_operation_id
        if self.hours_of_operation_arn:
            ids["HoursOfOperationArn"] = self.hours_of_operation_arn
        return ids


def load_hours(path: str | Path) -> list[HoursOfOperation]:
    """Hours from a JSON file holding one Connect document or a list of them.

    Each document is what ``HoursOfOperation.from_connect`` takes; a whole
    DescribeHoursOfOperation response may carry its overrides under
    ``HoursOfOperationOverrideList``.  Names must be unique in the file.
    """
    where = f"hours file '{path}'"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: is not valid JSON (line {exc.lineno}, column "
                          f"{exc.colno}: {exc.msg})") from None
    documents = data if isinstance(data, list) else [data]
    result: list[HoursOfOperation] = []
    for i, document in enumerate(documents):
        label = f"{where} [{i}]" if isinstance(data, list) else where
        hours = _wrapped(label, partial(HoursOfOperation.from_connect, document))
        if any(h.name == hours.name for h in result):
            raise ConfigError(f"{label}: a second hours of operation named {hours.name!r}")
        result.append(hours)
    return result


# -- evaluation helpers ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _DayPlan:
    """What starts on one local date: base (weekly or STANDARD), OPEN and CLOSED spans."""

    base: tuple[Span, ...]
    opened: tuple[Span, ...]
    closed: tuple[Span, ...]


def _spans(midnight: datetime, slots: Iterable[TimeSlot], day: Day) -> tuple[Span, ...]:
    return tuple((midnight + timedelta(minutes=s.start_min),
                  midnight + timedelta(minutes=s.start_min + s.length_min))
                 for s in slots if s.day is day)


def _inside(wall: datetime, spans: Iterable[Span]) -> bool:
    return any(start <= wall < end for start, end in spans)


def _offset_changes(zone: ZoneInfo, after: datetime, horizon: datetime) -> list[datetime]:
    """The instants in (after, horizon] where the zone's UTC offset changes, to the second
    (offsets are sampled every 6 hours; no zone changes twice that fast)."""
    def offset(seconds: int) -> timedelta | None:
        return datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()

    changes = []
    lo = int(after.timestamp())
    end = int(horizon.timestamp()) + 1
    while lo < end:
        hi = min(lo + 6 * 3600, end)
        if offset(lo) != offset(hi):
            a, b = lo, hi
            new = offset(hi)
            while b - a > 1:
                mid = (a + b) // 2
                a, b = (a, mid) if offset(mid) == new else (mid, b)
            change = datetime.fromtimestamp(b, UTC)
            if after < change <= horizon:
                changes.append(change)
        lo = hi
    return changes


# -- parsing helpers -------------------------------------------------------------
def _day(value: object, what: str) -> Day:
    if isinstance(value, Day):
        return value
    if isinstance(value, str):
        try:
            return Day(value.strip().upper())
        except ValueError:
            pass
    raise ConfigError(f"{what} {value!r} is not a day (MONDAY ... SUNDAY)")


def _zone(name: object, where: str) -> ZoneInfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ConfigError(f"{where}: time_zone {name!r} is not an IANA time zone "
                      f"such as 'America/New_York'")


def _slot_tuple(slots: object, where: str) -> tuple[TimeSlot, ...]:
    if isinstance(slots, Iterable) and not isinstance(slots, str | bytes | Mapping):
        result = tuple(slots)
        if all(isinstance(s, TimeSlot) for s in result):
            return result
    raise ConfigError(f"{where}: slots must be TimeSlot objects, got {slots!r}")


def _wrapped(where: str, build: Callable[[], T]) -> T:
    """Call ``build()``; a ConfigError it raises gets ``where`` in front unless it names it."""
    try:
        return build()
    except ConfigError as exc:
        if str(exc).startswith(where):
            raise
        raise ConfigError(f"{where}: {exc}") from None


def _hhmm(clock: tuple[int, int]) -> str:
    return f"{clock[0]:02d}:{clock[1]:02d}"


def _periods(value: object, day: Day, where: str) -> list[TimeSlot]:
    """Slots from "HH:MM-HH:MM", a list of them, "closed" or "24h"."""
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, Sequence) or not all(isinstance(t, str) for t in texts):
        raise ConfigError(f"{where}: {day} must be 'HH:MM-HH:MM', a list of them, 'closed' "
                          f"or '24h', got {value!r}")
    slots = []
    for text in texts:
        word = text.strip().lower()
        if word == "closed":
            continue
        if word == "24h":
            slots.append(TimeSlot(day, (0, 0), (0, 0)))
            continue
        match = _PERIOD.fullmatch(text)
        if match is None:
            raise ConfigError(f"{where}: {day} slot {text!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if (h2, m2) == (24, 0):  # 24:00 ends the day, as 00:00 does
            h2 = 0
        for hours in (h1, h2):
            if hours > 23:
                raise ConfigError(f"{where}: {day} slot {text!r}: hours {hours} is not 0-23")
        for minutes in (m1, m2):
            if minutes > 59:
                raise ConfigError(f"{where}: {day} slot {text!r}: minutes {minutes} "
                                  f"is not 0-59")
        slots.append(TimeSlot(day, (h1, m1), (h2, m2)))
    return slots


def _slots_from_days(days: Mapping[Any, Any], where: str,
                     allowed: set[Day] | None) -> list[TimeSlot]:
    slots: list[TimeSlot] = []
    seen: set[Day] = set()
    for key, value in days.items():
        day = _day(key, f"{where}: key")
        if day in seen:
            raise ConfigError(f"{where}: {day} is given twice ({key!r})")
        seen.add(day)
        if allowed is not None and day not in allowed:
            raise ConfigError(f"{where}: no date of the range falls on {day}")
        slots.extend(_periods(value, day, where))
    return slots


def _date(value: object, what: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{what} {value!r} is not a date YYYY-MM-DD")


_OVERRIDE_KEYS = ("name", "from", "till", "type", "hours", "description")


def _override_of(item: object, label: str, where: str) -> HoursOverride:
    if not isinstance(item, Mapping):
        raise ConfigError(f"{label} must be a mapping with {', '.join(_OVERRIDE_KEYS)}, "
                          f"got {item!r}")
    unknown = [k for k in item if k not in _OVERRIDE_KEYS]
    if unknown:
        raise ConfigError(f"{label} has unknown key(s) {', '.join(map(repr, unknown))} "
                          f"(expected {', '.join(_OVERRIDE_KEYS)})")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{label}: name must be non-empty text, got {name!r}")
    label = f"{where}: override {name!r}"
    if "from" not in item:
        raise ConfigError(f"{label}: 'from' (the first date) is missing")
    start = _date(item["from"], f"{label}: from")
    till = _date(item.get("till", item["from"]), f"{label}: till")
    if till < start:
        raise ConfigError(f"{label}: till {till} is before from {start}")
    days = sorted({Day.of(start + _ONE_DAY * i)
                   for i in range(min(7, (till - start).days + 1))})
    hours = item.get("hours")
    slots: list[TimeSlot] = []
    if isinstance(hours, Mapping):
        slots = _slots_from_days(hours, label, set(days))
    elif hours is not None:
        for day in days:
            slots.extend(_periods(hours, day, label))
    return _wrapped(where, lambda: HoursOverride(
        name, start, till, item.get("type", OverrideType.STANDARD), tuple(slots),
        item.get("description", "")))


def _clock_from_connect(value: object, what: str) -> tuple[int, int]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{what} must be an object with Hours and Minutes, got {value!r}")
    result = []
    for key, top in (("Hours", 23), ("Minutes", 59)):
        number = value.get(key)
        if not isinstance(number, int) or isinstance(number, bool):
            raise ConfigError(f"{what}.{key} must be a whole number, got {number!r}")
        if not 0 <= number <= top:
            raise ConfigError(f"{what}.{key} {number} is not 0-{top}")
        result.append(number)
    return result[0], result[1]


def _slot_from_connect(item: object, where: str) -> TimeSlot:
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where} must be an object with Day, StartTime and EndTime, "
                          f"got {item!r}")
    day = _day(item.get("Day"), f"{where} Day")
    start = _clock_from_connect(item.get("StartTime"), f"{where} ({day}) StartTime")
    end = _clock_from_connect(item.get("EndTime"), f"{where} ({day}) EndTime")
    return TimeSlot(day, start, end)


def _override_from_connect(item: object, label: str, where: str) -> HoursOverride:
    if not isinstance(item, Mapping):
        raise ConfigError(f"{label} must be a Connect override object, got {item!r}")
    name = item.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{label}: Name must be non-empty text, got {name!r}")
    label = f"{where}: override {name!r}"
    if item.get("RecurrenceConfig"):
        raise ConfigError(f"{label}: recurring overrides (RecurrenceConfig) are not supported")
    config = item.get("Config", [])
    if not isinstance(config, list):
        raise ConfigError(f"{label}: Config must be a list of slots, got {config!r}")
    slots = tuple(_slot_from_connect(s, f"{label}: Config[{i}]") for i, s in enumerate(config))
    start = _date(item.get("EffectiveFrom"), f"{label}: EffectiveFrom")
    till = _date(item.get("EffectiveTill"), f"{label}: EffectiveTill")
    return _wrapped(where, lambda: HoursOverride(
        name, start, till, item.get("OverrideType") or OverrideType.STANDARD, slots,
        item.get("Description") or "", item.get("HoursOfOperationOverrideId") or ""))


def _slot_to_connect(slot: TimeSlot) -> dict[str, Any]:
    return {"Day": str(slot.day),
            "StartTime": {"Hours": slot.start[0], "Minutes": slot.start[1]},
            "EndTime": {"Hours": slot.end[0], "Minutes": slot.end[1]}}
