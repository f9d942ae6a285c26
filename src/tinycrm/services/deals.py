"""Deals and their moves through the pipeline; every stage change is recorded, and a won
deal makes its contact, a prospect until then, a customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from tinycrm.dates import day_start
from tinycrm.db.query import check_limit, order_by
from tinycrm.db.stage_visits import mark_deal
from tinycrm.errors import Conflict, InvalidInput, check_version
from tinycrm.models import (
    Campaign,
    Company,
    Contact,
    ContactStatus,
    Deal,
    DealCreate,
    DealStatus,
    DealUpdate,
    Stage,
    StageChange,
    StageKind,
    User,
)
from tinycrm.money import Money, check_currency, decimals
from tinycrm.normalize import clean, name_key
from tinycrm.services.deal_orders import check_deleting, check_leaving_won, delete_orders
from tinycrm.services.deal_rows import DealRow, deal_row
from tinycrm.services.filters import DealFilter, deal_filters
from tinycrm.services.refs import (
    optional,
    resolve_campaign,
    resolve_company,
    resolve_contact,
    resolve_deal,
    resolve_stage,
    resolve_user,
    stage_of_kind,
)


@dataclass(frozen=True)
class StageChangeRow:
    at: datetime
    from_stage: str | None
    to_stage: str
    by: str | None


@dataclass(frozen=True)
class DealDetail:
    row: DealRow
    company_id: int | None
    contact_id: int | None
    history: list[StageChangeRow]
    campaign: str | None = None
    """The campaign the deal came from."""
    version: int = 1
    """Raised by one on every change: an edit or a move meant for another is refused."""


_STATUS_OF = {
    StageKind.open: DealStatus.open,
    StageKind.won: DealStatus.won,
    StageKind.lost: DealStatus.lost,
}


def _title(text: str | None) -> str:
    title = clean(text)
    if not title:
        raise InvalidInput("title", text, "a deal needs a title")
    return title


def create_deal(
    session: Session,
    *,
    data: DealCreate,
    currency: str,
    actor: User | None,
    now: datetime,
    tz: tzinfo = UTC,
) -> DealRow:
    """Open a deal (at the first stage unless one is given) and record where it starts.

    A deal entered already won or lost with a close date in the past closed on that day (its
    start in the user's zone `tz`): recording last quarter's sale counts it in last quarter."""
    stage = (
        resolve_stage(session, data.stage) if data.stage else stage_of_kind(session, StageKind.open)
    )
    if stage.kind != StageKind.open and data.expected_close is not None:
        now = min(now, day_start(data.expected_close, tz))
    contact = optional(session, resolve_contact, data.contact)
    company = optional(session, resolve_company, data.company)
    owner = optional(session, resolve_user, data.owner) or actor
    campaign = optional(session, resolve_campaign, data.campaign)
    if data.amount_minor < 0:
        raise InvalidInput("amount", data.amount_minor, "must not be negative")
    deal = Deal(
        title=_title(data.title),
        amount_minor=data.amount_minor,
        currency=check_currency(data.currency or currency),
        expected_close=data.expected_close,
        company_id=company.id if company else (contact.company_id if contact else None),
        contact_id=contact.id if contact else None,
        owner_id=owner.id if owner else None,
        campaign_id=campaign.id if campaign else None,
        stage_id=stage.id or 0,
        created_at=now,
        updated_at=now,
    )
    session.add(deal)
    session.flush()
    _enter(session, deal, stage, actor=actor, now=now, from_stage_id=None)
    return get_deal(session, ref=deal.id).row


def _enter(
    session: Session,
    deal: Deal,
    stage: Stage,
    *,
    actor: User | None,
    now: datetime,
    from_stage_id: int | None,
    reason: str | None = None,
) -> None:
    assert deal.id is not None and stage.id is not None
    status = _STATUS_OF[stage.kind]
    deal.stage_id = stage.id
    deal.status = status
    deal.closed_at = None if status is DealStatus.open else now
    deal.lost_reason = clean(reason) if status is DealStatus.lost else None
    deal.updated_at = now
    session.add(deal)
    if status is DealStatus.won:
        _promote(session, deal.contact_id, now)
    session.add(
        StageChange(
            deal_id=deal.id,
            from_stage_id=from_stage_id,
            to_stage_id=stage.id,
            changed_at=now,
            changed_by_id=actor.id if actor else None,
        )
    )
    session.flush()
    mark_deal(session.connection(), deal.id)


def _promote(session: Session, contact_id: int | None, now: datetime) -> None:
    """A won deal's contact, a prospect until now, becomes a customer: an edit of the
    contact like any other, so the audit log records it (a lead, an inactive contact or a
    customer stays as they are)."""
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    if contact is not None and contact.status == ContactStatus.prospect:
        contact.status = ContactStatus.customer
        contact.updated_at = now
        session.add(contact)


def move_deal(
    session: Session,
    *,
    ref: object,
    stage: str,
    actor: User | None,
    now: datetime,
    reason: str | None = None,
    force: bool = False,
    version: int | None = None,
) -> DealRow:
    """Move a deal to any stage; a won/lost stage closes it, an open stage reopens it. A won
    deal with orders leaves won only when forced (see `tinycrm.services.deal_orders`).

    Every move and edit here is refused (`Changed`) when `version` is given and the deal
    is at another, or when the deal changed between this session's read and its write."""
    return _move(
        session,
        _deal(session, ref, version),
        resolve_stage(session, stage),
        actor=actor,
        now=now,
        reason=reason,
        force=force,
    )


def win_deal(
    session: Session, *, ref: object, actor: User | None, now: datetime, version: int | None = None
) -> DealRow:
    target = stage_of_kind(session, StageKind.won)
    return _move(session, _deal(session, ref, version), target, actor=actor, now=now)


def lose_deal(
    session: Session,
    *,
    ref: object,
    reason: str | None,
    actor: User | None,
    now: datetime,
    force: bool = False,
    version: int | None = None,
) -> DealRow:
    """Mark a deal lost; a won one with orders only when forced (its orders stay)."""
    target = stage_of_kind(session, StageKind.lost)
    deal = _deal(session, ref, version)
    return _move(session, deal, target, actor=actor, now=now, reason=reason, force=force)


def step_deal(
    session: Session,
    *,
    ref: object,
    step: int,
    actor: User | None,
    now: datetime,
    version: int | None = None,
) -> DealRow:
    """Move an open deal to the next (`step=1`) or previous (`step=-1`) open stage. The
    stage it moves from is the one read here: should another session move the deal first,
    the write finds the deal's version moved on and the step is refused, never repeated."""
    deal = _deal(session, ref, version)
    stages = list(
        session.exec(
            select(Stage).where(Stage.kind == StageKind.open).order_by(col(Stage.position))
        )
    )
    ids = [s.id for s in stages]
    if deal.stage_id not in ids:
        raise Conflict(
            f"deal #{deal.id} is {deal.status}, not open: only an open deal moves a step; "
            "name the stage to move it to"
        )
    index = ids.index(deal.stage_id) + step
    if not 0 <= index < len(stages):
        edge = "last" if step > 0 else "first"
        raise Conflict(f"deal #{deal.id} is already at the {edge} open stage")
    return _move(session, deal, stages[index], actor=actor, now=now)


def stage_named(session: Session, name: str) -> bool:
    """Whether a stage has this name (so `next` may be a stage's name, not a step)."""
    found = session.exec(select(Stage.id).where(Stage.name_key == name_key(name))).first()
    return found is not None


def _deal(session: Session, ref: object, version: int | None) -> Deal:
    """The deal `ref` names, refused when it is not at `version` (when given)."""
    deal = resolve_deal(session, ref)
    check_version(f"deal #{deal.id}", deal.version, version)
    return deal


def _move(
    session: Session,
    deal: Deal,
    target: Stage,
    *,
    actor: User | None,
    now: datetime,
    reason: str | None = None,
    force: bool = False,
) -> DealRow:
    if deal.stage_id == target.id:
        where = target.kind if target.kind != StageKind.open else f"in stage {target.name!r}"
        raise Conflict(f"deal #{deal.id} is already {where}")  # already won, already lost
    last = session.exec(
        select(func.max(StageChange.changed_at)).where(StageChange.deal_id == deal.id)
    ).one()
    if last is not None and now < last:
        # Time in stage and conversion come from this history: it may never run backwards.
        raise InvalidInput(
            "time", now.isoformat(), f"before deal #{deal.id}'s last stage change ({last})"
        )
    check_leaving_won(session, deal=deal, target=target, force=force)
    _enter(session, deal, target, actor=actor, now=now, from_stage_id=deal.stage_id, reason=reason)
    assert deal.id is not None
    return get_deal(session, ref=deal.id).row


def update_deal(
    session: Session, *, ref: object, data: DealUpdate, now: datetime, version: int | None = None
) -> DealRow:
    """Change what `data` sets; refused when `version` is given and the deal is at another."""
    deal = _deal(session, ref, version)
    changes = data.model_dump(exclude_unset=True)
    if "title" in changes:
        changes["title"] = _title(changes["title"])
    if "currency" in changes:
        changes["currency"] = check_currency(changes["currency"] or "")
        if changes.get("amount_minor") is None:
            changes["amount_minor"] = _same_figure(deal, changes["currency"])
    if changes.get("amount_minor") is not None and changes["amount_minor"] < 0:
        raise InvalidInput("amount", changes["amount_minor"], "must not be negative")
    for key, resolver in (
        ("company", resolve_company),
        ("contact", resolve_contact),
        ("owner", resolve_user),
        ("campaign", resolve_campaign),
    ):
        if key in changes:
            found = optional(session, resolver, changes.pop(key))
            changes[f"{key}_id"] = found.id if found else None
    if "lost_reason" in changes:
        changes["lost_reason"] = clean(changes["lost_reason"])
    deal.sqlmodel_update(changes)
    deal.updated_at = now
    session.add(deal)
    session.flush()
    assert deal.id is not None
    return get_deal(session, ref=deal.id).row


def _same_figure(deal: Deal, currency: str) -> int:
    """The deal's amount as the same figure in `currency`'s minor units: a currency changed
    alone keeps the number (12,500.00 USD becomes 12,500 JPY, not 1,250,000 JPY)."""
    amount = Money(deal.amount_minor, deal.currency)
    minor = amount.to_decimal().scaleb(decimals(currency))
    if minor != minor.to_integral_value():
        raise InvalidInput(
            "amount", str(amount), f"more than {decimals(currency)} decimal places for {currency}"
        )
    return int(minor)


def delete_deal(session: Session, *, ref: object, force: bool = False) -> Deal:
    """Delete a deal with its stage history; activities about it alone go too. A deal with
    orders only when forced: its orders and their payments are deleted with it."""
    deal = resolve_deal(session, ref)
    assert deal.id is not None
    if check_deleting(session, deal_id=deal.id, force=force).orders:
        delete_orders(session, deal_id=deal.id)
    from tinycrm.services.activities import delete_sole_activities  # only deleting needs it

    delete_sole_activities(session, deal_ids=[deal.id])
    session.delete(deal)
    session.flush()
    return deal


def list_deals(
    session: Session,
    *,
    stage: str | None = None,
    status: DealStatus | None = DealStatus.open,
    owner: str | None = None,
    company: str | None = None,
    contact: str | None = None,
    search: str | None = None,
    ids: list[int] | None = None,
    sort: str = "close",
    limit: int | None = None,
    offset: int = 0,
) -> list[DealRow]:
    """Deals matching every filter given; `status=None` means any status."""
    wanted = DealFilter(
        stage=stage, status=status, owner=owner, company=company, contact=contact, search=search
    )
    query = deal_list_query(session, where=wanted, ids=ids, sort=sort, limit=limit, offset=offset)
    return [deal_row(*values) for values in session.execute(query)]


def deal_list_query(
    session: Session,
    *,
    where: DealFilter,
    ids: list[int] | None = None,
    sort: str = "close",
    limit: int | None = None,
    offset: int = 0,
) -> Select[Any]:
    """The query of `list_deals`, selecting what `deal_rows.deal_row` takes (also compiled
    ahead for `crm deal list`, see `services.plain_reads`).

    A page (`limit`) is picked by id first, joining only what the sort needs, and the
    names and stage dates are joined to its rows alone: on a million deals, joining every
    open deal to its company, contact and owner before sorting took seconds."""
    owner_user = aliased(User)
    since = (
        select(func.max(StageChange.changed_at))
        .where(StageChange.deal_id == Deal.id)
        .scalar_subquery()
    )
    conditions = deal_filters(session, where)
    if ids is not None:
        conditions.append(col(Deal.id).in_(ids))
    columns = {
        "close": Deal.expected_close,
        "id": Deal.id,
        "title": Deal.title,
        "amount": Deal.amount_minor,
        "stage": Stage.position,
        "owner": owner_user.name,
        "created": Deal.created_at,
        "closed": Deal.closed_at,
    }
    ordered = [*order_by(sort, columns), col(Deal.id)]
    if check_limit(limit) is not None:
        keys = {part.strip().lstrip("+-") for part in sort.split(",")}
        page = select(col(Deal.id)).where(*conditions)
        if "stage" in keys:
            page = page.join(Stage, col(Stage.id) == col(Deal.stage_id))
        if "owner" in keys:
            page = page.outerjoin(owner_user, col(owner_user.id) == col(Deal.owner_id))
        page = page.order_by(*ordered).offset(offset).limit(limit).correlate(None)
        conditions, offset = [col(Deal.id).in_(page)], 0
    query: Select[Any] = (
        select(  # type: ignore[call-overload]
            Deal.id,
            Deal.title,
            Company.name,
            Contact.full_name,
            owner_user.name,
            Deal.amount_minor,
            Deal.currency,
            Stage.name,
            Deal.status,
            Deal.expected_close,
            since,
            Deal.lost_reason,
            Deal.created_at,
            Deal.closed_at,
        )
        .join(Stage, col(Stage.id) == col(Deal.stage_id))
        .outerjoin(Company, col(Company.id) == col(Deal.company_id))
        .outerjoin(Contact, col(Contact.id) == col(Deal.contact_id))
        .outerjoin(owner_user, col(owner_user.id) == col(Deal.owner_id))
        .where(*conditions)
        .order_by(*ordered)
        .offset(offset)
    )
    return query


def get_deal(session: Session, *, ref: object) -> DealDetail:
    deal = resolve_deal(session, ref)
    assert deal.id is not None
    row = list_deals(session, ids=[deal.id], status=None)[0]
    campaign = session.get(Campaign, deal.campaign_id) if deal.campaign_id else None
    return DealDetail(
        row,
        deal.company_id,
        deal.contact_id,
        stage_history(session, deal.id),
        campaign.name if campaign else None,
        deal.version,
    )


def stage_history(session: Session, deal_id: int) -> list[StageChangeRow]:
    from_stage, to_stage = aliased(Stage), aliased(Stage)
    rows = session.exec(
        select(StageChange.changed_at, from_stage.name, to_stage.name, User.name)
        .join(to_stage, col(to_stage.id) == col(StageChange.to_stage_id))
        .outerjoin(from_stage, col(from_stage.id) == col(StageChange.from_stage_id))
        .outerjoin(User, col(User.id) == col(StageChange.changed_by_id))
        .where(StageChange.deal_id == deal_id)
        .order_by(col(StageChange.changed_at), col(StageChange.id))
    )
    return [StageChangeRow(*r) for r in rows]
