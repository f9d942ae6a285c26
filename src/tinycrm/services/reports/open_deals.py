"""Open deals ahead: the forecast by expected close month (raw and weighted by stage
probability) and the pipeline per open stage with the stalled deals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import and_, case, func, not_, select
from sqlmodel import Session

from tinycrm.dates import earlier
from tinycrm.errors import InvalidInput
from tinycrm.models import Activity, Deal, Stage, StageChange
from tinycrm.models.base import table_of
from tinycrm.services import access
from tinycrm.services.periods import add_months
from tinycrm.services.reports.aggregates import (
    in_currency,
    owner_id_of,
    round_half_up,
    stages_in_order,
    sum_if,
)

DEALS = table_of(Deal)
STAGES = table_of(Stage)
CHANGES = table_of(StageChange)
ACTIVITIES = table_of(Activity)


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


@access.reads_for("reports", "read")
def forecast(
    session: Session, *, today: date, months: int, currency: str, owner: str | None = None
) -> list[ForecastRow]:
    """Open deals by expected close month from this month on; past dates apart as overdue."""
    if not 1 <= months <= 120:
        raise InvalidInput("months", months, "must be between 1 and 120")
    firsts = [add_months(today.replace(day=1), k) for k in range(months + 1)]
    close = DEALS.c.expected_close
    bucket = case(
        (close.is_(None), -2),
        (close < today, -1),
        *((close < firsts[k + 1], k) for k in range(months)),
        else_=months,
    ).label("bucket")
    mine = in_currency(currency)
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
    owner_id = owner_id_of(session, owner)
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


@access.reads_for("reports", "read")
def pipeline(
    session: Session,
    *,
    now: datetime,
    stale_days: int,
    currency: str,
    owner: str | None = None,
) -> list[PipelineRow]:
    """Open deals per open stage: how many, their value raw and weighted, and the stalled ones."""
    cutoff = earlier(now, stale_days, field="stale days")
    # The deals touched lately are few: collect them once rather than probe for every deal.
    moved = select(CHANGES.c.deal_id).where(CHANGES.c.changed_at >= cutoff)
    touched = select(ACTIVITIES.c.deal_id).where(
        ACTIVITIES.c.done_at >= cutoff, ACTIVITIES.c.deal_id.is_not(None)
    )
    stalled = and_(
        DEALS.c.created_at < cutoff, DEALS.c.id.not_in(moved), DEALS.c.id.not_in(touched)
    )
    mine = in_currency(currency)
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
    owner_id = owner_id_of(session, owner)
    if owner_id is not None:
        query = query.where(DEALS.c.owner_id == owner_id)
    found = {r[0]: [int(x) for x in r[1:]] for r in session.connection().execute(query)}
    rows = []
    for s in stages_in_order(session):
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
