"""`crm report tiers`: how many customers each tier holds and their points, or each
customer with their tier, since when, and their points balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from tinycrm.models import PointsEntry, TierMove
from tinycrm.models.base import table_of
from tinycrm.services import access
from tinycrm.services.loyalty.names import customer_name, joined, visible
from tinycrm.services.loyalty.tiers import list_tiers

MOVES = table_of(TierMove)
POINTS = table_of(PointsEntry)


@dataclass(frozen=True)
class TierCount:
    rank: int
    tier: str
    customers: int
    points: int
    """The points balance of the tier's customers together."""


@dataclass(frozen=True)
class TierMember:
    customer: str
    kind: str
    id: int
    tier: str | None
    since: datetime
    points: int


def _latest() -> Any:
    """Each customer's latest move (so their tier now), as a subquery."""
    last = select(func.max(MOVES.c.id)).group_by(MOVES.c.company_id, MOVES.c.contact_id)
    return select(MOVES).where(MOVES.c.id.in_(last)).subquery("latest")


def _balances() -> Any:
    return (
        select(
            POINTS.c.company_id,
            POINTS.c.contact_id,
            func.sum(POINTS.c.points).label("points"),
        )
        .group_by(POINTS.c.company_id, POINTS.c.contact_id)
        .subquery("balances")
    )


def _members_query() -> Any:
    latest, balances = _latest(), _balances()
    same = (func.coalesce(balances.c.company_id, 0) == func.coalesce(latest.c.company_id, 0)) & (
        func.coalesce(balances.c.contact_id, 0) == func.coalesce(latest.c.contact_id, 0)
    )
    return (
        select(
            customer_name(),
            latest.c.company_id,
            latest.c.contact_id,
            latest.c.to_tier_id,
            latest.c.to_name,
            latest.c.at,
            func.coalesce(balances.c.points, 0).label("points"),
        )
        .select_from(joined(latest).outerjoin(balances, same))
        .where(visible(latest))
    )


@access.reads_for("reports", "read")
def tier_members(session: Session) -> list[TierMember]:
    """Every customer a move placed (now in a tier or not), by tier rank then name."""
    ranks = {t.id: t.rank for t in list_tiers(session)}
    rows = session.connection().execute(_members_query()).all()
    found = [
        TierMember(
            r.customer,
            "company" if r.company_id is not None else "contact",
            r.company_id if r.company_id is not None else r.contact_id,
            r.to_name if r.to_tier_id is not None else None,
            r.at,
            int(r.points),
        )
        for r in rows
    ]
    order = {r.customer: -ranks.get(r.to_tier_id, 0) for r in rows}
    return sorted(found, key=lambda m: (order[m.customer], m.customer, m.id))


@access.reads_for("reports", "read")
def tier_counts(session: Session) -> list[TierCount]:
    """Per tier, highest first: its customers now and their points balance."""
    members = session.connection().execute(_members_query()).all()
    rows = []
    for tier in reversed(list_tiers(session)):
        mine = [m for m in members if m.to_tier_id == tier.id]
        rows.append(TierCount(tier.rank, tier.name, len(mine), sum(int(m.points) for m in mine)))
    return rows
