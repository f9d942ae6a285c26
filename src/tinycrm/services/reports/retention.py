"""Customer retention per calendar month, quarter or year: active, retained, new and
churned customers, their rates, and revenue.

Every payment counts as activity; only those in the report currency are summed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from fractions import Fraction
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlmodel import Session

from tinycrm.errors import EndsBeforeStart, InvalidInput
from tinycrm.services import access
from tinycrm.services.periods import QUOTA_MONTHS, calendar_period
from tinycrm.services.report_rows import ratio_of
from tinycrm.services.reports.aggregates import round_half_up
from tinycrm.services.reports.customer_payments import RECEIVED_SCAN, payments_by_customer


@dataclass(frozen=True)
class RetentionRow:
    period: str
    first: date
    last: date
    active: int
    """Customers with a payment in the period."""
    retained: int
    """Of those, customers also active in the period before."""
    new: int
    """Of those, customers whose first payment ever is in the period."""
    churned: int
    """Customers active in the period before and not in this one."""
    churn_rate: float | None
    """churned ÷ active in the period before."""
    retention_rate: float | None
    """retained ÷ active in the period before."""
    revenue_minor: int
    avg_revenue_minor: int | None
    """revenue ÷ active, rounded half up to the minor unit."""


def _month_index(session: Session, day: Any) -> Any:
    """year × 12 + month − 1 of a date column, as an integer, on either backend."""
    year: Any
    month: Any
    if session.get_bind().dialect.name == "sqlite":
        year, month = func.substr(day, 1, 4), func.substr(day, 6, 2)
    else:
        year, month = func.extract("year", day), func.extract("month", day)
    return cast(year, Integer) * 12 + cast(month, Integer) - 1


def _index_of(day: date, size: int) -> int:
    return (day.year * 12 + day.month - 1) // size


def _first_of(index: int, size: int) -> date:
    month = index * size
    return date(month // 12, month % 12 + 1, 1)


def _half_up(value: Fraction) -> int:
    return round_half_up(value) if value >= 0 else -round_half_up(-value)


@access.reads_for("reports", "read")
def retention(
    session: Session,
    *,
    kind: str,
    first: date,
    last: date,
    currency: str,
    tz: tzinfo,
) -> list[RetentionRow]:
    """Per calendar month, quarter or year from the one holding `first` to the one holding
    `last`: active, retained, new and churned customers, their rates, and revenue."""
    if kind not in QUOTA_MONTHS:
        raise InvalidInput("period", kind, "must be month, quarter or year")
    if last < first:
        raise EndsBeforeStart("to", last, start_field="from", start=first)
    size = QUOTA_MONTHS[kind]
    lo, hi = _index_of(first, size), _index_of(last, size)
    found = _retention_counts(session, size, lo, hi, currency)
    rows = []
    for p in range(lo, hi + 1):
        active, retained, new, revenue = found.get(p, (0, 0, 0, 0))
        before = found.get(p - 1, (0, 0, 0, 0))[0]
        span = calendar_period(kind, today=_first_of(p, size), tz=tz)
        avg = _half_up(Fraction(revenue, active)) if active else None
        churned = before - retained
        rows.append(
            RetentionRow(
                span.label,
                span.first or first,
                span.last or last,
                active,
                retained,
                new,
                churned,
                ratio_of(churned, before),
                ratio_of(retained, before),
                revenue,
                avg,
            )
        )
    return rows


def _retention_counts(
    session: Session, size: int, lo: int, hi: int, currency: str
) -> dict[int, tuple[int, int, int, int]]:
    """Per period index from lo − 1 to hi: active, retained, new customers and revenue."""
    paid = payments_by_customer(RECEIVED_SCAN < _first_of(hi + 1, size))
    p = (_month_index(session, paid.c.received_on) // size).label("p")
    mine = func.sum(case((paid.c.currency == currency, paid.c.amount_minor), else_=0))
    per = select(paid.c.key, p, mine.label("rev")).group_by(paid.c.key, p).subquery("per")
    history = select(
        per,
        func.lag(per.c.p).over(partition_by=per.c.key, order_by=per.c.p).label("prev"),
        func.first_value(per.c.p).over(partition_by=per.c.key, order_by=per.c.p).label("first_p"),
    ).subquery("history")
    h = history.c
    query = (
        select(
            h.p,
            func.count(),
            func.sum(case((h.prev == h.p - 1, 1), else_=0)),
            func.sum(case((h.first_p == h.p, 1), else_=0)),
            func.sum(h.rev),
        )
        .where(h.p >= lo - 1)
        .group_by(h.p)
    )
    rows = session.connection().execute(query)
    return {int(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}


def default_span(kind: str, today: date) -> tuple[date, date]:
    """The last 12 months, 8 quarters or 5 years, the current one included."""
    if kind not in QUOTA_MONTHS:
        raise InvalidInput("period", kind, "must be month, quarter or year")
    size = QUOTA_MONTHS[kind]
    count = {"month": 12, "quarter": 8, "year": 5}[kind]
    return _first_of(_index_of(today, size) - count + 1, size), today
