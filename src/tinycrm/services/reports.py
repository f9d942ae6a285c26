"""Reports: funnel, stage conversion, rep performance, forecast and pipeline.

Every figure is counted and summed in SQL (medians too, with window functions), so a report
costs about what the same hand-written query costs, whatever the number of deals. Amounts are
integer minor units of the report currency: deals in another currency are counted, never
summed, and show up in `other_currency` instead.

Periods are half-open ranges of UTC instants `[start, end)` made from calendar days in the
user's time zone; a missing edge means "since the beginning" or "until now and later".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, exists, func, not_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from tinycrm.errors import InvalidInput
from tinycrm.models import Activity, Deal, Stage, StageChange, User
from tinycrm.services.imports import table_of
from tinycrm.services.refs import resolve_user

DEALS = table_of(Deal)
STAGES = table_of(Stage)
CHANGES = table_of(StageChange)
ACTIVITIES = table_of(Activity)
USERS = table_of(User)
QUOTA_MONTHS = {"month": 1, "quarter": 3, "year": 12}
DAY_SECONDS = 86_400


# --- periods -------------------------------------------------------------------------------


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
    return datetime.combine(day, time(0)).replace(tzinfo=tz).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_range(first: date | None, last: date | None, tz: tzinfo) -> Period:
    """Days `first`..`last`, both included; either may be open."""
    if first is None and last is None:
        return ALL_TIME
    if first is not None and last is not None and last < first:
        raise InvalidInput("--to", last.isoformat(), f"before --from {first.isoformat()}")
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
        raise InvalidInput("--period", kind, "must be month, quarter or year")
    if year is not None:
        if not 1900 <= year <= 9998:
            raise InvalidInput("--year", year, "must be between 1900 and 9998")
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


# --- SQL pieces shared by the reports --------------------------------------------------------


def _owner_id(session: Session, owner: str | None) -> int | None:
    return resolve_user(session, owner).id if owner else None


def seconds_between(session: Session, start: Any, end: Any) -> Any:
    """Whole seconds from `start` to `end` (each truncated to the second), on either backend."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", end), BigInteger) - cast(
            func.strftime("%s", start), BigInteger
        )
    return func.floor(func.extract("epoch", end)) - func.floor(func.extract("epoch", start))


def median_per(values: Any, key: str | None) -> Any:
    """Median of `values.c.v` per `values.c[key]` (or over all rows): the middle value, or the
    mean of the two middle values, found with ROW_NUMBER and COUNT windows."""
    group = [values.c[key]] if key else []
    ranked = select(
        *group,
        values.c.v,
        func.row_number().over(partition_by=group or None, order_by=values.c.v).label("rn"),
        func.count().over(partition_by=group or None).label("n"),
    ).subquery()
    middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    out = [ranked.c[key]] if key else []
    return select(*out, func.avg(ranked.c.v)).where(middle).group_by(*out)


def _days(seconds: Any) -> float | None:
    return None if seconds is None else float(seconds) / DAY_SECONDS


def ratio_of(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _mine(currency: str) -> ColumnElement[bool]:
    return DEALS.c.currency == currency


def sum_if(condition: ColumnElement[bool], value: Any = 1) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _stages(session: Session) -> list[Any]:
    query = select(
        STAGES.c.id, STAGES.c.name, STAGES.c.position, STAGES.c.kind, STAGES.c.probability
    )
    return list(session.connection().execute(query.order_by(STAGES.c.position, STAGES.c.id)))


# --- funnel --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRow:
    stage: str
    kind: str
    reached: int
    """Deals that entered the stage in the period (each deal once)."""
    reached_minor: int
    now: int
    """Of those, the deals in the stage now."""
    now_minor: int
    drop_off: int | None
    """reached here − reached at the next stage (not for won and lost)."""
    drop_off_rate: float | None
    other_currency: int


def funnel(
    session: Session, *, period: Period, currency: str, owner: str | None = None
) -> list[FunnelRow]:
    """Per stage, the deals that entered it in the period, and how many of them are there now."""
    entered = select(CHANGES.c.to_stage_id.label("stage_id"), CHANGES.c.deal_id).where(
        *within(CHANGES.c.changed_at, period)
    )
    owner_id = _owner_id(session, owner)
    if owner_id is not None:
        entered = entered.join(DEALS, DEALS.c.id == CHANGES.c.deal_id).where(
            DEALS.c.owner_id == owner_id
        )
    e = entered.distinct().subquery()
    here = DEALS.c.stage_id == e.c.stage_id
    query = (
        select(
            e.c.stage_id,
            func.count(),
            sum_if(_mine(currency), DEALS.c.amount_minor),
            sum_if(here),
            sum_if(and_(here, _mine(currency)), DEALS.c.amount_minor),
            sum_if(DEALS.c.currency != currency),
        )
        .join(DEALS, DEALS.c.id == e.c.deal_id)
        .group_by(e.c.stage_id)
    )
    found = {r[0]: r[1:] for r in session.connection().execute(query)}
    stages = _stages(session)
    onward = [s.id for s in stages if s.kind != "lost"]
    after = dict(zip(onward, onward[1:], strict=False))  # the next stage a deal moves on to
    reached = {stage_id: int(v[0]) for stage_id, v in found.items()}
    rows = []
    for s in stages:
        came, amount, now, now_amount, other = (int(v) for v in found.get(s.id, (0,) * 5))
        drop = came - reached.get(after.get(s.id), 0) if s.kind == "open" else None
        rate = ratio_of(drop, came) if drop is not None else None
        rows.append(FunnelRow(s.name, s.kind, came, amount, now, now_amount, drop, rate, other))
    return rows


# --- stage conversion ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConversionRow:
    stage: str
    entered: int
    """Deals that entered the (open) stage in the period, each once however often."""
    moved_on: int
    """Of those, deals that left the stage forward: to a stage further on, not a lost one."""
    lost: int
    """Of those, deals that left the stage for a lost stage."""
    rate: float | None
    """moved_on ÷ entered."""
    median_days: float | None
    """Median time from entering the stage to leaving it, over the visits that ended."""


def _entered(session: Session, period: Period, owner_id: int | None) -> dict[int, int]:
    """Distinct deals per stage entered in the period (read from the (to, deal) index)."""
    query = select(CHANGES.c.to_stage_id, func.count(CHANGES.c.deal_id.distinct())).where(
        *within(CHANGES.c.changed_at, period)
    )
    if owner_id is not None:
        query = query.join(DEALS, DEALS.c.id == CHANGES.c.deal_id).where(
            DEALS.c.owner_id == owner_id
        )
    rows = session.connection().execute(query.group_by(CHANGES.c.to_stage_id))
    return {stage: int(n) for stage, n in rows}


def _left(session: Session, period: Period, owner_id: int | None) -> dict[int, tuple[int, int]]:
    """Per open stage, the distinct deals that left it forward, and for a lost stage, after
    entering it in the period. Every change records the stage it left (`from_stage_id`)."""
    left, came, went = CHANGES.alias("l"), STAGES.alias("f"), STAGES.alias("t")
    forward = and_(went.c.kind != "lost", went.c.position > came.c.position)
    query = (
        select(
            left.c.from_stage_id,
            func.count(case((forward, left.c.deal_id)).distinct()),
            func.count(case((went.c.kind == "lost", left.c.deal_id)).distinct()),
        )
        .join(came, came.c.id == left.c.from_stage_id)
        .join(went, went.c.id == left.c.to_stage_id)
        .where(came.c.kind == "open")
    )
    if period is not ALL_TIME:
        entry = CHANGES.alias("e")
        query = query.where(
            exists().where(
                entry.c.to_stage_id == left.c.from_stage_id,
                entry.c.deal_id == left.c.deal_id,
                entry.c.changed_at <= left.c.changed_at,
                *within(entry.c.changed_at, period),
            )
        )
    if owner_id is not None:
        query = query.join(DEALS, DEALS.c.id == left.c.deal_id).where(DEALS.c.owner_id == owner_id)
    rows = session.connection().execute(query.group_by(left.c.from_stage_id))
    return {stage: (int(moved), int(lost)) for stage, moved, lost in rows}


def _stays(session: Session, period: Period, owner_id: int | None) -> dict[int, float | None]:
    """Median seconds between entering a stage and leaving it, per stage left, over the
    visits entered in the period. The entry is the deal's change just before (by time, then
    id, so imported history made of changes at one instant keeps its order)."""
    entered_at = func.lag(CHANGES.c.changed_at).over(
        partition_by=CHANGES.c.deal_id, order_by=[CHANGES.c.changed_at, CHANGES.c.id]
    )
    moves = select(CHANGES.c.from_stage_id, CHANGES.c.changed_at, entered_at.label("entered_at"))
    if owner_id is not None:
        moves = moves.join(DEALS, DEALS.c.id == CHANGES.c.deal_id).where(
            DEALS.c.owner_id == owner_id
        )
    m = moves.subquery()
    stays = (
        select(
            m.c.from_stage_id, seconds_between(session, m.c.entered_at, m.c.changed_at).label("v")
        )
        .where(m.c.from_stage_id.is_not(None), *within(m.c.entered_at, period))
        .subquery()
    )
    return dict(session.connection().execute(median_per(stays, "from_stage_id")).all())


def conversion(
    session: Session, *, period: Period, owner: str | None = None
) -> list[ConversionRow]:
    """Per open stage: entered, moved on, lost there, conversion rate and median days in it."""
    owner_id = _owner_id(session, owner)
    entered = _entered(session, period, owner_id)
    left = _left(session, period, owner_id)
    medians = _stays(session, period, owner_id)
    rows = []
    for s in _stages(session):
        if s.kind != "open":
            continue
        came, (moved, lost) = entered.get(s.id, 0), left.get(s.id, (0, 0))
        rows.append(
            ConversionRow(
                s.name, came, moved, lost, ratio_of(moved, came), _days(medians.get(s.id))
            )
        )
    return rows


# --- rep performance -----------------------------------------------------------------------


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


def round_half_up(value: Fraction) -> int:
    """A non-negative fraction rounded half up to an integer."""
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * rest >= value.denominator else 0)


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


def performance(
    session: Session,
    *,
    period: Period,
    currency: str,
    owner: str | None = None,
    sort: str = "name",
) -> Performance:
    """Per user (every user, with or without deals) and for the team: the deals closed in the
    period and the activities done in it."""
    owner_id = _owner_id(session, owner)
    conn = session.connection()
    closed = [DEALS.c.status.in_(("won", "lost")), *within(DEALS.c.closed_at, period)]
    won = DEALS.c.status == "won"
    if owner_id is not None:
        closed.append(DEALS.c.owner_id == owner_id)
    figures_of = select(
        DEALS.c.owner_id,
        sum_if(won),
        sum_if(DEALS.c.status == "lost"),
        sum_if(and_(won, _mine(currency)), DEALS.c.amount_minor),
        sum_if(and_(won, _mine(currency))),
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
    zero = [0, 0, 0, 0, 0]
    reps = []
    for uid, name, quota, quota_period in conn.execute(users):
        reps.append(
            _rep(
                uid,
                name,
                figures.get(uid, zero),
                _days(medians.get(uid)),
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
                _days(medians.get(None)),
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
        _days(team_median),
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
                "--sort", spec, f"unknown field (one of: {', '.join(PERFORMANCE_SORT)})"
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


# --- forecast ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastRow:
    bucket: str
    """`overdue`, a month `2026-11`, `later`, or `undated`."""
    first: date | None
    last: date | None
    deals: int
    amount_minor: int
    weighted_minor: int
    """Σ amount × stage probability ÷ 100, rounded half up once for the bucket."""
    other_currency: int


def forecast(
    session: Session, *, today: date, months: int, currency: str, owner: str | None = None
) -> list[ForecastRow]:
    """Open deals by expected close month from this month on; past dates apart as overdue."""
    if not 1 <= months <= 120:
        raise InvalidInput("--months", months, "must be between 1 and 120")
    firsts = [add_months(today.replace(day=1), k) for k in range(months + 1)]
    close = DEALS.c.expected_close
    bucket = case(
        (close.is_(None), -2),
        (close < today, -1),
        *((close < firsts[k + 1], k) for k in range(months)),
        else_=months,
    ).label("bucket")
    mine = _mine(currency)
    query = (
        select(
            bucket,
            func.count(),
            sum_if(mine, DEALS.c.amount_minor),
            sum_if(mine, DEALS.c.amount_minor * STAGES.c.probability),
            sum_if(not_(mine)),
        )
        .join(STAGES, STAGES.c.id == DEALS.c.stage_id)
        .where(DEALS.c.status == "open")
        .group_by(bucket)
    )
    owner_id = _owner_id(session, owner)
    if owner_id is not None:
        query = query.where(DEALS.c.owner_id == owner_id)
    found = {int(r[0]): [int(x) for x in r[1:]] for r in session.connection().execute(query)}
    rows = []
    for k in (-1, *range(months), months, -2):
        count, amount, weighted, other = found.get(k, [0, 0, 0, 0])
        first, last, name = _bucket(k, today, firsts)
        rows.append(
            ForecastRow(
                name, first, last, count, amount, round_half_up(Fraction(weighted, 100)), other
            )
        )
    return rows


def _bucket(k: int, today: date, firsts: list[date]) -> tuple[date | None, date | None, str]:
    if k == -2:
        return None, None, "undated"
    if k == -1:
        return None, today - timedelta(days=1), "overdue"
    if k == len(firsts) - 1:
        return firsts[-1], None, "later"
    first = today if k == 0 else firsts[k]
    return first, firsts[k + 1] - timedelta(days=1), f"{firsts[k]:%Y-%m}"


# --- pipeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineRow:
    stage: str
    probability: int
    deals: int
    amount_minor: int
    weighted_minor: int
    stalled: int
    """Open deals with no stage change and no activity done in the last `stale_days` days."""
    stalled_minor: int
    other_currency: int


def pipeline(
    session: Session,
    *,
    now: datetime,
    stale_days: int,
    currency: str,
    owner: str | None = None,
) -> list[PipelineRow]:
    """Open deals per open stage: how many, their value raw and weighted, and the stalled ones."""
    cutoff = now - timedelta(days=stale_days)
    # The deals touched lately are few: collect them once rather than probe for every deal.
    moved = select(CHANGES.c.deal_id).where(CHANGES.c.changed_at >= cutoff)
    touched = select(ACTIVITIES.c.deal_id).where(
        ACTIVITIES.c.done_at >= cutoff, ACTIVITIES.c.deal_id.is_not(None)
    )
    stalled = and_(
        DEALS.c.created_at < cutoff, DEALS.c.id.not_in(moved), DEALS.c.id.not_in(touched)
    )
    mine = _mine(currency)
    query = (
        select(
            DEALS.c.stage_id,
            func.count(),
            sum_if(mine, DEALS.c.amount_minor),
            sum_if(mine, DEALS.c.amount_minor * STAGES.c.probability),
            sum_if(stalled),
            sum_if(and_(stalled, mine), DEALS.c.amount_minor),
            sum_if(not_(mine)),
        )
        .join(STAGES, STAGES.c.id == DEALS.c.stage_id)
        .where(DEALS.c.status == "open")
        .group_by(DEALS.c.stage_id)
    )
    owner_id = _owner_id(session, owner)
    if owner_id is not None:
        query = query.where(DEALS.c.owner_id == owner_id)
    found = {r[0]: [int(x) for x in r[1:]] for r in session.connection().execute(query)}
    rows = []
    for s in _stages(session):
        if s.kind != "open":
            continue
        count, amount, weighted, still, still_amount, other = found.get(s.id, [0] * 6)
        rows.append(
            PipelineRow(
                s.name,
                s.probability,
                count,
                amount,
                round_half_up(Fraction(weighted, 100)),
                still,
                still_amount,
                other,
            )
        )
    return rows
