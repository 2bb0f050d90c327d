"""The intervals GetMetricDataV2 cuts a range into: on the period's boundaries in the time
zone, the range covered without gaps, and days that follow daylight saving time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from testbed.server.connect_api.metric_intervals import intervals

#: Zones with half- and quarter-hour offsets and daylight saving time, none changing at
#: midnight.
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide",
         "Europe/Berlin"]
PERIODS = ["FIFTEEN_MIN", "THIRTY_MIN", "HOUR", "DAY", "WEEK", "TOTAL"]


def on_boundary(t: datetime, period: str, zone: ZoneInfo) -> bool:
    local = t.astimezone(zone)
    minutes = {"FIFTEEN_MIN": 15, "THIRTY_MIN": 30, "HOUR": 60}.get(period)
    if local.second or local.microsecond:
        return False
    if minutes is not None:
        return (local.hour * 60 + local.minute) % minutes == 0
    return (local.hour, local.minute) == (0, 0) and (period == "DAY" or local.weekday() == 0)


@given(start=st.datetimes(min_value=datetime(2022, 1, 1), max_value=datetime(2022, 12, 31),
                          timezones=st.just(UTC)),
       span_s=st.integers(min_value=1, max_value=3 * 86400 - 1),
       period=st.sampled_from(PERIODS), zone=st.sampled_from(ZONES))
def test_intervals_cover_the_range_and_start_on_boundaries(
        start: datetime, span_s: int, period: str, zone: str) -> None:
    end = start + timedelta(seconds=span_s)
    spans = intervals(start, end, period, ZoneInfo(zone))
    assert spans[0][0] == start and spans[-1][1] == end
    assert all(one[1] == two[0] for one, two in pairwise(spans))
    assert all(begin < finish for begin, finish in spans)
    assert all(on_boundary(begin, period, ZoneInfo(zone)) for begin, _ in spans[1:])
    if period == "TOTAL":
        assert spans == [(start, end)]


def test_the_day_clocks_go_forward_is_23_hours() -> None:
    start = datetime(2022, 3, 12, 12, tzinfo=UTC)
    spans = intervals(start, start + timedelta(days=3), "DAY", ZoneInfo("America/New_York"))
    assert [(b.isoformat(), (e - b).total_seconds() / 3600) for b, e in spans] == [
        ("2022-03-12T12:00:00+00:00", 17.0),   # to midnight EST (05:00 UTC)
        ("2022-03-13T05:00:00+00:00", 23.0),   # the day clocks go forward
        ("2022-03-14T04:00:00+00:00", 24.0),   # midnight EDT is 04:00 UTC
        ("2022-03-15T04:00:00+00:00", 8.0)]


def test_hours_in_a_half_hour_zone_start_at_half_past_utc() -> None:
    start = datetime(2022, 4, 8, 11, 35, tzinfo=UTC)
    spans = intervals(start, start + timedelta(hours=2), "HOUR", ZoneInfo("Asia/Kolkata"))
    assert [b.strftime("%H:%M") for b, _ in spans] == ["11:35", "12:30", "13:30"]
