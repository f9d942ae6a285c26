"""Customers ranked by what they paid: ABC classes by revenue, and RFM scores (recency,
frequency, monetary) with the segments they fall in.

Only payments in the report currency count. Customers are ranked, scored and classed in SQL
with window functions (SQLite 3.25+ and PostgreSQL); Python only divides the few totals that
come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from tinycrm.errors import InvalidInput
from tinycrm.services import access
from tinycrm.services.periods import Period
from tinycrm.services.report_rows import ratio_of
from tinycrm.services.reports.customer_payments import (
    PAYMENTS,
    customer_of,
    payments_by_customer,
    received_between,
    with_name,
)

# --- ABC -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AbcClass:
    cls: str
    customers: int
    customer_share: float | None
    revenue_minor: int
    revenue_share: float | None


@dataclass(frozen=True)
class AbcCustomer:
    rank: int
    kind: str
    customer_id: int
    name: str | None
    revenue_minor: int
    share: float | None
    cumulative_share: float | None
    """Share of revenue of this customer and every one ranked above it."""
    cls: str


@dataclass(frozen=True)
class AbcReport:
    period: Period
    a: int
    b: int
    total_minor: int
    customers: int
    classes: list[AbcClass]
    listed: list[AbcCustomer]


def _check_abc(a: int, b: int) -> None:
    if not 0 < a < 100:
        raise InvalidInput("a", a, "must be a percentage between 1 and 99")
    if b < 0 or a + b > 100:
        raise InvalidInput("b", b, f"must be between 0 and {100 - a} (A + B at most 100)")


def _abc_ranked(period: Period, currency: str, a: int, b: int) -> Any:
    """Customers by revenue, largest first (ties by id, a company before a contact of the same
    id), with their rank, the revenue of those above them, the total, and their class: A while
    the revenue before the customer is under a% of the total (so the customer that crosses the
    line is still A), B while it is under (a + b)%, C after."""
    paid = payments_by_customer(
        PAYMENTS.c.currency == currency, *received_between(period.first, period.last)
    )
    revenue = func.sum(paid.c.amount_minor)
    per = (
        select(paid.c.key, revenue.label("rev"))
        .group_by(paid.c.key)
        .having(revenue > 0)
        .subquery("per")
    )
    order = [per.c.rev.desc(), per.c.key]
    upto = func.sum(per.c.rev).over(order_by=order, rows=(None, 0))
    windowed = select(
        per.c.key,
        per.c.rev,
        func.row_number().over(order_by=order).label("rank"),
        (upto - per.c.rev).label("before"),
        func.sum(per.c.rev).over().label("total"),
    ).subquery("w")
    before100, total = windowed.c.before * 100, windowed.c.total
    cls = case((before100 < total * a, "A"), (before100 < total * (a + b), "B"), else_="C")
    return select(windowed, cls.label("cls")).subquery("ranked")


@access.reads_for("reports", "read")
def abc(
    session: Session,
    *,
    period: Period,
    currency: str,
    a: int = 80,
    b: int = 15,
    listing: bool = False,
    limit: int | None = None,
) -> AbcReport:
    """ABC classes of the customers by revenue received in the period."""
    _check_abc(a, b)
    ranked = _abc_ranked(period, currency, a, b)
    conn = session.connection()
    query = select(ranked.c.cls, func.count(), func.sum(ranked.c.rev)).group_by(ranked.c.cls)
    found = {cls: (int(n), int(rev)) for cls, n, rev in conn.execute(query)}
    customers = sum(n for n, _ in found.values())
    total = sum(rev for _, rev in found.values())
    classes = []
    for cls in "ABC":
        n, rev = found.get(cls, (0, 0))
        classes.append(AbcClass(cls, n, ratio_of(n, customers), rev, ratio_of(rev, total)))
    listed = _abc_list(conn, ranked, limit) if listing else []
    return AbcReport(period, a, b, total, customers, classes, listed)


def _abc_list(conn: Any, ranked: Any, limit: int | None) -> list[AbcCustomer]:
    c = ranked.c
    query = with_name(select(c.rank, c.key, c.rev, c.before, c.total, c.cls), c.key)
    query = query.order_by(c.rank).limit(limit)
    return [
        AbcCustomer(
            int(r.rank),
            *customer_of(int(r.key)),
            r.name,
            int(r.rev),
            ratio_of(int(r.rev), int(r.total)),
            ratio_of(int(r.before) + int(r.rev), int(r.total)),
            r.cls,
        )  # fmt: skip
        for r in conn.execute(query)
    ]


# --- RFM -------------------------------------------------------------------------------------


SEGMENTS = (
    ("champions", "R 5, FM 4–5"),
    ("loyal", "R 3–4, FM 4–5"),
    ("potential loyalist", "R 4–5, FM 2–3"),
    ("new", "R 5, FM 1"),
    ("promising", "R 4, FM 1"),
    ("need attention", "R 3, FM 3"),
    ("about to sleep", "R 3, FM 1–2"),
    ("can't lose", "R 1–2, FM 5"),
    ("at risk", "R 1–2, FM 3–4"),
    ("hibernating", "R 1–2, FM 1–2 but not R 1 FM 1"),
    ("lost", "R 1, FM 1"),
)
"""The RFM segments in report order, with the cells of the R × FM grid each one covers
(FM = ⌈(F + M) ÷ 2⌉)."""


def _segment(r: Any, fm: Any) -> Any:
    """The segment of an R score and an FM score (see SEGMENTS), as a SQL CASE."""
    return case(
        (and_(r == 5, fm >= 4), "champions"),
        (and_(r >= 3, fm >= 4), "loyal"),
        (and_(r >= 4, fm >= 2), "potential loyalist"),
        (r == 5, "new"),
        (r == 4, "promising"),
        (and_(r == 3, fm == 3), "need attention"),
        (r == 3, "about to sleep"),
        (fm == 5, "can't lose"),
        (fm >= 3, "at risk"),
        (and_(r == 1, fm == 1), "lost"),
        else_="hibernating",
    )


def _score(column: Any, n: Any) -> Any:
    """1–5 by quintile of rank: ⌊5·(rank − 1) ÷ n⌋ + 1, ranking from worst to best; equal
    values share the lowest rank, so they always get the same score."""
    return 1 + (5 * (func.rank().over(order_by=column) - 1)) // n


@dataclass(frozen=True)
class RfmSegment:
    segment: str
    cells: str
    customers: int
    share: float | None
    revenue_minor: int


@dataclass(frozen=True)
class RfmCustomer:
    kind: str
    customer_id: int
    name: str | None
    last_paid: date
    recency_days: int
    frequency: int
    monetary_minor: int
    r: int
    f: int
    m: int
    segment: str


@dataclass(frozen=True)
class RfmReport:
    period: Period
    as_of: date
    customers: int
    segments: list[RfmSegment]
    listed: list[RfmCustomer]


def _rfm_scored(period: Period, currency: str, as_of: date) -> Any:
    paid = payments_by_customer(
        PAYMENTS.c.currency == currency, *received_between(period.first, as_of)
    )
    per = (
        select(
            paid.c.key,
            func.max(paid.c.received_on).label("last_paid"),
            func.count(paid.c.order_id.distinct()).label("frequency"),
            func.sum(paid.c.amount_minor).label("monetary"),
        )
        .group_by(paid.c.key)
        .subquery("per")
    )
    n = func.count().over()
    scores = select(
        per,
        _score(per.c.last_paid, n).label("r"),
        _score(per.c.frequency, n).label("f"),
        _score(per.c.monetary, n).label("m"),
    ).subquery("scores")
    fm = (scores.c.f + scores.c.m + 1) // 2
    return select(scores, _segment(scores.c.r, fm).label("segment")).subquery("scored")


@access.reads_for("reports", "read")
def rfm(
    session: Session,
    *,
    period: Period,
    today: date,
    currency: str,
    listing: bool = False,
    limit: int | None = None,
) -> RfmReport:
    """RFM scores of every customer paid in the period (up to its last day, or today):
    recency = days since the last payment, frequency = orders paid on, monetary = sum paid."""
    as_of = min(today, period.last) if period.last else today
    scored = _rfm_scored(period, currency, as_of)
    conn = session.connection()
    query = select(scored.c.segment, func.count(), func.sum(scored.c.monetary)).group_by(
        scored.c.segment
    )
    found = {seg: (int(n), int(rev)) for seg, n, rev in conn.execute(query)}
    customers = sum(n for n, _ in found.values())
    segments = [
        RfmSegment(name, cells, n, ratio_of(n, customers), rev)
        for name, cells in SEGMENTS
        for n, rev in [found.get(name, (0, 0))]
    ]
    listed = _rfm_list(conn, scored, as_of, limit) if listing else []
    return RfmReport(period, as_of, customers, segments, listed)


def _rfm_list(conn: Any, scored: Any, as_of: date, limit: int | None) -> list[RfmCustomer]:
    c = scored.c
    columns = c.key, c.last_paid, c.frequency, c.monetary, c.r, c.f, c.m, c.segment
    query = with_name(select(*columns), c.key)
    query = query.order_by(c.r.desc(), (c.f + c.m).desc(), c.monetary.desc(), c.key)
    return [
        RfmCustomer(
            *customer_of(int(row.key)),
            row.name,
            row.last_paid,
            (as_of - row.last_paid).days,
            int(row.frequency),
            int(row.monetary),
            int(row.r),
            int(row.f),
            int(row.m),
            row.segment,
        )  # fmt: skip
        for row in conn.execute(query.limit(limit))
    ]
