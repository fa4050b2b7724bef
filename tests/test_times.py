"""Times and durations as people write them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cordon.errors import InvalidValue
from cordon.times import end_of_day, format_time, parse_duration, parse_time


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("300", 300),
        ("5m", 300),
        ("1h30m", 5400),
        ("2d", 172_800),
        ("PT5M", 300),
        ("P1DT2H", 93_600),
        ("90s", 90),
        ("1.5h", 5400),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5 minutes", "m5", "PT", "-5m", "5x"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue, match="duration"):
        parse_duration(text)


def test_naive_times_are_station_time_and_offsets_are_respected() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert parse_time("2026-11-24T08:00:00", paris) == int(
        datetime(2026, 11, 24, 7, tzinfo=UTC).timestamp()
    )
    assert parse_time("2026-11-24T08:00:00Z", paris) == int(
        datetime(2026, 11, 24, 8, tzinfo=UTC).timestamp()
    )
    assert parse_time("1764000000") == 1_764_000_000


@given(st.integers(min_value=0, max_value=4_000_000_000))
def test_format_and_parse_round_trip(epoch: int) -> None:
    assert parse_time(format_time(epoch, ZoneInfo("Asia/Tokyo"))) == epoch


def test_end_of_day_is_the_next_local_midnight_even_across_a_clock_change() -> None:
    paris = ZoneInfo("Europe/Paris")
    noon = parse_time("2026-10-25T12:00:00", paris)  # the day clocks go back: 25 hours long
    assert format_time(end_of_day(noon, paris), paris) == "2026-10-26T00:00:00+01:00"
    assert end_of_day(noon, paris) - parse_time("2026-10-25T00:00:00", paris) == 25 * 3600
    late = parse_time("2026-11-24T23:59:59Z")
    assert end_of_day(late) == parse_time("2026-11-25T00:00:00Z")
    assert end_of_day(parse_time("2026-11-25T00:00:00Z")) == parse_time("2026-11-26T00:00:00Z")
