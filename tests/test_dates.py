"""Dates people type: what is refused, and where a date without a time falls."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tinycrm.dates import day_start, parse_date, parse_datetime, workday_start
from tinycrm.errors import InvalidInput

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["-1", "5", "+5", "-5", "2026", "12.5", "31", "0", "1234567"])
def test_a_number_alone_is_not_a_date(text: str) -> None:
    """dateutil read `-1` and `5` as days of this month, on every date option."""
    with pytest.raises(InvalidInput) as raised:
        parse_datetime(text, now=NOW, tz=UTC, field="--due")
    assert raised.value.message == (
        f"--due: a number alone is not a date (e.g. 2026-12-01 or +3d): {text!r}"
    )
    with pytest.raises(InvalidInput):
        parse_date(text, today=NOW.date(), field="--close")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20261201", date(2026, 12, 1)),  # ISO 8601 basic form
        ("+5d", date(2026, 11, 28)),
        ("1 Dec 2026", date(2026, 12, 1)),
    ],
)
def test_numbers_with_a_unit_or_a_shape_are_still_dates(text: str, expected: date) -> None:
    assert parse_date(text, today=NOW.date(), field="--close") == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/New_York", datetime(2017, 4, 1, 4, tzinfo=UTC)),
        ("Asia/Shanghai", datetime(2017, 3, 31, 16, tzinfo=UTC)),
        ("Asia/Kathmandu", datetime(2017, 3, 31, 18, 15, tzinfo=UTC)),
        ("Pacific/Chatham", datetime(2017, 3, 31, 10, 15, tzinfo=UTC)),
    ],
)
def test_a_date_alone_is_the_start_of_that_day_in_the_zone(zone: str, expected: datetime) -> None:
    tz = ZoneInfo(zone)
    assert parse_datetime("2017-04-01", now=NOW, tz=tz, field="at") == expected
    assert day_start(date(2017, 4, 1), tz) == expected


def test_a_due_date_alone_starts_with_the_working_day() -> None:
    tz = ZoneInfo("Asia/Kathmandu")
    due = parse_datetime("2026-12-01", now=NOW, tz=tz, field="--due", day_starts=time(9))
    assert due == datetime(2026, 12, 1, 3, 15, tzinfo=UTC)  # 09:00 at +5:45
    typed = parse_datetime("2026-12-01 07:00", now=NOW, tz=tz, field="--due", day_starts=time(9))
    assert typed == datetime(2026, 12, 1, 1, 15, tzinfo=UTC)  # a time typed is kept


@pytest.mark.parametrize(("text", "expected"), [("09:00", time(9)), ("8:30", time(8, 30)),
                                                ("7am", time(7))])  # fmt: skip
def test_workday_start_setting(text: str, expected: time) -> None:
    assert workday_start(text) == expected


@pytest.mark.parametrize("text", ["", "nine", "25:00"])
def test_workday_start_setting_refuses_what_is_no_time(text: str) -> None:
    with pytest.raises(InvalidInput, match="workday_start"):
        workday_start(text)
