"""Leads and the lead pool: contacts with status `lead`; those without an owner wait in the
pool until a rep claims one or a manager assigns it. Every change of hands is recorded as
an `OwnerChange` (claim, assign, qualify, drop, reclaim), with who made it.

Reclaim returns owned leads (and, if asked, open deals) that went quiet to the pool. Quiet
means: created before the cutoff, no logged activity (an activity with `done_at`) on the
record since the cutoff, and not claimed or assigned since the cutoff either (a rep who took
a lead yesterday has not had it for 30 days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, insert, or_, update
from sqlalchemy import select as sql_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from tinycrm.dates import earlier
from tinycrm.db.query import check_limit
from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import (
    Activity,
    Campaign,
    Company,
    Contact,
    ContactStatus,
    Deal,
    DealCreate,
    DealStatus,
    OwnerChange,
    User,
)
from tinycrm.normalize import clean
from tinycrm.services.deal_rows import DealRow
from tinycrm.services.deals import create_deal
from tinycrm.services.refs import resolve_contact, resolve_user


@dataclass(frozen=True)
class LeadRow:
    id: int
    name: str
    email: str | None
    phone: str | None
    company: str | None
    owner: str | None
    source: str | None
    campaign: str | None
    created_at: datetime
    last_activity_at: datetime | None


@dataclass(frozen=True)
class Handover:
    """One record that changed hands (or would, on a dry run)."""

    record_type: str
    record_id: int
    name: str
    from_user: str | None
    to_user: str | None
    reason: str


@dataclass(frozen=True)
class Qualified:
    contact_id: int
    name: str
    handover: Handover | None
    deal: DealRow | None


def _last_activity() -> ColumnElement[datetime | None]:
    """When the contact of the outer query last had a logged activity."""
    return (
        select(func.max(Activity.done_at))
        .where(col(Activity.contact_id) == col(Contact.id))
        .correlate(Contact)
        .scalar_subquery()
    )


def list_leads(
    session: Session,
    *,
    pool: bool = False,
    owner: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[LeadRow]:
    """Leads, oldest first; `pool`: only those nobody owns."""
    last = _last_activity()
    query = (
        sql_select(Contact, col(Company.name), col(User.name), col(Campaign.name), last)
        .outerjoin(Company, col(Company.id) == col(Contact.company_id))
        .outerjoin(User, col(User.id) == col(Contact.owner_id))
        .outerjoin(Campaign, col(Campaign.id) == col(Contact.campaign_id))
        .where(col(Contact.status) == ContactStatus.lead)
    )
    if pool:
        query = query.where(col(Contact.owner_id).is_(None))
    if owner:
        query = query.where(col(Contact.owner_id) == resolve_user(session, owner).id)
    query = query.order_by(col(Contact.created_at), col(Contact.id))
    query = query.offset(offset).limit(check_limit(limit))
    return [
        LeadRow(
            c.id or 0,
            c.full_name,
            c.email,
            c.phone,
            company,
            who,
            c.source,
            campaign,
            c.created_at,
            last_at,
        )  # fmt: skip
        for c, company, who, campaign, last_at in session.execute(query)
    ]


def _lead(session: Session, ref: str) -> Contact:
    """The lead `ref` names, its row locked until the change commits (PostgreSQL: of two
    people claiming it at once, the second waits, then reads who owns it now; SQLite's write
    lock already serialises them)."""
    contact = resolve_contact(session, ref)
    session.refresh(contact, with_for_update=True)
    if contact.status != ContactStatus.lead:
        inactive = contact.status == ContactStatus.inactive
        status = "inactive" if inactive else f"a {contact.status}"  # a prospect, a customer
        raise Conflict(f"contact #{contact.id} {contact.full_name!r} is {status}, not a lead")
    return contact


def _name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user else None


def _hand_over(
    session: Session,
    record: Contact | Deal,
    *,
    to: int | None,
    reason: str,
    actor: User | None,
    now: datetime,
) -> Handover:
    """Give `record` to user `to` (None: the pool) and record it."""
    kind = "contact" if isinstance(record, Contact) else "deal"
    assert record.id is not None
    change = OwnerChange(
        record_type=kind,
        record_id=record.id,
        from_user_id=record.owner_id,
        to_user_id=to,
        reason=reason,
        changed_at=now,
        changed_by_id=actor.id if actor else None,
    )
    handover = Handover(
        kind,
        record.id,
        record.full_name if isinstance(record, Contact) else record.title,
        _name(session, record.owner_id),
        _name(session, to),
        reason,
    )
    record.owner_id = to
    record.updated_at = now
    session.add_all([record, change])
    session.flush()
    return handover


def claim_lead(session: Session, *, ref: str, actor: User | None, now: datetime) -> Handover:
    """The acting user takes a lead from the pool."""
    if actor is None:
        raise InvalidInput(
            "claimed by", None, "who claims it? no acting user is set", use="acting user"
        )
    lead = _lead(session, ref)
    if lead.owner_id is not None:
        who = "you" if lead.owner_id == actor.id else _name(session, lead.owner_id)
        raise Conflict(f"lead #{lead.id} {lead.full_name!r} is already owned by {who}")
    return _hand_over(session, lead, to=actor.id, reason="claim", actor=actor, now=now)


def assign_lead(
    session: Session, *, ref: str, to: str, actor: User | None, now: datetime
) -> Handover:
    """Give a lead (from the pool or from another rep) to a user."""
    lead = _lead(session, ref)
    user = resolve_user(session, to)
    if lead.owner_id == user.id:
        raise Conflict(f"lead #{lead.id} {lead.full_name!r} is already owned by {user.name}")
    return _hand_over(session, lead, to=user.id, reason="assign", actor=actor, now=now)


def qualify_lead(
    session: Session,
    *,
    ref: str,
    actor: User | None,
    now: datetime,
    currency: str,
    deal: bool = False,
    title: str | None = None,
    amount_minor: int = 0,
) -> Qualified:
    """The lead becomes a prospect; a lead from the pool goes to the acting user. With
    `deal`, a deal opens at the first stage for the same owner and source campaign."""
    lead = _lead(session, ref)
    handover = None
    if lead.owner_id is None and actor is not None:
        handover = _hand_over(session, lead, to=actor.id, reason="qualify", actor=actor, now=now)
    lead.status = ContactStatus.prospect
    lead.updated_at = now
    session.add(lead)
    session.flush()
    opened = None
    if deal:
        owner = session.get(User, lead.owner_id) if lead.owner_id is not None else None
        data = DealCreate(
            title=clean(title) or lead.full_name,
            amount_minor=amount_minor,
            contact=str(lead.id),
            owner=str(owner.id) if owner else None,
            campaign=str(lead.campaign_id) if lead.campaign_id is not None else None,
        )
        opened = create_deal(session, data=data, currency=currency, actor=actor, now=now)
    return Qualified(lead.id or 0, lead.full_name, handover, opened)


def drop_lead(
    session: Session, *, ref: str, reason: str, actor: User | None, now: datetime
) -> Handover:
    """A lead that goes nowhere (junk, duplicate, not a fit): inactive, with the reason,
    and owned by nobody."""
    why = clean(reason)
    if not why:
        raise InvalidInput("drop reason", reason, "say why the lead is dropped")
    lead = _lead(session, ref)
    lead.status = ContactStatus.inactive
    lead.drop_reason = why
    return _hand_over(session, lead, to=None, reason="drop", actor=actor, now=now)


def _not_taken(kind: str, record_id: Any, cutoff: datetime) -> ColumnElement[bool]:
    """Nobody claimed, was assigned or qualified the record since the cutoff."""
    taken = aliased(OwnerChange)
    return ~exists().where(
        col(taken.record_type) == kind,
        col(taken.record_id) == record_id,
        col(taken.to_user_id).is_not(None),
        col(taken.changed_at) >= cutoff,
    )


def _quiet_leads(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [
        col(Contact.status) == ContactStatus.lead,
        col(Contact.owner_id).is_not(None),
        col(Contact.created_at) < cutoff,
        ~exists().where(
            col(Activity.contact_id) == col(Contact.id),
            col(Activity.done_at).is_not(None),
            col(Activity.done_at) >= cutoff,
        ),
        _not_taken("contact", col(Contact.id), cutoff),
    ]


def _quiet_deals(cutoff: datetime) -> list[ColumnElement[bool]]:
    """A deal's `last_activity_at` is its latest logged activity (kept on every write)."""
    return [
        col(Deal.status) == DealStatus.open,
        col(Deal.owner_id).is_not(None),
        col(Deal.created_at) < cutoff,
        or_(col(Deal.last_activity_at).is_(None), col(Deal.last_activity_at) < cutoff),
        _not_taken("deal", col(Deal.id), cutoff),
    ]


@dataclass(frozen=True)
class Stale:
    record_type: str
    record_id: int
    name: str
    owner_id: int


def stale_records(
    session: Session, *, stale_after: timedelta, now: datetime, deals: bool = False
) -> list[Stale]:
    """Owned leads (and open deals) that went quiet for `stale_after`, in id order."""
    if stale_after <= timedelta(0):
        raise InvalidInput("stale after", stale_after, "must be longer than zero")
    cutoff = earlier(now, stale_after, field="stale after")
    leads = sql_select(col(Contact.id), col(Contact.full_name), col(Contact.owner_id)).where(
        *_quiet_leads(cutoff)
    )
    found = [Stale("contact", *row) for row in session.execute(leads.order_by(col(Contact.id)))]
    if deals:
        quiet_deals = sql_select(col(Deal.id), col(Deal.title), col(Deal.owner_id)).where(
            *_quiet_deals(cutoff)
        )
        found += [
            Stale("deal", *row) for row in session.execute(quiet_deals.order_by(col(Deal.id)))
        ]
    return found


def reclaim(
    session: Session,
    *,
    stale_after: timedelta,
    now: datetime,
    actor: User | None = None,
    deals: bool = False,
    dry_run: bool = False,
) -> list[Handover]:
    """Return quiet leads (and open deals) to the pool; on a dry run, only say which.
    Set-based: a first run on a large old database may move hundreds of thousands."""
    found = stale_records(session, stale_after=stale_after, now=now, deals=deals)
    names = dict(session.execute(sql_select(col(User.id), col(User.name))).all())
    if found and not dry_run:
        _release(session, found, actor=actor, now=now)
    return [
        Handover(r.record_type, r.record_id, r.name, names.get(r.owner_id), None, "reclaim")
        for r in found
    ]


def _release(session: Session, found: list[Stale], *, actor: User | None, now: datetime) -> None:
    """Record each record's return to the pool, then clear their owners."""
    by = actor.id if actor else None
    changes = [
        {
            "record_type": r.record_type,
            "record_id": r.record_id,
            "from_user_id": r.owner_id,
            "to_user_id": None,
            "reason": "reclaim",
            "changed_at": now,
            "changed_by_id": by,
        }
        for r in found
    ]
    session.execute(insert(OwnerChange), changes)
    for kind, model in (("contact", Contact), ("deal", Deal)):
        ids = [r.record_id for r in found if r.record_type == kind]
        for start in range(0, len(ids), 900):
            session.execute(
                update(model)
                .where(col(model.id).in_(ids[start : start + 900]))
                .values(owner_id=None, updated_at=now, version=col(model.version) + 1)
            )


@dataclass(frozen=True)
class OwnerChangeRow:
    at: datetime
    from_user: str | None
    to_user: str | None
    reason: str | None
    by: str | None


def owner_history(session: Session, *, record_type: str, record_id: int) -> list[OwnerChangeRow]:
    """Who had a contact or deal, oldest change first."""
    giver, taker, by = aliased(User), aliased(User), aliased(User)
    query = (
        sql_select(
            col(OwnerChange.changed_at),
            col(giver.name),
            col(taker.name),
            col(OwnerChange.reason),
            col(by.name),
        )
        .outerjoin(giver, col(giver.id) == col(OwnerChange.from_user_id))
        .outerjoin(taker, col(taker.id) == col(OwnerChange.to_user_id))
        .outerjoin(by, col(by.id) == col(OwnerChange.changed_by_id))
        .where(col(OwnerChange.record_type) == record_type, col(OwnerChange.record_id) == record_id)
        .order_by(col(OwnerChange.changed_at), col(OwnerChange.id))
    )
    return [OwnerChangeRow(*row) for row in session.execute(query)]
