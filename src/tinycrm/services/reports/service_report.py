"""The service report: per owner, or per month, quarter or year, the tickets open and
overdue now, opened and resolved in a period, resolved late, the median hours to resolve and
the customers' satisfaction (CSAT), all counted in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, func, select, text, true
from sqlmodel import Session

from tinycrm.errors import InvalidInput
from tinycrm.models import Ticket, User
from tinycrm.models.base import table_of
from tinycrm.services import access
from tinycrm.services.periods import Period, add_months, date_range, within
from tinycrm.services.refs import resolve_user
from tinycrm.services.reports.aggregates import median_per, seconds_between, sum_if

TICKETS = table_of(Ticket)
USERS = table_of(User)


@dataclass(frozen=True)
class ServiceRow:
    key: str
    """The owner's name, `(no owner)`, the period (`2026-11`), or `total`."""
    user_id: int | None
    open: int | None
    """Open now (per owner and total; None for a period row)."""
    overdue: int | None
    """Open now and past due (per owner and total; None for a period row)."""
    opened: int
    """Opened in the period."""
    resolved: int
    """Resolved in the period."""
    resolved_late: int
    """Of those, resolved after their due time."""
    median_hours: float | None
    """Median hours from opening to resolution, over those resolved in the period."""
    csat: float | None
    """Average score of the tickets resolved in the period that were rated."""
    csat_count: int


@dataclass(frozen=True)
class ServiceReport:
    period: Period
    by: str
    rows: list[ServiceRow]
    total: ServiceRow


SERVICE_BY = ("owner", "month", "quarter", "year")


@access.reads_for("reports", "read")
def service_report(
    session: Session,
    *,
    period: Period,
    now: datetime,
    tz: tzinfo,
    by: str = "owner",
    owner: str | None = None,
) -> ServiceReport:
    """Per owner (or per month, quarter or year of the period) and in total: tickets open
    and overdue now, opened and resolved in the period, median hours to resolve, CSAT."""
    if by not in SERVICE_BY:
        raise InvalidInput("by", by, "must be owner, month, quarter or year")
    owner_id = resolve_user(session, owner).id if owner else None
    mine = [TICKETS.c.owner_id == owner_id] if owner_id is not None else []
    if by == "owner":
        return _by_owner(session, period, now, owner_id, mine)
    return _by_period(session, period, now, tz, by, mine)


def _figures(session: Session, period: Period, key: Any, mine: list[Any]) -> dict[Any, list[Any]]:
    """Per `key`: opened, resolved, resolved late, rated, sum of scores (in the period)."""
    t = TICKETS.c
    done = and_(t.resolved_at.is_not(None), *within(t.resolved_at, period))
    query = select(
        key.label("k"),
        sum_if(and_(true(), *within(t.opened_at, period))),
        sum_if(done),
        sum_if(and_(done, t.resolved_at > t.due_at)),
        sum_if(and_(done, t.csat.is_not(None))),
        sum_if(and_(done, t.csat.is_not(None)), t.csat),
    ).where(*mine)
    rows = session.connection().execute(query.group_by(text("k")))
    return {r[0]: [int(x) for x in r[1:]] for r in rows}


def _durations(session: Session, period: Period, key: Any, mine: list[Any]) -> Any:
    """Seconds from opening to resolution (`v`) per `key` (`k`), resolved in the period."""
    t = TICKETS.c
    return (
        select(key.label("k"), seconds_between(session, t.opened_at, t.resolved_at).label("v"))
        .where(t.resolved_at.is_not(None), *within(t.resolved_at, period), *mine)
        .subquery()
    )


def _key_medians(session: Session, period: Period, key: Any, mine: list[Any]) -> dict[Any, float]:
    """Median hours to resolve per `key`."""
    values = _durations(session, period, key, mine)
    return {k: float(v) / 3600 for k, v in session.connection().execute(median_per(values, "k"))}


def _median_of_all(session: Session, period: Period, mine: list[Any], count: int) -> float | None:
    """Median hours to resolve over the `count` tickets resolved in the period: the middle
    one or two by a sort with LIMIT and OFFSET, cheaper than a window over them all."""
    if not count:
        return None
    values = _durations(session, period, true(), mine)
    middle = select(values.c.v).order_by(values.c.v).limit(2 - count % 2)
    found = [float(r[0]) for r in session.connection().execute(middle.offset((count - 1) // 2))]
    return sum(found) / len(found) / 3600


def _service_row(
    key: str,
    user_id: int | None,
    figures: Sequence[int],
    median: float | None,
    backlog: tuple[int, int] | None,
) -> ServiceRow:
    opened, resolved, late, rated, points = figures
    return ServiceRow(
        key, user_id, backlog[0] if backlog else None, backlog[1] if backlog else None,
        opened, resolved, late, median, points / rated if rated else None, rated,
    )  # fmt: skip


def _backlog(session: Session, now: datetime, mine: list[Any]) -> dict[Any, tuple[int, int]]:
    """Per owner: tickets open now, and those past due (from the (owner, status) index)."""
    t = TICKETS.c
    query = select(t.owner_id, func.count(), sum_if(t.due_at < now)).where(
        t.status == "open", *mine
    )
    rows = session.connection().execute(query.group_by(t.owner_id))
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def _by_owner(
    session: Session, period: Period, now: datetime, owner_id: int | None, mine: list[Any]
) -> ServiceReport:
    key = TICKETS.c.owner_id
    figures = _figures(session, period, key, mine)
    medians = _key_medians(session, period, key, mine)
    backlog = _backlog(session, now, mine)
    users = select(USERS.c.id, USERS.c.name).order_by(USERS.c.name)
    if owner_id is not None:
        users = users.where(USERS.c.id == owner_id)
    people: list[tuple[int | None, str]] = [
        (r[0], r[1]) for r in session.connection().execute(users)
    ]
    if owner_id is None and (None in figures or None in backlog):
        people.append((None, "(no owner)"))
    zero = [0] * 5
    rows = [
        _service_row(name, uid, figures.get(uid, zero), medians.get(uid), backlog.get(uid, (0, 0)))
        for uid, name in people
    ]
    sums = [sum(f[i] for f in figures.values()) for i in range(5)]
    total = _service_row(
        "total", None, sums, _median_of_all(session, period, mine, sums[1]), _waiting(backlog)
    )
    return ServiceReport(period, "owner", rows, total)


def _buckets(session: Session, period: Period, now: datetime, tz: tzinfo, by: str) -> list[Period]:
    """The months, quarters or years that the period covers, from its first day (the first
    ticket's when it has none) to its last day or today, whichever comes first."""
    today = now.astimezone(tz).date()
    first, last = period.first, min(period.last or today, today)
    if first is None:
        earliest = session.connection().execute(select(func.min(TICKETS.c.opened_at))).scalar()
        first = earliest.astimezone(tz).date() if earliest is not None else last
    size = {"month": 1, "quarter": 3, "year": 12}[by]
    start = date(first.year, (first.month - 1) // size * size + 1, 1)
    spans: list[Period] = []
    while start <= last and len(spans) < 1200:
        after = add_months(start, size)
        span = date_range(max(start, first), min(after - timedelta(days=1), last), tz)
        label = {
            "month": f"{start:%Y-%m}",
            "quarter": f"{start.year}-Q{(start.month - 1) // 3 + 1}",
            "year": f"{start.year}",
        }[by]
        spans.append(Period(label, span.first, span.last, span.start, span.end, span.months))
        start = after
    return spans


def _bucket_of(column: Any, spans: list[Period]) -> Any:
    """The index of the span holding `column` (-1 before the first, len after the last)."""
    whens = [(column < s.end, i) for i, s in enumerate(spans) if s.end is not None]
    return case((column < spans[0].start, -1), *whens, else_=len(spans))


def _by_period(
    session: Session, period: Period, now: datetime, tz: tzinfo, by: str, mine: list[Any]
) -> ServiceReport:
    """Opened per span of its opening; resolved, late, median and CSAT per span of its
    resolution; the total also has what is open and overdue now."""
    spans = _buckets(session, period, now, tz, by)
    t = TICKETS.c
    zero = [0] * 5
    opened: dict[Any, list[int]] = {}
    resolved: dict[Any, list[int]] = {}
    medians: dict[Any, float] = {}
    if spans:
        opened = _figures(session, period, _bucket_of(t.opened_at, spans), mine)
        resolved = _figures(session, period, _bucket_of(t.resolved_at, spans), mine)
        medians = _key_medians(session, period, _bucket_of(t.resolved_at, spans), mine)
    rows = [
        _service_row(
            span.label,
            None,
            [opened.get(i, zero)[0], *resolved.get(i, zero)[1:]],
            medians.get(i),
            None,
        )
        for i, span in enumerate(spans)
    ]
    sums = [sum(r[i] for r in (opened if i == 0 else resolved).values()) for i in range(5)]
    backlog = _backlog(session, now, mine)
    total = _service_row(
        "total", None, sums, _median_of_all(session, period, mine, sums[1]), _waiting(backlog)
    )
    return ServiceReport(period, by, rows, total)


def _waiting(backlog: dict[Any, tuple[int, int]]) -> tuple[int, int]:
    return sum(b[0] for b in backlog.values()), sum(b[1] for b in backlog.values())
