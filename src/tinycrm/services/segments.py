"""Customer segmentation from payments received: ABC classes, RFM scores, retention per
period, and lifecycle tags.

A customer is the company of an order, or its contact when the order has no company; its
revenue is the money received against its orders (`payments.received_on`, a calendar day),
never deal amounts. Amounts are integer minor units of the report currency: ABC and RFM
look only at payments in that currency, retention counts every payment as activity but sums
only those. Everything is counted, ranked and summed in SQL (window functions: SQLite 3.25+
and PostgreSQL); Python only divides the few totals that come back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from fractions import Fraction
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from tinycrm.errors import InvalidInput
from tinycrm.models import Company, Contact, Order, Payment
from tinycrm.services.imports import table_of
from tinycrm.services.reports import (
    QUOTA_MONTHS,
    Period,
    calendar_period,
    ratio_of,
    round_half_up,
)

ORDERS = table_of(Order)
PAYMENTS = table_of(Payment)
COMPANIES = table_of(Company)
CONTACTS = table_of(Contact)
CHUNK = 5_000
"""Ids per IN (…) list when looking up lifecycle tags."""


# --- customers and their payments ------------------------------------------------------------


class scanned(FunctionElement[date]):
    """A date column in a range that holds nearly every row: `+column` on SQLite, so the
    planner scans the table rather than walk an index and look each row up (three times
    slower over all payments); the column itself elsewhere."""

    type = Date()
    name = "scanned"
    inherit_cache = True


@compiles(scanned)
def _scanned(element: scanned, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(scanned, "sqlite")
def _scanned_sqlite(element: scanned, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


RECEIVED = PAYMENTS.c.received_on
RECEIVED_SCAN = scanned(RECEIVED)


def _paid(*where: ColumnElement[bool]) -> Any:
    """Every payment with its customer's key (see `_who`)."""
    key = func.coalesce(ORDERS.c.company_id * 2, ORDERS.c.contact_id * 2 + 1)
    return (
        select(
            key.label("key"),
            PAYMENTS.c.order_id,
            PAYMENTS.c.amount_minor,
            PAYMENTS.c.currency,
            PAYMENTS.c.received_on,
        )
        .join(ORDERS, ORDERS.c.id == PAYMENTS.c.order_id)
        .where(key.is_not(None), *where)
        .subquery("paid")
    )


def _days(first: date | None, last: date | None) -> list[ColumnElement[bool]]:
    """Payments received from `first` to `last`; an open-ended range holds most of them, so
    it is read by a scan (see scanned)."""
    day = RECEIVED if first and last else RECEIVED_SCAN
    where = []
    if first is not None:
        where.append(day >= first)
    if last is not None:
        where.append(day <= last)
    return where


def _who(key: int) -> tuple[str, int]:
    """A customer key as (kind, id): company id × 2, or contact id × 2 + 1 when the order has
    no company (one integer groups and sorts faster than a kind and an id)."""
    return ("company" if key % 2 == 0 else "contact"), key // 2


def _named(query: Any, key: Any) -> Any:
    """`query` with the customer's name: the company's, or the contact's full name."""
    co, ct = COMPANIES.alias("co"), CONTACTS.alias("ct")
    return (
        query.add_columns(func.coalesce(co.c.name, ct.c.full_name).label("name"))
        .outerjoin(co, and_(key % 2 == 0, co.c.id == key // 2))
        .outerjoin(ct, and_(key % 2 == 1, ct.c.id == key // 2))
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


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
        raise InvalidInput("--a", a, "must be a percentage between 1 and 99")
    if b < 0 or a + b > 100:
        raise InvalidInput("--b", b, f"must be between 0 and {100 - a} (A + B at most 100)")


def _abc_ranked(period: Period, currency: str, a: int, b: int) -> Any:
    """Customers by revenue, largest first (ties by id, a company before a contact of the same
    id), with their rank, the revenue of those above them, the total, and their class: A while
    the revenue before the customer is under a% of the total (so the customer that crosses the
    line is still A), B while it is under (a + b)%, C after."""
    paid = _paid(PAYMENTS.c.currency == currency, *_days(period.first, period.last))
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
        classes.append(AbcClass(cls, n, _share(n, customers), rev, _share(rev, total)))
    listed = _abc_list(conn, ranked, limit) if listing else []
    return AbcReport(period, a, b, total, customers, classes, listed)


def _abc_list(conn: Any, ranked: Any, limit: int | None) -> list[AbcCustomer]:
    c = ranked.c
    query = _named(select(c.rank, c.key, c.rev, c.before, c.total, c.cls), c.key)
    query = query.order_by(c.rank).limit(limit)
    return [
        AbcCustomer(
            int(r.rank),
            *_who(int(r.key)),
            r.name,
            int(r.rev),
            _share(int(r.rev), int(r.total)),
            _share(int(r.before) + int(r.rev), int(r.total)),
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
    paid = _paid(PAYMENTS.c.currency == currency, *_days(period.first, as_of))
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
        RfmSegment(name, cells, n, _share(n, customers), rev)
        for name, cells in SEGMENTS
        for n, rev in [found.get(name, (0, 0))]
    ]
    listed = _rfm_list(conn, scored, as_of, limit) if listing else []
    return RfmReport(period, as_of, customers, segments, listed)


def _rfm_list(conn: Any, scored: Any, as_of: date, limit: int | None) -> list[RfmCustomer]:
    c = scored.c
    query = _named(select(c.key, c.last_paid, c.frequency, c.monetary, c.r, c.f, c.m,
                          c.segment), c.key)  # fmt: skip
    query = query.order_by(c.r.desc(), (c.f + c.m).desc(), c.monetary.desc(), c.key)
    return [
        RfmCustomer(
            *_who(int(row.key)),
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


# --- retention -------------------------------------------------------------------------------


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
        raise InvalidInput("--period", kind, "must be month, quarter or year")
    if last < first:
        raise InvalidInput("--to", last.isoformat(), f"before --from {first.isoformat()}")
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
    paid = _paid(RECEIVED_SCAN < _first_of(hi + 1, size))
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
        raise InvalidInput("--period", kind, "must be month, quarter or year")
    size = QUOTA_MONTHS[kind]
    count = {"month": 12, "quarter": 8, "year": 5}[kind]
    return _first_of(_index_of(today, size) - count + 1, size), today


# --- lifecycle tags --------------------------------------------------------------------------


LIFECYCLES = ("new", "regular", "loyal", "declining", "lost")
NEW_DAYS = 90
"""A customer whose first payment is at most this many days old is new."""
DECLINING_DAYS = 180
"""…whose last payment is more than this many days old is declining,"""
LOST_DAYS = 365
"""…and more than this many days old, lost."""
LOYAL_ORDERS = 3
"""A customer with payments on this many orders or more in the last LOST_DAYS days is loyal."""


def _lifecycle(today: date, received_on: Any, order_id: Any) -> Any:
    """A customer's lifecycle tag from its payments (aggregates over them), as a SQL CASE:
    lost, else declining, else new, else loyal, else regular."""
    last, first = func.max(received_on), func.min(received_on)
    year_ago = today - timedelta(days=LOST_DAYS)
    recent = func.count(case((received_on > year_ago, order_id)).distinct())
    return case(
        (last < year_ago, "lost"),
        (last < today - timedelta(days=DECLINING_DAYS), "declining"),
        (first >= today - timedelta(days=NEW_DAYS), "new"),
        (recent >= LOYAL_ORDERS, "loyal"),
        else_="regular",
    )


def _customers(today: date, customer: Any, *where: ColumnElement[bool]) -> Select[Any]:
    """One row per customer (`customer` being an orders column) that paid up to `today`."""
    return (
        select(customer)
        .join(ORDERS, ORDERS.c.id == PAYMENTS.c.order_id)
        .where(customer.is_not(None), RECEIVED_SCAN <= today, *where)
        .group_by(customer)
    )


def _tag(today: date) -> Any:
    return _lifecycle(today, PAYMENTS.c.received_on, PAYMENTS.c.order_id)


@dataclass(frozen=True)
class Lifecycles:
    contacts: dict[int, str | None]
    """Per contact asked for: its customer's tag (its company's, or its own when it has no
    company); None when that customer never paid."""
    companies: dict[int, str | None]


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _tags_of(session: Session, today: date, customer: Any, ids: Iterable[int],
             *where: ColumnElement[bool]) -> dict[int, str]:  # fmt: skip
    found: dict[int, str] = {}
    for part in _chunks(sorted(set(ids))):
        query = _customers(today, customer, customer.in_(part), *where).add_columns(_tag(today))
        found.update((int(i), tag) for i, tag in session.connection().execute(query))
    return found


def lifecycles(
    session: Session,
    *,
    today: date,
    contact_ids: Iterable[int] = (),
    company_ids: Iterable[int] = (),
) -> Lifecycles:
    """The lifecycle tags (LIFECYCLES) of the given contacts and companies on `today`."""
    contact_ids, company_ids = list(contact_ids), list(company_ids)
    employer: dict[int, int | None] = {}
    for part in _chunks(sorted(set(contact_ids))):
        query = select(CONTACTS.c.id, CONTACTS.c.company_id).where(CONTACTS.c.id.in_(part))
        employer.update((i, co) for i, co in session.connection().execute(query))
    solo = [i for i, co in employer.items() if co is None]
    companies = _tags_of(
        session, today, ORDERS.c.company_id, [*company_ids, *filter(None, employer.values())]
    )
    own = _tags_of(session, today, ORDERS.c.contact_id, solo, ORDERS.c.company_id.is_(None))
    by_contact = {}
    for i in contact_ids:
        company = employer.get(i)
        by_contact[i] = companies.get(company) if company else own.get(i)
    return Lifecycles(by_contact, {i: companies.get(i) for i in company_ids})


def lifecycle_condition(tag: str, *, today: date, on: str = "contact") -> ColumnElement[bool]:
    """A WHERE condition on the `contacts` table (on="contact") or the `companies` table
    (on="company") that holds for the records whose lifecycle tag is `tag` on `today`."""
    if tag not in LIFECYCLES:
        raise InvalidInput("--lifecycle", tag, f"must be one of {', '.join(LIFECYCLES)}")
    companies = _customers(today, ORDERS.c.company_id).having(_tag(today) == tag)
    if on == "company":
        return COMPANIES.c.id.in_(companies)
    if on != "contact":
        raise ValueError(f"lifecycle_condition: on must be contact or company, not {on!r}")
    solo = _customers(today, ORDERS.c.contact_id, ORDERS.c.company_id.is_(None))
    solo = solo.having(_tag(today) == tag)
    return or_(
        and_(CONTACTS.c.company_id.is_not(None), CONTACTS.c.company_id.in_(companies)),
        and_(CONTACTS.c.company_id.is_(None), CONTACTS.c.id.in_(solo)),
    )
