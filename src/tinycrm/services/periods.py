"""Report periods: calendar days in the user's time zone as half-open ranges of UTC
instants `[start, end)`; a missing edge means "since the beginning" or "until now and later".

Calendar months, quarters and years have a whole number of months, which scales quotas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from tinycrm.dates import day_start
from tinycrm.errors import EndsBeforeStart, InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.sql import ColumnElement

QUOTA_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Period:
    """Calendar days `first`..`last` (inclusive) in the user's zone, as UTC instants."""

    label: str
    first: date | None
    last: date | None
    start: datetime | None
    end: datetime | None
    months: Fraction | None
    """The period's length in months (whole for calendar periods), for scaling quotas."""


ALL_TIME = Period("all time", None, None, None, None, None)


def _midnight(day: date, tz: tzinfo) -> datetime:
    return day_start(day, tz)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_range(first: date | None, last: date | None, tz: tzinfo) -> Period:
    """Days `first`..`last`, both included; either may be open."""
    if first is None and last is None:
        return ALL_TIME
    if first is not None and last is not None and last < first:
        raise EndsBeforeStart("to", last, start_field="from", start=first)
    months = None
    if first is not None and last is not None:
        after = last + timedelta(days=1)
        whole = (after.year * 12 + after.month) - (first.year * 12 + first.month)
        aligned = first.day == 1 and after.day == 1
        months = Fraction(whole) if aligned else Fraction((after - first).days * 12, 365)
    label = f"{first.isoformat() if first else '…'} – {last.isoformat() if last else '…'}"
    return Period(
        label,
        first,
        last,
        _midnight(first, tz) if first else None,
        _midnight(last + timedelta(days=1), tz) if last else None,
        months,
    )


def calendar_period(kind: str, *, today: date, tz: tzinfo, year: int | None = None) -> Period:
    """The month, quarter or year holding `today` (moved to `year` when given)."""
    if kind not in QUOTA_MONTHS:
        raise InvalidInput("period", kind, "must be month, quarter or year")
    if year is not None:
        if not 1900 <= year <= 9998:
            raise InvalidInput("year", year, "must be between 1900 and 9998")
        today = date(year, today.month, 1)
    size = QUOTA_MONTHS[kind]
    first = date(today.year, (today.month - 1) // size * size + 1, 1)
    after = add_months(first, size)
    label = {
        "month": f"{first:%Y-%m}",
        "quarter": f"{first.year}-Q{(first.month - 1) // 3 + 1}",
        "year": f"{first.year}",
    }[kind]
    span = date_range(first, after - timedelta(days=1), tz)
    return Period(label, span.first, span.last, span.start, span.end, Fraction(size))


def within(column: Any, period: Period) -> list[ColumnElement[bool]]:
    where = []
    if period.start is not None:
        where.append(column >= period.start)
    if period.end is not None:
        where.append(column < period.end)
    return where
