"""Hours of operation: weekly slots, midnight, overrides, DST, next_change, Connect's shapes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from testbed.core.errors import ConfigError
from testbed.flows.hours import Day, HoursOfOperation, HoursOverride, TimeSlot, load_hours

NY = "America/New_York"
WEEKDAYS = {"MONDAY": "09:00-17:00", "TUESDAY": ["09:00-12:00", "13:00-17:00"],
            "WEDNESDAY": "09:00-17:00", "THURSDAY": "09:00-17:00", "FRIDAY": "09:00-17:00"}
ALL_WEEK = {day.value: "24h" for day in Day}


def at(text: str) -> datetime:
    """An instant given in UTC, as the testbed's clock gives it."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def support(*overrides: dict[str, Any]) -> HoursOfOperation:
    """Weekdays 09:00-17:00 New York time, lunch 12:00-13:00 on Tuesdays."""
    return HoursOfOperation.of("Support", NY, WEEKDAYS, overrides)


def hours(weekly: dict[str, Any], *overrides: dict[str, Any]) -> HoursOfOperation:
    return HoursOfOperation.of("Support", NY, weekly, overrides)


def changes(h: HoursOfOperation, start: str, count: int) -> list[str]:
    """The next ``count`` changes after ``start``, as 'Z' text."""
    found, instant = [], at(start)
    for _ in range(count):
        following = h.next_change(instant)
        assert following is not None
        found.append(following.strftime("%Y-%m-%dT%H:%M:%SZ"))
        instant = following
    return found


# -- weekly hours (April 2022: New York is UTC-4) --------------------------------------
def test_opens_at_nine_new_york_time() -> None:
    h = support()
    assert not h.is_open(at("2022-04-11T12:59:00Z"))   # Monday 08:59 EDT
    assert h.is_open(at("2022-04-11T13:00:00Z"))       # Monday 09:00 EDT


def test_closes_at_five_exactly() -> None:
    h = support()
    assert h.is_open(at("2022-04-11T20:59:59Z"))
    assert not h.is_open(at("2022-04-11T21:00:00Z"))


def test_lunch_break_closes_between_two_slots() -> None:
    h = support()
    assert h.is_open(at("2022-04-12T15:59:59Z"))       # Tuesday 11:59:59
    assert not h.is_open(at("2022-04-12T16:00:00Z"))   # 12:00
    assert not h.is_open(at("2022-04-12T16:59:59Z"))
    assert h.is_open(at("2022-04-12T17:00:00Z"))       # 13:00


def test_day_without_slots_is_closed() -> None:
    h = support()
    assert not h.is_open(at("2022-04-09T16:00:00Z"))   # Saturday noon
    assert not h.is_open(at("2022-04-10T16:00:00Z"))   # Sunday noon
    assert hours({**WEEKDAYS, "saturday": "closed", "Sunday": []}) == h


def test_slot_past_midnight_runs_into_the_next_day() -> None:
    h = hours({"FRIDAY": "22:00-02:00"})
    assert not h.is_open(at("2022-04-09T01:59:00Z"))   # Friday 21:59
    assert h.is_open(at("2022-04-09T02:00:00Z"))       # Friday 22:00
    assert h.is_open(at("2022-04-09T05:59:59Z"))       # Saturday 01:59:59
    assert not h.is_open(at("2022-04-09T06:00:00Z"))   # Saturday 02:00
    assert not h.is_open(at("2022-04-08T05:00:00Z"))   # Friday 01:00: Thursday has no slot


def test_end_at_midnight_ends_the_day() -> None:
    h = hours({"MONDAY": "10:00-00:00"})
    [slot] = h.slots
    assert slot.length_min == 14 * 60                  # Connect: 10:00AM-12:00AM is 14 hours
    assert h.is_open(at("2022-04-12T03:59:59Z"))       # Monday 23:59:59
    assert not h.is_open(at("2022-04-12T04:00:00Z"))   # Tuesday 00:00
    assert hours({"MONDAY": "10:00-24:00"}) == h


def test_midnight_to_midnight_is_the_whole_day() -> None:
    h = hours({"MONDAY": "24h", "TUESDAY": "00:00-00:00"})
    assert h.is_open(at("2022-04-11T04:00:00Z"))       # Monday 00:00
    assert h.is_open(at("2022-04-13T03:59:59Z"))       # Tuesday 23:59:59
    assert not h.is_open(at("2022-04-13T04:00:00Z"))   # Wednesday 00:00
    assert h.next_change(at("2022-04-11T04:00:00Z")) == at("2022-04-13T04:00:00Z")


# -- next_change --------------------------------------------------------------------------
def test_next_change_walks_through_the_week() -> None:
    assert changes(support(), "2022-04-08T12:00:00Z", 4) == [
        "2022-04-08T13:00:00Z",   # Friday opens
        "2022-04-08T21:00:00Z",   # Friday closes
        "2022-04-11T13:00:00Z",   # Monday opens: the weekend is closed
        "2022-04-11T21:00:00Z",
    ]


def test_next_change_is_in_utc_and_strictly_later() -> None:
    following = support().next_change(at("2022-04-11T13:00:00Z"))
    assert following == at("2022-04-11T21:00:00Z")
    assert following is not None and following.utcoffset() == timedelta(0)


def test_next_change_is_none_when_nothing_ever_changes() -> None:
    assert hours(ALL_WEEK).next_change(at("2022-04-08T12:00:00Z")) is None
    assert hours({}).next_change(at("2022-04-08T12:00:00Z")) is None


def test_next_change_finds_an_override_months_ahead() -> None:
    christmas = {"name": "Christmas", "from": "2022-12-25", "till": "2022-12-26",
                 "type": "CLOSED"}
    h = hours(ALL_WEEK, christmas)
    assert changes(h, "2022-04-08T12:00:00Z", 2) == ["2022-12-25T05:00:00Z",
                                                     "2022-12-27T05:00:00Z"]
    assert h.next_change(at("2022-12-27T05:00:00Z")) is None


# -- overrides (December 2022: New York is UTC-5) -----------------------------------------
def test_closed_override_closes_every_date_of_its_range_all_day() -> None:
    h = support({"name": "Christmas", "from": "2022-12-25", "till": "2022-12-26",
                 "type": "CLOSED"})
    assert h.is_open(at("2022-12-23T14:00:00Z"))       # Friday before
    assert not h.is_open(at("2022-12-26T14:00:00Z"))   # Monday 09:00, the last day
    assert h.is_open(at("2022-12-27T14:00:00Z"))       # Tuesday after


def test_closed_override_with_slots_closes_only_during_them() -> None:
    h = support({"name": "Staff meeting", "from": "2022-04-13", "type": "closed",
                 "hours": "12:00-14:00"})
    assert h.is_open(at("2022-04-13T15:59:00Z"))       # Wednesday 11:59
    assert not h.is_open(at("2022-04-13T16:00:00Z"))
    assert not h.is_open(at("2022-04-13T17:59:00Z"))
    assert h.is_open(at("2022-04-13T18:00:00Z"))       # 14:00
    assert h.is_open(at("2022-04-20T16:00:00Z"))       # the next Wednesday


def test_open_override_opens_a_day_that_is_normally_closed() -> None:
    h = support({"name": "Cyber Sunday", "from": "2022-11-27", "type": "OPEN",
                 "hours": "10:00-22:00"})
    assert not h.is_open(at("2022-11-27T14:59:00Z"))   # Sunday 09:59 EST
    assert h.is_open(at("2022-11-27T15:00:00Z"))
    assert h.is_open(at("2022-11-28T02:59:00Z"))       # 21:59
    assert not h.is_open(at("2022-11-28T03:00:00Z"))   # 22:00
    assert not h.is_open(at("2022-12-04T16:00:00Z"))   # the next Sunday


def test_open_override_extends_the_weekly_hours() -> None:
    h = support({"name": "Launch week", "from": "2022-04-11", "till": "2022-04-15",
                 "type": "OPEN", "hours": "17:00-20:00"})
    assert changes(h, "2022-04-11T12:00:00Z", 2) == ["2022-04-11T13:00:00Z",
                                                     "2022-04-12T00:00:00Z"]  # 09:00-20:00


def test_standard_override_replaces_the_weekly_hours_of_its_dates() -> None:
    h = support({"name": "Summer hours", "from": "2022-07-01", "till": "2022-08-31",
                 "hours": "10:00-16:00"})
    assert h.is_open(at("2022-06-30T13:30:00Z"))       # Thursday 09:30, before the range
    assert not h.is_open(at("2022-07-11T13:30:00Z"))   # Monday 09:30
    assert h.is_open(at("2022-07-11T14:00:00Z"))       # 10:00
    assert not h.is_open(at("2022-07-11T20:00:00Z"))   # 16:00
    assert h.is_open(at("2022-07-09T15:00:00Z"))       # Saturday: the range's hours
    assert h.is_open(at("2022-09-01T13:30:00Z"))       # after the range


def test_standard_override_without_hours_closes_its_dates() -> None:
    h = support({"name": "Inventory", "from": "2022-04-13"})
    assert not h.is_open(at("2022-04-13T16:00:00Z"))
    assert h.is_open(at("2022-04-14T16:00:00Z"))


def test_override_hours_can_differ_by_day_of_the_week() -> None:
    h = support({"name": "Holiday week", "from": "2022-12-26", "till": "2022-12-30",
                 "hours": {"monday": "closed", "FRIDAY": "09:00-12:00"}})
    assert not h.is_open(at("2022-12-26T16:00:00Z"))   # Monday
    assert not h.is_open(at("2022-12-28T16:00:00Z"))   # Wednesday: no hours given
    assert h.is_open(at("2022-12-30T16:00:00Z"))       # Friday 11:00
    assert not h.is_open(at("2022-12-30T17:00:00Z"))   # Friday 12:00


def test_closed_override_wins_over_an_open_override_on_the_same_date() -> None:
    h = support({"name": "Boxing Day", "from": "2022-12-26", "type": "OPEN",
                 "hours": "10:00-14:00"},
                {"name": "Christmas", "from": "2022-12-25", "till": "2022-12-26",
                 "type": "CLOSED"})
    assert not h.is_open(at("2022-12-26T16:00:00Z"))


def test_competing_overrides_apply_closed_then_open_then_standard() -> None:
    # Temporary hours 08:00-18:00, closed 12:00-16:00, open until 20:00.
    h = support({"name": "Event day", "from": "2022-12-28", "hours": "08:00-18:00"},
                {"name": "Training", "from": "2022-12-28", "type": "CLOSED",
                 "hours": "12:00-16:00"},
                {"name": "Late line", "from": "2022-12-28", "type": "OPEN",
                 "hours": "17:00-20:00"})
    assert changes(h, "2022-12-28T05:00:00Z", 4) == [
        "2022-12-28T13:00:00Z", "2022-12-28T17:00:00Z",   # 08:00, 12:00
        "2022-12-28T21:00:00Z", "2022-12-29T01:00:00Z",   # 16:00, 20:00
    ]


def test_two_standard_overrides_may_not_share_a_date() -> None:
    with pytest.raises(ConfigError, match=re.escape(
            "hours 'Support': STANDARD overrides 'Summer hours' and 'July 4th' both cover "
            "2022-07-04")):
        support({"name": "Summer hours", "from": "2022-07-01", "till": "2022-08-31",
                 "hours": "10:00-16:00"},
                {"name": "July 4th", "from": "2022-07-04", "hours": "10:00-12:00"})


def test_late_slot_of_the_day_before_outlives_a_standard_override() -> None:
    late = {"FRIDAY": "22:00-02:00"}
    saturday = {"name": "Stocktake", "from": "2022-04-09"}
    assert hours(late, saturday).is_open(at("2022-04-09T05:00:00Z"))        # Sat 01:00
    closed = {**saturday, "type": "CLOSED"}
    assert not hours(late, closed).is_open(at("2022-04-09T05:00:00Z"))


# -- daylight saving time (New York: 2022-03-13 02:00 -> 03:00, 2022-11-06 02:00 -> 01:00) --
def test_slot_starting_in_the_skipped_hour_opens_when_clocks_jump() -> None:
    h = hours({"SUNDAY": "02:30-05:00"})
    assert not h.is_open(at("2022-03-13T06:59:59Z"))   # 01:59:59 EST
    assert h.is_open(at("2022-03-13T07:00:00Z"))       # 03:00 EDT
    assert changes(h, "2022-03-13T06:00:00Z", 2) == ["2022-03-13T07:00:00Z",
                                                     "2022-03-13T09:00:00Z"]


def test_slot_inside_the_skipped_hour_never_opens_that_day() -> None:
    h = hours({"SUNDAY": "02:00-02:45"})
    assert h.next_change(at("2022-03-12T12:00:00Z")) == at("2022-03-20T06:00:00Z")


def test_weekly_hours_follow_the_local_clock_across_a_change() -> None:
    h = support()
    assert h.next_change(at("2022-03-07T12:00:00Z")) == at("2022-03-07T14:00:00Z")  # EST
    assert h.next_change(at("2022-03-14T12:00:00Z")) == at("2022-03-14T13:00:00Z")  # EDT


def test_repeated_hour_gives_the_same_answer_on_both_readings() -> None:
    h = hours({"SATURDAY": "22:00-01:30"})
    assert changes(h, "2022-11-06T04:00:00Z", 4) == [
        "2022-11-06T05:30:00Z",   # first 01:30 (EDT): closes
        "2022-11-06T06:00:00Z",   # second 01:00 (EST): the clock reads inside the slot again
        "2022-11-06T06:30:00Z",   # second 01:30: closes
        "2022-11-13T03:00:00Z",   # next Saturday 22:00 EST
    ]


def test_slot_across_the_repeated_hour_stays_open_through_both() -> None:
    h = hours({"SUNDAY": "01:00-02:00"})
    assert changes(h, "2022-11-06T04:00:00Z", 2) == ["2022-11-06T05:00:00Z",
                                                     "2022-11-06T07:00:00Z"]


# -- Connect's shapes ------------------------------------------------------------------------
ARN = ("arn:aws:connect:us-east-1:111122223333:instance/"
       "4f3a9e2c-5b1d-4c7e-9a0b-2d6f8e1c3b5a/operating-hours/"
       "7d1e4b9a-2c3f-4e8d-b6a5-0f9c8e7d6a5b")


def slot(day: str, start: tuple[int, int], end: tuple[int, int]) -> dict[str, Any]:
    return {"Day": day, "StartTime": {"Hours": start[0], "Minutes": start[1]},
            "EndTime": {"Hours": end[0], "Minutes": end[1]}}


DESCRIBE: dict[str, Any] = {"HoursOfOperation": {
    "HoursOfOperationId": "7d1e4b9a-2c3f-4e8d-b6a5-0f9c8e7d6a5b",
    "HoursOfOperationArn": ARN,
    "Name": "Support",
    "Description": "Support line, New York",
    "TimeZone": NY,
    "Config": [slot("MONDAY", (9, 0), (17, 0)), slot("TUESDAY", (9, 0), (12, 0)),
               slot("TUESDAY", (13, 0), (17, 0)), slot("WEDNESDAY", (9, 0), (17, 0)),
               slot("THURSDAY", (9, 0), (17, 0)), slot("FRIDAY", (9, 0), (17, 0)),
               slot("SATURDAY", (22, 0), (2, 0))],
    "Tags": {"team": "support"},
    "LastModifiedTime": 1649417700.0,
    "LastModifiedRegion": "us-east-1",
}}
LIST_OVERRIDES: dict[str, Any] = {"HoursOfOperationOverrideList": [
    {"HoursOfOperationOverrideId": "0b8e3f1a-6c2d-4a9e-8f7b-1d2c3e4f5a6b",
     "HoursOfOperationId": "7d1e4b9a-2c3f-4e8d-b6a5-0f9c8e7d6a5b",
     "HoursOfOperationArn": ARN,
     "Name": "Christmas", "Description": "Closed for Christmas", "Config": [],
     "EffectiveFrom": "2022-12-25", "EffectiveTill": "2022-12-26", "OverrideType": "CLOSED"},
    {"HoursOfOperationOverrideId": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
     "HoursOfOperationId": "7d1e4b9a-2c3f-4e8d-b6a5-0f9c8e7d6a5b",
     "HoursOfOperationArn": ARN,
     "Name": "New Year's Eve", "Config": [slot("SATURDAY", (9, 0), (13, 0))],
     "EffectiveFrom": "2022-12-31", "EffectiveTill": "2022-12-31",
     "OverrideType": "STANDARD"},
], "LastModifiedRegion": "us-east-1", "LastModifiedTime": 1649417700.0}


def test_from_connect_reads_describe_and_list_overrides_responses() -> None:
    h = HoursOfOperation.from_connect(DESCRIBE, LIST_OVERRIDES["HoursOfOperationOverrideList"])
    assert (h.name, h.time_zone, h.description) == ("Support", NY, "Support line, New York")
    assert h.hours_of_operation_arn == ARN
    assert h.slots[-1] == TimeSlot(Day.SATURDAY, (22, 0), (2, 0))
    assert [(o.name, o.override_type) for o in h.overrides] == [
        ("Christmas", "CLOSED"), ("New Year's Eve", "STANDARD")]
    assert h.is_open(at("2022-04-11T13:00:00Z"))
    assert not h.is_open(at("2022-12-26T15:00:00Z"))       # Christmas, Monday 10:00
    assert h.is_open(at("2022-12-31T14:00:00Z"))           # Saturday 09:00, temporary hours
    assert not h.is_open(at("2023-01-01T04:00:00Z"))       # Saturday 23:00: replaced too


def test_to_connect_gives_back_connects_documents() -> None:
    h = HoursOfOperation.from_connect(DESCRIBE, LIST_OVERRIDES["HoursOfOperationOverrideList"])
    ignored = ("Tags", "LastModifiedTime", "LastModifiedRegion")
    assert h.to_connect() == {k: v for k, v in DESCRIBE["HoursOfOperation"].items()
                              if k not in ignored}
    assert h.overrides_to_connect() == LIST_OVERRIDES["HoursOfOperationOverrideList"]
    assert HoursOfOperation.from_connect(h.to_connect(), h.overrides_to_connect()) == h


def test_from_connect_takes_the_inner_object_or_the_whole_response() -> None:
    assert (HoursOfOperation.from_connect(DESCRIBE["HoursOfOperation"])
            == HoursOfOperation.from_connect(DESCRIBE))
    combined = {**DESCRIBE, **LIST_OVERRIDES}
    assert len(HoursOfOperation.from_connect(combined).overrides) == 2


def test_friendly_form_round_trips_through_connects_shape() -> None:
    h = support({"name": "Christmas", "from": date(2022, 12, 25), "till": "2022-12-26",
                 "type": "CLOSED"},
                {"name": "Late line", "from": "2022-12-28", "type": "OPEN",
                 "hours": "17:00-20:00", "description": "Extra evening"})
    assert HoursOfOperation.from_connect(h.to_connect(), h.overrides_to_connect()) == h
    assert h.overrides_to_connect()[1]["Config"] == [slot("WEDNESDAY", (17, 0), (20, 0))]


def test_load_hours_reads_a_list_of_documents(tmp_path: Path) -> None:
    path = tmp_path / "hours.json"
    sales = {"Name": "Sales", "TimeZone": "Europe/London",
             "Config": [slot(day, (8, 0), (20, 0)) for day in ("MONDAY", "FRIDAY")]}
    path.write_text(json.dumps([{**DESCRIBE, **LIST_OVERRIDES}, sales]))
    support_hours, sales_hours = load_hours(path)
    assert len(support_hours.overrides) == 2
    assert sales_hours.is_open(at("2022-04-11T07:00:00Z"))    # 08:00 BST
    assert not sales_hours.is_open(at("2022-04-11T06:59:00Z"))


def test_load_hours_reads_a_single_document(tmp_path: Path) -> None:
    path = tmp_path / "support.json"
    path.write_text(json.dumps(DESCRIBE))
    assert load_hours(str(path)) == [HoursOfOperation.from_connect(DESCRIBE)]


def test_load_hours_names_the_file_and_the_place_of_an_error(tmp_path: Path) -> None:
    path = tmp_path / "hours.json"
    path.write_text('[{"Name": "Support",\n "TimeZone": }]')
    with pytest.raises(ConfigError, match=re.escape(
            f"hours file '{path}': is not valid JSON (line 2, column 14")):
        load_hours(path)
    bad = {"Name": "Support", "TimeZone": NY, "Config": [slot("MONDAY", (9, 0), (24, 0))]}
    path.write_text(json.dumps([DESCRIBE["HoursOfOperation"], bad]))
    with pytest.raises(ConfigError, match=re.escape(
            f"hours file '{path}' [1]: hours 'Support': Config[0] (MONDAY) EndTime.Hours "
            f"24 is not 0-23")):
        load_hours(path)
    path.write_text(json.dumps([DESCRIBE, DESCRIBE]))
    with pytest.raises(ConfigError, match="a second hours of operation named 'Support'"):
        load_hours(path)
    with pytest.raises(ConfigError, match=re.escape(f"hours file '{tmp_path / 'no.json'}'")):
        load_hours(tmp_path / "no.json")


# -- bad input ---------------------------------------------------------------------------------
def connect(**changes: Any) -> Callable[[], object]:
    document = {**DESCRIBE["HoursOfOperation"], **changes}
    return lambda: HoursOfOperation.from_connect(document)


def override(**item: Any) -> Callable[[], object]:
    return lambda: support({"name": "Christmas", "from": "2022-12-25", **item})


BAD_INPUT: list[tuple[Callable[[], object], str]] = [
    (lambda: hours({"MONDAY": "9-17"}),
     "hours 'Support': MONDAY slot '9-17' is not HH:MM-HH:MM"),
    (lambda: hours({"MONDAY": "24:00-17:00"}),
     "hours 'Support': MONDAY slot '24:00-17:00': hours 24 is not 0-23"),
    (lambda: hours({"MONDAY": "09:60-17:00"}),
     "hours 'Support': MONDAY slot '09:60-17:00': minutes 60 is not 0-59"),
    (lambda: hours({"FUNDAY": "09:00-17:00"}),
     "hours 'Support': key 'FUNDAY' is not a day (MONDAY ... SUNDAY)"),
    (lambda: hours({"monday": "09:00-12:00", "MONDAY": "13:00-17:00"}),
     "hours 'Support': MONDAY is given twice ('MONDAY')"),
    (lambda: hours({"MONDAY": 9}),
     "hours 'Support': MONDAY must be 'HH:MM-HH:MM', a list of them, 'closed' or '24h', got 9"),
    (lambda: HoursOfOperation.of("Support", "Mars/Olympus_Mons", WEEKDAYS),
     "hours 'Support': time_zone 'Mars/Olympus_Mons' is not an IANA time zone such as "
     "'America/New_York'"),
    (override(till="2022-12-24"),
     "hours 'Support': override 'Christmas': till 2022-12-24 is before from 2022-12-25"),
    (override(type="HOLIDAY"),
     "hours 'Support': override 'Christmas': override type 'HOLIDAY' is not STANDARD, OPEN "
     "or CLOSED"),
    (override(**{"from": "25/12/2022"}),
     "hours 'Support': override 'Christmas': from '25/12/2022' is not a date YYYY-MM-DD"),
    (override(hours={"MONDAY": "09:00-12:00"}),
     "hours 'Support': override 'Christmas': no date of the range falls on MONDAY"),
    (override(untill="2022-12-26"),
     "hours 'Support': override 0 has unknown key(s) 'untill' (expected name, from, till, "
     "type, hours, description)"),
    (lambda: HoursOverride("Christmas", date(2022, 12, 26), date(2022, 12, 25), "CLOSED"),
     "override 'Christmas': effective_till 2022-12-25 is before effective_from 2022-12-26"),
    (lambda: HoursOverride("Christmas", date(2022, 12, 25), date(2022, 12, 25), "CLOSED",
                           (TimeSlot(Day.MONDAY, (9, 0), (12, 0)),)),
     "override 'Christmas': slot MONDAY 09:00-12:00 falls on no date from 2022-12-25 to "
     "2022-12-25"),
    (lambda: TimeSlot(Day.MONDAY, (9, 0), (24, 0)), "MONDAY slot end hours 24 is not 0-23"),
    (connect(Config=[slot("MONDAY", (24, 0), (17, 0))]),
     "hours 'Support': Config[0] (MONDAY) StartTime.Hours 24 is not 0-23"),
    (connect(Config=[slot("MONDAY", (9, 60), (17, 0))]),
     "hours 'Support': Config[0] (MONDAY) StartTime.Minutes 60 is not 0-59"),
    (connect(Config=[{**slot("MONDAY", (9, 0), (17, 0)), "Day": "Funday"}]),
     "hours 'Support': Config[0] Day 'Funday' is not a day (MONDAY ... SUNDAY)"),
    (connect(Config=[{**slot("MONDAY", (9, 0), (17, 0)), "EndTime": {"Hours": 17,
                                                                    "Minutes": "00"}}]),
     "hours 'Support': Config[0] (MONDAY) EndTime.Minutes must be a whole number, got '00'"),
    (connect(TimeZone=None),
     "hours 'Support': TimeZone must be an IANA time zone name such as 'America/New_York', "
     "got None"),
    (connect(TimeZone="Eastern"),
     "hours 'Support': time_zone 'Eastern' is not an IANA time zone"),
    (lambda: HoursOfOperation.from_connect(DESCRIBE, [
        {"Name": "New Year", "Config": [], "EffectiveFrom": "2023-01-01",
         "EffectiveTill": "2030-01-01", "OverrideType": "CLOSED",
         "RecurrenceConfig": {"RecurrencePattern": {"Frequency": "YEARLY", "Interval": 1}}}]),
     "hours 'Support': override 'New Year': recurring overrides (RecurrenceConfig) are not "
     "supported"),
    (lambda: HoursOfOperation.from_connect(DESCRIBE, [
        {"Name": "New Year", "Config": [], "EffectiveFrom": "2023-01-01",
         "EffectiveTill": "2022-12-31", "OverrideType": "CLOSED"}]),
     "hours 'Support': override 'New Year': effective_till 2022-12-31 is before "
     "effective_from 2023-01-01"),
    (lambda: support().is_open(datetime(2022, 4, 11, 13)),
     "hours 'Support': is_open takes an aware datetime (testbed wall time, UTC), got "
     "datetime.datetime(2022, 4, 11, 13, 0)"),
]


@pytest.mark.parametrize(("build", "message"), BAD_INPUT)
def test_bad_input_is_a_config_error_naming_the_value(build: Callable[[], object],
                                                      message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        build()


# -- properties: the rules, evaluated the long way ------------------------------------------------
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata",
         "Pacific/Chatham", "America/St_Johns", "America/Santiago", "Pacific/Apia", "UTC"]
Weekly = list[list[tuple[int, int]]]   # per weekday (Monday first): (start, end) minutes


@cache
def clock_changes(zone: str) -> list[datetime]:
    """Instants in 2011-2029 where the zone's UTC offset changes (to the hour)."""
    tz, found = ZoneInfo(zone), []
    day, hour = timedelta(days=1), timedelta(hours=1)
    t = datetime(2011, 1, 1, tzinfo=UTC)
    while t.year < 2030:
        if t.astimezone(tz).utcoffset() != (t + day).astimezone(tz).utcoffset():
            u = t
            while u.astimezone(tz).utcoffset() == t.astimezone(tz).utcoffset():
                u += hour
            found.append(u)
        t += day
    return found or [datetime(2022, 4, 8, 12, tzinfo=UTC)]


minutes = st.integers(0, 1439) | st.sampled_from([0, 60, 90, 120, 150, 180, 540, 1020])
weeklies = st.lists(st.lists(st.tuples(minutes, minutes), max_size=3), min_size=7, max_size=7)


@st.composite
def zone_and_instant(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone and an instant to the second: anywhere in 2012-2028, or close to a clock change."""
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        base = draw(st.sampled_from(clock_changes(zone)))
        return zone, base + timedelta(seconds=draw(st.integers(-3 * 86400, 3 * 86400)))
    seconds = draw(st.integers(0, 17 * 365 * 86400))
    return zone, datetime(2012, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def weekly_hours(zone: str, weekly: Weekly,
                 overrides: tuple[HoursOverride, ...] = ()) -> HoursOfOperation:
    slots = tuple(TimeSlot(list(Day)[day], divmod(start, 60), divmod(end, 60))
                  for day, periods in enumerate(weekly) for start, end in periods)
    return HoursOfOperation("Property", zone, slots, overrides)


def inside(periods: list[tuple[int, int]], second: int) -> bool:
    """Whether a second counted from a day's midnight falls in one of its periods."""
    for start, end in periods:
        length = (end - start) % 1440 or 1440
        if start * 60 <= second < (start + length) * 60:
            return True
    return False


def brute_is_open(zone: str, weekly: Weekly, instant: datetime) -> bool:
    local = instant.astimezone(ZoneInfo(zone))
    second = local.hour * 3600 + local.minute * 60 + local.second
    today = local.weekday()
    return (inside(weekly[today], second)
            or inside(weekly[(today - 1) % 7], second + 86400))


def brute_next_change(is_open: Callable[[datetime], bool], instant: datetime,
                      until: datetime) -> datetime | None:
    """The first whole UTC minute after ``instant`` with the other answer (every zone in
    ZONES has whole-minute offsets, so every change falls on one)."""
    state = is_open(instant)
    t = instant.replace(second=0) + timedelta(minutes=1)
    while t <= until:
        if is_open(t) != state:
            return t
        t += timedelta(minutes=1)
    return None


@settings(max_examples=100, deadline=None)
@given(zone_and_instant(), weeklies)
def test_is_open_agrees_with_the_rules(zone_instant: tuple[str, datetime], weekly: Weekly) -> None:
    zone, instant = zone_instant
    assert weekly_hours(zone, weekly).is_open(instant) == brute_is_open(zone, weekly, instant)


@settings(max_examples=40, deadline=None)
@given(zone_and_instant(), weeklies)
def test_next_change_lands_on_the_first_real_change(zone_instant: tuple[str, datetime],
                                                    weekly: Weekly) -> None:
    zone, instant = zone_instant
    expected = brute_next_change(lambda t: brute_is_open(zone, weekly, t), instant,
                                 instant + timedelta(days=15))
    found = weekly_hours(zone, weekly).next_change(instant)
    if expected is None:
        assert found is None or found > instant + timedelta(days=14)
    else:
        assert found == expected


# Overrides: (type, first date, last date, periods for every day of the range or None)
Override = tuple[str, date, date, list[tuple[int, int]] | None]
START = date(2022, 3, 1)
overrides_st = st.lists(st.tuples(
    st.sampled_from(["STANDARD", "OPEN", "CLOSED"]), st.integers(0, 40), st.integers(0, 9),
    st.none() | st.lists(st.tuples(minutes, minutes), min_size=1, max_size=2),
).map(lambda o: (o[0], START + timedelta(days=o[1]), START + timedelta(days=o[1] + o[2]),
                 o[3])), max_size=3)


def brute_with_overrides(zone: str, weekly: Weekly, overrides: list[Override],
                         instant: datetime) -> bool:
    local = instant.astimezone(ZoneInfo(zone))
    second = local.hour * 3600 + local.minute * 60 + local.second
    closed = opened = base = False
    for back in (0, 1):
        day = local.date() - timedelta(days=back)
        s = second + back * 86400
        standard = None
        for kind, first, last, periods in overrides:
            if not first <= day <= last:
                continue
            if kind == "STANDARD":
                standard = periods or []   # temporary hours without slots: closed
                continue
            hit = inside(periods if periods is not None else [(0, 0)], s)
            closed, opened = (closed or hit, opened) if kind == "CLOSED" else (closed,
                                                                               opened or hit)
        base = base or inside(weekly[day.weekday()] if standard is None else standard, s)
    return not closed and (opened or base)


def as_override(i: int, o: Override) -> HoursOverride:
    kind, first, last, periods = o
    days = {list(Day)[(first + timedelta(days=n)).weekday()]
            for n in range(min(7, (last - first).days + 1))}
    slots = tuple(TimeSlot(day, divmod(a, 60), divmod(b, 60))
                  for day in sorted(days) for a, b in periods or [])
    return HoursOverride(f"o{i}", first, last, kind, slots)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.sampled_from(ZONES), weeklies, overrides_st, st.integers(-86400, 55 * 86400))
def test_overrides_agree_with_the_rules(zone: str, weekly: Weekly, overrides: list[Override],
                                        offset_s: int) -> None:
    standard = [o for o in overrides if o[0] == "STANDARD"]
    assume(all(a[2] < b[1] or b[2] < a[1]
               for i, a in enumerate(standard) for b in standard[i + 1:]))
    h = weekly_hours(zone, weekly, tuple(as_override(i, o) for i, o in enumerate(overrides)))
    instant = datetime(2022, 3, 1, tzinfo=UTC) + timedelta(seconds=offset_s)
    assert h.is_open(instant) == brute_with_overrides(zone, weekly, overrides, instant)
    expected = brute_next_change(lambda t: brute_with_overrides(zone, weekly, overrides, t),
                                 instant, instant + timedelta(days=3))
    found = h.next_change(instant)
    if expected is not None:
        assert found == expected
    else:
        assert found is None or found > instant + timedelta(days=3)
