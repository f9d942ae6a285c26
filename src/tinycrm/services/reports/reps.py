"""Rep performance: per user and for the team, deals won and lost in a period, win rate,
average won deal, median sales cycle, activities done, and attainment of the quota scaled to
the period."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import and_, func, select
from sqlmodel import Session

from tinycrm.errors import InvalidInput
from tinycrm.models import Activity, Deal, User
from tinycrm.models.base import table_of
from tinycrm.services import access
from tinycrm.services.periods import QUOTA_MONTHS, Period, within
from tinycrm.services.report_rows import ratio_of
from tinycrm.services.reports.aggregates import (
    days_of,
    in_currency,
    median_per,
    owner_id_of,
    round_half_up,
    seconds_between,
    sum_if,
)

DEALS = table_of(Deal)
ACTIVITIES = table_of(Activity)
USERS = table_of(User)


@dataclass(frozen=True)
class RepRow:
    user_id: int | None
    """None for the team total and for deals nobody owns."""
    name: str
    won: int
    lost: int
    won_minor: int
    win_rate: float | None
    """won ÷ (won + lost); None when nothing closed."""
    avg_won_minor: int | None
    median_cycle_days: float | None
    """Median days from creation to winning, over the deals won in the period."""
    activities: int
    """Activities done in the period."""
    quota_minor: int | None
    """The user's quota scaled to the period."""
    attainment: float | None
    """won_minor ÷ quota_minor."""
    other_currency: int


@dataclass(frozen=True)
class Performance:
    period: Period
    reps: list[RepRow]
    team: RepRow


PERFORMANCE_SORT = (
    "name", "won", "lost", "won_amount", "win_rate", "avg_won", "median_cycle_days",
    "activities", "quota", "attainment",
)  # fmt: skip
_SORT_FIELDS = {"won_amount": "won_minor", "avg_won": "avg_won_minor", "quota": "quota_minor"}


def period_quota(quota_minor: int | None, quota_period: str | None, period: Period) -> int | None:
    """The quota for the report period: quota × period months ÷ months of the quota's period,
    rounded half up to the minor unit (a quarterly 9,000.00 is 3,000.00 a month)."""
    if quota_minor is None or period.months is None:
        return None
    per = QUOTA_MONTHS.get(quota_period or "month", 1)
    return round_half_up(Fraction(quota_minor) * period.months / per)


def _rep(
    user_id: int | None,
    name: str,
    figures: list[int],
    median: float | None,
    activities: int,
    quota: int | None,
) -> RepRow:
    won, lost, won_minor, won_mine, other = figures
    avg = round_half_up(Fraction(won_minor, won_mine)) if won_mine else None
    return RepRow(
        user_id,
        name,
        won,
        lost,
        won_minor,
        ratio_of(won, won + lost),
        avg,
        median,
        activities,
        quota,
        won_minor / quota if quota else None,
        other,
    )


@access.reads_for("reports", "read")
def performance(
    session: Session,
    *,
    period: Period,
    currency: str,
    owner: str | None = None,
    sort: str = "name",
) -> Performance:
    """Per user (every user whose deals the reader may read, with or without deals) and for
    the team: the deals closed in the period and the activities done in it. The team's
    quota is the sum of the rows shown."""
    owner_id = owner_id_of(session, owner)
    conn = session.connection()
    closed = [DEALS.c.status.in_(("won", "lost")), *within(DEALS.c.closed_at, period)]
    won = DEALS.c.status == "won"
    if owner_id is not None:
        closed.append(DEALS.c.owner_id == owner_id)
    figures_of = select(
        DEALS.c.owner_id,
        sum_if(won),
        sum_if(DEALS.c.status == "lost"),
        sum_if(and_(won, in_currency(currency)), DEALS.c.amount_minor),
        sum_if(and_(won, in_currency(currency))),
        sum_if(DEALS.c.currency != currency),
    ).where(*closed)
    figures = {
        r[0]: [int(x) for x in r[1:]] for r in conn.execute(figures_of.group_by(DEALS.c.owner_id))
    }
    cycles = (
        select(
            DEALS.c.owner_id,
            seconds_between(session, DEALS.c.created_at, DEALS.c.closed_at).label("v"),
        )
        .where(*closed, won)
        .subquery()
    )
    medians = dict(conn.execute(median_per(cycles, "owner_id")).all())
    team_median = conn.execute(median_per(cycles, None)).scalar()
    logged = _activities(session, period, owner_id)
    users = select(USERS.c.id, USERS.c.name, USERS.c.quota_minor, USERS.c.quota_period)
    if owner_id is not None:
        users = users.where(USERS.c.id == owner_id)
    actor = access.actor_of(session)
    reached = actor.owner_ids("deals") if actor is not None else None
    if reached is not None:  # a rep's report has their row, a manager's their team's
        users = users.where(USERS.c.id.in_(sorted(reached)))
    zero = [0, 0, 0, 0, 0]
    reps = []
    for uid, name, quota, quota_period in conn.execute(users):
        reps.append(
            _rep(
                uid,
                name,
                figures.get(uid, zero),
                days_of(medians.get(uid)),
                int(logged.get(uid, 0)),
                period_quota(quota, quota_period, period),
            )
        )
    if None in figures or None in logged:
        reps.append(
            _rep(
                None,
                "(no owner)",
                figures.get(None, zero),
                days_of(medians.get(None)),
                int(logged.get(None, 0)),
                None,
            )
        )
    total = [sum(f[i] for f in figures.values()) for i in range(5)]
    quotas = [r.quota_minor for r in reps if r.quota_minor is not None]
    team = _rep(
        None,
        "team",
        total,
        days_of(team_median),
        sum(int(n) for n in logged.values()),
        sum(quotas) if quotas else None,
    )
    return Performance(period, _sorted(reps, sort), team)


def _activities(session: Session, period: Period, owner_id: int | None) -> dict[int | None, int]:
    """Activities done in the period per owner (None: nobody's), counted one owner at a
    time so each count is a range of the (owner, done_at) index."""
    a = ACTIVITIES
    done = [a.c.done_at.is_not(None), *within(a.c.done_at, period)]
    per_user = select(
        USERS.c.id, select(func.count()).where(a.c.owner_id == USERS.c.id, *done).scalar_subquery()
    )
    if owner_id is not None:
        per_user = per_user.where(USERS.c.id == owner_id)
    conn = session.connection()
    found: dict[int | None, int] = {uid: int(n) for uid, n in conn.execute(per_user)}
    if owner_id is None:
        nobody = conn.execute(select(func.count()).where(a.c.owner_id.is_(None), *done)).scalar()
        if nobody:
            found[None] = int(nobody)
    return found


def _sorted(rows: list[RepRow], spec: str) -> list[RepRow]:
    """Rows by `--sort` keys (`-` for descending); empty values last either way."""
    result = sorted(rows, key=lambda r: r.name.casefold())
    for part in reversed([p.strip() for p in spec.split(",") if p.strip()]):
        key = part.lstrip("+-")
        if key not in PERFORMANCE_SORT:
            raise InvalidInput(
                "sort keys", spec, f"unknown field (one of: {', '.join(PERFORMANCE_SORT)})"
            )
        attr = _SORT_FIELDS.get(key, key)
        present = [r for r in result if getattr(r, attr) is not None]
        missing = [r for r in result if getattr(r, attr) is None]
        text = key == "name"
        present.sort(
            key=lambda r: getattr(r, attr).casefold() if text else getattr(r, attr),
            reverse=part.startswith("-"),
        )
        result = present + missing
    return result
