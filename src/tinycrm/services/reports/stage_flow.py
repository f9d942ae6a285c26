"""The funnel (deals that reached each stage in a period, and where they are now) and stage
conversion (entered, moved on, lost, median days in the stage)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from tinycrm.models import Deal, StageChange
from tinycrm.models.base import table_of
from tinycrm.services import access
from tinycrm.services.periods import Period, within
from tinycrm.services.report_rows import FunnelRow, funnel_rows, ratio_of
from tinycrm.services.reports.aggregates import (
    days_of,
    in_currency,
    owner_id_of,
    stages_in_order,
    stages_query,
    sum_if,
)

DEALS = table_of(Deal)
CHANGES = table_of(StageChange)


# --- funnel --------------------------------------------------------------------------------


@access.reads_for("reports", "read")
def funnel(
    session: Session, *, period: Period, currency: str, owner: str | None = None
) -> list[FunnelRow]:
    """Per stage, the deals that entered it in the period, and how many of them are there now."""
    query = funnel_query(period=period, currency=currency, owner_id=owner_id_of(session, owner))
    found = session.connection().execute(query)
    return funnel_rows(found, session.connection().execute(stages_query()))


def funnel_query(*, period: Period, currency: str, owner_id: int | None) -> Select[Any]:
    """The funnel's figures per stage (see `report_rows.funnel_rows`); also compiled ahead
    for `crm report funnel` (see `services.plain_reads`)."""
    entered = select(CHANGES.c.to_stage_id.label("stage_id"), CHANGES.c.deal_id).where(
        *within(CHANGES.c.changed_at, period)
    )
    if owner_id is not None:
        entered = entered.join(DEALS, DEALS.c.id == CHANGES.c.deal_id).where(
            DEALS.c.owner_id == owner_id
        )
    e = entered.distinct().subquery()
    here = DEALS.c.stage_id == e.c.stage_id
    return (
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


def _again(t: Any, period: Period) -> ColumnElement[bool]:
    """Of the entries in the period, a deal's first into a stage it entered more than once:
    its first ever, with a later one (read from `ix_stage_changes_firsts`), or one whose
    entry before it was before the period."""
    again = and_(t.c.prev_entry_at.is_(None), t.c.next_entry_at.is_not(None))
    return again if period.start is None else or_(again, t.c.prev_entry_at < period.start)


def _owned(query: Select[Any], t: Any, owner_id: int | None) -> Select[Any]:
    if owner_id is None:
        return query
    return query.join(DEALS, DEALS.c.id == t.c.deal_id).where(DEALS.c.owner_id == owner_id)


@dataclass
class _Flow:
    entered: int = 0
    moved_on: int = 0
    lost: int = 0


def _flows(
    session: Session, period: Period, owner_id: int | None, stages: list[Any]
) -> dict[int, _Flow]:
    """Per open stage: the deals that entered it in the period and, of those, the ones that
    left it forward (to an open or won stage further on) or for a lost stage, at or after
    that entry: one pass over the first entries' visits (`db.stage_visits`)."""
    opened = [s for s in stages if s.kind == "open"]
    lost = [s.id for s in stages if s.kind == "lost"]
    ahead = {
        s.id: [t.id for t in stages if t.kind != "lost" and t.position > s.position] for s in opened
    }

    def forward(t: Any) -> ColumnElement[bool]:
        on = (and_(t.c.to_stage_id == k, t.c.left_to_stage_id.in_(v)) for k, v in ahead.items())
        return or_(false(), *on)

    def gone(t: Any) -> ColumnElement[bool]:
        went: ColumnElement[bool] = t.c.left_to_stage_id.in_(lost)
        return went

    f, v = CHANGES.alias("f"), CHANGES.alias("v")

    def there(how: Callable[[Any], ColumnElement[bool]]) -> ColumnElement[bool]:
        return how(f)

    def later(how: Callable[[Any], ColumnElement[bool]]) -> ColumnElement[bool]:
        same = (v.c.deal_id == f.c.deal_id, v.c.to_stage_id == f.c.to_stage_id)
        return exists().where(*same, v.c.left_at >= f.c.changed_at, how(v))

    flows = {s.id: _Flow() for s in opened}
    # Deals in the stage once: counted by where their one visit went; deals in it more than
    # once: by any of their visits there that ended at or after their first entry in the
    # period. Both read `ix_stage_changes_firsts` in stage order.
    once = and_(f.c.prev_entry_at.is_(None), f.c.next_entry_at.is_(None))
    for which, outcome in ((once, there), (_again(f, period), later)):
        query = select(f.c.to_stage_id, func.count(), *map(sum_if, map(outcome, (forward, gone))))
        query = query.where(f.c.to_stage_id.in_(ahead), which, *within(f.c.changed_at, period))
        found = session.connection().execute(_owned(query, f, owner_id).group_by(f.c.to_stage_id))
        for stage_id, n, moved, gone_there in found:
            flow = flows[stage_id]
            flow.entered += n
            flow.moved_on += int(moved)
            flow.lost += int(gone_there)
    return flows


def _stays(
    session: Session, period: Period, owner_id: int | None, stage_ids: list[int]
) -> dict[int, float]:
    """Median seconds in each stage over the visits entered in the period that ended: the
    middle one or two of the stage's stays, read in order from `ix_stage_changes_stays`."""
    c = CHANGES.c
    where = [c.stay_seconds.is_not(None), *within(c.changed_at, period)]
    conn = session.connection()
    counts = select(c.to_stage_id, func.count()).where(c.to_stage_id.in_(stage_ids), *where)
    medians = {}
    for stage_id, n in conn.execute(_owned(counts, CHANGES, owner_id).group_by(c.to_stage_id)):
        middle = select(c.stay_seconds).where(c.to_stage_id == stage_id, *where)
        middle = middle.order_by(c.stay_seconds).offset((n - 1) // 2).limit(2 - n % 2)
        values = list(conn.execute(_owned(middle, CHANGES, owner_id)).scalars())
        medians[stage_id] = sum(values) / len(values)
    return medians


@access.reads_for("reports", "read")
def conversion(
    session: Session, *, period: Period, owner: str | None = None
) -> list[ConversionRow]:
    """Per open stage: entered, moved on, lost there, conversion rate and median days in it."""
    owner_id = owner_id_of(session, owner)
    stages = stages_in_order(session)
    flows = _flows(session, period, owner_id, stages)
    opened = [s for s in stages if s.kind == "open"]
    medians = _stays(session, period, owner_id, [s.id for s in opened])
    rows = []
    for s in opened:
        flow = flows.get(s.id, _Flow())
        rate = ratio_of(flow.moved_on, flow.entered)
        stay = days_of(medians.get(s.id))
        rows.append(ConversionRow(s.name, flow.entered, flow.moved_on, flow.lost, rate, stay))
    return rows
