"""The funnel (deals that reached each stage in a period, and where they are now) and stage
conversion (entered, moved on, lost, median days in the stage)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, select
from sqlmodel import Session

from tinycrm.models import Deal, Stage, StageChange
from tinycrm.services import access
from tinycrm.services.imports import table_of
from tinycrm.services.reports.aggregates import (
    days_of,
    in_currency,
    median_per,
    owner_id_of,
    ratio_of,
    seconds_between,
    stages_in_order,
    sum_if,
)
from tinycrm.services.reports.periods import ALL_TIME, Period, within

DEALS = table_of(Deal)
STAGES = table_of(Stage)
CHANGES = table_of(StageChange)


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


@access.reads_for("reports", "read")
def funnel(
    session: Session, *, period: Period, currency: str, owner: str | None = None
) -> list[FunnelRow]:
    """Per stage, the deals that entered it in the period, and how many of them are there now."""
    entered = select(CHANGES.c.to_stage_id.label("stage_id"), CHANGES.c.deal_id).where(
        *within(CHANGES.c.changed_at, period)
    )
    owner_id = owner_id_of(session, owner)
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
            sum_if(in_currency(currency), DEALS.c.amount_minor),
            sum_if(here),
            sum_if(and_(here, in_currency(currency)), DEALS.c.amount_minor),
            sum_if(DEALS.c.currency != currency),
        )
        .join(DEALS, DEALS.c.id == e.c.deal_id)
        .group_by(e.c.stage_id)
    )
    found = {r[0]: r[1:] for r in session.connection().execute(query)}
    stages = stages_in_order(session)
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


@access.reads_for("reports", "read")
def conversion(
    session: Session, *, period: Period, owner: str | None = None
) -> list[ConversionRow]:
    """Per open stage: entered, moved on, lost there, conversion rate and median days in it."""
    owner_id = owner_id_of(session, owner)
    entered = _entered(session, period, owner_id)
    left = _left(session, period, owner_id)
    medians = _stays(session, period, owner_id)
    rows = []
    for s in stages_in_order(session):
        if s.kind != "open":
            continue
        came, (moved, lost) = entered.get(s.id, 0), left.get(s.id, (0, 0))
        rows.append(
            ConversionRow(
                s.name, came, moved, lost, ratio_of(moved, came), days_of(medians.get(s.id))
            )
        )
    return rows
