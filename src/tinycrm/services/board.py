"""Read models for the terminal app: the pipeline board (per-stage totals and windows of open
deals paged in SQL) and contact search paged in SQL. (The calendar reads
`services.reminders`.)

Every query here returns one screenful or one aggregate, never a whole table, so the app's
cost follows the screen size and not the number of deals or contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from tinycrm.dates import earlier
from tinycrm.errors import InvalidInput
from tinycrm.models import (
    Activity,
    Company,
    Deal,
    DealStatus,
    Stage,
    StageChange,
    StageKind,
    User,
)
from tinycrm.money import Money
from tinycrm.services.filters import DealFilter, deal_filters


@dataclass(frozen=True)
class StageColumn:
    """One board column: an open stage with how many open deals it holds and their value."""

    stage_id: int
    name: str
    count: int
    totals: list[Money]
    """One total per currency, the largest first."""


@dataclass(frozen=True)
class BoardCard:
    id: int
    title: str
    company: str | None
    owner: str | None
    amount: Money
    days_in_stage: int
    stale: bool
    expected_close: date | None
    stage_id: int = 0
    version: int = 1
    """The deal's version when read: a move from the board is refused once it moved on."""
    status: str = "open"


SHOWN = ("open", "won", "lost", "all")
"""What the board can show: open deals (a column per open stage), won or lost ones (the
won or lost stage's column), or all (every stage)."""


def board_filter(
    *, search: str | None = None, owner: str | None = None, status: str = "open"
) -> DealFilter:
    """The board's filter; `status` is one of `SHOWN` (`all`: any status)."""
    if status not in SHOWN:
        raise InvalidInput("status", status, f"one of {', '.join(SHOWN)}")
    shown = None if status == "all" else DealStatus(status)
    return DealFilter(status=shown, search=search or None, owner=owner or None)


def _kinds(wanted: DealFilter) -> list[StageKind]:
    """The kinds of stage whose columns show the deals `wanted` asks for."""
    if wanted.status is None:
        return list(StageKind)
    return [StageKind(wanted.status)]


def board_columns(session: Session, *, wanted: DealFilter) -> list[StageColumn]:
    """The stages the filter's status shows (open ones for open deals), in pipeline order,
    each with the count and value of its matching deals."""
    query = (
        select(Deal.stage_id, Deal.currency, func.count(), func.sum(Deal.amount_minor))
        .where(*deal_filters(session, wanted))
        .group_by(col(Deal.stage_id), col(Deal.currency))
    )
    counts: dict[int, int] = {}
    totals: dict[int, list[Money]] = {}
    for stage_id, currency, count, total in session.exec(query):
        counts[stage_id] = counts.get(stage_id, 0) + count
        totals.setdefault(stage_id, []).append(Money(int(total or 0), currency))
    stages = session.exec(
        select(Stage).where(col(Stage.kind).in_(_kinds(wanted))).order_by(col(Stage.position))
    )
    return [
        StageColumn(
            s.id or 0,
            s.name,
            counts.get(s.id or 0, 0),
            sorted(totals.get(s.id or 0, []), key=lambda m: -m.minor),
        )
        for s in stages
    ]


def _closed(session: Session, stage_id: int) -> bool:
    stage = session.get(Stage, stage_id)
    return stage is not None and stage.kind != StageKind.open


def _order(closed: bool) -> list[Any]:
    """Open deals by expected close (undated last), then id; won or lost ones latest
    closed first."""
    if closed:
        return [col(Deal.closed_at).desc().nulls_last(), col(Deal.id).desc()]
    return [col(Deal.expected_close).asc().nulls_last(), col(Deal.id)]


def board_cards(
    session: Session,
    *,
    stage_id: int,
    wanted: DealFilter,
    now: datetime,
    stale_days: int,
    offset: int,
    limit: int,
) -> list[BoardCard]:
    """A window of a column's deals in `_order`: the window's ids first, from the deals
    alone, then their cards (so a column of thousands costs a sort of ids, not thousands of
    cards).

    A deal is days in its stage since it entered it (closed deals: since they closed). An
    open deal is stale when neither an activity was done about it nor did it change stage in
    the last `stale_days` days."""
    order = _order(_closed(session, stage_id))
    window = (
        select(Deal.id)
        .where(col(Deal.stage_id) == stage_id, *deal_filters(session, wanted))
        .order_by(*order)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    owner = aliased(User)
    since = (
        select(func.max(StageChange.changed_at))
        .where(StageChange.deal_id == Deal.id)
        .scalar_subquery()
    )
    touched = (
        select(func.max(Activity.done_at))
        .where(Activity.deal_id == Deal.id, col(Activity.done_at).is_not(None))
        .scalar_subquery()
    )
    query = (
        select(  # type: ignore[call-overload]
            Deal.id,
            Deal.title,
            Deal.amount_minor,
            Deal.currency,
            Deal.expected_close,
            Deal.created_at,
            Deal.version,
            Deal.status,
            Company.name,
            owner.name,
            since,
            touched,
        )
        .join(window, window.c.id == col(Deal.id))
        .outerjoin(Company, col(Company.id) == col(Deal.company_id))
        .outerjoin(owner, col(owner.id) == col(Deal.owner_id))
        .order_by(*order)
    )
    cutoff = earlier(now, stale_days, field="stale days")
    cards = []
    for (
        deal_id,
        title,
        minor,
        currency,
        close,
        created,
        version,
        status,
        company,
        owner_name,
        entered,
        done,
    ) in session.exec(query):
        entered = entered or created
        last = max(t for t in (entered, done) if t is not None)
        cards.append(
            BoardCard(
                deal_id,
                title,
                company,
                owner_name,
                Money(minor, currency),
                max(0, (now - entered).days),
                status == DealStatus.open and last < cutoff,
                close,
                stage_id,
                version,
                str(status),
            )
        )
    return cards


def board_position(session: Session, *, deal_id: int, wanted: DealFilter) -> tuple[int, int] | None:
    """(stage id, index in its column) of a deal on the filtered board, or None."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        return None
    close, ident = col(Deal.expected_close), col(Deal.id)
    if deal.status != DealStatus.open:
        closed = col(Deal.closed_at)
        before = or_(closed > deal.closed_at, and_(closed == deal.closed_at, ident > deal_id))
    elif deal.expected_close is None:
        before = or_(close.is_not(None), and_(close.is_(None), ident < deal_id))
    else:
        before = or_(
            close < deal.expected_close, and_(close == deal.expected_close, ident < deal_id)
        )

    def count(*where: ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(Deal).where(*where, *deal_filters(session, wanted))
        return int(session.exec(query).one())

    if not count(col(Deal.id) == deal_id):
        return None  # filtered out
    return deal.stage_id, count(col(Deal.stage_id) == deal.stage_id, before)


def owner_names(session: Session) -> list[str]:
    return list(session.exec(select(User.name).order_by(col(User.name_key))))
